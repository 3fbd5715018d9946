/* ObjectMeta validation with kube-apiserver's wording. The name checks are hand-written matchers for
 * upstream's regexes (quoted in the messages); lengths are bytes, as Go's len(). */
#include "lib/meta_validate.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/field_err.h"

/* Upstream MaxLenError(): "must be no more than N characters" in util/validation; newer content/
 * trees say "bytes". One place to flip it. */
#define MAXLEN(n) "must be no more than " #n " characters"

#define RE_DNS1123_LABEL "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define RE_DNS1123_SUBDOMAIN RE_DNS1123_LABEL "(\\." RE_DNS1123_LABEL ")*"
#define RE_DNS1035_LABEL "[a-z]([-a-z0-9]*[a-z0-9])?"
#define RE_LABEL_KEY "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define RE_LABEL_VALUE "(" RE_LABEL_KEY ")?"

/* RegexError(msg, re, examples...): "msg (e.g. 'a',  or 'b', regex used for validation is 're')" */
#define MSG_DNS1123_LABEL                                                                          \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and " \
	"must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "   \
	"used for validation is '" RE_DNS1123_LABEL "')"
#define MSG_DNS1123_SUBDOMAIN                                                                      \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or " \
	"'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used " \
	"for validation is '" RE_DNS1123_SUBDOMAIN "')"
#define MSG_DNS1035_LABEL                                                                          \
	"a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an " \
	"alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "         \
	"'abc-123', regex used for validation is '" RE_DNS1035_LABEL "')"
#define MSG_LABEL_KEY                                                                              \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "  \
	"alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "        \
	"validation is '" RE_LABEL_KEY "')"
#define MSG_LABEL_VALUE                                                                            \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "  \
	"'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "           \
	"'my_value',  or '12345', regex used for validation is '" RE_LABEL_VALUE "')"

#define META_ANNOTATIONS_MAX (256 * 1024)   /* TotalAnnotationSizeLimitB */
#define META_FIELD_MANAGER_MAX 128          /* FieldManagerMaxLength */
#define META_SUBRESOURCE_MAX 256            /* MaxSubresourceNameLength */
#define META_CONTROLLER_ERRS_MAX 16         /* Portico cap on repeated "Only one reference" errors */

