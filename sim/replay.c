/*
 * sim/replay.c - runs a parsed trace on a simulation and writes the dump.
 *
 * Each event becomes a call into mm/ (system calls, fork/exec/exit) or the
 * MMU (r, w, touch); its result is formatted as the spec says and checked
 * against the line's "= result".  With --check every checker runs after
 * every event.  When a fault cannot get memory, reclaim runs first (lazily
 * freed and clean page-cache pages can go without swap, private anonymous
 * pages with --swap); if it frees
 * nothing, the OOM killer kills the process with the most resident pages
 * (the faulting line reads "oom-killed" if that was its own process), and
 * later lines of a killed process read "killed".
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include "sim.h"
#include "../rmap/scheme.h"

_Static_assert(TR_MAP_PRIVATE == MAP_PRIVATE_ && TR_MAP_SHARED == MAP_SHARED_ &&
	       TR_MAP_ANON == MAP_ANON_ && TR_MAP_FIXED == MAP_FIXED_ &&
	       TR_MAP_NOREPLACE == MAP_NOREPLACE_ && TR_MAP_POPULATE == MAP_POPULATE_ &&
	       TR_MAP_LOCKED == MAP_LOCKED_ && TR_MAP_NORESERVE == MAP_NORESERVE_,
	       "trace and mm mmap flags agree");
_Static_assert(TR_MREMAP_MAYMOVE == MREMAP_MAYMOVE_ && TR_MREMAP_FIXED == MREMAP_FIXED_ &&
	       TR_MREMAP_DONTUNMAP == MREMAP_DONTUNMAP_, "mremap flags agree");
_Static_assert((int)TR_ADV_POPULATE_WRITE == (int)MADV_POPULATE_WRITE_ &&
	       (int)TR_ADV_REMOVE == (int)MADV_REMOVE_ && (int)TR_ADV_COLD == (int)MADV_COLD_,
	       "advice enums agree");

/* ---------------- simulations and processes ---------------- */

bool rv_host_pkeys(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;

	/* CPUID.(EAX=7,ECX=0):ECX bit 4, OSPKE: the OS enabled protection keys */
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return c & (1u << 4);
#endif
	return false;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

rv_sim *rv_sim_new(const struct rv_options *opt, char *err, size_t errlen)
{
	rv_sim *s = calloc(1, sizeof(*s));
	const struct rmap_ops *ops;
	int e;

	if (!s) {
		snprintf(err, errlen, "out of host memory");
		return NULL;
	}
	s->opt = *opt;
	if (!s->opt.mem_bytes)
		s->opt.mem_bytes = 1ULL << 30;
	ops = rmap_find_scheme(opt->scheme);
	if (!ops) {
		snprintf(err, errlen, "unknown rmap scheme '%s'", opt->scheme);
		free(s);
		return NULL;
	}
	e = machine_init(&s->m, s->opt.mem_bytes, ops);
	if (e) {
		snprintf(err, errlen, "cannot make a machine of %llu bytes: %s",
			 (unsigned long long)s->opt.mem_bytes,
			 e == -22 ? "size must be 64 KiB to 16 TiB" : "out of host memory");
		free(s);
		return NULL;
	}
	if (opt->lowmem_bytes && (e = machine_set_lowmem(&s->m, opt->lowmem_bytes,
							 opt->highpte != 0))) {
		snprintf(err, errlen, "--lowmem %llu: %s", (unsigned long long)opt->lowmem_bytes,
			 e == -22 ? "the low zone must hold 16 frames (64K) and leave 16 above it"
			 : "the machine is in use");
		machine_fini(&s->m);
		free(s);
		return NULL;
	}
	if (s->opt.check == RV_CHECK_EVENT && check_changes_start(&s->m)) {
		snprintf(err, errlen, "out of host memory");
		machine_fini(&s->m);
		free(s);
		return NULL;
	}
	s->m.fail_alloc_at = opt->fail_alloc_at;
	s->m.clock_ns = now_ns;
	s->m.reclaim_policy = opt->reclaim == RV_RECLAIM_VIRTUAL ? RECLAIM_VIRTUAL : RECLAIM_LRU;
	if (opt->swap_bytes) {
		const char *dir = getenv("TMPDIR");

		e = swap_on(&s->m, opt->swap_bytes, NULL);
		if (e) {
			if (e == -EINVAL)
				snprintf(err, errlen, "swap of %llu bytes: it must hold two 4096-byte "
					 "slots (a header and a page) and at most 2^31",
					 (unsigned long long)opt->swap_bytes);
			else
				snprintf(err, errlen, "cannot create the swap file in %s: %s",
					 dir && *dir ? dir : "/tmp", strerror(-e));
			machine_fini(&s->m);
			free(s);
			return NULL;
		}
		s->m.swap.fail_io_at = opt->fail_swap_io_at;
	}
	s->m.nonlinear = opt->nonlinear != 0;
	s->m.compact_evict = opt->compact_evict == RV_COMPACT_EVICT_LRU ? COMPACT_EVICT_LRU :
			     opt->compact_evict == RV_COMPACT_EVICT_TARGETED ?
			     COMPACT_EVICT_TARGETED : COMPACT_EVICT_NONE;
	s->m.pkeys = opt->pkeys == RV_PKEYS_ON || (opt->pkeys == RV_PKEYS_HOST && rv_host_pkeys());
	return s;
}

void rv_sim_free(rv_sim *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].mm)
			mm_destroy(s->procs[i].mm);
	for (size_t i = 0; i < s->nfiles; i++) {
		file_put(s->files[i].file);
		free(s->files[i].name);
	}
	machine_fini(&s->m);
	free(s->files);
	free(s->procs);
	free(s);
}

