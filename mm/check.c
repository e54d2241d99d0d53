/*
 * mm/check.c - whole-structure checkers.
 *
 * Each returns true when the structure is sound, and otherwise writes into
 * m->why what is wrong, naming the structure ("free lists: ...", "page
 * tables: ...", "frames: ...", "rmap: ...").  They recompute everything
 * from scratch (the brute-force page-table scan is the oracle), so they are
 * slow and meant for --check, `check` lines, tests and the fuzzer.
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

bool check_free_lists(struct vm_machine *m)
{
	uint64_t total = 0;

	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		uint64_t n = 0;
		uint32_t prev = FRAME_NIL;

		for (uint32_t pfn = m->free[o].head; pfn != FRAME_NIL;
		     prev = pfn, pfn = pfn_frame(m, pfn)->next) {
			struct vm_frame *f = pfn_frame(m, pfn);

			if (pfn >= m->nr_frames || pfn + (1ULL << o) > m->nr_frames)
				return fail(m, "free lists: order %u block %u out of range", o, pfn);
			if (!(f->flags & PG_BUDDY) || (f->flags >> PG_ORDER_SHIFT) != o)
				return fail(m, "free lists: pfn %u on order %u list is not a free block of that order", pfn, o);
			if (pfn & ((1u << o) - 1))
				return fail(m, "free lists: pfn %u misaligned for order %u", pfn, o);
			if (f->prev != prev)
				return fail(m, "free lists: pfn %u has a bad prev link", pfn);
			if (f->refcount || f->mapcount)
				return fail(m, "free lists: free pfn %u has refcount %d mapcount %d", pfn, f->refcount, f->mapcount);
			if (++n > m->free[o].nr)
				return fail(m, "free lists: order %u holds more blocks than counted (%llu)", o, (unsigned long long)m->free[o].nr);
		}
		if (n != m->free[o].nr)
			return fail(m, "free lists: order %u has %llu blocks, counted %llu", o,
				    (unsigned long long)n, (unsigned long long)m->free[o].nr);
		total += n << o;
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

static int check_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct pt_state *s = arg;
	struct vm_machine *m = s->m;
	struct vm_area *v = s->vma;
	uint64_t pfn = pte_pfn(*pte);
	struct vm_frame *f;

	s->ptes++;
	if (pfn >= m->nr_frames) {
		s->ok = fail(m, "page tables: pid %d %#llx maps pfn %llu beyond memory", mm->id,
			     (unsigned long long)addr, (unsigned long long)pfn);
		return 1;
	}
	if (!vma_is_accessible(v) != !!(*pte & PTE_PROTNONE) ||
	    ((*pte & PTE_WRITE) && !(v->flags & VM_WRITE)) ||
	    !!(*pte & PTE_PKEY_MASK) != (vma_is_accessible(v) && vma_pkey_exec_only(v, m->pkeys))) {
		s->ok = fail(m, "page tables: pid %d %#llx: PTE %#llx disagrees with VMA protection",
			     mm->id, (unsigned long long)addr, (unsigned long long)*pte);
		return 1;
	}
	if (pfn == m->zero_pfn) {
		if (*pte & PTE_WRITE) {
			s->ok = fail(m, "page tables: pid %d %#llx maps the zero page writable",
				     mm->id, (unsigned long long)addr);
			return 1;
		}
		return 0;
	}
	f = pfn_frame(m, pfn);
	if (f->flags & (PG_BUDDY | PG_PGTABLE | PG_RESERVED) || f->refcount <= 0) {
		s->ok = fail(m, "page tables: pid %d %#llx maps pfn %llu that is not a user page (flags %#x ref %d)",
			     mm->id, (unsigned long long)addr, (unsigned long long)pfn, f->flags, f->refcount);
		return 1;
	}
	{
		uint64_t idx = v->pgoff + ((addr - v->start) >> PAGE_SHIFT);

		/* nothing, not even a private copy, is mapped past the end of a
		 * file: a fault there is SIGBUS and truncate unmaps it all */
		if (v->file && idx >= file_pages(v->file)) {
			s->ok = fail(m, "page tables: pid %d %#llx maps page %#llx of %s, beyond its end (%llu bytes)",
				     mm->id, (unsigned long long)addr, (unsigned long long)idx,
				     v->file->name, (unsigned long long)v->file->size);
			return 1;
		}
		if (f->flags & PG_ANON) {
			if ((v->flags & VM_SHARED) || f->index != idx || !f->mapping) {
				s->ok = fail(m, "page tables: pid %d %#llx: anon page pfn %llu has index %#llx, VMA says %#llx",
					     mm->id, (unsigned long long)addr, (unsigned long long)pfn,
					     (unsigned long long)f->index, (unsigned long long)idx);
				return 1;
			}
			if (((*pte & PTE_WRITE) || (f->flags & PG_ANON_EXCL)) && f->mapcount != 1) {
				s->ok = fail(m, "page tables: pid %d %#llx: anon page mapped %d times is %s",
					     mm->id, (unsigned long long)addr, f->mapcount,
					     (*pte & PTE_WRITE) ? "writable" : "marked exclusive");
				return 1;
			}
		} else if (!(f->flags & PG_CACHE) || f->mapping != v->file || f->index != idx) {
			s->ok = fail(m, "page tables: pid %d %#llx maps pfn %llu, which is not page %#llx of the VMA's file",
				     mm->id, (unsigned long long)addr, (unsigned long long)pfn,
				     (unsigned long long)idx);
			return 1;
		} else if ((*pte & PTE_WRITE) && !(v->flags & VM_SHARED)) {
			s->ok = fail(m, "page tables: pid %d %#llx: file page writable in a private mapping",
				     mm->id, (unsigned long long)addr);
			return 1;
		}
	}
	s->rss++;
	s->maps[pfn]++;
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
	for (v = mm->first; v; v = v->next) {
		if (v->file && (v->shared.start != v->pgoff ||
				v->shared.last != v->pgoff + vma_pages(v) - 1))
			return fail(m, "i_mmap: [%#llx,%#llx) of %s is keyed by a stale range",
				    (unsigned long long)v->start, (unsigned long long)v->end,
				    v->file->name);
		if (!m->rmap->check_vma(v, m->why, sizeof(m->why)))
			return false;
	}
	return true;
}

