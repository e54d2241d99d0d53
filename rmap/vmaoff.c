/*
 * rmap/vmaoff.c - the `vmaoff` scheme: Keith's reverse entry (seed 003,
 * linux-mm 1998: "I encoded the reverse entry as a struct vm_area_struct
 * *vma and an unsigned long vma_offset (defined to be virtual address -
 * vma->vm_start), both tacked onto struct page ... without shared page
 * support (i.e. if it's shared, the reverse mapping should be
 * invalidated)").  His plan: "first something that always works right but
 * is only sometimes helpful, then to try to get some use out of it".
 *
 * How it finds a page's mappings.  An anonymous frame mapped by exactly one
 * PTE records (vma, vaddr - vma->start) in its rmap word, so the walk goes
 * straight to that PTE:
 *
 *    page --rmap word--> (vma, off) --> vma->mm, vma->start + off --> PTE
 *
 * A page that is shared (fork: page_dup; a swap-cache page mapped a second
 * time) has no entry, nor has one whose entry could not be set or was lost
 * (below); its walk falls back to the scan of every address space, rmap/
 * scan.c's walk called as it is, and counts in stats.rmap_fallbacks.  When a
 * fallback walk of a page mapped once finds its PTE, the entry is set again
 * (the "use out of it": a page COW-shared by a child that has exited or
 * copied it gets its entry back at its first walk).
 *
 * The entry never points at a freed VMA.  It is kept exact: an entry exists
 * only while the PTE at vma->start + off maps the frame, the only PTE that
 * does (mapcount 1).  Every change of that PTE reaches the scheme (the
 * per-PTE hooks), and so does every change of a VMA's range (split, merge,
 * mprotect/mlock boundary moves, mremap growth: pre_update/post_update,
 * vma_split, vma_merge; mremap's moves: move_done), while the PTEs stay
 * where they are; the scheme then walks the page tables of the range that
 * changed hands and re-points the entries found there at the VMA that now
 * covers them.  So a VMA has no entries left when it goes (its PTEs were
 * zapped, moved or taken over first), with no per-VMA list of frames and no
 * generation number: the page tables are the list.  check_vma holds this:
 * every entry seen from a VMA's PTEs names that VMA and that PTE and a page
 * mapped once.
 *
 * The word (64 bits, frame->rmap, the frame descriptor's own) packs both of
 * Keith's fields:
 *
 *    bits 63..31  the VMA's slot in the VMA slab cache, plus one
 *                 (frame number * objects per slab + object), 0: no entry
 *    bits 30..0   off >> 12: the page's offset in the VMA, in pages
 *
 * which reaches 2^33 - 1 VMA slots (8.6 billion: a machine of 1.4 TiB at
 * 23 VMAs of 176 bytes per slab) and VMAs of 2^31 pages (8 TiB); a page
 * further into a VMA than that, or whose VMA lies further in memory, gets
 * no entry and is found by the fallback.
 *
 * Cost: per page, nothing beyond the frame's own 8-byte word (Keith's two
 * fields added 4 + 4 bytes to an i386 struct page); per VMA, per mm, per
 * fork, nothing: rmap_bytes stays 0.  The machine-wide scratch of
 * pre_update (the old range, 24 bytes of host memory) does not grow.
 *
 * Accepting Linux's layout costs page-table walks, never memory, and never
 * fails: a split walks the present PTEs of the half that became the new VMA
 * (and the whole old VMA again when its start moved: off is relative to
 * vm_start, Keith's definition, so an entry cannot follow a start that
 * moves without being rewritten); a merge walks the victim's range twice
 * (its entries cleared before it is freed, then taken over by the target);
 * a boundary that moves between neighbours walks the part that changed
 * hands, or the whole VMA whose start moved; mremap walks the moved range.
 * Fork costs a store per shared page (the entry is dropped), exit and
 * munmap a load and a store per page.
 *
 * Worst workload: anything shared.  A page mapped by two PTEs has no entry
 * and its walk is scan's, every PTE of every private VMA of the machine: a
 * prefork server's heap, every page of a fork chain that has not been
 * COWed, a page kept by a parent whose children are alive.  Second worst:
 * splitting a big populated VMA below (mlock or mprotect of its head) walks
 * every present PTE of it.
 *
 * Measured (bench rmap --quick, seed 1: the walk of every mapped frame at
 * the end of each case; fallback = walks that searched / walks, file
 * pages' walks included; "mapped once" = fallbacks of a page mapped by
 * one PTE whose entry was lost when its sharing ended, every other
 * fallback was of a shared page):
 *
 *   case      fallback  fallbacks  of them mapped once   B/page
 *   chain       0.6683        280                   24     0.00
 *   prefork     0.4640       1062                    0     0.00
 *   filemap     0.0000          0                    0     0.00
 *   mremap      0.2774        304                    1     0.00
 *   mlock       0.6206        265                   33     0.00
 *
 * and at the full sizes (bench rmap, 2026-12-02): chain 0.5933, prefork
 * 0.4563, filemap 0.0000, mremap 0.3509, mlock 0.5349.
 *
 * So Keith's "always works right but is only sometimes helpful" holds as
 * he said it: the entry serves a third to a half of the walks in chain
 * and mlock, half to three quarters in prefork and mremap, and all of the
 * anonymous ones in filemap (every anonymous page there is a private
 * copy); where it does not, a walk costs what scan's does (prefork at
 * full size: 1.2 ms a walk on average against scan's 2.9 ms and avc's
 * 3.3 us).  It keeps no metadata at all, against avc's 0.1 to 2,619 bytes
 * per present PTE.  The lost entries are few: the fallback that finds a
 * page mapped once gives it its entry back.
 *
 * File pages are found through the file's i_mmap tree, as in every scheme.
 *
 * Locking (when threads come): the word is written under the frame lock
 * and the page-table lock of its PTE (the per-PTE hooks run under both; a
 * range walk takes each frame's lock in turn), read by the walk under the
 * frame lock the walk's callers hold.
 */
