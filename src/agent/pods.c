/* The pod loop (see pods.h). One worker per pod uid, driven by a work queue keyed by uid: informer
 * events, runtime changes and probe results queue the uid; a sync looks at the pod as it is now and
 * takes the next step (admit, sandbox, run, report, stop, tear down, final delete). At most one API
 * request per pod is in flight: the key stays "processing" until it is answered. */
#include "agent/pods.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent/pod_status.h"
#include "agent/podfiles.h"
#include "agent/podnet.h"
#include "agent/probe.h"
#include "client/workqueue.h"
#include "core/log.h"

#define PODS_PARALLEL       16
#define PODS_FORCE_GRACE    2  /* a Pod removed from the API without graceful deletion (kubelet minimum) */
#define PODS_DEFAULT_GRACE  30
#define PODS_NET_RETRY_SEC  5
#define PODS_UNHEALTHY_GAP  10 /* seconds between two Unhealthy events of one probe */
#define PODS_NCTR_MAX       64
#define PODS_SB_THREADS     4  /* sandboxes built at once (podnet is thread-safe; each is ~10-50 ms of
				* netlink and namespace work that would otherwise hold the loop) */
#define PODS_SB_PENDING     2  /* sync_pod: a sandbox is being built; its completion queues the pod */
#define PODS_EV_INFLIGHT    2    /* Event POSTs at once: they must not crowd out status writes */
#define PODS_EV_QUEUE_MAX   4096 /* Events waiting beyond this are dropped (the kubelet's broadcaster
				  * drops too when its channel is full) */
#define PODS_START_QUIET_MS 1000 /* a fresh start waits this long for the runtime's first report before
				  * writing a ContainerCreating status */

enum pw_state {
	PW_NEW,      /* not admitted or not started yet */
	PW_RUNNING,  /* handed to the runtime */
	PW_FINISHED, /* terminal phase reached (restartPolicy Never/OnFailure) or rejected: torn down */
	PW_STOPPING, /* deleted: runtime_pod_stop() in progress */
	PW_STOPPED,  /* every process exited: tear down, final status, final delete */
};

typedef struct ctr_state {
	struct pod_worker *pw;
	char name[128];
	char image[512];
	char cid[256];        /* containerID of the instance seen running; "" when none */
	char last_event[160]; /* reason/restartCount of the last waiting/terminated event */
	probe_worker_t *probe[3];
	double unhealthy_at[3];
} ctr_state_t;

typedef struct pod_worker {
	struct pod_worker *next;
	struct pods *m;
	char uid[64];
	json_t *pod;  /* last known object (kept after the API deleted it) */
	bool gone;    /* deleted from the API */
	bool admitted;
	enum pw_state state;
	podnet_sandbox_t sb;
	bool has_sb;
	char cfg_ctr[128], cfg_msg[512]; /* a CreateContainerConfigError */
	bool rejected;
	char reject_msg[512];
	json_t *status;        /* freshest status known to be stored */
	long long status_rv;   /* its resourceVersion */
	json_t *final_ctrs;    /* container statuses captured before the runtime's dir went */
	kclient_req_t *req;
	int stop_grace;
	bool final_sent;
	size_t nctr;
	ctr_state_t *ctrs;
	char sandbox_err[256];
	bool sb_pending; /* a sandbox job is with the threads */
	double sb_ms;    /* how long the last one took (debug log) */
	bool adopted; /* the next observation seeds container state silently */
	double quiet_until; /* after a fresh start: no ContainerCreating status before this (mono s) */
} pod_worker_t;

/* The Services of one namespace (svc_keep'd), for the variables of its pods. */
typedef struct ns_svcs {
	struct ns_svcs *next;
	char *ns;
	informer_t *inf;
} ns_svcs_t;

/* A sandbox to build off the loop. */
typedef struct sb_job {
	struct sb_job *next;
	char uid[64];
	podnet_sandbox_t sb;
	int rc;
	double ms;
} sb_job_t;

struct pods {
	struct event_base *base;
	kclient_t *c;
	char *node_name, *node_ip, *data_dir, *cluster_cidr, *service_cidr, *cluster_dns, *cluster_domain, *exe;
	informer_t *pods, *nodes;
	struct ns_svcs *ns_svcs; /* Services of the namespaces with pods here (and default, always) */
	runtime_t *rt;
	podnet_t *net;
	char pod_cidr[64];
	workqueue_t *q;
	pod_worker_t *workers;
	struct event *net_timer, *sync_timer;
	bool collected;
	unsigned net_failures;
	/* the sandbox threads: jobs in, results out through an eventfd the loop watches */
	pthread_t sb_threads[PODS_SB_THREADS];
	int nsb_threads;
	pthread_mutex_t sb_mu;
	pthread_cond_t sb_cv;
	sb_job_t *sb_todo, *sb_done;
	bool sb_stop;
	int sb_efd;
	struct event *sb_ev;
	char routes_sig[4096];
	/* Events go out after the status writes of the same loop turn, PODS_EV_INFLIGHT at a time: a
	 * pod's Ready should not wait behind its Pulled/Created/Started. */
	struct ev_item *ev_head, *ev_tail, *ev_sent;
	size_t ev_len;
	int ev_inflight;
	struct event *ev_kick;
};

typedef struct ev_item {
	struct ev_item *next;
	struct pods *m;
	char path[400];
	json_t *ev;
	kclient_req_t *req; /* while sent */
} ev_item_t;

/* ---- small helpers -------------------------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *meta_str(const json_t *o, const char *k)
{
	return jstr(json_object_get(o, "metadata"), k);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void time_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static long long rv_num(const char *s)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	v = strtoll(s, &end, 10);
	return *end ? -1 : v;
}

static pod_worker_t *find(pods_t *m, const char *uid)
{
	for (pod_worker_t *w = m->workers; w; w = w->next)
		if (strcmp(w->uid, uid) == 0)
			return w;
	return NULL;
}

static const json_t *spec_container(const pod_worker_t *w, const char *name)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(w->pod, "spec"), "containers"), i, c)
		if (jstr(c, "name") && strcmp(jstr(c, "name"), name) == 0)
			return c;
	return NULL;
}

static int pod_grace(const json_t *pod)
{
	const json_t *g = json_object_get(json_object_get(pod, "metadata"), "deletionGracePeriodSeconds");
	const json_t *t = json_object_get(json_object_get(pod, "spec"), "terminationGracePeriodSeconds");

	if (json_is_integer(g) && json_integer_value(g) >= 0)
		return (int)(json_integer_value(g) > 86400 ? 86400 : json_integer_value(g));
	if (json_is_integer(t) && json_integer_value(t) >= 0)
		return (int)(json_integer_value(t) > 86400 ? 86400 : json_integer_value(t));
	return PODS_DEFAULT_GRACE;
}

/* ---- events ----------------------------------------------------------------------------------------- */

static void events_flush(pods_t *m);

static void on_event_posted(int status, json_t *body, void *arg)
{
	ev_item_t *it = arg;
	pods_t *m = it->m;

	for (ev_item_t **pp = &m->ev_sent; *pp; pp = &(*pp)->next) {
		if (*pp == it) {
			*pp = it->next;
			break;
		}
	}
	m->ev_inflight--;
	json_decref(it->ev);
	free(it);
	events_flush(m);
}

static void events_flush(pods_t *m)
{
	while (m->ev_head && m->ev_inflight < PODS_EV_INFLIGHT) {
		ev_item_t *it = m->ev_head;

		m->ev_head = it->next;
		if (!m->ev_head)
			m->ev_tail = NULL;
		m->ev_len--;
		if (kclient_request(m->c, "POST", it->path, it->ev, NULL, on_event_posted, it, &it->req) < 0) {
			json_decref(it->ev);
			free(it);
			continue;
		}
		it->next = m->ev_sent;
		m->ev_sent = it;
		m->ev_inflight++;
	}
}

static void on_ev_kick(evutil_socket_t fd, short what, void *arg)
{
	events_flush(arg);
}

