/*
 * rmap/astree.h - the objects of the `astree` scheme (rmap/astree.c says
 * what they are), for the scheme and for its corruption test
 * (tests/t_rmap.c); nothing else names them.
 */
#ifndef REVMAP_RMAP_ASTREE_H
#define REVMAP_RMAP_ASTREE_H

#include "scheme.h"

/*
 * Lokier's address_space for anonymous pages: a node of the tree.  Its own
 * slab object (m->slab_rmap[0]).  A live space is either in the tree (fwd
 * NULL) or a forwarding stub left by a merge (fwd set: no parent, no
 * children, no refs; only pages and other stubs still name it).
 */
struct as_space {
	struct as_space *parent;     /* the space it shadows (Lokier's parent), NULL for a root */
	struct as_space *fwd;        /* merged away: the space its pages now belong to */
	struct list_head children;   /* its child spaces, by their sibling link */
	struct list_head sibling;    /* in parent->children */
	struct list_head refs;       /* the VMA ranges that use it directly (as_ref.on_space) */
	struct list_head pending;    /* on the machine's list of spaces to settle (cut,
				        merge, free) when the layout is quiet; empty if not */
	uint64_t nr_pages;           /* frames whose rmap word names it (mapped pages) */
	uint64_t anc;                /* present PTEs, through its refs, of pages whose space
				        is a strict ancestor: while 0 in a whole subtree,
				        that subtree needs no parent (the cut) */
	uint32_t depth;              /* spaces from it to its root, itself included (root: 1) */
	uint32_t nr_refs;            /* refs on its refs list */
	uint32_t nr_children;        /* spaces on its children list */
	uint32_t nr_stubs;           /* stubs whose fwd is it */
	uint32_t flags;              /* AS_ORPHAN */
	uint32_t mark;               /* the checker's: last pass that met it */
};

#define AS_ORPHAN   1u           /* the machine's fallback root: never freed */

/*
 * A VMA's range of page indices whose pages it finds through one space:
 * UVM's aref into an amap, kept because Linux merges VMAs that point to
 * different spaces.  One lives in each VMA's tail (the first); more are
 * slab objects (m->slab_rmap[1]).
 */
struct as_ref {
	struct vm_area *vma;         /* the VMA, NULL when this slot is free */
	struct as_space *space;      /* the space (never a stub) */
	uint64_t lo, hi;             /* page indices [lo, hi) (linear, as f->index) */
	struct list_head on_vma;     /* in the VMA's refs list */
	struct list_head on_space;   /* in space->refs */
	uint32_t flags;              /* AS_FORKED, AS_EMBEDDED */
	uint32_t unused;             /* padding */
};

#define AS_FORKED   1u           /* Lokier's flag: the next new page here makes a new space */
#define AS_EMBEDDED 2u           /* the slot in the VMA's tail, not a slab object */

/* the tail of every VMA */
struct as_vma {
	struct list_head refs;       /* its refs, disjoint index ranges, unordered
				        [mmap_lock + the tree's lock] */
	struct as_ref first;         /* storage for one ref (free: vma NULL) */
};

/* the tail of every address space: the range of the VMA being updated */
struct as_mm {
	uint64_t old_lo;             /* its first page index before the update */
	uint64_t old_hi;             /* one past its last */
};

_Static_assert(sizeof(struct as_space) == 120, "a space is 120 bytes");
_Static_assert(sizeof(struct as_ref) == 72, "a ref is 72 bytes");
_Static_assert(sizeof(struct as_vma) == 88, "a VMA's tail is 88 bytes");

#endif
