/*
 * mm/swap.c - swap for private anonymous memory: the device and its slot
 * counts (Linux's swapfile.c), the swap cache (swap_state.c), swap-out for
 * reclaim (vmscan.c's shrink_folio_list with rmap.c's try_to_unmap_one),
 * swap-in on a fault (memory.c's do_swap_page) and swapoff (try_to_unuse).
 *
 * The device is a host file of 4096-byte slots, made with mkstemp in
 * $TMPDIR (or /tmp) and unlinked at once, so that nothing is left behind
 * whatever happens to the process; slot 0 is the header and never handed
 * out.  Its bookkeeping is host memory sized by the device, as Linux's
 * swap_map is allocated at swapon (struct vm_swap in mm.h says what binds
 * its fields):
 *
 *   map[slot]    swap_map: one per swap entry (PTE) naming the slot, plus
 *                one while the slot's page is in the swap cache (Linux's
 *                SWAP_HAS_CACHE); 0 is a free slot
 *   cache[slot]  the swap cache: the frame holding the slot's page, whose
 *                flags have PG_SWAPCACHE and whose pad is the slot; the
 *                cache holds a reference on it
 *
 * Life of a page (the states a page and its slot go through):
 *
 *   mapped, no slot --swap_out_page--> in the swap cache, PTEs become swap
 *   entries, written if dirty --> leaves the cache, freed.  (Write failed:
 *   it stays in the cache, dirty, unmapped; a fault finds it there.)
 *
 *   swap entry --do_swap_page--> read into a new frame that enters the
 *   cache (or found there), mapped; the entry's count goes; the page
 *   leaves the cache at once when should_try_to_free_swap says so, else
 *   stays there, clean, so that a second swap-out need not write it.
 *
 *   A swap-cache page whose last PTE goes (zap) leaves the cache when no
 *   swap entry names its slot (free_swap_cache); the last swap entry of a
 *   slot takes an unmapped cache page with it (free_swap_and_cache).  So
 *   an unmapped page stays in the cache only while an entry names its
 *   slot (the checker holds us to it).  Linux lets a COW copy leave the
 *   old page unmapped in the cache for reclaim to find; revmap frees it
 *   at once (fault.c), which no dump or result can tell apart.
 *
 * Swap entries are what mm.h's pte_is_swap() says; one kind more: the
 * poisoned entry (slot 0) that swapoff leaves where a page could not be
 * read back (Linux's make_poisoned_swp_entry): it counts nowhere and an
 * access to it is SIGBUS.
 *
 * --fail-swap-io N makes the Nth read or write of the device (counted
 * together, from 1) fail, as a device error would.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include "mm.h"
#include "../rmap/rmap.h"

/* ---------------- the device ---------------- */

int swap_on(struct vm_machine *m, uint64_t bytes, const char *dir)
{
	struct vm_swap *sw = &m->swap;
	uint64_t n = bytes >> PAGE_SHIFT;
	char path[4096];
	int fd, err;

	if (swap_enabled(m))
		return -EBUSY;
	if (n < 2 || n > (1ULL << 31))
		return -EINVAL;           /* a header and one slot at least */
	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/revmap-swap-XXXXXX", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);                     /* gone at exit, even after a crash */
	if (ftruncate(fd, (off_t)(n << PAGE_SHIFT))) {
		err = -errno;
		close(fd);
		return err;
	}
	sw->map = calloc(n, sizeof(*sw->map));
	sw->cache = malloc(n * sizeof(*sw->cache));
	if (!sw->map || !sw->cache) {
		free(sw->map);
		free(sw->cache);
		sw->map = sw->cache = NULL;
		close(fd);
		return -ENOMEM;
	}
	memset(sw->cache, 0xff, n * sizeof(*sw->cache));    /* FRAME_NIL */
	sw->fd = fd;
	sw->nr_slots = (uint32_t)n;
	sw->nr_used = 0;
	sw->next = 1;
	sw->writeok = true;
	return 0;
}

void swap_release(struct vm_machine *m)
{
	struct vm_swap *sw = &m->swap;

	if (sw->fd >= 0)
		close(sw->fd);
	free(sw->map);
	free(sw->cache);
	sw->map = sw->cache = NULL;
	sw->fd = -1;
	sw->nr_slots = sw->nr_used = 0;
	sw->writeok = false;
}

/* vm_swap_full: more than half of the slots are in use */
static bool swap_full(const struct vm_machine *m)
{
	return (uint64_t)m->swap.nr_used * 2 > (uint64_t)(m->swap.nr_slots - 1);
}

