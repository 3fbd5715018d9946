/* The protobuf message descriptors of every kind Portico serves and everything they contain, and the
 * request-body entry point: the "k8s\0" envelope around a runtime.Unknown.
 *
 * One row per Go field: protobuf number and type from k8s.io/api and k8s.io/apimachinery
 * generated.proto, JSON name and pointer/omitempty from the Go struct tags in types.go (upstream master
 * of mid-2026, a superset of what kubectl 1.32/1.33 send). pb.h explains how the flags decide JSON
 * emission. Field numbers are never reused upstream, so fields older clients lack are harmless. */
#include "lib/pb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG(id, go_name) [M_##id] = { go_name, f_##id, sizeof(f_##id) / sizeof(f_##id[0]) }

enum {
	M_Namespace,
	M_ObjectMeta,
	M_OwnerReference,
	M_ManagedFieldsEntry,
	M_NamespaceSpec,
	M_NamespaceStatus,
	M_NamespaceCondition,
	M_Service,
	M_ServiceSpec,
	M_ServicePort,
	M_SessionAffinityConfig,
	M_ClientIPConfig,
	M_ServiceStatus,
	M_LoadBalancerStatus,
	M_LoadBalancerIngress,
	M_PortStatus,
	M_Condition,
	M_Endpoints,
	M_EndpointSubset,
	M_EndpointAddress,
	M_ObjectReference,
	M_core_EndpointPort,
	M_Pod,
	M_PodSpec,
	M_Volume,
	M_VolumeSource,
	M_HostPathVolumeSource,
	M_EmptyDirVolumeSource,
	M_GCEPersistentDiskVolumeSource,
	M_AWSElasticBlockStoreVolumeSource,
	M_GitRepoVolumeSource,
	M_SecretVolumeSource,
	M_KeyToPath,
	M_NFSVolumeSource,
	M_ISCSIVolumeSource,
	M_LocalObjectReference,
	M_GlusterfsVolumeSource,
	M_PersistentVolumeClaimVolumeSource,
	M_RBDVolumeSource,
	M_FlexVolumeSource,
	M_CinderVolumeSource,
	M_CephFSVolumeSource,
	M_FlockerVolumeSource,
	M_DownwardAPIVolumeSource,
	M_DownwardAPIVolumeFile,
	M_ObjectFieldSelector,
	M_ResourceFieldSelector,
	M_FCVolumeSource,
	M_AzureFileVolumeSource,
	M_ConfigMapVolumeSource,
	M_VsphereVirtualDiskVolumeSource,
	M_QuobyteVolumeSource,
	M_AzureDiskVolumeSource,
	M_PhotonPersistentDiskVolumeSource,
	M_ProjectedVolumeSource,
	M_VolumeProjection,
	M_SecretProjection,
	M_DownwardAPIProjection,
	M_ConfigMapProjection,
	M_ServiceAccountTokenProjection,
	M_ClusterTrustBundleProjection,
	M_LabelSelector,
	M_LabelSelectorRequirement,
	M_PodCertificateProjection,
	M_PortworxVolumeSource,
	M_ScaleIOVolumeSource,
	M_StorageOSVolumeSource,
	M_CSIVolumeSource,
	M_EphemeralVolumeSource,
	M_PersistentVolumeClaimTemplate,
	M_PersistentVolumeClaimSpec,
	M_VolumeResourceRequirements,
	M_TypedLocalObjectReference,
	M_TypedObjectReference,
	M_ImageVolumeSource,
	M_Container,
	M_ContainerPort,
	M_EnvFromSource,
	M_ConfigMapEnvSource,
	M_SecretEnvSource,
	M_EnvVar,
	M_EnvVarSource,
	M_ConfigMapKeySelector,
	M_SecretKeySelector,
	M_FileKeySelector,
	M_ResourceRequirements,
	M_ResourceClaim,
	M_ContainerResizePolicy,
	M_ContainerRestartRule,
	M_ContainerRestartRuleOnExitCodes,
	M_VolumeMount,
	M_VolumeDevice,
	M_Probe,
	M_ProbeHandler,
	M_ExecAction,
	M_HTTPGetAction,
	M_HTTPHeader,
	M_TCPSocketAction,
	M_GRPCAction,
	M_Lifecycle,
	M_LifecycleHandler,
	M_SleepAction,
	M_SecurityContext,
	M_Capabilities,
	M_SELinuxOptions,
	M_WindowsSecurityContextOptions,
	M_SeccompProfile,
	M_AppArmorProfile,
	M_EphemeralContainer,
	M_EphemeralContainerCommon,
	M_PodSecurityContext,
	M_Sysctl,
	M_Affinity,
	M_NodeAffinity,
	M_NodeSelector,
	M_NodeSelectorTerm,
	M_NodeSelectorRequirement,
	M_PreferredSchedulingTerm,
	M_PodAffinity,
	M_PodAffinityTerm,
	M_WeightedPodAffinityTerm,
	M_PodAntiAffinity,
	M_Toleration,
	M_HostAlias,
	M_PodDNSConfig,
	M_PodDNSConfigOption,
	M_PodReadinessGate,
	M_TopologySpreadConstraint,
	M_PodOS,
	M_PodSchedulingGate,
	M_PodResourceClaim,
	M_PodSchedulingGroup,
	M_EvictionResponder,
	M_PodStatus,
	M_PodCondition,
	M_HostIP,
	M_PodIP,
	M_ContainerStatus,
	M_ContainerState,
	M_ContainerStateWaiting,
	M_ContainerStateRunning,
	M_ContainerStateTerminated,
	M_VolumeMountStatus,
	M_VolumeStatus,
	M_ImageVolumeStatus,
	M_ContainerUser,
	M_LinuxContainerUser,
	M_ResourceStatus,
	M_ResourceHealth,
	M_PodResourceClaimStatus,
	M_PodExtendedResourceClaimStatus,
	M_ContainerExtendedResourceRequest,
	M_NodeAllocatableResourceClaimStatus,
	M_NodeAllocatableMappedResources,
	M_NodeAllocatableOverheadResources,
	M_PodVolumeHealth,
	M_VolumeHealthCondition,
	M_Node,
	M_NodeSpec,
	M_Taint,
	M_NodeConfigSource,
	M_ConfigMapNodeConfigSource,
	M_NodePodPreemptionPolicy,
	M_NodeStatus,
	M_NodeCondition,
	M_NodeAddress,
	M_NodeDaemonEndpoints,
	M_DaemonEndpoint,
	M_NodeSystemInfo,
	M_NodeSwapStatus,
	M_ContainerImage,
	M_AttachedVolume,
	M_NodeConfigStatus,
	M_NodeRuntimeHandler,
	M_NodeRuntimeHandlerFeatures,
	M_NodeFeatures,
	M_Event,
	M_EventSource,
	M_EventSeries,
	M_ConfigMap,
	M_EndpointSlice,
	M_Endpoint,
	M_EndpointConditions,
	M_EndpointHints,
	M_ForZone,
	M_ForNode,
	M_discovery_EndpointPort,
	M_Deployment,
	M_DeploymentSpec,
	M_PodTemplateSpec,
	M_DeploymentStrategy,
	M_RollingUpdateDeployment,
	M_DeploymentStatus,
	M_DeploymentCondition,
	M_Lease,
	M_LeaseSpec,
	M_Scale,
	M_ScaleSpec,
	M_ScaleStatus,
	M_DeleteOptions,
	M_Preconditions,
	M__COUNT
};

static const pb_field_t f_Namespace[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_KEEP, M_NamespaceSpec, "spec" },
	{ 3, PB_MSG, PB_F_KEEP, M_NamespaceStatus, "status" },
};

static const pb_field_t f_ObjectMeta[] = {
	{ 1, PB_STR, 0, 0, "name" },
	{ 2, PB_STR, 0, 0, "generateName" },
	{ 3, PB_STR, 0, 0, "namespace" },
	{ 4, PB_STR, 0, 0, "selfLink" },
	{ 5, PB_STR, 0, 0, "uid" },
	{ 6, PB_STR, 0, 0, "resourceVersion" },
	{ 7, PB_I64, 0, 0, "generation" },
	{ 8, PB_TIME, PB_F_KEEP, 0, "creationTimestamp" },
	{ 9, PB_TIME, PB_F_PTR, 0, "deletionTimestamp" },
	{ 10, PB_I64, PB_F_PTR, 0, "deletionGracePeriodSeconds" },
	{ 11, PB_STR, PB_F_MAP, 0, "labels" },
	{ 12, PB_STR, PB_F_MAP, 0, "annotations" },
	{ 13, PB_MSG, PB_F_REP, M_OwnerReference, "ownerReferences" },
	{ 14, PB_STR, PB_F_REP, 0, "finalizers" },
	{ 17, PB_MSG, PB_F_REP, M_ManagedFieldsEntry, "managedFields" },
};

static const pb_field_t f_OwnerReference[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "kind" },
	{ 3, PB_STR, PB_F_KEEP, 0, "name" },
	{ 4, PB_STR, PB_F_KEEP, 0, "uid" },
	{ 5, PB_STR, PB_F_KEEP, 0, "apiVersion" },
	{ 6, PB_BOOL, PB_F_PTR, 0, "controller" },
	{ 7, PB_BOOL, PB_F_PTR, 0, "blockOwnerDeletion" },
};

static const pb_field_t f_ManagedFieldsEntry[] = {
	{ 1, PB_STR, 0, 0, "manager" },
	{ 2, PB_STR, 0, 0, "operation" },
	{ 3, PB_STR, 0, 0, "apiVersion" },
	{ 4, PB_TIME, PB_F_PTR, 0, "time" },
	{ 6, PB_STR, 0, 0, "fieldsType" },
	{ 7, PB_RAWJSON, PB_F_PTR, 0, "fieldsV1" },
	{ 8, PB_STR, 0, 0, "subresource" },
};

static const pb_field_t f_NamespaceSpec[] = {
	{ 1, PB_STR, PB_F_REP, 0, "finalizers" },
};

static const pb_field_t f_NamespaceStatus[] = {
	{ 1, PB_STR, 0, 0, "phase" },
	{ 2, PB_MSG, PB_F_REP, M_NamespaceCondition, "conditions" },
};

static const pb_field_t f_NamespaceCondition[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "type" },
	{ 2, PB_STR, PB_F_KEEP, 0, "status" },
	{ 4, PB_TIME, PB_F_KEEP, 0, "lastTransitionTime" },
	{ 5, PB_STR, 0, 0, "reason" },
	{ 6, PB_STR, 0, 0, "message" },
};

static const pb_field_t f_Service[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_KEEP, M_ServiceSpec, "spec" },
	{ 3, PB_MSG, PB_F_KEEP, M_ServiceStatus, "status" },
};

static const pb_field_t f_ServiceSpec[] = {
	{ 1, PB_MSG, PB_F_REP, M_ServicePort, "ports" },
	{ 2, PB_STR, PB_F_MAP, 0, "selector" },
	{ 3, PB_STR, 0, 0, "clusterIP" },
	{ 4, PB_STR, 0, 0, "type" },
	{ 5, PB_STR, PB_F_REP, 0, "externalIPs" },
	{ 7, PB_STR, 0, 0, "sessionAffinity" },
	{ 8, PB_STR, 0, 0, "loadBalancerIP" },
	{ 9, PB_STR, PB_F_REP, 0, "loadBalancerSourceRanges" },
	{ 10, PB_STR, 0, 0, "externalName" },
	{ 11, PB_STR, 0, 0, "externalTrafficPolicy" },
	{ 12, PB_I32, 0, 0, "healthCheckNodePort" },
	{ 13, PB_BOOL, 0, 0, "publishNotReadyAddresses" },
	{ 14, PB_MSG, PB_F_PTR, M_SessionAffinityConfig, "sessionAffinityConfig" },
	{ 17, PB_STR, PB_F_PTR, 0, "ipFamilyPolicy" },
	{ 18, PB_STR, PB_F_REP, 0, "clusterIPs" },
	{ 19, PB_STR, PB_F_REP, 0, "ipFamilies" },
	{ 20, PB_BOOL, PB_F_PTR, 0, "allocateLoadBalancerNodePorts" },
	{ 21, PB_STR, PB_F_PTR, 0, "loadBalancerClass" },
	{ 22, PB_STR, PB_F_PTR, 0, "internalTrafficPolicy" },
	{ 23, PB_STR, PB_F_PTR, 0, "trafficDistribution" },
};

static const pb_field_t f_ServicePort[] = {
	{ 1, PB_STR, 0, 0, "name" },
	{ 2, PB_STR, 0, 0, "protocol" },
	{ 3, PB_I32, PB_F_KEEP, 0, "port" },
	{ 4, PB_INTSTR, PB_F_KEEP, 0, "targetPort" },
	{ 5, PB_I32, 0, 0, "nodePort" },
	{ 6, PB_STR, PB_F_PTR, 0, "appProtocol" },
};

static const pb_field_t f_SessionAffinityConfig[] = {
	{ 1, PB_MSG, PB_F_PTR, M_ClientIPConfig, "clientIP" },
};

static const pb_field_t f_ClientIPConfig[] = {
	{ 1, PB_I32, PB_F_PTR, 0, "timeoutSeconds" },
};

