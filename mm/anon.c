/*
 * mm/anon.c - the anonymous identity of VMAs: Linux 6.18's anon_vma and
 * anon_vma_chain, as the layout of address spaces sees them.
 *
 * In Linux, whether two VMAs merge, whether fork copies a VMA's PTEs, what
 * mprotect accounts and which pgoff a moved VMA gets all depend on the
 * anon_vma: whether a VMA has one, whether two are the same, whether its
 * chain is singular (a fork child's is not), and which one a new VMA may
 * share with a neighbour (find_mergeable_anon_vma).  Those decisions show
 * in every `vma` line of a dump and in many results, so they cannot depend
 * on the reverse-mapping scheme being studied.  mm/ therefore keeps this
 * identity itself, with 6.18's lifecycle, for every scheme, and every
 * layout decision reads only it:
 *
 *   anon_id    one per anon_vma: root and parent in the fork family, the
 *              counters of the reuse rule (num_children, num_active_vmas),
 *              and the number of links to it (Linux: its tree is not empty)
 *   anon_link  one per anon_vma_chain: a VMA may map pages of that anon_id
 *              (its own, and its fork ancestors')
 *
 *     vma->anon ---------------------> anon_id (its own)
 *     vma->anon_chain: link -> link -> ...  (newest first)
 *                        |       `--> anon_id of the parent, ...
 *                        `--> anon_id (its own)
 *
 * An anonymous page records the anon_id of the VMA that made it
 * (frame->mapping) and its linear index (frame->index), as a folio records
 * its anon_vma.  The identity finds no page and walks nothing: reverse
 * lookups are the scheme's.  A scheme may keep state in a tail of each
 * anon_id and anon_link (rmap_ops.anon_tail, link_tail: Linux's own scheme
 * keeps its interval trees there) and is told when a link comes and goes.
 *
 * Locking (when threads come): as the anon_vma's, the root's lock guards
 * the family's counters and links [anon root lock]; a VMA's anon and
 * anon_chain change under its mm's mmap_lock.
 */
#include <stdlib.h>
#include "mm.h"
#include "../rmap/rmap.h"

/* the identity's objects, counted (ids, links: +1 or -1 each) with the
 * scheme's tails, and the peak of reverse-map metadata */
static void anon_account(struct vm_machine *m, int ids, int links)
{
	m->stats.nr_anon_ids += (uint64_t)(int64_t)ids;
	m->stats.nr_anon_links += (uint64_t)(int64_t)links;
	m->stats.anon_bytes += (uint64_t)(int64_t)(ids * (int)sizeof(struct anon_id) +
						  links * (int)sizeof(struct anon_link));
	m->stats.rmap_bytes += (uint64_t)(int64_t)(ids * (int)rmap_tail_size(m, RMAP_TAIL_ANON) +
						  links * (int)rmap_tail_size(m, RMAP_TAIL_LINK));
	rmap_note_peak(m);
}

/* an object of the identity, with the scheme's tail: from the machine's
 * frames when it is the scheme's metadata (the scheme is built of the
 * identity, or keeps a tail on objects of this type), else from the host
 * (it is then only the simulator's record of Linux's layout) */
static bool identity_in_slab(const struct vm_machine *m, const struct vm_slab *s)
{
	return s == &m->slab_anon ? m->anon_in_slab : m->link_in_slab;
}

static void *identity_alloc(struct vm_machine *m, struct vm_slab *s)
{
	return identity_in_slab(m, s) ? slab_alloc(m, s) : vm_zalloc(m, s->size);
}

static void identity_free(struct vm_machine *m, struct vm_slab *s, void *p)
{
	if (identity_in_slab(m, s))
		slab_free(m, s, p);
	else
		free(p);
}

static struct anon_id *aid_alloc(struct vm_machine *m)
{
	struct anon_id *a = identity_alloc(m, &m->slab_anon);

	if (!a)
		return NULL;
	a->root = a;
	a->parent = a;
	a->refcount = 1;
	a->m = m;
	anon_account(m, 1, 0);
	return a;
}

static void aid_free(struct anon_id *a)
{
	struct vm_machine *m = a->m;

	rmap_anon_free(a);
	anon_account(m, -1, 0);
	identity_free(m, &m->slab_anon, a);
}

/* put_anon_vma: a root goes when its last family member does */
static void aid_put(struct anon_id *a)
{
	if (--a->refcount == 0) {
		struct anon_id *root = a->root;

		aid_free(a);
		if (root != a && --root->refcount == 0)
			aid_free(root);
	}
}

static struct anon_link *link_alloc(struct vm_machine *m)
{
	struct anon_link *l = identity_alloc(m, &m->slab_link);

	if (l)
		anon_account(m, 0, 1);
	return l;
}

static void link_free(struct vm_machine *m, struct anon_link *l)
{
	anon_account(m, 0, -1);
	identity_free(m, &m->slab_link, l);
}

/* anon_vma_chain_link: vma may now map pages of a; the scheme is told */
static void link_add(struct vm_area *vma, struct anon_link *l, struct anon_id *a)
{
	l->vma = vma;
	l->aid = a;
	list_add(&l->same_vma, &vma->anon_chain);
	a->nr_links++;
	rmap_link_add(l);
}

/* the link leaves a's set (the scheme is told); => whether it was a's last */
static bool link_del(struct anon_link *l)
{
	rmap_link_del(l);
	return --l->aid->nr_links == 0;
}

/*
 * find_mergeable_anon_vma: an adjacent VMA whose anon_vma we may share
 * because the two could one day merge (same file and flags but for access
 * bits, linear page offsets) and it has no fork ancestry (singular chain).
 * Linux tries the next VMA first, then the previous one.
 */
