/* Schemas of the non-core kinds: apps/v1 Deployment, autoscaling/v1 Scale (the /scale
 * subresource), discovery.k8s.io/v1 EndpointSlice and coordination.k8s.io/v1 Lease. Field lists
 * follow k8s.io/api as of 1.33, descriptions its doc comments, shortened. */
#include "lib/schema_types.h"

/* ---- Deployment ---- */

static const schema_field_t schema_t_rolling_update_fields[] = {
	F_REF("maxSurge", schema_t_int_or_string, "The maximum number of pods that can be scheduled above the "
		"desired number of pods. Value can be an absolute number (ex: 5) or a percentage of desired pods "
		"(ex: 10%). This can not be 0 if MaxUnavailable is 0. Absolute number is calculated from "
		"percentage by rounding up. Defaults to 25%."),
	F_REF("maxUnavailable", schema_t_int_or_string, "The maximum number of pods that can be unavailable "
		"during the update. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: "
		"10%). Absolute number is calculated from percentage by rounding down. This can not be 0 if "
		"MaxSurge is 0. Defaults to 25%."),
	F_END
};
static SCHEMA_OBJ(schema_t_rolling_update, "io.k8s.api.apps.v1.RollingUpdateDeployment",
	"Spec to control the desired behavior of rolling update.");

static const schema_field_t schema_t_deployment_strategy_fields[] = {
	F_REF("rollingUpdate", schema_t_rolling_update, "Rolling update config params. Present only if "
		"DeploymentStrategyType = RollingUpdate."),
	F_STR("type", "Type of deployment. Can be \"Recreate\" or \"RollingUpdate\". Default is RollingUpdate."),
	F_END
};
static SCHEMA_OBJ(schema_t_deployment_strategy, "io.k8s.api.apps.v1.DeploymentStrategy",
	"DeploymentStrategy describes how to replace existing pods with new ones.");

static const schema_field_t schema_t_deployment_spec_fields[] = {
	F_I32("minReadySeconds", "Minimum number of seconds for which a newly created pod should be ready without "
		"any of its container crashing, for it to be considered available. Defaults to 0 (pod will be "
		"considered available as soon as it is ready)"),
	F_BOOL("paused", "Indicates that the deployment is paused."),
	F_I32("progressDeadlineSeconds", "The maximum time in seconds for a deployment to make progress before "
		"it is considered to be failed. The deployment controller will continue to process failed "
		"deployments and a condition with a ProgressDeadlineExceeded reason will be surfaced in the "
		"deployment status. Defaults to 600s."),
	F_I32("replicas", "Number of desired pods. This is a pointer to distinguish between explicit zero and "
		"not specified. Defaults to 1."),
	F_I32("revisionHistoryLimit", "The number of old ReplicaSets to retain to allow rollback. This is a "
		"pointer to distinguish between explicit zero and not specified. Defaults to 10."),
	F_REF_R("selector", schema_t_label_selector, "Label selector for pods. Existing ReplicaSets whose pods "
		"are selected by this will be the ones affected by this deployment. It must match the pod "
		"template's labels."),
	F_REF("strategy", schema_t_deployment_strategy, "The deployment strategy to use to replace existing pods with new ones."),
	F_REF_R("template", schema_t_pod_template_spec, "Template describes the pods that will be created. The "
		"only allowed template.spec.restartPolicy value is \"Always\"."),
	F_END
};
static SCHEMA_OBJ(schema_t_deployment_spec, "io.k8s.api.apps.v1.DeploymentSpec",
	"DeploymentSpec is the specification of the desired behavior of the Deployment.");

static const schema_field_t schema_t_deployment_condition_fields[] = {
	F_REF("lastTransitionTime", schema_t_time, "Last time the condition transitioned from one status to another."),
	F_REF("lastUpdateTime", schema_t_time, "The last time this condition was updated."),
	F_STR("message", "A human readable message indicating details about the transition."),
	F_STR("reason", "The reason for the condition's last transition."),
	F_STR_R("status", "Status of the condition, one of True, False, Unknown."),
	F_STR_R("type", "Type of deployment condition."),
	F_END
};
static SCHEMA_OBJ(schema_t_deployment_condition, "io.k8s.api.apps.v1.DeploymentCondition",
	"DeploymentCondition describes the state of a deployment at a certain point.");

