/*
 * mm/mmap.c - mmap, munmap, mprotect, mlock/munlock, brk and populate, with
 * the argument checks, error codes and partial effects of Linux 6.x
 * (mm/mmap.c, mm/vma.c, mm/mprotect.c, mm/mlock.c, mm/gup.c there).
 *
 * Placement: mmap at 0 (or at a hint that does not fit) is top-down from
 * MMAP_BASE, as x86-64's arch_get_unmapped_area_topdown; anonymous private
 * mappings whose length is a multiple of 2 MiB are aligned to 2 MiB as
 * __get_unmapped_area does for THP.
 */
#include <string.h>
#include "mm.h"
#include "../rmap/rmap.h"

#define MAP_TYPE_FLAGS (MAP_PRIVATE_ | MAP_SHARED_)

/* __vm_enough_memory with the heuristic overcommit policy (mode 0): no
 * more than memory and swap (total_swap_pages: the slots, header aside) */
bool vm_enough_memory(struct vm_mm *mm, uint64_t pages)
{
	const struct vm_machine *m = mm->machine;

	return pages <= m->nr_frames + (swap_enabled(m) ? m->swap.nr_slots - 1 : 0);
}

static uint64_t arch_get_unmapped_area_topdown(struct vm_mm *mm, uint64_t addr,
					       uint64_t len, unsigned flags)
{
	uint64_t a;

	if (len > TASK_SIZE)
		return VM_ERR(-12);
	if (flags & MAP_FIXED_)
		return addr;
	if (addr) {
		struct vm_area *v;

		addr = PAGE_ALIGN(addr);
		v = find_vma(mm, addr);
		if (TASK_SIZE - len >= addr && addr >= MMAP_MIN_ADDR &&
		    (!v || addr + len <= v->start) &&
		    (v ? !v->prev || addr >= v->prev->end :
			 !vma_last(mm) || addr >= vma_last(mm)->end))
			return addr;
	}
	a = unmapped_area_topdown(mm, len, MMAP_MIN_ADDR > PAGE_SIZE ? MMAP_MIN_ADDR : PAGE_SIZE,
				  MMAP_BASE);
	if (!IS_ERR_ADDR(a))
		return a;
	/* fall back to bottom-up, as Linux does when top-down fails */
	return unmapped_area(mm, len, TASK_UNMAPPED_BASE, TASK_SIZE);
}

uint64_t get_unmapped_area(struct vm_mm *mm, struct vm_file *file, uint64_t addr,
			   uint64_t len, uint64_t pgoff, unsigned flags)
{
	uint64_t a;

	if (len > TASK_SIZE)
		return VM_ERR(-12);
	if (!file && !(flags & MAP_SHARED_) && !addr && !(flags & MAP_FIXED_) &&
	    !(len & (PMD_SIZE - 1))) {
		/* thp_get_unmapped_area: search len + 2M, then align */
		uint64_t padded = len + PMD_SIZE, r;

		r = padded < len ? VM_ERR(-12) : arch_get_unmapped_area_topdown(mm, 0, padded, flags);
		if (!IS_ERR_ADDR(r)) {
			uint64_t off_sub = (0 - r) & (PMD_SIZE - 1);

			a = off_sub ? r + off_sub : r + PMD_SIZE;
			goto check;
		}
	}
	a = arch_get_unmapped_area_topdown(mm, addr, len, flags);
	if (IS_ERR_ADDR(a))
		return a;
check:
	if (a > TASK_SIZE - len)
		return VM_ERR(-12);
	if (a & ~PAGE_MASK)
		return VM_ERR(-22);
	return a;
}

static uint64_t calc_vm_prot(unsigned prot)
{
	return ((prot & PROT_READ_) ? VM_READ : 0) | ((prot & PROT_WRITE_) ? VM_WRITE : 0) |
	       ((prot & PROT_EXEC_) ? VM_EXEC : 0);
}

/* mmap_region: the range is known and page aligned; file_open is the
 * open file description file is mapped through */
