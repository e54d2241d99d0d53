/*
 * bench/json.c - a recursive-descent JSON reader (RFC 8259) into a tree,
 * for revmap report.  See json.h.
 *
 * The parser walks the text once with a cursor; each value is parsed into a
 * node the caller provides, arrays and objects grow their member arrays by
 * doubling.  Depth is bounded (JSON_MAX_DEPTH) so that a hostile file
 * cannot exhaust the stack.  On an error every node made so far is freed
 * before returning, so the caller frees nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

#define JSON_MAX_DEPTH 64

struct parser {
	const char *p, *end;       /* the cursor and the end of the text */
	const char *start;         /* the text, for line numbers */
	char *err;                 /* where the first error goes */
	size_t errlen;
	bool failed;               /* an error was said */
};

static int perr(struct parser *ps, const char *what)
{
	unsigned line = 1;

	if (ps->failed)
		return -1;
	for (const char *q = ps->start; q < ps->p && q < ps->end; q++)
		line += *q == '\n';
	snprintf(ps->err, ps->errlen, "line %u: %s", line, what);
	ps->failed = true;
	return -1;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
				   *ps->p == '\r'))
		ps->p++;
}

static bool literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return false;
	ps->p += n;
	return true;
}

static int hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;

	if (ps->end - ps->p < 4)
		return perr(ps, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = *ps->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return perr(ps, "bad \\u escape");
	}
	*out = v;
	return 0;
}

/* a string at the cursor (on its opening quote) => 0 with *out malloc'd */
static int parse_string(struct parser *ps, char **out)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap);

	if (!s)
		return perr(ps, "out of memory");
	ps->p++;
	for (;;) {
		unsigned cp;
		char c;

		if (ps->p >= ps->end) {
			free(s);
			return perr(ps, "unterminated string");
		}
		if (cap - n < 5) {
			char *t = realloc(s, cap *= 2);

			if (!t) {
				free(s);
				return perr(ps, "out of memory");
			}
			s = t;
		}
		c = *ps->p++;
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20) {
			free(s);
			return perr(ps, "control character in a string");
		}
		if (c != '\\') {
			s[n++] = c;
			continue;
		}
		if (ps->p >= ps->end) {
			free(s);
			return perr(ps, "unterminated string");
		}
		c = *ps->p++;
		switch (c) {
		case '"': case '\\': case '/': s[n++] = c; continue;
		case 'b': s[n++] = '\b'; continue;
		case 'f': s[n++] = '\f'; continue;
		case 'n': s[n++] = '\n'; continue;
		case 'r': s[n++] = '\r'; continue;
		case 't': s[n++] = '\t'; continue;
		case 'u': break;
		default:
			free(s);
			return perr(ps, "bad escape in a string");
		}
		if (hex4(ps, &cp)) {
			free(s);
			return -1;
		}
		if (cp >= 0xd800 && cp < 0xdc00) {
			unsigned lo;

			if (!literal(ps, "\\u") || hex4(ps, &lo) || lo < 0xdc00 || lo >= 0xe000) {
				free(s);
				return perr(ps, "lone surrogate in a string");
			}
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp < 0xe000) {
			free(s);
			return perr(ps, "lone surrogate in a string");
		}
		/* UTF-8: at most 4 bytes, room checked above */
		if (cp < 0x80) {
			s[n++] = (char)cp;
		} else if (cp < 0x800) {
			s[n++] = (char)(0xc0 | cp >> 6);
			s[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			s[n++] = (char)(0xe0 | cp >> 12);
			s[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			s[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			s[n++] = (char)(0xf0 | cp >> 18);
			s[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			s[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			s[n++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	s[n] = 0;
	*out = s;
	return 0;
}

static int parse_number(struct parser *ps, struct json_val *v)
{
	const char *q = ps->p;
	char buf[64], *end;
	bool digits_only = true;
	size_t n;

	if (q < ps->end && *q == '-') {
		q++;
		digits_only = false;
	}
	if (q >= ps->end || *q < '0' || *q > '9')
		return perr(ps, "bad value");
	if (*q == '0' && q + 1 < ps->end && q[1] >= '0' && q[1] <= '9')
		return perr(ps, "a number with a leading zero");
	while (q < ps->end && *q >= '0' && *q <= '9')
		q++;
	if (q < ps->end && *q == '.') {
		digits_only = false;
		if (++q >= ps->end || *q < '0' || *q > '9')
			return perr(ps, "bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		digits_only = false;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return perr(ps, "bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	n = (size_t)(q - ps->p);
	if (n >= sizeof(buf))
		return perr(ps, "number too long");
	memcpy(buf, ps->p, n);
	buf[n] = 0;
	v->type = JSON_NUM;
	v->num = strtod(buf, NULL);
	if (digits_only) {
		errno = 0;
		v->u64 = strtoull(buf, &end, 10);
		v->is_uint = !errno && !*end;
	}
	ps->p = q;
	return 0;
}

static int parse_value(struct parser *ps, struct json_val *v, int depth);

/* the members of an array or object, the cursor past its opening bracket */
static int parse_members(struct parser *ps, struct json_val *v, bool obj, int depth)
{
	size_t cap = 0;
	char close = obj ? '}' : ']';

	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		char *key = NULL;

		skip_ws(ps);
		if (obj) {
			if (ps->p >= ps->end || *ps->p != '"')
				return perr(ps, "expected a key");
			if (parse_string(ps, &key))
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				return perr(ps, "expected ':'");
			}
			ps->p++;
		}
		if (v->n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			struct json_val *it = realloc(v->items, ncap * sizeof(*it));
			char **ks = obj ? realloc(v->keys, ncap * sizeof(*ks)) : NULL;

			if (it)
				v->items = it;
			if (ks)
				v->keys = ks;
			if (!it || (obj && !ks)) {
				free(key);
				return perr(ps, "out of memory");
			}
			cap = ncap;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		if (obj)
			v->keys[v->n] = key;
		v->n++;
		if (parse_value(ps, &v->items[v->n - 1], depth + 1))
			return -1;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		return perr(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int parse_value(struct parser *ps, struct json_val *v, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return perr(ps, "nested too deep");
	skip_ws(ps);
	if (ps->p >= ps->end)
		return perr(ps, "unexpected end");
	switch (*ps->p) {
	case '{':
	case '[':
		v->type = *ps->p == '{' ? JSON_OBJ : JSON_ARR;
		ps->p++;
		return parse_members(ps, v, v->type == JSON_OBJ, depth);
	case '"':
		v->type = JSON_STR;
		return parse_string(ps, &v->str);
	case 't':
	case 'f':
	case 'n':
		if (literal(ps, "true") || literal(ps, "false")) {
			v->type = JSON_BOOL;
			v->b = ps->p[-2] == 'u';       /* tr[u]e, fal[s]e */
			return 0;
		}
		if (literal(ps, "null")) {
			v->type = JSON_NULL;
			return 0;
		}
		return perr(ps, "bad value");
	default:
		return parse_number(ps, v);
	}
}

void json_free(struct json_val *v)
{
	for (size_t i = 0; i < v->n; i++) {
		json_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

int json_parse(const char *text, size_t len, struct json_val *out, char *err, size_t errlen)
{
	struct parser ps = { text, text + len, text, err, errlen, false };

	memset(out, 0, sizeof(*out));
	if (parse_value(&ps, out, 0) == 0) {
		skip_ws(&ps);
		if (ps.p == ps.end)
			return 0;
		perr(&ps, "text after the value");
	}
	json_free(out);
	return -1;
}

const struct json_val *json_get(const struct json_val *v, const char *key)
{
	if (v->type != JSON_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

void json_write_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
