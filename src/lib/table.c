/* Server-side printing: the columns and cells kube-apiserver's printers give each served kind
 * (pkg/printers/internalversion/printers.go), wrapped in a meta.k8s.io/v1 Table. The server always
 * prints with Wide=true (pkg/printers/storage), so priority-1 columns always carry cells and the
 * LoadBalancer ingress list is never clipped; kubectl hides the wide columns itself. */
#include "lib/table.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"

/* Column descriptions: the swagger docs upstream looks up with SwaggerDoc(), verbatim, so that
 * clients comparing against kube-apiserver see the same text. */
#define D_OBJECTMETA_NAME "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
#define D_OBJECTMETA_CREATIONTIMESTAMP "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
#define D_SERVICESPEC_TYPE "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"
#define D_SERVICESPEC_CLUSTERIP "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
#define D_SERVICESPEC_EXTERNALIPS "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system."
#define D_SERVICESPEC_PORTS "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
#define D_SERVICESPEC_SELECTOR "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/"
#define D_PODSTATUS_PODIP "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."
#define D_PODSPEC_NODENAME "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
#define D_PODSTATUS_NOMINATEDNODENAME "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled."
#define D_PODSPEC_READINESSGATES "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"
#define D_ENDPOINTS_SUBSETS "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."
#define D_NODESYSTEMINFO_KUBELETVERSION "Kubelet Version reported by the node."
#define D_NODESTATUS_ADDRESSES "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP)."
#define D_NODESYSTEMINFO_OSIMAGE "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."
#define D_NODESYSTEMINFO_KERNELVERSION "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."
#define D_NODESYSTEMINFO_CONTAINERRUNTIMEVERSION "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."
#define D_EVENT_LASTTIMESTAMP "The time at which the most recent occurrence of this event was recorded."
#define D_EVENT_TYPE "Type of this event (Normal, Warning), new types could be added in the future"
#define D_EVENT_REASON "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."
#define D_EVENT_INVOLVEDOBJECT "The object that this event is about."
#define D_OBJECTREFERENCE_FIELDPATH "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object."
#define D_EVENT_SOURCE "The component reporting this event. Should be a short machine understandable string."
#define D_EVENT_MESSAGE "A human-readable description of the status of this operation."
#define D_EVENT_FIRSTTIMESTAMP "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"
#define D_EVENT_COUNT "The number of times this event has occurred."
#define D_CONFIGMAP_DATA "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."
#define D_DEPLOYMENTSTATUS_UPDATEDREPLICAS "Total number of non-terminating pods targeted by this deployment that have the desired template spec."
#define D_DEPLOYMENTSTATUS_AVAILABLEREPLICAS "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment."
#define D_DEPLOYMENTSPEC_SELECTOR "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."
#define D_ENDPOINTSLICE_ADDRESSTYPE "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name."
#define D_ENDPOINTSLICE_PORTS "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates \"all ports\". Each slice may include a maximum of 100 ports."
#define D_ENDPOINTSLICE_ENDPOINTS "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints."
#define D_LEASESPEC_HOLDERIDENTITY "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field."
#define D_NAMESPACE_STATUS "The status of the namespace"
#define D_NODE_STATUS "The status of the node"
#define D_NODE_ROLES "The roles of the node"
#define D_POD_READY "The aggregate readiness state of this pod for accepting traffic."
#define D_POD_STATUS "The aggregate status of the containers in this pod."
#define D_POD_RESTARTS "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."
#define D_DEPLOYMENT_READY "Number of the pod with ready state"
#define D_CONTAINERS "Names of each container in the template."
#define D_IMAGES "Images referenced by each container in the template."

/* ---- Typed JSON access. Upstream decodes into Go structs first, so a field of the wrong JSON type
 * never reaches a printer; here it reads as absent, which is what the Go zero value prints as. ---- */

static json_t *jget(const json_t *o, const char *key)
{
	if (!o || !json_is_object(o))
		return NULL;
	return json_object_get(o, key);
}

static json_t *jobj(const json_t *o, const char *key)
{
	json_t *v = jget(o, key);
	return json_is_object(v) ? v : NULL;
}

static json_t *jarr(const json_t *o, const char *key)
{
	json_t *v = jget(o, key);
	return json_is_array(v) ? v : NULL;
}

static const char *jstr(const json_t *o, const char *key)
{
	json_t *v = jget(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Go's string zero value: "" for absent. */
static const char *jstr0(const json_t *o, const char *key)
{
	const char *s = jstr(o, key);
	return s ? s : "";
}

/* An int32 field (every number these printers read is one). Go refuses 1.0 or 2^31 for an int32,
 * so those read as absent, which also keeps sums of them far from overflow. */
static long long jint(const json_t *o, const char *key)
{
	json_t *v = jget(o, key);
	if (!json_is_integer(v))
		return 0;
	json_int_t i = json_integer_value(v);
	return i >= INT32_MIN && i <= INT32_MAX ? (long long)i : 0;
}

static bool jtrue(const json_t *o, const char *key)
{
	return json_is_true(jget(o, key));
}

static size_t jarr_len(const json_t *o, const char *key)
{
	json_t *a = jarr(o, key);
	return a ? json_array_size(a) : 0;
}

static const char *str_or(const json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts and de-duplicates list in place (sets.String.List()); returns the new length. */
static size_t sort_unique(const char **list, size_t n)
{
	size_t out = 0;

	if (n == 0)
		return 0;
	qsort(list, n, sizeof(*list), cmp_strp);
	for (size_t i = 0; i < n; i++)
		if (out == 0 || strcmp(list[out - 1], list[i]) != 0)
			list[out++] = list[i];
	return out;
}

static void sb_join(sbuf_t *b, const char *const *list, size_t n, const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_puts(b, sep);
		sbuf_puts(b, list[i]);
	}
}

/* ---- Time ---- */

/* Go's zero time.Time, and our marker for "no timestamp". */
#define TIME_ZERO LLONG_MIN

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static bool take_digits(const char **s, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*s)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*s += n;
	*ret = v;
	return true;
}

static bool take_char(const char **s, char a, char b)
{
	if (**s != a && **s != b)
		return false;
	(*s)++;
	return true;
}

/* Parses an RFC 3339 timestamp (metav1.Time "2006-01-02T15:04:05Z", metav1.MicroTime with a
 * fraction, or a numeric offset) into microseconds since the epoch. Returns TIME_ZERO when s is NULL,
 * malformed, or Go's zero time 0001-01-01T00:00:00Z, which upstream prints as "<unknown>". */
static long long parse_time(const char *s)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	long long frac_us = 0;

	if (!s)
		return TIME_ZERO;
	if (!take_digits(&s, 4, &y) || !take_char(&s, '-', '-') || !take_digits(&s, 2, &mo) ||
	    !take_char(&s, '-', '-') || !take_digits(&s, 2, &d) || !take_char(&s, 'T', 't') ||
	    !take_digits(&s, 2, &h) || !take_char(&s, ':', ':') || !take_digits(&s, 2, &mi) ||
	    !take_char(&s, ':', ':') || !take_digits(&s, 2, &sec))
		return TIME_ZERO;
	if (*s == '.') {
		int digits = 0;
		s++;
		if (*s < '0' || *s > '9')
			return TIME_ZERO;
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 6)
				frac_us = frac_us * 10 + (*s - '0');
		for (; digits < 6; digits++)
			frac_us *= 10;
	}
	if (take_char(&s, 'Z', 'z')) {
		sign = 0;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (!take_digits(&s, 2, &oh) || !take_char(&s, ':', ':') || !take_digits(&s, 2, &om))
			return TIME_ZERO;
	} else {
		return TIME_ZERO;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 ||
	    oh > 23 || om > 59)
		return TIME_ZERO;

	long long t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= (long long)sign * (oh * 3600 + om * 60);
	if (t == days_from_civil(1, 1, 1) * 86400 && frac_us == 0)
		return TIME_ZERO;
	return t * 1000000 + frac_us;
}

