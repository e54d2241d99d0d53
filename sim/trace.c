/*
 * sim/trace.c - parser of the trace format (docs/trace-format.md) and
 * the textual form of results.
 *
 * The parser reads a whole trace before anything runs, so that a bad line
 * rejects the trace with "PATH:LINE: what was expected" and nothing half-runs.
 * It is fed arbitrary bytes by the fuzzer: lines and tokens are (pointer,
 * length) slices of the input and are never NUL-terminated in place, so NUL
 * bytes, lines of any length and a missing final newline are all just data.
 *
 * Besides the syntax it checks what can be known statically:
 *  - every pid is live (spawned or forked, not exited) where it is used;
 *    `spawn` of a live pid and `fork` to a live child are errors;
 *  - file names are unique (`file`, `hostfile`) and known where used;
 *  - `fwrite` stays inside the file when its size is known (files made by
 *    `file`, resized by `truncate` -- not by one to 2^63 or more, which
 *    ftruncate refuses; a `hostfile`'s size is unknown here);
 *  - the 8 bytes of `r` and `w` lie within one page.
 *
 * Liveness uses an open-addressing map pid -> live (pids are never removed,
 * only marked dead, so there are no tombstones); files an open-addressing
 * map name -> size.  Both grow at half load.
 */
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* errno names: Linux x86-64 numbering (asm-generic/errno*.h)          */

