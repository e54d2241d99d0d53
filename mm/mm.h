/*
 * mm/mm.h - the VM core's private header: the machine, frames, page tables,
 * address spaces and VMAs, and the operations mm/ offers to sim/ and rmap/.
 *
 * Everything hangs off one struct vm_machine: there is no global mutable
 * state, so two machines (say, two rmap schemes) can run side by side.
 *
 * Semantics follow Linux 6.x; where a function mirrors a kernel function the
 * comment names it.  Functions return 0 or a negative errno and leave state
 * unchanged on failure unless their comment says otherwise (Linux applies
 * mprotect, mlock and madvise partly before failing on a hole; so do we).
 *
 * Locking (for when threads come; everything is single-threaded today, and
 * the locks are not there yet, but every field says which one guards it):
 *   [zone lock]   the buddy free lists (one per machine);
 *   [mmap_lock]   an mm's VMA tree and its VMAs' fields (write to change);
 *   [ptl]         page-table entries (one per mm, split per table later);
 *   [i_mmap_lock] a file's i_mmap tree; [i_pages lock] its page cache;
 *   [i_rwsem]     a file's size (truncate);
 *   [frame lock]  a frame's flags and identity (Linux's folio lock);
 *   [swap lock]   the swap device's slot counts and allocator (Linux's
 *                 swap_info lock and cluster locks), taken under the ptl
 *                 when a zap drops an entry;
 *   [swap cache lock] the swap cache (Linux's i_pages of the swap address
 *                 space), taken under the frame lock;
 *   [atomic]      counts changed with atomic operations, no lock;
 *   see rmap/rmap.h for the scheme's locks and the lock order.
 */
#ifndef REVMAP_MM_MM_H
#define REVMAP_MM_MM_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "../lib/rbtree.h"
#include "../lib/interval_tree.h"
#include "../lib/list.h"
#include "../lib/radix.h"

/* ------------------------------------------------------------------ */
/* Sizes and address-space constants (x86-64, 4-level paging)          */

#define PAGE_SHIFT      12
#define PAGE_SIZE       4096ULL
#define PAGE_MASK       (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x)   (((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PMD_SIZE        (1ULL << 21)
#define PTRS_PER_TABLE  512
#define TASK_SIZE       0x7ffffffff000ULL          /* TASK_SIZE_MAX */
#define MMAP_MIN_ADDR   0x1000ULL                  /* vm.mmap_min_addr */
#define MMAP_BASE       0x200000000000ULL          /* top-down placement starts here */
#define TASK_UNMAPPED_BASE (PAGE_ALIGN(TASK_SIZE / 3))
#define MAX_MAP_COUNT   65530                      /* vm.max_map_count */
#define MAX_ORDER       10                         /* buddy orders 0..10 */
#define STACK_GUARD_GAP (256ULL << PAGE_SHIFT)

#define VM_ERR(x)       ((uint64_t)(int64_t)(x))    /* -errno as an address result */
#define IS_ERR_ADDR(x)  ((x) >= (uint64_t)-4095)

/* ------------------------------------------------------------------ */
/* Debug checks: VM_BUG_ON always on in debug builds; disabled, it still
 * type-checks its expression.                                          */

#ifdef REVMAP_DEBUG
#define VM_BUG_ON(c) do { if (c) vm_bug(__FILE__, __LINE__, #c); } while (0)
#else
#define VM_BUG_ON(c) do { if (0 && (c)) {} } while (0)
#endif
_Noreturn void vm_bug(const char *file, int line, const char *what);

/* ------------------------------------------------------------------ */
/* Page-table entries: x86-64 layout                                    */

typedef uint64_t pte_t;
#define PTE_PRESENT   (1ULL << 0)
#define PTE_WRITE     (1ULL << 1)
#define PTE_USER      (1ULL << 2)
#define PTE_ACCESSED  (1ULL << 5)
#define PTE_DIRTY     (1ULL << 6)
#define PTE_PROTNONE  (1ULL << 8)   /* Linux's _PAGE_PROTNONE: mapped, but no access */
#define PTE_PFN_MASK  0x000ffffffffff000ULL
#define PTE_PKEY_SHIFT 59           /* x86 protection key, bits 59..62 */
#define PTE_PKEY_MASK (0xfULL << PTE_PKEY_SHIFT)
#define PKEY_EXEC_ONLY 1            /* the key Linux gives PROT_EXEC-only memory */

static inline bool pte_none(pte_t p) { return p == 0; }
/* "present" as Linux (and pagemap) mean it: mapped, even if PROT_NONE */
static inline bool pte_present(pte_t p) { return p & (PTE_PRESENT | PTE_PROTNONE); }
static inline uint64_t pte_pfn(pte_t p) { return (p & PTE_PFN_MASK) >> PAGE_SHIFT; }
static inline bool pte_write(pte_t p) { return p & PTE_WRITE; }

/*
 * Swap entries (mm/swap.c): a PTE that is neither present nor PROT_NONE
 * and has PTE_SWAP set names a slot of the swap device in the pfn bits
 * (12..51); PTE_SWP_EXCL is Linux's SWP_EXCLUSIVE (the page was
 * PageAnonExclusive when it was unmapped: no other PTE names the slot, so
 * a swap-in may map it writable).  Nothing else is kept in a swap entry.
 *
 *                  bits 51..12   10  9   8   6..1        0
 *   present page     pfn           -   -   0   D A U W     1
 *   PROT_NONE        pfn           -   -   1   D A U       0
 *   swap entry       slot          E   1   0   0           0
 *   empty            0             0   0   0   0           0
 *
 * A swap entry never has bit 0 or bit 8 set, so pte_present() is false for
 * it, and never is 0, so pte_none() is false too: walkers that visit only
 * present PTEs (walk_ptes) skip it, and those that must see it (zap, fork,
 * mremap, MADV_FREE, swapoff, the checker) use walk_ptes_all or test
 * pte_is_swap.
 */
#define PTE_SWAP      (1ULL << 9)   /* not present: a swap entry */
#define PTE_SWP_EXCL  (1ULL << 10)  /* swap entry: SWP_EXCLUSIVE */
static inline bool pte_is_swap(pte_t p)
{
	return (p & (PTE_PRESENT | PTE_PROTNONE | PTE_SWAP)) == PTE_SWAP;
}
static inline uint32_t swp_slot(pte_t p) { return (uint32_t)pte_pfn(p); }
static inline bool pte_swp_exclusive(pte_t p) { return p & PTE_SWP_EXCL; }
/* swapoff could not read the page back: an access is SIGBUS (Linux's
 * make_poisoned_swp_entry); it names no slot and counts nowhere */
static inline bool pte_swp_poisoned(pte_t p) { return pte_is_swap(p) && !swp_slot(p); }
static inline pte_t swp_entry_pte(uint32_t slot, bool exclusive)
{
	return ((pte_t)slot << PAGE_SHIFT) | PTE_SWAP | (exclusive ? PTE_SWP_EXCL : 0);
}

/*
 * File PTEs (--nonlinear only; Linux 2.6's pte_file, x86-64's _PAGE_FILE,
 * which is the dirty bit of a present PTE): in a VM_NONLINEAR VMA, a PTE
 * that is neither present nor PROT_NONE nor a swap entry and has PTE_FILE
 * set remembers the page offset its address maps (bits 12..57, 2.6.32's
 * PTE_FILE_MAX_BITS of 46), so that the next fault there maps that page
 * of the file, not the linear one.  It holds no page and counts nowhere.
 *
 *                  bits 57..12   9   8   6   0
 *   file PTE         pgoff       0   0   1   0
 */
