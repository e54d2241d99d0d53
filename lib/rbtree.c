/*
 * lib/rbtree.c - rebalancing, erase, iteration and checking for the
 * intrusive, augmentable red-black tree of rbtree.h.
 *
 * Why a red-black tree: the VM keeps ordered sets that change about as often
 * as they are searched (the VMAs of an address space, a file's i_mmap tree,
 * anon_vma trees).  A red-black tree searches, inserts and erases in
 * O(log n) with at most three rotations per update; being intrusive it never
 * allocates, so no update can fail.  Augmentation lets every node summarise
 * its subtree (largest end, largest gap), which makes interval and gap
 * queries O(log n) as well.
 *
 * The caller descends and links (it knows its key); this file only restores
 * the properties afterwards.  The properties (also listed in rbtree.h):
 *
 *   1. every node is red or black (one bit: bit 0 of parent_color);
 *   2. the root is black;
 *   3. a red node has no red child;
 *   4. every path from a node down to a NULL leaf meets the same number of
 *      black nodes: the node's black height.
 *
 * By 3 and 4 the longest root-to-leaf path (red and black alternating) is at
 * most twice the shortest (all black), so the height is <= 2 log2(n + 1).
 *
 * Pictures: UPPER case is a black node, lower case red, (x) either colour.
 * Only the nodes that move or change colour are drawn; every picture has a
 * mirror image (left and right swapped) which the code handles by choosing
 * "near" and "far" children instead of "left" and "right".
 *
 * Augmentation: whenever the set of nodes under some node changes, the
 * user's callbacks (struct rb_augment_ops, same contract as Linux's
 * rbtree_augmented.h) are told: rotate() after each rotation, copy() and
 * propagate() when erase moves nodes.  The plain and augmented entry points
 * share one static inline implementation each, taking an ops pointer that
 * is NULL for the plain tree, so the compiler drops the callbacks there.
 * Colour changes never touch augmented values.
 */
#include "rbtree.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- parent_color accessors ------------------------------------------ */

static inline uintptr_t rb_color(const struct rb_node *n)
{
	return n->parent_color & 1;
}

static inline void rb_set_color(struct rb_node *n, uintptr_t color)
{
	n->parent_color = (n->parent_color & ~(uintptr_t)1) | color;
}

static inline void rb_set_parent(struct rb_node *n, struct rb_node *parent)
{
	n->parent_color = (uintptr_t)parent | rb_color(n);
}

static inline void rb_set_parent_color(struct rb_node *n,
				       struct rb_node *parent, uintptr_t color)
{
	n->parent_color = (uintptr_t)parent | color;
}

/*
 * Make new_node take old's place under parent, or at the root when parent
 * is NULL.  Only the downward link is written; the caller sets new_node's
 * parent pointer.
 */
static inline void rb_change_child(struct rb_node *old,
				   struct rb_node *new_node,
				   struct rb_node *parent, struct rb_root *root)
{
	if (!parent)
		root->node = new_node;
	else if (parent->left == old)
		parent->left = new_node;
	else
		parent->right = new_node;
}

/*
 * Rotate node up over its parent p.  The in-order sequence a n b p c
 * (or p c n a b ...) is unchanged; only b changes parent:
 *
 *          |                  |              |                  |
 *          p                  n              p                  n
 *         / \     right      / \            / \     left       / \
 *        n   c    ---->     a   p          c   n    ---->     p   b
 *       / \                    / \            / \            / \
 *      a   b                  b   c          a   b          c   a
 *
 * Colours are kept; callers recolour.  Afterwards n roots exactly the nodes
 * p rooted before, so n takes p's augmented value and p is recomputed from
 * its new children: that is ops->rotate(p, n).
 */
