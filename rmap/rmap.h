/*
 * rmap/rmap.h - reverse mapping: given a frame, find every (mm, vma,
 * address) whose PTE maps it.
 *
 * One walk for everyone: rmap_walk() calls a visitor for each mapping of a
 * frame; page_referenced, try_to_unmap and try_to_migrate are visitors.
 * Anonymous pages are found through the scheme (struct rmap_ops); file pages
 * through the file's i_mmap interval tree, the same in every scheme.
 *
 * Lock order (for when threads come; today everything is single-threaded;
 * the tags are those of the fields in mm/mm.h):
 *
 *   file->i_rwsem                        (truncate, fwrite)
 *     `-- mm->mmap_lock
 *           `-- frame lock                 (Linux's folio lock)
 *                 `-- file->i_mmap_lock    (file pages: i_mmap tree)
 *                 `-- anon_vma->root->lock (Linux scheme: one per fork family)
 *                       `-- page-table lock (ptl)
 *                             `-- file->i_pages lock, zone lock
 *
 * (the order of Linux's mm/rmap.c, without the locks revmap has no use for)
 *
 * mmap_lock guards vma->anon and vma->anon_chain; the root anon_vma lock
 * guards every anon_vma's interval tree and counters in that family.  An
 * rmap walk takes i_mmap_lock or the root anon_vma lock, then each ptl.
 */
#ifndef REVMAP_RMAP_RMAP_H
#define REVMAP_RMAP_RMAP_H

#include "../mm/mm.h"

/* visitor: return nonzero to stop the walk */
typedef int (*rmap_visit_fn)(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg);

struct rmap_ops {
	const char *name;                                   /* scheme name */
	int (*init)(struct vm_machine *m);
	void (*fini)(struct vm_machine *m);
	/* give vma an anonymous identity before its first anonymous page */
	int (*anon_prepare)(struct vm_area *vma);
	/* a new anonymous frame f is mapped at addr in vma */
	void (*page_add_new_anon)(struct vm_frame *f, struct vm_area *vma, uint64_t addr);
	/* f is now mapped only by vma: re-home it there (write-fault reuse) */
	void (*page_move_anon)(struct vm_frame *f, struct vm_area *vma);
	/* fork: dst copies src's anonymous identity (anon_vma_fork) */
	int (*fork_vma)(struct vm_area *dst, struct vm_area *src);
	/* split / mremap copy: dst shares src's identity (anon_vma_clone) */
	int (*clone_vma)(struct vm_area *dst, struct vm_area *src);
	/* vma goes away, or forgets its identity (unlink_anon_vmas) */
	void (*unlink_vma)(struct vm_area *vma);
	/* vma's start/end/pgoff are about to change, and have changed */
	void (*pre_update)(struct vm_area *vma);
	void (*post_update)(struct vm_area *vma);
	/* vma shares anonymous pages with its fork ancestors (merge rule) */
	bool (*is_fork_child)(const struct vm_area *vma);
	/* the scheme's links of vma agree with its range (checker) */
	bool (*check_vma)(const struct vm_area *vma, char *why, size_t len);
	/* visit every (vma, addr) whose PTE may map anonymous frame f */
	int (*walk_anon)(struct vm_machine *m, struct vm_frame *f,
			 rmap_visit_fn fn, void *arg);
};

extern const struct rmap_ops rmap_linux_ops;     /* anon_vma + anon_vma_chain */

const struct rmap_ops *rmap_find_scheme(const char *name);
/* for schemes: visit vma's PTE for f's index if it really maps f */
int rmap_one(struct vm_machine *m, struct vm_frame *f, struct vm_area *vma,
	     rmap_visit_fn fn, void *arg);
/* visit each PTE mapping frame f (pte checked to really map f) */
int rmap_walk(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg);

#endif
