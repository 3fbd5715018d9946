/* The load-balancer controller's pure decisions (see lb_logic.h). */
#include "controllers/lb_logic.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LB_MAX_INGRESS 64 /* ingress points accepted from a webhook reply */

static void seterr(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static const char *sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const json_t *spec_of(const json_t *svc)
{
	return json_object_get(svc, "spec");
}

bool lb_svc_ours(const json_t *svc)
{
	const char *cls = sget(spec_of(svc), "loadBalancerClass");

	return !cls || !*cls || strcmp(cls, LB_CLASS) == 0;
}

bool lb_svc_wants_lb(const json_t *svc)
{
	const char *type = sget(spec_of(svc), "type");

	return type && strcmp(type, "LoadBalancer") == 0 && lb_svc_ours(svc);
}

bool lb_svc_has_finalizer(const json_t *svc)
{
	const json_t *f = json_object_get(json_object_get(svc, "metadata"), "finalizers"), *v;
	size_t i;

	json_array_foreach(f, i, v)
		if (json_string_value(v) && strcmp(json_string_value(v), LB_FINALIZER) == 0)
			return true;
	return false;
}

bool lb_svc_needs_cleanup(const json_t *svc)
{
	const char *type = sget(spec_of(svc), "type");

	if (!lb_svc_has_finalizer(svc))
		return false;
	if (json_object_get(json_object_get(svc, "metadata"), "deletionTimestamp"))
		return true;
	return !type || strcmp(type, "LoadBalancer") != 0;
}

bool lb_svc_local(const json_t *svc)
{
	const char *p = sget(spec_of(svc), "externalTrafficPolicy");

	return p && strcmp(p, "Local") == 0;
}

/* Adds one requested address; checks the one-per-family rule. */
static int add_requested(lb_request_t *r, const char *s, size_t n, char *err, size_t errlen)
{
	char buf[64];
	lb_addr_t a;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return 0;
	if (n >= sizeof(buf)) {
		seterr(err, errlen, "invalid address in %s: too long", LB_ANN_IPS);
		return -EINVAL;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (lb_addr_parse(buf, &a) < 0) {
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7f)
				buf[i] = '?';
		seterr(err, errlen, "invalid address \"%s\"", buf);
		return -EINVAL;
	}
	for (size_t i = 0; i < r->nrequested; i++) {
		if (r->requested[i].family == a.family) {
			seterr(err, errlen, "at most one %s address may be requested", a.family == AF_INET ? "IPv4" : "IPv6");
			return -EINVAL;
		}
	}
	if (r->nrequested >= 2) {
		seterr(err, errlen, "at most two addresses may be requested");
		return -EINVAL;
	}
	r->requested[r->nrequested++] = a;
	return 0;
}

int lb_svc_request(const json_t *svc, const char *key, lb_request_t *ret, char *err, size_t errlen)
{
	const json_t *spec = spec_of(svc), *ann = json_object_get(json_object_get(svc, "metadata"), "annotations");
	const json_t *ports = json_object_get(spec, "ports"), *fams = json_object_get(spec, "ipFamilies"), *v;
	const char *ips = sget(ann, LB_ANN_IPS), *lbip = sget(spec, "loadBalancerIP"), *pol;
	lb_request_t r;
	size_t i;
	int nf = 0, rc;

	memset(&r, 0, sizeof(r));
	r.key = key;
	r.share = sget(ann, LB_ANN_SHARED);
	if (r.share && !*r.share)
		r.share = NULL;
	if (json_array_size(ports) > LB_POOL_MAX_PORTS) {
		seterr(err, errlen, "more than %d ports", LB_POOL_MAX_PORTS);
		return -EINVAL;
	}
	json_array_foreach(ports, i, v) {
		const char *proto = sget(v, "protocol");
		snprintf(r.ports[r.nports].proto, sizeof(r.ports[r.nports].proto), "%s", proto ? proto : "TCP");
		r.ports[r.nports].port = (int)json_integer_value(json_object_get(v, "port"));
		r.nports++;
	}
	json_array_foreach(fams, i, v) {
		const char *f = json_string_value(v);
		if (nf < 2 && f && strcmp(f, "IPv4") == 0)
			r.families[nf++] = AF_INET;
		else if (nf < 2 && f && strcmp(f, "IPv6") == 0)
			r.families[nf++] = AF_INET6;
	}
	if (!nf)
		r.families[0] = AF_INET;
	pol = sget(spec, "ipFamilyPolicy");
	r.require_all_families = pol && strcmp(pol, "RequireDualStack") == 0;
	if (ips && *ips) {
		const char *p = ips;
		for (;;) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			if ((rc = add_requested(&r, p, n, err, errlen)) < 0)
				return rc;
			if (!comma)
				break;
			p = comma + 1;
		}
	} else if (lbip && *lbip) {
		if ((rc = add_requested(&r, lbip, strlen(lbip), err, errlen)) < 0)
			return rc;
	}
	*ret = r;
	return 0;
}

