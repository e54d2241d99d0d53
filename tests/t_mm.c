/*
 * tests/t_mm.c - the VM core (mm/) tested directly through mm/mm.h.  TAP.
 *
 * One function per mechanism: the buddy allocator, page tables, VMA split
 * and merge, faults, fork/exit/exec, fault injection, and two machines in
 * one process.  After each interesting step the whole machine is checked
 * with check_machine() (mm/check.c: free lists, VMA trees, page tables
 * against frame counts, rmap completeness), and the test's own expectations
 * are written against exact counts: free blocks per order, page-table
 * frames, map counts, PTE bits, VMA boundaries.
 *
 * Address spaces are drawn in comments, as in Linux's tools/testing/vma:
 *
 *   A        A+1      A+2          one column per page, A = 0x100000000000
 *   |rw-----|r--------|            a VMA and its protection
 *    w0       z                    w = page written (own frame), z = zero page
 *
 * Randomized tests take their seed from argv[1] or $SEED (default 1) and
 * print it with any failure; rerun with the same seed to reproduce.  The
 * rmap scheme of every machine is argv[2] or $SCHEME (default: the default
 * scheme); tests/schemes.t runs this program once per other scheme.
 *
 * Tests that expose a known bug are marked TODO ("not ok N - name # TODO
 * bug: ...") so that the suite stays green until the owner fixes them; a
 * fixed bug shows as an unexpectedly passing TODO test in prove's summary.
 */
#include "../mm/mm.h"
#include "../rmap/scheme.h"
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

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

/* write a message into c->why; returns false so that tests can return it */
static bool say(struct ctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	int o = snprintf(c->why, WHYLEN, "t_mm.c:%d: ", line);

	va_start(ap, fmt);
	vsnprintf(c->why + o, WHYLEN - (size_t)o, fmt, ap);
	va_end(ap);
	return false;
}

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
static struct vm_machine *machine(struct ctx *c, uint64_t bytes)
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
static int poke(struct vm_mm *mm, uint64_t addr, uint64_t val)
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
static int peek(struct vm_mm *mm, uint64_t addr, uint64_t *val)
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
static pte_t pte_at(struct vm_mm *mm, uint64_t addr)
{
	pte_t *p = pte_lookup(mm, addr);

	return p ? *p : 0;
}

static uint64_t pfn_at(struct vm_mm *mm, uint64_t addr)
{
	return pte_pfn(pte_at(mm, addr));
}

static struct vm_frame *frame_at(struct vm_mm *mm, uint64_t addr)
{
	return pfn_frame(mm->machine, pfn_at(mm, addr));
}

/*
 * The VMAs of mm must be exactly the n ranges given (start, end pairs).
 * => true, or false with a picture of what is there in c->why.
 */
static bool layout(struct ctx *c, int line, struct vm_mm *mm, int n, const uint64_t *r)
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
		return say(c, line, "expected %d VMAs, mismatch at #%d; map_count %d, VMAs:%s",
			   n, i, mm->map_count, buf);
	}
}
#define LAYOUT(mm, ...) do {							\
	const uint64_t r_[] = { __VA_ARGS__ };					\
	if (!layout(c, __LINE__, mm, (int)(sizeof(r_) / sizeof(r_[0]) / 2), r_)) \
		return false;							\
} while (0)
#define LAYOUT_NONE(mm) do {							\
	if (!layout(c, __LINE__, mm, 0, NULL))					\
		return false;							\
} while (0)

/* locked_vm must be the number of pages in VM_LOCKED VMAs */
static uint64_t locked_pages(struct vm_mm *mm)
{
	uint64_t n = 0;

	for (struct vm_area *v = mm->first; v; v = v->next)
		if (v->flags & VM_LOCKED)
			n += vma_pages(v);
	return n;
}

/* frames that slabs of kernel objects hold (VMAs, address spaces, ...):
 * counts of pages and tables add them back to compare with nr_free */
static uint64_t slab_frames(const struct vm_machine *m)
{
	return m->slab_vma.frames + m->slab_mm.frames + m->slab_anon.frames +
	       m->slab_link.frames;
}
/* free frames, not counting those held by slabs */
#define NR_FREE(m) ((m)->nr_free + slab_frames(m))

/* free block counts per order, to compare with later */
struct freecount {
	uint64_t nr[MAX_ORDER + 1];
	uint64_t total;
};

/* free blocks of an order, the deferred MAX_ORDER blocks included */
static uint64_t free_blocks(struct vm_machine *m, unsigned o)
{
	return m->free[o].nr + (o == MAX_ORDER ? (m->defer_hi - m->defer_lo) >> MAX_ORDER : 0);
}

static void freecount(struct vm_machine *m, struct freecount *f)
{
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		f->nr[o] = free_blocks(m, o);
	f->total = m->nr_free;
}

static bool same_free(struct ctx *c, int line, struct vm_machine *m, const struct freecount *f)
{
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		if (free_blocks(m, o) != f->nr[o])
			return say(c, line, "order %u has %" PRIu64 " free blocks, expected %" PRIu64,
				   o, free_blocks(m, o), f->nr[o]);
	if (m->nr_free != f->total)
		return say(c, line, "nr_free %" PRIu64 ", expected %" PRIu64, m->nr_free, f->total);
	return true;
}
#define SAME_FREE(m, f) do { if (!same_free(c, __LINE__, m, f)) return false; } while (0)

/* everything is back: only the zero page is not free, no VMA or rmap object left */
#define ALL_FREE(m) do {							\
	EXPECT_EQ((m)->nr_free + 1, (m)->nr_frames);				\
	EXPECT_EQ((m)->stats.nr_vmas, 0);					\
	EXPECT_EQ((m)->stats.vma_bytes, 0);					\
	EXPECT_EQ((m)->stats.rmap_bytes, 0);					\
	EXPECT_EQ((m)->stats.anon_bytes, 0);					\
} while (0)

static bool block_zeroed(struct vm_machine *m, uint32_t pfn, unsigned order)
{
	const uint64_t *p = pfn_data(m, pfn);

	for (uint64_t i = 0; i < (PAGE_SIZE << order) / 8; i++)
		if (p[i])
			return false;
	return true;
}

/* ================================================================== */
/* Buddy allocator                                                      */
/* ================================================================== */

/* a machine whose every frame descriptor is written, as at an eager start */
static struct vm_machine *eager_machine(struct ctx *c, uint64_t bytes)
{
	struct vm_machine *m = machine(c, bytes);

	if (m)
		frames_init_deferred(m);
	return m;
}

/*
 * On an 8 MiB machine (2048 frames, frame 0 the zero page) the initial
 * free blocks are pfn 1 (order 0), 2 (1), 4 (2), ..., 512 (9), 1024 (10):
 * one block of every order.  At the start the order-10 block is deferred
 * (on no list, its descriptors unwritten); written, it is on the list.
 */
static bool t_buddy_initial(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);

	EXPECT(m);
	EXPECT_EQ(m->nr_frames, 2048);
	EXPECT_EQ(NR_FREE(m), 2047);
	EXPECT_EQ(m->defer_lo, 1024);
	EXPECT_EQ(m->defer_hi, 2048);
	EXPECT_EQ(m->free[MAX_ORDER].nr, 0);
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		EXPECT_EQ(m->free[o].nr, 1);
		EXPECT_EQ(m->free[o].head, 1u << o);
	}
	CHECK_M(m);
	frames_init_deferred(m);
	EXPECT_EQ(m->defer_lo, m->defer_hi);
	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		EXPECT_EQ(m->free[o].nr, 1);
		EXPECT_EQ(m->free[o].head, 1u << o);
	}
	EXPECT(m->frames[0].flags & PG_RESERVED);
	CHECK_M(m);
	return true;
}

/*
 * Deferred initialisation changes nothing an allocation can see: a
 * machine started lazily and one whose descriptors were all written hand
 * out the same frames for the same random sequence of allocations and
 * frees, exhaustion included; and the lazy one writes descriptors one
 * MAX_ORDER block at a time, only when the lists run dry.
 */
static bool t_buddy_deferred(struct ctx *c)
{
	struct vm_machine *lazy = machine(c, 16ULL << 20), *eager = eager_machine(c, 16ULL << 20);
	struct blk { uint32_t pfn; unsigned order; } *live;
	size_t nlive = 0;
	uint64_t block = 1ULL << MAX_ORDER;

	EXPECT(lazy && eager);
	live = malloc(lazy->nr_frames * sizeof(*live));
	EXPECT(live);
	EXPECT_EQ(lazy->defer_hi - lazy->defer_lo, 3 * block);
	/* the first MAX_ORDER request takes the highest block, in both */
	EXPECT_EQ(frames_alloc(lazy, MAX_ORDER), lazy->nr_frames - block);
	EXPECT_EQ(frames_alloc(eager, MAX_ORDER), lazy->nr_frames - block);
	EXPECT_EQ(lazy->defer_hi - lazy->defer_lo, 2 * block);
	frames_free(lazy, (uint32_t)(lazy->nr_frames - block), MAX_ORDER);
	frames_free(eager, (uint32_t)(lazy->nr_frames - block), MAX_ORDER);
	for (int step = 0; step < 6000; step++) {
		if (nlive && (below(c, 100) < 40 || lazy->nr_free < 64)) {
			size_t i = below(c, (unsigned)nlive);

			frames_free(lazy, live[i].pfn, live[i].order);
			frames_free(eager, live[i].pfn, live[i].order);
			live[i] = live[--nlive];
		} else {
			unsigned o = below(c, 100) < 90 ? 0 : below(c, MAX_ORDER + 1);
			uint32_t p = frames_alloc(lazy, o), q = frames_alloc(eager, o);

			if (p != q) {
				free(live);
				FAIL("step %d: order %u: the lazy machine gave %u, the eager one %u",
				     step, o, p, q);
			}
			if (p != FRAME_NIL)
				live[nlive++] = (struct blk){ p, o };
		}
		if (!check_free_lists(lazy)) {
			free(live);
			FAIL("step %d: %s", step, lazy->why);
		}
	}
	while (nlive) {
		nlive--;
		frames_free(lazy, live[nlive].pfn, live[nlive].order);
		frames_free(eager, live[nlive].pfn, live[nlive].order);
	}
	free(live);
	CHECK_M(lazy);
	CHECK_M(eager);
	return true;
}

/*
 * A machine of 1 TiB starts without writing its 268 million descriptors.
 * 2048 pages (8 MiB) and their 7 page tables (4 PTE tables, a PMD, a PUD
 * and the PGD) need 2055 frames: the 1023 below the first whole block,
 * then exactly two deferred blocks get written.  The checkers skip the
 * deferred range.
 */
static bool t_buddy_huge_lazy(struct ctx *c)
{
	struct vm_machine *m = machine(c, 1ULL << 40);
	uint64_t base = 0x100000000000ULL, hi;
	struct vm_mm *mm;

	EXPECT(m);
	EXPECT_EQ(NR_FREE(m), m->nr_frames - 1);
	hi = m->defer_hi;
	EXPECT_EQ(hi, m->nr_frames);
	mm = mm_create(m);
	EXPECT(mm);
	EXPECT_EQ(vm_mmap(mm, base, 2048 * PAGE_SIZE, PROT_READ_ | PROT_WRITE_,
			  MAP_PRIVATE_ | MAP_ANON_, NULL, 0), base);
	for (uint64_t i = 0; i < 2048; i++)
		EXPECT_EQ(poke(mm, base + i * PAGE_SIZE, i), VM_FAULT_OK);
	EXPECT_EQ(m->nr_frames - 1 - NR_FREE(m), 2055);
	EXPECT_EQ(hi - m->defer_hi, 2 << MAX_ORDER);
	CHECK_M(m);
	mm_destroy(mm);
	CHECK_M(m);
	return true;
}

/* one block of each order 0..10: aligned, disjoint, zeroed; freeing
 * everything gives the initial free lists back */
static bool t_buddy_orders(struct ctx *c)
{
	struct vm_machine *m = eager_machine(c, 32ULL << 20);   /* room for all orders at once */
	struct freecount init;
	uint32_t pfn[MAX_ORDER + 1];
	uint8_t *owner;

	EXPECT(m);
	freecount(m, &init);
	owner = calloc(m->nr_frames, 1);
	EXPECT(owner);
	for (int round = 0; round < 2; round++) {
		memset(owner, 0, m->nr_frames);
		for (unsigned o = 0; o <= MAX_ORDER; o++) {
			uint32_t p = frames_alloc(m, o);
			struct vm_frame *f;

			if (p == FRAME_NIL) {
				free(owner);
				FAIL("round %d: order %u allocation failed with %" PRIu64 " free",
				     round, o, m->nr_free);
			}
			pfn[o] = p;
			f = pfn_frame(m, p);
			if ((p & ((1u << o) - 1)) || p + (1ULL << o) > m->nr_frames || p == 0 ||
			    (f->flags & (PG_BUDDY | PG_RESERVED)) || f->refcount != 1 ||
			    !block_zeroed(m, p, o)) {
				free(owner);
				FAIL("round %d: order %u block at pfn %u: misaligned, out of range, "
				     "flagged %#x, refcount %d or not zeroed", round, o, p, f->flags,
				     f->refcount);
			}
			for (uint64_t i = p; i < p + (1ULL << o); i++) {
				if (owner[i]) {
					int other = owner[i] - 1;

					free(owner);
					FAIL("order %u block at %u overlaps order %d's", o, p, other);
				}
				owner[i] = (uint8_t)(o + 1);
			}
			/* scribble: the next round must see zeroes again */
			memset(pfn_data(m, p), 0xa5, PAGE_SIZE << o);
		}
		if (!check_free_lists(m)) {
			free(owner);
			FAIL("check_free_lists: %s", m->why);
		}
		{
			uint64_t used = 0;

			for (unsigned o = 0; o <= MAX_ORDER; o++)
				used += 1ULL << o;
			if (m->nr_free != init.total - used) {
				free(owner);
				FAIL("nr_free %" PRIu64 " after allocating %" PRIu64 " of %" PRIu64,
				     m->nr_free, used, init.total);
			}
		}
		/* free in an order that forces coalescing across sizes */
		for (unsigned o = 0; o <= MAX_ORDER; o++)
			frames_free(m, pfn[(o * 7) % (MAX_ORDER + 1)], (o * 7) % (MAX_ORDER + 1));
		if (!same_free(c, __LINE__, m, &init)) {
			free(owner);
			return false;
		}
	}
	free(owner);
	CHECK_M(m);
	return true;
}

