/* Protobuf body decoding: request bodies captured from kubectl 1.32/1.33 (compared with the JSON the same
 * kubectl prints for --dry-run=client -o json), synthetic bodies of the other served kinds, the wire
 * reader's corner cases and hostile input. Fixtures: tests/unit/fixtures/pb/ (run from the repo root). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/pb.h"
#include "lib/resources.h"

#define FIX "tests/unit/fixtures/pb/"

static uint8_t *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*ret_len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Decodes a fixture body and compares it with the expected JSON semantically (json_equal). */
static void check_fixture(const char *body, const char *expected)
{
	size_t len = 0;
	uint8_t *b = read_file(body, &len);
	json_t *want = json_load_file(expected, 0, NULL), *got = NULL;
	char *err = NULL;
	int r;

	CHECK(b != NULL);
	CHECK(want != NULL);
	if (!b || !want)
		goto out;
	r = pb_decode_object(b, len, &got, &err);
	CHECK_INT(r, 0);
	if (r < 0)
		fprintf(stderr, "  %s: %s\n", body, err ? err : "(no message)");
	CHECK(got && json_equal(got, want));
	if (got && !json_equal(got, want)) {
		char *s = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
		fprintf(stderr, "  %s decoded to %s\n", body, s ? s : "?");
		free(s);
	}
out:
	json_decref(got);
	json_decref(want);
	free(err);
	free(b);
}

static void test_kubectl_captures(void)
{
	static const char *const names[] = { "namespace", "service-clusterip", "service-nodeport",
					     "service-loadbalancer", "service-externalname", "service-headless",
					     "deployment", "configmap" };
	static const char *const versions[] = { "1.32", "1.33" };
	char body[256], want[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t v = 0; v < 2; v++) {
			snprintf(body, sizeof(body), FIX "kubectl-%s-%s.pb", versions[v], names[i]);
			snprintf(want, sizeof(want), FIX "%s.json", names[i]);
			check_fixture(body, want);
		}
	/* kubectl debug creates Pods through the typed client, so in protobuf too. */
	check_fixture(FIX "kubectl-1.32-debug-node.pb", FIX "debug-1.32-node.json");
	check_fixture(FIX "kubectl-1.33-debug-node.pb", FIX "debug-1.33-node.json");
	check_fixture(FIX "kubectl-1.32-debug-copy.pb", FIX "debug-1.32-copy.json");
}

static void test_synthetic_kinds(void)
{
	static const char *const names[] = { "pod-full", "node", "endpoints", "endpointslice",
					     "endpointslice-empty", "lease", "event", "configmap-binary",
					     "scale", "deleteoptions", "service-full", "deployment-full",
					     "namespace-full" };
	char body[256], want[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(body, sizeof(body), FIX "synthetic-%s.pb", names[i]);
		snprintf(want, sizeof(want), FIX "synthetic-%s.json", names[i]);
		check_fixture(body, want);
	}
}

