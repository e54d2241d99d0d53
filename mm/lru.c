/*
 * mm/lru.c - the LRU lists: which pages reclaim looks at, in what order.
 *
 * As Linux's (mm/swap.c, include/linux/mm_inline.h; the classic two-list
 * LRU, not the multi-generational one), every page that reclaim may one day
 * take is on exactly one of five lists of the machine:
 *
 *   inactive anon, active anon    private anonymous pages and shared
 *                                 anonymous (shmem) pages: swap-backed,
 *                                 reclaimable only to swap
 *   inactive file, active file    page-cache pages of files (their backing
 *                                 store takes them), and lazily freed
 *                                 anonymous pages (MADV_FREE: clean, they
 *                                 are simply dropped; Linux moves them to
 *                                 the file list too, lru_lazyfree)
 *   unevictable                   mlocked pages: mapped by a VM_LOCKED VMA,
 *                                 or PG_MLOCKED; never reclaimed
 *
 * A list is doubly linked through the frames' next/prev words (the buddy
 * allocator's links while a frame is free, the LRU's while it is a page),
 * newest at the head; reclaim takes from the tail.  A page enters the
 * inactive list of its kind when it is born (a new anonymous page, a page
 * added to a page cache: since 5.9 Linux adds new anonymous pages to the
 * inactive list too), or the unevictable list if it is born in a VM_LOCKED
 * VMA; it leaves when it is freed.  Reclaim moves pages between the lists
 * (mm/vmscan.c): activation of referenced pages, deactivation from the
 * active tail, culling of mlocked ones; munlock, munmap and exit put the
 * pages of a VM_LOCKED VMA back on their evictable list, where reclaim
 * culls them again if another VM_LOCKED VMA still maps them.
 *
 * Invariants (check_lru):
 *   - a frame is PG_LRU exactly when it is on a list, and then on the list
 *     frame_lru() names, whose nr counts it;
 *   - every anonymous or page-cache page in use is PG_LRU;
 *   - PG_ACTIVE and PG_UNEVICTABLE only on PG_LRU frames, never both.
 * Whatever changes what frame_lru() says of a listed frame (PG_ACTIVE,
 * PG_UNEVICTABLE, PG_LAZYFREE, leaving the page cache) takes it off its
 * list first.
 */
#include "mm.h"

static const char *const lru_names[NR_LRU_LISTS] = {
	[LRU_INACTIVE_ANON] = "inactive_anon", [LRU_ACTIVE_ANON] = "active_anon",
	[LRU_INACTIVE_FILE] = "inactive_file", [LRU_ACTIVE_FILE] = "active_file",
	[LRU_UNEVICTABLE] = "unevictable",
};

const char *lru_name(enum lru_list l)
{
	return l < NR_LRU_LISTS ? lru_names[l] : "?";
}

void lru_init(struct vm_machine *m)
{
	for (int l = 0; l < NR_LRU_LISTS; l++) {
		m->lru[l].head = m->lru[l].tail = FRAME_NIL;
		m->lru[l].nr = 0;
	}
}

/* the page is file-backed for reclaim: a page-cache page of a file (not
 * shmem), or a lazily freed anonymous page (folio_is_file_lru) */
bool frame_is_file_lru(const struct vm_frame *f)
{
	if (f->flags & PG_CACHE)
		return !((const struct vm_file *)f->mapping)->shmem;
	return (f->flags & PG_LAZYFREE) != 0;
}

enum lru_list frame_lru(const struct vm_frame *f)
{
	if (f->flags & PG_UNEVICTABLE)
		return LRU_UNEVICTABLE;
	return (frame_is_file_lru(f) ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON) +
	       ((f->flags & PG_ACTIVE) ? 1 : 0);
}

/* link pfn at the head of its list */
static void lru_link(struct vm_machine *m, struct vm_frame *f)
{
	uint32_t pfn = (uint32_t)frame_pfn(m, f);
	struct vm_lru *l = &m->lru[frame_lru(f)];

	f->prev = FRAME_NIL;
	f->next = l->head;
	if (l->head != FRAME_NIL)
		pfn_frame(m, l->head)->prev = pfn;
	else
		l->tail = pfn;
	l->head = pfn;
	l->nr++;
	f->flags |= PG_LRU;
}

void lru_insert(struct vm_machine *m, struct vm_frame *f)
{
	VM_BUG_ON(f->flags & PG_LRU);
	lru_link(m, f);
}

void lru_del(struct vm_machine *m, struct vm_frame *f)
{
	struct vm_lru *l;

	if (!(f->flags & PG_LRU))
		return;
	l = &m->lru[frame_lru(f)];
	if (f->prev != FRAME_NIL)
		pfn_frame(m, f->prev)->next = f->next;
	else
		l->head = f->next;
	if (f->next != FRAME_NIL)
		pfn_frame(m, f->next)->prev = f->prev;
	else
		l->tail = f->prev;
	f->next = f->prev = FRAME_NIL;
	l->nr--;
	f->flags &= ~PG_LRU;
}

