/*
 * host/host.h - the real kernel of this machine, as the benchmarks and the
 * differential tester (tools/linux-replay) use it.
 *
 * Both put the same work on the host kernel that revmap simulates and must
 * set the kernel up the same way for the comparison to hold: 4 KiB pages
 * only (THP off), one CPU for every process (per-CPU LRU batches and the
 * scheduler would make COW reuse, MADV_COLD and timing depend on where a
 * process ran), the top-down mmap layout, and /proc read without the C
 * library's allocator (linux-replay's workers must not allocate once their
 * address space is reserved; the benchmark's helper process keeps to raw
 * system calls so that what it times is the kernel's).  Everything here is
 * raw system calls on caller-provided buffers: no malloc, no stdio, no
 * static state, safe in a forked child and after fork of a threaded parent.
 *
 * Not part of librevmap: the library simulates a machine; this is the real
 * one.  Built into revmap (bench/) and the tools.
 */
#ifndef REVMAP_HOST_HOST_H
#define REVMAP_HOST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in nanoseconds */
uint64_t host_now_ns(void);

/* a system call's result: -errno on failure, else r */
long host_ret(long r);

/* read or write exactly len bytes, retrying short transfers and EINTR;
 * => 0, or -errno (-EPIPE at end of file) */
int host_full_io(int fd, void *buf, size_t len, bool write);

/* read a whole file (a /proc file: small, read until end of file) into buf,
 * NUL-terminated; => its length, -EFBIG if it does not fit in cap - 1
 * bytes, or -errno */
long host_read_file(const char *path, char *buf, size_t cap);

/* a field of /proc/PID/status in KiB ("VmPTE", "RssShmem"; pid 0: this
 * process), 0 if absent or unreadable */
uint64_t host_status_kib(long pid, const char *field);

/* resident KiB of a process (/proc/PID/statm; pid 0: this process), 0 if
 * unknown */
uint64_t host_rss_kib(long pid);

/* this process and the children it makes from now on map 4 KiB pages only
 * (PR_SET_THP_DISABLE); => 0 or -errno */
int host_thp_off(void);

/* which CPU host_pin_cpu keeps */
enum host_cpu {
	HOST_CPU_FIRST,        /* the lowest allowed: the same CPU on every run */
	HOST_CPU_CURRENT,      /* the one it runs on now (the scheduler found room
				  there), else the highest allowed */
};

/* pin this process (and so its future children) to one CPU; old, if not
 * NULL, gets the affinity it had (CPU_SETSIZE bits) to restore it later;
 * => the CPU, or -errno */
int host_pin_cpu(enum host_cpu which, void *old, size_t oldlen);

/* give this process the top-down mmap layout Linux uses by default (a finite
 * stack limit, no ADDR_COMPAT_LAYOUT personality): its children and the
 * images it execs place mmap(0) from the top of the address space down */
void host_topdown_layout(void);

/* the running kernel's release (uname -r) into buf */
void host_kernel_release(char *buf, size_t len);

#endif
