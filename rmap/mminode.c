/*
 * rmap/mminode.c - the `mminode` scheme: Benjamin LaHaise's option (c) of
 * 2 March 1998 ("reverse pte lookups and anonymous private mappings",
 * linux-mm; seed 000): "per-mm inodes, shared on fork".
 *
 *   "c) per-mm inodes, shared on fork.  Again, this one is a bit painful,
 *    although less so than b.  This one requires that we allow multiple
 *    pages in the page cache exist with the same offset (ugly).  Each
 *    anonymous page gets the mm_struct's inode attached to it, with the
 *    virtual address within the process' memory space being the offset.
 *    The ptes are found in the same manner as for normal shared pages
 *    (inode->i_mmap->vmas).  Aliased page-cache entries are created on COW
 *    and mremap(). ... (c) has very little overhead, but, again, conflicts
 *    with the new swap cache."
 *
 * The design.  One object per fork family of address spaces (struct
 * mi_family, mminode.h: the "inode"), made for a spawned or exec'ed
 * address space at its first private VMA and shared by every address space
 * forked from it; its i_mmap is an interval tree of every private VMA of
 * every address space of the family (anonymous and private file mappings:
 * both may hold anonymous pages), keyed by virtual page number, the
 * offset:
 *
 *   page --word--> family, vpn          the family's tree of VMAs
 *                     |                  [start>>12, (end>>12)-1]
 *                     `--> stab(vpn) --> vma(pid 1), vma(pid 7), ...
 *                                          |            |
 *                                        PTE at vpn << 12 in each: maps it?
 *
 * How it finds a page's mappings.  The walk stabs the family's tree at the
 * page's offset: every VMA of the family that covers that virtual page is
 * looked at (stats.rmap_vmas_visited; one per address space at most, VMAs
 * of one mm never overlap), and in those that may hold anonymous pages (an
 * anonymous identity) the PTE at that address is probed
 * (rmap_ptes_visited); the visitor gets those that really map the frame.
 * There is no pgoff arithmetic: the offset is the address, so a VMA's node
 * changes with its range (pre_update/post_update, split, merge, new
 * mappings) and nothing else, and no page changes when a VMA splits or
 * merges.
 *
 * Aliasing, both kinds.  COW: after a fork the parent's page and the
 * child's copy made by a write both live at one offset of the one family
 * ("multiple pages in the page cache with the same offset"); here that
 * takes no entry at all, since the frames name their family and offset
 * themselves and there is no per-family page index to collide in: the cost
 * is in precision, the walk of either page probes both processes' PTEs at
 * that address and finds one.  Such aliases are not counted (to know how
 * many pages share an offset now would need the page index (c) does not
 * need): they show as PTEs probed per PTE found.  mremap: the moved PTEs
 * map their pages at a new virtual address.  A page mapped only there just
 * takes its new offset (stats.rmap_repointed, its PTE in
 * rmap_repoint_ptes).  A page still mapped at the old address by another
 * process of the family (fork-shared, not COWed yet) now lives at two
 * offsets: it becomes aliased (MI_ALIASED in its word) and keeps one entry
 * per offset (struct mi_alias: the page, the offset, how many PTEs map it
 * there) in its family's tree of entries keyed by (pfn, offset), two at
 * least; one more process moving it adds one entry.  The aliases are
 * counted as offsets beyond a page's first: stats.rmap_aliases (now) and
 * rmap_aliases_made (ever).  The walk visits each of the page's offsets, in
 * ascending order.  Entries follow their PTEs: fork copies a PTE at an
 * offset (page_dup: that entry's count + 1), a PTE goes (page_remove: - 1;
 * the entry goes with its last PTE, and a page left with one entry folds
 * back to its word), a PTE moves (its old entry - 1, its new one + 1, or
 * the entry itself moves when it was that PTE's alone), migration re-keys
 * them to the new frame (page_repoint).  So a page's offsets are exactly
 * the virtual pages where the family maps it, and each PTE added, moved or
 * removed costs one lookup in the family's entries.  move_prepare sets
 * aside what the move may need (an aliased page's PTE one entry, a shared
 * page's two), or fails with -ENOMEM having moved nothing; move_done
 * cannot fail, and gives back what it did not use.
 *
 * The swap cache (LaHaise: (c) "conflicts with the new swap cache").  In
 * 1998 a swap-cache page was a page-cache page of the swapper inode at its
 * swap entry, so it could not also be the mm inode's page at its virtual
 * address: struct page had one (inode, offset) pair.  revmap's frame keeps
 * the swap slot and mm/'s identity apart from the scheme's word, so that
 * part of the conflict is gone; what is left is this.  A page swapped out
 * leaves no frame, and its swap entries may then move
 * with mremap in some processes of the family and not in others; read back
 * (page_add_new_anon, through rmap_add_new_anon_swap) it takes the offset
 * where the faulting process maps it, and another process faulting the
 * same swap entry through the swap cache (page_add_anon) may map it at
 * another address: an alias is needed there, where no hook may fail.  The
 * conflict is resolved without changing any result: page_add_anon
 * allocates the entries if memory can be had, and otherwise the page's
 * offsets are dropped and its word says MI_VPN_SCAN: its walks look at
 * every VMA of its family and every present PTE of those that may hold
 * anonymous pages (counted in stats.rmap_fallbacks), until its last PTE
 * goes.  That needs no memory, and the checkers test it as any walk.
 *
 * The family.  A fork child's address space joins its parent's family at
 * its first VMA copy (vma_fork: mm/ creates the child's address space, and
 * tells mm_init, before it knows of the parent; a family the child got for
 * its first VMA is given back then, before any page is mapped); spawn and
 * exec start a new family; an address space leaves its family when it goes
 * (mm_exit), the last one frees it.  A family cannot be allocated where no
 * hook may fail (vma_add), so when the slab has none to give, or its slot
 * does not fit the word's 28 bits (a machine of more than 8 GiB), the
 * address space joins the machine's fallback family (host memory, in
 * m->rmap_priv, never freed): its walks probe the VMAs of every address
 * space in it, which is as exact and less precise.
 *
 * Cost, exactly (x86-64).  Per page: the 8-byte frame word (the family's
 * slot and the offset: mminode.h draws it), counted while it names a family
 * (the word is in revmap's 48-byte frame descriptor for every scheme;
 * LaHaise's page->inode and page->offset were two fields of struct page).
 * Per VMA: 48 bytes (the interval-tree node: the inode's i_mmap), every
 * VMA, shared ones included (never in a tree).  Per address space: 8 bytes
 * (the family pointer).  Per family: 32 bytes (struct mi_family).  Per
 * aliased page: 40 bytes per offset (80 for a page at two; LaHaise's
 * aliased page-cache entries).  Fork: nothing per page (page_dup only
 * counts an aliased page's PTE), nothing per VMA but its tail.  rmap_bytes
 * counts the tails (mm/ does), the families, the entries (those set aside
 * by move_prepare too, while they are) and the words.
 *
 * Accepting Linux's layout costs nothing but tree updates: a split, a
 * merge, a grown or shrunk VMA, an mremap copy re-key one or two nodes;
 * pages never change for them (the offset is the address, and the tree
 * knows nothing of anonymous identities).  Only mremap touches pages: the
 * moved range's PTEs are walked twice (prepare, done).
 *
 * Worst workloads: mremap of fork-shared memory (80 bytes for every shared
 * page moved, 40 more for each other address it is moved to: a fork family
 * whose processes each move their copy of a shared region pays an entry
 * per page per process that moved, and a walk a stab per address);
 * and walks in a big family whose processes keep the same layout: every
 * process is probed at the address, whether or not it still shares the
 * page (a prefork server: a page COWed by one child is looked for in all
 * of them).  A family is the whole fork tree of address spaces: where avc
 * keeps an anon_vma per generation and mapping, (c) keeps one per tree.
 *
 * Measured ("(c) has very little overhead"; `revmap bench rmap`, seed 1:
 * metadata peak in bytes, per present PTE, precision of walking every
 * mapped frame once, VMAs looked at per walk; avc and vmaring, LaHaise's
 * (a), beside it):
 *
 *             mminode                       | avc                 | vmaring
 *   case        bytes  B/PTE  prec   VMAs |  B/PTE  prec  VMAs | B/PTE  prec   VMAs
 *   chain      909184  16.18 0.263  116.1 | 2618.8 0.355  86.1 |  5.44 0.236 4882.3
 *   prefork     93144   0.08 0.447  121.2 |   0.10 0.497 108.6 |  0.07 0.456  122.7
 *   filemap    278960   1.57 0.225  159.7 |   0.13 0.225 159.6 |  1.49 0.225  159.7
 *   mremap    6515760  22.40 0.816   74.4 |   0.32 0.460 132.1 |  0.13 0.247  469.6
 *   mlock       58224   0.42 0.669   46.3 |   2.13 0.819  37.8 |  0.30 0.676   47.7
 *
 * The overhead is little where nothing is moved: per VMA a tree node, per
 * page its word (filemap's 1.57 B/PTE is that word on private COW pages).
 * The offset being the address, a walk stabs one tree and sees only the
 * VMAs at that address, where the fork chain's one-list designs see the
 * whole family (116 VMAs a walk, vmaring 4882); but one family for the
 * whole fork tree costs precision against avc's anon_vma per generation
 * (chain 0.26 against 0.35, mlock 0.67 against 0.82).  mremap of shared
 * memory is where it breaks: 176823 aliases made (153278 left), 6.5 MB,
 * 22.4 B/PTE, 70 times avc's; its walks see the fewest VMAs and are the
 * most precise (an entry per offset knows where the page is), and they
 * cost a stab per address (12.4 us a walk, avc 3.3), a PTE unmapped or
 * forked an entry lookup (exit 185 ns a page, avc 13; fork 38, avc 10).
 *
 * Its nearest relative is Hugh Dickins' anonmm (2004, mm/rmap.c of the
 * 2.6.6/2.6.7-rc era, then replaced by Andrea Arcangeli's anon_vma): one
 * anonmm per fork family, the virtual address as index, and a list of the
 * family's mms to probe.
 * anonmm could not alias: on mremap of a page shared with other processes
 * it broke COW early (copied the page) so that every page kept one
 * address; (c) must not change any result, so it aliases.
 *
 * File pages are found through the file's i_mmap tree, as in every scheme.
 *
 * Locks (when threads come): the family's trees and counts, the alias
 * entries and the frame words of its pages are guarded by a family lock
 * taken in the place of the anon root lock (rmap/rmap.h); a mm's family
 * pointer by its mmap_lock and the family lock.
 */
