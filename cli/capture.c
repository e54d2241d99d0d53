/*
 * cli/capture.c - revmap capture: a real program and all its children, as
 * the kernel saw them, recorded into a trace.
 *
 * The recording is perf's: tracepoints in one time-ordered stream
 * (capture_events below) plus perf's MMAP2 records, which it writes for
 * every mapping made (with -d, data mappings too), including those execve
 * makes without a system call: the ELF loader's segments, the stack, the
 * vDSO.  `perf script` prints the stream as text; capture_convert() reads
 * that text, line by line, and writes the trace:
 *
 *  - processes: a thread group is a trace process; threads fold into it
 *    (CLONE_THREAD).  A child made with CLONE_VM but not CLONE_THREAD (vfork,
 *    posix_spawn) shares its parent's address space, so its faults and
 *    calls are its parent's, until it execs: then it is a new process
 *    (`spawn`, an empty address space).  fork is `fork`; an exec that
 *    succeeds is `exec`; the last thread of the last group using an address
 *    space to exit makes `exit`.  Trace pids are numbered from 1 in order of
 *    appearance; a comment gives the real pid and the program.
 *  - execve: the MMAP2 records it makes (after the point of no return) are
 *    held until sched_process_exec says it succeeded, then written, after
 *    `exec`, as `fixed` mappings; a failed execve changes nothing (its
 *    records are dropped, the faults it took reading its arguments are the
 *    old image's).  A thread other than the leader that execs takes the
 *    leader's id (de_thread) before the image is mapped: the thread with
 *    that id takes the execve over (exec_adopt).
 *  - mmap and mremap: where the kernel placed a mapping (ASLR, a hint, no
 *    address) is written as `fixed` at that address, so replay does not
 *    depend on placement; the result is written `= result`.  A failed mmap
 *    or mremap changes nothing and is kept as a comment.  munmap,
 *    mprotect, madvise, mlock, munlock and brk are written with their
 *    results, failed or not (a failed mprotect or madvise may have changed
 *    part of its range).
 *  - faults: exceptions:page_fault_user, and page_fault_kernel at a user
 *    address (copy_to_user and friends), become `r` or `w` of the aligned
 *    word at the address (bit 1 of the error code: write).  A fault where
 *    the converter knows of no mapping (the vsyscall page, a mapping made by
 *    a call it does not follow) is dropped and counted; a fault below the
 *    stack grows the stack, as the kernel's expand_stack does.
 *  - files: each file mapped (by device and inode) is a `hostfile` line
 *    naming its path, or with portable a `file` line of its size, so that
 *    the trace replays on any machine.  Deleted files (memfd, unlinked
 *    temporaries) and device files are always `file` lines; /dev/zero is
 *    anonymous memory, as the kernel makes it.  The vDSO and vvar pages
 *    are private anonymous mappings of their size and protection.
 *
 * What the converter cannot see: accesses that take no fault (a page
 * already present: reclaim's aging on replay does not see them), accesses
 * the kernel makes without a fault (get_user_pages: futexes, O_DIRECT,
 * execve's copy of the arguments onto the new stack, ptrace), calls it does
 * not follow (shmat, mlockall, remap_file_pages, userfaultfd), and the
 * contents of memory.
 *
 * Where perf cannot record, strace can (capture_strace_calls): the same
 * system calls with their results and the clones and execs, but no fault
 * and none of what execve maps, so a call on memory the converter has not
 * seen mapped is left out as a comment (strace_line and strace_call; the
 * address-space model and the writing are shared).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "capture.h"
#include "revmap.h"
#include "../sim/trace.h"

const char capture_events[] =
	"syscalls:sys_enter_mmap,syscalls:sys_exit_mmap,"
	"syscalls:sys_enter_munmap,syscalls:sys_exit_munmap,"
	"syscalls:sys_enter_mremap,syscalls:sys_exit_mremap,"
	"syscalls:sys_enter_mprotect,syscalls:sys_exit_mprotect,"
	"syscalls:sys_enter_pkey_mprotect,syscalls:sys_exit_pkey_mprotect,"
	"syscalls:sys_enter_brk,syscalls:sys_exit_brk,"
	"syscalls:sys_enter_madvise,syscalls:sys_exit_madvise,"
	"syscalls:sys_enter_mlock,syscalls:sys_exit_mlock,"
	"syscalls:sys_enter_mlock2,syscalls:sys_exit_mlock2,"
	"syscalls:sys_enter_munlock,syscalls:sys_exit_munlock,"
	"syscalls:sys_enter_execve,syscalls:sys_exit_execve,"
	"syscalls:sys_enter_execveat,syscalls:sys_exit_execveat,"
	"syscalls:sys_enter_exit_group,"
	"sched:sched_process_fork,sched:sched_process_exec,sched:sched_process_exit,"
	"task:task_newtask,"
	"exceptions:page_fault_user,exceptions:page_fault_kernel";

const char capture_strace_calls[] =
	"mmap,munmap,mremap,mprotect,pkey_mprotect,brk,madvise,mlock,mlock2,munlock,"
	"execve,execveat,clone,clone3,fork,vfork,exit_group";

#define PAGE ((uint64_t)4096)
#define PAGE_DOWN(a) ((a) & ~(PAGE - 1))
#define PAGE_UP(a) (((a) + PAGE - 1) & ~(PAGE - 1))
#define USER_TOP 0x800000000000ULL   /* x86-64's 47-bit user half */
#define STACK_REACH (1ULL << 30)     /* how far below the stack a fault grows it */

/* Linux's x86-64 numbers, as the tracepoints print them */
#define L_PROT_READ 0x1
#define L_PROT_WRITE 0x2
#define L_PROT_EXEC 0x4
#define L_MAP_PRIVATE 0x02
#define L_MAP_ANON 0x20
#define L_MAP_LOCKED 0x2000
#define L_MAP_NORESERVE 0x4000
#define L_MAP_POPULATE 0x8000
#define L_MAP_NONBLOCK 0x10000
#define L_MAP_HUGETLB 0x40000
#define L_MREMAP_DONTUNMAP 4
#define L_CLONE_VM 0x100
#define L_CLONE_THREAD 0x10000

/* ---------------------------------------------------------------- tables */

/* An int-keyed open hash (linear probing, tombstones), owning nothing. */
struct imap {
	int *keys;      /* 0: empty, -1: deleted */
	void **vals;
	size_t cap, used;
};

static size_t imap_slot(const struct imap *m, int key)
{
	return ((uint32_t)key * 2654435761u) & (m->cap - 1);
}

static void *imap_get(const struct imap *m, int key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = imap_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return m->vals[i];
		if (m->keys[i] == 0)
			return NULL;
	}
}

static int imap_put(struct imap *m, int key, void *val);

static int imap_grow(struct imap *m)
{
	struct imap n = { 0 };

	n.cap = m->cap ? m->cap * 2 : 64;
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = calloc(n.cap, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] > 0)
			imap_put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

/* key > 0; replaces an existing value */
static int imap_put(struct imap *m, int key, void *val)
{
	size_t i;

	if ((m->used + 1) * 2 > m->cap && imap_grow(m))
		return -1;
	for (i = imap_slot(m, key); m->keys[i] > 0 && m->keys[i] != key; i = (i + 1) & (m->cap - 1))
		;
	if (m->keys[i] != key) {
		if (m->keys[i] == 0)
			m->used++;
		m->keys[i] = key;
	}
	m->vals[i] = val;
	return 0;
}

static void imap_del(struct imap *m, int key)
{
	if (!m->cap)
		return;
	for (size_t i = imap_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			m->keys[i] = -1;
			m->vals[i] = NULL;
			return;
		}
		if (m->keys[i] == 0)
			return;
	}
}

