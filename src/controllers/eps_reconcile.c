/* Desired EndpointSlices and Endpoints from a Service and its Pods, as upstream's reconciler:
 * slices are grouped by address type and then by port mapping (pods resolving the service's ports to
 * different numbers, or missing a named port, land in different slices); an endpoint is identified by
 * its addresses, hostname and pod (endpointHash), so condition changes update it in place. */
#include "controllers/eps_reconcile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small JSON helpers ---- */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *meta_str(const json_t *o, const char *k)
{
	return jstr(json_object_get(o, "metadata"), k);
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* ---- pods ---- */

bool eps_pod_ready(const json_t *pod)
{
	const json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c) {
		const char *t = jstr(c, "type");
		if (t && strcmp(t, "Ready") == 0)
			return strcmp(nz(jstr(c, "status")), "True") == 0;
	}
	return false;
}

static bool pod_has_ip(const json_t *pod)
{
	const json_t *st = json_object_get(pod, "status");
	const char *ip = jstr(st, "podIP");

	return (ip && *ip) || json_array_size(json_object_get(st, "podIPs")) > 0;
}

bool eps_pod_in_endpoints(const json_t *pod, bool include_terminating)
{
	const char *phase = jstr(json_object_get(pod, "status"), "phase");

	if (!pod_has_ip(pod))
		return false;
	if (!include_terminating && json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
		return false;
	if (phase && (strcmp(phase, "Failed") == 0 || strcmp(phase, "Succeeded") == 0))
		return false;
	return true;
}

/* The pod's IPs (status.podIPs, or status.podIP when that list is absent), normalized, of family
 * (AF_INET/AF_INET6), appended to out. */
static void pod_ips(const json_t *pod, int family, json_t *out)
{
	const json_t *st = json_object_get(pod, "status"), *ips = json_object_get(st, "podIPs"), *e;
	size_t i;

	if (json_array_size(ips) == 0) {
		const char *one = jstr(st, "podIP");
		unsigned char buf[16];
		char norm[INET6_ADDRSTRLEN];
		if (one && inet_pton(family, one, buf) == 1 && inet_ntop(family, buf, norm, sizeof(norm)))
			json_array_append_new(out, json_string(norm));
		return;
	}
	json_array_foreach(ips, i, e) {
		const char *ip = jstr(e, "ip");
		unsigned char buf[16];
		char norm[INET6_ADDRSTRLEN];
		if (ip && inet_pton(family, ip, buf) == 1 && inet_ntop(family, buf, norm, sizeof(norm)))
			json_array_append_new(out, json_string(norm));
	}
}

static bool port_matches(const json_t *cport, const char *name, const char *proto)
{
	const char *n = jstr(cport, "name"), *p = jstr(cport, "protocol");

	return n && strcmp(n, name) == 0 && strcmp(p ? p : "TCP", proto) == 0;
}

int eps_find_port(const json_t *pod, const json_t *svc_port)
{
	const json_t *tp = json_object_get(svc_port, "targetPort"), *spec = json_object_get(pod, "spec"), *c, *p;
	const char *proto = jstr(svc_port, "protocol");
	size_t i, j;

	if (!proto)
		proto = "TCP";
	if (!tp || json_is_null(tp))
		tp = json_object_get(svc_port, "port");
	if (json_is_integer(tp)) {
		json_int_t v = json_integer_value(tp);
		return v > 0 && v <= 65535 ? (int)v : -ENOENT;
	}
	if (!json_is_string(tp))
		return -ENOENT;
	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		json_array_foreach(json_object_get(c, "ports"), j, p) {
			if (port_matches(p, json_string_value(tp), proto))
				return (int)json_integer_value(json_object_get(p, "containerPort"));
		}
	}
	/* sidecars: init containers with restartPolicy Always (KEP-753) */
	json_array_foreach(json_object_get(spec, "initContainers"), i, c) {
		if (strcmp(nz(jstr(c, "restartPolicy")), "Always") != 0)
			continue;
		json_array_foreach(json_object_get(c, "ports"), j, p) {
			if (port_matches(p, json_string_value(tp), proto))
				return (int)json_integer_value(json_object_get(p, "containerPort"));
		}
	}
	return -ENOENT;
}

/* ---- services ---- */

bool eps_service_has_selector(const json_t *svc)
{
	const json_t *sel = json_object_get(json_object_get(svc, "spec"), "selector");
	return json_is_object(sel) && json_object_size(sel) > 0;
}

static bool svc_ip_set(const json_t *svc)
{
	const char *ip = jstr(json_object_get(svc, "spec"), "clusterIP");
	return ip && *ip && strcmp(ip, "None") != 0;
}

