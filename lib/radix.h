/*
 * lib/radix.h - a lean radix tree from a 64-bit index to a 32-bit value.
 *
 * Why: a file's page cache maps a page offset (up to 2^64 - 1) to a physical
 * frame number, and must find "the next cached page at or after this offset"
 * quickly (truncate, writeback, readahead walk ranges).  Offsets cluster in
 * dense runs, so a radix tree - a much reduced Linux xarray - costs about
 * four bytes per cached page in a dense run and O(height) per operation.
 *
 * Shape: every node has 64 slots, one 6-bit digit of the index per level.
 * A tree of height h covers indexes [0, 64^h); the bottom level (height 1)
 * holds the values themselves, with a presence bitmap, so that radix_next()
 * skips absent runs with one count-trailing-zeros.  The height grows when a
 * larger index comes in (at most 11 levels: 6 * 11 >= 64 bits) and shrinks
 * when the top node keeps only slot 0.  Empty nodes are freed at once.
 *
 * The tree allocates (unlike lib/rbtree.h), so radix_insert() can fail; a
 * failed call leaves the tree exactly as it was.  Nodes come from an
 * allocation hook (calloc by default) so that a simulator can inject
 * failures, and always go back with free().
 *
 * Not thread-safe: the caller serialises every call on one root (the page
 * cache holds its file's lock).  No global state: two trees never interact.
 */
#ifndef REVMAP_LIB_RADIX_H
#define REVMAP_LIB_RADIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RADIX_NONE	0xffffffffu	/* "no value": lookups miss, never stored */

/* Returns size bytes that free() can release (need not be zeroed), or NULL. */
typedef void *radix_alloc_fn(void *ctx, size_t size);

struct radix_root {
	void *node;		/* top node (a leaf when height == 1); NULL iff empty */
	unsigned height;	/* levels, 0 when empty; covers indexes [0, 64^height) */
	uint64_t count;		/* values stored */
	size_t bytes;		/* heap bytes of all nodes (sum of their sizes), exact */
	radix_alloc_fn *alloc;	/* node allocator; NULL means calloc */
	void *alloc_ctx;	/* first argument passed to alloc */
};

/* => r is an empty tree that allocates with calloc. */
void radix_init(struct radix_root *r);

/*
 * Allocate nodes with alloc(ctx, size) from now on (NULL: back to calloc).
 * Memory it returns is released with free().
 */
void radix_set_alloc(struct radix_root *r, radix_alloc_fn *alloc, void *ctx);

/*
 * Store value at index.
 * => value != RADIX_NONE
 * => returns 0; -EEXIST if index holds a value already; -ENOMEM if a node
 *    allocation failed; -EINVAL if value == RADIX_NONE.  On error the tree
 *    is unchanged.
 */
int radix_insert(struct radix_root *r, uint64_t index, uint32_t value);

/* => returns the value at index, or RADIX_NONE. */
uint32_t radix_lookup(const struct radix_root *r, uint64_t index);

/*
 * Remove the value at index; frees nodes left empty and lowers the height
 * while the top node has only slot 0.  Never allocates, never fails.
 * => returns the value removed, or RADIX_NONE if there was none.
 */
uint32_t radix_delete(struct radix_root *r, uint64_t index);

/* Replace the value at a present index; => old value, or RADIX_NONE (no
 * change) if absent.  Never allocates. */
uint32_t radix_replace(struct radix_root *r, uint64_t index, uint32_t value);

/*
 * => returns true with *index, *value set to the first stored index in
 *    [start, last]; false (outputs untouched) if there is none or
 *    start > last.
 */
bool radix_next(const struct radix_root *r, uint64_t start, uint64_t last,
		uint64_t *index, uint32_t *value);

/* Free every node; r is an empty tree afterwards (its allocator is kept). */
void radix_destroy(struct radix_root *r);

/*
 * Whole-tree checker: height and shape, children counts, no empty node,
 * minimal height, count and bytes as recomputed from the nodes.  Returns
 * true when sound; otherwise writes the first problem into why (if not
 * NULL).  Written to be called inside assert().
 */
bool radix_check(const struct radix_root *r, char *why, size_t len);

#endif
