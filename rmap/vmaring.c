/*
 * rmap/vmaring.c - the `vmaring` scheme: Benjamin LaHaise's option (a) of
 * 2 March 1998 ("reverse pte lookups and anonymous private mappings",
 * linux-mm; seed 000_5261d4444e059c51): a (vma, offset) pointer in every
 * page and a circular list of the private VMAs that may share pages.
 *
 *   page --> vma -> vm_next_private -> ... (circular list)
 *             |            |
 *           vm_mm        vm_mm            address = page offset - vma offset
 *             |            |                        + vm_start
 *            pte          pte
 *
 * How it finds a page's mappings.  An anonymous frame names one VMA that
 * maps it (frame->rmap, the frame's word for the scheme); the offset is
 * the frame's linear page index (frame->index, which mm/ sets for every
 * anonymous page as Linux sets page->index), and the VMA's offset is its
 * pgoff, so the address in any VMA is LaHaise's formula:
 * vma->start + ((index - vma->pgoff) << 12).  The walk starts at that VMA
 * and goes once round its ring; a member whose range does not cover the
 * index is counted as visited and not probed; the others are probed
 * (rmap_one).
 *
 * The rings: a VMA joins its parent's ring at fork (when it may hold the
 * parent's pages: an anonymous identity, not wipe-on-fork), its original's
 * at a split and at an mremap copy; two rings become one (an O(1) splice
 * of two circular lists, after a walk of one to see that they are not one
 * already) when a merge, an mremap into a neighbour or a shifted boundary
 * hands PTEs of one ring's VMA to another's.  Rings never part: a VMA
 * leaves its ring when it goes.  They are kept apart from mm/anon.c's
 * identity (which is Linux's layout, not this design): no anon_id or link
 * carries anything of this scheme, and it reads the identity only to
 * know whether a fork child or a grown neighbour may hold shared pages.
 *
 * Invariant (the checker's): an anonymous frame with mapcount > 0 names a
 * live VMA whose PTE for the frame's index maps it, and that VMA's ring
 * holds every VMA that maps it (or holds a swap entry for its slot); an
 * unmapped one (the swap cache) names none (0).
 *
 * Keeping the pointer true costs what LaHaise's mail does not mention.
 * When the named VMA stops mapping the page and others still do (a COW
 * after fork, an unmap, an exit, a swap-out), the ring is searched for
 * another VMA that maps it; when its PTEs change VMA without an unmap (a
 * split: the new half's range; a merge: the removed VMA's range; an
 * mremap: the moved range; a boundary shifted by mprotect's merges: the
 * part that changed hands), the page tables of that range are walked and
 * each frame naming the old VMA is repointed.  So no frame ever names a
 * VMA that is gone, and there is no fallback.  The frames repointed, the
 * VMAs and the PTEs looked at for it are counted (stats.rmap_repointed,
 * rmap_repoint_vmas, rmap_repoint_ptes; --stats prints them).
 *
 * Cost, exactly.  Per page: 8 bytes, the VMA pointer in frame->rmap (the
 * word is in revmap's 48-byte frame descriptor for every scheme, so it
 * adds nothing here; added to a page map without it, it would cost 8 bytes
 * per frame of the machine, mapped or not).  LaHaise's "8 bytes onto the
 * page map (16 on the 64 bit machines)" counted a pointer and an offset;
 * the offset is the page index the frame keeps anyway, so it is 8 here.
 * Per VMA: 16 bytes (vm_next_private and its back pointer: a ring link),
 * every VMA, shared ones included (alone in their ring).  Per address
 * space: 16 bytes, the old range of a VMA whose range is being changed
 * (pre_update to post_update), an artefact of revmap's hooks, not of the
 * design.  rmap_bytes counts the VMA and mm tails and 8 bytes per frame
 * whose word names a VMA; the scheme has no objects of its own.
 *
 * Accepting Linux's layout costs page-table walks: a split walks the new
 * half, a merge the removed VMA's range, an mremap the moved range, a
 * shifted boundary the part that moved; and a ring walk to tell whether
 * two rings are one before splicing.
 *
 * Worst workload, measured (bench rmap, exact counts): a fork chain with
 * splits and moves at every level (the chain case, 200 processes).  Every
 * piece of the original VMA in every process is on one ring (18038 VMAs),
 * and a ring knows no descent: a walk visits 4882 VMAs where avc's trees
 * give 86, and probes the PTE of every ancestor and cousin that covers the
 * index (precision 0.24, avc 0.35); and a COW by the process whose VMA a
 * shared page names searches the ring for another mapper: 471 pages
 * repointed in the trace, 835578 VMAs looked at for them (over 1700 a
 * page), which is most of a fault's time.  In exchange it holds 306 KB
 * where avc's chains hold 147 MB.  An mremap in every process of a family
 * makes the ring about the whole machine (mremap case: 470 VMAs a walk,
 * more than scan's 463, which skips VMAs without anonymous pages; avc
 * 132), though it probes one PTE per VMA where scan probes them all.  A
 * prefork server is mild (123 VMAs a walk, avc 109; 4216 searches looked
 * at 4227 VMAs: the VMA after the parent's, its newest child's, maps the
 * page).
 * Private file mappings with many COW pages and few VMAs cost more than
 * avc: the 8-byte word per page (filemap case: 1.49 B/page, avc 0.13).
 *
 * File pages are found through the file's i_mmap tree, as in every scheme.
 *
 * Locking (when threads come): a VMA's ring links change under its mm's
 * mmap_lock and a ring lock (one per ring, taken in the place of the anon
 * root lock); frame->rmap under the frame lock with the ring lock.
 */
