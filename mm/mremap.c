/*
 * mm/mremap.c - mremap(2): shrink, grow in place, or move, as Linux 6.18
 * does it (mm/mremap.c there, structured around a "remap request").
 *
 * Moving copies the VMA to the new place (merging with neighbours there when
 * it can, copy_vma), moves the page-table entries over (the pages keep their
 * frames and their anonymous index, so the rmap still finds them), then
 * unmaps the old range, unless MREMAP_DONTUNMAP leaves it mapped and empty.
 * A fixed move that does not resize may span several VMAs: each is moved in
 * turn, keeping the gaps between them (remap_move).
 */
#include "mm.h"
#include "../rmap/rmap.h"

enum remap_type { REMAP_NO_RESIZE, REMAP_SHRINK, REMAP_EXPAND };

/* One mremap request (Linux's struct vma_remap_struct) */
struct vrm {
	struct vm_mm *mm;
	struct vm_area *vma;       /* the source VMA */
	uint64_t addr;             /* source start */
	uint64_t old_len, new_len; /* page aligned */
	uint64_t new_addr;         /* target (chosen or given) */
	unsigned flags;            /* MREMAP_* */
	uint64_t delta;            /* |new_len - old_len| */
	enum remap_type type;
	bool populate_expand;      /* an mlocked VMA grew: fault the growth in */
};

static bool implies_new_addr(const struct vrm *r)
{
	return r->flags & (MREMAP_FIXED_ | MREMAP_DONTUNMAP_);
}

/* copy_vma: a VMA for [addr, addr+len) with vma's attributes */
static struct vm_area *copy_vma(struct vm_area **vmap, uint64_t addr, uint64_t len,
				uint64_t pgoff)
{
	struct vm_area *vma = *vmap, *n;
	struct vm_mm *mm = vma->mm;
	uint64_t vma_start = vma->start;
	int err;

	/* an anonymous VMA with no pages yet takes its new address as pgoff,
	 * to merge more easily */
	if (vma_is_anonymous(vma) && !vma->anon)
		pgoff = addr >> PAGE_SHIFT;
	n = vma_merge_new(mm, addr, addr + len, vma->flags, vma->file, vma->file_open, pgoff,
			  vma->anon, vma, false, &err);
	if (err)
		return NULL;
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
	vma_set_file(n, vma->file, vma->file_open);
	n->anon = vma->anon;
	if (anon_clone(n, vma)) {
		vma_free(n);
		return NULL;
	}
	vma_link(mm, n);
	rmap_vma_copy(n, vma);
	return n;
}

/* unmap_source_vma: the copy is done, remove the source range; pieces of
 * the source left on either side keep VM_ACCOUNT */
static void unmap_source(struct vrm *r)
{
	struct vm_area *vma = r->vma;
	uint64_t addr = r->addr, end = r->addr + r->old_len;
	bool acct = (vma->flags & VM_ACCOUNT) && !(r->flags & MREMAP_DONTUNMAP_);
	uint64_t vs = vma->start, ve = vma->end;
	struct vm_area *p;

	if (acct)
		vma->flags &= ~VM_ACCOUNT;
	r->vma = NULL;
	if (do_munmap(r->mm, addr, r->old_len))
		return;
	if (!acct)
		return;
	p = find_vma(r->mm, addr);
	if (vs < addr) {
		struct vm_area *prev = p ? p->prev : vma_last(r->mm);

		if (prev)
			prev->flags |= VM_ACCOUNT;
	}
	if (ve > end && p)
		p->flags |= VM_ACCOUNT;
}

/* the pages left in an mlocked VMA that dontunmap unlocks stay mlocked */
static int mlock_stays(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	uint64_t pfn = pte_pfn(*pte);

	if (pfn != mm->machine->zero_pfn)
		pfn_frame(mm->machine, pfn)->flags |= PG_MLOCKED;
	return 0;
}