static const char *const errno_names[] = {
	[1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR",
	[5] = "EIO", [6] = "ENXIO", [7] = "E2BIG", [8] = "ENOEXEC",
	[9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN", [12] = "ENOMEM",
	[13] = "EACCES", [14] = "EFAULT", [15] = "ENOTBLK", [16] = "EBUSY",
	[17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV", [20] = "ENOTDIR",
	[21] = "EISDIR", [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE",
	[25] = "ENOTTY", [26] = "ETXTBSY", [27] = "EFBIG", [28] = "ENOSPC",
	[29] = "ESPIPE", [30] = "EROFS", [31] = "EMLINK", [32] = "EPIPE",
	[33] = "EDOM", [34] = "ERANGE", [35] = "EDEADLK",
	[36] = "ENAMETOOLONG", [37] = "ENOLCK", [38] = "ENOSYS",
	[39] = "ENOTEMPTY", [40] = "ELOOP", [42] = "ENOMSG", [43] = "EIDRM",
	[44] = "ECHRNG", [45] = "EL2NSYNC", [46] = "EL3HLT", [47] = "EL3RST",
	[48] = "ELNRNG", [49] = "EUNATCH", [50] = "ENOCSI", [51] = "EL2HLT",
	[52] = "EBADE", [53] = "EBADR", [54] = "EXFULL", [55] = "ENOANO",
	[56] = "EBADRQC", [57] = "EBADSLT", [59] = "EBFONT", [60] = "ENOSTR",
	[61] = "ENODATA", [62] = "ETIME", [63] = "ENOSR", [64] = "ENONET",
	[65] = "ENOPKG", [66] = "EREMOTE", [67] = "ENOLINK", [68] = "EADV",
	[69] = "ESRMNT", [70] = "ECOMM", [71] = "EPROTO", [72] = "EMULTIHOP",
	[73] = "EDOTDOT", [74] = "EBADMSG", [75] = "EOVERFLOW",
	[76] = "ENOTUNIQ", [77] = "EBADFD", [78] = "EREMCHG", [79] = "ELIBACC",
	[80] = "ELIBBAD", [81] = "ELIBSCN", [82] = "ELIBMAX",
	[83] = "ELIBEXEC", [84] = "EILSEQ", [85] = "ERESTART",
	[86] = "ESTRPIPE", [87] = "EUSERS", [88] = "ENOTSOCK",
	[89] = "EDESTADDRREQ", [90] = "EMSGSIZE", [91] = "EPROTOTYPE",
	[92] = "ENOPROTOOPT", [93] = "EPROTONOSUPPORT",
	[94] = "ESOCKTNOSUPPORT", [95] = "EOPNOTSUPP", [96] = "EPFNOSUPPORT",
	[97] = "EAFNOSUPPORT", [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL",
	[100] = "ENETDOWN", [101] = "ENETUNREACH", [102] = "ENETRESET",
	[103] = "ECONNABORTED", [104] = "ECONNRESET", [105] = "ENOBUFS",
	[106] = "EISCONN", [107] = "ENOTCONN", [108] = "ESHUTDOWN",
	[109] = "ETOOMANYREFS", [110] = "ETIMEDOUT", [111] = "ECONNREFUSED",
	[112] = "EHOSTDOWN", [113] = "EHOSTUNREACH", [114] = "EALREADY",
	[115] = "EINPROGRESS", [116] = "ESTALE", [117] = "EUCLEAN",
	[118] = "ENOTNAM", [119] = "ENAVAIL", [120] = "EISNAM",
	[121] = "EREMOTEIO", [122] = "EDQUOT", [123] = "ENOMEDIUM",
	[124] = "EMEDIUMTYPE", [125] = "ECANCELED", [126] = "ENOKEY",
	[127] = "EKEYEXPIRED", [128] = "EKEYREVOKED", [129] = "EKEYREJECTED",
	[130] = "EOWNERDEAD", [131] = "ENOTRECOVERABLE", [132] = "ERFKILL",
	[133] = "EHWPOISON",
};
#define NR_ERRNO_NAMES (sizeof(errno_names) / sizeof(errno_names[0]))

/* other spellings of the same numbers, accepted when reading */
static const struct { const char *name; int err; } errno_aliases[] = {
	{ "EWOULDBLOCK", 11 }, { "EDEADLOCK", 35 }, { "ENOTSUP", 95 },
};

const char *tr_errno_name(int err)
{
	if (err <= 0 || (size_t)err >= NR_ERRNO_NAMES)
		return NULL;
	return errno_names[err];
}

/* => name: n bytes, need not be NUL-terminated.  => returns 0 if unknown. */
static int errno_from_slice(const char *name, size_t n)
{
	for (size_t i = 1; i < NR_ERRNO_NAMES; i++)
		if (errno_names[i] && strlen(errno_names[i]) == n &&
		    memcmp(errno_names[i], name, n) == 0)
			return (int)i;
	for (size_t i = 0; i < sizeof(errno_aliases) / sizeof(errno_aliases[0]); i++)
		if (strlen(errno_aliases[i].name) == n &&
		    memcmp(errno_aliases[i].name, name, n) == 0)
			return errno_aliases[i].err;
	return 0;
}

int tr_errno_from_name(const char *name)
{
	return name ? errno_from_slice(name, strlen(name)) : 0;
}

/* ------------------------------------------------------------------ */
/* names                                                               */

static const char *const kind_names[TR_NR_KINDS] = {
	[TR_SPAWN] = "spawn", [TR_FORK] = "fork", [TR_EXEC] = "exec",
	[TR_EXIT] = "exit", [TR_FILE] = "file", [TR_HOSTFILE] = "hostfile",
	[TR_TRUNCATE] = "truncate", [TR_FWRITE] = "fwrite",
	[TR_MMAP] = "mmap", [TR_MUNMAP] = "munmap",
	[TR_MPROTECT] = "mprotect", [TR_MREMAP] = "mremap",
	[TR_MADVISE] = "madvise", [TR_MLOCK] = "mlock",
	[TR_MUNLOCK] = "munlock", [TR_BRKBASE] = "brkbase", [TR_BRK] = "brk",
	[TR_REMAP_FILE_PAGES] = "remap_file_pages", [TR_READ] = "r",
	[TR_WRITE] = "w", [TR_TOUCH] = "touch", [TR_CHECK] = "check",
	[TR_RECLAIM] = "reclaim", [TR_COMPACT] = "compact", [TR_SWAPOFF] = "swapoff",
};

static const char *const advice_names[TR_NR_ADVICE] = {
	[TR_ADV_NORMAL] = "normal", [TR_ADV_RANDOM] = "random",
	[TR_ADV_SEQUENTIAL] = "sequential", [TR_ADV_WILLNEED] = "willneed",
	[TR_ADV_DONTNEED] = "dontneed", [TR_ADV_FREE] = "free",
	[TR_ADV_REMOVE] = "remove", [TR_ADV_DONTFORK] = "dontfork",
	[TR_ADV_DOFORK] = "dofork", [TR_ADV_WIPEONFORK] = "wipeonfork",
	[TR_ADV_KEEPONFORK] = "keeponfork", [TR_ADV_COLD] = "cold",
	[TR_ADV_PAGEOUT] = "pageout", [TR_ADV_POPULATE_READ] = "populate_read",
	[TR_ADV_POPULATE_WRITE] = "populate_write",
};

const char *tr_kind_name(enum tr_kind k)
{
	return (unsigned)k < TR_NR_KINDS ? kind_names[k] : "?";
}

const char *tr_advice_name(enum tr_advice a)
{
	return (unsigned)a < TR_NR_ADVICE ? advice_names[a] : "?";
}

/* ------------------------------------------------------------------ */
/* tokens                                                              */

struct tok {
	const char *p;          /* first byte, inside the input */
	size_t n;               /* length, > 0 */
};

static bool tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);
	return t->n == n && memcmp(t->p, s, n) == 0;
}

/* Printable, quoted-safe copy of a token for messages (at most ~48 chars). */
static const char *tok_show(const struct tok *t, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; i < t->n && o + 8 < len && o < 48; i++) {
		unsigned char c = (unsigned char)t->p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	if (i < t->n && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/*
 * Unsigned 64-bit number, decimal or 0x hex.  => returns false on anything
 * else: empty digits, junk ("12abc"), signs, overflow.
 */
static bool parse_u64(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return false;
	if (n > 2 && p[0] == '0' && p[1] == 'x') {
		for (size_t i = 2; i < n; i++) {
			unsigned d;
			char c = p[i];
			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				d = (unsigned)(c - 'A' + 10);
			else
				return false;
			if (v >> 60)
				return false;
			v = (v << 4) | d;
		}
		*out = v;
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c < '0' || c > '9')
			return false;
		unsigned d = (unsigned)(c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* ------------------------------------------------------------------ */
/* results                                                             */

/* => returns false if text is not a result as the spec writes them. */
static bool result_parse(const char *s, size_t n, struct tr_result *r)
{
	uint64_t v;

	r->val = 0;
	if (n == 2 && memcmp(s, "ok", 2) == 0) {
		r->type = RES_OK;
	} else if (n == 4 && memcmp(s, "segv", 4) == 0) {
		r->type = RES_SEGV;
	} else if (n == 3 && memcmp(s, "bus", 3) == 0) {
		r->type = RES_BUS;
	} else if (n == 10 && memcmp(s, "oom-killed", 10) == 0) {
		r->type = RES_OOM;
	} else if (n == 6 && memcmp(s, "killed", 6) == 0) {
		r->type = RES_KILLED;
	} else if (n >= 2 && s[0] == '-' && s[1] == 'E') {
		int e = errno_from_slice(s + 1, n - 1);
		if (!e)
			return false;
		r->type = RES_ERR;
		r->val = (uint64_t)e;
	} else if (parse_u64(s, n, &v)) {
		if (n > 2 && s[1] == 'x')
			r->type = RES_HEX;
		else
			r->type = v == 0 ? RES_ZERO : RES_DEC;
		r->val = v;
	} else {
		return false;
	}
	return true;
}

bool tr_result_parse(const char *text, struct tr_result *r)
{
	return text && result_parse(text, strlen(text), r);
}

char *tr_result_format(const struct tr_result *r, char *buf, size_t len)
{
	const char *name;

	switch (r->type) {
	case RES_NONE:   snprintf(buf, len, "none"); break;
	case RES_OK:     snprintf(buf, len, "ok"); break;
	case RES_ZERO:   snprintf(buf, len, "0"); break;
	case RES_ERR:
		name = r->val <= 0x7fffffff ? tr_errno_name((int)r->val) : NULL;
		if (name)
			snprintf(buf, len, "-%s", name);
		else
			snprintf(buf, len, "-E%" PRIu64, r->val);
		break;
	case RES_HEX:    snprintf(buf, len, "0x%" PRIx64, r->val); break;
	case RES_DEC:    snprintf(buf, len, "%" PRIu64, r->val); break;
	case RES_SEGV:   snprintf(buf, len, "segv"); break;
	case RES_BUS:    snprintf(buf, len, "bus"); break;
	case RES_OOM:    snprintf(buf, len, "oom-killed"); break;
	case RES_KILLED: snprintf(buf, len, "killed"); break;
	default:         snprintf(buf, len, "?"); break;
	}
	return buf;
}

static bool res_is_number(enum tr_res_type t)
{
	return t == RES_ZERO || t == RES_HEX || t == RES_DEC;
}

bool tr_result_matches(const struct tr_result *r, const char *expect)
{
	struct tr_result e;

	if (!tr_result_parse(expect, &e))
		return false;
	if (res_is_number(e.type) && res_is_number(r->type)) {
		uint64_t v = r->type == RES_ZERO ? 0 : r->val;
		return v == e.val;
	}
	if (e.type != r->type)
		return false;
	return e.type != RES_ERR || e.val == r->val;
}

/* ------------------------------------------------------------------ */
/* parser state                                                        */

struct pid_slot {
	int pid;                /* 0: empty slot */
	bool live;              /* spawned/forked and not exited */
};

struct file_slot {
	const char *name;       /* NULL: empty slot; owned by an event */
	uint64_t size;          /* current size when known */
	bool size_known;        /* false for hostfile */
};

#define MAX_TOKS 16

struct parser {
	const char *path;       /* for messages */
	uint32_t line;          /* current physical line */
	char *err;              /* message buffer */
	size_t errlen;
	struct tr_trace *t;     /* output being built */
	size_t cap;             /* allocated events in t->ev */
	struct pid_slot *pids;  /* pid map, pcap slots (power of two) */
	size_t pcap, pused;
	struct file_slot *files; /* file map, fcap slots (power of two) */
	size_t fcap, fused;
	struct tok tk[MAX_TOKS]; /* tokens of the event part of the line */
	int nt;                 /* number of those */
	int cur;                /* next token to consume */
	char show[64];          /* scratch for tok_show */
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int perr(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int o;

	if (!ps->err || ps->errlen == 0)
		return -1;
	o = snprintf(ps->err, ps->errlen, "%s:%" PRIu32 ": ", ps->path, ps->line);
	if (o < 0 || (size_t)o >= ps->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->err + o, ps->errlen - (size_t)o, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *show(struct parser *ps, const struct tok *t)
{
	return tok_show(t, ps->show, sizeof(ps->show));
}

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static uint64_t hash_str(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* => returns the slot of pid, or NULL if absent. */
static struct pid_slot *pid_find(struct parser *ps, int pid)
{
	if (!ps->pcap)
		return NULL;
	size_t m = ps->pcap - 1;
	for (size_t i = hash64((uint64_t)pid) & m;; i = (i + 1) & m) {
		if (ps->pids[i].pid == pid)
			return &ps->pids[i];
		if (ps->pids[i].pid == 0)
			return NULL;
	}
}

static bool pid_live(struct parser *ps, int pid)
{
	struct pid_slot *s = pid_find(ps, pid);
	return s && s->live;
}

/* => returns 0, or -1 on allocation failure. */
static int pid_set(struct parser *ps, int pid, bool live)
{
	struct pid_slot *s = pid_find(ps, pid);
	if (s) {
		s->live = live;
		return 0;
	}
	if ((ps->pused + 1) * 2 > ps->pcap) {
		size_t ncap = ps->pcap ? ps->pcap * 2 : 64;
		struct pid_slot *n = calloc(ncap, sizeof(*n));
		if (!n)
			return -1;
		for (size_t i = 0; i < ps->pcap; i++) {
			if (!ps->pids[i].pid)
				continue;
			size_t j = hash64((uint64_t)ps->pids[i].pid) & (ncap - 1);
			while (n[j].pid)
				j = (j + 1) & (ncap - 1);
			n[j] = ps->pids[i];
		}
		free(ps->pids);
		ps->pids = n;
		ps->pcap = ncap;
	}
	size_t m = ps->pcap - 1;
	size_t i = hash64((uint64_t)pid) & m;
	while (ps->pids[i].pid)
		i = (i + 1) & m;
	ps->pids[i].pid = pid;
	ps->pids[i].live = live;
	ps->pused++;
	return 0;
}

static struct file_slot *file_find(struct parser *ps, const char *name)
{
	if (!ps->fcap)
		return NULL;
	size_t n = strlen(name), m = ps->fcap - 1;
	for (size_t i = hash_str(name, n) & m;; i = (i + 1) & m) {
		if (!ps->files[i].name)
			return NULL;
		if (strcmp(ps->files[i].name, name) == 0)
			return &ps->files[i];
	}
}

/* => name is not in the map and outlives it.  => returns 0 or -1 (ENOMEM). */
static int file_add(struct parser *ps, const char *name, uint64_t size, bool known)
{
	if ((ps->fused + 1) * 2 > ps->fcap) {
		size_t ncap = ps->fcap ? ps->fcap * 2 : 16;
		struct file_slot *n = calloc(ncap, sizeof(*n));
		if (!n)
			return -1;
		for (size_t i = 0; i < ps->fcap; i++) {
			const char *nm = ps->files[i].name;
			if (!nm)
				continue;
			size_t j = hash_str(nm, strlen(nm)) & (ncap - 1);
			while (n[j].name)
				j = (j + 1) & (ncap - 1);
			n[j] = ps->files[i];
		}
		free(ps->files);
		ps->files = n;
		ps->fcap = ncap;
	}
	size_t m = ps->fcap - 1;
	size_t i = hash_str(name, strlen(name)) & m;
	while (ps->files[i].name)
		i = (i + 1) & m;
	ps->files[i].name = name;
	ps->files[i].size = size;
	ps->files[i].size_known = known;
	ps->fused++;
	return 0;
}

static char *dup_slice(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* ------------------------------------------------------------------ */
/* fields                                                              */

/* => returns the next token, or NULL after "expected WHAT, got end of line". */
static const struct tok *next_tok(struct parser *ps, const char *what)
{
	if (ps->cur >= ps->nt) {
		perr(ps, "expected %s, got end of line", what);
		return NULL;
	}
	return &ps->tk[ps->cur++];
}

static bool more(struct parser *ps)
{
	return ps->cur < ps->nt;
}

static int get_num(struct parser *ps, const char *what, uint64_t *v)
{
	const struct tok *t = next_tok(ps, what);
	if (!t)
		return -1;
	if (!parse_u64(t->p, t->n, v))
		return perr(ps, "expected %s (decimal or 0x hex, below 2^64), got '%s'",
			    what, show(ps, t));
	return 0;
}

/* A pid: positive decimal that fits an int. */
static bool parse_pid(const struct tok *t, int *pid)
{
	uint64_t v = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
		if (v > 0x7fffffff)
			return false;
	}
	if (v == 0)
		return false;
	*pid = (int)v;
	return true;
}

static int get_pid(struct parser *ps, const char *what, int *pid)
{
	const struct tok *t = next_tok(ps, what);
	if (!t)
		return -1;
	if (!parse_pid(t, pid))
		return perr(ps, "expected %s (a positive decimal number), got '%s'",
			    what, show(ps, t));
	return 0;
}

static int get_prot(struct parser *ps, uint32_t *prot)
{
	const struct tok *t = next_tok(ps, "a protection like rw- or r--");
	if (!t)
		return -1;
	if (t->n != 3 || (t->p[0] != 'r' && t->p[0] != '-') ||
	    (t->p[1] != 'w' && t->p[1] != '-') ||
	    (t->p[2] != 'x' && t->p[2] != '-'))
		return perr(ps, "expected a protection like rw- or r--, got '%s'",
			    show(ps, t));
	*prot = (t->p[0] == 'r' ? TR_PROT_READ : 0) |
		(t->p[1] == 'w' ? TR_PROT_WRITE : 0) |
		(t->p[2] == 'x' ? TR_PROT_EXEC : 0);
	return 0;
}

struct flag_name {
	const char *name;
	uint32_t bit;
};

static const struct flag_name mmap_flags[] = {
	{ "private", TR_MAP_PRIVATE }, { "shared", TR_MAP_SHARED },
	{ "anon", TR_MAP_ANON }, { "fixed", TR_MAP_FIXED },
	{ "noreplace", TR_MAP_NOREPLACE }, { "populate", TR_MAP_POPULATE },
	{ "locked", TR_MAP_LOCKED }, { "noreserve", TR_MAP_NORESERVE },
	{ NULL, 0 }
};

static const struct flag_name mremap_flags[] = {
	{ "maymove", TR_MREMAP_MAYMOVE }, { "fixed", TR_MREMAP_FIXED },
	{ "dontunmap", TR_MREMAP_DONTUNMAP }, { NULL, 0 }
};

/*
 * A comma list of names from table, each at most once, no empty element.
 * => returns 0 with *flags, or -1 after a message naming `expected`.
 */
static int get_flags(struct parser *ps, const struct flag_name *table,
		     const char *expected, uint32_t *flags)
{
	const struct tok *t = next_tok(ps, expected);
	if (!t)
		return -1;
	uint32_t f = 0;
	size_t i = 0;
	for (;;) {
		size_t j = i;
		while (j < t->n && t->p[j] != ',')
			j++;
		const struct flag_name *fn;
		for (fn = table; fn->name; fn++)
			if (strlen(fn->name) == j - i &&
			    memcmp(fn->name, t->p + i, j - i) == 0)
				break;
		if (!fn->name || (f & fn->bit)) {
			struct tok part = { t->p + i, j - i };
			char buf[64];
			if (!fn->name)
				return perr(ps, "expected %s, got '%s' (unknown flag '%s')",
					    expected, show(ps, t),
					    j > i ? tok_show(&part, buf, sizeof(buf)) : "");
			return perr(ps, "expected %s, got '%s' (flag '%s' given twice)",
				    expected, show(ps, t), fn->name);
		}
		f |= fn->bit;
		if (j == t->n)
			break;
		i = j + 1;
	}
	*flags = f;
	return 0;
}

static bool valid_file_name(const struct tok *t)
{
	for (size_t i = 0; i < t->n; i++) {
		char c = t->p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* A file name; with must_exist, one made by an earlier file/hostfile line. */
static int get_file_name(struct parser *ps, struct tr_event *ev, bool must_exist)
{
	const struct tok *t = next_tok(ps, "a file name (letters, digits, '.', '_', '-')");
	if (!t)
		return -1;
	if (!valid_file_name(t))
		return perr(ps, "expected a file name (letters, digits, '.', '_', '-'), got '%s'",
			    show(ps, t));
	ev->name = dup_slice(t->p, t->n);
	if (!ev->name)
		return perr(ps, "out of memory");
	struct file_slot *f = file_find(ps, ev->name);
	if (must_exist && !f)
		return perr(ps, "expected the name of a file made by an earlier file or hostfile line, got '%s'",
			    show(ps, t));
	if (!must_exist && f)
		return perr(ps, "expected a new file name, got '%s' (already in use)",
			    show(ps, t));
	return 0;
}

static int end_of_line(struct parser *ps, const char *after)
{
	if (more(ps))
		return perr(ps, "expected end of line or '= <result>' after %s, got '%s'",
			    after, show(ps, &ps->tk[ps->cur]));
	return 0;
}

static int check_access(struct parser *ps, uint64_t addr)
{
	if ((addr & 4095) > 4096 - 8)
		return perr(ps, "expected an address whose 8 bytes lie within one 4096-byte page, got 0x%" PRIx64,
			    addr);
	return 0;
}

/* ------------------------------------------------------------------ */
/* lines                                                               */

static const struct { const char *name; enum tr_kind kind; } pid_verbs[] = {
	{ "spawn", TR_SPAWN }, { "fork", TR_FORK }, { "exec", TR_EXEC },
	{ "exit", TR_EXIT }, { "mmap", TR_MMAP }, { "munmap", TR_MUNMAP },
	{ "mprotect", TR_MPROTECT }, { "mremap", TR_MREMAP },
	{ "madvise", TR_MADVISE }, { "mlock", TR_MLOCK },
	{ "munlock", TR_MUNLOCK }, { "brkbase", TR_BRKBASE }, { "brk", TR_BRK },
	{ "remap_file_pages", TR_REMAP_FILE_PAGES }, { "r", TR_READ },
	{ "w", TR_WRITE }, { "touch", TR_TOUCH },
};

static const struct { const char *name; enum tr_kind kind; } bare_verbs[] = {
	{ "file", TR_FILE }, { "hostfile", TR_HOSTFILE },
	{ "truncate", TR_TRUNCATE }, { "fwrite", TR_FWRITE },
	{ "check", TR_CHECK }, { "reclaim", TR_RECLAIM },
	{ "compact", TR_COMPACT }, { "swapoff", TR_SWAPOFF },
};

#define PID_VERBS "spawn fork exec exit mmap munmap mprotect mremap madvise " \
	"mlock munlock brkbase brk remap_file_pages r w touch"

/* The arguments of a `<pid> <verb>` line; ps->cur is past the verb. */
static int parse_pid_event(struct parser *ps, struct tr_event *ev)
{
	const char *verb = tr_kind_name(ev->kind);
	const struct tok *t;

	switch (ev->kind) {
	case TR_SPAWN:
	case TR_EXEC:
	case TR_EXIT:
		break;
	case TR_FORK:
		if (get_pid(ps, "a child pid", &ev->child))
			return -1;
		break;
	case TR_MMAP:
		if (get_num(ps, "an address", &ev->addr) ||
		    get_num(ps, "a length", &ev->len) || get_prot(ps, &ev->prot) ||
		    get_flags(ps, mmap_flags, "mmap flags like private,anon", &ev->flags))
			return -1;
		if (!(ev->flags & TR_MAP_PRIVATE) == !(ev->flags & TR_MAP_SHARED))
			return perr(ps, "expected mmap flags with exactly one of private or shared, got '%s'",
				    show(ps, &ps->tk[ps->cur - 1]));
		if (!(ev->flags & TR_MAP_ANON)) {
			if (get_file_name(ps, ev, true) ||
			    get_num(ps, "a file offset", &ev->offset))
				return -1;
		}
		break;
	case TR_MUNMAP:
	case TR_MLOCK:
	case TR_MUNLOCK:
		if (get_num(ps, "an address", &ev->addr) ||
		    get_num(ps, "a length", &ev->len))
			return -1;
		break;
	case TR_MPROTECT:
		if (get_num(ps, "an address", &ev->addr) ||
		    get_num(ps, "a length", &ev->len) || get_prot(ps, &ev->prot))
			return -1;
		break;
	case TR_MREMAP:
		if (get_num(ps, "an address", &ev->addr) ||
		    get_num(ps, "an old length", &ev->len) ||
		    get_num(ps, "a new length", &ev->new_len))
			return -1;
		t = next_tok(ps, "mremap flags: - or a list like maymove,fixed");
		if (!t)
			return -1;
		if (!tok_is(t, "-")) {
			ps->cur--;
			if (get_flags(ps, mremap_flags,
				      "mremap flags: - or a list like maymove,fixed", &ev->flags))
				return -1;
		}
		if (ev->flags & TR_MREMAP_FIXED) {
			if (get_num(ps, "a new address (required with fixed)", &ev->new_addr))
				return -1;
			ev->has_new_addr = true;
		} else if ((ev->flags & TR_MREMAP_DONTUNMAP) && more(ps)) {
			if (get_num(ps, "a new address", &ev->new_addr))
				return -1;
			ev->has_new_addr = true;
		} else if (more(ps)) {
			return perr(ps, "expected end of line or '= <result>' after mremap flags "
				    "without fixed or dontunmap, got '%s'", show(ps, &ps->tk[ps->cur]));
		}
		break;
	case TR_MADVISE:
		if (get_num(ps, "an address", &ev->addr) ||
		    get_num(ps, "a length", &ev->len))
			return -1;
		t = next_tok(ps, "an advice like dontneed");
		if (!t)
			return -1;
		for (int a = 0;; a++) {
			if (a == TR_NR_ADVICE)
				return perr(ps, "expected an advice (normal random sequential willneed "
					    "dontneed free remove dontfork dofork wipeonfork keeponfork "
					    "cold pageout populate_read populate_write), got '%s'",
					    show(ps, t));
			if (tok_is(t, advice_names[a])) {
				ev->advice = (enum tr_advice)a;
				break;
			}
		}
		break;
	case TR_BRKBASE:
	case TR_BRK:
		if (get_num(ps, "an address", &ev->addr))
			return -1;
		break;
	case TR_REMAP_FILE_PAGES:
		if (get_num(ps, "an address", &ev->addr) ||
		    get_num(ps, "a length", &ev->len) ||
		    get_num(ps, "a page offset", &ev->offset))
			return -1;
		break;
	case TR_READ:
		if (get_num(ps, "an address", &ev->addr) || check_access(ps, ev->addr))
			return -1;
		break;
	case TR_WRITE:
		if (get_num(ps, "an address", &ev->addr) || check_access(ps, ev->addr))
			return -1;
		ev->value = ev->line;
		if (more(ps) && get_num(ps, "a value", &ev->value))
			return -1;
		break;
	case TR_TOUCH:
		if (get_num(ps, "an address", &ev->addr) ||
		    get_num(ps, "a length", &ev->len))
			return -1;
		t = next_tok(ps, "r or w");
		if (!t)
			return -1;
		if (tok_is(t, "w"))
			ev->touch_write = true;
		else if (!tok_is(t, "r"))
			return perr(ps, "expected r or w, got '%s'", show(ps, t));
		ev->value = ev->line;
		if (more(ps)) {
			if (!ev->touch_write)
				return perr(ps, "expected end of line or '= <result>' after touch ... r, got '%s'",
					    show(ps, &ps->tk[ps->cur]));
			if (get_num(ps, "a value", &ev->value))
				return -1;
		} else if (!ev->touch_write) {
			ev->value = 0;
		}
		break;
	default:
		return perr(ps, "internal error: kind %d", (int)ev->kind);
	}
	if (end_of_line(ps, verb))
		return -1;

	/* liveness, once the line is known to be well-formed */
	if (ev->kind == TR_SPAWN) {
		if (pid_live(ps, ev->pid))
			return perr(ps, "expected a pid that is not live for spawn, got %d "
				    "(already spawned or forked and not exited)", ev->pid);
	} else if (!pid_live(ps, ev->pid)) {
		return perr(ps, "expected a live pid (spawned or forked, not exited), got %d",
			    ev->pid);
	}
	if (ev->kind == TR_FORK && pid_live(ps, ev->child))
		return perr(ps, "expected a child pid that is not live, got %d", ev->child);

	if ((ev->kind == TR_SPAWN && pid_set(ps, ev->pid, true)) ||
	    (ev->kind == TR_FORK && pid_set(ps, ev->child, true)) ||
	    (ev->kind == TR_EXIT && pid_set(ps, ev->pid, false)))
		return perr(ps, "out of memory");
	return 0;
}

/* A line that starts with a verb: file lines and directives. */
static int parse_bare_event(struct parser *ps, struct tr_event *ev)
{
	const struct tok *t;
	struct file_slot *f;

	switch (ev->kind) {
	case TR_FILE:
		if (get_file_name(ps, ev, false) || get_num(ps, "a size", &ev->len))
			return -1;
		if (more(ps) && get_num(ps, "a seed", &ev->value))
			return -1;
		if (end_of_line(ps, "file"))
			return -1;
		if (file_add(ps, ev->name, ev->len, true))
			return perr(ps, "out of memory");
		return 0;
	case TR_HOSTFILE:
		if (get_file_name(ps, ev, false))
			return -1;
		t = next_tok(ps, "a host path");
		if (!t)
			return -1;
		for (size_t i = 0; i < t->n; i++)
			if (t->p[i] == '\0')
				return perr(ps, "expected a host path, got '%s'", show(ps, t));
		ev->path = dup_slice(t->p, t->n);
		if (!ev->path)
			return perr(ps, "out of memory");
		if (end_of_line(ps, "hostfile"))
			return -1;
		if (file_add(ps, ev->name, 0, false))
			return perr(ps, "out of memory");
		return 0;
	case TR_TRUNCATE:
		if (get_file_name(ps, ev, true) || get_num(ps, "a size", &ev->len) ||
		    end_of_line(ps, "truncate"))
			return -1;
		f = file_find(ps, ev->name);
		if (ev->len <= (uint64_t)INT64_MAX)
			f->size = ev->len;      /* a larger size fails (EINVAL): it stays */
		return 0;
	case TR_FWRITE:
		if (get_file_name(ps, ev, true) || get_num(ps, "an offset", &ev->offset))
			return -1;
		ev->value = ev->line;
		if (more(ps) && get_num(ps, "a value", &ev->value))
			return -1;
		if (end_of_line(ps, "fwrite"))
			return -1;
		f = file_find(ps, ev->name);
		if (f->size_known && (ev->offset > f->size || f->size - ev->offset < 8))
			return perr(ps, "expected an offset whose 8 bytes lie within file '%s' "
				    "(size 0x%" PRIx64 "), got 0x%" PRIx64,
				    ev->name, f->size, ev->offset);
		return 0;
	case TR_CHECK:
		return end_of_line(ps, "check");
	case TR_RECLAIM:
		if (get_num(ps, "a number of pages", &ev->value))
			return -1;
		return end_of_line(ps, "reclaim");
	case TR_COMPACT:
		if (get_num(ps, "an order", &ev->value))
			return -1;
		return end_of_line(ps, "compact");
	case TR_SWAPOFF:
		return end_of_line(ps, "swapoff");
	default:
		return perr(ps, "internal error: kind %d", (int)ev->kind);
	}
}

static struct tr_event *new_event(struct parser *ps)
{
	struct tr_trace *t = ps->t;
	if (t->n == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 64;
		struct tr_event *n = realloc(t->ev, ncap * sizeof(*n));
		if (!n)
			return NULL;
		t->ev = n;
		ps->cap = ncap;
	}
	struct tr_event *ev = &t->ev[t->n++];
	memset(ev, 0, sizeof(*ev));
	ev->line = ps->line;
	return ev;
}

/*
 * One physical line, without its newline.  *seen_first is set once a
 * non-comment line has been seen (for the header rule).
 */
static int parse_line(struct parser *ps, const char *p, size_t n, bool *seen_first)
{
	struct tok all[MAX_TOKS];
	size_t ntok = 0, i = 0;
	bool overflow = false;

	/* the comment runs to the end of the line */
	const char *hash = memchr(p, '#', n);
	if (hash)
		n = (size_t)(hash - p);

	while (i < n) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n)
			break;
		size_t s = i;
		while (i < n && p[i] != ' ' && p[i] != '\t')
			i++;
		if (ntok == MAX_TOKS) {
			overflow = true;
			break;
		}
		all[ntok].p = p + s;
		all[ntok].n = i - s;
		ntok++;
	}
	if (ntok == 0)
		return 0;

	bool first = !*seen_first;
	*seen_first = true;
	if (tok_is(&all[0], "revmap-trace")) {
		if (!first)
			return perr(ps, "expected an event, got 'revmap-trace' "
				    "(the header must be the first non-comment line)");
		if (ntok < 2)
			return perr(ps, "expected a version after revmap-trace, got end of line");
		if (!tok_is(&all[1], "1"))
			return perr(ps, "expected trace version 1, got '%s'", show(ps, &all[1]));
		if (ntok > 2 || overflow)
			return perr(ps, "expected end of line after revmap-trace 1, got '%s'",
				    show(ps, &all[2]));
		return 0;
	}

	/* split off "= <result>" */
	size_t eq = ntok;
	for (size_t k = 0; k < ntok; k++)
		if (tok_is(&all[k], "=")) {
			eq = k;
			break;
		}
	if (eq == ntok && overflow)
		return perr(ps, "expected an event, got a line of more than %d tokens", MAX_TOKS);
	if (eq == 0)
		return perr(ps, "expected an event before '='");
	const struct tok *res = NULL;
	if (eq < ntok) {
		if (eq + 1 >= ntok)
			return perr(ps, "expected a result after '=', got end of line");
		if (eq + 2 < ntok || overflow)
			return perr(ps, "expected end of line after the result, got '%s'",
				    eq + 2 < ntok ? show(ps, &all[eq + 2]) : "...");
		res = &all[eq + 1];
		struct tr_result r;
		if (!result_parse(res->p, res->n, &r))
			return perr(ps, "expected a result (ok, 0, 0x1000, 12, -ENOMEM, segv, bus, "
				    "oom-killed, killed), got '%s'", show(ps, res));
	}

	memcpy(ps->tk, all, eq * sizeof(all[0]));
	ps->nt = (int)eq;
	ps->cur = 0;

	struct tr_event *ev = new_event(ps);
	if (!ev)
		return perr(ps, "out of memory");
	if (res) {
		ev->expect = dup_slice(res->p, res->n);
		if (!ev->expect)
			return perr(ps, "out of memory");
	}

	const struct tok *t0 = &ps->tk[ps->cur++];
	if (t0->p[0] >= '0' && t0->p[0] <= '9') {
		if (!parse_pid(t0, &ev->pid))
			return perr(ps, "expected a pid (a positive decimal number), got '%s'",
				    show(ps, t0));
		const struct tok *v = next_tok(ps, "a verb (" PID_VERBS ")");
		if (!v)
			return -1;
		for (size_t k = 0; k < sizeof(pid_verbs) / sizeof(pid_verbs[0]); k++)
			if (tok_is(v, pid_verbs[k].name)) {
				ev->kind = pid_verbs[k].kind;
				return parse_pid_event(ps, ev);
			}
		for (size_t k = 0; k < sizeof(bare_verbs) / sizeof(bare_verbs[0]); k++)
			if (tok_is(v, bare_verbs[k].name))
				return perr(ps, "expected a verb (" PID_VERBS "), got '%s' "
					    "(%s lines take no pid)", show(ps, v), bare_verbs[k].name);
		return perr(ps, "expected a verb (" PID_VERBS "), got '%s'", show(ps, v));
	}
	for (size_t k = 0; k < sizeof(bare_verbs) / sizeof(bare_verbs[0]); k++)
		if (tok_is(t0, bare_verbs[k].name)) {
			ev->kind = bare_verbs[k].kind;
			return parse_bare_event(ps, ev);
		}
	return perr(ps, "expected a pid or one of file hostfile truncate fwrite check "
		    "reclaim compact swapoff, got '%s'", show(ps, t0));
}

void tr_free(struct tr_trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->ev[i].name);
		free(t->ev[i].path);
		free(t->ev[i].expect);
	}
	free(t->ev);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

int tr_parse_buffer(const char *name, const char *text, size_t len,
		    struct tr_trace *out, char *err, size_t errlen)
{
	struct parser ps;
	bool seen_first = false;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&ps, 0, sizeof(ps));
	if (!name)
		name = "<trace>";
	ps.path = name;
	ps.err = err;
	ps.errlen = errlen;
	ps.t = out;
	if (err && errlen)
		err[0] = '\0';

	out->path = dup_slice(name, strlen(name));
	if (!out->path) {
		ps.line = 0;
		rc = perr(&ps, "out of memory");
		goto done;
	}

	size_t pos = 0;
	while (pos < len) {
		if (ps.line == UINT32_MAX) {
			rc = perr(&ps, "too many lines");
			break;
		}
		ps.line++;
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		rc = parse_line(&ps, text + pos, end - pos, &seen_first);
		if (rc)
			break;
		pos = end + 1;
	}
done:
	free(ps.pids);
	free(ps.files);
	if (rc) {
		tr_free(out);
		return -1;
	}
	return 0;
}

/*
 * Read all of f into a new buffer.  => returns 0 with *buf (malloc'd, to
 * be freed by the caller) and *len, or -1 with "NAME: why" in err.
 */
static int read_whole(FILE *f, const char *name, char **buf, size_t *len,
		      char *err, size_t errlen)
{
	char *b = NULL;
	size_t n = 0, cap = 0;

	for (;;) {
		if (cap - n < 65536) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb = realloc(b, ncap);

			if (!nb) {
				if (err && errlen)
					snprintf(err, errlen, "%s: out of memory", name);
				free(b);
				return -1;
			}
			b = nb;
			cap = ncap;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read: %s", name, strerror(errno));
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

/*
 * A compressed trace (.trace.gz, .trace.zst: gzip's or zstd's magic at its
 * start) is read through `gzip -dc` or `zstd -dc`, run on the file (or, for
 * standard input, on a scratch copy in $TMPDIR), so that shipped traces
 * replay as they are.  => 0 with *buf and *len replaced by the
 * decompressed text, or -1 with "NAME: why" in err (the tool missing, or
 * the data corrupt)
 */
static int decompress(const char *path, const char *name, char **buf, size_t *len, char *err,
		      size_t errlen)
{
	const unsigned char *b = (const unsigned char *)*buf;
	const char *tool = NULL;
	char tmp[4096] = "";
	int fds[2], status, rc = -1;
	pid_t pid;
	FILE *f;

	if (*len >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		tool = "gzip";
	else if (*len >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		tool = "zstd";
	if (!tool)
		return 0;
	if (!path) {
		const char *dir = getenv("TMPDIR");
		int fd;

		snprintf(tmp, sizeof(tmp), "%s/revmap-trace.XXXXXX", dir && *dir ? dir : "/tmp");
		fd = mkstemp(tmp);
		if (fd < 0 || write(fd, *buf, *len) != (ssize_t)*len) {
			if (err && errlen)
				snprintf(err, errlen, "%s: cannot keep a copy to decompress: %s", name,
					 strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			return -1;
		}
		close(fd);
		path = tmp;
	}
	if (pipe(fds)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot decompress: %s", name, strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp(tool, tool, "-dc", "--", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = pid > 0 ? fdopen(fds[0], "rb") : NULL;
	if (!f) {
		if (pid < 0 && err && errlen)
			snprintf(err, errlen, "%s: cannot decompress: %s", name, strerror(errno));
		close(fds[0]);
		if (pid > 0)
			waitpid(pid, &status, 0);
		goto out;
	}
	{
		char *nb = NULL;
		size_t nlen = 0;
		int r = read_whole(f, name, &nb, &nlen, err, errlen);

		fclose(f);
		waitpid(pid, &status, 0);
		if (r)
			goto out;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			if (err && errlen)
				snprintf(err, errlen, "%s: %s -dc failed (%s)", name, tool,
					 WIFEXITED(status) && WEXITSTATUS(status) == 127
					 ? "is it installed?" : "corrupt data?");
			free(nb);
			goto out;
		}
		free(*buf);
		*buf = nb;
		*len = nlen;
		rc = 0;
	}
out:
	if (tmp[0])
		unlink(tmp);
	return rc;
}

int tr_parse_file(const char *path, struct tr_trace *out, char *err, size_t errlen)
{
	bool std_in = strcmp(path, "-") == 0;
	const char *name = std_in ? "<stdin>" : path;
	FILE *f = std_in ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	rc = read_whole(f, name, &buf, &len, err, errlen);
	if (!std_in)
		fclose(f);
	if (!rc)
		rc = decompress(std_in ? NULL : path, name, &buf, &len, err, errlen);
	if (rc) {
		free(buf);
		return -1;
	}
	rc = tr_parse_buffer(name, buf, len, out, err, errlen);
	free(buf);
	return rc;
}
