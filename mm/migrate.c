/*
 * mm/migrate.c - page migration and compaction.
 *
 * compact <order> asks for a free, aligned block of 2^order frames.  If the
 * buddy allocator has none, we pick the lowest aligned block holding only
 * free frames and movable pages (anonymous, swap-cache and page-cache pages
 * that nobody pins: not page tables, not the zero page), take its free frames off the free lists, and
 * migrate each of its pages: copy it to a new frame and, through the
 * reverse map, point every PTE that mapped the old frame at the new one
 * (and the page cache, for a file page).  The emptied block
 * is then one free block, which compaction frees again at once.
 */
#include <string.h>
#include "mm.h"
#include "../rmap/rmap.h"

struct remap {
	uint64_t old_pfn, new_pfn;
	int found;                 /* PTEs repointed so far */
	int want;                  /* the map count: the walk stops there, as
				      try_to_migrate's does when the folio is unmapped */
};

static int remap_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct remap *r = arg;

	*pte = (*pte & ~PTE_PFN_MASK) | (r->new_pfn << PAGE_SHIFT);
	check_note_pte(vma->mm, addr);
	r->found++;
	return r->found == r->want;
}

/* move one page (anonymous, swap-cache or page-cache) to a new frame;
 * => 0 or -ENOMEM */
static int migrate_frame(struct vm_machine *m, uint32_t pfn)
{
	struct vm_frame *old = pfn_frame(m, pfn), *nf;
	struct remap r = { pfn, 0, 0, old->mapcount };
	uint32_t npfn = __frames_alloc(m, 0, false);

	if (npfn == FRAME_NIL)
		return -12;
	check_note_frame(m, pfn);
	nf = pfn_frame(m, npfn);
	memcpy(pfn_data(m, npfn), pfn_data(m, pfn), PAGE_SIZE);
	r.new_pfn = npfn;
	if (old->mapcount) {              /* an unmapped swap-cache page has no PTE */
		m->stats.walks_migrate++;
		rmap_walk(m, old, remap_one, &r);
	}
	VM_BUG_ON(r.found != old->mapcount);
	if (old->flags & PG_CACHE)
		file_replace_page(old->mapping, old->index, npfn);
	else if (old->flags & PG_SWAPCACHE)
		m->swap.cache[old->pad] = npfn;   /* folio_migrate_mapping: the slot follows */
	bool listed = old->flags & PG_LRU;

	lru_del(m, old);
	*nf = *old;
	nf->flags &= ~PG_CHECKQ;
	nf->next = nf->prev = FRAME_NIL;
	if (listed)
		lru_insert(m, nf);         /* putback: the list's head */
	rmap_repoint(m, old, nf);
	check_note_frame(m, npfn);
	memset(old, 0, sizeof(*old));
	old->next = old->prev = FRAME_NIL;
	return 0;
}

static bool block_movable(struct vm_machine *m, uint64_t start, unsigned order)
{
	for (uint64_t pfn = start; pfn < start + (1ULL << order); pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if (f->flags & (PG_RESERVED | PG_PGTABLE))
			return false;
		if ((f->flags & PG_ANON) && f->mapcount > 0 && f->refcount == f->mapcount)
			continue;
		/* a swap-cache page, mapped or not: the cache's reference too */
		if ((f->flags & (PG_ANON | PG_SWAPCACHE)) == (PG_ANON | PG_SWAPCACHE) &&
		    f->refcount == f->mapcount + 1)
			continue;
		if ((f->flags & PG_CACHE) && f->refcount == f->mapcount + 1)
			continue;
		return false;
	}
	return true;
}

int mm_compact(struct vm_machine *m, unsigned order)
{
	uint64_t size = 1ULL << order;

	if (order > MAX_ORDER)
		return -12;       /* no such block can exist */
	for (unsigned o = order; o <= MAX_ORDER; o++)
		if (m->free[o].nr)
			return 0;
	if (m->defer_hi > m->defer_lo)
		return 0;                 /* a deferred MAX_ORDER block is free */
	for (uint64_t start = 0; start + size <= m->nr_frames; start += size) {
		if (!block_movable(m, start, order))
			continue;
		buddy_isolate(m, start, order);
		for (uint64_t pfn = start; pfn < start + size; pfn++) {
			struct vm_frame *f = pfn_frame(m, pfn);

			if (f->refcount && migrate_frame(m, (uint32_t)pfn)) {
				/* give back what was isolated and stop */
				buddy_unisolate(m, start, order);
				return -12;
			}
		}
		buddy_unisolate(m, start, order);
		return 0;
	}
	return -12;
}
