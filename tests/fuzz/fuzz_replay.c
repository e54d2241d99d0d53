/*
 * tests/fuzz/fuzz_replay.c - libFuzzer target: random bytes -> a trace ->
 * rv_replay_buffer() on a small machine with every checker after every event.
 *
 * The input is decoded into events (it is not parsed as text, except in one
 * mode below), so that almost every input is a valid trace that does
 * something: a few pids (spawn/fork/exec/exit, only where the parser allows
 * them), mmap/munmap/mprotect/mremap/madvise/mlock/munlock/brkbase/brk/
 * remap_file_pages with
 * addresses mostly inside a 64-page window so that operations collide,
 * r/w/touch, files (file, truncate, fwrite, private and shared file
 * mappings), shared anonymous memory, and the directives check, reclaim,
 * compact and swapoff.  It makes the argument shapes tools/gentrace-coverage.md lists:
 * every prot and flag combination, unaligned addresses, lengths and file
 * offsets, lengths of 0 and huge ones, fwrite straddling two pages or ending
 * at EOF (into holes when a truncate grew the file), truncate to any size
 * (2^63 and more: EINVAL), r/w at any byte of a page up to its last 8, w and
 * fwrite with and without a value, touch from any byte for 0 or more bytes,
 * numbers in decimal and hex.  The machine has 8 MiB (2048 frames), so OOM kills and failed
 * allocations happen.
 *
 * First input byte:
 *   bits 0-1 == 3   the rest of the input is fed to the parser as raw text
 *                   (the parser must never crash; a rejected trace is fine)
 *   bit 2           fault injection: the next byte (1..255) is the
 *                   allocation that fails (rv_options.fail_alloc_at)
 *   bit 3           a 1 MiB machine instead of 8 MiB, with 2 MiB of swap
 *                   (--swap 2M), so that reclaim and pressure swap
 *                   anonymous pages out and faults read them back; with
 *                   bit 2 the same count also fails a swap read or write
 *                   (--fail-swap-io)
 *   bit 4           check what each event changed (--check) instead of the
 *                   whole machine after every event (--check=full); the
 *                   trace's last line, `check`, checks the whole machine, so
 *                   what the change checker misses still fails the run
 *   bit 5           a CPU with protection keys (--pkeys on), else without
 *   bit 6           a low zone for kernel metadata (--lowmem 256K), so that
 *                   metadata allocations find lowmem short, reclaim low
 *                   pages and fail
 *   bit 7           with bit 6: PTE tables may be high (--highpte)
 * and the byte after it (after the fault-injection byte, if any):
 *   bits 0-4        the rmap scheme: rmap_schemes[bits % rmap_nr_schemes]
 *                   (every scheme up to 32 can be picked)
 *   bit 5           --reclaim virtual (2.4's page-table scan), else lru
 *   bit 6           --nonlinear (remap_file_pages makes 2.6.32's nonlinear
 *                   VMAs), else 6.x's emulation
 *   bit 7           compact evicts when memory is too short to migrate:
 *                   --compact-evict targeted under lru reclaim, lru under
 *                   the virtual scan
 *
 * Failures abort(), so that libFuzzer reports them: a checker failure
 * (RV_CHECKFAIL), or a decoded trace the parser rejects (the decoder and the
 * parser disagree about the format).  Crashes, sanitizer reports and
 * VM_BUG_ON (REVMAP_DEBUG) are reported by libFuzzer itself.
 *
 * Built by `make fuzz` (clang -fsanitize=fuzzer,address,undefined).  With
 * -DFUZZ_STANDALONE it has its own main() that runs the files named as
 * arguments, to replay a crash input without libFuzzer:
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -Iinclude -DREVMAP_DEBUG=1 -DFUZZ_STANDALONE \
 *     -fsanitize=address,undefined lib/ *.c mm/ *.c rmap/ *.c sim/ *.c \
 *     tests/fuzz/fuzz_replay.c -o fuzz_replay -lm
 *   ./fuzz_replay crash-1234...          (FUZZ_PRINT=1: also print the trace,
 *                                        to run it with `revmap replay`)
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "revmap.h"
#include "../../rmap/scheme.h"     /* the registry of schemes */

#define WIN       0x100000000000ULL   /* the window most addresses fall in */
#define PG        4096ULL
#define WIN_PAGES 64
#define NPIDS     5                   /* pids 1..NPIDS */
#define NFILES    2
#define MAXEV     400                 /* events per input */

/* ---------------- input reader ---------------- */

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t u64(struct in *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | byte(in);
	return v;
}