/* time.Duration is int64 nanoseconds and time.Sub saturates, so no age exceeds this many seconds. */
#define GO_DURATION_MAX_S 9223372036LL

/* Whole seconds from t (microseconds) to now, truncated toward zero as Go's int(d.Seconds()). */
static long long seconds_since(long long t_us, time_t now)
{
	/* Parsed timestamps lie within +-1e12 s of the epoch; bound now likewise so nothing overflows. */
	long long now_s = (long long)now;
	if (now_s > 1000000000000000LL)
		now_s = 1000000000000000LL;
	if (now_s < -1000000000000000LL)
		now_s = -1000000000000000LL;

	long long t_s = t_us / 1000000, rem = t_us % 1000000;
	long long d_s = now_s - t_s;
	if (d_s > GO_DURATION_MAX_S + 1)
		return GO_DURATION_MAX_S;
	if (d_s < -GO_DURATION_MAX_S - 1)
		return -GO_DURATION_MAX_S;
	long long d = (d_s * 1000000 - rem) / 1000000;
	if (d > GO_DURATION_MAX_S)
		return GO_DURATION_MAX_S;
	if (d < -GO_DURATION_MAX_S)
		return -GO_DURATION_MAX_S;
	return d;
}

char *k8s_human_duration(long long s)
{
	sbuf_t b = { 0 };

	if (s > GO_DURATION_MAX_S)
		s = GO_DURATION_MAX_S;
	/* Thresholds as duration.HumanDuration: ~2-3 significant figures; up to 1s in the future is
	 * clock skew and prints as "0s". */
	if (s < -1) {
		sbuf_puts(&b, "<invalid>");
	} else if (s < 0) {
		sbuf_puts(&b, "0s");
	} else if (s < 60 * 2) {
		sbuf_printf(&b, "%llds", s);
	} else if (s / 60 < 10) {
		long long m = s / 60, r = s % 60;
		if (r == 0)
			sbuf_printf(&b, "%lldm", m);
		else
			sbuf_printf(&b, "%lldm%llds", m, r);
	} else if (s / 60 < 60 * 3) {
		sbuf_printf(&b, "%lldm", s / 60);
	} else {
		long long hours = s / 3600;
		if (hours < 8) {
			long long m = (s / 60) % 60;
			if (m == 0)
				sbuf_printf(&b, "%lldh", hours);
			else
				sbuf_printf(&b, "%lldh%lldm", hours, m);
		} else if (hours < 48) {
			sbuf_printf(&b, "%lldh", hours);
		} else if (hours < 24 * 8) {
			if (hours % 24 == 0)
				sbuf_printf(&b, "%lldd", hours / 24);
			else
				sbuf_printf(&b, "%lldd%lldh", hours / 24, hours % 24);
		} else if (hours < 24 * 365 * 2) {
			sbuf_printf(&b, "%lldd", hours / 24);
		} else if (hours < 24 * 365 * 8) {
			long long dy = (hours / 24) % 365;
			if (dy == 0)
				sbuf_printf(&b, "%lldy", hours / 24 / 365);
			else
				sbuf_printf(&b, "%lldy%lldd", hours / 24 / 365, dy);
		} else {
			sbuf_printf(&b, "%lldy", hours / 24 / 365);
		}
	}
	return sbuf_take(&b);
}

/* translateTimestampSince: "<unknown>" for the zero time. */
static char *since_str(long long t_us, time_t now)
{
	if (t_us == TIME_ZERO)
		return strdup("<unknown>");
	return k8s_human_duration(seconds_since(t_us, now));
}

char *k8s_age(const json_t *obj, time_t now)
{
	return since_str(parse_time(jstr(jobj(obj, "metadata"), "creationTimestamp")), now);
}

/* ---- Rows: cells appended with a sticky failure flag ---- */

struct row {
	json_t *cells;
	json_t *conditions; /* TableRowConditions, or NULL */
	time_t now;
	bool oom;
};

static void cell_add(struct row *rw, json_t *v)
{
	if (!v || json_array_append_new(rw->cells, v) < 0)
		rw->oom = true;
}

static void cell_str(struct row *rw, const char *s)
{
	cell_add(rw, json_string(s ? s : ""));
}

/* Takes s (malloc'd; NULL means allocation failed). */
static void cell_own(struct row *rw, char *s)
{
	if (!s) {
		rw->oom = true;
		return;
	}
	cell_str(rw, s);
	free(s);
}

static void cell_sb(struct row *rw, sbuf_t *b)
{
	cell_own(rw, sbuf_take(b));
}

static void cell_int(struct row *rw, long long v)
{
	cell_add(rw, json_integer((json_int_t)v));
}

static void cell_name(struct row *rw, const json_t *o)
{
	cell_str(rw, jstr(jobj(o, "metadata"), "name"));
}

static void cell_age(struct row *rw, const json_t *o)
{
	cell_own(rw, k8s_age(o, rw->now));
}

/* labels.FormatLabels: "k=v" pairs sorted as whole strings (so "a-b=1" precedes "a=2"), or
 * "<none>". A non-string value reads as "". */
static char *format_labels(const json_t *map)
{
	sbuf_t b = { 0 };
	size_t n = map ? json_object_size(map) : 0, i = 0;
	const char *key;
	json_t *val;

	if (n == 0)
		return strdup("<none>");
	char **pairs = calloc(n, sizeof(*pairs));
	if (!pairs)
		return NULL;
	json_object_foreach((json_t *)map, key, val) {
		if (asprintf(&pairs[i], "%s=%s", key, str_or(val, "")) < 0) {
			pairs[i] = NULL;
			b.oom = true;
			break;
		}
		i++;
	}
	if (!b.oom) {
		qsort(pairs, i, sizeof(*pairs), cmp_strp);
		sb_join(&b, (const char *const *)pairs, i, ",");
	}
	for (size_t j = 0; j < i; j++)
		free(pairs[j]);
	free(pairs);
	return sbuf_take(&b);
}

/* ---- Label selectors (metav1.LabelSelectorAsSelector(...).String()) ---- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* validation.IsValidLabelValue, and the name part of a qualified name when !allow_empty:
 * at most 63 of [-A-Za-z0-9_.], starting and ending alphanumeric. */
