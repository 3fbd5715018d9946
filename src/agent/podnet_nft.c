/* Masquerade for pod traffic leaving the cluster (see podnet_nft.h): one nftables batch built with
 * libnftnl and sent over a NETLINK_NETFILTER socket. The batch adds the table (so the delete after it
 * cannot fail when it is absent), deletes it, and adds it back with its chain and rule: the kernel
 * applies all of it or nothing. */
#include "agent/podnet_nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#define NFT_PRIO_SRCNAT 100

typedef struct batch {
	struct mnl_nlmsg_batch *b;
	uint32_t seq;
	int acks; /* messages sent with NLM_F_ACK */
} batch_t;

static struct nlmsghdr *batch_hdr(batch_t *bt, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type, NFPROTO_IPV4,
						     flags | NLM_F_ACK, bt->seq++);
	bt->acks++;
	return nlh;
}

static int table_msg(batch_t *bt, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, PODNET_NFT_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
	nftnl_table_nlmsg_build_payload(batch_hdr(bt, type, flags), t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(bt->b);
	return 0;
}

static int chain_msg(batch_t *bt)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, PODNET_NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, PODNET_NFT_CHAIN);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_POST_ROUTING);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NFT_PRIO_SRCNAT);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "nat");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nftnl_chain_nlmsg_build_payload(batch_hdr(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE), c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(bt->b);
	return 0;
}

static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

/* ip saddr|daddr (offset 12|16) ==|!= cidr: load into reg 1, mask, compare. */
static int match_cidr(struct nftnl_rule *r, uint32_t offset, const podnet_cidr_t *c, bool neq)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	if (add_expr(r, e) < 0)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	uint32_t mask = c->len ? htonl(~0u << (32 - c->len)) : 0, net = c->net & mask, zero = 0;
	if (c->len < 32) {
		e = nftnl_expr_alloc("bitwise");
		if (add_expr(r, e) < 0)
			return -ENOMEM;
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	}
	e = nftnl_expr_alloc("cmp");
	if (add_expr(r, e) < 0)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, neq ? NFT_CMP_NEQ : NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &net, 4);
	return 0;
}

static int rule_msg(batch_t *bt, const podnet_cidr_t *pod, const podnet_cidr_t *cluster, const podnet_cidr_t *service)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, PODNET_NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, PODNET_NFT_CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	int rc = match_cidr(r, 12, pod, false);
	/* A /0 would exclude every destination: nothing to masquerade then, but keep the rule's shape. */
	if (rc == 0)
		rc = match_cidr(r, 16, cluster, true);
	if (rc == 0)
		rc = match_cidr(r, 16, service, true);
	if (rc == 0)
		rc = add_expr(r, nftnl_expr_alloc("counter"));
	if (rc == 0)
		rc = add_expr(r, nftnl_expr_alloc("masq"));
	if (rc == 0) {
		nftnl_rule_nlmsg_build_payload(batch_hdr(bt, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND), r);
		mnl_nlmsg_batch_next(bt->b);
	}
	nftnl_rule_free(r);
	return rc;
}

/* Sends the batch and reads every answer. The kernel processes a batch within sendmsg(), so all
 * answers are queued when it returns: drain without blocking, and count the acks. */
static int batch_send(batch_t *bt)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	int rc = 0;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b)) < 0) {
		rc = -errno;
		goto out;
	}
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	int acks = 0, first_err = 0;
	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(nl), buf, MNL_SOCKET_BUFFER_SIZE, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && !first_err)
				first_err = -errno;
			break;
		}
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (mnl_nlmsg_get_payload_len(h) < sizeof(*e))
				continue;
			if (e->error < 0 && !first_err)
				first_err = e->error;
			acks++;
		}
	}
	free(buf);
	if (first_err)
		rc = first_err;
	else if (acks < bt->acks)
		rc = -EPROTO; /* an answer went missing: do not claim success */
out:
	mnl_socket_close(nl);
	return rc;
}

static int batch_run(bool fill, const podnet_cidr_t *pod, const podnet_cidr_t *cluster, const podnet_cidr_t *service)
{
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE * 2);
	if (!buf)
		return -ENOMEM;
	batch_t bt = { .seq = (uint32_t)time(NULL) };
	bt.b = mnl_nlmsg_batch_start(buf, MNL_SOCKET_BUFFER_SIZE);
	if (!bt.b) {
		free(buf);
		return -ENOMEM;
	}
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	mnl_nlmsg_batch_next(bt.b);
	int rc = table_msg(&bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (rc == 0)
		rc = table_msg(&bt, NFT_MSG_DELTABLE, 0);
	if (rc == 0 && fill) {
		rc = table_msg(&bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
		if (rc == 0)
			rc = chain_msg(&bt);
		if (rc == 0)
			rc = rule_msg(&bt, pod, cluster, service);
	}
	if (rc == 0) {
		nftnl_batch_end(mnl_nlmsg_batch_current(bt.b), bt.seq++);
		mnl_nlmsg_batch_next(bt.b);
		rc = batch_send(&bt);
	}
	mnl_nlmsg_batch_stop(bt.b);
	free(buf);
	return rc;
}

int podnet_nft_sync(const podnet_cidr_t *pod, const podnet_cidr_t *cluster, const podnet_cidr_t *service)
{
	if (pod->len < 0 || pod->len > 32 || cluster->len < 0 || cluster->len > 32 || service->len < 0 ||
	    service->len > 32)
		return -EINVAL;
	return batch_run(true, pod, cluster, service);
}

int podnet_nft_delete(void)
{
	return batch_run(false, NULL, NULL, NULL);
}
