/*
 * rmap/objrmap.c - the `objrmap` scheme: Dave McCracken's object-based
 * reverse map as the 2.5.6x-mm and 2.6.0-mm trees carried it in 2003: a
 * file page is found through its file's i_mmap, an anonymous page through
 * pte_chains; with William Lee Irwin's step (c) of seed 004 (July 2003)
 * for the file pages i_mmap cannot find (remap_file_pages): their PTEs are
 * chained one by one, the map count kept in the first chain block.
 *
 *   anonymous page:  frame->rmap = pte_addr | PageDirect, or a pte_chain
 *                    (rmap/ptechain.h, exactly as the `ptechain` scheme)
 *   file page:       frame->rmap = mapcount << 3 | PC_COUNT   (no chain)
 *                    frame->rmap = &first --> [idx | mapcount . . e e e]
 *                                                 --> [e e e e e e e] ...
 *                    (the entries: only the PTEs that are not where their
 *                    VMA maps the page's offset; rmap/objrmap.h)
 *
 * What McCracken's objrmap saved.  2.5.27's reverse map chained every PTE
 * of every page (`ptechain`): one entry per process per page, 9 to 32
 * bytes each, which on the 2002 database workload (hundreds of processes
 * mapping one large shared memory file) came to 182 MB of pte_chains in
 * lowmem, and which fork paid for PTE by PTE (lmbench's fork went from
 * 185 us in 2.4 to 231 us in 2.5).  A file page already knows (mapping,
 * index), and its file knows every VMA that maps it (i_mmap, then a list,
 * here the interval tree every scheme shares): the VMA maps offset index
 * at vm_start + ((index - vm_pgoff) << PAGE_SHIFT), and one PTE probe per
 * VMA of i_mmap tells whether it maps this frame.  So objrmap dropped the
 * chains of file pages: page_add_rmap() bailed out for a file page and
 * kept only a count (page->pte.mapcount, in the union where the chain had
 * been); kernbench's system time fell by 13%.  What it left: anonymous
 * pages have no object to search, so they kept their pte_chains, and
 * fork still copies a chain entry for every anonymous PTE; that ended
 * with 2.6.7, where Andrea Arcangeli's anon_vma (the `anonvma` scheme)
 * replaced the chains (Hugh Dickins' anonmm was the rival design).
 *
 * remap_file_pages (2.5.46): a VMA whose PTEs map pages at offsets of the
 * process's choosing, so that i_mmap's arithmetic finds nothing.  In the
 * -mm objrmap tree, page_convert_anon() turned such a file page into an
 * "anonymous" one (PageAnon set, its existing mappings found through
 * i_mmap and chained), so that from then on every mapping of it was
 * chained; seed 004 is Irwin's argument (against Andrea, who wanted
 * remap_file_pages limited) that three steps make it cheap and correct:
 * (a) fix truncate (mm/: unmap_mapping_range searches i_mmap_nonlinear,
 * 2.6's fix (i)), (b) no chains for mlocked pages, and (c): chain
 * incrementally, and only the PTEs that need it.  This file does (b) and
 * (c).
 *   (i) the chain block is in hand: every path that maps a page takes its
 *       blocks first (rmap_prepare before a fault, as 2.6.0's
 *       pte_chain_alloc(GFP_KERNEL); fork's page_dup allocates and may
 *       fail), so starting a chain at any add never fails;
 *  (ii) page_add_file() is told (vma, addr) and compares addr with where
 *       vma maps the page's offset linearly; only a PTE elsewhere is
 *       chained.  A page remapped by one process and mapped linearly by
 *       a hundred others has a chain of one entry;
 * (iii) the map count shares the word with the chain (2.6.0-mm's
 *       page->pte union): a page with no chain holds it in the word
 *       (PC_COUNT), a page with one holds it in slot 0 of the first
 *       block, which stays first for the chain's life.
 * (b), mlock without chains ("the big apps can get their magical lowmem
 * savings by just mlock()'ing _anything_ they do massive sharing with,
 * regardless of remap_file_pages()").  An anonymous page whose every PTE
 * is in a VM_LOCKED VMA keeps a count in place of its chain, exactly as
 * ptechain's pages do (the same code: rmap/ptechain.c, pte_chain_page_*).
 * A file page whose chained PTEs (those away from their linear position)
 * are all in VM_LOCKED VMAs drops its chain: the word keeps the map count
 * and the number of those hidden PTEs (objrmap.h); its walk probes i_mmap
 * as always and searches the file's locked nonlinear VMAs whole for the
 * hidden ones (a fallback: the price of the count).  An unlocked PTE away
 * from its linear position (a fault, fork's copy) or munlock brings the
 * chain back, built by a search of the file's nonlinear VMAs, its blocks
 * taken first (rmap_page_prepare for a fault, page_dup for fork, which
 * may fail, lock_prepare for munlock).  The bytes not held are counted
 * (stats.rmap_mlock_saved; --stats' "mlock").
 * Which PTEs are chained.  A PTE at addr in vma is chained exactly when
 * addr != vma->start + ((f->index - vma->pgoff) << PAGE_SHIFT), whether
 * vma is VM_NONLINEAR or not: a split, a merge (file VMAs merge only with
 * their offsets contiguous), mremap (pgoff moves with the range) and
 * remap_file_pages (no VMA changes; the range's PTEs are replaced) all
 * keep the relation of every existing PTE, so add and remove always agree
 * on it.  A linear PTE inside a VM_NONLINEAR VMA is not chained: mm/ keeps
 * those VMAs on i_mmap_nonlinear (2.6's list), keyed by their linear
 * range as i_mmap is, so the walk probes each VMA of i_mmap_nonlinear
 * whose linear range covers the page, once, at the linear address, as it
 * probes i_mmap (2.6.0-mm kept remap_file_pages VMAs on i_mmap anyway).
 * So nothing happens when a VMA becomes nonlinear (its linear PTEs stay
 * findable), and no VMA is ever searched whole: this scheme's walks make
 * no fallback (stats.rmap_fallbacks stays 0, even with --nonlinear).
 *
 * The walk of a file page: the VMAs of i_mmap covering its offset, one
 * probe each (a VMA and a PTE visited, found when it maps the frame; a
 * private VMA whose PTE there holds a COW copy is a miss, as in avc), the
 * VMAs of i_mmap_nonlinear covering it, one probe each, then the chain,
 * one VMA (find_vma at the PTE's address) and one PTE per entry, each
 * found.  An anonymous page: its chain, as ptechain (precision 1.0).
 *
 * The counted chain.  Entries are PTE physical addresses (ptechain.h:
 * ptep_to_mm and ptep_to_address through the PTE table's frame).  The
 * first block holds the count in slot 0 and entries in [idx, NRPTE),
 * 1 <= idx <= NRPTE (NRPTE: none there); every later block is full (7).
 * With n entries the shape is unique: n / 7 full blocks after the first,
 * n % 7 entries in it.  An add goes into the first block below idx; when
 * it is full (6 entries) a new block takes its six entries and the new
 * one and is linked second.  A removal fills its hole with the first
 * block's lowest entry; when the first block is empty, the second block's
 * remaining six move into it and the second is freed.  The last entry
 * gone, the word becomes a count again and the first block is freed.  A
 * walk whose visitor unmaps leaves holes (zeroed slots, the count kept
 * right) and closes them when it ends.  No PageDirect for a file chain:
 * the count needs the block.
 *
 * Memory, exactly (stats.rmap_bytes, checked by check_machine).  Blocks
 * are 64 bytes (one slab cache, "pte_chain"), counted while in a chain or
 * in the reserve; the frame's word is counted, 8 bytes, while it holds a
 * chain (direct or a block pointer), nothing while it holds a count (the
 * count is the map count every scheme keeps in f->mapcount).
 *   anonymous page: as ptechain: 8 bytes mapped once (PageDirect), else
 *     8 + 64 * ceil(n / 7): between 9.1 and 32 bytes a mapping;
 *   file page: 0 while every PTE is linear, whatever the number of
 *     processes; with k nonlinear PTEs, 8 + 64 * (1 + k / 7) (the first
 *     block holds the count and up to 6): 72 bytes for one, 136 for 7;
 *   per VMA, per address space, per file: nothing.
 *   the reserve: one block (64 bytes) while any address space lives: a
 *     fault maps at most one page that may need a block (a nonlinear
 *     fault maps one page and never faults around; fault-around maps
 *     linear file pages, which need none; a new anonymous page is direct;
 *     a page found in the swap cache may need one), where ptechain keeps
 *     FAULT_AROUND_PAGES (16) blocks because every page it maps may.
 * What accepting Linux's layout costs it: nothing.  Neither chains nor
 * counts know VMAs; splits, merges, anon_vma reuse and fork's VMA copies
 * are never told to it.  mremap rewrites the chained entries of the PTEs
 * it moved, in place (no memory; a PTE table moved whole keeps its
 * entries).  Migration moves the word with the frame (mm/ copies the
 * frame descriptor; the PTE addresses do not change).  Fork's
 * copy_page_range copies the anonymous PTEs, and 2.6.32 also copies a
 * VM_NONLINEAR VMA's PTEs: page_dup chains the child's PTE when it is
 * away from its linear position (may fail: the fork fails, -ENOMEM).
 * Truncate and reclaim unmap nonlinear pages through the walk or mm/'s
 * zap of the nonlinear VMAs; every unmap is a page_remove.
 *
 * Swap cache: anonymous pages as ptechain: a swap-cache page nothing maps
 * has word 0, and one mapped again through the swap cache (page_add_anon)
 * starts a chain (PageDirect, then a block from the reserve).
 *
 * Worst workload: many processes sharing anonymous memory (bench rmap's
 * prefork: 300 children of a server sharing its pages): one chain entry
 * per process per page, ptechain's cost exactly, where anon_vma costs a
 * few objects per VMA.  Its best: the file case (filemap: 300 processes
 * mapping one file), where it costs nothing per page and ptechain costs
 * an entry per PTE, and walks as avc's do.  With --nonlinear, a page
 * mapped away from its offset by many processes (gentrace --nonlinear
 * --forks): a chain entry each, but still no VMA searched whole.
 *
 * Measured (bench rmap, full, seed 1; bytes and visits exact).  filemap
 * (300 processes mapping one 1024-page file, some privately, writing and
 * forking): 805848 bytes at the peak, 4.53 per present PTE, where
 * ptechain holds 2036240 (11.44) and avc 23328 (0.13): the file pages
 * cost nothing, what is left is the anonymous COW copies' chains; its
 * walks are avc's (precision 0.2248, 159.6 VMAs a walk, where ptechain
 * visits 35.9 at 1.0) and exit takes 72 ns a page (ptechain 325, avc
 * 59).  prefork (300 children sharing 4096 anonymous pages), its worst:
 * 11353168 bytes, 9.17 per PTE, ptechain's to the byte but for its
 * smaller reserve and the file pages, 91 times avc's 125056; fork 31.2 ns
 * a page (avc 10.1), exit 258 (avc 11.4).  chain and mremap are anonymous:
 * ptechain's bytes less its 15 reserve blocks (545472, 1927952), precision
 * 1.0.  mlock: 826328 bytes (ptechain 1288696, avc 294656), up to 2589
 * PTEs kept as counts (20712 bytes of chains not held), 0.15 fallbacks a
 * walk (the walks of counted pages), precision 0.85.  filemap-mlock (every
 * mapping shared and mlocked): 64 bytes, its reserve, where ptechain
 * peaks at 2190720.  With --nonlinear (20 seeds of gentrace --nonlinear
 * --forks, --mem 768K --swap 64M, the peaks summed): 719 walks probe
 * 1889 PTEs for the 1698 found (precision 0.90), no fallback, 24536 peak
 * bytes; ptechain makes the same walks probing only the 1698 for 48664
 * bytes; avc (its metadata takes other frames, so it reclaims otherwise:
 * 748 walks) probes 3660 for 1692 (0.46), 22 of its walks searching
 * nonlinear VMAs whole, 127360 bytes.
 *
 * Locking (2.6.0-mm): the word, count and chain alike, is guarded by the
 * page's pte_chain_lock (here the frame lock), taken inside the page-table
 * lock by page_add_rmap/page_remove_rmap; the file walk takes i_mmap_lock
 * for the probes, then the chain under the frame lock, and each PTE's
 * page-table lock with a trylock, as 2.6.0's try_to_unmap_one.
 */
