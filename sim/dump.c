/*
 * sim/dump.c - the canonical dump (docs/trace-format.md, "The dump").
 *
 * The simulator and the Linux tester both describe their final state through
 * these calls, so the two dumps differ only where the states differ.  The one
 * piece of state is the canonical frame numbering: an open-addressing map
 * from raw frame id (a PFN of either machine) to its number f1, f2, ... in
 * order of first appearance.  A slot is empty when its value is 0 (canonical
 * numbers start at 1), so every 64-bit raw id, 0 included, is a valid key.
 */
#include "dump.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void out(struct dump_writer *w, const char *fmt, ...)
{
	va_list ap;

	if (w->err || !w->f)
		return;
	va_start(ap, fmt);
	if (vfprintf(w->f, fmt, ap) < 0)
		w->err = errno ? errno : EIO;
	va_end(ap);
}

void dump_begin(struct dump_writer *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->next = 1;
	out(w, "revmap-dump 1\n");
}

void dump_op(struct dump_writer *w, uint32_t line, const struct tr_result *r)
{
	char buf[64];
	out(w, "op %" PRIu32 " %s\n", line, tr_result_format(r, buf, sizeof(buf)));
}

void dump_proc(struct dump_writer *w, int pid)
{
	out(w, "proc %d\n", pid);
}

void dump_vma(struct dump_writer *w, uint64_t start, uint64_t end, uint32_t prot,
	      bool shared, uint64_t offset, const char *name)
{
	out(w, "vma 0x%" PRIx64 " 0x%" PRIx64 " %c%c%c%c 0x%" PRIx64 " %s\n",
	    start, end, prot & TR_PROT_READ ? 'r' : '-',
	    prot & TR_PROT_WRITE ? 'w' : '-', prot & TR_PROT_EXEC ? 'x' : '-',
	    shared ? 's' : 'p', offset, name ? name : "-");
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* => the slot of raw in the map, growing it first if need be; an empty
 *    slot (vals 0) if raw is new; SIZE_MAX if the map cannot grow (then
 *    w->err is ENOMEM) */
static size_t frame_slot(struct dump_writer *w, uint64_t raw)
{
	if ((w->used + 1) * 2 > w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 1024;
		uint64_t *k = calloc(ncap, sizeof(*k));
		uint64_t *v = calloc(ncap, sizeof(*v));
		uint64_t *d = calloc(ncap, sizeof(*d));
		if (!k || !v || !d) {
			free(k);
			free(v);
			free(d);
			w->err = ENOMEM;
			return SIZE_MAX;
		}
		for (size_t i = 0; i < w->cap; i++) {
			if (!w->vals[i])
				continue;
			size_t j = mix(w->keys[i]) & (ncap - 1);
			while (v[j])
				j = (j + 1) & (ncap - 1);
			k[j] = w->keys[i];
			v[j] = w->vals[i];
			d[j] = w->digests[i];
		}
		free(w->keys);
		free(w->vals);
		free(w->digests);
		w->keys = k;
		w->vals = v;
		w->digests = d;
		w->cap = ncap;
	}
	size_t m = w->cap - 1;
	size_t i = mix(raw) & m;
	while (w->vals[i] && w->keys[i] != raw)
		i = (i + 1) & m;
	return i;
}

/* a new frame takes the next canonical number in slot i */
static void frame_number_new(struct dump_writer *w, size_t i, uint64_t raw, uint64_t digest)
{
	w->keys[i] = raw;
	w->vals[i] = w->next++;
	w->digests[i] = digest;
	w->used++;
}

static const char *const kinds[] = {
	[DUMP_ANON] = "anon", [DUMP_FILE] = "file",
	[DUMP_SHMEM] = "shmem", [DUMP_ZERO] = "zero",
};

static void page_line(struct dump_writer *w, uint64_t vaddr, enum dump_kind kind,
		      uint64_t digest, uint64_t number, uint64_t mapcount)
{
	const char *k = (unsigned)kind <= DUMP_ZERO ? kinds[kind] : "?";

	if (kind == DUMP_ZERO)
		out(w, "page 0x%" PRIx64 " %s %016" PRIx64 " z -\n", vaddr, k, digest);
	else
		out(w, "page 0x%" PRIx64 " %s %016" PRIx64 " f%" PRIu64 " %" PRIu64 "\n",
		    vaddr, k, digest, number, mapcount);
}

void dump_page(struct dump_writer *w, uint64_t vaddr, enum dump_kind kind,
	       uint64_t digest, uint64_t raw_frame, uint64_t mapcount)
{
	size_t i;

	if (kind == DUMP_ZERO) {
		page_line(w, vaddr, kind, digest, 0, 0);
		return;
	}
	i = frame_slot(w, raw_frame);
	if (i == SIZE_MAX)
		return;
	if (!w->vals[i])
		frame_number_new(w, i, raw_frame, digest);
	page_line(w, vaddr, kind, digest, w->vals[i], mapcount);
}

void dump_page_data(struct dump_writer *w, uint64_t vaddr, enum dump_kind kind,
		    const void *data, uint64_t raw_frame, uint64_t mapcount)
{
	size_t i;

	if (kind == DUMP_ZERO) {
		if (!w->zero_hashed && !w->print_only) {
			w->zero_digest = dump_digest(data);
			w->zero_hashed = true;
		}
		page_line(w, vaddr, kind, w->zero_digest, 0, 0);
		return;
	}
	i = frame_slot(w, raw_frame);
	if (i == SIZE_MAX)
		return;
	if (!w->vals[i])
		frame_number_new(w, i, raw_frame, w->print_only ? 0 : dump_digest(data));
	page_line(w, vaddr, kind, w->digests[i], w->vals[i], mapcount);
}

int dump_end(struct dump_writer *w)
{
	if (w->f && fflush(w->f) != 0 && !w->err)
		w->err = errno ? errno : EIO;
	if (w->f && ferror(w->f) && !w->err)
		w->err = EIO;
	free(w->keys);
	free(w->vals);
	free(w->digests);
	w->keys = w->vals = w->digests = NULL;
	w->cap = w->used = 0;
	return w->err ? -w->err : 0;
}

uint64_t dump_digest(const void *page)
{
	const unsigned char *p = page;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < 4096; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
