/* A pod's resolv.conf, hosts and environment (agent/podfiles.c) against what the kubelet writes. */
#include <stdlib.h>

#include "agent/podfiles.h"

#include "harness.h"

static json_t *js(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	if (!j)
		fprintf(stderr, "bad fixture JSON: %s\n", text);
	return j;
}

/* The value of name in an env array; NULL when absent. */
static const char *env_val(const json_t *env, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(env, i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return json_string_value(json_object_get(e, "value"));
	return NULL;
}

static long env_index(const json_t *env, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(env, i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return (long)i;
	return -1;
}

static void test_resolv_conf(void)
{
	char *s = podfiles_resolv_conf("demo", "10.43.0.10", "cluster.local");

	CHECK_STR(s, "nameserver 10.43.0.10\n"
		     "search demo.svc.cluster.local svc.cluster.local cluster.local\n"
		     "options ndots:5\n");
	free(s);
}

static const char *HOSTS_HEAD = "# Kubernetes-managed hosts file.\n"
				"127.0.0.1\tlocalhost\n"
				"::1\tlocalhost ip6-localhost ip6-loopback\n"
				"fe00::0\tip6-localnet\n"
				"fe00::0\tip6-mcastprefix\n"
				"fe00::1\tip6-allnodes\n"
				"fe00::2\tip6-allrouters\n";

static void test_hosts(void)
{
	json_t *pod = js("{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"demo\"},\"spec\":{}}");
	char want[1024], *s;

	s = podfiles_hosts(pod, "10.42.1.7", "cluster.local");
	snprintf(want, sizeof(want), "%s10.42.1.7\tweb-0\n", HOSTS_HEAD);
	CHECK_STR(s, want);
	free(s);
	json_decref(pod);

	/* hostname + subdomain: the FQDN first, then the short name. */
	pod = js("{\"metadata\":{\"name\":\"x\",\"namespace\":\"demo\"},\"spec\":{\"hostname\":\"db-1\",\"subdomain\":\"db\","
		 "\"hostAliases\":[{\"ip\":\"192.0.2.9\",\"hostnames\":[\"a.example\",\"b\"]}]}}");
	s = podfiles_hosts(pod, "10.42.1.8", "cluster.local");
	snprintf(want, sizeof(want),
		 "%s10.42.1.8\tdb-1.db.demo.svc.cluster.local\tdb-1\n\n# Entries added by HostAliases.\n192.0.2.9\ta.example\tb\n",
		 HOSTS_HEAD);
	CHECK_STR(s, want);
	free(s);
	json_decref(pod);
}

static void test_hostname(void)
{
	json_t *pod = js("{\"metadata\":{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-.bbb\"}}");
	char h[64];

	/* Cut to 63 and trailing '-' / '.' trimmed, as the kubelet does. */
	podfiles_hostname(pod, h, sizeof(h));
	CHECK_STR(h, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	json_decref(pod);
	pod = js("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"hostname\":\"h1\"}}");
	podfiles_hostname(pod, h, sizeof(h));
	CHECK_STR(h, "h1");
	json_decref(pod);
}

static const char *lookup_ab(const char *name, size_t len, void *arg)
{
	(void)arg;
	if (len == 1 && name[0] == 'A')
		return "a";
	if (len == 3 && memcmp(name, "BEE", 3) == 0)
		return "b$(A)";
	return NULL;
}

static void test_expand(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "$(A)", "a" },
		{ "x$(A)y$(BEE)z", "xayb$(A)z" }, /* no recursive expansion */
		{ "$(UNDEF)", "$(UNDEF)" },
		{ "$$(A)", "$(A)" },               /* $$ escapes */
		{ "$$$(A)", "$a" },
		{ "$$", "$" },
		{ "$", "$" },
		{ "a$", "a$" },
		{ "$x", "$x" },
		{ "$(A", "$(A" },                  /* unterminated */
		{ "$()", "$()" },
		{ "$(A)$(A)", "aa" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = podfiles_expand(cases[i].in, lookup_ab, NULL);

		CHECK_STR(s, cases[i].out);
		free(s);
	}
}

static void test_service_env(void)
{
	json_t *svcs = js("["
			  "{\"metadata\":{\"name\":\"web-svc\"},\"spec\":{\"clusterIP\":\"10.43.0.20\",\"ports\":["
			  "{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\"},{\"name\":\"dns-udp\",\"port\":53,\"protocol\":\"UDP\"}]}},"
			  "{\"metadata\":{\"name\":\"anon\"},\"spec\":{\"clusterIP\":\"10.43.0.21\",\"ports\":[{\"port\":8080}]}},"
			  "{\"metadata\":{\"name\":\"headless\"},\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":1}]}},"
			  "{\"metadata\":{\"name\":\"noip\"},\"spec\":{\"ports\":[{\"port\":1}]}}"
			  "]");
	json_t *env = podfiles_service_env(svcs);

	CHECK(env != NULL);
	CHECK_STR(env_val(env, "WEB_SVC_SERVICE_HOST"), "10.43.0.20");
	CHECK_STR(env_val(env, "WEB_SVC_SERVICE_PORT"), "80");
	CHECK_STR(env_val(env, "WEB_SVC_SERVICE_PORT_HTTP"), "80");
	CHECK_STR(env_val(env, "WEB_SVC_SERVICE_PORT_DNS_UDP"), "53");
	CHECK_STR(env_val(env, "WEB_SVC_PORT"), "tcp://10.43.0.20:80");
	CHECK_STR(env_val(env, "WEB_SVC_PORT_80_TCP"), "tcp://10.43.0.20:80");
	CHECK_STR(env_val(env, "WEB_SVC_PORT_80_TCP_PROTO"), "tcp");
	CHECK_STR(env_val(env, "WEB_SVC_PORT_80_TCP_PORT"), "80");
	CHECK_STR(env_val(env, "WEB_SVC_PORT_80_TCP_ADDR"), "10.43.0.20");
	CHECK_STR(env_val(env, "WEB_SVC_PORT_53_UDP"), "udp://10.43.0.20:53");
	CHECK_STR(env_val(env, "WEB_SVC_PORT_53_UDP_PROTO"), "udp");
	CHECK_STR(env_val(env, "WEB_SVC_PORT_53_UDP_PORT"), "53");
	CHECK_STR(env_val(env, "WEB_SVC_PORT_53_UDP_ADDR"), "10.43.0.20");
	/* An unnamed port: no _SERVICE_PORT_<NAME>; protocol defaults to TCP. */
	CHECK_STR(env_val(env, "ANON_SERVICE_HOST"), "10.43.0.21");
	CHECK_STR(env_val(env, "ANON_SERVICE_PORT"), "8080");
	CHECK_STR(env_val(env, "ANON_PORT_8080_TCP"), "tcp://10.43.0.21:8080");
	CHECK(env_val(env, "HEADLESS_SERVICE_HOST") == NULL);
	CHECK(env_val(env, "NOIP_SERVICE_HOST") == NULL);
	/* 2 named ports: host, port, 2 named, _PORT, 2x4 link variables = 13; anon: 2 + 1 + 4 = 7. */
	CHECK_INT(json_array_size(env), 20);
	/* Sorted by Service name. */
	CHECK(env_index(env, "ANON_SERVICE_HOST") < env_index(env, "WEB_SVC_SERVICE_HOST"));
	json_decref(env);
	json_decref(svcs);

	svcs = js("[{\"metadata\":{\"name\":\"v6\"},\"spec\":{\"clusterIP\":\"fd00::1\",\"ports\":[{\"port\":80}]}}]");
	env = podfiles_service_env(svcs);
	CHECK_STR(env_val(env, "V6_PORT"), "tcp://[fd00::1]:80");
	CHECK_STR(env_val(env, "V6_PORT_80_TCP_ADDR"), "fd00::1");
	json_decref(env);
	json_decref(svcs);

	env = podfiles_service_env(NULL);
	CHECK(env && json_array_size(env) == 0);
	json_decref(env);
}

