/*
 * tests/t_rbtree.c - lib/rbtree.c and lib/interval_tree.c against plain
 * references.  TAP output.
 *
 * Randomized tests take their seed from argv[1] or $SEED (default 1) and
 * print it with any failure; rerun with the same seed to reproduce.
 * After every random step the whole structure is checked: all red-black
 * properties (rb_check), every augmented value recomputed from scratch, and
 * the contents against a reference (a sorted array for the plain tree,
 * brute force over an array for the interval tree).  Keys are drawn from
 * [0, KEYS), and the insert/erase mix keeps about KEYS/2 nodes in a tree,
 * so that the check after each of the STEPS steps stays cheap.
 */
#include "../lib/rbtree.h"
#include "../lib/interval_tree.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYS	2000		/* keys and starts are drawn from [0, KEYS) */
#define POOL	(2 * KEYS)	/* nodes per test; the trees hold ~KEYS/2 */
#define STEPS	100000		/* random operations per randomized test */
#define WHYLEN	512		/* room for a failure message */

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

/* Write a message into why; returns false so that callers can return it. */
static bool say(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHYLEN, fmt, ap);
	va_end(ap);
	return false;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	return p;
}

/* ---- a plain tree of keys, augmented with subtree sizes -------------------- */

struct tnode {
	struct rb_node rb;	/* linkage, ordered by key; equal keys go right */
	unsigned key;		/* sort key, in [0, KEYS) */
	unsigned seq;		/* insertion stamp: equal keys stay in this order */
	unsigned size;		/* augmented: number of nodes in this subtree */
};

static struct tnode *tn(const struct rb_node *rb)
{
	return rb_entry(rb, struct tnode, rb);
}

static unsigned tsize(const struct rb_node *rb)
{
	return rb ? tn(rb)->size : 0;
}

static void size_propagate(struct rb_node *rb, struct rb_node *stop)
{
	while (rb != stop) {
		unsigned s = 1 + tsize(rb->left) + tsize(rb->right);

		if (tn(rb)->size == s)
			break;
		tn(rb)->size = s;
		rb = rb_parent(rb);
	}
}

static void size_copy(struct rb_node *old, struct rb_node *new_node)
{
	tn(new_node)->size = tn(old)->size;
}

static void size_rotate(struct rb_node *old, struct rb_node *new_node)
{
	tn(new_node)->size = tn(old)->size;
	tn(old)->size = 1 + tsize(old->left) + tsize(old->right);
}

static const struct rb_augment_ops size_ops = {
	.propagate = size_propagate,
	.copy = size_copy,
	.rotate = size_rotate,
};

enum how {
	PLAIN,		/* rb_insert_color / rb_erase, sizes not kept */
	AUG_DOWN,	/* augmented; ancestors' sizes raised on the way down */
	AUG_AFTER,	/* augmented; propagate(parent) after linking */
};

static void t_insert(struct rb_root *root, struct tnode *n, enum how how)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (how == AUG_DOWN)
			tn(parent)->size++;
		link = n->key < tn(parent)->key ? &parent->left : &parent->right;
	}
	n->size = 1;
	rb_link_node(&n->rb, parent, link);
	if (how == PLAIN) {
		rb_insert_color(&n->rb, root);
		return;
	}
	if (how == AUG_AFTER && parent)
		size_ops.propagate(parent, NULL);
	rb_insert_augmented(&n->rb, root, &size_ops);
}

static void t_erase(struct rb_root *root, struct tnode *n, bool aug)
{
	if (aug)
		rb_erase_augmented(&n->rb, root, &size_ops);
	else
		rb_erase(&n->rb, root);
}

/* Some node with this key, or NULL. */
static struct tnode *t_search(const struct rb_root *root, unsigned key)
{
	struct rb_node *rb = root->node;

	while (rb && tn(rb)->key != key)
		rb = key < tn(rb)->key ? rb->left : rb->right;
	return rb ? tn(rb) : NULL;
}

/* The node of rank r (0-based, in order), found through the sizes. */
static struct tnode *t_select(const struct rb_root *root, unsigned r)
{
	struct rb_node *rb = root->node;

