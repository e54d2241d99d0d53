/*
 * lib/rbtree.h - a lean, intrusive, augmentable red-black tree.
 *
 * The node is embedded in the user's structure; the tree never allocates.
 * The caller does the descent (it knows its key) and links the new node at
 * the leaf it found, then asks the tree to rebalance:
 *
 *	struct rb_node **link = &root->node, *parent = NULL;
 *	while (*link) { parent = *link; link = key < KEY(parent) ?
 *			&parent->left : &parent->right; }
 *	rb_link_node(&obj->rb, parent, link);
 *	rb_insert_color(&obj->rb, root);
 *
 * Augmented trees keep, in every node, a value computed from the node and its
 * two subtrees (a maximum end, a largest gap, ...).  The user supplies three
 * callbacks (struct rb_augment_ops) that the rebalancing code calls whenever
 * the shape under a node changes, exactly as Linux's rbtree_augmented.h does.
 *
 * Properties (checked by rb_check()):
 *   1. every node is red or black;  2. the root is black;
 *   3. a red node has no red child;
 *   4. every path from a node down to a NULL leaf has the same number of
 *      black nodes.
 * Hence the height is at most 2 log2(n + 1).
 */
#ifndef REVMAP_LIB_RBTREE_H
#define REVMAP_LIB_RBTREE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define RB_RED   0UL
#define RB_BLACK 1UL

struct rb_node {
	uintptr_t parent_color;   /* parent pointer | colour in bit 0 */
	struct rb_node *left;     /* smaller keys */
	struct rb_node *right;    /* larger (or equal) keys */
};

struct rb_root {
	struct rb_node *node;     /* NULL when the tree is empty */
};

#define RB_ROOT_INIT { NULL }

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif
#define rb_entry(ptr, type, member) container_of(ptr, type, member)
#define rb_entry_safe(ptr, type, member) \
	((ptr) ? rb_entry(ptr, type, member) : NULL)

/* Augmentation callbacks (see Linux's rbtree_augmented.h for the contract). */
struct rb_augment_ops {
	/* recompute node, then its ancestors, stopping at stop (exclusive) */
	void (*propagate)(struct rb_node *node, struct rb_node *stop);
	/* new takes old's place: copy old's augmented value into new */
	void (*copy)(struct rb_node *old, struct rb_node *new_node);
	/* rotation: new becomes old's parent; new gets old's value, old is
	 * recomputed from its (new) children */
	void (*rotate)(struct rb_node *old, struct rb_node *new_node);
};

static inline struct rb_node *rb_parent(const struct rb_node *n)
{
	return (struct rb_node *)(n->parent_color & ~3UL);
}

static inline bool rb_is_black(const struct rb_node *n)
{
	return !n || (n->parent_color & 1UL);
}

static inline bool rb_empty(const struct rb_root *root)
{
	return root->node == NULL;
}

/* Link node as a red leaf below parent at *link (from the caller's descent). */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->parent_color = (uintptr_t)parent;  /* red */
	node->left = node->right = NULL;
	*link = node;
}

void rb_insert_color(struct rb_node *node, struct rb_root *root);
void rb_erase(struct rb_node *node, struct rb_root *root);

/*
 * Augmented variants.  For insert, the caller must already have set the new
 * node's augmented value and updated its ancestors on the way down (or call
 * ops->propagate(parent, NULL) after rb_link_node).
 */
void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_ops *ops);
void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_ops *ops);

/* Replace victim by new_node in place (same key position, same colour). */
void rb_replace_node(struct rb_node *victim, struct rb_node *new_node,
		     struct rb_root *root);

struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/*
 * Whole-tree checker: red-black properties and parent links.  Returns true
 * when the tree is sound; otherwise writes what is wrong into why (if not
 * NULL).  Written to be called inside assert().
 */
bool rb_check(const struct rb_root *root, char *why, size_t whylen);

/*
 * Local checker, O(depth): node hangs in root's tree (its parent chain ends
 * at root->node, each parent has it as a child), no red node on that path
 * has a red parent, and no stray bits.  Cannot see black heights: what it
 * misses, rb_check finds.
 */
bool rb_check_path(const struct rb_root *root, const struct rb_node *node,
		   char *why, size_t whylen);

#endif
