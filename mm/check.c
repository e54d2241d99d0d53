/*
 * mm/check.c - the checkers: whole-structure ones, and one for what changed.
 *
 * Each returns true when the structure is sound, and otherwise writes into
 * m->why what is wrong, naming the structure ("free lists: ...", "page
 * tables: ...", "frames: ...", "rmap: ...").  The whole-machine checkers
 * (check_machine) recompute everything from scratch, with the brute-force
 * page-table scan as the oracle; their cost is the size of the machine,
 * and they run at `check` lines, at the end of a checked replay, after
 * every event with --check=full, and in tests and the fuzzer.
 * check_changes (at the end of this file) checks what the operations since
 * its last call changed, at a cost in proportion to that: --check runs it
 * after every event.
 */
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/mman.h>
#include "mm.h"
#include "../rmap/rmap.h"

static bool fail(struct vm_machine *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	return false;
}

/* one zone's buddy lists fa, the blocks all in [lo, hi); => frames on them,
 * or UINT64_MAX with m->why */
static uint64_t check_zone_lists(struct vm_machine *m, const struct free_area *fa,
				 const char *zone, uint64_t lo, uint64_t hi)
{
	uint64_t total = 0;

	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		uint64_t n = 0;
		uint32_t prev = FRAME_NIL;

		for (uint32_t pfn = fa[o].head; pfn != FRAME_NIL;
		     prev = pfn, pfn = pfn_frame(m, pfn)->next) {
			struct vm_frame *f = pfn_frame(m, pfn);

			if (pfn >= m->nr_frames || pfn + (1ULL << o) > m->nr_frames)
				return fail(m, "free lists: order %u block %u out of range", o, pfn),
				       UINT64_MAX;
			if (pfn < lo || pfn + (1ULL << o) > hi)
				return fail(m, "free lists: order %u block %u on the %s zone's list "
					    "lies outside it [%llu, %llu)", o, pfn, zone,
					    (unsigned long long)lo, (unsigned long long)hi),
				       UINT64_MAX;
			if (!(f->flags & PG_BUDDY) || (f->flags >> PG_ORDER_SHIFT) != o)
				return fail(m, "free lists: pfn %u on order %u list is not a free block of that order", pfn, o), UINT64_MAX;
			if (pfn & ((1u << o) - 1))
				return fail(m, "free lists: pfn %u misaligned for order %u", pfn, o),
				       UINT64_MAX;
			if (f->prev != prev)
				return fail(m, "free lists: pfn %u has a bad prev link", pfn), UINT64_MAX;
			if (f->refcount || f->mapcount)
				return fail(m, "free lists: free pfn %u has refcount %d mapcount %d", pfn, f->refcount, f->mapcount), UINT64_MAX;
			if (++n > fa[o].nr)
				return fail(m, "free lists: order %u holds more blocks than counted (%llu)", o, (unsigned long long)fa[o].nr), UINT64_MAX;
		}
		if (n != fa[o].nr)
			return fail(m, "free lists: order %u has %llu blocks, counted %llu", o,
				    (unsigned long long)n, (unsigned long long)fa[o].nr), UINT64_MAX;
		total += n << o;
	}
	return total;
}

bool check_free_lists(struct vm_machine *m)
{
	uint64_t total, low = 0;

	total = check_zone_lists(m, m->free, "high", m->low.end, m->nr_frames);
	if (total == UINT64_MAX)
		return false;
	if (m->low.end) {
		low = check_zone_lists(m, m->low.free, "low", 0, m->low.end);
		if (low == UINT64_MAX)
			return false;
		if (low != m->low.nr_free)
			return fail(m, "lowmem: %llu free frames on the low zone's lists, it counts "
				    "%llu", (unsigned long long)low,
				    (unsigned long long)m->low.nr_free);
		if (m->defer_lo < m->defer_hi && m->defer_lo < m->low.end)
			return fail(m, "lowmem: deferred blocks from %llu lie in the low zone "
				    "(below %llu)", (unsigned long long)m->defer_lo,
				    (unsigned long long)m->low.end);
		total += low;
	}
	if (m->defer_lo > m->defer_hi || m->defer_hi > m->nr_frames ||
	    (m->defer_lo < m->defer_hi && (m->defer_lo | m->defer_hi) & ((1ULL << MAX_ORDER) - 1)))
		return fail(m, "free lists: bad deferred range [%llu, %llu)",
			    (unsigned long long)m->defer_lo, (unsigned long long)m->defer_hi);
	total += m->defer_hi - m->defer_lo;
	if (total != m->nr_free)
		return fail(m, "free lists: %llu free frames on the lists and deferred, nr_free says %llu",
			    (unsigned long long)total, (unsigned long long)m->nr_free);
	return true;
}

struct pt_state {
	struct vm_machine *m;
	int32_t *maps;      /* computed map count per frame */
	struct vm_area *vma;/* the VMA being scanned */
	uint64_t ptes, rss;
	bool ok;
};

/*
 * One present PTE of mm at addr, in VMA v, against everything it may be
 * checked against alone: the VMA's protection (and protection key), a
 * frame that is a user page, the page's identity (the VMA's file page, or
 * an anonymous page of the right index), nothing past the end of a file.
 * => true if sound; *counts is set when the PTE maps a counted page (not
 *    the zero page).
 */
