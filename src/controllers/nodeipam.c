/* Node IPAM (see nodeipam.h): a /24 bitmap over the cluster CIDR, filled from the Node cache, and a
 * work queue of Nodes still without spec.podCIDR. One assignment is written at a time; a /24 picked
 * for a Node stays that Node's until the write sticks or the Node goes, so a retry (or an update
 * event that overtakes our own write) can never hand it a second one. */
#include "controllers/nodeipam.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/workqueue.h"
#include "controllers/ctrl_util.h"
#include "core/log.h"

#define NODEIPAM_RETRY_UNSYNCED_MS 500

/* ---- the set ------------------------------------------------------------------------------------ */

/* "a.b.c.d/p" into host-order address and prefix; -EINVAL, or -EAFNOSUPPORT for IPv6. */
static int cidr_parse(const char *cidr, uint32_t *ret_addr, int *ret_prefix)
{
	char ip[INET6_ADDRSTRLEN + 1], *end;
	const char *slash;
	struct in_addr a;
	long p;

	if (!cidr || !(slash = strchr(cidr, '/')) || (size_t)(slash - cidr) >= sizeof(ip) || !slash[1])
		return -EINVAL;
	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = '\0';
	if (strchr(ip, ':'))
		return -EAFNOSUPPORT;
	if (inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	p = strtol(slash + 1, &end, 10);
	if (errno || *end || p < 0 || p > 32)
		return -EINVAL;
	*ret_addr = ntohl(a.s_addr);
	*ret_prefix = (int)p;
	return 0;
}

int nodeipam_set_init(nodeipam_set_t *s, const char *cidr)
{
	uint32_t addr, mask;
	int prefix, rc;

	rc = cidr_parse(cidr, &addr, &prefix);
	if (rc < 0)
		return rc;
	/* upstream refuses a node mask not longer than the cluster mask; very short prefixes would
	 * make a bitmap of millions of bits for no use */
	if (prefix < 8 || prefix > NODEIPAM_NODE_MASK)
		return -EINVAL;
	mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
	if (addr & ~mask)
		return -EINVAL; /* host bits set: "10.42.1.0/16" is not a network */
	memset(s, 0, sizeof(*s));
	s->base = addr;
	s->prefix = prefix;
	s->count = 1u << (NODEIPAM_NODE_MASK - prefix);
	s->bits = calloc((s->count + 7) / 8, 1);
	if (!s->bits)
		return -ENOMEM;
	return 0;
}

void nodeipam_set_free(nodeipam_set_t *s)
{
	if (!s)
		return;
	free(s->bits);
	s->bits = NULL;
	s->count = s->used = s->next = 0;
}

int nodeipam_set_index(const nodeipam_set_t *s, const char *cidr)
{
	uint32_t addr;
	int prefix, rc;

	rc = cidr_parse(cidr, &addr, &prefix);
	if (rc < 0)
		return rc == -EAFNOSUPPORT ? -ERANGE : rc;
	if (prefix != NODEIPAM_NODE_MASK || (addr & 0xff))
		return -EINVAL;
	if (!s->bits || (addr & (~0u << (32 - s->prefix))) != s->base)
		return -ERANGE;
	return (int)((addr - s->base) >> (32 - NODEIPAM_NODE_MASK));
}

void nodeipam_set_format(const nodeipam_set_t *s, uint32_t idx, char *buf, size_t len)
{
	uint32_t a = s->base + (idx << (32 - NODEIPAM_NODE_MASK));

	snprintf(buf, len, "%u.%u.%u.%u/%d", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff, NODEIPAM_NODE_MASK);
}

static bool bit_get(const nodeipam_set_t *s, uint32_t i)
{
	return s->bits[i / 8] & (1u << (i % 8));
}

static void bit_set(nodeipam_set_t *s, uint32_t i, bool on)
{
	if (on == bit_get(s, i))
		return;
	if (on) {
		s->bits[i / 8] |= (uint8_t)(1u << (i % 8));
		s->used++;
	} else {
		s->bits[i / 8] &= (uint8_t)~(1u << (i % 8));
		s->used--;
	}
}

bool nodeipam_set_occupy(nodeipam_set_t *s, const char *cidr)
{
	int i = nodeipam_set_index(s, cidr);

	if (i < 0 || bit_get(s, (uint32_t)i))
		return false;
	bit_set(s, (uint32_t)i, true);
	return true;
}

void nodeipam_set_release(nodeipam_set_t *s, const char *cidr)
{
	int i = nodeipam_set_index(s, cidr);

	if (i >= 0)
		bit_set(s, (uint32_t)i, false);
}

int nodeipam_set_allocate(nodeipam_set_t *s, char *buf, size_t len)
{
	uint32_t k, i;

	if (!s->bits || s->used >= s->count)
		return -ENOSPC;
	for (k = 0; k < s->count; k++) {
		i = (s->next + k) % s->count;
		if (bit_get(s, i))
			continue;
		bit_set(s, i, true);
		s->next = (i + 1) % s->count;
		nodeipam_set_format(s, i, buf, len);
		return (int)i;
	}
	return -ENOSPC;
}

/* ---- the controller ----------------------------------------------------------------------------- */

struct nodeipam_ctrl {
	kclient_t *c;
	informer_t *nodes;
	bool own;
	workqueue_t *q;
	nodeipam_set_t set;
	char cidr[64];
	json_t *assigned;   /* node name -> the /24 it has or is being given */
	kclient_req_t *req; /* the one write in flight (the queue runs one key at a time) */
	char key[300];
};

static const char *node_pod_cidr(const json_t *node)
{
	const char *c = ctrl_str(json_object_get(node, "spec"), "podCIDR");

	return c && *c ? c : NULL;
}

/* A Node that carries a podCIDR: that /24 is used (and is that node's). */
static void note_node(nodeipam_ctrl_t *n, const json_t *node)
{
	const char *name = ctrl_meta(node, "name"), *cidr = node_pod_cidr(node), *had;

	if (!name)
		return;
	if (!cidr) {
		workqueue_add(n->q, name);
		return;
	}
	had = json_string_value(json_object_get(n->assigned, name));
	if (had && strcmp(had, cidr) == 0)
		return;
	if (had) /* someone else wrote another one: ours is free again */
		nodeipam_set_release(&n->set, had);
	if (nodeipam_set_index(&n->set, cidr) < 0) {
		log_debug("node ipam: node %s has podCIDR %s outside %s", name, cidr, n->cidr);
		json_object_del(n->assigned, name);
		return;
	}
	if (!nodeipam_set_occupy(&n->set, cidr))
		log_warn("node ipam: node %s has podCIDR %s, which another node has too", name, cidr);
	json_object_set_new(n->assigned, name, json_string(cidr));
}

static void on_add(informer_t *inf, const json_t *obj, void *arg)
{
	note_node(arg, obj);
}

static void on_update(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	note_node(arg, obj);
}

static void on_delete(informer_t *inf, const json_t *obj, void *arg)
{
	nodeipam_ctrl_t *n = arg;
	const char *name = ctrl_meta(obj, "name"), *had;

	if (!name)
		return;
	had = json_string_value(json_object_get(n->assigned, name));
	if (had && strcmp(n->key, name) != 0) {
		nodeipam_set_release(&n->set, had);
		json_object_del(n->assigned, name);
	}
}

static void on_patched(int status, json_t *body, void *arg)
{
	nodeipam_ctrl_t *n = arg;
	const char *cidr = json_string_value(json_object_get(n->assigned, n->key));
	char key[sizeof(n->key)];

	n->req = NULL;
	snprintf(key, sizeof(key), "%s", n->key);
	n->key[0] = '\0';
	if (status == 200 && informer_get(n->nodes, key)) {
		log_info("node ipam: node %s gets podCIDR %s", key, cidr ? cidr : "?");
		workqueue_done(n->q, key, 0);
	} else if (status == 200 || status == 404) {
		/* the Node went while we wrote (or right after; its delete event came first and left the
		 * release to us): its /24 is free again */
		if (cidr)
			nodeipam_set_release(&n->set, cidr);
		json_object_del(n->assigned, key);
		workqueue_done(n->q, key, 0);
	} else {
		log_warn("node ipam: writing podCIDR of node %s: status %d; will retry", key, status);
		workqueue_done(n->q, key, -EIO);
	}
}

static void process(workqueue_t *q, const char *key, void *arg)
{
	nodeipam_ctrl_t *n = arg;
	const json_t *node;
	const char *cidr;
	char buf[32], path[400], *esc = NULL;
	json_t *patch = NULL;
	int rc;

	if (!informer_has_synced(n->nodes)) {
		/* the used /24s are known only once every Node has been seen */
		workqueue_done(q, key, 0);
		workqueue_add_after(q, key, NODEIPAM_RETRY_UNSYNCED_MS);
		return;
	}
	node = informer_get(n->nodes, key);
	if (!node || node_pod_cidr(node) || json_object_get(json_object_get(node, "metadata"), "deletionTimestamp")) {
		workqueue_done(q, key, 0);
		return;
	}
	cidr = json_string_value(json_object_get(n->assigned, key));
	if (!cidr) {
		rc = nodeipam_set_allocate(&n->set, buf, sizeof(buf));
		if (rc < 0) {
			log_err("node ipam: no free /24 left in %s for node %s", n->cidr, key);
			workqueue_done(q, key, -ENOSPC);
			return;
		}
		json_object_set_new(n->assigned, key, json_string(buf));
		cidr = buf;
	}
	/* a merge patch without a resourceVersion, as upstream's PatchNodeCIDRs: it touches the two
	 * fields only, so it cannot conflict with the agent's status writes */
	patch = json_pack("{s:{s:s, s:[s]}}", "spec", "podCIDR", cidr, "podCIDRs", cidr);
	esc = kclient_query_escape(key);
	if (!patch || !esc) {
		rc = -ENOMEM;
		goto fail;
	}
	snprintf(path, sizeof(path), "/api/v1/nodes/%s", esc);
	snprintf(n->key, sizeof(n->key), "%s", key);
	rc = kclient_request(n->c, "PATCH", path, patch, "application/merge-patch+json", on_patched, n, &n->req);
	if (rc < 0) {
		n->req = NULL;
		n->key[0] = '\0';
		goto fail;
	}
	json_decref(patch);
	free(esc);
	return;
fail:
	json_decref(patch);
	free(esc);
	workqueue_done(q, key, rc);
}

int nodeipam_ctrl_new(kclient_t *c, const char *cluster_cidr, informer_t *nodes, nodeipam_ctrl_t **ret)
{
	nodeipam_ctrl_t *n;
	informer_handlers_t h = { on_add, on_update, on_delete, NULL };
	int rc;

	if (!cluster_cidr)
		cluster_cidr = NODEIPAM_CLUSTER_CIDR_DEFAULT;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->c = c;
	snprintf(n->cidr, sizeof(n->cidr), "%s", cluster_cidr);
	rc = nodeipam_set_init(&n->set, cluster_cidr);
	if (rc < 0)
		goto fail;
	rc = -ENOMEM;
	n->assigned = json_object();
	if (!n->assigned)
		goto fail;
	rc = workqueue_new(kclient_base(c), 1, process, n, &n->q);
	if (rc < 0) {
		n->q = NULL;
		goto fail;
	}
	n->own = !nodes;
	if (nodes) {
		n->nodes = nodes;
	} else if ((rc = informer_new(c, "/api/v1/nodes", NULL, &n->nodes)) < 0) {
		n->nodes = NULL;
		goto fail;
	}
	h.arg = n;
	rc = informer_add_handlers(n->nodes, &h);
	if (rc < 0)
		goto fail;
	if (n->own && (rc = informer_start(n->nodes)) < 0)
		goto fail;
	*ret = n;
	return 0;
fail:
	nodeipam_ctrl_free(n);
	return rc;
}

void nodeipam_ctrl_free(nodeipam_ctrl_t *n)
{
	if (!n)
		return;
	kclient_cancel(n->req);
	n->req = NULL;
	workqueue_free(n->q);
	if (n->own)
		informer_free(n->nodes);
	nodeipam_set_free(&n->set);
	json_decref(n->assigned);
	free(n);
}
