/*
 * bench/core.c - the core benchmark: the same work, per 4 KiB page, in revmap
 * and on the real Linux kernel of this machine, side by side in one run.
 *
 *   revmap bench core [--bytes SIZE] [--json FILE] [--mem SIZE] [--procs N]
 *   (--procs: the file benchmark's forked readers, default 100)
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
 * and the file benchmark, on a file of `bytes` wholly in the page cache (as
 * after write(2); on Linux a tmpfs file under /dev/shm, in revmap
 * file_create), both holding the same words (word i of the file is i):
 *
 *   read 1   one process maps it MAP_SHARED, PROT_READ and loads one word
 *            per page: read faults, each mapping a 64 KiB fault-around
 *            window (16 pages) on both sides
 *   read N   it forks N children (fork copies no PTEs of a shared file
 *            mapping without anonymous pages, on both sides; not timed) and
 *            each child loads one word per page of its inherited mapping;
 *            the children run one after another and each times its own
 *            loads, the figure is their sum / (N x pages)
 *   truncate ftruncate(fd, 0) / file_truncate(f, 0) while all 1 + N
 *            processes map every page: every PTE of every process is zapped
 *            through the i_mmap tree and the page cache is dropped; the
 *            figure is the call's time / ((1 + N) x pages) unmapped PTEs
 *
 * The Linux side runs in a helper process forked before the simulated
 * machine exists, so that its forks copy only the region (plus a few pages
 * of libc, stack and pipes), never the simulator's multi-gigabyte arena.  It
 * uses raw system calls, disables THP (PR_SET_THP_DISABLE and
 * MADV_NOHUGEPAGE) so that both sides map 4 KiB pages, and times with
 * CLOCK_MONOTONIC.  A forked child parks on a pipe until the parent has read
 * its clock (for fork) or written every page (for cow), then exits; had it
 * exited at once it could, on the one CPU both share, tear its 1 GiB down
 * inside the parent's timed window.  The file benchmark's children park the
 * same way after reporting their time, so that the truncate unmaps 1 + N
 * live mappings; the file is unlinked as soon as it is created, so that
 * nothing is left in /dev/shm whatever happens.
 *
 * The revmap side runs on its own simulation, made with the caller's
 * options, through mm/ (mm_fork, vm_mmap, vm_munmap, vm_mremap, file_create,
 * file_truncate) and the software MMU (mmu_store and mmu_load fault into
 * mm/).
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
 * section); the Linux minor-fault counts (getrusage) and, for the file,
 * the RssShmem and VmPTE of every process are the cross-check.
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
#include "../sim/sim.h"
#include "../rmap/scheme.h"
#include "../host/host.h"
#include "bench.h"
#include "json.h"

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

/* The file benchmark: one more command for the helper, three timed phases. */
#define OP_FILE NR_OPS
#define DEFAULT_PROCS 100
#define MAX_PROCS     4096

enum file_phase { FP_READ1, FP_READN, FP_TRUNC, NR_FP };

static const struct file_desc {
	const char *key;           /* JSON name */
	const char *label;         /* table name (fp_label adds the process count) */
	const char *brief;         /* short name, for the runs */
	const char *unit;          /* what one ns figure is per */
} fp_desc[NR_FP] = {
	[FP_READ1] = { "file_read_1", "read fault, 1 process", "file read 1 proc", "page" },
	[FP_READN] = { "file_read_forked", "read fault, forked", "file read forked",
		       "page per process" },
	[FP_TRUNC] = { "file_truncate", "truncate unmap", "file truncate", "unmapped PTE" },
};

/* One run of the file benchmark, on either side. */
struct frun {
	uint64_t ns[NR_FP];        /* read 1: the reader's loads; read N: the N children's
				      loads, summed; truncate: the one call */
	uint64_t minflt[NR_FP];    /* Linux: minor faults (read N: the children's, summed);
				      revmap: host faults on its arena */
	uint64_t addr;             /* the first reader's mapping */
	uint64_t mapped1;          /* PTEs of the first reader after its loads */
	uint64_t mapped;           /* PTEs mapping the file in every process just before
				      the truncate (Linux: RssShmem / 4 KiB, summed) */
	uint64_t mapped_after;     /* the same just after the truncate (0 when it worked) */
	uint64_t pgtable_kib;      /* page tables of every process then (Linux: VmPTE) */
	uint64_t anon_kib;         /* Linux: RssAnon of every process then, summed */
	struct vm_stats work[NR_FP]; /* revmap: counter deltas of each timed phase */
	struct vm_stats fork_work; /* revmap: the N mm_fork calls (not timed) */
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
	int procs;                 /* file benchmark: forked readers */
	struct frun flx[REPS];     /* file benchmark, Linux runs */
	struct frun frv[REPS];     /* file benchmark, revmap runs */
	double flx_med[NR_FP], frv_med[NR_FP]; /* ns per fp_desc unit */
	struct meta meta_file;     /* the file read by 1 + procs processes */
	uint64_t lx_file_kib;      /* most KiB the Linux file run held: the tmpfs file,
				      page tables and anonymous memory of its processes */
	long rss_self_kib;         /* ru_maxrss of this (the revmap) process */
	long rss_linux_kib;        /* ru_maxrss of the Linux helper and its children */
	uint64_t rss_linux_pair;   /* most KiB the helper and its child held at once */
	double load[2];            /* 1-minute load average at start and at end */
	char kernel[128];          /* the running kernel's release (uname -r) */
};

/* ------------------------------------------------------------------ */
/* The Linux side: a helper process, raw system calls                   */

/* parent -> helper */
struct kcmd {
	int32_t op;                /* enum bench_op, or OP_FILE */
	int32_t procs;             /* OP_FILE: forked readers */
	uint64_t bytes;            /* region size */
};

/* helper -> parent */
struct kres {
	int32_t err;               /* 0, or the errno of the call that failed */
	int32_t step;              /* which call failed (KS_*, for the message) */
	struct run run;            /* the measurement */
	struct frun frun;          /* the measurement of OP_FILE */
};