	while (rb) {
		unsigned ls = tsize(rb->left);

		if (r == ls)
			return tn(rb);
		if (r < ls) {
			rb = rb->left;
		} else {
			r -= ls + 1;
			rb = rb->right;
		}
	}
	return NULL;
}

/*
 * One in-order pass over the subtree at rb.  If ref is not NULL, ref[*i]
 * must be the next node (the reference holds ref[0..n)); *i counts nodes.
 * If sizes, every size must be right.
 * => returns the true size of the subtree, or UINT_MAX (why filled).
 */
static unsigned t_walk(const struct rb_node *rb, struct tnode **ref, size_t n,
		       size_t *i, bool sizes, char *why)
{
	unsigned l, r;

	if (!rb)
		return 0;
	l = t_walk(rb->left, ref, n, i, sizes, why);
	if (l == UINT_MAX)
		return l;
	if (ref && (*i >= n || tn(rb) != ref[*i])) {
		say(why, "in-order node %zu is key %u seq %u, reference has %s %u",
		    *i, tn(rb)->key, tn(rb)->seq,
		    *i >= n ? "nothing" : "key", *i >= n ? 0 : ref[*i]->key);
		return UINT_MAX;
	}
	(*i)++;
	r = t_walk(rb->right, ref, n, i, sizes, why);
	if (r == UINT_MAX)
		return r;
	if (sizes && tn(rb)->size != l + r + 1) {
		say(why, "key %u: size %u, should be %u", tn(rb)->key,
		    tn(rb)->size, l + r + 1);
		return UINT_MAX;
	}
	return l + r + 1;
}

static unsigned check_sizes(const struct rb_node *rb, char *why)
{
	size_t i = 0;

	return t_walk(rb, NULL, 0, &i, true, why);
}

/*
 * The reference: ref[0..n) holds the nodes in the tree, sorted by
 * (key, seq).  Check properties, sizes (if aug), and the in-order sequence.
 */
static bool t_check(const struct rb_root *root, struct tnode **ref, size_t n,
		    bool aug, char *why)
{
	size_t i = 0;

	if (!rb_check(root, why, WHYLEN) ||
	    t_walk(root->node, ref, n, &i, aug, why) == UINT_MAX)
		return false;
	if (i != n)
		return say(why, "tree holds %zu nodes, reference %zu", i, n);
	return true;
}

/* first/next and last/prev walks, and prev/next of each node, against ref. */
static bool walk_check(const struct rb_root *root, struct tnode **ref,
		       size_t n, char *why)
{
	const struct rb_node *rb;
	size_t i;

	for (i = 0, rb = rb_first(root); rb; rb = rb_next(rb), i++) {
		if (i >= n || tn(rb) != ref[i])
			return say(why, "forward walk: position %zu wrong", i);
		if (rb_prev(rb) != (i ? &ref[i - 1]->rb : NULL))
			return say(why, "prev of position %zu wrong", i);
	}
	if (i != n)
		return say(why, "forward walk saw %zu of %zu", i, n);
	for (rb = rb_last(root); rb; rb = rb_prev(rb)) {
		if (i == 0 || tn(rb) != ref[--i])
			return say(why, "backward walk: position %zu wrong", i);
		if (rb_next(rb) != (i + 1 < n ? &ref[i + 1]->rb : NULL))
			return say(why, "next of position %zu wrong", i);
	}
	if (i != 0)
		return say(why, "backward walk stopped at %zu", i);
	return true;
}

/* Index of the first reference entry with key > key (or >= when strict). */
static size_t ref_bound(struct tnode **ref, size_t n, unsigned key, bool upper)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ref[mid]->key < key || (upper && ref[mid]->key == key))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void ref_insert(struct tnode **ref, size_t *n, struct tnode *t)
{
	size_t at = ref_bound(ref, *n, t->key, true);

	memmove(ref + at + 1, ref + at, (*n - at) * sizeof *ref);
	ref[at] = t;
	(*n)++;
}

/* => returns false if t is not in the reference. */
static bool ref_remove(struct tnode **ref, size_t *n, struct tnode *t)
{
	size_t at = ref_bound(ref, *n, t->key, false);

	while (at < *n && ref[at] != t && ref[at]->key == t->key)
		at++;
	if (at == *n || ref[at] != t)
		return false;
	memmove(ref + at, ref + at + 1, (*n - at - 1) * sizeof *ref);
	(*n)--;
	return true;
}