/* Takes ev. Sent once this loop turn's syncs (and their status writes) are out. */
static void events_push(pods_t *m, const char *path, json_t *ev)
{
	ev_item_t *it;

	if (m->ev_len >= PODS_EV_QUEUE_MAX || !(it = calloc(1, sizeof(*it)))) {
		json_decref(ev);
		return;
	}
	it->m = m;
	snprintf(it->path, sizeof(it->path), "%s", path);
	it->ev = ev;
	if (m->ev_tail)
		m->ev_tail->next = it;
	else
		m->ev_head = it;
	m->ev_tail = it;
	m->ev_len++;
	if (m->ev_kick)
		event_active(m->ev_kick, EV_TIMEOUT, 0);
	else
		events_flush(m);
}

static void events_free(pods_t *m)
{
	ev_item_t *it;

	while ((it = m->ev_sent)) {
		m->ev_sent = it->next;
		kclient_cancel(it->req);
		json_decref(it->ev);
		free(it);
	}
	while ((it = m->ev_head)) {
		m->ev_head = it->next;
		json_decref(it->ev);
		free(it);
	}
	m->ev_tail = NULL;
	m->ev_len = 0;
	m->ev_inflight = 0;
	if (m->ev_kick)
		event_free(m->ev_kick);
	m->ev_kick = NULL;
}

/* A core/v1 Event about the pod (and one of its containers when ctr is set), as the kubelet's
 * recorder writes it: source component "kubelet", host the node. Fire and forget. */
static void pod_event(pods_t *m, const json_t *pod, const char *ctr, const char *type, const char *reason,
		      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void pod_event(pods_t *m, const json_t *pod, const char *ctr, const char *type, const char *reason,
		      const char *fmt, ...)
{
	const char *ns = meta_str(pod, "namespace"), *name = meta_str(pod, "name");
	char msg[1024], now[32], ename[320], path[400], fp[200];
	struct timespec ts;
	json_t *ev, *io;
	va_list ap;

	if (!ns || !name)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	time_now(now, sizeof(now));
	snprintf(ename, sizeof(ename), "%.240s.%llx%04x", name,
		 (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec,
		 (unsigned)(random() & 0xffff));
	io = json_pack("{s:s, s:s, s:s, s:s}", "apiVersion", "v1", "kind", "Pod", "name", name, "namespace", ns);
	if (!io)
		return;
	if (meta_str(pod, "uid"))
		json_object_set_new(io, "uid", json_string(meta_str(pod, "uid")));
	if (meta_str(pod, "resourceVersion"))
		json_object_set_new(io, "resourceVersion", json_string(meta_str(pod, "resourceVersion")));
	if (ctr) {
		snprintf(fp, sizeof(fp), "spec.containers{%.128s}", ctr);
		json_object_set_new(io, "fieldPath", json_string(fp));
	}
	ev = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:i, s:s, s:s}",
		       "apiVersion", "v1", "kind", "Event", "metadata", "name", ename, "namespace", ns, "involvedObject",
		       io, "reason", reason, "message", msg, "type", type, "source", "component", "kubelet", "host",
		       m->node_name, "firstTimestamp", now, "lastTimestamp", now, "count", 1, "reportingComponent",
		       "kubelet", "reportingInstance", m->node_name);
	if (!ev)
		return;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events", ns);
	events_push(m, path, ev);
}

/* ---- workers ---------------------------------------------------------------------------------------- */

static void ctrs_free(pod_worker_t *w)
{
	for (size_t i = 0; i < w->nctr; i++)
		for (int k = 0; k < 3; k++)
			probe_worker_free(w->ctrs[i].probe[k]);
	free(w->ctrs);
	w->ctrs = NULL;
	w->nctr = 0;
}

static void worker_free(pod_worker_t *w)
{
	if (!w)
		return;
	kclient_cancel(w->req);
	ctrs_free(w);
	json_decref(w->pod);
	json_decref(w->status);
	json_decref(w->final_ctrs);
	free(w);
}

static void ns_svcs_gc(pods_t *m);

static void worker_remove(pods_t *m, pod_worker_t *w)
{
	for (pod_worker_t **pp = &m->workers; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	worker_free(w);
	ns_svcs_gc(m);
}

static void set_status(pod_worker_t *w, const json_t *pod)
{
	long long rv = rv_num(meta_str(pod, "resourceVersion"));
	const json_t *st = json_object_get(pod, "status");

	if (rv >= 0 && rv < w->status_rv)
		return; /* older than what a write reply told us */
	json_decref(w->status);
	w->status = st ? json_deep_copy(st) : json_object();
	w->status_rv = rv;
}

static void pod_seen(pods_t *m, const json_t *obj)
{
	const char *uid = meta_str(obj, "uid");
	pod_worker_t *w;

	if (!uid || strlen(uid) >= sizeof(((pod_worker_t *)0)->uid))
		return;
	w = find(m, uid);
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return;
		w->m = m;
		snprintf(w->uid, sizeof(w->uid), "%s", uid);
		w->next = m->workers;
		m->workers = w;
	}
	json_decref(w->pod);
	w->pod = json_deep_copy(obj);
	set_status(w, obj);
	workqueue_add(m->q, uid);
}

static void on_pod_add(informer_t *inf, const json_t *obj, void *arg)
{
	pod_seen(arg, obj);
}

static void on_pod_update(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	pod_seen(arg, obj);
}

static void on_pod_delete(informer_t *inf, const json_t *obj, void *arg)
{
	pods_t *m = arg;
	const char *uid = meta_str(obj, "uid");
	pod_worker_t *w = uid ? find(m, uid) : NULL;

	if (!w)
		return;
	w->gone = true;
	workqueue_add(m->q, uid);
}

/* ---- probes ----------------------------------------------------------------------------------------- */

static void on_probe(probe_worker_t *pw, bool ok, bool changed, const char *message, void *arg)
{
	ctr_state_t *cs = arg;
	pod_worker_t *w = cs->pw;
	pods_t *m = w->m;
	const probe_spec_t *spec = probe_worker_spec(pw);
	int k = (int)spec->kind;
	double now = mono_now();

	if (!ok && w->state == PW_RUNNING &&
	    (changed || !cs->unhealthy_at[k] || now - cs->unhealthy_at[k] >= PODS_UNHEALTHY_GAP)) {
		cs->unhealthy_at[k] = now;
		pod_event(m, w->pod, cs->name, "Warning", "Unhealthy", "%s probe failed: %s", probe_kind_name(spec->kind),
			  message);
	}
	if (!changed)
		return;
	if (spec->kind == PROBE_STARTUP && ok) {
		/* started: liveness and readiness may probe now */
		if (cs->probe[PROBE_LIVENESS])
			probe_worker_set_gate(cs->probe[PROBE_LIVENESS], true);
		if (cs->probe[PROBE_READINESS])
			probe_worker_set_gate(cs->probe[PROBE_READINESS], true);
	}
	if (!ok && spec->kind != PROBE_READINESS && w->state == PW_RUNNING) {
		/* kuberuntime: kill the container; the supervisor restarts it per restartPolicy */
		int grace = pod_grace(w->pod);
		const json_t *tg = json_object_get(json_object_get(spec_container(w, cs->name),
								   probe_kind_field(spec->kind)),
						   "terminationGracePeriodSeconds");
		if (json_is_integer(tg) && json_integer_value(tg) >= 0 && json_integer_value(tg) < 86400)
			grace = (int)json_integer_value(tg);
		pod_event(m, w->pod, cs->name, "Normal", "Killing", "Container %s failed %s probe, will be restarted",
			  cs->name, spec->kind == PROBE_LIVENESS ? "liveness" : "startup");
		if (runtime_container_kill(m->rt, w->uid, cs->name, grace) < 0)
			log_warn("agent: pod %s/%s: killing container %s failed", meta_str(w->pod, "namespace"),
				 meta_str(w->pod, "name"), cs->name);
	}
	workqueue_add(m->q, w->uid);
}

