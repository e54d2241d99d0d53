/*
 * tools/gentrace.c - seeded random trace generator for the differential test.
 *
 *   gentrace SEED [--events N] [--procs MAX] [--files] [--forks] [--nonlinear] [--model]
 *   gentrace SEED --kind NAME [--procs N] [--pages N] [--rounds N] [--mlock]
 *
 * (--model prints the model's final regions on stderr, "pid start end prot",
 * to check the model against a dump of the real kernel.)
 *
 * --kind NAME writes one of the debate's hard cases instead of a random
 * trace: chain, prefork, filemap, mremap, mlock or db (gen/hardcase.c makes them
 * and says what each is; the benchmarks link the same code).  --procs is
 * then the case's processes (chain depth, prefork children, filemap, mremap
 * and mlock sharers), --pages the pages of the region it works on (heap,
 * file, moved region), --rounds the repetitions of its main phase; each
 * defaults to what the differential test uses (gen_size_default), and the
 * limits are 1 <= procs <= 10000, 4 <= pages <= 2^20, 1 <= rounds <= 1000
 * (gen/hardcase.h).  --mlock (filemap and db): every process maps the
 * file shared and mlocks it (filemap), or locks the data file and the
 * shared memory (db): seed 004's database with its memory locked.  --events, --files, --forks and --model do not apply.
 * Without --kind, nothing here changes: the output of every SEED and option
 * is what it was.
 *
 * writes on stdout a trace (../shared/spec/trace-v1.md) without simulator
 * directives, without hostfile and without "= result" expectations.  The
 * same trace is run by `revmap replay` and by the Linux tester, and their
 * dumps are compared.  By default the trace has anonymous private memory
 * only (no files, no shared mappings).  The output depends only on SEED and
 * the options (own PRNG: splitmix64), and is stable from this version on
 * (the version that made every argument shape, tools/gentrace-coverage.md):
 * failures are reported by seed.
 *
 * Every argument shape the format allows is made now and then, not only the
 * common ones (tools/gentrace-coverage.md lists them, line kind by line
 * kind, and tools/trace-shapes.py counts them in generated traces): numbers
 * in decimal and hex, tokens separated by runs of blanks and tabs, comments
 * and blank lines; every prot; every mmap flag, alone and together (fixed
 * with noreplace; populate, locked and noreserve at once); unaligned
 * addresses, hints, lengths and file offsets; lengths of 0, lengths past
 * the address space and lengths that wrap past 2^64, ranges to the window
 * top; every madvise advice; every mremap flag combination, with and without
 * a new address, old_len 0, lengths not page multiples; brkbase inside a
 * page and again; brk below the base, to page boundaries, past the address
 * space; r and w at any byte whose 8 bytes stay in the page (the last 8
 * included), w with and without a value; touch from any byte, of 0 bytes
 * or a few, r and w with and without a value; remap_file_pages with
 * unaligned start and size, size 0, page offsets past the object or
 * wrapping; spawn and fork reusing a pid that exited.
 *
 * --files adds files and shared memory: two to four files at the start (a
 * few more later), of 0 bytes to 256 pages, often not a page multiple, with
 * and without a seed; mmap of files, private and shared, at page offsets
 * inside the file, partly or wholly past its end, far past it, near and past
 * 2^63, unaligned; shared anonymous mappings; reads, writes and touches aimed
 * at them (mostly at pages inside the object, some past its end: SIGBUS);
 * fwrite of 8 bytes anywhere they fit (aligned or not, straddling two pages,
 * ending exactly at EOF, in the last page, into a hole that truncate grew or
 * madvise remove punched), with the default value, 0 or any; truncate
 * shrinking (to page and non-page multiples, to 0), to the same size,
 * growing by less than a page, by pages, by many pages, to sparse sizes up
 * to 2^63-1, and past it (EINVAL); madvise remove/dontneed/populate (and a
 * few others) on them; mlock, mremap (growing shared anonymous memory past
 * its object, old_len 0: a second mapping of the same pages), remap_file_pages
 * and, through the generic events, mprotect, munmap, fork, exit and exec
 * mixing them with anonymous memory.  The model keeps each file's size (as
 * the trace parser does: fwrite must stay inside the file), its recent holes,
 * each shared anonymous object's size, and for each region what it maps and
 * at which page offset.
 *
 * --nonlinear is --files with one event in five more a remap_file_pages of a
 * shared mapping; the trace says "# needs: nonlinear", to be replayed with
 * revmap's --nonlinear (Linux 2.6.32's nonlinear VMAs), where its `op`
 * lines need not be the 6.x kernel's.
 *
 * --forks makes fork-heavy traces (up to 24 processes unless --procs says,
 * twice the events): one parent forking many children, chains of forks,
 * parents exiting or exec'ing while their children live, every process that
 * shares a page reading or writing it in turn (copy-on-write, reuse by the
 * last sharer), a child writing over a whole inherited region, dontfork /
 * wipeonfork before a fork, MADV_FREE of shared pages while the other
 * sharers write, unmap or drop them, then pageout; with --files too, over
 * file and shared mappings.
 *
 * To make most events land somewhere interesting, the generator keeps a model
 * of each live process: its mapped regions (start, end, prot, the flags that
 * split a VMA: locked, dontfork, wipeonfork, random/sequential), and its brk
 * base and break.  The model follows Linux closely enough to predict what
 * each call does (placement is top-down from the window top, with the PMD
 * alignment Linux gives hint-less anonymous maps whose length is a multiple
 * of 2 MiB), but it does not need to be exact: when it is wrong, later events
 * merely hit less interesting places.  What must never go wrong:
 *
 *   - every address range a call could touch stays inside
 *     [WIN_LO, WIN_HI), because the Linux tester reserves everything outside
 *     it (unmapping or growing into the reservation would break the tester);
 *     in particular no mremap grows in place past WIN_HI, and calls that aim
 *     at holes on purpose (mremap of a hole) never grow.  A length that
 *     wraps past 2^64 (or rounds up past it) is fine: the kernel refuses it
 *     before doing anything, and the tester lets it through; a length that
 *     merely reaches past the window is not (mmap at 0 of more than the
 *     window holds would land below it in Linux, above it in revmap), so
 *     huge mmap lengths are larger than the whole address space;
 *   - every pid used is live (spawned or forked and not exited).
 *
 * A fraction of the events are wrong on purpose: unaligned addresses, zero
 * lengths, MAP_FIXED_NOREPLACE over a mapping, mremap with flags that do not
 * go together, madvise(MADV_REMOVE) of private memory, calls over holes,
 * (--files) unaligned file offsets, MADV_FREE of file mappings.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gen/hardcase.h"

#define PG      4096ull
#define PMD     (2ull << 20)
#define WIN_LO  0x100000000000ull
#define WIN_HI  0x200000000000ull

#define MAX_PROCS_LIMIT 64

/* ---- PRNG: splitmix64 ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in [0, n); 0 when n == 0 */
static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* uniform in [lo, hi] */
static uint64_t between(uint64_t lo, uint64_t hi)
{
	return lo + below(hi - lo + 1);
}

static bool chance(unsigned pct)
{
	return below(100) < pct;
}

/* ---- the model ---- */

enum {
	RF_LOCKED   = 1u << 0,      /* VM_LOCKED */
	RF_DONTFORK = 1u << 1,      /* VM_DONTCOPY */
	RF_WIPE     = 1u << 2,      /* VM_WIPEONFORK */
	RF_RAND     = 1u << 3,      /* VM_RAND_READ */
	RF_SEQ      = 1u << 4,      /* VM_SEQ_READ */
};

enum rkind {
	RK_ANON = 0,            /* private anonymous memory (or the heap) */
	RK_FILE,                /* a mapping of file files[obj] */
	RK_SHM,                 /* shared anonymous memory, object shms[obj] */
};

struct region {
	uint64_t s, e;          /* [s, e), page aligned, inside the window */
	unsigned prot;          /* 1 r, 2 w, 4 x */
	unsigned fl;            /* RF_* */
	enum rkind kind;        /* what is mapped (--files only; else RK_ANON) */
	bool shared;            /* MAP_SHARED (RK_FILE; RK_SHM always is) */
	int obj;                /* RK_FILE: index in files[]; RK_SHM: in shms[] */
	uint64_t pgoff;         /* RK_FILE, RK_SHM: page offset of s in the object */
};

struct proc {
	int pid;                /* live pid */
	int ppid;               /* the pid that forked it (0: spawned) */
	struct region *r;       /* sorted, disjoint; not merged */
	size_t n, cap;
	bool has_base;          /* brkbase given since spawn/exec */
	uint64_t base, brk;     /* start_brk and brk */
};

static struct proc procs[MAX_PROCS_LIMIT];
static int nprocs;              /* live processes, procs[0..nprocs) */
static int next_pid = 1;
static int dead_pids[MAX_PROCS_LIMIT];  /* some pids that have exited */
static int ndead;

/* a pid for spawn or fork: a new one, or now and then one that has exited */
static int new_pid(void)
{
	if (ndead && chance(15)) {
		size_t i = below((uint64_t)ndead);
		int pid = dead_pids[i];
		dead_pids[i] = dead_pids[--ndead];
		return pid;
	}
	return next_pid++;
}

static uint64_t pg_up(uint64_t x)   { return (x + PG - 1) & ~(PG - 1); }
static uint64_t pg_down(uint64_t x) { return x & ~(PG - 1); }

static void reg_insert_at(struct proc *p, size_t i, struct region x)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->r = realloc(p->r, p->cap * sizeof(*p->r));
		if (!p->r) {
			perror("gentrace");
			exit(1);
		}
	}
	memmove(&p->r[i + 1], &p->r[i], (p->n - i) * sizeof(*p->r));
	p->r[i] = x;
	p->n++;
}

static void reg_delete_at(struct proc *p, size_t i)
{
	memmove(&p->r[i], &p->r[i + 1], (p->n - i - 1) * sizeof(*p->r));
	p->n--;
}

/* Split the region that strictly contains addr, if any. */
static void split_at(struct proc *p, uint64_t addr)
{
	for (size_t i = 0; i < p->n; i++) {
		struct region *r = &p->r[i];
		if (r->s < addr && addr < r->e) {
			struct region right = *r;
			right.s = addr;
			right.pgoff = r->pgoff + (addr - r->s) / PG;
			r->e = addr;
			reg_insert_at(p, i + 1, right);
			return;
		}
	}
}

/* Remove [s, e) from the model. */
static void carve(struct proc *p, uint64_t s, uint64_t e)
{
	if (s >= e)
		return;
	split_at(p, s);
	split_at(p, e);
	for (size_t i = 0; i < p->n;) {
		if (p->r[i].s >= s && p->r[i].e <= e)
			reg_delete_at(p, i);
		else
			i++;
	}
}

/* Map x (replacing what was there); x.pgoff is the object's page at x.s. */
static void add_region_r(struct proc *p, struct region x)
{
	if (x.s >= x.e)
		return;
	carve(p, x.s, x.e);
	size_t i = 0;
	while (i < p->n && p->r[i].s < x.s)
		i++;
	reg_insert_at(p, i, x);
}

