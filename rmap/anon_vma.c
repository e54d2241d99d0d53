/*
 * rmap/anon_vma.c - Linux's reverse mapping for anonymous memory:
 * anon_vma and anon_vma_chain (Rik van Riel, 2010; the merge rules of 6.x).
 *
 * Every VMA that has had an anonymous page owns an anon_vma (vma->anon) and
 * a chain (vma->anon_chain) of anon_vma_chain links, one per anon_vma whose
 * pages it may map: its own and its fork ancestors'.  Each anon_vma keeps an
 * interval tree of the links that point at it, keyed by the linked VMA's
 * page-offset range.  An anonymous page points at the anon_vma of the VMA
 * that created it (frame->mapping) and stores its linear index
 * (frame->index); to find its PTEs we stab that anon_vma's tree at index,
 * and compute address = vma->start + ((index - vma->pgoff) << PAGE_SHIFT).
 *
 *    page --mapping--> anon_vma --tree--> avc --vma--> VMA --mm--> PTE
 *
 * fork: the child VMA links to every anon_vma of the parent's chain, and
 * gets a fresh anon_vma of its own whose parent is the parent VMA's
 * (unless an old, unused anon_vma can be reused: anon_vma_clone).
 * The counters num_children / num_active_vmas exist only for that reuse.
 */
#include <stdlib.h>
#include <string.h>
#include "rmap.h"

struct anon_vma {
	struct anon_vma *root;     /* root of this fork family (self for a root) */
	struct anon_vma *parent;   /* anon_vma this one was forked from (self for a root) */
	int refcount;              /* 1 for itself while its tree is non-empty, +1 per child
				      anon_vma whose root this is */
	int num_children;          /* anon_vmas whose parent is this (+1 self for a root) */
	int num_active_vmas;       /* VMAs whose vma->anon is this */
	struct rb_root tree;       /* interval tree of anon_vma_chain, by page offset */
	struct vm_machine *m;      /* for accounting */
};

struct anon_vma_chain {
	struct vm_area *vma;       /* the VMA that may map pages of anon_vma */
	struct anon_vma *av;       /* the anon_vma */
	struct list_head same_vma; /* in vma->anon_chain, newest first */
	struct itree_node it;      /* in av->tree: [vma->pgoff, vma->pgoff + pages - 1] */
};

static struct anon_vma *anon_vma_alloc(struct vm_machine *m)
{
	struct anon_vma *av = vm_zalloc(m, sizeof(*av));

	if (!av)
		return NULL;
	av->root = av;
	av->parent = av;
	av->refcount = 1;
	av->m = m;
	m->stats.rmap_bytes += sizeof(*av);
	return av;
}

static void anon_vma_free(struct anon_vma *av)
{
	av->m->stats.rmap_bytes -= sizeof(*av);
	free(av);
}

static void put_anon_vma(struct anon_vma *av)
{
	if (--av->refcount == 0) {
		struct anon_vma *root = av->root;

		anon_vma_free(av);
		if (root != av && --root->refcount == 0)
			anon_vma_free(root);
	}
}

static struct anon_vma_chain *avc_alloc(struct vm_machine *m)
{
	struct anon_vma_chain *avc = vm_zalloc(m, sizeof(*avc));

	if (avc)
		m->stats.rmap_bytes += sizeof(*avc);
	return avc;
}

static void avc_free(struct vm_machine *m, struct anon_vma_chain *avc)
{
	m->stats.rmap_bytes -= sizeof(*avc);
	free(avc);
}

static void avc_tree_insert(struct anon_vma_chain *avc)
{
	struct vm_area *v = avc->vma;

	avc->it.start = v->pgoff;
	avc->it.last = v->pgoff + vma_pages(v) - 1;
	itree_insert(&avc->it, &avc->av->tree);
}

static void avc_link(struct vm_area *vma, struct anon_vma_chain *avc,
		     struct anon_vma *av)
{
	avc->vma = vma;
	avc->av = av;
	list_add(&avc->same_vma, &vma->anon_chain);
	avc_tree_insert(avc);
}

