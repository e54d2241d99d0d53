/*
 * bench/reclaim.c - the reclaim benchmark: every registered scheme and both
 * reclaim policies side by side, in one run, on the debate's hard cases
 * under memory pressure.
 *
 *   revmap bench reclaim [--quick] [--json FILE]
 *
 * (then the high-order runs and the machine of 2003: below)
 *
 * Each case of gen/hardcase.c (chain, prefork, filemap, mremap, mlock) is
 * made once and replayed first on a machine big enough for it (1 GiB, the
 * default scheme), to learn the most frames it ever holds in use (P) and
 * the results of its lines.  Then every scheme, under --reclaim lru (the
 * LRU lists; mappings found through the scheme's rmap) and --reclaim
 * virtual (Linux 2.4's page-table scan, no rmap), replays it on a machine
 * of P/2 frames with swap for 2P: reclaim runs from kswapd and from
 * allocations that find memory short, anonymous pages go to swap, dirty
 * file pages to their store.  Per run:
 *
 *   reclaimed     frames reclaim freed (pgsteal)
 *   pages/s       reclaimed / the time spent in reclaim (reclaim_ns)
 *   rmap PTEs     PTEs the rmap walks probed, per reclaimed page (the
 *                 scheme's work: reference checks, unmaps, page_mkclean)
 *   rmap VMAs     VMAs those walks looked at, per reclaimed page
 *   scan PTEs     PTEs the virtual scan looked at, per reclaimed page (what
 *                 a reverse map saves)
 *   swap out/in   pages written to and read from swap
 *   OOM           processes the OOM killer took
 *
 * No data may be lost: each run's op lines must equal the big machine's up
 * to its first memory shortage (an OOM kill, or -ENOMEM/-EAGAIN where the
 * big machine succeeded), or the benchmark fails.  Times are medians of 3
 * runs (--quick: 1, smaller cases); counts are exact and the same in every
 * run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "../sim/sim.h"
#include "../rmap/scheme.h"
#include "../host/host.h"
#include "../gen/hardcase.h"
#include "bench.h"

#define MAX_REPS 3
#define SEED 1

static const struct bench_size {
	unsigned procs;
	uint64_t pages;
} full_size[NR_GEN_KINDS] = {
	[GEN_CHAIN]   = { 100, 256 },
	[GEN_PREFORK] = { 150, 2048 },
	[GEN_FILEMAP] = { 150, 1024 },
	[GEN_MREMAP]  = { 100, 1024 },
	[GEN_MLOCK]   = { 60, 512 },
}, quick_size[NR_GEN_KINDS] = {
	[GEN_CHAIN]   = { 40, 64 },
	[GEN_PREFORK] = { 40, 512 },
	[GEN_FILEMAP] = { 40, 256 },
	[GEN_MREMAP]  = { 30, 256 },
	[GEN_MLOCK]   = { 20, 128 },
};

static const char *const policy_name[2] = { "lru", "virtual" };

/*
 * High-order runs (issue 12, seed 003): the cases that reclaim under every
 * scheme are replayed again with --reclaim lru, a `compact HO_ORDER` (32
 * frames) after every HO_EVERY events, once with --compact-evict lru
 * (Linux: reclaim from the LRU tails, then compaction again) and once with
 * targeted (the cheapest block's own pages evicted through the rmap), one
 * run each: the pages evicted per high-order block obtained are the
 * comparison.  Per run: compact calls, blocks had, pages evicted and
 * migrated per block, the rmap walks' PTEs (the whole run's, reclaim's
 * too) per block, time in compact per block, OOM kills.
 */
#define HO_ORDER 5
#define HO_EVERY 8
static const bool ho_case[NR_GEN_KINDS] = {
	[GEN_PREFORK] = true, [GEN_FILEMAP] = true, [GEN_MREMAP] = true,
};
static const char *const evict_name[2] = { "lru", "targeted" };

