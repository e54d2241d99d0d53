/*
 * bench/bench.h - revmap's benchmarks, as the revmap command runs them.
 *
 * A program, not the library's API: the benchmarks drive mm/, the rmap
 * schemes and the host kernel (host/) directly, and librevmap does not
 * carry them.  Each prints a table on out and, given a path, writes JSON.
 * => 0, or 1 when a run failed (said on stderr).
 */
#ifndef REVMAP_BENCH_BENCH_H
#define REVMAP_BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "revmap.h"

/* bench core: revmap against this machine's kernel, per 4 KiB page (fork,
 * faults, COW, munmap, mremap; a file read by many processes, truncated);
 * procs: the file benchmark's forked readers (0: 100) */
int bench_core(const struct rv_options *opt, uint64_t bytes, int procs,
	       const char *json_path, FILE *out);

/* bench scale: what --check, --dump and a 1 TiB machine cost; full adds
 * --check=full on the 250-child trace */
int bench_scale(const struct rv_options *opt, bool full, const char *json_path, FILE *out);

/* bench rmap: every registered scheme side by side on the debate's hard
 * cases (gen/hardcase.c): metadata per mapped page, walk precision and
 * time, fork, fault, munmap and exit time; quick: smaller cases, one run */
int bench_rmap(const struct rv_options *opt, bool quick, const char *json_path, FILE *out);
/* (bench rmap and bench reclaim read opt->scheme as a list of schemes to
 * run, every registered one when it is NULL, and return 2 when a name is
 * not a scheme) */

/* bench reclaim: every scheme and both reclaim policies on the hard cases
 * under memory pressure (swap on): pages reclaimed per second, rmap and
 * scan work per reclaimed page, swap I/O, OOM kills; no data lost */
int bench_reclaim(const struct rv_options *opt, bool quick, const char *json_path, FILE *out);

/* the schemes bench rmap and bench reclaim run, in order (the first is the
 * reference the others' final states must equal) */
#define BENCH_MAX_SCHEMES 32
struct rmap_ops;
struct bench_set {
	const struct rmap_ops *ops[BENCH_MAX_SCHEMES]; /* the schemes */
	unsigned n;                                     /* how many */
};

/* fill set from list, names separated by commas ('linux' is avc; NULL:
 * every registered scheme, the default first); => 0, or -1 after saying on
 * stderr which name is unknown or repeated */
int bench_set_parse(struct bench_set *set, const char *bench, const char *list);

/* shared by the tables: the median of n values (sorts v); x / n, 0 when n
 * is 0; a figure " %*.*f" of x / n, or "-" when nothing was measured */
uint64_t bench_median(uint64_t *v, int n);
double bench_per(uint64_t x, uint64_t n);
void bench_fig(FILE *out, int width, uint64_t x, uint64_t n, int prec);

/* make and parse the trace of gentrace SEED --kind KIND at sizes sz (named
 * "gentrace SEED --kind KIND"); => 0, or -1 (said on stderr) */
struct tr_trace;
struct gen_size;
int bench_make_case(int kind, uint64_t seed, const struct gen_size *sz, struct tr_trace *t);

#endif
