/*
 * rmap/vmainode.c - the `vmainode` scheme: Benjamin LaHaise's option (b)
 * of 2 March 1998 ("reverse pte lookups and anonymous private mappings;
 * avl trees?", linux-mm; seed 000_5261d4444e059c51): per-VMA inodes, with
 * eager shadowing at fork.
 *
 *   "b) per-vma inodes.  This scheme is a headache.  It would involve
 *    linking the inodes in order to maintain a chain of the anonymous
 *    pages.  At fork() time, each private anonymous vma would need to have
 *    two new inodes allocated (one for each task), which would point to
 *    the old inode.  Ptes are found using the inode, offset pair already
 *    in struct page, plus walking the inode tree. [...] disadvantage:
 *    hairy, conflicts with the new swap cache code - requires the old
 *    swap_entry to return to struct page."
 *
 * The design.  A private VMA's anonymous pages belong to an object (his
 * inode; struct vnode here): the page's (object, offset) pair is the
 * frame's rmap word and its linear page index (frame->index, which mm/
 * sets for every anonymous page as Linux sets page->index: vm_pgoff plus
 * the page's place in the VMA, unchanged by mremap).  At fork the object
 * of every private VMA that has one gets two new objects, one for the
 * parent's VMA and one for the child's, each pointing to the old one
 * (vnode.parent), which is from then on read-only: no VMA is attached to
 * it, so no new page is made in it; the pages it holds are shared by both
 * sides until a copy-on-write gives one side its own copy, in its own
 * new object.  A chain of forks makes a tree:
 *
 *        O  (the pages of the VMA before the 1st fork; read-only)
 *       / \
 *     Op   Oc1 <- the child's VMA (its COW copies and new pages)
 *    /  \
 *  Opp   Oc2   <- the 2nd child's VMA
 *   ^
 *   the parent's VMA now
 *
 * How it finds a page's mappings.  Only the VMAs attached to an object of
 * the subtree of the page's object can map it (a VMA maps the pages of
 * its object and of that object's ancestors), so the walk visits the
 * subtree depth first, and each VMA attached there whose pgoff range holds
 * the index has its PTE probed at vma->start + ((index - pgoff) << 12)
 * (rmap_one).  VMAs looked at, PTEs probed and found are counted as in
 * every scheme; the depth of the subtree walked (the page's object is
 * level 1) goes to rmap_tree_depth_sum / rmap_tree_walks, and the chain
 * from the page's object to its root, measured at each walk and each
 * fork, to rmap_tree_depth_max.
 *
 * How it maps onto the contract (and onto Linux's layout, which mm/
 * decides and the scheme accepts):
 *  - One object per (address space, anonymous identity).  LaHaise's
 *    objects were per VMA; Linux splits a VMA into pieces that keep one
 *    anon_vma and may merge again whenever mm/ says (same anon_id, or one
 *    without one), and a per-VMA pair at fork would leave the two halves
 *    of a split parent VMA with objects in disjoint subtrees, which no
 *    merged VMA could be attached to.  So every VMA of one mm with the
 *    same vma->anon is attached to the same object (a split hands the new
 *    half its object; a first page joins a peer's; a merge, an mremap or
 *    a shifted boundary hands the receiving VMA the object of the one it
 *    takes PTEs from, whose anon_id it has just taken), and a fork gives
 *    an object ONE new object per address space attached to it (two, for
 *    the parent and the child): "one pair per object per fork", not per
 *    VMA.  A merge never meets two objects.
 *  - The first object.  A VMA gets an object at its first anonymous page
 *    (page_add_new_anon, page_add_anon), a hook that may not fail, after
 *    mm/'s anon_prepare, which may.  So the root of a family's tree is no
 *    slab object: it is the tail of the family's root anon_id (made by
 *    anon_prepare, freed by mm/ after the family's last VMA), and a VMA
 *    with no object and no peer is attached to its family's root.  Every
 *    object of the family lies in that root's tree, so a common ancestor
 *    always exists (below, swap).  In the normal case the root is new and
 *    unshadowed; the one exception is a VMA whose first page comes after
 *    its family's root was shadowed, with no peer of its anon_id holding
 *    an object (its fault failed after anon_prepare, and a fork or a
 *    find_mergeable neighbour copied the identity): it shares a leaf of
 *    the family's tree with the VMAs already there (correct: a leaf's
 *    pages are found by walking the leaf; only less precise), since a
 *    new object cannot be had there.  So only leaves ever have VMAs, and
 *    an object with children, read-only, never gets a new page.
 *  - Fork.  vma_fork may not fail; page_dup may.  So vma_fork attaches
 *    the child's VMA to its parent's object, or to the new object made
 *    for the child's address space if the parent's object was shadowed in
 *    this very fork (a sibling of the parent's object whose VMAs are all
 *    the child's); and the first page_dup of a (child, parent) pair that
 *    still share one object shadows it: one new object per address space
 *    attached to it, allocated all or none (-ENOMEM: the fork fails, mm/
 *    destroys the child, the parent is left as it was or on its new
 *    object, both consistent).  A VMA whose pages are all out (swapped,
 *    dropped) has no page_dup: parent and child stay on one object, which
 *    is correct (its subtree holds both), not shadowed until a later fork
 *    finds a present page; that fork then gives each address space on the
 *    object its own (three or more new objects, the only time it is more
 *    than two).
 *  - No collapse is in his design, and none is done: pages are never
 *    moved down into a child.  But an object left with no VMAs, no pages
 *    and no children is freed at once (cut from its parent:
 *    rmap_tree_cuts), and one with no VMAs, no pages and a single child,
 *    dead weight in every walk (what a fork chain leaves when a middle
 *    process exits or all its pages were copied), is spliced out: its
 *    child takes its place under its parent (rmap_tree_merges).  The root
 *    (a tail) is never freed by the scheme; it may stay as a pass-through.
 *  - A page mapped only by one VMA again (write-fault reuse: page_move_anon)
 *    moves to that VMA's object, as folio_move_anon_rmap moves a folio to
 *    the VMA's own anon_vma (counted in rmap_repointed).
 *
 * The swap cache, the "conflict".  In 1998 a page in the swap cache was
 * in the swapper inode's page hash under (swapper_inode, entry): the very
 * (inode, offset) fields of struct page that (b) wants for the page's
 * object, hence "requires the old swap_entry to return to struct page".
 * Here the conflict is gone by construction: the swap slot is a field of
 * its own (the frame's pad with PG_SWAPCACHE, mm/swap.c), mm/'s identity
 * is frame->mapping, and the object is in frame->rmap; no field serves
 * two owners.  What is left to do is mapping pages back:
 *  - swap-out unmaps every PTE (page_remove): with the last one the page
 *    leaves its object (rmap word 0); a swap-cache page mapped by nobody
 *    names no object, so its frame can be freed by mm/ without telling
 *    anyone, and no object is kept alive by swap;
 *  - a page read back (page_add_new_anon through rmap_add_new_anon_swap,
 *    exclusive or not) or a swap-cache page mapped again by its first PTE
 *    (page_add_anon at map count 1) goes into the faulting VMA's object;
 *  - a swap-cache page mapped by one more VMA (page_add_anon, the swap
 *    entry was shared by fork) whose object is outside the page's subtree
 *    re-homes the page to the lowest common ancestor of the two objects
 *    (counted in rmap_repointed).  Both lie in one family tree (a shared
 *    swap entry is only ever copied by fork or moved by mremap within the
 *    family mm/ links the VMA to), so the ancestor exists; moving a page
 *    up keeps every earlier mapper in its subtree.  The other holders of
 *    the entry map nothing yet, and re-home it when they do.
 *
 * Cost, exactly (x86-64).  Per page: the 8-byte rmap word (the object;
 * the offset is frame->index, which every scheme keeps: his "inode,
 * offset pair already in struct page"), counted while it names an
 * object.  Per VMA: 24 bytes (the object and the link in its VMA list),
 * every VMA.  Per object: 72 bytes (flags, counts of VMAs, children and
 * pages, child list, VMA list, parent, sibling link), from the scheme's
 * slab; a family's root is the same less its parent and sibling link, 48
 * bytes, the tail of every anon_id (used by roots only: 48 bytes on each
 * of mm/'s anon_ids, which then come from the machine's slab; Linux's
 * layout makes many anon_ids, one per VMA per fork generation, so this
 * is a large share of the total).  Per address space: nothing.  Per fork: 2 objects
 * (144 bytes) per object attached to the parent (usually one per private
 * VMA with anonymous pages: one per anon_id), 24 bytes per VMA copied,
 * and one word per page is NOT touched (page_dup changes nothing per
 * page: the pages stay in the old object).
 *
 * What accepting Linux's layout costs: nothing per page and no page
 * table walk: splits, merges, moves and shifted boundaries hand the
 * receiving VMA an object by the anon_id rule above; a first page with no
 * object, or a merge or boundary shift into a VMA without one, searches
 * the mm's VMAs for a peer of the same anon_id (counted in
 * rmap_repoint_vmas).
 *
 * Worst workload: fork chains, and any process that forks many times.
 * Every fork adds a level under every shadowed object, and the old
 * objects stay while they hold pages (no collapse), so the walk of a page
 * made before n forks goes through the whole tree below it: every VMA of
 * every descendant, plus every object still holding pages.  A pass-through
 * is spliced out only once it has no page and one child left.  A server
 * that forks children is as bad: its own object is shadowed at each fork,
 * so its side of the tree is a chain as long as the forks whose children
 * are still there.
 *
 * Measured (`revmap bench rmap`, seed 1, median of 3 runs; objects made
 * per fork are the objects alive at the end of the trace plus those cut
 * and spliced, over its forks; bytes per fork are theirs, 72 each; depth
 * is the mean depth of the subtree walked, max the deepest chain ever;
 * VMAs looked at per walk, precision (PTEs found / probed) and ns per
 * walk; fork ns per page, with avc's and vmaring's):
 *
 *    case     obj/fork B/fork depth (max)  VMAs/walk (avc)  prec (avc)  ns/walk (avc)
 *    chain      29.1    2093   74.3 (192)  2189.5  (86.1)  0.53 (0.35) 59663 (14014)
 *    prefork     4.0     288   64.7 (301)    57.2 (108.6)  0.98 (0.50)  1753  (2048)
 *    filemap     0.66     47    1.0   (5)   159.6 (159.6)  0.22 (0.22)  5037  (5553)
 *    mremap      2.06    148   56.3 (201)   124.8 (132.1)  0.95 (0.46)  1882  (2430)
 *    mlock       6.26    451   12.7  (26)    38.8  (37.8)  0.83 (0.82)   593   (601)
 *
 *    fork ns/page: chain 2012 (avc 17657, vmaring 2278), prefork 10.8
 *    (6.9, 8.5), filemap 10.8 (8.8, 8.9), mremap 11.1 (7.0, 6.8), mlock
 *    23.7 (19.3, 10.1)
 *
 * On the chain (200 processes, splits and moves at every level) a walk
 * looks at 25 times avc's VMAs and takes 4.3 times its time, though at
 * half the VMAs of vmaring's, anonvma's or anonlayer's one list per
 * family (4882): the tree does tell descendants from cousins, which no
 * list does.  Its 1.68 MB at the peak are 5.5 times vmaring's 0.31 MB
 * (and a hundredth of avc's 147 MB); about half of them are the 48-byte
 * root tail on each of mm/'s anon_ids (18372 at the end of the trace:
 * 0.88 MB), the price of never allocating at a first page.  Where children keep their parent's layout (prefork,
 * mremap) the per-(mm, anon_id) objects make walks more precise than
 * avc's (0.98 and 0.95 of the PTEs probed map the page), at depths of
 * 65 and 56 objects; the price is at fork (per page, 1.2 to 1.6 times
 * avc's and up to 2.3 times vmaring's: per VMA copied, attaching the copy
 * and looking for its twin, and per object the shadowing; wall-clock
 * figures on a shared machine, the counts are exact).  Filemap's walks
 * are of file pages, through i_mmap in every scheme.
 *
 * File pages are found through the file's i_mmap tree, as in every scheme.
 *
 * Locks (when threads come): the family's tree, its objects' lists and
 * counts, and the rmap words of its pages are guarded by the anon root
 * lock of the family (the root object is a tail of the root anon_id); a
 * VMA's tail changes under its mm's mmap_lock and that lock.
 */