/* one read or write of a slot => 0, or -EIO (counted; injected or real) */
static int swap_io(struct vm_machine *m, uint32_t slot, uint32_t pfn, bool write)
{
	struct vm_swap *sw = &m->swap;
	off_t off = (off_t)slot << PAGE_SHIFT;
	ssize_t n = -1;

	if (++sw->nr_io != sw->fail_io_at)
		n = write ? pwrite(sw->fd, pfn_data(m, pfn), PAGE_SIZE, off)
			  : pread(sw->fd, pfn_data(m, pfn), PAGE_SIZE, off);
	if (n != (ssize_t)PAGE_SIZE) {
		m->stats.swap_io_errors++;
		return -EIO;
	}
	return 0;
}

/* the slot's count: one user more, one fewer (nr_used follows) */
static void slot_get(struct vm_swap *sw, uint32_t slot)
{
	if (sw->map[slot]++ == 0)
		sw->nr_used++;
}

static void slot_put(struct vm_swap *sw, uint32_t slot)
{
	VM_BUG_ON(sw->map[slot] == 0);
	if (--sw->map[slot] == 0)
		sw->nr_used--;
}

/*
 * get_swap_pages for one page: the first free slot from where the last
 * search stopped (Linux's cluster allocator also moves forward through
 * the device).  => a free slot (count still 0), or 0 when there is none or
 * swapoff is under way
 */
static uint32_t slot_alloc(struct vm_swap *sw)
{
	uint32_t s = sw->next;

	if (!sw->writeok || sw->nr_used >= sw->nr_slots - 1)
		return 0;
	for (uint32_t i = 1; i < sw->nr_slots; i++) {
		if (s >= sw->nr_slots)
			s = 1;
		if (!sw->map[s]) {
			sw->next = s + 1;
			return s;
		}
		s++;
	}
	return 0;
}

void swap_dup(struct vm_machine *m, uint32_t slot)
{
	if (slot == 0)
		return;                   /* a poisoned entry counts nowhere */
	VM_BUG_ON(slot >= m->swap.nr_slots || m->swap.map[slot] == 0);
	m->swap.map[slot]++;
}

/* ---------------- the swap cache ---------------- */

/* add_to_swap_cache: f (anonymous) becomes the page of slot; the cache
 * takes a reference and a count of the slot */
static void swap_cache_add(struct vm_machine *m, struct vm_frame *f, uint32_t slot)
{
	uint32_t pfn = (uint32_t)frame_pfn(m, f);

	VM_BUG_ON(m->swap.cache[slot] != FRAME_NIL || (f->flags & PG_SWAPCACHE));
	m->swap.cache[slot] = pfn;
	slot_get(&m->swap, slot);
	f->flags |= PG_SWAPCACHE;
	f->pad = slot;
	f->refcount++;
	check_note_frame(m, pfn);
}

/* delete_from_swap_cache + put_swap_folio: f leaves the cache, which drops
 * its reference (the last one frees f) and its count of the slot */
static void swap_cache_del(struct vm_machine *m, struct vm_frame *f)
{
	uint32_t pfn = (uint32_t)frame_pfn(m, f), slot = f->pad;

	VM_BUG_ON(!(f->flags & PG_SWAPCACHE) || m->swap.cache[slot] != pfn);
	m->swap.cache[slot] = FRAME_NIL;
	f->flags &= ~PG_SWAPCACHE;
	f->pad = 0;
	slot_put(&m->swap, slot);
	check_note_frame(m, pfn);
	frame_put(m, pfn);
}

bool swap_cache_try_free(struct vm_machine *m, struct vm_frame *f)
{
	if (!(f->flags & PG_SWAPCACHE) || m->swap.map[f->pad] != 1)
		return false;             /* folio_swapped: an entry still names it */
	f->flags |= PG_DIRTY;             /* memory holds the only copy now */
	swap_cache_del(m, f);
	return true;
}

void swap_cache_unmapped(struct vm_machine *m, struct vm_frame *f)
{
	swap_cache_try_free(m, f);
}

void free_swap_and_cache(struct vm_machine *m, uint32_t slot)
{
	struct vm_swap *sw = &m->swap;
	uint32_t pfn;

	if (slot == 0)
		return;                   /* a poisoned entry counts nowhere */
	VM_BUG_ON(slot >= sw->nr_slots || sw->map[slot] == 0);
	slot_put(sw, slot);
	pfn = sw->cache[slot];
	/* __try_to_reclaim_swap(TTRS_UNMAPPED | TTRS_FULL): only the cache
	 * is left; its page goes if nothing maps it or swap is filling up */
	if (pfn != FRAME_NIL && sw->map[slot] == 1 &&
	    (pfn_frame(m, pfn)->mapcount == 0 || swap_full(m)))
		swap_cache_try_free(m, pfn_frame(m, pfn));
}