/* ---- regex matchers ---------------------------------------------------------------------------- */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ over s[0..n) */
static bool match_dns1123_label(const char *s, size_t n)
{
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* ^label(\.label)*$ over s[0..n) */
static bool match_dns1123_subdomain_n(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	for (;;) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		if (!match_dns1123_label(p, dot ? (size_t)(dot - p) : (size_t)(end - p)))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

static bool match_dns1123_subdomain(const char *s)
{
	return match_dns1123_subdomain_n(s, strlen(s));
}

static bool match_dns1035_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || !(s[0] >= 'a' && s[0] <= 'z') || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$ over s[0..n) */
static bool match_label_key(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* ---- the checks, in upstream's message order ------------------------------------------------- */

static size_t dns1123_label(const char *s, const char **m)
{
	size_t k = 0;

	if (strlen(s) > 63)
		m[k++] = MAXLEN(63);
	if (!match_dns1123_label(s, strlen(s)))
		/* a valid subdomain that is no label: length was checked, so it must be the dots */
		m[k++] = match_dns1123_subdomain(s) ? "must not contain dots" : MSG_DNS1123_LABEL;
	return k;
}

static size_t dns1123_subdomain(const char *s, const char **m)
{
	size_t k = 0;

	if (strlen(s) > 253)
		m[k++] = MAXLEN(253);
	if (!match_dns1123_subdomain(s))
		m[k++] = MSG_DNS1123_SUBDOMAIN;
	return k;
}

static size_t dns1035_label(const char *s, const char **m)
{
	size_t k = 0;

	if (strlen(s) > 63)
		m[k++] = MAXLEN(63);
	if (!match_dns1035_label(s))
		m[k++] = MSG_DNS1035_LABEL;
	return k;
}

/* content.IsLabelKey: [prefix "/"] name, prefix a DNS-1123 subdomain, name at most 63 bytes. */
static size_t qualified_name(const char *s, const char **m)
{
	const char *slash = strchr(s, '/'), *name = s;
	size_t k = 0, n;

	if (slash && strchr(slash + 1, '/')) {
		m[k++] = "a valid label key " MSG_LABEL_KEY " with an optional DNS subdomain prefix and '/' "
			 "(e.g. 'example.com/MyName')";
		return k;
	}
	if (slash) {
		size_t plen = (size_t)(slash - s);
		name = slash + 1;
		if (plen == 0) {
			m[k++] = "prefix part must be non-empty";
		} else {
			if (plen > 253)
				m[k++] = "prefix part " MAXLEN(253);
			if (!match_dns1123_subdomain_n(s, plen))
				m[k++] = "prefix part " MSG_DNS1123_SUBDOMAIN;
		}
	}
	n = strlen(name);
	if (n == 0)
		m[k++] = "name part must be non-empty";
	else if (n > 63)
		m[k++] = "name part " MAXLEN(63);
	if (!match_label_key(name, n))
		m[k++] = "name part " MSG_LABEL_KEY;
	return k;
}

static size_t label_value(const char *s, const char **m)
{
	size_t k = 0, n = strlen(s);

	if (n > 63)
		m[k++] = MAXLEN(63);
	if (n > 0 && !match_label_key(s, n))
		m[k++] = MSG_LABEL_VALUE;
	return k;
}

/* IsValidPortName (RFC 6335 service names, lower case only). */
static size_t iana_svc_name(const char *s, const char **m)
{
	size_t k = 0, n = strlen(s);
	bool charset = n > 0, letter = false;

	if (n > 15)
		m[k++] = MAXLEN(15);
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			charset = false;
	}
	if (!charset)
		m[k++] = "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
	if (!letter)
		m[k++] = "must contain at least one letter (a-z)";
	if (strstr(s, "--"))
		m[k++] = "must not contain consecutive hyphens";
	if (n > 0 && (s[0] == '-' || s[n - 1] == '-'))
		m[k++] = "must not begin or end with a hyphen";
	return k;
}

size_t name_check(enum name_check kind, const char *s, const char *ret_msgs[NAME_CHECK_MAX_MSGS])
{
	if (!s)
		s = "";
	switch (kind) {
	case NAME_CHECK_DNS1123_LABEL: return dns1123_label(s, ret_msgs);
	case NAME_CHECK_DNS1123_SUBDOMAIN: return dns1123_subdomain(s, ret_msgs);
	case NAME_CHECK_DNS1035_LABEL: return dns1035_label(s, ret_msgs);
	case NAME_CHECK_QUALIFIED_NAME: return qualified_name(s, ret_msgs);
	case NAME_CHECK_LABEL_VALUE: return label_value(s, ret_msgs);
	case NAME_CHECK_IANA_SVC_NAME: return iana_svc_name(s, ret_msgs);
	}
	return 0;
}

static const char *first(enum name_check kind, const char *s)
{
	const char *m[NAME_CHECK_MAX_MSGS];

	return name_check(kind, s, m) ? m[0] : NULL;
}

const char *check_dns1123_label(const char *s) { return first(NAME_CHECK_DNS1123_LABEL, s); }
const char *check_dns1123_subdomain(const char *s) { return first(NAME_CHECK_DNS1123_SUBDOMAIN, s); }
const char *check_dns1035_label(const char *s) { return first(NAME_CHECK_DNS1035_LABEL, s); }
const char *check_qualified_name(const char *s) { return first(NAME_CHECK_QUALIFIED_NAME, s); }
const char *check_label_value(const char *s) { return first(NAME_CHECK_LABEL_VALUE, s); }
const char *check_iana_svc_name(const char *s) { return first(NAME_CHECK_IANA_SVC_NAME, s); }

void name_check_field(json_t *errs, const char *field, enum name_check kind, const char *s)
{
	const char *m[NAME_CHECK_MAX_MSGS];
	size_t n = name_check(kind, s, m);

	for (size_t i = 0; i < n; i++)
		ferr_invalid_str(errs, field, s, m[i]);
}

enum name_rule meta_name_rule(const char *plural)
{
	if (plural && strcmp(plural, "namespaces") == 0)
		return NAME_DNS1123_LABEL;      /* ValidateNamespaceName = NameIsDNSLabel */
	if (plural && strcmp(plural, "services") == 0)
		return NAME_DNS1035_LABEL;      /* ValidateServiceName = NameIsDNS1035Label */
	return NAME_DNS1123_SUBDOMAIN;          /* pods, nodes, configmaps, endpoints, events, ... */
}

/* ---- helpers ----------------------------------------------------------------------------------- */

/* A cause whose value is already in Go's %v/%#v form (times, structs, slices), which field_err.h
 * has no entry point for. Same shape as field_err.c's causes. */
static void invalid_raw(json_t *errs, const char *field, const char *value, const char *detail)
{
	char *msg;
	json_t *c;

	if (!value || asprintf(&msg, "Invalid value: %s: %s", value, detail) < 0)
		return;
	c = json_pack("{s:s, s:s, s:s}", "reason", "FieldValueInvalid", "message", msg, "field", field);
	free(msg);
	if (c)
		json_array_append_new(errs, c);
}

static void type_error(json_t *errs, const char *field, const json_t *v, const char *type)
{
	char detail[40];

	snprintf(detail, sizeof(detail), "must be of type %s", type);
	ferr_invalid(errs, field, v, detail);
}

/* The string member key of obj: "" when absent or null; NULL (and an error) for another type. */
static const char *member_str(json_t *errs, const json_t *obj, const char *key, const char *field)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!v || json_is_null(v))
		return "";
	if (!json_is_string(v)) {
		type_error(errs, field, v, "string");
		return NULL;
	}
	return json_string_value(v);
}