static uint64_t mmap_region(struct vm_mm *mm, struct vm_file *file, uint32_t file_open,
			    uint64_t addr, uint64_t len, uint64_t vm_flags, uint64_t pgoff)
{
	struct vm_area *vma;
	uint64_t pages = len >> PAGE_SHIFT;
	int err;

	/* private writable memory is accounted (accountable_mapping) */
	if ((vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE) {
		if (!vm_enough_memory(mm, pages))
			return VM_ERR(-12);
		vm_flags |= VM_ACCOUNT;
	}
	/* unmap whatever is in the way (MAP_FIXED) */
	if (find_vma_intersection(mm, addr, addr + len)) {
		err = do_munmap(mm, addr, len);
		if (err)
			return VM_ERR(err);
	}
	/* shared anonymous memory gets its own shmem object: it never merges
	 * with a neighbour at mmap time */
	vma = NULL;
	if (file || !(vm_flags & VM_SHARED)) {
		vma = vma_merge_new(mm, addr, addr + len, vm_flags, file, file_open, pgoff,
				    NULL, NULL, false, &err);
		if (err)
			return VM_ERR(err);
	}
	if (!vma) {
		vma = vma_alloc(mm);
		if (!vma)
			return VM_ERR(-12);
		vma->start = addr;
		vma->end = addr + len;
		vma->flags = vm_flags;
		vma->pgoff = pgoff;
		if (file) {
			vma_set_file(vma, file, file_open);
		} else if (vm_flags & VM_SHARED) {
			/* shmem_zero_setup */
			vma->file = file_create_shmem(mm->machine, len);
			if (!vma->file) {
				vma_free(vma);
				return VM_ERR(-12);
			}
			vma->file_open = file_open_new(vma->file);
		}
		vma_link(mm, vma);
	}
	if (vm_flags & VM_LOCKED)
		mm->locked_vm += pages;
	return addr;
}

/* do_mmap: the offset in pages; file_open as for mmap_region, 0 to open
 * the file anew */
static uint64_t do_mmap(struct vm_mm *mm, uint64_t addr, uint64_t len, unsigned prot,
			unsigned flags, struct vm_file *file, uint32_t file_open,
			uint64_t pgoff)
{
	uint64_t vm_flags, ret;

	if ((flags & MAP_TYPE_FLAGS) == 0 || (flags & MAP_TYPE_FLAGS) == MAP_TYPE_FLAGS)
		return VM_ERR(-22);
	if (!len)
		return VM_ERR(-22);
	if (flags & MAP_NOREPLACE_)
		flags |= MAP_FIXED_;
	if (!(flags & MAP_FIXED_)) {
		addr &= PAGE_MASK;
		if (addr && addr < MMAP_MIN_ADDR)
			addr = PAGE_ALIGN(MMAP_MIN_ADDR);
	}
	len = PAGE_ALIGN(len);
	if (!len)
		return VM_ERR(-12);
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return VM_ERR(-75);
	if (mm->map_count > MAX_MAP_COUNT)
		return VM_ERR(-12);
	addr = get_unmapped_area(mm, file, addr, len, pgoff, flags);
	if (IS_ERR_ADDR(addr))
		return addr;
	if ((flags & MAP_NOREPLACE_) && find_vma_intersection(mm, addr, addr + len))
		return VM_ERR(-17);
	vm_flags = calc_vm_prot(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if (flags & MAP_LOCKED_)
		vm_flags |= VM_LOCKED;
	if (file) {
		/* file_mmap_ok: offsets up to MAX_LFS_FILESIZE */
		if (len > (uint64_t)INT64_MAX || pgoff > ((uint64_t)INT64_MAX - len) >> PAGE_SHIFT)
			return VM_ERR(-75);
		if (flags & MAP_SHARED_) {
			if ((prot & PROT_WRITE_) && !file->writable)
				return VM_ERR(-13);
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			if (!file->writable)
				vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
		}
	} else if (flags & MAP_SHARED_) {
		pgoff = 0;
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	} else {
		pgoff = addr >> PAGE_SHIFT;
	}
	if (flags & MAP_NORESERVE_)
		vm_flags |= VM_NORESERVE;
	if (file && !file_open)
		file_open = file_open_new(file);
	ret = mmap_region(mm, file, file_open, addr, len, vm_flags, pgoff);
	if (IS_ERR_ADDR(ret))
		return ret;
	if ((vm_flags & VM_LOCKED) || (flags & MAP_POPULATE_))
		mm_populate(mm, ret, len, true);
	return ret;
}

uint64_t vm_mmap(struct vm_mm *mm, uint64_t addr, uint64_t len, unsigned prot,
		 unsigned flags, struct vm_file *file, uint64_t off)
{
	if (off & ~PAGE_MASK)
		return VM_ERR(-22);
	return do_mmap(mm, addr, len, prot, flags, file, 0, off >> PAGE_SHIFT);
}

/*
 * remap_file_pages(2), which Linux has emulated since 4.0 by mapping the
 * range again, MAP_SHARED|MAP_FIXED|MAP_POPULATE, from the same file at the
 * new page offset (nonlinear VMAs are gone): the range must lie in shared
 * mappings of one file with the same flags, without holes.  The mapping is
 * made through the VMA's own open file (vma->vm_file), so it may merge
 * with the rest of it.
 */
static int remap_file_pages_nonlinear(struct vm_mm *mm, uint64_t start, uint64_t size,
				      uint64_t pgoff);

int vm_remap_file_pages(struct vm_mm *mm, uint64_t start, uint64_t size, uint64_t pgoff)
{
	struct vm_area *vma, *v;
	struct vm_file *file;
	unsigned prot = 0, flags = MAP_SHARED_ | MAP_FIXED_ | MAP_POPULATE_;
	uint64_t ret;

	if (mm->machine->nonlinear)
		return remap_file_pages_nonlinear(mm, start, size, pgoff);
	start &= PAGE_MASK;
	size &= PAGE_MASK;
	if (start + size <= start)
		return -22;
	if (pgoff + (size >> PAGE_SHIFT) < pgoff)
		return -22;
	vma = vma_lookup(mm, start);
	if (!vma || !(vma->flags & VM_SHARED))
		return -22;
	for (v = vma; start + size > v->end; v = v->next)
		if (!v->next || v->next->start != v->end ||
		    !vma_same_file(v->next, vma->file, vma->file_open) ||
		    v->next->flags != vma->flags)
			return -22;
	prot |= (vma->flags & VM_READ) ? PROT_READ_ : 0;
	prot |= (vma->flags & VM_WRITE) ? PROT_WRITE_ : 0;
	prot |= (vma->flags & VM_EXEC) ? PROT_EXEC_ : 0;
	if (vma->flags & VM_LOCKED)
		flags |= MAP_LOCKED_;
	/* the mapping about to be replaced may hold the last reference to its
	 * file (a shmem object): hold one across the mmap, as get_file() does */
	file = vma->file;
	file_get(file);
	ret = do_mmap(mm, start, size, prot, flags, file, vma->file_open, pgoff);
	file_put(file);
	return IS_ERR_ADDR(ret) ? (int)(int64_t)ret : 0;
}

/*
 * --nonlinear: remap_file_pages(2) as Linux 2.6.32 (mm/fremap.c) did it
 * for tmpfs and shared memory, which keep no dirty accounting, and so
 * for every file here.  The range must lie in one VM_SHARED VMA (across
 * two VMAs, or past the end of one, is -EINVAL); the offset plus the size
 * must fit a file PTE (PTE_FILE_MAX_BITS).  A VMA whose linear offset
 * already is pgoff at start is left alone (success, nothing populated);
 * otherwise the VMA becomes VM_NONLINEAR, moving from i_mmap to
 * i_mmap_nonlinear, for good.  Every PTE of the range is replaced by a
 * file PTE naming its new offset (install_file_pte: a page mapped there
 * is unmapped first), and then the range is faulted in as
 * make_pages_present (or, locked, mlock_vma_pages_range) did: write faults
 * when the VMA is writable, stopping quietly at the first failure (SIGBUS
 * past the end of the file, an inaccessible VMA).  No VMA is made, split
 * or merged.  => 0, -EINVAL, or -ENOMEM when a page table cannot be had
 * (the PTEs before it are already replaced, as in 2.6.32).
 */
static int remap_file_pages_nonlinear(struct vm_mm *mm, uint64_t start, uint64_t size,
				      uint64_t pgoff)
{
	struct vm_area *vma;
	uint64_t end, a, off;

	start &= PAGE_MASK;
	size &= PAGE_MASK;
	end = start + size;
	if (end <= start)
		return -22;
	if (pgoff + (size >> PAGE_SHIFT) >= (1ULL << PTE_FILE_MAX_BITS) ||
	    pgoff + (size >> PAGE_SHIFT) < pgoff)
		return -22;
	vma = vma_lookup(mm, start);
	if (!vma || !(vma->flags & VM_SHARED) || !vma->file || end > vma->end)
		return -22;
	if (!(vma->flags & VM_NONLINEAR)) {
		/* "Don't need a nonlinear mapping, exit success" */
		if (pgoff == vma->pgoff + ((start - vma->start) >> PAGE_SHIFT))
			return 0;
		file_vma_unlink(vma);
		vma->flags |= VM_NONLINEAR;
		file_vma_link(vma);
		check_note_range(mm, vma->start, vma->end);
	}
	/* populate_range: install_file_pte on each page */
	for (a = start, off = pgoff; a < end; a += PAGE_SIZE, off++) {
		pte_t *pte = pte_alloc(mm, a);

		if (!pte)
			return -12;
		if (pte_present(*pte))
			zap_pte(vma, a, pte);
		*pte = pgoff_to_pte(off);
		check_note_pte(mm, a);
	}
	/* make_pages_present / mlock_vma_pages_range: errors are not returned */
	populate_range(vma, start, end, vma->flags & VM_WRITE);
	return 0;
}

int vm_munmap(struct vm_mm *mm, uint64_t addr, uint64_t len)
{
	return do_munmap(mm, addr, len);
}

/* ---------------- populate (mm/gup.c) ---------------- */

/*
 * The per-page step of get_user_pages for populating [start, end) of vma:
 * fault in what is missing (write faults break COW); a page that is
 * already there is touched as follow_page does with FOLL_TOUCH, made
 * dirty by a write (so a lazily freed page holds data again).
 * => 0, or -EFAULT when a fault fails, -ENOMEM when memory runs out.
 */
int populate_range(struct vm_area *vma, uint64_t start, uint64_t end, bool write)
{
	struct vm_mm *mm = vma->mm;
	struct vm_machine *m = mm->machine;

	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		pte_t *pte = pte_lookup(mm, a);
		int r;

		if (pte && pte_present(*pte) && (!write || pte_write(*pte))) {
			/* follow_page_pte's FOLL_TOUCH dirties the page only
			 * when its PTE is clean */
			if (write && !(*pte & PTE_DIRTY) && pte_pfn(*pte) != m->zero_pfn)
				pfn_frame(m, pte_pfn(*pte))->flags |= PG_DIRTY;
			*pte |= PTE_ACCESSED;
			continue;
		}
		r = __handle_mm_fault(vma, a, write, &pte);
		if (r == VM_FAULT_OOM)
			return -12;
		if (r != VM_FAULT_OK)
			return -14;
	}
	return 0;
}

/*
 * populate_vma_page_range: fault in [start, end) of vma as get_user_pages
 * would: write faults on private writable mappings (breaking COW), read
 * faults otherwise.  => returns 0 or -EFAULT / -ENOMEM.
 */
int populate_vma_range(struct vm_area *vma, uint64_t start, uint64_t end)
{
	if (vma->flags & VM_LOCKONFAULT)
		return 0;
	/* check_vma_flags: FOLL_FORCE lets an accessible VMA be read, but
	 * gup is a data access, which an execute-only key refuses */
	if (!vma_is_accessible(vma) || vma_pkey_exec_only(vma, vma->mm->machine->pkeys))
		return -14;
	return populate_range(vma, start, end,
			      (vma->flags & (VM_WRITE | VM_SHARED)) == VM_WRITE);
}

int mm_populate(struct vm_mm *mm, uint64_t start, uint64_t len, bool ignore_errors)
{
	uint64_t end = start + len, nstart, nend;
	struct vm_area *vma = NULL;
	int ret = 0;

	for (nstart = start; nstart < end; nstart = nend) {
		if (!vma || nstart >= vma->end)
			vma = find_vma_intersection(mm, vma ? vma->end : nstart, end);
		if (!vma)
			break;
		nend = end < vma->end ? end : vma->end;
		if (nstart < vma->start)
			nstart = vma->start;
		ret = populate_vma_range(vma, nstart, nend);
		if (ret < 0) {
			if (ignore_errors) {
				ret = 0;
				continue;
			}
			break;
		}
	}
	return ret;
}

/* ---------------- mprotect ---------------- */

static int mprotect_fixup(struct vm_area *vma, struct vm_area **pprev,
			  uint64_t start, uint64_t end, uint64_t newflags)
{
	uint64_t oldflags = vma->flags;
	uint64_t pages = (end - start) >> PAGE_SHIFT;
	int err = 0;

	if (newflags == oldflags) {
		*pprev = vma;
		return 0;
	}
	if (newflags & VM_WRITE) {
		if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE))) {
			if (!vm_enough_memory(vma->mm, pages))
				return -12;
			newflags |= VM_ACCOUNT;
		}
	} else if ((oldflags & VM_ACCOUNT) && vma_is_anonymous(vma) && !vma->anon) {
		newflags &= ~VM_ACCOUNT;
	}
	vma = vma_modify_flags(*pprev, vma, start, end, newflags, &err);
	if (!vma)
		return err;
	*pprev = vma;
	vma->flags = newflags;
	change_protection(vma, start, end);
	/* an mlocked private mapping made writable: break COW now */
	if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED &&
	    (newflags & VM_WRITE))
		populate_vma_range(vma, start, end);
	return 0;
}

