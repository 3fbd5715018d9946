/* Helpers shared by the controllers (see ctrl_util.h). */
#include "controllers/ctrl_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ctrl_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

const char *ctrl_meta(const json_t *o, const char *k)
{
	return ctrl_str(json_object_get(o, "metadata"), k);
}

long long ctrl_rv_num(const char *s)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return *end || errno ? -1 : v;
}

void ctrl_time_format(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int ctrl_time_parse(const char *s, time_t *ret)
{
	struct tm tm = { 0 };
	const char *end;

	if (!s)
		return -EINVAL;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -EINVAL;
	if (*end == '.') {
		end++;
		while (*end >= '0' && *end <= '9')
			end++;
	}
	if (strcmp(end, "Z") != 0)
		return -EINVAL;
	*ret = timegm(&tm);
	return 0;
}

const json_t *ctrl_controller_ref(const json_t *obj)
{
	const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), *r;
	size_t i;

	json_array_foreach(refs, i, r)
		if (json_is_true(json_object_get(r, "controller")))
			return r;
	return NULL;
}

bool ctrl_owned_by(const json_t *obj, const char *uid)
{
	const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), *r;
	size_t i;

	if (!uid)
		return false;
	json_array_foreach(refs, i, r) {
		const char *u = ctrl_str(r, "uid");
		if (u && strcmp(u, uid) == 0)
			return true;
	}
	return false;
}

const json_t *ctrl_pod_condition(const json_t *pod, const char *type)
{
	const json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c) {
		const char *t = ctrl_str(c, "type");
		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

bool ctrl_pod_active(const json_t *pod)
{
	const char *phase = ctrl_str(json_object_get(pod, "status"), "phase");

	if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
		return false;
	return !phase || (strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0);
}

int ctrl_event_emit(kclient_t *c, const json_t *obj, const char *api_version, const char *kind, const char *type,
		    const char *reason, const char *message, const char *component)
{
	const char *name = ctrl_meta(obj, "name"), *ns = ctrl_meta(obj, "namespace");
	struct timespec ts;
	char now[32], ename[320], path[400];
	json_t *ev, *io;
	int rc;

	if (!name)
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &ts);
	ctrl_time_format(ts.tv_sec, now, sizeof(now));
	/* upstream names events <object>.<hex of the time in ns>; add randomness for same-ns bursts */
	snprintf(ename, sizeof(ename), "%.240s.%llx%04x", name,
		 (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec,
		 (unsigned)(random() & 0xffff));
	io = json_pack("{s:s, s:s, s:s}", "apiVersion", api_version, "kind", kind, "name", name);
	if (!io)
		return -ENOMEM;
	if (ns)
		json_object_set_new(io, "namespace", json_string(ns));
	if (ctrl_meta(obj, "uid"))
		json_object_set_new(io, "uid", json_string(ctrl_meta(obj, "uid")));
	if (ctrl_meta(obj, "resourceVersion"))
		json_object_set_new(io, "resourceVersion", json_string(ctrl_meta(obj, "resourceVersion")));
	ev = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:s, s:{s:s}, s:s, s:s, s:i, s:s, s:s}",
		       "apiVersion", "v1", "kind", "Event", "metadata", "name", ename, "namespace", ns ? ns : "default",
		       "involvedObject", io, "reason", reason, "message", message, "type", type, "source",
		       "component", component, "firstTimestamp", now, "lastTimestamp", now, "count", 1,
		       "reportingComponent", component, "reportingInstance", "portico");
	if (!ev)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events", ns ? ns : "default");
	rc = kclient_request(c, "POST", path, ev, NULL, NULL, NULL, NULL);
	json_decref(ev);
	return rc;
}
