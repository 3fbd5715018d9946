/* Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf) decoded into the same JSON
 * objects the JSON path of the API server handles: a protobuf wire reader, a decoder driven by static
 * message descriptors, and the descriptor tables of the served kinds (pb_k8s.c). Pure code, no I/O. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_CONTENT_TYPE "application/vnd.kubernetes.protobuf"

/* Limits on what a client controls. The body limit sits above kube-apiserver's 3 MiB object limit; the
 * value budget (JSON values created plus messages decoded) bounds the memory and CPU that tiny wire
 * fields (2 bytes) can buy by expanding into JSON objects with defaults. */
#define PB_MAX_BODY   (4u << 20)
#define PB_MAX_DEPTH  32
#define PB_MAX_VALUES (1u << 18)

/* ---- Public API ---------------------------------------------------------------------------------- */

/* Decodes a whole request body: the 4-byte magic "k8s\0", then a runtime.Unknown whose typeMeta names
 * the object and whose raw bytes hold it. On success *ret is a new JSON object (caller owns it, one
 * reference) with "kind" and "apiVersion" set and the fields as kubectl's JSON of the same object would
 * have them; returns 0. On failure *ret is untouched and returns:
 *   -EINVAL   corrupt body: bad magic, truncated or malformed wire data, wrong wire type for a known
 *             field, invalid UTF-8 or NUL in a string, out-of-range time, nesting or value count over
 *             the limits (answer 400 BadRequest);
 *   -ENOTSUP  well-formed envelope around a kind this decoder does not know, or a contentEncoding /
 *             contentType inside the envelope it cannot read (answer 415 UnsupportedMediaType);
 *   -E2BIG    len > PB_MAX_BODY (answer 413);
 *   -ENOMEM.
 * On failure, when ret_err is not NULL, *ret_err is set to a malloc'd message for the Status (caller
 * frees; NULL if even that allocation failed). Messages never contain bytes of the body, apart from a
 * kind/apiVersion that passed a strict character check.
 *
 * JSON emission rule (mirrors Go's encoding/json on the struct gogo-protobuf would have filled):
 *   - a non-pointer scalar with omitempty is emitted only when non-zero (gogo writes it even when zero);
 *   - a pointer field (*int32, *string, *Probe, *Time, ...) is emitted whenever present on the wire,
 *     even when zero or empty;
 *   - a field without omitempty, and every non-pointer struct (encoding/json never omits structs), is
 *     emitted always, with its zero value when absent from the wire: "", 0, false, {} with the
 *     struct's own defaults, null for a nil list, map or pointer (DeploymentSpec.selector), Time/MicroTime zero -> null, IntOrString -> 0,
 *     Quantity -> "0";
 *   - lists and maps with omitempty are emitted when they have at least one element;
 *   - inline Go structs (Volume.VolumeSource, Probe.ProbeHandler, ...) are merged into their parent;
 *   - Time is RFC 3339 in UTC with whole seconds (upstream drops nanos), MicroTime has 6 fractional
 *     digits, bytes are standard base64, IntOrString is a number or a string, Quantity its string,
 *     FieldsV1 the JSON it carries;
 *   - repeated occurrences of a field follow protobuf: scalars last-wins, messages merge, lists append.
 * ObjectMeta.creationTimestamp follows kubectl 1.32/1.33 (null when zero); newer upstream tags it
 * omitzero, which only drops that null. */
int pb_decode_object(const uint8_t *body, size_t len, json_t **ret, char **ret_err);

/* True when pb_decode_object() can decode objects of this apiVersion and kind. */
bool pb_kind_supported(const char *api_version, const char *kind);

/* ---- Wire reader ----------------------------------------------------------------------------------- */

enum pb_wire {
	PB_WIRE_VARINT = 0,
	PB_WIRE_I64 = 1,
	PB_WIRE_LEN = 2,
	PB_WIRE_I32 = 5,
};

/* A bounds-checked cursor over borrowed bytes with a sticky error: after the first failure every read
 * returns zero/empty, so callers read freely and check pb_cursor_err() once. */
typedef struct pb_cursor {
	const uint8_t *p, *end;
	const char *why; /* static text of the first failure, NULL while fine */
} pb_cursor_t;

