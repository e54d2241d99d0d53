/*
 * sim/bench.c - the core benchmark: the same work, per 4 KiB page, in revmap
 * and on the real Linux kernel of this machine, side by side in one run.
 *
 *   revmap bench core [--bytes SIZE] [--json FILE] [--mem SIZE]
 *
 * Five operations on a region of `bytes` of private anonymous memory:
 *
 *   fork     fork of a process whose region is touched (the fork call only)
 *   fault    first-touch write faults: one 8-byte store per page
 *   cow      copy-on-write faults: the parent writes every page while the
 *            forked child is alive
 *   munmap   munmap of the touched region
 *   mremap   mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of the touched region to a
 *            free address of the same size
 *
 * The Linux side runs in a helper process forked before the simulated
 * machine exists, so that its forks copy only the region (plus a few pages
 * of libc, stack and pipes), never the simulator's multi-gigabyte arena.  It
 * uses raw system calls, disables THP (PR_SET_THP_DISABLE and
 * MADV_NOHUGEPAGE) so that both sides map 4 KiB pages, and times with
 * CLOCK_MONOTONIC.  A forked child parks on a pipe until the parent has read
 * its clock (for fork) or written every page (for cow), then exits; had it
 * exited at once it could, on the one CPU both share, tear its 1 GiB down
 * inside the parent's timed window.
 *
 * The revmap side runs on its own simulation, made with the caller's
 * options, through mm/ (mm_fork, vm_mmap, vm_munmap, vm_mremap) and the
 * software MMU (mmu_store faults into mm/).
 *
 * Both processes are pinned to one CPU and take turns: for each repetition
 * and each operation the helper runs it on Linux, then revmap runs it, so
 * both see the same machine load.  One warm-up repetition comes first and
 * is discarded; the reported figure is the median of REPS.  The simulated
 * machine's memory is populated on the host before anything runs (a host
 * fault on the arena is a cost of the simulator, not of the VM it models);
 * the host faults the revmap side still takes are counted and shown.
 *
 * The revmap work counts are exact (struct vm_stats deltas over the timed
 * section); the Linux minor-fault counts (getrusage) are the cross-check.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "sim.h"
#include "../rmap/rmap.h"

#define REPS    5          /* timed repetitions; the median is reported */
#define WARMUP  1          /* discarded repetitions before them */

enum bench_op { OP_FORK, OP_FAULT, OP_COW, OP_MUNMAP, OP_MREMAP, NR_OPS };

/* What one operation is and the target the issue sets for revmap. */
static const struct bench_desc {
	const char *key;           /* JSON name */
	const char *label;         /* table name */
	double target_ns;          /* revmap ns/page at most; 0: no slower than Linux */
} ops_desc[NR_OPS] = {
	[OP_FORK]   = { "fork",   "fork",              25 },
	[OP_FAULT]  = { "fault",  "first-touch fault", 300 },
	[OP_COW]    = { "cow",    "COW fault",         500 },
	[OP_MUNMAP] = { "munmap", "munmap",            50 },
	[OP_MREMAP] = { "mremap", "mremap move",       0 },
};

/* One timed run of one operation, on either side. */
struct run {
	uint64_t ns;               /* the timed section */
	uint64_t src, dst;         /* the region's address (and mremap target) */
	uint64_t minflt;           /* host minor faults in the timed section (Linux: the
				      faults measured; revmap: host faults on its arena) */
	uint64_t rss_kib;          /* Linux: resident KiB of the helper plus its forked
				      child (if any) at the end of the run */
	struct vm_stats work;      /* revmap: counter deltas over the timed section */
};

/* Metadata held by revmap for the region, in one state. */
struct meta {
	uint64_t mapped;           /* present PTEs, every mm */
	uint64_t frames_used;      /* frames allocated (pages and page tables) */
	uint64_t pgtables;         /* page-table frames, every mm */
	uint64_t vma_bytes;        /* struct vm_area bytes */
	uint64_t rmap_bytes;       /* the scheme's metadata bytes */
	int mms;                   /* address spaces */
};

