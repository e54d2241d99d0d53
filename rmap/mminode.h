/*
 * rmap/mminode.h - the `mminode` scheme's structures (rmap/mminode.c says
 * the design), for the scheme and for tests/t_rmap.c's corruption test.
 */
#ifndef REVMAP_RMAP_MMINODE_H
#define REVMAP_RMAP_MMINODE_H

#include "scheme.h"
#include "../lib/interval_tree.h"

/*
 * The family's object (m->slab_rmap[0]): LaHaise's "per-mm inode, shared
 * on fork".  32 bytes.
 * Invariants: vmas holds exactly the private VMAs of the nr_mms address
 * spaces whose tail names it; aliases holds nr_aliases entries, each of a
 * mapped anonymous page whose word names this family and says MI_ALIASED.
 */
struct mi_family {
	struct rb_root vmas;         /* i_mmap: interval tree of the family's private VMAs,
				        keyed by [start >> 12, (end >> 12) - 1] */
	struct rb_root aliases;      /* the aliased pages' offset entries, by (pfn, vpn) */
	uint32_t nr_mms;             /* address spaces in the family (its reference count) */
	uint32_t nr_vmas;            /* VMAs in vmas */
	uint64_t nr_aliases;         /* entries in aliases */
};

/*
 * An offset entry of an aliased page (m->slab_rmap[1]): page pfn is mapped
 * at offset vpn by count PTEs of the family.  40 bytes.
 * Invariants: count > 0; a page has entries iff its word has MI_ALIASED,
 * and then two at least, whose counts add up to its map count.
 */
struct mi_alias {
	struct rb_node rb;           /* in the family's aliases, by (pfn, vpn) */
	uint32_t pfn;                /* the page's frame */
	uint32_t count;              /* PTEs that map it at vpn */
	uint64_t vpn;                /* the offset: a virtual page number */
};

/* the VMA's tail: its node in its family's tree (48 bytes; zero when the
 * VMA is shared, which is never in a tree) */
struct mi_vma {
	struct itree_node node;      /* [start >> 12, (end >> 12) - 1] in fam->vmas */
};

/* the address space's tail (8 bytes) */
struct mi_mm {
	struct mi_family *fam;       /* its family; NULL until its first private VMA */
};

/*
 * The frame word (frame->rmap) of a mapped anonymous page; 0 for every
 * other frame:
 *
 *   bits 63..36  the family: its slot in slab_rmap[0] plus one (slab frame
 *                number * objects per slab + object), or MI_SLOT_FALLBACK
 *                for the machine's fallback family
 *   bit  35      MI_ALIASED: the page is at several offsets, each in an
 *                entry of the family's aliases (bits 34..0 are then 0)
 *   bits 34..0   its offset: the virtual page number where the page was
 *                made (or moved to); MI_VPN_SCAN: not recorded, the walk
 *                scans the family's VMAs
 */
#define MI_VPN_MASK      ((1ULL << 35) - 1)
#define MI_VPN_SCAN      MI_VPN_MASK      /* above TASK_SIZE >> 12: never a page */
#define MI_ALIASED       (1ULL << 35)
#define MI_SLOT_SHIFT    36
#define MI_SLOT_FALLBACK ((1ULL << 28) - 1)

/* the machine-wide state (host memory, m->rmap_priv) */
struct mi_machine {
	struct mi_family fallback;   /* the family of address spaces whose own could not
				        be allocated (never freed) */
	struct mi_alias *reserve;    /* alias objects move_prepare set aside for move_done,
				        chained through rb.left */
	uint64_t nr_reserve;         /* how many */
};

#endif
