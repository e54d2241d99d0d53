/*
 * gen/hardcase.c - the debate's hard cases as trace generators.
 *
 * The reverse-mapping schemes argued over from 1998 to 2004 (the seeds in
 * ../shared/seeds/) each have a shape of workload that hurts them: a walk
 * that visits too much, metadata that grows with something unbounded, a
 * virtual address that stops being computable.  Each kind below writes one
 * such shape as a trace (../shared/spec/trace-v1.md), seeded and sized, for
 * the differential test (the same trace on the real kernel) and for the
 * benchmarks (the same trace under every scheme).  Every kind keeps to what
 * the Linux tester runs: fixed addresses (or placements the model predicts)
 * inside [WIN_LO, WIN_HI), no mremap whose old address plus its new length
 * passes WIN_HI, files made with `file`, fwrite inside the size the parser
 * tracks, live pids only, no directives, no "= result".
 *
 * chain    A fork chain `procs` deep over a private anonymous region of
 *          `pages` pages (in an area three times its size): each new level
 *          makes `rounds` copy-on-write writes (mostly in the new child,
 *          some in its parent or an older ancestor), splits a VMA
 *          (mprotect of a sub-range, or munmap of one, sometimes mapping
 *          a hole again), and moves part of a VMA with mremap
 *          (maymove,fixed, sometimes growing); now and then an ancestor, or
 *          the parent itself, exits mid-chain.  At the end the leaf writes
 *          everything, a few others read everything.  Stresses the schemes
 *          whose per-VMA state grows with fork depth: Linux's anon_vma
 *          chains (one link per ancestor per VMA), Lokier's tree of
 *          address_spaces (002_8d7ac3b10ce88629.txt: "trees only 2 or 3
 *          deep for normal cases" - here hundreds), LaHaise's per-vma
 *          inodes chained at fork (000_5261d4444e059c51.txt, b); and every
 *          scheme's handling of splits (UVM's amap_splitref) and moves
 *          under a deep ancestry.
 *
 * prefork  A parent with a heap (brk) of `pages` pages, all written, a
 *          stack-like region and a private r-x mapping of a file, forks
 *          `procs` children (writing now and then between forks, so
 *          children share different generations).  For `rounds` rounds
 *          each child writes (COW), reads, touches runs, drops a run
 *          (madvise dontneed), shrinks and regrows its heap with brk,
 *          exits, or execs and builds a small heap of its own; the parent
 *          writes too.  At the end half the children exit and the parent
 *          writes its whole heap: pages it is the last sharer of are
 *          reused, the rest copied.  One anonymous object mapped by
 *          hundreds of VMAs: Miller's anon layer and LaHaise's (a) keep a
 *          list of every VMA sharing it (001_258d6cb26a23bc46.txt,
 *          000_5261d4444e059c51.txt), so one page's walk visits them all;
 *          pte_chains (004_e854c16e1a8b0177.txt) pay memory per PTE per
 *          child.
 *
 * db       Seed 004's database: a server maps a file of `pages` pages
 *          shared (the data files) and as much shared anonymous memory
 *          (the SGA), fills both, and forks `procs` workers, each of which
 *          reads both through (attaching) and then reads and writes random
 *          words of both; each of `rounds` rounds
 *          a tenth of the workers exit and the server forks as many anew.
 *          With --mlock the server and every worker mlock both (Oracle's
 *          lock_sga).  Hundreds of processes map the same pages: in 2.5's
 *          pte_chains an entry per process per page, where lowmem was
 *          short (004_e854c16e1a8b0177.txt); in the object schemes an
 *          i_mmap and an anon_vma entry per VMA.
 *
 * filemap  A file of `pages` pages (with content), mapped by `procs`
 *          processes, about half MAP_SHARED and half MAP_PRIVATE (some
 *          spawned and mapping it themselves, the whole file or a window
 *          at a page offset, each at its own address; some forked,
 *          inheriting their parent's mappings and COW copies), read,
 *          written (shared writes into the page cache, private writes
 *          copy), fwritten; each of `rounds` rounds truncates it to a
 *          partial page and grows it back, the last to 0 and regrown, with
 *          accesses in between (past EOF: SIGBUS).  The file side every
 *          scheme shares (i_mmap by page offset, pages at a different
 *          address in each process) and the private COW copies of file
 *          pages, which truncate must also find and unmap: Keith's
 *          reverse entries had no shared-page support at all
 *          (003_4509f338e984bcce.txt), and Irwin's truncate bug
 *          (004_e854c16e1a8b0177.txt, a) is truncate missing mappings.
 *
 * mremap   A parent writes `pages` pages of private anonymous memory and
 *          forks `procs` children; for `rounds` rounds every process
 *          moves its copy: to its own address (maymove,fixed), growing or
 *          not, shrinking in place, moving only a part (splitting it),
 *          maymove alone (in place if there is room, else placed top-down
 *          where the model predicts), or with dontunmap; then writes and
 *          reads it at the new address (COW of pages still shared with
 *          processes that have them elsewhere); a few children fork after
 *          moving, a few exit.  Tweedie's objection and Miller's answer
 *          (001_258d6cb26a23bc46.txt): an anonymous page shared by COW has
 *          a different virtual address in each process once they mremap,
 *          found only through vm_pgoff preserved by mremap
 *          (address = vm_start + ((index - vm_pgoff) << 12)); LaHaise's
 *          per-mm inodes (000_5261d4444e059c51.txt, c) alias page-cache
 *          entries on COW and mremap.
 *
 * mlock    Private anonymous memory mapped locked, shared anonymous memory
 *          populated then mlocked, a file mapped shared and locked, the
 *          same file mapped private then mlocked (which copies every
 *          page), and an unlocked private region; `rounds` rounds fork
 *          until there are `procs` processes (the children's VMAs are not
 *          locked, their pages stay mlocked while a locked VMA maps them),
 *          write to locked private pages on both sides of the fork (COW),
 *          munlock and mlock sub-ranges, madvise pageout and dontneed (the
 *          kernel refuses both on locked VMAs; elsewhere the pages locked
 *          through another mm stay), map and unmap locked populated
 *          memory, grow a locked VMA in place with mremap (which populates
 *          the new part), exit; sometimes the file is truncated under its
 *          locked mappings at the end.  Irwin's (b) for pte_chains
 *          (004_e854c16e1a8b0177.txt): mlocked pages need no chain for
 *          reclaim, but munlock, truncate and exit still must find every
 *          mapping, and whether a page stays mlocked depends on the other
 *          mms' VMAs.
 *
 * The generator keeps a model of each process's mappings (regions, never
 * merged, so each lies inside one kernel VMA) to aim its calls; it follows
 * the kernel closely enough for that, and where it is wrong a later call
 * merely lands somewhere less interesting.  What must never go wrong (the
 * tester refuses the trace) is kept by construction: fixed addresses are
 * computed inside the window, an mremap grows only if its old address plus
 * the new length stays below WIN_HI, fwrite offsets stay inside the file.
 *
 * All state is in struct gen, on the caller's stack and in memory it owns;
 * the PRNG is splitmix64, seeded from (kind, seed).
 */
#include "hardcase.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PG      ((uint64_t)4096)
#define PMD     ((uint64_t)2 << 20)
#define GIB     ((uint64_t)1 << 30)
#define WIN_LO  ((uint64_t)0x100000000000)
#define WIN_HI  ((uint64_t)0x200000000000)

static const char *const kind_names[NR_GEN_KINDS] = {
	[GEN_CHAIN] = "chain", [GEN_PREFORK] = "prefork", [GEN_FILEMAP] = "filemap",
	[GEN_MREMAP] = "mremap", [GEN_MLOCK] = "mlock", [GEN_DB] = "db",
};

