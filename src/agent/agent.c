/* The agent's three loops on one event loop (see agent.h): registration until the Node exists, the
 * Lease renewal (PUT of the Lease we last saw, so a lost write conflicts instead of overwriting;
 * GET or POST when we have none), and the status sync (GET the Node, compute the status, and write
 * it with a merge patch of status only when it changed or AGENT_STATUS_REPORT_SEC passed, as the
 * kubelet since node leases). Each loop has at most one request in flight; a tick that finds one
 * waits for the next. */
#include "agent/agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "client/leader.h"
#include "core/log.h"

#define AGENT_REG_BACKOFF_MIN_MS 100
#define AGENT_REG_BACKOFF_MAX_MS 7000
#define AGENT_NSTR 11

struct agent {
	kclient_t *c;
	agent_node_info_t info;
	char *strs[AGENT_NSTR]; /* owned copies of info's strings */
	struct event *reg_timer, *lease_timer, *status_timer;
	kclient_req_t *reg_req, *lease_req, *status_req;
	bool registered;
	bool lease_reread; /* this round already re-read the Lease after a conflict */
	int reg_backoff_ms;
	long long last_report; /* monotonic seconds of the last status write; 0: never */
	char uid[128];
	json_t *lease; /* the Lease as last written or read (its resourceVersion with it); NULL: none */
	char node_path[320], status_path[340], lease_path[360];
};

static long long mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/* metav1.Time: RFC 3339 in UTC, whole seconds. */
static void time_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void set_uid(agent_t *a, const json_t *node)
{
	const char *uid = json_string_value(json_object_get(json_object_get(node, "metadata"), "uid"));

	if (uid && strlen(uid) < sizeof(a->uid))
		snprintf(a->uid, sizeof(a->uid), "%s", uid);
}

/* ---- registration ------------------------------------------------------------------------------- */

static void start_loops(agent_t *a);

static void reg_retry(agent_t *a)
{
	struct timeval tv;

	a->reg_backoff_ms = a->reg_backoff_ms ? a->reg_backoff_ms * 2 : AGENT_REG_BACKOFF_MIN_MS;
	if (a->reg_backoff_ms > AGENT_REG_BACKOFF_MAX_MS)
		a->reg_backoff_ms = AGENT_REG_BACKOFF_MAX_MS;
	tv.tv_sec = a->reg_backoff_ms / 1000;
	tv.tv_usec = (a->reg_backoff_ms % 1000) * 1000;
	evtimer_add(a->reg_timer, &tv);
}

static void registered(agent_t *a, const json_t *node, bool created)
{
	set_uid(a, node);
	a->registered = true;
	a->reg_backoff_ms = 0;
	log_info("agent: node %s %s", a->info.name, created ? "registered" : "already registered; taking it over");
	start_loops(a);
}

static void on_reg_annotated(int status, json_t *body, void *arg)
{
	agent_t *a = arg;

	a->reg_req = NULL;
	if (status == 200) {
		registered(a, body, false);
		return;
	}
	log_warn("agent: annotating node %s: status %d", a->info.name, status);
	reg_retry(a);
}

static void on_reg_get(int status, json_t *body, void *arg)
{
	agent_t *a = arg;
	const char *pin;
	json_t *patch;

	a->reg_req = NULL;
	pin = json_string_value(json_object_get(json_object_get(json_object_get(body, "metadata"), "annotations"),
						AGENT_CERT_ANNOTATION));
	if (status == 200 && a->info.cert_sha256 && (!pin || strcmp(pin, a->info.cert_sha256) != 0)) {
		/* an earlier life had another log-server certificate (a new data dir): the API server
		 * pins the one we serve now. Metadata, so not through the status subresource. */
		patch = json_pack("{s:{s:{s:s}}}", "metadata", "annotations", AGENT_CERT_ANNOTATION, a->info.cert_sha256);
		if (!patch || kclient_request(a->c, "PATCH", a->node_path, patch, "application/merge-patch+json",
					      on_reg_annotated, a, &a->reg_req) < 0) {
			a->reg_req = NULL;
			reg_retry(a);
		}
		json_decref(patch);
		return;
	}
	if (status == 200) {
		registered(a, body, false);
		return;
	}
	log_warn("agent: reading node %s: status %d", a->info.name, status);
	reg_retry(a);
}

static void on_reg_post(int status, json_t *body, void *arg)
{
	agent_t *a = arg;

	a->reg_req = NULL;
	if (status == 201 || status == 200) {
		registered(a, body, true);
	} else if (status == 409) {
		/* it exists (an earlier life of this agent): take it over, as the kubelet does */
		if (kclient_request(a->c, "GET", a->node_path, NULL, NULL, on_reg_get, a, &a->reg_req) < 0) {
			a->reg_req = NULL;
			reg_retry(a);
		}
	} else {
		log_warn("agent: registering node %s: status %d; retrying", a->info.name, status);
		reg_retry(a);
	}
}

