/* ObjectMeta validation and the name checks: exact field paths and upstream messages. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/field_err.h"
#include "lib/meta_validate.h"

#define RE_LABEL "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define SUBDOMAIN_MSG                                                                              \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or " \
	"'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used " \
	"for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_MSG                                                                                  \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and " \
	"must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "   \
	"used for validation is '" RE_LABEL "')"
#define DNS1035_MSG                                                                                \
	"a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an " \
	"alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "         \
	"'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
#define KEY_MSG                                                                                    \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "  \
	"alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "        \
	"validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VALUE_MSG                                                                                  \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "  \
	"'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "           \
	"'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"       \
	"[A-Za-z0-9])?')"

static const char L64[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static void test_checks(void)
{
	static const struct {
		enum name_check kind;
		const char *in;
		const char *msgs[4];
	} cases[] = {
		{ NAME_CHECK_DNS1123_LABEL, "my-name", { NULL } },
		{ NAME_CHECK_DNS1123_LABEL, "123-abc", { NULL } },
		{ NAME_CHECK_DNS1123_LABEL, "a.b", { "must not contain dots" } },
		{ NAME_CHECK_DNS1123_LABEL, "-a", { LABEL_MSG } },
		{ NAME_CHECK_DNS1123_LABEL, "", { LABEL_MSG } },
		{ NAME_CHECK_DNS1123_LABEL, L64, { "must be no more than 63 characters" } },
		{ NAME_CHECK_DNS1123_SUBDOMAIN, "example.com", { NULL } },
		{ NAME_CHECK_DNS1123_SUBDOMAIN, "a..b", { SUBDOMAIN_MSG } },
		{ NAME_CHECK_DNS1123_SUBDOMAIN, "Example", { SUBDOMAIN_MSG } },
		{ NAME_CHECK_DNS1123_SUBDOMAIN, "a.", { SUBDOMAIN_MSG } },
		{ NAME_CHECK_DNS1035_LABEL, "abc-123", { NULL } },
		{ NAME_CHECK_DNS1035_LABEL, "1abc", { DNS1035_MSG } },
		{ NAME_CHECK_DNS1035_LABEL, "a", { NULL } },
		{ NAME_CHECK_QUALIFIED_NAME, "MyName", { NULL } },
		{ NAME_CHECK_QUALIFIED_NAME, "example.com/My_name.x", { NULL } },
		{ NAME_CHECK_QUALIFIED_NAME, "/a", { "prefix part must be non-empty" } },
		{ NAME_CHECK_QUALIFIED_NAME, "Ex.com/a", { "prefix part " SUBDOMAIN_MSG } },
		{ NAME_CHECK_QUALIFIED_NAME, "a/", { "name part must be non-empty", "name part " KEY_MSG } },
		{ NAME_CHECK_QUALIFIED_NAME, "", { "name part must be non-empty", "name part " KEY_MSG } },
		{ NAME_CHECK_QUALIFIED_NAME, "-a", { "name part " KEY_MSG } },
		{ NAME_CHECK_QUALIFIED_NAME, L64, { "name part must be no more than 63 characters" } },
		{ NAME_CHECK_QUALIFIED_NAME, "a/b/c",
		  { "a valid label key " KEY_MSG " with an optional DNS subdomain prefix and '/' "
		    "(e.g. 'example.com/MyName')" } },
		{ NAME_CHECK_LABEL_VALUE, "", { NULL } },
		{ NAME_CHECK_LABEL_VALUE, "my_value", { NULL } },
		{ NAME_CHECK_LABEL_VALUE, "a b", { VALUE_MSG } },
		{ NAME_CHECK_LABEL_VALUE, L64, { "must be no more than 63 characters" } },
		{ NAME_CHECK_IANA_SVC_NAME, "http", { NULL } },
		{ NAME_CHECK_IANA_SVC_NAME, "h2c-1", { NULL } },
		{ NAME_CHECK_IANA_SVC_NAME, "123", { "must contain at least one letter (a-z)" } },
		{ NAME_CHECK_IANA_SVC_NAME, "-a--B",
		  { "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
		    "must not contain consecutive hyphens", "must not begin or end with a hyphen" } },
		{ NAME_CHECK_IANA_SVC_NAME, "abcdefghijklmnop", { "must be no more than 15 characters" } },
		{ NAME_CHECK_IANA_SVC_NAME, "",
		  { "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
		    "must contain at least one letter (a-z)" } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *m[NAME_CHECK_MAX_MSGS];
		size_t n = name_check(cases[i].kind, cases[i].in, m), want = 0;
		while (want < 4 && cases[i].msgs[want])
			want++;
		CHECK_INT(n, want);
		for (size_t j = 0; j < n && j < want; j++)
			CHECK_STR(m[j], cases[i].msgs[j]);
	}
	/* the single-message forms give the first message, or NULL */
	CHECK(check_dns1123_label("ok") == NULL);
	CHECK_STR(check_dns1123_label("a.b"), "must not contain dots");
	CHECK_STR(check_dns1123_subdomain("A"), SUBDOMAIN_MSG);
	CHECK_STR(check_dns1035_label("9"), DNS1035_MSG);
	CHECK_STR(check_qualified_name("a/"), "name part must be non-empty");
	CHECK_STR(check_label_value("-"), VALUE_MSG);
	CHECK_STR(check_iana_svc_name("1"), "must contain at least one letter (a-z)");
	CHECK(check_iana_svc_name("dns-tcp") == NULL);
}

