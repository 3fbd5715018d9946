/* Label and field selectors: parsing, upstream error messages, matching. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/selector.h"

#define KEY_MSG                                                                                    \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "  \
	"alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "        \
	"validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VALUE_MSG                                                                                  \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "  \
	"'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "           \
	"'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"       \
	"[A-Za-z0-9])?')"

static bool match_labels(const selector_t *s, const char *labels)
{
	json_t *l = labels ? json_loads(labels, 0, NULL) : NULL;
	bool m = label_selector_match(s, l);

	json_decref(l);
	return m;
}

static void test_label_match(void)
{
	static const struct {
		const char *sel, *labels;
		bool match;
	} cases[] = {
		{ "", "{}", true },
		{ "", NULL, true },
		{ "a=b", "{\"a\":\"b\"}", true },
		{ "a=b", "{\"a\":\"c\"}", false },
		{ "a=b", NULL, false },
		{ "a==b", "{\"a\":\"b\"}", true },
		{ "a!=b", "{\"a\":\"c\"}", true },
		{ "a!=b", "{}", true },
		{ "a!=b", "{\"a\":\"b\"}", false },
		{ "a in (b,c)", "{\"a\":\"c\"}", true },
		{ "a in (b,c)", "{\"a\":\"d\"}", false },
		{ "a in (b,c)", "{}", false },
		{ "a notin (b,c)", "{}", true },
		{ "a notin (b,c)", "{\"a\":\"d\"}", true },
		{ "a notin (b,c)", "{\"a\":\"b\"}", false },
		{ "a", "{\"a\":\"\"}", true },
		{ "a", "{\"b\":\"x\"}", false },
		{ "!a", "{}", true },
		{ "!a", "{\"a\":\"x\"}", false },
		{ "a>5", "{\"a\":\"6\"}", true },
		{ "a>5", "{\"a\":\"5\"}", false },
		{ "a>5", "{\"a\":\"x\"}", false },
		{ "a<5", "{\"a\":\"-3\"}", true },
		{ "a<5", "{}", false },
		/* "in"/"notin" are values or keys where a value or key is expected */
		{ "in in (notin)", "{\"in\":\"notin\"}", true },
		{ "a in ()", "{\"a\":\"\"}", true },
		{ "a in ()", "{}", false },
		{ "a in (,b)", "{\"a\":\"\"}", true },
		{ "a=", "{\"a\":\"\"}", true },
		{ "a=", "{\"a\":\"x\"}", false },
		{ " a = b ,\tc\n", "{\"a\":\"b\",\"c\":\"1\"}", true },
		{ " a = b ,\tc\n", "{\"a\":\"b\"}", false },
		{ "example.com/app=web,tier!=db", "{\"example.com/app\":\"web\",\"tier\":\"fe\"}", true },
		{ "a=b", "{\"a\":1}", false },  /* a non-string member counts as absent */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		selector_t *s = NULL;
		char *err = NULL;
		CHECK_INT(label_selector_parse(cases[i].sel, &s, &err), 0);
		CHECK(err == NULL);
		if (match_labels(s, cases[i].labels) != cases[i].match)
			fprintf(stderr, "  selector %s on %s\n", cases[i].sel, cases[i].labels ? cases[i].labels : "NULL");
		CHECK(match_labels(s, cases[i].labels) == cases[i].match);
		selector_free(s);
	}
}