int vm_mprotect(struct vm_mm *mm, uint64_t start, uint64_t len, unsigned prot)
{
	uint64_t end, nstart, tmp;
	struct vm_area *vma, *prev;
	int error;

	if (start & ~PAGE_MASK)
		return -22;
	if (!len)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -12;
	vma = find_vma_intersection(mm, start, end);
	if (!vma)
		return -12;
	if (vma->start > start)
		return -12;
	prev = vma->prev;
	if (start > vma->start)
		prev = vma;
	nstart = start;
	tmp = vma->start;
	error = 0;
	for (; vma && vma->start < end; vma = prev ? prev->next : find_vma(mm, nstart)) {
		uint64_t newflags;

		if (vma->start != tmp) {
			error = -12;
			break;
		}
		newflags = calc_vm_prot(prot) | (vma->flags & ~VM_ACCESS_FLAGS);
		/* the new protection must be allowed by VM_MAY* */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) {
			error = -13;
			break;
		}
		tmp = vma->end < end ? vma->end : end;
		error = mprotect_fixup(vma, &prev, nstart, tmp, newflags);
		if (error)
			break;
		tmp = prev->end;
		nstart = tmp;
		if (nstart >= end)
			break;
	}
	if (!error && tmp < end)
		error = -12;
	return error;
}