static void test_name_rules(void)
{
	CHECK_INT(meta_name_rule("namespaces"), NAME_DNS1123_LABEL);
	CHECK_INT(meta_name_rule("services"), NAME_DNS1035_LABEL);
	CHECK_INT(meta_name_rule("pods"), NAME_DNS1123_SUBDOMAIN);
	CHECK_INT(meta_name_rule("configmaps"), NAME_DNS1123_SUBDOMAIN);
	CHECK_INT(meta_name_rule("leases"), NAME_DNS1123_SUBDOMAIN);
}

struct want {
	const char *reason, *field, *message;
};

static void check_errs(const char *what, json_t *errs, const struct want *w)
{
	size_t n = 0;

	while (w[n].field)
		n++;
	if (json_array_size(errs) != n) {
		char *d = json_dumps(errs, JSON_INDENT(1));
		fprintf(stderr, "  %s: got %s\n", what, d);
		free(d);
	}
	CHECK_INT(json_array_size(errs), n);
	for (size_t i = 0; i < n && i < json_array_size(errs); i++) {
		json_t *c = json_array_get(errs, i);
		CHECK_STR(json_string_value(json_object_get(c, "field")), w[i].field);
		CHECK_STR(json_string_value(json_object_get(c, "message")), w[i].message);
		CHECK_STR(json_string_value(json_object_get(c, "reason")), w[i].reason);
	}
}

#define INV "FieldValueInvalid"
#define REQ "FieldValueRequired"
#define FORB "FieldValueForbidden"

