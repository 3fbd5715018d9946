/* A pod's resolv.conf, hosts and environment as the kubelet computes them (pkg/kubelet/kubelet_pods.go,
 * pkg/kubelet/envvars, third_party/forked/golang/expansion). Pure: strings in, strings out. */
#include "agent/podfiles.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

char *podfiles_resolv_conf(const char *ns, const char *cluster_dns, const char *domain)
{
	sbuf_t b = { 0 };

	sbuf_printf(&b, "nameserver %s\n", cluster_dns);
	sbuf_printf(&b, "search %s.svc.%s svc.%s %s\n", ns, domain, domain, domain);
	sbuf_puts(&b, "options ndots:5\n");
	return sbuf_take(&b);
}

void podfiles_hostname(const json_t *pod, char *buf, size_t len)
{
	const json_t *spec = json_object_get(pod, "spec");
	const char *h = jstr(spec, "hostname");
	size_t n;

	if (!len)
		return;
	if (!h || !*h)
		h = jstr(json_object_get(pod, "metadata"), "name");
	if (!h)
		h = "";
	/* The kubelet truncates to 63 (a DNS label) and trims a trailing '-' or '.' so it stays valid. */
	n = strlen(h);
	if (n > 63) {
		n = 63;
		while (n > 0 && (h[n - 1] == '-' || h[n - 1] == '.'))
			n--;
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, h, n);
	buf[n] = '\0';
}

char *podfiles_hosts(const json_t *pod, const char *pod_ip, const char *domain)
{
	const json_t *spec = json_object_get(pod, "spec"), *aliases = json_object_get(spec, "hostAliases"), *a;
	const char *sub = jstr(spec, "subdomain"), *ns = jstr(json_object_get(pod, "metadata"), "namespace");
	char host[64];
	sbuf_t b = { 0 };
	size_t i;

	podfiles_hostname(pod, host, sizeof(host));
	if (!ns || !*ns)
		ns = "default";
	sbuf_puts(&b, "# Kubernetes-managed hosts file.\n"
		   "127.0.0.1\tlocalhost\n"
		   "::1\tlocalhost ip6-localhost ip6-loopback\n"
		   "fe00::0\tip6-localnet\n"
		   "fe00::0\tip6-mcastprefix\n"
		   "fe00::1\tip6-allnodes\n"
		   "fe00::2\tip6-allrouters\n");
	if (sub && *sub)
		sbuf_printf(&b, "%s\t%s.%s.%s.svc.%s\t%s\n", pod_ip, host, sub, ns, domain, host);
	else
		sbuf_printf(&b, "%s\t%s\n", pod_ip, host);
	if (json_array_size(aliases)) {
		sbuf_puts(&b, "\n# Entries added by HostAliases.\n");
		json_array_foreach(aliases, i, a) {
			const json_t *names = json_object_get(a, "hostnames"), *n;
			const char *ip = jstr(a, "ip");
			size_t j;

			if (!ip)
				continue;
			sbuf_puts(&b, ip);
			json_array_foreach(names, j, n) {
				if (!json_is_string(n))
					continue;
				sbuf_puts(&b, "\t");
				sbuf_puts(&b, json_string_value(n));
			}
			sbuf_puts(&b, "\n");
		}
	}
	return sbuf_take(&b);
}

/* ---- service variables (pkg/kubelet/envvars) ------------------------------------------------------ */

/* "my-svc" -> "MY_SVC" as envvars.makeEnvVariableName. */
static void env_name(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = in[i] == '-' ? '_' : (char)toupper((unsigned char)in[i]);
	out[i] = '\0';
}

static int env_add(json_t *arr, const char *name, const char *value)
{
	json_t *e = json_pack("{s:s,s:s}", "name", name, "value", value);

	if (!e || json_array_append_new(arr, e) < 0)
		return -1;
	return 0;
}

static int svc_cmp(const void *a, const void *b)
{
	const char *na = jstr(json_object_get(*(json_t *const *)a, "metadata"), "name");
	const char *nb = jstr(json_object_get(*(json_t *const *)b, "metadata"), "name");

	return strcmp(na ? na : "", nb ? nb : "");
}

