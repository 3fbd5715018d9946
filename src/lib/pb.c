/* The protobuf wire reader and the descriptor-driven decoder that turns Kubernetes messages into the
 * JSON encoding/json would produce for the same Go structs. Every byte is untrusted: all reads go
 * through a bounds-checked cursor, nesting and the number of JSON values are capped. */
#include "lib/pb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Wire reader ----------------------------------------------------------------------------------- */

void pb_cursor_init(pb_cursor_t *c, const uint8_t *buf, size_t len)
{
	c->p = buf;
	c->end = buf ? buf + len : buf;
	c->why = NULL;
}

int pb_cursor_err(const pb_cursor_t *c)
{
	return c->why ? -EINVAL : 0;
}

bool pb_cursor_more(const pb_cursor_t *c)
{
	return !c->why && c->p < c->end;
}

void pb_cursor_fail(pb_cursor_t *c, const char *why)
{
	if (!c->why)
		c->why = why;
	/* Park the cursor at the end so loops over pb_cursor_more() stop. */
	c->p = c->end;
}

uint64_t pb_read_varint(pb_cursor_t *c)
{
	uint64_t v = 0;

	if (c->why)
		return 0;
	/* At most 10 bytes; the 10th may only carry bit 63. Go's decoders reject longer ones too. */
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (c->p >= c->end) {
			pb_cursor_fail(c, "truncated varint");
			return 0;
		}
		uint8_t b = *c->p++;
		if (shift == 63 && b > 1) {
			pb_cursor_fail(c, "varint overflows 64 bits");
			return 0;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	pb_cursor_fail(c, "varint overflows 64 bits");
	return 0;
}

static uint64_t read_le(pb_cursor_t *c, unsigned n)
{
	uint64_t v = 0;

	if (c->why)
		return 0;
	if ((size_t)(c->end - c->p) < n) {
		pb_cursor_fail(c, "truncated fixed-width field");
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

uint32_t pb_read_fixed32(pb_cursor_t *c)
{
	return (uint32_t)read_le(c, 4);
}

uint64_t pb_read_fixed64(pb_cursor_t *c)
{
	return read_le(c, 8);
}

void pb_read_len(pb_cursor_t *c, const uint8_t **ret_buf, size_t *ret_len)
{
	uint64_t n = pb_read_varint(c);

	*ret_buf = NULL;
	*ret_len = 0;
	if (c->why)
		return;
	if (n > (uint64_t)(c->end - c->p)) {
		pb_cursor_fail(c, "length-delimited field runs past its message");
		return;
	}
	*ret_buf = c->p;
	*ret_len = (size_t)n;
	c->p += n;
}

bool pb_read_tag(pb_cursor_t *c, uint32_t *ret_num, unsigned *ret_wire)
{
	uint64_t key;
	unsigned wire;

	if (!pb_cursor_more(c))
		return false;
	key = pb_read_varint(c);
	if (c->why)
		return false;
	wire = (unsigned)(key & 7);
	/* Field numbers are 29 bits; 0 is reserved. */
	if (key >> 3 == 0 || key >> 3 > 0x1fffffff) {
		pb_cursor_fail(c, "invalid field number");
		return false;
	}
	if (wire != PB_WIRE_VARINT && wire != PB_WIRE_I64 && wire != PB_WIRE_LEN && wire != PB_WIRE_I32) {
		pb_cursor_fail(c, "unsupported wire type");
		return false;
	}
	*ret_num = (uint32_t)(key >> 3);
	*ret_wire = wire;
	return true;
}

void pb_skip(pb_cursor_t *c, unsigned wire)
{
	const uint8_t *b;
	size_t n;

	switch (wire) {
	case PB_WIRE_VARINT:
		(void)pb_read_varint(c);
		break;
	case PB_WIRE_I64:
		(void)read_le(c, 8);
		break;
	case PB_WIRE_LEN:
		pb_read_len(c, &b, &n);
		break;
	case PB_WIRE_I32:
		(void)read_le(c, 4);
		break;
	default:
		pb_cursor_fail(c, "unsupported wire type");
	}
}

/* ---- Decoder --------------------------------------------------------------------------------------- */

typedef struct dec_ctx {
	const pb_schema_t *schema;
	unsigned depth;
	size_t values;
	int err;        /* first failure, negative errno */
	char msg[200];  /* its message */
} dec_ctx_t;

/* Records the first failure only: the innermost context is the most useful one. */
static int fail(dec_ctx_t *x, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(dec_ctx_t *x, int err, const char *fmt, ...)
{
	va_list ap;

	if (x->err)
		return x->err;
	x->err = err;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
	return err;
}

static int fail_field(dec_ctx_t *x, const pb_msg_t *m, const pb_field_t *f, const char *why)
{
	return fail(x, -EINVAL, "invalid protobuf body: %s in field %u (%s) of %s", why, f->num,
		    f->json[0] ? f->json : "inline", m->name);
}

/* Every JSON value goes through here: it counts against the budget and turns NULL into -ENOMEM. Takes
 * the reference of v; returns NULL (v released) on failure. */
static json_t *track(dec_ctx_t *x, json_t *v)
{
	if (!v) {
		fail(x, -ENOMEM, "out of memory");
		return NULL;
	}
	if (++x->values > PB_MAX_VALUES) {
		json_decref(v);
		fail(x, -EINVAL, "invalid protobuf body: more than %u values", PB_MAX_VALUES);
		return NULL;
	}
	return v;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF) without NUL: the JSON path
 * rejects \u0000 too, and the rest of the server keeps strings as C strings. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i - 1 < k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static json_t *base64_string(const uint8_t *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t out_len = (n + 2) / 3 * 4;
	char *out = malloc(out_len + 1), *o = out;
	json_t *j;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		size_t rest = n - i;
		if (rest > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (rest > 2)
			v |= s[i + 2];
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = rest > 1 ? tab[v >> 6 & 63] : '=';
		*o++ = rest > 2 ? tab[v & 63] : '=';
	}
	*o = '\0';
	j = json_stringn(out, out_len);
	free(out);
	return j;
}

/* Go's time.Unix(0001-01-01T00:00:00Z) is the zero Time, which metav1.Time marshals as null. */
#define GO_ZERO_TIME_UNIX INT64_C(-62135596800)
/* RFC 3339 needs a 4-digit year; Go's Time.MarshalJSON fails outside [0, 9999] as well. */
#define MIN_UNIX INT64_C(-62167219200) /* 0000-01-01T00:00:00Z */
#define MAX_UNIX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* meta/v1 Time and MicroTime: a Timestamp {seconds=1, nanos=2}. Upstream's Unmarshal maps an empty
 * message to the zero time (JSON null), drops nanos for Time and truncates them to microseconds for
 * MicroTime, normalising them into the seconds as time.Unix does. */
static json_t *time_value(dec_ctx_t *x, const pb_msg_t *m, const pb_field_t *f, const uint8_t *buf, size_t len)
{
	pb_cursor_t c;
	int64_t sec = 0, nsec = 0;
	uint32_t num;
	unsigned wire;
	struct tm tm;
	time_t tt;
	char out[48];

	if (len == 0)
		return json_null();
	pb_cursor_init(&c, buf, len);
	while (pb_read_tag(&c, &num, &wire)) {
		if (num == 1 && wire == PB_WIRE_VARINT)
			sec = (int64_t)pb_read_varint(&c);
		else if (num == 2 && wire == PB_WIRE_VARINT)
			nsec = (int32_t)(uint32_t)pb_read_varint(&c);
		else if (num == 1 || num == 2)
			pb_cursor_fail(&c, "wrong wire type in a timestamp");
		else
			pb_skip(&c, wire);
	}
	if (c.why) {
		fail_field(x, m, f, c.why);
		return NULL;
	}
	if (f->type == PB_TIME) {
		nsec = 0;
	} else {
		nsec -= nsec % 1000; /* Duration.Truncate rounds toward zero */
		sec += nsec / 1000000000;
		nsec %= 1000000000;
		if (nsec < 0) {
			nsec += 1000000000;
			sec--;
		}
	}
	if (sec == GO_ZERO_TIME_UNIX && nsec == 0)
		return json_null();
	if (sec < MIN_UNIX || sec > MAX_UNIX) {
		fail_field(x, m, f, "time out of range");
		return NULL;
	}
	tt = (time_t)sec;
	if (!gmtime_r(&tt, &tm)) {
		fail_field(x, m, f, "time out of range");
		return NULL;
	}
	if (f->type == PB_TIME)
		snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(nsec / 1000));
	return json_string(out);
}

/* A string subfield of a small leaf message (IntOrString.strVal, Quantity.string). */
static json_t *checked_string(dec_ctx_t *x, const pb_msg_t *m, const pb_field_t *f, const uint8_t *s, size_t n)
{
	if (!utf8_ok(s, n)) {
		fail_field(x, m, f, "invalid UTF-8 or NUL in a string");
		return NULL;
	}
	return json_stringn((const char *)s, n);
}

/* intstr.IntOrString {type=1, intVal=2, strVal=3}: its MarshalJSON writes intVal for type 0, strVal
 * for type 1, and fails for any other type. Quantity {string=1}: the string the client canonicalised;
 * an empty one is the zero Quantity, "0". */
static json_t *leaf_value(dec_ctx_t *x, const pb_msg_t *m, const pb_field_t *f, const uint8_t *buf, size_t len)
{
	pb_cursor_t c;
	uint32_t num;
	unsigned wire;
	int64_t type = 0;
	int32_t ival = 0;
	const uint8_t *s = NULL;
	size_t sn = 0;

	pb_cursor_init(&c, buf, len);
	while (pb_read_tag(&c, &num, &wire)) {
		if (f->type == PB_INTSTR && num == 1 && wire == PB_WIRE_VARINT)
			type = (int64_t)pb_read_varint(&c);
		else if (f->type == PB_INTSTR && num == 2 && wire == PB_WIRE_VARINT)
			ival = (int32_t)(uint32_t)pb_read_varint(&c);
		else if (((f->type == PB_INTSTR && num == 3) || (f->type != PB_INTSTR && num == 1)) &&
			 wire == PB_WIRE_LEN)
			pb_read_len(&c, &s, &sn);
		else if (num <= (f->type == PB_INTSTR ? 3u : 1u))
			pb_cursor_fail(&c, "wrong wire type");
		else
			pb_skip(&c, wire);
	}
	if (c.why) {
		fail_field(x, m, f, c.why);
		return NULL;
	}
	if (f->type == PB_QTY)
		return sn ? checked_string(x, m, f, s, sn) : json_string("0");
	if (f->type == PB_RAWJSON) {
		json_t *j;
		/* FieldsV1 with no bytes marshals as null; otherwise the bytes must be JSON. */
		if (sn == 0)
			return json_null();
		j = json_loadb((const char *)s, sn, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
		if (!j)
			fail_field(x, m, f, "fieldsV1 is not valid JSON");
		return j;
	}
	if (type == 0)
		return json_integer(ival);
	if (type == 1)
		return sn ? checked_string(x, m, f, s, sn) : json_string("");
	fail_field(x, m, f, "IntOrString type is neither 0 nor 1");
	return NULL;
}

static int decode_into(dec_ctx_t *x, unsigned id, const uint8_t *buf, size_t len, json_t *into);

/* The JSON value of one occurrence of a non-repeated scalar or message field. Returns a new value,
 * NULL with x->err set on failure. For PB_MSG, `into` (when an object) receives the fields instead:
 * protobuf merges repeated occurrences of a message field. */
static json_t *field_value(dec_ctx_t *x, const pb_msg_t *m, const pb_field_t *f, unsigned wire, pb_cursor_t *c,
			   json_t *into)
{
	const uint8_t *b;
	size_t n;
	uint64_t v;
	json_t *j;

	switch (f->type) {
	case PB_BOOL:
	case PB_I32:
	case PB_I64:
		if (wire != PB_WIRE_VARINT) {
			fail_field(x, m, f, "wrong wire type");
			return NULL;
		}
		v = pb_read_varint(c);
		if (c->why) {
			fail_field(x, m, f, c->why);
			return NULL;
		}
		if (f->type == PB_BOOL)
			return track(x, json_boolean(v != 0));
		if (f->type == PB_I32) /* Go's generated code wraps into int32 */
			return track(x, json_integer((int32_t)(uint32_t)v));
		return track(x, json_integer((json_int_t)(int64_t)v));
	default:
		break;
	}
	if (wire != PB_WIRE_LEN) {
		fail_field(x, m, f, "wrong wire type");
		return NULL;
	}
	pb_read_len(c, &b, &n);
	if (c->why) {
		fail_field(x, m, f, c->why);
		return NULL;
	}
	switch (f->type) {
	case PB_STR:
		if (!utf8_ok(b, n)) {
			fail_field(x, m, f, "invalid UTF-8 or NUL in a string");
			return NULL;
		}
		return track(x, json_stringn((const char *)b, n));
	case PB_BYTES:
		return track(x, base64_string(b, n));
	case PB_TIME:
	case PB_MTIME:
		j = time_value(x, m, f, b, n);
		return x->err ? (json_decref(j), NULL) : track(x, j);
	case PB_INTSTR:
	case PB_QTY:
	case PB_RAWJSON:
		j = leaf_value(x, m, f, b, n);
		return x->err ? (json_decref(j), NULL) : track(x, j);
	case PB_MSG:
		if (json_is_object(into))
			j = json_incref(into);
		else if (!(j = track(x, json_object())))
			return NULL;
		if (decode_into(x, f->msg, b, n, j) < 0) {
			json_decref(j);
			return NULL;
		}
		return j;
	default:
		fail(x, -EINVAL, "invalid protobuf body: unsupported field type in %s", m->name);
		return NULL;
	}
}

/* Go's encoding/json omitempty test for the scalars that carry no PB_F_PTR/PB_F_KEEP. */
static bool json_empty(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_STRING:
		return json_string_length(j) == 0;
	case JSON_INTEGER:
		return json_integer_value(j) == 0;
	case JSON_FALSE:
	case JSON_NULL:
		return true;
	default:
		return false;
	}
}

/* The container (array or object) a repeated or map field collects into, created on first use. */
static json_t *collection(dec_ctx_t *x, json_t *obj, const pb_field_t *f, bool is_array)
{
	json_t *c = json_object_get(obj, f->json);

	if (c && (is_array ? json_is_array(c) : json_is_object(c)))
		return c;
	c = track(x, is_array ? json_array() : json_object());
	if (!c)
		return NULL;
	if (json_object_set_new(obj, f->json, c) < 0) {
		fail(x, -ENOMEM, "out of memory");
		return NULL;
	}
	return c;
}

/* One map entry {key=1, value=2}; a missing key or value is the zero value, as in Go. */
static int map_entry(dec_ctx_t *x, const pb_msg_t *m, const pb_field_t *f, unsigned wire, pb_cursor_t *c, json_t *obj)
{
	/* The value decodes as if it were a plain field of the map's value type. */
	const pb_field_t vf = { .num = f->num, .type = f->type, .flags = PB_F_KEEP, .msg = f->msg, .json = f->json };
	const uint8_t *b, *key = NULL;
	size_t n, key_len = 0;
	pb_cursor_t e;
	uint32_t num;
	unsigned w;
	json_t *val = NULL, *dst;
	char *k;
	int r;

	if (wire != PB_WIRE_LEN)
		return fail_field(x, m, f, "wrong wire type");
	pb_read_len(c, &b, &n);
	if (c->why)
		return fail_field(x, m, f, c->why);
	pb_cursor_init(&e, b, n);
	while (pb_read_tag(&e, &num, &w)) {
		if (num == 1) {
			if (w != PB_WIRE_LEN)
				pb_cursor_fail(&e, "wrong wire type for a map key");
			pb_read_len(&e, &key, &key_len);
		} else if (num == 2) {
			json_decref(val);
			val = field_value(x, m, &vf, w, &e, NULL);
			if (!val)
				return x->err;
		} else {
			pb_skip(&e, w);
		}
	}
	if (e.why) {
		json_decref(val);
		return fail_field(x, m, f, e.why);
	}
	if (!utf8_ok(key ? key : (const uint8_t *)"", key_len)) {
		json_decref(val);
		return fail_field(x, m, f, "invalid UTF-8 or NUL in a map key");
	}
	if (!val) {
		/* An absent value is the zero value: map values here are strings, bytes or Quantities. */
		val = track(x, json_string(f->type == PB_QTY ? "0" : ""));
		if (!val)
			return x->err;
	}
	dst = collection(x, obj, f, false);
	k = strndup(key ? (const char *)key : "", key_len);
	if (!dst || !k) {
		free(k);
		json_decref(val);
		return x->err ? x->err : fail(x, -ENOMEM, "out of memory");
	}
	r = json_object_set_new(dst, k, val); /* last entry wins, as in Go */
	free(k);
	return r < 0 ? fail(x, -ENOMEM, "out of memory") : 0;
}

/* One occurrence of a repeated field: one element, or a packed run of numbers. */
static int repeated(dec_ctx_t *x, const pb_msg_t *m, const pb_field_t *f, unsigned wire, pb_cursor_t *c, json_t *obj)
{
	bool numeric = f->type == PB_BOOL || f->type == PB_I32 || f->type == PB_I64;
	json_t *arr = collection(x, obj, f, true);

	if (!arr)
		return x->err;
	if (numeric && wire == PB_WIRE_LEN) {
		const uint8_t *b;
		size_t n;
		pb_cursor_t p;

		pb_read_len(c, &b, &n);
		if (c->why)
			return fail_field(x, m, f, c->why);
		pb_cursor_init(&p, b, n);
		while (pb_cursor_more(&p)) {
			json_t *v = field_value(x, m, f, PB_WIRE_VARINT, &p, NULL);
			if (!v)
				return x->err;
			if (json_array_append_new(arr, v) < 0)
				return fail(x, -ENOMEM, "out of memory");
		}
		return 0;
	}
	json_t *v = field_value(x, m, f, wire, c, NULL);
	if (!v)
		return x->err;
	if (json_array_append_new(arr, v) < 0)
		return fail(x, -ENOMEM, "out of memory");
	return 0;
}

static int fill_defaults(dec_ctx_t *x, unsigned id, json_t *obj);

/* The zero JSON value of a PB_F_KEEP field absent from the wire. */
static json_t *zero_value(dec_ctx_t *x, const pb_field_t *f)
{
	json_t *o;

	if (f->flags & (PB_F_REP | PB_F_MAP | PB_F_PTR))
		return track(x, json_null()); /* a nil slice, map or pointer */
	switch (f->type) {
	case PB_STR:
		return track(x, json_string(""));
	case PB_BOOL:
		return track(x, json_false());
	case PB_I32:
	case PB_I64:
	case PB_INTSTR:
		return track(x, json_integer(0));
	case PB_QTY:
		return track(x, json_string("0"));
	case PB_MSG:
		if (!(o = track(x, json_object())))
			return NULL;
		if (decode_into(x, f->msg, NULL, 0, o) < 0) {
			json_decref(o);
			return NULL;
		}
		return o;
	default: /* bytes, times, FieldsV1: nil/zero marshal as null */
		return track(x, json_null());
	}
}

/* Adds the fields Go would emit although the wire did not carry them (see pb.h). */
static int fill_defaults(dec_ctx_t *x, unsigned id, json_t *obj)
{
	const pb_msg_t *m = &x->schema->msgs[id];

	for (size_t i = 0; i < m->n_fields; i++) {
		const pb_field_t *f = &m->fields[i];
		json_t *v;

		if (f->flags & PB_F_INLINE) {
			if (f->msg >= x->schema->n_msgs)
				return fail(x, -EINVAL, "invalid protobuf schema");
			/* Depth-checked like decoding; inline structs are values, so the chain is finite. */
			if (++x->depth > PB_MAX_DEPTH)
				return fail(x, -EINVAL, "invalid protobuf body: nesting deeper than %d", PB_MAX_DEPTH);
			int r = fill_defaults(x, f->msg, obj);
			x->depth--;
			if (r < 0)
				return r;
			continue;
		}
		if (!(f->flags & PB_F_KEEP) || json_object_get(obj, f->json))
			continue;
		if (!(v = zero_value(x, f)))
			return x->err;
		if (json_object_set_new(obj, f->json, v) < 0)
			return fail(x, -ENOMEM, "out of memory");
	}
	return 0;
}

static const pb_field_t *find_field(const pb_msg_t *m, uint32_t num)
{
	for (size_t i = 0; i < m->n_fields; i++)
		if (m->fields[i].num == num)
			return &m->fields[i];
	return NULL;
}

static int decode_into(dec_ctx_t *x, unsigned id, const uint8_t *buf, size_t len, json_t *into)
{
	const pb_msg_t *m;
	pb_cursor_t c;
	uint32_t num;
	unsigned wire;
	int r = 0;

	if (id >= x->schema->n_msgs)
		return fail(x, -EINVAL, "invalid protobuf schema");
	m = &x->schema->msgs[id];
	if (++x->depth > PB_MAX_DEPTH) {
		x->depth--;
		return fail(x, -EINVAL, "invalid protobuf body: nesting deeper than %d", PB_MAX_DEPTH);
	}
	/* Each occurrence also costs a scan of the message's defaults: merged repeats of a big message
	 * (2 bytes each) would otherwise buy seconds of CPU per request without creating values. */
	if (++x->values > PB_MAX_VALUES) {
		x->depth--;
		return fail(x, -EINVAL, "invalid protobuf body: more than %u values", PB_MAX_VALUES);
	}
	pb_cursor_init(&c, buf, len);
	while (r == 0 && pb_read_tag(&c, &num, &wire)) {
		const pb_field_t *f = find_field(m, num);
		json_t *v;

		if (!f) {
			/* Unknown fields are skipped, as upstream's generated code does: newer clients may
			 * send fields this table predates. */
			pb_skip(&c, wire);
			continue;
		}
		if (f->flags & PB_F_MAP) {
			r = map_entry(x, m, f, wire, &c, into);
		} else if (f->flags & PB_F_REP) {
			r = repeated(x, m, f, wire, &c, into);
		} else if (f->flags & PB_F_INLINE) {
			if (f->type != PB_MSG)
				r = fail(x, -EINVAL, "invalid protobuf schema");
			else if (!(v = field_value(x, m, f, wire, &c, into)))
				r = x->err;
			else
				json_decref(v); /* the fields went into `into` itself */
		} else if (!(v = field_value(x, m, f, wire, &c, json_object_get(into, f->json)))) {
			r = x->err;
		} else if (!(f->flags & (PB_F_PTR | PB_F_KEEP)) && json_empty(v)) {
			/* omitempty: a zero non-pointer scalar is absent in Go's JSON. Deleting also honours
			 * last-wins over an earlier non-zero occurrence. */
			json_decref(v);
			json_object_del(into, f->json);
		} else if (json_object_set_new(into, f->json, v) < 0) {
			r = fail(x, -ENOMEM, "out of memory");
		}
	}
	if (r == 0 && c.why)
		r = fail(x, -EINVAL, "invalid protobuf body: %s in %s", c.why, m->name);
	if (r == 0)
		r = fill_defaults(x, id, into);
	x->depth--;
	return r;
}

int pb_decode_message(const pb_schema_t *schema, unsigned msg, const uint8_t *buf, size_t len, json_t *into,
		      char **ret_err)
{
	dec_ctx_t x = { .schema = schema };
	int r;

	if (!json_is_object(into))
		return -EINVAL;
	if (len > PB_MAX_BODY) {
		r = fail(&x, -E2BIG, "the request body is larger than %u bytes", PB_MAX_BODY);
	} else {
		r = decode_into(&x, msg, buf, len, into);
		if (r == 0 && x.err) /* a failure swallowed on the way up would still be one */
			r = x.err;
	}
	if (r < 0 && ret_err)
		*ret_err = strdup(x.msg[0] ? x.msg : "invalid protobuf body");
	return r;
}