/* An object/array member, NULL when absent or null; wrong types are reported and yield NULL. */
static json_t *member_typed(json_t *errs, const json_t *obj, const char *key, const char *field,
			    json_type type)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!v || json_is_null(v))
		return NULL;
	if (json_typeof(v) != type) {
		type_error(errs, field, v, type == JSON_OBJECT ? "object" : "array");
		return NULL;
	}
	return v;
}

/* Go's %#v of a []string: []string{"a", "b"}; caller frees. */
static char *go_string_slice(const char *const *v, size_t n)
{
	size_t cap = 16, len;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	len = (size_t)snprintf(out, cap, "[]string{");
	for (size_t i = 0; i < n; i++) {
		char *q = ferr_quote(v[i]);
		size_t need = (q ? strlen(q) : 0) + 4;
		if (!q || len + need + 2 > cap) {
			char *nw = q ? realloc(out, cap = (len + need + 2) * 2) : NULL;
			if (!nw) {
				free(q);
				free(out);
				return NULL;
			}
			out = nw;
		}
		len += (size_t)sprintf(out + len, "%s%s", i ? ", " : "", q);
		free(q);
	}
	strcpy(out + len, "}");
	return out;
}

/* ---- labels, annotations, owner references, finalizers, managed fields -------------------------- */

static void validate_labels(const json_t *meta, json_t *errs)
{
	const json_t *labels = member_typed(errs, meta, "labels", "metadata.labels", JSON_OBJECT);
	const char *k;
	json_t *v;

	/* v1validation.ValidateLabels: both key and value errors sit at "metadata.labels" */
	json_object_foreach ((json_t *)labels, k, v) {
		name_check_field(errs, "metadata.labels", NAME_CHECK_QUALIFIED_NAME, k);
		if (!json_is_string(v)) {
			type_error(errs, "metadata.labels", v, "string");
			continue;
		}
		name_check_field(errs, "metadata.labels", NAME_CHECK_LABEL_VALUE, json_string_value(v));
	}
}