static bool pte_sound(struct vm_machine *m, struct vm_mm *mm, struct vm_area *v,
		      uint64_t addr, pte_t pte, bool *counts)
{
	uint64_t pfn = pte_pfn(pte), idx;
	struct vm_frame *f;

	*counts = false;
	if (pfn >= m->nr_frames)
		return fail(m, "page tables: pid %d %#llx maps pfn %llu beyond memory", mm->id,
			    (unsigned long long)addr, (unsigned long long)pfn);
	if (!vma_is_accessible(v) != !!(pte & PTE_PROTNONE) ||
	    ((pte & PTE_WRITE) && !(v->flags & VM_WRITE)) ||
	    !!(pte & PTE_PKEY_MASK) != (vma_is_accessible(v) && vma_pkey_exec_only(v, m->pkeys)))
		return fail(m, "page tables: pid %d %#llx: PTE %#llx disagrees with VMA protection",
			    mm->id, (unsigned long long)addr, (unsigned long long)pte);
	if (pfn == m->zero_pfn) {
		if (pte & PTE_WRITE)
			return fail(m, "page tables: pid %d %#llx maps the zero page writable",
				    mm->id, (unsigned long long)addr);
		return true;
	}
	if (pfn >= m->defer_lo && pfn < m->defer_hi)
		return fail(m, "page tables: pid %d %#llx maps pfn %llu, which was never handed out",
			    mm->id, (unsigned long long)addr, (unsigned long long)pfn);
	f = pfn_frame(m, pfn);
	if (f->flags & (PG_BUDDY | PG_PGTABLE | PG_SLAB | PG_RESERVED) || f->refcount <= 0)
		return fail(m, "page tables: pid %d %#llx maps pfn %llu that is not a user page (flags %#x ref %d)",
			    mm->id, (unsigned long long)addr, (unsigned long long)pfn, f->flags,
			    f->refcount);
	idx = v->pgoff + ((addr - v->start) >> PAGE_SHIFT);
	/* --nonlinear: a VM_NONLINEAR VMA maps any page of its file anywhere */
	if ((v->flags & VM_NONLINEAR) && !(f->flags & PG_ANON))
		idx = f->index;
	/* nothing, not even a private copy, is mapped past the end of a file:
	 * a fault there is SIGBUS and truncate unmaps it all (through a
	 * nonlinear VMA too: seed 004 (a)'s bug, which mm/filemap.c's
	 * unmap_mapping_range fixes) */
	if (v->file && idx >= file_pages(v->file))
		return fail(m, "page tables: pid %d %#llx maps page %#llx of %s, beyond its end (%llu bytes)",
			    mm->id, (unsigned long long)addr, (unsigned long long)idx,
			    v->file->name, (unsigned long long)v->file->size);
	if (f->flags & PG_ANON) {
		if ((v->flags & VM_SHARED) || f->index != idx || !f->mapping)
			return fail(m, "page tables: pid %d %#llx: anon page pfn %llu has index %#llx, VMA says %#llx",
				    mm->id, (unsigned long long)addr, (unsigned long long)pfn,
				    (unsigned long long)f->index, (unsigned long long)idx);
		if (((pte & PTE_WRITE) || (f->flags & PG_ANON_EXCL)) && f->mapcount != 1)
			return fail(m, "page tables: pid %d %#llx: anon page mapped %d times is %s",
				    mm->id, (unsigned long long)addr, f->mapcount,
				    (pte & PTE_WRITE) ? "writable" : "marked exclusive");
	} else if (!(f->flags & PG_CACHE) || f->mapping != v->file || f->index != idx) {
		return fail(m, "page tables: pid %d %#llx maps pfn %llu, which is not page %#llx of the VMA's file",
			    mm->id, (unsigned long long)addr, (unsigned long long)pfn,
			    (unsigned long long)idx);
	} else if ((pte & PTE_WRITE) && !(v->flags & VM_SHARED)) {
		return fail(m, "page tables: pid %d %#llx: file page writable in a private mapping",
			    mm->id, (unsigned long long)addr);
	}
	*counts = true;
	return true;
}

static int check_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct pt_state *s = arg;
	bool counts;

	s->ptes++;
	if (!pte_sound(s->m, mm, s->vma, addr, *pte, &counts)) {
		s->ok = false;
		return 1;
	}
	if (counts) {
		s->rss++;
		s->maps[pte_pfn(*pte)]++;
	}
	return 0;
}

static int check_any_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct pt_state *s = arg;

	s->vma = vma_lookup(mm, addr);
	if (!s->vma) {
		s->ok = fail(mm->machine, "page tables: pid %d maps %#llx outside any VMA",
			     mm->id, (unsigned long long)addr);
		return 1;
	}
	return check_pte(mm, addr, pte, arg);
}

/* every present PTE of mm, found by a scan of the whole table tree */
static bool check_mm_tables(struct vm_mm *mm, struct pt_state *s)
{
	s->ptes = s->rss = 0;
	if (walk_ptes(mm, 0, 1ULL << 47, check_any_pte, s))
		return false;
	if (s->ptes != mm->nr_ptes)
		return fail(mm->machine, "page tables: pid %d has %llu present PTEs, counted %llu",
			    mm->id, (unsigned long long)s->ptes, (unsigned long long)mm->nr_ptes);
	if (s->rss != mm->rss)
		return fail(mm->machine, "page tables: pid %d maps %llu pages, rss says %llu",
			    mm->id, (unsigned long long)s->rss, (unsigned long long)mm->rss);
	return true;
}

/* a VMA's place in its file's i_mmap (keys; with local, its path in the
 * tree too) and in the scheme's links */
static bool vma_links_sound(struct vm_machine *m, struct vm_area *v, bool local)
{
	if (v->file && (v->shared.start != v->pgoff ||
			v->shared.last != v->pgoff + vma_pages(v) - 1))
		return fail(m, "i_mmap: [%#llx,%#llx) of %s is keyed by a stale range",
			    (unsigned long long)v->start, (unsigned long long)v->end,
			    v->file->name);
	if (local && v->file && !itree_check_path(file_vma_root(v), &v->shared, m->why,
						  sizeof(m->why)))
		return false;
	if (!anon_check_vma(v, m->why, sizeof(m->why)))
		return false;
	return rmap_check_vma(v, m->why, sizeof(m->why));
}

/*
 * The VMA tree, and each VMA's place in its file's i_mmap and in the
 * scheme's links.  (locked_vm is not checked against the VM_LOCKED VMAs:
 * like Linux's, it is off after a MREMAP_DONTUNMAP move of a locked VMA,
 * which unlocks the old range without subtracting it.)
 */
