/* Request bodies into jansson trees without jansson's lexer, which reads a byte at a time through a
 * callback, checks UTF-8 per character and copies every token twice; this reads the buffer in place
 * and builds the tree with the calls jansson's parser makes (json_object_setn_new_nocheck,
 * json_stringn_nocheck, json_integer, json_real), so the tree is the same. It only accepts what it
 * is sure jansson accepts the same way and gives up (-EAGAIN) on anything else; the caller then runs
 * json_loadb, whose error message the client gets. */
#include "lib/json_in.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_out.h"

typedef struct cur {
	const unsigned char *p, *end;
	int rc; /* sticky: the first failure */
} cur_t;

static json_t *parse_value(cur_t *c, int depth);

static void fail(cur_t *c, int rc)
{
	if (c->rc == 0)
		c->rc = rc;
}

static void skip_ws(cur_t *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
		c->p++;
}

static int hex4(const unsigned char *s, uint32_t *ret)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char h = s[i];
		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= (uint32_t)(h - '0');
		else if (h >= 'a' && h <= 'f')
			v |= (uint32_t)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			v |= (uint32_t)(h - 'A' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

static size_t utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The string at c->p (just past its opening quote): its bytes in *ret (into *ret_buf, which the
 * caller frees, when it had escapes), its length in *ret_len. Leaves c->p past the closing quote. */
static int parse_string(cur_t *c, const char **ret, size_t *ret_len, char **ret_buf)
{
	const unsigned char *s = c->p, *q = s;
	char *buf, *o;

	*ret_buf = NULL;
	/* the common case: no escapes, read in place */
	while (q < c->end && *q != '"' && *q != '\\') {
		if (*q < 0x20)
			return -EAGAIN; /* jansson: control character in a string */
		if (*q >= 0x80) {
			size_t l = json_out_utf8_seq(q, (size_t)(c->end - q));
			if (!l)
				return -EAGAIN;
			q += l;
		} else {
			q++;
		}
	}
	if (q >= c->end)
		return -EAGAIN;
	if (*q == '"') {
		*ret = (const char *)s;
		*ret_len = (size_t)(q - s);
		c->p = q + 1;
		return 0;
	}
	/* escapes: decoded text is never longer than the source up to the closing quote */
	{
		const unsigned char *e = q;
		while (e < c->end && *e != '"')
			e += *e == '\\' ? 2 : 1;
		if (e >= c->end)
			return -EAGAIN;
		buf = malloc((size_t)(e - s) + 1);
		if (!buf)
			return -ENOMEM;
	}
	memcpy(buf, s, (size_t)(q - s));
	o = buf + (q - s);
	while (q < c->end && *q != '"') {
		if (*q < 0x20) {
			free(buf);
			return -EAGAIN;
		}
		if (*q >= 0x80) {
			size_t l = json_out_utf8_seq(q, (size_t)(c->end - q));
			if (!l) {
				free(buf);
				return -EAGAIN;
			}
			memcpy(o, q, l);
			o += l;
			q += l;
			continue;
		}
		if (*q != '\\') {
			*o++ = (char)*q++;
			continue;
		}
		if (q + 1 >= c->end) {
			free(buf);
			return -EAGAIN;
		}
		switch (q[1]) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if (c->end - q < 6 || hex4(q + 2, &cp) < 0) {
				free(buf);
				return -EAGAIN;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				/* a surrogate pair; anything else around a surrogate is jansson's error */
				if (c->end - q < 12 || q[6] != '\\' || q[7] != 'u' || hex4(q + 8, &lo) < 0 || lo < 0xDC00 ||
				    lo > 0xDFFF) {
					free(buf);
					return -EAGAIN;
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				q += 6;
			} else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
				free(buf); /* a lone low surrogate; \u0000 without JSON_ALLOW_NUL */
				return -EAGAIN;
			}
			o += utf8_put(cp, o);
			q += 6;
			continue;
		}
		default:
			free(buf);
			return -EAGAIN;
		}
		q += 2;
	}
	if (q >= c->end) {
		free(buf);
		return -EAGAIN;
	}
	*o = '\0';
	*ret = buf;
	*ret_len = (size_t)(o - buf);
	*ret_buf = buf;
	c->p = q + 1;
	return 0;
}

static bool is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