static void test_container_env(void)
{
	json_t *pod = js("{\"metadata\":{\"name\":\"p1\",\"namespace\":\"ns1\",\"uid\":\"u1\"},\"spec\":{\"nodeName\":\"n1\"}}");
	json_t *ctr = js("{\"name\":\"c\",\"env\":["
			 "{\"name\":\"A\",\"value\":\"x$(SVC_SERVICE_HOST)\"},"
			 "{\"name\":\"B\",\"value\":\"$(A)-$(C)-$$(A)\"},"
			 "{\"name\":\"C\",\"value\":\"c\"},"
			 "{\"name\":\"SVC_SERVICE_PORT\",\"value\":\"mine\"},"
			 "{\"name\":\"POD\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}},"
			 "{\"name\":\"IP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"status.podIP\"}}},"
			 "{\"name\":\"NODE\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"spec.nodeName\"}}},"
			 "{\"name\":\"CM\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"x\",\"key\":\"y\"}}},"
			 "{\"name\":\"C\",\"value\":\"c2\"}"
			 "]}");
	json_t *extra = js("[{\"name\":\"SVC_SERVICE_HOST\",\"value\":\"10.43.0.9\"},{\"name\":\"SVC_SERVICE_PORT\",\"value\":\"80\"}]");
	json_t *env = podfiles_container_env(pod, ctr, extra, "10.42.0.3", "192.0.2.11");
	json_t *args, *out;

	CHECK(env != NULL);
	CHECK_STR(env_val(env, "A"), "x10.43.0.9");
	CHECK_STR(env_val(env, "B"), "x10.43.0.9-$(C)-$(A)"); /* C is defined later: left as is */
	CHECK_STR(env_val(env, "C"), "c2");                   /* a later definition wins */
	CHECK_STR(env_val(env, "SVC_SERVICE_PORT"), "mine");  /* the container's own beats the service's */
	CHECK_STR(env_val(env, "SVC_SERVICE_HOST"), "10.43.0.9");
	CHECK_STR(env_val(env, "POD"), "p1");
	CHECK_STR(env_val(env, "IP"), "10.42.0.3");
	CHECK_STR(env_val(env, "NODE"), "n1");
	CHECK_STR(env_val(env, "CM"), "");
	/* Service variables come first, then the container's own in order. */
	CHECK_INT(env_index(env, "SVC_SERVICE_HOST"), 0);
	CHECK_INT(env_index(env, "A"), 1);
	CHECK_INT(json_array_size(env), 9);

	args = js("[\"echo\",\"$(C)\",\"$(NOPE)\",\"$$(C)\",\"$(SVC_SERVICE_HOST)\"]");
	out = podfiles_expand_args(args, env);
	CHECK_STR(json_string_value(json_array_get(out, 1)), "c2");
	CHECK_STR(json_string_value(json_array_get(out, 2)), "$(NOPE)");
	CHECK_STR(json_string_value(json_array_get(out, 3)), "$(C)");
	CHECK_STR(json_string_value(json_array_get(out, 4)), "10.43.0.9");
	json_decref(out);
	json_decref(args);
	json_decref(env);

	env = podfiles_container_env(pod, ctr, NULL, "", "");
	CHECK_STR(env_val(env, "A"), "x$(SVC_SERVICE_HOST)");
	json_decref(env);
	json_decref(extra);
	json_decref(ctr);
	json_decref(pod);
}

int main(void)
{
	TEST_RUN(test_resolv_conf);
	TEST_RUN(test_hosts);
	TEST_RUN(test_hostname);
	TEST_RUN(test_expand);
	TEST_RUN(test_service_env);
	TEST_RUN(test_container_env);
	TEST_DONE();
}
