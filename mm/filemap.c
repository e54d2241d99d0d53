/*
 * mm/filemap.c - files, their page cache, and the file side of the reverse
 * map (i_mmap).
 *
 * A file's page cache maps a page index to a frame (a radix tree); a cached
 * frame is PG_CACHE, points back at its file (mapping, index) and holds one
 * reference for the cache besides one per PTE.  The files behave as tmpfs
 * files do on Linux (the Linux tester keeps its files on /dev/shm): a hole
 * (after a truncate that grew the file, or a punched hole) reads as zeroes
 * and gets a page-cache page on first use.
 *
 * Under memory pressure reclaim writes a dirty page-cache page to the
 * file's backing store and drops it (clean pages are simply dropped); a
 * later miss reads it back from there.  The store is a scratch host file
 * per file, created (and unlinked at once, so it goes away with revmap)
 * at the first writeback; `stored` says which pages it holds.  A page not
 * in the cache reads, in order: from the store, from the host file of a
 * hostfile, or as zeroes (a tmpfs hole).  Truncate and hole punching
 * forget the store's pages in their range.  (Linux's tmpfs would write
 * such pages to swap; revmap's files have a store of their own so that
 * file reclaim works without --swap.)
 *
 * i_mmap is an interval tree of every VMA mapping the file, keyed by the
 * page offsets it maps.  It serves truncate and hole punching, which must
 * unmap a range of the file from every address space, and rmap_walk of
 * file pages, in every scheme.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "mm.h"
#include "../rmap/rmap.h"

static void *cache_alloc(void *ctx, size_t size)
{
	struct vm_machine *m = ctx;

	return machine_may_alloc(m) ? calloc(1, size) : NULL;
}

static struct vm_file *file_new(struct vm_machine *m, const char *name, uint64_t size)
{
	struct vm_file *f = vm_zalloc(m, sizeof(*f));

	if (!f)
		return NULL;
	f->name = strdup(name);
	if (!f->name) {
		free(f);
		return NULL;
	}
	f->machine = m;
	f->size = size;
	f->refcount = 1;
	f->host_fd = -1;
	f->store_fd = -1;
	f->writable = true;
	radix_init(&f->cache);
	radix_init(&f->stored);
	radix_set_alloc(&f->cache, cache_alloc, m);
	list_add_tail(&f->node, &m->files);
	return f;
}

/* add a fresh frame to the cache at index; => pfn or FRAME_NIL */
static void cache_remove(struct vm_file *f, uint64_t index);

static uint32_t cache_add(struct vm_file *f, uint64_t index, bool zero)
{
	struct vm_machine *m = f->machine;
	uint32_t pfn = __frames_alloc(m, 0, zero);
	struct vm_frame *fr;

	if (pfn == FRAME_NIL)
		return FRAME_NIL;
	if (radix_insert(&f->cache, index, pfn)) {
		frame_put(m, pfn);
		return FRAME_NIL;
	}
	fr = pfn_frame(m, pfn);
	fr->flags = PG_CACHE;
	fr->mapping = f;
	fr->index = index;
	lru_add(m, fr, false);
	check_note_frame(m, pfn);
	return pfn;
}

/* drop the cache's reference to the page at index (it must be unmapped) */
void file_drop_page(struct vm_file *f, uint64_t index)
{
	cache_remove(f, index);
}

/* migration: the page at index now lives in frame npfn */
void file_replace_page(struct vm_file *f, uint64_t index, uint32_t npfn)
{
	uint32_t old = radix_replace(&f->cache, index, npfn);

	VM_BUG_ON(old == RADIX_NONE);
	(void)old;
}

static void cache_remove(struct vm_file *f, uint64_t index)
{
	uint32_t pfn = radix_delete(&f->cache, index);

	if (pfn != RADIX_NONE) {
		struct vm_frame *fr = pfn_frame(f->machine, pfn);

		check_note_frame(f->machine, pfn);
		lru_del(f->machine, fr);
		fr->flags &= ~(PG_CACHE | PG_REFERENCED);
		fr->mapping = NULL;
		frame_put(f->machine, pfn);
	}
}

/* where files' stores (and swap) live on the host: $TMPDIR, or /tmp */
static const char *store_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir && *dir ? dir : "/tmp";
}

/*
 * A file bigger than the machine's memory goes, as it is made, to its store
 * on the host's disk: refuse one that the host's free space there cannot
 * hold with 1 GiB to spare, before writing any of it (a trace's `file` line
 * must not fill the host's disk).  => 0, or -28 (ENOSPC)
 */
