/*
 * bench/suite.c - the standard benchmark suite, its sweeps and reports.
 *
 *   revmap bench [--quick] [--workloads DIR] [--json FILE] [--plots DIR]
 *   revmap bench --one SOURCE --scheme S --mem M --swap W --reclaim P --json F
 *   revmap sweep --jobs|--run [--quick] [--workloads DIR] [LISTS]
 *   revmap report [--counts-only] [--json OUT] [--plots DIR] DIR|FILE...
 *
 * A cell is one workload replayed under one scheme on one machine (memory,
 * swap, reclaim policy).  The workloads are the shipped traces (every
 * *.trace, *.trace.gz and *.trace.zst of the workloads directory, in name
 * order) and then bench rmap's generated hard cases at its sizes.  Each cell
 * is bench rmap's run (bench_run_trace): the trace's events timed by phase,
 * every mapped frame walked once (at the end, or where a trace that ends
 * with nothing mapped had the most PTEs), the live processes' exits; the machine's
 * statistics give the exact counts, and reclaim's (stats.reclaim_ns,
 * pgsteal) the reclaim cost.  A "= result" the replay does not read fails
 * the benchmark, as a check failure does.
 *
 * The suite runs every workload under every scheme in one process; a sweep
 * crosses workloads x schemes x memory sizes x reclaim policies, either as
 * one `revmap bench --one` command per cell (--jobs: each writes its own
 * JSON, to be run anywhere) or in this process (--run).  A report merges
 * result files.  All three print their cells through one function
 * (suite_print) after sorting them into one order, so that a report of a
 * sweep's files prints, column for column, what the sweep run in one
 * process prints; --counts-only keeps only the columns that are exact
 * (bytes and counts, ratios of counts), which a test compares byte for byte.
 *
 * The Linux kernel of this machine is measured once per run (bench core's
 * helper: fork, first-touch fault and munmap of anonymous memory) for the
 * columns that divide revmap's ns per page by Linux's; a report takes the
 * median of its files' measurements.
 *
 * No global mutable state: the cells live in a suite_set made by the caller.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "../sim/sim.h"
#include "../rmap/scheme.h"
#include "../host/host.h"
#include "../gen/hardcase.h"
#include "bench.h"
#include "json.h"

#ifndef REVMAP_PREFIX
#define REVMAP_PREFIX "/usr/local"
#endif
#define GEN_PREFIX "gen:"          /* a --one SOURCE that names a generated case */
#define FORMAT_VERSION 1           /* the "suite_format" of the JSON */

/* one cell: a workload replayed under one scheme on one machine */
struct suite_cell {
	char workload[256];        /* "tour.trace.gz", "chain" */
	char source[PATH_MAX];     /* the trace's absolute path, or "gen:chain" */
	int gen;                   /* the generated case's index, or -1: a trace */
	char scheme[32];           /* the rmap scheme */
	uint64_t mem, swap;        /* the machine's memory and swap, bytes */
	int policy;                /* RV_RECLAIM_* */
	bool quick;                /* generated at --quick's sizes */
	uint64_t events;           /* the trace's events */
	struct bench_run r;        /* what bench_run_trace measured */
};

/* the Linux kernel's figures, ns per page */
struct suite_host {
	bool measured;             /* else why says why not */
	uint64_t bytes;            /* the region measured */
	double ns[3];              /* fork, fault, munmap */
	char why[200];
};

struct suite_set {
	struct suite_cell *c;      /* the cells */
	size_t n, cap;
	struct suite_host host;
};

static const char *const policy_name[2] = { "lru", "virtual" };

/* the figures a cell's JSON holds, besides its identity: exact counts, then
 * times (the columns --counts-only leaves out) */
#define RF(field) offsetof(struct bench_run, field)
static const struct run_field {
	const char *key;
	size_t off;
	bool time;
} run_fields[] = {
	{ "rmap_bytes_peak", RF(meta_peak), false },
	{ "present_ptes_peak", RF(ptes_peak), false },
	{ "metadata_frames_peak", RF(meta_frames_peak), false },
	{ "walks", RF(walks), false },
	{ "walk_vmas_visited", RF(vmas), false },
	{ "walk_ptes_probed", RF(probed), false },
	{ "walk_ptes_found", RF(found), false },
	{ "walk_fallbacks", RF(fallbacks), false },
	{ "fork_events", RF(events[BENCH_FORK]), false },
	{ "fork_pages", RF(units[BENCH_FORK]), false },
	{ "fault_events", RF(events[BENCH_FAULT]), false },
	{ "faults", RF(units[BENCH_FAULT]), false },
	{ "munmap_events", RF(events[BENCH_MUNMAP]), false },
	{ "munmap_ptes", RF(units[BENCH_MUNMAP]), false },
	{ "exit_events", RF(events[BENCH_EXIT]), false },
	{ "exit_ptes", RF(units[BENCH_EXIT]), false },
	{ "reclaimed", RF(reclaimed), false },
	{ "swap_outs", RF(swap_outs), false },
	{ "swap_ins", RF(swap_ins), false },
	{ "oom_kills", RF(kills), false },
	{ "state_hash", RF(state_hash), false },
	{ "walk_after_line", RF(walk_line), false },
	{ "walk_ns", RF(walk_ns), true },
	{ "fork_ns", RF(ns[BENCH_FORK]), true },
	{ "fault_ns", RF(ns[BENCH_FAULT]), true },
	{ "munmap_ns", RF(ns[BENCH_MUNMAP]), true },
	{ "exit_ns", RF(ns[BENCH_EXIT]), true },
	{ "reclaim_ns", RF(reclaim_ns), true },
	{ "wall_ns", RF(wall_ns), true },
};
#define NR_RUN_FIELDS (sizeof(run_fields) / sizeof(run_fields[0]))

static uint64_t *run_field(struct bench_run *r, size_t i)
{
	return (uint64_t *)((char *)r + run_fields[i].off);
}

/* ---------------------------------------------------------------- progress */

/* a progress line on stderr, redrawn in place, when stderr is a terminal */
struct progress {
	bool tty;                  /* else nothing is printed */
	unsigned done, total;      /* cells run, and to run */
};

static void progress_init(struct progress *p, unsigned total)
{
	p->tty = isatty(STDERR_FILENO);
	p->done = 0;
	p->total = total;
}

static void progress_show(struct progress *p, const char *what, const char *scheme)
{
	/* the cursor goes back to the line's start, so that a message said
	 * during the run writes over the progress, not after it */
	if (p->tty)
		fprintf(stderr, "\r[%u/%u] %s, %s\033[K\r", p->done + 1, p->total, what, scheme);
}