static void add_region(struct proc *p, uint64_t s, uint64_t e, unsigned prot, unsigned fl)
{
	add_region_r(p, (struct region){ .s = s, .e = e, .prot = prot, .fl = fl });
}

/* The region that tpl's object continues into at address at (same object,
   the page offset moved along), [at, e) with prot and fl. */
static struct region region_like(const struct region *tpl, uint64_t tpl_s, uint64_t at,
				 uint64_t s, uint64_t e, unsigned prot, unsigned fl)
{
	struct region x = *tpl;
	x.s = s;
	x.e = e;
	x.prot = prot;
	x.fl = fl;
	x.pgoff = tpl->pgoff + (at - tpl_s) / PG;
	return x;
}

static struct region *region_at(struct proc *p, uint64_t addr)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].s <= addr && addr < p->r[i].e)
			return &p->r[i];
	return NULL;
}

static bool range_free(struct proc *p, uint64_t s, uint64_t e)
{
	if (s < WIN_LO || e > WIN_HI || s >= e)
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].s < e && s < p->r[i].e)
			return false;
	return true;
}

/*
 * End of the VMA (as the model guesses it: a run of touching regions with the
 * same prot and flags) that contains addr; 0 if addr is not mapped.
 */
static uint64_t vma_end_guess(struct proc *p, uint64_t addr)
{
	size_t i;
	for (i = 0; i < p->n; i++)
		if (p->r[i].s <= addr && addr < p->r[i].e)
			break;
	if (i == p->n)
		return 0;
	uint64_t end = p->r[i].e;
	while (i + 1 < p->n && p->r[i + 1].s == end && p->r[i + 1].prot == p->r[i].prot &&
	       p->r[i + 1].fl == p->r[i].fl && p->r[i + 1].kind == p->r[i].kind &&
	       (p->r[i].kind == RK_ANON ||
		(p->r[i + 1].obj == p->r[i].obj && p->r[i + 1].shared == p->r[i].shared &&
		 p->r[i + 1].pgoff == p->r[i].pgoff + (p->r[i].e - p->r[i].s) / PG))) {
		i++;
		end = p->r[i].e;
	}
	return end;
}

/* Highest hole of the window that holds len: its start address, or 0. */
static uint64_t topdown_plain(struct proc *p, uint64_t len)
{
	uint64_t hole_end = WIN_HI;
	for (size_t k = p->n; k-- > 0;) {
		if (hole_end - p->r[k].e >= len && hole_end >= p->r[k].e)
			return hole_end - len;
		hole_end = p->r[k].s;
	}
	if (hole_end >= WIN_LO && hole_end - WIN_LO >= len)
		return hole_end - len;
	return 0;
}

/*
 * Linux's placement of an anonymous mapping with no usable hint: top-down;
 * a length that is a multiple of PMD_SIZE is PMD aligned when a hole of
 * len + PMD_SIZE exists (thp_get_unmapped_area).
 */
static uint64_t topdown(struct proc *p, uint64_t len)
{
	if (len % PMD == 0) {
		uint64_t ret = topdown_plain(p, len + PMD);
		if (ret) {
			if (ret % PMD == 0)
				return ret + PMD;
			return (ret + PMD - 1) & ~(PMD - 1);
		}
	}
	return topdown_plain(p, len);
}

