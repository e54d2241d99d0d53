/*
 * tests/t_rmap.c - the reverse-mapping schemes against the oracle.  TAP.
 *
 * For every registered scheme, on a fork family with copy-on-write, splits
 * and a move:
 *   - every mapped frame's walk finds exactly its map count of PTEs, each
 *     of which maps it (the brute-force count is the oracle), and the
 *     checkers pass;
 *   - the same walks find the same PTEs whatever the scheme (the scheme
 *     decides only how much it looks at).
 * Then each scheme's own structures are corrupted, one way after another,
 * and both checkers (the whole machine, and what changed) must fail; put
 * back, they pass (avc: its interval trees; anonlayer: its areas and page
 * lists; vmaring: its pages' VMA pointers and its rings of VMAs; vmaoff:
 * its per-frame entries; astree: its pages' spaces, its refs and its tree,
 * after a hand-built family shows its depth, its range refs, a cut and a
 * merge; vmainode: its objects' tree, VMA lists and page counts, after
 * assertions on the tree the family makes; mminode: its family trees, its
 * pages' offsets and its alias entries; objrmap: its anonymous chains, then a
 * file's pages under --nonlinear, counted in their word or chained with the
 * count in the first block, walked without a fallback).  A scheme without
 * structures (scan) has nothing to corrupt and says so.
 *
 * mminode and the swap cache: a page found in the swap cache at an address
 * it was not read at takes an alias entry, or, without memory, has its
 * offsets dropped and is found by a scan of its family.
 *
 * Last, the contract itself: a "shadow" scheme (avc's walk, plus tails on
 * every VMA and address space that it keeps only from what the hooks tell
 * it) goes through thousands of random operations, failures injected; its
 * check insists that every VMA's tail knows the VMA's range, so a split,
 * merge, move, fork or mapping the scheme was not told of fails the test,
 * and each mm's tail counts the VMAs it was told came and went.
 *
 * Randomized parts take their seed from argv[1] or $SEED (default 1).
 */
#include "../mm/mm.h"
#include "../rmap/scheme.h"
#include "../rmap/anonlayer.h"
#include "../rmap/anonvma.h"
#include "../rmap/astree.h"
#include "../rmap/vmainode.h"
#include "../rmap/ptechain.h"
#include "../rmap/mminode.h"
#include "../rmap/objrmap.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A	0x100000000000ULL
#define P	PAGE_SIZE

static int ntests, nfailed;

static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	ntests++;
	printf("%s %d - ", cond ? "ok" : "not ok", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		nfailed++;
}

static int poke(struct vm_mm *mm, uint64_t addr, uint64_t val)
{
	for (int tries = 0; tries < 3; tries++) {
		pte_t *pte = pte_lookup(mm, addr);
		int r;

		if (pte && (*pte & PTE_PRESENT) && (*pte & PTE_WRITE)) {
			memcpy(frame_bytes(mm->machine, pte_pfn(*pte), addr & ~PAGE_MASK, 8), &val, 8);
			return VM_FAULT_OK;
		}
		r = handle_mm_fault(mm, addr, true);
		if (r != VM_FAULT_OK)
			return r;
	}
	return -1;
}

/*
 * The family: a parent of 16 written pages, two children, a grandchild;
 * some copy-on-write in each; an mprotect split in one child, an mremap
 * move in the other.
 *
 *   parent     A |w w w w w w w w w w w w w w w w|
 *   child 1      |w . . . |r-- . .| w . . . . . .|      (split by mprotect)
 *   child 2      moved to A+64P, two pages written
 *   grandchild   of child 1, one page written
 */
static bool family(struct vm_machine *m, struct vm_mm *mm[4])
{
	for (int i = 0; i < 4; i++)
		mm[i] = NULL;
	mm[0] = mm_create(m);
	if (!mm[0] || vm_mmap(mm[0], A, 16 * P, PROT_READ_ | PROT_WRITE_,
			      MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_, NULL, 0) != A)
		return false;
	for (int i = 0; i < 16; i++)
		if (poke(mm[0], A + i * P, (uint64_t)i))
			return false;
	if (mm_fork(mm[0], &mm[1]) || mm_fork(mm[0], &mm[2]))
		return false;
	if (poke(mm[1], A, 0x11) || vm_mprotect(mm[1], A + 4 * P, 2 * P, PROT_READ_))
		return false;
	if (vm_mremap(mm[2], A, 16 * P, 16 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, A + 64 * P) !=
	    A + 64 * P)
		return false;
	if (poke(mm[2], A + 64 * P + 3 * P, 0x22) || poke(mm[2], A + 64 * P + 9 * P, 0x23))
		return false;
	if (mm_fork(mm[1], &mm[3]) || poke(mm[3], A + 12 * P, 0x33))
		return false;
	return true;
}

struct count {
	uint64_t found;
};

static int count_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	((struct count *)arg)->found++;
	return 0;
}

/* every mapped frame walked once: the PTEs found, in all */
static uint64_t walk_all(struct vm_machine *m, bool *exact)
{
	uint64_t total = 0;

	*exact = true;
	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);
		struct count c = { 0 };

		if (f->flags & (PG_BUDDY | PG_PGTABLE) || f->mapcount <= 0)
			continue;
		rmap_walk(m, f, count_one, &c);
		if (c.found != (uint64_t)f->mapcount)
			*exact = false;
		total += c.found;
	}
	return total;
}

/* ---------------- avc: corrupt its interval trees ---------------- */

/* the first link of mm's VMA at addr, in its anon_vma's tree */
static struct anon_link *first_link(struct vm_mm *mm, uint64_t addr)
{
	struct vm_area *v = vma_lookup(mm, addr);

	return v && !list_empty(&v->anon_chain)
	       ? list_entry(v->anon_chain.next, struct anon_link, same_vma) : NULL;
}

