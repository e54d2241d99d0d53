/*
 * tests/t_mm_inject.c - allocation failures, injected (m->fail_alloc_at:
 * the Nth allocation fails).  TAP; the shared parts are in t_mm.h.
 *
 * A scenario (processes that fork, write, split, move, lock, exec and
 * exit; or files, the page cache and shared memory) is run once to record
 * every step's result, then once per allocation it makes, that allocation
 * failing: each step must give the reference's result or fail cleanly
 * (-ENOMEM, VM_FAULT_OOM), the machine must check after every step, and
 * everything must come back at the end.  Last, random operations on a
 * small machine with failures injected now and then, the change checker
 * and the whole-machine checker after every one.
 */
#include "t_mm.h"

/* ================================================================== */
/* Fault injection                                                      */
/* ================================================================== */

enum st { ST_ADDR, ST_INT, ST_FAULT, ST_VAL, ST_MM, ST_BRK_FAILED, ST_BRK };

#define MAXSTEPS 128
#define SKIP     0x5c1b5c1b5c1b5c1bULL    /* the step's process does not exist */
#define NOVAL    0x0a1a0a1a0a1a0a1aULL    /* a load that faulted has no value */

struct run {
	struct ctx *c;
	struct vm_machine *m;
	const uint64_t *ref;    /* the reference run's results, NULL while recording */
	uint64_t res[MAXSTEPS]; /* this run's results */
	int n;                  /* steps so far */
	bool failed;            /* some step failed for lack of memory */
	bool bad;               /* a test failure (message in c->why) */
};

static bool is_nomem(enum st k, uint64_t r)
{
	switch (k) {
	case ST_ADDR: return r == VM_ERR(-ENOMEM_);
	case ST_INT: return r == (uint64_t)-ENOMEM_ || r == (uint64_t)-11;  /* -EAGAIN: madvise, mlock */
	case ST_FAULT: return r == VM_FAULT_OOM;
	case ST_MM: return r == (uint64_t)-ENOMEM_;
	case ST_VAL: return false;
	case ST_BRK: return false;
	case ST_BRK_FAILED: return true;      /* brk(2) answers the old break */
	}
	return false;
}

/* record a step's result: before any failure it must be the reference's,
 * or a clean -ENOMEM / VM_FAULT_OOM; and the machine must be sound */
static void step(struct run *r, int line, enum st kind, uint64_t res)
{
	struct list_head *p;

	if (r->bad)
		return;
	if (r->n == MAXSTEPS) {
		r->bad = !say(r->c, line, "too many steps");
		return;
	}
	r->res[r->n] = res;
	if (r->ref && res != r->ref[r->n]) {
		if (res == SKIP || is_nomem(kind, res))
			r->failed = true;
		else if (!r->failed) {
			r->bad = !say(r->c, line, "step %d: result %#" PRIx64 ", reference %#" PRIx64
				      ", and no allocation had failed", r->n, res, r->ref[r->n]);
			return;
		}
	}
	if (!r->ref && (res == SKIP || is_nomem(kind, res))) {
		r->bad = !say(r->c, line, "reference run: step %d failed (%#" PRIx64 ")", r->n, res);
		return;
	}
	r->n++;
	if (!check_machine(r->m)) {
		r->bad = !say(r->c, line, "after step %d: %s", r->n - 1, r->m->why);
		return;
	}
	list_for_each(p, &r->m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		if (mm->locked_vm != locked_pages(mm)) {
			r->bad = !say(r->c, line, "after step %d: locked_vm %" PRIu64 ", but %" PRIu64
				      " pages in VM_LOCKED VMAs", r->n - 1, mm->locked_vm,
				      locked_pages(mm));
			return;
		}
	}
}

#define S_ADDR(mm, expr)  step(r, __LINE__, ST_ADDR, (mm) ? (uint64_t)(expr) : SKIP)
#define S_INT(mm, expr)   step(r, __LINE__, ST_INT, (mm) ? (uint64_t)(int64_t)(expr) : SKIP)
#define S_FAULT(mm, expr) step(r, __LINE__, ST_FAULT, (mm) ? (uint64_t)(expr) : SKIP)

static void s_poke(struct run *r, int line, struct vm_mm *mm, uint64_t addr, uint64_t v)
{
	step(r, line, ST_FAULT, mm ? (uint64_t)poke(mm, addr, v) : SKIP);
}

static void s_peek(struct run *r, int line, struct vm_mm *mm, uint64_t addr)
{
	uint64_t v = SKIP;
	int f = mm ? peek(mm, addr, &v) : 0;

	step(r, line, ST_FAULT, mm ? (uint64_t)f : SKIP);
	step(r, line, ST_VAL, !mm ? SKIP : f == VM_FAULT_OK ? v : NOVAL);
}

