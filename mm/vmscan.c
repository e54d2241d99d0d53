/*
 * mm/vmscan.c - reclaim: free pages page by page, from the tails of the LRU
 * lists (mm/lru.c), finding every mapping of each through the reverse map.
 *
 * This is what the reverse map exists for.  As Linux's shrink_node (the
 * classic two-list LRU):
 *
 *   - each round, at priority 12 down to 0, looks at (list size >> priority)
 *     pages of each evictable list (the whole list at 0; a page often needs
 *     three looks: marked, written back, reclaimed, so one pass may free
 *     nothing and the caller asks again, as the page allocator retries):
 *     file pages always, anonymous pages only when they can go somewhere
 *     (swap; lazily freed anonymous pages are on the file lists and are
 *     simply dropped);
 *   - an active list is aged into its inactive list when the inactive one
 *     is low (inactive * sqrt(10 * GiB) < active): a page leaves the active
 *     tail for the inactive head unless it is a referenced page of an
 *     executable file mapping (shrink_active_list);
 *   - an inactive page (shrink_folio_list) is first checked for references
 *     (folio_referenced: one rmap walk that tests and clears the accessed
 *     bit of every PTE mapping it, and notices a VM_LOCKED mapping):
 *       mapped by a VM_LOCKED VMA, or PG_MLOCKED  -> the unevictable list
 *       referenced through PTEs: marked PG_REFERENCED; activated if it was
 *         marked already, if two or more PTEs were young, or if it is an
 *         executable file page; else kept (back to the inactive head)
 *       not referenced, but marked: a file page is reclaimed if clean; a
 *         dirty one is written back first (page_mkclean: every PTE made
 *         clean and read-only through the rmap, so that the next write
 *         faults and dirties it again) and kept
 *       otherwise reclaimed: unmapped everywhere through the rmap
 *         (try_to_unmap, which moves dirty bits to the page), a dirty file
 *         page written to its file's backing store, then freed;
 *   - a lazily freed anonymous page (MADV_FREE) that was written again
 *     (a dirty PTE or page) becomes an ordinary anonymous page again.
 *
 * An anonymous page goes to swap when there is swap (swap_out_page,
 * mm/swap.c: every PTE becomes a swap entry, the page is written and
 * freed); without swap, anonymous and shared anonymous (shmem) pages are
 * not reclaimable, as in Linux (shmem swap is not modelled).  Under the
 * LRU policy nothing here scans page tables: every PTE is found through
 * rmap_walk, so the work is the scheme's, counted in the walk statistics
 * (by reason: walks_referenced, walks_unmap, walks_mkclean); the virtual
 * policy below is the other way.
 *
 * With --lowmem, a metadata allocation that found the low zone short sets
 * low.reclaim (mm/frame.c), and reclaim then frees only low-zone pages, as
 * 2.6's try_to_free_pages for ZONE_NORMAL shrank that zone's LRU (today's
 * isolate_lru_folios skips folios above sc->reclaim_idx): a high page at a
 * list's tail is rotated past, the virtual scan leaves its PTEs alone.
 * Metadata itself (page tables, pte_chains, VMAs) is never reclaimed, so
 * lowmem full of it ends in the OOM killer.  kswapd balances the low zone
 * to its own high watermark the same way.
 */
#include <errno.h>
#include "mm.h"
#include "../rmap/rmap.h"

#define DEF_PRIORITY 12
#define MAX_RECLAIM_RETRIES 16

struct scan_ctl {
	uint64_t want;             /* pages to free */
	uint64_t freed;            /* pages freed so far */
	bool no_rmap;              /* RECLAIM_VIRTUAL's LRU pass: mapped pages are
				      passed over, never walked */
};

/* what one folio_referenced walk saw */
struct refs {
	int young;                 /* PTEs whose accessed bit was set (now clear) */
	bool locked;               /* a VM_LOCKED VMA maps it (the walk stopped) */
	bool exec;                 /* a VM_EXEC VMA maps it */
	bool dirty;                /* a PTE is dirty (a lazily freed page written
				      again: try_to_unmap_one would find it so) */
	int left;                  /* PTEs not seen yet: the walk stops at 0, as
				      folio_referenced_one's pra->mapcount does */
};

static int referenced_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct refs *r = arg;

	if (vma->flags & VM_LOCKED) {
		r->locked = true;
		return 1;
	}
	if (*pte & PTE_ACCESSED) {
		*pte &= ~PTE_ACCESSED;
		check_note_pte(vma->mm, addr);
		r->young++;
	}
	if (vma->flags & VM_EXEC)
		r->exec = true;
	if (*pte & PTE_DIRTY)
		r->dirty = true;
	return --r->left == 0;
}