/* one replay of one case */
struct run {
	uint64_t wall_ns;          /* the whole replay */
	uint64_t reclaim_ns;       /* time in reclaim */
	uint64_t reclaimed;        /* pgsteal */
	uint64_t rmap_ptes, rmap_vmas;
	uint64_t scan_ptes;        /* virtual_ptes_scanned */
	uint64_t swap_outs, swap_ins;
	uint64_t kills;            /* processes the OOM killer took */
	uint64_t used_peak;        /* most frames in use after an event */
	uint64_t ho_runs, ho_blocks; /* high-order runs: compact calls, blocks had */
	uint64_t ho_evicted;       /* pages evicted for them */
	uint64_t ho_migrated;      /* pages migrated for them */
	uint64_t ho_ns;            /* time in those compact calls */
	uint64_t low_peak;         /* --lowmem: the most low frames in use */
	uint64_t low_refused;      /* metadata allocations refused for want of lowmem */
	uint64_t meta_peak;        /* rmap_bytes_peak */
};

struct watch {
	struct run *r;
	const struct tr_event *ev0;    /* the trace's first event */
	struct tr_result *ops;         /* each line's result, or NULL */
	unsigned ho_every;             /* high-order runs: compact every that many events */
	unsigned events;               /* events seen */
};

static void observe(void *arg, struct rv_sim *s, const struct tr_event *ev,
		    const struct tr_result *res, uint64_t ns)
{
	struct watch *w = arg;
	uint64_t used = s->m.nr_frames - s->m.nr_free;

	if (used > w->r->used_peak)
		w->r->used_peak = used;
	if (w->ops)
		w->ops[ev - w->ev0] = *res;
	if (w->ho_every && ++w->events % w->ho_every == 0) {
		uint64_t t0 = host_now_ns();

		(void)sim_compact(s, HO_ORDER);
		w->r->ho_ns += host_now_ns() - t0;
	}
}

/* replay t; keep its op results in ops (t->n of them) if ops is not NULL */
static int run_one(const struct rv_options *o, const struct tr_trace *t, struct run *r,
		   struct tr_result *ops, const char *what, unsigned ho_every)
{
	struct watch w = { r, t->ev, ops, ho_every, 0 };
	struct sim_observer obs = { observe, &w };
	char err[256];
	uint64_t t0;
	FILE *quiet;
	rv_sim *s;
	int st;

	memset(r, 0, sizeof(*r));
	s = rv_sim_new(o, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "revmap: bench reclaim: %s: %s\n", what, err);
		return -1;
	}
	/* the OOM killer's lines would be hundreds: the kills are counted */
	quiet = fopen("/dev/null", "w");
	t0 = host_now_ns();
	st = sim_replay(s, t, NULL, &obs, quiet ? quiet : stderr);
	r->wall_ns = host_now_ns() - t0;
	if (quiet)
		fclose(quiet);
	if (st && st != RV_MISMATCH) {
		fprintf(stderr, "revmap: bench reclaim: %s: the replay failed (%d)\n", what, st);
		rv_sim_free(s);
		return -1;
	}
	r->reclaim_ns = s->m.stats.reclaim_ns;
	r->reclaimed = s->m.stats.pgsteal;
	r->rmap_ptes = s->m.stats.rmap_ptes_visited;
	r->rmap_vmas = s->m.stats.rmap_vmas_visited;
	r->scan_ptes = s->m.stats.virtual_ptes_scanned;
	r->swap_outs = s->m.stats.swap_outs;
	r->swap_ins = s->m.stats.swap_ins;
	r->ho_runs = s->m.stats.compact_runs;
	r->ho_blocks = s->m.stats.compact_success;
	r->ho_evicted = s->m.stats.compact_evicted;
	r->ho_migrated = s->m.stats.compact_migrated;
	r->low_peak = s->m.low.used_peak;
	r->low_refused = s->m.low.alloc_failures;
	r->meta_peak = s->m.stats.rmap_bytes_peak;
	for (size_t i = 0; i < s->nprocs; i++)
		r->kills += s->procs[i].state == PROC_KILLED;
	rv_sim_free(s);
	return 0;
}

/*
 * The small machine's results agree with the big one's up to its first
 * shortage.  => the lines compared, or -1 (with the first difference said)
 */
static long same_results(const struct tr_trace *t, const struct tr_result *big,
			 const struct tr_result *small, const char *what)
{
	long n = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct tr_result *a = &small[i], *b = &big[i];
		char x[64], y[64];

		if (a->type == RES_OOM || a->type == RES_KILLED)
			break;
		if (a->type == RES_ERR && (a->val == 12 || a->val == 11) &&
		    !(b->type == RES_ERR && b->val == a->val))
			break;
		if (a->type != b->type || a->val != b->val) {
			fprintf(stderr, "revmap: bench reclaim: %s: line %u reads %s on the small "
				"machine, %s on the big one: data was lost\n", what, t->ev[i].line,
				tr_result_format(a, x, sizeof(x)), tr_result_format(b, y, sizeof(y)));
			return -1;
		}
		n++;
	}
	return n;
}

