/*
 * bench/rmap.c - the reverse-mapping benchmark: every registered scheme
 * side by side, in one run, on the debate's hard cases.
 *
 *   revmap bench rmap [--quick] [--json FILE] [--mem SIZE]
 *
 * The cases are gen/hardcase.c's (gentrace --kind): chain (a fork chain
 * with COW, splits and moves at each level), prefork (a big heap and many
 * children), filemap (a file mapped shared and private by many processes,
 * then truncated), filemap-mlock (the same with every mapping shared and
 * mlocked: seed 004's database, where mlock without chains saves the
 * chains), mremap (COW-shared memory moved in every process) and mlock
 * (locked private and shared memory across fork).  Each case is made
 * once, at the sizes below (--quick: smaller), parsed once, and replayed by
 * every scheme on a machine of its own; in each repetition the schemes take
 * turns, so that they see the same host load, and each figure is the
 * median of the repetitions.  Work counts are exact and the same in every
 * repetition.
 *
 * Per scheme and case:
 *
 *   meta peak     the most reverse-map metadata the scheme ever held
 *                 (rmap_bytes_peak: its objects, tails and per-frame words;
 *                 mm/'s anonymous identity counts only for a scheme built of
 *                 it, as avc is)
 *   B/page        meta peak / the most present PTEs the machine had (both
 *                 maxima over the run, taken after each event)
 *   precision     PTEs found / PTEs probed when, at the end of the trace,
 *                 every mapped frame is walked once (1.0: the scheme looks
 *                 only where the page is)
 *   VMAs/walk     VMAs looked at per walk
 *   fallback      walks that fell back to a search (stats.rmap_fallbacks)
 *                 / walks, file pages' walks included: for a scheme that
 *                 finds some pages directly and searches for the others
 *                 (vmaoff); 0 for a scheme that never searches, and for
 *                 scan, whose every walk is its search
 *   depth         for the schemes built of object trees (astree,
 *                 vmainode): the mean depth of the tree walked below a
 *                 page's object in those walks ('-' for the others)
 *   ns/walk       the time of those walks / the walks
 *   fork          fork events: time / the parent's present PTEs
 *   fault         r, w and touch events that faulted: time / faults
 *   munmap        munmap events: time / PTEs zapped
 *   exit          exit events, the trace's and the teardown of every live
 *                 process after the walks: time / PTEs zapped
 *
 * The schemes must agree on everything but the figures: the state each
 * leaves (the dump of every process, frame contents hashed) is compared,
 * and a difference fails the run.  Nothing here is timed against an
 * absolute target; the ratios between schemes are the point, and they are
 * measured in the same run.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "../sim/sim.h"
#include "../rmap/scheme.h"
#include "../host/host.h"
#include "../gen/hardcase.h"
#include "bench.h"

#define MAX_REPS 5

/* the sizes of each case: the benchmark's and --quick's */
static const struct bench_size {
	unsigned procs;
	uint64_t pages;
} full_size[NR_GEN_KINDS] = {
	[GEN_CHAIN]   = { 200, 256 },
	[GEN_PREFORK] = { 300, 4096 },
	[GEN_FILEMAP] = { 300, 1024 },
	[GEN_MREMAP]  = { 200, 1024 },
	[GEN_MLOCK]   = { 100, 512 },
}, quick_size[NR_GEN_KINDS] = {
	[GEN_CHAIN]   = { 60, 64 },
	[GEN_PREFORK] = { 80, 1024 },
	[GEN_FILEMAP] = { 80, 256 },
	[GEN_MREMAP]  = { 60, 256 },
	[GEN_MLOCK]   = { 30, 128 },
};

#define SEED 1

/* the cases: each kind, and filemap again with every mapping of the file
 * shared and mlocked (gentrace --mlock: seed 004's database, and what mlock
 * without chains saves there) */
