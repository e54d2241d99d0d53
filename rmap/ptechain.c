/*
 * rmap/ptechain.c - the `ptechain` scheme: Rik van Riel's reverse map as
 * Linux had it from 2.5.27 (July 2002) to 2.6.6 (May 2004), in its 2.6.0
 * form: every mapped page, anonymous or file, keeps the addresses of the
 * PTEs that map it (seed 004 argues about its cost; ../shared/history.md).
 *
 *   frame->rmap = pte_addr | PageDirect     one mapping: the PTE's address
 *   frame->rmap = &block --> block --> ...  more: chained blocks of NRPTE = 7
 *                                           PTE addresses (rmap/ptechain.h)
 *
 *   pte_addr --> PTE table's frame (mapping = mm, index = its first
 *                address) --> (mm, address) --> find_vma --> the visitor
 *
 * How it finds a page's mappings.  It does not look for them: the chain
 * is the list of them.  The walk reads each entry, the PTE's physical
 * address, finds the PTE table's frame, which names its address space and
 * the address it starts at (2.6.0's ptep_to_mm and ptep_to_address, set
 * by pgtable_add_rmap; here mm/pgtable.c sets them when it makes a PTE
 * table and when mremap moves one whole), and the VMA by find_vma there,
 * as 2.6.0's try_to_unmap_one did (it wanted the VMA for VM_LOCKED).  Each
 * entry counts one VMA and one PTE visited, and each is found: precision
 * 1.0 is the design's point.  No VMA is ever searched by offset, so the
 * VMA layout is nothing to it: splits, merges, mremap's copies, fork's
 * VMAs, Linux's anon_vma reuse rules, nonlinear file offsets, none of
 * them touch a chain.  File pages go through their chains too (the scheme
 * takes over rmap_walk's file walk: the walk_file hook).
 *
 * The chains follow the PTEs, one entry per PTE: page_add_rmap on every
 * fault that maps a page (anonymous, file, swap-in, fault-around) and at
 * fork for every PTE copied (copy_page_range: this is the fork cost the
 * debate measured, lmbench's fork 185 -> 231 us from 2.4 to 2.5),
 * page_remove_rmap on every unmap, swap-out and COW break.  mremap moves
 * PTEs to other tables: each moved entry is rewritten in place (no
 * memory); a PTE table moved whole keeps its entries' addresses and only
 * its frame's index changes.  Migration moves the frame's word with the
 * frame (the PTEs, hence their addresses, stay).  A swap-cache page that
 * nothing maps has no chain (word 0); one mapped again through the swap
 * cache (page_add_anon) starts a new one.
 *
 * What 2.6.0 changed from 2.5.27: memory.  2.5.27 allocated a block under
 * the page-table lock and could not fail (it panicked when it did); 2.6.0
 * preallocated: pte_chain_alloc(GFP_KERNEL) before taking the lock in
 * do_anonymous_page, do_wp_page, do_no_page and do_swap_page, so a failure
 * is the fault's OOM and fork's or mremap's -ENOMEM, never a half-built
 * chain.  Here: rmap_prepare (rmap/rmap.h) at the start of every fault
 * tops up a reserve of FAULT_AROUND_PAGES blocks (fault-around may map 16
 * file pages in one fault; a new anonymous page needs none: its first
 * mapping is direct), and swapoff's unuse one; per-PTE adds take from the
 * reserve and never fail.  Fork's page_dup allocates and may fail (the
 * fork fails, unwound by mm/).  mremap needs nothing.
 *
 * mlock without chains (seed 004 (b): "Yank them off the LRU, set a
 * bitflag, and reuse page->lru for a counter").  An mlocked page is never
 * unmapped by reclaim, so while every PTE that maps a page is in a
 * VM_LOCKED VMA the page keeps no chain: its word holds a count of its
 * mappings in place of the chain (count << 3 | PC_COUNT: the tag is the
 * frame's flag, the word the counter; revmap's frame keeps its lru links
 * for mm/'s lists, and mm/ has already moved the page to the unevictable
 * list, mlock_vma_folio).  The moment is exact both ways:
 *   - the chain goes when mlock leaves a page's PTEs all locked, when its
 *     last unlocked PTE is unmapped (page_remove; or by the visitors of a
 *     walk, looked at when the walk ends), or when its first mapping is in
 *     a locked VMA (a fault there starts a count, no chain);
 *   - it comes back when munlock unlocks one of its PTEs, when an unlocked
 *     VMA maps the page (a fault: page_prepare takes the blocks first, so
 *     a failure is the fault's OOM) or when fork copies a PTE of it into a
 *     child (fork clears VM_LOCKED in the child; page_dup takes the blocks
 *     and may fail, -ENOMEM); munlock takes its blocks in lock_prepare
 *     (-ENOMEM, nothing changed).  Rebuilding is a search: a file page's
 *     VMAs on its file's i_mmap at its offset (and --nonlinear, every
 *     nonlinear VMA of the file whole), an anonymous page's VMAs of every
 *     address space with an anonymous identity where its index falls
 *     (stats.rmap_chain_rebuilds, rmap_rebuild_vmas).
 * While a page keeps a chain, the chain holds all its PTEs, locked ones
 * included.  The walk of a counted page is the same search, probing only
 * VM_LOCKED VMAs (stats.rmap_fallbacks): reclaim meets such a page only
 * when mm/ put it back on an evictable list lazily (6.x's munlock of one
 * mapping), and culls it; migration and the checkers walk it.  To see the
 * last unlocked PTE go without looking at every chain, the pool counts the
 * chained entries that are PTEs of locked VMAs (pool->locked): only while
 * there are some does a removal look at what is left, and the look stops
 * at the first unlocked entry.  Statistics ("mlock" in --stats): PTEs
 * kept as counts (rmap_unchained, now and peak), the bytes their chains
 * would hold (rmap_mlock_saved: ceil(n / 7) blocks and the word for a
 * page of n > 1 mappings, the word for one), drops and rebuilds.
 *
 * Cost, exactly.  Per mapping (one PTE): 8 bytes while the page has one
 * mapping (the word: PageDirect), else 64-byte blocks of 7 entries, so
 * between 64/7 = 9.1 and 64/2 = 32 bytes a mapping, plus the 8-byte word
 * (the word is in revmap's frame descriptor for every scheme: it is
 * counted while it holds a chain, as vmaring counts its word).  Per VMA,
 * per address space: nothing.  A reserve of up to 16 blocks (1 KiB) per
 * machine.  rmap_bytes counts blocks (chains + reserve) and words in use.
 * Every present PTE of a page costs, where the object schemes cost per
 * VMA or per family: that is what objrmap (McCracken, 2003: file pages
 * through i_mmap) and anon_vma (Arcangeli, 2.6.7: anonymous pages through
 * a list per fork family) replaced it with, after the 182 MB of pte_chains
 * on a 2002 database workload (many processes mapping one big shared
 * memory file: an entry per process per page) and the fork cost above.
 *
 * Worst workload: many processes mapping one big file (seed 004's lowmem
 * case, bench rmap's filemap case: 300 processes mapping one file, and
 * prefork: every child of a server sharing the parent's pages): one entry
 * per PTE, 9 bytes or more each, where i_mmap costs nothing per page.  Its
 * best: a walk that never looks at a PTE that does not map the page.
 *
 * Measured (bench rmap, full, seed 1; exact counts).  filemap (300
 * processes mapping one 1024-page file): 2036240 bytes at the peak, 11.44
 * bytes per present PTE, where avc's anon_vmas hold 23328 (0.13: its file
 * pages cost nothing, i_mmap is the file's); prefork (300 children of a
 * server sharing 4096 pages): 11355032 bytes, 9.17 B/PTE, avc 125056.
 * That is the 182 MB of 2002 in small: one entry per process per page.
 * Fork copies a chain entry per PTE: 28.6 ns a page in prefork (avc 10.1),
 * 33.7 in filemap (avc 10.7), and exit takes them off again (178 ns a
 * page in prefork, avc 11.4).  In exchange every walk visits only PTEs
 * that map the page: precision 1.0000 in chain, prefork, filemap and
 * mremap, the fewest VMAs a walk of all schemes in those four (chain
 * 30.5, avc 86; prefork 53.8, astree 57.2; filemap 35.9, the others 160;
 * mremap 60.8, mminode 74), and the fastest walks there.  mlock without
 * chains, in filemap-mlock (the same 300 processes, every mapping shared
 * and mlocked): up to 243193 PTEs kept as counts, 2264448 bytes of chains
 * not held; the peak, 2190720 bytes, is reached before the processes lock
 * (faults and populate first, fork's children unlocked until they lock),
 * and every walk of a counted page is a search (1.0 fallbacks a walk at
 * the end).  The mlock case: up to 4103 PTEs as counts (53368 bytes),
 * 0.21 fallbacks a walk, precision 0.99, 1288696 bytes at the peak.
 *
 * Locking (2.6.0): the chain is guarded by the page's pte_chain_lock (a
 * bit spinlock in page->flags; here the frame lock), taken inside the
 * page-table lock by page_add_rmap/page_remove_rmap; the walk takes it,
 * then each PTE's page-table lock with a trylock (the order is inverted:
 * 2.6.0's try_to_unmap_one used spin_trylock(&mm->page_table_lock)).
 */