/* ---------------- output text ---------------- */

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		if (!o->buf) {
			o->cap = 4096;
			o->buf = malloc(o->cap);
			if (!o->buf)
				abort();
		}
		va_start(ap, fmt);
		k = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < o->cap - o->len)
			break;
		o->cap = o->cap * 2 + 256;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf)
			abort();
	}
	o->len += (size_t)k;
}

/*
 * A number as the format allows it, decimal or 0x hex: the base follows a
 * bit of the value itself, so that both appear without using input bytes.
 * => one of NUMS static buffers, valid until NUMS more calls.
 */
#define NUMS 8

static const char *num(uint64_t v)
{
	static char buf[NUMS][24];
	static unsigned k;
	char *b = buf[k++ % NUMS];

	if ((v ^ (v >> 13) ^ (v >> 29)) & 1)
		snprintf(b, sizeof(buf[0]), "%llu", (unsigned long long)v);
	else
		snprintf(b, sizeof(buf[0]), "0x%llx", (unsigned long long)v);
	return b;
}

/* ---------------- decoding ---------------- */

struct gen {
	struct in in;
	struct out out;
	bool live[NPIDS + 1];       /* pid i is live (as the parser sees it) */
	bool used[NPIDS + 1];       /* pid i was ever spawned or forked */
	bool file[NFILES];          /* file fN exists */
	uint64_t fsize[NFILES];     /* its size */
};

/* an address: mostly a page of the window, sometimes odd */
static uint64_t addr(struct gen *g)
{
	unsigned b = byte(&g->in);

	switch (b >> 5) {
	case 0: case 1: case 2: case 3: case 4:
		return WIN + (b % WIN_PAGES) * PG;
	case 5:
		/* inside a page: 8-byte aligned, or any byte */
		return WIN + (b % WIN_PAGES) * PG +
		       ((b & 16) ? (byte(&g->in) << 4 | (b & 15)) : (byte(&g->in) & 0xff8));
	case 6:
		switch (b & 7) {
		case 0: return 0;
		case 1: return WIN + 0x200000 - 2 * PG + (b & 8) * PG;      /* PMD boundary */
		case 2: return 0x200000000000ULL - (1 + (b & 0x18)) * PG;    /* placement area */
		case 3: return WIN - PG;
		case 4: return WIN + (b & 0x18) * 0x200000;                  /* other tables */
		default: return WIN + ((uint64_t)byte(&g->in) << 12);
		}
	default:
		return u64(&g->in) & (b & 1 ? ~0ULL : 0x7fffffffffffULL);
	}
}

/* a length: mostly a few pages */
static uint64_t len(struct gen *g)
{
	unsigned b = byte(&g->in);

	switch (b >> 6) {
	case 0: case 1:
		return ((b & 15) + 1) * PG;
	case 2:
		return (b & 63) * PG + ((b & 1) ? byte(&g->in) : 0);    /* 0, unaligned */
	default:
		if (b & 1)
			return 0x200000 * (1 + (b & 6));                    /* MiBs */
		if (b & 2)
			return ~0ULL - byte(&g->in) * (PG / 4);   /* wraps, or rounds up past 2^64 */
		return u64(&g->in) >> (byte(&g->in) & 63);
	}
}

static const char *prot(struct gen *g)
{
	static const char *const p[] = {
		"rw-", "r--", "---", "rw-", "-w-", "r-x", "rwx", "rw-",
		"--x", "-wx", "rw-", "r--", "rw-", "r-x", "---", "rw-",
	};

	return p[byte(&g->in) & 15];
}

/* a live pid, or 0 if none */
static int live_pid(struct gen *g, unsigned b)
{
	for (int i = 0; i < NPIDS; i++) {
		int pid = (int)((b + (unsigned)i) % NPIDS) + 1;

		if (g->live[pid])
			return pid;
	}
	return 0;
}

static int dead_pid(struct gen *g, unsigned b)
{
	for (int i = 0; i < NPIDS; i++) {
		int pid = (int)((b + (unsigned)i) % NPIDS) + 1;

		if (!g->live[pid])
			return pid;
	}
	return 0;
}

static void mmap_flags(struct gen *g, bool anon)
{
	unsigned b = byte(&g->in);

	put(&g->out, "%s", (b & 1) ? "shared" : "private");
	if (anon)
		put(&g->out, ",anon");
	if (b & 2)
		put(&g->out, ",fixed");
	if ((b & 0x0c) == 0x0c)
		put(&g->out, ",noreplace");
	if (b & 0x10)
		put(&g->out, ",populate");
	if ((b & 0x60) == 0x60)
		put(&g->out, ",locked");
	if (b & 0x80)
		put(&g->out, ",noreserve");
}