static struct vm_file *sim_file_find(struct rv_sim *s, const char *name)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (!strcmp(s->files[i].name, name))
			return s->files[i].file;
	return NULL;
}

static int sim_file_add(struct rv_sim *s, const char *name, struct vm_file *f)
{
	struct sim_file *n = realloc(s->files, (s->nfiles + 1) * sizeof(*n));

	if (!n)
		return -12;
	s->files = n;
	n[s->nfiles].name = strdup(name);
	if (!n[s->nfiles].name)
		return -12;
	n[s->nfiles].file = f;
	s->nfiles++;
	return 0;
}

struct sim_proc *sim_proc_find(struct rv_sim *s, int pid)
{
	size_t lo = 0, hi = s->nprocs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->procs[mid].pid == pid)
			return &s->procs[mid];
		if (s->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct sim_proc *proc_add(struct rv_sim *s, int pid)
{
	struct sim_proc *p = sim_proc_find(s, pid);
	size_t i;

	if (p)
		return p;
	if (s->nprocs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct sim_proc *n = realloc(s->procs, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->procs = n;
		s->cap = cap;
	}
	for (i = s->nprocs; i > 0 && s->procs[i - 1].pid > pid; i--)
		s->procs[i] = s->procs[i - 1];
	s->procs[i] = (struct sim_proc){ .pid = pid, .state = PROC_EXITED };
	s->nprocs++;
	return &s->procs[i];
}

static void proc_end(struct sim_proc *p, enum proc_state st)
{
	if (p->mm)
		mm_destroy(p->mm);
	p->mm = NULL;
	p->state = st;
}

/*
 * An allocation failed: before the OOM killer, reclaim what can go (as the
 * page allocator's direct reclaim would: with swap, anonymous pages too), a batch of
 * SWAP_CLUSTER_MAX frames.  => true if anything was freed (try again).
 */
bool sim_direct_reclaim(struct rv_sim *s)
{
	uint64_t n = mm_reclaim_retry(&s->m, 32);

	s->m.stats.direct_steal += n;
	return n > 0;
}

int sim_oom_kill(struct rv_sim *s)
{
	struct sim_proc *victim = NULL;

	for (size_t i = 0; i < s->nprocs; i++) {
		struct sim_proc *p = &s->procs[i];

		/* oom_badness: resident pages and swap entries */
		if (p->state == PROC_ALIVE && p->mm &&
		    (!victim || p->mm->rss + p->mm->nr_swap > victim->mm->rss + victim->mm->nr_swap))
			victim = p;
	}
	if (!victim || s->m.host_exhausted)
		return 0;               /* the host, not the machine, is short */
	if (s->errf)
		fprintf(s->errf, "revmap: %s:%u: Out of memory: Killed process %d, "
			"rss %llu pages (%llukB), pgtables %llukB\n", s->path, s->line, victim->pid,
			(unsigned long long)victim->mm->rss,
			(unsigned long long)victim->mm->rss * (PAGE_SIZE >> 10),
			(unsigned long long)victim->mm->nr_pgtables * (PAGE_SIZE >> 10));
	proc_end(victim, PROC_KILLED);
	return victim->pid;
}

bool rv_check(rv_sim *s, char *why, size_t whylen)
{
	bool ok = check_machine(&s->m);

	if (!ok && why)
		snprintf(why, whylen, "%s", s->m.why);
	return ok;
}

/* ---------------- events ---------------- */

static struct tr_result res(enum tr_res_type t, uint64_t v)
{
	return (struct tr_result){ t, v };
}

static struct tr_result res_int(int err)
{
	return err ? res(RES_ERR, (uint64_t)-err) : res(RES_ZERO, 0);
}

static struct tr_result res_addr(uint64_t a)
{
	return IS_ERR_ADDR(a) ? res(RES_ERR, -a) : res(RES_HEX, a);
}

/*
 * How many times one event may reclaim and retry before the OOM killer is
 * called even though reclaim freed something (the page allocator gives up
 * too: should_reclaim_retry, MAX_RECLAIM_RETRIES).  A failed fault or
 * fwrite leaves the clean page-cache page it allocated in a hole (Linux
 * holds it while it allocates the rest); reclaim frees that very page, the
 * retry allocates it again, and without a limit this never ends.
 */
#define MAX_RECLAIM_RETRIES 16

/*
 * A fault that could not get memory: reclaim first (at most
 * MAX_RECLAIM_RETRIES times, counted in *tries); if nothing could go, the
 * OOM killer picks a victim; if it is us, the line reads oom-killed;
 * otherwise the access is retried.  => true to retry
 */
static bool oom(struct rv_sim *s, struct sim_proc *p, struct tr_result *r, unsigned *tries)
{
	int victim;

	if ((*tries)++ < MAX_RECLAIM_RETRIES && sim_direct_reclaim(s))
		return true;
	victim = sim_oom_kill(s);

	if (!victim || victim == p->pid) {
		*r = res(RES_OOM, 0);
		return false;
	}
	return true;
}

static struct tr_result fault_result(int f)
{
	return res(f == VM_FAULT_BUS ? RES_BUS : RES_SEGV, 0);
}

static struct tr_result do_access(struct rv_sim *s, struct sim_proc *p,
				  uint64_t addr, bool write, uint64_t value)
{
	struct tr_result r;
	uint64_t v = value;
	unsigned tries = 0;
	int f;

	for (;;) {
		f = write ? mmu_store(&s->m, p->mm, addr, value)
			  : mmu_load(&s->m, p->mm, addr, &v);
		if (f != VM_FAULT_OOM)
			break;
		if (!oom(s, p, &r, &tries))
			return r;
	}
	if (f != VM_FAULT_OK)
		return fault_result(f);
	return write ? res(RES_OK, 0) : res(RES_HEX, v);
}

/* create an address space, calling the OOM killer as needed */
static struct tr_result new_mm(struct rv_sim *s, struct sim_proc *p,
			       struct vm_mm *parent, struct vm_mm **out)
{
	struct tr_result r = res(RES_OK, 0);
	unsigned tries = 0;

	for (;;) {
		int err = 0;

		if (parent)
			err = mm_fork(parent, out);
		else if (!(*out = mm_create(&s->m)))
			err = -12;
		if (!err)
			return r;
		if (!oom(s, p, &r, &tries))
			return r;
		if (parent && p->state != PROC_ALIVE)
			return res(RES_OOM, 0);
	}
}

/* `file` and `hostfile`: a new named file */
static struct tr_result do_file(struct rv_sim *s, const struct tr_event *ev)
{
	struct vm_file *f;
	int err;

	for (;;) {
		if (ev->kind == TR_FILE) {
			f = file_create(&s->m, ev->name, ev->len, ev->value, &err);
		} else {
			struct stat st;
			int fd = s->host_fds[ev - s->cur_ev];

			fstat(fd, &st);
			f = file_create_host(&s->m, ev->name, fd, (uint64_t)st.st_size, &err);
			if (f)
				s->host_fds[ev - s->cur_ev] = -1;    /* the file owns it now */
		}
		if (f)
			break;
		if (err == -28) {
			fprintf(s->errf, "revmap: %s:%u: file %s (%llu bytes) is bigger than the "
				"machine's memory, and the host's disk under $TMPDIR (default /tmp) "
				"has no room for the rest with 1 GiB to spare\n", s->path, ev->line,
				ev->name, (unsigned long long)ev->len);
			s->fatal = RV_BADINPUT;
			return res(RES_ERR, 28);
		}
		if (!sim_direct_reclaim(s) && !sim_oom_kill(s)) {
			fprintf(s->errf, "revmap: %s:%u: the machine's memory (%llu frames) "
				"cannot hold file %s\n",
				s->path, ev->line, (unsigned long long)s->m.nr_frames, ev->name);
			s->fatal = RV_BADINPUT;
			return res(RES_ERR, 12);
		}
	}
	if (sim_file_add(s, ev->name, f)) {
		file_put(f);
		return res(RES_ERR, 12);
	}
	return res(RES_OK, 0);
}

static struct tr_result run_event(struct rv_sim *s, const struct tr_event *ev)
{
	struct sim_proc *p = NULL, *c;
	struct vm_mm *mm = NULL;
	struct tr_result r;

	if (ev->pid) {
		p = sim_proc_find(s, ev->pid);
		if (ev->kind != TR_SPAWN) {
			/* the parser saw to it that the pid is live; if it is not,
			 * the OOM killer took it (or its spawn or fork failed) */
			if (!p || p->state != PROC_ALIVE || !p->mm)
				return res(RES_KILLED, 0);
			mm = p->mm;
		}
	}
	switch (ev->kind) {
	case TR_SPAWN:
		p = proc_add(s, ev->pid);
		if (!p)
			return res(RES_OOM, 0);
		r = new_mm(s, p, NULL, &p->mm);
		if (r.type == RES_OK) {
			p->state = PROC_ALIVE;
			p->mm->id = p->pid;
		} else {
			p->mm = NULL;
			p->state = PROC_KILLED;
		}
		return r;
	case TR_FORK: {
		struct vm_mm *child = NULL;

		if (!proc_add(s, ev->child))
			return res(RES_OOM, 0);
		p = sim_proc_find(s, ev->pid);     /* proc_add may have moved it */
		r = new_mm(s, p, p->mm, &child);
		c = sim_proc_find(s, ev->child);
		if (r.type == RES_OK) {
			c->mm = child;
			c->state = PROC_ALIVE;
			child->id = c->pid;
		} else {
			/* the fork failed: the child never ran */
			c->mm = NULL;
			c->state = PROC_KILLED;
		}
		return r;
	}
	case TR_EXEC:
		mm_destroy(p->mm);
		p->mm = NULL;
		p->state = PROC_EXITED;       /* the OOM killer must not pick it */
		r = new_mm(s, p, NULL, &p->mm);
		if (r.type == RES_OK) {
			p->state = PROC_ALIVE;
			p->mm->id = p->pid;
		} else {
			p->mm = NULL;
			p->state = PROC_KILLED;
		}
		return r;
	case TR_EXIT:
		proc_end(p, PROC_EXITED);
		return res(RES_OK, 0);
	case TR_MMAP: {
		struct vm_file *f = NULL;

		if (!(ev->flags & TR_MAP_ANON) && !(f = sim_file_find(s, ev->name)))
			return res(RES_ERR, 9);     /* EBADF: the parser knows every name */
		return res_addr(vm_mmap(mm, ev->addr, ev->len, ev->prot, ev->flags, f, ev->offset));
	}
	case TR_FILE:
	case TR_HOSTFILE:
		return do_file(s, ev);
	case TR_TRUNCATE: {
		struct vm_file *f = sim_file_find(s, ev->name);

		if (!f)
			return res(RES_ERR, 2);
		if (!f->writable)
			return res(RES_ERR, 22);   /* ftruncate on a read-only descriptor */
		return res_int(file_truncate(f, ev->len));
	}
	case TR_FWRITE: {
		struct vm_file *f = sim_file_find(s, ev->name);
		unsigned tries = 0;
		int err;

		if (!f)
			return res(RES_ERR, 2);
		if (!f->writable)
			return res(RES_ERR, 9);    /* EBADF: not open for writing */
		for (;;) {
			err = file_write8(f, ev->offset, ev->value);
			if (err != -12 || ((tries++ >= MAX_RECLAIM_RETRIES || !sim_direct_reclaim(s)) &&
					   !sim_oom_kill(s)))
				return res_int(err);
		}
	}
	case TR_MUNMAP:
		return res_int(vm_munmap(mm, ev->addr, ev->len));
	case TR_MPROTECT:
		return res_int(vm_mprotect(mm, ev->addr, ev->len, ev->prot));
	case TR_MREMAP:
		return res_addr(vm_mremap(mm, ev->addr, ev->len, ev->new_len, ev->flags,
					  ev->has_new_addr ? ev->new_addr : 0));
	case TR_MADVISE:
		return res_int(vm_madvise(mm, ev->addr, ev->len, (enum madv)ev->advice));
	case TR_MLOCK:
		return res_int(vm_mlock(mm, ev->addr, ev->len));
	case TR_MUNLOCK:
		return res_int(vm_munlock(mm, ev->addr, ev->len));
	case TR_REMAP_FILE_PAGES:
		return res_int(vm_remap_file_pages(mm, ev->addr, ev->len, ev->offset));
	case TR_BRKBASE:
		return res_int(vm_brkbase(mm, ev->addr));
	case TR_BRK:
		return res(RES_HEX, vm_brk(mm, ev->addr));
	case TR_READ:
		return do_access(s, p, ev->addr, false, 0);
	case TR_WRITE:
		return do_access(s, p, ev->addr, true, ev->value);
	case TR_TOUCH: {
		uint64_t a = ev->addr & PAGE_MASK, end = ev->addr + ev->len;

		if (ev->len == 0)
			return res(RES_OK, 0);     /* an empty range covers no page */
		if (end < ev->addr)
			end = UINT64_MAX;
		for (; a < end; a += PAGE_SIZE) {
			r = do_access(s, p, a, ev->touch_write, ev->value);
			if (r.type != RES_OK && r.type != RES_HEX)
				return r;
			if (a + PAGE_SIZE < a)
				break;
		}
		return res(RES_OK, 0);
	}
	case TR_CHECK:
		return res(RES_OK, 0);   /* the caller runs the checkers */
	case TR_RECLAIM:
		return res(RES_DEC, sim_reclaim(s, ev->value));
	case TR_COMPACT:
		return sim_compact(s, ev->value > MAX_ORDER ? MAX_ORDER + 1 : (unsigned)ev->value)
			? res(RES_ERR, 12) : res(RES_OK, 0);
	case TR_SWAPOFF:
		/* try_to_unuse: without swap there is nothing to bring back */
		return swap_off(&s->m) ? res(RES_ERR, 12) : res(RES_OK, 0);
	default:
		return res(RES_ERR, 38);  /* ENOSYS: rejected before running */
	}
}

/*
 * A system call that failed for want of memory (-ENOMEM, or mlock's
 * -EAGAIN, while a frame allocation was refused for want of memory, not by
 * injection) is run again after direct reclaim, as the page allocator
 * reclaims inside the call in Linux, at most MAX_RECLAIM_RETRIES times.
 * revmap reclaims between attempts rather than inside the allocation, so
 * that reclaim never meets a half-made change; a failed call leaves its
 * VMAs as they were or is idempotent (mlock and madvise populate again).
 * Faults, fork, exec, spawn and fwrite have their own retries (oom()).
 */
static struct tr_result run_syscall(struct rv_sim *s, const struct tr_event *ev)
{
	struct tr_result r;
	unsigned tries = 0;

	for (;;) {
		uint64_t short0 = s->m.stats.alloc_short;

		r = run_event(s, ev);
		switch (ev->kind) {
		case TR_MMAP: case TR_MUNMAP: case TR_MPROTECT: case TR_MREMAP:
		case TR_MADVISE: case TR_MLOCK: case TR_MUNLOCK: case TR_REMAP_FILE_PAGES:
			break;
		default:
			return r;
		}
		if (r.type != RES_ERR || (r.val != 12 && r.val != 11) ||
		    s->m.stats.alloc_short == short0 || tries++ >= MAX_RECLAIM_RETRIES ||
		    !sim_direct_reclaim(s))
			return r;
	}
}

uint64_t sim_reclaim(struct rv_sim *s, uint64_t pages)
{
	uint64_t n = mm_reclaim_retry(&s->m, pages);

	s->m.stats.direct_steal += n;
	return n;
}

int sim_compact(struct rv_sim *s, unsigned order)
{
	return mm_compact(&s->m, order);
}

/* ---------------- the dump ---------------- */

static bool vma_is_initial_heap(const struct vm_area *v)
{
	return !v->file && v->start < v->mm->brk && v->end > v->mm->start_brk;
}

static int dump_pte(struct vm_mm *mm, uint64_t addr, pte_t *pte, void *arg)
{
	struct dump_writer *w = arg;
	struct vm_machine *m = mm->machine;
	uint64_t pfn = pte_pfn(*pte);
	const void *data = pfn_data(m, pfn);

	if (pfn == m->zero_pfn) {
		dump_page_data(w, addr, DUMP_ZERO, data, 0, 0);
	} else {
		struct vm_frame *f = pfn_frame(m, pfn);

		enum dump_kind kind = (f->flags & PG_ANON) ? DUMP_ANON :
				      ((struct vm_file *)f->mapping)->shmem ? DUMP_SHMEM : DUMP_FILE;

		dump_page_data(w, addr, kind, data, pfn, (uint64_t)f->mapcount);
	}
	return 0;
}

void sim_dump_state(struct rv_sim *s, struct dump_writer *w)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		struct sim_proc *p = &s->procs[i];
		struct vm_area *v;

		if (p->state != PROC_ALIVE)
			continue;
		dump_proc(w, p->pid);
		for (v = p->mm->first; v; v = v->next) {
			uint32_t prot = ((v->flags & VM_READ) ? TR_PROT_READ : 0) |
					((v->flags & VM_WRITE) ? TR_PROT_WRITE : 0) |
					((v->flags & VM_EXEC) ? TR_PROT_EXEC : 0);
			const char *name = v->file ? v->file->name :
					   vma_is_initial_heap(v) ? "[heap]" : "-";

			dump_vma(w, v->start, v->end, prot, v->flags & VM_MAYSHARE,
				 v->file ? v->pgoff << PAGE_SHIFT : 0, name);
		}
		for (v = p->mm->first; v; v = v->next)
			walk_ptes(p->mm, v->start, v->end, dump_pte, w);
	}
}

