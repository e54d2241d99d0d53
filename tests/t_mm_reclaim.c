/*
 * tests/t_mm_reclaim.c - reclaim and compaction (mm/vmscan.c,
 * mm/migrate.c).  TAP; the shared parts are in t_mm.h.
 *
 * Lazily freed (MADV_FREE) clean pages are reclaimed, pages written again
 * or mlocked are not; compaction migrates pages to make a free block of
 * the order asked for, their contents unchanged.  The LRU lists: pages
 * enter the right list, referenced pages outlive unreferenced ones,
 * mlocked pages go to the unevictable list and back on munlock, a
 * corrupted list fails the checker; dirty file pages are written to their
 * store and read back intact, on a machine smaller than the file.
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
	/* compaction: fill memory, free every other page, then ask for order 3
	 * (with no reserve, so that no free block is left) */
	m->wmark_min = 0;
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
/* The LRU lists (mm/lru.c)                                             */
/* ================================================================== */

/* pages are born on the inactive list of their kind; a file mapped and
 * read: one page touched again survives reclaim of all but one page */
static bool t_lru_aging(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	struct vm_file *f;
	uint64_t val;
	int err;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	f = file_create(m, "f", 16 * P, 3, &err);
	EXPECT(f);
	EXPECT_EQ(m->lru[LRU_INACTIVE_FILE].nr, 16);
	OK_ADDR(vm_mmap(mm, A, 16 * P, PROT_R, MAP_SHARED_ | MAP_FIXED_, f, 0), A);
	OK_ADDR(vm_mmap(mm, A + 0x100000, P, PROT_RW, PRIV_FIXED, NULL, 0), A + 0x100000);
	EXPECT_EQ(poke(mm, A + 0x100000, 5), VM_FAULT_OK);
	EXPECT_EQ(m->lru[LRU_INACTIVE_ANON].nr, 1);
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(peek(mm, A + i * P, &val), VM_FAULT_OK);
	CHECK_M(m);
	/* the young pages are marked and kept at the first look, dirty ones
	 * written back at the second, dropped at the third */
	EXPECT_EQ(mm_reclaim_retry(m, 15), 15);
	EXPECT_EQ(mm->rss, 2);        /* one file page and the anonymous one */
	EXPECT(m->stats.walks_referenced > 0 && m->stats.walks_unmap > 0);
	CHECK_M(m);
	/* the anonymous page: no swap, never reclaimed */
	EXPECT_EQ(mm_reclaim_retry(m, 100), 1);
	EXPECT_EQ(mm->rss, 1);
	EXPECT_EQ(peek(mm, A + 0x100000, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 5);
	/* the file reads back the same */
	for (int i = 0; i < 16; i++) {
		EXPECT_EQ(peek(mm, A + i * P, &val), VM_FAULT_OK);
		EXPECT_EQ(val, 3 * 0x9E3779B97F4A7C15ULL + (uint64_t)i * (P / 8));
	}
	CHECK_M(m);
	mm_destroy(mm);
	file_put(f);
	ALL_FREE(m);
	return true;
}

/* pages used between reclaims stay, the others go: reclaim of every cold
 * page, a few at a time, takes none of the hot ones for good */
static bool t_lru_referenced(struct ctx *c)
{
	const uint64_t pages = 64, hot = 8;
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	struct vm_file *f;
	uint64_t val, before;
	int err;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	f = file_create(m, "f", pages * P, 3, &err);
	EXPECT(f);
	OK_ADDR(vm_mmap(mm, A, pages * P, PROT_R, MAP_SHARED_ | MAP_FIXED_, f, 0), A);
	for (uint64_t i = 0; i < pages; i++)
		EXPECT_EQ(peek(mm, A + i * P, &val), VM_FAULT_OK);
	EXPECT_EQ(mm->rss, pages);
	for (int round = 0; round < 14; round++) {
		for (uint64_t i = 0; i < hot; i++)
			EXPECT_EQ(peek(mm, A + i * P, &val), VM_FAULT_OK);
		EXPECT_EQ(mm_reclaim_retry(m, 4), 4);
	}
	/* 56 frames freed: the 56 cold pages, or a hot page taken early
	 * (seen twice in one pass) that came back at its next use */
	before = m->stats.faults;
	for (uint64_t i = 0; i < hot; i++)
		EXPECT_EQ(peek(mm, A + i * P, &val), VM_FAULT_OK);
	EXPECT(mm->rss >= hot && mm->rss <= hot + 8);  /* a few cold ones may be left */
	EXPECT_EQ(m->stats.faults, before);     /* every hot page still mapped */
	CHECK_M(m);
	mm_destroy(mm);
	file_put(f);
	/* a page young in two address spaces is activated at its first look */
	{
		struct vm_mm *x = mm_create(m), *y = mm_create(m);
		struct vm_file *g = file_create(m, "g", P, 4, &err);

		EXPECT(x && y && g);
		OK_ADDR(vm_mmap(x, A, P, PROT_R, MAP_SHARED_ | MAP_FIXED_, g, 0), A);
		OK_ADDR(vm_mmap(y, A, P, PROT_R, MAP_SHARED_ | MAP_FIXED_, g, 0), A);
		EXPECT_EQ(peek(x, A, &val), VM_FAULT_OK);
		EXPECT_EQ(peek(y, A, &val), VM_FAULT_OK);
		EXPECT_EQ(mm_reclaim(m, 1), 0);
		EXPECT(frame_at(x, A)->flags & PG_ACTIVE);
		EXPECT_EQ(m->stats.pgactivate, 1);
		CHECK_M(m);
		mm_destroy(x);
		mm_destroy(y);
		file_put(g);
	}
	ALL_FREE(m);
	return true;
}

/* mlocked pages go to the unevictable list and never go; munlock puts
 * them back; a page mlocked through another mm stays */
static bool t_lru_mlock(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm, *child;
	struct vm_file *f;
	uint64_t val;
	int err;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	f = file_create(m, "f", 4 * P, 3, &err);
	EXPECT(f);
	OK_ADDR(vm_mmap(mm, A, 4 * P, PROT_R, MAP_SHARED_ | MAP_FIXED_, f, 0), A);
	OK0(vm_mlock(mm, A, 4 * P));
	EXPECT_EQ(m->lru[LRU_UNEVICTABLE].nr, 4);
	EXPECT_EQ(mm_reclaim(m, 100), 0);
	EXPECT_EQ(mm->rss, 4);
	/* a fork's mappings are not locked, the pages stay mlocked */
	OK0(mm_fork(mm, &child));
	EXPECT_EQ(peek(child, A, &val), VM_FAULT_OK);
	EXPECT_EQ(mm_reclaim(m, 100), 0);
	CHECK_M(m);
	OK0(vm_munlock(mm, A, 4 * P));
	EXPECT_EQ(m->lru[LRU_UNEVICTABLE].nr, 0);
	EXPECT_EQ(mm_reclaim_retry(m, 100), 4);
	EXPECT_EQ(mm->rss + child->rss, 0);
	/* anonymous memory faulted in a locked VMA is unevictable at birth;
	 * munmap puts it back (and frees it) */
	OK_ADDR(vm_mmap(mm, A + 0x100000, 2 * P, PROT_RW, PRIV_FIXED | MAP_LOCKED_, NULL, 0),
		A + 0x100000);
	EXPECT_EQ(m->lru[LRU_UNEVICTABLE].nr, 2);
	OK0(vm_munmap(mm, A + 0x100000, 2 * P));
	EXPECT_EQ(m->lru[LRU_UNEVICTABLE].nr, 0);
	CHECK_M(m);
	mm_destroy(child);
	mm_destroy(mm);
	file_put(f);
	ALL_FREE(m);
	return true;
}

/* a shared file mapping written on a machine a quarter of its size: dirty
 * pages are found through their PTEs, written to the store, dropped, and
 * read back; every word is what was last written */
static bool t_lru_writeback(struct ctx *c)
{
	const uint64_t pages = 4096;          /* 16 MiB on a 4 MiB machine */
	struct vm_machine *m = machine(c, 4ULL << 20);
	struct vm_mm *mm;
	struct vm_file *f;
	uint64_t val, *shadow;
	int err;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	f = file_create(m, "big", pages * P, 9, &err);
	EXPECT(f);
	EXPECT(m->stats.writebacks > 0);     /* it did not fit */
	OK_ADDR(vm_mmap(mm, A, pages * P, PROT_RW, MAP_SHARED_ | MAP_FIXED_, f, 0), A);
	shadow = calloc(pages, sizeof(*shadow));
	EXPECT(shadow);
	for (uint64_t i = 0; i < pages; i++)
		shadow[i] = 9 * 0x9E3779B97F4A7C15ULL + i * (P / 8);
	for (int round = 0; round < 3; round++)
		for (uint64_t i = 0; i < pages; i++) {
			uint64_t k = (i * 2654435761u + (uint64_t)round) % pages;
			int r;

			if ((k + (uint64_t)round) % 3 == 0) {
				while ((r = poke(mm, A + k * P, k ^ (uint64_t)round)) == VM_FAULT_OOM &&
				       mm_reclaim_retry(m, 32))
					;
				EXPECT_EQ(r, VM_FAULT_OK);
				shadow[k] = k ^ (uint64_t)round;
			} else {
				while ((r = peek(mm, A + k * P, &val)) == VM_FAULT_OOM &&
				       mm_reclaim_retry(m, 32))
					;
				EXPECT_EQ(r, VM_FAULT_OK);
				if (val != shadow[k]) {
					uint64_t want = shadow[k];

					free(shadow);
					FAIL("page %" PRIu64 " reads %#" PRIx64 ", last written %#" PRIx64,
					     k, val, want);
				}
			}
		}
	free(shadow);
	EXPECT(m->stats.walks_unmap > 0 && m->stats.writebacks > pages);
	CHECK_M(m);
	mm_destroy(mm);
	file_put(f);
	ALL_FREE(m);
	return true;
}

/* page_mkclean: a dirty shared page that reclaim writes back while it is
 * in use loses its dirty and write bits in every mapping; the next write
 * faults and dirties it again, and its bytes go to the store once more */
static bool t_lru_mkclean(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *x, *y;
	struct vm_file *f;
	struct vm_frame *fr;
	uint64_t val, wb, faults;
	int err;

	EXPECT(m);
	x = mm_create(m);
	y = mm_create(m);
	EXPECT(x && y);
	f = file_create(m, "f", P, 5, &err);
	EXPECT(f);
	OK_ADDR(vm_mmap(x, A, P, PROT_RW, MAP_SHARED_ | MAP_FIXED_, f, 0), A);
	OK_ADDR(vm_mmap(y, A, P, PROT_RW, MAP_SHARED_ | MAP_FIXED_, f, 0), A);
	EXPECT_EQ(poke(x, A, 0x1111), VM_FAULT_OK);
	EXPECT_EQ(peek(y, A, &val), VM_FAULT_OK);
	fr = frame_at(x, A);
	EXPECT((pte_at(x, A) & (PTE_WRITE | PTE_DIRTY)) == (PTE_WRITE | PTE_DIRTY));
	/* young in both: activated; then aged until reclaim writes it back */
	wb = m->stats.writebacks;
	for (int i = 0; i < 8 && m->stats.writebacks == wb; i++)
		(void)mm_reclaim(m, 1);
	EXPECT(m->stats.writebacks == wb + 1);
	EXPECT(m->stats.walks_mkclean > 0);
	EXPECT(frame_at(x, A) == fr && frame_at(y, A) == fr);   /* still mapped */
	EXPECT(!(fr->flags & PG_DIRTY));
	EXPECT(!(pte_at(x, A) & (PTE_WRITE | PTE_DIRTY)));
	EXPECT(!(pte_at(y, A) & (PTE_WRITE | PTE_DIRTY)));
	CHECK_M(m);
	/* the next write faults (wp_page_shared) and dirties the page */
	faults = m->stats.faults;
	EXPECT_EQ(poke(y, A, 0x2222), VM_FAULT_OK);
	EXPECT_EQ(m->stats.faults, faults + 1);
	EXPECT(fr->flags & PG_DIRTY);
	/* reclaimed for good now: written again, read back from the store */
	EXPECT_EQ(mm_reclaim_retry(m, 1), 1);
	EXPECT(pte_at(x, A) == 0 && pte_at(y, A) == 0);
	EXPECT_EQ(peek(x, A, &val), VM_FAULT_OK);
	EXPECT_EQ(val, 0x2222);
	CHECK_M(m);
	mm_destroy(x);
	mm_destroy(y);
	file_put(f);
	ALL_FREE(m);
	return true;
}

/* the checker sees a page taken off its list, and a page on the wrong list */
static bool t_lru_corrupt(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	struct vm_frame *fr;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 4 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(poke(mm, A + i * P, 1), VM_FAULT_OK);
	CHECK_M(m);
	fr = frame_at(mm, A + P);
	lru_del(m, fr);
	EXPECT(!check_machine(m));
	EXPECT(strstr(m->why, "lru"));
	lru_insert(m, fr);
	CHECK_M(m);
	fr->flags |= PG_ACTIVE;                 /* says active, sits on inactive */
	EXPECT(!check_machine(m));
	EXPECT(strstr(m->why, "lru"));
	fr->flags &= ~PG_ACTIVE;
	m->lru[LRU_INACTIVE_ANON].nr++;         /* a count that lies */
	EXPECT(!check_machine(m));
	m->lru[LRU_INACTIVE_ANON].nr--;
	CHECK_M(m);
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

/*
 * --nonlinear: compaction migrates the pages of a nonlinear mapping.  The
 * file's NL pages come first in memory (pfns 1 to NL: whole order-3
 * blocks of them, where compaction looks first); a parent maps the file shared, remaps it backwards, and
 * forks (2.6.32 copies the nonlinear PTEs); mlocked anonymous memory
 * fills the rest and every other page of it is freed, so no order-3 block
 * is free, and only the file's blocks are candidates (compaction moves no
 * mlocked page).
 * After compact 3 every nonlinear PTE in both processes maps the page of
 * its remembered offset at its new frame (the reverse map found each PTE,
 * in every scheme: schemes.t runs this under all of them), with the
 * file's words intact.
 */
#define NL 24                           /* the file's pages */

static bool t_compact_nonlinear(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm, *child;
	struct vm_file *f;
	uint64_t before[NL], val, moved = 0, end;
	const uint64_t sz = 2048 * P, base = A + 0x400000;
	int err;

	EXPECT(m);
	m->nonlinear = true;
	m->wmark_min = 0;
	f = file_create(m, "k", NL * P, 3, &err);
	EXPECT(f && !err);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, NL * P, PROT_RW, MAP_SHARED_ | MAP_FIXED_, f, 0), A);
	for (int i = 0; i < NL; i++)
		OK0(vm_remap_file_pages(mm, A + (uint64_t)i * P, P, NL - 1 - (uint64_t)i));
	OK0(mm_fork(mm, &child));
	for (int i = 0; i < NL; i++) {
		EXPECT_EQ(frame_at(mm, A + (uint64_t)i * P)->index, NL - 1 - (uint64_t)i);
		EXPECT_EQ(pfn_at(child, A + (uint64_t)i * P), pfn_at(mm, A + (uint64_t)i * P));
		before[i] = pfn_at(mm, A + (uint64_t)i * P);
	}
	OK_ADDR(vm_mmap(mm, base, sz, PROT_RW, PRIV_FIXED | MAP_LOCKED_, NULL, 0), base);
	for (end = base; end < base + sz; end += P) {
		int r = poke(mm, end, end);

		if (r == VM_FAULT_OOM)
			break;
		EXPECT_EQ(r, VM_FAULT_OK);
	}
	EXPECT(end < base + sz);
	for (uint64_t a = base; a < end; a += 2 * P)
		OK0(vm_munmap(mm, a, P));
	for (unsigned o = 3; o <= MAX_ORDER; o++)
		EXPECT_EQ(m->free[o].nr, 0);
	CHECK_M(m);
	EXPECT_EQ(mm_compact(m, 3), 0);
	CHECK_M(m);
	for (int i = 0; i < NL; i++) {
		uint64_t a = A + (uint64_t)i * P;

		moved += pfn_at(mm, a) != before[i];
		EXPECT_EQ(pfn_at(child, a), pfn_at(mm, a));
		EXPECT_EQ(frame_at(mm, a)->index, NL - 1 - (uint64_t)i);
		EXPECT_EQ(peek(child, a, &val), VM_FAULT_OK);
		EXPECT_EQ(val, 3 * 0x9E3779B97F4A7C15ULL + (NL - 1 - (uint64_t)i) * (P / 8));
	}
	EXPECT(moved > 0);                       /* some were in the block */
	mm_destroy(child);
	mm_destroy(mm);
	file_put(f);
	CHECK_M(m);
	ALL_FREE(m);
	return true;
}

