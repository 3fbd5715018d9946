/* The REST verbs over the store: get, list (selectors, pagination), create, update, status,
 * delete (finalizers, graceful pods, namespaces), deletecollection, patch. Objects are stored as
 * compact JSON with metadata.resourceVersion set to their store revision, so a get or a plain
 * list answers with the stored bytes without parsing them. */
#include "api/api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>

#include "api/kinds.h"
#include "api/objmeta.h"
#include "core/log.h"
#include "lib/field_err.h"
#include "lib/json_in.h"
#include "lib/json_out.h"
#include "lib/managed_fields.h"
#include "lib/patch.h"
#include "lib/pb.h"
#include "lib/schema.h"
#include "lib/selector.h"
#include "lib/ssa.h"
#include "lib/status.h"
#include "lib/table.h"
#include "lib/yaml_json.h"

#define LIST_ITEMS_MAX 100000 /* a hard bound on one page; upstream has none, but memory does */

char *rest_key(const k8s_resource_t *res, const char *ns, const char *name)
{
	char *k = NULL;
	const char *g = res->group[0] ? res->group : "core";

	if (res->namespaced && ns) {
		if (asprintf(&k, "/registry/%s/%s/%s/%s", g, res->plural, ns, name ? name : "") < 0)
			return NULL;
	} else if (asprintf(&k, "/registry/%s/%s/%s", g, res->plural, name ? name : "") < 0) {
		return NULL;
	}
	return k;
}

store_val_t *rest_dump_with_rev(json_t *obj, int64_t rev)
{
	char rv[24];
	json_t *meta = objmeta_meta(obj);
	char *text;
	size_t len;
	store_val_t *v;

	snprintf(rv, sizeof(rv), "%" PRId64, rev);
	if (!meta || json_object_set_new(meta, "resourceVersion", json_string(rv)) < 0)
		return NULL;
	text = json_out_compact(obj, &len);
	if (!text)
		return NULL;
	v = store_val_new(text, len);
	free(text);
	return v;
}

static json_t *parse_val(const store_val_t *v)
{
	return json_loadb(v->data, v->len, 0, NULL);
}

/* --- request bodies --- */

enum body_type { BODY_JSON, BODY_YAML, BODY_PROTOBUF, BODY_MERGE_PATCH, BODY_JSON_PATCH, BODY_STRATEGIC_PATCH, BODY_APPLY_PATCH };

static const char MEDIA_HINT[] = "the body of the request was in an unknown format - accepted media types include: "
				 "application/json, application/yaml, application/vnd.kubernetes.protobuf";

static int body_type(api_req_t *r, enum body_type *ret)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Content-Type");
	static const struct {
		const char *mt;
		enum body_type t;
	} types[] = {
		{ "application/json", BODY_JSON },
		{ "application/yaml", BODY_YAML },
		{ PB_CONTENT_TYPE, BODY_PROTOBUF },
		{ "application/merge-patch+json", BODY_MERGE_PATCH },
		{ "application/json-patch+json", BODY_JSON_PATCH },
		{ "application/strategic-merge-patch+json", BODY_STRATEGIC_PATCH },
		{ "application/apply-patch+yaml", BODY_APPLY_PATCH },
	};

	if (!ct || !*ct) {
		/* upstream takes a missing Content-Type as its first supported type, JSON (client-go's
		 * scale client sends its PUT without one) */
		*ret = BODY_JSON;
		return 0;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t l = strlen(types[i].mt);
		if (strncasecmp(ct, types[i].mt, l) == 0 && (ct[l] == '\0' || ct[l] == ';' || ct[l] == ' ')) {
			*ret = types[i].t;
			return 0;
		}
	}
	return -EINVAL;
}

/* Reads and parses the body as JSON; replies with a Status and returns NULL on failure. */
static json_t *read_json_body(api_req_t *r, bool want_object, enum body_type bt)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t len = evbuffer_get_length(in);
	json_error_t jerr;
	json_t *j;
	char msg[300];

	if (len > API_MAX_BODY) {
		snprintf(msg, sizeof(msg), "Request entity too large: limit is %d", API_MAX_BODY);
		api_reply_status(r, status_too_large(msg));
		return NULL;
	}
	if (len == 0) {
		api_reply_status(r, status_bad_request("the request body is empty"));
		return NULL;
	}
	if (bt == BODY_PROTOBUF) {
		char *err = NULL;
		int rc = pb_decode_object(evbuffer_pullup(in, -1), len, &j, &err);
		if (rc < 0) {
			const char *m = err ? err : "the protobuf body could not be decoded";
			api_reply_status(r, rc == -ENOTSUP ? status_unsupported_media(m)
					    : rc == -E2BIG   ? status_too_large(m)
					    : rc == -ENOMEM  ? status_internal("out of memory")
							     : status_bad_request(m));
			free(err);
			return NULL;
		}
	} else if (bt == BODY_YAML) {
		char *err = NULL;
		if (yaml_to_json((const char *)evbuffer_pullup(in, -1), len, &j, &err) < 0) {
			api_reply_status(r, status_bad_request(err ? err : "error converting YAML to JSON"));
			free(err);
			return NULL;
		}
	} else {
		const char *text = (const char *)evbuffer_pullup(in, -1);
		/* the fast parser builds the tree jansson would; whatever it is unsure of (every error
		 * among it) goes to jansson, so error messages are jansson's */
		int rc = json_in_parse(text, len, &j);
		if (rc == -ENOMEM) {
			api_reply_status(r, status_internal("out of memory"));
			return NULL;
		}
		/* JSON_REJECT_DUPLICATES: a strict decoder refuses duplicate fields; jansson bounds depth. */
		if (rc < 0)
			j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	}
	if (!j) {
		/* The message names the position, never echoes the request bytes. */
		snprintf(msg, sizeof(msg), "error decoding request body: %.100s (line %d, column %d)", jerr.text,
			 jerr.line, jerr.column);
		api_reply_status(r, status_bad_request(msg));
		return NULL;
	}
	if (want_object && !json_is_object(j)) {
		json_decref(j);
		api_reply_status(r, status_bad_request("the request body must be a JSON object"));
		return NULL;
	}
	return j;
}

/* Checks apiVersion/kind of a body against the resource; fills them when absent. */
static bool check_kind(api_req_t *r, json_t *obj)
{
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *want_av = k8s_resource_api_version(r->res);
	char msg[300];

	if (av && *av && strcmp(av, want_av) != 0) {
		snprintf(msg, sizeof(msg),
			 "the API version in the data (%.60s) does not match the expected API version (%s)", av,
			 want_av);
		api_reply_status(r, status_bad_request(msg));
		return false;
	}
	if (kind && *kind && strcmp(kind, r->res->kind) != 0) {
		snprintf(msg, sizeof(msg), "the kind in the data (%.60s) does not match the expected kind (%s)",
			 kind, r->res->kind);
		api_reply_status(r, status_bad_request(msg));
		return false;
	}
	json_object_set_new(obj, "apiVersion", json_string(want_av));
	json_object_set_new(obj, "kind", json_string(r->res->kind));
	if (!json_is_object(json_object_get(obj, "metadata")))
		json_object_set_new(obj, "metadata", json_object());
	return true;
}

/* fieldValidation=Strict (what kubectl sends with --validate=strict): unknown fields are a 400. */
static bool check_unknown_fields(api_req_t *r, const json_t *obj)
{
	const char *fv = api_query(r, "fieldValidation");
	json_t *unknown = NULL;
	char *msg;

	if (!fv || strcmp(fv, "Strict") != 0)
		return true;
	if (schema_unknown_fields(r->res, obj, &unknown) < 0 || json_array_size(unknown) == 0) {
		json_decref(unknown);
		return true;
	}
	msg = schema_strict_error_for(r->res, unknown);
	json_decref(unknown);
	api_reply_status(r, status_bad_request(msg ? msg : "strict decoding error"));
	free(msg);
	return false;
}