static bool svc_headless_none(const json_t *svc)
{
	const char *ip = jstr(json_object_get(svc, "spec"), "clusterIP");
	return ip && strcmp(ip, "None") == 0;
}

static int family_of(const char *ip)
{
	unsigned char buf[16];

	if (!ip)
		return 0;
	if (inet_pton(AF_INET, ip, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, ip, buf) == 1)
		return AF_INET6;
	return 0;
}

/* getAddressTypesForService: spec.ipFamilies, else the ClusterIP's family, else both. */
static void svc_address_types(const json_t *svc, bool *v4, bool *v6)
{
	const json_t *spec = json_object_get(svc, "spec"), *f;
	size_t i;

	*v4 = *v6 = false;
	json_array_foreach(json_object_get(spec, "ipFamilies"), i, f) {
		const char *s = json_string_value(f);
		if (s && strcmp(s, "IPv4") == 0)
			*v4 = true;
		if (s && strcmp(s, "IPv6") == 0)
			*v6 = true;
	}
	if (*v4 || *v6)
		return;
	if (svc_ip_set(svc)) {
		if (family_of(jstr(spec, "clusterIP")) == AF_INET6)
			*v6 = true;
		else
			*v4 = true;
		return;
	}
	*v4 = *v6 = true;
}

static json_t *owner_ref(const json_t *svc)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion", "v1", "kind", "Service", "name",
			 nz(meta_str(svc, "name")), "uid", nz(meta_str(svc, "uid")), "controller", 1,
			 "blockOwnerDeletion", 1);
}

static bool owned_by(const json_t *slice, const json_t *svc)
{
	const json_t *refs = json_object_get(json_object_get(slice, "metadata"), "ownerReferences"), *r;
	const char *uid = meta_str(svc, "uid");
	size_t i;

	json_array_foreach(refs, i, r) {
		if (uid && strcmp(nz(jstr(r, "uid")), uid) == 0 && strcmp(nz(jstr(r, "kind")), "Service") == 0 &&
		    strcmp(nz(jstr(r, "apiVersion")), "v1") == 0)
			return true;
	}
	return false;
}

static bool is_reserved_label(const char *k)
{
	return strcmp(k, EPS_LABEL_SERVICE_NAME) == 0 || strcmp(k, EPS_LABEL_MANAGED_BY) == 0 ||
	       strcmp(k, EPS_LABEL_HEADLESS) == 0;
}

/* setEndpointSliceLabels: the Service's labels (reserved keys skipped), the headless label when the
 * Service has no ClusterIP, and the two reserved labels. */
static json_t *slice_labels(const json_t *svc)
{
	json_t *out = json_object(), *v;
	const char *k;

	if (!out)
		return NULL;
	json_object_foreach(json_object_get(json_object_get(svc, "metadata"), "labels"), k, v) {
		if (!is_reserved_label(k) && json_is_string(v))
			json_object_set(out, k, v);
	}
	if (!svc_ip_set(svc))
		json_object_set_new(out, EPS_LABEL_HEADLESS, json_string(""));
	json_object_set_new(out, EPS_LABEL_SERVICE_NAME, json_string(nz(meta_str(svc, "name"))));
	json_object_set_new(out, EPS_LABEL_MANAGED_BY, json_string(EPS_CONTROLLER_NAME));
	return out;
}

/* ---- endpoints ---- */

/* getEndpointPorts: the service's ports as this pod resolves them (ports it cannot resolve are left
 * out); a headless service may have none. */
