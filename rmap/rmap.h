/*
 * rmap/rmap.h - reverse mapping: given a frame, find every (mm, vma,
 * address) whose PTE maps it.
 *
 * This header is what mm/ calls: the entry points that own map counts and
 * tell the scheme what happens, and the walk.  The scheme interface (struct
 * rmap_ops) is rmap/scheme.h, for the schemes and the registry's users;
 * nothing of mm/ sees it.
 *
 * One walk for everyone: rmap_walk() calls a visitor for each mapping of a
 * frame; page_referenced, try_to_unmap and try_to_migrate are visitors.
 * Anonymous pages are found through the scheme; file pages through the
 * file's i_mmap interval tree, the same in every scheme unless the scheme
 * keeps its own per-page map of them too (walk_file: ptechain's chains),
 * and under --nonlinear by searching whole the VMAs of its i_mmap_nonlinear.
 *
 * The walk's contract.  The visitor is called with the VMA, the address and
 * the PTE, for PTEs that really map the frame (present, its pfn); the scheme
 * may look at more, and that is counted as its work.  It may unmap the PTE
 * (zap_pte: the frame loses a mapping while the walk goes on, so it must
 * hold a reference of its own across the walk, as reclaim does), repoint it
 * at another frame (migration: then rmap_repoint), or change its bits; it
 * must not change the VMA layout or free page tables.  It returns nonzero
 * to stop the walk: reclaim's and migration's visitors stop once they have
 * seen the map count's worth of PTEs (folio_referenced_one's pra->mapcount,
 * try_to_unmap's and try_to_migrate's folio_not_mapped), so a scheme that
 * reaches a page's PTEs early walks less; page_mkclean walks on to the end,
 * as Linux's does.  The walk would hold the file's i_mmap_lock (file
 * pages) or the anon root lock (anonymous pages) in read mode, and each
 * PTE's page-table lock around the visit.
 *
 * Lock order (for when threads come; today everything is single-threaded;
 * the tags are those of the fields in mm/mm.h):
 *
 *   file->i_rwsem                        (truncate, fwrite)
 *     `-- mm->mmap_lock
 *           `-- frame lock                 (Linux's folio lock)
 *                 `-- file->i_mmap_lock    (file pages: i_mmap tree)
 *                 `-- anon root lock       (mm/anon.c: one per fork family)
 *                       `-- page-table lock (ptl)
 *                             `-- file->i_pages lock, zone lock
 *
 * (the order of Linux's mm/rmap.c, without the locks revmap has no use for)
 *
 * mmap_lock guards vma->anon and vma->anon_chain; the anon root lock (the
 * root anon_id's, Linux's root anon_vma lock) guards the family's counters
 * and links and the scheme state in their tails (avc: the interval trees).
 * An rmap walk takes i_mmap_lock or the anon root lock, then each ptl.
 */
#ifndef REVMAP_RMAP_RMAP_H
#define REVMAP_RMAP_RMAP_H

#include <errno.h>
#include "../mm/mm.h"

/* visitor: return nonzero to stop the walk */
typedef int (*rmap_visit_fn)(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg);

/* visit each PTE mapping frame f (pte checked to really map f) */
int rmap_walk(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg);

/*
 * Per PTE.  The entry points own the map count (as folio_add_new_anon_rmap,
 * folio_add_anon_rmap_pte, folio_add_file_rmap_pte, folio_remove_rmap_pte,
 * folio_try_dup_anon_rmap, folio_move_anon_rmap do in Linux: memory.c never
 * touches a map count) and tell the scheme.  Reference counts stay with the
 * caller.  A swap entry is no mapping: swap-out removes the PTE's mapping
 * (rmap_remove), swap-in adds one (rmap_add_new_anon_swap for a page read
 * now, rmap_add_anon for one found in the swap cache).
 */
#define RMAP_HOOK_ADD_ANON  1u     /* vm_machine.rmap_hooks: the scheme wants to be */
#define RMAP_HOOK_ADD_FILE  2u     /* told of these per-PTE events (the common ones */
#define RMAP_HOOK_REMOVE    4u     /* stay inline when it does not) */
#define RMAP_HOOK_DUP       8u
#define RMAP_HOOK_ADD_ANON_PTE 16u
#define RMAP_HOOK_PREPARE   32u
int __rmap_prepare(struct vm_machine *m, unsigned nr);
int __rmap_page_prepare(struct vm_area *vma, struct vm_frame *f);
void __rmap_add_new_anon(struct vm_area *vma, uint64_t addr, struct vm_frame *f);
void __rmap_add_anon(struct vm_area *vma, uint64_t addr, struct vm_frame *f);
void __rmap_add_file(struct vm_area *vma, uint64_t addr, struct vm_frame *f);
void __rmap_remove(struct vm_area *vma, uint64_t addr, struct vm_frame *f);
int __rmap_dup(struct vm_area *dst, struct vm_area *src, uint64_t addr, struct vm_frame *f);