#include <stdlib.h>
#include "scheme.h"

#define OFF_BITS     31
#define OFF_MASK     ((1ULL << OFF_BITS) - 1)
#define SLOT_LIMIT   (1ULL << (64 - OFF_BITS))   /* slot + 1 must be below it */

/* the machine-wide scratch: the range a VMA had before pre_update */
struct vmaoff_priv {
	struct vm_area *vma;       /* the VMA being updated, or NULL */
	uint64_t start, end;       /* its range before the update */
};

/* ---------------- the entry ---------------- */

static uint64_t entry_make(struct vm_machine *m, const struct vm_area *vma, uint64_t addr)
{
	uint64_t o = (uint64_t)((const uint8_t *)vma - m->mem);
	uint64_t slot = (o >> PAGE_SHIFT) * m->slab_vma.per_frame +
			(o & (PAGE_SIZE - 1)) / m->slab_vma.size;
	uint64_t off = (addr - vma->start) >> PAGE_SHIFT;

	if (slot + 1 >= SLOT_LIMIT || off > OFF_MASK)
		return 0;                   /* cannot be encoded: no entry */
	return ((slot + 1) << OFF_BITS) | off;
}

static struct vm_area *entry_vma(struct vm_machine *m, uint64_t e)
{
	uint64_t slot = (e >> OFF_BITS) - 1;
	uint64_t pfn = slot / m->slab_vma.per_frame;

	return (struct vm_area *)(m->mem + (pfn << PAGE_SHIFT) +
				  (slot % m->slab_vma.per_frame) * m->slab_vma.size);
}

static uint64_t entry_addr(const struct vm_area *vma, uint64_t e)
{
	return vma->start + ((e & OFF_MASK) << PAGE_SHIFT);
}

/* f is mapped once, at addr of vma: record it */
static void entry_set(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	f->rmap = entry_make(vma->mm->machine, vma, addr);
}

/* ---------------- the per-PTE hooks ---------------- */

static void vmaoff_add_new_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	entry_set(f, vma, addr);           /* mapcount 1: a new page */
}

/* a swap-cache page gains a PTE: its only one, or it is shared now */
static void vmaoff_add_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	if (f->mapcount == 1)
		entry_set(f, vma, addr);
	else
		f->rmap = 0;
}