static void s_brk(struct run *r, int line, struct vm_mm *mm, uint64_t brk)
{
	uint64_t old = mm ? mm->brk : 0, res = mm ? vm_brk(mm, brk) : SKIP;

	step(r, line, mm && res == old && brk != old ? ST_BRK_FAILED : ST_BRK, res);
}

static struct vm_mm *s_create(struct run *r, int line)
{
	struct vm_mm *mm = mm_create(r->m);

	step(r, line, ST_MM, mm ? 0 : (uint64_t)-ENOMEM_);
	return mm;
}

static struct vm_mm *s_fork(struct run *r, int line, struct vm_mm *par)
{
	struct vm_mm *chi = NULL;
	int err = par ? mm_fork(par, &chi) : 0;

	step(r, line, ST_MM, par ? (uint64_t)(int64_t)err : SKIP);
	return err ? NULL : chi;
}

static void s_destroy(struct run *r, int line, struct vm_mm **mm)
{
	if (*mm)
		mm_destroy(*mm);
	*mm = NULL;
	step(r, line, ST_INT, 0);
}

/*
 * The scenario: three processes, fork and COW, splits and merges, moves,
 * locks, heap, exec, exit, reclaim and compaction.  Every step is recorded.
 */
static void scenario(struct run *r)
{
	const uint64_t B = A + 0x200000, H = A + 0x1000000;
	struct vm_mm *a, *b, *d;

	a = s_create(r, __LINE__);
	S_ADDR(a, vm_mmap(a, A, 16 * P, PROT_RW, PRIV_FIXED, NULL, 0));
	for (int i = 0; i < 16; i += 1 + (i & 1))
		s_poke(r, __LINE__, a, A + i * P, 0x100 + (uint64_t)i);
	s_peek(r, __LINE__, a, A + 15 * P);
	S_INT(a, vm_brkbase(a, H));
	s_brk(r, __LINE__, a, H + 3 * P);
	s_poke(r, __LINE__, a, H + P, 0x77);
	b = s_fork(r, __LINE__, a);
	for (int i = 0; i < 8; i++)
		s_poke(r, __LINE__, b, A + i * P, 0x200 + (uint64_t)i);
	s_poke(r, __LINE__, a, A + 4 * P, 0x300);
	s_poke(r, __LINE__, a, A + 12 * P, 0x301);
	S_INT(a, vm_mprotect(a, A + 2 * P, 3 * P, PROT_R));
	S_INT(b, vm_mprotect(b, A + 6 * P, 4 * P, PROT_R));
	S_INT(a, vm_mprotect(a, A + 2 * P, 3 * P, PROT_RW));
	S_INT(a, vm_madvise(a, A + 9 * P, 2 * P, MADV_DONTFORK_));
	S_ADDR(a, vm_mremap(a, A + 8 * P, 4 * P, 4 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, B));
	S_ADDR(b, vm_mremap(b, A, 4 * P, 8 * P, MREMAP_MAYMOVE_, 0));
	s_poke(r, __LINE__, a, B + P, 0x400);
	S_INT(b, vm_mlock(b, A + 10 * P, 3 * P));
	S_ADDR(a, vm_mmap(a, A + 32 * P, 8 * P, PROT_RW, PRIV_FIXED | MAP_POPULATE_, NULL, 0));
	S_INT(a, vm_munmap(a, A + 34 * P, 2 * P));
	s_brk(r, __LINE__, a, H + P);
	d = s_fork(r, __LINE__, b);
	s_destroy(r, __LINE__, &b);
	for (int i = 10; i < 16; i++)
		s_poke(r, __LINE__, d, A + i * P, 0x500 + (uint64_t)i);
	s_peek(r, __LINE__, d, A + 13 * P);
	S_INT(a, vm_madvise(a, A, 4 * P, MADV_FREE_));
	S_INT(a, vm_madvise(a, A + 12 * P, 4 * P, MADV_DONTNEED_));
	step(r, __LINE__, ST_VAL, mm_reclaim(r->m, 16));
	S_ADDR(a, vm_mremap(a, B, 4 * P, 2 * P, 0, 0));
	S_ADDR(a, vm_mremap(a, B, 2 * P, 64 * P, MREMAP_MAYMOVE_, 0));
	step(r, __LINE__, ST_INT, (uint64_t)(int64_t)mm_compact(r->m, 2));
	/* exec of a */
	s_destroy(r, __LINE__, &a);
	a = s_create(r, __LINE__);
	S_ADDR(a, vm_mmap(a, 0, 4 * P, PROT_RW, MAP_PRIVATE_ | MAP_ANON_, NULL, 0));
	s_poke(r, __LINE__, a, MMAP_BASE - P, 1);
	b = s_fork(r, __LINE__, d);
	s_poke(r, __LINE__, b, A + 11 * P, 0x600);
	s_peek(r, __LINE__, b, A + 14 * P);
	s_destroy(r, __LINE__, &d);
	s_poke(r, __LINE__, b, A + 14 * P, 0x601);      /* reuse: d is gone */
	S_INT(b, vm_munmap(b, A, 64 * P));
	s_destroy(r, __LINE__, &a);
	s_destroy(r, __LINE__, &b);
}