static void validate_annotations(const json_t *meta, json_t *errs)
{
	const json_t *ann = member_typed(errs, meta, "annotations", "metadata.annotations", JSON_OBJECT);
	unsigned long long total = 0;
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)ann, k, v) {
		/* "the rule is QualifiedName except that case doesn't matter": check the lowered key,
		 * report the original */
		const char *m[NAME_CHECK_MAX_MSGS];
		char *lower = strdup(k);
		size_t n;

		if (!lower)
			return;
		for (char *p = lower; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		n = name_check(NAME_CHECK_QUALIFIED_NAME, lower, m);
		free(lower);
		for (size_t i = 0; i < n; i++)
			ferr_invalid_str(errs, "metadata.annotations", k, m[i]);
		total += strlen(k);
		if (json_is_string(v))
			total += json_string_length(v);
		else
			type_error(errs, "metadata.annotations", v, "string");
	}
	if (total > META_ANNOTATIONS_MAX)
		ferr_too_long(errs, "metadata.annotations", META_ANNOTATIONS_MAX);
}

/* Go's %#v of a metav1.OwnerReference. The *bool fields print as addresses upstream, which no
 * client can rely on; a fixed one stands in. */
static char *go_owner_ref(const json_t *ref)
{
	const char *f[4] = { "apiVersion", "kind", "name", "uid" };
	char *q[4] = { NULL }, *out = NULL;
	const json_t *c = json_object_get(ref, "controller"), *b = json_object_get(ref, "blockOwnerDeletion");

	for (int i = 0; i < 4; i++) {
		const json_t *v = json_object_get(ref, f[i]);
		q[i] = ferr_quote(json_is_string(v) ? json_string_value(v) : "");
		if (!q[i])
			goto out;
	}
	if (asprintf(&out, "v1.OwnerReference{APIVersion:%s, Kind:%s, Name:%s, UID:%s, Controller:(*bool)(%s), "
			   "BlockOwnerDeletion:(*bool)(%s)}", q[0], q[1], q[2], q[3],
		     json_is_boolean(c) ? "0xc000000000" : "nil",
		     json_is_boolean(b) ? "0xc000000008" : "nil") < 0)
		out = NULL;
out:
	for (int i = 0; i < 4; i++)
		free(q[i]);
	return out;
}

static char *go_owner_refs(const json_t *refs)
{
	size_t len = strlen("[]v1.OwnerReference{}") + 1, i;
	const json_t *r;
	char *out, *o;

	json_array_foreach (refs, i, r) {
		char *s = json_is_object(r) ? go_owner_ref(r) : NULL;
		len += (s ? strlen(s) : 0) + 2;
		free(s);
	}
	out = malloc(len);
	if (!out)
		return NULL;
	o = stpcpy(out, "[]v1.OwnerReference{");
	json_array_foreach (refs, i, r) {
		char *s = json_is_object(r) ? go_owner_ref(r) : NULL;
		if (s) {
			if (i)
				o = stpcpy(o, ", ");
			o = stpcpy(o, s);
		}
		free(s);
	}
	strcpy(o, "}");
	return out;
}

