/*
 * mm/fault.c - page faults on anonymous memory (Linux's do_anonymous_page
 * and do_wp_page).
 *
 *   not present, read   -> map the shared zero page, read-only
 *   not present, write  -> a new zeroed page, writable
 *   present, write, PTE read-only (copy-on-write):
 *        zero page                    -> a new zeroed page
 *        page mapped only here        -> reuse it: make the PTE writable
 *        page mapped elsewhere too    -> copy it into a new page
 *
 * File mappings (Linux's do_read_fault, do_cow_fault, do_shared_fault):
 *   read   -> map the page-cache page, and fault around it: the cached
 *             pages of the aligned 64 KiB window, clipped to the VMA, the
 *             page table and the end of the file
 *   write, private -> a new anonymous copy of the file page
 *   write, shared  -> the page-cache page, writable and dirty
 *   beyond the end of the file -> SIGBUS
 *
 * Swap entries (private anonymous pages, and private copies of file pages,
 * written out by reclaim): do_swap_page in mm/swap.c brings the page back;
 * a write that finds it shared breaks COW here as on any shared page.
 *
 * The access check is x86's: a read is allowed in any VMA that has one of
 * read, write or exec; a write needs VM_WRITE.  A fault outside any VMA,
 * or one the VMA does not allow, is SIGSEGV.  With protection keys, memory
 * that is exec-only refuses every data access (access_error's
 * arch_vma_access_permitted), even where no page is mapped yet.
 */
#include <string.h>
#include "mm.h"
#include "../rmap/rmap.h"

static int map_new_anon(struct vm_area *vma, uint64_t addr, pte_t *pte,
			uint64_t copy_from)
{
	struct vm_mm *mm = vma->mm;
	struct vm_machine *m = mm->machine;
	struct vm_frame *f;
	uint32_t pfn;

	if (anon_prepare(vma))
		return VM_FAULT_OOM;
	pfn = __frames_alloc(m, 0, copy_from == m->zero_pfn);
	if (pfn == FRAME_NIL)
		return VM_FAULT_OOM;
	if (copy_from != m->zero_pfn)
		memcpy(pfn_data(m, pfn), pfn_data(m, copy_from), PAGE_SIZE);
	f = pfn_frame(m, pfn);
	f->flags = PG_ANON | PG_ANON_EXCL;    /* the PTE is dirty, the page is not */
	rmap_add_new_anon(vma, addr, f);
	lru_add(m, f, vma->flags & VM_LOCKED);   /* folio_add_lru_vma */
	check_note_pte(mm, addr);
	if (pte_present(*pte)) {
		/* replace the old mapping (COW): it loses one map and one ref */
		uint64_t old = pte_pfn(*pte);

		check_note_frame(m, old);
		if (old != m->zero_pfn) {
			struct vm_frame *of = pfn_frame(m, old);

			rmap_remove(vma, addr, of);
			if ((of->flags & PG_SWAPCACHE) && of->mapcount == 0)
				swap_cache_unmapped(m, of);
			frame_put(m, (uint32_t)old);
			mm->rss--;
		}
		mm->nr_ptes--;
	}
	*pte = mk_pte(vma, pfn, true);
	mm->nr_ptes++;
	mm->rss++;
	return VM_FAULT_OK;
}

/* do_wp_page: write to a present, write-protected PTE of a private mapping */
static int do_wp_page(struct vm_area *vma, uint64_t addr, pte_t *pte)
{
	struct vm_machine *m = vma->mm->machine;
	uint64_t pfn = pte_pfn(*pte);
	struct vm_frame *f;

	if (pfn == m->zero_pfn) {
		m->stats.cow_copies++;
		return map_new_anon(vma, addr, pte, m->zero_pfn);
	}
	f = pfn_frame(m, pfn);
	/* wp_can_reuse_anon_folio: a page in the swap cache may be ours alone
	 * once it leaves the cache (no swap entry names its slot) */
	if ((f->flags & (PG_ANON | PG_ANON_EXCL | PG_SWAPCACHE)) == (PG_ANON | PG_SWAPCACHE) &&
	    f->mapcount == 1 && f->refcount == 2)
		swap_cache_try_free(m, f);
	if ((f->flags & PG_ANON) &&
	    ((f->flags & PG_ANON_EXCL) || (f->mapcount == 1 && f->refcount == 1))) {
		/* wp_can_reuse_anon_folio: nobody else maps it */
		if (!(f->flags & PG_ANON_EXCL))
			rmap_move_anon(vma, f);
		f->flags |= PG_ANON_EXCL;
		*pte |= PTE_WRITE | PTE_DIRTY | PTE_ACCESSED;
		check_note_pte(vma->mm, addr);
		m->stats.cow_reuses++;
		return VM_FAULT_OK;
	}
	m->stats.cow_copies++;
	return map_new_anon(vma, addr, pte, pfn);
}