bool check_mm(struct vm_mm *mm)
{
	struct vm_machine *m = mm->machine;
	struct vm_area *v;

	if (!vma_check_tree(mm, m->why, sizeof(m->why)))
		return false;
	for (v = mm->first; v; v = v->next)
		if (!vma_links_sound(m, v, false))
			return false;
	return true;
}

bool check_frames(struct vm_machine *m)
{
	struct pt_state s = { .m = m, .ok = true };
	const struct vm_slab *slabs[NR_SLABS];
	const unsigned nr_slabs = machine_slabs(m, slabs);
	uint64_t slab_frames[NR_SLABS] = { 0 };
	struct list_head *p;
	uint64_t pgtables = 0, used = 0, listed = 0, low_pgtables = m->low.pgtables;
	bool ok = true;

	/* one count per frame, but the host backs only the pages of it that
	 * mapped frames touch (a 1 TiB machine needs no 1 GiB table) */
	s.maps = mmap(NULL, m->nr_frames * sizeof(*s.maps), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s.maps == MAP_FAILED)
		return fail(m, "frames: cannot allocate the checker's table");
	list_for_each(p, &m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		if (!check_mm_tables(mm, &s)) {
			ok = false;
			goto out;
		}
		pgtables += mm->nr_pgtables;
	}
	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		used++;
		if (!lowmem_check_frame(m, pfn, m->why, sizeof(m->why))) {
			ok = false;
			goto out;
		}
		if (f->flags & PG_PGTABLE) {
			pgtables--;
			low_pgtables -= pfn_is_low(m, pfn);
			if (f->refcount != 1 || f->mapcount) {
				ok = fail(m, "frames: page table pfn %llu has refcount %d mapcount %d",
					  (unsigned long long)pfn, f->refcount, f->mapcount);
				goto out;
			}
			continue;
		}
		if (f->flags & PG_SLAB) {
			size_t k = 0;

			while (k < nr_slabs && f->mapping != slabs[k])
				k++;
			if (k == nr_slabs || f->refcount != 1 ||
			    f->mapcount) {
				ok = fail(m, "frames: slab pfn %llu belongs to no cache, or has refcount "
					  "%d mapcount %d", (unsigned long long)pfn, f->refcount,
					  f->mapcount);
				goto out;
			}
			slab_frames[k]++;
			continue;
		}
		if (f->refcount <= 0) {
			ok = fail(m, "frames: pfn %llu has refcount %d but lies in no free block",
				  (unsigned long long)pfn, f->refcount);
			goto out;
		}
		if (f->mapcount != s.maps[pfn] ||
		    f->refcount != f->mapcount + ((f->flags & PG_CACHE) ? 1 : 0) +
				   ((f->flags & PG_SWAPCACHE) ? 1 : 0)) {
			ok = fail(m, "frames: pfn %llu has mapcount %d refcount %d, but %d PTEs map it%s",
				  (unsigned long long)pfn, f->mapcount, f->refcount, s.maps[pfn],
				  s.maps[pfn] || (f->flags & (PG_CACHE | PG_SWAPCACHE)) ? ""
				  : " (leaked frame)");
			goto out;
		}
		if (!(f->flags & PG_LRU) && (f->flags & (PG_ANON | PG_CACHE))) {
			ok = fail(m, "lru: page pfn %llu (flags %#x) is on no LRU list",
				  (unsigned long long)pfn, f->flags);
			goto out;
		}
		listed += (f->flags & PG_LRU) != 0;
	}
	if (!check_lru(m, listed)) {
		ok = false;
		goto out;
	}
	if (pgtables != 0) {
		ok = fail(m, "frames: page-table frames and per-mm page-table counts disagree");
		goto out;
	}
	if (low_pgtables != 0) {
		ok = fail(m, "lowmem: it counts %llu page-table frames, the frame table differs",
			  (unsigned long long)m->low.pgtables);
		goto out;
	}
	for (size_t k = 0; k < nr_slabs; k++)
		if (!slab_check(m, slabs[k], slab_frames[k])) {
			ok = false;
			goto out;
		}
	if (used + m->nr_free + 1 != m->nr_frames) {
		ok = fail(m, "frames: %llu used + %llu free + zero page != %llu frames",
			  (unsigned long long)used, (unsigned long long)m->nr_free,
			  (unsigned long long)m->nr_frames);
		goto out;
	}
out:
	munmap(s.maps, m->nr_frames * sizeof(*s.maps));
	return ok;
}

/*
 * The set of PTEs one rmap walk of a frame found, to see that it finds
 * each at most once, and every PTE it must: open addressing on the PTE's
 * own address (one per (mm, address)); a slot is in the set when its
 * generation is the current one, so that emptying the set costs nothing.
 */
struct found_set {
	struct found_slot {
		const pte_t *pte;
		uint32_t gen;
	} *slot;
	size_t cap;                /* slots, a power of two */
	size_t n;                  /* PTEs the current walk found */
	uint32_t gen;              /* the current walk's generation */
};

/* the slot of pte: its own, or the empty one where it would go */
static struct found_slot *found_slot(struct found_set *fs, const pte_t *pte)
{
	size_t mask = fs->cap - 1;
	size_t i = (size_t)(((uint64_t)(uintptr_t)pte >> 3) * 0x9e3779b97f4a7c15ULL >> 20) & mask;

	while (fs->slot[i].gen == fs->gen && fs->slot[i].pte != pte)
		i = (i + 1) & mask;
	return &fs->slot[i];
}

/* empty the set, with room for n entries at half load; => false if the
 * host has no memory */
static bool found_reset(struct found_set *fs, size_t n)
{
	fs->n = 0;
	if (++fs->gen == 0 || fs->cap < 2 * n + 2) {
		size_t cap = fs->cap ? fs->cap : 64;
		struct found_slot *t;

		while (cap < 2 * n + 2)
			cap *= 2;
		t = calloc(cap, sizeof(*t));
		if (!t)
			return false;
		free(fs->slot);
		fs->slot = t;
		fs->cap = cap;
		fs->gen = 1;
	}
	return true;
}