static bool is_label_name(const char *s, size_t n, bool allow_empty)
{
	if (n == 0)
		return allow_empty;
	if (n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* validation.IsDNS1123Subdomain: dot-separated lowercase labels, at most 253 bytes. */
static bool is_dns1123_subdomain(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		size_t len = i - start;
		if (len == 0)
			return false;
		for (size_t j = start; j < i; j++) {
			char c = s[j];
			bool lower_alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
			if (!lower_alnum && (c != '-' || j == start || j == i - 1))
				return false;
		}
		start = i + 1;
	}
	return true;
}

/* validation.IsQualifiedName, which label keys must be: [prefix/]name. */
static bool is_label_key(const char *k)
{
	const char *slash = strchr(k, '/');

	if (!slash)
		return is_label_name(k, strlen(k), false);
	if (strchr(slash + 1, '/'))
		return false;
	return is_dns1123_subdomain(k, (size_t)(slash - k)) &&
	       is_label_name(slash + 1, strlen(slash + 1), false);
}

struct requirement {
	const char *key;
	char *text;
};

/* Appends the Requirement.String() of one matchExpressions entry; false when upstream's
 * NewRequirement would refuse it (the whole selector then prints "<invalid>"). */
static bool render_expression(const json_t *expr, sbuf_t *b)
{
	const char *key = jstr0(expr, "key"), *op = jstr0(expr, "operator");
	json_t *vals = jarr(expr, "values");
	size_t nv = vals ? json_array_size(vals) : 0;
	bool in = strcmp(op, "In") == 0, notin = strcmp(op, "NotIn") == 0;
	bool exists = strcmp(op, "Exists") == 0, dne = strcmp(op, "DoesNotExist") == 0;

	if (!is_label_key(key) || !(in || notin || exists || dne))
		return false;
	if (((in || notin) && nv == 0) || ((exists || dne) && nv != 0))
		return false;
	const char **sorted = nv ? calloc(nv, sizeof(*sorted)) : NULL;
	if (nv && !sorted) {
		b->oom = true;
		return true;
	}
	for (size_t i = 0; i < nv; i++) {
		sorted[i] = str_or(json_array_get(vals, i), "");
		if (!is_label_name(sorted[i], strlen(sorted[i]), true)) {
			free(sorted);
			return false;
		}
	}
	if (dne)
		sbuf_puts(b, "!");
	sbuf_puts(b, key);
	if (in || notin) {
		/* Values print sorted, not deduplicated (safeSort). */
		qsort(sorted, nv, sizeof(*sorted), cmp_strp);
		sbuf_puts(b, in ? " in (" : " notin (");
		sb_join(b, sorted, nv, ",");
		sbuf_puts(b, ")");
	}
	free(sorted);
	return true;
}

static char *format_label_selector(const json_t *sel)
{
	json_t *ml = jobj(sel, "matchLabels"), *me = jarr(sel, "matchExpressions");
	size_t nl = ml ? json_object_size(ml) : 0, ne = me ? json_array_size(me) : 0, n = 0;
	struct requirement *reqs;
	const char *key;
	json_t *val;
	sbuf_t b = { 0 };
	bool invalid = false;

	/* A missing selector is labels.Nothing() and an empty one labels.Everything(): both print "". */
	if (nl + ne == 0)
		return strdup("");
	reqs = calloc(nl + ne, sizeof(*reqs));
	if (!reqs)
		return NULL;
	json_object_foreach(ml, key, val) {
		const char *v = str_or(val, "");
		if (!is_label_key(key) || !is_label_name(v, strlen(v), true)) {
			invalid = true;
			break;
		}
		reqs[n].key = key;
		if (asprintf(&reqs[n].text, "%s=%s", key, v) < 0) {
			reqs[n].text = NULL;
			b.oom = true;
			break;
		}
		n++;
	}
	for (size_t i = 0; i < ne && !invalid && !b.oom; i++) {
		sbuf_t t = { 0 };
		json_t *expr = json_array_get(me, i);
		if (!render_expression(expr, &t)) {
			free(sbuf_take(&t));
			invalid = true;
			break;
		}
		reqs[n].key = jstr0(expr, "key");
		reqs[n].text = sbuf_take(&t);
		if (!reqs[n].text) {
			b.oom = true;
			break;
		}
		n++;
	}
	if (invalid) {
		sbuf_puts(&b, "<invalid>");
	} else if (!b.oom) {
		/* Selector.Add sorts requirements by key alone; insertion sort keeps equal keys in order. */
		for (size_t i = 1; i < n; i++) {
			struct requirement r = reqs[i];
			size_t j = i;
			for (; j > 0 && strcmp(reqs[j - 1].key, r.key) > 0; j--)
				reqs[j] = reqs[j - 1];
			reqs[j] = r;
		}
		for (size_t i = 0; i < n; i++) {
			if (i)
				sbuf_puts(&b, ",");
			sbuf_puts(&b, reqs[i].text);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(reqs[i].text);
	free(reqs);
	return sbuf_take(&b);
}

/* layoutContainerCells: names and images, comma-joined. */
static void cell_containers(struct row *rw, const json_t *containers)
{
	sbuf_t names = { 0 }, images = { 0 };
	size_t n = containers ? json_array_size(containers) : 0;

	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(containers, i);
		if (i) {
			sbuf_puts(&names, ",");
			sbuf_puts(&images, ",");
		}
		sbuf_puts(&names, jstr0(c, "name"));
		sbuf_puts(&images, jstr0(c, "image"));
	}
	cell_sb(rw, &names);
	cell_sb(rw, &images);
}

/* ---- Printers, one per kind, in printers.go's cell order ---- */

static void print_namespace(struct row *rw, const json_t *o)
{
	cell_name(rw, o);
	cell_str(rw, jstr(jobj(o, "status"), "phase"));
	cell_age(rw, o);
}

/* getServiceExternalIP with wide=true (no 16-byte clipping on the server). */
static char *service_external_ip(const json_t *spec, const json_t *status)
{
	const char *type = jstr0(spec, "type");
	json_t *ext = jarr(spec, "externalIPs");
	size_t next = ext ? json_array_size(ext) : 0;
	sbuf_t b = { 0 };

	if (strcmp(type, "ClusterIP") == 0 || strcmp(type, "NodePort") == 0) {
		if (next == 0)
			return strdup("<none>");
		for (size_t i = 0; i < next; i++) {
			if (i)
				sbuf_puts(&b, ",");
			sbuf_puts(&b, str_or(json_array_get(ext, i), ""));
		}
		return sbuf_take(&b);
	}
	if (strcmp(type, "LoadBalancer") == 0) {
		json_t *ing = jarr(jobj(status, "loadBalancer"), "ingress");
		size_t ni = ing ? json_array_size(ing) : 0, n = 0;
		const char **set = ni ? calloc(ni, sizeof(*set)) : NULL;
		if (ni && !set)
			return NULL;
		/* loadBalancerStatusStringer: IP, else hostname, as a sorted set. */
		for (size_t i = 0; i < ni; i++) {
			json_t *e = json_array_get(ing, i);
			const char *ip = jstr0(e, "ip"), *host = jstr0(e, "hostname");
			if (*ip)
				set[n++] = ip;
			else if (*host)
				set[n++] = host;
		}
		n = sort_unique(set, n);
		sb_join(&b, set, n, ",");
		free(set);
		for (size_t i = 0; i < next; i++) {
			if (b.len > 0 || i > 0)
				sbuf_puts(&b, ",");
			sbuf_puts(&b, str_or(json_array_get(ext, i), ""));
		}
		if (b.len == 0 && next == 0 && !b.oom)
			sbuf_puts(&b, "<pending>");
		return sbuf_take(&b);
	}
	if (strcmp(type, "ExternalName") == 0)
		return strdup(jstr0(spec, "externalName"));
	return strdup("<unknown>");
}

/* makePortString: "80/TCP", "80:30080/TCP" with a node port; "<none>" for no ports. */
static char *service_ports(const json_t *spec)
{
	json_t *ports = jarr(spec, "ports");
	size_t n = ports ? json_array_size(ports) : 0;
	sbuf_t b = { 0 };

	if (n == 0)
		return strdup("<none>");
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(ports, i);
		long long node_port = jint(p, "nodePort");
		if (i)
			sbuf_puts(&b, ",");
		if (node_port > 0)
			sbuf_printf(&b, "%lld:%lld/%s", jint(p, "port"), node_port, jstr0(p, "protocol"));
		else
			sbuf_printf(&b, "%lld/%s", jint(p, "port"), jstr0(p, "protocol"));
	}
	return sbuf_take(&b);
}

static void print_service(struct row *rw, const json_t *o)
{
	json_t *spec = jobj(o, "spec"), *status = jobj(o, "status");
	json_t *ips = jarr(spec, "clusterIPs");
	const char *cluster_ip = "<none>", *legacy = jstr0(spec, "clusterIP");

	/* Upstream prints clusterIPs[0] ("None" when headless). Service storage always fills
	 * clusterIPs from clusterIP; fall back to the latter for objects written without it. */
	if (ips && json_array_size(ips) > 0)
		cluster_ip = str_or(json_array_get(ips, 0), "");
	else if (*legacy)
		cluster_ip = legacy;

	cell_name(rw, o);
	cell_str(rw, jstr(spec, "type"));
	cell_str(rw, cluster_ip);
	cell_own(rw, service_external_ip(spec, status));
	cell_own(rw, service_ports(spec));
	cell_age(rw, o);
	cell_own(rw, format_labels(jobj(spec, "selector")));
}

/* net.JoinHostPort: IPv6 literals get brackets. */
static void sb_host_port(sbuf_t *b, const char *host, long long port)
{
	if (strchr(host, ':'))
		sbuf_printf(b, "[%s]:%lld", host, port);
	else
		sbuf_printf(b, "%s:%lld", host, port);
}

#define LIST_MAX 3 /* entries shown before " + N more..." */

/* formatEndpoints with every port: "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...". */
static char *format_endpoints(const json_t *o)
{
	json_t *subsets = jarr(o, "subsets");
	size_t ns = subsets ? json_array_size(subsets) : 0;
	long long count = 0;
	size_t listed = 0;
	bool more = false;
	sbuf_t b = { 0 };

	if (ns == 0)
		return strdup("<none>");
	for (size_t i = 0; i < ns; i++) {
		json_t *ss = json_array_get(subsets, i);
		json_t *ports = jarr(ss, "ports"), *addrs = jarr(ss, "addresses");
		size_t np = ports ? json_array_size(ports) : 0, na = addrs ? json_array_size(addrs) : 0;

		if (np == 0) {
			/* Headless services may have no ports: bare IPs. */
			count += (long long)na;
			for (size_t a = 0; a < na; a++) {
				if (listed == LIST_MAX) {
					more = true;
					break;
				}
				if (listed++)
					sbuf_puts(&b, ",");
				sbuf_puts(&b, jstr0(json_array_get(addrs, a), "ip"));
			}
			continue;
		}
		for (size_t p = 0; p < np; p++) {
			long long port = jint(json_array_get(ports, p), "port");
			count += (long long)na;
			for (size_t a = 0; a < na; a++) {
				if (listed == LIST_MAX) {
					more = true;
					break;
				}
				if (listed++)
					sbuf_puts(&b, ",");
				sb_host_port(&b, jstr0(json_array_get(addrs, a), "ip"), port);
			}
		}
	}
	if (more)
		sbuf_printf(&b, " + %lld more...", count - LIST_MAX);
	return sbuf_take(&b);
}

static void print_endpoints(struct row *rw, const json_t *o)
{
	cell_name(rw, o);
	cell_own(rw, format_endpoints(o));
	cell_age(rw, o);
}

/* listWithMoreString: "<unset>" for an empty list. */
static void sb_finish_list(sbuf_t *b, bool more, long long count)
{
	if (more)
		sbuf_printf(b, " + %lld more...", count - LIST_MAX);
	else if (b->len == 0)
		sbuf_puts(b, "<unset>");
}

static void print_endpointslice(struct row *rw, const json_t *o)
{
	json_t *ports = jarr(o, "ports"), *eps = jarr(o, "endpoints");
	size_t np = ports ? json_array_size(ports) : 0, ne = eps ? json_array_size(eps) : 0;
	sbuf_t pb = { 0 }, eb = { 0 };
	long long count = 0;
	size_t listed = 0;
	bool more = false;

	cell_name(rw, o);
	cell_str(rw, jstr(o, "addressType"));

	/* formatDiscoveryPorts: the number, else the name, else "*" (all ports). */
	for (size_t i = 0; i < np; i++) {
		json_t *p = json_array_get(ports, i), *num = jget(p, "port"), *name = jget(p, "name");
		if (listed < LIST_MAX) {
			if (listed++)
				sbuf_puts(&pb, ",");
			if (json_is_integer(num))
				sbuf_printf(&pb, "%lld", (long long)json_integer_value(num));
			else if (json_is_string(name))
				sbuf_puts(&pb, json_string_value(name));
			else
				sbuf_puts(&pb, "*");
		} else {
			more = true;
		}
		count++;
	}
	sb_finish_list(&pb, more, count);
	cell_sb(rw, &pb);

	/* formatDiscoveryEndpoints: every address of every endpoint. */
	count = 0;
	listed = 0;
	more = false;
	for (size_t i = 0; i < ne; i++) {
		json_t *addrs = jarr(json_array_get(eps, i), "addresses");
		size_t na = addrs ? json_array_size(addrs) : 0;
		for (size_t a = 0; a < na; a++) {
			if (listed < LIST_MAX) {
				if (listed++)
					sbuf_puts(&eb, ",");
				sbuf_puts(&eb, str_or(json_array_get(addrs, a), ""));
			} else {
				more = true;
			}
			count++;
		}
	}
	sb_finish_list(&eb, more, count);
	cell_sb(rw, &eb);
	cell_age(rw, o);
}

static void print_configmap(struct row *rw, const json_t *o)
{
	json_t *data = jobj(o, "data"), *bin = jobj(o, "binaryData");

	cell_name(rw, o);
	cell_int(rw, (long long)((data ? json_object_size(data) : 0) + (bin ? json_object_size(bin) : 0)));
	cell_age(rw, o);
}

static void print_deployment(struct row *rw, const json_t *o)
{
	json_t *spec = jobj(o, "spec"), *status = jobj(o, "status");
	sbuf_t ready = { 0 };

	cell_name(rw, o);
	sbuf_printf(&ready, "%lld/%lld", jint(status, "readyReplicas"), jint(spec, "replicas"));
	cell_sb(rw, &ready);
	/* Integers although the columns say "string": upstream appends int64 cells here. */
	cell_int(rw, jint(status, "updatedReplicas"));
	cell_int(rw, jint(status, "availableReplicas"));
	cell_age(rw, o);
	cell_containers(rw, jarr(jobj(jobj(spec, "template"), "spec"), "containers"));
	cell_own(rw, format_label_selector(jobj(spec, "selector")));
}

static void print_lease(struct row *rw, const json_t *o)
{
	cell_name(rw, o);
	cell_str(rw, jstr(jobj(o, "spec"), "holderIdentity"));
	cell_age(rw, o);
}

/* The first condition of this type, as the pod and node helpers look them up. */
static json_t *find_condition(const json_t *status, const char *type)
{
	json_t *conds = jarr(status, "conditions");
	size_t n = conds ? json_array_size(conds) : 0;

	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(conds, i);
		if (strcmp(jstr0(c, "type"), type) == 0)
			return c;
	}
	return NULL;
}