struct combo {
	struct run runs[MAX_REPS];
	struct run med;
	long agreed;               /* op lines that agree with the big machine */
};

struct case_res {
	int kind;
	struct gen_size size;
	size_t events;
	uint64_t peak;             /* frames in use at most, on the big machine */
	uint64_t mem, swap;        /* the small machine */
	struct combo *c;           /* [scheme * 2 + policy] */
	struct combo *ho;          /* high-order runs [scheme * 2 + evict], or NULL */
	const struct bench_set *set; /* the schemes, in the order of c[] */
};

static void take_medians(struct combo *c, int reps)
{
	uint64_t v[MAX_REPS], w[MAX_REPS];

	c->med = c->runs[0];
	for (int i = 0; i < reps; i++) {
		v[i] = c->runs[i].reclaim_ns;
		w[i] = c->runs[i].wall_ns;
	}
	c->med.reclaim_ns = bench_median(v, reps);
	c->med.wall_ns = bench_median(w, reps);
}

static void print_case(FILE *out, const struct case_res *cr)
{
	fprintf(out, "\n%s: %u processes, %llu pages, %zu events; %llu frames in use at most; "
		"machine %llu KiB + swap %llu KiB\n", gen_kind_name(cr->kind), cr->size.procs,
		(unsigned long long)cr->size.pages, cr->events, (unsigned long long)cr->peak,
		(unsigned long long)(cr->mem >> 10), (unsigned long long)(cr->swap >> 10));
	fprintf(out, "%-9s %-8s %9s %10s %9s %9s %9s %8s %8s %4s\n", "scheme", "policy",
		"reclaimed", "pages/s", "rmap PTEs", "rmap VMAs", "scan PTEs", "swap out",
		"swap in", "OOM");
	for (unsigned i = 0; i < cr->set->n; i++)
		for (int p = 0; p < 2; p++) {
			const struct run *r = &cr->c[i * 2 + p].med;

			fprintf(out, "%-9s %-8s %9llu", cr->set->ops[i]->name, policy_name[p],
				(unsigned long long)r->reclaimed);
			if (r->reclaim_ns)
				fprintf(out, " %10.0f", bench_per(r->reclaimed * 1000000000ULL,
							    r->reclaim_ns));
			else
				fprintf(out, " %10s", "-");
			bench_fig(out, 9, r->rmap_ptes, r->reclaimed, 1);
			bench_fig(out, 9, r->rmap_vmas, r->reclaimed, 1);
			bench_fig(out, 9, r->scan_ptes, r->reclaimed, 1);
			fprintf(out, " %8llu %8llu %4llu\n", (unsigned long long)r->swap_outs,
				(unsigned long long)r->swap_ins, (unsigned long long)r->kills);
		}
	if (!cr->ho)
		return;
	fprintf(out, "high-order: compact %d every %d events, --reclaim lru; evicted, migrated, "
		"rmap PTEs: per block had\n", HO_ORDER, HO_EVERY);
	fprintf(out, "%-9s %-8s %7s %7s %8s %8s %9s %9s %4s\n", "scheme", "evict", "asked",
		"blocks", "evicted", "migrated", "rmap PTEs", "us/block", "OOM");
	for (unsigned i = 0; i < cr->set->n; i++)
		for (int e = 0; e < 2; e++) {
			const struct run *r = &cr->ho[i * 2 + e].med;

			fprintf(out, "%-9s %-8s %7llu %7llu", cr->set->ops[i]->name, evict_name[e],
				(unsigned long long)r->ho_runs, (unsigned long long)r->ho_blocks);
			bench_fig(out, 8, r->ho_evicted, r->ho_blocks, 2);
			bench_fig(out, 8, r->ho_migrated, r->ho_blocks, 2);
			bench_fig(out, 9, r->rmap_ptes, r->ho_blocks, 1);
			bench_fig(out, 9, r->ho_ns / 1000, r->ho_blocks, 1);
			fprintf(out, " %4llu\n", (unsigned long long)r->kills);
		}
}

struct m2003;
static void json_2003(FILE *f, const struct bench_set *set, const struct m2003 *mc, bool quick);