static struct refs page_referenced(struct vm_machine *m, struct vm_frame *f)
{
	struct refs r = { 0, false, false, false, f->mapcount };

	if (f->mapcount > 0) {
		m->stats.walks_referenced++;
		rmap_walk(m, f, referenced_one, &r);
	}
	return r;
}

/* page_mkclean_one: the PTE's dirty bit goes to the page, and the PTE is
 * made clean and read-only, so that the next write faults (wp_page_shared)
 * and dirties the page again */
static int mkclean_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_frame *f = arg;

	if (*pte & (PTE_DIRTY | PTE_WRITE)) {
		if (*pte & PTE_DIRTY)
			f->flags |= PG_DIRTY;
		*pte &= ~(PTE_DIRTY | PTE_WRITE);
		check_note_pte(vma->mm, addr);
	}
	return 0;
}

/* a page-cache page is written to its file's store, while still mapped
 * (folio_clear_dirty_for_io + writepage); => 0, or -EIO (still dirty) */
static int writeback_mapped(struct vm_machine *m, struct vm_frame *f)
{
	if (f->mapcount > 0) {
		m->stats.walks_mkclean++;
		rmap_walk(m, f, mkclean_one, f);
	}
	if (!(f->flags & PG_DIRTY))
		return 0;
	if (file_writeback(f->mapping, f->index, (uint32_t)frame_pfn(m, f)))
		return -5;
	f->flags &= ~PG_DIRTY;
	return 0;
}

/* => stop when the last PTE is gone (try_to_unmap's done: folio_not_mapped) */
static int unmap_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	const struct vm_frame *f = arg;

	zap_pte(vma, addr, pte);
	return f->mapcount == 0;
}

/* try_to_unmap: every PTE of f goes (dirty bits of a file page go to it) */
static void unmap_all(struct vm_machine *m, struct vm_frame *f)
{
	if (f->mapcount > 0) {
		m->stats.walks_unmap++;
		rmap_walk(m, f, unmap_one, f);
	}
	VM_BUG_ON(f->mapcount != 0);
}

enum verdict { KEEP, ACTIVATE, CULL, FREED };

/* reclaim one unreferenced inactive page, whose folio_referenced walk saw
 * r; => FREED or where it goes */
static enum verdict reclaim_page(struct vm_machine *m, struct vm_frame *f, bool clean_only,
				 const struct refs *r)
{
	uint32_t pfn = (uint32_t)frame_pfn(m, f);

	if (f->flags & PG_ANON) {
		if (!(f->flags & PG_LAZYFREE)) {
			if (!swap_enabled(m))
				return ACTIVATE;   /* no swap: it cannot go anywhere */
			switch (swap_out_page(m, pfn)) {
			case 0:
				return FREED;
			case -EBUSY:
				return CULL;       /* mlocked (or swapoff under way) */
			case -EIO:
				return KEEP;       /* in the swap cache, dirty: try later */
			default:
				return ACTIVATE;   /* swap is full */
			}
		}
		if ((f->flags & PG_DIRTY) || r->dirty) {
			/* written since MADV_FREE: it holds data again
			 * (folio_set_swapbacked) */
			lru_del(m, f);
			f->flags = (f->flags & ~PG_LAZYFREE) | PG_DIRTY;
			lru_insert(m, f);
			return ACTIVATE;
		}
		f->refcount++;             /* hold it while its PTEs go */
		unmap_all(m, f);
		frame_put(m, pfn);
		return FREED;
	}
	if (!(f->flags & PG_CACHE) || ((struct vm_file *)f->mapping)->shmem)
		return ACTIVATE;           /* shmem: swap-backed */
	if (clean_only && (f->flags & PG_DIRTY)) {
		/* FOLIOREF_RECLAIM_CLEAN: start writeback, reclaim it later */
		writeback_mapped(m, f);
		return KEEP;
	}
	f->refcount++;
	unmap_all(m, f);
	if ((f->flags & PG_DIRTY) &&
	    file_writeback(f->mapping, f->index, pfn)) {
		f->refcount--;             /* the store failed: the page stays */
		m->stats.store_errors++;
		return ACTIVATE;
	}
	f->flags &= ~PG_DIRTY;
	file_drop_page(f->mapping, f->index);
	frame_put(m, pfn);
	return FREED;
}

