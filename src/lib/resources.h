/* The resource registry: every kind Portico serves, with the facts discovery, REST routing,
 * tables and OpenAPI need (names as kube-apiserver reports them). Pure data, no I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

typedef struct k8s_resource {
	const char *group;          /* "" for the core group */
	const char *version;        /* "v1" */
	const char *kind;           /* "Service" */
	const char *plural;         /* "services": the URL segment */
	const char *singular;       /* "service" */
	const char *short_names[3]; /* NULL-terminated */
	const char *category;       /* "all" or NULL */
	bool namespaced;
	bool has_status;            /* a status subresource */
	bool has_scale;             /* a scale subresource (autoscaling/v1 Scale) */
	bool has_log;               /* pods/log: get only, proxied to the node's agent (api/podlog.c) */
} k8s_resource_t;

extern const k8s_resource_t k8s_resources[];
extern const size_t k8s_resources_n;

/* Looks a resource up by group, version and plural; NULL when not served. */
const k8s_resource_t *k8s_resource_find(const char *group, const char *version, const char *plural);
/* Looks a resource up by kind (and group, "" for core); NULL when not served. */
const k8s_resource_t *k8s_resource_by_kind(const char *group, const char *kind);
/* "v1" or "apps/v1": the apiVersion string of a resource, in a static buffer per resource. */
const char *k8s_resource_api_version(const k8s_resource_t *r);