static int write_json(const char *path, const struct case_res *cases, int ncases, int reps,
		      bool quick, long maxrss_kib, const struct bench_set *set,
		      const struct m2003 *mc)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "revmap: bench reclaim: cannot write %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"benchmark\": \"reclaim\",\n  \"quick\": %s,\n  \"reps\": %d,\n"
		"  \"max_rss_kib\": %ld,\n  \"cases\": [", quick ? "true" : "false", reps,
		maxrss_kib);
	for (int k = 0; k < ncases; k++) {
		const struct case_res *cr = &cases[k];

		fprintf(f, "%s\n    {\"kind\": \"%s\", \"seed\": %d, \"procs\": %u, \"pages\": %llu, "
			"\"rounds\": %u, \"events\": %zu, \"peak_frames\": %llu, \"mem_bytes\": %llu, "
			"\"swap_bytes\": %llu, \"runs\": [", k ? "," : "", gen_kind_name(cr->kind),
			SEED, cr->size.procs, (unsigned long long)cr->size.pages, cr->size.rounds,
			cr->events, (unsigned long long)cr->peak, (unsigned long long)cr->mem,
			(unsigned long long)cr->swap);
		for (unsigned i = 0; i < cr->set->n; i++)
			for (int p = 0; p < 2; p++) {
				const struct combo *c = &cr->c[i * 2 + p];
				const struct run *r = &c->med;

				fprintf(f, "%s\n      {\"scheme\": \"%s\", \"policy\": \"%s\", "
					"\"reclaimed\": %llu, \"reclaim_ns_median\": %llu, "
					"\"wall_ns_median\": %llu, \"pages_per_s\": %.1f, "
					"\"rmap_ptes\": %llu, \"rmap_vmas\": %llu, \"scan_ptes\": %llu, "
					"\"rmap_ptes_per_page\": %.3f, \"scan_ptes_per_page\": %.3f, "
					"\"swap_outs\": %llu, \"swap_ins\": %llu, \"oom_kills\": %llu, "
					"\"op_lines_agreeing\": %ld, \"reclaim_ns_runs\": [",
					i || p ? "," : "", cr->set->ops[i]->name, policy_name[p],
					(unsigned long long)r->reclaimed,
					(unsigned long long)r->reclaim_ns,
					(unsigned long long)r->wall_ns,
					bench_per(r->reclaimed * 1000000000ULL, r->reclaim_ns),
					(unsigned long long)r->rmap_ptes,
					(unsigned long long)r->rmap_vmas,
					(unsigned long long)r->scan_ptes,
					bench_per(r->rmap_ptes, r->reclaimed),
					bench_per(r->scan_ptes, r->reclaimed),
					(unsigned long long)r->swap_outs,
					(unsigned long long)r->swap_ins, (unsigned long long)r->kills,
					c->agreed);
				for (int j = 0; j < reps; j++)
					fprintf(f, "%s%llu", j ? ", " : "",
						(unsigned long long)c->runs[j].reclaim_ns);
				fprintf(f, "]}");
			}
		fprintf(f, "\n    ], \"high_order\": [");
		for (unsigned i = 0; cr->ho && i < cr->set->n; i++)
			for (int e = 0; e < 2; e++) {
				const struct run *r = &cr->ho[i * 2 + e].med;

				fprintf(f, "%s\n      {\"scheme\": \"%s\", \"evict\": \"%s\", "
					"\"order\": %d, \"every_events\": %d, \"compact_calls\": %llu, "
					"\"blocks\": %llu, \"evicted\": %llu, \"migrated\": %llu, "
					"\"rmap_ptes\": %llu, \"compact_ns\": %llu, "
					"\"evicted_per_block\": %.3f, \"oom_kills\": %llu}",
					i || e ? "," : "", cr->set->ops[i]->name, evict_name[e], HO_ORDER,
					HO_EVERY, (unsigned long long)r->ho_runs,
					(unsigned long long)r->ho_blocks,
					(unsigned long long)r->ho_evicted,
					(unsigned long long)r->ho_migrated,
					(unsigned long long)r->rmap_ptes, (unsigned long long)r->ho_ns,
					bench_per(r->ho_evicted, r->ho_blocks),
					(unsigned long long)r->kills);
			}
		fprintf(f, "\n    ]}");
	}
	fprintf(f, "\n  ]");
	if (mc)
		json_2003(f, set, mc, quick);
	fprintf(f, "\n}\n");
	if (fclose(f)) {
		fprintf(stderr, "revmap: bench reclaim: error writing %s\n", path);
		return -1;
	}
	return 0;
}

