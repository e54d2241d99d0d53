/*
 * rmap/rmap.c - the generic reverse-mapping walk and the scheme registry.
 *
 * rmap_walk(frame) finds every PTE mapping a frame: for an anonymous page
 * through the scheme's walk_anon; file pages through the file's i_mmap
 * tree, the same for every scheme but one that keeps its own map of file
 * pages too (walk_file: ptechain), and (--nonlinear) by a search of every
 * PTE of each VMA on the file's i_mmap_nonlinear.  The visitor is only
 * called for PTEs that really map the frame; the scheme's walk may look at
 * more (those are counted in stats.rmap_vmas_visited / rmap_ptes_visited).
 */
#include <string.h>
#include "scheme.h"

/* the registry: every scheme, the default first */
const struct rmap_ops *const rmap_schemes[] = {
	&rmap_avc_ops,
	&rmap_scan_ops,
	&rmap_vmaoff_ops,
	&rmap_vmaring_ops,
	&rmap_anonvma_ops,
	&rmap_anonlayer_ops,
	&rmap_astree_ops,
	&rmap_vmainode_ops,
	&rmap_mminode_ops,
	&rmap_ptechain_ops,
	&rmap_objrmap_ops,
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

/* ---------------- the machine's scheme ---------------- */

int rmap_machine_init(struct vm_machine *m)
{
	const struct rmap_ops *ops = m->rmap;

	m->rmap_hooks = (ops->page_add_new_anon ? RMAP_HOOK_ADD_ANON : 0) |
			(ops->page_add_file ? RMAP_HOOK_ADD_FILE : 0) |
			(ops->page_remove ? RMAP_HOOK_REMOVE : 0) |
			(ops->page_dup ? RMAP_HOOK_DUP : 0) |
			(ops->page_add_anon ? RMAP_HOOK_ADD_ANON_PTE : 0) |
			(ops->prepare ? RMAP_HOOK_PREPARE : 0);
	return ops->init ? ops->init(m) : 0;
}

void rmap_machine_fini(struct vm_machine *m)
{
	if (m->rmap && m->rmap->fini)
		m->rmap->fini(m);
}

const char *rmap_name(const struct vm_machine *m)
{
	return m->rmap->name;
}

bool rmap_identity_is_rmap(const struct vm_machine *m)
{
	return m->rmap->identity_is_rmap;
}

size_t rmap_tail_size(const struct vm_machine *m, enum rmap_tail which)
{
	switch (which) {
	case RMAP_TAIL_ANON: return m->rmap->anon_tail;
	case RMAP_TAIL_LINK: return m->rmap->link_tail;
	case RMAP_TAIL_VMA: return m->rmap->vma_tail;
	case RMAP_TAIL_MM: return m->rmap->mm_tail;
	}
	return 0;
}

bool rmap_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	const struct rmap_ops *ops = vma->mm->machine->rmap;

	return !ops->check_vma || ops->check_vma(vma, why, len);
}

bool rmap_check_frame(struct vm_machine *m, const struct vm_frame *f, char *why, size_t len)
{
	return !m->rmap->check_frame || m->rmap->check_frame(m, f, why, len);
}

bool rmap_check_machine(struct vm_machine *m, char *why, size_t len)
{
	return !m->rmap->check_machine || m->rmap->check_machine(m, why, len);
}

uint64_t rmap_metadata_bytes(const struct vm_machine *m)
{
	return m->stats.rmap_bytes + (m->rmap->identity_is_rmap ? m->stats.anon_bytes : 0);
}

void rmap_note_peak(struct vm_machine *m)
{
	uint64_t b = rmap_metadata_bytes(m);

	if (b > m->stats.rmap_bytes_peak)
		m->stats.rmap_bytes_peak = b;
}

void rmap_objects(const struct vm_machine *m,
		  void (*emit)(const char *type, uint64_t count, void *arg), void *arg)
{
	if (m->rmap->identity_is_rmap) {
		emit("anon_vma", m->stats.nr_anon_ids, arg);
		emit("anon_vma_chain", m->stats.nr_anon_links, arg);
	}
	if (m->rmap->objects)
		m->rmap->objects(m, emit, arg);
}

/* ---------------- what the scheme is told: address spaces, VMAs, identity ---------------- */

#define TELL(m, hook, ...)					\
	do {							\
		if ((m)->rmap->hook)				\
			(m)->rmap->hook(__VA_ARGS__);		\
	} while (0)

void rmap_mm_init(struct vm_mm *mm) { TELL(mm->machine, mm_init, mm); }
void rmap_mm_exit(struct vm_mm *mm) { TELL(mm->machine, mm_exit, mm); }
void rmap_vma_add(struct vm_area *v) { TELL(v->mm->machine, vma_add, v); }
void rmap_vma_del(struct vm_area *v) { TELL(v->mm->machine, vma_del, v); }
void rmap_vma_split(struct vm_area *v, struct vm_area *nv) { TELL(v->mm->machine, vma_split, v, nv); }
void rmap_vma_merge(struct vm_area *t, struct vm_area *victim)
{
	TELL(t->mm->machine, vma_merge, t, victim);
}
void rmap_vma_fork(struct vm_area *c, struct vm_area *p) { TELL(c->mm->machine, vma_fork, c, p); }
void rmap_vma_copy(struct vm_area *nv, struct vm_area *v) { TELL(v->mm->machine, vma_copy, nv, v); }
void rmap_vma_pre_update(struct vm_area *v) { TELL(v->mm->machine, pre_update, v); }
void rmap_vma_post_update(struct vm_area *v) { TELL(v->mm->machine, post_update, v); }
void rmap_link_add(struct anon_link *l) { TELL(l->vma->mm->machine, link_add, l); }
void rmap_link_del(struct anon_link *l) { TELL(l->vma->mm->machine, link_del, l); }
void rmap_anon_free(struct anon_id *a) { TELL(a->m, anon_free, a); }

