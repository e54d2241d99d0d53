/*
 * sim/trace.h - the trace format of ../shared/spec/trace-v1.md, parsed.
 *
 * A trace is parsed whole before anything runs: a line that does not parse
 * (or names a pid that does not exist at that point) makes the parser fail
 * with "FILE:LINE: what was expected", and the caller runs nothing.
 * The same parser serves `revmap replay`, the Linux tester and the fuzzer.
 */
#ifndef REVMAP_SIM_TRACE_H
#define REVMAP_SIM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum tr_kind {
	TR_SPAWN, TR_FORK, TR_EXEC, TR_EXIT,
	TR_FILE, TR_HOSTFILE, TR_TRUNCATE, TR_FWRITE,
	TR_MMAP, TR_MUNMAP, TR_MPROTECT, TR_MREMAP, TR_MADVISE,
	TR_MLOCK, TR_MUNLOCK, TR_BRKBASE, TR_BRK, TR_REMAP_FILE_PAGES,
	TR_READ, TR_WRITE, TR_TOUCH,
	TR_CHECK, TR_RECLAIM, TR_COMPACT, TR_SWAPOFF,
	TR_NR_KINDS
};

/* <prot> characters */
#define TR_PROT_READ  1u
#define TR_PROT_WRITE 2u
#define TR_PROT_EXEC  4u

/* mmap <flags> */
#define TR_MAP_PRIVATE   0x01u
#define TR_MAP_SHARED    0x02u
#define TR_MAP_ANON      0x04u
#define TR_MAP_FIXED     0x08u
#define TR_MAP_NOREPLACE 0x10u
#define TR_MAP_POPULATE  0x20u
#define TR_MAP_LOCKED    0x40u
#define TR_MAP_NORESERVE 0x80u

/* mremap <flags> */
#define TR_MREMAP_MAYMOVE   0x1u
#define TR_MREMAP_FIXED     0x2u
#define TR_MREMAP_DONTUNMAP 0x4u

enum tr_advice {
	TR_ADV_NORMAL, TR_ADV_RANDOM, TR_ADV_SEQUENTIAL, TR_ADV_WILLNEED,
	TR_ADV_DONTNEED, TR_ADV_FREE, TR_ADV_REMOVE, TR_ADV_DONTFORK,
	TR_ADV_DOFORK, TR_ADV_WIPEONFORK, TR_ADV_KEEPONFORK, TR_ADV_COLD,
	TR_ADV_PAGEOUT, TR_ADV_POPULATE_READ, TR_ADV_POPULATE_WRITE,
	TR_NR_ADVICE
};

/* One event.  Fields not used by a kind are zero. */
struct tr_event {
	enum tr_kind kind;
	uint32_t line;          /* physical line number, from 1 */
	int pid;                /* the acting process (0 for file lines and directives) */
	int child;              /* fork: the new pid */
	uint64_t addr;          /* mmap/munmap/.../r/w/touch/brk/brkbase address */
	uint64_t len;           /* lengths; mremap: old_len; file/truncate: size */
	uint64_t new_len;       /* mremap */
	uint64_t new_addr;      /* mremap (has_new_addr) */
	uint64_t offset;        /* mmap file offset, fwrite offset; rfp: pgoff */
	uint64_t value;         /* w/touch/fwrite value (default: the line number);
				   file: seed; reclaim: pages; compact: order */
	uint32_t prot;          /* TR_PROT_* */
	uint32_t flags;         /* TR_MAP_* or TR_MREMAP_* */
	enum tr_advice advice;  /* madvise */
	bool has_new_addr;      /* mremap: <new_addr> given */
	bool touch_write;       /* touch: w (true) or r (false) */
	char *name;             /* file name (file, hostfile, truncate, fwrite, mmap) */
	char *path;             /* hostfile host path */
	char *expect;           /* text after "= ", or NULL */
};

struct tr_trace {
	char *path;             /* as given to the parser (for messages) */
	struct tr_event *ev;    /* events in file order */
	size_t n;               /* number of events */
};

/*
 * Parse a trace.  => returns 0 and fills *out, or -1 with "PATH:LINE: ..."
 * in err (the whole trace is rejected).  The parser also checks that every
 * pid is live (spawned or forked, not exited) where it is used.
 */
int tr_parse_file(const char *path, struct tr_trace *out, char *err, size_t errlen);
int tr_parse_buffer(const char *name, const char *text, size_t len,
		    struct tr_trace *out, char *err, size_t errlen);
void tr_free(struct tr_trace *t);

const char *tr_kind_name(enum tr_kind k);
const char *tr_advice_name(enum tr_advice a);

/* ---- results ---- */

enum tr_res_type {
	RES_NONE,       /* not run (yet) */
	RES_OK,         /* "ok" */
	RES_ZERO,       /* "0" (munmap, mprotect, ... success) */
	RES_ERR,        /* "-ENAME": val holds the positive errno */
	RES_HEX,        /* "0x..." (mmap, mremap, brk address; r value) */
	RES_DEC,        /* decimal (reclaim) */
	RES_SEGV,       /* "segv" */
	RES_BUS,        /* "bus" */
	RES_OOM,        /* "oom-killed" */
	RES_KILLED,     /* "killed" */
};

struct tr_result {
	enum tr_res_type type;
	uint64_t val;
};

/* Parse a result as the spec writes it ("ok", "0", "0x1000", "12", "-ENOMEM",
 * "segv", ...).  => returns false if text is not one. */
bool tr_result_parse(const char *text, struct tr_result *r);
/* Format a result as the spec writes it; returns buf. buf >= 32 bytes. */
char *tr_result_format(const struct tr_result *r, char *buf, size_t len);
/* Does the result match an "= expect" text?  Numbers compare by value. */
bool tr_result_matches(const struct tr_result *r, const char *expect);
/* "ENOMEM" for 12, ... ; NULL when unknown.  And the reverse (0 if unknown). */
const char *tr_errno_name(int err);
int tr_errno_from_name(const char *name);

#endif