/* A pool of test nodes with a stack of the free ones. */
struct tpool {
	struct tnode *nodes;	/* POOL nodes */
	struct tnode **free;	/* free[0..nfree) are not in the tree */
	size_t nfree;		/* how many are free */
	struct tnode **ref;	/* the reference, sorted by (key, seq) */
	size_t n;		/* nodes in the tree and in ref */
	unsigned seq;		/* next insertion stamp */
};

static void tpool_init(struct tpool *p)
{
	p->nodes = xcalloc(POOL, sizeof *p->nodes);
	p->free = xcalloc(POOL, sizeof *p->free);
	p->ref = xcalloc(POOL, sizeof *p->ref);
	for (p->nfree = 0; p->nfree < POOL; p->nfree++)
		p->free[p->nfree] = &p->nodes[POOL - 1 - p->nfree];
	p->n = 0;
	p->seq = 0;
}

static void tpool_fini(struct tpool *p)
{
	free(p->nodes);
	free(p->free);
	free(p->ref);
}

static struct tnode *tpool_add(struct tpool *p, struct rb_root *root,
			       unsigned key, enum how how)
{
	struct tnode *t = p->free[--p->nfree];

	t->key = key;
	t->seq = p->seq++;
	t_insert(root, t, how);
	ref_insert(p->ref, &p->n, t);
	return t;
}

static bool tpool_del(struct tpool *p, struct rb_root *root, struct tnode *t,
		      bool aug)
{
	if (!ref_remove(p->ref, &p->n, t))
		return false;
	t_erase(root, t, aug);
	p->free[p->nfree++] = t;
	return true;
}

/*
 * steps random operations: insert, erase (a found key or a random member),
 * lookup by key, and for the augmented tree select by rank; every 64th
 * step the iterators walk the tree both ways as well.  Inserting
 * with probability 1 - n/KEYS holds the size near KEYS/2.
 */
static bool t_random(struct ctx *c, bool aug, unsigned steps)
{
	struct rb_root root = RB_ROOT_INIT;
	struct tpool p;
	bool ok = true;

	tpool_init(&p);
	for (unsigned step = 0; step < steps && ok; step++) {
		unsigned op = below(c, 10), key = below(c, KEYS);
		const char *what;
		struct tnode *t;

		if (op == 0) {
			what = "lookup";
			t = t_search(&root, key);
			size_t at = ref_bound(p.ref, p.n, key, false);
			bool there = at < p.n && p.ref[at]->key == key;

			if (!t != !there || (t && t->key != key))
				ok = say(c->why, "lookup of %u found %s, reference says %s",
					 key, t ? "it" : "nothing",
					 there ? "present" : "absent");
		} else if (op == 1 && aug && p.n) {
			unsigned r = below(c, (unsigned)p.n);

			what = "select";
			t = t_select(&root, r);
			if (t != p.ref[r])
				ok = say(c->why, "select of rank %u gave key %u, reference %u",
					 r, t ? t->key : UINT_MAX, p.ref[r]->key);
		} else if (p.nfree && below(c, KEYS) >= p.n) {
			enum how how = !aug ? PLAIN : op & 1 ? AUG_DOWN : AUG_AFTER;

			what = "insert";
			tpool_add(&p, &root, key, how);
		} else if (p.n) {
			what = "erase";
			t = op & 1 ? t_search(&root, key) : NULL;
			if (!t)
				t = p.ref[below(c, (unsigned)p.n)];
			if (!tpool_del(&p, &root, t, aug))
				ok = say(c->why, "node key %u seq %u found in the tree but not in the reference",
					 t->key, t->seq);
		} else {
			continue;
		}
		if (ok && (!t_check(&root, p.ref, p.n, aug, c->why) ||
			   (step % 64 == 0 &&
			    !walk_check(&root, p.ref, p.n, c->why)))) {
			char w[WHYLEN];

			memcpy(w, c->why, sizeof w);
			ok = say(c->why, "step %u (%s, %zu nodes): %s", step,
				 what, p.n, w);
		}
	}
	tpool_fini(&p);
	return ok;
}

static bool test_random_augmented(struct ctx *c)
{
	return t_random(c, true, STEPS);
}

