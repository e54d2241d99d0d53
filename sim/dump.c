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

/* => returns the canonical number of raw, assigning the next one if new;
 *    0 if the map cannot grow (then w->err is ENOMEM). */
static uint64_t frame_number(struct dump_writer *w, uint64_t raw)
{
	if ((w->used + 1) * 2 > w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 1024;
		uint64_t *k = calloc(ncap, sizeof(*k));
		uint64_t *v = calloc(ncap, sizeof(*v));
		if (!k || !v) {
			free(k);
			free(v);
			w->err = ENOMEM;
			return 0;
		}
		for (size_t i = 0; i < w->cap; i++) {
			if (!w->vals[i])
				continue;
			size_t j = mix(w->keys[i]) & (ncap - 1);
			while (v[j])
				j = (j + 1) & (ncap - 1);
			k[j] = w->keys[i];
			v[j] = w->vals[i];
		}
		free(w->keys);
		free(w->vals);
		w->keys = k;
		w->vals = v;
		w->cap = ncap;
	}
	size_t m = w->cap - 1;
	size_t i = mix(raw) & m;
	while (w->vals[i]) {
		if (w->keys[i] == raw)
			return w->vals[i];
		i = (i + 1) & m;
	}
	w->keys[i] = raw;
	w->vals[i] = w->next++;
	w->used++;
	return w->vals[i];
}

void dump_page(struct dump_writer *w, uint64_t vaddr, enum dump_kind kind,
	       uint64_t digest, uint64_t raw_frame, uint64_t mapcount)
{
	static const char *const kinds[] = {
		[DUMP_ANON] = "anon", [DUMP_FILE] = "file",
		[DUMP_SHMEM] = "shmem", [DUMP_ZERO] = "zero",
	};
	const char *k = (unsigned)kind <= DUMP_ZERO ? kinds[kind] : "?";

	if (kind == DUMP_ZERO) {
		out(w, "page 0x%" PRIx64 " %s %016" PRIx64 " z -\n", vaddr, k, digest);
		return;
	}
	uint64_t fn = frame_number(w, raw_frame);
	if (!fn)
		return;
	out(w, "page 0x%" PRIx64 " %s %016" PRIx64 " f%" PRIu64 " %" PRIu64 "\n",
	    vaddr, k, digest, fn, mapcount);
}

int dump_end(struct dump_writer *w)
{
	if (w->f && fflush(w->f) != 0 && !w->err)
		w->err = errno ? errno : EIO;
	if (w->f && ferror(w->f) && !w->err)
		w->err = EIO;
	free(w->keys);
	free(w->vals);
	w->keys = w->vals = NULL;
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