static int store_room(const struct vm_machine *m, uint64_t size)
{
	struct statvfs sv;
	uint64_t free_bytes;

	if (size / PAGE_SIZE < m->nr_frames || statvfs(store_dir(), &sv))
		return 0;
	free_bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	return free_bytes < (1ULL << 30) || size > free_bytes - (1ULL << 30) ? -28 : 0;
}

struct vm_file *file_create(struct vm_machine *m, const char *name, uint64_t size,
			    uint64_t seed, int *err)
{
	struct vm_file *f;
	uint64_t words = size / 8, word = 0;

	if ((*err = store_room(m, size)))
		return NULL;
	f = file_new(m, name, size);
	*err = -12;
	if (!f)
		return NULL;
	for (uint64_t idx = 0; idx < file_pages(f); idx++) {
		uint32_t pfn = cache_add(f, idx, false);
		uint8_t *p;
		uint64_t bytes = size - idx * PAGE_SIZE;

		/* memory short (not an injected failure): reclaim, which may
		 * write this file's first pages to its store (a file larger
		 * than the machine; with --lowmem, user pages leave the low
		 * zone's reserve) */
		while (pfn == FRAME_NIL && m->nr_free <= m->wmark_min + m->low.reserve &&
		       !m->host_exhausted) {
			uint64_t n = mm_reclaim_retry(m, 32);

			if (!n)
				break;
			m->stats.direct_steal += n;
			pfn = cache_add(f, idx, false);
		}
		if (pfn == FRAME_NIL) {
			file_put(f);
			return NULL;
		}
		p = pfn_data(m, pfn);
		if (bytes > PAGE_SIZE)
			bytes = PAGE_SIZE;
		memset(p, 0, PAGE_SIZE);
		/* word i is seed * 0x9E3779B97F4A7C15 + i, little endian; a
		 * last partial word keeps its first bytes */
		for (uint64_t off = 0; off < bytes; off += 8, word++) {
			uint64_t v = seed * 0x9E3779B97F4A7C15ULL + word;
			uint8_t b[8];

			for (int i = 0; i < 8; i++)
				b[i] = (uint8_t)(v >> (8 * i));
			memcpy(p + off, b, bytes - off < 8 ? bytes - off : 8);
		}
		pfn_frame(m, pfn)->flags |= PG_DIRTY;
	}
	(void)words;
	*err = 0;
	return f;
}

struct vm_file *file_create_host(struct vm_machine *m, const char *name, int fd,
				 uint64_t size, int *err)
{
	struct vm_file *f = file_new(m, name, size);

	if (!f) {
		*err = -12;
		return NULL;
	}
	f->host_fd = fd;
	f->writable = false;
	*err = 0;
	return f;
}

struct vm_file *file_create_shmem(struct vm_machine *m, uint64_t size)
{
	struct vm_file *f = file_new(m, "[shared-anon]", size);

	if (f)
		f->shmem = true;
	return f;
}

void file_get(struct vm_file *f)
{
	f->refcount++;
}

void file_put(struct vm_file *f)
{
	uint64_t idx;
	uint32_t pfn;

	VM_BUG_ON(f->refcount <= 0);
	if (--f->refcount)
		return;
	VM_BUG_ON(!rb_empty(&f->i_mmap));
	VM_BUG_ON(!rb_empty(&f->i_mmap_nonlinear));
	check_forget_file(f);
	while (radix_next(&f->cache, 0, UINT64_MAX, &idx, &pfn))
		cache_remove(f, idx);
	radix_destroy(&f->cache);
	radix_destroy(&f->stored);
	if (f->host_fd >= 0)
		close(f->host_fd);
	if (f->store_fd >= 0)
		close(f->store_fd);
	list_del(&f->node);
	free(f->name);
	free(f);
}

int file_get_page(struct vm_file *f, uint64_t index, uint32_t *pfn)
{
	uint32_t p;

	if (index >= file_pages(f))
		return VM_FAULT_BUS;
	p = radix_lookup(&f->cache, index);
	if (p == RADIX_NONE) {
		bool stored = radix_lookup(&f->stored, index) != RADIX_NONE;

		p = cache_add(f, index, !stored);
		if (p == FRAME_NIL)
			return VM_FAULT_OOM;
		if (stored) {
			/* written back under pressure: its bytes are in the store
			 * only (a short read cannot happen: it wrote a whole page) */
			if (pread(f->store_fd, pfn_data(f->machine, p), PAGE_SIZE,
				  (off_t)(index << PAGE_SHIFT)) != PAGE_SIZE) {
				cache_remove(f, index);
				return VM_FAULT_BUS;
			}
		} else if (f->host_fd >= 0) {
			/* read on demand; a short read leaves zeroes, and
			 * nothing past i_size shows (the host file may have grown) */
			uint64_t valid = f->size - (index << PAGE_SHIFT);
			ssize_t n = pread(f->host_fd, pfn_data(f->machine, p), PAGE_SIZE,
					  (off_t)(index << PAGE_SHIFT));

			if (n > 0 && (uint64_t)n > valid)
				memset(frame_bytes(f->machine, p, valid, PAGE_SIZE - valid), 0,
				       PAGE_SIZE - valid);
		}
	}
	*pfn = p;
	return VM_FAULT_OK;
}

