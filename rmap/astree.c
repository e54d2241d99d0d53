/*
 * rmap/astree.c - the `astree` scheme: Jamie Lokier's tree of address
 * spaces, posted to linux-kernel on 27 April 2000 in the anon-layer thread
 * ("Re: [PATCH] 2.3.99-pre6-3+ VM rebalancing"; seed 002_8d7ac3b10ce88629):
 * "I don't think you need separate anon-layer structures at all.  struct
 * address_space is enough.  However, you do need a (small) tree of" them.
 *
 * The design, in his words:
 *   - "Each vma points to an address_space, as does each page."
 *   - "Each address_space may have a *parent* address_space."
 *   - "Each address_space has a list of all it's child spaces and all the
 *     vmas which use it directly."
 *   - "For private mappings only, the first copy-on-write for a given vma
 *     creates a *new* address_space.  All privately modified pages go in
 *     the new address space ...  The new space's parent is the old space."
 *   - "When vmas are duplicated for fork(), the new vma points to the same
 *     address_space as the old one.  If it's a private mapping, both vmas
 *     are flagged so that the first c-o-w will generate new address_spaces."
 *   - "vm_pgoff == index, however the mapping was mremapped etc."
 * and his two optimisations, "not necessary" but here both:
 *   - the cut: "When you've modified all the pages in a private mapping,
 *     the parent address_space is no longer required by this mapping.  So
 *     cut the tree there.  That will release the parent if nobody else
 *     refers to" it;
 *   - the merge: "If a child is the only reference to its parent, they can
 *     be merged" (BSD's vm_object_collapse, Mach's shadow chains).
 *
 *   vma --ref--> space S0 (root, depth 1)    page --> its space (f->rmap)
 *                  |   \
 *      forked vma: S1   S2  <-- the parent's own first COW after the fork
 *                  |
 *                  S3   (a grandchild's)
 *
 * How it finds a page's mappings.  A page lives in the space where it was
 * created: the space of the VMA range whose fault or copy-on-write made it
 * (frame->rmap holds the space's address).  Every VMA that can map it uses
 * that space or one below it (a fork shares the space; a later COW makes a
 * child).  So the walk visits the subtree of the page's space, depth first,
 * and for each VMA range attached to a space of it that holds the page's
 * index probes the PTE at vma->start + ((index - vma->pgoff) << 12)
 * (rmap_one).  Every range looked at counts as a VMA visited, probed or
 * not.  The depth of the subtree walked (levels, the page's own space 1)
 * goes into rmap_tree_depth_sum / rmap_tree_walks; the deepest chain from
 * a space to its root ever held is rmap_tree_depth_max.
 *
 * Invariant (checked by check_machine, PTE by PTE): for every present PTE
 * of an anonymous page f in VMA v at index i, v has a ref covering i whose
 * space is f's space or one of its descendants.
 *
 * The contract mm/ gives it.  mm/ decides the layout from Linux's
 * anon_vma identity (mm/anon.c); this scheme keeps its own tree beside it
 * and reads the identity only to know whether a fork child may map pages.
 *   first anonymous page of a VMA: a new root space (anon_vma_prepare);
 *   vma_fork: the child's ranges copy the parent's, same spaces; both
 *     flagged (AS_FORKED);
 *   page_add_new_anon in a flagged range (a COW copy, a first touch): a
 *     new space, parent = the old one, the range moves to it unflagged, and
 *     the page goes there; pages already made stay where they are;
 *   page_move_anon (write-fault reuse: the page is now this VMA's alone):
 *     the page moves down to the VMA's space, which is what lets cuts come;
 *   split, merge, move: the ranges follow (below); page indices never
 *     change, so no page is touched.
 *
 * The range-to-space map.  Lokier's vma points to one address_space.
 * Linux merges two VMAs whose spaces differ (a fork child's VMA split by
 * mprotect, one half COWed into a new space, the other not, then merged
 * back by a second mprotect; or the same anon_vma with a neighbour's pages
 * moved in), and this scheme must accept it.  So a VMA keeps a list of
 * refs, (page-index range -> space), each linked on its space's list, as
 * UVM's vm_aref points into an amap: splits hand the refs past the split
 * index to the new half, merges hand the victim's refs to the survivor,
 * a boundary moved by mprotect hands the refs of the part that changed
 * hands, mremap copies the moved range's refs (indices are kept, so they
 * stay true).  Adjacent refs of one space coalesce.  A VMA almost always
 * has one ref; the walk looks at refs, not VMAs.
 *
 * Memory, and the hooks that may not fail.  The first ref of a VMA lives in
 * its tail, so a VMA's first space and every split need no allocation
 * (a split makes at most one new piece, and the new half's slot is free).
 * A merge or a boundary shift that needs a ref object and cannot get one
 * (fault injection, or no free frame) widens the survivor's neighbouring
 * ref over the piece instead and makes every page mapped there findable
 * from it: re-homing each page up to the common ancestor of its space and
 * the ref's, or, when the two are in different trees (after a cut), grafting
 * the ref's tree under the page's space (both counted in rmap_repointed).
 * A new space that cannot be allocated: a COW leaves the page in the old
 * space (still correct, less precise); a VMA's first page goes to the
 * machine's orphan root.  A fork child whose extra refs cannot be
 * allocated fails the fork in page_dup (-ENOMEM), which may fail; mremap
 * allocates its copies in move_prepare, which may fail.
 *
 * The cut.  Each space counts the present PTEs, through its own refs, of
 * pages in strict ancestors (anc).  When a subtree's counts are all zero,
 * no VMA below it maps a page of its parent or above: it is cut off and
 * becomes a root (rmap_tree_cuts).  This is conservative (a deep space
 * that still maps its own parent's pages keeps the whole subtree attached,
 * even where nobody maps the grandparent's) and exactly Lokier's "modified
 * all the pages" for one VMA.  Swap is the hazard: a page of the parent
 * swapped out leaves swap entries, no mapping, and no count; read back, it
 * is mapped by one VMA (its space becomes that VMA's) and later, through
 * the swap cache, by others (page_add_anon).  If the newcomer's space is
 * not below the page's, the page is re-homed up to the common ancestor,
 * or, across a cut, the newcomer's tree is grafted back under the page's
 * space.  A page leaves its space with its last PTE: a swap-cache page
 * that nobody maps names no space.
 *
 * The merge.  A space with no refs of its own and one child is merged into
 * that child, as vm_object_collapse merges a backing object into the only
 * object that shadows it: the child takes its place under the grandparent
 * (rmap_tree_merges).  Its pages are not listed anywhere (the frame's word
 * is the only per-page state), so the old space stays as a forwarding stub
 * (fwd) that the page lookups follow, freed with the last page naming it.
 * A space with no refs, no children, no pages and no stubs is freed at
 * once.  Cuts and merges recount PTEs, so they wait on a pending list for
 * a moment when mm/'s page tables and the counts agree: the start of a
 * hook that adds a PTE or moves a page, or an address space's exit (never
 * inside a walk: the walk's tree does not change under it; never at a
 * walk's start: the checkers walk too, and must change nothing).
 *
 * Cost, exactly (x86-64).  Per page: 8 bytes, the space pointer in
 * frame->rmap (counted while it names a space).  Per VMA: 88 bytes of tail,
 * every VMA, file-only ones too (a list head and one ref slot).  Per
 * address space: 16 bytes of tail (the old range of a VMA being updated,
 * an artefact of revmap's hooks).  Per space: 120 bytes (slab_rmap[0]);
 * per extra ref: 72 bytes (slab_rmap[1]).  rmap_bytes counts all of it.
 * (The orphan root is part of the machine-wide state, rmap_priv, as the
 * scheme's code is: not counted.)
 *
 * What accepting Linux's layout costs: the extra refs after a merge of
 * differently-spaced VMAs, and page-table walks of one range when a
 * flagged range moves to a new space or a space is merged (to recount
 * anc: rmap_repoint_ptes) or a merge falls back to widening.
 *
 * Worst workload: a deep fork chain in which every generation COWs a
 * little and keeps the rest: each COW after a fork makes a new space one
 * level deeper, pages stay high, and a walk of a page near the root visits
 * every space and range below it, the whole chain.  Less expected: a
 * prefork server, wide and shallow in processes, is a chain in spaces,
 * since every fork flags the parent's range too and the parent's first
 * write after it moves the parent one level down (its older children
 * hang above).  And that first write recounts the parent's whole range
 * (the anc counts that guard the cut): rmap_repoint_ptes, in its faults.
 *
 * The claim measured.  Lokier: "I would expect trees only 2 or 3 deep for
 * normal cases."  `revmap bench rmap`, full, seed 1: the deepest chain
 * ever held (replay --stats of the same trace), the mean depth of the
 * subtrees walked, VMAs (refs) looked at per walk and precision (PTEs
 * found / probed), avc's in parentheses; cuts and merges made:
 *
 *    case      depth  walked   VMAs/walk        precision        cuts merges
 *    chain        47    12.4   1154.76 (86.07)  0.6050 (0.3545)   159     27
 *    prefork      33    12.8     57.20 (108.58) 0.9815 (0.4971)     0      6
 *    filemap       5     1.0    159.63 (159.64) 0.2248 (0.2248)    43     17
 *    mremap        5     2.3    118.28 (132.13) 0.8256 (0.4599)     9      6
 *    mlock        13     5.0     37.91 (37.82)  0.8337 (0.8189)    15     17
 *
 * It holds for mappings forked once or twice (filemap, mremap: the trees
 * are 5 deep at most and a walk sees 1 to 2.3 levels).  It breaks on the
 * 200-deep fork chain (47 deep even with 159 cuts and 27 merges; a walk
 * sees 12 levels and 13 times avc's VMAs) and on prefork (33 deep, 12.8
 * levels walked), though there the subtree of a page holds only the
 * children forked after it was written, so walks look at half avc's VMAs
 * and nearly every PTE probed maps the page.  The tree is precise where
 * it is deep: a page's subtree excludes every VMA that COWed before the
 * page was made, which avc's per-VMA anon_vmas only partly do.
 *
 * File pages are found through the file's i_mmap tree, as in every scheme.
 *
 * Locking (when threads come): the tree, its refs and the frames' words
 * are guarded by one lock per tree (taken in the place of the anon root
 * lock); a VMA's refs change under its mm's mmap_lock and that lock.
 */
