/*
 * tools/linux-replay.c - the differential tester: runs a trace on the real
 * Linux kernel of this machine and writes the canonical dump of the result.
 *
 *   linux-replay TRACE [--dump FILE] [--timeout SECONDS]
 *
 * Exit status: 0 all went well; 1 some "= result" expectation did not hold
 * (each one is printed as PATH:LINE: expected X, got Y); 2 the trace does not
 * parse or uses something this tester cannot run (directives, hostfile, calls
 * that could touch memory past the window, brk before brkbase); 3 the
 * environment cannot do it (not root, no PFNs in pagemap, window not free, a
 * worker died or hung).
 *
 * Shape.  The controller (this process, after parsing) runs one worker
 * process per trace pid and talks to each over a SOCK_SEQPACKET socketpair,
 * one event at a time, in trace order; each command returns its result.
 *
 *   controller --spawn--> fork + execve(self, "--worker"), channel on fd 3
 *   worker(1)  --fork---> the worker itself forks, so the child shares its
 *                         pages copy-on-write; the child's new channel comes
 *                         over the old one with SCM_RIGHTS
 *   exec                  the worker re-execs itself (keeping fd 3) and does
 *                         its setup again in a fresh address space
 *   exit                  the worker _exit()s; the controller waits on a
 *                         pidfd until the process is gone (its mm is torn
 *                         down before it becomes a zombie) and reaps it
 *
 * The controller is PR_SET_CHILD_SUBREAPER, so the children of a worker that
 * exits become its children and are reaped by it; workers ignore SIGCHLD so
 * their own exited children vanish at once.  Workers the controller spawned
 * die with it (PR_SET_PDEATHSIG); forked workers cannot use that while their
 * trace parent lives (it would kill them when the parent exits), so they get
 * it once adopted by the controller, and every worker also exits when its
 * channel reports end of file.
 *
 * Address space.  Traces keep their mappings in [0x100000000000,
 * 0x200000000000).  A worker, right after exec, reserves every free gap from
 * 0x200000000000 to the top of the 47-bit user space with PROT_NONE shared
 * anonymous NORESERVE mappings (shared: they never merge with a trace
 * mapping), leaving 64 MiB below the stack for it to grow.  So mmap(0) and
 * other placements chosen by the kernel land top-down from 0x200000000000,
 * as in revmap.  After that setup a worker never allocates: no malloc (its
 * brk may be moved into the window by `brkbase`, done with PR_SET_MM_MAP,
 * which unlike PR_SET_MM_START_BRK needs no CAP_SYS_RESOURCE), no stdio;
 * static buffers and raw system calls only.
 *
 * Files (`file`, `truncate`, `fwrite`) are regular files on tmpfs in a
 * private directory /dev/shm/linux-replay.<pid>.XXXXXX, made and written by
 * the controller and removed at the end (or by the next run, if this one was
 * SIGKILLed); each mmap line opens the file anew, O_RDWR (so that only VMAs
 * of one mmap line can merge, as revmap's vm_area.file_open), and the
 * worker maps and closes that descriptor.
 *
 * All processes run on one CPU (per-CPU LRU batches would make MADV_COLD,
 * MADV_PAGEOUT and COW reuse timing-dependent) with THP disabled.
 *
 * Dump.  For each live pid, ascending: the VMAs of /proc/PID/maps that meet
 * the window, then each page whose pagemap entry is present: its PFN is the
 * raw frame id, /proc/kpageflags tells zero page and anon, /proc/kpagecount
 * the map count, and /proc/PID/mem (pread, present pages only, so nothing
 * faults) its contents.
 *
 * This tester must be built without AddressSanitizer: ASan's shadow covers
 * the window.  It checks that and exits 3.
 */
#include "../sim/trace.h"
#include "../sim/dump.h"
#include "../host/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WIN_LO     0x100000000000ULL
#define WIN_HI     0x200000000000ULL
#define USER_TOP   0x7ffffffff000ULL    /* end of the 47-bit user space */
#define ADDR_LIMIT 0x800000000000ULL    /* addresses above fault anyway */
#define STACK_GAP  (64ULL << 20)        /* left free below the stack VMA */
#define PAGE       4096ULL
#define CHAN_FD    3                    /* a worker's command channel */

/* Linux constants, spelled out so that old headers do not matter. */
#define L_MAP_SHARED          0x01
#define L_MAP_PRIVATE         0x02
#define L_MAP_FIXED           0x10
#define L_MAP_ANONYMOUS       0x20
#define L_MAP_NORESERVE       0x4000
#define L_MAP_POPULATE        0x8000
#define L_MAP_LOCKED          0x2000
#define L_MAP_FIXED_NOREPLACE 0x100000
#define L_MREMAP_MAYMOVE      1
#define L_MREMAP_FIXED        2
#define L_MREMAP_DONTUNMAP    4
#define L_PR_SET_MM           35
#define L_PR_SET_MM_MAP       14
#define L_PR_SET_MM_MAP_SIZE  15
#define L_PR_SET_CHILD_SUBREAPER 36
#define KPF_ANON              12
#define KPF_ZERO_PAGE         24

static const int madv_of[TR_NR_ADVICE] = {
	[TR_ADV_NORMAL] = 0, [TR_ADV_RANDOM] = 1, [TR_ADV_SEQUENTIAL] = 2,
	[TR_ADV_WILLNEED] = 3, [TR_ADV_DONTNEED] = 4, [TR_ADV_FREE] = 8,
	[TR_ADV_REMOVE] = 9, [TR_ADV_DONTFORK] = 10, [TR_ADV_DOFORK] = 11,
	[TR_ADV_WIPEONFORK] = 18, [TR_ADV_KEEPONFORK] = 19, [TR_ADV_COLD] = 20,
	[TR_ADV_PAGEOUT] = 21, [TR_ADV_POPULATE_READ] = 22,
	[TR_ADV_POPULATE_WRITE] = 23,
};

/* ------------------------------------------------------------------ */
/* protocol                                                            */

enum cmd_op {
	C_MMAP = 1, C_MUNMAP, C_MPROTECT, C_MREMAP, C_MADVISE, C_MLOCK,
	C_MUNLOCK, C_BRKBASE, C_BRK, C_RFP, C_READ, C_WRITE, C_TOUCH,
	C_FORK,         /* carries the child's channel (SCM_RIGHTS) */
	C_EXEC,         /* no reply from this image; the new one says READY */
	C_EXIT,         /* no reply: the worker _exit()s */
	C_ADOPTED,      /* parent exited: set PDEATHSIG now */
};

struct cmd {
	uint32_t op;            /* enum cmd_op */
	uint32_t line;          /* trace line, for messages */
	uint64_t a[6];          /* syscall arguments, as the worker passes them */
	char path[320];         /* C_MMAP of a file: its path, else "" */
};

enum reply_type { R_RESULT = 1, R_READY, R_FATAL };

struct reply {
	uint32_t type;          /* enum reply_type */
	uint32_t res;           /* R_RESULT: enum tr_res_type */
	uint64_t val;           /* R_RESULT: value; R_READY: the worker's pid */
	char msg[256];          /* R_FATAL: what went wrong */
};

/* ================================================================== */
/* worker                                                              */
/* ================================================================== */

/*
 * Everything below runs in worker processes: static storage, system calls,
 * no malloc and no stdio once the address space is reserved.
 */

static sigjmp_buf w_jmp;                        /* fault recovery for r/w/touch */
static volatile sig_atomic_t w_in_access;       /* a fault now is the trace's */
static char w_maps[256 * 1024];                 /* /proc/self/maps snapshot */
static uint64_t w_own_lo[512], w_own_hi[512];   /* the worker's own VMAs */
static int w_nown;

static size_t w_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static void w_write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t r = write(fd, s, n);
		if (r <= 0)
			return;
		s += r;
		n -= (size_t)r;
	}
}