/*
 * Before a path that adds up to nr mappings and may not fail once it has
 * begun (a fault: up to FAULT_AROUND_PAGES file pages, or a new anonymous
 * page replacing a COW one; swapoff's unuse of one entry), the scheme
 * takes the memory those adds may need, outside the page-table lock, as
 * 2.6.0's do_anonymous_page, do_wp_page, do_no_page and do_swap_page
 * called pte_chain_alloc(GFP_KERNEL) first.  The per-PTE add entry points
 * below then never fail.  Zero cost for a scheme without the hook.
 * => 0, or -ENOMEM: the fault returns VM_FAULT_OOM, nothing changed
 */
static inline int rmap_prepare(struct vm_machine *m, unsigned nr)
{
	if (m->rmap_hooks & RMAP_HOOK_PREPARE)
		return __rmap_prepare(m, nr);
	return 0;
}

/*
 * Then, right before vma gains a PTE of f, a page that may be mapped
 * already (rmap_add_file, rmap_add_anon of a swap-cache page): what that
 * one add needs beyond the reserve, which depends on f (ptechain: an
 * mlocked page, which keeps a count in place of its chain, needs its
 * chain back when an unlocked VMA maps it).
 * => 0, or -ENOMEM: the fault returns VM_FAULT_OOM, fault-around stops
 *    short, swapoff reclaims and retries; nothing changed
 */
static inline int rmap_page_prepare(struct vm_area *vma, struct vm_frame *f)
{
	if (vma->mm->machine->rmap_hooks & RMAP_HOOK_PREPARE)
		return __rmap_page_prepare(vma, f);
	return 0;
}

static inline void rmap_add_new_anon(struct vm_area *vma, uint64_t addr, struct vm_frame *f)
{
	f->mapcount = 1;
	f->mapping = vma->anon;              /* __folio_set_anon */
	f->index = vma->pgoff + ((addr - vma->start) >> PAGE_SHIFT);
	if (vma->mm->machine->rmap_hooks & RMAP_HOOK_ADD_ANON)
		__rmap_add_new_anon(vma, addr, f);
}

/*
 * folio_add_new_anon_rmap for a page that is not known to be exclusive to
 * vma (a page read back from swap through a shared swap entry): it gets
 * the _oldest_ identity of vma's family, the root, so that every process
 * that may map it finds it (__folio_set_anon); with exclusive, vma's own,
 * as rmap_add_new_anon.
 * => f is new (mapcount 0, no identity); its PG_ANON_EXCL is the caller's
 */
static inline void rmap_add_new_anon_swap(struct vm_area *vma, uint64_t addr,
					  struct vm_frame *f, bool exclusive)
{
	f->mapcount = 1;
	f->mapping = exclusive ? vma->anon : vma->anon->root;
	f->index = vma->pgoff + ((addr - vma->start) >> PAGE_SHIFT);
	if (vma->mm->machine->rmap_hooks & RMAP_HOOK_ADD_ANON)
		__rmap_add_new_anon(vma, addr, f);
}

/*
 * folio_add_anon_rmap_pte: an anonymous page that already has its identity
 * (mapping, index: a page found in the swap cache) gains the PTE at addr in
 * vma; with exclusive (RMAP_EXCLUSIVE) it becomes PG_ANON_EXCL.
 * => vma may map pages of f's identity (it is linked to f->mapping), and
 *    addr is where it maps f's index
 */
static inline void rmap_add_anon(struct vm_area *vma, uint64_t addr, struct vm_frame *f,
				 bool exclusive)
{
	f->mapcount++;
	if (exclusive)
		f->flags |= PG_ANON_EXCL;
	if (vma->mm->machine->rmap_hooks & RMAP_HOOK_ADD_ANON_PTE)
		__rmap_add_anon(vma, addr, f);
}

static inline void rmap_add_file(struct vm_area *vma, uint64_t addr, struct vm_frame *f)
{
	f->mapcount++;
	if (vma->mm->machine->rmap_hooks & RMAP_HOOK_ADD_FILE)
		__rmap_add_file(vma, addr, f);
}