/* Per-container state and probe workers, once per run of the pod (specs were checked at admission). */
static int ctrs_setup(pod_worker_t *w)
{
	const json_t *ctrs = json_object_get(json_object_get(w->pod, "spec"), "containers"), *c;
	size_t i, n = json_array_size(ctrs);

	if (w->ctrs)
		return 0;
	if (n > PODS_NCTR_MAX)
		n = PODS_NCTR_MAX;
	w->ctrs = calloc(n ? n : 1, sizeof(*w->ctrs));
	if (!w->ctrs)
		return -ENOMEM;
	w->nctr = n;
	json_array_foreach(ctrs, i, c) {
		ctr_state_t *cs;
		if (i >= n)
			break;
		cs = &w->ctrs[i];
		cs->pw = w;
		snprintf(cs->name, sizeof(cs->name), "%s", jstr(c, "name") ? jstr(c, "name") : "");
		snprintf(cs->image, sizeof(cs->image), "%s", jstr(c, "image") ? jstr(c, "image") : "");
		for (int k = PROBE_LIVENESS; k <= PROBE_STARTUP; k++) {
			probe_spec_t s;
			char err[256];
			if (probe_spec_parse(c, (probe_kind_t)k, &s, err, sizeof(err)) < 0)
				continue;
			if (probe_worker_new(w->m->base, w->m->rt, &s, w->uid, cs->name, on_probe, cs, &cs->probe[k]) < 0) {
				probe_spec_clear(&s);
				cs->probe[k] = NULL;
			}
		}
		/* startup gates the other two (KEP-950) */
		if (cs->probe[PROBE_STARTUP]) {
			if (cs->probe[PROBE_LIVENESS])
				probe_worker_set_gate(cs->probe[PROBE_LIVENESS], false);
			if (cs->probe[PROBE_READINESS])
				probe_worker_set_gate(cs->probe[PROBE_READINESS], false);
		}
	}
	return 0;
}

static void probes_results(const pod_worker_t *w, pod_probe_result_t *ret)
{
	for (size_t i = 0; i < w->nctr; i++) {
		const ctr_state_t *cs = &w->ctrs[i];
		ret[i].name = cs->name;
		ret[i].ready = !cs->probe[PROBE_READINESS] || probe_worker_result(cs->probe[PROBE_READINESS]);
		ret[i].started = !cs->probe[PROBE_STARTUP] || probe_worker_result(cs->probe[PROBE_STARTUP]);
	}
}

/* Container instance changes: events as the kubelet records them, probes (re)started and stopped. */
static void ctrs_observe(pod_worker_t *w, const json_t *statuses)
{
	pods_t *m = w->m;
	const json_t *cs;
	size_t i;

	json_array_foreach(statuses, i, cs) {
		const char *name = jstr(cs, "name"), *cid = jstr(cs, "containerID");
		const json_t *st = json_object_get(cs, "state"), *run = json_object_get(st, "running"),
			     *wt = json_object_get(st, "waiting"), *tm = json_object_get(st, "terminated");
		long long restarts = json_integer_value(json_object_get(cs, "restartCount"));
		ctr_state_t *c = NULL;
		char key[160];

		for (size_t j = 0; j < w->nctr && name; j++)
			if (strcmp(w->ctrs[j].name, name) == 0)
				c = &w->ctrs[j];
		if (!c)
			continue;
		if (run && cid && strcmp(cid, c->cid) != 0) {
			snprintf(c->cid, sizeof(c->cid), "%s", cid);
			if (!w->adopted)
				pod_event(m, w->pod, c->name, "Normal", "Pulled", "Container image \"%s\" already present on machine",
				  c->image);
			if (!w->adopted) {
				pod_event(m, w->pod, c->name, "Normal", "Created", "Created container: %s", c->name);
				pod_event(m, w->pod, c->name, "Normal", "Started", "Started container %s", c->name);
			}
			/* probes count from this instance's start (now, give or take the ~10 ms the runtime
			 * takes to tell us) */
			for (int k = 0; k < 3; k++)
				if (c->probe[k])
					probe_worker_start(c->probe[k], w->has_sb ? w->sb.ip : "", mono_now());
			if (c->probe[PROBE_STARTUP]) {
				if (c->probe[PROBE_LIVENESS])
					probe_worker_set_gate(c->probe[PROBE_LIVENESS], false);
				if (c->probe[PROBE_READINESS])
					probe_worker_set_gate(c->probe[PROBE_READINESS], false);
			}
		} else if (!run && c->cid[0]) {
			c->cid[0] = '\0';
			for (int k = 0; k < 3; k++)
				if (c->probe[k])
					probe_worker_stop(c->probe[k]);
		}
		if (wt) {
			const char *reason = jstr(wt, "reason") ? jstr(wt, "reason") : "";
			const char *msg = jstr(wt, "message") ? jstr(wt, "message") : "";
			snprintf(key, sizeof(key), "w/%s/%lld", reason, restarts);
			if (strcmp(key, c->last_event) == 0)
				continue;
			snprintf(c->last_event, sizeof(c->last_event), "%s", key);
			if (w->adopted)
				continue;
			if (strcmp(reason, "ErrImagePull") == 0) {
				pod_event(m, w->pod, c->name, "Warning", "Failed", "Failed to pull image \"%s\": %s", c->image,
					  msg);
				pod_event(m, w->pod, c->name, "Warning", "Failed", "Error: ErrImagePull");
			} else if (strcmp(reason, "ImagePullBackOff") == 0) {
				pod_event(m, w->pod, c->name, "Normal", "BackOff", "Back-off pulling image \"%s\"", c->image);
				pod_event(m, w->pod, c->name, "Warning", "Failed", "Error: ImagePullBackOff");
			} else if (strcmp(reason, "CrashLoopBackOff") == 0) {
				pod_event(m, w->pod, c->name, "Warning", "BackOff",
					  "Back-off restarting failed container %s in pod %s_%s(%s)", c->name,
					  meta_str(w->pod, "name"), meta_str(w->pod, "namespace"), w->uid);
			}
		} else if (tm) {
			const char *reason = jstr(tm, "reason") ? jstr(tm, "reason") : "";
			snprintf(key, sizeof(key), "t/%s/%lld", reason, restarts);
			if (strcmp(key, c->last_event) == 0)
				continue;
			snprintf(c->last_event, sizeof(c->last_event), "%s", key);
			if (!w->adopted && strcmp(reason, "StartError") == 0)
				pod_event(m, w->pod, c->name, "Warning", "Failed", "Error: %s",
					  jstr(tm, "message") ? jstr(tm, "message") : "cannot start the container");
		}
	}
	w->adopted = false;
}

/* ---- status ----------------------------------------------------------------------------------------- */

static void on_status_written(int status, json_t *body, void *arg)
{
	pod_worker_t *w = arg;
	pods_t *m = w->m;
	char uid[64];

	w->req = NULL;
	snprintf(uid, sizeof(uid), "%s", w->uid);
	if (status == 200 && body) {
		set_status(w, body);
	} else if (status == 404) {
		/* the informer will tell us it is gone */
	} else {
		log_warn("agent: writing status of pod %s/%s: status %d", meta_str(w->pod, "namespace"),
			 meta_str(w->pod, "name"), status);
		workqueue_done(m->q, uid, -EIO);
		return;
	}
	workqueue_done(m->q, uid, 0);
}

/* Computes the status and, when it differs from the stored one, writes it as a merge patch of
 * status (the kubelet's status manager; nulls remove what we no longer report). Returns 1 when a
 * request was sent (the key is done in its callback), 0 when nothing had to be written. */