#include <stdlib.h>
#include <string.h>
#include "ptechain.h"

/* ---------------- the primitives (rmap/ptechain.h) ---------------- */

void pte_chain_pool_init(struct pte_chain_pool *pool, struct vm_slab *slab)
{
	memset(pool, 0, sizeof(*pool));
	pool->slab = slab;
	pool->name = "pte_chain";
}

static struct pte_chain *block_alloc(struct vm_machine *m, struct pte_chain_pool *pool)
{
	struct pte_chain *pc = slab_alloc(m, pool->slab);

	if (!pc)
		return NULL;
	pool->blocks++;
	m->stats.rmap_bytes += sizeof(*pc);
	rmap_note_peak(m);
	return pc;
}

void pte_chain_block_put(struct vm_machine *m, struct pte_chain_pool *pool, struct pte_chain *pc)
{
	pool->blocks--;
	m->stats.rmap_bytes -= sizeof(*pc);
	slab_free(m, pool->slab, pc);
}

/* a block from the reserve, else (may_alloc) from the slab; zeroed */
struct pte_chain *pte_chain_block_get(struct vm_machine *m, struct pte_chain_pool *pool,
				     bool may_alloc)
{
	struct pte_chain *pc = pool->reserve;

	if (pc) {
		pool->reserve = pte_chain_next(pc);
		pool->nr_reserve--;
		memset(pc, 0, sizeof(*pc));
		return pc;
	}
	VM_BUG_ON(!may_alloc);          /* the caller prepared too few */
	return may_alloc ? block_alloc(m, pool) : NULL;
}

void pte_chain_release(struct vm_machine *m, struct pte_chain_pool *pool)
{
	pte_chain_trim(m, pool, 0);
}

void pte_chain_trim(struct vm_machine *m, struct pte_chain_pool *pool, unsigned keep)
{
	while (pool->nr_reserve > keep) {
		struct pte_chain *pc = pool->reserve;

		pool->reserve = pte_chain_next(pc);
		pool->nr_reserve--;
		pte_chain_block_put(m, pool, pc);
	}
}

int pte_chain_prepare(struct vm_machine *m, struct pte_chain_pool *pool, unsigned nr)
{
	while (pool->nr_reserve < nr) {
		struct pte_chain *pc = block_alloc(m, pool);

		if (!pc)
			return -ENOMEM;
		pc->next_and_idx = (uint64_t)(uintptr_t)pool->reserve;
		pool->reserve = pc;
		pool->nr_reserve++;
	}
	return 0;
}

static void word_set(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word,
		     uint64_t v)
{
	if (!*word && v) {
		pool->words++;
		m->stats.rmap_bytes += sizeof(*word);
		rmap_note_peak(m);
	} else if (*word && !v) {
		pool->words--;
		m->stats.rmap_bytes -= sizeof(*word);
	}
	*word = v;
}

static int __pte_chain_add(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word,
			   pte_addr_t pa, bool may_alloc)
{
	struct pte_chain *head, *pc;
	unsigned idx;

	VM_BUG_ON(!pa || (pa & (sizeof(pte_t) - 1)));
	if (!*word) {                               /* the first: PageDirect */
		word_set(m, pool, word, pa | PC_DIRECT);
		return 0;
	}
	if (pte_chain_direct(*word)) {              /* the second: a chain */
		pc = pte_chain_block_get(m, pool, may_alloc);
		if (!pc)
			return -ENOMEM;
		pc->ptes[NRPTE - 1] = *word & ~PC_DIRECT;
		pc->ptes[NRPTE - 2] = pa;
		pc->next_and_idx = NRPTE - 2;
		*word = (uint64_t)(uintptr_t)pc;
		return 0;
	}
	head = pte_chain_head(*word);
	idx = pte_chain_idx(head);
	if (idx) {                                  /* room in the head */
		head->ptes[idx - 1] = pa;
		head->next_and_idx = (head->next_and_idx & ~PC_IDX_MASK) | (idx - 1);
		return 0;
	}
	pc = pte_chain_block_get(m, pool, may_alloc);         /* a new head */
	if (!pc)
		return -ENOMEM;
	pc->ptes[NRPTE - 1] = pa;
	pc->next_and_idx = (uint64_t)(uintptr_t)head | (NRPTE - 1);
	*word = (uint64_t)(uintptr_t)pc;
	return 0;
}