bool check_frames(struct vm_machine *m)
{
	struct pt_state s = { .m = m, .ok = true };
	struct list_head *p;
	uint64_t pgtables = 0, used = 0;
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
		if (f->flags & PG_PGTABLE) {
			pgtables--;
			if (f->refcount != 1 || f->mapcount) {
				ok = fail(m, "frames: page table pfn %llu has refcount %d mapcount %d",
					  (unsigned long long)pfn, f->refcount, f->mapcount);
				goto out;
			}
			continue;
		}
		if (f->mapcount != s.maps[pfn] ||
		    f->refcount != f->mapcount + ((f->flags & PG_CACHE) ? 1 : 0)) {
			ok = fail(m, "frames: pfn %llu has mapcount %d refcount %d, but %d PTEs map it%s",
				  (unsigned long long)pfn, f->mapcount, f->refcount, s.maps[pfn],
				  s.maps[pfn] || (f->flags & PG_CACHE) ? "" : " (leaked frame)");
			goto out;
		}
	}
	if (pgtables != 0) {
		ok = fail(m, "frames: page-table frames and per-mm page-table counts disagree");
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

struct rmap_find {
	struct vm_mm *mm;
	uint64_t addr;
	bool found;
};

static int rmap_found(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct rmap_find *rf = arg;

	if (vma->mm == rf->mm && addr == rf->addr) {
		rf->found = true;
		return 1;
	}
	return 0;
}

struct rmap_state {
	struct vm_machine *m;
	bool ok;
};

static int rmap_check_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct rmap_state *s = arg;
	struct vm_machine *m = s->m;
	uint64_t pfn = pte_pfn(*pte);
	struct rmap_find rf = { mm, addr, false };
	struct vm_stats saved = m->stats;

	if (pfn == m->zero_pfn)
		return 0;
	rmap_walk(m, pfn_frame(m, pfn), rmap_found, &rf);
	m->stats = saved;            /* checking is not work to count */
	if (!rf.found) {
		s->ok = fail(m, "rmap: the %s walk of pfn %llu does not find pid %d %#llx",
			     m->rmap->name, (unsigned long long)pfn, mm->id, (unsigned long long)addr);
		return 1;
	}
	return 0;
}

bool check_rmap(struct vm_machine *m)
{
	struct rmap_state s = { m, true };
	struct list_head *p;

	list_for_each(p, &m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);
		struct vm_area *v;

		for (v = mm->first; v && s.ok; v = v->next)
			walk_ptes(mm, v->start, v->end, rmap_check_pte, &s);
		if (!s.ok)
			return false;
	}
	return true;
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
		if (!itree_check(&file->i_mmap, m->why, sizeof(m->why)))
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
	return check_files(m) && check_frames(m) && check_rmap(m);
}
