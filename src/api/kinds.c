/* Per-kind strategies: what upstream's pkg/registry/<group>/<kind>/strategy.go do on create and
 * update for the kinds Portico serves, plus metadata validation for all of them. Services go
 * through the Service registry (lib/service.h): defaults, allocation and validation in one step. */
#include "api/kinds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/objmeta.h"
#include "core/log.h"
#include "lib/field_err.h"
#include "lib/meta_validate.h"
#include "lib/service.h"
#include "lib/status.h"

struct svc_registry {
	svc_config_t cfg;
	svc_alloc_t *alloc;
	char kubernetes_ip[64];
};

static bool is(const k8s_resource_t *res, const char *plural)
{
	return strcmp(res->plural, plural) == 0;
}

bool kind_tracks_generation(const k8s_resource_t *res)
{
	return is(res, "deployments");
}

static json_t *obj_field(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(obj, name, v);
	}
	return v;
}

static void set_default(json_t *obj, const char *key, json_t *value)
{
	if (!json_object_get(obj, key))
		json_object_set_new(obj, key, value);
	else
		json_decref(value);
}

/* --- defaults (SetDefaults_* in pkg/apis/<group>/v1/defaults.go, the parts clients see) --- */

static void default_container(json_t *c)
{
	set_default(c, "terminationMessagePath", json_string("/dev/termination-log"));
	set_default(c, "terminationMessagePolicy", json_string("File"));
	set_default(c, "imagePullPolicy", json_string("IfNotPresent"));
	set_default(c, "resources", json_object());
	{
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(c, "ports"), i, p)
			if (json_is_object(p))
				set_default(p, "protocol", json_string("TCP"));
	}
}

static void default_pod_spec(json_t *spec)
{
	size_t i;
	json_t *c;

	if (!json_is_object(spec))
		return;
	set_default(spec, "restartPolicy", json_string("Always"));
	set_default(spec, "terminationGracePeriodSeconds", json_integer(30));
	set_default(spec, "dnsPolicy", json_string("ClusterFirst"));
	set_default(spec, "securityContext", json_object());
	set_default(spec, "schedulerName", json_string("default-scheduler"));
	json_array_foreach(json_object_get(spec, "containers"), i, c)
		if (json_is_object(c))
			default_container(c);
}

static void default_deployment(json_t *d)
{
	json_t *spec = obj_field(d, "spec"), *strategy;

	set_default(spec, "replicas", json_integer(1));
	set_default(spec, "revisionHistoryLimit", json_integer(10));
	set_default(spec, "progressDeadlineSeconds", json_integer(600));
	strategy = obj_field(spec, "strategy");
	set_default(strategy, "type", json_string("RollingUpdate"));
	if (json_is_string(json_object_get(strategy, "type")) &&
	    strcmp(json_string_value(json_object_get(strategy, "type")), "RollingUpdate") == 0) {
		json_t *ru = obj_field(strategy, "rollingUpdate");
		set_default(ru, "maxUnavailable", json_string("25%"));
		set_default(ru, "maxSurge", json_string("25%"));
	}
	default_pod_spec(json_object_get(json_object_get(spec, "template"), "spec"));
}

static void prepare_create(api_server_t *srv, const k8s_resource_t *res, json_t *obj)
{
	if (is(res, "namespaces")) {
		json_t *spec = obj_field(obj, "spec");
		if (!json_is_array(json_object_get(spec, "finalizers")))
			json_object_set_new(spec, "finalizers", json_pack("[s]", "kubernetes"));
		json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
	} else if (is(res, "pods")) {
		default_pod_spec(json_object_get(obj, "spec"));
		json_object_set_new(obj, "status", json_pack("{s:s, s:s}", "phase", "Pending", "qosClass", "BestEffort"));
	} else if (is(res, "deployments")) {
		default_deployment(obj);
		json_object_del(obj, "status");
	}
}

static void prepare_update(api_server_t *srv, const k8s_resource_t *res, json_t *obj, const json_t *old,
			   bool status_only)
{
	if (status_only)
		return;
	/* The main resource of a kind with a status subresource ignores status changes. */
	if (res->has_status) {
		json_t *st = json_object_get(old, "status");
		if (st)
			json_object_set(obj, "status", st);
		else
			json_object_del(obj, "status");
	}
	if (is(res, "pods"))
		default_pod_spec(json_object_get(obj, "spec"));
	else if (is(res, "deployments"))
		default_deployment(obj);
}

/* --- validation beyond metadata (the rules clients hit most; Services are in lib/service) --- */

static void validate_containers(const json_t *spec, const char *path, json_t *errs)
{
	const json_t *cs = json_object_get(spec, "containers");
	char f[160];
	size_t i;
	json_t *c;

	if (!json_is_array(cs) || json_array_size(cs) == 0) {
		snprintf(f, sizeof(f), "%s.containers", path);
		ferr_required(errs, f, NULL);
		return;
	}
	json_array_foreach(cs, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *image = json_string_value(json_object_get(c, "image"));
		snprintf(f, sizeof(f), "%s.containers[%zu].name", path, i);
		if (!name || !*name)
			ferr_required(errs, f, NULL);
		else if (check_dns1123_label(name))
			ferr_invalid_str(errs, f, name, check_dns1123_label(name));
		snprintf(f, sizeof(f), "%s.containers[%zu].image", path, i);
		if (!image || !*image)
			ferr_required(errs, f, NULL);
	}
}

