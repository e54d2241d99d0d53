/*
 * tests/t_mm_swap.c - swap for private anonymous memory (mm/swap.c, and
 * what every PTE user does with swap entries).  TAP; the shared parts are
 * in t_mm.h.  Scheme-blind: tests/schemes.t runs it under every scheme.
 *
 * Pages go out through swap_out_page (what reclaim calls) and come back
 * through faults; each test checks the exact counts Linux keeps: a slot's
 * count is one per swap entry plus one while the page is in the swap
 * cache, rss and the swap entries per mm, map counts, PTE bits.
 *
 *   A        A+1      A+2          one column per page, A = 0x100000000000
 *   |rw-----|rw-------|            a VMA and its protection
 *    s0       w1                   s = swapped out (a swap entry), w = in memory
 */
#include <sys/stat.h>
#include "t_mm.h"

#define SWAP	(4ULL << 20)		/* default device: 1023 slots and the header */

/* a machine of bytes with a swap device of swap bytes */
static inline struct vm_machine *swap_machine(struct ctx *c, uint64_t bytes, uint64_t swap)
{
	struct vm_machine *m = machine(c, bytes);

	if (m && swap_on(m, swap, NULL))
		return NULL;
	return m;
}

/* the last machine made is done with: finalize it now, so that a test
 * may make more than MAXM one after the other */
static inline void machine_done(struct ctx *c)
{
	machine_fini(&c->m[--c->nm]);
}

/* fill page addr with bytes drawn from the test's stream, kept in buf */
static bool fill_page(struct ctx *c, struct vm_mm *mm, uint64_t addr, uint8_t *buf)
{
	for (unsigned i = 0; i < PAGE_SIZE; i += 8) {
		uint64_t v = rnd(c);

		memcpy(buf + i, &v, 8);
		if (poke(mm, addr + i, v) != VM_FAULT_OK)
			return false;
	}
	return true;
}

/* the page at addr reads back as buf, all 4096 bytes */
static bool page_is(struct vm_mm *mm, uint64_t addr, const uint8_t *buf)
{
	uint64_t v;

	if (peek(mm, addr, &v) != VM_FAULT_OK)
		return false;
	return !memcmp(pfn_data(mm->machine, pfn_at(mm, addr)), buf, PAGE_SIZE);
}

/* swap out the page mapped at addr */
static int swap_out_at(struct vm_mm *mm, uint64_t addr)
{
	return swap_out_page(mm->machine, (uint32_t)pfn_at(mm, addr));
}

#define SWAPPED(mm, addr) EXPECT(pte_is_swap(pte_at(mm, addr)))
#define SLOT_AT(mm, addr) swp_slot(pte_at(mm, addr))

/* ================================================================== */

/* the device: a file that is gone from the file system at once; a size
 * too small is refused; machine_fini closes it */
static bool t_device(struct ctx *c)
{
	struct vm_machine *m = machine(c, MEM);
	struct stat st;

	EXPECT(m);
	EXPECT(!swap_enabled(m));
	EXPECT_EQ(swap_on(m, PAGE_SIZE, NULL), -EINVAL);
	EXPECT(!swap_enabled(m));
	EXPECT_EQ(swap_on(m, SWAP, "/nonexistent/dir"), -ENOENT);
	OK0(swap_on(m, SWAP + 100, NULL));
	EXPECT(swap_enabled(m));
	EXPECT_EQ(m->swap.nr_slots, SWAP / P);           /* whole slots only */
	EXPECT_EQ(m->swap.nr_used, 0);
	EXPECT_EQ(fstat(m->swap.fd, &st), 0);
	EXPECT_EQ(st.st_nlink, 0);                       /* unlinked */
	EXPECT_EQ(st.st_size, SWAP);
	EXPECT_EQ(swap_on(m, SWAP, NULL), -EBUSY);
	CHECK_M(m);
	OK0(swap_off(m));                                /* nothing to bring back */
	EXPECT(!swap_enabled(m));
	OK0(swap_off(m));
	CHECK_M(m);
	return true;
}

/*
 * Out and back: every byte comes back; an exclusive page comes back
 * writable and stays in the swap cache (clean: going out again writes
 * nothing) until a write dirties it.
 *
 *   |rw---------------------------|     8 pages, random bytes
 *    s0 s1 s2 s3 s4 s5 s6 s7            all swapped out, then read back
 */