static json_t *endpoint_ports(const json_t *svc, const json_t *pod)
{
	const json_t *ports = json_object_get(json_object_get(svc, "spec"), "ports"), *sp;
	json_t *out = json_array();
	size_t i;

	if (!out)
		return NULL;
	json_array_foreach(ports, i, sp) {
		int n = eps_find_port(pod, sp);
		json_t *ep;
		if (n < 0)
			continue;
		ep = json_pack("{s:s, s:i, s:s}", "name", nz(jstr(sp, "name")), "port", n, "protocol",
			       jstr(sp, "protocol") ? jstr(sp, "protocol") : "TCP");
		if (!ep)
			continue;
		if (jstr(sp, "appProtocol"))
			json_object_set(ep, "appProtocol", json_object_get(sp, "appProtocol"));
		json_array_append_new(out, ep);
	}
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* NewPortMapKey: the port set, order-insensitive. Absent name is "", absent protocol TCP. */
static char *port_map_key(const json_t *ports)
{
	size_t n = json_array_size(ports), i, len = 1;
	char **parts = calloc(n ? n : 1, sizeof(*parts)), *out;
	const json_t *p;

	if (!parts)
		return NULL;
	json_array_foreach(ports, i, p) {
		if (asprintf(&parts[i], "%s/%lld/%s/%s", nz(jstr(p, "name")),
			     (long long)json_integer_value(json_object_get(p, "port")),
			     jstr(p, "protocol") ? jstr(p, "protocol") : "TCP", nz(jstr(p, "appProtocol"))) < 0)
			parts[i] = NULL;
		len += (parts[i] ? strlen(parts[i]) : 0) + 1;
	}
	qsort(parts, n, sizeof(*parts), cmp_str);
	out = malloc(len);
	if (out) {
		out[0] = '\0';
		for (i = 0; i < n; i++) {
			strcat(out, parts[i] ? parts[i] : "");
			strcat(out, ",");
		}
	}
	for (i = 0; i < n; i++)
		free(parts[i]);
	free(parts);
	return out;
}

/* endpointHash: addresses (sorted), hostname, and the pod (namespace/name). */
static char *endpoint_key(const json_t *ep)
{
	const json_t *addrs = json_object_get(ep, "addresses"), *a;
	const json_t *tr = json_object_get(ep, "targetRef");
	size_t n = json_array_size(addrs), i, len = 64;
	const char **v = calloc(n ? n : 1, sizeof(*v));
	char *out;

	if (!v)
		return NULL;
	json_array_foreach(addrs, i, a) {
		v[i] = nz(json_string_value(a));
		len += strlen(v[i]) + 1;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	len += strlen(nz(jstr(ep, "hostname"))) + strlen(nz(jstr(tr, "namespace"))) + strlen(nz(jstr(tr, "name")));
	out = malloc(len);
	if (out) {
		out[0] = '\0';
		for (i = 0; i < n; i++) {
			strcat(out, v[i]);
			strcat(out, ",");
		}
		strcat(out, "|");
		strcat(out, nz(jstr(ep, "hostname")));
		strcat(out, "|");
		strcat(out, nz(jstr(tr, "namespace")));
		strcat(out, "/");
		strcat(out, nz(jstr(tr, "name")));
	}
	free(v);
	return out;
}

/* EndpointsEqualBeyondHash: the fields the controller sets, compared as the server echoes them. */
static bool endpoint_equal(const json_t *a, const json_t *b)
{
	static const char *const fields[] = { "addresses", "hostname", "nodeName", "zone" };
	static const char *const conds[] = { "ready", "serving", "terminating" };
	static const char *const refs[] = { "kind", "namespace", "name", "uid" };
	const json_t *ca = json_object_get(a, "conditions"), *cb = json_object_get(b, "conditions");
	const json_t *ra = json_object_get(a, "targetRef"), *rb = json_object_get(b, "targetRef");

	for (size_t i = 0; i < 4; i++) {
		const json_t *x = json_object_get(a, fields[i]), *y = json_object_get(b, fields[i]);
		if (!(x == y || (x && y && json_equal(x, y))))
			return false;
	}
	for (size_t i = 0; i < 3; i++) {
		const json_t *x = json_object_get(ca, conds[i]), *y = json_object_get(cb, conds[i]);
		if (!(x == y || (x && y && json_equal(x, y))))
			return false;
	}
	for (size_t i = 0; i < 4; i++)
		if (strcmp(nz(jstr(ra, refs[i])), nz(jstr(rb, refs[i]))) != 0)
			return false;
	return true;
}

static bool svc_publish_not_ready(const json_t *svc)
{
	return json_is_true(json_object_get(json_object_get(svc, "spec"), "publishNotReadyAddresses"));
}

/* ShouldSetHostname: pod.spec.hostname, when pod.spec.subdomain names this Service. */
static const char *pod_hostname_for(const json_t *pod, const json_t *svc)
{
	const json_t *spec = json_object_get(pod, "spec");
	const char *h = jstr(spec, "hostname"), *sub = jstr(spec, "subdomain");

	if (h && *h && sub && strcmp(sub, nz(meta_str(svc, "name"))) == 0 &&
	    strcmp(nz(meta_str(pod, "namespace")), nz(meta_str(svc, "namespace"))) == 0)
		return h;
	return NULL;
}

static json_t *target_ref(const json_t *pod)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "kind", "Pod", "namespace", nz(meta_str(pod, "namespace")), "name",
			 nz(meta_str(pod, "name")), "uid", nz(meta_str(pod, "uid")));
}

