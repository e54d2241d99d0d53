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
 *                 `-- anon root lock       (mm/anon.c: one per fork family)
 *                       `-- page-table lock (ptl)
 *                             `-- file->i_pages lock, zone lock
 *
 * (the order of Linux's mm/rmap.c, without the locks revmap has no use for)
 *
 * mmap_lock guards vma->anon and vma->anon_chain; the anon root lock (the
 * root anon_id's, Linux's root anon_vma lock) guards the family's counters
 * and links and the scheme state in their tails (avc: the interval trees).
 * An rmap walk takes i_mmap_lock or the anon root lock, then each ptl.
 */
#ifndef REVMAP_RMAP_RMAP_H
#define REVMAP_RMAP_RMAP_H

#include "../mm/mm.h"

/* visitor: return nonzero to stop the walk */
typedef int (*rmap_visit_fn)(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg);

/*
 * A scheme.  mm/ keeps the anonymous identity of VMAs itself (mm/anon.c)
 * and sets an anonymous page's mapping (its anon_id) and index; the scheme
 * is told what happens and keeps its own state, in tails of the identity's
 * objects and of the frame (frame->rmap).  Hooks may be NULL.
 */
struct rmap_ops {
	const char *name;                                   /* scheme name */
	int (*init)(struct vm_machine *m);
	void (*fini)(struct vm_machine *m);
	bool identity_is_rmap;     /* the design is the anonymous identity itself (avc):
				      its objects count as the scheme's metadata */
	size_t anon_tail;          /* bytes of scheme state after each anon_id */
	size_t link_tail;          /* bytes of scheme state after each anon_link */
	size_t vma_tail;           /* bytes of scheme state after each VMA */
	size_t mm_tail;            /* bytes of scheme state after each address space */
	/*
	 * Per address space and per VMA: the scheme is told, and must accept
	 * (there is no veto; a hook that can fail says so).  The VMA layout is
	 * mm/'s (Linux's), decided before the scheme hears of it.
	 *   mm_init: a new, empty address space (spawn, exec, the child of a
	 *            fork before its VMAs); mm_exit: it goes (exit, exec,
	 *            after its VMAs)
	 *   vma_add: vma joined its mm (a new mapping, the other half of a
	 *            split, a fork copy, an mremap copy: the hook below
	 *            follows); vma_del: it goes
	 *   vma_split: vma was split, nv is the new other half (both linked)
	 *   vma_merge: victim's range was taken over by target, which already
	 *            has its new range; victim goes next (vma_unlink follows)
	 *   vma_fork: child is the fork copy of parent (before its PTEs)
	 *   vma_copy: nv is mremap's copy of vma, before vma's PTEs move
	 *   pre_update/post_update (below): vma's range is about to change,
	 *            has changed (a split, a merge, a move, growth)
	 */
	void (*mm_init)(struct vm_mm *mm);
	void (*mm_exit)(struct vm_mm *mm);
	void (*vma_add)(struct vm_area *vma);
	void (*vma_del)(struct vm_area *vma);
	void (*vma_split)(struct vm_area *vma, struct vm_area *nv);
	void (*vma_merge)(struct vm_area *target, struct vm_area *victim);
	void (*vma_fork)(struct vm_area *child, struct vm_area *parent);
	void (*vma_copy)(struct vm_area *nv, struct vm_area *vma);
	/* a link of the anonymous identity came (vma may map pages of its
	 * anon_id), or is about to go; an anon_id is about to be freed */
	void (*link_add)(struct anon_link *l);
	void (*link_del)(struct anon_link *l);
	void (*anon_free)(struct anon_id *a);
	/* per PTE, told by the entry points below after they set the counts:
	 * a new anonymous frame f is mapped at addr in vma (mapping, index set) */
	void (*page_add_new_anon)(struct vm_frame *f, struct vm_area *vma, uint64_t addr);
	/* a page-cache frame f is mapped at addr in vma */
	void (*page_add_file)(struct vm_frame *f, struct vm_area *vma, uint64_t addr);
	/* the PTE at addr in vma that mapped f is gone */
	void (*page_remove)(struct vm_frame *f, struct vm_area *vma, uint64_t addr);
	/* fork: dst maps f at addr as src does; may fail (-ENOMEM: the fork fails) */
	int (*page_dup)(struct vm_frame *f, struct vm_area *dst, struct vm_area *src,
			uint64_t addr);
	/* f is now mapped only by vma and was re-homed to its anon_id (write-fault reuse) */
	void (*page_move_anon)(struct vm_frame *f, struct vm_area *vma);
	/* migration: frame nf took old's place in every PTE (counts moved over) */
	void (*page_repoint)(struct vm_frame *old, struct vm_frame *nf);
	/* mremap: the PTEs of [old_addr, +len) of old_vma are about to move to
	 * new_addr in new_vma (may fail: -ENOMEM, nothing moved), and moved */
	int (*move_prepare)(struct vm_area *old_vma, uint64_t old_addr,
			    struct vm_area *new_vma, uint64_t new_addr, uint64_t len);
	void (*move_done)(struct vm_area *old_vma, uint64_t old_addr,
			  struct vm_area *new_vma, uint64_t new_addr, uint64_t len);
	/* vma's start/end/pgoff are about to change, and have changed */
	void (*pre_update)(struct vm_area *vma);
	void (*post_update)(struct vm_area *vma);
	/* the scheme's state of vma agrees with its range (checker) */
	bool (*check_vma)(const struct vm_area *vma, char *why, size_t len);
	/* visit every (vma, addr) whose PTE may map anonymous frame f */
	int (*walk_anon)(struct vm_machine *m, struct vm_frame *f,
			 rmap_visit_fn fn, void *arg);
};

/* the scheme's tails of the identity's objects */
static inline void *anon_tail(struct anon_id *a) { return a + 1; }
static inline void *vma_tail(struct vm_area *v) { return v + 1; }
static inline void *mm_tail(struct vm_mm *mm) { return mm + 1; }
static inline void *link_tail(struct anon_link *l) { return l + 1; }
static inline struct anon_link *link_of_tail(void *tail)
{
	return (struct anon_link *)tail - 1;
}

extern const struct rmap_ops rmap_avc_ops;       /* anon_vma + anon_vma_chain */
extern const struct rmap_ops rmap_scan_ops;      /* no reverse map: search the page tables */

/* the registry, in the order `revmap info` lists it (the default first) */
extern const struct rmap_ops *const rmap_schemes[];
extern const unsigned rmap_nr_schemes;

const struct rmap_ops *rmap_find_scheme(const char *name);
/* the reverse map's metadata bytes now: the scheme's, and the identity's
 * when the scheme is built of it */
static inline uint64_t rmap_metadata_bytes(const struct vm_machine *m)
{
	return m->stats.rmap_bytes + (m->rmap->identity_is_rmap ? m->stats.anon_bytes : 0);
}
/* after any change of the metadata: keep its peak */
static inline void rmap_note_peak(struct vm_machine *m)
{
	uint64_t b = rmap_metadata_bytes(m);

	if (b > m->stats.rmap_bytes_peak)
		m->stats.rmap_bytes_peak = b;
}
/*
 * The entry points mm/ calls for every PTE it makes or removes; they own
 * the map count (as folio_add_new_anon_rmap, folio_add_file_rmap_pte,
 * folio_remove_rmap_pte, folio_try_dup_anon_rmap, folio_move_anon_rmap do
 * in Linux: memory.c never touches a map count) and tell the scheme.
 * Reference counts stay with the caller.
 */
void rmap_add_new_anon(struct vm_area *vma, uint64_t addr, struct vm_frame *f);
void rmap_add_file(struct vm_area *vma, uint64_t addr, struct vm_frame *f);
void rmap_remove(struct vm_area *vma, uint64_t addr, struct vm_frame *f);
int rmap_dup(struct vm_area *dst, struct vm_area *src, uint64_t addr, struct vm_frame *f);
void rmap_move_anon(struct vm_area *vma, struct vm_frame *f);
void rmap_repoint(struct vm_machine *m, struct vm_frame *old, struct vm_frame *nf);
int rmap_move_prepare(struct vm_area *old_vma, uint64_t old_addr, struct vm_area *new_vma,
		      uint64_t new_addr, uint64_t len);
void rmap_move_done(struct vm_area *old_vma, uint64_t old_addr, struct vm_area *new_vma,
		    uint64_t new_addr, uint64_t len);

/* for schemes: visit vma's PTE for f's index if it really maps f */
int rmap_one(struct vm_machine *m, struct vm_frame *f, struct vm_area *vma,
	     rmap_visit_fn fn, void *arg);
/* visit each PTE mapping frame f (pte checked to really map f) */
int rmap_walk(struct vm_machine *m, struct vm_frame *f, rmap_visit_fn fn, void *arg);

#endif