/* ---------------- swap-out ---------------- */

static int mapped_locked(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	return (vma->flags & VM_LOCKED) != 0;
}

/*
 * try_to_unmap_one for a page in the swap cache: its PTE becomes a swap
 * entry for the page's slot, exclusive if the page was PG_ANON_EXCL; the
 * PTE's dirty bit goes to the page; the page loses the PTE's mapping and
 * reference (the caller holds one of its own across the walk).
 */
static int unmap_to_swap(struct vm_area *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_mm *mm = vma->mm;
	struct vm_machine *m = mm->machine;
	struct vm_frame *f = arg;

	if (*pte & PTE_DIRTY)
		f->flags |= PG_DIRTY;
	*pte = swp_entry_pte(f->pad, f->flags & PG_ANON_EXCL);
	slot_get(&m->swap, f->pad);
	mm->nr_ptes--;
	mm->rss--;
	mm->nr_swap++;
	rmap_remove(vma, addr, f);
	f->refcount--;
	check_note_pte(mm, addr);
	return f->mapcount == 0;          /* try_to_unmap's done: folio_not_mapped */
}

/*
 * Reclaim one private anonymous page to swap (shrink_folio_list's
 * add_to_swap, try_to_unmap, pageout, __remove_mapping).
 * => m has swap; pfn is a frame of the machine
 * => returns 0 when the page was freed; -EBUSY when it is not a candidate
 *    (not anonymous, lazily freed, mlocked or mapped by a VM_LOCKED VMA,
 *    or swapoff is under way): nothing changed; -ENOSPC when no slot is
 *    free: nothing changed; -EIO when the write failed: the page stays in
 *    the swap cache, dirty and unmapped, its PTEs swap entries
 */
int swap_out_page(struct vm_machine *m, uint32_t pfn)
{
	struct vm_swap *sw = &m->swap;
	struct vm_frame *f = pfn_frame(m, pfn);
	uint32_t slot;

	if (!swap_enabled(m) || !sw->writeok)
		return -EBUSY;
	if ((f->flags & (PG_ANON | PG_LAZYFREE | PG_MLOCKED | PG_BUDDY | PG_RESERVED)) != PG_ANON ||
	    (!f->mapcount && !(f->flags & PG_SWAPCACHE)))
		return -EBUSY;
	if (rmap_walk(m, f, mapped_locked, NULL))
		return -EBUSY;            /* try_to_unmap_one's VM_LOCKED bail-out */
	if (!(f->flags & PG_SWAPCACHE)) {
		slot = slot_alloc(sw);
		if (!slot)
			return -ENOSPC;
		swap_cache_add(m, f, slot);
	}
	slot = f->pad;
	f->refcount++;                    /* isolated: held while its PTEs go */
	rmap_walk(m, f, unmap_to_swap, f);
	VM_BUG_ON(f->mapcount != 0);
	f->flags &= ~PG_ANON_EXCL;        /* folio_try_share_anon_rmap_pte */
	check_note_frame(m, pfn);
	if (f->flags & PG_DIRTY) {
		if (swap_io(m, slot, pfn, true)) {
			frame_put(m, pfn);        /* the cache keeps it */
			return -EIO;
		}
		f->flags &= ~PG_DIRTY;
	}
	swap_cache_del(m, f);
	m->stats.swap_outs++;
	frame_put(m, pfn);
	return 0;
}

/*
 * 2.4's try_to_swap_out, for --reclaim virtual: one PTE of an anonymous
 * page, met by the page-table scan, becomes a swap entry for the page's
 * slot (the page enters the swap cache at the first such PTE); once the
 * page's last PTE has gone it is written if dirty and freed.  No rmap walk.
 * => vma is not VM_LOCKED; *pte maps a private anonymous page
 * => 1: the page was freed; 0: the PTE went, the page stays (other PTEs
 *    map it, or its write failed and it waits in the swap cache); -EBUSY
 *    (mlocked, swapoff under way) or -ENOSPC (no slot): nothing changed
 */
