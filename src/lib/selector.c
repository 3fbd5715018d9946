/* Label selectors (labels.Parse, LabelSelectorAsSelector) and field selectors (fields.ParseSelector
 * plus the per-kind field label conversion and field sets), message for message as upstream. */
#include "lib/selector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/field_err.h"
#include "lib/meta_validate.h"

enum sel_kind { SEL_LABEL, SEL_NOTHING, SEL_FIELD };

enum sel_op { OP_EQ, OP_DEQ, OP_NEQ, OP_IN, OP_NOTIN, OP_EXISTS, OP_DNE, OP_GT, OP_LT };

struct sel_req {
	char *key;
	enum sel_op op;
	char **vals;
	size_t n_vals;
	long long num;  /* OP_GT/OP_LT: the parsed value */
};

struct selector {
	enum sel_kind kind;
	struct sel_req *reqs;
	size_t n, cap;
};

/* ---- small helpers ----------------------------------------------------------------------------- */

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, f);
	r = vasprintf(&s, f, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

static void req_clear(struct sel_req *r)
{
	free(r->key);
	for (size_t i = 0; i < r->n_vals; i++)
		free(r->vals[i]);
	free(r->vals);
}

void selector_free(selector_t *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++)
		req_clear(&sel->reqs[i]);
	free(sel->reqs);
	free(sel);
}

static selector_t *sel_new(enum sel_kind kind)
{
	selector_t *s = calloc(1, sizeof(*s));

	if (s)
		s->kind = kind;
	return s;
}

/* Appends a requirement, taking key and the values (n strings) by copy. */
static int sel_add(selector_t *s, const char *key, size_t key_len, enum sel_op op, const char *const *vals,
		   size_t n, long long num)
{
	struct sel_req r = { .op = op, .num = num };

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		struct sel_req *nr = realloc(s->reqs, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		s->reqs = nr;
		s->cap = cap;
	}
	r.key = strndup(key, key_len);
	r.vals = n ? calloc(n, sizeof(*r.vals)) : NULL;
	if (!r.key || (n && !r.vals))
		goto oom;
	for (; r.n_vals < n; r.n_vals++)
		if (!(r.vals[r.n_vals] = strdup(vals[r.n_vals])))
			goto oom;
	s->reqs[s->n++] = r;
	return 0;
oom:
	req_clear(&r);
	return -ENOMEM;
}

/* strconv.ParseInt(s, 10, 64): optional sign, decimal digits, in range. */
static bool parse_int64(const char *s, long long *ret)
{
	bool neg = *s == '-';
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	if (*s == '+' || *s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (lim - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = neg ? (long long)(0 - v) : (long long)v;
	return true;
}

/* A growable list of messages joined as utilerrors.NewAggregate prints them: one alone, several as
 * "[a, b]"; duplicates dropped (field.ErrorList.ToAggregate). */
struct agg {
	char *msgs[16];
	size_t n;
	bool oom;
};

static void agg_add(struct agg *a, char *m)
{
	if (!m) {
		a->oom = true;
		return;
	}
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->msgs[i], m) == 0) {
			free(m);
			return;
		}
	if (a->n == sizeof(a->msgs) / sizeof(a->msgs[0])) {
		free(m);
		return;
	}
	a->msgs[a->n++] = m;
}

static char *agg_join(struct agg *a)
{
	size_t len = 3;
	char *out;

	for (size_t i = 0; i < a->n; i++)
		len += strlen(a->msgs[i]) + 2;
	out = a->oom ? NULL : malloc(len);
	if (out) {
		out[0] = '\0';
		if (a->n > 1)
			strcat(out, "[");
		for (size_t i = 0; i < a->n; i++) {
			if (i)
				strcat(out, ", ");
			strcat(out, a->msgs[i]);
		}
		if (a->n > 1)
			strcat(out, "]");
	}
	for (size_t i = 0; i < a->n; i++)
		free(a->msgs[i]);
	a->n = 0;
	return out;
}

/* field.Error.Error(): "<path>: Invalid value: <value>: <detail>", value already formatted. */
static char *invalid_msg(const char *path, const char *value, const char *detail)
{
	return value ? fmt("%s: Invalid value: %s: %s", path, value, detail) : NULL;
}

/* All of a check's messages joined with "; " (validateLabelKey/validateLabelValue). */
static char *joined_msgs(enum name_check kind, const char *s)
{
	const char *m[NAME_CHECK_MAX_MSGS];
	size_t n = name_check(kind, s, m), len = 1;
	char *out;

	if (!n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		len += strlen(m[i]) + 2;
	out = malloc(len);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, "; ");
		strcat(out, m[i]);
	}
	return out;
}