#include <stdlib.h>
#include <string.h>
#include "vmainode.h"

static struct vn_vma *vn(const struct vm_area *v)
{
	return vma_tail((struct vm_area *)v);
}

static struct vnode *vma_obj(const struct vm_area *v)
{
	return vn(v)->obj;
}

static struct vnode *frame_obj(const struct vm_frame *f)
{
	return (struct vnode *)(uintptr_t)f->rmap;
}

static struct vm_slab *vnode_slab(struct vm_machine *m)
{
	return &m->slab_rmap[0];
}

static bool covers(const struct vm_area *v, uint64_t index)
{
	return index >= v->pgoff && index - v->pgoff < vma_pages(v);
}

/* the root of the family of anon_id a: its root anon_id's tail (set up
 * at first use: the slab zeroes it) */
static struct vnode *family_root(struct anon_id *a)
{
	struct vnode *r = anon_tail(a->root);

	if (!(r->flags & VNODE_LIVE)) {
		r->flags = VNODE_LIVE | VNODE_ROOT;
		list_init(&r->children);
		list_init(&r->vmas);
	}
	return r;
}

/* objects from the root to n, n included */
static uint64_t chain_depth(const struct vnode *n)
{
	uint64_t d = 0;

	for (; n; n = vnode_parent(n))
		d++;
	return d;
}