/*
 * The defaults are what tests/difftest.t can afford in every `make check`:
 * each trace runs on the real kernel in well under a second and in revmap
 * with --check in a fraction of that.  The benchmarks ask for hundreds.
 */
static const struct gen_size size_defaults[NR_GEN_KINDS] = {
	[GEN_CHAIN]   = { .procs = 32, .pages = 64,   .rounds = 4 },
	[GEN_PREFORK] = { .procs = 24, .pages = 512,  .rounds = 3 },
	[GEN_FILEMAP] = { .procs = 24, .pages = 64,   .rounds = 3 },
	[GEN_MREMAP]  = { .procs = 24, .pages = 64,   .rounds = 3 },
	[GEN_MLOCK]   = { .procs = 16, .pages = 32,   .rounds = 3 },
	[GEN_DB]      = { .procs = 24, .pages = 64,   .rounds = 3 },
};

/* ---- the model ---- */

enum rkind { R_ANON, R_SHM, R_FILE };

/* a mapped region of a process as the model knows it */
struct reg {
	uint64_t s, e;          /* [s, e), page aligned, inside the window */
	unsigned prot;          /* 1 r, 2 w, 4 x */
	bool locked;            /* VM_LOCKED (not inherited by fork) */
	bool shared;            /* MAP_SHARED */
	enum rkind kind;        /* what it maps */
	uint64_t pgoff;         /* R_FILE, R_SHM: the object's page at s */
};

struct hproc {
	bool live;              /* spawned or forked, not exited */
	int parent;             /* index of the process that forked it, -1 */
	struct reg *r;          /* sorted by address, disjoint, not merged */
	size_t n, cap;          /* regions used, allocated */
	uint64_t base, brk;     /* prefork: start of the heap and the break, 0: none */
};

struct gen {
	FILE *out;
	uint64_t rng;           /* splitmix64 state */
	int err;                /* first error (-ENOMEM), 0 */
	uint64_t n;             /* sz->pages */
	unsigned procs;         /* sz->procs */
	unsigned rounds;        /* sz->rounds */
	bool mlock;             /* sz->mlock */
	struct hproc *p;        /* every process made; pid = index + 1 */
	unsigned np, pcap;      /* processes made, allocated */
	uint64_t fsize;         /* filemap, mlock: the file's size, as the parser has it */
};

/* ---- PRNG: splitmix64 ---- */

static uint64_t rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in [0, n); 0 when n == 0 */
static uint64_t below(struct gen *g, uint64_t n)
{
	return n ? rnd(g) % n : 0;
}

/* uniform in [lo, hi]; lo when hi < lo */
static uint64_t between(struct gen *g, uint64_t lo, uint64_t hi)
{
	return hi < lo ? lo : lo + below(g, hi - lo + 1);
}

static bool chance(struct gen *g, unsigned pct)
{
	return below(g, 100) < pct;
}

static uint64_t round_up(uint64_t x, uint64_t to)
{
	return (x + to - 1) / to * to;
}

/* ---- output ---- */

static void emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(g->out, fmt, ap);
	va_end(ap);
	fputc('\n', g->out);
}

static const char *prot_str(unsigned prot)
{
	static const char *const s[8] = { "---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx" };

	return s[prot & 7];
}

static int pid_of(int i)
{
	return i + 1;
}

/* an 8-byte aligned offset inside a page, now and then the last 8 bytes */
static uint64_t in_page(struct gen *g)
{
	return chance(g, 10) ? PG - 8 : below(g, PG / 8) * 8;
}

/*
 * A word of one of the np pages from s.  (Two draws are never operands of
 * one expression: C leaves their order unspecified, and the trace must not
 * depend on the compiler.)
 */
static uint64_t word_in(struct gen *g, uint64_t s, uint64_t np)
{
	uint64_t a = s + below(g, np) * PG;

	return a + in_page(g);
}

/* w at a: mostly a value of its own, so that pages differ; now and then the
   default (the line number) */
static void write_at(struct gen *g, int i, uint64_t a)
{
	if (chance(g, 20))
		emit(g, "%d w 0x%" PRIx64, pid_of(i), a);
	else
		emit(g, "%d w 0x%" PRIx64 " 0x%" PRIx64, pid_of(i), a, rnd(g));
}

static void read_at(struct gen *g, int i, uint64_t a)
{
	emit(g, "%d r 0x%" PRIx64, pid_of(i), a);
}

static void touch(struct gen *g, int i, uint64_t a, uint64_t len, bool w)
{
	if (w && chance(g, 30))
		emit(g, "%d touch 0x%" PRIx64 " %" PRIu64 " w 0x%" PRIx64, pid_of(i), a, len, rnd(g));
	else
		emit(g, "%d touch 0x%" PRIx64 " %" PRIu64 " %s", pid_of(i), a, len, w ? "w" : "r");
}

/* ---- regions ---- */

static bool reg_insert_at(struct gen *g, struct hproc *p, size_t i, struct reg x)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8;
		struct reg *r = realloc(p->r, cap * sizeof(*r));

		if (!r) {
			g->err = -ENOMEM;
			return false;
		}
		p->r = r;
		p->cap = cap;
	}
	memmove(&p->r[i + 1], &p->r[i], (p->n - i) * sizeof(*p->r));
	p->r[i] = x;
	p->n++;
	return true;
}

static void reg_delete_at(struct hproc *p, size_t i)
{
	memmove(&p->r[i], &p->r[i + 1], (p->n - i - 1) * sizeof(*p->r));
	p->n--;
}

/* index of the region containing addr, or -1 */
static long reg_find(const struct hproc *p, uint64_t addr)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].s <= addr && addr < p->r[i].e)
			return (long)i;
	return -1;
}

/* split the region that strictly contains addr, if any */
static void split_at(struct gen *g, struct hproc *p, uint64_t addr)
{
	long i = reg_find(p, addr);

	if (i < 0 || p->r[i].s == addr)
		return;
	struct reg right = p->r[i];
	right.s = addr;
	right.pgoff += (addr - p->r[i].s) / PG;
	if (reg_insert_at(g, p, (size_t)i + 1, right))
		p->r[i].e = addr;
}

/* unmap [s, e) from the model */
static void carve(struct gen *g, struct hproc *p, uint64_t s, uint64_t e)
{
	split_at(g, p, s);
	split_at(g, p, e);
	for (size_t i = 0; i < p->n;) {
		if (p->r[i].s >= s && p->r[i].e <= e)
			reg_delete_at(p, i);
		else
			i++;
	}
}

/* map x, replacing what was there */
static void reg_map(struct gen *g, struct hproc *p, struct reg x)
{
	size_t i = 0;

	carve(g, p, x.s, x.e);
	while (i < p->n && p->r[i].s < x.s)
		i++;
	reg_insert_at(g, p, i, x);
}

static bool range_free(const struct hproc *p, uint64_t s, uint64_t e)
{
	if (s < WIN_LO || e > WIN_HI || s >= e)
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].s < e && s < p->r[i].e)
			return false;
	return true;
}

/*
 * Where the kernel places len bytes for a private anonymous mapping (or
 * mremap) with no hint: the top of the highest hole that holds it, below
 * WIN_HI (the tester reserves everything above); a length that is a
 * multiple of 2 MiB is aligned to 2 MiB (THP, as revmap's mm/mmap.c).
 * => returns the address, or 0 if no hole holds it.
 */
