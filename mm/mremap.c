/*
 * mm/mremap.c - mremap(2): shrink, grow in place, or move (Linux 6.x).
 *
 * Moving copies the VMA to the new place (merging with neighbours there when
 * it can, copy_vma), moves the page-table entries over (the pages keep
 * their frames and their anonymous index, so the rmap still finds them),
 * then unmaps the old range, unless MREMAP_DONTUNMAP leaves it mapped and
 * empty.
 */
#include "mm.h"
#include "../rmap/rmap.h"

/* copy_vma: a VMA for [addr, addr+len) with vma's attributes */
static struct vm_area *copy_vma(struct vm_area **vmap, uint64_t addr, uint64_t len,
				uint64_t pgoff)
{
	struct vm_area *vma = *vmap, *n;
	struct vm_mm *mm = vma->mm;
	uint64_t vma_start = vma->start;

	/* an anonymous VMA with no pages yet takes its new address as pgoff,
	 * to merge more easily */
	if (vma_is_anonymous(vma) && !vma->anon)
		pgoff = addr >> PAGE_SHIFT;
	n = vma_merge_new(mm, addr, addr + len, vma->flags, vma->file, pgoff,
			  vma->anon, vma, false);
	if (n) {
		if (vma_start >= n->start && vma_start < n->end)
			*vmap = n;      /* the source merged into the copy */
		return n;
	}
	n = vma_alloc(mm);
	if (!n)
		return NULL;
	n->start = addr;
	n->end = addr + len;
	n->flags = vma->flags;
	n->pgoff = pgoff;
	n->file = vma->file;
	n->anon = vma->anon;
	if (mm->machine->rmap->clone_vma(n, vma)) {
		vma_free(n);
		return NULL;
	}
	vma_link(mm, n);
	return n;
}

static uint64_t move_vma(struct vm_area *vma, uint64_t old_addr, uint64_t old_len,
			 uint64_t new_len, uint64_t new_addr, unsigned flags, bool *locked)
{
	struct vm_mm *mm = vma->mm;
	uint64_t vm_flags = vma->flags;
	uint64_t new_pgoff, to_account = new_len;
	struct vm_area *new_vma;
	bool acct_start = false, acct_end = false;
	int err;

	if (mm->map_count >= MAX_MAP_COUNT - 3)
		return VM_ERR(-12);
	if ((vm_flags & VM_ACCOUNT) && !vm_enough_memory(mm, to_account >> PAGE_SHIFT))
		return VM_ERR(-12);
	new_pgoff = vma->pgoff + ((old_addr - vma->start) >> PAGE_SHIFT);
	new_vma = copy_vma(&vma, new_addr, new_len, new_pgoff);
	if (!new_vma)
		return VM_ERR(-12);
	err = move_page_tables(vma, old_addr, new_vma, new_addr, old_len);
	if (err) {
		/* nothing moved (destination tables are allocated first) */
		do_munmap(mm, new_addr, new_len);
		return VM_ERR(err);
	}
	if ((vm_flags & VM_ACCOUNT) && !(flags & MREMAP_DONTUNMAP_)) {
		/* conceal VM_ACCOUNT so the old reservation is not undone; the
		 * pieces left around the hole get it back */
		vma->flags &= ~VM_ACCOUNT;
		acct_start = vma->start < old_addr;
		acct_end = vma->end > old_addr + old_len;
	}
	if (flags & MREMAP_DONTUNMAP_) {
		vma->flags &= ~(VM_LOCKED_MASK | VM_ACCOUNT);
		if (new_vma != vma && vma->start == old_addr && vma->end == old_addr + old_len)
			mm->machine->rmap->unlink_vma(vma);
		return new_addr;
	}
	err = do_munmap(mm, old_addr, old_len);
	if (acct_start) {
		struct vm_area *p = find_vma(mm, old_addr);

		p = p ? p->prev : vma_last(mm);
		if (p)
			p->flags |= VM_ACCOUNT;
	}
	if (acct_end) {
		struct vm_area *nx = find_vma(mm, old_addr);

		if (nx)
			nx->flags |= VM_ACCOUNT;
	}
	if (vm_flags & VM_LOCKED)
		*locked = true;
	return new_addr;
}

/* vma_to_resize */
static struct vm_area *vma_to_resize(struct vm_mm *mm, uint64_t addr, uint64_t old_len,
				     uint64_t new_len, int *err)
{
	struct vm_area *vma = vma_lookup(mm, addr);
	uint64_t pgoff;

	*err = -14;
	if (!vma)
		return NULL;
	if (old_len > vma->end - addr)
		return NULL;
	if (!old_len && !(vma->flags & (VM_SHARED | VM_MAYSHARE))) {
		*err = -22;
		return NULL;
	}
	if (new_len == old_len)
		return vma;
	pgoff = ((addr - vma->start) >> PAGE_SHIFT) + vma->pgoff;
	if (pgoff + (new_len >> PAGE_SHIFT) < pgoff) {
		*err = -22;
		return NULL;
	}
	if (vma->flags & VM_DONTEXPAND)
		return NULL;
	return vma;
}