/*
 * => the store's descriptor, made at first use: a scratch file in $TMPDIR
 *    (default /tmp), unlinked at once; -1 if it cannot be made
 */
static int store_fd(struct vm_file *f)
{
	char path[4096];

	if (f->store_fd >= 0)
		return f->store_fd;
	snprintf(path, sizeof(path), "%s/revmap-store.XXXXXX", store_dir());
	f->store_fd = mkstemp(path);
	if (f->store_fd >= 0)
		unlink(path);
	return f->store_fd;
}

int file_writeback(struct vm_file *f, uint64_t index, uint32_t pfn)
{
	int fd = store_fd(f);

	if (fd < 0 || pwrite(fd, pfn_data(f->machine, pfn), PAGE_SIZE,
			     (off_t)(index << PAGE_SHIFT)) != PAGE_SIZE)
		return -5;
	if (radix_lookup(&f->stored, index) == RADIX_NONE &&
	    radix_insert(&f->stored, index, 1))
		return -5;             /* the host is out of memory: keep the page */
	f->machine->stats.writebacks++;
	return 0;
}

/* forget the store's pages [first, last] (truncate, hole punching) */
static void store_forget(struct vm_file *f, uint64_t first, uint64_t last)
{
	uint64_t idx;
	uint32_t v;

	while (first <= last && radix_next(&f->stored, first, last, &idx, &v)) {
		radix_delete(&f->stored, idx);
		if (idx == UINT64_MAX)
			break;
		first = idx + 1;
	}
}

/*
 * pwrite(2) of 8 bytes through the page cache (shmem_file_write_iter): the
 * bytes may straddle two pages, and each page is found, or allocated in a
 * hole, before anything is copied, so that a failure writes nothing.
 */
int file_write8(struct vm_file *f, uint64_t off, uint64_t value)
{
	struct vm_machine *m = f->machine;
	uint64_t first = off >> PAGE_SHIFT, last = (off + 7) >> PAGE_SHIFT;
	uint32_t pfn[2];
	uint8_t b[8];
	unsigned done = 0;

	if (off > f->size || f->size - off < 8)
		return -22;
	for (uint64_t idx = first; idx <= last; idx++) {
		int r = file_get_page(f, idx, &pfn[idx - first]);

		if (r == VM_FAULT_OOM)
			return -12;
		if (r != VM_FAULT_OK)
			return -22;
	}
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(value >> (8 * i));
	for (uint64_t idx = first; idx <= last; idx++) {
		uint64_t in = (off + done) & ~PAGE_MASK;
		unsigned n = (unsigned)(PAGE_SIZE - in < 8 - done ? PAGE_SIZE - in : 8 - done);

		memcpy(frame_bytes(m, pfn[idx - first], in, n), b + done, n);
		pfn_frame(m, pfn[idx - first])->flags |= PG_DIRTY;
		done += n;
	}
	return 0;
}

/* ---------------- i_mmap ---------------- */

/*
 * The tree a VMA of the file hangs in: i_mmap, or (--nonlinear) for a
 * VM_NONLINEAR VMA i_mmap_nonlinear, 2.6's list of the VMAs whose pages
 * may come from any offset (__vma_link_file); it is keyed as i_mmap, by
 * the VMA's linear range, but that key says nothing about which pages it
 * maps, so every search of it goes through the whole tree.
 */
struct rb_root *file_vma_root(const struct vm_area *vma)
{
	return (vma->flags & VM_NONLINEAR) ? &vma->file->i_mmap_nonlinear
					   : &vma->file->i_mmap;
}

void file_vma_link(struct vm_area *vma)
{
	vma->shared.start = vma->pgoff;
	vma->shared.last = vma->pgoff + vma_pages(vma) - 1;
	itree_insert(&vma->shared, file_vma_root(vma));
}

void file_vma_unlink(struct vm_area *vma)
{
	itree_remove(&vma->shared, file_vma_root(vma));
}