static struct proc *proc_new(int pid)
{
	struct proc *p = &procs[nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

static void proc_del(struct proc *p)
{
	free(p->r);
	size_t i = (size_t)(p - procs);
	memmove(&procs[i], &procs[i + 1], (size_t)(nprocs - (int)i - 1) * sizeof(*p));
	nprocs--;
}

/* ---- output ---- */

static const char *prot_str(unsigned prot)
{
	static const char *s[8] = { "---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx" };
	return s[prot & 7];
}

static int events_out;         /* event lines written */

static bool is_number(const char *t)
{
	if (t[0] == '0' && t[1] == 'x' && t[2]) {
		for (t += 2; *t; t++)
			if (!((*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'f')))
				return false;
		return true;
	}
	for (; *t; t++)
		if (*t < '0' || *t > '9')
			return false;
	return true;
}

/*
 * Write one event line.  The line is formatted canonically (addresses in hex,
 * lengths in decimal) and then written in one of the other spellings the
 * format allows, so that every number is seen in both bases: a number that is
 * not a pid is written in the other base now and then (hex sometimes with
 * leading zeroes); a few lines separate their tokens with runs of spaces and
 * tabs, end with a comment, or follow a comment line or a blank line (line
 * numbers, and so the default values of w, touch and fwrite, count those).
 */
static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void out(const char *fmt, ...)
{
	char line[512], *tok[24];
	int nt = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *q = strtok(line, " "); q && nt < 24; q = strtok(NULL, " "))
		tok[nt++] = q;

	uint64_t x = below(1000);
	if (x < 6)
		printf("# a comment line between events\n");
	else if (x < 12)
		printf("\n");
	bool pidline = nt && tok[0][0] >= '0' && tok[0][0] <= '9';
	bool odd_space = chance(3);
	for (int i = 0; i < nt; i++) {
		const char *t = tok[i];
		char buf[48];
		if (i) {
			if (odd_space) {
				static const char *const sp[] = { "  ", "\t", " \t", "\t\t ", " " };
				fputs(sp[below(5)], stdout);
			} else {
				putchar(' ');
			}
		}
		bool pid = pidline && (i == 0 || (i == 2 && !strcmp(tok[1], "fork")));
		if (!pid && is_number(t) && chance(15)) {
			uint64_t v = strtoull(t, NULL, 0);
			if (t[0] == '0' && t[1] == 'x')
				snprintf(buf, sizeof(buf), "%" PRIu64, v);
			else if (chance(10))
				snprintf(buf, sizeof(buf), "0x%0*" PRIx64, (int)between(4, 16), v);
			else
				snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
			t = buf;
		}
		fputs(t, stdout);
	}
	if (chance(2))
		fputs(odd_space ? "\t# a comment after an event" : " # a comment", stdout);
	putchar('\n');
	events_out++;
}

/* ---- choosing arguments ---- */

static unsigned pick_prot(void)
{
	uint64_t x = below(100);
	if (x < 60) return 3;   /* rw- */
	if (x < 75) return 1;   /* r-- */
	if (x < 83) return 0;   /* --- */
	if (x < 88) return 5;   /* r-x */
	if (x < 92) return 7;   /* rwx */
	if (x < 95) return 2;   /* -w- */
	if (x < 97) return 4;   /* --x */
	return 6;               /* -wx */
}

/* a length in pages: mostly 1..16, some up to 64, a few up to 512 */
static uint64_t pick_pages(void)
{
	uint64_t x = below(100);
	if (x < 70) return between(1, 16);
	if (x < 92) return between(17, 64);
	if (x < 98) return between(65, 511);
	return 512;
}

static struct region *pick_region(struct proc *p)
{
	return p->n ? &p->r[below(p->n)] : NULL;
}

/* a page-aligned address near the top of the window, where maps land */
static uint64_t pick_free_spot(uint64_t pages)
{
	uint64_t span = 2048 * PG;
	return WIN_HI - span + below(span / PG - pages) * PG;
}

/*
 * An interesting page-aligned address of p: inside a region, at its edges,
 * next to it, in a hole between regions, in the heap, or anywhere.
 */
static uint64_t pick_addr(struct proc *p)
{
	struct region *r = pick_region(p);
	uint64_t x = below(100);
	if (!r || x >= 92) {
		if (p->has_base && chance(40))
			return pg_down(p->base) + below(8) * PG;  /* the base may be inside a page */
		if (chance(50))
			return pick_free_spot(1);
		return WIN_LO + below((WIN_HI - WIN_LO) / PG) * PG;
	}
	if (x < 35)
		return r->s + below((r->e - r->s) / PG) * PG;
	if (x < 52)
		return r->s;
	if (x < 64)
		return r->e;                    /* just past: a hole or the next region */
	if (x < 74)
		return r->e - PG;
	if (x < 80)
		return r->s >= WIN_LO + PG ? r->s - PG : r->s;
	if (x < 88) {                           /* a hole between regions */
		size_t i = (size_t)(r - p->r);
		if (i + 1 < p->n && p->r[i + 1].s > r->e)
			return r->e + below((p->r[i + 1].s - r->e) / PG) * PG;
		return r->e;
	}
	return r->s + below((r->e - r->s) / PG + 1) * PG;
}

/* A length for a call at addr: to the region's end, across into the next, ... */
static uint64_t pick_len(struct proc *p, uint64_t addr)
{
	struct region *r = region_at(p, addr);
	uint64_t x = below(100);
	uint64_t len;
	if (r && x < 28) {
		len = r->e - addr;
	} else if (r && x < 40) {
		size_t i = (size_t)(r - p->r);
		len = (i + 1 < p->n ? p->r[i + 1].e : r->e) - addr;   /* across a hole or a neighbour */
	} else if (r && x < 55) {
		len = below((r->e - addr) / PG) * PG + PG;
	} else if (x >= 55 && x < 57) {
		len = 0;
	} else {
		len = pick_pages() * PG;
	}
	if (len && chance(6))
		len = len - PG + between(1, PG - 1);    /* unaligned length */
	return len;
}

/*
 * Keep [addr, addr + page-rounded len) inside the window (the Linux tester
 * refuses a range whose page-rounded end passes it, even for a hint).
 */
static uint64_t clamp_len(uint64_t addr, uint64_t len)
{
	if (addr + pg_up(len) > WIN_HI)
		len = pg_down(WIN_HI - addr);
	return len;
}

static uint64_t clamp_addr(uint64_t addr)
{
	if (addr < WIN_LO)
		addr = WIN_LO;
	if (addr >= WIN_HI - PG)
		addr = WIN_HI - 2 * PG;
	return addr;
}

/*
 * A length so large that the call fails before it does anything, for a call
 * at addr (non-zero): addr + len wraps past 2^64, or rounding it up to a page
 * does.  (A huge length that neither wraps nor rounds over would reach past
 * the window: the Linux tester refuses those.)
 */
static uint64_t huge_len(uint64_t addr)
{
	switch (below(4)) {
	case 0: return UINT64_MAX;
	case 1: return UINT64_MAX - below(PG - 1);              /* rounds up to 0 */
	case 2: return (0 - addr) + below(4) * PG;              /* end wraps to 0.. */
	default: return (0 - addr) - between(1, PG - 1);        /* end rounds up past 2^64 */
	}
}

/* [addr, addr + len) rounded out to pages: false if that wraps or len is 0 */
static bool page_range(uint64_t addr, uint64_t len, uint64_t *s, uint64_t *e)
{
	uint64_t a = pg_down(addr), end = addr + len;
	if (len == 0 || end < addr || end > UINT64_MAX - PG + 1)
		return false;
	*s = a;
	*e = pg_up(end);
	return true;
}

/*
 * The unusual lengths every range call (munmap, mprotect, madvise, mlock,
 * munlock) also gets, after clamping: now and then a huge one that fails,
 * or one that runs to the top of the window (across everything above addr).
 */
static uint64_t odd_range_len(uint64_t addr, uint64_t len)
{
	uint64_t x = below(100);
	if (x < 2 && addr)
		return huge_len(addr);
	if (x < 3 && addr < WIN_HI)
		return WIN_HI - addr - (chance(50) ? 0 : between(1, PG - 1));
	return len;
}

/* ---- events ---- */

static void ev_spawn(void)
{
	struct proc *p = proc_new(new_pid());
	out("%d spawn", p->pid);
}

static void ev_fork(struct proc *p)
{
	int child = new_pid();
	struct proc *c = proc_new(child);     /* procs[] is fixed: p stays valid */
	c->ppid = p->pid;
	c->has_base = p->has_base;
	c->base = p->base;
	c->brk = p->brk;
	for (size_t i = 0; i < p->n; i++) {
		struct region x = p->r[i];
		if (x.fl & RF_DONTFORK)
			continue;
		x.fl &= ~RF_LOCKED;             /* VM_LOCKED is not inherited */
		reg_insert_at(c, c->n, x);
	}
	out("%d fork %d", p->pid, child);
}

static void ev_exit(struct proc *p)
{
	out("%d exit", p->pid);
	if (ndead < MAX_PROCS_LIMIT)
		dead_pids[ndead++] = p->pid;
	proc_del(p);
}

static void ev_exec(struct proc *p)
{
	out("%d exec", p->pid);
	p->n = 0;
	p->has_base = false;
	p->base = p->brk = 0;
}

/*
 * Where an mmap of pages (len bytes) aims: 0 (the system chooses), a hint, or
 * a fixed/noreplace address near or over what p has.
 */
static uint64_t mmap_where(struct proc *p, uint64_t pages, uint64_t len, bool *fixed,
			   bool *noreplace)
{
	uint64_t addr = 0;
	uint64_t x = below(100);

	*fixed = *noreplace = false;
	if (x < 45) {
		addr = 0;
	} else if (x < 60) {
		/* a hint: free or not, sometimes unaligned */
		addr = chance(50) ? pick_free_spot(pages) : pick_addr(p);
		if (chance(15))
			addr += between(1, PG - 1);
	} else {
		if (chance(25))
			*noreplace = true;      /* and now and then fixed too: still noreplace */
		else
			*fixed = true;
		if (*noreplace && chance(15))
			*fixed = true;
		struct region *r = pick_region(p);
		uint64_t y = below(100);
		if (!r || y < 20)
			addr = pick_free_spot(pages);
		else if (y < 40)
			addr = r->e;                            /* right after: merge? */
		else if (y < 55)
			addr = r->s >= WIN_LO + len ? r->s - len : r->s;  /* right before */
		else if (y < 80)
			addr = r->s + below((r->e - r->s) / PG) * PG;   /* overlapping */
		else
			addr = pick_addr(p);
	}
	return addr;
}

/*
 * The model's guess of where an mmap(addr, len) that succeeds lands, and the
 * region it adds (tpl with its s and e set).  thp: the placement of a
 * hint-less private anonymous map, PMD aligned for multiples of 2 MiB;
 * files and shared anonymous memory are placed plainly (tmpfs with huge=never).
 */
static void mmap_predict(struct proc *p, uint64_t addr, uint64_t len, bool fixed,
			 bool noreplace, bool thp, struct region tpl)
{
	if (len == 0 || len > WIN_HI - WIN_LO)
		return;
	len = pg_up(len);
	uint64_t at;
	if (fixed || noreplace) {
		if (addr % PG)
			return;
		if (noreplace && !range_free(p, addr, addr + len))
			return;
		at = addr;
	} else {
		at = 0;
		if (addr) {
			uint64_t h = pg_up(addr);      /* a hint is rounded up */
			if (range_free(p, h, h + len))
				at = h;
		}
		if (!at)
			at = addr || !thp ? topdown_plain(p, len) : topdown(p, len);
		if (!at)
			return;
	}
	tpl.s = at;
	tpl.e = at + len;
	add_region_r(p, tpl);
}

/*
 * The length of an mmap at addr (0: the system chooses): as drawn, or now
 * and then 0, not a page multiple, or so large that mmap fails at once
 * (more than the address space, or wrapping when rounded to pages; one that
 * merely passes the window would let Linux place it below the window).
 */
static uint64_t mmap_odd_len(uint64_t addr, uint64_t len, unsigned zero_pct)
{
	uint64_t x = below(100);
	if (x < zero_pct)
		return 0;
	if (x < zero_pct + 5)
		return len >= PG ? len - PG + between(1, PG - 1) : len;
	if (x < zero_pct + 7) {
		if (addr)
			return huge_len(addr);
		/* past the user address space: (only) that fails in revmap too,
		   which has nothing above the window to stop a bottom-up search */
		return chance(50) ? UINT64_MAX - below(PG) : (1ull << between(47, 63)) + below(PG);
	}
	return len;
}

/* the spelling of mmap flags */
static const char *mmap_flag_str(char *buf, size_t len, bool shared, bool anon, bool fixed,
				 bool noreplace, bool populate, bool locked, bool noreserve)
{
	snprintf(buf, len, "%s%s%s%s%s%s%s", shared ? "shared" : "private", anon ? ",anon" : "",
		 fixed ? ",fixed" : "", noreplace ? ",noreplace" : "",
		 populate ? ",populate" : "", locked ? ",locked" : "",
		 noreserve ? ",noreserve" : "");
	return buf;
}

/*
 * The flags besides private/shared, anon, fixed and noreplace: each on its
 * own now and then, and now and then all of them at once.
 */
static void mmap_more_flags(bool *populate, bool *locked, bool *noreserve)
{
	if (chance(3)) {
		*populate = *locked = *noreserve = true;
		return;
	}
	*populate = chance(10);
	*locked = chance(5);
	*noreserve = chance(8);
}

static void ev_mmap(struct proc *p)
{
	uint64_t pages = pick_pages();
	uint64_t len = pages * PG;
	unsigned prot = pick_prot();
	bool fixed, noreplace;
	uint64_t addr = mmap_where(p, pages, len, &fixed, &noreplace);

	if ((fixed || noreplace) && chance(5))
		addr += between(1, PG - 1);             /* unaligned fixed: -EINVAL */
	if (addr) {
		addr = clamp_addr(addr);
		len = clamp_len(addr, len);
	}
	len = mmap_odd_len(addr, len, 3);
	bool populate, locked, noreserve;
	mmap_more_flags(&populate, &locked, &noreserve);

	char flags[96];
	out("%d mmap 0x%" PRIx64 " %" PRIu64 " %s %s", p->pid, addr, len, prot_str(prot),
	    mmap_flag_str(flags, sizeof(flags), false, true, fixed, noreplace, populate, locked,
			  noreserve));

	mmap_predict(p, addr, len, fixed, noreplace, true,
		     (struct region){ .prot = prot, .fl = locked ? RF_LOCKED : 0 });
}

static void ev_munmap(struct proc *p)
{
	uint64_t addr = pick_addr(p);
	uint64_t len = pick_len(p, addr);
	if (chance(4))
		addr += between(1, PG - 1);
	addr = clamp_addr(addr);
	len = odd_range_len(addr, clamp_len(addr, len));
	out("%d munmap 0x%" PRIx64 " %" PRIu64, p->pid, addr, len);
	uint64_t s, e;
	if (addr % PG || !page_range(addr, len, &s, &e))
		return;
	carve(p, s, e);
}

/* Apply fn to the mapped parts of [s, e) up to the first hole (mprotect, mlock). */
static bool apply_until_hole(struct proc *p, uint64_t s, uint64_t e, unsigned setprot,
			     unsigned fl_set, unsigned fl_clear, bool do_prot)
{
	if (!region_at(p, s))
		return false;
	split_at(p, s);
	split_at(p, e);
	uint64_t at = s;
	for (size_t i = 0; i < p->n && at < e; i++) {
		struct region *r = &p->r[i];
		if (r->e <= s)
			continue;
		if (r->s != at)
			return false;
		if (do_prot)
			r->prot = setprot;
		r->fl = (r->fl & ~fl_clear) | fl_set;
		at = r->e;
	}
	return at >= e;
}

/* Apply to every mapped part of [s, e) (madvise). */
static void apply_all(struct proc *p, uint64_t s, uint64_t e, unsigned fl_set, unsigned fl_clear)
{
	split_at(p, s);
	split_at(p, e);
	for (size_t i = 0; i < p->n; i++) {
		struct region *r = &p->r[i];
		if (r->s >= s && r->e <= e)
			r->fl = (r->fl & ~fl_clear) | fl_set;
	}
}

static void ev_mprotect(struct proc *p)
{
	uint64_t addr = pick_addr(p);
	uint64_t len = pick_len(p, addr);
	unsigned prot = pick_prot();
	if (chance(4))
		addr += between(1, PG - 1);
	addr = clamp_addr(addr);
	len = odd_range_len(addr, clamp_len(addr, len));
	out("%d mprotect 0x%" PRIx64 " %" PRIu64 " %s", p->pid, addr, len, prot_str(prot));
	uint64_t s, e;
	if (addr % PG || !page_range(addr, len, &s, &e))
		return;
	apply_until_hole(p, s, e, prot, 0, 0, true);
}

static const char *const advice_names[] = {
	"normal", "random", "sequential", "willneed", "dontneed", "free", "remove",
	"dontfork", "dofork", "wipeonfork", "keeponfork", "cold", "pageout",
	"populate_read", "populate_write",
};

static void ev_madvise(struct proc *p)
{
	uint64_t addr = pick_addr(p);
	uint64_t len = pick_len(p, addr);
	size_t a;
	uint64_t x = below(100);
	/* weight the advice that changes what is mapped or what fork does */
	if (x < 4) a = 6;               /* remove: -EINVAL on private memory */
	else if (x < 18) a = 4;         /* dontneed */
	else if (x < 26) a = 5;         /* free */
	else if (x < 34) a = 7;         /* dontfork */
	else if (x < 40) a = 8;         /* dofork */
	else if (x < 48) a = 9;         /* wipeonfork */
	else if (x < 53) a = 10;        /* keeponfork */
	else if (x < 61) a = 13;        /* populate_read */
	else if (x < 69) a = 14;        /* populate_write */
	else if (x < 75) a = 12;        /* pageout */
	else a = below(sizeof(advice_names) / sizeof(advice_names[0]));
	if (chance(4))
		addr += between(1, PG - 1);
	addr = clamp_addr(addr);
	len = odd_range_len(addr, clamp_len(addr, len));
	out("%d madvise 0x%" PRIx64 " %" PRIu64 " %s", p->pid, addr, len, advice_names[a]);
	uint64_t s, e;
	if (addr % PG || !page_range(addr, len, &s, &e))
		return;
	switch (a) {
	case 0: apply_all(p, addr, e, 0, RF_RAND | RF_SEQ); break;
	case 1: apply_all(p, addr, e, RF_RAND, RF_SEQ); break;
	case 2: apply_all(p, addr, e, RF_SEQ, RF_RAND); break;
	case 7: apply_all(p, addr, e, RF_DONTFORK, 0); break;
	case 8: apply_all(p, addr, e, 0, RF_DONTFORK); break;
	case 9: apply_all(p, addr, e, RF_WIPE, 0); break;
	case 10: apply_all(p, addr, e, 0, RF_WIPE); break;
	default: break;
	}
}

static void ev_mlock(struct proc *p, bool lock)
{
	uint64_t addr = pick_addr(p);
	uint64_t len = pick_len(p, addr);
	if (chance(8))
		addr += between(1, PG - 1);     /* mlock rounds the start down */
	addr = clamp_addr(addr);
	len = odd_range_len(addr, clamp_len(addr, len));
	out("%d %s 0x%" PRIx64 " %" PRIu64, p->pid, lock ? "mlock" : "munlock", addr, len);
	uint64_t s, e;
	if (!page_range(addr, len, &s, &e))
		return;
	apply_until_hole(p, s, e, 0, lock ? RF_LOCKED : 0, lock ? 0 : RF_LOCKED, false);
}

static void ev_brkbase(struct proc *p)
{
	/* low in the window, far below where top-down placement lands */
	uint64_t base = WIN_LO + between(1, 64) * 0x1000000ull + below(256) * PG;
	if (chance(10))
		base += between(1, PG - 1);     /* a heap that starts inside a page */
	out("%d brkbase 0x%" PRIx64, p->pid, base);
	p->has_base = true;
	p->base = p->brk = base;
}

static void ev_brk(struct proc *p)
{
	uint64_t x = below(100), nb;
	if (x < 55)
		nb = p->brk + between(1, 32) * PG;              /* grow */
	else if (x < 65)
		nb = p->brk + between(1, PG * 8);               /* grow, unaligned */
	else if (x < 82)
		nb = p->brk - (p->brk - p->base ? below(p->brk - p->base) + 1 : 0);  /* shrink */
	else if (x < 88)
		nb = p->base;                                   /* back to empty */
	else if (x < 92)
		nb = p->base - between(1, 16) * PG;             /* below base */
	else if (x < 94)
		nb = p->base - between(1, PG - 1);              /* just below base */
	else if (x < 96)
		nb = pg_up(p->brk) + (chance(50) ? 0 : PG);     /* to a page boundary */
	else if (x < 97)
		nb = chance(50) ? UINT64_MAX - below(PG) : 1ull << between(47, 63);  /* huge */
	else
		nb = 0;
	if (nb && nb > WIN_HI - 64 * PG && nb < 0x800000000000ull)
		nb = p->brk;
	out("%d brk 0x%" PRIx64, p->pid, nb);

	/* predict (mm/mmap.c brk) */
	if (nb < p->base)
		return;
	uint64_t newp = pg_up(nb), oldp = pg_up(p->brk);
	if (newp == oldp) {
		p->brk = nb;
	} else if (nb <= p->brk) {
		/* Linux shrinks only if some VMA meets [newp, oldp) */
		bool any = false;
		for (size_t i = 0; i < p->n; i++)
			if (p->r[i].s < oldp && newp < p->r[i].e)
				any = true;
		if (any) {
			carve(p, newp, oldp);
			p->brk = nb;
		}
	} else if (range_free(p, oldp, newp + PG)) {
		add_region(p, oldp, newp, 3, 0);
		p->brk = nb;
	}
}

/*
 * mremap's move of [addr, addr+len) to to: each mapped piece keeps its
 * offset, prot and flags; the destination is replaced only where a piece
 * lands (Linux 6.17+ moves VMA by VMA).  dontunmap leaves the source VMAs in place,
 * emptied and unlocked (the new VMAs keep VM_LOCKED).
 */
static void move_pieces(struct proc *p, uint64_t addr, uint64_t len, uint64_t to,
			bool dontunmap)
{
	struct region tmp[64];
	size_t nt = 0;
	for (size_t i = 0; i < p->n && nt < 64; i++)
		if (p->r[i].e > addr && p->r[i].s < addr + len) {
			tmp[nt] = p->r[i];
			if (tmp[nt].s < addr) {
				tmp[nt].pgoff += (addr - tmp[nt].s) / PG;
				tmp[nt].s = addr;
			}
			if (tmp[nt].e > addr + len)
				tmp[nt].e = addr + len;
			nt++;
		}
	if (dontunmap)
		apply_all(p, addr, addr + len, 0, RF_LOCKED);
	else
		carve(p, addr, addr + len);
	/* each VMA is moved on its own: what the destination has where the
	   source has holes stays mapped */
	for (size_t i = 0; i < nt; i++) {
		struct region x = tmp[i];
		x.s = tmp[i].s - addr + to;
		x.e = tmp[i].e - addr + to;
		add_region_r(p, x);
	}
}

/* mremap, with the model's guess of what Linux does */
/* The model's guess of what a mremap call does (printed already). */
static void mremap_predict(struct proc *p, uint64_t addr, uint64_t old_len, uint64_t new_len,
			   uint64_t new_addr, bool maymove, bool fixed, bool dontunmap,
			   bool has_new)
{
	if ((fixed || dontunmap) && !maymove)
		return;
	if (dontunmap && old_len != new_len)
		return;
	if (addr % PG || new_len == 0)
		return;
	if (old_len == 0) {
		/* a second mapping of the same shared memory (Linux refuses it
		   for private mappings) */
		struct region *sr = region_at(p, addr);
		if (!sr || !sr->shared || !maymove || dontunmap || (fixed && new_addr % PG))
			return;
		struct region tpl0 = *sr;
		uint64_t at = fixed ? new_addr : topdown_plain(p, pg_up(new_len));
		if (at)
			add_region_r(p, region_like(&tpl0, tpl0.s, addr, at, at + pg_up(new_len),
						    tpl0.prot, tpl0.fl & ~RF_LOCKED));
		return;
	}
	old_len = pg_up(old_len);
	new_len = pg_up(new_len);
	/* with fixed or dontunmap, even a mere hint must be aligned and clear
	   of the source */
	if ((fixed || (dontunmap && has_new)) &&
	    (new_addr % PG || (new_addr < addr + old_len && addr < new_addr + new_len)))
		return;
	struct region *src = region_at(p, addr);
	if (!src)
		return;                                 /* -EFAULT, even to shrink */
	unsigned prot = src->prot, fl = src->fl;
	struct region tpl = *src;               /* src moves when the model changes */
	bool thp = tpl.kind == RK_ANON;         /* files and shmem: placed plainly */
	uint64_t vend = vma_end_guess(p, addr);

	if (!fixed && !dontunmap && new_len <= old_len) {
		/* Linux checks only that addr is mapped: the tail is unmapped
		   across VMAs and holes alike; the same length is a no-op */
		carve(p, addr + new_len, addr + old_len);
		return;
	}
	if (fixed && !dontunmap && new_len < old_len) {
		if (addr + new_len > vend)
			return;                         /* -EFAULT, nothing unmapped */
		carve(p, addr + new_len, addr + old_len);       /* shrink, then move */
		old_len = new_len;
	}
	if (fixed && old_len == new_len) {
		/* a move of one or several VMAs, the holes between them kept */
		move_pieces(p, addr, old_len, new_addr, dontunmap);
		return;
	}
	if (addr + old_len > vend)
		return;                                 /* -EFAULT */
	if (dontunmap) {
		uint64_t at = 0;
		if (has_new && range_free(p, new_addr, new_addr + new_len))
			at = new_addr;
		if (!at)
			at = thp ? topdown(p, new_len) : topdown_plain(p, new_len);
		if (!at)
			return;
		move_pieces(p, addr, old_len, at, true);
		return;
	}
	if (fixed) {
		carve(p, addr, addr + old_len);
		carve(p, new_addr, new_addr + new_len);
		add_region_r(p, region_like(&tpl, tpl.s, addr, new_addr, new_addr + new_len, prot, fl));
		return;
	}
	if (addr + old_len == vend && range_free(p, vend, addr + new_len)) {
		add_region_r(p, region_like(&tpl, tpl.s, vend, vend, addr + new_len, prot, fl));
		return;
	}
	if (!maymove)
		return;
	uint64_t at = thp ? topdown(p, new_len) : topdown_plain(p, new_len);
	if (!at)
		return;
	carve(p, addr, addr + old_len);
	add_region_r(p, region_like(&tpl, tpl.s, addr, at, at + new_len, prot, fl));
}

static void ev_mremap(struct proc *p)
{
	struct region *r = pick_region(p);
	uint64_t addr, old_len, new_len, new_addr = 0;
	bool maymove = false, fixed = false, dontunmap = false, has_new = false;
	bool may_grow = true, huge_old = false, huge_new = false;
	uint64_t x = below(100);

	if (!r || x >= 94) {
		/* an unmapped or arbitrary address: never let it grow */
		addr = r && chance(50) ? r->e : pick_addr(p);
		old_len = pick_pages() * PG;
		new_len = between(1, old_len / PG) * PG;
		maymove = chance(50);
		may_grow = false;
	} else {
		/* start at the region's start or inside it */
		addr = chance(60) ? r->s : r->s + below((r->e - r->s) / PG) * PG;
		uint64_t vend = vma_end_guess(p, addr);
		uint64_t w = below(100);
		if (w < 45)
			old_len = r->e - addr;          /* surely within one VMA */
		else if (w < 65)
			old_len = vend - addr;          /* maybe across VMAs */
		else
			old_len = between(1, (r->e - addr) / PG) * PG;
		uint64_t y = below(100);
		if (y < 20) {                           /* shrink */
			new_len = old_len > PG ? between(1, old_len / PG - 1) * PG : PG;
			maymove = chance(40);
		} else if (y < 45) {                    /* grow */
			new_len = old_len + pick_pages() * PG;
			maymove = chance(70);
		} else if (y < 65) {                    /* move to a fixed place */
			maymove = fixed = true;
			new_len = chance(60) ? old_len : pick_pages() * PG;
			has_new = true;
			struct region *t = pick_region(p);
			uint64_t z = below(100);
			if (z < 45)
				new_addr = pick_free_spot(new_len / PG);
			else if (z < 80)
				new_addr = t->s + below((t->e - t->s) / PG) * PG;  /* clobber */
			else if (z < 90)
				new_addr = addr + PG;           /* overlaps itself: -EINVAL */
			else
				new_addr = t->e;
			if (chance(30) && new_len == old_len) {
				/* move several VMAs (and the holes between) at once */
				size_t i = (size_t)(region_at(p, addr) - p->r);
				if (i + 1 < p->n) {
					old_len = p->r[i + 1 + below(p->n - i - 1 < 3 ? p->n - i - 1 : 3)].e - addr;
					new_len = old_len;
					new_addr = pick_free_spot(1) - old_len;
					if (new_addr < WIN_LO)
						new_addr = WIN_LO + 0x10000000ull;
					new_addr = pg_down(new_addr);
				}
			}
		} else if (y < 82) {                    /* dontunmap */
			maymove = dontunmap = true;
			new_len = old_len;
			if (chance(40)) {
				fixed = chance(50);
				has_new = true;
				new_addr = pick_free_spot(new_len / PG);
			}
		} else if (y < 90) {                    /* same size, move */
			new_len = old_len;
			maymove = true;
		} else {                                /* odd flags, lengths, addresses */
			uint64_t z = below(11);
			new_len = old_len;
			if (z == 0) {
				fixed = true;           /* fixed without maymove */
				has_new = true;
				new_addr = pick_free_spot(1);
			} else if (z == 1) {
				dontunmap = true;       /* dontunmap without maymove */
			} else if (z == 2) {
				maymove = dontunmap = true;     /* dontunmap resize */
				new_len = old_len + PG;
			} else if (z == 3) {
				new_len = 0;
				maymove = chance(70);
			} else if (z == 4) {
				addr += between(1, PG - 1);     /* unaligned */
				maymove = true;
			} else if (z == 5) {
				old_len = 0;            /* duplicates shared memory, else -EINVAL */
				new_len = between(1, 8) * PG;
				maymove = chance(80);
			} else if (z == 6) {
				fixed = dontunmap = true;       /* without maymove */
				has_new = true;
				new_addr = pick_free_spot(new_len / PG);
			} else if (z == 7) {
				huge_new = true;                /* fails at once */
				maymove = chance(70);
			} else if (z == 8) {
				huge_old = true;
				maymove = chance(50);
			} else if (z == 9) {
				maymove = fixed = has_new = true;       /* unaligned new address */
				new_addr = pick_free_spot(new_len / PG) + between(1, PG - 1);
				dontunmap = chance(30);
			} else {
				/* any combination of the flags, with or without a new
				   address where the format allows one */
				unsigned f = (unsigned)below(8);
				maymove = f & 1;
				fixed = f & 2;
				dontunmap = f & 4;
				has_new = fixed || (dontunmap && chance(50));
				new_addr = pick_free_spot(new_len / PG);
				if (has_new && chance(20))
					new_addr += between(1, PG - 1);
			}
			may_grow = false;
		}
	}
	bool huge = huge_old || huge_new;
	addr = clamp_addr(addr);
	if (huge_old)
		old_len = huge_len(addr);       /* wraps from the address as written */
	else
		old_len = clamp_len(addr, old_len);
	if (huge_new)
		new_len = huge_len(addr);
	if (has_new && !huge) {
		uint64_t off = new_addr % PG;
		new_addr = clamp_addr(new_addr);
		if (new_addr + new_len > WIN_HI)
			new_addr = pg_down(WIN_HI - new_len - PG) + off;
		if (new_addr < WIN_LO)
			new_addr = WIN_LO;
	}
	/* never grow in place past the window: Linux's tester has a reservation there */
	if (!huge && new_len > old_len && (!may_grow || addr + new_len > WIN_HI - PG))
		new_len = old_len;
	/* lengths that are not page multiples: Linux rounds them up */
	if (!huge && old_len > PG && chance(7))
		old_len -= between(1, PG - 1);
	if (!huge && new_len > PG && chance(7))
		new_len -= between(1, PG - 1);

	char flags[64] = "";
	if (maymove) strcat(flags, ",maymove");
	if (fixed) strcat(flags, ",fixed");
	if (dontunmap) strcat(flags, ",dontunmap");
	const char *fs = flags[0] ? flags + 1 : "-";
	if (has_new && (fixed || dontunmap))
		out("%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " %s 0x%" PRIx64, p->pid, addr,
		    old_len, new_len, fs, new_addr);
	else
		out("%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " %s", p->pid, addr, old_len,
		    new_len, fs);

	if (!huge)
		mremap_predict(p, addr, old_len, new_len, new_addr, maymove, fixed, dontunmap,
			       has_new);
}

/* an address to access: mostly inside a mapped page */
static uint64_t pick_access(struct proc *p)
{
	struct region *r = pick_region(p);
	if (r && chance(55))
		return r->s + below((r->e - r->s) / PG) * PG;
	return pick_addr(p);
}

/*
 * Where in its page an 8-byte access starts: anywhere its 8 bytes stay in
 * the page (the format's rule), 8-byte aligned or not, and now and then at
 * the very start or in the last 8 bytes.
 */
static uint64_t in_page_off(void)
{
	uint64_t x = below(100);
	if (x < 55)
		return below(PG / 8) * 8;
	if (x < 75)
		return below(PG - 7);
	if (x < 85)
		return PG - 8;                          /* the last 8 bytes */
	if (x < 92)
		return between(PG - 15, PG - 9);        /* unaligned, near the end */
	return chance(50) ? 0 : between(1, 7);
}

static void ev_read(struct proc *p)
{
	uint64_t a = pick_access(p) + in_page_off();
	out("%d r 0x%" PRIx64, p->pid, clamp_addr(a));
}

/* a w line at a: without a value (the line number), with 0 or with any */
static void write_at(struct proc *p, uint64_t a)
{
	uint64_t x = below(100);
	if (x < 55)
		out("%d w 0x%" PRIx64, p->pid, a);
	else if (x < 70)
		out("%d w 0x%" PRIx64 " 0", p->pid, a);        /* a page of zeroes, but anon */
	else
		out("%d w 0x%" PRIx64 " 0x%" PRIx64, p->pid, a, rnd());
}

static void ev_write(struct proc *p)
{
	write_at(p, clamp_addr(pick_access(p) + in_page_off()));
}

/*
 * A touch line: from a (any address: a touch reads or writes the start of
 * each page its range covers), len bytes; r, w, or w with a value.
 */
static void touch_out(struct proc *p, uint64_t a, uint64_t len)
{
	bool w = chance(55);
	if (w && chance(25))
		out("%d touch 0x%" PRIx64 " %" PRIu64 " w 0x%" PRIx64, p->pid, a, len,
		    chance(20) ? 0 : rnd());
	else
		out("%d touch 0x%" PRIx64 " %" PRIu64 " %s", p->pid, a, len, w ? "w" : "r");
}

/* touch's unusual starts and lengths: inside a page, zero, not page multiples */
static void touch_odd(uint64_t *a, uint64_t *len)
{
	if (chance(20))
		*a += between(1, PG - 1);
	uint64_t x = below(100);
	if (x < 4)
		*len = 0;
	else if (x < 8)
		*len = between(1, PG);                  /* within a page, or just past */
	else if (x < 18 && *len > PG)
		*len -= between(1, PG - 1);
}

static void ev_touch(struct proc *p)
{
	uint64_t a = pick_access(p);
	struct region *r = region_at(p, a);
	uint64_t len;
	if (r && chance(60))
		len = r->e - a;
	else if (r && chance(50))
		len = (r->e - a) + between(1, 8) * PG;          /* runs off the end */
	else
		len = between(1, 32) * PG;
	if (len > 512 * PG)
		len = 512 * PG;
	touch_odd(&a, &len);
	a = clamp_addr(a);
	len = clamp_len(a, len);
	touch_out(p, a, len);
}

/* ---- files and shared anonymous memory (--files) ---- */

#define MAX_FILES 16
#define MAX_SHMS  256

static bool files_mode;                 /* --files */

#define MAX_HOLES 4

struct gfile {
	char name[16];          /* "f0", "F1.dat", "f_2", "file-3", ... (never a number) */
	uint64_t size;          /* current size in bytes, as the parser tracks it */
	uint64_t hole_lo[MAX_HOLES], hole_hi[MAX_HOLES]; /* recent holes, bytes [lo, hi) */
	unsigned nholes;        /* holes recorded (the last MAX_HOLES kept) */
};

static struct gfile files[MAX_FILES];
static int nfiles;
static uint64_t shm_pages[MAX_SHMS];    /* size of each shared anonymous object */
static int nshms;

/* pages a file of size bytes has in its page cache range (the last partial) */
static uint64_t size_pages(uint64_t size)
{
	return pg_up(size) / PG;
}

/* pages of r's object (file or shared anonymous memory) */
static uint64_t obj_pages(const struct region *r)
{
	if (r->kind == RK_FILE)
		return size_pages(files[r->obj].size);
	if (r->kind == RK_SHM)
		return shm_pages[r->obj];
	return 0;
}

/* remember that [lo, hi) of f has no page-cache pages now (for fwrite) */
static void file_hole(struct gfile *f, uint64_t lo, uint64_t hi)
{
	if (lo >= hi)
		return;
	f->hole_lo[f->nholes % MAX_HOLES] = lo;
	f->hole_hi[f->nholes % MAX_HOLES] = hi;
	f->nholes++;
}

/* a file size: 0 to 64 pages (a few up to 256), often not a page multiple */
static uint64_t pick_file_size(void)
{
	uint64_t x = below(100);
	if (x < 33)
		return between(1, 16) * PG;
	if (x < 52)
		return between(17, 64) * PG;
	if (x < 85)
		return between(1, 64) * PG - between(1, PG - 1);
	if (x < 89)
		return between(65, 256) * PG - below(PG);
	if (x < 94)
		return between(8, PG - 1);
	if (x < 97)
		return between(1, 7);           /* too small for any fwrite */
	return 0;
}

static void ev_file_new(void)
{
	if (nfiles == MAX_FILES)
		return;
	struct gfile *f = &files[nfiles];
	static const char *const spell[] = { "f%d", "f%d", "f%d", "F%d.dat", "f_%d", "file-%d" };
	snprintf(f->name, sizeof(f->name), spell[below(6)], nfiles);
	f->size = pick_file_size();
	f->nholes = 0;
	nfiles++;
	uint64_t x = below(100);
	if (x < 15)                     /* the seed defaults to 0 */
		out("file %s 0x%" PRIx64, f->name, f->size);
	else if (x < 40)
		out("file %s 0x%" PRIx64 " %" PRIu64, f->name, f->size, rnd());
	else
		out("file %s 0x%" PRIx64 " %" PRIu64, f->name, f->size, below(1000));
}

/* the file index of a random file; makes one when there is none */
static int pick_file(void)
{
	if (nfiles == 0)
		ev_file_new();
	return (int)below((uint64_t)nfiles);
}

#define MAX_LFS 0x7fffffffffffffffull   /* tmpfs's largest file (loff_t) */

static void ev_truncate(void)
{
	struct gfile *f = &files[pick_file()];
	uint64_t x = below(100), ns;
	if (x < 26)
		ns = below(size_pages(f->size) + 1) * PG;       /* shrink to a page */
	else if (x < 44)
		ns = below(f->size + 1);                        /* shrink, mostly mid-page */
	else if (x < 54)
		ns = f->size + between(1, PG - 1);              /* grow by less than a page */
	else if (x < 66)
		ns = f->size + between(1, 16 * PG);             /* grow, anywhere */
	else if (x < 74)
		ns = pg_up(f->size) + below(17) * PG;           /* grow to a page */
	else if (x < 80)
		ns = f->size + between(17, 1024) * PG - below(PG);     /* by many pages */
	else if (x < 82)
		ns = f->size + (1ull << between(30, 46)) + below(PG);  /* sparse, huge */
	else if (x < 83)
		ns = MAX_LFS - below(2) * between(1, 64 * PG);  /* the largest there is */
	else if (x < 89)
		ns = f->size;                                   /* same size */
	else if (x < 97)
		ns = 0;
	else
		ns = MAX_LFS + 1 + (chance(50) ? 0 : rnd() >> 1);       /* too large: -EINVAL */
	out("truncate %s 0x%" PRIx64, f->name, ns);
	if (ns > MAX_LFS)
		return;                 /* ftruncate fails; the size stays */
	if (ns > f->size)
		file_hole(f, f->size, ns);
	f->size = ns;
}

/* an fwrite line of f at off: with the default value, 0, or any */
static void fwrite_out(struct gfile *f, uint64_t off)
{
	uint64_t y = below(100);
	if (y < 45)
		out("fwrite %s 0x%" PRIx64, f->name, off);
	else if (y < 55)
		out("fwrite %s 0x%" PRIx64 " 0", f->name, off);
	else
		out("fwrite %s 0x%" PRIx64 " 0x%" PRIx64, f->name, off, rnd());
}

/* an offset in [lo, hi) of f where 8 bytes fit, any byte or aligned; or
   anywhere in f if they do not fit there */
static uint64_t fwrite_off_in(const struct gfile *f, uint64_t lo, uint64_t hi)
{
	if (hi > f->size)
		hi = f->size;
	if (hi >= lo + 8)
		return chance(70) ? lo + below(hi - lo - 7) : lo + 8 * below((hi - lo) / 8);
	return below(f->size - 7);
}

/*
 * pwrite of 8 bytes anywhere they fit in the file: straddling two pages,
 * ending exactly at its end, into a hole (after truncate grew the file or
 * madvise remove punched it), in the last page, at any byte or 8-byte
 * aligned; with the default value (the line number), 0, or any value.
 */
static void ev_fwrite(void)
{
	struct gfile *f = &files[pick_file()];
	if (f->size < 8) {
		ev_truncate();
		return;
	}
	uint64_t size = f->size, off, x = below(100);
	if (x < 20 && size > PG) {                      /* straddling two pages */
		uint64_t b = between(1, (size - 1) / PG) * PG;
		uint64_t lo = b + 8 > size + 1 ? b + 8 - size : 1;
		off = b - between(lo, 7);
	} else if (x < 32) {
		off = size - 8;                         /* ending exactly at EOF */
	} else if (x < 50 && f->nholes) {               /* into a hole */
		unsigned h = (unsigned)below(f->nholes < MAX_HOLES ? f->nholes : MAX_HOLES);
		off = fwrite_off_in(f, f->hole_lo[h], f->hole_hi[h]);
	} else if (x < 60 && size > PG) {
		off = between(pg_down(size - 8), size - 8);     /* the last page */
	} else if (x < 80) {
		off = below(size - 7);                  /* any byte */
	} else {
		off = 8 * below(size / 8);
	}
	fwrite_out(f, off);
}

/*
 * mmap of a file, private or shared: mostly pages inside the file, some
 * partly past its end, some wholly past it (SIGBUS on access).
 */
static void ev_mmap_file(struct proc *p)
{
	int fi = pick_file();
	uint64_t npg = size_pages(files[fi].size), off, pages;
	uint64_t x = below(100);
	if (x < 60) {                                   /* inside the file */
		off = below(npg ? npg : 1);
		pages = between(1, npg > off ? npg - off : 1);
	} else if (x < 78) {                            /* partly past the end */
		off = below(npg + 1);
		pages = (npg > off ? npg - off : 0) + between(1, 8);
	} else if (x < 86) {                            /* wholly past the end */
		off = npg + below(8);
		pages = between(1, 8);
	} else if (x < 88) {                            /* far past the end, or at offsets
							   near or past the largest file */
		uint64_t y = below(100);
		if (y < 50)
			off = npg + (1ull << between(4, 30));
		else if (y < 80)
			off = (MAX_LFS >> 12) - below(16);
		else
			off = (1ull << 51) + below(1ull << 51);        /* offset >= 2^63 */
		pages = between(1, 16);
	} else {
		off = below(npg + 1);
		pages = between(1, 64);
	}
	if (pages > 72)
		pages = 72;
	unsigned prot = pick_prot();
	bool shared = chance(45);
	uint64_t len = pages * PG;
	bool fixed, noreplace;
	uint64_t addr = mmap_where(p, pages, len, &fixed, &noreplace);
	uint64_t offb = off * PG;

	if (chance(3))
		offb += between(1, PG - 1);             /* unaligned offset: -EINVAL */
	if ((fixed || noreplace) && chance(4))
		addr += between(1, PG - 1);
	if (addr) {
		addr = clamp_addr(addr);
		len = clamp_len(addr, len);
	}
	len = mmap_odd_len(addr, len, 2);
	bool populate, locked, noreserve;
	mmap_more_flags(&populate, &locked, &noreserve);
	char flags[96];
	out("%d mmap 0x%" PRIx64 " %" PRIu64 " %s %s %s 0x%" PRIx64, p->pid, addr, len,
	    prot_str(prot), mmap_flag_str(flags, sizeof(flags), shared, false, fixed, noreplace,
					  populate, locked, noreserve),
	    files[fi].name, offb);
	if (offb % PG || offb > MAX_LFS - pg_up(len))
		return;
	mmap_predict(p, addr, len, fixed, noreplace, false,
		     (struct region){ .prot = prot, .fl = locked ? RF_LOCKED : 0,
				      .kind = RK_FILE, .shared = shared, .obj = fi,
				      .pgoff = off });
}

/* mmap of shared anonymous memory: a new object of the mapping's size */
static void ev_mmap_shm(struct proc *p)
{
	uint64_t pages = chance(80) ? between(1, 16) : between(17, 64);
	uint64_t len = pages * PG;
	unsigned prot = pick_prot();
	bool fixed, noreplace;
	uint64_t addr = mmap_where(p, pages, len, &fixed, &noreplace);

	if ((fixed || noreplace) && chance(4))
		addr += between(1, PG - 1);
	if (addr) {
		addr = clamp_addr(addr);
		len = clamp_len(addr, len);
	}
	len = mmap_odd_len(addr, len, 2);
	bool populate, locked, noreserve;
	mmap_more_flags(&populate, &locked, &noreserve);
	char flags[96];
	out("%d mmap 0x%" PRIx64 " %" PRIu64 " %s %s", p->pid, addr, len, prot_str(prot),
	    mmap_flag_str(flags, sizeof(flags), true, true, fixed, noreplace, populate, locked,
			  noreserve));
	if (len > WIN_HI - WIN_LO)
		return;
	int o = nshms < MAX_SHMS ? nshms++ : MAX_SHMS - 1;
	shm_pages[o] = size_pages(len);
	mmap_predict(p, addr, len, fixed, noreplace, false,
		     (struct region){ .prot = prot, .fl = locked ? RF_LOCKED : 0,
				      .kind = RK_SHM, .shared = true, .obj = o });
}

/* a random region of p that maps a file or shared anonymous memory, or NULL */
static struct region *pick_obj_region(struct proc *p)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].kind != RK_ANON)
			k++;
	if (!k)
		return NULL;
	k = below(k);
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].kind != RK_ANON && k-- == 0)
			return &p->r[i];
	return NULL;
}

