/* The pod directory's two documents, shared by the agent's side and the supervisor: spec.json parsed
 * into rt_spec_t, and status.json turned into the kubelet's containerStatuses. Both files are on
 * disk where anything could have changed them, so both are parsed defensively. */
#include "agent/runtime_dir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

bool rt_valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return s[0] != '-' && s[n - 1] != '-';
}

void rt_spec_free(rt_spec_t *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nctrs; i++) {
		rt_spec_ctr_t *c = &s->ctrs[i];

		free(c->name);
		free(c->image);
		free(c->working_dir);
		json_decref(c->command);
		json_decref(c->args);
		json_decref(c->env);
	}
	free(s->ctrs);
	free(s->uid);
	free(s->ns);
	free(s->name);
	free(s->hostname);
	free(s->netns);
	free(s->pod_ip);
	free(s->exe);
	free(s->image_map);
	free(s->restart_policy);
	free(s);
}

/* A string field, copied; def when absent (NULL def: required). */
static int dup_field(const json_t *o, const char *k, const char *def, char **ret, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, k);
	const char *s;

	if (!v || json_is_null(v)) {
		if (!def) {
			snprintf(err, errlen, "%s: required", k);
			return -EINVAL;
		}
		s = def;
	} else if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: not a string", k);
		return -EINVAL;
	} else {
		s = json_string_value(v);
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int str_array(const json_t *o, const char *k, json_t **ret, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, k), *e;
	size_t i;

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > 4096) {
		snprintf(err, errlen, "%s: not a string array", k);
		return -EINVAL;
	}
	json_array_foreach(v, i, e)
		if (!json_is_string(e)) {
			snprintf(err, errlen, "%s[%zu]: not a string", k, i);
			return -EINVAL;
		}
	*ret = json_deep_copy(v);
	return *ret ? 0 : -ENOMEM;
}

static int env_array(const json_t *o, json_t **ret, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, "env"), *e;
	size_t i;

	if (v && !json_is_array(v)) {
		snprintf(err, errlen, "env: not an array");
		return -EINVAL;
	}
	json_array_foreach(v, i, e) {
		const char *n = jstr(e, "name");

		if (!n || !*n || strchr(n, '=') || !json_is_string(json_object_get(e, "value"))) {
			snprintf(err, errlen, "env[%zu]: needs a name (without '=') and a string value", i);
			return -EINVAL;
		}
	}
	*ret = v ? json_deep_copy(v) : json_array();
	return *ret ? 0 : -ENOMEM;
}

int rt_spec_parse(const char *text, size_t len, rt_spec_t **ret, char *err, size_t errlen)
{
	json_t *root, *ctrs, *c;
	rt_spec_t *s;
	json_error_t jerr;
	size_t i;
	int rc;

	if (errlen)
		err[0] = '\0';
	if (len > RT_MAX_SPEC) {
		snprintf(err, errlen, "larger than %d bytes", RT_MAX_SPEC);
		return -EINVAL;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object: %s", root ? "" : jerr.text);
		json_decref(root);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(root);
		return -ENOMEM;
	}
	if ((rc = dup_field(root, "uid", NULL, &s->uid, err, errlen)) < 0 ||
	    (rc = dup_field(root, "namespace", "default", &s->ns, err, errlen)) < 0 ||
	    (rc = dup_field(root, "name", NULL, &s->name, err, errlen)) < 0 ||
	    (rc = dup_field(root, "hostname", s->name, &s->hostname, err, errlen)) < 0 ||
	    (rc = dup_field(root, "netns", "", &s->netns, err, errlen)) < 0 ||
	    (rc = dup_field(root, "podIP", "", &s->pod_ip, err, errlen)) < 0 ||
	    (rc = dup_field(root, "exe", "/proc/self/exe", &s->exe, err, errlen)) < 0 ||
	    (rc = dup_field(root, "imageMap", "", &s->image_map, err, errlen)) < 0 ||
	    (rc = dup_field(root, "restartPolicy", "Always", &s->restart_policy, err, errlen)) < 0)
		goto fail;
	rc = -EINVAL;
	if (strcmp(s->restart_policy, "Always") && strcmp(s->restart_policy, "OnFailure") &&
	    strcmp(s->restart_policy, "Never")) {
		snprintf(err, errlen, "restartPolicy: unsupported value");
		goto fail;
	}
	if (strlen(s->hostname) > 64) {
		snprintf(err, errlen, "hostname: longer than 64");
		goto fail;
	}
	s->host_network = json_is_true(json_object_get(root, "hostNetwork"));
	{
		const json_t *g = json_object_get(root, "gracePeriodSeconds");
		json_int_t gv = g ? json_integer_value(g) : 30;

		if ((g && !json_is_integer(g)) || gv < 0 || gv > 86400 * 365) {
			snprintf(err, errlen, "gracePeriodSeconds: not an integer in range");
			goto fail;
		}
		s->grace_sec = (int)gv;
	}
	ctrs = json_object_get(root, "containers");
	if (!json_is_array(ctrs) || json_array_size(ctrs) == 0 || json_array_size(ctrs) > RT_MAX_CTRS) {
		snprintf(err, errlen, "containers: 1 to %d needed", RT_MAX_CTRS);
		goto fail;
	}
	s->ctrs = calloc(json_array_size(ctrs), sizeof(*s->ctrs));
	if (!s->ctrs) {
		rc = -ENOMEM;
		goto fail;
	}
	json_array_foreach(ctrs, i, c) {
		rt_spec_ctr_t *sc = &s->ctrs[i];

		s->nctrs = i + 1;
		if (!json_is_object(c)) {
			snprintf(err, errlen, "containers[%zu]: not an object", i);
			rc = -EINVAL;
			goto fail;
		}
		if ((rc = dup_field(c, "name", NULL, &sc->name, err, errlen)) < 0 ||
		    (rc = dup_field(c, "image", "", &sc->image, err, errlen)) < 0 ||
		    (rc = dup_field(c, "workingDir", "", &sc->working_dir, err, errlen)) < 0 ||
		    (rc = str_array(c, "command", &sc->command, err, errlen)) < 0 ||
		    (rc = str_array(c, "args", &sc->args, err, errlen)) < 0 ||
		    (rc = env_array(c, &sc->env, err, errlen)) < 0)
			goto fail;
		rc = -EINVAL;
		if (!rt_valid_name(sc->name)) {
			snprintf(err, errlen, "containers[%zu].name: not a DNS label", i);
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->ctrs[j].name, sc->name) == 0) {
				snprintf(err, errlen, "containers[%zu].name: duplicate", i);
				goto fail;
			}
	}
	json_decref(root);
	*ret = s;
	return 0;