void pte_chain_add(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word,
		   pte_addr_t pa)
{
	__pte_chain_add(m, pool, word, pa, false);
}

int pte_chain_add_alloc(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word,
			pte_addr_t pa)
{
	return __pte_chain_add(m, pool, word, pa, true);
}

void pte_chain_clear(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word)
{
	struct pte_chain *pc, *next;

	VM_BUG_ON(pool->walking == word);
	if (!*word)
		return;
	if (!pte_chain_direct(*word))
		for (pc = pte_chain_head(*word); pc; pc = next) {
			next = pte_chain_next(pc);
			pte_chain_block_put(m, pool, pc);
		}
	word_set(m, pool, word, 0);
}

uint64_t pte_chain_count(uint64_t word)
{
	uint64_t n = 0;

	if (!word || pte_chain_counted(word))
		return 0;
	if (pte_chain_direct(word))
		return 1;
	for (struct pte_chain *pc = pte_chain_head(word); pc; pc = pte_chain_next(pc))
		for (unsigned i = pte_chain_idx(pc); i < NRPTE; i++)
			n += pc->ptes[i] != 0;
	return n;
}

/*
 * Take the head's first entry out (=> it, possibly 0 for a hole), freeing
 * the head when it empties.
 */
static pte_addr_t chain_pop(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word)
{
	struct pte_chain *head = pte_chain_head(*word);
	unsigned idx = pte_chain_idx(head);
	pte_addr_t pa = head->ptes[idx];

	head->ptes[idx] = 0;
	if (++idx == NRPTE) {
		struct pte_chain *next = pte_chain_next(head);

		pte_chain_block_put(m, pool, head);
		word_set(m, pool, word, (uint64_t)(uintptr_t)next);
	} else {
		head->next_and_idx = (head->next_and_idx & ~PC_IDX_MASK) | idx;
	}
	return pa;
}

/* a chain of one entry becomes PageDirect again */
static void chain_shrink(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word)
{
	struct pte_chain *head;

	if (!*word || pte_chain_direct(*word))
		return;
	head = pte_chain_head(*word);
	if (pte_chain_next(head) || pte_chain_idx(head) != NRPTE - 1)
		return;
	*word = head->ptes[NRPTE - 1] | PC_DIRECT;
	pte_chain_block_put(m, pool, head);
}

static pte_addr_t *chain_find(uint64_t word, pte_addr_t pa)
{
	for (struct pte_chain *pc = pte_chain_head(word); pc; pc = pte_chain_next(pc))
		for (unsigned i = pte_chain_idx(pc); i < NRPTE; i++)
			if (pc->ptes[i] == pa)
				return &pc->ptes[i];
	return NULL;
}

void pte_chain_remove(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word,
		      pte_addr_t pa)
{
	pte_addr_t *slot, first;

	VM_BUG_ON(!*word);
	/* a PTE the chain never had (only a test's hand-made corruption) is
	 * left alone, for the checkers to report */
	if (pte_chain_direct(*word)) {
		if ((*word & ~PC_DIRECT) == pa)
			word_set(m, pool, word, 0);
		return;
	}
	slot = chain_find(*word, pa);
	if (!slot)
		return;
	if (pool->walking == word) {
		/* a walk is going through this chain: leave a hole, the
		 * walk's end closes it */
		*slot = 0;
		pool->holes++;
		return;
	}
	*slot = 0;
	first = chain_pop(m, pool, word);
	if (first)
		*slot = first;
	chain_shrink(m, pool, word);
}

bool pte_chain_replace(uint64_t word, pte_addr_t old, pte_addr_t nw)
{
	pte_addr_t *slot;

	if (!word)
		return false;
	if (pte_chain_direct(word))
		return false;
	slot = chain_find(word, old);
	if (slot)
		*slot = nw;
	return slot != NULL;
}

/* after a walk: fill its holes with the head's entries, drop empty blocks */
static void chain_close_holes(struct vm_machine *m, struct pte_chain_pool *pool,
			      uint64_t *word)
{
	while (pool->holes && *word && !pte_chain_direct(*word)) {
		pte_addr_t first = chain_pop(m, pool, word), *slot;

		if (!first) {                /* the head's first slot was a hole */
			pool->holes--;
			continue;
		}
		slot = chain_find(*word, 0);
		VM_BUG_ON(!slot);
		*slot = first;
		pool->holes--;
	}
	pool->holes = 0;
	chain_shrink(m, pool, word);
}

int pte_chain_walk(struct vm_machine *m, struct pte_chain_pool *pool, uint64_t *word,
		   int (*fn)(pte_addr_t pa, void *arg), void *arg)
{
	int ret = 0;

	if (!*word || pte_chain_counted(*word))
		return 0;
	if (pte_chain_direct(*word))
		return fn(*word & ~PC_DIRECT, arg);
	VM_BUG_ON(pool->walking);
	pool->walking = word;
	pool->holes = 0;
	for (struct pte_chain *pc = pte_chain_head(*word); pc && !ret; pc = pte_chain_next(pc))
		for (unsigned i = pte_chain_idx(pc); i < NRPTE && !ret; i++)
			if (pc->ptes[i])
				ret = fn(pc->ptes[i], arg);
	pool->walking = NULL;
	if (pool->holes)
		chain_close_holes(m, pool, word);
	return ret;
}

bool pte_chain_block_ok(const struct vm_machine *m, const struct pte_chain_pool *pool,
			const struct pte_chain *pc)
{
	uint64_t off = (uint64_t)((const uint8_t *)pc - m->mem);
	const struct vm_frame *sf;

	if ((const uint8_t *)pc < m->mem || off >= m->nr_frames << PAGE_SHIFT ||
	    off % sizeof(*pc))
		return false;
	sf = &m->frames[off >> PAGE_SHIFT];
	return (sf->flags & PG_SLAB) && sf->mapping == pool->slab;
}

