/*
 * mm/frame.c - physical memory: the frame table and a binary buddy
 * allocator (orders 0..MAX_ORDER), as Linux's page allocator with one zone,
 * or two with --lowmem (a low zone for kernel metadata, see below).
 *
 * The machine's memory is one host arena of nr_frames pages; frame n's
 * bytes are at mem + n * PAGE_SIZE.  A free block of 2^k frames starting at
 * pfn p (p aligned to 2^k) is on free[k] and its first frame carries
 * PG_BUDDY and the order k.  Freeing a block merges it with its buddy
 * (p ^ 2^k) while that buddy is a free block of the same order.
 *
 * Frame 0 is the shared zero page: reserved, never allocated or counted.
 *
 * A frame whose bytes are known to be zero (never handed out since the
 * arena came fresh from the host) carries PG_ZERO, which survives on the
 * free lists, so allocating it needs no clearing.
 *
 * Deferred initialisation (Linux's deferred struct page init).  The arena
 * and the frame table are host mappings that cost nothing until touched,
 * so a machine of 1 TiB starts at once and costs the host what the trace
 * uses.  For that, the whole MAX_ORDER blocks [defer_lo, defer_hi) are
 * free but on no list, their descriptors never written (they read as
 * zeroes); when no list can serve a request, defer_grow() writes the
 * descriptors of the highest of them and puts it on free[MAX_ORDER].  That
 * is the order an eager start hands blocks out in (it pushes every block
 * onto its list in ascending order, so the highest comes off first, after
 * any block freed since), so physical placement, and with it everything
 * that scans frames in order (reclaim, compaction), is the same as if
 * every descriptor had been written at the start.  Scans of the frame
 * table jump over the deferred range (pfn_skip_deferred).
 *
 * Zones (--lowmem, machine_set_lowmem).  The 32-bit machines of the rmap
 * debate could address only their first 896 MB from the kernel
 * (ZONE_NORMAL, "lowmem"); the rest (ZONE_HIGHMEM) held user pages only.
 * Every kernel object (slabs, page tables without CONFIG_HIGHPTE, and so
 * 2.5's pte_chains) lived in lowmem, which large machines exhausted.  With
 * a low zone, frames [1, low.end) have their own buddy lists (low.free;
 * m->free is the high zone's), counts and watermarks, and no block spans
 * the boundary; frames_alloc_kernel takes only low frames, frames_alloc
 * high ones first (zones_take).  A refused metadata allocation marks
 * low.reclaim, so that the reclaim that follows frees low-zone pages
 * (mm/vmscan.c), and then the caller's OOM path runs, as in 2.6.  Without
 * --lowmem, low.end is 0 and every path is the one-zone one.
 */
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <sys/mman.h>
#include "mm.h"
#include "../rmap/rmap.h"

_Noreturn void vm_bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "revmap: BUG at %s:%d: %s\n", file, line, what);
	abort();
}

static inline unsigned frame_order(const struct vm_frame *f)
{
	return f->flags >> PG_ORDER_SHIFT;
}

/* the buddy lists of the zone pfn lies in (one zone without --lowmem) */
static inline struct free_area *zone_free(struct vm_machine *m, uint64_t pfn)
{
	return pfn < m->low.end ? m->low.free : m->free;
}

static void free_list_add(struct vm_machine *m, uint32_t pfn, unsigned order)
{
	struct vm_frame *f = pfn_frame(m, pfn);
	struct free_area *fa = zone_free(m, pfn);
	uint32_t head = fa[order].head;

	f->flags = (f->flags & PG_ZERO) | PG_BUDDY | (order << PG_ORDER_SHIFT);
	f->prev = FRAME_NIL;
	f->next = head;
	if (head != FRAME_NIL)
		pfn_frame(m, head)->prev = pfn;
	fa[order].head = pfn;
	fa[order].nr++;
}

static void free_list_del(struct vm_machine *m, uint32_t pfn, unsigned order)
{
	struct vm_frame *f = pfn_frame(m, pfn);
	struct free_area *fa = zone_free(m, pfn);

	if (f->prev != FRAME_NIL)
		pfn_frame(m, f->prev)->next = f->next;
	else
		fa[order].head = f->next;
	if (f->next != FRAME_NIL)
		pfn_frame(m, f->next)->prev = f->prev;
	f->next = f->prev = FRAME_NIL;
	f->flags &= PG_ZERO;
	fa[order].nr--;
}

