/*
 * mm/frame.c - physical memory: the frame table and a binary buddy
 * allocator (orders 0..MAX_ORDER), as Linux's page allocator without zones.
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
 */
#include <stdlib.h>
#include <string.h>
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

static void free_list_add(struct vm_machine *m, uint32_t pfn, unsigned order)
{
	struct vm_frame *f = pfn_frame(m, pfn);
	uint32_t head = m->free[order].head;

	f->flags = (f->flags & PG_ZERO) | PG_BUDDY | (order << PG_ORDER_SHIFT);
	f->prev = FRAME_NIL;
	f->next = head;
	if (head != FRAME_NIL)
		pfn_frame(m, head)->prev = pfn;
	m->free[order].head = pfn;
	m->free[order].nr++;
}

static void free_list_del(struct vm_machine *m, uint32_t pfn, unsigned order)
{
	struct vm_frame *f = pfn_frame(m, pfn);

	if (f->prev != FRAME_NIL)
		pfn_frame(m, f->prev)->next = f->next;
	else
		m->free[order].head = f->next;
	if (f->next != FRAME_NIL)
		pfn_frame(m, f->next)->prev = f->prev;
	f->next = f->prev = FRAME_NIL;
	f->flags &= PG_ZERO;
	m->free[order].nr--;
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

uint32_t __frames_alloc(struct vm_machine *m, unsigned order, bool zero)
{
	unsigned o;
	uint32_t pfn;

	if (!machine_may_alloc(m))
		return FRAME_NIL;
	for (o = order; o <= MAX_ORDER; o++)
		if (m->free[o].head != FRAME_NIL)
			break;
	if (o > MAX_ORDER)
		return FRAME_NIL;
	pfn = m->free[o].head;
	free_list_del(m, pfn, o);
	/* split: give back the upper halves */
	while (o > order) {
		o--;
		free_list_add(m, pfn + (1u << o), o);
	}
	m->nr_free -= 1ULL << order;
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

uint32_t frames_alloc(struct vm_machine *m, unsigned order)
{
	return __frames_alloc(m, order, true);
}

void frames_free(struct vm_machine *m, uint32_t pfn, unsigned order)
{
	VM_BUG_ON(pfn_frame(m, pfn)->flags & (PG_BUDDY | PG_RESERVED));
	VM_BUG_ON(pfn_frame(m, pfn)->mapcount != 0);
	m->nr_free += 1ULL << order;
	m->stats.frames_freed += 1ULL << order;
	for (uint64_t i = 0; i < (1ULL << order); i++) {
		struct vm_frame *f = pfn_frame(m, pfn + i);

		memset(f, 0, sizeof(*f));
		f->next = f->prev = FRAME_NIL;
	}
	while (order < MAX_ORDER) {
		uint32_t buddy = pfn ^ (1u << order);
		struct vm_frame *b;

		if (buddy >= m->nr_frames)
			break;
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

void frame_put(struct vm_machine *m, uint32_t pfn)
{
	struct vm_frame *f = pfn_frame(m, pfn);

	if (f->flags & PG_RESERVED)
		return;
	VM_BUG_ON(f->refcount <= 0);
	if (--f->refcount == 0)
		frames_free(m, pfn, 0);
}

int machine_init(struct vm_machine *m, uint64_t mem_bytes, const struct rmap_ops *ops)
{
	uint64_t n = mem_bytes >> PAGE_SHIFT;
	void *mem;

	memset(m, 0, sizeof(*m));
	if (n < 16 || n > (1ULL << 32) - 1)
		return -22;
	mem = mmap(NULL, n << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -12;
	m->frames = calloc(n, sizeof(struct vm_frame));
	if (!m->frames) {
		munmap(mem, n << PAGE_SHIFT);
		return -12;
	}
	m->mem = mem;
	m->nr_frames = n;
	list_init(&m->mms);
	list_init(&m->files);
	m->rmap = ops ? ops : &rmap_linux_ops;
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		m->free[o].head = FRAME_NIL;
	/* the host hands the arena over zeroed; ask for huge pages to spare
	 * the simulator TLB misses (a hint: it may be ignored) */
	madvise(mem, n << PAGE_SHIFT, MADV_HUGEPAGE);
	for (uint64_t i = 0; i < n; i++) {
		m->frames[i].next = m->frames[i].prev = FRAME_NIL;
		m->frames[i].flags = PG_ZERO;
	}
	/* frame 0: the zero page */
	m->zero_pfn = 0;
	m->frames[0].flags = PG_RESERVED | PG_ZERO;
	/* hand every other frame to the allocator in the largest aligned blocks */
	for (uint64_t pfn = 1; pfn < n;) {
		unsigned o = MAX_ORDER;

		while (o && ((pfn & ((1ULL << o) - 1)) || pfn + (1ULL << o) > n))
			o--;
		m->nr_free += 1ULL << o;
		free_list_add(m, (uint32_t)pfn, o);
		pfn += 1ULL << o;
	}
	if (m->rmap->init(m)) {
		machine_fini(m);
		return -12;
	}
	return 0;
}

void machine_fini(struct vm_machine *m)
{
	struct list_head *p, *n;

	list_for_each_safe(p, n, &m->mms)
		mm_destroy(list_entry(p, struct vm_mm, node));
	/* what is left is held by nobody but the machine's users' name tables */
	while (!list_empty(&m->files)) {
		struct vm_file *f = list_entry(m->files.next, struct vm_file, node);

		f->refcount = 1;
		file_put(f);
	}
	if (m->rmap)
		m->rmap->fini(m);
	if (m->mem)
		munmap(m->mem, m->nr_frames << PAGE_SHIFT);
	free(m->frames);
	m->mem = NULL;
	m->frames = NULL;
}
