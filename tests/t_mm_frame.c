/*
 * tests/t_mm_frame.c - physical memory: the buddy allocator and the slab
 * allocator (mm/frame.c, mm/slab.c).  TAP; the shared parts are in t_mm.h.
 *
 * The buddy allocator's free lists are checked block by block: the initial
 * lists of an 8 MiB machine, splits and coalescing at every order,
 * exhaustion, random allocations against an ownership map, and deferred
 * descriptor initialisation (a lazily started machine hands out exactly
 * what an eager one does; 1 TiB starts at once).  The slab allocator
 * carves kernel objects from the machine's own frames and gives them back.
 */
#include "t_mm.h"
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>	/* t_slab: a freed object is poisoned */
#endif

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
		if (!same_free(c, __FILE__, __LINE__, m, &init)) {
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
	/* the min watermark keeps a reserve: order-0 allocations stop there */
	{
		uint64_t k = 0, reserve = m->wmark_min;

		EXPECT(reserve > 0 && m->wmark_low > reserve && m->wmark_high > m->wmark_low);
		while ((got[k] = frames_alloc(m, 0)) != FRAME_NIL)
			k++;
		if (m->nr_free != reserve || k != init.total - reserve) {
			free(got);
			FAIL("stopped with %" PRIu64 " free, the min watermark is %" PRIu64,
			     m->nr_free, reserve);
		}
		while (k)
			frames_free(m, got[--k], 0);
	}
	m->wmark_min = 0;                       /* now every frame */
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

static const struct test tests[] = {
	{ "buddy: initial free lists", t_buddy_initial, NULL },
	{ "buddy: a lazy start hands out the same frames as an eager one", t_buddy_deferred, NULL },
	{ "buddy: a 1 TiB machine starts lazily", t_buddy_huge_lazy, NULL },
	{ "slab: objects from frames, given back, poisoned when free", t_slab, NULL },
	{ "buddy: orders 0..10 aligned, disjoint, zeroed; freeing restores the lists", t_buddy_orders, NULL },
	{ "buddy: split files upper halves, free coalesces", t_buddy_split_coalesce, NULL },
	{ "buddy: exhaustion returns FRAME_NIL cleanly", t_buddy_exhaust, NULL },
	{ "buddy: random alloc/free against an ownership map", t_buddy_random, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