static const pb_field_t f_ServiceStatus[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_LoadBalancerStatus, "loadBalancer" },
	{ 2, PB_MSG, PB_F_REP, M_Condition, "conditions" },
};

static const pb_field_t f_LoadBalancerStatus[] = {
	{ 1, PB_MSG, PB_F_REP, M_LoadBalancerIngress, "ingress" },
};

static const pb_field_t f_LoadBalancerIngress[] = {
	{ 1, PB_STR, 0, 0, "ip" },
	{ 2, PB_STR, 0, 0, "hostname" },
	{ 3, PB_STR, PB_F_PTR, 0, "ipMode" },
	{ 4, PB_MSG, PB_F_REP, M_PortStatus, "ports" },
};

static const pb_field_t f_PortStatus[] = {
	{ 1, PB_I32, PB_F_KEEP, 0, "port" },
	{ 2, PB_STR, PB_F_KEEP, 0, "protocol" },
	{ 3, PB_STR, PB_F_PTR, 0, "error" },
};

static const pb_field_t f_Condition[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "type" },
	{ 2, PB_STR, PB_F_KEEP, 0, "status" },
	{ 3, PB_I64, 0, 0, "observedGeneration" },
	{ 4, PB_TIME, PB_F_KEEP, 0, "lastTransitionTime" },
	{ 5, PB_STR, PB_F_KEEP, 0, "reason" },
	{ 6, PB_STR, PB_F_KEEP, 0, "message" },
};

static const pb_field_t f_Endpoints[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_REP, M_EndpointSubset, "subsets" },
};

static const pb_field_t f_EndpointSubset[] = {
	{ 1, PB_MSG, PB_F_REP, M_EndpointAddress, "addresses" },
	{ 2, PB_MSG, PB_F_REP, M_EndpointAddress, "notReadyAddresses" },
	{ 3, PB_MSG, PB_F_REP, M_core_EndpointPort, "ports" },
};

static const pb_field_t f_EndpointAddress[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "ip" },
	{ 2, PB_MSG, PB_F_PTR, M_ObjectReference, "targetRef" },
	{ 3, PB_STR, 0, 0, "hostname" },
	{ 4, PB_STR, PB_F_PTR, 0, "nodeName" },
};

static const pb_field_t f_ObjectReference[] = {
	{ 1, PB_STR, 0, 0, "kind" },
	{ 2, PB_STR, 0, 0, "namespace" },
	{ 3, PB_STR, 0, 0, "name" },
	{ 4, PB_STR, 0, 0, "uid" },
	{ 5, PB_STR, 0, 0, "apiVersion" },
	{ 6, PB_STR, 0, 0, "resourceVersion" },
	{ 7, PB_STR, 0, 0, "fieldPath" },
};

static const pb_field_t f_core_EndpointPort[] = {
	{ 1, PB_STR, 0, 0, "name" },
	{ 2, PB_I32, PB_F_KEEP, 0, "port" },
	{ 3, PB_STR, 0, 0, "protocol" },
	{ 4, PB_STR, PB_F_PTR, 0, "appProtocol" },
};

static const pb_field_t f_Pod[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_KEEP, M_PodSpec, "spec" },
	{ 3, PB_MSG, PB_F_KEEP, M_PodStatus, "status" },
};

static const pb_field_t f_PodSpec[] = {
	{ 1, PB_MSG, PB_F_REP, M_Volume, "volumes" },
	{ 2, PB_MSG, PB_F_REP|PB_F_KEEP, M_Container, "containers" },
	{ 3, PB_STR, 0, 0, "restartPolicy" },
	{ 4, PB_I64, PB_F_PTR, 0, "terminationGracePeriodSeconds" },
	{ 5, PB_I64, PB_F_PTR, 0, "activeDeadlineSeconds" },
	{ 6, PB_STR, 0, 0, "dnsPolicy" },
	{ 7, PB_STR, PB_F_MAP, 0, "nodeSelector" },
	{ 8, PB_STR, 0, 0, "serviceAccountName" },
	{ 9, PB_STR, 0, 0, "serviceAccount" },
	{ 10, PB_STR, 0, 0, "nodeName" },
	{ 11, PB_BOOL, 0, 0, "hostNetwork" },
	{ 12, PB_BOOL, 0, 0, "hostPID" },
	{ 13, PB_BOOL, 0, 0, "hostIPC" },
	{ 14, PB_MSG, PB_F_PTR, M_PodSecurityContext, "securityContext" },
	{ 15, PB_MSG, PB_F_REP, M_LocalObjectReference, "imagePullSecrets" },
	{ 16, PB_STR, 0, 0, "hostname" },
	{ 17, PB_STR, 0, 0, "subdomain" },
	{ 18, PB_MSG, PB_F_PTR, M_Affinity, "affinity" },
	{ 19, PB_STR, 0, 0, "schedulerName" },
	{ 20, PB_MSG, PB_F_REP, M_Container, "initContainers" },
	{ 21, PB_BOOL, PB_F_PTR, 0, "automountServiceAccountToken" },
	{ 22, PB_MSG, PB_F_REP, M_Toleration, "tolerations" },
	{ 23, PB_MSG, PB_F_REP, M_HostAlias, "hostAliases" },
	{ 24, PB_STR, 0, 0, "priorityClassName" },
	{ 25, PB_I32, PB_F_PTR, 0, "priority" },
	{ 26, PB_MSG, PB_F_PTR, M_PodDNSConfig, "dnsConfig" },
	{ 27, PB_BOOL, PB_F_PTR, 0, "shareProcessNamespace" },
	{ 28, PB_MSG, PB_F_REP, M_PodReadinessGate, "readinessGates" },
	{ 29, PB_STR, PB_F_PTR, 0, "runtimeClassName" },
	{ 30, PB_BOOL, PB_F_PTR, 0, "enableServiceLinks" },
	{ 31, PB_STR, PB_F_PTR, 0, "preemptionPolicy" },
	{ 32, PB_QTY, PB_F_MAP, 0, "overhead" },
	{ 33, PB_MSG, PB_F_REP, M_TopologySpreadConstraint, "topologySpreadConstraints" },
	{ 34, PB_MSG, PB_F_REP, M_EphemeralContainer, "ephemeralContainers" },
	{ 35, PB_BOOL, PB_F_PTR, 0, "setHostnameAsFQDN" },
	{ 36, PB_MSG, PB_F_PTR, M_PodOS, "os" },
	{ 37, PB_BOOL, PB_F_PTR, 0, "hostUsers" },
	{ 38, PB_MSG, PB_F_REP, M_PodSchedulingGate, "schedulingGates" },
	{ 39, PB_MSG, PB_F_REP, M_PodResourceClaim, "resourceClaims" },
	{ 40, PB_MSG, PB_F_PTR, M_ResourceRequirements, "resources" },
	{ 41, PB_STR, PB_F_PTR, 0, "hostnameOverride" },
	{ 43, PB_MSG, PB_F_PTR, M_PodSchedulingGroup, "schedulingGroup" },
	{ 44, PB_MSG, PB_F_REP, M_EvictionResponder, "evictionResponders" },
};

static const pb_field_t f_Volume[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_MSG, PB_F_INLINE, M_VolumeSource, "" },
};

static const pb_field_t f_VolumeSource[] = {
	{ 1, PB_MSG, PB_F_PTR, M_HostPathVolumeSource, "hostPath" },
	{ 2, PB_MSG, PB_F_PTR, M_EmptyDirVolumeSource, "emptyDir" },
	{ 3, PB_MSG, PB_F_PTR, M_GCEPersistentDiskVolumeSource, "gcePersistentDisk" },
	{ 4, PB_MSG, PB_F_PTR, M_AWSElasticBlockStoreVolumeSource, "awsElasticBlockStore" },
	{ 5, PB_MSG, PB_F_PTR, M_GitRepoVolumeSource, "gitRepo" },
	{ 6, PB_MSG, PB_F_PTR, M_SecretVolumeSource, "secret" },
	{ 7, PB_MSG, PB_F_PTR, M_NFSVolumeSource, "nfs" },
	{ 8, PB_MSG, PB_F_PTR, M_ISCSIVolumeSource, "iscsi" },
	{ 9, PB_MSG, PB_F_PTR, M_GlusterfsVolumeSource, "glusterfs" },
	{ 10, PB_MSG, PB_F_PTR, M_PersistentVolumeClaimVolumeSource, "persistentVolumeClaim" },
	{ 11, PB_MSG, PB_F_PTR, M_RBDVolumeSource, "rbd" },
	{ 12, PB_MSG, PB_F_PTR, M_FlexVolumeSource, "flexVolume" },
	{ 13, PB_MSG, PB_F_PTR, M_CinderVolumeSource, "cinder" },
	{ 14, PB_MSG, PB_F_PTR, M_CephFSVolumeSource, "cephfs" },
	{ 15, PB_MSG, PB_F_PTR, M_FlockerVolumeSource, "flocker" },
	{ 16, PB_MSG, PB_F_PTR, M_DownwardAPIVolumeSource, "downwardAPI" },
	{ 17, PB_MSG, PB_F_PTR, M_FCVolumeSource, "fc" },
	{ 18, PB_MSG, PB_F_PTR, M_AzureFileVolumeSource, "azureFile" },
	{ 19, PB_MSG, PB_F_PTR, M_ConfigMapVolumeSource, "configMap" },
	{ 20, PB_MSG, PB_F_PTR, M_VsphereVirtualDiskVolumeSource, "vsphereVolume" },
	{ 21, PB_MSG, PB_F_PTR, M_QuobyteVolumeSource, "quobyte" },
	{ 22, PB_MSG, PB_F_PTR, M_AzureDiskVolumeSource, "azureDisk" },
	{ 23, PB_MSG, PB_F_PTR, M_PhotonPersistentDiskVolumeSource, "photonPersistentDisk" },
	{ 24, PB_MSG, PB_F_PTR, M_PortworxVolumeSource, "portworxVolume" },
	{ 25, PB_MSG, PB_F_PTR, M_ScaleIOVolumeSource, "scaleIO" },
	{ 26, PB_MSG, PB_F_PTR, M_ProjectedVolumeSource, "projected" },
	{ 27, PB_MSG, PB_F_PTR, M_StorageOSVolumeSource, "storageos" },
	{ 28, PB_MSG, PB_F_PTR, M_CSIVolumeSource, "csi" },
	{ 29, PB_MSG, PB_F_PTR, M_EphemeralVolumeSource, "ephemeral" },
	{ 30, PB_MSG, PB_F_PTR, M_ImageVolumeSource, "image" },
};

static const pb_field_t f_HostPathVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "path" },
	{ 2, PB_STR, PB_F_PTR, 0, "type" },
};

static const pb_field_t f_EmptyDirVolumeSource[] = {
	{ 1, PB_STR, 0, 0, "medium" },
	{ 2, PB_QTY, PB_F_PTR, 0, "sizeLimit" },
	{ 3, PB_I32, PB_F_PTR, 0, "mode" },
};

static const pb_field_t f_GCEPersistentDiskVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "pdName" },
	{ 2, PB_STR, 0, 0, "fsType" },
	{ 3, PB_I32, 0, 0, "partition" },
	{ 4, PB_BOOL, 0, 0, "readOnly" },
};

static const pb_field_t f_AWSElasticBlockStoreVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "volumeID" },
	{ 2, PB_STR, 0, 0, "fsType" },
	{ 3, PB_I32, 0, 0, "partition" },
	{ 4, PB_BOOL, 0, 0, "readOnly" },
};

static const pb_field_t f_GitRepoVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "repository" },
	{ 2, PB_STR, 0, 0, "revision" },
	{ 3, PB_STR, 0, 0, "directory" },
};

static const pb_field_t f_SecretVolumeSource[] = {
	{ 1, PB_STR, 0, 0, "secretName" },
	{ 2, PB_MSG, PB_F_REP, M_KeyToPath, "items" },
	{ 3, PB_I32, PB_F_PTR, 0, "defaultMode" },
	{ 4, PB_BOOL, PB_F_PTR, 0, "optional" },
	{ 5, PB_I64, PB_F_PTR, 0, "defaultUser" },
};

static const pb_field_t f_KeyToPath[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "key" },
	{ 2, PB_STR, PB_F_KEEP, 0, "path" },
	{ 3, PB_I32, PB_F_PTR, 0, "mode" },
	{ 4, PB_I64, PB_F_PTR, 0, "user" },
};

static const pb_field_t f_NFSVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "server" },
	{ 2, PB_STR, PB_F_KEEP, 0, "path" },
	{ 3, PB_BOOL, 0, 0, "readOnly" },
};

static const pb_field_t f_ISCSIVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "targetPortal" },
	{ 2, PB_STR, PB_F_KEEP, 0, "iqn" },
	{ 3, PB_I32, PB_F_KEEP, 0, "lun" },
	{ 4, PB_STR, 0, 0, "iscsiInterface" },
	{ 5, PB_STR, 0, 0, "fsType" },
	{ 6, PB_BOOL, 0, 0, "readOnly" },
	{ 7, PB_STR, PB_F_REP, 0, "portals" },
	{ 8, PB_BOOL, 0, 0, "chapAuthDiscovery" },
	{ 10, PB_MSG, PB_F_PTR, M_LocalObjectReference, "secretRef" },
	{ 11, PB_BOOL, 0, 0, "chapAuthSession" },
	{ 12, PB_STR, PB_F_PTR, 0, "initiatorName" },
};

