/* The `nodes` provider (k3s ServiceLB style, the default): a Service's ingress is the InternalIPs of
 * the eligible nodes — with externalTrafficPolicy Local, only of those with a ready endpoint of it.
 * Nothing is provisioned anywhere, so removal has nothing to undo. */
#include <errno.h>
#include <stdlib.h>

#include "controllers/lb_logic.h"
#include "controllers/lb_provider.h"

static int nodes_ensure(lb_provider_t *p, const char *key, const json_t *svc, const json_t *nodes, lb_provider_cb cb,
			void *arg, lb_provider_op_t **ret_op)
{
	json_t *ing = lb_ingress_from_nodes(nodes, lb_svc_local(svc));

	*ret_op = NULL;
	if (!ing)
		return -ENOMEM;
	cb(0, ing, NULL, arg);
	json_decref(ing);
	return 0;
}

static int nodes_remove(lb_provider_t *p, const char *key, const json_t *svc, lb_provider_cb cb, void *arg,
			lb_provider_op_t **ret_op)
{
	*ret_op = NULL;
	cb(0, NULL, NULL, arg);
	return 0;
}

static void nodes_cancel(lb_provider_t *p, lb_provider_op_t *op)
{
}

static void nodes_free(lb_provider_t *p)
{
	free(p);
}

static const lb_provider_ops_t nodes_ops = {
	.name = "nodes",
	.ensure = nodes_ensure,
	.update = nodes_ensure,
	.remove = nodes_remove,
	.cancel = nodes_cancel,
	.free = nodes_free,
};

int lb_provider_nodes_new(lb_provider_t **ret)
{
	lb_provider_t *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->ops = &nodes_ops;
	*ret = p;
	return 0;
}
