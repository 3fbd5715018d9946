/* The kubernetes Service's endpoints: one round every 10 s renews our Lease, lists the live ones,
 * and brings the Endpoints and the EndpointSlice "kubernetes" in line (a GET, then a PUT or POST only
 * when something differs). A failed step ends the round; the next round starts over. */
#include "controllers/apiserver_ep.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "client/leader.h"

#define LEASES "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
#define EP_PATH "/api/v1/namespaces/default/endpoints"
#define SLICE_PATH "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
#define ANN_IP "portico.dev/advertise-address"
#define ANN_PORT "portico.dev/advertise-port"

struct apiserver_ep {
	kclient_t *c;
	char ip[64], lease_name[128];
	int port, family;
	struct event *timer;
	kclient_req_t *req;
	json_t *live; /* {ip: port} of the live servers, this round */
};

static void step_lease_get(apiserver_ep_t *a);
static void step_list(apiserver_ep_t *a);
static void step_endpoints(apiserver_ep_t *a);
static void step_slice(apiserver_ep_t *a);

static int ep_send(apiserver_ep_t *a, const char *method, const char *path, const json_t *body, kclient_cb cb)
{
	int rc = kclient_request(a->c, method, path, body, NULL, cb, a, &a->req);
	if (rc < 0)
		a->req = NULL;
	return rc;
}

static json_t *lease_new(apiserver_ep_t *a)
{
	char now[40], port[16];

	leader_micro_time(now, sizeof(now));
	snprintf(port, sizeof(port), "%d", a->port);
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}, s:{s:s, s:s}}, s:{s:s, s:i, s:s, s:s}}", "apiVersion",
			 "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name", a->lease_name, "namespace",
			 "kube-system", "labels", APISERVER_EP_LABEL, "true", "annotations", ANN_IP, a->ip, ANN_PORT,
			 port, "spec", "holderIdentity", a->lease_name, "leaseDurationSeconds", APISERVER_EP_LEASE_SEC,
			 "acquireTime", now, "renewTime", now);
}

static void on_lease_written(int status, json_t *body, void *arg)
{
	apiserver_ep_t *a = arg;

	a->req = NULL;
	if (status == 200 || status == 201)
		step_list(a);
}

static void on_lease_get(int status, json_t *body, void *arg)
{
	apiserver_ep_t *a = arg;
	json_t *lease = lease_new(a);
	char path[256];

	a->req = NULL;
	if (!lease)
		return;
	if (status == 404) {
		ep_send(a, "POST", LEASES, lease, on_lease_written);
	} else if (status == 200) {
		/* renew: our fields over the stored object, its resourceVersion kept */
		const json_t *md = json_object_get(body, "metadata");
		json_object_set(json_object_get(lease, "metadata"), "resourceVersion",
				json_object_get(md, "resourceVersion"));
		snprintf(path, sizeof(path), LEASES "/%s", a->lease_name);
		ep_send(a, "PUT", path, lease, on_lease_written);
	}
	json_decref(lease);
}

static void step_lease_get(apiserver_ep_t *a)
{
	char path[256];

	snprintf(path, sizeof(path), LEASES "/%s", a->lease_name);
	ep_send(a, "GET", path, NULL, on_lease_get);
}

static time_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	const char *end;

	if (!s)
		return 0;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	return timegm(&tm);
}

static void on_list(int status, json_t *body, void *arg)
{
	apiserver_ep_t *a = arg;
	const json_t *items = json_object_get(body, "items"), *l;
	time_t now = time(NULL);
	size_t i;

	a->req = NULL;
	if (status != 200)
		return;
	json_object_clear(a->live);
	json_object_set_new(a->live, a->ip, json_integer(a->port));
	json_array_foreach(items, i, l) {
		const json_t *ann = json_object_get(json_object_get(l, "metadata"), "annotations");
		const json_t *spec = json_object_get(l, "spec");
		const char *ip = json_string_value(json_object_get(ann, ANN_IP)),
			   *port = json_string_value(json_object_get(ann, ANN_PORT));
		time_t renewed = parse_time(json_string_value(json_object_get(spec, "renewTime")));
		json_int_t dur = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
		unsigned char buf[16];
		char *end;
		long p;
		if (!ip || !port || inet_pton(a->family, ip, buf) != 1 || renewed + dur < now)
			continue;
		p = strtol(port, &end, 10);
		if (*end || p <= 0 || p > 65535)
			continue;
		json_object_set_new(a->live, ip, json_integer(p));
	}
	step_endpoints(a);
}