static bool t_out_and_back(struct ctx *c)
{
	struct vm_machine *m = swap_machine(c, MEM, SWAP);
	static uint8_t buf[8][PAGE_SIZE];
	struct vm_mm *mm;
	struct freecount fc;
	uint64_t io;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 8 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 8; i++)
		EXPECT(fill_page(c, mm, A + i * P, buf[i]));
	freecount(m, &fc);
	for (int i = 0; i < 8; i++) {
		EXPECT(frame_at(mm, A + i * P)->flags & PG_ANON_EXCL);
		OK0(swap_out_at(mm, A + i * P));
		SWAPPED(mm, A + i * P);
		EXPECT(pte_swp_exclusive(pte_at(mm, A + i * P)));
		EXPECT(!pte_present(pte_at(mm, A + i * P)) && !pte_none(pte_at(mm, A + i * P)));
	}
	EXPECT_EQ(mm->rss, 0);
	EXPECT_EQ(mm->nr_ptes, 0);
	EXPECT_EQ(mm->nr_swap, 8);
	EXPECT_EQ(m->swap.nr_used, 8);
	EXPECT_EQ(m->stats.swap_outs, 8);
	EXPECT_EQ(m->nr_free, fc.total + 8);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(m->swap.map[SLOT_AT(mm, A + i * P)], 1);
	CHECK_M(m);
	for (int i = 0; i < 8; i++) {
		uint32_t slot = SLOT_AT(mm, A + i * P);
		struct vm_frame *f;

		EXPECT(page_is(mm, A + i * P, buf[i]));
		f = frame_at(mm, A + i * P);
		/* exclusive: writable at once, still in the cache (clean) */
		EXPECT(pte_write(pte_at(mm, A + i * P)));
		EXPECT(!(pte_at(mm, A + i * P) & PTE_DIRTY));
		EXPECT((f->flags & (PG_ANON_EXCL | PG_SWAPCACHE | PG_DIRTY)) ==
		       (PG_ANON_EXCL | PG_SWAPCACHE));
		EXPECT_EQ(f->pad, slot);
		EXPECT_EQ(m->swap.map[slot], 1);
		EXPECT_EQ(f->refcount, 2);
		EXPECT_EQ(f->mapcount, 1);
	}
	EXPECT_EQ(m->stats.swap_ins, 8);
	EXPECT_EQ(mm->nr_swap, 0);
	EXPECT_EQ(mm->rss, 8);
	CHECK_M(m);
	/* a clean page in the cache goes out again without a write */
	io = m->swap.nr_io;
	OK0(swap_out_at(mm, A));
	EXPECT_EQ(m->swap.nr_io, io);
	EXPECT(page_is(mm, A, buf[0]));
	EXPECT_EQ(m->stats.swap_cache_hits, 0);       /* read from the device again */
	/* a write dirties it: out again means a write */
	EXPECT_EQ(poke(mm, A + P, 0x5151), VM_FAULT_OK);
	memcpy(buf[1], &(uint64_t){ 0x5151 }, 8);
	EXPECT_EQ(m->stats.cow_copies, 0);
	io = m->swap.nr_io;
	OK0(swap_out_at(mm, A + P));
	EXPECT_EQ(m->swap.nr_io, io + 1);
	EXPECT(page_is(mm, A + P, buf[1]));
	CHECK_M(m);
	mm_destroy(mm);
	EXPECT_EQ(m->swap.nr_used, 0);
	ALL_FREE(m);
	return true;
}

/*
 * A write fault on an exclusive entry: the page comes back writable and
 * dirty and leaves the swap cache at once (should_try_to_free_swap: we
 * are its only user); mlocked memory is not swapped out, and comes back
 * out of the cache.
 */