#include <stdlib.h>
#include <string.h>
#include "mminode.h"

static struct mi_machine *mi_priv(const struct vm_machine *m)
{
	return m->rmap_priv;
}

static struct mi_vma *mi_vma(const struct vm_area *v)
{
	return vma_tail((struct vm_area *)v);
}

static struct mi_mm *mi_mm(const struct vm_mm *mm)
{
	return mm_tail((struct vm_mm *)mm);
}

static bool vma_private(const struct vm_area *v)
{
	return !(v->flags & VM_SHARED);
}

/* ---------------- the frame word ---------------- */

/* the word's family field for fam */
static uint64_t fam_field(struct vm_machine *m, const struct mi_family *fam)
{
	const struct vm_slab *s = &m->slab_rmap[0];
	uint64_t off;

	if (fam == &mi_priv(m)->fallback)
		return MI_SLOT_FALLBACK;
	off = (uint64_t)((const uint8_t *)fam - m->mem);
	return (off >> PAGE_SHIFT) * s->per_frame + (off & (PAGE_SIZE - 1)) / s->size + 1;
}

/* the family a word's field names, NULL for none or a slot off the
 * machine (not trusted: the checker calls it on corrupted words) */
static struct mi_family *fam_of_field(struct vm_machine *m, uint64_t field)
{
	const struct vm_slab *s = &m->slab_rmap[0];
	uint64_t pfn;

	if (field == 0)
		return NULL;
	if (field == MI_SLOT_FALLBACK)
		return &mi_priv(m)->fallback;
	pfn = (field - 1) / s->per_frame;
	if (pfn >= m->nr_frames)
		return NULL;
	return (struct mi_family *)(m->mem + (pfn << PAGE_SHIFT) +
				    ((field - 1) % s->per_frame) * s->size);
}

