/*
 * tests/t_trace.c - the trace parser and the dump writer (TAP); and the
 * messages a replay writes ("revmap: FILE:LINE: ...").
 *
 * Expected values are computed independently of the code under test: the
 * FNV-1a digests below come from a separate Python loop, the errno numbers
 * from the host's <errno.h> (x86-64 Linux numbering).
 */
#include "../sim/trace.h"
#include "../sim/dump.h"
#include "revmap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int n_tests, n_failed;

static void ok(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - ", cond ? "" : "not ", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int parse(const char *text, struct tr_trace *t, char *err, size_t len)
{
	return tr_parse_buffer("t.trace", text, strlen(text), t, err, len);
}

/* ---------------------------------------------------------------- */

static void test_good(void)
{
	static const char text[] =
		"# a trace with every kind of line\n"            /* 1 */
		"\n"                                             /* 2 */
		"revmap-trace 1\n"                               /* 3 */
		"1 spawn\n"                                      /* 4 */
		"1 fork 2 = ok\n"                                /* 5 */
		"2 exec\n"                                       /* 6 */
		"file data 0x3000 7\n"                           /* 7 */
		"file other 100\n"                               /* 8 */
		"hostfile host /etc/hostname\n"                  /* 9 */
		"truncate data 0x2000\n"                         /* 10 */
		"fwrite data 0x1ff8\n"                           /* 11 */
		"fwrite data 8 0xdead\t# comment\n"              /* 12 */
		"1 mmap 0x100000000000 0x4000 rw- private,anon = 0x100000000000\n" /* 13 */
		"1 mmap 0 4096 r-x shared,fixed,noreplace,populate,locked,noreserve data 0x1000\n" /* 14 */
		"1 munmap 0x100000000000 0x1000 = 0\n"           /* 15 */
		"1 mprotect 0x100000001000 0x1000 --- = -ENOMEM\n" /* 16 */
		"1 mremap 0x100000001000 0x1000 0x2000 -\n"      /* 17 */
		"1 mremap 0x100000001000 0x1000 0x2000 maymove,fixed 0x100000100000\n" /* 18 */
		"1 mremap 0x100000001000 0x1000 0x1000 maymove,dontunmap\n" /* 19 */
		"1 mremap 0x100000001000 0x1000 0x1000 maymove,dontunmap 0x100000200000\n" /* 20 */
		"1 madvise 0x100000001000 0x1000 populate_write\n" /* 21 */
		"1 mlock 0x100000001000 0x1000\n"                /* 22 */
		"1 munlock 0x100000001000 0x1000\n"              /* 23 */
		"1 brkbase 0x180000000000\n"                     /* 24 */
		"1 brk 0x180000001000 = 0x180000001000\n"        /* 25 */
		"1 remap_file_pages 0x100000001000 0x1000 3\n"   /* 26 */
		"1 r 0x100000001ff8 = segv\n"                    /* 27 */
		"1 w 0x100000001000\n"                           /* 28 */
		"1 w 0x100000001000 99\n"                        /* 29 */
		"1 touch 0x100000000000 0x3000 w\n"              /* 30 */
		"1 touch 0x100000000000 0x3000 w 5\n"            /* 31 */
		"1 touch 0x100000000000 0x3000 r = bus\n"        /* 32 */
		"check\n"                                        /* 33 */
		"reclaim 100 = 42\n"                             /* 34 */
		"compact 3 = -ENOMEM\n"                          /* 35 */
		"swapoff = ok\n"                                 /* 36 */
		"2 exit\n"                                       /* 37 */
		"2 spawn\n"                                      /* 38 */
		"   1\t exit   \n";                              /* 39, no final newline below */
	struct tr_trace t;
	char err[256];
	int rc = parse(text, &t, err, sizeof(err));
	ok(rc == 0, "good trace parses (%s)", rc ? err : "no error");
	if (rc)
		return;
	ok(t.n == 36, "36 events, got %zu", t.n);
	ok(strcmp(t.path, "t.trace") == 0, "path kept");

	const struct tr_event *e = t.ev;
	ok(e[0].kind == TR_SPAWN && e[0].line == 4 && e[0].pid == 1 && !e[0].expect,
	   "spawn: line 4, pid 1");
	ok(e[1].kind == TR_FORK && e[1].child == 2 && e[1].expect &&
	   strcmp(e[1].expect, "ok") == 0, "fork 2 with expectation");
	ok(e[2].kind == TR_EXEC && e[2].pid == 2, "exec");
	ok(e[3].kind == TR_FILE && e[3].pid == 0 && strcmp(e[3].name, "data") == 0 &&
	   e[3].len == 0x3000 && e[3].value == 7, "file with seed");
	ok(e[4].kind == TR_FILE && e[4].len == 100 && e[4].value == 0, "file seed defaults to 0");
	ok(e[5].kind == TR_HOSTFILE && strcmp(e[5].name, "host") == 0 &&
	   strcmp(e[5].path, "/etc/hostname") == 0, "hostfile");
	ok(e[6].kind == TR_TRUNCATE && e[6].len == 0x2000, "truncate size in len");
	ok(e[7].kind == TR_FWRITE && e[7].offset == 0x1ff8 && e[7].value == 11,
	   "fwrite value defaults to the line number");
	ok(e[8].kind == TR_FWRITE && e[8].offset == 8 && e[8].value == 0xdead, "fwrite value");
	ok(e[9].kind == TR_MMAP && e[9].addr == 0x100000000000ULL && e[9].len == 0x4000 &&
	   e[9].prot == (TR_PROT_READ | TR_PROT_WRITE) &&
	   e[9].flags == (TR_MAP_PRIVATE | TR_MAP_ANON) && !e[9].name &&
	   strcmp(e[9].expect, "0x100000000000") == 0, "mmap anon");
	ok(e[10].kind == TR_MMAP && e[10].prot == (TR_PROT_READ | TR_PROT_EXEC) &&
	   e[10].flags == (TR_MAP_SHARED | TR_MAP_FIXED | TR_MAP_NOREPLACE | TR_MAP_POPULATE |
			   TR_MAP_LOCKED | TR_MAP_NORESERVE) &&
	   strcmp(e[10].name, "data") == 0 && e[10].offset == 0x1000, "mmap file, all flags");
	ok(e[11].kind == TR_MUNMAP && e[11].len == 0x1000, "munmap");
	ok(e[12].kind == TR_MPROTECT && e[12].prot == 0, "mprotect ---");
	ok(e[13].kind == TR_MREMAP && e[13].flags == 0 && e[13].new_len == 0x2000 &&
	   !e[13].has_new_addr, "mremap -");
	ok(e[14].flags == (TR_MREMAP_MAYMOVE | TR_MREMAP_FIXED) && e[14].has_new_addr &&
	   e[14].new_addr == 0x100000100000ULL, "mremap fixed");
	ok(e[15].flags == (TR_MREMAP_MAYMOVE | TR_MREMAP_DONTUNMAP) && !e[15].has_new_addr,
	   "mremap dontunmap without new_addr");
	ok(e[16].has_new_addr && e[16].new_addr == 0x100000200000ULL,
	   "mremap dontunmap with a hint");
	ok(e[17].kind == TR_MADVISE && e[17].advice == TR_ADV_POPULATE_WRITE, "madvise");
	ok(e[18].kind == TR_MLOCK && e[19].kind == TR_MUNLOCK, "mlock, munlock");
	ok(e[20].kind == TR_BRKBASE && e[20].addr == 0x180000000000ULL, "brkbase");
	ok(e[21].kind == TR_BRK && e[21].addr == 0x180000001000ULL, "brk");
	ok(e[22].kind == TR_REMAP_FILE_PAGES && e[22].offset == 3, "remap_file_pages pgoff");
	ok(e[23].kind == TR_READ && e[23].addr == 0x100000001ff8ULL, "r at the last 8 bytes of a page");
	ok(e[24].kind == TR_WRITE && e[24].value == 28, "w value defaults to the line number");
	ok(e[25].kind == TR_WRITE && e[25].value == 99, "w value");
	ok(e[26].kind == TR_TOUCH && e[26].touch_write && e[26].value == 30,
	   "touch w value defaults to the line number");
	ok(e[27].touch_write && e[27].value == 5, "touch w value");
	ok(e[28].kind == TR_TOUCH && !e[28].touch_write, "touch r");
	ok(e[29].kind == TR_CHECK && e[29].pid == 0, "check");
	ok(e[30].kind == TR_RECLAIM && e[30].value == 100 && strcmp(e[30].expect, "42") == 0,
	   "reclaim pages in value");
	ok(e[31].kind == TR_COMPACT && e[31].value == 3, "compact order in value");
	ok(e[32].kind == TR_SWAPOFF && e[32].pid == 0 && e[32].line == 36, "swapoff");
	ok(e[33].kind == TR_EXIT && e[33].pid == 2, "exit");
	ok(e[34].kind == TR_SPAWN && e[34].pid == 2 && e[34].line == 38, "spawn after exit");
	ok(e[35].kind == TR_EXIT && e[35].pid == 1 && e[35].line == 39,
	   "spaces and tabs, last line without newline");
	tr_free(&t);
	ok(t.ev == NULL && t.n == 0, "tr_free clears");
}

/* ---------------------------------------------------------------- */

struct bad {
	const char *text;       /* the trace */
	unsigned line;          /* line of the error */
	const char *msg;        /* substring of the message */
};

static const struct bad bad_cases[] = {
	{ "1 spawn\n# c\n\n1 mmap 0x100000000000 4096 rwz private,anon\n", 4,
	  "expected a protection like rw- or r--, got 'rwz'" },
	{ "1 spawn\n1 mmap 0 4096 rw-- private,anon\n", 2, "protection" },
	{ "1 spawn\n1 mmap 0 4096 rw- anon\n", 2, "exactly one of private or shared" },
	{ "1 spawn\n1 mmap 0 4096 rw- private,shared,anon\n", 2, "exactly one of private or shared" },
	{ "1 spawn\n1 mmap 0 4096 rw- private,anon,huge\n", 2, "unknown flag 'huge'" },
	{ "1 spawn\n1 mmap 0 4096 rw- private,,anon\n", 2, "unknown flag" },
	{ "1 spawn\n1 mmap 0 4096 rw- private,anon,anon\n", 2, "given twice" },
	{ "1 spawn\nfile f 4096\n1 mmap 0 4096 rw- private\n", 3, "expected a file name" },
	{ "1 spawn\nfile f 4096\n1 mmap 0 4096 rw- private f\n", 3, "expected a file offset" },
	{ "1 spawn\nfile f 4096\n1 mmap 0 4096 rw- private,anon f 0\n", 3, "got 'f'" },
	{ "1 spawn\n1 mmap 0 4096 rw- private nofile 0\n", 2, "file made by an earlier" },
	{ "1 spawn\n1 mremap 0 4096 8192 fixed\n", 2, "new address" },
	{ "1 spawn\n1 mremap 0 4096 8192 maymove 0x1000\n", 2, "got '0x1000'" },
	{ "1 spawn\n1 mremap 0 4096 8192 -,maymove\n", 2, "mremap flags" },
	{ "1 spawn\n1 madvise 0 4096 hugepage\n", 2, "expected an advice" },
	{ "file a.b-c_D 1\nfile a.b-c_D 2\n", 2, "already in use" },
	{ "file bad/name 1\n", 1, "expected a file name" },
	{ "hostfile h /x\nfile h 1\n", 2, "already in use" },
	{ "file f 16\nfwrite f 9\n", 2, "lie within file 'f'" },
	{ "file f 16\ntruncate f 8\nfwrite f 8\n", 3, "lie within file 'f'" },
	/* ftruncate refuses a negative loff_t: the size stays 16 */
	{ "file f 16\ntruncate f 0x8000000000000000\nfwrite f 16\n", 3, "lie within file 'f'" },
	{ "truncate nothing 8\n", 1, "file made by an earlier" },
	{ "0 spawn\n", 1, "expected a pid" },
	{ "1x spawn\n", 1, "expected a pid" },
	{ "99999999999 spawn\n", 1, "expected a pid" },
	{ "1 spawn\n1 spawn\n", 2, "not live for spawn" },
	{ "1 spawn\n2 exit\n", 2, "expected a live pid" },
	{ "1 spawn\n1 exit\n1 r 0x1000\n", 3, "expected a live pid" },
	{ "1 spawn\n1 fork 1\n", 2, "child pid that is not live" },
	{ "1 spawn\n2 spawn\n1 fork 2\n", 3, "child pid that is not live" },
	{ "1 spawn\n1 fork\n", 2, "expected a child pid, got end of line" },
	{ "1 check\n", 1, "take no pid" },
	{ "reclaim\n", 1, "expected a number of pages" },
	{ "compact x\n", 1, "expected an order" },
	{ "swapoff now\n", 1, "after swapoff, got 'now'" },
	{ "check 1\n", 1, "got '1'" },
	{ "1 spawn\n1 jump\n", 2, "expected a verb" },
	{ "1 spawn\nspawn 1\n", 2, "expected a pid or one of" },
	{ "1 spawn\n1 r 0x1ff9\n", 2, "within one 4096-byte page" },
	{ "1 spawn\n1 w 0x1000 1 2\n", 2, "got '2'" },
	{ "1 spawn\n1 touch 0 4096 x\n", 2, "expected r or w" },
	{ "1 spawn\n1 touch 0 4096 r 5\n", 2, "got '5'" },
	{ "1 spawn\n1 munmap 12abc 4096\n", 2, "expected an address" },
	{ "1 spawn\n1 munmap 0x 4096\n", 2, "expected an address" },
	{ "1 spawn\n1 munmap 0x1000 18446744073709551616\n", 2, "expected a length" },
	{ "1 spawn\n1 munmap 0x1000 0x10000000000000000\n", 2, "expected a length" },
	{ "1 spawn\n1 munmap -1 4096\n", 2, "expected an address" },
	{ "1 spawn\n1 munmap +1 4096\n", 2, "expected an address" },
	{ "1 spawn\n1 munmap 0X10 4096\n", 2, "expected an address" },
	{ "1 spawn\n1 munmap 0x1000\n", 2, "expected a length, got end of line" },
	{ "1 spawn = ok extra\n", 1, "expected end of line after the result" },
	{ "1 spawn =\n", 1, "expected a result after '='" },
	{ "1 spawn = what\n", 1, "expected a result" },
	{ "1 spawn = -EWHAT\n", 1, "expected a result" },
	{ "= ok\n", 1, "expected an event before '='" },
	{ "1 spawn =ok\n", 1, "got '=ok'" },
	{ "revmap-trace 2\n", 1, "expected trace version 1, got '2'" },
	{ "revmap-trace\n", 1, "expected a version" },
	{ "# c\n1 spawn\nrevmap-trace 1\n", 3, "header must be the first" },
	{ "1 spawn\n1 r 0x1000 \x01\n", 2, "got '\\x01'" },
	{ "1 spawn\r\n", 1, "got 'spawn\\x0d'" },
	{ "1 spawn\n1 munmap 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n", 2, "more than" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad *b = &bad_cases[i];
		struct tr_trace t;
		char err[512], want[32];
		size_t len = strlen(b->text);
		int rc = tr_parse_buffer("t.trace", b->text, len, &t, err, sizeof(err));
		snprintf(want, sizeof(want), "t.trace:%u: ", b->line);
		ok(rc == -1 && strncmp(err, want, strlen(want)) == 0 && strstr(err, b->msg) &&
		   t.n == 0 && t.ev == NULL,
		   "bad case %zu rejected at line %u with '%s' (got: %s)", i, b->line, b->msg,
		   rc == -1 ? err : "accepted");
		if (rc == 0)
			tr_free(&t);
	}

	/* a NUL byte inside a token */
	static const char nul[] = "1 spawn\n1 r 0x10\0000\n";
	struct tr_trace t;
	char err[256];
	int rc = tr_parse_buffer("t.trace", nul, sizeof(nul) - 1, &t, err, sizeof(err));
	ok(rc == -1 && strncmp(err, "t.trace:2: expected an address", 30) == 0 &&
	   strstr(err, "got '0x10\\x000'"), "a NUL byte is junk in a token (%s)", err);
	static const char nul2[] = "1 spawn\n\0\n1 exit\n";
	rc = tr_parse_buffer("t.trace", nul2, sizeof(nul2) - 1, &t, err, sizeof(err));
	ok(rc == -1 && strncmp(err, "t.trace:2: expected a pid or one of", 35) == 0,
	   "a line holding a NUL byte (%s)", err);
}

/* ---------------------------------------------------------------- */

static void test_numbers(void)
{
	static const struct { const char *tok; uint64_t v; } good[] = {
		{ "0", 0 }, { "4096", 4096 }, { "0x1000", 4096 }, { "0xABCdef", 0xabcdef },
		{ "18446744073709551615", UINT64_MAX }, { "0xffffffffffffffff", UINT64_MAX },
		{ "0x0000000000000000001", 1 }, { "007", 7 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char text[128], err[256];
		struct tr_trace t;
		snprintf(text, sizeof(text), "1 spawn\n1 munmap 0 %s\n", good[i].tok);
		int rc = parse(text, &t, err, sizeof(err));
		ok(rc == 0 && t.n == 2 && t.ev[1].len == good[i].v, "number %s", good[i].tok);
		if (rc == 0)
			tr_free(&t);
	}
}

static void test_header(void)
{
	struct tr_trace t;
	char err[256];
	int rc = parse("# comment\n\n  revmap-trace 1  # v1\n1 spawn\n", &t, err, sizeof(err));
	ok(rc == 0 && t.n == 1 && t.ev[0].line == 4, "header after comments is not an event");
	if (!rc)
		tr_free(&t);
	rc = parse("", &t, err, sizeof(err));
	ok(rc == 0 && t.n == 0, "empty trace");
	if (!rc)
		tr_free(&t);
	rc = parse("\n\n# only comments", &t, err, sizeof(err));
	ok(rc == 0 && t.n == 0, "comments only, no final newline");
	if (!rc)
		tr_free(&t);
}

static void test_robust(void)
{
	/* a very long line */
	size_t n = 1 << 20;
	char *big = malloc(n + 16);
	char err[256];
	struct tr_trace t;
	memcpy(big, "1 spawn\n1 r ", 12);
	memset(big + 12, '7', n);
	big[12 + n] = '\n';
	int rc = tr_parse_buffer("t.trace", big, n + 13, &t, err, sizeof(err));
	ok(rc == -1 && strncmp(err, "t.trace:2: expected an address", 30) == 0,
	   "a 1 MiB token is rejected cleanly");
	memset(big, ' ', n);
	memcpy(big + n - 8, "1 spawn", 7);
	rc = tr_parse_buffer("t.trace", big, n, &t, err, sizeof(err));
	ok(rc == 0 && t.n == 1, "a 1 MiB line of spaces");
	if (!rc)
		tr_free(&t);
	free(big);

	/* a small error buffer still holds a terminated prefix */
	char small[12];
	rc = parse("1 spawn\n1 spawn\n", &t, small, sizeof(small));
	ok(rc == -1 && strlen(small) < sizeof(small), "message truncated to the buffer");
	ok(parse("1 spawn\n1 spawn\n", &t, NULL, 0) == -1, "NULL error buffer");

	/* random bytes and random token soup: must not crash */
	static const char *const words[] = {
		"1", "2", "3", "spawn", "fork", "exit", "exec", "mmap", "munmap", "r", "w",
		"touch", "0x100000000000", "4096", "rw-", "private,anon", "shared", "file",
		"f", "=", "ok", "-ENOMEM", "#", "\n", "\n", "\n", " ", "\t", "\0", "mremap",
		"maymove,fixed", "-", "truncate", "fwrite", "8", "revmap-trace",
	};
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	int accepted = 0;
	for (int round = 0; round < 4000; round++) {
		char buf[512];
		size_t len = 0;
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t target = (s >> 33) % sizeof(buf);
		while (len < target) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			if (round & 1) {
				buf[len++] = (char)(s >> 56);
			} else {
				const char *w = words[(s >> 33) % (sizeof(words) / sizeof(words[0]))];
				size_t wl = w[0] ? strlen(w) : 1;
				if (len + wl + 1 > sizeof(buf))
					break;
				memcpy(buf + len, w, wl);
				len += wl;
				if (w[0] != '\n')
					buf[len++] = ' ';
			}
		}
		rc = tr_parse_buffer("fuzz", buf, len, &t, err, sizeof(err));
		if (rc == 0) {
			accepted++;
			tr_free(&t);
		} else if (strncmp(err, "fuzz:", 5) != 0) {
			break;
		}
	}
	ok(1, "4000 random inputs parsed without crashing (%d accepted)", accepted);
}

static void test_file(void)
{
	char path[] = "/tmp/t_trace.XXXXXX";
	int fd = mkstemp(path);
	struct tr_trace t;
	char err[256];
	if (fd < 0) {
		ok(0, "mkstemp");
		return;
	}
	static const char text[] = "revmap-trace 1\n1 spawn\n1 exit = ok";
	ok(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1, "write temp trace");
	close(fd);
	int rc = tr_parse_file(path, &t, err, sizeof(err));
	ok(rc == 0 && t.n == 2 && t.ev[1].line == 3 && strcmp(t.path, path) == 0,
	   "tr_parse_file");
	if (!rc)
		tr_free(&t);
	unlink(path);
	rc = tr_parse_file(path, &t, err, sizeof(err));
	ok(rc == -1 && strncmp(err, path, strlen(path)) == 0 && strstr(err, "cannot open"),
	   "tr_parse_file of a missing file: %s", err);
}

/* ---------------------------------------------------------------- */

static void test_names(void)
{
	ok(strcmp(tr_kind_name(TR_REMAP_FILE_PAGES), "remap_file_pages") == 0 &&
	   strcmp(tr_kind_name(TR_READ), "r") == 0, "kind names");
	ok(strcmp(tr_advice_name(TR_ADV_WIPEONFORK), "wipeonfork") == 0 &&
	   strcmp(tr_advice_name(TR_ADV_POPULATE_READ), "populate_read") == 0, "advice names");

	static const struct { const char *name; int err; } errs[] = {
		{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EINTR", EINTR }, { "EIO", EIO },
		{ "ENXIO", ENXIO }, { "E2BIG", E2BIG }, { "ENOEXEC", ENOEXEC },
		{ "EBADF", EBADF }, { "ECHILD", ECHILD }, { "EAGAIN", EAGAIN },
		{ "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EFAULT", EFAULT },
		{ "EBUSY", EBUSY }, { "EEXIST", EEXIST }, { "ENODEV", ENODEV },
		{ "EINVAL", EINVAL }, { "ENFILE", ENFILE }, { "EMFILE", EMFILE },
		{ "ETXTBSY", ETXTBSY }, { "EFBIG", EFBIG }, { "ENOSPC", ENOSPC },
		{ "ESPIPE", ESPIPE }, { "EROFS", EROFS }, { "EOVERFLOW", EOVERFLOW },
		{ "ENOSYS", ENOSYS }, { "EOPNOTSUPP", EOPNOTSUPP }, { "EHWPOISON", EHWPOISON },
		{ "ENAMETOOLONG", ENAMETOOLONG }, { "ETIMEDOUT", ETIMEDOUT },
	};
	int good = 1;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		const char *nm = tr_errno_name(errs[i].err);
		if (!nm || strcmp(nm, errs[i].name) != 0 ||
		    tr_errno_from_name(errs[i].name) != errs[i].err) {
			good = 0;
			printf("# errno %s = %d: table says %s\n", errs[i].name, errs[i].err,
			       nm ? nm : "(null)");
		}
	}
	ok(good, "errno table agrees with <errno.h>");
	ok(tr_errno_from_name("EWOULDBLOCK") == EAGAIN && tr_errno_from_name("ENOTSUP") == 95 &&
	   tr_errno_from_name("EDEADLOCK") == EDEADLK, "errno aliases");
	ok(tr_errno_name(0) == NULL && tr_errno_name(-1) == NULL && tr_errno_name(41) == NULL &&
	   tr_errno_name(100000) == NULL && tr_errno_from_name("ENOPE") == 0 &&
	   tr_errno_from_name("") == 0 && tr_errno_from_name(NULL) == 0, "unknown errnos");
}

static void test_results(void)
{
	static const struct { struct tr_result r; const char *text; } fmt[] = {
		{ { RES_OK, 0 }, "ok" }, { { RES_ZERO, 0 }, "0" },
		{ { RES_ERR, 12 }, "-ENOMEM" }, { { RES_ERR, 17 }, "-EEXIST" },
		{ { RES_HEX, 0 }, "0x0" }, { { RES_HEX, 0x100000000000ULL }, "0x100000000000" },
		{ { RES_HEX, 0x32c2f90b0bb050c8ULL }, "0x32c2f90b0bb050c8" },
		{ { RES_HEX, UINT64_MAX }, "0xffffffffffffffff" },
		{ { RES_DEC, 42 }, "42" }, { { RES_SEGV, 0 }, "segv" }, { { RES_BUS, 0 }, "bus" },
		{ { RES_OOM, 0 }, "oom-killed" }, { { RES_KILLED, 0 }, "killed" },
	};
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		char buf[64];
		tr_result_format(&fmt[i].r, buf, sizeof(buf));
		ok(strcmp(buf, fmt[i].text) == 0, "format %s (got %s)", fmt[i].text, buf);
		ok(tr_result_matches(&fmt[i].r, fmt[i].text), "%s matches its own text", fmt[i].text);
	}

	static const struct { struct tr_result r; const char *expect; bool match; } m[] = {
		{ { RES_HEX, 0x1000 }, "4096", true },
		{ { RES_HEX, 0x1000 }, "0x1000", true },
		{ { RES_HEX, 0x1000 }, "0x0000001000", true },
		{ { RES_DEC, 4096 }, "0x1000", true },
		{ { RES_HEX, 0x1000 }, "0x1001", false },
		{ { RES_ZERO, 0 }, "0", true },
		{ { RES_ZERO, 0 }, "0x0", true },
		{ { RES_HEX, 0 }, "0", true },
		{ { RES_ZERO, 0 }, "ok", false },
		{ { RES_ERR, 12 }, "-ENOMEM", true },
		{ { RES_ERR, 12 }, "-EINVAL", false },
		{ { RES_ERR, 11 }, "-EWOULDBLOCK", true },
		{ { RES_ERR, 12 }, "12", false },
		{ { RES_HEX, 12 }, "-ENOMEM", false },
		{ { RES_SEGV, 0 }, "bus", false },
		{ { RES_SEGV, 0 }, "segv", true },
		{ { RES_OK, 0 }, "garbage", false },
		{ { RES_OK, 0 }, "", false },
		{ { RES_OK, 0 }, NULL, false },
		{ { RES_NONE, 0 }, "ok", false },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		char buf[64];
		ok(tr_result_matches(&m[i].r, m[i].expect) == m[i].match, "%s %s '%s'",
		   tr_result_format(&m[i].r, buf, sizeof(buf)),
		   m[i].match ? "matches" : "does not match", m[i].expect ? m[i].expect : "NULL");
	}

	struct tr_result r;
	ok(tr_result_parse("0x10", &r) && r.type == RES_HEX && r.val == 16, "parse 0x10");
	ok(tr_result_parse("10", &r) && r.type == RES_DEC && r.val == 10, "parse 10");
	ok(tr_result_parse("0", &r) && r.type == RES_ZERO, "parse 0");
	ok(tr_result_parse("-EFAULT", &r) && r.type == RES_ERR && r.val == 14, "parse -EFAULT");
	ok(!tr_result_parse("-E", &r) && !tr_result_parse("0x", &r) && !tr_result_parse("-1", &r),
	   "parse rejects junk");
}

