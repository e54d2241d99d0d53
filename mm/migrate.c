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

/* a page whose frame compaction may empty: not pinned (no reference but
 * its PTEs' and its cache's), on no unevictable list */
static bool frame_free_to_go(const struct vm_frame *f)
{
	if (f->flags & (PG_RESERVED | PG_PGTABLE | PG_SLAB | PG_MLOCKED | PG_UNEVICTABLE))
		return false;
	if ((f->flags & (PG_ANON | PG_SWAPCACHE)) == PG_ANON)
		return f->mapcount > 0 && f->refcount == f->mapcount;
	if (f->flags & (PG_SWAPCACHE | PG_CACHE))
		return f->refcount == f->mapcount + 1;
	return false;
}

/* what emptying a candidate block costs: its pages (frames in use), and
 * the PTEs that map them (the rmap's work) */
struct block_cost {
	uint64_t pages;              /* frames in use */
	uint64_t ptes;               /* their map counts */
	uint64_t free;               /* free frames in it */
};

/*
 * => true when every frame of the aligned block [start, +2^order) is free
 *    or a page compaction may move or evict (frame_free_to_go); *c what
 *    emptying it costs
 */
static bool block_candidate(struct vm_machine *m, uint64_t start, unsigned order,
			    struct block_cost *c)
{
	memset(c, 0, sizeof(*c));
	for (uint64_t pfn = start; pfn < start + (1ULL << order); pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (pfn >= m->defer_lo && pfn < m->defer_hi) {
			c->free++;
			continue;
		}
		if (f->flags & PG_BUDDY) {
			uint64_t n = 1ULL << (f->flags >> PG_ORDER_SHIFT);

			c->free += n;
			pfn += n - 1;
			continue;
		}
		if (!frame_free_to_go(f))
			return false;
		c->pages++;
		c->ptes += (uint64_t)f->mapcount;
	}
	return true;
}

/* is there a free block of order (or larger)? */
static bool block_free(struct vm_machine *m, unsigned order)
{
	for (unsigned o = order; o <= MAX_ORDER; o++)
		if (m->free[o].nr)
			return true;
	return m->defer_hi > m->defer_lo;      /* a deferred MAX_ORDER block is free */
}

/*
 * The cheapest candidate block: the fewest pages to move (then the fewest
 * PTEs, then the lowest); evictable only: every page of it one targeted
 * eviction may take.  => its start, or UINT64_MAX
 */
static uint64_t cheapest_block(struct vm_machine *m, unsigned order, struct block_cost *best)
{
	uint64_t size = 1ULL << order, found = UINT64_MAX;
	struct block_cost c;

	/* --lowmem: user pages' blocks are the high zone's (m->free is its) */
	for (uint64_t start = (m->low.end + size - 1) & ~(size - 1); start + size <= m->nr_frames;
	     start += size) {
		if (!block_candidate(m, start, order, &c))
			continue;
		if (found == UINT64_MAX || c.pages < best->pages ||
		    (c.pages == best->pages && c.ptes < best->ptes)) {
			found = start;
			*best = c;
		}
	}
	return found;
}

/* migrate the pages of the block at start (its free frames isolated, so
 * that none is a target); => 0, or -ENOMEM when a target could not be had
 * (what moved stays moved) */
static int migrate_block(struct vm_machine *m, uint64_t start, unsigned order)
{
	int err = 0;

	buddy_isolate(m, start, order);
	for (uint64_t pfn = start; pfn < start + (1ULL << order) && !err; pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (!f->refcount)
			continue;
		err = migrate_frame(m, (uint32_t)pfn);
		m->stats.compact_migrated += !err;
	}
	buddy_unisolate(m, start, order);
	return err;
}

/* targeted eviction (seed 003's "intelligently chosen swapping", Linux
 * 2.6.23's lumpy reclaim): every page of the block at start goes through
 * its reverse map; => the pages evicted */
static uint64_t evict_block(struct vm_machine *m, uint64_t start, unsigned order)
{
	uint64_t n = 0;

	for (uint64_t pfn = start; pfn < start + (1ULL << order); pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (!f->refcount || (f->flags & PG_BUDDY))
			continue;
		n += mm_evict_page(m, f);
	}
	m->stats.compact_evicted += n;
	return n;
}

/*
 * compact <order>.  A free block of the order is the answer if there is
 * one (--lowmem: in the high zone, where user pages are; the low zone's
 * frames are kernel metadata's).  Else compaction: the candidate block (free frames and pages that
 * may move: anonymous, swap-cache and page-cache pages nobody pins, none
 * mlocked, as Linux with vm.compact_unevictable_allowed = 0) with the
 * fewest pages is emptied by migration, if the frames outside it can take
 * them above the min watermark.  When it cannot (memory is short), and
 * the machine says so (m->compact_evict), pages are evicted:
 *   COMPACT_EVICT_LRU       as Linux's direct reclaim: a batch from the
 *                           LRU lists' tails, then compaction again, until
 *                           a block is had or reclaim frees nothing
 *   COMPACT_EVICT_TARGETED  the cheapest candidate block's own pages,
 *                           each through the reverse map (lumpy reclaim)
 * => 0, or -ENOMEM: no candidate block at all (every block holds a page
 *    table, a slab, a pinned or an mlocked page), or none could be emptied
 */
int mm_compact(struct vm_machine *m, unsigned order)
{
	struct block_cost c;
	uint64_t start;

	if (order > MAX_ORDER)
		return -12;       /* no such block can exist */
	m->stats.compact_runs++;
	for (int round = 0; round < 64; round++) {
		if (block_free(m, order))
			goto ok;
		start = cheapest_block(m, order, &c);
		if (start == UINT64_MAX)
			break;            /* nothing can move: truly cannot */
		/* the high zone's free frames outside the block, above its min */
		if (m->nr_free - m->low.nr_free >= c.free + (m->wmark_min - m->low.wmark_min) +
		    c.pages) {
			if (!migrate_block(m, start, order))
				goto ok;
			continue;         /* a target failed (injected): look again */
		}
		if (m->compact_evict == COMPACT_EVICT_TARGETED) {
			/* a block that gave nothing up (no swap, swap full, a
			 * page locked meanwhile) will not do better again */
			if (!evict_block(m, start, order))
				break;
		} else if (m->compact_evict == COMPACT_EVICT_LRU) {
			uint64_t freed = mm_reclaim(m, 32);

			m->stats.compact_evicted += freed;
			if (!freed)
				break;
		} else {
			break;
		}
	}
	m->stats.compact_fail++;
	return -12;
ok:
	m->stats.compact_success++;
	return 0;
}