/* "<path>: Invalid value: "<key>": <messages>" when key is no qualified name, else NULL. */
static char *key_error(const char *path, const char *key, bool *ret_oom)
{
	char *msgs = joined_msgs(NAME_CHECK_QUALIFIED_NAME, key), *q, *out;

	if (!msgs)
		return NULL;
	q = ferr_quote(key);
	out = invalid_msg(path, q, msgs);
	free(q);
	free(msgs);
	if (!out)
		*ret_oom = true;
	return out;
}

/* Go's %#v of a []string; a nil slice prints "[]string(nil)". */
static char *go_strings(const char *const *v, size_t n, bool nil)
{
	size_t len = 16;
	char *out, **q;

	if (nil)
		return strdup("[]string(nil)");
	q = calloc(n ? n : 1, sizeof(*q));
	if (!q)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		q[i] = ferr_quote(v[i]);
		len += (q[i] ? strlen(q[i]) : 0) + 2;
	}
	out = malloc(len);
	if (out) {
		char *o = stpcpy(out, "[]string{");
		for (size_t i = 0; i < n; i++) {
			if (i)
				o = stpcpy(o, ", ");
			o = stpcpy(o, q[i] ? q[i] : "\"\"");
		}
		strcpy(o, "}");
	}
	for (size_t i = 0; i < n; i++)
		free(q[i]);
	free(q);
	return out;
}

/* labels.NewRequirement with no field path: validates and appends, or returns -EINVAL with the
 * aggregate of its field errors in *ret_err. nil_vals: the values came as a nil Go slice. */
static int new_requirement(selector_t *s, const char *key, enum sel_op op, const char *const *vals, size_t n,
			   bool nil_vals, char **ret_err)
{
	struct agg a = { .n = 0 };
	long long num = 0;
	char *e, *sv;
	bool oom = false;
	int r;

	if ((e = key_error("key", key, &oom)))
		agg_add(&a, e);
	a.oom = a.oom || oom;
	switch (op) {
	case OP_IN:
	case OP_NOTIN:
		if (n == 0) {
			sv = go_strings(vals, n, nil_vals);
			agg_add(&a, invalid_msg("values", sv, "for 'in', 'notin' operators, values set can't be empty"));
			free(sv);
		}
		break;
	case OP_EQ:
	case OP_DEQ:
	case OP_NEQ:
		if (n != 1) {
			sv = go_strings(vals, n, nil_vals);
			agg_add(&a, invalid_msg("values", sv, "exact-match compatibility requires one single value"));
			free(sv);
		}
		break;
	case OP_EXISTS:
	case OP_DNE:
		if (n != 0) {
			sv = go_strings(vals, n, nil_vals);
			agg_add(&a, invalid_msg("values", sv, "values set must be empty for exists and does not exist"));
			free(sv);
		}
		break;
	case OP_GT:
	case OP_LT:
		if (n != 1) {
			sv = go_strings(vals, n, nil_vals);
			agg_add(&a, invalid_msg("values", sv, "for 'Gt', 'Lt' operators, exactly one value is required"));
			free(sv);
		}
		for (size_t i = 0; i < n; i++) {
			if (parse_int64(vals[i], &num))
				continue;
			char path[48], *q = ferr_quote(vals[i]);
			snprintf(path, sizeof(path), "values[%zu]", i);
			agg_add(&a, invalid_msg(path, q, "for 'Gt', 'Lt' operators, the value must be an integer"));
			free(q);
		}
		break;
	}
	for (size_t i = 0; i < n; i++) {
		char *msgs = joined_msgs(NAME_CHECK_LABEL_VALUE, vals[i]), *q, *path;
		if (!msgs)
			continue;
		q = ferr_quote(vals[i]);
		path = fmt("values[%zu][%s]", i, key);
		agg_add(&a, path ? invalid_msg(path, q, msgs) : NULL);
		free(path);
		free(q);
		free(msgs);
	}
	if (a.n || a.oom) {
		bool was_oom = a.oom;
		e = agg_join(&a);
		if (!e || was_oom) {
			free(e);
			return -ENOMEM;
		}
		*ret_err = e;
		return -EINVAL;
	}
	r = sel_add(s, key, strlen(key), op, vals, n, num);
	return r;
}

/* ---- labels.Parse -------------------------------------------------------------------------------- */

enum tok {
	T_ERROR, T_EOS, T_CLOSE, T_COMMA, T_NOT, T_DEQ, T_EQ, T_GT, T_ID, T_IN, T_LT, T_NEQ, T_NOTIN, T_OPEN
};

struct token {
	enum tok t;
	const char *lit;
	size_t len;
};

struct parser {
	struct token *toks;
	size_t n, pos;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
	return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

static enum tok special_token(const char *s, size_t n)
{
	static const struct { const char *s; enum tok t; } tab[] = {
		{ ")", T_CLOSE }, { ",", T_COMMA }, { "!", T_NOT }, { "==", T_DEQ }, { "=", T_EQ },
		{ ">", T_GT }, { "<", T_LT }, { "!=", T_NEQ }, { "(", T_OPEN },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].s) == n && memcmp(tab[i].s, s, n) == 0)
			return tab[i].t;
	return T_ERROR;
}