/* ---------------- the entry points: map counts, and the scheme told ---------------- */

/* the per-PTE entry points are inline in rmap.h; these tell the scheme
 * when it asked to be told (vm_machine.rmap_hooks) */
int __rmap_prepare(struct vm_machine *m, unsigned nr)
{
	return m->rmap->prepare(m, nr);
}

int __rmap_page_prepare(struct vm_area *vma, struct vm_frame *f)
{
	const struct rmap_ops *ops = vma->mm->machine->rmap;

	return ops->page_prepare ? ops->page_prepare(vma, f) : 0;
}

void __rmap_add_new_anon(struct vm_area *vma, uint64_t addr, struct vm_frame *f)
{
	vma->mm->machine->rmap->page_add_new_anon(f, vma, addr);
}

void __rmap_add_anon(struct vm_area *vma, uint64_t addr, struct vm_frame *f)
{
	vma->mm->machine->rmap->page_add_anon(f, vma, addr);
}

void __rmap_add_file(struct vm_area *vma, uint64_t addr, struct vm_frame *f)
{
	vma->mm->machine->rmap->page_add_file(f, vma, addr);
}

void __rmap_remove(struct vm_area *vma, uint64_t addr, struct vm_frame *f)
{
	vma->mm->machine->rmap->page_remove(f, vma, addr);
}

int __rmap_dup(struct vm_area *dst, struct vm_area *src, uint64_t addr, struct vm_frame *f)
{
	return src->mm->machine->rmap->page_dup(f, dst, src, addr);
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

int rmap_lock_prepare(struct vm_area *vma, uint64_t start, uint64_t end)
{
	const struct rmap_ops *ops = vma->mm->machine->rmap;

	return ops->lock_prepare ? ops->lock_prepare(vma, start, end) : 0;
}

void rmap_vma_locked(struct vm_area *vma, uint64_t start, uint64_t end, bool locked)
{
	TELL(vma->mm->machine, vma_locked, vma, start, end, locked);
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
	return rmap_one_at(m, f, vma, vma->start + ((f->index - vma->pgoff) << PAGE_SHIFT), fn,
			   arg);
}

/* the same at a given address of vma (for a scheme that keeps addresses) */
int rmap_one_at(struct vm_machine *m, struct vm_frame *f, struct vm_area *vma, uint64_t addr,
		rmap_visit_fn fn, void *arg)
{
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

struct nl_walk {
	struct vm_machine *m;
	bool counted;                /* the walk's statistics count the probes */
	struct vm_frame *f;          /* the page sought */
	uint64_t pfn;                /* its frame number */
	struct vm_area *vma;         /* the VM_NONLINEAR VMA searched */
	rmap_visit_fn fn;            /* the walk's visitor, and its argument */
	void *arg;
};

static int nl_probe(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct nl_walk *w = arg;

	w->m->stats.rmap_ptes_visited += w->counted;
	if (pte_pfn(*pte) != w->pfn)
		return 0;
	w->m->stats.rmap_ptes_found += w->counted;
	return w->fn(w->vma, addr, pte, w->arg);
}

/*
 * --nonlinear: a VM_NONLINEAR VMA may map the page at any address, so each
 * VMA of the file's i_mmap_nonlinear is searched whole, every present PTE
 * of it probed (2.6's try_to_unmap_nonlinear, without its cursor); the
 * walk counts as a fallback once, whatever it finds.
 */
static int rmap_walk_nonlinear(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn,
			       void *arg)
{
	struct vm_file *file = f->mapping;
	struct itree_node *it;
	int ret = 0;

	m->stats.rmap_fallbacks++;
	for (it = itree_iter_first(&file->i_mmap_nonlinear, 0, UINT64_MAX); it && !ret;
	     it = itree_iter_next(it, 0, UINT64_MAX))
		ret = rmap_search_vma(m, f, container_of(it, struct vm_area, shared), fn, arg,
				      true);
	return ret;
}

int rmap_search_vma(struct vm_machine *m, struct vm_frame *f, struct vm_area *vma,
		    rmap_visit_fn fn, void *arg, bool counted)
{
	struct nl_walk w = { m, counted, f, frame_pfn(m, f), vma, fn, arg };

	m->stats.rmap_vmas_visited += counted;
	return walk_ptes(vma->mm, vma->start, vma->end, nl_probe, &w);
}

int rmap_probe_tree(struct vm_machine *m, struct vm_frame *f, struct rb_root *root,
		    rmap_visit_fn fn, void *arg)
{
	int ret = 0;

	for (struct itree_node *it = itree_iter_first(root, f->index, f->index); it && !ret;
	     it = itree_iter_next(it, f->index, f->index))
		ret = rmap_one(m, f, container_of(it, struct vm_area, shared), fn, arg);
	return ret;
}

/* file pages: every VMA of the file's i_mmap covering the page's index,
 * then (--nonlinear) every VMA of its i_mmap_nonlinear */
static int rmap_walk_file(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn,
			  void *arg)
{
	struct vm_file *file = f->mapping;
	int ret = rmap_probe_tree(m, f, &file->i_mmap, fn, arg);

	if (!ret && !rb_empty(&file->i_mmap_nonlinear))
		ret = rmap_walk_nonlinear(m, f, fn, arg);
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
		return m->rmap->walk_file ? m->rmap->walk_file(m, f, fn, arg)
					  : rmap_walk_file(m, f, fn, arg);
	return 0;
}