static void progress_end(struct progress *p)
{
	if (p->tty)
		fprintf(stderr, "\r\033[K");
}

/* ---------------------------------------------------------------- cells */

static int set_add(struct suite_set *set, const struct suite_cell *c)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 64;
		struct suite_cell *nc = realloc(set->c, cap * sizeof(*nc));

		if (!nc) {
			fprintf(stderr, "revmap: out of host memory\n");
			return -1;
		}
		set->c = nc;
		set->cap = cap;
	}
	set->c[set->n++] = *c;
	return 0;
}

/* a scheme's place in the registry, for the order of the rows */
static int scheme_index(const char *name)
{
	for (unsigned i = 0; i < rmap_nr_schemes; i++)
		if (!strcmp(rmap_schemes[i]->name, name))
			return (int)i;
	return (int)rmap_nr_schemes;
}

/* the order of every table, the suite's: the traces by name, the generated
 * cases as bench rmap runs them; then memory (largest first), policy, scheme */
static int cell_cmp(const void *a, const void *b)
{
	const struct suite_cell *x = a, *y = b;
	int d;

	if (x->gen != y->gen)
		return x->gen < y->gen ? -1 : 1;
	d = strcmp(x->workload, y->workload);
	if (!d)
		d = strcmp(x->source, y->source);
	if (d)
		return d;
	if (x->quick != y->quick)
		return x->quick ? 1 : -1;
	if (x->mem != y->mem)
		return x->mem > y->mem ? -1 : 1;
	if (x->swap != y->swap)
		return x->swap > y->swap ? -1 : 1;
	if (x->policy != y->policy)
		return x->policy < y->policy ? -1 : 1;
	d = scheme_index(x->scheme) - scheme_index(y->scheme);
	return d ? d : strcmp(x->scheme, y->scheme);
}

static bool same_cell(const struct suite_cell *x, const struct suite_cell *y)
{
	return !strcmp(x->workload, y->workload) && !strcmp(x->source, y->source) &&
	       x->quick == y->quick && x->mem == y->mem && x->swap == y->swap &&
	       x->policy == y->policy && !strcmp(x->scheme, y->scheme);
}

