/*
 * tests/t_mm_machine.c - the machine as a whole: two machines in one
 * process, and the checkers (mm/check.c).  TAP; the shared parts are in
 * t_mm.h.
 *
 * No global state: two machines driven side by side stay independent.
 * The checkers must catch what they are for: stale i_mmap keys, and
 * whatever an operation broke where it just worked, for check_changes.
 */
#include "t_mm.h"

/* ================================================================== */
/* Two machines                                                         */
/* ================================================================== */

/*
 * Two machines in one process, driven in lockstep with different data:
 * the same pfns may be handed out in both, but contents, counts and free
 * lists stay each machine's own.
 */
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
/* Checkers                                                             */
/* ================================================================== */

/*
 * The checkers catch stale rmap keys: a VMA whose i_mmap node is keyed by
 * a stale range, or whose pgoff moved without the node being re-keyed,
 * must fail check_machine, and pass again once put back.  The moved pgoff
 * is also seen, under every scheme, by the page-table check: the COW
 * page's index no longer matches its address.  A scheme's own keys (the
 * Linux scheme's anon_vma_chain links) are its business: t_mm_linux.c.
 *
 *   A         A+4P
 *   |file, private, one COW page|    i_mmap node + anon identity
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
	/* pgoff moved behind the back of the i_mmap tree and the COW page */
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

/*
 * --nonlinear, seed 004 (a): truncate must unmap the pages past the new end
 * that nonlinear VMAs map away from their linear addresses.  With the fix
 * taken out (nl_no_truncate_fix: i_mmap_nonlinear is not searched) both
 * checkers must see the stale mappings; truncating again with the fix in
 * place removes them.
 *
 *      A      A+P    A+2P ...  A+8P        in the parent and its child
 *      |  6   |  7   | 2..7 linear |       after remap_file_pages(A, 2P, 6)
 */
static bool t_nonlinear_truncate(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct vm_mm *mm, *child;
	struct vm_file *f;
	uint64_t val;
	int err;

	EXPECT(m);
	m->nonlinear = true;
	OK0(check_changes_start(m));
	f = file_create(m, "k", 8 * P, 3, &err);
	EXPECT(f && !err);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 8 * P, PROT_RW, MAP_SHARED_ | MAP_FIXED_, f, 0), A);
	OK0(vm_remap_file_pages(mm, A, 2 * P, 6));
	EXPECT(vma_lookup(mm, A) && vma_lookup(mm, A)->end == A + 8 * P &&
	       (vma_lookup(mm, A)->flags & VM_NONLINEAR));
	EXPECT_EQ(frame_at(mm, A)->index, 6);
	EXPECT_EQ(frame_at(mm, A + P)->index, 7);
	OK0(mm_fork(mm, &child));
	EXPECT_EQ(frame_at(child, A + P)->index, 7);   /* 2.6.32 copies the PTEs */
	CHECK_CHANGES(m);
	CHECK_M(m);

	m->nl_no_truncate_fix = true;
	OK0(file_truncate(f, 4 * P));
	EXPECT(pte_present(pte_at(mm, A)));            /* the seed's bug */
	CAUGHT(m, "a nonlinear page mapped past the end of a truncated file");
	m->nl_no_truncate_fix = false;
	OK0(file_truncate(f, 4 * P));
	EXPECT(!pte_present(pte_at(mm, A)) && !pte_present(pte_at(child, A + P)));
	EXPECT(pte_file(pte_at(mm, A)) && pte_to_pgoff(pte_at(mm, A)) == 6);
	CHECK_CHANGES(m);
	CHECK_M(m);
	EXPECT_EQ(peek(mm, A, &val), VM_FAULT_BUS);    /* page 6 is past the end */
	EXPECT_EQ(peek(child, A + 3 * P, &val), VM_FAULT_OK);

	mm_destroy(child);
	mm_destroy(mm);
	file_put(f);
	CHECK_CHANGES(m);
	CHECK_M(m);
	check_changes_stop(m);
	return true;
}

/* ================================================================== */

static const struct test tests[] = {
	{ "two machines side by side stay independent", t_two_machines, NULL },
	{ "checkers catch stale i_mmap keys and a moved pgoff", t_check_stale_rmap_keys, NULL },
	{ "check_changes catches what an operation broke where it worked", t_check_changes, NULL },
	{ "--nonlinear truncate: without seed 004 (a)'s fix the checkers see a stale mapping",
	  t_nonlinear_truncate, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