#include <stdlib.h>
#include <string.h>
#include "astree.h"

/* the machine-wide state */
struct as_priv {
	struct as_space *orphan;     /* the fallback root for VMAs whose space could not be
				        had: orphan_space */
	struct as_space orphan_space; /* (the machine's own, as this struct: not counted) */
	struct list_head pending;    /* spaces to settle (as_space.pending) */
	int in_walk;                 /* walks under way: nothing is settled */
};

static struct as_priv *priv(const struct vm_machine *m)
{
	return m->rmap_priv;
}

static struct as_vma *asv(const struct vm_area *v)
{
	return vma_tail((struct vm_area *)v);
}

static uint64_t vlo(const struct vm_area *v) { return v->pgoff; }
static uint64_t vhi(const struct vm_area *v) { return v->pgoff + vma_pages(v); }

static bool covers(const struct vm_area *v, uint64_t i)
{
	return i >= vlo(v) && i < vhi(v);
}

static uint64_t vaddr(const struct vm_area *v, uint64_t i)
{
	return v->start + ((i - v->pgoff) << PAGE_SHIFT);
}

/* ---------------- spaces ---------------- */

static struct as_space *res(struct as_space *s)
{
	while (s && s->fwd)
		s = s->fwd;
	return s;
}

static struct as_space *frame_space(const struct vm_frame *f)
{
	return res((struct as_space *)(uintptr_t)f->rmap);
}

static void note_depth(struct vm_machine *m, struct as_space *s)
{
	if (s->depth > m->stats.rmap_tree_depth_max)
		m->stats.rmap_tree_depth_max = s->depth;
}

static void sp_free(struct vm_machine *m, struct as_space *s);
static void sp_detach(struct as_space *s);

/* nothing names s any more: no ref, child, page or stub (the orphan stays) */
static bool unused(const struct as_space *s)
{
	return !(s->flags & AS_ORPHAN) && !s->nr_refs && !s->nr_children && !s->nr_pages &&
	       !s->nr_stubs;
}

/*
 * A count of s went down.  Unused, it is freed now (and its parent or
 * target touched in turn: no walk is ever inside a space that can become
 * unused, and stubs are outside the tree); else it waits on the pending
 * list for a cut or a merge, which need the layout quiet.
 */
static void touch(struct vm_machine *m, struct as_space *s)
{
	while (s && unused(s)) {
		struct as_space *next = s->fwd ? s->fwd : s->parent;

		if (s->fwd)
			s->fwd->nr_stubs--;
		else if (s->parent)
			sp_detach(s);
		sp_free(m, s);
		s = next;
	}
	if (s && list_empty(&s->pending))
		list_add_tail(&s->pending, &priv(m)->pending);
}

/* => a new space under parent (NULL: a root), or NULL (-ENOMEM) */
static struct as_space *sp_alloc(struct vm_machine *m, struct as_space *parent)
{
	struct as_space *s = slab_alloc(m, &m->slab_rmap[0]);

	if (!s)
		return NULL;
	list_init(&s->children);
	list_init(&s->sibling);
	list_init(&s->refs);
	list_init(&s->pending);
	s->parent = parent;
	s->depth = parent ? parent->depth + 1 : 1;
	if (parent) {
		list_add(&s->sibling, &parent->children);
		parent->nr_children++;
	}
	note_depth(m, s);
	m->stats.rmap_bytes += sizeof(*s);
	rmap_note_peak(m);
	return s;
}

static void sp_free(struct vm_machine *m, struct as_space *s)
{
	VM_BUG_ON(s->flags & AS_ORPHAN);
	list_del(&s->pending);
	m->stats.rmap_bytes -= sizeof(*s);
	slab_free(m, &m->slab_rmap[0], s);
}

/* the space after s in a depth-first walk of top's subtree (parents
 * before children), or NULL when the subtree is done */
static struct as_space *subtree_next(struct as_space *s, const struct as_space *top)
{
	if (!list_empty(&s->children))
		return list_entry(s->children.next, struct as_space, sibling);
	while (s != top && s->sibling.next == &s->parent->children)
		s = s->parent;
	return s == top ? NULL : list_entry(s->sibling.next, struct as_space, sibling);
}

/* the depths of s's subtree, from s's parent's (after s moved) */
static void redepth(struct vm_machine *m, struct as_space *top)
{
	for (struct as_space *s = top; s; s = subtree_next(s, top)) {
		s->depth = s->parent ? s->parent->depth + 1 : 1;
		note_depth(m, s);
	}
}

static struct as_space *root_of(struct as_space *s)
{
	while (s->parent)
		s = s->parent;
	return s;
}

