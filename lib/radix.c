/*
 * lib/radix.c - the radix tree of radix.h: index (64 bits) -> value (32 bits).
 *
 * Why not the red-black tree: a page cache is mostly dense runs of offsets.
 * One intrusive rb_node per cached page costs 24 bytes plus the key and the
 * value; a radix leaf costs 264 bytes per 64 offsets (about 4 bytes a page)
 * and finds a page in at most 11 steps without comparisons.
 *
 * Levels are numbered by height: the leaves are height 1, the top node is
 * height r->height.  A node at height h uses digit
 *
 *	digit(index, h) = (index >> 6 (h - 1)) & 63
 *
 * and covers 64^h consecutive indexes.  At height 11 only digits 0..15
 * exist (bits 60..63), so the top of a full-range tree uses 16 slots.
 *
 *	height 3:            [inner: 64 child pointers, count]
 *	                       /          |
 *	height 2:     [inner ...]     [inner ...]
 *	                /     \            |
 *	height 1:  [leaf]   [leaf]      [leaf]      leaf = present bitmap +
 *	                                            64 uint32 values
 *
 * Invariants (checked by radix_check()):
 *   1. node == NULL iff height == 0 iff count == 0;
 *   2. every node below the top is non-empty: a leaf has a bit set, an inner
 *      node a non-NULL child, and an inner node's count is the number of
 *      its non-NULL slots (the top node obeys this too, by 1);
 *   3. the height is minimal: a top inner node never holds slot 0 alone;
 *   4. a present value is never RADIX_NONE; count is the number of present
 *      bits; bytes is the sum of the sizes of all nodes.
 *
 * Updates never leave a half-done change: radix_insert() allocates every
 * node it needs into a detached chain first and links it in with one store
 * at the end, so a failed allocation frees the chain and returns with the
 * tree untouched.  radix_delete() only frees.
 */
#include "radix.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RADIX_BITS	6			/* index bits per level */
#define RADIX_SLOTS	(1u << RADIX_BITS)	/* slots per node */
#define RADIX_MASK	(RADIX_SLOTS - 1)	/* digit mask */
#define RADIX_MAX_HEIGHT 11			/* ceil(64 / RADIX_BITS) */

/* Height 1: the values, and which of them are present. */
struct radix_leaf {
	uint64_t present;		/* bit d set iff value[d] is stored */
	uint32_t value[RADIX_SLOTS];	/* values; meaningless where bit clear */
};

/* Height >= 2: children one level down. */
struct radix_inner {
	unsigned count;			/* non-NULL slots; > 0 (invariant 2) */
	void *slot[RADIX_SLOTS];	/* children at height - 1, or NULL */
};

static inline unsigned radix_digit(uint64_t index, unsigned h)
{
	return (unsigned)(index >> (RADIX_BITS * (h - 1))) & RADIX_MASK;
}

/* => returns the largest index a tree of height h can hold (h >= 1). */
static inline uint64_t radix_maxindex(unsigned h)
{
	if (h >= RADIX_MAX_HEIGHT)
		return UINT64_MAX;
	return (UINT64_C(1) << (RADIX_BITS * h)) - 1;
}

/* => returns the least height whose tree holds index (at least 1). */
static unsigned radix_height_for(uint64_t index)
{
	unsigned h = 1;

	while (h < RADIX_MAX_HEIGHT && index > radix_maxindex(h))
		h++;
	return h;
}

static inline size_t radix_node_size(unsigned h)
{
	return h == 1 ? sizeof(struct radix_leaf) : sizeof(struct radix_inner);
}

/* => returns a zeroed node for height h, or NULL; bytes not yet counted. */
static void *radix_node_alloc(const struct radix_root *r, unsigned h)
{
	size_t size = radix_node_size(h);
	void *n = r->alloc ? r->alloc(r->alloc_ctx, size) : calloc(1, size);

	if (n && r->alloc)
		memset(n, 0, size);
	return n;
}

void radix_init(struct radix_root *r)
{
	r->node = NULL;
	r->height = 0;
	r->count = 0;
	r->bytes = 0;
	r->alloc = NULL;
	r->alloc_ctx = NULL;
}

