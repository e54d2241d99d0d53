/*
 * mm/pgtable.c - four-level page tables in the x86-64 layout.
 *
 * Each table is one frame of 512 eight-byte entries, allocated on demand
 * from the buddy allocator and marked PG_PGTABLE.  Upper-level entries are
 * present|write|user plus the pfn of the next table; leaf entries carry the
 * page's pfn and its protection (pte_t, see mm.h).
 *
 *   addr bits: 47..39 pgd | 38..30 pud | 29..21 pmd | 20..12 pte | 11..0
 *
 * The functions here are the page-table halves of munmap (zap_range,
 * free_pgtables), fork (copy_page_range), mremap (move_page_tables) and
 * mprotect (change_protection).  They keep frame map counts and references
 * exact: one mapcount and one reference per PTE that maps a frame (the zero
 * page is not counted).
 */
#include <string.h>
#include "mm.h"
#include "../rmap/rmap.h"

#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITE | PTE_USER)
#define ADDR_TOP    (1ULL << 48)

static inline unsigned level_shift(int level) { return PAGE_SHIFT + 9 * (level - 1); }
static inline unsigned pt_index(uint64_t addr, int level)
{
	return (addr >> level_shift(level)) & (PTRS_PER_TABLE - 1);
}
static inline uint64_t *table_of(struct vm_machine *m, uint64_t entry)
{
	return pfn_data(m, pte_pfn(entry));
}

/*
 * A new table for *slot.  Page tables are kernel memory: with --lowmem
 * they come from the low zone, except PTE tables (pte) under --highpte,
 * which may be high (CONFIG_HIGHPTE's pte_alloc_one: GFP_KERNEL |
 * __GFP_HIGHMEM; the upper levels stayed low).
 */
static int table_alloc(struct vm_mm *mm, uint64_t *slot, bool pte)
{
	struct vm_machine *m = mm->machine;
	uint32_t pfn = pte && m->low.highpte ? frames_alloc(m, 0) : frames_alloc_kernel(m, 0);

	if (pfn == FRAME_NIL)
		return -12;
	pfn_frame(m, pfn)->flags |= PG_PGTABLE;
	mm->nr_pgtables++;
	m->low.pgtables += pfn_is_low(m, pfn);
	*slot = ((uint64_t)pfn << PAGE_SHIFT) | TABLE_FLAGS;
	return 0;
}

static void table_free(struct vm_mm *mm, uint64_t entry)
{
	struct vm_machine *m = mm->machine;
	uint32_t pfn = (uint32_t)pte_pfn(entry);

	pfn_frame(m, pfn)->flags &= ~PG_PGTABLE;
	pfn_frame(m, pfn)->mapping = NULL;
	pfn_frame(m, pfn)->index = 0;
	mm->nr_pgtables--;
	m->low.pgtables -= pfn_is_low(m, pfn);
	frame_put(m, pfn);
}

/*
 * A PTE table's frame names its address space and the first address it
 * maps (mapping, index: 2.6.0's pgtable_add_rmap, ptep_to_mm and
 * ptep_to_address), so that a PTE's physical address alone leads to its
 * (mm, address): what a scheme keeping pte_addr_t (ptechain) needs.  Set
 * when the table is made and when mremap moves it whole; upper tables
 * name nothing.
 */
static void pte_table_owner(struct vm_machine *m, uint64_t entry, struct vm_mm *mm,
			    uint64_t addr)
{
	struct vm_frame *tf = pfn_frame(m, pte_pfn(entry));

	tf->mapping = mm;
	tf->index = addr & ~(PMD_SIZE - 1);
}

int pgd_alloc(struct vm_mm *mm)
{
	uint64_t e;
	int err = table_alloc(mm, &e, false);

	pte_cache_drop(mm);
	if (!err)
		mm->pgd = (uint32_t)pte_pfn(e);
	return err;
}

/*
 * The PTE table covering addr, or NULL with *skip set to the first address
 * past the hole (the end of the missing upper-level entry's span).
 */