static struct mi_family *frame_family(struct vm_machine *m, const struct vm_frame *f)
{
	return fam_of_field(m, f->rmap >> MI_SLOT_SHIFT);
}

static uint64_t frame_vpn(const struct vm_frame *f)
{
	return f->rmap & MI_VPN_MASK;
}

/* f's word names fam at offset vpn (no alias); it counts 8 bytes of
 * metadata while it names a family */
static void word_set(struct vm_machine *m, struct vm_frame *f, struct mi_family *fam,
		     uint64_t vpn)
{
	if (!f->rmap) {
		m->stats.rmap_bytes += sizeof(f->rmap);
		rmap_note_peak(m);
	}
	f->rmap = fam_field(m, fam) << MI_SLOT_SHIFT | vpn;
}

static void word_clear(struct vm_machine *m, struct vm_frame *f)
{
	if (f->rmap)
		m->stats.rmap_bytes -= sizeof(f->rmap);
	f->rmap = 0;
}

/* ---------------- families ---------------- */

/* a new family (spawn, exec), or the fallback one if none can be had */
static struct mi_family *family_new(struct vm_machine *m)
{
	struct mi_family *fam = slab_alloc(m, &m->slab_rmap[0]);

	if (!fam)
		return &mi_priv(m)->fallback;
	if (fam_field(m, fam) >= MI_SLOT_FALLBACK) {   /* off the word's 28 bits */
		slab_free(m, &m->slab_rmap[0], fam);
		return &mi_priv(m)->fallback;
	}
	m->stats.rmap_bytes += sizeof(*fam);
	rmap_note_peak(m);
	return fam;
}

/* an address space leaves fam; the last one frees it (it is empty then) */
static void family_put(struct vm_machine *m, struct mi_family *fam)
{
	VM_BUG_ON(fam->nr_mms == 0);
	if (--fam->nr_mms || fam == &mi_priv(m)->fallback)
		return;
	VM_BUG_ON(fam->nr_vmas || fam->nr_aliases);
	m->stats.rmap_bytes -= sizeof(*fam);
	slab_free(m, &m->slab_rmap[0], fam);
}

/* mm's family, made at its first private VMA */
static struct mi_family *mm_family(struct vm_mm *mm)
{
	struct mi_mm *t = mi_mm(mm);

	if (!t->fam) {
		t->fam = family_new(mm->machine);
		t->fam->nr_mms++;
	}
	return t->fam;
}

/* ---------------- the family's i_mmap: its VMAs by virtual page ---------------- */

static void node_insert(struct vm_area *v, struct mi_family *fam)
{
	struct itree_node *n = &mi_vma(v)->node;

	n->start = v->start >> PAGE_SHIFT;
	n->last = (v->end >> PAGE_SHIFT) - 1;
	itree_insert(n, &fam->vmas);
}

static void node_remove(struct vm_area *v, struct mi_family *fam)
{
	itree_remove(&mi_vma(v)->node, &fam->vmas);
}

static void mi_mm_exit(struct vm_mm *mm)
{
	struct mi_mm *t = mi_mm(mm);

	if (t->fam)
		family_put(mm->machine, t->fam);
	t->fam = NULL;
}

static void mi_vma_add(struct vm_area *vma)
{
	struct mi_family *fam;

	if (!vma_private(vma))
		return;
	fam = mm_family(vma->mm);
	node_insert(vma, fam);
	fam->nr_vmas++;
}

static void mi_vma_del(struct vm_area *vma)
{
	struct mi_family *fam = mi_mm(vma->mm)->fam;

	if (!vma_private(vma))
		return;
	node_remove(vma, fam);
	fam->nr_vmas--;
	memset(mi_vma(vma), 0, sizeof(struct mi_vma));
}

/* vma's range is about to change (it is linked: in its tree), has changed */
static void mi_pre_update(struct vm_area *vma)
{
	if (vma_private(vma))
		node_remove(vma, mi_mm(vma->mm)->fam);
}

static void mi_post_update(struct vm_area *vma)
{
	if (vma_private(vma))
		node_insert(vma, mi_mm(vma->mm)->fam);
}

/*
 * child is the fork copy of parent (its PTEs come next): the child's
 * address space is of the parent's family from now on.  At its first copy
 * the child has no page, and only VMAs copied so far: they move over, and
 * a family it got for them is given back.
 */
static void mi_vma_fork(struct vm_area *child, struct vm_area *parent)
{
	struct vm_machine *m = child->mm->machine;
	struct mi_family *pf = mi_mm(parent->mm)->fam, *cf = mi_mm(child->mm)->fam;

	if (!pf || cf == pf)
		return;
	for (struct vm_area *v = child->mm->first; v && cf; v = v->next) {
		if (!vma_private(v))
			continue;
		node_remove(v, cf);
		cf->nr_vmas--;
		node_insert(v, pf);
		pf->nr_vmas++;
		m->stats.rmap_repoint_vmas++;
	}
	if (cf)
		family_put(m, cf);
	mi_mm(child->mm)->fam = pf;
	pf->nr_mms++;
}

/* ---------------- alias entries ---------------- */

static int alias_cmp(uint32_t pfn, uint64_t vpn, const struct mi_alias *a)
{
	if (pfn != a->pfn)
		return pfn < a->pfn ? -1 : 1;
	if (vpn != a->vpn)
		return vpn < a->vpn ? -1 : 1;
	return 0;
}

static struct mi_alias *rb_alias(const struct rb_node *n)
{
	return n ? container_of(n, struct mi_alias, rb) : NULL;
}

/* the first entry at or after (pfn, vpn), NULL if none */
static struct mi_alias *alias_ceil(const struct mi_family *fam, uint32_t pfn, uint64_t vpn)
{
	struct rb_node *n = fam->aliases.node;
	struct mi_alias *best = NULL;