static const pb_field_t f_LocalObjectReference[] = {
	{ 1, PB_STR, 0, 0, "name" },
};

static const pb_field_t f_GlusterfsVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "endpoints" },
	{ 2, PB_STR, PB_F_KEEP, 0, "path" },
	{ 3, PB_BOOL, 0, 0, "readOnly" },
};

static const pb_field_t f_PersistentVolumeClaimVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "claimName" },
	{ 2, PB_BOOL, 0, 0, "readOnly" },
};

static const pb_field_t f_RBDVolumeSource[] = {
	{ 1, PB_STR, PB_F_REP|PB_F_KEEP, 0, "monitors" },
	{ 2, PB_STR, PB_F_KEEP, 0, "image" },
	{ 3, PB_STR, 0, 0, "fsType" },
	{ 4, PB_STR, 0, 0, "pool" },
	{ 5, PB_STR, 0, 0, "user" },
	{ 6, PB_STR, 0, 0, "keyring" },
	{ 7, PB_MSG, PB_F_PTR, M_LocalObjectReference, "secretRef" },
	{ 8, PB_BOOL, 0, 0, "readOnly" },
};

static const pb_field_t f_FlexVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "driver" },
	{ 2, PB_STR, 0, 0, "fsType" },
	{ 3, PB_MSG, PB_F_PTR, M_LocalObjectReference, "secretRef" },
	{ 4, PB_BOOL, 0, 0, "readOnly" },
	{ 5, PB_STR, PB_F_MAP, 0, "options" },
};

static const pb_field_t f_CinderVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "volumeID" },
	{ 2, PB_STR, 0, 0, "fsType" },
	{ 3, PB_BOOL, 0, 0, "readOnly" },
	{ 4, PB_MSG, PB_F_PTR, M_LocalObjectReference, "secretRef" },
};

static const pb_field_t f_CephFSVolumeSource[] = {
	{ 1, PB_STR, PB_F_REP|PB_F_KEEP, 0, "monitors" },
	{ 2, PB_STR, 0, 0, "path" },
	{ 3, PB_STR, 0, 0, "user" },
	{ 4, PB_STR, 0, 0, "secretFile" },
	{ 5, PB_MSG, PB_F_PTR, M_LocalObjectReference, "secretRef" },
	{ 6, PB_BOOL, 0, 0, "readOnly" },
};

static const pb_field_t f_FlockerVolumeSource[] = {
	{ 1, PB_STR, 0, 0, "datasetName" },
	{ 2, PB_STR, 0, 0, "datasetUUID" },
};

static const pb_field_t f_DownwardAPIVolumeSource[] = {
	{ 1, PB_MSG, PB_F_REP, M_DownwardAPIVolumeFile, "items" },
	{ 2, PB_I32, PB_F_PTR, 0, "defaultMode" },
	{ 3, PB_I64, PB_F_PTR, 0, "defaultUser" },
};

static const pb_field_t f_DownwardAPIVolumeFile[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "path" },
	{ 2, PB_MSG, PB_F_PTR, M_ObjectFieldSelector, "fieldRef" },
	{ 3, PB_MSG, PB_F_PTR, M_ResourceFieldSelector, "resourceFieldRef" },
	{ 4, PB_I32, PB_F_PTR, 0, "mode" },
	{ 5, PB_I64, PB_F_PTR, 0, "user" },
};

static const pb_field_t f_ObjectFieldSelector[] = {
	{ 1, PB_STR, 0, 0, "apiVersion" },
	{ 2, PB_STR, PB_F_KEEP, 0, "fieldPath" },
};

static const pb_field_t f_ResourceFieldSelector[] = {
	{ 1, PB_STR, 0, 0, "containerName" },
	{ 2, PB_STR, PB_F_KEEP, 0, "resource" },
	{ 3, PB_QTY, PB_F_KEEP, 0, "divisor" },
};

static const pb_field_t f_FCVolumeSource[] = {
	{ 1, PB_STR, PB_F_REP, 0, "targetWWNs" },
	{ 2, PB_I32, PB_F_PTR, 0, "lun" },
	{ 3, PB_STR, 0, 0, "fsType" },
	{ 4, PB_BOOL, 0, 0, "readOnly" },
	{ 5, PB_STR, PB_F_REP, 0, "wwids" },
};

static const pb_field_t f_AzureFileVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "secretName" },
	{ 2, PB_STR, PB_F_KEEP, 0, "shareName" },
	{ 3, PB_BOOL, 0, 0, "readOnly" },
};

static const pb_field_t f_ConfigMapVolumeSource[] = {
	{ 1, PB_MSG, PB_F_INLINE, M_LocalObjectReference, "" },
	{ 2, PB_MSG, PB_F_REP, M_KeyToPath, "items" },
	{ 3, PB_I32, PB_F_PTR, 0, "defaultMode" },
	{ 4, PB_BOOL, PB_F_PTR, 0, "optional" },
	{ 5, PB_I64, PB_F_PTR, 0, "defaultUser" },
};

static const pb_field_t f_VsphereVirtualDiskVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "volumePath" },
	{ 2, PB_STR, 0, 0, "fsType" },
	{ 3, PB_STR, 0, 0, "storagePolicyName" },
	{ 4, PB_STR, 0, 0, "storagePolicyID" },
};

static const pb_field_t f_QuobyteVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "registry" },
	{ 2, PB_STR, PB_F_KEEP, 0, "volume" },
	{ 3, PB_BOOL, 0, 0, "readOnly" },
	{ 4, PB_STR, 0, 0, "user" },
	{ 5, PB_STR, 0, 0, "group" },
	{ 6, PB_STR, 0, 0, "tenant" },
};

static const pb_field_t f_AzureDiskVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "diskName" },
	{ 2, PB_STR, PB_F_KEEP, 0, "diskURI" },
	{ 3, PB_STR, PB_F_PTR, 0, "cachingMode" },
	{ 4, PB_STR, PB_F_PTR, 0, "fsType" },
	{ 5, PB_BOOL, PB_F_PTR, 0, "readOnly" },
	{ 6, PB_STR, PB_F_PTR, 0, "kind" },
};

static const pb_field_t f_PhotonPersistentDiskVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "pdID" },
	{ 2, PB_STR, 0, 0, "fsType" },
};

static const pb_field_t f_ProjectedVolumeSource[] = {
	{ 1, PB_MSG, PB_F_REP|PB_F_KEEP, M_VolumeProjection, "sources" },
	{ 2, PB_I32, PB_F_PTR, 0, "defaultMode" },
	{ 3, PB_I64, PB_F_PTR, 0, "defaultUser" },
};

static const pb_field_t f_VolumeProjection[] = {
	{ 1, PB_MSG, PB_F_PTR, M_SecretProjection, "secret" },
	{ 2, PB_MSG, PB_F_PTR, M_DownwardAPIProjection, "downwardAPI" },
	{ 3, PB_MSG, PB_F_PTR, M_ConfigMapProjection, "configMap" },
	{ 4, PB_MSG, PB_F_PTR, M_ServiceAccountTokenProjection, "serviceAccountToken" },
	{ 5, PB_MSG, PB_F_PTR, M_ClusterTrustBundleProjection, "clusterTrustBundle" },
	{ 6, PB_MSG, PB_F_PTR, M_PodCertificateProjection, "podCertificate" },
};

static const pb_field_t f_SecretProjection[] = {
	{ 1, PB_MSG, PB_F_INLINE, M_LocalObjectReference, "" },
	{ 2, PB_MSG, PB_F_REP, M_KeyToPath, "items" },
	{ 4, PB_BOOL, PB_F_PTR, 0, "optional" },
};

static const pb_field_t f_DownwardAPIProjection[] = {
	{ 1, PB_MSG, PB_F_REP, M_DownwardAPIVolumeFile, "items" },
};

static const pb_field_t f_ConfigMapProjection[] = {
	{ 1, PB_MSG, PB_F_INLINE, M_LocalObjectReference, "" },
	{ 2, PB_MSG, PB_F_REP, M_KeyToPath, "items" },
	{ 4, PB_BOOL, PB_F_PTR, 0, "optional" },
};

static const pb_field_t f_ServiceAccountTokenProjection[] = {
	{ 1, PB_STR, 0, 0, "audience" },
	{ 2, PB_I64, PB_F_PTR, 0, "expirationSeconds" },
	{ 3, PB_STR, PB_F_KEEP, 0, "path" },
	{ 4, PB_I64, PB_F_PTR, 0, "user" },
};

static const pb_field_t f_ClusterTrustBundleProjection[] = {
	{ 1, PB_STR, PB_F_PTR, 0, "name" },
	{ 2, PB_STR, PB_F_PTR, 0, "signerName" },
	{ 3, PB_MSG, PB_F_PTR, M_LabelSelector, "labelSelector" },
	{ 4, PB_STR, PB_F_KEEP, 0, "path" },
	{ 5, PB_BOOL, PB_F_PTR, 0, "optional" },
	{ 6, PB_I64, PB_F_PTR, 0, "user" },
};

static const pb_field_t f_LabelSelector[] = {
	{ 1, PB_STR, PB_F_MAP, 0, "matchLabels" },
	{ 2, PB_MSG, PB_F_REP, M_LabelSelectorRequirement, "matchExpressions" },
};

static const pb_field_t f_LabelSelectorRequirement[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "key" },
	{ 2, PB_STR, PB_F_KEEP, 0, "operator" },
	{ 3, PB_STR, PB_F_REP, 0, "values" },
};

static const pb_field_t f_PodCertificateProjection[] = {
	{ 1, PB_STR, 0, 0, "signerName" },
	{ 2, PB_STR, 0, 0, "keyType" },
	{ 3, PB_I32, PB_F_PTR, 0, "maxExpirationSeconds" },
	{ 4, PB_STR, 0, 0, "credentialBundlePath" },
	{ 5, PB_STR, 0, 0, "keyPath" },
	{ 6, PB_STR, 0, 0, "certificateChainPath" },
	{ 7, PB_STR, PB_F_MAP, 0, "userAnnotations" },
	{ 8, PB_I64, PB_F_PTR, 0, "user" },
};

static const pb_field_t f_PortworxVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "volumeID" },
	{ 2, PB_STR, 0, 0, "fsType" },
	{ 3, PB_BOOL, 0, 0, "readOnly" },
};

static const pb_field_t f_ScaleIOVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "gateway" },
	{ 2, PB_STR, PB_F_KEEP, 0, "system" },
	{ 3, PB_MSG, PB_F_PTR|PB_F_KEEP, M_LocalObjectReference, "secretRef" },
	{ 4, PB_BOOL, 0, 0, "sslEnabled" },
	{ 5, PB_STR, 0, 0, "protectionDomain" },
	{ 6, PB_STR, 0, 0, "storagePool" },
	{ 7, PB_STR, 0, 0, "storageMode" },
	{ 8, PB_STR, 0, 0, "volumeName" },
	{ 9, PB_STR, 0, 0, "fsType" },
	{ 10, PB_BOOL, 0, 0, "readOnly" },
};

static const pb_field_t f_StorageOSVolumeSource[] = {
	{ 1, PB_STR, 0, 0, "volumeName" },
	{ 2, PB_STR, 0, 0, "volumeNamespace" },
	{ 3, PB_STR, 0, 0, "fsType" },
	{ 4, PB_BOOL, 0, 0, "readOnly" },
	{ 5, PB_MSG, PB_F_PTR, M_LocalObjectReference, "secretRef" },
};

static const pb_field_t f_CSIVolumeSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "driver" },
	{ 2, PB_BOOL, PB_F_PTR, 0, "readOnly" },
	{ 3, PB_STR, PB_F_PTR, 0, "fsType" },
	{ 4, PB_STR, PB_F_MAP, 0, "volumeAttributes" },
	{ 5, PB_MSG, PB_F_PTR, M_LocalObjectReference, "nodePublishSecretRef" },
};

static const pb_field_t f_EphemeralVolumeSource[] = {
	{ 1, PB_MSG, PB_F_PTR, M_PersistentVolumeClaimTemplate, "volumeClaimTemplate" },
};

static const pb_field_t f_PersistentVolumeClaimTemplate[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_KEEP, M_PersistentVolumeClaimSpec, "spec" },
};

static const pb_field_t f_PersistentVolumeClaimSpec[] = {
	{ 1, PB_STR, PB_F_REP, 0, "accessModes" },
	{ 2, PB_MSG, PB_F_KEEP, M_VolumeResourceRequirements, "resources" },
	{ 3, PB_STR, 0, 0, "volumeName" },
	{ 4, PB_MSG, PB_F_PTR, M_LabelSelector, "selector" },
	{ 5, PB_STR, PB_F_PTR, 0, "storageClassName" },
	{ 6, PB_STR, PB_F_PTR, 0, "volumeMode" },
	{ 7, PB_MSG, PB_F_PTR, M_TypedLocalObjectReference, "dataSource" },
	{ 8, PB_MSG, PB_F_PTR, M_TypedObjectReference, "dataSourceRef" },
	{ 9, PB_STR, PB_F_PTR, 0, "volumeAttributesClassName" },
};

static const pb_field_t f_VolumeResourceRequirements[] = {
	{ 1, PB_QTY, PB_F_MAP, 0, "limits" },
	{ 2, PB_QTY, PB_F_MAP, 0, "requests" },
};