/* one case: the big run, then every scheme and policy */
static int run_case(const struct rv_options *opt, bool quick, int reps, struct case_res *cr)
{
	const struct bench_size *bs = quick ? &quick_size[cr->kind] : &full_size[cr->kind];
	struct tr_result *big = NULL, *small = NULL;
	struct rv_options o = *opt;
	struct tr_trace t;
	struct run r;
	char what[128];
	int status = 0;

	gen_size_default(cr->kind, &cr->size);
	cr->size.procs = bs->procs;
	cr->size.pages = bs->pages;
	if (bench_make_case(cr->kind, SEED, &cr->size, &t))
		return 1;
	cr->events = t.n;
	big = calloc(t.n ? t.n : 1, sizeof(*big));
	small = calloc(t.n ? t.n : 1, sizeof(*small));
	cr->c = calloc(cr->set->n * 2, sizeof(*cr->c));
	if (!big || !small || !cr->c) {
		fprintf(stderr, "revmap: bench reclaim: out of host memory\n");
		status = 1;
		goto out;
	}
	/* the big machine: how much the case uses, and what it reads */
	o.mem_bytes = 1ULL << 30;
	o.swap_bytes = 0;
	o.scheme = NULL;
	o.reclaim = RV_RECLAIM_LRU;
	snprintf(what, sizeof(what), "%s on 1 GiB", t.path);
	if (run_one(&o, &t, &r, big, what, 0)) {
		status = 1;
		goto out;
	}
	cr->peak = r.used_peak;
	cr->mem = (((cr->peak / 2) << PAGE_SHIFT) + 0xffff) & ~0xffffULL;
	if (cr->mem < (256 << 10))
		cr->mem = 256 << 10;
	cr->swap = 2 * (cr->peak << PAGE_SHIFT);
	o.mem_bytes = cr->mem;
	o.swap_bytes = cr->swap;
	for (int j = 0; j < reps && !status; j++)
		for (unsigned i = 0; i < cr->set->n && !status; i++)
			for (int p = 0; p < 2 && !status; p++) {
				struct combo *c = &cr->c[i * 2 + p];

				o.scheme = cr->set->ops[i]->name;
				o.reclaim = p ? RV_RECLAIM_VIRTUAL : RV_RECLAIM_LRU;
				snprintf(what, sizeof(what), "%s, scheme %s, --reclaim %s", t.path,
					 o.scheme, policy_name[p]);
				if (run_one(&o, &t, &c->runs[j], small, what, 0) ||
				    (c->agreed = same_results(&t, big, small, what)) < 0)
					status = 1;
			}
	for (unsigned i = 0; i < cr->set->n * 2 && !status; i++)
		take_medians(&cr->c[i], reps);
	if (ho_case[cr->kind] && !status) {
		cr->ho = calloc(cr->set->n * 2, sizeof(*cr->ho));
		if (!cr->ho) {
			status = 1;
			goto out;
		}
		o.reclaim = RV_RECLAIM_LRU;
		for (unsigned i = 0; i < cr->set->n && !status; i++)
			for (int e = 0; e < 2 && !status; e++) {
				struct combo *c = &cr->ho[i * 2 + e];

				o.scheme = cr->set->ops[i]->name;
				o.compact_evict = e ? RV_COMPACT_EVICT_TARGETED : RV_COMPACT_EVICT_LRU;
				snprintf(what, sizeof(what), "%s, scheme %s, compact %d every %d events, "
					 "--compact-evict %s", t.path, o.scheme, HO_ORDER, HO_EVERY,
					 evict_name[e]);
				if (run_one(&o, &t, &c->runs[0], small, what, HO_EVERY) ||
				    (c->agreed = same_results(&t, big, small, what)) < 0)
					status = 1;
				take_medians(c, 1);
			}
		o.compact_evict = RV_COMPACT_EVICT_NONE;
	}
out:
	tr_free(&t);
	free(big);
	free(small);
	return status;
}