#include <stdlib.h>
#include <string.h>
#include "objrmap.h"

static struct objrmap *or_priv(const struct vm_machine *m)
{
	return m->rmap_priv;
}

/* ---------------- blocks for counted chains ---------------- */

/*
 * A block for a file chain: from the pool's reserve, else (may_alloc)
 * from the slab.  => zeroed block, or NULL (-ENOMEM).  The anonymous
 * chains take theirs through the ptechain primitives, from the same pool.
 */
static struct pte_chain *cc_block_get(struct vm_machine *m, struct objrmap *or, bool may_alloc)
{
	struct pte_chain *pc = pte_chain_block_get(m, &or->pool, may_alloc);

	or->file_blocks += pc != NULL;
	return pc;
}

static void cc_block_put(struct vm_machine *m, struct objrmap *or, struct pte_chain *pc)
{
	or->file_blocks--;
	pte_chain_block_put(m, &or->pool, pc);
}

/* the word starts or stops holding a chain: 8 bytes while it does */
static void cc_word_counted(struct vm_machine *m, struct objrmap *or, bool chain)
{
	if (chain) {
		or->pool.words++;
		m->stats.rmap_bytes += sizeof(uint64_t);
		rmap_note_peak(m);
	} else {
		or->pool.words--;
		m->stats.rmap_bytes -= sizeof(uint64_t);
	}
}

