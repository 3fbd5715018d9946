/* meta.k8s.io/v1 Status objects with upstream's reasons, codes and messages
 * (k8s.io/apimachinery/pkg/api/errors). Each returns a new JSON object the caller owns, or NULL. */
#pragma once
#include <jansson.h>

/* A Status with the given code, reason and message; details may be NULL (stolen otherwise). */
json_t *status_new(int code, const char *reason, const char *message, json_t *details);
json_t *status_success(void);

/* group may be "" (core). resource is the plural ("services"). */
json_t *status_not_found(const char *group, const char *resource, const char *name);     /* 404 */
json_t *status_already_exists(const char *group, const char *resource, const char *name);/* 409 */
/* 409 Conflict: "Operation cannot be fulfilled on services "x": <msg>" */
json_t *status_conflict(const char *group, const char *resource, const char *name, const char *msg);
/* 422 Invalid: "<Kind> "<name>" is invalid: <causes joined>"; errs is a field_err array (stolen). */
json_t *status_invalid(const char *group, const char *kind, const char *name, json_t *errs);
json_t *status_bad_request(const char *message);                  /* 400 BadRequest */
json_t *status_unauthorized(void);                                /* 401 */
json_t *status_forbidden(const char *message);                    /* 403 */
json_t *status_method_not_allowed(const char *message);           /* 405 */
json_t *status_gone(const char *message);                         /* 410 Expired */
json_t *status_too_large(const char *message);                    /* 413 RequestEntityTooLarge */
json_t *status_unsupported_media(const char *message);            /* 415 UnsupportedMediaType */
json_t *status_too_many(const char *message);                     /* 429 TooManyRequests */
json_t *status_internal(const char *message);                     /* 500 InternalError */