static void note_depth(struct vm_machine *m, const struct vnode *n)
{
	uint64_t d = chain_depth(n);

	if (d > m->stats.rmap_tree_depth_max)
		m->stats.rmap_tree_depth_max = d;
}

/* a is b or one of b's ancestors (b lies in a's subtree) */
static bool is_ancestor(const struct vnode *a, const struct vnode *b)
{
	for (; b; b = vnode_parent(b))
		if (a == b)
			return true;
	return false;
}

/* the lowest object whose subtree holds both a and b (one family) */
static struct vnode *common_ancestor(struct vnode *a, struct vnode *b)
{
	uint64_t da = chain_depth(a), db = chain_depth(b);

	for (; da > db; da--)
		a = vnode_parent(a);
	for (; db > da; db--)
		b = vnode_parent(b);
	while (a != b) {
		a = vnode_parent(a);
		b = vnode_parent(b);
	}
	return a;
}

/* ---------------- objects: made, and gone when nothing needs them ---------------- */

static struct vnode *vnode_alloc(struct vm_machine *m)
{
	struct vnode *n = slab_alloc(m, vnode_slab(m));

	if (!n)
		return NULL;
	n->flags = VNODE_LIVE;
	list_init(&n->children);
	list_init(&n->vmas);
	m->stats.rmap_bytes += sizeof(*n);
	rmap_note_peak(m);
	return n;
}

static void vnode_free(struct vm_machine *m, struct vnode *n)
{
	VM_BUG_ON(n->flags & VNODE_ROOT);
	n->flags = 0;
	m->stats.rmap_bytes -= sizeof(*n);
	slab_free(m, vnode_slab(m), n);
}

static void vnode_add_child(struct vnode *parent, struct vnode *n)
{
	n->parent = parent;
	list_add_tail(&n->sibling, &parent->children);
	parent->nr_children++;
}

/*
 * n may have lost its last VMA, page or child: free it if nothing needs
 * it (a cut; its parent is then looked at in turn), or splice it out if
 * it only passes its single child on (a merge).  Roots stay.
 */
static void vnode_release(struct vm_machine *m, struct vnode *n)
{
	while (n && !(n->flags & VNODE_ROOT) && !n->nr_vmas && !n->nr_pages) {
		struct vnode *parent = n->parent;

		if (n->nr_children == 1) {
			struct vnode *c = list_entry(n->children.next, struct vnode, sibling);

			/* c takes n's place among parent's children */
			list_del(&c->sibling);
			c->parent = parent;
			list_add_tail(&c->sibling, &parent->children);
			list_del(&n->sibling);
			vnode_free(m, n);
			m->stats.rmap_tree_merges++;
			return;
		}
		if (n->nr_children)
			return;
		list_del(&n->sibling);
		parent->nr_children--;
		vnode_free(m, n);
		m->stats.rmap_tree_cuts++;
		n = parent;
	}
}