/*
 * The same for files and shared memory: a file in the page cache mapped
 * private (COW of file pages) and shared, shared anonymous memory across
 * fork, truncate, pwrite, hole punching, reclaim and compaction of
 * page-cache pages.
 */
static void scenario_files(struct run *r)
{
	const uint64_t F = A + 0x100000, S = A + 0x200000;
	struct vm_mm *a, *b;
	struct vm_file *f = NULL;
	int err = 0;

	a = s_create(r, __LINE__);
	f = file_create(r->m, "f", 12 * P + 100, 7, &err);
	step(r, __LINE__, ST_MM, f ? 0 : (uint64_t)(int64_t)err);
	S_ADDR(a && f, vm_mmap(a, A, 8 * P, PROT_RW, MAP_PRIVATE_ | MAP_FIXED_, f, 0));
	S_ADDR(a && f, vm_mmap(a, F, 8 * P, PROT_RW, MAP_SHARED_ | MAP_FIXED_, f, 4 * P));
	S_ADDR(a, vm_mmap(a, S, 8 * P, PROT_RW, MAP_SHARED_ | MAP_ANON_ | MAP_FIXED_, NULL, 0));
	s_peek(r, __LINE__, a, A + P);
	s_poke(r, __LINE__, a, A + 2 * P, 0x10);          /* COW of a file page */
	s_poke(r, __LINE__, a, F + P, 0x11);              /* into the page cache */
	s_peek(r, __LINE__, a, A + 5 * P);                /* the same page, privately mapped */
	s_poke(r, __LINE__, a, S, 0x12);
	s_poke(r, __LINE__, a, S + 3 * P, 0x13);
	b = s_fork(r, __LINE__, a);
	s_peek(r, __LINE__, b, S);
	s_poke(r, __LINE__, b, S + 4 * P, 0x14);
	s_peek(r, __LINE__, a, S + 4 * P);
	s_poke(r, __LINE__, b, A + 2 * P, 0x15);          /* COW of an anon copy */
	s_poke(r, __LINE__, b, F + 2 * P, 0x16);
	S_INT(b, vm_mprotect(b, F + P, 2 * P, PROT_R));
	S_ADDR(b, vm_mremap(b, S, 8 * P, 8 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, S + 0x100000));
	s_peek(r, __LINE__, b, S + 0x100000);
	S_INT(a, vm_madvise(a, S + 2 * P, 2 * P, MADV_REMOVE_));
	S_INT(a, vm_madvise(a, A, 8 * P, MADV_DONTNEED_));
	step(r, __LINE__, ST_INT, f ? (uint64_t)(int64_t)file_write8(f, 5 * P + 8, 0x17) : SKIP);
	step(r, __LINE__, ST_INT, f ? (uint64_t)(int64_t)file_truncate(f, 6 * P) : SKIP);
	s_peek(r, __LINE__, a, F + 3 * P);                /* past the end now: SIGBUS */
	step(r, __LINE__, ST_VAL, mm_reclaim(r->m, 64));
	step(r, __LINE__, ST_INT, (uint64_t)(int64_t)mm_compact(r->m, 3));
	s_peek(r, __LINE__, b, F + P);
	S_INT(b, vm_munmap(b, A, 0x400000));
	s_destroy(r, __LINE__, &a);
	if (f)
		file_put(f);
	step(r, __LINE__, ST_INT, 0);
	s_destroy(r, __LINE__, &b);
}