static const char *const kstep_name[] = {
	"", "mmap", "madvise(MADV_NOHUGEPAGE)", "pipe2", "fork", "munmap", "mremap",
	"wait4", "mremap landed elsewhere", "creating a file in /dev/shm", "unlink",
	"write", "ftruncate", "a reading child (it died)", "reading back what was written",
	"a reading child (it did not go to sleep)",
};
enum { KS_OK, KS_MMAP, KS_MADVISE, KS_PIPE, KS_FORK, KS_MUNMAP, KS_MREMAP, KS_WAIT,
       KS_MREMAP_ADDR, KS_OPEN, KS_UNLINK, KS_WRITE, KS_FTRUNCATE, KS_CHILD, KS_CONTENTS,
       KS_SLEEP };

static const char *op_key(int op)
{
	return op == OP_FILE ? "file" : ops_desc[op].key;
}

/* => the address of a new private anonymous mapping, or -errno */
static long k_mmap(uint64_t len, int prot)
{
	return host_ret(syscall(SYS_mmap, 0UL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L));
}

static uint64_t k_minflt(void)
{
	struct rusage ru;

	if (syscall(SYS_getrusage, RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)ru.ru_minflt;
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

	*t0 = host_now_ns();
#ifdef SYS_fork
	pid = syscall(SYS_fork);
#else
	pid = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
#endif
	*t1 = host_now_ns();
	if (pid == 0) {
		char c;

		syscall(SYS_close, gate[1]);
		while (syscall(SYS_read, gate[0], &c, 1) < 0 && errno == EINTR)
			;
		syscall(SYS_exit_group, 0);
		for (;;)
			;
	}
	return host_ret(pid);
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
		r = host_ret(syscall(SYS_wait4, pid, NULL, 0, NULL));
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
	e = host_ret(syscall(SYS_madvise, p, bytes, MADV_NOHUGEPAGE));
	if (e)
		KFAIL(KS_MADVISE, e);
	if (op != OP_FAULT)
		touch_pages(p, pages, 1);
	if (op == OP_FORK || op == OP_COW) {
		e = host_ret(syscall(SYS_pipe2, gate, O_CLOEXEC));
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
		t0 = host_now_ns();
		touch_pages(p, pages, 1);
		t1 = host_now_ns();
		break;
	case OP_COW: {
		uint64_t u0, u1;

		pid = k_fork_parked(gate, &u0, &u1);
		if (pid < 0)
			KFAIL(KS_FORK, pid);
		f0 = k_minflt();
		t0 = host_now_ns();
		touch_pages(p, pages, 2);
		t1 = host_now_ns();
		break;
	}
	case OP_MUNMAP:
		t0 = host_now_ns();
		e = host_ret(syscall(SYS_munmap, p, bytes));
		t1 = host_now_ns();
		if (e)
			KFAIL(KS_MUNMAP, e);
		p = NULL;
		break;
	case OP_MREMAP:
		/* a free target: reserve a range of the same size, free it */
		d = k_mmap(bytes, PROT_NONE);
		if (d < 0)
			KFAIL(KS_MMAP, d);
		e = host_ret(syscall(SYS_munmap, d, bytes));
		if (e)
			KFAIL(KS_MUNMAP, e);
		t0 = host_now_ns();
		a = syscall(SYS_mremap, p, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, d);
		t1 = host_now_ns();
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
	r->rss_kib = host_rss_kib(0) + (pid > 0 ? host_rss_kib(pid) : 0);
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

/*
 * The file's contents, the same on both sides: word i (8 bytes, little
 * endian) of the file is i, as file_create makes it with seed 0.  A reader
 * loads word 0 of every page and sums them.
 * => the sum a reader of pages pages must find (modulo 2^64)
 */
static uint64_t file_sum(uint64_t pages)
{
	uint64_t tri = pages % 2 ? pages * ((pages - 1) / 2) : (pages / 2) * (pages - 1);

	return tri * (PAGE_SIZE / 8);
}

static uint64_t read_pages(const char *p, uint64_t pages)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < pages; i++)
		sum += *(const volatile uint64_t *)(p + (i << PAGE_SHIFT));
	return sum;
}

/* wait until process pid sleeps (state S in /proc/PID/stat) => 0, or -1 after 5 s */
static int k_wait_sleeping(long pid)
{
	char path[64], buf[512];
	struct timespec ms = { 0, 1000000 };

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	for (int tries = 0; tries < 5000; tries++) {
		char *c;

		if (host_read_file(path, buf, sizeof(buf)) <= 0)
			return -1;
		/* "pid (comm) S ...": the state follows the last ')' */
		c = strrchr(buf, ')');
		if (c && c[1] == ' ' && c[2] == 'S')
			return 0;
		syscall(SYS_nanosleep, &ms, NULL);
	}
	return -1;
}

/* what a reading child reports */
struct kchild {
	uint64_t ns;               /* its loads */
	uint64_t minflt;           /* its minor faults during them */
	uint64_t sum;              /* the words it loaded, summed */
};

/*
 * A reading child of the file benchmark: load a word of every page, report
 * through rep, then park on gate until the parent closes it.  Never returns.
 */
_Noreturn static void k_file_child(const char *p, uint64_t pages, int gate[2], int rep[2])
{
	struct kchild c;
	uint64_t t0, t1, f0;
	char ch;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	syscall(SYS_close, gate[1]);
	syscall(SYS_close, rep[0]);
	f0 = k_minflt();
	t0 = host_now_ns();
	c.sum = read_pages(p, pages);
	t1 = host_now_ns();
	c.minflt = k_minflt() - f0;
	c.ns = t1 - t0;
	host_full_io(rep[1], &c, sizeof(c), true);
	syscall(SYS_close, rep[1]);
	while (syscall(SYS_read, gate[0], &ch, 1) < 0 && errno == EINTR)
		;
	syscall(SYS_exit_group, 0);
	for (;;)
		;
}

/* fill buf with the file's words [first, first + n) */
static void file_words(uint64_t *buf, uint64_t first, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		buf[i] = first + i;
}

/*
 * The file benchmark on Linux: a tmpfs file of bytes, read by this process
 * and then by procs forked children, then truncated while all of them map
 * it.  Everything it made is gone when it returns.
 */
static void k_file(uint64_t bytes, int procs, struct kres *res)
{
	enum { CHUNK = 1 << 20 };
	uint64_t pages = bytes >> PAGE_SHIFT, want = file_sum(pages), t0, t1, f0, off;
	struct frun *r = &res->frun;
	int gate[2] = { -1, -1 };
	long fd = -1, a, e, *pids = NULL;
	uint64_t *buf = NULL;
	char path[96], *p = NULL;
	int nkids = 0;

	memset(res, 0, sizeof(*res));
	snprintf(path, sizeof(path), "/dev/shm/revmap-bench-%ld", (long)syscall(SYS_getpid));
	fd = host_ret(syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			     0600));
	if (fd < 0)
		KFAIL(KS_OPEN, fd);
	/* unlinked at once: the file lives on through fd and the mappings */
	e = host_ret(syscall(SYS_unlinkat, AT_FDCWD, path, 0));
	if (e)
		KFAIL(KS_UNLINK, e);

	a = k_mmap(CHUNK, PROT_READ | PROT_WRITE);
	if (a < 0)
		KFAIL(KS_MMAP, a);
	buf = (uint64_t *)a;
	for (off = 0; off < bytes; off += CHUNK) {
		uint64_t n = bytes - off < CHUNK ? bytes - off : CHUNK;

		file_words(buf, off / 8, n / 8);
		errno = 0;
		if (host_full_io((int)fd, buf, n, true))
			KFAIL(KS_WRITE, errno ? -errno : -EIO);
	}
	/* gone before the forks, which would copy its PTEs */
	syscall(SYS_munmap, buf, (uint64_t)CHUNK);
	buf = NULL;

	a = host_ret(syscall(SYS_mmap, 0UL, bytes, PROT_READ, MAP_SHARED, fd, 0L));
	if (a < 0)
		KFAIL(KS_MMAP, a);
	p = (char *)a;
	r->addr = (uint64_t)a;

	/* read 1 */
	f0 = k_minflt();
	t0 = host_now_ns();
	e = read_pages(p, pages) != want;
	t1 = host_now_ns();
	r->minflt[FP_READ1] = k_minflt() - f0;
	r->ns[FP_READ1] = t1 - t0;
	if (e)
		KFAIL(KS_CONTENTS, -EIO);
	r->mapped1 = host_status_kib(syscall(SYS_getpid), "RssShmem") / (PAGE_SIZE / 1024);

	/* read N: one child at a time; each parks when it has reported */
	a = k_mmap(PAGE_ALIGN((uint64_t)procs * sizeof(long)), PROT_READ | PROT_WRITE);
	if (a < 0)
		KFAIL(KS_MMAP, a);
	pids = (long *)a;
	e = host_ret(syscall(SYS_pipe2, gate, O_CLOEXEC));
	if (e)
		KFAIL(KS_PIPE, e);
	for (nkids = 0; nkids < procs;) {
		struct kchild c;
		int rep[2];
		long pid;

		e = host_ret(syscall(SYS_pipe2, rep, O_CLOEXEC));
		if (e)
			KFAIL(KS_PIPE, e);
#ifdef SYS_fork
		pid = syscall(SYS_fork);
#else
		pid = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
#endif
		if (pid == 0)
			k_file_child(p, pages, gate, rep);
		e = pid < 0 ? -errno : 0;
		syscall(SYS_close, rep[1]);
		if (e) {
			syscall(SYS_close, rep[0]);
			KFAIL(KS_FORK, e);
		}
		pids[nkids++] = pid;
		e = host_full_io(rep[0], &c, sizeof(c), false);
		syscall(SYS_close, rep[0]);
		if (e)
			KFAIL(KS_CHILD, -ECHILD);
		if (c.sum != want)
			KFAIL(KS_CONTENTS, -EIO);
		r->ns[FP_READN] += c.ns;
		r->minflt[FP_READN] += c.minflt;
	}

	/* every child asleep on the gate, holding its mapping: count what the
	 * truncate is about to unmap */
	r->mapped = r->mapped1;
	r->pgtable_kib = host_status_kib(syscall(SYS_getpid), "VmPTE");
	r->anon_kib = host_status_kib(syscall(SYS_getpid), "RssAnon");
	for (int i = 0; i < nkids; i++) {
		if (k_wait_sleeping(pids[i]))
			KFAIL(KS_SLEEP, -ETIMEDOUT);
		r->mapped += host_status_kib(pids[i], "RssShmem") / (PAGE_SIZE / 1024);
		r->pgtable_kib += host_status_kib(pids[i], "VmPTE");
		r->anon_kib += host_status_kib(pids[i], "RssAnon");
	}

	/* truncate */
	f0 = k_minflt();
	t0 = host_now_ns();
	e = host_ret(syscall(SYS_ftruncate, fd, 0L));
	t1 = host_now_ns();
	r->minflt[FP_TRUNC] = k_minflt() - f0;
	r->ns[FP_TRUNC] = t1 - t0;
	if (e)
		KFAIL(KS_FTRUNCATE, e);
	r->mapped_after = host_status_kib(syscall(SYS_getpid), "RssShmem") / (PAGE_SIZE / 1024);
	for (int i = 0; i < nkids; i++)
		r->mapped_after += host_status_kib(pids[i], "RssShmem") / (PAGE_SIZE / 1024);
out:
	if (gate[1] >= 0)
		syscall(SYS_close, gate[1]);
	if (gate[0] >= 0)
		syscall(SYS_close, gate[0]);
	for (int i = 0; i < nkids; i++) {
		do
			e = host_ret(syscall(SYS_wait4, pids[i], NULL, 0, NULL));
		while (e == -EINTR);
		if (e < 0 && !res->err) {
			res->step = KS_WAIT;
			res->err = (int)-e;
		}
	}
	if (pids)
		syscall(SYS_munmap, pids, PAGE_ALIGN((uint64_t)procs * sizeof(long)));
	if (p)
		syscall(SYS_munmap, p, bytes);
	if (buf)
		syscall(SYS_munmap, buf, (uint64_t)CHUNK);
	if (fd >= 0)
		syscall(SYS_close, fd);
}

