/* Field errors as upstream's field.ErrorList (k8s.io/apimachinery/pkg/util/validation/field):
 * a JSON array of Status causes {"reason", "message", "field"} with upstream's exact wording, so a
 * validation failure becomes a 422 Status whose details.causes and message match kube-apiserver's.
 *
 * Value formatting follows Go's %v of the Go value: strings quoted (%q), integers bare, booleans
 * true/false. Every function appends to errs (a JSON array the caller owns) and ignores ENOMEM. */
#pragma once
#include <jansson.h>

/* "Required value" [": " detail] */
void ferr_required(json_t *errs, const char *field, const char *detail);
/* "Invalid value: " value [": " detail]; value is formatted as Go would print it */
void ferr_invalid(json_t *errs, const char *field, const json_t *value, const char *detail);
void ferr_invalid_str(json_t *errs, const char *field, const char *value, const char *detail);
void ferr_invalid_int(json_t *errs, const char *field, long long value, const char *detail);
/* "Unsupported value: " value [": supported values: " "a", "b"]; valid is NULL-terminated */
void ferr_not_supported(json_t *errs, const char *field, const json_t *value, const char *const *valid);
void ferr_not_supported_str(json_t *errs, const char *field, const char *value, const char *const *valid);
/* "Duplicate value: " value */
void ferr_duplicate(json_t *errs, const char *field, const json_t *value);
/* "Forbidden" [": " detail] */
void ferr_forbidden(json_t *errs, const char *field, const char *detail);
/* "Too long: may not be more than N bytes" */
void ferr_too_long(json_t *errs, const char *field, long long max);
/* "Too many: N: must have at most M items" */
void ferr_too_many(json_t *errs, const char *field, long long actual, long long max);
/* "Internal error: " detail */
void ferr_internal(json_t *errs, const char *field, const char *detail);

/* Go-style %q quoting of s into a new string (caller frees). */
char *ferr_quote(const char *s);
/* The Go %v rendering of a JSON value (strings quoted); caller frees. */
char *ferr_format_value(const json_t *v);