int swap_out_pte(struct vm_area *vma, uint64_t addr, pte_t *pte)
{
	struct vm_machine *m = vma->mm->machine;
	struct vm_swap *sw = &m->swap;
	uint32_t pfn = (uint32_t)pte_pfn(*pte);
	struct vm_frame *f = pfn_frame(m, pfn);
	uint32_t slot;

	if (!swap_enabled(m) || !sw->writeok || (f->flags & PG_MLOCKED))
		return -EBUSY;
	if (!(f->flags & PG_SWAPCACHE)) {
		slot = slot_alloc(sw);
		if (!slot)
			return -ENOSPC;
		swap_cache_add(m, f, slot);
	}
	slot = f->pad;
	f->refcount++;                    /* held while its PTE goes */
	check_note_frame(m, pfn);
	unmap_to_swap(vma, addr, pte, f);
	if (f->mapcount) {
		frame_put(m, pfn);
		return 0;
	}
	f->flags &= ~PG_ANON_EXCL;
	if (f->flags & PG_DIRTY) {
		if (swap_io(m, slot, pfn, true)) {
			frame_put(m, pfn);        /* the cache keeps it */
			return 0;
		}
		f->flags &= ~PG_DIRTY;
	}
	swap_cache_del(m, f);
	m->stats.swap_outs++;
	frame_put(m, pfn);
	return 1;
}

/* ---------------- swap-in ---------------- */

/* should_try_to_free_swap: f, in the swap cache, is about to be mapped by
 * a fault that holds a reference of its own */
static bool should_try_to_free_swap(struct vm_machine *m, struct vm_frame *f,
				    struct vm_area *vma, bool write)
{
	if (!(f->flags & PG_SWAPCACHE))
		return false;
	if (swap_full(m) || (vma->flags & VM_LOCKED) || (f->flags & PG_MLOCKED))
		return true;
	/* a write: worth it only if we are likely the exclusive user (the
	 * cache's reference and ours are all there are) */
	return write && f->refcount == 2;
}

/*
 * The page of slot, in the swap cache, with a reference for the caller,
 * for vma to map: found there (the scheme told first: rmap_page_prepare),
 * or read into a new frame that enters the cache.
 * => VM_FAULT_OK with *fp and *fresh (read now: no identity yet),
 *    VM_FAULT_OOM (no frame, or the scheme's memory), VM_FAULT_BUS (the
 *    read failed); nothing changed but on VM_FAULT_OK
 */
static int swapin_page(struct vm_area *vma, uint32_t slot, struct vm_frame **fp, bool *fresh)
{
	struct vm_machine *m = vma->mm->machine;
	uint32_t pfn = m->swap.cache[slot];
	struct vm_frame *f;

	if (pfn != FRAME_NIL) {
		if (rmap_page_prepare(vma, pfn_frame(m, pfn)))
			return VM_FAULT_OOM;
		m->stats.swap_cache_hits++;
		f = pfn_frame(m, pfn);
		f->refcount++;
		*fp = f;
		*fresh = false;
		return VM_FAULT_OK;
	}
	pfn = __frames_alloc(m, 0, false);
	if (pfn == FRAME_NIL)
		return VM_FAULT_OOM;
	if (swap_io(m, slot, pfn, false)) {
		frame_put(m, pfn);
		return VM_FAULT_BUS;
	}
	m->stats.swap_ins++;
	f = pfn_frame(m, pfn);
	f->flags = PG_ANON;               /* its identity comes with its first PTE */
	swap_cache_add(m, f, slot);       /* the allocation's reference is ours */
	lru_add(m, f, false);             /* swapin's folio_add_lru */
	*fp = f;
	*fresh = true;
	return VM_FAULT_OK;
}

/*
 * Map f, just found or read for the swap entry *pte of vma at addr, in its
 * place: the entry's count goes, the PTE maps f (writable when exclusive
 * and the VMA is, dirty with it on a write), and f gets its identity if
 * it is fresh or gains the mapping if not.  The caller's reference becomes
 * the PTE's.
 */
static void map_swap_page(struct vm_area *vma, uint64_t addr, pte_t *pte, struct vm_frame *f,
			  bool fresh, bool exclusive, pte_t p)
{
	struct vm_mm *mm = vma->mm;
	struct vm_machine *m = mm->machine;

	if (fresh) {
		rmap_add_new_anon_swap(vma, addr, f, exclusive);
		if (exclusive)
			f->flags |= PG_ANON_EXCL;
	} else {
		rmap_add_anon(vma, addr, f, exclusive);
	}
	*pte = p;
	mm->nr_swap--;
	mm->nr_ptes++;
	mm->rss++;
	if ((vma->flags & VM_LOCKED) && !(f->flags & PG_UNEVICTABLE))
		lru_set(m, f, LRU_UNEVICTABLE);   /* mlock_vma_folio */
	check_note_pte(mm, addr);
	check_note_frame(m, frame_pfn(m, f));
}