/* map 3000 pages at A (two mappings: one that big is refused by the
 * overcommit heuristic) and write them until the machine is full;
 * => the end of what was written, or 0 */
static uint64_t fill_machine(struct vm_mm *mm)
{
	uint64_t end;

	if (vm_mmap(mm, A, 1500 * P, PROT_RW, PRIV_FIXED, NULL, 0) != A ||
	    vm_mmap(mm, A + 1500 * P, 1500 * P, PROT_RW, PRIV_FIXED, NULL, 0) != A + 1500 * P)
		return 0;
	for (end = A; end < A + 3000 * P; end += P)
		if (poke(mm, end, end) != VM_FAULT_OK)
			break;
	return end < A + 3000 * P ? end : 0;
}

/*
 * Compaction when memory is short (issue 12: high-order allocations by
 * targeted eviction).  A machine filled with anonymous pages, then three
 * pages unmapped, each in another 8-frame block: no order-3 block is free,
 * and a candidate block's 7 pages cannot be migrated into the 2 frames
 * outside it.  With swap on, compact 3 answers -ENOMEM (none), evicts the
 * cheapest block's own 7 pages (targeted), or reclaims from the LRU tails
 * in batches of 32 until compaction can work (lru).  Every byte reads
 * back.  => the pages evicted, or -1; *res compact's answer
 */