long pte_chain_check(const struct vm_machine *m, const struct pte_chain_pool *pool,
		     uint64_t word, char *why, size_t len)
{
	long blocks = 0;
	uint64_t n = 0;

	if (!word || pte_chain_direct(word) || pte_chain_counted(word))
		return 0;
	for (const struct pte_chain *pc = pte_chain_head(word); pc; pc = pte_chain_next(pc)) {
		unsigned idx;

		if (!pte_chain_block_ok(m, pool, pc)) {
			snprintf(why, len, "ptechain: block %p of the chain is no pte_chain object",
				 (const void *)pc);
			return -1;
		}
		idx = pte_chain_idx(pc);
		if (idx >= NRPTE || (blocks && idx)) {
			snprintf(why, len, "ptechain: block %ld of the chain has first slot %u "
				 "(head: < %u, others: 0)", blocks, idx, (unsigned)NRPTE);
			return -1;
		}
		for (unsigned i = 0; i < NRPTE; i++) {
			if (i < idx && pc->ptes[i]) {
				snprintf(why, len, "ptechain: block %ld slot %u is below the head's "
					 "first slot %u but holds %#llx", blocks, i, idx,
					 (unsigned long long)pc->ptes[i]);
				return -1;
			}
			if (i >= idx && !pc->ptes[i]) {
				snprintf(why, len, "ptechain: block %ld slot %u is used but empty",
					 blocks, i);
				return -1;
			}
			n += i >= idx;
		}
		if (++blocks > (long)pool->blocks) {
			snprintf(why, len, "ptechain: a chain longer than the %llu blocks held "
				 "(a loop?)", (unsigned long long)pool->blocks);
			return -1;
		}
	}
	if (n < 2) {
		snprintf(why, len, "ptechain: a chain of %llu entries (one is PageDirect)",
			 (unsigned long long)n);
		return -1;
	}
	return blocks;
}

/* ---------------- the scheme ---------------- */

static struct pte_chain_pool *pc_pool(const struct vm_machine *m)
{
	return m->rmap_priv;
}

/* the address of vma's PTE at addr (it exists: the caller maps through it) */
static pte_addr_t pte_paddr(struct vm_area *vma, uint64_t addr)
{
	pte_t *pte = pte_lookup(vma->mm, addr);

	VM_BUG_ON(!pte);
	return ptep_to_paddr(vma->mm->machine, pte);
}

/* the last address space goes: the reserve is nobody's (a machine left
 * empty holds no metadata) */
static void pc_mm_exit(struct vm_mm *mm)
{
	struct vm_machine *m = mm->machine;

	if (list_is_singular(&m->mms))
		pte_chain_release(m, pc_pool(m));
}

static int pc_prepare(struct vm_machine *m, unsigned nr)
{
	return pte_chain_prepare(m, pc_pool(m), nr);
}

/* ---------------- mlock without chains (seed 004 (b)) ---------------- */

/* the blocks, and the bytes with the word, of a chain of n entries (built
 * by adds and kept packed by removals, it always takes ceil(n / 7) blocks;
 * one entry is PageDirect) */
static uint64_t chain_blocks(uint64_t n)
{
	return n < 2 ? 0 : (n + NRPTE - 1) / NRPTE;
}

uint64_t pte_chain_bytes(uint64_t n)
{
	return n ? chain_blocks(n) * sizeof(struct pte_chain) + sizeof(uint64_t) : 0;
}

/* f's word becomes a count of n mappings (0: none); the statistics follow
 * => f's word is a count or 0 */
static void count_set(struct vm_machine *m, struct vm_frame *f, uint64_t n)
{
	uint64_t old = f->rmap ? pte_chain_word_count(f->rmap) : 0;

	VM_BUG_ON(f->rmap && !pte_chain_counted(f->rmap));
	m->stats.rmap_unchained += n - old;
	m->stats.rmap_mlock_saved += pte_chain_bytes(n) - pte_chain_bytes(old);
	if (m->stats.rmap_unchained > m->stats.rmap_unchained_peak)
		m->stats.rmap_unchained_peak = m->stats.rmap_unchained;
	if (m->stats.rmap_mlock_saved > m->stats.rmap_mlock_saved_peak)
		m->stats.rmap_mlock_saved_peak = m->stats.rmap_mlock_saved;
	f->rmap = pte_chain_count_word(n);
}

/* the VMA of the PTE at pa (NULL for a PTE outside every VMA) */
static struct vm_area *entry_vma(struct vm_machine *m, pte_addr_t pa)
{
	uint64_t addr = ptep_to_address(m, pa);
	struct vm_area *vma = find_vma(ptep_to_mm(m, pa), addr);

	return vma && vma->start <= addr ? vma : NULL;
}

static int entry_unlocked(pte_addr_t pa, void *arg)
{
	struct vm_area *vma = entry_vma(arg, pa);

	return !vma || !(vma->flags & VM_LOCKED);
}

/*
 * f's last unlocked PTE may have gone, or its PTEs become locked: when
 * every entry left on its chain is a PTE of a VM_LOCKED VMA, the chain
 * goes and a count takes its place.  Looked at only while some chain
 * holds a locked PTE (pool->locked), and the look stops at the first
 * unlocked entry, usually the head's.
 */
static void maybe_drop(struct pte_chain_pool *pool, struct vm_machine *m, struct vm_frame *f)
{
	uint64_t n;

	if (!pool->locked || !f->rmap || pte_chain_counted(f->rmap) || pool->walking)
		return;
	if (pte_chain_walk(m, pool, &f->rmap, entry_unlocked, m))
		return;
	n = pte_chain_count(f->rmap);
	VM_BUG_ON(n != (uint64_t)f->mapcount || n > pool->locked);
	pool->locked -= n;
	pte_chain_clear(m, pool, &f->rmap);
	count_set(m, f, n);
	m->stats.rmap_chain_drops++;
}

/*
 * Where the PTEs of a page without a chain are: a file page's in its
 * file's i_mmap VMAs at its offset (and, --nonlinear, anywhere in a
 * nonlinear VMA of the file), an anonymous page's in the VMAs of any
 * address space that may hold anonymous pages at its index.  How a
 * search looks and what it counts:
 *   SEARCH_WALK     a walk of a counted page: only VM_LOCKED VMAs (all its
 *                   PTEs are there) are probed; the walk's statistics,
 *                   and a fallback
 *   SEARCH_REBUILD  its chain comes back: every VMA probed (munlock has
 *                   just unlocked some); rmap_rebuild_vmas
 *   SEARCH_CHECK    the checker: every VMA; nothing counted
 */
enum pc_search { SEARCH_WALK, SEARCH_REBUILD, SEARCH_CHECK };

static int search_vma(struct vm_machine *m, struct vm_frame *f, struct vm_area *v,
		      rmap_visit_fn fn, void *arg, enum pc_search how)
{
	uint64_t addr;
	pte_t *pte;

	if (how == SEARCH_WALK && !(v->flags & VM_LOCKED)) {
		m->stats.rmap_vmas_visited++;
		return 0;
	}
	m->stats.rmap_rebuild_vmas += how == SEARCH_REBUILD;
	if (v->flags & VM_NONLINEAR) {
		/* --nonlinear: the page may be anywhere in it */
		return rmap_search_vma(m, f, v, fn, arg, how == SEARCH_WALK);
	}
	if (how == SEARCH_WALK)
		return rmap_one(m, f, v, fn, arg);
	addr = v->start + ((f->index - v->pgoff) << PAGE_SHIFT);
	pte = pte_lookup(v->mm, addr);
	if (!pte || !pte_present(*pte) || pte_pfn(*pte) != frame_pfn(m, f))
		return 0;
	return fn(v, addr, pte, arg);
}