static uint64_t topdown_plain(const struct hproc *p, uint64_t len)
{
	uint64_t hole_end = WIN_HI;

	for (size_t k = p->n; k-- > 0;) {
		if (hole_end >= p->r[k].e && hole_end - p->r[k].e >= len)
			return hole_end - len;
		hole_end = p->r[k].s;
	}
	return hole_end >= WIN_LO && hole_end - WIN_LO >= len ? hole_end - len : 0;
}

static uint64_t topdown(const struct hproc *p, uint64_t len)
{
	if (len % PMD == 0) {
		uint64_t r = topdown_plain(p, len + PMD);

		if (r)
			return r % PMD == 0 ? r + PMD : round_up(r, PMD);
	}
	return topdown_plain(p, len);
}

/* pages of the regions of p that allow the access (prot bits need) */
static uint64_t pages_with(const struct hproc *p, unsigned need)
{
	uint64_t t = 0;

	for (size_t i = 0; i < p->n; i++)
		if ((p->r[i].prot & need) == need)
			t += (p->r[i].e - p->r[i].s) / PG;
	return t;
}

/* a random page of p whose region allows need (1 read, 3 write); 0 if none */
static uint64_t pick_page(struct gen *g, const struct hproc *p, unsigned need)
{
	uint64_t k = below(g, pages_with(p, need));

	for (size_t i = 0; i < p->n; i++) {
		uint64_t np;

		if ((p->r[i].prot & need) != need)
			continue;
		np = (p->r[i].e - p->r[i].s) / PG;
		if (k < np)
			return p->r[i].s + k * PG;
		k -= np;
	}
	return 0;
}

/* a random region of p, -1 if none */
static long pick_reg(struct gen *g, const struct hproc *p)
{
	return p->n ? (long)below(g, p->n) : -1;
}

/* a random sub-range [*s, *e) of region r, at most max pages (>= 1) */
static void pick_sub(struct gen *g, const struct reg *r, uint64_t max, uint64_t *s, uint64_t *e)
{
	uint64_t np = (r->e - r->s) / PG;
	uint64_t len = between(g, 1, np < max ? np : max);

	*s = r->s + below(g, np - len + 1) * PG;
	*e = *s + len * PG;
}

/*
 * Touch every page of p with one line per run of touching regions that
 * allow the access: a touch stops at the first page that faults fatally.
 */
static void touch_all(struct gen *g, int i, bool w)
{
	const struct hproc *p = &g->p[i];
	unsigned need = w ? 3 : 1;

	for (size_t k = 0; k < p->n;) {
		if ((p->r[k].prot & need) != need) {
			k++;
			continue;
		}
		uint64_t s = p->r[k].s, e = p->r[k].e;

		while (++k < p->n && p->r[k].s == e && (p->r[k].prot & need) == need)
			e = p->r[k].e;
		touch(g, i, s, e - s, w);
	}
}

/* ---- processes ---- */

/* => returns the index of a new process (not live yet), or -1 */
static int proc_new(struct gen *g, int parent)
{
	if (g->np == g->pcap) {
		unsigned cap = g->pcap ? 2 * g->pcap : 64;
		struct hproc *p = realloc(g->p, cap * sizeof(*p));

		if (!p) {
			g->err = -ENOMEM;
			return -1;
		}
		g->p = p;
		g->pcap = cap;
	}
	memset(&g->p[g->np], 0, sizeof(g->p[g->np]));
	g->p[g->np].parent = parent;
	g->p[g->np].live = true;
	return (int)g->np++;
}

static int spawn(struct gen *g)
{
	int i = proc_new(g, -1);

	if (i >= 0)
		emit(g, "%d spawn", pid_of(i));
	return i;
}

/* fork i: the child gets i's regions without their mlock */
static int fork_proc(struct gen *g, int i)
{
	int c = proc_new(g, i);

	if (c < 0)
		return -1;
	struct hproc *p = &g->p[i], *q = &g->p[c];

	if (p->n) {
		q->r = malloc(p->n * sizeof(*q->r));
		if (!q->r) {
			g->err = -ENOMEM;
			g->np--;
			return -1;
		}
		memcpy(q->r, p->r, p->n * sizeof(*q->r));
		q->n = q->cap = p->n;
		for (size_t k = 0; k < q->n; k++)
			q->r[k].locked = false;
	}
	q->base = p->base;
	q->brk = p->brk;
	emit(g, "%d fork %d", pid_of(i), pid_of(c));
	return c;
}

static void proc_exit(struct gen *g, int i)
{
	struct hproc *p = &g->p[i];

	emit(g, "%d exit", pid_of(i));
	free(p->r);
	p->r = NULL;
	p->n = p->cap = 0;
	p->live = false;
}

static void proc_exec(struct gen *g, int i)
{
	struct hproc *p = &g->p[i];

	emit(g, "%d exec", pid_of(i));
	p->n = 0;
	p->base = p->brk = 0;
}

static unsigned nlive(const struct gen *g)
{
	unsigned k = 0;

	for (unsigned i = 0; i < g->np; i++)
		k += g->p[i].live;
	return k;
}

/* a random live process other than not1 and not2, -1 if none */
static int pick_live(struct gen *g, int not1, int not2)
{
	unsigned k = 0;

	for (unsigned i = 0; i < g->np; i++)
		k += g->p[i].live && (int)i != not1 && (int)i != not2;
	if (!k)
		return -1;
	k = (unsigned)below(g, k);
	for (unsigned i = 0; i < g->np; i++)
		if (g->p[i].live && (int)i != not1 && (int)i != not2 && k-- == 0)
			return (int)i;
	return -1;
}

/* ---- calls that keep the model ---- */

static void do_mmap_anon(struct gen *g, int i, uint64_t s, uint64_t len, unsigned prot,
			 bool shared, const char *more)
{
	emit(g, "%d mmap 0x%" PRIx64 " %" PRIu64 " %s %s,anon,fixed%s", pid_of(i), s, len,
	     prot_str(prot), shared ? "shared" : "private", more);
	reg_map(g, &g->p[i], (struct reg){ .s = s, .e = s + len, .prot = prot, .shared = shared,
					   .kind = shared ? R_SHM : R_ANON,
					   .locked = strstr(more, "locked") != NULL });
}

static void do_mmap_file(struct gen *g, int i, uint64_t s, uint64_t len, unsigned prot,
			 bool shared, const char *more, const char *file, uint64_t pgoff)
{
	emit(g, "%d mmap 0x%" PRIx64 " %" PRIu64 " %s %s,fixed%s %s 0x%" PRIx64, pid_of(i), s, len,
	     prot_str(prot), shared ? "shared" : "private", more, file, pgoff * PG);
	reg_map(g, &g->p[i], (struct reg){ .s = s, .e = s + len, .prot = prot, .shared = shared,
					   .kind = R_FILE, .pgoff = pgoff,
					   .locked = strstr(more, "locked") != NULL });
}

/* mprotect or mlock/munlock of [s, e), which the model has mapped */
static void set_range(struct gen *g, int i, uint64_t s, uint64_t e, int prot, int locked)
{
	struct hproc *p = &g->p[i];

	split_at(g, p, s);
	split_at(g, p, e);
	for (size_t k = 0; k < p->n; k++) {
		if (p->r[k].s < s || p->r[k].e > e)
			continue;
		if (prot >= 0)
			p->r[k].prot = (unsigned)prot;
		if (locked >= 0)
			p->r[k].locked = locked;
	}
}

/*
 * mremap of [s, s+len), inside one region, to [t, t+nlen) (t == s: in place).
 * dontunmap leaves the source mapped (and empty).
 */