/* Same code paths without callbacks: fewer steps suffice. */
static bool test_random_plain(struct ctx *c)
{
	return t_random(c, false, STEPS / 4);
}

/* ---- small deterministic cases --------------------------------------------- */

/* Shape as text: "key colour" for a leaf, "key colour(left,right)" above,
 * "-" for an empty child. */
static void shape(const struct rb_node *rb, char *buf, size_t len)
{
	size_t used = strlen(buf);

	if (used + 1 >= len)
		return;
	if (!rb) {
		snprintf(buf + used, len - used, "-");
		return;
	}
	snprintf(buf + used, len - used, "%u%c", tn(rb)->key,
		 rb_is_black(rb) ? 'B' : 'r');
	if (!rb->left && !rb->right)
		return;
	strncat(buf, "(", len - strlen(buf) - 1);
	shape(rb->left, buf, len);
	strncat(buf, ",", len - strlen(buf) - 1);
	shape(rb->right, buf, len);
	strncat(buf, ")", len - strlen(buf) - 1);
}

static bool shape_is(const struct rb_root *root, const char *want,
		     const char *when, char *why)
{
	char got[256] = "";

	if (!rb_check(root, why, WHYLEN))
		return false;
	shape(root->node, got, sizeof got);
	if (strcmp(got, want))
		return say(why, "%s: shape %s, expected %s", when, got, want);
	return true;
}

/*
 * Insert 1..5, then erase 1 (sibling with a red far child: case 4) and 4
 * (two children; sibling with only a red near child: cases 3 then 4):
 *
 *        2B                  4B                3B
 *       /  \                /  \              /  \
 *     1B    4B     -1     2B    5B    -4    2B    5B
 *          /  \             \
 *        3r    5r            3r
 */
static bool test_shapes(struct ctx *c)
{
	static const char *const after[] = {
		"1B", "1B(-,2r)", "2B(1r,3r)", "2B(1B,3B(-,4r))",
		"2B(1B,4B(3r,5r))",
	};
	struct rb_root root = RB_ROOT_INIT;
	struct tnode t[6];
	char when[32];

	memset(t, 0, sizeof t);
	for (unsigned i = 1; i <= 5; i++) {
		t[i].key = i;
		t_insert(&root, &t[i], AUG_DOWN);
		snprintf(when, sizeof when, "after inserting %u", i);
		if (!shape_is(&root, after[i - 1], when, c->why))
			return false;
	}
	rb_erase_augmented(&t[1].rb, &root, &size_ops);
	if (!shape_is(&root, "4B(2B(-,3r),5B)", "after erasing 1", c->why))
		return false;
	rb_erase_augmented(&t[4].rb, &root, &size_ops);
	if (!shape_is(&root, "3B(2B,5B)", "after erasing 4", c->why))
		return false;
	if (check_sizes(root.node, c->why) != 3)
		return say(c->why, "sizes wrong after erasing 1 and 4");
	rb_erase(&t[3].rb, &root);
	rb_erase(&t[2].rb, &root);
	if (!shape_is(&root, "5B", "after erasing 3 and 2", c->why))
		return false;
	rb_erase(&t[5].rb, &root);
	if (!rb_empty(&root) || rb_first(&root) || rb_last(&root))
		return say(c->why, "tree not empty at the end");
	return rb_check(&root, c->why, WHYLEN);
}

/*
 * Ascending inserts of 0..2046, then erases from the front, checking after
 * every step; the height must stay within 2 log2(n + 1) = 22.
 */
static unsigned height(const struct rb_node *rb)
{
	unsigned l, r;

	if (!rb)
		return 0;
	l = height(rb->left);
	r = height(rb->right);
	return 1 + (l > r ? l : r);
}

static bool test_sequential(struct ctx *c)
{
	struct rb_root root = RB_ROOT_INIT;
	struct tpool p;
	bool ok = true;
	unsigned h;

	tpool_init(&p);
	for (unsigned k = 0; k < 2047 && ok; k++) {
		tpool_add(&p, &root, k, AUG_DOWN);
		ok = t_check(&root, p.ref, p.n, true, c->why);
	}
	h = height(root.node);
	if (ok && h > 22)
		ok = say(c->why, "height %u for 2047 nodes", h);
	while (ok && p.n) {
		ok = tpool_del(&p, &root, p.ref[0], true) &&
		     t_check(&root, p.ref, p.n, true, c->why);
	}
	tpool_fini(&p);
	return ok;
}