bool machine_may_alloc(struct vm_machine *m)
{
	m->nr_allocs++;
	return !(m->fail_alloc_at && m->nr_allocs == m->fail_alloc_at);
}

void *vm_zalloc(struct vm_machine *m, size_t size)
{
	if (!machine_may_alloc(m))
		return NULL;
	return calloc(1, size);
}

/*
 * The host must back the frames we are about to hand out: ask it (its
 * MemAvailable) every 64 MiB of growth, and keep 256 MiB in hand.  A host
 * that runs short is the user's problem, not the simulated machine's: the
 * replay stops with an error rather than OOM-killing simulated processes.
 */
#define HOST_CHECK_FRAMES  (64ULL << (20 - PAGE_SHIFT))
#define HOST_RESERVE_BYTES (256ULL << 20)

static bool host_has_room(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	uint64_t kb = UINT64_MAX;

	if (!f)
		return true;            /* cannot tell: carry on */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1)
			break;
	fclose(f);
	return kb == UINT64_MAX || kb * 1024 > HOST_RESERVE_BYTES + (HOST_CHECK_FRAMES << PAGE_SHIFT);
}

/* write the descriptors of the highest deferred block and free it onto
 * free[MAX_ORDER]; => false when none is left (or the host has no room) */
static bool defer_grow(struct vm_machine *m)
{
	uint64_t start;

	if (m->defer_hi <= m->defer_lo)
		return false;
	start = m->defer_hi - (1ULL << MAX_ORDER);
	if (m->nr_frames - start >= m->host_check_at) {
		if (!host_has_room()) {
			m->host_exhausted = true;
			return false;
		}
		m->host_check_at += HOST_CHECK_FRAMES;
	}
	for (uint64_t pfn = start; pfn < m->defer_hi; pfn++) {
		m->frames[pfn].next = m->frames[pfn].prev = FRAME_NIL;
		m->frames[pfn].flags = PG_ZERO;
	}
	m->defer_hi = start;
	free_list_add(m, (uint32_t)start, MAX_ORDER);
	return true;
}

/* take a block of 2^order from the lists fa (growing into the deferred
 * blocks when may_grow), splitting a larger one; => pfn or FRAME_NIL */
static uint32_t buddy_take(struct vm_machine *m, struct free_area *fa, unsigned order,
			   bool may_grow)
{
	unsigned o;
	uint32_t pfn;

	for (o = order; o <= MAX_ORDER; o++)
		if (fa[o].head != FRAME_NIL)
			break;
	if (o > MAX_ORDER) {
		if (!may_grow || !defer_grow(m))
			return FRAME_NIL;
		o = MAX_ORDER;
	}
	pfn = fa[o].head;
	free_list_del(m, pfn, o);
	/* split: give back the upper halves */
	while (o > order) {
		o--;
		free_list_add(m, pfn + (1u << o), o);
	}
	return pfn;
}

/*
 * With --lowmem, the zonelist walk of __alloc_pages (2.6's
 * get_page_from_freelist with zone_watermark_ok): kernel metadata
 * (GFP_KERNEL) from the low zone only, above its min watermark; a user
 * page (GFP_HIGHUSER) from the high zone above its own min (the machine's
 * min less the low zone's share), else from the low zone above its min
 * plus the reserve kept from user pages (lowmem_reserve).  A refusal
 * says which zone reclaim should free (low.reclaim).  => pfn or FRAME_NIL
 */
