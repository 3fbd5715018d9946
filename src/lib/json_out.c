/* Compact JSON text of jansson trees, identical to json_dumps(v, JSON_COMPACT): object members in
 * jansson's iteration (insertion) order, strings escaped as jansson escapes them (", \, and control
 * characters; \b \f \n \r \t by name, the rest as \u00XX with upper-case hex; everything else,
 * including non-ASCII UTF-8, as is), integers in decimal. The rare cases where exactness would need
 * jansson's own code (reals, whose digits come from its private dtostr) or where json_dumps fails (a
 * string that is not UTF-8, nesting deep enough to be a reference cycle) are handed to json_dumps. */
#include "lib/json_out.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deeper than this, json_dumps decides (a cycle makes it fail; the parser never builds such trees). */
#define JSON_OUT_MAX_DEPTH 2048

typedef struct jbuf {
	char *p;
	size_t len, cap;
} jbuf_t;

static int grow(jbuf_t *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *np;

	if (b->len + need < b->len)
		return -ENOMEM;
	while (cap < b->len + need) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	np = realloc(b->p, cap);
	if (!np)
		return -ENOMEM;
	b->p = np;
	b->cap = cap;
	return 0;
}

static inline int put(jbuf_t *b, const char *s, size_t n)
{
	if (b->cap - b->len < n && grow(b, n) < 0)
		return -ENOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static inline int put_c(jbuf_t *b, char c)
{
	if (b->cap == b->len && grow(b, 1) < 0)
		return -ENOMEM;
	b->p[b->len++] = c;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (of n bytes, s[0] >= 0x80), 0 when invalid: the checks of
 * jansson's utf8_check_first/utf8_check_full (no overlong forms, surrogates or values past U+10FFFF). */
size_t json_out_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t v;

	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		v = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		v = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000))
		return 0;
	return len;
}

/* -EILSEQ: not UTF-8 (json_dumps fails on it). */
static int put_string(jbuf_t *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	if (put_c(b, '"') < 0)
		return -ENOMEM;
	while (i < n) {
		unsigned char c = s[i];
		char esc[6];
		size_t el = 2;
		if (c >= 0x20 && c != '"' && c != '\\') {
			if (c >= 0x80) {
				size_t l = json_out_utf8_seq(s + i, n - i);
				if (l == 0)
					return -EILSEQ;
				i += l;
			} else {
				i++;
			}
			continue;
		}
		if (put(b, str + run, i - run) < 0)
			return -ENOMEM;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		}
		if (put(b, esc, el) < 0)
			return -ENOMEM;
		run = ++i;
	}
	if (put(b, str + run, n - run) < 0)
		return -ENOMEM;
	return put_c(b, '"');
}

static int put_integer(jbuf_t *b, json_int_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	return put(b, tmp + i, sizeof(tmp) - i);
}

/* A real through jansson itself: its digits come from its private dtostr. */
static int put_real(jbuf_t *b, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	int rc;

	if (!s)
		return -ENOMEM;
	rc = put(b, s, strlen(s));
	free(s);
	return rc;
}

static int put_value(jbuf_t *b, const json_t *v, int depth)
{
	int rc;

	if (depth > JSON_OUT_MAX_DEPTH)
		return -ELOOP;
	switch (json_typeof(v)) {
	case JSON_NULL:
		return put(b, "null", 4);
	case JSON_TRUE:
		return put(b, "true", 4);
	case JSON_FALSE:
		return put(b, "false", 5);
	case JSON_INTEGER:
		return put_integer(b, json_integer_value(v));
	case JSON_REAL:
		return put_real(b, v);
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if (put_c(b, '[') < 0)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			if (i && put_c(b, ',') < 0)
				return -ENOMEM;
			if ((rc = put_value(b, json_array_get(v, i), depth + 1)) < 0)
				return rc;
		}
		return put_c(b, ']');
	}
	case JSON_OBJECT: {
		void *it = json_object_iter((json_t *)v);
		bool first = true;
		if (put_c(b, '{') < 0)
			return -ENOMEM;
		for (; it; it = json_object_iter_next((json_t *)v, it)) {
			if (!first && put_c(b, ',') < 0)
				return -ENOMEM;
			first = false;
			rc = put_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
			if (rc < 0 || (rc = put_c(b, ':')) < 0 ||
			    (rc = put_value(b, json_object_iter_value(it), depth + 1)) < 0)
				return rc;
		}
		return put_c(b, '}');
	}
	default:
		return -EINVAL;
	}
}

char *json_out_compact(const json_t *v, size_t *ret_len)
{
	jbuf_t b = { 0 };
	int rc;

	if (!json_is_object(v) && !json_is_array(v))
		return NULL;
	rc = put_value(&b, v, 0);
	if (rc == 0)
		rc = put_c(&b, '\0');
	if (rc < 0) {
		free(b.p);
		if (rc == -ENOMEM)
			return NULL;
		/* what json_dumps makes of it (NULL for a string that is not UTF-8 or a cycle) */
		b.p = json_dumps(v, JSON_COMPACT);
		if (b.p && ret_len)
			*ret_len = strlen(b.p);
		return b.p;
	}
	if (ret_len)
		*ret_len = b.len - 1;
	return b.p;
}
