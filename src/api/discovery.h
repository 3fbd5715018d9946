/* API discovery documents, built from the resource registry (lib/resources.h): the legacy
 * APIVersions / APIGroupList / APIGroup / APIResourceList shapes and the aggregated
 * apidiscovery.k8s.io/v2 APIGroupDiscoveryList that kubectl 1.30+ asks for first. Pure JSON
 * builders: the HTTP layer picks the document from the path and Accept header and sets
 * Content-Type. Every function returns a new object the caller owns (json_decref), or NULL. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

/* The media type of an aggregated discovery reply; the client matches it exactly. */
extern const char DISCOVERY_AGGREGATED_CONTENT_TYPE[];

/* GET /api: {"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[...]}.
 * server_address is "host:port" as clients should reach us; NULL on ENOMEM or NULL address. */
json_t *discovery_legacy_api(const char *server_address);
/* GET /apis: APIGroupList of every served non-core group. */
json_t *discovery_legacy_apis(void);
/* GET /apis/<group>: APIGroup; NULL when the group is not served (a 404). */
json_t *discovery_group(const char *group);
/* GET /api/v1 (group "") or /apis/<group>/<version>: APIResourceList with the resources and
 * their "status"/"scale" subresources; NULL when that group-version is not served. */
json_t *discovery_resource_list(const char *group, const char *version);
/* GET /api (core=true: the one group named "") or /apis (the other groups) with
 * Accept: DISCOVERY_AGGREGATED_CONTENT_TYPE: an APIGroupDiscoveryList. */
json_t *discovery_aggregated(bool core);