/* The upstream Lexer: identifiers run to whitespace or a special symbol; special symbols are
 * matched greedily, one character at a time, as long as the buffer still spells a token. */
static int lex(const char *s, struct parser *p)
{
	size_t i = 0, cap = 8;

	p->toks = malloc(cap * sizeof(*p->toks));
	if (!p->toks)
		return -ENOMEM;
	for (;;) {
		struct token t = { T_EOS, s + i, 0 };

		while (is_space(s[i]))
			i++;
		t.lit = s + i;
		if (!s[i]) {
			t.t = T_EOS;
		} else if (is_special(s[i])) {
			size_t n = 0;
			enum tok last = T_ERROR;
			while (s[i + n] && is_special(s[i + n])) {
				enum tok k = special_token(s + i, n + 1);
				if (k != T_ERROR)
					last = k;
				else if (last != T_ERROR)
					break;
				n++;
			}
			/* every single special character is a token, so the ErrorToken branch of
			 * scanSpecialSymbol cannot be reached; the loop always stops on a token */
			while (n > 0 && special_token(s + i, n) == T_ERROR)
				n--;
			t.t = special_token(s + i, n);
			t.len = n;
			i += n;
		} else {
			size_t n = 0;
			while (s[i + n] && !is_special(s[i + n]) && !is_space(s[i + n]))
				n++;
			t.len = n;
			t.t = n == 2 && memcmp(s + i, "in", 2) == 0      ? T_IN
			      : n == 5 && memcmp(s + i, "notin", 5) == 0 ? T_NOTIN
									 : T_ID;
			i += n;
		}
		if (p->n == cap) {
			struct token *nt = realloc(p->toks, (cap *= 2) * sizeof(*nt));
			if (!nt)
				return -ENOMEM;
			p->toks = nt;
		}
		p->toks[p->n++] = t;
		if (t.t == T_EOS)
			return 0;
	}
}

/* In the Values context the keywords "in"/"notin" are plain identifiers ("x in (in)"). */
static struct token peek(const struct parser *p, bool values)
{
	struct token t = p->toks[p->pos < p->n ? p->pos : p->n - 1];

	if (values && (t.t == T_IN || t.t == T_NOTIN))
		t.t = T_ID;
	return t;
}

static struct token next(struct parser *p, bool values)
{
	struct token t = peek(p, values);

	if (p->pos < p->n - 1)
		p->pos++;
	return t;
}

/* A sorted set of values (sets.String.List()). */
struct strset {
	char **v;
	size_t n, cap;
};

/* Duplicates are kept here and dropped by set_finish(), so a long value list stays O(n log n). */
static int set_add(struct strset *s, const char *v, size_t len)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		char **nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	if (!(s->v[s->n] = strndup(v, len)))
		return -ENOMEM;
	s->n++;
	return 0;
}

static void set_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sets.String.List(): sorted, without duplicates. */
static void set_finish(struct strset *s)
{
	size_t u = 0;

	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (size_t i = 0; i < s->n; i++) {
		if (u && strcmp(s->v[u - 1], s->v[i]) == 0)
			free(s->v[i]);
		else
			s->v[u++] = s->v[i];
	}
	s->n = u;
}

#define LIT(t) (int)(t).len, (t).lit

/* parseValues: "(" identifiers ")" with upstream's handling of empty entries. */
static int parse_values(struct parser *p, struct strset *vals, char **ret_err)
{
	struct token t = next(p, true);

	if (t.t != T_OPEN)
		return (*ret_err = fmt("found '%.*s' expected: '('", LIT(t))) ? -EINVAL : -ENOMEM;
	t = peek(p, true);
	if (t.t == T_CLOSE) {
		next(p, true);
		return set_add(vals, "", 0);
	}
	if (t.t != T_ID && t.t != T_COMMA)
		return (*ret_err = fmt("found '%.*s', expected: ',', ')' or identifier", LIT(t))) ? -EINVAL : -ENOMEM;
	/* parseIdentifiersList */
	for (;;) {
		struct token c = next(p, true), la;
		int r;
		if (c.t == T_ID) {
			if ((r = set_add(vals, c.lit, c.len)) < 0)
				return r;
			la = peek(p, true);
			if (la.t == T_COMMA)
				continue;
			if (la.t == T_CLOSE)
				break;
			return (*ret_err = fmt("found '%.*s', expected: ',' or ')'", LIT(la))) ? -EINVAL : -ENOMEM;
		} else if (c.t == T_COMMA) {
			if (vals->n == 0 && (r = set_add(vals, "", 0)) < 0)  /* "(," */
				return r;
			la = peek(p, true);
			if (la.t == T_CLOSE) {                               /* ",)" */
				if ((r = set_add(vals, "", 0)) < 0)
					return r;
				break;
			}
			if (la.t == T_COMMA && (r = set_add(vals, "", 0)) < 0) /* ",," */
				return r;
		} else {
			return (*ret_err = fmt("found '%.*s', expected: ',', or identifier", LIT(c))) ? -EINVAL : -ENOMEM;
		}
	}
	next(p, true); /* the ")" seen above */
	return 0;
}