/* a size as the options write it: 1G, 64M, 512K, or bytes */
static void size_text(uint64_t v, char *buf, size_t len)
{
	static const char suffix[] = "TGMK";

	for (int i = 0; i < 4; i++) {
		unsigned shift = (unsigned)(40 - 10 * i);

		if (v && !(v & ((1ULL << shift) - 1))) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v >> shift), suffix[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* ---------------------------------------------------------------- the table */

static void ratio(FILE *out, int width, double rv, bool have_rv, const struct suite_host *h,
		  int k)
{
	if (have_rv && h->measured && h->ns[k] > 0)
		fprintf(out, " %*.2f", width, rv / h->ns[k]);
	else
		fprintf(out, " %*s", width, "-");
}

/*
 * The one table of the suite, a sweep and a report: a row per cell, in
 * cell_cmp's order (set->c is sorted here).  counts_only: only the exact
 * columns, and nothing but the table.
 */
static void suite_print(FILE *out, struct suite_set *set, bool counts_only)
{
	int w = 8;

	qsort(set->c, set->n, sizeof(set->c[0]), cell_cmp);
	for (size_t i = 0; i < set->n; i++) {
		int l = (int)strlen(set->c[i].workload) + (set->c[i].quick ? 2 : 0);

		if (l > w)
			w = l;
	}
	if (counts_only)
		fprintf(out, "%-*s %-9s %5s %5s %-7s %7s %10s %9s %9s %10s %10s %9s %9s %9s "
			"%9s %9s %8s %8s %4s\n", w, "workload", "scheme", "mem", "swap", "policy",
			"events", "meta peak", "PTEs peak", "walks", "probed", "found", "precision",
			"fork pg", "faults", "unmapped", "reclaimed", "swap out", "swap in", "OOM");
	else
		fprintf(out, "%-*s %-9s %5s %-7s %10s %9s %8s %7s %7s %7s %8s %9s %6s %6s %6s\n",
			w, "workload", "scheme", "mem", "policy", "meta peak", "precision",
			"ns/walk", "fork", "fault", "unmap", "reclaim", "total ms", "fork/L",
			"fault/L", "unmap/L");
	for (size_t i = 0; i < set->n; i++) {
		const struct suite_cell *c = &set->c[i];
		const struct bench_run *r = &c->r;
		uint64_t zapped = r->units[BENCH_MUNMAP] + r->units[BENCH_EXIT];
		uint64_t zap_ns = r->ns[BENCH_MUNMAP] + r->ns[BENCH_EXIT];
		char name[264], mem[24], swap[24];

		snprintf(name, sizeof(name), "%s%s", c->workload, c->quick ? " q" : "");
		size_text(c->mem, mem, sizeof(mem));
		size_text(c->swap, swap, sizeof(swap));
		if (counts_only) {
			fprintf(out, "%-*s %-9s %5s %5s %-7s %7llu %10llu %9llu %9llu %10llu %10llu",
				w, name, c->scheme, mem, c->swap ? swap : "-", policy_name[c->policy],
				(unsigned long long)c->events, (unsigned long long)r->meta_peak,
				(unsigned long long)r->ptes_peak, (unsigned long long)r->walks,
				(unsigned long long)r->probed, (unsigned long long)r->found);
			bench_fig(out, 9, r->found, r->probed, 4);
			fprintf(out, " %9llu %9llu %9llu %9llu %8llu %8llu %4llu\n",
				(unsigned long long)r->units[BENCH_FORK],
				(unsigned long long)r->units[BENCH_FAULT], (unsigned long long)zapped,
				(unsigned long long)r->reclaimed, (unsigned long long)r->swap_outs,
				(unsigned long long)r->swap_ins, (unsigned long long)r->kills);
			continue;
		}
		fprintf(out, "%-*s %-9s %5s %-7s %10llu", w, name, c->scheme, mem,
			policy_name[c->policy], (unsigned long long)r->meta_peak);
		bench_fig(out, 9, r->found, r->probed, 4);
		bench_fig(out, 8, r->walk_ns, r->walks, 1);
		bench_fig(out, 7, r->ns[BENCH_FORK], r->units[BENCH_FORK], 1);
		bench_fig(out, 7, r->ns[BENCH_FAULT], r->units[BENCH_FAULT], 1);
		bench_fig(out, 7, zap_ns, zapped, 1);
		bench_fig(out, 8, r->reclaim_ns, r->reclaimed, 1);
		fprintf(out, " %9.1f", (double)r->wall_ns / 1e6);
		ratio(out, 6, bench_per(r->ns[BENCH_FORK], r->units[BENCH_FORK]),
		      r->units[BENCH_FORK] != 0, &set->host, 0);
		ratio(out, 7, bench_per(r->ns[BENCH_FAULT], r->units[BENCH_FAULT]),
		      r->units[BENCH_FAULT] != 0, &set->host, 1);
		ratio(out, 7, bench_per(zap_ns, zapped), zapped != 0, &set->host, 2);
		fputc('\n', out);
	}
	if (counts_only)
		return;
	fprintf(out, "meta peak: bytes of reverse-map metadata at most; precision: PTEs found / "
		"probed walking every mapped frame once;\nfork: ns per page of the parent; fault: "
		"ns per fault; unmap: ns per PTE zapped by munmap and exit; reclaim: ns per\n"
		"page reclaimed; total: the replay, the walks and the exits; X/L: revmap's ns "
		"per page / Linux's ('-': not measured);\na workload marked q ran at --quick's "
		"sizes\n");
	if (set->host.measured)
		fprintf(out, "Linux here: fork %.1f, fault %.1f, munmap %.1f ns per page (%llu "
			"MiB of anonymous memory, bench core's helper)\n", set->host.ns[0],
			set->host.ns[1], set->host.ns[2],
			(unsigned long long)(set->host.bytes >> 20));
}

/* ---------------------------------------------------------------- JSON */

static int suite_write_json(const char *what, const char *path, const struct suite_set *set)
{
	FILE *f = fopen(path, "w");
	char kernel[128];

	if (!f) {
		fprintf(stderr, "revmap: %s: cannot write %s: %s\n", what, path, strerror(errno));
		return -1;
	}
	host_kernel_release(kernel, sizeof(kernel));
	fprintf(f, "{\n  \"benchmark\": \"suite\",\n  \"suite_format\": %d,\n  \"host\": {"
		"\"kernel\": ", FORMAT_VERSION);
	json_write_str(f, kernel);
	if (set->host.measured)
		fprintf(f, ", \"measured\": true, \"bytes\": %llu, \"fork_ns_per_page\": %.3f, "
			"\"fault_ns_per_page\": %.3f, \"munmap_ns_per_page\": %.3f},\n",
			(unsigned long long)set->host.bytes, set->host.ns[0], set->host.ns[1],
			set->host.ns[2]);
	else {
		fprintf(f, ", \"measured\": false, \"why\": ");
		json_write_str(f, set->host.why);
		fprintf(f, "},\n");
	}
	fprintf(f, "  \"cells\": [");
	for (size_t i = 0; i < set->n; i++) {
		const struct suite_cell *c = &set->c[i];
		struct bench_run r = c->r;

		fprintf(f, "%s\n    {\"workload\": ", i ? "," : "");
		json_write_str(f, c->workload);
		fprintf(f, ", \"source\": ");
		json_write_str(f, c->source);
		if (c->gen >= 0)
			fprintf(f, ", \"gen_case\": %d", c->gen);
		fprintf(f, ", \"scheme\": \"%s\", \"mem_bytes\": %llu, "
			"\"swap_bytes\": %llu, \"reclaim\": \"%s\", \"quick\": %s, \"events\": %llu",
			c->scheme, (unsigned long long)c->mem,
			(unsigned long long)c->swap, policy_name[c->policy],
			c->quick ? "true" : "false", (unsigned long long)c->events);
		for (size_t k = 0; k < NR_RUN_FIELDS; k++)
			fprintf(f, ", \"%s\": %llu", run_fields[k].key,
				(unsigned long long)*run_field(&r, k));
		fprintf(f, ", \"precision\": %.6f, \"ns_per_walk\": %.2f}",
			bench_per(r.found, r.probed), bench_per(r.walk_ns, r.walks));
	}
	fprintf(f, "\n  ]\n}\n");
	if (fclose(f)) {
		fprintf(stderr, "revmap: %s: error writing %s\n", what, path);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- plots */

/* a data file for one figure: a row per workload (and machine when there
 * are several), a column per scheme; "-" where a cell is missing or, on a
 * log scale, zero */
static int plot_data(const char *dir, const char *name, const struct suite_set *set,
		     double (*fig)(const struct suite_cell *), bool logscale,
		     const char **schemes, int nschemes, bool machines)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "workload");
	for (int k = 0; k < nschemes; k++)
		fprintf(f, " %s", schemes[k]);
	fputc('\n', f);
	for (size_t i = 0; i < set->n; ) {
		const struct suite_cell *row = &set->c[i];
		char mem[24];

		size_text(row->mem, mem, sizeof(mem));
		fputc('"', f);
		/* a label: the trace's name without ".trace" and what follows */
		const char *end = strstr(row->workload, ".trace");
		size_t len = end ? (size_t)(end - row->workload) : strlen(row->workload);
		for (size_t k = 0; k < len; k++)
			fputc(row->workload[k] == '"' ? '\'' : row->workload[k], f);
		if (machines)
			fprintf(f, " %s %s", mem, policy_name[row->policy]);
		fputc('"', f);
		for (int k = 0; k < nschemes; k++) {
			const struct suite_cell *c = NULL;

			for (size_t j = i; j < set->n && set->c[j].gen == row->gen &&
			     !strcmp(set->c[j].workload, row->workload) &&
			     set->c[j].mem == row->mem && set->c[j].policy == row->policy &&
			     set->c[j].quick == row->quick; j++)
				if (!strcmp(set->c[j].scheme, schemes[k]))
					c = &set->c[j];
			if (c && (!logscale || fig(c) > 0))
				fprintf(f, " %.6g", fig(c));
			else
				fprintf(f, " -");
		}
		fputc('\n', f);
		while (i < set->n && set->c[i].gen == row->gen &&
		       !strcmp(set->c[i].workload, row->workload) && set->c[i].mem == row->mem &&
		       set->c[i].policy == row->policy && set->c[i].quick == row->quick)
			i++;
	}
	return fclose(f) ? -1 : 0;
}

static double fig_meta(const struct suite_cell *c) { return (double)c->r.meta_peak; }
static double fig_walk(const struct suite_cell *c) { return bench_per(c->r.walk_ns, c->r.walks); }
static double fig_prec(const struct suite_cell *c) { return bench_per(c->r.found, c->r.probed); }
static double fig_wall(const struct suite_cell *c) { return (double)c->r.wall_ns / 1e6; }

static const struct plot {
	const char *name;          /* NAME.dat, NAME.svg */
	const char *title, *ylabel;
	double (*fig)(const struct suite_cell *);
	bool logscale;
} plots[] = {
	{ "metadata-bytes", "reverse-map metadata at its peak", "bytes", fig_meta, true },
	{ "ns-per-walk", "time per rmap walk (every mapped frame once)", "ns", fig_walk, true },
	{ "precision", "walk precision: PTEs found / PTEs probed", "found / probed", fig_prec,
	  false },
	{ "total-time", "time of the whole run", "ms", fig_wall, true },
};
#define NR_PLOTS (sizeof(plots) / sizeof(plots[0]))

/*
 * Write one SVG per figure into dir with gnuplot: the data files and the
 * script plots.gp are left there.  => 0 (also when gnuplot is missing:
 * a warning then), or -1 when dir cannot be written or gnuplot failed.
 */
static int suite_plots(const char *what, const char *dir, struct suite_set *set)
{
	const char *schemes[BENCH_MAX_SCHEMES];
	int nschemes = 0, st;
	bool machines = false;
	char path[PATH_MAX];
	FILE *f;
	pid_t pid;

	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "revmap: %s: cannot make %s: %s\n", what, dir, strerror(errno));
		return -1;
	}
	qsort(set->c, set->n, sizeof(set->c[0]), cell_cmp);
	for (unsigned i = 0; i < rmap_nr_schemes && nschemes < BENCH_MAX_SCHEMES; i++)
		for (size_t j = 0; j < set->n; j++)
			if (!strcmp(set->c[j].scheme, rmap_schemes[i]->name)) {
				schemes[nschemes++] = rmap_schemes[i]->name;
				break;
			}
	for (size_t j = 1; j < set->n; j++)
		if (set->c[j].mem != set->c[0].mem || set->c[j].policy != set->c[0].policy)
			machines = true;
	snprintf(path, sizeof(path), "%s/plots.gp", dir);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "revmap: %s: cannot write %s: %s\n", what, path, strerror(errno));
		return -1;
	}
	fprintf(f, "# revmap's plots: gnuplot plots.gp in this directory\n"
		"set terminal svg size 1000,560 dynamic font 'sans,11'\n"
		"set datafile missing '-'\nset style data histograms\n"
		"set style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
		"set key outside right top\nset xtics rotate by -35 nomirror\nset grid ytics\n"
		"set linetype cycle 12\n");
	for (size_t p = 0; p < NR_PLOTS; p++) {
		if (plot_data(dir, plots[p].name, set, plots[p].fig, plots[p].logscale, schemes,
			      nschemes, machines)) {
			fprintf(stderr, "revmap: %s: cannot write %s/%s.dat\n", what, dir,
				plots[p].name);
			fclose(f);
			return -1;
		}
		fprintf(f, "\nset output '%s.svg'\nset title '%s'\nset ylabel '%s'\n%s\n"
			"plot for [i=2:%d] '%s.dat' using i:xtic(1) title columnheader(i) lt i\n",
			plots[p].name, plots[p].title, plots[p].ylabel,
			plots[p].logscale ? "set logscale y" : "unset logscale y", nschemes + 1,
			plots[p].name);
	}
	if (fclose(f)) {
		fprintf(stderr, "revmap: %s: error writing %s\n", what, path);
		return -1;
	}
	if (!nschemes)
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int log;

		if (chdir(dir))
			_exit(126);
		/* its warnings (a scheme with nothing to plot) go to gnuplot.log */
		log = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (log >= 0) {
			dup2(log, STDOUT_FILENO);
			dup2(log, STDERR_FILENO);
		}
		execlp("gnuplot", "gnuplot", "plots.gp", (char *)NULL);
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		fprintf(stderr, "revmap: %s: cannot run gnuplot: %s\n", what, strerror(errno));
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		fprintf(stderr, "revmap: %s: warning: no gnuplot here: the plots were not drawn "
			"(their data and script are in %s; make deps installs gnuplot-nox)\n", what,
			dir);
		return 0;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "revmap: %s: gnuplot %s/plots.gp failed (%s/gnuplot.log says "
			"why)\n", what, dir, dir);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- workloads */