static void validate_owner_refs(const json_t *meta, json_t *errs)
{
	const char *F = "metadata.ownerReferences";
	const json_t *refs = member_typed(errs, meta, "ownerReferences", F, JSON_ARRAY);
	char *first_ctrl = NULL, *all = NULL;
	int ctrl_errs = 0;
	const json_t *ref;
	size_t i;

	json_array_foreach (refs, i, ref) {
		const char *api, *kind, *name, *uid, *slash;
		bool version_empty;
		const json_t *ctrl;

		if (!json_is_object(ref)) {
			type_error(errs, F, ref, "object");
			continue;
		}
		api = member_str(errs, ref, "apiVersion", "metadata.ownerReferences.apiVersion");
		kind = member_str(errs, ref, "kind", "metadata.ownerReferences.kind");
		name = member_str(errs, ref, "name", "metadata.ownerReferences.name");
		uid = member_str(errs, ref, "uid", "metadata.ownerReferences.uid");
		if (!api || !kind || !name || !uid)
			continue;
		/* schema.ParseGroupVersion: "v" or "g/v"; more slashes is an error, which
		 * FromAPIVersionAndKind turns into an empty group and version */
		slash = strchr(api, '/');
		version_empty = slash ? (slash[1] == '\0' || strchr(slash + 1, '/')) : api[0] == '\0';
		if (version_empty)
			ferr_invalid_str(errs, "metadata.ownerReferences.apiVersion", api, "version must not be empty");
		if (!*kind)
			ferr_invalid_str(errs, "metadata.ownerReferences.kind", kind, "must not be empty");
		if (!*name)
			ferr_invalid_str(errs, "metadata.ownerReferences.name", name, "must not be empty");
		if (!*uid)
			ferr_invalid_str(errs, "metadata.ownerReferences.uid", uid, "must not be empty");
		/* BannedOwners: core/v1 Event */
		if (strcmp(api, "v1") == 0 && strcmp(kind, "Event") == 0) {
			char *v = go_owner_ref(ref);
			invalid_raw(errs, F, v, "/v1, Kind=Event is disallowed from being an owner");
			free(v);
		}
		ctrl = json_object_get(ref, "controller");
		if (json_is_true(ctrl)) {
			char *cur = NULL;
			if (asprintf(&cur, "%s/%s", kind, name) < 0)
				break;
			if (first_ctrl) {
				/* upstream repeats the whole list in each error; rendered once here, and
				 * capped so a hostile list cannot grow the reply quadratically */
				char *d = NULL;
				if (!all)
					all = go_owner_refs(refs);
				if (ctrl_errs++ < META_CONTROLLER_ERRS_MAX &&
				    asprintf(&d, "Only one reference can have Controller set to true. Found \"true\" "
						 "in references for %s and %s", first_ctrl, cur) >= 0)
					invalid_raw(errs, F, all, d);
				free(d);
				free(cur);
			} else {
				first_ctrl = cur;
			}
		}
	}
	free(first_ctrl);
	free(all);
}

static void validate_finalizers(const json_t *meta, json_t *errs)
{
	const char *F = "metadata.finalizers";
	const json_t *fins = member_typed(errs, meta, "finalizers", F, JSON_ARRAY);
	bool orphan = false, foreground = false;
	const json_t *f;
	size_t i;

	json_array_foreach (fins, i, f) {
		const char *s;
		if (!json_is_string(f)) {
			type_error(errs, F, f, "string");
			continue;
		}
		s = json_string_value(f);
		name_check_field(errs, F, NAME_CHECK_QUALIFIED_NAME, s);
		orphan = orphan || strcmp(s, "orphan") == 0;
		foreground = foreground || strcmp(s, "foregroundDeletion") == 0;
	}
	if (orphan && foreground) {
		size_t n = json_array_size(fins), k = 0;
		const char **v = calloc(n ? n : 1, sizeof(*v));
		char *s;

		if (!v)
			return;
		json_array_foreach (fins, i, f)
			if (json_is_string(f))
				v[k++] = json_string_value(f);
		s = go_string_slice(v, k);
		invalid_raw(errs, F, s, "finalizer orphan and foregroundDeletion cannot be both set");
		free(s);
		free(v);
	}
}