struct found_walk {
	struct vm_machine *m;
	struct found_set *fs;
	uint64_t pfn;
	bool ok;
};

/* the rmap visitor: what it is shown must map the frame, once */
static int found_pte(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct found_walk *w = arg;
	struct found_set *fs = w->fs;
	struct found_slot *s;

	if (pte_pfn(*pte) != w->pfn) {
		w->ok = fail(w->m, "rmap: the %s walk of pfn %llu returns pid %d %#llx, which does not map it",
			     rmap_name(w->m), (unsigned long long)w->pfn, vma->mm->id,
			     (unsigned long long)addr);
		return 1;
	}
	if (++fs->n * 2 > fs->cap) {
		w->ok = fail(w->m, "rmap: the %s walk of pfn %llu returns more PTEs than its mapcount",
			     rmap_name(w->m), (unsigned long long)w->pfn);
		return 1;
	}
	s = found_slot(fs, pte);
	if (s->gen == fs->gen) {
		w->ok = fail(w->m, "rmap: the %s walk of pfn %llu returns pid %d %#llx twice",
			     rmap_name(w->m), (unsigned long long)w->pfn, vma->mm->id,
			     (unsigned long long)addr);
		return 1;
	}
	*s = (struct found_slot){ pte, fs->gen };
	return 0;
}

/* a PTE the walk of its frame must find */
struct cq_pte {
	uint64_t pfn;              /* the frame it maps */
	const pte_t *pte;          /* the entry itself */
	struct vm_mm *mm;          /* where, for messages */
	uint64_t addr;
};

/*
 * One rmap walk of mapped frame pfn: it finds exactly mapcount distinct
 * PTEs, each mapping the frame, among them must[0..nmust).  With the
 * mapcount checked against the page tables, that is completeness.
 * => true if so; *lost when the host had no memory for the set.
 */
static bool frame_walk_sound(struct vm_machine *m, struct found_set *fs, uint64_t pfn,
			     const struct cq_pte *must, size_t nmust, bool *lost)
{
	struct vm_frame *f = pfn_frame(m, pfn);
	struct found_walk w = { m, fs, pfn, true };
	struct vm_stats saved = m->stats;

	if (!rmap_check_frame(m, f, m->why, sizeof(m->why)))
		return false;             /* (a scheme's per-frame state; its walk trusts it) */
	if (!found_reset(fs, (size_t)f->mapcount)) {
		*lost = true;
		return true;
	}
	rmap_walk(m, f, found_pte, &w);
	m->stats = saved;          /* checking is not work to count */
	if (!w.ok)
		return false;
	if (fs->n != (size_t)f->mapcount)
		return fail(m, "rmap: the %s walk of pfn %llu finds %zu PTEs, its mapcount is %d",
			    rmap_name(m), (unsigned long long)pfn, fs->n, f->mapcount);
	for (size_t j = 0; j < nmust; j++)
		if (found_slot(fs, must[j].pte)->gen != fs->gen)
			return fail(m, "rmap: the %s walk of pfn %llu does not find pid %d %#llx",
				    rmap_name(m), (unsigned long long)pfn, must[j].mm->id,
				    (unsigned long long)must[j].addr);
	return true;
}

/*
 * rmap completeness over the whole machine, with the page-table scan of
 * check_frames as the oracle: check_frames has seen that each frame's
 * mapcount is the number of PTEs that map it, so a walk that finds
 * mapcount distinct PTEs, each mapping the frame, finds them all.  Each
 * frame is walked once: the work is the number of PTEs, not its square.
 */
bool check_rmap(struct vm_machine *m)
{
	struct found_set fs = { 0 };
	bool ok = true, lost = false;

	for (uint64_t pfn = 1; ok && (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if (f->mapcount > 0 && !(f->flags & (PG_PGTABLE | PG_RESERVED)))
			ok = frame_walk_sound(m, &fs, pfn, NULL, 0, &lost);
		if (lost)
			ok = fail(m, "rmap: out of host memory for the checker");
	}
	free(fs.slot);
	return ok;
}

/*
 * A swap-cache frame against its slot: an anonymous page with an identity
 * (it has been mapped), which the cache holds at its slot.
 */
static bool swap_frame_sound(struct vm_machine *m, uint64_t pfn)
{
	struct vm_frame *f = pfn_frame(m, pfn);
	uint32_t slot = f->pad;

	if (!swap_enabled(m) || slot == 0 || slot >= m->swap.nr_slots ||
	    m->swap.cache[slot] != pfn)
		return fail(m, "swap: pfn %llu is in the swap cache at slot %u, which does not hold it",
			    (unsigned long long)pfn, slot);
	if (!(f->flags & PG_ANON) || (f->flags & (PG_CACHE | PG_LAZYFREE)) || !f->mapping)
		return fail(m, "swap: swap-cache pfn %llu is not a private anonymous page (flags %#x)",
			    (unsigned long long)pfn, f->flags);
	return rmap_check_frame(m, f, m->why, sizeof(m->why));
}

struct swap_state {
	struct vm_machine *m;
	uint32_t *seen;            /* swap entries found per slot */
	uint64_t nr;               /* swap entries of the mm being walked */
	bool ok;
};

/*
 * One swap entry of mm at addr, in VMA v (NULL: none), against what it may
 * be checked against alone: a private VMA, no stray bits, a slot in use
 * (or none: the poisoned entry).  => true if sound
 */
static bool swap_entry_sound(struct vm_machine *m, struct vm_mm *mm, struct vm_area *v,
			     uint64_t addr, pte_t pte)
{
	uint32_t slot = swp_slot(pte);

	if (!v || (v->flags & VM_SHARED) || (pte & ~(PTE_PFN_MASK | PTE_SWAP | PTE_SWP_EXCL)))
		return fail(m, "swap: pid %d %#llx: swap entry %#llx %s", mm->id,
			    (unsigned long long)addr, (unsigned long long)pte,
			    !v ? "outside any VMA" : (v->flags & VM_SHARED) ? "in a shared mapping"
			    : "has stray bits");
	if (slot && (!swap_enabled(m) || slot >= m->swap.nr_slots || !m->swap.map[slot]))
		return fail(m, "swap: pid %d %#llx names slot %u, which is not in use",
			    mm->id, (unsigned long long)addr, slot);
	return true;
}

/* --nonlinear: a file PTE lies only in a VM_NONLINEAR VMA and names no more
 * than an offset */
static bool file_pte_sound(struct vm_machine *m, struct vm_mm *mm, const struct vm_area *v,
			   uint64_t addr, pte_t pte)
{
	if (!v || !(v->flags & VM_NONLINEAR) || !v->file ||
	    (pte & ~(PTE_FILE | ((((1ULL << PTE_FILE_MAX_BITS) - 1)) << PAGE_SHIFT))))
		return fail(m, "page tables: pid %d %#llx: file PTE %#llx %s", mm->id,
			    (unsigned long long)addr, (unsigned long long)pte,
			    !v ? "outside any VMA" : !(v->flags & VM_NONLINEAR) ?
			    "in a linear VMA" : "has stray bits");
	return true;
}

static int check_swap_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct swap_state *s = arg;
	uint32_t slot;

	if (pte_file(*pte) && !file_pte_sound(s->m, mm, vma_lookup(mm, addr), addr, *pte)) {
		s->ok = false;
		return 1;
	}
	if (!pte_is_swap(*pte))
		return 0;
	if (!swap_entry_sound(s->m, mm, vma_lookup(mm, addr), addr, *pte)) {
		s->ok = false;
		return 1;
	}
	slot = swp_slot(*pte);
	if (slot) {                    /* a poisoned entry counts nowhere */
		s->seen[slot]++;
		s->nr++;
	}
	return 0;
}