	while (n) {
		struct mi_alias *a = rb_alias(n);
		int c = alias_cmp(pfn, vpn, a);

		if (c == 0)
			return a;
		if (c < 0) {
			best = a;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

/* f's first alias entry at or after vpn */
static struct mi_alias *alias_next(const struct mi_family *fam, uint32_t pfn, uint64_t vpn)
{
	struct mi_alias *a = alias_ceil(fam, pfn, vpn);

	return a && a->pfn == pfn ? a : NULL;
}

static struct mi_alias *alias_find(const struct mi_family *fam, uint32_t pfn, uint64_t vpn)
{
	struct mi_alias *a = alias_next(fam, pfn, vpn);

	return a && a->vpn == vpn ? a : NULL;
}

static void alias_link(struct mi_family *fam, struct mi_alias *a)
{
	struct rb_node **link = &fam->aliases.node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = alias_cmp(a->pfn, a->vpn, rb_alias(parent)) < 0 ? &parent->left
									: &parent->right;
	}
	rb_link_node(&a->rb, parent, link);
	rb_insert_color(&a->rb, &fam->aliases);
}

/* an alias object: from the move's reserve, else from the slab (NULL) */
static struct mi_alias *alias_get(struct vm_machine *m)
{
	struct mi_machine *p = mi_priv(m);
	struct mi_alias *a = p->reserve;

	if (a) {
		p->reserve = (struct mi_alias *)a->rb.left;
		p->nr_reserve--;
		memset(a, 0, sizeof(*a));
		return a;
	}
	a = slab_alloc(m, &m->slab_rmap[1]);
	if (a) {
		m->stats.rmap_bytes += sizeof(*a);
		rmap_note_peak(m);
	}
	return a;
}

static void alias_put(struct vm_machine *m, struct mi_alias *a)
{
	m->stats.rmap_bytes -= sizeof(*a);
	slab_free(m, &m->slab_rmap[1], a);
}

/* a new entry a: page f is mapped at vpn by count PTEs */
static void alias_add(struct vm_machine *m, struct mi_family *fam, struct vm_frame *f,
		      struct mi_alias *a, uint64_t vpn, uint32_t count)
{
	a->pfn = (uint32_t)frame_pfn(m, f);
	a->vpn = vpn;
	a->count = count;
	alias_link(fam, a);
	fam->nr_aliases++;
}

/* entry a goes */
static void alias_del(struct vm_machine *m, struct mi_family *fam, struct mi_alias *a)
{
	rb_erase(&a->rb, &fam->aliases);
	fam->nr_aliases--;
	alias_put(m, a);
}

/* one more offset of a page counted (stats.rmap_aliases: the offsets of
 * aliased pages beyond their first), or one less */
static void aliases_account(struct vm_machine *m, int n)
{
	m->stats.rmap_aliases += (uint64_t)(int64_t)n;
	if (n > 0)
		m->stats.rmap_aliases_made += (uint64_t)n;
}

/*
 * Aliased page f may have one entry left: it folds back into its word
 * (that offset's PTEs are then all of its PTEs); with none left (no PTE),
 * the word says so no more.
 */
static void offsets_fold(struct vm_machine *m, struct mi_family *fam, struct vm_frame *f)
{
	uint32_t pfn = (uint32_t)frame_pfn(m, f);
	struct mi_alias *a = alias_next(fam, pfn, 0), *b;

	if (!a) {
		f->rmap &= ~MI_ALIASED;
		return;
	}
	b = rb_alias(rb_next(&a->rb));
	if (b && b->pfn == pfn)
		return;
	f->rmap = (f->rmap & ~(MI_VPN_MASK | MI_ALIASED)) | a->vpn;
	alias_del(m, fam, a);
}

/* one PTE less maps aliased page f at vpn */
static void offsets_sub(struct vm_machine *m, struct mi_family *fam, struct vm_frame *f,
			uint64_t vpn)
{
	struct mi_alias *a = alias_find(fam, (uint32_t)frame_pfn(m, f), vpn);

	VM_BUG_ON(!a);
	if (!a || --a->count)
		return;
	alias_del(m, fam, a);
	aliases_account(m, -1);
	offsets_fold(m, fam, f);
}

/*
 * One more PTE maps f at vpn, where others maps it (before: how many,
 * this one not included).  A page at one offset whose new PTE is at
 * another becomes aliased: an entry for each offset (two objects); an
 * aliased page at a new offset takes one more entry.  => false when no
 * object could be had (nothing changed then)
 */
static bool offsets_add(struct vm_machine *m, struct mi_family *fam, struct vm_frame *f,
			uint64_t vpn, uint32_t before)
{
	struct mi_alias *a, *b;

	if (!(f->rmap & MI_ALIASED)) {
		if (vpn == frame_vpn(f))
			return true;
		a = alias_get(m);
		b = a ? alias_get(m) : NULL;
		if (!b) {
			if (a)
				alias_put(m, a);
			return false;
		}
		alias_add(m, fam, f, a, frame_vpn(f), before);
		alias_add(m, fam, f, b, vpn, 1);
		f->rmap = (f->rmap & ~MI_VPN_MASK) | MI_ALIASED;
		aliases_account(m, 1);
		return true;
	}
	a = alias_find(fam, (uint32_t)frame_pfn(m, f), vpn);
	if (a) {
		a->count++;
		return true;
	}
	a = alias_get(m);
	if (!a)
		return false;
	alias_add(m, fam, f, a, vpn, 1);
	aliases_account(m, 1);
	return true;
}

/* no memory for an entry f needs: its offsets are dropped, its walks
 * scan its family */
static void offsets_drop(struct vm_machine *m, struct mi_family *fam, struct vm_frame *f)
{
	uint32_t pfn = (uint32_t)frame_pfn(m, f);
	struct mi_alias *a;
	int n = 0;

	while ((f->rmap & MI_ALIASED) && (a = alias_next(fam, pfn, 0))) {
		alias_del(m, fam, a);
		n++;
	}
	if (n)
		aliases_account(m, -(n - 1));
	f->rmap = (f->rmap & ~(MI_VPN_MASK | MI_ALIASED)) | MI_VPN_SCAN;
}

/* ---------------- per PTE ---------------- */

static void mi_page_add_new_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	VM_BUG_ON(f->rmap || !mi_mm(vma->mm)->fam);
	word_set(vma->mm->machine, f, mi_mm(vma->mm)->fam, addr >> PAGE_SHIFT);
}

/*
 * A swap-cache page gains the PTE at addr: its first takes that offset;
 * a later one at an offset it does not have yet needs entries, and this
 * hook may not fail: without memory the page goes to MI_VPN_SCAN.
 */
static void mi_page_add_anon(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	struct vm_machine *m = vma->mm->machine;
	struct mi_family *fam = mi_mm(vma->mm)->fam;

	if (f->mapcount == 1 || !f->rmap) {
		word_set(m, f, fam, addr >> PAGE_SHIFT);
		return;
	}
	VM_BUG_ON(frame_family(m, f) != fam);
	if (frame_vpn(f) == MI_VPN_SCAN)
		return;
	if (!offsets_add(m, fam, f, addr >> PAGE_SHIFT, (uint32_t)f->mapcount - 1))
		offsets_drop(m, fam, f);
}

static void mi_page_remove(struct vm_frame *f, struct vm_area *vma, uint64_t addr)
{
	struct vm_machine *m = vma->mm->machine;

	if (!(f->flags & PG_ANON) || !f->rmap)
		return;
	if (f->rmap & MI_ALIASED)
		offsets_sub(m, frame_family(m, f), f, addr >> PAGE_SHIFT);
	if (f->mapcount == 0) {
		VM_BUG_ON(f->rmap & MI_ALIASED);
		word_clear(m, f);
	}
}

/* fork: dst maps f at addr as src does; on an aliased page that offset's
 * entry counts one PTE more (the map count is raised after this hook) */
static int mi_page_dup(struct vm_frame *f, struct vm_area *dst, struct vm_area *src,
		       uint64_t addr)
{
	struct vm_machine *m = src->mm->machine;
	struct mi_alias *a;

	if (!(f->flags & PG_ANON) || !(f->rmap & MI_ALIASED))
		return 0;
	VM_BUG_ON(mi_mm(dst->mm)->fam != frame_family(m, f));
	a = alias_find(frame_family(m, f), (uint32_t)frame_pfn(m, f), addr >> PAGE_SHIFT);
	VM_BUG_ON(!a);
	if (a)
		a->count++;
	return 0;
}

/* migration: nf took old's place (its word was copied); its entries are
 * re-keyed to nf's frame */
static void mi_page_repoint(struct vm_frame *old, struct vm_frame *nf)
{
	struct vm_machine *m;
	struct mi_family *fam;
	uint32_t opfn, npfn;
	struct mi_alias *a;

	if (!(nf->flags & PG_ANON) || !(nf->rmap & MI_ALIASED))
		return;
	m = ((struct anon_id *)nf->mapping)->m;
	fam = frame_family(m, nf);
	opfn = (uint32_t)frame_pfn(m, old);
	npfn = (uint32_t)frame_pfn(m, nf);
	while ((a = alias_next(fam, opfn, 0))) {
		rb_erase(&a->rb, &fam->aliases);
		a->pfn = npfn;
		alias_link(fam, a);
	}
}

/* ---------------- mremap ---------------- */

struct mi_move {
	struct vm_machine *m;
	struct mi_family *fam;       /* the mm's family */
	uint64_t delta;              /* new vpn - old vpn (mod 2^64) */
	uint64_t need;               /* prepare: entry objects the move may need */
};

static struct vm_frame *pte_anon_frame(struct vm_machine *m, pte_t *pte)
{
	struct vm_frame *f = pfn_frame(m, pte_pfn(*pte));