/* Spot checks that do not rely on the fixture JSON: the rules of pb.h on one decoded Pod. */
static void test_emission_rules(void)
{
	size_t len = 0;
	uint8_t *b = read_file(FIX "synthetic-pod-full.pb", &len);
	json_t *o = NULL, *spec, *c0;
	char *err = NULL;

	CHECK(b != NULL);
	if (!b)
		return;
	CHECK_INT(pb_decode_object(b, len, &o, &err), 0);
	if (!o)
		goto out;
	CHECK_STR(json_string_value(json_object_get(o, "kind")), "Pod");
	CHECK_STR(json_string_value(json_object_get(o, "apiVersion")), "v1");
	spec = json_object_get(o, "spec");
	c0 = json_array_get(json_object_get(spec, "containers"), 0);
	/* omitempty scalar written as "" / 0 / false on the wire: absent */
	CHECK(json_object_get(c0, "workingDir") == NULL);
	CHECK(json_object_get(c0, "stdin") == NULL);
	CHECK(json_object_get(spec, "hostNetwork") == NULL);
	/* pointer present with a zero value: emitted */
	CHECK(json_is_integer(json_object_get(spec, "priority")));
	CHECK(json_is_false(json_object_get(json_object_get(c0, "securityContext"), "readOnlyRootFilesystem")));
	/* IntOrString both ways, Quantity, inline structs */
	CHECK_INT(json_integer_value(json_object_get(json_object_get(json_object_get(c0, "livenessProbe"), "httpGet"),
						 "port")), 8080);
	CHECK_STR(json_string_value(json_object_get(
			  json_object_get(json_object_get(c0, "readinessProbe"), "tcpSocket"), "port")), "http");
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(c0, "resources"), "limits"),
						    "memory")), "128Mi");
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(spec, "volumes"), 1),
								    "configMap"), "name")), "cm");
	/* Time: RFC 3339; zero Time in a struct value: null */
	CHECK_STR(json_string_value(json_object_get(json_object_get(o, "metadata"), "creationTimestamp")),
		  "2023-11-14T22:13:20Z");
	CHECK(json_is_null(json_object_get(json_array_get(json_object_get(json_object_get(o, "status"), "conditions"), 0),
					   "lastProbeTime")));
	/* packed and unpacked repeated int64 both decode */
	CHECK_INT(json_array_size(json_object_get(json_object_get(spec, "securityContext"), "supplementalGroups")), 2);
out:
	json_decref(o);
	free(err);
	free(b);
}

/* Every kind Portico serves has a decoder: adding a kind to resources.c without one fails here. */
static void test_every_served_kind(void)
{
	for (size_t i = 0; i < k8s_resources_n; i++) {
		const k8s_resource_t *r = &k8s_resources[i];
		bool ok = pb_kind_supported(k8s_resource_api_version(r), r->kind);
		CHECK(ok);
		if (!ok)
			fprintf(stderr, "  no protobuf decoder for %s\n", r->kind);
	}
	CHECK(pb_kind_supported("autoscaling/v1", "Scale"));
	CHECK(pb_kind_supported("apps/v1", "DeleteOptions"));
	CHECK(!pb_kind_supported("v1", "Secret"));
	CHECK(!pb_kind_supported("apps/v2", "Deployment"));
	CHECK(!pb_kind_supported(NULL, "Pod"));
}

/* Table consistency: Go never omits a struct value, so such fields must carry PB_F_KEEP; message
 * references must be in range; field numbers unique within a message. */
static void test_tables(void)
{
	const pb_schema_t *s = pb_k8s_schema();
	int bad = 0;

	for (size_t i = 0; i < s->n_msgs; i++) {
		const pb_msg_t *m = &s->msgs[i];
		if (!m->name || !m->fields || m->n_fields == 0) {
			bad++;
			continue;
		}
		for (size_t j = 0; j < m->n_fields; j++) {
			const pb_field_t *f = &m->fields[j];
			bool aggregate = f->flags & (PB_F_REP | PB_F_MAP | PB_F_PTR | PB_F_INLINE);
			if (f->type == PB_MSG && (f->msg >= s->n_msgs || (f->flags & PB_F_MAP)))
				bad++;
			if (f->type >= PB_MSG && f->type != PB_RAWJSON && !aggregate && !(f->flags & PB_F_KEEP))
				bad++;
			if ((f->flags & PB_F_INLINE) ? f->json[0] != '\0' : f->json[0] == '\0')
				bad++;
			for (size_t k = j + 1; k < m->n_fields; k++)
				if (m->fields[k].num == f->num)
					bad++;
		}
	}
	CHECK_INT(bad, 0);
	CHECK(s->n_msgs > 100);
}

/* ---- hostile and malformed bodies -------------------------------------------------------------- */