static inline void rb_rotate_up(struct rb_node *n, struct rb_root *root,
				const struct rb_augment_ops *ops)
{
	struct rb_node *p = rb_parent(n), *g = rb_parent(p), *b;

	if (n == p->left) {
		b = n->right;
		p->left = b;
		n->right = p;
	} else {
		b = n->left;
		p->right = b;
		n->left = p;
	}
	if (b)
		rb_set_parent(b, p);
	rb_change_child(p, n, g, root);
	rb_set_parent(n, g);
	rb_set_parent(p, n);
	if (ops)
		ops->rotate(p, n);
}

/* ---- insertion --------------------------------------------------------- */

/*
 * node was just linked as a red leaf.  Property 4 holds (a red leaf adds no
 * black) and every step below keeps it; the one possible violation is of
 * 3, node red under a red parent, or of 2 once the fix reaches the root.
 */
static inline void rb_insert_fixup(struct rb_node *node, struct rb_root *root,
				   const struct rb_augment_ops *ops)
{
	for (;;) {
		struct rb_node *parent = rb_parent(node), *gparent, *uncle;

		/*
		 * node is the root: paint it black (property 2).  This is
		 * the only place where the black height of the tree grows.
		 */
		if (!parent) {
			rb_set_color(node, RB_BLACK);
			return;
		}
		/* Under a black parent a red node breaks nothing. */
		if (rb_is_black(parent))
			return;
		/*
		 * parent is red, so it is not the root and gparent exists;
		 * gparent is black, since property 3 held before node came.
		 */
		gparent = rb_parent(parent);
		uncle = parent == gparent->left ? gparent->right
						: gparent->left;

		if (!rb_is_black(uncle)) {
			/*
			 * Case 1: red uncle.  Move gparent's black down
			 * into both its children:
			 *
			 *          G               g
			 *         / \             / \
			 *        p   u    -->    P   U
			 *        |               |
			 *        n               n
			 *
			 * Every path through G still meets one black among
			 * G, P, U.  But g may now sit under a red parent:
			 * repeat two levels up.
			 */
			rb_set_color(parent, RB_BLACK);
			rb_set_color(uncle, RB_BLACK);
			rb_set_color(gparent, RB_RED);
			node = gparent;
			continue;
		}

		if ((node == parent->right) == (parent == gparent->left)) {
			/*
			 * Case 2: black uncle, node an inner grandchild
			 * (zig-zag).  Rotate node up over parent: both are
			 * red, so no black height changes, and the two reds
			 * now form a straight line: case 3 with the roles of
			 * node and parent swapped.
			 *
			 *          G               G
			 *         / \             / \
			 *        p   U    -->    n   U
			 *         \             /
			 *          n           p
			 */
			rb_rotate_up(node, root, ops);
			node = parent;
			parent = rb_parent(node);
		}

		/*
		 * Case 3: black uncle, node an outer grandchild (zig-zig).
		 * Rotate parent up over gparent and swap their colours:
		 *
		 *          G               P
		 *         / \             / \
		 *        p   U    -->    n   g
		 *       / \                 / \
		 *      n   S               S   U
		 *
		 * Paths into n, S and U each still meet exactly one of the
		 * blacks G/P; S is black (child of a red) so g has no red
		 * child, and P is black, so nothing above can break.  Done.
		 */
		rb_rotate_up(parent, root, ops);
		rb_set_color(parent, RB_BLACK);
		rb_set_color(gparent, RB_RED);
		return;
	}
}

void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	rb_insert_fixup(node, root, NULL);
}

void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_ops *ops)
{
	rb_insert_fixup(node, root, ops);
}

/* ---- erase --------------------------------------------------------------- */

/*
 * Erase unlinked a black node without children from below parent, leaving a
 * NULL in its slot: every path through that slot now meets one black too
 * few.  Call the subtree in that slot (at first empty) "short".  Each step
 * either ends the shortage locally or moves it one level up; once the short
 * subtree is the whole tree, every path lost one black alike and property 4
 * holds again.
 *
 * The sibling of the short subtree is never NULL: its side has a black
 * height of at least one more than the short side, so at least one node.
 */