static void move_model(struct gen *g, int i, uint64_t s, uint64_t len, uint64_t t, uint64_t nlen,
		       bool dontunmap)
{
	struct hproc *p = &g->p[i];
	long k = reg_find(p, s);

	if (k < 0)
		return;
	struct reg x = p->r[k];

	x.pgoff += (s - x.s) / PG;
	if (t == s) {
		/* in place: shrink unmaps the tail; growth extends the region */
		if (nlen < len) {
			carve(g, p, s + nlen, s + len);
		} else if (nlen > len) {
			x.s = s + len;
			x.e = s + nlen;
			x.pgoff += len / PG;
			reg_map(g, p, x);
		}
		return;
	}
	if (!dontunmap)
		carve(g, p, s, s + len);
	else
		set_range(g, i, s, s + len, -1, 0);
	x.s = t;
	x.e = t + nlen;
	reg_map(g, p, x);
}

/* ---- chain ---- */

/*
 * The chain's area: [base, base + 3 pages), the region first in the middle
 * third; splits, holes, refills and moves stay inside the area, so no
 * process has more than 3 * pages regions.
 */
struct chain_area {
	uint64_t base, end;
};

/* a free run of len bytes inside the area for process p, 0 if none found */
static uint64_t chain_free_run(struct gen *g, const struct chain_area *a, const struct hproc *p,
			       uint64_t len)
{
	uint64_t slots = (a->end - a->base) / PG;

	if (len / PG > slots)
		return 0;
	for (int tries = 0; tries < 16; tries++) {
		uint64_t t = a->base + below(g, slots - len / PG + 1) * PG;

		if (range_free(p, t, t + len))
			return t;
	}
	return 0;
}

/* the split of a level: mprotect a sub-range to another prot, or unmap it */
static void chain_split(struct gen *g, const struct chain_area *a, int d)
{
	struct hproc *p = &g->p[d];
	long k = pick_reg(g, p);
	uint64_t s, e;

	if (k < 0)
		return;
	pick_sub(g, &p->r[k], g->n / 4 ? g->n / 4 : 1, &s, &e);
	if (chance(g, 65)) {
		unsigned prot = p->r[k].prot == 3 ? (chance(g, 80) ? 1 : 0) : 3;

		emit(g, "%d mprotect 0x%" PRIx64 " %" PRIu64 " %s", pid_of(d), s, e - s,
		     prot_str(prot));
		set_range(g, d, s, e, (int)prot, -1);
	} else {
		emit(g, "%d munmap 0x%" PRIx64 " %" PRIu64, pid_of(d), s, e - s);
		carve(g, p, s, e);
	}
	if (chance(g, 30)) {            /* map a hole again, and fill it */
		uint64_t len = between(g, 1, g->n / 8 ? g->n / 8 : 1) * PG;
		uint64_t t = chain_free_run(g, a, p, len);

		if (t) {
			do_mmap_anon(g, d, t, len, 3, false, "");
			touch(g, d, t, len, true);
		}
	}
}

/* the move of a level: part of a region elsewhere in the area */
static void chain_move(struct gen *g, const struct chain_area *a, int d)
{
	struct hproc *p = &g->p[d];
	long k = pick_reg(g, p);
	uint64_t s, e, nlen, t;

	if (k < 0)
		return;
	pick_sub(g, &p->r[k], g->n / 4 ? g->n / 4 : 1, &s, &e);
	nlen = e - s;
	if (chance(g, 25) && s + nlen + 4 * PG <= WIN_HI)
		nlen += between(g, 1, 4) * PG;          /* and grow */
	t = chain_free_run(g, a, p, nlen);
	if (!t)
		return;
	emit(g, "%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " maymove,fixed 0x%" PRIx64,
	     pid_of(d), s, e - s, nlen, t);
	move_model(g, d, s, e - s, t, nlen, false);
}

static void gen_chain(struct gen *g)
{
	struct chain_area a = { .base = WIN_LO + GIB };
	uint64_t len = g->n * PG;
	int c = spawn(g), d;

	a.end = a.base + 3 * len;
	if (c < 0)
		return;
	do_mmap_anon(g, c, a.base + len, len, 3, false, "");
	touch(g, c, a.base + len, len, true);
	for (unsigned level = 1; level < g->procs && !g->err; level++) {
		d = fork_proc(g, c);
		if (d < 0)
			return;
		/* copy-on-write of inherited pages: mostly the new child, some
		   in its parent or an older ancestor */
		for (unsigned w = 0; w < g->rounds; w++) {
			uint64_t x = below(g, 100);
			int who = x < 70 ? d : x < 90 ? c : pick_live(g, -1, -1);
			uint64_t pa = pick_page(g, &g->p[who], 3);

			if (pa)
				write_at(g, who, pa + in_page(g));
		}
		uint64_t pa = pick_page(g, &g->p[d], 1);
		if (pa)
			read_at(g, d, pa + in_page(g));
		chain_split(g, &a, d);
		chain_move(g, &a, d);
		if (chance(g, 15)) {            /* an ancestor goes */
			int q = pick_live(g, c, d);

			if (q >= 0)
				proc_exit(g, q);
		}
		if (chance(g, 5))               /* the parent itself: d is adopted */
			proc_exit(g, c);
		c = d;
	}
	/* the leaf writes everything; a few others read it all and write some */
	touch_all(g, c, true);
	for (int k = 0; k < 3; k++) {
		int q = pick_live(g, c, -1);

		if (q < 0)
			break;
		touch_all(g, q, false);
		for (int w = 0; w < 2; w++) {
			uint64_t qa = pick_page(g, &g->p[q], 3);

			if (qa)
				write_at(g, q, qa + in_page(g));
		}
	}
	if (g->p[0].live)
		touch_all(g, 0, true);
}

/* ---- prefork ---- */

/* a random page of i's heap, 0 if it has none */
static uint64_t heap_page(struct gen *g, int i)
{
	const struct hproc *p = &g->p[i];

	if (!p->base || p->brk <= p->base)
		return 0;
	return p->base + below(g, (p->brk - p->base) / PG) * PG;
}

static void heap_write(struct gen *g, int i)
{
	uint64_t a = heap_page(g, i);

	if (a)
		write_at(g, i, a + in_page(g));
}

static void heap_read(struct gen *g, int i)
{
	uint64_t a = heap_page(g, i);

	if (a)
		read_at(g, i, a + in_page(g));
}

/* brk of i to b (page aligned), the model following */
static void heap_brk(struct gen *g, int i, uint64_t b)
{
	struct hproc *p = &g->p[i];

	emit(g, "%d brk 0x%" PRIx64, pid_of(i), b);
	if (b < p->brk)
		carve(g, p, b, p->brk);
	else if (b > p->brk)
		reg_map(g, p, (struct reg){ .s = p->brk, .e = b, .prot = 3 });
	p->brk = b;
}

