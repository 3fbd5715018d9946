/* Lease-based leader election (client-go tools/leaderelection/leaderelection.go, tryAcquireOrRenew):
 * GET the Lease; create it when absent; otherwise take it (or renew it) with a PUT carrying the
 * resourceVersion we read, unless another live holder has it. */
#include "client/leader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

struct leader {
	kclient_t *c;
	char *ns, *name, *identity, *path, *coll;
	int lease_sec, renew_deadline_sec, retry_sec;
	void (*on_started)(void *arg);
	void (*on_stopped)(void *arg);
	void *arg;
	bool leader;
	kclient_req_t *req;
	struct event *timer;
	char *obs_record;  /* the spec last observed, serialized */
	double obs_at;     /* when it was observed (monotonic s) */
	double renewed_at; /* last successful write of ours */
	json_t *lease;     /* the Lease as last written by us */
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void leader_micro_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char tmp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", tmp, ts.tv_nsec / 1000);
}

bool leader_is_leader(const leader_t *l)
{
	return l && l->leader;
}

static void set_leader(leader_t *l, bool on)
{
	if (l->leader == on)
		return;
	l->leader = on;
	if (on && l->on_started)
		l->on_started(l->arg);
	else if (!on && l->on_stopped)
		l->on_stopped(l->arg);
}

/* A failed round: a leader that has not renewed within the renew deadline stops leading. */
static void round_failed(leader_t *l)
{
	if (l->leader && mono_now() - l->renewed_at > l->renew_deadline_sec)
		set_leader(l, false);
}

static void observe(leader_t *l, const json_t *spec)
{
	char *rec = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);

	if (!rec)
		return;
	if (!l->obs_record || strcmp(rec, l->obs_record) != 0) {
		free(l->obs_record);
		l->obs_record = rec;
		l->obs_at = mono_now();
	} else {
		free(rec);
	}
}

static void on_write(int status, json_t *body, void *arg)
{
	leader_t *l = arg;

	l->req = NULL;
	if ((status == 200 || status == 201) && json_is_object(body)) {
		observe(l, json_object_get(body, "spec"));
		json_decref(l->lease);
		l->lease = json_incref(body);
		l->renewed_at = mono_now();
		set_leader(l, true);
		return;
	}
	/* 409: someone else wrote the Lease between our GET and PUT; next round sees it */
	round_failed(l);
}

static void on_get(int status, json_t *body, void *arg)
{
	leader_t *l = arg;
	char now[40];
	json_t *lease, *spec;
	const char *holder;
	int rc;

	l->req = NULL;
	leader_micro_time(now, sizeof(now));
	if (status == 404) {
		lease = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:i, s:s, s:s, s:i}}", "apiVersion",
				  "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name", l->name, "namespace",
				  l->ns, "spec", "holderIdentity", l->identity, "leaseDurationSeconds", l->lease_sec,
				  "acquireTime", now, "renewTime", now, "leaseTransitions", 0);
		if (!lease)
			return;
		rc = kclient_request(l->c, "POST", l->coll, lease, NULL, on_write, l, &l->req);
		json_decref(lease);
		if (rc < 0)
			l->req = NULL;
		return;
	}
	if (status != 200 || !json_is_object(body)) {
		round_failed(l);
		return;
	}
	spec = json_object_get(body, "spec");
	observe(l, spec ? spec : json_null());
	holder = json_string_value(json_object_get(spec, "holderIdentity"));
	if (holder && *holder && strcmp(holder, l->identity) != 0) {
		json_int_t dur = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
		if (dur <= 0)
			dur = l->lease_sec;
		if (l->obs_at + (double)dur > mono_now()) {
			/* held by a live candidate */
			if (l->leader)
				set_leader(l, false);
			return;
		}
	}
	lease = json_deep_copy(body);
	if (!lease)
		return;
	spec = json_object_get(lease, "spec");
	if (!json_is_object(spec)) {
		spec = json_object();
		json_object_set_new(lease, "spec", spec);
	}
	if (!holder || strcmp(holder, l->identity) != 0) {
		json_object_set_new(spec, "acquireTime", json_string(now));
		json_object_set_new(spec, "leaseTransitions",
				    json_integer(json_integer_value(json_object_get(spec, "leaseTransitions")) +
						 (holder && *holder ? 1 : 0)));
	}
	json_object_set_new(spec, "holderIdentity", json_string(l->identity));
	json_object_set_new(spec, "leaseDurationSeconds", json_integer(l->lease_sec));
	json_object_set_new(spec, "renewTime", json_string(now));
	rc = kclient_request(l->c, "PUT", l->path, lease, NULL, on_write, l, &l->req);
	json_decref(lease);
	if (rc < 0) {
		l->req = NULL;
		round_failed(l);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	leader_t *l = arg;
	struct timeval tv = { l->retry_sec, 0 };

	evtimer_add(l->timer, &tv);
	if (l->req) {
		/* the last round has not answered yet */
		round_failed(l);
		return;
	}
	if (kclient_request(l->c, "GET", l->path, NULL, NULL, on_get, l, &l->req) < 0)
		l->req = NULL;
}

int leader_new(kclient_t *c, const leader_config_t *cfg, leader_t **ret)
{
	leader_t *l;
	struct timeval now = { 0, 0 };

	if (!cfg->ns || !cfg->name || !cfg->identity || !*cfg->identity)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->c = c;
	l->lease_sec = cfg->lease_sec > 0 ? cfg->lease_sec : 15;
	l->renew_deadline_sec = cfg->renew_deadline_sec > 0 ? cfg->renew_deadline_sec : 10;
	l->retry_sec = cfg->retry_sec > 0 ? cfg->retry_sec : 2;
	l->on_started = cfg->on_started;
	l->on_stopped = cfg->on_stopped;
	l->arg = cfg->arg;
	l->ns = strdup(cfg->ns);
	l->name = strdup(cfg->name);
	l->identity = strdup(cfg->identity);
	if (asprintf(&l->coll, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", cfg->ns) < 0)
		l->coll = NULL;
	if (asprintf(&l->path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s", cfg->ns, cfg->name) < 0)
		l->path = NULL;
	l->timer = evtimer_new(kclient_base(c), on_timer, l);
	if (!l->ns || !l->name || !l->identity || !l->coll || !l->path || !l->timer) {
		leader_free(l);
		return -ENOMEM;
	}
	evtimer_add(l->timer, &now);
	*ret = l;
	return 0;
}

void leader_free(leader_t *l)
{
	if (!l)
		return;
	kclient_cancel(l->req);
	if (l->leader && l->lease) {
		/* ReleaseOnCancel: let the next candidate take over without waiting out the lease */
		json_t *spec = json_object_get(l->lease, "spec");
		char now[40];
		leader_micro_time(now, sizeof(now));
		if (json_is_object(spec)) {
			json_object_set_new(spec, "holderIdentity", json_string(""));
			json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
			json_object_set_new(spec, "renewTime", json_string(now));
			json_object_set_new(spec, "acquireTime", json_string(now));
			kclient_request(l->c, "PUT", l->path, l->lease, NULL, NULL, NULL, NULL);
		}
	}
	if (l->timer)
		event_free(l->timer);
	json_decref(l->lease);
	free(l->obs_record);
	free(l->ns);
	free(l->name);
	free(l->identity);
	free(l->coll);
	free(l->path);
	free(l);
}