static void on_reg_timer(evutil_socket_t fd, short what, void *arg)
{
	agent_t *a = arg;
	char now[32];
	json_t *node;

	if (a->registered || a->reg_req)
		return;
	time_now(now, sizeof(now));
	node = agent_node_new(&a->info, now);
	if (!node || kclient_request(a->c, "POST", "/api/v1/nodes", node, NULL, on_reg_post, a, &a->reg_req) < 0) {
		a->reg_req = NULL;
		reg_retry(a);
	}
	json_decref(node);
}

/* The Node is gone (deleted by someone): register it again. */
static void lost_node(agent_t *a)
{
	struct timeval now = { 0, 0 };

	if (!a->registered)
		return;
	log_warn("agent: node %s is gone; registering again", a->info.name);
	a->registered = false;
	a->uid[0] = '\0';
	a->last_report = 0;
	json_decref(a->lease);
	a->lease = NULL;
	evtimer_add(a->reg_timer, &now);
}

/* ---- the node lease ----------------------------------------------------------------------------- */

static void lease_get(agent_t *a);

static void on_lease_written(int status, json_t *body, void *arg)
{
	agent_t *a = arg;
	bool was_update = a->lease != NULL;

	a->lease_req = NULL;
	json_decref(a->lease);
	a->lease = NULL;
	if ((status == 200 || status == 201) && body) {
		a->lease = json_deep_copy(body);
		return;
	}
	log_warn("agent: renewing lease %s/%s: status %d", AGENT_LEASE_NS, a->info.name, status);
	/* someone else wrote it since we read it: read it again now, once a round */
	if (status == 409 && was_update && !a->lease_reread) {
		a->lease_reread = true;
		lease_get(a);
	}
}

static void lease_write(agent_t *a, const json_t *current)
{
	char now[40];
	json_t *want = NULL, *md;
	const char *rv;
	int rc;

	leader_micro_time(now, sizeof(now));
	want = agent_lease_new(a->info.name, a->uid, now);
	if (!want)
		return;
	if (current) {
		/* renew: our fields over the stored Lease, its resourceVersion kept (an optimistic write) */
		md = json_object_get(current, "metadata");
		rv = json_string_value(json_object_get(md, "resourceVersion"));
		if (rv)
			json_object_set_new(json_object_get(want, "metadata"), "resourceVersion", json_string(rv));
		if (!*a->uid && json_object_get(md, "ownerReferences"))
			json_object_set(json_object_get(want, "metadata"), "ownerReferences",
					json_object_get(md, "ownerReferences"));
		rc = kclient_request(a->c, "PUT", a->lease_path, want, NULL, on_lease_written, a, &a->lease_req);
	} else {
		rc = kclient_request(a->c, "POST", "/apis/coordination.k8s.io/v1/namespaces/" AGENT_LEASE_NS "/leases",
				     want, NULL, on_lease_written, a, &a->lease_req);
	}
	if (rc < 0)
		a->lease_req = NULL;
	json_decref(want);
}

static void on_lease_get(int status, json_t *body, void *arg)
{
	agent_t *a = arg;

	a->lease_req = NULL;
	if (status == 200 && body) {
		json_decref(a->lease);
		a->lease = json_deep_copy(body);
		lease_write(a, a->lease);
	} else if (status == 404) {
		lease_write(a, NULL);
	} else {
		log_warn("agent: reading lease %s/%s: status %d", AGENT_LEASE_NS, a->info.name, status);
	}
}

static void lease_get(agent_t *a)
{
	if (kclient_request(a->c, "GET", a->lease_path, NULL, NULL, on_lease_get, a, &a->lease_req) < 0)
		a->lease_req = NULL;
}

static void on_lease_timer(evutil_socket_t fd, short what, void *arg)
{
	agent_t *a = arg;
	struct timeval next = { AGENT_RENEW_SEC, 0 };

	evtimer_add(a->lease_timer, &next);
	if (!a->registered || a->lease_req)
		return;
	a->lease_reread = false;
	if (a->lease)
		lease_write(a, a->lease);
	else
		lease_get(a);
}

/* ---- node status -------------------------------------------------------------------------------- */

static void on_status_written(int status, json_t *body, void *arg)
{
	agent_t *a = arg;

	a->status_req = NULL;
	if (status == 200) {
		a->last_report = mono_sec();
		set_uid(a, body);
	} else if (status == 404) {
		lost_node(a);
	} else {
		log_warn("agent: writing status of node %s: status %d", a->info.name, status);
	}
}