static inline void rb_erase_fixup(struct rb_node *parent, struct rb_root *root,
				  const struct rb_augment_ops *ops)
{
	struct rb_node *node = NULL;	/* the short subtree, under parent */

	for (;;) {
		bool left = node == parent->left;
		struct rb_node *sibling = left ? parent->right : parent->left;
		struct rb_node *near, *far;

		if (!rb_is_black(sibling)) {
			/*
			 * Case 1: red sibling (so P and the sibling's
			 * children are black).  Rotate the sibling up and
			 * swap its colour with P's:
			 *
			 *        P                   S
			 *       / \                 / \
			 *      N   s       -->     p   F
			 *         / \             / \
			 *        C   F           N   C
			 *
			 * Black heights are unchanged and N is still short,
			 * but its sibling C is now black and its parent red:
			 * one of cases 2-4 follows, and ends the fix.
			 */
			rb_rotate_up(sibling, root, ops);
			rb_set_color(sibling, RB_BLACK);
			rb_set_color(parent, RB_RED);
			sibling = left ? parent->right : parent->left;
		}

		near = left ? sibling->left : sibling->right;
		far = left ? sibling->right : sibling->left;

		if (rb_is_black(near) && rb_is_black(far)) {
			/*
			 * Case 2: black sibling with two black children.
			 * Paint the sibling red: its side becomes short as
			 * well, so now the whole of parent is short.
			 *
			 *       (p)                (p)
			 *       / \                / \
			 *      N   S       -->    N   s
			 *         / \                / \
			 *        C   F              C   F
			 *
			 * A red parent turns black and gives both sides
			 * their black back: done.  A black parent passes the
			 * shortage up one level (or ends it at the root).
			 */
			rb_set_color(sibling, RB_RED);
			if (!rb_is_black(parent)) {
				rb_set_color(parent, RB_BLACK);
				return;
			}
			node = parent;
			parent = rb_parent(node);
			if (!parent)
				return;
			continue;
		}

		if (rb_is_black(far)) {
			/*
			 * Case 3: black sibling, its near child red, its far
			 * child black.  Rotate the near child up over the
			 * sibling and swap their colours:
			 *
			 *       (p)                (p)
			 *       / \                / \
			 *      N   S       -->    N   C
			 *         / \                  \
			 *        c   F                  s
			 *                                \
			 *                                 F
			 *
			 * No black height changes; now the sibling (C) has a
			 * red far child (s): case 4.
			 */
			rb_rotate_up(near, root, ops);
			rb_set_color(near, RB_BLACK);
			rb_set_color(sibling, RB_RED);
			far = sibling;
			sibling = near;
		}

		/*
		 * Case 4: black sibling with a red far child.  Rotate the
		 * sibling up over parent; it takes parent's colour, and
		 * parent and the far child turn black:
		 *
		 *       (p)                (s)
		 *       / \                / \
		 *      N   S       -->    P   F
		 *         / \            / \
		 *       (c)  f          N  (c)
		 *
		 * Paths into N gain the black P: the shortage is gone.
		 * Paths into (c) meet P instead of S, paths into F meet F
		 * instead of S, and the top keeps its colour.  Done.
		 */
		rb_rotate_up(sibling, root, ops);
		rb_set_color(sibling, rb_color(parent));
		rb_set_color(parent, RB_BLACK);
		rb_set_color(far, RB_BLACK);
		return;
	}
}