/* s is a or below it */
static bool below(struct as_space *s, struct as_space *a)
{
	while (s && s->depth > a->depth)
		s = s->parent;
	return s == a;
}

/* every space of s's subtree maps only its own pages (anc 0) */
static bool subtree_quiet(struct as_space *top)
{
	for (struct as_space *s = top; s; s = subtree_next(s, top))
		if (s->anc)
			return false;
	return true;
}

/* s leaves its parent's children (a cut, or a free) */
static void sp_detach(struct as_space *s)
{
	struct as_space *p = s->parent;

	list_del(&s->sibling);
	list_init(&s->sibling);
	p->nr_children--;
	s->parent = NULL;
}

/* ---------------- frames ---------------- */

/* f's word names s from now on (NULL: none); the old space is settled later */
static void frame_set(struct vm_machine *m, struct vm_frame *f, struct as_space *s)
{
	struct as_space *old = (struct as_space *)(uintptr_t)f->rmap;

	if (old == s)
		return;
	if (old) {
		old->nr_pages--;
		touch(m, old);
	} else {
		m->stats.rmap_bytes += sizeof(f->rmap);
		rmap_note_peak(m);
	}
	if (s)
		s->nr_pages++;
	else
		m->stats.rmap_bytes -= sizeof(f->rmap);
	f->rmap = (uint64_t)(uintptr_t)s;
}

/* ---------------- refs ---------------- */

static struct as_ref *ref_find(const struct vm_area *v, uint64_t i)
{
	struct list_head *p;

	list_for_each(p, &asv(v)->refs) {
		struct as_ref *r = list_entry(p, struct as_ref, on_vma);

		if (i >= r->lo && i < r->hi)
			return r;
	}
	return NULL;
}

/* storage for a ref of v: its tail's slot if free, else a slab object;
 * => NULL (-ENOMEM) */
static struct as_ref *ref_new(struct vm_machine *m, struct vm_area *v)
{
	struct as_ref *r = &asv(v)->first;

	if (!r->vma) {
		memset(r, 0, sizeof(*r));
		r->flags = AS_EMBEDDED;
		return r;
	}
	r = slab_alloc(m, &m->slab_rmap[1]);
	if (!r)
		return NULL;
	m->stats.rmap_bytes += sizeof(*r);
	rmap_note_peak(m);
	return r;
}

static void ref_attach(struct as_ref *r, struct vm_area *v, struct as_space *s,
		       uint64_t lo, uint64_t hi, uint32_t flags)
{
	r->vma = v;
	r->space = s;
	r->lo = lo;
	r->hi = hi;
	r->flags = (r->flags & AS_EMBEDDED) | (flags & AS_FORKED);
	list_add(&r->on_vma, &asv(v)->refs);
	list_add(&r->on_space, &s->refs);
	s->nr_refs++;
}

/* r moves to space s (no PTE changes its count: the caller sees to anc) */
static void ref_respace(struct vm_machine *m, struct as_ref *r, struct as_space *s)
{
	list_del(&r->on_space);
	r->space->nr_refs--;
	touch(m, r->space);
	r->space = s;
	list_add(&r->on_space, &s->refs);
	s->nr_refs++;
}

/* r goes (its range has no PTEs the caller has not accounted for) */
static void ref_free(struct vm_machine *m, struct as_ref *r)
{
	list_del(&r->on_vma);
	list_del(&r->on_space);
	r->space->nr_refs--;
	touch(m, r->space);
	if (r->flags & AS_EMBEDDED) {
		r->vma = NULL;
		r->space = NULL;
		return;
	}
	m->stats.rmap_bytes -= sizeof(*r);
	slab_free(m, &m->slab_rmap[1], r);
}

/* r's object moves to VMA v (relinked, same space) */
static void ref_move(struct as_ref *r, struct vm_area *v)
{
	list_del(&r->on_vma);
	r->vma = v;
	list_add(&r->on_vma, &asv(v)->refs);
}

/* drop v's coverage outside [lo, hi) (a contiguous window: no ref splits) */
static void refs_clip(struct vm_machine *m, struct vm_area *v, uint64_t lo, uint64_t hi)
{
	struct list_head *p, *n;

	list_for_each_safe(p, n, &asv(v)->refs) {
		struct as_ref *r = list_entry(p, struct as_ref, on_vma);

		if (r->lo < lo)
			r->lo = lo;
		if (r->hi > hi)
			r->hi = hi;
		if (r->lo >= r->hi)
			ref_free(m, r);
	}
}

/* a ref of v adjacent to [lo, hi) with space s and the same flags: widen it */
static bool ref_coalesce(struct vm_area *v, struct as_space *s, uint32_t flags,
			 uint64_t lo, uint64_t hi)
{
	struct list_head *p;

	list_for_each(p, &asv(v)->refs) {
		struct as_ref *r = list_entry(p, struct as_ref, on_vma);

		if (r->space != s || (r->flags & AS_FORKED) != (flags & AS_FORKED))
			continue;
		if (r->hi == lo) {
			r->hi = hi;
			return true;
		}
		if (r->lo == hi) {
			r->lo = lo;
			return true;
		}
	}
	return false;
}

/* ---------------- counting the PTEs through a ref ---------------- */

struct count {
	struct vm_machine *m;
	struct as_space *own;        /* the ref's space */
	struct as_space *match;      /* count pages of this space (NULL: none) */
	uint64_t all, anc, matched;  /* anonymous pages mapped, of them not own's, match's */
};

static int count_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct count *c = arg;
	uint64_t pfn = pte_pfn(*pte);
	struct vm_frame *f;
	struct as_space *s;

	c->m->stats.rmap_repoint_ptes++;
	if (pfn == c->m->zero_pfn)
		return 0;
	f = pfn_frame(c->m, pfn);
	if (!(f->flags & PG_ANON) || !f->rmap)
		return 0;
	s = frame_space(f);
	c->all++;
	c->anc += s != c->own;
	c->matched += s == c->match;
	return 0;
}

/* the anonymous pages r's VMA maps in r's range */
static void ref_count(struct vm_machine *m, struct as_ref *r, struct count *c)
{
	struct vm_area *v = r->vma;
	uint64_t lo = r->lo > vlo(v) ? r->lo : vlo(v), hi = r->hi < vhi(v) ? r->hi : vhi(v);

	c->m = m;
	c->own = r->space;
	m->stats.rmap_repoint_vmas++;
	if (lo < hi)
		walk_ptes(v->mm, vaddr(v, lo), vaddr(v, hi), count_pte, c);
}

/* does v's PTE for f's index map f? */
static bool maps(struct vm_machine *m, struct vm_area *v, const struct vm_frame *f)
{
	pte_t *pte;

	if (!covers(v, f->index))
		return false;
	pte = pte_lookup(v->mm, vaddr(v, f->index));
	m->stats.rmap_repoint_ptes++;
	return pte && pte_present(*pte) && pte_pfn(*pte) == frame_pfn(m, f);
}

/* ---------------- re-homing and grafting ---------------- */

/*
 * f moves up from its space P to x, an ancestor: the mappings through P's
 * own refs now map an ancestor's page.
 */
static void rehome_up(struct vm_machine *m, struct vm_frame *f, struct as_space *x)
{
	struct as_space *p = frame_space(f);
	struct list_head *q;

	list_for_each(q, &p->refs) {
		struct as_ref *r = list_entry(q, struct as_ref, on_space);

		m->stats.rmap_repoint_vmas++;
		if (f->index >= r->lo && f->index < r->hi && maps(m, r->vma, f))
			p->anc++;
	}
	frame_set(m, f, x);
	m->stats.rmap_repointed++;
}

