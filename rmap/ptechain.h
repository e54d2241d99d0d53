/*
 * rmap/ptechain.h - pte_chains, the primitives: a page's mappings kept as
 * the physical addresses of the PTEs that map it (Linux 2.5.27 to 2.6.6,
 * mm/rmap.c).  ptechain.c builds the `ptechain` scheme on them (every
 * mapped page); objrmap builds its anonymous pages' chains on them.
 *
 * A chain hangs from one 64-bit word (the frame's rmap word in ptechain):
 *
 *   0                    no mapping
 *   pte_addr | 1         PageDirect: the one PTE's address, in the word
 *   count << 3 | 2       no chain: a count in its place (PC_COUNT)
 *   block pointer        the first block of a chain (64-byte aligned)
 *
 *   word --> [next_and_idx | . . . e e e e]   the head block, filled from
 *                 |                            the top down to slot idx
 *                 v
 *            [next_and_idx | e e e e e e e]   full blocks
 *
 * A block is one L1 cache line: a word (the next block's address, and in
 * its low bits the index of the first used slot) and NRPTE = (64 - 8) / 8
 * = 7 PTE addresses.  Only the head block is partly used; a removal
 * fills its hole with the head's first entry, and frees the head when it
 * empties, as 2.6.0's page_remove_rmap did.  A chain left with one entry
 * goes back to PageDirect.
 *
 * A pte_addr_t is the PTE's physical address, (pfn of its PTE table << 12)
 * | index * 8, i.e. its offset in the machine's memory; the PTE table's
 * frame names its mm and first address (mm/pgtable.c, as 2.6.0's
 * pgtable_add_rmap), so the address alone gives (mm, virtual address).
 *
 * Memory: blocks come from one slab cache (the pool's); adds that may not
 * fail take them from the pool's reserve, which pte_chain_prepare fills
 * beforehand (pte_chain_alloc(GFP_KERNEL) before the page-table lock).
 * The pool counts its bytes in stats.rmap_bytes: 64 per block (in a chain
 * or in the reserve) and 8 per word in use.
 */
#ifndef REVMAP_RMAP_PTECHAIN_H
#define REVMAP_RMAP_PTECHAIN_H

#include "scheme.h"

#define PC_L1_CACHE_BYTES 64
typedef uint64_t pte_addr_t;             /* a PTE's physical address */
#define NRPTE ((PC_L1_CACHE_BYTES - sizeof(unsigned long)) / sizeof(pte_addr_t))
#define PC_DIRECT   1ull                 /* word: PageDirect (a pte_addr, not a block) */
#define PC_COUNT    2ull                 /* word: no chain, a count (count << 3 | PC_COUNT):
					    an mlocked page (seed 004 (b)), or objrmap's file
					    page (page->pte.mapcount) */
#define PC_IDX_MASK 7ull                 /* next_and_idx: the first used slot */

/* one block: a cache line */
struct pte_chain {
	uint64_t next_and_idx;       /* next block's address | first used slot (head only
					can be partial; others 0) */
	pte_addr_t ptes[NRPTE];      /* PTE addresses; slots [idx, NRPTE) in use */
};

/* where a user's blocks come from, and its walk in progress */
struct pte_chain_pool {
	struct vm_slab *slab;        /* the blocks' cache (m->slab_rmap[i]) */
	struct pte_chain *reserve;   /* preallocated blocks, linked by next_and_idx */
	unsigned nr_reserve;         /* blocks in the reserve */
	uint64_t blocks;             /* blocks held: in chains and in the reserve */
	uint64_t words;              /* words in use (direct or chained) */
	uint64_t *walking;           /* the word whose chain is being walked, or NULL */
	uint64_t holes;              /* entries removed from it during that walk */
	uint64_t locked;             /* entries that are PTEs of VM_LOCKED VMAs (mlock
					without chains: a page may lose its chain only
					while some are) */
	const char *name;            /* whose chains (the checkers' messages) */
	unsigned fault_reserve;      /* blocks a fault's rmap_prepare keeps ready */
	bool anon_only;              /* the pages chained whole are the anonymous ones
					(objrmap: file pages are its own business) */
};