static uint32_t zones_take(struct vm_machine *m, unsigned order, bool kernel)
{
	struct vm_lowmem *z = &m->low;
	uint64_t n = 1ULL << order, high_free = m->nr_free - z->nr_free;
	uint32_t pfn = FRAME_NIL;

	if (!kernel && high_free >= m->wmark_min - z->wmark_min + n)
		pfn = buddy_take(m, m->free, order, true);
	if (pfn == FRAME_NIL &&
	    z->nr_free >= z->wmark_min + (kernel ? 0 : z->reserve) + n)
		pfn = buddy_take(m, z->free, order, false);
	if (pfn == FRAME_NIL) {
		if (kernel && !z->alloc_failures++) {
			const struct vm_slab *sl[NR_SLABS];
			unsigned nr = machine_slabs(m, sl);

			z->first_failure.used = lowmem_used(m);
			z->first_failure.pgtables = z->pgtables;
			for (unsigned i = 0; i < nr; i++)
				z->first_failure.slab[i] = sl[i]->frames;
		}
		z->reclaim = kernel;
		return FRAME_NIL;
	}
	if (pfn < z->end) {
		z->nr_free -= n;
		if (z->nr_free < z->wmark_low)
			m->kswapd_wanted = true;
		if (lowmem_used(m) > z->used_peak)
			z->used_peak = lowmem_used(m);
	}
	return pfn;
}

static uint32_t alloc_frames(struct vm_machine *m, unsigned order, bool zero, bool kernel)
{
	uint32_t pfn;

	if (!machine_may_alloc(m))
		return FRAME_NIL;
	if (m->low.end)
		pfn = zones_take(m, order, kernel);
	else if (m->nr_free >= m->wmark_min + (1ULL << order))
		pfn = buddy_take(m, m->free, order, true);
	else
		pfn = FRAME_NIL;   /* the reserve below the min watermark is not handed
				      out: the caller reclaims (zone_watermark_ok fails,
				      __alloc_pages_slowpath) */
	if (pfn == FRAME_NIL) {
		m->stats.alloc_short++;
		return FRAME_NIL;
	}
	m->nr_free -= 1ULL << order;
	if (m->nr_free < m->wmark_low)
		m->kswapd_wanted = true;
	for (uint64_t i = 0; i < (1ULL << order); i++) {
		struct vm_frame *f = pfn_frame(m, pfn + i);

		if (zero && !(f->flags & PG_ZERO))
			memset(pfn_data(m, pfn + i), 0, PAGE_SIZE);
		memset(f, 0, sizeof(*f));
		f->next = f->prev = FRAME_NIL;
	}
	pfn_frame(m, pfn)->refcount = 1;
	m->stats.frames_alloc += 1ULL << order;
	return pfn;
}

uint32_t __frames_alloc(struct vm_machine *m, unsigned order, bool zero)
{
	return alloc_frames(m, order, zero, false);
}

uint32_t frames_alloc(struct vm_machine *m, unsigned order)
{
	return alloc_frames(m, order, true, false);
}

uint32_t frames_alloc_kernel(struct vm_machine *m, unsigned order)
{
	return alloc_frames(m, order, true, true);
}

void frames_free(struct vm_machine *m, uint32_t pfn, unsigned order)
{
	VM_BUG_ON(pfn_frame(m, pfn)->flags & (PG_BUDDY | PG_RESERVED));
	VM_BUG_ON(pfn_frame(m, pfn)->mapcount != 0);
	m->nr_free += 1ULL << order;
	if (pfn < m->low.end)
		m->low.nr_free += 1ULL << order;
	m->stats.frames_freed += 1ULL << order;
	for (uint64_t i = 0; i < (1ULL << order); i++) {
		struct vm_frame *f = pfn_frame(m, pfn + i);

		memset(f, 0, sizeof(*f));
		f->next = f->prev = FRAME_NIL;
	}
	while (order < MAX_ORDER) {
		uint32_t buddy = pfn ^ (1u << order);
		struct vm_frame *b;

		if (buddy >= m->nr_frames || (buddy < m->low.end) != (pfn < m->low.end))
			break;              /* no block spans two zones */
		b = pfn_frame(m, buddy);
		if (!(b->flags & PG_BUDDY) || frame_order(b) != order)
			break;
		free_list_del(m, buddy, order);
		pfn &= ~(1u << order);
		order++;
	}
	free_list_add(m, pfn, order);
}

/*
 * Take every free frame of the aligned block [start, start + 2^order) off
 * the free lists (they stay free: refcount 0), for compaction.
 */
void buddy_isolate(struct vm_machine *m, uint64_t start, unsigned order)
{
	for (uint64_t pfn = start; pfn < start + (1ULL << order);) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (f->flags & PG_BUDDY) {
			unsigned o = frame_order(f);

			free_list_del(m, (uint32_t)pfn, o);
			m->nr_free -= 1ULL << o;
			if (pfn < m->low.end)
				m->low.nr_free -= 1ULL << o;
			pfn += 1ULL << o;
		} else {
			pfn++;
		}
	}
}