/* a split hands out the lower half and files the upper halves; freeing
 * coalesces buddies back into the block they came from */
static bool t_buddy_split_coalesce(struct ctx *c)
{
	struct vm_machine *m = eager_machine(c, MEM);
	struct freecount init;
	uint32_t lo[MAX_ORDER], p;

	EXPECT(m);
	freecount(m, &init);
	/* take the single block of each order 0..9: only pfn 1024 (order 10) is left */
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		lo[o] = frames_alloc(m, o);
		EXPECT_EQ(lo[o], 1u << o);
	}
	for (unsigned o = 0; o < MAX_ORDER; o++)
		EXPECT_EQ(m->free[o].nr, 0);
	EXPECT_EQ(m->free[MAX_ORDER].nr, 1);
	/*
	 * order 0 from an order-10 block: 1024 is handed out, and
	 * 1025 (o0), 1026 (o1), 1028 (o2), ... 1536 (o9) are filed
	 */
	p = frames_alloc(m, 0);
	EXPECT_EQ(p, 1024);
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		EXPECT_EQ(m->free[o].nr, 1);
		EXPECT_EQ(m->free[o].head, 1024 + (1u << o));
	}
	EXPECT_EQ(m->free[MAX_ORDER].nr, 0);
	if (!check_free_lists(m))
		FAIL("%s", m->why);
	/* freeing 1024 merges with 1025, then 1026, ... back into one order-10 block */
	frames_free(m, p, 0);
	for (unsigned o = 0; o < MAX_ORDER; o++)
		EXPECT_EQ(m->free[o].nr, 0);
	EXPECT_EQ(m->free[MAX_ORDER].nr, 1);
	EXPECT_EQ(m->free[MAX_ORDER].head, 1024);
	/* order 2 splits the order-10 block the same way, from order 2 up */
	p = frames_alloc(m, 2);
	EXPECT_EQ(p, 1024);
	EXPECT_EQ(m->free[0].nr, 0);
	EXPECT_EQ(m->free[1].nr, 0);
	EXPECT_EQ(m->free[2].nr, 1);
	EXPECT_EQ(m->free[2].head, 1028);
	frames_free(m, p, 2);
	/* the buddy of pfn 1 at order 0 is the zero page: no merge there */
	frames_free(m, lo[0], 0);
	EXPECT_EQ(m->free[0].nr, 1);
	EXPECT_EQ(m->free[1].nr, 0);
	/* 2 (o1) and 0..1 are not buddies either (0 is reserved) */
	frames_free(m, lo[1], 1);
	EXPECT_EQ(m->free[1].nr, 1);
	for (unsigned o = 2; o < MAX_ORDER; o++)
		frames_free(m, lo[o], o);
	SAME_FREE(m, &init);
	CHECK_M(m);
	return true;
}

/* running out: FRAME_NIL, nothing touched; and giving everything back */
static bool t_buddy_exhaust(struct ctx *c)
{
	struct vm_machine *m = eager_machine(c, MEM);
	struct freecount init, now;
	uint32_t *got;
	uint64_t n = 0;

	EXPECT(m);
	freecount(m, &init);
	/* only one order-10 block exists (0..1023 holds the zero page) */
	{
		uint32_t big = frames_alloc(m, MAX_ORDER);

		EXPECT_EQ(big, 1024);
		freecount(m, &now);
		EXPECT_EQ(frames_alloc(m, MAX_ORDER), FRAME_NIL);
		SAME_FREE(m, &now);
		EXPECT_EQ(frames_alloc(m, MAX_ORDER + 0), FRAME_NIL);
		frames_free(m, big, MAX_ORDER);
		SAME_FREE(m, &init);
	}
	got = malloc(m->nr_frames * sizeof(*got));
	EXPECT(got);
	for (;;) {
		uint32_t p = frames_alloc(m, 0);

		if (p == FRAME_NIL)
			break;
		if (n == m->nr_frames) {
			free(got);
			FAIL("more frames handed out than exist");
		}
		got[n++] = p;
	}
	if (n != init.total || m->nr_free != 0) {
		free(got);
		FAIL("got %" PRIu64 " frames of %" PRIu64 ", nr_free %" PRIu64, n, init.total,
		     m->nr_free);
	}
	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		if (frames_alloc(m, o) != FRAME_NIL || m->free[o].nr) {
			free(got);
			FAIL("order %u allocated from an empty machine", o);
		}
	}
	if (!check_free_lists(m)) {
		free(got);
		FAIL("%s", m->why);
	}
	/* free in a scrambled order: everything coalesces back */
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = rnd(c) % i;
		uint32_t t = got[i - 1];

		got[i - 1] = got[j];
		got[j] = t;
	}
	for (uint64_t i = 0; i < n; i++)
		frames_free(m, got[i], 0);
	free(got);
	SAME_FREE(m, &init);
	CHECK_M(m);
	return true;
}

/* random allocations and frees of orders 0..5 against an ownership map */
static bool t_buddy_random(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct freecount init;
	struct blk { uint32_t pfn; unsigned order; } *live;
	size_t nlive = 0;
	uint8_t *owned;
	bool ok = true;

	EXPECT(m);
	freecount(m, &init);
	live = malloc(m->nr_frames * sizeof(*live));
	owned = calloc(m->nr_frames, 1);
	if (!live || !owned) {
		free(live);
		free(owned);
		FAIL("out of host memory");
	}
	for (int step = 0; step < 4000 && ok; step++) {
		if (nlive && (below(c, 100) < 45 || m->nr_free < 64)) {
			size_t i = below(c, (unsigned)nlive);
			struct blk b = live[i];

			for (uint64_t p = b.pfn; p < b.pfn + (1ULL << b.order); p++)
				owned[p] = 0;
			memset(pfn_data(m, b.pfn), 0x5a, PAGE_SIZE << b.order);
			frames_free(m, b.pfn, b.order);
			live[i] = live[--nlive];
		} else {
			unsigned o = below(c, 6);
			uint64_t before = m->nr_free;
			uint32_t p = frames_alloc(m, o);

			if (p == FRAME_NIL) {
				ok = m->nr_free == before ||
				     say(c, __LINE__, "step %d: failed allocation changed nr_free", step);
				continue;
			}
			if ((p & ((1u << o) - 1)) || !block_zeroed(m, p, o) ||
			    m->nr_free != before - (1ULL << o)) {
				ok = say(c, __LINE__, "step %d: order %u block %u misaligned, dirty or "
					 "miscounted", step, o, p);
				break;
			}
			for (uint64_t q = p; q < p + (1ULL << o); q++) {
				if (owned[q]) {
					ok = say(c, __LINE__, "step %d: frame %" PRIu64 " handed out twice",
						 step, q);
					break;
				}
				owned[q] = 1;
			}
			live[nlive++] = (struct blk){ p, o };
		}
		if (ok && !check_free_lists(m))
			ok = say(c, __LINE__, "step %d: %s", step, m->why);
	}
	while (nlive) {
		nlive--;
		frames_free(m, live[nlive].pfn, live[nlive].order);
	}
	free(live);
	free(owned);
	if (!ok)
		return false;
	SAME_FREE(m, &init);
	CHECK_M(m);
	return true;
}

/*
 * The slab allocator: objects carved from frames of the machine, a frame
 * taken only when no slab has room and given back when its last object
 * goes; objects zeroed; a freed object reused first; every allocation
 * counted for fault injection; under ASan a freed object is poisoned.
 */
static bool t_slab(struct ctx *c)
{
	struct vm_machine *m = eager_machine(c, MEM);
	struct vm_slab s;
	void *obj[200];
	uint64_t free0;

	EXPECT(m);
	free0 = m->nr_free;
	slab_init(&s, "test", 100);
	EXPECT_EQ(s.size, 104);
	EXPECT_EQ(s.per_frame, 4096 / 104);
	for (int i = 0; i < 200; i++) {
		obj[i] = slab_alloc(m, &s);
		EXPECT(obj[i]);
		for (int k = 0; k < 104; k++)
			EXPECT(((uint8_t *)obj[i])[k] == 0);
		memset(obj[i], 0xa5, 104);
	}
	EXPECT_EQ(s.objects, 200);
	EXPECT_EQ(s.frames, (200 + s.per_frame - 1) / s.per_frame);
	EXPECT_EQ(m->nr_free, free0 - s.frames);
	EXPECT(pfn_frame(m, ((uint8_t *)obj[0] - m->mem) >> PAGE_SHIFT)->flags & PG_SLAB);
	slab_free(m, &s, obj[7]);
#if defined(__SANITIZE_ADDRESS__)
	EXPECT(__asan_address_is_poisoned(obj[7]));
#endif
	EXPECT(slab_alloc(m, &s) == obj[7]);        /* the freed one first */
	for (int i = 0; i < 200; i++)
		slab_free(m, &s, obj[i]);
	EXPECT_EQ(s.objects, 0);
	EXPECT_EQ(s.frames, 0);
	EXPECT_EQ(m->nr_free, free0);
	m->fail_alloc_at = m->nr_allocs + 1;
	EXPECT(slab_alloc(m, &s) == NULL);          /* injected failure */
	EXPECT_EQ(m->nr_free, free0);
	m->fail_alloc_at = 0;
	CHECK_M(m);
	return true;
}

/* ================================================================== */
/* Page tables                                                          */
/* ================================================================== */

/* tables are allocated on demand, one per level, and only once */
static bool t_pgtable_on_demand(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct freecount init;
	struct vm_mm *mm;
	pte_t *p1;

	EXPECT(m);
	freecount(m, &init);
	mm = mm_create(m);
	EXPECT(mm);
	EXPECT_EQ(mm->nr_pgtables, 1);                  /* the pgd */
	EXPECT(pfn_frame(m, mm->pgd)->flags & PG_PGTABLE);
	EXPECT(pte_lookup(mm, A) == NULL);
	p1 = pte_alloc(mm, A);
	EXPECT(p1);
	EXPECT_EQ(mm->nr_pgtables, 4);                  /* + pud, pmd, pte */
	EXPECT(pte_lookup(mm, A) == p1);
	EXPECT(pte_alloc(mm, A) == p1);
	EXPECT(pte_alloc(mm, A + 511 * P) == p1 + 511); /* same PTE table */
	EXPECT_EQ(mm->nr_pgtables, 4);
	EXPECT(pte_alloc(mm, A + PMD_SIZE));            /* next PTE table */
	EXPECT_EQ(mm->nr_pgtables, 5);
	EXPECT(pte_alloc(mm, A + (1ULL << 30)));        /* next pmd + pte */
	EXPECT_EQ(mm->nr_pgtables, 7);
	EXPECT(pte_alloc(mm, A + (1ULL << 39)));        /* next pud + pmd + pte */
	EXPECT_EQ(mm->nr_pgtables, 10);
	EXPECT(pte_lookup(mm, A + 2 * PMD_SIZE) == NULL);
	EXPECT_EQ(NR_FREE(m), init.total - 10);
	EXPECT(pte_none(*p1));
	CHECK_M(m);
	mm_destroy(mm);
	SAME_FREE(m, &init);
	CHECK_M(m);
	return true;
}

/*
 * munmap frees the tables that only the unmapped range used:
 *
 *   A              A+2M             A+4M
 *   |rw---------------------------------|   w at A and A+4M-1P: 2 PTE tables
 *   munmap [A+2M, A+4M): second PTE table goes
 *   munmap [A, A+2M):    everything but the pgd goes
 */