static int pc_search(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg,
		     enum pc_search how)
{
	int ret = 0;

	m->stats.rmap_fallbacks += how == SEARCH_WALK;
	if (f->flags & PG_CACHE) {
		struct vm_file *file = f->mapping;

		for (struct itree_node *it = itree_iter_first(&file->i_mmap, f->index, f->index);
		     it && !ret; it = itree_iter_next(it, f->index, f->index))
			ret = search_vma(m, f, container_of(it, struct vm_area, shared), fn, arg,
					 how);
		for (struct itree_node *it = itree_iter_first(&file->i_mmap_nonlinear, 0,
							       UINT64_MAX);
		     it && !ret; it = itree_iter_next(it, 0, UINT64_MAX))
			ret = search_vma(m, f, container_of(it, struct vm_area, shared), fn, arg,
					 how);
		return ret;
	}
	for (struct list_head *p = m->mms.next; p != &m->mms && !ret; p = p->next) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		for (struct vm_area *v = mm->first; v && !ret; v = v->next) {
			if (!v->anon || f->index < v->pgoff || f->index - v->pgoff >= vma_pages(v)) {
				m->stats.rmap_vmas_visited += how == SEARCH_WALK;
				m->stats.rmap_rebuild_vmas += how == SEARCH_REBUILD;
				continue;
			}
			ret = search_vma(m, f, v, fn, arg, how);
		}
	}
	return ret;
}

struct pc_rebuild {
	struct vm_machine *m;        /* the machine */
	struct pte_chain_pool *pool; /* the chains' pool */
	struct vm_frame *f;          /* the page whose chain comes back */
	pte_addr_t skip;             /* a PTE not to chain (fork's new one, set later) */
	uint64_t found;              /* PTEs chained */
};

static int rebuild_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct pc_rebuild *rb = arg;
	struct pte_chain_pool *pool = rb->pool;
	pte_addr_t pa = ptep_to_paddr(rb->m, pte);

	if (pa == rb->skip)
		return 0;
	pte_chain_add(rb->m, pool, &rb->f->rmap, pa);
	pool->locked += (vma->flags & VM_LOCKED) != 0;
	rb->found++;
	return 0;
}

/*
 * f keeps a count: its chain comes back, each PTE that maps it found by a
 * search (except skip).  => the reserve holds chain_blocks(count) blocks
 * (plus what the caller adds next)
 */
static void rebuild(struct pte_chain_pool *pool, struct vm_machine *m, struct vm_frame *f,
		    pte_addr_t skip)
{
	struct pc_rebuild rb = { m, pool, f, skip, 0 };
	uint64_t n = pte_chain_word_count(f->rmap);

	count_set(m, f, 0);
	pc_search(m, f, rebuild_one, &rb, SEARCH_REBUILD);
	VM_BUG_ON(rb.found != n);
	m->stats.rmap_chain_rebuilds++;
}

/* the reserve back to what a fault needs */
static void reserve_trim(struct pte_chain_pool *pool, struct vm_machine *m)
{
	unsigned keep = pool->nr_reserve < pool->fault_reserve ? pool->nr_reserve
							       : pool->fault_reserve;

	pte_chain_trim(m, pool, keep);
}

/* a fault is about to map f in vma: a counted page mapped by an unlocked
 * VMA needs its whole chain back (the fault's reserve stays whole too) */
int pte_chain_page_prepare(struct pte_chain_pool *pool, struct vm_area *vma, struct vm_frame *f)
{
	if (!pte_chain_counted(f->rmap) || (vma->flags & VM_LOCKED) ||
	    (pool->anon_only && !(f->flags & PG_ANON)))
		return 0;
	return pte_chain_prepare(vma->mm->machine, pool, pool->fault_reserve +
				 (unsigned)chain_blocks(pte_chain_word_count(f->rmap) + 1));
}

void pte_chain_page_add(struct pte_chain_pool *pool, struct vm_frame *f, struct vm_area *vma,
			uint64_t addr)
{
	struct vm_machine *m = vma->mm->machine;
	bool locked = vma->flags & VM_LOCKED;
	pte_addr_t pa = pte_paddr(vma, addr);

	if (locked && (!f->rmap || pte_chain_counted(f->rmap))) {
		/* its first mapping, or one more, all locked: a count */
		count_set(m, f, (f->rmap ? pte_chain_word_count(f->rmap) : 0) + 1);
		return;
	}
	if (pte_chain_counted(f->rmap))
		rebuild(pool, m, f, 0);         /* page_prepare took the blocks */
	pte_chain_add(m, pool, &f->rmap, pa);
	pool->locked += locked;
}

void pte_chain_page_remove(struct pte_chain_pool *pool, struct vm_frame *f, struct vm_area *vma,
			   uint64_t addr)
{
	struct vm_machine *m = vma->mm->machine;

	if (pte_chain_counted(f->rmap)) {
		VM_BUG_ON(!(vma->flags & VM_LOCKED));
		count_set(m, f, pte_chain_word_count(f->rmap) - 1);
		return;
	}
	pte_chain_remove(m, pool, &f->rmap, pte_paddr(vma, addr));
	if (vma->flags & VM_LOCKED)
		pool->locked--;
	else
		maybe_drop(pool, m, f);
}

int pte_chain_page_dup(struct pte_chain_pool *pool, struct vm_frame *f, struct vm_area *dst,
		       uint64_t addr)
{
	struct vm_machine *m = dst->mm->machine;
	pte_addr_t pa = pte_paddr(dst, addr);
	bool locked = dst->flags & VM_LOCKED;
	int err;

	if (pte_chain_counted(f->rmap)) {
		if (locked) {
			count_set(m, f, pte_chain_word_count(f->rmap) + 1);
			return 0;
		}
		err = pte_chain_prepare(m, pool, (unsigned)chain_blocks(
						pte_chain_word_count(f->rmap) + 1));
		if (err)
			return err;
		rebuild(pool, m, f, pa);
		pte_chain_add(m, pool, &f->rmap, pa);
		return 0;
	}
	err = pte_chain_add_alloc(m, pool, &f->rmap, pa);
	if (!err)
		pool->locked += locked;
	return err;
}

/* ---------------- mlock, munlock ---------------- */