static char *w_hex(char *o, uint64_t v)
{
	char tmp[20];
	int n = 0;
	*o++ = '0';
	*o++ = 'x';
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*o++ = tmp[--n];
	return o;
}

static void w_reply(uint32_t type, uint32_t res, uint64_t val)
{
	struct reply r;
	memset(&r, 0, sizeof(r));
	r.type = type;
	r.res = res;
	r.val = val;
	if (send(CHAN_FD, &r, sizeof(r), MSG_NOSIGNAL) != (ssize_t)sizeof(r))
		_exit(0);       /* the controller is gone */
}

/* Tell the controller that setup failed, and die. */
static void w_fatal(const char *what, int err, uint64_t addr)
{
	struct reply r;
	char *o;
	memset(&r, 0, sizeof(r));
	r.type = R_FATAL;
	size_t n = w_strlen(what);
	if (n > 150)
		n = 150;
	memcpy(r.msg, what, n);
	o = r.msg + n;
	if (addr) {
		*o++ = ' ';
		o = w_hex(o, addr);
	}
	if (err) {
		const char *e = tr_errno_name(err);
		*o++ = ':';
		*o++ = ' ';
		if (e) {
			n = w_strlen(e);
			memcpy(o, e, n);
			o += n;
		}
	}
	*o = '\0';
	if (send(CHAN_FD, &r, sizeof(r), MSG_NOSIGNAL) < 0) {
		w_write_all(2, "linux-replay worker: ", 21);
		w_write_all(2, r.msg, w_strlen(r.msg));
		w_write_all(2, "\n", 1);
	}
	_exit(3);
}

static void w_fault(int sig)
{
	if (!w_in_access) {
		/* not a trace access: a bug in the worker; die of it */
		signal(sig, SIG_DFL);
		return;
	}
	w_in_access = 0;
	siglongjmp(w_jmp, sig);
}

static uint64_t w_parse_hex(const char **pp)
{
	const char *p = *pp;
	uint64_t v = 0;
	for (;; p++) {
		char c = *p;
		if (c >= '0' && c <= '9')
			v = (v << 4) | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (v << 4) | (uint64_t)(c - 'a' + 10);
		else
			break;
	}
	*pp = p;
	return v;
}

static uint64_t w_parse_dec(const char **pp)
{
	const char *p = *pp;
	uint64_t v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	*pp = p;
	return v;
}

/* => reads a whole /proc file into buf (NUL-terminated); returns its length. */
static size_t w_read_file(const char *path, char *buf, size_t cap)
{
	long len = host_read_file(path, buf, cap);

	if (len == -EFBIG)
		w_fatal("/proc/self file too large", 0, 0);
	if (len < 0)
		w_fatal("cannot read /proc/self file", (int)-len, 0);
	return (size_t)len;
}

/*
 * Reserve every free gap in [WIN_HI, USER_TOP), except STACK_GAP below the
 * stack, and record the worker's own VMAs.
 * => the window must be empty (else fatal: e.g. ASan shadow memory).
 */
static void w_reserve(void)
{
	const char *p;
	uint64_t prev = WIN_HI;

	w_read_file("/proc/self/maps", w_maps, sizeof(w_maps));
	w_nown = 0;
	for (p = w_maps; *p;) {
		const char *line = p;
		uint64_t lo = w_parse_hex(&p);
		if (*p != '-')
			w_fatal("cannot parse /proc/self/maps", 0, 0);
		p++;
		uint64_t hi = w_parse_hex(&p);
		const char *eol = line;
		while (*eol && *eol != '\n')
			eol++;
		bool stack = eol - line > 7 && memcmp(eol - 7, "[stack]", 7) == 0;
		p = *eol ? eol + 1 : eol;

		if (lo < WIN_HI && hi > WIN_LO)
			w_fatal("the window [0x100000000000, 0x200000000000) is not free; "
				"a mapping is at", 0, lo);
		if (w_nown < 512) {
			w_own_lo[w_nown] = stack && lo >= STACK_GAP ? lo - STACK_GAP : lo;
			w_own_hi[w_nown] = hi;
			w_nown++;
		}
		if (hi <= WIN_HI || lo >= USER_TOP)
			continue;
		uint64_t end = stack ? (lo > STACK_GAP ? lo - STACK_GAP : 0) : lo;
		if (end > USER_TOP)
			end = USER_TOP;
		if (end > prev) {
			long r = syscall(SYS_mmap, prev, end - prev, PROT_NONE,
					 L_MAP_SHARED | L_MAP_ANONYMOUS | L_MAP_NORESERVE |
					 L_MAP_FIXED_NOREPLACE, -1, 0);
			if (r == -1 || (uint64_t)r != prev)
				w_fatal("cannot reserve the address space at", errno, prev);
		}
		if (hi > prev)
			prev = hi;
	}
	if (prev < USER_TOP) {
		long r = syscall(SYS_mmap, prev, USER_TOP - prev, PROT_NONE,
				 L_MAP_SHARED | L_MAP_ANONYMOUS | L_MAP_NORESERVE |
				 L_MAP_FIXED_NOREPLACE, -1, 0);
		if (r == -1 || (uint64_t)r != prev)
			w_fatal("cannot reserve the address space at", errno, prev);
	}

	/* placement chosen by the kernel must now be top-down from WIN_HI */
	long probe = syscall(SYS_mmap, 0, PAGE, PROT_NONE,
			     L_MAP_PRIVATE | L_MAP_ANONYMOUS, -1, 0);
	if (probe == -1)
		w_fatal("cannot map a probe page", errno, 0);
	syscall(SYS_munmap, probe, PAGE);
	if ((uint64_t)probe != WIN_HI - PAGE)
		w_fatal("mmap(0) does not place top-down from 0x200000000000; it chose",
			0, (uint64_t)probe);
}

/* Is [addr, addr+8) in the worker's own memory (outside the window)? */
static bool w_own(uint64_t addr)
{
	for (int i = 0; i < w_nown; i++)
		if (addr + 8 > w_own_lo[i] && addr < w_own_hi[i])
			return true;
	return false;
}

/*
 * One 8-byte access.  => returns 0, or the signal (SIGSEGV/SIGBUS) that
 * stopped it; *val is the value read / to write.
 */
static int w_access(uint64_t addr, bool write, uint64_t *val)
{
	volatile uint64_t v = *val;
	int sig;

	if (w_own(addr))
		return SIGSEGV;         /* the controller refuses these; be safe */
	sig = sigsetjmp(w_jmp, 0);      /* SA_NODEFER: no mask to restore */
	if (sig)
		return sig;
	w_in_access = 1;
#if defined(__x86_64__)
	if (write) {
		uint64_t x = v;
		__asm__ volatile("movq %1, (%0)" : : "r"(addr), "r"(x) : "memory");
	} else {
		uint64_t x;
		__asm__ volatile("movq (%1), %0" : "=r"(x) : "r"(addr) : "memory");
		v = x;
	}
#else
	if (write)
		*(volatile uint64_t *)(uintptr_t)addr = v;
	else
		v = *(volatile uint64_t *)(uintptr_t)addr;
#endif
	w_in_access = 0;
	*val = v;
	return 0;
}

static uint32_t w_sig_res(int sig)
{
	return sig == SIGBUS ? RES_BUS : RES_SEGV;
}

/* The kernel's prctl_mm_map (include/uapi/linux/prctl.h). */
struct mm_map {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv;
	uint32_t auxv_size;
	uint32_t exe_fd;
};

/*
 * brkbase: start of heap and break := addr.  PR_SET_MM_START_BRK/BRK need
 * CAP_SYS_RESOURCE; PR_SET_MM_MAP needs no capability, so set the whole map
 * with the other fields as /proc/self/stat shows them.
 * => returns 0 or -errno.
 */
