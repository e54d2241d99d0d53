/*
 * mm/fork.c - address-space lifetime: create, fork (dup_mmap), destroy
 * (exit_mmap).
 *
 * fork copies every VMA except VM_DONTCOPY ones, without their mlock; a
 * VM_WIPEONFORK VMA arrives empty, with no anonymous identity.  Page-table
 * entries are copied only where Linux copies them (vma_needs_copy): VMAs
 * that have an anonymous identity, i.e. may hold anonymous pages; the rest
 * fault in again on demand.  Copied private writable PTEs are
 * write-protected on both sides, so the first write copies (or reuses).
 */
#include <stdlib.h>
#include "mm.h"
#include "../rmap/rmap.h"

/* an empty address space, with the scheme's tail after it (zeroed), from
 * the machine's frames (mm_cachep) */
struct vm_mm *mm_create(struct vm_machine *m)
{
	struct vm_mm *mm = slab_alloc(m, &m->slab_mm);

	if (!mm)
		return NULL;
	mm->machine = m;
	if (pgd_alloc(mm)) {
		slab_free(m, &m->slab_mm, mm);
		return NULL;
	}
	list_add_tail(&mm->node, &m->mms);
	m->stats.rmap_bytes += rmap_tail_size(m, RMAP_TAIL_MM);
	rmap_note_peak(m);
	rmap_mm_init(mm);
	return mm;
}

/* exit_mmap: tear down every mapping, then the page tables */
static void exit_mmap(struct vm_mm *mm)
{
	struct vm_area *v, *next;

	for (v = mm->first; v; v = v->next)
		zap_range(v, v->start, v->end);
	for (v = mm->first; v; v = next) {
		next = v->next;
		vma_unlink(mm, v);
		vma_remove_free(v);
	}
	mm->locked_vm = 0;
}

void mm_destroy(struct vm_mm *mm)
{
	struct vm_machine *m = mm->machine;

	if (m->swap_mm == mm)
		m->swap_mm = NULL;          /* the virtual scan goes on elsewhere */
	exit_mmap(mm);
	rmap_mm_exit(mm);
	check_forget_mm(mm);
	pgd_free(mm);
	list_del(&mm->node);
	m->stats.rmap_bytes -= rmap_tail_size(m, RMAP_TAIL_MM);
	slab_free(m, &m->slab_mm, mm);
}

int mm_fork(struct vm_mm *parent, struct vm_mm **childp)
{
	struct vm_machine *m = parent->machine;
	struct vm_mm *child = mm_create(m);
	struct vm_area *v;
	int err = 0;

	if (!child)
		return -12;
	child->start_brk = parent->start_brk;
	child->brk = parent->brk;
	for (v = parent->first; v; v = v->next) {
		struct vm_area *n;

		if (v->flags & VM_DONTCOPY)
			continue;
		n = vma_alloc(child);
		if (!n) {
			err = -12;
			break;
		}
		n->start = v->start;
		n->end = v->end;
		n->flags = v->flags & ~VM_LOCKED_MASK;
		n->pgoff = v->pgoff;
		vma_set_file(n, v->file, v->file_open);
		if (v->flags & VM_WIPEONFORK) {
			n->anon = NULL;
		} else {
			err = anon_fork(n, v);
			if (err) {
				vma_free(n);
				break;
			}
		}
		vma_link(child, n);
		rmap_vma_fork(n, v);
		/* 2.6.32's copy_page_range copies a VM_NONLINEAR VMA's PTEs:
		 * its file PTEs could not be rebuilt by faults */
		if (!(v->flags & VM_WIPEONFORK) && (v->anon || (v->flags & VM_NONLINEAR))) {
			err = copy_page_range(n, v);
			if (err)
				break;
		}
	}
	if (err) {
		mm_destroy(child);
		return err;
	}
	*childp = child;
	return 0;
}