static uint64_t move_vma(struct vrm *r)
{
	struct vm_mm *mm = r->mm;
	struct vm_area *vma = r->vma, *new_vma;
	uint64_t charged, new_pgoff;
	int err;

	if (mm->map_count + 2 > MAX_MAP_COUNT)
		return VM_ERR(-12);
	/* dontunmap unlocks what stays of the old VMA: the scheme prepares */
	if ((r->flags & MREMAP_DONTUNMAP_) && (vma->flags & VM_LOCKED) &&
	    rmap_lock_prepare(vma, vma->start, vma->end))
		return VM_ERR(-12);
	if (vma->flags & VM_ACCOUNT) {
		charged = (r->flags & MREMAP_DONTUNMAP_) ? r->new_len : r->delta;
		if (!vm_enough_memory(mm, charged >> PAGE_SHIFT))
			return VM_ERR(-12);
	}
	new_pgoff = vma->pgoff + ((r->addr - vma->start) >> PAGE_SHIFT);
	new_vma = copy_vma(&vma, r->new_addr, r->new_len, new_pgoff);
	if (!new_vma)
		return VM_ERR(-12);
	r->vma = vma;
	/* vrm_stat_account: the new range counts now; unmapping the source
	 * (or the new range, on failure) takes its share back */
	if (vma->flags & VM_LOCKED)
		mm->locked_vm += r->new_len >> PAGE_SHIFT;
	err = move_page_tables(vma, r->addr, new_vma, r->new_addr, r->old_len);
	if (err) {
		/* nothing moved (destination tables are allocated first):
		 * remove the new VMA instead of the old */
		r->vma = new_vma;
		r->addr = r->new_addr;
		r->old_len = r->new_len;
		unmap_source(r);
		return VM_ERR(err);
	}
	if (r->flags & MREMAP_DONTUNMAP_) {
		/* dontunmap_complete: VM_LOCKED goes from the whole old VMA,
		 * but its pages are not munlocked */
		uint64_t start = r->addr, end = r->addr + r->old_len;
		bool was_locked = vma->flags & VM_LOCKED;

		if (was_locked)
			walk_ptes(mm, vma->start, vma->end, mlock_stays, NULL);
		vma->flags &= ~VM_LOCKED_MASK;
		if (was_locked)          /* the scheme sees the VMA unlocked */
			rmap_vma_locked(vma, vma->start, vma->end, false);
		check_note_range(vma->mm, vma->start, vma->end);
		if (new_vma != vma && start == vma->start && end == vma->end)
			anon_unlink(vma);
	} else {
		unmap_source(r);
	}
	return r->new_addr;
}

/* vrm_set_new_addr: where the VMA goes (fixed, hinted, or anywhere) */
static uint64_t set_new_addr(struct vrm *r)
{
	struct vm_area *vma = r->vma;
	unsigned map_flags = MAP_PRIVATE_;
	uint64_t pgoff = vma->pgoff + ((r->addr - vma->start) >> PAGE_SHIFT);
	uint64_t res;

	if (r->flags & MREMAP_FIXED_)
		map_flags |= MAP_FIXED_;
	if (vma->flags & VM_MAYSHARE)
		map_flags = (map_flags & ~MAP_PRIVATE_) | MAP_SHARED_;
	res = get_unmapped_area(r->mm, vma->file, implies_new_addr(r) ? r->new_addr : 0,
				r->new_len, pgoff, map_flags);
	if (IS_ERR_ADDR(res))
		return res;
	r->new_addr = res;
	return 0;
}

static uint64_t shrink(struct vrm *r, bool reload)
{
	int err = do_munmap(r->mm, r->addr + r->new_len, r->delta);

	r->vma = NULL;
	if (err)
		return VM_ERR(err);
	if (reload) {
		r->vma = vma_lookup(r->mm, r->addr);
		if (!r->vma)
			return VM_ERR(-14);
	}
	return 0;
}