/*
 * The tree r's space is in goes under s: a cut undone (swap brought back a
 * page of s that a VMA of the cut-off tree maps again).
 */
static void graft(struct vm_machine *m, struct as_space *root, struct as_space *s)
{
	VM_BUG_ON(root->parent || root_of(s) == root);
	root->parent = s;
	list_add(&root->sibling, &s->children);
	s->nr_children++;
	redepth(m, root);
	m->stats.rmap_repointed++;
}

/* make s (a ref's space) one from which f is found: s below f's space */
static void ensure_below(struct vm_machine *m, struct vm_frame *f, struct as_space *s)
{
	struct as_space *p = frame_space(f), *a, *b;

	if (below(s, p))
		return;
	if (root_of(s) != root_of(p)) {
		graft(m, root_of(s), p);
		return;
	}
	for (a = p, b = s; a->depth > b->depth; a = a->parent)
		;
	for (; b->depth > a->depth; b = b->parent)
		;
	while (a != b) {
		a = a->parent;
		b = b->parent;
	}
	rehome_up(m, f, a);
}

/* ---------------- settling: cut, merge, free ---------------- */

/* s's subtree maps nothing of its parent's: cut it off */
static bool try_cut(struct vm_machine *m, struct as_space *s)
{
	struct as_space *p = s->parent;

	if (!p || s->fwd || s->anc || !subtree_quiet(s))
		return false;
	sp_detach(s);
	redepth(m, s);
	m->stats.rmap_tree_cuts++;
	touch(m, p);
	return true;
}

/*
 * vm_object_collapse: s has no refs and one child c; c takes s's place and
 * s's pages are c's (s stays as a stub while pages name it).  The mappings
 * through c's refs of s's pages are c's own from now on.
 */
static void collapse(struct vm_machine *m, struct as_space *s)
{
	struct as_space *c = list_entry(s->children.next, struct as_space, sibling);
	struct list_head *q;

	list_for_each(q, &c->refs) {
		struct count cnt = { .match = s };

		ref_count(m, list_entry(q, struct as_ref, on_space), &cnt);
		VM_BUG_ON(cnt.matched > c->anc);
		c->anc -= cnt.matched;
	}
	list_del(&c->sibling);
	c->parent = s->parent;
	if (s->parent)
		list_add(&c->sibling, &s->parent->children);   /* s's place */
	else
		list_init(&c->sibling);
	if (s->parent) {
		list_del(&s->sibling);
		list_init(&s->sibling);
		s->parent = NULL;                            /* nr_children unchanged */
	}
	list_init(&s->children);
	s->nr_children = 0;
	redepth(m, c);
	m->stats.rmap_tree_merges++;
	s->fwd = c;
	c->nr_stubs++;
	touch(m, c);
	touch(m, s);                                     /* freed if no page names it */
}

/* what s needs now: merged into its only child, or nothing */
static void settle(struct vm_machine *m, struct as_space *s)
{
	if (!(s->flags & AS_ORPHAN) && !s->fwd && !s->nr_refs && s->nr_children == 1)
		collapse(m, s);
}

/*
 * Settle what is pending.  Only where mm/'s page tables and the scheme's
 * counts agree: at the start of a hook that adds a PTE or moves a page
 * (a removal's PTE is gone before it is told), never inside a walk (nor
 * at a walk's start: the checkers' walks must change nothing).
 */
static void drain(struct vm_machine *m)
{
	struct as_priv *pv = priv(m);

	if (pv->in_walk)
		return;
	while (!list_empty(&pv->pending)) {
		struct as_space *s = list_entry(pv->pending.next, struct as_space, pending);

		list_del(&s->pending);
		list_init(&s->pending);
		if (!s->fwd)
			try_cut(m, s);
		settle(m, s);
	}
}

/* ---------------- ranges: covering an index, moving pieces ---------------- */

/*
 * A ref of v holding index i, made if none does: the nearest ref widens
 * over i (nothing of v is mapped between), or v's first ref gets a new
 * root space (the orphan when none can be had).
 */
static struct as_ref *ref_cover(struct vm_machine *m, struct vm_area *v, uint64_t i)
{
	struct as_ref *r = ref_find(v, i), *below_r = NULL, *above_r = NULL;
	struct list_head *p;
	struct as_space *s;

	if (r)
		return r;
	list_for_each(p, &asv(v)->refs) {
		struct as_ref *q = list_entry(p, struct as_ref, on_vma);

		if (q->hi <= i && (!below_r || q->hi > below_r->hi))
			below_r = q;
		if (q->lo > i && (!above_r || q->lo < above_r->lo))
			above_r = q;
	}
	if (below_r) {
		below_r->hi = i + 1;
		return below_r;
	}
	if (above_r) {
		above_r->lo = i;
		return above_r;
	}
	s = sp_alloc(m, NULL);
	if (!s)
		s = priv(m)->orphan;
	r = ref_new(m, v);               /* the tail's slot: v has no ref */
	ref_attach(r, v, s, i < vlo(v) ? i : vlo(v), i >= vhi(v) ? i + 1 : vhi(v), 0);
	return r;
}

struct absorb {
	struct vm_machine *m;
	struct as_space *from;       /* the space the PTEs were counted under */
	struct as_space *to;         /* the space of the ref that takes them */
};

static int absorb_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct absorb *a = arg;
	struct vm_machine *m = a->m;
	uint64_t pfn = pte_pfn(*pte);
	struct vm_frame *f;

	m->stats.rmap_repoint_ptes++;
	if (pfn == m->zero_pfn)
		return 0;
	f = pfn_frame(m, pfn);
	if (!(f->flags & PG_ANON) || !f->rmap)
		return 0;
	if (frame_space(f) != a->from)
		a->from->anc--;
	ensure_below(m, f, a->to);
	if (frame_space(f) != a->to)
		a->to->anc++;
	return 0;
}

/*
 * No storage for a piece [lo, hi) of space `from` that v takes over (its
 * PTEs are mapped in mm at base's addresses): v's nearest ref widens over
 * it, and every page mapped there is made findable from that ref's space.
 */
static void absorb(struct vm_machine *m, struct vm_area *v, struct as_space *from,
		   uint64_t lo, uint64_t hi, const struct vm_area *base)
{
	struct as_ref *r = NULL;
	struct list_head *p;
	struct absorb a = { m, from, NULL };
	uint64_t l = lo > vlo(base) ? lo : vlo(base), h = hi < vhi(base) ? hi : vhi(base);

	list_for_each(p, &asv(v)->refs) {
		struct as_ref *q = list_entry(p, struct as_ref, on_vma);
		uint64_t dq = q->hi <= lo ? lo - q->hi : q->lo >= hi ? q->lo - hi : 0;
		uint64_t dr = !r ? UINT64_MAX : r->hi <= lo ? lo - r->hi : r->lo >= hi ? r->lo - hi : 0;

		if (dq < dr)
			r = q;
	}
	VM_BUG_ON(!r);
	if (r->hi <= lo)
		r->hi = hi;
	else
		r->lo = lo;
	a.to = r->space;
	if (l < h)
		walk_ptes(base->mm, vaddr(base, l), vaddr(base, h), absorb_pte, &a);
}

/*
 * v takes [lo, hi) of r (r's VMA keeps r ∩ [klo, khi), a window disjoint
 * from [lo, hi)).  base is the VMA whose addresses map the piece now (for
 * a fallback).  Allocation only when both parts are left and r's VMA has
 * no free slot; then, failing it, the piece is absorbed.
 */
