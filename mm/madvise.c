/*
 * mm/madvise.c - madvise(2) as Linux 6.x does it.
 *
 * Advice that changes VMA flags (normal random sequential dontfork dofork
 * wipeonfork keeponfork) splits and merges VMAs like mprotect; advice that
 * acts on pages does:
 *   dontneed        unmap the pages (anonymous memory reads as zero again)
 *   free            mark pages lazily freeable (shared ones only while
 *                   the page is clean): they stay mapped until reclaim
 *                   finds them still clean; swapped-out pages are freed
 *   pageout         reclaim now the pages only this mapping maps: lazily
 *                   freed clean anonymous pages go, page-cache pages are
 *                   unmapped (and stay cached), other anonymous pages go
 *                   to swap when there is swap and stay when not
 *   cold            pages only this mapping maps lose their accessed bit
 *                   and go to their inactive list (reclaim takes them
 *                   first); nothing visible in a dump
 *   willneed        a hint only: swapped-out pages stay where they are
 *                   (swap readahead is not modelled)
 *   remove          shared file/shmem memory only (-EINVAL otherwise)
 *   populate_read / populate_write   fault the range in
 * Holes are skipped and reported as -ENOMEM at the end, after the mapped
 * parts were acted on (madvise_walk_vmas).
 */
#include "mm.h"
#include "../rmap/rmap.h"

static int mapped_locked(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	return (vma->flags & VM_LOCKED) != 0;
}

/*
 * madvise_free_pte_range: the PTE is made old and clean and the page lazily
 * freeable, even when others map it too -- unless the page itself is dirty
 * (a store reached it through a PTE that is gone, or get_user_pages dirtied
 * it): then only an exclusive page qualifies, and it is made clean.  Dirty
 * PTEs of other mappings stay; reclaim looks at those.  folio_mark_lazyfree
 * leaves an mlocked (unevictable) page as it is: one that some VM_LOCKED VMA
 * maps, or PG_MLOCKED.  The zero page is skipped.
 */
static int free_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_machine *m = mm->machine;
	struct vm_frame *f;

	if (pte_is_swap(*pte)) {
		/* a swapped-out page is freed at once: its entry goes */
		zap_swap_pte(arg, addr, pte);
		return 0;
	}
	f = pte_page(m, *pte);
	if (!f || !(f->flags & PG_ANON))
		return 0;
	if (f->flags & (PG_DIRTY | PG_SWAPCACHE)) {
		/* a page in the swap cache must leave it first (its slot's
		 * copy would otherwise outlive the freeing) */
		if (f->mapcount != 1 || ((f->flags & PG_SWAPCACHE) && !swap_cache_try_free(m, f)))
			return 0;
		f->flags &= ~PG_DIRTY;
	}
	*pte &= ~(PTE_DIRTY | PTE_ACCESSED);
	check_note_pte(mm, addr);
	if (!(f->flags & PG_MLOCKED) && !rmap_walk(m, f, mapped_locked, NULL))
		lru_lazyfree(m, f);
	return 0;
}

/*
 * MADV_PAGEOUT (reclaim_pages of the pages this mapping alone maps): an
 * anonymous page goes to swap when there is swap (swap_out_page) and
 * stays when there is none, unless it is lazily freed and still clean,
 * when it is dropped; a
 * page-cache page is unmapped, then leaves the cache if it is clean (a
 * host-file page, or a tmpfs hole page never written: both read back the
 * same) and stays there if dirty (tmpfs cannot write it out either).
 */
static int pageout_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_machine *m = mm->machine;
	struct vm_frame *f = pte_page(m, *pte);

	if (!f || f->mapcount != 1)
		return 0;                  /* others map it: leave it alone */
	if (f->flags & PG_MLOCKED)
		return 0;                  /* unevictable: isolated and put back */
	if (f->flags & PG_CACHE) {
		struct vm_file *file = f->mapping;
		uint64_t index = f->index;

		zap_pte(arg, addr, pte);
		if (!(f->flags & PG_DIRTY))
			file_drop_page(file, index);   /* clean: it can be read again */
		return 0;
	}
	if (!(f->flags & PG_ANON))
		return 0;
	if (!(f->flags & PG_LAZYFREE)) {
		/* with swap, reclaim writes it out; without, it stays */
		if (swap_enabled(m))
			swap_out_page(m, (uint32_t)pte_pfn(*pte));
		return 0;
	}
	if ((*pte & PTE_DIRTY) || (f->flags & PG_DIRTY)) {
		/* written since MADV_FREE: it is data again */
		lru_del(m, f);
		f->flags = (f->flags & ~PG_LAZYFREE) | PG_DIRTY;
		lru_insert(m, f);
		return 0;
	}
	zap_pte(arg, addr, pte);
	return 0;
}

/* madvise_cold_or_pageout_pte_range for cold: a page only this mapping
 * maps loses its accessed bit and goes to its inactive list */
static int cold_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_machine *m = mm->machine;
	struct vm_frame *f = pte_page(m, *pte);

	if (!f || f->mapcount != 1)
		return 0;
	if (*pte & PTE_ACCESSED) {
		*pte &= ~PTE_ACCESSED;
		check_note_pte(mm, addr);
	}
	mm_deactivate(m, f);
	return 0;
}