/*
 * Swap: every slot's count is the number of swap entries that name it,
 * plus one when it is in the swap cache; the cache's frames say so and
 * are mapped or named by an entry; nr_used and each mm's nr_swap are
 * right; a frame that says it is in the swap cache is there.
 */
bool check_swap(struct vm_machine *m)
{
	struct vm_swap *sw = &m->swap;
	struct swap_state s = { .m = m, .ok = true };
	struct list_head *p;
	uint32_t used = 0;

	if (swap_enabled(m)) {
		s.seen = calloc(sw->nr_slots, sizeof(*s.seen));
		if (!s.seen)
			return fail(m, "swap: out of host memory for the checker");
	}
	list_for_each(p, &m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		s.nr = 0;
		if (walk_ptes_all(mm, 0, 1ULL << 47, check_swap_pte, &s))
			goto out;
		if (s.nr != mm->nr_swap) {
			s.ok = fail(m, "swap: pid %d has %llu swap entries, nr_swap says %llu", mm->id,
				    (unsigned long long)s.nr, (unsigned long long)mm->nr_swap);
			goto out;
		}
	}
	for (uint32_t slot = 0; slot < sw->nr_slots; slot++) {
		uint32_t pfn = sw->cache[slot];
		uint32_t want = s.seen[slot] + (pfn != FRAME_NIL);

		if (slot == 0 && (sw->map[0] || pfn != FRAME_NIL)) {
			s.ok = fail(m, "swap: the header slot 0 is in use");
			goto out;
		}
		if (sw->map[slot] != want) {
			s.ok = fail(m, "swap: slot %u has count %u, but %u swap entries name it%s",
				    slot, sw->map[slot], s.seen[slot],
				    pfn != FRAME_NIL ? " and it is in the swap cache" : "");
			goto out;
		}
		used += sw->map[slot] != 0;
		if (pfn == FRAME_NIL)
			continue;
		if (pfn >= m->nr_frames || !(pfn_frame(m, pfn)->flags & PG_SWAPCACHE) ||
		    pfn_frame(m, pfn)->pad != slot) {
			s.ok = fail(m, "swap: the swap cache holds pfn %u at slot %u, which does not point back",
				    pfn, slot);
			goto out;
		}
		if (!swap_frame_sound(m, pfn)) {
			s.ok = false;
			goto out;
		}
		if (!pfn_frame(m, pfn)->mapcount && !s.seen[slot]) {
			s.ok = fail(m, "swap: pfn %u stays in the swap cache at slot %u, unmapped and "
				    "named by no swap entry", pfn, slot);
			goto out;
		}
	}
	if (used != sw->nr_used) {
		s.ok = fail(m, "swap: %u slots in use, nr_used says %u", used, sw->nr_used);
		goto out;
	}
	/* and the other way: each frame in the swap cache is where it says */
	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if ((f->flags & PG_SWAPCACHE) && !swap_frame_sound(m, pfn)) {
			s.ok = false;
			goto out;
		}
	}
out:
	free(s.seen);
	return s.ok;
}

/* every page-cache entry points at a frame that says so, and back */
bool check_files(struct vm_machine *m)
{
	struct list_head *p;

	list_for_each(p, &m->files) {
		struct vm_file *file = list_entry(p, struct vm_file, node);
		uint64_t idx = 0, n = 0;
		uint32_t pfn;

		if (!radix_check(&file->cache, m->why, sizeof(m->why)))
			return false;
		if (!itree_check(&file->i_mmap, m->why, sizeof(m->why)) ||
		    !itree_check(&file->i_mmap_nonlinear, m->why, sizeof(m->why)))
			return false;
		while (radix_next(&file->cache, idx, UINT64_MAX, &idx, &pfn)) {
			struct vm_frame *f;

			if (pfn >= m->nr_frames)
				return fail(m, "page cache: %s page %#llx maps pfn %u beyond memory",
					    file->name, (unsigned long long)idx, pfn);
			f = pfn_frame(m, pfn);
			if (!(f->flags & PG_CACHE) || f->mapping != file || f->index != idx)
				return fail(m, "page cache: %s page %#llx: pfn %u does not point back",
					    file->name, (unsigned long long)idx, pfn);
			if (idx >= file_pages(file))
				return fail(m, "page cache: %s holds page %#llx beyond its end (%llu bytes)",
					    file->name, (unsigned long long)idx,
					    (unsigned long long)file->size);
			n++;
			if (idx == UINT64_MAX)
				break;
			idx++;
		}
		if (n != file->cache.count)
			return fail(m, "page cache: %s counts %llu pages, holds %llu", file->name,
				    (unsigned long long)file->cache.count, (unsigned long long)n);
		if (file->refcount <= 0)
			return fail(m, "page cache: %s has refcount %d", file->name, file->refcount);
	}
	return true;
}