/* podToEndpoint. Ready is never true for a terminating pod unless publishNotReadyAddresses. */
static json_t *pod_to_endpoint(const json_t *pod, const json_t *svc, int family)
{
	bool serving = eps_pod_ready(pod),
	     terminating = json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp") != NULL;
	bool ready = svc_publish_not_ready(svc) || (serving && !terminating);
	const char *node = jstr(json_object_get(pod, "spec"), "nodeName"), *host = pod_hostname_for(pod, svc);
	json_t *addrs = json_array(), *ep;

	if (!addrs)
		return NULL;
	pod_ips(pod, family, addrs);
	ep = json_pack("{s:o, s:{s:b, s:b, s:b}, s:o}", "addresses", addrs, "conditions", "ready", ready, "serving",
		       serving, "terminating", terminating, "targetRef", target_ref(pod));
	if (!ep)
		return NULL;
	if (node && *node)
		json_object_set_new(ep, "nodeName", json_string(node));
	if (host)
		json_object_set_new(ep, "hostname", json_string(host));
	return ep;
}

static json_t *new_slice(const json_t *svc, const json_t *ports, const char *addr_type)
{
	char *prefix;
	json_t *s;

	if (asprintf(&prefix, "%s-", nz(meta_str(svc, "name"))) < 0)
		return NULL;
	/* getEndpointSlicePrefix: with the dash unless that makes an invalid name; the server truncates
	 * generateName itself, so the dash always fits here */
	s = json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:[o]}, s:s, s:O, s:[]}", "apiVersion", "discovery.k8s.io/v1",
		      "kind", "EndpointSlice", "metadata", "generateName", prefix, "namespace",
		      nz(meta_str(svc, "namespace")), "labels", slice_labels(svc), "ownerReferences", owner_ref(svc),
		      "addressType", addr_type, "ports", ports, "endpoints");
	free(prefix);
	return s;
}

/* ---- the plan ---- */

typedef struct pm_group {
	char *key;
	json_t *ports;     /* desired port list */
	json_t *desired;   /* endpoint key -> endpoint */
	json_t *order;     /* endpoint keys in pod order: deterministic placement */
	json_t *existing;  /* slices with this port map */
} pm_group_t;

typedef struct pm_set {
	pm_group_t *g;
	size_t n, cap;
} pm_set_t;

static pm_group_t *pm_get(pm_set_t *s, const char *key, const json_t *ports)
{
	pm_group_t *g;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->g[i].key, key) == 0)
			return &s->g[i];
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 4;
		pm_group_t *n = realloc(s->g, ncap * sizeof(*n));
		if (!n)
			return NULL;
		s->g = n;
		s->cap = ncap;
	}
	g = &s->g[s->n];
	memset(g, 0, sizeof(*g));
	g->key = strdup(key);
	g->ports = ports ? json_deep_copy(ports) : NULL;
	g->desired = json_object();
	g->order = json_array();
	g->existing = json_array();
	if (!g->key || !g->desired || !g->order || !g->existing) {
		free(g->key);
		json_decref(g->ports);
		json_decref(g->desired);
		json_decref(g->order);
		json_decref(g->existing);
		return NULL;
	}
	s->n++;
	return g;
}

static void pm_set_free(pm_set_t *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->g[i].key);
		json_decref(s->g[i].ports);
		json_decref(s->g[i].desired);
		json_decref(s->g[i].order);
		json_decref(s->g[i].existing);
	}
	free(s->g);
}

static int cmp_pod_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return strcmp(nz(meta_str(x, "name")), nz(meta_str(y, "name")));
}

/* Pops the next desired endpoint (in pod order) still unplaced; NULL when none. */
static json_t *pop_desired(pm_group_t *g, size_t *cursor)
{
	while (*cursor < json_array_size(g->order)) {
		const char *k = json_string_value(json_array_get(g->order, (*cursor)++));
		json_t *ep = json_incref(json_object_get(g->desired, k));
		if (ep) {
			json_object_del(g->desired, k);
			return ep;
		}
	}
	return NULL;
}

static size_t slice_len(const json_t *s)
{
	return json_array_size(json_object_get(s, "endpoints"));
}

/* reconcileByPortMapping. Slices in `existing` are inputs; changed ones are copied into
 * update[] (deep copies), emptied ones go to del[], new ones to create[]. */
