/* Unit tests for the patch engines: RFC 7386 and RFC 6902 appendix A, and strategic merge patch as
 * kubectl apply/patch/edit send it for the served kinds. */
#include "harness.h"
#include "lib/patch.h"

#include <errno.h>
#include <stdlib.h>

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
	if (!v)
		fprintf(stderr, "  bad test JSON (%s): %s\n", e.text, s);
	return v;
}

/* Compares a result with the expected JSON (array order matters, member order does not). */
static int same(const json_t *got, const char *want)
{
	json_t *w = J(want);
	int ok = got && w && json_equal((json_t *)got, w);
	if (!ok) {
		char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;
		fprintf(stderr, "    got:      %s\n    expected: %s\n", g ? g : "(null)", want);
		free(g);
	}
	json_decref(w);
	return ok;
}

static void check_merge(const char *target, const char *patch, const char *want)
{
	json_t *t = J(target), *p = J(patch), *before = json_deep_copy(t), *r = NULL;
	CHECK_INT(patch_merge(t, p, &r), 0);
	CHECK(same(r, want));
	CHECK(json_equal(t, before)); /* target untouched */
	json_decref(t);
	json_decref(p);
	json_decref(before);
	json_decref(r);
}

static void test_merge_rfc7386_appendix_a(void)
{
	check_merge("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	check_merge("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
	check_merge("{\"a\":\"b\"}", "{\"a\":null}", "{}");
	check_merge("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
	check_merge("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	check_merge("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
	check_merge("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
	check_merge("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
	check_merge("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
	check_merge("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
	check_merge("{\"a\":\"foo\"}", "null", "null");
	check_merge("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
	check_merge("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
	check_merge("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
	check_merge("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

static void test_merge_depth_limit(void)
{
	char buf[2 * (PATCH_MAX_DEPTH + 10) + 1];
	int n = PATCH_MAX_DEPTH + 5, i;
	json_t *t = J("{}"), *p, *r = NULL;

	for (i = 0; i < n; i++)
		buf[i] = '[';
	for (; i < 2 * n; i++)
		buf[i] = ']';
	buf[2 * n] = '\0';
	p = json_pack("{s:o}", "a", J(buf));
	CHECK_INT(patch_merge(t, p, &r), -EINVAL);
	CHECK(r == NULL);
	json_decref(t);
	json_decref(p);
}

/* Runs a JSON patch; want NULL means it must fail with want_rc and want_err. */
static void check_json(const char *target, const char *ops, const char *want, int want_rc, const char *want_err)
{
	json_t *t = J(target), *o = J(ops), *before = json_deep_copy(t), *r = NULL;
	char *err = NULL;
	int rc = patch_json(t, o, &r, &err);

	if (want) {
		CHECK_INT(rc, 0);
		CHECK(same(r, want));
		CHECK(err == NULL);
	} else {
		CHECK_INT(rc, want_rc);
		CHECK(r == NULL); /* all or nothing: no output on failure */
		if (want_err)
			CHECK_STR(err, want_err);
	}
	CHECK(json_equal(t, before));
	free(err);
	json_decref(r);
	json_decref(t);
	json_decref(o);
	json_decref(before);
}

static void test_json_rfc6902_appendix_a(void)
{
	/* A.1 - A.16 */
	check_json("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
		   "{\"baz\":\"qux\",\"foo\":\"bar\"}", 0, NULL);
	check_json("{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
		   "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", 0, NULL);
	check_json("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}", 0, NULL);
	check_json("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
		   "{\"foo\":[\"bar\",\"baz\"]}", 0, NULL);
	check_json("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
		   "{\"baz\":\"boo\",\"foo\":\"bar\"}", 0, NULL);
	check_json("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
		   "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
		   "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}", 0, NULL);
	check_json("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}", "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
		   "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}", 0, NULL);
	check_json("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
		   "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
		   "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}", 0, NULL);
	check_json("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", NULL, -EINVAL,
		   "testing value /baz failed: test failed");
	check_json("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
		   "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}", 0, NULL);
	check_json("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
		   "{\"foo\":\"bar\",\"baz\":\"qux\"}", 0, NULL);
	check_json("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", NULL, -EINVAL,
		   "add operation does not apply: doc is missing path: \"/baz/bat\": missing value");
	check_json("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]", "{\"/\":9,\"~1\":10}", 0, NULL);
	check_json("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", NULL, -EINVAL,
		   "testing value /~01 failed: test failed");
	check_json("{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
		   "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}", 0, NULL);
}

static void test_json_more(void)
{
	/* ~1 escapes "/" (a label key with a slash, as kubectl users write it) */
	check_json("{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"x\"}}}",
		   "[{\"op\":\"replace\",\"path\":\"/metadata/labels/app.kubernetes.io~1name\",\"value\":\"y\"}]",
		   "{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"y\"}}}", 0, NULL);
	check_json("{\"a\":{\"b\":[1,2]}}", "[{\"op\":\"copy\",\"from\":\"/a/b\",\"path\":\"/c\"},{\"op\":\"add\",\"path\":\"/c/-\",\"value\":3}]",
		   "{\"a\":{\"b\":[1,2]},\"c\":[1,2,3]}", 0, NULL);
	/* numbers compare numerically (RFC 6902 s4.6); members in any order */
	check_json("{\"a\":{\"x\":1,\"y\":[1.0]}}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"y\":[1],\"x\":1.0}}]",
		   "{\"a\":{\"x\":1,\"y\":[1.0]}}", 0, NULL);
	/* all or nothing: the first op applies to the copy, the second fails */
	check_json("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"remove\",\"path\":\"/zz\"}]", NULL, -EINVAL,
		   "error in remove for path: '/zz': Unable to remove nonexistent key: zz: missing value");
	check_json("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/5\",\"value\":2}]", NULL, -EINVAL,
		   "error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced");
	check_json("{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/01\"}]", NULL, -EINVAL, NULL);
	check_json("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":2}]", NULL, -EINVAL,
		   "replace operation does not apply: doc is missing key: /b: missing value");
	check_json("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/c\"}]", NULL, -EINVAL, NULL);
	check_json("{\"a\":1}", "[{\"op\":\"frobnicate\",\"path\":\"/a\"}]", NULL, -EINVAL, "Unexpected kind: frobnicate");
	check_json("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\"}]", NULL, -EINVAL, NULL);
	check_json("{\"a\":1}", "{\"op\":\"add\"}", NULL, -EBADMSG, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
	check_json("{\"a\":1}", "[\"x\"]", NULL, -EBADMSG, "json: cannot unmarshal string into Go value of type jsonpatch.Operation");
	check_json("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/b\",\"value\":null}]", NULL, -EINVAL, "testing value /b failed: test failed");
	check_json("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"z\":0}}]", "{\"z\":0}", 0, NULL);
}

static void test_json_copy_bomb(void)
{
	/* Each copy doubles the document; kube's 3 MiB copy budget stops it. */
	json_t *ops = json_array(), *t = J("{\"a\":\"0123456789abcdef0123456789abcdef\"}"), *r = NULL;
	char *err = NULL;
	int rc;

	json_array_append_new(ops, json_pack("{s:s,s:s,s:s}", "op", "copy", "from", "/a", "path", "/b"));
	for (int i = 0; i < 40; i++) {
		char path[16];
		snprintf(path, sizeof(path), "/c%d", i);
		json_array_append_new(ops, json_pack("{s:s,s:s,s:s}", "op", "copy", "from", "", "path", path));
	}
	rc = patch_json(t, ops, &r, &err);
	CHECK_INT(rc, -EINVAL);
	CHECK(err && strstr(err, "Unable to complete the copy") == err);
	CHECK(r == NULL);
	free(err);
	json_decref(ops);
	json_decref(t);
}

static const k8s_resource_t *kind(const char *group, const char *k)
{
	const k8s_resource_t *r = k8s_resource_by_kind(group, k);
	CHECK(r != NULL);
	return r;
}

/* Runs a strategic merge patch for kind; want NULL means it must fail with want_rc (and want_err). */
static void check_smp(const char *k, const char *target, const char *patch, const char *want, int want_rc, const char *want_err)
{
	const k8s_resource_t *r = kind(strcmp(k, "Deployment") == 0 ? "apps" : "", k);
	json_t *t = J(target), *p = J(patch), *tb = json_deep_copy(t), *pb = json_deep_copy(p), *out = NULL;
	char *err = NULL;
	int rc = patch_strategic(r, t, p, &out, &err);

	if (want) {
		CHECK_INT(rc, 0);
		CHECK(same(out, want));
		if (rc)
			fprintf(stderr, "    error: %s\n", err ? err : "(none)");
	} else {
		CHECK_INT(rc, want_rc);
		CHECK(out == NULL);
		if (want_err)
			CHECK_STR(err, want_err);
	}
	CHECK(json_equal(t, tb));
	CHECK(json_equal(p, pb));
	free(err);
	json_decref(out);
	json_decref(t);
	json_decref(p);
	json_decref(tb);
	json_decref(pb);
}

#define SVC(ports) "{\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\",\"tier\":\"fe\"}}," \
		   "\"spec\":{\"selector\":{\"app\":\"web\"},\"externalIPs\":[\"10.0.0.1\",\"10.0.0.2\"],\"ports\":" ports "}}"
#define P80  "{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080}"
#define P81  "{\"name\":\"metrics\",\"port\":81,\"protocol\":\"TCP\",\"targetPort\":9090}"
#define P443 "{\"name\":\"https\",\"port\":443,\"protocol\":\"TCP\",\"targetPort\":8443}"

static void test_smp_service_ports(void)
{
	/* change one port's targetPort: merged by "port", the other untouched */
	check_smp("Service", SVC("[" P80 "," P443 "]"), "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":9999}]}}",
		  SVC("[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":9999}," P443 "]"), 0, NULL);
	/* add a port: without $setElementOrder upstream puts patch items before server-only ones */
	check_smp("Service", SVC("[" P80 "]"), "{\"spec\":{\"ports\":[" P443 "]}}", SVC("[" P443 "," P80 "]"), 0, NULL);
	/* delete one with $patch: delete */
	check_smp("Service", SVC("[" P80 "," P81 "]"), "{\"spec\":{\"ports\":[{\"port\":81,\"$patch\":\"delete\"}]}}",
		  SVC("[" P80 "]"), 0, NULL);
	/* $setElementOrder alone reorders */
	check_smp("Service", SVC("[" P80 "," P443 "]"), "{\"spec\":{\"$setElementOrder/ports\":[{\"port\":443},{\"port\":80}]}}",
		  SVC("[" P443 "," P80 "]"), 0, NULL);
	/* $patch: replace inside a list replaces the list */
	check_smp("Service", SVC("[" P80 "," P81 "]"), "{\"spec\":{\"ports\":[" P443 ",{\"$patch\":\"replace\"}]}}",
		  SVC("[" P443 "]"), 0, NULL);
	/* a list without a strategy (externalIPs) is replaced; labels removed with null */
	check_smp("Service", SVC("[" P80 "]"),
		  "{\"metadata\":{\"labels\":{\"tier\":null}},\"spec\":{\"externalIPs\":[\"10.0.0.3\"]}}",
		  "{\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"}},"
		  "\"spec\":{\"selector\":{\"app\":\"web\"},\"externalIPs\":[\"10.0.0.3\"],\"ports\":[" P80 "]}}", 0, NULL);
	/* $patch: replace on a map (kubectl set selector-like) */
	check_smp("Service", SVC("[" P80 "]"), "{\"spec\":{\"selector\":{\"$patch\":\"replace\",\"run\":\"w2\"}}}",
		  "{\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\",\"tier\":\"fe\"}},"
		  "\"spec\":{\"selector\":{\"run\":\"w2\"},\"externalIPs\":[\"10.0.0.1\",\"10.0.0.2\"],\"ports\":[" P80 "]}}", 0, NULL);
}

static void test_smp_kubectl_apply_service(void)
{
	/* What client-side `kubectl apply -f svc.yaml` sends after the file dropped port 81, added 443
	 * before 80 and dropped a label (CreateThreeWayMergePatch output shape). */
	const char *patch =
		"{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\\n\"},"
		"\"labels\":{\"tier\":null}},"
		"\"spec\":{\"$setElementOrder/ports\":[{\"port\":443},{\"port\":80}],"
		"\"ports\":[" P443 ",{\"$patch\":\"delete\",\"port\":81}]}}";
	check_smp("Service", SVC("[" P80 "," P81 "]"), patch,
		  "{\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"},"
		  "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\\n\"}},"
		  "\"spec\":{\"selector\":{\"app\":\"web\"},\"externalIPs\":[\"10.0.0.1\",\"10.0.0.2\"],"
		  "\"ports\":[" P443 "," P80 "]}}", 0, NULL);
	/* the same removal with $setElementOrder only naming the remaining port */
	check_smp("Service", SVC("[" P80 "," P81 "]"),
		  "{\"spec\":{\"$setElementOrder/ports\":[{\"port\":80}],\"ports\":[{\"port\":81,\"$patch\":\"delete\"}]}}",
		  SVC("[" P80 "]"), 0, NULL);
}

#define DEPLOY(containers, strategy) \
	"{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"patch-demo\"},\"spec\":{\"replicas\":2," \
	"\"strategy\":" strategy ",\"template\":{\"metadata\":{\"labels\":{\"app\":\"nginx\"}}," \
	"\"spec\":{\"containers\":" containers ",\"tolerations\":[{\"effect\":\"NoSchedule\",\"key\":\"dedicated\",\"value\":\"test-team\"}]}}}}"
#define RU "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":\"25%\",\"maxUnavailable\":\"25%\"}}"

static void test_smp_deployment_docs(void)
{
	/* kubernetes.io "Update API Objects in Place Using kubectl patch": adding patch-demo-ctr-2 by
	 * strategic merge keeps the nginx container (merged by name), new one first. */
	check_smp("Deployment", DEPLOY("[{\"name\":\"patch-demo-ctr\",\"image\":\"nginx\"}]", RU),
		  "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"patch-demo-ctr-2\",\"image\":\"redis\"}]}}}}",
		  DEPLOY("[{\"name\":\"patch-demo-ctr-2\",\"image\":\"redis\"},{\"name\":\"patch-demo-ctr\",\"image\":\"nginx\"}]", RU), 0, NULL);
	/* same page: tolerations have no patch strategy, so the list is replaced */
	check_smp("Deployment", DEPLOY("[{\"name\":\"c\",\"image\":\"nginx\"}]", RU),
		  "{\"spec\":{\"template\":{\"spec\":{\"tolerations\":[{\"effect\":\"NoSchedule\",\"key\":\"disktype\",\"value\":\"ssd\"}]}}}}",
		  "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"patch-demo\"},\"spec\":{\"replicas\":2,\"strategy\":" RU ","
		  "\"template\":{\"metadata\":{\"labels\":{\"app\":\"nginx\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}],"
		  "\"tolerations\":[{\"effect\":\"NoSchedule\",\"key\":\"disktype\",\"value\":\"ssd\"}]}}}}", 0, NULL);
	/* same page: $retainKeys clears rollingUpdate when switching to Recreate */
	check_smp("Deployment", DEPLOY("[{\"name\":\"c\",\"image\":\"nginx\"}]", RU),
		  "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}}",
		  DEPLOY("[{\"name\":\"c\",\"image\":\"nginx\"}]", "{\"type\":\"Recreate\"}"), 0, NULL);
	/* $retainKeys must name every key the patch sets */
	check_smp("Deployment", DEPLOY("[]", RU), "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"rollingUpdate\":{}}}}",
		  NULL, -EBADMSG, "invalid patch format of retainKeys");
}

static void test_smp_containers_env(void)
{
	const char *pod = "{\"kind\":\"Pod\",\"spec\":{\"containers\":["
		"{\"name\":\"app\",\"image\":\"a:1\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}],"
		"\"ports\":[{\"containerPort\":80}]},{\"name\":\"side\",\"image\":\"s:1\"}]}}";
	check_smp("Pod", pod,
		  "{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"a:2\",\"env\":[{\"name\":\"B\",\"value\":\"3\"},{\"name\":\"A\",\"$patch\":\"delete\"}],"
		  "\"ports\":[{\"containerPort\":81}]}]}}",
		  "{\"kind\":\"Pod\",\"spec\":{\"containers\":["
		  "{\"name\":\"app\",\"image\":\"a:2\",\"env\":[{\"name\":\"B\",\"value\":\"3\"}],"
		  "\"ports\":[{\"containerPort\":81},{\"containerPort\":80}]},{\"name\":\"side\",\"image\":\"s:1\"}]}}", 0, NULL);
	/* a container without its merge key: upstream's bare error (a 500 from kube-apiserver) */
	check_smp("Pod", pod, "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}", NULL, -EPROTO,
		  "map: map[image:x] does not contain declared merge key: name");
	check_smp("Pod", pod, "{\"spec\":{\"$patch\":\"bogus\",\"a\":1}}", NULL, -EPROTO,
		  "unknown patch type: bogus in map: map[$patch:bogus a:1]");
	check_smp("Pod", pod, "{\"spec\":{\"containers\":[{\"$patch\":\"merge\"}]}}", NULL, -EPROTO,
		  "merging lists cannot yet be specified in the patch");
	check_smp("Pod", pod, "[1]", NULL, -EBADMSG, "json: cannot unmarshal array into Go value of type map[string]interface {}");
	/* a Pod's status conditions merge by type */
	check_smp("Pod", "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},{\"type\":\"Initialized\",\"status\":\"True\"}]}}",
		  "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
		  "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":\"Initialized\",\"status\":\"True\"}]}}", 0, NULL);
}

static void test_smp_finalizers(void)
{
	const char *cm = "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"finalizers\":[\"a\",\"b\",\"c\"]},\"data\":{\"k\":\"v\"}}";
	check_smp("ConfigMap", cm, "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\"]}}",
		  "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"finalizers\":[\"a\",\"c\"]},\"data\":{\"k\":\"v\"}}", 0, NULL);
	/* primitive merge list: a union, patch values first in patch order */
	check_smp("ConfigMap", cm, "{\"metadata\":{\"finalizers\":[\"d\",\"a\"]}}",
		  "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"finalizers\":[\"d\",\"a\",\"b\",\"c\"]},\"data\":{\"k\":\"v\"}}", 0, NULL);
	/* kubectl apply shape for a primitive list: order, additions and deletions together */
	check_smp("ConfigMap", cm,
		  "{\"metadata\":{\"$setElementOrder/finalizers\":[\"c\",\"a\",\"e\"],\"finalizers\":[\"e\"],"
		  "\"$deleteFromPrimitiveList/finalizers\":[\"b\"]},\"data\":{\"k\":null,\"k2\":\"v2\"}}",
		  "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"finalizers\":[\"c\",\"a\",\"e\"]},\"data\":{\"k2\":\"v2\"}}", 0, NULL);
	/* Namespace-style $patch: delete on a map empties it */
	check_smp("ConfigMap", cm, "{\"data\":{\"$patch\":\"delete\"}}",
		  "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"finalizers\":[\"a\",\"b\",\"c\"]},\"data\":{}}", 0, NULL);
	/* lists of lists are refused with upstream's 422 error */
	check_smp("ConfigMap", "{\"metadata\":{\"finalizers\":[]}}", "{\"metadata\":{\"finalizers\":[[\"x\"]]}}", NULL, -EINVAL,
		  "lists of lists are not supported");
	check_smp("ConfigMap", cm, "{\"metadata\":{\"finalizers\":[[\"x\"]]}}", NULL, -EPROTO,
		  "list element types are not identical: [[a b c] [[x]]]");
}

static void test_smp_new_values_cleaned(void)
{
	/* a value the target lacks is taken from the patch without nulls or $patch maps */
	check_smp("Pod", "{\"spec\":{}}",
		  "{\"spec\":{\"containers\":[{\"name\":\"a\",\"x\":null},{\"name\":\"b\",\"$patch\":\"delete\"}]}}",
		  "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}", 0, NULL);
	/* a null patch changes nothing */
	check_smp("Pod", "{\"spec\":{\"a\":1}}", "null", "{\"spec\":{\"a\":1}}", 0, NULL);
}

int main(void)
{
	TEST_RUN(test_merge_rfc7386_appendix_a);
	TEST_RUN(test_merge_depth_limit);
	TEST_RUN(test_json_rfc6902_appendix_a);
	TEST_RUN(test_json_more);
	TEST_RUN(test_json_copy_bomb);
	TEST_RUN(test_smp_service_ports);
	TEST_RUN(test_smp_kubectl_apply_service);
	TEST_RUN(test_smp_deployment_docs);
	TEST_RUN(test_smp_containers_env);
	TEST_RUN(test_smp_finalizers);
	TEST_RUN(test_smp_new_values_cleaned);
	TEST_DONE();
}