void lru_add(struct vm_machine *m, struct vm_frame *f, bool unevictable)
{
	VM_BUG_ON(f->flags & PG_LRU);
	f->flags &= ~(PG_ACTIVE | PG_UNEVICTABLE | PG_REFERENCED);
	if (unevictable || (f->flags & PG_MLOCKED))
		f->flags |= PG_UNEVICTABLE;
	lru_link(m, f);
}

void lru_set(struct vm_machine *m, struct vm_frame *f, enum lru_list to)
{
	bool on = f->flags & PG_LRU;

	if (on)
		lru_del(m, f);
	f->flags &= ~(PG_ACTIVE | PG_UNEVICTABLE);
	if (to == LRU_UNEVICTABLE)
		f->flags |= PG_UNEVICTABLE;
	else if (to == LRU_ACTIVE_ANON || to == LRU_ACTIVE_FILE)
		f->flags |= PG_ACTIVE;
	if (on)
		lru_link(m, f);
}

void lru_rotate(struct vm_machine *m, struct vm_frame *f)
{
	if (f->flags & PG_LRU) {
		lru_del(m, f);
		lru_link(m, f);
	}
}

void lru_lazyfree(struct vm_machine *m, struct vm_frame *f)
{
	bool on = f->flags & PG_LRU;

	if (on)
		lru_del(m, f);
	f->flags = (f->flags & ~(PG_ACTIVE | PG_REFERENCED)) | PG_LAZYFREE;
	if (on)
		lru_link(m, f);
}

void lru_putback(struct vm_machine *m, struct vm_frame *f)
{
	if ((f->flags & (PG_LRU | PG_UNEVICTABLE)) == (PG_LRU | PG_UNEVICTABLE) &&
	    !(f->flags & PG_MLOCKED))
		lru_set(m, f, frame_is_file_lru(f) ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON);
}

/*
 * => true if every list is sound and counts what it holds, and each of
 *    `listed` frames (the PG_LRU ones the caller counted) is on one.
 */
bool check_lru(struct vm_machine *m, uint64_t listed)
{
	uint64_t total = 0;

	for (int l = 0; l < NR_LRU_LISTS; l++) {
		uint32_t prev = FRAME_NIL, pfn = m->lru[l].head;
		uint64_t n = 0;

		while (pfn != FRAME_NIL) {
			struct vm_frame *f;

			if (pfn >= m->nr_frames || ++n > m->lru[l].nr) {
				snprintf(m->why, sizeof(m->why), "lru: the %s list is longer than "
					 "its count %llu, or links outside memory (pfn %u)",
					 lru_names[l], (unsigned long long)m->lru[l].nr, pfn);
				return false;
			}
			f = pfn_frame(m, pfn);
			if (!(f->flags & PG_LRU) || f->prev != prev || f->refcount <= 0 ||
			    (int)frame_lru(f) != l ||
			    (f->flags & (PG_ACTIVE | PG_UNEVICTABLE)) == (PG_ACTIVE | PG_UNEVICTABLE)) {
				snprintf(m->why, sizeof(m->why), "lru: pfn %u on the %s list has flags "
					 "%#x refcount %d prev %u (expected %u): it belongs on the %s "
					 "list", pfn, lru_names[l], f->flags, f->refcount, f->prev,
					 prev, lru_name(frame_lru(f)));
				return false;
			}
			prev = pfn;
			pfn = f->next;
		}
		if (n != m->lru[l].nr || m->lru[l].tail != prev) {
			snprintf(m->why, sizeof(m->why), "lru: the %s list holds %llu pages, counts "
				 "%llu, ends at %u (tail says %u)", lru_names[l],
				 (unsigned long long)n, (unsigned long long)m->lru[l].nr, prev,
				 m->lru[l].tail);
			return false;
		}
		total += n;
	}
	if (total != listed) {
		snprintf(m->why, sizeof(m->why), "lru: %llu frames are PG_LRU but the lists hold "
			 "%llu", (unsigned long long)listed, (unsigned long long)total);
		return false;
	}
	return true;
}

/* the local view, for the change checker: pfn is linked to its neighbours
 * on the list its flags name.  => true if so (or it is not PG_LRU). */
bool check_lru_frame(struct vm_machine *m, uint64_t pfn)
{
	struct vm_frame *f = pfn_frame(m, pfn);
	struct vm_lru *l;

	if (!(f->flags & PG_LRU))
		return true;
	l = &m->lru[frame_lru(f)];
	if ((f->prev == FRAME_NIL ? l->head != pfn
				  : f->prev >= m->nr_frames || pfn_frame(m, f->prev)->next != pfn ||
				    !(pfn_frame(m, f->prev)->flags & PG_LRU)) ||
	    (f->next == FRAME_NIL ? l->tail != pfn
				  : f->next >= m->nr_frames || pfn_frame(m, f->next)->prev != pfn ||
				    !(pfn_frame(m, f->next)->flags & PG_LRU))) {
		snprintf(m->why, sizeof(m->why), "lru: pfn %llu (flags %#x) is not linked into "
			 "the %s list", (unsigned long long)pfn, f->flags, lru_name(frame_lru(f)));
		return false;
	}
	return true;
}