struct pc_lock {
	struct pte_chain_pool *pool; /* the chains' pool */
	uint64_t blocks;             /* lock_prepare: blocks the rebuilds need */
	bool locked;                 /* vma_locked: the range is now VM_LOCKED */
	int pass;                    /* vma_locked: 1 the entries' state, 2 the chains */
};

static int lock_count(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct pc_lock *l = arg;
	struct vm_frame *f = pte_page(mm->machine, *pte);

	if (f && pte_chain_counted(f->rmap) && (!l->pool->anon_only || (f->flags & PG_ANON)))
		l->blocks += chain_blocks(pte_chain_word_count(f->rmap));
	return 0;
}

/* munlock: each counted page of the range will need its whole chain (a
 * page met twice is counted twice: more than enough) */
int pte_chain_lock_prepare(struct pte_chain_pool *pool, struct vm_area *vma, uint64_t start,
			   uint64_t end)
{
	struct pc_lock l = { pool, 0, false, 0 };

	walk_ptes(vma->mm, start, end, lock_count, &l);
	if (l.blocks > (1u << 30))
		return -ENOMEM;
	return pte_chain_prepare(vma->mm->machine, pool, (unsigned)l.blocks);
}

static int lock_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_machine *m = mm->machine;
	struct pc_lock *l = arg;
	struct pte_chain_pool *pool = l->pool;
	struct vm_frame *f = pte_page(m, *pte);

	if (!f || !f->rmap || (pool->anon_only && !(f->flags & PG_ANON)))
		return 0;
	if (l->pass == 1) {
		/* this PTE's entry changed sides (a counted page has none) */
		if (!pte_chain_counted(f->rmap)) {
			if (l->locked)
				pool->locked++;
			else
				pool->locked--;
		}
		return 0;
	}
	if (l->locked)
		maybe_drop(pool, m, f);         /* mlock: its last unlocked PTE? */
	else if (pte_chain_counted(f->rmap))
		rebuild(pool, m, f, 0);         /* munlock: lock_prepare took the blocks */
	return 0;
}

/* VM_LOCKED of [start, end) changed: first every entry of the range
 * changes sides, then each page is looked at (a page mapped twice in the
 * range is whole by then); the reserve goes back to what a fault needs */
void pte_chain_vma_locked(struct pte_chain_pool *pool, struct vm_area *vma, uint64_t start,
			  uint64_t end, bool locked)
{
	struct pc_lock l = { pool, 0, locked, 1 };

	walk_ptes(vma->mm, start, end, lock_one, &l);
	l.pass = 2;
	walk_ptes(vma->mm, start, end, lock_one, &l);
	reserve_trim(pool, vma->mm->machine);
}

/* mremap moved the PTEs: each moved PTE's old and new address to fn */
struct pc_move {
	int64_t delta;               /* old address - new address */
	pte_chain_moved_fn fn;       /* told of each */
};

static int move_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_machine *m = mm->machine;
	struct pc_move *mv = arg;
	struct vm_frame *f = pte_page(m, *pte);
	pte_addr_t opa, npa = ptep_to_paddr(m, pte);
	pte_t *old;

	if (!f)
		return 0;
	/* a PTE table moved whole: its PTEs kept their addresses */
	old = pte_lookup(mm, addr + (uint64_t)mv->delta);
	if (!old)
		return 0;
	opa = ptep_to_paddr(m, old);
	if (opa != npa)
		mv->fn(m, f, opa, npa);
	return 0;
}

void pte_chain_move_walk(struct vm_area *new_vma, uint64_t old_addr, uint64_t new_addr,
			 uint64_t len, pte_chain_moved_fn fn)
{
	struct pc_move mv = { (int64_t)(old_addr - new_addr), fn };

	walk_ptes(new_vma->mm, new_addr, new_addr + len, move_one, &mv);
}

void pte_chain_moved(struct vm_machine *m, struct vm_frame *f, pte_addr_t opa, pte_addr_t npa)
{
	bool ok;

	if (pte_chain_counted(f->rmap))         /* a count moves with nothing */
		return;
	if (pte_chain_direct(f->rmap)) {
		VM_BUG_ON((f->rmap & ~PC_DIRECT) != opa);
		f->rmap = npa | PC_DIRECT;
		return;
	}
	ok = pte_chain_replace(f->rmap, opa, npa);
	VM_BUG_ON(!ok);
	(void)ok;
}

static void pc_move_done(struct vm_area *old_vma, uint64_t old_addr, struct vm_area *new_vma,
			 uint64_t new_addr, uint64_t len)
{
	pte_chain_move_walk(new_vma, old_addr, new_addr, len, pte_chain_moved);
}

/* the walk: one entry, one PTE */
int pte_chain_visit_one(pte_addr_t pa, void *arg)
{
	struct pte_chain_visit *w = arg;
	struct vm_machine *m = w->m;
	struct vm_mm *mm = ptep_to_mm(m, pa);
	uint64_t addr = ptep_to_address(m, pa);
	pte_t *pte = paddr_to_ptep(m, pa);
	struct vm_area *vma;

	m->stats.rmap_vmas_visited++;
	vma = find_vma(mm, addr);
	VM_BUG_ON(!vma || vma->start > addr);
	m->stats.rmap_ptes_visited++;
	if (!pte_present(*pte) || pte_pfn(*pte) != frame_pfn(m, w->f))
		return 0;
	m->stats.rmap_ptes_found++;
	return w->fn(vma, addr, pte, w->arg);
}

int pte_chain_page_walk(struct pte_chain_pool *pool, struct vm_machine *m, struct vm_frame *f,
			rmap_visit_fn fn, void *arg)
{
	struct pte_chain_visit w = { m, f, fn, arg };
	int ret;

	/* a count in place of the chain: every PTE is in a locked VMA */
	if (pte_chain_counted(f->rmap))
		return pc_search(m, f, fn, arg, SEARCH_WALK);
	ret = pte_chain_walk(m, pool, &f->rmap, pte_chain_visit_one, &w);
	/* the visitors may have unmapped its last unlocked PTEs */
	maybe_drop(pool, m, f);
	return ret;
}

/* ---------------- checks ---------------- */

static int cmp_paddr(const void *a, const void *b)
{
	pte_addr_t x = *(const pte_addr_t *)a, y = *(const pte_addr_t *)b;

	return x < y ? -1 : x > y;
}

#define CHECK_DUPS_MAX 2048          /* entries sorted on the stack for duplicates */