/* parseRequirement; errors are the bare messages, parse() adds "unable to parse requirement: ". */
static int parse_requirement(struct parser *p, selector_t *sel, char **ret_err)
{
	struct strset vals = { 0 };
	struct token t = next(p, true), la;
	enum sel_op op;
	bool dne = false, oom = false;
	char *key = NULL;
	int r;

	if (t.t == T_NOT) {
		dne = true;
		t = next(p, true);
	}
	if (t.t != T_ID)
		return (*ret_err = fmt("found '%.*s', expected: identifier", LIT(t))) ? -EINVAL : -ENOMEM;
	key = strndup(t.lit, t.len);
	if (!key)
		return -ENOMEM;
	/* validateLabelKey(literal, p.path) with no path: the field prints as "<nil>" */
	if ((*ret_err = key_error("<nil>", key, &oom)) || oom) {
		free(key);
		return oom ? -ENOMEM : -EINVAL;
	}
	la = peek(p, true);
	if (dne || la.t == T_EOS || la.t == T_COMMA) {
		r = new_requirement(sel, key, dne ? OP_DNE : OP_EXISTS, NULL, 0, false, ret_err);
		free(key);
		return r;
	}
	t = next(p, false);
	switch (t.t) {
	case T_IN: op = OP_IN; break;
	case T_EQ: op = OP_EQ; break;
	case T_DEQ: op = OP_DEQ; break;
	case T_GT: op = OP_GT; break;
	case T_LT: op = OP_LT; break;
	case T_NOTIN: op = OP_NOTIN; break;
	case T_NEQ: op = OP_NEQ; break;
	default:
		free(key);
		return (*ret_err = fmt("found '%.*s', expected: in, notin, =, ==, !=, gt, lt", LIT(t))) ? -EINVAL
													   : -ENOMEM;
	}
	if (op == OP_IN || op == OP_NOTIN) {
		r = parse_values(p, &vals, ret_err);
	} else {
		/* parseExactValue */
		la = peek(p, true);
		if (la.t == T_EOS || la.t == T_COMMA) {
			r = set_add(&vals, "", 0);
		} else {
			t = next(p, true);
			r = t.t == T_ID ? set_add(&vals, t.lit, t.len)
					: (*ret_err = fmt("found '%.*s', expected: identifier", LIT(t))) ? -EINVAL : -ENOMEM;
		}
	}
	if (r == 0) {
		set_finish(&vals);
		r = new_requirement(sel, key, op, (const char *const *)vals.v, vals.n, false, ret_err);
	}
	set_free(&vals);
	free(key);
	return r;
}

static int too_long(const char *s, char **ret_err)
{
	if (strlen(s) <= SELECTOR_MAX_LEN)
		return 0;
	*ret_err = fmt("selector too long: must have at most %d bytes", SELECTOR_MAX_LEN);
	return *ret_err ? -EINVAL : -ENOMEM;
}

int label_selector_parse(const char *s, selector_t **ret, char **ret_err)
{
	struct parser p = { 0 };
	selector_t *sel;
	char *err = NULL;
	int r;

	if (!s)
		s = "";
	if ((r = too_long(s, &err)) < 0)
		goto out;
	sel = sel_new(SEL_LABEL);
	if (!sel || (r = lex(s, &p)) < 0) {
		free(p.toks);
		selector_free(sel);
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		struct token t = peek(&p, true);
		if (t.t == T_EOS)
			break;
		if (t.t != T_ID && t.t != T_NOT) {
			err = fmt("found '%.*s', expected: !, identifier, or 'end of string'", LIT(t));
			r = err ? -EINVAL : -ENOMEM;
			break;
		}
		if ((r = parse_requirement(&p, sel, &err)) < 0) {
			if (r == -EINVAL) {
				char *wrapped = fmt("unable to parse requirement: %s", err);
				free(err);
				err = wrapped;
				r = err ? -EINVAL : -ENOMEM;
			}
			break;
		}
		t = next(&p, true);
		if (t.t == T_EOS)
			break;
		if (t.t != T_COMMA) {
			err = fmt("found '%.*s', expected: ',' or 'end of string'", LIT(t));
			r = err ? -EINVAL : -ENOMEM;
			break;
		}
		t = peek(&p, true);
		if (t.t != T_ID && t.t != T_NOT) {
			err = fmt("found '%.*s', expected: identifier after ','", LIT(t));
			r = err ? -EINVAL : -ENOMEM;
			break;
		}
	}
	free(p.toks);
	if (r < 0) {
		selector_free(sel);
		goto out;
	}
	*ret = sel;
	return 0;
out:
	if (ret_err && r == -EINVAL)
		*ret_err = err;
	else
		free(err);
	return r;
}