bool mm_evict_page(struct vm_machine *m, struct vm_frame *f)
{
	struct refs r;
	enum verdict v;

	if (!(f->flags & PG_LRU) || (f->flags & (PG_MLOCKED | PG_UNEVICTABLE)))
		return false;
	m->stats.pgscan++;
	r = page_referenced(m, f);  /* its PTEs' dirty bits, a locked mapping */
	if (r.locked)
		return false;
	v = reclaim_page(m, f, false, &r);
	if (v != FREED)
		return false;
	m->stats.pgsteal++;
	return true;
}

/* shrink_folio_list for the page at the tail of an inactive list */
static void shrink_inactive_one(struct vm_machine *m, struct scan_ctl *sc, struct vm_frame *f)
{
	struct refs r;
	bool was_referenced;
	enum verdict v;

	m->stats.pgscan++;
	if (f->flags & PG_MLOCKED) {
		v = CULL;
		goto out;
	}
	if (sc->no_rmap && f->mapcount > 0) {
		v = KEEP;                  /* the page-table scan's to take */
		goto out;
	}
	r = page_referenced(m, f);
	if (r.locked) {
		v = CULL;
		goto out;
	}
	was_referenced = f->flags & PG_REFERENCED;
	f->flags &= ~PG_REFERENCED;
	if (r.young) {
		f->flags |= PG_REFERENCED;
		if (was_referenced || r.young > 1 || (r.exec && frame_is_file_lru(f)))
			v = ACTIVATE;
		else
			v = KEEP;
		goto out;
	}
	v = reclaim_page(m, f, was_referenced && frame_is_file_lru(f), &r);
out:
	switch (v) {
	case FREED:
		sc->freed++;
		m->stats.pgsteal++;
		break;
	case CULL:
		m->stats.pgcull++;
		lru_set(m, f, LRU_UNEVICTABLE);
		break;
	case ACTIVATE:
		m->stats.pgactivate++;
		lru_set(m, f, frame_is_file_lru(f) ? LRU_ACTIVE_FILE : LRU_ACTIVE_ANON);
		break;
	case KEEP:
		lru_rotate(m, f);
		break;
	}
}

/* shrink_active_list for the page at the tail of an active list */
static void shrink_active_one(struct vm_machine *m, struct vm_frame *f)
{
	struct refs r = page_referenced(m, f);

	if (r.locked || (f->flags & PG_MLOCKED)) {
		m->stats.pgcull++;
		lru_set(m, f, LRU_UNEVICTABLE);
		return;
	}
	if (r.young && r.exec && frame_is_file_lru(f)) {
		lru_rotate(m, f);          /* executable file pages stay active */
		return;
	}
	m->stats.pgdeactivate++;
	lru_set(m, f, frame_is_file_lru(f) ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON);
}

