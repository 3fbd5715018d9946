/* What a pod sees of its surroundings, computed without I/O: the /etc/resolv.conf and /etc/hosts
 * the kubelet writes for it, and its containers' environment (the Kubernetes service variables and
 * $(VAR) expansion as the kubelet does them). */
#pragma once
#include <stddef.h>

#include <jansson.h>

/* The kubelet's resolv.conf for a ClusterFirst pod: "nameserver DNS", "search <ns>.svc.<domain>
 * svc.<domain> <domain>", "options ndots:5". New string, caller frees; NULL on ENOMEM. */
char *podfiles_resolv_conf(const char *ns, const char *cluster_dns, const char *domain);

/* The kubelet's managed hosts file: the header, the localhost lines, the pod IP with its hostname
 * (spec.hostname, else the pod name) or, with spec.subdomain, "<host>.<sub>.<ns>.svc.<domain>\t<host>",
 * and spec.hostAliases. pod: the Pod object (borrowed). New string, caller frees; NULL on ENOMEM. */
char *podfiles_hosts(const json_t *pod, const char *pod_ip, const char *domain);

/* The pod's hostname: spec.hostname, else metadata.name, cut to 63 characters as the kubelet does.
 * Writes at most len bytes (NUL included). */
void podfiles_hostname(const json_t *pod, char *buf, size_t len);

/* The Kubernetes service variables for services (an array of Service objects in the pod's namespace,
 * borrowed; headless Services and those without a ClusterIP are skipped): <SVC>_SERVICE_HOST,
 * <SVC>_SERVICE_PORT, <SVC>_SERVICE_PORT_<NAME> per named port, and the Docker link variables
 * <SVC>_PORT, <SVC>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]. Names sorted by Service name. New array
 * of {"name","value"}, caller decrefs; NULL on ENOMEM. */
json_t *podfiles_service_env(const json_t *services);

/* One $(VAR) expansion as Kubernetes does it (third_party/forked/golang/expansion): $(NAME) is
 * replaced by lookup(NAME) when that is non-NULL, else left as it is; $$ is a literal $; any other $
 * stays. New string, caller frees; NULL on ENOMEM. */
typedef const char *(*podfiles_lookup_fn)(const char *name, size_t len, void *arg);
char *podfiles_expand(const char *in, podfiles_lookup_fn lookup, void *arg);

/* A container's environment, in order: the extra variables (service variables, an array of
 * {"name","value"} or NULL) not redefined by the container, then the container's env with values
 * expanded against the variables defined before each one and the extra ones (kubelet semantics),
 * valueFrom.fieldRef resolved for metadata.name/namespace/uid, spec.nodeName, spec.serviceAccountName,
 * status.podIP(s) and status.hostIP (from pod_ip/host_ip). Other valueFrom sources give "". New array
 * of {"name","value"}, caller decrefs; NULL on ENOMEM. */
json_t *podfiles_container_env(const json_t *pod, const json_t *container, const json_t *extra,
			       const char *pod_ip, const char *host_ip);

/* The same expansion for command and args (Kubernetes expands $(VAR) in both against the container's
 * final environment). env: the array podfiles_container_env returned. New array of strings. */
json_t *podfiles_expand_args(const json_t *args, const json_t *env);