static void ref_give(struct vm_machine *m, struct as_ref *r, struct vm_area *v,
		     uint64_t lo, uint64_t hi, uint64_t klo, uint64_t khi,
		     const struct vm_area *base)
{
	uint64_t plo = r->lo > lo ? r->lo : lo, phi = r->hi < hi ? r->hi : hi;
	uint64_t rlo = r->lo > klo ? r->lo : klo, rhi = r->hi < khi ? r->hi : khi;
	struct vm_area *src = r->vma;
	struct as_ref *n;

	if (plo >= phi) {                      /* nothing of it goes */
		if (rlo >= rhi) {
			ref_free(m, r);
		} else {
			r->lo = rlo;
			r->hi = rhi;
		}
		return;
	}
	if (rlo >= rhi)
		rlo = rhi = 0;                     /* nothing of it stays */
	if (ref_coalesce(v, r->space, r->flags, plo, phi)) {
		if (rlo < rhi) {
			r->lo = rlo;
			r->hi = rhi;
		} else {
			ref_free(m, r);
		}
		return;
	}
	if (!(r->flags & AS_EMBEDDED) && rlo >= rhi) {
		ref_move(r, v);                    /* the whole object goes */
		r->lo = plo;
		r->hi = phi;
		return;
	}
	if (!(r->flags & AS_EMBEDDED) && !asv(src)->first.vma) {
		/* src's slot keeps its part; the object goes with the piece */
		n = ref_new(m, src);
		ref_attach(n, src, r->space, rlo, rhi, r->flags);
		ref_move(r, v);
		r->lo = plo;
		r->hi = phi;
		return;
	}
	n = ref_new(m, v);
	if (n) {
		ref_attach(n, v, r->space, plo, phi, r->flags);
	}
	if (rlo < rhi) {
		r->lo = rlo;
		r->hi = rhi;
		if (!n)
			absorb(m, v, r->space, plo, phi, base);
	} else {
		struct as_space *s = r->space;

		/* the piece leaves s's list first (its PTEs are accounted by
		 * absorb), s held meanwhile */
		s->nr_refs++;
		ref_free(m, r);
		if (!n)
			absorb(m, v, s, plo, phi, base);
		s->nr_refs--;
		touch(m, s);
	}
}

/*
 * v takes src's coverage of [lo, hi); src keeps [klo, khi) of its own.  Its
 * slot's ref goes first, so that the slot is free for the ref split in two.
 */
static void refs_give(struct vm_machine *m, struct vm_area *src, struct vm_area *v,
		      uint64_t lo, uint64_t hi, uint64_t klo, uint64_t khi,
		      const struct vm_area *base)
{
	struct as_ref *e = &asv(src)->first;
	struct list_head *p, *n;

	if (e->vma)
		ref_give(m, e, v, lo, hi, klo, khi, base);
	list_for_each_safe(p, n, &asv(src)->refs) {
		struct as_ref *r = list_entry(p, struct as_ref, on_vma);

		if (r != &asv(src)->first || !(r->flags & AS_EMBEDDED) || r->lo < lo ||
		    r->hi > hi)
			ref_give(m, r, v, lo, hi, klo, khi, base);
	}
}

/* ---------------- per PTE ---------------- */

/*
 * A new anonymous page at addr of vma (a first touch, a COW copy, a page
 * read from swap): it goes into the space of the range holding its index;
 * the first one since a fork in that range makes a new space (Lokier's
 * first c-o-w), except for a page read back from swap, which others may
 * map again.
 */
static void as_page_add_new_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	struct vm_machine *m = vma->mm->machine;
	struct as_ref *r;

	drain(m);
	r = ref_cover(m, vma, f->index);
	if ((r->flags & AS_FORKED) && !(f->flags & PG_SWAPCACHE)) {
		struct as_space *old = r->space, *n = sp_alloc(m, old);

		if (n) {
			struct count c = { 0 };

			ref_count(m, r, &c);
			VM_BUG_ON(c.anc > old->anc);
			old->anc -= c.anc;
			n->anc += c.all;
			ref_respace(m, r, n);
			r->flags &= ~AS_FORKED;
			if (!old->anc)
				touch(m, old);
		}
	}
	frame_set(m, f, r->space);
}

/* a page of the swap cache (with a space if still mapped) gains a PTE */
static void as_page_add_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	struct vm_machine *m = vma->mm->machine;
	struct as_ref *r;

	drain(m);
	r = ref_cover(m, vma, f->index);
	if (!f->rmap)
		frame_set(m, f, r->space);
	else
		ensure_below(m, f, r->space);
	if (frame_space(f) != r->space)
		r->space->anc++;
}

static void as_page_remove(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	struct vm_machine *m = vma->mm->machine;
	struct as_ref *r;

	if (!(f->flags & PG_ANON) || !f->rmap)
		return;
	r = ref_find(vma, f->index);
	VM_BUG_ON(!r);
	if (r && frame_space(f) != r->space) {
		VM_BUG_ON(!r->space->anc);
		if (--r->space->anc == 0)
			touch(m, r->space);
	}
	if (f->mapcount == 0)
		frame_set(m, f, NULL);
}

/* fork: dst maps f as src does; dst's range was copied by vma_fork, or
 * could not be (then the fork fails here) */
static int as_page_dup(struct vm_frame *f, struct vm_area *dst, struct vm_area *src,
		       uint64_t addr)
{
	struct as_ref *r;

	if (!(f->flags & PG_ANON))
		return 0;
	r = ref_find(dst, f->index);
	if (!r)
		return -ENOMEM;
	if (frame_space(f) != r->space)
		r->space->anc++;
	return 0;
}

/* write-fault reuse: f is vma's alone; it moves down to vma's space */
static void as_page_move_anon(struct vm_frame *f, struct vm_area *vma)
{
	struct vm_machine *m = vma->mm->machine;
	struct as_ref *r;

	drain(m);
	r = ref_find(vma, f->index);
	VM_BUG_ON(!r || !f->rmap);
	if (!r || !f->rmap || frame_space(f) == r->space)
		return;
	VM_BUG_ON(!below(r->space, frame_space(f)) || !r->space->anc);
	frame_set(m, f, r->space);
	m->stats.rmap_repointed++;
	if (--r->space->anc == 0)
		touch(m, r->space);
}

/*
 * (Migration needs no hook: mm/ copies the frame, its word included, and
 * the page stays in its space.)
 *
 * mremap: new_vma will map src's PTEs of [old_addr, +len) at the same
 * indices; it takes copies of old_vma's refs there (and loses any
 * coverage of its own of them).  Allocates everything first: -ENOMEM
 * leaves all as it was.
 */
static int as_move_prepare(struct vm_area *old_vma, uint64_t old_addr,
			   struct vm_area *new_vma, uint64_t new_addr, uint64_t len)
{
	struct vm_machine *m = old_vma->mm->machine;
	uint64_t lo = old_vma->pgoff + ((old_addr - old_vma->start) >> PAGE_SHIFT);
	uint64_t hi = lo + (len >> PAGE_SHIFT);
	struct as_ref *spare[64], *cut = NULL;
	unsigned need = 0, got = 0;
	struct list_head *p, *n;