static void cc_set_idx(struct pte_chain *pc, unsigned idx)
{
	pc->next_and_idx = (pc->next_and_idx & ~PC_IDX_MASK) | idx;
}

/* ---------------- the counted chain (seed 004 (c) (iii)) ---------------- */

/* the map count into the word: in the first block, or as the word */
static void file_count_set(uint64_t *word, uint64_t n)
{
	if (objrmap_file_chained(*word))
		pte_chain_head(*word)->ptes[0] = n;
	else
		*word = objrmap_count_word(n, objrmap_file_hidden(*word));
}

/*
 * Chain pa on file page word *word (a count, 0, or a counted chain).
 * => 0, or -ENOMEM (only with may_alloc: nothing changed); the count is
 *    the caller's to set after
 */
static int cc_add(struct vm_machine *m, struct objrmap *or, uint64_t *word, pte_addr_t pa,
		  bool may_alloc)
{
	struct pte_chain *first, *pc;
	unsigned idx;

	VM_BUG_ON(!pa || (pa & (sizeof(pte_t) - 1)));
	if (!objrmap_file_chained(*word)) {          /* page_convert_anon: the first */
		first = cc_block_get(m, or, may_alloc);
		if (!first)
			return -ENOMEM;
		VM_BUG_ON(objrmap_file_hidden(*word));
		first->ptes[0] = objrmap_file_count(*word);
		first->ptes[NRPTE - 1] = pa;
		first->next_and_idx = NRPTE - 1;
		*word = (uint64_t)(uintptr_t)first;
		cc_word_counted(m, or, true);
		or->file_chained++;
		return 0;
	}
	first = pte_chain_head(*word);
	idx = pte_chain_idx(first);
	if (idx > 1) {                               /* room in the first block */
		first->ptes[idx - 1] = pa;
		cc_set_idx(first, idx - 1);
		or->file_chained++;
		return 0;
	}
	/* the first block is full: its six and pa make a full second block */
	pc = cc_block_get(m, or, may_alloc);
	if (!pc)
		return -ENOMEM;
	for (unsigned i = 1; i < NRPTE; i++) {
		pc->ptes[i - 1] = first->ptes[i];
		first->ptes[i] = 0;
	}
	pc->ptes[NRPTE - 1] = pa;
	pc->next_and_idx = (uint64_t)(uintptr_t)pte_chain_next(first);
	first->next_and_idx = (uint64_t)(uintptr_t)pc | NRPTE;
	or->file_chained++;
	return 0;
}

static pte_addr_t *cc_find(uint64_t word, pte_addr_t pa)
{
	for (struct pte_chain *pc = pte_chain_head(word); pc; pc = pte_chain_next(pc))
		for (unsigned i = pte_chain_idx(pc); i < NRPTE; i++)
			if (pc->ptes[i] == pa)
				return &pc->ptes[i];
	return NULL;
}

/* no entry left: the word becomes the count again, the first block goes */
static void cc_drop(struct vm_machine *m, struct objrmap *or, uint64_t *word)
{
	struct pte_chain *first = pte_chain_head(*word), *pc = pte_chain_next(first);

	while (pc) {
		struct pte_chain *next = pte_chain_next(pc);

		cc_block_put(m, or, pc);
		pc = next;
	}
	*word = objrmap_count_word(first->ptes[0], 0);
	cc_block_put(m, or, first);
	cc_word_counted(m, or, false);
}

/*
 * Close one hole (a zeroed slot in use) of the counted chain *word: with
 * the first block's lowest slot, or when the first block is empty, by
 * moving the second block into it (after filling the hole from the second
 * when it is further on).  The used slots shrink by one or more, and the
 * shape is the counted chain's again if this was the only hole.
 * => hole is the only hole, or (closing a walk's holes) the first one in
 *    chain order, so that the second block has none unless hole is in it
 */
static void cc_fill(struct vm_machine *m, struct objrmap *or, uint64_t *word, pte_addr_t *hole)
{
	struct pte_chain *first = pte_chain_head(*word), *second;
	unsigned idx = pte_chain_idx(first), j = NRPTE;

	if (idx < NRPTE) {
		pte_addr_t donor = first->ptes[idx];

		first->ptes[idx] = 0;
		*hole = donor;
		cc_set_idx(first, idx + 1);
	} else {
		second = pte_chain_next(first);
		VM_BUG_ON(!second);
		if (hole < second->ptes || hole >= second->ptes + NRPTE) {
			*hole = second->ptes[NRPTE - 1];
			second->ptes[NRPTE - 1] = 0;
		}
		for (unsigned i = 0; i < NRPTE; i++)
			if (second->ptes[i])
				first->ptes[--j] = second->ptes[i];
		first->next_and_idx = (uint64_t)(uintptr_t)pte_chain_next(second) | j;
		cc_block_put(m, or, second);
	}
	if (pte_chain_idx(first) == NRPTE && !pte_chain_next(first))
		cc_drop(m, or, word);
}

/* remove pa from the counted chain *word (a PTE the chain does not have,
 * only a test's corruption, is left for the checkers to report) */
static void cc_remove(struct vm_machine *m, struct objrmap *or, uint64_t *word, pte_addr_t pa)
{
	pte_addr_t *slot = cc_find(*word, pa);

	if (!slot)
		return;
	*slot = 0;
	or->file_chained--;
	if (or->walking == word) {      /* a walk is on it: its end closes the hole */
		or->holes++;
		return;
	}
	cc_fill(m, or, word, slot);
}

/* the first zeroed slot in use, in chain order, or NULL */
static pte_addr_t *cc_first_hole(uint64_t word)
{
	return cc_find(word, 0);
}

