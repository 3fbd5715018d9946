/* Rollout arithmetic and status of a Deployment that owns its Pods directly (see deploy_logic.h).
 * The shape follows upstream's sync: a template change makes a new "ReplicaSet" (the Pods of the new
 * template hash); RollingUpdate grows it within maxSurge, and once it has not grown this round,
 * shrinks the old ones within maxUnavailable, unhealthy Pods first (rolling.go, issue 16737). */
#include "controllers/deploy_logic.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/ctrl_util.h"

#define COND_AVAILABLE   "Available"
#define COND_PROGRESSING "Progressing"

/* ---- hashing ---- */

void deploy_template_hash(const json_t *tmpl, long long collision_count, char *buf, size_t len)
{
	/* rand.SafeEncodeString's alphabet: no vowels, no 0/1/3, so no words and no look-alikes */
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	char *s = json_dumps(tmpl, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	uint32_t h = 2166136261u;
	char dec[16];
	size_t i, n;

	for (const char *p = s ? s : ""; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 16777619u;
	}
	free(s);
	if (collision_count >= 0) {
		uint32_t cc = (uint32_t)collision_count;
		for (i = 0; i < 4; i++) {
			h ^= (cc >> (8 * i)) & 0xff;
			h *= 16777619u;
		}
	}
	n = (size_t)snprintf(dec, sizeof(dec), "%u", h);
	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = alnum[(unsigned char)dec[i] % (sizeof(alnum) - 1)];
	if (len)
		buf[i < len ? i : len - 1] = '\0';
}

/* ---- intstr and fenceposts ---- */

int deploy_scaled_value(const json_t *v, int total, bool round_up, int *ret)
{
	const char *s;
	char *end;
	long pct;

	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 0 || n > INT_MAX)
			return -EINVAL;
		*ret = (int)n;
		return 0;
	}
	s = json_string_value(v);
	if (!s || !*s || s[strlen(s) - 1] != '%')
		return -EINVAL;
	errno = 0;
	pct = strtol(s, &end, 10);
	if (errno || end != s + strlen(s) - 1 || pct < 0 || pct > 100000)
		return -EINVAL;
	if (round_up)
		*ret = (int)(((long long)pct * total + 99) / 100);
	else
		*ret = (int)((long long)pct * total / 100);
	return 0;
}

int deploy_fenceposts(const json_t *deploy, int replicas, int *ret_surge, int *ret_unavailable)
{
	const json_t *st = json_object_get(json_object_get(deploy, "spec"), "strategy");
	const json_t *ru = json_object_get(st, "rollingUpdate");
	const char *type = ctrl_str(st, "type");
	const json_t *ms = json_object_get(ru, "maxSurge"), *mu = json_object_get(ru, "maxUnavailable");
	json_t *def = json_string("25%");
	int surge, unav, rc;

	if (type && strcmp(type, "Recreate") == 0) {
		json_decref(def);
		*ret_surge = 0;
		*ret_unavailable = 0;
		return 0;
	}
	rc = deploy_scaled_value(ms ? ms : def, replicas, true, &surge);
	if (rc == 0)
		rc = deploy_scaled_value(mu ? mu : def, replicas, false, &unav);
	json_decref(def);
	if (rc < 0)
		return rc;
	if (surge == 0 && unav == 0)
		unav = 1; /* a rollout must be able to move */
	*ret_surge = surge;
	*ret_unavailable = unav;
	return 0;
}

/* ---- pods ---- */

static bool pod_ready(const json_t *pod)
{
	const char *s = ctrl_str(ctrl_pod_condition(pod, "Ready"), "status");

	return s && strcmp(s, "True") == 0;
}

bool deploy_pod_available(const json_t *pod, int min_ready_sec, time_t now, long *ret_wait)
{
	const json_t *c = ctrl_pod_condition(pod, "Ready");
	time_t since;

	if (!pod_ready(pod))
		return false;
	if (min_ready_sec <= 0)
		return true;
	if (ctrl_time_parse(ctrl_str(c, "lastTransitionTime"), &since) < 0)
		return true; /* no time to go by: upstream treats a zero time as long ago */
	if (since + min_ready_sec <= now)
		return true;
	if (ret_wait)
		*ret_wait = (long)(since + min_ready_sec - now);
	return false;
}

typedef struct rank_key {
	json_t *pod;
	bool assigned, ready;
	int phase, restarts;
	time_t ready_since, created;
	const char *name;
} rank_key_t;