	if (old_vma == new_vma)
		return 0;
	list_for_each(p, &asv(old_vma)->refs) {
		struct as_ref *r = list_entry(p, struct as_ref, on_vma);

		need += r->lo < hi && r->hi > lo;
	}
	list_for_each(p, &asv(new_vma)->refs) {
		struct as_ref *r = list_entry(p, struct as_ref, on_vma);

		if (r->lo < lo && r->hi > hi)      /* coverage around the range: split */
			need++;
	}
	if (need > 64)
		return -ENOMEM;
	/* the slot of new_vma is used last (it may be freed below) */
	for (got = 0; got < need; got++) {
		spare[got] = slab_alloc(m, &m->slab_rmap[1]);
		if (!spare[got])
			break;
		m->stats.rmap_bytes += sizeof(struct as_ref);
		rmap_note_peak(m);
	}
	if (got < need) {
		while (got--) {
			m->stats.rmap_bytes -= sizeof(struct as_ref);
			slab_free(m, &m->slab_rmap[1], spare[got]);
		}
		return -ENOMEM;
	}
	rmap_note_peak(m);
	/* new_vma's coverage of [lo, hi) goes (none of it is mapped) */
	list_for_each_safe(p, n, &asv(new_vma)->refs) {
		struct as_ref *r = list_entry(p, struct as_ref, on_vma);

		if (r->hi <= lo || r->lo >= hi)
			continue;
		if (r->lo < lo && r->hi > hi) {
			cut = spare[--got];
			ref_attach(cut, new_vma, r->space, hi, r->hi, r->flags);
			r->hi = lo;
		} else if (r->lo < lo) {
			r->hi = lo;
		} else if (r->hi > hi) {
			r->lo = hi;
		} else {
			ref_free(m, r);
		}
	}
	list_for_each(p, &asv(old_vma)->refs) {
		struct as_ref *r = list_entry(p, struct as_ref, on_vma), *c;
		uint64_t plo = r->lo > lo ? r->lo : lo, phi = r->hi < hi ? r->hi : hi;

		if (plo >= phi)
			continue;
		if (ref_coalesce(new_vma, r->space, r->flags, plo, phi))
			continue;
		c = !asv(new_vma)->first.vma ? ref_new(m, new_vma) : spare[--got];
		ref_attach(c, new_vma, r->space, plo, phi, r->flags);
	}
	while (got--) {                        /* coalesced: not needed */
		m->stats.rmap_bytes -= sizeof(struct as_ref);
		slab_free(m, &m->slab_rmap[1], spare[got]);
	}
	return 0;
}

/* ---------------- per VMA ---------------- */

static void as_vma_add(struct vm_area *vma)
{
	list_init(&asv(vma)->refs);
	asv(vma)->first.vma = NULL;
}

static void as_vma_del(struct vm_area *vma)
{
	struct vm_machine *m = vma->mm->machine;
	struct list_head *p, *n;

	list_for_each_safe(p, n, &asv(vma)->refs)
		ref_free(m, list_entry(p, struct as_ref, on_vma));
}

/* the refs past the split index go with the new half */
static void as_vma_split(struct vm_area *vma, struct vm_area *nv)
{
	struct vm_machine *m = vma->mm->machine;

	if (list_empty(&asv(vma)->refs))
		return;
	if (nv->pgoff > vma->pgoff)
		refs_give(m, vma, nv, vlo(nv), UINT64_MAX, 0, vhi(vma), nv);
	else
		refs_give(m, vma, nv, 0, vhi(nv), vlo(vma), UINT64_MAX, nv);
}

/*
 * target takes victim's range (its own range grows after): victim's refs
 * go to it, with coverage target kept beyond its range on that side
 * dropped first.
 */
static void as_vma_merge(struct vm_area *target, struct vm_area *victim)
{
	struct vm_machine *m = target->mm->machine;

	if (list_empty(&asv(victim)->refs))
		return;
	if (victim->pgoff > target->pgoff)
		refs_clip(m, target, 0, vlo(victim));
	else
		refs_clip(m, target, vhi(victim), UINT64_MAX);
	refs_give(m, victim, target, vlo(victim), vhi(victim), 0, 0, victim);
}

/* the fork child's ranges are its parent's; both are flagged */
static void as_vma_fork(struct vm_area *child, struct vm_area *parent)
{
	struct vm_machine *m = parent->mm->machine;
	struct list_head *p;

	list_init(&asv(child)->refs);
	asv(child)->first.vma = NULL;
	if (!child->anon)
		return;
	list_for_each(p, &asv(parent)->refs) {
		struct as_ref *r = list_entry(p, struct as_ref, on_vma);
		struct as_ref *c = ref_new(m, child);

		r->flags |= AS_FORKED;
		if (!c)
			continue;        /* its PTEs fail the fork (page_dup) */
		ref_attach(c, child, r->space, r->lo, r->hi, AS_FORKED);
	}
}

static void as_pre_update(struct vm_area *vma)
{
	struct as_mm *am = mm_tail(vma->mm);

	am->old_lo = vlo(vma);
	am->old_hi = vhi(vma);
}

/*
 * vma grew over [lo, hi).  If the neighbour on that side has just shrunk
 * off it (mprotect moving a boundary: no merge told), its refs of that
 * part come over.
 */
static void grew(struct vm_machine *m, struct vm_area *vma, struct vm_area *nb,
		 uint64_t lo, uint64_t hi, bool up)
{
	struct list_head *p;
	bool theirs = false;

	if (!nb || nb == vma || lo >= hi)
		return;
	/* the neighbour touches vma's new range, in addresses and in indices */
	if (up ? nb->start != vma->end || vlo(nb) != hi : nb->end != vma->start || vhi(nb) != lo)
		return;
	list_for_each(p, &asv(nb)->refs) {
		struct as_ref *r = list_entry(p, struct as_ref, on_vma);

		theirs |= r->lo < hi && r->hi > lo;
	}
	if (!theirs)
		return;
	if (up)
		refs_clip(m, vma, 0, lo);
	else
		refs_clip(m, vma, hi, UINT64_MAX);
	refs_give(m, nb, vma, lo, hi, vlo(nb), vhi(nb), vma);
}

static void as_post_update(struct vm_area *vma)
{
	struct vm_machine *m = vma->mm->machine;
	struct as_mm *am = mm_tail(vma->mm);

	if (vlo(vma) < am->old_lo)
		grew(m, vma, vma->prev, vlo(vma), am->old_lo < vhi(vma) ? am->old_lo : vhi(vma),
		     false);
	if (vhi(vma) > am->old_hi)
		grew(m, vma, vma->next, am->old_hi > vlo(vma) ? am->old_hi : vlo(vma), vhi(vma),
		     true);
}

/* ---------------- the walk ---------------- */

static int as_walk_anon(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg)
{
	struct as_space *top, *s;
	uint32_t levels = 0;
	int ret = 0;

	top = frame_space(f);
	if (!top)
		return 0;
	priv(m)->in_walk++;
	for (s = top; s; s = subtree_next(s, top)) {
		struct list_head *q;

		if (s->depth - top->depth + 1 > levels)
			levels = s->depth - top->depth + 1;
		list_for_each(q, &s->refs) {
			struct as_ref *r = list_entry(q, struct as_ref, on_space);

			if (f->index >= r->lo && f->index < r->hi && covers(r->vma, f->index))
				ret = rmap_one(m, f, r->vma, fn, arg);
			else
				m->stats.rmap_vmas_visited++;
			if (ret)
				goto out;
		}
	}
out:
	priv(m)->in_walk--;
	m->stats.rmap_tree_depth_sum += levels;
	m->stats.rmap_tree_walks++;
	return ret;
}

/* ---------------- checking ---------------- */

static bool failv(char *why, size_t len, const char *what, const struct vm_area *v)
{
	snprintf(why, len, "astree: [%#llx,%#llx) pid %d: %s", (unsigned long long)v->start,
		 (unsigned long long)v->end, v->mm->id, what);
	return false;
}