/* what a cell replays */
struct workload {
	char name[256];            /* the trace's file name, or the case's name */
	char source[PATH_MAX];     /* its absolute path, or "gen:NAME" */
	int gen;                   /* the generated case's index, or -1 */
};

static bool trace_name(const char *name)
{
	static const char *const suffix[] = { ".trace", ".trace.gz", ".trace.zst" };
	size_t n = strlen(name);

	for (int i = 0; i < 3; i++) {
		size_t l = strlen(suffix[i]);

		if (n > l && !strcmp(name + n - l, suffix[i]))
			return true;
	}
	return false;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct workload *)a)->name, ((const struct workload *)b)->name);
}

/*
 * The default workloads directory: workloads/ here if it is a directory;
 * else share/revmap/workloads beside the bin/ this program runs from, if it
 * is one (an install under any PREFIX); else under the PREFIX it was built
 * for.  => the path (in buf, or a constant)
 */
static const char *default_workloads(char *buf, size_t len)
{
	struct stat sb;
	ssize_t n;
	char *slash;

	if (!stat("workloads", &sb) && S_ISDIR(sb.st_mode))
		return "workloads";
	n = readlink("/proc/self/exe", buf, len - 1);
	if (n > 0) {
		buf[n] = 0;
		for (int up = 0; up < 2 && (slash = strrchr(buf, '/')); up++)
			*slash = 0;                    /* PREFIX/bin/revmap -> PREFIX */
		if ((size_t)n + sizeof("/share/revmap/workloads") < len) {
			strcat(buf, "/share/revmap/workloads");
			if (!stat(buf, &sb) && S_ISDIR(sb.st_mode))
				return buf;
		}
	}
	return REVMAP_PREFIX "/share/revmap/workloads";
}

/*
 * The suite's workloads, in its order: the traces of dir (NULL:
 * default_workloads) by name,
 * then the generated cases.  => their number with *out (to free), or -1;
 * an explicit dir that cannot be read is an error, a default one that does
 * not exist or holds no trace is said on stderr.
 */
