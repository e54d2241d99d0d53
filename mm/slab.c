/*
 * mm/slab.c - kernel objects in the machine's own frames: one small slab
 * cache per object type (VMAs, address spaces, the anonymous identity's
 * objects with the scheme's tails), as a kernel's kmem_cache.
 *
 * Metadata is memory: a scheme that keeps more per VMA, or more objects,
 * leaves fewer frames for pages, and running out of frames for metadata
 * takes Linux's paths (a fault: OOM; mmap, fork, mremap: -ENOMEM).  Page
 * tables were frames already (mm/pgtable.c).  With --lowmem every slab is a low-zone
 * frame (frames_alloc_kernel: GFP_KERNEL), so pte_chain blocks and VMAs
 * compete for lowmem as they did on the 32-bit machines.
 *
 * A slab is one frame, carved into objects of the cache's size; its
 * descriptor says so (PG_SLAB, mapping = the cache) and holds the slab's
 * bookkeeping:
 *
 *   frame->index   bits 0..31: objects in use; 32..63: objects ever carved
 *                  (the rest of the frame is untouched, zero)
 *   frame->rmap    offset + 1 of the first free object (0: none); a free
 *                  object holds the next one's offset + 1 in its first word
 *   frame->next/prev   the cache's list of slabs with room
 *
 * An object is zeroed when handed out.  A slab whose last object goes is
 * given back to the buddy allocator at once.  Under AddressSanitizer free
 * objects and the uncarved rest of a slab are poisoned, so that a use after
 * free of a VMA is caught as it would be with malloc.
 */
#include <string.h>
#include "mm.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   do { (void)(p); (void)(n); } while (0)
#define UNPOISON(p, n) do { (void)(p); (void)(n); } while (0)
#endif

#define INUSE(f)   ((uint32_t)(f)->index)
#define CARVED(f)  ((uint32_t)((f)->index >> 32))

void slab_init(struct vm_slab *s, const char *name, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->size = (uint32_t)((size + 7) & ~(size_t)7);
	s->per_frame = (uint32_t)(PAGE_SIZE / s->size);
	s->partial = FRAME_NIL;
}

static void partial_add(struct vm_machine *m, struct vm_slab *s, uint32_t pfn)
{
	struct vm_frame *f = pfn_frame(m, pfn);

	f->prev = FRAME_NIL;
	f->next = s->partial;
	if (s->partial != FRAME_NIL)
		pfn_frame(m, s->partial)->prev = pfn;
	s->partial = pfn;
}

static void partial_del(struct vm_machine *m, struct vm_slab *s, uint32_t pfn)
{
	struct vm_frame *f = pfn_frame(m, pfn);

	if (f->prev != FRAME_NIL)
		pfn_frame(m, f->prev)->next = f->next;
	else
		s->partial = f->next;
	if (f->next != FRAME_NIL)
		pfn_frame(m, f->next)->prev = f->prev;
	f->next = f->prev = FRAME_NIL;
}

void *slab_alloc(struct vm_machine *m, struct vm_slab *s)
{
	struct vm_frame *f;
	uint32_t pfn;
	uint8_t *obj;

	if (s->partial == FRAME_NIL) {
		pfn = frames_alloc_kernel(m, 0);   /* lowmem only; counts as an allocation */
		if (pfn == FRAME_NIL)
			return NULL;
		f = pfn_frame(m, pfn);
		f->flags = PG_SLAB;
		f->mapping = s;
		f->index = 0;
		f->rmap = 0;
		POISON(pfn_data(m, pfn), PAGE_SIZE);
		partial_add(m, s, pfn);
		s->frames++;
	} else {
		pfn = s->partial;
		f = pfn_frame(m, pfn);
		if (!machine_may_alloc(m))
			return NULL;
	}
	if (f->rmap) {
		obj = (uint8_t *)pfn_data(m, pfn) + (f->rmap - 1);
		UNPOISON(obj, s->size);
		memcpy(&f->rmap, obj, sizeof(f->rmap));
	} else {
		obj = (uint8_t *)pfn_data(m, pfn) + (uint64_t)CARVED(f) * s->size;
		UNPOISON(obj, s->size);
		f->index += 1ULL << 32;
	}
	f->index++;
	if (INUSE(f) == s->per_frame)
		partial_del(m, s, pfn);
	memset(obj, 0, s->size);
	s->objects++;
	return obj;
}

void slab_free(struct vm_machine *m, struct vm_slab *s, void *p)
{
	uint64_t off = (uint64_t)((uint8_t *)p - m->mem);
	uint32_t pfn = (uint32_t)(off >> PAGE_SHIFT);
	struct vm_frame *f = pfn_frame(m, pfn);
	uint64_t next = f->rmap;

	VM_BUG_ON(off >= m->nr_frames << PAGE_SHIFT || !(f->flags & PG_SLAB) ||
		  f->mapping != s || INUSE(f) == 0 || (off & (PAGE_SIZE - 1)) % s->size);
	if (INUSE(f) == s->per_frame)
		partial_add(m, s, pfn);
	memcpy(p, &next, sizeof(next));
	f->rmap = (off & (PAGE_SIZE - 1)) + 1;
	POISON(p, s->size);
	f->index--;
	s->objects--;
	if (INUSE(f) == 0) {
		partial_del(m, s, pfn);
		UNPOISON(pfn_data(m, pfn), PAGE_SIZE);
		f->flags &= ~PG_SLAB;
		f->mapping = NULL;
		f->index = 0;
		f->rmap = 0;
		s->frames--;
		frame_put(m, pfn);
	}
}

unsigned machine_slabs(const struct vm_machine *m, const struct vm_slab *out[NR_SLABS])
{
	unsigned n = 0;

	out[n++] = &m->slab_vma;
	out[n++] = &m->slab_mm;
	out[n++] = &m->slab_anon;
	out[n++] = &m->slab_link;
	for (unsigned i = 0; i < NR_RMAP_SLABS; i++)
		if (m->slab_rmap[i].name)
			out[n++] = &m->slab_rmap[i];
	return n;
}

/* the cache's slabs: in use, each frame a slab of it, counts agreeing */
bool slab_check(struct vm_machine *m, const struct vm_slab *s, uint64_t frames_seen)
{
	if (frames_seen != s->frames) {
		snprintf(m->why, sizeof(m->why), "slab %s: %llu frames say they are its slabs, "
			 "it counts %llu", s->name, (unsigned long long)frames_seen,
			 (unsigned long long)s->frames);
		return false;
	}
	if (s->objects > s->frames * s->per_frame) {
		snprintf(m->why, sizeof(m->why), "slab %s: %llu objects in %llu frames of %u",
			 s->name, (unsigned long long)s->objects, (unsigned long long)s->frames,
			 s->per_frame);
		return false;
	}
	return true;
}
