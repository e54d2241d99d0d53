/*
 * rmap/anonvma.c - the `anonvma` scheme: Andrea Arcangeli's anon_vma as
 * Linux had it from 2.6.7 to 2.6.33 (mm/rmap.c, include/linux/rmap.h),
 * before anon_vma_chain.
 *
 * How it finds a page's mappings.  One anon_vma per original VMA, made at
 * its first anonymous fault (anon_vma_prepare; shared with an adjacent VMA
 * that could merge with it, find_mergeable_anon_vma) and shared by every
 * VMA forked or split from it: fork puts the child's VMA on its parent's
 * anon_vma's list (anon_vma_link, dup_mmap), a split puts the new half on
 * it, a merge takes the removed VMA off (__anon_vma_merge), unmap and exit
 * take a VMA off (anon_vma_unlink) and the last one frees the anon_vma.
 * An anonymous page points at its anon_vma and keeps its linear index;
 * the walk visits every VMA on the list, whoever maps the page, and looks
 * at the page's address in each (vma_address), skipping a VMA whose range
 * cannot hold it:
 *
 *    page --mapping--> anon_vma --list--> VMA, VMA, VMA ... (the whole family)
 *                        address = vma->start + ((index - vma->pgoff) << 12)
 *
 * There are no chains: the list is one per fork family and grows with
 * every fork and every split in the family, so a page made by one child
 * after the fork is looked for in every VMA of its parent, its siblings
 * and their descendants too.
 *
 * How it sits on mm/'s identity (mm/anon.c, Linux 6.18's anon_vma and
 * anon_vma_chain, which decides the layout for every scheme).  6.18 gives
 * every forked VMA an anon_vma of its own, all of one family sharing a
 * root; 2.6.7 had the one anon_vma per family, the root's.  So:
 *
 *   - the anon_vma is the tail of the family's root anon_id (struct
 *     anonvma_head: the list head); a page's anon_vma is its anon_id's
 *     root (page->mapping is 6.18's anon_id, mm/'s own, so the scheme
 *     keeps no word per page);
 *   - a VMA is on its family root's list exactly while it has an anon
 *     identity: it joins at its first link (anon_prepare, fork, split,
 *     mremap's copy, a merge or mprotect handing it a neighbour's
 *     identity) and leaves at the first link_del, since mm/ drops a VMA's
 *     links all together (unlink_anon_vmas); its place on the list is the
 *     tail of the VMA (struct anonvma_vma: anon_vma_node).  2.6.7's
 *     vm_area_struct also had an anon_vma pointer: that is mm/'s vma->anon
 *     here (6.18's; its root is 2.6.7's), so the scheme keeps no pointer;
 *   - a VMA's links are all of one family (its own anon_id and its fork
 *     ancestors'), and it stays in that family while it has any: a VMA
 *     changes family only through having none in between (mremap's
 *     MREMAP_DONTUNMAP leaves the old VMA without identity, and its next
 *     fault gives it a new one or a neighbour's), so it leaves one list
 *     and later joins another.  A link of another family to a VMA that is
 *     on a list would be a layout 2.6.7 cannot express (one list per VMA):
 *     VM_BUG_ON, and the checker says so;
 *   - the list is guarded by the anon root lock, which is the root
 *     anon_id's, that is the anon_vma's own lock as in 2.6.7.
 *
 * Cost: per page nothing (mapping and index are the frame's own); per VMA
 * 16 bytes (anon_vma_node; with mm/'s 8-byte anon pointer, 2.6.7's 24),
 * in every VMA as 2.6.7 had them in every vm_area_struct; per anon_vma 16
 * bytes (the list head; 2.6.7's was 24 with its spinlock: revmap keeps no
 * lock words).  A walk costs one VMA looked at per VMA of the family and a
 * page-table probe for each whose range holds the page's index.
 *
 * What accepting 6.18's layout costs it.  Splits, merges and moves cost
 * nothing: the list does not care about ranges (vma_address is computed
 * at walk time; mremap keeps pgoff, as 2.6.7's copy_vma did), a split's
 * new half joins, a merge's victim leaves.  What 6.18 decides otherwise:
 *   - the tail is on every anon_id, and 6.18 makes one per forked VMA
 *     where 2.6.7 made one per family: 16 dead bytes on each non-root
 *     (counted here); and because the scheme keeps a tail on them, mm/
 *     keeps the anon_ids themselves (40 bytes each, where 2.6.7 had one
 *     24-byte anon_vma per family) in the machine's frames: they count
 *     in metadata_frames, not in this scheme's rmap_bytes.  The
 *     anon_vma_chains, on which it keeps nothing, stay host memory, the
 *     simulator's record of the layout;
 *   - 6.18 merges two VMAs only with the same anon_vma, 2.6.7 with the
 *     same family: a child's two inherited VMAs made alike by mprotect
 *     stay two VMAs, two entries on the list;
 *   - 6.18 shares a neighbour's anon_vma at the first fault only if the
 *     neighbour has no fork ancestry (vma_is_fork_child), 2.6.7 shared any
 *     compatible neighbour's: a new VMA beside an inherited one starts a
 *     family of its own here, where 2.6.7 put it on the fork family's
 *     list.  Its lists are never longer for that.
 *
 * Worst workload: a long-lived prefork parent with many children, or a
 * deep fork chain.  The family's list holds every live VMA of the family
 * (each child's copy of each VMA, each piece of a split), and every walk
 * of every anonymous page of the family goes through all of it, even a
 * page that one child made after the fork and only it maps (bench rmap's
 * chain: 4,882 VMAs looked at per walk, avc 86; 10.4 bytes of metadata
 * per present PTE, avc 2,619).  2.6.7 broke off a walk once it had found
 * the page's map count (page_referenced_anon, try_to_unmap_anon); revmap's
 * walks go to the end in every scheme, so VMAs per walk is the whole list
 * here.
 *
 * File pages are found through the file's i_mmap tree, as in every scheme.
 */