static void test_label_errors(void)
{
	static const struct {
		const char *sel, *err;
	} cases[] = {
		{ "a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt" },
		{ ",a", "found ',', expected: !, identifier, or 'end of string'" },
		{ "a,", "found '', expected: identifier after ','" },
		{ "a=b c", "found 'c', expected: ',' or 'end of string'" },
		{ "x=a=b", "found '=', expected: ',' or 'end of string'" },
		{ "!a=b", "found '=', expected: ',' or 'end of string'" },
		{ "a in (b", "unable to parse requirement: found '', expected: ',' or ')'" },
		{ "a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'" },
		{ "a in b", "unable to parse requirement: found 'b' expected: '('" },
		{ "a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier" },
		{ "a in (,=)", "unable to parse requirement: found '=', expected: ',', or identifier" },
		{ "a=(b)", "unable to parse requirement: found '(', expected: identifier" },
		{ "a===b", "unable to parse requirement: found '=', expected: identifier" },
		{ "!", "unable to parse requirement: found '', expected: identifier" },
		{ "-a", "unable to parse requirement: <nil>: Invalid value: \"-a\": name part " KEY_MSG },
		{ "a/b/c=d",
		  "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a valid label key " KEY_MSG
		  " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" },
		{ "/a", "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be non-empty" },
		{ "a/", "unable to parse requirement: <nil>: Invalid value: \"a/\": name part must be non-empty; name part "
			KEY_MSG },
		{ "a=-b", "unable to parse requirement: values[0][a]: Invalid value: \"-b\": " VALUE_MSG },
		{ "a in (ok,-b)", "unable to parse requirement: values[0][a]: Invalid value: \"-b\": " VALUE_MSG },
		{ "a>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value "
			 "must be an integer" },
		{ "a<99999999999999999999", "unable to parse requirement: values[0]: Invalid value: "
					    "\"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an integer" },
		{ "a>-1", "unable to parse requirement: values[0][a]: Invalid value: \"-1\": " VALUE_MSG },
		/* several field errors print as an aggregate */
		{ "a>+x", "unable to parse requirement: [values[0]: Invalid value: \"+x\": for 'Gt', 'Lt' operators, the "
			  "value must be an integer, values[0][a]: Invalid value: \"+x\": " VALUE_MSG "]" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		selector_t *s = (selector_t *)0x1;
		char *err = NULL;
		CHECK_INT(label_selector_parse(cases[i].sel, &s, &err), -EINVAL);
		CHECK(s == (selector_t *)0x1); /* untouched on failure */
		CHECK_STR(err, cases[i].err);
		free(err);
	}

	/* too long, and a NULL ret_err is allowed */
	char *big = malloc(SELECTOR_MAX_LEN + 2);
	selector_t *s = NULL;
	memset(big, 'a', SELECTOR_MAX_LEN + 1);
	big[SELECTOR_MAX_LEN + 1] = '\0';
	CHECK_INT(label_selector_parse(big, &s, NULL), -EINVAL);
	CHECK_INT(field_selector_parse(big, &s, NULL), -EINVAL);
	CHECK(s == NULL);
	free(big);

	/* the longest accepted selector: ~21000 values, duplicates collapse (linear-ish, not quadratic) */
	big = malloc(SELECTOR_MAX_LEN + 1);
	size_t o = (size_t)sprintf(big, "a in (");
	for (int i = 0; o + 8 < SELECTOR_MAX_LEN; i++)
		o += (size_t)sprintf(big + o, "v%d,", i % 5000);
	strcpy(big + o, "z)");
	CHECK_INT(label_selector_parse(big, &s, NULL), 0);
	CHECK(match_labels(s, "{\"a\":\"v4999\"}"));
	CHECK(!match_labels(s, "{\"a\":\"v5000\"}"));
	selector_free(s);
	free(big);
}

static void test_label_json(void)
{
	static const struct {
		const char *ls, *labels;
		bool match;
	} cases[] = {
		{ "{}", "{\"x\":\"y\"}", true },
		{ "{\"matchLabels\":{\"app\":\"web\"}}", "{\"app\":\"web\",\"x\":\"1\"}", true },
		{ "{\"matchLabels\":{\"app\":\"web\"}}", "{\"app\":\"db\"}", false },
		{ "{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\","
		  "\"values\":[\"fe\",\"be\"]}]}",
		  "{\"app\":\"web\",\"tier\":\"be\"}", true },
		{ "{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"NotIn\",\"values\":[\"fe\"]}]}", "{}", true },
		{ "{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"Exists\"}]}", "{}", false },
		{ "{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"DoesNotExist\",\"values\":[]}]}", "{}", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *ls = json_loads(cases[i].ls, 0, NULL);
		selector_t *s = NULL;
		char *err = NULL;
		CHECK_INT(label_selector_from_json(ls, &s, &err), 0);
		CHECK(err == NULL);
		CHECK(match_labels(s, cases[i].labels) == cases[i].match);
		selector_free(s);
		json_decref(ls);
	}

	/* nil selects nothing, {} everything */
	selector_t *s = NULL;
	CHECK_INT(label_selector_from_json(NULL, &s, NULL), 0);
	CHECK(!match_labels(s, "{}"));
	CHECK(!selector_empty(s));
	selector_free(s);
	json_t *empty = json_object();
	CHECK_INT(label_selector_from_json(empty, &s, NULL), 0);
	CHECK(selector_empty(s));
	CHECK(match_labels(s, NULL));
	selector_free(s);
	json_decref(empty);

	static const struct {
		const char *ls, *err;
	} errs[] = {
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Foo\"}]}",
		  "\"Foo\" is not a valid label selector operator" },
		{ "{\"matchExpressions\":[{\"key\":\"a\"}]}", "\"\" is not a valid label selector operator" },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[]}]}",
		  "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty" },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\",\"y\"]}]}",
		  "values: Invalid value: []string{\"x\", \"y\"}: values set must be empty for exists and does not exist" },
		{ "{\"matchLabels\":{\"-a\":\"b\"}}", "key: Invalid value: \"-a\": name part " KEY_MSG },
		{ "{\"matchLabels\":{\"a\":\"b c\"}}", "values[0][a]: Invalid value: \"b c\": " VALUE_MSG },
		{ "{\"matchExpressions\":[{\"key\":\"-k\",\"operator\":\"In\"}]}",
		  "[key: Invalid value: \"-k\": name part " KEY_MSG ", values: Invalid value: []string(nil): for 'in', "
		  "'notin' operators, values set can't be empty]" },
		{ "{\"matchLabels\":[]}", "matchLabels must be an object" },
		{ "[]", "label selector must be an object" },
	};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		json_t *ls = json_loads(errs[i].ls, 0, NULL);
		char *err = NULL;
		s = NULL;
		CHECK_INT(label_selector_from_json(ls, &s, &err), -EINVAL);
		CHECK(s == NULL);
		CHECK_STR(err, errs[i].err);
		free(err);
		json_decref(ls);
	}
}