static inline uint64_t linear_index(const struct vm_area *vma, uint64_t addr)
{
	return vma->pgoff + ((addr - vma->start) >> PAGE_SHIFT);
}

/* map page-cache page pfn at addr (set_pte_range), once the scheme has
 * what the add needs (rmap_page_prepare); => 0, or -ENOMEM (-12): nothing mapped */
static int map_file_page(struct vm_area *vma, uint64_t addr, pte_t *pte, uint32_t pfn,
			 bool write)
{
	struct vm_mm *mm = vma->mm;
	struct vm_frame *f = pfn_frame(mm->machine, pfn);
	pte_t p = mk_pte(vma, pfn, write);

	if (rmap_page_prepare(vma, f))
		return -12;
	/* a shared writable mapping maps its pages writable at once */
	if ((vma->flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE) &&
	    (p & PTE_PRESENT))
		p |= PTE_WRITE;
	if (write)
		f->flags |= PG_DIRTY;
	rmap_add_file(vma, addr, f);
	/* mlock_vma_folio: a page mapped into a VM_LOCKED VMA is mlocked */
	if ((vma->flags & VM_LOCKED) && !(f->flags & PG_UNEVICTABLE))
		lru_set(mm->machine, f, LRU_UNEVICTABLE);
	f->refcount++;
	mm->rss++;
	mm->nr_ptes++;
	*pte = p;
	check_note_pte(mm, addr);
	return 0;
}

/*
 * do_fault_around + filemap_map_pages: map the cached pages around addr.
 * => true when the page at addr itself got mapped.
 */
static bool do_fault_around(struct vm_area *vma, uint64_t addr, pte_t *fpte)
{
	struct vm_file *file = vma->file;
	uint64_t nr = FAULT_AROUND_PAGES;
	uint64_t pgoff = linear_index(vma, addr);
	uint64_t pte_off = (addr >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1);
	uint64_t vma_off = pgoff - vma->pgoff;
	uint64_t from, to, first, last, idx;
	pte_t *table = fpte - pte_off;
	uint32_t pfn;
	bool mapped = false;

	from = pte_off & ~(nr - 1);
	if (pte_off - (pte_off < vma_off ? pte_off : vma_off) > from)
		from = pte_off - (pte_off < vma_off ? pte_off : vma_off);
	to = from + nr;
	if (to > PTRS_PER_TABLE)
		to = PTRS_PER_TABLE;
	if (to > pte_off + vma_pages(vma) - vma_off)
		to = pte_off + vma_pages(vma) - vma_off;
	to--;
	first = pgoff + from - pte_off;
	last = pgoff + to - pte_off;
	if (!file_pages(file))
		return false;
	if (last > file_pages(file) - 1)
		last = file_pages(file) - 1;
	for (idx = first; idx <= last && radix_next(&file->cache, idx, last, &idx, &pfn); idx++) {
		uint64_t a = addr + ((idx - pgoff) << PAGE_SHIFT);
		pte_t *pte = &table[(a >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1)];

		if (!pte_none(*pte))
			continue;
		/* the scheme could not have this page's add ready: fault-around
		 * is best effort, the fault itself decides about its page */
		if (map_file_page(vma, a, pte, pfn, false))
			break;
		if (a == addr)
			mapped = true;
	}
	return mapped;
}

/*
 * --nonlinear: a file PTE (pte_file) names the page to map
 * (do_nonlinear_fault); an empty PTE of a VM_NONLINEAR VMA maps the linear
 * page, and such a VMA never faults around (2.6.32 had no fault-around,
 * and filemap_map_pages would map linear pages where others belong).
 */