/* after a walk that unmapped: close its holes */
static void cc_close_holes(struct vm_machine *m, struct objrmap *or, uint64_t *word)
{
	pte_addr_t *hole;
	uint64_t n = 0;

	or->holes = 0;
	if (!objrmap_file_chained(*word))
		return;
	for (struct pte_chain *pc = pte_chain_head(*word); pc; pc = pte_chain_next(pc))
		for (unsigned i = pte_chain_idx(pc); i < NRPTE; i++)
			n += pc->ptes[i] != 0;
	if (!n) {                       /* the walk unmapped them all */
		cc_drop(m, or, word);
		return;
	}
	while (objrmap_file_chained(*word) && (hole = cc_first_hole(*word)))
		cc_fill(m, or, word, hole);
}

/* call fn for each entry until it returns nonzero; fn may remove entries */
static int cc_walk(struct vm_machine *m, struct objrmap *or, uint64_t *word,
		   int (*fn)(pte_addr_t pa, void *arg), void *arg)
{
	int ret = 0;

	if (!objrmap_file_chained(*word))
		return 0;
	VM_BUG_ON(or->walking);
	or->walking = word;
	or->holes = 0;
	for (struct pte_chain *pc = pte_chain_head(*word); pc && !ret; pc = pte_chain_next(pc))
		for (unsigned i = pte_chain_idx(pc); i < NRPTE && !ret; i++)
			if (pc->ptes[i])
				ret = fn(pc->ptes[i], arg);
	or->walking = NULL;
	if (or->holes)
		cc_close_holes(m, or, word);
	return ret;
}

/* ---------------- the per-PTE hooks ---------------- */

/* the address of vma's PTE at addr (it exists: the caller maps through it) */
static pte_addr_t pte_paddr(struct vm_area *vma, uint64_t addr)
{
	pte_t *pte = pte_lookup(vma->mm, addr);

	VM_BUG_ON(!pte);
	return ptep_to_paddr(vma->mm->machine, pte);
}

/* seed 004 (c) (ii): addr is where vma maps f's offset (i_mmap finds it) */
static bool file_linear(const struct vm_frame *f, const struct vm_area *vma, uint64_t addr)
{
	return f->index >= vma->pgoff &&
	       f->index - vma->pgoff == (addr - vma->start) >> PAGE_SHIFT;
}

/* page_add_rmap of an anonymous page: new, or found in the swap cache
 * (ptechain's hooks: chained whole, or a count while every PTE is locked) */
static void or_page_add_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	pte_chain_page_add(&or_priv(vma->mm->machine)->pool, f, vma, addr);
}

/* ---------------- mlock without chains, file pages (seed 004 (b)) ---------------- */

/*
 * A file page's chained PTEs (those away from their linear position, all
 * in VM_NONLINEAR VMAs) are dropped for a count when every one of them is
 * in a VM_LOCKED VMA: the word keeps the map count and that number of
 * hidden PTEs (objrmap.h), and the walk searches the file's locked
 * nonlinear VMAs for them (a fallback).  A new unlocked PTE away from its
 * linear position, fork's copy, or munlock brings the chain back, built
 * by a search of every nonlinear VMA of the file.  The PTEs at their
 * linear position are found by i_mmap's probes whatever their VMA.
 */

/* the bytes a counted chain of k entries holds: 1 + k / 7 blocks, the word */
static uint64_t cc_bytes(uint64_t k)
{
	return k ? (1 + k / NRPTE) * sizeof(struct pte_chain) + sizeof(uint64_t) : 0;
}

/* f's word (no chain) keeps h hidden PTEs; the statistics follow */
static void hidden_set(struct vm_machine *m, struct vm_frame *f, uint64_t h)
{
	uint64_t old = objrmap_file_hidden(f->rmap);

	VM_BUG_ON(objrmap_file_chained(f->rmap));
	m->stats.rmap_unchained += h - old;
	m->stats.rmap_mlock_saved += cc_bytes(h) - cc_bytes(old);
	if (m->stats.rmap_unchained > m->stats.rmap_unchained_peak)
		m->stats.rmap_unchained_peak = m->stats.rmap_unchained;
	if (m->stats.rmap_mlock_saved > m->stats.rmap_mlock_saved_peak)
		m->stats.rmap_mlock_saved_peak = m->stats.rmap_mlock_saved;
	f->rmap = objrmap_count_word(objrmap_file_count(f->rmap), h);
}

static int cc_entry_unlocked(pte_addr_t pa, void *arg)
{
	struct vm_machine *m = arg;
	uint64_t addr = ptep_to_address(m, pa);
	struct vm_area *vma = find_vma(ptep_to_mm(m, pa), addr);

	return !vma || vma->start > addr || !(vma->flags & VM_LOCKED);
}

/* f's last unlocked chained PTE may have gone: when every entry left is
 * locked, the chain goes and the count keeps them (only while some chained
 * file PTE is locked; the look stops at the first unlocked entry) */
static void maybe_drop_file(struct vm_machine *m, struct objrmap *or, struct vm_frame *f)
{
	uint64_t n;

	if (!or->file_locked || !objrmap_file_chained(f->rmap) || or->walking)
		return;
	if (cc_walk(m, or, &f->rmap, cc_entry_unlocked, m))
		return;
	n = objrmap_file_entries(f->rmap);
	VM_BUG_ON(n > or->file_locked);
	or->file_locked -= n;
	or->file_chained -= n;
	cc_drop(m, or, &f->rmap);
	hidden_set(m, f, n);
	m->stats.rmap_chain_drops++;
}

/* how a search of the nonlinear VMAs looks, and what it counts */
enum nl_search { NL_WALK, NL_REBUILD, NL_CHECK };

struct nl_visit {
	const struct vm_frame *f;    /* the page */
	rmap_visit_fn fn;            /* the visitor of its PTEs away from linear */
	void *arg;                   /* its argument */
};

static int nl_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct nl_visit *v = arg;

	if (file_linear(v->f, vma, addr))        /* i_mmap's probe finds that one */
		return 0;
	return v->fn(vma, addr, pte, v->arg);
}

/*
 * Visit the PTEs of f away from their linear position in the file's
 * nonlinear VMAs, each searched whole: NL_WALK (a walk of a page with
 * hidden PTEs) only the VM_LOCKED ones, with the walk's statistics and a
 * fallback; NL_REBUILD every one, counted in rmap_rebuild_vmas; NL_CHECK
 * every one, nothing counted.
 */