static int workloads_list(const char *what, const char *dir, struct workload **out)
{
	struct workload *w = NULL;
	char installed[PATH_MAX];
	const char *d = dir;
	int n = 0, cap = 0;
	DIR *dp = NULL;
	struct dirent *de;

	if (!d)
		d = default_workloads(installed, sizeof(installed));
	dp = opendir(d);
	if (!dp && dir) {
		fprintf(stderr, "revmap: %s: cannot read the workloads directory %s: %s; see "
			"'revmap help %s'\n", what, d, strerror(errno), what);
		return -1;
	}
	while (dp && (de = readdir(dp))) {
		char rel[PATH_MAX + 258];

		if (!trace_name(de->d_name))
			continue;
		if (n == cap) {
			struct workload *nw = realloc(w, (size_t)(cap = cap ? 2 * cap : 16) *
						      sizeof(*nw));

			if (!nw)
				goto oom;
			w = nw;
		}
		snprintf(w[n].name, sizeof(w[n].name), "%s", de->d_name);
		snprintf(rel, sizeof(rel), "%s/%s", d, de->d_name);
		if (!realpath(rel, w[n].source)) {
			fprintf(stderr, "revmap: %s: %s: %s\n", what, rel, strerror(errno));
			closedir(dp);
			free(w);
			return -1;
		}
		w[n].gen = -1;
		n++;
	}
	if (dp)
		closedir(dp);
	if (!n)
		fprintf(stderr, "revmap: %s: no workload traces (*.trace, *.trace.gz, *.trace.zst) "
			"in %s: the generated cases only\n", what, d);
	qsort(w, (size_t)n, sizeof(*w), name_cmp);
	{
		struct workload *nw = realloc(w, (size_t)(n + bench_gen_cases()) * sizeof(*nw));

		if (!nw)
			goto oom;
		w = nw;
	}
	for (int i = 0; i < bench_gen_cases(); i++, n++) {
		snprintf(w[n].name, sizeof(w[n].name), "%s", bench_gen_case_name(i));
		snprintf(w[n].source, sizeof(w[n].source), GEN_PREFIX "%s", bench_gen_case_name(i));
		w[n].gen = i;
	}
	*out = w;
	return n;
oom:
	if (dp)
		closedir(dp);
	free(w);
	fprintf(stderr, "revmap: out of host memory\n");
	return -1;
}

/* read or make a workload's trace => 0, or -1 (said) */
static int workload_trace(const char *what, const struct workload *w, bool quick,
			  struct tr_trace *t)
{
	char err[512];
	struct gen_size sz;

