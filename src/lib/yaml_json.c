/* YAML -> jansson through libyaml's event parser. Anchors are recorded as the JSON they built and
 * aliases deep-copy them, each copy counted against YAML_JSON_MAX_NODES. */
#include "lib/yaml_json.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_ANCHORS 1024

typedef struct anchor {
	char *name;
	json_t *value;
} anchor_t;

typedef struct yctx {
	yaml_parser_t p;
	anchor_t anchors[MAX_ANCHORS];
	size_t n_anchors;
	size_t nodes;
	char *err;
} yctx_t;

static int fail(yctx_t *c, const char *what)
{
	if (!c->err) {
		if (asprintf(&c->err, "error converting YAML to JSON: %s (line %zu, column %zu)", what,
			     c->p.mark.line + 1, c->p.mark.column + 1) < 0)
			c->err = NULL;
	}
	return -EINVAL;
}

static size_t count_nodes(const json_t *v)
{
	size_t n = 1, i;
	const char *k;
	json_t *x;

	if (json_is_object(v))
		json_object_foreach((json_t *)v, k, x) n += count_nodes(x);
	else if (json_is_array(v))
		json_array_foreach(v, i, x) n += count_nodes(x);
	return n;
}

/* go-yaml v2 resolve(): plain scalars only. */
static json_t *resolve_plain(const char *s, size_t len)
{
	static const char *const trues[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y" };
	static const char *const falses[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N" };
	char *end;

	if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0)
		return json_null();
	for (size_t i = 0; i < sizeof(trues) / sizeof(trues[0]); i++) {
		/* sigs.k8s.io/yaml keeps the single letters y/n as strings (go-yaml v2 does too) */
		if (len > 1 && strcmp(s, trues[i]) == 0)
			return json_true();
		if (len > 1 && strcmp(s, falses[i]) == 0)
			return json_false();
	}
	if ((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') && len > 1)) {
		long long v;
		double d;
		errno = 0;
		if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			v = strtoll(s + 2, &end, 16);
			if (!errno && *end == '\0')
				return json_integer(v);
		} else if (len > 2 && s[0] == '0' && (s[1] == 'o')) {
			v = strtoll(s + 2, &end, 8);
			if (!errno && *end == '\0')
				return json_integer(v);
		} else if (len > 1 && s[0] == '0' && strspn(s, "01234567") == len) {
			v = strtoll(s, &end, 8); /* YAML 1.1 octal: 0755 */
			if (!errno && *end == '\0')
				return json_integer(v);
		} else {
			v = strtoll(s, &end, 10);
			if (!errno && *end == '\0' && strchr(s, '_') == NULL)
				return json_integer(v);
		}
		errno = 0;
		d = strtod(s, &end);
		if (!errno && *end == '\0' && isfinite(d) && strspn(s, "+-0123456789.eE") == len)
			return json_real(d);
	}
	if (strcasecmp(s, ".inf") == 0 || strcasecmp(s, "+.inf") == 0 || strcasecmp(s, "-.inf") == 0 ||
	    strcasecmp(s, ".nan") == 0)
		return json_stringn(s, len); /* JSON has no infinities; keep the text */
	return json_stringn(s, len);
}

static int parse_node(yctx_t *c, yaml_event_t *ev, int depth, json_t **ret);

static int next(yctx_t *c, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&c->p, ev))
		return fail(c, c->p.problem ? c->p.problem : "parse error");
	return 0;
}

static int remember(yctx_t *c, const yaml_char_t *anchor, json_t *v)
{
	if (!anchor)
		return 0;
	if (c->n_anchors == MAX_ANCHORS)
		return fail(c, "too many anchors");
	c->anchors[c->n_anchors].name = strdup((const char *)anchor);
	if (!c->anchors[c->n_anchors].name)
		return -ENOMEM;
	c->anchors[c->n_anchors++].value = json_incref(v);
	return 0;
}