/* first/next and last/prev against the reference, duplicates included. */
static bool test_iteration(struct ctx *c)
{
	struct rb_root root = RB_ROOT_INIT;
	struct rb_node *rb;
	struct tpool p;
	bool ok = true;

	if (rb_first(&root) || rb_last(&root))
		return say(c->why, "empty tree has a first or last node");
	tpool_init(&p);
	tpool_add(&p, &root, 7, PLAIN);
	rb = rb_first(&root);
	if (rb != rb_last(&root) || rb_next(rb) || rb_prev(rb))
		ok = say(c->why, "one node: first %p last %p", (void *)rb,
			 (void *)rb_last(&root));
	for (unsigned i = 0; i < 1000 && ok; i++)
		tpool_add(&p, &root, below(c, 300), PLAIN);
	ok = ok && walk_check(&root, p.ref, p.n, c->why);
	tpool_fini(&p);
	return ok;
}

/* rb_replace_node on random nodes and on the root, in an augmented tree. */
static bool test_replace(struct ctx *c)
{
	struct rb_root root = RB_ROOT_INIT;
	struct tpool p;
	bool ok = true;

	tpool_init(&p);
	for (unsigned i = 0; i < 300; i++)
		tpool_add(&p, &root, below(c, 100), AUG_DOWN);
	for (unsigned i = 0; i < 2000 && ok; i++) {
		size_t at = below(c, (unsigned)p.n);
		struct tnode *victim = p.ref[at], *t;

		if (i % 10 == 0) {	/* the root, found in the reference */
			victim = tn(root.node);
			for (at = 0; p.ref[at] != victim; at++)
				;
		}
		t = p.free[--p.nfree];
		t->key = victim->key;
		t->seq = victim->seq;
		t->size = victim->size;
		rb_replace_node(&victim->rb, &t->rb, &root);
		memset(victim, 0xa5, sizeof *victim);	/* must not be used */
		p.free[p.nfree++] = victim;
		p.ref[at] = t;
		ok = t_check(&root, p.ref, p.n, true, c->why);
	}
	/* The replacements must erase and rebalance like any node. */
	while (ok && p.n) {
		ok = tpool_del(&p, &root, p.ref[below(c, (unsigned)p.n)], true) &&
		     t_check(&root, p.ref, p.n, true, c->why);
	}
	tpool_fini(&p);
	return ok;
}

/* ---- interval tree ----------------------------------------------------------- */

struct ival {
	struct itree_node it;	/* linkage and the interval */
	unsigned id;		/* pool index: names the interval in results */
	unsigned seq;		/* insertion stamp: equal starts keep this order */
	bool in_tree;		/* in the tree (and in the reference) */
};

static struct ival *iv(const struct itree_node *it)
{
	return container_of(it, struct ival, it);
}

/* One query result: sorted, then compared as multisets. */
struct triple {
	uint64_t start;		/* interval start */
	uint64_t last;		/* interval last */
	unsigned id;		/* which interval */
};