	if (w->gen >= 0)
		return bench_gen_case_make(w->gen, quick, &sz, t);
	if (tr_parse_file(w->source, t, err, sizeof(err))) {
		fprintf(stderr, "revmap: %s: %s\n", what, err);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- running */

/* the machine of the cells a run makes */
struct machine {
	uint64_t mem, swap;
	int policy;
};

static void measure_host(const char *what, struct suite_host *h, bool quick, bool wanted)
{
	memset(h, 0, sizeof(*h));
	if (!wanted) {
		snprintf(h->why, sizeof(h->why), "not measured (--no-host)");
		return;
	}
	h->bytes = quick ? 16ULL << 20 : 64ULL << 20;
	h->measured = !bench_core_linux(h->bytes, h->ns, h->why, sizeof(h->why));
	if (!h->measured)
		fprintf(stderr, "revmap: %s: warning: the Linux kernel here could not be measured "
			"(%s): the X/L columns say '-'\n", what, h->why);
}

/* the time fields of a run, which a cell takes as medians over its runs */
#define SUITE_RUNS 3
#define SUITE_TIMES (BENCH_NR_PHASES + 3)

static uint64_t *run_time_field(struct bench_run *r, int k)
{
	if (k < BENCH_NR_PHASES)
		return &r->ns[k];
	if (k == BENCH_NR_PHASES)
		return &r->walk_ns;
	if (k == BENCH_NR_PHASES + 1)
		return &r->reclaim_ns;
	return &r->wall_ns;
}

static void run_times(struct bench_run *r, uint64_t v[SUITE_TIMES][SUITE_RUNS], int run)
{
	for (int k = 0; k < SUITE_TIMES; k++)
		v[k][run] = *run_time_field(r, k);
}

static void run_medians(struct bench_run *r, uint64_t v[SUITE_TIMES][SUITE_RUNS], int runs)
{
	for (int k = 0; k < SUITE_TIMES; k++)
		*run_time_field(r, k) = bench_median(v[k], runs);
}

/* the exact counts of two runs of one cell agree */
static bool run_counts_equal(const struct bench_run *a, const struct bench_run *b)
{
	return a->state_hash == b->state_hash && a->walks == b->walks && a->probed == b->probed &&
	       a->found == b->found && a->meta_peak == b->meta_peak &&
	       a->reclaimed == b->reclaimed && a->kills == b->kills &&
	       !memcmp(a->units, b->units, sizeof(a->units)) &&
	       !memcmp(a->events, b->events, sizeof(a->events));
}

/*
 * Run one workload under schemes on machine m, adding its cells to set.
 * Schemes that ran without reclaim or OOM kills must leave one state.
 * => 0, or 1 (said on stderr)
 */
static int run_workload(const char *what, const struct workload *w, bool quick,
			const struct bench_set *schemes, const struct machine *m,
			struct suite_set *set, struct progress *pg)
{
	struct rv_options o = { 0 };
	struct suite_cell c;
	struct tr_trace t;
	size_t first = set->n, walk_after = BENCH_WALK_AT_END;
	int status = 0;

	if (workload_trace(what, w, quick, &t))
		return 1;
	o.mem_bytes = m->mem;
	o.swap_bytes = m->swap;
	o.reclaim = m->policy;
	/*
	 * Where to walk every mapped frame: at the end, as bench rmap, unless
	 * nothing is mapped there (a recorded program whose processes all
	 * exited); then right after the event where the most PTEs were present,
	 * as the default scheme finds it on this machine, so that every scheme,
	 * in one run or in a sweep's jobs, walks the same state.
	 */
	/*
	 * The same replay, untimed, first for every workload: it also warms the
	 * host's memory, which the previous workload may have left cold (a big
	 * one's metadata freed back to the kernel): without it the first
	 * scheme's cell paid for that (filemap's avc fault cost read 2.7 us
	 * after the chain case, 0.4 us alone)
	 */
	{
		struct bench_run pre;

		if (bench_run_trace(what, &o, NULL, &t, BENCH_RUN_KILLS_OK | BENCH_RUN_EXACT,
				    BENCH_WALK_AT_END, &pre)) {
			tr_free(&t);
			return 1;
		}
		if (w->gen < 0 && !pre.walks && pre.ptes_peak)
			walk_after = pre.ptes_peak_event;
	}
	/*
	 * Each cell's times are the median of SUITE_RUNS runs (one with
	 * --quick), the schemes taking turns run by run, as bench rmap does, so
	 * that the machine's drift falls on all of them; the counts are exact
	 * and must not differ between runs.
	 */
	size_t base = set->n;
	int runs = quick ? 1 : SUITE_RUNS;
	uint64_t (*tv)[SUITE_TIMES][SUITE_RUNS] = calloc(schemes->n, sizeof(*tv));

	if (!tv) {
		tr_free(&t);
		return 1;
	}
	for (int run = 0; run < runs && !status; run++) {
		for (unsigned i = 0; i < schemes->n && !status; i++) {
			struct bench_run r;

			memset(&c, 0, sizeof(c));
			snprintf(c.workload, sizeof(c.workload), "%s", w->name);
			snprintf(c.source, sizeof(c.source), "%s", w->source);
			snprintf(c.scheme, sizeof(c.scheme), "%s", schemes->ops[i]->name);
			c.gen = w->gen;
			c.mem = m->mem;
			c.swap = m->swap;
			c.policy = m->policy;
			c.quick = quick && w->gen >= 0;
			c.events = t.n;
			progress_show(pg, w->gen >= 0 ? t.path : w->name, c.scheme);
			if (bench_run_trace(what, &o, c.scheme, &t,
					    BENCH_RUN_KILLS_OK | BENCH_RUN_EXACT, walk_after, &r)) {
				status = 1;
				break;
			}
			run_times(&r, tv[i], run);
			if (run == 0) {
				c.r = r;
				if (set_add(set, &c))
					status = 1;
			} else if (!run_counts_equal(&set->c[base + i].r, &r)) {
				fprintf(stderr, "revmap: %s: %s under %s: a second run did not do the "
					"same work as the first\n", what, w->name, c.scheme);
				status = 1;
			}
			if (run == runs - 1) {
				run_medians(&set->c[base + i].r, tv[i], runs);
				pg->done++;
			}
		}
	}
	free(tv);
	for (size_t i = first + 1; i < set->n && !status; i++) {
		const struct bench_run *a = &set->c[first].r, *b = &set->c[i].r;

		if (a->reclaimed || a->kills || b->reclaimed || b->kills)
			continue;
		if (a->state_hash != b->state_hash) {
			fprintf(stderr, "revmap: %s: %s: schemes %s and %s leave different states\n",
				what, t.path, set->c[first].scheme, set->c[i].scheme);
			status = 1;
		}
	}
	tr_free(&t);
	return status;
}

static int suite_finish(const char *what, struct suite_set *set, const struct suite_opts *o,
			FILE *out)
{
	int status = 0;

	suite_print(out, set, o->counts_only);
	fflush(out);
	if (o->json && suite_write_json(what, o->json, set))
		status = 1;
	if (o->plots && suite_plots(what, o->plots, set))
		status = 1;
	return status;
}

static int parse_policy(const char *s)
{
	return !strcmp(s, "lru") ? RV_RECLAIM_LRU : !strcmp(s, "virtual") ? RV_RECLAIM_VIRTUAL : -1;
}

/* bench --one SOURCE: the workload it names */
static int one_workload(const char *source, struct workload *w)
{
	const char *base;

	memset(w, 0, sizeof(*w));
	w->gen = -1;
	if (!strncmp(source, GEN_PREFIX, strlen(GEN_PREFIX))) {
		for (int i = 0; i < bench_gen_cases(); i++)
			if (!strcmp(source + strlen(GEN_PREFIX), bench_gen_case_name(i)))
				w->gen = i;
		if (w->gen < 0) {
			fprintf(stderr, "revmap: bench: --one %s: no such generated case (there "
				"are", source);
			for (int i = 0; i < bench_gen_cases(); i++)
				fprintf(stderr, " %s%s", GEN_PREFIX, bench_gen_case_name(i));
			fprintf(stderr, "); see 'revmap help bench'\n");
			return -1;
		}
		snprintf(w->name, sizeof(w->name), "%s", bench_gen_case_name(w->gen));
		snprintf(w->source, sizeof(w->source), "%s", source);
		return 0;
	}
	base = strrchr(source, '/');
	snprintf(w->name, sizeof(w->name), "%s", base ? base + 1 : source);
	if (!realpath(source, w->source))
		snprintf(w->source, sizeof(w->source), "%s", source);
	return 0;
}

int bench_suite(const struct suite_opts *o, FILE *out)
{
	struct suite_set set = { 0 };
	struct bench_set schemes;
	struct workload *w = NULL;
	struct machine m = { o->mem ? o->mem : 1ULL << 30, o->swap, o->policy };
	struct progress pg;
	int n, status = 0;

	if (bench_set_parse(&schemes, "bench", o->schemes))
		return 2;
	if (o->one) {
		w = malloc(sizeof(*w));
		if (!w)
			return 1;
		if (one_workload(o->one, w)) {
			free(w);
			return 2;
		}
		n = 1;
		measure_host("bench", &set.host, o->quick, !o->no_host);
		progress_init(&pg, schemes.n);
		status = run_workload("bench", w, o->quick, &schemes, &m, &set, &pg);
	} else {
		n = workloads_list("bench", o->workloads, &w);
		if (n < 0)
			return 2;
		measure_host("bench", &set.host, o->quick, !o->no_host);
		if (!o->counts_only)
			fprintf(out, "revmap bench%s: %d workloads x %u schemes, memory %llu MiB, "
				"swap %llu MiB, reclaim %s\n", o->quick ? " --quick" : "", n, schemes.n,
				(unsigned long long)(m.mem >> 20), (unsigned long long)(m.swap >> 20),
				policy_name[m.policy]);
		progress_init(&pg, (unsigned)n * schemes.n);
		for (int i = 0; i < n && !status; i++)
			status = run_workload("bench", &w[i], o->quick, &schemes, &m, &set, &pg);
	}
	progress_end(&pg);
	if (!status)
		status = suite_finish("bench", &set, o, out);
	free(set.c);
	free(w);
	return status;
}

/* ---------------------------------------------------------------- sweeps */

/* a comma-separated list => its items in a malloc'd copy (*buf), or -1 */
static int split_list(const char *list, char **buf, char **items, int max)
{
	int n = 0;
	char *save = NULL;

	*buf = strdup(list);
	if (!*buf)
		return -1;
	for (char *p = strtok_r(*buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return -1;
		items[n++] = p;
	}
	return n;
}

/* print s for a POSIX shell: as it is when it is safe, else single-quoted */
static void shell_word(FILE *out, const char *s)
{
	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "_./:=,+-@%") == strlen(s)) {
		fputs(s, out);
		return;
	}
	fputc('\'', out);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	fputc('\'', out);
}

/* a job's result file: WORKLOAD.SCHEME.MEM.POLICY[.quick].json, the
 * workload's characters other than letters, digits, '.', '+', '-' and '_'
 * as '_' (distinct trace names stay distinct but for such characters:
 * bench_sweep checks) */
static void job_file(char *buf, size_t len, const struct workload *w, const char *scheme,
		     uint64_t mem, int policy, bool quick)
{
	char name[256], m[24];
	size_t i;

	for (i = 0; w->name[i] && i + 1 < sizeof(name); i++) {
		char c = w->name[i];

		name[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || strchr(".+-_", c) ? c : '_';
	}
	name[i] = 0;
	size_text(mem, m, sizeof(m));
	snprintf(buf, len, "%s.%s.%s.%s%s.json", name, scheme, m, policy_name[policy],
		 quick ? ".quick" : "");
}

#define SWEEP_MAX 16               /* items in one list option */

int bench_sweep(const struct suite_opts *o, bool run, FILE *out)
{
	static const char quick_schemes[] = "avc,ptechain", quick_mems[] = "1G,2M";
	const char *mem_list = o->mems ? o->mems : o->quick ? quick_mems : "1G,64M";
	const char *pol_list = o->policies ? o->policies : "lru,virtual";
	char *mem_buf = NULL, *pol_buf = NULL, *mem_it[SWEEP_MAX], *pol_it[SWEEP_MAX];
	uint64_t mems[SWEEP_MAX];
	int pols[SWEEP_MAX], nmem, npol, n, status = 0, pick[2], npick = 0;
	char self[PATH_MAX];
	struct bench_set schemes;
	struct suite_set set = { 0 };
	struct workload *w = NULL;
	struct progress pg;
	ssize_t sl;

	if (bench_set_parse(&schemes, "sweep", o->schemes ? o->schemes :
			    o->quick ? quick_schemes : NULL))
		return 2;
	nmem = split_list(mem_list, &mem_buf, mem_it, SWEEP_MAX);
	npol = split_list(pol_list, &pol_buf, pol_it, SWEEP_MAX);
	for (int i = 0; i < nmem; i++)
		if (rv_parse_size(mem_it[i], &mems[i]) || mems[i] < (64 << 10)) {
			fprintf(stderr, "revmap: sweep: bad size '%s' in --mem '%s' (at least 64K; "
				"K/M/G/T suffixes); see 'revmap help sweep'\n", mem_it[i], mem_list);
			nmem = -1;
			break;
		}
	for (int i = 0; i < npol; i++)
		if ((pols[i] = parse_policy(pol_it[i])) < 0) {
			fprintf(stderr, "revmap: sweep: --reclaim takes lru and virtual, not '%s'; "
				"see 'revmap help sweep'\n", pol_it[i]);
			npol = -1;
			break;
		}
	if (nmem <= 0 || npol <= 0) {
		if (nmem == 0 || npol == 0)
			fprintf(stderr, "revmap: sweep: an empty --mem or --reclaim list; see "
				"'revmap help sweep'\n");
		free(mem_buf);
		free(pol_buf);
		return 2;
	}
	n = workloads_list("sweep", o->workloads, &w);
	if (n < 0) {
		free(mem_buf);
		free(pol_buf);
		return 2;
	}
	/* --quick: the first trace (if any) and the first generated case */
	for (int i = 0; i < n && o->quick; i++)
		if ((w[i].gen < 0 && !npick) || w[i].gen == 0)
			pick[npick++] = i;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++) {
			char a[PATH_MAX], b[PATH_MAX];

			job_file(a, sizeof(a), &w[i], "", 0, 0, false);
			job_file(b, sizeof(b), &w[j], "", 0, 0, false);
			if (!run && !strcmp(a, b)) {
				fprintf(stderr, "revmap: sweep: the traces %s and %s would write to the "
					"same result files; rename one\n", w[j].name, w[i].name);
				status = 1;
			}
		}
	if (run)
		measure_host("sweep", &set.host, o->quick, !o->no_host);
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[sl > 0 ? sl : 0] = 0;
	if (sl <= 0)
		snprintf(self, sizeof(self), "revmap");
	progress_init(&pg, (unsigned)((o->quick ? npick : n) * nmem * npol) * schemes.n);
	for (int k = 0; k < (o->quick ? npick : n) && !status; k++) {
		int i = o->quick ? pick[k] : k;

		for (int mi = 0; mi < nmem && !status; mi++)
			for (int p = 0; p < npol && !status; p++) {
				/* swap as big as the memory: reclaim has somewhere to
				 * put anonymous pages below 1 GiB, none above */
				struct machine m = { mems[mi], mems[mi] < (1ULL << 30) ? mems[mi] : 0,
						     pols[p] };

				if (run) {
					status = run_workload("sweep", &w[i], o->quick, &schemes, &m,
							      &set, &pg);
					continue;
				}
				for (unsigned s = 0; s < schemes.n; s++) {
					char file[PATH_MAX], sz[24];

					job_file(file, sizeof(file), &w[i], schemes.ops[s]->name, m.mem,
						 m.policy, o->quick && w[i].gen >= 0);
					shell_word(out, self);
					fputs(" bench --one ", out);
					shell_word(out, w[i].source);
					size_text(m.mem, sz, sizeof(sz));
					fprintf(out, " --scheme %s --mem %s", schemes.ops[s]->name, sz);
					if (m.swap) {
						size_text(m.swap, sz, sizeof(sz));
						fprintf(out, " --swap %s", sz);
					}
					fprintf(out, " --reclaim %s%s%s --json ", policy_name[m.policy],
						o->quick ? " --quick" : "", o->no_host ? " --no-host" : "");
					shell_word(out, file);
					fputc('\n', out);
				}
			}
	}
	progress_end(&pg);
	if (run && !status)
		status = suite_finish("sweep", &set, o, out);
	free(set.c);
	free(w);
	free(mem_buf);
	free(pol_buf);
	return status;
}

/* ---------------------------------------------------------------- reports */

static const char *jstr(const struct json_val *o, const char *key)
{
	const struct json_val *v = json_get(o, key);

	return v && v->type == JSON_STR ? v->str : NULL;
}

static bool juint(const struct json_val *o, const char *key, uint64_t *out)
{
	const struct json_val *v = json_get(o, key);

	if (!v || v->type != JSON_NUM || !v->is_uint)
		return false;
	*out = v->u64;
	return true;
}

/* one cell from its JSON object => 0, or -1 with what is wrong in why */
static int cell_read(const struct json_val *j, struct suite_cell *c, const char **why)
{
	const char *wl = jstr(j, "workload"), *src = jstr(j, "source");
	const char *sch = jstr(j, "scheme"), *pol = jstr(j, "reclaim");
	const struct json_val *q = json_get(j, "quick");
	uint64_t gen = 0;
	bool is_gen = juint(j, "gen_case", &gen);

	memset(c, 0, sizeof(*c));
	if (!wl || !src || !sch || !pol || !q || q->type != JSON_BOOL ||
	    gen > INT_MAX || !juint(j, "mem_bytes", &c->mem) ||
	    !juint(j, "swap_bytes", &c->swap) || !juint(j, "events", &c->events)) {
		*why = "a cell without its workload, source, scheme, machine or events";
		return -1;
	}
	if (strlen(wl) >= sizeof(c->workload) || strlen(src) >= sizeof(c->source) ||
	    strlen(sch) >= sizeof(c->scheme) || (c->policy = parse_policy(pol)) < 0) {
		*why = "a cell whose workload, source, scheme or reclaim policy is not one";
		return -1;
	}
	strcpy(c->workload, wl);
	strcpy(c->source, src);
	strcpy(c->scheme, sch);
	c->gen = is_gen ? (int)gen : -1;
	c->quick = q->b;
	for (size_t k = 0; k < NR_RUN_FIELDS; k++)
		if (!juint(j, run_fields[k].key, run_field(&c->r, k))) {
			*why = "a cell without one of its counts or times";
			return -1;
		}
	return 0;
}

/* read one result file into set; host figures into hosts[*nh] => 0, or -1 */
static int report_file(const char *path, struct suite_set *set, double (*hosts)[3],
		       uint64_t *host_bytes, size_t *nh, size_t maxh)
{
	struct json_val doc;
	const struct json_val *cells, *h, *v;
	const char *why = NULL;
	char err[256];
	char *text = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "r");
	int status = -1;