/*
 * The machine of 2003 (issue 12, seed 004): gentrace --kind db, a server
 * and hundreds of workers sharing a data file and shared memory, with and
 * without --mlock, on a machine with memory to spare (256 MiB) but a
 * small low zone for kernel metadata: 8 MiB with the PTE tables high
 * (--highpte), and 12 MiB with them low.  Per scheme: the OOM kills, the
 * metadata allocations refused, the most low frames in use, the reverse
 * map's peak bytes.  Which schemes run it, which do not, and what mlock
 * changes.  One run each; the runs must read what the case reads on
 * 1 GiB up to their first shortage.
 */
static const struct lowmem_cfg {
	const char *name;
	uint64_t bytes, quick_bytes;
	bool highpte;
} lowmem_cfg[] = {
	{ "8M,highpte", 8ULL << 20, 1ULL << 20, true },
	{ "12M", 12ULL << 20, 2ULL << 20, false },
};
#define NR_LOWMEM_CFG 2

struct m2003 {
	struct gen_size size;      /* the case's */
	size_t events[2];          /* without, with --mlock */
	struct run *r;             /* [(scheme * 2 + mlock) * NR_LOWMEM_CFG + cfg] */
	long *agreed;              /* the same, op lines agreeing with 1 GiB */
};

static int run_2003(const struct rv_options *opt, bool quick, const struct bench_set *set,
		    struct m2003 *mc, FILE *out)
{
	struct rv_options o = *opt;
	int status = 0;

	gen_size_default(GEN_DB, &mc->size);
	mc->size.procs = quick ? 60 : 300;
	mc->size.pages = quick ? 256 : 1024;
	mc->r = calloc(set->n * 2 * NR_LOWMEM_CFG, sizeof(*mc->r));
	mc->agreed = calloc(set->n * 2 * NR_LOWMEM_CFG, sizeof(*mc->agreed));
	if (!mc->r || !mc->agreed)
		return 1;
	for (int ml = 0; ml < 2 && !status; ml++) {
		struct tr_result *big = NULL, *small = NULL;
		struct tr_trace t;
		struct run r;
		char what[160];

		mc->size.mlock = ml;
		if (bench_make_case(GEN_DB, SEED, &mc->size, &t))
			return 1;
		mc->events[ml] = t.n;
		big = calloc(t.n ? t.n : 1, sizeof(*big));
		small = calloc(t.n ? t.n : 1, sizeof(*small));
		o.mem_bytes = 1ULL << 30;
		o.swap_bytes = 0;
		o.scheme = NULL;
		o.reclaim = RV_RECLAIM_LRU;
		o.lowmem_bytes = 0;
		o.highpte = 0;
		snprintf(what, sizeof(what), "%s on 1 GiB", t.path);
		if (!big || !small || run_one(&o, &t, &r, big, what, 0))
			status = 1;
		o.mem_bytes = 256ULL << 20;
		for (unsigned i = 0; i < set->n && !status; i++)
			for (int c = 0; c < NR_LOWMEM_CFG && !status; c++) {
				size_t k = (i * 2 + (size_t)ml) * NR_LOWMEM_CFG + (size_t)c;

				o.scheme = set->ops[i]->name;
				o.lowmem_bytes = quick ? lowmem_cfg[c].quick_bytes : lowmem_cfg[c].bytes;
				o.highpte = lowmem_cfg[c].highpte;
				snprintf(what, sizeof(what), "%s, scheme %s, --lowmem %s", t.path,
					 o.scheme, lowmem_cfg[c].name);
				if (run_one(&o, &t, &mc->r[k], small, what, 0) ||
				    (mc->agreed[k] = same_results(&t, big, small, what)) < 0)
					status = 1;
			}
		tr_free(&t);
		free(big);
		free(small);
	}
	if (status)
		return status;
	fprintf(out, "\nthe machine of 2003: db, %u processes sharing a %llu-page file and %llu "
		"pages of shared memory, with and without --mlock; 256 MiB of memory, its low "
		"zone as said\n", mc->size.procs + 1, (unsigned long long)mc->size.pages,
		(unsigned long long)mc->size.pages);
	fprintf(out, "%-9s %-8s %-10s %5s %7s %9s %11s\n", "scheme", "case", "lowmem", "OOM",
		"refused", "low peak", "meta peak");
	for (unsigned i = 0; i < set->n; i++)
		for (int ml = 0; ml < 2; ml++)
			for (int c = 0; c < NR_LOWMEM_CFG; c++) {
				const struct run *r = &mc->r[(i * 2 + (size_t)ml) * NR_LOWMEM_CFG +
							    (size_t)c];

				char lm[32];

				snprintf(lm, sizeof(lm), "%lluM%s", (unsigned long long)((quick ?
					 lowmem_cfg[c].quick_bytes : lowmem_cfg[c].bytes) >> 20),
					 lowmem_cfg[c].highpte ? ",highpte" : "");
				fprintf(out, "%-9s %-8s %-10s %5llu %7llu %9llu %11llu\n",
					set->ops[i]->name, ml ? "db-mlock" : "db", lm,
					(unsigned long long)r->kills,
					(unsigned long long)r->low_refused,
					(unsigned long long)r->low_peak,
					(unsigned long long)r->meta_peak);
			}
	return 0;
}