static int madvise_vma(struct vm_area *vma, struct vm_area **prev, uint64_t start,
		       uint64_t end, enum madv advice)
{
	uint64_t newflags = vma->flags;
	struct vm_area *v;
	int err = 0;

	switch (advice) {
	case MADV_REMOVE_:
		*prev = NULL;
		/* 2.6.32 refused a nonlinear VMA too (madvise_remove) */
		if (vma->flags & (VM_LOCKED | VM_NONLINEAR))
			return -22;
		if (!vma->file)
			return -22;
		if ((vma->flags & (VM_SHARED | VM_MAYWRITE)) != (VM_SHARED | VM_MAYWRITE))
			return -13;
		/* vfs_fallocate: the file offset is a loff_t: negative is
		 * -EINVAL, an end past the largest file -EFBIG (mremap can
		 * grow a mapping's offsets past both) */
		if ((vma->pgoff << PAGE_SHIFT) + (start - vma->start) > (uint64_t)INT64_MAX)
			return -22;
		if ((vma->pgoff << PAGE_SHIFT) + (end - vma->start) > (uint64_t)INT64_MAX)
			return -27;
		/* shmem_fallocate(PUNCH_HOLE): unmap (not the private copies),
		 * drop the pages; the hole reads as zeroes again */
		file_punch_hole(vma->file, vma->pgoff + ((start - vma->start) >> PAGE_SHIFT),
				vma->pgoff + ((end - vma->start) >> PAGE_SHIFT) - 1);
		return 0;
	case MADV_WILLNEED_:
		*prev = vma;
		return 0;
	case MADV_COLD_:
	case MADV_PAGEOUT_:
		*prev = vma;
		if (vma->flags & VM_LOCKED)
			return -22;
		if (advice == MADV_PAGEOUT_)
			walk_ptes(vma->mm, start, end, pageout_one, vma);
		else
			walk_ptes(vma->mm, start, end, cold_one, NULL);
		return 0;
	case MADV_DONTNEED_:
	case MADV_FREE_:
		*prev = vma;
		if (vma->flags & VM_LOCKED)
			return -22;
		if (advice == MADV_DONTNEED_ && (vma->flags & VM_NONLINEAR))
			/* 2.6.32's madvise_dontneed: the offsets stay */
			zap_nonlinear_range(vma, start, end, 0, UINT64_MAX);
		else if (advice == MADV_DONTNEED_)
			zap_range(vma, start, end);
		else if (vma_is_anonymous(vma))
			walk_ptes_all(vma->mm, start, end, free_one, vma);
		else
			return -22;
		return 0;
	case MADV_NORMAL_:
		newflags &= ~(VM_RAND_READ | VM_SEQ_READ);
		break;
	case MADV_SEQUENTIAL_:
		newflags = (newflags & ~VM_RAND_READ) | VM_SEQ_READ;
		break;
	case MADV_RANDOM_:
		newflags = (newflags & ~VM_SEQ_READ) | VM_RAND_READ;
		break;
	case MADV_DONTFORK_:
		newflags |= VM_DONTCOPY;
		break;
	case MADV_DOFORK_:
		newflags &= ~VM_DONTCOPY;
		break;
	case MADV_WIPEONFORK_:
		if (vma->file || (vma->flags & VM_SHARED))
			return -22;
		newflags |= VM_WIPEONFORK;
		break;
	case MADV_KEEPONFORK_:
		newflags &= ~VM_WIPEONFORK;
		break;
	default:
		return -22;
	}
	if (newflags == vma->flags) {
		*prev = vma;
		return 0;
	}
	v = vma_modify_flags(*prev, vma, start, end, newflags, &err);
	if (!v)
		return err == -12 ? -11 : err;
	*prev = v;
	v->flags = newflags;
	return 0;
}

/* madvise_populate: -ENOMEM for a hole, -EINVAL where the VMA does not
 * allow the access, -EFAULT when a fault fails */
static int madvise_populate(struct vm_mm *mm, uint64_t start, uint64_t end, bool write)
{
	while (start < end) {
		struct vm_area *vma = vma_lookup(mm, start);
		uint64_t e;
		int err;

		if (!vma)
			return -12;
		if (write ? !(vma->flags & VM_WRITE) : !(vma->flags & VM_READ))
			return -22;
		e = vma->end < end ? vma->end : end;
		err = populate_range(vma, start, e, write);
		if (err)
			return err;
		start = e;
	}
	return 0;
}

int vm_madvise(struct vm_mm *mm, uint64_t start, uint64_t len_in, enum madv advice)
{
	uint64_t len, end, tmp;
	struct vm_area *vma, *prev;
	int unmapped_error = 0, error;

	if ((unsigned)advice > MADV_POPULATE_WRITE_)
		return -22;
	if (start & ~PAGE_MASK)
		return -22;
	len = PAGE_ALIGN(len_in);
	if (len_in && !len)
		return -22;
	end = start + len;
	if (end < start)
		return -22;
	if (end == start)
		return 0;
	if (advice == MADV_POPULATE_READ_ || advice == MADV_POPULATE_WRITE_)
		return madvise_populate(mm, start, end, advice == MADV_POPULATE_WRITE_);

	vma = find_vma(mm, start);
	prev = vma ? vma->prev : NULL;
	if (vma && start > vma->start)
		prev = vma;
	for (;;) {
		if (!vma)
			return -12;
		if (start < vma->start) {
			unmapped_error = -12;
			start = vma->start;
			if (start >= end)
				break;
		}
		tmp = vma->end < end ? vma->end : end;
		error = madvise_vma(vma, &prev, start, tmp, advice);
		if (error)
			return error;
		start = tmp;
		if (prev && start < prev->end)
			start = prev->end;
		if (start >= end)
			break;
		vma = prev ? prev->next : find_vma(mm, start);
	}
	return unmapped_error;
}
