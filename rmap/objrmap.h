/*
 * rmap/objrmap.h - the `objrmap` scheme's machine-wide state, for its
 * file (rmap/objrmap.c) and the corruption test (tests/t_rmap.c).
 *
 * A file page's frame word (f->rmap) is one of
 *
 *   0                    not mapped
 *   mapcount << 32 |     PC_COUNT, no chain: every PTE that maps it is
 *   hidden << 3 | 2      where its VMA maps its offset (i_mmap finds them)
 *                        but hidden ones, which are not and are all in
 *                        VM_LOCKED VMAs (mlock without chains, seed 004
 *                        (b): a count in place of their chain)
 *   first block pointer  some PTEs are not, one at least unlocked: their
 *                        addresses are chained, and the first block's
 *                        slot 0 holds the map count
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
	uint64_t file_locked;        /* of those, PTEs of VM_LOCKED VMAs */
	uint64_t *walking;           /* the counted chain being walked, or NULL */
	uint64_t holes;              /* entries removed from it during that walk */
};

/* a file page's word holds a counted chain (not 0, not a count) */
static inline bool objrmap_file_chained(uint64_t word)
{
	return word && !(word & (PC_DIRECT | PC_COUNT));
}

/* a file page's word without a chain: its map count, its hidden PTEs */
static inline uint64_t objrmap_count_word(uint64_t mapcount, uint64_t hidden)
{
	return mapcount || hidden ? mapcount << 32 | hidden << 3 | PC_COUNT : 0;
}

/* the PTEs a file page keeps as a count (locked, away from their linear
 * position, on no chain) */
static inline uint64_t objrmap_file_hidden(uint64_t word)
{
	return objrmap_file_chained(word) ? 0 : (word >> 3) & 0x1fffffffull;
}

/* the map count a file page's word holds (in the word, or the first block) */
static inline uint64_t objrmap_file_count(uint64_t word)
{
	if (objrmap_file_chained(word))
		return pte_chain_head(word)->ptes[0];
	return word >> 32;
}

/* the entries on a file page's counted chain (holes not counted) */
static inline uint64_t objrmap_file_entries(uint64_t word)
{
	uint64_t n = 0;

	if (!objrmap_file_chained(word))
		return 0;
	for (struct pte_chain *pc = pte_chain_head(word); pc; pc = pte_chain_next(pc))
		for (unsigned i = pte_chain_idx(pc); i < NRPTE; i++)
			n += pc->ptes[i] != 0;
	return n;
}

#endif
