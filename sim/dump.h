/*
 * sim/dump.h - writer of the canonical dump (docs/trace-format.md,
 * "The dump").  Both `revmap replay --dump` and the Linux tester write through
 * it, so that the two outputs can only differ in what they describe.
 *
 * Frames are numbered canonically: a raw frame id (a PFN, whatever the
 * source) not seen before gets the next number f1, f2, ...; the zero page is
 * `z` and its map count `-`.  The writer remembers each frame's digest with
 * its number, so that a frame mapped by ten thousand processes is hashed
 * once per dump, not once per line.
 */
#ifndef REVMAP_SIM_DUMP_H
#define REVMAP_SIM_DUMP_H

#include <stdio.h>
#include <stdint.h>
#include "trace.h"

enum dump_kind { DUMP_ANON, DUMP_FILE, DUMP_SHMEM, DUMP_ZERO };

struct dump_writer {
	FILE *f;                /* output */
	uint64_t *keys;         /* open-addressing map raw id -> canonical number */
	uint64_t *vals;         /* the number (0: empty slot) */
	uint64_t *digests;      /* the frame's digest, when hashed here */
	size_t cap, used;
	uint64_t next;          /* next canonical frame number */
	uint64_t zero_digest;   /* the zero page's digest, once hashed */
	bool zero_hashed;       /* zero_digest is set */
	bool print_only;        /* benchmarks: dump_page_data writes digest 0 and hashes
				   nothing, to time the printing alone */
	int err;                /* a write failed (errno) */
};

void dump_begin(struct dump_writer *w, FILE *f);           /* "revmap-dump 1" */
void dump_op(struct dump_writer *w, uint32_t line, const struct tr_result *r);
void dump_proc(struct dump_writer *w, int pid);
/* prot: TR_PROT_* bits; shared: 's' else 'p'; name: file, "-", "[heap]", ... */
void dump_vma(struct dump_writer *w, uint64_t start, uint64_t end, uint32_t prot,
	      bool shared, uint64_t offset, const char *name);
/* raw_frame ignored for DUMP_ZERO; digest from dump_digest() */
void dump_page(struct dump_writer *w, uint64_t vaddr, enum dump_kind kind,
	       uint64_t digest, uint64_t raw_frame, uint64_t mapcount);
/* the same for a page whose 4096 bytes are at data: hashed only the first
 * time its frame (or the zero page) appears in this dump */
void dump_page_data(struct dump_writer *w, uint64_t vaddr, enum dump_kind kind,
		    const void *data, uint64_t raw_frame, uint64_t mapcount);
/* flushes; returns 0 or -errno if any write failed */
int dump_end(struct dump_writer *w);

/* FNV-1a 64 of one 4096-byte page */
uint64_t dump_digest(const void *page);

#endif