struct bench {
	uint64_t bytes, pages;     /* the region */
	uint64_t mem;              /* the simulated machine's memory */
	const char *scheme;        /* rmap scheme name */
	int cpu;                   /* the CPU both sides run on, -1 if not pinned */
	struct run lx[NR_OPS][REPS];            /* Linux runs */
	struct run rv[NR_OPS][REPS];            /* revmap runs */
	double lx_med[NR_OPS], rv_med[NR_OPS];  /* ns per page */
	struct meta meta_one;      /* after first touch: one process */
	struct meta meta_two;      /* after fork + COW of every page: two processes */
	long rss_self_kib;         /* ru_maxrss of this (the revmap) process */
	long rss_linux_kib;        /* ru_maxrss of the Linux helper and its children */
	uint64_t rss_linux_pair;   /* most KiB the helper and its child held at once */
	double load[2];            /* 1-minute load average at start and at end */
	char kernel[128];          /* the running kernel's release (uname -r) */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* The Linux side: a helper process, raw system calls                   */

/* parent -> helper */
struct kcmd {
	int32_t op;                /* enum bench_op */
	int32_t pad;
	uint64_t bytes;            /* region size */
};

/* helper -> parent */
struct kres {
	int32_t err;               /* 0, or the errno of the call that failed */
	int32_t step;              /* which call failed (KS_*, for the message) */
	struct run run;            /* the measurement */
};

static const char *const kstep_name[] = {
	"", "mmap", "madvise(MADV_NOHUGEPAGE)", "pipe2", "fork", "munmap", "mremap",
	"wait4", "mremap landed elsewhere",
};
enum { KS_OK, KS_MMAP, KS_MADVISE, KS_PIPE, KS_FORK, KS_MUNMAP, KS_MREMAP, KS_WAIT,
       KS_MREMAP_ADDR };

static long sys_ret(long r)
{
	return r == -1 ? -errno : r;
}

static int full_io(int fd, void *buf, size_t len, bool wr)
{
	char *p = buf;

	while (len) {
		long n = wr ? syscall(SYS_write, fd, p, len) : syscall(SYS_read, fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* => the address of a new private anonymous mapping, or -errno */
static long k_mmap(uint64_t len, int prot)
{
	return sys_ret(syscall(SYS_mmap, 0UL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L));
}

static uint64_t k_minflt(void)
{
	struct rusage ru;

	if (syscall(SYS_getrusage, RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)ru.ru_minflt;
}

/* resident KiB of a process (/proc/PID/statm, PID 0: ourselves), 0 if unknown */
static uint64_t k_rss_kib(long pid)
{
	char path[64], buf[128];
	uint64_t v[2] = { 0, 0 };
	long n, fd;
	int i = 0;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%ld/statm", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/statm");
	fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = syscall(SYS_read, fd, buf, sizeof(buf) - 1);
	syscall(SYS_close, fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* "size resident shared ...", in pages */
	for (char *c = buf; *c && i < 2; c++) {
		if (*c >= '0' && *c <= '9')
			v[i] = v[i] * 10 + (uint64_t)(*c - '0');
		else if (*c == ' ')
			i++;
	}
	return v[1] * (PAGE_SIZE / 1024);
}

static void touch_pages(char *p, uint64_t pages, uint64_t val)
{
	for (uint64_t i = 0; i < pages; i++)
		*(volatile uint64_t *)(p + (i << PAGE_SHIFT)) = val + i;
}

/*
 * fork a child that waits until the gate pipe reads end of file (the
 * parent closed its write end), then exits.
 * => the child's pid in the parent, or -errno; never returns in the child
 */
static long k_fork_parked(const int gate[2], uint64_t *t0, uint64_t *t1)
{
	long pid;

	*t0 = now_ns();
#ifdef SYS_fork
	pid = syscall(SYS_fork);
#else
	pid = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
#endif
	*t1 = now_ns();
	if (pid == 0) {
		char c;

		syscall(SYS_close, gate[1]);
		while (syscall(SYS_read, gate[0], &c, 1) < 0 && errno == EINTR)
			;
		syscall(SYS_exit_group, 0);
		for (;;)
			;
	}
	return sys_ret(pid);
}

/* release a parked child and reap it => 0 or -errno */
static long k_reap(int gate[2], long pid)
{
	long r;

	syscall(SYS_close, gate[1]);
	syscall(SYS_close, gate[0]);
	if (pid <= 0)
		return 0;
	do
		r = sys_ret(syscall(SYS_wait4, pid, NULL, 0, NULL));
	while (r == -EINTR);
	return r < 0 ? r : 0;
}

#define KFAIL(s, e) do { res->step = (s); res->err = (int)-(e); goto out; } while (0)

static void k_run(int op, uint64_t bytes, struct kres *res)
{
	uint64_t pages = bytes >> PAGE_SHIFT, t0 = 0, t1 = 0, f0;
	struct run *r = &res->run;
	int gate[2] = { -1, -1 };
	long a, d, pid = 0, e;
	char *p = NULL;

	memset(res, 0, sizeof(*res));
	a = k_mmap(bytes, PROT_READ | PROT_WRITE);
	if (a < 0)
		KFAIL(KS_MMAP, a);
	p = (char *)a;
	r->src = (uint64_t)a;
	e = sys_ret(syscall(SYS_madvise, p, bytes, MADV_NOHUGEPAGE));
	if (e)
		KFAIL(KS_MADVISE, e);
	if (op != OP_FAULT)
		touch_pages(p, pages, 1);
	if (op == OP_FORK || op == OP_COW) {
		e = sys_ret(syscall(SYS_pipe2, gate, O_CLOEXEC));
		if (e)
			KFAIL(KS_PIPE, e);
	}
	f0 = k_minflt();
	switch (op) {
	case OP_FORK:
		pid = k_fork_parked(gate, &t0, &t1);
		if (pid < 0)
			KFAIL(KS_FORK, pid);
		break;
	case OP_FAULT:
		t0 = now_ns();
		touch_pages(p, pages, 1);
		t1 = now_ns();
		break;
	case OP_COW: {
		uint64_t u0, u1;

		pid = k_fork_parked(gate, &u0, &u1);
		if (pid < 0)
			KFAIL(KS_FORK, pid);
		f0 = k_minflt();
		t0 = now_ns();
		touch_pages(p, pages, 2);
		t1 = now_ns();
		break;
	}
	case OP_MUNMAP:
		t0 = now_ns();
		e = sys_ret(syscall(SYS_munmap, p, bytes));
		t1 = now_ns();
		if (e)
			KFAIL(KS_MUNMAP, e);
		p = NULL;
		break;
	case OP_MREMAP:
		/* a free target: reserve a range of the same size, free it */
		d = k_mmap(bytes, PROT_NONE);
		if (d < 0)
			KFAIL(KS_MMAP, d);
		e = sys_ret(syscall(SYS_munmap, d, bytes));
		if (e)
			KFAIL(KS_MUNMAP, e);
		t0 = now_ns();
		a = syscall(SYS_mremap, p, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, d);
		t1 = now_ns();
		if (a == -1)
			KFAIL(KS_MREMAP, -errno);
		p = (char *)a;
		r->dst = (uint64_t)d;
		if (a != d)
			KFAIL(KS_MREMAP_ADDR, -EFAULT);
		break;
	}
	r->minflt = k_minflt() - f0;
	r->ns = t1 - t0;
	r->rss_kib = k_rss_kib(0) + (pid > 0 ? k_rss_kib(pid) : 0);
out:
	if (gate[1] >= 0) {
		e = k_reap(gate, pid);
		if (e && !res->err) {
			res->step = KS_WAIT;
			res->err = (int)-e;
		}
	}
	if (p)
		syscall(SYS_munmap, p, bytes);
}

/* The helper's life: serve commands until the parent closes the pipe. */
_Noreturn static void k_helper(int cmd_r, int res_w)
{
	struct kcmd c;
	struct kres r;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	while (!full_io(cmd_r, &c, sizeof(c), false)) {
		k_run(c.op, c.bytes, &r);
		if (full_io(res_w, &r, sizeof(r), true))
			break;
	}
	syscall(SYS_exit_group, 0);
	for (;;)
		;
}

struct helper {
	long pid;                  /* the helper process */
	int cmd_w, res_r;          /* our ends of the two pipes */
};

static int helper_start(struct helper *h)
{
	int cmd[2], res[2];
	long pid;

	if (pipe2(cmd, O_CLOEXEC))
		return -errno;
	if (pipe2(res, O_CLOEXEC)) {
		int e = -errno;

		close(cmd[0]);
		close(cmd[1]);
		return e;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(cmd[1]);
		close(res[0]);
		k_helper(cmd[0], res[1]);
	}
	close(cmd[0]);
	close(res[1]);
	if (pid < 0) {
		close(cmd[1]);
		close(res[0]);
		return -errno;
	}
	h->pid = pid;
	h->cmd_w = cmd[1];
	h->res_r = res[0];
	return 0;
}

/* => 0, or -1 with a message on stderr */
static int helper_run(struct helper *h, int op, uint64_t bytes, struct run *out)
{
	struct kcmd c = { .op = op, .bytes = bytes };
	struct kres r;

	if (full_io(h->cmd_w, &c, sizeof(c), true) || full_io(h->res_r, &r, sizeof(r), false)) {
		fprintf(stderr, "revmap: bench core: the Linux helper process died\n");
		return -1;
	}
	if (r.err) {
		fprintf(stderr, "revmap: bench core: Linux %s: %s failed: %s\n",
			ops_desc[op].key, kstep_name[r.step], strerror(r.err));
		return -1;
	}
	*out = r.run;
	return 0;
}

/* stop the helper and collect its peak memory (KiB), or -1 */
static long helper_stop(struct helper *h)
{
	struct rusage ru;
	int st;

	close(h->cmd_w);
	close(h->res_r);
	while (waitpid((pid_t)h->pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (getrusage(RUSAGE_CHILDREN, &ru))
		return -1;
	return ru.ru_maxrss;
}

/* ------------------------------------------------------------------ */
/* The revmap side                                                      */

/* d = a - b, counter by counter (every vm_stats field is a uint64_t) */
static void stats_sub(struct vm_stats *d, const struct vm_stats *a, const struct vm_stats *b)
{
	enum { N = sizeof(struct vm_stats) / sizeof(uint64_t) };
	uint64_t x[N], y[N];

	_Static_assert(sizeof(struct vm_stats) % sizeof(uint64_t) == 0,
		       "vm_stats holds only 64-bit counters");
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	for (size_t i = 0; i < N; i++)
		x[i] -= y[i];
	memcpy(d, x, sizeof(x));
}

static void meta_take(struct vm_machine *m, struct meta *mt)
{
	struct list_head *p;

	memset(mt, 0, sizeof(*mt));
	list_for_each(p, &m->mms) {
		struct vm_mm *mm = list_entry(p, struct vm_mm, node);

		mt->mapped += mm->nr_ptes;
		mt->pgtables += mm->nr_pgtables;
		mt->mms++;
	}
	mt->frames_used = m->nr_frames - 1 - m->nr_free;
	mt->vma_bytes = m->stats.vma_bytes;
	mt->rmap_bytes = m->stats.rmap_bytes;
}

/* store one word in every page of [addr, addr + bytes) => 0 or -1 */
static int rv_touch(struct vm_machine *m, struct vm_mm *mm, uint64_t addr, uint64_t pages,
		    uint64_t val, const char *op)
{
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t a = addr + (i << PAGE_SHIFT);
		int f = mmu_store(m, mm, a, val + i);

		if (f != VM_FAULT_OK) {
			fprintf(stderr, "revmap: bench core: revmap %s: store at 0x%llx: %s\n", op,
				(unsigned long long)a,
				f == VM_FAULT_OOM ? "out of simulated memory" :
				f == VM_FAULT_BUS ? "SIGBUS" : "SIGSEGV");
			return -1;
		}
	}
	return 0;
}

static const char *rv_err(uint64_t r)
{
	return strerror((int)-(int64_t)r);
}

/*
 * One run of op on the simulation.  The address spaces it makes are gone
 * when it returns.  meta, if not NULL, receives the metadata in the state
 * named in struct bench (fault: after touching; cow: after the writes).
 * => 0, or -1 with a message on stderr
 */
static int rv_run(struct rv_sim *s, int op, uint64_t bytes, struct run *r, struct meta *meta)
{
	struct vm_machine *m = &s->m;
	uint64_t pages = bytes >> PAGE_SHIFT, t0 = 0, t1 = 0, f0, a, d;
	struct vm_mm *mm, *child = NULL;
	struct vm_stats before;
	const char *key = ops_desc[op].key;
	int err = -1, e;

	memset(r, 0, sizeof(*r));
	mm = mm_create(m);
	if (!mm) {
		fprintf(stderr, "revmap: bench core: revmap %s: mm_create failed\n", key);
		return -1;
	}
	a = vm_mmap(mm, 0, bytes, PROT_READ_ | PROT_WRITE_, MAP_PRIVATE_ | MAP_ANON_, NULL, 0);
	if (IS_ERR_ADDR(a)) {
		fprintf(stderr, "revmap: bench core: revmap %s: mmap: %s\n", key, rv_err(a));
		goto out;
	}
	r->src = a;
	if (op != OP_FAULT && rv_touch(m, mm, a, pages, 1, key))
		goto out;
	before = m->stats;
	f0 = k_minflt();
	switch (op) {
	case OP_FORK:
		t0 = now_ns();
		e = mm_fork(mm, &child);
		t1 = now_ns();
		if (e) {
			child = NULL;
			fprintf(stderr, "revmap: bench core: revmap fork: %s\n", strerror(-e));
			goto out;
		}
		break;
	case OP_FAULT:
		t0 = now_ns();
		e = rv_touch(m, mm, a, pages, 1, key);
		t1 = now_ns();
		if (e)
			goto out;
		break;
	case OP_COW:
		e = mm_fork(mm, &child);
		if (e) {
			child = NULL;
			fprintf(stderr, "revmap: bench core: revmap fork: %s\n", strerror(-e));
			goto out;
		}
		before = m->stats;
		f0 = k_minflt();
		t0 = now_ns();
		e = rv_touch(m, mm, a, pages, 2, key);
		t1 = now_ns();
		if (e)
			goto out;
		break;
	case OP_MUNMAP:
		t0 = now_ns();
		e = vm_munmap(mm, a, bytes);
		t1 = now_ns();
		if (e) {
			fprintf(stderr, "revmap: bench core: revmap munmap: %s\n", strerror(-e));
			goto out;
		}
		break;
	case OP_MREMAP:
		d = vm_mmap(mm, 0, bytes, 0, MAP_PRIVATE_ | MAP_ANON_, NULL, 0);
		if (IS_ERR_ADDR(d) || (e = vm_munmap(mm, d, bytes))) {
			fprintf(stderr, "revmap: bench core: revmap mremap: no free target\n");
			goto out;
		}
		t0 = now_ns();
		a = vm_mremap(mm, a, bytes, bytes, MREMAP_MAYMOVE_ | MREMAP_FIXED_, d);
		t1 = now_ns();
		r->dst = d;
		if (a != d) {
			fprintf(stderr, "revmap: bench core: revmap mremap: %s\n",
				IS_ERR_ADDR(a) ? rv_err(a) : "landed elsewhere");
			goto out;
		}
		break;
	}
	r->minflt = k_minflt() - f0;
	stats_sub(&r->work, &m->stats, &before);
	r->ns = t1 - t0;
	if (meta)
		meta_take(m, meta);
	err = 0;
out:
	if (child)
		mm_destroy(child);
	mm_destroy(mm);
	return err;
}

/* ------------------------------------------------------------------ */
/* Driving, reporting                                                   */

static double median_per_page(const struct run *runs, uint64_t pages)
{
	double v[REPS];

	for (int i = 0; i < REPS; i++) {
		double x = (double)runs[i].ns / (double)pages;
		int j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return REPS % 2 ? v[REPS / 2] : (v[REPS / 2 - 1] + v[REPS / 2]) / 2;
}

static bool target_met(const struct bench *b, int op)
{
	double t = ops_desc[op].target_ns;

	return t > 0 ? b->rv_med[op] <= t : b->rv_med[op] <= b->lx_med[op];
}

static void target_text(const struct bench *b, int op, char *buf, size_t len)
{
	if (ops_desc[op].target_ns > 0)
		snprintf(buf, len, "<= %.0f ns/page", ops_desc[op].target_ns);
	else
		snprintf(buf, len, "<= Linux (%.2f ns)", b->lx_med[op]);
}

static double per(uint64_t x, uint64_t n)
{
	return n ? (double)x / (double)n : 0;
}

/* is this run's work what the operation must do, page for page? */
static bool work_exact(int op, const struct vm_stats *w, uint64_t pages)
{
	switch (op) {
	case OP_FORK:   return w->ptes_copied == pages;
	case OP_FAULT:  return w->anon_faults == pages && w->faults == pages;
	case OP_COW:    return w->cow_copies == pages && w->faults == pages;
	case OP_MUNMAP: return w->ptes_zapped == pages && w->frames_freed >= pages;
	case OP_MREMAP: return w->ptes_moved + w->pmds_moved * PTRS_PER_TABLE == pages;
	}
	return false;
}

static void print_meta_row(FILE *out, const char *name, const struct meta *mt)
{
	double pt = per(mt->pgtables * PAGE_SIZE, mt->mapped);
	double vb = per(mt->vma_bytes, mt->mapped), rb = per(mt->rmap_bytes, mt->mapped);
	double fd = per(mt->frames_used * sizeof(struct vm_frame), mt->mapped);

	fprintf(out, "  %-34s %9llu %10.3f %11.3f %9.4f %9.4f %9.3f\n", name,
		(unsigned long long)mt->mapped, fd, pt, vb, rb, fd + pt + vb + rb);
}

static void print_report(const struct bench *b, FILE *out)
{
	const double mib = 1024.0 * 1024.0;

	fprintf(out, "revmap bench core: %llu bytes (%.0f MiB) = %llu pages of 4 KiB, "
		"median of %d runs after %d warm-up\n",
		(unsigned long long)b->bytes, b->bytes / mib, (unsigned long long)b->pages,
		REPS, WARMUP);
	fprintf(out, "revmap: scheme %s, machine memory %.0f MiB; Linux: %s, THP disabled; ",
		b->scheme, b->mem / mib, b->kernel);
	if (b->cpu >= 0)
		fprintf(out, "both pinned to CPU %d\n\n", b->cpu);
	else
		fprintf(out, "not pinned\n\n");

	fprintf(out, "%-18s %13s %12s %13s  %-20s %s\n", "operation", "revmap ns/pg",
		"Linux ns/pg", "revmap/Linux", "target (revmap)", "met");
	for (int op = 0; op < NR_OPS; op++) {
		char t[40];

		target_text(b, op, t, sizeof(t));
		fprintf(out, "%-18s %13.2f %12.2f %13.2f  %-20s %s\n", ops_desc[op].label,
			b->rv_med[op], b->lx_med[op],
			b->lx_med[op] > 0 ? b->rv_med[op] / b->lx_med[op] : 0.0, t,
			target_met(b, op) ? "yes" : "NO");
	}

	fprintf(out, "\nruns, ns/page (revmap | Linux):\n");
	for (int op = 0; op < NR_OPS; op++) {
		fprintf(out, "  %-18s", ops_desc[op].label);
		for (int i = 0; i < REPS; i++)
			fprintf(out, " %8.2f", per(b->rv[op][i].ns, b->pages));
		fprintf(out, "  |");
		for (int i = 0; i < REPS; i++)
			fprintf(out, " %8.2f", per(b->lx[op][i].ns, b->pages));
		fprintf(out, "\n");
	}

	fprintf(out, "\nregion addresses (last run; 2M: 2 MiB aligned):\n");
	for (int op = 0; op < NR_OPS; op++) {
		const struct run *r = &b->rv[op][REPS - 1], *l = &b->lx[op][REPS - 1];

		fprintf(out, "  %-18s revmap 0x%012llx%s", ops_desc[op].label,
			(unsigned long long)r->src, r->src % PMD_SIZE ? "   " : " 2M");
		if (op == OP_MREMAP)
			fprintf(out, " -> 0x%012llx%s", (unsigned long long)r->dst,
				r->dst % PMD_SIZE ? "   " : " 2M");
		fprintf(out, "   Linux 0x%012llx%s", (unsigned long long)l->src,
			l->src % PMD_SIZE ? "" : " 2M");
		if (op == OP_MREMAP)
			fprintf(out, " -> 0x%012llx%s", (unsigned long long)l->dst,
				l->dst % PMD_SIZE ? "" : " 2M");
		fprintf(out, "\n");
	}

	fprintf(out, "\nwork in the timed section (revmap: exact counters of one run; "
		"lx_minflt: Linux minor faults, one run;\n"
		"rv_hostflt: host faults taken by the simulator on its own arena, all %d runs)\n",
		REPS);
	fprintf(out, "  %-18s %7s %7s %8s %9s %9s %9s %9s %8s %9s %9s %9s %10s\n", "operation",
		"faults", "anon", "cow_copy", "cow_reuse", "frm_alloc", "frm_freed",
		"ptes_copy", "ptes_zap", "ptes_move", "pmds_move", "lx_minflt", "rv_hostflt");
	for (int op = 0; op < NR_OPS; op++) {
		const struct vm_stats *w = &b->rv[op][REPS - 1].work;
		uint64_t hf = 0;

		for (int i = 0; i < REPS; i++)
			hf += b->rv[op][i].minflt;
		fprintf(out, "  %-18s %7llu %7llu %8llu %9llu %9llu %9llu %9llu %8llu %9llu %9llu %9llu %10llu%s\n",
			ops_desc[op].label, (unsigned long long)w->faults,
			(unsigned long long)w->anon_faults, (unsigned long long)w->cow_copies,
			(unsigned long long)w->cow_reuses, (unsigned long long)w->frames_alloc,
			(unsigned long long)w->frames_freed, (unsigned long long)w->ptes_copied,
			(unsigned long long)w->ptes_zapped, (unsigned long long)w->ptes_moved,
			(unsigned long long)w->pmds_moved,
			(unsigned long long)b->lx[op][REPS - 1].minflt, (unsigned long long)hf,
			work_exact(op, w, b->pages) ? "" : "  (unexpected work)");
	}

	fprintf(out, "\nrevmap metadata, bytes per mapped page (mapped = present PTEs; "
		"struct vm_frame = %zu bytes)\n", sizeof(struct vm_frame));
	fprintf(out, "  %-34s %9s %10s %11s %9s %9s %9s\n", "state", "mapped", "frame desc",
		"page tables", "VMAs", "rmap", "total");
	print_meta_row(out, "after first touch (1 process)", &b->meta_one);
	print_meta_row(out, "after fork + COW (2 processes)", &b->meta_two);
	fprintf(out, "  (frame desc: allocated frames, page tables included, x %zu bytes; "
		"the frame table itself covers all %llu frames of the machine)\n",
		sizeof(struct vm_frame), (unsigned long long)(b->mem >> PAGE_SHIFT));

	fprintf(out, "\npeak host memory: revmap process %.0f MiB (ru_maxrss; it holds the "
		"populated machine memory throughout);\n"
		"  Linux side: largest process %.0f MiB (ru_maxrss), helper + forked child "
		"together %.0f MiB at most (statm, after the COW writes);\n"
		"  so the run needs about %.0f MiB of free host memory\n",
		b->rss_self_kib / 1024.0, b->rss_linux_kib / 1024.0, b->rss_linux_pair / 1024.0,
		(b->rss_self_kib + b->rss_linux_pair) / 1024.0);
	fprintf(out, "load average (1 min) of the host: %.2f at start, %.2f at end "
		"(other work on the %ld CPUs makes the runs noisier)\n",
		b->load[0], b->load[1], sysconf(_SC_NPROCESSORS_ONLN));
}

static void json_meta(FILE *f, const char *name, const struct meta *mt, bool last)
{
	fprintf(f, "    \"%s\": {\"mms\": %d, \"mapped_pages\": %llu, \"frames_used\": %llu, "
		"\"pgtable_frames\": %llu, \"vma_bytes\": %llu, \"rmap_bytes\": %llu, "
		"\"frame_desc_per_page\": %.4f, \"pgtable_per_page\": %.4f, "
		"\"vma_per_page\": %.6f, \"rmap_per_page\": %.6f}%s\n",
		name, mt->mms, (unsigned long long)mt->mapped,
		(unsigned long long)mt->frames_used, (unsigned long long)mt->pgtables,
		(unsigned long long)mt->vma_bytes, (unsigned long long)mt->rmap_bytes,
		per(mt->frames_used * sizeof(struct vm_frame), mt->mapped),
		per(mt->pgtables * PAGE_SIZE, mt->mapped), per(mt->vma_bytes, mt->mapped),
		per(mt->rmap_bytes, mt->mapped), last ? "" : ",");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int write_json(const struct bench *b, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "revmap: bench core: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"benchmark\": \"core\",\n  \"revmap_version\": \"%s\",\n",
		REVMAP_VERSION);
	fprintf(f, "  \"scheme\": ");
	json_str(f, b->scheme);
	fprintf(f, ",\n  \"linux_kernel\": ");
	json_str(f, b->kernel);
	fprintf(f, ",\n  \"bytes\": %llu,\n  \"pages\": %llu,\n  \"page_size\": 4096,\n"
		"  \"machine_mem_bytes\": %llu,\n  \"reps\": %d,\n  \"warmup\": %d,\n"
		"  \"cpu\": %d,\n  \"unit\": \"ns per page, median\",\n  \"ops\": [\n",
		(unsigned long long)b->bytes, (unsigned long long)b->pages,
		(unsigned long long)b->mem, REPS, WARMUP, b->cpu);
	for (int op = 0; op < NR_OPS; op++) {
		const struct vm_stats *w = &b->rv[op][REPS - 1].work;

		fprintf(f, "    {\"name\": \"%s\", \"revmap_ns_per_page\": %.3f, "
			"\"linux_ns_per_page\": %.3f, \"ratio\": %.4f,\n",
			ops_desc[op].key, b->rv_med[op], b->lx_med[op],
			b->lx_med[op] > 0 ? b->rv_med[op] / b->lx_med[op] : 0.0);
		if (ops_desc[op].target_ns > 0)
			fprintf(f, "     \"target\": {\"revmap_ns_per_page_max\": %.0f}, ",
				ops_desc[op].target_ns);
		else
			fprintf(f, "     \"target\": {\"ratio_max\": 1}, ");
		fprintf(f, "\"met\": %s,\n     \"revmap_runs_ns\": [",
			target_met(b, op) ? "true" : "false");
		for (int i = 0; i < REPS; i++)
			fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)b->rv[op][i].ns);
		fprintf(f, "], \"linux_runs_ns\": [");
		for (int i = 0; i < REPS; i++)
			fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)b->lx[op][i].ns);
		fprintf(f, "], \"revmap_host_minflt_runs\": [");
		for (int i = 0; i < REPS; i++)
			fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)b->rv[op][i].minflt);
		fprintf(f, "],\n     \"revmap_addr\": \"0x%llx\", \"linux_addr\": \"0x%llx\"",
			(unsigned long long)b->rv[op][REPS - 1].src,
			(unsigned long long)b->lx[op][REPS - 1].src);
		if (op == OP_MREMAP)
			fprintf(f, ", \"revmap_target\": \"0x%llx\", \"linux_target\": \"0x%llx\"",
				(unsigned long long)b->rv[op][REPS - 1].dst,
				(unsigned long long)b->lx[op][REPS - 1].dst);
		fprintf(f, ",\n     \"revmap_work\": {\"faults\": %llu, \"zero_faults\": %llu, "
			"\"anon_faults\": %llu, \"cow_copies\": %llu, \"cow_reuses\": %llu, "
			"\"frames_alloc\": %llu, \"frames_freed\": %llu, \"ptes_copied\": %llu, "
			"\"ptes_zapped\": %llu, \"ptes_moved\": %llu, \"pmds_moved\": %llu, "
			"\"exact\": %s},\n"
			"     \"linux_minflt\": %llu}%s\n",
			(unsigned long long)w->faults, (unsigned long long)w->zero_faults,
			(unsigned long long)w->anon_faults, (unsigned long long)w->cow_copies,
			(unsigned long long)w->cow_reuses, (unsigned long long)w->frames_alloc,
			(unsigned long long)w->frames_freed, (unsigned long long)w->ptes_copied,
			(unsigned long long)w->ptes_zapped, (unsigned long long)w->ptes_moved,
			(unsigned long long)w->pmds_moved,
			work_exact(op, w, b->pages) ? "true" : "false",
			(unsigned long long)b->lx[op][REPS - 1].minflt,
			op + 1 < NR_OPS ? "," : "");
	}
	fprintf(f, "  ],\n  \"metadata\": {\n    \"frame_desc_bytes\": %zu,\n",
		sizeof(struct vm_frame));
	json_meta(f, "after_first_touch", &b->meta_one, false);
	json_meta(f, "after_fork_cow", &b->meta_two, true);
	fprintf(f, "  },\n  \"peak_rss_kib\": {\"revmap\": %ld, \"linux_max_process\": %ld, "
		"\"linux_helper_and_child\": %llu},\n",
		b->rss_self_kib, b->rss_linux_kib, (unsigned long long)b->rss_linux_pair);
	fprintf(f, "  \"loadavg_1min\": [%.2f, %.2f]\n}\n", b->load[0], b->load[1]);
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "revmap: bench core: error writing %s\n", path);
		return -1;
	}
	return 0;
}