struct vm_area *pte_chain_entry_vma(const struct pte_chain_pool *pool, struct vm_machine *m,
				    const struct vm_frame *f, pte_addr_t pa, char *why, size_t len)
{
	const struct vm_frame *tf;
	struct vm_area *vma;
	pte_t p;
	uint64_t addr;

	if (pa >> PAGE_SHIFT >= m->nr_frames || (pa & (sizeof(pte_t) - 1))) {
		snprintf(why, len, "%s: pfn %llu: entry %#llx is no PTE address", pool->name,
			 (unsigned long long)frame_pfn(m, f), (unsigned long long)pa);
		return NULL;
	}
	tf = &m->frames[pa >> PAGE_SHIFT];
	if (!(tf->flags & PG_PGTABLE) || !tf->mapping) {
		snprintf(why, len, "%s: pfn %llu: entry %#llx is not in a PTE table", pool->name,
			 (unsigned long long)frame_pfn(m, f), (unsigned long long)pa);
		return NULL;
	}
	addr = ptep_to_address(m, pa);
	p = *paddr_to_ptep(m, pa);
	if (!pte_present(p) || pte_pfn(p) != frame_pfn(m, f)) {
		snprintf(why, len, "%s: pfn %llu: entry %#llx (address %#llx) does not map "
			 "it (pte %#llx)", pool->name, (unsigned long long)frame_pfn(m, f),
			 (unsigned long long)pa, (unsigned long long)addr, (unsigned long long)p);
		return NULL;
	}
	vma = entry_vma(m, pa);
	if (!vma)
		snprintf(why, len, "%s: pfn %llu: entry %#llx (address %#llx) is in no VMA", pool->name,
			 (unsigned long long)frame_pfn(m, f), (unsigned long long)pa,
			 (unsigned long long)addr);
	return vma;
}

/* one entry checked (pte_chain_entry_vma); *locked: its VMA is VM_LOCKED */
static bool check_entry(const struct pte_chain_pool *pool, struct vm_machine *m,
			const struct vm_frame *f, pte_addr_t pa, bool *locked, char *why, size_t len)
{
	struct vm_area *vma = pte_chain_entry_vma(pool, m, f, pa, why, len);

	if (vma)
		*locked = vma->flags & VM_LOCKED;
	return vma != NULL;
}

/* the checker's search of a counted page: PTEs found, those in locked VMAs */
struct pc_census {
	uint64_t found;              /* PTEs that map the page */
	uint64_t locked;             /* of them, in VM_LOCKED VMAs */
};

static int census_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct pc_census *c = arg;

	c->found++;
	c->locked += (vma->flags & VM_LOCKED) != 0;
	return 0;
}

/*
 * => true when f's word is what its mappings call for: nothing when it
 *    has none; a count of them when every one is in a VM_LOCKED VMA; else its chain: as many entries as mappings, each
 *    a PTE that maps f, none twice, PageDirect iff one, and at least one
 *    of them outside a VM_LOCKED VMA.  *nlocked: entries in locked VMAs.
 */
bool pte_chain_frame_ok(const struct pte_chain_pool *pool, struct vm_machine *m,
			const struct vm_frame *f, uint64_t *nlocked, char *why, size_t len)
{
	uint64_t word = f->rmap, n;
	pte_addr_t seen[CHECK_DUPS_MAX];
	unsigned nseen = 0;
	bool locked;

	*nlocked = 0;
	if (f->mapcount <= 0) {
		if (word) {
			snprintf(why, len, "%s: pfn %llu is mapped nowhere but its word is "
				 "%#llx", pool->name, (unsigned long long)frame_pfn(m, f),
				 (unsigned long long)word);
			return false;
		}
		return true;
	}
	if (pte_chain_counted(word)) {
		struct pc_census c = { 0, 0 };

		if (pte_chain_word_count(word) != (uint64_t)f->mapcount) {
			snprintf(why, len, "%s: pfn %llu has mapcount %d but a count of %llu "
				 "in place of its chain", pool->name, (unsigned long long)frame_pfn(m, f),
				 f->mapcount, (unsigned long long)pte_chain_word_count(word));
			return false;
		}
		pc_search(m, (struct vm_frame *)f, census_one, &c, SEARCH_CHECK);
		if (c.found != (uint64_t)f->mapcount || c.locked != c.found) {
			snprintf(why, len, "%s: pfn %llu keeps a count (%d) in place of its "
				 "chain, but %llu PTEs map it, %llu of them in VM_LOCKED VMAs", pool->name,
				 (unsigned long long)frame_pfn(m, f), f->mapcount,
				 (unsigned long long)c.found, (unsigned long long)c.locked);
			return false;
		}
		return true;
	}
	if (pte_chain_check(m, pool, word, why, len) < 0)
		return false;
	n = pte_chain_count(word);
	if (n != (uint64_t)f->mapcount) {
		snprintf(why, len, "%s: pfn %llu has mapcount %d but %llu entries", pool->name,
			 (unsigned long long)frame_pfn(m, f), f->mapcount, (unsigned long long)n);
		return false;
	}
	if (pte_chain_direct(word)) {
		if (!check_entry(pool, m, f, word & ~PC_DIRECT, &locked, why, len))
			return false;
		*nlocked = locked;
	} else {
		for (const struct pte_chain *pc = pte_chain_head(word); pc; pc = pte_chain_next(pc))
			for (unsigned i = pte_chain_idx(pc); i < NRPTE; i++) {
				if (!check_entry(pool, m, f, pc->ptes[i], &locked, why, len))
					return false;
				*nlocked += locked;
				if (nseen < CHECK_DUPS_MAX)
					seen[nseen++] = pc->ptes[i];
			}
		qsort(seen, nseen, sizeof(seen[0]), cmp_paddr);
		for (unsigned i = 1; i < nseen; i++)
			if (seen[i] == seen[i - 1]) {
				snprintf(why, len, "%s: pfn %llu: entry %#llx is on its chain "
					 "twice", pool->name, (unsigned long long)frame_pfn(m, f),
					 (unsigned long long)seen[i]);
				return false;
			}
	}
	if (*nlocked == n) {
		snprintf(why, len, "%s: pfn %llu keeps a chain of %llu entries, every one "
			 "in a VM_LOCKED VMA (a count should be in its place)", pool->name,
			 (unsigned long long)frame_pfn(m, f), (unsigned long long)n);
		return false;
	}
	return true;
}

static bool pc_check_frame(struct vm_machine *m, const struct vm_frame *f, char *why, size_t len)
{
	uint64_t nlocked;

	return pte_chain_frame_ok(pc_pool(m), m, f, &nlocked, why, len);
}

/* => true when the pool's reserve, blocks, words and locked entries, the
 *    statistics' counts and the metadata bytes are what the caller found */
