/*
 * tests/t_mm_pgtable.c - page tables (mm/pgtable.c).  TAP; the shared
 * parts are in t_mm.h.
 *
 * Tables are allocated on demand, one per level; munmap frees the tables
 * only its range used; walk_ptes visits exactly the present PTEs, in
 * order, across table boundaries, and stops when its visitor asks.
 */
#include "t_mm.h"

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

static const struct test tests[] = {
	{ "page tables: allocated on demand, one per level", t_pgtable_on_demand, NULL },
	{ "page tables: munmap frees the tables of the range only", t_pgtable_munmap_frees, NULL },
	{ "page tables: walk_ptes visits exactly the present PTEs", t_walk_ptes, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