static void test_label_map(void)
{
	json_t *m = json_loads("{\"app\":\"web\",\"tier\":\"fe\"}", 0, NULL), *bad = json_loads("{\"a\":1}", 0, NULL);
	selector_t *s = NULL;

	CHECK_INT(label_selector_from_map(m, &s), 0);
	CHECK(match_labels(s, "{\"app\":\"web\",\"tier\":\"fe\",\"x\":\"y\"}"));
	CHECK(!match_labels(s, "{\"app\":\"web\"}"));
	CHECK(!selector_empty(s));
	selector_free(s);
	s = NULL;
	CHECK_INT(label_selector_from_map(NULL, &s), 0);
	CHECK(selector_empty(s) && match_labels(s, "{\"a\":\"b\"}"));
	selector_free(s);
	s = NULL;
	CHECK_INT(label_selector_from_map(bad, &s), -EINVAL);
	CHECK(s == NULL);
	json_decref(m);
	json_decref(bad);
}

static const char POD[] =
	"{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\"},"
	"\"spec\":{\"restartPolicy\":\"Always\",\"serviceAccount\":\"old-sa\",\"schedulerName\":\"default-scheduler\"},"
	"\"status\":{\"phase\":\"Running\",\"podIPs\":[{\"ip\":\"10.0.0.7\"}]}}";
static const char EVENT[] =
	"{\"metadata\":{\"name\":\"web-1.17\",\"namespace\":\"default\"},"
	"\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"web-1\",\"namespace\":\"default\",\"uid\":\"u1\"},"
	"\"reason\":\"Started\",\"type\":\"Normal\",\"reportingComponent\":\"portico-agent\",\"source\":{}}";
static const char SERVICE[] =
	"{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
	"\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.10\"}}";
static const char NODE[] = "{\"metadata\":{\"name\":\"n1\"},\"spec\":{}}";
static const char CONFIGMAP[] = "{\"metadata\":{\"name\":\"cfg\",\"namespace\":\"kube-system\"}}";