bool check_machine(struct vm_machine *m)
{
	struct list_head *p;

	if (!check_free_lists(m))
		return false;
	list_for_each(p, &m->mms)
		if (!check_mm(list_entry(p, struct vm_mm, node)))
			return false;
	/* the scheme's own structure before any walk trusts it: a corrupted
	 * tree is reported, not walked */
	return check_files(m) && check_frames(m) &&
	       rmap_check_machine(m, m->why, sizeof(m->why)) && check_rmap(m) && check_swap(m);
}

/* ---------------- checking what changed ---------------- */

/*
 * For --check: after each event, check what the event changed rather than
 * the whole machine, so that checking costs in proportion to the work.
 * mm/ notes (check_note_*) every address range whose VMAs or PTEs it
 * changed, per mm; every frame whose counts, identity or freedom changed;
 * every file it truncated.  check_changes then checks:
 *
 *   - in each changed range, every VMA meeting it and its two neighbours,
 *     locally (vma_check_local: range, list, tree path, gaps; the file's
 *     i_mmap path and keys; the scheme's links), and every present PTE
 *     against its VMA (pte_sound, as the whole-machine check does), every
 *     swap entry too (swap_entry_sound: its slot in use);
 *   - each frame noted or mapped by one of those PTEs, once: its counts;
 *     free, it lies in a listed free block; in a page cache, the cache
 *     points back at it; mapped, one rmap walk of it finds exactly
 *     mapcount distinct PTEs, each really mapping it, among them every
 *     PTE of the changed ranges that maps it;
 *   - each truncated file: no page cached, and nothing mapped, past its end.
 *
 * What a local view cannot see (red-black heights, the counters rss,
 * nr_ptes, nr_pgtables, nr_swap and map_count, leaked page tables, whole
 * free lists, each swap slot's exact count) the whole-machine check sees, at `check` lines and at the end.
 * If a note cannot be kept (the host is out of memory), the next check is
 * a whole-machine one.
 */

struct vm_checkq {
	uint64_t *frames;          /* pfns noted since the last check */
	size_t nframes, cap_frames;
	struct vm_mm **mms;        /* mms with changed ranges (nr_changed > 0) */
	size_t nmms, cap_mms;
	struct vm_file **files;    /* files truncated (f->changed) */
	size_t nfiles, cap_files;
	struct cq_pte *seen;       /* scratch: the present PTEs of the changed ranges */
	size_t nseen, cap_seen;
	struct found_set found;    /* scratch: what one frame's rmap walk found */
	bool lost;                 /* a note was lost: check the whole machine */
};

/* make room for one more element; => false (nothing changed) if the host
 * has no memory */
static bool cq_room(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *a;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 64;
	a = realloc(*arr, ncap * size);
	if (!a)
		return false;
	*arr = a;
	*cap = ncap;
	return true;
}
#define CQ_PUSH(cq, arr, n, cap, val)						\
	do {									\
		void *a_ = (cq)->arr;						\
		if (!cq_room(&a_, (cq)->n, &(cq)->cap, sizeof(*(cq)->arr))) {	\
			(cq)->lost = true;					\
			break;							\
		}								\
		(cq)->arr = a_;							\
		(cq)->arr[(cq)->n++] = (val);					\
	} while (0)

int check_changes_start(struct vm_machine *m)
{
	if (!m->cq)
		m->cq = calloc(1, sizeof(*m->cq));
	return m->cq ? 0 : -12;
}

static void cq_reset(struct vm_machine *m, struct vm_checkq *cq)
{
	for (size_t i = 0; i < cq->nframes; i++)
		pfn_frame(m, cq->frames[i])->flags &= ~PG_CHECKQ;
	for (size_t i = 0; i < cq->nmms; i++)
		cq->mms[i]->nr_changed = 0;
	for (size_t i = 0; i < cq->nfiles; i++)
		cq->files[i]->changed = false;
	cq->nframes = cq->nmms = cq->nfiles = cq->nseen = 0;
	cq->lost = false;
}

void check_changes_stop(struct vm_machine *m)
{
	struct vm_checkq *cq = m->cq;

	if (!cq)
		return;
	cq_reset(m, cq);
	free(cq->frames);
	free(cq->mms);
	free(cq->files);
	free(cq->seen);
	free(cq->found.slot);
	free(cq);
	m->cq = NULL;
}

/* merge the ranges of mm that overlap or touch */
static void ranges_merge(struct vm_mm *mm)
{
	for (unsigned i = 0; i < mm->nr_changed; i++)
		for (unsigned j = i + 1; j < mm->nr_changed;) {
			struct vm_range *a = &mm->changed[i], *b = &mm->changed[j];

			if (b->start <= a->end && b->end >= a->start) {
				a->start = b->start < a->start ? b->start : a->start;
				a->end = b->end > a->end ? b->end : a->end;
				*b = mm->changed[--mm->nr_changed];
				j = i + 1;
			} else {
				j++;
			}
		}
}