static uint64_t isqrt(uint64_t x)
{
	uint64_t r = 0;

	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/* inactive_is_low */
static bool inactive_is_low(struct vm_machine *m, enum lru_list inactive)
{
	uint64_t in = m->lru[inactive].nr, act = m->lru[inactive + 1].nr;
	uint64_t gb = (in + act) >> (30 - PAGE_SHIFT);

	return in * (gb ? isqrt(10 * gb) : 1) < act;
}

/* look at up to nr pages from the tail of list l (each at most once) */
static void shrink_list(struct vm_machine *m, struct scan_ctl *sc, enum lru_list l, uint64_t nr)
{
	if (nr > m->lru[l].nr)
		nr = m->lru[l].nr;
	while (nr-- && sc->freed < sc->want && m->lru[l].tail != FRAME_NIL) {
		struct vm_frame *f = pfn_frame(m, m->lru[l].tail);

		check_note_frame(m, m->lru[l].tail);
		if (m->low.reclaim && !pfn_is_low(m, m->lru[l].tail)) {
			lru_rotate(m, f);      /* lowmem is short: a high page frees none
						  (isolate_lru_folios skips it) */
			continue;
		}
		if (l == LRU_ACTIVE_ANON || l == LRU_ACTIVE_FILE)
			shrink_active_one(m, f);
		else
			shrink_inactive_one(m, sc, f);
	}
}

/* can anonymous pages go anywhere? (can_reclaim_anon_pages: swap with
 * room, not being turned off) */
static bool may_reclaim_anon(struct vm_machine *m)
{
	return swap_enabled(m) && m->swap.writeok && m->swap.nr_used + 1 < m->swap.nr_slots;
}

/* the LRU pass: priorities 12..0 over the evictable lists */
static uint64_t reclaim_lru(struct vm_machine *m, uint64_t want, bool no_rmap)
{
	struct scan_ctl sc = { want, 0, no_rmap };
	const enum lru_list inactive[] = { LRU_INACTIVE_FILE, LRU_INACTIVE_ANON };
	int types = may_reclaim_anon(m) ? 2 : 1;

	for (int prio = DEF_PRIORITY; prio >= 0 && sc.freed < want; prio--) {
		for (int t = 0; t < types && sc.freed < want; t++) {
			enum lru_list in = inactive[t];
			uint64_t nr_in = m->lru[in].nr >> prio, nr_act = m->lru[in + 1].nr >> prio;

			if (prio == 0) {
				nr_in = m->lru[in].nr;
				nr_act = m->lru[in + 1].nr;
			}
			if (nr_act && inactive_is_low(m, in) && !no_rmap)
				shrink_list(m, &sc, in + 1, nr_act);
			shrink_list(m, &sc, in, nr_in);
		}
	}
	return sc.freed;
}

/* ---------------- RECLAIM_VIRTUAL: 2.4's swap_out ---------------- */

/*
 * Linux 2.4 had no reverse map.  Its reclaim (mm/vmscan.c: swap_out,
 * swap_out_mm, swap_out_vma ... try_to_swap_out) walked the page tables of
 * the address spaces round robin, from where it had stopped, and took away
 * every PTE it met that had not been young since it last looked (the
 * accessed bit is tested and cleared); a page is freed when its last PTE
 * goes, never by asking where else it is mapped.  An anonymous page met
 * with swap on enters the swap cache (a slot at the first of its PTEs the
 * scan takes), the PTE becomes a swap entry for it, and the page is
 * written and freed once its last PTE has gone (try_to_swap_out).  Unmapped page-cache pages
 * were reclaimed from the LRU (shrink_cache), as below.  Here, as there:
 * VM_LOCKED VMAs are skipped; a page-cache page loses the PTE (its dirty bit
 * goes to the page) and, once no PTE is left, is written to its store if
 * dirty and dropped; a lazily freed anonymous page loses a clean PTE and is
 * freed with its last; other anonymous pages stay (to swap: not yet).  The
 * PTEs looked at are counted: that is the cost a reverse map saves.
 */
struct vscan {
	struct vm_machine *m;
	struct vm_area *vma;
	uint64_t freed, want;
	uint64_t stop;             /* the address to go on from, when freed == want */
};

static int virtual_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vscan *v = arg;
	struct vm_machine *m = v->m;
	struct vm_frame *f = pte_page(m, *pte);
	uint32_t pfn;

	m->stats.virtual_ptes_scanned++;
	if (!f || (m->low.reclaim && !pfn_is_low(m, frame_pfn(m, f))))
		return 0;                  /* the zero page, or a high page when lowmem
					      is short: nothing to free */
	if (*pte & PTE_ACCESSED) {
		*pte &= ~PTE_ACCESSED;     /* young: look again next time round */
		check_note_pte(mm, addr);
		return 0;
	}
	pfn = (uint32_t)frame_pfn(m, f);
	if ((f->flags & (PG_ANON | PG_LAZYFREE)) == PG_ANON) {
		int r;

		if (!swap_enabled(m) || (f->flags & PG_MLOCKED))
			return 0;
		r = swap_out_pte(v->vma, addr, pte);
		if (r >= 0)
			m->stats.virtual_ptes_unmapped++;
		if (r == 1) {
			v->freed++;
			m->stats.pgsteal++;
		}
	} else if (f->flags & PG_ANON) {
		if ((*pte & PTE_DIRTY) || (f->flags & PG_DIRTY) || (f->flags & PG_MLOCKED))
			return 0;
		f->refcount++;
		zap_pte(v->vma, addr, pte);
		m->stats.virtual_ptes_unmapped++;
		if (f->mapcount == 0) {
			v->freed++;
			m->stats.pgsteal++;
		}
		frame_put(m, pfn);         /* the page goes with its last PTE */
	} else if (f->flags & PG_CACHE) {
		struct vm_file *file = f->mapping;

		if (file->shmem || (f->flags & PG_MLOCKED))
			return 0;
		f->refcount++;
		zap_pte(v->vma, addr, pte);
		m->stats.virtual_ptes_unmapped++;
		if (f->mapcount == 0 &&
		    (!(f->flags & PG_DIRTY) || !file_writeback(file, f->index, pfn))) {
			f->flags &= ~PG_DIRTY;
			file_drop_page(file, f->index);
			v->freed++;
			m->stats.pgsteal++;
		}
		frame_put(m, pfn);
	}
	if (v->freed >= v->want) {
		v->stop = addr + PAGE_SIZE;
		return 1;
	}
	return 0;
}

