/* The Deployment controller's pure part (upstream pkg/controller/deployment: sync.go, rolling.go,
 * recreate.go, progress.go, util/deployment_util.go; and the ReplicaSet controller's pod ranking in
 * pkg/controller/controller_utils.go). Portico serves no ReplicaSets, so a Deployment owns its Pods
 * directly: the Pods of one template hash (label pod-template-hash) play the part of one ReplicaSet,
 * and that "ReplicaSet"'s replica count is the number of its active Pods. No I/O: inputs are borrowed
 * trees as the API serves them, outputs new trees. */
#pragma once
#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#define DEPLOY_HASH_LABEL "pod-template-hash"
#define DEPLOY_HASH_MAX   16

/* The template hash: FNV-1a (32 bit) over the template's canonical JSON (sorted keys, compact) and
 * collision_count (little endian, when >= 0), as decimal mapped through rand.SafeEncodeString's
 * alphabet (upstream hashes the Go struct dump instead, so the values differ from upstream's; they
 * are stable across Portico versions as long as the stored template is). buf >= DEPLOY_HASH_MAX. */
void deploy_template_hash(const json_t *tmpl, long long collision_count, char *buf, size_t len);

/* intstr.GetScaledValueFromIntOrPercent: an integer as is, "N%" of total rounded up or down.
 * -EINVAL for anything else (a malformed percentage, a negative number). */
int deploy_scaled_value(const json_t *v, int total, bool round_up, int *ret);

/* ResolveFenceposts: max surge (rounded up) and max unavailable (rounded down) for replicas; both 0
 * gives unavailable 1. For the Recreate strategy both are 0. -EINVAL for malformed values. */
int deploy_fenceposts(const json_t *deploy, int replicas, int *ret_surge, int *ret_unavailable);

/* Is the pod available (Ready for at least minReadySeconds as of now)? When it is Ready but not yet
 * available, *ret_wait (may be NULL) is the seconds left. */
bool deploy_pod_available(const json_t *pod, int min_ready_sec, time_t now, long *ret_wait);

/* Sorts pods (an array, in place) in the order a scale-down removes them: unassigned before
 * assigned, Pending before Unknown before Running, not ready before ready, ready for less time
 * before more, more restarts before fewer, newer before older (controller.ActivePods). */
void deploy_pods_rank(json_t *pods);

/* What one sync does. */
typedef struct deploy_plan {
	int create;         /* new Pods to create from the current template */
	json_t *remove;     /* array of Pods to delete (references to the inputs) */
	json_t *status;     /* the status the Deployment should have after this round */
	char hash[DEPLOY_HASH_MAX];
	char rs_name[320];  /* "<deploy>-<hash>", the name upstream's new ReplicaSet would have */
	bool scaled_up;     /* the new "ReplicaSet" grows this round */
	long requeue_sec;   /* > 0: sync again after this long (minReadySeconds, progress deadline) */
} deploy_plan_t;

/* Plans one sync of deploy. pods: array of the Pods whose controller ownerReference is this
 * Deployment (any state: inactive ones are ignored, terminating ones only hold back Recreate).
 * now: the clock for availability and the progress deadline. Returns 0 (free with
 * deploy_plan_clear()) or -ENOMEM / -EINVAL (plan untouched). */
int deploy_plan(const json_t *deploy, const json_t *pods, time_t now, deploy_plan_t *ret);
void deploy_plan_clear(deploy_plan_t *p);

/* True when the status write can be skipped: want says what have already does. */
bool deploy_status_equal(const json_t *have, const json_t *want);

/* A new Pod for the plan: generateName "<rs_name>-", the template's labels plus pod-template-hash,
 * its annotations and spec, and a controller ownerReference to deploy. New reference; NULL on ENOMEM. */
json_t *deploy_pod_new(const json_t *deploy, const deploy_plan_t *plan);