static const char *const advice[] = {
	"normal", "random", "sequential", "willneed", "dontneed", "free", "remove",
	"dontfork", "dofork", "wipeonfork", "keeponfork", "cold", "pageout",
	"populate_read", "populate_write",
};

/* one event for a live pid */
static void pid_event(struct gen *g, int pid, unsigned op)
{
	struct out *o = &g->out;
	unsigned b;

	switch (op) {
	case 0: case 1: case 2: {
		bool anon = true;
		int f = byte(&g->in) & 7;

		if (f < NFILES && g->file[f])
			anon = false;
		put(o, "%d mmap %s %s %s ", pid, num(addr(g)), num(len(g)), prot(g));
		mmap_flags(g, anon);
		if (!anon) {
			/* a page offset inside or past the file, or unaligned,
			   far past it, at or past 2^63 */
			unsigned ob = byte(&g->in);
			uint64_t off = (ob & 7) * PG;

			switch (ob >> 5) {
			case 5: off += ob & 0x18 ? ob : 1; break;
			case 6: off = (uint64_t)ob << 32; break;
			case 7: off = (ob & 1 ? 0x8000000000000000ULL : 0x7ffffffffffff000ULL) -
				      (ob & 6) * PG; break;
			default: break;
			}
			put(o, " f%d %s", f, num(off));
		}
		put(o, "\n");
		break;
	}
	case 3:
		put(o, "%d munmap %s %s\n", pid, num(addr(g)), num(len(g)));
		break;
	case 4:
		put(o, "%d mprotect %s %s %s\n", pid, num(addr(g)), num(len(g)), prot(g));
		break;
	case 5: {
		/* every combination; bit 0 maymove, 1 fixed, 2 dontunmap */
		static const char *const fl[] = {
			"-", "maymove", "fixed", "maymove,fixed", "dontunmap",
			"maymove,dontunmap", "fixed,dontunmap", "maymove,fixed,dontunmap",
		};
		unsigned k = byte(&g->in) & 7;
		uint64_t a = addr(g), ol = len(g), nl = len(g);

		put(o, "%d mremap %s %s %s %s", pid, num(a), num(ol), num(nl), fl[k]);
		/* new_addr: required with fixed, optional with dontunmap alone */
		if ((k & 2) || ((k & 4) && (byte(&g->in) & 1)))
			put(o, " %s", num(addr(g)));
		put(o, "\n");
		break;
	}
	case 6:
		put(o, "%d madvise %s %s %s\n", pid, num(addr(g)), num(len(g)),
		    advice[byte(&g->in) % 15]);
		break;
	case 7:
		b = byte(&g->in);
		put(o, "%d %s %s %s\n", pid, (b & 1) ? "munlock" : "mlock", num(addr(g)),
		    num(len(g)));
		break;
	case 8:
		b = byte(&g->in);
		if (b & 4) {
			/* start and size rounded down (size 0 or under a page:
			   -EINVAL); a page offset that wraps now and then */
			uint64_t sz = (((b >> 3) & 7) + 1) * PG, pg = byte(&g->in);

			if (b & 2)
				sz = (b & 0x80) ? (sz - PG) + (pg & 0x7f) * 31 : sz + pg;
			if (pg >= 0xf8)
				pg = UINT64_MAX - (pg & 7);
			else
				pg %= 24;
			put(o, "%d remap_file_pages %s %s %s\n", pid, num(addr(g)), num(sz), num(pg));
		} else if (b & 1) {
			put(o, "%d brkbase %s\n", pid, num(WIN + 0x100000 + (b & 0x30) * PG +
							     (b & 0x40 ? 0x123 : 0)));
		} else {
			unsigned x = byte(&g->in);
			uint64_t nb = WIN + 0x100000 + (x % 96) * PG + (b & 2 ? 100 : 0);

			if (x >= 0xfc)          /* 0, below the base, past the address space */
				nb = x == 0xfc ? 0 : x == 0xfd ? WIN : x == 0xfe ? 1ULL << 47 : UINT64_MAX;
			put(o, "%d brk %s\n", pid, num(nb));
		}
		break;
	case 9: case 10: case 11: {
		uint64_t a = addr(g);

		if ((a & (PG - 1)) > PG - 8)         /* the 8 bytes within one page */
			a = (a & ~(PG - 1)) | (PG - 8 - (a & 7));
		else if (!(a & (PG - 1)) && ((a >> 12) & 7) == 7)
			a |= PG - 8;                    /* the last 8 bytes of the page */
		if (op == 9)
			put(o, "%d r %s\n", pid, num(a));
		else if (a & 0x10)
			put(o, "%d w %s\n", pid, num(a));      /* the value: the line number */
		else
			put(o, "%d w %s %s\n", pid, num(a), num(byte(&g->in)));
		break;
	}
	case 12: case 13: {
		/* any start; a length of pages, 0, or not a page multiple */
		uint64_t l;

		b = byte(&g->in);
		l = ((b & 31) + 1) * PG;
		if ((b & 0xc0) == 0xc0)
			l = (b & 1) ? 0 : l - PG + (b & 0x3e) * 61;
		put(o, "%d touch %s %s %s", pid, num(addr(g)), num(l), (b & 32) ? "w" : "r");
		if ((b & 32) && (b & 0x80) && !(b & 0x40))
			put(o, " %s", num(byte(&g->in)));
		put(o, "\n");
		break;
	}
	case 14:
		b = byte(&g->in);
		if (b & 1) {
			int c = dead_pid(g, b >> 1);

			if (c) {
				put(o, "%d fork %d\n", pid, c);
				g->live[c] = g->used[c] = true;
			}
		} else if (b & 2) {
			put(o, "%d exec\n", pid);
		} else {
			put(o, "%d exit\n", pid);
			g->live[pid] = false;
		}
		break;
	default:
		break;
	}
}