static bool fault_injection(struct ctx *c, void (*scen)(struct run *r))
{
	struct run *ref = calloc(1, sizeof(*ref)), *r = calloc(1, sizeof(*r));
	uint64_t allocs = 0, n, nfailed = 0;
	bool ok = true;

	if (!ref || !r) {
		free(ref);
		free(r);
		FAIL("out of host memory");
	}
	/* the reference run: nothing fails */
	for (n = 0; ok; n++) {
		struct vm_machine m;
		struct freecount init;
		bool injected;

		if (machine_init(&m, 4ULL << 20, c->scheme)) {
			ok = say(c, __LINE__, "machine_init failed");
			break;
		}
		freecount(&m, &init);
		memset(r, 0, sizeof(*r));
		r->c = c;
		r->m = &m;
		r->ref = n ? ref->res : NULL;
		m.fail_alloc_at = n;            /* 0 for the reference run */
		scen(r);
		injected = n && m.nr_allocs >= n;
		allocs = m.nr_allocs;
		if (!r->bad && (m.nr_free + 1 != m.nr_frames || m.stats.nr_vmas ||
				m.stats.vma_bytes || m.stats.rmap_bytes || m.stats.anon_bytes))
			r->bad = !say(c, __LINE__, "leak: %" PRIu64 " of %" PRIu64 " frames free, "
				      "%" PRIu64 " VMAs, %" PRIu64 " rmap bytes, %" PRIu64
				      " identity bytes", m.nr_free, m.nr_frames, m.stats.nr_vmas,
				      m.stats.rmap_bytes, m.stats.anon_bytes);
		if (!r->bad && !same_free(c, __FILE__, __LINE__, &m, &init))
			r->bad = true;
		if (!r->bad && n && !injected && (r->failed || r->n != ref->n))
			r->bad = !say(c, __LINE__, "no allocation failed, but the run differs");
		if (!r->bad && injected && !r->failed && r->n == ref->n &&
		    !memcmp(r->res, ref->res, sizeof(r->res[0]) * (size_t)r->n)) {
			/* a failure that changed no result is fine (e.g. a retry) */
		}
		machine_fini(&m);
		nfailed += r->failed;
		if (r->bad) {
			char pre[40];
			size_t lp = (size_t)snprintf(pre, sizeof(pre), "fail_alloc_at %" PRIu64 ": ", n);

			memmove(c->why + lp, c->why, WHYLEN - lp - 1);
			c->why[WHYLEN - 1] = 0;
			memcpy(c->why, pre, lp);
			ok = false;
			break;
		}
		if (!n) {
			*ref = *r;
			if (allocs < 30) {
				ok = say(c, __LINE__, "the scenario makes only %" PRIu64 " allocations",
					 allocs);
				break;
			}
		}
		if (n && !injected)
			break;                  /* past the last allocation */
		if (n > 100000) {
			ok = say(c, __LINE__, "does not end");
			break;
		}
	}
	if (ok)
		printf("# fault injection: %" PRIu64 " runs over %" PRIu64 " allocations and %d steps; "
		       "%" PRIu64 " runs saw a call fail\n", n, allocs, ref->n, nfailed);
	if (ok && nfailed < n / 2)
		ok = say(c, __LINE__, "only %" PRIu64 " of %" PRIu64 " injected failures were seen",
			 nfailed, n);
	free(ref);
	free(r);
	return ok;
}

static bool t_fault_injection(struct ctx *c)
{
	return fault_injection(c, scenario);
}

static bool t_fault_injection_files(struct ctx *c)
{
	return fault_injection(c, scenario_files);
}

/*
 * Random operations on a few address spaces in a 64-page window, with an
 * allocation failure injected now and then: after every operation the
 * machine must check, locked_vm must match, and at the end everything is
 * freed.  (The fuzzer does the same through traces, without a seed.)
 */