static int triple_cmp(const void *a, const void *b)
{
	const struct triple *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Query [qs, ql] through the tree and by brute force over ref[0..n);
 * the tree must return exactly the overlapping intervals, in ascending
 * (start, seq) order.  got and want have room for n entries.
 */
static bool i_query(const struct rb_root *root, struct ival **ref, size_t n,
		    uint64_t qs, uint64_t ql, struct triple *got,
		    struct triple *want, char *why)
{
	const struct ival *prev = NULL;
	struct itree_node *it;
	size_t ng = 0, nw = 0;

	for (size_t i = 0; i < n; i++)
		if (ref[i]->it.start <= ql && qs <= ref[i]->it.last)
			want[nw++] = (struct triple){ ref[i]->it.start,
						      ref[i]->it.last, ref[i]->id };
	for (it = itree_iter_first(root, qs, ql); it;
	     it = itree_iter_next(it, qs, ql)) {
		const struct ival *v = iv(it);

		if (ng == n)
			return say(why, "query [%" PRIu64 ", %" PRIu64 "]: more results than intervals", qs, ql);
		if (!(it->start <= ql && qs <= it->last))
			return say(why, "query [%" PRIu64 ", %" PRIu64 "] returned [%" PRIu64 ", %" PRIu64 "]",
				   qs, ql, it->start, it->last);
		if (prev && (prev->it.start > it->start ||
			     (prev->it.start == it->start && prev->seq > v->seq)))
			return say(why, "query [%" PRIu64 ", %" PRIu64 "]: results out of order", qs, ql);
		got[ng++] = (struct triple){ it->start, it->last, v->id };
		prev = v;
	}
	qsort(got, ng, sizeof *got, triple_cmp);
	qsort(want, nw, sizeof *want, triple_cmp);
	if (ng != nw)
		return say(why, "query [%" PRIu64 ", %" PRIu64 "]: %zu results, brute force %zu",
			   qs, ql, ng, nw);
	for (size_t i = 0; i < ng; i++)
		if (triple_cmp(&got[i], &want[i]))
			return say(why, "query [%" PRIu64 ", %" PRIu64 "]: result %u, brute force %u",
				   qs, ql, got[i].id, want[i].id);
	return true;
}

/* In-order over the subtree: members of the reference, equal starts in
 * insertion order; *count counts the nodes, *prev is the last one seen. */
static bool i_walk(const struct rb_node *rb, const struct ival **prev,
		   size_t *count, char *why)
{
	const struct ival *v;

	if (!rb)
		return true;
	if (!i_walk(rb->left, prev, count, why))
		return false;
	v = iv(rb_entry(rb, struct itree_node, rb));
	if (!v->in_tree)
		return say(why, "interval %u is in the tree, not in the reference", v->id);
	if (*prev && (*prev)->it.start == v->it.start && (*prev)->seq > v->seq)
		return say(why, "equal starts %" PRIu64 " out of insertion order", v->it.start);
	*prev = v;
	(*count)++;
	return i_walk(rb->right, prev, count, why);
}

/* itree_check, plus: the tree holds exactly the reference's n intervals
 * (all members, none twice since the tree is sound), equal starts in
 * insertion order. */
static bool i_check(const struct rb_root *root, size_t n, char *why)
{
	const struct ival *prev = NULL;
	size_t count = 0;

	if (!itree_check(root, why, WHYLEN) ||
	    !i_walk(root->node, &prev, &count, why))
		return false;
	if (count != n)
		return say(why, "tree holds %zu intervals, reference %zu", count, n);
	return true;
}

/* Mostly short intervals, some long ones, a few very long. */
static void i_random_interval(struct ctx *c, uint64_t *start, uint64_t *last)
{
	unsigned r = below(c, 100);

	*start = below(c, KEYS);
	*last = *start + below(c, r < 70 ? 16 : r < 95 ? 200 : KEYS);
}

static bool test_itree_random(struct ctx *c)
{
	struct rb_root root = RB_ROOT_INIT;
	struct ival *pool = xcalloc(POOL, sizeof *pool);
	struct ival **ref = xcalloc(POOL, sizeof *ref);
	struct triple *got = xcalloc(POOL, sizeof *got);
	struct triple *want = xcalloc(POOL, sizeof *want);
	size_t n = 0, nfree = POOL;
	unsigned seq = 0;
	bool ok = true;

	for (unsigned i = 0; i < POOL; i++)
		pool[i].id = i;
	/* The free nodes are pool[ref positions n..POOL), kept in ref too. */
	for (unsigned i = 0; i < POOL; i++)
		ref[i] = &pool[i];
	for (unsigned step = 0; step < STEPS && ok; step++) {
		unsigned op = below(c, 10);
		const char *what;

		if (op < 2) {
			uint64_t qs, ql;

			what = "query";
			if (op == 0 && below(c, 50) == 0) {
				qs = 0;
				ql = UINT64_MAX;
			} else {
				i_random_interval(c, &qs, &ql);
				if (op == 0)
					ql = qs;	/* stabbing query */
			}
			ok = i_query(&root, ref, n, qs, ql, got, want, c->why);
		} else if (nfree && below(c, KEYS) >= n) {
			struct ival *v = ref[n];	/* first free one */

			what = "insert";
			i_random_interval(c, &v->it.start, &v->it.last);
			v->seq = seq++;
			v->in_tree = true;
			itree_insert(&v->it, &root);
			n++;
			nfree--;
		} else if (n) {
			size_t at = below(c, (unsigned)n);
			struct ival *v = ref[at];

			what = "remove";
			itree_remove(&v->it, &root);
			v->in_tree = false;
			ref[at] = ref[n - 1];	/* swap v to the free part */
			ref[n - 1] = v;
			n--;
			nfree++;
		} else {
			continue;
		}
		if (ok && !i_check(&root, n, c->why)) {
			char w[WHYLEN];

			memcpy(w, c->why, sizeof w);
			ok = say(c->why, "step %u (%s, %zu intervals): %s",
				 step, what, n, w);
		}
	}
	free(want);
	free(got);
	free(ref);
	free(pool);
	return ok;
}

/*
 * Fixed intervals, including ones that end at UINT64_MAX and ties:
 *
 *     0    5   10  15 18 20    30  35 40          2^64-2  2^64-1
 *     [D---]   [A---+--]        [C----]             [F--------]
 *                  B  [E-------------]
 *                 [X] [Y] [Z]  (X, Y, Z all [15, 15], inserted in order)
 */
static bool test_itree_fixed(struct ctx *c)
{
	static const struct { char name; uint64_t start, last; } spec[] = {
		{ 'A', 10, 20 }, { 'B', 15, 15 }, { 'C', 30, 40 },
		{ 'D', 0, 5 }, { 'E', 18, 35 },
		{ 'F', UINT64_MAX - 1, UINT64_MAX },
		{ 'X', 15, 15 }, { 'Y', 15, 15 }, { 'Z', 15, 15 },
	};
	static const struct { uint64_t start, last; const char *want; } q[] = {
		{ 16, 30, "AEC" },
		{ 15, 15, "ABXYZ" },
		{ 6, 9, "" },
		{ 5, 5, "D" },
		{ 0, UINT64_MAX, "DABXYZECF" },
		{ UINT64_MAX, UINT64_MAX, "F" },
		{ 41, UINT64_MAX - 2, "" },
		{ 36, 1000, "C" },
	};
	enum { NSPEC = sizeof spec / sizeof spec[0] };
	struct rb_root root = RB_ROOT_INIT;
	struct ival v[NSPEC];
	char got[NSPEC + 1];

	memset(v, 0, sizeof v);
	for (unsigned i = 0; i < NSPEC; i++) {
		v[i].it.start = spec[i].start;
		v[i].it.last = spec[i].last;
		v[i].id = i;
		itree_insert(&v[i].it, &root);
		if (!itree_check(&root, c->why, WHYLEN))
			return false;
	}
	for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
		size_t ng = 0;

		for (struct itree_node *it = itree_iter_first(&root, q[k].start, q[k].last);
		     it && ng < NSPEC; it = itree_iter_next(it, q[k].start, q[k].last))
			got[ng++] = spec[iv(it)->id].name;
		got[ng] = '\0';
		if (strcmp(got, q[k].want))
			return say(c->why, "query [%" PRIu64 ", %" PRIu64 "]: got \"%s\", want \"%s\"",
				   q[k].start, q[k].last, got, q[k].want);
	}
	itree_remove(&v[4].it, &root);	/* E: the long one in the middle */
	if (!itree_check(&root, c->why, WHYLEN))
		return false;
	if (itree_iter_first(&root, 25, 29))
		return say(c->why, "[25, 29] still overlaps something after removing E");
	for (unsigned i = 0; i < NSPEC; i++)
		if (i != 4)
			itree_remove(&v[i].it, &root);
	if (!rb_empty(&root) || itree_iter_first(&root, 0, UINT64_MAX))
		return say(c->why, "tree not empty at the end");
	return itree_check(&root, c->why, WHYLEN);
}

