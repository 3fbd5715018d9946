/* Service defaulting and the registry strategy's field fix-ups: SetDefaults_Service
 * (pkg/apis/core/v1/defaults.go), NormalizeClusterIPs and dropTypeDependentFields
 * (pkg/registry/core/service/strategy.go), patchAllocatedValues (storage/storage.go), and the JSON type
 * check that lets everything after it trust field types. */
#include "lib/service.h"
#include "lib/svc_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/field_err.h"

const char *svc_type(const json_t *svc)
{
	return jstr(jspec(svc), "type");
}

bool svc_is_headless(const json_t *svc)
{
	json_t *ips = jget(jspec(svc), "clusterIPs");
	json_t *first = json_is_array(ips) && json_array_size(ips) == 1 ? json_array_get(ips, 0) : NULL;

	return json_is_string(first) && strcmp(json_string_value(first), "None") == 0;
}

/* pkg/api/service/util.go ExternallyAccessible: external traffic reaches NodePort and LoadBalancer
 * Services, and ClusterIP ones through spec.externalIPs. */
bool svc_externally_accessible(const json_t *svc)
{
	const char *t = svc_type(svc);

	return strcmp(t, "LoadBalancer") == 0 || strcmp(t, "NodePort") == 0 ||
	       (strcmp(t, "ClusterIP") == 0 && jlen(jspec(svc), "externalIPs") > 0);
}

bool svc_needs_health_check(const json_t *svc)
{
	return strcmp(svc_type(svc), "LoadBalancer") == 0 &&
	       strcmp(jstr(jspec(svc), "externalTrafficPolicy"), "Local") == 0;
}

/* ---- type check ------------------------------------------------------------------------------------ */

enum jt { T_STR, T_INT32, T_BOOL, T_OBJ, T_STRLIST, T_OBJLIST, T_INTORSTR, T_STRMAP };

static bool is_int32(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= INT32_MIN && json_integer_value(v) <= INT32_MAX;
}

/* Worded as meta_validate.c words the same situation: upstream's decoder answers 400 earlier. */
static void type_error(json_t *errs, const char *field, const json_t *v, const char *type)
{
	char detail[48];

	snprintf(detail, sizeof(detail), "must be of type %s", type);
	ferr_invalid(errs, field, v, detail);
}

/* One member: its own type, then for lists and maps each element (errors name the element). */
static int check_member(const json_t *v, const char *path, enum jt t, json_t *errs)
{
	const char *k;
	json_t *e;
	size_t i;
	int bad = 0;
	char epath[96];

	switch (t) {
	case T_STR:
		return json_is_string(v) ? 0 : (type_error(errs, path, v, "string"), 1);
	case T_INT32:
		return is_int32(v) ? 0 : (type_error(errs, path, v, "int32"), 1);
	case T_BOOL:
		return json_is_boolean(v) ? 0 : (type_error(errs, path, v, "boolean"), 1);
	case T_OBJ:
		return json_is_object(v) ? 0 : (type_error(errs, path, v, "object"), 1);
	case T_INTORSTR:
		return is_int32(v) || json_is_string(v) ? 0 : (type_error(errs, path, v, "int32 or string"), 1);
	case T_STRLIST:
	case T_OBJLIST:
		if (!json_is_array(v))
			return type_error(errs, path, v, "array"), 1;
		json_array_foreach(v, i, e) {
			if (t == T_STRLIST ? json_is_string(e) : json_is_object(e))
				continue;
			snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
			type_error(errs, epath, e, t == T_STRLIST ? "string" : "object");
			bad++;
		}
		return bad;
	case T_STRMAP:
		if (!json_is_object(v))
			return type_error(errs, path, v, "object"), 1;
		json_object_foreach((json_t *)v, k, e) {
			if (json_is_string(e) || json_is_null(e))
				continue;
			type_error(errs, path, e, "string"); /* as ValidateLabels, the map's path */
			bad++;
		}
		return bad;
	}
	return 0;
}

struct field_type {
	const char *name;
	enum jt type;
};

