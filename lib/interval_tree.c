/*
 * lib/interval_tree.c - closed intervals [start, last] on the augmented
 * red-black tree.
 *
 * Why: reverse mapping asks "which VMAs cover page offset p (or range
 * [a, b]) of this file / anonymous object?".  Keeping the VMAs sorted by
 * start is not enough, since a long interval that starts early may still
 * reach the query.  So each node also carries subtree_last, the largest
 * last in its subtree; a subtree whose subtree_last is below the query's
 * start can hold no overlap and is skipped whole.  A query visits
 * O(log n + k) nodes for k results.
 *
 * [a, b] and [s, l] overlap iff a <= l and s <= b.  Results come in
 * ascending start order (ties: insertion order, since equal starts are
 * linked to the right).
 */
#include "interval_tree.h"

#include <stdarg.h>
#include <stdio.h>

static inline struct itree_node *itn(const struct rb_node *rb)
{
	return rb_entry(rb, struct itree_node, rb);
}

/* Largest last over n and its subtrees, trusting the children's values. */
static inline uint64_t itree_compute(const struct itree_node *n)
{
	uint64_t max = n->last;

	if (n->rb.left && itn(n->rb.left)->subtree_last > max)
		max = itn(n->rb.left)->subtree_last;
	if (n->rb.right && itn(n->rb.right)->subtree_last > max)
		max = itn(n->rb.right)->subtree_last;
	return max;
}

/* Recompute upward from rb until stop; an unchanged value changes no
 * ancestor either, so stop there too. */
static void itree_propagate(struct rb_node *rb, struct rb_node *stop)
{
	while (rb != stop) {
		struct itree_node *n = itn(rb);
		uint64_t max = itree_compute(n);

		if (n->subtree_last == max)
			break;
		n->subtree_last = max;
		rb = rb_parent(rb);
	}
}

static void itree_copy(struct rb_node *old, struct rb_node *new_node)
{
	itn(new_node)->subtree_last = itn(old)->subtree_last;
}

static void itree_rotate(struct rb_node *old, struct rb_node *new_node)
{
	itn(new_node)->subtree_last = itn(old)->subtree_last;
	itn(old)->subtree_last = itree_compute(itn(old));
}

static const struct rb_augment_ops itree_ops = {
	.propagate = itree_propagate,
	.copy = itree_copy,
	.rotate = itree_rotate,
};

/*
 * => node->start <= node->last, node not in any tree.
 * Every node on the way down gets node in its subtree: raise its
 * subtree_last now, so the tree is consistent before rebalancing.
 */
void itree_insert(struct itree_node *node, struct rb_root *root)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		struct itree_node *p = itn(*link);

		parent = *link;
		if (p->subtree_last < node->last)
			p->subtree_last = node->last;
		link = node->start < p->start ? &parent->left : &parent->right;
	}
	node->subtree_last = node->last;
	rb_link_node(&node->rb, parent, link);
	rb_insert_augmented(&node->rb, root, &itree_ops);
}

void itree_remove(struct itree_node *node, struct rb_root *root)
{
	rb_erase_augmented(&node->rb, root, &itree_ops);
}

/*
 * The first overlap in start order is the leftmost node N whose last
 * reaches start, provided N->start <= last: nodes before N end too early,
 * and nodes after N start no earlier than N does.  Find the leftmost node
 * of the subtree at rb that reaches start, then test its start.
 */
static struct itree_node *itree_subtree_first(struct rb_node *rb,
					      uint64_t start, uint64_t last)
{
	while (rb && itn(rb)->subtree_last >= start) {
		struct itree_node *n = itn(rb);

		if (rb->left && itn(rb->left)->subtree_last >= start) {
			rb = rb->left;		/* N is on the left */
			continue;
		}
		if (n->start > last)
			return NULL;		/* N is n or after it */
		if (n->last >= start)
			return n;		/* N is n */
		rb = rb->right;			/* N is on the right */
	}
	return NULL;
}

struct itree_node *itree_iter_first(const struct rb_root *root,
				    uint64_t start, uint64_t last)
{
	return itree_subtree_first(root->node, start, last);
}

