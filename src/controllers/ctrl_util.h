/* Small helpers shared by the controllers: reading object metadata, times as the API writes them,
 * owner references, pod conditions, and core/v1 Events (client-go's record.EventRecorder, without
 * its aggregation). Pure except ctrl_event_emit(), which sends one request. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "client/kclient.h"

/* metadata.<k> of o as a string, borrowed; NULL when absent. */
const char *ctrl_meta(const json_t *o, const char *k);
/* o.<k> as a string, borrowed; NULL when absent. */
const char *ctrl_str(const json_t *o, const char *k);
/* A resourceVersion as a number; -1 when empty or not numeric. */
long long ctrl_rv_num(const char *s);

/* RFC 3339 in UTC with seconds ("2006-01-02T15:04:05Z", metav1.Time) into buf (>= 21 bytes). */
void ctrl_time_format(time_t t, char *buf, size_t len);
/* Parses metav1.Time or MicroTime ("...:05Z", "...:05.123456Z"); fractions are dropped.
 * -EINVAL when s is NULL or malformed. */
int ctrl_time_parse(const char *s, time_t *ret);

/* The ownerReference of obj with controller: true, borrowed; NULL when none. */
const json_t *ctrl_controller_ref(const json_t *obj);
/* True when obj has an ownerReference with that uid. */
bool ctrl_owned_by(const json_t *obj, const char *uid);

/* The pod's status condition of type, borrowed; NULL when absent. */
const json_t *ctrl_pod_condition(const json_t *pod, const char *type);
/* True when the pod counts as active for a controller (controller.IsPodActive): not Succeeded or
 * Failed and no deletionTimestamp. */
bool ctrl_pod_active(const json_t *pod);

/* A core/v1 Event about obj (which must carry metadata.name, and namespace unless cluster-scoped),
 * fire and forget: kind/api_version name the object, type "Normal" or "Warning", reason and message
 * as upstream's recorder writes them, component the source (e.g. "deployment-controller"). Cluster-
 * scoped objects get their events in "default", as upstream. 0 or -ENOMEM / -EINVAL. */
int ctrl_event_emit(kclient_t *c, const json_t *obj, const char *api_version, const char *kind, const char *type,
		    const char *reason, const char *message, const char *component);