void unmap_mapping_range(struct vm_file *f, uint64_t first, uint64_t last, bool even_cows)
{
	struct itree_node *it;

	for (it = itree_iter_first(&f->i_mmap, first, last); it;
	     it = itree_iter_next(it, first, last)) {
		struct vm_area *v = container_of(it, struct vm_area, shared);
		uint64_t lo = first > v->pgoff ? first : v->pgoff;
		uint64_t hi = last < it->last ? last : it->last;
		uint64_t start = v->start + ((lo - v->pgoff) << PAGE_SHIFT);
		uint64_t end = v->start + ((hi - v->pgoff + 1) << PAGE_SHIFT);

		f->machine->stats.rmap_vmas_visited++;
		zap_file_range(v, start, end, even_cows);
	}
	/*
	 * Seed 004 (a)'s fix (i), which is what 2.6 did: the VMAs that
	 * remap_file_pages touched are tagged (VM_NONLINEAR, kept on
	 * i_mmap_nonlinear) and searched exhaustively here, so that no page
	 * of [first, last] stays mapped through them.  (ii), a cleanup pass
	 * of try_to_unmap on every still-mapped page, and (iii), a
	 * try_to_unmap of each page, would walk every truncated page, mapped
	 * linearly or not, where (i) costs only the files that have
	 * nonlinear VMAs, in proportion to those VMAs' PTEs.
	 */
	if (f->machine->nl_no_truncate_fix)
		return;                      /* tests: the seed's bug, for the checker */
	for (it = itree_iter_first(&f->i_mmap_nonlinear, 0, UINT64_MAX); it;
	     it = itree_iter_next(it, 0, UINT64_MAX)) {
		struct vm_area *v = container_of(it, struct vm_area, shared);

		f->machine->stats.rmap_vmas_visited++;
		zap_nonlinear_range(v, v->start, v->end, first, last);
	}
}

/* remove cache pages [first, last]; they must be unmapped already */
static void cache_remove_range(struct vm_file *f, uint64_t first, uint64_t last)
{
	uint64_t idx;
	uint32_t pfn;

	while (first <= last && radix_next(&f->cache, first, last, &idx, &pfn)) {
		cache_remove(f, idx);
		if (idx == UINT64_MAX)
			break;
		first = idx + 1;
	}
}

/*
 * shmem_setattr: shrinking unmaps every page past the new end from every
 * address space (private copies too), drops those pages from the cache and
 * zeroes the tail of the last partial page, which it dirties.
 * => a size of 2^63 or more is a negative loff_t: -EINVAL, nothing changes
 *    (fs/open.c do_sys_ftruncate).
 */
int file_truncate(struct vm_file *f, uint64_t size)
{
	uint64_t old = f->size;

	if (size > (uint64_t)INT64_MAX)
		return -22;
	check_note_file(f);
	f->size = size;
	/* tmpfs truncates whenever the size does not grow: a same-size
	 * truncate zeroes the tail of the last page too */
	if (size <= old) {
		uint64_t hole = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
		uint32_t pfn;

		unmap_mapping_range(f, hole, UINT64_MAX, true);
		cache_remove_range(f, hole, UINT64_MAX);
		store_forget(f, hole, UINT64_MAX);
		if (size & ~PAGE_MASK) {
			uint64_t last = size >> PAGE_SHIFT;

			pfn = radix_lookup(&f->cache, last);
			if (pfn == RADIX_NONE && radix_lookup(&f->stored, last) != RADIX_NONE) {
				/* written back: zero the tail where it lies (if
				 * the host cannot write, the old bytes past the end
				 * stay, counted: forgetting the page would lose
				 * the bytes before it) */
				static const uint8_t zeroes[PAGE_SIZE];
				uint64_t off = size & ~PAGE_MASK;

				if (pwrite(f->store_fd, zeroes, PAGE_SIZE - off,
					   (off_t)((last << PAGE_SHIFT) + off)) !=
				    (ssize_t)(PAGE_SIZE - off))
					f->machine->stats.store_errors++;
			}
			if (pfn != RADIX_NONE) {
				memset(frame_bytes(f->machine, pfn, size & ~PAGE_MASK,
						   PAGE_SIZE - (size & ~PAGE_MASK)),
				       0, PAGE_SIZE - (size & ~PAGE_MASK));
				/* shmem_undo_range dirties the partial page
				 * first: reclaim keeps it even if it was a
				 * clean hole page */
				pfn_frame(f->machine, pfn)->flags |= PG_DIRTY;
			}
		}
	}
	return 0;
}

void file_punch_hole(struct vm_file *f, uint64_t first, uint64_t last)
{
	unmap_mapping_range(f, first, last, false);
	cache_remove_range(f, first, last);
	store_forget(f, first, last);
}