static int status_sync(pod_worker_t *w, const json_t *containers, bool terminal)
{
	pods_t *m = w->m;
	pod_probe_result_t probes[PODS_NCTR_MAX];
	pod_status_input_t in = { 0 };
	json_t *pod = NULL, *want, *patch, *pst;
	const char *k;
	json_t *v;
	char now[32], path[600];
	int rc;

	if (w->gone)
		return 0;
	/* compare against the freshest stored status, not the informer's possibly older copy */
	pod = json_deep_copy(w->pod);
	if (!pod)
		return 0;
	if (w->status)
		json_object_set(pod, "status", w->status);
	time_now(now, sizeof(now));
	probes_results(w, probes);
	in.pod = pod;
	in.containers = containers;
	in.probes = probes;
	in.nprobes = w->nctr;
	in.pod_ip = w->has_sb ? w->sb.ip : NULL;
	in.host_ip = m->node_ip;
	in.now = now;
	in.terminal = terminal;
	if (w->rejected) {
		in.reason = "NodePorts";
		in.message = w->reject_msg;
	}
	want = pod_status_compute(&in);
	if (!want) {
		json_decref(pod);
		return 0;
	}
	if (!pod_status_changed(w->status, want)) {
		json_decref(want);
		json_decref(pod);
		return 0;
	}
	pst = json_object();
	json_object_foreach(w->status, k, v)
		if (!json_object_get(want, k))
			json_object_set_new(pst, k, json_null());
	json_object_update(pst, want);
	patch = json_pack("{s:o}", "status", pst);
	json_decref(want);
	json_decref(pod);
	if (!patch)
		return 0;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/status", meta_str(w->pod, "namespace"),
		 meta_str(w->pod, "name"));
	rc = kclient_request(m->c, "PATCH", path, patch, "application/merge-patch+json", on_status_written, w, &w->req);
	json_decref(patch);
	if (rc < 0) {
		w->req = NULL;
		return 0;
	}
	return 1;
}

/* ---- admission and start ---------------------------------------------------------------------------- */

static json_t *svc_keep(const json_t *svc, void *arg);

/* The Services informer of namespace ns, started when missing (create) — a list of that namespace
 * only. NULL when absent (create false) or on ENOMEM. */
static informer_t *ns_svcs(pods_t *m, const char *ns, bool create)
{
	ns_svcs_t *e;
	char *path;

	for (e = m->ns_svcs; e; e = e->next)
		if (strcmp(e->ns, ns) == 0)
			return e->inf;
	if (!create || !(e = calloc(1, sizeof(*e))))
		return NULL;
	if (!(e->ns = strdup(ns)) || asprintf(&path, "/api/v1/namespaces/%s/services", ns) < 0) {
		free(e->ns);
		free(e);
		return NULL;
	}
	if (informer_new(m->c, path, NULL, &e->inf) < 0 || informer_set_transform(e->inf, svc_keep, NULL) < 0 ||
	    informer_start(e->inf) < 0) {
		informer_free(e->inf);
		free(path);
		free(e->ns);
		free(e);
		return NULL;
	}
	free(path);
	e->next = m->ns_svcs;
	m->ns_svcs = e;
	return e->inf;
}

/* Stops the Services informers of namespaces no pod here is in any more (default stays). */
static void ns_svcs_gc(pods_t *m)
{
	for (ns_svcs_t **pp = &m->ns_svcs, *e; (e = *pp);) {
		bool used = strcmp(e->ns, "default") == 0;
		for (pod_worker_t *w = m->workers; w && !used; w = w->next)
			used = w->pod && strcmp(meta_str(w->pod, "namespace"), e->ns) == 0;
		if (used) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		informer_free(e->inf);
		free(e->ns);
		free(e);
	}
}

/* Are the Services behind pod's variables cached? (its namespace's when enableServiceLinks, and
 * default's for the kubernetes Service) */
static bool service_env_ready(pods_t *m, const json_t *pod)
{
	const char *ns = meta_str(pod, "namespace");
	bool all = !json_is_false(json_object_get(json_object_get(pod, "spec"), "enableServiceLinks"));
	informer_t *d = ns_svcs(m, "default", true), *own = all && ns ? ns_svcs(m, ns, true) : d;

	return d && own && informer_has_synced(d) && informer_has_synced(own);
}

/* Services whose variables the pod gets: its namespace's (enableServiceLinks, default true) and the
 * kubernetes Service of the default namespace (kubelet getServiceEnvVarMap). */
static json_t *service_env(pods_t *m, const json_t *pod)
{
	const char *ns = meta_str(pod, "namespace");
	const json_t *links = json_object_get(json_object_get(pod, "spec"), "enableServiceLinks");
	bool all = !json_is_false(links);
	json_t *list = json_array(), *env;
	informer_t *own, *d;
	const json_t *svc;
	const char *key;
	json_t *unused;

	if (!list)
		return NULL;
	if (all && ns && (own = ns_svcs(m, ns, false))) {
		json_object_foreach((json_t *)informer_cache(own), key, unused) {
			svc = unused;
			if (!(strcmp(ns, "default") == 0 && strcmp(meta_str(svc, "name"), "kubernetes") == 0))
				json_array_append(list, (json_t *)svc);
		}
	}
	if ((d = ns_svcs(m, "default", false)) && (svc = informer_get(d, "default/kubernetes")))
		json_array_append(list, (json_t *)svc);
	env = podfiles_service_env(list);
	json_decref(list);
	return env;
}

/* Admission: hostPorts against the pods admitted before (in the order we saw them), then the
 * configuration. Returns true when the pod may run. */
static bool admit(pod_worker_t *w)
{
	pods_t *m = w->m;
	const json_t *others[256];
	size_t n = 0;
	char ctr[128], msg[512];

	if (w->admitted)
		return true;
	if (w->rejected)
		return false;
	for (pod_worker_t *o = m->workers; o && n < 256; o = o->next)
		if (o != w && o->admitted && !o->gone && o->state <= PW_RUNNING && o->pod)
			others[n++] = o->pod;
	if (pod_host_ports_clash(w->pod, others, n, msg, sizeof(msg))) {
		w->rejected = true;
		snprintf(w->reject_msg, sizeof(w->reject_msg), "%s", msg);
		pod_event(m, w->pod, NULL, "Warning", "NodePorts", "%s", msg);
		log_info("agent: pod %s/%s rejected: %s", meta_str(w->pod, "namespace"), meta_str(w->pod, "name"), msg);
		return false;
	}
	if (pod_check_config(w->pod, ctr, sizeof(ctr), msg, sizeof(msg)) < 0) {
		if (strcmp(msg, w->cfg_msg) != 0)
			pod_event(m, w->pod, ctr, "Warning", "Failed", "Error: %s", msg);
		snprintf(w->cfg_ctr, sizeof(w->cfg_ctr), "%s", ctr);
		snprintf(w->cfg_msg, sizeof(w->cfg_msg), "%s", msg);
		return false;
	}
	w->cfg_ctr[0] = w->cfg_msg[0] = '\0';
	w->admitted = true;
	return true;
}

/* ---- sandboxes off the loop -------------------------------------------------------------------------- */

static void sandbox_failed(pod_worker_t *w, int rc)
{
	const char *e = rc == -ENOSPC ? "no IP addresses left in the node's podCIDR" : strerror(-rc);

	/* one event per distinct failure, not one per retry */
	if (strcmp(e, w->sandbox_err) != 0)
		pod_event(w->m, w->pod, NULL, "Warning", "FailedCreatePodSandBox", "Failed to create pod sandbox: %s", e);
	snprintf(w->sandbox_err, sizeof(w->sandbox_err), "%s", e);
	log_warn("agent: pod %s/%s: sandbox: %s", meta_str(w->pod, "namespace"), meta_str(w->pod, "name"), e);
}

static void *sb_thread(void *arg)
{
	pods_t *m = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&m->sb_mu);
	for (;;) {
		sb_job_t *j;
		double t0;
		while (!m->sb_todo && !m->sb_stop)
			pthread_cond_wait(&m->sb_cv, &m->sb_mu);
		if (m->sb_stop)
			break;
		j = m->sb_todo;
		m->sb_todo = j->next;
		pthread_mutex_unlock(&m->sb_mu);
		t0 = mono_now();
		j->rc = podnet_sandbox_create(m->net, j->uid, &j->sb);
		j->ms = (mono_now() - t0) * 1e3;
		pthread_mutex_lock(&m->sb_mu);
		j->next = m->sb_done;
		m->sb_done = j;
		if (write(m->sb_efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow at our rates; nothing to do */
		}
	}
	pthread_mutex_unlock(&m->sb_mu);
	return NULL;
}