/* ---------------- VMAs attached to objects ---------------- */

static void vma_attach(struct vm_area *v, struct vnode *n)
{
	struct vn_vma *t = vn(v);

	VM_BUG_ON(t->obj);
	t->obj = n;
	list_add_tail(&t->node, &n->vmas);
	n->nr_vmas++;
}

/* v leaves its object (which may go); => the object it had */
static struct vnode *vma_detach(struct vm_area *v)
{
	struct vn_vma *t = vn(v);
	struct vnode *n = t->obj;

	if (n) {
		list_del(&t->node);
		n->nr_vmas--;
		t->obj = NULL;
	}
	return n;
}

/*
 * v (with an anonymous identity) needs an object: a VMA of its mm with the
 * same anon_id has one (every VMA of one mm and anon_id shares it), else
 * its family's root if no fork has shadowed it yet, else a leaf of the
 * family's tree.  => v's object; the VMAs looked at are counted.
 */
static struct vnode *vma_need_obj(struct vm_area *v)
{
	struct vm_machine *m = v->mm->machine;
	struct vnode *n;

	VM_BUG_ON(!v->anon);
	if (vma_obj(v))
		return vma_obj(v);
	for (struct vm_area *w = v->mm->first; w; w = w->next) {
		m->stats.rmap_repoint_vmas++;
		if (w != v && w->anon == v->anon && vma_obj(w)) {
			vma_attach(v, vma_obj(w));
			return vma_obj(v);
		}
	}
	/* no peer: the root, or (when forks have shadowed it already) a leaf
	 * of its tree: only leaves have VMAs, read-only objects get no page */
	n = family_root(v->anon);
	while (!list_empty(&n->children))
		n = list_entry(n->children.next, struct vnode, sibling);
	vma_attach(v, n);
	return n;
}

/* v takes PTEs (and src's anon_id) from src: it must be on src's object */
static void vma_adopt(struct vm_area *v, struct vm_area *src)
{
	if (v != src && !vma_obj(v) && vma_obj(src) && v->anon)
		vma_attach(v, vma_obj(src));
	VM_BUG_ON(vma_obj(v) && vma_obj(src) && vma_obj(v) != vma_obj(src) && v->anon == src->anon);
}

/* ---------------- pages in objects ---------------- */

static void page_set_obj(struct vm_machine *m, struct vm_frame *f, struct vnode *n)
{
	VM_BUG_ON(f->rmap);
	f->rmap = (uint64_t)(uintptr_t)n;
	n->nr_pages++;
	m->stats.rmap_bytes += sizeof(f->rmap);
	rmap_note_peak(m);
}

static void page_clear_obj(struct vm_machine *m, struct vm_frame *f)
{
	struct vnode *n = frame_obj(f);

	f->rmap = 0;
	n->nr_pages--;
	m->stats.rmap_bytes -= sizeof(f->rmap);
	vnode_release(m, n);
}

/* f goes from its object to n (the old one may go) */
static void page_move_obj(struct vm_machine *m, struct vm_frame *f, struct vnode *n)
{
	struct vnode *old = frame_obj(f);

	if (old == n)
		return;
	f->rmap = (uint64_t)(uintptr_t)n;
	n->nr_pages++;
	old->nr_pages--;
	m->stats.rmap_repointed++;
	vnode_release(m, old);
}

/* ---------------- per PTE ---------------- */

/* a new anonymous page (a fault, a COW copy, a page read back from
 * swap): into vma's object */
static void vn_page_add_new_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	page_set_obj(vma->mm->machine, f, vma_need_obj(vma));
}

/* a swap-cache page gains a PTE: its first goes into vma's object; a
 * later one from outside its subtree moves it up to the common ancestor */
static void vn_page_add_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	struct vm_machine *m = vma->mm->machine;
	struct vnode *n = vma_need_obj(vma), *cur = frame_obj(f);

	if (!cur) {
		VM_BUG_ON(f->mapcount != 1);
		page_set_obj(m, f, n);
	} else if (!is_ancestor(cur, n)) {
		page_move_obj(m, f, common_ancestor(cur, n));
	}
}

/* the last PTE gone (an unmap, an exit, a COW, a swap-out): the page
 * leaves its object (a swap-cache page names none) */
static void vn_page_remove(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	if ((f->flags & PG_ANON) && f->mapcount == 0 && f->rmap)
		page_clear_obj(vma->mm->machine, f);
}

/* mapped by vma alone again: into vma's object (folio_move_anon_rmap) */
static void vn_page_move_anon(struct vm_frame *f, struct vm_area *vma)
{
	page_move_obj(vma->mm->machine, f, vma_need_obj(vma));
}

/* migration: mm/ copied the descriptor, rmap word included */
static void vn_page_repoint(struct vm_frame *old, struct vm_frame *nf)
{
	VM_BUG_ON(nf->rmap != old->rmap);
}

/*
 * Eager shadowing: X, the object of a parent VMA and of its fork copy,
 * gets one new object per address space attached to it, and each VMA
 * moves to its address space's; X keeps its pages and is read-only.
 * => 0, or -ENOMEM with nothing changed
 */