/*
 * find_mergeable_anon_vma: an adjacent VMA whose anon_vma we may share
 * because the two could one day merge (same flags but for access bits,
 * linear page offsets) and it has no fork ancestry (singular chain).
 * Linux tries the next VMA first, then the previous one.
 */
static bool anon_compatible(const struct vm_area *a, const struct vm_area *b)
{
	return a->end == b->start && vma_same_file(a, b->file, b->file_open) &&
	       !((a->flags ^ b->flags) & ~VM_ACCESS_FLAGS) &&
	       b->pgoff == a->pgoff + vma_pages(a);
}

static struct anon_vma *reusable(struct vm_area *old, struct vm_area *a,
				 struct vm_area *b)
{
	if (anon_compatible(a, b) && old->anon && list_is_singular(&old->anon_chain))
		return old->anon;
	return NULL;
}

static struct anon_vma *find_mergeable_anon_vma(struct vm_area *vma)
{
	struct anon_vma *av = NULL;

	if (vma->next)
		av = reusable(vma->next, vma, vma->next);
	if (!av && vma->prev)
		av = reusable(vma->prev, vma->prev, vma);
	return av;
}

/* __anon_vma_prepare */
static int lx_anon_prepare(struct vm_area *vma)
{
	struct vm_machine *m = vma->mm->machine;
	struct anon_vma_chain *avc;
	struct anon_vma *av;

	if (vma->anon)
		return 0;
	avc = avc_alloc(m);
	if (!avc)
		return -12;
	av = find_mergeable_anon_vma(vma);
	if (!av) {
		av = anon_vma_alloc(m);
		if (!av) {
			avc_free(m, avc);
			return -12;
		}
		av->num_children++;  /* self-parent link of a new root */
	}
	vma->anon = av;
	avc_link(vma, avc, av);
	av->num_active_vmas++;
	return 0;
}

static void lx_page_add_new_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	f->mapping = vma->anon;
	f->index = vma->pgoff + ((addr - vma->start) >> PAGE_SHIFT);
}

/* folio_move_anon_rmap: the page is exclusively ours now */
static void lx_page_move_anon(struct vm_frame *f, struct vm_area *vma)
{
	f->mapping = vma->anon;
}

/* unlink_anon_vmas */
static void lx_unlink_vma(struct vm_area *vma)
{
	struct vm_machine *m = vma->mm->machine;
	struct list_head *p, *n;

	list_for_each_safe(p, n, &vma->anon_chain) {
		struct anon_vma_chain *avc = list_entry(p, struct anon_vma_chain, same_vma);
		struct anon_vma *av = avc->av;

		itree_remove(&avc->it, &av->tree);
		if (rb_empty(&av->tree)) {
			/* leave it on the list: freed below */
			av->parent->num_children--;
			continue;
		}
		list_del(&avc->same_vma);
		avc_free(m, avc);
	}
	if (vma->anon) {
		((struct anon_vma *)vma->anon)->num_active_vmas--;
		vma->anon = NULL;
	}
	list_for_each_safe(p, n, &vma->anon_chain) {
		struct anon_vma_chain *avc = list_entry(p, struct anon_vma_chain, same_vma);

		list_del(&avc->same_vma);
		put_anon_vma(avc->av);
		avc_free(m, avc);
	}
}

/*
 * anon_vma_clone: link dst to every anon_vma of src's chain.  When dst has
 * no anon_vma yet (fork), an anon_vma of the chain that no VMA uses and
 * that has at most one child may be reused instead of allocating one.
 */
static int lx_clone_vma(struct vm_area *dst, struct vm_area *src)
{
	struct vm_machine *m = src->mm->machine;
	struct list_head *p;

	list_for_each_prev(p, &src->anon_chain) {
		struct anon_vma_chain *pavc = list_entry(p, struct anon_vma_chain, same_vma);
		struct anon_vma_chain *avc = avc_alloc(m);
		struct anon_vma *av = pavc->av;

		if (!avc) {
			dst->anon = NULL;
			lx_unlink_vma(dst);
			return -12;
		}
		avc_link(dst, avc, av);
		if (!dst->anon && src->anon && av->num_children < 2 &&
		    av->num_active_vmas == 0)
			dst->anon = av;
	}
	if (dst->anon)
		((struct anon_vma *)dst->anon)->num_active_vmas++;
	return 0;
}