void radix_set_alloc(struct radix_root *r, radix_alloc_fn *alloc, void *ctx)
{
	r->alloc = alloc;
	r->alloc_ctx = alloc ? ctx : NULL;
}

/*
 * => value != RADIX_NONE
 * => on success every node allocated is linked and counted in r->bytes;
 *    on failure every node allocated is freed and nothing else was written.
 */
int radix_insert(struct radix_root *r, uint64_t index, uint32_t value)
{
	void *fresh[2 * RADIX_MAX_HEIGHT];	/* nodes allocated by this call */
	unsigned nfresh = 0;
	size_t added = 0;
	unsigned height = radix_height_for(index);
	struct radix_inner *parent = NULL;	/* where the new chain hangs */
	unsigned poff = 0;			/* ... and in which slot */
	void *top = r->node, *chain = NULL, *n;
	struct radix_leaf *leaf;
	unsigned h, d;
	int err = -ENOMEM;

	if (value == RADIX_NONE)
		return -EINVAL;
	if (height < r->height)
		height = r->height;

	/*
	 * Grow: new top nodes, each holding the old tree in slot 0.  They stay
	 * private to this call until the commit below.  An empty tree does not
	 * grow: its whole path is built as the chain.
	 */
	if (top) {
		for (h = r->height + 1; h <= height; h++) {
			struct radix_inner *g = radix_node_alloc(r, h);

			if (!g)
				goto fail;
			fresh[nfresh++] = g;
			added += sizeof(*g);
			g->slot[0] = top;
			g->count = 1;
			top = g;
		}
	}

	/* Descend while the path exists. */
	n = top;
	for (h = height; n && h > 1; h--) {
		parent = n;
		poff = radix_digit(index, h);
		n = parent->slot[poff];
	}

	if (n) {
		leaf = n;
		if (leaf->present & (UINT64_C(1) << radix_digit(index, 1))) {
			err = -EEXIST;
			goto fail;
		}
	} else {
		/* Build the missing levels h..1 as a detached chain. */
		void *prev = NULL;
		unsigned l;

		for (l = h; l >= 1; l--) {
			void *c = radix_node_alloc(r, l);

			if (!c)
				goto fail;
			fresh[nfresh++] = c;
			added += radix_node_size(l);
			if (prev) {
				struct radix_inner *pi = prev;

				pi->slot[radix_digit(index, l + 1)] = c;
				pi->count = 1;
			} else {
				chain = c;
			}
			prev = c;
		}
		leaf = prev;
	}

	/* Commit: nothing below can fail. */
	if (chain) {
		if (parent) {
			parent->slot[poff] = chain;
			parent->count++;
		} else {
			top = chain;
		}
	}
	d = radix_digit(index, 1);
	leaf->value[d] = value;
	leaf->present |= UINT64_C(1) << d;
	r->node = top;
	r->height = height;
	r->count++;
	r->bytes += added;
	return 0;

fail:
	while (nfresh)
		free(fresh[--nfresh]);
	return err;
}

/* the leaf holding index, if index is present; NULL otherwise */
static struct radix_leaf *radix_find(const struct radix_root *r, uint64_t index)
{
	void *n = r->node;
	struct radix_leaf *leaf;

	if (!n || index > radix_maxindex(r->height))
		return NULL;
	for (unsigned h = r->height; h > 1; h--) {
		n = ((struct radix_inner *)n)->slot[radix_digit(index, h)];
		if (!n)
			return NULL;
	}
	leaf = n;
	return (leaf->present & (UINT64_C(1) << radix_digit(index, 1))) ? leaf : NULL;
}

uint32_t radix_lookup(const struct radix_root *r, uint64_t index)
{
	const struct radix_leaf *leaf = radix_find(r, index);

	return leaf ? leaf->value[radix_digit(index, 1)] : RADIX_NONE;
}

/* => the old value, now replaced by value; RADIX_NONE (and no change) if
 *    index is absent.  Never allocates, so it cannot fail. */
