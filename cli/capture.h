/*
 * cli/capture.h - revmap capture: a real program, recorded with perf, as a
 * trace (docs/trace-format.md).
 *
 * Two halves: capture_record() runs the command under `perf record` with the
 * tracepoints below and turns `perf script`'s text into a trace through
 * capture_convert(), which also reads a `perf script` text recorded earlier
 * (the tests' data, or a capture made on another machine).
 */
#ifndef REVMAP_CLI_CAPTURE_H
#define REVMAP_CLI_CAPTURE_H

#include <stdbool.h>
#include <stdio.h>

struct capture_opts {
	const char *out_path;     /* the trace to write ('-': standard output) */
	bool portable;            /* files as `file` lines of synthetic contents
				   * (their size at capture), not `hostfile` */
	const char *script_path;  /* capture_record: also keep perf script's text
				   * here (NULL: no) */
	const char *command_line; /* for the trace's header comment (NULL: none) */
	bool strace;              /* the input is strace's, not perf's: capture_record
				   * records with strace (also when perf cannot) */
};

/*
 * Convert the text of `perf script -F pid,tid,time,event,trace
 * --show-mmap-events --show-lost-events` (in, named in_name in messages),
 * or with o->strace that of `strace -f -q -X raw -y -e signal=none -e
 * trace=...` (capture_strace_calls), into a trace on o->out_path.  => 0; 1 when the input is not such a text
 * (said on errf as "revmap: capture: NAME:LINE: ..."), when perf lost events
 * or when the trace cannot be written.
 */
int capture_convert(FILE *in, const char *in_name, const struct capture_opts *o, FILE *errf);

/*
 * Run argv (argv[0] the command) under perf record on this machine, then
 * convert.  Mounts tracefs when it is missing.  => 0; 1 with the reason on
 * errf (no perf, not root, perf failed, conversion failed).
 */
int capture_record(const struct capture_opts *o, char **argv, FILE *errf);

/* the tracepoints capture_record asks perf for, and the system calls it
 * asks strace for, comma-separated */
extern const char capture_events[];
extern const char capture_strace_calls[];

#endif