void __check_note_range(struct vm_mm *mm, uint64_t start, uint64_t end)
{
	struct vm_checkq *cq = mm->machine->cq;
	const unsigned max = sizeof(mm->changed) / sizeof(mm->changed[0]);
	uint64_t best_growth = UINT64_MAX;
	unsigned best = 0;

	if (start >= end)
		return;
	if (!mm->nr_changed) {
		CQ_PUSH(cq, mms, nmms, cap_mms, mm);
		if (cq->lost)
			return;
	}
	for (unsigned i = 0; i < mm->nr_changed; i++) {
		struct vm_range *r = &mm->changed[i];

		if (start <= r->end && end >= r->start) {
			r->start = start < r->start ? start : r->start;
			r->end = end > r->end ? end : r->end;
			ranges_merge(mm);
			return;
		}
	}
	if (mm->nr_changed < max) {
		mm->changed[mm->nr_changed++] = (struct vm_range){ start, end };
		return;
	}
	/* all taken: widen the range that grows least */
	for (unsigned i = 0; i < max; i++) {
		struct vm_range *r = &mm->changed[i];
		uint64_t lo = start < r->start ? start : r->start;
		uint64_t hi = end > r->end ? end : r->end;
		uint64_t growth = (hi - lo) - (r->end - r->start);

		if (growth < best_growth) {
			best_growth = growth;
			best = i;
		}
	}
	if (start < mm->changed[best].start)
		mm->changed[best].start = start;
	if (end > mm->changed[best].end)
		mm->changed[best].end = end;
	ranges_merge(mm);
}

void __check_note_frame(struct vm_machine *m, uint64_t pfn)
{
	struct vm_checkq *cq = m->cq;

	CQ_PUSH(cq, frames, nframes, cap_frames, pfn);
	if (!cq->lost)
		pfn_frame(m, pfn)->flags |= PG_CHECKQ;
}

void __check_note_file(struct vm_file *f)
{
	struct vm_checkq *cq = f->machine->cq;

	CQ_PUSH(cq, files, nfiles, cap_files, f);
	if (!cq->lost)
		f->changed = true;
}

void check_forget_mm(struct vm_mm *mm)
{
	struct vm_checkq *cq = mm->machine->cq;

	if (!cq || !mm->nr_changed)
		return;
	for (size_t i = 0; i < cq->nmms; i++)
		if (cq->mms[i] == mm) {
			cq->mms[i] = cq->mms[--cq->nmms];
			break;
		}
	mm->nr_changed = 0;
}

void check_forget_file(struct vm_file *f)
{
	struct vm_checkq *cq = f->machine->cq;

	if (!cq || !f->changed)
		return;
	for (size_t i = 0; i < cq->nfiles; i++)
		if (cq->files[i] == f) {
			cq->files[i] = cq->files[--cq->nfiles];
			break;
		}
	f->changed = false;
}

struct cq_walk {
	struct vm_machine *m;
	struct vm_checkq *cq;
	struct vm_area *vma;       /* the VMA holding the last PTE seen */
	bool ok;
};

static int cq_seen_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct cq_walk *w = arg;
	bool counts;

	if (!w->vma || addr >= w->vma->end)
		w->vma = find_vma(mm, addr);
	if (!w->vma || w->vma->start > addr) {
		w->ok = fail(w->m, "page tables: pid %d maps %#llx outside any VMA", mm->id,
			     (unsigned long long)addr);
		return 1;
	}
	if (pte_is_swap(*pte)) {
		/* its slot's count is the whole-machine check's */
		w->ok = swap_entry_sound(w->m, mm, w->vma, addr, *pte);
		return !w->ok;
	}
	if (pte_file(*pte)) {
		w->ok = file_pte_sound(w->m, mm, w->vma, addr, *pte);
		return !w->ok;
	}
	if (!pte_sound(w->m, mm, w->vma, addr, *pte, &counts)) {
		w->ok = false;
		return 1;
	}
	if (counts)
		CQ_PUSH(w->cq, seen, nseen, cap_seen,
			((struct cq_pte){ pte_pfn(*pte), pte, mm, addr }));
	return 0;
}

/* the VMAs meeting each changed range of each mm, their neighbours, and
 * the PTEs of the ranges (into cq->seen) */
static bool check_changed_mms(struct vm_machine *m, struct vm_checkq *cq)
{
	for (size_t i = 0; i < cq->nmms; i++) {
		struct vm_mm *mm = cq->mms[i];

		for (unsigned j = 0; j < mm->nr_changed; j++) {
			struct vm_range r = mm->changed[j];
			struct vm_area *v = find_vma(mm, r.start);
			struct cq_walk w = { m, cq, NULL, true };

			v = v ? (v->prev ? v->prev : v) : vma_last(mm);
			for (; v; v = v->next) {
				if (!vma_check_local(v, m->why, sizeof(m->why)) ||
				    !vma_links_sound(m, v, true))
					return false;
				if (v->start >= r.end)
					break;   /* the neighbour after the range */
			}
			walk_ptes_all(mm, r.start, r.end, cq_seen_pte, &w);
			if (!w.ok)
				return false;
		}
	}
	return true;
}

static int cq_any_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	return 1;
}

struct cq_eof {
	struct vm_machine *m;
	struct vm_file *f;           /* the truncated file */
	uint64_t eof;                /* its pages */
	uint64_t addr;               /* out: where a stale page is mapped */
};

/* a PTE of a nonlinear VMA of e->f that maps no page of it below eof (the
 * page was dropped from the cache, or lies past the end) */
static int cq_past_eof(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct cq_eof *e = arg;
	struct vm_frame *f = pfn_frame(e->m, pte_pfn(*pte));

	if ((f->flags & PG_CACHE) && f->mapping == e->f && f->index < e->eof)
		return 0;
	e->addr = addr;
	return 1;
}