/* a page of r: mostly one its object has (inside the file), else any */
static uint64_t pick_obj_page(const struct region *r)
{
	uint64_t rp = (r->e - r->s) / PG, op = obj_pages(r);
	uint64_t valid = op > r->pgoff ? op - r->pgoff : 0;
	if (valid > rp)
		valid = rp;
	if (valid && chance(80))
		return r->s + below(valid) * PG;
	return r->s + below(rp) * PG;
}

/* reads, writes and touches of file and shared anonymous mappings */
static void ev_obj_access(struct proc *p)
{
	struct region *r = pick_obj_region(p);
	if (!r) {
		if (chance(60))
			ev_mmap_file(p);
		else
			ev_read(p);
		return;
	}
	uint64_t a = pick_obj_page(r), x = below(100);
	uint64_t e = r->e;
	if (x < 45) {
		out("%d r 0x%" PRIx64, p->pid, a + in_page_off());
	} else if (x < 85) {
		write_at(p, a + in_page_off());
	} else {
		uint64_t len = chance(60) ? e - a : between(1, 16) * PG;
		touch_odd(&a, &len);
		len = clamp_len(a, len);
		touch_out(p, a, len);
	}
}

/* madvise of file and shared anonymous mappings: remove, dontneed, populate */
static void ev_obj_madvise(struct proc *p)
{
	struct region *r = pick_obj_region(p);
	if (!r) {
		ev_madvise(p);
		return;
	}
	uint64_t rp = (r->e - r->s) / PG, i = below(rp);
	uint64_t addr = r->s + i * PG, len;
	uint64_t x = below(100);
	if (x < 45)
		len = r->e - addr;
	else if (x < 80)
		len = between(1, rp - i) * PG;
	else
		len = pick_len(p, addr);
	static const struct { unsigned w; size_t a; } mix[] = {
		{ 30, 6 },      /* remove */
		{ 24, 4 },      /* dontneed */
		{ 12, 13 },     /* populate_read */
		{ 12, 14 },     /* populate_write */
		{ 5, 3 },       /* willneed */
		{ 3, 11 },      /* cold */
		{ 3, 12 },      /* pageout */
		{ 3, 5 },       /* free: -EINVAL on these */
		{ 4, 1 },       /* random */
		{ 4, 2 },       /* sequential */
	};
	uint64_t y = below(100);
	size_t a = 0;
	for (size_t k = 0; k < sizeof(mix) / sizeof(mix[0]); k++) {
		if (y < mix[k].w) {
			a = mix[k].a;
			break;
		}
		y -= mix[k].w;
	}
	if (chance(5) && len > PG)
		len -= between(1, PG - 1);
	len = odd_range_len(addr, clamp_len(addr, len));
	out("%d madvise 0x%" PRIx64 " %" PRIu64 " %s", p->pid, addr, len, advice_names[a]);
	uint64_t s, e;
	if (!page_range(addr, len, &s, &e))
		return;
	if (a == 6 && r->kind == RK_FILE && r->shared) {
		/* a punched hole, for fwrite to write into */
		uint64_t he = e < r->e ? e : r->e;
		struct gfile *f = &files[r->obj];
		uint64_t lo = (r->pgoff + i) * PG, hi = (r->pgoff + (he - r->s) / PG) * PG;
		file_hole(f, lo, hi);
		if (f->size >= 8 && chance(35))
			fwrite_out(f, fwrite_off_in(f, lo, hi));        /* into it at once */
	}
	if (a == 1)
		apply_all(p, addr, e, RF_RAND, RF_SEQ);
	else if (a == 2)
		apply_all(p, addr, e, RF_SEQ, RF_RAND);
}