/* ---------------------------------------------------------------- */

static char *dump_to_string(void (*fill)(struct dump_writer *), int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct dump_writer w;
	dump_begin(&w, f);
	fill(&w);
	*rc = dump_end(&w);
	fclose(f);
	return buf;
}

static void fill_small(struct dump_writer *w)
{
	struct tr_result ok1 = { RES_OK, 0 }, hex = { RES_HEX, 0x100000000000ULL };
	struct tr_result err = { RES_ERR, 12 }, zero = { RES_ZERO, 0 };
	dump_op(w, 2, &ok1);
	dump_op(w, 3, &hex);
	dump_op(w, 4, &err);
	dump_op(w, 5, &zero);
	dump_proc(w, 1);
	dump_vma(w, 0x100000000000ULL, 0x100000004000ULL, TR_PROT_READ | TR_PROT_WRITE, false,
		 0, "-");
	dump_vma(w, 0x1ffffffff000ULL, 0x200000000000ULL, TR_PROT_READ | TR_PROT_EXEC, true,
		 0x3000, "data");
	dump_vma(w, 0x180000000000ULL, 0x180000001000ULL, 0, false, 0, "[heap]");
	dump_page(w, 0x100000000000ULL, DUMP_ANON, 0x30ad967141fa6321ULL, 777, 1);
	dump_page(w, 0x100000001000ULL, DUMP_ZERO, 0xb93a0c83ce3b6325ULL, 12345, 99);
	dump_page(w, 0x100000002000ULL, DUMP_FILE, 0x0000000000000001ULL, 0, 3);
	dump_page(w, 0x100000003000ULL, DUMP_SHMEM, 0xffffffffffffffffULL, 777, 2);
	dump_proc(w, 2);
	dump_page(w, 0x100000000000ULL, DUMP_ANON, 0x1ULL, UINT64_MAX, 1);
	dump_page(w, 0x100000001000ULL, DUMP_ANON, 0x1ULL, 0, 1);
}

