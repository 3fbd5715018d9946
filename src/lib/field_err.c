/* Upstream field.Error wording. ErrorBody(): "<Type>: <value>: <detail>" with the value left out for
 * Required, Forbidden, TooLong and Internal (apimachinery util/validation/field/errors.go). */
#include "lib/field_err.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ferr_quote(const char *s)
{
	size_t n = strlen(s), cap = n * 4 + 3, o = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': out[o++] = '\\'; out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
		case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
		case '\t': out[o++] = '\\'; out[o++] = 't'; break;
		case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
			else
				out[o++] = (char)*p;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

char *ferr_format_value(const json_t *v)
{
	char *s = NULL;

	if (!v)
		return strdup("null");
	switch (json_typeof(v)) {
	case JSON_STRING:
		return ferr_quote(json_string_value(v));
	case JSON_INTEGER:
		if (asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0)
			return NULL;
		return s;
	case JSON_REAL:
		if (asprintf(&s, "%g", json_real_value(v)) < 0)
			return NULL;
		return s;
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	case JSON_NULL:
		return strdup("null");
	default:
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
}

static void add(json_t *errs, const char *reason, const char *field, char *message)
{
	json_t *c;

	if (!message)
		return;
	c = json_pack("{s:s, s:s, s:s}", "reason", reason, "message", message, "field", field);
	free(message);
	if (c)
		json_array_append_new(errs, c);
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, f);
	r = vasprintf(&s, f, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

static char *with_detail(const char *head, const char *detail)
{
	return detail && *detail ? fmt("%s: %s", head, detail) : strdup(head);
}

void ferr_required(json_t *errs, const char *field, const char *detail)
{
	add(errs, "FieldValueRequired", field, with_detail("Required value", detail));
}

static void invalid_formatted(json_t *errs, const char *field, char *value, const char *detail)
{
	if (!value)
		return;
	add(errs, "FieldValueInvalid", field,
	    detail && *detail ? fmt("Invalid value: %s: %s", value, detail) : fmt("Invalid value: %s", value));
	free(value);
}

void ferr_invalid(json_t *errs, const char *field, const json_t *value, const char *detail)
{
	invalid_formatted(errs, field, ferr_format_value(value), detail);
}

void ferr_invalid_str(json_t *errs, const char *field, const char *value, const char *detail)
{
	invalid_formatted(errs, field, ferr_quote(value ? value : ""), detail);
}

void ferr_invalid_int(json_t *errs, const char *field, long long value, const char *detail)
{
	invalid_formatted(errs, field, fmt("%lld", value), detail);
}

static void not_supported_formatted(json_t *errs, const char *field, char *value, const char *const *valid)
{
	size_t cap = 64, len = 0;
	char *list, *msg;

	if (!value)
		return;
	list = calloc(1, cap);
	for (size_t i = 0; list && valid && valid[i]; i++) {
		char *q = ferr_quote(valid[i]);
		size_t ql = q ? strlen(q) : 0;
		if (!q || len + ql + 3 > cap) {
			char *n = q ? realloc(list, cap = (cap + ql + 3) * 2) : NULL;
			if (!n) {
				free(q);
				free(list);
				list = NULL;
				break;
			}
			list = n;
		}
		len += (size_t)sprintf(list + len, "%s%s", i ? ", " : "", q);
		free(q);
	}
	if (!list) {
		free(value);
		return;
	}
	msg = len ? fmt("Unsupported value: %s: supported values: %s", value, list)
		  : fmt("Unsupported value: %s", value);
	free(list);
	free(value);
	add(errs, "FieldValueNotSupported", field, msg);
}

void ferr_not_supported(json_t *errs, const char *field, const json_t *value, const char *const *valid)
{
	not_supported_formatted(errs, field, ferr_format_value(value), valid);
}

void ferr_not_supported_str(json_t *errs, const char *field, const char *value, const char *const *valid)
{
	not_supported_formatted(errs, field, ferr_quote(value ? value : ""), valid);
}

void ferr_duplicate(json_t *errs, const char *field, const json_t *value)
{
	char *v = ferr_format_value(value);

	if (v)
		add(errs, "FieldValueDuplicate", field, fmt("Duplicate value: %s", v));
	free(v);
}

void ferr_forbidden(json_t *errs, const char *field, const char *detail)
{
	add(errs, "FieldValueForbidden", field, with_detail("Forbidden", detail));
}

void ferr_too_long(json_t *errs, const char *field, long long max)
{
	add(errs, "FieldValueTooLong", field, fmt("Too long: may not be more than %lld bytes", max));
}

void ferr_too_many(json_t *errs, const char *field, long long actual, long long max)
{
	add(errs, "FieldValueTooMany", field, fmt("Too many: %lld: must have at most %lld items", actual, max));
}

void ferr_internal(json_t *errs, const char *field, const char *detail)
{
	add(errs, "InternalError", field, with_detail("Internal error", detail));
}