#include <stdlib.h>
#include "scheme.h"

/* the VMA's tail: its place in the ring (vm_next_private) */
struct ring {
	struct vm_area *next;        /* next VMA of the ring (itself when alone) */
	struct vm_area *prev;        /* previous one [mmap_lock + ring lock] */
};

/* the address space's tail: the range of the VMA being updated */
struct ring_mm {
	uint64_t old_start;          /* its start before the update */
	uint64_t old_end;            /* its end before the update */
};

static struct ring *ring(const struct vm_area *v)
{
	return vma_tail((struct vm_area *)v);
}

static struct vm_area *frame_vma(const struct vm_frame *f)
{
	return (struct vm_area *)(uintptr_t)f->rmap;
}

/*
 * f names v from now on (NULL: none).  The word counts as the scheme's
 * metadata while it names a VMA (8 bytes).
 */
static void frame_set_vma(struct vm_machine *m, struct vm_frame *f, struct vm_area *v)
{
	if (!f->rmap && v) {
		m->stats.rmap_bytes += sizeof(f->rmap);
		rmap_note_peak(m);
	} else if (f->rmap && !v) {
		m->stats.rmap_bytes -= sizeof(f->rmap);
	}
	f->rmap = (uint64_t)(uintptr_t)v;
}

static bool covers(const struct vm_area *v, uint64_t index)
{
	return index >= v->pgoff && index - v->pgoff < vma_pages(v);
}

/* ---------------- the rings ---------------- */

/* v (alone) joins the ring of to, after it */
static void ring_join(struct vm_area *v, struct vm_area *to)
{
	struct vm_area *n = ring(to)->next;

	ring(v)->next = n;
	ring(v)->prev = to;
	ring(n)->prev = v;
	ring(to)->next = v;
}

static void ring_leave(struct vm_area *v)
{
	struct ring *r = ring(v);

	ring(r->prev)->next = r->next;
	ring(r->next)->prev = r->prev;
	r->next = r->prev = v;
}

/* a and b may now share pages: one ring.  => the VMAs looked at (a's
 * ring is walked to see that b is not on it already) are counted */
static void ring_unite(struct vm_machine *m, struct vm_area *a, struct vm_area *b)
{
	struct vm_area *v = a, *an, *bp;

	if (a == b)
		return;
	do {
		m->stats.rmap_repoint_vmas++;
		v = ring(v)->next;
		if (v == b)
			return;
	} while (v != a);
	/* splice: a -> b ... bp -> an ... -> a */
	an = ring(a)->next;
	bp = ring(b)->prev;
	ring(a)->next = b;
	ring(b)->prev = a;
	ring(bp)->next = an;
	ring(an)->prev = bp;
}

/* ---------------- repointing ---------------- */

struct repoint {
	struct vm_machine *m;
	struct vm_area *from, *to;   /* frames naming from now name to */
};

static int repoint_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct repoint *r = arg;
	struct vm_frame *f = pfn_frame(r->m, pte_pfn(*pte));

	r->m->stats.rmap_repoint_ptes++;
	if (f && (f->flags & PG_ANON) && frame_vma(f) == r->from) {
		frame_set_vma(r->m, f, r->to);
		r->m->stats.rmap_repointed++;
	}
	return 0;
}

/* the PTEs of [start, end) of mm passed from VMA from to VMA to */
static void repoint_range(struct vm_mm *mm, uint64_t start, uint64_t end,
			  struct vm_area *from, struct vm_area *to)
{
	struct repoint r = { mm->machine, from, to };

	if (start < end && from != to)
		walk_ptes(mm, start, end, repoint_pte, &r);
}

/*
 * f is mapped no more by vma, which it names, but still by mapcount other
 * PTEs: name one of them.  The ring is searched from vma's successor.
 */