static void sb_submit(pods_t *m, pod_worker_t *w)
{
	sb_job_t *j = calloc(1, sizeof(*j));

	if (!j)
		return;
	snprintf(j->uid, sizeof(j->uid), "%s", w->uid);
	pthread_mutex_lock(&m->sb_mu);
	/* first come, first built: a burst's first pods must not wait for its last */
	{
		sb_job_t **pp = &m->sb_todo;
		while (*pp)
			pp = &(*pp)->next;
		*pp = j;
	}
	pthread_cond_signal(&m->sb_cv);
	pthread_mutex_unlock(&m->sb_mu);
	w->sb_pending = true;
}

/* Results on the loop: the pod carries on, or, when it went away meanwhile, the sandbox goes too. */
static void on_sb_done(evutil_socket_t fd, short what, void *arg)
{
	pods_t *m = arg;
	uint64_t n;
	sb_job_t *j;

	if (read(m->sb_efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: another wakeup took them */
	}
	pthread_mutex_lock(&m->sb_mu);
	j = m->sb_done;
	m->sb_done = NULL;
	pthread_mutex_unlock(&m->sb_mu);
	{
		/* the threads push finished jobs on a stack: carry on in the order they finished */
		sb_job_t *rev = NULL;
		while (j) {
			sb_job_t *next = j->next;
			j->next = rev;
			rev = j;
			j = next;
		}
		j = rev;
	}
	while (j) {
		sb_job_t *next = j->next;
		pod_worker_t *w = find(m, j->uid);
		if (w) {
			w->sb_pending = false;
			if (j->rc == 0) {
				w->sb = j->sb;
				w->has_sb = true;
				w->sb_ms = j->ms;
				w->sandbox_err[0] = '\0';
				workqueue_add(m->q, w->uid);
			} else {
				sandbox_failed(w, j->rc);
				workqueue_add_rate_limited(m->q, w->uid);
			}
		} else if (j->rc == 0) {
			podnet_sandbox_delete(m->net, j->uid);
		}
		free(j);
		j = next;
	}
}

static int sb_threads_start(pods_t *m)
{
	m->sb_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->sb_efd < 0)
		return -errno;
	m->sb_ev = event_new(m->base, m->sb_efd, EV_READ | EV_PERSIST, on_sb_done, m);
	if (!m->sb_ev || event_add(m->sb_ev, NULL) < 0)
		return -ENOMEM;
	for (int i = 0; i < PODS_SB_THREADS; i++) {
		if (pthread_create(&m->sb_threads[i], NULL, sb_thread, m) != 0)
			break; /* fewer threads are fine; none: built on the loop */
		m->nsb_threads++;
	}
	return 0;
}

static void sb_threads_stop(pods_t *m)
{
	sb_job_t *j;

	pthread_mutex_lock(&m->sb_mu);
	m->sb_stop = true;
	pthread_cond_broadcast(&m->sb_cv);
	pthread_mutex_unlock(&m->sb_mu);
	for (int i = 0; i < m->nsb_threads; i++)
		pthread_join(m->sb_threads[i], NULL);
	m->nsb_threads = 0;
	/* jobs never started leave nothing; finished ones leave a sandbox the next start adopts or
	 * collects */
	while ((j = m->sb_todo)) {
		m->sb_todo = j->next;
		free(j);
	}
	while ((j = m->sb_done)) {
		m->sb_done = j->next;
		free(j);
	}
	if (m->sb_ev)
		event_free(m->sb_ev);
	m->sb_ev = NULL;
	if (m->sb_efd >= 0)
		close(m->sb_efd);
	m->sb_efd = -1;
}

/* Sandbox and runtime. 0 when started (or adopted), negative errno to retry with back-off. */
static int start_pod(pod_worker_t *w)
{
	pods_t *m = w->m;
	runtime_pod_spec_t spec = { 0 };
	json_t *env;
	double t0 = mono_now(), t1;
	int rc;

	/* the namespace's Services list while the sandbox builds */
	(void)service_env_ready(m, w->pod);
	if (!w->has_sb && m->nsb_threads > 0) {
		if (!w->sb_pending)
			sb_submit(m, w);
		return w->sb_pending ? PODS_SB_PENDING : -ENOMEM;
	}
	if (!w->has_sb) {
		rc = podnet_sandbox_create(m->net, w->uid, &w->sb);
		if (rc < 0) {
			const char *e = rc == -ENOSPC ? "no IP addresses left in the node's podCIDR" : strerror(-rc);
			/* one event per distinct failure, not one per retry */
			if (strcmp(e, w->sandbox_err) != 0)
				pod_event(m, w->pod, NULL, "Warning", "FailedCreatePodSandBox",
					  "Failed to create pod sandbox: %s", e);
			snprintf(w->sandbox_err, sizeof(w->sandbox_err), "%s", e);
			log_warn("agent: pod %s/%s: sandbox: %s", meta_str(w->pod, "namespace"), meta_str(w->pod, "name"), e);
			return rc;
		}
		w->has_sb = true;
		w->sandbox_err[0] = '\0';
	}
	t1 = mono_now();
	rc = ctrs_setup(w);
	if (rc < 0)
		return rc;
	/* a supervisor from an earlier life of the agent: adopt its containers without new events */
	w->adopted = runtime_pod_running(m->rt, w->uid);
	if (!w->adopted && !service_env_ready(m, w->pod)) {
		/* the variables are fixed at the start: wait for the namespace's first list (a round trip) */
		workqueue_add_after(m->q, w->uid, 10);
		return PODS_SB_PENDING;
	}
	env = service_env(m, w->pod);
	spec.pod = w->pod;
	spec.netns_path = w->sb.netns_path;
	spec.pod_ip = w->sb.ip;
	spec.env = env;
	rc = runtime_pod_run(m->rt, &spec);
	json_decref(env);
	if (rc < 0) {
		if (strcmp(strerror(-rc), w->sandbox_err) != 0)
			pod_event(m, w->pod, NULL, "Warning", "FailedCreatePodSandBox",
				  "Failed to start the pod's supervisor: %s", strerror(-rc));
		snprintf(w->sandbox_err, sizeof(w->sandbox_err), "%s", strerror(-rc));
		return rc;
	}
	if (!w->adopted) {
		/* The supervisor reports its containers running within milliseconds: write that as the
		 * first status rather than a ContainerCreating one a round trip before it (the Ready write
		 * of a pod without a readiness probe would wait for that one's reply). */
		w->quiet_until = mono_now() + PODS_START_QUIET_MS / 1e3;
		workqueue_add_after(m->q, w->uid, PODS_START_QUIET_MS);
	}
	if (w->adopted)
		log_info("agent: pod %s/%s adopted (its containers kept running)", meta_str(w->pod, "namespace"),
			 meta_str(w->pod, "name"));
	log_debug("agent: pod %s/%s: sandbox %s in %.1f ms, runtime started in %.1f ms", meta_str(w->pod, "namespace"),
		  meta_str(w->pod, "name"), w->sb.ip, w->sb_ms > 0 ? w->sb_ms : (t1 - t0) * 1e3, (mono_now() - t1) * 1e3);
	w->state = PW_RUNNING;
	return 0;
}

/* ---- stop, tear down, final delete ----------------------------------------------------------------- */

static void on_pod_stopped(const char *uid, void *arg)
{
	pods_t *m = arg;
	pod_worker_t *w = find(m, uid);

	if (!w || w->state != PW_STOPPING)
		return;
	w->state = PW_STOPPED;
	workqueue_add(m->q, uid);
}