/* a space as a checker sees it: a slab object of the spaces' cache, live */
static bool space_sane(const struct as_space *s)
{
	return s && (s->fwd || s->depth >= 1) && s->sibling.next && s->refs.next;
}

/* vma's refs: its own, disjoint, each on its space's list, spaces live */
static bool as_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	const struct as_vma *t = asv(vma);
	const struct list_head *p, *q;
	bool first_used = false;
	unsigned n = 0;

	if (!t->refs.next || t->refs.next->prev != &t->refs)
		return failv(why, len, "its ref list is broken", vma);
	list_for_each(p, &t->refs) {
		const struct as_ref *r = list_entry(p, struct as_ref, on_vma);
		bool on = false;

		if (++n > 1000000)
			return failv(why, len, "its ref list loops", vma);
		if (r->vma != vma || r->lo >= r->hi || !space_sane(r->space) || r->space->fwd)
			return failv(why, len, "a ref names another VMA, no range or no live space",
				     vma);
		if (r == &t->first)
			first_used = true;
		list_for_each(q, &r->space->refs)
			if (q == &r->on_space)
				on = true;
		if (!on)
			return failv(why, len, "a ref is not on its space's list", vma);
		for (q = p->next; q != &t->refs; q = q->next) {
			const struct as_ref *o = list_entry(q, struct as_ref, on_vma);

			if (o->lo < r->hi && r->lo < o->hi)
				return failv(why, len, "two refs overlap", vma);
		}
	}
	if (first_used != (t->first.vma != NULL))
		return failv(why, len, "its tail's ref slot is used off the list", vma);
	return true;
}

/* a mapped anonymous frame names a live space; an unmapped one none */
static bool as_check_frame(struct vm_machine *m, const struct vm_frame *f, char *why,
			   size_t len)
{
	struct as_space *s = (struct as_space *)(uintptr_t)f->rmap;

	if (!(f->flags & PG_ANON))
		return true;
	if (f->mapcount == 0) {
		if (s)
			snprintf(why, len, "astree: unmapped pfn %llu still names a space",
				 (unsigned long long)frame_pfn(m, f));
		return !s;
	}
	if (!s || !space_sane(s) || !space_sane(res(s))) {
		snprintf(why, len, "astree: mapped pfn %llu names no live space",
			 (unsigned long long)frame_pfn(m, f));
		return false;
	}
	/* its chain to the root: each space one deeper than its parent */
	for (s = res(s); s; s = s->parent) {
		if (!space_sane(s) || s->fwd || s->depth != (s->parent ? s->parent->depth + 1 : 1)) {
			snprintf(why, len, "astree: the chain of spaces above pfn %llu is broken "
				 "(a depth is not its parent's + 1)",
				 (unsigned long long)frame_pfn(m, f));
			return false;
		}
	}
	return true;
}

/* what the checker found of one space */
struct seen {
	struct as_space *s;          /* the space */
	uint64_t pages;              /* frames naming it */
	uint64_t anc;                /* PTEs through its refs of ancestors' pages */
	uint64_t refs;               /* refs naming it */
	uint64_t children;           /* spaces whose parent it is */
	uint64_t stubs;              /* stubs forwarding to it */
};

struct mcheck {
	struct vm_machine *m;
	struct seen *seen;           /* the spaces met, by mark - 1 */
	size_t n, cap;               /* how many, and room */
	struct as_ref *r;            /* the ref whose PTEs are looked at */
	bool bad;                    /* a PTE not findable from it */
};

static struct seen *sfind(struct mcheck *c, const struct as_space *s)
{
	if (s && s->mark && s->mark <= c->n && c->seen[s->mark - 1].s == s)
		return &c->seen[s->mark - 1];
	return NULL;
}

/* s and its chain (parents, forwards) met: recorded, depths right */
static bool meet(struct mcheck *c, struct as_space *s, char *why, size_t len)
{
	uint32_t steps = 0;

	for (; s && !sfind(c, s); s = s->fwd ? s->fwd : s->parent) {
		if (!space_sane(s) || ++steps > 1000000) {
			snprintf(why, len, "astree: a space's chain is broken or loops");
			return false;
		}
		if (s->fwd && (s->parent || s->nr_refs || s->nr_children)) {
			snprintf(why, len, "astree: a merged space still has a place in the tree");
			return false;
		}
		if (!s->fwd && s->depth != (s->parent ? s->parent->depth + 1 : 1)) {
			snprintf(why, len, "astree: a space's depth %u is not its parent's + 1",
				 s->depth);
			return false;
		}
		if (c->n == c->cap) {
			struct seen *n = realloc(c->seen, (c->cap * 2 + 64) * sizeof(*n));

			if (!n) {
				snprintf(why, len, "astree: no host memory to check");
				return false;
			}
			c->seen = n;
			c->cap = c->cap * 2 + 64;
		}
		memset(&c->seen[c->n], 0, sizeof(c->seen[0]));
		c->seen[c->n++].s = s;
		s->mark = (uint32_t)c->n;
	}
	return true;
}

static int check_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct mcheck *c = arg;
	uint64_t pfn = pte_pfn(*pte);
	struct vm_frame *f;
	struct as_space *s;

	if (pfn == c->m->zero_pfn)
		return 0;
	f = pfn_frame(c->m, pfn);
	if (!(f->flags & PG_ANON))
		return 0;
	s = frame_space(f);
	if (!s || !below(c->r->space, s)) {
		c->bad = true;
		return 1;
	}
	if (s != c->r->space)
		sfind(c, c->r->space)->anc++;
	return 0;
}

/* a present PTE of an anonymous page: stop */
static int anon_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_machine *m = arg;

	return pte_pfn(*pte) != m->zero_pfn && (pfn_frame(m, pte_pfn(*pte))->flags & PG_ANON);
}

/* every present anonymous PTE of v lies in one of its refs */
static bool check_covered(struct vm_machine *m, struct vm_area *v, char *why, size_t len)
{
	for (uint64_t i = vlo(v); i < vhi(v); ) {
		struct as_ref *r = ref_find(v, i);
		struct list_head *p;
		uint64_t hi = vhi(v);

		if (r) {
			i = r->hi;
			continue;
		}
		list_for_each(p, &asv(v)->refs) {
			struct as_ref *o = list_entry(p, struct as_ref, on_vma);

			if (o->lo > i && o->lo < hi)
				hi = o->lo;
		}
		if (walk_ptes(v->mm, vaddr(v, i), vaddr(v, hi), anon_pte, m))
			return failv(why, len, "an anonymous page is mapped outside its refs", v);
		i = hi;
	}
	return true;
}

static bool frame_skip(const struct vm_frame *f)
{
	return f->flags & (PG_SLAB | PG_PGTABLE | PG_RESERVED);
}