static void on_status_get(int status, json_t *body, void *arg)
{
	agent_t *a = arg;
	const json_t *old = json_object_get(body, "status");
	json_t *want = NULL, *patch = NULL;
	char now[32];
	bool due;

	a->status_req = NULL;
	if (status == 404) {
		lost_node(a);
		return;
	}
	if (status != 200 || !body) {
		log_warn("agent: reading node %s: status %d", a->info.name, status);
		return;
	}
	set_uid(a, body);
	time_now(now, sizeof(now));
	want = agent_node_status(&a->info, old, now);
	if (!want)
		return;
	due = !a->last_report || mono_sec() - a->last_report >= AGENT_STATUS_REPORT_SEC;
	if (due || agent_node_status_changed(old, want)) {
		/* a merge patch of status only: it cannot undo what the node IPAM wrote in spec, and
		 * needs no resourceVersion (the kubelet patches its status the same way) */
		patch = json_pack("{s:O}", "status", want);
		if (!patch || kclient_request(a->c, "PATCH", a->status_path, patch, "application/merge-patch+json",
					      on_status_written, a, &a->status_req) < 0)
			a->status_req = NULL;
	}
	json_decref(patch);
	json_decref(want);
}

static void on_status_timer(evutil_socket_t fd, short what, void *arg)
{
	agent_t *a = arg;
	struct timeval next = { AGENT_STATUS_SYNC_SEC, 0 };

	evtimer_add(a->status_timer, &next);
	if (!a->registered || a->status_req)
		return;
	if (kclient_request(a->c, "GET", a->node_path, NULL, NULL, on_status_get, a, &a->status_req) < 0)
		a->status_req = NULL;
}

static void start_loops(agent_t *a)
{
	struct timeval now = { 0, 0 };

	/* a first round at once: the Lease makes the node live for the node lifecycle controller */
	evtimer_add(a->lease_timer, &now);
	evtimer_add(a->status_timer, &now);
}

/* ---- life cycle --------------------------------------------------------------------------------- */

static int dup_str(agent_t *a, int slot, const char *s, const char **ret)
{
	if (!s) {
		*ret = NULL;
		return 0;
	}
	a->strs[slot] = strdup(s);
	if (!a->strs[slot])
		return -ENOMEM;
	*ret = a->strs[slot];
	return 0;
}

int agent_new(kclient_t *c, const agent_node_info_t *info, agent_t **ret)
{
	agent_t *a;
	char *esc = NULL;
	struct timeval now = { 0, 0 };
	int rc = -ENOMEM;

	if (!info || !info->name || !*info->name || !info->ip || !*info->ip)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->c = c;
	a->info = *info;
	if (dup_str(a, 0, info->name, &a->info.name) < 0 || dup_str(a, 1, info->ip, &a->info.ip) < 0 ||
	    dup_str(a, 2, info->hostname, &a->info.hostname) < 0 || dup_str(a, 3, info->arch, &a->info.arch) < 0 ||
	    dup_str(a, 4, info->kernel, &a->info.kernel) < 0 || dup_str(a, 5, info->os_image, &a->info.os_image) < 0 ||
	    dup_str(a, 6, info->machine_id, &a->info.machine_id) < 0 ||
	    dup_str(a, 7, info->boot_id, &a->info.boot_id) < 0 || dup_str(a, 8, info->version, &a->info.version) < 0 ||
	    dup_str(a, 9, info->runtime, &a->info.runtime) < 0 ||
	    dup_str(a, 10, info->cert_sha256, &a->info.cert_sha256) < 0)
		goto fail;
	esc = kclient_query_escape(info->name);
	if (!esc || strlen(esc) > 253)
		goto fail_inval;
	snprintf(a->node_path, sizeof(a->node_path), "/api/v1/nodes/%s", esc);
	snprintf(a->status_path, sizeof(a->status_path), "/api/v1/nodes/%s/status", esc);
	snprintf(a->lease_path, sizeof(a->lease_path),
		 "/apis/coordination.k8s.io/v1/namespaces/" AGENT_LEASE_NS "/leases/%s", esc);
	free(esc);
	esc = NULL;
	a->reg_timer = evtimer_new(kclient_base(c), on_reg_timer, a);
	a->lease_timer = evtimer_new(kclient_base(c), on_lease_timer, a);
	a->status_timer = evtimer_new(kclient_base(c), on_status_timer, a);
	if (!a->reg_timer || !a->lease_timer || !a->status_timer)
		goto fail;
	evtimer_add(a->reg_timer, &now);
	*ret = a;
	return 0;
fail_inval:
	rc = esc ? -EINVAL : -ENOMEM;
fail:
	free(esc);
	agent_free(a);
	return rc;
}

void agent_free(agent_t *a)
{
	if (!a)
		return;
	kclient_cancel(a->reg_req);
	kclient_cancel(a->lease_req);
	kclient_cancel(a->status_req);
	if (a->reg_timer)
		event_free(a->reg_timer);
	if (a->lease_timer)
		event_free(a->lease_timer);
	if (a->status_timer)
		event_free(a->status_timer);
	json_decref(a->lease);
	for (int i = 0; i < AGENT_NSTR; i++)
		free(a->strs[i]);
	free(a);
}

bool agent_registered(const agent_t *a)
{
	return a && a->registered;
}