static void on_final_delete(int status, json_t *body, void *arg)
{
	pod_worker_t *w = arg;
	pods_t *m = w->m;
	char uid[64];

	w->req = NULL;
	snprintf(uid, sizeof(uid), "%s", w->uid);
	if (status == 200 || status == 202 || status == 404 || status == 409) {
		/* gone, or replaced by a new Pod of the same name (409: the uid precondition) */
		log_debug("agent: pod %s/%s deleted (status %d)", meta_str(w->pod, "namespace"), meta_str(w->pod, "name"),
			  status);
		w->final_sent = true;
		workqueue_done(m->q, uid, 0);
		if (w->gone)
			worker_remove(m, w);
		return;
	}
	log_warn("agent: final delete of pod %s/%s: status %d", meta_str(w->pod, "namespace"), meta_str(w->pod, "name"),
		 status);
	workqueue_done(m->q, uid, -EIO);
}

static void teardown(pod_worker_t *w)
{
	pods_t *m = w->m;

	for (size_t i = 0; i < w->nctr; i++)
		for (int k = 0; k < 3; k++)
			if (w->ctrs[i].probe[k])
				probe_worker_stop(w->ctrs[i].probe[k]);
	if (m->net && podnet_sandbox_delete(m->net, w->uid) < 0)
		log_warn("agent: pod %s: removing its network failed", w->uid);
}

/* Returns 1 when a request is in flight (the key is done in its callback). */
static int sync_terminating(pod_worker_t *w)
{
	pods_t *m = w->m;
	int grace = w->gone && !json_object_get(json_object_get(w->pod, "metadata"), "deletionTimestamp")
			    ? PODS_FORCE_GRACE
			    : pod_grace(w->pod);
	json_t *st;
	int sent;

	if (w->sb_pending)
		return 0; /* its completion queues the pod again; then the sandbox is torn down */

	if (w->state != PW_STOPPING && w->state != PW_STOPPED) {
		st = runtime_pod_statuses(m->rt, w->uid);
		for (size_t i = 0; st && i < json_array_size(st); i++) {
			const json_t *c = json_array_get(st, i);
			if (json_object_get(json_object_get(c, "state"), "running"))
				pod_event(m, w->pod, jstr(c, "name"), "Normal", "Killing", "Stopping container %s",
					  jstr(c, "name"));
		}
		json_decref(st);
		w->state = PW_STOPPING;
		w->stop_grace = grace;
		if (runtime_pod_stop(m->rt, w->uid, grace, on_pod_stopped, m) < 0)
			w->state = PW_STOPPED; /* nothing running to stop */
	} else if (w->state == PW_STOPPING && grace < w->stop_grace) {
		/* a second delete shortened the grace period */
		w->stop_grace = grace;
		runtime_pod_stop(m->rt, w->uid, grace, on_pod_stopped, m);
	}
	if (w->state == PW_STOPPING) {
		/* still a serving, terminating endpoint: keep reporting the containers (and readiness) */
		st = runtime_pod_statuses(m->rt, w->uid);
		if (st)
			ctrs_observe(w, st);
		sent = status_sync(w, st, false);
		json_decref(st);
		return sent;
	}
	/* PW_STOPPED: capture the final container states, tear down, report, delete */
	if (!w->final_ctrs) {
		w->final_ctrs = runtime_pod_statuses(m->rt, w->uid);
		if (!w->final_ctrs)
			w->final_ctrs = pod_status_waiting(w->pod, "ContainerCreating", NULL, NULL, NULL);
		teardown(w);
		runtime_pod_remove(m->rt, w->uid);
		w->has_sb = false; /* the IP is released; the last status keeps the address it had */
	}
	if (w->gone) {
		worker_remove(m, w);
		return -1; /* the worker is gone: nothing more to do for the key */
	}
	if (w->final_sent)
		return 0;
	{
		/* report the terminal container states first (kubelet: the status manager's last word
		 * before it deletes), then the final delete */
		bool keep_ip = w->status && jstr(w->status, "podIP");
		if (keep_ip) {
			snprintf(w->sb.ip, sizeof(w->sb.ip), "%s", jstr(w->status, "podIP"));
			w->has_sb = true;
		}
		sent = status_sync(w, w->final_ctrs, true);
		w->has_sb = false;
		if (sent)
			return sent;
	}
	{
		json_t *opts = json_pack("{s:s, s:s, s:i, s:{s:s}}", "kind", "DeleteOptions", "apiVersion", "v1",
					 "gracePeriodSeconds", 0, "preconditions", "uid", w->uid);
		char path[600];
		int rc;
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", meta_str(w->pod, "namespace"),
			 meta_str(w->pod, "name"));
		rc = opts ? kclient_request(m->c, "DELETE", path, opts, NULL, on_final_delete, w, &w->req) : -ENOMEM;
		json_decref(opts);
		if (rc < 0) {
			w->req = NULL;
			return 0;
		}
		return 1;
	}
}

/* ---- the sync ------------------------------------------------------------------------------------------ */

/* True when every container still waits with reason ContainerCreating (nothing started yet). */
static bool all_creating(const json_t *statuses)
{
	const json_t *c;
	size_t i;

	json_array_foreach(statuses, i, c) {
		const char *r = jstr(json_object_get(json_object_get(c, "state"), "waiting"), "reason");
		if (!r || strcmp(r, "ContainerCreating") != 0)
			return false;
	}
	return true;
}

/* Returns 1 when a request is in flight, 0 when done, -1 when the worker was freed, or a negative
 * errno below -1 to retry with back-off. */
static int sync_pod(pods_t *m, pod_worker_t *w)
{
	const char *phase;
	json_t *st;
	int rc, sent;

	if (!w->pod)
		return 0;
	if (w->gone || json_object_get(json_object_get(w->pod, "metadata"), "deletionTimestamp"))
		return sync_terminating(w);
	if (w->state == PW_FINISHED)
		return status_sync(w, w->final_ctrs, true);
	phase = jstr(w->status, "phase");
	if (w->state == PW_NEW && phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0) &&
	    !runtime_pod_running(m->rt, w->uid)) {
		/* finished in an earlier life of the agent: nothing to run again */
		w->state = PW_FINISHED;
		w->final_ctrs = json_incref(json_object_get(w->status, "containerStatuses"));
		if (m->net)
			podnet_sandbox_delete(m->net, w->uid);
		return 0;
	}
	if (w->state == PW_NEW) {
		if (!admit(w)) {
			if (w->rejected) {
				w->state = PW_FINISHED;
				w->final_ctrs = json_array();
				return status_sync(w, w->final_ctrs, true);
			}
			st = pod_status_waiting(w->pod, "ContainerCreating", w->cfg_ctr, "CreateContainerConfigError",
						w->cfg_msg);
			sent = status_sync(w, st, false);
			json_decref(st);
			return sent;
		}
		if (!m->net)
			return 0; /* waiting for the podCIDR; queued again once the network is up */
		rc = start_pod(w);
		if (rc == PODS_SB_PENDING)
			return 0; /* the sandbox threads queue the pod again */
		if (rc < 0)
			return rc < -1 ? rc : -EIO; /* retried with the work queue's back-off */
	}
	st = runtime_pod_statuses(m->rt, w->uid);
	if (!st)
		st = pod_status_waiting(w->pod, "ContainerCreating", NULL, NULL, NULL);
	ctrs_observe(w, st);
	if (w->quiet_until > 0) {
		if (mono_now() < w->quiet_until && all_creating(st)) {
			json_decref(st);
			return 0; /* the runtime's report (or the timer set at the start) queues the pod */
		}
		w->quiet_until = 0;
	}
	phase = pod_status_phase(st, json_array_size(json_object_get(json_object_get(w->pod, "spec"), "containers")),
				 jstr(json_object_get(w->pod, "spec"), "restartPolicy"), false);
	if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0) {
		/* restartPolicy Never/OnFailure and every container done: the pod is over; its network
		 * goes (the kubelet kills the sandbox of terminal pods), its logs stay */
		w->state = PW_FINISHED;
		json_decref(w->final_ctrs);
		w->final_ctrs = json_incref(st);
		teardown(w);
		sent = status_sync(w, st, true);
		json_decref(st);
		return sent;
	}
	sent = status_sync(w, st, false);
	json_decref(st);
	return sent;
}