static bool t_pgtable_munmap_frees(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct freecount init;
	struct vm_mm *mm;

	EXPECT(m);
	freecount(m, &init);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 2 * PMD_SIZE, PROT_RW, PRIV_FIXED, NULL, 0), A);
	EXPECT_EQ(mm->nr_pgtables, 1);                  /* mmap allocates no tables */
	EXPECT_EQ(poke(mm, A, 1), VM_FAULT_OK);
	EXPECT_EQ(poke(mm, A + 2 * PMD_SIZE - P, 2), VM_FAULT_OK);
	EXPECT_EQ(mm->nr_pgtables, 5);
	EXPECT_EQ(NR_FREE(m), init.total - 5 - 2);
	CHECK_M(m);
	OK0(vm_munmap(mm, A + PMD_SIZE, PMD_SIZE));
	EXPECT_EQ(mm->nr_pgtables, 4);
	EXPECT_EQ(mm->nr_ptes, 1);
	EXPECT_EQ(NR_FREE(m), init.total - 4 - 1);
	CHECK_M(m);
	OK0(vm_munmap(mm, A, PMD_SIZE));
	EXPECT_EQ(mm->nr_pgtables, 1);
	EXPECT_EQ(mm->nr_ptes, 0);
	EXPECT_EQ(mm->rss, 0);
	EXPECT_EQ(NR_FREE(m), init.total - 1);
	CHECK_M(m);

	/*
	 * a table shared with a neighbour stays:
	 *   A        A+8      A+16     A+24
	 *   |rw-----|        |r--------|     both touched, same PTE table
	 */
	OK_ADDR(vm_mmap(mm, A, 8 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	OK_ADDR(vm_mmap(mm, A + 16 * P, 8 * P, PROT_R, PRIV_FIXED, NULL, 0), A + 16 * P);
	EXPECT_EQ(poke(mm, A, 3), VM_FAULT_OK);
	{
		uint64_t v = 1;

		EXPECT_EQ(peek(mm, A + 16 * P, &v), VM_FAULT_OK);
		EXPECT_EQ(v, 0);
	}
	EXPECT_EQ(mm->nr_pgtables, 4);
	OK0(vm_munmap(mm, A, 8 * P));
	EXPECT_EQ(mm->nr_pgtables, 4);
	EXPECT_EQ(mm->nr_ptes, 1);                      /* the zero-page PTE at A+16 */
	CHECK_M(m);
	OK0(vm_munmap(mm, A + 16 * P, 8 * P));
	EXPECT_EQ(mm->nr_pgtables, 1);
	CHECK_M(m);
	mm_destroy(mm);
	SAME_FREE(m, &init);
	return true;
}

struct visit {
	uint64_t *addr;         /* addresses seen, in order */
	size_t n, cap;
	size_t stop_after;      /* 0: never stop */
};

static int visit_fn(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct visit *v = arg;

	if (v->n < v->cap)
		v->addr[v->n] = addr;
	v->n++;
	if (v->stop_after && v->n == v->stop_after)
		return 7;
	return 0;
}

/*
 * walk_ptes visits exactly the present PTEs, in ascending order, also
 * across table boundaries and for PROT_NONE PTEs, and stops when asked.
 *
 *   A+2M-64P        A+2M         A+2M+64P     A+1G    A+1G+8P
 *   |rw----------------------------------|     |rw------|
 *       random pages read (z) or written (w)
 */
static bool t_walk_ptes(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	enum { N1 = 128, N2 = 8 };
	uint64_t b1 = A + PMD_SIZE - 64 * P, b2 = A + (1ULL << 30);
	uint64_t want[N1 + N2], got[N1 + N2 + 8];
	size_t nw = 0;
	struct visit v = { got, 0, N1 + N2 + 8, 0 };

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, b1, N1 * P, PROT_RW, PRIV_FIXED, NULL, 0), b1);
	OK_ADDR(vm_mmap(mm, b2, N2 * P, PROT_RW, PRIV_FIXED, NULL, 0), b2);
	for (unsigned i = 0; i < N1 + N2; i++) {
		uint64_t a = i < N1 ? b1 + i * P : b2 + (i - N1) * P, val;
		unsigned r = below(c, 3);

		if (r == 0)
			continue;
		EXPECT_EQ(r == 1 ? peek(mm, a, &val) : poke(mm, a, a), VM_FAULT_OK);
		want[nw++] = a;
	}
	EXPECT_EQ(mm->nr_ptes, nw);
	EXPECT_EQ(walk_ptes(mm, 0, 1ULL << 47, visit_fn, &v), 0);
	EXPECT_EQ(v.n, nw);
	for (size_t i = 0; i < nw; i++)
		EXPECT_EQ(got[i], want[i]);
	/* sub-ranges: [lo, hi) sees exactly the wanted addresses inside it */
	for (int round = 0; round < 50; round++) {
		uint64_t lo = b1 + below(c, N1 + 8) * P - 4 * P;
		uint64_t hi = lo + below(c, N1) * P;
		size_t k = 0;

		v.n = 0;
		EXPECT_EQ(walk_ptes(mm, lo, hi, visit_fn, &v), 0);
		for (size_t i = 0; i < nw; i++)
			if (want[i] >= lo && want[i] < hi) {
				if (k >= v.n || got[k] != want[i])
					FAIL("walk of [%#" PRIx64 ", %#" PRIx64 ") missed %#" PRIx64,
					     lo, hi, want[i]);
				k++;
			}
		EXPECT_EQ(v.n, k);
	}
	/* stop early: the visitor's value comes back */
	if (nw >= 3) {
		v.n = 0;
		v.stop_after = 3;
		EXPECT_EQ(walk_ptes(mm, 0, 1ULL << 47, visit_fn, &v), 7);
		EXPECT_EQ(v.n, 3);
		v.stop_after = 0;
	}
	/* PROT_NONE PTEs are present (Linux's pte_present) and still visited */
	OK0(vm_mprotect(mm, b1, N1 * P, 0));
	v.n = 0;
	EXPECT_EQ(walk_ptes(mm, 0, 1ULL << 47, visit_fn, &v), 0);
	EXPECT_EQ(v.n, nw);
	for (size_t i = 0; i < nw; i++) {
		pte_t p = pte_at(mm, want[i]);

		EXPECT(pte_present(p));
		if (want[i] < b2)
			EXPECT((p & (PTE_PRESENT | PTE_PROTNONE)) == PTE_PROTNONE);
	}
	CHECK_M(m);
	/* an empty mm: nothing at all */
	OK0(vm_munmap(mm, b1, N1 * P));
	OK0(vm_munmap(mm, b2, N2 * P));
	v.n = 0;
	EXPECT_EQ(walk_ptes(mm, 0, 1ULL << 47, visit_fn, &v), 0);
	EXPECT_EQ(v.n, 0);
	CHECK_M(m);
	return true;
}

/* ================================================================== */
/* VMAs: split and merge                                                */
/* ================================================================== */

/*
 *   A        A+1      A+2      A+3      A+4
 *   |rw-------------------------------------|   mmap, pages written
 *   mprotect [A+1, A+3) r--
 *   |rw-----|r-----------------|rw---------|    3 VMAs, same anon identity
 *   mprotect [A+1, A+3) rw-
 *   |rw-------------------------------------|   1 VMA again
 */