	return (f->flags & PG_ANON) && f->rmap && frame_vpn(f) != MI_VPN_SCAN ? f : NULL;
}

/* what move_one may take for the PTE: an aliased page one entry, a page
 * shared at one offset two, a page mapped once none */
static int move_count(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct mi_move *mv = arg;
	struct vm_frame *f;

	mv->m->stats.rmap_repoint_ptes++;
	f = pte_anon_frame(mv->m, pte);
	if (f && (f->rmap & MI_ALIASED))
		mv->need += 1;
	else if (f && f->mapcount > 1)
		mv->need += 2;
	return 0;
}

static void reserve_release(struct vm_machine *m)
{
	struct mi_machine *p = mi_priv(m);

	while (p->reserve) {
		struct mi_alias *a = p->reserve;

		p->reserve = (struct mi_alias *)a->rb.left;
		p->nr_reserve--;
		alias_put(m, a);
	}
}

/*
 * The PTEs of [old_addr, +len) are about to move: the entry objects they
 * may need, set aside.  => 0, or -ENOMEM with nothing kept
 */
static int mi_move_prepare(struct vm_area *old_vma, uint64_t old_addr,
			   struct vm_area *new_vma, uint64_t new_addr, uint64_t len)
{
	struct vm_machine *m = old_vma->mm->machine;
	struct mi_machine *p = mi_priv(m);
	struct mi_move mv = { m, NULL, 0, 0 };

	walk_ptes(old_vma->mm, old_addr, old_addr + len, move_count, &mv);
	while (p->nr_reserve < mv.need) {
		struct mi_alias *a = slab_alloc(m, &m->slab_rmap[1]);

		if (!a) {
			reserve_release(m);
			return -ENOMEM;
		}
		m->stats.rmap_bytes += sizeof(*a);
		rmap_note_peak(m);
		a->rb.left = (struct rb_node *)p->reserve;
		p->reserve = a;
		p->nr_reserve++;
	}
	return 0;
}

/* one moved PTE of page f: from offset vo to vn */
static int move_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct mi_move *mv = arg;
	struct vm_machine *m = mv->m;
	struct mi_family *fam = mv->fam;
	struct vm_frame *f = pte_anon_frame(m, pte);
	uint64_t vn = addr >> PAGE_SHIFT, vo = vn - mv->delta;
	struct mi_alias *ao;
	uint32_t pfn;

	m->stats.rmap_repoint_ptes++;
	if (!f)
		return 0;
	VM_BUG_ON(frame_family(m, f) != fam);
	pfn = (uint32_t)frame_pfn(m, f);
	if (!(f->rmap & MI_ALIASED)) {
		VM_BUG_ON(frame_vpn(f) != vo);
		if (f->mapcount == 1) {
			/* mapped by this PTE only: the offset moves */
			f->rmap = (f->rmap & ~MI_VPN_MASK) | vn;
			m->stats.rmap_repointed++;
		} else if (!offsets_add(m, fam, f, vn, (uint32_t)f->mapcount - 1)) {
			offsets_drop(m, fam, f);    /* not reached: prepare set two aside */
		}
		/* else: now an entry for vo (the others) and one for vn (this) */
		return 0;
	}
	ao = alias_find(fam, pfn, vo);
	VM_BUG_ON(!ao);
	if (ao && ao->count == 1 && !alias_find(fam, pfn, vn)) {
		/* this PTE was that offset's only one: the entry moves */
		rb_erase(&ao->rb, &fam->aliases);
		ao->vpn = vn;
		alias_link(fam, ao);
		m->stats.rmap_repointed++;
		return 0;
	}
	if (!offsets_add(m, fam, f, vn, (uint32_t)f->mapcount - 1))
		offsets_drop(m, fam, f);            /* not reached: prepare set one aside */
	else
		offsets_sub(m, fam, f, vo);
	return 0;
}