static int vnode_shadow(struct vm_machine *m, struct vnode *x)
{
	struct list_head made, *p, *q;
	unsigned k = 0;

	/* the address spaces attached to x (two, unless forks left it shared):
	 * a VMA whose mm no VMA before it on the list has counts one */
	list_for_each(p, &x->vmas) {
		struct vm_mm *mm = vma_of_tail(list_entry(p, struct vn_vma, node))->mm;

		for (q = x->vmas.next; q != p; q = q->next)
			if (vma_of_tail(list_entry(q, struct vn_vma, node))->mm == mm)
				break;
		k += q == p;
	}
	list_init(&made);
	while (k--) {
		struct vnode *n = vnode_alloc(m);

		if (!n) {
			list_for_each_safe(p, q, &made)
				vnode_free(m, list_entry(p, struct vnode, sibling));
			return -ENOMEM;
		}
		list_add_tail(&n->sibling, &made);
	}
	/* each VMA to its mm's new object: the first that has a VMA of the
	 * same mm, else the first that has none yet */
	list_for_each_safe(p, q, &x->vmas) {
		struct vm_area *v = vma_of_tail(list_entry(p, struct vn_vma, node));
		struct vnode *to = NULL;
		struct list_head *r;

		list_for_each(r, &made) {
			struct vnode *n = list_entry(r, struct vnode, sibling);

			if (list_empty(&n->vmas) ||
			    vma_of_tail(list_entry(n->vmas.next, struct vn_vma, node))->mm == v->mm) {
				to = n;
				break;
			}
		}
		vma_detach(v);
		vma_attach(v, to);
		m->stats.rmap_repoint_vmas++;
	}
	list_for_each_safe(p, q, &made) {
		struct vnode *n = list_entry(p, struct vnode, sibling);

		list_del(&n->sibling);
		vnode_add_child(x, n);
		note_depth(m, n);
	}
	return 0;
}

/* fork: dst maps f as src does.  The first such page of a pair that still
 * shares an object shadows it. */
static int vn_page_dup(struct vm_frame *f, struct vm_area *dst, struct vm_area *src,
		       uint64_t addr)
{
	struct vnode *x = vma_obj(src);

	if (!x || vma_obj(dst) != x)
		return 0;
	return vnode_shadow(src->mm->machine, x);
}

/* mremap: new_vma takes PTEs of old_vma (and its anon_id); nothing to
 * allocate, so nothing can fail */
static int vn_move_prepare(struct vm_area *old_vma, uint64_t old_addr,
			   struct vm_area *new_vma, uint64_t new_addr, uint64_t len)
{
	vma_adopt(new_vma, old_vma);
	return 0;
}

/* ---------------- per VMA ---------------- */

static void vn_vma_add(struct vm_area *vma)
{
	vn(vma)->obj = NULL;
	list_init(&vn(vma)->node);
}

static void vn_vma_del(struct vm_area *vma)
{
	struct vnode *n = vma_detach(vma);

	if (n)
		vnode_release(vma->mm->machine, n);
}

/* the new half keeps the object of the old (its pages are the same) */
static void vn_vma_split(struct vm_area *vma, struct vm_area *nv)
{
	if (vma_obj(vma))
		vma_attach(nv, vma_obj(vma));
}

/* target takes victim's range: same anon_id, so same object, or it had
 * none (and no pages) and takes victim's */
static void vn_vma_merge(struct vm_area *target, struct vm_area *victim)
{
	vma_adopt(target, victim);
}

/*
 * child is the fork copy of parent: to the object made for child's mm if
 * parent's was shadowed in this fork already, else to parent's (page_dup
 * shadows it at the first present page).  The object made for child's mm
 * is the sibling of parent's whose VMAs are all child's: only leaves have
 * VMAs, so a sibling with VMAs of the new mm was made in this fork by
 * shadowing their parent, which then had no children, and parent's
 * object, a leaf, came from the same shadowing, for parent's mm.
 */
static void vn_vma_fork(struct vm_area *child, struct vm_area *parent)
{
	struct vnode *x = vma_obj(parent);
	struct list_head *p, *q;

	if (!x || !child->anon)
		return;
	if (vnode_parent(x)) {
		list_for_each(p, &x->parent->children) {
			struct vnode *s = list_entry(p, struct vnode, sibling);
			bool mine = s != x && s->nr_vmas;

			list_for_each(q, &s->vmas)
				if (vma_of_tail(list_entry(q, struct vn_vma, node))->mm != child->mm)
					mine = false;
			if (mine) {
				vma_attach(child, s);
				return;
			}
		}
	}
	vma_attach(child, x);
}

/* mremap's copy: vma's anon_id, so vma's object */
static void vn_vma_copy(struct vm_area *nv, struct vm_area *vma)
{
	vma_adopt(nv, vma);
}

/* a range changed: a VMA that grew over a neighbour's PTEs took its
 * anon_id (mm/'s anon_dup), and must take its object too */
static void vn_post_update(struct vm_area *vma)
{
	if (vma->anon && !vma_obj(vma)) {
		struct vm_machine *m = vma->mm->machine;

		for (struct vm_area *w = vma->mm->first; w; w = w->next) {
			m->stats.rmap_repoint_vmas++;
			if (w != vma && w->anon == vma->anon && vma_obj(w)) {
				vma_attach(vma, vma_obj(w));
				return;
			}
		}
	}
}

/* the VMA loses its anonymous identity (anon_unlink; a live VMA after
 * MREMAP_DONTUNMAP moved all its PTEs away): it leaves its object too */
