/* The cluster DNS address on the node: a dummy interface over rtnetlink and a NOTRACK table over
 * nfnetlink, both through libmnl (and libnftnl for the table); never a child process. */
#include "dns/dns_sys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

/* one request, one ACK (or error) */
static int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	ssize_t n;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	return mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) < 0 ? -errno : 0;
}

static struct nlmsghdr *link_msg(char *buf, uint16_t flags, unsigned int seq, int ifindex, unsigned int up)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = up;
	ifi->ifi_flags = up;
	return nlh;
}

int dns_sys_address(const struct in_addr *addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	unsigned int seq = (unsigned int)time(NULL);
	struct nlmsghdr *nlh;
	struct nlattr *info;
	struct ifaddrmsg *ifa;
	const char *ifname = DNS_SYS_IFNAME, *label = NULL;
	int rc, ifindex;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	nlh = link_msg(buf, NLM_F_CREATE | NLM_F_EXCL, ++seq, 0, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, DNS_SYS_IFNAME);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "dummy");
	mnl_attr_nest_end(nlh, info);
	rc = nl_talk(nl, nlh);
	if (rc == -EOPNOTSUPP) {
		/* a kernel without the dummy driver: loopback makes the address just as local, as
		 * NodeLocal DNSCache's fallback; the label marks it as ours */
		ifname = "lo";
		label = DNS_SYS_LO_LABEL;
	} else if (rc < 0 && rc != -EEXIST) {
		goto out;
	}
	ifindex = (int)if_nametoindex(ifname);
	if (ifindex <= 0) {
		rc = -ENODEV;
		goto out;
	}
	nlh = link_msg(buf, 0, ++seq, ifindex, IFF_UP);
	if ((rc = nl_talk(nl, nlh)) < 0)
		goto out;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	nlh->nlmsg_seq = ++seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_scope = label ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 4, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, addr);
	if (label)
		mnl_attr_put_strz(nlh, IFA_LABEL, label);
	rc = nl_talk(nl, nlh);
	if (rc == 0 && label)
		rc = 1;
out:
	mnl_socket_close(nl);
	return rc;
}

/* ---- nftables */

static void put_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(r, e);
}

static struct nftnl_expr *payload(uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	}
	return e;
}

static struct nftnl_expr *cmp_eq(const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

/* `ip {daddr|saddr} A th {dport|sport} PORT notrack`. Every packet of the node crosses these
 * chains, so the rule tests the address first (one load and compare for all other traffic) and has
 * no protocol test: UDP and TCP keep their ports at the same place, and anything else to or from
 * the DNS address (only ours) that happens to match loses nothing by going untracked. */
static struct nftnl_rule *notrack_rule(const char *chain, bool to, const struct in_addr *a, uint16_t port)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	uint16_t nport = htons(port);

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, DNS_SYS_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	put_expr(r, payload(NFT_PAYLOAD_NETWORK_HEADER, to ? 16 : 12, 4));
	put_expr(r, cmp_eq(a, 4));
	put_expr(r, payload(NFT_PAYLOAD_TRANSPORT_HEADER, to ? 2 : 0, 2));
	put_expr(r, cmp_eq(&nport, 2));
	put_expr(r, nftnl_expr_alloc("notrack"));
	return r;
}

static struct nftnl_table *table_obj(void)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (t) {
		nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
		nftnl_table_set_str(t, NFTNL_TABLE_NAME, DNS_SYS_TABLE);
	}
	return t;
}

static int nft_send(struct nftnl_batch *b)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid;
	int rc = 0;
	ssize_t n;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	/* the batch spans pages: nftnl_batch_buffer() is only the tail of the last one */
	int niov = nftnl_batch_iovec_len(b);
	struct iovec iov[8];
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr mh = { .msg_name = &snl, .msg_namelen = sizeof(snl), .msg_iov = iov, .msg_iovlen = (size_t)niov };
	if (niov <= 0 || niov > 8) {
		rc = -E2BIG;
		goto out;
	}
	nftnl_batch_iovec(b, iov, (uint32_t)niov);
	if (sendmsg(mnl_socket_get_fd(nl), &mh, 0) < 0) {
		rc = -errno;
		goto out;
	}
	/* every message asked for an ACK: read until all came or an error did */
	for (;;) {
		struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
		fd_set rfds;
		FD_ZERO(&rfds);
		FD_SET(mnl_socket_get_fd(nl), &rfds);
		if (select(mnl_socket_get_fd(nl) + 1, &rfds, NULL, NULL, &tv) <= 0)
			break;
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (mnl_cb_run(buf, (size_t)n, 0, portid, NULL, NULL) < 0) {
			rc = -errno;
			break;
		}
	}