static void mi_move_done(struct vm_area *old_vma, uint64_t old_addr,
			 struct vm_area *new_vma, uint64_t new_addr, uint64_t len)
{
	struct vm_machine *m = new_vma->mm->machine;
	struct mi_move mv = { m, mi_mm(new_vma->mm)->fam,
			      (new_addr >> PAGE_SHIFT) - (old_addr >> PAGE_SHIFT), 0 };

	if (mv.delta && mv.fam)
		walk_ptes(new_vma->mm, new_addr, new_addr + len, move_one, &mv);
	reserve_release(m);
}

/* ---------------- the walk ---------------- */

/* vma covers offset vpn: look at it, probe its PTE if it may hold anonymous
 * pages.  => the visitor's verdict */
static int probe(struct vm_machine *m, struct vm_frame *f, struct vm_area *v, uint64_t vpn,
		 rmap_visit_fn fn, void *arg)
{
	if (!v->anon) {
		m->stats.rmap_vmas_visited++;
		return 0;
	}
	return rmap_one_at(m, f, v, vpn << PAGE_SHIFT, fn, arg);
}

/* inode->i_mmap->vmas: every VMA of the family covering offset vpn */
static int stab(struct vm_machine *m, struct mi_family *fam, struct vm_frame *f, uint64_t vpn,
		rmap_visit_fn fn, void *arg)
{
	struct itree_node *it;
	int ret = 0;

	for (it = itree_iter_first(&fam->vmas, vpn, vpn); it && !ret;
	     it = itree_iter_next(it, vpn, vpn))
		ret = probe(m, f, vma_of_tail(container_of(it, struct mi_vma, node)), vpn, fn,
			    arg);
	return ret;
}

struct mi_scan {
	struct vm_machine *m;
	struct vm_area *vma;         /* the VMA being scanned */
	uint64_t pfn;                /* the page looked for */
	rmap_visit_fn fn;            /* the walk's visitor */
	void *arg;
};

static int scan_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct mi_scan *s = arg;

	s->m->stats.rmap_ptes_visited++;
	if (pte_pfn(*pte) != s->pfn)
		return 0;
	s->m->stats.rmap_ptes_found++;
	return s->fn(s->vma, addr, pte, s->arg);
}

/* a page whose offsets were dropped: every present PTE of the family */
static int scan_family(struct vm_machine *m, struct mi_family *fam, struct vm_frame *f,
		       rmap_visit_fn fn, void *arg)
{
	struct mi_scan s = { m, NULL, frame_pfn(m, f), fn, arg };
	struct itree_node *it;
	int ret = 0;

	m->stats.rmap_fallbacks++;
	for (it = itree_iter_first(&fam->vmas, 0, UINT64_MAX); it && !ret;
	     it = itree_iter_next(it, 0, UINT64_MAX)) {
		s.vma = vma_of_tail(container_of(it, struct mi_vma, node));
		m->stats.rmap_vmas_visited++;
		if (s.vma->anon)
			ret = walk_ptes(s.vma->mm, s.vma->start, s.vma->end, scan_one, &s);
	}
	return ret;
}

/*
 * Each offset of the page, in ascending order: its word's, or its entries'.
 * The visitor may unmap what it is shown: an entry may go (the next one
 * is looked up again each time, from the last offset visited), and an
 * aliased page may fold back to its word, whose offset is then one not
 * visited yet if it is above the last one visited.  So each PTE is visited
 * once.
 */
static int mi_walk_anon(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg)
{
	struct mi_family *fam = frame_family(m, f);
	uint32_t pfn = (uint32_t)frame_pfn(m, f);
	uint64_t cursor = 0, vpn;
	int ret;

	if (!fam)
		return 0;
	if (frame_vpn(f) == MI_VPN_SCAN)
		return scan_family(m, fam, f, fn, arg);
	for (;;) {
		if (f->rmap & MI_ALIASED) {
			struct mi_alias *a = alias_next(fam, pfn, cursor);

			if (!a)
				return 0;
			vpn = a->vpn;
		} else if (f->rmap && frame_vpn(f) >= cursor) {
			vpn = frame_vpn(f);
		} else {
			return 0;
		}
		cursor = vpn + 1;
		ret = stab(m, fam, f, vpn, fn, arg);
		if (ret)
			return ret;
	}
}

/* ---------------- checking ---------------- */

static bool failv(char *why, size_t len, const char *what, const struct vm_area *v)
{
	snprintf(why, len, "mminode: [%#llx,%#llx) of pid %d %s", (unsigned long long)v->start,
		 (unsigned long long)v->end, v->mm->id, what);
	return false;
}

static bool failf(char *why, size_t len, const char *what, uint64_t pfn)
{
	snprintf(why, len, "mminode: pfn %llu %s", (unsigned long long)pfn, what);
	return false;
}

/* fam is the family of a live address space, or the fallback one */
static bool family_live(struct vm_machine *m, const struct mi_family *fam)
{
	struct list_head *p;

	if (fam == &mi_priv(m)->fallback)
		return true;
	list_for_each(p, &m->mms)
		if (mi_mm(list_entry(p, struct vm_mm, node))->fam == fam)
			return true;
	return false;
}