/* ---------------- replay ---------------- */


/* open every hostfile of the trace, before anything runs */
static int open_host_files(rv_sim *s, const struct tr_trace *t, FILE *errf)
{
	for (size_t i = 0; i < t->n; i++)
		s->host_fds[i] = -1;
	for (size_t i = 0; i < t->n; i++) {
		struct stat st;
		int fd;

		if (t->ev[i].kind != TR_HOSTFILE)
			continue;
		fd = open(t->ev[i].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
			fprintf(errf, "revmap: %s:%u: cannot read host file '%s': %s\n", t->path,
				t->ev[i].line, t->ev[i].path,
				fd < 0 ? strerror(errno) : "not a regular file");
			if (fd >= 0)
				close(fd);
			return -1;
		}
		s->host_fds[i] = fd;
	}
	return 0;
}

static int write_dump(rv_sim *s, const struct tr_trace *t, const struct tr_result *results,
		      const char *dump_path, FILE *errf)
{
	FILE *f = strcmp(dump_path, "-") ? fopen(dump_path, "w") : stdout;
	struct dump_writer w;
	int status = RV_OK;

	if (!f) {
		fprintf(errf, "revmap: cannot write %s: %s\n", dump_path, strerror(errno));
		return RV_BADINPUT;
	}
	dump_begin(&w, f);
	for (size_t i = 0; i < t->n; i++)
		dump_op(&w, t->ev[i].line, &results[i]);
	sim_dump_state(s, &w);
	if (dump_end(&w)) {
		fprintf(errf, "revmap: error writing %s\n", dump_path);
		status = RV_BADINPUT;
	}
	if (f != stdout && fclose(f)) {
		fprintf(errf, "revmap: error writing %s\n", dump_path);
		status = RV_BADINPUT;
	}
	return status;
}

