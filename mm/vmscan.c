/*
 * mm/vmscan.c - reclaim: lazily freed anonymous pages (MADV_FREE) that are
 * still clean, and clean page-cache pages (host files, which can be read
 * again, and tmpfs pages that were never written) can be dropped; with
 * swap on, private anonymous pages are written to swap (swap_out_page,
 * mm/swap.c); without it they stay, as in Linux.  Written tmpfs pages and
 * shared memory cannot go anywhere (shmem swap is not modelled).  Finding every
 * PTE of such a page is the reverse map's job: reclaim works page by page,
 * never by scanning address spaces.
 */
#include "mm.h"
#include "../rmap/rmap.h"

/* a mapping that keeps the page: written since MADV_FREE (lazyfree pages
 * only), or in an mlocked VMA (try_to_unmap_one's VM_LOCKED bail-out) */
static int pte_blocks(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	bool check_dirty = arg != NULL;

	if (vma->flags & VM_LOCKED)
		return 1;
	return check_dirty && (*pte & PTE_DIRTY) ? 2 : 0;
}

static int unmap_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	zap_pte(vma, addr, pte);
	return 0;
}

/* try_to_unmap for a lazily freed page: => true if the page was freed */
static bool discard_lazyfree(struct vm_machine *m, uint32_t pfn)
{
	struct vm_frame *f = pfn_frame(m, pfn);

	int why = rmap_walk(m, f, pte_blocks, f);

	if (why == 1 || (f->flags & PG_MLOCKED))
		return false;          /* mlocked */
	if (why == 2 || (f->flags & PG_DIRTY)) {
		/* written since MADV_FREE: it holds data again */
		f->flags = (f->flags & ~PG_LAZYFREE) | PG_DIRTY;
		return false;
	}
	f->refcount++;                 /* hold it while its PTEs go */
	rmap_walk(m, f, unmap_one, NULL);
	VM_BUG_ON(f->mapcount != 0);
	frame_put(m, pfn);
	return true;
}

/* a clean page-cache page (a host-file page, or a tmpfs hole page never
 * written): unmap it everywhere, drop it from the cache */
static bool discard_clean_file(struct vm_machine *m, uint32_t pfn)
{
	struct vm_frame *f = pfn_frame(m, pfn);
	struct vm_file *file = f->mapping;

	int why = rmap_walk(m, f, pte_blocks, f);

	if (why == 2)
		f->flags |= PG_DIRTY;  /* written through a mapping */
	if (why || (f->flags & PG_MLOCKED))
		return false;
	f->refcount++;
	rmap_walk(m, f, unmap_one, NULL);
	VM_BUG_ON(f->mapcount != 0);
	file_drop_page(file, f->index);
	frame_put(m, pfn);
	return true;
}

uint64_t mm_reclaim(struct vm_machine *m, uint64_t want)
{
	uint64_t freed = 0;

	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames && freed < want;
	     pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if ((f->flags & (PG_ANON | PG_LAZYFREE)) == (PG_ANON | PG_LAZYFREE) &&
		    f->mapcount > 0 && discard_lazyfree(m, (uint32_t)pfn))
			freed++;
		else if ((f->flags & (PG_CACHE | PG_DIRTY)) == PG_CACHE &&
			 discard_clean_file(m, (uint32_t)pfn))
			freed++;
		/* with swap, any private anonymous page can go (mm/swap.c) */
		else if (swap_enabled(m) && (f->flags & PG_ANON) &&
			 (f->mapcount > 0 || (f->flags & PG_SWAPCACHE)) &&
			 swap_out_page(m, (uint32_t)pfn) == 0)
			freed++;
	}
	return freed;
}