static const pb_field_t f_TypedLocalObjectReference[] = {
	{ 1, PB_STR, PB_F_PTR|PB_F_KEEP, 0, "apiGroup" },
	{ 2, PB_STR, PB_F_KEEP, 0, "kind" },
	{ 3, PB_STR, PB_F_KEEP, 0, "name" },
};

static const pb_field_t f_TypedObjectReference[] = {
	{ 1, PB_STR, PB_F_PTR|PB_F_KEEP, 0, "apiGroup" },
	{ 2, PB_STR, PB_F_KEEP, 0, "kind" },
	{ 3, PB_STR, PB_F_KEEP, 0, "name" },
	{ 4, PB_STR, PB_F_PTR, 0, "namespace" },
};

static const pb_field_t f_ImageVolumeSource[] = {
	{ 1, PB_STR, 0, 0, "reference" },
	{ 2, PB_STR, 0, 0, "pullPolicy" },
};

static const pb_field_t f_Container[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_STR, 0, 0, "image" },
	{ 3, PB_STR, PB_F_REP, 0, "command" },
	{ 4, PB_STR, PB_F_REP, 0, "args" },
	{ 5, PB_STR, 0, 0, "workingDir" },
	{ 6, PB_MSG, PB_F_REP, M_ContainerPort, "ports" },
	{ 7, PB_MSG, PB_F_REP, M_EnvVar, "env" },
	{ 8, PB_MSG, PB_F_KEEP, M_ResourceRequirements, "resources" },
	{ 9, PB_MSG, PB_F_REP, M_VolumeMount, "volumeMounts" },
	{ 10, PB_MSG, PB_F_PTR, M_Probe, "livenessProbe" },
	{ 11, PB_MSG, PB_F_PTR, M_Probe, "readinessProbe" },
	{ 12, PB_MSG, PB_F_PTR, M_Lifecycle, "lifecycle" },
	{ 13, PB_STR, 0, 0, "terminationMessagePath" },
	{ 14, PB_STR, 0, 0, "imagePullPolicy" },
	{ 15, PB_MSG, PB_F_PTR, M_SecurityContext, "securityContext" },
	{ 16, PB_BOOL, 0, 0, "stdin" },
	{ 17, PB_BOOL, 0, 0, "stdinOnce" },
	{ 18, PB_BOOL, 0, 0, "tty" },
	{ 19, PB_MSG, PB_F_REP, M_EnvFromSource, "envFrom" },
	{ 20, PB_STR, 0, 0, "terminationMessagePolicy" },
	{ 21, PB_MSG, PB_F_REP, M_VolumeDevice, "volumeDevices" },
	{ 22, PB_MSG, PB_F_PTR, M_Probe, "startupProbe" },
	{ 23, PB_MSG, PB_F_REP, M_ContainerResizePolicy, "resizePolicy" },
	{ 24, PB_STR, PB_F_PTR, 0, "restartPolicy" },
	{ 25, PB_MSG, PB_F_REP, M_ContainerRestartRule, "restartPolicyRules" },
};

static const pb_field_t f_ContainerPort[] = {
	{ 1, PB_STR, 0, 0, "name" },
	{ 2, PB_I32, 0, 0, "hostPort" },
	{ 3, PB_I32, PB_F_KEEP, 0, "containerPort" },
	{ 4, PB_STR, 0, 0, "protocol" },
	{ 5, PB_STR, 0, 0, "hostIP" },
};

static const pb_field_t f_EnvFromSource[] = {
	{ 1, PB_STR, 0, 0, "prefix" },
	{ 2, PB_MSG, PB_F_PTR, M_ConfigMapEnvSource, "configMapRef" },
	{ 3, PB_MSG, PB_F_PTR, M_SecretEnvSource, "secretRef" },
};

static const pb_field_t f_ConfigMapEnvSource[] = {
	{ 1, PB_MSG, PB_F_INLINE, M_LocalObjectReference, "" },
	{ 2, PB_BOOL, PB_F_PTR, 0, "optional" },
};

static const pb_field_t f_SecretEnvSource[] = {
	{ 1, PB_MSG, PB_F_INLINE, M_LocalObjectReference, "" },
	{ 2, PB_BOOL, PB_F_PTR, 0, "optional" },
};

static const pb_field_t f_EnvVar[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_STR, 0, 0, "value" },
	{ 3, PB_MSG, PB_F_PTR, M_EnvVarSource, "valueFrom" },
};

static const pb_field_t f_EnvVarSource[] = {
	{ 1, PB_MSG, PB_F_PTR, M_ObjectFieldSelector, "fieldRef" },
	{ 2, PB_MSG, PB_F_PTR, M_ResourceFieldSelector, "resourceFieldRef" },
	{ 3, PB_MSG, PB_F_PTR, M_ConfigMapKeySelector, "configMapKeyRef" },
	{ 4, PB_MSG, PB_F_PTR, M_SecretKeySelector, "secretKeyRef" },
	{ 5, PB_MSG, PB_F_PTR, M_FileKeySelector, "fileKeyRef" },
};

static const pb_field_t f_ConfigMapKeySelector[] = {
	{ 1, PB_MSG, PB_F_INLINE, M_LocalObjectReference, "" },
	{ 2, PB_STR, PB_F_KEEP, 0, "key" },
	{ 3, PB_BOOL, PB_F_PTR, 0, "optional" },
};

static const pb_field_t f_SecretKeySelector[] = {
	{ 1, PB_MSG, PB_F_INLINE, M_LocalObjectReference, "" },
	{ 2, PB_STR, PB_F_KEEP, 0, "key" },
	{ 3, PB_BOOL, PB_F_PTR, 0, "optional" },
};

static const pb_field_t f_FileKeySelector[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "volumeName" },
	{ 2, PB_STR, PB_F_KEEP, 0, "path" },
	{ 3, PB_STR, PB_F_KEEP, 0, "key" },
	{ 4, PB_BOOL, PB_F_PTR, 0, "optional" },
};

static const pb_field_t f_ResourceRequirements[] = {
	{ 1, PB_QTY, PB_F_MAP, 0, "limits" },
	{ 2, PB_QTY, PB_F_MAP, 0, "requests" },
	{ 3, PB_MSG, PB_F_REP, M_ResourceClaim, "claims" },
};

static const pb_field_t f_ResourceClaim[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_STR, 0, 0, "request" },
};

static const pb_field_t f_ContainerResizePolicy[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "resourceName" },
	{ 2, PB_STR, PB_F_KEEP, 0, "restartPolicy" },
};

static const pb_field_t f_ContainerRestartRule[] = {
	{ 1, PB_STR, 0, 0, "action" },
	{ 2, PB_MSG, PB_F_PTR, M_ContainerRestartRuleOnExitCodes, "exitCodes" },
};

static const pb_field_t f_ContainerRestartRuleOnExitCodes[] = {
	{ 1, PB_STR, 0, 0, "operator" },
	{ 2, PB_I32, PB_F_REP, 0, "values" },
};

static const pb_field_t f_VolumeMount[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_BOOL, 0, 0, "readOnly" },
	{ 3, PB_STR, PB_F_KEEP, 0, "mountPath" },
	{ 4, PB_STR, 0, 0, "subPath" },
	{ 5, PB_STR, PB_F_PTR, 0, "mountPropagation" },
	{ 6, PB_STR, 0, 0, "subPathExpr" },
	{ 7, PB_STR, PB_F_PTR, 0, "recursiveReadOnly" },
	{ 8, PB_STR, PB_F_REP, 0, "bindMountOptions" },
};

static const pb_field_t f_VolumeDevice[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_STR, PB_F_KEEP, 0, "devicePath" },
};

static const pb_field_t f_Probe[] = {
	{ 1, PB_MSG, PB_F_INLINE, M_ProbeHandler, "" },
	{ 2, PB_I32, 0, 0, "initialDelaySeconds" },
	{ 3, PB_I32, 0, 0, "timeoutSeconds" },
	{ 4, PB_I32, 0, 0, "periodSeconds" },
	{ 5, PB_I32, 0, 0, "successThreshold" },
	{ 6, PB_I32, 0, 0, "failureThreshold" },
	{ 7, PB_I64, PB_F_PTR, 0, "terminationGracePeriodSeconds" },
};

static const pb_field_t f_ProbeHandler[] = {
	{ 1, PB_MSG, PB_F_PTR, M_ExecAction, "exec" },
	{ 2, PB_MSG, PB_F_PTR, M_HTTPGetAction, "httpGet" },
	{ 3, PB_MSG, PB_F_PTR, M_TCPSocketAction, "tcpSocket" },
	{ 4, PB_MSG, PB_F_PTR, M_GRPCAction, "grpc" },
};

static const pb_field_t f_ExecAction[] = {
	{ 1, PB_STR, PB_F_REP, 0, "command" },
};

static const pb_field_t f_HTTPGetAction[] = {
	{ 1, PB_STR, 0, 0, "path" },
	{ 2, PB_INTSTR, PB_F_KEEP, 0, "port" },
	{ 3, PB_STR, 0, 0, "host" },
	{ 4, PB_STR, 0, 0, "scheme" },
	{ 5, PB_MSG, PB_F_REP, M_HTTPHeader, "httpHeaders" },
	{ 6, PB_STR, PB_F_PTR, 0, "protocol" },
};

static const pb_field_t f_HTTPHeader[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_STR, PB_F_KEEP, 0, "value" },
};

static const pb_field_t f_TCPSocketAction[] = {
	{ 1, PB_INTSTR, PB_F_KEEP, 0, "port" },
	{ 2, PB_STR, 0, 0, "host" },
};

static const pb_field_t f_GRPCAction[] = {
	{ 1, PB_I32, PB_F_KEEP, 0, "port" },
	{ 2, PB_STR, PB_F_PTR|PB_F_KEEP, 0, "service" },
	{ 3, PB_STR, PB_F_PTR, 0, "mode" },
};

static const pb_field_t f_Lifecycle[] = {
	{ 1, PB_MSG, PB_F_PTR, M_LifecycleHandler, "postStart" },
	{ 2, PB_MSG, PB_F_PTR, M_LifecycleHandler, "preStop" },
	{ 3, PB_STR, PB_F_PTR, 0, "stopSignal" },
};

static const pb_field_t f_LifecycleHandler[] = {
	{ 1, PB_MSG, PB_F_PTR, M_ExecAction, "exec" },
	{ 2, PB_MSG, PB_F_PTR, M_HTTPGetAction, "httpGet" },
	{ 3, PB_MSG, PB_F_PTR, M_TCPSocketAction, "tcpSocket" },
	{ 4, PB_MSG, PB_F_PTR, M_SleepAction, "sleep" },
};

static const pb_field_t f_SleepAction[] = {
	{ 1, PB_I64, PB_F_KEEP, 0, "seconds" },
};

static const pb_field_t f_SecurityContext[] = {
	{ 1, PB_MSG, PB_F_PTR, M_Capabilities, "capabilities" },
	{ 2, PB_BOOL, PB_F_PTR, 0, "privileged" },
	{ 3, PB_MSG, PB_F_PTR, M_SELinuxOptions, "seLinuxOptions" },
	{ 4, PB_I64, PB_F_PTR, 0, "runAsUser" },
	{ 5, PB_BOOL, PB_F_PTR, 0, "runAsNonRoot" },
	{ 6, PB_BOOL, PB_F_PTR, 0, "readOnlyRootFilesystem" },
	{ 7, PB_BOOL, PB_F_PTR, 0, "allowPrivilegeEscalation" },
	{ 8, PB_I64, PB_F_PTR, 0, "runAsGroup" },
	{ 9, PB_STR, PB_F_PTR, 0, "procMount" },
	{ 10, PB_MSG, PB_F_PTR, M_WindowsSecurityContextOptions, "windowsOptions" },
	{ 11, PB_MSG, PB_F_PTR, M_SeccompProfile, "seccompProfile" },
	{ 12, PB_MSG, PB_F_PTR, M_AppArmorProfile, "appArmorProfile" },
};

static const pb_field_t f_Capabilities[] = {
	{ 1, PB_STR, PB_F_REP, 0, "add" },
	{ 2, PB_STR, PB_F_REP, 0, "drop" },
};

static const pb_field_t f_SELinuxOptions[] = {
	{ 1, PB_STR, 0, 0, "user" },
	{ 2, PB_STR, 0, 0, "role" },
	{ 3, PB_STR, 0, 0, "type" },
	{ 4, PB_STR, 0, 0, "level" },
};

static const pb_field_t f_WindowsSecurityContextOptions[] = {
	{ 1, PB_STR, PB_F_PTR, 0, "gmsaCredentialSpecName" },
	{ 2, PB_STR, PB_F_PTR, 0, "gmsaCredentialSpec" },
	{ 3, PB_STR, PB_F_PTR, 0, "runAsUserName" },
	{ 4, PB_BOOL, PB_F_PTR, 0, "hostProcess" },
};

static const pb_field_t f_SeccompProfile[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "type" },
	{ 2, PB_STR, PB_F_PTR, 0, "localhostProfile" },
};

static const pb_field_t f_AppArmorProfile[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "type" },
	{ 2, PB_STR, PB_F_PTR, 0, "localhostProfile" },
};