static double loadavg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

/*
 * pin this process to the CPU it runs on now (the scheduler put it where
 * there was room), or else to the highest one it may use
 * => that CPU or -1
 */
static int pin_cpu(cpu_set_t *old)
{
	cpu_set_t one;
	int c = sched_getcpu();

	if (sched_getaffinity(0, sizeof(*old), old))
		return -1;
	if (c < 0 || c >= CPU_SETSIZE || !CPU_ISSET(c, old))
		for (c = CPU_SETSIZE - 1; c >= 0 && !CPU_ISSET(c, old); c--)
			;
	if (c < 0)
		return -1;
	CPU_ZERO(&one);
	CPU_SET(c, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? -1 : c;
}

int rv_bench_core(const struct rv_options *opt, uint64_t bytes, const char *json_path,
		  const char *linux_replay, FILE *out)
{
	struct rv_options o = *opt;
	struct helper h = { .pid = -1 };
	struct bench *b;
	struct rv_sim *s = NULL;
	struct rusage ru;
	struct utsname un;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	cpu_set_t old_cpus;
	uint64_t need;
	char err[256];
	int status = 1, e;

	(void)linux_replay;    /* the Linux side is measured here, not by replay */
	bytes = PAGE_ALIGN(bytes);
	need = 2 * bytes + (64ULL << 20);
	if (!o.mem_bytes)
		o.mem_bytes = need;
	if (o.mem_bytes < need) {
		fprintf(stderr, "revmap: bench core: --mem %llu (%llu MiB) is too small for "
			"--bytes %llu (%llu MiB): the COW run holds two copies of the region, so "
			"the machine needs at least 2 x bytes + 64 MiB = %llu bytes (%llu MiB); "
			"leave --mem out to get that\n",
			(unsigned long long)o.mem_bytes, (unsigned long long)(o.mem_bytes >> 20),
			(unsigned long long)bytes, (unsigned long long)(bytes >> 20),
			(unsigned long long)need, (unsigned long long)(need >> 20));
		return 2;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		fprintf(stderr, "revmap: bench core: out of host memory\n");
		return 1;
	}
	b->bytes = bytes;
	b->pages = bytes >> PAGE_SHIFT;
	b->mem = o.mem_bytes;
	snprintf(b->kernel, sizeof(b->kernel), "%s", uname(&un) ? "(unknown)" : un.release);

	b->load[0] = loadavg();
	sigaction(SIGPIPE, &ign, &old_pipe);
	b->cpu = pin_cpu(&old_cpus);
	/* the helper first, while this process is still small */
	e = helper_start(&h);
	if (e) {
		fprintf(stderr, "revmap: bench core: cannot start the Linux helper: %s\n",
			strerror(-e));
		goto out;
	}
	s = rv_sim_new(&o, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "revmap: bench core: %s\n", err);
		goto out;
	}
	b->scheme = s->m.rmap->name;
	/*
	 * Make the host back the whole simulated memory now: its page faults on
	 * the arena are the simulator's cost, not the modelled VM's, and they
	 * would land in whichever run first uses a frame.  Contents stay zero.
	 */
#ifdef MADV_POPULATE_WRITE
	madvise(s->m.mem, s->m.nr_frames << PAGE_SHIFT, MADV_POPULATE_WRITE);
#endif

	for (int rep = 0; rep < WARMUP + REPS; rep++) {
		int i = rep - WARMUP;

		for (int op = 0; op < NR_OPS; op++) {
			struct run lr, rr;
			struct meta *mt = NULL;

			if (i == REPS - 1 && op == OP_FAULT)
				mt = &b->meta_one;
			else if (i == REPS - 1 && op == OP_COW)
				mt = &b->meta_two;
			if (helper_run(&h, op, bytes, &lr) || rv_run(s, op, bytes, &rr, mt))
				goto out;
			if (lr.rss_kib > b->rss_linux_pair)
				b->rss_linux_pair = lr.rss_kib;
			if (i >= 0) {
				b->lx[op][i] = lr;
				b->rv[op][i] = rr;
			}
		}
	}
	for (int op = 0; op < NR_OPS; op++) {
		b->lx_med[op] = median_per_page(b->lx[op], b->pages);
		b->rv_med[op] = median_per_page(b->rv[op], b->pages);
	}
	status = 0;
out:
	if (h.pid > 0)
		b->rss_linux_kib = helper_stop(&h);
	rv_sim_free(s);
	b->load[1] = loadavg();
	if (!status) {
		b->rss_self_kib = getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
		print_report(b, out);
		fflush(out);
		if (json_path && write_json(b, json_path))
			status = 1;
	}
	if (b->cpu >= 0)
		sched_setaffinity(0, sizeof(old_cpus), &old_cpus);
	sigaction(SIGPIPE, &old_pipe, NULL);
	free(b);
	return status;
}