/* ---- the checkers must catch corruption -------------------------------------- */

/*
 * In a scratch tree, break one thing at a time and require the checker to
 * say so, then restore and require it to be happy again:
 *  - every node's colour flipped (always breaks property 2, 3 or 4);
 *  - every node's parent link pointed elsewhere;
 *  - every node's augmented value (size, subtree_last) off by one;
 *  - two neighbours with different starts swapped (key order).
 * The path checkers (rb_check_path, itree_check_path: O(depth), what
 * revmap's per-event check uses) must pass on every node of the sound
 * trees, and catch a bad parent link or subtree_last on the node's path.
 */
static bool test_checkers_catch(struct ctx *c)
{
	struct rb_root root = RB_ROOT_INIT, iroot = RB_ROOT_INIT;
	struct ival *iv_pool = xcalloc(64, sizeof *iv_pool);
	struct rb_node *rb, *nx;
	struct tpool p;
	unsigned caught = 0, tries = 0;
	char why[WHYLEN];
	bool ok = true;

	tpool_init(&p);
	for (unsigned i = 0; i < 64; i++) {
		tpool_add(&p, &root, below(c, 1000), AUG_DOWN);
		i_random_interval(c, &iv_pool[i].it.start, &iv_pool[i].it.last);
		itree_insert(&iv_pool[i].it, &iroot);
	}
	if (!t_check(&root, p.ref, p.n, true, c->why) ||
	    !itree_check(&iroot, c->why, WHYLEN))
		goto out_fail;

	for (rb = rb_first(&root); rb; rb = rb_next(rb)) {
		uintptr_t saved = rb->parent_color;

		rb->parent_color ^= 1;		/* colour */
		tries++;
		caught += !rb_check(&root, why, sizeof why);
		rb->parent_color = saved;

		rb->parent_color = (uintptr_t)rb | (saved & 1);	/* parent */
		tries++;
		caught += !rb_check(&root, why, sizeof why);
		tries++;
		caught += !rb_check_path(&root, rb, why, sizeof why);
		rb->parent_color = saved;
		if (!rb_check_path(&root, rb, c->why, WHYLEN))
			goto out_fail;

		tn(rb)->size++;			/* augmented size */
		tries++;
		caught += check_sizes(root.node, why) == UINT_MAX;
		tn(rb)->size--;
	}
	for (rb = rb_first(&iroot); rb; rb = nx) {
		struct itree_node *it = rb_entry(rb, struct itree_node, rb);

		nx = rb_next(rb);
		it->subtree_last++;		/* augmented subtree_last */
		tries++;
		caught += !itree_check(&iroot, why, sizeof why);
		tries++;
		caught += !itree_check_path(&iroot, it, why, sizeof why);
		it->subtree_last--;
		if (!itree_check_path(&iroot, it, c->why, WHYLEN))
			goto out_fail;

		if (nx) {			/* key order */
			struct itree_node *b = rb_entry(nx, struct itree_node, rb);
			uint64_t s = it->start;

			if (s == b->start)
				continue;	/* swapping equals breaks nothing */
			it->start = b->start;
			b->start = s;
			tries++;
			caught += !itree_check(&iroot, why, sizeof why);
			b->start = it->start;
			it->start = s;
		}
	}
	if (caught != tries) {
		ok = say(c->why, "checkers caught %u of %u corruptions", caught, tries);
		goto out;
	}
	if (!t_check(&root, p.ref, p.n, true, c->why) ||
	    !itree_check(&iroot, c->why, WHYLEN))
		goto out_fail;
	printf("# checkers caught all %u corruptions; the last said: %s\n", tries, why);
	goto out;
out_fail:
	ok = false;
out:
	free(iv_pool);
	tpool_fini(&p);
	return ok;
}

/* ---- driver --------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct {
		const char *name;		/* TAP test name */
		bool (*fn)(struct ctx *);	/* returns false, why filled */
	} tests[] = {
		{ "rbtree shapes and colours, inserts and erases by hand", test_shapes },
		{ "rbtree sequential inserts and erases, height bound", test_sequential },
		{ "rbtree iteration first/next and last/prev", test_iteration },
		{ "rbtree rb_replace_node, then erase the replacements", test_replace },
		{ "rbtree random, augmented with sizes, vs sorted array", test_random_augmented },
		{ "rbtree random, plain insert/erase, vs sorted array", test_random_plain },
		{ "interval tree fixed cases, ties and UINT64_MAX", test_itree_fixed },
		{ "interval tree random, vs brute force", test_itree_random },
		{ "checkers catch corrupted colour, links, augmented values, order", test_checkers_catch },
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