#define PTE_FILE      (1ULL << 6)   /* not present: a file PTE (pte_file) */
#define PTE_FILE_MAX_BITS 46
static inline bool pte_file(pte_t p)
{
	return (p & (PTE_PRESENT | PTE_PROTNONE | PTE_SWAP | PTE_FILE)) == PTE_FILE;
}
static inline uint64_t pte_to_pgoff(pte_t p)
{
	return (p >> PAGE_SHIFT) & ((1ULL << PTE_FILE_MAX_BITS) - 1);
}
static inline pte_t pgoff_to_pte(uint64_t pgoff)
{
	return (pgoff << PAGE_SHIFT) | PTE_FILE;
}

/* ------------------------------------------------------------------ */
/* Frames                                                               */

/* vm_frame.flags */
#define PG_BUDDY      0x0001u   /* first frame of a free buddy block */
#define PG_RESERVED   0x0002u   /* never allocated (the zero page) */
#define PG_PGTABLE    0x0004u   /* holds a page table */
#define PG_ANON       0x0008u   /* private anonymous page (mapping = anon object) */
#define PG_ANON_EXCL  0x0010u   /* PageAnonExclusive: mapped by exactly one PTE, may be reused on write */
#define PG_DIRTY      0x0020u   /* contents differ from backing store */
#define PG_LAZYFREE   0x0040u   /* MADV_FREE: clean anon page that reclaim may discard */
#define PG_CACHE      0x0100u   /* in a file's page cache (mapping = vm_file) */
#define PG_ZERO       0x0200u   /* free, and its bytes are known to be zero */
#define PG_CHECKQ     0x0400u   /* on the change queue of --check (mm/check.c) */
#define PG_MLOCKED    0x0800u   /* mlocked though no VM_LOCKED VMA may map it: mremap
				   MREMAP_DONTUNMAP cleared VM_LOCKED without munlocking
				   the pages left behind (their mlock_count stays), so
				   they are unevictable until freed */
#define PG_SLAB       0x1000u   /* a slab of kernel objects (mm/slab.c; mapping = cache) */
#define PG_LRU        0x00100000u /* on the LRU list frame_lru() names (mm/lru.c) */
#define PG_ACTIVE     0x00200000u /* on an active list */
#define PG_UNEVICTABLE 0x00400000u /* on the unevictable list (mlocked) */
#define PG_REFERENCED 0x00800000u /* PG_referenced: seen referenced by reclaim once */
#define PG_SWAPCACHE  0x2000u   /* anonymous page in the swap cache: its slot in pad
				   (mm/swap.c); the cache holds one reference */
#define PG_ORDER_SHIFT 24       /* buddy order, stored in flags bits 24..31 */

#define FRAME_NIL     UINT32_MAX

/*
 * One per physical frame; its size is a headline figure (48 bytes).
 * Invariants: a free frame has refcount 0 and mapcount 0; a page mapped by
 * n PTEs has mapcount n and refcount n, plus one while it is in a page
 * cache (PG_CACHE) or the swap cache (PG_SWAPCACHE, anonymous pages only:
 * then swap.cache[pad] is this frame); the zero page is PG_RESERVED and
 * keeps no counts.  An unmapped page stays only in a page cache or in the
 * swap cache, and in the swap cache only while a swap entry names its slot.
 */
struct vm_frame {
	uint32_t flags;       /* PG_* bits and, when PG_BUDDY, the block order [frame lock] */
	int32_t refcount;     /* references: one per PTE, one per use as a table or in a
				 page cache [atomic] */
	int32_t mapcount;     /* PTEs that map this frame, in every mm [atomic] */
	uint32_t next;        /* buddy free list / LRU: next pfn or FRAME_NIL [zone lock] */
	uint32_t prev;        /* buddy free list / LRU: previous pfn or FRAME_NIL [zone lock] */
	uint32_t pad;         /* PG_SWAPCACHE: the page's swap slot; else 0 [frame lock] */
	void *mapping;        /* anon: the rmap scheme's anon object; file: its vm_file
				 [frame lock; stable while mapped] */
	uint64_t index;       /* page offset within mapping (anon: linear page index)
				 [frame lock] */
	uint64_t rmap;        /* the rmap scheme's per-frame word [the scheme's lock] */
};

/* ------------------------------------------------------------------ */
/* VMAs                                                                 */