#include "anonvma.h"

static struct anonvma_head *anonvma_of(struct anon_id *a)
{
	return anon_tail(a->root);
}

static struct list_head *anonvma_node(const struct vm_area *vma)
{
	return &((struct anonvma_vma *)vma_tail((struct vm_area *)vma))->node;
}

/* the family of vma's links: its oldest link's (the root's own, in fact) */
static struct anon_id *anonvma_family(const struct vm_area *vma)
{
	return list_entry(vma->anon_chain.prev, struct anon_link, same_vma)->aid->root;
}

/*
 * anon_vma_link: vma may map pages of l's anon_id; at its first link it
 * goes on the head of its family's list, as 2.6.7's list_add did.
 * => l is on vma's chain already
 */
static void anonvma_link_add(struct anon_link *l)
{
	struct list_head *node = anonvma_node(l->vma);
	struct anonvma_head *av = anonvma_of(l->aid);

	if (node->next) {
		/* a further link of a fork or a clone: the list is the family's */
		VM_BUG_ON(anonvma_family(l->vma) != l->aid->root);
		return;
	}
	if (!av->head.next)
		list_init(&av->head);
	list_add(node, &av->head);
}

/* anon_vma_unlink: the VMA's links all go together (unlink_anon_vmas), so
 * at the first the VMA leaves its list */
static void anonvma_link_del(struct anon_link *l)
{
	struct list_head *node = anonvma_node(l->vma);

	if (node->next) {
		list_del(node);
		node->next = node->prev = NULL;
	}
}

/* the root goes with the last member of its family, so its list is empty */
static void anonvma_anon_free(struct anon_id *a)
{
	struct anonvma_head *av = anon_tail(a);

	VM_BUG_ON(av->head.next && !list_empty(&av->head));
	(void)av;
}

