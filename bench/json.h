/*
 * bench/json.h - a small JSON reader for the benchmarks' own result files
 * (revmap report reads what revmap bench wrote), and the string writer the
 * benchmarks' JSON shares.
 *
 * The whole document is parsed into a tree of json_val nodes that the
 * caller frees with json_free.  Numbers keep their text's exact value when
 * it is an unsigned integer (u64, is_uint), so counts survive the round
 * trip exactly; any number also has its double.  Strings are unescaped
 * (\uXXXX to UTF-8; a lone surrogate is an error).  No global state.
 */
#ifndef REVMAP_BENCH_JSON_H
#define REVMAP_BENCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json_val {
	enum json_type type;       /* which of the fields below hold */
	bool b;                    /* JSON_BOOL */
	double num;                /* JSON_NUM */
	uint64_t u64;              /* JSON_NUM with is_uint: the exact value */
	bool is_uint;              /* the number is digits only and fits 64 bits */
	char *str;                 /* JSON_STR: NUL-terminated (may hold no NUL) */
	size_t n;                  /* JSON_ARR, JSON_OBJ: members */
	struct json_val *items;    /* JSON_ARR, JSON_OBJ: the n values */
	char **keys;               /* JSON_OBJ: the n keys */
};

/* parse text[0..len) as one JSON document into *out
 * => 0, or -1 with "line N: what" in err (nothing to free then) */
int json_parse(const char *text, size_t len, struct json_val *out, char *err, size_t errlen);
void json_free(struct json_val *v);

/* the member key of object v, or NULL (also when v is not an object) */
const struct json_val *json_get(const struct json_val *v, const char *key);

/* write s to f as a JSON string, quotes and escapes added */
void json_write_str(FILE *f, const char *s);

#endif