static void on_work(workqueue_t *q, const char *key, void *arg)
{
	pods_t *m = arg;
	pod_worker_t *w = find(m, key);
	int rc;

	if (!w) {
		workqueue_done(q, key, 0);
		return;
	}
	rc = sync_pod(m, w);
	if (rc == 1)
		return; /* a request is in flight; its callback ends the key */
	workqueue_done(q, key, rc < -1 ? rc : 0);
}

/* ---- the node: podCIDR, network, routes ---------------------------------------------------------------- */

static void queue_all(pods_t *m)
{
	for (pod_worker_t *w = m->workers; w; w = w->next)
		workqueue_add(m->q, w->uid);
}

/* host-gw: every other node's podCIDR through its InternalIP. Replaced only when the set changed. */
static void routes_sync(pods_t *m)
{
	const json_t *cache = informer_cache(m->nodes), *n, *a;
	podnet_route_t routes[512];
	const char *key;
	char sig[sizeof(m->routes_sig)] = "";
	size_t nr = 0, i;

	if (!m->net)
		return;
	if (!informer_has_synced(m->nodes)) {
		/* Node events arrive one by one during the first list: a route set built from part of it
		 * would drop, for a moment, the routes a restarted agent's pods are using. Look again
		 * shortly, once the whole list is in. */
		struct timeval soon = { 0, 50000 };
		evtimer_add(m->net_timer, &soon);
		return;
	}
	json_object_foreach((json_t *)cache, key, n) {
		const char *cidr = jstr(json_object_get(n, "spec"), "podCIDR"), *ip = NULL;
		if (!cidr || strcmp(meta_str(n, "name") ? meta_str(n, "name") : "", m->node_name) == 0 || nr >= 512)
			continue;
		json_array_foreach(json_object_get(json_object_get(n, "status"), "addresses"), i, a)
			if (jstr(a, "type") && strcmp(jstr(a, "type"), "InternalIP") == 0 && jstr(a, "address") && !ip)
				ip = jstr(a, "address");
		if (!ip)
			continue;
		routes[nr].cidr = cidr;
		routes[nr].via = ip;
		nr++;
		snprintf(sig + strlen(sig), sizeof(sig) - strlen(sig), "%s>%s;", cidr, ip);
	}
	if (strcmp(sig, m->routes_sig) == 0)
		return;
	if (podnet_set_routes(m->net, routes, nr) < 0) {
		log_warn("agent: setting routes to other nodes' pods failed; retrying");
		return;
	}
	snprintf(m->routes_sig, sizeof(m->routes_sig), "%s", sig);
	log_info("agent: routes to %zu other node(s)' pods", nr);
}

static void net_try(pods_t *m)
{
	const json_t *node = informer_get(m->nodes, m->node_name);
	const char *cidr = jstr(json_object_get(node, "spec"), "podCIDR");
	podnet_config_t pc = { .data_dir = m->data_dir, .cluster_cidr = m->cluster_cidr,
			       .service_cidr = m->service_cidr, .node_ip = m->node_ip };
	struct timeval retry = { PODS_NET_RETRY_SEC, 0 };
	int rc;

	if (m->net || !cidr)
		return;
	if (strlen(cidr) >= sizeof(m->pod_cidr))
		return;
	pc.pod_cidr = cidr;
	rc = podnet_new(&pc, &m->net);
	if (rc < 0) {
		m->net = NULL;
		/* once a minute is enough to say it again (e.g. no privileges for netlink and netns) */
		if (m->net_failures++ % 12 == 0)
			log_err("agent: pod network for %s: %s; retrying every %d s", cidr, strerror(-rc),
				PODS_NET_RETRY_SEC);
		evtimer_add(m->net_timer, &retry);
		return;
	}
	snprintf(m->pod_cidr, sizeof(m->pod_cidr), "%s", cidr);
	log_info("agent: pod network up: bridge " PODNET_BRIDGE ", podCIDR %s", cidr);
	if (sb_threads_start(m) < 0)
		log_warn("agent: no sandbox threads; sandboxes are built on the loop");
	routes_sync(m);
	queue_all(m);
}

static void on_net_timer(evutil_socket_t fd, short what, void *arg)
{
	net_try(arg);
	routes_sync(arg);
}

static void on_node_event(pods_t *m)
{
	net_try(m);
	routes_sync(m);
}

static void on_node_add(informer_t *inf, const json_t *obj, void *arg)
{
	on_node_event(arg);
}

static void on_node_update(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	on_node_event(arg);
}

static void on_node_delete(informer_t *inf, const json_t *obj, void *arg)
{
	on_node_event(arg);
}

/* ---- adoption and collection at start ------------------------------------------------------------------ */

typedef struct collect_ctx {
	pods_t *m;
	char (*uids)[64];
	size_t n, cap;
} collect_ctx_t;

static void collect_add(collect_ctx_t *cc, const char *uid)
{
	if (find(cc->m, uid) || strlen(uid) >= 64)
		return; /* a Pod of this node: adopted by its worker */
	for (size_t i = 0; i < cc->n; i++)
		if (strcmp(cc->uids[i], uid) == 0)
			return;
	if (cc->n == cc->cap) {
		size_t cap = cc->cap ? cc->cap * 2 : 16;
		void *p = realloc(cc->uids, cap * sizeof(*cc->uids));
		if (!p)
			return;
		cc->uids = p;
		cc->cap = cap;
	}
	snprintf(cc->uids[cc->n++], 64, "%s", uid);
}

static void collect_rt(const char *uid, bool running, void *arg)
{
	collect_add(arg, uid);
}

static void collect_net(const char *uid, void *arg)
{
	collect_add(arg, uid);
}

static void on_orphan_stopped(const char *uid, void *arg)
{
	pods_t *m = arg;

	if (find(m, uid))
		return; /* a Pod with this uid appeared meanwhile (cannot happen: uids are unique) */
	if (m->net)
		podnet_sandbox_delete(m->net, uid);
	runtime_pod_remove(m->rt, uid);
	log_info("agent: collected pod %s (its Pod is gone)", uid);
}

/* Once the Pod informer has synced (so "not in the cache" means "not on this node any more"):
 * stop and remove every pod whose Pod is gone. Sandboxes need the network (after the podCIDR). */
static void collect(pods_t *m)
{
	collect_ctx_t cc = { .m = m };

	runtime_pod_foreach(m->rt, collect_rt, &cc);
	if (m->net)
		podnet_sandbox_foreach(m->net, collect_net, &cc);
	for (size_t i = 0; i < cc.n; i++) {
		log_info("agent: pod %s runs here but its Pod is gone; stopping it", cc.uids[i]);
		if (runtime_pod_stop(m->rt, cc.uids[i], PODS_FORCE_GRACE, on_orphan_stopped, m) < 0)
			on_orphan_stopped(cc.uids[i], m);
	}
	free(cc.uids);
}

static void on_sync_timer(evutil_socket_t fd, short what, void *arg)
{
	pods_t *m = arg;
	struct timeval again = { 0, 200000 };

	if (m->collected)
		return;
	if (!informer_has_synced(m->pods) || !m->net) {
		evtimer_add(m->sync_timer, &again);
		return;
	}
	m->collected = true;
	collect(m);
}

static void on_runtime_change(const char *uid, void *arg)
{
	pods_t *m = arg;

	if (find(m, uid))
		workqueue_add(m->q, uid);
}

/* ---- what the caches keep ------------------------------------------------------------------------------- */

/* Services, for the service variables (podfiles.c reads metadata.name, spec.clusterIP and
 * spec.ports[].name/port/protocol): that much of each Service that has a cluster IP; headless and
 * ExternalName Services give no variables and stay out.
 *
 * Why one informer per namespace with pods here (ns_svcs(); default always, for the kubernetes
 * Service), not one on every Service: the kubelet's semantics need no more (a pod's own namespace
 * plus default/kubernetes), and a node of a big cluster hosts a few namespaces; cluster DNS in the
 * same agent holds 10,000 Services in ~18 MiB, and a cache of them all here cost as much again. The
 * price: the first pod of a namespace on this node waits for that namespace's list (one round trip,
 * started while its sandbox builds), and each such namespace has a watch of its own. */
