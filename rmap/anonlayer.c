/*
 * rmap/anonlayer.c - the `anonlayer` scheme: David S. Miller's anonymous
 * layer, posted to linux-kernel on 26 April 2000 as mm/anon.c of his 2.3.99
 * hacks ("Re: [PATCH] 2.3.99-pre6-3+ VM rebalancing"; seed
 * 001_258d6cb26a23bc46.txt, which carries the code).
 *
 * The design.  A private mapping that gets its first anonymous page (a
 * fault or a copy-on-write) gets an anon_area, "no more than a reference
 * count, and an address_space struct": a pseudo backing object whose page
 * list holds its anonymous pages, each with page->index set to the page's
 * linear offset (vm_pgoff + the page's place in the VMA), and whose i_mmap
 * is a list of the VMAs that share it.  fork shares it (anon_dup: the
 * child's VMA joins the same area, and the child's copy-on-write pages go
 * into it too), so one area serves a whole fork family of one original
 * mapping.  Because vm_pgoff survives mremap, a VMA that may hold a page
 * maps it at
 *
 *    address = vma->start + ((index - vma->pgoff) << 12),  if that is < vma->end
 *
 * and Miller's claim: "there is no linear scan, only VMA's which can
 * actually contain the anonymous page in question are scanned".
 *
 * How it maps onto mm/'s identity (mm/anon.c, Linux 6.18's anon_vma as the
 * layout sees it).  mm/ gives every VMA's first anonymous fault an anon_id
 * of its own (or a neighbour's, find_mergeable_anon_vma), and a fork child
 * an anon_id whose root is the parent's root.  A fork family root is
 * exactly Miller's anon_area: made at a mapping's first anonymous page,
 * shared by every VMA forked, split or mremapped from it.  So the area is
 * the tail of the root anon_id (a tail of every anon_id, used only by
 * roots), a VMA joins its root's area when its first link comes
 * (link_add: anon_prepare, anon_dup at fork, a split's or mremap's clone)
 * and leaves it when its links go (link_del: anon_unlink), and a page's
 * area is that of f->mapping's root, whichever anon_id of the family mm/
 * gave it.  The area's reference count is its number of VMAs (nr_vmas);
 * mm/ frees the root only after its last family member, and the area must
 * then be empty (anon_put's BUG when i_mmap is not NULL).
 *
 * How it finds a page's mappings.  Stable page -> area (through the
 * root of f->mapping) -> every VMA on the area's list, as Miller's
 * vm_anon_next_share list is: each is looked at (counted in
 * rmap_vmas_visited) and those whose pgoff range holds the page's index
 * have their PTE probed (rmap_one; counted in rmap_ptes_visited).  The
 * list is not keyed: a VMA that cannot contain the page is still looked at
 * to find that out, which is what `bench rmap` measures against avc's
 * interval trees.  The family is the whole fork family: a page COWed in one
 * child is looked for in every VMA of every process forked from the same
 * mapping, its siblings' and ancestors' included (Tweedie's objection,
 * restricted to one family and filtered by pgoff before any page table is
 * touched).
 *
 * The page list.  Miller's area held a reference to each of its pages
 * (page->list, page->mapping); here the list is only metadata: it holds
 * no reference and changes no count, so do_wp_page's reuse test sees the
 * counts mm/ sets.  It is a circular doubly linked list of PFNs packed in
 * the frame's own rmap word (next pfn << 32 | prev pfn; 0: not listed; pfn
 * 0 is the zero page, never anonymous), with the area holding one pfn of
 * it.  A page joins the list of its area when it is mapped with no mapping
 * before (page_add_new_anon; page_add_anon for a swap-cache page mapped
 * again) and leaves it with its last PTE (page_remove at map count 0):
 * that is anon_trim done at once, page by page, rather than by scanning
 * the list for pages of count one after a VMA shrinks; anon_put's
 * invalidate_anon_pages has nothing left to drop, since mm/ frees the
 * pages with their last PTE.  The list serves no walk: Miller's used it to
 * free the pages at anon_put; here it is checked, and it is what the
 * design costs per page.
 *
 * Cost, exactly (x86-64): per page, nothing beyond the frame's rmap word
 * that every scheme has (Miller's page->list was 16 bytes of struct page);
 * per VMA, 24 bytes whether or not it is anonymous (vm_anon,
 * vm_anon_next_share, vm_anon_pprev_share: his three fields of
 * vm_area_struct); per anon_id, a 32-byte tail, the anon_area of a root
 * (list head of VMAs, one pfn of the page list, nr_vmas, nrpages), unused
 * in the anon_ids mm/ makes for fork children.  mm/'s anon_ids and
 * anon_links themselves are the layout's, not this scheme's, and are not
 * counted as its metadata.  Fork costs 24 bytes per VMA copied and nothing
 * per page (page_dup is not hooked).
 *
 * Accepting Linux's merges, splits and moves costs it nothing but the
 * list: the area's VMA list is unkeyed, so a split, a merge, a move or an
 * mremap copy only adds or removes a VMA from the list (through mm/'s
 * links), pgoff arithmetic does the rest, and page indices never change.
 * Nothing can fail: the area is a tail allocated with mm/'s anon_id.
 *
 * Worst workload: a long fork chain, or any big fork family whose VMAs
 * were split or moved: every walk of any page of the family looks at every
 * VMA of every process that shares the area, however few can hold the page
 * (VMAs of the family that cover other offsets, children that COWed it
 * away).  avc looks only at the VMAs linked to the page's own anon_vma
 * whose range holds it.
 *
 * The claim measured ("there is no linear scan"; `revmap bench rmap
 * --quick`, seed 1, the walks of each hard case; VMAs looked at per walk,
 * PTEs probed per walk, PTEs found per walk, and the same for avc):
 *
 *    case      anonlayer VMAs  probed  found     avc VMAs  probed
 *    chain             656.82   38.12   9.60        22.56   22.56
 *    prefork            29.54   28.16  13.18        26.87   26.49
 *    filemap            48.16   48.16  14.70        48.15   48.15
 *    mremap             83.57   42.98  13.57        28.09   28.09
 *    mlock              14.16   13.39   9.96        12.06   12.06
 *
 * The list is the linear scan Tweedie feared, within one family: on the
 * fork chain a walk looks at 29 times the VMAs avc does, on the mremap
 * case 3 times.  The pgoff filter does keep the page tables out of it:
 * PTEs probed are 1.7 (chain) and 1.5 (mremap) times avc's, the surplus
 * being VMAs of the family that cover the offset but map another copy of
 * it (the ancestors and cousins of the process whose write made the page),
 * which avc's anon_vma per generation tells apart and one area per family
 * cannot.  On a flat prefork family,
 * whose children keep the parent's layout, it is within 10% of avc.
 * (filemap's walks are file pages, through i_mmap in both.)
 *
 * File pages are found through the file's i_mmap tree, as in every scheme.
 *
 * Locks: the area, its lists and the frames' rmap words are guarded by the
 * anon root lock of the family (the root anon_id is the area); a walk
 * takes it in read mode, page_add/remove in write mode (rmap/rmap.h).
 */