static bool pod_condition_true(const json_t *status, const char *type)
{
	return strcmp(jstr0(find_condition(status, type), "status"), "True") == 0;
}

/* hasPodReadyCondition looks at every Ready condition, not only the first. */
static bool pod_has_ready(const json_t *status)
{
	json_t *conds = jarr(status, "conditions");
	size_t n = conds ? json_array_size(conds) : 0;

	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(conds, i);
		if (strcmp(jstr0(c, "type"), "Ready") == 0 && strcmp(jstr0(c, "status"), "True") == 0)
			return true;
	}
	return false;
}

/* podutil.IsRestartableInitContainer on the spec entry a status names (a sidecar, KEP-753).
 * Upstream indexes init containers in a map, so the last one of a name wins. */
static bool restartable_init(const json_t *spec, const char *name)
{
	json_t *inits = jarr(spec, "initContainers");
	size_t n = inits ? json_array_size(inits) : 0;
	json_t *found = NULL;

	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(inits, i);
		if (strcmp(jstr0(c, "name"), name) == 0)
			found = c;
	}
	return found && strcmp(jstr0(found, "restartPolicy"), "Always") == 0;
}

/* Moves *last forward to lastState.terminated.finishedAt when that is later. */
static void note_last_termination(const json_t *cs, long long *last)
{
	json_t *term = jobj(jobj(cs, "lastState"), "terminated");

	if (term) {
		long long t = parse_time(jstr(term, "finishedAt"));
		if (t != TIME_ZERO && t > *last)
			*last = t;
	}
}

