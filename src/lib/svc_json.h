/* Read-only accessors the Service registry files share. A JSON null reads as absent (Go decodes null
 * into the zero value) and a member of the wrong type reads as its zero value: svc_check_types()
 * reports wrong types separately. Internal to src/lib/svc_*.c. */
#pragma once
#include <jansson.h>

static inline json_t *jget(const json_t *o, const char *k)
{
	json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;

	return json_is_null(v) ? NULL : v;
}

static inline const char *jstr(const json_t *o, const char *k)
{
	json_t *v = jget(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

static inline json_t *jspec(const json_t *svc)
{
	json_t *s = jget(svc, "spec");

	return json_is_object(s) ? s : NULL;
}

static inline size_t jlen(const json_t *o, const char *k)
{
	json_t *v = jget(o, k);

	return json_is_array(v) ? json_array_size(v) : 0;
}

/* An int32 field; 0 (Go's zero value) when absent or not an integer. */
static inline long long jint(const json_t *o, const char *k)
{
	json_t *v = jget(o, k);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* The i-th string of an array member; "" when absent or not a string. */
static inline const char *jat(const json_t *o, const char *k, size_t i)
{
	json_t *v = jget(o, k), *e = json_is_array(v) ? json_array_get(v, i) : NULL;

	return json_is_string(e) ? json_string_value(e) : "";
}
