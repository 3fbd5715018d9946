/* One interface for the load-balancer providers (cloud-provider's LoadBalancer interface, made
 * asynchronous): `pool` (addresses from lb_pool), `nodes` (the nodes' own addresses) and `webhook`
 * (an infrastructure provider's HTTPS API). The controller owns one provider at a time and swaps it
 * when the portico-lb ConfigMap changes. */
#pragma once
#include <errno.h>
#include <stdbool.h>

#include <event2/event.h>
#include <jansson.h>

#include "lib/lb_config.h"
#include "lib/lb_pool.h"

typedef struct lb_provider lb_provider_t;
typedef struct lb_provider_op lb_provider_op_t;

/* The outcome of an operation. err 0: done, ingress the Service's ingress points (borrowed; NULL for
 * delete, and for an update that did not change them). err < 0: msg says why (borrowed). Errors that
 * lb_provider_err_is_allocation() accepts mean "this Service cannot get an address as asked" (no
 * back-off: retried when addresses or the configuration change); others are retried with back-off. */
typedef void (*lb_provider_cb)(int err, const json_t *ingress, const char *msg, void *arg);

typedef struct lb_provider_ops {
	const char *name; /* "pool", "nodes", "webhook" */
	/* svc: the Service (borrowed for the call); key "ns/name"; nodes: lb_nodes_eligible() for it.
	 * cb may run before the call returns (the synchronous providers); the caller must not touch
	 * state that cb frees after the call. *ret_op: a handle for cancel (NULL when cb already ran).
	 * Returns 0, or < 0 (-ENOMEM) and then cb is never called. */
	int (*ensure)(lb_provider_t *p, const char *key, const json_t *svc, const json_t *nodes, lb_provider_cb cb,
		      void *arg, lb_provider_op_t **ret_op);
	/* The node set changed; the Service did not. */
	int (*update)(lb_provider_t *p, const char *key, const json_t *svc, const json_t *nodes, lb_provider_cb cb,
		      void *arg, lb_provider_op_t **ret_op);
	int (*remove)(lb_provider_t *p, const char *key, const json_t *svc, lb_provider_cb cb, void *arg,
		      lb_provider_op_t **ret_op);
	/* The callback of op is never called afterwards. */
	void (*cancel)(lb_provider_t *p, lb_provider_op_t *op);
	/* Cancels every pending op (their callbacks are not called) and frees p. */
	void (*free)(lb_provider_t *p);
} lb_provider_ops_t;

struct lb_provider {
	const lb_provider_ops_t *ops;
};

static inline bool lb_provider_err_is_allocation(int err)
{
	return err == -ENOSPC || err == -EADDRINUSE || err == -EADDRNOTAVAIL || err == -EINVAL;
}

/* pool: borrowed, outlives the provider. */
int lb_provider_pool_new(lb_pool_t *pool, lb_provider_t **ret);
int lb_provider_nodes_new(lb_provider_t **ret);
/* Reads cfg->webhook_token_file now (-errno, with a message, when it cannot), builds an HTTPS
 * client for cfg->webhook_url (CA: cfg->webhook_ca_file, or the system's). */
int lb_provider_webhook_new(struct event_base *base, const lb_config_t *cfg, lb_provider_t **ret, char *err,
			    size_t errlen);