static void imap_free(struct imap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- address spaces */

struct range {
	uint64_t s, e;                /* [s, e) */
};

/* A trace process: an address space, as far as the converter follows it. */
struct space {
	int tpid;                     /* its pid in the trace */
	int users;                    /* thread groups using it */
	struct range *r;              /* what is mapped, sorted, coalesced */
	size_t nr, cap;
	uint64_t stack_lo;            /* the stack's lowest address; 0: none known */
	bool fresh;                   /* spawned, its exec not seen yet: the
				   * command's own execve was before perf
				   * began, its MMAP2 records come alone */
	bool brk_known;               /* brkbase written since the last exec */
	uint64_t brk;                 /* the break, once known */
	struct space *next;           /* all spaces, for freeing */
};

static int ranges_reserve(struct space *sp, size_t n)
{
	if (n <= sp->cap)
		return 0;
	size_t cap = sp->cap ? sp->cap * 2 : 16;
	while (cap < n)
		cap *= 2;
	struct range *r = realloc(sp->r, cap * sizeof(*r));
	if (!r)
		return -1;
	sp->r = r;
	sp->cap = cap;
	return 0;
}

/* index of the first range ending after a */
static size_t ranges_find(const struct space *sp, uint64_t a)
{
	size_t lo = 0, hi = sp->nr;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sp->r[mid].e <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool ranges_has(const struct space *sp, uint64_t a)
{
	size_t i = ranges_find(sp, a);
	return i < sp->nr && sp->r[i].s <= a;
}

static bool ranges_overlap(const struct space *sp, uint64_t s, uint64_t e)
{
	size_t i = ranges_find(sp, s);
	return i < sp->nr && sp->r[i].s < e;
}

/* all of [s, e) is mapped */
static bool ranges_cover(const struct space *sp, uint64_t s, uint64_t e)
{
	size_t i = ranges_find(sp, s);
	return s >= e || (i < sp->nr && sp->r[i].s <= s && sp->r[i].e >= e);
}

/* [s, e) is no longer mapped */
static int ranges_del(struct space *sp, uint64_t s, uint64_t e)
{
	size_t i = ranges_find(sp, s);

	if (s >= e || i >= sp->nr || sp->r[i].s >= e)
		return 0;
	if (sp->r[i].s < s && sp->r[i].e > e) {          /* a hole in one range */
		if (ranges_reserve(sp, sp->nr + 1))
			return -1;
		memmove(&sp->r[i + 1], &sp->r[i], (sp->nr - i) * sizeof(*sp->r));
		sp->nr++;
		sp->r[i].e = s;
		sp->r[i + 1].s = e;
		return 0;
	}
	if (sp->r[i].s < s) {
		sp->r[i].e = s;
		i++;
	}
	size_t j = i;
	while (j < sp->nr && sp->r[j].e <= e)
		j++;
	if (j < sp->nr && sp->r[j].s < e)
		sp->r[j].s = e;
	memmove(&sp->r[i], &sp->r[j], (sp->nr - j) * sizeof(*sp->r));
	sp->nr -= j - i;
	return 0;
}

/* [s, e) is mapped */
static int ranges_add(struct space *sp, uint64_t s, uint64_t e)
{
	if (s >= e)
		return 0;
	size_t i = ranges_find(sp, s ? s - 1 : 0);     /* one touching s merges too */
	size_t j = i;

	while (j < sp->nr && sp->r[j].s <= e) {
		if (sp->r[j].s < s)
			s = sp->r[j].s;
		if (sp->r[j].e > e)
			e = sp->r[j].e;
		j++;
	}
	if (j == i) {
		if (ranges_reserve(sp, sp->nr + 1))
			return -1;
		memmove(&sp->r[i + 1], &sp->r[i], (sp->nr - i) * sizeof(*sp->r));
		sp->nr++;
	} else {
		memmove(&sp->r[i + 1], &sp->r[j], (sp->nr - j) * sizeof(*sp->r));
		sp->nr -= j - i - 1;
	}
	sp->r[i].s = s;
	sp->r[i].e = e;
	return 0;
}

/* ---------------------------------------------------------------- files */

struct cfile {
	char *name;                   /* in the trace */
	char *path;                   /* as perf printed it */
	unsigned maj, min;
	uint64_t ino;
	uint64_t extent;              /* the furthest byte any mapping reached */
	bool synthetic;               /* a `file` line even without portable */
	struct cfile *next;
};

/* ---------------------------------------------------------------- threads */

enum sc {
	SC_NONE, SC_MMAP, SC_MUNMAP, SC_MREMAP, SC_MPROTECT, SC_BRK, SC_MADVISE,
	SC_MLOCK, SC_MUNLOCK, SC_EXECVE,
};

/* one MMAP2 record */
struct mmap2 {
	uint64_t addr, len, pgoff;
	unsigned maj, min;
	uint64_t ino;
	char prot[5];                 /* "r-xp" */
	char *path;                   /* owned */
};

/* a line held back while an execve is under way */
struct held {
	bool is_map;                  /* a mapping (m), else a fault */
	struct mmap2 m;
	uint64_t addr;                /* the fault's */
	bool write;
};

struct thread {
	int tid, tgid;
	enum sc sc;                   /* the system call under way */
	uint64_t arg[6];
	bool have_map;                /* an MMAP2 seen inside it */
	struct mmap2 map;
	struct held *held;            /* while in an execve, after its first MMAP2 */
	size_t nheld, capheld;
	struct thread *next;          /* all threads, for freeing */
};

struct tgroup {
	int tgid;
	struct space *sp;
	int nthreads;
	int exec_tid;                 /* the thread inside execve, or 0 */
	struct tgroup *next;
};

/* ---------------------------------------------------------------- the converter */

struct conv {
	const struct capture_opts *o;
	const char *in_name;
	unsigned line;                /* of the input */
	FILE *errf;
	FILE *body;                   /* the trace's events, before the files */
	struct imap threads, groups;  /* by tid, by tgid */
	struct thread *all_threads;
	struct tgroup *all_groups;
	struct space *all_spaces;
	struct cfile *files;
	unsigned nfiles;
	int next_tpid;
	/* what the header tells */
	uint64_t n_faults, n_dropped, n_calls, n_failed_maps, n_lost;
	uint64_t n_unknown_map, n_skipped_advice;
	int n_procs;
	/* strace's text: a call split by another task's line, kept by task id
	 * until its "resumed" line; the lines of a task whose clone has not
	 * returned yet (strace prints the child's first calls before it) */
	struct imap partial, orphans;
	uint64_t n_unknown_calls;     /* calls on memory strace could not show */
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int cerr(struct conv *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->errf, "revmap: capture: %s:%u: ", c->in_name, c->line);
	va_start(ap, fmt);
	vfprintf(c->errf, fmt, ap);
	va_end(ap);
	fputc('\n', c->errf);
	return -1;
}

static int oom_err(struct conv *c)
{
	return cerr(c, "out of memory");
}

static struct space *space_new(struct conv *c)
{
	struct space *sp = calloc(1, sizeof(*sp));

	if (!sp)
		return NULL;
	sp->tpid = ++c->next_tpid;
	sp->next = c->all_spaces;
	c->all_spaces = sp;
	c->n_procs++;
	return sp;
}

static struct tgroup *group_new(struct conv *c, int tgid, struct space *sp)
{
	struct tgroup *g = calloc(1, sizeof(*g));

	if (!g || imap_put(&c->groups, tgid, g)) {
		free(g);
		return NULL;
	}
	g->tgid = tgid;
	g->sp = sp;
	g->nthreads = 0;
	sp->users++;
	g->next = c->all_groups;
	c->all_groups = g;
	return g;
}

static struct thread *thread_new(struct conv *c, int tid, int tgid)
{
	struct thread *t = calloc(1, sizeof(*t));

	if (!t || imap_put(&c->threads, tid, t)) {
		free(t);
		return NULL;
	}
	t->tid = tid;
	t->tgid = tgid;
	t->next = c->all_threads;
	c->all_threads = t;
	return t;
}

/* The thread group tgid, first seen now: a process that was not made by a
 * fork the converter saw (the command itself), with an empty space. */
static struct tgroup *group_get(struct conv *c, int tgid)
{
	struct tgroup *g = imap_get(&c->groups, tgid);
	struct space *sp;

	if (g)
		return g;
	sp = space_new(c);
	if (!sp || !(g = group_new(c, tgid, sp)))
		return oom_err(c), NULL;
	sp->fresh = true;
	fprintf(c->body, "%d spawn\t# pid %d\n", sp->tpid, tgid);
	return g;
}

static struct thread *thread_get(struct conv *c, int tgid, int tid)
{
	struct thread *t = imap_get(&c->threads, tid);
	struct tgroup *g;

	if (t)
		return t;
	if (!(g = group_get(c, tgid)))
		return NULL;
	if (!(t = thread_new(c, tid, tgid)))
		return oom_err(c), NULL;
	g->nthreads++;
	return t;
}

static void map_clear(struct mmap2 *m)
{
	free(m->path);
	m->path = NULL;
}

static void held_clear(struct thread *t)
{
	for (size_t i = 0; i < t->nheld; i++)
		if (t->held[i].is_map)
			map_clear(&t->held[i].m);
	t->nheld = 0;
}

/* ---------------------------------------------------------------- writing */

static void put_prot(char *out, uint64_t prot)
{
	out[0] = prot & L_PROT_READ ? 'r' : '-';
	out[1] = prot & L_PROT_WRITE ? 'w' : '-';
	out[2] = prot & L_PROT_EXEC ? 'x' : '-';
	out[3] = 0;
}

/* a system call's result as the trace writes it: 0, 0x..., -ERRNAME */
static void put_result(char *out, size_t n, int64_t v, bool hex)
{
	if (v < 0 && v >= -4095) {
		const char *name = tr_errno_name((int)-v);
		if (name)
			snprintf(out, n, "-%s", name);
		else
			snprintf(out, n, "%" PRId64, v);
	} else if (hex) {
		snprintf(out, n, "0x%" PRIx64, (uint64_t)v);
	} else {
		snprintf(out, n, "%" PRId64, v);
	}
}

static bool is_err(uint64_t v)
{
	return v >= (uint64_t)-4095;
}

/* The file a mapping names: found by device and inode (or path), made
 * the first time. */
static struct cfile *file_for(struct conv *c, const struct mmap2 *m)
{
	struct cfile *f;
	const char *base;
	char name[64];
	size_t n = 0;
	bool deleted = strstr(m->path, " (deleted)") || !strncmp(m->path, "/memfd:", 7) ||
		       !strncmp(m->path, "/SYSV", 5);

	for (f = c->files; f; f = f->next)
		if (m->ino ? (f->ino == m->ino && f->maj == m->maj && f->min == m->min)
			   : !strcmp(f->path, m->path))
			return f;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	base = strrchr(m->path, '/');
	base = base ? base + 1 : m->path;
	for (const char *p = base; *p && n < 40; p++) {
		if (*p == ' ')
			break;
		name[n++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				   (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'
				   ? *p : '_');
	}
	if (!n)
		name[n++] = 'f';
	name[n] = 0;
	c->nfiles++;
	if (asprintf(&f->name, "f%u-%s", c->nfiles, name) < 0) {
		free(f);
		return NULL;
	}
	f->path = strdup(m->path);
	if (!f->path) {
		free(f->name);
		free(f);
		return NULL;
	}
	f->maj = m->maj;
	f->min = m->min;
	f->ino = m->ino;
	f->synthetic = deleted || !strncmp(m->path, "/dev/", 5) || m->path[0] != '/';
	f->next = c->files;
	c->files = f;
	return f;
}

/* a mapping of path is anonymous memory (an MMAP2 name the kernel gives
 * one, or /dev/zero) */
static bool path_is_anon(const char *path)
{
	return path[0] == '[' || !strcmp(path, "//anon") || !strncmp(path, "/dev/zero", 9) ||
	       !strncmp(path, "/anon_hugepage", 14);
}

/* write one mapping of the exec'd image (an MMAP2 record) */
static int put_exec_map(struct conv *c, struct space *sp, const struct mmap2 *m)
{
	char prot[4] = { m->prot[0], m->prot[1], m->prot[2], 0 };
	bool shared = m->prot[3] == 's';
	uint64_t len = PAGE_UP(m->len);

	if (m->addr >= USER_TOP)
		return 0;
	if (path_is_anon(m->path)) {
		fprintf(c->body, "%d mmap 0x%" PRIx64 " 0x%" PRIx64 " %s %s,anon,fixed = 0x%" PRIx64
			"\t# %s\n", sp->tpid, m->addr, len, prot, shared ? "shared" : "private",
			m->addr, m->path);
		if (!strcmp(m->path, "[stack]"))
			sp->stack_lo = m->addr;
	} else {
		struct cfile *f = file_for(c, m);
		if (!f)
			return oom_err(c);
		if (m->pgoff + len > f->extent)
			f->extent = m->pgoff + len;
		fprintf(c->body, "%d mmap 0x%" PRIx64 " 0x%" PRIx64 " %s %s,fixed %s 0x%" PRIx64
			" = 0x%" PRIx64 "\n", sp->tpid, m->addr, len, prot,
			shared ? "shared" : "private", f->name, m->pgoff, m->addr);
	}
	return ranges_add(sp, m->addr, m->addr + len) ? oom_err(c) : 0;
}

/* a fault at addr in sp: r or w of its word, if the space has it there */
static int put_fault(struct conv *c, struct space *sp, uint64_t addr, bool write)
{
	c->n_faults++;
	if (addr >= USER_TOP) {
		c->n_dropped++;
		return 0;
	}
	if (!ranges_has(sp, addr)) {
		uint64_t lo = PAGE_DOWN(addr);

		/* below the stack, nothing between: the stack grows */
		if (sp->stack_lo && addr < sp->stack_lo && sp->stack_lo - lo <= STACK_REACH &&
		    !ranges_overlap(sp, lo, sp->stack_lo)) {
			fprintf(c->body, "%d mmap 0x%" PRIx64 " 0x%" PRIx64
				" rw- private,anon,fixed = 0x%" PRIx64 "\t# the stack grows\n",
				sp->tpid, lo, sp->stack_lo - lo, lo);
			if (ranges_add(sp, lo, sp->stack_lo))
				return oom_err(c);
			sp->stack_lo = lo;
		} else {
			c->n_dropped++;
			return 0;
		}
	}
	fprintf(c->body, "%d %c 0x%" PRIx64 "\n", sp->tpid, write ? 'w' : 'r', addr & ~(uint64_t)7);
	return 0;
}

/* ---------------------------------------------------------------- system calls */

/* the system calls followed, by name (the variants that act the same
 * after them) */
static const struct {
	const char *name;
	enum sc sc;
} sc_table[] = {
	{ "mmap", SC_MMAP }, { "munmap", SC_MUNMAP }, { "mremap", SC_MREMAP },
	{ "mprotect", SC_MPROTECT }, { "brk", SC_BRK }, { "madvise", SC_MADVISE },
	{ "mlock", SC_MLOCK }, { "munlock", SC_MUNLOCK }, { "execve", SC_EXECVE },
	{ "pkey_mprotect", SC_MPROTECT }, { "mlock2", SC_MLOCK }, { "execveat", SC_EXECVE },
};

static enum sc sc_from(const char *name)
{
	for (size_t i = 0; i < sizeof(sc_table) / sizeof(sc_table[0]); i++)
		if (!strcmp(sc_table[i].name, name))
			return sc_table[i].sc;
	return SC_NONE;
}

/* a followed call's name, as the trace writes it */
static const char *sc_name(enum sc sc)
{
	for (size_t i = 0; i < sizeof(sc_table) / sizeof(sc_table[0]); i++)
		if (sc_table[i].sc == sc)
			return sc_table[i].name;
	return "?";
}


static const char *const advice_names[] = {
	[0] = "normal", [1] = "random", [2] = "sequential", [3] = "willneed",
	[4] = "dontneed", [8] = "free", [9] = "remove", [10] = "dontfork",
	[11] = "dofork", [18] = "wipeonfork", [19] = "keeponfork", [20] = "cold",
	[21] = "pageout", [22] = "populate_read", [23] = "populate_write",
};

static int sys_mmap(struct conv *c, struct space *sp, struct thread *t, uint64_t ret)
{
	uint64_t len = t->arg[1], prot = t->arg[2], flags = t->arg[3], off = t->arg[5];
	char p[4], fl[80];
	bool anon = flags & L_MAP_ANON, shared = (flags & 3) != L_MAP_PRIVATE;
	struct cfile *f = NULL;

	put_prot(p, prot);
	if (is_err(ret)) {
		char r[32];
		put_result(r, sizeof(r), (int64_t)ret, true);
		fprintf(c->body, "# %d mmap 0x%" PRIx64 " 0x%" PRIx64 " %s flags 0x%" PRIx64
			" fd %d = %s (failed: changes nothing)\n", sp->tpid, t->arg[0], len, p,
			flags, (int)t->arg[4], r);
		c->n_failed_maps++;
		return 0;
	}
	if (!anon) {
		if (!t->have_map) {
			c->n_unknown_map++;
			fprintf(c->body, "# no MMAP2 record for this file mapping: "
				"written as anonymous memory\n");
			anon = true;
		} else if (path_is_anon(t->map.path)) {
			anon = true;
		} else if (!(f = file_for(c, &t->map))) {
			return oom_err(c);
		}
	}
	snprintf(fl, sizeof(fl), "%s%s,fixed%s%s%s", shared ? "shared" : "private",
		 anon ? ",anon" : "",
		 (flags & (L_MAP_POPULATE | L_MAP_NONBLOCK)) == L_MAP_POPULATE ? ",populate" : "",
		 flags & L_MAP_LOCKED ? ",locked" : "", flags & L_MAP_NORESERVE ? ",noreserve" : "");
	if (f) {
		if (off + PAGE_UP(len) > f->extent)
			f->extent = off + PAGE_UP(len);
		fprintf(c->body, "%d mmap 0x%" PRIx64 " 0x%" PRIx64 " %s %s %s 0x%" PRIx64
			" = 0x%" PRIx64 "\n", sp->tpid, ret, len, p, fl, f->name, off, ret);
	} else {
		fprintf(c->body, "%d mmap 0x%" PRIx64 " 0x%" PRIx64 " %s %s = 0x%" PRIx64 "%s\n",
			sp->tpid, ret, len, p, fl, ret,
			flags & L_MAP_HUGETLB ? "\t# MAP_HUGETLB: as small pages" : "");
	}
	return ranges_add(sp, ret, ret + PAGE_UP(len)) ? oom_err(c) : 0;
}

static int sys_mremap(struct conv *c, struct space *sp, struct thread *t, uint64_t ret)
{
	uint64_t addr = t->arg[0], olen = PAGE_UP(t->arg[1]), nlen = PAGE_UP(t->arg[2]);
	uint64_t flags = t->arg[3];
	char r[32];

	if (is_err(ret)) {
		put_result(r, sizeof(r), (int64_t)ret, true);
		fprintf(c->body, "# %d mremap 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
			" flags 0x%" PRIx64 " = %s (failed: changes nothing)\n", sp->tpid, addr,
			t->arg[1], t->arg[2], flags, r);
		c->n_failed_maps++;
		return 0;
	}
	if (ret == addr && !(flags & L_MREMAP_DONTUNMAP)) {
		fprintf(c->body, "%d mremap 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 " - = 0x%" PRIx64
			"\n", sp->tpid, addr, t->arg[1], t->arg[2], ret);
	} else {
		fprintf(c->body, "%d mremap 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
			" maymove,fixed%s 0x%" PRIx64 " = 0x%" PRIx64 "\n", sp->tpid, addr,
			t->arg[1], t->arg[2], flags & L_MREMAP_DONTUNMAP ? ",dontunmap" : "",
			ret, ret);
	}
	/* what is mapped now: the old range goes (unless kept), the new comes */
	if (ret == addr) {
		if (nlen < olen)
			return ranges_del(sp, addr + nlen, addr + olen) ? oom_err(c) : 0;
		return ranges_add(sp, addr, addr + nlen) ? oom_err(c) : 0;
	}
	if (!(flags & L_MREMAP_DONTUNMAP) && ranges_del(sp, addr, addr + olen))
		return oom_err(c);
	return ranges_add(sp, ret, ret + nlen) ? oom_err(c) : 0;
}

static int sys_brk(struct conv *c, struct space *sp, struct thread *t, uint64_t ret)
{
	char r[32];

	if (!sp->brk_known) {
		uint64_t start;

		if (t->arg[0] == 0)
			start = ret;               /* brk(0) first, as libc does: the start */
		else if (t->have_map && ret == t->arg[0])
			start = t->map.addr;       /* the heap's first growth shows where */
		else {
			fprintf(c->body, "# %d brk 0x%" PRIx64 " = 0x%" PRIx64
				" (the heap's start is not known yet: left out)\n", sp->tpid,
				t->arg[0], ret);
			return 0;
		}
		fprintf(c->body, "%d brkbase 0x%" PRIx64 " = 0\n", sp->tpid, start);
		sp->brk_known = true;
		sp->brk = start;
	}
	put_result(r, sizeof(r), (int64_t)ret, true);
	fprintf(c->body, "%d brk 0x%" PRIx64 " = %s\n", sp->tpid, t->arg[0], r);
	if (PAGE_UP(ret) > PAGE_UP(sp->brk) && ranges_add(sp, PAGE_UP(sp->brk), PAGE_UP(ret)))
		return oom_err(c);
	if (PAGE_UP(ret) < PAGE_UP(sp->brk) && ranges_del(sp, PAGE_UP(ret), PAGE_UP(sp->brk)))
		return oom_err(c);
	sp->brk = ret;
	return 0;
}

/* the end of a system call the converter follows, by t, in sp */
static int sys_exit(struct conv *c, struct space *sp, struct thread *t, uint64_t ret)
{
	char r[32], p[4];

	c->n_calls++;
	put_result(r, sizeof(r), (int64_t)ret, false);
	if (c->o->strace && t->sc != SC_MMAP && t->sc != SC_BRK && t->sc != SC_MUNMAP) {
		/* strace does not show what execve maps: a call on memory the
		 * converter does not know could not replay as it ran */
		uint64_t a = t->arg[0], len = t->arg[1];
		if (a + len < a || !ranges_cover(sp, PAGE_DOWN(a), PAGE_UP(a + len))) {
			fprintf(c->body, "# %d %s 0x%" PRIx64 " 0x%" PRIx64 " = %s (on memory strace "
				"cannot show: left out)\n", sp->tpid, sc_name(t->sc), a, len, r);
			c->n_unknown_calls++;
			return 0;
		}
	}
	switch (t->sc) {
	case SC_MMAP:
		return sys_mmap(c, sp, t, ret);
	case SC_MREMAP:
		return sys_mremap(c, sp, t, ret);
	case SC_BRK:
		return sys_brk(c, sp, t, ret);
	case SC_MUNMAP:
		fprintf(c->body, "%d munmap 0x%" PRIx64 " 0x%" PRIx64 " = %s\n", sp->tpid,
			t->arg[0], t->arg[1], r);
		if (!ret && ranges_del(sp, PAGE_DOWN(t->arg[0]), PAGE_UP(t->arg[0] + t->arg[1])))
			return oom_err(c);
		return 0;
	case SC_MPROTECT:
		put_prot(p, t->arg[2]);
		fprintf(c->body, "%d mprotect 0x%" PRIx64 " 0x%" PRIx64 " %s = %s%s\n", sp->tpid,
			t->arg[0], t->arg[1], p, r,
			t->arg[2] & ~(uint64_t)7 ? "\t# with flags the trace cannot say" : "");
		return 0;
	case SC_MADVISE: {
		uint64_t a = t->arg[2];
		const char *name = a < sizeof(advice_names) / sizeof(advice_names[0])
				   ? advice_names[a] : NULL;
		if (!name) {
			fprintf(c->body, "# %d madvise 0x%" PRIx64 " 0x%" PRIx64 " advice %" PRIu64
				" = %s (an advice the trace cannot say)\n", sp->tpid, t->arg[0],
				t->arg[1], a, r);
			c->n_skipped_advice++;
			return 0;
		}
		fprintf(c->body, "%d madvise 0x%" PRIx64 " 0x%" PRIx64 " %s = %s\n", sp->tpid,
			t->arg[0], t->arg[1], name, r);
		return 0;
	}
	case SC_MLOCK:
	case SC_MUNLOCK:
		fprintf(c->body, "%d %s 0x%" PRIx64 " 0x%" PRIx64 " = %s\n", sp->tpid,
			sc_name(t->sc), t->arg[0], t->arg[1], r);
		return 0;
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------- events */

/* the value after "key" in s (a field "key: 0x..", "key=.."), the last such */
static bool field(const char *s, const char *key, uint64_t *v, int base)
{
	const char *hit = NULL;
	size_t n = strlen(key);
	char *end;

	for (const char *p = s; (p = strstr(p, key)); p++)
		if ((p == s || p[-1] == ' ' || p[-1] == ',') )
			hit = p;
	if (!hit)
		return false;
	hit += n;
	while (*hit == ' ')
		hit++;
	errno = 0;
	*v = strtoull(hit, &end, base);
	return end != hit && !errno;
}

static const char *const enter_fields[][6] = {
	[SC_MMAP] = { "addr:", "len:", "prot:", "flags:", "fd:", "off:" },
	[SC_MUNMAP] = { "addr:", "len:" },
	[SC_MREMAP] = { "addr:", "old_len:", "new_len:", "flags:", "new_addr:" },
	[SC_MPROTECT] = { "start:", "len:", "prot:" },
	[SC_BRK] = { "brk:" },
	[SC_MADVISE] = { "start:", "len_in:", "behavior:" },
	[SC_MLOCK] = { "start:", "len:" },
	[SC_MUNLOCK] = { "start:", "len:" },
	[SC_EXECVE] = { NULL },
};

static int ev_enter(struct conv *c, struct thread *t, const char *name, const char *rest)
{
	enum sc sc = sc_from(name);

	if (sc == SC_NONE)
		return 0;          /* exit_group: the exits come from sched */
	if (t->sc == SC_EXECVE)
		held_clear(t);
	if (sc == SC_EXECVE) {
		struct tgroup *g = imap_get(&c->groups, t->tgid);
		g->exec_tid = t->tid;
	}
	t->sc = sc;
	t->have_map = false;
	map_clear(&t->map);
	for (int i = 0; i < 6 && enter_fields[sc][i]; i++)
		if (!field(rest, enter_fields[sc][i], &t->arg[i], 16))
			return cerr(c, "expected '%s 0x...' in sys_enter_%s", enter_fields[sc][i],
				    name);
	return 0;
}

/* an execve that failed: its faults were the old image's; its maps go */
static int exec_failed(struct conv *c, struct thread *t, struct space *sp)
{
	struct tgroup *g = imap_get(&c->groups, t->tgid);

	g->exec_tid = 0;
	for (size_t i = 0; i < t->nheld; i++)
		if (!t->held[i].is_map && put_fault(c, sp, t->held[i].addr, t->held[i].write))
			return -1;
	held_clear(t);
	t->sc = SC_NONE;
	return 0;
}

static int ev_exit(struct conv *c, struct thread *t, const char *name, const char *rest)
{
	struct tgroup *g = imap_get(&c->groups, t->tgid);
	enum sc sc = sc_from(name);
	uint64_t ret;
	int err = 0;

	if (sc == SC_NONE)
		return 0;
	if (t->sc != sc)          /* its start was before the recording, or lost */
		return 0;
	if (sscanf(rest, "%" SCNx64, &ret) != 1)
		return cerr(c, "expected the result 0x... of sys_exit_%s", name);
	if (sc == SC_EXECVE)
		return is_err(ret) ? exec_failed(c, t, g->sp) : (t->sc = SC_NONE, 0);
	err = sys_exit(c, g->sp, t, ret);
	t->sc = SC_NONE;
	t->have_map = false;
	map_clear(&t->map);
	return err;
}

static int hold(struct conv *c, struct thread *t, const struct held *h)
{
	if (t->nheld == t->capheld) {
		size_t cap = t->capheld ? t->capheld * 2 : 32;
		struct held *n = realloc(t->held, cap * sizeof(*n));
		if (!n)
			return oom_err(c);
		t->held = n;
		t->capheld = cap;
	}
	t->held[t->nheld++] = *h;
	return 0;
}

/* "[0xADDR(0xLEN) @ PGOFF MAJ:MIN INO GEN]: PROT PATH" */
static int parse_mmap2(struct conv *c, const char *rest, struct mmap2 *m)
{
	const char *p = strchr(rest, '[');
	int n = 0;

	memset(m, 0, sizeof(*m));
	if (!p || sscanf(p, "[%" SCNx64 "(%" SCNx64 ") @ %" SCNi64 " %x:%x %" SCNu64 " %*u]: %4s %n",
			 &m->addr, &m->len, &m->pgoff, &m->maj, &m->min, &m->ino, m->prot, &n) < 7 ||
	    !n)
		return cerr(c, "expected '[0xADDR(0xLEN) @ OFF MAJ:MIN INO GEN]: PROT PATH' "
			    "in a PERF_RECORD_MMAP2 line");
	if (strlen(m->prot) != 4 || (m->prot[0] != 'r' && m->prot[0] != '-') ||
	    (m->prot[1] != 'w' && m->prot[1] != '-') || (m->prot[2] != 'x' && m->prot[2] != '-') ||
	    (m->prot[3] != 'p' && m->prot[3] != 's'))
		return cerr(c, "expected a protection like r-xp or rw-s in a PERF_RECORD_MMAP2 "
			    "line, got '%s'", m->prot);
	m->path = strdup(p + n);
	if (!m->path)
		return oom_err(c);
	m->path[strcspn(m->path, "\n")] = 0;
	if (!m->path[0]) {
		map_clear(m);
		return cerr(c, "a PERF_RECORD_MMAP2 line without a path");
	}
	return 0;
}

/*
 * A thread other than the leader that execs takes the leader's id in
 * de_thread, before execve maps anything: the records after that carry the
 * leader's id.  t (that id, no call under way) takes over the execve of the
 * group's thread inside one, with what it held.
 */
static void exec_adopt(struct conv *c, struct thread *t)
{
	struct tgroup *g = imap_get(&c->groups, t->tgid);
	struct thread *o;
	struct held *h;
	size_t nh, ch;

	if (t->sc != SC_NONE || !g->exec_tid || g->exec_tid == t->tid ||
	    !(o = imap_get(&c->threads, g->exec_tid)) || o->sc != SC_EXECVE)
		return;
	h = t->held, nh = t->nheld, ch = t->capheld;
	t->held = o->held, t->nheld = o->nheld, t->capheld = o->capheld;
	o->held = h, o->nheld = nh, o->capheld = ch;
	held_clear(o);
	o->sc = SC_NONE;
	t->sc = SC_EXECVE;
	g->exec_tid = t->tid;
}

static int ev_mmap2(struct conv *c, struct thread *t, const char *rest)
{
	struct mmap2 m;

	if (parse_mmap2(c, rest, &m))
		return -1;
	exec_adopt(c, t);
	if (t->sc == SC_NONE) {
		struct tgroup *g = imap_get(&c->groups, t->tgid);
		if (g->sp->fresh)
			t->sc = SC_EXECVE;    /* an execve begun before the recording */
	}
	if (t->sc == SC_EXECVE) {
		struct held h = { .is_map = true, .m = m };
		if (hold(c, t, &h)) {
			map_clear(&m);
			return -1;
		}
		return 0;
	}
	if (t->sc != SC_NONE && !t->have_map) {
		t->map = m;          /* the file (or not) of the call under way */
		t->have_map = true;
		return 0;
	}
	map_clear(&m);           /* mprotect's, brk's second: nothing new */
	return 0;
}

static int ev_fault(struct conv *c, struct thread *t, const char *rest, bool kernel)
{
	struct tgroup *g = imap_get(&c->groups, t->tgid);
	uint64_t addr, code;

	if (!field(rest, "address=", &addr, 16) || !field(rest, "error_code=", &code, 16)) {
		if (kernel)
			return 0;    /* a kernel address printed as a symbol */
		return cerr(c, "expected 'address=0x... ip=0x... error_code=0x...' in a page fault");
	}
	if (kernel && addr >= USER_TOP)
		return 0;
	if (t->sc == SC_EXECVE && t->nheld) {
		struct held h = { .addr = addr, .write = code & 2 };
		return hold(c, t, &h);
	}
	return put_fault(c, g->sp, addr, code & 2);
}

/* parent made the task child with clone flags */
static int task_new(struct conv *c, struct thread *parent, uint64_t child, uint64_t flags)
{
	struct tgroup *pg = imap_get(&c->groups, parent->tgid), *g;
	struct space *sp;

	if (!child || child > INT32_MAX)
		return cerr(c, "a new task's id %" PRIu64 " is not a pid", child);
	if (flags & L_CLONE_THREAD) {
		if (!thread_new(c, (int)child, parent->tgid))
			return oom_err(c);
		pg->nthreads++;
		return 0;
	}
	if (flags & L_CLONE_VM) {
		sp = pg->sp;         /* shares it until exec (vfork, posix_spawn) */
	} else {
		struct space *psp = pg->sp;
		if (!(sp = space_new(c)) || ranges_reserve(sp, psp->nr))
			return oom_err(c);
		if (psp->nr)
			memcpy(sp->r, psp->r, psp->nr * sizeof(*sp->r));
		sp->nr = psp->nr;
		sp->stack_lo = psp->stack_lo;
		sp->brk_known = psp->brk_known;
		sp->brk = psp->brk;
		fprintf(c->body, "%d fork %d\t# pid %" PRIu64 "\n", psp->tpid, sp->tpid, child);
	}
	if (!(g = group_new(c, (int)child, sp)) || !thread_new(c, (int)child, (int)child))
		return oom_err(c);
	g->nthreads = 1;
	return 0;
}

static int ev_newtask(struct conv *c, struct thread *parent, const char *rest)
{
	uint64_t child, flags;

	if (!field(rest, "pid=", &child, 10) || !field(rest, "clone_flags=", &flags, 16))
		return cerr(c, "expected 'pid=N comm=... clone_flags=HEX' in task_newtask");
	return task_new(c, parent, child, flags);
}

/* a space no thread group uses any more */
static void space_put(struct conv *c, struct space *sp)
{
	if (--sp->users == 0)
		fprintf(c->body, "%d exit\n", sp->tpid);
}

/* t's execve succeeded (fn, len: the program, for a comment); what it
 * held back is the new image's */
static int exec_done(struct conv *c, struct thread *t, const char *fn, int len)
{
	struct tgroup *g = imap_get(&c->groups, t->tgid);
	struct space *sp = g->sp;

	g->exec_tid = 0;
	g->nthreads = 1;             /* de_thread: the others are gone */
	if (sp->users > 1) {
		/* a vfork or CLONE_VM child: a new process of its own now */
		struct space *nsp = space_new(c);
		if (!nsp)
			return oom_err(c);
		space_put(c, sp);
		g->sp = sp = nsp;
		sp->users = 1;
		fprintf(c->body, "%d spawn\t# pid %d exec %.*s\n", sp->tpid, t->tgid, len, fn);
	} else {
		fprintf(c->body, "%d exec\t# pid %d %.*s\n", sp->tpid, t->tgid, len, fn);
		sp->fresh = false;
		sp->nr = 0;
		sp->stack_lo = 0;
		sp->brk_known = false;
	}
	for (size_t i = 0; i < t->nheld; i++) {
		struct held *h = &t->held[i];
		if (h->is_map ? put_exec_map(c, sp, &h->m) : put_fault(c, sp, h->addr, h->write))
			return -1;
	}
	held_clear(t);
	t->sc = SC_NONE;
	return 0;
}

static int ev_exec(struct conv *c, struct thread *t, const char *rest)
{
	uint64_t old_pid;
	const char *fn = strstr(rest, "filename=");
	int len = 0;

	exec_adopt(c, t);     /* if no record came after the leader's id changed */
	if (field(rest, "old_pid=", &old_pid, 10) && (int)old_pid != t->tid) {
		/* a thread other than the leader exec'd: its own id is gone */
		struct thread *o = imap_get(&c->threads, (int)old_pid);
		if (o && o != t) {
			imap_del(&c->threads, (int)old_pid);
			held_clear(o);
			o->sc = SC_NONE;
		}
	}
	if (fn) {
		fn += 9;
		const char *e = strstr(fn, " pid=");
		len = e ? (int)(e - fn) : (int)strcspn(fn, "\n");
	}
	return exec_done(c, t, fn ? fn : "", len);
}

static int ev_task_exit(struct conv *c, struct thread *t)
{
	struct tgroup *g = imap_get(&c->groups, t->tgid);

	imap_del(&c->threads, t->tid);
	held_clear(t);
	t->sc = SC_NONE;
	if (--g->nthreads > 0)
		return 0;
	imap_del(&c->groups, g->tgid);
	space_put(c, g->sp);
	g->sp = NULL;
	return 0;
}

/* One line of perf script's text. */
static int conv_line(struct conv *c, char *s)
{
	int pid, tid, n = 0;
	char ev[96];
	const char *rest;
	struct thread *t;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '\n' || *s == '#')
		return 0;
	if (strstr(s, "PERF_RECORD_LOST")) {
		uint64_t lost = 0;
		const char *l = strstr(s, "lost");
		if (l && sscanf(l, "lost %" SCNu64, &lost) == 1)
			c->n_lost += lost;
		else
			c->n_lost++;
		return 0;
	}
	if (sscanf(s, "%d/%d %*[0-9.]: %95s %n", &pid, &tid, ev, &n) < 3 || !n)
		return cerr(c, "expected 'PID/TID TIME: EVENT ...' (perf script -F "
			    "pid,tid,time,event,trace)");
	rest = s + n;
	if (pid <= 0 || tid <= 0)
		return 0;            /* the kernel's own mappings */
	size_t el = strlen(ev);
	if (el && ev[el - 1] == ':')
		ev[--el] = 0;
	if (!strcmp(ev, "PERF_RECORD_MMAP")) /* without inode: not from -d */
		return 0;
	if (!(t = thread_get(c, pid, tid)))
		return -1;
	if (!imap_get(&c->groups, t->tgid))
		return cerr(c, "task %d of process %d, which has exited", tid, t->tgid);
	if (!strcmp(ev, "PERF_RECORD_MMAP2"))
		return ev_mmap2(c, t, rest);
	if (!strncmp(ev, "syscalls:sys_enter_", 19))
		return ev_enter(c, t, ev + 19, rest);
	if (!strncmp(ev, "syscalls:sys_exit_", 18))
		return ev_exit(c, t, ev + 18, rest);
	if (!strcmp(ev, "exceptions:page_fault_user"))
		return ev_fault(c, t, rest, false);
	if (!strcmp(ev, "exceptions:page_fault_kernel"))
		return ev_fault(c, t, rest, true);
	if (!strcmp(ev, "task:task_newtask"))
		return ev_newtask(c, t, rest);
	if (!strcmp(ev, "sched:sched_process_exec"))
		return ev_exec(c, t, rest);
	if (!strcmp(ev, "sched:sched_process_exit"))
		return ev_task_exit(c, t);
	return 0;                    /* sched_process_fork and others: not needed */
}

/* ---------------------------------------------------------------- strace's text */

/*
 * strace -f -q -X raw -y prints one call a line, "TID NAME(ARGS) = RESULT",
 * a call interrupted by another task's line as "TID NAME(ARGS <unfinished
 * ...>" then "TID <... NAME resumed>REST", exits as "TID +++ exited with N
 * +++".  Arguments are raw numbers (NULL for 0), file descriptors
 * "3</path>".  It shows no page faults and none of the mappings execve
 * makes, so a call on memory the converter does not know is left out.
 */

/* a line of task tid kept for later (a partial call, or an orphan's) */
struct kept {
	char **v;
	size_t n, cap;
};

static int kept_add(struct conv *c, struct imap *m, int tid, const char *line)
{
	struct kept *k = imap_get(m, tid);
	char *d = strdup(line);

	if (!d)
		return oom_err(c);
	if (!k) {
		if (!(k = calloc(1, sizeof(*k))) || imap_put(m, tid, k)) {
			free(k);
			free(d);
			return oom_err(c);
		}
	}
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;
		char **v = realloc(k->v, cap * sizeof(*v));
		if (!v) {
			free(d);
			return oom_err(c);
		}
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = d;
	return 0;
}

static void kept_free(struct kept *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
	free(k);
}

/* a number as strace prints one: NULL, 0x..., decimal, -1; with -y an fd
 * "3</path>" (path: its start, or NULL) */
static bool st_num(const char *a, uint64_t *v, const char **path)
{
	char *end;

	if (path)
		*path = NULL;
	while (*a == ' ')
		a++;
	if (!strncmp(a, "NULL", 4)) {
		*v = 0;
		return true;
	}
	errno = 0;
	*v = a[0] == '-' ? (uint64_t)strtoll(a, &end, 0) : strtoull(a, &end, 0);
	if (end == a || errno)
		return false;
	if (*end == '<' && path)
		*path = end + 1;
	return true;
}

static int strace_line(struct conv *c, char *s);

/* the calls of one task, complete: "NAME(ARGS) = RESULT" */
static int strace_call(struct conv *c, struct thread *t, char *s)
{
	char *open = strchr(s, '('), *eq = NULL, *close, *args;
	char name[32];
	uint64_t ret, a[6] = { 0 };
	const char *fdpath = NULL;
	enum sc sc;
	int n = 0;

	if (!open || open - s >= (long)sizeof(name))
		return cerr(c, "expected 'NAME(ARGS) = RESULT' (strace -f -q -X raw -y)");
	memcpy(name, s, (size_t)(open - s));
	name[open - s] = 0;
	if (!strcmp(name, "exit_group"))
		return 0;
	/* the result: after the last " = ", the arguments' ')' before it (strace
	 * pads the space between) */
	for (char *p = strstr(s, " = "); p; p = strstr(p + 1, " = "))
		eq = p;
	for (close = eq; close && close > open && close[-1] == ' '; close--)
		;
	if (!eq || close <= open || close[-1] != ')')
		return cerr(c, "expected ') = RESULT' after %s's arguments", name);
	eq += 3;
	if (*eq == '?')
		return 0;             /* the task went away inside it */
	if (!strncmp(eq, "-1 E", 4)) {
		char en[24] = "";
		int err;
		sscanf(eq + 3, "%23[A-Z0-9]", en);
		if (!(err = tr_errno_from_name(en)))
			return cerr(c, "an error %s revmap does not know", en);
		ret = (uint64_t)-(int64_t)err;
	} else if (!st_num(eq, &ret, NULL)) {
		return cerr(c, "expected a result after ') = '");
	}
	args = open + 1;
	close[-1] = 0;
	if (!strcmp(name, "clone") || !strcmp(name, "clone3") || !strcmp(name, "fork") ||
	    !strcmp(name, "vfork")) {
		uint64_t flags = 0;
		const char *f = strstr(args, "flags=");
		struct kept *k;
		int err;

		if (name[0] == 'v')
			flags = L_CLONE_VM | 0x4000;
		else if (f && !st_num(f + 6, &flags, NULL))
			return cerr(c, "expected flags=0x... in %s", name);
		if (is_err(ret))
			return 0;
		if ((err = task_new(c, t, ret, flags)))
			return err;
		/* the child's lines strace printed before this one */
		k = imap_get(&c->orphans, (int)ret);
		imap_del(&c->orphans, (int)ret);
		for (size_t i = 0; k && i < k->n && !err; i++)
			err = strace_line(c, k->v[i]);
		kept_free(k);
		return err;
	}
	if (!strcmp(name, "execve") || !strcmp(name, "execveat")) {
		char *q = strchr(args, '"'), *e = q ? strchr(q + 1, '"') : NULL;
		if (ret)
			return 0;     /* a failed execve changes nothing */
		return exec_done(c, t, q ? q + 1 : "", q && e ? (int)(e - q - 1) : 0);
	}
	sc = sc_from(name);
	if (sc == SC_NONE)
		return 0;
	/* the arguments: plain numbers (an fd with its path) */
	for (char *p = args; *p && n < 6; n++) {
		const char *path;
		char *comma = strstr(p, ", ");
		if (!st_num(p, &a[n], &path))
			return cerr(c, "expected a number as %s's argument %d", name, n + 1);
		if (path)
			fdpath = path;
		if (!comma)
			break;
		p = comma + 2;
	}
	t->sc = sc;
	memcpy(t->arg, a, sizeof(a));
	t->have_map = false;
	map_clear(&t->map);
	if (sc == SC_MMAP && fdpath && (int64_t)a[4] >= 0) {
		const char *e = strrchr(fdpath, '>');
		memset(&t->map, 0, sizeof(t->map));
		if (!(t->map.path = strndup(fdpath, e ? (size_t)(e - fdpath) : strlen(fdpath))))
			return oom_err(c);
		t->have_map = true;
	}
	struct tgroup *g = imap_get(&c->groups, t->tgid);
	int err = sys_exit(c, g->sp, t, ret);
	t->sc = SC_NONE;
	t->have_map = false;
	map_clear(&t->map);
	return err;
}

static int strace_line(struct conv *c, char *s)
{
	int tid, n = 0;
	char *rest;
	struct thread *t;

	s[strcspn(s, "\n")] = 0;
	if (!*s || *s == '#')
		return 0;
	if (sscanf(s, "%d %n", &tid, &n) < 1 || !n || tid <= 0)
		return cerr(c, "expected 'TID CALL...' (strace -f -q -X raw -y)");
	rest = s + n;
	t = imap_get(&c->threads, tid);
	if (!t) {
		if (c->n_procs) /* a child whose clone has not returned yet */
			return kept_add(c, &c->orphans, tid, s);
		if (!(t = thread_get(c, tid, tid)))     /* the command */
			return -1;
	}
	if (!imap_get(&c->groups, t->tgid))
		return cerr(c, "task %d of process %d, which has exited", tid, t->tgid);
	if (!strncmp(rest, "+++ ", 4))
		return ev_task_exit(c, t);
	if (!strncmp(rest, "--- ", 4))
		return 0;                 /* a signal */
	char *unf = strstr(rest, " <unfinished ...>");
	if (unf) {
		*unf = 0;
		return kept_add(c, &c->partial, tid, rest);
	}
	if (!strncmp(rest, "<... ", 5)) {
		struct kept *k = imap_get(&c->partial, tid);
		char *r = strstr(rest, " resumed>"), *full;
		int err;

		if (!r || !k || !k->n)
			return cerr(c, "a 'resumed' line with no unfinished call before it");
		if (asprintf(&full, "%s%s", k->v[k->n - 1], r + 9) < 0)
			return oom_err(c);
		free(k->v[--k->n]);
		err = strace_call(c, t, full);
		free(full);
		return err;
	}
	return strace_call(c, t, rest);
}

/* ---------------------------------------------------------------- the trace */

static int write_files(struct conv *c, FILE *out)
{
	/* in the order made: the list is newest first */
	struct cfile **v = calloc(c->nfiles ? c->nfiles : 1, sizeof(*v));
	unsigned n = 0;

	if (!v)
		return oom_err(c);
	for (struct cfile *f = c->files; f; f = f->next)
		v[n++] = f;
	while (n--) {
		struct cfile *f = v[n];
		struct stat st;
		bool same = !f->synthetic && !stat(f->path, &st) && S_ISREG(st.st_mode) &&
			    (!f->ino || (uint64_t)st.st_ino == f->ino);

		if (same && !c->o->portable) {
			fprintf(out, "hostfile %s %s\n", f->name, f->path);
		} else {
			uint64_t size = same ? (uint64_t)st.st_size : f->extent;
			fprintf(out, "file %s %" PRIu64 " %u\t# %s%s\n", f->name, size, c->nfiles - n,
				f->path, same ? "" : " (gone or special: its size is what was mapped)");
		}
	}
	free(v);
	return 0;
}

static void conv_free(struct conv *c)
{
	while (c->all_threads) {
		struct thread *t = c->all_threads;
		c->all_threads = t->next;
		held_clear(t);
		free(t->held);
		map_clear(&t->map);
		free(t);
	}
	while (c->all_groups) {
		struct tgroup *g = c->all_groups;
		c->all_groups = g->next;
		free(g);
	}
	while (c->all_spaces) {
		struct space *sp = c->all_spaces;
		c->all_spaces = sp->next;
		free(sp->r);
		free(sp);
	}
	while (c->files) {
		struct cfile *f = c->files;
		c->files = f->next;
		free(f->name);
		free(f->path);
		free(f);
	}
	for (size_t i = 0; i < c->partial.cap; i++)
		if (c->partial.keys[i] > 0)
			kept_free(c->partial.vals[i]);
	for (size_t i = 0; i < c->orphans.cap; i++)
		if (c->orphans.keys[i] > 0)
			kept_free(c->orphans.vals[i]);
	imap_free(&c->partial);
	imap_free(&c->orphans);
	imap_free(&c->threads);
	imap_free(&c->groups);
	if (c->body)
		fclose(c->body);
}

int capture_convert(FILE *in, const char *in_name, const struct capture_opts *o, FILE *errf)
{
	struct conv c = { .o = o, .in_name = in_name, .errf = errf };
	char *buf = NULL;
	size_t cap = 0;
	FILE *out = NULL;
	int status = 1;

	if (!(c.body = tmpfile())) {
		fprintf(errf, "revmap: capture: cannot make a temporary file: %s\n", strerror(errno));
		return 1;
	}
	while (getline(&buf, &cap, in) > 0) {
		c.line++;
		if (o->strace ? strace_line(&c, buf) : conv_line(&c, buf))
			goto out;
	}
	free(buf);
	buf = NULL;
	if (ferror(in)) {
		fprintf(errf, "revmap: capture: error reading %s\n", in_name);
		goto out;
	}
	if (c.n_lost) {
		fprintf(errf, "revmap: capture: %s: perf lost %" PRIu64 " events: the trace would "
			"not be what the program did (a larger buffer, or a quieter machine)\n",
			in_name, c.n_lost);
		goto out;
	}
	if (!c.n_procs) {
		fprintf(errf, "revmap: capture: %s: no process in it (is it %s's text?)\n",
			in_name, o->strace ? "strace" : "perf script");
		goto out;
	}
	out = strcmp(o->out_path, "-") ? fopen(o->out_path, "w") : stdout;
	if (!out) {
		fprintf(errf, "revmap: capture: cannot write %s: %s\n", o->out_path, strerror(errno));
		goto out;
	}
	fprintf(out, "revmap-trace 1\n# made by revmap capture %s%s%s\n", REVMAP_VERSION,
		o->command_line ? ": " : "", o->command_line ? o->command_line : "");
	fprintf(out, "# %d process%s, %" PRIu64 " system calls, %" PRIu64 " faults (%" PRIu64
		" where no mapping was known: dropped), %u files, %" PRIu64 " failed mmap/mremap "
		"(comments), %" PRIu64 " advice the trace cannot say, %" PRIu64
		" file mappings without a path\n", c.n_procs, c.n_procs == 1 ? "" : "es", c.n_calls, c.n_faults, c.n_dropped,
		c.nfiles, c.n_failed_maps, c.n_skipped_advice, c.n_unknown_map);
	if (o->strace)
		fprintf(out, "# recorded with strace: no page faults, none of the mappings execve "
			"made; %" PRIu64 " calls on memory it could not show are comments\n",
			c.n_unknown_calls);
	if (write_files(&c, out))
		goto out;
	rewind(c.body);
	{
		char chunk[65536];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), c.body)) > 0)
			if (fwrite(chunk, 1, n, out) != n)
				break;
	}
	if (ferror(c.body) || ferror(out) || (out != stdout ? fclose(out) : fflush(out))) {
		fprintf(errf, "revmap: capture: error writing %s\n", o->out_path);
		out = NULL;
		goto out;
	}
	out = NULL;
	status = 0;
	fprintf(errf, "revmap: capture: wrote %s: %d process%s, %" PRIu64 " system calls, %"
		PRIu64 " faults\n", o->out_path, c.n_procs, c.n_procs == 1 ? "" : "es", c.n_calls,
		c.n_faults);
out:
	if (out && out != stdout)
		fclose(out);
	free(buf);
	conv_free(&c);
	return status;
}