static json_t *row_condition(const char *reason, const char *message)
{
	return json_pack("[{s:s, s:s, s:s, s:s}]", "type", "Completed", "status", "True", "reason", reason,
			 "message", message);
}

/* printPod: the STATUS column walks init containers, then containers from last to first, so the
 * first container's state wins; see printers.go for each rule. */
static void print_pod(struct row *rw, const json_t *o)
{
	json_t *meta = jobj(o, "metadata"), *spec = jobj(o, "spec"), *status = jobj(o, "status");
	json_t *inits = jarr(spec, "initContainers");
	json_t *init_st = jarr(status, "initContainerStatuses"), *ctr_st = jarr(status, "containerStatuses");
	size_t n_inits = inits ? json_array_size(inits) : 0;
	const char *phase = jstr0(status, "phase");
	long long restarts = 0, sidecar_restarts = 0, ready = 0;
	long long total = (long long)jarr_len(spec, "containers");
	long long last_restart = TIME_ZERO, last_sidecar_restart = TIME_ZERO;
	bool initializing = false;
	sbuf_t reason = { 0 }, b = { 0 };

	sbuf_puts(&reason, phase);
	if (*jstr0(status, "reason")) {
		sbuf_reset(&reason);
		sbuf_puts(&reason, jstr0(status, "reason"));
	}
	json_t *conds = jarr(status, "conditions");
	for (size_t i = 0; conds && i < json_array_size(conds); i++) {
		json_t *c = json_array_get(conds, i);
		if (strcmp(jstr0(c, "type"), "PodScheduled") == 0 &&
		    strcmp(jstr0(c, "reason"), "SchedulingGated") == 0) {
			sbuf_reset(&reason);
			sbuf_puts(&reason, "SchedulingGated");
		}
	}

	if (strcmp(phase, "Succeeded") == 0)
		rw->conditions = row_condition("Succeeded", "The pod has completed successfully.");
	else if (strcmp(phase, "Failed") == 0)
		rw->conditions = row_condition("Failed", "The pod failed.");
	if ((strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0) && !rw->conditions)
		rw->oom = true;

	for (size_t i = 0; i < n_inits; i++)
		if (strcmp(jstr0(json_array_get(inits, i), "restartPolicy"), "Always") == 0)
			total++;

	for (size_t i = 0; init_st && i < json_array_size(init_st); i++) {
		json_t *cs = json_array_get(init_st, i), *state = jobj(cs, "state");
		json_t *term = jobj(state, "terminated"), *wait = jobj(state, "waiting");
		bool sidecar = restartable_init(spec, jstr0(cs, "name"));

		restarts += jint(cs, "restartCount");
		note_last_termination(cs, &last_restart);
		if (sidecar) {
			sidecar_restarts += jint(cs, "restartCount");
			note_last_termination(cs, &last_sidecar_restart);
		}
		if (term && jint(term, "exitCode") == 0)
			continue;
		if (sidecar && jtrue(cs, "started")) {
			if (jtrue(cs, "ready"))
				ready++;
			continue;
		}
		sbuf_reset(&reason);
		if (term) {
			if (*jstr0(term, "reason"))
				sbuf_printf(&reason, "Init:%s", jstr0(term, "reason"));
			else if (jint(term, "signal") != 0)
				sbuf_printf(&reason, "Init:Signal:%lld", jint(term, "signal"));
			else
				sbuf_printf(&reason, "Init:ExitCode:%lld", jint(term, "exitCode"));
		} else if (wait && *jstr0(wait, "reason") && strcmp(jstr0(wait, "reason"), "PodInitializing") != 0) {
			sbuf_printf(&reason, "Init:%s", jstr0(wait, "reason"));
		} else {
			sbuf_printf(&reason, "Init:%zu/%zu", i, n_inits);
		}
		initializing = true;
		break;
	}

	if (!initializing || pod_condition_true(status, "Initialized")) {
		bool has_running = false;

		restarts = sidecar_restarts;
		last_restart = last_sidecar_restart;
		for (size_t i = ctr_st ? json_array_size(ctr_st) : 0; i-- > 0;) {
			json_t *cs = json_array_get(ctr_st, i), *state = jobj(cs, "state");
			json_t *term = jobj(state, "terminated"), *wait = jobj(state, "waiting");

			restarts += jint(cs, "restartCount");
			note_last_termination(cs, &last_restart);
			if (wait && *jstr0(wait, "reason")) {
				sbuf_reset(&reason);
				sbuf_puts(&reason, jstr0(wait, "reason"));
			} else if (term && *jstr0(term, "reason")) {
				sbuf_reset(&reason);
				sbuf_puts(&reason, jstr0(term, "reason"));
			} else if (term) {
				sbuf_reset(&reason);
				if (jint(term, "signal") != 0)
					sbuf_printf(&reason, "Signal:%lld", jint(term, "signal"));
				else
					sbuf_printf(&reason, "ExitCode:%lld", jint(term, "exitCode"));
			} else if (jtrue(cs, "ready") && jobj(state, "running")) {
				has_running = true;
				ready++;
			}
		}
		/* A pod whose last container completed but another still runs is not "Completed". */
		if (strcmp(sbuf_str(&reason), "Completed") == 0 && has_running) {
			sbuf_reset(&reason);
			sbuf_puts(&reason, pod_has_ready(status) ? "Running" : "NotReady");
		}
	}

	json_t *deletion = jget(meta, "deletionTimestamp");
	if (deletion && !json_is_null(deletion)) {
		if (strcmp(jstr0(status, "reason"), "NodeLost") == 0) {
			sbuf_reset(&reason);
			sbuf_puts(&reason, "Unknown");
		} else if (strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0) {
			sbuf_reset(&reason);
			sbuf_puts(&reason, "Terminating");
		}
	}

	cell_name(rw, o);
	sbuf_printf(&b, "%lld/%lld", ready, total);
	cell_sb(rw, &b);
	cell_sb(rw, &reason);
	sbuf_printf(&b, "%lld", restarts);
	if (restarts != 0 && last_restart != TIME_ZERO) {
		char *ago = since_str(last_restart, rw->now);
		if (!ago)
			b.oom = true;
		else
			sbuf_printf(&b, " (%s ago)", ago);
		free(ago);
	}
	cell_sb(rw, &b);
	cell_age(rw, o);

	/* Wide columns. The v1->internal conversion treats status.podIP as authoritative over
	 * podIPs[0] when both are set. */
	const char *ip = jstr0(status, "podIP");
	if (!*ip)
		ip = jstr0(json_array_get(jarr(status, "podIPs"), 0), "ip");
	cell_str(rw, *ip ? ip : "<none>");
	const char *node = jstr0(spec, "nodeName"), *nominated = jstr0(status, "nominatedNodeName");
	cell_str(rw, *node ? node : "<none>");
	cell_str(rw, *nominated ? nominated : "<none>");

	json_t *gates = jarr(spec, "readinessGates");
	size_t ng = gates ? json_array_size(gates) : 0;
	if (ng == 0) {
		cell_str(rw, "<none>");
	} else {
		size_t true_count = 0;
		for (size_t i = 0; i < ng; i++) {
			json_t *c = find_condition(status, jstr0(json_array_get(gates, i), "conditionType"));
			if (c && strcmp(jstr0(c, "status"), "True") == 0)
				true_count++;
		}
		sbuf_printf(&b, "%zu/%zu", true_count, ng);
		cell_sb(rw, &b);
	}
}

