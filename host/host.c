/*
 * host/host.c - the host kernel set up and read as the benchmarks and
 * linux-replay need it (see host.h).  Raw system calls, caller buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include "host.h"

#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#endif

uint64_t host_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

long host_ret(long r)
{
	return r == -1 ? -errno : r;
}

int host_full_io(int fd, void *buf, size_t len, bool write)
{
	char *p = buf;

	while (len) {
		long n = write ? syscall(SYS_write, fd, p, len) : syscall(SYS_read, fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

long host_read_file(const char *path, char *buf, size_t cap)
{
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	long err = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		long n;

		if (len + 1 >= cap) {
			err = -EFBIG;
			break;
		}
		n = syscall(SYS_read, fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	syscall(SYS_close, fd);
	buf[len] = 0;
	return err ? err : (long)len;
}

/* "/proc/<pid or self>/<file>" into buf (64 bytes is always enough) */
static void proc_path(char *buf, long pid, const char *file)
{
	char digits[24];
	int n = 0;

	strcpy(buf, "/proc/");
	if (pid <= 0) {
		strcat(buf, "self");
	} else {
		for (; pid; pid /= 10)
			digits[n++] = (char)('0' + pid % 10);
		buf += strlen(buf);
		while (n)
			*buf++ = digits[--n];
		*buf = 0;
	}
	strcat(buf, "/");
	strcat(buf, file);
}

uint64_t host_status_kib(long pid, const char *field)
{
	char path[64], buf[4096];
	size_t flen = strlen(field);
	uint64_t v = 0;

	proc_path(path, pid, "status");
	if (host_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	/* "VmPTE:\t    12 kB" */
	for (char *c = buf; c && *c; c = strchr(c, '\n'), c = c ? c + 1 : NULL) {
		if (strncmp(c, field, flen) || c[flen] != ':')
			continue;
		for (c += flen + 1; *c == ' ' || *c == '\t'; c++)
			;
		for (; *c >= '0' && *c <= '9'; c++)
			v = v * 10 + (uint64_t)(*c - '0');
		break;
	}
	return v;
}

uint64_t host_rss_kib(long pid)
{
	char path[64], buf[128];
	uint64_t v[2] = { 0, 0 };
	int i = 0;

	proc_path(path, pid, "statm");
	if (host_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	/* "size resident shared ...", in pages */
	for (char *c = buf; *c && i < 2; c++) {
		if (*c >= '0' && *c <= '9')
			v[i] = v[i] * 10 + (uint64_t)(*c - '0');
		else if (*c == ' ')
			i++;
	}
	return v[1] * ((uint64_t)sysconf(_SC_PAGESIZE) / 1024);
}

int host_thp_off(void)
{
	return prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) ? -errno : 0;
}

int host_pin_cpu(enum host_cpu which, void *old, size_t oldlen)
{
	cpu_set_t allowed, one;
	int c = -1;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return -errno;
	if (old)
		memcpy(old, &allowed, oldlen < sizeof(allowed) ? oldlen : sizeof(allowed));
	if (which == HOST_CPU_CURRENT) {
		c = sched_getcpu();
		if (c < 0 || c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed))
			for (c = CPU_SETSIZE - 1; c >= 0 && !CPU_ISSET(c, &allowed); c--)
				;
	} else {
		for (c = 0; c < CPU_SETSIZE && !CPU_ISSET(c, &allowed); c++)
			;
		if (c == CPU_SETSIZE)
			c = -1;
	}
	if (c < 0)
		return -ESRCH;
	CPU_ZERO(&one);
	CPU_SET(c, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? -errno : c;
}

void host_topdown_layout(void)
{
	struct rlimit rl;
	int pers;

	/* an unlimited stack makes Linux lay mmap out bottom-up */
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY) {
		rl.rlim_cur = 8 << 20;
		setrlimit(RLIMIT_STACK, &rl);
	}
	pers = personality(0xffffffff);
	if (pers != -1 && (pers & ADDR_COMPAT_LAYOUT))
		personality((unsigned long)pers & ~(unsigned long)ADDR_COMPAT_LAYOUT);
}

void host_kernel_release(char *buf, size_t len)
{
	struct utsname un;
	const char *r = uname(&un) ? "(unknown)" : un.release;
	size_t n = strlen(r);

	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, r, n);
	buf[n] = 0;
}