static void validate_deployment(const json_t *d, json_t *errs)
{
	const json_t *spec = json_object_get(d, "spec");
	const json_t *sel = json_object_get(spec, "selector");
	const json_t *tmpl = json_object_get(spec, "template");
	const json_t *tl = json_object_get(json_object_get(tmpl, "metadata"), "labels");
	json_int_t replicas = json_integer_value(json_object_get(spec, "replicas"));

	if (replicas < 0)
		ferr_invalid_int(errs, "spec.replicas", replicas, "must be greater than or equal to 0");
	if (!json_is_object(sel) || json_object_size(sel) == 0) {
		ferr_required(errs, "spec.selector", NULL);
	} else {
		/* every matchLabels pair must be in the template's labels (ValidateDeploymentSpec) */
		const char *k;
		json_t *v;
		bool ok = true;
		json_object_foreach((json_t *)json_object_get(sel, "matchLabels"), k, v) {
			json_t *tv = json_object_get(tl, k);
			if (!json_is_string(tv) || !json_equal(tv, v))
				ok = false;
		}
		if (json_object_size(json_object_get(sel, "matchLabels")) == 0 &&
		    json_array_size(json_object_get(sel, "matchExpressions")) == 0)
			ferr_invalid(errs, "spec.selector", sel, "empty selector is invalid for deployment");
		else if (!ok)
			ferr_invalid(errs, "spec.template.metadata.labels", tl, "`selector` does not match template `labels`");
	}
	if (!json_is_object(tmpl))
		ferr_required(errs, "spec.template", NULL);
	else
		validate_containers(json_object_get(tmpl, "spec"), "spec.template.spec", errs);
}

/* ValidateConfigMap: keys of data and binaryData are config keys (IsConfigMapKey), unique across
 * both maps. */
static void validate_configmap(const json_t *cm, json_t *errs)
{
	static const char *const maps[] = { "data", "binaryData" };
	char f[300];

	for (size_t m = 0; m < 2; m++) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)json_object_get(cm, maps[m]), k, v) {
			size_t len = strlen(k);
			snprintf(f, sizeof(f), "%s[%.256s]", maps[m], k);
			if (len > 253)
				ferr_invalid_str(errs, f, k, "must be no more than 253 characters");
			if (len == 0 || strspn(k, "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != len)
				ferr_invalid_str(errs, f, k,
						 "a valid config key must consist of alphanumeric characters, '-', '_' or "
						 "'.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
						 "validation is '[-._a-zA-Z0-9]+')");
			if (strcmp(k, ".") == 0)
				ferr_invalid_str(errs, f, k, "must not be '.'");
			else if (strcmp(k, "..") == 0)
				ferr_invalid_str(errs, f, k, "must not be '..'");
			else if (strncmp(k, "..", 2) == 0)
				ferr_invalid_str(errs, f, k, "must not start with '..'");
			if (m == 1 && json_object_get(json_object_get(cm, "data"), k)) {
				snprintf(f, sizeof(f), "data[%.256s]", k);
				ferr_invalid_str(errs, f, k, "duplicate of key present in binaryData");
			}
		}
	}
}

/* ValidateLoadBalancerStatus: ingress entries carry valid IPs and DNS hostnames. */
static void validate_service_status(const json_t *svc, json_t *errs)
{
	const json_t *ing = json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress");
	uint8_t buf[16];
	char f[96];
	size_t i;
	json_t *e;

	json_array_foreach(ing, i, e) {
		const char *ip = json_string_value(json_object_get(e, "ip"));
		const char *host = json_string_value(json_object_get(e, "hostname"));
		if (ip && *ip && svc_ip_parse(ip, buf) == 0) {
			snprintf(f, sizeof(f), "status.loadBalancer.ingress[%zu].ip", i);
			ferr_invalid_str(errs, f, ip, "must be a valid IP address");
		}
		if (host && *host) {
			snprintf(f, sizeof(f), "status.loadBalancer.ingress[%zu].hostname", i);
			if (check_dns1123_subdomain(host))
				ferr_invalid_str(errs, f, host, check_dns1123_subdomain(host));
			if (svc_ip_parse(host, buf) != 0)
				ferr_invalid_str(errs, f, host, "must be a DNS name, not an IP address");
		}
	}
}

static void validate_meta(api_req_t *r, json_t *errs)
{
	const json_t *meta = json_object_get(r->obj, "metadata");

	if (r->old)
		meta_validate_update(meta, json_object_get(r->old, "metadata"), errs);
	else
		meta_validate(meta, r->res->namespaced, meta_name_rule(r->res->plural), errs);
}