/* ---- LabelSelector objects and label maps --------------------------------------------------------- */

static int fail(char **ret_err, char *msg)
{
	if (!msg)
		return -ENOMEM;
	if (ret_err)
		*ret_err = msg;
	else
		free(msg);
	return -EINVAL;
}

int label_selector_from_json(const json_t *ls, selector_t **ret, char **ret_err)
{
	const json_t *ml, *me, *v, *e;
	selector_t *sel;
	const char *k;
	char *err = NULL;
	size_t i;
	int r = 0;

	if (!ls || json_is_null(ls)) {
		/* a nil *LabelSelector selects nothing */
		if (!(sel = sel_new(SEL_NOTHING)))
			return -ENOMEM;
		*ret = sel;
		return 0;
	}
	if (!json_is_object(ls))
		return fail(ret_err, strdup("label selector must be an object"));
	ml = json_object_get(ls, "matchLabels");
	me = json_object_get(ls, "matchExpressions");
	if (ml && !json_is_null(ml) && !json_is_object(ml))
		return fail(ret_err, strdup("matchLabels must be an object"));
	if (me && !json_is_null(me) && !json_is_array(me))
		return fail(ret_err, strdup("matchExpressions must be an array"));
	if (!(sel = sel_new(SEL_LABEL)))
		return -ENOMEM;
	json_object_foreach ((json_t *)ml, k, v) {
		const char *val;
		if (!json_is_string(v)) {
			r = fail(&err, fmt("matchLabels.%s must be a string", k));
			goto out;
		}
		val = json_string_value(v);
		if ((r = new_requirement(sel, k, OP_EQ, &val, 1, false, &err)) < 0)
			goto out;
	}
	json_array_foreach (me, i, e) {
		const json_t *key = json_object_get(e, "key"), *op = json_object_get(e, "operator");
		const json_t *values = json_object_get(e, "values");
		const char **vals = NULL;
		const char *o;
		enum sel_op sop;
		size_t n = json_array_size(values);

		if (!json_is_object(e) || !json_is_string(key) || (op && !json_is_string(op)) ||
		    (values && !json_is_null(values) && !json_is_array(values))) {
			r = fail(&err, fmt("matchExpressions[%zu] must be an object with a string key and operator "
					   "and an array of string values", i));
			goto out;
		}
		o = op ? json_string_value(op) : "";
		if (strcmp(o, "In") == 0)
			sop = OP_IN;
		else if (strcmp(o, "NotIn") == 0)
			sop = OP_NOTIN;
		else if (strcmp(o, "Exists") == 0)
			sop = OP_EXISTS;
		else if (strcmp(o, "DoesNotExist") == 0)
			sop = OP_DNE;
		else {
			char *q = ferr_quote(o);
			r = fail(&err, q ? fmt("%s is not a valid label selector operator", q) : NULL);
			free(q);
			goto out;
		}
		if (n && !(vals = calloc(n, sizeof(*vals)))) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t j = 0; j < n; j++) {
			const json_t *sv = json_array_get(values, j);
			if (!json_is_string(sv)) {
				free(vals);
				r = fail(&err, fmt("matchExpressions[%zu].values[%zu] must be a string", i, j));
				goto out;
			}
			vals[j] = json_string_value(sv);
		}
		/* append([]string(nil), expr.Values...) is nil when there are no values */
		r = new_requirement(sel, json_string_value(key), sop, vals, n, n == 0, &err);
		free(vals);
		if (r < 0)
			goto out;
	}
out:
	if (r < 0) {
		selector_free(sel);
		if (ret_err && r == -EINVAL)
			*ret_err = err;
		else
			free(err);
		return r;
	}
	*ret = sel;
	return 0;
}

int label_selector_from_map(const json_t *map, selector_t **ret)
{
	selector_t *sel;
	const char *k;
	json_t *v;
	int r;

	if (map && !json_is_null(map) && !json_is_object(map))
		return -EINVAL;
	json_object_foreach ((json_t *)map, k, v)
		if (!json_is_string(v))
			return -EINVAL;
	if (!(sel = sel_new(SEL_LABEL)))
		return -ENOMEM;
	json_object_foreach ((json_t *)map, k, v) {
		const char *val = json_string_value(v);
		if ((r = sel_add(sel, k, strlen(k), OP_EQ, &val, 1, 0)) < 0) {
			selector_free(sel);
			return r;
		}
	}
	*ret = sel;
	return 0;
}