static const pb_field_t f_EphemeralContainer[] = {
	{ 1, PB_MSG, PB_F_INLINE, M_EphemeralContainerCommon, "" },
	{ 2, PB_STR, 0, 0, "targetContainerName" },
};

static const pb_field_t f_EphemeralContainerCommon[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_STR, 0, 0, "image" },
	{ 3, PB_STR, PB_F_REP, 0, "command" },
	{ 4, PB_STR, PB_F_REP, 0, "args" },
	{ 5, PB_STR, 0, 0, "workingDir" },
	{ 6, PB_MSG, PB_F_REP, M_ContainerPort, "ports" },
	{ 7, PB_MSG, PB_F_REP, M_EnvVar, "env" },
	{ 8, PB_MSG, PB_F_KEEP, M_ResourceRequirements, "resources" },
	{ 9, PB_MSG, PB_F_REP, M_VolumeMount, "volumeMounts" },
	{ 10, PB_MSG, PB_F_PTR, M_Probe, "livenessProbe" },
	{ 11, PB_MSG, PB_F_PTR, M_Probe, "readinessProbe" },
	{ 12, PB_MSG, PB_F_PTR, M_Lifecycle, "lifecycle" },
	{ 13, PB_STR, 0, 0, "terminationMessagePath" },
	{ 14, PB_STR, 0, 0, "imagePullPolicy" },
	{ 15, PB_MSG, PB_F_PTR, M_SecurityContext, "securityContext" },
	{ 16, PB_BOOL, 0, 0, "stdin" },
	{ 17, PB_BOOL, 0, 0, "stdinOnce" },
	{ 18, PB_BOOL, 0, 0, "tty" },
	{ 19, PB_MSG, PB_F_REP, M_EnvFromSource, "envFrom" },
	{ 20, PB_STR, 0, 0, "terminationMessagePolicy" },
	{ 21, PB_MSG, PB_F_REP, M_VolumeDevice, "volumeDevices" },
	{ 22, PB_MSG, PB_F_PTR, M_Probe, "startupProbe" },
	{ 23, PB_MSG, PB_F_REP, M_ContainerResizePolicy, "resizePolicy" },
	{ 24, PB_STR, PB_F_PTR, 0, "restartPolicy" },
	{ 25, PB_MSG, PB_F_REP, M_ContainerRestartRule, "restartPolicyRules" },
};

static const pb_field_t f_PodSecurityContext[] = {
	{ 1, PB_MSG, PB_F_PTR, M_SELinuxOptions, "seLinuxOptions" },
	{ 2, PB_I64, PB_F_PTR, 0, "runAsUser" },
	{ 3, PB_BOOL, PB_F_PTR, 0, "runAsNonRoot" },
	{ 4, PB_I64, PB_F_REP, 0, "supplementalGroups" },
	{ 5, PB_I64, PB_F_PTR, 0, "fsGroup" },
	{ 6, PB_I64, PB_F_PTR, 0, "runAsGroup" },
	{ 7, PB_MSG, PB_F_REP, M_Sysctl, "sysctls" },
	{ 8, PB_MSG, PB_F_PTR, M_WindowsSecurityContextOptions, "windowsOptions" },
	{ 9, PB_STR, PB_F_PTR, 0, "fsGroupChangePolicy" },
	{ 10, PB_MSG, PB_F_PTR, M_SeccompProfile, "seccompProfile" },
	{ 11, PB_MSG, PB_F_PTR, M_AppArmorProfile, "appArmorProfile" },
	{ 12, PB_STR, PB_F_PTR, 0, "supplementalGroupsPolicy" },
	{ 13, PB_STR, PB_F_PTR, 0, "seLinuxChangePolicy" },
};

static const pb_field_t f_Sysctl[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_STR, PB_F_KEEP, 0, "value" },
};

static const pb_field_t f_Affinity[] = {
	{ 1, PB_MSG, PB_F_PTR, M_NodeAffinity, "nodeAffinity" },
	{ 2, PB_MSG, PB_F_PTR, M_PodAffinity, "podAffinity" },
	{ 3, PB_MSG, PB_F_PTR, M_PodAntiAffinity, "podAntiAffinity" },
};

static const pb_field_t f_NodeAffinity[] = {
	{ 1, PB_MSG, PB_F_PTR, M_NodeSelector, "requiredDuringSchedulingIgnoredDuringExecution" },
	{ 2, PB_MSG, PB_F_REP, M_PreferredSchedulingTerm, "preferredDuringSchedulingIgnoredDuringExecution" },
};

static const pb_field_t f_NodeSelector[] = {
	{ 1, PB_MSG, PB_F_REP|PB_F_KEEP, M_NodeSelectorTerm, "nodeSelectorTerms" },
};

static const pb_field_t f_NodeSelectorTerm[] = {
	{ 1, PB_MSG, PB_F_REP, M_NodeSelectorRequirement, "matchExpressions" },
	{ 2, PB_MSG, PB_F_REP, M_NodeSelectorRequirement, "matchFields" },
};

static const pb_field_t f_NodeSelectorRequirement[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "key" },
	{ 2, PB_STR, PB_F_KEEP, 0, "operator" },
	{ 3, PB_STR, PB_F_REP, 0, "values" },
};

static const pb_field_t f_PreferredSchedulingTerm[] = {
	{ 1, PB_I32, PB_F_KEEP, 0, "weight" },
	{ 2, PB_MSG, PB_F_KEEP, M_NodeSelectorTerm, "preference" },
};

static const pb_field_t f_PodAffinity[] = {
	{ 1, PB_MSG, PB_F_REP, M_PodAffinityTerm, "requiredDuringSchedulingIgnoredDuringExecution" },
	{ 2, PB_MSG, PB_F_REP, M_WeightedPodAffinityTerm, "preferredDuringSchedulingIgnoredDuringExecution" },
};

static const pb_field_t f_PodAffinityTerm[] = {
	{ 1, PB_MSG, PB_F_PTR, M_LabelSelector, "labelSelector" },
	{ 2, PB_STR, PB_F_REP, 0, "namespaces" },
	{ 3, PB_STR, PB_F_KEEP, 0, "topologyKey" },
	{ 4, PB_MSG, PB_F_PTR, M_LabelSelector, "namespaceSelector" },
	{ 5, PB_STR, PB_F_REP, 0, "matchLabelKeys" },
	{ 6, PB_STR, PB_F_REP, 0, "mismatchLabelKeys" },
};

static const pb_field_t f_WeightedPodAffinityTerm[] = {
	{ 1, PB_I32, PB_F_KEEP, 0, "weight" },
	{ 2, PB_MSG, PB_F_KEEP, M_PodAffinityTerm, "podAffinityTerm" },
};

static const pb_field_t f_PodAntiAffinity[] = {
	{ 1, PB_MSG, PB_F_REP, M_PodAffinityTerm, "requiredDuringSchedulingIgnoredDuringExecution" },
	{ 2, PB_MSG, PB_F_REP, M_WeightedPodAffinityTerm, "preferredDuringSchedulingIgnoredDuringExecution" },
};

static const pb_field_t f_Toleration[] = {
	{ 1, PB_STR, 0, 0, "key" },
	{ 2, PB_STR, 0, 0, "operator" },
	{ 3, PB_STR, 0, 0, "value" },
	{ 4, PB_STR, 0, 0, "effect" },
	{ 5, PB_I64, PB_F_PTR, 0, "tolerationSeconds" },
};

static const pb_field_t f_HostAlias[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "ip" },
	{ 2, PB_STR, PB_F_REP, 0, "hostnames" },
};

static const pb_field_t f_PodDNSConfig[] = {
	{ 1, PB_STR, PB_F_REP, 0, "nameservers" },
	{ 2, PB_STR, PB_F_REP, 0, "searches" },
	{ 3, PB_MSG, PB_F_REP, M_PodDNSConfigOption, "options" },
};

static const pb_field_t f_PodDNSConfigOption[] = {
	{ 1, PB_STR, 0, 0, "name" },
	{ 2, PB_STR, PB_F_PTR, 0, "value" },
};

static const pb_field_t f_PodReadinessGate[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "conditionType" },
};

static const pb_field_t f_TopologySpreadConstraint[] = {
	{ 1, PB_I32, PB_F_KEEP, 0, "maxSkew" },
	{ 2, PB_STR, PB_F_KEEP, 0, "topologyKey" },
	{ 3, PB_STR, PB_F_KEEP, 0, "whenUnsatisfiable" },
	{ 4, PB_MSG, PB_F_PTR, M_LabelSelector, "labelSelector" },
	{ 5, PB_I32, PB_F_PTR, 0, "minDomains" },
	{ 6, PB_STR, PB_F_PTR, 0, "nodeAffinityPolicy" },
	{ 7, PB_STR, PB_F_PTR, 0, "nodeTaintsPolicy" },
	{ 8, PB_STR, PB_F_REP, 0, "matchLabelKeys" },
};

static const pb_field_t f_PodOS[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
};

static const pb_field_t f_PodSchedulingGate[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
};

static const pb_field_t f_PodResourceClaim[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 3, PB_STR, PB_F_PTR, 0, "resourceClaimName" },
	{ 4, PB_STR, PB_F_PTR, 0, "resourceClaimTemplateName" },
};

static const pb_field_t f_PodSchedulingGroup[] = {
	{ 1, PB_STR, PB_F_PTR, 0, "podGroupName" },
};

static const pb_field_t f_EvictionResponder[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_I32, PB_F_PTR|PB_F_KEEP, 0, "priority" },
};

static const pb_field_t f_PodStatus[] = {
	{ 1, PB_STR, 0, 0, "phase" },
	{ 2, PB_MSG, PB_F_REP, M_PodCondition, "conditions" },
	{ 3, PB_STR, 0, 0, "message" },
	{ 4, PB_STR, 0, 0, "reason" },
	{ 5, PB_STR, 0, 0, "hostIP" },
	{ 6, PB_STR, 0, 0, "podIP" },
	{ 7, PB_TIME, PB_F_PTR, 0, "startTime" },
	{ 8, PB_MSG, PB_F_REP, M_ContainerStatus, "containerStatuses" },
	{ 9, PB_STR, 0, 0, "qosClass" },
	{ 10, PB_MSG, PB_F_REP, M_ContainerStatus, "initContainerStatuses" },
	{ 11, PB_STR, 0, 0, "nominatedNodeName" },
	{ 12, PB_MSG, PB_F_REP, M_PodIP, "podIPs" },
	{ 13, PB_MSG, PB_F_REP, M_ContainerStatus, "ephemeralContainerStatuses" },
	{ 14, PB_STR, 0, 0, "resize" },
	{ 15, PB_MSG, PB_F_REP, M_PodResourceClaimStatus, "resourceClaimStatuses" },
	{ 16, PB_MSG, PB_F_REP, M_HostIP, "hostIPs" },
	{ 17, PB_I64, 0, 0, "observedGeneration" },
	{ 18, PB_MSG, PB_F_PTR, M_PodExtendedResourceClaimStatus, "extendedResourceClaimStatus" },
	{ 19, PB_QTY, PB_F_MAP, 0, "allocatedResources" },
	{ 20, PB_MSG, PB_F_PTR, M_ResourceRequirements, "resources" },
	{ 21, PB_MSG, PB_F_REP, M_NodeAllocatableResourceClaimStatus, "nodeAllocatableResourceClaimStatuses" },
	{ 22, PB_MSG, PB_F_REP, M_PodVolumeHealth, "volumeHealth" },
};

static const pb_field_t f_PodCondition[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "type" },
	{ 2, PB_STR, PB_F_KEEP, 0, "status" },
	{ 3, PB_TIME, PB_F_KEEP, 0, "lastProbeTime" },
	{ 4, PB_TIME, PB_F_KEEP, 0, "lastTransitionTime" },
	{ 5, PB_STR, 0, 0, "reason" },
	{ 6, PB_STR, 0, 0, "message" },
	{ 7, PB_I64, 0, 0, "observedGeneration" },
};

static const pb_field_t f_HostIP[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "ip" },
};

static const pb_field_t f_PodIP[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "ip" },
};

static const pb_field_t f_ContainerStatus[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_MSG, PB_F_KEEP, M_ContainerState, "state" },
	{ 3, PB_MSG, PB_F_KEEP, M_ContainerState, "lastState" },
	{ 4, PB_BOOL, PB_F_KEEP, 0, "ready" },
	{ 5, PB_I32, PB_F_KEEP, 0, "restartCount" },
	{ 6, PB_STR, PB_F_KEEP, 0, "image" },
	{ 7, PB_STR, PB_F_KEEP, 0, "imageID" },
	{ 8, PB_STR, 0, 0, "containerID" },
	{ 9, PB_BOOL, PB_F_PTR, 0, "started" },
	{ 10, PB_QTY, PB_F_MAP, 0, "allocatedResources" },
	{ 11, PB_MSG, PB_F_PTR, M_ResourceRequirements, "resources" },
	{ 12, PB_MSG, PB_F_REP, M_VolumeMountStatus, "volumeMounts" },
	{ 13, PB_MSG, PB_F_PTR, M_ContainerUser, "user" },
	{ 14, PB_MSG, PB_F_REP, M_ResourceStatus, "allocatedResourcesStatus" },
	{ 15, PB_STR, PB_F_PTR, 0, "stopSignal" },
};