/* ---------------- mlock ---------------- */

/* mlock_pte_range: a page mapped in a range that becomes VM_LOCKED is
 * mlocked (unevictable); one in a range that stops being so goes back to
 * its evictable list, where reclaim culls it again if another VM_LOCKED
 * VMA maps it */
static int mlock_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_machine *m = mm->machine;
	struct vm_frame *f = pte_page(m, *pte);

	if (!f || !(f->flags & PG_LRU))
		return 0;
	if (arg)
		lru_set(m, f, LRU_UNEVICTABLE);
	else
		lru_putback(m, f);
	return 0;
}

static int mlock_fixup(struct vm_area *vma, struct vm_area **prev, uint64_t start,
		       uint64_t end, uint64_t newflags)
{
	uint64_t oldflags = vma->flags;
	int err = 0;

	if (newflags == oldflags)
		goto out;
	/* the scheme may need memory for the PTEs that leave VM_LOCKED */
	if ((oldflags & VM_LOCKED) && !(newflags & VM_LOCKED) &&
	    rmap_lock_prepare(vma, start, end))
		return -12;
	vma = vma_modify_flags(*prev, vma, start, end, newflags, &err);
	if (!vma)
		return err;
	if ((newflags & VM_LOCKED) && !(oldflags & VM_LOCKED))
		vma->mm->locked_vm += (end - start) >> PAGE_SHIFT;
	else if (!(newflags & VM_LOCKED) && (oldflags & VM_LOCKED))
		vma->mm->locked_vm -= (end - start) >> PAGE_SHIFT;
	vma->flags = newflags;
	if ((newflags ^ oldflags) & VM_LOCKED) {
		walk_ptes(vma->mm, start, end, mlock_one,
			  (newflags & VM_LOCKED) ? (void *)vma : NULL);
		rmap_vma_locked(vma, start, end, newflags & VM_LOCKED);
	}
out:
	*prev = vma;
	return 0;
}