static uint64_t mremap_to(struct vm_mm *mm, uint64_t addr, uint64_t old_len,
			  uint64_t new_addr, uint64_t new_len, unsigned flags, bool *locked)
{
	struct vm_area *vma;
	unsigned map_flags = MAP_PRIVATE_;
	uint64_t ret;
	int err;

	if (new_addr & ~PAGE_MASK)
		return VM_ERR(-22);
	if (new_len > TASK_SIZE || new_addr > TASK_SIZE - new_len)
		return VM_ERR(-22);
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return VM_ERR(-22);
	if (mm->map_count + 2 >= MAX_MAP_COUNT - 3)
		return VM_ERR(-12);
	if (flags & MREMAP_FIXED_) {
		err = do_munmap(mm, new_addr, new_len);
		if (err)
			return VM_ERR(err);
	}
	if (old_len > new_len) {
		err = do_munmap(mm, addr + new_len, old_len - new_len);
		if (err)
			return VM_ERR(err);
		old_len = new_len;
	}
	vma = vma_to_resize(mm, addr, old_len, new_len, &err);
	if (!vma)
		return VM_ERR(err);
	if (flags & MREMAP_FIXED_)
		map_flags |= MAP_FIXED_;
	if (vma->flags & VM_MAYSHARE)
		map_flags = (map_flags & ~MAP_PRIVATE_) | MAP_SHARED_;
	ret = get_unmapped_area(mm, vma->file, new_addr, new_len,
				vma->pgoff + ((addr - vma->start) >> PAGE_SHIFT), map_flags);
	if (IS_ERR_ADDR(ret))
		return ret;
	if (!(flags & MREMAP_FIXED_))
		new_addr = ret;
	return move_vma(vma, addr, old_len, new_len, new_addr, flags, locked);
}

static bool vma_expandable(struct vm_area *vma, uint64_t delta)
{
	uint64_t end = vma->end + delta;

	if (end < vma->end)
		return false;
	if (find_vma_intersection(vma->mm, vma->end, end))
		return false;
	if (IS_ERR_ADDR(get_unmapped_area(vma->mm, NULL, vma->start, end - vma->start,
					  0, MAP_FIXED_)))
		return false;
	return true;
}

uint64_t vm_mremap(struct vm_mm *mm, uint64_t addr, uint64_t old_len,
		   uint64_t new_len, unsigned flags, uint64_t new_addr)
{
	struct vm_area *vma;
	bool locked = false;
	uint64_t ret;
	int err;

	if (flags & ~(MREMAP_FIXED_ | MREMAP_MAYMOVE_ | MREMAP_DONTUNMAP_))
		return VM_ERR(-22);
	if ((flags & MREMAP_FIXED_) && !(flags & MREMAP_MAYMOVE_))
		return VM_ERR(-22);
	if ((flags & MREMAP_DONTUNMAP_) &&
	    (!(flags & MREMAP_MAYMOVE_) || old_len != new_len))
		return VM_ERR(-22);
	if (addr & ~PAGE_MASK)
		return VM_ERR(-22);
	old_len = PAGE_ALIGN(old_len);
	new_len = PAGE_ALIGN(new_len);
	if (!new_len)
		return VM_ERR(-22);
	vma = vma_lookup(mm, addr);
	if (!vma)
		return VM_ERR(-14);
	if (flags & (MREMAP_FIXED_ | MREMAP_DONTUNMAP_)) {
		ret = mremap_to(mm, addr, old_len, new_addr, new_len, flags, &locked);
		goto out;
	}
	if (old_len >= new_len) {
		if (old_len == new_len)
			return addr;
		err = do_munmap(mm, addr + new_len, old_len - new_len);
		return err ? VM_ERR(err) : addr;
	}
	vma = vma_to_resize(mm, addr, old_len, new_len, &err);
	if (!vma)
		return VM_ERR(err);
	if (old_len == vma->end - addr) {
		uint64_t delta = new_len - old_len;

		if (vma_expandable(vma, delta)) {
			struct vm_area *v;

			if ((vma->flags & VM_ACCOUNT) && !vm_enough_memory(mm, delta >> PAGE_SHIFT))
				return VM_ERR(-12);
			v = vma_merge_new(mm, vma->end, vma->end + delta, vma->flags, vma->file,
					  vma->pgoff + vma_pages(vma), vma->anon, NULL, false);
			if (!v)
				return VM_ERR(-12);
			if (v->flags & VM_LOCKED) {
				mm->locked_vm += delta >> PAGE_SHIFT;
				locked = true;
				new_addr = addr;
			}
			ret = addr;
			goto out;
		}
	}
	ret = VM_ERR(-12);
	if (flags & MREMAP_MAYMOVE_) {
		unsigned map_flags = (vma->flags & VM_MAYSHARE) ? MAP_SHARED_ : MAP_PRIVATE_;

		new_addr = get_unmapped_area(mm, vma->file, 0, new_len,
					     vma->pgoff + ((addr - vma->start) >> PAGE_SHIFT),
					     map_flags);
		if (IS_ERR_ADDR(new_addr))
			return new_addr;
		ret = move_vma(vma, addr, old_len, new_len, new_addr, flags, &locked);
	}
out:
	if (IS_ERR_ADDR(ret))
		return ret;
	if (locked && new_len > old_len)
		mm_populate(mm, ret + old_len, new_len - old_len, true);
	return ret;
}