static const pb_field_t f_ContainerState[] = {
	{ 1, PB_MSG, PB_F_PTR, M_ContainerStateWaiting, "waiting" },
	{ 2, PB_MSG, PB_F_PTR, M_ContainerStateRunning, "running" },
	{ 3, PB_MSG, PB_F_PTR, M_ContainerStateTerminated, "terminated" },
};

static const pb_field_t f_ContainerStateWaiting[] = {
	{ 1, PB_STR, 0, 0, "reason" },
	{ 2, PB_STR, 0, 0, "message" },
};

static const pb_field_t f_ContainerStateRunning[] = {
	{ 1, PB_TIME, PB_F_KEEP, 0, "startedAt" },
};

static const pb_field_t f_ContainerStateTerminated[] = {
	{ 1, PB_I32, PB_F_KEEP, 0, "exitCode" },
	{ 2, PB_I32, 0, 0, "signal" },
	{ 3, PB_STR, 0, 0, "reason" },
	{ 4, PB_STR, 0, 0, "message" },
	{ 5, PB_TIME, PB_F_KEEP, 0, "startedAt" },
	{ 6, PB_TIME, PB_F_KEEP, 0, "finishedAt" },
	{ 7, PB_STR, 0, 0, "containerID" },
};

static const pb_field_t f_VolumeMountStatus[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_STR, PB_F_KEEP, 0, "mountPath" },
	{ 3, PB_BOOL, 0, 0, "readOnly" },
	{ 4, PB_STR, PB_F_PTR, 0, "recursiveReadOnly" },
	{ 5, PB_MSG, PB_F_PTR, M_VolumeStatus, "volumeStatus" },
};

static const pb_field_t f_VolumeStatus[] = {
	{ 1, PB_MSG, PB_F_PTR, M_ImageVolumeStatus, "image" },
};

static const pb_field_t f_ImageVolumeStatus[] = {
	{ 1, PB_STR, 0, 0, "imageRef" },
};

static const pb_field_t f_ContainerUser[] = {
	{ 1, PB_MSG, PB_F_PTR, M_LinuxContainerUser, "linux" },
};

static const pb_field_t f_LinuxContainerUser[] = {
	{ 1, PB_I64, PB_F_KEEP, 0, "uid" },
	{ 2, PB_I64, PB_F_KEEP, 0, "gid" },
	{ 3, PB_I64, PB_F_REP, 0, "supplementalGroups" },
};

static const pb_field_t f_ResourceStatus[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_MSG, PB_F_REP, M_ResourceHealth, "resources" },
};

static const pb_field_t f_ResourceHealth[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "resourceID" },
	{ 2, PB_STR, 0, 0, "health" },
	{ 6, PB_STR, PB_F_PTR, 0, "message" },
};

static const pb_field_t f_PodResourceClaimStatus[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_STR, PB_F_PTR, 0, "resourceClaimName" },
};

static const pb_field_t f_PodExtendedResourceClaimStatus[] = {
	{ 1, PB_MSG, PB_F_REP|PB_F_KEEP, M_ContainerExtendedResourceRequest, "requestMappings" },
	{ 2, PB_STR, PB_F_KEEP, 0, "resourceClaimName" },
};

static const pb_field_t f_ContainerExtendedResourceRequest[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "containerName" },
	{ 2, PB_STR, PB_F_KEEP, 0, "resourceName" },
	{ 3, PB_STR, PB_F_KEEP, 0, "requestName" },
};

static const pb_field_t f_NodeAllocatableResourceClaimStatus[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "resourceClaimName" },
	{ 2, PB_STR, PB_F_REP, 0, "containers" },
	{ 4, PB_MSG, PB_F_REP, M_NodeAllocatableMappedResources, "mapping" },
	{ 5, PB_MSG, PB_F_REP, M_NodeAllocatableOverheadResources, "overhead" },
};

static const pb_field_t f_NodeAllocatableMappedResources[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_QTY, PB_F_PTR|PB_F_KEEP, 0, "quantity" },
};

static const pb_field_t f_NodeAllocatableOverheadResources[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_QTY, PB_F_PTR, 0, "perPod" },
	{ 3, PB_QTY, PB_F_PTR, 0, "perContainer" },
};

static const pb_field_t f_PodVolumeHealth[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_MSG, PB_F_REP, M_VolumeHealthCondition, "healthConditions" },
	{ 3, PB_TIME, PB_F_KEEP, 0, "lastTransitionTime" },
};

static const pb_field_t f_VolumeHealthCondition[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "status" },
	{ 2, PB_STR, PB_F_KEEP, 0, "reason" },
	{ 3, PB_STR, 0, 0, "message" },
};

static const pb_field_t f_Node[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_KEEP, M_NodeSpec, "spec" },
	{ 3, PB_MSG, PB_F_KEEP, M_NodeStatus, "status" },
};

static const pb_field_t f_NodeSpec[] = {
	{ 1, PB_STR, 0, 0, "podCIDR" },
	{ 2, PB_STR, 0, 0, "externalID" },
	{ 3, PB_STR, 0, 0, "providerID" },
	{ 4, PB_BOOL, 0, 0, "unschedulable" },
	{ 5, PB_MSG, PB_F_REP, M_Taint, "taints" },
	{ 6, PB_MSG, PB_F_PTR, M_NodeConfigSource, "configSource" },
	{ 7, PB_STR, PB_F_REP, 0, "podCIDRs" },
	{ 8, PB_MSG, PB_F_PTR, M_NodePodPreemptionPolicy, "podPreemptionPolicy" },
};

static const pb_field_t f_Taint[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "key" },
	{ 2, PB_STR, 0, 0, "value" },
	{ 3, PB_STR, PB_F_KEEP, 0, "effect" },
	{ 4, PB_TIME, PB_F_PTR, 0, "timeAdded" },
};

static const pb_field_t f_NodeConfigSource[] = {
	{ 2, PB_MSG, PB_F_PTR, M_ConfigMapNodeConfigSource, "configMap" },
};

static const pb_field_t f_ConfigMapNodeConfigSource[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "namespace" },
	{ 2, PB_STR, PB_F_KEEP, 0, "name" },
	{ 3, PB_STR, 0, 0, "uid" },
	{ 4, PB_STR, 0, 0, "resourceVersion" },
	{ 5, PB_STR, PB_F_KEEP, 0, "kubeletConfigKey" },
};

static const pb_field_t f_NodePodPreemptionPolicy[] = {
	{ 1, PB_STR, PB_F_REP, 0, "disableResizePreemption" },
};

static const pb_field_t f_NodeStatus[] = {
	{ 1, PB_QTY, PB_F_MAP, 0, "capacity" },
	{ 2, PB_QTY, PB_F_MAP, 0, "allocatable" },
	{ 3, PB_STR, 0, 0, "phase" },
	{ 4, PB_MSG, PB_F_REP, M_NodeCondition, "conditions" },
	{ 5, PB_MSG, PB_F_REP, M_NodeAddress, "addresses" },
	{ 6, PB_MSG, PB_F_KEEP, M_NodeDaemonEndpoints, "daemonEndpoints" },
	{ 7, PB_MSG, PB_F_KEEP, M_NodeSystemInfo, "nodeInfo" },
	{ 8, PB_MSG, PB_F_REP, M_ContainerImage, "images" },
	{ 9, PB_STR, PB_F_REP, 0, "volumesInUse" },
	{ 10, PB_MSG, PB_F_REP, M_AttachedVolume, "volumesAttached" },
	{ 11, PB_MSG, PB_F_PTR, M_NodeConfigStatus, "config" },
	{ 12, PB_MSG, PB_F_REP, M_NodeRuntimeHandler, "runtimeHandlers" },
	{ 13, PB_MSG, PB_F_PTR, M_NodeFeatures, "features" },
	{ 14, PB_STR, PB_F_REP, 0, "declaredFeatures" },
};

static const pb_field_t f_NodeCondition[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "type" },
	{ 2, PB_STR, PB_F_KEEP, 0, "status" },
	{ 3, PB_TIME, PB_F_KEEP, 0, "lastHeartbeatTime" },
	{ 4, PB_TIME, PB_F_KEEP, 0, "lastTransitionTime" },
	{ 5, PB_STR, 0, 0, "reason" },
	{ 6, PB_STR, 0, 0, "message" },
};

static const pb_field_t f_NodeAddress[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "type" },
	{ 2, PB_STR, PB_F_KEEP, 0, "address" },
};

static const pb_field_t f_NodeDaemonEndpoints[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_DaemonEndpoint, "kubeletEndpoint" },
};

static const pb_field_t f_DaemonEndpoint[] = {
	{ 1, PB_I32, PB_F_KEEP, 0, "Port" },
};

static const pb_field_t f_NodeSystemInfo[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "machineID" },
	{ 2, PB_STR, PB_F_KEEP, 0, "systemUUID" },
	{ 3, PB_STR, PB_F_KEEP, 0, "bootID" },
	{ 4, PB_STR, PB_F_KEEP, 0, "kernelVersion" },
	{ 5, PB_STR, PB_F_KEEP, 0, "osImage" },
	{ 6, PB_STR, PB_F_KEEP, 0, "containerRuntimeVersion" },
	{ 7, PB_STR, PB_F_KEEP, 0, "kubeletVersion" },
	{ 8, PB_STR, PB_F_KEEP, 0, "kubeProxyVersion" },
	{ 9, PB_STR, PB_F_KEEP, 0, "operatingSystem" },
	{ 10, PB_STR, PB_F_KEEP, 0, "architecture" },
	{ 11, PB_MSG, PB_F_PTR, M_NodeSwapStatus, "swap" },
};

static const pb_field_t f_NodeSwapStatus[] = {
	{ 1, PB_I64, PB_F_PTR, 0, "capacity" },
};

static const pb_field_t f_ContainerImage[] = {
	{ 1, PB_STR, PB_F_REP|PB_F_KEEP, 0, "names" },
	{ 2, PB_I64, 0, 0, "sizeBytes" },
};

static const pb_field_t f_AttachedVolume[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_STR, PB_F_KEEP, 0, "devicePath" },
};

static const pb_field_t f_NodeConfigStatus[] = {
	{ 1, PB_MSG, PB_F_PTR, M_NodeConfigSource, "assigned" },
	{ 2, PB_MSG, PB_F_PTR, M_NodeConfigSource, "active" },
	{ 3, PB_MSG, PB_F_PTR, M_NodeConfigSource, "lastKnownGood" },
	{ 4, PB_STR, 0, 0, "error" },
};

static const pb_field_t f_NodeRuntimeHandler[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
	{ 2, PB_MSG, PB_F_PTR, M_NodeRuntimeHandlerFeatures, "features" },
};

static const pb_field_t f_NodeRuntimeHandlerFeatures[] = {
	{ 1, PB_BOOL, PB_F_PTR, 0, "recursiveReadOnlyMounts" },
	{ 2, PB_BOOL, PB_F_PTR, 0, "userNamespaces" },
};

static const pb_field_t f_NodeFeatures[] = {
	{ 1, PB_BOOL, PB_F_PTR, 0, "supplementalGroupsPolicy" },
};

static const pb_field_t f_Event[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_KEEP, M_ObjectReference, "involvedObject" },
	{ 3, PB_STR, 0, 0, "reason" },
	{ 4, PB_STR, 0, 0, "message" },
	{ 5, PB_MSG, PB_F_KEEP, M_EventSource, "source" },
	{ 6, PB_TIME, PB_F_KEEP, 0, "firstTimestamp" },
	{ 7, PB_TIME, PB_F_KEEP, 0, "lastTimestamp" },
	{ 8, PB_I32, 0, 0, "count" },
	{ 9, PB_STR, 0, 0, "type" },
	{ 10, PB_MTIME, PB_F_KEEP, 0, "eventTime" },
	{ 11, PB_MSG, PB_F_PTR, M_EventSeries, "series" },
	{ 12, PB_STR, 0, 0, "action" },
	{ 13, PB_MSG, PB_F_PTR, M_ObjectReference, "related" },
	{ 14, PB_STR, PB_F_KEEP, 0, "reportingComponent" },
	{ 15, PB_STR, PB_F_KEEP, 0, "reportingInstance" },
};

static const pb_field_t f_EventSource[] = {
	{ 1, PB_STR, 0, 0, "component" },
	{ 2, PB_STR, 0, 0, "host" },
};

static const pb_field_t f_EventSeries[] = {
	{ 1, PB_I32, 0, 0, "count" },
	{ 2, PB_MTIME, PB_F_KEEP, 0, "lastObservedTime" },
};

static const pb_field_t f_ConfigMap[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_STR, PB_F_MAP, 0, "data" },
	{ 3, PB_BYTES, PB_F_MAP, 0, "binaryData" },
	{ 4, PB_BOOL, PB_F_PTR, 0, "immutable" },
};

static const pb_field_t f_EndpointSlice[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_REP|PB_F_KEEP, M_Endpoint, "endpoints" },
	{ 3, PB_MSG, PB_F_REP|PB_F_KEEP, M_discovery_EndpointPort, "ports" },
	{ 4, PB_STR, PB_F_KEEP, 0, "addressType" },
};