static void validate_managed_fields(const json_t *meta, json_t *errs)
{
	const json_t *mf = member_typed(errs, meta, "managedFields", "metadata.managedFields", JSON_ARRAY);
	const json_t *e;
	size_t i;

	json_array_foreach (mf, i, e) {
		char p[96];
		const char *op, *ft, *mgr, *sub;

		if (!json_is_object(e)) {
			snprintf(p, sizeof(p), "metadata.managedFields[%zu]", i);
			type_error(errs, p, e, "object");
			continue;
		}
		snprintf(p, sizeof(p), "metadata.managedFields[%zu].operation", i);
		op = member_str(errs, e, "operation", p);
		if (op && strcmp(op, "Apply") != 0 && strcmp(op, "Update") != 0)
			ferr_invalid_str(errs, p, op, "must be `Apply` or `Update`");
		snprintf(p, sizeof(p), "metadata.managedFields[%zu].fieldsType", i);
		ft = member_str(errs, e, "fieldsType", p);
		if (ft && *ft && strcmp(ft, "FieldsV1") != 0)
			ferr_invalid_str(errs, p, ft, "must be `FieldsV1`");
		snprintf(p, sizeof(p), "metadata.managedFields[%zu].manager", i);
		mgr = member_str(errs, e, "manager", p);
		if (mgr) {
			if (strlen(mgr) > META_FIELD_MANAGER_MAX)
				ferr_too_long(errs, p, META_FIELD_MANAGER_MAX);
			/* ValidateFieldManager: unicode.IsPrint on each rune; the ASCII controls are
			 * what reaches us in practice, reported as Go's %#U */
			for (size_t j = 0; mgr[j]; j++) {
				unsigned char c = (unsigned char)mgr[j];
				if (c < 0x20 || c == 0x7f) {
					char d[64];
					snprintf(d, sizeof(d), "invalid character U+%04X (at position %zu)", c, j);
					ferr_invalid_str(errs, p, mgr, d);
				}
			}
		}
		snprintf(p, sizeof(p), "metadata.managedFields[%zu].subresource", i);
		sub = member_str(errs, e, "subresource", p);
		if (sub && strlen(sub) > META_SUBRESOURCE_MAX)
			ferr_too_long(errs, p, META_SUBRESOURCE_MAX);
	}
}

/* ---- create ------------------------------------------------------------------------------------ */

static enum name_check rule_check(enum name_rule rule)
{
	switch (rule) {
	case NAME_DNS1123_LABEL: return NAME_CHECK_DNS1123_LABEL;
	case NAME_DNS1035_LABEL: return NAME_CHECK_DNS1035_LABEL;
	case NAME_DNS1123_SUBDOMAIN: break;
	}
	return NAME_CHECK_DNS1123_SUBDOMAIN;
}

/* The generation must be a non-negative integer (ValidateNonnegativeField). */
static void validate_generation(const json_t *meta, json_t *errs)
{
	json_t *g = json_is_object(meta) ? json_object_get(meta, "generation") : NULL;

	if (!g || json_is_null(g))
		return;
	if (!json_is_integer(g))
		type_error(errs, "metadata.generation", g, "integer");
	else if (json_integer_value(g) < 0)
		ferr_invalid_int(errs, "metadata.generation", json_integer_value(g),
				 "must be greater than or equal to 0");
}