/* mlock (or munlock) of part of a file or shared anonymous mapping */
static void ev_obj_mlock(struct proc *p)
{
	struct region *r = pick_obj_region(p);
	if (!r) {
		ev_mlock(p, true);
		return;
	}
	bool lock = chance(75);
	uint64_t rp = (r->e - r->s) / PG, i = below(rp);
	uint64_t addr = chance(50) ? r->s : r->s + i * PG;
	uint64_t len = chance(50) ? r->e - addr : between(1, (r->e - addr) / PG) * PG;
	if (chance(8)) {
		uint64_t j = between(1, PG - 1);        /* rounded out to pages */
		addr += j;
		len = len > j ? len - j - below(j) : len;
	}
	len = odd_range_len(addr, len);
	out("%d %s 0x%" PRIx64 " %" PRIu64, p->pid, lock ? "mlock" : "munlock", addr, len);
	uint64_t s, e;
	if (page_range(addr, len, &s, &e))
		apply_until_hole(p, s, e, 0, lock ? RF_LOCKED : 0, lock ? 0 : RF_LOCKED, false);
}

/*
 * mremap of a file or shared anonymous mapping: grow it in place or moving
 * (past the end of its object: SIGBUS there), shrink it, move it.
 */
static void ev_obj_mremap(struct proc *p)
{
	struct region *r = pick_obj_region(p);
	if (!r) {
		ev_mremap(p);
		return;
	}
	uint64_t addr = chance(60) ? r->s : r->s + below((r->e - r->s) / PG) * PG;
	uint64_t old_len = chance(70) ? r->e - addr : vma_end_guess(p, addr) - addr;
	uint64_t new_len, new_addr = 0;
	bool maymove = false, fixed = false, dontunmap = false, has_new = false;
	uint64_t y = below(100);
	if (y < 35) {
		new_len = old_len + between(1, 8) * PG;         /* grow in place */
		maymove = chance(30);
	} else if (y < 60) {
		new_len = old_len + between(1, 16) * PG;        /* grow, moving if need be */
		maymove = true;
	} else if (y < 75) {
		new_len = old_len > PG ? between(1, old_len / PG - 1) * PG : PG;
	} else if (y < 85) {
		new_len = chance(70) ? old_len : old_len + between(1, 4) * PG;
		maymove = fixed = has_new = true;
		new_addr = pick_free_spot(new_len / PG);
	} else if (y < 93) {
		new_len = old_len;
		maymove = dontunmap = true;
		if (chance(50)) {                       /* a hint, or fixed */
			has_new = true;
			fixed = chance(40);
			new_addr = pick_free_spot(new_len / PG);
		}
	} else {
		/* old_len 0: a second mapping of the same shared pages */
		old_len = 0;
		new_len = between(1, 8) * PG;
		maymove = chance(90);
		if (chance(30)) {
			fixed = has_new = true;
			new_addr = pick_free_spot(new_len / PG);
		}
	}
	if (addr + new_len > WIN_HI - PG)
		new_len = old_len;
	if (has_new && new_addr + new_len > WIN_HI)
		new_addr = pg_down(WIN_HI - new_len - PG);
	if (old_len > PG && chance(7))
		old_len -= between(1, PG - 1);          /* rounded up to pages */
	if (new_len > PG && chance(7))
		new_len -= between(1, PG - 1);
	char flags[64] = "";
	if (maymove) strcat(flags, ",maymove");
	if (fixed) strcat(flags, ",fixed");
	if (dontunmap) strcat(flags, ",dontunmap");
	const char *fs = flags[0] ? flags + 1 : "-";
	if (has_new)
		out("%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " %s 0x%" PRIx64, p->pid, addr,
		    old_len, new_len, fs, new_addr);
	else
		out("%d mremap 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " %s", p->pid, addr, old_len,
		    new_len, fs);
	mremap_predict(p, addr, old_len, new_len, new_addr, maymove, fixed, dontunmap, has_new);
}