static void step_list(apiserver_ep_t *a)
{
	ep_send(a, "GET", LEASES "?labelSelector=" APISERVER_EP_LABEL "%3Dtrue", NULL, on_list);
}

static int cmp_json_str(const void *x, const void *y)
{
	return strcmp(json_string_value(*(json_t *const *)x), json_string_value(*(json_t *const *)y));
}

/* The live addresses serving port, sorted. */
static json_t *addresses_on(apiserver_ep_t *a, json_int_t port)
{
	json_t *v, *out = json_array();
	const char *ip;
	json_t **tmp;
	size_t n = 0, i;

	if (!out)
		return NULL;
	tmp = calloc(json_object_size(a->live) + 1, sizeof(*tmp));
	if (!tmp)
		return out;
	json_object_foreach(a->live, ip, v)
		if (json_integer_value(v) == port)
			tmp[n++] = json_string(ip);
	qsort(tmp, n, sizeof(*tmp), cmp_json_str);
	for (i = 0; i < n; i++)
		json_array_append_new(out, tmp[i]);
	free(tmp);
	return out;
}

static json_t *subsets_desired(apiserver_ep_t *a)
{
	json_t *subsets = json_array(), *ports = json_object(), *v;
	const char *ip;

	if (!subsets || !ports)
		goto out;
	json_object_foreach(a->live, ip, v) {
		char key[16];
		snprintf(key, sizeof(key), "%05lld", (long long)json_integer_value(v));
		json_object_set(ports, key, v);
	}
	json_object_foreach(ports, ip, v) {
		json_t *addrs = addresses_on(a, json_integer_value(v)), *list = json_array(), *x;
		size_t i;
		json_array_foreach(addrs, i, x)
			json_array_append_new(list, json_pack("{s:O}", "ip", x));
		json_array_append_new(subsets, json_pack("{s:o, s:[{s:s, s:O, s:s}]}", "addresses", list, "ports",
							 "name", "https", "port", v, "protocol", "TCP"));
		json_decref(addrs);
	}
out:
	json_decref(ports);
	return subsets;
}

static void on_ep_written(int status, json_t *body, void *arg)
{
	apiserver_ep_t *a = arg;

	a->req = NULL;
	if (status == 200 || status == 201)
		step_slice(a);
}

static void on_ep_get(int status, json_t *body, void *arg)
{
	apiserver_ep_t *a = arg;
	json_t *want = subsets_desired(a), *obj;

	a->req = NULL;
	if (!want)
		return;
	if (status == 200) {
		if (json_equal(json_object_get(body, "subsets"), want)) {
			json_decref(want);
			step_slice(a);
			return;
		}
		obj = json_deep_copy(body);
		if (obj) {
			json_object_set(obj, "subsets", want);
			ep_send(a, "PUT", EP_PATH "/kubernetes", obj, on_ep_written);
			json_decref(obj);
		}
	} else if (status == 404) {
		/* skip-mirror: the EndpointSlice is written here, not by a mirroring controller */
		obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:O}", "apiVersion", "v1", "kind", "Endpoints",
				"metadata", "name", "kubernetes", "namespace", "default", "labels",
				"endpointslice.kubernetes.io/skip-mirror", "true", "subsets", want);
		if (obj)
			ep_send(a, "POST", EP_PATH, obj, on_ep_written);
		json_decref(obj);
	}
	json_decref(want);
}

static void step_endpoints(apiserver_ep_t *a)
{
	ep_send(a, "GET", EP_PATH "/kubernetes", NULL, on_ep_get);
}