static int apply_vma_lock_flags(struct vm_mm *mm, uint64_t start, uint64_t len,
				uint64_t flags)
{
	uint64_t end = start + len, nstart, tmp;
	struct vm_area *vma, *prev;
	int error;

	if (end < start)
		return -22;
	if (end == start)
		return 0;
	vma = vma_lookup(mm, start);
	if (!vma)
		return -12;
	prev = vma->prev;
	if (start > vma->start)
		prev = vma;
	nstart = start;
	tmp = vma->start;
	for (; vma && vma->start < end; vma = prev->next) {
		uint64_t newflags;

		if (vma->start != tmp)
			return -12;
		newflags = (vma->flags & ~VM_LOCKED_MASK) | flags;
		tmp = vma->end < end ? vma->end : end;
		error = mlock_fixup(vma, &prev, nstart, tmp, newflags);
		if (error)
			return error;
		tmp = prev->end;
		nstart = tmp;
		if (nstart >= end)
			break;
	}
	if (tmp < end)
		return -12;
	return 0;
}

int vm_mlock(struct vm_mm *mm, uint64_t start, uint64_t len)
{
	int error;

	len = PAGE_ALIGN(len + (start & ~PAGE_MASK));
	start &= PAGE_MASK;
	error = apply_vma_lock_flags(mm, start, len, VM_LOCKED);
	if (error)
		return error;
	error = mm_populate(mm, start, len, false);
	if (error == -14)
		error = -12;
	else if (error == -12)
		error = -11;
	return error;
}

