/*
 * rmap/scan.c - the `scan` scheme: no reverse map at all.
 *
 * Whose design: nobody's; it is the question the debate started from.  To
 * find the mappings of an anonymous page it searches the page tables of
 * every address space for the frame: each present PTE of each VMA that may
 * hold anonymous pages (a private VMA with an anonymous identity) is looked
 * at.  It keeps nothing, so it cannot be out of date, and revmap's checker
 * uses the same search as its oracle.  (2.4 had no reverse map either, but
 * did not do this: its swap_out scanned virtual memory and unmapped what it
 * met, never asking where a given page was mapped.  That is a reclaim
 * policy, not a scheme.)
 *
 * Cost: nothing per page, per VMA or per fork; a walk costs every present
 * PTE of every private anonymous VMA of the machine, however few map the
 * page.  Accepting Linux's merges, splits and moves costs it nothing.
 *
 * Worst workload: any walk on a big machine; reclaim of one page of a
 * process among thousands.
 *
 * File pages are found through the file's i_mmap tree, as in every scheme.
 */
#include "scheme.h"

struct scan_walk {
	struct vm_machine *m;
	uint64_t pfn;              /* the frame looked for */
	struct vm_area *vma;       /* the VMA being scanned */
	rmap_visit_fn fn;
	void *arg;
};

static int scan_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct scan_walk *w = arg;

	w->m->stats.rmap_ptes_visited++;
	if (pte_pfn(*pte) != w->pfn)
		return 0;
	w->m->stats.rmap_ptes_found++;
	return w->fn(w->vma, addr, pte, w->arg);
}

static int scan_walk_anon(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn,
			  void *arg)
{
	struct scan_walk w = { m, frame_pfn(m, f), NULL, fn, arg };
	struct list_head *p;
	int ret = 0;

	list_for_each(p, &m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		for (w.vma = mm->first; w.vma && !ret; w.vma = w.vma->next) {
			if ((w.vma->flags & VM_SHARED) || !w.vma->anon)
				continue;   /* no anonymous page can be here */
			m->stats.rmap_vmas_visited++;
			ret = walk_ptes(mm, w.vma->start, w.vma->end, scan_pte, &w);
		}
		if (ret)
			break;
	}
	return ret;
}

static int scan_init(struct vm_machine *m) { return 0; }
static void scan_fini(struct vm_machine *m) { }

const struct rmap_ops rmap_scan_ops = {
	.name = "scan",
	.init = scan_init,
	.fini = scan_fini,
	.walk_anon = scan_walk_anon,
};