static long w_brkbase(uint64_t addr)
{
	static char stat[4096];
	struct mm_map m;
	uint64_t f[56];
	const char *p;
	int i;

	w_read_file("/proc/self/stat", stat, sizeof(stat));
	p = stat + w_strlen(stat);
	while (p > stat && *p != ')')
		p--;
	if (*p != ')')
		return -EIO;
	p++;
	memset(f, 0, sizeof(f));
	for (i = 3; i < 56 && *p; i++) {        /* field 3 is the state letter */
		while (*p == ' ')
			p++;
		if (*p >= '0' && *p <= '9')
			f[i] = w_parse_dec(&p);
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	if (i < 52)
		return -EIO;
	memset(&m, 0, sizeof(m));
	m.start_code = f[26];
	m.end_code = f[27];
	m.start_stack = f[28];
	m.start_data = f[45];
	m.end_data = f[46];
	m.arg_start = f[48];
	m.arg_end = f[49];
	m.env_start = f[50];
	m.env_end = f[51];
	m.start_brk = addr;
	m.brk = addr;
	m.exe_fd = (uint32_t)-1;
	if (syscall(SYS_prctl, L_PR_SET_MM, L_PR_SET_MM_MAP, &m, sizeof(m), 0) != 0)
		return -errno;
	return 0;
}

static void w_result_sys(long r)
{
	if (r == -1)
		w_reply(R_RESULT, RES_ERR, (uint64_t)errno);
	else
		w_reply(R_RESULT, RES_ZERO, 0);
}

static void w_result_addr(long r)
{
	if (r == -1)
		w_reply(R_RESULT, RES_ERR, (uint64_t)errno);
	else
		w_reply(R_RESULT, RES_HEX, (uint64_t)r);
}

static void w_setup(void)
{
	struct stat st;
	struct sigaction sa;

	if (fstat(CHAN_FD, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		static const char m[] = "linux-replay: --worker is internal (needs the channel on fd 3)\n";
		w_write_all(2, m, sizeof(m) - 1);
		_exit(3);
	}
	syscall(SYS_close_range, CHAN_FD + 1, ~0U, 0);
	host_thp_off();
	mallopt(M_MMAP_MAX, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = w_fault;
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGCHLD, SIG_IGN);       /* exited children vanish: no zombies */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);        /* the controller decides */

	w_reserve();
	w_reply(R_READY, 0, (uint64_t)getpid());
}

static void w_do_fork(int newfd)
{
	pid_t pid = fork();

	if (pid < 0) {
		close(newfd);
		w_reply(R_RESULT, RES_ERR, (uint64_t)errno);
		return;
	}
	if (pid == 0) {
		/* the child: the new channel replaces the parent's */
		if (dup2(newfd, CHAN_FD) < 0)
			_exit(3);
		close(newfd);
		w_reply(R_READY, 0, (uint64_t)getpid());
		return;
	}
	close(newfd);
	w_reply(R_RESULT, RES_OK, (uint64_t)pid);
}

static void w_do_exec(void)
{
	static char arg0[] = "linux-replay";
	static char arg1[] = "--worker";
	static char *argv[] = { arg0, arg1, NULL };
	extern char **environ;

	execve("/proc/self/exe", argv, environ);
	w_fatal("execve of /proc/self/exe failed", errno, 0);
}

static void w_do_touch(const struct cmd *c)
{
	uint64_t addr = c->a[0], len = c->a[1], val = c->a[3];
	bool write = c->a[2] != 0;

	if (len == 0) {
		w_reply(R_RESULT, RES_OK, 0);
		return;
	}
	uint64_t first = addr & ~(PAGE - 1);
	uint64_t last = (addr + len - 1 < addr ? UINT64_MAX : addr + len - 1) & ~(PAGE - 1);
	for (uint64_t pg = first;; pg += PAGE) {
		uint64_t v = val;
		int sig = w_access(pg, write, &v);
		if (sig) {
			w_reply(R_RESULT, w_sig_res(sig), 0);
			return;
		}
		if (pg == last)
			break;
	}
	w_reply(R_RESULT, RES_OK, 0);
}

static void w_loop(void)
{
	static struct cmd c;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;

	for (;;) {
		struct iovec iov = { &c, sizeof(c) };
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		ssize_t n = recvmsg(CHAN_FD, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(c))
			_exit(0);       /* the controller is gone */
		int fd = -1;
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if (c.op != C_FORK && c.op != C_MMAP && fd >= 0) {
			close(fd);
			fd = -1;
		}

		const uint64_t *a = c.a;
		long r;
		uint64_t v;
		int sig;
		switch (c.op) {
		case C_MMAP: {
			/* a file mapping uses the controller's open file,
			 * passed along with the command */
			int mfd = fd;
			if (c.path[0] && mfd < 0) {
				w_reply(R_RESULT, RES_ERR, (uint64_t)EBADF);
				break;
			}
			r = syscall(SYS_mmap, a[0], a[1], a[2], a[3], mfd, a[4]);
			int e = errno;
			if (mfd >= 0)
				close(mfd);
			errno = e;
			w_result_addr(r);
			break;
		}
		case C_MUNMAP:
			w_result_sys(syscall(SYS_munmap, a[0], a[1]));
			break;
		case C_MPROTECT:
			w_result_sys(syscall(SYS_mprotect, a[0], a[1], a[2]));
			break;
		case C_MREMAP:
			w_result_addr(syscall(SYS_mremap, a[0], a[1], a[2], a[3], a[4]));
			break;
		case C_MADVISE:
			w_result_sys(syscall(SYS_madvise, a[0], a[1], a[2]));
			break;
		case C_MLOCK:
			w_result_sys(syscall(SYS_mlock, a[0], a[1]));
			break;
		case C_MUNLOCK:
			w_result_sys(syscall(SYS_munlock, a[0], a[1]));
			break;
		case C_BRKBASE:
			r = w_brkbase(a[0]);
			if (r)
				w_reply(R_RESULT, RES_ERR, (uint64_t)-r);
			else
				w_reply(R_RESULT, RES_ZERO, 0);
			break;
		case C_BRK:
			r = syscall(SYS_brk, a[0]);
			w_reply(R_RESULT, RES_HEX, (uint64_t)r);
			break;
		case C_RFP:
			w_result_sys(syscall(SYS_remap_file_pages, a[0], a[1], 0, a[2], 0));
			break;
		case C_READ:
			v = 0;
			sig = w_access(a[0], false, &v);
			if (sig)
				w_reply(R_RESULT, w_sig_res(sig), 0);
			else
				w_reply(R_RESULT, RES_HEX, v);
			break;
		case C_WRITE:
			v = a[1];
			sig = w_access(a[0], true, &v);
			w_reply(R_RESULT, sig ? w_sig_res(sig) : RES_OK, 0);
			break;
		case C_TOUCH:
			w_do_touch(&c);
			break;
		case C_FORK:
			if (fd < 0)
				w_fatal("fork command without a channel", 0, 0);
			w_do_fork(fd);
			break;
		case C_EXEC:
			w_do_exec();
			break;
		case C_EXIT:
			_exit(0);
		case C_ADOPTED:
			if (getppid() == (pid_t)a[0])
				prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			if (getppid() != (pid_t)a[0])
				_exit(0);       /* the controller died meanwhile */
			w_reply(R_RESULT, RES_OK, 0);
			break;
		default:
			w_fatal("unknown command", 0, c.op);
		}
	}
}

static int worker_main(void)
{
	w_setup();
	w_loop();
	return 0;
}

/* ================================================================== */
/* controller                                                          */
/* ================================================================== */

struct proc {
	int tpid;               /* trace pid */
	pid_t ospid;            /* its process */
	int fd;                 /* controller end of its channel */
	int pidfd;              /* pidfd of ospid */
	int parent;             /* trace pid of the worker that forked it, 0 if spawned */
	bool live;
};

struct ctl {
	const char *trace_path;
	int base_timeout_ms;    /* --timeout */
	struct tr_trace t;
	struct tr_result *res;  /* one per event */
	struct proc *procs;
	size_t nprocs, cprocs;
	int timeout_ms;         /* for the current event */
	pid_t self;
	char tmpdir[64];        /* "" until made */
	int dirfd;              /* of tmpdir, -1 until made */
	int kpagecount, kpageflags;
};

/* The one controller: static so that a signal handler can clean up. */
static struct ctl G = { .dirfd = -1, .kpagecount = -1, .kpageflags = -1 };

/* Remove the temporary files: async-signal-safe (getdents64 + unlinkat). */
static void remove_tmpdir(void)
{
	static uint64_t buf64[512];
	char *buf = (char *)buf64;

	if (G.dirfd < 0)
		return;
	for (;;) {
		lseek(G.dirfd, 0, SEEK_SET);
		long n = syscall(SYS_getdents64, G.dirfd, buf, sizeof(buf64));
		if (n <= 0)
			break;
		int removed = 0;
		for (long off = 0; off < n;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);
			if (!(d->name[0] == '.' && (d->name[1] == '\0' ||
			      (d->name[1] == '.' && d->name[2] == '\0')))) {
				if (unlinkat(G.dirfd, d->name, 0) == 0)
					removed++;
			}
			off += d->reclen;
		}
		if (!removed)
			break;
	}
	close(G.dirfd);
	G.dirfd = -1;
	rmdir(G.tmpdir);
}