static const schema_field_t schema_t_deployment_status_fields[] = {
	F_I32("availableReplicas", "Total number of available non-terminating pods (ready for at least "
		"minReadySeconds) targeted by this deployment."),
	F_I32("collisionCount", "Count of hash collisions for the Deployment. The Deployment controller uses this "
		"field as a collision avoidance mechanism when it needs to create the name for the newest ReplicaSet."),
	F_LIST("conditions", schema_t_deployment_condition, "Represents the latest available observations of a "
		"deployment's current state."),
	F_I64("observedGeneration", "The generation observed by the deployment controller."),
	F_I32("readyReplicas", "Total number of non-terminating pods targeted by this Deployment with a Ready Condition."),
	F_I32("replicas", "Total number of non-terminating pods targeted by this deployment (their labels match the selector)."),
	F_I32("terminatingReplicas", "Total number of terminating pods targeted by this deployment. This is an "
		"alpha field. Enable DeploymentReplicaSetTerminatingReplicas to be able to use this field."),
	F_I32("unavailableReplicas", "Total number of unavailable pods targeted by this deployment. This is the "
		"total number of pods that are still required for the deployment to have 100% available capacity."),
	F_I32("updatedReplicas", "Total number of non-terminating pods targeted by this deployment that have the "
		"desired template spec."),
	F_END
};
/* Open: a status written by a newer controller must not be refused on a round trip. */
static SCHEMA_OBJ_OPEN(schema_t_deployment_status, "io.k8s.api.apps.v1.DeploymentStatus",
	"DeploymentStatus is the most recently observed status of the Deployment.");

static const schema_field_t schema_t_deployment_fields[] = {
	F_TYPEMETA,
	F_REF("spec", schema_t_deployment_spec, "Specification of the desired behavior of the Deployment."),
	F_REF("status", schema_t_deployment_status, "Most recently observed status of the Deployment."),
	F_END
};
SCHEMA_OBJ(schema_t_deployment, "io.k8s.api.apps.v1.Deployment",
	"Deployment enables declarative updates for Pods and ReplicaSets.");

/* ---- autoscaling/v1 Scale ---- */

static const schema_field_t schema_t_scale_spec_fields[] = {
	F_I32("replicas", "replicas is the desired number of instances for the scaled object."),
	F_END
};
static SCHEMA_OBJ(schema_t_scale_spec, "io.k8s.api.autoscaling.v1.ScaleSpec",
	"ScaleSpec describes the attributes of a scale subresource.");

static const schema_field_t schema_t_scale_status_fields[] = {
	F_I32_R("replicas", "replicas is the actual number of observed instances of the scaled object."),
	F_STR("selector", "selector is the label query over pods that should match the replicas count. This is "
		"same as the label selector but in the string format to avoid introspection by clients. More info: "
		"https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"),
	F_END
};
static SCHEMA_OBJ(schema_t_scale_status, "io.k8s.api.autoscaling.v1.ScaleStatus",
	"ScaleStatus represents the current status of a scale subresource.");

static const schema_field_t schema_t_scale_fields[] = {
	F_TYPEMETA,
	F_REF("spec", schema_t_scale_spec, "spec defines the behavior of the scale. " D_SPEC_STATUS_URL),
	F_REF("status", schema_t_scale_status, "status is the current status of the scale. " D_SPEC_STATUS_URL
		". Read-only."),
	F_END
};
SCHEMA_OBJ(schema_t_scale, "io.k8s.api.autoscaling.v1.Scale",
	"Scale represents a scaling request for a resource.");

/* ---- discovery.k8s.io/v1 EndpointSlice ---- */