#include <stdlib.h>
#include <string.h>
#include "anonlayer.h"


static struct anon_area *area_of(struct anon_id *a)
{
	struct anon_area *area = anon_tail(a->root);

	if (!area->vmas.next)      /* the slab zeroes the tail: first use */
		list_init(&area->vmas);
	return area;
}

static struct al_vma *al_vma(const struct vm_area *v)
{
	return vma_tail((struct vm_area *)v);
}

/* ---------------- the page list, in the frames' rmap words ---------------- */

static uint32_t pl_next(const struct vm_frame *f) { return (uint32_t)(f->rmap >> 32); }
static uint32_t pl_prev(const struct vm_frame *f) { return (uint32_t)f->rmap; }

static void pl_set(struct vm_frame *f, uint32_t next, uint32_t prev)
{
	f->rmap = (uint64_t)next << 32 | prev;
}

/* anon_page_insert's list_add: f joins area's page list */
static void pl_add(struct vm_machine *m, struct anon_area *area, struct vm_frame *f)
{
	uint32_t pfn = (uint32_t)frame_pfn(m, f);

	VM_BUG_ON(f->rmap || pfn == 0);
	if (!area->pages) {
		pl_set(f, pfn, pfn);
	} else {
		struct vm_frame *head = pfn_frame(m, area->pages);
		uint32_t tail = pl_prev(head);
		struct vm_frame *t = pfn_frame(m, tail);

		pl_set(f, area->pages, tail);
		pl_set(t, pfn, pl_prev(t));
		pl_set(head, pl_next(head), pfn);   /* head may be t: reread */
	}
	area->pages = pfn;
	area->nrpages++;
}

/* list_del(&page->list): f leaves area's page list */
static void pl_del(struct vm_machine *m, struct anon_area *area, struct vm_frame *f)
{
	uint32_t pfn = (uint32_t)frame_pfn(m, f), next = pl_next(f), prev = pl_prev(f);

	VM_BUG_ON(!f->rmap || !area->nrpages);
	if (next == pfn) {
		area->pages = 0;
	} else {
		struct vm_frame *n = pfn_frame(m, next), *p = pfn_frame(m, prev);

		pl_set(p, next, pl_prev(p));
		pl_set(n, pl_next(n), prev);
		if (area->pages == pfn)
			area->pages = next;
	}
	f->rmap = 0;
	area->nrpages--;
}