static void test_create(void)
{
	static const struct {
		const char *meta;
		bool namespaced;
		enum name_rule rule;
		struct want w[6];
	} cases[] = {
		{ "{}", true, NAME_DNS1123_SUBDOMAIN,
		  { { REQ, "metadata.name", "Required value: name or generateName is required" },
		    { REQ, "metadata.namespace", "Required value" } } },
		{ "{\"name\":\"web\",\"namespace\":\"default\"}", true, NAME_DNS1123_SUBDOMAIN, { { 0 } } },
		{ "{\"name\":\"Web\",\"namespace\":\"default\"}", true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.name", "Invalid value: \"Web\": " SUBDOMAIN_MSG } } },
		{ "{\"name\":\"1web\",\"namespace\":\"default\"}", true, NAME_DNS1035_LABEL,
		  { { INV, "metadata.name", "Invalid value: \"1web\": " DNS1035_MSG } } },
		{ "{\"name\":\"a.b\"}", false, NAME_DNS1123_LABEL,
		  { { INV, "metadata.name", "Invalid value: \"a.b\": must not contain dots" } } },
		{ "{\"name\":\"n1\",\"namespace\":\"x\"}", false, NAME_DNS1123_SUBDOMAIN,
		  { { FORB, "metadata.namespace", "Forbidden: not allowed on this type" } } },
		{ "{\"name\":\"p\",\"namespace\":\"Bad_ns\"}", true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.namespace", "Invalid value: \"Bad_ns\": " LABEL_MSG } } },
		/* generateName alone is enough; a trailing '-' is masked before the check */
		{ "{\"generateName\":\"web-\",\"namespace\":\"d\"}", true, NAME_DNS1123_SUBDOMAIN, { { 0 } } },
		{ "{\"generateName\":\"Web-\",\"namespace\":\"d\"}", true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.generateName", "Invalid value: \"Web-\": " SUBDOMAIN_MSG } } },
		{ "{\"name\":\"p\",\"namespace\":\"d\",\"generation\":-1}", true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.generation", "Invalid value: -1: must be greater than or equal to 0" } } },
		{ "{\"name\":\"p\",\"namespace\":\"d\",\"labels\":{\"a/b/c\":\"ok\",\"k\":\"-v\"}}", true,
		  NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.labels",
		      "Invalid value: \"a/b/c\": a valid label key " KEY_MSG
		      " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" },
		    { INV, "metadata.labels", "Invalid value: \"-v\": " VALUE_MSG } } },
		/* annotation keys are checked lower-cased but reported as given */
		{ "{\"name\":\"p\",\"namespace\":\"d\",\"annotations\":{\"Example.COM/Key\":\"v\",\"Bad.com//x\":\"\"}}",
		  true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.annotations",
		      "Invalid value: \"Bad.com//x\": a valid label key " KEY_MSG
		      " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" } } },
		{ "{\"name\":\"p\",\"namespace\":\"d\",\"ownerReferences\":[{\"apiVersion\":\"\",\"kind\":\"\","
		  "\"name\":\"\",\"uid\":\"\"}]}",
		  true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.ownerReferences.apiVersion", "Invalid value: \"\": version must not be empty" },
		    { INV, "metadata.ownerReferences.kind", "Invalid value: \"\": must not be empty" },
		    { INV, "metadata.ownerReferences.name", "Invalid value: \"\": must not be empty" },
		    { INV, "metadata.ownerReferences.uid", "Invalid value: \"\": must not be empty" } } },
		{ "{\"name\":\"p\",\"namespace\":\"d\",\"ownerReferences\":[{\"apiVersion\":\"apps/\",\"kind\":\"K\","
		  "\"name\":\"n\",\"uid\":\"u\"}]}",
		  true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.ownerReferences.apiVersion",
		      "Invalid value: \"apps/\": version must not be empty" } } },
		{ "{\"name\":\"p\",\"namespace\":\"d\",\"ownerReferences\":["
		  "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"a\",\"uid\":\"1\",\"controller\":true},"
		  "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"name\":\"b\",\"uid\":\"2\",\"controller\":true}]}",
		  true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.ownerReferences",
		      "Invalid value: v1.OwnerReference{APIVersion:\"v1\", Kind:\"Event\", Name:\"b\", UID:\"2\", "
		      "Controller:(*bool)(0xc000000000), BlockOwnerDeletion:(*bool)(nil)}: "
		      "/v1, Kind=Event is disallowed from being an owner" },
		    { INV, "metadata.ownerReferences",
		      "Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:\"apps/v1\", Kind:\"ReplicaSet\", "
		      "Name:\"a\", UID:\"1\", Controller:(*bool)(0xc000000000), BlockOwnerDeletion:(*bool)(nil)}, "
		      "v1.OwnerReference{APIVersion:\"v1\", Kind:\"Event\", Name:\"b\", UID:\"2\", "
		      "Controller:(*bool)(0xc000000000), BlockOwnerDeletion:(*bool)(nil)}}: Only one reference can "
		      "have Controller set to true. Found \"true\" in references for ReplicaSet/a and Event/b" } } },
		{ "{\"name\":\"p\",\"namespace\":\"d\",\"finalizers\":[\"orphan\",\"foregroundDeletion\",\"a/b/\"]}",
		  true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.finalizers",
		      "Invalid value: \"a/b/\": a valid label key " KEY_MSG
		      " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" },
		    { INV, "metadata.finalizers",
		      "Invalid value: []string{\"orphan\", \"foregroundDeletion\", \"a/b/\"}: finalizer orphan and "
		      "foregroundDeletion cannot be both set" } } },
		{ "{\"name\":\"p\",\"namespace\":\"d\",\"managedFields\":[{\"operation\":\"Get\",\"fieldsType\":\"X\","
		  "\"manager\":\"a\\tb\"}]}",
		  true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.managedFields[0].operation", "Invalid value: \"Get\": must be `Apply` or `Update`" },
		    { INV, "metadata.managedFields[0].fieldsType", "Invalid value: \"X\": must be `FieldsV1`" },
		    { INV, "metadata.managedFields[0].manager",
		      "Invalid value: \"a\\tb\": invalid character U+0009 (at position 1)" } } },
		{ "{\"name\":5,\"namespace\":\"d\",\"labels\":[]}", true, NAME_DNS1123_SUBDOMAIN,
		  { { INV, "metadata.name", "Invalid value: 5: must be of type string" },
		    { INV, "metadata.labels", "Invalid value: []: must be of type object" } } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *meta = json_loads(cases[i].meta, 0, NULL), *errs = json_array();
		CHECK(meta != NULL);
		meta_validate(meta, cases[i].namespaced, cases[i].rule, errs);
		check_errs(cases[i].meta, errs, cases[i].w);
		json_decref(meta);
		json_decref(errs);
	}

	/* NULL metadata is an empty one */
	json_t *errs = json_array();
	meta_validate(NULL, false, NAME_DNS1123_LABEL, errs);
	check_errs("NULL", errs, (const struct want[]){
		{ REQ, "metadata.name", "Required value: name or generateName is required" }, { 0 } });
	json_decref(errs);
}