static void on_signal(int sig)
{
	for (size_t i = 0; i < G.nprocs; i++)
		if (G.procs[i].live)
			kill(G.procs[i].ospid, SIGKILL);
	remove_tmpdir();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void reap_all(void)
{
	int st;
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
}

/* Kill every worker, wait until they are gone, remove the files. */
static void cleanup(void)
{
	for (size_t i = 0; i < G.nprocs; i++) {
		struct proc *p = &G.procs[i];
		if (!p->live)
			continue;
		syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
		struct pollfd pf = { p->pidfd, POLLIN, 0 };
		poll(&pf, 1, 5000);
		close(p->pidfd);
		close(p->fd);
		p->live = false;
	}
	reap_all();
	remove_tmpdir();
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3), noreturn))
#endif
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("linux-replay: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(code);
}

static struct proc *proc_find(int tpid)
{
	for (size_t i = 0; i < G.nprocs; i++)
		if (G.procs[i].live && G.procs[i].tpid == tpid)
			return &G.procs[i];
	return NULL;
}

static struct proc *proc_new(int tpid)
{
	if (G.nprocs == G.cprocs) {
		size_t n = G.cprocs ? G.cprocs * 2 : 16;
		struct proc *p = realloc(G.procs, n * sizeof(*p));
		if (!p)
			die(3, "out of memory");
		G.procs = p;
		G.cprocs = n;
	}
	struct proc *p = &G.procs[G.nprocs];
	memset(p, 0, sizeof(*p));
	p->tpid = tpid;
	p->fd = p->pidfd = -1;
	G.nprocs++;
	return p;
}