#define VM_READ        0x00000001ULL
#define VM_WRITE       0x00000002ULL
#define VM_EXEC        0x00000004ULL
#define VM_SHARED      0x00000008ULL
#define VM_MAYREAD     0x00000010ULL
#define VM_MAYWRITE    0x00000020ULL
#define VM_MAYEXEC     0x00000040ULL
#define VM_MAYSHARE    0x00000080ULL
#define VM_LOCKED      0x00002000ULL
#define VM_SEQ_READ    0x00008000ULL
#define VM_RAND_READ   0x00010000ULL
#define VM_DONTCOPY    0x00020000ULL
#define VM_DONTEXPAND  0x00040000ULL
#define VM_LOCKONFAULT 0x00080000ULL
#define VM_ACCOUNT     0x00100000ULL
#define VM_NORESERVE   0x00200000ULL
#define VM_NONLINEAR   0x00800000ULL  /* --nonlinear: remap_file_pages made its pages come
					 from arbitrary offsets (Linux 2.6's flag); it is
					 on file->i_mmap_nonlinear, not file->i_mmap */
#define VM_WIPEONFORK  0x02000000ULL
#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)
#define VM_LOCKED_MASK (VM_LOCKED | VM_LOCKONFAULT)

struct vm_mm;
struct vm_file;
struct anon_id;

/*
 * A VMA: [start, end) with uniform attributes.
 * Invariants: start < end, both page aligned; VMAs of one mm never overlap;
 * for anonymous memory a page at address a has index
 * pgoff + ((a - start) >> PAGE_SHIFT), preserved by mremap.
 */
struct vm_area {
	uint64_t start;              /* first address [mmap_lock + rmap locks to change] */
	uint64_t end;                /* one past the last address [as start] */
	struct vm_area *prev;        /* previous VMA of the mm in address order, or NULL */
	struct vm_area *next;        /* next VMA of the mm in address order, or NULL */
	struct rb_node rb;           /* mm->vma_tree, keyed by start */
	uint64_t gap_max;            /* largest gap before any VMA of this rb subtree */
	struct vm_mm *mm;            /* owner */
	uint64_t flags;              /* VM_* [mmap_lock] */
	uint64_t pgoff;              /* page offset of start (file offset, or anon index)
				        [as start: it keys i_mmap and the anon links] */
	struct vm_file *file;        /* mapped file (or shmem object), NULL for private
				        anonymous memory; the VMA holds a reference */
	uint32_t file_open;          /* which open(2) of file it maps (Linux's struct
				        file): VMAs of one file merge only within one */
	struct itree_node shared;    /* file->i_mmap, [pgoff, pgoff + pages - 1] [i_mmap_lock] */
	struct anon_id *anon;        /* anonymous identity (Linux's anon_vma, mm/anon.c);
				        NULL until the first anonymous page [mmap_lock +
				        anon root lock to set] */
	struct list_head anon_chain; /* anon_links: the identities whose pages it may map
				        (Linux's anon_vma_chain list) [mmap_lock] */
};

/*
 * The anonymous identity (mm/anon.c): Linux's anon_vma and anon_vma_chain
 * as the VMA layout sees them, the same under every rmap scheme.  A scheme
 * may keep state in a tail of either (rmap_ops.anon_tail, link_tail).
 */
struct anon_id {
	struct anon_id *root;        /* root of the fork family (self for a root) */
	struct anon_id *parent;      /* the anon_id it was forked from (self for a root) */
	int refcount;                /* 1 for itself while links point at it, +1 per
				        anon_id whose root it is [anon root lock] */
	int num_children;            /* anon_ids whose parent it is (+1 self for a root) */
	int num_active_vmas;         /* VMAs whose anon it is */
	int nr_links;                /* anon_links to it (Linux: its tree is not empty) */
	struct vm_machine *m;        /* owner */
};

struct anon_link {
	struct vm_area *vma;         /* the VMA that may map pages of aid */
	struct anon_id *aid;         /* the identity */
	struct list_head same_vma;   /* in vma->anon_chain, newest first [mmap_lock] */
};

int anon_prepare(struct vm_area *vma);            /* __anon_vma_prepare: 0 / -ENOMEM */
int anon_fork(struct vm_area *vma, struct vm_area *pvma); /* anon_vma_fork */
int anon_clone(struct vm_area *dst, struct vm_area *src); /* anon_vma_clone */
int anon_dup(struct vm_area *dst, struct vm_area *src);   /* dup_anon_vma */
void anon_unlink(struct vm_area *vma);            /* unlink_anon_vmas */
bool anon_is_fork_child(const struct vm_area *vma);
bool anon_check_vma(const struct vm_area *vma, char *why, size_t len);

/*
 * A file: its size, its page cache and the VMAs that map it (i_mmap).
 * Files made by a trace's `file` line live wholly in the page cache; a
 * hostfile's pages are read from the host on first use; a shmem object
 * (shared anonymous memory) starts empty and reads as zeroes.
 */
struct vm_file {
	struct vm_machine *machine;  /* owner */
	char *name;                  /* trace name, or "[shared-anon]" */
	uint64_t size;               /* i_size in bytes [i_rwsem] */
	struct radix_root cache;     /* page cache: page index -> pfn [i_pages lock] */
	struct rb_root i_mmap;       /* itree of vm_area.shared, by page offset [i_mmap_lock] */
	struct rb_root i_mmap_nonlinear; /* --nonlinear: the VM_NONLINEAR VMAs (2.6's
				        i_mmap_nonlinear list), same keys; searched whole
				        [i_mmap_lock] */
	int refcount;                /* the name table's and each VMA's */
	uint32_t opens;              /* open file descriptions made so far (see
				        vm_area.file_open) */
	int host_fd;                 /* hostfile: read-only host descriptor, else -1 */
	int store_fd;                /* the backing store: a scratch host file (created
				        unlinked at the first writeback), page i at
				        i * PAGE_SIZE; -1 until then.  Never the host
				        file of a hostfile. */
	struct radix_root stored;    /* indexes whose latest contents are in the store
				        (value 1) and not necessarily in the cache; all
				        below file_pages() [i_rwsem] */
	bool shmem;                  /* shared anonymous memory object */
	bool writable;               /* opened for writing (not a hostfile) */
	bool changed;                /* --check: truncated since the last check */
	struct list_head node;       /* machine->files */
};

static inline uint64_t file_pages(const struct vm_file *f)
{
	return (f->size + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

static inline uint64_t vma_pages(const struct vm_area *v)
{
	return (v->end - v->start) >> PAGE_SHIFT;
}
static inline bool vma_is_anonymous(const struct vm_area *v) { return !v->file; }
static inline bool vma_is_accessible(const struct vm_area *v)
{
	return v->flags & VM_ACCESS_FLAGS;
}
/*
 * x86 protection keys.  On a CPU with them (OSPKE), Linux gives memory
 * mapped or mprotected PROT_EXEC alone an execute-only key (the mm's first,
 * key 1; arch_override_mprotect_pkey) that the thread's PKRU denies, so
 * that data accesses fault: a load is SIGSEGV, get_user_pages is -EFAULT.
 * Without the keys, x86 lets any mapping with one of r, w or x be read.
 * The key is a function of the protection (only pkey_mprotect, which
 * traces cannot call, sets another), so it needs no VMA flag bits; PTEs
 * carry it as the hardware wants (PTE_PKEY_MASK).
 */
static inline bool vma_pkey_exec_only(const struct vm_area *v, bool pkeys)
{
	return pkeys && (v->flags & VM_ACCESS_FLAGS) == VM_EXEC;
}

/* ------------------------------------------------------------------ */
/* Address spaces                                                       */

struct vm_range {
	uint64_t start, end;         /* [start, end) */
};

struct vm_mm {
	struct vm_machine *machine;  /* owner */
	struct rb_root vma_tree;     /* VMAs by start; augmented by gap_max [mmap_lock] */
	struct vm_area *first;       /* lowest VMA, or NULL */
	int map_count;               /* number of VMAs */
	uint32_t pgd;                /* pfn of the top-level page table (tables: [ptl]) */
	uint64_t start_brk;          /* heap start (brkbase) */
	uint64_t brk;                /* current break (as brk(2) returned it) */
	uint64_t rss;                /* present anonymous pages (excluding zero page) */
	uint64_t nr_ptes;            /* present PTEs */
	uint64_t nr_pgtables;        /* page-table frames, all levels */
	uint64_t nr_swap;            /* swap entries in its PTEs, poisoned ones not
				        counted (MM_SWAPENTS) [ptl] */
	uint64_t locked_vm;          /* pages in VM_LOCKED VMAs */
	uint64_t ptc_key;            /* pte_lookup's last PTE table: addr >> 21 of what it
				        covers, PTC_NONE when none [ptl] */
	pte_t *ptc_table;            /* that table */
	struct list_head node;       /* machine->mms */
	int id;                      /* the owner's pid, for messages */
	uint8_t nr_changed;          /* --check: ranges in changed[] (0: not queued) */
	struct vm_range changed[4];  /* --check: address ranges whose VMAs or PTEs changed
				        since the last check (mm/check.c) */
};

/* ------------------------------------------------------------------ */
/* Statistics: exact counts of work done                                */

struct vm_stats {
	uint64_t faults;             /* handle_mm_fault calls */
	uint64_t zero_faults;        /* zero page mapped */
	uint64_t anon_faults;        /* new zeroed anonymous page */
	uint64_t cow_copies;         /* wp fault that copied */
	uint64_t cow_reuses;         /* wp fault that reused */
	uint64_t frames_alloc;       /* frames handed out */
	uint64_t frames_freed;       /* frames given back */
	uint64_t ptes_copied;        /* fork */
	uint64_t ptes_zapped;        /* unmapped PTEs */
	uint64_t ptes_moved;         /* mremap: PTEs moved one by one */
	uint64_t pmds_moved;         /* mremap: whole PTE tables moved */
	uint64_t rmap_walks;         /* rmap walks (rmap_walk calls; not the checkers') */
	uint64_t rmap_vmas_visited;  /* rmap walks: VMAs looked at */
	uint64_t rmap_ptes_visited;  /* rmap walks: PTEs looked at (probed) */
	uint64_t rmap_ptes_found;    /* rmap walks: PTEs that mapped the frame */
	uint64_t rmap_fallbacks;     /* rmap walks that fell back to a search */
	uint64_t rmap_repointed;     /* per-page back-pointers moved to another VMA (their
				        VMA stopped mapping the page, or its PTEs changed
				        VMA: split, merge, move) */
	uint64_t rmap_repoint_vmas;  /* VMAs looked at to keep back-pointers and VMA
				        lists right (searches, list walks) */
	uint64_t rmap_repoint_ptes;  /* PTEs looked at for it (probed or walked) */
	uint64_t rmap_tree_depth_max;  /* object-tree schemes (astree, vmainode): the deepest
					  chain of objects from a page's object to its
					  root ever held */
	uint64_t rmap_tree_depth_sum;  /* sum, over their anonymous walks, of the depth of
					  the tree below the page's object walked */
	uint64_t rmap_tree_walks;      /* anonymous walks that added to rmap_tree_depth_sum */
	uint64_t rmap_tree_cuts;       /* objects cut from their parent (no longer needed) */
	uint64_t rmap_tree_merges;     /* objects merged into their only child or parent
					  (vm_object_collapse) */
	uint64_t rmap_aliases;         /* mminode: alias entries now (a page known at one
					  more offset, or one more page at an offset) */
	uint64_t rmap_aliases_made;    /* mminode: alias entries ever made */
	uint64_t vma_bytes;          /* current bytes of VMA structures */
	uint64_t rmap_bytes;         /* current bytes of the scheme's metadata */
	uint64_t rmap_bytes_peak;    /* the most reverse-map metadata ever held
				        (rmap_metadata_bytes) */
	uint64_t anon_bytes;         /* current bytes of the anonymous identity (mm/anon.c,
				        not the scheme's: Linux's layout, kept for all) */
	uint64_t nr_anon_ids;        /* current anon_ids (Linux: anon_vma) */
	uint64_t nr_anon_links;      /* current anon_links (Linux: anon_vma_chain) */
	uint64_t nr_vmas;            /* current VMAs, all mms */
	uint64_t pgscan;             /* reclaim: pages taken off an inactive list */
	uint64_t pgsteal;            /* reclaim: pages it freed */
	uint64_t pgactivate;         /* reclaim: pages moved to an active list */
	uint64_t pgdeactivate;       /* reclaim: pages moved to an inactive list */
	uint64_t pgcull;             /* reclaim: mlocked pages moved to unevictable */
	uint64_t writebacks;         /* file pages written to their backing store */
	uint64_t store_errors;       /* backing-store writes the host refused */
	uint64_t walks_referenced;   /* rmap walks by reason: page_referenced */
	uint64_t walks_unmap;        /*   try_to_unmap */
	uint64_t walks_mkclean;      /*   page_mkclean */
	uint64_t walks_migrate;      /*   migration */
	uint64_t kswapd_runs;        /* kswapd woken (free frames below low) */
	uint64_t kswapd_steal;       /* pages kswapd freed */
	uint64_t direct_steal;       /* pages direct reclaim and the reclaim
				        directive freed */
	uint64_t reclaim_ns;         /* time in mm_reclaim (when the machine has a clock) */
	uint64_t alloc_short;        /* frame allocations refused for want of memory (the
				        min watermark, or none free; not injected ones) */
	uint64_t virtual_ptes_scanned; /* RECLAIM_VIRTUAL: PTEs the scan looked at */
	uint64_t virtual_ptes_unmapped; /* RECLAIM_VIRTUAL: PTEs it took away */
	uint64_t swap_outs;          /* pages written out and freed by swap_out_page (a
				        clean swap-cache page freed unwritten counts too) */
	uint64_t swap_ins;           /* pages read from the swap device */
	uint64_t swap_cache_hits;    /* swap faults that found the page in the swap cache */
	uint64_t swap_io_errors;     /* swap reads or writes that failed */
	uint64_t rmap_unchained;     /* mlock without chains (seed 004 (b)): PTEs kept as a
					count in place of their page's chain, now (every PTE
					of such a page is in a VM_LOCKED VMA) */
	uint64_t rmap_unchained_peak; /* its peak */
	uint64_t rmap_mlock_saved;   /* the bytes those pages' chains would hold, now */
	uint64_t rmap_mlock_saved_peak; /* its peak */
	uint64_t rmap_chain_drops;   /* chains given up for a count (a page's last unlocked
					PTE went, or mlock locked it) */
	uint64_t rmap_chain_rebuilds; /* chains rebuilt from a count (munlock, or a new
					 unlocked mapping) */
	uint64_t rmap_rebuild_vmas;  /* VMAs those rebuilds looked at (their searches) */
	uint64_t compact_runs;       /* compact requests */
	uint64_t compact_success;    /* of them, answered with a free block */
	uint64_t compact_fail;       /* answered -ENOMEM */
	uint64_t compact_migrated;   /* pages compaction migrated */
	uint64_t compact_evicted;    /* pages evicted for compaction (COMPACT_EVICT_*) */
};

/*
 * The swap device (mm/swap.c): one host file of nr_slots 4096-byte slots,
 * made with mkstemp and unlinked at once; slot 0 is the header, never
 * handed out.  Host memory (malloc), not the machine's frames, as Linux's
 * swap_map is vmalloc'ed at swapon.
 * Invariants: map[s] is the number of swap entries (PTEs) naming slot s,
 * plus one while s is in the swap cache (cache[s] != FRAME_NIL); a slot is
 * free exactly when map[s] == 0; nr_used counts the slots with map[s] > 0;
 * cache[s] is a frame with PG_ANON | PG_SWAPCACHE and pad == s.
 */
struct vm_swap {
	int fd;                      /* the device's host file, -1 when swap is off */
	uint32_t nr_slots;           /* slots, the header included */
	uint32_t nr_used;            /* slots in use [swap lock] */
	uint32_t next;               /* where the allocator looks first [swap lock] */
	bool writeok;                /* new slots may be handed out (false during
				        swapoff: SWP_WRITEOK) [swap lock] */
	uint32_t *map;               /* swap_map: per slot, entries + cache [swap lock] */
	uint32_t *cache;             /* swap cache: slot -> pfn, FRAME_NIL when none
				        [swap cache lock] */
	uint64_t nr_io;              /* swap reads and writes so far */
	uint64_t fail_io_at;         /* fault injection: this read or write fails (0: none) */
};

/* ------------------------------------------------------------------ */
/* The machine                                                          */

struct rmap_ops;

#define NR_RMAP_SLABS 2       /* caches a scheme may have for objects of its own */
#define NR_SLABS (4 + NR_RMAP_SLABS)

/* a cache of kernel objects of one type, carved from frames (mm/slab.c) */
struct vm_slab {
	const char *name;            /* object type, for statistics */
	uint32_t size;               /* bytes per object, a multiple of 8 */
	uint32_t per_frame;          /* objects per slab (frame) */
	uint32_t partial;            /* first slab with room (pfn), FRAME_NIL if none
				        [the cache's lock] */
	uint64_t objects;            /* objects in use */
	uint64_t frames;             /* slabs held */
};

/* the LRU lists (mm/lru.c) */
enum lru_list {
	LRU_INACTIVE_ANON, LRU_ACTIVE_ANON, LRU_INACTIVE_FILE, LRU_ACTIVE_FILE,
	LRU_UNEVICTABLE, NR_LRU_LISTS
};

struct vm_lru {
	uint32_t head;               /* newest page (pfn), FRAME_NIL if empty [lru lock] */
	uint32_t tail;               /* oldest page: reclaim takes from here [lru lock] */
	uint64_t nr;                 /* pages on the list [lru lock] */
};

struct free_area {
	uint32_t head;               /* first free block of this order (pfn), FRAME_NIL if none */
	uint64_t nr;                 /* free blocks of this order */
};

/*
 * --lowmem: the low zone (mm/frame.c), as the 32-bit machines' ZONE_NORMAL
 * beside ZONE_HIGHMEM: frames [1, end) (frame 0 is the zero page); the
 * rest of memory is the high zone, whose buddy lists are m->free.  Kernel
 * metadata (every slab cache's frames, and page tables without highpte)
 * comes only from here; user pages from the high zone first, then from
 * here above its reserve.  end == 0: one zone, and nothing below is used.
 */
struct vm_lowmem {
	uint64_t end;                /* first pfn of the high zone; 0: no low zone */
	bool highpte;                /* --highpte: page tables may be high (CONFIG_HIGHPTE) */
	struct free_area free[MAX_ORDER + 1]; /* its buddy free lists [zone lock] */
	uint64_t nr_free;            /* its free frames (m->nr_free counts them too) */
	uint64_t wmark_min;          /* its watermarks (free frames), its share of the */
	uint64_t wmark_low;          /*   machine's: below min a metadata allocation */
	uint64_t wmark_high;         /*   fails; below low kswapd balances it to high */
	uint64_t reserve;            /* lowmem_reserve: frames above min that user
				        allocations falling back to it must leave */
	bool reclaim;                /* the last allocation refused wanted lowmem: reclaim
				        frees only low-zone pages (sc->reclaim_idx) */
	uint64_t used_peak;          /* the most low frames ever in use */
	uint64_t pgtables;           /* page-table frames in it now */
	struct {
		uint64_t used;           /* its frames in use then */
		uint64_t pgtables;       /* page-table frames then */
		uint64_t slab[NR_SLABS]; /* each cache's frames then (machine_slabs' order) */
	} first_failure;             /* what filled it when a metadata allocation was
				        first refused (used 0: never) */
	uint64_t alloc_failures;     /* metadata allocations refused for want of lowmem
				        (not injected ones) */
};

struct vm_machine {
	uint8_t *mem;                /* physical memory: nr_frames * PAGE_SIZE bytes */
	uint64_t nr_frames;          /* frames in the machine */
	struct vm_frame *frames;     /* the frame table */
	struct free_area free[MAX_ORDER + 1]; /* buddy free lists (--lowmem: the high zone's) */
	uint64_t nr_free;            /* free frames, all orders, deferred ones included */
	uint64_t wmark_min;          /* watermarks (free frames): an allocation that
				        would leave fewer than min fails, and the
				        caller reclaims (direct reclaim) or OOMs; */
	uint64_t wmark_low;          /* below low, kswapd is woken: after the event it */
	uint64_t wmark_high;         /* reclaims until high (mm_kswapd) */
	bool kswapd_wanted;          /* free frames fell below low since kswapd ran */
	int reclaim_policy;          /* RECLAIM_LRU (the rmap's) or RECLAIM_VIRTUAL (2.4's) */
	int compact_evict;           /* COMPACT_EVICT_*: what compaction does when memory is
				        too short to migrate (mm/migrate.c) */
	uint64_t (*clock_ns)(void);  /* the host's clock, for reclaim_ns (NULL: untimed;
				        mm/ reads no clock of its own) */
	struct vm_mm *swap_mm;       /* RECLAIM_VIRTUAL: the address space the scan goes
				        on with (mm_destroy clears it), and */
	uint64_t swap_address;       /*   the address it stopped at */
	uint64_t defer_lo, defer_hi; /* [lo, hi): whole MAX_ORDER blocks, free, whose
				        descriptors are not written yet (mm/frame.c) */
	uint64_t host_check_at;      /* grow past this pfn count: ask the host again */
	bool host_exhausted;         /* the host had no memory for more frames */
	uint32_t zero_pfn;           /* the shared zero page */
	struct vm_lru lru[NR_LRU_LISTS]; /* the LRU lists (mm/lru.c) */
	struct list_head mms;        /* every live vm_mm */
	struct list_head files;      /* every vm_file */
	const struct rmap_ops *rmap; /* the reverse-mapping scheme */
	uint32_t rmap_hooks;         /* RMAP_HOOK_*: per-PTE events the scheme is told of */
	void *rmap_priv;             /* the scheme's machine-wide state */
	struct vm_stats stats;       /* counters */
	bool pkeys;                  /* the CPU has protection keys (see vma_pkey_exec_only) */
	bool nonlinear;              /* --nonlinear: remap_file_pages makes VM_NONLINEAR
				        VMAs as Linux 2.6.32 (mm/mmap.c) */
	bool nl_no_truncate_fix;     /* tests only: truncate forgets i_mmap_nonlinear (seed
				        004 (a)'s bug), for the checker to catch */
	struct vm_slab slab_vma;     /* VMAs, with the scheme's tail */
	struct vm_slab slab_mm;      /* address spaces, with the scheme's tail */
	struct vm_slab slab_anon;    /* anon_ids, with the scheme's tail */
	struct vm_slab slab_link;    /* anon_links, with the scheme's tail */
	struct vm_slab slab_rmap[NR_RMAP_SLABS]; /* the scheme's own objects, one cache per
				        type: its init sets them up (slab_init); a cache
				        with no name is unused */
	bool anon_in_slab;           /* the identity's anon_ids, and its anon_links, are */
	bool link_in_slab;           /* metadata of the scheme (it is built of them, or
				        keeps a tail on that type), so they take frames;
				        else they are host memory */
	struct vm_checkq *cq;        /* --check: what changed since the last check, or
				        NULL when nobody checks changes (mm/check.c) */
	uint64_t fail_alloc_at;      /* fault injection: this allocation fails (0: never) */
	uint64_t nr_allocs;          /* allocation attempts so far (frames and objects) */
	struct vm_swap swap;         /* the swap device (mm/swap.c); fd -1 without swap */
	struct vm_lowmem low;        /* --lowmem: the low zone (mm/frame.c) */
	char why[256];               /* last checker failure */
};

/* ------------------------------------------------------------------ */
/* mm/lru.c: the LRU lists                                              */

void lru_init(struct vm_machine *m);
const char *lru_name(enum lru_list l);
bool frame_is_file_lru(const struct vm_frame *f);
enum lru_list frame_lru(const struct vm_frame *f);
/* a new page: the inactive list of its kind, or unevictable */
void lru_add(struct vm_machine *m, struct vm_frame *f, bool unevictable);
/* link at the head of the list its flags name (migration's new frame) */
void lru_insert(struct vm_machine *m, struct vm_frame *f);
void lru_del(struct vm_machine *m, struct vm_frame *f);      /* no-op if not listed */
void lru_set(struct vm_machine *m, struct vm_frame *f, enum lru_list to);
void lru_rotate(struct vm_machine *m, struct vm_frame *f);   /* to its list's head */
void lru_lazyfree(struct vm_machine *m, struct vm_frame *f); /* MADV_FREE */
/* munlock, munmap, exit of a VM_LOCKED VMA: an unevictable page goes back
 * to its inactive list (reclaim culls it again if still locked) */
void lru_putback(struct vm_machine *m, struct vm_frame *f);
bool check_lru(struct vm_machine *m, uint64_t listed);
bool check_lru_frame(struct vm_machine *m, uint64_t pfn);

/* ------------------------------------------------------------------ */
/* mm/frame.c: physical memory                                          */

int machine_init(struct vm_machine *m, uint64_t mem_bytes, const struct rmap_ops *ops);
void machine_fini(struct vm_machine *m);
static inline struct vm_frame *pfn_frame(struct vm_machine *m, uint64_t pfn)
{
	return &m->frames[pfn];
}
/* the page a present PTE maps, or NULL for the zero page (vm_normal_page) */
static inline struct vm_frame *pte_page(struct vm_machine *m, pte_t pte)
{
	uint64_t pfn = pte_pfn(pte);

	return pfn == m->zero_pfn ? NULL : &m->frames[pfn];
}
/* the first pfn at or after pfn whose descriptor is written: scans of the
 * frame table jump over the deferred blocks, which are all free */
static inline uint64_t pfn_skip_deferred(const struct vm_machine *m, uint64_t pfn)
{
	return pfn >= m->defer_lo && pfn < m->defer_hi ? m->defer_hi : pfn;
}
static inline uint64_t frame_pfn(struct vm_machine *m, const struct vm_frame *f)
{
	return (uint64_t)(f - m->frames);
}
static inline void *pfn_data(struct vm_machine *m, uint64_t pfn)
{
	return m->mem + (pfn << PAGE_SHIFT);
}
/*
 * The bytes [off, off + len) of frame pfn, for a copy that is not a whole
 * page.  The frames lie side by side in one host arena, so a copy that ran
 * past the end of its page would silently land in the next frame, where no
 * sanitizer can see it: debug builds stop here instead.
 */
static inline uint8_t *frame_bytes(struct vm_machine *m, uint64_t pfn, uint64_t off,
				   uint64_t len)
{
	VM_BUG_ON(pfn >= m->nr_frames || off > PAGE_SIZE || len > PAGE_SIZE - off);
	return m->mem + (pfn << PAGE_SHIFT) + off;
}
/* => returns a zeroed, referenced (refcount 1) block of 2^order frames, or FRAME_NIL;
 * a user page's (GFP_HIGHUSER: the high zone first, then the low one) */
uint32_t frames_alloc(struct vm_machine *m, unsigned order);
/* the same for kernel metadata (GFP_KERNEL: the low zone only, when there is one) */
uint32_t frames_alloc_kernel(struct vm_machine *m, unsigned order);
/* --lowmem: make the first bytes of memory the low zone, before anything is
 * allocated => 0, -EINVAL (not between 16 frames and all but 16), -EBUSY */
int machine_set_lowmem(struct vm_machine *m, uint64_t bytes, bool highpte);
static inline bool pfn_is_low(const struct vm_machine *m, uint64_t pfn)
{
	return pfn < m->low.end;
}
/* low-zone frames in use now */
static inline uint64_t lowmem_used(const struct vm_machine *m)
{
	return m->low.end ? m->low.end - 1 - m->low.nr_free : 0;
}
/* the zone checkers: the free lists of both zones (check_free_lists) */
bool lowmem_check_frame(struct vm_machine *m, uint64_t pfn, char *why, size_t len);
/* the same, leaving the contents as they were when zero is false (the
 * caller overwrites them at once, as a COW copy does) */
uint32_t __frames_alloc(struct vm_machine *m, unsigned order, bool zero);
void frames_free(struct vm_machine *m, uint32_t pfn, unsigned order);
/* initialise every deferred frame now (see mm/frame.c) */
void frames_init_deferred(struct vm_machine *m);
/* compaction: take a block's free frames off the lists, and give them back */
void buddy_isolate(struct vm_machine *m, uint64_t start, unsigned order);
void buddy_unisolate(struct vm_machine *m, uint64_t start, unsigned order);
/* a frame with no references is in a listed free block (checker) */
bool buddy_check_free(struct vm_machine *m, uint64_t pfn, char *why, size_t len);
/* drop a reference to a user page; frees it when the last one goes */
void frame_put(struct vm_machine *m, uint32_t pfn);
/* mm/slab.c: kernel objects from the machine's frames */
void slab_init(struct vm_slab *s, const char *name, size_t size);
void *slab_alloc(struct vm_machine *m, struct vm_slab *s);   /* zeroed, or NULL */
void slab_free(struct vm_machine *m, struct vm_slab *s, void *p);
bool slab_check(struct vm_machine *m, const struct vm_slab *s, uint64_t frames_seen);
/* the machine's caches in use (at most NR_SLABS): vm_area, vm_mm, anon_id,
 * anon_link, then the scheme's own; => how many */
unsigned machine_slabs(const struct vm_machine *m, const struct vm_slab *out[NR_SLABS]);
/* counts an allocation of a kernel object; false when fault injection says fail */
bool machine_may_alloc(struct vm_machine *m);
void *vm_zalloc(struct vm_machine *m, size_t size);   /* NULL on (injected) failure */

/* ------------------------------------------------------------------ */
/* mm/filemap.c: files and the page cache                               */

#define FAULT_AROUND_PAGES 16        /* 64 KiB, Linux's fault_around_bytes */

/* => a new file of size bytes whose contents the spec's formula gives
 * (seed), all in the page cache; NULL on -ENOMEM */
struct vm_file *file_create(struct vm_machine *m, const char *name, uint64_t size,
			    uint64_t seed, int *err);
/* a file read on demand from host descriptor fd (taken over) */
struct vm_file *file_create_host(struct vm_machine *m, const char *name, int fd,
				 uint64_t size, int *err);
/* shared anonymous memory of size bytes (shmem_zero_setup) */
struct vm_file *file_create_shmem(struct vm_machine *m, uint64_t size);
void file_get(struct vm_file *f);
void file_put(struct vm_file *f);
/* the page-cache page at index, read or allocated (zeroed) if absent;
 * => VM_FAULT_OK with *pfn, VM_FAULT_BUS beyond the end, VM_FAULT_OOM */
int file_get_page(struct vm_file *f, uint64_t index, uint32_t *pfn);
/* writeback: the page's bytes go to the file's backing store; => 0, -EIO
 * (the store could not be made or written: the page stays dirty) */
int file_writeback(struct vm_file *f, uint64_t index, uint32_t pfn);
/* reclaim / migration of a page-cache page */
void file_drop_page(struct vm_file *f, uint64_t index);
void file_replace_page(struct vm_file *f, uint64_t index, uint32_t npfn);
/* ftruncate(2) */
int file_truncate(struct vm_file *f, uint64_t size);
/* pwrite(2) of 8 bytes at off (the caller checked off + 8 <= size) */
int file_write8(struct vm_file *f, uint64_t off, uint64_t value);
/* zap every PTE mapping file pages [first, last] in every VMA of the file;
 * with even_cows also the private copies in private mappings */
void unmap_mapping_range(struct vm_file *f, uint64_t first, uint64_t last, bool even_cows);
/* punch a hole of whole pages [first, last] (MADV_REMOVE) */
void file_punch_hole(struct vm_file *f, uint64_t first, uint64_t last);
/* i_mmap maintenance, done by vma_link/vma_unlink/range changes */
struct rb_root *file_vma_root(const struct vm_area *vma);
void file_vma_link(struct vm_area *vma);
void file_vma_unlink(struct vm_area *vma);
/* v maps f through open file description open (0 for none) */
static inline void vma_set_file(struct vm_area *v, struct vm_file *f, uint32_t open)
{
	v->file = f;
	v->file_open = open;
	if (f)
		file_get(f);
}
/*
 * A trace's mmap line opens its file anew (as a program that calls open(2),
 * mmap(2) and close(2) for each mapping): the new open file description.
 */
static inline uint32_t file_open_new(struct vm_file *f)
{
	return ++f->opens;
}
/* Linux's vma->vm_file == other->vm_file: the same file, opened once */
static inline bool vma_same_file(const struct vm_area *v, const struct vm_file *f,
				 uint32_t open)
{
	return v->file == f && v->file_open == open;
}

/* ------------------------------------------------------------------ */
/* mm/pgtable.c                                                         */

int pgd_alloc(struct vm_mm *mm);
void pgd_free(struct vm_mm *mm);
pte_t *pte_lookup(struct vm_mm *mm, uint64_t addr);          /* NULL if no table */
#define PTC_NONE UINT64_MAX
/* a PTE table of mm was freed or moved: forget pte_lookup's last one */
static inline void pte_cache_drop(struct vm_mm *mm)
{
	mm->ptc_key = PTC_NONE;
}
pte_t *pte_alloc(struct vm_mm *mm, uint64_t addr);           /* NULL: -ENOMEM */
/* remove the present PTE of addr in vma: its page loses a mapping and a
 * reference; in a VM_NONLINEAR VMA (--nonlinear) a file PTE stays where the
 * page is not the linear one, so that the next fault finds it again */
void zap_pte(struct vm_area *vma, uint64_t addr, pte_t *pte);
/* remove every PTE in [start, end) of vma, dropping page references */
void zap_range(struct vm_area *vma, uint64_t start, uint64_t end);
/* the same for truncate and hole punching: without even_cows, a private
 * copy of a file page (an anonymous page) stays */
void zap_file_range(struct vm_area *vma, uint64_t start, uint64_t end, bool even_cows);
/* --nonlinear: unmap the pages of [first, last] from [start, end) of a
 * VM_NONLINEAR VMA, leaving file PTEs (zap_pte) */
void zap_nonlinear_range(struct vm_area *vma, uint64_t start, uint64_t end, uint64_t first,
			 uint64_t last);
/* free page tables covering only [floor, ceiling), within [start, end) */
void free_pgtables(struct vm_mm *mm, uint64_t start, uint64_t end,
		   uint64_t floor, uint64_t ceiling);
/* fork: copy PTEs of src into dst (same range), write-protecting COW pages */
int copy_page_range(struct vm_area *dst, struct vm_area *src);
/* mremap: move PTEs of [old, old+len) in old_vma to new_addr in new_vma */
int move_page_tables(struct vm_area *old_vma, uint64_t old_addr,
		     struct vm_area *new_vma, uint64_t new_addr, uint64_t len);
/* mprotect: rewrite the protection of present PTEs in [start, end) */
void change_protection(struct vm_area *vma, uint64_t start, uint64_t end);
pte_t mk_pte(struct vm_area *vma, uint64_t pfn, bool write);
/* visit each present PTE of [start, end): fn returns nonzero to stop */
typedef int (*pte_visit_fn)(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg);
int walk_ptes(struct vm_mm *mm, uint64_t start, uint64_t end, pte_visit_fn fn, void *arg);
/* the same for every PTE that is not empty: present ones and swap entries */
int walk_ptes_all(struct vm_mm *mm, uint64_t start, uint64_t end, pte_visit_fn fn, void *arg);
/* remove the swap entry of addr in vma (zap_nonpresent_ptes) */
void zap_swap_pte(struct vm_area *vma, uint64_t addr, pte_t *pte);

/* ------------------------------------------------------------------ */
/* mm/vma.c: the VMA tree, split and merge                              */

struct vm_area *vma_alloc(struct vm_mm *mm);
void vma_free(struct vm_area *vma);
struct vm_area *find_vma(struct vm_mm *mm, uint64_t addr);   /* first with end > addr */
struct vm_area *vma_lookup(struct vm_mm *mm, uint64_t addr); /* the one containing addr */
struct vm_area *vma_last(struct vm_mm *mm);                 /* highest VMA or NULL */
struct vm_area *find_vma_intersection(struct vm_mm *mm, uint64_t start, uint64_t end);
void vma_link(struct vm_mm *mm, struct vm_area *vma);       /* insert into tree/list */
void vma_unlink(struct vm_mm *mm, struct vm_area *vma);     /* remove from tree/list */
void vma_update_gaps(struct vm_area *vma);                  /* after start/end change */
int split_vma(struct vm_area *vma, uint64_t addr, bool new_below);
/* vma_modify: make [start, end) of vma its own VMA with new flags, merging
 * with neighbours where Linux would.  => returns the VMA now covering
 * [start, end), or NULL with *err set (-ENOMEM). */
struct vm_area *vma_modify_flags(struct vm_area *prev, struct vm_area *vma,
				 uint64_t start, uint64_t end, uint64_t newflags,
				 int *err);
/* vma_merge_new_range for a new mapping [start,end): returns the VMA that
 * now covers it, or NULL if no merge was possible (*err 0) or memory ran
 * out (*err -ENOMEM, nothing changed) */
struct vm_area *vma_merge_new(struct vm_mm *mm, uint64_t start, uint64_t end,
			      uint64_t flags, struct vm_file *file, uint32_t file_open,
			      uint64_t pgoff,
			      struct anon_id *anon, struct vm_area *copied_from, bool just_expand,
			      int *err);
/* remove the VMAs entirely inside [start, end) after splitting at the
 * edges; unmaps pages and frees page tables; -ENOMEM if a split fails */
int do_munmap(struct vm_mm *mm, uint64_t start, uint64_t len);
bool vma_check_tree(struct vm_mm *mm, char *why, size_t len);
bool vma_check_local(struct vm_area *v, char *why, size_t len);
void vma_remove_free(struct vm_area *vma);                  /* unlink rmap + free */
uint64_t unmapped_area_topdown(struct vm_mm *mm, uint64_t len, uint64_t low, uint64_t high);
uint64_t unmapped_area(struct vm_mm *mm, uint64_t len, uint64_t low, uint64_t high);

/* ------------------------------------------------------------------ */
/* mm/mmap.c and friends: the system calls (Linux semantics)            */

#define PROT_READ_   1u
#define PROT_WRITE_  2u
#define PROT_EXEC_   4u

#define MAP_PRIVATE_   0x01u
#define MAP_SHARED_    0x02u
#define MAP_ANON_      0x04u
#define MAP_FIXED_     0x08u
#define MAP_NOREPLACE_ 0x10u
#define MAP_POPULATE_  0x20u
#define MAP_LOCKED_    0x40u
#define MAP_NORESERVE_ 0x80u

#define MREMAP_MAYMOVE_   1u
#define MREMAP_FIXED_     2u
#define MREMAP_DONTUNMAP_ 4u

enum madv {
	MADV_NORMAL_, MADV_RANDOM_, MADV_SEQUENTIAL_, MADV_WILLNEED_,
	MADV_DONTNEED_, MADV_FREE_, MADV_REMOVE_, MADV_DONTFORK_,
	MADV_DOFORK_, MADV_WIPEONFORK_, MADV_KEEPONFORK_, MADV_COLD_,
	MADV_PAGEOUT_, MADV_POPULATE_READ_, MADV_POPULATE_WRITE_,
};

uint64_t vm_mmap(struct vm_mm *mm, uint64_t addr, uint64_t len, unsigned prot,
		 unsigned flags, struct vm_file *file, uint64_t off);
int vm_munmap(struct vm_mm *mm, uint64_t addr, uint64_t len);
int vm_remap_file_pages(struct vm_mm *mm, uint64_t start, uint64_t size, uint64_t pgoff);
int vm_mprotect(struct vm_mm *mm, uint64_t addr, uint64_t len, unsigned prot);
uint64_t vm_mremap(struct vm_mm *mm, uint64_t addr, uint64_t old_len,
		   uint64_t new_len, unsigned flags, uint64_t new_addr);
int vm_madvise(struct vm_mm *mm, uint64_t addr, uint64_t len, enum madv advice);
int vm_mlock(struct vm_mm *mm, uint64_t addr, uint64_t len);
int vm_munlock(struct vm_mm *mm, uint64_t addr, uint64_t len);
uint64_t vm_brk(struct vm_mm *mm, uint64_t brk);
int vm_brkbase(struct vm_mm *mm, uint64_t addr);
/* __mm_populate: fault in [start, start+len); ignore_errors as Linux */
int mm_populate(struct vm_mm *mm, uint64_t start, uint64_t len, bool ignore_errors);
int populate_vma_range(struct vm_area *vma, uint64_t start, uint64_t end);
/* get_user_pages' per-page step over [start, end) of vma */
int populate_range(struct vm_area *vma, uint64_t start, uint64_t end, bool write);
uint64_t get_unmapped_area(struct vm_mm *mm, struct vm_file *file, uint64_t addr,
			   uint64_t len, uint64_t pgoff, unsigned flags);
bool vm_enough_memory(struct vm_mm *mm, uint64_t pages);

/* ------------------------------------------------------------------ */
/* mm/fault.c                                                           */

#define VM_FAULT_OK     0
#define VM_FAULT_SEGV   1
#define VM_FAULT_BUS    2
#define VM_FAULT_OOM    3

int handle_mm_fault(struct vm_mm *mm, uint64_t addr, bool write);
/* the same for a VMA the caller holds; *ptep gets addr's PTE on success */
int __handle_mm_fault(struct vm_area *vma, uint64_t addr, bool write, pte_t **ptep);

/* mm/vmscan.c, mm/migrate.c */
#define RECLAIM_LRU     0       /* pages from the LRU tails, PTEs through the rmap */
#define RECLAIM_VIRTUAL 1       /* 2.4's swap_out: scan page tables, no rmap */

/* kswapd: reclaim until the free frames reach the high watermark (or
 * nothing more can go); => frames freed */
uint64_t mm_kswapd(struct vm_machine *m);
/* free up to pages frames from the LRU lists; => frames freed */
uint64_t mm_reclaim(struct vm_machine *m, uint64_t pages);
/* the same, asked again until pages are freed or 16 passes freed nothing
 * (the `reclaim` directive; MAX_RECLAIM_RETRIES) */
uint64_t mm_reclaim_retry(struct vm_machine *m, uint64_t pages);
/* MADV_COLD: to the head of its inactive list, unmarked */
void mm_deactivate(struct vm_machine *m, struct vm_frame *f);
int mm_compact(struct vm_machine *m, unsigned order);
#define COMPACT_EVICT_NONE     0   /* migration only (Linux's compaction) */
#define COMPACT_EVICT_LRU      1   /* then reclaim from the LRU tails, and again */
#define COMPACT_EVICT_TARGETED 2   /* then evict the cheapest block's own pages */
/* evict f now, whatever its age (targeted eviction); => true when its
 * frame is free */
bool mm_evict_page(struct vm_machine *m, struct vm_frame *f);

/* ------------------------------------------------------------------ */
/* mm/swap.c: swap for private anonymous memory                         */

/* swapon: a device of bytes (whole slots) in a new unlinked file of dir
 * (NULL: $TMPDIR, or /tmp) => 0, -EINVAL (too small), -ENOMEM, or the
 * host's -errno from mkstemp/ftruncate */
int swap_on(struct vm_machine *m, uint64_t bytes, const char *dir);
void swap_release(struct vm_machine *m);            /* machine_fini: close, free */
static inline bool swap_enabled(const struct vm_machine *m) { return m->swap.fd >= 0; }
/* swapoff: bring every swapped page back (try_to_unuse), then turn swap
 * off => 0, or -ENOMEM with swap still on (what came back stays) */
int swap_off(struct vm_machine *m);
/* reclaim one private anonymous page to swap => 0 (freed), -EBUSY
 * (mlocked, or not a candidate), -ENOSPC (no slot), -EIO (write failed:
 * the page stays in the swap cache, dirty, unmapped) */
int swap_out_page(struct vm_machine *m, uint32_t pfn);
/* --reclaim virtual: one PTE of an anonymous page becomes a swap entry;
 * => 1 (the page went with it), 0 (the PTE went), -EBUSY, -ENOSPC */
int swap_out_pte(struct vm_area *vma, uint64_t addr, pte_t *pte);
/* do_swap_page: the swap entry *pte in vma faulted => VM_FAULT_* */
int do_swap_page(struct vm_area *vma, uint64_t addr, pte_t *pte, bool write);
/* fork: one more swap entry names slot (swap_duplicate) */
void swap_dup(struct vm_machine *m, uint32_t slot);
/* a swap entry naming slot is gone (zap): drop its count; the slot and
 * an unmapped swap-cache page go with the last entry */
void free_swap_and_cache(struct vm_machine *m, uint32_t slot);
/* the last PTE of swap-cache page f went (zap): free the page from the
 * swap cache if no swap entry names its slot (free_swap_cache) */
void swap_cache_unmapped(struct vm_machine *m, struct vm_frame *f);
/* folio_free_swap: f leaves the swap cache if no swap entry names its
 * slot; => true if it left (then it is dirty: memory holds the only copy) */
bool swap_cache_try_free(struct vm_machine *m, struct vm_frame *f);
bool check_swap(struct vm_machine *m);              /* the checker (mm/check.c) */

/* ------------------------------------------------------------------ */
/* mm/fork.c: address-space lifetime                                    */

struct vm_mm *mm_create(struct vm_machine *m);     /* empty address space */
int mm_fork(struct vm_mm *parent, struct vm_mm **child);
void mm_destroy(struct vm_mm *mm);                  /* exit_mmap + free */

/* ------------------------------------------------------------------ */
/* mm/check.c                                                           */

/* Every checker returns true when sound; otherwise it writes what is wrong
 * (naming the structure) into m->why. */
bool check_machine(struct vm_machine *m);
bool check_free_lists(struct vm_machine *m);
bool check_mm(struct vm_mm *mm);
bool check_frames(struct vm_machine *m);
bool check_rmap(struct vm_machine *m);
bool check_files(struct vm_machine *m);

/*
 * Checking what changed.  Between two calls of check_changes, mm/ notes
 * every address range whose VMAs or PTEs it changed, every frame whose
 * counts or identity changed, and every file it truncated; check_changes
 * then checks exactly those (each frame's rmap walked once) and forgets
 * them.  The notes cost a test of m->cq when nobody checks.
 */
int check_changes_start(struct vm_machine *m);      /* 0 or -ENOMEM */
void check_changes_stop(struct vm_machine *m);
bool check_changes(struct vm_machine *m);
void __check_note_range(struct vm_mm *mm, uint64_t start, uint64_t end);
void __check_note_frame(struct vm_machine *m, uint64_t pfn);
void __check_note_file(struct vm_file *f);
void check_forget_mm(struct vm_mm *mm);             /* mm is going away */
void check_forget_file(struct vm_file *f);          /* f is going away */
static inline void check_note_range(struct vm_mm *mm, uint64_t start, uint64_t end)
{
	if (mm->machine->cq)
		__check_note_range(mm, start, end);
}
static inline void check_note_pte(struct vm_mm *mm, uint64_t addr)
{
	if (mm->machine->cq)
		__check_note_range(mm, addr & PAGE_MASK, (addr & PAGE_MASK) + PAGE_SIZE);
}
static inline void check_note_frame(struct vm_machine *m, uint64_t pfn)
{
	if (m->cq && pfn != m->zero_pfn && !(m->frames[pfn].flags & PG_CHECKQ))
		__check_note_frame(m, pfn);
}
static inline void check_note_file(struct vm_file *f)
{
	if (f->machine->cq && !f->changed)
		__check_note_file(f);
}

#endif