static void fill_many(struct dump_writer *w)
{
	/* 5000 distinct raw ids in a scrambled order, then the first again */
	for (uint64_t i = 0; i < 5000; i++)
		dump_page(w, i * 4096, DUMP_ANON, 0, (i * 2654435761ULL) ^ 0x5555, 1);
	dump_page(w, 0x7000000, DUMP_ANON, 0, (0 * 2654435761ULL) ^ 0x5555, 1);
	dump_page(w, 0x7001000, DUMP_ANON, 0, (4999 * 2654435761ULL) ^ 0x5555, 1);
}

/*
 * dump_page_data hashes a frame the first time it appears and then reuses
 * the digest: a second line of raw frame 7 shows the first page's digest
 * although different bytes are passed (which never happens in a real dump:
 * it shows that the bytes were not hashed again), and so does the zero page.
 */
static void fill_data(struct dump_writer *w)
{
	static uint8_t zero[4096], four[4096], other[4096];

	four[0] = 4;
	other[0] = 9;
	dump_page_data(w, 0x1000, DUMP_ANON, four, 7, 2);
	dump_page_data(w, 0x2000, DUMP_ZERO, zero, 0, 0);
	dump_page_data(w, 0x3000, DUMP_ANON, other, 8, 1);
	dump_page_data(w, 0x4000, DUMP_ANON, other, 7, 2);
	dump_page_data(w, 0x5000, DUMP_ZERO, four, 0, 0);
	dump_page(w, 0x6000, DUMP_FILE, 0x5ULL, 9, 1);
	dump_page_data(w, 0x7000, DUMP_FILE, zero, 9, 1);
}