/* one round's work of child i */
static void prefork_child(struct gen *g, int i, uint64_t hb, uint64_t bin, uint64_t binpages)
{
	struct hproc *p = &g->p[i];
	uint64_t x = below(g, 100), heap = p->brk - p->base;

	if (x < 40) {
		for (uint64_t k = between(g, 1, 3); k > 0; k--)
			heap_write(g, i);
	} else if (x < 62) {
		heap_read(g, i);
		if (chance(g, 50))
			heap_read(g, i);
	} else if (x < 68) {
		if (reg_find(p, bin) >= 0)
			read_at(g, i, word_in(g, bin, binpages));
	} else if (x < 75) {
		uint64_t a = heap_page(g, i), run = between(g, 1, 64) * PG;

		if (a)
			touch(g, i, a, a + run > p->brk ? p->brk - a : run, false);
	} else if (x < 80) {
		uint64_t a = heap_page(g, i), run = between(g, 1, 16) * PG;

		if (a)
			touch(g, i, a, a + run > p->brk ? p->brk - a : run, true);
	} else if (x < 84) {
		uint64_t a = heap_page(g, i), run = between(g, 1, 16) * PG;

		if (a)
			emit(g, "%d madvise 0x%" PRIx64 " %" PRIu64 " dontneed", pid_of(i), a,
			     a + run > p->brk ? p->brk - a : run);
	} else if (x < 88) {
		/* give back the top of the heap; maybe take it again, fresh */
		if (heap >= 2 * PG) {
			uint64_t old = p->brk;

			heap_brk(g, i, p->brk - between(g, 1, heap / PG / 2) * PG);
			if (chance(g, 60)) {
				heap_brk(g, i, old);
				write_at(g, i, old - PG + in_page(g));
			}
		}
	} else if (x < 92) {
		proc_exit(g, i);
	} else if (x < 95) {
		/* a new program with a small heap of its own at the same place */
		proc_exec(g, i);
		emit(g, "%d brkbase 0x%" PRIx64, pid_of(i), hb);
		p->base = p->brk = hb;
		heap_brk(g, i, hb + between(g, 1, 16) * PG);
		touch(g, i, hb, p->brk - hb, true);
	} else {
		for (uint64_t k = between(g, 4, 16); k > 0; k--)
			heap_write(g, i);
	}
}

static void gen_prefork(struct gen *g)
{
	uint64_t hb = WIN_LO + GIB;                     /* heap base */
	uint64_t stack = round_up(hb + 2 * g->n * PG + GIB, GIB);
	uint64_t bin = stack + GIB, binpages = 32;
	int par = spawn(g);

	if (par < 0)
		return;
	uint64_t binsize = binpages * PG - between(g, 0, PG - 8);

	emit(g, "file bin 0x%" PRIx64 " %" PRIu64, binsize, below(g, 1000) + 1);
	do_mmap_file(g, par, bin, binpages * PG, 5, false, "", "bin", 0);
	touch(g, par, bin, binpages * PG, false);
	do_mmap_anon(g, par, stack, 16 * PG, 3, false, "");
	touch(g, par, stack, 16 * PG, true);
	emit(g, "%d brkbase 0x%" PRIx64, pid_of(par), hb);
	g->p[par].base = g->p[par].brk = hb;
	heap_brk(g, par, hb + g->n * PG);
	touch(g, par, hb, g->n * PG, true);
	for (uint64_t k = g->n < 8 ? g->n : 8; k > 0; k--)
		heap_write(g, par);

	for (unsigned k = 0; k < g->procs && !g->err; k++) {
		if (chance(g, 15))              /* a newer generation for later children */
			for (uint64_t w = between(g, 1, 3); w > 0; w--)
				heap_write(g, par);
		int c = fork_proc(g, par);

		if (c < 0)
			return;
		if (chance(g, 30))
			heap_write(g, c);
	}
	for (unsigned r = 0; r < g->rounds && !g->err; r++) {
		for (unsigned i = 1; i < g->np; i++)
			if (g->p[i].live)
				prefork_child(g, (int)i, hb, bin, binpages);
		for (uint64_t w = between(g, 1, 4); w > 0; w--)
			heap_write(g, par);
		read_at(g, par, word_in(g, bin, binpages));
	}
	/* half the children go; the parent writes its heap: the pages it is
	   the last sharer of are reused, the others copied */
	for (unsigned i = 1; i < g->np; i++)
		if (g->p[i].live && chance(g, 50))
			proc_exit(g, (int)i);
	touch(g, par, hb, g->n * PG, true);
	for (unsigned i = 1; i < g->np; i++)
		if (g->p[i].live)
			heap_read(g, (int)i);
}

/* ---- db ---- */

/* a worker's turn: four reads or writes of random words of the data file
 * and the shared memory */
static void db_work(struct gen *g, int i, uint64_t fb, uint64_t sga)
{
	for (int k = 0; k < 4; k++) {
		uint64_t a = word_in(g, chance(g, 50) ? fb : sga, g->n);

		if (chance(g, 40))
			write_at(g, i, a);
		else
			read_at(g, i, a);
	}
}

/* a new worker attaches: it reads the data file and the shared memory
 * through (with --mlock, it locks them: lock_sga, as fork does not pass
 * VM_LOCKED on; mlock populates both) */
static void db_lock(struct gen *g, int i, uint64_t fb, uint64_t sga);

static void db_attach(struct gen *g, int i, uint64_t fb, uint64_t sga)
{
	if (g->mlock) {
		db_lock(g, i, fb, sga);
		return;
	}
	touch(g, i, fb, g->n * PG, false);
	touch(g, i, sga, g->n * PG, false);
}

/* --mlock: i locks the data file and the shared memory */
static void db_lock(struct gen *g, int i, uint64_t fb, uint64_t sga)
{
	emit(g, "%d mlock 0x%" PRIx64 " %" PRIu64, pid_of(i), fb, g->n * PG);
	set_range(g, i, fb, fb + g->n * PG, -1, 1);
	emit(g, "%d mlock 0x%" PRIx64 " %" PRIu64, pid_of(i), sga, g->n * PG);
	set_range(g, i, sga, sga + g->n * PG, -1, 1);
}

static void gen_db(struct gen *g)
{
	uint64_t fb = WIN_LO + GIB, sga = fb + round_up(g->n * PG, GIB) + GIB;
	int par = spawn(g);

	if (par < 0)
		return;
	emit(g, "file db 0x%" PRIx64 " %" PRIu64, g->n * PG, rnd(g) | 1);
	do_mmap_file(g, par, fb, g->n * PG, 3, true, "", "db", 0);
	do_mmap_anon(g, par, sga, g->n * PG, 3, true, "");
	if (g->mlock) {
		db_lock(g, par, fb, sga);
	} else {
		touch(g, par, fb, g->n * PG, false);
		touch(g, par, sga, g->n * PG, true);
	}
	for (unsigned k = 0; k < g->procs && !g->err; k++) {
		int c = fork_proc(g, par);

		if (c < 0)
			return;
		db_attach(g, c, fb, sga);
		db_work(g, c, fb, sga);
	}
	for (unsigned r = 0; r < g->rounds && !g->err; r++) {
		unsigned gone = 0;

		for (unsigned i = 1; i < g->np; i++) {
			if (!g->p[i].live)
				continue;
			db_work(g, (int)i, fb, sga);
			if (chance(g, 10)) {
				proc_exit(g, (int)i);
				gone++;
			}
		}
		/* the server forks new workers for those that went */
		while (gone-- && !g->err) {
			int c = fork_proc(g, par);

			if (c < 0)
				return;
			db_attach(g, c, fb, sga);
			db_work(g, c, fb, sga);
		}
		read_at(g, par, word_in(g, sga, g->n));
	}
}

/* ---- filemap ---- */

#define FM_FILE "fm"

/* where process i maps the file: shared at slot 0, private at slot 1 */
static uint64_t fm_slot(const struct gen *g, int i, int which)
{
	uint64_t stride = round_up(2 * g->n * PG, GIB) + GIB;
	uint64_t nslots = (WIN_HI - WIN_LO - 2 * GIB) / stride;

	return WIN_LO + GIB + ((uint64_t)i % nslots) * stride + (uint64_t)which * (stride / 2);
}