static int nl_search(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg,
		     enum nl_search how)
{
	struct vm_file *file = f->mapping;
	struct nl_visit v = { f, fn, arg };
	int ret = 0;

	m->stats.rmap_fallbacks += how == NL_WALK;
	for (struct itree_node *it = itree_iter_first(&file->i_mmap_nonlinear, 0, UINT64_MAX);
	     it && !ret; it = itree_iter_next(it, 0, UINT64_MAX)) {
		struct vm_area *vma = container_of(it, struct vm_area, shared);

		if (how == NL_WALK && !(vma->flags & VM_LOCKED)) {
			m->stats.rmap_vmas_visited++;
			continue;
		}
		ret = rmap_search_vma(m, f, vma, nl_one, &v, how == NL_WALK);
		m->stats.rmap_rebuild_vmas += how == NL_REBUILD;
	}
	return ret;
}

struct nl_rebuild {
	struct vm_machine *m;        /* the machine */
	struct objrmap *or;          /* the scheme */
	struct vm_frame *f;          /* the page whose chain comes back */
	pte_addr_t skip;             /* a PTE not to chain (fork's new one) */
	uint64_t found;              /* PTEs chained */
};

static int nl_rebuild_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct nl_rebuild *rb = arg;
	pte_addr_t pa = ptep_to_paddr(rb->m, pte);

	if (pa == rb->skip)
		return 0;
	cc_add(rb->m, rb->or, &rb->f->rmap, pa, false);
	rb->or->file_locked += (vma->flags & VM_LOCKED) != 0;
	rb->found++;
	return 0;
}

/* f keeps hidden PTEs: its chain comes back (the reserve holds its blocks) */
static void rebuild_file(struct vm_machine *m, struct objrmap *or, struct vm_frame *f,
			 pte_addr_t skip)
{
	struct nl_rebuild rb = { m, or, f, skip, 0 };
	uint64_t h = objrmap_file_hidden(f->rmap), count = objrmap_file_count(f->rmap);

	hidden_set(m, f, 0);
	nl_search(m, f, nl_rebuild_one, &rb, NL_REBUILD);
	VM_BUG_ON(rb.found != h);
	file_count_set(&f->rmap, count);
	m->stats.rmap_chain_rebuilds++;
}

/* the blocks a counted chain of k entries takes */
static unsigned cc_blocks(uint64_t k)
{
	return k ? (unsigned)(1 + k / NRPTE) : 0;
}

/* page_add_rmap of a file page: a count, and a chain entry when the PTE
 * is not at its linear position (the block from the fault's reserve);
 * such a PTE in a locked VMA joins the hidden ones of a page that has
 * them (or starts them), one elsewhere brings the chain back */
static void or_page_add_file(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	struct vm_machine *m = vma->mm->machine;
	struct objrmap *or = or_priv(m);
	bool locked = vma->flags & VM_LOCKED;

	if (!file_linear(f, vma, addr)) {
		if (locked && !objrmap_file_chained(f->rmap)) {
			hidden_set(m, f, objrmap_file_hidden(f->rmap) + 1);
		} else {
			if (objrmap_file_hidden(f->rmap))
				rebuild_file(m, or, f, 0);    /* page_prepare took the blocks */
			cc_add(m, or, &f->rmap, pte_paddr(vma, addr), false);
			or->file_locked += locked;
		}
	}
	file_count_set(&f->rmap, (uint64_t)f->mapcount);
}

/* page_remove_rmap (the map count already one less) */
static void or_page_remove(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	struct vm_machine *m = vma->mm->machine;
	struct objrmap *or = or_priv(m);
	bool drop = false;

	if (f->flags & PG_ANON) {
		pte_chain_page_remove(&or->pool, f, vma, addr);
		return;
	}
	if (!file_linear(f, vma, addr)) {
		if (objrmap_file_chained(f->rmap)) {
			cc_remove(m, or, &f->rmap, pte_paddr(vma, addr));
			if (vma->flags & VM_LOCKED)
				or->file_locked--;
			else
				drop = true;
		} else if (objrmap_file_hidden(f->rmap)) {
			VM_BUG_ON(!(vma->flags & VM_LOCKED));
			hidden_set(m, f, objrmap_file_hidden(f->rmap) - 1);
		}
	}
	file_count_set(&f->rmap, (uint64_t)f->mapcount);
	if (drop)
		maybe_drop_file(m, or, f);
}

/* copy_page_range: the child's PTE (the map count not yet counted it);
 * => 0 or -ENOMEM, nothing changed */
static int or_page_dup(struct vm_frame *f, struct vm_area *dst, struct vm_area *src,
		       uint64_t addr)
{
	struct vm_machine *m = src->mm->machine;
	struct objrmap *or = or_priv(m);
	bool locked = dst->flags & VM_LOCKED;
	pte_addr_t pa;

	if (f->flags & PG_ANON)
		return pte_chain_page_dup(&or->pool, f, dst, addr);
	if (!file_linear(f, dst, addr)) {
		pa = pte_paddr(dst, addr);
		if (locked && !objrmap_file_chained(f->rmap)) {
			hidden_set(m, f, objrmap_file_hidden(f->rmap) + 1);
		} else if (objrmap_file_hidden(f->rmap)) {
			/* a fork's child is never locked: the chain comes back */
			if (pte_chain_prepare(m, &or->pool,
					      cc_blocks(objrmap_file_hidden(f->rmap) + 1)))
				return -ENOMEM;
			rebuild_file(m, or, f, pa);
			cc_add(m, or, &f->rmap, pa, false);
			or->file_locked += locked;
		} else {
			if (cc_add(m, or, &f->rmap, pa, true))
				return -ENOMEM;
			or->file_locked += locked;
		}
	}
	file_count_set(&f->rmap, (uint64_t)f->mapcount + 1);
	return 0;
}

/* a fault is about to map f in vma: an anonymous page's chain may come
 * back (ptechain's rule); a file page with hidden PTEs mapped away from
 * its linear position by an unlocked nonlinear VMA needs its chain back
 * (the address is not known yet: any unlocked nonlinear VMA may) */
static int or_page_prepare(struct vm_area *vma, struct vm_frame *f)
{
	struct vm_machine *m = vma->mm->machine;
	struct objrmap *or = or_priv(m);
	uint64_t h = objrmap_file_hidden(f->rmap);

	if (f->flags & PG_ANON)
		return pte_chain_page_prepare(&or->pool, vma, f);
	if (!(f->flags & PG_CACHE) || !h || (vma->flags & VM_LOCKED) ||
	    !(vma->flags & VM_NONLINEAR))
		return 0;
	return pte_chain_prepare(m, &or->pool, or->pool.fault_reserve + cc_blocks(h + 1));
}