static uint64_t mremap_to(struct vrm *r)
{
	uint64_t err;

	if (r->flags & MREMAP_FIXED_) {
		int e = do_munmap(r->mm, r->new_addr, r->new_len);

		if (e)
			return VM_ERR(e);
		r->vma = vma_lookup(r->mm, r->addr);
		if (!r->vma)
			return VM_ERR(-14);
	}
	if (r->type == REMAP_SHRINK) {
		err = shrink(r, true);
		if (err)
			return err;
		r->old_len = r->new_len;
	}
	err = set_new_addr(r);
	if (err)
		return err;
	return move_vma(r);
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

static uint64_t expand(struct vrm *r)
{
	struct vm_area *vma = r->vma;
	uint64_t err;

	if (vma->end - r->addr == r->old_len && vma_expandable(vma, r->delta)) {
		struct vm_area *v;
		int e;

		if ((vma->flags & VM_ACCOUNT) && !vm_enough_memory(r->mm, r->delta >> PAGE_SHIFT))
			return VM_ERR(-12);
		/* vma_merge_extend: the growth merges into vma (and maybe next) */
		v = vma_merge_new(r->mm, vma->end, vma->end + r->delta, vma->flags, vma->file,
				  vma->file_open, vma->pgoff + vma_pages(vma), vma->anon, NULL, false, &e);
		if (!v)
			return VM_ERR(-12);
		if (v->flags & VM_LOCKED)
			r->mm->locked_vm += r->delta >> PAGE_SHIFT;
		return r->addr;
	}
	if (!(r->flags & MREMAP_MAYMOVE_))
		return VM_ERR(-12);
	err = set_new_addr(r);
	if (err)
		return err;
	return move_vma(r);
}

/* check_prep_vma */
static uint64_t check_prep(struct vrm *r)
{
	struct vm_area *vma = r->vma;
	uint64_t old_len, new_len, pgoff;

	if (!vma)
		return VM_ERR(-14);
	r->delta = r->old_len > r->new_len ? r->old_len - r->new_len : r->new_len - r->old_len;
	r->type = !r->delta ? REMAP_NO_RESIZE :
		  r->old_len > r->new_len ? REMAP_SHRINK : REMAP_EXPAND;
	if (!implies_new_addr(r))
		r->new_addr = r->addr;
	if (r->type != REMAP_EXPAND && !implies_new_addr(r))
		return 0;
	old_len = r->old_len;
	new_len = r->new_len;
	if (!old_len && !(vma->flags & (VM_SHARED | VM_MAYSHARE)))
		return VM_ERR(-22);
	if ((r->flags & MREMAP_DONTUNMAP_) && (vma->flags & VM_DONTEXPAND))
		return VM_ERR(-22);
	if (r->type == REMAP_SHRINK)
		old_len = new_len;
	if (old_len > vma->end - r->addr)
		return VM_ERR(-14);
	if (new_len == old_len)
		return 0;
	if (vma->flags & VM_LOCKED)
		r->populate_expand = true;
	pgoff = ((r->addr - vma->start) >> PAGE_SHIFT) + vma->pgoff;
	if (pgoff + (new_len >> PAGE_SHIFT) < pgoff)
		return VM_ERR(-22);
	if (vma->flags & VM_DONTEXPAND)
		return VM_ERR(-14);
	return 0;
}

static uint64_t mremap_at(struct vrm *r)
{
	uint64_t err;

	switch (r->type) {
	case REMAP_NO_RESIZE:
		return r->addr;
	case REMAP_SHRINK:
		err = shrink(r, false);
		return err ? err : r->addr;
	case REMAP_EXPAND:
		return expand(r);
	}
	return VM_ERR(-22);
}

/* remap_move: a fixed move without resize, possibly of several VMAs */
static uint64_t remap_move(struct vrm *r)
{
	uint64_t start = r->addr, end = r->addr + r->old_len;
	uint64_t target = r->new_addr, res = VM_ERR(-14), last_end = 0;
	bool seen = false;
	struct vm_area *vma;

	while ((vma = find_vma_intersection(r->mm, seen ? last_end : start, end))) {
		uint64_t addr = vma->start > start ? vma->start : start;
		uint64_t len = (end < vma->end ? end : vma->end) - addr;
		uint64_t offset, rv;

		if (!seen && start < vma->start)
			return VM_ERR(-14);
		offset = seen ? vma->start - last_end : 0;
		last_end = vma->end;
		r->vma = vma;
		r->addr = addr;
		r->new_addr = target + offset;
		r->old_len = r->new_len = len;
		r->populate_expand = false;
		rv = check_prep(r);
		if (!rv)
			rv = mremap_to(r);
		if (IS_ERR_ADDR(rv))
			return rv;
		if (!seen)
			res = rv;
		seen = true;
		target = rv + r->new_len;
		if (last_end >= end)
			break;
	}
	return res;
}

uint64_t vm_mremap(struct vm_mm *mm, uint64_t addr, uint64_t old_len,
		   uint64_t new_len, unsigned flags, uint64_t new_addr)
{
	struct vrm r = { .mm = mm, .addr = addr, .flags = flags, .new_addr = new_addr };
	uint64_t res;

	r.old_len = PAGE_ALIGN(old_len);
	r.new_len = PAGE_ALIGN(new_len);
	if (r.old_len < old_len)
		r.old_len = 0;       /* wrapped: Linux's PAGE_ALIGN wraps to 0 too */
	if (r.new_len < new_len)
		r.new_len = 0;
	/* check_mremap_params */
	if (flags & ~(MREMAP_FIXED_ | MREMAP_MAYMOVE_ | MREMAP_DONTUNMAP_))
		return VM_ERR(-22);
	if (addr & ~PAGE_MASK)
		return VM_ERR(-22);
	if (!r.new_len || r.new_len > TASK_SIZE)
		return VM_ERR(-22);
	if (implies_new_addr(&r)) {
		if (new_addr > TASK_SIZE - r.new_len || (new_addr & ~PAGE_MASK))
			return VM_ERR(-22);
		if (!(flags & MREMAP_MAYMOVE_))
			return VM_ERR(-22);
		if ((flags & MREMAP_DONTUNMAP_) && r.old_len != r.new_len)
			return VM_ERR(-22);
		if (addr + r.old_len > new_addr && new_addr + r.new_len > addr)
			return VM_ERR(-22);
	}
	if (mm->map_count + 4 > MAX_MAP_COUNT)
		return VM_ERR(-12);
	if ((flags & MREMAP_FIXED_) && r.old_len == r.new_len) {
		res = remap_move(&r);
	} else {
		r.vma = vma_lookup(mm, addr);
		res = check_prep(&r);
		if (!res)
			res = implies_new_addr(&r) ? mremap_to(&r) : mremap_at(&r);
	}
	if (!IS_ERR_ADDR(res) && r.populate_expand)
		mm_populate(mm, r.new_addr + r.old_len, r.delta, true);
	return res;
}