static int parse_collection(yctx_t *c, yaml_event_t *start, int depth, json_t **ret)
{
	bool map = start->type == YAML_MAPPING_START_EVENT;
	json_t *out = map ? json_object() : json_array();
	yaml_char_t *anchor = map ? start->data.mapping_start.anchor : start->data.sequence_start.anchor;
	char *anchor_copy = anchor ? strdup((const char *)anchor) : NULL;
	int rc = 0;

	if (!out || (anchor && !anchor_copy)) {
		json_decref(out);
		free(anchor_copy);
		return -ENOMEM;
	}
	for (;;) {
		yaml_event_t ev;
		json_t *key = NULL, *val = NULL;

		rc = next(c, &ev);
		if (rc < 0)
			break;
		if (ev.type == (map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
			yaml_event_delete(&ev);
			break;
		}
		rc = parse_node(c, &ev, depth + 1, map ? &key : &val);
		yaml_event_delete(&ev);
		if (rc < 0)
			break;
		if (!map) {
			json_array_append_new(out, val);
			continue;
		}
		rc = next(c, &ev);
		if (rc < 0) {
			json_decref(key);
			break;
		}
		rc = parse_node(c, &ev, depth + 1, &val);
		yaml_event_delete(&ev);
		if (rc < 0) {
			json_decref(key);
			break;
		}
		{
			/* JSON keys are strings: numbers and booleans as keys are printed as YAML wrote them */
			char kbuf[64];
			const char *ks = NULL;
			if (json_is_string(key))
				ks = json_string_value(key);
			else if (json_is_integer(key))
				snprintf(kbuf, sizeof(kbuf), "%" JSON_INTEGER_FORMAT, json_integer_value(key)), ks = kbuf;
			else if (json_is_true(key))
				ks = "true";
			else if (json_is_false(key))
				ks = "false";
			else if (json_is_null(key))
				ks = "null";
			if (!ks) {
				json_decref(key);
				json_decref(val);
				rc = fail(c, "a mapping key must be a scalar");
				break;
			}
			if (strcmp(ks, "<<") == 0 && json_is_object(val)) {
				/* merge key: the mapping's own keys win */
				const char *mk;
				json_t *mv;
				json_object_foreach(val, mk, mv) if (!json_object_get(out, mk))
					json_object_set(out, mk, mv);
				json_decref(val);
			} else {
				json_object_set_new(out, ks, val);
			}
			json_decref(key);
		}
	}
	if (rc < 0) {
		json_decref(out);
		free(anchor_copy);
		return rc;
	}
	rc = remember(c, (yaml_char_t *)anchor_copy, out);
	free(anchor_copy);
	if (rc < 0) {
		json_decref(out);
		return rc;
	}
	*ret = out;
	return 0;
}

static int parse_node(yctx_t *c, yaml_event_t *ev, int depth, json_t **ret)
{
	json_t *v;

	if (depth > YAML_JSON_MAX_DEPTH)
		return fail(c, "document nested too deeply");
	if (++c->nodes > YAML_JSON_MAX_NODES)
		return fail(c, "document too large");
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const char *s = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag)
			v = resolve_plain(s, len);
		else if (ev->data.scalar.tag && strcmp((const char *)ev->data.scalar.tag, YAML_INT_TAG) == 0)
			v = resolve_plain(s, len);
		else
			v = json_stringn(s, len);
		if (!v)
			return fail(c, "invalid UTF-8 in a scalar");
		if (remember(c, ev->data.scalar.anchor, v) < 0) {
			json_decref(v);
			return -EINVAL;
		}
		*ret = v;
		return 0;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return parse_collection(c, ev, depth, ret);
	case YAML_ALIAS_EVENT:
		for (size_t i = c->n_anchors; i-- > 0;)
			if (strcmp(c->anchors[i].name, (const char *)ev->data.alias.anchor) == 0) {
				c->nodes += count_nodes(c->anchors[i].value);
				if (c->nodes > YAML_JSON_MAX_NODES)
					return fail(c, "document too large (alias expansion)");
				*ret = json_deep_copy(c->anchors[i].value);
				return *ret ? 0 : -ENOMEM;
			}
		return fail(c, "unknown anchor");
	default:
		return fail(c, "unexpected YAML event");
	}
}

int yaml_to_json(const char *buf, size_t len, json_t **ret, char **ret_err)
{
	yctx_t c = { 0 };
	yaml_event_t ev;
	json_t *doc = NULL;
	int rc = 0;
	bool done = false;

	if (!yaml_parser_initialize(&c.p))
		return -ENOMEM;
	yaml_parser_set_input_string(&c.p, (const unsigned char *)buf, len);
	while (!done) {
		rc = next(&c, &ev);
		if (rc < 0)
			break;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			done = true;
			break;
		default:
			rc = parse_node(&c, &ev, 0, &doc);
			if (rc < 0)
				done = true;
		}
		yaml_event_delete(&ev);
	}
	for (size_t i = 0; i < c.n_anchors; i++) {
		free(c.anchors[i].name);
		json_decref(c.anchors[i].value);
	}
	yaml_parser_delete(&c.p);
	if (rc == 0 && !doc)
		doc = json_null(); /* an empty document */
	if (rc < 0) {
		json_decref(doc);
		if (ret_err)
			*ret_err = c.err ? c.err : strdup("error converting YAML to JSON");
		else
			free(c.err);
		return rc;
	}
	free(c.err);
	*ret = doc;
	return 0;
}
