/*
 * tests/t_mm.h - what the t_mm_*.c programs share: the TAP runner, the
 * test context, the PRNG, the expectations, machine set-up and the helpers
 * that touch memory as the MMU does.
 *
 * The VM core (mm/) is tested directly through mm/mm.h, one program per
 * subsystem (tests/t_mm_frame.c, t_mm_pgtable.c, t_mm_vma.c, t_mm_fault.c,
 * t_mm_mremap.c, t_mm_reclaim.c, t_mm_swap.c, t_mm_inject.c,
 * t_mm_machine.c, t_mm_zone.c), each its
 * own binary built from its .c and this header.  One function per
 * mechanism; after each interesting step the whole machine is checked with
 * check_machine() (mm/check.c: free lists, VMA trees, page tables against
 * frame counts, rmap completeness), and the test's own expectations are
 * written against exact counts: free blocks per order, page-table frames,
 * map counts, PTE bits, VMA boundaries.
 *
 * Address spaces are drawn in comments, as in Linux's tools/testing/vma:
 *
 *   A        A+1      A+2          one column per page, A = 0x100000000000
 *   |rw-----|r--------|            a VMA and its protection
 *    w0       z                    w = page written (own frame), z = zero page
 *
 * Randomized tests take their seed from argv[1] or $SEED (default 1) and
 * print it with any failure; rerun the same program with the same seed to
 * reproduce.  Each test draws from a stream of its own, made from the seed
 * and the test's name, so that a test draws the same numbers whichever
 * program holds it and wherever it stands in its table.
 *
 * The rmap scheme of every machine is argv[2] or $SCHEME (default: the
 * default scheme).  These programs are scheme-blind: what they assert is
 * mm/'s (the anonymous identity of mm/anon.c included, which mm/ keeps for
 * every scheme), and tests/schemes.t runs each of them once per scheme
 * other than the default.  What only the Linux scheme's own structures
 * make true is in tests/t_mm_linux.c, which runs under `avc` whatever it
 * is given.
 *
 * Tests that expose a known bug are marked TODO ("not ok N - name # TODO
 * bug: ...") so that the suite stays green until the owner fixes them; a
 * fixed bug shows as an unexpectedly passing TODO test in prove's summary.
 *
 * Each program is one translation unit, so the helpers here are static;
 * those that not every program uses are static inline, which -Wall does
 * not report unused.  A failure names the file and line of the test that
 * failed: the helpers that fail on a caller's behalf take its __FILE__ and
 * __LINE__ (the macros below pass them).
 */
#ifndef TESTS_T_MM_H
#define TESTS_T_MM_H

#include "../mm/mm.h"
#include "../rmap/scheme.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A	0x100000000000ULL	/* the differential-test window */
#define P	PAGE_SIZE
#define MEM	(8ULL << 20)		/* default machine: 2048 frames */
#define WHYLEN	1024
#define MAXM	3			/* machines per test */

#define PROT_RW		(PROT_READ_ | PROT_WRITE_)
#define PROT_R		PROT_READ_
#define PRIV_FIXED	(MAP_PRIVATE_ | MAP_ANON_ | MAP_FIXED_)
#define ENOMEM_		12

struct ctx {
	uint64_t seed;			/* the run's seed, as given */
	const struct rmap_ops *scheme;	/* every machine's rmap scheme */
	uint64_t rng;			/* this test's generator state */
	struct vm_machine m[MAXM];	/* machines, finalized by the runner */
	int nm;				/* machines in use */
	char why[WHYLEN];		/* what went wrong */
};

/* splitmix64 */
static inline uint64_t rnd(struct ctx *c)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline unsigned below(struct ctx *c, unsigned n)
{
	return (unsigned)(rnd(c) % n);
}

/*
 * Write "file:line: message" into c->why.
 * => returns false, so that tests can return it
 */
__attribute__((format(printf, 4, 5)))
static inline bool say_at(struct ctx *c, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int o = snprintf(c->why, WHYLEN, "%s:%d: ", file, line);

	if (o < 0 || o >= WHYLEN)
		o = 0;
	va_start(ap, fmt);
	vsnprintf(c->why + o, WHYLEN - (size_t)o, fmt, ap);
	va_end(ap);
	return false;
}
/* __FILE__ expands where say() is written: in a test, the test's file */
#define say(c, line, ...) say_at(c, __FILE__, line, __VA_ARGS__)

#define FAIL(...) return say(c, __LINE__, __VA_ARGS__)
#define EXPECT(cond) do { if (!(cond)) FAIL("expected %s", #cond); } while (0)
#define EXPECT_EQ(a, b) do {							\
	uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);			\
	if (a_ != b_)								\
		FAIL("%s is %#" PRIx64 " (%" PRId64 "), expected %s = %#" PRIx64 \
		     " (%" PRId64 ")", #a, a_, (int64_t)a_, #b, b_, (int64_t)b_); \
} while (0)
#define CHECK_M(m) do {								\
	if (!check_machine(m))							\
		FAIL("check_machine: %s", (m)->why);				\
} while (0)
#define OK_ADDR(expr, want) EXPECT_EQ(expr, want)
#define OK0(expr) EXPECT_EQ(expr, 0)

