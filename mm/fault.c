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
 * The access check is x86's: a read is allowed in any VMA that has one of
 * read, write or exec; a write needs VM_WRITE.  A fault outside any VMA,
 * or one the VMA does not allow, is SIGSEGV.
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

	if (m->rmap->anon_prepare(vma))
		return VM_FAULT_OOM;
	pfn = __frames_alloc(m, 0, copy_from == m->zero_pfn);
	if (pfn == FRAME_NIL)
		return VM_FAULT_OOM;
	if (copy_from != m->zero_pfn)
		memcpy(pfn_data(m, pfn), pfn_data(m, copy_from), PAGE_SIZE);
	f = pfn_frame(m, pfn);
	f->flags = PG_ANON | PG_ANON_EXCL | PG_DIRTY;
	if (vma->flags & VM_LOCKED)
		f->flags |= PG_MLOCKED;
	f->mapcount = 1;
	m->rmap->page_add_new_anon(f, vma, addr);
	if (pte_present(*pte)) {
		/* replace the old mapping (COW): it loses one map and one ref */
		uint64_t old = pte_pfn(*pte);

		if (old != m->zero_pfn) {
			pfn_frame(m, old)->mapcount--;
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
	if ((f->flags & PG_ANON) &&
	    ((f->flags & PG_ANON_EXCL) || (f->mapcount == 1 && f->refcount == 1))) {
		/* wp_can_reuse_anon_folio: nobody else maps it */
		if (!(f->flags & PG_ANON_EXCL))
			m->rmap->page_move_anon(f, vma);
		f->flags |= PG_ANON_EXCL | PG_DIRTY;
		*pte |= PTE_WRITE | PTE_DIRTY | PTE_ACCESSED;
		m->stats.cow_reuses++;
		return VM_FAULT_OK;
	}
	m->stats.cow_copies++;
	return map_new_anon(vma, addr, pte, pfn);
}

int handle_mm_fault(struct vm_mm *mm, uint64_t addr, bool write)
{
	struct vm_machine *m = mm->machine;
	struct vm_area *vma = vma_lookup(mm, addr);
	pte_t *pte;

	m->stats.faults++;
	if (!vma)
		return VM_FAULT_SEGV;
	if (write ? !(vma->flags & VM_WRITE) : !vma_is_accessible(vma))
		return VM_FAULT_SEGV;
	addr &= PAGE_MASK;
	pte = pte_alloc(mm, addr);
	if (!pte)
		return VM_FAULT_OOM;
	if (!pte_present(*pte)) {
		if (!write) {
			*pte = mk_pte(vma, m->zero_pfn, false);
			mm->nr_ptes++;
			m->stats.zero_faults++;
			return VM_FAULT_OK;
		}
		m->stats.anon_faults++;
		return map_new_anon(vma, addr, pte, m->zero_pfn);
	}
	if (*pte & PTE_PROTNONE)
		return VM_FAULT_SEGV;      /* cannot happen: the VMA check passed */
	if (write && !pte_write(*pte))
		return do_wp_page(vma, addr, pte);
	/* spurious: the PTE already allows the access */
	*pte |= PTE_ACCESSED | (write ? PTE_DIRTY : 0);
	return VM_FAULT_OK;
}
