/*
 * cli/revmap.c - the revmap command.
 *
 *   revmap replay TRACE [--dump FILE] [--check] [--mem SIZE] [--times FILE]
 *                       [--scheme NAME]
 *   revmap info             sizes of the metadata structures, schemes
 *   revmap bench core [--bytes SIZE] [--json FILE] [--mem SIZE] [--procs N]
 *   revmap --version
 *
 * It uses only the public API (include/revmap.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "revmap.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: revmap replay TRACE [--dump FILE] [--check] [--mem SIZE] [--times FILE] [--scheme NAME]\n"
		"       revmap info\n"
		"       revmap bench core [--bytes SIZE] [--json FILE] [--mem SIZE] [--procs N]\n"
		"       revmap --version\n"
		"SIZE takes K, M, G suffixes (default memory: 1G).\n"
		"replay exits 0 when every '= result' matched, 1 on a mismatch, 2 on a\n"
		"malformed or unsupported trace (nothing runs), 3 when a checker fails.\n");
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "revmap: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	usage(stderr);
	return 2;
}

static int cmd_info(void)
{
	struct rv_info i;

	rv_get_info(&i);
	printf("revmap %s\n", REVMAP_VERSION);
	printf("frame descriptor: %zu bytes\n", i.frame_bytes);
	printf("vma:              %zu bytes\n", i.vma_bytes);
	printf("address space:    %zu bytes\n", i.mm_bytes);
	printf("rmap schemes:     %s\n", i.schemes);
	return 0;
}

static int cmd_replay(int argc, char **argv)
{
	struct rv_options opt = { 0 };
	const char *trace = NULL, *dump = NULL, *times = NULL;
	char err[256];
	rv_sim *s;
	int st;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--check")) {
			opt.check = RV_CHECK_EVENT;
		} else if (!strcmp(a, "--check=full")) {
			opt.check = RV_CHECK_FULL;
		} else if (!strncmp(a, "--pkeys=", 8) || !strcmp(a, "--pkeys")) {
			const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : "");

			if (!strcmp(v, "on"))
				opt.pkeys = RV_PKEYS_ON;
			else if (!strcmp(v, "off"))
				opt.pkeys = RV_PKEYS_OFF;
			else if (!strcmp(v, "host"))
				opt.pkeys = RV_PKEYS_HOST;
			else
				return bad("--pkeys takes on, off or host, not '%s'", v);
		} else if (!strcmp(a, "--dump") || !strcmp(a, "--times") ||
			   !strcmp(a, "--mem") || !strcmp(a, "--scheme") ||
			   !strcmp(a, "--fail-alloc")) {
			if (i + 1 >= argc)
				return bad("%s needs a value", a);
			const char *v = argv[++i];

			if (!strcmp(a, "--dump"))
				dump = v;
			else if (!strcmp(a, "--times"))
				times = v;
			else if (!strcmp(a, "--scheme"))
				opt.scheme = v;
			else if (!strcmp(a, "--fail-alloc")) {
				if (rv_parse_size(v, &opt.fail_alloc_at))
					return bad("bad --fail-alloc count '%s'", v);
			} else if (rv_parse_size(v, &opt.mem_bytes) || opt.mem_bytes < (64 << 10))
				return bad("bad --mem size '%s' (at least 64K; K/M/G suffixes)", v);
		} else if (a[0] == '-' && a[1]) {
			return bad("unknown option '%s'", a);
		} else if (!trace) {
			trace = a;
		} else {
			return bad("unexpected argument '%s'", a);
		}
	}
	if (!trace)
		return bad("%s", "replay needs a TRACE");
	s = rv_sim_new(&opt, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "revmap: %s\n", err);
		return 2;
	}
	st = rv_replay_file(s, trace, dump, times, stderr);
	rv_sim_free(s);
	return st;
}

static int cmd_bench(int argc, char **argv)
{
	struct rv_options opt = { 0 };
	uint64_t bytes = 1ULL << 30;
	const char *json = NULL;
	uint64_t procs = 0;

	if (argc >= 1 && !strcmp(argv[0], "scale")) {
		bool full = false;

		for (int i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--full"))
				full = true;
			else if (!strcmp(argv[i], "--json") && i + 1 < argc)
				json = argv[++i];
			else
				return bad("unknown or incomplete option '%s'", argv[i]);
		}
		return rv_bench_scale(&opt, full, json, stdout);
	}
	if (argc < 1 || strcmp(argv[0], "core"))
		return bad("%s", "bench takes a benchmark name: core or scale");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			return bad("unknown or incomplete option '%s'", a);
		const char *v = argv[++i];

		if (!strcmp(a, "--json"))
			json = v;
		else if (!strcmp(a, "--procs")) {
			if (rv_parse_size(v, &procs) || procs < 1 || procs > 4096)
				return bad("bad --procs '%s' (1 to 4096)", v);
		}
		else if (!strcmp(a, "--bytes")) {
			if (rv_parse_size(v, &bytes) || bytes < (1 << 20))
				return bad("bad --bytes '%s'", v);
		} else if (!strcmp(a, "--mem")) {
			if (rv_parse_size(v, &opt.mem_bytes))
				return bad("bad --mem '%s'", v);
		} else
			return bad("unknown option '%s'", a);
	}
	return rv_bench_core(&opt, bytes, (int)procs, json, stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "info"))
		return cmd_info();
	if (!strcmp(argv[1], "replay"))
		return cmd_replay(argc - 2, argv + 2);
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 2, argv + 2);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	return bad("unknown command '%s'", argv[1]);
}