/*
 * A remap_file_pages line; now and then with the start or the size not page
 * aligned (both are rounded down), a size of 0 or under a page (-EINVAL), or
 * a page offset far past the object or so large it wraps (-EINVAL).
 */
static void rfp_out(struct proc *p, uint64_t addr, uint64_t len, uint64_t pgoff)
{
	uint64_t x = below(100);
	if (x < 8)
		addr += between(1, PG - 1);
	else if (x < 14)
		len += between(1, PG - 1);
	else if (x < 17)
		len = chance(50) ? 0 : between(1, PG - 1);
	else if (x < 21)
		pgoff += 1ull << between(8, 40);
	else if (x < 25)
		pgoff = UINT64_MAX - below(len / PG ? len / PG : 1);    /* + pages wraps */
	if (pg_up(addr + len) > WIN_HI)
		len = WIN_HI - addr;            /* the Linux tester checks the range as given */
	out("%d remap_file_pages 0x%" PRIx64 " %" PRIu64 " %" PRIu64, p->pid, addr, len, pgoff);
}

/*
 * remap_file_pages on a file or shared anonymous mapping (Linux 6.x maps
 * the range again at the new page offset): mostly inside one shared
 * mapping, sometimes on a private one or past its end (-EINVAL).  The
 * model is not updated: the pages stay mapped, only their offsets change,
 * and later events need not know.
 */