void meta_validate(const json_t *meta, bool namespaced, enum name_rule rule, json_t *errs)
{
	const char *gen = member_str(errs, meta, "generateName", "metadata.generateName");
	const char *name = member_str(errs, meta, "name", "metadata.name");
	const char *ns = member_str(errs, meta, "namespace", "metadata.namespace");
	enum name_check check = rule_check(rule);

	if (gen && *gen) {
		/* maskTrailingDash: generated names get a suffix, so a trailing '-' is fine; upstream
		 * replaces the last two bytes by "a" (guarded for length 1 as older releases did) */
		size_t n = strlen(gen);
		char *masked = strdup(gen);
		if (!masked)
			return;
		if (n > 1 && gen[n - 1] == '-') {
			masked[n - 2] = 'a';
			masked[n - 1] = '\0';
		}
		const char *m[NAME_CHECK_MAX_MSGS];
		size_t k = name_check(check, masked, m);
		for (size_t i = 0; i < k; i++)
			ferr_invalid_str(errs, "metadata.generateName", gen, m[i]);
		free(masked);
	}
	if (name && !*name) {
		if (!(gen && *gen))
			ferr_required(errs, "metadata.name", "name or generateName is required");
	} else if (name) {
		name_check_field(errs, "metadata.name", check, name);
	}
	if (namespaced) {
		if (ns && !*ns)
			ferr_required(errs, "metadata.namespace", NULL);
		else if (ns)
			name_check_field(errs, "metadata.namespace", NAME_CHECK_DNS1123_LABEL, ns);
	} else if (ns && *ns) {
		ferr_forbidden(errs, "metadata.namespace", "not allowed on this type");
	}
	validate_generation(meta, errs);
	validate_labels(meta, errs);
	validate_annotations(meta, errs);
	validate_owner_refs(meta, errs);
	validate_finalizers(meta, errs);
	validate_managed_fields(meta, errs);
}

/* ---- update ------------------------------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* proleptic Gregorian day count since 1970-01-01 */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

/* RFC 3339 ("2006-01-02T15:04:05Z", fraction and offset allowed) to Unix seconds. */
static bool parse_rfc3339(const char *s, int64_t *ret)
{
	int Y, M, D, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p = s + 19;

	if (strlen(s) < 20 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
	    !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 59)
		return false;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
			return false;
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	*ret = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	return true;
}