static void vn_link_del(struct anon_link *l)
{
	struct vnode *n = vma_detach(l->vma);

	if (n)
		vnode_release(l->vma->mm->machine, n);
}

/* mm/ frees a family's root anon_id after its last VMA: the tree is gone */
static void vn_anon_free(struct anon_id *a)
{
	struct vnode *r = anon_tail(a);

	VM_BUG_ON(a->root == a && (r->flags & VNODE_LIVE) &&
		  (r->nr_vmas || r->nr_pages || r->nr_children));
	r->flags = 0;
}

/* ---------------- the walk ---------------- */

static int walk_vmas(struct vm_machine *m, struct vm_frame *f, struct vnode *n,
		     rmap_visit_fn fn, void *arg)
{
	struct list_head *p;
	int ret = 0;

	list_for_each(p, &n->vmas) {
		struct vm_area *v = vma_of_tail(list_entry(p, struct vn_vma, node));

		if (covers(v, f->index))
			ret = rmap_one(m, f, v, fn, arg);
		else
			m->stats.rmap_vmas_visited++;
		if (ret)
			break;
	}
	return ret;
}

/*
 * Every VMA attached in the subtree of f's object, depth first.  The
 * visitor may unmap f (its object may then lose the page): the object is
 * held by one more page meanwhile, so that nothing of the subtree goes.
 */
static int vn_walk_anon(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg)
{
	struct vnode *top = frame_obj(f), *n;
	uint64_t level = 1, deepest = 1;
	int ret = 0;

	if (!top)
		return 0;
	note_depth(m, top);
	top->nr_pages++;
	n = top;
	for (;;) {
		ret = walk_vmas(m, f, n, fn, arg);
		if (ret)
			break;
		if (!list_empty(&n->children)) {
			n = list_entry(n->children.next, struct vnode, sibling);
			if (++level > deepest)
				deepest = level;
			continue;
		}
		while (n != top && n->sibling.next == &n->parent->children) {
			n = n->parent;
			level--;
		}
		if (n == top)
			break;
		n = list_entry(n->sibling.next, struct vnode, sibling);
	}
	m->stats.rmap_tree_depth_sum += deepest;
	m->stats.rmap_tree_walks++;
	top->nr_pages--;
	vnode_release(m, top);
	return ret;
}

/* ---------------- checking ---------------- */

/*
 * p is a live object of m: a slab object of the scheme's cache, or the
 * tail of an anon_id (a root), by where it lies (without trusting it)
 */
static bool vnode_valid(struct vm_machine *m, const struct vnode *p)
{
	const uint8_t *b = (const uint8_t *)p;
	const struct vm_frame *sf;
	uint64_t off, in;

	if (!p || b < m->mem || b >= m->mem + (m->nr_frames << PAGE_SHIFT))
		return false;
	off = (uint64_t)(b - m->mem);
	in = off & (PAGE_SIZE - 1);
	sf = pfn_frame(m, off >> PAGE_SHIFT);
	if (!(sf->flags & PG_SLAB))
		return false;
	if (sf->mapping == vnode_slab(m)) {
		if (in % vnode_slab(m)->size || in / vnode_slab(m)->size >= (sf->index >> 32))
			return false;
		return (p->flags & (VNODE_LIVE | VNODE_ROOT)) == VNODE_LIVE;
	}
	if (sf->mapping == &m->slab_anon) {
		if (in < sizeof(struct anon_id) ||
		    (in - sizeof(struct anon_id)) % m->slab_anon.size ||
		    in / m->slab_anon.size >= (sf->index >> 32))
			return false;
		return (p->flags & (VNODE_LIVE | VNODE_ROOT)) == (VNODE_LIVE | VNODE_ROOT);
	}
	return false;
}

static const char *vma_name(const struct vm_area *v, char *buf, size_t len)
{
	snprintf(buf, len, "pid %d [%#llx,%#llx)", v->mm->id, (unsigned long long)v->start,
		 (unsigned long long)v->end);
	return buf;
}

/* a VMA's object: live, of its family, with the VMA on its list */
static bool vn_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	struct vm_machine *m = vma->mm->machine;
	const struct vnode *n = vma_obj(vma), *r;
	const struct list_head *p;
	unsigned steps = 0;
	char b[64];

	if (!n)
		return true;
	if (!vma->anon) {
		snprintf(why, len, "rmap: %s has an object and no anonymous identity",
			 vma_name(vma, b, sizeof(b)));
		return false;
	}
	if (!vnode_valid(m, n)) {
		snprintf(why, len, "rmap: %s is attached to no live object", vma_name(vma, b, sizeof(b)));
		return false;
	}
	for (r = n; vnode_parent(r) && steps < (1u << 24); r = r->parent)
		steps++;
	if (r != anon_tail(vma->anon->root)) {
		snprintf(why, len, "rmap: %s's object is not in its family's tree",
			 vma_name(vma, b, sizeof(b)));
		return false;
	}
	list_for_each(p, &n->vmas)
		if (p == &vn(vma)->node)
			return true;
	snprintf(why, len, "rmap: %s is not on its object's list of VMAs",
		 vma_name(vma, b, sizeof(b)));
	return false;
}

