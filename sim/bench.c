/*
 * sim/bench.c - benchmarks (placeholder until the core benchmark lands).
 */
#include "sim.h"

int rv_bench_core(const struct rv_options *opt, uint64_t bytes, const char *json_path,
		  const char *linux_replay, FILE *out)
{
	fprintf(stderr, "revmap: bench core is not written yet\n");
	return 2;
}