static inline void rb_erase_common(struct rb_node *node, struct rb_root *root,
				   const struct rb_augment_ops *ops)
{
	struct rb_node *parent = rb_parent(node);
	struct rb_node *child, *rebalance = NULL;

	if (!node->left || !node->right) {
		/*
		 * At most one child: splice node out, the child takes its
		 * place.  A lone child is red and node black (a lone black
		 * child would make the empty side short), so the child
		 * painted black keeps every black height:
		 *
		 *        |            |             |
		 *        N    -->     C             n    -->   (nothing)
		 *        |
		 *        c
		 *
		 * A childless red node leaves nothing to fix; a childless
		 * black one leaves its slot short (rb_erase_fixup).
		 */
		child = node->left ? node->left : node->right;
		rb_change_child(node, child, parent, root);
		if (child)
			child->parent_color = node->parent_color;
		else if (rb_is_black(node))
			rebalance = parent;
		/* parent's subtree lost node; child's is unchanged */
		if (ops && parent)
			ops->propagate(parent, NULL);
	} else {
		/*
		 * Two children: the in-order successor s (leftmost node of
		 * the right subtree) has no left child.  Unlink s from its
		 * own slot as above (its right child c, if any, moves up),
		 * then put s in node's place with node's colour.  What the
		 * tree really lost is s's old slot, below sp:
		 *
		 *       (n)          (s)            (n)              (s)
		 *       / \          / \            / \              / \
		 *      L  (s)  -->  L   C          L   R    -->     L   R
		 *           \                         /                /
		 *            c                      (sp)             (sp)
		 *                                    /                /
		 *           (sp = s)               (s)               C
		 *                                     \
		 *                                      c
		 */
		struct rb_node *succ = node->right, *sparent = succ;
		bool succ_black;

		if (succ->left) {
			do {
				sparent = succ;
				succ = succ->left;
			} while (succ->left);
			child = succ->right;
			sparent->left = child;
			succ->right = node->right;
			rb_set_parent(node->right, succ);
		} else {
			child = succ->right;
		}
		succ->left = node->left;
		rb_set_parent(node->left, succ);
		rb_change_child(node, succ, parent, root);
		succ_black = rb_is_black(succ);
		succ->parent_color = node->parent_color;
		if (child)
			rb_set_parent_color(child, sparent, RB_BLACK);
		else if (succ_black)
			rebalance = sparent;
		/*
		 * s now roots node's old subtree minus node: start from
		 * node's value (so that a propagate which stops early when
		 * nothing changes compares against the right thing), fix
		 * the path from sp up to s, which lost s, then s and above.
		 * propagate(sp, s) does nothing when sp is s.
		 */
		if (ops) {
			ops->copy(node, succ);
			ops->propagate(sparent, succ);
			ops->propagate(succ, NULL);
		}
	}
	/* Augmented values are all correct again before any rotation. */
	if (rebalance)
		rb_erase_fixup(rebalance, root, ops);
}

void rb_erase(struct rb_node *node, struct rb_root *root)
{
	rb_erase_common(node, root, NULL);
}

void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_ops *ops)
{
	rb_erase_common(node, root, ops);
}

/*
 * => new_node is not in any tree; victim is in root.
 * => new_node takes victim's links and colour; the caller guarantees it
 *    sorts where victim did, and copies any augmented value itself.
 */
void rb_replace_node(struct rb_node *victim, struct rb_node *new_node,
		     struct rb_root *root)
{
	*new_node = *victim;
	if (victim->left)
		rb_set_parent(victim->left, new_node);
	if (victim->right)
		rb_set_parent(victim->right, new_node);
	rb_change_child(victim, new_node, rb_parent(victim), root);
}

/* ---- iteration ------------------------------------------------------------ */

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->node;

	if (n)
		while (n->left)
			n = n->left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->node;

	if (n)
		while (n->right)
			n = n->right;
	return n;
}

/* In-order successor: leftmost of the right subtree, else the first
 * ancestor that we reach from its left side. */
struct rb_node *rb_next(const struct rb_node *node)
{
	struct rb_node *n, *parent;

	if (node->right) {
		n = node->right;
		while (n->left)
			n = n->left;
		return n;
	}
	while ((parent = rb_parent(node)) && node == parent->right)
		node = parent;
	return parent;
}

/* Mirror image of rb_next. */
struct rb_node *rb_prev(const struct rb_node *node)
{
	struct rb_node *n, *parent;

	if (node->left) {
		n = node->left;
		while (n->right)
			n = n->right;
		return n;
	}
	while ((parent = rb_parent(node)) && node == parent->left)
		node = parent;
	return parent;
}

/* ---- checking ------------------------------------------------------------- */