static bool t_write_fault_and_mlock(struct ctx *c)
{
	struct vm_machine *m = swap_machine(c, MEM, SWAP);
	struct vm_mm *mm;
	struct vm_frame *f;
	uint64_t v;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 4 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(poke(mm, A + i * P, 100 + (uint64_t)i), VM_FAULT_OK);
	for (int i = 0; i < 4; i++)
		OK0(swap_out_at(mm, A + i * P));
	EXPECT_EQ(poke(mm, A + 8, 7), VM_FAULT_OK);
	f = frame_at(mm, A);
	EXPECT_EQ(pte_at(mm, A) & (PTE_WRITE | PTE_DIRTY), PTE_WRITE | PTE_DIRTY);
	EXPECT(!(f->flags & PG_SWAPCACHE));
	EXPECT(f->flags & PG_DIRTY);                  /* memory holds the only copy */
	EXPECT_EQ(f->refcount, 1);
	EXPECT_EQ(m->swap.nr_used, 3);
	EXPECT_EQ(peek(mm, A, &v), VM_FAULT_OK);
	EXPECT_EQ(v, 100);
	/* mlock faults the rest in, and they leave the cache (VM_LOCKED) */
	OK0(vm_mlock(mm, A, 4 * P));
	EXPECT_EQ(mm->nr_swap, 0);
	EXPECT_EQ(m->swap.nr_used, 0);
	for (int i = 0; i < 4; i++) {
		EXPECT(!(frame_at(mm, A + i * P)->flags & PG_SWAPCACHE));
		EXPECT_EQ(swap_out_at(mm, A + i * P), -EBUSY);   /* mlocked: stays */
		EXPECT_EQ(peek(mm, A + i * P + 8 * (i == 0), &v), VM_FAULT_OK);
		EXPECT_EQ(v, i ? 100 + (uint64_t)i : 7);
	}
	EXPECT_EQ(mm_reclaim_retry(m, 100), 0);
	OK0(vm_munlock(mm, A, 4 * P));
	EXPECT_EQ(mm_reclaim_retry(m, 100), 4);                     /* with swap, anon goes */
	EXPECT_EQ(mm->nr_swap, 4);
	/* MAP_POPULATE-style population brings them back too */
	OK0(mm_populate(mm, A, 4 * P, false));
	EXPECT_EQ(mm->nr_swap, 0);
	EXPECT_EQ(mm->rss, 4);
	CHECK_M(m);
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

/*
 * Fork shares an entry: both processes read the same page, one frame in
 * the swap cache mapped by both (map count 2, read-only); a write copies;
 * the last reference frees the slot.  Once with the parent faulting
 * first, once with the child; once swapped before the fork (the entry is
 * copied, its exclusive bit cleared in both), once after (both PTEs
 * become entries of one slot).
 *
 *   parent |rw-|   s0 ----fork----> s0  (count 2)   child |rw-|
 */
static bool t_fork_shares_entry(struct ctx *c)
{
	for (int order = 0; order < 4; order++) {
		bool child_first = order & 1, swap_after = order & 2;
		struct vm_machine *m = swap_machine(c, MEM, SWAP);
		struct vm_mm *par, *chi, *first, *second;
		struct vm_frame *f;
		uint32_t slot;
		uint64_t v;

		EXPECT(m);
		par = mm_create(m);
		EXPECT(par);
		OK_ADDR(vm_mmap(par, A, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
		EXPECT_EQ(poke(par, A, 0xaaaa), VM_FAULT_OK);
		EXPECT_EQ(poke(par, A + P, 0xbbbb), VM_FAULT_OK);
		if (!swap_after)
			OK0(swap_out_at(par, A));
		OK0(mm_fork(par, &chi));
		if (swap_after) {
			EXPECT_EQ(frame_at(par, A)->mapcount, 2);
			OK0(swap_out_at(par, A));
		}
		SWAPPED(par, A);
		SWAPPED(chi, A);
		EXPECT(!pte_swp_exclusive(pte_at(par, A)));
		EXPECT(!pte_swp_exclusive(pte_at(chi, A)));
		slot = SLOT_AT(par, A);
		EXPECT_EQ(SLOT_AT(chi, A), slot);
		EXPECT_EQ(m->swap.map[slot], 2);
		EXPECT_EQ(par->nr_swap, 1);
		EXPECT_EQ(chi->nr_swap, 1);
		CHECK_M(m);
		first = child_first ? chi : par;
		second = child_first ? par : chi;
		EXPECT_EQ(peek(first, A, &v), VM_FAULT_OK);
		EXPECT_EQ(v, 0xaaaa);
		f = frame_at(first, A);
		EXPECT(!pte_write(pte_at(first, A)));     /* shared: read-only */
		EXPECT((f->flags & (PG_SWAPCACHE | PG_ANON_EXCL)) == PG_SWAPCACHE);
		EXPECT_EQ(m->swap.map[slot], 2);          /* one entry and the cache */
		/* the page's identity is the family's root, which both find */
		EXPECT(f->mapping == ((struct anon_id *)f->mapping)->root);
		CHECK_M(m);
		EXPECT_EQ(peek(second, A, &v), VM_FAULT_OK);
		EXPECT_EQ(v, 0xaaaa);
		EXPECT_EQ(pfn_at(second, A), pfn_at(first, A));   /* the same frame */
		EXPECT_EQ(f->mapcount, 2);
		EXPECT_EQ(f->refcount, 3);
		EXPECT_EQ(m->stats.swap_cache_hits, 1);
		EXPECT_EQ(m->stats.swap_ins, 1);
		EXPECT_EQ(m->swap.map[slot], 1);          /* the cache alone */
		CHECK_M(m);
		/* the second writes: COW, the first keeps the old data */
		EXPECT_EQ(poke(second, A, 0xcccc), VM_FAULT_OK);
		EXPECT(pfn_at(second, A) != pfn_at(first, A));
		EXPECT_EQ(peek(first, A, &v), VM_FAULT_OK);
		EXPECT_EQ(v, 0xaaaa);
		EXPECT_EQ(f->mapcount, 1);
		/* the first writes: the page leaves the cache, the slot is free,
		 * and it is reused without a copy */
		v = m->stats.cow_copies;
		EXPECT_EQ(poke(first, A, 0xdddd), VM_FAULT_OK);
		EXPECT_EQ(m->stats.cow_copies, v);
		EXPECT(!(f->flags & PG_SWAPCACHE));
		EXPECT_EQ(m->swap.map[slot], 0);
		EXPECT_EQ(m->swap.nr_used, 0);
		EXPECT_EQ(peek(second, A, &v), VM_FAULT_OK);
		EXPECT_EQ(v, 0xcccc);
		CHECK_M(m);
		mm_destroy(chi);
		mm_destroy(par);
		ALL_FREE(m);
		machine_done(c);
	}
	return true;
}

/*
 * The last reference to a slot frees it, whichever goes last and however
 * (exit, munmap, dontneed, free, mremap over it); a page in the swap
 * cache that nothing maps goes with the last entry.
 */
static bool t_last_reference(struct ctx *c)
{
	for (int how = 0; how < 5; how++) {
		struct vm_machine *m = swap_machine(c, MEM, SWAP);
		struct vm_mm *par, *chi;
		uint64_t v;

		EXPECT(m);
		par = mm_create(m);
		EXPECT(par);
		OK_ADDR(vm_mmap(par, A, 16 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
		for (int i = 0; i < 16; i++)
			EXPECT_EQ(poke(par, A + i * P, 1000 + (uint64_t)i), VM_FAULT_OK);
		for (int i = 0; i < 16; i++)
			OK0(swap_out_at(par, A + i * P));
		OK0(mm_fork(par, &chi));
		EXPECT_EQ(m->swap.nr_used, 16);
		/* one page in the cache, mapped by the parent alone */
		EXPECT_EQ(peek(par, A, &v), VM_FAULT_OK);
		EXPECT(frame_at(par, A)->flags & PG_SWAPCACHE);
		switch (how) {
		case 0:
			mm_destroy(par);
			par = NULL;
			break;
		case 1:
			OK0(vm_munmap(par, A, 16 * P));
			break;
		case 2:
			OK0(vm_madvise(par, A, 16 * P, MADV_DONTNEED_));
			break;
		case 3:
			OK0(vm_madvise(par, A, 16 * P, MADV_FREE_));
			break;
		case 4:
			OK_ADDR(vm_mmap(par, A, 16 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
			break;
		}
		if (par)
			EXPECT_EQ(par->nr_swap, 0);
		EXPECT_EQ(m->swap.nr_used, 16);           /* the child's entries */
		EXPECT_EQ(chi->nr_swap, 16);
		CHECK_M(m);
		/* the child still reads everything */
		for (int i = 0; i < 16; i += 5) {
			EXPECT_EQ(peek(chi, A + i * P, &v), VM_FAULT_OK);
			EXPECT_EQ(v, 1000 + (uint64_t)i);
		}
		OK0(vm_madvise(chi, A, 16 * P, how & 1 ? MADV_FREE_ : MADV_DONTNEED_));
		EXPECT_EQ(chi->nr_swap, 0);
		if (how == 3) {
			/* MADV_FREE left the parent's page in the cache (an entry
			 * of the child still named it); the child's read found it
			 * there and maps it too, so MADV_FREE leaves it again, and
			 * mapped it keeps its slot, as in Linux */
			EXPECT_EQ(pfn_at(par, A), pfn_at(chi, A));
			EXPECT(frame_at(par, A)->flags & PG_SWAPCACHE);
			EXPECT_EQ(m->swap.nr_used, 1);
			CHECK_M(m);
			mm_destroy(chi);
			EXPECT_EQ(m->swap.nr_used, 1);
			OK0(vm_munmap(par, A, P));
			chi = NULL;
		}
		EXPECT_EQ(m->swap.nr_used, 0);
		for (uint32_t s = 0; s < m->swap.nr_slots; s++)
			EXPECT_EQ(m->swap.cache[s], FRAME_NIL);
		CHECK_M(m);
		if (chi)
			mm_destroy(chi);
		if (par)
			mm_destroy(par);
		ALL_FREE(m);
		machine_done(c);
	}
	return true;
}

/*
 * mremap moves swap entries with the PTEs (one by one, and as a whole
 * table when the move is PMD aligned); mprotect keeps them, and the page
 * comes back with the protection of the day.
 *
 *   |rw- 512 pages, half swapped ----|  --mremap-->  2 MiB higher, aligned
 */
static bool t_mremap_mprotect(struct ctx *c)
{
	struct vm_machine *m = swap_machine(c, MEM, SWAP);
	const uint64_t n = 512, B = A + 8 * PMD_SIZE;
	struct vm_mm *mm;
	uint64_t v;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, n * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (uint64_t i = 0; i < n; i++)
		EXPECT_EQ(poke(mm, A + i * P, i * 3), VM_FAULT_OK);
	for (uint64_t i = 0; i < n; i += 2)
		OK0(swap_out_at(mm, A + i * P));
	EXPECT_EQ(mm->nr_swap, n / 2);
	/* a whole table moves */
	OK_ADDR(vm_mremap(mm, A, n * P, n * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, B), B);
	EXPECT_EQ(mm->nr_swap, n / 2);
	EXPECT_EQ(m->swap.nr_used, n / 2);
	SWAPPED(mm, B);
	CHECK_M(m);
	/* a few pages move one by one, to an unaligned place */
	OK_ADDR(vm_mremap(mm, B, 4 * P, 4 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, A + 3 * P),
		A + 3 * P);
	SWAPPED(mm, A + 3 * P);
	SWAPPED(mm, A + 5 * P);
	CHECK_M(m);
	for (uint64_t i = 0; i < 4; i++) {
		EXPECT_EQ(peek(mm, A + (3 + i) * P, &v), VM_FAULT_OK);
		EXPECT_EQ(v, i * 3);
	}
	/* mprotect read-only keeps the entries; they come back read-only */
	OK0(vm_mprotect(mm, B + 4 * P, 8 * P, PROT_R));
	SWAPPED(mm, B + 4 * P);
	EXPECT_EQ(peek(mm, B + 4 * P, &v), VM_FAULT_OK);
	EXPECT_EQ(v, 4 * 3);
	EXPECT(!pte_write(pte_at(mm, B + 4 * P)));
	EXPECT_EQ(poke(mm, B + 6 * P, 1), VM_FAULT_SEGV);
	SWAPPED(mm, B + 6 * P);
	/* PROT_NONE: the entry stays, an access is SIGSEGV */
	OK0(vm_mprotect(mm, B + 6 * P, P, 0));
	EXPECT_EQ(peek(mm, B + 6 * P, &v), VM_FAULT_SEGV);
	SWAPPED(mm, B + 6 * P);
	CHECK_M(m);
	/* back to rw: the exclusive entry comes back writable, no copy */
	OK0(vm_mprotect(mm, B + 4 * P, 8 * P, PROT_RW));
	v = m->stats.cow_copies;
	EXPECT_EQ(poke(mm, B + 6 * P, 0x66), VM_FAULT_OK);
	EXPECT_EQ(poke(mm, B + 4 * P, 0x44), VM_FAULT_OK);   /* was read-only: reused */
	EXPECT_EQ(m->stats.cow_copies, v);
	for (uint64_t i = 12; i < n; i++) {
		EXPECT_EQ(peek(mm, B + i * P, &v), VM_FAULT_OK);
		EXPECT_EQ(v, i * 3);
	}
	CHECK_M(m);
	mm_destroy(mm);
	EXPECT_EQ(m->swap.nr_used, 0);
	ALL_FREE(m);
	return true;
}

/*
 * swapoff brings every page back (shared entries to one frame, mapped
 * read-only and old); without the memory for them it answers -ENOMEM and
 * swap stays on, what came back staying.
 */
static bool t_swapoff(struct ctx *c)
{
	struct vm_machine *m = swap_machine(c, 1ULL << 20, SWAP);   /* 256 frames */
	const uint64_t n = 300;
	struct vm_mm *par, *chi;
	uint64_t v, i;

	EXPECT(m);
	par = mm_create(m);
	EXPECT(par);
	OK_ADDR(vm_mmap(par, A, n * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	/* more pages than frames: reclaim makes room as a fault would */
	for (i = 0; i < n; i++) {
		int r = poke(par, A + i * P, 7 * i + 1);

		if (r == VM_FAULT_OOM && mm_reclaim_retry(m, 32))
			r = poke(par, A + i * P, 7 * i + 1);
		EXPECT_EQ(r, VM_FAULT_OK);
	}
	EXPECT(par->nr_swap > 0);
	OK0(mm_fork(par, &chi));
	CHECK_M(m);
	EXPECT_EQ(swap_off(m), -ENOMEM_);
	EXPECT(swap_enabled(m));
	EXPECT(m->swap.writeok);
	CHECK_M(m);
	/* half the memory goes: now it fits */
	OK0(vm_munmap(par, A, n / 2 * P));
	OK0(vm_munmap(chi, A, n / 2 * P));
	OK0(swap_off(m));
	EXPECT(!swap_enabled(m));
	EXPECT_EQ(par->nr_swap + chi->nr_swap, 0);
	CHECK_M(m);
	for (i = n / 2; i < n; i++) {
		pte_t pp = pte_at(par, A + i * P);

		EXPECT(pte_present(pp));
		EXPECT(!pte_write(pp));
		EXPECT_EQ(pte_pfn(pp), pfn_at(chi, A + i * P));
		EXPECT(!(frame_at(par, A + i * P)->flags & PG_SWAPCACHE));
		EXPECT_EQ(peek(par, A + i * P, &v), VM_FAULT_OK);
		EXPECT_EQ(v, 7 * i + 1);
		EXPECT_EQ(peek(chi, A + i * P, &v), VM_FAULT_OK);
		EXPECT_EQ(v, 7 * i + 1);
	}
	/* without swap, anonymous memory is not reclaimable */
	EXPECT_EQ(mm_reclaim_retry(m, 100), 0);
	CHECK_M(m);
	mm_destroy(chi);
	mm_destroy(par);
	ALL_FREE(m);
	return true;
}

/*
 * swapoff with the swap cache shared by many (issue 12 item 5): a parent's
 * 64 pages swapped out, then 30 forks share every entry (31 per slot); a
 * third of the children read half the pages back (swap-cache pages mapped
 * by some, named by entries in the others), a few write some (COW copies),
 * one exits.  swapoff brings every page back once: each process reads its
 * own values, those that did not write share one frame per page, no frame
 * is in the swap cache, and the checkers (every scheme's walk of every
 * page) pass.  schemes.t runs it under every scheme.
 */
static bool t_swapoff_shared(struct ctx *c)
{
	struct vm_machine *m = swap_machine(c, 4ULL << 20, SWAP);
	enum { NP = 64, NC = 30 };
	struct vm_mm *par, *chi[NC];
	uint64_t v;

	EXPECT(m);
	par = mm_create(m);
	EXPECT(par);
	OK_ADDR(vm_mmap(par, A, NP * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (uint64_t i = 0; i < NP; i++)
		EXPECT_EQ(poke(par, A + i * P, 0x1000 + i), VM_FAULT_OK);
	for (uint64_t i = 0; i < NP; i++)
		OK0(swap_out_at(par, A + i * P));
	for (int k = 0; k < NC; k++)
		OK0(mm_fork(par, &chi[k]));
	EXPECT_EQ(m->swap.map[SLOT_AT(par, A)], NC + 1);
	for (int k = 0; k < NC; k += 3)
		for (uint64_t i = 0; i < NP; i += 2)
			EXPECT_EQ(peek(chi[k], A + i * P, &v), VM_FAULT_OK);
	for (int k = 1; k < NC; k += 7)
		for (uint64_t i = 0; i < NP; i += 5)
			EXPECT_EQ(poke(chi[k], A + i * P, 0x2000 + (uint64_t)k * 100 + i),
				  VM_FAULT_OK);
	mm_destroy(chi[NC - 1]);
	CHECK_M(m);
	OK0(swap_off(m));
	EXPECT(!swap_enabled(m));
	CHECK_M(m);
	for (uint64_t i = 0; i < NP; i++) {
		EXPECT(pte_present(pte_at(par, A + i * P)));
		EXPECT(!(frame_at(par, A + i * P)->flags & PG_SWAPCACHE));
		EXPECT_EQ(peek(par, A + i * P, &v), VM_FAULT_OK);
		EXPECT_EQ(v, 0x1000 + i);
		for (int k = 0; k < NC - 1; k++) {
			bool wrote = k % 7 == 1 && i % 5 == 0;

			EXPECT_EQ(peek(chi[k], A + i * P, &v), VM_FAULT_OK);
			EXPECT_EQ(v, wrote ? 0x2000 + (uint64_t)k * 100 + i : 0x1000 + i);
			if (!wrote)
				EXPECT_EQ(pfn_at(chi[k], A + i * P), pfn_at(par, A + i * P));
		}
	}
	CHECK_M(m);
	for (int k = 0; k < NC - 1; k++)
		mm_destroy(chi[k]);
	mm_destroy(par);
	ALL_FREE(m);
	return true;
}

/*
 * I/O failures (--fail-swap-io): a write that fails keeps the page in the
 * swap cache, dirty, its PTE already an entry (a fault finds it there); a
 * read that fails is SIGBUS and changes nothing, the next read succeeds.
 * A full device keeps the page where it is.
 */
static bool t_io_errors(struct ctx *c)
{
	struct vm_machine *m = swap_machine(c, MEM, 3 * P);         /* 2 slots */
	struct vm_mm *mm;
	struct vm_frame *f;
	uint32_t slot;
	uint64_t v;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 3 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(poke(mm, A + i * P, 0x10 + (uint64_t)i), VM_FAULT_OK);
	m->swap.fail_io_at = m->swap.nr_io + 1;
	f = frame_at(mm, A);
	EXPECT_EQ(swap_out_at(mm, A), -EIO);
	EXPECT_EQ(m->stats.swap_io_errors, 1);
	SWAPPED(mm, A);
	slot = SLOT_AT(mm, A);
	EXPECT_EQ(m->swap.cache[slot], frame_pfn(m, f));
	EXPECT((f->flags & (PG_SWAPCACHE | PG_DIRTY)) == (PG_SWAPCACHE | PG_DIRTY));
	EXPECT_EQ(f->mapcount, 0);
	EXPECT_EQ(m->swap.map[slot], 2);
	CHECK_M(m);
	/* a fault finds it in the cache */
	EXPECT_EQ(peek(mm, A, &v), VM_FAULT_OK);
	EXPECT_EQ(v, 0x10);
	EXPECT_EQ(m->stats.swap_cache_hits, 1);
	EXPECT_EQ(pfn_at(mm, A), frame_pfn(m, f));
	CHECK_M(m);
	/* it goes out properly the next time (the page is still dirty) */
	OK0(swap_out_at(mm, A));
	OK0(swap_out_at(mm, A + P));
	/* the device is full: the third page stays */
	EXPECT_EQ(swap_out_at(mm, A + 2 * P), -ENOSPC);
	EXPECT(pte_present(pte_at(mm, A + 2 * P)));
	EXPECT_EQ(mm_reclaim_retry(m, 10), 0);
	CHECK_M(m);
	/* a read fails: SIGBUS, nothing else lost */
	m->swap.fail_io_at = m->swap.nr_io + 1;
	EXPECT_EQ(peek(mm, A + P, &v), VM_FAULT_BUS);
	EXPECT_EQ(m->stats.swap_io_errors, 2);
	SWAPPED(mm, A + P);
	EXPECT_EQ(mm->nr_swap, 2);
	CHECK_M(m);
	EXPECT_EQ(peek(mm, A + P, &v), VM_FAULT_OK);
	EXPECT_EQ(v, 0x11);
	EXPECT_EQ(peek(mm, A, &v), VM_FAULT_OK);
	EXPECT_EQ(v, 0x10);
	/* swapoff that cannot read a page leaves a poisoned entry: SIGBUS */
	OK0(swap_out_at(mm, A));
	m->swap.fail_io_at = m->swap.nr_io + 1;
	OK0(swap_off(m));
	EXPECT(pte_swp_poisoned(pte_at(mm, A)));
	EXPECT_EQ(mm->nr_swap, 0);
	EXPECT_EQ(peek(mm, A, &v), VM_FAULT_BUS);
	CHECK_M(m);
	OK0(vm_munmap(mm, A, P));
	CHECK_M(m);
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

/*
 * The checker sees a wrong slot count, an entry naming a free slot, a
 * swap-cache frame its slot does not hold, and a wrong nr_swap; put back,
 * it passes.  Which page is corrupted is drawn from the seed.
 */
static bool t_checker_corruption(struct ctx *c)
{
	struct vm_machine *m = swap_machine(c, MEM, SWAP);
	struct vm_mm *mm, *chi;
	uint64_t a, v;
	uint32_t slot, spare;
	pte_t *pte, saved;
	struct vm_frame *f;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 32 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 32; i++)
		EXPECT_EQ(poke(mm, A + i * P, (uint64_t)i), VM_FAULT_OK);
	for (int i = 0; i < 32; i++)
		OK0(swap_out_at(mm, A + i * P));
	OK0(mm_fork(mm, &chi));
	a = A + below(c, 32) * P;
	slot = SLOT_AT(mm, a);
	CHECK_M(m);
	/* a slot's count one too many */
	m->swap.map[slot]++;
	EXPECT(!check_machine(m));
	EXPECT(!strncmp(m->why, "swap:", 5));
	m->swap.map[slot]--;
	CHECK_M(m);
	/* an entry naming a free slot: the whole check sees it, and so does
	 * the check of what changed, when its range changed */
	spare = m->swap.nr_slots - 1;
	EXPECT_EQ(m->swap.map[spare], 0);
	pte = pte_lookup(chi, a);
	saved = *pte;
	*pte = swp_entry_pte(spare, false);
	EXPECT(!check_machine(m));
	EXPECT(strstr(m->why, "not in use"));
	OK0(check_changes_start(m));
	EXPECT(check_changes(m));                 /* not noted: not looked at */
	check_note_pte(chi, a);
	EXPECT(!check_changes(m));
	EXPECT(strstr(m->why, "not in use"));
	*pte = saved | PTE_DIRTY;                 /* a stray bit */
	check_note_pte(chi, a);
	EXPECT(!check_changes(m));
	EXPECT(strstr(m->why, "stray bits"));
	*pte = saved;
	check_note_pte(chi, a);
	EXPECT(check_changes(m));
	check_changes_stop(m);
	CHECK_M(m);
	/* an entry the mm does not count */
	chi->nr_swap--;
	EXPECT(!check_machine(m));
	EXPECT(strstr(m->why, "nr_swap"));
	chi->nr_swap++;
	/* a swap-cache frame at the wrong slot */
	EXPECT_EQ(peek(mm, a, &v), VM_FAULT_OK);
	f = frame_at(mm, a);
	EXPECT(f->flags & PG_SWAPCACHE);
	f->pad = spare;
	EXPECT(!check_machine(m));
	EXPECT(!strncmp(m->why, "swap:", 5));
	f->pad = slot;
	/* a frame that forgot it is in the cache */
	f->flags &= ~PG_SWAPCACHE;
	EXPECT(!check_machine(m));
	f->flags |= PG_SWAPCACHE;
	CHECK_M(m);
	mm_destroy(chi);
	mm_destroy(mm);
	ALL_FREE(m);
	return true;
}

/*
 * Random work against a shadow copy of every page: writes, reads, forks,
 * exits, munmap, mremap, mprotect, dontneed, with reclaim to swap between
 * them; every read reads the last value written, and the machine is
 * checked as it goes.
 */
#define RW_PAGES 24
#define RW_PROCS 4
static bool t_random(struct ctx *c)
{
	struct vm_machine *m = swap_machine(c, MEM, 256 * P);
	struct vm_mm *mm[RW_PROCS] = { 0 };
	uint64_t shadow[RW_PROCS][RW_PAGES];
	bool mapped[RW_PROCS][RW_PAGES];

	EXPECT(m);
	mm[0] = mm_create(m);
	EXPECT(mm[0]);
	OK_ADDR(vm_mmap(mm[0], A, RW_PAGES * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	memset(shadow, 0, sizeof(shadow));
	for (int i = 0; i < RW_PAGES; i++)
		mapped[0][i] = true;
	for (int step = 0; step < 3000; step++) {
		int p = (int)below(c, RW_PROCS), q, i = (int)below(c, RW_PAGES);
		uint64_t a = A + (uint64_t)i * P, v;
		unsigned op = below(c, 100);

		if (!mm[p])
			continue;
		if (op < 35) {
			v = rnd(c);
			EXPECT_EQ(poke(mm[p], a, v), mapped[p][i] ? VM_FAULT_OK : VM_FAULT_SEGV);
			if (mapped[p][i])
				shadow[p][i] = v;
		} else if (op < 70) {
			int r = peek(mm[p], a, &v);

			EXPECT_EQ(r, mapped[p][i] ? VM_FAULT_OK : VM_FAULT_SEGV);
			if (!r && v != shadow[p][i])
				FAIL("step %d: pid %d page %d reads %#" PRIx64 ", wrote %#" PRIx64,
				     step, p, i, v, shadow[p][i]);
		} else if (op < 85) {
			EXPECT(mm_reclaim(m, 1 + below(c, 16)) <= 16);
		} else if (op < 88) {
			for (q = 0; q < RW_PROCS && mm[q]; q++)
				;
			if (q < RW_PROCS) {
				OK0(mm_fork(mm[p], &mm[q]));
				memcpy(shadow[q], shadow[p], sizeof(shadow[p]));
				memcpy(mapped[q], mapped[p], sizeof(mapped[p]));
			}
		} else if (op < 90 && p) {
			mm_destroy(mm[p]);
			mm[p] = NULL;
		} else if (op < 93) {
			/* dontneed: reads zero again */
			if (mapped[p][i]) {
				OK0(vm_madvise(mm[p], a, P, MADV_DONTNEED_));
				shadow[p][i] = 0;
			}
		} else if (op < 96) {
			/* swap two pages through a third place with mremap */
			int j = (int)below(c, RW_PAGES);
			uint64_t b = A + (uint64_t)j * P, tmp = A + 64 * PMD_SIZE;

			if (i == j || !mapped[p][i] || !mapped[p][j])
				continue;
			OK_ADDR(vm_mremap(mm[p], a, P, P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, tmp), tmp);
			OK_ADDR(vm_mremap(mm[p], b, P, P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, a), a);
			OK_ADDR(vm_mremap(mm[p], tmp, P, P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, b), b);
			v = shadow[p][i];
			shadow[p][i] = shadow[p][j];
			shadow[p][j] = v;
		} else if (op < 98) {
			if (mapped[p][i])
				OK0(vm_mprotect(mm[p], a, P, below(c, 2) ? PROT_R : PROT_RW));
			if (mapped[p][i])
				OK0(vm_mprotect(mm[p], a, P, PROT_RW));
		} else if (mapped[p][i]) {
			OK0(vm_munmap(mm[p], a, P));
			mapped[p][i] = false;
		}
		if (step % 50 == 0 || op >= 85)
			CHECK_M(m);
	}
	CHECK_M(m);
	EXPECT(m->stats.swap_outs > 100);
	EXPECT(m->stats.swap_ins > 100);
	for (int p = 0; p < RW_PROCS; p++)
		if (mm[p])
			mm_destroy(mm[p]);
	EXPECT_EQ(m->swap.nr_used, 0);
	ALL_FREE(m);
	return true;
}

/* ================================================================== */

/*
 * Compaction migrates a swap-cache page (folio_migrate_mapping): the parent
 * read back a page its child still has a swap entry for, so the page is in
 * the swap cache and mapped once, at a frame the test chose (every other
 * free frame held).  Every held frame of the parity of the page's buddy is
 * given back, so that the only order-1 block compaction may empty is the
 * page's (its buddy free):
 * after compact 1 the page is at a new frame, the swap cache names it
 * there, and the child's fault finds it through the cache.
 */
static bool t_compact_swap_cache(struct ctx *c)
{
	struct vm_machine *m = swap_machine(c, MEM, SWAP);
	struct vm_mm *par, *chi;
	uint32_t *held, nheld = 0, slot, pfn = FRAME_NIL, npfn;
	uint64_t v;

	EXPECT(m);
	m->wmark_min = 0;
	par = mm_create(m);
	EXPECT(par);
	OK_ADDR(vm_mmap(par, A, 2 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	EXPECT_EQ(poke(par, A, 0x5a5a), VM_FAULT_OK);
	OK0(mm_fork(par, &chi));
	OK0(swap_out_at(par, A));
	slot = SLOT_AT(chi, A);
	/* a fault now, so that a scheme's reserve (ptechain's, objrmap's
	 * pte_chain blocks) is full before the frames are taken */
	EXPECT_EQ(poke(par, A + P, 1), VM_FAULT_OK);
	/* every free frame held; then one of a held pair given back, for the
	 * page to come back to */
	held = calloc(m->nr_frames, sizeof(*held));
	EXPECT(held);
	for (;;) {
		uint32_t h = __frames_alloc(m, 0, false);

		if (h == FRAME_NIL)
			break;
		held[nheld++] = h;
	}
	for (uint32_t i = 0; i < nheld && pfn == FRAME_NIL; i++)
		for (uint32_t j = 0; j < nheld; j++)
			if (held[j] == (held[i] ^ 1)) {
				pfn = held[i];
				frame_put(m, pfn);
				held[i] = FRAME_NIL;
				break;
			}
	EXPECT(pfn != FRAME_NIL);
	EXPECT_EQ(peek(par, A, &v), VM_FAULT_OK);
	EXPECT_EQ(pfn_at(par, A), pfn);
	EXPECT(pfn_frame(m, pfn)->flags & PG_SWAPCACHE);
	EXPECT_EQ(m->swap.cache[slot], pfn);
	/* the frames of its buddy's parity given back: no order-1 block is
	 * free, and the page's is the only one compaction may empty */
	for (uint32_t i = 0; i < nheld; i++)
		if (held[i] != FRAME_NIL && (held[i] & 1) == ((pfn ^ 1) & 1)) {
			frame_put(m, held[i]);
			held[i] = FRAME_NIL;
		}
	EXPECT(pfn_frame(m, pfn ^ 1)->flags & PG_BUDDY);
	for (unsigned o = 1; o <= MAX_ORDER; o++)
		EXPECT_EQ(m->free[o].nr, 0);
	/* (no checker while frames are held: it would call them leaked) */
	EXPECT_EQ(mm_compact(m, 1), 0);
	npfn = (uint32_t)pfn_at(par, A);
	EXPECT(npfn != pfn && (npfn | 1) != (pfn | 1));
	EXPECT_EQ(m->swap.cache[slot], npfn);
	EXPECT(pfn_frame(m, npfn)->flags & PG_SWAPCACHE);
	EXPECT_EQ(peek(par, A, &v), VM_FAULT_OK);
	EXPECT_EQ(v, 0x5a5a);
	for (uint32_t i = 0; i < nheld; i++)
		if (held[i] != FRAME_NIL)
			frame_put(m, held[i]);
	free(held);
	CHECK_M(m);
	EXPECT_EQ(peek(chi, A, &v), VM_FAULT_OK);        /* through the cache */
	EXPECT_EQ(v, 0x5a5a);
	EXPECT_EQ(pfn_at(chi, A), npfn);
	CHECK_M(m);
	mm_destroy(chi);
	mm_destroy(par);
	CHECK_M(m);
	return true;
}

static const struct test tests[] = {
	{ "the device: an unlinked host file, its size, on and off", t_device, NULL },
	{ "out and back: every byte; exclusive comes back writable, clean in the cache",
	  t_out_and_back, NULL },
	{ "write fault frees the cache; mlock keeps pages in and brings them back",
	  t_write_fault_and_mlock, NULL },
	{ "swapoff with the swap cache shared by 31 processes: every page back once, shared",
	  t_swapoff_shared, NULL },
	{ "compaction migrates a swap-cache page; the cache and the child follow",
	  t_compact_swap_cache, NULL },
	{ "fork shares an entry: one frame for both, COW, the slot freed", t_fork_shares_entry,
	  NULL },
	{ "the last reference frees the slot (exit, munmap, dontneed, free, mmap over)",
	  t_last_reference, NULL },
	{ "mremap moves swap entries, mprotect keeps them", t_mremap_mprotect, NULL },
	{ "swapoff brings everything back, or -ENOMEM with swap on", t_swapoff, NULL },
	{ "I/O errors: a failed write keeps the page, a failed read is SIGBUS; full device",
	  t_io_errors, NULL },
	{ "the checker sees corrupted slot counts, entries and swap-cache frames",
	  t_checker_corruption, NULL },
	{ "random work with reclaim to swap reads what it wrote", t_random, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