/* ---------------- mlock, munlock ---------------- */

struct or_lock {
	struct vm_area *vma;         /* the VMA whose range changed */
	struct objrmap *or;          /* the scheme */
	uint64_t blocks;             /* lock_prepare: blocks the file rebuilds need */
	bool locked;                 /* vma_locked: the range is now VM_LOCKED */
	int pass;                    /* vma_locked: 1 the entries' side, 2 the chains */
};

static int lock_file_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct or_lock *l = arg;
	struct vm_machine *m = mm->machine;
	struct vm_frame *f = pte_page(m, *pte);

	if (!f || !(f->flags & PG_CACHE) || file_linear(f, l->vma, addr))
		return 0;
	if (l->pass == 0) {                      /* lock_prepare */
		l->blocks += cc_blocks(objrmap_file_hidden(f->rmap));
	} else if (l->pass == 1) {
		if (objrmap_file_chained(f->rmap)) {
			if (l->locked)
				l->or->file_locked++;
			else
				l->or->file_locked--;
		}
	} else if (l->locked) {
		maybe_drop_file(m, l->or, f);
	} else if (objrmap_file_hidden(f->rmap)) {
		rebuild_file(m, l->or, f, 0);
	}
	return 0;
}

/* munlock: the anonymous pages' chains (ptechain's), then the file pages' */
static int or_lock_prepare(struct vm_area *vma, uint64_t start, uint64_t end)
{
	struct vm_machine *m = vma->mm->machine;
	struct objrmap *or = or_priv(m);
	struct or_lock l = { vma, or, 0, false, 0 };

	if (pte_chain_lock_prepare(&or->pool, vma, start, end))
		return -ENOMEM;
	if (vma->flags & VM_NONLINEAR)
		walk_ptes(vma->mm, start, end, lock_file_one, &l);
	if (l.blocks > (1u << 30))
		return -ENOMEM;
	return l.blocks ? pte_chain_prepare(m, &or->pool, or->pool.nr_reserve +
					    (unsigned)l.blocks) : 0;
}

static void or_vma_locked(struct vm_area *vma, uint64_t start, uint64_t end, bool locked)
{
	struct or_lock l = { vma, or_priv(vma->mm->machine), 0, locked, 1 };

	if (vma->flags & VM_NONLINEAR) {
		walk_ptes(vma->mm, start, end, lock_file_one, &l);
		l.pass = 2;
		walk_ptes(vma->mm, start, end, lock_file_one, &l);
	}
	pte_chain_vma_locked(&l.or->pool, vma, start, end, locked);
}

/* rmap_prepare: the one block a fault may need (see the costs above) */
static int or_prepare(struct vm_machine *m, unsigned nr)
{
	return pte_chain_prepare(m, &or_priv(m)->pool, nr ? 1 : 0);
}

/* the last address space goes: the reserve is nobody's (a machine left
 * empty holds no metadata) */
static void or_mm_exit(struct vm_mm *mm)
{
	struct vm_machine *m = mm->machine;

	if (list_is_singular(&m->mms))
		pte_chain_release(m, &or_priv(m)->pool);
}

/* ---------------- mremap: moved PTEs' entries rewritten ---------------- */

/* an anonymous page's entry as ptechain's; a file PTE is chained only
 * away from its linear position, which the move keeps (the pgoff moved
 * with the range) */
static void or_moved(struct vm_machine *m, struct vm_frame *f, pte_addr_t opa, pte_addr_t npa)
{
	if (f->flags & PG_ANON) {
		pte_chain_moved(m, f, opa, npa);
	} else if (objrmap_file_chained(f->rmap)) {
		pte_addr_t *slot = cc_find(f->rmap, opa);

		if (slot)
			*slot = npa;
	}
}

static void or_move_done(struct vm_area *old_vma, uint64_t old_addr, struct vm_area *new_vma,
			 uint64_t new_addr, uint64_t len)
{
	pte_chain_move_walk(new_vma, old_addr, new_addr, len, or_moved);
}

/* ---------------- the walks ---------------- */

/* an anonymous page: its pte_chain, or the search of a counted one */
static int or_walk_anon(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg)
{
	return pte_chain_page_walk(&or_priv(m)->pool, m, f, fn, arg);
}

/*
 * A file page: the VMAs of i_mmap and of i_mmap_nonlinear whose linear
 * range covers its offset, one probe each at the linear address, then its
 * chain (the PTEs elsewhere).  Nothing is searched.
 */
static int or_walk_file(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg)
{
	struct vm_file *file = f->mapping;
	struct pte_chain_visit w = { m, f, fn, arg };
	int ret = rmap_probe_tree(m, f, &file->i_mmap, fn, arg);

	if (!ret)
		ret = rmap_probe_tree(m, f, &file->i_mmap_nonlinear, fn, arg);
	if (ret || f->mapcount <= 0)
		return ret;
	if (objrmap_file_hidden(f->rmap))        /* mlocked: searched for */
		return nl_search(m, f, fn, arg, NL_WALK);
	ret = cc_walk(m, or_priv(m), &f->rmap, pte_chain_visit_one, &w);
	/* the visitors may have unmapped its last unlocked chained PTEs */
	maybe_drop_file(m, or_priv(m), f);
	return ret;
}

/* ---------------- checks ---------------- */

static int cmp_paddr(const void *a, const void *b)
{
	pte_addr_t x = *(const pte_addr_t *)a, y = *(const pte_addr_t *)b;

	return x < y ? -1 : x > y;
}

#define CHECK_DUPS_MAX 2048          /* entries sorted on the stack for duplicates */

/*
 * One entry: a PTE of a live table, in a VMA, that maps f; a file page's
 * entry is away from the linear position of f in that VMA.
 */
static bool check_entry(struct vm_machine *m, const struct vm_frame *f, pte_addr_t pa,
			uint64_t *nlocked, char *why, size_t len)
{
	struct vm_area *vma = pte_chain_entry_vma(&or_priv(m)->pool, m, f, pa, why, len);
	uint64_t addr;

	if (!vma)
		return false;
	addr = ptep_to_address(m, pa);
	*nlocked += (vma->flags & VM_LOCKED) != 0;
	if ((f->flags & PG_CACHE) && file_linear(f, vma, addr)) {
		snprintf(why, len, "objrmap: file pfn %llu: entry %#llx (address %#llx) is where "
			 "its VMA maps offset %llu linearly (i_mmap finds it: no entry)",
			 (unsigned long long)frame_pfn(m, f), (unsigned long long)pa,
			 (unsigned long long)addr, (unsigned long long)f->index);
		return false;
	}
	return true;
}