/* a fresh machine, finalized by the runner whatever the test returns */
static inline struct vm_machine *machine(struct ctx *c, uint64_t bytes)
{
	struct vm_machine *m;

	if (c->nm == MAXM)
		return NULL;
	m = &c->m[c->nm];
	if (machine_init(m, bytes, c->scheme))
		return NULL;
	c->nm++;
	return m;
}

/* ---------------- helpers: memory access as the MMU does it ---------------- */

/* an 8-byte store at addr: fault until the PTE is present and writable */
static inline int poke(struct vm_mm *mm, uint64_t addr, uint64_t val)
{
	for (int tries = 0; tries < 3; tries++) {
		pte_t *pte = pte_lookup(mm, addr);
		int r;

		if (pte && (*pte & PTE_PRESENT) && (*pte & PTE_WRITE)) {
			memcpy((uint8_t *)pfn_data(mm->machine, pte_pfn(*pte)) + (addr & ~PAGE_MASK),
			       &val, 8);
			*pte |= PTE_ACCESSED | PTE_DIRTY;
			return VM_FAULT_OK;
		}
		r = handle_mm_fault(mm, addr, true);
		if (r != VM_FAULT_OK)
			return r;
	}
	return -1;      /* the fault handler said OK but the PTE still refuses */
}

/* an 8-byte load */
static inline int peek(struct vm_mm *mm, uint64_t addr, uint64_t *val)
{
	for (int tries = 0; tries < 3; tries++) {
		pte_t *pte = pte_lookup(mm, addr);
		int r;

		if (pte && (*pte & PTE_PRESENT)) {
			memcpy(val, (uint8_t *)pfn_data(mm->machine, pte_pfn(*pte)) +
			       (addr & ~PAGE_MASK), 8);
			*pte |= PTE_ACCESSED;
			return VM_FAULT_OK;
		}
		r = handle_mm_fault(mm, addr, false);
		if (r != VM_FAULT_OK)
			return r;
	}
	return -1;
}

/* the PTE at addr, 0 if none */
static inline pte_t pte_at(struct vm_mm *mm, uint64_t addr)
{
	pte_t *p = pte_lookup(mm, addr);

	return p ? *p : 0;
}

static inline uint64_t pfn_at(struct vm_mm *mm, uint64_t addr)
{
	return pte_pfn(pte_at(mm, addr));
}

static inline struct vm_frame *frame_at(struct vm_mm *mm, uint64_t addr)
{
	return pfn_frame(mm->machine, pfn_at(mm, addr));
}

/*
 * The VMAs of mm must be exactly the n ranges given (start, end pairs).
 * => true, or false with a picture of what is there in c->why, blamed on
 *    file:line (LAYOUT's caller)
 */
static inline bool layout(struct ctx *c, const char *file, int line, struct vm_mm *mm, int n,
			  const uint64_t *r)
{
	struct vm_area *v = mm->first;
	int i;

	for (i = 0; i < n && v; i++, v = v->next)
		if (v->start != r[2 * i] || v->end != r[2 * i + 1])
			break;
	if (i == n && !v && mm->map_count == n)
		return true;
	{
		char buf[600];
		size_t o = 0;

		for (v = mm->first; v && o < sizeof(buf) - 64; v = v->next)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, " [A%+" PRId64 "P,A%+" PRId64 "P)",
					      (int64_t)(v->start - A) / (int64_t)P,
					      (int64_t)(v->end - A) / (int64_t)P);
		return say_at(c, file, line, "expected %d VMAs, mismatch at #%d; map_count %d, VMAs:%s",
			      n, i, mm->map_count, buf);
	}
}
#define LAYOUT(mm, ...) do {							\
	const uint64_t r_[] = { __VA_ARGS__ };					\
	if (!layout(c, __FILE__, __LINE__, mm, (int)(sizeof(r_) / sizeof(r_[0]) / 2), r_)) \
		return false;							\
} while (0)
#define LAYOUT_NONE(mm) do {							\
	if (!layout(c, __FILE__, __LINE__, mm, 0, NULL))			\
		return false;							\
} while (0)

/* locked_vm must be the number of pages in VM_LOCKED VMAs */
static inline uint64_t locked_pages(struct vm_mm *mm)
{
	uint64_t n = 0;

	for (struct vm_area *v = mm->first; v; v = v->next)
		if (v->flags & VM_LOCKED)
			n += vma_pages(v);
	return n;
}

/* frames that slabs of kernel objects hold (VMAs, address spaces, ...):
 * counts of pages and tables add them back to compare with nr_free */
