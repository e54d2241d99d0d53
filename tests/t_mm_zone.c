/*
 * tests/t_mm_zone.c - the low zone (--lowmem, mm/frame.c): boundaries,
 * kernel metadata only in lowmem, user pages high first, lowmem exhausted
 * by page tables and by pte_chain blocks ending in -ENOMEM or OOM with the
 * checkers passing, reclaim (direct and kswapd) that frees low pages when
 * lowmem is short, and --highpte moving PTE tables out.  TAP; the shared parts are in t_mm.h.
 *
 * Scheme-blind but for the pte_chain test, which makes its machines under
 * ptechain and avc by name whatever scheme it is given.
 */
#include "t_mm.h"

/* a fresh machine of bytes whose first low bytes are the low zone, under
 * scheme (NULL: the run's) */
static struct vm_machine *zone_machine(struct ctx *c, uint64_t bytes, uint64_t low,
				       bool highpte, const char *scheme)
{
	struct vm_machine *m;

	if (c->nm == MAXM)
		return NULL;
	m = &c->m[c->nm];
	if (machine_init(m, bytes, scheme ? rmap_find_scheme(scheme) : c->scheme))
		return NULL;
	c->nm++;
	if (machine_set_lowmem(m, low, highpte))
		return NULL;
	return m;
}

/* frames of every kind by zone: slabs and page tables must be low (PTE
 * tables may be high with --highpte); => false with c->why */
struct census {
	uint64_t slab_low, pt_low, pt_high, user_low, user_high;
};

static bool census(struct ctx *c, struct vm_machine *m, struct census *z)
{
	memset(z, 0, sizeof(*z));
	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);
		bool low = pfn_is_low(m, pfn);

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if (f->flags & PG_SLAB) {
			if (!low)
				FAIL("slab pfn %" PRIu64 " is high", pfn);
			z->slab_low++;
		} else if (f->flags & PG_PGTABLE) {
			if (!low && (!m->low.highpte || !f->mapping))
				FAIL("page table pfn %" PRIu64 " is high", pfn);
			low ? z->pt_low++ : z->pt_high++;
		} else if (f->flags & (PG_ANON | PG_CACHE)) {
			low ? z->user_low++ : z->user_high++;
		}
	}
	return true;
}
#define CENSUS(m, z) do { if (!census(c, m, z)) return false; } while (0)

/*
 * An 8 MiB machine with 1 MiB of lowmem: frames [1, 256) are on the low
 * zone's lists (255 free: 1 + 2 + ... + 128), the rest on the high zone's,
 * no block across 256; the deferred blocks start above the low zone.  The
 * option's limits: 16 frames at least, 16 left above, nothing allocated.
 */
static bool t_zone_boundaries(struct ctx *c)
{
	struct vm_machine *m = zone_machine(c, MEM, 1 << 20, false, NULL);
	struct vm_machine *m2 = machine(c, MEM);
	uint64_t low = 0;

	EXPECT(m && m2);
	EXPECT_EQ(m->low.end, 256);
	EXPECT_EQ(m->low.nr_free, 255);
	EXPECT_EQ(m->nr_free, 2047);
	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		low += m->low.free[o].nr << o;
		for (uint32_t pfn = m->low.free[o].head; pfn != FRAME_NIL;
		     pfn = pfn_frame(m, pfn)->next)
			EXPECT(pfn + (1u << o) <= 256);
		for (uint32_t pfn = m->free[o].head; pfn != FRAME_NIL;
		     pfn = pfn_frame(m, pfn)->next)
			EXPECT(pfn >= 256);
	}
	EXPECT_EQ(low, 255);
	EXPECT(m->defer_lo >= 256);
	CHECK_M(m);
	EXPECT_EQ(machine_set_lowmem(m2, 60 << 10, false), -22);      /* 15 frames */
	EXPECT_EQ(machine_set_lowmem(m2, MEM - (60 << 10), false), -22);
	EXPECT(frames_alloc(m2, 0) != FRAME_NIL);
	EXPECT_EQ(machine_set_lowmem(m2, 1 << 20, false), -16);       /* in use */
	EXPECT_EQ(m2->low.end, 0);
	/* a kernel allocation takes low, a user one high; freeing coalesces
	 * within each zone only */
	uint32_t k = frames_alloc_kernel(m, 0), u = frames_alloc(m, 0);

	EXPECT(k != FRAME_NIL && k < 256);
	EXPECT(u != FRAME_NIL && u >= 256);
	EXPECT_EQ(m->low.nr_free, 254);
	frame_put(m, k);
	frame_put(m, u);
	EXPECT_EQ(m->low.nr_free, 255);
	CHECK_M(m);
	return true;
}