/* a mapped anonymous frame names a live object holding it; an unmapped one none */
static bool vn_check_frame(struct vm_machine *m, const struct vm_frame *f, char *why,
			   size_t len)
{
	unsigned long long pfn = (unsigned long long)frame_pfn(m, f);
	const struct vnode *n = frame_obj(f);

	if (!(f->flags & PG_ANON))
		return true;
	if (f->mapcount == 0) {
		if (n)
			snprintf(why, len, "rmap: unmapped pfn %llu still names an object", pfn);
		return !n;
	}
	if (!vnode_valid(m, n)) {
		snprintf(why, len, "rmap: mapped pfn %llu names no live object", pfn);
		return false;
	}
	if (!n->nr_pages) {
		snprintf(why, len, "rmap: pfn %llu's object counts no page", pfn);
		return false;
	}
	return true;
}

/* the checker's record of the objects seen, by address */
struct seen {
	const struct vnode **obj;    /* sorted after the gathering */
	uint32_t *pages;             /* frames naming each */
	size_t n, cap;
};

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const struct vnode *const *)a;
	uintptr_t y = (uintptr_t)*(const struct vnode *const *)b;

	return x < y ? -1 : x > y;
}

static bool seen_add(struct seen *s, const struct vnode *n)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		const struct vnode **o = realloc(s->obj, cap * sizeof(*o));

		if (!o)
			return false;
		s->obj = o;
		s->cap = cap;
	}
	s->obj[s->n++] = n;
	return true;
}

static long seen_find(const struct seen *s, const struct vnode *n)
{
	const struct vnode **hit = s->n ? bsearch(&n, s->obj, s->n, sizeof(*s->obj), ptr_cmp)
					: NULL;

	return hit ? hit - s->obj : -1;
}

/* one family's tree from its root r: links and counts agree, no cycle,
 * no dead weight; every object is recorded in s */
static bool check_tree(struct vm_machine *m, const struct vnode *r, struct seen *s,
		       char *why, size_t len)
{
	const struct vnode *n = r;
	uint64_t limit = vnode_slab(m)->objects + 1, count = 0;

	for (;;) {
		const struct list_head *p;
		uint32_t kids = 0, vmas = 0;

		if (++count > limit) {
			snprintf(why, len, "rmap: a family's tree has more objects than exist (a cycle)");
			return false;
		}
		if (n != r && !vnode_valid(m, n)) {
			snprintf(why, len, "rmap: a tree holds an object that is not live");
			return false;
		}
		if (n != r && !seen_add(s, n)) {      /* the roots are in s already */
			snprintf(why, len, "rmap: the checker is out of memory");
			return false;
		}
		list_for_each(p, &n->children) {
			const struct vnode *c = list_entry(p, struct vnode, sibling);

			if (++kids > limit || !vnode_valid(m, c) || c->parent != n) {
				snprintf(why, len, "rmap: an object's child does not point back at it");
				return false;
			}
		}
		list_for_each(p, &n->vmas) {
			const struct vm_area *v = vma_of_tail(list_entry(p, struct vn_vma, node));

			if (++vmas > m->stats.nr_vmas || vma_obj(v) != n) {
				snprintf(why, len, "rmap: an object's VMA list holds a VMA "
					 "attached elsewhere");
				return false;
			}
		}
		if (kids != n->nr_children || vmas != n->nr_vmas) {
			snprintf(why, len, "rmap: an object counts %u children and %u VMAs, "
				 "its lists hold %u and %u", n->nr_children, n->nr_vmas, kids, vmas);
			return false;
		}
		if (vmas && kids) {
			snprintf(why, len, "rmap: an object with children (read-only) has VMAs");
			return false;
		}
		if (n != r && !vmas && !n->nr_pages && kids < 2) {
			snprintf(why, len, "rmap: an object with no VMA, no page and %u %s was kept",
				 kids, kids == 1 ? "child (dead weight)" : "children");
			return false;
		}
		if (!list_empty(&n->children)) {
			n = list_entry(n->children.next, struct vnode, sibling);
			continue;
		}
		while (n != r && n->sibling.next == &n->parent->children)
			n = n->parent;
		if (n == r)
			return true;
		n = list_entry(n->sibling.next, struct vnode, sibling);
	}
}

struct pte_check {
	struct vm_machine *m;
	struct vm_area *vma;
	char *why;
	size_t len;
};

/* a present anonymous page of vma: vma lies in its object's subtree */
static int check_mapper(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct pte_check *c = arg;
	struct vm_frame *f = pte_page(c->m, *pte);
	const struct vnode *n;
	char b[64];

	if (!f || !(f->flags & PG_ANON))
		return 0;
	n = frame_obj(f);
	if (!vma_obj(c->vma) || !n || !is_ancestor(n, vma_obj(c->vma))) {
		snprintf(c->why, c->len, "rmap: %s maps pfn %llu at %#llx, outside the subtree "
			 "of its object", vma_name(c->vma, b, sizeof(b)),
			 (unsigned long long)pte_pfn(*pte), (unsigned long long)addr);
		return 1;
	}
	return 0;
}

/*
 * Every family's tree is sound; every VMA's object is in its family's
 * tree, and one per (mm, anon_id); every page's object is live and counts
 * it, and its subtree holds every VMA mapping it; the slab holds exactly
 * the objects of the trees; the metadata bytes are exact.
 */
