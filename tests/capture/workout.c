/*
 * tests/capture/workout.c - a program that makes every shape revmap capture
 * converts: threads, fork, vfork with a failed and a good execve, file and
 * anonymous mappings shared and private, mremap in place and moved,
 * mprotect (one failing on a hole), munmap, madvise, mlock, brk, a failed
 * MAP_FIXED_NOREPLACE, faults the kernel takes in read(2), and a stack that
 * grows.  tests/capture/record.sh records it; capture.t converts the
 * recording shipped beside it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static void *thread_main(void *arg)
{
	char *p = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 8; i++)
		p[i * PG] = (char)i;          /* a thread's faults are its process's */
	munmap(p, 4 * PG);
	return arg;
}

static int deep(int n)
{
	volatile char buf[16 * PG];       /* the stack grows a page at a time */
	buf[0] = (char)n;
	buf[sizeof(buf) - 1] = (char)n;
	return n ? deep(n - 1) + buf[0] : buf[sizeof(buf) - 1];
}

int main(void)
{
	char path[] = "/tmp/revmap-workout-XXXXXX";
	int fd = mkstemp(path);
	char *buf = malloc(2 * PG);
	pthread_t th;

	/* a file of 16 pages, mapped shared and written, private and COWed */
	memset(buf, 'x', 2 * PG);
	for (int i = 0; i < 8; i++)
		if (write(fd, buf, 2 * PG) != 2 * PG)
			return 1;
	char *sh = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *pr = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4 * PG);
	for (int i = 0; i < 16; i += 2)
		sh[i * PG] = 's';
	for (int i = 0; i < 8; i++)
		(void)*(volatile char *)&pr[i * PG];
	pr[PG] = 'p';

	/* anonymous memory: mremap in place and moved, mprotect, madvise */
	char *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 4; i++)
		a[i * PG] = 'a';
	a = mremap(a, 4 * PG, 64 * PG, MREMAP_MAYMOVE);
	a[40 * PG] = 'b';
	char *b = mmap(a + 64 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	char *c = mmap(a, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	(void)b;
	(void)c;                          /* c fails: -EEXIST */
	mprotect(a, 8 * PG, PROT_READ);
	munmap(a + 16 * PG, PG);
	mprotect(a + 8 * PG, 16 * PG, PROT_NONE);   /* a hole in it: -ENOMEM */
	madvise(a + 32 * PG, 16 * PG, MADV_DONTNEED);
	madvise(a + 48 * PG, 4 * PG, MADV_HUGEPAGE); /* an advice the trace cannot say */
	mlock(a + 40 * PG, 2 * PG);
	munlock(a + 40 * PG, 2 * PG);

	/* the heap */
	char *h = sbrk(32 * PG);
	h[0] = 'h';
	h[31 * PG] = 'h';
	sbrk(-16 * PG);

	/* the kernel writes into fresh pages: page_fault_kernel */
	char *rd = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pread(fd, rd, 4 * PG, 0) != 4 * PG)
		return 1;

	deep(6);

	pthread_create(&th, NULL, thread_main, NULL);
	pthread_join(th, NULL);

	/* fork: the child writes (COW) and exits */
	pid_t p = fork();
	if (p == 0) {
		pr[2 * PG] = 'c';
		sh[PG] = 'c';
		_exit(0);
	}
	waitpid(p, NULL, 0);

	/* vfork: a failed execve changes nothing, the next one succeeds */
	p = vfork();
	if (p == 0) {
		char *argv[] = { "true", NULL };
		execv("/nonexistent/true", argv);
		execv("/bin/true", argv);
		_exit(127);
	}
	waitpid(p, NULL, 0);

	munmap(sh, 16 * PG);
	unlink(path);
	return 0;
}