static inline uint64_t slab_frames(const struct vm_machine *m)
{
	uint64_t n = m->slab_vma.frames + m->slab_mm.frames + m->slab_anon.frames +
		     m->slab_link.frames;

	for (int i = 0; i < NR_RMAP_SLABS; i++)
		n += m->slab_rmap[i].frames;    /* a scheme's own objects */
	return n;
}
/* free frames, not counting those held by slabs */
#define NR_FREE(m) ((m)->nr_free + slab_frames(m))

/* free block counts per order, to compare with later */
struct freecount {
	uint64_t nr[MAX_ORDER + 1];
	uint64_t total;
};

/* free blocks of an order, the deferred MAX_ORDER blocks included */
static inline uint64_t free_blocks(struct vm_machine *m, unsigned o)
{
	return m->free[o].nr + (o == MAX_ORDER ? (m->defer_hi - m->defer_lo) >> MAX_ORDER : 0);
}

static inline void freecount(struct vm_machine *m, struct freecount *f)
{
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		f->nr[o] = free_blocks(m, o);
	f->total = m->nr_free;
}

/* => true when m's free lists are as f counted them; otherwise false, the
 *    difference in c->why blamed on file:line */
static inline bool same_free(struct ctx *c, const char *file, int line, struct vm_machine *m,
			     const struct freecount *f)
{
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		if (free_blocks(m, o) != f->nr[o])
			return say_at(c, file, line, "order %u has %" PRIu64 " free blocks, expected %"
				      PRIu64, o, free_blocks(m, o), f->nr[o]);
	if (m->nr_free != f->total)
		return say_at(c, file, line, "nr_free %" PRIu64 ", expected %" PRIu64, m->nr_free,
			      f->total);
	return true;
}
#define SAME_FREE(m, f) do { if (!same_free(c, __FILE__, __LINE__, m, f)) return false; } while (0)

/* everything is back: only the zero page is not free, no VMA or rmap object left */
#define ALL_FREE(m) do {							\
	EXPECT_EQ((m)->nr_free + 1, (m)->nr_frames);				\
	EXPECT_EQ((m)->stats.nr_vmas, 0);					\
	EXPECT_EQ((m)->stats.vma_bytes, 0);					\
	EXPECT_EQ((m)->stats.rmap_bytes, 0);					\
	EXPECT_EQ((m)->stats.anon_bytes, 0);					\
} while (0)

/* ================================================================== */
/* The runner                                                           */
/* ================================================================== */

struct test {
	const char *name;
	bool (*fn)(struct ctx *c);
	const char *todo;       /* non-NULL: a known bug, reported as TODO */
};
#define NTESTS(t) (sizeof(t) / sizeof((t)[0]))

/* FNV-1a: a test's stream depends on its name, not on its place */
static inline uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ULL;
	return h;
}

/*
 * Run the n tests of a program and print TAP: the plan, the scheme, one
 * line per test (its reason and the seed under a failure; TODO ones
 * marked), and what the tests print themselves as comments.
 * => scheme: NULL for argv[2] or $SCHEME (the default when neither), or the
 *    name of the one scheme this program's asserts hold for, whatever it
 *    is given
 * => returns main's exit status: 0 when every test that is not TODO passed
 */
static inline int run_tests(int argc, char **argv, const struct test *tests, size_t n,
			    const char *scheme)
{
	const char *s = argc > 1 ? argv[1] : getenv("SEED");
	const char *asked = argc > 2 ? argv[2] : getenv("SCHEME");
	const char *name = scheme ? scheme : asked;
	uint64_t seed = s ? strtoull(s, NULL, 0) : 1;
	const struct rmap_ops *ops = rmap_find_scheme(name);
	int failed = 0;
	static struct ctx c;

	if (!ops) {
		printf("1..0 # SKIP no rmap scheme '%s'\n", name);
		return 1;
	}
	printf("1..%zu\n# rmap scheme %s\n", n, ops->name);
	if (scheme && asked && *asked && rmap_find_scheme(asked) != ops)
		printf("# (scheme '%s' asked for: these tests hold for %s only)\n", asked, ops->name);
	for (size_t i = 0; i < n; i++) {
		bool ok;

		memset(&c, 0, sizeof(c));
		c.scheme = ops;
		c.seed = seed;
		c.rng = seed;
		c.rng = rnd(&c) + name_hash(tests[i].name);   /* distinct streams per seed */
		ok = tests[i].fn(&c);
		for (int k = 0; k < c.nm; k++)
			machine_fini(&c.m[k]);
		if (tests[i].todo) {
			printf("%s %zu - %s # TODO bug: %s\n", ok ? "ok" : "not ok", i + 1,
			       tests[i].name, tests[i].todo);
			if (!ok)
				printf("#   %s\n", c.why);
		} else if (ok) {
			printf("ok %zu - %s\n", i + 1, tests[i].name);
		} else {
			printf("not ok %zu - %s\n#   %s\n#   seed %" PRIu64 "\n", i + 1,
			       tests[i].name, c.why, seed);
			failed++;
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}

#endif /* TESTS_T_MM_H */