/* Builds "k8s\0" + Unknown{typeMeta{apiVersion, kind}, raw} into buf; returns its length. */
static size_t envelope(uint8_t *buf, const char *api_version, const char *kind, const uint8_t *raw, size_t raw_len)
{
	size_t av = strlen(api_version), k = strlen(kind), n = 0;

	memcpy(buf, "k8s", 4);
	n = 4;
	buf[n++] = 0x0a;
	buf[n++] = (uint8_t)(2 + av + 2 + k);
	buf[n++] = 0x0a;
	buf[n++] = (uint8_t)av;
	memcpy(buf + n, api_version, av);
	n += av;
	buf[n++] = 0x12;
	buf[n++] = (uint8_t)k;
	memcpy(buf + n, kind, k);
	n += k;
	buf[n++] = 0x12;
	/* raw length as a varint */
	size_t l = raw_len;
	do {
		buf[n++] = (uint8_t)((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
		l >>= 7;
	} while (l);
	if (raw_len)
		memcpy(buf + n, raw, raw_len);
	return n + raw_len;
}

static int decode_raw(const char *api_version, const char *kind, const uint8_t *raw, size_t raw_len, json_t **ret)
{
	static uint8_t buf[1 << 16];
	char *err = NULL;
	json_t *o = NULL;
	int r;

	if (raw_len > sizeof(buf) - 64)
		return -E2BIG;
	r = pb_decode_object(buf, envelope(buf, api_version, kind, raw, raw_len), &o, &err);
	if (r < 0) {
		/* A message for the Status, never the raw bytes. */
		CHECK(err != NULL && strlen(err) > 0 && strlen(err) < 300);
		CHECK(o == NULL);
	}
	free(err);
	if (ret)
		*ret = o;
	else
		json_decref(o);
	return r;
}

static void test_envelope_errors(void)
{
	static const uint8_t ns_raw[] = { 0x0a, 0x03, 0x0a, 0x01, 'x' }; /* metadata{name:"x"} */
	uint8_t buf[128];
	json_t *o = (json_t *)0x1;
	char *err = NULL;
	size_t n;

	/* no magic, short bodies, JSON sent with the wrong Content-Type */
	CHECK_INT(pb_decode_object((const uint8_t *)"{\"kind\":\"Pod\"}", 14, &o, &err), -EINVAL);
	CHECK(o == (json_t *)0x1); /* never written on failure */
	free(err);
	err = NULL;
	CHECK_INT(pb_decode_object((const uint8_t *)"k8s", 3, &o, NULL), -EINVAL);
	CHECK_INT(pb_decode_object(NULL, 0, &o, NULL), -EINVAL);
	/* magic alone: no kind */
	CHECK_INT(pb_decode_object((const uint8_t *)"k8s", 4, &o, NULL), -EINVAL);
	/* unknown kinds: 415, with a real kubectl body of a kind Portico does not serve */
	CHECK_INT(decode_raw("v1", "Secret", ns_raw, sizeof(ns_raw), NULL), -ENOTSUP);
	CHECK_INT(decode_raw("apps/v1", "Namespace", ns_raw, sizeof(ns_raw), NULL), -ENOTSUP);
	{
		size_t len = 0;
		uint8_t *b = read_file(FIX "kubectl-1.32-secret.pb", &len);
		CHECK(b != NULL);
		if (b) {
			CHECK_INT(pb_decode_object(b, len, &o, &err), -ENOTSUP);
			CHECK(err && strstr(err, "Secret"));
			free(err);
			err = NULL;
		}
		free(b);
		b = read_file(FIX "kubectl-1.33-job.pb", &len);
		CHECK(b != NULL);
		if (b)
			CHECK_INT(pb_decode_object(b, len, &o, NULL), -ENOTSUP);
		free(b);
	}
	/* a hostile kind is not echoed */
	CHECK_INT(decode_raw("v1", "<script>", ns_raw, sizeof(ns_raw), NULL), -ENOTSUP);
	/* contentEncoding set: 415 */
	n = envelope(buf, "v1", "Namespace", ns_raw, sizeof(ns_raw));
	memcpy(buf + n, "\x1a\x04gzip", 6);
	CHECK_INT(pb_decode_object(buf, n + 6, &o, NULL), -ENOTSUP);
	/* contentType of protobuf itself is fine, unknown fields of the envelope are skipped */
	n = envelope(buf, "v1", "Namespace", ns_raw, sizeof(ns_raw));
	memcpy(buf + n, "\x22\x23" PB_CONTENT_TYPE "\x28\x07", 2 + 35 + 2);
	o = NULL;
	CHECK_INT(pb_decode_object(buf, n + 39, &o, NULL), 0);
	CHECK_STR(json_string_value(json_object_get(json_object_get(o, "metadata"), "name")), "x");
	json_decref(o);
	o = (json_t *)0x1;
	/* truncated envelope */
	n = envelope(buf, "v1", "Namespace", ns_raw, sizeof(ns_raw));
	for (size_t cut = 5; cut < n; cut++) {
		json_t *t = NULL;
		int r = pb_decode_object(buf, cut, &t, NULL);
		CHECK(r == -EINVAL || r == 0);
		json_decref(t);
	}
	/* body over the limit */
	CHECK_INT(pb_decode_object(buf, (size_t)PB_MAX_BODY + 1, &o, NULL), -E2BIG);
	CHECK(o == (json_t *)0x1);
}

static void test_wire_errors(void)
{
	json_t *o;

	/* Service metadata field with varint wire type: wrong wire type */
	CHECK_INT(decode_raw("v1", "Service", (const uint8_t *)"\x08\x01", 2, NULL), -EINVAL);
	/* truncated length */
	CHECK_INT(decode_raw("v1", "Service", (const uint8_t *)"\x0a\x05\x0a", 3, NULL), -EINVAL);
	/* over-long varint (11 bytes) */
	CHECK_INT(decode_raw("v1", "Service", (const uint8_t *)"\x38\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12,
			     NULL), -EINVAL);
	/* field number 0, groups */
	CHECK_INT(decode_raw("v1", "Service", (const uint8_t *)"\x00\x01", 2, NULL), -EINVAL);
	CHECK_INT(decode_raw("v1", "Service", (const uint8_t *)"\x0b\x0c", 2, NULL), -EINVAL);
	/* invalid UTF-8 and NUL in a string (metadata.name) */
	CHECK_INT(decode_raw("v1", "Service", (const uint8_t *)"\x0a\x04\x0a\x02\xc3\x28", 6, NULL), -EINVAL);
	CHECK_INT(decode_raw("v1", "Service", (const uint8_t *)"\x0a\x04\x0a\x02\x61\x00", 6, NULL), -EINVAL);
	CHECK_INT(decode_raw("v1", "Service", (const uint8_t *)"\x0a\x05\x0a\x03\xed\xa0\x80", 7, NULL), -EINVAL);
	/* ...but valid multi-byte UTF-8 passes */
	CHECK_INT(decode_raw("v1", "Service", (const uint8_t *)"\x0a\x05\x0a\x03\xe2\x82\xac", 7, &o), 0);
	CHECK_STR(json_string_value(json_object_get(json_object_get(o, "metadata"), "name")), "\xe2\x82\xac");
	json_decref(o);
	/* IntOrString of type 2: Go's MarshalJSON fails, so do we (spec.ports[0].targetPort) */
	CHECK_INT(decode_raw("v1", "Service", (const uint8_t *)"\x12\x08\x0a\x06\x22\x04\x08\x02\x10\x01", 10, NULL),
		  -EINVAL);
	/* Time out of range: creationTimestamp seconds = 2^62 */
	CHECK_INT(decode_raw("v1", "Namespace",
			     (const uint8_t *)"\x0a\x0c\x42\x0a\x08\x80\x80\x80\x80\x80\x80\x80\x80\x40", 14, NULL),
		  -EINVAL);
	/* FieldsV1 that is not JSON: metadata.managedFields[0].fieldsV1 */
	CHECK_INT(decode_raw("v1", "Namespace", (const uint8_t *)"\x0a\x07\x8a\x01\x04\x3a\x02\x0a\x00", 9, &o), 0);
	json_decref(o); /* empty raw: null, fine */
	CHECK_INT(decode_raw("v1", "Namespace", (const uint8_t *)"\x0a\x08\x8a\x01\x05\x3a\x03\x0a\x01{", 10, NULL),
		  -EINVAL);
}

static void test_wire_semantics(void)
{
	json_t *o;
	const char *s;

	/* unknown fields of every wire type are skipped (ServiceSpec field 99, 100, 101, 102) */
	static const uint8_t unk[] = { 0x12, 0x1b, 0x98, 0x06, 0x05, 0xa5, 0x06, 1, 2, 3, 4, 0xa9, 0x06,
				       1, 2, 3, 4, 5, 6, 7, 8, 0xb2, 0x06, 0x01, 'z', 0x22, 0x02, 'N', 'P' };
	CHECK_INT(decode_raw("v1", "Service", unk, sizeof(unk), &o), 0);
	CHECK_STR(json_string_value(json_object_get(json_object_get(o, "spec"), "type")), "NP");
	json_decref(o);

	/* last scalar wins, a later zero omitempty string removes the earlier one, messages merge */
	static const uint8_t dup[] = { 0x0a, 0x03, 0x0a, 0x01, 'a', 0x0a, 0x03, 0x0a, 0x01, 'b',
				       0x0a, 0x05, 0x1a, 0x01, 'n', 0x12, 0x00, 0x0a, 0x02, 0x1a, 0x00 };
	CHECK_INT(decode_raw("v1", "Pod", dup, sizeof(dup), &o), 0);
	CHECK_STR(json_string_value(json_object_get(json_object_get(o, "metadata"), "name")), "b");
	CHECK(json_object_get(json_object_get(o, "metadata"), "namespace") == NULL);
	json_decref(o);

	/* negative int32 (10-byte varint) and packed repeated numbers: PodSecurityContext.supplementalGroups */
	static const uint8_t neg[] = { 0x12, 0x12, 0x72, 0x10, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0x01, 0x22, 0x03, 0x01, 0x96, 0x01 };
	CHECK_INT(decode_raw("v1", "Pod", neg, sizeof(neg), &o), 0);
	{
		json_t *sc = json_object_get(json_object_get(o, "spec"), "securityContext");
		CHECK_INT(json_integer_value(json_object_get(sc, "runAsUser")), -1);
		CHECK_INT(json_array_size(json_object_get(sc, "supplementalGroups")), 2);
		CHECK_INT(json_integer_value(json_array_get(json_object_get(sc, "supplementalGroups"), 1)), 150);
	}
	json_decref(o);

	/* map entries without key or value are the zero values, as in Go */
	static const uint8_t cm[] = { 0x12, 0x03, 0x0a, 0x01, 'k', 0x12, 0x03, 0x12, 0x01, 'v' };
	CHECK_INT(decode_raw("v1", "ConfigMap", cm, sizeof(cm), &o), 0);
	CHECK_STR(json_string_value(json_object_get(json_object_get(o, "data"), "k")), "");
	CHECK_STR(json_string_value(json_object_get(json_object_get(o, "data"), "")), "v");
	json_decref(o);

	/* MicroTime: nanos truncated toward zero to microseconds (Duration.Truncate), then normalised into
	 * the seconds as time.Unix does */
	static const uint8_t lease[] = { 0x12, 0x0e, 0x1a, 0x0c, 0x08, 0x80, 0xe2, 0xcf, 0xaa, 0x06, 0x10, 0xa4,
					 0xf4, 0xff, 0xff, 0x0f };
	CHECK_INT(decode_raw("coordination.k8s.io/v1", "Lease", lease, sizeof(lease), &o), 0);
	s = json_string_value(json_object_get(json_object_get(o, "spec"), "acquireTime"));
	CHECK_STR(s, "2023-11-14T22:13:19.999999Z"); /* seconds 1700000000, nanos -1500 -> -1000 -> 19.999999 */
	json_decref(o);

	/* an empty object still gets everything Go always emits */
	CHECK_INT(decode_raw("apps/v1", "Deployment", NULL, 0, &o), 0);
	{
		json_t *spec = json_object_get(o, "spec");
		CHECK(json_is_null(json_object_get(spec, "selector")));
		CHECK(json_is_null(json_object_get(json_object_get(json_object_get(spec, "template"), "spec"),
						   "containers")));
		CHECK(json_is_object(json_object_get(o, "status")));
		CHECK(json_is_null(json_object_get(json_object_get(o, "metadata"), "creationTimestamp")));
	}
	json_decref(o);
}

static void test_limits(void)
{
	/* A self-recursive schema reaches the depth limit without a stack overflow. */
	static const pb_field_t rec_fields[] = { { 1, PB_MSG, PB_F_PTR, 0, "child" } };
	static const pb_msg_t rec_msg[] = { { "Rec", rec_fields, 1 } };
	static const pb_schema_t rec = { rec_msg, 1 };
	uint8_t buf[2 * 64];
	size_t n = 0;
	json_t *o = json_object();
	char *err = NULL;

	/* 40 nested "child" fields: 0x0a LEN 0x0a LEN ... built from the inside out */
	for (int d = 0; d < 40; d++) {
		memmove(buf + 2, buf, n);
		buf[0] = 0x0a;
		buf[1] = (uint8_t)n;
		n += 2;
	}
	CHECK_INT(pb_decode_message(&rec, 0, buf, n, o, &err), -EINVAL);
	CHECK(err && strstr(err, "nesting"));
	free(err);
	json_decref(o);
	o = json_object();
	err = NULL;
	CHECK_INT(pb_decode_message(&rec, 0, buf + 2 * (40 - 20), 2 * 20, o, &err), 0);
	json_decref(o);
	free(err);

	/* The value budget: 300000 empty finalizers cost 600 KB on the wire. */
	{
		size_t count = 300000, len = 4 + count * 2;
		uint8_t *big = malloc(len + 64), *p;
		json_t *r = NULL;
		char *e = NULL;
		CHECK(big != NULL);
		if (!big)
			return;
		/* Namespace{spec(2){finalizers(1) x count}} */
		memcpy(big, "k8s", 4);
		p = big + 4;
		memcpy(p, "\x0a\x0f\x0a\x02v1\x12\x09Namespace", 17);
		p += 17;
		size_t spec_len = count * 2, raw_len = spec_len + 1 + 3;
		*p++ = 0x12;
		for (size_t l = raw_len; ; l >>= 7) {
			*p++ = (uint8_t)((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
			if (l <= 0x7f)
				break;
		}
		*p++ = 0x12;
		for (size_t l = spec_len; ; l >>= 7) {
			*p++ = (uint8_t)((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
			if (l <= 0x7f)
				break;
		}
		for (size_t i = 0; i < count; i++) {
			*p++ = 0x0a;
			*p++ = 0x00;
		}
		CHECK_INT(pb_decode_object(big, (size_t)(p - big), &r, &e), -EINVAL);
		CHECK(e && strstr(e, "values"));
		free(e);
		free(big);
	}
}

int main(void)
{
	TEST_RUN(test_kubectl_captures);
	TEST_RUN(test_synthetic_kinds);
	TEST_RUN(test_emission_rules);
	TEST_RUN(test_every_served_kind);
	TEST_RUN(test_tables);
	TEST_RUN(test_envelope_errors);
	TEST_RUN(test_wire_errors);
	TEST_RUN(test_wire_semantics);
	TEST_RUN(test_limits);
	TEST_DONE();
}
