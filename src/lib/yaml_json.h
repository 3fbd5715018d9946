/* YAML to JSON, as sigs.k8s.io/yaml does for kube-apiserver (YAML 1.1 scalar resolution of
 * go-yaml v2: plain true/false/yes/no/on/off are booleans, ~ and null are null, numbers are
 * numbers, everything quoted is a string). Hostile input is bounded: depth, node count and alias
 * expansion are limited, so "billion laughs" documents fail instead of exhausting memory. */
#pragma once
#include <jansson.h>
#include <stddef.h>

#define YAML_JSON_MAX_DEPTH 100
#define YAML_JSON_MAX_NODES 1000000 /* nodes produced, counting each alias expansion */

/* Parses the first document of buf into a new JSON value (caller owns). Multi-document streams:
 * only the first document is used, as a single-object request body. On failure returns -EINVAL and
 * *ret_err (caller frees) says what and where, without echoing the input. */
int yaml_to_json(const char *buf, size_t len, json_t **ret, char **ret_err);