/*
 * A sound tree of n nodes is at most 2 log2(n + 1) deep, far below this for
 * any n that fits in memory; a deeper walk means a corrupted, cyclic tree.
 */
#define RB_CHECK_MAX_DEPTH 128

static int rb_check_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * => returns the black height of the subtree at n (a NULL leaf counts 1),
 *    or -1 after writing the first problem found into why.
 */
static int rb_check_subtree(const struct rb_node *n,
			    const struct rb_node *parent, int depth,
			    char *why, size_t whylen)
{
	int lh, rh;

	if (!n)
		return 1;
	if (depth > RB_CHECK_MAX_DEPTH)
		return rb_check_fail(why, whylen,
				     "deeper than %d below the root: a cycle?",
				     RB_CHECK_MAX_DEPTH);
	if (rb_parent(n) != parent)
		return rb_check_fail(why, whylen,
				     "node %p: parent link %p, but it hangs below %p",
				     (const void *)n, (const void *)rb_parent(n),
				     (const void *)parent);
	/* Property 1: the colour is bit 0; bit 1 must stay clear. */
	if (n->parent_color & 2)
		return rb_check_fail(why, whylen,
				     "node %p: stray bit 1 in parent_color",
				     (const void *)n);
	if (n->left && n->left == n->right)
		return rb_check_fail(why, whylen,
				     "node %p: both children are %p",
				     (const void *)n, (const void *)n->left);
	if (!rb_is_black(n) && (!rb_is_black(n->left) ||
				!rb_is_black(n->right)))
		return rb_check_fail(why, whylen,
				     "red node %p has a red child (property 3)",
				     (const void *)n);
	lh = rb_check_subtree(n->left, n, depth + 1, why, whylen);
	if (lh < 0)
		return -1;
	rh = rb_check_subtree(n->right, n, depth + 1, why, whylen);
	if (rh < 0)
		return -1;
	if (lh != rh)
		return rb_check_fail(why, whylen,
				     "node %p: black height %d on the left, %d on the right (property 4)",
				     (const void *)n, lh, rh);
	return lh + (rb_is_black(n) ? 1 : 0);
}

bool rb_check_path(const struct rb_root *root, const struct rb_node *node,
		   char *why, size_t whylen)
{
	const struct rb_node *n = node;

	for (int depth = 0; n; depth++) {
		const struct rb_node *p = rb_parent(n);

		if (depth > RB_CHECK_MAX_DEPTH)
			return rb_check_fail(why, whylen, "node %p: parent chain longer than %d",
					     (const void *)node, RB_CHECK_MAX_DEPTH) > 0;
		if (n->parent_color & 2)
			return rb_check_fail(why, whylen, "node %p: stray bit 1 in parent_color",
					     (const void *)n) > 0;
		if (!p) {
			if (root->node != n)
				return rb_check_fail(why, whylen,
						     "node %p: its top ancestor %p is not the root %p",
						     (const void *)node, (const void *)n,
						     (const void *)root->node) > 0;
			if (!rb_is_black(n))
				return rb_check_fail(why, whylen, "root %p is red (property 2)",
						     (const void *)n) > 0;
			return true;
		}
		if (p->left != n && p->right != n)
			return rb_check_fail(why, whylen, "node %p: its parent %p does not hold it",
					     (const void *)n, (const void *)p) > 0;
		if (!rb_is_black(n) && !rb_is_black(p))
			return rb_check_fail(why, whylen,
					     "red node %p has a red parent (property 3)",
					     (const void *)n) > 0;
		n = p;
	}
	return rb_check_fail(why, whylen, "a NULL node") > 0;
}

bool rb_check(const struct rb_root *root, char *why, size_t whylen)
{
	if (root->node && !rb_is_black(root->node)) {
		rb_check_fail(why, whylen, "root %p is red (property 2)",
			      (const void *)root->node);
		return false;
	}
	return rb_check_subtree(root->node, NULL, 0, why, whylen) > 0;
}