/* has i a file mapping shared (or private)? */
static bool fm_has(const struct hproc *p, bool shared)
{
	for (size_t k = 0; k < p->n; k++)
		if (p->r[k].kind == R_FILE && p->r[k].shared == shared)
			return true;
	return false;
}

/* map the file in i with its role: mostly all of it, now and then a window */
static void fm_map(struct gen *g, int i, bool shared)
{
	uint64_t s = fm_slot(g, i, shared ? 0 : 1), off = 0, len = g->n;
	unsigned prot = chance(g, 85) ? 3 : 1;

	if (chance(g, 25)) {
		off = below(g, g->n);
		len = between(g, 1, g->n - off);
	}
	if (!range_free(&g->p[i], s, s + len * PG))
		return;
	do_mmap_file(g, i, s, len * PG, prot, shared, chance(g, 10) ? ",populate" : "", FM_FILE,
		     off);
}

static void fm_fwrite(struct gen *g)
{
	if (g->fsize < 8)
		return;
	uint64_t off = chance(g, 50) ? below(g, g->fsize - 7) : below(g, g->fsize / 8) * 8;

	if (chance(g, 30))
		emit(g, "fwrite " FM_FILE " 0x%" PRIx64, off);
	else
		emit(g, "fwrite " FM_FILE " 0x%" PRIx64 " 0x%" PRIx64, off, rnd(g));
}

static void fm_truncate(struct gen *g, uint64_t size)
{
	emit(g, "truncate " FM_FILE " 0x%" PRIx64, size);
	g->fsize = size;
}

/* every live process does one to three things with its mappings */
static void fm_access(struct gen *g)
{
	for (unsigned i = 0; i < g->np; i++) {
		struct hproc *p = &g->p[i];

		if (!p->live)
			continue;
		if (chance(g, 4) && nlive(g) > 1) {
			proc_exit(g, (int)i);
			continue;
		}
		for (uint64_t k = between(g, 1, 3); k > 0; k--) {
			long ri = pick_reg(g, p);

			if (ri < 0)
				break;
			const struct reg *r = &p->r[ri];
			uint64_t np = (r->e - r->s) / PG, a = r->s + below(g, np) * PG;
			uint64_t x = below(g, 100);

			if (x < 35) {
				read_at(g, (int)i, a + in_page(g));
			} else if (x < 70 && (r->prot & 2)) {
				write_at(g, (int)i, a + in_page(g));
			} else if (x < 82) {
				touch(g, (int)i, r->s, r->e - r->s, false);
			} else if (x < 92 && (r->prot & 2)) {
				uint64_t run = between(g, 1, 8) * PG;

				touch(g, (int)i, a, a + run > r->e ? r->e - a : run, true);
			} else if (!r->shared) {
				/* drop private copies: the file's pages show again */
				uint64_t run = between(g, 1, 16) * PG;

				emit(g, "%d madvise 0x%" PRIx64 " %" PRIu64 " dontneed", pid_of((int)i),
				     a, a + run > r->e ? r->e - a : run);
			} else {
				read_at(g, (int)i, a + in_page(g));
			}
		}
	}
	for (uint64_t k = between(g, 1, 3); k > 0; k--)
		fm_fwrite(g);
}

/* --mlock (every mapping of the file is then shared): i locks its mapping
 * of the file (a forked child's came unlocked), which mlock populates */
static void fm_lock(struct gen *g, int i)
{
	struct hproc *p = &g->p[i];

	for (size_t k = 0; k < p->n; k++) {
		const struct reg *r = &p->r[k];

		if (r->kind != R_FILE || !r->shared || r->locked)
			continue;
		emit(g, "%d mlock 0x%" PRIx64 " %" PRIu64, pid_of(i), r->s, r->e - r->s);
		set_range(g, i, r->s, r->e, -1, 1);
		return;                 /* set_range may have changed the list */
	}
}

static void gen_filemap(struct gen *g)
{
	uint64_t full = g->n * PG - (chance(g, 50) ? between(g, 1, PG - 8) : 0);

	emit(g, "file " FM_FILE " 0x%" PRIx64 " %" PRIu64, full, rnd(g) | 1);
	g->fsize = full;
	for (unsigned k = 0; k < g->procs && !g->err; k++) {
		/* --mlock: the database's shared memory, locked by everyone */
		bool shared = k == 0 || g->mlock ? true : k == 1 ? false : chance(g, 50);
		int q = k ? pick_live(g, -1, -1) : -1;
		int i;

		if (q < 0 || chance(g, 50)) {
			i = spawn(g);
			if (i < 0)
				return;
		} else {
			/* inherits q's mappings and its private copies */
			i = fork_proc(g, q);
			if (i < 0)
				return;
			long ri = pick_reg(g, &g->p[i]);

			if (ri >= 0 && (g->p[i].r[ri].prot & 2))
				write_at(g, i, word_in(g, g->p[i].r[ri].s,
						       (g->p[i].r[ri].e - g->p[i].r[ri].s) / PG));
		}
		if (!fm_has(&g->p[i], shared))
			fm_map(g, i, shared);
		if (g->mlock)
			fm_lock(g, i);
		if (chance(g, 50)) {
			/* fault something in before the next one forks */
			long ri = pick_reg(g, &g->p[i]);

			if (ri >= 0)
				touch(g, i, g->p[i].r[ri].s, g->p[i].r[ri].e - g->p[i].r[ri].s,
				      (g->p[i].r[ri].prot & 2) && chance(g, 50));
		}
	}
	for (unsigned r = 0; r < g->rounds && !g->err; r++) {
		bool last = r + 1 == g->rounds;

		fm_access(g);
		/* shrink to a partial page: every mapping past it goes, private
		   copies included */
		uint64_t cut = between(g, 1, g->fsize - 1);

		fm_truncate(g, cut % PG ? cut : cut - 1);
		fm_access(g);
		fm_fwrite(g);
		if (last) {
			fm_truncate(g, 0);
			fm_access(g);
			uint64_t regrow = between(g, 1, g->n) * PG;

			fm_truncate(g, regrow - below(g, PG));
			fm_access(g);
		} else {
			fm_truncate(g, full);   /* grown back: zeroes past the cut */
		}
	}
}

/* ---- mremap ---- */

/*
 * Slots: the addresses processes move their copies to, each large enough
 * for the region grown twice over, above the region's home; a process
 * takes the first free one (in its own model) from a start that depends
 * on it and the round, so that copies of a page sit at different
 * addresses in different processes while the window holds enough slots.
 */
struct mr_slots {
	uint64_t base, size, n;
};

static uint64_t mr_slot(struct gen *g, const struct mr_slots *sl, int i, unsigned round,
			uint64_t len)
{
	uint64_t j = ((uint64_t)i * (g->rounds + 1) + round) % sl->n;

	for (uint64_t tries = 0; tries < 64 && tries < sl->n; tries++, j = (j + 1) % sl->n) {
		uint64_t t = sl->base + j * sl->size;

		if (len <= sl->size && range_free(&g->p[i], t, t + len))
			return t;
	}
	return 0;
}