/* jansson's number grammar (lex_scan_number), read with strtoll/strtod as jansson does. */
static json_t *parse_number(cur_t *c)
{
	const unsigned char *s = c->p, *q = s;
	bool is_real = false;
	char tmp[64];
	size_t n;

	if (q < c->end && *q == '-')
		q++;
	if (q < c->end && *q == '0') {
		q++;
		if (q < c->end && is_digit(*q))
			goto again;
	} else if (q < c->end && is_digit(*q)) {
		while (q < c->end && is_digit(*q))
			q++;
	} else {
		goto again;
	}
	if (q < c->end && *q == '.') {
		is_real = true;
		q++;
		if (q >= c->end || !is_digit(*q))
			goto again;
		while (q < c->end && is_digit(*q))
			q++;
	}
	if (q < c->end && (*q == 'e' || *q == 'E')) {
		is_real = true;
		q++;
		if (q < c->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= c->end || !is_digit(*q))
			goto again;
		while (q < c->end && is_digit(*q))
			q++;
	}
	n = (size_t)(q - s);
	if (n >= sizeof(tmp))
		goto again;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	c->p = q;
	errno = 0;
	if (!is_real) {
		char *end;
		long long v = strtoll(tmp, &end, 10);
		if (errno == ERANGE || end != tmp + n)
			goto again; /* "too big integer" */
		return json_integer((json_int_t)v);
	} else {
		char *end;
		double d = strtod(tmp, &end);
		if (((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE) || end != tmp + n || !isfinite(d))
			goto again; /* "real number overflow" */
		return json_real(d);
	}
again:
	fail(c, -EAGAIN);
	return NULL;
}

static bool literal(cur_t *c, const char *word, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

static json_t *parse_object(cur_t *c, int depth)
{
	json_t *obj = json_object();

	if (!obj) {
		fail(c, -ENOMEM);
		return NULL;
	}
	c->p++; /* { */
	skip_ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return obj;
	}
	for (;;) {
		const char *key;
		size_t klen;
		char *kbuf;
		json_t *v;
		int rc;
		skip_ws(c);
		if (c->p >= c->end || *c->p != '"')
			break;
		c->p++;
		rc = parse_string(c, &key, &klen, &kbuf);
		if (rc < 0) {
			fail(c, rc);
			break;
		}
		if (json_object_getn(obj, key, klen)) {
			free(kbuf); /* JSON_REJECT_DUPLICATES: jansson's "duplicate object key" */
			break;
		}
		skip_ws(c);
		if (c->p >= c->end || *c->p != ':') {
			free(kbuf);
			break;
		}
		c->p++;
		v = parse_value(c, depth + 1);
		if (!v) {
			free(kbuf);
			break;
		}
		if (json_object_setn_new_nocheck(obj, key, klen, v) < 0) {
			free(kbuf);
			fail(c, -ENOMEM);
			break;
		}
		free(kbuf);
		skip_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			return obj;
		}
		break;
	}
	fail(c, -EAGAIN);
	json_decref(obj);
	return NULL;
}

static json_t *parse_array(cur_t *c, int depth)
{
	json_t *arr = json_array();

	if (!arr) {
		fail(c, -ENOMEM);
		return NULL;
	}
	c->p++; /* [ */
	skip_ws(c);
	if (c->p < c->end && *c->p == ']') {
		c->p++;
		return arr;
	}
	for (;;) {
		json_t *v = parse_value(c, depth + 1);
		if (!v)
			break;
		if (json_array_append_new(arr, v) < 0) {
			fail(c, -ENOMEM);
			break;
		}
		skip_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == ']') {
			c->p++;
			return arr;
		}
		break;
	}
	fail(c, -EAGAIN);
	json_decref(arr);
	return NULL;
}

static json_t *parse_value(cur_t *c, int depth)
{
	skip_ws(c);
	if (depth > JSON_IN_MAX_DEPTH || c->p >= c->end) {
		fail(c, -EAGAIN);
		return NULL;
	}
	switch (*c->p) {
	case '{':
		return parse_object(c, depth);
	case '[':
		return parse_array(c, depth);
	case '"': {
		const char *s;
		size_t n;
		char *buf;
		json_t *v;
		int rc;
		c->p++;
		rc = parse_string(c, &s, &n, &buf);
		if (rc < 0) {
			fail(c, rc);
			return NULL;
		}
		v = json_stringn_nocheck(s, n);
		free(buf);
		if (!v)
			fail(c, -ENOMEM);
		return v;
	}
	case 't':
		if (literal(c, "true", 4))
			return json_true();
		break;
	case 'f':
		if (literal(c, "false", 5))
			return json_false();
		break;
	case 'n':
		if (literal(c, "null", 4))
			return json_null();
		break;
	default:
		if (*c->p == '-' || is_digit(*c->p))
			return parse_number(c);
	}
	fail(c, -EAGAIN);
	return NULL;
}

int json_in_parse(const char *buf, size_t len, json_t **ret)
{
	cur_t c = { .p = (const unsigned char *)buf, .end = (const unsigned char *)buf + len };
	json_t *v;

	skip_ws(&c);
	/* without JSON_DECODE_ANY jansson wants an object or an array on top */
	if (c.p >= c.end || (*c.p != '{' && *c.p != '['))
		return -EAGAIN;
	v = parse_value(&c, 1);
	if (!v)
		return c.rc ? c.rc : -EAGAIN;
	skip_ws(&c);
	if (c.p != c.end) {
		json_decref(v); /* jansson: "end of file expected" */
		return -EAGAIN;
	}
	*ret = v;
	return 0;
}