static bool node_ready(const json_t *node)
{
	const json_t *conds = json_object_get(json_object_get(node, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c) {
		const char *t = sget(c, "type"), *s = sget(c, "status");
		if (t && strcmp(t, "Ready") == 0)
			return s && strcmp(s, "True") == 0;
	}
	return false;
}

static int cmp_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(sget(x, "name"), sget(y, "name"));
}

json_t *lb_nodes_eligible(const json_t *nodes, const json_t *local)
{
	json_t *out = json_array(), **v = NULL;
	const json_t *node;
	const char *key;
	size_t n = 0, i;

	if (!out)
		return NULL;
	json_object_foreach((json_t *)nodes, key, node) {
		const json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels"), *a;
		const char *name = sget(json_object_get(node, "metadata"), "name");
		json_t *addrs, *d;

		if (!name || json_object_get(labels, LB_LABEL_EXCLUDE) || !node_ready(node))
			continue;
		addrs = json_array();
		if (!addrs)
			goto nomem;
		json_array_foreach(json_object_get(json_object_get(node, "status"), "addresses"), i, a) {
			const char *t = sget(a, "type"), *ip = sget(a, "address");
			lb_addr_t tmp;
			if (t && ip && strcmp(t, "InternalIP") == 0 && lb_addr_parse(ip, &tmp) == 0)
				json_array_append_new(addrs, json_string(ip));
		}
		if (!json_array_size(addrs)) {
			json_decref(addrs);
			continue;
		}
		d = json_pack("{s:s, s:o, s:I}", "name", name, "addresses", addrs, "readyEndpoints",
			      (json_int_t)json_integer_value(json_object_get(local, name)));
		if (!d || json_array_append_new(out, d) < 0)
			goto nomem;
	}
	/* sorted by name so fingerprints and webhook bodies are stable */
	n = json_array_size(out);
	if (n > 1) {
		v = malloc(n * sizeof(*v));
		if (!v)
			goto nomem;
		for (i = 0; i < n; i++)
			v[i] = json_incref(json_array_get(out, i));
		qsort(v, n, sizeof(*v), cmp_name);
		json_array_clear(out);
		for (i = 0; i < n; i++)
			json_array_append_new(out, v[i]);
		free(v);
	}
	return out;
nomem:
	json_decref(out);
	return NULL;
}

json_t *lb_local_endpoints(const json_t *slices)
{
	json_t *out = json_object();
	const json_t *s, *e;
	size_t i, j;

	if (!out)
		return NULL;
	json_array_foreach(slices, i, s) {
		json_array_foreach(json_object_get(s, "endpoints"), j, e) {
			const char *node = sget(e, "nodeName");
			const json_t *ready = json_object_get(json_object_get(e, "conditions"), "ready");
			/* upstream: a nil ready condition counts as ready */
			if (!node || !*node || json_is_false(ready))
				continue;
			json_object_set_new(out, node, json_integer(json_integer_value(json_object_get(out, node)) + 1));
		}
	}
	return out;
}

json_t *lb_ingress_from_addrs(const lb_addr_t *addrs, size_t n)
{
	json_t *out = json_array();
	char buf[64];

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		lb_addr_format(&addrs[i], buf, sizeof(buf));
		json_array_append_new(out, json_pack("{s:s, s:s}", "ip", buf, "ipMode", "VIP"));
	}
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *lb_ingress_from_nodes(const json_t *eligible, bool local)
{
	const char *ips[512];
	size_t n = 0, i, j;
	const json_t *node, *a;
	json_t *out = json_array();

	if (!out)
		return NULL;
	json_array_foreach(eligible, i, node) {
		if (local && json_integer_value(json_object_get(node, "readyEndpoints")) <= 0)
			continue;
		json_array_foreach(json_object_get(node, "addresses"), j, a)
			if (n < sizeof(ips) / sizeof(ips[0]) && json_string_value(a))
				ips[n++] = json_string_value(a);
	}
	qsort(ips, n, sizeof(ips[0]), cmp_str);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(ips[i], ips[i - 1]) != 0)
			json_array_append_new(out, json_pack("{s:s, s:s}", "ip", ips[i], "ipMode", "VIP"));
	return out;
}

