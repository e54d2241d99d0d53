/*
 * gen/hardcase.h - the debate's hard cases as trace generators.
 *
 * Each kind writes one shape of trace (../shared/spec/trace-v1.md), seeded,
 * at the sizes asked for, that both `revmap replay` and the Linux tester
 * run (no simulator directives, no hostfile, no "= result", every mapping
 * inside [0x100000000000, 0x200000000000)).  gen/hardcase.c says what each
 * kind makes and what it stresses in which reverse-mapping design.
 *
 * Used by tools/gentrace (`gentrace SEED --kind NAME`) and, linked into
 * revmap, by the benchmarks.  No global state: two generators may run at
 * once.
 */
#ifndef REVMAP_GEN_HARDCASE_H
#define REVMAP_GEN_HARDCASE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum gen_kind { GEN_CHAIN, GEN_PREFORK, GEN_FILEMAP, GEN_MREMAP, GEN_MLOCK, GEN_DB, NR_GEN_KINDS };

/*
 * The sizes of a case.  Limits, the same for every kind (gen_hardcase
 * refuses anything outside them):
 *   1 <= procs  <= GEN_MAX_PROCS
 *   GEN_MIN_PAGES <= pages <= GEN_MAX_PAGES
 *   1 <= rounds <= GEN_MAX_ROUNDS
 * The trace has O(procs * rounds) lines (touch covers a range in one line,
 * so pages adds none); the memory it needs grows with procs * pages.
 */
struct gen_size {
	unsigned procs;   /* processes: chain depth, prefork children, filemap/mremap/mlock sharers */
	uint64_t pages;   /* pages of the region each case works on (heap, file, moved region) */
	unsigned rounds;  /* repetitions of the case's main phase (COW writes, moves, ...) */
	bool mlock;       /* filemap: every process maps the file shared and mlocks it;
			     db: the server and every worker mlock the file and the
			     shared memory (seed 004's database, its memory locked:
			     (b)) */
};

#define GEN_MAX_PROCS   10000
#define GEN_MIN_PAGES   4
#define GEN_MAX_PAGES   (1ull << 20)    /* 4 GiB of 4 KiB pages per region */
#define GEN_MAX_ROUNDS  1000

/* => returns the kind's name ("chain", ...), or NULL if kind is not one */
const char *gen_kind_name(int kind);

/* => returns the kind called name, or -1 */
int gen_kind_find(const char *name);

/* Fills sz with the sizes gentrace uses by default (what the differential
   test can afford); a kind out of range gets the chain's. */
void gen_size_default(int kind, struct gen_size *sz);

/*
 * Writes the trace of kind for seed at sizes sz to out.  The output depends
 * only on (kind, seed, *sz).
 * => returns 0; -EINVAL if kind or a size is out of range (nothing written);
 *    -ENOMEM if memory ran out, -EIO if writing failed (the trace is then
 *    incomplete).
 */
int gen_hardcase(int kind, uint64_t seed, const struct gen_size *sz, FILE *out);

#endif /* REVMAP_GEN_HARDCASE_H */