static void test_dump(void)
{
	int rc;
	char *s = dump_to_string(fill_small, &rc);
	static const char want[] =
		"revmap-dump 1\n"
		"op 2 ok\n"
		"op 3 0x100000000000\n"
		"op 4 -ENOMEM\n"
		"op 5 0\n"
		"proc 1\n"
		"vma 0x100000000000 0x100000004000 rw-p 0x0 -\n"
		"vma 0x1ffffffff000 0x200000000000 r-xs 0x3000 data\n"
		"vma 0x180000000000 0x180000001000 ---p 0x0 [heap]\n"
		"page 0x100000000000 anon 30ad967141fa6321 f1 1\n"
		"page 0x100000001000 zero b93a0c83ce3b6325 z -\n"
		"page 0x100000002000 file 0000000000000001 f2 3\n"
		"page 0x100000003000 shmem ffffffffffffffff f1 2\n"
		"proc 2\n"
		"page 0x100000000000 anon 0000000000000001 f3 1\n"
		"page 0x100000001000 anon 0000000000000001 f2 1\n";
	ok(rc == 0 && s && strcmp(s, want) == 0, "dump lines exactly as the spec writes them");
	if (s && strcmp(s, want) != 0)
		printf("# got:\n%s", s);
	free(s);

	s = dump_to_string(fill_data, &rc);
	static const char want_data[] =
		"revmap-dump 1\n"
		"page 0x1000 anon 30ad967141fa6321 f1 2\n"
		"page 0x2000 zero b93a0c83ce3b6325 z -\n"
		"page 0x3000 anon 682fdb2443ad232c f2 1\n"
		"page 0x4000 anon 30ad967141fa6321 f1 2\n"
		"page 0x5000 zero b93a0c83ce3b6325 z -\n"
		"page 0x6000 file 0000000000000005 f3 1\n"
		"page 0x7000 file 0000000000000005 f3 1\n";
	ok(rc == 0 && s && strcmp(s, want_data) == 0,
	   "dump_page_data hashes each frame and the zero page once per dump");
	if (s && strcmp(s, want_data) != 0)
		printf("# got:\n%s", s);
	free(s);

	s = dump_to_string(fill_many, &rc);
	const char *l1 = s ? strstr(s, "page 0x7000000 ") : NULL;
	const char *l2 = s ? strstr(s, "page 0x7001000 ") : NULL;
	ok(rc == 0 && l1 && strncmp(l1, "page 0x7000000 anon 0000000000000000 f1 1\n", 42) == 0,
	   "frame numbering survives map growth (first id is still f1)");
	ok(l2 && strncmp(l2, "page 0x7001000 anon 0000000000000000 f5000 1\n", 45) == 0,
	   "the 5000th new id is f5000");
	ok(s && strstr(s, "page 0x1387000 anon 0000000000000000 f5000 1\n"),
	   "pages numbered in order of first appearance");
	free(s);

	static unsigned char page[4096];
	ok(dump_digest(page) == 0xb93a0c83ce3b6325ULL, "digest of a zero page");
	for (int i = 0; i < 4096; i++)
		page[i] = (unsigned char)i;
	ok(dump_digest(page) == 0x88d6ce5789d35325ULL, "digest of bytes 0..255 repeated");
	memset(page, 0, sizeof(page));
	page[0] = 4;
	ok(dump_digest(page) == 0x30ad967141fa6321ULL, "digest of a page holding the word 4");
}