static void repoint_search(struct vm_machine *m, struct vm_frame *f, struct vm_area *vma)
{
	uint64_t pfn = frame_pfn(m, f);
	struct vm_area *v;

	for (v = ring(vma)->next; v != vma; v = ring(v)->next) {
		uint64_t addr;
		pte_t *pte;

		m->stats.rmap_repoint_vmas++;
		if (!covers(v, f->index))
			continue;
		addr = v->start + ((f->index - v->pgoff) << PAGE_SHIFT);
		pte = pte_lookup(v->mm, addr);
		if (!pte)
			continue;
		m->stats.rmap_repoint_ptes++;
		if (pte_present(*pte) && pte_pfn(*pte) == pfn) {
			frame_set_vma(m, f, v);
			m->stats.rmap_repointed++;
			return;
		}
	}
	VM_BUG_ON(1);                /* a mapping outside the ring */
	frame_set_vma(m, f, NULL);   /* the checker says so */
}

/* ---------------- per PTE ---------------- */

static void ring_page_add_new_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	frame_set_vma(vma->mm->machine, f, vma);
}

/* a swap-cache page mapped again: the first mapping names vma; later ones
 * keep the VMA named, which still maps it */
static void ring_page_add_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	if (f->mapcount == 1)
		frame_set_vma(vma->mm->machine, f, vma);
}

static void ring_page_remove(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	if (!(f->flags & PG_ANON) || frame_vma(f) != vma)
		return;
	if (f->mapcount == 0)
		frame_set_vma(vma->mm->machine, f, NULL);
	else
		repoint_search(vma->mm->machine, f, vma);
}

static void ring_page_move_anon(struct vm_frame *f, struct vm_area *vma)
{
	frame_set_vma(vma->mm->machine, f, vma);
}

static void ring_page_repoint(struct vm_frame *old, struct vm_frame *nf)
{
	nf->rmap = old->rmap;
}

static int ring_move_prepare(struct vm_area *old_vma, uint64_t old_addr,
			     struct vm_area *new_vma, uint64_t new_addr, uint64_t len)
{
	ring_unite(old_vma->mm->machine, old_vma, new_vma);
	return 0;
}

static void ring_move_done(struct vm_area *old_vma, uint64_t old_addr,
			   struct vm_area *new_vma, uint64_t new_addr, uint64_t len)
{
	repoint_range(new_vma->mm, new_addr, new_addr + len, old_vma, new_vma);
}

/* ---------------- per VMA ---------------- */

static void ring_vma_add(struct vm_area *vma)
{
	ring(vma)->next = ring(vma)->prev = vma;
}

static void ring_vma_del(struct vm_area *vma)
{
	ring_leave(vma);
}

/* the new half joins the ring; the frames of its range name it */
static void ring_vma_split(struct vm_area *vma, struct vm_area *nv)
{
	ring_join(nv, vma);
	repoint_range(nv->mm, nv->start, nv->end, vma, nv);
}

/* target takes victim's range (its own range may change after) */
static void ring_vma_merge(struct vm_area *target, struct vm_area *victim)
{
	ring_unite(target->mm->machine, target, victim);
	repoint_range(victim->mm, victim->start, victim->end, victim, target);
}

static void ring_vma_fork(struct vm_area *child, struct vm_area *parent)
{
	if (child->anon)
		ring_join(child, parent);
}

static void ring_vma_copy(struct vm_area *nv, struct vm_area *vma)
{
	ring_join(nv, vma);
}

static void ring_pre_update(struct vm_area *vma)
{
	struct ring_mm *rm = mm_tail(vma->mm);

	rm->old_start = vma->start;
	rm->old_end = vma->end;
}

/*
 * vma's range changed.  When it grew over a neighbour of the same
 * anonymous identity that has just shrunk (mprotect's merges move a
 * boundary: neither VMA goes, no merge is told), the PTEs of the part
 * that changed hands are vma's now: their frames name vma, and the rings
 * are one.
 */
static void ring_post_update(struct vm_area *vma)
{
	struct ring_mm *rm = mm_tail(vma->mm);
	struct vm_area *p = vma->prev, *n = vma->next;

	if (!vma->anon)
		return;
	if (vma->start < rm->old_start && p && p->end == vma->start && p->anon == vma->anon) {
		ring_unite(vma->mm->machine, vma, p);
		repoint_range(vma->mm, vma->start, rm->old_start, p, vma);
	}
	if (vma->end > rm->old_end && n && n->start == vma->end && n->anon == vma->anon) {
		ring_unite(vma->mm->machine, vma, n);
		repoint_range(vma->mm, rm->old_end, vma->end, n, vma);
	}
}

/* ---------------- the walk ---------------- */

static int ring_walk_anon(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg)
{
	struct vm_area *first = frame_vma(f), *v = first;
	int ret = 0;

	if (!first)
		return 0;
	do {
		struct vm_area *next = ring(v)->next;

		if (covers(v, f->index))
			ret = rmap_one(m, f, v, fn, arg);
		else
			m->stats.rmap_vmas_visited++;
		v = next;
	} while (v != first && !ret);
	return ret;
}