static void avc_corruptions(struct vm_machine *m, struct vm_mm *mm[4])
{
	struct anon_link *l = first_link(mm[3], A);
	struct itree_node *it = l ? link_tail(l) : NULL;
	struct rb_root *tree = l ? anon_tail(l->aid) : NULL;
	struct vm_area *v = vma_lookup(mm[3], A);

	ok(l != NULL, "avc: the grandchild's VMA has links");
	if (!l)
		return;
	/* 1. a link missing from its anon_vma's tree */
	itree_remove(it, tree);
	check_note_range(mm[3], v->start, v->end);
	ok(!check_changes(m), "avc: a link left out of its tree: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "avc: ... check_machine fails (%s)", m->why);
	itree_insert(it, tree);
	m->why[0] = 0;
	ok(check_machine(m), "avc: put back, check_machine passes %s", m->why);
	/* 2. a link keyed by a stale range */
	itree_remove(it, tree);
	it->start++;
	it->last++;
	itree_insert(it, tree);
	check_note_range(mm[3], v->start, v->end);
	ok(!check_changes(m), "avc: a stale key: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "avc: ... check_machine fails (%s)", m->why);
	itree_remove(it, tree);
	it->start--;
	it->last--;
	itree_insert(it, tree);
	m->why[0] = 0;
	ok(check_machine(m), "avc: put back, check_machine passes %s", m->why);
	/* 3. a subtree_last out of date: the tree's augmentation */
	it->subtree_last += 1000;
	check_note_range(mm[3], v->start, v->end);
	ok(!check_changes(m), "avc: a wrong subtree_last: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "avc: ... check_machine fails (%s)", m->why);
	it->subtree_last -= 1000;
	m->why[0] = 0;
	ok(check_machine(m), "avc: put back, check_machine passes %s", m->why);
}

/* ---------------- anonlayer: corrupt its anon_areas and page lists ---------------- */

static void anonlayer_corruptions(struct vm_machine *m, struct vm_mm *mm[4])
{
	struct vm_area *v = vma_lookup(mm[3], A);
	pte_t *pte = pte_lookup(mm[3], A + 12 * P);   /* the grandchild's own COW page */
	struct al_vma *t = v ? vma_tail(v) : NULL;
	struct anon_area *area = t ? t->area : NULL;
	struct vm_frame *f;
	uint64_t pfn, word;

	ok(v && area && pte && pte_present(*pte), "anonlayer: the grandchild's VMA has an "
	   "anon_area and its own page");
	if (!v || !area || !pte || !pte_present(*pte))
		return;
	pfn = pte_pfn(*pte);
	f = pfn_frame(m, pfn);
	/* 1. a mapped page out of its page list (its word cleared) */
	word = f->rmap;
	f->rmap = 0;
	check_note_frame(m, pfn);
	ok(!check_changes(m), "anonlayer: a page with no list links: check_changes fails (%s)",
	   m->why);
	ok(!check_machine(m), "anonlayer: ... check_machine fails (%s)", m->why);
	f->rmap = word;
	m->why[0] = 0;
	ok(check_machine(m), "anonlayer: put back, check_machine passes %s", m->why);
	/* 2. a VMA left off its area's list: the walk cannot find its PTEs */
	list_del(&t->share);
	check_note_range(mm[3], v->start, v->end);
	ok(!check_changes(m), "anonlayer: a VMA off its anon_area's list: check_changes fails "
	   "(%s)", m->why);
	ok(!check_machine(m), "anonlayer: ... check_machine fails (%s)", m->why);
	list_add(&t->share, &area->vmas);
	m->why[0] = 0;
	ok(check_machine(m), "anonlayer: put back, check_machine passes %s", m->why);
	/* 3. a VMA that names the tail of its own (non-root) anon_id as its area */
	ok(v->anon->root != v->anon, "anonlayer: the grandchild's anon_id is not its family's root");
	t->area = anon_tail(v->anon);
	check_note_range(mm[3], v->start, v->end);
	ok(!check_changes(m), "anonlayer: a VMA naming another anon_area: check_changes fails "
	   "(%s)", m->why);
	ok(!check_machine(m), "anonlayer: ... check_machine fails (%s)", m->why);
	t->area = area;
	m->why[0] = 0;
	ok(check_machine(m), "anonlayer: put back, check_machine passes %s", m->why);
	/* 4. an area's page count off by one: only the whole check counts pages */
	area->nrpages++;
	ok(!check_machine(m), "anonlayer: an anon_area's nrpages off by one: check_machine "
	   "fails (%s)", m->why);
	area->nrpages--;
	m->why[0] = 0;
	ok(check_machine(m), "anonlayer: put back, check_machine passes %s", m->why);
}

/* ---------------- vmaring: corrupt its back-pointers and rings ---------------- */

/* the VMA's tail as rmap/vmaring.c lays it out: its place in the ring */
struct vmaring_tail {
	struct vm_area *next, *prev;
};

/* the frame mm maps at addr (a present PTE) */
static uint64_t mapped_pfn(struct vm_mm *mm, uint64_t addr)
{
	pte_t *pte = pte_lookup(mm, addr);

	return pte && pte_present(*pte) ? pte_pfn(*pte) : 0;
}

static void vmaring_corruptions(struct vm_machine *m, struct vm_mm *mm[4])
{
	uint64_t pfn = mapped_pfn(mm[3], A + 12 * P);
	struct vm_frame *f = pfn ? pfn_frame(m, pfn) : NULL;
	struct vm_area *v = vma_lookup(mm[3], A + 12 * P), *other = vma_lookup(mm[0], A);
	struct vmaring_tail *r = v ? vma_tail(v) : NULL;
	struct vm_area *next, *prev;
	uint64_t saved;

	ok(f && (f->flags & PG_ANON) && f->mapcount == 1 && v && other &&
	   f->rmap == (uint64_t)(uintptr_t)v,
	   "vmaring: the grandchild's own page names the grandchild's VMA");
	if (!f || !v || !other || f->rmap != (uint64_t)(uintptr_t)v)
		return;
	saved = f->rmap;
	/* 1. a page naming a live VMA that maps another page at its address */
	f->rmap = (uint64_t)(uintptr_t)other;
	check_note_frame(m, pfn);
	ok(!check_changes(m), "vmaring: a page names the wrong VMA: check_changes fails (%s)",
	   m->why);
	ok(!check_machine(m), "vmaring: ... check_machine fails (%s)", m->why);
	f->rmap = saved;
	m->why[0] = 0;
	ok(check_machine(m), "vmaring: put back, check_machine passes %s", m->why);
	/* 2. a mapped page naming no VMA (its walk would find nothing) */
	f->rmap = 0;
	check_note_frame(m, pfn);
	ok(!check_changes(m), "vmaring: a mapped page names no VMA: check_changes fails (%s)",
	   m->why);
	ok(!check_machine(m), "vmaring: ... check_machine fails (%s)", m->why);
	f->rmap = saved;
	m->why[0] = 0;
	ok(check_machine(m), "vmaring: put back, check_machine passes %s", m->why);
	/* 3. a VMA dropped from its ring while it thinks it is in it: walks
	 *    of its family's shared pages would miss it */
	next = r->next;
	prev = r->prev;
	ok(next != v, "vmaring: the grandchild's VMA is on a ring with others");
	((struct vmaring_tail *)vma_tail(prev))->next = next;
	((struct vmaring_tail *)vma_tail(next))->prev = prev;
	check_note_range(mm[3], v->start, v->end);
	ok(!check_changes(m), "vmaring: a VMA left out of its ring: check_changes fails (%s)",
	   m->why);
	ok(!check_machine(m), "vmaring: ... check_machine fails (%s)", m->why);
	((struct vmaring_tail *)vma_tail(prev))->next = v;
	((struct vmaring_tail *)vma_tail(next))->prev = v;
	m->why[0] = 0;
	ok(check_machine(m), "vmaring: put back, check_machine passes %s", m->why);
	/* 4. a ring that holds a VMA which is no VMA of any address space (one
	 *    gone, its links still pointing back) */
	struct { struct vm_area v; struct vmaring_tail t; } gone;

	memset(&gone, 0, sizeof(gone));
	gone.v = *v;
	gone.t.next = next;
	gone.t.prev = v;
	r->next = &gone.v;
	check_note_range(mm[3], v->start, v->end);
	ok(!check_changes(m), "vmaring: a ring holds a VMA that is gone: check_changes fails (%s)",
	   m->why);
	ok(!check_machine(m), "vmaring: ... check_machine fails (%s)", m->why);
	r->next = next;
	m->why[0] = 0;
	ok(check_machine(m), "vmaring: put back, check_machine passes %s", m->why);
	/* 5. metadata miscounted: one page's word more than the pages hold */
	m->stats.rmap_bytes += sizeof(f->rmap);
	ok(!check_machine(m), "vmaring: rmap_bytes one word off: check_machine fails (%s)",
	   m->why);
	m->stats.rmap_bytes -= sizeof(f->rmap);
	m->why[0] = 0;
	ok(check_machine(m), "vmaring: put back, check_machine passes %s", m->why);
}

/* ---------------- vmainode: the object tree of the family, then corruptions ---------------- */

static struct vnode *vn_obj_at(struct vm_mm *mm, uint64_t addr)
{
	struct vm_area *v = vma_lookup(mm, addr);

	return v ? ((struct vn_vma *)vma_tail(v))->obj : NULL;
}

static uint64_t vn_depth(const struct vnode *n)
{
	uint64_t d = 0;

	for (; n; n = vnode_parent(n))
		d++;
	return d;
}

/* the walk of the frame mm maps at addr: PTEs found, and the depth walked */
static uint64_t vn_walk(struct vm_machine *m, struct vm_mm *mm, uint64_t addr, uint64_t *depth)
{
	uint64_t pfn = mapped_pfn(mm, addr), sum = m->stats.rmap_tree_depth_sum;
	struct count c = { 0 };

	if (pfn)
		rmap_walk(m, pfn_frame(m, pfn), count_one, &c);
	*depth = m->stats.rmap_tree_depth_sum - sum;
	return c.found;
}

/*
 * The family's tree, as LaHaise's eager shadowing makes it:
 *
 *                 R (root: pages 0..15 of mm0, the tail of the root anon_id)
 *               /   \
 *   fork 1:   R0     R1 (mm1: its COW copy of page 0)
 *            /  \      \____________
 *  fork 2: R00   R02      fork 3: R11  R13
 *        (mm0)  (mm2: moved,   (mm1: its 3 VMAs)  (mm3: its 3 VMAs,
 *                pages 3, 9)                        its page 12)
 */
static void vmainode_tree(struct vm_machine *m, struct vm_mm *mm[4])
{
	struct vnode *o0 = vn_obj_at(mm[0], A), *o1 = vn_obj_at(mm[1], A);
	struct vnode *o2 = vn_obj_at(mm[2], A + 64 * P), *o3 = vn_obj_at(mm[3], A);
	uint64_t depth, found;

	ok(o0 && o1 && o2 && o3, "vmainode: every VMA of the family has an object");
	if (!o0 || !o1 || !o2 || !o3)
		return;
	ok(m->slab_rmap[0].objects == 6, "vmainode: three forks of one object made 6 objects "
	   "(%llu)", (unsigned long long)m->slab_rmap[0].objects);
	ok(vn_obj_at(mm[1], A + 4 * P) == o1 && vn_obj_at(mm[1], A + 8 * P) == o1 &&
	   vn_obj_at(mm[3], A + 4 * P) == o3 && vn_obj_at(mm[3], A + 8 * P) == o3,
	   "vmainode: the three pieces of mm1's split VMA share one object, and so do mm3's");
	ok(o1 != o3 && o1->parent == o3->parent && o0->parent == o2->parent &&
	   o0->parent->parent == o1->parent->parent &&
	   (o0->parent->parent->flags & VNODE_ROOT) &&
	   o0->parent != o1->parent,
	   "vmainode: each fork gave the parent's object two new ones, one for each task");
	ok(vn_depth(o3) == 3 && vn_depth(o2) == 3 && o3->parent->nr_vmas == 0 &&
	   o0->parent->parent->nr_vmas == 0,
	   "vmainode: depth 3 after two forks on each side; the old objects have no VMA");
	found = vn_walk(m, mm[0], A + 5 * P, &depth);
	ok(found == 4 && depth == 3, "vmainode: an original page (mm0, mm1, mm2, mm3 map it) is "
	   "found %llu times, walking 3 levels (%llu)", (unsigned long long)found,
	   (unsigned long long)depth);
	found = vn_walk(m, mm[0], A, &depth);
	ok(found == 2 && depth == 3, "vmainode: original page 0 (mm1 copied it): found in mm0 "
	   "and mm2 (%llu)", (unsigned long long)found);
	found = vn_walk(m, mm[1], A, &depth);
	ok(found == 2 && depth == 2, "vmainode: mm1's copy, in R1, is found in mm1 and mm3, "
	   "2 levels (%llu, %llu)", (unsigned long long)found, (unsigned long long)depth);
	found = vn_walk(m, mm[3], A + 12 * P, &depth);
	ok(found == 1 && depth == 1, "vmainode: mm3's own page: its object alone (%llu, %llu)",
	   (unsigned long long)found, (unsigned long long)depth);
	ok(m->stats.rmap_tree_depth_max >= 3, "vmainode: the deepest chain is counted (%llu)",
	   (unsigned long long)m->stats.rmap_tree_depth_max);
}

/* after the corruptions: exits cut the objects nobody needs and splice out
 * the one that would only pass its child on */
static void vmainode_exits(struct vm_machine *m, struct vm_mm *mm[4])
{
	uint64_t cuts = m->stats.rmap_tree_cuts, merges = m->stats.rmap_tree_merges;
	struct vnode *o0 = vn_obj_at(mm[0], A);

	mm_destroy(mm[3]);
	mm[3] = NULL;
	ok(m->stats.rmap_tree_cuts == cuts + 1 && m->slab_rmap[0].objects == 5,
	   "vmainode: mm3 exits: its object is cut (cuts +%llu)",
	   (unsigned long long)(m->stats.rmap_tree_cuts - cuts));
	mm_destroy(mm[1]);
	mm[1] = NULL;
	ok(m->stats.rmap_tree_cuts == cuts + 2 && m->stats.rmap_tree_merges == merges + 1 &&
	   m->slab_rmap[0].objects == 3,
	   "vmainode: mm1 exits: its unmapped copy leaves R1, spliced out (no VMA, no page, "
	   "one child), then its object is cut (cuts +%llu, merges +%llu)",
	   (unsigned long long)(m->stats.rmap_tree_cuts - cuts),
	   (unsigned long long)(m->stats.rmap_tree_merges - merges));
	mm_destroy(mm[2]);
	mm[2] = NULL;
	ok(m->stats.rmap_tree_cuts == cuts + 3 && m->stats.rmap_tree_merges == merges + 2 &&
	   m->slab_rmap[0].objects == 1 && vn_obj_at(mm[0], A) == o0 && vn_depth(o0) == 2,
	   "vmainode: mm2 exits: its object is cut, R0 (no VMA, no page, one child) spliced "
	   "out: mm0's object is the root's child again (merges +%llu, depth %llu)",
	   (unsigned long long)(m->stats.rmap_tree_merges - merges),
	   (unsigned long long)vn_depth(o0));
	m->why[0] = 0;
	ok(check_machine(m), "vmainode: after the exits, check_machine passes %s", m->why);
}

/* one corruption seen by both checkers (what changed: mm3's VMAs and page) */
static void vmainode_broken(struct vm_machine *m, struct vm_mm *mm[4], uint64_t pfn,
			    const char *what)
{
	check_note_frame(m, pfn);
	check_note_range(mm[3], A, A + 16 * P);
	ok(!check_changes(m), "vmainode: %s: check_changes fails (%s)", what, m->why);
	ok(!check_machine(m), "vmainode: ... check_machine fails (%s)", m->why);
}

static void vmainode_fixed(struct vm_machine *m)
{
	m->why[0] = 0;
	ok(check_machine(m), "vmainode: put back, check_machine passes %s", m->why);
}

static void vmainode_corruptions(struct vm_machine *m, struct vm_mm *mm[4])
{
	uint64_t pfn = mapped_pfn(mm[3], A + 12 * P);
	struct vm_frame *f = pfn ? pfn_frame(m, pfn) : NULL;
	struct vm_area *v = vma_lookup(mm[3], A);
	struct vn_vma *t = v ? vma_tail(v) : NULL;
	struct vnode *o3 = t ? t->obj : NULL, *o2 = vn_obj_at(mm[2], A + 64 * P);
	uint64_t saved;

	ok(f && o3 && o2 && f->rmap == (uint64_t)(uintptr_t)o3,
	   "vmainode: the grandchild's own page names the grandchild's object");
	if (!f || !o3 || !o2 || f->rmap != (uint64_t)(uintptr_t)o3)
		return;
	saved = f->rmap;
	/* 1. a page naming a live object of another subtree (mm2's): its walk
	 *    misses the grandchild, and the objects' page counts are off */
	f->rmap = (uint64_t)(uintptr_t)o2;
	vmainode_broken(m, mm, pfn, "a page names an object of another subtree");
	f->rmap = saved;
	vmainode_fixed(m);
	/* 2. a mapped page naming no object */
	f->rmap = 0;
	vmainode_broken(m, mm, pfn, "a mapped page names no object");
	f->rmap = saved;
	vmainode_fixed(m);
	/* 3. a page naming something that is no object (a VMA) */
	f->rmap = (uint64_t)(uintptr_t)v;
	vmainode_broken(m, mm, pfn, "a page names a VMA, not an object");
	f->rmap = saved;
	vmainode_fixed(m);
	/* 4. a VMA left off its object's list: the walks cannot find it */
	list_del(&t->node);
	o3->nr_vmas--;
	vmainode_broken(m, mm, pfn, "a VMA off its object's list");
	list_add(&t->node, &o3->vmas);
	o3->nr_vmas++;
	vmainode_fixed(m);
	/* 5. a VMA naming its object's parent, read-only since the fork, while
	 *    still on its own object's list */
	t->obj = o3->parent;
	vmainode_broken(m, mm, pfn, "a VMA names the read-only parent of its object");
	t->obj = o3;
	vmainode_fixed(m);
	/* 6. page and child counts off by one: only the whole check counts them */
	o3->nr_pages++;
	ok(!check_machine(m), "vmainode: an object's page count off by one: check_machine "
	   "fails (%s)", m->why);
	o3->nr_pages--;
	vmainode_fixed(m);
	o3->parent->nr_children++;
	ok(!check_machine(m), "vmainode: an object's child count off by one: check_machine "
	   "fails (%s)", m->why);
	o3->parent->nr_children--;
	vmainode_fixed(m);
	/* 7. metadata miscounted: one page's word more than the pages hold */
	m->stats.rmap_bytes += sizeof(f->rmap);
	ok(!check_machine(m), "vmainode: rmap_bytes one word off: check_machine fails (%s)",
	   m->why);
	m->stats.rmap_bytes -= sizeof(f->rmap);
	vmainode_fixed(m);
}

/* ---------------- vmaoff: corrupt its per-frame entries ---------------- */

static struct vm_frame *frame_at(struct vm_mm *mm, uint64_t addr)
{
	pte_t *pte = pte_lookup(mm, addr);

	return pte && pte_present(*pte) ? pfn_frame(mm->machine, pte_pfn(*pte)) : NULL;
}

/* one corruption of the entries, seen by both checkers, then undone */
static void vmaoff_broken(struct vm_machine *m, struct vm_mm *mm[4], const char *what)
{
	check_note_range(mm[3], A, A + 16 * P);
	check_note_range(mm[2], A + 64 * P, A + 80 * P);
	ok(!check_changes(m), "vmaoff: %s: check_changes fails (%s)", what, m->why);
	ok(!check_machine(m), "vmaoff: ... check_machine fails (%s)", m->why);
}

static void vmaoff_repaired(struct vm_machine *m)
{
	m->why[0] = 0;
	ok(check_machine(m), "vmaoff: put back, check_machine passes %s", m->why);
}

/*
 *   grandchild  A+11P: shared with its ancestors (no entry); A+12P: its own
 *               copy (an entry: its VMA, offset 12)
 *   child 2     A+64P+3P: its own copy (an entry: its VMA, offset 3)
 */
static void vmaoff_corruptions(struct vm_machine *m, struct vm_mm *mm[4])
{
	struct vm_frame *own = frame_at(mm[3], A + 12 * P);
	struct vm_frame *shared = frame_at(mm[3], A + 11 * P);
	struct vm_frame *other = frame_at(mm[2], A + 64 * P + 3 * P);
	uint64_t e, e2;

	ok(own && other && shared && own->rmap && other->rmap && !shared->rmap &&
	   shared->mapcount > 1, "vmaoff: private copies have entries, a shared page none");
	if (!own || !other || !shared || !own->rmap || !other->rmap || shared->rmap)
		return;
	e = own->rmap;
	e2 = other->rmap;
	/* 1. an entry off by a page: it names the PTE next door */
	own->rmap = e + 1;
	vmaoff_broken(m, mm, "an entry one page off");
	own->rmap = e;
	vmaoff_repaired(m);
	/* 2. two entries swapped: each names the other's VMA */
	own->rmap = e2;
	other->rmap = e;
	vmaoff_broken(m, mm, "entries naming another VMA");
	own->rmap = e;
	other->rmap = e2;
	vmaoff_repaired(m);
	/* 3. an entry on a shared page (the right VMA and address: but a walk
	 *    would find one of its PTEs and stop) */
	shared->rmap = e - 1;
	vmaoff_broken(m, mm, "an entry on a page mapped more than once");
	shared->rmap = 0;
	vmaoff_repaired(m);
}

/* ---------------- anonvma: one list per fork family ---------------- */

static void count_kind(const char *type, uint64_t count, void *arg)
{
	if (!strcmp(type, "anon_vma"))
		*(uint64_t *)arg = count;
}

static uint64_t nr_anon_vmas(struct vm_machine *m)
{
	uint64_t n = ~0ULL;

	rmap_objects(m, count_kind, &n);
	return n;
}

/*
 * The family's list holds every VMA of the four processes (one family: the
 * parent's VMA, child 1's three pieces, child 2's moved copy, the
 * grandchild's pieces), and the walk of a page only the grandchild maps
 * (its COW copy at A+12P) looks at all of them to find its one PTE.
 */
static void anonvma_lists(struct vm_machine *m, struct vm_mm *mm[4])
{
	struct vm_area *pv = vma_lookup(mm[0], A);
	struct anonvma_head *av = pv ? anon_tail(pv->anon->root) : NULL;
	uint64_t on_list = 0, family = 0, before;
	struct list_head *p;
	struct count c = { 0 };
	pte_t *pte = pte_lookup(mm[3], A + 12 * P);

	if (!av || !pte || !pte_present(*pte)) {
		ok(false, "anonvma: the family and the grandchild's page are there");
		return;
	}
	list_for_each(p, &av->head)
		on_list++;
	for (int k = 0; k < 4; k++)
		for (struct vm_area *v = mm[k]->first; v; v = v->next)
			family += v->anon && v->anon->root == pv->anon->root;
	ok(on_list == family && family >= 6 && nr_anon_vmas(m) == 1,
	   "anonvma: one anon_vma; its list holds the %" PRIu64 " VMAs of the family (%" PRIu64
	   " on it)", family, on_list);
	before = m->stats.rmap_vmas_visited;
	rmap_walk(m, pfn_frame(m, pte_pfn(*pte)), count_one, &c);
	ok(c.found == 1 && m->stats.rmap_vmas_visited - before == on_list,
	   "anonvma: the walk of the grandchild's own page looks at all %" PRIu64
	   " VMAs to find its 1 PTE (%" PRIu64 " looked at, %" PRIu64 " found)", on_list,
	   m->stats.rmap_vmas_visited - before, c.found);
}

/*
 * A VMA changes family only through having no identity in between:
 * mremap with MREMAP_DONTUNMAP leaves the old VMA without one (off the
 * list), and its next fault starts a family of its own.
 */
static void anonvma_dontunmap(void)
{
	struct vm_machine m;
	struct vm_mm *mm;
	struct vm_area *old;
	bool off;

	if (machine_init(&m, 16ULL << 20, &rmap_anonvma_ops)) {
		ok(false, "anonvma: machine_init");
		return;
	}
	mm = mm_create(&m);
	if (!mm || vm_mmap(mm, A, 4 * P, PROT_READ_ | PROT_WRITE_,
			   MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_, NULL, 0) != A ||
	    poke(mm, A, 1) || poke(mm, A + P, 2) ||
	    vm_mremap(mm, A, 4 * P, 4 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_ | MREMAP_DONTUNMAP_,
		      A + 64 * P) != A + 64 * P) {
		ok(false, "anonvma: mremap dontunmap");
		machine_fini(&m);
		return;
	}
	old = vma_lookup(mm, A);
	off = old && !old->anon && !((struct anonvma_vma *)vma_tail(old))->node.next;
	ok(off && nr_anon_vmas(&m) == 1 && check_machine(&m),
	   "anonvma: mremap dontunmap: the old VMA has no identity and is on no list %s", m.why);
	ok(!poke(mm, A + 2 * P, 3) && old->anon && old->anon->root == old->anon &&
	   nr_anon_vmas(&m) == 2 && check_machine(&m),
	   "anonvma: its next fault gives it a family and a list of its own %s", m.why);
	mm_destroy(mm);
	ok(nr_anon_vmas(&m) == 0 && m.stats.rmap_bytes == 0 && m.nr_free + 1 == m.nr_frames,
	   "anonvma: all given back");
	machine_fini(&m);
}

/* ---------------- astree: its tree on a small family, then corrupted ---------------- */

static struct as_space *page_space(struct vm_mm *mm, uint64_t addr)
{
	uint64_t pfn = mapped_pfn(mm, addr);
	struct as_space *s = pfn ? (struct as_space *)(uintptr_t)pfn_frame(mm->machine, pfn)->rmap
				 : NULL;

	while (s && s->fwd)
		s = s->fwd;
	return s;
}

static unsigned nr_refs(struct vm_area *v)
{
	struct list_head *p;
	unsigned n = 0;

	list_for_each(p, &((struct as_vma *)vma_tail(v))->refs)
		n++;
	return n;
}

/*
 * Lokier's tree by hand, on a machine of its own:
 *
 *   p   A |w w w w w w w w|            space S0 (depth 1)
 *   c   fork; mprotect [4,8) r--: two VMAs, both on S0, flagged
 *       w 0: the first COW makes S1 (depth 2) for [0,4) only
 *       mprotect [4,8) rw-: Linux merges them back: one VMA, two refs
 *       w 1 2 3: nothing of S0 mapped through S1 any more: S1 is cut
 *   q   fork of p; p writes 5 (p's range moves to S2 under S0), q exits:
 *       S0 has no refs and one child: merged into S2
 */
static void astree_family(void)
{
	struct vm_machine m;
	struct vm_mm *p, *c, *q;
	struct as_space *s0, *s1;
	struct vm_area *v;
	bool exact;

	if (machine_init(&m, 16ULL << 20, rmap_find_scheme("astree")) || check_changes_start(&m)) {
		ok(false, "astree: a machine");
		return;
	}
	p = mm_create(&m);
	ok(p && vm_mmap(p, A, 8 * P, PROT_READ_ | PROT_WRITE_,
			MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_, NULL, 0) == A, "astree: p maps 8 pages");
	for (int i = 0; i < 8; i++)
		poke(p, A + i * P, (uint64_t)i);
	s0 = page_space(p, A);
	ok(s0 && s0->depth == 1 && !s0->parent && page_space(p, A + 7 * P) == s0,
	   "astree: p's pages are in one root space");
	ok(!mm_fork(p, &c), "astree: p forks c");
	ok(!vm_mprotect(c, A + 4 * P, 4 * P, PROT_READ_), "astree: c splits its VMA");
	poke(c, A, 0x100);
	s1 = page_space(c, A);
	ok(s1 && s1 != s0 && s1->parent == s0 && s1->depth == 2 &&
	   page_space(c, A + P) == s0 && page_space(c, A + 4 * P) == s0,
	   "astree: c's first COW made a child space; the rest stay in S0");
	ok(m.stats.rmap_tree_depth_max == 2, "astree: the deepest chain is 2 (%llu)",
	   (unsigned long long)m.stats.rmap_tree_depth_max);
	ok(!vm_mprotect(c, A + 4 * P, 4 * P, PROT_READ_ | PROT_WRITE_), "astree: c merges back");
	v = vma_lookup(c, A);
	ok(v && v->start == A && v->end == A + 8 * P && nr_refs(v) == 2,
	   "astree: one VMA, two refs: [0,4) on S1, [4,8) on S0 (%u refs)", v ? nr_refs(v) : 0);
	ok(check_changes(&m) && check_machine(&m), "astree: the checkers pass %s", m.why);
	walk_all(&m, &exact);
	ok(exact, "astree: each frame's walk finds exactly its map count");
	for (int i = 1; i < 4; i++)
		poke(c, A + i * P, 0x100 + (uint64_t)i);
	ok(m.stats.rmap_tree_cuts == 0 && s1->anc == 0, "astree: S1 maps only its own pages");
	poke(c, A + 4 * P, 0x104);                        /* a page hook: the cut is made */
	ok(m.stats.rmap_tree_cuts == 1 && !s1->parent && s1->depth == 1,
	   "astree: S1 was cut from S0 (%llu cuts)", (unsigned long long)m.stats.rmap_tree_cuts);
	ok(check_changes(&m) && check_machine(&m), "astree: the checkers pass %s", m.why);
	mm_destroy(c);
	ok(!mm_fork(p, &q), "astree: p forks q");
	poke(p, A + 5 * P, 0x205);
	ok(page_space(p, A + 5 * P)->parent == s0 && page_space(p, A) == s0,
	   "astree: p's COW made S2 under S0");
	mm_destroy(q);
	poke(p, A + 6 * P, 0x206);                        /* a page hook: the merge is made */
	ok(m.stats.rmap_tree_merges == 1 && page_space(p, A) == page_space(p, A + 5 * P) &&
	   page_space(p, A)->depth == 1,
	   "astree: S0, with no refs and one child, was merged into it (%llu merges)",
	   (unsigned long long)m.stats.rmap_tree_merges);
	ok(check_changes(&m) && check_machine(&m), "astree: the checkers pass %s", m.why);
	walk_all(&m, &exact);
	ok(exact && m.stats.rmap_tree_walks > 0, "astree: walks exact, their depth counted");
	mm_destroy(p);
	m.why[0] = 0;
	ok(check_machine(&m) && m.stats.rmap_bytes == 0 &&
	   m.nr_free + 1 == m.nr_frames, "astree: everything freed %s", m.why);
	check_changes_stop(&m);
	machine_fini(&m);
}

static void astree_corruptions(struct vm_machine *m, struct vm_mm *mm[4])
{
	uint64_t pfn = mapped_pfn(mm[3], A + 12 * P), other_pfn = mapped_pfn(mm[2], A + 64 * P + 3 * P);
	struct vm_frame *f = pfn ? pfn_frame(m, pfn) : NULL;
	struct vm_area *v = vma_lookup(mm[3], A + 12 * P);
	struct as_space *s = f ? (struct as_space *)(uintptr_t)f->rmap : NULL;
	struct as_space *other = other_pfn ? (struct as_space *)(uintptr_t)pfn_frame(m, other_pfn)->rmap
					   : NULL;
	struct as_ref *r = NULL;
	struct list_head *before;
	uint64_t saved;
	uint32_t depth;

	ok(f && s && other && s != other && v && s->depth == 3 && s->parent && s->parent->parent &&
	   m->stats.rmap_tree_depth_max == 3,
	   "astree: the grandchild's own page is in a space 3 deep (parent's, child 1's, its own)");
	if (!f || !s || !other || !v)
		return;
	for (struct list_head *p = ((struct as_vma *)vma_tail(v))->refs.next;
	     p != &((struct as_vma *)vma_tail(v))->refs; p = p->next) {
		struct as_ref *x = list_entry(p, struct as_ref, on_vma);

		if (f->index >= x->lo && f->index < x->hi)
			r = x;
	}
	ok(r && r->space == s, "astree: the grandchild's ref for it names its space");
	if (!r)
		return;
	saved = f->rmap;
	/* 1. a page in a space its mapper is not below (child 2's) */
	f->rmap = (uint64_t)(uintptr_t)other;
	check_note_frame(m, pfn);
	ok(!check_changes(m), "astree: a page in the wrong space: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "astree: ... check_machine fails (%s)", m->why);
	f->rmap = saved;
	m->why[0] = 0;
	ok(check_machine(m), "astree: put back, check_machine passes %s", m->why);
	/* 2. a mapped page in no space */
	f->rmap = 0;
	check_note_frame(m, pfn);
	ok(!check_changes(m), "astree: a mapped page in no space: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "astree: ... check_machine fails (%s)", m->why);
	f->rmap = saved;
	m->why[0] = 0;
	ok(check_machine(m), "astree: put back, check_machine passes %s", m->why);
	/* 3. a ref off its space's list: walks of the space's pages miss it */
	before = r->on_space.prev;
	list_del(&r->on_space);
	r->on_space.next = r->on_space.prev = &r->on_space;
	check_note_range(mm[3], v->start, v->end);
	check_note_frame(m, pfn);
	ok(!check_changes(m), "astree: a ref off its space's list: check_changes fails (%s)",
	   m->why);
	ok(!check_machine(m), "astree: ... check_machine fails (%s)", m->why);
	list_add(&r->on_space, before);
	m->why[0] = 0;
	ok(check_machine(m), "astree: put back, check_machine passes %s", m->why);
	/* 4. a depth that is not its parent's + 1 */
	depth = s->depth;
	s->depth = 7;
	check_note_frame(m, pfn);
	ok(!check_changes(m), "astree: a wrong depth: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "astree: ... check_machine fails (%s)", m->why);
	s->depth = depth;
	m->why[0] = 0;
	ok(check_machine(m), "astree: put back, check_machine passes %s", m->why);
	/* 5. a cycle: the root's parent is the grandchild's space */
	s->parent->parent->parent = s;
	check_note_frame(m, pfn);
	ok(!check_changes(m), "astree: a cycle in the tree: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "astree: ... check_machine fails (%s)", m->why);
	s->parent->parent->parent = NULL;
	m->why[0] = 0;
	ok(check_machine(m), "astree: put back, check_machine passes %s", m->why);
	/* 6. counts off: the space's inherited mappings (the cut's guard) */
	s->parent->anc++;
	ok(!check_machine(m), "astree: a space's anc off by one: check_machine fails (%s)",
	   m->why);
	s->parent->anc--;
	s->nr_pages++;
	ok(!check_machine(m), "astree: a space's page count off by one: check_machine fails "
	   "(%s)", m->why);
	s->nr_pages--;
	m->stats.rmap_bytes += sizeof(struct as_ref);
	ok(!check_machine(m), "astree: rmap_bytes one ref off: check_machine fails (%s)", m->why);
	m->stats.rmap_bytes -= sizeof(struct as_ref);
	m->why[0] = 0;
	ok(check_machine(m), "astree: put back, check_machine passes %s", m->why);
}

/* ---------------- anonvma: corrupt its lists ---------------- */

static void anonvma_corruptions(struct vm_machine *m, struct vm_mm *mm[4])
{
	struct vm_area *v = vma_lookup(mm[3], A), *bare;
	struct anonvma_vma *t = v ? vma_tail(v) : NULL;
	struct list_head *before, other;

	ok(t && t->node.next, "anonvma: the grandchild's VMA is on its family's list");
	if (!t || !t->node.next)
		return;
	before = t->node.prev;
	/* 1. a VMA with identity off its anon_vma's list */
	list_del(&t->node);
	t->node.next = t->node.prev = NULL;
	check_note_range(mm[3], v->start, v->end);
	ok(!check_changes(m), "anonvma: a VMA off its list: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "anonvma: ... check_machine fails (%s)", m->why);
	list_add(&t->node, before);
	m->why[0] = 0;
	ok(check_machine(m), "anonvma: put back, check_machine passes %s", m->why);
	/* 2. a VMA on another anon_vma's list */
	list_del(&t->node);
	list_init(&other);
	list_add(&t->node, &other);
	check_note_range(mm[3], v->start, v->end);
	ok(!check_changes(m), "anonvma: a VMA on another list: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "anonvma: ... check_machine fails (%s)", m->why);
	list_del(&t->node);
	list_add(&t->node, before);
	m->why[0] = 0;
	ok(check_machine(m), "anonvma: put back, check_machine passes %s", m->why);
	/* 3. a VMA without identity (mapped, never touched) on the family's list */
	bare = vm_mmap(mm[3], A + 128 * P, 4 * P, PROT_READ_ | PROT_WRITE_,
		       MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_, NULL, 0) == A + 128 * P
	       ? vma_lookup(mm[3], A + 128 * P) : NULL;
	ok(bare && !bare->anon, "anonvma: a VMA with no anonymous identity");
	if (!bare)
		return;
	list_add(&((struct anonvma_vma *)vma_tail(bare))->node, &t->node);
	check_note_range(mm[3], bare->start, bare->end);
	ok(!check_changes(m), "anonvma: a VMA without identity on a list: check_changes fails "
	   "(%s)", m->why);
	ok(!check_machine(m), "anonvma: ... check_machine fails (%s)", m->why);
	list_del(&((struct anonvma_vma *)vma_tail(bare))->node);
	((struct anonvma_vma *)vma_tail(bare))->node.next = NULL;
	((struct anonvma_vma *)vma_tail(bare))->node.prev = NULL;
	m->why[0] = 0;
	ok(check_machine(m), "anonvma: put back, check_machine passes %s", m->why);
}

/* ---------------- the contract: a scheme told of everything ---------------- */

#define SHADOW_MAGIC 0x5ad0u

struct shadow_vma {
	uint32_t magic;            /* SHADOW_MAGIC once vma_add told of it */
	uint32_t told;             /* hooks that named it */
	uint32_t forked;           /* vma_fork named it as a child */
	uint64_t start, end, pgoff;/* its range, as the hooks said */
};

struct shadow_mm {
	uint32_t magic;            /* SHADOW_MAGIC after mm_init */
	int vmas;                  /* vma_add - vma_del */
};

static struct rmap_ops shadow_ops;

static void shadow_note(struct vm_area *v)
{
	struct shadow_vma *t = vma_tail(v);

	t->start = v->start;
	t->end = v->end;
	t->pgoff = v->pgoff;
	t->told++;
}

static void shadow_mm_init(struct vm_mm *mm)
{
	struct shadow_mm *t = mm_tail(mm);

	t->magic = SHADOW_MAGIC;
}

static void shadow_mm_exit(struct vm_mm *mm)
{
	struct shadow_mm *t = mm_tail(mm);

	t->magic = 0;
}

static void shadow_vma_add(struct vm_area *v)
{
	struct shadow_vma *t = vma_tail(v);

	t->magic = SHADOW_MAGIC;
	((struct shadow_mm *)mm_tail(v->mm))->vmas++;
	shadow_note(v);
}

static void shadow_vma_del(struct vm_area *v)
{
	((struct shadow_mm *)mm_tail(v->mm))->vmas--;
	((struct shadow_vma *)vma_tail(v))->magic = 0;
}

static void shadow_split(struct vm_area *v, struct vm_area *nv) { shadow_note(v); shadow_note(nv); }
static void shadow_merge(struct vm_area *target, struct vm_area *victim) { shadow_note(target); }
static void shadow_fork(struct vm_area *child, struct vm_area *parent)
{
	((struct shadow_vma *)vma_tail(child))->forked++;
	shadow_note(child);
}
static void shadow_copy(struct vm_area *nv, struct vm_area *v) { shadow_note(nv); }

static void shadow_pre(struct vm_area *v)
{
	rmap_avc_ops.pre_update(v);
}

static void shadow_post(struct vm_area *v)
{
	rmap_avc_ops.post_update(v);
	shadow_note(v);
}

static bool shadow_check_vma(const struct vm_area *v, char *why, size_t len)
{
	const struct shadow_vma *t = vma_tail((struct vm_area *)v);

	if (t->magic != SHADOW_MAGIC || t->start != v->start || t->end != v->end ||
	    t->pgoff != v->pgoff) {
		snprintf(why, len, "shadow: [%#llx,%#llx) pgoff %#llx, but the scheme was told "
			 "[%#llx,%#llx) pgoff %#llx (magic %#x)", (unsigned long long)v->start,
			 (unsigned long long)v->end, (unsigned long long)v->pgoff,
			 (unsigned long long)t->start, (unsigned long long)t->end,
			 (unsigned long long)t->pgoff, t->magic);
		return false;
	}
	return rmap_avc_ops.check_vma(v, why, len);
}

static void shadow_init_ops(void)
{
	shadow_ops = rmap_avc_ops;
	shadow_ops.name = "shadow";
	shadow_ops.identity_is_rmap = false;
	shadow_ops.vma_tail = sizeof(struct shadow_vma);
	shadow_ops.mm_tail = sizeof(struct shadow_mm);
	shadow_ops.mm_init = shadow_mm_init;
	shadow_ops.mm_exit = shadow_mm_exit;
	shadow_ops.vma_add = shadow_vma_add;
	shadow_ops.vma_del = shadow_vma_del;
	shadow_ops.vma_split = shadow_split;
	shadow_ops.vma_merge = shadow_merge;
	shadow_ops.vma_fork = shadow_fork;
	shadow_ops.vma_copy = shadow_copy;
	shadow_ops.pre_update = shadow_pre;
	shadow_ops.post_update = shadow_post;
	shadow_ops.check_vma = shadow_check_vma;
}

static uint64_t rng;

static unsigned below(unsigned n)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned)((z ^ (z >> 31)) % n);
}

/* random operations on 4 address spaces, failures injected now and then */
static void shadow_contract(uint64_t seed)
{
	struct vm_machine m;
	struct vm_mm *mm[4] = { 0 };
	int step, bad = 0;

	rng = seed;
	shadow_init_ops();
	if (machine_init(&m, 8ULL << 20, &shadow_ops)) {
		ok(false, "shadow: machine_init");
		return;
	}
	for (step = 0; step < 4000 && !bad; step++) {
		unsigned i = below(4), op = below(12);
		uint64_t a = A + below(64) * P, len = (1 + below(12)) * P;
		struct vm_mm *x = mm[i];

		if (below(40) == 0)
			m.fail_alloc_at = m.nr_allocs + 1 + below(20);
		if (!x)
			op = 0;
		switch (op) {
		case 0:
			if (!x) {
				mm[i] = mm_create(&m);
			} else if (below(3) == 0) {
				mm_destroy(x);
				mm[i] = NULL;
			} else {
				unsigned j = below(4);

				bool forked = false;

				if (!mm[j]) {
					if (mm_fork(x, &mm[j]))
						mm[j] = NULL;
					else
						forked = true;
				}
				for (struct vm_area *v = forked ? mm[j]->first : NULL;
				     v && !bad; v = v->next)
					if (((struct shadow_vma *)vma_tail(v))->forked != 1) {
						ok(false, "shadow: step %d: a fork child's VMA was "
						   "not told it was forked", step);
						bad = 1;
					}
			}
			break;
		case 1: case 2:
			(void)vm_mmap(x, a, len, below(2) ? PROT_READ_ | PROT_WRITE_ : PROT_READ_,
				      MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_, NULL, 0);
			break;
		case 3:
			(void)vm_munmap(x, a, len);
			break;
		case 4:
			(void)vm_mprotect(x, a, len, below(2) ? PROT_READ_ | PROT_WRITE_ : PROT_READ_);
			break;
		case 5:
			(void)vm_mremap(x, a, len, (1 + below(12)) * P, MREMAP_MAYMOVE_, 0);
			break;
		case 6:
			(void)vm_mremap(x, a, len, len, MREMAP_MAYMOVE_ | MREMAP_FIXED_,
					A + below(64) * P);
			break;
		case 7:
			(void)vm_madvise(x, a, len, below(2) ? MADV_DONTNEED_ : MADV_DONTFORK_);
			break;
		case 8:
			(void)vm_mlock(x, a, len);
			break;
		default:
			(void)poke(x, a + below(512) * 8, (uint64_t)step);
			break;
		}
		m.fail_alloc_at = 0;
		if (!check_machine(&m)) {
			ok(false, "shadow: step %d (op %u): %s (seed %" PRIu64 ")", step, op, m.why,
			   seed);
			bad = 1;
			break;
		}
		for (unsigned k = 0; k < 4 && !bad; k++) {
			struct shadow_mm *t;

			if (!mm[k])
				continue;
			t = mm_tail(mm[k]);
			if (t->magic != SHADOW_MAGIC || t->vmas != mm[k]->map_count) {
				ok(false, "shadow: step %d: mm %u was told of %d VMAs, has %d (magic %#x)",
				   step, k, t->vmas, mm[k]->map_count, t->magic);
				bad = 1;
			}
		}
	}
	if (!bad)
		ok(true, "shadow: %d random operations, failures injected: the scheme was told of "
		   "every VMA and every change of range", step);
	for (int k = 0; k < 4; k++)
		if (mm[k])
			mm_destroy(mm[k]);
	ok(m.stats.rmap_bytes == 0 && m.nr_free + 1 == m.nr_frames,
	   "shadow: the tails are given back with their VMAs and address spaces");
	machine_fini(&m);
}

/* ---------------- mminode: corrupt its family trees, words and aliases ---------------- */

/* (pfn, vpn) order of the family's alias tree, as rmap/mminode.c keeps it */
static void mminode_alias_link(struct mi_family *fam, struct mi_alias *a)
{
	struct rb_node **link = &fam->aliases.node, *parent = NULL;

	while (*link) {
		struct mi_alias *b = container_of(*link, struct mi_alias, rb);

		parent = *link;
		link = a->pfn < b->pfn || (a->pfn == b->pfn && a->vpn < b->vpn) ? &parent->left
										 : &parent->right;
	}
	rb_link_node(&a->rb, parent, link);
	rb_insert_color(&a->rb, &fam->aliases);
}

static struct mi_alias *mminode_alias_of(struct mi_family *fam, uint64_t pfn)
{
	for (struct rb_node *r = rb_first(&fam->aliases); r; r = rb_next(r))
		if (container_of(r, struct mi_alias, rb)->pfn == pfn)
			return container_of(r, struct mi_alias, rb);
	return NULL;
}

/* one corruption, seen by both checkers (what changed: the page and the
 * VMAs of the grandchild and of child 2) */
static void mminode_broken(struct vm_machine *m, struct vm_mm *mm[4], uint64_t pfn,
			   const char *what)
{
	check_note_frame(m, pfn);
	check_note_range(mm[3], A, A + 16 * P);
	check_note_range(mm[2], A + 64 * P, A + 80 * P);
	ok(!check_changes(m), "mminode: %s: check_changes fails (%s)", what, m->why);
	ok(!check_machine(m), "mminode: ... check_machine fails (%s)", m->why);
}

static void mminode_repaired(struct vm_machine *m)
{
	m->why[0] = 0;
	ok(check_machine(m), "mminode: put back, check_machine passes %s", m->why);
}

/*
 * The family is one mminode family (four address spaces).  Child 2 moved
 * all 16 pages while they were shared: 16 alias entries made, then its two
 * writes dropped its PTEs of two of them (14 left).
 *
 *   page at A+5P     parent, child 1, grandchild at A+5P (primary offset);
 *                    child 2 at A+64P+5P (an alias entry counting 1)
 *   page at A+12P    the grandchild's own copy: the three VMAs at A+12P are
 *                    probed, one maps it (a COW alias: no entry)
 */
/*
 * ptechain: the family's pages as chains.  The grandchild's own page
 * (mm[3], A + 12P) has one PTE: PageDirect, its address in the word.  Page
 * 2 of the original is mapped by all four (the second child moved it to
 * A + 64P + 2P): a chain of one block, four entries.  Its walk visits four
 * PTEs and finds four.  Then the structures are broken one way at a time.
 */
static void ptechain_corruptions(struct vm_machine *m, struct vm_mm *mm[4])
{
	uint64_t pfn1 = mapped_pfn(mm[3], A + 12 * P), pfn4 = mapped_pfn(mm[0], A + 2 * P);
	struct vm_frame *f1 = pfn1 ? pfn_frame(m, pfn1) : NULL;
	struct vm_frame *f4 = pfn4 ? pfn_frame(m, pfn4) : NULL;
	struct pte_chain_pool *pool = m->rmap_priv;
	pte_t *other = pte_lookup(mm[0], A + 12 * P);
	struct pte_chain *pc;
	uint64_t saved, before_v, before_p, before_f;
	bool exact;

	ok(f1 && f1->mapcount == 1 && pte_chain_direct(f1->rmap) &&
	   (f1->rmap & ~PC_DIRECT) == ptep_to_paddr(m, pte_lookup(mm[3], A + 12 * P)),
	   "ptechain: a page mapped once is PageDirect, the word its PTE's address");
	ok(f4 && f4->mapcount == 4 && f4->rmap && !pte_chain_direct(f4->rmap) &&
	   pte_chain_count(f4->rmap) == 4 && !pte_chain_next(pte_chain_head(f4->rmap)) &&
	   pte_chain_idx(pte_chain_head(f4->rmap)) == NRPTE - 4,
	   "ptechain: a page mapped four times has one block of %u, four slots used",
	   (unsigned)NRPTE);
	if (!f1 || !f4 || !other || !f4->rmap || pte_chain_direct(f4->rmap))
		return;
	before_v = m->stats.rmap_vmas_visited;
	before_p = m->stats.rmap_ptes_visited;
	before_f = m->stats.rmap_ptes_found;
	walk_all(m, &exact);
	(void)exact;
	ok(m->stats.rmap_ptes_visited - before_p == m->stats.rmap_ptes_found - before_f &&
	   m->stats.rmap_vmas_visited - before_v == m->stats.rmap_ptes_found - before_f,
	   "ptechain: the walks visit one VMA and one PTE per PTE found (precision 1.0)");
	/* 1. the direct slot names another page's PTE */
	saved = f1->rmap;
	f1->rmap = ptep_to_paddr(m, other) | PC_DIRECT;
	check_note_frame(m, pfn1);
	ok(!check_changes(m), "ptechain: a direct slot names another page's PTE: check_changes "
	   "fails (%s)", m->why);
	ok(!check_machine(m), "ptechain: ... check_machine fails (%s)", m->why);
	f1->rmap = saved;
	m->why[0] = 0;
	ok(check_machine(m), "ptechain: put back, check_machine passes %s", m->why);
	/* 2. a mapped page without its word */
	f1->rmap = 0;
	check_note_frame(m, pfn1);
	ok(!check_changes(m), "ptechain: a mapped page has no chain: check_changes fails (%s)",
	   m->why);
	ok(!check_machine(m), "ptechain: ... check_machine fails (%s)", m->why);
	f1->rmap = saved;
	m->why[0] = 0;
	ok(check_machine(m), "ptechain: put back, check_machine passes %s", m->why);
	/* 3. one PTE twice on a chain, another missing */
	pc = pte_chain_head(f4->rmap);
	saved = pc->ptes[NRPTE - 1];
	pc->ptes[NRPTE - 1] = pc->ptes[NRPTE - 2];
	check_note_frame(m, pfn4);
	ok(!check_changes(m), "ptechain: a PTE twice on a chain: check_changes fails (%s)",
	   m->why);
	ok(!check_machine(m), "ptechain: ... check_machine fails (%s)", m->why);
	pc->ptes[NRPTE - 1] = saved;
	m->why[0] = 0;
	ok(check_machine(m), "ptechain: put back, check_machine passes %s", m->why);
	/* 4. the head's first slot one too far: a mapping dropped */
	pc->next_and_idx++;
	check_note_frame(m, pfn4);
	ok(!check_changes(m), "ptechain: the head's index skips an entry: check_changes fails "
	   "(%s)", m->why);
	ok(!check_machine(m), "ptechain: ... check_machine fails (%s)", m->why);
	pc->next_and_idx--;
	m->why[0] = 0;
	ok(check_machine(m), "ptechain: put back, check_machine passes %s", m->why);
	/* 5. a chain that loops on itself */
	pc->next_and_idx |= (uint64_t)(uintptr_t)pc;
	check_note_frame(m, pfn4);
	ok(!check_changes(m), "ptechain: a chain loops: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "ptechain: ... check_machine fails (%s)", m->why);
	pc->next_and_idx &= PC_IDX_MASK;
	m->why[0] = 0;
	ok(check_machine(m), "ptechain: put back, check_machine passes %s", m->why);
	/* 6. metadata miscounted: one block more than held */
	m->stats.rmap_bytes += sizeof(struct pte_chain);
	ok(!check_machine(m), "ptechain: rmap_bytes one block off: check_machine fails (%s)",
	   m->why);
	m->stats.rmap_bytes -= sizeof(struct pte_chain);
	/* 7. the reserve's count wrong */
	pool->nr_reserve++;
	ok(!check_machine(m), "ptechain: the reserve miscounted: check_machine fails (%s)",
	   m->why);
	pool->nr_reserve--;
	m->why[0] = 0;
	ok(check_changes(m) && check_machine(m), "ptechain: all put back, the checkers pass %s",
	   m->why);
}

/*
 * ptechain and objrmap (its anonymous pages are chained as ptechain's),
 * mlock without chains (seed 004 (b)): page 2 of the family is
 * mapped by the four processes (the second child at A + 64P + 2P).  While
 * one of its PTEs is outside a VM_LOCKED VMA the page keeps its whole
 * chain, locked PTEs included; when the last one is locked the chain goes
 * and a count takes its place (the bytes saved counted), and its walk is a
 * search of the locked VMAs (a fallback) that still finds the four.  A new
 * unlocked mapping (a fork's child) or munlock rebuilds the chain; the
 * child's exit leaves the page all locked again.
 */
static void chain_mlock(struct vm_machine *m, struct vm_mm *mm[4], const char *s)
{
	uint64_t pfn = mapped_pfn(mm[0], A + 2 * P), bytes0 = m->stats.rmap_bytes;
	uint64_t base[4] = { A, A, A + 64 * P, A };
	struct vm_frame *f = pfn ? pfn_frame(m, pfn) : NULL;
	uint64_t fb, bytes_locked, rebuilds, drops;
	struct vm_mm *child;
	struct count c = { 0 };
	int err = 0;

	if (!f || f->mapcount != 4) {
		ok(false, "%s: page 2 is mapped four times", s);
		return;
	}
	/* read-only first: mlock populates a writable private range for
	 * writing (COW broken), which would leave page 2 to one process */
	for (int k = 0; k < 4; k++)
		err |= vm_mprotect(mm[k], base[k], 16 * P, PROT_READ_);
	err |= vm_mlock(mm[0], base[0], 16 * P);
	m->why[0] = 0;
	ok(!err && pte_chain_count(f->rmap) == 4 && check_machine(m),
	   "%s: mlock of the parent's range: the chain keeps its four entries %s", s, m->why);
	for (int k = 1; k < 3; k++)
		err |= vm_mlock(mm[k], base[k], 16 * P);
	ok(!err && pte_chain_count(f->rmap) == 4 && !pte_chain_counted(f->rmap),
	   "%s: three of four locked: still a chain", s);
	drops = m->stats.rmap_chain_drops;
	err |= vm_mlock(mm[3], base[3], 16 * P);
	bytes_locked = m->stats.rmap_bytes;
	m->why[0] = 0;
	ok(!err && pte_chain_counted(f->rmap) && pte_chain_word_count(f->rmap) == 4 &&
	   f->mapcount == 4 && m->stats.rmap_unchained >= 4 && bytes_locked < bytes0 &&
	   m->stats.rmap_mlock_saved >= 72 && m->stats.rmap_chain_drops > drops &&
	   check_machine(m),
	   "%s: all four locked: a count of 4 in place of the chain, %llu PTEs counted, "
	   "%llu bytes saved (%llu by the statistics) %s", s,
	   (unsigned long long)m->stats.rmap_unchained,
	   (unsigned long long)(bytes0 - bytes_locked),
	   (unsigned long long)m->stats.rmap_mlock_saved, m->why);
	/* corruptions of the counted state */
	f->rmap = pte_chain_count_word(5);
	check_note_frame(m, pfn);
	ok(!check_changes(m), "%s: a count of 5 for 4 mappings: check_changes fails (%s)", s,
	   m->why);
	ok(!check_machine(m), "%s: ... check_machine fails (%s)", s, m->why);
	f->rmap = pte_chain_count_word(4);
	m->stats.rmap_mlock_saved += 8;
	ok(!check_machine(m), "%s: the bytes saved miscounted: check_machine fails (%s)", s,
	   m->why);
	m->stats.rmap_mlock_saved -= 8;
	m->why[0] = 0;
	ok(check_changes(m) && check_machine(m), "%s: put back, the checkers pass %s", s,
	   m->why);
	fb = m->stats.rmap_fallbacks;
	f->refcount++;
	rmap_walk(m, f, count_one, &c);
	f->refcount--;
	ok(c.found == 4 && m->stats.rmap_fallbacks == fb + 1,
	   "%s: the walk of a locked page is a search: it finds %llu PTEs", s,
	   (unsigned long long)c.found);
	/* a fork: the child's VMAs are not locked, its PTEs need the chain */
	rebuilds = m->stats.rmap_chain_rebuilds;
	child = NULL;
	/* every allocation of the fork failing in turn: -ENOMEM, the page
	 * still counted, the checkers content; then the fork that works */
	for (int n = 1; n < 10000; n++) {
		bool whole;

		m->fail_alloc_at = m->nr_allocs + (uint64_t)n;
		err = mm_fork(mm[0], &child);
		m->fail_alloc_at = 0;
		if (!err)
			break;
		m->why[0] = 0;
		whole = err == -ENOMEM && pte_chain_counted(f->rmap) && f->mapcount == 4 &&
			check_changes(m) && check_machine(m);
		if (!whole || n == 9999) {
			ok(false, "%s: fork failing at allocation %d: %d, the page %s %s", s, n,
			   err, pte_chain_counted(f->rmap) ? "counted" : "not counted", m->why);
			return;
		}
	}
	m->why[0] = 0;
	ok(!err && child && f->mapcount == 5 && pte_chain_count(f->rmap) == 5 &&
	   m->stats.rmap_chain_rebuilds > rebuilds && check_changes(m) && check_machine(m),
	   "%s: fork rebuilds the chain: 5 entries %s", s, m->why);
	if (child)
		mm_destroy(child);
	m->why[0] = 0;
	ok(pte_chain_counted(f->rmap) && pte_chain_word_count(f->rmap) == 4 &&
	   check_changes(m) && check_machine(m),
	   "%s: the child's exit leaves four locked PTEs: a count again %s", s, m->why);
	/* munlock's rebuild failing: -ENOMEM, nothing changed */
	for (int n = 1; n < 10000; n++) {
		m->fail_alloc_at = m->nr_allocs + (uint64_t)n;
		err = vm_munlock(mm[0], base[0], 16 * P);
		m->fail_alloc_at = 0;
		if (!err)
			break;
		m->why[0] = 0;
		if (err != -ENOMEM || !pte_chain_counted(f->rmap) || !check_changes(m) ||
		    !check_machine(m)) {
			ok(false, "%s: munlock failing at allocation %d: %d %s", s, n, err, m->why);
			return;
		}
	}
	ok(!err && !pte_chain_counted(f->rmap) && pte_chain_count(f->rmap) == 4,
	   "%s: munlock failing at each allocation in turn changes nothing, then works", s);
	for (int k = 1; k < 4; k++)
		err |= vm_munlock(mm[k], base[k], 16 * P);
	m->why[0] = 0;
	ok(!err && pte_chain_count(f->rmap) == 4 && m->stats.rmap_unchained == 0 &&
	   m->stats.rmap_mlock_saved == 0 && check_changes(m) && check_machine(m),
	   "%s: munlock rebuilds the chains %s", s, m->why);
}

/*
 * ptechain, mlock without chains, a file: two address spaces map a file
 * shared and locked, so its pages keep counts; a third maps it unlocked,
 * and its read fault needs each page's chain back (rmap_page_prepare).
 * With each allocation failing in turn the fault is VM_FAULT_OOM and the
 * page keeps its count (fault-around stops short, which is no failure);
 * then the fault works and the page has a chain of three.
 */
static void ptechain_mlock_file(struct vm_machine *m)
{
	const uint64_t B = A + 512 * P;
	struct vm_mm *x[3] = { NULL, NULL, NULL };
	struct vm_file *file;
	struct vm_frame *f = NULL;
	int err = 0, r = VM_FAULT_OOM, n;

	file = file_create(m, "lk", 4 * P, 5, &err);
	for (int i = 0; i < 3 && file; i++) {
		x[i] = mm_create(m);
		if (!x[i] || vm_mmap(x[i], B, 4 * P, PROT_READ_, MAP_SHARED_ | MAP_FIXED_ |
				     (i < 2 ? MAP_LOCKED_ : 0), file, 0) != B)
			err = -1;
	}
	if (!err && mapped_pfn(x[0], B))
		f = pfn_frame(m, mapped_pfn(x[0], B));
	ok(f && pte_chain_counted(f->rmap) && pte_chain_word_count(f->rmap) == 2 &&
	   f->mapcount == 2, "ptechain: a file mapped locked by two: its page keeps a count of 2");
	for (n = 1; f && n < 10000; n++) {
		m->fail_alloc_at = m->nr_allocs + (uint64_t)n;
		r = handle_mm_fault(x[2], B, false);
		m->fail_alloc_at = 0;
		if (r != VM_FAULT_OOM)
			break;
		m->why[0] = 0;
		if (mapped_pfn(x[2], B) || !pte_chain_counted(f->rmap) || f->mapcount != 2 ||
		    !check_changes(m) || !check_machine(m)) {
			ok(false, "ptechain: the fault failing at allocation %d changed something %s",
			   n, m->why);
			break;
		}
	}
	m->why[0] = 0;
	ok(f && r == VM_FAULT_OK && n > 1 && !pte_chain_counted(f->rmap) &&
	   pte_chain_count(f->rmap) == 3 && check_changes(m) && check_machine(m),
	   "ptechain: an unlocked mapping's fault rebuilds the chain; failing at each of its %d "
	   "allocations in turn, it was OOM and changed nothing %s", n - 1, m->why);
	for (int i = 0; i < 3; i++)
		if (x[i])
			mm_destroy(x[i]);
	if (file)
		file_put(file);
	m->why[0] = 0;
	ok(check_machine(m), "ptechain: the three gone, the checkers pass %s", m->why);
}

/*
 * objrmap: the family's anonymous pages are chained as ptechain's (page 2
 * of the original: one block, four entries; the grandchild's own page:
 * PageDirect); corrupted, the checkers fail.  Then a 16-page file, under
 * --nonlinear, mapped shared at F in the four processes and read in
 * (fault-around: every page, linearly), after which the parent remaps
 * page 8 at each of F .. F+7P (remap_file_pages, one page at a time):
 *
 *   parent       F |8 8 8 8 8 8 8 8|8 9 a b c d e f|   VM_NONLINEAR
 *   others       F |0 1 2 3 4 5 6 7|8 9 a b c d e f|   linear
 *
 * Page 8 has 12 mappings: 4 linear (found through i_mmap and the one
 * probe of the parent's nonlinear VMA) and 8 chained: a first block with
 * the count (12) and one entry, a full second block.  Page 3 is mapped
 * linearly three times: its word is the count.  Its walk visits 12 VMAs
 * and 12 PTEs and makes no fallback.  mremap moves the parent's VMA away
 * and back (the entries rewritten); a fork of the parent copies its 9
 * PTEs of page 8 (8 more chained), with each allocation failing in turn
 * first.  Unmapping two of the parent's remapped pages takes the chain
 * down to 6 entries in the first block, and a walk that unmaps every
 * other one leaves holes that its end closes.
 */
static int nl_unmap_even(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	uint64_t base = *(uint64_t *)arg;

	if (addr >= base && addr < base + 8 * P && !(((addr - base) >> PAGE_SHIFT) & 1))
		zap_pte(vma, addr, pte);
	return 0;
}

/* entries on a file page's counted chain */
static uint64_t cc_entries_of(const struct vm_frame *f)
{
	uint64_t n = 0;

	if (!objrmap_file_chained(f->rmap))
		return 0;
	for (const struct pte_chain *pc = pte_chain_head(f->rmap); pc; pc = pte_chain_next(pc))
		for (unsigned i = pte_chain_idx(pc); i < NRPTE; i++)
			n += pc->ptes[i] != 0;
	return n;
}

static void objrmap_broken(struct vm_machine *m, uint64_t pfn, const char *what)
{
	check_note_frame(m, pfn);
	ok(!check_changes(m), "objrmap: %s: check_changes fails (%s)", what, m->why);
	ok(!check_machine(m), "objrmap: ... check_machine fails (%s)", m->why);
}

static void objrmap_repaired(struct vm_machine *m, uint64_t pfn)
{
	check_note_frame(m, pfn);
	m->why[0] = 0;
	ok(check_changes(m) && check_machine(m), "objrmap: put back, the checkers pass %s",
	   m->why);
}

static void objrmap_corruptions(struct vm_machine *m, struct vm_mm *mm[4])
{
	const uint64_t F = A + 1024 * P;
	uint64_t pfn1 = mapped_pfn(mm[3], A + 12 * P), pfn4 = mapped_pfn(mm[0], A + 2 * P);
	struct vm_frame *f1 = pfn1 ? pfn_frame(m, pfn1) : NULL;
	struct vm_frame *f4 = pfn4 ? pfn_frame(m, pfn4) : NULL;
	struct objrmap *or = m->rmap_priv;
	pte_t *other = pte_lookup(mm[0], A + 12 * P);
	uint64_t saved, pfn8, pfn3, fb, bytes, base = F;
	struct vm_frame *f8, *f3;
	struct pte_chain *pc, *first;
	struct vm_file *file;
	struct count c = { 0 };
	int err = 0;

	ok(f1 && f1->mapcount == 1 && pte_chain_direct(f1->rmap) && f4 && f4->mapcount == 4 &&
	   !pte_chain_direct(f4->rmap) && pte_chain_count(f4->rmap) == 4,
	   "objrmap: anonymous pages: PageDirect once, a chain of four entries");
	if (!f1 || !f4 || !other || !f4->rmap || pte_chain_direct(f4->rmap))
		return;
	/* anonymous chains: a direct slot naming another page's PTE, a mapped
	 * page without a word, a PTE twice */
	saved = f1->rmap;
	f1->rmap = ptep_to_paddr(m, other) | PC_DIRECT;
	objrmap_broken(m, pfn1, "a direct slot names another page's PTE");
	f1->rmap = pte_chain_count_word(1);
	objrmap_broken(m, pfn1, "an anonymous page holds a count");
	f1->rmap = saved;
	objrmap_repaired(m, pfn1);
	pc = pte_chain_head(f4->rmap);
	saved = pc->ptes[NRPTE - 1];
	pc->ptes[NRPTE - 1] = pc->ptes[NRPTE - 2];
	objrmap_broken(m, pfn4, "an anonymous PTE twice on a chain");
	pc->ptes[NRPTE - 1] = saved;
	objrmap_repaired(m, pfn4);

	/* the file, nonlinear */
	m->nonlinear = true;
	file = file_create(m, "k", 16 * P, 3, &err);
	if (!file || err) {
		ok(false, "objrmap: a file");
		return;
	}
	for (int k = 0; k < 4; k++) {
		err |= vm_mmap(mm[k], F, 16 * P, PROT_READ_, MAP_SHARED_ | MAP_FIXED_, file, 0) != F;
		for (int i = 0; i < 16 && !err; i++)
			err |= handle_mm_fault(mm[k], F + i * P, false) != VM_FAULT_OK;
	}
	m->why[0] = 0;
	ok(!err && check_changes(m) && check_machine(m),
	   "objrmap: a file mapped linearly by four: the checkers pass %s", m->why);
	pfn3 = mapped_pfn(mm[1], F + 3 * P);
	f3 = pfn3 ? pfn_frame(m, pfn3) : NULL;
	ok(f3 && f3->mapcount == 4 && f3->rmap == objrmap_count_word(4, 0),
	   "objrmap: a file page mapped linearly four times: its word is the count (%#llx)",
	   f3 ? (unsigned long long)f3->rmap : 0ULL);
	bytes = m->stats.rmap_bytes;
	for (int i = 0; i < 8; i++)
		err |= vm_remap_file_pages(mm[0], F + i * P, P, 8);
	pfn8 = mapped_pfn(mm[1], F + 8 * P);
	f8 = pfn8 ? pfn_frame(m, pfn8) : NULL;
	m->why[0] = 0;
	ok(!err && f8 && vma_lookup(mm[0], F) && (vma_lookup(mm[0], F)->flags & VM_NONLINEAR) &&
	   mapped_pfn(mm[0], F + 5 * P) == pfn8 && check_changes(m) && check_machine(m),
	   "objrmap: the parent remaps page 8 eight times: the checkers pass %s", m->why);
	if (!f8 || !f3 || !objrmap_file_chained(f8->rmap)) {
		ok(false, "objrmap: page 8 is chained");
		return;
	}
	first = pte_chain_head(f8->rmap);
	pc = pte_chain_next(first);
	ok(f8->mapcount == 12 && first->ptes[0] == 12 && pte_chain_idx(first) == NRPTE - 1 &&
	   pc && !pte_chain_next(pc) && pte_chain_idx(pc) == 0 && or->file_chained == 8 &&
	   f3->mapcount == 3 && f3->rmap == objrmap_count_word(3, 0),
	   "objrmap: page 8: count 12 in slot 0 of its first block, 1 entry there and 7 in "
	   "the second; page 3 (remapped away in the parent) counts 3 in its word");
	ok(m->stats.rmap_bytes == bytes + 2 * sizeof(struct pte_chain) + sizeof(uint64_t),
	   "objrmap: the chain costs two blocks and the word: %llu bytes",
	   (unsigned long long)(m->stats.rmap_bytes - bytes));
	fb = m->stats.rmap_fallbacks;
	{
		uint64_t v0 = m->stats.rmap_vmas_visited, p0 = m->stats.rmap_ptes_visited;
		uint64_t q0 = m->stats.rmap_ptes_found;

		f8->refcount++;
		rmap_walk(m, f8, count_one, &c);
		f8->refcount--;
		ok(c.found == 12 && m->stats.rmap_fallbacks == fb &&
		   m->stats.rmap_vmas_visited - v0 == 12 && m->stats.rmap_ptes_visited - p0 == 12 &&
		   m->stats.rmap_ptes_found - q0 == 12,
		   "objrmap: page 8's walk finds its 12 PTEs, visiting 12 VMAs and 12 PTEs, "
		   "no fallback (found %llu)", (unsigned long long)c.found);
	}

	/* the counted chain corrupted */
	first->ptes[0]++;
	objrmap_broken(m, pfn8, "the first block's count one too many");
	first->ptes[0]--;
	objrmap_repaired(m, pfn8);
	saved = pc->ptes[0];
	pc->ptes[0] = pc->ptes[1];
	objrmap_broken(m, pfn8, "a nonlinear PTE twice on the chain");
	pc->ptes[0] = saved;
	objrmap_repaired(m, pfn8);
	saved = first->ptes[NRPTE - 1];
	first->ptes[NRPTE - 1] = 0;
	first->next_and_idx++;
	objrmap_broken(m, pfn8, "an entry taken off the chain (the count kept)");
	first->next_and_idx--;
	first->ptes[NRPTE - 1] = saved;
	objrmap_repaired(m, pfn8);
	first->next_and_idx++;
	objrmap_broken(m, pfn8, "the first block's index skips a slot still used");
	first->next_and_idx--;
	objrmap_repaired(m, pfn8);
	saved = pc->ptes[3];
	pc->ptes[3] = ptep_to_paddr(m, pte_lookup(mm[2], F + 8 * P));
	objrmap_broken(m, pfn8, "a linear PTE on the chain");
	pc->ptes[3] = saved;
	objrmap_repaired(m, pfn8);
	saved = f3->rmap;
	f3->rmap = objrmap_count_word(2, 0);
	objrmap_broken(m, pfn3, "a linear page's word counts one too few");
	f3->rmap = saved;
	objrmap_repaired(m, pfn3);
	m->stats.rmap_bytes += sizeof(struct pte_chain);
	ok(!check_machine(m), "objrmap: rmap_bytes one block off: check_machine fails (%s)",
	   m->why);
	m->stats.rmap_bytes -= sizeof(struct pte_chain);
	or->file_blocks++;
	ok(!check_machine(m), "objrmap: file blocks miscounted: check_machine fails (%s)",
	   m->why);
	or->file_blocks--;
	objrmap_repaired(m, pfn8);

	/* mremap moves the parent's nonlinear VMA away and back, PTE by PTE
	 * (not PMD aligned): the chained entries are rewritten in place */
	{
		const uint64_t G = A + 3001 * P;
		bool moved = vm_mremap(mm[0], F, 16 * P, 16 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_,
				       G) == G;
		struct count c2 = { 0 };

		m->why[0] = 0;
		moved = moved && mapped_pfn(mm[0], G + 3 * P) == pfn8 && check_changes(m) &&
			check_machine(m);
		f8->refcount++;
		rmap_walk(m, f8, count_one, &c2);
		f8->refcount--;
		ok(moved && c2.found == 12 && cc_entries_of(f8) == 8,
		   "objrmap: mremap moved the nonlinear VMA: 8 entries rewritten, 12 found %s",
		   m->why);
		err |= vm_mremap(mm[0], G, 16 * P, 16 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, F) != F;
		m->why[0] = 0;
		ok(!err && mapped_pfn(mm[0], F + 3 * P) == pfn8 && check_changes(m) &&
		   check_machine(m), "objrmap: ... and back %s", m->why);
	}
	/* fork copies the nonlinear VMA's PTEs (2.6.32): the child's 8
	 * remapped PTEs are chained, each allocation failing in turn */
	for (uint64_t n = 1; n < 64; n++) {
		struct vm_mm *child = NULL;
		int r;

		m->fail_alloc_at = m->nr_allocs + n;
		r = mm_fork(mm[0], &child);
		m->fail_alloc_at = 0;
		m->why[0] = 0;
		if (r) {
			if (!check_changes(m) || !check_machine(m) || f8->mapcount != 12) {
				ok(false, "objrmap: fork failing at allocation %llu leaves it "
				   "consistent %s", (unsigned long long)n, m->why);
				break;
			}
			continue;
		}
		ok(f8->mapcount == 21 && pte_chain_head(f8->rmap)->ptes[0] == 21 &&
		   cc_entries_of(f8) == 16 && check_changes(m) && check_machine(m),
		   "objrmap: fork (after %llu failing allocations, each unwound): page 8 "
		   "mapped 21 times (9 more), 16 chained %s", (unsigned long long)n - 1, m->why);
		mm_destroy(child);
		m->why[0] = 0;
		ok(f8->mapcount == 12 && cc_entries_of(f8) == 8 && check_changes(m) &&
		   check_machine(m), "objrmap: the child gone, 8 entries again %s", m->why);
		break;
	}
	/* removals: the first block empties, then the second moves into it */
	err |= vm_munmap(mm[0], F + 7 * P, P);
	m->why[0] = 0;
	ok(!err && f8->mapcount == 11 && pte_chain_head(f8->rmap)->ptes[0] == 11 &&
	   pte_chain_idx(pte_chain_head(f8->rmap)) == NRPTE && check_changes(m) &&
	   check_machine(m), "objrmap: one unmapped: the first block holds the count only %s",
	   m->why);
	err |= vm_munmap(mm[0], F + 6 * P, P);
	m->why[0] = 0;
	ok(!err && f8->mapcount == 10 && pte_chain_idx(pte_chain_head(f8->rmap)) == 1 &&
	   !pte_chain_next(pte_chain_head(f8->rmap)) && check_changes(m) && check_machine(m),
	   "objrmap: two unmapped: the second block moved into the first (6 entries) %s",
	   m->why);
	/* a walk that unmaps every other remapped PTE: holes, closed at its end */
	f8->refcount++;
	rmap_walk(m, f8, nl_unmap_even, &base);
	f8->refcount--;
	m->why[0] = 0;
	ok(f8->mapcount == 7 && objrmap_file_chained(f8->rmap) &&
	   pte_chain_head(f8->rmap)->ptes[0] == 7 && or->file_chained == 3 &&
	   check_changes(m) && check_machine(m),
	   "objrmap: a walk unmapped three chained PTEs: 3 entries left, count 7 %s", m->why);
	for (int k = 0; k < 4; k++)
		err |= vm_munmap(mm[k], F, 16 * P);
	file_put(file);
	m->nonlinear = false;
	m->why[0] = 0;
	ok(!err && or->file_blocks == 0 && or->file_chained == 0 && check_changes(m) &&
	   check_machine(m), "objrmap: the file unmapped: no file chain left %s", m->why);
}

/*
 * objrmap, mlock without chains for a file page's nonlinear PTEs: a
 * locked nonlinear VMA maps page 3 of a file at its own offset 0 too; that
 * PTE is away from its linear position, and locked, so the page keeps no
 * chain: its word counts 2 mappings and 1 hidden PTE, which the walk finds
 * by searching the locked nonlinear VMAs (a fallback).  A fork copies the
 * nonlinear PTE into an unlocked VMA: the chain comes back (2 entries);
 * the child's exit leaves the page counted again; munlock brings the
 * chain back for good.
 */
static void objrmap_mlock_nonlinear(struct vm_machine *m)
{
	const uint64_t B = A + 1024 * P;
	struct vm_mm *x = NULL, *child = NULL;
	struct vm_file *file;
	struct vm_frame *f = NULL;
	struct count c = { 0 };
	uint64_t fb;
	int err = 0;

	m->nonlinear = true;
	file = file_create(m, "nl", 4 * P, 9, &err);
	x = file ? mm_create(m) : NULL;
	if (!x || vm_mmap(x, B, 4 * P, PROT_READ_ | PROT_WRITE_,
			  MAP_SHARED_ | MAP_FIXED_ | MAP_LOCKED_, file, 0) != B ||
	    vm_remap_file_pages(x, B, P, 3))
		err = -1;
	if (!err && mapped_pfn(x, B) && mapped_pfn(x, B) == mapped_pfn(x, B + 3 * P))
		f = pfn_frame(m, mapped_pfn(x, B));
	m->why[0] = 0;
	ok(f && !objrmap_file_chained(f->rmap) && objrmap_file_hidden(f->rmap) == 1 &&
	   objrmap_file_count(f->rmap) == 2 && m->stats.rmap_mlock_saved >= 72 &&
	   check_changes(m) && check_machine(m),
	   "objrmap: a locked nonlinear PTE: no chain, 2 mappings and 1 hidden PTE in the word, "
	   "%llu bytes saved %s", (unsigned long long)m->stats.rmap_mlock_saved, m->why);
	if (!f)
		goto out;
	fb = m->stats.rmap_fallbacks;
	rmap_walk(m, f, count_one, &c);
	ok(c.found == 2 && m->stats.rmap_fallbacks == fb + 1,
	   "objrmap: its walk probes i_mmap and searches the locked nonlinear VMA: %llu PTEs",
	   (unsigned long long)c.found);
	err = mm_fork(x, &child);
	m->why[0] = 0;
	ok(!err && objrmap_file_chained(f->rmap) && objrmap_file_count(f->rmap) == 4 &&
	   objrmap_file_entries(f->rmap) == 2 && check_changes(m) && check_machine(m),
	   "objrmap: fork copies the nonlinear PTE unlocked: the chain comes back, 2 entries %s",
	   m->why);
	if (child)
		mm_destroy(child);
	m->why[0] = 0;
	ok(!objrmap_file_chained(f->rmap) && objrmap_file_hidden(f->rmap) == 1 &&
	   check_changes(m) && check_machine(m),
	   "objrmap: the child gone, the page keeps a count again %s", m->why);
	err = vm_munlock(x, B, 4 * P);
	m->why[0] = 0;
	ok(!err && objrmap_file_chained(f->rmap) && objrmap_file_entries(f->rmap) == 1 &&
	   m->stats.rmap_unchained == 0 && check_changes(m) && check_machine(m),
	   "objrmap: munlock brings the chain back %s", m->why);
out:
	if (x)
		mm_destroy(x);
	if (file)
		file_put(file);
	m->nonlinear = false;
	m->why[0] = 0;
	ok(check_machine(m), "objrmap: all gone, the checkers pass %s", m->why);
}

static void mminode_corruptions(struct vm_machine *m, struct vm_mm *mm[4])
{
	uint64_t pfn = mapped_pfn(mm[0], A + 5 * P), own = mapped_pfn(mm[3], A + 12 * P);
	struct vm_frame *f = pfn ? pfn_frame(m, pfn) : NULL;
	struct vm_area *v = vma_lookup(mm[3], A + 12 * P);
	struct mi_family *fam = mm[0] ? ((struct mi_mm *)mm_tail(mm[0]))->fam : NULL;
	struct mi_alias *a;
	struct mi_vma *t;
	uint64_t word, visited, probed, found, vpn = (A + 5 * P) >> PAGE_SHIFT;
	struct count c = { 0 };
	bool same = true;

	for (int i = 1; i < 4; i++)
		same = same && mm[i] && ((struct mi_mm *)mm_tail(mm[i]))->fam == fam;
	ok(fam && same && fam->nr_mms == 4, "mminode: the four address spaces share one family");
	ok(m->stats.rmap_aliases == 14 && m->stats.rmap_aliases_made == 16 &&
	   fam && fam->nr_aliases == 28,
	   "mminode: child 2's move of 16 shared pages made 16 aliases, its two COWs left 14 "
	   "(%" PRIu64 " now, %" PRIu64 " made; 28 offset entries, two per aliased page)",
	   m->stats.rmap_aliases, m->stats.rmap_aliases_made);
	if (!fam || !f || !own || !v)
		return;
	a = mminode_alias_of(fam, pfn);
	ok(f->mapcount == 4 && (f->rmap & MI_ALIASED) && (f->rmap & MI_VPN_MASK) == 0 && a &&
	   a->vpn == vpn && a->count == 3 && rb_next(&a->rb) &&
	   container_of(rb_next(&a->rb), struct mi_alias, rb)->vpn ==
	   (A + 64 * P + 5 * P) >> PAGE_SHIFT &&
	   container_of(rb_next(&a->rb), struct mi_alias, rb)->count == 1,
	   "mminode: the page at A+5P is aliased: an entry at A+5P counting 3 PTEs, one at "
	   "A+69P counting 1");
	visited = m->stats.rmap_vmas_visited;
	found = m->stats.rmap_ptes_found;
	rmap_walk(m, f, count_one, &c);
	ok(c.found == 4 && m->stats.rmap_vmas_visited - visited == 4 &&
	   m->stats.rmap_ptes_found - found == 4,
	   "mminode: its walk stabs two offsets, looks at 4 VMAs and finds 4 PTEs");
	visited = m->stats.rmap_vmas_visited;
	probed = m->stats.rmap_ptes_visited;
	c.found = 0;
	rmap_walk(m, pfn_frame(m, own), count_one, &c);
	ok(c.found == 1 && m->stats.rmap_vmas_visited - visited == 3 &&
	   m->stats.rmap_ptes_visited - probed == 3,
	   "mminode: the grandchild's own copy: 3 VMAs at its address probed, 1 maps it");
	if (!a)
		return;
	/* 1. a page's offset wrong: no PTE maps it there */
	word = pfn_frame(m, own)->rmap;
	pfn_frame(m, own)->rmap = word + 1;
	mminode_broken(m, mm, own, "a page at the wrong offset");
	pfn_frame(m, own)->rmap = word;
	mminode_repaired(m);
	/* 2. a mapped page that names no family */
	word = f->rmap;
	f->rmap = 0;
	mminode_broken(m, mm, pfn, "a mapped page naming no family");
	f->rmap = word;
	mminode_repaired(m);
	/* 3. an offset entry counting one PTE too many */
	a->count++;
	mminode_broken(m, mm, pfn, "an offset entry's count off by one");
	a->count--;
	mminode_repaired(m);
	/* 4. an alias forgotten (child 2's entry out of the tree, the page
	 *    folded back to A+5P, the counts as if it had never been): child
	 *    2's PTE is at no offset of the page */
	struct mi_alias *b = container_of(rb_next(&a->rb), struct mi_alias, rb);

	rb_erase(&a->rb, &fam->aliases);
	rb_erase(&b->rb, &fam->aliases);
	fam->nr_aliases -= 2;
	m->stats.rmap_aliases--;
	f->rmap = (word & ~(MI_ALIASED | MI_VPN_MASK)) | vpn;
	check_note_frame(m, pfn);
	ok(!check_changes(m), "mminode: an alias forgotten: check_changes fails (%s)", m->why);
	ok(!check_machine(m), "mminode: ... check_machine fails (%s)", m->why);
	f->rmap = word;
	fam->nr_aliases += 2;
	m->stats.rmap_aliases++;
	mminode_alias_link(fam, a);
	mminode_alias_link(fam, b);
	mminode_repaired(m);
	/* 5. a VMA's node with a range not its own */
	t = vma_tail(v);
	t->node.last++;
	mminode_broken(m, mm, own, "a VMA's tree node of another range");
	t->node.last--;
	mminode_repaired(m);
	/* 6. a VMA out of its family's tree: walks would not look at it */
	itree_remove(&t->node, &fam->vmas);
	mminode_broken(m, mm, own, "a VMA out of its family's tree");
	itree_insert(&t->node, &fam->vmas);
	mminode_repaired(m);
	/* 7. the family's count of address spaces off (only the whole check) */
	fam->nr_mms++;
	ok(!check_machine(m), "mminode: a family's nr_mms off by one: check_machine fails (%s)",
	   m->why);
	fam->nr_mms--;
	mminode_repaired(m);
	/* 8. metadata miscounted: one alias entry more than the families hold */
	m->stats.rmap_bytes += sizeof(struct mi_alias);
	ok(!check_machine(m), "mminode: rmap_bytes one entry off: check_machine fails (%s)",
	   m->why);
	m->stats.rmap_bytes -= sizeof(struct mi_alias);
	mminode_repaired(m);
}

/*
 * mminode and the swap cache (LaHaise: (c) "conflicts with the new swap
 * cache"): pages shared by 1 and its child 2 go to swap; 2 moves its swap
 * entries to A+64P; 1 reads A back (the page takes offset A), 2 finds it
 * in the swap cache at A+64P: an alias entry made where no hook may fail.
 * The next such alias gets no memory (injected): that page's offsets are
 * dropped and its walks scan the family; both are found all the same.
 */
static void mminode_swap_cache(void)
{
	struct vm_machine m;
	struct vm_mm *mm[2] = { NULL, NULL };
	struct vm_frame *f;
	struct count c = { 0 };
	uint64_t pfn, fallbacks;
	bool built;

	if (machine_init(&m, 16ULL << 20, rmap_find_scheme("mminode"))) {
		ok(false, "mminode: swap cache: machine_init");
		return;
	}
	built = !swap_on(&m, 1 << 20, NULL) && !check_changes_start(&m) &&
		(mm[0] = mm_create(&m)) &&
		vm_mmap(mm[0], A, 4 * P, PROT_READ_ | PROT_WRITE_,
			MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_, NULL, 0) == A;
	for (int i = 0; built && i < 4; i++)
		built = !poke(mm[0], A + i * P, 0x40 + (uint64_t)i);
	built = built && !mm_fork(mm[0], &mm[1]) && mm_reclaim_retry(&m, 100) == 4 &&
		vm_mremap(mm[1], A, 4 * P, 4 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, A + 64 * P) ==
		A + 64 * P;
	ok(built && mm[0]->nr_swap == 4 && mm[1]->nr_swap == 4,
	   "mminode: swap cache: 4 shared pages swapped out, 2's entries moved");
	if (!built)
		goto out;
	built = handle_mm_fault(mm[0], A, false) == VM_FAULT_OK &&
		handle_mm_fault(mm[1], A + 64 * P, false) == VM_FAULT_OK;
	pfn = mapped_pfn(mm[0], A);
	ok(built && pfn && pfn == mapped_pfn(mm[1], A + 64 * P) &&
	   m.stats.rmap_aliases == 1 && (pfn_frame(&m, pfn)->rmap & MI_ALIASED),
	   "mminode: swap cache: read back at A by 1, found at A+64P by 2: one alias entry");
	rmap_walk(&m, pfn_frame(&m, pfn), count_one, &c);
	ok(c.found == 2 && check_changes(&m) && check_machine(&m),
	   "mminode: swap cache: its walk finds both PTEs, the checkers pass %s", m.why);
	built = handle_mm_fault(mm[0], A + P, false) == VM_FAULT_OK;
	m.fail_alloc_at = m.nr_allocs + 1;
	built = built && handle_mm_fault(mm[1], A + 65 * P, false) == VM_FAULT_OK;
	m.fail_alloc_at = 0;
	pfn = mapped_pfn(mm[0], A + P);
	f = pfn ? pfn_frame(&m, pfn) : NULL;
	ok(built && f && pfn == mapped_pfn(mm[1], A + 65 * P) &&
	   (f->rmap & MI_VPN_MASK) == MI_VPN_SCAN && m.stats.rmap_aliases == 1,
	   "mminode: swap cache: no memory for the next alias: the page's offsets dropped");
	fallbacks = m.stats.rmap_fallbacks;
	c.found = 0;
	if (f)
		rmap_walk(&m, f, count_one, &c);
	ok(c.found == 2 && m.stats.rmap_fallbacks == fallbacks + 1 && check_changes(&m) &&
	   check_machine(&m), "mminode: swap cache: its walk scans the family, finds both "
	   "PTEs; the checkers pass %s", m.why);
	/* 1 unmaps: 2 is the only mapper left, at what was the alias offset */
	ok(!vm_munmap(mm[0], A, 4 * P) && m.stats.rmap_aliases == 0 &&
	   (pfn_frame(&m, mapped_pfn(mm[1], A + 64 * P))->rmap & MI_VPN_MASK) ==
	   (A + 64 * P) >> PAGE_SHIFT && check_changes(&m) && check_machine(&m),
	   "mminode: swap cache: 1 unmaps: the alias offset becomes the page's offset %s",
	   m.why);
out:
	for (int k = 1; k >= 0; k--)
		if (mm[k])
			mm_destroy(mm[k]);
	m.why[0] = 0;
	ok(check_machine(&m) && m.stats.rmap_bytes == 0,
	   "mminode: swap cache: everything freed %s", m.why);
	check_changes_stop(&m);
	machine_fini(&m);
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : getenv("SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 1, found_first = 0;

	for (unsigned i = 0; i < rmap_nr_schemes; i++) {
		const struct rmap_ops *ops = rmap_schemes[i];
		struct vm_machine m;
		struct vm_mm *mm[4];
		uint64_t found;
		bool exact, built;

		if (machine_init(&m, 16ULL << 20, ops)) {
			ok(false, "%s: machine_init", ops->name);
			continue;
		}
		if (check_changes_start(&m)) {
			ok(false, "%s: check_changes_start", ops->name);
			machine_fini(&m);
			continue;
		}
		built = family(&m, mm);
		ok(built, "%s: the fork family is built", ops->name);
		ok(check_changes(&m) && check_machine(&m), "%s: the checkers pass (%s)",
		   ops->name, m.why);
		found = walk_all(&m, &exact);
		ok(exact, "%s: each frame's walk finds exactly its map count", ops->name);
		if (i == 0)
			found_first = found;
		ok(found == found_first && found > 0,
		   "%s: the walks find %" PRIu64 " PTEs in all, as %s does (%" PRIu64 ")",
		   ops->name, found, rmap_schemes[0]->name, found_first);
		if (!strcmp(ops->name, "avc"))
			avc_corruptions(&m, mm);
		else if (!strcmp(ops->name, "anonlayer"))
			anonlayer_corruptions(&m, mm);
		else if (!strcmp(ops->name, "vmaring"))
			vmaring_corruptions(&m, mm);
		else if (!strcmp(ops->name, "vmaoff"))
			vmaoff_corruptions(&m, mm);
		else if (!strcmp(ops->name, "astree"))
			astree_corruptions(&m, mm);
		else if (!strcmp(ops->name, "vmainode")) {
			vmainode_tree(&m, mm);
			vmainode_corruptions(&m, mm);
			vmainode_exits(&m, mm);
		} else if (!strcmp(ops->name, "mminode"))
			mminode_corruptions(&m, mm);
		else if (!strcmp(ops->name, "ptechain")) {
			ptechain_corruptions(&m, mm);
			chain_mlock(&m, mm, "ptechain");
			ptechain_mlock_file(&m);
		}
		else if (!strcmp(ops->name, "objrmap")) {
			objrmap_corruptions(&m, mm);
			chain_mlock(&m, mm, "objrmap");
			objrmap_mlock_nonlinear(&m);
		}
		else if (!strcmp(ops->name, "anonvma")) {
			anonvma_lists(&m, mm);
			anonvma_corruptions(&m, mm);
		} else if (!ops->check_vma && !ops->link_tail && !ops->anon_tail)
			ok(true, "%s: no structures of its own to corrupt", ops->name);
		else
			ok(false, "%s: no corruption test for its structures", ops->name);
		for (int k = 3; k >= 0; k--)
			if (mm[k])
				mm_destroy(mm[k]);
		m.why[0] = 0;
		ok(check_machine(&m) && m.nr_free + 1 == m.nr_frames,
		   "%s: everything freed %s", ops->name, m.why);
		check_changes_stop(&m);
		machine_fini(&m);
	}
	anonvma_dontunmap();
	astree_family();
	mminode_swap_cache();
	shadow_contract(seed);
	printf("1..%d\n", ntests);
	return nfailed ? 1 : 0;
}
