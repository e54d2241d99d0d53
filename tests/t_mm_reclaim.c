/*
 * tests/t_mm_reclaim.c - reclaim and compaction (mm/vmscan.c,
 * mm/migrate.c).  TAP; the shared parts are in t_mm.h.
 *
 * Lazily freed (MADV_FREE) clean pages are reclaimed, pages written again
 * or mlocked are not; compaction migrates pages to make a free block of
 * the order asked for, their contents unchanged.
 */
#include "t_mm.h"

/* ================================================================== */
/* Reclaim and compaction                                               */
/* ================================================================== */

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

static const struct test tests[] = {
	{ "reclaim of lazily freed pages; compaction", t_reclaim_compact, NULL },
	/* regressions: these were bugs, fixed in d9fac13 */
	{ "reclaim keeps lazily freed pages that were mlocked later", t_bug_reclaim_mlocked, NULL },
	{ "munlock makes pages reclaimable again", t_bug_munlock_keeps_mlocked, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
