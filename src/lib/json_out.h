/* Compact JSON text of a jansson tree, byte for byte what json_dumps(v, JSON_COMPACT) writes, without
 * its per-container loop-check hashtable and per-fragment callbacks (which made dumping a stored
 * object cost more than parsing it). Pure code: no I/O, nothing global. */
#pragma once
#include <jansson.h>
#include <stddef.h>

/* A string with the compact text and its length in *ret_len (may be NULL); the caller frees it.
 * NULL where json_dumps(v, JSON_COMPACT) returns NULL (v NULL or not an array or object, a string
 * that is not UTF-8, a reference cycle) and on ENOMEM. */
char *json_out_compact(const json_t *v, size_t *ret_len);

/* Length of the UTF-8 sequence at s (n bytes available, s[0] >= 0x80) when it is one jansson accepts
 * (no overlong forms, surrogates or values past U+10FFFF); 0 when not. Shared with lib/json_in.c. */
size_t json_out_utf8_seq(const unsigned char *s, size_t n);
