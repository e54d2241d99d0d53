/*
 * mm/vma.c - an address space's VMAs: the tree, splitting, merging and
 * unmapping, with the merge rules of Linux 6.x (mm/vma.c there).
 *
 * The VMAs of an mm sit in a red-black tree keyed by start and, for cheap
 * neighbour access, in an address-ordered list.  The tree is augmented with
 * gap_max, the largest free gap just below any VMA of a subtree
 *
 *      gap(v) = v->start - (v->prev ? v->prev->end : 0)
 *
 * so that finding room for a new mapping visits O(log n) nodes.  A VMA's gap
 * depends on its predecessor, so whenever a VMA's end moves, its successor's
 * gap is recomputed too (vma_update_gaps).
 *
 * Merging: two neighbours merge when they are adjacent, their flags and file
 * are equal, their page offsets continue each other, and their anonymous
 * identities are compatible: equal, or one absent provided the other VMA is
 * not a fork child (its pages may be shared with an ancestor, and merging
 * would widen what an rmap walk of those pages must look at).
 */
#include <stdlib.h>
#include <string.h>
#include "mm.h"
#include "../rmap/rmap.h"

/* ---------------- the augmented tree ---------------- */

static inline struct vm_area *rb_vma(struct rb_node *n)
{
	return rb_entry_safe(n, struct vm_area, rb);
}

static inline uint64_t vma_gap(const struct vm_area *v)
{
	return v->start - (v->prev ? v->prev->end : 0);
}

static uint64_t gap_compute(struct vm_area *v)
{
	uint64_t g = vma_gap(v);
	struct vm_area *l = rb_vma(v->rb.left), *r = rb_vma(v->rb.right);

	if (l && l->gap_max > g)
		g = l->gap_max;
	if (r && r->gap_max > g)
		g = r->gap_max;
	return g;
}

static void gap_propagate(struct rb_node *n, struct rb_node *stop)
{
	while (n != stop) {
		struct vm_area *v = rb_vma(n);
		uint64_t g = gap_compute(v);

		if (v->gap_max == g && stop)
			break;
		v->gap_max = g;
		n = rb_parent(n);
	}
}

static void gap_copy(struct rb_node *o, struct rb_node *n)
{
	rb_vma(n)->gap_max = rb_vma(o)->gap_max;
}

static void gap_rotate(struct rb_node *o, struct rb_node *n)
{
	rb_vma(n)->gap_max = rb_vma(o)->gap_max;
	rb_vma(o)->gap_max = gap_compute(rb_vma(o));
}

static const struct rb_augment_ops gap_ops = { gap_propagate, gap_copy, gap_rotate };

/* recompute v's gap (its start or its predecessor's end moved) up to the root */
static void gap_fix(struct vm_area *v)
{
	if (v)
		gap_propagate(&v->rb, NULL);
}

void vma_update_gaps(struct vm_area *vma)
{
	gap_fix(vma);
	gap_fix(vma->next);
}

/* a VMA, with the scheme's tail after it (zeroed), from the machine's
 * frames (vm_area_cachep) */
struct vm_area *vma_alloc(struct vm_mm *mm)
{
	struct vm_machine *m = mm->machine;
	struct vm_area *v = slab_alloc(m, &m->slab_vma);

	if (!v)
		return NULL;
	v->mm = mm;
	list_init(&v->anon_chain);
	m->stats.vma_bytes += sizeof(*v);
	m->stats.rmap_bytes += rmap_tail_size(m, RMAP_TAIL_VMA);
	rmap_note_peak(m);
	m->stats.nr_vmas++;
	return v;
}

void vma_free(struct vm_area *vma)
{
	struct vm_machine *m = vma->mm->machine;

	if (vma->file)
		file_put(vma->file);
	m->stats.vma_bytes -= sizeof(*vma);
	m->stats.rmap_bytes -= rmap_tail_size(m, RMAP_TAIL_VMA);
	m->stats.nr_vmas--;
	slab_free(m, &m->slab_vma, vma);
}

void vma_remove_free(struct vm_area *vma)
{
	rmap_vma_del(vma);
	anon_unlink(vma);
	vma_free(vma);
}

struct vm_area *find_vma(struct vm_mm *mm, uint64_t addr)
{
	struct rb_node *n = mm->vma_tree.node;
	struct vm_area *best = NULL;