/* The first address of this type, or "<none>" (getNodeInternalIP / getNodeExternalIP). */
static const char *node_address(const json_t *status, const char *type)
{
	json_t *addrs = jarr(status, "addresses");

	for (size_t i = 0; addrs && i < json_array_size(addrs); i++) {
		json_t *a = json_array_get(addrs, i);
		if (strcmp(jstr0(a, "type"), type) == 0)
			return jstr0(a, "address");
	}
	return "<none>";
}

static void cell_or_unknown(struct row *rw, const char *s)
{
	cell_str(rw, s && *s ? s : "<unknown>");
}

static void print_node(struct row *rw, const json_t *o)
{
	json_t *status = jobj(o, "status"), *conds = jarr(status, "conditions");
	json_t *labels = jobj(jobj(o, "metadata"), "labels"), *info = jobj(status, "nodeInfo");
	json_t *ready = NULL, *val;
	sbuf_t st = { 0 }, roles = { 0 };
	const char *key;
	static const char role_prefix[] = "node-role.kubernetes.io/";

	/* Upstream keeps conditions in a map by type, so the last Ready condition counts. */
	for (size_t i = 0; conds && i < json_array_size(conds); i++) {
		json_t *c = json_array_get(conds, i);
		if (strcmp(jstr0(c, "type"), "Ready") == 0)
			ready = c;
	}
	if (!ready)
		sbuf_puts(&st, "Unknown");
	else if (strcmp(jstr0(ready, "status"), "True") == 0)
		sbuf_puts(&st, "Ready");
	else
		sbuf_puts(&st, "NotReady");
	if (jtrue(jobj(o, "spec"), "unschedulable"))
		sbuf_puts(&st, ",SchedulingDisabled");

	/* findNodeRoles: node-role.kubernetes.io/<role> keys and the kubernetes.io/role value. */
	size_t nl = labels ? json_object_size(labels) : 0, n = 0;
	const char **set = nl ? calloc(nl, sizeof(*set)) : NULL;
	if (nl && !set)
		roles.oom = true;
	json_object_foreach(set ? labels : NULL, key, val) {
		if (strncmp(key, role_prefix, sizeof(role_prefix) - 1) == 0) {
			if (key[sizeof(role_prefix) - 1])
				set[n++] = key + sizeof(role_prefix) - 1;
		} else if (strcmp(key, "kubernetes.io/role") == 0 && *str_or(val, "")) {
			set[n++] = json_string_value(val);
		}
	}
	n = sort_unique(set, n);
	sb_join(&roles, set, n, ",");
	free(set);
	if (roles.len == 0)
		sbuf_puts(&roles, "<none>");

	cell_name(rw, o);
	cell_sb(rw, &st);
	cell_sb(rw, &roles);
	cell_age(rw, o);
	cell_str(rw, jstr(info, "kubeletVersion"));
	cell_str(rw, node_address(status, "InternalIP"));
	cell_str(rw, node_address(status, "ExternalIP"));
	cell_or_unknown(rw, jstr(info, "osImage"));
	cell_or_unknown(rw, jstr(info, "kernelVersion"));
	cell_or_unknown(rw, jstr(info, "containerRuntimeVersion"));
}