static pte_t *pte_table(struct vm_mm *mm, uint64_t addr, uint64_t *skip)
{
	struct vm_machine *m = mm->machine;
	uint64_t *t = pfn_data(m, mm->pgd);

	for (int level = 4; level > 1; level--) {
		uint64_t e = t[pt_index(addr, level)];

		if (!(e & PTE_PRESENT)) {
			uint64_t span = 1ULL << level_shift(level);

			*skip = (addr & ~(span - 1)) + span;
			return NULL;
		}
		t = table_of(m, e);
	}
	return t;
}

/*
 * The rmap walk's and the MMU's hot path: the same descent as pte_table,
 * unrolled, remembering the last PTE table found (a software TLB for page
 * tables: successive lookups, a walk of consecutive frames or a run of
 * accesses, mostly land in the same one).  Freeing or moving a PTE table
 * drops it (pte_cache_drop).
 */
pte_t *pte_lookup(struct vm_mm *mm, uint64_t addr)
{
	uint8_t *mem = mm->machine->mem;
	uint64_t e, key = addr >> 21;

	if (key == mm->ptc_key)
		return &mm->ptc_table[(addr >> PAGE_SHIFT) & 511];
	e = ((uint64_t *)(mem + ((uint64_t)mm->pgd << PAGE_SHIFT)))[(addr >> 39) & 511];

	if (!(e & PTE_PRESENT))
		return NULL;
	e = ((uint64_t *)(mem + (e & PTE_PFN_MASK)))[(addr >> 30) & 511];
	if (!(e & PTE_PRESENT))
		return NULL;
	e = ((uint64_t *)(mem + (e & PTE_PFN_MASK)))[(addr >> 21) & 511];
	if (!(e & PTE_PRESENT))
		return NULL;
	mm->ptc_key = key;
	mm->ptc_table = (pte_t *)(mem + (e & PTE_PFN_MASK));
	return &mm->ptc_table[(addr >> PAGE_SHIFT) & 511];
}

pte_t *pte_alloc(struct vm_mm *mm, uint64_t addr)
{
	struct vm_machine *m = mm->machine;
	uint64_t *t = pfn_data(m, mm->pgd);

	for (int level = 4; level > 1; level--) {
		uint64_t *slot = &t[pt_index(addr, level)];

		if (!(*slot & PTE_PRESENT)) {
			if (table_alloc(mm, slot, level == 2))
				return NULL;
			if (level == 2)
				pte_table_owner(m, *slot, mm, addr);
		}
		t = table_of(m, *slot);
	}
	return &t[pt_index(addr, 1)];
}

/* walk_ptes and walk_ptes_all: all visits swap entries too */
static inline int __walk_ptes(struct vm_mm *mm, uint64_t start, uint64_t end,
			      pte_visit_fn fn, void *arg, bool all)
{
	uint64_t addr = start;

	while (addr < end) {
		uint64_t next;
		pte_t *t = pte_table(mm, addr, &next);

		if (t) {
			next = (addr | (PMD_SIZE - 1)) + 1;
			if (next > end || next == 0)
				next = end;
			for (uint64_t a = addr; a < next; a += PAGE_SIZE) {
				pte_t *pte = &t[pt_index(a, 1)];

				if (all ? !pte_none(*pte) : pte_present(*pte)) {
					int ret = fn(mm, a, pte, arg);

					if (ret)
						return ret;
				}
			}
		}
		if (next <= addr)        /* wrapped past the top */
			break;
		addr = next;
	}
	return 0;
}

int walk_ptes(struct vm_mm *mm, uint64_t start, uint64_t end, pte_visit_fn fn, void *arg)
{
	return __walk_ptes(mm, start, end, fn, arg, false);
}

int walk_ptes_all(struct vm_mm *mm, uint64_t start, uint64_t end, pte_visit_fn fn, void *arg)
{
	return __walk_ptes(mm, start, end, fn, arg, true);
}

/* the protection-key bits of a PTE in vma */
static pte_t pte_pkey(const struct vm_area *vma)
{
	return vma_pkey_exec_only(vma, vma->mm->machine->pkeys) ?
	       (pte_t)PKEY_EXEC_ONLY << PTE_PKEY_SHIFT : 0;
}