/*
 * The checks after an event: with --check, what the event changed
 * (check_changes); with --check=full, and at `check` lines, everything.
 */
static bool check_event(rv_sim *s, const struct tr_event *ev)
{
	if (s->opt.check == RV_CHECK_EVENT && !check_changes(&s->m))
		return false;
	if (s->opt.check == RV_CHECK_FULL || ev->kind == TR_CHECK)
		return check_machine(&s->m);
	return true;
}

static int replay(rv_sim *s, const struct tr_trace *t, const char *dump_path,
		  const char *times_path, const struct sim_observer *obs, FILE *errf)
{
	struct tr_result *results = NULL;
	FILE *times = NULL;
	int status = RV_OK;
	size_t i;

	results = calloc(t->n ? t->n : 1, sizeof(*results));
	s->host_fds = malloc((t->n ? t->n : 1) * sizeof(int));
	if (!results || !s->host_fds) {
		fprintf(errf, "revmap: out of host memory\n");
		free(results);
		free(s->host_fds);
		s->host_fds = NULL;
		return RV_CHECKFAIL;
	}
	s->cur_ev = t->ev;
	s->errf = errf;
	s->path = t->path;
	s->fatal = 0;
	if (open_host_files(s, t, errf)) {
		status = RV_BADINPUT;
		goto out;
	}
	if (times_path && !(times = fopen(times_path, "w"))) {
		fprintf(errf, "revmap: cannot write %s: %s\n", times_path, strerror(errno));
		status = RV_BADINPUT;
		goto out;
	}
	for (i = 0; i < t->n; i++) {
		const struct tr_event *ev = &t->ev[i];
		uint64_t t0 = times || obs ? now_ns() : 0;
		uint64_t t1;
		char got[64];

		s->line = ev->line;
		results[i] = run_syscall(s, ev);
		t1 = times || obs ? now_ns() : 0;
		/* kswapd, woken when free frames fell below the low watermark,
		 * runs between events (its time is not the event's) */
		if (s->m.kswapd_wanted)
			mm_kswapd(&s->m);
		if (s->m.host_exhausted) {
			fprintf(errf, "revmap: %s:%u: the host has no memory left to back the "
				"simulated machine (%llu MiB of its frames in use); use a smaller --mem "
				"or a bigger host\n", t->path, ev->line,
				(unsigned long long)((s->m.nr_frames - s->m.nr_free) >> (20 - PAGE_SHIFT)));
			status = RV_BADINPUT;
			goto out;
		}
		if (s->fatal) {
			status = s->fatal;
			goto out;
		}
		if (times)
			fprintf(times, "%u %llu\n", ev->line, (unsigned long long)(t1 - t0));
		if (obs)
			obs->event(obs->arg, s, ev, &results[i], t1 - t0);
		if (ev->expect && !tr_result_matches(&results[i], ev->expect)) {
			fprintf(errf, "revmap: %s:%u: expected %s, got %s\n", t->path, ev->line,
				ev->expect, tr_result_format(&results[i], got, sizeof(got)));
			status = RV_MISMATCH;
		}
		if (!check_event(s, ev)) {
			fprintf(errf, "revmap: %s:%u: check failed after this line: %s\n", t->path,
				ev->line, s->m.why);
			status = RV_CHECKFAIL;
			goto out;
		}
	}
	if (s->opt.check != RV_CHECK_OFF && !check_machine(&s->m)) {
		fprintf(errf, "revmap: %s: check failed at the end of the trace: %s\n", t->path,
			s->m.why);
		status = RV_CHECKFAIL;
		goto out;
	}
	if (dump_path) {
		int st = write_dump(s, t, results, dump_path, errf);

		if (st)
			status = st;
	}
out:
	if (times)
		fclose(times);
	for (i = 0; i < t->n; i++)
		if (s->host_fds[i] >= 0)
			close(s->host_fds[i]);
	free(s->host_fds);
	s->host_fds = NULL;
	free(results);
	return status;
}

