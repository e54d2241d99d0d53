/*
 * rmap/vmainode.h - the objects and tails of the `vmainode` scheme
 * (rmap/vmainode.c says what they are), for the scheme and for its
 * corruption test (tests/t_rmap.c); nothing else names them.
 */
#ifndef REVMAP_RMAP_VMAINODE_H
#define REVMAP_RMAP_VMAINODE_H

#include <stddef.h>
#include "scheme.h"

#define VNODE_LIVE  0x80000000u    /* vnode.flags: in use (a free slab object's first
				      word is a small offset, never this bit) */
#define VNODE_ROOT  0x40000000u    /* the family's root, in the root anon_id's tail */

/*
 * LaHaise's "per-vma inode": an anonymous object, a node of its fork
 * family's tree.  Roots live in the tail of the family's root anon_id;
 * the objects fork makes are slab objects (m->slab_rmap[0]).
 * Invariants (the checker's): a root (VNODE_ROOT) has no parent; nr_children,
 * nr_vmas and nr_pages are the lengths of children, vmas and the frames
 * whose rmap word names it; every VMA mapping a page of the object is
 * attached to an object of its subtree; a slab object with no VMAs and no
 * pages has at least two children (else it is freed or spliced out).
 * [anon root lock of the family]
 */
struct vnode {
	uint32_t flags;              /* VNODE_LIVE, VNODE_ROOT */
	uint32_t nr_vmas;            /* VMAs attached (on vmas) */
	uint32_t nr_children;        /* objects on children */
	uint32_t nr_pages;           /* frames whose rmap word names it */
	struct list_head children;   /* the objects shadowing it */
	struct list_head vmas;       /* the VMAs whose new pages come here (vn_vma.node) */
	/* a root ends here (VNODE_ROOT_SIZE bytes: it has no parent) */
	struct vnode *parent;        /* the object it shadows */
	struct list_head sibling;    /* in parent->children */
};

#define VNODE_ROOT_SIZE offsetof(struct vnode, parent)

/* n's parent: NULL for a root, which has no such field */
static inline struct vnode *vnode_parent(const struct vnode *n)
{
	return n->flags & VNODE_ROOT ? NULL : n->parent;
}

/* the tail of every VMA: the object its new anonymous pages go to */
struct vn_vma {
	struct vnode *obj;           /* NULL until its first anonymous page (or a fork,
				        a split, a copy, a merge hands it one) */
	struct list_head node;       /* in obj->vmas */
};

_Static_assert(sizeof(struct vnode) == 72, "an object is 72 bytes");
_Static_assert(VNODE_ROOT_SIZE == 48, "a root is 48 bytes");
_Static_assert(sizeof(struct vn_vma) == 24, "a VMA's tail is 24 bytes");

#endif