static void test_field_match(void)
{
	static const struct {
		const char *plural, *obj, *sel;
		bool match;
	} cases[] = {
		{ "pods", POD, "", true },
		{ "pods", POD, "metadata.name=web-1", true },
		{ "pods", POD, "metadata.name==web-1,metadata.namespace=default", true },
		{ "pods", POD, "metadata.name!=web-1", false },
		{ "pods", POD, "metadata.namespace=kube-system", false },
		{ "pods", POD, "spec.nodeName=", true },  /* absent is "" */
		{ "pods", POD, "spec.nodeName!=", false },
		{ "pods", POD, "spec.host=", true },      /* spec.host is spec.nodeName */
		{ "pods", POD, "spec.hostNetwork=false", true },
		{ "pods", POD, "spec.restartPolicy=Always", true },
		{ "pods", POD, "spec.schedulerName=default-scheduler", true },
		{ "pods", POD, "spec.serviceAccountName=old-sa", true },
		{ "pods", POD, "status.phase=Running,status.podIP=10.0.0.7", true },
		{ "pods", POD, "status.podIPs=10.0.0.7", false }, /* accepted, but not in the field set */
		{ "pods", POD, "status.podIPs=", true },
		{ "pods", POD, "status.nominatedNodeName=", true },
		{ "events", EVENT, "involvedObject.kind=Pod,involvedObject.name=web-1,reason=Started", true },
		{ "events", EVENT, "involvedObject.uid=u1,type=Normal", true },
		{ "events", EVENT, "source=portico-agent", true },  /* falls back to reportingComponent */
		{ "events", EVENT, "reportingComponent=portico-agent", true },
		{ "events", EVENT, "involvedObject.fieldPath=", true },
		{ "services", SERVICE, "spec.type=ClusterIP,spec.clusterIP=10.96.0.10", true },
		{ "services", SERVICE, "spec.type!=ClusterIP", false },
		{ "nodes", NODE, "spec.unschedulable=false", true },
		{ "nodes", NODE, "spec.unschedulable=true", false },
		{ "configmaps", CONFIGMAP, "metadata.namespace=kube-system", true },
		{ "configmaps", CONFIGMAP, "metadata.name=other", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *obj = json_loads(cases[i].obj, 0, NULL);
		selector_t *s = NULL;
		char *err = NULL;
		CHECK(obj != NULL);
		CHECK_INT(field_selector_parse(cases[i].sel, &s, &err), 0);
		CHECK_INT(field_selector_validate(s, cases[i].plural, &err), 0);
		CHECK(err == NULL);
		if (field_selector_match(s, cases[i].plural, obj) != cases[i].match)
			fprintf(stderr, "  %s: %s\n", cases[i].plural, cases[i].sel);
		CHECK(field_selector_match(s, cases[i].plural, obj) == cases[i].match);
		selector_free(s);
		json_decref(obj);
	}

	/* escapes: \, and \= are data, \\ a backslash */
	json_t *obj = json_loads("{\"metadata\":{\"name\":\"a,b=c\\\\d\"}}", 0, NULL);
	selector_t *s = NULL;
	CHECK_INT(field_selector_parse("metadata.name=a\\,b\\=c\\\\d", &s, NULL), 0);
	CHECK(field_selector_match(s, "configmaps", obj));
	CHECK(!selector_empty(s));
	selector_free(s);
	json_decref(obj);
	CHECK_INT(field_selector_parse(",,", &s, NULL), 0);
	CHECK(selector_empty(s));
	selector_free(s);
	CHECK(field_selector_match(NULL, "pods", NULL));
}

static void test_field_errors(void)
{
	static const struct {
		const char *sel, *err;
	} cases[] = {
		{ "foo", "invalid selector: 'foo'; can't understand 'foo'" },
		{ "a=b,foo", "invalid selector: 'a=b,foo'; can't understand 'foo'" },
		{ "a=b=c", "invalid field selector: unescaped character in value: 61" },
		{ "a=b\\,c,d=e,f", "invalid selector: 'a=b\\,c,d=e,f'; can't understand 'f'" },
		{ "a=b\\x", "invalid field selector: invalid escape sequence: \\x" },
		{ "a=b\\", "invalid field selector: invalid escape sequence: \\" },
		/* terms are sorted before parsing: "a=b=c" fails before "z" */
		{ "z,a=b=c", "invalid field selector: unescaped character in value: 61" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		selector_t *s = NULL;
		char *err = NULL;
		CHECK_INT(field_selector_parse(cases[i].sel, &s, &err), -EINVAL);
		CHECK(s == NULL);
		CHECK_STR(err, cases[i].err);
		free(err);
	}

	static const struct {
		const char *plural, *sel, *err;
	} unsupported[] = {
		{ "pods", "foo=bar", "field label not supported: foo" },
		{ "pods", "metadata.name=a,spec.nodename=x", "field label not supported: spec.nodename" },
		{ "nodes", "metadata.namespace=x", "field label not supported: metadata.namespace" },
		{ "namespaces", "status.phase=Active,metadata.namespace=x",
		  "field label not supported: metadata.namespace" },
		{ "services", "spec.ports=1", "field label not supported: spec.ports" },
		{ "events", "=x", "field label not supported: " },
		{ "configmaps", "data.x=1",
		  "\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"" },
		{ "deployments", "spec.replicas=1",
		  "\"spec.replicas\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"" },
		{ "leases", "spec.holderIdentity=x",
		  "\"spec.holderIdentity\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"" },
	};
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		selector_t *s = NULL;
		char *err = NULL;
		CHECK_INT(field_selector_parse(unsupported[i].sel, &s, &err), 0);
		CHECK_INT(field_selector_validate(s, unsupported[i].plural, &err), -EINVAL);
		CHECK_STR(err, unsupported[i].err);
		free(err);
		selector_free(s);
	}
}

static void test_kinds_do_not_mix(void)
{
	selector_t *l = NULL, *f = NULL;
	json_t *labels = json_loads("{\"a\":\"b\"}", 0, NULL);

	CHECK_INT(label_selector_parse("a=b", &l, NULL), 0);
	CHECK_INT(field_selector_parse("a=b", &f, NULL), 0);
	CHECK(label_selector_match(l, labels));
	CHECK(!label_selector_match(f, labels));
	CHECK(!field_selector_match(l, "pods", labels));
	CHECK(label_selector_match(NULL, labels));
	selector_free(l);
	selector_free(f);
	selector_free(NULL);
	json_decref(labels);
}

int main(void)
{
	TEST_RUN(test_label_match);
	TEST_RUN(test_label_errors);
	TEST_RUN(test_label_json);
	TEST_RUN(test_label_map);
	TEST_RUN(test_field_match);
	TEST_RUN(test_field_errors);
	TEST_RUN(test_kinds_do_not_mix);
	TEST_DONE();
}