static int svc_env(json_t *arr, const json_t *svc)
{
	const json_t *spec = json_object_get(svc, "spec"), *ports = json_object_get(spec, "ports"), *p;
	const char *name = jstr(json_object_get(svc, "metadata"), "name"), *ip = jstr(spec, "clusterIP");
	char prefix[256], var[512], val[512], hostport[128];
	size_t i;
	int rc = 0;

	if (!name || !ip || !*ip || strcmp(ip, "None") == 0)
		return 0;
	env_name(name, prefix, sizeof(prefix));
	snprintf(var, sizeof(var), "%s_SERVICE_HOST", prefix);
	rc |= env_add(arr, var, ip);
	if (!json_array_size(ports))
		return rc;
	snprintf(var, sizeof(var), "%s_SERVICE_PORT", prefix);
	snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(json_object_get(json_array_get(ports, 0), "port")));
	rc |= env_add(arr, var, val);
	json_array_foreach(ports, i, p) {
		const char *pn = jstr(p, "name");
		char up[128];

		if (!pn || !*pn)
			continue;
		env_name(pn, up, sizeof(up));
		snprintf(var, sizeof(var), "%s_SERVICE_PORT_%s", prefix, up);
		snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(json_object_get(p, "port")));
		rc |= env_add(arr, var, val);
	}
	/* Docker link variables: the first port as <SVC>_PORT, then four per port. */
	json_array_foreach(ports, i, p) {
		const char *proto = jstr(p, "protocol");
		long long port = json_integer_value(json_object_get(p, "port"));
		char lower[16], upper[16];
		size_t k;

		if (!proto || !*proto)
			proto = "TCP";
		for (k = 0; proto[k] && k + 1 < sizeof(lower); k++) {
			lower[k] = (char)tolower((unsigned char)proto[k]);
			upper[k] = (char)toupper((unsigned char)proto[k]);
		}
		lower[k] = upper[k] = '\0';
		if (strchr(ip, ':'))
			snprintf(hostport, sizeof(hostport), "[%s]:%lld", ip, port);
		else
			snprintf(hostport, sizeof(hostport), "%s:%lld", ip, port);
		snprintf(val, sizeof(val), "%s://%s", lower, hostport);
		if (i == 0) {
			snprintf(var, sizeof(var), "%s_PORT", prefix);
			rc |= env_add(arr, var, val);
		}
		snprintf(var, sizeof(var), "%s_PORT_%lld_%s", prefix, port, upper);
		rc |= env_add(arr, var, val);
		snprintf(var, sizeof(var), "%s_PORT_%lld_%s_PROTO", prefix, port, upper);
		rc |= env_add(arr, var, lower);
		snprintf(var, sizeof(var), "%s_PORT_%lld_%s_PORT", prefix, port, upper);
		snprintf(val, sizeof(val), "%lld", port);
		rc |= env_add(arr, var, val);
		snprintf(var, sizeof(var), "%s_PORT_%lld_%s_ADDR", prefix, port, upper);
		rc |= env_add(arr, var, ip);
	}
	return rc;
}

json_t *podfiles_service_env(const json_t *services)
{
	size_t n = json_array_size(services), i;
	json_t *arr = json_array(), **sorted;

	if (!arr)
		return NULL;
	if (!n)
		return arr;
	sorted = calloc(n, sizeof(*sorted));
	if (!sorted) {
		json_decref(arr);
		return NULL;
	}
	for (i = 0; i < n; i++)
		sorted[i] = json_array_get(services, i);
	qsort(sorted, n, sizeof(*sorted), svc_cmp);
	for (i = 0; i < n; i++)
		if (svc_env(arr, sorted[i]) < 0) {
			free(sorted);
			json_decref(arr);
			return NULL;
		}
	free(sorted);
	return arr;
}

/* ---- $(VAR) expansion ----------------------------------------------------------------------------- */

char *podfiles_expand(const char *in, podfiles_lookup_fn lookup, void *arg)
{
	sbuf_t b = { 0 };
	const char *p = in, *chk = in;

	sbuf_putn(&b, "", 0);
	for (; *p; p++) {
		if (p[0] != '$' || !p[1])
			continue;
		sbuf_putn(&b, chk, (size_t)(p - chk));
		if (p[1] == '$') {
			sbuf_puts(&b, "$");
			p += 1;
		} else if (p[1] == '(') {
			const char *close = strchr(p + 2, ')');

			if (close) {
				const char *v = lookup ? lookup(p + 2, (size_t)(close - (p + 2)), arg) : NULL;

				if (v)
					sbuf_puts(&b, v);
				else
					sbuf_putn(&b, p, (size_t)(close - p) + 1);
				p = close;
			} else {
				/* An unterminated reference stays as written. */
				sbuf_puts(&b, "$(");
				p += 1;
			}
		} else {
			sbuf_putn(&b, p, 2);
			p += 1;
		}
		chk = p + 1;
	}
	sbuf_puts(&b, chk);
	return sbuf_take(&b);
}

