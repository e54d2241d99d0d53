/*
 * tests/t_radix.c - lib/radix.c against a sorted-array reference.  TAP output.
 *
 * Randomized tests take their seed from argv[1] or $SEED (default 1) and
 * print it with any failure; rerun with the same seed to reproduce.
 *
 * The random tests draw indexes from a pool (dense: 0..5000; sparse: edge
 * values such as 0, 63, 64, 2^60, UINT64_MAX, powers of 64 either side,
 * log-uniform random values and small clusters around them) and alternate
 * fill and drain phases so that the tree grows, shrinks and empties
 * repeatedly.  After every step: radix_check() and the count against the
 * reference; every CMP_EVERY steps and at each phase end, the whole content
 * through radix_next() against the reference.  Allocations go through a
 * hook that hands out dirty (0xa5-filled) memory, to prove the tree zeroes
 * its nodes, and that can fail the Nth allocation.
 */
#include "../lib/radix.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEPS		100000	/* random operations per randomized test */
#define DENSE_KEYS	5001	/* dense pool: indexes 0..5000 */
#define SPARSE_KEYS	128	/* sparse pool size */
#define CMP_EVERY	1000	/* full content comparison period, in steps */
#define WHYLEN		512	/* room for a failure message */

struct ctx {
	uint64_t seed;		/* the run's seed, as given */
	uint64_t rng;		/* this test's generator state */
	char why[WHYLEN];	/* what went wrong, for the TAP diagnostic */
};

/* splitmix64 */
static uint64_t rnd(struct ctx *c)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(struct ctx *c, unsigned n)
{
	return (unsigned)(rnd(c) % n);
}

/* A value that may be stored: anything but RADIX_NONE. */
static uint32_t rnd_value(struct ctx *c)
{
	uint32_t v = (uint32_t)rnd(c);

	return v == RADIX_NONE ? 0 : v;
}

/* Write a message into why; returns false so that callers can return it. */
static bool say(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHYLEN, fmt, ap);
	va_end(ap);
	return false;
}

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	return p;
}

/* ---- allocation hook: dirty memory, counted, Nth call fails ---------------- */

struct hook {
	long fail_at;		/* call number (from 0) that returns NULL; -1 never */
	unsigned long calls;	/* calls so far */
	size_t last_size;	/* size asked by the latest call */
	size_t asked;		/* sum of sizes handed out */
};

static void *hook_alloc(void *ctx, size_t size)
{
	struct hook *h = ctx;
	unsigned long call = h->calls++;
	void *p;

	h->last_size = size;
	if (h->fail_at >= 0 && call == (unsigned long)h->fail_at)
		return NULL;
	p = xmalloc(size);
	memset(p, 0xa5, size);
	h->asked += size;
	return p;
}

static void hook_init(struct hook *h)
{
	memset(h, 0, sizeof(*h));
	h->fail_at = -1;
}

/* ---- reference: sorted array of (index, value) ----------------------------- */

struct ref {
	uint64_t *key;		/* ascending indexes */
	uint32_t *val;		/* val[i] belongs to key[i] */
	size_t n;		/* entries */
	size_t cap;		/* room in key[] and val[] */
};

static void ref_init(struct ref *f, size_t cap)
{
	f->key = xmalloc(cap * sizeof(*f->key));
	f->val = xmalloc(cap * sizeof(*f->val));
	f->n = 0;
	f->cap = cap;
}

static void ref_fini(struct ref *f)
{
	free(f->key);
	free(f->val);
}