int vm_munlock(struct vm_mm *mm, uint64_t start, uint64_t len)
{
	len = PAGE_ALIGN(len + (start & ~PAGE_MASK));
	start &= PAGE_MASK;
	return apply_vma_lock_flags(mm, start, len, 0);
}

/* ---------------- brk ---------------- */

/*
 * brkbase: the heap starts, empty, at addr (what exec leaves; the Linux
 * tester sets it with prctl(PR_SET_MM_MAP)).  => -EINVAL, nothing changed,
 * for an address outside [mmap_min_addr, TASK_SIZE) (kernel/sys.c
 * validate_prctl_map_addr).
 */
int vm_brkbase(struct vm_mm *mm, uint64_t addr)
{
	if (addr < MMAP_MIN_ADDR || addr >= TASK_SIZE)
		return -22;
	mm->start_brk = addr;
	mm->brk = addr;
	return 0;
}

uint64_t vm_brk(struct vm_mm *mm, uint64_t brk)
{
	uint64_t newbrk, oldbrk, origbrk = mm->brk;
	struct vm_area *next, *brkvma;

	if (brk < mm->start_brk)
		return origbrk;
	newbrk = PAGE_ALIGN(brk);
	oldbrk = PAGE_ALIGN(mm->brk);
	if (newbrk < brk)
		return origbrk;
	if (oldbrk == newbrk) {
		mm->brk = brk;
		return brk;
	}
	if (brk <= mm->brk) {
		/* always allow shrinking */
		brkvma = find_vma_intersection(mm, newbrk, oldbrk);
		if (!brkvma || brkvma->start >= oldbrk)
			return origbrk;
		if (do_munmap(mm, newbrk, oldbrk - newbrk))
			return origbrk;
		mm->brk = brk;
		return brk;
	}
	/* check_brk_limits: the range must be a valid user range */
	if (IS_ERR_ADDR(get_unmapped_area(mm, NULL, oldbrk, newbrk - oldbrk, 0, MAP_FIXED_)))
		return origbrk;
	next = find_vma(mm, oldbrk);
	if (next && next->start < newbrk + PAGE_SIZE + STACK_GUARD_GAP &&
	    newbrk + PAGE_SIZE > next->start)
		return origbrk;
	/* do_brk_flags */
	{
		uint64_t flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE |
				 VM_MAYEXEC | VM_ACCOUNT;
		uint64_t len = newbrk - oldbrk;
		struct vm_area *vma;

		if (mm->map_count > MAX_MAP_COUNT || !vm_enough_memory(mm, len >> PAGE_SHIFT))
			return origbrk;
		/* vma_prev_limit(start_brk): the VMA just below oldbrk, if any of
		 * it lies at or above start_brk (an mmap merged into the heap
		 * counts) */
		next = find_vma(mm, oldbrk);
		brkvma = next ? next->prev : vma_last(mm);
		if (brkvma && brkvma->end <= mm->start_brk)
			brkvma = NULL;
		vma = NULL;
		if (brkvma && brkvma->end == oldbrk) {
			int err;

			vma = vma_merge_new(mm, oldbrk, newbrk, flags, NULL, 0,
					    oldbrk >> PAGE_SHIFT, NULL, NULL, true, &err);
			if (err)
				return origbrk;
		}
		if (!vma) {
			vma = vma_alloc(mm);
			if (!vma)
				return origbrk;
			vma->start = oldbrk;
			vma->end = newbrk;
			vma->flags = flags;
			vma->pgoff = oldbrk >> PAGE_SHIFT;
			vma_link(mm, vma);
		}
	}
	mm->brk = brk;
	return brk;
}
