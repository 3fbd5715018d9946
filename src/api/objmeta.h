/* Helpers for the metadata every object carries: uids, timestamps, generated names, and the
 * accessors the REST code uses on jansson objects. Pure functions except for randomness and time. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* A random RFC 4122 version-4 UUID into buf (37 bytes). */
void objmeta_uuid(char buf[37]);
/* RFC 3339 UTC time, seconds precision ("2026-01-02T15:04:05Z"), into buf (21 bytes). */
void objmeta_timestamp(time_t t, char buf[21]);
/* Parses an RFC 3339 UTC timestamp; -EINVAL when malformed. */
int objmeta_parse_time(const char *s, time_t *ret);
/* generateName + 5 random characters from upstream's alphabet (no vowels). Caller frees. */
char *objmeta_generate_name(const char *prefix);

/* Borrowed lookups; NULL or "" when absent or not a string. */
json_t *objmeta_meta(json_t *obj);                  /* creates metadata {} when absent */
const char *objmeta_str(const json_t *obj, const char *field);         /* metadata.<field> */
const char *objmeta_path_str(const json_t *obj, const char *a, const char *b); /* obj.a.b */
