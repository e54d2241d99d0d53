/*
 * tests/t_mm_mremap.c - mremap (mm/mremap.c).  TAP; the shared parts are in
 * t_mm.h.
 *
 * Growth in place, moves that carry their frames and keep the pages'
 * index, copy-on-write from the new place, and locked_vm across a move.
 */
#include "t_mm.h"

/* ================================================================== */
/* mremap                                                               */
/* ================================================================== */

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

/* ================================================================== */

static const struct test tests[] = {
	{ "mremap grows in place, moves frames, keeps index", t_mremap, NULL },
	/* regressions: these were bugs, fixed in d9fac13 */
	{ "mremap of a locked VMA keeps locked_vm", t_bug_mremap_locked_vm, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
