/* The kubelet's pod status arithmetic (see pod_status.h): phase, the four conditions with their
 * reasons, container readiness from probes, and the addresses. */
#include "agent/pod_status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/probe.h"

static const char *str_at(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

const char *pod_status_phase(const json_t *containers, size_t nspec, const char *restart_policy, bool terminal)
{
	size_t running = 0, waiting = 0, stopped = 0, succeeded = 0, known = 0, i;
	const json_t *cs;

	json_array_foreach(containers, i, cs) {
		const json_t *st = json_object_get(cs, "state");
		const json_t *t;
		known++;
		if (json_object_get(st, "running")) {
			running++;
		} else if ((t = json_object_get(st, "terminated"))) {
			stopped++;
			if (json_integer_value(json_object_get(t, "exitCode")) == 0)
				succeeded++;
		} else if (json_object_get(json_object_get(cs, "lastState"), "terminated")) {
			/* waiting to restart after an exit: counts as stopped (getPhase) */
			stopped++;
			if (json_integer_value(json_object_get(json_object_get(json_object_get(cs, "lastState"),
									       "terminated"),
							       "exitCode")) == 0)
				succeeded++;
		} else {
			waiting++;
		}
	}
	if (known < nspec) /* containers the runtime knows nothing of yet */
		waiting += nspec - known;
	if (terminal && running == 0) {
		/* nothing will run again: the containers' exits decide (a container that never ran
		 * is a failure) */
		return stopped > 0 && stopped == succeeded && waiting == 0 ? "Succeeded" : "Failed";
	}
	if (waiting > 0)
		return "Pending";
	if (running > 0)
		return "Running";
	if (stopped > 0) {
		if (!restart_policy || strcmp(restart_policy, "Always") == 0)
			return "Running"; /* restarting */
		if (stopped == succeeded)
			return "Succeeded";
		if (strcmp(restart_policy, "Never") == 0)
			return "Failed";
		return "Running"; /* OnFailure: the failed ones restart */
	}
	return "Pending";
}

json_t *pod_status_waiting(const json_t *pod, const char *reason, const char *bad, const char *bad_reason,
			   const char *message)
{
	const json_t *ctrs = json_object_get(json_object_get(pod, "spec"), "containers"), *c;
	json_t *out = json_array();
	size_t i;

	if (!out)
		return NULL;
	json_array_foreach(ctrs, i, c) {
		const char *name = str_at(c, "name"), *image = str_at(c, "image");
		bool is_bad = bad && name && strcmp(name, bad) == 0;
		json_t *w = json_pack("{s:s}", "reason", is_bad && bad_reason ? bad_reason : reason);
		json_t *cs;
		if (w && is_bad && message)
			json_object_set_new(w, "message", json_string(message));
		cs = json_pack("{s:s, s:s, s:s, s:{s:o}, s:{}, s:b, s:i, s:b}", "name", name ? name : "", "image",
			       image ? image : "", "imageID", "", "state", "waiting", w, "lastState", "ready", 0,
			       "restartCount", 0, "started", 0);
		if (!cs || json_array_append_new(out, cs) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* A condition of the old status with this type, borrowed; NULL when none. */
static const json_t *old_condition(const json_t *old_status, const char *type)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(old_status, "conditions"), i, c) {
		const char *t = str_at(c, "type");
		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

/* Appends a condition; lastTransitionTime comes from the old one when its status is the same. */
static int add_condition(json_t *conds, const json_t *old_status, const char *type, bool status,
			 const char *reason, const char *message, const char *now)
{
	const json_t *old = old_condition(old_status, type);
	const char *want = status ? "True" : "False", *ltt = now;
	json_t *c;

	if (old && str_at(old, "status") && strcmp(str_at(old, "status"), want) == 0 && str_at(old, "lastTransitionTime"))
		ltt = str_at(old, "lastTransitionTime");
	/* lastProbeTime (always null from the kubelet) is left out: a null the server might drop
	 * would make every comparison differ */
	c = json_pack("{s:s, s:s, s:s}", "type", type, "status", want, "lastTransitionTime", ltt);
	if (!c)
		return -1;
	if (reason)
		json_object_set_new(c, "reason", json_string(reason));
	if (message)
		json_object_set_new(c, "message", json_string(message));
	return json_array_append_new(conds, c);
}

static const pod_probe_result_t *probe_of(const pod_status_input_t *in, const char *name)
{
	for (size_t i = 0; i < in->nprobes; i++)
		if (in->probes[i].name && name && strcmp(in->probes[i].name, name) == 0)
			return &in->probes[i];
	return NULL;
}

/* Appends s to the Go-formatted list in buf ("[a b]" is built as "a b", bracketed later). */
static void list_add(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 >= len)
		return;
	snprintf(buf + n, len - n, "%s%s", n ? " " : "", s);
}

json_t *pod_status_compute(const pod_status_input_t *in)
{
	const json_t *spec, *old;
	json_t *st = NULL, *cstat = NULL, *conds = NULL, *cs;
	const char *phase, *rp;
	char unready[512] = "", msg[600];
	size_t i, nspec;
	bool all_ready = true;

	if (!in || !in->pod)
		return NULL;
	spec = json_object_get(in->pod, "spec");
	old = json_object_get(in->pod, "status");
	nspec = json_array_size(json_object_get(spec, "containers"));
	rp = str_at(spec, "restartPolicy");
	st = json_is_object(old) ? json_deep_copy(old) : json_object();
	cstat = in->containers ? json_deep_copy(in->containers) : json_array();
	conds = json_array();
	if (!st || !cstat || !conds)
		goto nomem;

	/* containers: ready and started from the probes, only while running */
	json_array_foreach(cstat, i, cs) {
		const char *name = str_at(cs, "name");
		const pod_probe_result_t *p = probe_of(in, name);
		bool running = json_object_get(json_object_get(cs, "state"), "running") != NULL;
		bool started = running && (!p || p->started);
		bool ready = started && (!p || p->ready);
		json_object_set_new(cs, "started", json_boolean(started));
		json_object_set_new(cs, "ready", json_boolean(ready));
		if (!ready) {
			all_ready = false;
			list_add(unready, sizeof(unready), name ? name : "");
		}
	}
	if (json_array_size(cstat) < nspec) {
		all_ready = false;
		for (i = json_array_size(cstat); i < nspec; i++)
			list_add(unready, sizeof(unready),
				 str_at(json_array_get(json_object_get(spec, "containers"), i), "name")
					 ? str_at(json_array_get(json_object_get(spec, "containers"), i), "name")
					 : "");
	}
	if (in->reason)
		phase = "Failed";
	else
		phase = pod_status_phase(cstat, nspec, rp, in->terminal);

	/* conditions, in the order the kubelet lists them */
	if (add_condition(conds, old, "Initialized", true, NULL, NULL, in->now) < 0)
		goto nomem;
	if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0) {
		all_ready = false;
		if (add_condition(conds, old, "Ready", false, "PodCompleted", NULL, in->now) < 0 ||
		    add_condition(conds, old, "ContainersReady", false, "PodCompleted", NULL, in->now) < 0)
			goto nomem;
	} else if (all_ready) {
		if (add_condition(conds, old, "Ready", true, NULL, NULL, in->now) < 0 ||
		    add_condition(conds, old, "ContainersReady", true, NULL, NULL, in->now) < 0)
			goto nomem;
	} else {
		snprintf(msg, sizeof(msg), "containers with unready status: [%s]", unready);
		if (add_condition(conds, old, "Ready", false, "ContainersNotReady", msg, in->now) < 0 ||
		    add_condition(conds, old, "ContainersReady", false, "ContainersNotReady", msg, in->now) < 0)
			goto nomem;
	}
	if (add_condition(conds, old, "PodScheduled", true, NULL, NULL, in->now) < 0)
		goto nomem;

	json_object_set_new(st, "phase", json_string(phase));
	json_object_set_new(st, "conditions", conds);
	conds = NULL;
	if (in->reason) {
		json_object_set_new(st, "reason", json_string(in->reason));
		json_object_set_new(st, "message", json_string(in->message ? in->message : ""));
	} else {
		json_object_del(st, "reason");
		json_object_del(st, "message");
	}
	if (in->host_ip && *in->host_ip) {
		json_object_set_new(st, "hostIP", json_string(in->host_ip));
		json_object_set_new(st, "hostIPs", json_pack("[{s:s}]", "ip", in->host_ip));
	}
	if (in->pod_ip && *in->pod_ip) {
		json_object_set_new(st, "podIP", json_string(in->pod_ip));
		json_object_set_new(st, "podIPs", json_pack("[{s:s}]", "ip", in->pod_ip));
	}
	if (!str_at(st, "startTime"))
		json_object_set_new(st, "startTime", json_string(in->now));
	json_object_set_new(st, "containerStatuses", cstat);
	return st;
nomem:
	json_decref(st);
	json_decref(cstat);
	json_decref(conds);
	return NULL;
}

bool pod_status_changed(const json_t *old, const json_t *want)
{
	if (!old || !want)
		return old != want;
	return !json_equal((json_t *)old, (json_t *)want);
}

/* ---- admission ------------------------------------------------------------------------------------ */

static const char *port_proto(const json_t *p)
{
	const char *proto = str_at(p, "protocol");
	return proto && *proto ? proto : "TCP";
}

int pod_check_config(const json_t *pod, char *ret_container, size_t clen, char *msg, size_t mlen)
{
	const json_t *ctrs = json_object_get(json_object_get(pod, "spec"), "containers"), *c, *c2, *p, *p2;
	size_t i, j, k, l;

	json_array_foreach(ctrs, i, c) {
		const char *name = str_at(c, "name") ? str_at(c, "name") : "";
		for (int kind = PROBE_LIVENESS; kind <= PROBE_STARTUP; kind++) {
			probe_spec_t s;
			char err[256];
			int rc = probe_spec_parse(c, (probe_kind_t)kind, &s, err, sizeof(err));
			if (rc == 0) {
				probe_spec_clear(&s);
				continue;
			}
			if (rc == -ENOENT)
				continue;
			snprintf(ret_container, clen, "%s", name);
			if (rc == -ENOMEM)
				snprintf(msg, mlen, "out of memory");
			else
				snprintf(msg, mlen, "invalid probe: spec.containers[%zu].%s", i, err);
			return rc;
		}
		/* the same port twice in one network namespace: the second bind would fail */
		json_array_foreach(json_object_get(c, "ports"), k, p) {
			json_int_t port = json_integer_value(json_object_get(p, "containerPort"));
			json_array_foreach(ctrs, j, c2) {
				if (j > i)
					break;
				json_array_foreach(json_object_get(c2, "ports"), l, p2) {
					if (j == i && l >= k)
						break;
					if (json_integer_value(json_object_get(p2, "containerPort")) == port &&
					    strcmp(port_proto(p), port_proto(p2)) == 0) {
						snprintf(ret_container, clen, "%s", name);
						snprintf(msg, mlen,
							 "port conflict: containerPort %lld/%s of container %s is also used by "
							 "container %s",
							 (long long)port, port_proto(p), name,
							 str_at(c2, "name") ? str_at(c2, "name") : "");
						return -EINVAL;
					}
				}
			}
		}
	}
	return 0;
}

/* Two hostIPs clash when equal or either is unset/0.0.0.0 (the scheduler's NodePorts rule). */
static bool host_ip_overlap(const char *a, const char *b)
{
	bool wa = !a || !*a || strcmp(a, "0.0.0.0") == 0, wb = !b || !*b || strcmp(b, "0.0.0.0") == 0;
	return wa || wb || strcmp(a, b) == 0;
}

bool pod_host_ports_clash(const json_t *pod, const json_t *const *others, size_t n, char *msg, size_t mlen)
{
	const json_t *c, *p, *oc, *op;
	size_t i, j, k, l;

	json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c) {
		json_array_foreach(json_object_get(c, "ports"), j, p) {
			json_int_t hp = json_integer_value(json_object_get(p, "hostPort"));
			if (hp <= 0)
				continue;
			for (size_t o = 0; o < n; o++) {
				json_array_foreach(json_object_get(json_object_get(others[o], "spec"), "containers"), k, oc) {
					json_array_foreach(json_object_get(oc, "ports"), l, op) {
						if (json_integer_value(json_object_get(op, "hostPort")) != hp ||
						    strcmp(port_proto(p), port_proto(op)) != 0 ||
						    !host_ip_overlap(str_at(p, "hostIP"), str_at(op, "hostIP")))
							continue;
						snprintf(msg, mlen,
							 "Pod was rejected: node(s) didn't have free ports for the requested "
							 "pod ports (hostPort %lld/%s is held by pod %s)",
							 (long long)hp, port_proto(p),
							 str_at(json_object_get(others[o], "metadata"), "name")
								 ? str_at(json_object_get(others[o], "metadata"), "name")
								 : "");
						return true;
					}
				}
			}
		}
	}
	return false;
}
