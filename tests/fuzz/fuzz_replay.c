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
 * mappings), shared anonymous memory, and the directives check, reclaim and
 * compact.  The machine has 8 MiB (2048 frames), so OOM kills and failed
 * allocations happen.
 *
 * First input byte:
 *   bits 0-1 == 3   the rest of the input is fed to the parser as raw text
 *                   (the parser must never crash; a rejected trace is fine)
 *   bit 2           fault injection: the next byte (1..255) is the
 *                   allocation that fails (rv_options.fail_alloc_at)
 *   bit 3           a 1 MiB machine instead of 8 MiB
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
		return WIN + (b % WIN_PAGES) * PG + (byte(&g->in) & 0xff8);  /* inside a page */
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
		return u64(&g->in) >> (byte(&g->in) & 63);
	}
}

static const char *prot(struct gen *g)
{
	static const char *const p[] = { "rw-", "r--", "---", "rw-", "-w-", "r-x", "rwx", "rw-" };

	return p[byte(&g->in) & 7];
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
		put(o, "%d mmap %#llx %#llx %s ", pid, (unsigned long long)addr(g),
		    (unsigned long long)len(g), prot(g));
		mmap_flags(g, anon);
		if (!anon)
			put(o, " f%d %#llx", f, (unsigned long long)((byte(&g->in) & 7) * PG));
		put(o, "\n");
		break;
	}
	case 3:
		put(o, "%d munmap %#llx %#llx\n", pid, (unsigned long long)addr(g),
		    (unsigned long long)len(g));
		break;
	case 4:
		put(o, "%d mprotect %#llx %#llx %s\n", pid, (unsigned long long)addr(g),
		    (unsigned long long)len(g), prot(g));
		break;
	case 5: {
		static const char *const fl[] = {
			"-", "maymove", "maymove,fixed", "maymove,dontunmap",
			"maymove,fixed,dontunmap", "fixed", "dontunmap", "maymove",
		};
		unsigned k = byte(&g->in) & 7;
		uint64_t a = addr(g), ol = len(g), nl = len(g);

		put(o, "%d mremap %#llx %#llx %#llx %s", pid, (unsigned long long)a,
		    (unsigned long long)ol, (unsigned long long)nl, fl[k]);
		/* new_addr: required with fixed, optional with dontunmap alone */
		if (k == 2 || k == 4 || k == 5 || ((k == 3 || k == 6) && (byte(&g->in) & 1)))
			put(o, " %#llx", (unsigned long long)addr(g));
		put(o, "\n");
		break;
	}
	case 6:
		put(o, "%d madvise %#llx %#llx %s\n", pid, (unsigned long long)addr(g),
		    (unsigned long long)len(g), advice[byte(&g->in) % 15]);
		break;
	case 7:
		b = byte(&g->in);
		put(o, "%d %s %#llx %#llx\n", pid, (b & 1) ? "munlock" : "mlock",
		    (unsigned long long)addr(g), (unsigned long long)len(g));
		break;
	case 8:
		b = byte(&g->in);
		if (b & 4)
			put(o, "%d remap_file_pages %#llx %#llx %u\n", pid, (unsigned long long)addr(g),
			    (unsigned long long)(((b >> 3) & 7) + 1) * PG, byte(&g->in) % 24);
		else if (b & 1)
			put(o, "%d brkbase %#llx\n", pid, (unsigned long long)(WIN + 0x100000 +
			    (b & 0x30) * PG));
		else
			put(o, "%d brk %#llx\n", pid, (unsigned long long)(WIN + 0x100000 +
			    (byte(&g->in) % 96) * PG + (b & 2 ? 100 : 0)));
		break;
	case 9: case 10: case 11: {
		uint64_t a = addr(g);

		a = (a & ~(PG - 1)) | (a & 0xff8);   /* the 8 bytes within one page */
		if (op == 9)
			put(o, "%d r %#llx\n", pid, (unsigned long long)a);
		else
			put(o, "%d w %#llx %#llx\n", pid, (unsigned long long)a,
			    (unsigned long long)byte(&g->in));
		break;
	}
	case 12: case 13:
		b = byte(&g->in);
		put(o, "%d touch %#llx %#llx %s\n", pid, (unsigned long long)addr(g),
		    (unsigned long long)((b & 31) + 1) * PG, (b & 32) ? "w" : "r");
		break;
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
		put(o, "check\n");
		break;
	case 1:
		put(o, "reclaim %u\n", byte(&g->in));
		break;
	case 2:
		put(o, "compact %u\n", byte(&g->in) % 12);
		break;
	case 3:
		if (!g->file[f]) {
			g->fsize[f] = (b >> 1) * 700ULL;
			g->file[f] = true;
			put(o, "file f%d %llu %u\n", f, (unsigned long long)g->fsize[f], byte(&g->in));
		} else if (b & 2) {
			g->fsize[f] = byte(&g->in) * 300ULL;
			put(o, "truncate f%d %llu\n", f, (unsigned long long)g->fsize[f]);
		} else if (g->fsize[f] >= 8) {
			uint64_t off = (uint64_t)byte(&g->in) * 97 % (g->fsize[f] - 7);

			put(o, "fwrite f%d %llu %u\n", f, (unsigned long long)off, byte(&g->in));
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
	if (mode & 8)
		opt.mem_bytes = 1ULL << 20;
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