/* a private VMA is in its family's tree with its range; a shared one in none */
static bool mi_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	const struct itree_node *n = &mi_vma(vma)->node;
	const struct mi_family *fam = mi_mm(vma->mm)->fam;
	char inner[160];

	if (!vma_private(vma)) {
		if (n->start || n->last || n->rb.parent_color || n->rb.left || n->rb.right)
			return failv(why, len, "is shared but has a tree node", vma);
		return true;
	}
	if (!fam)
		return failv(why, len, "is private but its address space has no family", vma);
	if (n->start != vma->start >> PAGE_SHIFT || n->last != (vma->end >> PAGE_SHIFT) - 1)
		return failv(why, len, "has a tree node of another range", vma);
	if (!itree_check_path(&fam->vmas, n, inner, sizeof(inner))) {
		snprintf(why, len, "mminode: [%#llx,%#llx) of pid %d is not in its family's "
			 "tree as it should be (%s)", (unsigned long long)vma->start,
			 (unsigned long long)vma->end, vma->mm->id, inner);
		return false;
	}
	return true;
}

/* the PTEs of fam's VMAs that map pfn at offset vpn (all of them, those
 * without an anonymous identity too); *stray: found in one of those */
static uint64_t count_at(struct vm_machine *m, const struct mi_family *fam, uint64_t pfn,
			 uint64_t vpn, bool *stray)
{
	struct itree_node *it;
	uint64_t n = 0;

	for (it = itree_iter_first(&fam->vmas, vpn, vpn); it; it = itree_iter_next(it, vpn, vpn)) {
		struct vm_area *v = vma_of_tail(container_of(it, struct mi_vma, node));
		pte_t *pte = pte_lookup(v->mm, vpn << PAGE_SHIFT);

		if (pte && pte_present(*pte) && pte_pfn(*pte) == pfn) {
			n++;
			if (!v->anon)
				*stray = true;
		}
	}
	return n;
}

/*
 * A mapped anonymous page names a live family; its PTEs in the family's
 * VMAs at its primary offset and at each alias offset are exactly what its
 * counts say and add up to its map count (so no PTE maps it elsewhere);
 * any other frame's word is 0.
 */
static bool mi_check_frame(struct vm_machine *m, const struct vm_frame *f, char *why,
			   size_t len)
{
	uint64_t pfn = frame_pfn(m, f), field = f->rmap >> MI_SLOT_SHIFT, prim, n;
	const struct vm_slab *s = &m->slab_rmap[0];
	struct mi_family *fam;
	struct mi_alias *a;
	bool stray = false;

	if (!(f->flags & PG_ANON))
		return true;
	if (f->mapcount <= 0) {
		if (f->rmap)
			return failf(why, len, "is mapped by no PTE but names a family", pfn);
		return true;
	}
	fam = fam_of_field(m, field);
	if (!fam)
		return failf(why, len, "is mapped but names no family", pfn);
	if (field != MI_SLOT_FALLBACK) {
		const struct vm_frame *sf = pfn_frame(m, (field - 1) / s->per_frame);

		if (!(sf->flags & PG_SLAB) || sf->mapping != s)
			return failf(why, len, "names a family slot that is no family", pfn);
	}
	if (!family_live(m, fam))
		return failf(why, len, "names a family of no address space", pfn);
	prim = frame_vpn(f);
	a = alias_next(fam, (uint32_t)pfn, 0);
	if (prim == MI_VPN_SCAN) {
		if ((f->rmap & MI_ALIASED) || a)
			return failf(why, len, "is scanned for but has offset entries", pfn);
		return true;
	}
	if (!(f->rmap & MI_ALIASED)) {
		if (a)
			return failf(why, len, "has offset entries but no MI_ALIASED", pfn);
		n = count_at(m, fam, pfn, prim, &stray);
	} else {
		struct mi_alias *b = a ? rb_alias(rb_next(&a->rb)) : NULL;

		if (prim || !a || !b || b->pfn != pfn)
			return failf(why, len, "is MI_ALIASED without two offset entries (or with "
				     "an offset in its word)", pfn);
		for (n = 0; a && a->pfn == pfn; a = rb_alias(rb_next(&a->rb))) {
			if (a->count == 0 || count_at(m, fam, pfn, a->vpn, &stray) != a->count) {
				snprintf(why, len, "mminode: pfn %llu: its entry at vpn %#llx counts "
					 "%u PTEs, wrong", (unsigned long long)pfn,
					 (unsigned long long)a->vpn, a->count);
				return false;
			}
			n += a->count;
		}
	}
	if (stray)
		return failf(why, len, "is mapped by a VMA without anonymous identity", pfn);
	if (n != (uint64_t)f->mapcount) {
		snprintf(why, len, "mminode: pfn %llu: %llu PTEs at its offsets, map count %d "
			 "(a PTE at an offset not recorded)", (unsigned long long)pfn,
			 (unsigned long long)n, f->mapcount);
		return false;
	}
	return true;
}

/* one family: its counts, its tree's VMAs all its own, its alias entries
 * of its own pages.  => the VMAs and entries it holds in *vmas, *aliases */
static bool check_family(struct vm_machine *m, struct mi_family *fam, uint64_t mms,
			 uint64_t vmas, uint64_t *aliases, uint64_t *pages, char *why, size_t len)
{
	uint64_t last = UINT64_MAX;
	struct itree_node *it;
	struct rb_node *r;
	uint64_t n = 0;

	if (fam->nr_mms != mms) {
		snprintf(why, len, "mminode: a family counts %u address spaces, %llu name it",
			 fam->nr_mms, (unsigned long long)mms);
		return false;
	}
	if (!itree_check(&fam->vmas, why, len) || !rb_check(&fam->aliases, why, len))
		return false;
	for (it = itree_iter_first(&fam->vmas, 0, UINT64_MAX); it;
	     it = itree_iter_next(it, 0, UINT64_MAX)) {
		struct vm_area *v = vma_of_tail(container_of(it, struct mi_vma, node));

		if (mi_mm(v->mm)->fam != fam || !vma_private(v))
			return failv(why, len, "is in a family tree not its own", v);
		if (++n > vmas)
			break;
	}
	if (n != vmas || fam->nr_vmas != vmas) {
		snprintf(why, len, "mminode: a family's tree holds %llu VMAs, it counts %u, its "
			 "address spaces have %llu private ones", (unsigned long long)n,
			 fam->nr_vmas, (unsigned long long)vmas);
		return false;
	}
	n = 0;
	for (r = rb_first(&fam->aliases); r; r = rb_next(r)) {
		struct mi_alias *a = rb_alias(r);
		struct vm_frame *f = a->pfn < m->nr_frames ? pfn_frame(m, a->pfn) : NULL;

		if (!f || !(f->flags & PG_ANON) || f->mapcount <= 0 || frame_family(m, f) != fam ||
		    !(f->rmap & MI_ALIASED) || frame_vpn(f) == MI_VPN_SCAN || a->count == 0) {
			snprintf(why, len, "mminode: an offset entry (pfn %u, vpn %#llx) is not of a "
				 "page of its family", a->pfn, (unsigned long long)a->vpn);
			return false;
		}
		*pages += a->pfn != last;
		last = a->pfn;
		n++;
	}
	if (n != fam->nr_aliases) {
		snprintf(why, len, "mminode: a family holds %llu offset entries, counts %llu",
			 (unsigned long long)n, (unsigned long long)fam->nr_aliases);
		return false;
	}
	*aliases += n;
	return true;
}