/* ---------------------------------------------------------------- */

/*
 * rv_replay_buffer on text; => its status, with what it wrote to errf in
 * msg (malloc'd).  A fresh 1 MiB machine each time.
 */
static int replay_msg(const char *text, const char *dump_path, char **msg)
{
	struct rv_options opt = { .mem_bytes = 1 << 20 };
	char err[256];
	size_t len = 0;
	rv_sim *s = rv_sim_new(&opt, err, sizeof(err));
	FILE *f;
	int st;

	if (!s) {
		*msg = strdup(err);
		return -1;
	}
	f = open_memstream(msg, &len);
	if (!f) {
		rv_sim_free(s);
		*msg = strdup("(no memstream)");
		return -1;
	}
	st = rv_replay_buffer(s, "t.trace", text, strlen(text), dump_path, f);
	fclose(f);
	rv_sim_free(s);
	return st;
}

/*
 * Is msg whole lines, each starting with "revmap: ", the first with want?
 * => the answer; msg's newlines become '|' (for the test's name).
 */
static bool msg_is(char *msg, const char *want)
{
	bool good = strncmp(msg, want, strlen(want)) == 0;

	for (char *p = msg; *p; ) {
		char *nl = strchr(p, '\n');

		if (strncmp(p, "revmap: ", 8) || !nl) {
			good = false;
			break;
		}
		*nl = '|';
		p = nl + 1;
	}
	return good;
}