/* one process's move of one of its regions in a round */
static void mr_move(struct gen *g, const struct mr_slots *sl, int i, unsigned round)
{
	struct hproc *p = &g->p[i];
	long k = pick_reg(g, p);

	if (k < 0)
		return;
	uint64_t s = p->r[k].s, len = p->r[k].e - s, np = len / PG, x = below(g, 100);
	uint64_t grow = between(g, 1, g->n / 4 ? g->n / 4 : 1) * PG, t, nlen;

	/*
	 * A copy grows to twice the region at most, and not when the tester
	 * would refuse it (it refuses an mremap whose old address plus the new
	 * length passes WIN_HI, even a move): then it moves instead.
	 */
	if ((len + grow > 2 * g->n * PG || s + len + grow > WIN_HI) &&
	    ((x >= 35 && x < 50) || (x >= 75 && x < 87) || x >= 95))
		x = 0;
	if (x < 35 || (x < 75 && np < 2)) {             /* all of it, to its slot */
		t = mr_slot(g, sl, i, round, len);
		if (!t)
			return;
		emit(g, "%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " maymove,fixed 0x%" PRIx64,
		     pid_of(i), s, len, len, t);
		move_model(g, i, s, len, t, len, false);
	} else if (x < 50) {                            /* moved and grown */
		nlen = len + grow;
		t = mr_slot(g, sl, i, round, nlen);
		if (!t)
			return;
		emit(g, "%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " maymove,fixed 0x%" PRIx64,
		     pid_of(i), s, len, nlen, t);
		move_model(g, i, s, len, t, nlen, false);
	} else if (x < 62) {                            /* shrunk in place */
		nlen = between(g, 1, np - 1) * PG;
		emit(g, "%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " %s", pid_of(i), s, len, nlen,
		     chance(g, 50) ? "-" : "maymove");
		move_model(g, i, s, len, s, nlen, false);
	} else if (x < 75) {                            /* a part moves: a split */
		uint64_t off = below(g, np - 1) * PG, m = between(g, 1, np - off / PG - 1) * PG;

		if (chance(g, 50)) {
			off += m;       /* sometimes the tail */
			m = len - off;
		}
		t = mr_slot(g, sl, i, round, m);
		if (!t)
			return;
		emit(g, "%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " maymove,fixed 0x%" PRIx64,
		     pid_of(i), s + off, m, m, t);
		move_model(g, i, s + off, m, t, m, false);
	} else if (x < 87) {                            /* maymove alone, growing */
		nlen = len + grow;
		if (range_free(p, s + len, s + nlen)) {
			t = s;                          /* room after it: in place */
		} else {
			t = topdown(p, nlen);           /* the old one still mapped */
			if (!t)
				return;
		}
		emit(g, "%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " maymove", pid_of(i), s, len,
		     nlen);
		move_model(g, i, s, len, t, nlen, false);
	} else if (x < 95) {                            /* the pages go, the VMA stays */
		t = mr_slot(g, sl, i, round, len);
		if (!t)
			return;
		emit(g, "%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64
		     " maymove,fixed,dontunmap 0x%" PRIx64, pid_of(i), s, len, len, t);
		move_model(g, i, s, len, t, len, true);
	} else {                                        /* grown in place, if it can */
		nlen = len + grow;
		if (!range_free(p, s + len, s + nlen))
			return;
		emit(g, "%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " -", pid_of(i), s, len, nlen);
		move_model(g, i, s, len, s, nlen, false);
	}
}

/* after a move: writes (COW of pages others have elsewhere), reads */
static void mr_use(struct gen *g, int i)
{
	for (uint64_t k = between(g, 1, 3); k > 0; k--) {
		uint64_t a = pick_page(g, &g->p[i], 3);

		if (a)
			write_at(g, i, a + in_page(g));
	}
	for (uint64_t k = between(g, 0, 2); k > 0; k--) {
		uint64_t a = pick_page(g, &g->p[i], 1);

		if (a)
			read_at(g, i, a + in_page(g));
	}
	if (chance(g, 25)) {
		long k = pick_reg(g, &g->p[i]);

		if (k >= 0)
			touch(g, i, g->p[i].r[k].s, g->p[i].r[k].e - g->p[i].r[k].s, false);
	}
}

static void gen_mremap(struct gen *g)
{
	uint64_t home = WIN_LO + GIB, len = g->n * PG;
	struct mr_slots sl;
	unsigned grandchildren = 0;
	int par = spawn(g);

	sl.size = round_up(2 * len + (g->n / 4 + 1) * PG, PMD);
	sl.base = round_up(home + 2 * sl.size, GIB);
	sl.n = (WIN_HI - GIB - sl.base) / sl.size;
	if (par < 0)
		return;
	do_mmap_anon(g, par, home, len, 3, false, "");
	touch(g, par, home, len, true);
	for (uint64_t k = g->n < 8 ? g->n : 8; k > 0; k--)
		write_at(g, par, word_in(g, home, g->n));
	for (unsigned k = 0; k < g->procs && !g->err; k++) {
		int c = fork_proc(g, par);

		if (c < 0)
			return;
		if (chance(g, 20))              /* a copy before any move */
			write_at(g, c, word_in(g, home, g->n));
	}
	for (unsigned r = 0; r < g->rounds && !g->err; r++) {
		unsigned np = g->np;

		for (unsigned i = 0; i < np; i++) {
			if (!g->p[i].live)
				continue;
			mr_move(g, &sl, (int)i, r);
			mr_use(g, (int)i);
		}
		for (unsigned i = 1; i < np; i++) {
			if (!g->p[i].live)
				continue;
			if (chance(g, 5)) {
				proc_exit(g, (int)i);
			} else if (chance(g, 8) && grandchildren < g->procs / 4) {
				/* a moved copy forked: the child's VMAs start where the
				   parent moved them, their pgoff from the first address */
				int c = fork_proc(g, (int)i);

				if (c < 0)
					return;
				grandchildren++;
				mr_use(g, c);
			}
		}
		for (uint64_t w = between(g, 1, 4); w > 0; w--) {
			uint64_t a = pick_page(g, &g->p[par], 3);

			if (a)
				write_at(g, par, a + in_page(g));
		}
	}
	for (unsigned i = 0; i < g->np; i++)
		if (g->p[i].live)
			touch_all(g, (int)i, false);
	touch_all(g, par, true);
}

/* ---- mlock ---- */

#define ML_FILE "ml"

struct ml_layout {
	uint64_t span;          /* room for each region and its growth */
	uint64_t la, lb, lc, ld, le, scratch;   /* where each region starts */
	uint64_t na, nb, nc, nd, ne, nscratch;  /* their pages */
};

/* one process's step in a round */
static void ml_step(struct gen *g, const struct ml_layout *l, int i)
{
	struct hproc *p = &g->p[i];
	uint64_t x = below(g, 100), s, e;
	long k = pick_reg(g, p);

	if (k < 0) {
		if (range_free(p, l->scratch, l->scratch + l->nscratch * PG))
			do_mmap_anon(g, i, l->scratch, l->nscratch * PG, 3, false, ",locked");
		return;
	}
	pick_sub(g, &p->r[k], g->n, &s, &e);
	if (x < 30) {
		uint64_t a = pick_page(g, p, 3);

		if (a)
			write_at(g, i, a + in_page(g));
		a = pick_page(g, p, 3);
		if (a && chance(g, 50))
			write_at(g, i, a + in_page(g));
	} else if (x < 45) {
		emit(g, "%d munlock 0x%" PRIx64 " %" PRIu64, pid_of(i), s, e - s);
		set_range(g, i, s, e, -1, 0);
	} else if (x < 57) {
		/* populates: private writable pages are written, i.e. copied */
		emit(g, "%d mlock 0x%" PRIx64 " %" PRIu64, pid_of(i), s, e - s);
		set_range(g, i, s, e, -1, 1);
	} else if (x < 67) {
		emit(g, "%d madvise 0x%" PRIx64 " %" PRIu64 " pageout", pid_of(i), s, e - s);
	} else if (x < 75) {
		emit(g, "%d madvise 0x%" PRIx64 " %" PRIu64 " dontneed", pid_of(i), s, e - s);
	} else if (x < 80) {
		uint64_t len = l->nscratch * PG;

		if (range_free(p, l->scratch, l->scratch + len)) {
			bool shared = chance(g, 30);

			do_mmap_anon(g, i, l->scratch, len, 3, shared,
				     chance(g, 50) ? ",locked,populate" : ",locked");
		} else {
			emit(g, "%d munmap 0x%" PRIx64 " %" PRIu64, pid_of(i), l->scratch, len);
			carve(g, p, l->scratch, l->scratch + len);
		}
	} else if (x < 86) {
		/* grow a region in place: locked, the new part is populated */
		const struct reg *r = &p->r[k];
		uint64_t grow = between(g, 1, g->n / 4 ? g->n / 4 : 1) * PG;

		if (r->kind != R_FILE && r->e + grow <= WIN_HI && range_free(p, r->e, r->e + grow)) {
			emit(g, "%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " -", pid_of(i), r->s,
			     r->e - r->s, r->e - r->s + grow);
			move_model(g, i, r->s, r->e - r->s, r->s, r->e - r->s + grow, false);
		}
	} else if (x < 90 && nlive(g) > 1 && i != 0) {
		proc_exit(g, i);
	} else {
		uint64_t a = pick_page(g, p, 1);

		if (a)
			read_at(g, i, a + in_page(g));
		if (chance(g, 30))
			touch(g, i, p->r[k].s, p->r[k].e - p->r[k].s, false);
	}
}

static void gen_mlock(struct gen *g)
{
	struct ml_layout l;
	int root = spawn(g);

	l.na = g->n;
	l.nb = g->n / 2 ? g->n / 2 : 1;
	l.nc = g->n;
	l.nd = g->n / 2 ? g->n / 2 : 1;
	l.ne = g->n / 4 ? g->n / 4 : 1;
	l.nscratch = g->n / 8 ? g->n / 8 : 1;
	l.span = round_up(2 * g->n * PG, GIB);
	l.la = WIN_LO + GIB;
	l.lb = l.la + l.span;
	l.lc = l.lb + l.span;
	l.ld = l.lc + l.span;
	l.le = l.ld + l.span;
	l.scratch = l.le + l.span;
	if (root < 0)
		return;
	emit(g, "file " ML_FILE " 0x%" PRIx64 " %" PRIu64, g->n * PG, rnd(g) | 1);
	g->fsize = g->n * PG;
	/* private anonymous, mapped locked: populated by write faults */
	do_mmap_anon(g, root, l.la, l.na * PG, 3, false, ",locked");
	/* shared anonymous, populated, then locked */
	do_mmap_anon(g, root, l.lb, l.nb * PG, 3, true, ",populate");
	emit(g, "%d mlock 0x%" PRIx64 " %" PRIu64, pid_of(root), l.lb, l.nb * PG);
	set_range(g, root, l.lb, l.lb + l.nb * PG, -1, 1);
	/* the file shared, locked */
	do_mmap_file(g, root, l.lc, l.nc * PG, 3, true, ",locked", ML_FILE, 0);
	/* the file private, then locked: every page copied */
	do_mmap_file(g, root, l.ld, l.nd * PG, 3, false, "", ML_FILE, 0);
	emit(g, "%d mlock 0x%" PRIx64 " %" PRIu64, pid_of(root), l.ld, l.nd * PG);
	set_range(g, root, l.ld, l.ld + l.nd * PG, -1, 1);
	/* private anonymous, unlocked for now */
	do_mmap_anon(g, root, l.le, l.ne * PG, 3, false, "");
	touch(g, root, l.le, l.ne * PG, true);

	unsigned per_round = (g->procs - 1 + g->rounds - 1) / g->rounds;
	int last = root;

	for (unsigned r = 0; r < g->rounds && !g->err; r++) {
		for (unsigned k = 0; k < per_round && g->np < g->procs; k++) {
			int q = g->p[last].live && chance(g, 60) ? last : pick_live(g, -1, -1);
			int c;

			if (q < 0)
				break;
			c = fork_proc(g, q);
			if (c < 0)
				return;
			/* COW of locked private pages, from both sides */
			for (uint64_t w = between(g, 1, 2); w > 0; w--) {
				uint64_t a = pick_page(g, &g->p[c], 3);

				if (a)
					write_at(g, c, a + in_page(g));
			}
			if (chance(g, 50)) {
				uint64_t a = pick_page(g, &g->p[q], 3);

				if (a)
					write_at(g, q, a + in_page(g));
			}
			last = c;
		}
		for (unsigned i = 0; i < g->np; i++)
			if (g->p[i].live)
				ml_step(g, &l, (int)i);
	}
	if (chance(g, 50)) {
		/* truncate under the locked mappings (and their private copies) */
		emit(g, "truncate " ML_FILE " 0x%" PRIx64, g->n / 2 * PG + between(g, 1, PG - 1));
		for (unsigned i = 0; i < g->np; i++)
			if (g->p[i].live && chance(g, 50))
				touch(g, (int)i, l.lc, l.nc * PG, false);
	}
	for (unsigned i = 0; i < g->np; i++)
		if (g->p[i].live)
			touch_all(g, (int)i, false);
	for (unsigned i = 1; i < g->np; i++)
		if (g->p[i].live && chance(g, 50))
			proc_exit(g, (int)i);
}

/* ---- the interface ---- */

const char *gen_kind_name(int kind)
{
	return kind >= 0 && kind < NR_GEN_KINDS ? kind_names[kind] : NULL;
}

int gen_kind_find(const char *name)
{
	for (int k = 0; k < NR_GEN_KINDS; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -1;
}

void gen_size_default(int kind, struct gen_size *sz)
{
	*sz = size_defaults[kind >= 0 && kind < NR_GEN_KINDS ? kind : GEN_CHAIN];
}

int gen_hardcase(int kind, uint64_t seed, const struct gen_size *sz, FILE *out)
{
	static void (*const gen_fn[NR_GEN_KINDS])(struct gen *) = {
		[GEN_CHAIN] = gen_chain, [GEN_PREFORK] = gen_prefork,
		[GEN_FILEMAP] = gen_filemap, [GEN_MREMAP] = gen_mremap,
		[GEN_MLOCK] = gen_mlock, [GEN_DB] = gen_db,
	};
	struct gen g = { .out = out };

	if (kind < 0 || kind >= NR_GEN_KINDS || !sz ||
	    sz->procs < 1 || sz->procs > GEN_MAX_PROCS ||
	    sz->pages < GEN_MIN_PAGES || sz->pages > GEN_MAX_PAGES ||
	    sz->rounds < 1 || sz->rounds > GEN_MAX_ROUNDS)
		return -EINVAL;
	g.n = sz->pages;
	g.procs = sz->procs;
	g.rounds = sz->rounds;
	g.mlock = sz->mlock && (kind == GEN_FILEMAP || kind == GEN_DB);
	/* each kind its own sequence for the same seed */
	g.rng = seed ^ (0x6a09e667f3bcc909ull * (uint64_t)(kind + 1));

	fprintf(out, "# generated by gentrace %" PRIu64 " --kind %s --procs %u --pages %" PRIu64
		" --rounds %u%s\n", seed, kind_names[kind], sz->procs, sz->pages, sz->rounds,
		g.mlock ? " --mlock" : "");
	fprintf(out, "# the debate's hard cases (gen/hardcase.c); compare dumps of revmap and Linux\n");
	fprintf(out, "revmap-trace 1\n");
	gen_fn[kind](&g);

	for (unsigned i = 0; i < g.np; i++)
		free(g.p[i].r);
	free(g.p);
	if (g.err)
		return g.err;
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}
