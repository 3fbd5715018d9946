/* The load-balancer controller (upstream cloud-provider controllers/service, with Portico's own
 * providers): for every Service of type LoadBalancer whose loadBalancerClass is unset or
 * "portico.io/lb" it adds the finalizer service.kubernetes.io/load-balancer-cleanup, asks the
 * configured provider (lb_provider.h) for ingress points and writes them to
 * status.loadBalancer.ingress through the status subresource; on deletion or a type change it asks
 * the provider to remove the load balancer, clears the status and drops the finalizer. Events:
 * EnsuringLoadBalancer, EnsuredLoadBalancer, UpdatedLoadBalancer, SyncLoadBalancerFailed,
 * DeletingLoadBalancer, DeletedLoadBalancer, UnAvailableLoadBalancer, AllocationFailed. Failed
 * syncs are retried per Service after 5 s doubling to 300 s.
 *
 * The provider comes from the ConfigMap kube-system/portico-lb, watched live: a change applies at
 * once; a bad one gets a Warning event (InvalidConfiguration) on the ConfigMap and the last good
 * configuration stays. docs/loadbalancers.md has the whole contract. */
#pragma once
#include "client/informer.h"
#include "client/kclient.h"

typedef struct lb_ctrl lb_ctrl_t;

/* nodes: the shared Node informer, not started yet (borrowed; the caller starts it and frees it
 * after this controller). The controller's own informers (Services, EndpointSlices, ConfigMaps of
 * kube-system) start at once. *ret: caller frees with lb_ctrl_free(). -ENOMEM, -EBUSY. */
int lb_ctrl_new(kclient_t *c, informer_t *nodes, lb_ctrl_t **ret);
void lb_ctrl_free(lb_ctrl_t *l); /* accepts NULL */