static int reconcile_pm(const json_t *svc, pm_group_t *g, const char *addr_type, size_t max, json_t *create,
			json_t *update, json_t *del)
{
	json_t *labels = slice_labels(svc), *unchanged = json_array(), *updated = json_array(), *s;
	size_t i, cursor = 0;
	int rc = -ENOMEM;

	if (!labels || !unchanged || !updated)
		goto out;
	/* 1. keep desired endpoints where they are, drop the others, refresh changed ones */
	json_array_foreach(g->existing, i, s) {
		const json_t *eps = json_object_get(s, "endpoints"), *ep;
		json_t *kept = json_array();
		bool changed = false;
		size_t j;
		if (!kept)
			goto out;
		json_array_foreach(eps, j, ep) {
			char *k = endpoint_key(ep);
			json_t *want = k ? json_object_get(g->desired, k) : NULL;
			if (want) {
				json_array_append(kept, want);
				if (!endpoint_equal(want, ep))
					changed = true;
				json_object_del(g->desired, k);
			}
			free(k);
		}
		bool labels_changed = !json_equal(labels, json_object_get(json_object_get(s, "metadata"), "labels"));
		if (changed || json_array_size(kept) != json_array_size(eps)) {
			if (json_array_size(kept) == 0) {
				json_array_append(del, s);
			} else {
				json_t *copy = json_deep_copy(s);
				if (!copy) {
					json_decref(kept);
					goto out;
				}
				json_object_set(copy, "endpoints", kept);
				json_object_set(json_object_get(copy, "metadata"), "labels", labels);
				json_array_append_new(updated, copy);
			}
		} else if (labels_changed) {
			json_t *copy = json_deep_copy(s);
			if (!copy) {
				json_decref(kept);
				goto out;
			}
			json_object_set(json_object_get(copy, "metadata"), "labels", labels);
			json_array_append_new(updated, copy);
		} else {
			json_array_append(unchanged, (json_t *)s);
		}
		json_decref(kept);
	}
	/* 2. fill slices being updated anyway, fullest first */
	if (json_object_size(g->desired) > 0 && json_array_size(updated) > 0) {
		size_t n = json_array_size(updated);
		json_t **v = calloc(n, sizeof(*v));
		if (!v)
			goto out;
		for (i = 0; i < n; i++)
			v[i] = json_array_get(updated, i);
		for (i = 0; i < n; i++) /* selection sort by length, descending (n is small) */
			for (size_t j = i + 1; j < n; j++)
				if (slice_len(v[j]) > slice_len(v[i])) {
					json_t *t = v[i];
					v[i] = v[j];
					v[j] = t;
				}
		for (i = 0; i < n; i++) {
			json_t *eps = json_object_get(v[i], "endpoints"), *ep;
			while (json_array_size(eps) < max && (ep = pop_desired(g, &cursor)))
				json_array_append_new(eps, ep);
		}
		free(v);
	}
	/* 3. the rest: into the unchanged slice closest to full that fits them all, else new slices */
	while (json_object_size(g->desired) > 0) {
		size_t left = json_object_size(g->desired), best = max, bi = (size_t)-1;
		json_t *fill = NULL, *eps, *ep;
		if (left < max) {
			json_array_foreach(unchanged, i, s) {
				size_t len = slice_len(s);
				if (len + left <= max && max - (len + left) < best) {
					best = max - (len + left);
					bi = i;
				}
			}
		}
		if (bi != (size_t)-1) {
			fill = json_deep_copy(json_array_get(unchanged, bi));
			json_array_remove(unchanged, bi);
			if (!fill)
				goto out;
			if (!json_is_array(json_object_get(fill, "endpoints")))
				json_object_set_new(fill, "endpoints", json_array());
		} else {
			fill = new_slice(svc, g->ports, addr_type);
			if (!fill)
				goto out;
		}
		eps = json_object_get(fill, "endpoints");
		while (json_array_size(eps) < max && (ep = pop_desired(g, &cursor)))
			json_array_append_new(eps, ep);
		json_array_append_new(bi != (size_t)-1 ? updated : create, fill);
	}
	json_array_extend(update, updated);
	rc = 0;
out:
	json_decref(labels);
	json_decref(unchanged);
	json_decref(updated);
	return rc;
}

static bool placeholder_equal(const json_t *have, const json_t *svc, const char *addr_type)
{
	json_t *labels = slice_labels(svc);
	bool eq = labels && json_equal(labels, json_object_get(json_object_get(have, "metadata"), "labels")) &&
		  owned_by(have, svc) && strcmp(nz(jstr(have, "addressType")), addr_type) == 0 &&
		  slice_len(have) == 0 && json_array_size(json_object_get(have, "ports")) == 0;

	json_decref(labels);
	return eq;
}