static bool vn_check_machine(struct vm_machine *m, char *why, size_t len)
{
	struct seen s = { 0 };
	uint64_t mms = 0, words = 0, slabbed = 0, bytes;
	struct list_head *p;
	bool ok = false;
	char b[64];

	/* the roots: of the family of every VMA with an identity */
	list_for_each(p, &m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		mms++;
		for (struct vm_area *v = mm->first; v; v = v->next) {
			if (!vn_check_vma(v, why, len))
				goto out;
			if (v->anon && (((struct vnode *)anon_tail(v->anon->root))->flags & VNODE_LIVE) &&
			    !seen_add(&s, anon_tail(v->anon->root)))
				goto oom;
			for (struct vm_area *w = v->next; w; w = w->next)
				if (w->anon && w->anon == v->anon && vma_obj(v) && vma_obj(w) &&
				    vma_obj(v) != vma_obj(w)) {
					snprintf(why, len, "rmap: %s and another VMA of its anon_id "
						 "are on two objects", vma_name(v, b, sizeof(b)));
					goto out;
				}
		}
	}
	if (s.n)
		qsort(s.obj, s.n, sizeof(*s.obj), ptr_cmp);
	{
		size_t roots = 0;

		for (size_t i = 0; i < s.n; i++)
			if (!i || s.obj[i] != s.obj[i - 1])
				s.obj[roots++] = s.obj[i];
		s.n = roots;
		for (size_t i = 0; i < roots; i++)
			if (!check_tree(m, s.obj[i], &s, why, len))
				goto out;
	}
	if (s.n)
		qsort(s.obj, s.n, sizeof(*s.obj), ptr_cmp);
	for (size_t i = 0; i < s.n; i++)
		if (!(s.obj[i]->flags & VNODE_ROOT))
			slabbed++;
	if (slabbed != vnode_slab(m)->objects) {
		snprintf(why, len, "rmap: %llu objects in the slab, %llu in the trees",
			 (unsigned long long)vnode_slab(m)->objects, (unsigned long long)slabbed);
		goto out;
	}
	s.pages = calloc(s.n + 1, sizeof(*s.pages));
	if (!s.pages)
		goto oom;
	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		const struct vm_frame *f = pfn_frame(m, pfn);
		long i;

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if (!(f->flags & PG_ANON) || !f->rmap)
			continue;
		words++;
		i = seen_find(&s, frame_obj(f));
		if (i < 0 || f->mapcount == 0) {
			snprintf(why, len, "rmap: pfn %llu names %s", (unsigned long long)pfn,
				 i < 0 ? "an object of no tree" : "an object but is mapped by nobody");
			goto out;
		}
		s.pages[i]++;
	}
	for (size_t i = 0; i < s.n; i++)
		if (s.pages[i] != s.obj[i]->nr_pages) {
			snprintf(why, len, "rmap: an object counts %u pages, %u frames name it",
				 s.obj[i]->nr_pages, s.pages[i]);
			goto out;
		}
	list_for_each(p, &m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		for (struct vm_area *v = mm->first; v; v = v->next) {
			struct pte_check c = { m, v, why, len };

			if (walk_ptes(mm, v->start, v->end, check_mapper, &c))
				goto out;
		}
	}
	bytes = m->stats.nr_anon_ids * VNODE_ROOT_SIZE +
		m->stats.nr_vmas * sizeof(struct vn_vma) + slabbed * sizeof(struct vnode) +
		words * sizeof(uint64_t);
	if (bytes != m->stats.rmap_bytes) {
		snprintf(why, len, "rmap: %llu metadata bytes counted, %llu held (%llu anon_ids, "
			 "%llu VMAs, %llu objects, %llu pages naming one)",
			 (unsigned long long)m->stats.rmap_bytes, (unsigned long long)bytes,
			 (unsigned long long)m->stats.nr_anon_ids,
			 (unsigned long long)m->stats.nr_vmas, (unsigned long long)slabbed,
			 (unsigned long long)words);
		goto out;
	}
	(void)mms;
	ok = true;
	goto out;
oom:
	snprintf(why, len, "rmap: the checker is out of memory");
out:
	free(s.obj);
	free(s.pages);
	return ok;
}

/* vnode: the objects fork made (the roots are tails of anon_ids) */
static void vn_objects(const struct vm_machine *m,
		       void (*emit)(const char *type, uint64_t count, void *arg), void *arg)
{
	emit("vnode", m->slab_rmap[0].objects, arg);
}

static int vn_init(struct vm_machine *m)
{
	slab_init(vnode_slab(m), "vnode", sizeof(struct vnode));
	return 0;
}

static void vn_fini(struct vm_machine *m) { }

const struct rmap_ops rmap_vmainode_ops = {
	.name = "vmainode",
	.init = vn_init,
	.fini = vn_fini,
	.anon_tail = VNODE_ROOT_SIZE,
	.vma_tail = sizeof(struct vn_vma),
	.mm_tail = 0,
	.vma_add = vn_vma_add,
	.vma_del = vn_vma_del,
	.vma_split = vn_vma_split,
	.vma_merge = vn_vma_merge,
	.vma_fork = vn_vma_fork,
	.vma_copy = vn_vma_copy,
	.link_del = vn_link_del,
	.anon_free = vn_anon_free,
	.page_add_new_anon = vn_page_add_new_anon,
	.page_add_anon = vn_page_add_anon,
	.page_remove = vn_page_remove,
	.page_dup = vn_page_dup,
	.page_move_anon = vn_page_move_anon,
	.page_repoint = vn_page_repoint,
	.move_prepare = vn_move_prepare,
	.post_update = vn_post_update,
	.check_vma = vn_check_vma,
	.check_frame = vn_check_frame,
	.check_machine = vn_check_machine,
	.walk_anon = vn_walk_anon,
	.objects = vn_objects,
};