/* Go's time.Time.String() in UTC (metav1.Time prints through its embedded time.Time). */
static void go_time(int64_t t, char out[64])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), y;
	int64_t rem = t - days * 86400;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	snprintf(out, 64, "%04lld-%02u-%02u %02d:%02d:%02d +0000 UTC", (long long)y, m, d,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

/* Time members compare as instants (apiequality.Semantic compares metav1.Time in UTC). */
static void immutable_time(const json_t *nm, const json_t *om, const char *key, const char *field,
			   bool pointer, json_t *errs)
{
	const json_t *nv = json_object_get(nm, key), *ov = json_object_get(om, key);
	const char *ns = json_is_string(nv) ? json_string_value(nv) : NULL;
	const char *os = json_is_string(ov) ? json_string_value(ov) : NULL;
	int64_t nt = 0, ot = 0;
	bool nok = ns && parse_rfc3339(ns, &nt), ook = os && parse_rfc3339(os, &ot);
	char buf[64];

	if (!ns && !os)
		return;
	if (nok && ook ? nt == ot : (ns && os && strcmp(ns, os) == 0))
		return;
	if (!ns)
		/* absent: a nil *Time prints "null", a zero Time its zero instant */
		snprintf(buf, sizeof(buf), "%s", pointer ? "null" : "0001-01-01 00:00:00 +0000 UTC");
	else if (nok)
		go_time(nt, buf);
	else
		snprintf(buf, sizeof(buf), "%.60s", ns);
	invalid_raw(errs, field, buf, "field is immutable");
}

static void immutable_str(const json_t *nm, const json_t *om, const char *key, const char *field, json_t *errs)
{
	const json_t *nv = json_object_get(nm, key), *ov = json_object_get(om, key);
	const char *ns = json_is_string(nv) ? json_string_value(nv) : "";
	const char *os = json_is_string(ov) ? json_string_value(ov) : "";

	if (strcmp(ns, os) != 0)
		ferr_invalid_str(errs, field, ns, "field is immutable");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The strings of a JSON array, sorted, for bsearch (caller frees the array, not the strings). */
static const char **sorted_strings(const json_t *arr, size_t *ret_n)
{
	size_t n = 0, i;
	const char **v = calloc(json_array_size(arr) + 1, sizeof(*v));
	const json_t *e;

	if (!v)
		return NULL;
	json_array_foreach (arr, i, e)
		if (json_is_string(e))
			v[n++] = json_string_value(e);
	qsort(v, n, sizeof(*v), cmp_str);
	*ret_n = n;
	return v;
}

/* ValidateNoNewFinalizers: the set difference new - old, sorted and deduplicated as sets.String. */
static void no_new_finalizers(const json_t *nm, const json_t *om, json_t *errs)
{
	const json_t *nf = json_object_get(nm, "finalizers"), *of = json_object_get(om, "finalizers"), *v;
	size_t n = json_array_size(nf), k = 0, u = 0, n_old = 0, i;
	const char **extra, **old;
	char *s, *d = NULL;

	if (!n)
		return;
	extra = calloc(n, sizeof(*extra));
	old = sorted_strings(of, &n_old);
	if (!extra || !old) {
		free(extra);
		free(old);
		return;
	}
	json_array_foreach (nf, i, v) {
		const char *f = json_string_value(v);
		if (f && !bsearch(&f, old, n_old, sizeof(*old), cmp_str))
			extra[k++] = f;
	}
	free(old);
	qsort(extra, k, sizeof(*extra), cmp_str);
	for (i = 0; i < k; i++)
		if (u == 0 || strcmp(extra[u - 1], extra[i]) != 0)
			extra[u++] = extra[i];
	if (u) {
		s = go_string_slice(extra, u);
		if (s && asprintf(&d, "no new finalizers can be added if the object is being deleted, found new "
				      "finalizers %s", s) >= 0)
			ferr_forbidden(errs, "metadata.finalizers", d);
		free(d);
		free(s);
	}
	free(extra);
}

void meta_validate_update(const json_t *new_meta, const json_t *old_meta, json_t *errs)
{
	json_t *empty = json_object();
	const json_t *nm = json_is_object(new_meta) ? new_meta : empty;
	const json_t *om = json_is_object(old_meta) ? old_meta : empty;
	const json_t *ng, *og, *np, *op;
	const char *rv;

	if (!empty)
		return;
	if (json_is_string(json_object_get(om, "deletionTimestamp")))
		no_new_finalizers(nm, om, errs);
	rv = member_str(errs, nm, "resourceVersion", "metadata.resourceVersion");
	if (rv && !*rv)
		ferr_invalid_str(errs, "metadata.resourceVersion", rv, "must be specified for an update");
	ng = json_object_get(nm, "generation");
	og = json_object_get(om, "generation");
	if (json_is_integer(ng) && json_integer_value(ng) < (json_is_integer(og) ? json_integer_value(og) : 0))
		ferr_invalid_int(errs, "metadata.generation", json_integer_value(ng), "must not be decremented");
	immutable_str(nm, om, "name", "metadata.name", errs);
	immutable_str(nm, om, "namespace", "metadata.namespace", errs);
	immutable_str(nm, om, "uid", "metadata.uid", errs);
	immutable_time(nm, om, "creationTimestamp", "metadata.creationTimestamp", false, errs);
	immutable_time(nm, om, "deletionTimestamp", "metadata.deletionTimestamp", true, errs);
	np = json_object_get(nm, "deletionGracePeriodSeconds");
	op = json_object_get(om, "deletionGracePeriodSeconds");
	if (json_is_integer(np) != json_is_integer(op) ||
	    (json_is_integer(np) && json_integer_value(np) != json_integer_value(op))) {
		if (json_is_integer(np))
			ferr_invalid_int(errs, "metadata.deletionGracePeriodSeconds", json_integer_value(np),
					 "field is immutable");
		else
			invalid_raw(errs, "metadata.deletionGracePeriodSeconds", "null", "field is immutable");
	}
	validate_labels(nm, errs);
	validate_annotations(nm, errs);
	validate_owner_refs(nm, errs);
	validate_managed_fields(nm, errs);
	json_decref(empty);
}
