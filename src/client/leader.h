/* leader: leader election through a coordination.k8s.io/v1 Lease, as client-go's LeaderElector
 * (tools/leaderelection): try to acquire or renew every retry period; a lease held by another
 * identity is taken over only when its record has not changed for lease duration, measured on our
 * own clock from when we observed it (so clocks of different servers need not agree); writes use
 * the Lease's resourceVersion, so two candidates can never both win one round. A leader that cannot
 * renew within the renew deadline stops leading. */
#pragma once
#include <stdbool.h>

#include "client/kclient.h"

typedef struct leader leader_t;

typedef struct leader_config {
	const char *ns;       /* "kube-system" */
	const char *name;     /* the Lease, e.g. "kube-controller-manager" */
	const char *identity; /* unique per candidate, e.g. "<hostname>_<random>" */
	int lease_sec;        /* 0: 15 */
	int renew_deadline_sec;/* 0: 10 */
	int retry_sec;        /* 0: 2 */
	/* Called on the event loop when this candidate starts or stops leading. on_stopped may be
	 * followed by on_started again later (we keep competing). */
	void (*on_started)(void *arg);
	void (*on_stopped)(void *arg);
	void *arg;
} leader_config_t;

/* Starts competing at once. Strings are copied. *ret: caller frees with leader_free(). */
int leader_new(kclient_t *c, const leader_config_t *cfg, leader_t **ret);
/* Stops competing; a leader releases the lease (holderIdentity cleared, as ReleaseOnCancel) with a
 * request that outlives the leader_t. on_stopped is not called. Accepts NULL. */
void leader_free(leader_t *l);
bool leader_is_leader(const leader_t *l);

/* A MicroTime string ("2006-01-02T15:04:05.000000Z") for now, into buf (>= 32 bytes). */
void leader_micro_time(char *buf, size_t len);