static const struct field_type spec_fields[] = {
	{ "type", T_STR }, { "clusterIP", T_STR }, { "clusterIPs", T_STRLIST }, { "externalName", T_STR },
	{ "externalIPs", T_STRLIST }, { "sessionAffinity", T_STR }, { "sessionAffinityConfig", T_OBJ },
	{ "externalTrafficPolicy", T_STR }, { "internalTrafficPolicy", T_STR },
	{ "healthCheckNodePort", T_INT32 }, { "ipFamilies", T_STRLIST }, { "ipFamilyPolicy", T_STR },
	{ "loadBalancerIP", T_STR }, { "loadBalancerSourceRanges", T_STRLIST }, { "loadBalancerClass", T_STR },
	{ "allocateLoadBalancerNodePorts", T_BOOL }, { "publishNotReadyAddresses", T_BOOL },
	{ "trafficDistribution", T_STR }, { "selector", T_STRMAP }, { "ports", T_OBJLIST },
};

static const struct field_type port_fields[] = {
	{ "name", T_STR }, { "protocol", T_STR }, { "appProtocol", T_STR }, { "port", T_INT32 },
	{ "targetPort", T_INTORSTR }, { "nodePort", T_INT32 },
};

static int check_fields(const json_t *o, const char *prefix, const struct field_type *f, size_t n, json_t *errs)
{
	int bad = 0;
	char path[96];

	for (size_t i = 0; i < n; i++) {
		json_t *v = jget(o, f[i].name);

		if (!v)
			continue;
		snprintf(path, sizeof(path), "%s.%s", prefix, f[i].name);
		bad += check_member(v, path, f[i].type, errs);
	}
	return bad;
}

int svc_check_types(const json_t *svc, json_t *errs)
{
	json_t *spec = jget(svc, "spec"), *ports, *p, *sac, *status;
	int bad = 0;
	size_t i;

	if (spec && !json_is_object(spec))
		return check_member(spec, "spec", T_OBJ, errs);
	bad += check_fields(spec, "spec", spec_fields, sizeof(spec_fields) / sizeof(spec_fields[0]), errs);
	ports = jget(spec, "ports");
	if (json_is_array(ports)) {
		json_array_foreach(ports, i, p) {
			char pfx[48];

			snprintf(pfx, sizeof(pfx), "spec.ports[%zu]", i);
			bad += check_fields(p, pfx, port_fields, sizeof(port_fields) / sizeof(port_fields[0]), errs);
		}
	}
	sac = jget(spec, "sessionAffinityConfig");
	if (json_is_object(sac)) {
		json_t *cip = jget(sac, "clientIP"), *to = jget(cip, "timeoutSeconds");

		if (cip && !json_is_object(cip))
			bad += check_member(cip, "spec.sessionAffinityConfig.clientIP", T_OBJ, errs);
		else if (to)
			bad += check_member(to, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", T_INT32, errs);
	}
	status = jget(svc, "status");
	if (status)
		bad += check_member(status, "status", T_OBJ, errs);
	return bad;
}

/* ---- SetDefaults_Service --------------------------------------------------------------------------- */

static void set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, json_string(v));
}