int sim_replay(rv_sim *s, const struct tr_trace *t, const char *dump_path,
	       const struct sim_observer *obs, FILE *errf)
{
	return replay(s, t, dump_path, NULL, obs, errf);
}

int rv_replay_file(rv_sim *s, const char *path, const char *dump_path,
		   const char *times_path, FILE *errf)
{
	struct tr_trace t;
	char err[512];
	int status;

	if (tr_parse_file(path, &t, err, sizeof(err))) {
		fprintf(errf, "revmap: %s\n", err);
		return RV_BADINPUT;
	}
	status = replay(s, &t, dump_path, times_path, NULL, errf);
	tr_free(&t);
	return status;
}

int rv_replay_buffer(rv_sim *s, const char *name, const char *text, size_t len,
		     const char *dump_path, FILE *errf)
{
	struct tr_trace t;
	char err[512];
	int status;

	if (tr_parse_buffer(name, text, len, &t, err, sizeof(err))) {
		fprintf(errf, "revmap: %s\n", err);
		return RV_BADINPUT;
	}
	status = replay(s, &t, dump_path, NULL, NULL, errf);
	tr_free(&t);
	return status;
}

struct json_counts {
	FILE *f;
	bool first;
};

static void json_object_count(const char *type, uint64_t count, void *arg)
{
	struct json_counts *j = arg;

	fprintf(j->f, "%s\"%s\": %llu", j->first ? "" : ", ", type, (unsigned long long)count);
	j->first = false;
}

