/* A fast path for parsing request bodies into jansson trees: the same tree json_loadb(buf, len,
 * JSON_REJECT_DUPLICATES) builds, for the JSON that clients send. Anything it is not sure to read
 * exactly as jansson does (any error, duplicate keys, \u0000, numbers out of range, nesting deeper
 * than JSON_IN_MAX_DEPTH, a scalar on top) it leaves to jansson, so errors keep jansson's messages.
 * Pure code: no I/O, nothing global. */
#pragma once
#include <jansson.h>
#include <stddef.h>

#define JSON_IN_MAX_DEPTH 512

/* 0 and a new reference in *ret; -EAGAIN: parse it with json_loadb instead (nothing written to *ret);
 * -ENOMEM. */
int json_in_parse(const char *buf, size_t len, json_t **ret);
