/*
 * bench/scale.c - the scaling benchmark: what checking, dumping and a
 * big machine cost, each against the plain work it adds to.
 *
 *   revmap bench scale [--json FILE] [--full]
 *
 * Four cases, each a trace built in memory and replayed through the public
 * API (rv_replay_buffer), in a child process of its own so that its time
 * and its peak host memory (ru_maxrss) are its alone:
 *
 *   fork250    one parent touches 2048 pages (8 MiB), then forks 250
 *              children, each of which writes one page, reads one and
 *              touches four: 1004 lines.  Replayed without checking and
 *              with --check.  Every fork changes the map count of all 2048
 *              pages, so --check walks the rmap of 2048 frames per fork,
 *              each mapped by up to 251 processes.  --check=full (every
 *              checker over the whole machine after every event) on the
 *              same trace took 247 s before --check checked only changes;
 *              --full adds it (minutes).
 *   fork50     the same with 50 children, with --check and --check=full:
 *              the two side by side in one run.
 *   prefork50  a 256 MiB parent (65536 pages) forks 50 children that each
 *              write 64 pages and read 256: without checking, with --check.
 *   dump10000  a parent of 512 pages forks 10,000 children: 5,120,512 page
 *              lines.  The replay, then the state part of the dump written
 *              to /dev/null, then the same lines printed with no digest
 *              computed (the writer's print-only mode): the dump must cost
 *              at most twice the printing, i.e. each frame is hashed once
 *              per dump, not once per line.
 *   mem1T      the 20-line tour (examples/tour.trace, built in) on a
 *              machine of 1 TiB and on one of 1 GiB: time and peak host
 *              memory, which must not grow with the machine (deferred
 *              frame initialisation).
 *
 * Times are wall-clock, CLOCK_MONOTONIC, median of REPS runs; the counts
 * that make them comparable (lines, frames walked) are exact.  Targets
 * (issue "What a new user meets"): fork250 with --check under 5 s,
 * prefork50 with --check under 30 s, dump/print at most 2, mem1T starting
 * well under a second.
 *
 * Memory: prefork50 about 310 MiB, dump10000 about 200 MiB (10,001 page
 * tables of 4 levels), the rest under 40 MiB; one case at a time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "../sim/sim.h"
#include "bench.h"

#define REPS 3

/* a trace being built */
struct tbuf {
	char *s;
	size_t len, cap;
	uint64_t lines;
};

static void tb_add(struct tbuf *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tb_add(struct tbuf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap ? t->cap * 2 : 1 << 16;
		t->s = realloc(t->s, t->cap);
		if (!t->s) {
			fprintf(stderr, "revmap: bench scale: out of host memory\n");
			exit(2);
		}
	}
	t->len += (size_t)n;
	t->lines++;
}

#define BASE 0x100000000000ULL

static void trace_forks(struct tbuf *t, int children)
{
	tb_add(t, "revmap-trace 1\n");
	tb_add(t, "1 spawn\n");
	tb_add(t, "1 mmap 0x%llx 0x800000 rw- private,anon\n", (unsigned long long)BASE);
	tb_add(t, "1 touch 0x%llx 0x800000 w\n", (unsigned long long)BASE);
	for (int c = 2; c < 2 + children; c++) {
		tb_add(t, "1 fork %d\n", c);
		tb_add(t, "%d w 0x%llx %d\n", c, (unsigned long long)(BASE + (c * 7 % 2048) * 4096ULL), c);
		tb_add(t, "%d r 0x%llx\n", c, (unsigned long long)(BASE + (c * 13 % 2048) * 4096ULL));
		tb_add(t, "%d touch 0x%llx 0x4000 w\n", c,
		       (unsigned long long)(BASE + (c * 3 % 2000) * 4096ULL));
	}
}