static bool has_value(const struct sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->n_vals; i++)
		if (strcmp(r->vals[i], v) == 0)
			return true;
	return false;
}

bool label_selector_match(const selector_t *sel, const json_t *labels)
{
	if (!sel)
		return true;
	if (sel->kind != SEL_LABEL)
		return false;
	for (size_t i = 0; i < sel->n; i++) {
		const struct sel_req *r = &sel->reqs[i];
		const json_t *lv = json_is_object(labels) ? json_object_get(labels, r->key) : NULL;
		const char *v = json_is_string(lv) ? json_string_value(lv) : NULL;
		long long n;
		bool ok;

		switch (r->op) {
		case OP_EQ:
		case OP_DEQ:
		case OP_IN: ok = v && has_value(r, v); break;
		case OP_NEQ:
		case OP_NOTIN: ok = !v || !has_value(r, v); break;
		case OP_EXISTS: ok = v != NULL; break;
		case OP_DNE: ok = v == NULL; break;
		case OP_GT: ok = v && parse_int64(v, &n) && n > r->num; break;
		case OP_LT: ok = v && parse_int64(v, &n) && n < r->num; break;
		default: ok = false;
		}
		if (!ok)
			return false;
	}
	return true;
}

bool selector_empty(const selector_t *sel)
{
	return !sel || (sel->kind != SEL_NOTHING && sel->n == 0);
}

/* ---- fields.ParseSelector ---------------------------------------------------------------------- */

/* Go's utf8.DecodeRuneInString: the length of the rune at s, 1 (RuneError) when invalid. */
static size_t utf8_len(const unsigned char *s, bool *ret_valid)
{
	size_t n;
	uint32_t c;

	*ret_valid = true;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		goto bad;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		goto bad;
	return n;
bad:
	*ret_valid = false;
	return 1;
}

/* UnescapeValue: `\\`, `\,` and `\=` are escapes; other escapes and bare ',' or '=' are errors.
 * Like Go's range over a string, invalid UTF-8 comes out as U+FFFD once decoding starts. */
static int unescape_value(const char *s, size_t len, char **ret, char **ret_err)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	bool slash = false;
	char *out, *o;

	if (!memchr(s, '\\', len) && !memchr(s, ',', len) && !memchr(s, '=', len))
		return (*ret = strndup(s, len)) ? 0 : -ENOMEM;
	out = o = malloc(len * 3 + 1);
	if (!out)
		return -ENOMEM;
	while (p < end) {
		bool valid;
		size_t n = utf8_len(p, &valid);
		if (p + n > end)
			n = 1, valid = false;
		if (slash) {
			if (*p == '\\' || *p == ',' || *p == '=') {
				*o++ = (char)*p;
				slash = false;
				p += n;
				continue;
			}
			free(out);
			*ret_err = valid ? fmt("invalid field selector: invalid escape sequence: \\%.*s", (int)n, p)
					 : strdup("invalid field selector: invalid escape sequence: \\\xef\xbf\xbd");
			return *ret_err ? -EINVAL : -ENOMEM;
		}
		if (*p == '\\') {
			slash = true;
		} else if (*p == ',' || *p == '=') {
			/* UnescapedRune's %v prints the rune as a number */
			free(out);
			*ret_err = fmt("invalid field selector: unescaped character in value: %d", *p);
			return *ret_err ? -EINVAL : -ENOMEM;
		} else if (valid) {
			memcpy(o, p, n);
			o += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
		}
		p += n;
	}
	if (slash) {
		free(out);
		*ret_err = strdup("invalid field selector: invalid escape sequence: \\");
		return *ret_err ? -EINVAL : -ENOMEM;
	}
	*o = '\0';
	*ret = out;
	return 0;
}

struct part {
	const char *s;
	size_t len;
};