/* ---------------- checking ---------------- */

/* v is a VMA of a live address space of m (without trusting v) */
static bool vma_alive(struct vm_machine *m, const struct vm_area *v)
{
	struct list_head *p;

	if (!v)
		return false;
	list_for_each(p, &m->mms)
		if (list_entry(p, struct vm_mm, node) == v->mm)
			return vma_lookup(v->mm, v->start) == v;
	return false;
}

/* the ring's links around vma agree, and its neighbours are live VMAs */
static bool ring_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	const struct ring *r = ring(vma);
	struct vm_machine *m = vma->mm->machine;

	if (!r->next || !r->prev || ring(r->next)->prev != vma || ring(r->prev)->next != vma) {
		snprintf(why, len, "rmap: the ring of [%#llx,%#llx) is broken",
			 (unsigned long long)vma->start, (unsigned long long)vma->end);
		return false;
	}
	if (!vma_alive(m, r->next) || !vma_alive(m, r->prev)) {
		snprintf(why, len, "rmap: the ring of [%#llx,%#llx) holds a VMA that is gone",
			 (unsigned long long)vma->start, (unsigned long long)vma->end);
		return false;
	}
	return true;
}

/* a mapped anonymous frame names a live VMA that maps it; an unmapped one none */
static bool ring_check_frame(struct vm_machine *m, const struct vm_frame *f, char *why,
			     size_t len)
{
	uint64_t pfn = frame_pfn(m, f);
	struct vm_area *v = frame_vma(f);
	pte_t *pte;

	if (!(f->flags & PG_ANON))
		return true;
	if (f->mapcount == 0) {
		if (v)
			snprintf(why, len, "rmap: unmapped pfn %llu still names a VMA",
				 (unsigned long long)pfn);
		return !v;
	}
	if (!vma_alive(m, v)) {
		snprintf(why, len, "rmap: pfn %llu names no live VMA", (unsigned long long)pfn);
		return false;
	}
	pte = covers(v, f->index)
	      ? pte_lookup(v->mm, v->start + ((f->index - v->pgoff) << PAGE_SHIFT)) : NULL;
	if (!pte || !pte_present(*pte) || pte_pfn(*pte) != pfn) {
		snprintf(why, len, "rmap: pfn %llu names pid %d [%#llx,%#llx), which does not map it",
			 (unsigned long long)pfn, v->mm->id, (unsigned long long)v->start,
			 (unsigned long long)v->end);
		return false;
	}
	return true;
}

/* the metadata bytes are exactly the tails and the words that name a VMA */
static bool ring_check_machine(struct vm_machine *m, char *why, size_t len)
{
	uint64_t mms = 0, words = 0, bytes;
	struct list_head *p;

	list_for_each(p, &m->mms)
		mms++;
	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		const struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY)
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
		else if ((f->flags & PG_ANON) && f->rmap)
			words++;
	}
	bytes = m->stats.nr_vmas * sizeof(struct ring) + mms * sizeof(struct ring_mm) +
		words * sizeof(uint64_t);
	if (bytes != m->stats.rmap_bytes) {
		snprintf(why, len, "rmap: %llu metadata bytes counted, %llu held (%llu VMAs, "
			 "%llu mms, %llu pages naming a VMA)",
			 (unsigned long long)m->stats.rmap_bytes, (unsigned long long)bytes,
			 (unsigned long long)m->stats.nr_vmas, (unsigned long long)mms,
			 (unsigned long long)words);
		return false;
	}
	return true;
}

static int ring_init(struct vm_machine *m) { return 0; }
static void ring_fini(struct vm_machine *m) { }

const struct rmap_ops rmap_vmaring_ops = {
	.name = "vmaring",
	.init = ring_init,
	.fini = ring_fini,
	.vma_tail = sizeof(struct ring),
	.mm_tail = sizeof(struct ring_mm),
	.vma_add = ring_vma_add,
	.vma_del = ring_vma_del,
	.vma_split = ring_vma_split,
	.vma_merge = ring_vma_merge,
	.vma_fork = ring_vma_fork,
	.vma_copy = ring_vma_copy,
	.page_add_new_anon = ring_page_add_new_anon,
	.page_add_anon = ring_page_add_anon,
	.page_remove = ring_page_remove,
	.page_move_anon = ring_page_move_anon,
	.page_repoint = ring_page_repoint,
	.move_prepare = ring_move_prepare,
	.move_done = ring_move_done,
	.pre_update = ring_pre_update,
	.post_update = ring_post_update,
	.check_vma = ring_check_vma,
	.check_frame = ring_check_frame,
	.check_machine = ring_check_machine,
	.walk_anon = ring_walk_anon,
};