static long short_compact(struct ctx *c, int evict, int *res)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm = m ? mm_create(m) : NULL;
	uint64_t end, val, gone[3] = { 0, 0, 0 };
	int n = 0;

	if (!mm)
		return -1;
	m->wmark_min = 0;
	end = fill_machine(mm);
	if (!end)
		return -1;
	/* three holes, in three blocks whose other frames are pages */
	for (uint64_t a = A + 64 * P; a < end && n < 3; a += 64 * P) {
		struct vm_frame *f = frame_at(mm, a);
		uint64_t pfn = pfn_at(mm, a), blk = pfn & ~7ull;
		bool pages = true;

		for (uint64_t q = blk; q < blk + 8; q++)
			pages = pages && (pfn_frame(m, q)->flags & PG_ANON);
		if (!f || !pages)
			continue;
		if (vm_munmap(mm, a, P))
			return -1;
		gone[n++] = a;
	}
	if (n < 3 || m->nr_free != 3 || swap_on(m, 16ULL << 20, NULL))
		return -1;
	for (unsigned o = 1; o <= MAX_ORDER; o++)
		if (m->free[o].nr)
			return -1;
	m->compact_evict = evict;
	*res = mm_compact(m, 3);
	if (!check_machine(m))
		return -1;
	for (uint64_t a = A; a < end; a += P) {
		if (a == gone[0] || a == gone[1] || a == gone[2])
			continue;
		if (peek(mm, a, &val) != VM_FAULT_OK || val != a)
			return -1;
	}
	mm_destroy(mm);
	return (long)m->stats.compact_evicted;
}