/*
 * Processes' VMAs, address spaces and page tables are low; their pages
 * high, until the high zone is short: then low, above the reserve.
 */
static bool t_zone_placement(struct ctx *c)
{
	struct vm_machine *m = zone_machine(c, MEM, 1 << 20, false, NULL);
	struct vm_mm *mm;
	struct census z;
	uint64_t n = 0;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	OK_ADDR(vm_mmap(mm, A, 64 * P, PROT_RW, PRIV_FIXED, NULL, 0), A);
	for (int i = 0; i < 64; i++)
		OK0(poke(mm, A + i * P, i));
	CENSUS(m, &z);
	EXPECT(z.slab_low >= 2);           /* the VMA, the mm */
	EXPECT_EQ(z.pt_low, 4);
	EXPECT_EQ(z.pt_high, 0);
	EXPECT_EQ(z.user_low, 0);
	EXPECT_EQ(z.user_high, 64);
	CHECK_M(m);
	/* user pages until none is left: the high zone first, the low one
	 * last and never below its min + reserve */
	for (uint32_t pfn; (pfn = frames_alloc(m, 0)) != FRAME_NIL; n++)
		if (pfn < 256)
			EXPECT(m->nr_free - m->low.nr_free <= m->wmark_min - m->low.wmark_min);
	EXPECT(n > 1600);
	EXPECT_EQ(m->nr_free - m->low.nr_free, m->wmark_min - m->low.wmark_min);
	EXPECT_EQ(m->low.nr_free, m->low.wmark_min + m->low.reserve);
	EXPECT_EQ(m->low.alloc_failures, 0);
	EXPECT(!m->low.reclaim);
	/* the kernel may still have what user pages left it */
	EXPECT(frames_alloc_kernel(m, 0) != FRAME_NIL);
	EXPECT_EQ(m->low.alloc_failures, 0);
	return true;                      /* the runner frees the machine */
}

/*
 * Page tables alone exhaust a low zone of 32 frames: address spaces that
 * each map and touch one page (four tables and their slab objects each)
 * until one step fails with -ENOMEM or OOM while the high zone is nearly
 * all free; the checkers pass, and an exit makes room again.
 */
static bool t_zone_pgtables_exhaust(struct ctx *c)
{
	struct vm_machine *m = zone_machine(c, MEM, 128 << 10, false, NULL);
	struct vm_mm *mms[64];
	int n = 0, r = 0;

	EXPECT(m);
	for (; n < 64; n++) {
		uint64_t a;

		mms[n] = mm_create(m);
		if (!mms[n])
			break;
		a = vm_mmap(mms[n], A, P, PROT_RW, PRIV_FIXED, NULL, 0);
		if (IS_ERR_ADDR(a)) {
			EXPECT_EQ(a, VM_ERR(-ENOMEM_));
			n++;
			break;
		}
		r = poke(mms[n], A, n);
		if (r) {
			EXPECT_EQ(r, VM_FAULT_OOM);
			n++;
			break;
		}
	}
	EXPECT(n < 64);
	EXPECT(m->low.alloc_failures > 0);
	EXPECT(m->low.reclaim);
	EXPECT(m->nr_free - m->low.nr_free > 1900);   /* the high zone is not short */
	CHECK_M(m);
	/* nothing low is reclaimable: reclaim frees nothing */
	EXPECT_EQ(mm_reclaim(m, 32), 0);
	for (int i = 0; i < n; i++)
		if (mms[i])
			mm_destroy(mms[i]);
	EXPECT_EQ(m->low.nr_free, m->low.end - 1);
	CHECK_M(m);
	return true;
}