static void json_2003(FILE *f, const struct bench_set *set, const struct m2003 *mc, bool quick)
{
	fprintf(f, ",\n  \"machine_2003\": {\"kind\": \"db\", \"procs\": %u, \"pages\": %llu, "
		"\"mem_bytes\": %llu, \"runs\": [", mc->size.procs,
		(unsigned long long)mc->size.pages, 256ULL << 20);
	for (unsigned i = 0; i < set->n; i++)
		for (int ml = 0; ml < 2; ml++)
			for (int c = 0; c < NR_LOWMEM_CFG; c++) {
				size_t k = (i * 2 + (size_t)ml) * NR_LOWMEM_CFG + (size_t)c;
				const struct run *r = &mc->r[k];

				fprintf(f, "%s\n    {\"scheme\": \"%s\", \"mlock\": %s, "
					"\"lowmem_bytes\": %llu, \"highpte\": %s, \"oom_kills\": %llu, "
					"\"lowmem_refused\": %llu, \"lowmem_peak_frames\": %llu, "
					"\"rmap_bytes_peak\": %llu, \"op_lines_agreeing\": %ld}",
					k ? "," : "", set->ops[i]->name, ml ? "true" : "false",
					(unsigned long long)(quick ? lowmem_cfg[c].quick_bytes
								   : lowmem_cfg[c].bytes),
					lowmem_cfg[c].highpte ? "true" : "false",
					(unsigned long long)r->kills,
					(unsigned long long)r->low_refused,
					(unsigned long long)r->low_peak,
					(unsigned long long)r->meta_peak, mc->agreed[k]);
			}
	fprintf(f, "\n  ]}");
}

int bench_reclaim(const struct rv_options *opt, bool quick, const char *json_path, FILE *out)
{
	struct m2003 mc;
	int reps = quick ? 1 : 3, status = 0, ncases = 0;
	struct case_res cases[NR_GEN_KINDS];
	struct bench_set set;
	struct rusage ru;

	if (bench_set_parse(&set, "bench reclaim", opt->scheme))
		return 2;
	memset(cases, 0, sizeof(cases));
	fprintf(out, "revmap bench reclaim%s: %u schemes x 2 policies on %d cases under pressure "
		"(machine: half the frames the case uses; swap: twice), seed %d, median of %d "
		"run%s\n", quick ? " --quick" : "", set.n, NR_GEN_KINDS - 1, SEED, reps,
		reps > 1 ? "s" : "");
	fprintf(out, "pages/s: reclaimed per second in reclaim; rmap PTEs, rmap VMAs, scan PTEs: "
		"per reclaimed page\n");
	memset(&mc, 0, sizeof(mc));
	for (int k = 0; k < NR_GEN_KINDS && !status; k++) {
		if (k == GEN_DB)
			continue;          /* the machine of 2003's, below */
		cases[k].kind = k;
		cases[k].set = &set;
		ncases++;
		status = run_case(opt, quick, reps, &cases[k]);
		if (!status)
			print_case(out, &cases[k]);
		fflush(out);
	}
	if (!status)
		status = run_2003(opt, quick, &set, &mc, out);
	getrusage(RUSAGE_SELF, &ru);
	if (!status) {
		fprintf(out, "\nhost memory: %ld MiB at most (this process; swap files on disk "
			"besides)\n", ru.ru_maxrss / 1024);
		if (json_path && write_json(json_path, cases, ncases, reps, quick, ru.ru_maxrss,
					    &set, &mc))
			status = 1;
	}
	free(mc.r);
	free(mc.agreed);
	for (int k = 0; k < ncases; k++) {
		free(cases[k].c);
		free(cases[k].ho);
	}
	return status;
}
