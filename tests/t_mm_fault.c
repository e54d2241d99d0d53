/*
 * tests/t_mm_fault.c - page faults and the life of an address space
 * (mm/fault.c, mm/fork.c).  TAP; the shared parts are in t_mm.h.
 *
 * The zero page on a read, a new page on a write, SIGSEGV where the VMA
 * forbids; copy-on-write after fork, and reuse by the last mapper, whoever
 * exits first; exec and exit of a family of processes give back every
 * frame and object.
 */
#include "t_mm.h"

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

/* ================================================================== */

static const struct test tests[] = {
	{ "fault: zero page on read, new page on write, SEGV", t_fault_zero_and_new, NULL },
	{ "fault: COW after fork copies, last mapper reuses", t_fault_cow, NULL },
	{ "fault: reuse when the other side exited", t_fault_reuse_after_exit, NULL },
	{ "exit/exec free every frame and object", t_exit_exec_free, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
