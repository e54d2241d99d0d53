/*
 * revmap.h - the public interface of librevmap.
 *
 * revmap is a user-space model of the Linux 6.x virtual-memory system with
 * pluggable reverse mapping.  A simulation (rv_sim) owns one machine:
 * physical memory, processes, files, and the rmap scheme; two simulations
 * can run side by side in one process.  Traces drive it; its dump compares,
 * byte for byte, with the real kernel's.  The trace and dump format:
 * docs/trace-format.md (installed as share/doc/revmap/trace-format.md).
 */
#ifndef REVMAP_H
#define REVMAP_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>

#define REVMAP_VERSION "0.1"

typedef struct rv_sim rv_sim;

/* How much checking a replay does (rv_options.check). */
#define RV_CHECK_OFF    0   /* only at `check` lines */
#define RV_CHECK_EVENT  1   /* after each event, what it changed; the whole
			       machine at `check` lines and at the end */
#define RV_CHECK_FULL   2   /* the whole machine after every event */

/* Whether the simulated CPU has x86 protection keys (rv_options.pkeys);
 * with them, Linux makes PROT_EXEC-only memory unreadable. */
#define RV_PKEYS_HOST   0   /* as the CPU revmap runs on (CPUID OSPKE) */
#define RV_PKEYS_ON     1
#define RV_PKEYS_OFF    2

/* Options of a simulation. */
struct rv_options {
	uint64_t mem_bytes;       /* machine memory (default 1 GiB) */
	const char *scheme;       /* rmap scheme name (NULL: "linux"; "avc" names it too) */
	int check;                /* RV_CHECK_* */
	int pkeys;                /* RV_PKEYS_* */
	uint64_t fail_alloc_at;   /* fault injection: this allocation fails (0: never) */
	int reclaim;              /* RV_RECLAIM_*: how memory is reclaimed */
	uint64_t swap_bytes;      /* swap device size (0: no swap); its file is made
				     in $TMPDIR (default /tmp) and unlinked at once */
	uint64_t fail_swap_io_at; /* fault injection: this swap read or write fails,
				     counted together from 1 (0: never) */
	int nonlinear;            /* nonzero: remap_file_pages makes nonlinear VMAs as
				     Linux 2.6.32 did, instead of 6.x's emulation */
	int compact_evict;        /* RV_COMPACT_EVICT_*: what compact does when memory
				     is too short to migrate */
	uint64_t lowmem_bytes;    /* the first bytes of memory are a low zone that alone
				     holds kernel metadata (0: one zone) */
	int highpte;              /* nonzero: PTE tables may be in high memory */
};

#define RV_COMPACT_EVICT_NONE     0  /* migration only: -ENOMEM then */
#define RV_COMPACT_EVICT_LRU      1  /* reclaim from the LRU lists' tails, compact again */
#define RV_COMPACT_EVICT_TARGETED 2  /* evict the cheapest candidate block's pages */

#define RV_RECLAIM_LRU     0  /* the LRU lists, mappings found through the rmap */
#define RV_RECLAIM_VIRTUAL 1  /* Linux 2.4's swap_out: page tables scanned round robin */

/* => whether this host's CPU and kernel use protection keys (OSPKE) */
bool rv_host_pkeys(void);

/* => returns a new simulation, or NULL with a message in err */
rv_sim *rv_sim_new(const struct rv_options *opt, char *err, size_t errlen);
void rv_sim_free(rv_sim *s);

/* Exit statuses of rv_replay_file (and of `revmap replay`). */
#define RV_OK        0   /* ran; every "= result" matched */
#define RV_MISMATCH  1   /* ran; some "= result" did not match (reported) */
#define RV_BADINPUT  2   /* malformed or unsupported trace, bad argument: nothing ran */
#define RV_CHECKFAIL 3   /* a checker found the state inconsistent */

/*
 * Run a trace file; trace_path "-" reads standard input (named "<stdin>" in
 * messages).  dump_path / times_path may be NULL; dump_path "-" writes the
 * dump on standard output.  Messages go to errf, each one line that starts
 * with "revmap: "; those about a line of the trace go on with "FILE:LINE: "
 * ("revmap: t.trace:3: expected 0x0, got segv").
 */
int rv_replay_file(rv_sim *s, const char *trace_path, const char *dump_path,
		   const char *times_path, FILE *errf);
/* The same on a trace held in memory (the fuzzer's entry). */
int rv_replay_buffer(rv_sim *s, const char *name, const char *text, size_t len,
		     const char *dump_path, FILE *errf);

/*
 * Write the simulation's statistics as JSON to path ("-": standard output):
 * the scheme, its metadata (bytes now and at the peak, objects per type),
 * the frames metadata holds, the rmap walks' exact work, and the VM's work
 * counters.  => 0, or -1 with a message on errf.
 */
int rv_write_stats(rv_sim *s, const char *path, FILE *errf);

/* Run every checker now: true when consistent, else why is filled. */
bool rv_check(rv_sim *s, char *why, size_t whylen);

/* Sizes of the metadata structures, for `revmap info`. */
struct rv_info {
	size_t frame_bytes;       /* one frame descriptor */
	size_t vma_bytes;         /* one VMA */
	size_t mm_bytes;          /* one address space */
	char schemes[256];        /* the rmap schemes, space separated, the default
				     first (with its other name in parentheses) */
};
void rv_get_info(struct rv_info *info);

/* Parse a size like 1G, 512M, 4096 (K/M/G/T suffixes). => 0 or -1 */
int rv_parse_size(const char *s, uint64_t *out);

#endif