uint32_t radix_replace(struct radix_root *r, uint64_t index, uint32_t value)
{
	struct radix_leaf *leaf = radix_find(r, index);
	uint32_t old;

	if (!leaf || value == RADIX_NONE)
		return RADIX_NONE;
	old = leaf->value[radix_digit(index, 1)];
	leaf->value[radix_digit(index, 1)] = value;
	return old;
}

/*
 * => frees every node the removal leaves empty, bottom up, then drops top
 *    nodes while only their slot 0 is used.
 */
uint32_t radix_delete(struct radix_root *r, uint64_t index)
{
	struct radix_inner *path[RADIX_MAX_HEIGHT + 1];	/* path[h]: node at h */
	void *n = r->node;
	struct radix_leaf *leaf;
	uint32_t old;
	unsigned h, d;

	if (!n || index > radix_maxindex(r->height))
		return RADIX_NONE;
	for (h = r->height; h > 1; h--) {
		path[h] = n;
		n = path[h]->slot[radix_digit(index, h)];
		if (!n)
			return RADIX_NONE;
	}
	leaf = n;
	d = radix_digit(index, 1);
	if (!(leaf->present & (UINT64_C(1) << d)))
		return RADIX_NONE;
	old = leaf->value[d];
	leaf->present &= ~(UINT64_C(1) << d);
	r->count--;

	if (!leaf->present) {
		free(leaf);
		r->bytes -= sizeof(*leaf);
		for (h = 2; h <= r->height; h++) {
			path[h]->slot[radix_digit(index, h)] = NULL;
			if (--path[h]->count)
				break;
			free(path[h]);
			r->bytes -= sizeof(*path[h]);
		}
		if (h > r->height) {		/* the top went too */
			r->node = NULL;
			r->height = 0;
			return old;
		}
	}

	/* Shrink: a top node holding only slot 0 is a redundant level. */
	while (r->height > 1) {
		struct radix_inner *t = r->node;

		if (t->count != 1 || !t->slot[0])
			break;
		r->node = t->slot[0];
		r->height--;
		free(t);
		r->bytes -= sizeof(*t);
	}
	return old;
}

/*
 * Descend towards idx; in each node take the first child at or after idx's
 * digit (moving idx to that child's first index when it is after).  When a
 * node has nothing at or after idx, move idx to the first index after that
 * node and climb to the lowest ancestor whose range still contains idx.
 */
bool radix_next(const struct radix_root *r, uint64_t start, uint64_t last,
		uint64_t *index, uint32_t *value)
{
	const void *stack[RADIX_MAX_HEIGHT + 1];	/* stack[h]: node at h */
	const void *n = r->node;
	uint64_t idx = start;
	unsigned h = r->height;

	if (!n || start > last || start > radix_maxindex(h))
		return false;
	if (last > radix_maxindex(h))
		last = radix_maxindex(h);

	for (;;) {
		unsigned shift = RADIX_BITS * (h - 1);
		unsigned off = radix_digit(idx, h);
		uint64_t span;

		if (h == 1) {
			const struct radix_leaf *leaf = n;
			uint64_t bits = leaf->present & (~UINT64_C(0) << off);

			if (bits) {
				unsigned j = (unsigned)__builtin_ctzll(bits);

				idx = (idx & ~(uint64_t)RADIX_MASK) | j;
				if (idx > last)
					return false;
				*index = idx;
				*value = leaf->value[j];
				return true;
			}
		} else {
			const struct radix_inner *in = n;
			unsigned j;

			for (j = off; j < RADIX_SLOTS && !in->slot[j]; j++)
				;
			if (j < RADIX_SLOTS) {
				if (j != off) {
					/* the child's first index: digits below zero */
					uint64_t low = (UINT64_C(1) << shift) - 1;

					idx = ((idx & ~low) & ~((uint64_t)RADIX_MASK << shift)) |
					      ((uint64_t)j << shift);
					if (idx > last)
						return false;
				}
				stack[h] = n;
				n = in->slot[j];
				h--;
				continue;
			}
		}

		/* Nothing at or after idx below n: skip past n's range. */
		if (h == r->height)
			return false;
		span = (UINT64_C(1) << (RADIX_BITS * h)) - 1;	/* h <= 10 here */
		if ((idx | span) >= last)
			return false;
		idx = (idx | span) + 1;
		/* idx left every ancestor whose range it now starts exactly */
		do
			h++;
		while (h < r->height &&
		       (idx & ((UINT64_C(1) << (RADIX_BITS * h)) - 1)) == 0);
		n = stack[h];
	}
}