/* the entries of a chain (anonymous or counted), each checked, none twice */
static bool check_entries(struct vm_machine *m, const struct vm_frame *f, uint64_t *nlocked,
			  char *why, size_t len)
{
	pte_addr_t seen[CHECK_DUPS_MAX];
	unsigned nseen = 0;

	for (const struct pte_chain *pc = pte_chain_head(f->rmap); pc; pc = pte_chain_next(pc))
		for (unsigned i = pte_chain_idx(pc); i < NRPTE; i++) {
			if (!check_entry(m, f, pc->ptes[i], nlocked, why, len))
				return false;
			if (nseen < CHECK_DUPS_MAX)
				seen[nseen++] = pc->ptes[i];
		}
	qsort(seen, nseen, sizeof(seen[0]), cmp_paddr);
	for (unsigned i = 1; i < nseen; i++)
		if (seen[i] == seen[i - 1]) {
			snprintf(why, len, "objrmap: pfn %llu: entry %#llx is on its chain twice",
				 (unsigned long long)frame_pfn(m, f),
				 (unsigned long long)seen[i]);
			return false;
		}
	return true;
}

/*
 * A counted chain's shape: our blocks, the first with slot 0 the count
 * and entries in [idx, NRPTE), 1 <= idx, the others full, no loop, one
 * entry at least.  => blocks in it, or -1 with why
 */
static long cc_check(const struct vm_machine *m, const struct objrmap *or, uint64_t word,
		     char *why, size_t len)
{
	long blocks = 0;
	uint64_t n = 0;

	for (const struct pte_chain *pc = pte_chain_head(word); pc; pc = pte_chain_next(pc)) {
		unsigned idx = pte_chain_idx(pc), lo = blocks ? 0 : 1;

		if (!pte_chain_block_ok(m, &or->pool, pc)) {
			snprintf(why, len, "objrmap: block %p of a file chain is no pte_chain object",
				 (const void *)pc);
			return -1;
		}
		if (blocks ? idx != 0 : idx < 1) {
			snprintf(why, len, "objrmap: block %ld of a file chain has first slot %u "
				 "(first block: 1 to %u, slot 0 the count; others: 0)", blocks,
				 idx, (unsigned)NRPTE);
			return -1;
		}
		for (unsigned i = lo; i < NRPTE; i++) {
			if (i < idx && pc->ptes[i]) {
				snprintf(why, len, "objrmap: file chain block %ld slot %u is below "
					 "its first slot %u but holds %#llx", blocks, i, idx,
					 (unsigned long long)pc->ptes[i]);
				return -1;
			}
			if (i >= idx && !pc->ptes[i]) {
				snprintf(why, len, "objrmap: file chain block %ld slot %u is used "
					 "but empty", blocks, i);
				return -1;
			}
			n += i >= idx;
		}
		if (++blocks > (long)or->pool.blocks) {
			snprintf(why, len, "objrmap: a file chain longer than the %llu blocks "
				 "held (a loop?)", (unsigned long long)or->pool.blocks);
			return -1;
		}
	}
	if (!n) {
		snprintf(why, len, "objrmap: a file chain of no entry (it should be a count)");
		return -1;
	}
	return blocks;
}

/* the PTEs mapping f at its linear position in the VMAs of i_mmap and
 * i_mmap_nonlinear covering its offset (the checker's count; no stats) */
static uint64_t count_linear(struct vm_machine *m, const struct vm_frame *f)
{
	struct vm_file *file = f->mapping;
	struct rb_root *roots[2] = { &file->i_mmap, &file->i_mmap_nonlinear };
	uint64_t n = 0;

	for (int r = 0; r < 2; r++)
		for (struct itree_node *it = itree_iter_first(roots[r], f->index, f->index); it;
		     it = itree_iter_next(it, f->index, f->index)) {
			struct vm_area *v = container_of(it, struct vm_area, shared);
			uint64_t addr = v->start + ((f->index - v->pgoff) << PAGE_SHIFT);
			pte_t *pte = pte_lookup(v->mm, addr);

			n += pte && pte_present(*pte) && pte_pfn(*pte) == frame_pfn(m, f);
		}
	return n;
}

/* an anonymous page's word: its chain, or its count, as ptechain's */
static bool check_anon(struct vm_machine *m, const struct vm_frame *f, uint64_t *nlocked,
		       char *why, size_t len)
{
	return pte_chain_frame_ok(&or_priv(m)->pool, m, f, nlocked, why, len);
}

/* a file page's word: its count (in the word or the first block), and
 * the chain holds exactly the PTEs i_mmap's probes do not find */
static int nl_count_one(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	uint64_t *c = arg;

	c[0]++;
	c[1] += (vma->flags & VM_LOCKED) != 0;
	return 0;
}

/*
 * A file page's word: its count (in the word or the first block); the
 * chain holds exactly the PTEs i_mmap's probes do not find, one of them
 * at least unlocked; or, with none chained, the word's hidden PTEs are
 * exactly those, every one in a VM_LOCKED VMA.  *nlocked: chained
 * entries in locked VMAs.
 */