static const struct bench_case {
	const char *name;
	int kind;
	bool mlock;
} bench_cases[] = {
	{ "chain", GEN_CHAIN, false },
	{ "prefork", GEN_PREFORK, false },
	{ "filemap", GEN_FILEMAP, false },
	{ "filemap-mlock", GEN_FILEMAP, true },
	{ "mremap", GEN_MREMAP, false },
	{ "mlock", GEN_MLOCK, false },
};
#define NR_CASES ((int)(sizeof(bench_cases) / sizeof(bench_cases[0])))

static const char *const phase_key[BENCH_NR_PHASES] = { "fork", "fault", "munmap", "exit" };
static const char *const phase_unit[BENCH_NR_PHASES] = { "page", "fault", "page", "page" };

/* what the observer keeps between events */
struct watch {
	struct bench_run *r;
	const struct tr_event *ev0; /* the trace's first event */
	size_t walk_after;         /* walk every mapped frame after this event */
	struct vm_stats last;      /* the machine's counters after the previous event */
	bool short_seen;           /* a line met a memory shortage the trace did not expect */
	const struct tr_event *bad; /* the first line that read other than it says, before
				       any shortage, or NULL */
	struct tr_result bad_got;  /* what it read */
};

/*
 * A line's "= result" against what it read, up to the first memory
 * shortage the trace does not expect (an OOM kill, a killed process,
 * -ENOMEM or -EAGAIN): after one, a small machine may part ways with the
 * one the trace was written on (bench reclaim's rule).
 */
static void watch_result(struct watch *w, const struct tr_event *ev, const struct tr_result *res)
{
	bool same = !ev->expect || tr_result_matches(res, ev->expect);

	if (w->short_seen || w->bad || same)
		return;
	if (res->type == RES_OOM || res->type == RES_KILLED ||
	    (res->type == RES_ERR && (res->val == ENOMEM || res->val == EAGAIN))) {
		w->short_seen = true;
		return;
	}
	w->bad = ev;
	w->bad_got = *res;
}

static uint64_t present_ptes(struct vm_machine *m, uint64_t *pgtables)
{
	uint64_t n = 0, t = 0;
	struct list_head *p;

	list_for_each(p, &m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		n += mm->nr_ptes;
		t += mm->nr_pgtables;
	}
	*pgtables = t;
	return n;
}

static uint64_t slab_frames(const struct vm_machine *m)
{
	uint64_t n = m->slab_vma.frames + m->slab_mm.frames + m->slab_anon.frames +
		     m->slab_link.frames;

	for (unsigned i = 0; i < NR_RMAP_SLABS; i++)
		n += m->slab_rmap[i].frames;
	return n;
}

static void walk_all(struct vm_machine *m, struct bench_run *r);

static void observe(void *arg, struct rv_sim *s, const struct tr_event *ev,
		    const struct tr_result *res, uint64_t ns)
{
	struct watch *w = arg;
	struct bench_run *r = w->r;
	struct vm_machine *m = &s->m;
	const struct vm_stats *st = &m->stats;
	uint64_t pgt, ptes = present_ptes(m, &pgt), zapped = st->ptes_zapped - w->last.ptes_zapped;
	uint64_t faults = st->faults - w->last.faults;
	struct sim_proc *p;
	int ph = -1;
	uint64_t units = 0;

	watch_result(w, ev, res);

	switch (ev->kind) {
	case TR_FORK:
		p = sim_proc_find(s, ev->pid);
		if (res->type == RES_OK && p && p->mm) {
			ph = BENCH_FORK;
			units = p->mm->nr_ptes;
		}
		break;
	case TR_READ: case TR_WRITE: case TR_TOUCH:
		if (faults) {
			ph = BENCH_FAULT;
			units = faults;
		}
		break;
	case TR_MUNMAP:
		ph = BENCH_MUNMAP;
		units = zapped;
		break;
	case TR_EXIT:
		ph = BENCH_EXIT;
		units = zapped;
		break;
	default:
		break;
	}
	if (ph >= 0) {
		r->ns[ph] += ns;
		r->units[ph] += units;
		r->events[ph]++;
	}
	if (ptes > r->ptes_peak) {
		r->ptes_peak = ptes;
		r->ptes_peak_event = (uint64_t)(ev - w->ev0);
	}
	if (pgt + slab_frames(m) > r->meta_frames_peak)
		r->meta_frames_peak = pgt + slab_frames(m);
	if ((size_t)(ev - w->ev0) == w->walk_after) {
		walk_all(m, r);
		r->walk_line = ev->line;
	}
	w->last = *st;
}