static int reconcile_type(const json_t *svc, const json_t *pods_sorted, const json_t *existing, const char *addr_type,
			  size_t max, json_t *create, json_t *update, json_t *del)
{
	int family = strcmp(addr_type, "IPv6") == 0 ? AF_INET6 : AF_INET;
	pm_set_t set = { 0 };
	json_t *c = json_array(), *u = json_array(), *d = json_array(), *s, *pod;
	size_t i, n_existing = 0;
	int rc = -ENOMEM;

	if (!c || !u || !d)
		goto out;
	json_array_foreach(existing, i, s) {
		if (strcmp(nz(jstr(s, "addressType")), addr_type) != 0)
			continue;
		n_existing++;
		if (owned_by(s, svc)) {
			char *key = port_map_key(json_object_get(s, "ports"));
			pm_group_t *g = key ? pm_get(&set, key, NULL) : NULL;
			free(key);
			if (!g)
				goto out;
			json_array_append(g->existing, s);
		} else {
			json_array_append(d, s);
		}
	}
	json_array_foreach(pods_sorted, i, pod) {
		json_t *ports, *ep;
		char *pkey, *ekey;
		pm_group_t *g;
		if (!eps_pod_in_endpoints(pod, true))
			continue;
		ports = endpoint_ports(svc, pod);
		pkey = ports ? port_map_key(ports) : NULL;
		g = pkey ? pm_get(&set, pkey, ports) : NULL;
		if (g && !g->ports)
			g->ports = json_deep_copy(ports); /* group first seen through an existing slice */
		free(pkey);
		json_decref(ports);
		if (!g)
			goto out;
		ep = pod_to_endpoint(pod, svc, family);
		if (!ep)
			goto out;
		if (json_array_size(json_object_get(ep, "addresses")) == 0) {
			json_decref(ep);
			continue;
		}
		ekey = endpoint_key(ep);
		if (ekey && !json_object_get(g->desired, ekey)) {
			json_array_append_new(g->order, json_string(ekey));
			json_object_set(g->desired, ekey, ep);
		}
		free(ekey);
		json_decref(ep);
	}
	for (i = 0; i < set.n; i++) {
		pm_group_t *g = &set.g[i];
		if (!g->ports) {
			/* no pod wants this port mapping any more */
			json_array_extend(d, g->existing);
			continue;
		}
		if (reconcile_pm(svc, g, addr_type, max, c, u, d) < 0)
			goto out;
	}
	/* a Service without endpoints keeps one empty placeholder slice per address type */
	if (n_existing == json_array_size(d) && json_array_size(c) == 0) {
		if (json_array_size(d) == 1 && placeholder_equal(json_array_get(d, 0), svc, addr_type)) {
			json_array_clear(d);
		} else {
			json_t *empty = json_array(), *ph = empty ? new_slice(svc, empty, addr_type) : NULL;
			json_decref(empty);
			if (!ph)
				goto out;
			json_array_append_new(c, ph);
		}
	}
	/* finalize: a create and a delete of the same address type become one update */
	while (json_array_size(c) > 0) {
		size_t k;
		json_t *victim = NULL;
		json_array_foreach(d, k, s) {
			if (owned_by(s, svc)) {
				victim = s;
				break;
			}
		}
		if (!victim)
			break;
		{
			json_t *n = json_incref(json_array_get(c, json_array_size(c) - 1)), *md = json_object_get(n, "metadata");
			json_array_remove(c, json_array_size(c) - 1);
			json_object_del(md, "generateName");
			json_object_set(md, "name", json_object_get(json_object_get(victim, "metadata"), "name"));
			if (json_object_get(json_object_get(victim, "metadata"), "resourceVersion"))
				json_object_set(md, "resourceVersion",
						json_object_get(json_object_get(victim, "metadata"), "resourceVersion"));
			if (json_object_get(json_object_get(victim, "metadata"), "annotations"))
				json_object_set(md, "annotations",
						json_object_get(json_object_get(victim, "metadata"), "annotations"));
			json_array_append_new(u, n);
			json_array_remove(d, k);
		}
	}
	json_array_extend(create, c);
	json_array_extend(update, u);
	json_array_extend(del, d);
	rc = 0;
out:
	pm_set_free(&set);
	json_decref(c);
	json_decref(u);
	json_decref(d);
	return rc;
}

static void set_trigger(json_t *slice, const char *trigger_time)
{
	json_t *md = json_object_get(slice, "metadata"), *ann = json_object_get(md, "annotations");

	if (!json_is_object(ann)) {
		if (!trigger_time)
			return;
		ann = json_object();
		json_object_set_new(md, "annotations", ann);
	}
	if (trigger_time)
		json_object_set_new(ann, EPS_ANNOT_TRIGGER, json_string(trigger_time));
	else
		json_object_del(ann, EPS_ANNOT_TRIGGER);
}