static bool anon_compatible(const struct vm_area *a, const struct vm_area *b)
{
	return a->end == b->start && vma_same_file(a, b->file, b->file_open) &&
	       !((a->flags ^ b->flags) & ~VM_ACCESS_FLAGS) &&
	       b->pgoff == a->pgoff + vma_pages(a);
}

static struct anon_id *reusable(struct vm_area *old, struct vm_area *a, struct vm_area *b)
{
	if (anon_compatible(a, b) && old->anon && list_is_singular(&old->anon_chain))
		return old->anon;
	return NULL;
}

static struct anon_id *find_mergeable(struct vm_area *vma)
{
	struct anon_id *a = NULL;

	if (vma->next)
		a = reusable(vma->next, vma, vma->next);
	if (!a && vma->prev)
		a = reusable(vma->prev, vma->prev, vma);
	return a;
}

/* __anon_vma_prepare */
int anon_prepare(struct vm_area *vma)
{
	struct vm_machine *m = vma->mm->machine;
	struct anon_link *l;
	struct anon_id *a;

	if (vma->anon)
		return 0;
	l = link_alloc(m);
	if (!l)
		return -12;
	a = find_mergeable(vma);
	if (!a) {
		a = aid_alloc(m);
		if (!a) {
			link_free(m, l);
			return -12;
		}
		a->num_children++;   /* self-parent link of a new root */
	}
	vma->anon = a;
	link_add(vma, l, a);
	a->num_active_vmas++;
	return 0;
}

/* unlink_anon_vmas: vma forgets its identity (it goes away, or merged) */
void anon_unlink(struct vm_area *vma)
{
	struct vm_machine *m = vma->mm->machine;
	struct list_head *p, *n;

	list_for_each_safe(p, n, &vma->anon_chain) {
		struct anon_link *l = list_entry(p, struct anon_link, same_vma);
		struct anon_id *a = l->aid;

		if (link_del(l)) {
			/* leave it on the list: its anon_id goes below */
			a->parent->num_children--;
			continue;
		}
		list_del(&l->same_vma);
		link_free(m, l);
	}
	if (vma->anon) {
		vma->anon->num_active_vmas--;
		vma->anon = NULL;
	}
	list_for_each_safe(p, n, &vma->anon_chain) {
		struct anon_link *l = list_entry(p, struct anon_link, same_vma);

		list_del(&l->same_vma);
		aid_put(l->aid);
		link_free(m, l);
	}
}

/*
 * anon_vma_clone: link dst to every anon_id of src's chain.  When dst has
 * no anon_id yet (fork), one of the chain that no VMA uses and that has at
 * most one child may be reused instead of allocating one.  On -ENOMEM dst
 * is left with no identity.
 */
int anon_clone(struct vm_area *dst, struct vm_area *src)
{
	struct vm_machine *m = src->mm->machine;
	struct list_head *p;

	list_for_each_prev(p, &src->anon_chain) {
		struct anon_link *pl = list_entry(p, struct anon_link, same_vma);
		struct anon_link *l = link_alloc(m);
		struct anon_id *a = pl->aid;

		if (!l) {
			dst->anon = NULL;
			anon_unlink(dst);
			return -12;
		}
		link_add(dst, l, a);
		if (!dst->anon && src->anon && a->num_children < 2 && a->num_active_vmas == 0)
			dst->anon = a;
	}
	if (dst->anon)
		dst->anon->num_active_vmas++;
	return 0;
}

/* anon_vma_fork: the child's VMA links to the parent's family and gets an
 * anon_id of its own (or reuses an unused one) */
int anon_fork(struct vm_area *vma, struct vm_area *pvma)
{
	struct vm_machine *m = vma->mm->machine;
	struct anon_id *a, *pa = pvma->anon;
	struct anon_link *l;
	int err;

	list_init(&vma->anon_chain);
	vma->anon = NULL;
	if (!pa)
		return 0;
	err = anon_clone(vma, pvma);
	if (err)
		return err;
	if (vma->anon)
		return 0;               /* an old anon_id was reused */
	a = aid_alloc(m);
	l = a ? link_alloc(m) : NULL;
	if (!l) {
		if (a)
			aid_put(a);
		anon_unlink(vma);
		return -12;
	}
	a->num_active_vmas++;
	a->root = pa->root;
	a->parent = pa;
	a->root->refcount++;
	vma->anon = a;
	link_add(vma, l, a);
	a->parent->num_children++;
	return 0;
}

/* dup_anon_vma: dst takes src's identity if it has none (a merge or an
 * mprotect that moves a boundary hands dst pages of src) */
int anon_dup(struct vm_area *dst, struct vm_area *src)
{
	if (src && src->anon && !dst->anon) {
		dst->anon = src->anon;
		return anon_clone(dst, src);
	}
	return 0;
}

/* vma_is_fork_child's test: the chain reaches ancestors' anon_ids */
bool anon_is_fork_child(const struct vm_area *vma)
{
	return vma && vma->anon && !list_is_singular(&vma->anon_chain);
}

/* every link of the chain points back at vma, and vma's own anon_id is
 * one of the chain's */
bool anon_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	const struct list_head *p;
	bool own = !vma->anon;

	list_for_each(p, &vma->anon_chain) {
		const struct anon_link *l = list_entry(p, struct anon_link, same_vma);

		if (l->vma != vma || !l->aid || l->aid->nr_links <= 0) {
			snprintf(why, len, "anon: a link of [%#llx,%#llx) is stale",
				 (unsigned long long)vma->start, (unsigned long long)vma->end);
			return false;
		}
		if (l->aid == vma->anon)
			own = true;
	}
	if (!own) {
		snprintf(why, len, "anon: [%#llx,%#llx)'s anon_id is not on its chain",
			 (unsigned long long)vma->start, (unsigned long long)vma->end);
		return false;
	}
	return true;
}