static int count_pte(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	return 0;
}

/* every mapped frame walked once */
static void walk_all(struct vm_machine *m, struct bench_run *r)
{
	struct vm_stats before = m->stats;
	uint64_t t0 = host_now_ns();

	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & (PG_BUDDY | PG_PGTABLE | PG_SLAB) || f->mapcount <= 0)
			continue;
		rmap_walk(m, f, count_pte, NULL);
	}
	r->walk_ns = host_now_ns() - t0;
	r->walks = m->stats.rmap_walks - before.rmap_walks;
	r->vmas = m->stats.rmap_vmas_visited - before.rmap_vmas_visited;
	r->probed = m->stats.rmap_ptes_visited - before.rmap_ptes_visited;
	r->found = m->stats.rmap_ptes_found - before.rmap_ptes_found;
	r->fallbacks = m->stats.rmap_fallbacks - before.rmap_fallbacks;
	r->depth_sum = m->stats.rmap_tree_depth_sum - before.rmap_tree_depth_sum;
	r->depth_walks = m->stats.rmap_tree_walks - before.rmap_tree_walks;
	r->depth_max = m->stats.rmap_tree_depth_max;
}

/* the state every scheme must leave alike: the dump of every process, hashed */
static uint64_t state_hash(struct rv_sim *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct dump_writer w;
	uint64_t h = 0xcbf29ce484222325ULL;

	if (!f)
		return 0;
	dump_begin(&w, f);
	sim_dump_state(s, &w);
	dump_end(&w);
	fclose(f);
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
	free(buf);
	return h;
}

/* the live processes exit, as at the end of a workload: timed as exits */
static void exit_all(struct rv_sim *s, struct bench_run *r)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		struct sim_proc *p = &s->procs[i];
		uint64_t z0, t0;

		if (p->state != PROC_ALIVE || !p->mm)
			continue;
		z0 = s->m.stats.ptes_zapped;
		t0 = host_now_ns();
		mm_destroy(p->mm);
		r->ns[BENCH_EXIT] += host_now_ns() - t0;
		r->units[BENCH_EXIT] += s->m.stats.ptes_zapped - z0;
		r->events[BENCH_EXIT]++;
		p->mm = NULL;
		p->state = PROC_EXITED;
	}
}

int bench_run_trace(const char *bench, const struct rv_options *base, const char *scheme,
		    const struct tr_trace *t, unsigned flags, size_t walk_after,
		    struct bench_run *r)
{
	struct rv_options o = *base;
	char err[256];
	struct watch w = { .r = r, .ev0 = t->ev, .walk_after = walk_after };
	struct sim_observer obs = { observe, &w };
	FILE *errf = stderr, *quiet = NULL;
	uint64_t t0 = host_now_ns();
	rv_sim *s;
	int st;