/* give the unused (refcount 0) frames of an isolated block back */
void buddy_unisolate(struct vm_machine *m, uint64_t start, unsigned order)
{
	for (uint64_t pfn = start; pfn < start + (1ULL << order); pfn++) {
		struct vm_frame *f = pfn_frame(m, pfn);

		if (!f->refcount && !(f->flags & (PG_BUDDY | PG_RESERVED))) {
			m->stats.frames_freed--;   /* not a real free: keep stats exact */
			frames_free(m, (uint32_t)pfn, 0);
		}
	}
}

/*
 * A frame nobody references lies in a free block whose head is on its
 * order's list (seen through its neighbours' links), or is deferred.
 * => true if so, else why says what is wrong.  O(MAX_ORDER).
 */
bool buddy_check_free(struct vm_machine *m, uint64_t pfn, char *why, size_t len)
{
	if (pfn >= m->defer_lo && pfn < m->defer_hi)
		return true;
	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		uint64_t head = pfn & ~((1ULL << o) - 1);
		struct vm_frame *h = pfn_frame(m, head);

		if (!(h->flags & PG_BUDDY) || frame_order(h) != o)
			continue;
		if ((h->prev == FRAME_NIL ? zone_free(m, head)[o].head != head
					  : h->prev >= m->nr_frames ||
					    pfn_frame(m, h->prev)->next != head) ||
		    (h->next != FRAME_NIL && (h->next >= m->nr_frames ||
					      pfn_frame(m, h->next)->prev != head))) {
			snprintf(why, len, "free lists: block %llu (order %u) holding free pfn %llu "
				 "is not linked into its list", (unsigned long long)head, o,
				 (unsigned long long)pfn);
			return false;
		}
		return true;
	}
	snprintf(why, len, "frames: pfn %llu has no references but lies in no free block",
		 (unsigned long long)pfn);
	return false;
}

void frame_put(struct vm_machine *m, uint32_t pfn)
{
	struct vm_frame *f = pfn_frame(m, pfn);

	if (f->flags & PG_RESERVED)
		return;
	VM_BUG_ON(f->refcount <= 0);
	if (--f->refcount == 0) {
		lru_del(m, f);
		frames_free(m, pfn, 0);
	}
}

/*
 * Write every deferred descriptor now and put the blocks on the list in
 * ascending order, leaving the lists exactly as an eager start leaves them
 * (for tests, and for benchmarks that touch all of memory anyway).
 */
void frames_init_deferred(struct vm_machine *m)
{
	for (uint64_t start = m->defer_lo; start < m->defer_hi; start += 1ULL << MAX_ORDER) {
		for (uint64_t pfn = start; pfn < start + (1ULL << MAX_ORDER); pfn++) {
			m->frames[pfn].next = m->frames[pfn].prev = FRAME_NIL;
			m->frames[pfn].flags = PG_ZERO;
		}
		free_list_add(m, (uint32_t)start, MAX_ORDER);
	}
	m->defer_lo = m->defer_hi = m->nr_frames;
}

/* the unaligned pieces [pfn, end) at either end of memory go on the lists
 * at once, each in the largest aligned blocks that fit */
static void free_range_now(struct vm_machine *m, uint64_t pfn, uint64_t end)
{
	while (pfn < end) {
		unsigned o = MAX_ORDER;

		while (o && ((pfn & ((1ULL << o) - 1)) || pfn + (1ULL << o) > end))
			o--;
		for (uint64_t i = pfn; i < pfn + (1ULL << o); i++) {
			m->frames[i].next = m->frames[i].prev = FRAME_NIL;
			m->frames[i].flags = PG_ZERO;
		}
		free_list_add(m, (uint32_t)pfn, o);
		pfn += 1ULL << o;
	}
}

/*
 * Linux's watermarks for one zone: min_free_kbytes = sqrt(16 * memory in
 * KiB), within [128 KiB, 256 MiB] (init_per_zone_wmark_min), then
 * low = min + gap and high = low + gap, gap = max(min / 4, memory / 1000)
 * (watermark_scale_factor 10).  revmap's machines can be far smaller than
 * any real one, so min is also held to 1/64 of memory (a 64 KiB machine
 * keeps none in reserve); a 1 GiB machine gets Linux's 4 MiB.
 */