static const char *describe_death(pid_t pid, char *buf, size_t len)
{
	int st;
	pid_t r = waitpid(pid, &st, WNOHANG);
	if (r == pid && WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else if (r == pid && WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else
		snprintf(buf, len, "died");
	return buf;
}

/*
 * Wait for one reply from p on fd (its channel, or a new one).
 * => returns the reply; dies (exit 3) if the worker dies, hangs or fails.
 */
static struct reply wait_reply(struct proc *p, int fd, uint32_t line)
{
	struct reply r;
	struct pollfd pf[2] = { { fd, POLLIN, 0 }, { p->pidfd, POLLIN, 0 } };
	char why[96];
	int npf = p->pidfd >= 0 ? 2 : 1;

	for (;;) {
		int n = poll(pf, (nfds_t)npf, G.timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			die(3, "%s:%" PRIu32 ": process %d (pid %d) did not answer within %d s",
			    G.trace_path, line, p->tpid, (int)p->ospid, G.timeout_ms / 1000);
		if (pf[0].revents) {
			ssize_t got = recv(fd, &r, sizeof(r), 0);
			if (got == (ssize_t)sizeof(r)) {
				if (r.type == R_FATAL) {
					r.msg[sizeof(r.msg) - 1] = '\0';
					die(3, "%s:%" PRIu32 ": process %d: %s", G.trace_path, line,
					    p->tpid, r.msg);
				}
				return r;
			}
			if (got < 0 && errno == EINTR)
				continue;
		} else if (!(npf == 2 && pf[1].revents)) {
			continue;
		}
		/* end of file, error, or the process is gone */
		if (p->pidfd >= 0) {
			struct pollfd q = { p->pidfd, POLLIN, 0 };
			poll(&q, 1, 1000);
		}
		die(3, "%s:%" PRIu32 ": process %d (pid %d) %s unexpectedly", G.trace_path,
		    line, p->tpid, (int)p->ospid, describe_death(p->ospid, why, sizeof(why)));
	}
}

static void send_cmd(struct proc *p, const struct cmd *c, int pass_fd)
{
	struct iovec iov = { (void *)c, sizeof(*c) };
	struct msghdr mh;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char why[96];

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (pass_fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	if (sendmsg(p->fd, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(*c))
		die(3, "%s:%" PRIu32 ": process %d (pid %d) %s unexpectedly", G.trace_path,
		    c->line, p->tpid, (int)p->ospid, describe_death(p->ospid, why, sizeof(why)));
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void ev_spawn(const struct tr_event *ev)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		die(3, "socketpair: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die(3, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != G.self)
			_exit(3);
		if (sv[1] == CHAN_FD)
			fcntl(CHAN_FD, F_SETFD, 0);
		else if (dup2(sv[1], CHAN_FD) < 0)
			_exit(3);
		static char arg0[] = "linux-replay";
		static char arg1[] = "--worker";
		char *argv[] = { arg0, arg1, NULL };
		extern char **environ;
		execve("/proc/self/exe", argv, environ);
		_exit(127);
	}
	close(sv[1]);
	struct proc *p = proc_new(ev->pid);
	p->ospid = pid;
	p->fd = sv[0];
	p->live = true;
	p->pidfd = pidfd_open_(pid);
	if (p->pidfd < 0)
		die(3, "pidfd_open: %s", strerror(errno));
	struct reply r = wait_reply(p, p->fd, ev->line);
	if (r.type != R_READY)
		die(3, "%s:%" PRIu32 ": process %d: unexpected reply", G.trace_path,
		    ev->line, ev->pid);
}

static void ev_fork(const struct tr_event *ev)
{
	struct proc *pp = proc_find(ev->pid);
	struct cmd c;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		die(3, "socketpair: %s", strerror(errno));
	memset(&c, 0, sizeof(c));
	c.op = C_FORK;
	c.line = ev->line;
	send_cmd(pp, &c, sv[1]);
	close(sv[1]);
	struct reply r = wait_reply(pp, pp->fd, ev->line);
	if (r.type != R_RESULT || r.res != RES_OK)
		die(3, "%s:%" PRIu32 ": fork in process %d failed: %s", G.trace_path,
		    ev->line, ev->pid, strerror((int)r.val));
	/* pp may move when procs grows */
	int parent = pp->tpid;
	struct proc *ch = proc_new(ev->child);
	ch->ospid = (pid_t)r.val;
	ch->fd = sv[0];
	ch->parent = parent;
	ch->live = true;
	ch->pidfd = pidfd_open_(ch->ospid);
	if (ch->pidfd < 0)
		die(3, "%s:%" PRIu32 ": pidfd_open of the child: %s", G.trace_path,
		    ev->line, strerror(errno));
	r = wait_reply(ch, ch->fd, ev->line);
	if (r.type != R_READY || (pid_t)r.val != ch->ospid)
		die(3, "%s:%" PRIu32 ": process %d: unexpected reply", G.trace_path,
		    ev->line, ev->child);
}

static void ev_exec(const struct tr_event *ev)
{
	struct proc *p = proc_find(ev->pid);
	struct cmd c;

	memset(&c, 0, sizeof(c));
	c.op = C_EXEC;
	c.line = ev->line;
	send_cmd(p, &c, -1);
	struct reply r = wait_reply(p, p->fd, ev->line);
	if (r.type != R_READY || (pid_t)r.val != p->ospid)
		die(3, "%s:%" PRIu32 ": process %d: unexpected reply to exec", G.trace_path,
		    ev->line, ev->pid);
}

static void ev_exit(const struct tr_event *ev)
{
	struct proc *p = proc_find(ev->pid);
	struct cmd c;
	int tpid = p->tpid;

	memset(&c, 0, sizeof(c));
	c.op = C_EXIT;
	c.line = ev->line;
	send_cmd(p, &c, -1);
	struct pollfd pf = { p->pidfd, POLLIN, 0 };
	int n;
	do
		n = poll(&pf, 1, G.timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		die(3, "%s:%" PRIu32 ": process %d (pid %d) did not exit within %d s",
		    G.trace_path, ev->line, p->tpid, (int)p->ospid, G.timeout_ms / 1000);
	/* a zombie now (its mm is gone) or already reaped by its parent */
	int st;
	waitpid(p->ospid, &st, WNOHANG);
	close(p->pidfd);
	close(p->fd);
	p->live = false;
	reap_all();

	/* its children are ours now: let them die with us */
	for (size_t i = 0; i < G.nprocs; i++) {
		struct proc *q = &G.procs[i];
		if (!q->live || q->parent != tpid)
			continue;
		memset(&c, 0, sizeof(c));
		c.op = C_ADOPTED;
		c.line = ev->line;
		c.a[0] = (uint64_t)G.self;
		send_cmd(q, &c, -1);
		wait_reply(q, q->fd, ev->line);
		q->parent = 0;
	}
}

/* ---- files (in the controller) ---- */

static void file_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", G.tmpdir, name);
}

/*
 * Remove the temporary directories of controllers that died without cleaning
 * up (SIGKILL): they are named linux-replay.<pid>.XXXXXX.
 */
static void sweep_stale_tmpdirs(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char *end;
		if (strncmp(e->d_name, "linux-replay.", 13) != 0)
			continue;
		long pid = strtol(e->d_name + 13, &end, 10);
		if (end == e->d_name + 13 || *end != '.' || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		DIR *sub = fdopendir(fd);
		if (!sub) {
			close(fd);
			continue;
		}
		struct dirent *f;
		while ((f = readdir(sub)) != NULL)
			if (strcmp(f->d_name, ".") != 0 && strcmp(f->d_name, "..") != 0)
				unlinkat(dirfd(sub), f->d_name, 0);
		closedir(sub);
		unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static void make_tmpdir(void)
{
	if (G.tmpdir[0])
		return;
	sweep_stale_tmpdirs();
	snprintf(G.tmpdir, sizeof(G.tmpdir), "/dev/shm/linux-replay.%d.XXXXXX", (int)G.self);
	if (!mkdtemp(G.tmpdir)) {
		int e = errno;
		G.tmpdir[0] = '\0';
		die(3, "cannot make a temporary directory in /dev/shm: %s", strerror(e));
	}
	G.dirfd = open(G.tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (G.dirfd < 0) {
		int e = errno;
		rmdir(G.tmpdir);
		die(3, "cannot open %s: %s", G.tmpdir, strerror(e));
	}
}

/*
 * Each mmap line of a file opens it anew, as a program that calls open(2),
 * mmap(2) and close(2) for each mapping (the trace format's meaning, and
 * revmap's vm_area.file_open): two VMAs merge only when they map the same
 * open file description, so mappings of one file made by different mmap
 * lines never merge.  => a new descriptor, or -1 with errno.
 */
static int file_open_for_mmap(const char *name)
{
	return openat(G.dirfd, name, O_RDWR | O_CLOEXEC);
}

static void ev_file(const struct tr_event *ev)
{
	static unsigned char buf[1 << 16];
	char path[512];
	int fd;

	make_tmpdir();
	file_path(ev->name, path, sizeof(path));
	fd = openat(G.dirfd, ev->name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		die(3, "%s:%" PRIu32 ": cannot create %s: %s", G.trace_path, ev->line,
		    path, strerror(errno));
	uint64_t mul = ev->value * 0x9E3779B97F4A7C15ULL;
	for (uint64_t off = 0; off < ev->len;) {
		size_t n = sizeof(buf);
		if (ev->len - off < n)
			n = (size_t)(ev->len - off);
		/* word i = seed * K + i, little-endian, off is a multiple of 8 */
		for (size_t b = 0; b < n; b += 8) {
			uint64_t w = mul + (off + b) / 8;
			for (size_t k = 0; k < 8 && b + k < n; k++)
				buf[b + k] = (unsigned char)(w >> (8 * k));
		}
		ssize_t wr = pwrite(fd, buf, n, (off_t)off);
		if (wr != (ssize_t)n)
			die(3, "%s:%" PRIu32 ": cannot write %s: %s", G.trace_path, ev->line,
			    path, wr < 0 ? strerror(errno) : "short write");
		off += n;
	}
	close(fd);
}

static struct tr_result errno_result(int rc)
{
	struct tr_result r = { RES_ZERO, 0 };
	if (rc != 0) {
		r.type = RES_ERR;
		r.val = (uint64_t)errno;
	}
	return r;
}

static struct tr_result ev_truncate(const struct tr_event *ev)
{
	int fd = openat(G.dirfd, ev->name, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno_result(-1);
	struct tr_result r = errno_result(syscall(SYS_ftruncate, fd, ev->len) == 0 ? 0 : -1);
	close(fd);
	return r;
}

static struct tr_result ev_fwrite(const struct tr_event *ev)
{
	unsigned char b[8];
	int fd = openat(G.dirfd, ev->name, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno_result(-1);
	for (int k = 0; k < 8; k++)
		b[k] = (unsigned char)(ev->value >> (8 * k));
	long n = syscall(SYS_pwrite64, fd, b, 8, ev->offset);
	struct tr_result r = errno_result(n < 0 ? -1 : 0);
	if (n >= 0 && n != 8) {
		r.type = RES_ERR;
		r.val = EIO;
	}
	close(fd);
	return r;
}

/* ---- memory events (in the worker) ---- */

static struct tr_result ev_worker(const struct tr_event *ev)
{
	struct proc *p = proc_find(ev->pid);
	struct cmd c;
	int pass_fd = -1;
	uint32_t prot = (ev->prot & TR_PROT_READ ? PROT_READ : 0) |
			(ev->prot & TR_PROT_WRITE ? PROT_WRITE : 0) |
			(ev->prot & TR_PROT_EXEC ? PROT_EXEC : 0);

	memset(&c, 0, sizeof(c));
	c.line = ev->line;
	switch (ev->kind) {
	case TR_MMAP: {
		uint64_t f = 0;
		f |= ev->flags & TR_MAP_PRIVATE ? L_MAP_PRIVATE : 0;
		f |= ev->flags & TR_MAP_SHARED ? L_MAP_SHARED : 0;
		f |= ev->flags & TR_MAP_ANON ? L_MAP_ANONYMOUS : 0;
		f |= ev->flags & TR_MAP_FIXED ? L_MAP_FIXED : 0;
		f |= ev->flags & TR_MAP_NOREPLACE ? L_MAP_FIXED_NOREPLACE : 0;
		f |= ev->flags & TR_MAP_POPULATE ? L_MAP_POPULATE : 0;
		f |= ev->flags & TR_MAP_LOCKED ? L_MAP_LOCKED : 0;
		f |= ev->flags & TR_MAP_NORESERVE ? L_MAP_NORESERVE : 0;
		c.op = C_MMAP;
		c.a[0] = ev->addr;
		c.a[1] = ev->len;
		c.a[2] = prot;
		c.a[3] = f;
		c.a[4] = ev->offset;
		if (!(ev->flags & TR_MAP_ANON)) {
			file_path(ev->name, c.path, sizeof(c.path));
			pass_fd = file_open_for_mmap(ev->name);
			if (pass_fd < 0)
				die(3, "%s:%" PRIu32 ": cannot open %s: %s", G.trace_path, ev->line,
				    c.path, strerror(errno));
		}
		break;
	}
	case TR_MUNMAP:
		c.op = C_MUNMAP;
		c.a[0] = ev->addr;
		c.a[1] = ev->len;
		break;
	case TR_MPROTECT:
		c.op = C_MPROTECT;
		c.a[0] = ev->addr;
		c.a[1] = ev->len;
		c.a[2] = prot;
		break;
	case TR_MREMAP:
		c.op = C_MREMAP;
		c.a[0] = ev->addr;
		c.a[1] = ev->len;
		c.a[2] = ev->new_len;
		c.a[3] = (ev->flags & TR_MREMAP_MAYMOVE ? L_MREMAP_MAYMOVE : 0) |
			 (ev->flags & TR_MREMAP_FIXED ? L_MREMAP_FIXED : 0) |
			 (ev->flags & TR_MREMAP_DONTUNMAP ? L_MREMAP_DONTUNMAP : 0);
		c.a[4] = ev->has_new_addr ? ev->new_addr : 0;
		break;
	case TR_MADVISE:
		c.op = C_MADVISE;
		c.a[0] = ev->addr;
		c.a[1] = ev->len;
		c.a[2] = (uint64_t)madv_of[ev->advice];
		break;
	case TR_MLOCK:
	case TR_MUNLOCK:
		c.op = ev->kind == TR_MLOCK ? C_MLOCK : C_MUNLOCK;
		c.a[0] = ev->addr;
		c.a[1] = ev->len;
		break;
	case TR_BRKBASE:
		c.op = C_BRKBASE;
		c.a[0] = ev->addr;
		break;
	case TR_BRK:
		c.op = C_BRK;
		c.a[0] = ev->addr;
		break;
	case TR_REMAP_FILE_PAGES:
		c.op = C_RFP;
		c.a[0] = ev->addr;
		c.a[1] = ev->len;
		c.a[2] = ev->offset;
		break;
	case TR_READ:
		c.op = C_READ;
		c.a[0] = ev->addr;
		break;
	case TR_WRITE:
		c.op = C_WRITE;
		c.a[0] = ev->addr;
		c.a[1] = ev->value;
		break;
	case TR_TOUCH:
		c.op = C_TOUCH;
		c.a[0] = ev->addr;
		c.a[1] = ev->len;
		c.a[2] = ev->touch_write;
		c.a[3] = ev->value;
		break;
	default:
		die(3, "internal error: kind %s", tr_kind_name(ev->kind));
	}
	send_cmd(p, &c, pass_fd);
	if (pass_fd >= 0)
		close(pass_fd);
	struct reply r = wait_reply(p, p->fd, ev->line);
	if (r.type != R_RESULT)
		die(3, "%s:%" PRIu32 ": process %d: unexpected reply", G.trace_path,
		    ev->line, ev->pid);
	struct tr_result res = { (enum tr_res_type)r.res, r.val };
	return res;
}

/* ---- what this tester refuses ---- */

/* How a call treats an address that is not page aligned. */
enum align_rule {
	AL_EINVAL,      /* refuses it (munmap, mprotect, madvise, mremap, MAP_FIXED) */
	AL_DOWN,        /* rounds the start down (mlock, munlock, remap_file_pages) */
	AL_HINT,        /* a placement hint: rounded up */
};

/*
 * Could the call touch anything at or past WIN_HI (the tester's own memory
 * and its reservations, which revmap does not have)?  The range is what the
 * kernel would operate on: [addr, addr+len) widened to pages by the call's
 * rule.  Ranges the kernel refuses before doing anything are fine to run:
 * an unaligned address where that is EINVAL, an end that overflows, an
 * address past the user address space.
 */
static bool reaches_out(uint64_t addr, uint64_t len, enum align_rule rule)
{
	if (addr >= ADDR_LIMIT)
		return false;
	if (addr & (PAGE - 1)) {
		if (rule == AL_EINVAL)
			return false;
		if (rule == AL_HINT) {
			addr = (addr + PAGE - 1) & ~(PAGE - 1);
			uint64_t alen = (len + PAGE - 1) & ~(PAGE - 1);
			if (alen < len || addr + alen < addr)
				return false;
			len = alen;
		}
	}
	uint64_t end = addr + len;
	if (end < addr)
		return false;
	uint64_t aend = (end + PAGE - 1) & ~(PAGE - 1);
	if (aend < end)
		return false;
	return aend > WIN_HI || addr >= WIN_HI;
}

/* Which pids have had a brkbase since spawn or exec (fork inherits it). */
struct brk_state {
	int *pid;
	bool *based;
	size_t n, cap;
};

static bool *brk_slot(struct brk_state *b, int pid)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->pid[i] == pid)
			return &b->based[i];
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->pid = realloc(b->pid, b->cap * sizeof(*b->pid));
		b->based = realloc(b->based, b->cap * sizeof(*b->based));
		if (!b->pid || !b->based)
			die(3, "out of memory");
	}
	b->pid[b->n] = pid;
	b->based[b->n] = false;
	return &b->based[b->n++];
}

/* => returns NULL if the tester can run ev, else why not. */
static const char *unsupported(const struct tr_event *ev, struct brk_state *bs)
{
	switch (ev->kind) {
	case TR_SPAWN: case TR_EXEC:
		*brk_slot(bs, ev->pid) = false;
		return NULL;
	case TR_FORK: {
		bool based = *brk_slot(bs, ev->pid);
		*brk_slot(bs, ev->child) = based;
		return NULL;
	}
	case TR_CHECK: return "check";
	case TR_RECLAIM: return "reclaim";
	case TR_COMPACT: return "compact";
	case TR_SWAPOFF: return "swapoff";
	case TR_HOSTFILE: return "hostfile (traces for the tester use file)";
	case TR_FILE:
		if (strcmp(ev->name, ".") == 0 || strcmp(ev->name, "..") == 0 ||
		    strlen(ev->name) > 200)
			return "file names '.', '..' or longer than 200 bytes";
		return NULL;
	case TR_MMAP:
		if (ev->addr && reaches_out(ev->addr, ev->len,
					    ev->flags & (TR_MAP_FIXED | TR_MAP_NOREPLACE) ?
					    AL_EINVAL : AL_HINT))
			return "mmap outside the window [0x100000000000, 0x200000000000)";
		return NULL;
	case TR_MUNMAP: case TR_MPROTECT: case TR_MADVISE:
		if (reaches_out(ev->addr, ev->len, AL_EINVAL))
			return "a range reaching past the window [0x100000000000, 0x200000000000)";
		return NULL;
	case TR_MLOCK: case TR_MUNLOCK: case TR_REMAP_FILE_PAGES:
		if (reaches_out(ev->addr, ev->len, AL_DOWN))
			return "a range reaching past the window [0x100000000000, 0x200000000000)";
		return NULL;
	case TR_MREMAP:
		if (reaches_out(ev->addr, ev->len, AL_EINVAL) ||
		    reaches_out(ev->addr, ev->new_len, AL_EINVAL))
			return "mremap reaching past the window [0x100000000000, 0x200000000000)";
		if (ev->has_new_addr &&
		    reaches_out(ev->new_addr, ev->new_len,
				ev->flags & TR_MREMAP_FIXED ? AL_EINVAL : AL_HINT))
			return "mremap to a new address outside the window";
		return NULL;
	case TR_BRK: case TR_BRKBASE:
		if (ev->addr > WIN_HI && ev->addr < ADDR_LIMIT)
			return "a break past the window [0x100000000000, 0x200000000000)";
		if (ev->kind == TR_BRKBASE)
			*brk_slot(bs, ev->pid) = true;
		else if (!*brk_slot(bs, ev->pid))
			return "brk before a brkbase in this process (the tester's own heap "
			       "lies outside the window)";
		return NULL;
	case TR_READ: case TR_WRITE: case TR_TOUCH:
		if (ev->addr >= WIN_HI && ev->addr < ADDR_LIMIT)
			return "an access past the window [0x100000000000, 0x200000000000) "
			       "(the tester's own memory)";
		return NULL;
	default:
		return NULL;
	}
}

/* ---- environment ---- */

/* => returns a malloc'ed NUL-terminated copy of a /proc file, or NULL. */
static char *slurp(const char *path, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	while (buf) {
		if (cap - len < 4096) {
			char *n = realloc(buf, cap * 2);
			if (!n) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = n;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (buf) {
		buf[len] = '\0';
		if (lenp)
			*lenp = len;
	}
	return buf;
}

static void check_environment(void)
{
	const char *root_msg = "run it as root: it reads physical frame numbers from "
			       "/proc/PID/pagemap and /proc/kpagecount, /proc/kpageflags";

	if (geteuid() != 0)
		die(3, "not running as root; %s", root_msg);
	G.kpagecount = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	if (G.kpagecount < 0)
		die(3, "cannot open /proc/kpagecount: %s; %s", strerror(errno), root_msg);
	G.kpageflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (G.kpageflags < 0)
		die(3, "cannot open /proc/kpageflags: %s; %s", strerror(errno), root_msg);

	/* a page of our own must show its PFN */
	static volatile char probe[2 * 4096];
	uintptr_t pg = ((uintptr_t)probe + 4095) & ~(uintptr_t)4095;
	*(volatile char *)pg = 1;
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &ent, 8, (off_t)(pg / 4096 * 8)) != 8)
		die(3, "cannot read /proc/self/pagemap: %s; %s", strerror(errno), root_msg);
	close(fd);
	if (!(ent >> 63) || !(ent & ((1ULL << 55) - 1)))
		die(3, "/proc/self/pagemap shows no page frame numbers (needs CAP_SYS_ADMIN); %s",
		    root_msg);

	/* the window must be free here too (AddressSanitizer maps its shadow there) */
	char *maps = slurp("/proc/self/maps", NULL);
	if (!maps)
		die(3, "cannot read /proc/self/maps: %s", strerror(errno));
	for (char *l = maps; *l;) {
		unsigned long long lo = strtoull(l, &l, 16), hi = 0;
		if (*l == '-')
			hi = strtoull(l + 1, &l, 16);
		if (lo < WIN_HI && hi > WIN_LO) {
			free(maps);
			die(3, "the address window [0x100000000000, 0x200000000000) is not free in "
			    "this process (mapping at 0x%llx): build linux-replay without "
			    "AddressSanitizer or other sanitizers", lo);
		}
		l = strchr(l, '\n');
		if (!l)
			break;
		l++;
	}
	free(maps);

	char *legacy = slurp("/proc/sys/vm/legacy_va_layout", NULL);
	if (legacy && atoi(legacy) != 0) {
		free(legacy);
		die(3, "vm.legacy_va_layout is set: mmap placement would be bottom-up; "
		    "run sysctl vm.legacy_va_layout=0");
	}
	free(legacy);
}

static void setup_controller(void)
{
	int e;

	G.self = getpid();
	host_topdown_layout();
	if (prctl(L_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		die(3, "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	host_thp_off();
	/* one CPU for everyone: the first one we may run on */
	e = host_pin_cpu(HOST_CPU_FIRST, NULL, 0);
	if (e < 0)
		die(3, "cannot pin to one CPU: %s", strerror(-e));

	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---- dump ---- */

struct vma {
	uint64_t lo, hi, off;
	uint32_t prot;
	bool shared;
	const char *name;       /* dump name */
	bool shmem;             /* shared anonymous */
};

/*
 * /proc/kpageflags and /proc/kpagecount are read a block of 512 entries at a
 * time: neighbouring pages of a VMA often have neighbouring PFNs.
 */
struct kpage_cache {
	int fd;
	const char *what;
	uint64_t block;         /* cached block number, UINT64_MAX if none */
	size_t n;               /* entries read (a short read at the end) */
	uint64_t v[512];
};

static uint64_t kpage_get(struct kpage_cache *c, uint64_t pfn)
{
	uint64_t b = pfn / 512, i = pfn % 512;
	if (c->block != b || i >= c->n) {
		ssize_t r = pread(c->fd, c->v, sizeof(c->v), (off_t)(b * sizeof(c->v)));
		if (r < 0 || (size_t)r / 8 <= i)
			die(3, "cannot read %s at PFN 0x%" PRIx64 ": %s", c->what, pfn,
			    r < 0 ? strerror(errno) : "short read");
		c->block = b;
		c->n = (size_t)r / 8;
	}
	return c->v[i];
}

static struct kpage_cache kflags = { .block = UINT64_MAX, .what = "/proc/kpageflags" };
static struct kpage_cache kcount = { .block = UINT64_MAX, .what = "/proc/kpagecount" };

/* Present-page run buffer: contents of up to RUN pages read in one pread. */
enum { RUN = 64 };
static unsigned char run_buf[RUN * 4096];

static void dump_process(struct dump_writer *w, struct proc *p)
{
	char path[64];
	size_t nv = 0, cv = 0;
	struct vma *v = NULL;
	size_t tlen = strlen(G.tmpdir);

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)p->ospid);
	char *maps = slurp(path, NULL);
	if (!maps)
		die(3, "cannot read %s: %s", path, strerror(errno));
	for (char *l = maps; *l;) {
		char *eol = strchr(l, '\n');
		if (eol)
			*eol = '\0';
		unsigned long long lo, hi, off;
		char perms[8];
		int n = 0;
		if (sscanf(l, "%llx-%llx %7s %llx %*s %*s%n", &lo, &hi, perms, &off, &n) < 4 ||
		    strlen(perms) < 4)
			die(3, "cannot parse %s: '%s'", path, l);
		char *name = l + n;
		while (*name == ' ')
			name++;
		if (lo < WIN_HI && hi > WIN_LO) {
			if (nv == cv) {
				cv = cv ? cv * 2 : 64;
				v = realloc(v, cv * sizeof(*v));
				if (!v)
					die(3, "out of memory");
			}
			struct vma *m = &v[nv++];
			memset(m, 0, sizeof(*m));
			m->lo = lo;
			m->hi = hi;
			m->off = off;
			m->prot = (perms[0] == 'r' ? TR_PROT_READ : 0) |
				  (perms[1] == 'w' ? TR_PROT_WRITE : 0) |
				  (perms[2] == 'x' ? TR_PROT_EXEC : 0);
			m->shared = perms[3] == 's';
			char *del = strstr(name, " (deleted)");
			if (tlen && strncmp(name, G.tmpdir, tlen) == 0 && name[tlen] == '/') {
				if (del)
					*del = '\0';
				m->name = name + tlen + 1;
			} else if (strncmp(name, "/dev/zero", 9) == 0 ||
				   strncmp(name, "/SYSV", 5) == 0) {
				m->name = "[shared-anon]";
				m->shmem = true;
			} else if (name[0] == '\0') {
				m->name = "-";
				m->off = 0;
			} else if (strcmp(name, "[heap]") == 0) {
				m->name = "[heap]";
				m->off = 0;
			} else {
				m->name = name;         /* not expected in the window */
			}
		}
		if (!eol)
			break;
		l = eol + 1;
	}

	dump_proc(w, p->tpid);
	for (size_t i = 0; i < nv; i++)
		dump_vma(w, v[i].lo, v[i].hi, v[i].prot, v[i].shared, v[i].off, v[i].name);

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)p->ospid);
	int pm = open(path, O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		die(3, "cannot open %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)p->ospid);
	int mem = open(path, O_RDONLY | O_CLOEXEC);
	if (mem < 0)
		die(3, "cannot open %s: %s", path, strerror(errno));

	enum { BATCH = 65536 };
	static uint64_t ent[BATCH];
	kflags.fd = G.kpageflags;
	kcount.fd = G.kpagecount;
	for (size_t i = 0; i < nv; i++) {
		for (uint64_t a = v[i].lo; a < v[i].hi;) {
			uint64_t n = (v[i].hi - a) / PAGE;
			if (n > BATCH)
				n = BATCH;
			ssize_t got = pread(pm, ent, n * 8, (off_t)(a / PAGE * 8));
			if (got != (ssize_t)(n * 8))
				die(3, "cannot read /proc/%d/pagemap: %s", (int)p->ospid,
				    got < 0 ? strerror(errno) : "short read");
			for (uint64_t k = 0; k < n;) {
				if (!(ent[k] >> 63)) {
					k++;
					continue;
				}
				/* a run of present pages: read their contents at once */
				uint64_t r = 1;
				while (r < RUN && k + r < n && (ent[k + r] >> 63))
					r++;
				uint64_t va = a + k * PAGE;
				if (pread(mem, run_buf, r * PAGE, (off_t)va) != (ssize_t)(r * PAGE))
					die(3, "cannot read /proc/%d/mem at 0x%" PRIx64 ": %s",
					    (int)p->ospid, va, strerror(errno));
				for (uint64_t j = 0; j < r; j++) {
					uint64_t pfn = ent[k + j] & ((1ULL << 55) - 1);
					if (!pfn)
						die(3, "pagemap of process %d shows no PFN; run as root",
						    p->tpid);
					uint64_t flags = kpage_get(&kflags, pfn);
					enum dump_kind kind;
					if (flags & (1ULL << KPF_ZERO_PAGE))
						kind = DUMP_ZERO;
					else if (flags & (1ULL << KPF_ANON))
						kind = DUMP_ANON;
					else
						kind = v[i].shmem ? DUMP_SHMEM : DUMP_FILE;
					uint64_t count = kind == DUMP_ZERO ? 0 : kpage_get(&kcount, pfn);
					dump_page_data(w, va + j * PAGE, kind,
						       run_buf + j * PAGE, pfn, count);
				}
				k += r;
			}
			a += n * PAGE;
		}
	}
	close(pm);
	close(mem);
	free(v);
	free(maps);
}

static int cmp_tpid(const void *a, const void *b)
{
	const struct proc *const *x = a, *const *y = b;
	return ((*x)->tpid > (*y)->tpid) - ((*x)->tpid < (*y)->tpid);
}

/*
 * The time an event may take: the base (10 s) plus 100 us per page it
 * names, so that touching or populating gigabytes is not a hang.
 */
static int event_timeout(const struct tr_event *ev)
{
	uint64_t pages = (ev->len > ev->new_len ? ev->len : ev->new_len) / PAGE;
	uint64_t ms = (uint64_t)G.base_timeout_ms + pages / 10;
	if (ms > 3600 * 1000)
		ms = 3600 * 1000;
	return (int)ms;
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr, "usage: linux-replay TRACE [--dump FILE] [--timeout SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dump_path = NULL;
	char err[512];

	if (argc >= 2 && strcmp(argv[1], "--worker") == 0)
		return worker_main();

	G.base_timeout_ms = 10000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
			dump_path = argv[++i];
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			int s = atoi(argv[++i]);
			if (s <= 0 || s > 86400)
				usage();
			G.base_timeout_ms = s * 1000;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage();
		} else if (!G.trace_path) {
			G.trace_path = argv[i];
		} else {
			usage();
		}
	}
	if (!G.trace_path)
		usage();

	if (tr_parse_file(G.trace_path, &G.t, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	struct brk_state bs = { NULL, NULL, 0, 0 };
	for (size_t i = 0; i < G.t.n; i++) {
		const char *why = unsupported(&G.t.ev[i], &bs);
		if (why) {
			fprintf(stderr, "%s:%" PRIu32 ": not supported by the Linux tester: %s\n",
				G.trace_path, G.t.ev[i].line, why);
			tr_free(&G.t);
			free(bs.pid);
			free(bs.based);
			return 2;
		}
	}
	free(bs.pid);
	free(bs.based);

	check_environment();
	setup_controller();

	FILE *out = stdout;
	if (dump_path) {
		out = fopen(dump_path, "we");
		if (!out)
			die(3, "cannot write %s: %s", dump_path, strerror(errno));
	}

	G.res = calloc(G.t.n ? G.t.n : 1, sizeof(*G.res));
	if (!G.res)
		die(3, "out of memory");

	int mismatches = 0;
	for (size_t i = 0; i < G.t.n; i++) {
		const struct tr_event *ev = &G.t.ev[i];
		struct tr_result r = { RES_OK, 0 };
		G.timeout_ms = event_timeout(ev);
		switch (ev->kind) {
		case TR_SPAWN: ev_spawn(ev); break;
		case TR_FORK:  ev_fork(ev); break;
		case TR_EXEC:  ev_exec(ev); break;
		case TR_EXIT:  ev_exit(ev); break;
		case TR_FILE:  ev_file(ev); break;
		case TR_TRUNCATE: r = ev_truncate(ev); break;
		case TR_FWRITE: r = ev_fwrite(ev); break;
		default:       r = ev_worker(ev); break;
		}
		G.res[i] = r;
		if (ev->expect && !tr_result_matches(&r, ev->expect)) {
			char buf[64];
			fprintf(stderr, "%s:%" PRIu32 ": expected %s, got %s\n", G.trace_path,
				ev->line, ev->expect, tr_result_format(&r, buf, sizeof(buf)));
			mismatches++;
		}
	}

	struct dump_writer w;
	dump_begin(&w, out);
	for (size_t i = 0; i < G.t.n; i++)
		dump_op(&w, G.t.ev[i].line, &G.res[i]);
	struct proc **live = calloc(G.nprocs ? G.nprocs : 1, sizeof(*live));
	size_t nlive = 0;
	if (!live)
		die(3, "out of memory");
	for (size_t i = 0; i < G.nprocs; i++)
		if (G.procs[i].live)
			live[nlive++] = &G.procs[i];
	qsort(live, nlive, sizeof(*live), cmp_tpid);
	for (size_t i = 0; i < nlive; i++)
		dump_process(&w, live[i]);
	free(live);
	int rc = dump_end(&w);
	if (out != stdout ? fclose(out) != 0 : fflush(out) != 0)
		rc = rc ? rc : -errno;
	if (rc)
		die(3, "cannot write the dump: %s", strerror(-rc));

	cleanup();
	free(G.res);
	free(G.procs);
	tr_free(&G.t);
	if (G.kpagecount >= 0)
		close(G.kpagecount);
	if (G.kpageflags >= 0)
		close(G.kpageflags);
	return mismatches ? 1 : 0;
}