static const pb_field_t f_Endpoint[] = {
	{ 1, PB_STR, PB_F_REP|PB_F_KEEP, 0, "addresses" },
	{ 2, PB_MSG, PB_F_KEEP, M_EndpointConditions, "conditions" },
	{ 3, PB_STR, PB_F_PTR, 0, "hostname" },
	{ 4, PB_MSG, PB_F_PTR, M_ObjectReference, "targetRef" },
	{ 5, PB_STR, PB_F_MAP, 0, "deprecatedTopology" },
	{ 6, PB_STR, PB_F_PTR, 0, "nodeName" },
	{ 7, PB_STR, PB_F_PTR, 0, "zone" },
	{ 8, PB_MSG, PB_F_PTR, M_EndpointHints, "hints" },
};

static const pb_field_t f_EndpointConditions[] = {
	{ 1, PB_BOOL, PB_F_PTR, 0, "ready" },
	{ 2, PB_BOOL, PB_F_PTR, 0, "serving" },
	{ 3, PB_BOOL, PB_F_PTR, 0, "terminating" },
};

static const pb_field_t f_EndpointHints[] = {
	{ 1, PB_MSG, PB_F_REP, M_ForZone, "forZones" },
	{ 2, PB_MSG, PB_F_REP, M_ForNode, "forNodes" },
};

static const pb_field_t f_ForZone[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
};

static const pb_field_t f_ForNode[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "name" },
};

static const pb_field_t f_discovery_EndpointPort[] = {
	{ 1, PB_STR, PB_F_PTR, 0, "name" },
	{ 2, PB_STR, PB_F_PTR, 0, "protocol" },
	{ 3, PB_I32, PB_F_PTR, 0, "port" },
	{ 4, PB_STR, PB_F_PTR, 0, "appProtocol" },
};

static const pb_field_t f_Deployment[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_KEEP, M_DeploymentSpec, "spec" },
	{ 3, PB_MSG, PB_F_KEEP, M_DeploymentStatus, "status" },
};

static const pb_field_t f_DeploymentSpec[] = {
	{ 1, PB_I32, PB_F_PTR, 0, "replicas" },
	{ 2, PB_MSG, PB_F_PTR|PB_F_KEEP, M_LabelSelector, "selector" },
	{ 3, PB_MSG, PB_F_KEEP, M_PodTemplateSpec, "template" },
	{ 4, PB_MSG, PB_F_KEEP, M_DeploymentStrategy, "strategy" },
	{ 5, PB_I32, 0, 0, "minReadySeconds" },
	{ 6, PB_I32, PB_F_PTR, 0, "revisionHistoryLimit" },
	{ 7, PB_BOOL, 0, 0, "paused" },
	{ 9, PB_I32, PB_F_PTR, 0, "progressDeadlineSeconds" },
};

static const pb_field_t f_PodTemplateSpec[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_KEEP, M_PodSpec, "spec" },
};

static const pb_field_t f_DeploymentStrategy[] = {
	{ 1, PB_STR, 0, 0, "type" },
	{ 2, PB_MSG, PB_F_PTR, M_RollingUpdateDeployment, "rollingUpdate" },
};

static const pb_field_t f_RollingUpdateDeployment[] = {
	{ 1, PB_INTSTR, PB_F_PTR, 0, "maxUnavailable" },
	{ 2, PB_INTSTR, PB_F_PTR, 0, "maxSurge" },
};

static const pb_field_t f_DeploymentStatus[] = {
	{ 1, PB_I64, 0, 0, "observedGeneration" },
	{ 2, PB_I32, 0, 0, "replicas" },
	{ 3, PB_I32, 0, 0, "updatedReplicas" },
	{ 4, PB_I32, 0, 0, "availableReplicas" },
	{ 5, PB_I32, 0, 0, "unavailableReplicas" },
	{ 6, PB_MSG, PB_F_REP, M_DeploymentCondition, "conditions" },
	{ 7, PB_I32, 0, 0, "readyReplicas" },
	{ 8, PB_I32, PB_F_PTR, 0, "collisionCount" },
	{ 9, PB_I32, PB_F_PTR, 0, "terminatingReplicas" },
};

static const pb_field_t f_DeploymentCondition[] = {
	{ 1, PB_STR, PB_F_KEEP, 0, "type" },
	{ 2, PB_STR, PB_F_KEEP, 0, "status" },
	{ 4, PB_STR, 0, 0, "reason" },
	{ 5, PB_STR, 0, 0, "message" },
	{ 6, PB_TIME, PB_F_KEEP, 0, "lastUpdateTime" },
	{ 7, PB_TIME, PB_F_KEEP, 0, "lastTransitionTime" },
};

static const pb_field_t f_Lease[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_KEEP, M_LeaseSpec, "spec" },
};

static const pb_field_t f_LeaseSpec[] = {
	{ 1, PB_STR, PB_F_PTR, 0, "holderIdentity" },
	{ 2, PB_I32, PB_F_PTR, 0, "leaseDurationSeconds" },
	{ 3, PB_MTIME, PB_F_PTR, 0, "acquireTime" },
	{ 4, PB_MTIME, PB_F_PTR, 0, "renewTime" },
	{ 5, PB_I32, PB_F_PTR, 0, "leaseTransitions" },
	{ 6, PB_STR, PB_F_PTR, 0, "strategy" },
	{ 7, PB_STR, PB_F_PTR, 0, "preferredHolder" },
};

static const pb_field_t f_Scale[] = {
	{ 1, PB_MSG, PB_F_KEEP, M_ObjectMeta, "metadata" },
	{ 2, PB_MSG, PB_F_KEEP, M_ScaleSpec, "spec" },
	{ 3, PB_MSG, PB_F_KEEP, M_ScaleStatus, "status" },
};

static const pb_field_t f_ScaleSpec[] = {
	{ 1, PB_I32, 0, 0, "replicas" },
};

static const pb_field_t f_ScaleStatus[] = {
	{ 1, PB_I32, PB_F_KEEP, 0, "replicas" },
	{ 2, PB_STR, 0, 0, "selector" },
};

static const pb_field_t f_DeleteOptions[] = {
	{ 1, PB_I64, PB_F_PTR, 0, "gracePeriodSeconds" },
	{ 2, PB_MSG, PB_F_PTR, M_Preconditions, "preconditions" },
	{ 3, PB_BOOL, PB_F_PTR, 0, "orphanDependents" },
	{ 4, PB_STR, PB_F_PTR, 0, "propagationPolicy" },
	{ 5, PB_STR, PB_F_REP, 0, "dryRun" },
	{ 6, PB_BOOL, PB_F_PTR, 0, "ignoreStoreReadErrorWithClusterBreakingPotential" },
};

static const pb_field_t f_Preconditions[] = {
	{ 1, PB_STR, PB_F_PTR, 0, "uid" },
	{ 2, PB_STR, PB_F_PTR, 0, "resourceVersion" },
};

static const pb_msg_t k8s_msgs[M__COUNT] = {
	MSG(Namespace, "Namespace"),
	MSG(ObjectMeta, "ObjectMeta"),
	MSG(OwnerReference, "OwnerReference"),
	MSG(ManagedFieldsEntry, "ManagedFieldsEntry"),
	MSG(NamespaceSpec, "NamespaceSpec"),
	MSG(NamespaceStatus, "NamespaceStatus"),
	MSG(NamespaceCondition, "NamespaceCondition"),
	MSG(Service, "Service"),
	MSG(ServiceSpec, "ServiceSpec"),
	MSG(ServicePort, "ServicePort"),
	MSG(SessionAffinityConfig, "SessionAffinityConfig"),
	MSG(ClientIPConfig, "ClientIPConfig"),
	MSG(ServiceStatus, "ServiceStatus"),
	MSG(LoadBalancerStatus, "LoadBalancerStatus"),
	MSG(LoadBalancerIngress, "LoadBalancerIngress"),
	MSG(PortStatus, "PortStatus"),
	MSG(Condition, "Condition"),
	MSG(Endpoints, "Endpoints"),
	MSG(EndpointSubset, "EndpointSubset"),
	MSG(EndpointAddress, "EndpointAddress"),
	MSG(ObjectReference, "ObjectReference"),
	MSG(core_EndpointPort, "EndpointPort"),
	MSG(Pod, "Pod"),
	MSG(PodSpec, "PodSpec"),
	MSG(Volume, "Volume"),
	MSG(VolumeSource, "VolumeSource"),
	MSG(HostPathVolumeSource, "HostPathVolumeSource"),
	MSG(EmptyDirVolumeSource, "EmptyDirVolumeSource"),
	MSG(GCEPersistentDiskVolumeSource, "GCEPersistentDiskVolumeSource"),
	MSG(AWSElasticBlockStoreVolumeSource, "AWSElasticBlockStoreVolumeSource"),
	MSG(GitRepoVolumeSource, "GitRepoVolumeSource"),
	MSG(SecretVolumeSource, "SecretVolumeSource"),
	MSG(KeyToPath, "KeyToPath"),
	MSG(NFSVolumeSource, "NFSVolumeSource"),
	MSG(ISCSIVolumeSource, "ISCSIVolumeSource"),
	MSG(LocalObjectReference, "LocalObjectReference"),
	MSG(GlusterfsVolumeSource, "GlusterfsVolumeSource"),
	MSG(PersistentVolumeClaimVolumeSource, "PersistentVolumeClaimVolumeSource"),
	MSG(RBDVolumeSource, "RBDVolumeSource"),
	MSG(FlexVolumeSource, "FlexVolumeSource"),
	MSG(CinderVolumeSource, "CinderVolumeSource"),
	MSG(CephFSVolumeSource, "CephFSVolumeSource"),
	MSG(FlockerVolumeSource, "FlockerVolumeSource"),
	MSG(DownwardAPIVolumeSource, "DownwardAPIVolumeSource"),
	MSG(DownwardAPIVolumeFile, "DownwardAPIVolumeFile"),
	MSG(ObjectFieldSelector, "ObjectFieldSelector"),
	MSG(ResourceFieldSelector, "ResourceFieldSelector"),
	MSG(FCVolumeSource, "FCVolumeSource"),
	MSG(AzureFileVolumeSource, "AzureFileVolumeSource"),
	MSG(ConfigMapVolumeSource, "ConfigMapVolumeSource"),
	MSG(VsphereVirtualDiskVolumeSource, "VsphereVirtualDiskVolumeSource"),
	MSG(QuobyteVolumeSource, "QuobyteVolumeSource"),
	MSG(AzureDiskVolumeSource, "AzureDiskVolumeSource"),
	MSG(PhotonPersistentDiskVolumeSource, "PhotonPersistentDiskVolumeSource"),
	MSG(ProjectedVolumeSource, "ProjectedVolumeSource"),
	MSG(VolumeProjection, "VolumeProjection"),
	MSG(SecretProjection, "SecretProjection"),
	MSG(DownwardAPIProjection, "DownwardAPIProjection"),
	MSG(ConfigMapProjection, "ConfigMapProjection"),
	MSG(ServiceAccountTokenProjection, "ServiceAccountTokenProjection"),
	MSG(ClusterTrustBundleProjection, "ClusterTrustBundleProjection"),
	MSG(LabelSelector, "LabelSelector"),
	MSG(LabelSelectorRequirement, "LabelSelectorRequirement"),
	MSG(PodCertificateProjection, "PodCertificateProjection"),
	MSG(PortworxVolumeSource, "PortworxVolumeSource"),
	MSG(ScaleIOVolumeSource, "ScaleIOVolumeSource"),
	MSG(StorageOSVolumeSource, "StorageOSVolumeSource"),
	MSG(CSIVolumeSource, "CSIVolumeSource"),
	MSG(EphemeralVolumeSource, "EphemeralVolumeSource"),
	MSG(PersistentVolumeClaimTemplate, "PersistentVolumeClaimTemplate"),
	MSG(PersistentVolumeClaimSpec, "PersistentVolumeClaimSpec"),
	MSG(VolumeResourceRequirements, "VolumeResourceRequirements"),
	MSG(TypedLocalObjectReference, "TypedLocalObjectReference"),
	MSG(TypedObjectReference, "TypedObjectReference"),
	MSG(ImageVolumeSource, "ImageVolumeSource"),
	MSG(Container, "Container"),
	MSG(ContainerPort, "ContainerPort"),
	MSG(EnvFromSource, "EnvFromSource"),
	MSG(ConfigMapEnvSource, "ConfigMapEnvSource"),
	MSG(SecretEnvSource, "SecretEnvSource"),
	MSG(EnvVar, "EnvVar"),
	MSG(EnvVarSource, "EnvVarSource"),
	MSG(ConfigMapKeySelector, "ConfigMapKeySelector"),
	MSG(SecretKeySelector, "SecretKeySelector"),
	MSG(FileKeySelector, "FileKeySelector"),
	MSG(ResourceRequirements, "ResourceRequirements"),
	MSG(ResourceClaim, "ResourceClaim"),
	MSG(ContainerResizePolicy, "ContainerResizePolicy"),
	MSG(ContainerRestartRule, "ContainerRestartRule"),
	MSG(ContainerRestartRuleOnExitCodes, "ContainerRestartRuleOnExitCodes"),
	MSG(VolumeMount, "VolumeMount"),
	MSG(VolumeDevice, "VolumeDevice"),
	MSG(Probe, "Probe"),
	MSG(ProbeHandler, "ProbeHandler"),
	MSG(ExecAction, "ExecAction"),
	MSG(HTTPGetAction, "HTTPGetAction"),
	MSG(HTTPHeader, "HTTPHeader"),
	MSG(TCPSocketAction, "TCPSocketAction"),
	MSG(GRPCAction, "GRPCAction"),
	MSG(Lifecycle, "Lifecycle"),
	MSG(LifecycleHandler, "LifecycleHandler"),
	MSG(SleepAction, "SleepAction"),
	MSG(SecurityContext, "SecurityContext"),
	MSG(Capabilities, "Capabilities"),
	MSG(SELinuxOptions, "SELinuxOptions"),
	MSG(WindowsSecurityContextOptions, "WindowsSecurityContextOptions"),
	MSG(SeccompProfile, "SeccompProfile"),
	MSG(AppArmorProfile, "AppArmorProfile"),
	MSG(EphemeralContainer, "EphemeralContainer"),
	MSG(EphemeralContainerCommon, "EphemeralContainerCommon"),
	MSG(PodSecurityContext, "PodSecurityContext"),
	MSG(Sysctl, "Sysctl"),
	MSG(Affinity, "Affinity"),
	MSG(NodeAffinity, "NodeAffinity"),
	MSG(NodeSelector, "NodeSelector"),
	MSG(NodeSelectorTerm, "NodeSelectorTerm"),
	MSG(NodeSelectorRequirement, "NodeSelectorRequirement"),
	MSG(PreferredSchedulingTerm, "PreferredSchedulingTerm"),
	MSG(PodAffinity, "PodAffinity"),
	MSG(PodAffinityTerm, "PodAffinityTerm"),
	MSG(WeightedPodAffinityTerm, "WeightedPodAffinityTerm"),
	MSG(PodAntiAffinity, "PodAntiAffinity"),
	MSG(Toleration, "Toleration"),
	MSG(HostAlias, "HostAlias"),
	MSG(PodDNSConfig, "PodDNSConfig"),
	MSG(PodDNSConfigOption, "PodDNSConfigOption"),
	MSG(PodReadinessGate, "PodReadinessGate"),
	MSG(TopologySpreadConstraint, "TopologySpreadConstraint"),
	MSG(PodOS, "PodOS"),
	MSG(PodSchedulingGate, "PodSchedulingGate"),
	MSG(PodResourceClaim, "PodResourceClaim"),
	MSG(PodSchedulingGroup, "PodSchedulingGroup"),
	MSG(EvictionResponder, "EvictionResponder"),
	MSG(PodStatus, "PodStatus"),
	MSG(PodCondition, "PodCondition"),
	MSG(HostIP, "HostIP"),
	MSG(PodIP, "PodIP"),
	MSG(ContainerStatus, "ContainerStatus"),
	MSG(ContainerState, "ContainerState"),
	MSG(ContainerStateWaiting, "ContainerStateWaiting"),
	MSG(ContainerStateRunning, "ContainerStateRunning"),
	MSG(ContainerStateTerminated, "ContainerStateTerminated"),
	MSG(VolumeMountStatus, "VolumeMountStatus"),
	MSG(VolumeStatus, "VolumeStatus"),
	MSG(ImageVolumeStatus, "ImageVolumeStatus"),
	MSG(ContainerUser, "ContainerUser"),
	MSG(LinuxContainerUser, "LinuxContainerUser"),
	MSG(ResourceStatus, "ResourceStatus"),
	MSG(ResourceHealth, "ResourceHealth"),
	MSG(PodResourceClaimStatus, "PodResourceClaimStatus"),
	MSG(PodExtendedResourceClaimStatus, "PodExtendedResourceClaimStatus"),
	MSG(ContainerExtendedResourceRequest, "ContainerExtendedResourceRequest"),
	MSG(NodeAllocatableResourceClaimStatus, "NodeAllocatableResourceClaimStatus"),
	MSG(NodeAllocatableMappedResources, "NodeAllocatableMappedResources"),
	MSG(NodeAllocatableOverheadResources, "NodeAllocatableOverheadResources"),
	MSG(PodVolumeHealth, "PodVolumeHealth"),
	MSG(VolumeHealthCondition, "VolumeHealthCondition"),
	MSG(Node, "Node"),
	MSG(NodeSpec, "NodeSpec"),
	MSG(Taint, "Taint"),
	MSG(NodeConfigSource, "NodeConfigSource"),
	MSG(ConfigMapNodeConfigSource, "ConfigMapNodeConfigSource"),
	MSG(NodePodPreemptionPolicy, "NodePodPreemptionPolicy"),
	MSG(NodeStatus, "NodeStatus"),
	MSG(NodeCondition, "NodeCondition"),
	MSG(NodeAddress, "NodeAddress"),
	MSG(NodeDaemonEndpoints, "NodeDaemonEndpoints"),
	MSG(DaemonEndpoint, "DaemonEndpoint"),
	MSG(NodeSystemInfo, "NodeSystemInfo"),
	MSG(NodeSwapStatus, "NodeSwapStatus"),
	MSG(ContainerImage, "ContainerImage"),
	MSG(AttachedVolume, "AttachedVolume"),
	MSG(NodeConfigStatus, "NodeConfigStatus"),
	MSG(NodeRuntimeHandler, "NodeRuntimeHandler"),
	MSG(NodeRuntimeHandlerFeatures, "NodeRuntimeHandlerFeatures"),
	MSG(NodeFeatures, "NodeFeatures"),
	MSG(Event, "Event"),
	MSG(EventSource, "EventSource"),
	MSG(EventSeries, "EventSeries"),
	MSG(ConfigMap, "ConfigMap"),
	MSG(EndpointSlice, "EndpointSlice"),
	MSG(Endpoint, "Endpoint"),
	MSG(EndpointConditions, "EndpointConditions"),
	MSG(EndpointHints, "EndpointHints"),
	MSG(ForZone, "ForZone"),
	MSG(ForNode, "ForNode"),
	MSG(discovery_EndpointPort, "EndpointPort"),
	MSG(Deployment, "Deployment"),
	MSG(DeploymentSpec, "DeploymentSpec"),
	MSG(PodTemplateSpec, "PodTemplateSpec"),
	MSG(DeploymentStrategy, "DeploymentStrategy"),
	MSG(RollingUpdateDeployment, "RollingUpdateDeployment"),
	MSG(DeploymentStatus, "DeploymentStatus"),
	MSG(DeploymentCondition, "DeploymentCondition"),
	MSG(Lease, "Lease"),
	MSG(LeaseSpec, "LeaseSpec"),
	MSG(Scale, "Scale"),
	MSG(ScaleSpec, "ScaleSpec"),
	MSG(ScaleStatus, "ScaleStatus"),
	MSG(DeleteOptions, "DeleteOptions"),
	MSG(Preconditions, "Preconditions"),
};