/* ---------------- VMAs: anon_dup and anon_put, told through mm/'s links ---------------- */

/* vma may map pages of l->aid: the first link puts it on its family's
 * area (anon_alloc's or anon_dup's anon_insert_vma) */
static void al_link_add(struct anon_link *l)
{
	struct al_vma *t = al_vma(l->vma);
	struct anon_area *area = area_of(l->aid);

	if (t->area) {
		VM_BUG_ON(t->area != area);
		return;
	}
	t->area = area;
	list_add(&t->share, &area->vmas);
	area->nr_vmas++;
}

/* the VMA's links go (anon_unlink takes them all): anon_put's
 * anon_remove_vma at the first */
static void al_link_del(struct anon_link *l)
{
	struct al_vma *t = al_vma(l->vma);

	if (!t->area)
		return;
	VM_BUG_ON(t->area->nr_vmas == 0);
	list_del(&t->share);
	t->area->nr_vmas--;
	t->area = NULL;
}

/* the anon_id goes; a root's area is empty by then (anon_put's BUG) */
static void al_anon_free(struct anon_id *a)
{
	struct anon_area *area = anon_tail(a);

	VM_BUG_ON(a->root == a && (area->nr_vmas || area->nrpages || area->pages));
	(void)area;
}

/* ---------------- pages ---------------- */

/* anon_page_add / anon_cow's anon_page_insert (index already set by mm/) */
static void al_page_add_new_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	pl_add(vma->mm->machine, area_of(f->mapping), f);
}

/* a swap-cache page mapped again: back on the list if it had left it */
static void al_page_add_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	if (!f->rmap)
		pl_add(vma->mm->machine, area_of(f->mapping), f);
}

/* the last PTE gone: anon_trim, for this page */
static void al_page_remove(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	if (f->rmap && f->mapcount == 0)
		pl_del(vma->mm->machine, area_of(f->mapping), f);
}

/* migration: nf is a copy of old (its rmap word too); take old's place */
static void al_page_repoint(struct vm_frame *old, struct vm_frame *nf)
{
	struct anon_area *area;
	struct vm_machine *m;
	uint32_t pfn, opfn, next, prev;

	if (!nf->rmap)
		return;
	area = area_of(nf->mapping);
	m = ((struct anon_id *)nf->mapping)->m;
	pfn = (uint32_t)frame_pfn(m, nf);
	opfn = (uint32_t)frame_pfn(m, old);
	next = pl_next(nf);
	prev = pl_prev(nf);
	if (next == opfn) {
		pl_set(nf, pfn, pfn);
	} else {
		struct vm_frame *n = pfn_frame(m, next), *p = pfn_frame(m, prev);

		pl_set(p, pfn, pl_prev(p));
		pl_set(n, pl_next(n), pfn);
	}
	if (area->pages == opfn)
		area->pages = pfn;
	old->rmap = 0;
}

/* ---------------- the walk ---------------- */

/*
 * Every VMA sharing the page's area is looked at; those whose pgoff range
 * holds the index are probed.  => the visitor's verdict
 */
static int al_walk_anon(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg)
{
	struct anon_area *area = area_of(f->mapping);
	struct list_head *p;
	int ret = 0;

	for (p = area->vmas.next; p != &area->vmas && !ret; p = p->next) {
		struct vm_area *v = (struct vm_area *)container_of(p, struct al_vma, share) - 1;

		if (f->index < v->pgoff || f->index - v->pgoff >= vma_pages(v)) {
			m->stats.rmap_vmas_visited++;   /* looked at, cannot hold it */
			continue;
		}
		ret = rmap_one(m, f, v, fn, arg);       /* counts the VMA and the probe */
	}
	return ret;
}

/* ---------------- checkers ---------------- */

static bool failf(char *why, size_t len, const char *fmt, const struct vm_area *v)
{
	snprintf(why, len, fmt, (unsigned long long)v->start, (unsigned long long)v->end);
	return false;
}

/* the VMA is on its family's area iff it has an identity, and its share
 * links are sound */
static bool al_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	const struct al_vma *t = al_vma(vma);

	if (!vma->anon) {
		if (t->area)
			return failf(why, len, "anonlayer: [%#llx,%#llx) has no identity but an anon_area", vma);
		return true;
	}
	if (t->area != anon_tail(vma->anon->root))
		return failf(why, len, "anonlayer: [%#llx,%#llx) is not on its family's anon_area", vma);
	if (t->share.next->prev != &t->share || t->share.prev->next != &t->share ||
	    t->share.next == &t->share)
		return failf(why, len, "anonlayer: [%#llx,%#llx)'s share links are broken", vma);
	return true;
}