/* a truncated file: nothing cached or mapped past its end */
static bool check_changed_files(struct vm_machine *m, struct vm_checkq *cq)
{
	for (size_t i = 0; i < cq->nfiles; i++) {
		struct vm_file *f = cq->files[i];
		uint64_t eof = file_pages(f), idx;
		uint32_t pfn;
		struct itree_node *it;

		if (radix_next(&f->cache, eof, UINT64_MAX, &idx, &pfn))
			return fail(m, "page cache: %s holds page %#llx beyond its end (%llu bytes)",
				    f->name, (unsigned long long)idx, (unsigned long long)f->size);
		for (it = itree_iter_first(&f->i_mmap, eof, UINT64_MAX); it;
		     it = itree_iter_next(it, eof, UINT64_MAX)) {
			struct vm_area *v = container_of(it, struct vm_area, shared);
			uint64_t from = v->pgoff >= eof ? v->start
					: v->start + ((eof - v->pgoff) << PAGE_SHIFT);

			if (walk_ptes(v->mm, from, v->end, cq_any_pte, NULL))
				return fail(m, "truncate: pid %d maps a page of %s past its end (%llu bytes) in [%#llx,%#llx)",
					    v->mm->id, f->name, (unsigned long long)f->size,
					    (unsigned long long)from, (unsigned long long)v->end);
		}
		/* --nonlinear: every present PTE of a nonlinear VMA (seed 004 (a)) */
		for (it = itree_iter_first(&f->i_mmap_nonlinear, 0, UINT64_MAX); it;
		     it = itree_iter_next(it, 0, UINT64_MAX)) {
			struct vm_area *v = container_of(it, struct vm_area, shared);
			struct cq_eof e = { m, f, eof, 0 };

			if (walk_ptes(v->mm, v->start, v->end, cq_past_eof, &e))
				return fail(m, "truncate: pid %d maps a page of %s past its "
					    "end (%llu bytes) at %#llx, in nonlinear VMA "
					    "[%#llx,%#llx)",
					    v->mm->id, f->name, (unsigned long long)f->size,
					    (unsigned long long)e.addr, (unsigned long long)v->start,
					    (unsigned long long)v->end);
		}
	}
	return true;
}

/* PTEs by the frame they map */
static int cq_cmp_pte(const void *a, const void *b)
{
	const struct cq_pte *x = a, *y = b;

	return (x->pfn > y->pfn) - (x->pfn < y->pfn);
}

static int cq_cmp_pfn(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

/*
 * One frame, and the PTEs of the changed ranges that map it
 * (seen[0..nseen)).
 */
static bool check_changed_frame(struct vm_machine *m, struct vm_checkq *cq, uint64_t pfn,
				const struct cq_pte *seen, size_t nseen)
{
	struct vm_frame *f = pfn_frame(m, pfn);

	if (f->flags & (PG_PGTABLE | PG_SLAB))   /* a page table or a slab: the full */
		return lowmem_check_frame(m, pfn, m->why, sizeof(m->why)); /* check's, but its zone */
	if (f->refcount == 0) {
		if (f->mapcount || (f->flags & (PG_ANON | PG_CACHE)))
			return fail(m, "frames: free pfn %llu has mapcount %d flags %#x",
				    (unsigned long long)pfn, f->mapcount, f->flags);
		return buddy_check_free(m, pfn, m->why, sizeof(m->why));
	}
	if (f->flags & (PG_BUDDY | PG_RESERVED) ||
	    f->refcount != f->mapcount + ((f->flags & PG_CACHE) ? 1 : 0) +
			   ((f->flags & PG_SWAPCACHE) ? 1 : 0) ||
	    !(f->flags & (PG_ANON | PG_CACHE)) || !f->mapping)
		return fail(m, "frames: pfn %llu has mapcount %d refcount %d flags %#x%s",
			    (unsigned long long)pfn, f->mapcount, f->refcount, f->flags,
			    f->mapcount || (f->flags & (PG_CACHE | PG_SWAPCACHE)) ? ""
			    : " (leaked frame)");
	if ((f->flags & PG_SWAPCACHE) && !swap_frame_sound(m, pfn))
		return false;
	if (f->flags & PG_CACHE) {
		struct vm_file *file = f->mapping;

		if (f->index >= file_pages(file) || radix_lookup(&file->cache, f->index) != pfn)
			return fail(m, "page cache: pfn %llu says it is page %#llx of %s, which does not hold it",
				    (unsigned long long)pfn, (unsigned long long)f->index, file->name);
	}
	if (!(f->flags & PG_LRU))
		return fail(m, "lru: page pfn %llu (flags %#x) is on no LRU list",
			    (unsigned long long)pfn, f->flags);
	if (!check_lru_frame(m, pfn))
		return false;
	return frame_walk_sound(m, &cq->found, pfn, seen, nseen, &cq->lost);
}

/* every frame noted or seen, once */
static bool check_changed_frames(struct vm_machine *m, struct vm_checkq *cq)
{
	size_t i = 0, s = 0;

	if (cq->nseen > 1)
		qsort(cq->seen, cq->nseen, sizeof(*cq->seen), cq_cmp_pte);
	if (cq->nframes > 1)
		qsort(cq->frames, cq->nframes, sizeof(*cq->frames), cq_cmp_pfn);
	while (i < cq->nframes || s < cq->nseen) {
		uint64_t pfn = i < cq->nframes && (s == cq->nseen || cq->frames[i] <= cq->seen[s].pfn)
			       ? cq->frames[i] : cq->seen[s].pfn;
		size_t s0 = s;

		while (i < cq->nframes && cq->frames[i] == pfn)
			i++;
		while (s < cq->nseen && cq->seen[s].pfn == pfn)
			s++;
		if (!check_changed_frame(m, cq, pfn, cq->seen + s0, s - s0))
			return false;
		if (cq->lost)
			return true;
	}
	return true;
}

bool check_changes(struct vm_machine *m)
{
	struct vm_checkq *cq = m->cq;
	struct vm_stats saved = m->stats;
	bool ok;

	if (!cq)
		return check_machine(m);
	ok = cq->lost || (check_changed_mms(m, cq) && check_changed_files(m, cq) &&
			  check_changed_frames(m, cq));
	if (ok && cq->lost)
		ok = check_machine(m);
	m->stats = saved;          /* checking is not work to count */
	cq_reset(m, cq);
	return ok;
}