static void test_long_values(void)
{
	/* a 64-byte namespace name breaks both rules; upstream reports each message */
	char big[70];
	json_t *meta, *errs = json_array(), *ann;
	memset(big, 'A', 64);
	big[64] = '\0';
	meta = json_pack("{s:s, s:s}", "name", big, "namespace", "d");
	meta_validate(meta, false, NAME_DNS1123_LABEL, errs);
	CHECK_INT(json_array_size(errs), 3); /* two for name, one Forbidden for namespace */
	CHECK_STR(json_string_value(json_object_get(json_array_get(errs, 0), "message")),
		  "Invalid value: \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\": must be no more "
		  "than 63 characters");
	CHECK_STR(json_string_value(json_object_get(json_array_get(errs, 1), "message")),
		  "Invalid value: \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\": " LABEL_MSG);
	json_decref(meta);
	json_decref(errs);

	/* annotations: keys plus values may total 256 KiB, one byte more is too long */
	char *val = malloc(262144);
	memset(val, 'x', 262143);
	val[262143 - 1] = '\0'; /* 262142 bytes + key "ab" = 262144 */
	errs = json_array();
	ann = json_pack("{s:s}", "ab", val);
	meta = json_pack("{s:s, s:s, s:o}", "name", "p", "namespace", "d", "annotations", ann);
	meta_validate(meta, true, NAME_DNS1123_SUBDOMAIN, errs);
	CHECK_INT(json_array_size(errs), 0);
	json_object_set_new(ann, "c", json_string(""));
	meta_validate(meta, true, NAME_DNS1123_SUBDOMAIN, errs);
	CHECK_INT(json_array_size(errs), 1);
	json_t *c = json_array_get(errs, 0);
	CHECK_STR(json_string_value(json_object_get(c, "reason")), "FieldValueTooLong");
	CHECK_STR(json_string_value(json_object_get(c, "field")), "metadata.annotations");
	/* upstream's TooLong wording has changed across releases; the limit is what must show */
	const char *msg = json_string_value(json_object_get(c, "message"));
	CHECK(msg && strncmp(msg, "Too long: ", 10) == 0 && strstr(msg, "262144 bytes"));
	json_decref(meta);
	json_decref(errs);
	free(val);
}

