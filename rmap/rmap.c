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

/* ---------------- the entry points: map counts, and the scheme told ---------------- */

void rmap_add_new_anon(struct vm_area *vma, uint64_t addr, struct vm_frame *f)
{
	const struct rmap_ops *ops = vma->mm->machine->rmap;

	f->mapcount = 1;
	f->mapping = vma->anon;              /* __folio_set_anon */
	f->index = vma->pgoff + ((addr - vma->start) >> PAGE_SHIFT);
	if (ops->page_add_new_anon)
		ops->page_add_new_anon(f, vma, addr);
}

void rmap_add_file(struct vm_area *vma, uint64_t addr, struct vm_frame *f)
{
	const struct rmap_ops *ops = vma->mm->machine->rmap;

	f->mapcount++;
	if (ops->page_add_file)
		ops->page_add_file(f, vma, addr);
}

void rmap_remove(struct vm_area *vma, uint64_t addr, struct vm_frame *f)
{
	const struct rmap_ops *ops = vma->mm->machine->rmap;

	VM_BUG_ON(f->mapcount <= 0);
	f->mapcount--;
	if (ops->page_remove)
		ops->page_remove(f, vma, addr);
}

int rmap_dup(struct vm_area *dst, struct vm_area *src, uint64_t addr, struct vm_frame *f)
{
	const struct rmap_ops *ops = src->mm->machine->rmap;

	if (ops->page_dup) {
		int err = ops->page_dup(f, dst, src, addr);

		if (err)
			return err;
	}
	f->mapcount++;
	return 0;
}

void rmap_move_anon(struct vm_area *vma, struct vm_frame *f)
{
	const struct rmap_ops *ops = vma->mm->machine->rmap;

	f->mapping = vma->anon;              /* folio_move_anon_rmap */
	if (ops->page_move_anon)
		ops->page_move_anon(f, vma);
}

void rmap_repoint(struct vm_machine *m, struct vm_frame *old, struct vm_frame *nf)
{
	if (m->rmap->page_repoint)
		m->rmap->page_repoint(old, nf);
}

int rmap_move_prepare(struct vm_area *old_vma, uint64_t old_addr, struct vm_area *new_vma,
		      uint64_t new_addr, uint64_t len)
{
	const struct rmap_ops *ops = old_vma->mm->machine->rmap;

	return ops->move_prepare ? ops->move_prepare(old_vma, old_addr, new_vma, new_addr, len)
				 : 0;
}

void rmap_move_done(struct vm_area *old_vma, uint64_t old_addr, struct vm_area *new_vma,
		    uint64_t new_addr, uint64_t len)
{
	const struct rmap_ops *ops = old_vma->mm->machine->rmap;

	if (ops->move_done)
		ops->move_done(old_vma, old_addr, new_vma, new_addr, len);
}

/* ---------------- the walk ---------------- */

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
	m->stats.rmap_ptes_found++;
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
	m->stats.rmap_walks++;
	if (f->flags & PG_ANON)
		return m->rmap->walk_anon(m, f, fn, arg);
	if (f->flags & PG_CACHE)
		return rmap_walk_file(m, f, fn, arg);
	return 0;
}
