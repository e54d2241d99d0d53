/*
 * rmap/objrmap.h - the `objrmap` scheme's machine-wide state, for its
 * file (rmap/objrmap.c) and the corruption test (tests/t_rmap.c).
 *
 * A file page's frame word (f->rmap) is one of
 *
 *   0                    not mapped
 *   mapcount << 3 | 2    PC_COUNT: every PTE that maps it is where its VMA
 *                        maps its offset (i_mmap finds them); no chain
 *   first block pointer  some PTEs are not: their addresses are chained,
 *                        and the first block's slot 0 holds the map count
 *
 *   word --> [next_and_idx | count . . e e e]   the first block: slot 0 the
 *                 |                            map count, entries in slots
 *                 v                            [idx, NRPTE), idx >= 1
 *            [next_and_idx | e e e e e e e]   full blocks, linked after it
 *
 * An anonymous page's word is a pte_chain as ptechain's (rmap/ptechain.h).
 */
#ifndef REVMAP_RMAP_OBJRMAP_H
#define REVMAP_RMAP_OBJRMAP_H

#include "ptechain.h"

struct objrmap {
	struct pte_chain_pool pool;  /* the blocks (anonymous and file chains, reserve) and
					the words holding a chain (direct or a block pointer) */
	uint64_t file_blocks;        /* blocks in counted (file) chains */
	uint64_t file_chained;       /* PTEs on counted chains: file PTEs away from their
					VMA's linear position */
	uint64_t *walking;           /* the counted chain being walked, or NULL */
	uint64_t holes;              /* entries removed from it during that walk */
};

/* a file page's word holds a counted chain (not 0, not a count) */
static inline bool objrmap_file_chained(uint64_t word)
{
	return word && !(word & (PC_DIRECT | PC_COUNT));
}

/* the map count a file page's word holds (in the word, or the first block) */
static inline uint64_t objrmap_file_count(uint64_t word)
{
	if (objrmap_file_chained(word))
		return pte_chain_head(word)->ptes[0];
	return pte_chain_word_count(word);
}

#endif