static bool is_dry_run(api_req_t *r)
{
	const char *d = api_query(r, "dryRun");

	return d && strcmp(d, "All") == 0;
}

/* --- replies with objects --- */

static void reply_object(api_req_t *r, int code, json_t *obj /* stolen */)
{
	if (r->want_table && obj) {
		json_t *rows = json_array();
		json_t *row = table_row(r->res, obj, time(NULL), (enum table_include)r->include);
		const char *rv = objmeta_str(obj, "resourceVersion");
		if (row)
			json_array_append_new(rows, row);
		api_reply_json(r, code, table_new(r->res, rows, rv ? rv : "", NULL, -1, true));
		json_decref(obj);
		return;
	}
	api_reply_json(r, code, obj);
}

/* --- get --- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* metav1.LabelSelector as the string form upstream's Scale carries in status.selector. */
static char *selector_string(const json_t *sel)
{
	const char *k;
	json_t *v, *e;
	size_t n = 0, i, cap = json_object_size(json_object_get(sel, "matchLabels")) +
			       json_array_size(json_object_get(sel, "matchExpressions"));
	char **parts = calloc(cap + 1, sizeof(char *)), *out = NULL;
	size_t len = 1;

	if (!parts)
		return NULL;
	json_object_foreach((json_t *)json_object_get(sel, "matchLabels"), k, v)
		if (json_is_string(v) && asprintf(&parts[n], "%s=%s", k, json_string_value(v)) >= 0)
			n++;
	json_array_foreach(json_object_get(sel, "matchExpressions"), i, e) {
		const char *key = json_string_value(json_object_get(e, "key"));
		const char *op = json_string_value(json_object_get(e, "operator"));
		char vals[1024] = "";
		size_t vi, vl = 0;
		json_t *val;
		if (!key || !op)
			continue;
		json_array_foreach(json_object_get(e, "values"), vi, val)
			if (json_is_string(val) && vl < sizeof(vals))
				vl += (size_t)snprintf(vals + vl, sizeof(vals) - vl, "%s%s", vl ? "," : "",
						      json_string_value(val));
		if (strcmp(op, "In") == 0 && asprintf(&parts[n], "%s in (%s)", key, vals) >= 0)
			n++;
		else if (strcmp(op, "NotIn") == 0 && asprintf(&parts[n], "%s notin (%s)", key, vals) >= 0)
			n++;
		else if (strcmp(op, "Exists") == 0 && (parts[n] = strdup(key)))
			n++;
		else if (strcmp(op, "DoesNotExist") == 0 && asprintf(&parts[n], "!%s", key) >= 0)
			n++;
	}
	qsort(parts, n, sizeof(char *), cmp_str);
	for (i = 0; i < n; i++)
		len += strlen(parts[i]) + 1;
	out = calloc(1, len);
	for (i = 0; i < n; i++) {
		if (out) {
			if (i)
				strcat(out, ",");
			strcat(out, parts[i]);
		}
		free(parts[i]);
	}
	free(parts);
	return out;
}

/* The autoscaling/v1 Scale view of a Deployment. */
static json_t *scale_from(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata"), *spec = json_object_get(obj, "spec");
	char *sel = selector_string(json_object_get(spec, "selector"));
	json_t *st = json_object_get(json_object_get(obj, "status"), "replicas");
	json_t *scale = json_pack("{s:s, s:s, s:{s:O?, s:O?, s:O?, s:O?, s:O?}, s:{s:O?}, s:{s:I, s:s}}", "kind",
				  "Scale", "apiVersion", "autoscaling/v1", "metadata", "name",
				  json_object_get(meta, "name"), "namespace", json_object_get(meta, "namespace"), "uid",
				  json_object_get(meta, "uid"), "resourceVersion", json_object_get(meta, "resourceVersion"),
				  "creationTimestamp", json_object_get(meta, "creationTimestamp"), "spec", "replicas",
				  json_object_get(spec, "replicas"), "status", "replicas",
				  (json_int_t)(json_is_integer(st) ? json_integer_value(st) : 0), "selector",
				  sel ? sel : "");
	free(sel);
	return scale;
}