static void ev_obj_rfp(struct proc *p)
{
	struct region *r = pick_obj_region(p);
	if (!r) {
		ev_obj_access(p);
		return;
	}
	uint64_t rp = (r->e - r->s) / PG, i = below(rp);
	uint64_t addr = r->s + i * PG;
	uint64_t len = chance(85) ? between(1, rp - i) * PG : between(1, 8) * PG;
	len = clamp_len(addr, len);
	rfp_out(p, addr, len, below(r->pgoff + rp + 4));
}

static bool nonlinear_mode;             /* --nonlinear */

/* One event of a --files trace for process p. */
static void step_files(struct proc *p, int maxprocs)
{
	uint64_t x;

	/* --nonlinear: one event in five more is a remap_file_pages, drawn
	   before the rest, so that without it every seed stays the same */
	if (nonlinear_mode && chance(20)) {
		ev_obj_rfp(p);
		return;
	}
	x = below(1000);
	if (p->n == 0 && chance(70))
		x = below(230);         /* an empty address space: map something */
	if (x < 90) {
		ev_mmap(p);
	} else if (x < 200) {
		ev_mmap_file(p);
	} else if (x < 230) {
		ev_mmap_shm(p);
	} else if (x < 265) {
		ev_munmap(p);
	} else if (x < 305) {
		ev_mprotect(p);
	} else if (x < 340) {
		ev_mremap(p);
	} else if (x < 370) {
		ev_obj_mremap(p);
	} else if (x < 410) {
		ev_madvise(p);
	} else if (x < 460) {
		ev_obj_madvise(p);
	} else if (x < 470) {
		ev_obj_rfp(p);
	} else if (x < 485) {
		ev_obj_mlock(p);
	} else if (x < 495) {
		ev_mlock(p, chance(60));
	} else if (x < 510) {
		if (!p->has_base || chance(3))   /* and now and then again */
			ev_brkbase(p);
		else
			ev_brk(p);
	} else if (x < 560) {
		if (nprocs < maxprocs)
			ev_fork(p);
		else
			ev_obj_access(p);
	} else if (x < 575) {
		if (nprocs > 1 || chance(20))
			ev_exit(p);
		else
			ev_obj_access(p);
	} else if (x < 583) {
		ev_exec(p);
	} else if (x < 588) {
		if (nprocs < maxprocs)
			ev_spawn();
		else
			ev_read(p);
	} else if (x < 625) {
		ev_fwrite();
	} else if (x < 650) {
		ev_truncate();
	} else if (x < 655) {
		ev_file_new();
	} else if (x < 710) {
		ev_read(p);
	} else if (x < 760) {
		ev_write(p);
	} else if (x < 950) {
		ev_obj_access(p);
	} else {
		ev_touch(p);
	}
}

/* remap_file_pages on anonymous memory or a hole: -EINVAL */
static void ev_anon_rfp(struct proc *p)
{
	uint64_t addr = pick_addr(p);
	uint64_t len = clamp_len(addr, between(1, 8) * PG);
	rfp_out(p, clamp_addr(addr), len, below(64));
}

/* ---- fork-heavy traces (--forks) ---- */

static void step_anon(struct proc *p, int maxprocs);

static bool forks_mode;                 /* --forks */

static struct proc *proc_by_pid(int pid)
{
	for (int i = 0; i < nprocs; i++)
		if (procs[i].pid == pid)
			return &procs[i];
	return NULL;
}

/* a live process that has a live child, or NULL */
static struct proc *pick_parent(void)
{
	int k = 0;
	for (int i = 0; i < nprocs; i++)
		if (procs[i].ppid && proc_by_pid(procs[i].ppid))
			k++;
	if (!k)
		return NULL;
	k = (int)below((uint64_t)k);
	for (int i = 0; i < nprocs; i++)
		if (procs[i].ppid && proc_by_pid(procs[i].ppid) && k-- == 0)
			return proc_by_pid(procs[i].ppid);
	return NULL;
}

/* a page of p that is mapped writable now (to dirty before forking), or 0 */
static uint64_t writable_page(struct proc *p)
{
	for (int tries = 0; tries < 8 && p->n; tries++) {
		struct region *r = pick_region(p);
		if (r->prot & 2)
			return r->s + below((r->e - r->s) / PG) * PG;
	}
	return 0;
}

/*
 * Every process that maps the page of p at a (shares it copy-on-write, or a
 * shared mapping of it, after forks) reads or writes it, in a random order:
 * the first write copies, the last sharer may reuse the page.
 */
static void cow_sweep(struct proc *p, uint64_t a)
{
	int order[MAX_PROCS_LIMIT], n = 0;
	for (int i = 0; i < nprocs; i++)
		if (region_at(&procs[i], a))
			order[n++] = procs[i].pid;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)below((uint64_t)i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	uint64_t off = in_page_off();
	for (int i = 0; i < n && i < 10; i++) {
		struct proc *q = proc_by_pid(order[i]);
		if (chance(60))
			write_at(q, a + off);
		else
			out("%d r 0x%" PRIx64, q->pid, a + off);
	}
	(void)p;
}

/*
 * One fork-heavy event, or a run of them: many children of one parent
 * (storm), a chain of forks (each child forks the next), a parent that exits
 * or execs while its children live, every sharer of a page touching it,
 * a child writing over a whole inherited region, madvise on what fork does
 * followed by a fork, MADV_FREE of shared pages while the other sharers
 * write, unmap or drop them, then pageout.  Otherwise an ordinary event of
 * the mode's mix.
 */