/*
 * The next overlap after node: the same search among the nodes that follow
 * node in order, i.e. node's right subtree, then each ancestor reached from
 * its left side followed by that ancestor's right subtree.
 */
struct itree_node *itree_iter_next(const struct itree_node *node,
				   uint64_t start, uint64_t last)
{
	struct rb_node *rb = (struct rb_node *)&node->rb, *child;

	for (;;) {
		if (rb->right && itn(rb->right)->subtree_last >= start)
			return itree_subtree_first(rb->right, start, last);
		do {
			child = rb;
			rb = rb_parent(rb);
			if (!rb)
				return NULL;
		} while (child == rb->right);
		if (itn(rb)->start > last)
			return NULL;
		if (itn(rb)->last >= start)
			return itn(rb);
	}
}

/* ---- checking ------------------------------------------------------------- */

static bool itree_check_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return false;
}

/*
 * One in-order pass over the subtree at rb.
 * => *max gets the true largest last of the subtree; *prev is the node
 *    before the subtree on entry and its last node on return.
 */
static bool itree_check_subtree(const struct rb_node *rb, uint64_t *max,
				const struct itree_node **prev,
				char *why, size_t whylen)
{
	const struct itree_node *n;
	uint64_t lmax = 0, rmax = 0, m;

	if (!rb)
		return true;
	n = itn(rb);
	if (!itree_check_subtree(rb->left, &lmax, prev, why, whylen))
		return false;
	if (n->last < n->start)
		return itree_check_fail(why, whylen,
			"node %p: last %llu below start %llu",
			(const void *)n, (unsigned long long)n->last,
			(unsigned long long)n->start);
	if (*prev && (*prev)->start > n->start)
		return itree_check_fail(why, whylen,
			"node %p: start %llu after a node starting at %llu",
			(const void *)n, (unsigned long long)n->start,
			(unsigned long long)(*prev)->start);
	*prev = n;
	if (!itree_check_subtree(rb->right, &rmax, prev, why, whylen))
		return false;
	m = n->last;
	if (rb->left && lmax > m)
		m = lmax;
	if (rb->right && rmax > m)
		m = rmax;
	if (n->subtree_last != m)
		return itree_check_fail(why, whylen,
			"node %p [%llu, %llu]: subtree_last %llu, should be %llu",
			(const void *)n, (unsigned long long)n->start,
			(unsigned long long)n->last,
			(unsigned long long)n->subtree_last,
			(unsigned long long)m);
	*max = m;
	return true;
}

bool itree_check_path(const struct rb_root *root, const struct itree_node *node,
		      char *why, size_t whylen)
{
	if (!rb_check_path(root, &node->rb, why, whylen))
		return false;
	for (const struct rb_node *rb = &node->rb; rb; rb = rb_parent(rb)) {
		const struct itree_node *n = itn(rb);

		if (n->last < n->start)
			return itree_check_fail(why, whylen, "node %p: last %llu below start %llu",
						(const void *)n, (unsigned long long)n->last,
						(unsigned long long)n->start);
		if ((rb->left && itn(rb->left)->start > n->start) ||
		    (rb->right && itn(rb->right)->start < n->start))
			return itree_check_fail(why, whylen,
						"node %p [%llu, %llu]: a child is out of key order",
						(const void *)n, (unsigned long long)n->start,
						(unsigned long long)n->last);
		if (n->subtree_last != itree_compute(n))
			return itree_check_fail(why, whylen,
						"node %p [%llu, %llu]: subtree_last %llu, should be %llu",
						(const void *)n, (unsigned long long)n->start,
						(unsigned long long)n->last,
						(unsigned long long)n->subtree_last,
						(unsigned long long)itree_compute(n));
	}
	return true;
}

/* rb_check first: the recursion below then runs on a sound, shallow tree. */
bool itree_check(const struct rb_root *root, char *why, size_t whylen)
{
	const struct itree_node *prev = NULL;
	uint64_t max;

	return rb_check(root, why, whylen) &&
	       itree_check_subtree(root->node, &max, &prev, why, whylen);
}
