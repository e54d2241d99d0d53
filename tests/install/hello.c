/*
 * tests/install/hello.c - a program built against an installed revmap, as a
 * user would build one (tests/install.t):
 *
 *   cc hello.c $(pkg-config --cflags --libs revmap)
 *
 * It includes only <revmap.h>.  It makes a small simulation, replays a
 * trace held in memory, writes its dump on standard output, checks the
 * machine, and replays a trace whose "= result" is wrong, which must say
 * so.  => exit 0 when all went as expected.
 */
#include <revmap.h>

#include <stdio.h>

static const char good[] =
	"revmap-trace 1\n"
	"1 spawn\n"
	"1 mmap 0x100000000000 0x2000 rw- private,anon = 0x100000000000\n"
	"1 w 0x100000001000 0x2a\n"
	"1 fork 2\n"
	"2 r 0x100000001000 = 0x2a\n"
	"check\n";

static const char wrong[] =
	"1 spawn\n"
	"1 r 0x100000000000 = 0\n";          /* nothing is mapped: segv */

int main(void)
{
	struct rv_options opt = { .mem_bytes = 1 << 20, .check = RV_CHECK_FULL };
	char err[256], why[256];
	rv_sim *s, *t;
	int st, st2;
	FILE *quiet;

	s = rv_sim_new(&opt, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "hello: rv_sim_new: %s\n", err);
		return 1;
	}
	st = rv_replay_buffer(s, "good", good, sizeof(good) - 1, "-", stderr);
	if (st != RV_OK) {
		fprintf(stderr, "hello: the good trace: status %d\n", st);
		rv_sim_free(s);
		return 1;
	}
	if (!rv_check(s, why, sizeof(why))) {
		fprintf(stderr, "hello: rv_check: %s\n", why);
		rv_sim_free(s);
		return 1;
	}
	rv_sim_free(s);

	/* a second simulation: a mismatch is status 1, its message discarded */
	t = rv_sim_new(&opt, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "hello: rv_sim_new: %s\n", err);
		return 1;
	}
	quiet = fopen("/dev/null", "w");
	st2 = rv_replay_buffer(t, "wrong", wrong, sizeof(wrong) - 1, NULL,
			       quiet ? quiet : stderr);
	if (quiet)
		fclose(quiet);
	rv_sim_free(t);
	if (st2 != RV_MISMATCH) {
		fprintf(stderr, "hello: the wrong trace: status %d, expected %d\n",
			st2, RV_MISMATCH);
		return 1;
	}
	fprintf(stderr, "hello: revmap %s: replayed, checked, mismatch found\n", REVMAP_VERSION);
	return 0;
}