/* the PTE at addr went: if the page had an entry, it was this PTE's */
static void vmaoff_remove(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	(void)vma;
	(void)addr;
	if (f->flags & PG_ANON)
		f->rmap = 0;
}

/* fork: the page is shared from now on, Keith's "invalidated" */
static int vmaoff_dup(struct vm_frame *f, struct vm_area *dst, struct vm_area *src,
		      uint64_t addr)
{
	(void)dst;
	(void)src;
	(void)addr;
	f->rmap = 0;
	return 0;
}

/* write-fault reuse: vma's PTE is the page's only one */
static void vmaoff_move_anon(struct vm_frame *f, struct vm_area *vma)
{
	entry_set(f, vma, vma->start + ((f->index - vma->pgoff) << PAGE_SHIFT));
}

/* migration: the new frame is mapped where the old one was */
static void vmaoff_repoint(struct vm_frame *old, struct vm_frame *nf)
{
	nf->rmap = old->rmap;
	old->rmap = 0;
}

/* ---------------- ranges that change hands ---------------- */

struct adopt {
	struct vm_machine *m;
	struct vm_area *vma;       /* the VMA that covers the range now, or NULL: clear */
};

static int adopt_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct adopt *a = arg;
	struct vm_frame *f = pte_page(a->m, *pte);

	(void)mm;
	if (!f || !(f->flags & PG_ANON))
		return 0;
	if (!a->vma)
		f->rmap = 0;
	else if (f->mapcount == 1)
		entry_set(f, a->vma, addr);
	return 0;
}

/* every page mapped once in [start, end) gets its entry in vma (NULL: every
 * page there loses its entry) */
static void adopt_range(struct vm_area *vma, struct vm_mm *mm, uint64_t start, uint64_t end)
{
	struct adopt a = { mm->machine, vma };

	if (start < end)
		walk_ptes(mm, start, end, adopt_pte, &a);
}

static void vmaoff_pre_update(struct vm_area *vma)
{
	struct vmaoff_priv *p = vma->mm->machine->rmap_priv;

	p->vma = vma;
	p->start = vma->start;
	p->end = vma->end;
}

/*
 * vma's range changed, its PTEs did not move.  Its start is the same: the
 * entries it had still hold, and a part it grew by takes its pages over
 * from the VMA that had them.  Its start moved: every offset is rewritten.
 */
static void vmaoff_post_update(struct vm_area *vma)
{
	struct vmaoff_priv *p = vma->mm->machine->rmap_priv;

	VM_BUG_ON(p->vma != vma);
	if (p->start == vma->start)
		adopt_range(vma, vma->mm, p->end, vma->end);
	else
		adopt_range(vma, vma->mm, vma->start, vma->end);
	p->vma = NULL;
}

/* nv is the other half: its pages still name vma */
static void vmaoff_split(struct vm_area *vma, struct vm_area *nv)
{
	(void)vma;
	adopt_range(nv, nv->mm, nv->start, nv->end);
}

/* victim goes: its entries go now; the target's range update that follows
 * takes its pages over */
static void vmaoff_merge(struct vm_area *target, struct vm_area *victim)
{
	(void)target;
	adopt_range(NULL, victim->mm, victim->start, victim->end);
}

/* mremap moved the PTEs of [old_addr, +len) to new_addr in new_vma */
static void vmaoff_move_done(struct vm_area *old_vma, uint64_t old_addr,
			     struct vm_area *new_vma, uint64_t new_addr, uint64_t len)
{
	(void)old_vma;
	(void)old_addr;
	adopt_range(new_vma, new_vma->mm, new_addr, new_addr + len);
}

/* ---------------- the walk ---------------- */

/* the fallback: scan's walk, remembering the last PTE it found */
struct fallback {
	rmap_visit_fn fn;
	void *arg;
	struct vm_area *vma;       /* the last mapping found */
	uint64_t addr;
	unsigned found;
};

static int fallback_visit(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct fallback *fb = arg;

	fb->vma = vma;
	fb->addr = addr;
	fb->found++;
	return fb->fn(vma, addr, pte, fb->arg);
}