static bool t_compact_short(struct ctx *c)
{
	int r_none = 1, r_targeted = 1, r_lru = 1;
	long none = short_compact(c, COMPACT_EVICT_NONE, &r_none);
	long targeted = short_compact(c, COMPACT_EVICT_TARGETED, &r_targeted);
	long lru = short_compact(c, COMPACT_EVICT_LRU, &r_lru);

	printf("# pages evicted for one order-3 block: none %ld (%d), targeted %ld (%d), "
	       "lru %ld (%d)\n", none, r_none, targeted, r_targeted, lru, r_lru);
	EXPECT(none == 0 && r_none == -ENOMEM_);
	EXPECT(targeted > 0 && targeted <= 8 && r_targeted == 0);
	EXPECT(lru > targeted && r_lru == 0);
	return true;
}

/* compaction never moves an mlocked page: a full machine of mlocked pages
 * with every other one unmapped has no candidate block, whatever it may
 * evict */
static bool t_compact_mlocked(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm;
	uint64_t end;

	EXPECT(m);
	m->wmark_min = 0;
	mm = mm_create(m);
	EXPECT(mm);
	end = fill_machine(mm);
	EXPECT(end);
	OK0(vm_mlock(mm, A, end - A));
	for (uint64_t a = A; a + 2 * P <= end; a += 2 * P)
		OK0(vm_munmap(mm, a, P));
	for (unsigned o = 2; o <= MAX_ORDER; o++)
		EXPECT_EQ(m->free[o].nr, 0);
	m->compact_evict = COMPACT_EVICT_TARGETED;
	EXPECT_EQ(mm_compact(m, 2), -ENOMEM_);
	EXPECT_EQ(m->stats.compact_migrated + m->stats.compact_evicted, 0);
	CHECK_M(m);
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

static const struct test tests[] = {
	{ "reclaim of lazily freed pages; compaction", t_reclaim_compact, NULL },
	{ "--nonlinear: compaction migrates nonlinear pages; every PTE follows",
	  t_compact_nonlinear, NULL },
	{ "compaction short of memory: -ENOMEM, or targeted eviction of one block, or LRU "
	  "reclaim (which evicts more)", t_compact_short, NULL },
	{ "compaction never moves an mlocked page", t_compact_mlocked, NULL },
	{ "lru: pages born inactive; reclaim by age, anonymous kept without swap", t_lru_aging, NULL },
	{ "lru: pages used between reclaims stay, the others go",
	  t_lru_referenced, NULL },
	{ "lru: mlocked pages unevictable, across fork; munlock and munmap put them back",
	  t_lru_mlock, NULL },
	{ "lru: a shared file 4x the machine written and read; every word intact",
	  t_lru_writeback, NULL },
	{ "lru: page_mkclean: written back while mapped, clean and read-only everywhere; "
	  "the next write faults and dirties it", t_lru_mkclean, NULL },
	{ "lru: the checker sees a page off its list, on the wrong list, a wrong count",
	  t_lru_corrupt, NULL },
	/* regressions: these were bugs, fixed in d9fac13 */
	{ "reclaim keeps lazily freed pages that were mlocked later", t_bug_reclaim_mlocked, NULL },
	{ "munlock makes pages reclaimable again", t_bug_munlock_keeps_mlocked, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