static bool __as_check(struct vm_machine *m, struct mcheck *c, char *why, size_t len)
{
	uint64_t words = 0, mms = 0, bytes;
	struct list_head *q;

	/* every space: from the orphan, the VMAs' refs, the frames, the pending list */
	if (!meet(c, priv(m)->orphan, why, len))
		return false;
	list_for_each(q, &m->mms) {
		struct vm_mm *mm = list_entry(q, struct vm_mm, node);

		mms++;
		for (struct vm_area *v = mm->first; v; v = v->next) {
			struct list_head *p;

			if (!as_check_vma(v, why, len) || !check_covered(m, v, why, len))
				return false;
			list_for_each(p, &asv(v)->refs)
				if (!meet(c, list_entry(p, struct as_ref, on_vma)->space, why, len))
					return false;
		}
	}
	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if (frame_skip(f))
			continue;
		if (!as_check_frame(m, f, why, len))
			return false;
		if ((f->flags & PG_ANON) && f->rmap) {
			words++;
			if (!meet(c, (struct as_space *)(uintptr_t)f->rmap, why, len))
				return false;
			sfind(c, (struct as_space *)(uintptr_t)f->rmap)->pages++;
		}
	}
	list_for_each(q, &priv(m)->pending)
		if (!meet(c, list_entry(q, struct as_space, pending), why, len))
			return false;
	if (c->n != m->slab_rmap[0].objects + 1) {
		snprintf(why, len, "astree: %llu spaces reachable, %llu allocated",
			 (unsigned long long)c->n, (unsigned long long)m->slab_rmap[0].objects + 1);
		return false;
	}
	/* the PTEs, ref by ref: findable from its space; anc recounted */
	list_for_each(q, &m->mms) {
		struct vm_mm *mm = list_entry(q, struct vm_mm, node);

		for (struct vm_area *v = mm->first; v; v = v->next) {
			struct list_head *p;

			list_for_each(p, &asv(v)->refs) {
				struct as_ref *r = list_entry(p, struct as_ref, on_vma);
				uint64_t lo = r->lo > vlo(v) ? r->lo : vlo(v);
				uint64_t hi = r->hi < vhi(v) ? r->hi : vhi(v);

				sfind(c, r->space)->refs++;
				c->r = r;
				if (lo < hi)
					walk_ptes(mm, vaddr(v, lo), vaddr(v, hi), check_pte, c);
				if (c->bad)
					return failv(why, len, "a page it maps is not findable from its "
						     "ref's space", v);
			}
		}
	}
	for (size_t k = 0; k < c->n; k++) {
		struct as_space *s = c->seen[k].s;

		if (s->fwd)
			sfind(c, s->fwd)->stubs++;
		else if (s->parent)
			sfind(c, s->parent)->children++;
	}
	for (size_t k = 0; k < c->n; k++) {
		struct seen *e = &c->seen[k];
		struct as_space *s = e->s;
		struct list_head *x;
		uint64_t n = 0;
		const char *what = NULL;

		list_for_each(x, &s->refs) {
			if (list_entry(x, struct as_ref, on_space)->space != s || ++n > e->refs)
				break;
		}
		if (n != e->refs || s->nr_refs != e->refs)
			what = "refs";
		n = 0;
		list_for_each(x, &s->children) {
			if (list_entry(x, struct as_space, sibling)->parent != s ||
			    ++n > e->children)
				break;
		}
		if (n != e->children || s->nr_children != e->children)
			what = "children";
		if (s->nr_pages != e->pages)
			what = "pages";
		if (s->nr_stubs != e->stubs)
			what = "stubs";
		if (s->anc != e->anc)
			what = "anc";
		if (!s->fwd && !s->nr_refs && !s->nr_children && !s->nr_pages && !s->nr_stubs &&
		    list_empty(&s->pending) && s != priv(m)->orphan)
			what = "nothing (an unused space is not freed)";
		if (what) {
			snprintf(why, len, "astree: a space (depth %u) counts the wrong %s "
				 "(refs %u/%llu, children %u/%llu, pages %llu/%llu, stubs %u/%llu, "
				 "anc %llu/%llu)", s->depth, what, s->nr_refs,
				 (unsigned long long)e->refs, s->nr_children,
				 (unsigned long long)e->children, (unsigned long long)s->nr_pages,
				 (unsigned long long)e->pages, s->nr_stubs,
				 (unsigned long long)e->stubs, (unsigned long long)s->anc,
				 (unsigned long long)e->anc);
			return false;
		}
	}
	bytes = m->stats.nr_vmas * sizeof(struct as_vma) + mms * sizeof(struct as_mm) +
		m->slab_rmap[0].objects * sizeof(struct as_space) +
		m->slab_rmap[1].objects * sizeof(struct as_ref) + words * sizeof(uint64_t);
	if (bytes != m->stats.rmap_bytes) {
		snprintf(why, len, "astree: %llu metadata bytes counted, %llu held (%llu VMAs, "
			 "%llu mms, %llu spaces, %llu extra refs, %llu pages naming a space)",
			 (unsigned long long)m->stats.rmap_bytes, (unsigned long long)bytes,
			 (unsigned long long)m->stats.nr_vmas, (unsigned long long)mms,
			 (unsigned long long)m->slab_rmap[0].objects,
			 (unsigned long long)m->slab_rmap[1].objects, (unsigned long long)words);
		return false;
	}
	return true;
}

/*
 * The whole structure: every PTE of an anonymous page is covered by a ref
 * of its VMA whose space is the page's or below it; the tree is acyclic
 * (depths strictly decrease upward); every space's counts (refs, children,
 * stubs, pages, anc) are what points at it; no space is lost; the bytes
 * are counted exactly.
 */
static bool as_check(struct vm_machine *m, char *why, size_t len)
{
	struct mcheck c = { .m = m };
	bool ok = __as_check(m, &c, why, len);

	for (size_t k = 0; k < c.n; k++)
		c.seen[k].s->mark = 0;
	free(c.seen);
	return ok;
}

static void as_objects(const struct vm_machine *m,
		       void (*emit)(const char *type, uint64_t count, void *arg), void *arg)
{
	emit("as_space", m->slab_rmap[0].objects, arg);
	emit("as_ref", m->slab_rmap[1].objects, arg);
}

static int as_init(struct vm_machine *m)
{
	struct as_priv *pv = calloc(1, sizeof(*pv));

	if (!pv)
		return -ENOMEM;
	m->rmap_priv = pv;
	list_init(&pv->pending);
	slab_init(&m->slab_rmap[0], "as_space", sizeof(struct as_space));
	slab_init(&m->slab_rmap[1], "as_ref", sizeof(struct as_ref));
	pv->orphan = &pv->orphan_space;
	list_init(&pv->orphan->children);
	list_init(&pv->orphan->sibling);
	list_init(&pv->orphan->refs);
	list_init(&pv->orphan->pending);
	pv->orphan->depth = 1;
	pv->orphan->flags = AS_ORPHAN;
	return 0;
}

/* an address space went, with its VMAs and PTEs: settle what they left */
static void as_mm_exit(struct vm_mm *mm)
{
	drain(mm->machine);
}

static void as_fini(struct vm_machine *m)
{
	free(m->rmap_priv);
	m->rmap_priv = NULL;
}

const struct rmap_ops rmap_astree_ops = {
	.name = "astree",
	.init = as_init,
	.fini = as_fini,
	.vma_tail = sizeof(struct as_vma),
	.mm_tail = sizeof(struct as_mm),
	.mm_exit = as_mm_exit,
	.vma_add = as_vma_add,
	.vma_del = as_vma_del,
	.vma_split = as_vma_split,
	.vma_merge = as_vma_merge,
	.vma_fork = as_vma_fork,
	.page_add_new_anon = as_page_add_new_anon,
	.page_add_anon = as_page_add_anon,
	.page_remove = as_page_remove,
	.page_dup = as_page_dup,
	.page_move_anon = as_page_move_anon,
	.move_prepare = as_move_prepare,
	.pre_update = as_pre_update,
	.post_update = as_post_update,
	.check_vma = as_check_vma,
	.check_frame = as_check_frame,
	.check_machine = as_check,
	.walk_anon = as_walk_anon,
	.objects = as_objects,
};
