/*
 * tests/capture/thread_exec.c - a thread other than the main one execs:
 * the kernel's de_thread gives it the main thread's id before execve maps
 * the new image, so perf's records of that image carry an id the execve
 * did not start with.  tests/capture/record.sh records it.
 */
#include <pthread.h>
#include <unistd.h>

static void *run(void *arg)
{
	char *argv[] = { "true", NULL };

	execv("/bin/true", argv);
	return arg;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, run, NULL);
	pause();
	return 0;
}