static void test_update(void)
{
	static const struct {
		const char *new_meta, *old_meta;
		struct want w[6];
	} cases[] = {
		{ "{\"name\":\"a\",\"namespace\":\"d\",\"resourceVersion\":\"5\",\"uid\":\"u\"}",
		  "{\"name\":\"a\",\"namespace\":\"d\",\"resourceVersion\":\"4\",\"uid\":\"u\"}", { { 0 } } },
		{ "{\"name\":\"b\",\"namespace\":\"e\",\"resourceVersion\":\"5\",\"uid\":\"v\"}",
		  "{\"name\":\"a\",\"namespace\":\"d\",\"resourceVersion\":\"4\",\"uid\":\"u\"}",
		  { { INV, "metadata.name", "Invalid value: \"b\": field is immutable" },
		    { INV, "metadata.namespace", "Invalid value: \"e\": field is immutable" },
		    { INV, "metadata.uid", "Invalid value: \"v\": field is immutable" } } },
		{ "{\"name\":\"a\"}", "{\"name\":\"a\",\"resourceVersion\":\"4\"}",
		  { { INV, "metadata.resourceVersion", "Invalid value: \"\": must be specified for an update" } } },
		{ "{\"name\":\"a\",\"resourceVersion\":\"1\",\"generation\":1}",
		  "{\"name\":\"a\",\"resourceVersion\":\"1\",\"generation\":2}",
		  { { INV, "metadata.generation", "Invalid value: 1: must not be decremented" } } },
		/* timestamps compare as instants and print as Go's time.Time */
		{ "{\"name\":\"a\",\"resourceVersion\":\"1\",\"creationTimestamp\":\"2024-01-02T04:04:05+01:00\"}",
		  "{\"name\":\"a\",\"resourceVersion\":\"1\",\"creationTimestamp\":\"2024-01-02T03:04:05Z\"}", { { 0 } } },
		{ "{\"name\":\"a\",\"resourceVersion\":\"1\",\"creationTimestamp\":\"2024-01-02T03:04:06Z\"}",
		  "{\"name\":\"a\",\"resourceVersion\":\"1\",\"creationTimestamp\":\"2024-01-02T03:04:05Z\"}",
		  { { INV, "metadata.creationTimestamp",
		      "Invalid value: 2024-01-02 03:04:06 +0000 UTC: field is immutable" } } },
		{ "{\"name\":\"a\",\"resourceVersion\":\"1\"}",
		  "{\"name\":\"a\",\"resourceVersion\":\"1\",\"deletionTimestamp\":\"1999-12-31T23:59:59Z\","
		  "\"deletionGracePeriodSeconds\":30}",
		  { { INV, "metadata.deletionTimestamp", "Invalid value: null: field is immutable" },
		    { INV, "metadata.deletionGracePeriodSeconds", "Invalid value: null: field is immutable" } } },
		{ "{\"name\":\"a\",\"resourceVersion\":\"1\",\"deletionTimestamp\":\"1999-12-31T23:59:59Z\","
		  "\"finalizers\":[\"z\",\"keep\",\"b/x\",\"z\"]}",
		  "{\"name\":\"a\",\"resourceVersion\":\"1\",\"deletionTimestamp\":\"1999-12-31T23:59:59Z\","
		  "\"finalizers\":[\"keep\"]}",
		  { { FORB, "metadata.finalizers",
		      "Forbidden: no new finalizers can be added if the object is being deleted, found new "
		      "finalizers []string{\"b/x\", \"z\"}" } } },
		{ "{\"name\":\"a\",\"resourceVersion\":\"1\",\"labels\":{\"k\":\"a b\"}}",
		  "{\"name\":\"a\",\"resourceVersion\":\"1\"}",
		  { { INV, "metadata.labels", "Invalid value: \"a b\": " VALUE_MSG } } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *nm = json_loads(cases[i].new_meta, 0, NULL), *om = json_loads(cases[i].old_meta, 0, NULL);
		json_t *errs = json_array();
		CHECK(nm && om);
		meta_validate_update(nm, om, errs);
		check_errs(cases[i].new_meta, errs, cases[i].w);
		json_decref(nm);
		json_decref(om);
		json_decref(errs);
	}
}

int main(void)
{
	TEST_RUN(test_checks);
	TEST_RUN(test_name_rules);
	TEST_RUN(test_create);
	TEST_RUN(test_long_values);
	TEST_RUN(test_update);
	TEST_DONE();
}