static void radix_free_node(void *n, unsigned h)
{
	if (h > 1) {
		struct radix_inner *in = n;

		for (unsigned j = 0; j < RADIX_SLOTS; j++)
			if (in->slot[j])
				radix_free_node(in->slot[j], h - 1);
	}
	free(n);
}

void radix_destroy(struct radix_root *r)
{
	if (r->node)
		radix_free_node(r->node, r->height);
	r->node = NULL;
	r->height = 0;
	r->count = 0;
	r->bytes = 0;
}

/* ---- checker -------------------------------------------------------------- */

static bool radix_check_fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Totals gathered by the walk. */
struct radix_tally {
	uint64_t values;	/* present bits seen */
	size_t bytes;		/* sizes of the nodes seen */
};

/*
 * => n is the node at height h whose first index is base.
 * => returns false after writing the first problem into why.
 */
static bool radix_check_node(const void *n, unsigned h, uint64_t base,
			     struct radix_tally *t, char *why, size_t len)
{
	t->bytes += radix_node_size(h);
	if (h == 1) {
		const struct radix_leaf *leaf = n;
		uint64_t bits = leaf->present;

		if (!bits)
			return radix_check_fail(why, len,
						"leaf at index %#llx is empty",
						(unsigned long long)base);
		t->values += (uint64_t)__builtin_popcountll(bits);
		for (; bits; bits &= bits - 1) {
			unsigned j = (unsigned)__builtin_ctzll(bits);

			if (leaf->value[j] == RADIX_NONE)
				return radix_check_fail(why, len,
							"index %#llx holds RADIX_NONE",
							(unsigned long long)(base + j));
		}
		return true;
	}

	const struct radix_inner *in = n;
	unsigned shift = RADIX_BITS * (h - 1);
	unsigned seen = 0, j;

	for (j = 0; j < RADIX_SLOTS; j++) {
		if (!in->slot[j])
			continue;
		/* At height 11 only digits 0..15 are indexes (bits 60..63). */
		if (shift + RADIX_BITS > 64 && j >= (1u << (64 - shift)))
			return radix_check_fail(why, len,
						"top node: slot %u is beyond 2^64", j);
		seen++;
		if (!radix_check_node(in->slot[j], h - 1,
				      base + ((uint64_t)j << shift), t, why, len))
			return false;
	}
	if (seen != in->count)
		return radix_check_fail(why, len,
					"inner node at index %#llx height %u: count %u, %u children",
					(unsigned long long)base, h, in->count, seen);
	if (!seen)
		return radix_check_fail(why, len,
					"inner node at index %#llx height %u is empty",
					(unsigned long long)base, h);
	return true;
}

bool radix_check(const struct radix_root *r, char *why, size_t len)
{
	struct radix_tally t = { 0, 0 };

	if (r->height > RADIX_MAX_HEIGHT)
		return radix_check_fail(why, len, "height %u > %u",
					r->height, RADIX_MAX_HEIGHT);
	if (!r->node || !r->height) {
		if (r->node || r->height || r->count || r->bytes)
			return radix_check_fail(why, len,
						"empty tree: node %p, height %u, count %llu, bytes %zu",
						r->node, r->height,
						(unsigned long long)r->count, r->bytes);
		return true;
	}
	if (r->height > 1) {
		const struct radix_inner *top = r->node;

		if (top->count == 1 && top->slot[0])
			return radix_check_fail(why, len,
						"height %u not minimal: top holds slot 0 alone",
						r->height);
	}
	if (!radix_check_node(r->node, r->height, 0, &t, why, len))
		return false;
	if (t.values != r->count)
		return radix_check_fail(why, len, "count %llu, but %llu values stored",
					(unsigned long long)r->count,
					(unsigned long long)t.values);
	if (t.bytes != r->bytes)
		return radix_check_fail(why, len, "bytes %zu, but nodes take %zu",
					r->bytes, t.bytes);
	return true;
}