fail:
	json_decref(root);
	rt_spec_free(s);
	return rc;
}

static json_t *waiting(const char *reason, const char *message)
{
	json_t *w = json_pack("{s:s}", "reason", reason);

	if (w && message)
		json_object_set_new(w, "message", json_string(message));
	return json_pack("{s:o*}", "waiting", w);
}

/* A state object from status.json, checked to be one of the three shapes; a copy, or NULL. */
static json_t *copy_state(const json_t *st)
{
	const char *keys[] = { "waiting", "running", "terminated" };

	if (!json_is_object(st) || json_object_size(st) != 1)
		return NULL;
	for (size_t i = 0; i < 3; i++)
		if (json_is_object(json_object_get(st, keys[i])))
			return json_deep_copy(st);
	return NULL;
}

static const json_t *find_ctr(const json_t *ctrs, const char *name)
{
	const json_t *c;
	size_t i;

	json_array_foreach(ctrs, i, c) {
		const char *n = jstr(c, "name");

		if (n && strcmp(n, name) == 0)
			return c;
	}
	return NULL;
}

json_t *rt_status_to_k8s(const rt_spec_t *spec, const char *text, size_t len, bool alive)
{
	json_t *root = NULL, *out = json_array();
	const json_t *ctrs = NULL;

	if (!out)
		return NULL;
	if (text && len <= RT_MAX_STATUS)
		root = json_loadb(text, len, 0, NULL);
	ctrs = json_object_get(root, "containers");
	for (size_t i = 0; i < spec->nctrs; i++) {
		const rt_spec_ctr_t *sc = &spec->ctrs[i];
		const json_t *c = find_ctr(ctrs, sc->name);
		json_t *st = NULL, *last = NULL, *o;
		json_int_t rc = 0;
		const char *image_id = "", *cid = "";
		bool started = false;

		if (c) {
			st = copy_state(json_object_get(c, "state"));
			last = copy_state(json_object_get(c, "lastState"));
			rc = json_integer_value(json_object_get(c, "restartCount"));
			if (rc < 0 || rc > 1000000000)
				rc = 0;
			if (jstr(c, "imageID"))
				image_id = jstr(c, "imageID");
			if (jstr(c, "containerID"))
				cid = jstr(c, "containerID");
			started = json_is_true(json_object_get(c, "started"));
		}
		if (!st)
			st = waiting("ContainerCreating", NULL);
		if (!alive && json_object_get(st, "running")) {
			/* The supervisor is gone and its containers with it (they die with it). */
			json_t *t = json_pack("{s:i,s:s,s:s}", "exitCode", 137, "reason", "ContainerStatusUnknown", "message",
					      "The container could not be located when the pod was terminated");
			const json_t *sa = json_object_get(json_object_get(st, "running"), "startedAt");

			if (t && sa)
				json_object_set(t, "startedAt", (json_t *)sa);
			json_decref(st);
			st = json_pack("{s:o*}", "terminated", t);
			started = false;
		}
		if (!last)
			last = json_object();
		o = json_pack("{s:s,s:s,s:s,s:s,s:o*,s:o*,s:I,s:b,s:b}", "name", sc->name, "image", sc->image, "imageID",
			      image_id, "containerID", cid, "state", st, "lastState", last, "restartCount", rc, "started",
			      started && json_object_get(st, "running") != NULL, "ready", 0);
		if (!o || json_array_append_new(out, o) < 0) {
			json_decref(root);
			json_decref(out);
			return NULL;
		}
	}
	json_decref(root);
	return out;
}