static int cmp_rank(const void *pa, const void *pb)
{
	const rank_key_t *a = pa, *b = pb;

	if (a->assigned != b->assigned)
		return a->assigned ? 1 : -1;
	if (a->phase != b->phase)
		return a->phase < b->phase ? -1 : 1;
	if (a->ready != b->ready)
		return a->ready ? 1 : -1;
	if (a->ready && a->ready_since != b->ready_since)
		return a->ready_since > b->ready_since ? -1 : 1;
	if (a->restarts != b->restarts)
		return a->restarts > b->restarts ? -1 : 1;
	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	return strcmp(a->name, b->name);
}

void deploy_pods_rank(json_t *pods)
{
	size_t n = json_array_size(pods), i, j;
	rank_key_t *k;
	json_t *p, *cs;

	if (n < 2 || !(k = calloc(n, sizeof(*k))))
		return;
	json_array_foreach(pods, i, p) {
		const char *node = ctrl_str(json_object_get(p, "spec"), "nodeName");
		const char *phase = ctrl_str(json_object_get(p, "status"), "phase");
		k[i].pod = json_incref(p);
		k[i].assigned = node && *node;
		/* podPhaseToOrdinal: Pending 0, Unknown 1, Running 2, the rest 0 */
		k[i].phase = !phase ? 0 : strcmp(phase, "Unknown") == 0 ? 1 : strcmp(phase, "Running") == 0 ? 2 : 0;
		k[i].ready = pod_ready(p);
		if (ctrl_time_parse(ctrl_str(ctrl_pod_condition(p, "Ready"), "lastTransitionTime"), &k[i].ready_since) < 0)
			k[i].ready_since = 0;
		if (ctrl_time_parse(ctrl_meta(p, "creationTimestamp"), &k[i].created) < 0)
			k[i].created = 0;
		k[i].name = ctrl_meta(p, "name") ? ctrl_meta(p, "name") : "";
		json_array_foreach(json_object_get(json_object_get(p, "status"), "containerStatuses"), j, cs) {
			json_int_t rc = json_integer_value(json_object_get(cs, "restartCount"));
			if (rc > k[i].restarts && rc < INT_MAX)
				k[i].restarts = (int)rc;
		}
	}
	qsort(k, n, sizeof(*k), cmp_rank);
	for (i = 0; i < n; i++)
		json_array_set_new(pods, i, k[i].pod); /* hands our reference back */
	free(k);
}

/* ---- grouping ---- */

typedef struct group {
	const char *hash;
	json_t *pods;   /* active pods, ranked for removal */
	int available;
	time_t oldest;  /* creation of its first pod: stands in for the ReplicaSet's creationTimestamp */
} group_t;

static int cmp_group_age(const void *pa, const void *pb)
{
	const group_t *a = pa, *b = pb;

	if (a->oldest != b->oldest)
		return a->oldest < b->oldest ? -1 : 1;
	return strcmp(a->hash, b->hash);
}

/* ---- conditions ---- */

static json_t *cond_find(json_t *conds, const char *type)
{
	size_t i;
	json_t *c;

	json_array_foreach(conds, i, c)
		if (ctrl_str(c, "type") && strcmp(ctrl_str(c, "type"), type) == 0)
			return c;
	return NULL;
}

/* SetDeploymentCondition: same status and reason leaves the condition alone unless refresh; a
 * status that does not change keeps its lastTransitionTime. */
static void cond_set(json_t *conds, const char *type, const char *status, const char *reason, const char *msg,
		     const char *now, bool refresh)
{
	json_t *cur = cond_find(conds, type), *c;
	const char *since = now;
	size_t i;

	if (cur && !refresh && strcmp(ctrl_str(cur, "status") ? ctrl_str(cur, "status") : "", status) == 0 &&
	    strcmp(ctrl_str(cur, "reason") ? ctrl_str(cur, "reason") : "", reason) == 0)
		return;
	if (cur && ctrl_str(cur, "lastTransitionTime") &&
	    strcmp(ctrl_str(cur, "status") ? ctrl_str(cur, "status") : "", status) == 0)
		since = ctrl_str(cur, "lastTransitionTime");
	c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status", status, "lastUpdateTime", now,
		      "lastTransitionTime", since, "reason", reason, "message", msg);
	if (!c)
		return;
	json_array_foreach(conds, i, cur) {
		if (ctrl_str(cur, "type") && strcmp(ctrl_str(cur, "type"), type) == 0) {
			json_array_set_new(conds, i, c);
			return;
		}
	}
	json_array_append_new(conds, c);
}

static json_int_t st_int(const json_t *st, const char *k)
{
	return json_integer_value(json_object_get(st, k));
}

/* ---- the plan ---- */