static inline bool pte_chain_direct(uint64_t word) { return word & PC_DIRECT; }
static inline bool pte_chain_counted(uint64_t word) { return word & PC_COUNT; }
static inline uint64_t pte_chain_count_word(uint64_t n) { return n ? n << 3 | PC_COUNT : 0; }
static inline uint64_t pte_chain_word_count(uint64_t word) { return word >> 3; }
static inline struct pte_chain *pte_chain_head(uint64_t word)
{
	return (struct pte_chain *)(uintptr_t)(word & ~PC_DIRECT);
}
static inline struct pte_chain *pte_chain_next(const struct pte_chain *pc)
{
	return (struct pte_chain *)(uintptr_t)(pc->next_and_idx & ~PC_IDX_MASK);
}
static inline unsigned pte_chain_idx(const struct pte_chain *pc)
{
	return (unsigned)(pc->next_and_idx & PC_IDX_MASK);
}

/* a PTE's address, and back (m->mem is physical address 0) */
static inline pte_addr_t ptep_to_paddr(const struct vm_machine *m, const pte_t *pte)
{
	return (pte_addr_t)((const uint8_t *)pte - m->mem);
}
static inline pte_t *paddr_to_ptep(const struct vm_machine *m, pte_addr_t pa)
{
	return (pte_t *)(m->mem + pa);
}
/* ptep_to_mm, ptep_to_address: through the PTE table's frame */
static inline struct vm_mm *ptep_to_mm(const struct vm_machine *m, pte_addr_t pa)
{
	return m->frames[pa >> PAGE_SHIFT].mapping;
}
static inline uint64_t ptep_to_address(const struct vm_machine *m, pte_addr_t pa)
{
	return m->frames[pa >> PAGE_SHIFT].index +
	       (((pa & (PAGE_SIZE - 1)) / sizeof(pte_t)) << PAGE_SHIFT);
}

void pte_chain_pool_init(struct pte_chain_pool *pool, struct vm_slab *slab);
/* => 0 when the reserve holds nr blocks, else -ENOMEM (what was had is kept) */
int pte_chain_prepare(struct vm_machine *m, struct pte_chain_pool *pool, unsigned nr);
/* give the reserve back: all of it, or all but keep blocks */
void pte_chain_release(struct vm_machine *m, struct pte_chain_pool *pool);
void pte_chain_trim(struct vm_machine *m, struct pte_chain_pool *pool, unsigned keep);
/* free *word's chain, whatever it holds: *word becomes 0 */
void pte_chain_clear(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word);
/* add pa to *word: from the reserve (may not fail: the reserve was prepared) */
void pte_chain_add(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word,
		   pte_addr_t pa);
/* the same, allocating when the reserve is empty: => 0 or -ENOMEM (unchanged) */
int pte_chain_add_alloc(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word,
			pte_addr_t pa);
/* remove pa from *word (it is there) */
void pte_chain_remove(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word,
		      pte_addr_t pa);
/* the entry old became new (mremap moved the PTE) => false if old is not there */
bool pte_chain_replace(uint64_t word, pte_addr_t old, pte_addr_t nw);
/* entries on the chain */
uint64_t pte_chain_count(uint64_t word);
/* call fn for each entry until it returns nonzero (=> that); fn may
 * remove entries of this word (pte_chain_remove), nothing else */
int pte_chain_walk(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word,
		   int (*fn)(pte_addr_t pa, void *arg), void *arg);
/* the chain's shape: blocks linked, slots used as the head's index says,
 * no empty slot, direct iff one entry; => blocks in it, or -1 with why */
long pte_chain_check(const struct vm_machine *m, const struct pte_chain_pool *pool,
		     uint64_t word, char *why, size_t len);

/*
 * Pages chained whole, every PTE on the chain (every page: ptechain; the
 * anonymous pages: objrmap, pool->anon_only), with mlock without chains
 * (seed 004 (b)): a page whose every PTE is in a VM_LOCKED VMA keeps a
 * count in place of its chain (PC_COUNT).  A scheme's hooks call these;
 * rmap/ptechain.c says what each does.  The map count is mm/'s (f->mapcount
 * already counts an add, not yet a dup).
 */
int pte_chain_page_prepare(struct pte_chain_pool *pool, struct vm_area *vma, struct vm_frame *f);
void pte_chain_page_add(struct pte_chain_pool *pool, struct vm_frame *f, struct vm_area *vma,
			uint64_t addr);
void pte_chain_page_remove(struct pte_chain_pool *pool, struct vm_frame *f, struct vm_area *vma,
			   uint64_t addr);
