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
/* (bench: the command, for messages: "bench rmap", "sweep") */

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

/* one scheme's replay of one trace, as bench rmap and the suite measure it:
 * the trace's events by phase, then every mapped frame walked once, then
 * the live processes' exits */
enum bench_phase { BENCH_FORK, BENCH_FAULT, BENCH_MUNMAP, BENCH_EXIT, BENCH_NR_PHASES };
struct bench_run {
	uint64_t ns[BENCH_NR_PHASES];     /* time of the events of each phase */
	uint64_t units[BENCH_NR_PHASES];  /* pages (fork: the parent's present PTEs;
					     munmap, exit: PTEs zapped) or faults */
	uint64_t events[BENCH_NR_PHASES]; /* events counted in each phase */
	uint64_t walk_ns;          /* the end-of-trace walks */
	uint64_t walks, vmas, probed, found, fallbacks;
	uint64_t depth_sum, depth_walks; /* object-tree schemes: depth walked, and walks */
	uint64_t depth_max;        /* the deepest object chain over the run */
	uint64_t meta_peak;        /* rmap_bytes_peak */
	uint64_t mlock_saved_peak; /* rmap_mlock_saved_peak: what chains mlock spared */
	uint64_t unchained_peak;   /* rmap_unchained_peak: PTEs kept as counts */
	uint64_t ptes_peak;        /* most present PTEs after an event */
	uint64_t meta_frames_peak; /* most page-table and slab frames after an event */
	uint64_t state_hash;       /* the final state's dump, hashed */
	uint64_t reclaim_ns;       /* stats.reclaim_ns: time in reclaim */
	uint64_t reclaimed;        /* stats.pgsteal: frames reclaim freed */
	uint64_t swap_outs, swap_ins; /* stats: pages written to and read from swap */
	uint64_t kills;            /* processes the OOM killer took */
	uint64_t wall_ns;          /* the whole run: replay, walks, exits */
	uint64_t ptes_peak_event;  /* the event (index in the trace) after which the
				      most PTEs were first present */
	uint64_t walk_line;        /* the trace line after which the frames were
				      walked, or 0: at the end */
};

/* bench_run_trace's walk_after: every mapped frame walked at the end */
#define BENCH_WALK_AT_END SIZE_MAX

/* bench_run_trace's flags */
#define BENCH_RUN_KILLS_OK 1u  /* OOM kills are counted (else they fail the run) */
#define BENCH_RUN_EXACT    2u  /* a "= result" that does not match fails the run,
				  up to the first memory shortage the trace does
				  not expect (OOM kill, -ENOMEM, -EAGAIN) */

/* replay t under scheme on a machine made with base's other options; bench
 * names the benchmark in messages ("bench rmap"); every mapped frame is
 * walked once right after event walk_after (an index in t), or at the end
 * (BENCH_WALK_AT_END).  => 0, or -1 (said on stderr) */
int bench_run_trace(const char *bench, const struct rv_options *base, const char *scheme,
		    const struct tr_trace *t, unsigned flags, size_t walk_after,
		    struct bench_run *r);

/* bench rmap's generated cases (gen/hardcase.c's kinds; filemap again with
 * --mlock): how many, the name of case i ("chain", "filemap-mlock"), and
 * its trace at bench rmap's sizes (quick: --quick's), sz filled; => 0, or
 * -1 (said on stderr) */
int bench_gen_cases(void);
const char *bench_gen_case_name(int i);
int bench_gen_case_make(int i, bool quick, struct gen_size *sz, struct tr_trace *t);

/* bench core's Linux side alone: fork, first-touch fault and munmap of
 * bytes of private anonymous memory on this machine's kernel, ns per page,
 * the median of bench core's repetitions after its warm-up, in its helper
 * process (so call it while this process is small).  => 0 with ns[] (fork,
 * fault, munmap), or -1 with why filled (a failed call is also said on
 * stderr) */
int bench_core_linux(uint64_t bytes, double ns[3], char *why, size_t whylen);

/* the suite (bench/suite.c): revmap bench without a name, bench --one, a
 * sweep's jobs or its sequential run, and a report of result files */
struct suite_opts {
	const char *workloads;     /* --workloads DIR (NULL: workloads/ here if it is a
				      directory, else PREFIX/share/revmap/workloads) */
	const char *schemes;       /* --scheme LIST (NULL: every scheme; a quick sweep's
				      own) */
	const char *one;           /* bench --one SOURCE: a trace, or gen:CASE */
	uint64_t mem, swap;        /* bench: the machine (mem 0: 1 GiB) */
	int policy;                /* bench: RV_RECLAIM_* */
	const char *mems;          /* sweep: --mem LIST (NULL: its default) */
	const char *policies;      /* sweep: --reclaim LIST (NULL: lru,virtual) */
	bool quick;                /* --quick's sizes (sweep: a small sweep) */
	bool no_host;              /* do not measure the Linux kernel here */
	bool counts_only;          /* print only the exact columns, only the table */
	const char *json;          /* write the cells as JSON here (NULL: not) */
	const char *plots;         /* draw the SVG plots into this directory */
};
/* => 0; 1 a run failed (a replay that does not read what its trace says, a
 * check, different states, the JSON or the plots); 2 bad arguments */
int bench_suite(const struct suite_opts *o, FILE *out);
/* run: the jobs in this process, then the table; else one command line per
 * job on out */
int bench_sweep(const struct suite_opts *o, bool run, FILE *out);
int bench_report(const struct suite_opts *o, char **paths, int npaths, FILE *out);

#endif