static int do_file_fault(struct vm_area *vma, uint64_t addr, pte_t *pte, bool write)
{
	uint64_t idx = pte_file(*pte) ? pte_to_pgoff(*pte) : linear_index(vma, addr);
	uint32_t pfn;
	int r;

	if (!write) {
		/* do_read_fault */
		if (FAULT_AROUND_PAGES > 1 && !(vma->flags & VM_NONLINEAR) &&
		    do_fault_around(vma, addr, pte))
			return VM_FAULT_OK;
		r = file_get_page(vma->file, idx, &pfn);
		if (r != VM_FAULT_OK)
			return r;
		return map_file_page(vma, addr, pte, pfn, false) ? VM_FAULT_OOM : VM_FAULT_OK;
	}
	/* do_cow_fault prepares the anonymous identity before it reads the
	 * file page, so the VMA has one even when the read fails (SIGBUS) */
	if (!(vma->flags & VM_SHARED) && anon_prepare(vma))
		return VM_FAULT_OOM;
	r = file_get_page(vma->file, idx, &pfn);
	if (r != VM_FAULT_OK)
		return r;
	if (!(vma->flags & VM_SHARED))
		return map_new_anon(vma, addr, pte, pfn);     /* do_cow_fault */
	/* do_shared_fault */
	return map_file_page(vma, addr, pte, pfn, true) ? VM_FAULT_OOM : VM_FAULT_OK;
}

/*
 * The fault handler proper, for a VMA the caller found: => VM_FAULT_*, and
 * on VM_FAULT_OK *ptep points at the PTE of addr (so that the caller need
 * not walk the tables again).
 */
int __handle_mm_fault(struct vm_area *vma, uint64_t addr, bool write, pte_t **ptep)
{
	struct vm_mm *mm = vma->mm;
	struct vm_machine *m = mm->machine;
	pte_t *pte;
	int r = VM_FAULT_OK;

	m->stats.faults++;
	if (write ? !(vma->flags & VM_WRITE) : !vma_is_accessible(vma))
		return VM_FAULT_SEGV;
	if (vma_pkey_exec_only(vma, m->pkeys))
		return VM_FAULT_SEGV;
	addr &= PAGE_MASK;
	pte = pte_alloc(mm, addr);
	if (!pte)
		return VM_FAULT_OOM;
	/* pte_chain_alloc before the page-table lock (2.6.0): whatever this
	 * fault maps (fault-around's pages, or one page) the scheme can follow */
	if (rmap_prepare(m, FAULT_AROUND_PAGES))
		return VM_FAULT_OOM;
	*ptep = pte;
	if (pte_is_swap(*pte)) {
		/* do_swap_page, then do_wp_page if the write found it shared */
		r = do_swap_page(vma, addr, pte, write);
		if (r == VM_FAULT_OK && write && !pte_write(*pte))
			r = do_wp_page(vma, addr, pte);
		return r;
	}
	if (!pte_present(*pte)) {
		if (vma->file)
			return do_file_fault(vma, addr, pte, write);
		if (!write) {
			*pte = mk_pte(vma, m->zero_pfn, false);
			mm->nr_ptes++;
			check_note_pte(mm, addr);
			m->stats.zero_faults++;
			return VM_FAULT_OK;
		}
		m->stats.anon_faults++;
		return map_new_anon(vma, addr, pte, m->zero_pfn);
	}
	if (*pte & PTE_PROTNONE)
		return VM_FAULT_SEGV;      /* cannot happen: the VMA check passed */
	if (write && !pte_write(*pte)) {
		if (vma->flags & VM_SHARED) {
			/* wp_page_shared: the page is the file's, just dirty it */
			pfn_frame(m, pte_pfn(*pte))->flags |= PG_DIRTY;
			*pte |= PTE_WRITE | PTE_DIRTY | PTE_ACCESSED;
			check_note_pte(mm, addr);
			return VM_FAULT_OK;
		}
		return do_wp_page(vma, addr, pte);
	}
	/* spurious: the PTE already allows the access */
	*pte |= PTE_ACCESSED | (write ? PTE_DIRTY : 0);
	return r;
}

int handle_mm_fault(struct vm_mm *mm, uint64_t addr, bool write)
{
	struct vm_area *vma = vma_lookup(mm, addr);
	pte_t *pte;

	if (!vma) {
		mm->machine->stats.faults++;
		return VM_FAULT_SEGV;
	}
	return __handle_mm_fault(vma, addr, write, &pte);
}