static int vmaoff_walk_anon(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn,
			    void *arg)
{
	struct fallback fb = { fn, arg, NULL, 0, 0 };
	bool once = f->mapcount == 1;
	int ret;

	if (f->rmap) {
		struct vm_area *vma = entry_vma(m, f->rmap);
		uint64_t addr = entry_addr(vma, f->rmap);
		pte_t *pte;

		m->stats.rmap_vmas_visited++;
		pte = pte_lookup(vma->mm, addr);
		if (pte) {
			m->stats.rmap_ptes_visited++;
			if (pte_present(*pte) && pte_pfn(*pte) == frame_pfn(m, f)) {
				m->stats.rmap_ptes_found++;
				return fn(vma, addr, pte, arg);
			}
		}
		/* a stale entry: the checker says so; the walk still works */
	}
	m->stats.rmap_fallbacks++;
	ret = rmap_scan_ops.walk_anon(m, f, fallback_visit, &fb);
	/* mapped once, found, still there: the entry is back */
	if (once && fb.found == 1 && f->mapcount == 1 && !f->rmap) {
		pte_t *pte = pte_lookup(fb.vma->mm, fb.addr);

		if (pte && pte_present(*pte) && pte_pfn(*pte) == frame_pfn(m, f))
			entry_set(f, fb.vma, fb.addr);
	}
	return ret;
}

/* ---------------- the checker ---------------- */

struct vcheck {
	struct vm_machine *m;
	const struct vm_area *vma;
	char *why;
	size_t len;
};

static int check_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vcheck *c = arg;
	struct vm_frame *f = pte_page(c->m, *pte);

	(void)mm;
	if (!f || !(f->flags & PG_ANON) || !f->rmap)
		return 0;
	if (entry_vma(c->m, f->rmap) != c->vma) {
		snprintf(c->why, c->len, "rmap: vmaoff entry of pfn %llu at pid %d %#llx "
			 "names another VMA", (unsigned long long)frame_pfn(c->m, f),
			 mm->id, (unsigned long long)addr);
		return 1;
	}
	if (entry_addr(c->vma, f->rmap) != addr) {
		snprintf(c->why, c->len, "rmap: vmaoff entry of pfn %llu at pid %d %#llx "
			 "says %#llx", (unsigned long long)frame_pfn(c->m, f), mm->id,
			 (unsigned long long)addr,
			 (unsigned long long)entry_addr(c->vma, f->rmap));
		return 1;
	}
	if (f->mapcount != 1) {
		snprintf(c->why, c->len, "rmap: vmaoff entry of pfn %llu at pid %d %#llx "
			 "on a page mapped %d times", (unsigned long long)frame_pfn(c->m, f),
			 mm->id, (unsigned long long)addr, f->mapcount);
		return 1;
	}
	return 0;
}

/*
 * Every entry seen from vma's PTEs names vma and the PTE it is seen from,
 * and its page is mapped once.  With every VMA checked, every entry of a
 * mapped page is (its one PTE is in some VMA), so no entry names a VMA that
 * is gone or a PTE that does not map its page.
 */
static bool vmaoff_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	struct vcheck c = { vma->mm->machine, vma, why, len };

	return !walk_ptes(vma->mm, vma->start, vma->end, check_pte, &c);
}

static int vmaoff_init(struct vm_machine *m)
{
	m->rmap_priv = calloc(1, sizeof(struct vmaoff_priv));
	return m->rmap_priv ? 0 : -ENOMEM;
}

static void vmaoff_fini(struct vm_machine *m)
{
	free(m->rmap_priv);
	m->rmap_priv = NULL;
}

const struct rmap_ops rmap_vmaoff_ops = {
	.name = "vmaoff",
	.init = vmaoff_init,
	.fini = vmaoff_fini,
	.vma_split = vmaoff_split,
	.vma_merge = vmaoff_merge,
	.page_add_new_anon = vmaoff_add_new_anon,
	.page_add_anon = vmaoff_add_anon,
	.page_remove = vmaoff_remove,
	.page_dup = vmaoff_dup,
	.page_move_anon = vmaoff_move_anon,
	.page_repoint = vmaoff_repoint,
	.move_done = vmaoff_move_done,
	.pre_update = vmaoff_pre_update,
	.post_update = vmaoff_post_update,
	.check_vma = vmaoff_check_vma,
	.walk_anon = vmaoff_walk_anon,
};