/* Length of the Unicode white space (as Go's unicode.IsSpace) encoded at s, or 0. */
static size_t space_len(const unsigned char *s, size_t avail)
{
	if (avail >= 1 && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
		return 1;
	if (avail >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (avail >= 3) {
		unsigned cp = ((unsigned)(s[0] & 0x0f) << 12) | ((unsigned)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		if ((s[0] & 0xf0) == 0xe0 &&
		    (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
		     cp == 0x202f || cp == 0x205f || cp == 0x3000))
			return 3;
	}
	return 0;
}

/* strings.TrimSpace, into b. */
static void sb_trimmed(sbuf_t *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t start = 0, end = strlen(str), l;

	while (start < end && (l = space_len(s + start, end - start)) > 0)
		start += l;
	while (end > start) {
		/* Step back over one UTF-8 sequence and see whether it is white space. */
		size_t cp = end - 1;
		while (cp > start && (s[cp] & 0xc0) == 0x80)
			cp--;
		if (space_len(s + cp, end - cp) != end - cp)
			break;
		end = cp;
	}
	sbuf_putn(b, str + start, end - start);
}

static void print_event(struct row *rw, const json_t *o)
{
	json_t *series = jobj(o, "series"), *involved = jobj(o, "involvedObject"), *source = jobj(o, "source");
	long long first_t = parse_time(jstr(o, "firstTimestamp"));
	long long last_t = parse_time(jstr(o, "lastTimestamp"));
	long long count = jint(o, "count");
	const char *kind = jstr0(involved, "kind"), *name = jstr0(involved, "name");
	const char *component = jstr0(source, "component"), *host = jstr0(source, "host");
	sbuf_t target = { 0 }, src = { 0 }, msg = { 0 };

	/* Events of events.k8s.io/v1 carry eventTime and series instead of the legacy fields. */
	if (first_t == TIME_ZERO)
		first_t = parse_time(jstr(o, "eventTime"));
	if (last_t == TIME_ZERO)
		last_t = first_t;
	if (series) {
		last_t = parse_time(jstr(series, "lastObservedTime"));
		count = jint(series, "count");
	} else if (count == 0) {
		count = 1; /* singleton events of the new API have no count */
	}

	for (const char *k = kind; *k; k++) {
		char c = *k >= 'A' && *k <= 'Z' ? (char)(*k - 'A' + 'a') : *k;
		sbuf_putn(&target, &c, 1);
	}
	if (*name) {
		sbuf_puts(&target, "/");
		sbuf_puts(&target, name);
	}

	/* formatEventSource: component (or reportingComponent), then ", host" (or reportingInstance). */
	if (!*component)
		component = jstr0(o, "reportingComponent");
	if (!*host)
		host = jstr0(o, "reportingInstance");
	sbuf_puts(&src, component);
	if (*host) {
		sbuf_puts(&src, ", ");
		sbuf_puts(&src, host);
	}
	sb_trimmed(&msg, jstr0(o, "message"));

	cell_own(rw, since_str(last_t, rw->now));
	cell_str(rw, jstr(o, "type"));
	cell_str(rw, jstr(o, "reason"));
	cell_sb(rw, &target);
	cell_str(rw, jstr(involved, "fieldPath"));
	cell_sb(rw, &src);
	cell_sb(rw, &msg);
	cell_own(rw, since_str(first_t, rw->now));
	cell_int(rw, count);
	cell_name(rw, o);
}

/* defaultTableConvertor, for kinds without a printer: the name and creationTimestamp in RFC 3339. */
static void print_default(struct row *rw, const json_t *o)
{
	long long t = parse_time(jstr(jobj(o, "metadata"), "creationTimestamp"));
	char buf[64] = "0001-01-01T00:00:00Z";
	struct tm tm;

	cell_name(rw, o);
	if (t != TIME_ZERO) {
		time_t secs = (time_t)(t / 1000000 - (t % 1000000 < 0));
		if (gmtime_r(&secs, &tm))
			snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
				 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	cell_str(rw, buf);
}

/* ---- Column definitions ---- */

struct column {
	const char *name, *type, *format, *description;
	int priority;
};

#define COL_NAME { "Name", "string", "name", D_OBJECTMETA_NAME, 0 }
#define COL_AGE { "Age", "string", "", D_OBJECTMETA_CREATIONTIMESTAMP, 0 }

static const struct column namespace_cols[] = {
	COL_NAME,
	{ "Status", "string", "", D_NAMESPACE_STATUS, 0 },
	COL_AGE,
};

static const struct column service_cols[] = {
	COL_NAME,
	{ "Type", "string", "", D_SERVICESPEC_TYPE, 0 },
	{ "Cluster-IP", "string", "", D_SERVICESPEC_CLUSTERIP, 0 },
	{ "External-IP", "string", "", D_SERVICESPEC_EXTERNALIPS, 0 },
	{ "Port(s)", "string", "", D_SERVICESPEC_PORTS, 0 },
	COL_AGE,
	{ "Selector", "string", "", D_SERVICESPEC_SELECTOR, 1 },
};

static const struct column endpoints_cols[] = {
	COL_NAME,
	{ "Endpoints", "string", "", D_ENDPOINTS_SUBSETS, 0 },
	COL_AGE,
};

static const struct column pod_cols[] = {
	COL_NAME,
	{ "Ready", "string", "", D_POD_READY, 0 },
	{ "Status", "string", "", D_POD_STATUS, 0 },
	{ "Restarts", "string", "", D_POD_RESTARTS, 0 },
	COL_AGE,
	{ "IP", "string", "", D_PODSTATUS_PODIP, 1 },
	{ "Node", "string", "", D_PODSPEC_NODENAME, 1 },
	{ "Nominated Node", "string", "", D_PODSTATUS_NOMINATEDNODENAME, 1 },
	{ "Readiness Gates", "string", "", D_PODSPEC_READINESSGATES, 1 },
};

static const struct column node_cols[] = {
	COL_NAME,
	{ "Status", "string", "", D_NODE_STATUS, 0 },
	{ "Roles", "string", "", D_NODE_ROLES, 0 },
	COL_AGE,
	{ "Version", "string", "", D_NODESYSTEMINFO_KUBELETVERSION, 0 },
	{ "Internal-IP", "string", "", D_NODESTATUS_ADDRESSES, 1 },
	{ "External-IP", "string", "", D_NODESTATUS_ADDRESSES, 1 },
	{ "OS-Image", "string", "", D_NODESYSTEMINFO_OSIMAGE, 1 },
	{ "Kernel-Version", "string", "", D_NODESYSTEMINFO_KERNELVERSION, 1 },
	{ "Container-Runtime", "string", "", D_NODESYSTEMINFO_CONTAINERRUNTIMEVERSION, 1 },
};

static const struct column event_cols[] = {
	{ "Last Seen", "string", "", D_EVENT_LASTTIMESTAMP, 0 },
	{ "Type", "string", "", D_EVENT_TYPE, 0 },
	{ "Reason", "string", "", D_EVENT_REASON, 0 },
	{ "Object", "string", "", D_EVENT_INVOLVEDOBJECT, 0 },
	{ "Subobject", "string", "", D_OBJECTREFERENCE_FIELDPATH, 1 },
	{ "Source", "string", "", D_EVENT_SOURCE, 1 },
	{ "Message", "string", "", D_EVENT_MESSAGE, 0 },
	{ "First Seen", "string", "", D_EVENT_FIRSTTIMESTAMP, 1 },
	{ "Count", "string", "", D_EVENT_COUNT, 1 },
	{ "Name", "string", "name", D_OBJECTMETA_NAME, 1 },
};

static const struct column configmap_cols[] = {
	COL_NAME,
	{ "Data", "string", "", D_CONFIGMAP_DATA, 0 },
	COL_AGE,
};

static const struct column endpointslice_cols[] = {
	COL_NAME,
	{ "AddressType", "string", "", D_ENDPOINTSLICE_ADDRESSTYPE, 0 },
	{ "Ports", "string", "", D_ENDPOINTSLICE_PORTS, 0 },
	{ "Endpoints", "string", "", D_ENDPOINTSLICE_ENDPOINTS, 0 },
	COL_AGE,
};

static const struct column deployment_cols[] = {
	COL_NAME,
	{ "Ready", "string", "", D_DEPLOYMENT_READY, 0 },
	{ "Up-to-date", "string", "", D_DEPLOYMENTSTATUS_UPDATEDREPLICAS, 0 },
	{ "Available", "string", "", D_DEPLOYMENTSTATUS_AVAILABLEREPLICAS, 0 },
	COL_AGE,
	{ "Containers", "string", "", D_CONTAINERS, 1 },
	{ "Images", "string", "", D_IMAGES, 1 },
	{ "Selector", "string", "", D_DEPLOYMENTSPEC_SELECTOR, 1 },
};

static const struct column lease_cols[] = {
	COL_NAME,
	{ "Holder", "string", "", D_LEASESPEC_HOLDERIDENTITY, 0 },
	COL_AGE,
};

/* rest.defaultTableConvertor's columns. */
static const struct column default_cols[] = {
	COL_NAME,
	{ "Created At", "date", "", D_OBJECTMETA_CREATIONTIMESTAMP, 0 },
};

struct printer {
	const char *group, *kind;
	const struct column *cols;
	size_t ncols;
	void (*print)(struct row *rw, const json_t *obj);
};

#define PRINTER(g, k, cols, fn) { g, k, cols, sizeof(cols) / sizeof(cols[0]), fn }

static const struct printer printers[] = {
	PRINTER("", "Namespace", namespace_cols, print_namespace),
	PRINTER("", "Service", service_cols, print_service),
	PRINTER("", "Endpoints", endpoints_cols, print_endpoints),
	PRINTER("", "Pod", pod_cols, print_pod),
	PRINTER("", "Node", node_cols, print_node),
	PRINTER("", "Event", event_cols, print_event),
	PRINTER("", "ConfigMap", configmap_cols, print_configmap),
	PRINTER("discovery.k8s.io", "EndpointSlice", endpointslice_cols, print_endpointslice),
	PRINTER("apps", "Deployment", deployment_cols, print_deployment),
	PRINTER("coordination.k8s.io", "Lease", lease_cols, print_lease),
};

static const struct printer default_printer = PRINTER("", "", default_cols, print_default);

static const struct printer *printer_for(const k8s_resource_t *r)
{
	for (size_t i = 0; r && i < sizeof(printers) / sizeof(printers[0]); i++)
		if (strcmp(printers[i].group, r->group) == 0 && strcmp(printers[i].kind, r->kind) == 0)
			return &printers[i];
	return &default_printer;
}

/* ---- Public API ---- */

int table_include_parse(const char *s, enum table_include *ret)
{
	enum table_include inc;

	/* An empty includeObject takes the Metadata default (handlers.asTable). */
	if (!s || !*s || strcmp(s, "Metadata") == 0)
		inc = TABLE_INCLUDE_METADATA;
	else if (strcmp(s, "None") == 0)
		inc = TABLE_INCLUDE_NONE;
	else if (strcmp(s, "Object") == 0)
		inc = TABLE_INCLUDE_OBJECT;
	else
		return -EINVAL;
	*ret = inc;
	return 0;
}

json_t *table_column_definitions(const k8s_resource_t *r)
{
	const struct printer *p = printer_for(r);
	json_t *cols = json_array();

	if (!cols)
		return NULL;
	for (size_t i = 0; i < p->ncols; i++) {
		const struct column *c = &p->cols[i];
		json_t *def = json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name, "type", c->type, "format",
					c->format, "description", c->description, "priority", c->priority);
		if (!def || json_array_append_new(cols, def) < 0) {
			json_decref(cols);
			return NULL;
		}
	}
	return cols;
}

/* meta.AsPartialObjectMetadata: every ObjectMeta field, under the Table's own group version. */
static json_t *partial_object_metadata(const json_t *obj)
{
	json_t *meta = jobj(obj, "metadata");
	json_t *copy = meta ? json_deep_copy(meta) : json_object();

	if (!copy)
		return NULL;
	return json_pack("{s:s, s:s, s:o}", "kind", "PartialObjectMetadata", "apiVersion", "meta.k8s.io/v1",
			 "metadata", copy);
}

json_t *table_row(const k8s_resource_t *r, const json_t *obj, time_t now, enum table_include inc)
{
	const struct printer *p = printer_for(r);
	struct row rw = { .cells = json_array(), .now = now };
	json_t *row = NULL, *object = NULL;

	if (!obj || !rw.cells)
		goto out;
	p->print(&rw, obj);
	if (rw.oom || json_array_size(rw.cells) != p->ncols)
		goto out;

	switch (inc) {
	case TABLE_INCLUDE_NONE:
		/* RawExtension marshals a nil object as null and omitempty never drops a struct, so
		 * kube-apiserver sends "object": null here rather than leaving the key out. */
		object = json_null();
		break;
	case TABLE_INCLUDE_METADATA:
		object = partial_object_metadata(obj);
		break;
	case TABLE_INCLUDE_OBJECT:
		object = json_deep_copy(obj);
		break;
	}
	if (!object)
		goto out;
	row = json_object();
	if (!row || json_object_set(row, "cells", rw.cells) < 0 ||
	    (rw.conditions && json_object_set(row, "conditions", rw.conditions) < 0) ||
	    json_object_set(row, "object", object) < 0) {
		json_decref(row);
		row = NULL;
	}
out:
	json_decref(object);
	json_decref(rw.cells);
	json_decref(rw.conditions);
	return row;
}

json_t *table_new(const k8s_resource_t *r, json_t *rows, const char *resource_version,
		  const char *continue_token, long long remaining, bool with_columns)
{
	json_t *table = NULL, *meta = json_object();
	json_t *cols = with_columns ? table_column_definitions(r) : json_null();

	if (!rows)
		rows = json_array();
	if (!meta || !cols || !rows || !json_is_array(rows))
		goto fail;
	/* ListMeta: every field omitempty, remainingItemCount a pointer (0 is sent when set). */
	if (resource_version && *resource_version &&
	    json_object_set_new(meta, "resourceVersion", json_string(resource_version)) < 0)
		goto fail;
	if (continue_token && *continue_token &&
	    json_object_set_new(meta, "continue", json_string(continue_token)) < 0)
		goto fail;
	if (remaining >= 0 && json_object_set_new(meta, "remainingItemCount", json_integer(remaining)) < 0)
		goto fail;
	table = json_pack("{s:s, s:s, s:o, s:o, s:o}", "kind", "Table", "apiVersion", "meta.k8s.io/v1",
			  "metadata", meta, "columnDefinitions", cols, "rows", rows);
	/* json_pack's "o" steals its arguments even when it fails. */
	return table;
fail:
	json_decref(meta);
	json_decref(cols);
	json_decref(rows);
	return NULL;
}