json_t *kind_admit(api_req_t *r, bool status_only)
{
	api_server_t *srv = r->srv;
	json_t *errs = json_array();
	int rc;

	if (!errs)
		return status_internal("out of memory");
	if (is(r->res, "services") && !status_only && srv->svc) {
		svc_txn_t *txn = NULL;
		validate_meta(r, errs);
		rc = svc_admit(srv->svc->alloc, r->obj, r->old, errs, &txn);
		if (rc == 0) {
			r->svc_txn = txn;
			json_decref(errs);
			return NULL;
		}
		if (rc == SVC_E_INTERNAL) {
			json_decref(errs);
			return status_internal(svc_alloc_errmsg(srv->svc->alloc));
		}
		if (rc == SVC_E_UNKNOWN) {
			/* upstream returns a plain error here: a 500 without a reason */
			json_decref(errs);
			return status_new(500, NULL, svc_alloc_errmsg(srv->svc->alloc), NULL);
		}
		if (rc != -EINVAL) {
			json_decref(errs);
			return status_internal(strerror(-rc));
		}
		return status_invalid(r->res->group, r->res->kind, objmeta_str(r->obj, "name"), errs);
	}
	if (r->old)
		prepare_update(srv, r->res, r->obj, r->old, status_only);
	else
		prepare_create(srv, r->res, r->obj);
	validate_meta(r, errs);
	if (status_only && is(r->res, "services"))
		validate_service_status(r->obj, errs);
	if (!status_only) {
		if (is(r->res, "deployments"))
			validate_deployment(r->obj, errs);
		else if (is(r->res, "pods"))
			validate_containers(json_object_get(r->obj, "spec"), "spec", errs);
		else if (is(r->res, "configmaps"))
			validate_configmap(r->obj, errs);
	}
	if (json_array_size(errs) == 0) {
		json_decref(errs);
		return NULL;
	}
	return status_invalid(r->res->group, r->res->kind, objmeta_str(r->obj, "name"), errs);
}

static void endpoints_deleted(api_req_t *sub, int err, int64_t rev)
{
	api_req_free(sub);
}

void kind_after_write(api_req_t *r, int err)
{
	api_server_t *srv = r->srv;

	if (r->svc_txn && srv->svc) {
		if (err == 0)
			svc_txn_commit(srv->svc->alloc, r->svc_txn);
		else
			svc_txn_rollback(srv->svc->alloc, r->svc_txn);
		r->svc_txn = NULL;
	}
	if (err != 0 || r->write_op != STORE_DELETE || !is(r->res, "services") || r->dry_run)
		return;
	if (srv->svc)
		svc_alloc_release(srv->svc->alloc, r->obj);
	{
		/* The Service's Endpoints object of the same name goes with it (upstream's service REST
		 * Delete). */
		const k8s_resource_t *ep = k8s_resource_find("", "v1", "endpoints");
		char *key = rest_key(ep, r->ns, objmeta_str(r->obj, "name"));
		store_kv_t kv;
		if (key && store_get_latest(srv->store, key, &kv) == 0) {
			json_t *obj = json_loadb(kv.val->data, kv.val->len, 0, NULL);
			if (obj)
				rest_delete_internal(srv, ep, obj, kv.mod_rev, endpoints_deleted, NULL);
			json_decref(obj);
		}
		free(key);
	}
}

static int rebuild_one(const store_kv_t *kv, void *ud)
{
	struct svc_registry *reg = ud;
	json_t *svc = json_loadb(kv->val->data, kv->val->len, 0, NULL);
	int rc;

	if (!svc)
		return 0;
	rc = svc_alloc_rebuild_add(reg->alloc, svc);
	if (rc < 0)
		log_warn("service %s: %s while rebuilding allocations", kv->key,
			 rc == -EEXIST ? "a value held twice" : "a value outside the configured ranges");
	json_decref(svc);
	return 0;
}

int kind_init(api_server_t *srv)
{
	struct svc_registry *reg = calloc(1, sizeof(*reg));
	const k8s_resource_t *svcres = k8s_resource_find("", "v1", "services");
	char *prefix;
	int rc;

	if (!reg)
		return -ENOMEM;
	rc = svc_config_init(&reg->cfg, srv->opts.service_cidr, srv->opts.node_port_range);
	if (rc < 0) {
		free(reg);
		return rc;
	}
	rc = svc_alloc_new(&reg->cfg, &reg->alloc);
	if (rc < 0) {
		free(reg);
		return rc;
	}
	svc_config_first_ip(&reg->cfg, 0, reg->kubernetes_ip, sizeof(reg->kubernetes_ip));
	/* Allocation state is derived from the stored Services: nothing to leak after a crash. */
	prefix = rest_key(svcres, NULL, NULL);
	if (!prefix) {
		svc_alloc_free(reg->alloc);
		free(reg);
		return -ENOMEM;
	}
	store_list(srv->store, prefix, NULL, 0, rebuild_one, reg);
	free(prefix);
	srv->svc = reg;
	return 0;
}

void kind_free(api_server_t *srv)
{
	if (!srv->svc)
		return;
	svc_alloc_free(srv->svc->alloc);
	free(srv->svc);
	srv->svc = NULL;
}

const char *kind_kubernetes_service_ip(api_server_t *srv)
{
	return srv->svc ? srv->svc->kubernetes_ip : "10.43.0.1";
}