/* one address space, from addr on; => true when enough was freed */
static bool virtual_mm(struct vm_machine *m, struct vm_mm *mm, uint64_t addr, struct vscan *v)
{
	for (struct vm_area *vma = mm->first; vma; vma = vma->next) {
		if (vma->end <= addr || (vma->flags & VM_LOCKED))
			continue;
		v->vma = vma;
		if (walk_ptes(mm, addr > vma->start ? addr : vma->start, vma->end,
			      virtual_one, v)) {
			m->swap_mm = mm;
			m->swap_address = v->stop;
			return true;
		}
	}
	return false;
}

static uint64_t reclaim_virtual(struct vm_machine *m, uint64_t want)
{
	struct vscan v = { m, NULL, 0, want, 0 };
	struct list_head *start;

	/* unmapped page-cache and lazily freed pages: 2.4's shrink_cache */
	v.freed = reclaim_lru(m, want, true);
	if (v.freed >= want || list_empty(&m->mms))
		return v.freed;
	/* then the page tables, round robin from where the scan stopped, two
	 * times round at most (the first clears accessed bits) */
	start = m->swap_mm ? &m->swap_mm->node : m->mms.next;
	for (int round = 0; round < 2 && v.freed < want; round++) {
		struct list_head *p = start;

		do {
			uint64_t addr = 0;

			if (p == &m->mms)
				continue;
			if (round == 0 && p == start && m->swap_mm)
				addr = m->swap_address;
			if (virtual_mm(m, list_entry(p, struct vm_mm, node), addr, &v))
				return v.freed;
		} while ((p = p->next) != start);
		m->swap_mm = NULL;
	}
	return v.freed;
}

uint64_t mm_reclaim(struct vm_machine *m, uint64_t want)
{
	uint64_t t0 = m->clock_ns ? m->clock_ns() : 0, n;

	if (m->reclaim_policy == RECLAIM_VIRTUAL)
		n = reclaim_virtual(m, want);
	else
		n = reclaim_lru(m, want, false);
	if (m->clock_ns)
		m->stats.reclaim_ns += m->clock_ns() - t0;
	return n;
}

/*
 * --lowmem: kswapd balances the low zone too (balance_pgdat: each zone to
 * its high watermark), freeing only low pages.  => frames freed
 */
static uint64_t lowmem_kswapd(struct vm_machine *m)
{
	struct vm_lowmem *z = &m->low;
	uint64_t freed = 0, n;
	bool was = z->reclaim;

	if (!z->end || z->nr_free >= z->wmark_low)
		return 0;
	z->reclaim = true;
	while (z->nr_free < z->wmark_high &&
	       (n = mm_reclaim_retry(m, z->wmark_high - z->nr_free)) > 0)
		freed += n;
	z->reclaim = was;
	return freed;
}

uint64_t mm_kswapd(struct vm_machine *m)
{
	uint64_t freed = 0, n;
	bool short_all;

	if (!m->kswapd_wanted)
		return 0;
	m->kswapd_wanted = false;
	short_all = m->nr_free < m->wmark_low;
	if (!short_all && (!m->low.end || m->low.nr_free >= m->low.wmark_low))
		return 0;
	m->stats.kswapd_runs++;
	while (short_all && m->nr_free < m->wmark_high &&
	       (n = mm_reclaim_retry(m, m->wmark_high - m->nr_free)) > 0)
		freed += n;
	freed += lowmem_kswapd(m);
	m->stats.kswapd_steal += freed;
	return freed;
}

uint64_t mm_reclaim_retry(struct vm_machine *m, uint64_t want)
{
	uint64_t freed = 0;

	for (int fails = 0; freed < want && fails < MAX_RECLAIM_RETRIES;) {
		uint64_t n = mm_reclaim(m, want - freed);

		freed += n;
		fails += !n;
	}
	return freed;
}

/*
 * madvise(MADV_COLD) of a page only this mapping maps: its accessed bit is
 * cleared and it goes to the head of its inactive list, unmarked
 * (folio_deactivate), so reclaim takes it before pages in use.
 */
void mm_deactivate(struct vm_machine *m, struct vm_frame *f)
{
	if (!(f->flags & PG_LRU) || (f->flags & PG_UNEVICTABLE))
		return;
	f->flags &= ~PG_REFERENCED;
	if (f->flags & PG_ACTIVE)
		m->stats.pgdeactivate++;
	lru_set(m, f, frame_is_file_lru(f) ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON);
}