static void other_event(struct gen *g, unsigned op)
{
	struct out *o = &g->out;
	unsigned b = byte(&g->in);
	int f = (int)(b & 1);

	switch (op) {
	case 0:
		put(o, (b & 6) == 6 ? "swapoff\n" : "check\n");
		break;
	case 1:
		put(o, "reclaim %u\n", byte(&g->in));
		break;
	case 2:
		put(o, "compact %u\n", byte(&g->in) % 12);
		break;
	case 3:
		if (!g->file[f]) {
			/* 0, tiny, page multiples, and in between */
			g->fsize[f] = (b & 0x80) ? ((b >> 1) & 15) * PG : (b & 0x40) ? (b >> 1) & 7 :
				      (b >> 1) * 700ULL;
			g->file[f] = true;
			if (b & 0x20)
				put(o, "file f%d %s\n", f, num(g->fsize[f]));   /* seed 0 */
			else
				put(o, "file f%d %s %u\n", f, num(g->fsize[f]), byte(&g->in));
		} else if (b & 2) {
			/* shrink or grow, to any byte, to pages, far (a sparse
			   file), or to 2^63 and more (EINVAL: the size stays) */
			unsigned x = byte(&g->in);
			uint64_t ns = x * 300ULL;

			if (b & 4)
				ns = (b & 8) ? x * PG : g->fsize[f] + x;
			if (x == 0xff)
				ns = (b & 4) ? 0x8000000000000000ULL + b : (1ULL << 40) + b;
			if (ns <= INT64_MAX)
				g->fsize[f] = ns;
			put(o, "truncate f%d %s\n", f, num(ns));
		} else if (g->fsize[f] >= 8) {
			/* anywhere it fits: straddling a page boundary, ending
			   at EOF, any byte; with or without a value */
			uint64_t size = g->fsize[f], x = byte(&g->in), off;

			switch (b >> 5) {
			case 0: case 1:
				off = size / PG > 0 && size > PG ? (x % ((size - 1) / PG) + 1) * PG -
								   (b & 7 ? b & 7 : 1) : 0;
				if (off + 8 > size)
					off = size - 8;
				break;
			case 2:
				off = size - 8;
				break;
			default:
				off = (x << 8 | byte(&g->in)) * 97 % (size - 7);
				break;
			}
			if (b & 4)
				put(o, "fwrite f%d %s\n", f, num(off));
			else
				put(o, "fwrite f%d %s %s\n", f, num(off), num(byte(&g->in)));
		}
		break;
	default:
		break;
	}
}

static void decode(struct gen *g)
{
	put(&g->out, "revmap-trace 1\n1 spawn\n");
	g->live[1] = g->used[1] = true;
	for (int i = 0; i < MAXEV && g->in.n; i++) {
		unsigned b = byte(&g->in);
		unsigned op = b & 15;

		if ((b >> 4) == 15) {
			other_event(g, op & 3);
		} else if (op == 15) {
			int pid = dead_pid(g, b >> 4);

			if (pid) {
				put(&g->out, "%d spawn\n", pid);
				g->live[pid] = g->used[pid] = true;
			}
		} else {
			int pid = live_pid(g, b >> 4);

			if (pid)
				pid_event(g, pid, op);
		}
	}
	put(&g->out, "check\n");
}

