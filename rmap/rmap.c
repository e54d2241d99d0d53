/*
 * rmap/rmap.c - the generic reverse-mapping walk and the scheme registry.
 *
 * rmap_walk(frame) finds every PTE mapping a frame: for an anonymous page
 * through the scheme's walk_anon; file pages (later) through the file's
 * i_mmap tree, the same for every scheme.  The visitor is only called for
 * PTEs that really map the frame; the scheme's walk may look at more (those
 * are counted in stats.rmap_vmas_visited / rmap_ptes_visited).
 */
#include <string.h>
#include "rmap.h"

/* the registry: every scheme, the default first */
const struct rmap_ops *const rmap_schemes[] = {
	&rmap_avc_ops,
	&rmap_scan_ops,
};
const unsigned rmap_nr_schemes = sizeof(rmap_schemes) / sizeof(rmap_schemes[0]);

const struct rmap_ops *rmap_find_scheme(const char *name)
{
	if (!name || !strcmp(name, "linux"))   /* linux: another name for avc */
		return rmap_schemes[0];
	for (unsigned i = 0; i < rmap_nr_schemes; i++)
		if (!strcmp(rmap_schemes[i]->name, name))
			return rmap_schemes[i];
	return NULL;
}

/*
 * The step both kinds of walk share: the address where vma would map page
 * index of frame f; visit it if its PTE really maps f.  => fn's verdict, 0
 * when the PTE maps something else or nothing.
 */
int rmap_one(struct vm_machine *m, struct vm_frame *f, struct vm_area *vma,
	     rmap_visit_fn fn, void *arg)
{
	uint64_t addr = vma->start + ((f->index - vma->pgoff) << PAGE_SHIFT);
	pte_t *pte;

	m->stats.rmap_vmas_visited++;
	pte = pte_lookup(vma->mm, addr);
	if (!pte)
		return 0;
	m->stats.rmap_ptes_visited++;
	if (!pte_present(*pte) || pte_pfn(*pte) != frame_pfn(m, f))
		return 0;
	return fn(vma, addr, pte, arg);
}

/* file pages: every VMA of the file's i_mmap covering the page's index */
static int rmap_walk_file(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn,
			  void *arg)
{
	struct vm_file *file = f->mapping;
	struct itree_node *it;
	int ret = 0;

	for (it = itree_iter_first(&file->i_mmap, f->index, f->index); it && !ret;
	     it = itree_iter_next(it, f->index, f->index))
		ret = rmap_one(m, f, container_of(it, struct vm_area, shared), fn, arg);
	return ret;
}

int rmap_walk(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg)
{
	if (!f->mapping || f->mapcount == 0)
		return 0;
	if (f->flags & PG_ANON)
		return m->rmap->walk_anon(m, f, fn, arg);
	if (f->flags & PG_CACHE)
		return rmap_walk_file(m, f, fn, arg);
	return 0;
}
