/* Server-side printing: the meta.k8s.io/v1 Table kubectl asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, with the columns and cells of
 * kube-apiserver's printers (pkg/printers/internalversion/printers.go). Pure code, no I/O. */
#pragma once
#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "lib/resources.h"

/* The includeObject query parameter: what each row carries in "object". */
enum table_include {
	TABLE_INCLUDE_NONE,     /* "None": no object */
	TABLE_INCLUDE_METADATA, /* "Metadata" (the default): a meta.k8s.io/v1 PartialObjectMetadata */
	TABLE_INCLUDE_OBJECT,   /* "Object": the whole object */
};

/* Parses includeObject: NULL or "" -> METADATA; "None", "Metadata", "Object" (case-sensitive, as
 * upstream); anything else -> -EINVAL (upstream answers 400 BadRequest). *ret untouched on error. */
int table_include_parse(const char *s, enum table_include *ret);

/* A new array of {name, type, format, description, priority} for every column of r, priority-1
 * ("wide") columns included, as kube-apiserver always sends them. Kinds without a printer get the
 * default convertor's Name / Created At. Caller owns the result; NULL on ENOMEM. */
json_t *table_column_definitions(const k8s_resource_t *r);

/* A new row {"cells": [...], "conditions": [...]?, "object": ...} for obj (borrowed), ages measured
 * against now. Cells match table_column_definitions(r) one to one; "object" is absent for NONE,
 * a PartialObjectMetadata (a copy of obj's metadata) for METADATA, a deep copy of obj for OBJECT.
 * Any field may be missing or of the wrong JSON type: it then prints as absent. Caller owns the
 * result; NULL on ENOMEM or when obj is NULL. */
json_t *table_row(const k8s_resource_t *r, const json_t *obj, time_t now, enum table_include inc);

/* A new Table: {"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{resourceVersion?,
 * continue?, remainingItemCount?},"columnDefinitions":...,"rows":[...]}.
 * rows is stolen (even on failure; NULL means no rows). resource_version and continue_token may be
 * NULL or "" (omitted); remaining < 0 is omitted. With !with_columns, columnDefinitions is JSON null,
 * exactly what upstream sends (TableOptions.NoHeaders leaves the slice nil) in every watch event
 * after the first. Caller owns the result; NULL on ENOMEM. */
json_t *table_new(const k8s_resource_t *r, json_t *rows, const char *resource_version,
		  const char *continue_token, long long remaining, bool with_columns);

/* duration.HumanDuration of a whole number of seconds: "0s", "119s", "2m5s", "65m", "3h5m",
 * "25h", "2d3h", "8d", "2y45d", "9y"; "<invalid>" below -1s. Caller frees; NULL on ENOMEM. */
char *k8s_human_duration(long long seconds);

/* The Age cell: HumanDuration(now - metadata.creationTimestamp), "<unknown>" when the timestamp is
 * absent, unparseable or Go's zero time (translateTimestampSince). Caller frees; NULL on ENOMEM. */
char *k8s_age(const json_t *obj, time_t now);
