/*
 * rmap/anonlayer.h - the tails of the `anonlayer` scheme (rmap/anonlayer.c
 * says what they are), for the scheme and for its corruption test
 * (tests/t_rmap.c); nothing else names them.
 */
#ifndef REVMAP_RMAP_ANONLAYER_H
#define REVMAP_RMAP_ANONLAYER_H

#include "scheme.h"

/* Miller's struct anon_area: the tail of a root anon_id */
struct anon_area {
	struct list_head vmas;     /* the VMAs sharing it (his mapping->i_mmap),
				      newest first [anon root lock] */
	uint32_t pages;            /* a pfn on the circular page list, 0: empty */
	uint32_t nr_vmas;          /* VMAs on vmas: his reference count */
	uint64_t nrpages;          /* pages on the list (his mapping->nrpages) */
};

/* his three fields of vm_area_struct: the tail of every VMA */
struct al_vma {
	struct anon_area *area;    /* vm_anon: the area it shares, NULL without one
				      (iff vma->anon is NULL) [mmap_lock + anon root lock] */
	struct list_head share;    /* vm_anon_next_share/pprev: in area->vmas */
};

_Static_assert(sizeof(struct anon_area) == 32, "the anon_area is 32 bytes");
_Static_assert(sizeof(struct al_vma) == 24, "a VMA's tail is 24 bytes");

#endif