/* => returns the position of the first key >= index. */
static size_t ref_lower(const struct ref *f, uint64_t index)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->key[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t ref_lookup(const struct ref *f, uint64_t index)
{
	size_t i = ref_lower(f, index);

	return i < f->n && f->key[i] == index ? f->val[i] : RADIX_NONE;
}

/* => returns 0 or -EEXIST, as radix_insert should. */
static int ref_insert(struct ref *f, uint64_t index, uint32_t value)
{
	size_t i = ref_lower(f, index);

	if (i < f->n && f->key[i] == index)
		return -EEXIST;
	if (f->n == f->cap) {
		printf("Bail out! reference full\n");
		exit(2);
	}
	memmove(f->key + i + 1, f->key + i, (f->n - i) * sizeof(*f->key));
	memmove(f->val + i + 1, f->val + i, (f->n - i) * sizeof(*f->val));
	f->key[i] = index;
	f->val[i] = value;
	f->n++;
	return 0;
}

static uint32_t ref_delete(struct ref *f, uint64_t index)
{
	size_t i = ref_lower(f, index);
	uint32_t old;

	if (i == f->n || f->key[i] != index)
		return RADIX_NONE;
	old = f->val[i];
	memmove(f->key + i, f->key + i + 1, (f->n - i - 1) * sizeof(*f->key));
	memmove(f->val + i, f->val + i + 1, (f->n - i - 1) * sizeof(*f->val));
	f->n--;
	return old;
}

/* ---- comparisons ----------------------------------------------------------- */

static bool check_tree(const struct radix_root *r, const struct ref *f,
		       const char *when, char *why)
{
	char cwhy[WHYLEN - 64];

	if (!radix_check(r, cwhy, sizeof(cwhy)))
		return say(why, "%s: radix_check: %s", when, cwhy);
	if (r->count != f->n)
		return say(why, "%s: count %" PRIu64 ", reference %zu",
			   when, r->count, f->n);
	return true;
}

/* Whole content, in order, through radix_next from 0 to UINT64_MAX. */
static bool compare_all(const struct radix_root *r, const struct ref *f,
			const char *when, char *why)
{
	uint64_t start = 0, idx;
	uint32_t val;
	size_t i = 0;

	while (radix_next(r, start, UINT64_MAX, &idx, &val)) {
		if (i == f->n)
			return say(why, "%s: radix_next found %#" PRIx64
				   " past the reference's last entry", when, idx);
		if (idx != f->key[i] || val != f->val[i])
			return say(why, "%s: entry %zu is %#" PRIx64 "=%" PRIu32
				   ", reference %#" PRIx64 "=%" PRIu32,
				   when, i, idx, val, f->key[i], f->val[i]);
		i++;
		if (idx == UINT64_MAX)
			break;
		start = idx + 1;
	}
	if (i != f->n)
		return say(why, "%s: radix_next found %zu entries, reference %zu",
			   when, i, f->n);
	return check_tree(r, f, when, why);
}

/* radix_next over [start, last] against the reference. */
static bool compare_next(const struct radix_root *r, const struct ref *f,
			 uint64_t start, uint64_t last, char *why)
{
	size_t i = ref_lower(f, start);
	bool want = start <= last && i < f->n && f->key[i] <= last;
	uint64_t idx = 0x5a5a;
	uint32_t val = 0x5a5a;
	bool got = radix_next(r, start, last, &idx, &val);

	if (got != want)
		return say(why, "radix_next(%#" PRIx64 ", %#" PRIx64 ") %s, reference %s",
			   start, last, got ? "found" : "found nothing",
			   want ? "finds one" : "finds none");
	if (!got && (idx != 0x5a5a || val != 0x5a5a))
		return say(why, "radix_next(%#" PRIx64 ", %#" PRIx64
			   ") wrote its outputs yet returned false", start, last);
	if (got && (idx != f->key[i] || val != f->val[i]))
		return say(why, "radix_next(%#" PRIx64 ", %#" PRIx64 ") gave %#"
			   PRIx64 "=%" PRIu32 ", reference %#" PRIx64 "=%" PRIu32,
			   start, last, idx, val, f->key[i], f->val[i]);
	return true;
}

/* The root's fields all equal (no memcmp: the struct has padding). */
static bool root_same(const struct radix_root *a, const struct radix_root *b)
{
	return a->node == b->node && a->height == b->height &&
	       a->count == b->count && a->bytes == b->bytes &&
	       a->alloc == b->alloc && a->alloc_ctx == b->alloc_ctx;
}

/* ---- pools of indexes -------------------------------------------------------- */

struct pool {
	uint64_t *key;		/* candidate indexes, distinct */
	size_t n;		/* how many */
	bool wide;		/* strays anywhere in 64 bits, else below 2 n */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort and drop duplicates. */
static void pool_unique(struct pool *p)
{
	size_t i, j = 0;

	qsort(p->key, p->n, sizeof(*p->key), cmp_u64);
	for (i = 0; i < p->n; i++)
		if (!j || p->key[j - 1] != p->key[i])
			p->key[j++] = p->key[i];
	p->n = j;
}

static void pool_dense(struct pool *p)
{
	p->key = xmalloc(DENSE_KEYS * sizeof(*p->key));
	for (p->n = 0; p->n < DENSE_KEYS; p->n++)
		p->key[p->n] = p->n;
	p->wide = false;
}

/* A log-uniform random index: every magnitude 2^0..2^64 about as likely. */
static uint64_t rnd_magnitude(struct ctx *c)
{
	uint64_t v = rnd(c);

	return v >> below(c, 64);
}

static void pool_sparse(struct ctx *c, struct pool *p)
{
	static const uint64_t edge[] = {
		0, 1, 62, 63, 64, 65, 4095, 4096, 262143, 262144,
		(UINT64_C(1) << 60) - 1, UINT64_C(1) << 60,
		(UINT64_C(1) << 63) - 1, UINT64_C(1) << 63,
		UINT64_MAX - 64, UINT64_MAX - 63, UINT64_MAX - 1, UINT64_MAX,
	};
	const size_t nedge = sizeof(edge) / sizeof(edge[0]);

	p->key = xmalloc(SPARSE_KEYS * sizeof(*p->key));
	memcpy(p->key, edge, sizeof(edge));
	p->n = nedge;
	while (p->n < SPARSE_KEYS) {
		uint64_t base = rnd_magnitude(c);

		if (below(c, 3)) {
			p->key[p->n++] = base;
		} else {
			/* a small cluster: shares leaves and inner nodes */
			unsigned k = 2 + below(c, 6);

			while (k-- && p->n < SPARSE_KEYS)
				p->key[p->n++] = base + below(c, 200);
		}
	}
	pool_unique(p);
	p->wide = true;
}

/* ---- random operations ------------------------------------------------------- */

/*
 * An index near the pool: one time in odds a stray (anywhere, or below
 * twice the pool size if the pool is narrow), else a pool key or, one
 * time in four, one either side of it.  Inserts take few strays: most
 * are never deleted again and would swell the tree (and every check).
 */
static uint64_t pick_near(struct ctx *c, const struct pool *p, unsigned odds)
{
	uint64_t k;

	if (!below(c, odds))
		return p->wide ? rnd_magnitude(c) : below(c, 2 * (unsigned)p->n);
	k = p->key[below(c, (unsigned)p->n)];
	switch (below(c, 8)) {
	case 0:
		return k - 1;		/* wraps at 0: UINT64_MAX, also fine */
	case 1:
		return k + 1;
	default:
		return k;
	}
}

/*
 * Remove everything in [lo, hi] as truncate would: find with radix_next,
 * delete, continue after it.  Checks every deletion against the reference.
 */
static bool truncate_range(struct radix_root *r, struct ref *f,
			   uint64_t lo, uint64_t hi, char *why)
{
	uint64_t idx;
	uint32_t val;

	while (radix_next(r, lo, hi, &idx, &val)) {
		size_t i = ref_lower(f, lo);
		uint32_t old;

		if (i == f->n || f->key[i] != idx || f->val[i] != val)
			return say(why, "truncate [%#" PRIx64 ", %#" PRIx64
				   "]: radix_next gave %#" PRIx64 ", not the reference's",
				   lo, hi, idx);
		old = radix_delete(r, idx);
		if (old != val || ref_delete(f, idx) != val)
			return say(why, "truncate: delete %#" PRIx64 " returned %" PRIu32
				   ", expected %" PRIu32, idx, old, val);
		if (idx == hi)
			break;
		lo = idx + 1;
	}
	return compare_next(r, f, lo, hi, why);
}

/*
 * STEPS random operations on indexes near the pool.  Phases alternate
 * between filling (mostly inserts) and draining (mostly deletes); a rare
 * truncate empties a whole range.  At the end everything is deleted in
 * random order and the tree must hold no memory.
 */
static bool random_run(struct ctx *c, const struct pool *p, const char *name)
{
	struct radix_root r;
	struct hook hk;
	struct ref f;
	bool fill = true, ok = true;
	unsigned long phase_end = 0;
	unsigned long empties = 0, maxheight = 0, step;
	char when[64];

	radix_init(&r);
	hook_init(&hk);
	radix_set_alloc(&r, hook_alloc, &hk);
	ref_init(&f, 3 * p->n + STEPS + 16);	/* pool, neighbours, strays */

	for (step = 0; step < STEPS; step++) {
		unsigned op = below(c, 100);
		bool ins = op >= 1 && op < (fill ? 50u : 20u);
		uint64_t k = pick_near(c, p, ins ? 64 : 8);

		snprintf(when, sizeof(when), "%s step %lu", name, step);
		if (step == phase_end) {
			if (!compare_all(&r, &f, when, c->why))
				goto fail;
			fill = !fill;
			phase_end = step + 500 + below(c, 2500);
		}
		if (op < 1) {
			uint64_t lo = pick_near(c, p, 8);
			uint64_t hi = below(c, 4) ? lo + below(c, 1u << below(c, 14)) :
				      UINT64_MAX;

			if (hi < lo)
				hi = UINT64_MAX;
			if (!truncate_range(&r, &f, lo, hi, c->why))
				goto fail;
		} else if (ins) {
			uint32_t v = rnd_value(c);
			int want = ref_insert(&f, k, v);
			int got = radix_insert(&r, k, v);

			if (got != want) {
				say(c->why, "%s: insert %#" PRIx64 " returned %d, want %d",
				    when, k, got, want);
				goto fail;
			}
		} else if (op < 70) {
			uint32_t want = ref_delete(&f, k);
			uint32_t got = radix_delete(&r, k);

			if (got != want) {
				say(c->why, "%s: delete %#" PRIx64 " returned %#" PRIx32
				    ", want %#" PRIx32, when, k, got, want);
				goto fail;
			}
		} else if (op < 85) {
			uint32_t want = ref_lookup(&f, k);
			uint32_t got = radix_lookup(&r, k);

			if (got != want) {
				say(c->why, "%s: lookup %#" PRIx64 " gave %#" PRIx32
				    ", want %#" PRIx32, when, k, got, want);
				goto fail;
			}
		} else {
			uint64_t last;

			switch (below(c, 4)) {
			case 0:
				last = UINT64_MAX;
				break;
			case 1:
				last = pick_near(c, p, 8);	/* maybe below k */
				break;
			default:
				last = k + below(c, 1u << below(c, 16));
				if (last < k)
					last = UINT64_MAX;
			}
			if (!compare_next(&r, &f, k, last, c->why))
				goto fail;
		}
		if (!check_tree(&r, &f, when, c->why))
			goto fail;
		if (!r.count)
			empties++;
		if (r.height > maxheight)
			maxheight = r.height;
		if (step % CMP_EVERY == 0 && !compare_all(&r, &f, when, c->why))
			goto fail;
	}

	snprintf(when, sizeof(when), "%s end", name);
	if (!compare_all(&r, &f, when, c->why))
		goto fail;
	printf("# %s: %" PRIu64 " entries, height %u, %zu bytes at the end;"
	       " max height %lu, empty %lu times\n",
	       name, r.count, r.height, r.bytes, maxheight, empties);

	/* Delete everything, in random order. */
	snprintf(when, sizeof(when), "%s delete all", name);
	while (f.n) {
		size_t i = below(c, (unsigned)f.n);
		uint64_t k = f.key[i];
		uint32_t v = f.val[i];

		if (radix_delete(&r, k) != v || ref_delete(&f, k) != v) {
			say(c->why, "%s: delete %#" PRIx64 " lost its value", when, k);
			goto fail;
		}
		if (!check_tree(&r, &f, when, c->why))
			goto fail;
	}
	if (r.node || r.height || r.count || r.bytes) {
		say(c->why, "%s: empty tree keeps node %p height %u count %" PRIu64
		    " bytes %zu", when, r.node, r.height, r.count, r.bytes);
		goto fail;
	}
	goto out;
fail:
	ok = false;
out:
	radix_destroy(&r);
	ref_fini(&f);
	return ok;
}

/* ---- tests ----------------------------------------------------------------------- */

#define EXPECT(cond, ...) do { if (!(cond)) { say(c->why, __VA_ARGS__); goto fail; } } while (0)

/*
 * By hand, with the allocation hook telling node sizes:
 *
 *	insert 0           height 1: [leaf 0..63]
 *	insert 64          height 2: [inner] -> [leaf 0..63] [leaf 64..127]
 *	insert UINT64_MAX  height 11: 9 new tops, then 10 nodes down to
 *	                   the leaf of UINT64_MAX; top uses slots 0 and 15
 *	delete them back in reverse: the height and bytes retrace their steps.
 */
static bool test_by_hand(struct ctx *c)
{
	struct radix_root r;
	struct hook hk;
	size_t leaf, inner;
	uint64_t idx;
	uint32_t val;
	unsigned long calls;
	bool ok = true;
	char w[WHYLEN];

	radix_init(&r);
	hook_init(&hk);
	radix_set_alloc(&r, hook_alloc, &hk);
	EXPECT(radix_check(&r, w, sizeof(w)), "empty: %s", w);
	EXPECT(radix_lookup(&r, 0) == RADIX_NONE, "empty: lookup 0 found");
	EXPECT(radix_lookup(&r, UINT64_MAX) == RADIX_NONE, "empty: lookup max found");
	EXPECT(!radix_next(&r, 0, UINT64_MAX, &idx, &val), "empty: next found");
	EXPECT(radix_delete(&r, 0) == RADIX_NONE, "empty: delete found");
	EXPECT(radix_insert(&r, 5, RADIX_NONE) == -EINVAL, "RADIX_NONE accepted");
	EXPECT(!r.node && !r.bytes && !hk.calls, "-EINVAL allocated");

	EXPECT(radix_insert(&r, 0, 0) == 0, "insert 0");
	leaf = hk.last_size;
	EXPECT(r.height == 1 && r.count == 1 && r.bytes == leaf && hk.calls == 1,
	       "after insert 0: height %u count %" PRIu64 " bytes %zu calls %lu",
	       r.height, r.count, r.bytes, hk.calls);
	EXPECT(leaf <= 8 + 64 * 4 + 16, "a leaf takes %zu bytes", leaf);
	EXPECT(radix_lookup(&r, 0) == 0, "value 0 not stored");
	EXPECT(radix_insert(&r, 63, 630) == 0 && hk.calls == 1, "63 needed a node");
	EXPECT(radix_insert(&r, 64, 640) == 0, "insert 64");
	EXPECT(hk.calls == 3 && r.height == 2, "insert 64: calls %lu height %u",
	       hk.calls, r.height);
	inner = r.bytes - 2 * leaf;
	EXPECT(inner >= 64 * sizeof(void *) && inner <= 64 * sizeof(void *) + 16,
	       "an inner node takes %zu bytes", inner);
	EXPECT(radix_check(&r, w, sizeof(w)), "height 2: %s", w);
	/* replace: in place, no allocation, absent indexes untouched */
	EXPECT(radix_replace(&r, 64, 641) == 640 && radix_lookup(&r, 64) == 641 &&
	       hk.calls == 3, "replace 64");
	EXPECT(radix_replace(&r, 65, 1) == RADIX_NONE && radix_lookup(&r, 65) == RADIX_NONE,
	       "replace of an absent index stored something");
	EXPECT(radix_replace(&r, 64, RADIX_NONE) == RADIX_NONE && radix_lookup(&r, 64) == 641,
	       "replace with RADIX_NONE changed the value");
	EXPECT(radix_replace(&r, 64, 640) == 641, "replace back");
	EXPECT(radix_check(&r, w, sizeof(w)) && r.count == 3, "after replace: %s", w);

	calls = hk.calls;
	EXPECT(radix_insert(&r, UINT64_MAX, 99) == 0, "insert UINT64_MAX");
	EXPECT(r.height == 11 && hk.calls - calls == 19 &&
	       r.bytes == 3 * leaf + 19 * inner,
	       "insert UINT64_MAX: height %u, %lu allocations, bytes %zu",
	       r.height, hk.calls - calls, r.bytes);
	EXPECT(radix_check(&r, w, sizeof(w)), "height 11: %s", w);
	EXPECT(radix_lookup(&r, UINT64_MAX) == 99, "lookup UINT64_MAX");
	EXPECT(radix_lookup(&r, UINT64_MAX - 1) == RADIX_NONE, "lookup UINT64_MAX-1");
	EXPECT(radix_lookup(&r, 64) == 640, "lookup 64 at height 11");
	EXPECT(radix_insert(&r, UINT64_MAX, 1) == -EEXIST, "UINT64_MAX twice");
	EXPECT(radix_insert(&r, 0, 1) == -EEXIST && radix_lookup(&r, 0) == 0,
	       "0 twice");

	EXPECT(radix_next(&r, 0, UINT64_MAX, &idx, &val) && idx == 0 && val == 0,
	       "next from 0");
	EXPECT(radix_next(&r, 1, UINT64_MAX, &idx, &val) && idx == 63, "next from 1");
	EXPECT(radix_next(&r, 65, UINT64_MAX, &idx, &val) && idx == UINT64_MAX &&
	       val == 99, "next from 65");
	EXPECT(radix_next(&r, UINT64_MAX, UINT64_MAX, &idx, &val) &&
	       idx == UINT64_MAX, "next at UINT64_MAX");
	EXPECT(!radix_next(&r, 65, UINT64_MAX - 1, &idx, &val), "next to max-1");
	EXPECT(!radix_next(&r, 64, 63, &idx, &val), "next with start > last");
	EXPECT(radix_next(&r, 64, 64, &idx, &val) && idx == 64, "next [64, 64]");

	EXPECT(radix_delete(&r, UINT64_MAX) == 99, "delete UINT64_MAX");
	EXPECT(r.height == 2 && r.bytes == 2 * leaf + inner,
	       "after delete UINT64_MAX: height %u bytes %zu", r.height, r.bytes);
	EXPECT(radix_delete(&r, 64) == 640 && r.height == 1 && r.bytes == leaf,
	       "after delete 64: height %u bytes %zu", r.height, r.bytes);
	EXPECT(radix_delete(&r, 64) == RADIX_NONE, "64 deleted twice");
	EXPECT(radix_delete(&r, 1) == RADIX_NONE, "1 was never there");
	EXPECT(radix_delete(&r, 63) == 630 && radix_delete(&r, 0) == 0,
	       "delete 63, 0");
	EXPECT(!r.node && !r.height && !r.count && !r.bytes, "not empty at the end");

	/* A lone high index, then a low one: deleting the high one drops 2 levels. */
	EXPECT(radix_insert(&r, 4096, 1) == 0 && r.height == 3 &&
	       r.bytes == leaf + 2 * inner, "4096 alone: height %u", r.height);
	EXPECT(radix_insert(&r, 1, 2) == 0 && r.bytes == 2 * leaf + 3 * inner,
	       "4096 and 1: bytes %zu", r.bytes);
	EXPECT(radix_delete(&r, 4096) == 1 && r.height == 1 && r.bytes == leaf,
	       "delete 4096: height %u bytes %zu", r.height, r.bytes);
	radix_destroy(&r);
	EXPECT(!r.node && !r.height && !r.count && !r.bytes, "destroy left state");

	/* Dense: 4096 pages = 64 full leaves under one inner node. */
	for (uint64_t i = 0; i < 4096; i++)
		EXPECT(radix_insert(&r, i, (uint32_t)i * 3) == 0, "dense insert %" PRIu64, i);
	EXPECT(r.height == 2 && r.bytes == 64 * leaf + inner,
	       "dense 4096: height %u bytes %zu", r.height, r.bytes);
	EXPECT(radix_check(&r, w, sizeof(w)), "dense: %s", w);
	printf("# leaf %zu bytes, inner %zu bytes; dense run of 4096 pages: %.2f bytes a page\n",
	       leaf, inner, (double)r.bytes / 4096);
	for (uint64_t i = 0; i < 4096; i += 7)
		EXPECT(radix_lookup(&r, i) == (uint32_t)i * 3, "dense lookup %" PRIu64, i);
	goto out;
fail:
	ok = false;
out:
	radix_destroy(&r);
	return ok;
}

static bool test_random_dense(struct ctx *c)
{
	struct pool p;
	bool ok;

	pool_dense(&p);
	ok = random_run(c, &p, "dense");
	free(p.key);
	return ok;
}

static bool test_random_sparse(struct ctx *c)
{
	struct pool p;
	bool ok;

	pool_sparse(c, &p);
	ok = random_run(c, &p, "sparse");
	free(p.key);
	return ok;
}

/*
 * Iteration: fill a tree with runs and singletons over the whole range,
 * then walk random [start, last] windows with radix_next, collecting in
 * order, and compare each walk with the reference's slice.
 */
static bool test_iteration(struct ctx *c)
{
	struct radix_root r;
	struct ref f;
	bool ok = true;
	unsigned t;

	radix_init(&r);
	ref_init(&f, 20000);
	while (f.n < 15000) {
		uint64_t base = rnd_magnitude(c);
		unsigned len = below(c, 4) ? 1 : 1 + below(c, 300);

		for (unsigned i = 0; i < len && f.n < 15000; i++) {
			uint64_t k = base + i;
			uint32_t v = rnd_value(c);

			if (k < base)
				break;
			if (radix_insert(&r, k, v) != ref_insert(&f, k, v)) {
				say(c->why, "insert %#" PRIx64 " disagrees", k);
				goto fail;
			}
		}
	}
	if (!compare_all(&r, &f, "iteration fill", c->why))
		goto fail;

	for (t = 0; t < 2000; t++) {
		uint64_t start, last, idx, pos;
		uint32_t val;
		size_t i;

		if (below(c, 2)) {
			start = f.key[below(c, (unsigned)f.n)];
			start -= below(c, 3);
		} else {
			start = rnd_magnitude(c);
		}
		last = start + rnd_magnitude(c);
		if (last < start || !below(c, 10))
			last = UINT64_MAX;
		i = ref_lower(&f, start);
		pos = start;
		while (radix_next(&r, pos, last, &idx, &val)) {
			if (i == f.n || f.key[i] != idx || f.val[i] != val || idx > last) {
				say(c->why, "walk [%#" PRIx64 ", %#" PRIx64 "]: got %#" PRIx64
				    ", reference %#" PRIx64, start, last, idx,
				    i < f.n ? f.key[i] : 0);
				goto fail;
			}
			i++;
			if (idx == last)
				break;
			pos = idx + 1;
		}
		if (i < f.n && f.key[i] <= last) {
			say(c->why, "walk [%#" PRIx64 ", %#" PRIx64 "] stopped before %#"
			    PRIx64, start, last, f.key[i]);
			goto fail;
		}
	}
	goto out;
fail:
	ok = false;
out:
	radix_destroy(&r);
	ref_fini(&f);
	return ok;
}

/*
 * Failures leave the tree unchanged: for random absent indexes (and the
 * extremes, which need up to 20 new nodes), fail allocation 0, 1, 2, ...
 * until the insert succeeds; after each failure the tree must be
 * identical to before (same count, bytes, height, top node, content) and
 * sound.  -EEXIST likewise, and must not allocate.
 */
static bool test_failures(struct ctx *c)
{
	struct radix_root r;
	struct hook hk;
	struct ref f;
	bool ok = true;
	unsigned t, injected = 0;

	radix_init(&r);
	hook_init(&hk);
	radix_set_alloc(&r, hook_alloc, &hk);
	ref_init(&f, 1000);

	for (t = 0; t < 300; t++) {
		uint64_t k;
		uint32_t v = rnd_value(c);
		long n;

		switch (t) {
		case 0: k = 7; break;		/* empty -> height 1 */
		case 1: k = UINT64_MAX; break;	/* height 1 -> 11, 20 nodes */
		case 2: k = UINT64_C(1) << 60; break;
		default:
			k = below(c, 3) ? rnd_magnitude(c) : below(c, 5000);
		}
		if (t == 60) {		/* start over from a low tree */
			while (f.n) {
				radix_delete(&r, f.key[0]);
				ref_delete(&f, f.key[0]);
			}
		}
		if (ref_lookup(&f, k) != RADIX_NONE) {
			struct radix_root before = r;
			unsigned long calls = hk.calls;

			if (radix_insert(&r, k, v) != -EEXIST ||
			    !root_same(&before, &r) || hk.calls != calls) {
				say(c->why, "-EEXIST on %#" PRIx64 " changed the tree", k);
				goto fail;
			}
			continue;
		}
		for (n = 0;; n++) {
			struct radix_root before = r;
			int err;

			hk.fail_at = (long)hk.calls + n;
			err = radix_insert(&r, k, v);
			hk.fail_at = -1;
			if (!err)
				break;
			injected++;
			if (err != -ENOMEM) {
				say(c->why, "insert %#" PRIx64 " with allocation %ld failing: %d",
				    k, n, err);
				goto fail;
			}
			if (!root_same(&before, &r)) {
				say(c->why, "failed insert %#" PRIx64 " (allocation %ld) changed"
				    " the root", k, n);
				goto fail;
			}
			if (radix_lookup(&r, k) != RADIX_NONE) {
				say(c->why, "failed insert %#" PRIx64 " is visible", k);
				goto fail;
			}
			if (!compare_all(&r, &f, "after -ENOMEM", c->why))
				goto fail;
			if (n > 25) {
				say(c->why, "insert %#" PRIx64 " keeps failing", k);
				goto fail;
			}
		}
		ref_insert(&f, k, v);
		if (!compare_all(&r, &f, "after the insert that succeeded", c->why))
			goto fail;
	}
	printf("# %u allocation failures injected, none left a trace\n", injected);
	goto out;
fail:
	ok = false;
out:
	radix_destroy(&r);
	ref_fini(&f);
	return ok;
}

/* Build, destroy, and rebuild: destroy must free every node (ASan checks). */
static bool test_destroy(struct ctx *c)
{
	struct radix_root r;
	struct hook hk;
	bool ok = true;
	char w[WHYLEN];

	radix_init(&r);
	hook_init(&hk);
	radix_set_alloc(&r, hook_alloc, &hk);
	for (int round = 0; round < 3; round++) {
		for (unsigned i = 0; i < 3000; i++) {
			uint64_t k = below(c, 2) ? below(c, 10000) : rnd(c);

			radix_insert(&r, k, rnd_value(c));
		}
		EXPECT(radix_check(&r, w, sizeof(w)), "round %d: %s", round, w);
		EXPECT(r.bytes == hk.asked, "bytes %zu, asked %zu (no deletes yet)",
		       r.bytes, hk.asked);
		radix_destroy(&r);
		EXPECT(!r.node && !r.height && !r.count && !r.bytes,
		       "destroy left state");
		EXPECT(r.alloc == hook_alloc, "destroy dropped the allocator");
		EXPECT(radix_check(&r, w, sizeof(w)), "after destroy: %s", w);
		hk.asked = 0;
	}
	goto out;
fail:
	ok = false;
out:
	radix_destroy(&r);
	return ok;
}

/* The checker must notice when the root's summary disagrees with the nodes. */
static bool test_checker_catches(struct ctx *c)
{
	struct radix_root r;
	char w[WHYLEN];
	bool ok = true;
	uint64_t saved;
	size_t bytes;
	unsigned height;

	radix_init(&r);
	for (unsigned i = 0; i < 500; i++)
		radix_insert(&r, below(c, 3) ? below(c, 3000) : rnd(c), i);
	EXPECT(radix_check(&r, w, sizeof(w)), "sound tree rejected: %s", w);

	saved = r.count;
	r.count = saved + 1;
	EXPECT(!radix_check(&r, w, sizeof(w)), "count + 1 not caught");
	printf("# count + 1: %s\n", w);
	r.count = saved - 1;
	EXPECT(!radix_check(&r, w, sizeof(w)), "count - 1 not caught");
	r.count = saved;

	bytes = r.bytes;
	r.bytes = bytes + 1;
	EXPECT(!radix_check(&r, w, sizeof(w)), "bytes + 1 not caught");
	printf("# bytes + 1: %s\n", w);
	r.bytes = bytes;

	height = r.height;
	r.height = 12;
	EXPECT(!radix_check(&r, w, sizeof(w)), "height 12 not caught");
	r.height = height;

	EXPECT(radix_check(&r, w, sizeof(w)), "restored tree rejected: %s", w);
	radix_destroy(&r);
	r.count = 1;
	EXPECT(!radix_check(&r, w, sizeof(w)), "empty tree with count 1 not caught");
	printf("# empty, count 1: %s\n", w);
	r.count = 0;
	goto out;
fail:
	ok = false;
out:
	radix_destroy(&r);
	return ok;
}

/* ---- driver --------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct {
		const char *name;		/* TAP test name */
		bool (*fn)(struct ctx *);	/* returns false, why filled */
	} tests[] = {
		{ "radix by hand: 0, 63, 64, UINT64_MAX, heights and bytes", test_by_hand },
		{ "radix random dense 0..5000 vs sorted array", test_random_dense },
		{ "radix random sparse 64-bit (0, UINT64_MAX, 2^60) vs sorted array", test_random_sparse },
		{ "radix radix_next walks over random ranges, in order", test_iteration },
		{ "radix -ENOMEM at every allocation and -EEXIST leave the tree unchanged", test_failures },
		{ "radix destroy frees everything, keeps the allocator", test_destroy },
		{ "radix_check catches a corrupted count, bytes, height", test_checker_catches },
	};
	const size_t ntests = sizeof tests / sizeof tests[0];
	const char *arg = argc > 1 ? argv[1] : getenv("SEED");
	uint64_t seed = 1;
	int failed = 0;

	if (arg) {
		char *end;

		seed = strtoull(arg, &end, 0);
		if (!*arg || *end) {
			printf("Bail out! seed \"%s\" is not a number\n", arg);
			return 2;
		}
	}
	printf("1..%zu\n", ntests);
	for (size_t i = 0; i < ntests; i++) {
		struct ctx c = { .seed = seed };
		bool ok;

		c.rng = seed ^ (0xd1b54a32d192ed03ULL * (i + 1));
		ok = tests[i].fn(&c);
		printf("%sok %zu - %s\n", ok ? "" : "not ", i + 1, tests[i].name);
		if (!ok) {
			printf("# %s\n# seed %" PRIu64 ": rerun with %s %" PRIu64 "\n",
			       c.why, seed, argv[0], seed);
			failed++;
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
