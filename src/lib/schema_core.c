/* Schemas of the core/v1 kinds: Service (every field), Namespace, ConfigMap, Endpoints, Event,
 * Node and Pod (their common fields; the rest marked open). Field lists follow
 * k8s.io/api/core/v1/types.go as of 1.33, descriptions its doc comments, shortened. */
#include "lib/schema_types.h"

#define D_PROTOCOL "The IP protocol for this port. Supports \"TCP\", \"UDP\", and \"SCTP\". Default is TCP."

/* A type upstream describes in full but we do not: any key is accepted below it. */
#define OPEN_EMPTY(var, name, desc)                                   \
	static const schema_field_t var##_fields[] = { F_END };      \
	static SCHEMA_OBJ_OPEN(var, name, desc)

/* ---- ObjectReference ---- */

static const schema_field_t schema_t_object_reference_fields[] = {
	F_STR("apiVersion", "API version of the referent."),
	F_STR("fieldPath", "If referring to a piece of an object instead of an entire object, this string "
		"should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]."),
	F_STR("kind", "Kind of the referent. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
	F_STR("name", "Name of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names"),
	F_STR("namespace", "Namespace of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/"),
	F_STR("resourceVersion", "Specific resourceVersion to which this reference is made, if any."),
	F_STR("uid", "UID of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#uids"),
	F_END
};
SCHEMA_OBJ(schema_t_object_reference, "io.k8s.api.core.v1.ObjectReference",
	"ObjectReference contains enough information to let you inspect or modify the referred object.");

/* ---- Service ---- */

static const schema_field_t schema_t_service_port_fields[] = {
	F_STR("appProtocol", "The application protocol for this port. This is used as a hint for "
		"implementations to offer richer behavior for protocols that they understand. This field follows "
		"standard Kubernetes label syntax. Valid values are either un-prefixed protocol names (IANA "
		"standard service names), Kubernetes-defined prefixed names such as 'kubernetes.io/h2c', "
		"'kubernetes.io/ws' and 'kubernetes.io/wss', or other protocols using implementation-defined "
		"prefixed names such as mycompany.com/my-custom-protocol."),
	F_STR("name", "The name of this port within the service. This must be a DNS_LABEL. All ports within "
		"a ServiceSpec must have unique names. When considering the endpoints for a Service, this must "
		"match the 'name' field in the EndpointPort. Optional if only one ServicePort is defined on this service."),
	F_I32("nodePort", "The port on each node on which this service is exposed when type is NodePort or "
		"LoadBalancer.  Usually assigned by the system. If a value is specified, in-range, and not in "
		"use it will be used, otherwise the operation will fail.  If not specified, a port will be "
		"allocated if this Service requires one.  If this field is specified when creating a Service "
		"which does not need it, creation will fail. More info: "
		"https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport"),
	F_I32_R("port", "The port that will be exposed by this service."),
	F_STR("protocol", D_PROTOCOL),
	F_REF("targetPort", schema_t_int_or_string, "Number or name of the port to access on the pods targeted "
		"by the service. Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME. If this "
		"is a string, it will be looked up as a named port in the target Pod's container ports. If this "
		"is not specified, the value of the 'port' field is used (an identity map). This field is "
		"ignored for services with clusterIP=None, and should be omitted or set equal to the 'port' "
		"field. More info: https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service"),
	F_END
};
static SCHEMA_OBJ(schema_t_service_port, "io.k8s.api.core.v1.ServicePort",
	"ServicePort contains information on service's port.");

static const schema_field_t schema_t_client_ip_config_fields[] = {
	F_I32("timeoutSeconds", "timeoutSeconds specifies the seconds of ClientIP type session sticky time. The "
		"value must be >0 && <=86400(for 1 day) if ServiceAffinity == \"ClientIP\". Default value is 10800(for 3 hours)."),
	F_END
};
static SCHEMA_OBJ(schema_t_client_ip_config, "io.k8s.api.core.v1.ClientIPConfig",
	"ClientIPConfig represents the configurations of Client IP based session affinity.");

static const schema_field_t schema_t_session_affinity_config_fields[] = {
	F_REF("clientIP", schema_t_client_ip_config, "clientIP contains the configurations of Client IP based session affinity."),
	F_END
};
static SCHEMA_OBJ(schema_t_session_affinity_config, "io.k8s.api.core.v1.SessionAffinityConfig",
	"SessionAffinityConfig represents the configurations of session affinity.");

static const schema_field_t schema_t_service_spec_fields[] = {
	F_BOOL("allocateLoadBalancerNodePorts", "allocateLoadBalancerNodePorts defines if NodePorts will be "
		"automatically allocated for services with type LoadBalancer.  Default is \"true\". It may be set "
		"to \"false\" if the cluster load-balancer does not rely on NodePorts.  If the caller requests "
		"specific NodePorts (by specifying a value), those requests will be respected, regardless of "
		"this field. This field may only be set for services with type LoadBalancer and will be cleared "
		"if the type is changed to any other type."),
	F_STR("clusterIP", "clusterIP is the IP address of the service and is usually assigned randomly. If an "
		"address is specified manually, is in-range (as per system configuration), and is not in use, it "
		"will be allocated to the service; otherwise creation of the service will fail. This field may not "
		"be changed through updates unless the type field is also being changed to ExternalName (which "
		"requires this field to be blank) or the type field is being changed from ExternalName (in which "
		"case this field may optionally be specified, as describe above).  Valid values are \"None\", "
		"empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" "
		"(no virtual IP), which is useful when direct endpoint connections are preferred and proxying is "
		"not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. More info: "
		"https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
	F_STRS("clusterIPs", "ClusterIPs is a list of IP addresses assigned to this service, and are usually "
		"assigned randomly.  If an address is specified manually, is in-range, and is not in use, it will "
		"be allocated to the service; otherwise creation of the service will fail. If this field is not "
		"specified, it will be initialized from the clusterIP field.  If this field is specified, clients "
		"must ensure that clusterIPs[0] and clusterIP have the same value. This field may hold a maximum "
		"of two entries (dual-stack IPs, in either order). These IPs must correspond to the values of "
		"the ipFamilies field."),
	F_STRS("externalIPs", "externalIPs is a list of IP addresses for which nodes in the cluster will also "
		"accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is "
		"responsible for ensuring that traffic arrives at a node with this IP.  A common example is "
		"external load-balancers that are not part of the Kubernetes system."),
	F_STR("externalName", "externalName is the external reference that discovery mechanisms will return as "
		"an alias for this service (e.g. a DNS CNAME record). No proxying will be involved.  Must be a "
		"lowercase RFC-1123 hostname (https://tools.ietf.org/html/rfc1123) and requires `type` to be \"ExternalName\"."),
	F_STR("externalTrafficPolicy", "externalTrafficPolicy describes how nodes distribute service traffic they "
		"receive on one of the Service's \"externally-facing\" addresses (NodePorts, ExternalIPs, and "
		"LoadBalancer IPs). If set to \"Local\", the proxy will configure the service in a way that assumes "
		"that external load balancers will take care of balancing the service traffic between nodes, and "
		"so each node will deliver traffic only to the node-local endpoints of the service, without "
		"masquerading the client source IP. (Traffic mistakenly sent to a node with no endpoints will be "
		"dropped.) The default value, \"Cluster\", uses the standard behavior of routing to all endpoints "
		"evenly (possibly modified by topology and other features)."),
	F_I32("healthCheckNodePort", "healthCheckNodePort specifies the healthcheck nodePort for the service. "
		"This only applies when type is set to LoadBalancer and externalTrafficPolicy is set to Local. If "
		"a value is specified, is in-range, and is not in use, it will be used.  If not specified, a value "
		"will be automatically allocated.  External systems (e.g. load-balancers) can use this port to "
		"determine if a given node holds endpoints for this service or not."),
	F_STR("internalTrafficPolicy", "InternalTrafficPolicy describes how nodes distribute service traffic they "
		"receive on the ClusterIP. If set to \"Local\", the proxy will assume that pods only want to talk "
		"to endpoints of the service on the same node as the pod, dropping the traffic if there are no "
		"local endpoints. The default value, \"Cluster\", uses the standard behavior of routing to all "
		"endpoints evenly (possibly modified by topology and other features)."),
	F_STRS("ipFamilies", "IPFamilies is a list of IP families (e.g. IPv4, IPv6) assigned to this service. "
		"This field is usually assigned automatically based on cluster configuration and the "
		"ipFamilyPolicy field. If this field is specified manually, the requested family is available in "
		"the cluster, and ipFamilyPolicy allows it, it will be used; otherwise creation of the service "
		"will fail. This field is conditionally mutable: it allows for adding or removing a secondary IP "
		"family, but it does not allow changing the primary IP family of the Service. Valid values are "
		"\"IPv4\" and \"IPv6\"."),
	F_STR("ipFamilyPolicy", "IPFamilyPolicy represents the dual-stack-ness requested or required by this "
		"Service. If there is no value provided, then this field will be set to SingleStack. Services can "
		"be \"SingleStack\" (a single IP family), \"PreferDualStack\" (two IP families on dual-stack "
		"configured clusters or a single IP family on single-stack clusters), or \"RequireDualStack\" (two "
		"IP families on dual-stack configured clusters, otherwise fail)."),
	F_STR("loadBalancerClass", "loadBalancerClass is the class of the load balancer implementation this "
		"Service belongs to. If specified, the value of this field must be a label-style identifier, with "
		"an optional prefix, e.g. \"internal-vip\" or \"example.com/internal-vip\". Unprefixed names are "
		"reserved for end-users. This field can only be set when the Service type is 'LoadBalancer'. If "
		"not set, the default load balancer implementation is used. Once set, it can not be changed."),
	F_STR("loadBalancerIP", "Only applies to Service Type: LoadBalancer. This feature depends on whether the "
		"underlying cloud-provider supports specifying the loadBalancerIP when a load balancer is created. "
		"This field will be ignored if the cloud-provider does not support the feature. Deprecated: This "
		"field was under-specified and its meaning varies across implementations."),
	F_STRS("loadBalancerSourceRanges", "If specified and supported by the platform, this will restrict "
		"traffic through the cloud-provider load-balancer will be restricted to the specified client IPs. "
		"This field will be ignored if the cloud-provider does not support the feature. More info: "
		"https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/"),
	F_LIST("ports", schema_t_service_port, "The list of ports that are exposed by this service. More info: "
		"https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
	F_BOOL("publishNotReadyAddresses", "publishNotReadyAddresses indicates that any agent which deals with "
		"endpoints for this Service should disregard any indications of ready/not-ready. The primary use "
		"case for setting this field is for a StatefulSet's Headless Service to propagate SRV DNS records "
		"for its Pods for the purpose of peer discovery. The Kubernetes controllers that generate "
		"Endpoints and EndpointSlice resources for Services interpret this to mean that all endpoints are "
		"considered \"ready\" even if the Pods themselves are not. Agents which consume only Kubernetes "
		"generated endpoints through the Endpoints or EndpointSlice resources can safely assume this behavior."),
	F_STRMAP("selector", "Route service traffic to pods with label keys and values matching this selector. "
		"If empty or not present, the service is assumed to have an external process managing its "
		"endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and "
		"LoadBalancer. Ignored if type is ExternalName. More info: "
		"https://kubernetes.io/docs/concepts/services-networking/service/"),
	F_STR("sessionAffinity", "Supports \"ClientIP\" and \"None\". Used to maintain session affinity. Enable "
		"client IP based session affinity. Must be ClientIP or None. Defaults to None. More info: "
		"https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
	F_REF("sessionAffinityConfig", schema_t_session_affinity_config, "sessionAffinityConfig contains the "
		"configurations of session affinity."),
	F_STR("trafficDistribution", "TrafficDistribution offers a way to express preferences for how traffic "
		"is distributed to Service endpoints. Implementations can use this field as a hint, but are not "
		"required to guarantee strict adherence. If the field is not set, the implementation will apply "
		"its default routing strategy. If set to \"PreferClose\", implementations should prioritize "
		"endpoints that are in the same zone."),
	F_STR("type", "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are "
		"ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal "
		"IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that "
		"is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If "
		"clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of "
		"endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on "
		"every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on "
		"NodePort and creates an external load-balancer (if supported in the current cloud) which routes "
		"to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified "
		"externalName. Several other fields do not apply to ExternalName services. More info: "
		"https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"),
	F_END
};
static SCHEMA_OBJ(schema_t_service_spec, "io.k8s.api.core.v1.ServiceSpec",
	"ServiceSpec describes the attributes that a user creates on a service.");

static const schema_field_t schema_t_port_status_fields[] = {
	F_STR("error", "Error is to record the problem with the service port The format of the error shall "
		"comply with the following rules: - built-in error values shall be specified in this file and "
		"those shall use CamelCase names - cloud provider specific error values must have names that "
		"comply with the format foo.example.com/CamelCase."),
	F_I32_R("port", "Port is the port number of the service port of which status is recorded here"),
	F_STR_R("protocol", "Protocol is the protocol of the service port of which status is recorded here The "
		"supported values are: \"TCP\", \"UDP\", \"SCTP\""),
	F_END
};
static SCHEMA_OBJ(schema_t_port_status, "io.k8s.api.core.v1.PortStatus",
	"PortStatus represents the error condition of a service port");

static const schema_field_t schema_t_lb_ingress_fields[] = {
	F_STR("hostname", "Hostname is set for load-balancer ingress points that are DNS based (typically AWS load-balancers)"),
	F_STR("ip", "IP is set for load-balancer ingress points that are IP based (typically GCE or OpenStack load-balancers)"),
	F_STR("ipMode", "IPMode specifies how the load-balancer IP behaves, and may only be specified when the "
		"ip field is specified. Setting this to \"VIP\" indicates that traffic is delivered to the node "
		"with the destination set to the load-balancer's IP and port. Setting this to \"Proxy\" indicates "
		"that traffic is delivered to the node or pod with the destination set to the node's IP and node "
		"port or the pod's IP and port."),
	F_LIST("ports", schema_t_port_status, "Ports is a list of records of service ports If used, every port "
		"defined in the service should have an entry in it"),
	F_END
};
static SCHEMA_OBJ(schema_t_lb_ingress, "io.k8s.api.core.v1.LoadBalancerIngress",
	"LoadBalancerIngress represents the status of a load-balancer ingress point: traffic intended "
	"for the service should be sent to an ingress point.");

static const schema_field_t schema_t_lb_status_fields[] = {
	F_LIST("ingress", schema_t_lb_ingress, "Ingress is a list containing ingress points for the load-balancer. "
		"Traffic intended for the service should be sent to these ingress points."),
	F_END
};
static SCHEMA_OBJ(schema_t_lb_status, "io.k8s.api.core.v1.LoadBalancerStatus",
	"LoadBalancerStatus represents the status of a load-balancer.");

static const schema_field_t schema_t_service_status_fields[] = {
	F_LIST("conditions", schema_t_condition, "Current service state"),
	F_REF("loadBalancer", schema_t_lb_status, "LoadBalancer contains the current status of the load-balancer, if one is present."),
	F_END
};
static SCHEMA_OBJ(schema_t_service_status, "io.k8s.api.core.v1.ServiceStatus",
	"ServiceStatus represents the current status of a service.");

static const schema_field_t schema_t_service_fields[] = {
	F_TYPEMETA,
	F_REF("spec", schema_t_service_spec, "Spec defines the behavior of a service. " D_SPEC_STATUS_URL),
	F_REF("status", schema_t_service_status, "Most recently observed status of the service. Populated by "
		"the system. Read-only. " D_SPEC_STATUS_URL),
	F_END
};
SCHEMA_OBJ(schema_t_service, "io.k8s.api.core.v1.Service",
	"Service is a named abstraction of software service (for example, mysql) consisting of local "
	"port (for example 3306) that the proxy listens on, and the selector that determines which "
	"pods will answer requests sent through the proxy.");

/* ---- Namespace ---- */

static const schema_field_t schema_t_namespace_spec_fields[] = {
	F_STRS("finalizers", "Finalizers is an opaque list of values that must be empty to permanently remove "
		"object from storage. More info: https://kubernetes.io/docs/tasks/administer-cluster/namespaces/"),
	F_END
};
static SCHEMA_OBJ(schema_t_namespace_spec, "io.k8s.api.core.v1.NamespaceSpec",
	"NamespaceSpec describes the attributes on a Namespace.");

static const schema_field_t schema_t_namespace_condition_fields[] = {
	F_REF("lastTransitionTime", schema_t_time, "Last time the condition transitioned from one status to another."),
	F_STR("message", "Human-readable message indicating details about last transition."),
	F_STR("reason", "Unique, one-word, CamelCase reason for the condition's last transition."),
	F_STR_R("status", "Status of the condition, one of True, False, Unknown."),
	F_STR_R("type", "Type of namespace controller condition."),
	F_END
};
static SCHEMA_OBJ(schema_t_namespace_condition, "io.k8s.api.core.v1.NamespaceCondition",
	"NamespaceCondition contains details about state of namespace.");

static const schema_field_t schema_t_namespace_status_fields[] = {
	F_LIST("conditions", schema_t_namespace_condition, "Represents the latest available observations of a namespace's current state."),
	F_STR("phase", "Phase is the current lifecycle phase of the namespace. More info: "
		"https://kubernetes.io/docs/tasks/administer-cluster/namespaces/"),
	F_END
};
static SCHEMA_OBJ(schema_t_namespace_status, "io.k8s.api.core.v1.NamespaceStatus",
	"NamespaceStatus is information about the current status of a Namespace.");

static const schema_field_t schema_t_namespace_fields[] = {
	F_TYPEMETA,
	F_REF("spec", schema_t_namespace_spec, "Spec defines the behavior of the Namespace. " D_SPEC_STATUS_URL),
	F_REF("status", schema_t_namespace_status, "Status describes the current status of a Namespace. " D_SPEC_STATUS_URL),
	F_END
};
SCHEMA_OBJ(schema_t_namespace, "io.k8s.api.core.v1.Namespace",
	"Namespace provides a scope for Names. Use of multiple namespaces is optional.");

/* ---- ConfigMap ---- */

static const schema_field_t schema_t_configmap_fields[] = {
	F_STR("apiVersion", D_APIVERSION),
	F_STRMAP("binaryData", "BinaryData contains the binary data. Each key must consist of alphanumeric "
		"characters, '-', '_' or '.'. BinaryData can contain byte sequences that are not in the UTF-8 "
		"range. The keys stored in BinaryData must not overlap with the ones in the Data field."),
	F_STRMAP("data", "Data contains the configuration data. Each key must consist of alphanumeric "
		"characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData "
		"field. The keys stored in Data must not overlap with the keys in the BinaryData field."),
	F_BOOL("immutable", "Immutable, if set to true, ensures that data stored in the ConfigMap cannot be "
		"updated (only object metadata can be modified). If not set to true, the field can be modified "
		"at any time. Defaulted to nil."),
	F_STR("kind", D_KIND),
	F_REF("metadata", schema_t_object_meta, D_METADATA),
	F_END
};
SCHEMA_OBJ(schema_t_configmap, "io.k8s.api.core.v1.ConfigMap",
	"ConfigMap holds configuration data for pods to consume.");

/* ---- Endpoints ---- */

static const schema_field_t schema_t_endpoint_address_fields[] = {
	F_STR("hostname", "The Hostname of this endpoint"),
	F_STR_R("ip", "The IP of this endpoint. May not be loopback (127.0.0.0/8 or ::1), link-local "
		"(169.254.0.0/16 or fe80::/10), or link-local multicast (224.0.0.0/24 or ff02::/16)."),
	F_STR("nodeName", "Optional: Node hosting this endpoint. This can be used to determine endpoints local to a node."),
	F_REF("targetRef", schema_t_object_reference, "Reference to object providing the endpoint."),
	F_END
};
static SCHEMA_OBJ(schema_t_endpoint_address, "io.k8s.api.core.v1.EndpointAddress",
	"EndpointAddress is a tuple that describes single IP address. Deprecated: This API is "
	"deprecated in v1.33+.");

static const schema_field_t schema_t_endpoint_port_fields[] = {
	F_STR("appProtocol", "The application protocol for this port. This is used as a hint for "
		"implementations to offer richer behavior for protocols that they understand."),
	F_STR("name", "The name of this port.  This must match the 'name' field in the corresponding "
		"ServicePort. Must be a DNS_LABEL. Optional only if one port is defined."),
	F_I32_R("port", "The port number of the endpoint."),
	F_STR("protocol", "The IP protocol for this port. Must be UDP, TCP, or SCTP. Default is TCP."),
	F_END
};
static SCHEMA_OBJ(schema_t_endpoint_port, "io.k8s.api.core.v1.EndpointPort",
	"EndpointPort is a tuple that describes a single port. Deprecated: This API is deprecated in v1.33+.");

static const schema_field_t schema_t_endpoint_subset_fields[] = {
	F_LIST("addresses", schema_t_endpoint_address, "IP addresses which offer the related ports that are "
		"marked as ready. These endpoints should be considered safe for load balancers and clients to utilize."),
	F_LIST("notReadyAddresses", schema_t_endpoint_address, "IP addresses which offer the related ports but "
		"are not currently marked as ready because they have not yet finished starting, have recently "
		"failed a readiness check, or have recently failed a liveness check."),
	F_LIST("ports", schema_t_endpoint_port, "Port numbers available on the related IP addresses."),
	F_END
};
static SCHEMA_OBJ(schema_t_endpoint_subset, "io.k8s.api.core.v1.EndpointSubset",
	"EndpointSubset is a group of addresses with a common set of ports. The expanded set of "
	"endpoints is the Cartesian product of Addresses x Ports.");

static const schema_field_t schema_t_endpoints_fields[] = {
	F_TYPEMETA,
	F_LIST("subsets", schema_t_endpoint_subset, "The set of all endpoints is the union of all subsets. "
		"Addresses are placed into subsets according to the IPs they share. A single address with "
		"multiple ports, some of which are ready and some of which are not (because they come from "
		"different containers) will result in the address being displayed in different subsets for the "
		"different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset."),
	F_END
};
SCHEMA_OBJ(schema_t_endpoints, "io.k8s.api.core.v1.Endpoints",
	"Endpoints is a collection of endpoints that implement the actual service. Deprecated: This API "
	"is deprecated in v1.33+. Use discoveryv1.EndpointSlice.");

/* ---- Event ---- */

static const schema_field_t schema_t_event_source_fields[] = {
	F_STR("component", "Component from which the event is generated."),
	F_STR("host", "Node name on which the event is generated."),
	F_END
};
static SCHEMA_OBJ(schema_t_event_source, "io.k8s.api.core.v1.EventSource",
	"EventSource contains information for an event.");

static const schema_field_t schema_t_event_series_fields[] = {
	F_I32("count", "Number of occurrences in this series up to the last heartbeat time"),
	F_REF("lastObservedTime", schema_t_microtime, "Time of the last occurrence observed"),
	F_END
};
static SCHEMA_OBJ(schema_t_event_series, "io.k8s.api.core.v1.EventSeries",
	"EventSeries contain information on series of events, i.e. thing that was/is happening "
	"continuously for some time.");

static const schema_field_t schema_t_event_fields[] = {
	F_STR("action", "What action was taken/failed regarding to the Regarding object."),
	F_STR("apiVersion", D_APIVERSION),
	F_I32("count", "The number of times this event has occurred."),
	F_REF("eventTime", schema_t_microtime, "Time when this Event was first observed."),
	F_REF("firstTimestamp", schema_t_time, "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"),
	F_REF_R("involvedObject", schema_t_object_reference, "The object that this event is about."),
	F_STR("kind", D_KIND),
	F_REF("lastTimestamp", schema_t_time, "The time at which the most recent occurrence of this event was recorded."),
	F_STR("message", "A human-readable description of the status of this operation."),
	F_REF_R("metadata", schema_t_object_meta, D_METADATA),
	F_STR("reason", "This should be a short, machine understandable string that gives the reason for the "
		"transition into the object's current status."),
	F_REF("related", schema_t_object_reference, "Optional secondary object for more complex actions."),
	F_STR("reportingComponent", "Name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`."),
	F_STR("reportingInstance", "ID of the controller instance, e.g. `kubelet-xyzf`."),
	F_REF("series", schema_t_event_series, "Data about the Event series this event represents or nil if it's a singleton Event."),
	F_REF("source", schema_t_event_source, "The component reporting this event. Should be a short machine understandable string."),
	F_STR("type", "Type of this event (Normal, Warning), new types could be added in the future"),
	F_END
};
SCHEMA_OBJ(schema_t_event, "io.k8s.api.core.v1.Event",
	"Event is a report of an event somewhere in the cluster.  Events have a limited retention time "
	"and triggers and messages may evolve with time.  Event consumers should not rely on the "
	"timing of an event with a given Reason reflecting a consistent underlying trigger, or the "
	"continued existence of events with that Reason.  Events should be treated as informative, "
	"best-effort, supplemental data.");

/* ---- Node ---- */

static const schema_field_t schema_t_taint_fields[] = {
	F_STR_R("effect", "Required. The effect of the taint on pods that do not tolerate the taint. Valid "
		"effects are NoSchedule, PreferNoSchedule and NoExecute."),
	F_STR_R("key", "Required. The taint key to be applied to a node."),
	F_REF("timeAdded", schema_t_time, "TimeAdded represents the time at which the taint was added."),
	F_STR("value", "The taint value corresponding to the taint key."),
	F_END
};
static SCHEMA_OBJ(schema_t_taint, "io.k8s.api.core.v1.Taint",
	"The node this Taint is attached to has the \"effect\" on any pod that does not tolerate the Taint.");

OPEN_EMPTY(schema_t_node_config_source, "io.k8s.api.core.v1.NodeConfigSource",
	"NodeConfigSource specifies a source of node configuration. Exactly one subfield (excluding "
	"metadata) must be non-nil. This API is deprecated since 1.22");

static const schema_field_t schema_t_node_spec_fields[] = {
	F_REF("configSource", schema_t_node_config_source, "Deprecated: Previously used to specify the source of "
		"the node's configuration for the DynamicKubeletConfig feature. This feature is removed."),
	F_STR("externalID", "Deprecated. Not all kubelets will set this field. Remove field after 1.13."),
	F_STR("podCIDR", "PodCIDR represents the pod IP range assigned to the node."),
	F_STRS("podCIDRs", "podCIDRs represents the IP ranges assigned to the node for usage by Pods on that "
		"node. If this field is specified, the 0th entry must match the podCIDR field. It may contain at "
		"most 1 value for each of IPv4 and IPv6."),
	F_STR("providerID", "ID of the node assigned by the cloud provider in the format: <ProviderName>://<ProviderSpecificNodeID>"),
	F_LIST("taints", schema_t_taint, "If specified, the node's taints."),
	F_BOOL("unschedulable", "Unschedulable controls node schedulability of new pods. By default, node is "
		"schedulable. More info: https://kubernetes.io/docs/concepts/nodes/node/#manual-node-administration"),
	F_END
};
static SCHEMA_OBJ(schema_t_node_spec, "io.k8s.api.core.v1.NodeSpec",
	"NodeSpec describes the attributes that a node is created with.");

static const schema_field_t schema_t_node_address_fields[] = {
	F_STR_R("address", "The node address."),
	F_STR_R("type", "Node address type, one of Hostname, ExternalIP or InternalIP."),
	F_END
};
static SCHEMA_OBJ(schema_t_node_address, "io.k8s.api.core.v1.NodeAddress",
	"NodeAddress contains information for the node's address.");

static const schema_field_t schema_t_node_condition_fields[] = {
	F_REF("lastHeartbeatTime", schema_t_time, "Last time we got an update on a given condition."),
	F_REF("lastTransitionTime", schema_t_time, "Last time the condition transit from one status to another."),
	F_STR("message", "Human readable message indicating details about last transition."),
	F_STR("reason", "(brief) reason for the condition's last transition."),
	F_STR_R("status", "Status of the condition, one of True, False, Unknown."),
	F_STR_R("type", "Type of node condition."),
	F_END
};
static SCHEMA_OBJ(schema_t_node_condition, "io.k8s.api.core.v1.NodeCondition",
	"NodeCondition contains condition information for a node.");

static const schema_field_t schema_t_daemon_endpoint_fields[] = {
	F_I32_R("Port", "Port number of the given endpoint."),
	F_END
};
static SCHEMA_OBJ(schema_t_daemon_endpoint, "io.k8s.api.core.v1.DaemonEndpoint",
	"DaemonEndpoint contains information about a single Daemon endpoint.");

static const schema_field_t schema_t_node_daemon_endpoints_fields[] = {
	F_REF("kubeletEndpoint", schema_t_daemon_endpoint, "Endpoint on which Kubelet is listening."),
	F_END
};
static SCHEMA_OBJ(schema_t_node_daemon_endpoints, "io.k8s.api.core.v1.NodeDaemonEndpoints",
	"NodeDaemonEndpoints lists ports opened by daemons running on the Node.");

static const schema_field_t schema_t_container_image_fields[] = {
	F_STRS("names", "Names by which this image is known. e.g. [\"kubernetes.example/hyperkube:v1.0.7\", "
		"\"cloud-vendor.registry.example/cloud-vendor/hyperkube:v1.0.7\"]"),
	F_I64("sizeBytes", "The size of the image in bytes."),
	F_END
};
static SCHEMA_OBJ(schema_t_container_image, "io.k8s.api.core.v1.ContainerImage",
	"Describe a container image");

static const schema_field_t schema_t_node_system_info_fields[] = {
	F_STR_R("architecture", "The Architecture reported by the node"),
	F_STR_R("bootID", "Boot ID reported by the node."),
	F_STR_R("containerRuntimeVersion", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
	F_STR_R("kernelVersion", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
	F_STR_R("kubeProxyVersion", "Deprecated: KubeProxy Version reported by the node."),
	F_STR_R("kubeletVersion", "Kubelet Version reported by the node."),
	F_STR_R("machineID", "MachineID reported by the node. For unique machine identification in the cluster "
		"this field is preferred."),
	F_STR_R("operatingSystem", "The Operating System reported by the node"),
	F_STR_R("osImage", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
	F_STR_R("systemUUID", "SystemUUID reported by the node. For unique machine identification MachineID is "
		"preferred. This field is specific to Red Hat hosts."),
	F_END
};
static SCHEMA_OBJ_OPEN(schema_t_node_system_info, "io.k8s.api.core.v1.NodeSystemInfo",
	"NodeSystemInfo is a set of ids/uuids to uniquely identify the node.");

static const schema_field_t schema_t_attached_volume_fields[] = {
	F_STR_R("devicePath", "DevicePath represents the device path where the volume should be available"),
	F_STR_R("name", "Name of the attached volume"),
	F_END
};
static SCHEMA_OBJ(schema_t_attached_volume, "io.k8s.api.core.v1.AttachedVolume",
	"AttachedVolume describes a volume attached to a node");

static const schema_field_t schema_t_node_status_fields[] = {
	F_LIST("addresses", schema_t_node_address, "List of addresses reachable to the node. Queried from cloud "
		"provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses"),
	F_MAP("allocatable", schema_t_quantity, "Allocatable represents the resources of a node that are "
		"available for scheduling. Defaults to Capacity."),
	F_MAP("capacity", schema_t_quantity, "Capacity represents the total resources of a node. More info: "
		"https://kubernetes.io/docs/reference/node/node-status/#capacity"),
	F_LIST("conditions", schema_t_node_condition, "Conditions is an array of current observed node "
		"conditions. More info: https://kubernetes.io/docs/reference/node/node-status/#condition"),
	F_REF("daemonEndpoints", schema_t_node_daemon_endpoints, "Endpoints of daemons running on the Node."),
	F_LIST("images", schema_t_container_image, "List of container images on this node"),
	F_REF("nodeInfo", schema_t_node_system_info, "Set of ids/uuids to uniquely identify the node. More info: "
		"https://kubernetes.io/docs/reference/node/node-status/#info"),
	F_STR("phase", "NodePhase is the recently observed lifecycle phase of the node. Deprecated: this field is never populated."),
	F_LIST("volumesAttached", schema_t_attached_volume, "List of volumes that are attached to the node."),
	F_STRS("volumesInUse", "List of attachable volumes in use (mounted) by the node."),
	F_END
};
/* Open: config, features and runtimeHandlers are not described here. */
static SCHEMA_OBJ_OPEN(schema_t_node_status, "io.k8s.api.core.v1.NodeStatus",
	"NodeStatus is information about the current status of a node.");

static const schema_field_t schema_t_node_fields[] = {
	F_TYPEMETA,
	F_REF("spec", schema_t_node_spec, "Spec defines the behavior of a node. " D_SPEC_STATUS_URL),
	F_REF("status", schema_t_node_status, "Most recently observed status of the node. Populated by the "
		"system. Read-only. " D_SPEC_STATUS_URL),
	F_END
};
SCHEMA_OBJ(schema_t_node, "io.k8s.api.core.v1.Node",
	"Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).");

/* ---- Pod: containers and probes in full, the rest of PodSpec by name with open bodies ---- */

static const schema_field_t schema_t_exec_action_fields[] = {
	F_STRS("command", "Command is the command line to execute inside the container, the working directory "
		"for the command  is root ('/') in the container's filesystem. The command is simply exec'd, it "
		"is not run inside a shell. Exit status of 0 is treated as live/healthy and non-zero is unhealthy."),
	F_END
};
static SCHEMA_OBJ(schema_t_exec_action, "io.k8s.api.core.v1.ExecAction",
	"ExecAction describes a \"run in container\" action.");

static const schema_field_t schema_t_http_header_fields[] = {
	F_STR_R("name", "The header field name. This will be canonicalized upon output, so case-variant names "
		"will be understood as the same header."),
	F_STR_R("value", "The header field value"),
	F_END
};
static SCHEMA_OBJ(schema_t_http_header, "io.k8s.api.core.v1.HTTPHeader",
	"HTTPHeader describes a custom header to be used in HTTP probes");

static const schema_field_t schema_t_http_get_action_fields[] = {
	F_STR("host", "Host name to connect to, defaults to the pod IP. You probably want to set \"Host\" in httpHeaders instead."),
	F_LIST("httpHeaders", schema_t_http_header, "Custom headers to set in the request. HTTP allows repeated headers."),
	F_STR("path", "Path to access on the HTTP server."),
	F_REF_R("port", schema_t_int_or_string, "Name or number of the port to access on the container. Number "
		"must be in the range 1 to 65535. Name must be an IANA_SVC_NAME."),
	F_STR("scheme", "Scheme to use for connecting to the host. Defaults to HTTP."),
	F_END
};
static SCHEMA_OBJ(schema_t_http_get_action, "io.k8s.api.core.v1.HTTPGetAction",
	"HTTPGetAction describes an action based on HTTP Get requests.");

static const schema_field_t schema_t_tcp_socket_action_fields[] = {
	F_STR("host", "Optional: Host name to connect to, defaults to the pod IP."),
	F_REF_R("port", schema_t_int_or_string, "Number or name of the port to access on the container. Number "
		"must be in the range 1 to 65535. Name must be an IANA_SVC_NAME."),
	F_END
};
static SCHEMA_OBJ(schema_t_tcp_socket_action, "io.k8s.api.core.v1.TCPSocketAction",
	"TCPSocketAction describes an action based on opening a socket");

static const schema_field_t schema_t_grpc_action_fields[] = {
	F_I32_R("port", "Port number of the gRPC service. Number must be in the range 1 to 65535."),
	F_STR("service", "Service is the name of the service to place in the gRPC HealthCheckRequest (see "
		"https://github.com/grpc/grpc/blob/master/doc/health-checking.md). If this is not specified, the "
		"default behavior is defined by gRPC."),
	F_END
};
static SCHEMA_OBJ(schema_t_grpc_action, "io.k8s.api.core.v1.GRPCAction",
	"GRPCAction specifies an action involving a GRPC service.");

static const schema_field_t schema_t_probe_fields[] = {
	F_REF("exec", schema_t_exec_action, "Exec specifies a command to execute in the container."),
	F_I32("failureThreshold", "Minimum consecutive failures for the probe to be considered failed after "
		"having succeeded. Defaults to 3. Minimum value is 1."),
	F_REF("grpc", schema_t_grpc_action, "GRPC specifies a GRPC HealthCheckRequest."),
	F_REF("httpGet", schema_t_http_get_action, "HTTPGet specifies an HTTP GET request to perform."),
	F_I32("initialDelaySeconds", "Number of seconds after the container has started before liveness probes "
		"are initiated. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes"),
	F_I32("periodSeconds", "How often (in seconds) to perform the probe. Default to 10 seconds. Minimum value is 1."),
	F_I32("successThreshold", "Minimum consecutive successes for the probe to be considered successful after "
		"having failed. Defaults to 1. Must be 1 for liveness and startup. Minimum value is 1."),
	F_REF("tcpSocket", schema_t_tcp_socket_action, "TCPSocket specifies a connection to a TCP port."),
	F_I64("terminationGracePeriodSeconds", "Optional duration in seconds the pod needs to terminate "
		"gracefully upon probe failure. If this value is nil, the pod's terminationGracePeriodSeconds will "
		"be used. Otherwise, this value overrides the value provided by the pod spec."),
	F_I32("timeoutSeconds", "Number of seconds after which the probe times out. Defaults to 1 second. "
		"Minimum value is 1. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes"),
	F_END
};
static SCHEMA_OBJ(schema_t_probe, "io.k8s.api.core.v1.Probe",
	"Probe describes a health check to be performed against a container to determine whether it is "
	"alive or ready to receive traffic.");

static const schema_field_t schema_t_container_port_fields[] = {
	F_I32_R("containerPort", "Number of port to expose on the pod's IP address. This must be a valid port "
		"number, 0 < x < 65536."),
	F_STR("hostIP", "What host IP to bind the external port to."),
	F_I32("hostPort", "Number of port to expose on the host. If specified, this must be a valid port number, "
		"0 < x < 65536. If HostNetwork is specified, this must match ContainerPort. Most containers do not need this."),
	F_STR("name", "If specified, this must be an IANA_SVC_NAME and unique within the pod. Each named port in "
		"a pod must have a unique name. Name for the port that can be referred to by services."),
	F_STR("protocol", "Protocol for port. Must be UDP, TCP, or SCTP. Defaults to \"TCP\"."),
	F_END
};
static SCHEMA_OBJ(schema_t_container_port, "io.k8s.api.core.v1.ContainerPort",
	"ContainerPort represents a network port in a single container.");

OPEN_EMPTY(schema_t_env_var_source, "io.k8s.api.core.v1.EnvVarSource",
	"EnvVarSource represents a source for the value of an EnvVar.");

static const schema_field_t schema_t_env_var_fields[] = {
	F_STR_R("name", "Name of the environment variable. Must be a C_IDENTIFIER."),
	F_STR("value", "Variable references $(VAR_NAME) are expanded using the previously defined environment "
		"variables in the container and any service environment variables. If a variable cannot be "
		"resolved, the reference in the input string will be unchanged. Defaults to \"\"."),
	F_REF("valueFrom", schema_t_env_var_source, "Source for the environment variable's value. Cannot be used if value is not empty."),
	F_END
};
static SCHEMA_OBJ(schema_t_env_var, "io.k8s.api.core.v1.EnvVar",
	"EnvVar represents an environment variable present in a Container.");

OPEN_EMPTY(schema_t_env_from_source, "io.k8s.api.core.v1.EnvFromSource",
	"EnvFromSource represents the source of a set of ConfigMaps or Secrets");
OPEN_EMPTY(schema_t_resource_claim, "io.k8s.api.core.v1.ResourceClaim",
	"ResourceClaim references one entry in PodSpec.ResourceClaims.");

static const schema_field_t schema_t_resource_requirements_fields[] = {
	F_LIST("claims", schema_t_resource_claim, "Claims lists the names of resources, defined in "
		"spec.resourceClaims, that are used by this container. This is an alpha field and requires "
		"enabling the DynamicResourceAllocation feature gate."),
	F_MAP("limits", schema_t_quantity, "Limits describes the maximum amount of compute resources allowed. "
		"More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"),
	F_MAP("requests", schema_t_quantity, "Requests describes the minimum amount of compute resources "
		"required. If Requests is omitted for a container, it defaults to Limits if that is explicitly "
		"specified, otherwise to an implementation-defined value. Requests cannot exceed Limits. More "
		"info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"),
	F_END
};
static SCHEMA_OBJ(schema_t_resource_requirements, "io.k8s.api.core.v1.ResourceRequirements",
	"ResourceRequirements describes the compute resource requirements.");

static const schema_field_t schema_t_volume_mount_fields[] = {
	F_STR_R("mountPath", "Path within the container at which the volume should be mounted.  Must not contain ':'."),
	F_STR("mountPropagation", "mountPropagation determines how mounts are propagated from the host to "
		"container and the other way around. When not set, MountPropagationNone is used."),
	F_STR_R("name", "This must match the Name of a Volume."),
	F_BOOL("readOnly", "Mounted read-only if true, read-write otherwise (false or unspecified). Defaults to false."),
	F_STR("recursiveReadOnly", "RecursiveReadOnly specifies whether read-only mounts should be handled "
		"recursively. If ReadOnly is false, this field has no meaning and must be unspecified."),
	F_STR("subPath", "Path within the volume from which the container's volume should be mounted. Defaults "
		"to \"\" (volume's root)."),
	F_STR("subPathExpr", "Expanded path within the volume from which the container's volume should be "
		"mounted. Behaves similarly to SubPath but environment variable references $(VAR_NAME) are "
		"expanded using the container's environment. SubPathExpr and SubPath are mutually exclusive."),
	F_END
};
static SCHEMA_OBJ(schema_t_volume_mount, "io.k8s.api.core.v1.VolumeMount",
	"VolumeMount describes a mounting of a Volume within a container.");

static const schema_field_t schema_t_volume_device_fields[] = {
	F_STR_R("devicePath", "devicePath is the path inside of the container that the device will be mapped to."),
	F_STR_R("name", "name must match the name of a persistentVolumeClaim in the pod"),
	F_END
};
static SCHEMA_OBJ(schema_t_volume_device, "io.k8s.api.core.v1.VolumeDevice",
	"volumeDevice describes a mapping of a raw block device within a container.");

OPEN_EMPTY(schema_t_lifecycle, "io.k8s.api.core.v1.Lifecycle",
	"Lifecycle describes actions that the management system should take in response to container "
	"lifecycle events.");
OPEN_EMPTY(schema_t_security_context, "io.k8s.api.core.v1.SecurityContext",
	"SecurityContext holds security configuration that will be applied to a container.");
OPEN_EMPTY(schema_t_container_resize_policy, "io.k8s.api.core.v1.ContainerResizePolicy",
	"ContainerResizePolicy represents resource resize policy for the container.");

static const schema_field_t schema_t_container_fields[] = {
	F_STRS("args", "Arguments to the entrypoint. The container image's CMD is used if this is not provided. "
		"Variable references $(VAR_NAME) are expanded using the container's environment. Cannot be "
		"updated. More info: https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#running-a-command-in-a-shell"),
	F_STRS("command", "Entrypoint array. Not executed within a shell. The container image's ENTRYPOINT is "
		"used if this is not provided. Variable references $(VAR_NAME) are expanded using the container's "
		"environment. Cannot be updated. More info: https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#running-a-command-in-a-shell"),
	F_LIST("env", schema_t_env_var, "List of environment variables to set in the container. Cannot be updated."),
	F_LIST("envFrom", schema_t_env_from_source, "List of sources to populate environment variables in the "
		"container. Cannot be updated."),
	F_STR("image", "Container image name. More info: https://kubernetes.io/docs/concepts/containers/images"),
	F_STR("imagePullPolicy", "Image pull policy. One of Always, Never, IfNotPresent. Defaults to Always if "
		":latest tag is specified, or IfNotPresent otherwise. Cannot be updated."),
	F_REF("lifecycle", schema_t_lifecycle, "Actions that the management system should take in response to "
		"container lifecycle events. Cannot be updated."),
	F_REF("livenessProbe", schema_t_probe, "Periodic probe of container liveness. Container will be "
		"restarted if the probe fails. Cannot be updated. More info: "
		"https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes"),
	F_STR_R("name", "Name of the container specified as a DNS_LABEL. Each container in a pod must have a "
		"unique name (DNS_LABEL). Cannot be updated."),
	F_LIST("ports", schema_t_container_port, "List of ports to expose from the container. Not specifying a "
		"port here DOES NOT prevent that port from being exposed. Cannot be updated."),
	F_REF("readinessProbe", schema_t_probe, "Periodic probe of container service readiness. Container will "
		"be removed from service endpoints if the probe fails. Cannot be updated. More info: "
		"https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes"),
	F_LIST("resizePolicy", schema_t_container_resize_policy, "Resources resize policy for the container."),
	F_REF("resources", schema_t_resource_requirements, "Compute Resources required by this container. Cannot "
		"be updated. More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"),
	F_STR("restartPolicy", "RestartPolicy defines the restart behavior of individual containers in a pod. "
		"This field may only be set for init containers, and the only allowed value is \"Always\"."),
	F_REF("securityContext", schema_t_security_context, "SecurityContext defines the security options the "
		"container should be run with. More info: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"),
	F_REF("startupProbe", schema_t_probe, "StartupProbe indicates that the Pod has successfully initialized. "
		"If specified, no other probes are executed until this completes successfully. More info: "
		"https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes"),
	F_BOOL("stdin", "Whether this container should allocate a buffer for stdin in the container runtime. If "
		"this is not set, reads from stdin in the container will always result in EOF. Default is false."),
	F_BOOL("stdinOnce", "Whether the container runtime should close the stdin channel after it has been "
		"opened by a single attach. Default is false"),
	F_STR("terminationMessagePath", "Optional: Path at which the file to which the container's termination "
		"message will be written is mounted into the container's filesystem. Defaults to /dev/termination-log."),
	F_STR("terminationMessagePolicy", "Indicate how the termination message should be populated. File will "
		"use the contents of terminationMessagePath to populate the container status message on both "
		"success and failure. FallbackToLogsOnError will use the last chunk of container log output if the "
		"termination message file is empty and the container exited with an error. Defaults to File."),
	F_BOOL("tty", "Whether this container should allocate a TTY for itself, also requires 'stdin' to be "
		"true. Default is false."),
	F_LIST("volumeDevices", schema_t_volume_device, "volumeDevices is the list of block devices to be used by the container."),
	F_LIST("volumeMounts", schema_t_volume_mount, "Pod volumes to mount into the container's filesystem. Cannot be updated."),
	F_STR("workingDir", "Container's working directory. If not specified, the container runtime's default "
		"will be used, which might be configured in the container image. Cannot be updated."),
	F_END
};
static SCHEMA_OBJ(schema_t_container, "io.k8s.api.core.v1.Container",
	"A single application container that you want to run within a pod.");

static const schema_field_t schema_t_volume_fields[] = {
	F_STR_R("name", "name of the volume. Must be a DNS_LABEL and unique within the pod. More info: "
		"https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names"),
	F_END
};
/* Open: the ~30 volume sources are not described. */
static SCHEMA_OBJ_OPEN(schema_t_volume, "io.k8s.api.core.v1.Volume",
	"Volume represents a named volume in a pod that may be accessed by any container in the pod.");

static const schema_field_t schema_t_dns_option_fields[] = {
	F_STR("name", "Name is this DNS resolver option's name. Required."),
	F_STR("value", "Value is this DNS resolver option's value."),
	F_END
};
static SCHEMA_OBJ(schema_t_dns_option, "io.k8s.api.core.v1.PodDNSConfigOption",
	"PodDNSConfigOption defines DNS resolver options of a pod.");

static const schema_field_t schema_t_dns_config_fields[] = {
	F_STRS("nameservers", "A list of DNS name server IP addresses. This will be appended to the base "
		"nameservers generated from DNSPolicy. Duplicated nameservers will be removed."),
	F_LIST("options", schema_t_dns_option, "A list of DNS resolver options. This will be merged with the "
		"base options generated from DNSPolicy. Duplicated entries will be removed."),
	F_STRS("searches", "A list of DNS search domains for host-name lookup. This will be appended to the base "
		"search paths generated from DNSPolicy. Duplicated search paths will be removed."),
	F_END
};
static SCHEMA_OBJ(schema_t_dns_config, "io.k8s.api.core.v1.PodDNSConfig",
	"PodDNSConfig defines the DNS parameters of a pod in addition to those generated from DNSPolicy.");

static const schema_field_t schema_t_host_alias_fields[] = {
	F_STRS("hostnames", "Hostnames for the above IP address."),
	F_STR_R("ip", "IP address of the host file entry."),
	F_END
};
static SCHEMA_OBJ(schema_t_host_alias, "io.k8s.api.core.v1.HostAlias",
	"HostAlias holds the mapping between IP and hostnames that will be injected as an entry in the "
	"pod's hosts file.");

static const schema_field_t schema_t_local_object_reference_fields[] = {
	F_STR("name", "Name of the referent. This field is effectively required, but due to backwards "
		"compatibility is allowed to be empty."),
	F_END
};
static SCHEMA_OBJ(schema_t_local_object_reference, "io.k8s.api.core.v1.LocalObjectReference",
	"LocalObjectReference contains enough information to let you locate the referenced object inside "
	"the same namespace.");

static const schema_field_t schema_t_pod_os_fields[] = {
	F_STR_R("name", "Name is the name of the operating system. The currently supported values are linux and windows."),
	F_END
};
static SCHEMA_OBJ(schema_t_pod_os, "io.k8s.api.core.v1.PodOS",
	"PodOS defines the OS parameters of a pod.");

static const schema_field_t schema_t_readiness_gate_fields[] = {
	F_STR_R("conditionType", "ConditionType refers to a condition in the pod's condition list with matching type."),
	F_END
};
static SCHEMA_OBJ(schema_t_readiness_gate, "io.k8s.api.core.v1.PodReadinessGate",
	"PodReadinessGate contains the reference to a pod condition");

static const schema_field_t schema_t_scheduling_gate_fields[] = {
	F_STR_R("name", "Name of the scheduling gate. Each scheduling gate must have a unique name field."),
	F_END
};
static SCHEMA_OBJ(schema_t_scheduling_gate, "io.k8s.api.core.v1.PodSchedulingGate",
	"PodSchedulingGate is associated to a Pod to guard its scheduling.");

static const schema_field_t schema_t_toleration_fields[] = {
	F_STR("effect", "Effect indicates the taint effect to match. Empty means match all taint effects. When "
		"specified, allowed values are NoSchedule, PreferNoSchedule and NoExecute."),
	F_STR("key", "Key is the taint key that the toleration applies to. Empty means match all taint keys. "
		"If the key is empty, operator must be Exists."),
	F_STR("operator", "Operator represents a key's relationship to the value. Valid operators are Exists "
		"and Equal. Defaults to Equal."),
	F_I64("tolerationSeconds", "TolerationSeconds represents the period of time the toleration (which must "
		"be of effect NoExecute, otherwise this field is ignored) tolerates the taint."),
	F_STR("value", "Value is the taint value the toleration matches to. If the operator is Exists, the value "
		"should be empty, otherwise just a regular string."),
	F_END
};
static SCHEMA_OBJ(schema_t_toleration, "io.k8s.api.core.v1.Toleration",
	"The pod this Toleration is attached to tolerates any taint that matches the triple "
	"<key,value,effect> using the matching operator <operator>.");

OPEN_EMPTY(schema_t_affinity, "io.k8s.api.core.v1.Affinity", "Affinity is a group of affinity scheduling rules.");
OPEN_EMPTY(schema_t_ephemeral_container, "io.k8s.api.core.v1.EphemeralContainer",
	"An EphemeralContainer is a temporary container that you may add to an existing Pod for "
	"user-initiated activities such as debugging.");
OPEN_EMPTY(schema_t_pod_resource_claim, "io.k8s.api.core.v1.PodResourceClaim",
	"PodResourceClaim references exactly one ResourceClaim.");
OPEN_EMPTY(schema_t_pod_security_context, "io.k8s.api.core.v1.PodSecurityContext",
	"PodSecurityContext holds pod-level security attributes and common container settings.");
OPEN_EMPTY(schema_t_topology_spread, "io.k8s.api.core.v1.TopologySpreadConstraint",
	"TopologySpreadConstraint specifies how to spread matching pods among the given topology.");

static const schema_field_t schema_t_pod_spec_fields[] = {
	F_I64("activeDeadlineSeconds", "Optional duration in seconds the pod may be active on the node relative "
		"to StartTime before the system will actively try to mark it failed and kill associated containers."),
	F_REF("affinity", schema_t_affinity, "If specified, the pod's scheduling constraints"),
	F_BOOL("automountServiceAccountToken", "AutomountServiceAccountToken indicates whether a service account "
		"token should be automatically mounted."),
	F_LIST_R("containers", schema_t_container, "List of containers belonging to the pod. Containers cannot "
		"currently be added or removed. There must be at least one container in a Pod. Cannot be updated."),
	F_REF("dnsConfig", schema_t_dns_config, "Specifies the DNS parameters of a pod. Parameters specified here "
		"will be merged to the generated DNS configuration based on DNSPolicy."),
	F_STR("dnsPolicy", "Set DNS policy for the pod. Defaults to \"ClusterFirst\". Valid values are "
		"'ClusterFirstWithHostNet', 'ClusterFirst', 'Default' or 'None'."),
	F_BOOL("enableServiceLinks", "EnableServiceLinks indicates whether information about services should be "
		"injected into pod's environment variables, matching the syntax of Docker links. Optional: "
		"Defaults to true."),
	F_LIST("ephemeralContainers", schema_t_ephemeral_container, "List of ephemeral containers run in this "
		"pod. Ephemeral containers may be run in an existing pod to perform user-initiated actions such as "
		"debugging."),
	F_LIST("hostAliases", schema_t_host_alias, "HostAliases is an optional list of hosts and IPs that will be "
		"injected into the pod's hosts file if specified."),
	F_BOOL("hostIPC", "Use the host's ipc namespace. Optional: Default to false."),
	F_BOOL("hostNetwork", "Host networking requested for this pod. Use the host's network namespace. "
		"Default to false."),
	F_BOOL("hostPID", "Use the host's pid namespace. Optional: Default to false."),
	F_BOOL("hostUsers", "Use the host's user namespace. Optional: Default to true."),
	F_STR("hostname", "Specifies the hostname of the Pod If not specified, the pod's hostname will be set to "
		"a system-defined value."),
	F_LIST("imagePullSecrets", schema_t_local_object_reference, "ImagePullSecrets is an optional list of "
		"references to secrets in the same namespace to use for pulling any of the images used by this PodSpec."),
	F_LIST("initContainers", schema_t_container, "List of initialization containers belonging to the pod. "
		"Init containers are executed in order prior to containers being started. More info: "
		"https://kubernetes.io/docs/concepts/workloads/pods/init-containers/"),
	F_STR("nodeName", "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
		"candidate for scheduling by the scheduler defined in schedulerName."),
	F_STRMAP("nodeSelector", "NodeSelector is a selector which must be true for the pod to fit on a node. "
		"Selector which must match a node's labels for the pod to be scheduled on that node. More info: "
		"https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
	F_REF("os", schema_t_pod_os, "Specifies the OS of the containers in the pod."),
	F_MAP("overhead", schema_t_quantity, "Overhead represents the resource overhead associated with running "
		"a pod for a given RuntimeClass."),
	F_STR("preemptionPolicy", "PreemptionPolicy is the Policy for preempting pods with lower priority. One of "
		"Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."),
	F_I32("priority", "The priority value. Various system components use this field to find the priority of "
		"the pod."),
	F_STR("priorityClassName", "If specified, indicates the pod's priority."),
	F_LIST("readinessGates", schema_t_readiness_gate, "If specified, all readiness gates will be evaluated "
		"for pod readiness. A pod is ready when all its containers are ready AND all conditions specified "
		"in the readiness gates have status equal to \"True\" More info: "
		"https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"),
	F_LIST("resourceClaims", schema_t_pod_resource_claim, "ResourceClaims defines which ResourceClaims must "
		"be allocated and reserved before the Pod is allowed to start."),
	F_REF("resources", schema_t_resource_requirements, "Resources is the total amount of CPU and Memory "
		"resources required by all containers in the pod."),
	F_STR("restartPolicy", "Restart policy for all containers within the pod. One of Always, OnFailure, "
		"Never. In some contexts, only a subset of those values may be permitted. Default to Always. More "
		"info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy"),
	F_STR("runtimeClassName", "RuntimeClassName refers to a RuntimeClass object in the node.k8s.io group, "
		"which should be used to run this pod."),
	F_STR("schedulerName", "If specified, the pod will be dispatched by specified scheduler. If not "
		"specified, the pod will be dispatched by default scheduler."),
	F_LIST("schedulingGates", schema_t_scheduling_gate, "SchedulingGates is an opaque list of values that if "
		"specified will block scheduling the pod."),
	F_REF("securityContext", schema_t_pod_security_context, "SecurityContext holds pod-level security "
		"attributes and common container settings. Optional: Defaults to empty."),
	F_STR("serviceAccount", "DeprecatedServiceAccount is a deprecated alias for ServiceAccountName. "
		"Deprecated: Use serviceAccountName instead."),
	F_STR("serviceAccountName", "ServiceAccountName is the name of the ServiceAccount to use to run this "
		"pod. More info: https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"),
	F_BOOL("setHostnameAsFQDN", "If true the pod's hostname will be configured as the pod's FQDN, rather "
		"than the leaf name (the default)."),
	F_BOOL("shareProcessNamespace", "Share a single process namespace between all of the containers in a "
		"pod. Optional: Default to false."),
	F_STR("subdomain", "If specified, the fully qualified Pod hostname will be "
		"\"<hostname>.<subdomain>.<pod namespace>.svc.<cluster domain>\". If not specified, the pod will "
		"not have a domainname at all."),
	F_I64("terminationGracePeriodSeconds", "Optional duration in seconds the pod needs to terminate "
		"gracefully. May be decreased in delete request. Value must be non-negative integer. The value "
		"zero indicates stop immediately via the kill signal (no opportunity to shut down). If this value "
		"is nil, the default grace period will be used instead. Defaults to 30 seconds."),
	F_LIST("tolerations", schema_t_toleration, "If specified, the pod's tolerations."),
	F_LIST("topologySpreadConstraints", schema_t_topology_spread, "TopologySpreadConstraints describes how a "
		"group of pods ought to spread across topology domains."),
	F_LIST("volumes", schema_t_volume, "List of volumes that can be mounted by containers belonging to the "
		"pod. More info: https://kubernetes.io/docs/concepts/storage/volumes"),
	F_END
};
static SCHEMA_OBJ(schema_t_pod_spec, "io.k8s.api.core.v1.PodSpec",
	"PodSpec is a description of a pod.");

static const schema_field_t schema_t_pod_condition_fields[] = {
	F_REF("lastProbeTime", schema_t_time, "Last time we probed the condition."),
	F_REF("lastTransitionTime", schema_t_time, "Last time the condition transitioned from one status to another."),
	F_STR("message", "Human-readable message indicating details about last transition."),
	F_STR("reason", "Unique, one-word, CamelCase reason for the condition's last transition."),
	F_STR_R("status", "Status is the status of the condition. Can be True, False, Unknown."),
	F_STR_R("type", "Type is the type of the condition. More info: "
		"https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-conditions"),
	F_END
};
static SCHEMA_OBJ_OPEN(schema_t_pod_condition, "io.k8s.api.core.v1.PodCondition",
	"PodCondition contains details for the current condition of this pod.");

static const schema_field_t schema_t_container_status_fields[] = {
	F_STR("containerID", "ContainerID is the ID of the container in the format '<type>://<container_id>'."),
	F_STR_R("image", "Image is the name of container image that the container is running."),
	F_STR_R("imageID", "ImageID is the image ID of the container's image."),
	F_STR_R("name", "Name is a DNS_LABEL representing the unique name of the container."),
	F_BOOL_R("ready", "Ready specifies whether the container is currently passing its readiness check."),
	F_I32_R("restartCount", "RestartCount holds the number of times the container has been restarted."),
	F_BOOL("started", "Started indicates whether the container has finished its postStart lifecycle hook "
		"and passed its startup probe."),
	F_END
};
/* Open: state, lastState, resources, user, volumeMounts, ... are not described. */
static SCHEMA_OBJ_OPEN(schema_t_container_status, "io.k8s.api.core.v1.ContainerStatus",
	"ContainerStatus contains details for the current status of this container.");

static const schema_field_t schema_t_ip_fields[] = {
	F_STR_R("ip", "IP is the IP address assigned to the pod or host."),
	F_END
};
static const schema_type_t schema_t_pod_ip = {
	"io.k8s.api.core.v1.PodIP", "PodIP represents a single IP address allocated to the pod.",
	schema_t_ip_fields, SCHEMA_LEAF_NONE, false
};
static const schema_type_t schema_t_host_ip = {
	"io.k8s.api.core.v1.HostIP", "HostIP represents a single IP address allocated to the host.",
	schema_t_ip_fields, SCHEMA_LEAF_NONE, false
};

static const schema_field_t schema_t_pod_status_fields[] = {
	F_LIST("conditions", schema_t_pod_condition, "Current service state of pod. More info: "
		"https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-conditions"),
	F_LIST("containerStatuses", schema_t_container_status, "Statuses of containers in this pod. Each "
		"container in the pod should have at most one status in this list."),
	F_LIST("ephemeralContainerStatuses", schema_t_container_status, "Statuses for any ephemeral containers "
		"that have run in this pod."),
	F_STR("hostIP", "hostIP holds the IP address of the host to which the pod is assigned. Empty if the pod "
		"has not started yet."),
	F_LIST("hostIPs", schema_t_host_ip, "hostIPs holds the IP addresses allocated to the host. If this field "
		"is specified, the first entry must match the hostIP field."),
	F_LIST("initContainerStatuses", schema_t_container_status, "Statuses of init containers in this pod."),
	F_STR("message", "A human readable message indicating details about why the pod is in this condition."),
	F_STR("nominatedNodeName", "nominatedNodeName is set only when this pod preempts other pods on the node, "
		"but it cannot be scheduled right away as preemption victims receive their graceful termination periods."),
	F_STR("phase", "The phase of a Pod is a simple, high-level summary of where the Pod is in its "
		"lifecycle. One of Pending, Running, Succeeded, Failed, Unknown. More info: "
		"https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#pod-phase"),
	F_STR("podIP", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
		"yet allocated."),
	F_LIST("podIPs", schema_t_pod_ip, "podIPs holds the IP addresses allocated to the pod. If this field is "
		"specified, the 0th entry must match the podIP field. Pods may be allocated at most 1 value for "
		"each of IPv4 and IPv6."),
	F_STR("qosClass", "The Quality of Service (QOS) classification assigned to the pod based on resource "
		"requirements. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/#quality-of-service-classes"),
	F_STR("reason", "A brief CamelCase message indicating details about why the pod is in this state. e.g. 'Evicted'"),
	F_REF("startTime", schema_t_time, "RFC 3339 date and time at which the object was acknowledged by the "
		"Kubelet. This is before the Kubelet pulled the container image(s) for the pod."),
	F_END
};
/* Open: resize, resourceClaimStatuses, observedGeneration, ... are not described. */
static SCHEMA_OBJ_OPEN(schema_t_pod_status, "io.k8s.api.core.v1.PodStatus",
	"PodStatus represents information about the status of a pod. Status may trail the actual state "
	"of a system, especially if the node that hosts the pod cannot contact the control plane.");

static const schema_field_t schema_t_pod_fields[] = {
	F_TYPEMETA,
	F_REF("spec", schema_t_pod_spec, "Specification of the desired behavior of the pod. " D_SPEC_STATUS_URL),
	F_REF("status", schema_t_pod_status, "Most recently observed status of the pod. This data may not be up "
		"to date. Populated by the system. Read-only. " D_SPEC_STATUS_URL),
	F_END
};
SCHEMA_OBJ(schema_t_pod, "io.k8s.api.core.v1.Pod",
	"Pod is a collection of containers that can run on a host. This resource is created by clients "
	"and scheduled onto hosts.");

static const schema_field_t schema_t_pod_template_spec_fields[] = {
	F_REF("metadata", schema_t_object_meta, D_METADATA),
	F_REF("spec", schema_t_pod_spec, "Specification of the desired behavior of the pod. " D_SPEC_STATUS_URL),
	F_END
};
SCHEMA_OBJ(schema_t_pod_template_spec, "io.k8s.api.core.v1.PodTemplateSpec",
	"PodTemplateSpec describes the data a pod should have when created from a template");