void pb_cursor_init(pb_cursor_t *c, const uint8_t *buf, size_t len);
/* -EINVAL once a read failed, else 0. */
int pb_cursor_err(const pb_cursor_t *c);
/* True while no error and bytes remain. */
bool pb_cursor_more(const pb_cursor_t *c);
/* Marks the cursor failed with a static reason (the first reason wins). */
void pb_cursor_fail(pb_cursor_t *c, const char *why);

uint64_t pb_read_varint(pb_cursor_t *c);
uint32_t pb_read_fixed32(pb_cursor_t *c);
uint64_t pb_read_fixed64(pb_cursor_t *c);
/* A length-delimited field: *ret_buf (borrowed from the cursor's buffer) and *ret_len; both set to
 * NULL/0 after a failure. */
void pb_read_len(pb_cursor_t *c, const uint8_t **ret_buf, size_t *ret_len);
/* A field key; false at the end of input or on error (field number 0 and wire types 3, 4, 6, 7 -
 * groups and undefined ones, which Kubernetes never writes - are errors). */
bool pb_read_tag(pb_cursor_t *c, uint32_t *ret_num, unsigned *ret_wire);
/* Skips the value of a field of this wire type. */
void pb_skip(pb_cursor_t *c, unsigned wire);

/* ---- Message descriptors --------------------------------------------------------------------------- */

/* What a field holds on the wire and how it appears in JSON. */
enum pb_type {
	PB_STR = 1,  /* string -> JSON string (UTF-8 without NUL enforced) */
	PB_BYTES,    /* bytes -> base64 JSON string */
	PB_BOOL,     /* varint -> true/false */
	PB_I32,      /* varint, truncated to int32 as Go does */
	PB_I64,      /* varint as int64 */
	PB_MSG,      /* a nested message: pb_field_t.msg */
	PB_TIME,     /* meta/v1 Time {seconds=1, nanos=2} -> RFC 3339 or null */
	PB_MTIME,    /* meta/v1 MicroTime -> RFC 3339 with microseconds or null */
	PB_INTSTR,   /* intstr.IntOrString {type=1, intVal=2, strVal=3} -> number or string */
	PB_QTY,      /* resource.Quantity {string=1} -> string */
	PB_RAWJSON,  /* meta/v1 FieldsV1 {Raw=1} -> the JSON value it carries */
};

/* How the Go field is declared, which decides JSON emission (see pb_decode_object()). */
enum pb_flag {
	PB_F_REP = 1 << 0,    /* a Go slice: JSON array; numeric elements may come packed */
	PB_F_MAP = 1 << 1,    /* a Go map[string]T: entries {key=1, value=2} -> JSON object */
	PB_F_PTR = 1 << 2,    /* a Go pointer: emitted whenever present */
	PB_F_KEEP = 1 << 3,   /* no omitempty, or a struct value: always emitted, zero/null when absent */
	PB_F_INLINE = 1 << 4, /* an embedded struct (json:",inline"): fields merge into the parent */
};

typedef struct pb_field {
	uint16_t num;     /* protobuf field number */
	uint8_t type;     /* enum pb_type; for PB_F_MAP the type of the value */
	uint8_t flags;    /* enum pb_flag */
	uint16_t msg;     /* PB_MSG: index of the message in the table */
	const char *json; /* the JSON name; "" for PB_F_INLINE */
} pb_field_t;

typedef struct pb_msg {
	const char *name; /* the Go type, for error messages */
	const pb_field_t *fields;
	uint16_t n_fields;
} pb_msg_t;

typedef struct pb_schema {
	const pb_msg_t *msgs;
	size_t n_msgs;
} pb_schema_t;

/* Decodes the message schema->msgs[msg] in buf[0..len) and merges its fields into the JSON object
 * `into` (borrowed; on failure it may hold part of the fields, so the caller discards it). Returns 0, or
 * a negative errno as pb_decode_object() does with *ret_err set likewise (caller frees). */
int pb_decode_message(const pb_schema_t *schema, unsigned msg, const uint8_t *buf, size_t len, json_t *into,
		      char **ret_err);

/* The descriptor tables of the served kinds (static, never freed), for tests and future encoders. */
const pb_schema_t *pb_k8s_schema(void);