pte_t mk_pte(struct vm_area *vma, uint64_t pfn, bool write)
{
	pte_t p = (pfn << PAGE_SHIFT) | PTE_USER | PTE_ACCESSED;

	if (!vma_is_accessible(vma))
		return p | PTE_PROTNONE;
	p |= PTE_PRESENT | pte_pkey(vma);
	if (write)
		p |= PTE_WRITE | PTE_DIRTY;
	return p;
}

/* remove one present PTE: the page loses a mapping and a reference
 * (inline here, for zap_range's loop; zap_pte for everyone else) */
static inline void __zap_pte(struct vm_area *vma, uint64_t addr, pte_t *pte)
{
	struct vm_mm *mm = vma->mm;
	struct vm_machine *m = mm->machine;
	pte_t p = *pte;
	uint64_t pfn = pte_pfn(p);

	*pte = 0;
	mm->nr_ptes--;
	m->stats.ptes_zapped++;
	if (pfn != m->zero_pfn) {
		struct vm_frame *f = pfn_frame(m, pfn);

		/* a store through the mapping makes a page-cache page dirty for
		 * good; an anonymous page's dirty bit dies with its PTE
		 * (zap_present_folio_ptes) */
		if ((p & PTE_DIRTY) && !(f->flags & PG_ANON))
			f->flags |= PG_DIRTY;
		rmap_remove(vma, addr, f);
		if (f->flags & PG_UNEVICTABLE && vma->flags & VM_LOCKED)
			lru_putback(m, f);         /* munlock_vma_folio */
		mm->rss--;
		check_note_frame(m, pfn);
		if ((f->flags & PG_SWAPCACHE) && f->mapcount == 0)
			swap_cache_unmapped(m, f);
		frame_put(m, (uint32_t)pfn);
	}
	/* the checker's notes last: their calls, taken or not, would make the
	 * compiler load vma->mm->machine again for rmap_remove's test, three
	 * dependent loads per PTE (truncate of 1.6M PTEs: +25%) */
	check_note_pte(mm, addr);
}

/*
 * One mapping of a page goes (reclaim, MADV_PAGEOUT, MADV_FREE's lazy
 * pages, remap_file_pages).  In a VM_NONLINEAR VMA a file PTE stays where
 * the page is not the linear one (2.6.32's zap_pte_range with
 * details->nonlinear_vma, and try_to_unmap_cluster), so that the next
 * fault there finds the same offset again; such a VMA is shared, its pages
 * page-cache pages.
 */
void zap_pte(struct vm_area *vma, uint64_t addr, pte_t *pte)
{
	uint64_t idx;

	if (__builtin_expect(!(vma->flags & VM_NONLINEAR), 1)) {
		__zap_pte(vma, addr, pte);
		return;
	}
	idx = pfn_frame(vma->mm->machine, pte_pfn(*pte))->index;
	__zap_pte(vma, addr, pte);
	if (idx != vma->pgoff + ((addr - vma->start) >> PAGE_SHIFT))
		*pte = pgoff_to_pte(idx);
}

/*
 * zap_nonpresent_ptes for a swap entry: the entry goes, and with it one
 * count of its slot (free_swap_and_cache: the slot, and an unmapped
 * swap-cache page, go with the last).
 */
void zap_swap_pte(struct vm_area *vma, uint64_t addr, pte_t *pte)
{
	struct vm_mm *mm = vma->mm;
	uint32_t slot = swp_slot(*pte);

	*pte = 0;
	if (slot) {
		mm->nr_swap--;
		free_swap_and_cache(mm->machine, slot);
	}
	check_note_pte(mm, addr);
}

/* a file PTE (--nonlinear) just goes: it holds nothing (zap_pte_range's
 * pte_clear_not_present_full) */
static void zap_file_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte)
{
	*pte = 0;
	check_note_pte(mm, addr);
}

static int zap_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	if (__builtin_expect(pte_is_swap(*pte), 0))
		zap_swap_pte(arg, addr, pte);
	else if (__builtin_expect(pte_file(*pte), 0))
		zap_file_pte(mm, addr, pte);
	else
		__zap_pte(arg, addr, pte);
	return 0;
}

void zap_range(struct vm_area *vma, uint64_t start, uint64_t end)
{
	walk_ptes_all(vma->mm, start, end, zap_one, vma);
}