/* anon_vma_fork */
static int lx_fork_vma(struct vm_area *vma, struct vm_area *pvma)
{
	struct vm_machine *m = vma->mm->machine;
	struct anon_vma_chain *avc;
	struct anon_vma *av, *pav = pvma->anon;
	int err;

	list_init(&vma->anon_chain);
	vma->anon = NULL;
	if (!pav)
		return 0;
	err = lx_clone_vma(vma, pvma);
	if (err)
		return err;
	if (vma->anon)
		return 0;               /* an old anon_vma was reused */
	av = anon_vma_alloc(m);
	avc = av ? avc_alloc(m) : NULL;
	if (!avc) {
		if (av)
			put_anon_vma(av);
		lx_unlink_vma(vma);
		return -12;
	}
	av->num_active_vmas++;
	av->root = pav->root;
	av->parent = pav;
	av->root->refcount++;
	vma->anon = av;
	avc_link(vma, avc, av);
	av->parent->num_children++;
	return 0;
}

static void lx_pre_update(struct vm_area *vma)
{
	struct list_head *p;

	list_for_each(p, &vma->anon_chain) {
		struct anon_vma_chain *avc = list_entry(p, struct anon_vma_chain, same_vma);
		itree_remove(&avc->it, &avc->av->tree);
	}
}

static void lx_post_update(struct vm_area *vma)
{
	struct list_head *p;

	list_for_each(p, &vma->anon_chain)
		avc_tree_insert(list_entry(p, struct anon_vma_chain, same_vma));
}

/* vma_is_fork_child: the VMA's chain reaches ancestors' anon_vmas */
static bool lx_is_fork_child(const struct vm_area *vma)
{
	return vma && vma->anon && !list_is_singular(&vma->anon_chain);
}

static int lx_walk_anon(struct vm_machine *m, struct vm_frame *f,
			rmap_visit_fn fn, void *arg)
{
	struct anon_vma *av = f->mapping;
	struct itree_node *it;
	int ret = 0;

	for (it = itree_iter_first(&av->tree, f->index, f->index); it && !ret;
	     it = itree_iter_next(it, f->index, f->index))
		ret = rmap_one(m, f, container_of(it, struct anon_vma_chain, it)->vma, fn, arg);
	return ret;
}

/* every link of the chain is keyed by the VMA's current range, points back
 * at it, and the VMA's own anon_vma is one of the chain's */
static bool lx_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	const struct list_head *p;
	bool own = !vma->anon;

	list_for_each(p, &vma->anon_chain) {
		const struct anon_vma_chain *avc =
			list_entry(p, struct anon_vma_chain, same_vma);

		if (avc->vma != vma || avc->it.start != vma->pgoff ||
		    avc->it.last != vma->pgoff + vma_pages(vma) - 1) {
			snprintf(why, len, "rmap: an anon_vma_chain of [%#llx,%#llx) is stale",
				 (unsigned long long)vma->start, (unsigned long long)vma->end);
			return false;
		}
		if (avc->av == vma->anon)
			own = true;
	}
	if (!own) {
		snprintf(why, len, "rmap: [%#llx,%#llx)'s anon_vma is not on its chain",
			 (unsigned long long)vma->start, (unsigned long long)vma->end);
		return false;
	}
	return true;
}

static int lx_init(struct vm_machine *m) { return 0; }
static void lx_fini(struct vm_machine *m) { }

const struct rmap_ops rmap_linux_ops = {
	.name = "linux",
	.init = lx_init,
	.fini = lx_fini,
	.anon_prepare = lx_anon_prepare,
	.page_add_new_anon = lx_page_add_new_anon,
	.page_move_anon = lx_page_move_anon,
	.fork_vma = lx_fork_vma,
	.clone_vma = lx_clone_vma,
	.unlink_vma = lx_unlink_vma,
	.pre_update = lx_pre_update,
	.post_update = lx_post_update,
	.is_fork_child = lx_is_fork_child,
	.check_vma = lx_check_vma,
	.walk_anon = lx_walk_anon,
};