static void on_slice_written(int status, json_t *body, void *arg)
{
	apiserver_ep_t *a = arg;

	a->req = NULL;
}

static void on_slice_get(int status, json_t *body, void *arg)
{
	apiserver_ep_t *a = arg;
	json_t *addrs = addresses_on(a, a->port), *eps = json_array(), *ports, *x, *obj = NULL;
	const char *type = a->family == AF_INET6 ? "IPv6" : "IPv4";
	size_t i;

	a->req = NULL;
	if (!addrs || !eps)
		goto out;
	json_array_foreach(addrs, i, x)
		json_array_append_new(eps, json_pack("{s:[O], s:{s:b}}", "addresses", x, "conditions", "ready", 1));
	ports = json_pack("[{s:s, s:i, s:s}]", "name", "https", "port", a->port, "protocol", "TCP");
	if (status == 200) {
		if (json_equal(json_object_get(body, "endpoints"), eps) && json_equal(json_object_get(body, "ports"), ports) &&
		    strcmp(type, json_string_value(json_object_get(body, "addressType")) ?: "") == 0) {
			json_decref(ports);
			goto out;
		}
		obj = json_deep_copy(body);
		if (obj) {
			json_object_set(obj, "endpoints", eps);
			json_object_set(obj, "ports", ports);
			if (strcmp(type, json_string_value(json_object_get(body, "addressType")) ?: "") != 0) {
				/* addressType is immutable: replace the slice */
				ep_send(a, "DELETE", SLICE_PATH "/kubernetes", NULL, on_slice_written);
			} else {
				ep_send(a, "PUT", SLICE_PATH "/kubernetes", obj, on_slice_written);
			}
		}
	} else if (status == 404) {
		obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:s, s:O, s:O}", "apiVersion", "discovery.k8s.io/v1",
				"kind", "EndpointSlice", "metadata", "name", "kubernetes", "namespace", "default", "labels",
				"kubernetes.io/service-name", "kubernetes", "addressType", type, "endpoints", eps, "ports",
				ports);
		if (obj)
			ep_send(a, "POST", SLICE_PATH, obj, on_slice_written);
	}
	json_decref(ports);
out:
	json_decref(obj);
	json_decref(addrs);
	json_decref(eps);
}

static void step_slice(apiserver_ep_t *a)
{
	ep_send(a, "GET", SLICE_PATH "/kubernetes", NULL, on_slice_get);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	apiserver_ep_t *a = arg;
	struct timeval tv = { APISERVER_EP_INTERVAL_SEC, 0 };

	evtimer_add(a->timer, &tv);
	kclient_cancel(a->req); /* a round still stuck is abandoned */
	a->req = NULL;
	step_lease_get(a);
}

int apiserver_ep_new(kclient_t *c, const char *ip, int port, apiserver_ep_t **ret)
{
	apiserver_ep_t *a;
	unsigned char buf[16];
	struct timeval now = { 0, 0 };
	int family;
	size_t i;

	if (!ip || port <= 0 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, ip, buf) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, ip, buf) == 1)
		family = AF_INET6;
	else
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->c = c;
	a->port = port;
	a->family = family;
	inet_ntop(family, buf, a->ip, sizeof(a->ip));
	snprintf(a->lease_name, sizeof(a->lease_name), "portico-apiserver-%s-%d", a->ip, port);
	for (i = 0; a->lease_name[i]; i++)
		if (a->lease_name[i] == '.' || a->lease_name[i] == ':')
			a->lease_name[i] = '-';
	a->live = json_object();
	a->timer = evtimer_new(kclient_base(c), on_timer, a);
	if (!a->live || !a->timer) {
		apiserver_ep_free(a);
		return -ENOMEM;
	}
	evtimer_add(a->timer, &now);
	*ret = a;
	return 0;
}

void apiserver_ep_free(apiserver_ep_t *a)
{
	if (!a)
		return;
	kclient_cancel(a->req);
	if (a->timer)
		event_free(a->timer);
	json_decref(a->live);
	free(a);
}