static void take(json_t *from, size_t n, json_t *to)
{
	while (n-- > 0 && json_array_size(from) > 0) {
		json_array_append(to, json_array_get(from, 0));
		json_array_remove(from, 0);
	}
}

/* Moves up to n not-available pods of g to the removal list. */
static int take_unhealthy(group_t *g, int n, int min_ready, time_t now, json_t *to)
{
	int done = 0;
	size_t i = 0;

	while (done < n && i < json_array_size(g->pods)) {
		json_t *p = json_array_get(g->pods, i);
		if (deploy_pod_available(p, min_ready, now, NULL)) {
			i++;
			continue;
		}
		json_array_append(to, p);
		json_array_remove(g->pods, i);
		done++;
	}
	return done;
}

int deploy_plan(const json_t *deploy, const json_t *pods, time_t now, deploy_plan_t *ret)
{
	const json_t *spec = json_object_get(deploy, "spec"), *p, *old_st = json_object_get(deploy, "status");
	const char *name = ctrl_meta(deploy, "name"), *type = ctrl_str(json_object_get(spec, "strategy"), "type");
	const json_t *rv = json_object_get(spec, "replicas");
	int replicas = rv ? (int)json_integer_value(rv) : 1;
	int min_ready = (int)json_integer_value(json_object_get(spec, "minReadySeconds"));
	bool paused = json_is_true(json_object_get(spec, "paused"));
	bool recreate = type && strcmp(type, "Recreate") == 0;
	const json_t *pds = json_object_get(spec, "progressDeadlineSeconds");
	long deadline = json_is_integer(pds) ? (long)json_integer_value(pds) : -1;
	deploy_plan_t plan = { 0 };
	group_t *groups = NULL, *newg = NULL;
	size_t ngroups = 0, i, g;
	int surge, unav, n_new = 0, n_old = 0, avail_new = 0, avail_all = 0, ready_all = 0, lingering_old = 0;
	long min_wait = 0;
	json_t *st = NULL, *conds;
	char nowbuf[32], msg[400];
	int rc = -ENOMEM;

	if (!name || replicas < 0 || min_ready < 0 || !json_is_object(json_object_get(spec, "template")))
		return -EINVAL;
	if (deploy_fenceposts(deploy, replicas, &surge, &unav) < 0)
		return -EINVAL;
	ctrl_time_format(now, nowbuf, sizeof(nowbuf));
	deploy_template_hash(json_object_get(spec, "template"),
			     json_is_integer(json_object_get(old_st, "collisionCount"))
				     ? json_integer_value(json_object_get(old_st, "collisionCount"))
				     : -1,
			     plan.hash, sizeof(plan.hash));
	snprintf(plan.rs_name, sizeof(plan.rs_name), "%s-%s", name, plan.hash);
	plan.remove = json_array();
	groups = calloc(json_array_size(pods) + 1, sizeof(*groups));
	if (!plan.remove || !groups)
		goto out;

	/* group the active pods by template hash */
	json_array_foreach(pods, i, p) {
		const char *h = json_string_value(json_object_get(json_object_get(json_object_get(p, "metadata"), "labels"),
								  DEPLOY_HASH_LABEL));
		time_t created = 0;
		long wait = 0;
		if (!h)
			h = "";
		if (!ctrl_pod_active(p)) {
			const char *phase = ctrl_str(json_object_get(p, "status"), "phase");
			bool terminal = phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
			if (strcmp(h, plan.hash) != 0 && !terminal)
				lingering_old++;
			continue;
		}
		for (g = 0; g < ngroups && strcmp(groups[g].hash, h) != 0; g++)
			;
		if (g == ngroups) {
			groups[g].hash = h;
			groups[g].oldest = (time_t)INT64_MAX;
			if (!(groups[g].pods = json_array()))
				goto out;
			ngroups++;
		}
		json_array_append(groups[g].pods, (json_t *)p);
		ctrl_time_parse(ctrl_meta(p, "creationTimestamp"), &created);
		if (created < groups[g].oldest)
			groups[g].oldest = created;
		if (pod_ready(p))
			ready_all++;
		if (deploy_pod_available(p, min_ready, now, &wait)) {
			groups[g].available++;
			avail_all++;
		} else if (wait > 0 && (min_wait == 0 || wait < min_wait)) {
			min_wait = wait;
		}
	}
	qsort(groups, ngroups, sizeof(*groups), cmp_group_age);
	for (g = 0; g < ngroups; g++) {
		deploy_pods_rank(groups[g].pods);
		if (strcmp(groups[g].hash, plan.hash) == 0) {
			newg = &groups[g];
			n_new = (int)json_array_size(newg->pods);
			avail_new = newg->available;
		} else {
			n_old += (int)json_array_size(groups[g].pods);
		}
	}

	/* ---- scaling and rollout ---- */
	if (n_old == 0 || (paused && !recreate)) {
		/* nothing to roll (or paused: only a lone current set is scaled) */
		if (n_old == 0 && n_new < replicas)
			plan.create = replicas - n_new;
		else if (n_old == 0 && n_new > replicas)
			take(newg->pods, (size_t)(n_new - replicas), plan.remove);
	} else if (recreate) {
		/* Recreate: every old pod goes first; new ones only once none is left running */
		if (!paused)
			for (g = 0; g < ngroups; g++)
				if (&groups[g] != newg)
					take(groups[g].pods, json_array_size(groups[g].pods), plan.remove);
	} else {
		int total = n_new + n_old, max_total = replicas + surge, min_avail = replicas - unav, max_down;
		if (n_new > replicas) {
			take(newg->pods, (size_t)(n_new - replicas), plan.remove);
			total -= n_new - replicas;
		} else if (n_new < replicas && total < max_total) {
			plan.create = max_total - total < replicas - n_new ? max_total - total : replicas - n_new;
		}
		plan.scaled_up = plan.create > 0;
		/* reconcileOldReplicaSets: only when the new set did not grow this round */
		max_down = total - min_avail - ((newg ? (int)json_array_size(newg->pods) : 0) - avail_new);
		if (!plan.scaled_up && max_down > 0) {
			int cleaned = 0, scale_total, scaled = 0;
			for (g = 0; g < ngroups && cleaned < max_down; g++)
				if (&groups[g] != newg)
					cleaned += take_unhealthy(&groups[g], max_down - cleaned, min_ready, now, plan.remove);
			scale_total = avail_all - min_avail;
			for (g = 0; g < ngroups && scaled < scale_total; g++) {
				int k;
				if (&groups[g] == newg)
					continue;
				k = (int)json_array_size(groups[g].pods);
				if (k > scale_total - scaled)
					k = scale_total - scaled;
				take(groups[g].pods, (size_t)k, plan.remove);
				scaled += k;
			}
		}
	}
	if (recreate && !paused && n_old == 0 && lingering_old > 0)
		plan.create = 0; /* old pods still terminating: the new ones wait (recreate.go) */

	/* ---- status (calculateStatus, syncRolloutStatus) ---- */
	{
		int after = n_new + n_old + plan.create - (int)json_array_size(plan.remove);
		int unavailable = after - avail_all;
		const json_t *gen = json_object_get(json_object_get(deploy, "metadata"), "generation");
		st = json_pack("{s:I, s:i, s:i, s:i, s:i}", "observedGeneration", gen ? json_integer_value(gen) : 0,
			       "replicas", n_new + n_old, "updatedReplicas", n_new, "readyReplicas", ready_all,
			       "availableReplicas", avail_all);
		if (!st)
			goto out;
		if (unavailable > 0)
			json_object_set_new(st, "unavailableReplicas", json_integer(unavailable));
		if (json_object_get(old_st, "collisionCount"))
			json_object_set(st, "collisionCount", json_object_get(old_st, "collisionCount"));
		conds = json_deep_copy(json_object_get(old_st, "conditions"));
		if (!json_is_array(conds)) {
			json_decref(conds);
			conds = json_array();
		}
		if (!conds)
			goto out;
		json_object_set_new(st, "conditions", conds);
		if (avail_all >= replicas - unav)
			cond_set(conds, COND_AVAILABLE, "True", "MinimumReplicasAvailable", "Deployment has minimum availability.",
				 nowbuf, false);
		else
			cond_set(conds, COND_AVAILABLE, "False", "MinimumReplicasUnavailable",
				 "Deployment does not have minimum availability.", nowbuf, false);
		if (paused) {
			cond_set(conds, COND_PROGRESSING, "Unknown", "DeploymentPaused", "Deployment is paused", nowbuf, false);
		} else {
			json_t *cur = cond_find(conds, COND_PROGRESSING);
			const char *reason = cur ? ctrl_str(cur, "reason") : NULL;
			bool complete = n_new == replicas && n_new + n_old == replicas && avail_all == replicas;
			bool already = n_new + n_old == n_new && reason && strcmp(reason, "NewReplicaSetAvailable") == 0;
			bool progressing = n_new > st_int(old_st, "updatedReplicas") ||
					   n_old < st_int(old_st, "replicas") - st_int(old_st, "updatedReplicas") ||
					   ready_all > st_int(old_st, "readyReplicas") ||
					   avail_all > st_int(old_st, "availableReplicas");
			time_t last = 0;
			if (!cur || (n_new == 0 && plan.create > 0) || strcmp(reason ? reason : "", "DeploymentPaused") == 0) {
				/* a new "ReplicaSet" this round, or the first sync that finds one (sync.go) */
				bool created = n_new == 0 && plan.create > 0;
				snprintf(msg, sizeof(msg), created ? "Created new replica set \"%s\"" : "Found new replica set \"%s\"",
					 plan.rs_name);
				cond_set(conds, COND_PROGRESSING, "True", created ? "NewReplicaSetCreated" : "FoundNewReplicaSet",
					 msg, nowbuf, created);
				cur = cond_find(conds, COND_PROGRESSING);
				reason = ctrl_str(cur, "reason");
				/* just (re)set: the progress checks start from here next round */
				already = created;
			}
			if (!already && deadline >= 0) {
				if (complete) {
					snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has successfully progressed.", plan.rs_name);
					cond_set(conds, COND_PROGRESSING, "True", "NewReplicaSetAvailable", msg, nowbuf, false);
				} else if (progressing) {
					snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" is progressing.", plan.rs_name);
					cond_set(conds, COND_PROGRESSING, "True", "ReplicaSetUpdated", msg, nowbuf, true);
				} else if (reason && strcmp(reason, "NewReplicaSetAvailable") != 0 &&
					   ctrl_time_parse(ctrl_str(cur, "lastUpdateTime"), &last) == 0) {
					if (strcmp(reason, "ProgressDeadlineExceeded") == 0 || last + deadline < now) {
						snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has timed out progressing.",
							 plan.rs_name);
						cond_set(conds, COND_PROGRESSING, "False", "ProgressDeadlineExceeded", msg, nowbuf,
							 false);
					} else {
						plan.requeue_sec = (long)(last + deadline - now) + 1;
					}
				}
			}
		}
	}
	if (min_wait > 0 && (plan.requeue_sec == 0 || min_wait + 1 < plan.requeue_sec))
		plan.requeue_sec = min_wait + 1;
	plan.status = st;
	st = NULL;
	*ret = plan;
	memset(&plan, 0, sizeof(plan));
	rc = 0;