/* "ip:..." or "host:..." of each ingress point, sorted, joined by spaces into buf. */
static void ingress_key(const json_t *ing, char *buf, size_t len)
{
	const char *items[LB_MAX_INGRESS + 1];
	char tmp[LB_MAX_INGRESS][300];
	size_t n = 0, i, off = 0;
	const json_t *v;

	buf[0] = '\0';
	json_array_foreach(ing, i, v) {
		if (n >= LB_MAX_INGRESS)
			break;
		if (sget(v, "ip"))
			snprintf(tmp[n], sizeof(tmp[n]), "ip:%s", sget(v, "ip"));
		else if (sget(v, "hostname"))
			snprintf(tmp[n], sizeof(tmp[n]), "host:%s", sget(v, "hostname"));
		else
			continue;
		items[n] = tmp[n];
		n++;
	}
	qsort(items, n, sizeof(items[0]), cmp_str);
	for (i = 0; i < n && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s ", items[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

bool lb_ingress_equal(const json_t *a, const json_t *b)
{
	size_t len = LB_MAX_INGRESS * 300;
	char *ka = malloc(len), *kb = malloc(len);
	bool eq;

	if (!ka || !kb) {
		free(ka);
		free(kb);
		return false; /* "changed": at worst one more write */
	}
	ingress_key(a, ka, len);
	ingress_key(b, kb, len);
	eq = strcmp(ka, kb) == 0;
	free(ka);
	free(kb);
	return eq;
}

const json_t *lb_svc_ingress(const json_t *svc)
{
	const json_t *ing = json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress");

	return json_array_size(ing) ? ing : NULL;
}

json_t *lb_svc_with_finalizer(const json_t *svc, bool present)
{
	json_t *c = json_deep_copy(svc), *meta, *f, *nf, *v;
	size_t i;

	if (!c)
		return NULL;
	meta = json_object_get(c, "metadata");
	if (!json_is_object(meta)) {
		json_decref(c);
		return NULL;
	}
	f = json_object_get(meta, "finalizers");
	nf = json_array();
	if (!nf) {
		json_decref(c);
		return NULL;
	}
	json_array_foreach(f, i, v)
		if (!json_string_value(v) || strcmp(json_string_value(v), LB_FINALIZER) != 0)
			json_array_append(nf, v);
	if (present)
		json_array_append_new(nf, json_string(LB_FINALIZER));
	if (json_array_size(nf))
		json_object_set_new(meta, "finalizers", nf);
	else {
		json_decref(nf);
		json_object_del(meta, "finalizers");
	}
	return c;
}

json_t *lb_svc_with_ingress(const json_t *svc, const json_t *ingress)
{
	json_t *c = json_deep_copy(svc), *st, *lb;

	if (!c)
		return NULL;
	st = json_object_get(c, "status");
	if (!json_is_object(st)) {
		st = json_object();
		json_object_set_new(c, "status", st);
	}
	lb = json_object();
	if (!st || !lb) {
		json_decref(lb);
		json_decref(c);
		return NULL;
	}
	if (json_array_size(ingress))
		json_object_set_new(lb, "ingress", json_deep_copy(ingress));
	json_object_set_new(st, "loadBalancer", lb);
	return c;
}

long lb_backoff_ms(int failures)
{
	long d = LB_BACKOFF_MIN_MS;

	for (int i = 1; i < failures && d < LB_BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < LB_BACKOFF_MAX_MS ? d : LB_BACKOFF_MAX_MS;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t lb_fp_json(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	uint64_t h = fnv(0xcbf29ce484222325ULL, s ? s : "null");

	free(s);
	return h;
}

uint64_t lb_fp_service(const json_t *svc)
{
	const json_t *meta = json_object_get(svc, "metadata");
	uint64_t h = lb_fp_json(spec_of(svc));

	h ^= lb_fp_json(json_object_get(meta, "annotations")) * 31;
	h = fnv(h, sget(meta, "uid"));
	return h;
}

json_t *lb_webhook_request(const char *op, const json_t *svc, const json_t *nodes)
{
	const json_t *spec = spec_of(svc), *meta = json_object_get(svc, "metadata"), *p;
	json_t *req, *s, *ports, *fams, *reqips;
	lb_request_t r;
	char err[128];
	size_t i;

	ports = json_array();
	reqips = json_array();
	fams = json_deep_copy(json_object_get(spec, "ipFamilies"));
	if (!fams)
		fams = json_array();
	if (!ports || !reqips || !fams) {
		json_decref(ports);
		json_decref(reqips);
		json_decref(fams);
		return NULL;
	}
	json_array_foreach(json_object_get(spec, "ports"), i, p) {
		json_t *o = json_pack("{s:s, s:I}", "protocol", sget(p, "protocol") ? sget(p, "protocol") : "TCP",
				      "port", json_integer_value(json_object_get(p, "port")));
		if (!o)
			continue;
		if (sget(p, "name") && *sget(p, "name"))
			json_object_set_new(o, "name", json_string(sget(p, "name")));
		/* absent with allocateLoadBalancerNodePorts: false (KEP-1864) */
		if (json_integer_value(json_object_get(p, "nodePort")) > 0)
			json_object_set(o, "nodePort", json_object_get(p, "nodePort"));
		json_array_append_new(ports, o);
	}
	if (lb_svc_request(svc, "-", &r, err, sizeof(err)) == 0) {
		char buf[64];
		for (i = 0; i < r.nrequested; i++) {
			lb_addr_format(&r.requested[i], buf, sizeof(buf));
			json_array_append_new(reqips, json_string(buf));
		}
	}
	s = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "namespace", sget(meta, "namespace") ? sget(meta, "namespace") : "",
		      "name", sget(meta, "name") ? sget(meta, "name") : "", "uid", sget(meta, "uid") ? sget(meta, "uid") : "",
		      "externalTrafficPolicy", lb_svc_local(svc) ? "Local" : "Cluster", "ports", ports, "ipFamilies", fams,
		      "requestedIPs", reqips);
	if (!s)
		return NULL;
	if (json_integer_value(json_object_get(spec, "healthCheckNodePort")) > 0)
		json_object_set(s, "healthCheckNodePort", json_object_get(spec, "healthCheckNodePort"));
	if (sget(json_object_get(meta, "annotations"), LB_ANN_SHARED))
		json_object_set_new(s, "sharingKey", json_string(sget(json_object_get(meta, "annotations"), LB_ANN_SHARED)));
	req = json_pack("{s:s, s:s, s:s, s:o}", "apiVersion", LB_WEBHOOK_API, "kind", "LoadBalancerRequest", "operation",
			op, "service", s);
	if (!req)
		return NULL;
	if (nodes)
		json_object_set_new(req, "nodes", json_deep_copy(nodes));
	return req;
}

/* Copies s into out with anything but printable ASCII replaced, at most len - 1 bytes. */
static void sanitise(const char *s, char *out, size_t len)
{
	size_t i = 0;

	for (; s && *s && i + 1 < len; s++)
		out[i++] = ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) ? '?' : *s;
	out[i] = '\0';
}

int lb_webhook_reply(const char *op, int status, const json_t *body, json_t **ret_ingress, char *err, size_t errlen)
{
	const json_t *ing, *v;
	json_t *out;
	size_t i;

	if (status < 0) {
		seterr(err, errlen, "provider unreachable: %s", strerror(-status));
		return -EIO;
	}
	if (status < 200 || status > 299) {
		char msg[200];
		sanitise(sget(body, "error"), msg, sizeof(msg));
		seterr(err, errlen, "provider answered HTTP %d%s%s", status, msg[0] ? ": " : "", msg);
		return -EIO;
	}
	if (strcmp(op, "delete") == 0) {
		*ret_ingress = NULL;
		return 0;
	}
	ing = json_object_get(body, "ingress");
	if (!ing && strcmp(op, "update") == 0) {
		*ret_ingress = NULL;
		return 0;
	}
	if (!json_is_array(ing)) {
		seterr(err, errlen, "malformed provider reply: no ingress list");
		return -EPROTO;
	}
	if (json_array_size(ing) > LB_MAX_INGRESS) {
		seterr(err, errlen, "malformed provider reply: more than %d ingress points", LB_MAX_INGRESS);
		return -EPROTO;
	}
	out = json_array();
	if (!out)
		return -ENOMEM;
	json_array_foreach(ing, i, v) {
		const char *ip = sget(v, "ip"), *host = sget(v, "hostname");
		lb_addr_t a;
		char buf[64];

		if (ip && lb_addr_parse(ip, &a) == 0) {
			lb_addr_format(&a, buf, sizeof(buf));
			json_array_append_new(out, json_pack("{s:s, s:s}", "ip", buf, "ipMode", "VIP"));
		} else if (!ip && host && *host && strlen(host) <= 253 && !strchr(host, ' ')) {
			char h[254];
			sanitise(host, h, sizeof(h));
			json_array_append_new(out, json_pack("{s:s}", "hostname", h));
		} else {
			json_decref(out);
			seterr(err, errlen, "malformed provider reply: ingress point %zu has no valid ip or hostname", i);
			return -EPROTO;
		}
	}
	*ret_ingress = out;
	return 0;
}