/*
 * --lowmem: the low zone's frames by use, counted from the frame table
 * (kernel objects per slab cache, page tables, user pages), its free
 * frames and peak, and the metadata allocations it refused.
 */
static void write_lowmem(FILE *f, const struct rv_sim *s, const struct vm_slab **sl,
			 unsigned nr_slabs)
{
	const struct vm_machine *m = &s->m;
	uint64_t slab[NR_SLABS] = { 0 }, pgtables = 0, user = 0, other = 0;

	for (uint64_t pfn = 1; pfn < m->low.end; pfn++) {
		const struct vm_frame *fr = &m->frames[pfn];

		if (fr->flags & PG_BUDDY) {
			pfn += (1ULL << (fr->flags >> PG_ORDER_SHIFT)) - 1;
		} else if (fr->flags & PG_PGTABLE) {
			pgtables++;
		} else if (fr->flags & PG_SLAB) {
			for (unsigned i = 0; i < nr_slabs; i++)
				slab[i] += fr->mapping == sl[i];
		} else if (fr->flags & (PG_ANON | PG_CACHE)) {
			user++;
		} else if (fr->refcount) {
			other++;
		}
	}
	fprintf(f, "  \"lowmem\": {\"frames\": %llu, \"free\": %llu, \"used_peak\": %llu, "
		"\"watermarks\": {\"min\": %llu, \"low\": %llu, \"high\": %llu}, "
		"\"reserve\": %llu, \"highpte\": %s, \"used_by\": {\"page_tables\": %llu",
		(unsigned long long)(m->low.end - 1), (unsigned long long)m->low.nr_free,
		(unsigned long long)m->low.used_peak, (unsigned long long)m->low.wmark_min,
		(unsigned long long)m->low.wmark_low, (unsigned long long)m->low.wmark_high,
		(unsigned long long)m->low.reserve, m->low.highpte ? "true" : "false",
		(unsigned long long)pgtables);
	for (unsigned i = 0; i < nr_slabs; i++)
		fprintf(f, ", \"slab:%s\": %llu", sl[i]->name, (unsigned long long)slab[i]);
	fprintf(f, ", \"user_pages\": %llu, \"other\": %llu}, \"alloc_failures\": %llu",
		(unsigned long long)user, (unsigned long long)other,
		(unsigned long long)m->low.alloc_failures);
	if (m->low.alloc_failures) {
		uint64_t kernel = m->low.first_failure.pgtables;

		fprintf(f, ", \"used_by_at_first_failure\": {\"page_tables\": %llu",
			(unsigned long long)kernel);
		for (unsigned i = 0; i < nr_slabs; i++) {
			fprintf(f, ", \"slab:%s\": %llu", sl[i]->name,
				(unsigned long long)m->low.first_failure.slab[i]);
			kernel += m->low.first_failure.slab[i];
		}
		fprintf(f, ", \"user_pages\": %llu}", (unsigned long long)
			(m->low.first_failure.used - kernel));
	}
	fprintf(f, "},\n");
}