static void rest_get(api_req_t *r)
{
	char *key = rest_key(r->res, r->ns, r->name);
	store_kv_t kv;

	r->verb = "get";
	if (!key) {
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	if (store_get(r->srv->store, key, &kv) < 0) {
		free(key);
		api_reply_status(r, status_not_found(r->res->group, r->res->plural, r->name));
		return;
	}
	free(key);
	if (r->sub && strcmp(r->sub, "scale") == 0) {
		json_t *obj = parse_val(kv.val), *scale = scale_from(obj);
		json_decref(obj);
		api_reply_json(r, scale ? 200 : 500, scale);
		return;
	}
	if (r->want_table) {
		reply_object(r, 200, parse_val(kv.val));
		return;
	}
	api_reply_raw(r, 200, kv.val->data, kv.val->len);
}

/* --- list --- */

typedef struct list_ctx {
	api_req_t *r;
	selector_t *lsel, *fsel;
	struct evbuffer *out;
	json_t *rows;             /* Table rows when a Table was asked for */
	long long limit;          /* 0 = no limit */
	long long count;
	const char *last_key;     /* the key of the last item returned (borrowed until the list ends) */
	char *last_key_copy;
	bool more;
	size_t prefix_len;
} list_ctx_t;

static bool matches(list_ctx_t *c, const store_kv_t *kv, json_t **ret_obj)
{
	json_t *obj;

	*ret_obj = NULL;
	if (!c->lsel && !c->fsel && !c->rows)
		return true;
	obj = parse_val(kv->val);
	if (!obj)
		return false;
	if ((c->lsel && !label_selector_match(c->lsel, json_object_get(json_object_get(obj, "metadata"), "labels"))) ||
	    (c->fsel && !field_selector_match(c->fsel, c->r->res->plural, obj))) {
		json_decref(obj);
		return false;
	}
	*ret_obj = obj;
	return true;
}

static int list_item(const store_kv_t *kv, void *ud)
{
	list_ctx_t *c = ud;
	json_t *obj;

	if (!matches(c, kv, &obj))
		return 0;
	if ((c->limit > 0 && c->count >= c->limit) || c->count >= LIST_ITEMS_MAX) {
		/* One match past the page proves there is more: stop, so a page costs O(page), not
		 * O(collection). remainingItemCount is optional upstream; it is left out. */
		json_decref(obj);
		c->more = true;
		return 1;
	}
	if (c->rows) {
		json_t *row = table_row(c->r->res, obj, time(NULL), (enum table_include)c->r->include);
		if (row)
			json_array_append_new(c->rows, row);
	} else {
		if (c->count > 0)
			evbuffer_add(c->out, ",", 1);
		evbuffer_add(c->out, kv->val->data, kv->val->len);
	}
	json_decref(obj);
	c->count++;
	free(c->last_key_copy);
	c->last_key_copy = strdup(kv->key + c->prefix_len);
	return 0;
}

/* Continue tokens as upstream (apiserver storage/continue.go): base64 of
 * {"v":"meta.k8s.io/v1","rv":N,"start":"<key after the prefix>\u0000"}. */
static char *continue_encode(int64_t rv, const char *start)
{
	json_t *j = json_object();
	char *text, *out = NULL;
	size_t n;

	if (!j)
		return NULL;
	json_object_set_new(j, "v", json_string("meta.k8s.io/v1"));
	json_object_set_new(j, "rv", json_integer(rv));
	/* the trailing NUL means "start after this key"; json_stringn keeps it */
	json_object_set_new(j, "start", json_stringn(start, strlen(start) + 1));
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return NULL;
	n = strlen(text);
	out = malloc(4 * ((n + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)n);
	free(text);
	return out;
}

static int continue_decode(const char *tok, int64_t *ret_rv, char **ret_start)
{
	size_t n = strlen(tok), len;
	unsigned char *raw;
	json_t *j;
	json_int_t rv;
	const char *start;
	size_t start_len;
	int dec;

	if (n == 0 || n > 8192 || n % 4 != 0)
		return -EINVAL;
	raw = malloc(n);
	if (!raw)
		return -ENOMEM;
	dec = EVP_DecodeBlock(raw, (const unsigned char *)tok, (int)n);
	if (dec < 0) {
		free(raw);
		return -EINVAL;
	}
	len = (size_t)dec;
	while (len > 0 && raw[len - 1] == '\0') /* EVP_DecodeBlock pads with zero bytes */
		len--;
	j = json_loadb((const char *)raw, len, JSON_ALLOW_NUL, NULL);
	free(raw);
	if (!j || json_unpack(j, "{s:I, s:s%}", "rv", &rv, "start", &start, &start_len) < 0 || rv <= 0 ||
	    strcmp(json_string_value(json_object_get(j, "v")) ? json_string_value(json_object_get(j, "v")) : "",
		   "meta.k8s.io/v1") != 0) {
		json_decref(j);
		return -EINVAL;
	}
	*ret_start = strndup(start, strnlen(start, start_len));
	*ret_rv = rv;
	json_decref(j);
	return *ret_start ? 0 : -ENOMEM;
}

static int parse_selectors(api_req_t *r, selector_t **lsel, selector_t **fsel)
{
	const char *ls = api_query(r, "labelSelector"), *fs = api_query(r, "fieldSelector");
	char *err = NULL;

	*lsel = *fsel = NULL;
	if (ls && *ls && label_selector_parse(ls, lsel, &err) < 0) {
		api_reply_status(r, status_bad_request(err ? err : "invalid label selector"));
		free(err);
		return -EINVAL;
	}
	if (fs && *fs) {
		if (field_selector_parse(fs, fsel, &err) < 0 ||
		    field_selector_validate(*fsel, r->res->plural, &err) < 0) {
			api_reply_status(r, status_bad_request(err ? err : "invalid field selector"));
			free(err);
			selector_free(*lsel);
			selector_free(*fsel);
			*lsel = *fsel = NULL;
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_int_param(const char *s, long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -ENOENT;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void rest_list(api_req_t *r)
{
	list_ctx_t c = { .r = r };
	char *prefix = rest_key(r->res, r->ns, NULL), *start = NULL, *tok = NULL;
	const char *cont = api_query(r, "continue");
	int64_t rev = 0;
	int err;
	char rvbuf[24];

	r->verb = "list";
	if (!prefix)
		goto oom;
	c.prefix_len = strlen(prefix);
	if (parse_int_param(api_query(r, "limit"), 0, INT64_MAX, &c.limit) == -EINVAL) {
		api_reply_status(r, status_bad_request("invalid limit parameter"));
		goto out;
	}
	if (cont && *cont) {
		if (continue_decode(cont, &rev, &start) < 0) {
			api_reply_status(r, status_bad_request("continue key is not valid: incorrect encoded start "
							       "resourceVersion (version meta.k8s.io/v1)"));
			goto out;
		}
		if (rev > store_rev(r->srv->store))
			rev = 0;
	}
	if (parse_selectors(r, &c.lsel, &c.fsel) < 0)
		goto out;
	c.out = evbuffer_new();
	if (r->want_table)
		c.rows = json_array();
	if (!c.out || (r->want_table && !c.rows))
		goto oom;
	if (rev == 0)
		rev = store_rev(r->srv->store);
	if (start) {
		/* the token holds the key relative to the list's prefix */
		char *full = NULL;
		if (asprintf(&full, "%s%s", prefix, start) < 0)
			goto oom;
		free(start);
		start = full;
	}
	err = store_list(r->srv->store, prefix, start, rev, list_item, &c);
	if (err == STORE_E_COMPACTED) {
		api_reply_status(r, status_gone("The provided continue parameter is too old to display a consistent "
						"list result. You can start a new list without the continue "
						"parameter."));
		goto out;
	} else if (err < 0) {
		api_reply_status(r, status_internal(strerror(-err)));
		goto out;
	}
	if (c.more && c.last_key_copy)
		tok = continue_encode(rev, c.last_key_copy);
	snprintf(rvbuf, sizeof(rvbuf), "%" PRId64, rev);
	if (c.rows) {
		json_t *t = table_new(r->res, c.rows, rvbuf, tok, -1, true);
		c.rows = NULL;
		api_reply_json(r, 200, t);
	} else {
		struct evbuffer *body = evbuffer_new();
		if (!body)
			goto oom;
		evbuffer_add_printf(body, "{\"kind\":\"%sList\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%s\"",
				    r->res->kind, k8s_resource_api_version(r->res), rvbuf);
		if (tok)
			evbuffer_add_printf(body, ",\"continue\":\"%s\"", tok);
		evbuffer_add_printf(body, "},\"items\":[");
		evbuffer_add_buffer(body, c.out);
		evbuffer_add(body, "]}\n", 3);
		api_reply_buffer(r, 200, body, NULL);
		evbuffer_free(body);
	}
	goto out;
oom:
	api_reply_status(r, status_internal("out of memory"));
out:
	json_decref(c.rows);
	if (c.out)
		evbuffer_free(c.out);
	selector_free(c.lsel);
	selector_free(c.fsel);
	free(c.last_key_copy);
	free(prefix);
	free(start);
	free(tok);
}

/* --- writes --- */

static store_val_t *build_cb(int64_t rev, const store_val_t *prev, void *ud)
{
	api_req_t *r = ud;
	store_val_t *v = rest_dump_with_rev(r->obj, rev);

	store_val_unref(r->written);
	r->written = v ? store_val_ref(v) : NULL;
	return v;
}

static void done_cb(int err, int64_t rev, void *ud)
{
	api_req_t *r = ud;

	kind_after_write(r, err);
	r->on_done(r, err, rev);
}

/* Queues r->obj as a write of key; r->on_done runs when it is durable. On an immediate failure
 * the caller's on_done is called with the error too, so every path ends in one place. */
static void submit(api_req_t *r, enum store_op op, const char *key, int64_t expect_rev)
{
	store_write_t w = { .op = op, .key = key, .expect_rev = expect_rev, .build = build_cb,
			    .done = done_cb, .userdata = r };
	int err;

	r->write_op = op;
	if (r->dry_run) {
		kind_after_write(r, -ECANCELED); /* release what a dry run allocated */
		r->on_done(r, 0, 0);
		return;
	}
	err = store_write(r->srv->store, &w, NULL);
	if (err < 0) {
		kind_after_write(r, err);
		r->on_done(r, err, 0);
	}
}

/* The reply for a finished write, shared by create/update/status/delete. */
static void reply_written(api_req_t *r, int err, int64_t rev)
{
	if (!r->req) { /* an internal write: nobody to answer */
		if (err < 0 && err != -EEXIST)
			log_warn("internal write of %s failed: %s", r->res ? r->res->plural : "?", strerror(-err));
		api_req_free(r);
		return;
	}
	switch (err) {
	case 0:
		if (r->sub && strcmp(r->sub, "scale") == 0) {
			json_t *sc = scale_from(r->obj);
			api_reply_json(r, sc ? r->status_code : 500, sc);
			return;
		}
		if (r->written && !r->want_table) {
			/* the stored bytes are the answer: no second encode */
			api_reply_raw(r, r->status_code, r->written->data, r->written->len);
			return;
		}
		reply_object(r, r->status_code, json_incref(r->obj));
		return;
	case -EEXIST:
		api_reply_status(r, status_already_exists(r->res->group, r->res->plural,
							  objmeta_str(r->obj, "name")));
		return;
	case -ENOENT:
		api_reply_status(r, status_not_found(r->res->group, r->res->plural, objmeta_str(r->obj, "name")));
		return;
	case -ESTALE:
		api_reply_status(r, status_conflict(r->res->group, r->res->plural, objmeta_str(r->obj, "name"),
						    "the object has been modified; please apply your changes to the "
						    "latest version and try again"));
		return;
	default:
		api_reply_status(r, status_internal(strerror(-err)));
	}
}

static bool namespace_usable(api_req_t *r, const char *ns)
{
	api_server_t *srv = r->srv;
	const k8s_resource_t *nsres = k8s_resource_find("", "v1", "namespaces");
	char *key = rest_key(nsres, NULL, ns);
	store_kv_t kv;
	bool ok = false;

	if (key && store_get_latest(srv->store, key, &kv) == 0) {
		/* Stored objects are compact JSON that spells ASCII out: without the word anywhere, the
		 * phase cannot be Terminating, and every create is spared parsing its namespace. */
		bool maybe = memmem(kv.val->data, kv.val->len, "Terminating", 11) != NULL;
		json_t *o = maybe ? parse_val(kv.val) : NULL;
		const char *phase = json_string_value(json_object_get(json_object_get(o, "status"), "phase"));
		if (phase && strcmp(phase, "Terminating") == 0) {
			char msg[400];
			snprintf(msg, sizeof(msg),
				 "%s \"%s\" is forbidden: unable to create new content in namespace %s because it is "
				 "being terminated",
				 r->res->plural, objmeta_str(r->obj, "name") ? objmeta_str(r->obj, "name") : "",
				 ns);
			json_t *st = status_forbidden(msg);
			api_reply_status(r, st);
		} else {
			ok = true;
		}
		json_decref(o);
	} else {
		api_reply_status(r, status_not_found("", "namespaces", ns));
	}
	free(key);
	return ok;
}

static void fill_new_meta(api_req_t *r, json_t *meta)
{
	char uid[37], ts[21];

	objmeta_uuid(uid);
	objmeta_timestamp(time(NULL), ts);
	json_object_set_new(meta, "uid", json_string(uid));
	json_object_set_new(meta, "creationTimestamp", json_string(ts));
	json_object_del(meta, "deletionTimestamp");
	json_object_del(meta, "deletionGracePeriodSeconds");
	json_object_del(meta, "selfLink");
	if (kind_tracks_generation(r->res))
		json_object_set_new(meta, "generation", json_integer(1));
	else
		json_object_del(meta, "generation");
}

/* The manager of a write: the fieldManager query parameter, else the User-Agent's first part. */
static char *write_manager(api_req_t *r)
{
	return mf_manager_or_user_agent(api_query(r, "fieldManager"),
					evhttp_find_header(evhttp_request_get_input_headers(r->req), "User-Agent"));
}

/* CreateOptions/UpdateOptions/PatchOptions checks; replies and returns false when they fail. */
static bool options_ok(api_req_t *r, const char *kind, bool apply)
{
	json_t *st;

	if (!r->req)
		return true;
	st = ssa_options_status(kind, apply, api_query(r, "fieldManager"), api_query(r, "force"));
	if (!st)
		return true;
	api_reply_status(r, st);
	return false;
}

/* managedFields for an Update-operation write (not for server-side apply, which did its own). */
static void track_write(api_req_t *r, const json_t *old, const char *sub)
{
	char *m;

	if (r->applied || !r->req)
		return;
	m = write_manager(r);
	mf_update(r->res, r->obj, old, m, sub, time(NULL));
	free(m);
}

static bool admit_or_reply(api_req_t *r, bool status_only)
{
	json_t *st = kind_admit(r, status_only);

	if (!st)
		return true;
	api_reply_status(r, st);
	return false;
}

static void create_object(api_req_t *r);

static void rest_create(api_req_t *r)
{
	json_t *obj, *meta;
	const char *bns;
	enum body_type bt;

	r->verb = "create";
	if (r->name) {
		api_reply_status(r, status_method_not_allowed(NULL));
		return;
	}
	if (body_type(r, &bt) < 0 || (bt != BODY_JSON && bt != BODY_YAML && bt != BODY_PROTOBUF)) {
		api_reply_status(r, status_unsupported_media(MEDIA_HINT));
		return;
	}
	if (!options_ok(r, "CreateOptions", false))
		return;
	obj = read_json_body(r, true, bt);
	if (!obj)
		return;
	r->obj = obj;
	if (!check_kind(r, obj) || !check_unknown_fields(r, obj))
		return;
	meta = objmeta_meta(obj);
	bns = objmeta_str(obj, "namespace");
	if (r->res->namespaced) {
		if (!r->ns) {
			api_reply_status(r, status_bad_request("the namespace of the provided object does not match "
							       "the namespace sent on the request"));
			return;
		}
		if (bns && *bns && strcmp(bns, r->ns) != 0) {
			api_reply_status(r, status_bad_request("the namespace of the provided object does not match "
							       "the namespace sent on the request"));
			return;
		}
		json_object_set_new(meta, "namespace", json_string(r->ns));
	} else {
		json_object_del(meta, "namespace");
	}
	create_object(r);
}

static void create_object(api_req_t *r)
{
	json_t *meta = objmeta_meta(r->obj);
	const char *name = objmeta_str(r->obj, "name");
	const char *gen = objmeta_str(r->obj, "generateName");
	char *key;

	r->dry_run = is_dry_run(r);
	if (objmeta_str(r->obj, "resourceVersion") && *objmeta_str(r->obj, "resourceVersion")) {
		/* upstream's etcd3 store refuses this as an internal error */
		api_reply_status(r, status_internal("resourceVersion should not be set on objects to be created"));
		return;
	}
	if ((!name || !*name) && gen && *gen) {
		char *n = objmeta_generate_name(gen);
		if (!n) {
			api_reply_status(r, status_internal("out of memory"));
			return;
		}
		json_object_set_new(meta, "name", json_string(n));
		free(n);
	}
	if (r->res->namespaced && !namespace_usable(r, r->ns))
		return;
	fill_new_meta(r, meta);
	if (!admit_or_reply(r, false))
		return;
	track_write(r, NULL, NULL);
	key = rest_key(r->res, r->ns, objmeta_str(r->obj, "name"));
	if (!key) {
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	r->status_code = 201;
	r->on_done = reply_written;
	submit(r, STORE_CREATE, key, 0);
	free(key);
}

/* A create from inside the server (bootstrap objects, controllers). obj is stolen. */
int rest_create_internal(api_server_t *srv, const k8s_resource_t *res, json_t *obj)
{
	api_req_t *r = calloc(1, sizeof(*r));
	char *key;
	store_write_t w = { .op = STORE_CREATE, .build = build_cb, .done = done_cb };
	int err;

	if (!r) {
		json_decref(obj);
		return -ENOMEM;
	}
	r->srv = srv;
	r->res = res;
	r->obj = obj;
	r->start_usec = api_now_usec();
	r->ns = res->namespaced && objmeta_str(obj, "namespace") ? strdup(objmeta_str(obj, "namespace")) : NULL;
	fill_new_meta(r, objmeta_meta(obj));
	{
		json_t *st = kind_admit(r, false);
		if (st) {
			log_warn("internal create of %s refused: %s", res->plural,
				 json_string_value(json_object_get(st, "message")));
			json_decref(st);
			api_req_free(r);
			return -EINVAL;
		}
	}
	key = rest_key(res, r->ns, objmeta_str(obj, "name"));
	if (!key) {
		kind_after_write(r, -ENOMEM);
		api_req_free(r);
		return -ENOMEM;
	}
	r->on_done = reply_written;
	r->write_op = STORE_CREATE;
	w.key = key;
	w.userdata = r;
	err = store_write(srv->store, &w, NULL);
	free(key);
	if (err < 0) {
		kind_after_write(r, err);
		api_req_free(r);
	}
	return err;
}

/* Fields an update keeps from the stored object whatever the client sent (BeforeUpdate). */
static void keep_system_meta(json_t *meta, const json_t *old_meta)
{
	static const char *const keep[] = { "uid", "creationTimestamp", "deletionTimestamp",
					    "deletionGracePeriodSeconds", "generation" };

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		json_t *v = json_object_get(old_meta, keep[i]);
		if (v)
			json_object_set(meta, keep[i], v);
		else
			json_object_del(meta, keep[i]);
	}
	json_object_del(meta, "selfLink");
}

/* Compares two objects ignoring resourceVersion and managedFields timestamps: an update that
 * changes nothing is not written (so re-applying the same manifest is a no-op). */
static bool same_object(const json_t *a, const json_t *b)
{
	json_t *ca = json_deep_copy(a), *cb = json_deep_copy(b);
	bool eq;

	json_object_del(json_object_get(ca, "metadata"), "resourceVersion");
	json_object_del(json_object_get(cb, "metadata"), "resourceVersion");
	eq = ca && cb && json_equal(ca, cb);
	json_decref(ca);
	json_decref(cb);
	return eq;
}

static void delete_now(api_req_t *r, const json_t *old, int64_t rev);

/* The shared tail of update, status update and patch: r->obj holds the new object (metadata
 * fields the client controls), r->old the stored one at revision rev. */
static void update_object(api_req_t *r, int64_t rev, bool status_only)
{
	json_t *meta = objmeta_meta(r->obj), *old_meta = json_object_get(r->old, "metadata");
	const char *want_rv = objmeta_str(r->obj, "resourceVersion");
	const char *old_rv = objmeta_str(r->old, "resourceVersion");
	json_t *fin;
	char *key;

	r->dry_run = is_dry_run(r);
	if (want_rv && *want_rv && old_rv && strcmp(want_rv, old_rv) != 0) {
		api_reply_status(r, status_conflict(r->res->group, r->res->plural, r->name,
						    "the object has been modified; please apply your changes to the "
						    "latest version and try again"));
		return;
	}
	if (!meta) {
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	if (status_only) {
		/* The status subresource changes status only (ResetObjectMetaForStatus, and the
		 * strategies copy spec from old): start from old, take the new status. */
		json_t *st = json_incref(json_object_get(r->obj, "status"));
		json_decref(r->obj);
		r->obj = json_deep_copy(r->old);
		if (!r->obj) {
			json_decref(st);
			api_reply_status(r, status_internal("out of memory"));
			return;
		}
		if (st)
			json_object_set_new(r->obj, "status", st);
		else
			json_object_del(r->obj, "status");
		meta = objmeta_meta(r->obj);
	}
	keep_system_meta(meta, old_meta);
	if (r->res->namespaced)
		json_object_set_new(meta, "namespace", json_string(r->ns));
	else
		json_object_del(meta, "namespace"); /* upstream clears it on cluster-scoped kinds */
	/* An update without a resourceVersion is unconditional (AllowUnconditionalUpdate): it applies
	 * to the object as stored now. */
	if (!json_string_value(json_object_get(meta, "resourceVersion")) ||
	    !*json_string_value(json_object_get(meta, "resourceVersion")))
		json_object_set(meta, "resourceVersion", json_object_get(old_meta, "resourceVersion"));
	if (!status_only && kind_tracks_generation(r->res) &&
	    !json_equal(json_object_get(r->obj, "spec"), json_object_get(r->old, "spec"))) {
		json_int_t g = json_integer_value(json_object_get(old_meta, "generation"));
		json_object_set_new(meta, "generation", json_integer(g + 1));
	}
	if (!admit_or_reply(r, status_only))
		return;
	track_write(r, r->old, r->sub);
	/* An object being deleted goes once its last finalizer is removed. */
	fin = json_object_get(meta, "finalizers");
	if (json_object_get(meta, "deletionTimestamp") && json_array_size(fin) == 0) {
		kind_after_write(r, -ECANCELED);
		delete_now(r, r->obj, rev);
		return;
	}
	if (same_object(r->obj, r->old)) {
		kind_after_write(r, -ECANCELED);
		if (r->sub && strcmp(r->sub, "scale") == 0)
			api_reply_json(r, 200, scale_from(r->old));
		else
			reply_object(r, 200, json_incref(r->old));
		return;
	}
	key = rest_key(r->res, r->ns, r->name);
	if (!key) {
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	r->status_code = 200;
	r->on_done = reply_written;
	submit(r, STORE_UPDATE, key, rev);
	free(key);
}

/* Loads the latest stored object into r->old; replies 404 and returns -ENOENT when absent. */
static int load_old(api_req_t *r, int64_t *ret_rev)
{
	char *key = rest_key(r->res, r->ns, r->name);
	store_kv_t kv;

	if (!key) {
		api_reply_status(r, status_internal("out of memory"));
		return -ENOMEM;
	}
	if (store_get_latest(r->srv->store, key, &kv) < 0) {
		free(key);
		api_reply_status(r, status_not_found(r->res->group, r->res->plural, r->name));
		return -ENOENT;
	}
	free(key);
	r->old = parse_val(kv.val);
	if (!r->old) {
		api_reply_status(r, status_internal("stored object is not valid JSON"));
		return -EIO;
	}
	*ret_rev = kv.mod_rev;
	return 0;
}

static void rest_update(api_req_t *r)
{
	enum body_type bt;
	int64_t rev;
	const char *bname, *bns;
	bool status = r->sub && strcmp(r->sub, "status") == 0;
	bool scale = r->sub && strcmp(r->sub, "scale") == 0;

	r->verb = "update";
	if (r->sub && !((status && r->res->has_status) || (scale && r->res->has_scale))) {
		api_reply_status(r, status_new(404, "NotFound", "the server could not find the requested resource",
					       json_object()));
		return;
	}
	if (body_type(r, &bt) < 0 || (bt != BODY_JSON && bt != BODY_YAML && bt != BODY_PROTOBUF)) {
		api_reply_status(r, status_unsupported_media(MEDIA_HINT));
		return;
	}
	if (!options_ok(r, "UpdateOptions", false))
		return;
	r->obj = read_json_body(r, true, bt);
	if (!r->obj)
		return;
	if (scale) {
		/* Go omits replicas: 0 from the JSON (omitempty): absent means zero */
		json_t *rj = json_object_get(json_object_get(r->obj, "spec"), "replicas");
		json_int_t replicas = rj ? (json_is_integer(rj) ? json_integer_value(rj) : -1) : 0;
		if (replicas < 0) {
			json_t *errs = json_array();
			ferr_invalid(errs, "spec.replicas", json_object_get(json_object_get(r->obj, "spec"), "replicas"),
				     "must be greater than or equal to 0");
			api_reply_status(r, status_invalid("autoscaling", "Scale", r->name, errs));
			return;
		}
		if (load_old(r, &rev) < 0)
			return;
		json_decref(r->obj);
		r->obj = json_deep_copy(r->old);
		json_object_set_new(json_object_get(r->obj, "spec"), "replicas", json_integer(replicas));
		update_object(r, rev, false);
		return;
	}
	if (!check_kind(r, r->obj) || !check_unknown_fields(r, r->obj))
		return;
	bname = objmeta_str(r->obj, "name");
	bns = objmeta_str(r->obj, "namespace");
	if (!bname || strcmp(bname, r->name) != 0) {
		char msg[400];
		snprintf(msg, sizeof(msg), "the name of the object (%.100s) does not match the name on the URL (%.100s)",
			 bname ? bname : "", r->name);
		api_reply_status(r, status_bad_request(msg));
		return;
	}
	if (r->res->namespaced && bns && *bns && strcmp(bns, r->ns) != 0) {
		api_reply_status(r, status_bad_request("the namespace of the provided object does not match the "
						       "namespace sent on the request"));
		return;
	}
	if (load_old(r, &rev) < 0)
		return;
	update_object(r, rev, status);
}

/* --- patch --- */

/* Maps the patch engines' errors to what kube-apiserver answers (see lib/patch.h). */
static json_t *patch_error_status(int rc, const char *err)
{
	switch (rc) {
	case -ENOMEM:
		return status_internal("out of memory");
	case -EINVAL:
		/* upstream hides the engine's detail behind this generic text */
		(void)err;
		return status_new(422, "Invalid", "the server rejected our request due to an error in our request",
				  json_object());
	case -EPROTO:
		return status_new(500, "InternalError", err ? err : "patch failed", NULL);
	case -E2BIG:
		return status_too_large(err ? err : "the patch is too large");
	default:
		return status_bad_request(err ? err : "the patch could not be applied");
	}
}

/* Server-side apply: creates when absent, else updates; managedFields come from ssa_apply. */
static void rest_apply(api_req_t *r, bool status)
{
	const char *fm = api_query(r, "fieldManager"), *fp = api_query(r, "force");
	char *key = rest_key(r->res, r->ns, r->name);
	json_t *applied, *obj = NULL, *st = NULL;
	store_kv_t kv;
	int64_t rev = 0;
	bool force = false;
	const char *name, *bns;

	if (!key) {
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	if (fp && ssa_parse_bool(fp, &force) < 0) {
		free(key);
		api_reply_status(r, status_bad_request("force: invalid boolean value"));
		return;
	}
	applied = read_json_body(r, false, BODY_YAML); /* libyaml reads JSON bodies too */
	if (!applied) {
		free(key);
		return;
	}
	if (store_get_latest(r->srv->store, key, &kv) == 0) {
		r->old = parse_val(kv.val);
		rev = kv.mod_rev;
		if (!r->old) {
			free(key);
			json_decref(applied);
			api_reply_status(r, status_internal("stored object is not valid JSON"));
			return;
		}
	}
	free(key);
	if (ssa_apply(r->res, r->old, applied, fm, force, time(NULL), &obj, &st) < 0) {
		json_decref(applied);
		api_reply_status(r, st ? st : status_internal("out of memory"));
		return;
	}
	json_decref(applied);
	r->obj = obj;
	r->applied = true;
	bns = objmeta_str(r->obj, "namespace");
	if (r->res->namespaced && bns && *bns && strcmp(bns, r->ns ? r->ns : "") != 0) {
		api_reply_status(r, status_bad_request("the namespace of the provided object does not match the "
						       "namespace sent on the request"));
		return;
	}
	name = objmeta_str(r->obj, "name");
	if (!name || strcmp(name, r->name) != 0) {
		char msg[400];
		snprintf(msg, sizeof(msg), "the name of the object (%.100s) does not match the name on the URL (%.100s)",
			 name ? name : "", r->name);
		api_reply_status(r, status_bad_request(msg));
		return;
	}
	if (!check_kind(r, r->obj))
		return;
	if (!r->old) {
		if (r->res->namespaced)
			json_object_set_new(objmeta_meta(r->obj), "namespace", json_string(r->ns));
		create_object(r);
		return;
	}
	update_object(r, rev, status);
}

static void rest_patch(api_req_t *r)
{
	enum body_type bt;
	int64_t rev;
	json_t *patch, *target, *result = NULL;
	char *err = NULL;
	int rc;
	bool status = r->sub && strcmp(r->sub, "status") == 0;

	r->verb = "patch";
	if (r->sub && !(status && r->res->has_status) && !(strcmp(r->sub, "scale") == 0 && r->res->has_scale)) {
		api_reply_status(r, status_new(404, "NotFound", "the server could not find the requested resource",
					       json_object()));
		return;
	}
	if (body_type(r, &bt) < 0 || bt == BODY_JSON || bt == BODY_YAML || bt == BODY_PROTOBUF) {
		api_reply_status(r, status_unsupported_media(
					    "the body of the request was in an unknown format - accepted media types "
					    "include: application/json-patch+json, application/merge-patch+json, "
					    "application/apply-patch+yaml, application/strategic-merge-patch+json"));
		return;
	}
	if (!options_ok(r, "PatchOptions", bt == BODY_APPLY_PATCH))
		return;
	if (bt == BODY_APPLY_PATCH) {
		rest_apply(r, status);
		return;
	}
	patch = read_json_body(r, bt != BODY_JSON_PATCH, bt);
	if (!patch)
		return;
	if (load_old(r, &rev) < 0) {
		json_decref(patch);
		return;
	}
	target = r->old;
	if (strcmp(r->sub ? r->sub : "", "scale") == 0) {
		json_int_t replicas;
		/* patch the Scale view, then carry spec.replicas over */
		json_t *sc = json_pack("{s:{s:O?}}", "spec", "replicas",
				       json_object_get(json_object_get(r->old, "spec"), "replicas"));
		json_t *res = NULL;
		rc = bt == BODY_JSON_PATCH ? patch_json(sc, patch, &res, &err) : patch_merge(sc, patch, &res);
		json_decref(sc);
		json_decref(patch);
		if (rc < 0 || json_unpack(res, "{s:{s:I}}", "spec", "replicas", &replicas) < 0) {
			json_decref(res);
			api_reply_status(r, rc < 0 ? patch_error_status(rc, err) : status_bad_request("invalid patch"));
			free(err);
			return;
		}
		json_decref(res);
		r->obj = json_deep_copy(r->old);
		json_object_set_new(json_object_get(r->obj, "spec"), "replicas", json_integer(replicas));
		update_object(r, rev, false);
		return;
	}
	switch (bt) {
	case BODY_MERGE_PATCH:
		rc = patch_merge(target, patch, &result);
		break;
	case BODY_JSON_PATCH:
		rc = patch_json(target, patch, &result, &err);
		break;
	case BODY_STRATEGIC_PATCH:
		rc = patch_strategic(r->res, target, patch, &result, &err);
		break;
	default:
		rc = -EINVAL;
	}
	json_decref(patch);
	if (rc == 0 && !json_is_object(result)) {
		rc = -EBADMSG;
		err = strdup("the patch must produce a JSON object");
	}
	if (rc < 0) {
		json_decref(result);
		api_reply_status(r, patch_error_status(rc, err));
		free(err);
		return;
	}
	free(err);
	r->obj = result;
	if (!check_kind(r, r->obj) || !check_unknown_fields(r, r->obj))
		return;
	if (!objmeta_str(r->obj, "name") || strcmp(objmeta_str(r->obj, "name"), r->name) != 0) {
		api_reply_status(r, status_bad_request("metadata.name: the name of a patched object may not change"));
		return;
	}
	update_object(r, rev, status);
}

/* --- delete --- */

static void delete_done(api_req_t *r, int err, int64_t rev)
{
	reply_written(r, err, rev);
}

/* Removes the object now; r->obj becomes the object the DELETED event and the reply carry. */
static void delete_now(api_req_t *r, const json_t *last, int64_t rev)
{
	char *key = rest_key(r->res, r->ns, r->name);
	json_t *copy = json_deep_copy(last);

	if (!key || !copy) {
		free(key);
		json_decref(copy);
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	json_decref(r->obj);
	r->obj = copy;
	r->status_code = 200;
	r->on_done = delete_done;
	submit(r, STORE_DELETE, key, rev);
	free(key);
}

static json_t *delete_options(api_req_t *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t len = evbuffer_get_length(in);

	if (len == 0 || len > 64 * 1024)
		return json_object();
	return json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, NULL);
}

static void rest_delete(api_req_t *r)
{
	int64_t rev;
	json_t *opts, *meta, *pre, *fin;
	const char *uid, *prv;
	long long grace = -1;
	char ts[21];
	bool dry;

	r->verb = "delete";
	if (r->sub) {
		api_reply_status(r, status_method_not_allowed(NULL));
		return;
	}
	opts = delete_options(r);
	if (!opts) {
		api_reply_status(r, status_bad_request("error decoding DeleteOptions"));
		return;
	}
	if (load_old(r, &rev) < 0) {
		json_decref(opts);
		return;
	}
	meta = json_object_get(r->old, "metadata");
	pre = json_object_get(opts, "preconditions");
	uid = json_string_value(json_object_get(pre, "uid"));
	prv = json_string_value(json_object_get(pre, "resourceVersion"));
	if (uid && strcmp(uid, objmeta_str(r->old, "uid") ? objmeta_str(r->old, "uid") : "") != 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "Precondition failed: UID in precondition: %.40s, UID in object meta: %s",
			 uid, objmeta_str(r->old, "uid") ? objmeta_str(r->old, "uid") : "");
		json_decref(opts);
		api_reply_status(r, status_conflict(r->res->group, r->res->plural, r->name, msg));
		return;
	}
	if (prv && strcmp(prv, objmeta_str(r->old, "resourceVersion") ? objmeta_str(r->old, "resourceVersion") : "")) {
		char msg[300];
		snprintf(msg, sizeof(msg),
			 "Precondition failed: ResourceVersion in precondition: %.30s, ResourceVersion in object meta: %s",
			 prv, objmeta_str(r->old, "resourceVersion"));
		json_decref(opts);
		api_reply_status(r, status_conflict(r->res->group, r->res->plural, r->name, msg));
		return;
	}
	if (json_is_integer(json_object_get(opts, "gracePeriodSeconds")))
		grace = json_integer_value(json_object_get(opts, "gracePeriodSeconds"));
	else
		parse_int_param(api_query(r, "gracePeriodSeconds"), 0, INT32_MAX, &grace);
	{
		const char *prop = json_string_value(json_object_get(opts, "propagationPolicy"));
		if (!prop)
			prop = api_query(r, "propagationPolicy");
		json_t *orphan = json_object_get(opts, "orphanDependents");
		const char *fin_name = NULL;
		if (prop && strcmp(prop, "Foreground") == 0)
			fin_name = "foregroundDeletion"; /* dependents go first */
		else if ((prop && strcmp(prop, "Orphan") == 0) || json_is_true(orphan))
			fin_name = "orphan"; /* dependents lose their ownerReference first */
		if (fin_name) {
			/* the garbage collector does the work and removes this finalizer */
			json_t *f = json_object_get(meta, "finalizers");
			bool has = false;
			size_t i;
			json_t *v;
			json_array_foreach(f, i, v) has = has || strcmp(json_string_value(v) ? json_string_value(v) : "",
									fin_name) == 0;
			if (!has) {
				if (!json_is_array(f))
					json_object_set_new(meta, "finalizers", f = json_array());
				json_array_append_new(f, json_string(fin_name));
			}
		}
	}
	dry = is_dry_run(r);
	{
		/* kubectl sends dryRun inside the DeleteOptions body */
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(opts, "dryRun"), i, v) if (json_is_string(v) &&
									       strcmp(json_string_value(v), "All") == 0)
			dry = true;
	}
	json_decref(opts);
	r->dry_run = dry;
	fin = json_object_get(meta, "finalizers");
	objmeta_timestamp(time(NULL), ts);
	/* Graceful deletion of a pod bound to a node: the agent stops it and removes the object with a
	 * final delete of grace 0 (the kubelet's). A pod in a terminal phase has nothing left to stop
	 * and goes at once (upstream's pod strategy CheckGracefulDelete). A second graceful delete
	 * while one is pending may only shorten the grace period (upstream's BeforeDelete); it never
	 * removes the object before the agent has stopped it. */
	{
		const char *phase = objmeta_path_str(r->old, "status", "phase");
		if (strcmp(r->res->plural, "pods") == 0 && phase &&
		    (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
			grace = 0;
	}
	if (strcmp(r->res->plural, "pods") == 0 && objmeta_path_str(r->old, "spec", "nodeName") &&
	    *objmeta_path_str(r->old, "spec", "nodeName") && grace != 0 && json_object_get(meta, "deletionTimestamp") &&
	    json_is_integer(json_object_get(meta, "deletionGracePeriodSeconds")) &&
	    json_integer_value(json_object_get(meta, "deletionGracePeriodSeconds")) > 0) {
		long long had = json_integer_value(json_object_get(meta, "deletionGracePeriodSeconds"));
		r->obj = json_deep_copy(r->old);
		if (grace > 0 && grace < had) {
			char when[21];
			objmeta_timestamp(time(NULL) + grace, when);
			json_object_set_new(objmeta_meta(r->obj), "deletionTimestamp", json_string(when));
			json_object_set_new(objmeta_meta(r->obj), "deletionGracePeriodSeconds", json_integer(grace));
		}
		goto mark;
	}
	if (strcmp(r->res->plural, "pods") == 0 && objmeta_path_str(r->old, "spec", "nodeName") &&
	    *objmeta_path_str(r->old, "spec", "nodeName") && grace != 0 &&
	    !json_object_get(meta, "deletionTimestamp")) {
		json_t *tgp = json_object_get(json_object_get(r->old, "spec"), "terminationGracePeriodSeconds");
		long long g = grace >= 0 ? grace : json_is_integer(tgp) ? json_integer_value(tgp) : 30;
		char when[21];
		objmeta_timestamp(time(NULL) + g, when);
		r->obj = json_deep_copy(r->old);
		json_object_set_new(objmeta_meta(r->obj), "deletionTimestamp", json_string(when));
		json_object_set_new(objmeta_meta(r->obj), "deletionGracePeriodSeconds", json_integer(g));
		if (g > 0)
			goto mark;
		json_decref(r->obj);
		r->obj = NULL;
	}
	if (strcmp(r->res->plural, "namespaces") == 0 || json_array_size(fin) > 0) {
		r->obj = json_deep_copy(r->old);
		meta = objmeta_meta(r->obj);
		if (!json_object_get(meta, "deletionTimestamp")) {
			json_object_set_new(meta, "deletionTimestamp", json_string(ts));
			json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(0));
		}
		if (strcmp(r->res->plural, "namespaces") == 0) {
			json_t *st = json_object_get(r->obj, "status");
			if (!json_is_object(st))
				json_object_set_new(r->obj, "status", st = json_object());
			json_object_set_new(st, "phase", json_string("Terminating"));
		}
		goto mark;
	}
	{
		json_t *last = json_incref(r->old);
		delete_now(r, last, rev);
		json_decref(last);
	}
	return;
mark:
	if (same_object(r->obj, r->old)) {
		reply_object(r, 200, json_incref(r->old));
		return;
	}
	{
		char *key = rest_key(r->res, r->ns, r->name);
		r->status_code = 200;
		r->on_done = reply_written;
		submit(r, STORE_UPDATE, key, rev);
		free(key);
	}
}

/* deletecollection: every matching object, one internal delete each; answered when all are done. */
typedef struct delcol {
	api_req_t *r;
	int pending;
	int failed;
	json_t *items;
} delcol_t;

static void delcol_finish(delcol_t *d)
{
	api_req_t *r = d->r;
	char rv[24];

	snprintf(rv, sizeof(rv), "%" PRId64, store_rev(r->srv->store));
	if (d->failed)
		api_reply_status(r, status_internal("some objects could not be deleted"));
	else
		api_reply_json(r, 200,
			       json_pack("{s:s, s:s, s:{s:s}, s:o}", "kind", "Status", "apiVersion", "v1",
					 "metadata", "resourceVersion", rv, "status", json_string("Success")));
	json_decref(d->items);
	free(d);
}

static void delcol_one_done(api_req_t *sub, int err, int64_t rev)
{
	delcol_t *d = sub->owner;

	(void)rev;
	if (err < 0 && err != -ENOENT)
		d->failed++;
	api_req_free(sub);
	if (--d->pending == 0)
		delcol_finish(d);
}

int rest_delete_internal(api_server_t *srv, const k8s_resource_t *res, const json_t *obj, int64_t rev,
			 void (*on_done)(api_req_t *, int, int64_t), void *ud)
{
	api_req_t *sub = calloc(1, sizeof(*sub));
	const char *ns = objmeta_str(obj, "namespace"), *name = objmeta_str(obj, "name");
	json_t *meta;
	char *key;
	enum store_op op = STORE_DELETE;
	store_write_t w = { .build = build_cb, .done = done_cb };
	int err;

	if (!sub)
		return -ENOMEM;
	sub->srv = srv;
	sub->res = res;
	sub->ns = ns ? strdup(ns) : NULL;
	sub->name = name ? strdup(name) : NULL;
	sub->obj = json_deep_copy(obj);
	sub->old = json_deep_copy(obj);
	sub->on_done = on_done;
	sub->owner = ud;
	sub->start_usec = api_now_usec();
	meta = objmeta_meta(sub->obj);
	if (json_array_size(json_object_get(meta, "finalizers")) > 0) {
		char ts[21];
		if (json_object_get(meta, "deletionTimestamp")) {
			/* already marked: nothing to write, the finalizer's owner will finish */
			on_done(sub, 0, 0);
			return 0;
		}
		objmeta_timestamp(time(NULL), ts);
		json_object_set_new(meta, "deletionTimestamp", json_string(ts));
		json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(0));
		op = STORE_UPDATE;
	}
	key = rest_key(res, sub->ns, sub->name);
	if (!key) {
		api_req_free(sub);
		return -ENOMEM;
	}
	sub->write_op = op;
	w.op = op;
	w.key = key;
	w.expect_rev = rev;
	w.userdata = sub;
	err = store_write(srv->store, &w, NULL);
	free(key);
	if (err < 0) {
		kind_after_write(sub, err);
		api_req_free(sub);
	}
	return err;
}

typedef struct collect_ctx {
	list_ctx_t lc;
	json_t *objs;   /* [obj, rev] pairs */
} collect_ctx_t;

static int collect_item(const store_kv_t *kv, void *ud)
{
	collect_ctx_t *c = ud;
	json_t *obj;

	if (!matches(&c->lc, kv, &obj))
		return 0;
	if (!obj)
		obj = parse_val(kv->val);
	if (obj)
		json_array_append_new(c->objs, json_pack("[o, I]", obj, (json_int_t)kv->mod_rev));
	return 0;
}

static void rest_deletecollection(api_req_t *r)
{
	collect_ctx_t c = { .lc = { .r = r } };
	char *prefix = rest_key(r->res, r->ns, NULL);
	delcol_t *d;
	size_t i;
	json_t *pair;

	r->verb = "deletecollection";
	if (!prefix) {
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	if (parse_selectors(r, &c.lc.lsel, &c.lc.fsel) < 0) {
		free(prefix);
		return;
	}
	c.objs = json_array();
	store_list(r->srv->store, prefix, NULL, 0, collect_item, &c);
	free(prefix);
	selector_free(c.lc.lsel);
	selector_free(c.lc.fsel);
	d = calloc(1, sizeof(*d));
	if (!d) {
		json_decref(c.objs);
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	d->r = r;
	d->pending = 1; /* held until every delete is queued */
	if (!is_dry_run(r)) {
		json_array_foreach(c.objs, i, pair) {
			d->pending++;
			if (rest_delete_internal(r->srv, r->res, json_array_get(pair, 0),
						 json_integer_value(json_array_get(pair, 1)), delcol_one_done, d) < 0)
				d->pending--; /* gone meanwhile or refused: nothing to wait for */
		}
	}
	json_decref(c.objs);
	if (--d->pending == 0)
		delcol_finish(d);
}

/* --- housekeeping --- */

typedef struct sweep_ctx {
	api_server_t *srv;
	time_t now;
	const k8s_resource_t *res;
	int found;
} sweep_ctx_t;

static void sweep_done(api_req_t *sub, int err, int64_t rev)
{
	api_req_free(sub);
}

static int sweep_event(const store_kv_t *kv, void *ud)
{
	sweep_ctx_t *c = ud;
	json_t *obj = parse_val(kv->val);
	const char *ts = json_string_value(json_object_get(obj, "lastTimestamp"));
	time_t t;

	if (!ts || !*ts)
		ts = objmeta_str(obj, "creationTimestamp");
	if (obj && objmeta_parse_time(ts, &t) == 0 && c->now - t > c->srv->opts.event_ttl_sec)
		rest_delete_internal(c->srv, c->res, obj, kv->mod_rev, sweep_done, NULL);
	json_decref(obj);
	return 0;
}

static int sweep_ns_content(const store_kv_t *kv, void *ud)
{
	sweep_ctx_t *c = ud;
	json_t *obj = parse_val(kv->val);

	c->found++;
	if (obj && !json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp"))
		rest_delete_internal(c->srv, c->res, obj, kv->mod_rev, sweep_done, NULL);
	json_decref(obj);
	return 0;
}

static int sweep_namespace(const store_kv_t *kv, void *ud)
{
	sweep_ctx_t *c = ud;
	json_t *ns = parse_val(kv->val);
	const char *phase = json_string_value(json_object_get(json_object_get(ns, "status"), "phase"));
	const char *name = objmeta_str(ns, "name");
	sweep_ctx_t inner = { .srv = c->srv, .now = c->now };

	if (ns && phase && strcmp(phase, "Terminating") == 0 && name) {
		for (size_t i = 0; i < k8s_resources_n; i++) {
			const k8s_resource_t *res = &k8s_resources[i];
			char *prefix;
			if (!res->namespaced)
				continue;
			prefix = rest_key(res, name, NULL);
			inner.res = res;
			if (prefix)
				store_list(c->srv->store, prefix, NULL, 0, sweep_ns_content, &inner);
			free(prefix);
		}
		/* Empty: the namespace controller's work is done, the namespace goes. */
		if (inner.found == 0)
			rest_delete_internal(c->srv, c->res, ns, kv->mod_rev, sweep_done, NULL);
	}
	json_decref(ns);
	return 0;
}

void rest_sweep(api_server_t *srv)
{
	static time_t last_events;
	sweep_ctx_t c = { .srv = srv, .now = time(NULL) };
	char *prefix;

	c.res = k8s_resource_find("", "v1", "namespaces");
	prefix = rest_key(c.res, NULL, NULL);
	if (prefix)
		store_list(srv->store, prefix, NULL, 0, sweep_namespace, &c);
	free(prefix);
	if (c.now - last_events >= 60) {
		last_events = c.now;
		c.res = k8s_resource_find("", "v1", "events");
		prefix = rest_key(c.res, NULL, NULL);
		if (prefix)
			store_list(srv->store, prefix, NULL, 0, sweep_event, &c);
		free(prefix);
	}
}

/* --- dispatch --- */

void rest_handle(api_req_t *r)
{
	const char *w = api_query(r, "watch");
	/* strconv.ParseBool, as upstream parses query booleans: python's client sends "True" */
	bool watch = w && (strcmp(w, "true") == 0 || strcmp(w, "1") == 0 || strcmp(w, "True") == 0 ||
			   strcmp(w, "TRUE") == 0 || strcmp(w, "t") == 0 || strcmp(w, "T") == 0);

	if (r->sub && strcmp(r->sub, "status") != 0 && strcmp(r->sub, "scale") != 0) {
		api_reply_status(r, status_new(404, "NotFound", "the server could not find the requested resource",
					       json_object()));
		return;
	}
	if (r->sub && ((strcmp(r->sub, "status") == 0 && !r->res->has_status) ||
		       (strcmp(r->sub, "scale") == 0 && !r->res->has_scale))) {
		api_reply_status(r, status_new(404, "NotFound", "the server could not find the requested resource",
					       json_object()));
		return;
	}
	switch (r->method) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		if (watch) {
			r->verb = "watch";
			watch_handle(r, 0, true);
		} else if (r->name) {
			rest_get(r);
		} else {
			rest_list(r);
		}
		return;
	case EVHTTP_REQ_POST:
		rest_create(r);
		return;
	case EVHTTP_REQ_PUT:
		if (!r->name)
			break;
		rest_update(r);
		return;
	case EVHTTP_REQ_PATCH:
		if (!r->name)
			break;
		rest_patch(r);
		return;
	case EVHTTP_REQ_DELETE:
		if (r->name)
			rest_delete(r);
		else
			rest_deletecollection(r);
		return;
	default:
		break;
	}
	api_reply_status(r, status_method_not_allowed(NULL));
}