	while (n) {
		struct vm_area *v = rb_vma(n);

		if (v->end > addr) {
			best = v;
			if (v->start <= addr)
				break;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct vm_area *vma_last(struct vm_mm *mm)
{
	struct rb_node *n = mm->vma_tree.node;

	while (n && n->right)
		n = n->right;
	return rb_vma(n);
}

struct vm_area *vma_lookup(struct vm_mm *mm, uint64_t addr)
{
	struct vm_area *v = find_vma(mm, addr);

	return v && v->start <= addr ? v : NULL;
}

struct vm_area *find_vma_intersection(struct vm_mm *mm, uint64_t start, uint64_t end)
{
	struct vm_area *v = find_vma(mm, start);

	return v && v->start < end ? v : NULL;
}

void vma_link(struct vm_mm *mm, struct vm_area *vma)
{
	struct rb_node **link = &mm->vma_tree.node, *parent = NULL;
	struct vm_area *prev = NULL;

	while (*link) {
		parent = *link;
		if (vma->start < rb_vma(parent)->start) {
			link = &parent->left;
		} else {
			prev = rb_vma(parent);
			link = &parent->right;
		}
	}
	/* list linkage: prev is the last VMA below vma */
	vma->prev = prev;
	vma->next = prev ? prev->next : mm->first;
	if (vma->next)
		vma->next->prev = vma;
	if (prev)
		prev->next = vma;
	else
		mm->first = vma;
	vma->gap_max = vma_gap(vma);
	rb_link_node(&vma->rb, parent, link);
	gap_propagate(parent, NULL);
	rb_insert_augmented(&vma->rb, &mm->vma_tree, &gap_ops);
	gap_fix(vma->next);
	mm->map_count++;
	if (vma->file)
		file_vma_link(vma);
	check_note_range(mm, vma->start, vma->end);
	rmap_vma_add(vma);
}

void vma_unlink(struct vm_mm *mm, struct vm_area *vma)
{
	struct vm_area *next = vma->next;

	check_note_range(mm, vma->start, vma->end);
	if (vma->file)
		file_vma_unlink(vma);
	rb_erase_augmented(&vma->rb, &mm->vma_tree, &gap_ops);
	if (vma->prev)
		vma->prev->next = next;
	else
		mm->first = next;
	if (next)
		next->prev = vma->prev;
	vma->prev = vma->next = NULL;
	gap_fix(next);
	mm->map_count--;
}

/* set a VMA's range, keeping the rmap trees and the gap augmentation right */
static void vma_set_range(struct vm_area *v, uint64_t start, uint64_t end, uint64_t pgoff)
{
	check_note_range(v->mm, v->start, v->end);
	check_note_range(v->mm, start, end);
	rmap_vma_pre_update(v);
	if (v->file)
		file_vma_unlink(v);
	v->start = start;
	v->end = end;
	v->pgoff = pgoff;
	if (v->file)
		file_vma_link(v);
	rmap_vma_post_update(v);
	vma_update_gaps(v);
}

/* ---------------- splitting ---------------- */

static struct vm_area *vma_dup(struct vm_area *vma)
{
	struct vm_area *n = vma_alloc(vma->mm);

	if (!n)
		return NULL;
	n->start = vma->start;
	n->end = vma->end;
	n->flags = vma->flags;
	n->pgoff = vma->pgoff;
	vma_set_file(n, vma->file, vma->file_open);
	n->anon = vma->anon;
	return n;
}

static int __split_vma(struct vm_area *vma, uint64_t addr, bool new_below)
{
	struct vm_area *n = vma_dup(vma);
	int err;

	VM_BUG_ON(addr <= vma->start || addr >= vma->end);
	if (!n)
		return -12;
	if (new_below) {
		n->end = addr;
	} else {
		n->start = addr;
		n->pgoff += (addr - vma->start) >> PAGE_SHIFT;
	}
	err = anon_clone(n, vma);
	if (err) {
		vma_free(n);
		return err;
	}
	if (new_below)
		vma_set_range(vma, addr, vma->end, vma->pgoff + ((addr - n->start) >> PAGE_SHIFT));
	else
		vma_set_range(vma, vma->start, addr, vma->pgoff);
	vma_link(vma->mm, n);
	rmap_vma_split(vma, n);
	return 0;
}

int split_vma(struct vm_area *vma, uint64_t addr, bool new_below)
{
	if (vma->mm->map_count >= MAX_MAP_COUNT)
		return -12;
	return __split_vma(vma, addr, new_below);
}

/* ---------------- merging ---------------- */

/* What is being merged (Linux's struct vma_merge_struct) */
struct vmg {
	struct vm_mm *mm;
	struct vm_area *prev;        /* VMA before the range, or NULL */
	struct vm_area *middle;      /* existing VMA being modified, NULL for a new range */
	struct vm_area *next;        /* VMA after the range, or NULL */
	struct vm_area *copied_from; /* mremap: the VMA being copied */
	uint64_t start, end, pgoff;  /* the range and its page offset */
	uint64_t flags;              /* its flags */
	struct vm_file *file;        /* its file */
	uint32_t file_open;          /* and the open of it (vm_area.file_open) */
	struct anon_id *anon;        /* its anonymous identity */
	bool just_expand;            /* brk: only try to expand prev */
};


static bool is_mergeable_vma(const struct vmg *g, const struct vm_area *tgt)
{
	return tgt->flags == g->flags && vma_same_file(tgt, g->file, g->file_open);
}

static bool is_mergeable_anon(const struct vmg *g, const struct vm_area *tgt)
{
	if (!tgt->anon && g->anon)
		return !anon_is_fork_child(g->middle) && !anon_is_fork_child(g->copied_from);
	if (tgt->anon && !g->anon)
		return !anon_is_fork_child(tgt);
	return tgt->anon == g->anon;
}

static bool can_merge_left(const struct vmg *g)
{
	const struct vm_area *p = g->prev;

	return p && p->end == g->start && is_mergeable_vma(g, p) &&
	       is_mergeable_anon(g, p) && p->pgoff + vma_pages(p) == g->pgoff;
}

static bool can_merge_right(const struct vmg *g, bool left)
{
	const struct vm_area *n = g->next;

	if (!n || n->start != g->end || !is_mergeable_vma(g, n) ||
	    !is_mergeable_anon(g, n) ||
	    n->pgoff != g->pgoff + ((g->end - g->start) >> PAGE_SHIFT))
		return false;
	if (!left)
		return true;
	return !g->prev->anon || !n->anon || g->prev->anon == n->anon;
}


/* a VMA swallowed by a merge: its identity goes (anon_vma_merge), then it */
static void merge_remove(struct vm_area *target, struct vm_area *v)
{
	rmap_vma_merge(target, v);
	vma_unlink(v->mm, v);
	vma_remove_free(v);
}

/*
 * vma_merge_existing_range: [start, end) of g->middle changes to g->flags.
 * => returns the merged VMA covering [start, end), or NULL if no merge
 *    (*err set on -ENOMEM).
 */
static struct vm_area *merge_existing(struct vmg *g, int *err)
{
	struct vm_area *vma = g->middle, *prev = g->prev, *next = NULL;
	bool left_side = g->start == vma->start, right_side = g->end == vma->end;
	bool merge_left = false, merge_right = false, delete_vma;
	uint64_t start = g->start, end = g->end;

	*err = 0;
	if (!left_side && !right_side)
		return NULL;
	if (left_side)
		merge_left = can_merge_left(g);
	if (right_side) {
		next = g->next = vma->next;
		merge_right = can_merge_right(g, merge_left);
	}
	if (!merge_left && !merge_right)
		return NULL;
	delete_vma = left_side && right_side;

	if (merge_left && merge_right) {
		/*         |<----->|
		 * |-------*********-------|
		 *   prev     vma     next
		 *  extend   delete  delete          */
		*err = anon_dup(prev, next->anon ? next : vma);
		if (*err)
			return NULL;
		uint64_t nend = next->end;
		merge_remove(prev, vma);
		merge_remove(prev, next);
		vma_set_range(prev, prev->start, nend, prev->pgoff);
		return prev;
	}
	if (merge_left) {
		/*         |<----->| OR |<--------->|
		 * |-------*************
		 *   prev       vma
		 *  extend shrink/delete              */
		*err = anon_dup(prev, vma);
		if (*err)
			return NULL;
		if (delete_vma)
			merge_remove(prev, vma);
		else
			vma_set_range(vma, end, vma->end,
				      vma->pgoff + ((end - vma->start) >> PAGE_SHIFT));
		vma_set_range(prev, prev->start, end, prev->pgoff);
		return prev;
	}
	/*     |<----->| OR |<--------->|
	 * *************-------|
	 *      vma       next
	 * shrink/delete extend                */
	*err = anon_dup(next, vma);
	if (*err)
		return NULL;
	if (delete_vma) {
		uint64_t pgoff = next->pgoff - ((end - start) >> PAGE_SHIFT);

		merge_remove(next, vma);
		vma_set_range(next, start, next->end, pgoff);
	} else {
		vma_set_range(vma, vma->start, start, vma->pgoff);
		vma_set_range(next, start, next->end,
			      next->pgoff - ((end - start) >> PAGE_SHIFT));
	}
	return next;
}

struct vm_area *vma_modify_flags(struct vm_area *prev, struct vm_area *vma,
				 uint64_t start, uint64_t end, uint64_t newflags,
				 int *err)
{
	struct vmg g = {
		.mm = vma->mm, .prev = prev, .middle = vma,
		.start = start, .end = end,
		.pgoff = vma->pgoff + ((start - vma->start) >> PAGE_SHIFT),
		.flags = newflags, .file = vma->file, .file_open = vma->file_open,
		.anon = vma->anon,
	};
	struct vm_area *merged;

	/* prev is the VMA before start: vma itself when start is inside it */
	if (g.prev == vma)
		g.prev = NULL;
	check_note_range(vma->mm, start, end);      /* its flags change */
	merged = merge_existing(&g, err);
	if (merged || *err)
		return merged;
	if (vma->start < start) {
		*err = split_vma(vma, start, true);
		if (*err)
			return NULL;
	}
	if (vma->end > end) {
		*err = split_vma(vma, end, false);
		if (*err)
			return NULL;
	}
	return vma;
}

/*
 * vma_merge_new_range + vma_expand: a new mapping [start, end) (the range is
 * free) tries to extend prev and/or next instead of getting its own VMA.
 */
struct vm_area *vma_merge_new(struct vm_mm *mm, uint64_t start, uint64_t end,
			      uint64_t flags, struct vm_file *file, uint32_t file_open,
			      uint64_t pgoff,
			      struct anon_id *anon, struct vm_area *copied_from, bool just_expand,
			      int *err)
{
	struct vm_area *next = find_vma(mm, start);
	struct vm_area *prev = next ? next->prev : NULL;
	struct vmg g = {
		.mm = mm, .start = start, .end = end, .pgoff = pgoff, .flags = flags,
		.file = file, .file_open = file_open, .anon = anon, .copied_from = copied_from,
		.just_expand = just_expand,
	};
	struct vm_area *target = NULL;
	bool left, right, remove_next, had_anon;

	*err = 0;
	if (!next)
		prev = vma_last(mm);     /* the range is above every VMA */
	g.prev = prev;
	g.next = next;
	if (!prev && !next)
		return NULL;
	left = can_merge_left(&g);
	right = !just_expand && can_merge_right(&g, left);
	if (right) {
		g.end = next->end;
		target = next;
		g.pgoff = next->pgoff - ((end - start) >> PAGE_SHIFT);
	}
	if (left) {
		g.start = prev->start;
		target = prev;
		g.pgoff = prev->pgoff;
	}
	if (!target)
		return NULL;
	/* vma_expand: the target takes the anon identity of what it swallows
	 * (or of the VMA being copied); out of memory undoes that and fails */
	had_anon = target->anon != NULL;
	remove_next = next && target != next && g.end == next->end;
	if ((remove_next && (*err = anon_dup(target, next))) ||
	    (copied_from && (*err = anon_dup(target, copied_from)))) {
		if (!had_anon && target->anon)
			anon_unlink(target);
		return NULL;
	}
	if (remove_next)
		merge_remove(target, next);
	vma_set_range(target, g.start, g.end, g.pgoff);
	return target;
}

/* ---------------- unmapping ---------------- */

int do_munmap(struct vm_mm *mm, uint64_t start, uint64_t len)
{
	uint64_t end;
	struct vm_area *vma, *prev, *next, *v;
	int err;

	if ((start & ~PAGE_MASK) || start > TASK_SIZE || len > TASK_SIZE - start)
		return -22;
	end = start + PAGE_ALIGN(len);
	if (end == start)
		return -22;
	vma = find_vma(mm, start);
	if (!vma || vma->start >= end)
		return 0;
	if (start > vma->start) {
		if (end < vma->end && mm->map_count >= MAX_MAP_COUNT)
			return -12;
		err = __split_vma(vma, start, true);
		if (err)
			return err;
	}
	/* split the last one at end */
	for (v = vma; v && v->start < end; v = v->next) {
		if (v->end > end) {
			err = __split_vma(v, end, false);
			if (err)
				return err;
			break;
		}
	}
	prev = vma->prev;
	/* zap, then free page tables between the neighbours, then the VMAs */
	for (v = vma; v && v->start < end; v = v->next)
		zap_range(v, v->start, v->end);
	for (next = vma; next && next->start < end; next = next->next)
		;
	free_pgtables(mm, start, end, prev ? prev->end : 0, next ? next->start : 0);
	for (v = vma; v && v->start < end; v = next) {
		next = v->next;
		if (v->flags & VM_LOCKED)
			mm->locked_vm -= vma_pages(v);
		vma_unlink(mm, v);
		vma_remove_free(v);
	}
	return 0;
}

/* ---------------- free-area search ---------------- */

static uint64_t prev_end(const struct vm_area *v) { return v->prev ? v->prev->end : 0; }

/* highest start for len bytes in a gap below some VMA of subtree n */
static uint64_t topdown(struct rb_node *n, uint64_t len, uint64_t low, uint64_t high)
{
	struct vm_area *v = rb_vma(n);
	uint64_t a;

	if (!v || v->gap_max < len)
		return UINT64_MAX;
	if (v->start < high) {
		a = topdown(n->right, len, low, high);
		if (a != UINT64_MAX)
			return a;
	}
	/* the gap just below v: [prev_end, v->start) */
	if (vma_gap(v) >= len) {
		uint64_t gs = prev_end(v), ge = v->start < high ? v->start : high;

		if (gs < low)
			gs = low;
		if (ge >= gs && ge - gs >= len)
			return ge - len;
	}
	if (prev_end(v) > low || v->prev == NULL)
		return topdown(n->left, len, low, high);
	return UINT64_MAX;
}

uint64_t unmapped_area_topdown(struct vm_mm *mm, uint64_t len, uint64_t low, uint64_t high)
{
	struct vm_area *last = vma_last(mm);
	uint64_t gs;

	if (len > high || high - len < low)
		return VM_ERR(-12);
	/* the gap above the last VMA */
	gs = last ? last->end : 0;
	if (gs < low)
		gs = low;
	if (high >= gs && high - gs >= len)
		return high - len;
	gs = topdown(mm->vma_tree.node, len, low, high);
	return gs == UINT64_MAX ? VM_ERR(-12) : gs;
}

static uint64_t bottomup(struct rb_node *n, uint64_t len, uint64_t low, uint64_t high)
{
	struct vm_area *v = rb_vma(n);
	uint64_t a;

	if (!v || v->gap_max < len)
		return UINT64_MAX;
	if (v->start > low) {
		a = bottomup(n->left, len, low, high);
		if (a != UINT64_MAX)
			return a;
	}
	if (vma_gap(v) >= len) {
		uint64_t gs = prev_end(v) > low ? prev_end(v) : low;
		uint64_t ge = v->start < high ? v->start : high;

		if (ge >= gs && ge - gs >= len)
			return gs;
	}
	if (v->end < high)
		return bottomup(n->right, len, low, high);
	return UINT64_MAX;
}

uint64_t unmapped_area(struct vm_mm *mm, uint64_t len, uint64_t low, uint64_t high)
{
	struct vm_area *last = vma_last(mm);
	uint64_t a, gs;

	if (len > high || high - len < low)
		return VM_ERR(-12);
	a = bottomup(mm->vma_tree.node, len, low, high);
	if (a != UINT64_MAX)
		return a;
	gs = last ? last->end : 0;
	if (gs < low)
		gs = low;
	if (high >= gs && high - gs >= len)
		return gs;
	return VM_ERR(-12);
}

/* ---------------- checking ---------------- */

/*
 * One VMA and what links it, in O(log n): its range, its list neighbours,
 * its place in the tree (the lookup of its start finds it; rb_check_path),
 * and the gap augmentation of it and of every ancestor.  What a local view
 * cannot see (black heights, map_count) vma_check_tree sees.
 */
bool vma_check_local(struct vm_area *v, char *why, size_t len)
{
	struct vm_mm *mm = v->mm;

	if (v->start >= v->end || (v->start | v->end) & ~PAGE_MASK ||
	    v->end > TASK_SIZE + PAGE_SIZE) {
		snprintf(why, len, "vma tree: bad range [%#llx,%#llx)",
			 (unsigned long long)v->start, (unsigned long long)v->end);
		return false;
	}
	if ((v->prev ? v->prev->next != v || v->prev->end > v->start || v->prev->mm != mm
		     : mm->first != v) ||
	    (v->next && (v->next->prev != v || v->next->start < v->end || v->next->mm != mm))) {
		snprintf(why, len, "vma tree: [%#llx,%#llx) has bad list links or overlaps a neighbour",
			 (unsigned long long)v->start, (unsigned long long)v->end);
		return false;
	}
	if (find_vma(mm, v->start) != v || !rb_check_path(&mm->vma_tree, &v->rb, why, len)) {
		if (find_vma(mm, v->start) != v)
			snprintf(why, len, "vma tree: [%#llx,%#llx) is not found at its start",
				 (unsigned long long)v->start, (unsigned long long)v->end);
		return false;
	}
	for (struct rb_node *n = &v->rb; n; n = rb_parent(n)) {
		struct vm_area *a = rb_vma(n);

		if (a->gap_max != gap_compute(a)) {
			snprintf(why, len, "vma tree: vma [%#llx,%#llx) has gap_max %#llx, expected %#llx",
				 (unsigned long long)a->start, (unsigned long long)a->end,
				 (unsigned long long)a->gap_max, (unsigned long long)gap_compute(a));
			return false;
		}
	}
	if (!v->anon != list_empty(&v->anon_chain) && v->anon) {
		snprintf(why, len, "vma tree: [%#llx,%#llx) has anon identity but no chain",
			 (unsigned long long)v->start, (unsigned long long)v->end);
		return false;
	}
	return true;
}

static bool check_subtree(struct vm_mm *mm, struct rb_node *n, char *why, size_t len)
{
	struct vm_area *v = rb_vma(n);

	if (!v)
		return true;
	if (!check_subtree(mm, n->left, why, len) || !check_subtree(mm, n->right, why, len))
		return false;
	if (v->gap_max != gap_compute(v)) {
		snprintf(why, len, "vma tree: vma [%#llx,%#llx) has gap_max %#llx, expected %#llx",
			 (unsigned long long)v->start, (unsigned long long)v->end,
			 (unsigned long long)v->gap_max, (unsigned long long)gap_compute(v));
		return false;
	}
	return true;
}

bool vma_check_tree(struct vm_mm *mm, char *why, size_t len)
{
	struct vm_area *v, *prev = NULL;
	struct rb_node *n;
	int count = 0;

	if (!rb_check(&mm->vma_tree, why, len))
		return false;
	for (n = rb_first(&mm->vma_tree), v = mm->first; n || v;
	     n = rb_next(n), prev = v, v = v->next) {
		if (!n || rb_vma(n) != v) {
			snprintf(why, len, "vma tree: list and tree disagree after %d VMAs", count);
			return false;
		}
		if (v->prev != prev || v->mm != mm) {
			snprintf(why, len, "vma tree: bad prev/mm link at [%#llx,%#llx)",
				 (unsigned long long)v->start, (unsigned long long)v->end);
			return false;
		}
		if (v->start >= v->end || (v->start | v->end) & ~PAGE_MASK ||
		    v->end > TASK_SIZE + PAGE_SIZE || (prev && prev->end > v->start)) {
			snprintf(why, len, "vma tree: bad or overlapping range [%#llx,%#llx)",
				 (unsigned long long)v->start, (unsigned long long)v->end);
			return false;
		}
		if (!v->anon != list_empty(&v->anon_chain) && v->anon) {
			snprintf(why, len, "vma tree: [%#llx,%#llx) has anon identity but no chain",
				 (unsigned long long)v->start, (unsigned long long)v->end);
			return false;
		}
		count++;
	}
	if (count != mm->map_count) {
		snprintf(why, len, "vma tree: map_count %d but %d VMAs", mm->map_count, count);
		return false;
	}
	return check_subtree(mm, mm->vma_tree.node, why, len);
}
