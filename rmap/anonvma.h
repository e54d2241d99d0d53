/*
 * rmap/anonvma.h - the tails of the `anonvma` scheme (rmap/anonvma.c says
 * what they are), for the scheme and for its tests (tests/t_rmap.c);
 * nothing else names them.
 */
#ifndef REVMAP_RMAP_ANONVMA_H
#define REVMAP_RMAP_ANONVMA_H

#include "scheme.h"

/* 2.6.7's struct anon_vma, less its spinlock (the root anon_id's lock is
 * it): the tail of every anon_id, a fork family's root's the one used */
struct anonvma_head {
	struct list_head head;     /* the VMAs of the family, newest first
				      (anon_vma->head) [anon root lock]; next is
				      NULL until its first VMA comes, and on
				      non-roots */
};

/* 2.6.7's anon_vma_node of vm_area_struct: the tail of every VMA (its
 * anon_vma pointer is mm/'s vma->anon, whose root is 2.6.7's anon_vma) */
struct anonvma_vma {
	struct list_head node;     /* on its family root's head; next is NULL while
				      the VMA has no anonymous identity [mmap_lock
				      and anon root lock] */
};

_Static_assert(sizeof(struct anonvma_head) == 16, "the anon_vma is 16 bytes");
_Static_assert(sizeof(struct anonvma_vma) == 16, "a VMA's tail is 16 bytes");

#endif