/*
 * The whole structure: every family of an address space (met at its first
 * one) and the fallback one sound; as many families and alias objects as
 * the slabs hold; every mapped anonymous page's offsets right; the metadata
 * bytes exactly the tails, families, entries and words.
 */
static bool mi_check_machine(struct vm_machine *m, char *why, size_t len)
{
	struct mi_machine *priv = mi_priv(m);
	uint64_t mms = 0, fams = 0, aliases = 0, pages = 0, words = 0, bytes;
	struct list_head *p, *q;
	bool fallback_seen = false;

	list_for_each(p, &m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);
		struct mi_family *fam = mi_mm(mm)->fam;
		uint64_t nmm = 0, nvmas = 0;
		bool first = true;

		mms++;
		if (!fam)
			continue;
		list_for_each(q, &m->mms) {            /* met first here? */
			struct vm_mm *o = list_entry(q, struct vm_mm, node);

			if (o == mm)
				break;
			if (mi_mm(o)->fam == fam) {
				first = false;
				break;
			}
		}
		if (!first)
			continue;
		for (q = p; q != &m->mms; q = q->next) {
			struct vm_mm *o = list_entry(q, struct vm_mm, node);

			if (mi_mm(o)->fam != fam)
				continue;
			nmm++;
			for (struct vm_area *v = o->first; v; v = v->next)
				nvmas += vma_private(v);
		}
		if (fam == &priv->fallback)
			fallback_seen = true;
		else
			fams++;
		if (!check_family(m, fam, nmm, nvmas, &aliases, &pages, why, len))
			return false;
	}
	if (!fallback_seen &&
	    !check_family(m, &priv->fallback, 0, 0, &aliases, &pages, why, len))
		return false;
	if (fams != m->slab_rmap[0].objects) {
		snprintf(why, len, "mminode: %llu families named, %llu in the slab",
			 (unsigned long long)fams, (unsigned long long)m->slab_rmap[0].objects);
		return false;
	}
	if (aliases - pages != m->stats.rmap_aliases ||
	    aliases + priv->nr_reserve != m->slab_rmap[1].objects) {
		snprintf(why, len, "mminode: %llu offset entries of %llu aliased pages in the "
			 "families, %llu aliases counted, %llu objects in the slab",
			 (unsigned long long)aliases, (unsigned long long)pages,
			 (unsigned long long)m->stats.rmap_aliases,
			 (unsigned long long)m->slab_rmap[1].objects);
		return false;
	}
	for (uint64_t pfn = 1; (pfn = pfn_skip_deferred(m, pfn)) < m->nr_frames; pfn++) {
		const struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY) {
			pfn += (1ULL << (f->flags >> PG_ORDER_SHIFT)) - 1;
			continue;
		}
		if (!(f->flags & PG_ANON))
			continue;
		if (!mi_check_frame(m, f, why, len))
			return false;
		words += f->rmap != 0;
	}
	bytes = m->stats.nr_vmas * sizeof(struct mi_vma) + mms * sizeof(struct mi_mm) +
		fams * sizeof(struct mi_family) +
		(aliases + priv->nr_reserve) * sizeof(struct mi_alias) + words * sizeof(uint64_t);
	if (bytes != m->stats.rmap_bytes) {
		snprintf(why, len, "mminode: %llu metadata bytes counted, %llu held (%llu VMAs, "
			 "%llu mms, %llu families, %llu offset entries, %llu words)",
			 (unsigned long long)m->stats.rmap_bytes, (unsigned long long)bytes,
			 (unsigned long long)m->stats.nr_vmas, (unsigned long long)mms,
			 (unsigned long long)fams, (unsigned long long)aliases,
			 (unsigned long long)words);
		return false;
	}
	return true;
}

static void mi_objects(const struct vm_machine *m,
		       void (*emit)(const char *type, uint64_t count, void *arg), void *arg)
{
	emit("mm_family", m->slab_rmap[0].objects, arg);
	emit("offset_entry", m->slab_rmap[1].objects - mi_priv(m)->nr_reserve, arg);
}

static int mi_init(struct vm_machine *m)
{
	m->rmap_priv = calloc(1, sizeof(struct mi_machine));
	if (!m->rmap_priv)
		return -ENOMEM;
	slab_init(&m->slab_rmap[0], "mm_family", sizeof(struct mi_family));
	slab_init(&m->slab_rmap[1], "mm_alias", sizeof(struct mi_alias));
	return 0;
}

static void mi_fini(struct vm_machine *m)
{
	free(m->rmap_priv);
	m->rmap_priv = NULL;
}

const struct rmap_ops rmap_mminode_ops = {
	.name = "mminode",
	.init = mi_init,
	.fini = mi_fini,
	.vma_tail = sizeof(struct mi_vma),
	.mm_tail = sizeof(struct mi_mm),
	.mm_exit = mi_mm_exit,
	.vma_add = mi_vma_add,
	.vma_del = mi_vma_del,
	.vma_fork = mi_vma_fork,
	.page_add_new_anon = mi_page_add_new_anon,
	.page_add_anon = mi_page_add_anon,
	.page_remove = mi_page_remove,
	.page_dup = mi_page_dup,
	.page_repoint = mi_page_repoint,
	.move_prepare = mi_move_prepare,
	.move_done = mi_move_done,
	.pre_update = mi_pre_update,
	.post_update = mi_post_update,
	.check_vma = mi_check_vma,
	.check_frame = mi_check_frame,
	.check_machine = mi_check_machine,
	.walk_anon = mi_walk_anon,
	.objects = mi_objects,
};