static void step_forks(struct proc *p, int maxprocs)
{
	uint64_t x = below(100);
	int pid = p->pid;

	if (x < 12 && nprocs < maxprocs) {                      /* storm */
		for (uint64_t k = between(2, 8); k > 0 && nprocs < maxprocs; k--) {
			p = proc_by_pid(pid);
			uint64_t a = chance(50) ? writable_page(p) : 0;
			if (a)
				write_at(p, a + in_page_off());
			ev_fork(p);
		}
	} else if (x < 20 && nprocs < maxprocs) {               /* chain */
		for (uint64_t k = between(2, 5); k > 0 && nprocs < maxprocs; k--) {
			p = proc_by_pid(pid);
			uint64_t a = chance(50) ? writable_page(p) : 0;
			if (a)
				write_at(p, a + in_page_off());
			ev_fork(p);
			pid = procs[nprocs - 1].pid;
		}
	} else if (x < 30 || (x < 40 && nprocs >= maxprocs - 1)) {   /* a parent goes */
		struct proc *q = pick_parent();
		if (!q)
			q = p;
		if (chance(65) && (nprocs > 1 || chance(20)))
			ev_exit(q);
		else
			ev_exec(q);
	} else if (x < 50) {                                    /* all sharers touch */
		struct region *r = pick_region(p);
		if (r)
			cow_sweep(p, r->s + below((r->e - r->s) / PG) * PG);
		else
			ev_mmap(p);
	} else if (x < 56) {                                    /* a child writes it all */
		struct proc *q = &procs[below((uint64_t)nprocs)];
		struct region *r = pick_region(q);
		if (r) {
			uint64_t len = r->e - r->s;
			touch_out(q, r->s, len > 64 * PG ? 64 * PG : len);
		} else {
			ev_mmap(q);
		}
	} else if (x < 60 && nprocs < maxprocs) {               /* what fork does, then fork */
		struct region *r = pick_region(p);
		if (r) {
			static const char *const adv[] = { "dontfork", "dofork", "wipeonfork",
							   "keeponfork" };
			size_t a = below(4);
			out("%d madvise 0x%" PRIx64 " %" PRIu64 " %s", p->pid, r->s, r->e - r->s,
			    adv[a]);
			if (r->kind == RK_ANON || a < 2)  /* wipeonfork: -EINVAL on shared */
				r->fl = a == 0 ? r->fl | RF_DONTFORK : a == 1 ? r->fl & ~RF_DONTFORK :
					a == 2 ? r->fl | RF_WIPE : r->fl & ~RF_WIPE;
		}
		ev_fork(p);
	} else if (x < 66) {                                    /* lazy free across sharers */
		struct region *r = pick_region(p);
		if (!r) {
			ev_mmap(p);
			return;
		}
		uint64_t np = (r->e - r->s) / PG, i = below(np);
		uint64_t a = r->s + i * PG, len = between(1, np - i < 8 ? np - i : 8) * PG;
		out("%d madvise 0x%" PRIx64 " %" PRIu64 " free", p->pid, a, len);
		for (int k = 0, done = 0; k < nprocs && done < 3; k++) {
			struct proc *q = &procs[k];
			if (q->pid == pid || !region_at(q, a) || chance(30))
				continue;
			done++;
			uint64_t y = below(100);
			if (y < 30) {
				write_at(q, a + below(len / PG) * PG + in_page_off());
			} else if (y < 60) {
				out("%d munmap 0x%" PRIx64 " %" PRIu64, q->pid, a, len);
				carve(q, a, a + len);
			} else if (y < 75) {
				out("%d madvise 0x%" PRIx64 " %" PRIu64 " dontneed", q->pid, a, len);
			} else {
				out("%d r 0x%" PRIx64, q->pid, a + in_page_off());
			}
		}
		p = proc_by_pid(pid);
		if (chance(20))
			write_at(p, a + in_page_off());
		out("%d madvise 0x%" PRIx64 " %" PRIu64 " %s", p->pid, a, len,
		    chance(85) ? "pageout" : "cold");
		if (chance(60))
			touch_out(p, a, len);
	} else if (files_mode) {
		step_files(p, maxprocs);
	} else {
		step_anon(p, maxprocs);
	}
}

/* One event of a default (anonymous memory only) trace for process p. */
static void step_anon(struct proc *p, int maxprocs)
{
	uint64_t x = below(1000);
	if (p->n == 0 && chance(70))
		x = below(160);         /* an empty address space: map something */
	if (x < 160) {
		ev_mmap(p);
	} else if (x < 220) {
		ev_munmap(p);
	} else if (x < 290) {
		ev_mprotect(p);
	} else if (x < 380) {
		ev_mremap(p);
	} else if (x < 470) {
		ev_madvise(p);
	} else if (x < 490) {
		ev_mlock(p, true);
	} else if (x < 505) {
		ev_mlock(p, false);
	} else if (x < 555) {
		if (!p->has_base || chance(3))   /* and now and then again */
			ev_brkbase(p);
		else
			ev_brk(p);
	} else if (x < 610) {
		if (nprocs < maxprocs)
			ev_fork(p);
		else
			ev_write(p);
	} else if (x < 625) {
		if (nprocs > 1 || chance(20))
			ev_exit(p);
		else
			ev_read(p);
	} else if (x < 633) {
		ev_exec(p);
	} else if (x < 640) {
		if (nprocs < maxprocs)
			ev_spawn();
		else
			ev_read(p);
	} else if (x < 645) {
		ev_anon_rfp(p);
	} else if (x < 760) {
		ev_read(p);
	} else if (x < 900) {
		ev_write(p);
	} else {
		ev_touch(p);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: gentrace SEED [--events N] [--procs MAX] [--files] [--forks] [--nonlinear]\n"
		"       [--model]\n"
		"       gentrace SEED --kind chain|prefork|filemap|mremap|mlock|db [--procs N] [--pages N]\n"
		"                [--rounds N] [--mlock (filemap, db)]\n");
	return 2;
}

/* a size option's value: a whole number, up to max */
static bool size_arg(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	*v = strtoull(s, &end, 0);
	return !*end && *v <= max;
}

/* gentrace SEED --kind NAME [--procs N] [--pages N] [--rounds N] [--mlock] */
static int main_kind(uint64_t seed, int argc, char **argv)
{
	int kind = -1;
	bool procs_set = false, pages_set = false, rounds_set = false, mlock = false;
	uint64_t nprocs_arg = 0, pages = 0, rounds = 0;
	struct gen_size sz;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--kind") && i + 1 < argc && kind < 0) {
			kind = gen_kind_find(argv[++i]);
			if (kind < 0) {
				fprintf(stderr, "gentrace: no kind '%s' (chain, prefork, filemap, "
					"mremap, mlock, db)\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--procs") && i + 1 < argc) {
			procs_set = size_arg(argv[++i], UINT32_MAX, &nprocs_arg);
			if (!procs_set)
				return usage();
		} else if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			pages_set = size_arg(argv[++i], UINT64_MAX, &pages);
			if (!pages_set)
				return usage();
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds_set = size_arg(argv[++i], UINT32_MAX, &rounds);
			if (!rounds_set)
				return usage();
		} else if (!strcmp(argv[i], "--mlock")) {
			mlock = true;
		} else {
			return usage();
		}
	}
	gen_size_default(kind, &sz);
	if (procs_set)
		sz.procs = (unsigned)nprocs_arg;
	if (pages_set)
		sz.pages = pages;
	if (rounds_set)
		sz.rounds = (unsigned)rounds;
	if (mlock && kind != GEN_FILEMAP && kind != GEN_DB) {
		fprintf(stderr, "gentrace: --mlock is for --kind filemap or db\n");
		return 2;
	}
	sz.mlock = mlock;
	int err = gen_hardcase(kind, seed, &sz, stdout);
	if (err == -EINVAL) {
		fprintf(stderr, "gentrace: --kind %s: sizes out of range: --procs %u (1..%u), "
			"--pages %" PRIu64 " (%u..%llu), --rounds %u (1..%u)\n", gen_kind_name(kind),
			sz.procs, GEN_MAX_PROCS, sz.pages, GEN_MIN_PAGES, GEN_MAX_PAGES, sz.rounds,
			GEN_MAX_ROUNDS);
		return 2;
	}
	if (err) {
		fprintf(stderr, "gentrace: --kind %s: %s\n", gen_kind_name(kind), strerror(-err));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	char *end;
	uint64_t seed = strtoull(argv[1], &end, 0);
	if (*end || end == argv[1])
		return usage();
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--kind"))
			return main_kind(seed, argc, argv);
	long nevents = -1, maxprocs = -1;
	bool show_model = false;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--events") && i + 1 < argc) {
			nevents = strtol(argv[++i], &end, 0);
			if (*end || nevents < 1)
				return usage();
		} else if (!strcmp(argv[i], "--model")) {
			show_model = true;
		} else if (!strcmp(argv[i], "--files")) {
			files_mode = true;
		} else if (!strcmp(argv[i], "--forks")) {
			forks_mode = true;
		} else if (!strcmp(argv[i], "--nonlinear")) {
			nonlinear_mode = files_mode = true;
		} else if (!strcmp(argv[i], "--procs") && i + 1 < argc) {
			maxprocs = strtol(argv[++i], &end, 0);
			if (*end || maxprocs < 1 || maxprocs > MAX_PROCS_LIMIT)
				return usage();
		} else {
			return usage();
		}
	}
	rng_state = seed ^ 0x5eed5eed5eed5eedull;
	/* drawn even when --events is given, so that --events K writes the first
	   K events of the seed's full trace (a prefix, to narrow down a failure) */
	long dflt = (long)between(50, 150);
	if (nevents < 0)
		nevents = forks_mode ? 2 * dflt : dflt;
	if (maxprocs < 0)
		maxprocs = forks_mode ? 24 : 4;

	printf("# generated by gentrace %" PRIu64 " --events %ld --procs %ld%s%s%s\n", seed,
	       nevents, maxprocs, files_mode ? " --files" : "", forks_mode ? " --forks" : "",
	       nonlinear_mode ? " --nonlinear" : "");
	if (nonlinear_mode)
		printf("# needs: nonlinear\n# remap_file_pages is common: replay with --nonlinear "
		       "(Linux 2.6.32's nonlinear mappings)\n");
	if (forks_mode)
		printf("# fork-heavy: many children, chains, parents exiting; compare dumps of revmap and Linux\n");
	if (files_mode)
		printf("# files, shared and private anonymous memory; compare dumps of revmap and Linux\n");
	else
		printf("# anonymous private memory only; compare dumps of revmap and Linux\n");
	printf("revmap-trace 1\n");

	if (files_mode)
		for (uint64_t k = between(2, 4); k > 0 && events_out < nevents; k--)
			ev_file_new();

	while (events_out < nevents) {
		if (nprocs == 0) {
			ev_spawn();
			continue;
		}
		struct proc *p = &procs[below((uint64_t)nprocs)];
		if (forks_mode)
			step_forks(p, (int)maxprocs);
		else if (files_mode)
			step_files(p, (int)maxprocs);
		else
			step_anon(p, (int)maxprocs);
	}
	if (show_model) {
		/* the model's final state, as "pid start end prot flags", with
		   --files also what is mapped ("-", a file name or shm<k>) and its
		   byte offset, for checking it */
		for (int i = 0; i < nprocs; i++)
			for (size_t k = 0; k < procs[i].n; k++) {
				const struct region *r = &procs[i].r[k];
				fprintf(stderr, "%d 0x%" PRIx64 " 0x%" PRIx64 " %s %x", procs[i].pid,
					r->s, r->e, prot_str(r->prot), r->fl);
				if (files_mode && r->kind == RK_FILE)
					fprintf(stderr, " %s %s 0x%" PRIx64, files[r->obj].name,
						r->shared ? "shared" : "private", (uint64_t)(r->pgoff * PG));
				else if (files_mode && r->kind == RK_SHM)
					fprintf(stderr, " shm%d shared 0x%" PRIx64, r->obj, (uint64_t)(r->pgoff * PG));
				else if (files_mode)
					fprintf(stderr, " - private 0x0");
				fputc('\n', stderr);
			}
	}
	if (fflush(stdout) || ferror(stdout))
		return 1;
	return 0;
}