/*
 * With --highpte, PTE tables go high; the upper levels stay low.
 */
static bool t_zone_highpte(struct ctx *c)
{
	struct vm_machine *m = zone_machine(c, MEM, 1 << 20, true, NULL);
	struct vm_mm *mm;
	struct census z;

	EXPECT(m);
	mm = mm_create(m);
	EXPECT(mm);
	for (int i = 0; i < 4; i++) {
		OK_ADDR(vm_mmap(mm, A + i * PMD_SIZE, P, PROT_RW, PRIV_FIXED, NULL, 0),
			A + i * PMD_SIZE);
		OK0(poke(mm, A + i * PMD_SIZE, i));
	}
	CENSUS(m, &z);
	EXPECT_EQ(z.pt_low, 3);
	EXPECT_EQ(z.pt_high, 4);
	CHECK_M(m);
	/* without --highpte the checker refuses the high PTE tables */
	m->low.highpte = false;
	EXPECT(!check_machine(m));
	EXPECT(strstr(m->why, "lowmem: page table"));
	m->low.highpte = true;
	CHECK_M(m);
	return true;
}

/*
 * When lowmem is short, reclaim frees low pages, not the older high ones:
 * a file fills the high zone and spills into the low one; kernel objects
 * then fill what is left of lowmem until one is refused; reclaim frees low
 * page-cache pages only, and the object can be had again.
 */
static bool t_zone_reclaim(struct ctx *c)
{
	struct vm_machine *m = zone_machine(c, MEM, 256 << 10, false, NULL);
	static void *obj[4096];
	struct vm_file *f;
	struct census z;
	uint64_t high_free, low_free, n = 0, freed;
	int err;

	EXPECT(m);
	f = file_create(m, "f", (2048 - 64 - 32 + 16) * P, 1, &err);
	EXPECT(f);
	CENSUS(m, &z);
	EXPECT(z.user_low > 0);
	while (n < 4096 && (obj[n] = slab_alloc(m, &m->slab_vma)))
		n++;
	EXPECT(n < 4096);
	EXPECT(m->low.reclaim);
	EXPECT(m->low.alloc_failures > 0);
	CHECK_M(m);
	high_free = m->nr_free - m->low.nr_free;
	low_free = m->low.nr_free;
	freed = mm_reclaim_retry(m, 8);
	EXPECT(freed > 0);
	EXPECT_EQ(m->low.nr_free, low_free + freed);
	EXPECT_EQ(m->nr_free - m->low.nr_free, high_free);
	EXPECT((obj[n] = slab_alloc(m, &m->slab_vma)) != NULL);
	n++;
	EXPECT(!m->low.reclaim || m->low.alloc_failures > 0);
	for (uint64_t i = 0; i < n; i++)
		slab_free(m, &m->slab_vma, obj[i]);
	CHECK_M(m);
	file_put(f);
	CHECK_M(m);
	return true;
}

/*
 * kswapd balances the low zone to its own high watermark, freeing low
 * pages only: a file fills the high zone and spills into the low one down
 * to its reserve; kernel objects take lowmem below its low watermark,
 * which wakes kswapd though the machine as a whole is above its own.
 */
