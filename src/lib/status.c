/* Status objects as k8s.io/apimachinery/pkg/api/errors builds them: the reason, code and message
 * wording are what kubectl prints ("Error from server (NotFound): services "x" not found"). */
#include "lib/status.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *status_new(int code, const char *reason, const char *message, json_t *details)
{
	json_t *st = json_pack("{s:s, s:s, s:{}, s:s, s:s}", "kind", "Status", "apiVersion", "v1", "metadata",
			       "status", code < 400 ? "Success" : "Failure", "message", message ? message : "");
	if (!st) {
		json_decref(details);
		return NULL;
	}
	if (reason && *reason)
		json_object_set_new(st, "reason", json_string(reason));
	if (details)
		json_object_set_new(st, "details", details);
	json_object_set_new(st, "code", json_integer(code));
	return st;
}

json_t *status_success(void)
{
	json_t *st = json_pack("{s:s, s:s, s:{}, s:s, s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
			       "status", "Success", "code", 200);
	return st;
}

/* "services" or "deployments.apps": upstream's schema.GroupResource.String(). */
static char *group_resource(const char *group, const char *resource)
{
	char *s;

	if (asprintf(&s, "%s%s%s", resource, group && *group ? "." : "", group ? group : "") < 0)
		return NULL;
	return s;
}

static json_t *details(const char *group, const char *kind, const char *name)
{
	json_t *d = json_object();

	if (!d)
		return NULL;
	if (name && *name)
		json_object_set_new(d, "name", json_string(name));
	if (group && *group)
		json_object_set_new(d, "group", json_string(group));
	if (kind && *kind)
		json_object_set_new(d, "kind", json_string(kind));
	return d;
}

static json_t *named(int code, const char *reason, const char *group, const char *resource, const char *name,
		     const char *fmt)
{
	char *gr = group_resource(group, resource), *msg = NULL;
	json_t *st;

	if (!gr || asprintf(&msg, fmt, gr, name ? name : "") < 0) {
		free(gr);
		return NULL;
	}
	st = status_new(code, reason, msg, details(group, resource, name));
	free(gr);
	free(msg);
	return st;
}

json_t *status_not_found(const char *group, const char *resource, const char *name)
{
	return named(404, "NotFound", group, resource, name, "%s \"%s\" not found");
}

json_t *status_already_exists(const char *group, const char *resource, const char *name)
{
	return named(409, "AlreadyExists", group, resource, name, "%s \"%s\" already exists");
}

json_t *status_conflict(const char *group, const char *resource, const char *name, const char *msg)
{
	char *gr = group_resource(group, resource), *full = NULL;
	json_t *st;

	if (!gr || asprintf(&full, "Operation cannot be fulfilled on %s \"%s\": %s", gr, name ? name : "",
			    msg ? msg : "") < 0) {
		free(gr);
		return NULL;
	}
	st = status_new(409, "Conflict", full, details(group, resource, name));
	free(gr);
	free(full);
	return st;
}

json_t *status_invalid(const char *group, const char *kind, const char *name, json_t *errs)
{
	/* NewInvalid: "%s %q is invalid: %v" with the aggregate of "field: body" strings, bracketed when
	 * there is more than one (utilerrors.NewAggregate dedups identical messages). */
	size_t n = json_array_size(errs), cap = 256, len = 0, distinct = 0;
	char *agg = malloc(cap), *msg = NULL, *qk = NULL;
	json_t *st, *d;

	if (!agg)
		goto oom;
	agg[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(errs, i);
		const char *f = json_string_value(json_object_get(c, "field"));
		const char *m = json_string_value(json_object_get(c, "message"));
		char *one = NULL;
		bool dup = false;
		if (asprintf(&one, "%s%s%s", f && *f ? f : "", f && *f ? ": " : "", m ? m : "") < 0)
			goto oom;
		for (size_t j = 0; j < i && !dup; j++) {
			json_t *p = json_array_get(errs, j);
			const char *pf = json_string_value(json_object_get(p, "field"));
			const char *pm = json_string_value(json_object_get(p, "message"));
			dup = pf && f && pm && m && strcmp(pf, f) == 0 && strcmp(pm, m) == 0;
		}
		if (!dup) {
			size_t ol = strlen(one);
			if (len + ol + 3 > cap) {
				char *na = realloc(agg, cap = (len + ol + 3) * 2);
				if (!na) {
					free(one);
					goto oom;
				}
				agg = na;
			}
			len += (size_t)sprintf(agg + len, "%s%s", distinct ? ", " : "", one);
			distinct++;
		}
		free(one);
	}
	if (asprintf(&qk, "%s%s%s", kind, group && *group ? "." : "", group ? group : "") < 0)
		goto oom;
	if (asprintf(&msg, distinct > 1 ? "%s \"%s\" is invalid: [%s]" : "%s \"%s\" is invalid: %s", qk,
		     name ? name : "", agg) < 0)
		goto oom;
	d = details(group, kind, name);
	if (d)
		json_object_set_new(d, "causes", errs ? errs : json_array());
	else
		json_decref(errs);
	st = status_new(422, "Invalid", msg, d);
	free(agg);
	free(msg);
	free(qk);
	return st;
oom:
	free(agg);
	free(msg);
	free(qk);
	json_decref(errs);
	return NULL;
}

json_t *status_bad_request(const char *message)
{
	return status_new(400, "BadRequest", message, NULL);
}

json_t *status_unauthorized(void)
{
	return status_new(401, "Unauthorized", "Unauthorized", NULL);
}

json_t *status_forbidden(const char *message)
{
	return status_new(403, "Forbidden", message, NULL);
}

json_t *status_method_not_allowed(const char *message)
{
	return status_new(405, "MethodNotAllowed",
			  message ? message : "the server does not allow this method on the requested resource",
			  NULL);
}

json_t *status_gone(const char *message)
{
	return status_new(410, "Expired", message, NULL);
}

json_t *status_too_large(const char *message)
{
	return status_new(413, "RequestEntityTooLarge", message, NULL);
}

json_t *status_unsupported_media(const char *message)
{
	return status_new(415, "UnsupportedMediaType", message, NULL);
}

json_t *status_too_many(const char *message)
{
	return status_new(429, "TooManyRequests", message, NULL);
}

json_t *status_internal(const char *message)
{
	char *m = NULL;
	json_t *st;

	if (asprintf(&m, "Internal error occurred: %s", message ? message : "") < 0)
		return NULL;
	st = status_new(500, "InternalError", m, NULL);
	free(m);
	return st;
}