int rv_write_stats(rv_sim *s, const char *path, FILE *errf)
{
	const struct vm_machine *m = &s->m;
	const struct vm_stats *st = &m->stats;
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	uint64_t pgtables = 0;
	struct list_head *p;
	int bad;

	if (!f) {
		fprintf(errf, "revmap: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct json_counts first = { f, true };

	list_for_each(p, &m->mms)
		pgtables += list_entry(p, struct vm_mm, node)->nr_pgtables;
	fprintf(f, "{\n  \"scheme\": \"%s\",\n", rmap_name(m));
	fprintf(f, "  \"rmap_bytes\": %llu,\n  \"rmap_bytes_peak\": %llu,\n",
		(unsigned long long)rmap_metadata_bytes(m),
		(unsigned long long)st->rmap_bytes_peak);
	fprintf(f, "  \"rmap_objects\": {");
	rmap_objects(m, json_object_count, &first);
	fprintf(f, "},\n");
	fprintf(f, "  \"identity_bytes\": %llu,\n  \"identity_objects\": {\"anon_id\": %llu, "
		"\"anon_link\": %llu},\n", (unsigned long long)st->anon_bytes,
		(unsigned long long)st->nr_anon_ids, (unsigned long long)st->nr_anon_links);
	{
		const struct vm_slab *sl[NR_SLABS];
		const unsigned nr_slabs = machine_slabs(m, sl);
		uint64_t slab_frames = 0;

		for (size_t i = 0; i < nr_slabs; i++)
			slab_frames += sl[i]->frames;
		fprintf(f, "  \"metadata_frames\": %llu,\n  \"page_table_frames\": %llu,\n"
			"  \"slabs\": {", (unsigned long long)(pgtables + slab_frames),
			(unsigned long long)pgtables);
		for (size_t i = 0; i < nr_slabs; i++)
			fprintf(f, "%s\"%s\": {\"objects\": %llu, \"object_bytes\": %u, "
				"\"frames\": %llu}", i ? ", " : "", sl[i]->name,
				(unsigned long long)sl[i]->objects, sl[i]->size,
				(unsigned long long)sl[i]->frames);
		fprintf(f, "},\n");
		if (m->low.end)
			write_lowmem(f, s, sl, nr_slabs);
	}
	fprintf(f, "  \"walks\": %llu,\n  \"walk_vmas_visited\": %llu,\n"
		"  \"walk_ptes_probed\": %llu,\n  \"walk_ptes_found\": %llu,\n"
		"  \"walk_fallbacks\": %llu,\n  \"repointed\": %llu,\n"
		"  \"repoint_vmas_visited\": %llu,\n  \"repoint_ptes_probed\": %llu,\n",
		(unsigned long long)st->rmap_walks, (unsigned long long)st->rmap_vmas_visited,
		(unsigned long long)st->rmap_ptes_visited, (unsigned long long)st->rmap_ptes_found,
		(unsigned long long)st->rmap_fallbacks, (unsigned long long)st->rmap_repointed,
		(unsigned long long)st->rmap_repoint_vmas, (unsigned long long)st->rmap_repoint_ptes);
	fprintf(f, "  \"tree\": {\"depth_max\": %llu, \"depth_mean\": %.2f, \"cuts\": %llu, "
		"\"merges\": %llu, \"aliases\": %llu, \"aliases_made\": %llu},\n",
		(unsigned long long)st->rmap_tree_depth_max,
		st->rmap_tree_walks ? (double)st->rmap_tree_depth_sum / st->rmap_tree_walks : 0.0,
		(unsigned long long)st->rmap_tree_cuts, (unsigned long long)st->rmap_tree_merges,
		(unsigned long long)st->rmap_aliases, (unsigned long long)st->rmap_aliases_made);
	fprintf(f, "  \"mlock\": {\"unchained_ptes\": %llu, \"unchained_ptes_peak\": %llu, "
		"\"bytes_saved\": %llu, \"bytes_saved_peak\": %llu, \"chain_drops\": %llu, "
		"\"chain_rebuilds\": %llu, \"rebuild_vmas_visited\": %llu},\n",
		(unsigned long long)st->rmap_unchained,
		(unsigned long long)st->rmap_unchained_peak,
		(unsigned long long)st->rmap_mlock_saved,
		(unsigned long long)st->rmap_mlock_saved_peak,
		(unsigned long long)st->rmap_chain_drops,
		(unsigned long long)st->rmap_chain_rebuilds,
		(unsigned long long)st->rmap_rebuild_vmas);
	fprintf(f, "  \"compaction\": {\"runs\": %llu, \"success\": %llu, \"fail\": %llu, "
		"\"migrated\": %llu, \"evicted\": %llu, \"evict\": \"%s\"},\n",
		(unsigned long long)st->compact_runs, (unsigned long long)st->compact_success,
		(unsigned long long)st->compact_fail, (unsigned long long)st->compact_migrated,
		(unsigned long long)st->compact_evicted,
		m->compact_evict == COMPACT_EVICT_LRU ? "lru" :
		m->compact_evict == COMPACT_EVICT_TARGETED ? "targeted" : "none");
	fprintf(f, "  \"walks_by_reason\": {\"referenced\": %llu, \"unmap\": %llu, "
		"\"mkclean\": %llu, \"migrate\": %llu},\n",
		(unsigned long long)st->walks_referenced, (unsigned long long)st->walks_unmap,
		(unsigned long long)st->walks_mkclean, (unsigned long long)st->walks_migrate);
	fprintf(f, "  \"reclaim\": {\"pgscan\": %llu, \"pgsteal\": %llu, \"pgactivate\": %llu, "
		"\"pgdeactivate\": %llu, \"pgcull\": %llu, \"writebacks\": %llu, "
		"\"store_errors\": %llu, \"kswapd_runs\": %llu, \"kswapd_steal\": %llu, "
		"\"direct_steal\": %llu, \"reclaim_ns\": %llu, \"policy\": \"%s\", "
		"\"virtual_ptes_scanned\": %llu, \"virtual_ptes_unmapped\": %llu, \"watermarks\": {\"min\": %llu, \"low\": %llu, "
		"\"high\": %llu}, \"lru\": {",
		(unsigned long long)st->pgscan, (unsigned long long)st->pgsteal,
		(unsigned long long)st->pgactivate, (unsigned long long)st->pgdeactivate,
		(unsigned long long)st->pgcull, (unsigned long long)st->writebacks,
		(unsigned long long)st->store_errors, (unsigned long long)st->kswapd_runs,
		(unsigned long long)st->kswapd_steal, (unsigned long long)st->direct_steal,
		(unsigned long long)st->reclaim_ns,
		m->reclaim_policy == RECLAIM_VIRTUAL ? "virtual" : "lru",
		(unsigned long long)st->virtual_ptes_scanned,
		(unsigned long long)st->virtual_ptes_unmapped,
		(unsigned long long)m->wmark_min, (unsigned long long)m->wmark_low,
		(unsigned long long)m->wmark_high);
	for (int l = 0; l < NR_LRU_LISTS; l++)
		fprintf(f, "%s\"%s\": %llu", l ? ", " : "", lru_name(l),
			(unsigned long long)m->lru[l].nr);
	fprintf(f, "}},\n");
	fprintf(f, "  \"vm\": {\"faults\": %llu, \"zero_faults\": %llu, \"anon_faults\": %llu, "
		"\"cow_copies\": %llu, \"cow_reuses\": %llu, \"frames_alloc\": %llu, "
		"\"frames_freed\": %llu, \"ptes_copied\": %llu, \"ptes_zapped\": %llu, "
		"\"ptes_moved\": %llu, \"pmds_moved\": %llu, \"vmas\": %llu, \"vma_bytes\": %llu, "
		"\"frames\": %llu, \"frames_free\": %llu, \"swap_outs\": %llu, "
		"\"swap_ins\": %llu, \"swap_cache_hits\": %llu, \"swap_io_errors\": %llu, "
		"\"swap_slots\": %llu, \"swap_slots_used\": %llu}\n}\n",
		(unsigned long long)st->faults, (unsigned long long)st->zero_faults,
		(unsigned long long)st->anon_faults, (unsigned long long)st->cow_copies,
		(unsigned long long)st->cow_reuses, (unsigned long long)st->frames_alloc,
		(unsigned long long)st->frames_freed, (unsigned long long)st->ptes_copied,
		(unsigned long long)st->ptes_zapped, (unsigned long long)st->ptes_moved,
		(unsigned long long)st->pmds_moved, (unsigned long long)st->nr_vmas,
		(unsigned long long)st->vma_bytes, (unsigned long long)m->nr_frames,
		(unsigned long long)m->nr_free, (unsigned long long)st->swap_outs,
		(unsigned long long)st->swap_ins, (unsigned long long)st->swap_cache_hits,
		(unsigned long long)st->swap_io_errors,
		(unsigned long long)(m->swap.nr_slots ? m->swap.nr_slots - 1 : 0),
		(unsigned long long)m->swap.nr_used);
	bad = ferror(f);
	if ((f != stdout ? fclose(f) : fflush(f)) || bad) {
		fprintf(errf, "revmap: error writing %s\n", path);
		return -1;
	}
	return 0;
}

void rv_get_info(struct rv_info *info)
{
	size_t n = 0;

	info->frame_bytes = sizeof(struct vm_frame);
	info->vma_bytes = sizeof(struct vm_area);
	info->mm_bytes = sizeof(struct vm_mm);
	info->schemes[0] = '\0';
	for (unsigned i = 0; i < rmap_nr_schemes && n < sizeof(info->schemes); i++)
		n += (size_t)snprintf(info->schemes + n, sizeof(info->schemes) - n, "%s%s%s",
				      i ? " " : "", rmap_schemes[i]->name,
				      i ? "" : " (also: linux)");
}

int rv_parse_size(const char *str, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!str || !*str || *str == '-')
		return -1;
	v = strtoull(str, &end, 0);
	if (end == str)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	case 't': case 'T': mul = 1ULL << 40; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B' || *end == 'b')
		end += (*end == 'i' && (end[1] == 'B' || end[1] == 'b')) ? 2 : 1;
	if (*end || (v && mul > UINT64_MAX / v))
		return -1;
	*out = v * mul;
	return 0;
}