static bool t_random_ops(struct ctx *c)
{
	struct vm_machine *m = machine(c, 2ULL << 20);   /* 512 frames: OOM happens */
	enum { NMM = 4, STEPS = 3000 };
	struct vm_mm *mm[NMM] = { 0 };
	int64_t lkdiff[NMM] = { 0 };    /* locked_vm - pages in VM_LOCKED VMAs */
	static const enum madv adv[] = {
		MADV_NORMAL_, MADV_RANDOM_, MADV_DONTNEED_, MADV_FREE_, MADV_DONTFORK_,
		MADV_DOFORK_, MADV_WIPEONFORK_, MADV_KEEPONFORK_, MADV_PAGEOUT_,
		MADV_POPULATE_READ_, MADV_POPULATE_WRITE_,
	};
	static const unsigned prots[] = { PROT_RW, PROT_R, 0, PROT_RW | PROT_EXEC_, PROT_WRITE_ };

	EXPECT(m);
	OK0(check_changes_start(m));
	for (int step = 0; step < STEPS; step++) {
		unsigned i = below(c, NMM), op = below(c, 16);
		uint64_t a = A + below(c, 64) * P, len = (1 + below(c, 12)) * P, v;
		struct vm_mm *x = mm[i];
		bool dontunmap = false;

		if (below(c, 40) == 0)
			m->fail_alloc_at = m->nr_allocs + 1 + below(c, 20);
		if (!x && op != 0)
			op = 0;
		switch (op) {
		case 0:
			if (!x) {
				mm[i] = mm_create(m);
				lkdiff[i] = 0;
			} else if (below(c, 2)) {
				mm_destroy(x);
				mm[i] = NULL;
			} else {
				unsigned j = below(c, NMM);

				if (!mm[j]) {
					if (mm_fork(x, &mm[j]))
						mm[j] = NULL;
					lkdiff[j] = 0;
				}
			}
			break;
		case 1: case 2:
			(void)vm_mmap(x, below(c, 8) ? a : 0, len, prots[below(c, 5)],
				      MAP_PRIVATE_ | MAP_ANON_ | (below(c, 4) ? MAP_FIXED_ : 0) |
				      (below(c, 8) ? 0 : MAP_POPULATE_) | (below(c, 10) ? 0 : MAP_LOCKED_),
				      NULL, 0);
			break;
		case 3:
			(void)vm_munmap(x, a, len);
			break;
		case 4:
			(void)vm_mprotect(x, a, len, prots[below(c, 5)]);
			break;
		case 5:
			(void)vm_mremap(x, a, len, (1 + below(c, 12)) * P,
					below(c, 3) ? MREMAP_MAYMOVE_ : 0, 0);
			break;
		case 6:
			dontunmap = !below(c, 4);
			(void)vm_mremap(x, a, len, len, MREMAP_MAYMOVE_ | MREMAP_FIXED_ |
					(dontunmap ? MREMAP_DONTUNMAP_ : 0), A + below(c, 64) * P);
			break;
		case 7:
			(void)vm_madvise(x, a, len, adv[below(c, sizeof(adv) / sizeof(adv[0]))]);
			break;
		case 8:
			if (below(c, 2))
				(void)vm_mlock(x, a, len);
			else
				(void)vm_munlock(x, a, len);
			break;
		case 9:
			if (!x->start_brk)
				(void)vm_brkbase(x, A + 0x80000);
			(void)vm_brk(x, A + 0x80000 + below(c, 16) * P);
			break;
		case 10:
			(void)mm_reclaim(m, below(c, 16));
			break;
		case 11:
			(void)mm_compact(m, below(c, 5));
			break;
		case 12: case 13:
			(void)peek(x, a + below(c, 512) * 8, &v);
			break;
		default:
			(void)poke(x, a + below(c, 512) * 8, (uint64_t)step);
			break;
		}
		m->fail_alloc_at = 0;
		/* the change checker first: it must pass wherever the whole
		 * check passes, failed calls and all */
		if (!check_changes(m))
			FAIL("step %d (op %u on mm %u): check_changes: %s", step, op, i, m->why);
		if (!check_machine(m))
			FAIL("step %d (op %u on mm %u): %s", step, op, i, m->why);
		/*
		 * locked_vm counts the pages of VM_LOCKED VMAs, except that a
		 * MREMAP_DONTUNMAP move of a locked VMA adds the new range and
		 * unlocks the old without subtracting it, as Linux does
		 * ("because we won't unmap we don't need to touch locked_vm")
		 */
		for (unsigned k = 0; k < NMM; k++) {
			int64_t d;

			if (!mm[k])
				continue;
			d = (int64_t)(mm[k]->locked_vm - locked_pages(mm[k]));
			if (dontunmap && k == i)
				lkdiff[k] = d;
			else if (d != lkdiff[k])
				FAIL("step %d (op %u on mm %u): mm %u has locked_vm %" PRIu64 ", %" PRIu64
				     " pages in VM_LOCKED VMAs (off by %" PRId64 ", was %" PRId64 ")",
				     step, op, i, k, mm[k]->locked_vm, locked_pages(mm[k]), d, lkdiff[k]);
		}
	}
	for (unsigned k = 0; k < NMM; k++)
		if (mm[k])
			mm_destroy(mm[k]);
	CHECK_M(m);
	ALL_FREE(m);
	return true;
}

/* ================================================================== */

static const struct test tests[] = {
	{ "fault injection: every allocation of a scenario fails in turn", t_fault_injection, NULL },
	{ "fault injection: files, page cache and shared memory", t_fault_injection_files, NULL },
	{ "random operations with injected failures keep the machine sound", t_random_ops, NULL },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, NTESTS(tests), NULL);
}