/* a frame's rmap word: an anonymous mapped page is listed, its neighbours
 * point back at it; any other frame has none */
static bool al_check_frame(struct vm_machine *m, const struct vm_frame *f, char *why, size_t len)
{
	uint64_t pfn = frame_pfn(m, f);

	if (!(f->flags & PG_ANON) || f->mapcount <= 0) {
		if (f->rmap && !(f->flags & PG_SLAB)) {
			snprintf(why, len, "anonlayer: pfn %llu is on a page list unmapped",
				 (unsigned long long)pfn);
			return false;
		}
		return true;
	}
	if (!f->rmap || pl_next(f) >= m->nr_frames || pl_prev(f) >= m->nr_frames ||
	    pl_prev(pfn_frame(m, pl_next(f))) != pfn || pl_next(pfn_frame(m, pl_prev(f))) != pfn) {
		snprintf(why, len, "anonlayer: mapped anonymous pfn %llu is not linked in a page list",
			 (unsigned long long)pfn);
		return false;
	}
	return true;
}

/*
 * The whole structure: each area (met at the first VMA of its list)
 * lists exactly nr_vmas VMAs, each of them in its family, and exactly
 * nrpages pages, each an anonymous mapped page of its family; the pages of
 * all areas are all the machine's mapped anonymous pages.
 */
static bool al_check(struct vm_machine *m, char *why, size_t len)
{
	uint64_t listed = 0, mapped = 0;
	struct list_head *q;

	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if (f->flags & (PG_SLAB | PG_PGTABLE | PG_RESERVED))
			continue;
		if (!al_check_frame(m, f, why, len))
			return false;
		if (f->rmap)
			mapped++;
	}
	list_for_each(q, &m->mms) {
		struct vm_mm *mm = list_entry(q, struct vm_mm, node);

		for (struct vm_area *v = mm->first; v; v = v->next) {
			struct anon_area *area = al_vma(v)->area;
			struct list_head *p;
			uint64_t n = 0;
			uint32_t pfn;

			if (!area || area->vmas.next != &al_vma(v)->share)
				continue;          /* no area, or not its first VMA */
			list_for_each(p, &area->vmas) {
				struct al_vma *t = container_of(p, struct al_vma, share);
				struct vm_area *w = (struct vm_area *)t - 1;

				if (t->area != area || !w->anon || anon_tail(w->anon->root) != area)
					return failf(why, len, "anonlayer: the anon_area of [%#llx,%#llx) "
						     "lists a VMA of another", v);
				if (++n > m->stats.nr_vmas)
					return failf(why, len, "anonlayer: the VMA list of [%#llx,%#llx)'s "
						     "anon_area loops", v);
			}
			if (n != area->nr_vmas)
				return failf(why, len, "anonlayer: [%#llx,%#llx)'s anon_area counts "
					     "the wrong number of VMAs", v);
			n = 0;
			pfn = area->pages;
			if (pfn) {
				do {
					struct vm_frame *f = pfn_frame(m, pfn);

					if (!(f->flags & PG_ANON) || f->mapcount <= 0 || !f->rmap ||
					    anon_tail(((struct anon_id *)f->mapping)->root) != area)
						return failf(why, len, "anonlayer: [%#llx,%#llx)'s anon_area "
							     "lists a page not its own", v);
					if (++n > area->nrpages)
						break;
					pfn = pl_next(f);
				} while (pfn != area->pages);
			}
			if (n != area->nrpages)
				return failf(why, len, "anonlayer: [%#llx,%#llx)'s anon_area counts "
					     "the wrong number of pages", v);
			listed += n;
		}
	}
	if (listed != mapped) {
		snprintf(why, len, "anonlayer: %llu pages on the anon_areas' lists, %llu mapped "
			 "anonymous pages", (unsigned long long)listed, (unsigned long long)mapped);
		return false;
	}
	return true;
}

static int al_init(struct vm_machine *m) { return 0; }
static void al_fini(struct vm_machine *m) { }

const struct rmap_ops rmap_anonlayer_ops = {
	.name = "anonlayer",
	.init = al_init,
	.fini = al_fini,
	.anon_tail = sizeof(struct anon_area),
	.vma_tail = sizeof(struct al_vma),
	.link_add = al_link_add,
	.link_del = al_link_del,
	.anon_free = al_anon_free,
	.page_add_new_anon = al_page_add_new_anon,
	.page_add_anon = al_page_add_anon,
	.page_remove = al_page_remove,
	.page_repoint = al_page_repoint,
	.check_vma = al_check_vma,
	.check_frame = al_check_frame,
	.check_machine = al_check,
	.walk_anon = al_walk_anon,
};