out:
	for (g = 0; groups && g < ngroups; g++)
		json_decref(groups[g].pods);
	free(groups);
	json_decref(st);
	deploy_plan_clear(&plan);
	return rc;
}

void deploy_plan_clear(deploy_plan_t *p)
{
	if (!p)
		return;
	json_decref(p->remove);
	json_decref(p->status);
	p->remove = p->status = NULL;
	p->create = 0;
}

/* Conditions compared without their timestamps' churn: a condition whose status, reason and message
 * are unchanged but whose lastUpdateTime moved is a real change only for Progressing (that is how
 * progress is recorded), so timestamps count too. Everything else compares as JSON. */
bool deploy_status_equal(const json_t *have, const json_t *want)
{
	return json_equal((json_t *)have, (json_t *)want);
}

json_t *deploy_pod_new(const json_t *deploy, const deploy_plan_t *plan)
{
	const json_t *tmpl = json_object_get(json_object_get(deploy, "spec"), "template");
	const json_t *tmeta = json_object_get(tmpl, "metadata");
	json_t *labels = json_deep_copy(json_object_get(tmeta, "labels")), *pod, *md;
	char gen[340];

	if (!json_is_object(labels)) {
		json_decref(labels);
		labels = json_object();
	}
	if (!labels)
		return NULL;
	json_object_set_new(labels, DEPLOY_HASH_LABEL, json_string(plan->hash));
	snprintf(gen, sizeof(gen), "%s-", plan->rs_name);
	pod = json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:[{s:s, s:s, s:s, s:s, s:b, s:b}]}, s:O}", "apiVersion", "v1",
			"kind", "Pod", "metadata", "generateName", gen, "namespace",
			ctrl_meta(deploy, "namespace") ? ctrl_meta(deploy, "namespace") : "default", "labels", labels,
			"ownerReferences", "apiVersion", "apps/v1", "kind", "Deployment", "name", ctrl_meta(deploy, "name"),
			"uid", ctrl_meta(deploy, "uid") ? ctrl_meta(deploy, "uid") : "", "controller", 1,
			"blockOwnerDeletion", 1, "spec", json_object_get(tmpl, "spec"));
	if (!pod)
		return NULL;
	md = json_object_get(pod, "metadata");
	if (json_is_object(json_object_get(tmeta, "annotations")))
		json_object_set(md, "annotations", json_object_get(tmeta, "annotations"));
	return pod;
}
