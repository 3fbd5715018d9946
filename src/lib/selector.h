/* Label and field selectors as kube-apiserver parses and applies them on list and watch
 * (k8s.io/apimachinery pkg/labels/selector.go, pkg/fields/selector.go; the per-kind field labels of
 * pkg/apis/core/v1/conversion.go and the values of pkg/registry/<kind>/strategy.go). */
#pragma once
#include <jansson.h>
#include <stdbool.h>

typedef struct selector selector_t;

/* Longest selector string accepted (a Portico limit; upstream only has the URL limit). */
#define SELECTOR_MAX_LEN 65536

/* labels.Parse: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, `a>1`, `a<1`,
 * comma-separated, whitespace tolerant; keys must be qualified names and values label values.
 * "" matches everything. On success *ret is a new selector (caller frees with selector_free).
 * On error returns -EINVAL (or -ENOMEM) and sets *ret_err to upstream's message (caller frees; the
 * API server returns it as a 400 BadRequest message); *ret is left alone. ret_err may be NULL. */
int label_selector_parse(const char *s, selector_t **ret, char **ret_err);

/* metav1.LabelSelectorAsSelector on a LabelSelector object {matchLabels, matchExpressions[{key,
 * operator In|NotIn|Exists|DoesNotExist, values}]}: NULL (or JSON null) matches nothing, {}
 * everything. Errors as label_selector_parse (upstream's NewRequirement messages). */
int label_selector_from_json(const json_t *ls, selector_t **ret, char **ret_err);

/* A plain label map (Service spec.selector, SelectorFromValidatedSet): every pair must match;
 * NULL or {} matches everything. -EINVAL when map is not an object of strings. */
int label_selector_from_map(const json_t *map, selector_t **ret);

/* labels: a JSON object of strings (other members count as absent), or NULL for no labels.
 * sel NULL (no selector given) matches everything; a field selector matches nothing here. */
bool label_selector_match(const selector_t *sel, const json_t *labels);

/* True when sel does not restrict anything (upstream Selector.Empty(): false for "nothing"). */
bool selector_empty(const selector_t *sel);

/* fields.ParseSelector: `k=v`, `k==v`, `k!=v`, comma-separated; in values `\\`, `\,` and `\=` are
 * escapes and a bare `,`/`=` is an error. Keys are taken as they are: field_selector_validate()
 * checks them against a resource. Ownership and errors as label_selector_parse. */
int field_selector_parse(const char *s, selector_t **ret, char **ret_err);

/* The field label conversion of kube-apiserver: every key must be a field label of that resource
 * (plural as in the URL, e.g. "pods"), else -EINVAL and *ret_err (caller frees) is upstream's
 * message: "field label not supported: <key>" for pods, nodes, namespaces, events and services,
 * `"<key>" is not a known field selector: only "metadata.name", "metadata.namespace"` for kinds
 * without their own conversion (configmaps, endpoints, endpointslices, deployments, leases). */
int field_selector_validate(const selector_t *sel, const char *plural, char **ret_err);

/* Matches obj (a stored object of that resource) against the selector with upstream's field values
 * (absent strings are "", booleans "true"/"false", pods' spec.host is spec.nodeName, events'
 * source falls back to reportingComponent). sel NULL matches everything. */
bool field_selector_match(const selector_t *sel, const char *plural, const json_t *obj);

void selector_free(selector_t *sel); /* accepts NULL */