	if (!f) {
		fprintf(stderr, "revmap: report: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t got;

		if (cap - len < 65536) {
			char *t = realloc(text, cap = cap ? 2 * cap : 65536 * 2);

			if (!t) {
				free(text);
				fclose(f);
				fprintf(stderr, "revmap: out of host memory\n");
				return -1;
			}
			text = t;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (!got)
			break;
	}
	fclose(f);
	if (json_parse(text, len, &doc, err, sizeof(err))) {
		fprintf(stderr, "revmap: report: %s: not JSON: %s\n", path, err);
		free(text);
		return -1;
	}
	free(text);
	v = json_get(&doc, "benchmark");
	cells = json_get(&doc, "cells");
	if (!v || v->type != JSON_STR || strcmp(v->str, "suite") || !cells ||
	    cells->type != JSON_ARR) {
		why = "not a result of revmap bench or a sweep job (no \"benchmark\": \"suite\" "
		      "with its \"cells\")";
		goto out;
	}
	for (size_t i = 0; i < cells->n; i++) {
		struct suite_cell c;

		if (cell_read(&cells->items[i], &c, &why))
			goto out;
		for (size_t k = 0; k < set->n; k++)
			if (same_cell(&set->c[k], &c)) {
				fprintf(stderr, "revmap: report: %s: %s under %s is there twice (this "
					"file and another)\n", path, c.workload, c.scheme);
				why = "";
				goto out;
			}
		if (set_add(set, &c)) {
			why = "";
			goto out;
		}
	}
	h = json_get(&doc, "host");
	v = h ? json_get(h, "measured") : NULL;
	if (v && v->type == JSON_BOOL && v->b && *nh < maxh) {
		static const char *const key[3] = { "fork_ns_per_page", "fault_ns_per_page",
						    "munmap_ns_per_page" };
		bool ok = juint(h, "bytes", host_bytes);

		for (int k = 0; k < 3 && ok; k++) {
			v = json_get(h, key[k]);
			ok = v && v->type == JSON_NUM;
			if (ok)
				hosts[*nh][k] = v->num;
		}
		if (ok)
			(*nh)++;
	}
	status = 0;
out:
	if (why && *why)
		fprintf(stderr, "revmap: report: %s: %s\n", path, why);
	json_free(&doc);
	return status;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* every *.json of dir, by name, into report_file => 0, or -1 */
static int report_dir(const char *dir, struct suite_set *set, double (*hosts)[3],
		      uint64_t *host_bytes, size_t *nh, size_t maxh, unsigned *nfiles)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int status = 0;

	if (!dp) {
		fprintf(stderr, "revmap: report: cannot read %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(dp))) {
		size_t l = strlen(de->d_name);

		if (l <= 5 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		if (n == cap) {
			char **t = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*t));

			if (!t) {
				status = -1;
				break;
			}
			names = t;
		}
		if (!(names[n] = malloc(strlen(dir) + l + 2))) {
			status = -1;
			break;
		}
		sprintf(names[n++], "%s/%s", dir, de->d_name);
	}
	closedir(dp);
	if (!status && !n) {
		fprintf(stderr, "revmap: report: no *.json in %s\n", dir);
		status = -1;
	}
	qsort(names, n, sizeof(*names), path_cmp);
	for (size_t i = 0; i < n && !status; i++) {
		status = report_file(names[i], set, hosts, host_bytes, nh, maxh);
		++*nfiles;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return status;
}

int bench_report(const struct suite_opts *o, char **paths, int npaths, FILE *out)
{
	struct suite_set set = { 0 };
	size_t nh = 0, maxh = 4096;
	double (*hosts)[3] = calloc(maxh, sizeof(*hosts));
	uint64_t host_bytes = 0;
	unsigned nfiles = 0;
	int status = 0;

	if (!hosts)
		return 1;
	for (int i = 0; i < npaths && !status; i++) {
		struct stat sb;

		if (!stat(paths[i], &sb) && S_ISDIR(sb.st_mode)) {
			status = report_dir(paths[i], &set, hosts, &host_bytes, &nh, maxh, &nfiles);
		} else {
			status = report_file(paths[i], &set, hosts, &host_bytes, &nh, maxh);
			nfiles++;
		}
	}
	if (!status) {
		/* Linux's figures: each operation's median over the files that had them */
		if (nh) {
			double v[4096];

			set.host.measured = true;
			set.host.bytes = host_bytes;
			for (int k = 0; k < 3; k++) {
				for (size_t i = 0; i < nh; i++)
					v[i] = hosts[i][k];
				qsort(v, nh, sizeof(v[0]), dcmp);
				set.host.ns[k] = v[nh / 2];
			}
		} else {
			snprintf(set.host.why, sizeof(set.host.why), "no file measured it");
		}
		if (!o->counts_only)
			fprintf(out, "revmap report: %zu results from %u files\n", set.n, nfiles);
		status = suite_finish("report", &set, o, out);
	}
	free(hosts);
	free(set.c);
	return status ? 1 : 0;
}