/* as zap_one, but a private copy (an anonymous page in a file VMA, in
 * memory or swapped out) stays: should_zap_cows */
static int zap_one_file(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_machine *m = mm->machine;
	uint64_t pfn = pte_pfn(*pte);

	if (pte_file(*pte)) {
		zap_file_pte(mm, addr, pte);
		return 0;
	}
	if (pte_is_swap(*pte) || (pfn != m->zero_pfn && (pfn_frame(m, pfn)->flags & PG_ANON)))
		return 0;
	__zap_pte(arg, addr, pte);
	return 0;
}

void zap_file_range(struct vm_area *vma, uint64_t start, uint64_t end, bool even_cows)
{
	walk_ptes_all(vma->mm, start, end, even_cows ? zap_one : zap_one_file, vma);
}

struct zap_nl {
	struct vm_area *vma;         /* the VM_NONLINEAR VMA */
	uint64_t first, last;        /* the file's pages to unmap */
};

static int zap_one_nonlinear(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct zap_nl *z = arg;
	struct vm_frame *f = pfn_frame(mm->machine, pte_pfn(*pte));

	if (f->index < z->first || f->index > z->last)
		return 0;
	zap_pte(z->vma, addr, pte);
	return 0;
}

/*
 * zap_page_range with details->nonlinear_vma (2.6.32), over [start, end)
 * of a VM_NONLINEAR VMA: every present PTE is looked at, and those mapping
 * a page of [first, last] go, leaving file PTEs where the page is not the
 * linear one; file PTEs stay (a fault on one past the end of the file is
 * SIGBUS).  Truncate (unmap_mapping_range over i_mmap_nonlinear: the pages
 * may sit anywhere, so the whole VMA) and MADV_DONTNEED (all pages) use it.
 */
void zap_nonlinear_range(struct vm_area *vma, uint64_t start, uint64_t end, uint64_t first,
			 uint64_t last)
{
	struct zap_nl z = { vma, first, last };

	walk_ptes(vma->mm, start, end, zap_one_nonlinear, &z);
}

static bool pte_table_empty(const uint64_t *t)
{
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (!pte_none(t[i]))
			return false;
	return true;
}

/* free a whole table subtree (its PTEs must all be gone) */
static void free_subtree(struct vm_mm *mm, uint64_t entry, int level)
{
	if (level > 1) {
		uint64_t *t = table_of(mm->machine, entry);

		for (int i = 0; i < PTRS_PER_TABLE; i++)
			if (t[i] & PTE_PRESENT)
				free_subtree(mm, t[i], level - 1);
	} else {
		VM_BUG_ON(!pte_table_empty(table_of(mm->machine, entry)));
	}
	table_free(mm, entry);
}

/* level: the level of table t, whose first entry maps base */
static void free_level(struct vm_mm *mm, uint64_t *t, int level, uint64_t base,
		       uint64_t start, uint64_t end, uint64_t floor, uint64_t ceiling)
{
	uint64_t span = 1ULL << level_shift(level);
	unsigned i = (unsigned)((start - base) / span);
	unsigned last = (unsigned)((end - 1 - base) / span);

	for (; i <= last && i < PTRS_PER_TABLE; i++) {
		uint64_t ebase = base + i * span, eend = ebase + span;

		if (!(t[i] & PTE_PRESENT))
			continue;
		if (ebase >= floor && eend <= ceiling) {
			pte_cache_drop(mm);
			free_subtree(mm, t[i], level - 1);
			t[i] = 0;
		} else if (level > 2) {
			free_level(mm, table_of(mm->machine, t[i]), level - 1, ebase,
				   start > ebase ? start : ebase, end < eend ? end : eend,
				   floor, ceiling);
		}
	}
}

void free_pgtables(struct vm_mm *mm, uint64_t start, uint64_t end,
		   uint64_t floor, uint64_t ceiling)
{
	if (!ceiling || ceiling > ADDR_TOP)
		ceiling = ADDR_TOP;
	if (start >= end)
		return;
	free_level(mm, pfn_data(mm->machine, mm->pgd), 4, 0, start, end, floor, ceiling);
}

void pgd_free(struct vm_mm *mm)
{
	free_pgtables(mm, 0, ADDR_TOP, 0, ADDR_TOP);
	table_free(mm, (uint64_t)mm->pgd << PAGE_SHIFT | TABLE_FLAGS);
}