void svc_default(json_t *svc)
{
	json_t *spec, *ports, *p, *lb;
	const char *aff, *type;
	size_t i;

	if (!json_is_object(svc))
		return;
	spec = jget(svc, "spec");
	if (!spec) {
		/* Spec is a struct upstream: an absent one gets the same defaults as an empty one. */
		spec = json_object();
		if (!spec || json_object_set_new(svc, "spec", spec) < 0)
			return;
	}
	if (!json_is_object(spec))
		return;

	aff = jstr(spec, "sessionAffinity");
	if (!jget(spec, "sessionAffinity") || !*aff) {
		set_str(spec, "sessionAffinity", "None");
		aff = "None";
	}
	if (strcmp(aff, "None") == 0) {
		json_object_del(spec, "sessionAffinityConfig");
	} else if (strcmp(aff, "ClientIP") == 0) {
		/* v1.DefaultClientIPServiceAffinitySeconds: 3 hours, replacing any partial config. */
		json_t *cfg = jget(spec, "sessionAffinityConfig"), *cip = jget(cfg, "clientIP");

		if (!jget(cip, "timeoutSeconds"))
			json_object_set_new(spec, "sessionAffinityConfig",
					    json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds", 10800));
	}

	if (!jget(spec, "type") || !*jstr(spec, "type"))
		set_str(spec, "type", "ClusterIP");
	type = jstr(spec, "type");

	ports = jget(spec, "ports");
	if (json_is_array(ports)) {
		json_array_foreach(ports, i, p) {
			json_t *tp;

			if (!json_is_object(p))
				continue;
			if (!*jstr(p, "protocol") && (!jget(p, "protocol") || json_is_string(jget(p, "protocol"))))
				set_str(p, "protocol", "TCP");
			/* targetPort 0 or "" means "same as port" (intstr.FromInt32(sp.Port)). */
			tp = jget(p, "targetPort");
			if (!tp || (json_is_integer(tp) && json_integer_value(tp) == 0) ||
			    (json_is_string(tp) && !*json_string_value(tp))) {
				json_t *port = jget(p, "port");

				if (!port || is_int32(port))
					json_object_set_new(p, "targetPort", json_integer(jint(p, "port")));
			}
		}
	}

	if (svc_externally_accessible(svc) && !*jstr(spec, "externalTrafficPolicy") &&
	    (!jget(spec, "externalTrafficPolicy") || json_is_string(jget(spec, "externalTrafficPolicy"))))
		set_str(spec, "externalTrafficPolicy", "Cluster");

	if (!jget(spec, "internalTrafficPolicy") &&
	    (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer") || !strcmp(type, "ClusterIP")))
		set_str(spec, "internalTrafficPolicy", "Cluster");

	if (!strcmp(type, "LoadBalancer")) {
		json_t *ing;

		if (!jget(spec, "allocateLoadBalancerNodePorts"))
			json_object_set_new(spec, "allocateLoadBalancerNodePorts", json_true());
		/* LoadBalancerIPMode (GA): an ingress IP without ipMode is a VIP. */
		lb = jget(jget(svc, "status"), "loadBalancer");
		ing = jget(lb, "ingress");
		if (json_is_array(ing)) {
			json_array_foreach(ing, i, p) {
				if (json_is_object(p) && *jstr(p, "ip") && !jget(p, "ipMode"))
					set_str(p, "ipMode", "VIP");
			}
		}
	}
}

/* ---- strategy ---------------------------------------------------------------------------------------- */

static bool str_list_equal(const json_t *a, const json_t *b)
{
	size_t na = json_is_array(a) ? json_array_size(a) : 0, nb = json_is_array(b) ? json_array_size(b) : 0;

	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!json_equal(json_array_get(a, i), json_array_get(b, i)))
			return false;
	return true;
}

/* NormalizeClusterIPs: users either set clusterIP alone (old clients) or both; keep the plural in sync
 * with the singular when only the singular changed. */
static void normalize_cluster_ips(json_t *svc, const json_t *old)
{
	json_t *spec = jspec(svc), *ospec = jspec(old);
	const char *ip = jstr(spec, "clusterIP");

	if (!spec)
		return;
	if (!old) {
		if (*ip && jlen(spec, "clusterIPs") == 0)
			json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
		return;
	}
	/* An old client patching something else and not sending clusterIPs. */
	if (jlen(ospec, "clusterIPs") > 0 && jlen(spec, "clusterIPs") == 0 &&
	    strcmp(jstr(ospec, "clusterIP"), ip) == 0)
		json_object_set_new(spec, "clusterIPs", json_deep_copy(jget(ospec, "clusterIPs")));

	if (strcmp(jstr(ospec, "clusterIP"), ip) != 0 &&
	    str_list_equal(jget(ospec, "clusterIPs"), jget(spec, "clusterIPs"))) {
		if (*jstr(ospec, "clusterIP") && !*ip)
			json_object_del(spec, "clusterIPs"); /* cleared the singular: clear on their behalf */
		else
			json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
	}
}

void svc_prepare_create(json_t *svc)
{
	if (!json_is_object(svc))
		return;
	/* The main resource ignores status: it is set through the status subresource only. */
	json_object_set_new(svc, "status", json_pack("{s:{}}", "loadBalancer"));
	normalize_cluster_ips(svc, NULL);
}

static bool needs_cluster_ip(const json_t *svc)
{
	return strcmp(svc_type(svc), "ExternalName") != 0;
}

static bool needs_node_port(const json_t *svc)
{
	const char *t = svc_type(svc);

	return !strcmp(t, "NodePort") || !strcmp(t, "LoadBalancer");
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* The non-zero nodePorts of a Service, sorted (a malloc'd array, *n entries; NULL when none). Sorted
 * arrays keep the set operations O(n log n) whatever the number of ports a client sends. */
static long long *node_ports(const json_t *svc, size_t *n)
{
	json_t *ports = jget(jspec(svc), "ports"), *p;
	long long *out;
	size_t i, k = 0;

	*n = 0;
	if (!json_is_array(ports) || !json_array_size(ports))
		return NULL;
	out = malloc(json_array_size(ports) * sizeof(*out));
	if (!out)
		return NULL;
	json_array_foreach(ports, i, p)
		if (jint(p, "nodePort"))
			out[k++] = jint(p, "nodePort");
	qsort(out, k, sizeof(*out), cmp_ll);
	*n = k;
	return out;
}

static bool ll_has(const long long *v, size_t n, long long x)
{
	return n && bsearch(&x, v, n, sizeof(*v), cmp_ll) != NULL;
}

struct named_port {
	const char *name;
	long long node_port;
	size_t idx;
};

/* By name, then by position, so the last port of a name ends its group. */
static int cmp_named(const void *a, const void *b)
{
	const struct named_port *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_name_only(const void *a, const void *b)
{
	return strcmp(((const struct named_port *)a)->name, ((const struct named_port *)b)->name);
}

/* patchAllocatedValues: re-applying the same YAML (no clusterIP, no nodePorts) keeps what was allocated. */
static void patch_allocated(json_t *svc, const json_t *old)
{
	json_t *spec = jspec(svc), *ospec = jspec(old);

	if (!spec || !ospec)
		return;
	if (needs_cluster_ip(old) && needs_cluster_ip(svc)) {
		if (!*jstr(spec, "clusterIP") && *jstr(ospec, "clusterIP"))
			set_str(spec, "clusterIP", jstr(ospec, "clusterIP"));
		if (jlen(spec, "clusterIPs") == 0 && jlen(ospec, "clusterIPs") > 0)
			json_object_set_new(spec, "clusterIPs", json_deep_copy(jget(ospec, "clusterIPs")));
	}

	if (needs_node_port(old) && needs_node_port(svc)) {
		json_t *oports = jget(ospec, "ports"), *ports = jget(spec, "ports"), *p;
		size_t n_old, n_new, i, n_named = 0;
		long long *used_old = node_ports(old, &n_old), *used_new = node_ports(svc, &n_new);
		struct named_port *np = NULL;

		/* Map old nodePorts by port name; the last one of a name wins, as a Go map assignment. */
		if (json_is_array(oports) && json_array_size(oports))
			np = calloc(json_array_size(oports), sizeof(*np));
		if (np) {
			json_array_foreach(oports, i, p)
				np[n_named++] = (struct named_port){ jstr(p, "name"), jint(p, "nodePort"), i };
			qsort(np, n_named, sizeof(*np), cmp_named);
		}
		if (np && json_is_array(ports)) {
			json_array_foreach(ports, i, p) {
				struct named_port key = { jstr(p, "name"), 0, 0 }, *hit;
				long long val;

				if (!json_is_object(p) || jint(p, "nodePort"))
					continue;
				hit = bsearch(&key, np, n_named, sizeof(*np), cmp_name_only);
				if (!hit)
					continue;
				while (hit + 1 < np + n_named && strcmp(hit[1].name, key.name) == 0)
					hit++;
				val = hit->node_port;
				/* A value still used by another port of the new object cannot be patched in. */
				if (val && !(ll_has(used_old, n_old, val) && ll_has(used_new, n_new, val)))
					json_object_set_new(p, "nodePort", json_integer(val));
			}
		}
		free(np);
		free(used_old);
		free(used_new);
	}

	if (svc_needs_health_check(old) && svc_needs_health_check(svc) && !jint(spec, "healthCheckNodePort") &&
	    jint(ospec, "healthCheckNodePort"))
		json_object_set_new(spec, "healthCheckNodePort", json_integer(jint(ospec, "healthCheckNodePort")));
}

void svc_prepare_update(json_t *svc, const json_t *old)
{
	if (!json_is_object(svc))
		return;
	patch_allocated(svc, old);
	normalize_cluster_ips(svc, old);
}

static bool same_member(const json_t *a, const json_t *b, const char *k)
{
	json_t *x = jget(a, k), *y = jget(b, k);

	/* Go compares zero values: an absent string equals "". */
	if ((!x || (json_is_string(x) && !*json_string_value(x))) &&
	    (!y || (json_is_string(y) && !*json_string_value(y))))
		return true;
	return x && y && json_equal(x, y);
}

/* dropTypeDependentFields: wipe a field only when it no longer applies, we may have set it ourselves,
 * and the user did not also change it (a change must fail validation instead). */
static void drop_type_dependent(json_t *svc, const json_t *old)
{
	json_t *spec = jspec(svc), *ospec = jspec(old), *status;

	if (!spec)
		return;
	if (needs_cluster_ip(old) && !needs_cluster_ip(svc)) {
		if (same_member(ospec, spec, "clusterIP") &&
		    str_list_equal(jget(ospec, "clusterIPs"), jget(spec, "clusterIPs"))) {
			json_object_del(spec, "clusterIP");
			json_object_del(spec, "clusterIPs");
		}
		if (str_list_equal(jget(ospec, "ipFamilies"), jget(spec, "ipFamilies")))
			json_object_del(spec, "ipFamilies");
		if (same_member(ospec, spec, "ipFamilyPolicy"))
			json_object_del(spec, "ipFamilyPolicy");
	}

	if (needs_node_port(old) && !needs_node_port(svc)) {
		size_t n_old, n_new, i;
		long long *o = node_ports(old, &n_old), *n = node_ports(svc, &n_new);
		bool subset = true;
		json_t *p;

		/* Users may add, remove or modify ports as long as they add no net-new nodePort. */
		for (i = 0; i < n_new && subset; i++)
			subset = ll_has(o, n_old, n[i]);
		if (subset) {
			json_array_foreach(jget(spec, "ports"), i, p)
				if (json_is_object(p))
					json_object_del(p, "nodePort");
		}
		free(o);
		free(n);
	}

	if (svc_needs_health_check(old) && !svc_needs_health_check(svc) &&
	    jint(ospec, "healthCheckNodePort") == jint(spec, "healthCheckNodePort"))
		json_object_del(spec, "healthCheckNodePort");

	if (!strcmp(svc_type(old), "LoadBalancer") && strcmp(svc_type(svc), "LoadBalancer") != 0) {
		json_t *a = jget(ospec, "allocateLoadBalancerNodePorts"), *b = jget(spec, "allocateLoadBalancerNodePorts");

		if (json_is_boolean(a) && json_is_boolean(b) && json_equal(a, b))
			json_object_del(spec, "allocateLoadBalancerNodePorts");
		if ((!jget(ospec, "loadBalancerClass") && !jget(spec, "loadBalancerClass")) ||
		    (jget(ospec, "loadBalancerClass") && jget(spec, "loadBalancerClass") &&
		     json_equal(jget(ospec, "loadBalancerClass"), jget(spec, "loadBalancerClass"))))
			json_object_del(spec, "loadBalancerClass");
	}

	if (svc_externally_accessible(old) && !svc_externally_accessible(svc) &&
	    same_member(ospec, spec, "externalTrafficPolicy"))
		json_object_del(spec, "externalTrafficPolicy");

	/* LB de-provisioning is asynchronous, but the user need not see that. */
	status = jget(svc, "status");
	if (strcmp(svc_type(svc), "LoadBalancer") != 0 && json_is_object(status))
		json_object_set_new(status, "loadBalancer", json_object());
}

void svc_finish_update(json_t *svc, const json_t *old)
{
	json_t *ost;

	if (!json_is_object(svc))
		return;
	/* The main resource ignores status changes (PrepareForUpdate: newService.Status = oldService.Status). */
	ost = jget(old, "status");
	if (json_is_object(ost))
		json_object_set_new(svc, "status", json_deep_copy(ost));
	else
		json_object_set_new(svc, "status", json_pack("{s:{}}", "loadBalancer"));
	drop_type_dependent(svc, old);
}