/*
 * do_swap_page: the swap entry *pte of vma at addr faulted.
 * => vma allows the access; *pte is a swap entry
 * => VM_FAULT_OK: the PTE maps the page, writable if Linux would make it
 *    so (on a write fault the caller breaks COW when it is not);
 *    VM_FAULT_OOM: no frame, nothing changed; VM_FAULT_BUS: the read failed
 *    or the entry is poisoned, nothing changed
 */
int do_swap_page(struct vm_area *vma, uint64_t addr, pte_t *pte, bool write)
{
	struct vm_machine *m = vma->mm->machine;
	pte_t entry = *pte, p;
	uint32_t slot = swp_slot(entry);
	bool exclusive = pte_swp_exclusive(entry), fresh;
	struct vm_frame *f;
	int r;

	if (slot == 0)
		return VM_FAULT_BUS;      /* poisoned by swapoff */
	VM_BUG_ON(!swap_enabled(m) || slot >= m->swap.nr_slots || !m->swap.map[slot]);
	if (anon_prepare(vma))
		return VM_FAULT_OOM;
	r = swapin_page(vma, slot, &f, &fresh);
	if (r != VM_FAULT_OK)
		return r;
	slot_put(&m->swap, slot);         /* swap_free: the cache still counts */
	if (should_try_to_free_swap(m, f, vma, write))
		swap_cache_try_free(m, f);
	/* as do_wp_page would decide, but cheaper: the entry says exclusive,
	 * or ours is the only reference left */
	exclusive = exclusive || f->refcount == 1;
	p = mk_pte(vma, frame_pfn(m, f), false);
	if (exclusive && (vma->flags & VM_WRITE) && (p & PTE_PRESENT))
		p |= PTE_WRITE | (write ? PTE_DIRTY : 0);
	map_swap_page(vma, addr, pte, f, fresh, exclusive, p);
	return VM_FAULT_OK;
}

/* ---------------- swapoff ---------------- */

/* frames from reclaim that cannot swap (swapoff has cleared writeok) =>
 * true if any came free */
static bool swapoff_reclaim(struct vm_machine *m)
{
	return mm_reclaim(m, 32) > 0;
}

/*
 * unuse_pte: bring the page of the swap entry *pte back and map it
 * read-only and old, as swapoff does (a write then reuses or copies as
 * do_wp_page decides).  A page that cannot be read leaves a poisoned
 * entry.  => 0, or -ENOMEM when no frame can be had (nothing changed)
 */
static int unuse_one(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct vm_area *vma = arg;
	struct vm_machine *m = mm->machine;
	uint32_t slot;
	struct vm_frame *f = NULL;
	bool fresh = false;
	int r;

	if (!pte_is_swap(*pte) || swp_slot(*pte) == 0)
		return 0;
	slot = swp_slot(*pte);
	for (;;) {
		r = anon_prepare(vma) || rmap_prepare(m, 1) ? VM_FAULT_OOM
						 : swapin_page(vma, slot, &f, &fresh);
		if (r != VM_FAULT_OOM)
			break;
		if (!swapoff_reclaim(m))
			return -ENOMEM;
	}
	if (r == VM_FAULT_BUS) {
		*pte = swp_entry_pte(0, false);
		free_swap_and_cache(m, slot);
		mm->nr_swap--;
		check_note_pte(mm, addr);
		return 0;
	}
	slot_put(&m->swap, slot);
	map_swap_page(vma, addr, pte, f, fresh, pte_swp_exclusive(*pte),
		      mk_pte(vma, frame_pfn(m, f), false) & ~PTE_ACCESSED);
	return 0;
}

int swap_off(struct vm_machine *m)
{
	struct vm_swap *sw = &m->swap;
	struct list_head *p;

	if (!swap_enabled(m))
		return 0;
	sw->writeok = false;              /* no new slots, no swap-out */
	list_for_each(p, &m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		for (struct vm_area *v = mm->first; v; v = v->next)
			if (!(v->flags & VM_SHARED) &&
			    walk_ptes_all(mm, v->start, v->end, unuse_one, v)) {
				sw->writeok = true;       /* swap stays on */
				return -ENOMEM;
			}
	}
	/* every entry is gone: the cache's pages leave it, and memory holds
	 * the only copy */
	for (uint32_t s = 1; s < sw->nr_slots; s++)
		if (sw->cache[s] != FRAME_NIL)
			swap_cache_try_free(m, pfn_frame(m, sw->cache[s]));
	VM_BUG_ON(sw->nr_used != 0);
	swap_release(m);
	return 0;
}
