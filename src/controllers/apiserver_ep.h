/* The endpoints of the "kubernetes" Service in default, kept by the API servers themselves (upstream
 * pkg/controlplane/reconcilers, the "lease" endpoint reconciler): every server renews a Lease of its
 * own in kube-system (labelled portico.dev/apiserver, advertised address and port in annotations)
 * every 10 s with a 15 s lifetime, and writes the Endpoints and the EndpointSlice "kubernetes" to list
 * the servers whose Leases are live. Not leader-elected: each server runs this. */
#pragma once
#include "client/kclient.h"

typedef struct apiserver_ep apiserver_ep_t;

#define APISERVER_EP_INTERVAL_SEC 10
#define APISERVER_EP_LEASE_SEC    15
#define APISERVER_EP_LABEL        "portico.dev/apiserver"

/* ip: this server's advertised address (IPv4 or IPv6), port: its HTTPS port. Starts at once.
 * *ret: caller frees with apiserver_ep_free() (before the kclient). -EINVAL for a bad IP. */
int apiserver_ep_new(kclient_t *c, const char *ip, int port, apiserver_ep_t **ret);
void apiserver_ep_free(apiserver_ep_t *a); /* accepts NULL */