static bool check_file(struct vm_machine *m, const struct vm_frame *f, uint64_t *nlocked,
		       char *why, size_t len)
{
	uint64_t word = f->rmap, count, n, lin, h = objrmap_file_hidden(word);

	*nlocked = 0;
	if (!objrmap_file_chained(word) && word && !pte_chain_counted(word)) {
		snprintf(why, len, "objrmap: file pfn %llu: word %#llx is neither a count nor a "
			 "chain", (unsigned long long)frame_pfn(m, f), (unsigned long long)word);
		return false;
	}
	if (objrmap_file_chained(word) && cc_check(m, or_priv(m), word, why, len) < 0)
		return false;
	count = objrmap_file_count(word);
	if (count != (uint64_t)(f->mapcount > 0 ? f->mapcount : 0)) {
		snprintf(why, len, "objrmap: file pfn %llu has mapcount %d but its %s says %llu",
			 (unsigned long long)frame_pfn(m, f), f->mapcount,
			 objrmap_file_chained(word) ? "first chain block" : "word",
			 (unsigned long long)count);
		return false;
	}
	if (!count)
		return true;
	n = objrmap_file_entries(word);
	if (n && !check_entries(m, f, nlocked, why, len))
		return false;
	if (n && *nlocked == n) {
		snprintf(why, len, "objrmap: file pfn %llu keeps a chain of %llu entries, every one "
			 "in a VM_LOCKED VMA (a count should be in its place)",
			 (unsigned long long)frame_pfn(m, f), (unsigned long long)n);
		return false;
	}
	if (h) {
		uint64_t c[2] = { 0, 0 };

		nl_search(m, (struct vm_frame *)f, nl_count_one, c, NL_CHECK);
		if (c[0] != h || c[1] != h) {
			snprintf(why, len, "objrmap: file pfn %llu keeps %llu hidden PTEs, but %llu "
				 "map it away from their linear position, %llu of them locked",
				 (unsigned long long)frame_pfn(m, f), (unsigned long long)h,
				 (unsigned long long)c[0], (unsigned long long)c[1]);
			return false;
		}
	}
	lin = count_linear(m, f);
	if (n + h + lin != count) {
		snprintf(why, len, "objrmap: file pfn %llu has mapcount %llu but %llu chained "
			 "entries, %llu hidden and %llu PTEs at its linear position",
			 (unsigned long long)frame_pfn(m, f), (unsigned long long)count,
			 (unsigned long long)n, (unsigned long long)h, (unsigned long long)lin);
		return false;
	}
	return true;
}

/* *nlocked: the frame's chained entries in VM_LOCKED VMAs */
static bool frame_check(struct vm_machine *m, const struct vm_frame *f, uint64_t *nlocked,
			char *why, size_t len)
{
	*nlocked = 0;
	if (f->mapcount <= 0 && f->rmap) {
		snprintf(why, len, "objrmap: pfn %llu is mapped nowhere but has word %#llx",
			 (unsigned long long)frame_pfn(m, f), (unsigned long long)f->rmap);
		return false;
	}
	if (f->flags & PG_ANON)
		return check_anon(m, f, nlocked, why, len);
	if (f->flags & PG_CACHE)
		return check_file(m, f, nlocked, why, len);
	return true;
}

static bool or_check_frame(struct vm_machine *m, const struct vm_frame *f, char *why, size_t len)
{
	uint64_t nlocked;

	return frame_check(m, f, &nlocked, why, len);
}

/* => true when the blocks, words and chained PTEs counted are those held,
 *    and the bytes exact */
static bool or_check_machine(struct vm_machine *m, char *why, size_t len)
{
	const struct objrmap *or = or_priv(m);
	const struct pte_chain_pool *pool = &or->pool;
	struct pte_chain_census c = { 0 };
	uint64_t fblocks = 0, chained = 0, flocked = 0, nlocked;

	if (or->walking || pool->walking) {
		snprintf(why, len, "objrmap: a walk is marked in progress");
		return false;
	}
	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		const struct vm_frame *f = pfn_frame(m, pfn);
		long b;

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if (f->flags & PG_ANON) {
			if (!or_check_frame(m, f, why, len) ||
			    !pte_chain_census_frame(pool, m, f, &c, why, len))
				return false;
			continue;
		}
		if (!(f->flags & PG_CACHE))
			continue;
		if (!frame_check(m, f, &nlocked, why, len))
			return false;
		if (objrmap_file_chained(f->rmap)) {
			b = cc_check(m, or, f->rmap, why, len);
			if (b < 0)
				return false;
			fblocks += (uint64_t)b;
			chained += objrmap_file_entries(f->rmap);
			c.words++;
			flocked += nlocked;
		} else {
			c.unchained += objrmap_file_hidden(f->rmap);
			c.saved += cc_bytes(objrmap_file_hidden(f->rmap));
		}
	}
	if (flocked != or->file_locked) {
		snprintf(why, len, "objrmap: %llu file chained PTEs in VM_LOCKED VMAs, %llu "
			 "counted", (unsigned long long)flocked, (unsigned long long)or->file_locked);
		return false;
	}
	if (fblocks != or->file_blocks || chained != or->file_chained) {
		snprintf(why, len, "objrmap: %llu blocks and %llu entries in file chains, %llu "
			 "and %llu counted", (unsigned long long)fblocks,
			 (unsigned long long)chained, (unsigned long long)or->file_blocks,
			 (unsigned long long)or->file_chained);
		return false;
	}
	c.blocks += fblocks;
	return pte_chain_pool_check(m, pool, &c, why, len);
}

static void or_objects(const struct vm_machine *m,
		       void (*emit)(const char *type, uint64_t count, void *arg), void *arg)
{
	const struct objrmap *or = or_priv(m);
	const struct pte_chain_pool *pool = &or->pool;

	emit("pte_chain", pool->blocks - pool->nr_reserve - or->file_blocks, arg);
	emit("pte_chain_file", or->file_blocks, arg);
	emit("pte_chain_reserve", pool->nr_reserve, arg);
}

static int or_init(struct vm_machine *m)
{
	struct objrmap *or = calloc(1, sizeof(*or));

	if (!or)
		return -ENOMEM;
	_Static_assert(sizeof(struct pte_chain) == PC_L1_CACHE_BYTES, "a block is a line");
	_Static_assert(NRPTE <= PC_IDX_MASK, "idx == NRPTE fits next_and_idx");
	slab_init(&m->slab_rmap[0], "pte_chain", sizeof(struct pte_chain));
	pte_chain_pool_init(&or->pool, &m->slab_rmap[0]);
	or->pool.name = "objrmap";
	or->pool.fault_reserve = 1;
	or->pool.anon_only = true;
	m->rmap_priv = or;
	return 0;
}

static void or_fini(struct vm_machine *m)
{
	free(m->rmap_priv);
	m->rmap_priv = NULL;
}

const struct rmap_ops rmap_objrmap_ops = {
	.name = "objrmap",
	.init = or_init,
	.fini = or_fini,
	.mm_exit = or_mm_exit,
	.page_add_new_anon = or_page_add_anon,
	.page_add_anon = or_page_add_anon,
	.page_add_file = or_page_add_file,
	.page_remove = or_page_remove,
	.page_dup = or_page_dup,
	.move_done = or_move_done,
	.check_frame = or_check_frame,
	.check_machine = or_check_machine,
	.walk_anon = or_walk_anon,
	.walk_file = or_walk_file,
	.prepare = or_prepare,
	.page_prepare = or_page_prepare,
	.lock_prepare = or_lock_prepare,
	.vma_locked = or_vma_locked,
	.objects = or_objects,
};