static int cmp_part(const void *a, const void *b)
{
	const struct part *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

int field_selector_parse(const char *s, selector_t **ret, char **ret_err)
{
	struct part *parts = NULL;
	size_t n = 0, start = 0;
	selector_t *sel = NULL;
	char *err = NULL;
	bool slash = false;
	int r;

	if (!s)
		s = "";
	if ((r = too_long(s, &err)) < 0)
		goto out;
	/* splitTerms: commas split unless escaped by a backslash (the backslash stays) */
	parts = calloc(strlen(s) + 1, sizeof(*parts));
	sel = sel_new(SEL_FIELD);
	if (!parts || !sel) {
		r = -ENOMEM;
		goto out;
	}
	if (*s) {
		size_t len = strlen(s);
		for (size_t i = 0; i < len; i++) {
			if (slash) {
				slash = false;
			} else if (s[i] == '\\') {
				slash = true;
			} else if (s[i] == ',') {
				parts[n++] = (struct part){ s + start, i - start };
				start = i + 1;
			}
		}
		parts[n++] = (struct part){ s + start, len - start };
	}
	/* upstream sorts the terms first, so the first bad term in sorted order is the one reported */
	qsort(parts, n, sizeof(*parts), cmp_part);
	for (size_t i = 0; i < n; i++) {
		const char *t = parts[i].s, *op = NULL;
		size_t len = parts[i].len, oplen = 0, j;
		enum sel_op sop = OP_EQ;
		char *val = NULL;

		if (len == 0)
			continue;
		/* splitTerm: the first position where "!=", "==" or "=" starts, in that order */
		for (j = 0; j < len && !op; j++) {
			if (t[j] == '!' && j + 1 < len && t[j + 1] == '=')
				op = t + j, oplen = 2, sop = OP_NEQ;
			else if (t[j] == '=' && j + 1 < len && t[j + 1] == '=')
				op = t + j, oplen = 2, sop = OP_DEQ;
			else if (t[j] == '=')
				op = t + j, oplen = 1, sop = OP_EQ;
		}
		if (!op) {
			err = fmt("invalid selector: '%s'; can't understand '%.*s'", s, (int)len, t);
			r = err ? -EINVAL : -ENOMEM;
			goto out;
		}
		if ((r = unescape_value(op + oplen, len - (size_t)(op - t) - oplen, &val, &err)) < 0)
			goto out;
		r = sel_add(sel, t, (size_t)(op - t), sop == OP_NEQ ? OP_NEQ : OP_EQ, (const char *const *)&val, 1, 0);
		free(val);
		if (r < 0)
			goto out;
	}
out:
	free(parts);
	if (r < 0) {
		selector_free(sel);
		if (ret_err && r == -EINVAL)
			*ret_err = err;
		else
			free(err);
		return r;
	}
	*ret = sel;
	return 0;
}

/* ---- field labels per resource ------------------------------------------------------------------ */

enum fv { FV_STR, FV_BOOL, FV_POD_IP, FV_SA_NAME, FV_EVENT_SOURCE, FV_NONE };

struct field_label {
	const char *label;
	const char *path;  /* dotted JSON path of the value */
	enum fv how;
};

struct field_kind {
	const char *plural;
	const struct field_label *labels;
};

/* pkg/apis/core/v1/conversion.go (accepted labels) with pkg/registry/core/pod/strategy.go
 * ToSelectableFields (values). status.podIPs is accepted but not in the field set, so it reads "". */
static const struct field_label pod_labels[] = {
	{ "metadata.name", "metadata.name", FV_STR },
	{ "metadata.namespace", "metadata.namespace", FV_STR },
	{ "spec.nodeName", "spec.nodeName", FV_STR },
	{ "spec.restartPolicy", "spec.restartPolicy", FV_STR },
	{ "spec.schedulerName", "spec.schedulerName", FV_STR },
	{ "spec.serviceAccountName", NULL, FV_SA_NAME },
	{ "spec.hostNetwork", "spec.hostNetwork", FV_BOOL },
	{ "status.phase", "status.phase", FV_STR },
	{ "status.podIP", NULL, FV_POD_IP },
	{ "status.podIPs", NULL, FV_NONE },
	{ "status.nominatedNodeName", "status.nominatedNodeName", FV_STR },
	{ "spec.host", "spec.nodeName", FV_STR },  /* old v1 clients: converted to spec.nodeName */
	{ NULL, NULL, FV_NONE },
};

static const struct field_label node_labels[] = {
	{ "metadata.name", "metadata.name", FV_STR },
	{ "spec.unschedulable", "spec.unschedulable", FV_BOOL },
	{ NULL, NULL, FV_NONE },
};

static const struct field_label namespace_labels[] = {
	{ "status.phase", "status.phase", FV_STR },
	{ "metadata.name", "metadata.name", FV_STR },
	{ NULL, NULL, FV_NONE },
};

/* AddFieldLabelConversionsForEvent; EventToSelectableFields: source is source.component, or the
 * reporting controller when that is empty. */
static const struct field_label event_labels[] = {
	{ "involvedObject.kind", "involvedObject.kind", FV_STR },
	{ "involvedObject.namespace", "involvedObject.namespace", FV_STR },
	{ "involvedObject.name", "involvedObject.name", FV_STR },
	{ "involvedObject.uid", "involvedObject.uid", FV_STR },
	{ "involvedObject.apiVersion", "involvedObject.apiVersion", FV_STR },
	{ "involvedObject.resourceVersion", "involvedObject.resourceVersion", FV_STR },
	{ "involvedObject.fieldPath", "involvedObject.fieldPath", FV_STR },
	{ "reason", "reason", FV_STR },
	{ "reportingComponent", "reportingComponent", FV_STR },
	{ "source", NULL, FV_EVENT_SOURCE },
	{ "type", "type", FV_STR },
	{ "metadata.namespace", "metadata.namespace", FV_STR },
	{ "metadata.name", "metadata.name", FV_STR },
	{ NULL, NULL, FV_NONE },
};

static const struct field_label service_labels[] = {
	{ "metadata.namespace", "metadata.namespace", FV_STR },
	{ "metadata.name", "metadata.name", FV_STR },
	{ "spec.clusterIP", "spec.clusterIP", FV_STR },
	{ "spec.type", "spec.type", FV_STR },
	{ NULL, NULL, FV_NONE },
};

/* runtime.DefaultMetaV1FieldSelectorConversion: kinds without their own conversion function. */
static const struct field_label default_labels[] = {
	{ "metadata.name", "metadata.name", FV_STR },
	{ "metadata.namespace", "metadata.namespace", FV_STR },
	{ NULL, NULL, FV_NONE },
};

static const struct field_kind field_kinds[] = {
	{ "pods", pod_labels },
	{ "nodes", node_labels },
	{ "namespaces", namespace_labels },
	{ "events", event_labels },
	{ "services", service_labels },
};

static const struct field_label *labels_for(const char *plural, bool *ret_default)
{
	*ret_default = false;
	for (size_t i = 0; plural && i < sizeof(field_kinds) / sizeof(field_kinds[0]); i++)
		if (strcmp(field_kinds[i].plural, plural) == 0)
			return field_kinds[i].labels;
	*ret_default = true;
	return default_labels;
}

static const struct field_label *find_label(const struct field_label *l, const char *key)
{
	for (; l->label; l++)
		if (strcmp(l->label, key) == 0)
			return l;
	return NULL;
}

int field_selector_validate(const selector_t *sel, const char *plural, char **ret_err)
{
	bool dflt;
	const struct field_label *l = labels_for(plural, &dflt);

	if (!sel || sel->kind != SEL_FIELD)
		return 0;
	for (size_t i = 0; i < sel->n; i++) {
		char *q, *m;
		if (find_label(l, sel->reqs[i].key))
			continue;
		if (!dflt)
			return fail(ret_err, fmt("field label not supported: %s", sel->reqs[i].key));
		q = ferr_quote(sel->reqs[i].key);
		m = q ? fmt("%s is not a known field selector: only \"metadata.name\", \"metadata.namespace\"", q)
		      : NULL;
		free(q);
		return fail(ret_err, m);
	}
	return 0;
}

/* The value at a dotted path of obj, or NULL. */
static const json_t *path_get(const json_t *obj, const char *path)
{
	char seg[64];

	while (obj && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(seg) || !json_is_object(obj))
			return NULL;
		memcpy(seg, path, n);
		seg[n] = '\0';
		obj = json_object_get(obj, seg);
		path += n + (dot ? 1 : 0);
	}
	return obj;
}