out:
	mnl_socket_close(nl);
	return rc;
}

int dns_sys_notrack(const struct in_addr *addr, uint16_t port)
{
	struct nftnl_batch *b = nftnl_batch_alloc(MNL_SOCKET_BUFFER_SIZE, MNL_SOCKET_BUFFER_SIZE);
	static const char *const chains[2] = { "prerouting", "output" };
	static const uint32_t hooks[2] = { NF_INET_PRE_ROUTING, NF_INET_LOCAL_OUT };
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	struct nftnl_table *t;
	int rc = -ENOMEM;

	if (!b)
		return -ENOMEM;
	nftnl_batch_begin(nftnl_batch_buffer(b), seq++);
	nftnl_batch_update(b);
	/* add, delete, add: the table is replaced whole whether it existed or not, atomically */
	for (int step = 0; step < 3; step++) {
		if (!(t = table_obj()))
			goto out;
		uint16_t type = step == 1 ? NFT_MSG_DELTABLE : NFT_MSG_NEWTABLE;
		nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b), type, NFPROTO_IPV4,
					    NLM_F_ACK | (type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0), seq++);
		nftnl_table_nlmsg_build_payload(nlh, t);
		nftnl_table_free(t);
		nftnl_batch_update(b);
	}
	for (int c = 0; c < 2; c++) {
		struct nftnl_chain *ch = nftnl_chain_alloc();
		if (!ch)
			goto out;
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_IPV4);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, DNS_SYS_TABLE);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, chains[c]);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, hooks[c]);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, -300); /* NF_IP_PRI_RAW: before conntrack (-200) */
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b), NFT_MSG_NEWCHAIN, NFPROTO_IPV4,
					    NLM_F_CREATE | NLM_F_ACK, seq++);
		nftnl_chain_nlmsg_build_payload(nlh, ch);
		nftnl_chain_free(ch);
		nftnl_batch_update(b);
		for (int k = 0; k < 2; k++) {
			/* to the address (queries) and from it (answers), UDP and TCP alike */
			struct nftnl_rule *r = notrack_rule(chains[c], k == 0, addr, port);
			if (!r)
				goto out;
			nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b), NFT_MSG_NEWRULE, NFPROTO_IPV4,
						    NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, seq++);
			nftnl_rule_nlmsg_build_payload(nlh, r);
			nftnl_rule_free(r);
			nftnl_batch_update(b);
		}
	}
	nftnl_batch_end(nftnl_batch_buffer(b), seq++);
	nftnl_batch_update(b);
	rc = nft_send(b);
out:
	nftnl_batch_free(b);
	return rc;
}

void dns_sys_cleanup(void)
{
	struct nftnl_batch *b = nftnl_batch_alloc(MNL_SOCKET_BUFFER_SIZE, MNL_SOCKET_BUFFER_SIZE);
	struct nftnl_table *t = table_obj();
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = (uint32_t)time(NULL);
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	int ifindex;

	if (b && t) {
		nftnl_batch_begin(nftnl_batch_buffer(b), seq++);
		nftnl_batch_update(b);
		nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b), NFT_MSG_DELTABLE, NFPROTO_IPV4, NLM_F_ACK, seq++);
		nftnl_table_nlmsg_build_payload(nlh, t);
		nftnl_batch_update(b);
		nftnl_batch_end(nftnl_batch_buffer(b), seq++);
		nftnl_batch_update(b);
		nft_send(b);
	}
	nftnl_table_free(t);
	nftnl_batch_free(b);
	ifindex = (int)if_nametoindex(DNS_SYS_IFNAME);
	if (ifindex <= 0 || !(nl = mnl_socket_open(NETLINK_ROUTE)))
		return;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0) {
		nlh = link_msg(buf, 0, seq, ifindex, 0);
		nlh->nlmsg_type = RTM_DELLINK;
		nl_talk(nl, nlh);
	}
	mnl_socket_close(nl);
}