/* page_referenced_anon / try_to_unmap_anon: the whole list, each VMA at
 * vma_address (a VMA whose range cannot hold the index is looked at and
 * skipped: vma_address's -EFAULT) */
static int anonvma_walk_anon(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn,
			     void *arg)
{
	struct anonvma_head *av = anonvma_of(f->mapping);
	struct list_head *p;
	int ret = 0;

	if (!av->head.next)
		return 0;
	for (p = av->head.next; p != &av->head && !ret; p = p->next) {
		struct vm_area *vma = vma_of_tail(list_entry(p, struct anonvma_vma, node));

		if (f->index < vma->pgoff || f->index - vma->pgoff >= vma_pages(vma)) {
			m->stats.rmap_vmas_visited++;
			continue;
		}
		ret = rmap_one(m, f, vma, fn, arg);
	}
	return ret;
}

/*
 * vma is on a list exactly when it has links; then all its links are of
 * one family and it is on that family root's list (reached from its node
 * going round, in at most as many steps as there are VMAs).
 */
static bool anonvma_check_vma(const struct vm_area *vma, char *why, size_t len)
{
	const struct list_head *node = anonvma_node(vma), *head, *p;
	const struct list_head *l;
	struct anon_id *root;
	uint64_t steps = vma->mm->machine->stats.nr_vmas;

	if (list_empty(&vma->anon_chain)) {
		if (node->next) {
			snprintf(why, len, "rmap: [%#llx,%#llx) has no anon identity but is on "
				 "an anon_vma list", (unsigned long long)vma->start,
				 (unsigned long long)vma->end);
			return false;
		}
		return true;
	}
	root = anonvma_family(vma);
	list_for_each(l, &vma->anon_chain)
		if (list_entry(l, struct anon_link, same_vma)->aid->root != root) {
			snprintf(why, len, "rmap: [%#llx,%#llx) has links of two fork families",
				 (unsigned long long)vma->start, (unsigned long long)vma->end);
			return false;
		}
	head = &anonvma_of(root)->head;
	if (!node->next || node->next->prev != node || node->prev->next != node) {
		snprintf(why, len, "rmap: [%#llx,%#llx) is not on its anon_vma's list",
			 (unsigned long long)vma->start, (unsigned long long)vma->end);
		return false;
	}
	for (p = node->next; p != head && p != node && steps; p = p->next)
		steps--;
	if (p != head) {
		snprintf(why, len, "rmap: [%#llx,%#llx) is on another anon_vma's list",
			 (unsigned long long)vma->start, (unsigned long long)vma->end);
		return false;
	}
	return true;
}

/* anon_vma: the families' lists (each has one first VMA); anon_vma_node:
 * the VMAs on them */
static void anonvma_objects(const struct vm_machine *m,
			    void (*emit)(const char *type, uint64_t count, void *arg), void *arg)
{
	uint64_t lists = 0, nodes = 0;
	const struct list_head *p;

	list_for_each(p, &m->mms) {
		const struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		for (const struct vm_area *v = mm->first; v; v = v->next) {
			const struct list_head *node = anonvma_node(v);

			if (!node->next)
				continue;
			nodes++;
			if (node->prev == &anonvma_of(anonvma_family(v))->head)
				lists++;
		}
	}
	emit("anon_vma", lists, arg);
	emit("anon_vma_node", nodes, arg);
}

static int anonvma_init(struct vm_machine *m) { return 0; }
static void anonvma_fini(struct vm_machine *m) { }

const struct rmap_ops rmap_anonvma_ops = {
	.name = "anonvma",
	.init = anonvma_init,
	.fini = anonvma_fini,
	.anon_tail = sizeof(struct anonvma_head),
	.vma_tail = sizeof(struct anonvma_vma),
	.link_add = anonvma_link_add,
	.link_del = anonvma_link_del,
	.anon_free = anonvma_anon_free,
	.check_vma = anonvma_check_vma,
	.walk_anon = anonvma_walk_anon,
	.objects = anonvma_objects,
};