bool pte_chain_pool_check(const struct vm_machine *m, const struct pte_chain_pool *pool,
			  const struct pte_chain_census *c, char *why, size_t len)
{
	uint64_t blocks = c->blocks, bytes;
	unsigned reserve = 0;

	for (const struct pte_chain *pc = pool->reserve; pc; pc = pte_chain_next(pc)) {
		if (!pte_chain_block_ok(m, pool, pc) || ++reserve > pool->nr_reserve) {
			snprintf(why, len, "%s: the reserve is not the %u blocks counted", pool->name,
				 pool->nr_reserve);
			return false;
		}
	}
	if (reserve != pool->nr_reserve) {
		snprintf(why, len, "%s: %u blocks in the reserve, %u counted", pool->name, reserve,
			 pool->nr_reserve);
		return false;
	}
	blocks += reserve;
	if (c->unchained != m->stats.rmap_unchained || c->saved != m->stats.rmap_mlock_saved) {
		snprintf(why, len, "%s: %llu PTEs kept as counts (their chains %llu bytes), "
			 "%llu and %llu counted (rmap_unchained, rmap_mlock_saved)", pool->name,
			 (unsigned long long)c->unchained, (unsigned long long)c->saved,
			 (unsigned long long)m->stats.rmap_unchained,
			 (unsigned long long)m->stats.rmap_mlock_saved);
		return false;
	}
	if (c->locked != pool->locked) {
		snprintf(why, len, "%s: %llu chained PTEs in VM_LOCKED VMAs, %llu counted",
			 pool->name, (unsigned long long)c->locked, (unsigned long long)pool->locked);
		return false;
	}
	if (blocks != pool->blocks || blocks != pool->slab->objects || c->words != pool->words) {
		snprintf(why, len, "%s: %llu blocks and %llu words held, %llu blocks "
			 "(%llu in the slab) and %llu words counted", pool->name,
			 (unsigned long long)blocks, (unsigned long long)c->words,
			 (unsigned long long)pool->blocks,
			 (unsigned long long)pool->slab->objects,
			 (unsigned long long)pool->words);
		return false;
	}
	bytes = blocks * sizeof(struct pte_chain) + c->words * sizeof(uint64_t);
	if (bytes != m->stats.rmap_bytes) {
		snprintf(why, len, "%s: %llu metadata bytes counted, %llu held (%llu blocks, "
			 "%llu words)", pool->name, (unsigned long long)m->stats.rmap_bytes,
			 (unsigned long long)bytes, (unsigned long long)blocks,
			 (unsigned long long)c->words);
		return false;
	}
	return true;
}

/* a frame chained whole: its blocks, word, count and locked entries into c
 * => true, or false with why */
bool pte_chain_census_frame(const struct pte_chain_pool *pool, struct vm_machine *m,
			    const struct vm_frame *f, struct pte_chain_census *c, char *why,
			    size_t len)
{
	uint64_t nlocked;
	long b = pte_chain_check(m, pool, f->rmap, why, len);

	if (b < 0 || !pte_chain_frame_ok(pool, m, f, &nlocked, why, len))
		return false;
	if (pte_chain_counted(f->rmap)) {
		c->unchained += pte_chain_word_count(f->rmap);
		c->saved += pte_chain_bytes(pte_chain_word_count(f->rmap));
	} else {
		c->words += f->rmap != 0;
		c->locked += nlocked;
	}
	c->blocks += (uint64_t)b;
	return true;
}

static bool pc_check_machine(struct vm_machine *m, char *why, size_t len)
{
	const struct pte_chain_pool *pool = pc_pool(m);
	struct pte_chain_census c = { 0 };

	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		const struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if ((f->flags & (PG_ANON | PG_CACHE)) &&
		    !pte_chain_census_frame(pool, m, f, &c, why, len))
			return false;
	}
	return pte_chain_pool_check(m, pool, &c, why, len);
}

/* ---------------- the scheme's hooks: every page chained whole ---------------- */

static int pc_page_prepare(struct vm_area *vma, struct vm_frame *f)
{
	return pte_chain_page_prepare(pc_pool(vma->mm->machine), vma, f);
}

/* page_add_rmap: anonymous (new or found in the swap cache) and file */
static void pc_page_add(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	pte_chain_page_add(pc_pool(vma->mm->machine), f, vma, addr);
}

/* page_remove_rmap */
static void pc_page_remove(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	pte_chain_page_remove(pc_pool(vma->mm->machine), f, vma, addr);
}

/* copy_page_range; => 0 or -ENOMEM, nothing changed */
static int pc_page_dup(struct vm_frame *f, struct vm_area *dst, struct vm_area *src,
		       uint64_t addr)
{
	return pte_chain_page_dup(pc_pool(dst->mm->machine), f, dst, addr);
}

static int pc_lock_prepare(struct vm_area *vma, uint64_t start, uint64_t end)
{
	return pte_chain_lock_prepare(pc_pool(vma->mm->machine), vma, start, end);
}

static void pc_vma_locked(struct vm_area *vma, uint64_t start, uint64_t end, bool locked)
{
	pte_chain_vma_locked(pc_pool(vma->mm->machine), vma, start, end, locked);
}

static int pc_walk(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg)
{
	return pte_chain_page_walk(pc_pool(m), m, f, fn, arg);
}

static void pc_objects(const struct vm_machine *m,
		       void (*emit)(const char *type, uint64_t count, void *arg), void *arg)
{
	const struct pte_chain_pool *pool = pc_pool(m);

	emit("pte_chain", pool->blocks - pool->nr_reserve, arg);
	emit("pte_chain_reserve", pool->nr_reserve, arg);
}

static int pc_init(struct vm_machine *m)
{
	struct pte_chain_pool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return -ENOMEM;
	_Static_assert(sizeof(struct pte_chain) == PC_L1_CACHE_BYTES, "a block is a line");
	slab_init(&m->slab_rmap[0], "pte_chain", sizeof(struct pte_chain));
	pte_chain_pool_init(pool, &m->slab_rmap[0]);
	pool->name = "ptechain";
	pool->fault_reserve = FAULT_AROUND_PAGES;
	m->rmap_priv = pool;
	return 0;
}

static void pc_fini(struct vm_machine *m)
{
	free(m->rmap_priv);
	m->rmap_priv = NULL;
}

const struct rmap_ops rmap_ptechain_ops = {
	.name = "ptechain",
	.init = pc_init,
	.fini = pc_fini,
	.mm_exit = pc_mm_exit,
	.page_add_new_anon = pc_page_add,
	.page_add_anon = pc_page_add,
	.page_add_file = pc_page_add,
	.page_remove = pc_page_remove,
	.page_dup = pc_page_dup,
	.move_done = pc_move_done,
	.lock_prepare = pc_lock_prepare,
	.vma_locked = pc_vma_locked,
	.check_frame = pc_check_frame,
	.check_machine = pc_check_machine,
	.walk_anon = pc_walk,
	.walk_file = pc_walk,
	.prepare = pc_prepare,
	.page_prepare = pc_page_prepare,
	.objects = pc_objects,
};