/* The helper's life: serve commands until the parent closes the pipe. */
_Noreturn static void k_helper(int cmd_r, int res_w)
{
	struct kcmd c;
	struct kres r;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	host_thp_off();
	while (!host_full_io(cmd_r, &c, sizeof(c), false)) {
		if (c.op == OP_FILE)
			k_file(c.bytes, c.procs, &r);
		else
			k_run(c.op, c.bytes, &r);
		if (host_full_io(res_w, &r, sizeof(r), true))
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
static int helper_cmd(struct helper *h, int op, uint64_t bytes, int procs, struct kres *r)
{
	struct kcmd c = { .op = op, .procs = procs, .bytes = bytes };

	if (host_full_io(h->cmd_w, &c, sizeof(c), true) ||
	    host_full_io(h->res_r, r, sizeof(*r), false)) {
		fprintf(stderr, "revmap: bench core: the Linux helper process died\n");
		return -1;
	}
	if (r->err) {
		fprintf(stderr, "revmap: bench core: Linux %s: %s failed: %s\n",
			op_key(op), kstep_name[r->step], strerror(r->err));
		return -1;
	}
	return 0;
}

static int helper_run(struct helper *h, int op, uint64_t bytes, struct run *out)
{
	struct kres r;

	if (helper_cmd(h, op, bytes, 0, &r))
		return -1;
	*out = r.run;
	return 0;
}

static int helper_file(struct helper *h, uint64_t bytes, int procs, struct frun *out)
{
	struct kres r;

	if (helper_cmd(h, OP_FILE, bytes, procs, &r))
		return -1;
	*out = r.frun;
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
	mt->rmap_bytes = rmap_metadata_bytes(m);
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
		t0 = host_now_ns();
		e = mm_fork(mm, &child);
		t1 = host_now_ns();
		if (e) {
			child = NULL;
			fprintf(stderr, "revmap: bench core: revmap fork: %s\n", strerror(-e));
			goto out;
		}
		break;
	case OP_FAULT:
		t0 = host_now_ns();
		e = rv_touch(m, mm, a, pages, 1, key);
		t1 = host_now_ns();
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
		t0 = host_now_ns();
		e = rv_touch(m, mm, a, pages, 2, key);
		t1 = host_now_ns();
		if (e)
			goto out;
		break;
	case OP_MUNMAP:
		t0 = host_now_ns();
		e = vm_munmap(mm, a, bytes);
		t1 = host_now_ns();
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
		t0 = host_now_ns();
		a = vm_mremap(mm, a, bytes, bytes, MREMAP_MAYMOVE_ | MREMAP_FIXED_, d);
		t1 = host_now_ns();
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

/* load word 0 of every page of [addr, addr + pages pages) => 0 or -1 */
static int rv_read(struct vm_machine *m, struct vm_mm *mm, uint64_t addr, uint64_t pages,
		   uint64_t *sum)
{
	uint64_t v, acc = 0;

	for (uint64_t i = 0; i < pages; i++) {
		uint64_t a = addr + (i << PAGE_SHIFT);
		int f = mmu_load(m, mm, a, &v);

		if (f != VM_FAULT_OK) {
			fprintf(stderr, "revmap: bench core: revmap file: load at 0x%llx: %s\n",
				(unsigned long long)a,
				f == VM_FAULT_OOM ? "out of simulated memory" :
				f == VM_FAULT_BUS ? "SIGBUS" : "SIGSEGV");
			return -1;
		}
		acc += v;
	}
	*sum = acc;
	return 0;
}

/*
 * One run of the file benchmark on the simulation, as k_file does it on
 * Linux.  Everything it makes is gone when it returns.  meta, if not NULL,
 * receives the metadata just before the truncate.
 * => 0, or -1 with a message on stderr
 */
static int rv_file_run(struct rv_sim *s, uint64_t bytes, int procs, struct frun *r,
		       struct meta *meta)
{
	struct vm_machine *m = &s->m;
	uint64_t pages = bytes >> PAGE_SHIFT, want = file_sum(pages), sum, t0, t1, f0, a;
	struct vm_mm *mm = NULL, **kids;
	struct vm_file *f;
	struct vm_stats before;
	int err = -1, e, nkids = 0;

	memset(r, 0, sizeof(*r));
	kids = calloc((size_t)procs, sizeof(*kids));
	if (!kids) {
		fprintf(stderr, "revmap: bench core: revmap file: out of host memory\n");
		return -1;
	}
	/* all in the page cache, word i = i (seed 0), as after write(2) */
	f = file_create(m, "bench-file", bytes, 0, &e);
	if (!f) {
		fprintf(stderr, "revmap: bench core: revmap file: file_create: %s\n", strerror(-e));
		free(kids);
		return -1;
	}
	mm = mm_create(m);
	if (!mm) {
		fprintf(stderr, "revmap: bench core: revmap file: mm_create failed\n");
		goto out;
	}
	a = vm_mmap(mm, 0, bytes, PROT_READ_, MAP_SHARED_, f, 0);
	if (IS_ERR_ADDR(a)) {
		fprintf(stderr, "revmap: bench core: revmap file: mmap: %s\n", rv_err(a));
		goto out;
	}
	r->addr = a;

	/* read 1 */
	before = m->stats;
	f0 = k_minflt();
	t0 = host_now_ns();
	e = rv_read(m, mm, a, pages, &sum);
	t1 = host_now_ns();
	r->minflt[FP_READ1] = k_minflt() - f0;
	r->ns[FP_READ1] = t1 - t0;
	stats_sub(&r->work[FP_READ1], &m->stats, &before);
	r->mapped1 = mm->nr_ptes;
	if (e)
		goto out;
	if (sum != want) {
		fprintf(stderr, "revmap: bench core: revmap file: read back wrong contents\n");
		goto out;
	}

	/* read N: fork them all (not timed), then each reads in turn */
	before = m->stats;
	for (nkids = 0; nkids < procs; nkids++) {
		e = mm_fork(mm, &kids[nkids]);
		if (e) {
			fprintf(stderr, "revmap: bench core: revmap file: fork: %s\n", strerror(-e));
			goto out;
		}
	}
	stats_sub(&r->fork_work, &m->stats, &before);
	before = m->stats;
	for (int i = 0; i < nkids; i++) {
		f0 = k_minflt();
		t0 = host_now_ns();
		e = rv_read(m, kids[i], a, pages, &sum);
		t1 = host_now_ns();
		r->minflt[FP_READN] += k_minflt() - f0;
		r->ns[FP_READN] += t1 - t0;
		if (e)
			goto out;
		if (sum != want) {
			fprintf(stderr, "revmap: bench core: revmap file: a child read back wrong "
				"contents\n");
			goto out;
		}
	}
	stats_sub(&r->work[FP_READN], &m->stats, &before);
	r->mapped = mm->nr_ptes;
	r->pgtable_kib = mm->nr_pgtables * (PAGE_SIZE / 1024);
	for (int i = 0; i < nkids; i++) {
		r->mapped += kids[i]->nr_ptes;
		r->pgtable_kib += kids[i]->nr_pgtables * (PAGE_SIZE / 1024);
	}
	if (meta)
		meta_take(m, meta);

	/* truncate */
	before = m->stats;
	f0 = k_minflt();
	t0 = host_now_ns();
	e = file_truncate(f, 0);
	t1 = host_now_ns();
	r->minflt[FP_TRUNC] = k_minflt() - f0;
	r->ns[FP_TRUNC] = t1 - t0;
	stats_sub(&r->work[FP_TRUNC], &m->stats, &before);
	if (e) {
		fprintf(stderr, "revmap: bench core: revmap file: truncate: %s\n", strerror(-e));
		goto out;
	}
	r->mapped_after = mm->nr_ptes;
	for (int i = 0; i < nkids; i++)
		r->mapped_after += kids[i]->nr_ptes;
	err = 0;
out:
	for (int i = 0; i < nkids; i++)
		mm_destroy(kids[i]);
	if (mm)
		mm_destroy(mm);
	file_put(f);
	free(kids);
	return err;
}

/* ------------------------------------------------------------------ */
/* Driving, reporting                                                   */

static double median(const double *x)
{
	double v[REPS];

	for (int i = 0; i < REPS; i++) {
		int j = i;

		for (; j > 0 && v[j - 1] > x[i]; j--)
			v[j] = v[j - 1];
		v[j] = x[i];
	}
	return REPS % 2 ? v[REPS / 2] : (v[REPS / 2 - 1] + v[REPS / 2]) / 2;
}

static double median_per_page(const struct run *runs, uint64_t pages)
{
	double x[REPS];

	for (int i = 0; i < REPS; i++)
		x[i] = (double)runs[i].ns / (double)pages;
	return median(x);
}

/* what a file-benchmark figure is divided by: pages, pages x readers, PTEs */
static uint64_t fp_units(const struct bench *b, int ph)
{
	switch (ph) {
	case FP_READ1: return b->pages;
	case FP_READN: return (uint64_t)b->procs * b->pages;
	default:       return (uint64_t)(b->procs + 1) * b->pages;
	}
}

static double median_file(const struct bench *b, const struct frun *runs, int ph)
{
	double x[REPS];

	for (int i = 0; i < REPS; i++)
		x[i] = (double)runs[i].ns[ph] / (double)fp_units(b, ph);
	return median(x);
}

static void fp_label(const struct bench *b, int ph, char *buf, size_t len)
{
	if (ph == FP_READN)
		snprintf(buf, len, "read fault, %d forked", b->procs);
	else if (ph == FP_TRUNC)
		snprintf(buf, len, "truncate unmap, %d maps", b->procs + 1);
	else
		snprintf(buf, len, "%s", fp_desc[ph].label);
}

/*
 * The read faults a process takes loading one word per page, in order, of
 * a mapping of pages pages at addr whose file is wholly cached: each fault
 * maps do_fault_around's window (FAULT_AROUND_PAGES, aligned, clipped to
 * the VMA and the page table), so the next fault is past it.  Linux's
 * arithmetic; revmap's must match it exactly.
 */
static uint64_t fault_around_faults(uint64_t addr, uint64_t pages)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < pages; n++) {
		uint64_t pte_off = ((addr >> PAGE_SHIFT) + i) & (PTRS_PER_TABLE - 1);
		uint64_t from = pte_off & ~(uint64_t)(FAULT_AROUND_PAGES - 1);
		uint64_t lo = pte_off - (pte_off < i ? pte_off : i), to;

		if (lo > from)
			from = lo;
		to = from + FAULT_AROUND_PAGES;
		if (to > PTRS_PER_TABLE)
			to = PTRS_PER_TABLE;
		if (to > pte_off + pages - i)
			to = pte_off + pages - i;
		i += to - pte_off;
	}
	return n;
}

/* is this revmap run's work what the phase must do, page for page? */
static bool file_work_exact(const struct bench *b, int ph, const struct frun *r)
{
	uint64_t fa = fault_around_faults(r->addr, b->pages), maps = (uint64_t)b->procs + 1;
	const struct vm_stats *w = &r->work[ph];

	switch (ph) {
	case FP_READ1:
		return w->faults == fa && r->mapped1 == b->pages;
	case FP_READN:
		return w->faults == (uint64_t)b->procs * fa && r->fork_work.ptes_copied == 0 &&
		       r->mapped == maps * b->pages;
	default:
		return w->ptes_zapped == maps * b->pages && w->rmap_vmas_visited == maps &&
		       w->frames_freed == b->pages && r->mapped_after == 0;
	}
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

	fprintf(out, "\nfile: %.0f MiB wholly cached (Linux: tmpfs in /dev/shm), mapped MAP_SHARED "
		"PROT_READ, one word loaded per page,\nfault-around 64 KiB; by 1 process, then by "
		"each of %d forked children in turn, then truncated to 0 under all %d (no targets)\n",
		b->bytes / mib, b->procs, b->procs + 1);
	fprintf(out, "%-26s %11s %10s %13s  %s\n", "operation", "revmap ns", "Linux ns",
		"revmap/Linux", "ns per");
	for (int ph = 0; ph < NR_FP; ph++) {
		char l[48];

		fp_label(b, ph, l, sizeof(l));
		fprintf(out, "%-26s %11.2f %10.2f %13.2f  %s\n", l, b->frv_med[ph], b->flx_med[ph],
			b->flx_med[ph] > 0 ? b->frv_med[ph] / b->flx_med[ph] : 0.0, fp_desc[ph].unit);
	}

	fprintf(out, "\nruns, ns/page (revmap | Linux; file rows: ns per the unit above):\n");
	for (int op = 0; op < NR_OPS; op++) {
		fprintf(out, "  %-18s", ops_desc[op].label);
		for (int i = 0; i < REPS; i++)
			fprintf(out, " %8.2f", per(b->rv[op][i].ns, b->pages));
		fprintf(out, "  |");
		for (int i = 0; i < REPS; i++)
			fprintf(out, " %8.2f", per(b->lx[op][i].ns, b->pages));
		fprintf(out, "\n");
	}
	for (int ph = 0; ph < NR_FP; ph++) {
		fprintf(out, "  %-18s", fp_desc[ph].brief);
		for (int i = 0; i < REPS; i++)
			fprintf(out, " %8.2f", per(b->frv[i].ns[ph], fp_units(b, ph)));
		fprintf(out, "  |");
		for (int i = 0; i < REPS; i++)
			fprintf(out, " %8.2f", per(b->flx[i].ns[ph], fp_units(b, ph)));
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
	fprintf(out, "  %-18s revmap 0x%012llx%s   Linux 0x%012llx%s\n", "file mapping",
		(unsigned long long)b->frv[REPS - 1].addr, b->frv[REPS - 1].addr % PMD_SIZE ? "   " : " 2M",
		(unsigned long long)b->flx[REPS - 1].addr, b->flx[REPS - 1].addr % PMD_SIZE ? "" : " 2M");

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

	fprintf(out, "\nfile work (revmap: exact counters of one run; expect: the read faults "
		"64 KiB fault-around must take at that\nside's address; mapped: PTEs mapping the "
		"file after the phase, every process (Linux: RssShmem / 4 KiB);\n"
		"read forked: the %d children summed, Linux's minor faults include a few on "
		"each child's stack)\n", b->procs);
	fprintf(out, "  %-26s %9s %9s %10s %9s %10s %9s %9s %9s %9s %10s %10s\n", "phase",
		"faults", "expect", "mapped", "ptes_copy", "ptes_zap", "rmap_vmas", "frm_freed",
		"lx_minflt", "lx_expect", "lx_mapped", "rv_hostflt");
	for (int ph = 0; ph < NR_FP; ph++) {
		const struct frun *r = &b->frv[REPS - 1], *l = &b->flx[REPS - 1];
		const struct vm_stats *w = &r->work[ph];
		uint64_t fa = fault_around_faults(r->addr, b->pages), hf = 0;
		uint64_t la = fault_around_faults(l->addr, b->pages);
		uint64_t exp = ph == FP_READ1 ? fa : ph == FP_READN ? (uint64_t)b->procs * fa : 0;
		uint64_t lexp = ph == FP_READ1 ? la : ph == FP_READN ? (uint64_t)b->procs * la : 0;
		uint64_t rm = ph == FP_READ1 ? r->mapped1 : ph == FP_READN ? r->mapped : r->mapped_after;
		uint64_t lm = ph == FP_READ1 ? l->mapped1 : ph == FP_READN ? l->mapped : l->mapped_after;
		char lab[48];

		for (int i = 0; i < REPS; i++)
			hf += b->frv[i].minflt[ph];
		fp_label(b, ph, lab, sizeof(lab));
		fprintf(out, "  %-26s %9llu %9llu %10llu %9llu %10llu %9llu %9llu %9llu %9llu %10llu %10llu%s\n",
			lab, (unsigned long long)w->faults, (unsigned long long)exp,
			(unsigned long long)rm,
			(unsigned long long)(ph == FP_READN ? r->fork_work.ptes_copied : w->ptes_copied),
			(unsigned long long)w->ptes_zapped, (unsigned long long)w->rmap_vmas_visited,
			(unsigned long long)w->frames_freed, (unsigned long long)l->minflt[ph],
			(unsigned long long)lexp, (unsigned long long)lm, (unsigned long long)hf,
			file_work_exact(b, ph, r) ? "" : "  (unexpected work)");
	}
	fprintf(out, "  (ptes_copy of read forked: the %d mm_fork calls before it, not timed)\n",
		b->procs);

	fprintf(out, "\nrevmap metadata, bytes per mapped page (mapped = present PTEs; "
		"struct vm_frame = %zu bytes)\n", sizeof(struct vm_frame));
	fprintf(out, "  %-34s %9s %10s %11s %9s %9s %9s\n", "state", "mapped", "frame desc",
		"page tables", "VMAs", "rmap", "total");
	print_meta_row(out, "after first touch (1 process)", &b->meta_one);
	print_meta_row(out, "after fork + COW (2 processes)", &b->meta_two);
	{
		char l[48];

		snprintf(l, sizeof(l), "file read by %d processes", b->meta_file.mms);
		print_meta_row(out, l, &b->meta_file);
	}
	fprintf(out, "  (frame desc: allocated frames, page tables included, x %zu bytes; "
		"the frame table itself covers all %llu frames of the machine)\n",
		sizeof(struct vm_frame), (unsigned long long)(b->mem >> PAGE_SHIFT));

	{
		const struct frun *r = &b->frv[REPS - 1], *l = &b->flx[REPS - 1];
		uint64_t lx_peak = b->rss_linux_pair > b->lx_file_kib ? b->rss_linux_pair :
				   b->lx_file_kib;

		fprintf(out, "\nfile run, page tables of the %d processes: revmap %.1f MiB, "
			"Linux %.1f MiB (VmPTE); the file itself %.0f MiB on each side\n",
			b->procs + 1, r->pgtable_kib / 1024.0, l->pgtable_kib / 1024.0,
			b->bytes / mib);
		fprintf(out, "peak host memory: revmap process %.0f MiB (ru_maxrss; it holds the "
			"populated machine memory throughout);\n"
			"  Linux side: largest process %.0f MiB (ru_maxrss, shared file pages "
			"included), helper + forked child\n"
			"  together %.0f MiB at most (statm, after the COW writes), file run %.0f MiB "
			"(tmpfs file + VmPTE + RssAnon\n"
			"  of its %d processes); so the run needs about %.0f MiB of free host memory\n",
			b->rss_self_kib / 1024.0, b->rss_linux_kib / 1024.0,
			b->rss_linux_pair / 1024.0, b->lx_file_kib / 1024.0, b->procs + 1,
			(b->rss_self_kib + lx_peak) / 1024.0);
	}
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
	json_write_str(f, b->scheme);
	fprintf(f, ",\n  \"linux_kernel\": ");
	json_write_str(f, b->kernel);
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
	fprintf(f, "  ],\n  \"file\": {\"bytes\": %llu, \"pages\": %llu, \"forked_readers\": %d, "
		"\"mappings_truncated\": %d, \"fault_around_pages\": %d,\n"
		"   \"linux_file\": \"tmpfs (/dev/shm), written with write(2)\", "
		"\"prot\": \"PROT_READ\", \"flags\": \"MAP_SHARED\",\n"
		"   \"linux_children\": \"one after another, each timing its own loads\",\n"
		"   \"revmap_addr\": \"0x%llx\", \"linux_addr\": \"0x%llx\",\n"
		"   \"pgtable_kib\": {\"revmap\": %llu, \"linux_vmpte\": %llu}, "
		"\"linux_anon_kib\": %llu,\n   \"phases\": [\n",
		(unsigned long long)b->bytes, (unsigned long long)b->pages, b->procs, b->procs + 1,
		FAULT_AROUND_PAGES, (unsigned long long)b->frv[REPS - 1].addr,
		(unsigned long long)b->flx[REPS - 1].addr,
		(unsigned long long)b->frv[REPS - 1].pgtable_kib,
		(unsigned long long)b->flx[REPS - 1].pgtable_kib,
		(unsigned long long)b->flx[REPS - 1].anon_kib);
	for (int ph = 0; ph < NR_FP; ph++) {
		const struct frun *r = &b->frv[REPS - 1], *l = &b->flx[REPS - 1];
		const struct vm_stats *w = &r->work[ph];
		uint64_t fa = fault_around_faults(r->addr, b->pages);
		uint64_t rm = ph == FP_READ1 ? r->mapped1 : ph == FP_READN ? r->mapped : r->mapped_after;
		uint64_t lm = ph == FP_READ1 ? l->mapped1 : ph == FP_READN ? l->mapped : l->mapped_after;

		fprintf(f, "    {\"name\": \"%s\", \"unit\": \"ns per %s, median\", \"units\": %llu, "
			"\"revmap_ns\": %.3f, \"linux_ns\": %.3f, \"ratio\": %.4f,\n"
			"     \"revmap_runs_ns\": [", fp_desc[ph].key, fp_desc[ph].unit,
			(unsigned long long)fp_units(b, ph), b->frv_med[ph], b->flx_med[ph],
			b->flx_med[ph] > 0 ? b->frv_med[ph] / b->flx_med[ph] : 0.0);
		for (int i = 0; i < REPS; i++)
			fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)b->frv[i].ns[ph]);
		fprintf(f, "], \"linux_runs_ns\": [");
		for (int i = 0; i < REPS; i++)
			fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)b->flx[i].ns[ph]);
		fprintf(f, "], \"revmap_host_minflt_runs\": [");
		for (int i = 0; i < REPS; i++)
			fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)b->frv[i].minflt[ph]);
		fprintf(f, "],\n     \"revmap_work\": {\"faults\": %llu, \"expected_faults\": %llu, "
			"\"mapped_after\": %llu, \"ptes_copied\": %llu, \"ptes_zapped\": %llu, "
			"\"rmap_vmas_visited\": %llu, \"rmap_ptes_visited\": %llu, "
			"\"frames_freed\": %llu, \"exact\": %s},\n"
			"     \"linux_minflt\": %llu, \"linux_expected_faults\": %llu, "
			"\"linux_mapped_after\": %llu}%s\n",
			(unsigned long long)w->faults,
			(unsigned long long)(ph == FP_READ1 ? fa : ph == FP_READN ?
					     (uint64_t)b->procs * fa : 0),
			(unsigned long long)rm,
			(unsigned long long)(ph == FP_READN ? r->fork_work.ptes_copied : w->ptes_copied),
			(unsigned long long)w->ptes_zapped, (unsigned long long)w->rmap_vmas_visited,
			(unsigned long long)w->rmap_ptes_visited, (unsigned long long)w->frames_freed,
			file_work_exact(b, ph, r) ? "true" : "false",
			(unsigned long long)l->minflt[ph],
			(unsigned long long)(ph == FP_READ1 ? fault_around_faults(l->addr, b->pages) :
					     ph == FP_READN ? (uint64_t)b->procs *
					     fault_around_faults(l->addr, b->pages) : 0),
			(unsigned long long)lm, ph + 1 < NR_FP ? "," : "");
	}
	fprintf(f, "  ]},\n  \"metadata\": {\n    \"frame_desc_bytes\": %zu,\n",
		sizeof(struct vm_frame));
	json_meta(f, "after_first_touch", &b->meta_one, false);
	json_meta(f, "after_fork_cow", &b->meta_two, false);
	json_meta(f, "file_read_by_all", &b->meta_file, true);
	fprintf(f, "  },\n  \"peak_rss_kib\": {\"revmap\": %ld, \"linux_max_process\": %ld, "
		"\"linux_helper_and_child\": %llu, \"linux_file_run\": %llu},\n",
		b->rss_self_kib, b->rss_linux_kib, (unsigned long long)b->rss_linux_pair,
		(unsigned long long)b->lx_file_kib);
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