/* ---------------- the target ---------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rv_options opt = { .mem_bytes = 8ULL << 20, .check = RV_CHECK_FULL };
	struct gen g = { .in = { data, size } };
	unsigned mode = byte(&g.in);
	bool raw = (mode & 3) == 3;
	char err[256], *msg = NULL;
	size_t msglen = 0;
	FILE *errf;
	rv_sim *s;
	int st;

	if (mode & 4)
		opt.fail_alloc_at = byte(&g.in) + 1;
	if (mode & 8) {
		opt.mem_bytes = 1ULL << 20;
		opt.swap_bytes = 2ULL << 20;
		opt.fail_swap_io_at = opt.fail_alloc_at;
	}
	if (mode & 16)
		opt.check = RV_CHECK_EVENT;
	opt.pkeys = (mode & 32) ? RV_PKEYS_ON : RV_PKEYS_OFF;
	if (mode & 64) {
		opt.lowmem_bytes = 256ULL << 10;
		opt.highpte = (mode & 128) != 0;
	}
	{
		unsigned sch = byte(&g.in);

		opt.scheme = rmap_schemes[(sch & 31) % rmap_nr_schemes]->name;
		opt.reclaim = (sch & 32) ? RV_RECLAIM_VIRTUAL : RV_RECLAIM_LRU;
		opt.nonlinear = (sch & 64) != 0;
		if (sch & 128)
			opt.compact_evict = (sch & 32) ? RV_COMPACT_EVICT_LRU
						       : RV_COMPACT_EVICT_TARGETED;
	}
	if (raw) {
		/* NUL bytes, long lines, no final newline: all just data */
		g.out.buf = malloc(g.in.n + 1);
		if (!g.out.buf)
			abort();
		memcpy(g.out.buf, g.in.p, g.in.n);
		g.out.len = g.out.cap = g.in.n;
	} else {
		decode(&g);
	}
	if (getenv("FUZZ_PRINT")) {
		fwrite(g.out.buf, 1, g.out.len, stdout);
		fflush(stdout);
	}

	s = rv_sim_new(&opt, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "fuzz_replay: %s\n", err);
		abort();
	}
	errf = open_memstream(&msg, &msglen);
	if (!errf)
		abort();
	st = rv_replay_buffer(s, "fuzz", g.out.buf, g.out.len, NULL, errf);
	fclose(errf);
	if (st == RV_CHECKFAIL || st == RV_MISMATCH ||
	    (st == RV_BADINPUT && !raw && !strstr(msg, "cannot hold file"))) {
		fprintf(stderr, "fuzz_replay: replay returned %d:\n%s\n--- trace ---\n%.*s---\n",
			st, msg, (int)g.out.len, g.out.buf);
		abort();
	}
	rv_sim_free(s);
	free(msg);
	free(g.out.buf);
	return 0;
}

#ifndef FUZZ_STANDALONE
#include <sys/stat.h>
#include <errno.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * libFuzzer refuses a corpus directory that does not exist, and `make
 * fuzz` names a fresh one (build-fuzz/corpus-PID): create the directories
 * named on the command line (arguments that are not -flags) before
 * libFuzzer looks at them.  An argument that names a file is left alone
 * (libFuzzer then runs that one input).
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (int i = 1; i < *argc; i++) {
		const char *a = (*argv)[i];
		struct stat st;

		if (a[0] == '-' || !stat(a, &st))
			continue;
		if (errno == ENOENT && mkdir(a, 0777) && errno != EEXIST)
			fprintf(stderr, "fuzz_replay: cannot create %s\n", a);
	}
	return 0;
}
#endif

#ifdef FUZZ_STANDALONE
/* replay inputs without libFuzzer: each argument is an input file */
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		size_t n = 0, cap = 0, k;

		if (!f) {
			perror(argv[i]);
			return 2;
		}
		do {
			if (n == cap) {
				cap = cap * 2 + 4096;
				buf = realloc(buf, cap);
				if (!buf)
					abort();
			}
			k = fread(buf + n, 1, cap - n, f);
			n += k;
		} while (k);
		fclose(f);
		fprintf(stderr, "fuzz_replay: %s (%zu bytes)\n", argv[i], n);
		LLVMFuzzerTestOneInput(buf, n);
		free(buf);
	}
	return 0;
}
#endif