static inline bool is_cow_mapping(uint64_t flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

/*
 * fork: copy the present PTEs of src into dst, one page table at a time.
 * An anonymous page gains a mapping and a reference and stops being
 * exclusive; in a private writable mapping both PTEs lose the write bit,
 * so that whichever side writes first copies (or reuses) the page.  A swap
 * entry is copied, its slot counted once more, and loses SWP_EXCLUSIVE on
 * both sides.
 */
int copy_page_range(struct vm_area *dst, struct vm_area *src)
{
	struct vm_mm *smm = src->mm, *dmm = dst->mm;
	struct vm_machine *m = smm->machine;
	bool cow = is_cow_mapping(src->flags);
	uint64_t addr = src->start, end = src->end, next, copied = 0;

	for (; addr < end; addr = next) {
		pte_t *st = pte_table(smm, addr, &next), *dt = NULL;

		if (!st) {
			if (next <= addr || next > end)
				next = end;
			continue;
		}
		next = (addr | (PMD_SIZE - 1)) + 1;
		if (next > end)
			next = end;
		for (uint64_t a = addr; a < next; a += PAGE_SIZE) {
			pte_t *sp = &st[pt_index(a, 1)], p = *sp;
			uint64_t pfn;

			if (pte_none(p))
				continue;
			if (!dt) {
				pte_t *d = pte_alloc(dmm, a);

				if (!d)
					return -12;
				dt = d - pt_index(a, 1);
			}
			if (pte_file(p)) {
				/* copy_one_pte (2.6.32): a file PTE is copied
				 * as it is, it counts nowhere */
				dt[pt_index(a, 1)] = p;
				continue;
			}
			if (pte_is_swap(p)) {
				/* copy_nonpresent_pte: one more entry names the
				 * slot, and neither side is exclusive any more */
				swap_dup(m, swp_slot(p));
				if (pte_swp_exclusive(p)) {
					p &= ~PTE_SWP_EXCL;
					*sp = p;
					check_note_pte(smm, a);
				}
				dt[pt_index(a, 1)] = p;
				dmm->nr_swap += !pte_swp_poisoned(p);
				continue;
			}
			pfn = pte_pfn(p);
			if (pfn != m->zero_pfn) {
				struct vm_frame *f = pfn_frame(m, pfn);

				if (rmap_dup(dst, src, a, f))
					return -12;
				f->refcount++;
				f->flags &= ~PG_ANON_EXCL;
				dmm->rss++;
				if (cow && pte_write(p)) {
					*sp = p & ~PTE_WRITE;
					p &= ~PTE_WRITE;
					check_note_pte(smm, a);
				}
			}
			dt[pt_index(a, 1)] = p & ~PTE_ACCESSED;
			dmm->nr_ptes++;
			copied++;
		}
	}
	m->stats.ptes_copied += copied;
	return 0;
}

/* the PMD-level slot (pointer to a PTE table) for addr; NULL if its
 * upper tables are missing and alloc is false, or on -ENOMEM */
static uint64_t *pmd_slot(struct vm_mm *mm, uint64_t addr, bool alloc)
{
	struct vm_machine *m = mm->machine;
	uint64_t *t = pfn_data(m, mm->pgd);

	for (int level = 4; level > 2; level--) {
		uint64_t *slot = &t[pt_index(addr, level)];

		if (!(*slot & PTE_PRESENT) && (!alloc || table_alloc(mm, slot, false)))
			return NULL;
		t = table_of(m, *slot);
	}
	return &t[pt_index(addr, 2)];
}

/*
 * mremap: move the PTEs of [old_addr, old_addr + len) of old_vma to
 * new_addr in new_vma (same mm).  Work goes one extent at a time, an
 * extent ending at a PMD boundary of either side; when both sides are
 * PMD aligned and the extent is a whole PMD, the PTE table itself moves
 * (one entry instead of 512, as Linux's move_normal_pmd).  Every table
 * the destination needs is allocated in a first pass, so the move cannot
 * fail half way.  The pages keep their frames, counts and index.
 */
static uint64_t extent_end(uint64_t old, uint64_t new_addr, uint64_t end)
{
	uint64_t e1 = (old | (PMD_SIZE - 1)) + 1;
	uint64_t e2 = old + (((new_addr | (PMD_SIZE - 1)) + 1) - new_addr);

	if (e2 < e1)
		e1 = e2;
	return e1 < end ? e1 : end;
}

static bool extent_has_ptes(const pte_t *t, uint64_t a, uint64_t e)
{
	for (; a < e; a += PAGE_SIZE)
		if (!pte_none(t[pt_index(a, 1)]))
			return true;
	return false;
}

int move_page_tables(struct vm_area *old_vma, uint64_t old_addr,
		     struct vm_area *new_vma, uint64_t new_addr, uint64_t len)
{
	struct vm_mm *mm = old_vma->mm;
	struct vm_machine *m = mm->machine;
	uint64_t end = old_addr + len;
	int64_t delta = (int64_t)(new_addr - old_addr);

	check_note_range(mm, old_addr, end);
	check_note_range(mm, new_addr, new_addr + len);
	for (int pass = 0; pass < 2; pass++) {
		uint64_t a, e;

		/* the tables are there: the scheme prepares, then nothing fails */
		if (pass == 1 && rmap_move_prepare(old_vma, old_addr, new_vma, new_addr, len))
			return -12;
		for (a = old_addr; a < end; a = e) {
			uint64_t skip, na = a + (uint64_t)delta;
			pte_t *ot = pte_table(mm, a, &skip), *nt;
			uint64_t *oslot, *nslot;

			e = extent_end(a, na, end);
			if (!ot || !extent_has_ptes(ot, a, e))
				continue;
			if (!(a & (PMD_SIZE - 1)) && !(na & (PMD_SIZE - 1)) && e - a == PMD_SIZE) {
				nslot = pmd_slot(mm, na, true);
				VM_BUG_ON(!nslot && pass == 1);   /* pass 0 made it */
				if (!nslot)
					return -12;
				if (!(*nslot & PTE_PRESENT)) {
					if (pass == 1) {
						oslot = pmd_slot(mm, a, false);
						*nslot = *oslot;
						*oslot = 0;
						pte_table_owner(m, *nslot, mm, na);
						pte_cache_drop(mm);
						m->stats.pmds_moved++;
					}
					continue;
				}
			}
			nt = pte_alloc(mm, na);
			VM_BUG_ON(!nt && pass == 1);         /* pass 0 made it */
			if (!nt)
				return -12;
			if (pass == 0)
				continue;
			nt -= pt_index(na, 1);
			for (; a < e; a += PAGE_SIZE, na += PAGE_SIZE) {
				pte_t *op = &ot[pt_index(a, 1)];

				if (pte_none(*op))
					continue;
				VM_BUG_ON(!pte_none(nt[pt_index(na, 1)]));
				nt[pt_index(na, 1)] = *op;
				*op = 0;
				m->stats.ptes_moved++;
			}
		}
	}
	rmap_move_done(old_vma, old_addr, new_vma, new_addr, len);
	return 0;
}

static int protect_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_area *vma = arg;
	struct vm_machine *m = mm->machine;
	uint64_t pfn = pte_pfn(*pte);
	pte_t keep = *pte & (PTE_PFN_MASK | PTE_ACCESSED | PTE_DIRTY | PTE_USER);
	bool w = false;

	if (!vma_is_accessible(vma)) {
		*pte = keep | PTE_PROTNONE;
		return 0;
	}
	if ((vma->flags & VM_WRITE) && pfn != m->zero_pfn) {
		struct vm_frame *f = pfn_frame(m, pfn);

		/* shared mappings are writable; private ones only where the
		 * page is exclusively ours (can_change_pte_writable) */
		w = (vma->flags & VM_SHARED) || (f->flags & PG_ANON_EXCL);
	}
	*pte = keep | PTE_PRESENT | pte_pkey(vma) | (w ? PTE_WRITE : 0);
	return 0;
}

void change_protection(struct vm_area *vma, uint64_t start, uint64_t end)
{
	check_note_range(vma->mm, start, end);
	walk_ptes(vma->mm, start, end, protect_one, vma);
}
