/*
 * sim/mmu.c - the software MMU.
 *
 * A load or store walks the four-level page tables as the hardware would:
 * it succeeds when the PTE is present (and writable, for a store) and its
 * protection key allows data access (PKRU denies every key but 0, as
 * Linux sets it up), setting the accessed and dirty bits; otherwise it
 * raises a page fault into mm/ and retries.  An access never straddles a page (the trace parser checks).
 */
#include <string.h>
#include "sim.h"

static int mmu_access(struct vm_machine *m, struct vm_mm *mm, uint64_t addr,
		      bool write, uint64_t *val)
{
	pte_t *pte = pte_lookup(mm, addr);

	for (int tries = 0; tries < 3; tries++) {
		struct vm_area *vma;
		int r;

		if (pte && (*pte & PTE_PRESENT) && !(*pte & PTE_PKEY_MASK) &&
		    (!write || (*pte & PTE_WRITE))) {
			uint8_t *p = frame_bytes(m, pte_pfn(*pte), addr & ~PAGE_MASK, 8);

			*pte |= PTE_ACCESSED | (write ? PTE_DIRTY : 0);
			if (write)
				memcpy(p, val, 8);
			else
				memcpy(val, p, 8);
			return VM_FAULT_OK;
		}
		/* a page fault: the handler hands back the PTE it settled */
		vma = vma_lookup(mm, addr);
		if (!vma) {
			m->stats.faults++;
			return VM_FAULT_SEGV;
		}
		r = __handle_mm_fault(vma, addr, write, &pte);
		if (r != VM_FAULT_OK)
			return r;
	}
	/* the fault handler said OK three times but the PTE still refuses */
	vm_bug(__FILE__, __LINE__, "fault handled but access still faults");
}

int mmu_load(struct vm_machine *m, struct vm_mm *mm, uint64_t addr, uint64_t *val)
{
	return mmu_access(m, mm, addr, false, val);
}

int mmu_store(struct vm_machine *m, struct vm_mm *mm, uint64_t addr, uint64_t val)
{
	return mmu_access(m, mm, addr, true, &val);
}