static const schema_field_t schema_t_endpoint_conditions_fields[] = {
	F_BOOL("ready", "ready indicates that this endpoint is ready to receive traffic, according to whatever "
		"system is managing the endpoint. A nil value should be interpreted as \"true\". In general, an "
		"endpoint should be marked ready if it is serving and not terminating, though this can be "
		"overridden in some cases, such as when the associated Service has set the "
		"publishNotReadyAddresses flag."),
	F_BOOL("serving", "serving indicates that this endpoint is able to receive traffic, according to whatever "
		"system is managing the endpoint. For endpoints backed by pods, the EndpointSlice controller will "
		"mark the endpoint as serving if the pod's Ready condition is True. A nil value should be "
		"interpreted as \"true\"."),
	F_BOOL("terminating", "terminating indicates that this endpoint is terminating. A nil value should be "
		"interpreted as \"false\"."),
	F_END
};
static SCHEMA_OBJ(schema_t_endpoint_conditions, "io.k8s.api.discovery.v1.EndpointConditions",
	"EndpointConditions represents the current condition of an endpoint.");

static const schema_field_t schema_t_for_zone_fields[] = {
	F_STR_R("name", "name represents the name of the zone."),
	F_END
};
static SCHEMA_OBJ(schema_t_for_zone, "io.k8s.api.discovery.v1.ForZone",
	"ForZone provides information about which zones should consume this endpoint.");

static const schema_field_t schema_t_for_node_fields[] = {
	F_STR_R("name", "name represents the name of the node."),
	F_END
};
static SCHEMA_OBJ(schema_t_for_node, "io.k8s.api.discovery.v1.ForNode",
	"ForNode provides information about which nodes should consume this endpoint.");

static const schema_field_t schema_t_endpoint_hints_fields[] = {
	F_LIST("forNodes", schema_t_for_node, "forNodes indicates the node(s) this endpoint should be consumed by "
		"when using topology aware routing. May contain a maximum of 8 entries. This is an Alpha feature "
		"and is only used when the PreferSameTrafficDistribution feature gate is enabled."),
	F_LIST("forZones", schema_t_for_zone, "forZones indicates the zone(s) this endpoint should be consumed by "
		"when using topology aware routing. May contain a maximum of 8 entries."),
	F_END
};
static SCHEMA_OBJ(schema_t_endpoint_hints, "io.k8s.api.discovery.v1.EndpointHints",
	"EndpointHints provides hints describing how an endpoint should be consumed.");

static const schema_field_t schema_t_endpoint_fields[] = {
	F_STRS_R("addresses", "addresses of this endpoint. For EndpointSlices of addressType \"IPv4\" or "
		"\"IPv6\", the values are IP addresses in canonical form. The syntax and semantics of other "
		"addressType values are not defined. This must contain at least one address but no more than 100. "
		"EndpointSlices generated by the EndpointSlice controller will always have exactly 1 address."),
	F_REF("conditions", schema_t_endpoint_conditions, "conditions contains information about the current "
		"status of the endpoint."),
	F_STRMAP("deprecatedTopology", "deprecatedTopology contains topology information part of the v1beta1 "
		"API. This field is deprecated, and will be removed when the v1beta1 API is removed (no sooner "
		"than kubernetes v1.24)."),
	F_REF("hints", schema_t_endpoint_hints, "hints contains information associated with how an endpoint "
		"should be consumed."),
	F_STR("hostname", "hostname of this endpoint. This field may be used by consumers of endpoints to "
		"distinguish endpoints from each other (e.g. in DNS names). Multiple endpoints which use the same "
		"hostname should be considered fungible (e.g. multiple A values in DNS). Must be lowercase and "
		"pass DNS Label (RFC 1123) validation."),
	F_STR("nodeName", "nodeName represents the name of the Node hosting this endpoint. This can be used to "
		"determine endpoints local to a Node."),
	F_REF("targetRef", schema_t_object_reference, "targetRef is a reference to a Kubernetes object that "
		"represents this endpoint."),
	F_STR("zone", "zone is the name of the Zone this endpoint exists in."),
	F_END
};
static SCHEMA_OBJ(schema_t_endpoint, "io.k8s.api.discovery.v1.Endpoint",
	"Endpoint represents a single logical \"backend\" implementing a service.");

