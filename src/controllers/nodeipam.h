/* Node IPAM (upstream pkg/controller/nodeipam, the RangeAllocator): every Node without
 * spec.podCIDR gets the next free /24 of the cluster CIDR (--cluster-cidr, default 10.42.0.0/16),
 * written as spec.podCIDR and spec.podCIDRs. The Node objects are the only record: at start the
 * used /24s are rebuilt from the cached Nodes, and nothing is handed out before that cache synced,
 * so a restart can neither lose nor duplicate an assignment. IPv4 only for now. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/informer.h"
#include "client/kclient.h"

#define NODEIPAM_CLUSTER_CIDR_DEFAULT "10.42.0.0/16"
#define NODEIPAM_NODE_MASK            24

/* ---- the pure part: a cluster CIDR cut into /24s (upstream cidrset) ---- */

typedef struct nodeipam_set {
	uint32_t base;     /* network address of the cluster CIDR, host order */
	int prefix;        /* its prefix length, 8..NODEIPAM_NODE_MASK */
	uint32_t count;    /* number of /24s: 2^(24 - prefix) */
	uint32_t used;     /* how many are taken */
	uint32_t next;     /* where the next search starts (round robin, as cidrset's nextCandidate) */
	uint8_t *bits;     /* count bits */
} nodeipam_set_t;

/* Parses "a.b.c.d/p" (host bits must be zero; p between 8 and 24). -EINVAL for a malformed CIDR,
 * -EAFNOSUPPORT for IPv6, -ENOMEM. On success the caller frees with nodeipam_set_free(). */
int nodeipam_set_init(nodeipam_set_t *s, const char *cidr);
void nodeipam_set_free(nodeipam_set_t *s); /* accepts a zeroed or freed set */

/* The index of cidr ("10.42.7.0/24") within the set; -EINVAL when malformed or not a /24,
 * -ERANGE when outside the cluster CIDR. */
int nodeipam_set_index(const nodeipam_set_t *s, const char *cidr);
/* Formats /24 number idx as "a.b.c.0/24" into buf (>= 19 bytes). */
void nodeipam_set_format(const nodeipam_set_t *s, uint32_t idx, char *buf, size_t len);

/* Marks cidr used (true when it was free and inside the set; false otherwise, nothing changes). */
bool nodeipam_set_occupy(nodeipam_set_t *s, const char *cidr);
/* Frees cidr again (no-op when outside or already free). */
void nodeipam_set_release(nodeipam_set_t *s, const char *cidr);
/* Takes the next free /24 at or after s->next (wrapping): its index; -ENOSPC when all are used. */
int nodeipam_set_allocate(nodeipam_set_t *s, char *buf, size_t len);

/* ---- the controller ---- */

typedef struct nodeipam_ctrl nodeipam_ctrl_t;

/* cluster_cidr: NULL for the default. nodes: a shared Node informer not started yet (borrowed; the
 * caller starts it and frees it after this controller), or NULL for our own. -EINVAL /
 * -EAFNOSUPPORT for a bad CIDR, -ENOMEM. *ret: caller frees with nodeipam_ctrl_free(). */
int nodeipam_ctrl_new(kclient_t *c, const char *cluster_cidr, informer_t *nodes, nodeipam_ctrl_t **ret);
void nodeipam_ctrl_free(nodeipam_ctrl_t *n); /* accepts NULL */