static uint64_t isqrt64(uint64_t x)
{
	uint64_t r = 0;

	for (uint64_t bit = 1ULL << 62; bit; bit >>= 2)
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	return r;
}

static void set_watermarks(struct vm_machine *m)
{
	uint64_t kb = m->nr_frames << (PAGE_SHIFT - 10);
	uint64_t min_kb = isqrt64(kb * 16), gap;

	if (min_kb < 128)
		min_kb = 128;
	if (min_kb > 262144)
		min_kb = 262144;
	m->wmark_min = min_kb >> (PAGE_SHIFT - 10);
	if (m->wmark_min > m->nr_frames / 64)
		m->wmark_min = m->nr_frames / 64;
	gap = m->wmark_min / 4;
	if (gap < m->nr_frames / 1000)
		gap = m->nr_frames / 1000;
	m->wmark_low = m->wmark_min + gap;
	m->wmark_high = m->wmark_low + gap;
}

int machine_init(struct vm_machine *m, uint64_t mem_bytes, const struct rmap_ops *ops)
{
	uint64_t n = mem_bytes >> PAGE_SHIFT, block = 1ULL << MAX_ORDER;
	size_t table = 0;
	void *mem, *frames;

	memset(m, 0, sizeof(*m));
	m->swap.fd = -1;                  /* no swap until swap_on */
	if (n < 16 || n > (1ULL << 32) - 1)
		return -22;
	/* both cost the host nothing until touched (MAP_NORESERVE) */
	mem = mmap(NULL, n << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -12;
	table = n * sizeof(struct vm_frame);
	frames = mmap(NULL, table, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (frames == MAP_FAILED) {
		munmap(mem, n << PAGE_SHIFT);
		return -12;
	}
	m->mem = mem;
	m->frames = frames;
	m->nr_frames = n;
	list_init(&m->mms);
	list_init(&m->files);
	lru_init(m);
	m->rmap = ops ? ops : rmap_find_scheme(NULL);
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		m->free[o].head = FRAME_NIL;
	/* the host hands the arena over zeroed; ask for huge pages to spare
	 * the simulator TLB misses (a hint: it may be ignored) */
	madvise(mem, n << PAGE_SHIFT, MADV_HUGEPAGE);
	/* frame 0: the zero page */
	m->zero_pfn = 0;
	m->frames[0].next = m->frames[0].prev = FRAME_NIL;
	m->frames[0].flags = PG_RESERVED | PG_ZERO;
	/* every other frame is free: the whole MAX_ORDER blocks above the
	 * first are deferred, the pieces below and above them go on the lists
	 * now, in ascending order as an eager start would */
	m->defer_lo = m->defer_hi = n;
	if (n >= 2 * block) {
		m->defer_lo = block;
		m->defer_hi = n & ~(block - 1);
	}
	free_range_now(m, 1, m->defer_lo);
	free_range_now(m, m->defer_hi, n);
	m->nr_free = n - 1;
	m->host_check_at = HOST_CHECK_FRAMES;
	set_watermarks(m);
	slab_init(&m->slab_vma, "vm_area", sizeof(struct vm_area) +
		  rmap_tail_size(m, RMAP_TAIL_VMA));
	slab_init(&m->slab_mm, "vm_mm", sizeof(struct vm_mm) + rmap_tail_size(m, RMAP_TAIL_MM));
	slab_init(&m->slab_anon, "anon_id", sizeof(struct anon_id) +
		  rmap_tail_size(m, RMAP_TAIL_ANON));
	slab_init(&m->slab_link, "anon_link", sizeof(struct anon_link) +
		  rmap_tail_size(m, RMAP_TAIL_LINK));
	m->anon_in_slab = rmap_identity_is_rmap(m) || rmap_tail_size(m, RMAP_TAIL_ANON);
	m->link_in_slab = rmap_identity_is_rmap(m) || rmap_tail_size(m, RMAP_TAIL_LINK);
	if (rmap_machine_init(m)) {
		machine_fini(m);
		return -12;
	}
	return 0;
}

/*
 * --lowmem: frames [1, end) become the low zone.  The machine is made
 * whole first (machine_init), so this re-lays the free lists of a machine
 * nothing has allocated from: the low zone's frames go on its own lists
 * at once (never deferred), the high zone's pieces below the deferred
 * blocks on m->free, and the deferred range starts at the first whole
 * MAX_ORDER block above the low zone.  No buddy block spans the boundary.
 *
 * Its watermarks are its share of the machine's, by size (Linux spreads
 * min_free_kbytes over the zones by their pages, __setup_per_zone_wmarks);
 * user pages must leave it lowmem_reserve frames above min: the high
 * zone's frames / 32 (lowmem_reserve_ratio of ZONE_NORMAL on i386), at
 * most half of it (revmap's machines are small enough for Linux's ratio
 * to fence all of it off, and then no user page could ever live there).
 */
int machine_set_lowmem(struct vm_machine *m, uint64_t bytes, bool highpte)
{
	uint64_t end = bytes >> PAGE_SHIFT, n = m->nr_frames, block = 1ULL << MAX_ORDER;
	struct vm_lowmem *z = &m->low;

	if (end < 16 || end + 16 > n)
		return -22;
	if (m->nr_free + 1 != n || z->end)
		return -16;
	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		m->free[o].head = z->free[o].head = FRAME_NIL;
		m->free[o].nr = z->free[o].nr = 0;
	}
	z->end = end;
	z->highpte = highpte;
	if (m->defer_lo < m->defer_hi) {
		m->defer_lo = (end + block - 1) & ~(block - 1);
		if (m->defer_lo < block)
			m->defer_lo = block;
		if (m->defer_lo >= m->defer_hi)
			m->defer_lo = m->defer_hi = n;
	}
	free_range_now(m, 1, end);
	free_range_now(m, end, m->defer_lo);
	free_range_now(m, m->defer_hi, n);
	z->nr_free = end - 1;
	z->wmark_min = m->wmark_min * end / n;
	z->wmark_low = m->wmark_low * end / n;
	z->wmark_high = m->wmark_high * end / n;
	z->reserve = (n - end) / 32;
	if (z->reserve > (end - 1) / 2)
		z->reserve = (end - 1) / 2;
	return 0;
}

/*
 * A frame is in the zone its use allows: slabs, and page tables without
 * --highpte, are low.  => true, or false with why.
 */
bool lowmem_check_frame(struct vm_machine *m, uint64_t pfn, char *why, size_t len)
{
	const struct vm_frame *f = pfn_frame(m, pfn);

	if (!m->low.end || pfn < m->low.end)
		return true;
	if (f->flags & PG_SLAB) {
		snprintf(why, len, "lowmem: slab pfn %llu of cache %s is above the low zone "
			 "(frames below %llu)", (unsigned long long)pfn,
			 ((const struct vm_slab *)f->mapping)->name, (unsigned long long)m->low.end);
		return false;
	}
	if ((f->flags & PG_PGTABLE) && (!m->low.highpte || !f->mapping)) {
		snprintf(why, len, "lowmem: page table pfn %llu is above the low zone (frames "
			 "below %llu)%s", (unsigned long long)pfn, (unsigned long long)m->low.end,
			 m->low.highpte ? " and is no PTE table (--highpte moves only those)"
			 : " without --highpte");
		return false;
	}
	return true;
}

void machine_fini(struct vm_machine *m)
{
	struct list_head *p, *n;

	check_changes_stop(m);
	list_for_each_safe(p, n, &m->mms)
		mm_destroy(list_entry(p, struct vm_mm, node));
	/* what is left is held by nobody but the machine's users' name tables */
	while (!list_empty(&m->files)) {
		struct vm_file *f = list_entry(m->files.next, struct vm_file, node);

		f->refcount = 1;
		file_put(f);
	}
	swap_release(m);                  /* after the mms: their entries are gone */
	rmap_machine_fini(m);
	if (m->mem)
		munmap(m->mem, m->nr_frames << PAGE_SHIFT);
	if (m->frames)
		munmap(m->frames, m->nr_frames * sizeof(struct vm_frame));
	m->mem = NULL;
	m->frames = NULL;
}
