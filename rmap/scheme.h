/*
 * rmap/scheme.h - the interface a reverse-mapping scheme implements, and
 * the registry of schemes.  For the files of rmap/ and for the users of the
 * registry (sim/, tests); mm/ sees only rmap/rmap.h, whose entry points
 * call the hooks below.
 *
 * A scheme is a design from the debate (seeds in ../shared/seeds; each
 * file opens with whose design it is, how it finds a page's mappings, what
 * it costs per page and per VMA, what accepting Linux's layout costs it and
 * its worst workload).  It plugs in here and nowhere else.
 */
#ifndef REVMAP_RMAP_SCHEME_H
#define REVMAP_RMAP_SCHEME_H

#include "rmap.h"

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
	 *   vma_merge: victim's range is being taken over by target; victim
	 *            goes next (vma_unlink follows).  target's range may not
	 *            be updated yet: in some merges (both neighbours, or a new
	 *            range merged into existing ones) it changes after this
	 *            hook, between pre_update and post_update of target
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
	/* an anonymous frame f that already has its identity (mapping, index
	 * unchanged: a swap-in that found it in the swap cache) gains the PTE
	 * at addr in vma; the map count is set */
	void (*page_add_anon)(struct vm_frame *f, struct vm_area *vma, uint64_t addr);
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
	/* VM_LOCKED of [start, end) of vma is about to go (may fail: -ENOMEM,
	 * nothing changed); it changed (locked: now set, else now clear) */
	int (*lock_prepare)(struct vm_area *vma, uint64_t start, uint64_t end);
	void (*vma_locked)(struct vm_area *vma, uint64_t start, uint64_t end, bool locked);
	/* vma's start/end/pgoff are about to change, and have changed */
	void (*pre_update)(struct vm_area *vma);
	void (*post_update)(struct vm_area *vma);
	/* the scheme's state of vma agrees with its range (checker) */
	bool (*check_vma)(const struct vm_area *vma, char *why, size_t len);
	/* the scheme's per-frame state of mapped or swap-cache frame f agrees
	 * with the page tables and its counts (checker: before each walk of f
	 * the checkers make, and on swap-cache frames) */
	bool (*check_frame)(struct vm_machine *m, const struct vm_frame *f, char *why,
			    size_t len);
	/* the scheme's whole structure is sound and agrees with the machine
	 * (its lists, its metadata bytes); the whole-machine checker calls it
	 * after the frames' check and before it walks any frame, so that a
	 * walk never follows a structure this check would refuse */
	bool (*check_machine)(struct vm_machine *m, char *why, size_t len);
	/* visit every (vma, addr) whose PTE may map anonymous frame f */
	int (*walk_anon)(struct vm_machine *m, struct vm_frame *f,
			 rmap_visit_fn fn, void *arg);
	/* optional: visit every (vma, addr) whose PTE may map page-cache frame
	 * f; when NULL, the file's i_mmap tree is searched (rmap_walk_file),
	 * as in most schemes; a scheme that keeps every mapping of every page
	 * (ptechain) sets it */
	int (*walk_file)(struct vm_machine *m, struct vm_frame *f,
			 rmap_visit_fn fn, void *arg);
	/* optional: make sure the next nr per-PTE adds need no memory (a
	 * reserve, taken before a fault's adds: rmap_prepare in rmap.h); may
	 * fail (-ENOMEM: the fault is VM_FAULT_OOM, nothing changed) */
	int (*prepare)(struct vm_machine *m, unsigned nr);
	/* optional, with prepare: vma is about to map f, a page that may be
	 * mapped already (a page-cache page, a swap-cache page): make sure
	 * that add needs no memory either, whatever f's state (ptechain: an
	 * mlocked page's chain is rebuilt); may fail (-ENOMEM: the fault is
	 * VM_FAULT_OOM, fault-around maps no more, nothing changed) */
	int (*page_prepare)(struct vm_area *vma, struct vm_frame *f);
	/* the scheme's own objects per type, for statistics (rmap_objects) */
	void (*objects)(const struct vm_machine *m,
			void (*emit)(const char *type, uint64_t count, void *arg), void *arg);
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
static inline struct vm_area *vma_of_tail(void *tail)
{
	return (struct vm_area *)tail - 1;
}

extern const struct rmap_ops rmap_avc_ops;       /* anon_vma + anon_vma_chain */
extern const struct rmap_ops rmap_scan_ops;      /* no reverse map: search the page tables */
extern const struct rmap_ops rmap_anonlayer_ops; /* Miller's anon_area per fork family */
extern const struct rmap_ops rmap_astree_ops;    /* Lokier: a tree of spaces, a new one at a COW */
extern const struct rmap_ops rmap_vmainode_ops;  /* LaHaise (b): per-VMA objects shadowed at fork */
extern const struct rmap_ops rmap_mminode_ops;   /* LaHaise (c): per-mm inode shared on fork */
extern const struct rmap_ops rmap_vmaring_ops;   /* LaHaise (a): page -> VMA, a ring of VMAs */
extern const struct rmap_ops rmap_vmaoff_ops;    /* Keith: (vma, offset) per page, else search */
extern const struct rmap_ops rmap_anonvma_ops;   /* 2.6.7's anon_vma: a list per fork family */
extern const struct rmap_ops rmap_ptechain_ops;  /* 2.5.27-2.6.6: PTE addresses chained per page */
extern const struct rmap_ops rmap_objrmap_ops;   /* McCracken 2003: file pages by i_mmap, anon chained */

/* the registry, in the order `revmap info` lists it (the default first) */
extern const struct rmap_ops *const rmap_schemes[];
extern const unsigned rmap_nr_schemes;

/* for schemes: visit vma's PTE for f's index if it really maps f */
int rmap_one(struct vm_machine *m, struct vm_frame *f, struct vm_area *vma,
	     rmap_visit_fn fn, void *arg);
/* every present PTE of vma probed for f (a VM_NONLINEAR VMA may map it
 * anywhere: a scheme searching one itself, as ptechain does for mlocked
 * pages); counted, when counted, as one VMA and its PTEs visited (not:
 * a rebuild's or a checker's search) */
int rmap_search_vma(struct vm_machine *m, struct vm_frame *f, struct vm_area *vma,
		    rmap_visit_fn fn, void *arg, bool counted);
/* rmap_one for each VMA of an i_mmap-like tree (root) covering f's index */
int rmap_probe_tree(struct vm_machine *m, struct vm_frame *f, struct rb_root *root,
		    rmap_visit_fn fn, void *arg);
/* the same for vma's PTE at addr (a scheme that keeps addresses: mminode) */
int rmap_one_at(struct vm_machine *m, struct vm_frame *f, struct vm_area *vma, uint64_t addr,
		rmap_visit_fn fn, void *arg);

#endif