static const schema_field_t schema_t_slice_port_fields[] = {
	F_STR("appProtocol", "The application protocol for this port. This is used as a hint for "
		"implementations to offer richer behavior for protocols that they understand. This field follows "
		"standard Kubernetes label syntax."),
	F_STR("name", "name represents the name of this port. All ports in an EndpointSlice must have a unique "
		"name. If the EndpointSlice is derived from a Kubernetes service, this corresponds to the "
		"Service.ports[].name. Name must either be an empty string or pass DNS_LABEL validation."),
	F_I32("port", "port represents the port number of the endpoint. If the EndpointSlice is derived from a "
		"Kubernetes service, this must be set to the service's target port. EndpointSlices used for other "
		"purposes may have a nil port."),
	F_STR("protocol", "protocol represents the IP protocol for this port. Must be UDP, TCP, or SCTP. Default is TCP."),
	F_END
};
static SCHEMA_OBJ(schema_t_slice_port, "io.k8s.api.discovery.v1.EndpointPort",
	"EndpointPort represents a Port used by an EndpointSlice");

static const schema_field_t schema_t_endpoint_slice_fields[] = {
	F_STR_R("addressType", "addressType specifies the type of address carried by this EndpointSlice. All "
		"addresses in this slice must be the same type. This field is immutable after creation. The "
		"following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: "
		"Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name. (Deprecated)"),
	F_STR("apiVersion", D_APIVERSION),
	F_LIST_R("endpoints", schema_t_endpoint, "endpoints is a list of unique endpoints in this slice. Each "
		"slice may include a maximum of 1000 endpoints."),
	F_STR("kind", D_KIND),
	F_REF("metadata", schema_t_object_meta, D_METADATA),
	F_LIST("ports", schema_t_slice_port, "ports specifies the list of network ports exposed by each endpoint "
		"in this slice. Each port must have a unique name. Each slice may include a maximum of 100 ports. "
		"Services always have at least 1 port, so EndpointSlices generated by the EndpointSlice controller "
		"will likewise always have at least 1 port."),
	F_END
};
SCHEMA_OBJ(schema_t_endpoint_slice, "io.k8s.api.discovery.v1.EndpointSlice",
	"EndpointSlice represents a set of service endpoints. Most EndpointSlices are created by the "
	"EndpointSlice controller to represent the Pods selected by Service objects.");

/* ---- coordination.k8s.io/v1 Lease ---- */

static const schema_field_t schema_t_lease_spec_fields[] = {
	F_REF("acquireTime", schema_t_microtime, "acquireTime is a time when the current lease was acquired."),
	F_STR("holderIdentity", "holderIdentity contains the identity of the holder of a current lease. If "
		"Coordinated Leader Election is used, the holder identity must be equal to the elected "
		"LeaseCandidate.metadata.name field."),
	F_I32("leaseDurationSeconds", "leaseDurationSeconds is a duration that candidates for a lease need to wait "
		"to force acquire it. This is measured against the time of last observed renewTime."),
	F_I32("leaseTransitions", "leaseTransitions is the number of transitions of a lease between holders."),
	F_STR("preferredHolder", "PreferredHolder signals to a lease holder that the lease has a more optimal "
		"holder and should be given up. This field can only be set if Strategy is also set."),
	F_REF("renewTime", schema_t_microtime, "renewTime is a time when the current holder of a lease has last "
		"updated the lease."),
	F_STR("strategy", "Strategy indicates the strategy for picking the leader for coordinated leader "
		"election. If the field is not specified, there is no active coordination for this lease. "
		"(Alpha) Using this field requires the CoordinatedLeaderElection feature gate to be enabled."),
	F_END
};
static SCHEMA_OBJ(schema_t_lease_spec, "io.k8s.api.coordination.v1.LeaseSpec",
	"LeaseSpec is a specification of a Lease.");

static const schema_field_t schema_t_lease_fields[] = {
	F_TYPEMETA,
	F_REF("spec", schema_t_lease_spec, "spec contains the specification of the Lease. " D_SPEC_STATUS_URL),
	F_END
};
SCHEMA_OBJ(schema_t_lease, "io.k8s.api.coordination.v1.Lease", "Lease defines a lease concept.");