static json_t *svc_keep(const json_t *svc, void *arg)
{
	const json_t *spec = json_object_get(svc, "spec"), *ip = json_object_get(spec, "clusterIP"), *p;
	json_t *out, *sp, *ports;
	size_t i;

	(void)arg;
	if (!json_is_string(ip) || !*json_string_value(ip) || strcmp(json_string_value(ip), "None") == 0)
		return NULL;
	out = informer_meta_copy(svc);
	sp = json_object();
	ports = json_array();
	if (!out || !sp || !ports || json_object_set(out, "spec", sp) < 0 || json_object_set(sp, "clusterIP", (json_t *)ip) < 0 ||
	    json_object_set(sp, "ports", ports) < 0)
		goto fail;
	json_array_foreach(json_object_get(spec, "ports"), i, p) {
		static const char *const keep[] = { "name", "port", "protocol" };
		json_t *o = json_object();

		if (!o || json_array_append_new(ports, o) < 0)
			goto fail;
		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
			json_t *v = json_object_get(p, keep[k]);
			if (v && json_object_set(o, keep[k], v) < 0)
				goto fail;
		}
	}
	json_decref(sp);
	json_decref(ports);
	return out;
fail:
	json_decref(sp);
	json_decref(ports);
	json_decref(out);
	return NULL;
}

/* Nodes: spec.podCIDR (our own: the pod network; the others': host-gw routes) and the first
 * InternalIP address (the routes' next hop). Nothing else of a Node is read here. */
static json_t *node_keep(const json_t *node, void *arg)
{
	const json_t *cidr = json_object_get(json_object_get(node, "spec"), "podCIDR"), *a;
	json_t *out = informer_meta_copy(node);
	size_t i;

	(void)arg;
	if (!out)
		return NULL;
	if (json_is_string(cidr) && json_object_set_new(out, "spec", json_pack("{s:O}", "podCIDR", cidr)) < 0)
		goto fail;
	json_array_foreach(json_object_get(json_object_get(node, "status"), "addresses"), i, a) {
		if (jstr(a, "type") && strcmp(jstr(a, "type"), "InternalIP") == 0 && jstr(a, "address")) {
			if (json_object_set_new(out, "status",
						json_pack("{s:[{s:s, s:O}]}", "addresses", "type", "InternalIP", "address",
							  json_object_get(a, "address"))) < 0)
				goto fail;
			break;
		}
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* ---- life cycle ------------------------------------------------------------------------------------------ */

static char *dup_or(const char *s, const char *def)
{
	return strdup(s && *s ? s : def);
}

int pods_new(kclient_t *c, const pods_config_t *cfg, pods_t **ret)
{
	pods_t *m;
	runtime_config_t rc_cfg = { 0 };
	char sel[320];
	informer_handlers_t ph = { on_pod_add, on_pod_update, on_pod_delete, NULL };
	informer_handlers_t nh = { on_node_add, on_node_update, on_node_delete, NULL };
	struct timeval now = { 0, 0 };
	int rc = -ENOMEM;

	if (!cfg || !cfg->node_name || !*cfg->node_name || !cfg->node_ip || !cfg->data_dir ||
	    strlen(cfg->node_name) > 253)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->c = c;
	m->base = kclient_base(c);
	m->sb_efd = -1;
	pthread_mutex_init(&m->sb_mu, NULL);
	pthread_cond_init(&m->sb_cv, NULL);
	m->node_name = strdup(cfg->node_name);
	m->node_ip = strdup(cfg->node_ip);
	m->data_dir = strdup(cfg->data_dir);
	m->cluster_cidr = dup_or(cfg->cluster_cidr, "10.42.0.0/16");
	m->service_cidr = dup_or(cfg->service_cidr, "10.43.0.0/16");
	m->cluster_dns = dup_or(cfg->cluster_dns, "10.43.0.10");
	m->cluster_domain = dup_or(cfg->cluster_domain, "cluster.local");
	m->exe = cfg->exe ? strdup(cfg->exe) : NULL;
	if (!m->node_name || !m->node_ip || !m->data_dir || !m->cluster_cidr || !m->service_cidr || !m->cluster_dns ||
	    !m->cluster_domain || (cfg->exe && !m->exe))
		goto fail;
	m->net_timer = evtimer_new(m->base, on_net_timer, m);
	m->sync_timer = evtimer_new(m->base, on_sync_timer, m);
	m->ev_kick = event_new(m->base, -1, 0, on_ev_kick, m);
	if (!m->net_timer || !m->sync_timer || !m->ev_kick)
		goto fail;
	rc = workqueue_new(m->base, PODS_PARALLEL, on_work, m, &m->q);
	if (rc < 0)
		goto fail;
	rc_cfg.data_dir = m->data_dir;
	rc_cfg.exe = m->exe;
	rc_cfg.cluster_dns = m->cluster_dns;
	rc_cfg.cluster_domain = m->cluster_domain;
	rc_cfg.on_change = on_runtime_change;
	rc_cfg.arg = m;
	rc = runtime_new(m->base, &rc_cfg, &m->rt);
	if (rc < 0) {
		m->rt = NULL;
		goto fail;
	}
	snprintf(sel, sizeof(sel), "spec.nodeName=%s", m->node_name);
	rc = informer_new(c, "/api/v1/pods", NULL, &m->pods);
	if (rc < 0)
		goto fail;
	rc = informer_set_field_selector(m->pods, sel);
	if (rc < 0)
		goto fail;
	rc = informer_new(c, "/api/v1/nodes", NULL, &m->nodes);
	if (rc < 0)
		goto fail;
	ph.arg = m;
	nh.arg = m;
	if ((rc = informer_set_transform(m->nodes, node_keep, NULL)) < 0 ||
	    (rc = informer_add_handlers(m->pods, &ph)) < 0 || (rc = informer_add_handlers(m->nodes, &nh)) < 0)
		goto fail;
	rc = -ENOMEM;
	if (!ns_svcs(m, "default", true))
		goto fail;
	informer_start(m->nodes);
	informer_start(m->pods);
	evtimer_add(m->sync_timer, &now);
	*ret = m;
	return 0;
fail:
	pods_free(m);
	return rc;
}

void pods_free(pods_t *m)
{
	if (!m)
		return;
	/* informers first: their handlers would queue work */
	informer_free(m->pods);
	informer_free(m->nodes);
	while (m->ns_svcs) {
		ns_svcs_t *e = m->ns_svcs;
		m->ns_svcs = e->next;
		informer_free(e->inf);
		free(e->ns);
		free(e);
	}
	while (m->workers) {
		pod_worker_t *w = m->workers;
		m->workers = w->next;
		worker_free(w);
	}
	events_free(m);
	sb_threads_stop(m); /* before the network they use */
	workqueue_free(m->q);
	runtime_free(m->rt);
	podnet_free(m->net);
	pthread_mutex_destroy(&m->sb_mu);
	pthread_cond_destroy(&m->sb_cv);
	if (m->net_timer)
		event_free(m->net_timer);
	if (m->sync_timer)
		event_free(m->sync_timer);
	free(m->node_name);
	free(m->node_ip);
	free(m->data_dir);
	free(m->cluster_cidr);
	free(m->service_cidr);
	free(m->cluster_dns);
	free(m->cluster_domain);
	free(m->exe);
	free(m);
}

runtime_t *pods_runtime(pods_t *m)
{
	return m->rt;
}


informer_t *pods_nodes(pods_t *m)
{
	return m->nodes;
}

const json_t *pods_find_name(pods_t *m, const char *ns, const char *name)
{
	char key[512];
	int n = snprintf(key, sizeof(key), "%s/%s", ns, name);

	return n > 0 && (size_t)n < sizeof(key) ? informer_get(m->pods, key) : NULL;
}

const json_t *pods_find(pods_t *m, const char *uid)
{
	pod_worker_t *w = find(m, uid);

	return w ? w->pod : NULL;
}