static void trace_prefork(struct tbuf *t)
{
	tb_add(t, "revmap-trace 1\n");
	tb_add(t, "1 spawn\n");
	tb_add(t, "1 mmap 0x%llx 0x10000000 rw- private,anon\n", (unsigned long long)BASE);
	tb_add(t, "1 touch 0x%llx 0x10000000 w\n", (unsigned long long)BASE);
	for (int c = 2; c < 52; c++) {
		tb_add(t, "1 fork %d\n", c);
		tb_add(t, "%d touch 0x%llx 0x40000 w\n", c, (unsigned long long)(BASE + c * 0x100000ULL));
		tb_add(t, "%d touch 0x%llx 0x100000 r\n", c, (unsigned long long)(BASE + c * 0x200000ULL));
	}
}

static void trace_wide(struct tbuf *t, int children)
{
	tb_add(t, "revmap-trace 1\n");
	tb_add(t, "1 spawn\n");
	tb_add(t, "1 mmap 0x%llx 0x200000 rw- private,anon\n", (unsigned long long)BASE);
	tb_add(t, "1 touch 0x%llx 0x200000 w\n", (unsigned long long)BASE);
	for (int c = 2; c < 2 + children; c++)
		tb_add(t, "1 fork %d\n", c);
}

/* examples/tour.trace, without its comments */
static void trace_tour(struct tbuf *t)
{
	static const char *const lines[] = {
		"1 spawn", "1 mmap 0x100000000000 0x4000 rw- private,anon = 0x100000000000",
		"1 r 0x100000000000 = 0", "1 w 0x100000001000 0x1111",
		"1 touch 0x100000002000 0x2000 w", "1 fork 2", "2 w 0x100000002000 0x2222",
		"2 r 0x100000001000 = 0x1111", "1 mprotect 0x100000001000 0x1000 r-- = 0",
		"1 mprotect 0x100000001000 0x1000 rw- = 0",
		"1 mremap 0x100000000000 0x4000 0x4000 maymove,fixed 0x100000100000 = 0x100000100000",
		"1 r 0x100000101000 = 0x1111", "2 exit", "1 w 0x100000103000 0x3333",
		"1 brkbase 0x100000200000", "1 brk 0x100000203000 = 0x100000203000",
		"1 w 0x100000200000 0x4444", "1 madvise 0x100000102000 0x1000 dontneed = 0",
		"1 r 0x100000102000 = 0",
	};

	tb_add(t, "revmap-trace 1\n");
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		tb_add(t, "%s\n", lines[i]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* what one child measured */
struct meas {
	double t[3];               /* replay, dump, print-only (s) */
	long maxrss_kib;           /* peak host memory of the child */
	int status;                /* the replay's exit status */
};

enum what { W_REPLAY, W_DUMP };

/*
 * In a child: a simulation with opt, the trace replayed; for W_DUMP, the
 * state part of the dump written twice to /dev/null, hashed and not.
 */
static void child_run(const struct rv_options *opt, const struct tbuf *t, enum what w,
		      int fd)
{
	struct meas r = { { 0 }, 0, 0 };
	char err[256];
	FILE *devnull = fopen("/dev/null", "w"), *quiet = fopen("/dev/null", "w");
	rv_sim *s = rv_sim_new(opt, err, sizeof(err));
	double t0;

	if (!s || !devnull || !quiet)
		_exit(2);
	t0 = now_s();
	r.status = rv_replay_buffer(s, "bench", t->s, t->len, NULL, quiet);
	r.t[0] = now_s() - t0;
	if (w == W_DUMP) {
		struct dump_writer dw;

		for (int pass = 0; pass < 2; pass++) {
			t0 = now_s();
			dump_begin(&dw, devnull);
			dw.print_only = pass == 1;
			sim_dump_state(s, &dw);
			dump_end(&dw);
			r.t[1 + pass] = now_s() - t0;
		}
	}
	rv_sim_free(s);
	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(2);
	_exit(0);
}

/* run one measurement in a child; => 0, or -1 if it failed */
static int measure(const struct rv_options *opt, const struct tbuf *t, enum what w,
		   struct meas *out)
{
	int p[2];
	pid_t pid;
	struct rusage ru;
	int st;

	fflush(NULL);
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		child_run(opt, t, w, p[1]);
	}
	close(p[1]);
	if (read(p[0], out, sizeof(*out)) != (ssize_t)sizeof(*out)) {
		close(p[0]);
		wait4(pid, &st, 0, &ru);
		return -1;
	}
	close(p[0]);
	if (wait4(pid, &st, 0, &ru) < 0)
		return -1;
	out->maxrss_kib = ru.ru_maxrss;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* the median of REPS measurements (field by field), the largest maxrss */
static int measure_median(const struct rv_options *opt, const struct tbuf *t, enum what w,
			  int reps, struct meas *out)
{
	double v[3][REPS];
	struct meas m;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < reps; i++) {
		if (measure(opt, t, w, &m))
			return -1;
		for (int k = 0; k < 3; k++)
			v[k][i] = m.t[k];
		if (m.maxrss_kib > out->maxrss_kib)
			out->maxrss_kib = m.maxrss_kib;
		if (m.status)
			out->status = m.status;
	}
	for (int k = 0; k < 3; k++) {
		qsort(v[k], (size_t)reps, sizeof(double), cmp_double);
		out->t[k] = v[k][reps / 2];
	}
	return 0;
}

struct row {
	const char *name;          /* case */
	const char *mode;          /* how it ran */
	uint64_t lines;            /* trace lines */
	struct meas m;
	bool ok;                   /* ran, and the replay's status was 0 */
};

static void row_print(FILE *out, const struct row *r)
{
	fprintf(out, "%-10s %-22s %8llu %10.3f %10ld\n", r->name, r->mode,
		(unsigned long long)r->lines, r->m.t[0], r->m.maxrss_kib / 1024);
}

int bench_scale(const struct rv_options *base, bool full, const char *json_path, FILE *out)
{
	struct tbuf f250 = { 0 }, f50 = { 0 }, pre = { 0 }, wide = { 0 }, tour = { 0 };
	struct row rows[16];
	int nr = 0, reps = REPS, failed = 0;
	struct rv_options o = *base;
	struct meas dump;
	double ratio;
	bool dump_ok, targets = true;
	FILE *js = NULL;

	trace_forks(&f250, 250);
	trace_forks(&f50, 50);
	trace_prefork(&pre);
	trace_wide(&wide, 10000);
	trace_tour(&tour);
	fprintf(out, "revmap bench scale: median of %d runs, each in a process of its own\n\n", reps);
	fprintf(out, "%-10s %-22s %8s %10s %10s\n", "case", "mode", "lines", "seconds", "peak MiB");

#define RUN(name_, mode_, t_, check_, mem_, reps_)					\
	do {										\
		struct row *r_ = &rows[nr++];						\
		o = *base;								\
		o.check = (check_);							\
		if (mem_)								\
			o.mem_bytes = (mem_);						\
		r_->name = (name_);							\
		r_->mode = (mode_);							\
		r_->lines = (t_)->lines;						\
		r_->ok = !measure_median(&o, (t_), W_REPLAY, (reps_), &r_->m) &&	\
			 r_->m.status == 0;						\
		failed += !r_->ok;							\
		row_print(out, r_);							\
		fflush(out);								\
	} while (0)

	RUN("fork250", "no check", &f250, RV_CHECK_OFF, 0, reps);
	RUN("fork250", "--check", &f250, RV_CHECK_EVENT, 0, reps);
	if (full)
		RUN("fork250", "--check=full", &f250, RV_CHECK_FULL, 0, 1);
	RUN("fork50", "no check", &f50, RV_CHECK_OFF, 0, reps);
	RUN("fork50", "--check", &f50, RV_CHECK_EVENT, 0, reps);
	RUN("fork50", "--check=full", &f50, RV_CHECK_FULL, 0, 1);
	RUN("prefork50", "no check", &pre, RV_CHECK_OFF, 0, reps);
	RUN("prefork50", "--check", &pre, RV_CHECK_EVENT, 0, reps);
	RUN("mem1T", "--mem 1G", &tour, RV_CHECK_EVENT, 1ULL << 30, reps);
	RUN("mem1T", "--mem 1T", &tour, RV_CHECK_EVENT, 1ULL << 40, reps);
#undef RUN

	o = *base;
	o.check = RV_CHECK_OFF;
	dump_ok = !measure_median(&o, &wide, W_DUMP, reps, &dump) && dump.status == 0;
	failed += !dump_ok;
	ratio = dump.t[2] > 0 ? dump.t[1] / dump.t[2] : 0;
	fprintf(out, "\ndump10000: a parent of 512 pages and 10,000 children, 5,120,512 page lines\n");
	fprintf(out, "  replay %.3f s, dump %.3f s, the same lines printed without digests %.3f s: "
		"dump/print %.2f; peak %ld MiB\n", dump.t[0], dump.t[1], dump.t[2], ratio,
		dump.maxrss_kib / 1024);

	fprintf(out, "\ntargets:\n");
#define TARGET(what_, cond_)								\
	do {										\
		bool ok_ = (cond_);							\
		targets &= ok_;								\
		fprintf(out, "  %-50s %s\n", what_, ok_ ? "met" : "NOT MET");		\
	} while (0)
	TARGET("fork250 with --check under 5 s", rows[1].ok && rows[1].m.t[0] < 5);
	TARGET("prefork50 with --check under 30 s", rows[full ? 7 : 6].ok && rows[full ? 7 : 6].m.t[0] < 30);
	TARGET("dump10000: dump at most 2 x printing the lines", dump_ok && ratio <= 2);
	TARGET("mem1T: the tour on 1 TiB in under 0.5 s", rows[nr - 1].ok && rows[nr - 1].m.t[0] < 0.5);
	TARGET("mem1T: peak memory on 1 TiB within 2 x that on 1 GiB",
	       rows[nr - 1].ok && rows[nr - 1].m.maxrss_kib <= 2 * rows[nr - 2].m.maxrss_kib);
#undef TARGET

	if (json_path && !(js = fopen(json_path, "w")))
		fprintf(stderr, "revmap: cannot write %s: %s\n", json_path, strerror(errno));
	if (js) {
		fprintf(js, "{\n  \"benchmark\": \"scale\",\n  \"reps\": %d,\n  \"runs\": [\n", reps);
		for (int i = 0; i < nr; i++)
			fprintf(js, "    {\"case\": \"%s\", \"mode\": \"%s\", \"lines\": %llu, "
				"\"seconds\": %.6f, \"peak_kib\": %ld, \"ok\": %s}%s\n",
				rows[i].name, rows[i].mode, (unsigned long long)rows[i].lines,
				rows[i].m.t[0], rows[i].m.maxrss_kib, rows[i].ok ? "true" : "false",
				i + 1 < nr ? "," : "");
		fprintf(js, "  ],\n  \"dump10000\": {\"page_lines\": 5120512, \"replay_s\": %.6f, "
			"\"dump_s\": %.6f, \"print_only_s\": %.6f, \"dump_over_print\": %.4f, "
			"\"peak_kib\": %ld, \"ok\": %s},\n", dump.t[0], dump.t[1], dump.t[2], ratio,
			dump.maxrss_kib, dump_ok ? "true" : "false");
		fprintf(js, "  \"targets_met\": %s\n}\n", targets ? "true" : "false");
		if (fclose(js))
			fprintf(stderr, "revmap: error writing %s\n", json_path);
	}
	free(f250.s);
	free(f50.s);
	free(pre.s);
	free(wide.s);
	free(tour.s);
	if (failed)
		fprintf(out, "\n%d runs failed\n", failed);
	return failed ? RV_CHECKFAIL : RV_OK;
}