static inline void rmap_remove(struct vm_area *vma, uint64_t addr, struct vm_frame *f)
{
	VM_BUG_ON(f->mapcount <= 0);
	f->mapcount--;
	if (vma->mm->machine->rmap_hooks & RMAP_HOOK_REMOVE)
		__rmap_remove(vma, addr, f);
}

/* => 0, or -ENOMEM (the scheme could not follow: the fork fails) */
static inline int rmap_dup(struct vm_area *dst, struct vm_area *src, uint64_t addr,
			   struct vm_frame *f)
{
	if ((src->mm->machine->rmap_hooks & RMAP_HOOK_DUP) && __rmap_dup(dst, src, addr, f))
		return -ENOMEM;
	f->mapcount++;
	return 0;
}

/*
 * VM_LOCKED of [start, end) of vma is about to go (munlock, munlockall,
 * mremap's MREMAP_DONTUNMAP of a locked VMA): the scheme takes what its
 * PTEs' pages will need (ptechain: their chains come back).  => 0, or
 * -ENOMEM: the caller fails, nothing changed.  Then, after the flag
 * changed either way (mlock_fixup, dontunmap), rmap_vma_locked tells it.
 * A fork child's VMAs are born without VM_LOCKED (page_dup sees them so);
 * a new VMA born locked maps nothing yet.
 */
int rmap_lock_prepare(struct vm_area *vma, uint64_t start, uint64_t end);
void rmap_vma_locked(struct vm_area *vma, uint64_t start, uint64_t end, bool locked);

void rmap_move_anon(struct vm_area *vma, struct vm_frame *f);
void rmap_repoint(struct vm_machine *m, struct vm_frame *old, struct vm_frame *nf);
int rmap_move_prepare(struct vm_area *old_vma, uint64_t old_addr, struct vm_area *new_vma,
		      uint64_t new_addr, uint64_t len);
void rmap_move_done(struct vm_area *old_vma, uint64_t old_addr, struct vm_area *new_vma,
		    uint64_t new_addr, uint64_t len);

/* Per address space, per VMA and per object of the anonymous identity:
 * the scheme is told (rmap/scheme.h says what each means). */
void rmap_mm_init(struct vm_mm *mm);
void rmap_mm_exit(struct vm_mm *mm);
void rmap_vma_add(struct vm_area *vma);
void rmap_vma_del(struct vm_area *vma);
void rmap_vma_split(struct vm_area *vma, struct vm_area *nv);
void rmap_vma_merge(struct vm_area *target, struct vm_area *victim);
void rmap_vma_fork(struct vm_area *child, struct vm_area *parent);
void rmap_vma_copy(struct vm_area *nv, struct vm_area *vma);
void rmap_vma_pre_update(struct vm_area *vma);
void rmap_vma_post_update(struct vm_area *vma);
void rmap_link_add(struct anon_link *l);
void rmap_link_del(struct anon_link *l);
void rmap_anon_free(struct anon_id *a);

/* the scheme's tails: how many bytes it keeps after each object */
enum rmap_tail { RMAP_TAIL_ANON, RMAP_TAIL_LINK, RMAP_TAIL_VMA, RMAP_TAIL_MM };
size_t rmap_tail_size(const struct vm_machine *m, enum rmap_tail which);

/* the machine's scheme: made and gone; its name; its check of a VMA */
const struct rmap_ops *rmap_find_scheme(const char *name);   /* NULL: the default */
int rmap_machine_init(struct vm_machine *m);
void rmap_machine_fini(struct vm_machine *m);
const char *rmap_name(const struct vm_machine *m);
bool rmap_identity_is_rmap(const struct vm_machine *m);
bool rmap_check_vma(const struct vm_area *vma, char *why, size_t len);
/* the scheme's own checks: a frame's state (before each walk the checkers
 * make of it) and its whole structure (last in the whole-machine check) */
bool rmap_check_frame(struct vm_machine *m, const struct vm_frame *f, char *why, size_t len);
bool rmap_check_machine(struct vm_machine *m, char *why, size_t len);

/* the reverse map's metadata bytes now: the scheme's, and the identity's
 * when the scheme is built of it; and, after any change of them, their peak */
uint64_t rmap_metadata_bytes(const struct vm_machine *m);
void rmap_note_peak(struct vm_machine *m);
/* the scheme's metadata objects per type, for statistics */
void rmap_objects(const struct vm_machine *m,
		  void (*emit)(const char *type, uint64_t count, void *arg), void *arg);

#endif