	memset(r, 0, sizeof(*r));
	o.scheme = scheme;
	o.check = RV_CHECK_OFF;
	s = rv_sim_new(&o, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "revmap: %s: %s\n", bench, err);
		return -1;
	}
	/* the OOM killer's lines would be hundreds, and lines after a shortage
	 * may read otherwise: the kills are counted, the lines watched */
	if (flags & BENCH_RUN_KILLS_OK)
		errf = quiet = fopen("/dev/null", "w");
	w.last = s->m.stats;
	st = sim_replay(s, t, NULL, &obs, errf ? errf : stderr);
	if (quiet)
		fclose(quiet);
	if (w.bad && (flags & BENCH_RUN_EXACT)) {
		char got[64];

		fprintf(stderr, "revmap: %s: %s: scheme %s: the replay does not read what the "
			"trace says: line %u: expected %s, got %s\n", bench, t->path, scheme,
			w.bad->line, w.bad->expect, tr_result_format(&w.bad_got, got, sizeof(got)));
		rv_sim_free(s);
		return -1;
	}
	if (st && st != RV_MISMATCH) {
		fprintf(stderr, "revmap: %s: %s: scheme %s: the replay failed (%d)\n",
			bench, t->path, scheme, st);
		rv_sim_free(s);
		return -1;
	}
	for (size_t i = 0; i < s->nprocs; i++) {
		if (s->procs[i].state != PROC_KILLED)
			continue;
		r->kills++;
		if (flags & BENCH_RUN_KILLS_OK)
			continue;
		/* the schemes' metadata is memory too, so they would part ways here */
		fprintf(stderr, "revmap: %s: %s: scheme %s: the machine ran out of "
			"memory (process %d was killed); every scheme must run the case "
			"whole: give a bigger --mem (now %llu MiB)\n", bench, t->path, scheme,
			s->procs[i].pid, (unsigned long long)(o.mem_bytes >> 20));
		rv_sim_free(s);
		return -1;
	}
	r->state_hash = state_hash(s);
	if (walk_after == BENCH_WALK_AT_END)
		walk_all(&s->m, r);
	exit_all(s, r);
	r->meta_peak = s->m.stats.rmap_bytes_peak;
	r->mlock_saved_peak = s->m.stats.rmap_mlock_saved_peak;
	r->unchained_peak = s->m.stats.rmap_unchained_peak;
	r->reclaim_ns = s->m.stats.reclaim_ns;
	r->reclaimed = s->m.stats.pgsteal;
	r->swap_outs = s->m.stats.swap_outs;
	r->swap_ins = s->m.stats.swap_ins;
	r->wall_ns = host_now_ns() - t0;
	if (!check_machine(&s->m)) {
		fprintf(stderr, "revmap: %s: %s: scheme %s: check failed after the "
			"run: %s\n", bench, t->path, scheme, s->m.why);
		rv_sim_free(s);
		return -1;
	}
	rv_sim_free(s);
	return 0;
}

/* ---------------- figures ---------------- */

struct scheme_res {
	struct bench_run runs[MAX_REPS];
	struct bench_run med;            /* counts of runs[0], times the medians */
};

struct case_res {
	const struct bench_set *set; /* the schemes, in the order of sch[] */
	const char *name;          /* the case's name */
	int kind;
	struct gen_size size;
	size_t events;             /* the trace's lines that run */
	struct scheme_res *sch;    /* per registered scheme */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t bench_median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_u64);
	return v[n / 2];
}

static uint64_t median_of(const struct bench_run *runs, int n, size_t off)
{
	uint64_t v[MAX_REPS];

	for (int i = 0; i < n; i++)
		v[i] = *(const uint64_t *)((const char *)&runs[i] + off);
	return bench_median(v, n);
}

static void take_medians(struct scheme_res *sr, int reps)
{
	sr->med = sr->runs[0];
	for (int ph = 0; ph < BENCH_NR_PHASES; ph++)
		sr->med.ns[ph] = median_of(sr->runs, reps,
					   offsetof(struct bench_run, ns) + (size_t)ph * sizeof(uint64_t));
	sr->med.walk_ns = median_of(sr->runs, reps, offsetof(struct bench_run, walk_ns));
}

double bench_per(uint64_t x, uint64_t n)
{
	return n ? (double)x / (double)n : 0;
}

void bench_fig(FILE *out, int width, uint64_t x, uint64_t n, int prec)
{
	if (n)
		fprintf(out, " %*.*f", width, prec, bench_per(x, n));
	else
		fprintf(out, " %*s", width, "-");
}