/* ---------------------------------------------------------------- recording */

/* tracefs, where perf looks for tracepoints; mounted if it is not */
static int ensure_tracefs(FILE *errf)
{
	if (!access("/sys/kernel/tracing/events/syscalls", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events/syscalls", F_OK))
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) &&
	    access("/sys/kernel/tracing/events/syscalls", F_OK)) {
		fprintf(errf, "revmap: capture: no tracefs at /sys/kernel/tracing and mounting it "
			"failed: %s (capture needs root, and a kernel with tracepoints for "
			"system calls: CONFIG_FTRACE_SYSCALLS)\n", strerror(errno));
		return -1;
	}
	if (access("/sys/kernel/tracing/events/syscalls", F_OK)) {
		fprintf(errf, "revmap: capture: this kernel has no system-call tracepoints "
			"(CONFIG_FTRACE_SYSCALLS)\n");
		return -1;
	}
	return 0;
}

/* run argv, standard output to out_fd and standard error to err_fd if
 * >= 0; => its exit status, or -1 */
static int run(char *const argv[], int out_fd, int err_fd, FILE *errf)
{
	pid_t pid = fork();
	int st;

	if (pid < 0) {
		fprintf(errf, "revmap: capture: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (out_fd >= 0)
			dup2(out_fd, 1);
		if (err_fd >= 0)
			dup2(err_fd, 2);
		execvp(argv[0], argv);
		fprintf(stderr, "revmap: capture: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* can perf record the tracepoints here?  (a short recording of true) */
static bool perf_works(const char *dir)
{
	char data[96];
	int rc;

	snprintf(data, sizeof(data), "%s/probe.data", dir);
	int null = open("/dev/null", O_WRONLY);
	rc = run((char *[]){ "perf", "record", "-q", "-o", data, "-e",
			     "exceptions:page_fault_user,syscalls:sys_enter_mmap", "--", "true", NULL },
		 null, null, stderr);
	if (null >= 0)
		close(null);
	unlink(data);
	return rc == 0;
}

/* record argv with strace into text; => its exit status, or -1 */
static int strace_record(char **argv, const char *text, FILE *errf)
{
	size_t n = 0, k = 0;
	char trace[256];
	int rc;

	while (argv[n])
		n++;
	char **sv = calloc(n + 16, sizeof(*sv));
	if (!sv)
		return -1;
	snprintf(trace, sizeof(trace), "trace=%s", capture_strace_calls);
	sv[k++] = "strace", sv[k++] = "-f", sv[k++] = "-q", sv[k++] = "-X", sv[k++] = "raw";
	sv[k++] = "-y", sv[k++] = "-e", sv[k++] = "signal=none", sv[k++] = "-e", sv[k++] = trace;
	sv[k++] = "-o", sv[k++] = (char *)text, sv[k++] = "--";
	for (size_t i = 0; i < n; i++)
		sv[k++] = argv[i];
	sv[k] = NULL;
	rc = run(sv, -1, -1, errf);
	free(sv);
	return rc;
}

int capture_record(const struct capture_opts *o, char **argv, FILE *errf)
{
	char dir[] = "/tmp/revmap-capture-XXXXXX", data[64], text[64], errs[64];
	int status = 1, rc, fd = -1, efd = -1;
	FILE *in = NULL;
	struct timespec t0, t1;

	struct capture_opts so = *o;
	const char *why = NULL;

	if (!mkdtemp(dir)) {
		fprintf(errf, "revmap: capture: cannot make a directory in /tmp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(data, sizeof(data), "%s/perf.data", dir);
	snprintf(text, sizeof(text), "%s/perf.txt", dir);
	snprintf(errs, sizeof(errs), "%s/perf.err", dir);
	/* perf, or strace where perf cannot */
	if (!o->strace) {
		if (geteuid() != 0)
			why = "perf's tracepoints need root";
		else if (access("/usr/bin/perf", X_OK) &&
			 run((char *[]){ "perf", "--version", NULL }, -1, -1, errf) != 0)
			why = "no perf (Debian: apt-get install linux-perf)";
		else if (ensure_tracefs(errf))
			why = "no tracefs";
		else if (!perf_works(dir))
			why = "perf record of the tracepoints failed (perf_event_paranoid, or a "
			      "kernel without them)";
	}
	if (o->strace || why) {
		int null = open("/dev/null", O_WRONLY);
		int have = run((char *[]){ "strace", "-V", NULL }, null, null, errf);
		if (null >= 0)
			close(null);
		if (have != 0) {
			fprintf(errf, "revmap: capture: %s%sand no strace either (Debian: apt-get "
				"install strace)\n", why ? why : "", why ? "; " : "");
			rmdir(dir);
			return 1;
		}
		if (why)
			fprintf(errf, "revmap: capture: %s: recording with strace instead, which sees "
				"no page faults and none of the mappings execve makes\n", why);
		so.strace = true;
		const char *keep = o->script_path ? o->script_path : text;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = strace_record(argv, keep, errf);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fprintf(errf, "revmap: capture: %s exited with status %d after %.2f s under strace\n",
			argv[0], rc, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (!(in = fopen(keep, "r"))) {
			fprintf(errf, "revmap: capture: strace wrote nothing to %s\n", keep);
			goto out;
		}
		status = capture_convert(in, keep, &so, errf);
		goto out;
	}

	/* perf record -d: MMAP2 records for data mappings too; -m: a large
	 * ring, events lost make the capture fail; no build-ids (slow, and of
	 * no use here) */
	size_t n = 0;
	while (argv[n])
		n++;
	char **pv = calloc(n + 16, sizeof(*pv));
	if (!pv)
		goto out;
	size_t k = 0;
	pv[k++] = "perf", pv[k++] = "record", pv[k++] = "-q", pv[k++] = "-d";
	pv[k++] = "-m", pv[k++] = "4096", pv[k++] = "--no-buildid", pv[k++] = "--no-buildid-cache";
	pv[k++] = "-o", pv[k++] = data, pv[k++] = "-e", pv[k++] = (char *)capture_events;
	pv[k++] = "--";
	for (size_t i = 0; i < n; i++)
		pv[k++] = argv[i];
	pv[k] = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = run(pv, -1, -1, errf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(pv);
	if (access(data, R_OK)) {
		fprintf(errf, "revmap: capture: perf record wrote nothing (it exited with %d)\n", rc);
		goto out;
	}
	fprintf(errf, "revmap: capture: %s exited with status %d after %.2f s under perf\n",
		argv[0], rc, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	const char *keep = o->script_path ? o->script_path : text;
	fd = open(keep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fprintf(errf, "revmap: capture: cannot write %s: %s\n", keep, strerror(errno));
		goto out;
	}
	/* perf script's complaints about fields of other event types are noise;
	 * they are shown only if it fails */
	efd = open(errs, O_RDWR | O_CREAT | O_TRUNC, 0600);
	rc = run((char *[]){ "perf", "script", "-i", data, "--show-mmap-events",
			     "--show-lost-events", "-F", "pid,tid,time,event,trace", NULL }, fd,
		 efd, errf);
	close(fd);
	if (rc) {
		char msg[4096];
		ssize_t m = efd >= 0 ? pread(efd, msg, sizeof(msg) - 1, 0) : -1;
		if (m > 0) {
			msg[m] = 0;
			fputs(msg, errf);
		}
		fprintf(errf, "revmap: capture: perf script failed (status %d)\n", rc);
		goto out;
	}
	if (!(in = fopen(keep, "r"))) {
		fprintf(errf, "revmap: capture: cannot read %s: %s\n", keep, strerror(errno));
		goto out;
	}
	status = capture_convert(in, keep, o, errf);
out:
	if (in)
		fclose(in);
	if (efd >= 0)
		close(efd);
	unlink(data);
	unlink(text);
	unlink(errs);
	rmdir(dir);
	return status;
}
