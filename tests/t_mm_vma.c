/*
 * tests/t_mm_vma.c - VMAs: split and merge under mmap, munmap, mprotect,
 * madvise, mlock and brk (mm/vma.c, mm/mmap.c, mm/madvise.c).  TAP; the
 * shared parts are in t_mm.h.
 *
 * Each test draws the address space before and after, and checks the VMA
 * boundaries (LAYOUT), their flags and pgoff, and which anonymous
 * identity (mm/anon.c) each VMA has: two identities never merge, and a
 * forked child's VMAs carry their parent's.
 */
#include "t_mm.h"

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
/* brk                                                                  */
/* ================================================================== */

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

/* ================================================================== */

static const struct test tests[] = {
	{ "vma: mprotect middle splits in 3, back merges to 1", t_vma_mprotect_split_merge, NULL },
	{ "vma: munmap middle leaves 2", t_vma_munmap_middle, NULL },
	{ "vma: adjacent anon mmaps merge, different identities do not", t_vma_mmap_merge, NULL },
	{ "vma: after fork, the child's VMAs do not merge with new ones", t_vma_fork_no_merge, NULL },
	{ "vma: madvise flag advice splits and merges", t_vma_madvise_split, NULL },
	{ "vma: mlock/munlock split, populate, count", t_vma_mlock, NULL },
	{ "brk grows, shrinks, respects neighbours", t_brk, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