/* Lookup in an env array ({"name","value"}), the latest definition first; then in a second one. */
typedef struct env_scope {
	const json_t *own, *extra;
} env_scope_t;

static const char *env_find(const json_t *arr, const char *name, size_t len)
{
	size_t i = json_array_size(arr);

	while (i-- > 0) {
		const json_t *e = json_array_get(arr, i);
		const char *n = jstr(e, "name");

		if (n && strlen(n) == len && memcmp(n, name, len) == 0)
			return jstr(e, "value");
	}
	return NULL;
}

static const char *scope_lookup(const char *name, size_t len, void *arg)
{
	const env_scope_t *s = arg;
	const char *v = env_find(s->own, name, len);

	return v ? v : env_find(s->extra, name, len);
}

static const char *field_ref(const json_t *pod, const char *path, const char *pod_ip, const char *host_ip)
{
	const json_t *md = json_object_get(pod, "metadata"), *spec = json_object_get(pod, "spec");
	const char *v = NULL;

	if (!path)
		return "";
	if (strcmp(path, "metadata.name") == 0)
		v = jstr(md, "name");
	else if (strcmp(path, "metadata.namespace") == 0)
		v = jstr(md, "namespace");
	else if (strcmp(path, "metadata.uid") == 0)
		v = jstr(md, "uid");
	else if (strcmp(path, "spec.nodeName") == 0)
		v = jstr(spec, "nodeName");
	else if (strcmp(path, "spec.serviceAccountName") == 0)
		v = jstr(spec, "serviceAccountName");
	else if (strcmp(path, "status.podIP") == 0 || strcmp(path, "status.podIPs") == 0)
		v = pod_ip;
	else if (strcmp(path, "status.hostIP") == 0 || strcmp(path, "status.hostIPs") == 0)
		v = host_ip;
	return v ? v : "";
}

/* Sets name=value in arr: replaces an earlier definition in place, else appends. */
static int env_set(json_t *arr, const char *name, const char *value)
{
	const json_t *e;
	size_t i;

	json_array_foreach(arr, i, e)
		if (strcmp(jstr(e, "name"), name) == 0)
			return json_object_set_new((json_t *)e, "value", json_string(value));
	return env_add(arr, name, value);
}

json_t *podfiles_container_env(const json_t *pod, const json_t *container, const json_t *extra,
			       const char *pod_ip, const char *host_ip)
{
	const json_t *cenv = json_object_get(container, "env"), *e;
	json_t *own = json_array(), *out = json_array();
	env_scope_t scope;
	size_t i;

	if (!own || !out)
		goto fail;
	scope.own = own;
	scope.extra = extra;
	json_array_foreach(cenv, i, e) {
		const char *name = jstr(e, "name"), *value = jstr(e, "value");
		const json_t *from = json_object_get(e, "valueFrom");
		char *x;
		int rc;

		if (!name || !*name)
			continue;
		if (value) {
			x = podfiles_expand(value, scope_lookup, &scope);
		} else if (from) {
			x = strdup(field_ref(pod, jstr(json_object_get(from, "fieldRef"), "fieldPath"), pod_ip, host_ip));
		} else {
			x = strdup("");
		}
		if (!x)
			goto fail;
		rc = env_set(own, name, x);
		free(x);
		if (rc < 0)
			goto fail;
	}
	json_array_foreach(extra, i, e) {
		const char *name = jstr(e, "name"), *value = jstr(e, "value");

		if (!name || !value || env_find(own, name, strlen(name)))
			continue;
		if (env_set(out, name, value) < 0)
			goto fail;
	}
	if (json_array_extend(out, own) < 0)
		goto fail;
	json_decref(own);
	return out;
fail:
	json_decref(own);
	json_decref(out);
	return NULL;
}

json_t *podfiles_expand_args(const json_t *args, const json_t *env)
{
	env_scope_t scope = { .own = env, .extra = NULL };
	json_t *out = json_array(), *a;
	size_t i;

	if (!out)
		return NULL;
	json_array_foreach(args, i, a) {
		char *x;

		if (!json_is_string(a))
			continue;
		x = podfiles_expand(json_string_value(a), scope_lookup, &scope);
		if (!x || json_array_append_new(out, json_string(x)) < 0) {
			free(x);
			json_decref(out);
			return NULL;
		}
		free(x);
	}
	return out;
}