/* page-table frames one address space needs to map bytes at any address:
 * PTE tables (one more if unaligned), PMD and PUD tables, the PGD */
static uint64_t pgtable_frames(uint64_t bytes)
{
	uint64_t pages = bytes >> PAGE_SHIFT;

	return (pages + PTRS_PER_TABLE - 1) / PTRS_PER_TABLE + 1 +
	       (bytes >> 30) + 2 + 2 + 1;
}

/* the benchmark, with procs forked readers in the file benchmark */
static int run_core(const struct rv_options *opt, uint64_t bytes, int procs,
		    const char *json_path, FILE *out)
{
	struct rv_options o = *opt;
	struct helper h = { .pid = -1 };
	struct bench *b;
	struct rv_sim *s = NULL;
	struct rusage ru;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	cpu_set_t old_cpus;
	uint64_t need, need_cow, need_file;
	char err[256];
	int status = 1, e;

	bytes = PAGE_ALIGN(bytes);
	/*
	 * The machine holds one operation at a time: the COW run two copies of
	 * the region; the file run the file and the page tables of 1 + procs
	 * address spaces mapping all of it.  64 MiB covers the rest.
	 */
	need_cow = 2 * bytes;
	need_file = bytes + (uint64_t)(procs + 1) * pgtable_frames(bytes) * PAGE_SIZE;
	need = (need_cow > need_file ? need_cow : need_file) + (64ULL << 20);
	if (!o.mem_bytes)
		o.mem_bytes = need;
	if (o.mem_bytes < need) {
		fprintf(stderr, "revmap: bench core: --mem %llu (%llu MiB) is too small for "
			"--bytes %llu (%llu MiB) and %d file readers: the COW run holds two copies "
			"of the region (%llu MiB), the file run the file and the page tables of "
			"%d address spaces (%llu MiB), so the machine needs at least the larger + "
			"64 MiB = %llu bytes (%llu MiB); leave --mem out to get that\n",
			(unsigned long long)o.mem_bytes, (unsigned long long)(o.mem_bytes >> 20),
			(unsigned long long)bytes, (unsigned long long)(bytes >> 20), procs,
			(unsigned long long)(need_cow >> 20), procs + 1,
			(unsigned long long)(need_file >> 20),
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
	b->procs = procs;
	b->mem = o.mem_bytes;
	host_kernel_release(b->kernel, sizeof(b->kernel));

	b->load[0] = loadavg();
	sigaction(SIGPIPE, &ign, &old_pipe);
	b->cpu = host_pin_cpu(HOST_CPU_CURRENT, &old_cpus, sizeof(old_cpus));
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
	 * For the same reason every frame descriptor is written now rather than
	 * as the allocator first needs it (deferred init, mm/frame.c).
	 */
#ifdef MADV_POPULATE_WRITE
	madvise(s->m.mem, s->m.nr_frames << PAGE_SHIFT, MADV_POPULATE_WRITE);
#endif
	frames_init_deferred(&s->m);

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
		{
			struct frun lf, rf;
			uint64_t kib;

			if (helper_file(&h, bytes, procs, &lf) ||
			    rv_file_run(s, bytes, procs, &rf, i == REPS - 1 ? &b->meta_file : NULL))
				goto out;
			kib = bytes / 1024 + lf.pgtable_kib + lf.anon_kib;
			if (kib > b->lx_file_kib)
				b->lx_file_kib = kib;
			if (i >= 0) {
				b->flx[i] = lf;
				b->frv[i] = rf;
			}
		}
	}
	for (int op = 0; op < NR_OPS; op++) {
		b->lx_med[op] = median_per_page(b->lx[op], b->pages);
		b->rv_med[op] = median_per_page(b->rv[op], b->pages);
	}
	for (int ph = 0; ph < NR_FP; ph++) {
		b->flx_med[ph] = median_file(b, b->flx, ph);
		b->frv_med[ph] = median_file(b, b->frv, ph);
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

int bench_core_linux(uint64_t bytes, double ns[3], char *why, size_t whylen)
{
	static const int ops[3] = { OP_FORK, OP_FAULT, OP_MUNMAP };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	struct helper h = { .pid = -1 };
	struct run runs[3][REPS];
	cpu_set_t old_cpus;
	int cpu, e, status = -1;

	bytes = PAGE_ALIGN(bytes);
	sigaction(SIGPIPE, &ign, &old_pipe);
	cpu = host_pin_cpu(HOST_CPU_CURRENT, &old_cpus, sizeof(old_cpus));
	e = helper_start(&h);
	if (e) {
		snprintf(why, whylen, "cannot start the Linux helper: %s", strerror(-e));
		goto out;
	}
	for (int rep = 0; rep < WARMUP + REPS; rep++)
		for (int k = 0; k < 3; k++) {
			struct run r;

			if (helper_run(&h, ops[k], bytes, &r)) {
				snprintf(why, whylen, "Linux %s failed", op_key(ops[k]));
				goto out;
			}
			if (rep >= WARMUP)
				runs[k][rep - WARMUP] = r;
		}
	for (int k = 0; k < 3; k++)
		ns[k] = median_per_page(runs[k], bytes >> PAGE_SHIFT);
	status = 0;
out:
	if (h.pid > 0)
		helper_stop(&h);
	if (cpu >= 0)
		sched_setaffinity(0, sizeof(old_cpus), &old_cpus);
	sigaction(SIGPIPE, &old_pipe, NULL);
	return status;
}

int bench_core(const struct rv_options *opt, uint64_t bytes, int procs,
	       const char *json_path, FILE *out)
{
	if (!procs)
		procs = DEFAULT_PROCS;
	if (procs < 1 || procs > MAX_PROCS) {
		fprintf(stderr, "revmap: bench core: --procs must be 1 to %d\n", MAX_PROCS);
		return 2;
	}
	return run_core(opt, bytes, procs, json_path, out);
}
