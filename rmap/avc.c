/*
 * rmap/avc.c - the `avc` scheme: Linux's reverse mapping for anonymous
 * memory since 2.6.34, anon_vma + anon_vma_chain (Rik van Riel, 2010, on
 * Andrea Arcangeli's anon_vma of 2.6.7), as 6.18 has it.  `linux` is
 * another name for it; it is revmap's default.
 *
 * How it finds a page's mappings.  Every VMA that has had an anonymous page
 * has an anon_vma of its own and a chain of links, one per anon_vma whose
 * pages it may map: its own and its fork ancestors'.  That identity is
 * Linux's layout too, so mm/ keeps it for every scheme (mm/anon.c: anon_id
 * and anon_link).  What makes it a reverse map is this file: each anon_vma
 * keeps an interval tree of the links that point at it, keyed by the
 * linked VMA's page-offset range (a tail of the anon_id: the tree's root;
 * a tail of each anon_link: its node).  An anonymous page records the
 * anon_vma of the VMA that made it (frame->mapping) and its linear index
 * (frame->index); the walk stabs that tree at the index and computes
 *
 *    page --mapping--> anon_vma --tree--> link --vma--> VMA --mm--> PTE
 *                                 address = vma->start + ((index - vma->pgoff) << 12)
 *
 * Cost: per page, nothing (mapping and index are the frame's own); per VMA
 * with anonymous pages, an anon_vma (shared where the reuse rule allows) and
 * one link per ancestor generation: 8 bytes of tree root per anon_vma and
 * 48 per link here, on top of the identity's objects that Linux also has
 * (anon_vma 96 B, anon_vma_chain 64 B in 6.18).
 *
 * Accepting Linux's merges, splits and moves costs it nothing: they are
 * Linux's own, made for this structure.  A split or a move re-keys the
 * VMA's links in their trees (pre_update, post_update); a merge moves the
 * removed VMA's identity onto the survivor through the identity's links.
 *
 * Worst workload: long fork chains.  Each generation adds a link to every
 * descendant's chain, and a walk of an old page visits every VMA of the
 * family that may map it, whether it does or not: a page COWed away in
 * most of a prefork's children is still looked for in all of them.
 */
#include <stdlib.h>
#include <string.h>
#include "scheme.h"

/* the tails: a tree of links per anon_id, a node per link */
static struct rb_root *avc_tree(struct anon_id *a)
{
	return anon_tail(a);
}

static struct itree_node *avc_node(struct anon_link *l)
{
	return link_tail(l);
}

static void avc_insert(struct anon_link *l)
{
	struct itree_node *it = avc_node(l);
	const struct vm_area *v = l->vma;

	it->start = v->pgoff;
	it->last = v->pgoff + vma_pages(v) - 1;
	itree_insert(it, avc_tree(l->aid));
}

static void avc_link_add(struct anon_link *l)
{
	avc_insert(l);
}

static void avc_link_del(struct anon_link *l)
{
	itree_remove(avc_node(l), avc_tree(l->aid));
}

/* anon_vma_interval_tree_pre_update_vma and _post_update_vma */
static void avc_pre_update(struct vm_area *vma)
{
	struct list_head *p;

	list_for_each(p, &vma->anon_chain)
		avc_link_del(list_entry(p, struct anon_link, same_vma));
}

static void avc_post_update(struct vm_area *vma)
{
	struct list_head *p;

	list_for_each(p, &vma->anon_chain)
		avc_insert(list_entry(p, struct anon_link, same_vma));
}

static int avc_walk_anon(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg)
{
	struct anon_id *a = f->mapping;
	struct itree_node *it;
	int ret = 0;

	for (it = itree_iter_first(avc_tree(a), f->index, f->index); it && !ret;
	     it = itree_iter_next(it, f->index, f->index))
		ret = rmap_one(m, f, link_of_tail(it)->vma, fn, arg);
	return ret;
}

/* every link of the chain sits in its anon_vma's tree, keyed by the
 * VMA's current range */
static bool avc_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	const struct list_head *p;

	list_for_each(p, &vma->anon_chain) {
		struct anon_link *l = list_entry(p, struct anon_link, same_vma);
		const struct itree_node *it = avc_node(l);

		if (it->start != vma->pgoff || it->last != vma->pgoff + vma_pages(vma) - 1 ||
		    !itree_check_path(avc_tree(l->aid), it, why, len)) {
			if (it->start != vma->pgoff || it->last != vma->pgoff + vma_pages(vma) - 1)
				snprintf(why, len, "rmap: an anon_vma_chain of [%#llx,%#llx) is stale",
					 (unsigned long long)vma->start, (unsigned long long)vma->end);
			return false;
		}
	}
	return true;
}

static int avc_init(struct vm_machine *m) { return 0; }
static void avc_fini(struct vm_machine *m) { }

const struct rmap_ops rmap_avc_ops = {
	.name = "avc",
	.init = avc_init,
	.fini = avc_fini,
	.identity_is_rmap = true,
	.anon_tail = sizeof(struct rb_root),
	.link_tail = sizeof(struct itree_node),
	.link_add = avc_link_add,
	.link_del = avc_link_del,
	.pre_update = avc_pre_update,
	.post_update = avc_post_update,
	.check_vma = avc_check_vma,
	.walk_anon = avc_walk_anon,
};