int eps_reconcile(const json_t *svc, const json_t *pods, const json_t *slices, const char *trigger_time,
		  int max_per_slice, eps_plan_t *ret)
{
	eps_plan_t p = { json_array(), json_array(), json_array() };
	size_t max = max_per_slice > 0 ? (size_t)max_per_slice : EPS_MAX_ENDPOINTS_PER_SLICE, i, n;
	json_t *sorted = json_array(), *s;
	json_t **v = NULL;
	bool v4, v6;
	int rc = -ENOMEM;

	if (!json_is_object(svc))
		rc = -EINVAL;
	if (!p.create || !p.update || !p.remove || !sorted || rc == -EINVAL)
		goto fail;
	n = json_array_size(pods);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		goto fail;
	for (i = 0; i < n; i++)
		v[i] = json_array_get(pods, i);
	qsort(v, n, sizeof(*v), cmp_pod_name);
	for (i = 0; i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	svc_address_types(svc, &v4, &v6);
	/* slices of an address type the Service no longer has go away */
	json_array_foreach(slices, i, s) {
		const char *t = nz(jstr(s, "addressType"));
		if (!((v4 && strcmp(t, "IPv4") == 0) || (v6 && strcmp(t, "IPv6") == 0)))
			json_array_append(p.remove, s);
	}
	if ((v4 && reconcile_type(svc, sorted, slices, "IPv4", max, p.create, p.update, p.remove) < 0) ||
	    (v6 && reconcile_type(svc, sorted, slices, "IPv6", max, p.create, p.update, p.remove) < 0))
		goto fail;
	json_array_foreach(p.create, i, s)
		set_trigger(s, trigger_time);
	json_array_foreach(p.update, i, s)
		set_trigger(s, trigger_time);
	json_decref(sorted);
	*ret = p;
	return 0;
fail:
	json_decref(sorted);
	eps_plan_clear(&p);
	return rc;
}

void eps_plan_clear(eps_plan_t *p)
{
	if (!p)
		return;
	json_decref(p->create);
	json_decref(p->update);
	json_decref(p->remove);
	p->create = p->update = p->remove = NULL;
}

size_t eps_plan_size(const eps_plan_t *p)
{
	return json_array_size(p->create) + json_array_size(p->update) + json_array_size(p->remove);
}

/* ---- legacy Endpoints ---- */

/* podToEndpointAddressForService: the pod's IP of the Service's (primary) family. */
static const char *endpoints_family_ip(const json_t *svc, const json_t *pod, char *buf, size_t len)
{
	const json_t *spec = json_object_get(svc, "spec");
	const char *fam = json_string_value(json_array_get(json_object_get(spec, "ipFamilies"), 0));
	int family;
	json_t *ips = json_array();
	const char *ip;

	if (!ips)
		return NULL;
	if (fam)
		family = strcmp(fam, "IPv6") == 0 ? AF_INET6 : AF_INET;
	else if (svc_ip_set(svc))
		family = family_of(jstr(spec, "clusterIP"));
	else
		family = family_of(jstr(json_object_get(pod, "status"), "podIP"));
	if (!family)
		family = AF_INET;
	pod_ips(pod, family, ips);
	ip = json_string_value(json_array_get(ips, 0));
	if (ip)
		snprintf(buf, len, "%s", ip);
	json_decref(ips);
	return ip ? buf : NULL;
}

static int cmp_addr(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(nz(jstr(x, "ip")), nz(jstr(y, "ip")));
	return c ? c : strcmp(nz(jstr(json_object_get(x, "targetRef"), "uid")),
			      nz(jstr(json_object_get(y, "targetRef"), "uid")));
}

static void sort_array(json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(arr), i;
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

static int cmp_port(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(nz(jstr(x, "name")), nz(jstr(y, "name")));
	if (c)
		return c;
	c = (int)(json_integer_value(json_object_get(x, "port")) - json_integer_value(json_object_get(y, "port")));
	return c ? c : strcmp(nz(jstr(x, "protocol")), nz(jstr(y, "protocol")));
}

static int cmp_subset(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	char *sx = json_dumps(json_object_get(x, "ports"), JSON_COMPACT | JSON_SORT_KEYS),
	     *sy = json_dumps(json_object_get(y, "ports"), JSON_COMPACT | JSON_SORT_KEYS);
	int c = strcmp(sx ? sx : "", sy ? sy : "");

	free(sx);
	free(sy);
	return c;
}

json_t *eps_endpoints_desired(const json_t *svc, const json_t *pods, const char *trigger_time)
{
	const json_t *spec = json_object_get(svc, "spec"), *svc_ports = json_object_get(spec, "ports"), *pod, *sp;
	bool tolerate = svc_publish_not_ready(svc);
	json_t *groups = json_object(); /* port-set key -> subset */
	json_t *ep = NULL, *labels = json_object(), *subsets = json_array(), *v;
	const char *k;
	size_t i, j;

	if (!groups || !labels || !subsets)
		goto out;
	json_array_foreach(pods, i, pod) {
		char ipbuf[64], *key;
		const char *ip, *node, *host;
		json_t *addr, *ports, *sub;
		if (!eps_pod_in_endpoints(pod, tolerate))
			continue;
		ip = endpoints_family_ip(svc, pod, ipbuf, sizeof(ipbuf));
		if (!ip)
			continue;
		addr = json_pack("{s:s, s:o}", "ip", ip, "targetRef", target_ref(pod));
		if (!addr)
			goto out;
		node = jstr(json_object_get(pod, "spec"), "nodeName");
		host = pod_hostname_for(pod, svc);
		if (node && *node)
			json_object_set_new(addr, "nodeName", json_string(node));
		if (host)
			json_object_set_new(addr, "hostname", json_string(host));
		ports = json_array();
		if (!ports) {
			json_decref(addr);
			goto out;
		}
		if (json_array_size(svc_ports) == 0) {
			/* a headless Service may have no ports: addresses only */
			if (!svc_headless_none(svc)) {
				json_decref(addr);
				json_decref(ports);
				continue;
			}
		} else {
			json_array_foreach(svc_ports, j, sp) {
				int n = eps_find_port(pod, sp);
				json_t *p;
				if (n < 0)
					continue;
				p = json_pack("{s:i, s:s}", "port", n, "protocol",
					      jstr(sp, "protocol") ? jstr(sp, "protocol") : "TCP");
				if (!p)
					continue;
				if (jstr(sp, "name") && *jstr(sp, "name"))
					json_object_set(p, "name", json_object_get(sp, "name"));
				if (jstr(sp, "appProtocol"))
					json_object_set(p, "appProtocol", json_object_get(sp, "appProtocol"));
				json_array_append_new(ports, p);
			}
			if (json_array_size(ports) == 0) {
				json_decref(addr);
				json_decref(ports);
				continue;
			}
		}
		sort_array(ports, cmp_port);
		key = json_dumps(ports, JSON_COMPACT | JSON_SORT_KEYS);
		sub = key ? json_object_get(groups, key) : NULL;
		if (key && !sub) {
			sub = json_object();
			if (sub && json_array_size(ports) > 0)
				json_object_set(sub, "ports", ports);
			if (sub)
				json_object_set_new(groups, key, sub);
		}
		free(key);
		json_decref(ports);
		if (!sub) {
			json_decref(addr);
			goto out;
		}
		{
			const char *which = tolerate || eps_pod_ready(pod) ? "addresses" : "notReadyAddresses";
			json_t *arr = json_object_get(sub, which);
			if (!arr) {
				arr = json_array();
				json_object_set_new(sub, which, arr);
			}
			json_array_append_new(arr, addr);
		}
	}
	json_object_foreach(groups, k, v) {
		sort_array(json_object_get(v, "addresses"), cmp_addr);
		sort_array(json_object_get(v, "notReadyAddresses"), cmp_addr);
		json_array_append(subsets, v);
	}
	sort_array(subsets, cmp_subset);
	json_object_foreach(json_object_get(json_object_get(svc, "metadata"), "labels"), k, v)
		if (strcmp(k, EPS_LABEL_HEADLESS) != 0)
			json_object_set(labels, k, v);
	if (!svc_ip_set(svc))
		json_object_set_new(labels, EPS_LABEL_HEADLESS, json_string(""));
	ep = json_pack("{s:s, s:s, s:{s:s, s:s, s:O}}", "apiVersion", "v1", "kind", "Endpoints", "metadata", "name",
		       nz(meta_str(svc, "name")), "namespace", nz(meta_str(svc, "namespace")), "labels", labels);
	if (!ep)
		goto out;
	if (trigger_time)
		json_object_set_new(json_object_get(ep, "metadata"), "annotations",
				    json_pack("{s:s}", EPS_ANNOT_TRIGGER, trigger_time));
	if (json_array_size(subsets) > 0)
		json_object_set(ep, "subsets", subsets);
out:
	json_decref(groups);
	json_decref(labels);
	json_decref(subsets);
	return ep;
}

bool eps_endpoints_equal(const json_t *have, const json_t *want)
{
	const json_t *hs = json_object_get(have, "subsets"), *ws = json_object_get(want, "subsets");
	const json_t *hl = json_object_get(json_object_get(have, "metadata"), "labels"),
		     *wl = json_object_get(json_object_get(want, "metadata"), "labels");
	bool subsets_eq = (json_array_size(hs) == 0 && json_array_size(ws) == 0) || (hs && ws && json_equal(hs, ws));
	bool labels_eq = (json_object_size(hl) == 0 && json_object_size(wl) == 0) || (hl && wl && json_equal(hl, wl));

	return subsets_eq && labels_eq;
}
