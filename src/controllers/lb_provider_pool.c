/* The `pool` provider (MetalLB L2 style): each Service gets addresses from the configured pools
 * through lb_pool; the address is announced by the nodes (the data-plane half, not here). Every
 * call finishes before it returns. */
#include <errno.h>
#include <stdlib.h>

#include "controllers/lb_logic.h"
#include "controllers/lb_provider.h"

typedef struct pool_provider {
	lb_provider_t base;
	lb_pool_t *pool;
} pool_provider_t;

static int pool_ensure(lb_provider_t *p, const char *key, const json_t *svc, const json_t *nodes, lb_provider_cb cb,
		       void *arg, lb_provider_op_t **ret_op)
{
	pool_provider_t *pp = (pool_provider_t *)p;
	lb_addr_t addrs[LB_POOL_MAX_IPS];
	lb_request_t req;
	char err[256];
	size_t n = 0;
	json_t *ing;
	int rc;

	*ret_op = NULL;
	rc = lb_svc_request(svc, key, &req, err, sizeof(err));
	if (rc == 0)
		rc = lb_pool_assign(pp->pool, &req, addrs, &n, err, sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		/* whatever it held is given up: its status goes back to <pending> */
		lb_pool_release(pp->pool, key);
		cb(rc, NULL, err, arg);
		return 0;
	}
	ing = lb_ingress_from_addrs(addrs, n);
	if (!ing)
		return -ENOMEM;
	cb(0, ing, NULL, arg);
	json_decref(ing);
	return 0;
}

static int pool_remove(lb_provider_t *p, const char *key, const json_t *svc, lb_provider_cb cb, void *arg,
		       lb_provider_op_t **ret_op)
{
	pool_provider_t *pp = (pool_provider_t *)p;

	*ret_op = NULL;
	lb_pool_release(pp->pool, key);
	cb(0, NULL, NULL, arg);
	return 0;
}

static void pool_cancel(lb_provider_t *p, lb_provider_op_t *op)
{
}

static void pool_free(lb_provider_t *p)
{
	free(p);
}

static const lb_provider_ops_t pool_ops = {
	.name = "pool",
	.ensure = pool_ensure,
	.update = pool_ensure, /* the nodes do not change a pool address */
	.remove = pool_remove,
	.cancel = pool_cancel,
	.free = pool_free,
};

int lb_provider_pool_new(lb_pool_t *pool, lb_provider_t **ret)
{
	pool_provider_t *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return -ENOMEM;
	pp->base.ops = &pool_ops;
	pp->pool = pool;
	*ret = &pp->base;
	return 0;
}