static const char *path_str(const json_t *obj, const char *path)
{
	const json_t *v = path_get(obj, path);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* The fields.Set value of one label for obj ("" when the field is absent). */
static const char *field_value(const struct field_label *l, const json_t *obj)
{
	const char *v;
	const json_t *ips, *ip0;

	if (!l)
		return "";
	switch (l->how) {
	case FV_STR:
		return path_str(obj, l->path);
	case FV_BOOL:
		return json_is_true(path_get(obj, l->path)) ? "true" : "false";
	case FV_POD_IP:
		/* v1 -> internal: podIP wins when set, else podIPs[0] (both are the primary IP) */
		v = path_str(obj, "status.podIP");
		if (*v)
			return v;
		ips = path_get(obj, "status.podIPs");
		ip0 = json_is_array(ips) ? json_array_get(ips, 0) : NULL;
		return path_str(ip0, "ip");
	case FV_SA_NAME:
		/* the deprecated spec.serviceAccount stands in when serviceAccountName is empty */
		v = path_str(obj, "spec.serviceAccountName");
		return *v ? v : path_str(obj, "spec.serviceAccount");
	case FV_EVENT_SOURCE:
		v = path_str(obj, "source.component");
		return *v ? v : path_str(obj, "reportingComponent");
	case FV_NONE:
		break;
	}
	return "";
}

bool field_selector_match(const selector_t *sel, const char *plural, const json_t *obj)
{
	bool dflt;
	const struct field_label *l = labels_for(plural, &dflt);

	if (!sel)
		return true;
	if (sel->kind != SEL_FIELD)
		return false;
	for (size_t i = 0; i < sel->n; i++) {
		const struct sel_req *r = &sel->reqs[i];
		bool eq = strcmp(field_value(find_label(l, r->key), obj), r->vals[0]) == 0;
		if (eq != (r->op != OP_NEQ))
			return false;
	}
	return true;
}