static bool t_vma_mprotect_split_merge(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	for (int touched = 0; touched < 2; touched++) {
		struct vm_area *v;

		OK_ADDR(vm_mmap(mm, A, 4 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
		if (touched)
			for (int i = 0; i < 4; i++)
				EXPECT_EQ(poke(mm, A + i * P, (uint64_t)i + 100), VM_FAULT_OK);
		LAYOUT(mm, A, A + 4 * P);
		OK0(vm_mprotect(mm, A + P, 2 * P, PROT_R));
		LAYOUT(mm, A, A + P, A + P, A + 3 * P, A + 3 * P, A + 4 * P);
		v = mm->first;
		EXPECT_EQ(v->flags & VM_ACCESS_FLAGS, VM_READ | VM_WRITE);
		EXPECT_EQ(v->next->flags & VM_ACCESS_FLAGS, VM_READ);
		EXPECT_EQ(v->next->next->flags & VM_ACCESS_FLAGS, VM_READ | VM_WRITE);
		EXPECT_EQ(v->next->pgoff, v->pgoff + 1);
		EXPECT_EQ(v->next->next->pgoff, v->pgoff + 3);
		EXPECT(v->anon == v->next->anon && v->anon == v->next->next->anon);
		EXPECT(touched ? v->anon != NULL : v->anon == NULL);
		if (touched) {
			EXPECT(pte_present(pte_at(mm, A + P)) && !pte_write(pte_at(mm, A + P)));
			EXPECT(pte_write(pte_at(mm, A)));
			EXPECT_EQ(handle_mm_fault(mm, A + P, true), VM_FAULT_SEGV);
		}
		CHECK_M(m);
		OK0(vm_mprotect(mm, A + P, 2 * P, PROT_RW));
		LAYOUT(mm, A, A + 4 * P);
		if (touched) {
			/* exclusive anon pages are writable again without a fault */
			EXPECT(pte_write(pte_at(mm, A + P)) && pte_write(pte_at(mm, A + 2 * P)));
			for (int i = 0; i < 4; i++) {
				uint64_t val;

				EXPECT_EQ(peek(mm, A + i * P, &val), VM_FAULT_OK);
				EXPECT_EQ(val, (uint64_t)i + 100);
			}
		}
		/* the left and right ends: 2 VMAs, then 1 */
		OK0(vm_mprotect(mm, A, P, PROT_R));
		LAYOUT(mm, A, A + P, A + P, A + 4 * P);
		OK0(vm_mprotect(mm, A + 3 * P, P, PROT_R));
		LAYOUT(mm, A, A + P, A + P, A + 3 * P, A + 3 * P, A + 4 * P);
		OK0(vm_mprotect(mm, A, 4 * P, PROT_R));
		LAYOUT(mm, A, A + 4 * P);
		CHECK_M(m);
		OK0(vm_munmap(mm, A, 4 * P));
		LAYOUT_NONE(mm);
	}
	/* mprotect over a hole: -ENOMEM */
	OK_ADDR(vm_mmap(mm, A, P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	EXPECT_EQ(vm_mprotect(mm, A, 2 * P, PROT_R), -ENOMEM_);
	EXPECT_EQ(vm_mprotect(mm, A + 4 * P, P, PROT_R), -ENOMEM_);
	CHECK_M(m);
	return true;
}

/*
 *   A        A+1      A+2      A+3      A+4
 *   |rw-------------------------------------|  w w w w
 *   munmap [A+1, A+3)
 *   |rw-----|                 |rw----------|   2 VMAs, pages 1 and 2 freed
 */
static bool t_vma_munmap_middle(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	uint64_t free_before, val;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 4 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(poke(mm, A + i * P, (uint64_t)i + 1), VM_FAULT_OK);
	free_before = NR_FREE(m);
	OK0(vm_munmap(mm, A + P, 2 * P));
	LAYOUT(mm, A, A + P, A + 3 * P, A + 4 * P);
	EXPECT_EQ(mm->first->next->pgoff, mm->first->pgoff + 3);
	EXPECT_EQ(NR_FREE(m), free_before + 2);
	EXPECT_EQ(mm->rss, 2);
	EXPECT_EQ(mm->nr_ptes, 2);
	EXPECT_EQ(handle_mm_fault(mm, A + P, false), VM_FAULT_SEGV);
	EXPECT_EQ(peek(mm, A + 3 * P, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 4);
	CHECK_M(m);
	/* unaligned start: -EINVAL; nothing mapped: 0; zero length: -EINVAL */
	EXPECT_EQ(vm_munmap(mm, A + 1, P), -22);
	EXPECT_EQ(vm_munmap(mm, A + 8 * P, P), 0);
	EXPECT_EQ(vm_munmap(mm, A, 0), -22);
	/* a range covering both and the hole removes both */
	OK0(vm_munmap(mm, A, 4 * P));
	LAYOUT_NONE(mm);
	EXPECT_EQ(mm->rss, 0);
	CHECK_M(m);
	return true;
}

/*
 * New anonymous mappings extend their neighbours:
 *
 *   A        A+2      A+4      A+6
 *   |rw-----|                           mmap [A, A+2)
 *   |rw--------------|                  mmap [A+2, A+4) merges
 *   |rw--------------|r-------|         mmap [A+4, A+6) r--: no merge
 *
 *   B        B+2      B+4      B+6
 *   |rw-----|        |rw-----|          both untouched
 *   |rw-----------------------|         mmap [B+2, B+4) fills the hole: 1 VMA
 *
 *   C        C+2      C+4      C+6
 *   |rw-----|        |rw-----|          both written: two anon identities
 *   |rw--------------|rw-----|          mmap [C+2, C+4) joins the left only
 */
static bool t_vma_mmap_merge(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	const uint64_t B = A + 0x100000, C2 = A + 0x200000;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	OK_ADDR(vm_mmap(mm, A + 2 * P, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), A + 2 * P);
	LAYOUT(mm, A, A + 4 * P);
	OK_ADDR(vm_mmap(mm, A + 4 * P, 2 * P, PROT_R, PRIV_FIXED, NULL, 0), A + 4 * P);
	LAYOUT(mm, A, A + 4 * P, A + 4 * P, A + 6 * P);
	/* from the right: [A-2, A) joins [A, A+4) */
	OK_ADDR(vm_mmap(mm, A - 2 * P, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), A - 2 * P);
	LAYOUT(mm, A - 2 * P, A + 4 * P, A + 4 * P, A + 6 * P);
	EXPECT_EQ(mm->first->pgoff, (A - 2 * P) >> PAGE_SHIFT);
	OK0(vm_munmap(mm, A - 2 * P, 8 * P));
	LAYOUT_NONE(mm);

	OK_ADDR(vm_mmap(mm, B, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), B);
	OK_ADDR(vm_mmap(mm, B + 4 * P, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), B + 4 * P);
	LAYOUT(mm, B, B + 2 * P, B + 4 * P, B + 6 * P);
	OK_ADDR(vm_mmap(mm, B + 2 * P, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), B + 2 * P);
	LAYOUT(mm, B, B + 6 * P);
	CHECK_M(m);

	OK_ADDR(vm_mmap(mm, C2, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), C2);
	OK_ADDR(vm_mmap(mm, C2 + 4 * P, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), C2 + 4 * P);
	EXPECT_EQ(poke(mm, C2, 1), VM_FAULT_OK);
	EXPECT_EQ(poke(mm, C2 + 4 * P, 2), VM_FAULT_OK);
	EXPECT(vma_lookup(mm, C2)->anon && vma_lookup(mm, C2 + 4 * P)->anon);
	EXPECT(vma_lookup(mm, C2)->anon != vma_lookup(mm, C2 + 4 * P)->anon);
	OK_ADDR(vm_mmap(mm, C2 + 2 * P, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), C2 + 2 * P);
	LAYOUT(mm, B, B + 6 * P, C2, C2 + 4 * P, C2 + 4 * P, C2 + 6 * P);
	CHECK_M(m);
	/* a page faulted into the joined range goes under the left identity */
	EXPECT_EQ(poke(mm, C2 + 3 * P, 3), VM_FAULT_OK);
	EXPECT(frame_at(mm, C2 + 3 * P)->mapping == vma_lookup(mm, C2)->anon);
	/* two identities never merge, even when everything else matches:
	 * mprotect the left r-- and back does not join the right */
	OK0(vm_mprotect(mm, C2, 6 * P, PROT_R));
	OK0(vm_mprotect(mm, C2, 6 * P, PROT_RW));
	LAYOUT(mm, B, B + 6 * P, C2, C2 + 4 * P, C2 + 4 * P, C2 + 6 * P);
	CHECK_M(m);
	return true;
}

/*
 * After fork, the child's VMAs carry their parents' anon identity too, so
 * a new neighbour does not merge with them; in the parent it does.
 *
 *   parent:  A        A+2      A+4
 *            |rw-----|               w at A; fork
 *            |rw--------------|      mmap [A+2, A+4): merged
 *   child:   |rw-----|rw-----|       mmap [A+2, A+4): not merged
 */
static bool t_vma_fork_no_merge(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *par, *chi;

	EXPECT(m);
	par = mm_create(m);
	EXPECT(par);
	OK_ADDR(vm_mmap(par, A, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	EXPECT_EQ(poke(par, A, 1), VM_FAULT_OK);
	OK0(mm_fork(par, &chi));
	EXPECT(chi->first && chi->first->anon && chi->first->anon != par->first->anon);
	OK_ADDR(vm_mmap(chi, A + 2 * P, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), A + 2 * P);
	LAYOUT(chi, A, A + 2 * P, A + 2 * P, A + 4 * P);
	OK_ADDR(vm_mmap(par, A + 2 * P, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), A + 2 * P);
	LAYOUT(par, A, A + 4 * P);
	CHECK_M(m);
	/* the child's own writes do not change that */
	EXPECT_EQ(poke(chi, A, 2), VM_FAULT_OK);
	EXPECT_EQ(poke(chi, A + 2 * P, 3), VM_FAULT_OK);
	LAYOUT(chi, A, A + 2 * P, A + 2 * P, A + 4 * P);
	/* splitting and re-merging inside one identity still works in the child */
	OK0(vm_mprotect(chi, A + P, P, PROT_R));
	LAYOUT(chi, A, A + P, A + P, A + 2 * P, A + 2 * P, A + 4 * P);
	OK0(vm_mprotect(chi, A + P, P, PROT_RW));
	LAYOUT(chi, A, A + 2 * P, A + 2 * P, A + 4 * P);
	CHECK_M(m);
	mm_destroy(chi);
	CHECK_M(m);
	mm_destroy(par);
	ALL_FREE(m);
	return true;
}

/*
 * madvise advice that sets VMA flags splits like mprotect:
 *
 *   A        A+1      A+2      A+3
 *   |rw----------------------------|      w w w
 *   madvise [A+1, A+2) dontfork
 *   |rw-----|rw DONTCOPY|rw--------|      fork: the child gets [A,A+1), [A+2,A+3)
 *   madvise [A+1, A+2) dofork
 *   |rw----------------------------|
 */
static bool t_vma_madvise_split(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm, *chi;
	uint64_t val;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 3 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(poke(mm, A + i * P, 10 + (uint64_t)i), VM_FAULT_OK);
	OK0(vm_madvise(mm, A + P, P, MADV_DONTFORK_));
	LAYOUT(mm, A, A + P, A + P, A + 2 * P, A + 2 * P, A + 3 * P);
	EXPECT(vma_lookup(mm, A + P)->flags & VM_DONTCOPY);
	EXPECT(!(vma_lookup(mm, A)->flags & VM_DONTCOPY));
	CHECK_M(m);
	OK0(mm_fork(mm, &chi));
	LAYOUT(chi, A, A + P, A + 2 * P, A + 3 * P);
	EXPECT_EQ(handle_mm_fault(chi, A + P, false), VM_FAULT_SEGV);
	EXPECT_EQ(peek(chi, A + 2 * P, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 12);
	EXPECT_EQ(frame_at(mm, A + P)->mapcount, 1);
	EXPECT_EQ(frame_at(mm, A)->mapcount, 2);
	CHECK_M(m);
	mm_destroy(chi);
	OK0(vm_madvise(mm, A + P, P, MADV_DOFORK_));
	LAYOUT(mm, A, A + 3 * P);

	/* random / sequential / normal */
	OK0(vm_madvise(mm, A, P, MADV_RANDOM_));
	LAYOUT(mm, A, A + P, A + P, A + 3 * P);
	EXPECT(mm->first->flags & VM_RAND_READ);
	OK0(vm_madvise(mm, A, P, MADV_SEQUENTIAL_));
	EXPECT((mm->first->flags & (VM_RAND_READ | VM_SEQ_READ)) == VM_SEQ_READ);
	LAYOUT(mm, A, A + P, A + P, A + 3 * P);
	OK0(vm_madvise(mm, A, 3 * P, MADV_NORMAL_));
	LAYOUT(mm, A, A + 3 * P);
	CHECK_M(m);

	/* wipeonfork: the child's copy arrives empty and reads zeroes */
	OK0(vm_madvise(mm, A + 2 * P, P, MADV_WIPEONFORK_));
	LAYOUT(mm, A, A + 2 * P, A + 2 * P, A + 3 * P);
	OK0(mm_fork(mm, &chi));
	LAYOUT(chi, A, A + 2 * P, A + 2 * P, A + 3 * P);
	EXPECT(!pte_present(pte_at(chi, A + 2 * P)));
	EXPECT_EQ(peek(chi, A + 2 * P, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0);
	EXPECT_EQ(peek(chi, A + P, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 11);
	CHECK_M(m);
	mm_destroy(chi);
	OK0(vm_madvise(mm, A + 2 * P, P, MADV_KEEPONFORK_));
	LAYOUT(mm, A, A + 3 * P);

	/* a hole: the mapped parts are advised, then -ENOMEM */
	OK_ADDR(vm_mmap(mm, A + 4 * P, P, PROT_RW, PRIV_FIXED, NULL, 0), A + 4 * P);
	EXPECT_EQ(vm_madvise(mm, A, 5 * P, MADV_DONTFORK_), -ENOMEM_);
	EXPECT(mm->first->flags & VM_DONTCOPY);
	EXPECT(vma_lookup(mm, A + 4 * P)->flags & VM_DONTCOPY);
	/* dontneed drops the pages: they read as zero again */
	OK0(vm_madvise(mm, A, 3 * P, MADV_DONTNEED_));
	EXPECT_EQ(mm->rss, 0);
	EXPECT_EQ(peek(mm, A, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0);
	CHECK_M(m);
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

/*
 *   A        A+1      A+2      A+3      A+4
 *   |rw-------------------------------------|   nothing touched
 *   mlock [A+1, A+3)
 *   |rw-----|rw LOCKED---------|rw---------|    pages 1, 2 faulted in, writable
 *   munlock [A+1, A+3)
 *   |rw-------------------------------------|
 */
static bool t_vma_mlock(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm, *chi;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 4 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	OK0(vm_mlock(mm, A + P, 2 * P));
	LAYOUT(mm, A, A + P, A + P, A + 3 * P, A + 3 * P, A + 4 * P);
	EXPECT(vma_lookup(mm, A + P)->flags & VM_LOCKED);
	EXPECT(!(mm->first->flags & VM_LOCKED));
	EXPECT_EQ(mm->locked_vm, 2);
	EXPECT_EQ(mm->rss, 2);
	EXPECT(pte_write(pte_at(mm, A + P)) && pte_write(pte_at(mm, A + 2 * P)));
	EXPECT(!pte_present(pte_at(mm, A)));
	CHECK_M(m);
	/* madvise dontneed / free refuse locked memory */
	EXPECT_EQ(vm_madvise(mm, A + P, P, MADV_DONTNEED_), -22);
	EXPECT_EQ(vm_madvise(mm, A + P, P, MADV_FREE_), -22);
	/* the child of a fork does not inherit the lock */
	OK0(mm_fork(mm, &chi));
	EXPECT_EQ(chi->locked_vm, 0);
	for (struct vm_area *v = chi->first; v; v = v->next)
		EXPECT(!(v->flags & VM_LOCKED_MASK));
	mm_destroy(chi);
	OK0(vm_munlock(mm, A + P, 2 * P));
	LAYOUT(mm, A, A + 4 * P);
	EXPECT_EQ(mm->locked_vm, 0);
	EXPECT_EQ(mm->rss, 2);                           /* munlock keeps the pages */
	CHECK_M(m);
	/* unaligned start and length round outwards */
	OK0(vm_mlock(mm, A + 8, P));
	LAYOUT(mm, A, A + 2 * P, A + 2 * P, A + 4 * P);
	EXPECT_EQ(mm->locked_vm, 2);
	/* a hole: -ENOMEM */
	EXPECT_EQ(vm_mlock(mm, A, 8 * P), -ENOMEM_);
	/* munmap of part of a locked VMA gives back its share */
	OK0(vm_mlock(mm, A, 4 * P));
	LAYOUT(mm, A, A + 4 * P);
	EXPECT_EQ(mm->locked_vm, 4);
	EXPECT_EQ(mm->rss, 4);
	OK0(vm_munmap(mm, A + P, 2 * P));
	EXPECT_EQ(mm->locked_vm, 2);
	EXPECT_EQ(locked_pages(mm), 2);
	/* MAP_LOCKED populates and counts */
	OK_ADDR(vm_mmap(mm, A + 16 * P, 3 * P, PROT_RW, PRIV_FIXED | MAP_LOCKED_, NULL, 0),
		A + 16 * P);
	EXPECT_EQ(mm->locked_vm, 5);
	EXPECT(pte_present(pte_at(mm, A + 18 * P)));
	CHECK_M(m);
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

/* ================================================================== */
/* Faults                                                               */
/* ================================================================== */

/*
 *   A        A+1      A+2      A+3
 *   |rw-------------------------|   |r--------|
 *    r: zero  w: new   r then w: zero, then new
 */
static bool t_fault_zero_and_new(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	uint64_t val = 1, free0;
	struct vm_frame *f;
	pte_t p;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 3 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	OK_ADDR(vm_mmap(mm, A + 4 * P, P, PROT_R, PRIV_FIXED, NULL, 0), A + 4 * P);
	(void)handle_mm_fault(mm, A, false);     /* table allocation out of the way */
	free0 = NR_FREE(m);
	/* read: the zero page, read-only, not counted in rss */
	EXPECT_EQ(peek(mm, A + P + 8, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0);
	p = pte_at(mm, A + P);
	EXPECT_EQ(pte_pfn(p), m->zero_pfn);
	EXPECT((p & PTE_PRESENT) && !pte_write(p));
	EXPECT_EQ(mm->rss, 0);
	EXPECT_EQ(mm->nr_ptes, 2);
	EXPECT_EQ(NR_FREE(m), free0);
	EXPECT_EQ(m->frames[m->zero_pfn].refcount, 0);
	EXPECT_EQ(m->frames[m->zero_pfn].mapcount, 0);
	/* write: a new zeroed page, writable and dirty, exclusively ours */
	EXPECT_EQ(poke(mm, A + 2 * P, 0x1234), VM_FAULT_OK);
	p = pte_at(mm, A + 2 * P);
	EXPECT(pte_pfn(p) != m->zero_pfn);
	EXPECT(pte_write(p) && (p & PTE_DIRTY));
	f = frame_at(mm, A + 2 * P);
	EXPECT_EQ(f->mapcount, 1);
	EXPECT_EQ(f->refcount, 1);
	EXPECT((f->flags & (PG_ANON | PG_ANON_EXCL)) == (PG_ANON | PG_ANON_EXCL));
	EXPECT_EQ(f->index, (A + 2 * P) >> PAGE_SHIFT);
	EXPECT_EQ(mm->rss, 1);
	EXPECT_EQ(NR_FREE(m), free0 - 1);
	{
		const uint64_t *d = pfn_data(m, pte_pfn(p));

		EXPECT_EQ(d[0], 0x1234);
		for (int i = 1; i < 512; i++)
			EXPECT_EQ(d[i], 0);
	}
	/* read, then write: the zero page is replaced by a new page */
	{
		uint64_t cow0 = m->stats.cow_copies;

		EXPECT_EQ(poke(mm, A + P, 7), VM_FAULT_OK);
		EXPECT(pfn_at(mm, A + P) != m->zero_pfn);
		EXPECT_EQ(m->stats.cow_copies, cow0 + 1);
		EXPECT_EQ(mm->rss, 2);
		EXPECT_EQ(mm->nr_ptes, 3);
	}
	/* protection: write to r-- and access outside any VMA are SIGSEGV */
	EXPECT_EQ(handle_mm_fault(mm, A + 4 * P, true), VM_FAULT_SEGV);
	EXPECT_EQ(handle_mm_fault(mm, A + 4 * P, false), VM_FAULT_OK);
	EXPECT_EQ(handle_mm_fault(mm, A + 3 * P, false), VM_FAULT_SEGV);
	EXPECT_EQ(handle_mm_fault(mm, 0, false), VM_FAULT_SEGV);
	OK0(vm_mprotect(mm, A, P, 0));
	EXPECT_EQ(handle_mm_fault(mm, A, false), VM_FAULT_SEGV);
	EXPECT_EQ(handle_mm_fault(mm, A, true), VM_FAULT_SEGV);
	CHECK_M(m);
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

/*
 * COW after fork:
 *   parent  A: w 0xa   fork
 *   both map the frame read-only, mapcount 2, refcount 2
 *   child w: a copy (contents kept), mapcount 1 + 1
 *   parent w: reuse (same frame, no copy)
 */
static bool t_fault_cow(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *par, *chi;
	uint64_t pfn, val, copies, reuses;

	EXPECT(m);
	par = mm_create(m);
	EXPECT(par);
	OK_ADDR(vm_mmap(par, A, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	EXPECT_EQ(poke(par, A, 0xa), VM_FAULT_OK);
	EXPECT_EQ(poke(par, A + P + 16, 0xb), VM_FAULT_OK);
	pfn = pfn_at(par, A);
	OK0(mm_fork(par, &chi));
	EXPECT_EQ(pfn_at(chi, A), pfn);
	EXPECT_EQ(pfn_frame(m, pfn)->mapcount, 2);
	EXPECT_EQ(pfn_frame(m, pfn)->refcount, 2);
	EXPECT(!(pfn_frame(m, pfn)->flags & PG_ANON_EXCL));
	EXPECT(!pte_write(pte_at(par, A)) && !pte_write(pte_at(chi, A)));
	EXPECT_EQ(chi->rss, 2);
	CHECK_M(m);
	copies = m->stats.cow_copies;
	reuses = m->stats.cow_reuses;
	EXPECT_EQ(poke(chi, A + 8, 0xc), VM_FAULT_OK);
	EXPECT(pfn_at(chi, A) != pfn);
	EXPECT_EQ(m->stats.cow_copies, copies + 1);
	EXPECT_EQ(pfn_frame(m, pfn)->mapcount, 1);
	EXPECT_EQ(frame_at(chi, A)->mapcount, 1);
	EXPECT_EQ(peek(chi, A, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0xa);                             /* copied */
	EXPECT_EQ(peek(par, A + 8, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0);                               /* the parent's is untouched */
	CHECK_M(m);
	EXPECT_EQ(poke(par, A, 0xd), VM_FAULT_OK);
	EXPECT_EQ(pfn_at(par, A), pfn);                  /* reused */
	EXPECT_EQ(m->stats.cow_reuses, reuses + 1);
	EXPECT(pte_write(pte_at(par, A)));
	EXPECT_EQ(peek(chi, A, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0xa);
	/* the second page: still shared; reading does not copy */
	EXPECT_EQ(peek(chi, A + P + 16, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0xb);
	EXPECT_EQ(pfn_at(chi, A + P), pfn_at(par, A + P));
	CHECK_M(m);
	/* a zero-page PTE is copied by fork as the zero page */
	OK_ADDR(vm_mmap(par, A + 8 * P, P, PROT_RW, PRIV_FIXED, NULL, 0), A + 8 * P);
	EXPECT_EQ(poke(par, A + 8 * P + 8, 1), VM_FAULT_OK);   /* gives the VMA an identity */
	EXPECT_EQ(vm_madvise(par, A + 8 * P, P, MADV_DONTNEED_), 0);
	EXPECT_EQ(peek(par, A + 8 * P, &val), VM_FAULT_OK);
	EXPECT_EQ(pfn_at(par, A + 8 * P), m->zero_pfn);
	mm_destroy(chi);
	OK0(mm_fork(par, &chi));
	EXPECT_EQ(pfn_at(chi, A + 8 * P), m->zero_pfn);
	EXPECT_EQ(poke(chi, A + 8 * P, 5), VM_FAULT_OK);
	EXPECT_EQ(peek(par, A + 8 * P, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0);
	CHECK_M(m);
	mm_destroy(chi);
	mm_destroy(par);
	ALL_FREE(m);
	return true;
}

/* the other side exited: the last mapper writes in place */
static bool t_fault_reuse_after_exit(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *par, *chi;
	uint64_t pfn0, pfn1, val;

	EXPECT(m);
	par = mm_create(m);
	EXPECT(par);
	OK_ADDR(vm_mmap(par, A, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	EXPECT_EQ(poke(par, A, 1), VM_FAULT_OK);
	EXPECT_EQ(poke(par, A + P, 2), VM_FAULT_OK);
	pfn0 = pfn_at(par, A);
	pfn1 = pfn_at(par, A + P);
	OK0(mm_fork(par, &chi));
	/* the child goes first: it exits; the parent keeps its frame */
	mm_destroy(chi);
	EXPECT_EQ(pfn_frame(m, pfn0)->mapcount, 1);
	EXPECT_EQ(poke(par, A, 3), VM_FAULT_OK);
	EXPECT_EQ(pfn_at(par, A), pfn0);
	CHECK_M(m);
	/* the parent goes first: the child keeps the frame */
	OK0(mm_fork(par, &chi));
	mm_destroy(par);
	EXPECT_EQ(pfn_frame(m, pfn1)->mapcount, 1);
	EXPECT_EQ(poke(chi, A + P, 4), VM_FAULT_OK);
	EXPECT_EQ(pfn_at(chi, A + P), pfn1);
	EXPECT_EQ(peek(chi, A, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 3);
	CHECK_M(m);
	mm_destroy(chi);
	ALL_FREE(m);
	return true;
}

/* ================================================================== */
/* exit and exec free everything                                        */
/* ================================================================== */

/*
 * A family of processes with shared, copied and zero pages, split and
 * moved VMAs, a heap; exec of one (its address space goes, the others keep
 * what they share), then every exit: all frames and objects come back.
 */
static bool t_exit_exec_free(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct freecount init;
	struct vm_mm *a, *b, *d;
	uint64_t val;

	EXPECT(m);
	freecount(m, &init);
	a = mm_create(m);
	EXPECT(a);
	OK_ADDR(vm_mmap(a, A, 64 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 64; i += 2)
		EXPECT_EQ(poke(a, A + i * P, (uint64_t)i), VM_FAULT_OK);
	for (int i = 1; i < 64; i += 4)
		EXPECT_EQ(peek(a, A + i * P, &val), VM_FAULT_OK);
	OK0(vm_brkbase(a, A + 0x1000000));
	EXPECT_EQ(vm_brk(a, A + 0x1000000 + 5 * P), A + 0x1000000 + 5 * P);
	EXPECT_EQ(poke(a, A + 0x1000000 + 4 * P, 1), VM_FAULT_OK);
	OK0(mm_fork(a, &b));
	OK0(vm_mprotect(b, A + 8 * P, 8 * P, PROT_R));
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(poke(b, A + 32 * P + i * P, 1000 + (uint64_t)i), VM_FAULT_OK);
	OK_ADDR(vm_mremap(b, A + 32 * P, 16 * P, 16 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_,
			  A + 0x400000), A + 0x400000);
	OK0(mm_fork(b, &d));
	EXPECT_EQ(poke(d, A + 0x400000, 5), VM_FAULT_OK);
	CHECK_M(m);
	/* exec of b: a fresh empty space; a and d keep their pages */
	mm_destroy(b);
	b = mm_create(m);
	EXPECT(b);
	EXPECT_EQ(b->map_count, 0);
	EXPECT_EQ(b->nr_pgtables, 1);
	CHECK_M(m);
	EXPECT_EQ(peek(d, A + 0x400000 + P, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 1001);
	EXPECT_EQ(peek(a, A + 2 * P, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 2);
	OK_ADDR(vm_mmap(b, 0, 3 * P, PROT_RW, MAP_PRIVATE_ | MAP_ANON_, NULL, 0), MMAP_BASE - 3 * P);
	EXPECT_EQ(poke(b, MMAP_BASE - P, 9), VM_FAULT_OK);
	CHECK_M(m);
	mm_destroy(a);
	CHECK_M(m);
	mm_destroy(d);
	CHECK_M(m);
	mm_destroy(b);
	CHECK_M(m);
	ALL_FREE(m);
	SAME_FREE(m, &init);
	EXPECT(list_empty(&m->mms));
	return true;
}

/* brk grows and shrinks the heap VMA, freeing its pages */
static bool t_brk(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	const uint64_t H = A + 0x10000;
	struct vm_mm *mm;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK0(vm_brkbase(mm, H));
	EXPECT_EQ(vm_brk(mm, 0), H);                     /* below start_brk: unchanged */
	EXPECT_EQ(vm_brk(mm, H + 100), H + 100);
	LAYOUT(mm, H, H + P);
	EXPECT_EQ(vm_brk(mm, H + 3 * P), H + 3 * P);
	LAYOUT(mm, H, H + 3 * P);                        /* the heap grows in place */
	EXPECT_EQ(poke(mm, H + 2 * P, 1), VM_FAULT_OK);
	EXPECT_EQ(poke(mm, H, 1), VM_FAULT_OK);
	EXPECT_EQ(vm_brk(mm, H + P), H + P);
	LAYOUT(mm, H, H + P);
	EXPECT_EQ(mm->rss, 1);
	EXPECT_EQ(handle_mm_fault(mm, H + 2 * P, false), VM_FAULT_SEGV);
	/* a mapping just above blocks growth into it (and its guard gap) */
	OK_ADDR(vm_mmap(mm, H + 4 * P, P, PROT_RW, PRIV_FIXED, NULL, 0), H + 4 * P);
	EXPECT_EQ(vm_brk(mm, H + 4 * P), H + P);
	CHECK_M(m);
	EXPECT_EQ(vm_brk(mm, H), H);
	LAYOUT(mm, H + 4 * P, H + 5 * P);
	CHECK_M(m);
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

/* mremap moves pages with their frames; grows in place when it can */
static bool t_mremap(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	const uint64_t B = A + 0x200000;
	struct vm_mm *mm, *chi;
	uint64_t pfn[4], val;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 4 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(poke(mm, A + i * P, 50 + (uint64_t)i), VM_FAULT_OK);
		pfn[i] = pfn_at(mm, A + i * P);
	}
	OK0(mm_fork(mm, &chi));
	/* grow in place: room above */
	OK_ADDR(vm_mremap(mm, A, 4 * P, 6 * P, 0, 0), A);
	LAYOUT(mm, A, A + 6 * P);
	/* move [A+1, A+3) to B: the middle goes, the frames follow */
	OK_ADDR(vm_mremap(mm, A + P, 2 * P, 2 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, B), B);
	LAYOUT(mm, A, A + P, A + 3 * P, A + 6 * P, B, B + 2 * P);
	EXPECT_EQ(pfn_at(mm, B), pfn[1]);
	EXPECT_EQ(pfn_at(mm, B + P), pfn[2]);
	EXPECT_EQ(vma_lookup(mm, B)->pgoff, (A + P) >> PAGE_SHIFT);   /* index kept */
	EXPECT_EQ(frame_at(mm, B)->mapcount, 2);
	CHECK_M(m);                                      /* the rmap still finds them */
	/* COW still works from the new place */
	EXPECT_EQ(poke(mm, B, 7), VM_FAULT_OK);
	EXPECT(pfn_at(mm, B) != pfn[1]);
	EXPECT_EQ(peek(chi, A + P, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 51);
	/* without maymove, growth into a neighbour fails; into the hole it works */
	EXPECT_EQ(vm_mremap(mm, A, P, 4 * P, 0, 0), VM_ERR(-ENOMEM_));
	OK_ADDR(vm_mremap(mm, A, P, 2 * P, 0, 0), A);
	LAYOUT(mm, A, A + 2 * P, A + 3 * P, A + 6 * P, B, B + 2 * P);
	OK_ADDR(vm_mremap(mm, A, 2 * P, P, 0, 0), A);
	/* move back next to the rest: no merge (pgoff does not continue) or merge, but sound */
	OK_ADDR(vm_mremap(mm, B, 2 * P, 2 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, A + P), A + P);
	LAYOUT(mm, A, A + 6 * P);
	EXPECT_EQ(pfn_at(mm, A + 2 * P), pfn[2]);
	EXPECT_EQ(peek(mm, A + P, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 7);
	CHECK_M(m);
	/* not mapped: -EFAULT */
	EXPECT_EQ(vm_mremap(mm, A + 0x100000, P, P, MREMAP_MAYMOVE_, 0), VM_ERR(-14));
	mm_destroy(chi);
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

/* madvise free + reclaim drops clean lazily freed pages; compaction */
static bool t_reclaim_compact(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	uint64_t val;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 8 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(poke(mm, A + i * P, 1 + (uint64_t)i), VM_FAULT_OK);
	OK0(vm_madvise(mm, A, 8 * P, MADV_FREE_));
	EXPECT_EQ(poke(mm, A + 7 * P, 99), VM_FAULT_OK);    /* written again: kept */
	EXPECT_EQ(mm_reclaim(m, 100), 7);
	EXPECT_EQ(mm->rss, 1);
	EXPECT_EQ(peek(mm, A, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0);
	EXPECT_EQ(peek(mm, A + 7 * P, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 99);
	EXPECT_EQ(mm_reclaim(m, 100), 0);
	CHECK_M(m);
	/* compaction: fill memory, free every other page, then ask for order 3 */
	{
		const uint64_t sz = 2048 * P, base = A + 0x400000;
		uint64_t end;

		OK_ADDR(vm_mmap(mm, base, sz, PROT_RW, PRIV_FIXED, NULL, 0), base);
		for (end = base; end < base + sz; end += P) {
			int f = poke(mm, end, end);

			if (f == VM_FAULT_OOM)
				break;
			EXPECT_EQ(f, VM_FAULT_OK);
		}
		EXPECT(end < base + sz);                 /* memory ran out */
		EXPECT_EQ(m->nr_free, 0);
		CHECK_M(m);
		for (uint64_t a = base; a < end; a += 2 * P)
			OK0(vm_munmap(mm, a, P));
		EXPECT_EQ(m->free[0].nr, m->nr_free);
		for (unsigned o = 3; o <= MAX_ORDER; o++)
			EXPECT_EQ(m->free[o].nr, 0);
		EXPECT_EQ(mm_compact(m, 3), 0);
		CHECK_M(m);
		for (uint64_t a = base + P; a < end; a += 2 * P) {
			EXPECT_EQ(peek(mm, a, &val), VM_FAULT_OK);
			EXPECT_EQ(val, a);
		}
		EXPECT_EQ(mm_compact(m, MAX_ORDER + 1), -ENOMEM_);
	}
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

/* ================================================================== */
/* Regressions: bugs found by these tests (fixed in d9fac13)            */
/* ================================================================== */

/* mremap moving a locked VMA: locked_vm must still count its pages
 * (Linux's move_vma adds new_len to locked_vm; unmap of the source
 * subtracts old_len) */
static bool t_bug_mremap_locked_vm(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 4 * P, PROT_RW, PRIV_FIXED | MAP_LOCKED_, NULL, 0), A);
	EXPECT_EQ(mm->locked_vm, 4);
	OK_ADDR(vm_mremap(mm, A, 4 * P, 4 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, A + 0x100000),
		A + 0x100000);
	EXPECT(vma_lookup(mm, A + 0x100000)->flags & VM_LOCKED);
	EXPECT_EQ(mm->locked_vm, locked_pages(mm));
	OK0(vm_munmap(mm, A + 0x100000, 4 * P));
	EXPECT_EQ(mm->locked_vm, 0);
	return true;
}

/* a lazily freed page that is then mlocked must not be reclaimed
 * (Linux: try_to_unmap_one refuses VM_LOCKED VMAs; the data stays) */
static bool t_bug_reclaim_mlocked(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	uint64_t val = 0;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	EXPECT_EQ(poke(mm, A, 0x1234), VM_FAULT_OK);
	OK0(vm_madvise(mm, A, P, MADV_FREE_));
	OK0(vm_mlock(mm, A, P));
	EXPECT_EQ(mm_reclaim(m, 1), 0);
	EXPECT_EQ(peek(mm, A, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0x1234);
	return true;
}

/* a page faulted in under mlock stays unreclaimable after munlock */
static bool t_bug_munlock_keeps_mlocked(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, P, PROT_RW, PRIV_FIXED | MAP_LOCKED_, NULL, 0), A);
	OK0(vm_munlock(mm, A, P));
	OK0(vm_madvise(mm, A, P, MADV_FREE_));
	EXPECT_EQ(mm_reclaim(m, 1), 1);
	EXPECT_EQ(mm->rss, 0);
	return true;
}

/* ================================================================== */
/* Fault injection                                                      */
/* ================================================================== */

enum st { ST_ADDR, ST_INT, ST_FAULT, ST_VAL, ST_MM, ST_BRK_FAILED, ST_BRK };

#define MAXSTEPS 128
#define SKIP     0x5c1b5c1b5c1b5c1bULL    /* the step's process does not exist */
#define NOVAL    0x0a1a0a1a0a1a0a1aULL    /* a load that faulted has no value */

struct run {
	struct ctx *c;
	struct vm_machine *m;
	const uint64_t *ref;    /* the reference run's results, NULL while recording */
	uint64_t res[MAXSTEPS]; /* this run's results */
	int n;                  /* steps so far */
	bool failed;            /* some step failed for lack of memory */
	bool bad;               /* a test failure (message in c->why) */
};

static bool is_nomem(enum st k, uint64_t r)
{
	switch (k) {
	case ST_ADDR: return r == VM_ERR(-ENOMEM_);
	case ST_INT: return r == (uint64_t)-ENOMEM_ || r == (uint64_t)-11;  /* -EAGAIN: madvise, mlock */
	case ST_FAULT: return r == VM_FAULT_OOM;
	case ST_MM: return r == (uint64_t)-ENOMEM_;
	case ST_VAL: return false;
	case ST_BRK: return false;
	case ST_BRK_FAILED: return true;      /* brk(2) answers the old break */
	}
	return false;
}

/* record a step's result: before any failure it must be the reference's,
 * or a clean -ENOMEM / VM_FAULT_OOM; and the machine must be sound */
static void step(struct run *r, int line, enum st kind, uint64_t res)
{
	struct list_head *p;

	if (r->bad)
		return;
	if (r->n == MAXSTEPS) {
		r->bad = !say(r->c, line, "too many steps");
		return;
	}
	r->res[r->n] = res;
	if (r->ref && res != r->ref[r->n]) {
		if (res == SKIP || is_nomem(kind, res))
			r->failed = true;
		else if (!r->failed) {
			r->bad = !say(r->c, line, "step %d: result %#" PRIx64 ", reference %#" PRIx64
				      ", and no allocation had failed", r->n, res, r->ref[r->n]);
			return;
		}
	}
	if (!r->ref && (res == SKIP || is_nomem(kind, res))) {
		r->bad = !say(r->c, line, "reference run: step %d failed (%#" PRIx64 ")", r->n, res);
		return;
	}
	r->n++;
	if (!check_machine(r->m)) {
		r->bad = !say(r->c, line, "after step %d: %s", r->n - 1, r->m->why);
		return;
	}
	list_for_each(p, &r->m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		if (mm->locked_vm != locked_pages(mm)) {
			r->bad = !say(r->c, line, "after step %d: locked_vm %" PRIu64 ", but %" PRIu64
				      " pages in VM_LOCKED VMAs", r->n - 1, mm->locked_vm,
				      locked_pages(mm));
			return;
		}
	}
}

#define S_ADDR(mm, expr)  step(r, __LINE__, ST_ADDR, (mm) ? (uint64_t)(expr) : SKIP)
#define S_INT(mm, expr)   step(r, __LINE__, ST_INT, (mm) ? (uint64_t)(int64_t)(expr) : SKIP)
#define S_FAULT(mm, expr) step(r, __LINE__, ST_FAULT, (mm) ? (uint64_t)(expr) : SKIP)

static void s_poke(struct run *r, int line, struct vm_mm *mm, uint64_t addr, uint64_t v)
{
	step(r, line, ST_FAULT, mm ? (uint64_t)poke(mm, addr, v) : SKIP);
}

static void s_peek(struct run *r, int line, struct vm_mm *mm, uint64_t addr)
{
	uint64_t v = SKIP;
	int f = mm ? peek(mm, addr, &v) : 0;

	step(r, line, ST_FAULT, mm ? (uint64_t)f : SKIP);
	step(r, line, ST_VAL, !mm ? SKIP : f == VM_FAULT_OK ? v : NOVAL);
}

static void s_brk(struct run *r, int line, struct vm_mm *mm, uint64_t brk)
{
	uint64_t old = mm ? mm->brk : 0, res = mm ? vm_brk(mm, brk) : SKIP;

	step(r, line, mm && res == old && brk != old ? ST_BRK_FAILED : ST_BRK, res);
}

static struct vm_mm *s_create(struct run *r, int line)
{
	struct vm_mm *mm = mm_create(r->m);

	step(r, line, ST_MM, mm ? 0 : (uint64_t)-ENOMEM_);
	return mm;
}

static struct vm_mm *s_fork(struct run *r, int line, struct vm_mm *par)
{
	struct vm_mm *chi = NULL;
	int err = par ? mm_fork(par, &chi) : 0;

	step(r, line, ST_MM, par ? (uint64_t)(int64_t)err : SKIP);
	return err ? NULL : chi;
}

static void s_destroy(struct run *r, int line, struct vm_mm **mm)
{
	if (*mm)
		mm_destroy(*mm);
	*mm = NULL;
	step(r, line, ST_INT, 0);
}

/*
 * The scenario: three processes, fork and COW, splits and merges, moves,
 * locks, heap, exec, exit, reclaim and compaction.  Every step is recorded.
 */
static void scenario(struct run *r)
{
	const uint64_t B = A + 0x200000, H = A + 0x1000000;
	struct vm_mm *a, *b, *d;

	a = s_create(r, __LINE__);
	S_ADDR(a, vm_mmap(a, A, 16 * P, PROT_RW, PRIV_FIXED, NULL, 0));
	for (int i = 0; i < 16; i += 1 + (i & 1))
		s_poke(r, __LINE__, a, A + i * P, 0x100 + (uint64_t)i);
	s_peek(r, __LINE__, a, A + 15 * P);
	S_INT(a, vm_brkbase(a, H));
	s_brk(r, __LINE__, a, H + 3 * P);
	s_poke(r, __LINE__, a, H + P, 0x77);
	b = s_fork(r, __LINE__, a);
	for (int i = 0; i < 8; i++)
		s_poke(r, __LINE__, b, A + i * P, 0x200 + (uint64_t)i);
	s_poke(r, __LINE__, a, A + 4 * P, 0x300);
	s_poke(r, __LINE__, a, A + 12 * P, 0x301);
	S_INT(a, vm_mprotect(a, A + 2 * P, 3 * P, PROT_R));
	S_INT(b, vm_mprotect(b, A + 6 * P, 4 * P, PROT_R));
	S_INT(a, vm_mprotect(a, A + 2 * P, 3 * P, PROT_RW));
	S_INT(a, vm_madvise(a, A + 9 * P, 2 * P, MADV_DONTFORK_));
	S_ADDR(a, vm_mremap(a, A + 8 * P, 4 * P, 4 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, B));
	S_ADDR(b, vm_mremap(b, A, 4 * P, 8 * P, MREMAP_MAYMOVE_, 0));
	s_poke(r, __LINE__, a, B + P, 0x400);
	S_INT(b, vm_mlock(b, A + 10 * P, 3 * P));
	S_ADDR(a, vm_mmap(a, A + 32 * P, 8 * P, PROT_RW, PRIV_FIXED | MAP_POPULATE_, NULL, 0));
	S_INT(a, vm_munmap(a, A + 34 * P, 2 * P));
	s_brk(r, __LINE__, a, H + P);
	d = s_fork(r, __LINE__, b);
	s_destroy(r, __LINE__, &b);
	for (int i = 10; i < 16; i++)
		s_poke(r, __LINE__, d, A + i * P, 0x500 + (uint64_t)i);
	s_peek(r, __LINE__, d, A + 13 * P);
	S_INT(a, vm_madvise(a, A, 4 * P, MADV_FREE_));
	S_INT(a, vm_madvise(a, A + 12 * P, 4 * P, MADV_DONTNEED_));
	step(r, __LINE__, ST_VAL, mm_reclaim(r->m, 16));
	S_ADDR(a, vm_mremap(a, B, 4 * P, 2 * P, 0, 0));
	S_ADDR(a, vm_mremap(a, B, 2 * P, 64 * P, MREMAP_MAYMOVE_, 0));
	step(r, __LINE__, ST_INT, (uint64_t)(int64_t)mm_compact(r->m, 2));
	/* exec of a */
	s_destroy(r, __LINE__, &a);
	a = s_create(r, __LINE__);
	S_ADDR(a, vm_mmap(a, 0, 4 * P, PROT_RW, MAP_PRIVATE_ | MAP_ANON_, NULL, 0));
	s_poke(r, __LINE__, a, MMAP_BASE - P, 1);
	b = s_fork(r, __LINE__, d);
	s_poke(r, __LINE__, b, A + 11 * P, 0x600);
	s_peek(r, __LINE__, b, A + 14 * P);
	s_destroy(r, __LINE__, &d);
	s_poke(r, __LINE__, b, A + 14 * P, 0x601);      /* reuse: d is gone */
	S_INT(b, vm_munmap(b, A, 64 * P));
	s_destroy(r, __LINE__, &a);
	s_destroy(r, __LINE__, &b);
}

/*
 * The same for files and shared memory: a file in the page cache mapped
 * private (COW of file pages) and shared, shared anonymous memory across
 * fork, truncate, pwrite, hole punching, reclaim and compaction of
 * page-cache pages.
 */
static void scenario_files(struct run *r)
{
	const uint64_t F = A + 0x100000, S = A + 0x200000;
	struct vm_mm *a, *b;
	struct vm_file *f = NULL;
	int err = 0;

	a = s_create(r, __LINE__);
	f = file_create(r->m, "f", 12 * P + 100, 7, &err);
	step(r, __LINE__, ST_MM, f ? 0 : (uint64_t)(int64_t)err);
	S_ADDR(a && f, vm_mmap(a, A, 8 * P, PROT_RW, MAP_PRIVATE_ | MAP_FIXED_, f, 0));
	S_ADDR(a && f, vm_mmap(a, F, 8 * P, PROT_RW, MAP_SHARED_ | MAP_FIXED_, f, 4 * P));
	S_ADDR(a, vm_mmap(a, S, 8 * P, PROT_RW, MAP_SHARED_ | MAP_ANON_ | MAP_FIXED_, NULL, 0));
	s_peek(r, __LINE__, a, A + P);
	s_poke(r, __LINE__, a, A + 2 * P, 0x10);          /* COW of a file page */
	s_poke(r, __LINE__, a, F + P, 0x11);              /* into the page cache */
	s_peek(r, __LINE__, a, A + 5 * P);                /* the same page, privately mapped */
	s_poke(r, __LINE__, a, S, 0x12);
	s_poke(r, __LINE__, a, S + 3 * P, 0x13);
	b = s_fork(r, __LINE__, a);
	s_peek(r, __LINE__, b, S);
	s_poke(r, __LINE__, b, S + 4 * P, 0x14);
	s_peek(r, __LINE__, a, S + 4 * P);
	s_poke(r, __LINE__, b, A + 2 * P, 0x15);          /* COW of an anon copy */
	s_poke(r, __LINE__, b, F + 2 * P, 0x16);
	S_INT(b, vm_mprotect(b, F + P, 2 * P, PROT_R));
	S_ADDR(b, vm_mremap(b, S, 8 * P, 8 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, S + 0x100000));
	s_peek(r, __LINE__, b, S + 0x100000);
	S_INT(a, vm_madvise(a, S + 2 * P, 2 * P, MADV_REMOVE_));
	S_INT(a, vm_madvise(a, A, 8 * P, MADV_DONTNEED_));
	step(r, __LINE__, ST_INT, f ? (uint64_t)(int64_t)file_write8(f, 5 * P + 8, 0x17) : SKIP);
	step(r, __LINE__, ST_INT, f ? (uint64_t)(int64_t)file_truncate(f, 6 * P) : SKIP);
	s_peek(r, __LINE__, a, F + 3 * P);                /* past the end now: SIGBUS */
	step(r, __LINE__, ST_VAL, mm_reclaim(r->m, 64));
	step(r, __LINE__, ST_INT, (uint64_t)(int64_t)mm_compact(r->m, 3));
	s_peek(r, __LINE__, b, F + P);
	S_INT(b, vm_munmap(b, A, 0x400000));
	s_destroy(r, __LINE__, &a);
	if (f)
		file_put(f);
	step(r, __LINE__, ST_INT, 0);
	s_destroy(r, __LINE__, &b);
}

static bool fault_injection(struct ctx *c, void (*scen)(struct run *r))
{
	struct run *ref = calloc(1, sizeof(*ref)), *r = calloc(1, sizeof(*r));
	uint64_t allocs = 0, n, nfailed = 0;
	bool ok = true;

	if (!ref || !r) {
		free(ref);
		free(r);
		FAIL("out of host memory");
	}
	/* the reference run: nothing fails */
	for (n = 0; ok; n++) {
		struct vm_machine m;
		struct freecount init;
		bool injected;

		if (machine_init(&m, 4ULL << 20, c->scheme)) {
			ok = say(c, __LINE__, "machine_init failed");
			break;
		}
		freecount(&m, &init);
		memset(r, 0, sizeof(*r));
		r->c = c;
		r->m = &m;
		r->ref = n ? ref->res : NULL;
		m.fail_alloc_at = n;            /* 0 for the reference run */
		scen(r);
		injected = n && m.nr_allocs >= n;
		allocs = m.nr_allocs;
		if (!r->bad && (m.nr_free + 1 != m.nr_frames || m.stats.nr_vmas ||
				m.stats.vma_bytes || m.stats.rmap_bytes || m.stats.anon_bytes))
			r->bad = !say(c, __LINE__, "leak: %" PRIu64 " of %" PRIu64 " frames free, "
				      "%" PRIu64 " VMAs, %" PRIu64 " rmap bytes, %" PRIu64
				      " identity bytes", m.nr_free, m.nr_frames, m.stats.nr_vmas,
				      m.stats.rmap_bytes, m.stats.anon_bytes);
		if (!r->bad && !same_free(c, __LINE__, &m, &init))
			r->bad = true;
		if (!r->bad && n && !injected && (r->failed || r->n != ref->n))
			r->bad = !say(c, __LINE__, "no allocation failed, but the run differs");
		if (!r->bad && injected && !r->failed && r->n == ref->n &&
		    !memcmp(r->res, ref->res, sizeof(r->res[0]) * (size_t)r->n)) {
			/* a failure that changed no result is fine (e.g. a retry) */
		}
		machine_fini(&m);
		nfailed += r->failed;
		if (r->bad) {
			char pre[40];
			size_t lp = (size_t)snprintf(pre, sizeof(pre), "fail_alloc_at %" PRIu64 ": ", n);

			memmove(c->why + lp, c->why, WHYLEN - lp - 1);
			c->why[WHYLEN - 1] = 0;
			memcpy(c->why, pre, lp);
			ok = false;
			break;
		}
		if (!n) {
			*ref = *r;
			if (allocs < 30) {
				ok = say(c, __LINE__, "the scenario makes only %" PRIu64 " allocations",
					 allocs);
				break;
			}
		}
		if (n && !injected)
			break;                  /* past the last allocation */
		if (n > 100000) {
			ok = say(c, __LINE__, "does not end");
			break;
		}
	}
	if (ok)
		printf("# fault injection: %" PRIu64 " runs over %" PRIu64 " allocations and %d steps; "
		       "%" PRIu64 " runs saw a call fail\n", n, allocs, ref->n, nfailed);
	if (ok && nfailed < n / 2)
		ok = say(c, __LINE__, "only %" PRIu64 " of %" PRIu64 " injected failures were seen",
			 nfailed, n);
	free(ref);
	free(r);
	return ok;
}

static bool t_fault_injection(struct ctx *c)
{
	return fault_injection(c, scenario);
}

static bool t_fault_injection_files(struct ctx *c)
{
	return fault_injection(c, scenario_files);
}

/*
 * Random operations on a few address spaces in a 64-page window, with an
 * allocation failure injected now and then: after every operation the
 * machine must check, locked_vm must match, and at the end everything is
 * freed.  (The fuzzer does the same through traces, without a seed.)
 */
static bool t_random_ops(struct ctx *c)
{
	struct vm_machine *m = machine(c, 2ULL << 20);   /* 512 frames: OOM happens */
	enum { NMM = 4, STEPS = 3000 };
	struct vm_mm *mm[NMM] = { 0 };
	int64_t lkdiff[NMM] = { 0 };    /* locked_vm - pages in VM_LOCKED VMAs */
	static const enum madv adv[] = {
		MADV_NORMAL_, MADV_RANDOM_, MADV_DONTNEED_, MADV_FREE_, MADV_DONTFORK_,
		MADV_DOFORK_, MADV_WIPEONFORK_, MADV_KEEPONFORK_, MADV_PAGEOUT_,
		MADV_POPULATE_READ_, MADV_POPULATE_WRITE_,
	};
	static const unsigned prots[] = { PROT_RW, PROT_R, 0, PROT_RW | PROT_EXEC_, PROT_WRITE_ };

	EXPECT(m);
	OK0(check_changes_start(m));
	for (int step = 0; step < STEPS; step++) {
		unsigned i = below(c, NMM), op = below(c, 16);
		uint64_t a = A + below(c, 64) * P, len = (1 + below(c, 12)) * P, v;
		struct vm_mm *x = mm[i];
		bool dontunmap = false;

		if (below(c, 40) == 0)
			m->fail_alloc_at = m->nr_allocs + 1 + below(c, 20);
		if (!x && op != 0)
			op = 0;
		switch (op) {
		case 0:
			if (!x) {
				mm[i] = mm_create(m);
				lkdiff[i] = 0;
			} else if (below(c, 2)) {
				mm_destroy(x);
				mm[i] = NULL;
			} else {
				unsigned j = below(c, NMM);

				if (!mm[j]) {
					if (mm_fork(x, &mm[j]))
						mm[j] = NULL;
					lkdiff[j] = 0;
				}
			}
			break;
		case 1: case 2:
			(void)vm_mmap(x, below(c, 8) ? a : 0, len, prots[below(c, 5)],
				      MAP_PRIVATE_ | MAP_ANON_ | (below(c, 4) ? MAP_FIXED_ : 0) |
				      (below(c, 8) ? 0 : MAP_POPULATE_) | (below(c, 10) ? 0 : MAP_LOCKED_),
				      NULL, 0);
			break;
		case 3:
			(void)vm_munmap(x, a, len);
			break;
		case 4:
			(void)vm_mprotect(x, a, len, prots[below(c, 5)]);
			break;
		case 5:
			(void)vm_mremap(x, a, len, (1 + below(c, 12)) * P,
					below(c, 3) ? MREMAP_MAYMOVE_ : 0, 0);
			break;
		case 6:
			dontunmap = !below(c, 4);
			(void)vm_mremap(x, a, len, len, MREMAP_MAYMOVE_ | MREMAP_FIXED_ |
					(dontunmap ? MREMAP_DONTUNMAP_ : 0), A + below(c, 64) * P);
			break;
		case 7:
			(void)vm_madvise(x, a, len, adv[below(c, sizeof(adv) / sizeof(adv[0]))]);
			break;
		case 8:
			if (below(c, 2))
				(void)vm_mlock(x, a, len);
			else
				(void)vm_munlock(x, a, len);
			break;
		case 9:
			if (!x->start_brk)
				(void)vm_brkbase(x, A + 0x80000);
			(void)vm_brk(x, A + 0x80000 + below(c, 16) * P);
			break;
		case 10:
			(void)mm_reclaim(m, below(c, 16));
			break;
		case 11:
			(void)mm_compact(m, below(c, 5));
			break;
		case 12: case 13:
			(void)peek(x, a + below(c, 512) * 8, &v);
			break;
		default:
			(void)poke(x, a + below(c, 512) * 8, (uint64_t)step);
			break;
		}
		m->fail_alloc_at = 0;
		/* the change checker first: it must pass wherever the whole
		 * check passes, failed calls and all */
		if (!check_changes(m))
			FAIL("step %d (op %u on mm %u): check_changes: %s", step, op, i, m->why);
		if (!check_machine(m))
			FAIL("step %d (op %u on mm %u): %s", step, op, i, m->why);
		/*
		 * locked_vm counts the pages of VM_LOCKED VMAs, except that a
		 * MREMAP_DONTUNMAP move of a locked VMA adds the new range and
		 * unlocks the old without subtracting it, as Linux does
		 * ("because we won't unmap we don't need to touch locked_vm")
		 */
		for (unsigned k = 0; k < NMM; k++) {
			int64_t d;

			if (!mm[k])
				continue;
			d = (int64_t)(mm[k]->locked_vm - locked_pages(mm[k]));
			if (dontunmap && k == i)
				lkdiff[k] = d;
			else if (d != lkdiff[k])
				FAIL("step %d (op %u on mm %u): mm %u has locked_vm %" PRIu64 ", %" PRIu64
				     " pages in VM_LOCKED VMAs (off by %" PRId64 ", was %" PRId64 ")",
				     step, op, i, k, mm[k]->locked_vm, locked_pages(mm[k]), d, lkdiff[k]);
		}
	}
	for (unsigned k = 0; k < NMM; k++)
		if (mm[k])
			mm_destroy(mm[k]);
	CHECK_M(m);
	ALL_FREE(m);
	return true;
}

/* ================================================================== */
/* Two machines                                                         */
/* ================================================================== */

/*
 * Two machines in one process, driven in lockstep with different data:
 * the same pfns may be handed out in both, but contents, counts and free
 * lists stay each machine's own.
 */
/*
 * The checkers catch stale rmap keys: a VMA whose pgoff moved without its
 * i_mmap node and its anon_vma_chain links being re-keyed must fail
 * check_machine, and pass again once put back.
 *
 *   A         A+4P
 *   |file, private, one COW page|    i_mmap node + anon_vma_chain
 */
static bool t_check_stale_rmap_keys(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_file *f;
	struct vm_mm *mm;
	struct vm_area *v;
	int err;

	EXPECT(m);
	f = file_create(m, "k", 4 * P, 3, &err);
	EXPECT(f && !err);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 4 * P, PROT_RW, MAP_PRIVATE_ | MAP_FIXED_, f, 0), A);
	EXPECT_EQ(poke(mm, A + P, 0x55), VM_FAULT_OK);   /* COW: anon identity */
	CHECK_M(m);
	v = vma_lookup(mm, A);
	EXPECT(v && v->anon && v->file == f);
	/* i_mmap only */
	v->shared.last++;
	EXPECT(!check_machine(m));
	v->shared.last--;
	CHECK_M(m);
	/* pgoff moved behind the back of both trees */
	v->pgoff++;
	EXPECT(!check_machine(m));
	v->pgoff--;
	CHECK_M(m);
	mm_destroy(mm);
	file_put(f);
	CHECK_M(m);
	return true;
}

#define CHECK_CHANGES(m) do {							\
	if (!check_changes(m))							\
		FAIL("check_changes: %s", (m)->why);				\
} while (0)
/* the change checker must fail now; the whole-machine one too */
#define CAUGHT(m, what) do {							\
	if (check_changes(m))							\
		FAIL("check_changes missed %s", what);				\
	if (check_machine(m))							\
		FAIL("check_machine missed %s", what);				\
} while (0)

/*
 * check_changes checks what the operations since the last check changed,
 * and catches what they broke there: each corruption below is made where
 * an operation just worked (as a bug in it would leave it), and must be
 * caught; one made where nothing changed is left to check_machine.
 *
 *      A        A+4P       A+8P            A+64P
 *      |  anon  |  anon     |   file k ...  |
 */
static bool t_check_changes(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm, *child;
	struct vm_file *f;
	struct vm_frame *fr;
	struct vm_area *v;
	pte_t *pte, saved;
	int err;

	EXPECT(m);
	OK0(check_changes_start(m));
	f = file_create(m, "k", 16 * P, 3, &err);
	EXPECT(f && !err);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 8 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	OK_ADDR(vm_mmap(mm, A + 8 * P, 16 * P, PROT_RW, MAP_SHARED_ | MAP_FIXED_, f, 0), A + 8 * P);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(poke(mm, A + i * P, (uint64_t)i), VM_FAULT_OK);
	CHECK_CHANGES(m);
	EXPECT(check_changes(m));                   /* nothing changed: nothing to fail */

	/* a fault that miscounts the page it maps */
	EXPECT_EQ(poke(mm, A + 8 * P, 1), VM_FAULT_OK);
	fr = frame_at(mm, A + 8 * P);
	fr->mapcount++;
	CAUGHT(m, "a mapcount one too high");
	fr->mapcount--;
	CHECK_M(m);
	CHECK_CHANGES(m);

	/* fork, then a PTE the child's copy wrote behind the rmap's back:
	 * it maps the parent's page at another index */
	OK0(mm_fork(mm, &child));
	pte = pte_lookup(child, A + 2 * P);
	saved = *pte;
	*pte = (*pte & ~PTE_PFN_MASK) | (pfn_at(mm, A + 3 * P) << PAGE_SHIFT);
	CAUGHT(m, "a PTE mapping the wrong page");
	*pte = saved;
	CHECK_M(m);
	CHECK_CHANGES(m);

	/* a COW that forgets to take the old page's mapping away */
	EXPECT_EQ(poke(child, A + 5 * P, 0x55), VM_FAULT_OK);
	fr = frame_at(mm, A + 5 * P);
	fr->mapcount++;
	fr->refcount++;
	CAUGHT(m, "a mapping left counted after COW");
	fr->mapcount--;
	fr->refcount--;
	CHECK_M(m);
	CHECK_CHANGES(m);

	/* munmap that leaves the VMA tree's gaps stale */
	OK0(vm_munmap(child, A + 6 * P, P));
	v = vma_lookup(child, A + 7 * P);
	EXPECT(v);
	v->gap_max += P;
	CAUGHT(m, "a stale gap");
	v->gap_max -= P;
	CHECK_M(m);
	CHECK_CHANGES(m);

	/* munmap that frees a page but leaves it off the free lists */
	OK0(vm_munmap(child, A, P));
	OK0(vm_munmap(mm, A, P));
	{
		uint32_t p = frames_alloc(m, 0);        /* a page nobody will free */

		EXPECT(p != FRAME_NIL);
		pfn_frame(m, p)->refcount = 0;          /* "freed" without its list */
		check_note_frame(m, p);
		CAUGHT(m, "a free frame on no list");
		pfn_frame(m, p)->refcount = 1;
		frame_put(m, p);
	}
	CHECK_M(m);
	CHECK_CHANGES(m);

	/* truncate that forgets a mapping past the new end */
	OK0(file_truncate(f, 4 * P));
	EXPECT_EQ(poke(mm, A + 9 * P, 2), VM_FAULT_OK);
	pte = pte_lookup(mm, A + 8 * P + 4 * P);
	EXPECT(pte && pte_none(*pte));
	*pte = pte_at(mm, A + 9 * P);               /* page 1 again, at page 4 */
	pfn_frame(m, pte_pfn(*pte))->mapcount++;
	pfn_frame(m, pte_pfn(*pte))->refcount++;
	mm->nr_ptes++;
	mm->rss++;
	check_note_file(f);
	CAUGHT(m, "a page mapped past the end of a truncated file");
	zap_pte(vma_lookup(mm, A + 12 * P), A + 12 * P, pte);
	CHECK_M(m);
	CHECK_CHANGES(m);

	/* a corruption where nothing changed is the whole check's business */
	fr = frame_at(mm, A + 3 * P);
	fr->mapcount++;
	EXPECT(check_changes(m));
	EXPECT(!check_machine(m));
	fr->mapcount--;
	CHECK_M(m);

	mm_destroy(child);
	mm_destroy(mm);
	file_put(f);
	CHECK_CHANGES(m);
	CHECK_M(m);
	check_changes_stop(m);
	return true;
}

static bool t_two_machines(struct ctx *c)
{
	struct vm_machine *m1 = machine(c, MEM), *m2 = machine(c, 4ULL << 20);
	struct freecount f1, f2;
	struct vm_mm *a1, *a2, *b1;
	uint64_t v;

	EXPECT(m1 && m2);
	freecount(m1, &f1);
	freecount(m2, &f2);
	a1 = mm_create(m1);
	a2 = mm_create(m2);
	EXPECT(a1 && a2);
	EXPECT(a1->machine == m1 && a2->machine == m2);
	OK_ADDR(vm_mmap(a1, A, 32 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	OK_ADDR(vm_mmap(a2, A, 32 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 32; i++) {
		EXPECT_EQ(poke(a1, A + i * P, 0x1000 + (uint64_t)i), VM_FAULT_OK);
		EXPECT_EQ(poke(a2, A + i * P, 0x2000 + (uint64_t)i), VM_FAULT_OK);
	}
	/* same allocation sequence: same pfns, different bytes */
	EXPECT_EQ(pfn_at(a1, A + 5 * P), pfn_at(a2, A + 5 * P));
	OK0(mm_fork(a1, &b1));
	OK0(vm_mprotect(a2, A + 4 * P, 4 * P, PROT_R));
	EXPECT_EQ(poke(b1, A, 0x3000), VM_FAULT_OK);
	OK0(vm_munmap(a2, A + 16 * P, 16 * P));
	EXPECT_EQ(a1->map_count, 1);
	EXPECT_EQ(a2->map_count, 3);
	EXPECT_EQ(m1->stats.nr_vmas, 2);
	EXPECT_EQ(m2->stats.nr_vmas, 3);
	EXPECT_EQ(m2->stats.cow_copies, 0);
	EXPECT_EQ(m1->stats.cow_copies, 1);
	for (int i = 0; i < 32; i++) {
		EXPECT_EQ(peek(a1, A + i * P, &v), VM_FAULT_OK);
		EXPECT_EQ(v, 0x1000 + (uint64_t)i);
		if (i < 16) {
			EXPECT_EQ(peek(a2, A + i * P, &v), VM_FAULT_OK);
			EXPECT_EQ(v, 0x2000 + (uint64_t)i);
		}
	}
	EXPECT_EQ(a2->rss, 16);
	EXPECT_EQ(NR_FREE(m2), f2.total - 16 - 4);
	CHECK_M(m1);
	CHECK_M(m2);
	mm_destroy(a1);
	CHECK_M(m2);
	EXPECT_EQ(peek(b1, A + P, &v), VM_FAULT_OK);
	EXPECT_EQ(v, 0x1001);
	mm_destroy(a2);
	CHECK_M(m1);
	mm_destroy(b1);
	SAME_FREE(m1, &f1);
	SAME_FREE(m2, &f2);
	CHECK_M(m1);
	CHECK_M(m2);
	return true;
}

/* ================================================================== */

struct test {
	const char *name;
	bool (*fn)(struct ctx *c);
	const char *todo;       /* non-NULL: a known bug, reported as TODO */
};

static const struct test tests[] = {
	{ "buddy: initial free lists", t_buddy_initial, NULL },
	{ "buddy: a lazy start hands out the same frames as an eager one", t_buddy_deferred, NULL },
	{ "buddy: a 1 TiB machine starts lazily", t_buddy_huge_lazy, NULL },
	{ "slab: objects from frames, given back, poisoned when free", t_slab, NULL },
	{ "buddy: orders 0..10 aligned, disjoint, zeroed; freeing restores the lists", t_buddy_orders, NULL },
	{ "buddy: split files upper halves, free coalesces", t_buddy_split_coalesce, NULL },
	{ "buddy: exhaustion returns FRAME_NIL cleanly", t_buddy_exhaust, NULL },
	{ "buddy: random alloc/free against an ownership map", t_buddy_random, NULL },
	{ "page tables: allocated on demand, one per level", t_pgtable_on_demand, NULL },
	{ "page tables: munmap frees the tables of the range only", t_pgtable_munmap_frees, NULL },
	{ "page tables: walk_ptes visits exactly the present PTEs", t_walk_ptes, NULL },
	{ "vma: mprotect middle splits in 3, back merges to 1", t_vma_mprotect_split_merge, NULL },
	{ "vma: munmap middle leaves 2", t_vma_munmap_middle, NULL },
	{ "vma: adjacent anon mmaps merge, different identities do not", t_vma_mmap_merge, NULL },
	{ "vma: after fork, the child's VMAs do not merge with new ones", t_vma_fork_no_merge, NULL },
	{ "vma: madvise flag advice splits and merges", t_vma_madvise_split, NULL },
	{ "vma: mlock/munlock split, populate, count", t_vma_mlock, NULL },
	{ "fault: zero page on read, new page on write, SEGV", t_fault_zero_and_new, NULL },
	{ "fault: COW after fork copies, last mapper reuses", t_fault_cow, NULL },
	{ "fault: reuse when the other side exited", t_fault_reuse_after_exit, NULL },
	{ "exit/exec free every frame and object", t_exit_exec_free, NULL },
	{ "brk grows, shrinks, respects neighbours", t_brk, NULL },
	{ "mremap grows in place, moves frames, keeps index", t_mremap, NULL },
	{ "reclaim of lazily freed pages; compaction", t_reclaim_compact, NULL },
	{ "fault injection: every allocation of a scenario fails in turn", t_fault_injection, NULL },
	{ "fault injection: files, page cache and shared memory", t_fault_injection_files, NULL },
	{ "random operations with injected failures keep the machine sound", t_random_ops, NULL },
	{ "two machines side by side stay independent", t_two_machines, NULL },
	{ "checkers catch stale i_mmap and anon_vma_chain keys", t_check_stale_rmap_keys, NULL },
	{ "check_changes catches what an operation broke where it worked", t_check_changes, NULL },
	/* regressions: these were bugs, fixed in d9fac13 */
	{ "mremap of a locked VMA keeps locked_vm", t_bug_mremap_locked_vm, NULL },
	{ "reclaim keeps lazily freed pages that were mlocked later", t_bug_reclaim_mlocked, NULL },
	{ "munlock makes pages reclaimable again", t_bug_munlock_keeps_mlocked, NULL },
};

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : getenv("SEED");
	const char *name = argc > 2 ? argv[2] : getenv("SCHEME");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 1;
	const struct rmap_ops *scheme = rmap_find_scheme(name);
	size_t n = sizeof(tests) / sizeof(tests[0]);
	int failed = 0;
	static struct ctx c;

	if (!scheme) {
		printf("1..0 # SKIP no rmap scheme '%s'\n", name);
		return 1;
	}
	printf("1..%zu\n# rmap scheme %s\n", n, scheme->name);
	for (size_t i = 0; i < n; i++) {
		bool ok;

		memset(&c, 0, sizeof(c));
		c.scheme = scheme;
		c.seed = seed;
		c.rng = seed;
		c.rng = rnd(&c) + i * 0x9e3779b97f4a7c15ULL;   /* distinct streams per seed */
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