static bool t_zone_kswapd(struct ctx *c)
{
	struct vm_machine *m = zone_machine(c, MEM, 2 << 20, false, NULL);
	static void *obj[8192];
	struct vm_file *f, *g;
	uint64_t high_free, n = 0, runs;
	int err;

	EXPECT(m);
	EXPECT(m->low.wmark_min < m->low.wmark_low && m->low.wmark_low < m->low.wmark_high);
	/* g fills the high zone, f goes low, and g goes: lowmem holds f */
	g = file_create(m, "g", (2048 - 512 - 32 + 8) * P, 1, &err);
	f = file_create(m, "f", 400 * P, 2, &err);
	EXPECT(f && g);
	file_put(g);
	EXPECT(m->low.nr_free <= m->low.end - 1 - 400);
	m->kswapd_wanted = false;
	while (m->low.nr_free >= m->low.wmark_low && n < 8192)
		EXPECT((obj[n++] = slab_alloc(m, &m->slab_vma)) != NULL);
	EXPECT(m->kswapd_wanted);
	EXPECT(m->nr_free >= m->wmark_low);          /* the machine is not short */
	high_free = m->nr_free - m->low.nr_free;
	runs = m->stats.kswapd_runs;
	EXPECT(mm_kswapd(m) > 0);
	EXPECT_EQ(m->stats.kswapd_runs, runs + 1);
	EXPECT(m->low.nr_free >= m->low.wmark_high);
	EXPECT_EQ(m->nr_free - m->low.nr_free, high_free);
	EXPECT(!m->low.reclaim);
	CHECK_M(m);
	for (uint64_t i = 0; i < n; i++)
		slab_free(m, &m->slab_vma, obj[i]);
	file_put(f);
	CHECK_M(m);
	return true;
}

/*
 * The debate's case, small: one address space maps a 1 MiB file 64
 * times and reads it all.  Under ptechain every page keeps a chain of the
 * 64 PTEs (blocks of 7 in slabs), some 36 frames: a low zone of 32 frames
 * (PTE tables high) runs out, and the read that needs one more block is
 * OOM; under avc the file's pages are found through i_mmap and nothing
 * but 64 VMAs is added: no failure.
 */
static bool t_zone_pte_chains(struct ctx *c)
{
	const char *schemes[] = { "ptechain", "avc" };

	for (int s = 0; s < 2; s++) {
		struct vm_machine *m = zone_machine(c, 16ULL << 20, 128 << 10, true, schemes[s]);
		struct vm_file *f;
		struct vm_mm *mm;
		int err, bad = 0;

		EXPECT(m);
		f = file_create(m, "f", 256 * P, 1, &err);
		mm = mm_create(m);
		EXPECT(f && mm);
		for (int i = 0; i < 64 && !bad; i++) {
			uint64_t a = A + (uint64_t)i * PMD_SIZE, v;

			if (IS_ERR_ADDR(vm_mmap(mm, a, 256 * P, PROT_R, MAP_SHARED_ | MAP_FIXED_,
						f, 0))) {
				bad = 1;
				break;
			}
			for (int p = 0; p < 256 && !bad; p++)
				bad = peek(mm, a + p * P, &v);
		}
		CHECK_M(m);
		if (s == 0) {
			EXPECT_EQ(bad, VM_FAULT_OOM);
			EXPECT(m->low.alloc_failures > 0);
			EXPECT(m->slab_rmap[0].frames + m->slab_rmap[1].frames > 8);
		} else {
			EXPECT_EQ(bad, 0);
			EXPECT_EQ(m->low.alloc_failures, 0);
		}
		file_put(f);
		mm_destroy(mm);
		CHECK_M(m);
		EXPECT_EQ(m->low.nr_free, m->low.end - 1);
	}
	return true;
}

static const struct test tests[] = {
	{ "zone: boundaries, lists and the option's limits", t_zone_boundaries, NULL },
	{ "zone: metadata low, user pages high first, then low above the reserve",
	  t_zone_placement, NULL },
	{ "zone: page tables exhaust lowmem: -ENOMEM or OOM, checkers pass",
	  t_zone_pgtables_exhaust, NULL },
	{ "zone: --highpte moves PTE tables out, upper levels stay", t_zone_highpte, NULL },
	{ "zone: lowmem short: reclaim frees low pages only", t_zone_reclaim, NULL },
	{ "zone: kswapd balances lowmem to its high watermark", t_zone_kswapd, NULL },
	{ "zone: pte_chains exhaust lowmem where avc's objects do not", t_zone_pte_chains,
	  NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