/* The messages of a replay start with "revmap: ", then FILE:LINE: */
static void test_messages(void)
{
	static const struct {
		const char *text;       /* the trace */
		const char *dump;       /* dump path, or NULL */
		int status;             /* RV_* */
		const char *want;       /* the message starts so */
	} cases[] = {
		{ "1 spawn\n1 frob\n", NULL, RV_BADINPUT,
		  "revmap: t.trace:2: expected a verb (" },
		{ "1 spawn\n1 mmap 0x100000000000 4096 rw- private,anon = 0x1000\n", NULL,
		  RV_MISMATCH, "revmap: t.trace:2: expected 0x1000, got 0x100000000000" },
		{ "1 spawn\n1 r 0x100000000000 = segv\n1 r 0x100000000000 = 0\n", NULL,
		  RV_MISMATCH, "revmap: t.trace:3: expected 0, got segv" },
		{ "hostfile h /nonexistent/t_trace\n", NULL, RV_BADINPUT,
		  "revmap: t.trace:1: cannot read host file '/nonexistent/t_trace': " },
		{ "# big\nfile big 0x200000\n", NULL, RV_BADINPUT,
		  "revmap: t.trace:2: the machine's memory (256 frames) cannot hold file big" },
		{ "1 spawn\n", "/nonexistent/t_trace.dump", RV_BADINPUT,
		  "revmap: cannot write /nonexistent/t_trace.dump: " },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *msg = NULL;
		const char *tmp = getenv("TMPDIR");
		char *saved = tmp ? strdup(tmp) : NULL;
		int st;

		/* a file larger than the machine needs its backing store:
		 * make it impossible, to see the message */
		setenv("TMPDIR", "/nonexistent/t_trace", 1);
		st = replay_msg(cases[i].text, cases[i].dump, &msg);
		if (saved)
			setenv("TMPDIR", saved, 1);
		else
			unsetenv("TMPDIR");
		free(saved);

		ok(st == cases[i].status && msg && msg_is(msg, cases[i].want),
		   "replay message %zu: status %d, '%s' (got %d: %s)", i, cases[i].status,
		   cases[i].want, st, msg ? msg : "(none)");
		free(msg);
	}
}

int main(void)
{
	test_good();
	test_bad();
	test_numbers();
	test_header();
	test_robust();
	test_file();
	test_names();
	test_results();
	test_dump();
	test_messages();
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