int bench_set_parse(struct bench_set *set, const char *bench, const char *list)
{
	const char *p = list;

	set->n = 0;
	if (!list) {
		for (unsigned i = 0; i < rmap_nr_schemes && i < BENCH_MAX_SCHEMES; i++)
			set->ops[set->n++] = rmap_schemes[i];
		return 0;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		char name[64];
		const struct rmap_ops *ops = NULL;

		if (len && len < sizeof(name)) {
			memcpy(name, p, len);
			name[len] = 0;
			ops = rmap_find_scheme(name);
		}
		if (!ops) {
			fprintf(stderr, "revmap: %s: no scheme '%.*s' in --scheme '%s' "
				"('revmap info' lists them); see 'revmap help %.*s'\n", bench, (int)len, p,
				list, (int)strcspn(bench, " "), bench);
			return -1;
		}
		for (unsigned i = 0; i < set->n; i++)
			if (set->ops[i] == ops) {
				fprintf(stderr, "revmap: %s: scheme '%.*s' named twice in "
					"--scheme '%s'; see 'revmap help %.*s'\n", bench, (int)len, p, list,
					(int)strcspn(bench, " "), bench);
				return -1;
			}
		set->ops[set->n++] = ops;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

static void print_case(FILE *out, const struct case_res *c)
{
	uint64_t saved = 0;

	fprintf(out, "\n%s: %u processes, %llu pages, %zu events\n", c->name,
		c->size.procs, (unsigned long long)c->size.pages, c->events);
	fprintf(out, "%-9s %11s %7s %9s %9s %8s %5s %8s %8s %8s %8s %8s\n", "scheme",
		"meta peak", "B/page", "precision", "VMAs/walk", "fallback", "depth", "ns/walk",
		"fork", "fault", "munmap", "exit");
	for (unsigned i = 0; i < c->set->n; i++) {
		const struct bench_run *r = &c->sch[i].med;

		fprintf(out, "%-9s %11llu", c->set->ops[i]->name,
			(unsigned long long)r->meta_peak);
		bench_fig(out, 7, r->meta_peak, r->ptes_peak, 2);
		bench_fig(out, 9, r->found, r->probed, 4);
		bench_fig(out, 9, r->vmas, r->walks, 2);
		bench_fig(out, 8, r->fallbacks, r->walks, 4);
		bench_fig(out, 5, r->depth_sum, r->depth_walks, 1);
		bench_fig(out, 8, r->walk_ns, r->walks, 1);
		for (int ph = 0; ph < BENCH_NR_PHASES; ph++)
			bench_fig(out, 8, r->ns[ph], r->units[ph], 1);
		fputc('\n', out);
		saved += r->mlock_saved_peak;
	}
	/* mlock without chains (seed 004 (b)): what the chains would have held */
	for (unsigned i = 0; i < c->set->n && saved; i++) {
		const struct bench_run *r = &c->sch[i].med;

		if (r->mlock_saved_peak)
			fprintf(out, "  %s: mlock kept up to %llu PTEs as counts, no chain: up to "
				"%llu bytes of chains not held\n", c->set->ops[i]->name,
				(unsigned long long)r->unchained_peak,
				(unsigned long long)r->mlock_saved_peak);
	}
}

static void json_run(FILE *f, const struct bench_run *r)
{
	fprintf(f, "{\"walk_ns\": %llu", (unsigned long long)r->walk_ns);
	for (int ph = 0; ph < BENCH_NR_PHASES; ph++)
		fprintf(f, ", \"%s_ns\": %llu", phase_key[ph], (unsigned long long)r->ns[ph]);
	fprintf(f, "}");
}

static int write_json(const char *path, const struct case_res *cases, int ncases, int reps,
		      bool quick, uint64_t mem, long maxrss_kib)
{
	FILE *f = fopen(path, "w");
	char kernel[128];

	if (!f) {
		fprintf(stderr, "revmap: bench rmap: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	host_kernel_release(kernel, sizeof(kernel));
	fprintf(f, "{\n  \"benchmark\": \"rmap\",\n  \"quick\": %s,\n  \"reps\": %d,\n"
		"  \"mem_bytes\": %llu,\n  \"host_kernel\": \"%s\",\n  \"max_rss_kib\": %ld,\n"
		"  \"cases\": [", quick ? "true" : "false", reps, (unsigned long long)mem, kernel,
		maxrss_kib);
	for (int k = 0; k < ncases; k++) {
		const struct case_res *c = &cases[k];

		fprintf(f, "%s\n    {\"case\": \"%s\", \"kind\": \"%s\", \"mlock\": %s, "
			"\"seed\": %d, \"procs\": %u, \"pages\": %llu, "
			"\"rounds\": %u, \"events\": %zu, \"schemes\": [", k ? "," : "", c->name,
			gen_kind_name(c->kind), c->size.mlock ? "true" : "false", SEED, c->size.procs,
			(unsigned long long)c->size.pages, c->size.rounds, c->events);
		for (unsigned i = 0; i < c->set->n; i++) {
			const struct bench_run *r = &c->sch[i].med;

			fprintf(f, "%s\n      {\"scheme\": \"%s\", \"rmap_bytes_peak\": %llu, "
				"\"present_ptes_peak\": %llu, \"bytes_per_page\": %.4f, "
				"\"metadata_frames_peak\": %llu, \"walks\": %llu, "
				"\"walk_vmas_visited\": %llu, \"walk_ptes_probed\": %llu, "
				"\"walk_ptes_found\": %llu, \"precision\": %.6f, "
				"\"walk_fallbacks\": %llu, \"fallback_rate\": %.6f, "
				"\"tree_depth_mean\": %.4f, \"tree_depth_max\": %llu, "
				"\"unchained_ptes_peak\": %llu, \"mlock_bytes_saved_peak\": %llu, "
				"\"ns_per_walk\": %.2f", i ? "," : "", c->set->ops[i]->name,
				(unsigned long long)r->meta_peak,
				(unsigned long long)r->ptes_peak, bench_per(r->meta_peak, r->ptes_peak),
				(unsigned long long)r->meta_frames_peak,
				(unsigned long long)r->walks, (unsigned long long)r->vmas,
				(unsigned long long)r->probed, (unsigned long long)r->found,
				bench_per(r->found, r->probed), (unsigned long long)r->fallbacks,
				bench_per(r->fallbacks, r->walks),
				bench_per(r->depth_sum, r->depth_walks),
				(unsigned long long)r->depth_max,
				(unsigned long long)r->unchained_peak,
				(unsigned long long)r->mlock_saved_peak, bench_per(r->walk_ns, r->walks));
			for (int ph = 0; ph < BENCH_NR_PHASES; ph++)
				fprintf(f, ", \"%s\": {\"events\": %llu, \"%ss\": %llu, "
					"\"ns_median\": %llu, \"ns_per_%s\": %.2f}", phase_key[ph],
					(unsigned long long)r->events[ph], phase_unit[ph],
					(unsigned long long)r->units[ph],
					(unsigned long long)r->ns[ph], phase_unit[ph],
					bench_per(r->ns[ph], r->units[ph]));
			fprintf(f, ", \"runs\": [");
			for (int j = 0; j < reps; j++) {
				fprintf(f, "%s", j ? ", " : "");
				json_run(f, &c->sch[i].runs[j]);
			}
			fprintf(f, "]}");
		}
		fprintf(f, "\n    ]}");
	}
	fprintf(f, "\n  ]\n}\n");
	if (fclose(f)) {
		fprintf(stderr, "revmap: bench rmap: error writing %s\n", path);
		return -1;
	}
	return 0;
}

int bench_make_case(int kind, uint64_t seed, const struct gen_size *sz, struct tr_trace *t)
{
	char *buf = NULL, name[64], err[512];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int e;

	if (!f) {
		fprintf(stderr, "revmap: bench: out of host memory\n");
		return -1;
	}
	e = gen_hardcase(kind, seed, sz, f);
	fclose(f);
	if (e) {
		fprintf(stderr, "revmap: bench: gentrace --kind %s: %s\n", gen_kind_name(kind),
			strerror(-e));
		free(buf);
		return -1;
	}
	snprintf(name, sizeof(name), "gentrace %llu --kind %s%s", (unsigned long long)seed,
		 gen_kind_name(kind), sz->mlock ? " --mlock" : "");
	e = tr_parse_buffer(name, buf, len, t, err, sizeof(err));
	free(buf);
	if (e) {
		fprintf(stderr, "revmap: bench: the generated trace does not parse: %s\n", err);
		return -1;
	}
	return 0;
}

int bench_gen_cases(void)
{
	return NR_CASES;
}

const char *bench_gen_case_name(int i)
{
	return i >= 0 && i < NR_CASES ? bench_cases[i].name : NULL;
}

int bench_gen_case_make(int i, bool quick, struct gen_size *sz, struct tr_trace *t)
{
	int k = bench_cases[i].kind;
	const struct bench_size *bs = quick ? &quick_size[k] : &full_size[k];

	gen_size_default(k, sz);
	sz->procs = bs->procs;
	sz->pages = bs->pages;
	sz->mlock = bench_cases[i].mlock;
	return bench_make_case(k, SEED, sz, t);
}

int bench_rmap(const struct rv_options *opt, bool quick, const char *json_path, FILE *out)
{
	int reps = quick ? 1 : 3, status = 0, ncases = 0;
	struct case_res cases[NR_CASES];
	struct rv_options o = *opt;
	struct bench_set set;
	struct rusage ru;

	if (bench_set_parse(&set, "bench rmap", opt->scheme))
		return 2;
	if (!o.mem_bytes)
		o.mem_bytes = 1ULL << 30;
	memset(cases, 0, sizeof(cases));
	fprintf(out, "revmap bench rmap%s: %u schemes on %d cases, seed %d, machine memory "
		"%llu MiB, median of %d run%s\n", quick ? " --quick" : "", set.n,
		NR_CASES, SEED, (unsigned long long)(o.mem_bytes >> 20), reps,
		reps > 1 ? "s" : "");
	fprintf(out, "meta peak: bytes; B/page: per present PTE; fork, munmap, exit: ns per "
		"page; fault: ns per fault\n");
	for (int n = 0; n < NR_CASES && !status; n++) {
		struct case_res *c = &cases[ncases];
		int k = bench_cases[n].kind;
		struct tr_trace t;

		c->kind = k;
		c->name = bench_cases[n].name;
		c->set = &set;
		if (bench_gen_case_make(n, quick, &c->size, &t)) {
			status = 1;
			break;
		}
		c->events = t.n;
		c->sch = calloc(set.n, sizeof(*c->sch));
		if (!c->sch) {
			tr_free(&t);
			status = 1;
			break;
		}
		ncases++;
		for (int j = 0; j < reps && !status; j++)
			for (unsigned i = 0; i < set.n && !status; i++)
				if (bench_run_trace("bench rmap", &o, set.ops[i]->name, &t, 0,
						    BENCH_WALK_AT_END, &c->sch[i].runs[j]))
					status = 1;
		tr_free(&t);
		if (status)
			break;
		for (unsigned i = 0; i < set.n; i++) {
			take_medians(&c->sch[i], reps);
			if (c->sch[i].med.state_hash != c->sch[0].med.state_hash) {
				fprintf(stderr, "revmap: bench rmap: %s: schemes %s and %s leave "
					"different states\n", c->name, set.ops[0]->name,
					set.ops[i]->name);
				status = 1;
			}
		}
		if (!status)
			print_case(out, c);
		fflush(out);
	}
	getrusage(RUSAGE_SELF, &ru);
	if (!status) {
		fprintf(out, "\nhost memory: %ld MiB at most (this process)\n", ru.ru_maxrss / 1024);
		if (json_path && write_json(json_path, cases, ncases, reps, quick, o.mem_bytes,
					    ru.ru_maxrss))
			status = 1;
	}
	for (int k = 0; k < ncases; k++)
		free(cases[k].sch);
	return status;
}