static const pb_schema_t k8s_schema = { k8s_msgs, M__COUNT };

const pb_schema_t *pb_k8s_schema(void)
{
	return &k8s_schema;
}

/* The kinds a body may carry. Scale is what the scale subresource takes; DeleteOptions is registered in
 * every group version upstream (it travels with the group of the resource being deleted). */
static const struct pb_root {
	const char *api_version;
	const char *kind;
	unsigned msg;
} roots[] = {
	{ "v1", "Namespace", M_Namespace },
	{ "v1", "Service", M_Service },
	{ "v1", "Endpoints", M_Endpoints },
	{ "v1", "Pod", M_Pod },
	{ "v1", "Node", M_Node },
	{ "v1", "Event", M_Event },
	{ "v1", "ConfigMap", M_ConfigMap },
	{ "discovery.k8s.io/v1", "EndpointSlice", M_EndpointSlice },
	{ "apps/v1", "Deployment", M_Deployment },
	{ "coordination.k8s.io/v1", "Lease", M_Lease },
	{ "autoscaling/v1", "Scale", M_Scale },
};

static int find_root(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strcmp(roots[i].api_version, api_version) == 0 && strcmp(roots[i].kind, kind) == 0)
			return (int)roots[i].msg;
	if (strcmp(kind, "DeleteOptions") == 0) {
		if (strcmp(api_version, "meta.k8s.io/v1") == 0)
			return M_DeleteOptions;
		for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
			if (strcmp(roots[i].api_version, api_version) == 0)
				return M_DeleteOptions;
	}
	return -1;
}

bool pb_kind_supported(const char *api_version, const char *kind)
{
	return api_version && kind && find_root(api_version, kind) >= 0;
}

/* Only names made of these characters are quoted back in error messages. */
static bool printable_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '/' || s[i] == '-'))
			return false;
	return true;
}

static int set_err(char **ret_err, int err, const char *msg)
{
	if (ret_err)
		*ret_err = strdup(msg);
	return err;
}

/* A string field of the envelope into a fixed buffer; over-long or NUL-carrying strings are corrupt
 * (no real apiVersion or kind comes close to the buffer size). */
static void envelope_string(pb_cursor_t *c, char *buf, size_t size)
{
	const uint8_t *s;
	size_t n;

	pb_read_len(c, &s, &n);
	if (c->why)
		return;
	if (n >= size || memchr(s, '\0', n)) {
		pb_cursor_fail(c, "over-long or NUL-carrying string in the envelope");
		return;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
}

int pb_decode_object(const uint8_t *body, size_t len, json_t **ret, char **ret_err)
{
	static const uint8_t magic[4] = { 'k', '8', 's', 0 };
	char api_version[256] = "", kind[256] = "", encoding[256] = "", content_type[256] = "";
	const uint8_t *raw = NULL;
	size_t raw_len = 0;
	pb_cursor_t c;
	uint32_t num;
	unsigned wire;
	json_t *obj;
	int root, r;

	if (len > PB_MAX_BODY)
		return set_err(ret_err, -E2BIG, "the request body is too large");
	/* Upstream's protobuf serializer starts every body with this prefix, then a runtime.Unknown. */
	if (!body || len < sizeof(magic) || memcmp(body, magic, sizeof(magic)) != 0)
		return set_err(ret_err, -EINVAL, "invalid protobuf body: the \"k8s\\0\" prefix is missing");

	/* runtime.Unknown: typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4.
	 * Repeated fields follow protobuf: the last string wins, typeMeta occurrences merge. */
	pb_cursor_init(&c, body + sizeof(magic), len - sizeof(magic));
	while (pb_read_tag(&c, &num, &wire)) {
		if (num >= 1 && num <= 4 && wire != PB_WIRE_LEN) {
			pb_cursor_fail(&c, "wrong wire type in the envelope");
		} else if (num == 1) {
			const uint8_t *tm;
			size_t tm_len;
			pb_cursor_t t;
			uint32_t tn;
			unsigned tw;

			pb_read_len(&c, &tm, &tm_len);
			pb_cursor_init(&t, tm, tm_len);
			while (pb_read_tag(&t, &tn, &tw)) {
				if ((tn == 1 || tn == 2) && tw != PB_WIRE_LEN)
					pb_cursor_fail(&t, "wrong wire type in the envelope");
				else if (tn == 1)
					envelope_string(&t, api_version, sizeof(api_version));
				else if (tn == 2)
					envelope_string(&t, kind, sizeof(kind));
				else
					pb_skip(&t, tw);
			}
			if (t.why)
				pb_cursor_fail(&c, t.why);
		} else if (num == 2) {
			pb_read_len(&c, &raw, &raw_len);
		} else if (num == 3) {
			envelope_string(&c, encoding, sizeof(encoding));
		} else if (num == 4) {
			envelope_string(&c, content_type, sizeof(content_type));
		} else {
			pb_skip(&c, wire);
		}
	}
	if (c.why) {
		char msg[160];
		snprintf(msg, sizeof(msg), "invalid protobuf body: %s", c.why);
		return set_err(ret_err, -EINVAL, msg);
	}
	if (kind[0] == '\0' || api_version[0] == '\0')
		return set_err(ret_err, -EINVAL, "invalid protobuf body: Object 'Kind' or 'apiVersion' is missing");
	/* Kubernetes clients never set these; a compressed or foreign payload is not ours to guess at. */
	if (encoding[0] != '\0')
		return set_err(ret_err, -ENOTSUP, "protobuf bodies with a contentEncoding are not supported");
	if (content_type[0] != '\0' && strcmp(content_type, PB_CONTENT_TYPE) != 0)
		return set_err(ret_err, -ENOTSUP, "protobuf envelope with an unsupported contentType");

	root = find_root(api_version, kind);
	if (root < 0) {
		char msg[200];
		if (printable_name(kind) && printable_name(api_version))
			snprintf(msg, sizeof(msg), "no protobuf decoding for kind \"%.63s\" in version \"%.63s\"", kind,
				 api_version);
		else
			snprintf(msg, sizeof(msg), "no protobuf decoding for the kind in this body");
		return set_err(ret_err, -ENOTSUP, msg);
	}

	/* kind then apiVersion first, in the order Go's TypeMeta marshals them. */
	obj = json_object();
	if (!obj || json_object_set_new(obj, "kind", json_string(kind)) < 0 ||
	    json_object_set_new(obj, "apiVersion", json_string(api_version)) < 0) {
		json_decref(obj);
		return set_err(ret_err, -ENOMEM, "out of memory");
	}
	r = pb_decode_message(&k8s_schema, (unsigned)root, raw, raw_len, obj, ret_err);
	if (r < 0) {
		json_decref(obj);
		return r;
	}
	*ret = obj;
	return 0;
}
