/* Service spec validation as kube-apiserver's ValidateService and ValidateServiceUpdate
 * (pkg/apis/core/validation/validation.go): same rules, same order, same field paths and messages,
 * including upstream's quirks (the "spec.LoadBalancerSourceRanges" path, the unprefixed
 * "allocateLoadBalancerNodePorts" path, Go %#v renderings of slices and structs). */
#include "lib/service.h"
#include "lib/svc_json.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/field_err.h"
#include "lib/meta_validate.h"

#define MSG_PORT_NUM "must be between 1 and 65535, inclusive"
#define MSG_BAD_IP "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
#define MSG_BAD_CIDR "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
#define MSG_LB_ONLY "may only be used when `type` is 'LoadBalancer'"
#define MSG_EXTNAME "may not be set for ExternalName services"
#define MSG_CLIENTIP "when session affinity type is ClientIP"
#define ANN_LB_SOURCE_RANGES "service.beta.kubernetes.io/load-balancer-source-ranges"
#define MAX_AFFINITY_SECONDS 86400 /* core.MaxClientIPServiceAffinitySeconds */

static const char *const protocols[] = { "SCTP", "TCP", "UDP", NULL };
static const char *const affinities[] = { "ClientIP", "None", NULL };
static const char *const types[] = { "ClusterIP", "ExternalName", "LoadBalancer", "NodePort", NULL };
static const char *const traffic_policies[] = { "Cluster", "Local", NULL };
static const char *const families[] = { "IPv4", "IPv6", NULL };
static const char *const family_policies[] = { "PreferDualStack", "RequireDualStack", "SingleStack", NULL };
static const char *const distributions[] = { "PreferClose", NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* A cause whose value is already rendered (Go %#v of a slice or struct, which field_err cannot do). */
static void add_raw(json_t *errs, const char *reason, const char *type, const char *field, const char *raw,
		    const char *detail)
{
	char *msg = NULL;
	json_t *c;

	if (!raw)
		return;
	if ((detail ? asprintf(&msg, "%s: %s: %s", type, raw, detail) : asprintf(&msg, "%s: %s", type, raw)) < 0)
		return;
	c = json_pack("{s:s, s:s, s:s}", "reason", reason, "message", msg, "field", field);
	free(msg);
	if (c)
		json_array_append_new(errs, c);
}

static void invalid_raw(json_t *errs, const char *field, const char *raw, const char *detail)
{
	add_raw(errs, "FieldValueInvalid", "Invalid value", field, raw, detail);
}

/* Go's %#v of a []T of strings: []string(nil) when absent, []string{} when empty. Caller frees. */
static char *go_slice(const json_t *o, const char *k, const char *elem_type)
{
	json_t *v = jget(o, k), *e;
	char *out = NULL, *q;
	size_t len = 0, i;
	FILE *f;

	if (!json_is_array(v)) {
		if (asprintf(&out, "[]%s(nil)", elem_type) < 0)
			return NULL;
		return out;
	}
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fprintf(f, "[]%s{", elem_type);
	json_array_foreach(v, i, e) {
		q = ferr_quote(json_is_string(e) ? json_string_value(e) : "");
		fprintf(f, "%s%s", i ? ", " : "", q ? q : "\"\"");
		free(q);
	}
	fputc('}', f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void invalid_slice(json_t *errs, const char *field, const json_t *spec, const char *k, const char *elem,
			  const char *detail)
{
	char *raw = go_slice(spec, k, elem);

	invalid_raw(errs, field, raw, detail);
	free(raw);
}

/* A *string field as Go prints it in an error: nil pointers come out as "null" (quoted, since the
 * field.Error formatter substitutes the string "null"). */
static const char *ptr_str(const json_t *o, const char *k)
{
	return jget(o, k) ? jstr(o, k) : "null";
}

/* ---- duplicates ---------------------------------------------------------------------------------- */

struct keyed {
	char *key;
	size_t idx;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* dup[i] is true when an earlier entry has the same key (NULL keys take no part). Sorting keeps this
 * O(n log n) whatever the number of ports a client sends. Takes the keys (frees them); returns a
 * calloc'd array of n, or NULL on ENOMEM or n == 0. */
static bool *mark_dups(char **keys, size_t n)
{
	struct keyed *k = n ? calloc(n, sizeof(*k)) : NULL;
	bool *dup = n ? calloc(n, sizeof(*dup)) : NULL;
	size_t m = 0;

	if (k && dup) {
		for (size_t i = 0; i < n; i++)
			if (keys[i])
				k[m++] = (struct keyed){ keys[i], i };
		qsort(k, m, sizeof(*k), cmp_keyed);
		for (size_t i = 1; i < m; i++)
			if (strcmp(k[i].key, k[i - 1].key) == 0)
				dup[k[i].idx] = true;
	} else {
		free(dup);
		dup = NULL;
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(k);
	return dup;
}

/* ---- IPs --------------------------------------------------------------------------------------------- */

int svc_ip_parse(const char *s, uint8_t ret[16])
{
	uint8_t b[16];

	if (!s)
		return 0;
	if (inet_pton(AF_INET, s, b) == 1) {
		memcpy(ret, b, 4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, b) != 1)
		return 0;
	/* An IPv4-mapped IPv6 address is IPv4 to Go (To4() != nil), hence to netutils.IsIPv4String. */
	if (!memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		memcpy(ret, b + 12, 4);
		return AF_INET;
	}
	memcpy(ret, b, 16);
	return AF_INET6;
}

/* netutils.ParseCIDRSloppy: an IP, '/', a decimal prefix length in range. */
static bool cidr_ok(const char *s)
{
	const char *slash = strrchr(s, '/');
	char ip[64];
	uint8_t b[16];
	int fam, bits = 0;
	size_t n;

	if (!slash || (size_t)(slash - s) >= sizeof(ip) || !slash[1] || strlen(slash + 1) > 3)
		return false;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	for (n = 1; slash[n]; n++) {
		if (!isdigit((unsigned char)slash[n]))
			return false;
		bits = bits * 10 + (slash[n] - '0');
	}
	if (inet_pton(AF_INET, ip, b) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, ip, b) == 1)
		fam = AF_INET6;
	else
		return false;
	return bits <= (fam == AF_INET ? 32 : 128);
}

/* ValidateNonSpecialIP: unspecified and loopback addresses make no sense as external IPs, link-local
 * ones are used for node-centric purposes (e.g. the metadata service). Go's net.IP predicates. */
static void non_special_ip(json_t *errs, const char *path, const char *s)
{
	uint8_t b[16];
	int fam = svc_ip_parse(s, b);
	char *msg;

	if (!fam) {
		ferr_invalid_str(errs, path, s, "must be a valid IP address");
		return;
	}
	if ((fam == AF_INET && !memcmp(b, "\0\0\0\0", 4)) ||
	    (fam == AF_INET6 && !memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16))) {
		if (asprintf(&msg, "may not be unspecified (%s)", s) >= 0) {
			ferr_invalid_str(errs, path, s, msg);
			free(msg);
		}
	}
	if ((fam == AF_INET && b[0] == 127) ||
	    (fam == AF_INET6 && !memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16)))
		ferr_invalid_str(errs, path, s, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
	if ((fam == AF_INET && b[0] == 169 && b[1] == 254) || (fam == AF_INET6 && b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
		ferr_invalid_str(errs, path, s, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
	if ((fam == AF_INET && b[0] == 224 && b[1] == 0 && b[2] == 0) ||
	    (fam == AF_INET6 && b[0] == 0xff && (b[1] & 0x0f) == 0x02))
		ferr_invalid_str(errs, path, s,
				 "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
}

/* ValidateServiceClusterIPsRelatedFields: clusterIP vs clusterIPs, ipFamilies and ipFamilyPolicy
 * values, "None" placement, at most one IP per family, each IP matching its family. */
void svc_validate_cluster_ips(const json_t *svc, json_t *errs)
{
	json_t *spec = jspec(svc), *fams;
	size_t n_ips = jlen(spec, "clusterIPs"), n_fams = jlen(spec, "ipFamilies"), i;
	bool bad_ips = false;
	char path[64];

	/* ExternalName ones were checked before: all must be unset. */
	if (!strcmp(svc_type(svc), "ExternalName"))
		return;

	if (*jstr(spec, "clusterIP")) {
		if (n_ips == 0)
			ferr_required(errs, "spec.clusterIPs", NULL);
		else if (strcmp(jat(spec, "clusterIPs", 0), jstr(spec, "clusterIP")) != 0)
			invalid_slice(errs, "spec.clusterIPs", spec, "clusterIPs", "string",
				      "first value must match `clusterIP`");
	} else if (n_ips != 0) {
		invalid_slice(errs, "spec.clusterIPs", spec, "clusterIPs", "string",
			      "must be empty when `clusterIP` is not specified");
	}

	fams = jget(spec, "ipFamilies");
	if (n_fams) {
		char **keys = calloc(n_fams, sizeof(*keys));
		bool *dup;

		for (i = 0; keys && i < n_fams; i++)
			keys[i] = strdup(jat(spec, "ipFamilies", i));
		dup = keys ? mark_dups(keys, n_fams) : NULL;
		free(keys);
		for (i = 0; i < n_fams; i++) {
			const char *f = jat(spec, "ipFamilies", i);

			snprintf(path, sizeof(path), "spec.ipFamilies[%zu]", i);
			if (!in_list(f, families))
				ferr_not_supported_str(errs, path, f, families);
			/* also what makes two families dual-stack, in either order */
			if (dup && dup[i])
				ferr_duplicate(errs, path, json_array_get(fams, i));
		}
		free(dup);
	}

	if (jget(spec, "ipFamilyPolicy") && !in_list(jstr(spec, "ipFamilyPolicy"), family_policies))
		ferr_not_supported_str(errs, "spec.ipFamilyPolicy", jstr(spec, "ipFamilyPolicy"), family_policies);

	for (i = 0; i < n_ips; i++) {
		const char *ip = jat(spec, "clusterIPs", i);
		uint8_t b[16];

		if (i == 0 && !strcmp(ip, "None")) {
			if (n_ips > 1) {
				bad_ips = true;
				invalid_slice(errs, "spec.clusterIPs", spec, "clusterIPs", "string",
					      "'None' must be the first and only value");
			}
			continue;
		}
		if (!svc_ip_parse(ip, b)) {
			bad_ips = true;
			snprintf(path, sizeof(path), "spec.clusterIPs[%zu]", i);
			ferr_invalid_str(errs, path, ip, MSG_BAD_IP);
		}
	}
	if (n_ips > 2)
		invalid_slice(errs, "spec.clusterIPs", spec, "clusterIPs", "string", "may only hold up to 2 values");
	/* Bad IPs would skew the family checks below. */
	if (bad_ips)
		return;

	/* netutils.IsDualStackIPStrings: some IPv4 and some IPv6 (more than two was reported above). */
	if (n_ips > 1) {
		bool v4 = false, v6 = false;
		uint8_t b[16];

		for (i = 0; i < n_ips; i++) {
			if (svc_ip_parse(jat(spec, "clusterIPs", i), b) == AF_INET6)
				v6 = true;
			else
				v4 = true;
		}
		if (!v4 || !v6)
			invalid_slice(errs, "spec.clusterIPs", spec, "clusterIPs", "string",
				      "may specify no more than one IP for each IP family");
	}

	if (!svc_is_headless(svc)) {
		for (i = 0; i < n_ips && i < n_fams; i++) {
			const char *ip = jat(spec, "clusterIPs", i), *f = jat(spec, "ipFamilies", i);
			uint8_t b[16];
			bool v6 = svc_ip_parse(ip, b) == AF_INET6;
			char msg[96];

			snprintf(path, sizeof(path), "spec.clusterIPs[%zu]", i);
			if ((!strcmp(f, "IPv4") && v6) || (!strcmp(f, "IPv6") && !v6)) {
				snprintf(msg, sizeof(msg), "expected an %s value as indicated by `ipFamilies[%zu]`",
					 v6 ? "IPv4" : "IPv6", i);
				ferr_invalid_str(errs, path, ip, msg);
			}
		}
	}
}

/* ---- ports ------------------------------------------------------------------------------------------- */

static void validate_port(json_t *errs, const json_t *p, size_t i, bool require_name, bool dup_name)
{
	char base[48], path[80];
	const char *name = jstr(p, "name"), *proto = jstr(p, "protocol");
	long long port = jint(p, "port");
	json_t *tp = jget(p, "targetPort");

	snprintf(base, sizeof(base), "spec.ports[%zu]", i);
	snprintf(path, sizeof(path), "%s.name", base);
	if (require_name && !*name) {
		ferr_required(errs, path, NULL);
	} else if (*name) {
		name_check_field(errs, path, NAME_CHECK_DNS1123_LABEL, name);
		if (dup_name)
			ferr_duplicate(errs, path, jget(p, "name"));
	}

	snprintf(path, sizeof(path), "%s.port", base);
	if (port < 1 || port > 65535)
		ferr_invalid_int(errs, path, port, MSG_PORT_NUM);

	snprintf(path, sizeof(path), "%s.protocol", base);
	if (!*proto)
		ferr_required(errs, path, NULL);
	else if (!in_list(proto, protocols))
		ferr_not_supported_str(errs, path, proto, protocols);

	/* ValidatePortNumOrName; an absent targetPort is intstr's zero value, the integer 0. */
	snprintf(path, sizeof(path), "%s.targetPort", base);
	if (json_is_string(tp)) {
		name_check_field(errs, path, NAME_CHECK_IANA_SVC_NAME, json_string_value(tp));
	} else {
		long long t = json_is_integer(tp) ? json_integer_value(tp) : 0;

		if (t < 1 || t > 65535)
			ferr_invalid_int(errs, path, t, MSG_PORT_NUM);
	}

	if (jget(p, "appProtocol")) {
		snprintf(path, sizeof(path), "%s.appProtocol", base);
		name_check_field(errs, path, NAME_CHECK_QUALIFIED_NAME, jstr(p, "appProtocol"));
	}
}

/* Go's %#v of the internal core.ServicePort key upstream uses for duplicate (protocol, port) pairs. */
static void duplicate_port(json_t *errs, const char *path, const char *proto, long long port)
{
	char *q = ferr_quote(proto), *raw = NULL;

	if (q && asprintf(&raw, "core.ServicePort{Name:\"\", Protocol:%s, AppProtocol:(*string)(nil), Port:%lld, "
			  "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}", q, port) >= 0)
		add_raw(errs, "FieldValueDuplicate", "Duplicate value", path, raw, NULL);
	free(q);
	free(raw);
}

static void validate_ports(const json_t *svc, json_t *errs)
{
	json_t *spec = jspec(svc), *ports = jget(spec, "ports"), *p;
	size_t n = json_is_array(ports) ? json_array_size(ports) : 0, i;
	char **keys = n ? calloc(n, sizeof(*keys)) : NULL;
	bool *dup = NULL;

	if (n && !keys)
		return;
	json_array_foreach(ports, i, p)
		keys[i] = *jstr(p, "name") ? strdup(jstr(p, "name")) : NULL;
	dup = mark_dups(keys, n);
	json_array_foreach(ports, i, p)
		validate_port(errs, p, i, n > 1, dup && dup[i]);
	free(dup);
	free(keys);
}

/* Duplicate nodePorts and ports, each keyed by protocol as upstream. */
static void validate_port_dups(const json_t *svc, json_t *errs)
{
	json_t *ports = jget(jspec(svc), "ports"), *p;
	size_t n = json_is_array(ports) ? json_array_size(ports) : 0, i;
	char **keys;
	bool *dup;
	char path[80];

	if (!n || !(keys = calloc(n, sizeof(*keys))))
		return;
	json_array_foreach(ports, i, p)
		if (jint(p, "nodePort") && asprintf(&keys[i], "%lld:%s", jint(p, "nodePort"), jstr(p, "protocol")) < 0)
			keys[i] = NULL;
	dup = mark_dups(keys, n);
	json_array_foreach(ports, i, p) {
		if (dup && dup[i]) {
			snprintf(path, sizeof(path), "spec.ports[%zu].nodePort", i);
			ferr_duplicate(errs, path, jget(p, "nodePort"));
		}
	}
	free(dup);

	json_array_foreach(ports, i, p)
		if (asprintf(&keys[i], "%lld:%s", jint(p, "port"), jstr(p, "protocol")) < 0)
			keys[i] = NULL;
	dup = mark_dups(keys, n);
	json_array_foreach(ports, i, p) {
		if (dup && dup[i]) {
			snprintf(path, sizeof(path), "spec.ports[%zu]", i);
			duplicate_port(errs, path, jstr(p, "protocol"), jint(p, "port"));
		}
	}
	free(dup);
	free(keys);
}

/* ---- the rest of the spec ------------------------------------------------------------------------------ */

static void validate_affinity(const json_t *spec, json_t *errs)
{
	const char *aff = jstr(spec, "sessionAffinity");
	json_t *cfg = jget(spec, "sessionAffinityConfig"), *cip = jget(cfg, "clientIP");

	if (!*aff)
		ferr_required(errs, "spec.sessionAffinity", NULL);
	else if (!in_list(aff, affinities))
		ferr_not_supported_str(errs, "spec.sessionAffinity", aff, affinities);

	if (!strcmp(aff, "ClientIP")) {
		long long t;

		if (!cfg) {
			ferr_required(errs, "spec.sessionAffinityConfig", MSG_CLIENTIP);
		} else if (!cip) {
			ferr_required(errs, "spec.sessionAffinityConfig.clientIP", MSG_CLIENTIP);
		} else if (!jget(cip, "timeoutSeconds")) {
			ferr_required(errs, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", MSG_CLIENTIP);
		} else if ((t = jint(cip, "timeoutSeconds")) <= 0 || t > MAX_AFFINITY_SECONDS) {
			ferr_invalid_int(errs, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", t,
					 "must be greater than 0 and less than 86400");
		}
	} else if (!strcmp(aff, "None") && cfg) {
		ferr_forbidden(errs, "spec.sessionAffinityConfig", "must not be set when session affinity is None");
	}
}

static void validate_source_ranges(const json_t *svc, json_t *errs)
{
	json_t *spec = jspec(svc), *ann = jget(jget(svc, "metadata"), "annotations");
	bool lb = !strcmp(svc_type(svc), "LoadBalancer");
	size_t n = jlen(spec, "loadBalancerSourceRanges");
	char path[96], *val, *tok, *save = NULL;

	if (n) {
		/* Upstream's path really is capitalised (specPath.Child("LoadBalancerSourceRanges")). */
		if (!lb)
			ferr_forbidden(errs, "spec.LoadBalancerSourceRanges", MSG_LB_ONLY);
		for (size_t i = 0; i < n; i++) {
			/* Space padding is allowed: a historical accident of the annotation. */
			const char *s = jat(spec, "loadBalancerSourceRanges", i);
			size_t len;

			while (isspace((unsigned char)*s))
				s++;
			len = strlen(s);
			while (len && isspace((unsigned char)s[len - 1]))
				len--;
			val = strndup(s, len);
			snprintf(path, sizeof(path), "spec.LoadBalancerSourceRanges[%zu]", i);
			if (val && !cidr_ok(val))
				ferr_invalid_str(errs, path, val, MSG_BAD_CIDR);
			free(val);
		}
		return;
	}
	if (!json_is_string(jget(ann, ANN_LB_SOURCE_RANGES)))
		return;
	snprintf(path, sizeof(path), "metadata.annotations[%s]", ANN_LB_SOURCE_RANGES);
	if (!lb)
		ferr_forbidden(errs, path, MSG_LB_ONLY);
	val = strdup(jstr(ann, ANN_LB_SOURCE_RANGES));
	for (tok = val ? strtok_r(val, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
		size_t len;

		while (isspace((unsigned char)*tok))
			tok++;
		len = strlen(tok);
		while (len && isspace((unsigned char)tok[len - 1]))
			tok[--len] = '\0';
		if (!cidr_ok(tok))
			ferr_invalid_str(errs, path, tok, MSG_BAD_CIDR);
	}
	free(val);
}

/* validateLoadBalancerClassField: immutable while the Service stays a LoadBalancer. */
static void validate_lb_class(const json_t *old, const json_t *svc, json_t *errs)
{
	json_t *spec = jspec(svc), *ospec = jspec(old);
	bool lb = !strcmp(svc_type(svc), "LoadBalancer");

	if (old && lb && !strcmp(svc_type(old), "LoadBalancer")) {
		json_t *a = jget(ospec, "loadBalancerClass"), *b = jget(spec, "loadBalancerClass");

		if ((!a) != (!b) || (a && !json_equal(a, b)))
			ferr_invalid_str(errs, "spec.loadBalancerClass", ptr_str(spec, "loadBalancerClass"),
					 "may not change once set");
	}
	if (!jget(spec, "loadBalancerClass"))
		return;
	if (lb)
		name_check_field(errs, "spec.loadBalancerClass", NAME_CHECK_QUALIFIED_NAME,
				 jstr(spec, "loadBalancerClass"));
	else
		ferr_forbidden(errs, "spec.loadBalancerClass", MSG_LB_ONLY);
}

static void validate_traffic(const json_t *svc, json_t *errs)
{
	json_t *spec = jspec(svc);
	const char *etp = jstr(spec, "externalTrafficPolicy"), *type = svc_type(svc);
	long long hc = jint(spec, "healthCheckNodePort");

	if (!svc_externally_accessible(svc)) {
		if (*etp)
			ferr_invalid_str(errs, "spec.externalTrafficPolicy", etp,
					 "may only be set for externally-accessible services");
	} else if (!*etp) {
		ferr_required(errs, "spec.externalTrafficPolicy", NULL);
	} else if (!in_list(etp, traffic_policies)) {
		ferr_not_supported_str(errs, "spec.externalTrafficPolicy", etp, traffic_policies);
	}

	if (!svc_needs_health_check(svc)) {
		if (hc)
			ferr_invalid_int(errs, "spec.healthCheckNodePort", hc,
					 "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
	} else if (!hc) {
		ferr_required(errs, "spec.healthCheckNodePort", NULL);
	} else if (hc < 1 || hc > 65535) {
		ferr_invalid_int(errs, "spec.healthCheckNodePort", hc, MSG_PORT_NUM);
	}

	/* Not forbidden on other types: it was not checked before beta and stored objects must stay valid. */
	if (!jget(spec, "internalTrafficPolicy")) {
		if (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer") || !strcmp(type, "ClusterIP"))
			ferr_required(errs, "spec.internalTrafficPolicy", NULL);
	} else if (!in_list(jstr(spec, "internalTrafficPolicy"), traffic_policies)) {
		ferr_not_supported_str(errs, "spec.internalTrafficPolicy", jstr(spec, "internalTrafficPolicy"),
				       traffic_policies);
	}

	if (jget(spec, "trafficDistribution") && !in_list(jstr(spec, "trafficDistribution"), distributions))
		ferr_not_supported_str(errs, "spec.trafficDistribution", jstr(spec, "trafficDistribution"),
				       distributions);
}

static void validate_service(const json_t *svc, json_t *errs)
{
	json_t *spec = jspec(svc), *sel = jget(spec, "selector"), *v, *ports = jget(spec, "ports"), *p;
	const char *type = svc_type(svc), *k;
	bool headless = svc_is_headless(svc);
	char path[64];
	size_t i, n;

	if (jlen(spec, "ports") == 0 && !headless && strcmp(type, "ExternalName") != 0)
		ferr_required(errs, "spec.ports", NULL);

	if (!strcmp(type, "LoadBalancer") && headless) {
		ferr_invalid_str(errs, "spec.clusterIPs[0]", "None", "may not be set to 'None' for LoadBalancer services");
	} else if (!strcmp(type, "NodePort") && headless) {
		ferr_invalid_str(errs, "spec.clusterIPs[0]", "None", "may not be set to 'None' for NodePort services");
	} else if (!strcmp(type, "ExternalName")) {
		const char *name = jstr(spec, "externalName");
		size_t len = strlen(name);

		if (jlen(spec, "clusterIPs"))
			ferr_forbidden(errs, "spec.clusterIPs", MSG_EXTNAME);
		if (jlen(spec, "ipFamilies"))
			ferr_forbidden(errs, "spec.ipFamilies", MSG_EXTNAME);
		if (jget(spec, "ipFamilyPolicy"))
			ferr_forbidden(errs, "spec.ipFamilyPolicy", MSG_EXTNAME);
		/* The value (a CNAME) may have one trailing dot to mark it fully qualified. */
		if (len && name[len - 1] == '.')
			len--;
		if (len) {
			char *cname = strndup(name, len);

			if (cname)
				name_check_field(errs, "spec.externalName", NAME_CHECK_DNS1123_SUBDOMAIN, cname);
			free(cname);
		} else {
			ferr_required(errs, "spec.externalName", NULL);
		}
	}

	validate_ports(svc, errs);

	if (json_is_object(sel)) {
		json_object_foreach(sel, k, v) {
			/* unversionedvalidation.ValidateLabels: key and value errors at the map's path. */
			name_check_field(errs, "spec.selector", NAME_CHECK_QUALIFIED_NAME, k);
			name_check_field(errs, "spec.selector", NAME_CHECK_LABEL_VALUE,
					 json_is_string(v) ? json_string_value(v) : "");
		}
	}

	validate_affinity(spec, errs);
	svc_validate_cluster_ips(svc, errs);

	n = jlen(spec, "externalIPs");
	for (i = 0; i < n; i++) {
		const char *ip = jat(spec, "externalIPs", i);
		uint8_t b[16];

		snprintf(path, sizeof(path), "spec.externalIPs[%zu]", i);
		if (!svc_ip_parse(ip, b))
			ferr_invalid_str(errs, path, ip, MSG_BAD_IP);
		else
			non_special_ip(errs, path, ip);
	}

	if (!*type)
		ferr_required(errs, "spec.type", NULL);
	else if (!in_list(type, types))
		ferr_not_supported_str(errs, "spec.type", type, types);

	if (!strcmp(type, "ClusterIP")) {
		json_array_foreach(ports, i, p) {
			if (jint(p, "nodePort")) {
				snprintf(path, sizeof(path), "spec.ports[%zu].nodePort", i);
				ferr_forbidden(errs, path, "may not be used when `type` is 'ClusterIP'");
			}
		}
	}

	validate_port_dups(svc, errs);
	validate_source_ranges(svc, errs);

	if (jget(spec, "allocateLoadBalancerNodePorts") && strcmp(type, "LoadBalancer") != 0)
		ferr_forbidden(errs, "spec.allocateLoadBalancerNodePorts", MSG_LB_ONLY);
	/* Upstream's path has no "spec." here (field.NewPath("allocateLoadBalancerNodePorts")). */
	if (!strcmp(type, "LoadBalancer") && !jget(spec, "allocateLoadBalancerNodePorts"))
		ferr_required(errs, "allocateLoadBalancerNodePorts", NULL);

	validate_lb_class(NULL, svc, errs);
	validate_traffic(svc, errs);
}

/* ---- update ------------------------------------------------------------------------------------------ */

/* validateUpgradeDowngradeClusterIPs: a secondary IP may be added or dropped (dropping needs
 * SingleStack), the primary never changes, except to or from ExternalName. */
static void upgrade_downgrade_ips(const json_t *old, const json_t *svc, json_t *errs)
{
	json_t *spec = jspec(svc), *ospec = jspec(old);
	size_t n_old = jlen(ospec, "clusterIPs"), n_new = jlen(spec, "clusterIPs");
	char path[64];

	if (!strcmp(svc_type(svc), "ExternalName") || !strcmp(svc_type(old), "ExternalName"))
		return;
	if (svc_is_headless(old) && svc_is_headless(svc))
		return;

	if (n_old == n_new) {
		for (size_t i = 0; i < n_old; i++) {
			if (strcmp(jat(ospec, "clusterIPs", i), jat(spec, "clusterIPs", i)) != 0) {
				snprintf(path, sizeof(path), "spec.clusterIPs[%zu]", i);
				invalid_slice(errs, path, spec, "clusterIPs", "string", "may not change once set");
			}
		}
	} else if (n_old > n_new) {
		if (n_new == 0)
			invalid_slice(errs, "spec.clusterIPs[0]", spec, "clusterIPs", "string",
				      "primary clusterIP can not be unset");
		if (n_new > 0 && strcmp(jat(spec, "clusterIPs", 0), jat(ospec, "clusterIPs", 0)) != 0)
			invalid_slice(errs, "spec.clusterIPs[0]", spec, "clusterIPs", "string", "may not change once set");
		if (n_new == 1 && strcmp(jstr(spec, "ipFamilyPolicy"), "SingleStack") != 0)
			ferr_invalid_str(errs, "spec.ipFamilyPolicy", ptr_str(spec, "ipFamilyPolicy"),
					 "must be set to 'SingleStack' when releasing the secondary clusterIP");
	} else if (n_old > 0 && strcmp(jat(spec, "clusterIPs", 0), jat(ospec, "clusterIPs", 0)) != 0) {
		invalid_slice(errs, "spec.clusterIPs[0]", spec, "clusterIPs", "string", "may not change once set");
	}
}

/* validateUpgradeDowngradeIPFamilies; upstream renders clusterIPs as the value of two of these. */
static void upgrade_downgrade_families(const json_t *old, const json_t *svc, json_t *errs)
{
	json_t *spec = jspec(svc), *ospec = jspec(old);
	size_t n_old = jlen(ospec, "ipFamilies"), n_new = jlen(spec, "ipFamilies");

	if (!strcmp(svc_type(svc), "ExternalName") || !strcmp(svc_type(old), "ExternalName"))
		return;
	/* Headless Services may change families, and so may a change to or from headless. */
	if (svc_is_headless(svc) || svc_is_headless(old))
		return;

	if (n_old == n_new) {
		for (size_t i = 0; i < n_old; i++)
			if (strcmp(jat(ospec, "ipFamilies", i), jat(spec, "ipFamilies", i)) != 0)
				invalid_slice(errs, "spec.ipFamilies[0]", spec, "ipFamilies", "core.IPFamily",
					      "may not change once set");
	} else if (n_old > n_new) {
		if (jlen(spec, "clusterIPs") == 0)
			invalid_slice(errs, "spec.ipFamilies[0]", spec, "ipFamilies", "core.IPFamily",
				      "primary ipFamily can not be unset");
		if (n_new > 0 && strcmp(jat(spec, "ipFamilies", 0), jat(ospec, "ipFamilies", 0)) != 0)
			invalid_slice(errs, "spec.ipFamilies[0]", spec, "clusterIPs", "string", "may not change once set");
		if (n_new == 1 && strcmp(jstr(spec, "ipFamilyPolicy"), "SingleStack") != 0)
			ferr_invalid_str(errs, "spec.ipFamilyPolicy", ptr_str(spec, "ipFamilyPolicy"),
					 "must be set to 'SingleStack' when releasing the secondary ipFamily");
	} else if (n_old > 0 && n_new > 0 && strcmp(jat(spec, "ipFamilies", 0), jat(ospec, "ipFamilies", 0)) != 0) {
		invalid_slice(errs, "spec.ipFamilies[0]", spec, "clusterIPs", "string", "may not change once set");
	}
}

void svc_validate(const json_t *svc, const json_t *old, json_t *errs)
{
	if (!json_is_array(errs))
		return;
	if (old) {
		upgrade_downgrade_ips(old, svc, errs);
		upgrade_downgrade_families(old, svc, errs);
		validate_lb_class(old, svc, errs);
		/* validateServiceExternalTrafficFieldsUpdate */
		if (svc_needs_health_check(old) && svc_needs_health_check(svc) &&
		    jint(jspec(old), "healthCheckNodePort") != jint(jspec(svc), "healthCheckNodePort"))
			ferr_forbidden(errs, "spec.healthCheckNodePort", "field is immutable");
	}
	validate_service(svc, errs);
}
