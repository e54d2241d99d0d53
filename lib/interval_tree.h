/*
 * lib/interval_tree.h - closed intervals [start, last] on the augmented
 * red-black tree, keyed by start (equal starts go to the right, so insertion
 * order is kept among equals), each node augmented with the largest `last`
 * in its subtree.  Used for a file's i_mmap tree and for an anon_vma's tree
 * of VMAs, both keyed by page offset.
 *
 * Stabbing/overlap queries visit O(log n + k) nodes for k results.
 */
#ifndef REVMAP_LIB_INTERVAL_TREE_H
#define REVMAP_LIB_INTERVAL_TREE_H

#include "rbtree.h"

struct itree_node {
	struct rb_node rb;        /* tree linkage, keyed by start */
	uint64_t start;           /* first point of the interval */
	uint64_t last;            /* last point (inclusive), >= start */
	uint64_t subtree_last;    /* max of last over this subtree */
};

void itree_insert(struct itree_node *node, struct rb_root *root);
void itree_remove(struct itree_node *node, struct rb_root *root);

/* First / next node overlapping [start, last], in ascending start order. */
struct itree_node *itree_iter_first(const struct rb_root *root,
				    uint64_t start, uint64_t last);
struct itree_node *itree_iter_next(const struct itree_node *node,
				   uint64_t start, uint64_t last);

/* Red-black properties plus every subtree_last and key order. */
bool itree_check(const struct rb_root *root, char *why, size_t whylen);
/* Local checker, O(depth): node hangs in root's tree (rb_check_path), and
 * it and every ancestor carry the right subtree_last and sit in key order
 * with their children. */
bool itree_check_path(const struct rb_root *root, const struct itree_node *node,
		      char *why, size_t whylen);

#endif