/* => 0 or -ENOMEM, nothing changed */
int pte_chain_page_dup(struct pte_chain_pool *pool, struct vm_frame *f, struct vm_area *dst,
		       uint64_t addr);
/* munlock: => 0 or -ENOMEM, nothing changed; then, either way, the change */
int pte_chain_lock_prepare(struct pte_chain_pool *pool, struct vm_area *vma, uint64_t start,
			   uint64_t end);
void pte_chain_vma_locked(struct pte_chain_pool *pool, struct vm_area *vma, uint64_t start,
			  uint64_t end, bool locked);
/* the walk: the chain, or for a counted page a search of the locked VMAs */
int pte_chain_page_walk(struct pte_chain_pool *pool, struct vm_machine *m, struct vm_frame *f,
			rmap_visit_fn fn, void *arg);
/* the checker: f's word is what its mappings call for (*nlocked: its
 * chained entries in locked VMAs); => true, or false with why */
bool pte_chain_frame_ok(const struct pte_chain_pool *pool, struct vm_machine *m,
			const struct vm_frame *f, uint64_t *nlocked, char *why, size_t len);
/* a chain's entry, checked: a PTE of a live PTE table, in a VMA, that maps
 * f; => that VMA, or NULL with why */
struct vm_area *pte_chain_entry_vma(const struct pte_chain_pool *pool, struct vm_machine *m,
				    const struct vm_frame *f, pte_addr_t pa, char *why, size_t len);
/* the bytes a chain of n entries holds (blocks and the word) */
uint64_t pte_chain_bytes(uint64_t n);

/* the whole-machine check: what the frames hold, added up frame by frame
 * (pte_chain_census_frame for a frame chained whole; a scheme adds its
 * own), then held against the pool and the statistics */
struct pte_chain_census {
	uint64_t blocks;             /* blocks in chains (not the reserve) */
	uint64_t words;              /* frame words holding a chain */
	uint64_t unchained;          /* PTEs kept as counts (rmap_unchained) */
	uint64_t saved;              /* the bytes their chains would hold (rmap_mlock_saved) */
	uint64_t locked;             /* chained entries in VM_LOCKED VMAs (pool->locked) */
};
bool pte_chain_census_frame(const struct pte_chain_pool *pool, struct vm_machine *m,
			    const struct vm_frame *f, struct pte_chain_census *c, char *why,
			    size_t len);
bool pte_chain_pool_check(const struct vm_machine *m, const struct pte_chain_pool *pool,
			  const struct pte_chain_census *c, char *why, size_t len);

/* blocks: one from the reserve, else (may_alloc) the slab (zeroed; NULL:
 * -ENOMEM), given back; a block of the pool's slab, as the checkers ask */
struct pte_chain *pte_chain_block_get(struct vm_machine *m, struct pte_chain_pool *pool,
				      bool may_alloc);
void pte_chain_block_put(struct vm_machine *m, struct pte_chain_pool *pool, struct pte_chain *pc);
bool pte_chain_block_ok(const struct vm_machine *m, const struct pte_chain_pool *pool,
			const struct pte_chain *pc);

/* a walk's visit of one entry (pte_chain_walk's fn): one VMA (find_vma)
 * and one PTE visited, the visitor called when the PTE maps the frame */
struct pte_chain_visit {
	struct vm_machine *m;        /* the machine */
	struct vm_frame *f;          /* the frame walked */
	rmap_visit_fn fn;            /* the visitor */
	void *arg;                   /* its argument */
};
int pte_chain_visit_one(pte_addr_t pa, void *arg);

/* mremap moved [old_addr, +len) to new_addr in new_vma: fn is told each
 * moved PTE's old and new address (a PTE table moved whole kept them);
 * pte_chain_moved rewrites a chain's entry (a count needs nothing) */
typedef void (*pte_chain_moved_fn)(struct vm_machine *m, struct vm_frame *f, pte_addr_t opa,
				   pte_addr_t npa);
void pte_chain_move_walk(struct vm_area *new_vma, uint64_t old_addr, uint64_t new_addr,
			 uint64_t len, pte_chain_moved_fn fn);
void pte_chain_moved(struct vm_machine *m, struct vm_frame *f, pte_addr_t opa, pte_addr_t npa);

#endif
