/* The proxy's nftables programming, in a network namespace of its own (unshare: needs root, as the
 * test suite does): table ip6 portico gets the IPv6 layout (16-byte addresses in the tuple, endpoint,
 * hairpin, lb-allow and affinity sets), a partial change swaps only the changed elements, and both
 * families' tables live side by side. The kernel is read back through a libnftnl element dump. */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "harness.h"
#include "proxy/proxy_nft.h"

#define MAX_ELEMS 64

typedef struct dump {
	size_t n;
	uint8_t key[MAX_ELEMS][64], data[MAX_ELEMS][64];
	uint32_t klen[MAX_ELEMS], dlen[MAX_ELEMS];
} dump_t;

static int elem_cb(const struct nlmsghdr *nlh, void *arg)
{
	dump_t *d = arg;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return MNL_CB_OK;
	}
	it = nftnl_set_elems_iter_create(s);
	for (e = it ? nftnl_set_elems_iter_next(it) : NULL; e; e = nftnl_set_elems_iter_next(it)) {
		uint32_t kl = 0, dl = 0;
		const void *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &kl);
		const void *v = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &dl);
		if (d->n == MAX_ELEMS || kl > 64 || dl > 64)
			continue;
		memcpy(d->key[d->n], k, kl);
		d->klen[d->n] = kl;
		if (v) {
			memcpy(d->data[d->n], v, dl);
			d->dlen[d->n] = dl;
		}
		d->n++;
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* The elements of set name in table portico of family (NFPROTO_*); -errno. */
static int dump_set(int family, const char *name, dump_t *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), portid;
	int rc = 0;
	ssize_t got;

	memset(d, 0, sizeof(*d));
	if (!nl || !s || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -EIO;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, PROXY_NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)family, NLM_F_DUMP | NLM_F_ACK, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	while ((got = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		rc = mnl_cb_run(buf, (size_t)got, seq, portid, elem_cb, d);
		if (rc <= MNL_CB_STOP)
			break;
	}
	rc = rc < 0 ? -errno : 0;
out:
	nftnl_set_free(s);
	if (nl)
		mnl_socket_close(nl);
	return rc;
}

static proxy_addr_t A(const char *s)
{
	proxy_addr_t a = { 0 };

	proxy_parse_ip(s, AF_UNSPEC, &a);
	return a;
}

/* the dumped element whose data starts with addr (16 bytes) . port, or -1 */
static int find_ep6(const dump_t *d, const char *addr, uint16_t port)
{
	proxy_addr_t a = A(addr);
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->dlen[i] == 20 && !memcmp(d->data[i], a.b, 16) && d->data[i][16] == port >> 8 &&
		    d->data[i][17] == (port & 0xff))
			return (int)i;
	return -1;
}

static void sp6(proxy_svcport_t *sp, const char *ep2)
{
	static proxy_ep_t eps[2];
	static proxy_addr_t ext[1], lb[1];
	static proxy_cidr_t ranges[1];

	memset(sp, 0, sizeof(*sp));
	sp->key = "ns/web:http/TCP";
	sp->ns = "ns";
	sp->name = "web";
	sp->port_name = "http";
	sp->family = AF_INET6;
	sp->proto = PROXY_PROTO_TCP;
	sp->port = 80;
	sp->node_port = 30080;
	sp->cluster_ip = A("fd00:43::1");
	sp->ext_ips = ext;
	sp->ext_ips[0] = A("2001:db8:77::7");
	sp->n_ext = 1;
	sp->lb_ips = lb;
	sp->lb_ips[0] = A("2001:db8:100::1");
	sp->n_lb = 1;
	sp->src_ranges = ranges;
	proxy_parse_cidr("2001:db8:9::/48", AF_INET6, false, &sp->src_ranges[0]);
	sp->n_ranges = 1;
	sp->affinity_sec = 60;
	eps[0] = (proxy_ep_t){ .addr = A("fd00:42::2"), .port = 8080, .local = true, .has_node = true };
	eps[1] = (proxy_ep_t){ .addr = A(ep2), .port = 8080, .local = true, .has_node = true };
	sp->all = eps;
	sp->n_all = 2;
}

static void test_ip6_table(void)
{
	proxy_nft_cfg_t c6 = { .family = AF_INET6 }, c4 = { .family = AF_INET };
	proxy_nft_t *n6 = NULL, *n4 = NULL;
	proxy_svcport_t sp;
	proxy_nft_stats_t st;
	dump_t d;
	int i;

	proxy_parse_cidr("fd00:43::/112", AF_INET6, false, &c6.service_cidr);
	c6.nodeport_addrs[0] = A("2001:db8:2::11");
	c6.n_nodeport_addrs = 1;
	proxy_parse_cidr("10.42.0.0/16", AF_INET, false, &c4.cluster_cidr);
	proxy_parse_cidr("10.43.0.0/16", AF_INET, false, &c4.service_cidr);
	c4.nodeport_addrs[0] = A("192.0.2.11");
	c4.n_nodeport_addrs = 1;
	CHECK_INT(proxy_nft_new(&c6, &n6), 0);
	CHECK_INT(proxy_nft_new(&c4, &n4), 0);
	if (!n6 || !n4)
		goto out;
	sp6(&sp, "fd00:42::3");
	CHECK_INT(proxy_nft_stage(n6, sp.key, &sp), 0);
	CHECK_INT(proxy_nft_commit(n6, false), 1); /* the first commit is full */
	CHECK_INT(proxy_nft_commit(n4, false), 1); /* table ip portico beside it, empty */

	CHECK_INT(dump_set(NFPROTO_IPV6, "endpoints", &d), 0);
	CHECK_INT(d.n, 2);
	CHECK(find_ep6(&d, "fd00:42::2", 8080) >= 0 && find_ep6(&d, "fd00:42::3", 8080) >= 0);
	CHECK_INT(dump_set(NFPROTO_IPV6, "ep-by-id", &d), 0);
	CHECK_INT(d.n, 2);
	CHECK_INT(dump_set(NFPROTO_IPV6, "fe-group", &d), 0);
	/* ClusterIP, externalIP, load-balancer IP, NodePort: tuple = 16 . 4 . 4 bytes */
	CHECK_INT(d.n, 4);
	for (i = 0; i < (int)d.n; i++) {
		CHECK_INT(d.klen[i], 24);
		CHECK(d.key[i][16] == PROXY_PROTO_TCP);
	}
	CHECK_INT(dump_set(NFPROTO_IPV6, "nodeport-addrs", &d), 0);
	CHECK(d.n == 1 && d.klen[0] == 16 && !memcmp(d.key[0], A("2001:db8:2::11").b, 16));
	CHECK_INT(dump_set(NFPROTO_IPV6, "hairpin", &d), 0);
	CHECK(d.n == 2 && d.klen[0] == 32);
	CHECK_INT(dump_set(NFPROTO_IPV6, "lb-allow", &d), 0);
	CHECK(d.n >= 1 && d.klen[0] == 40); /* tuple . saddr (the kernel may list the interval's end too) */
	CHECK_INT(dump_set(NFPROTO_IPV6, "lb-restrict", &d), 0);
	CHECK_INT(d.n, 1);
	CHECK_INT(dump_set(NFPROTO_IPV4, "endpoints", &d), 0);
	CHECK_INT(d.n, 0);

	/* one endpoint replaced: a partial commit; the kept one keeps its slot */
	sp6(&sp, "fd00:42::4");
	CHECK_INT(proxy_nft_stage(n6, sp.key, &sp), 0);
	CHECK_INT(proxy_nft_commit(n6, false), 0);
	CHECK_INT(dump_set(NFPROTO_IPV6, "endpoints", &d), 0);
	CHECK_INT(d.n, 2);
	CHECK(find_ep6(&d, "fd00:42::3", 8080) < 0 && find_ep6(&d, "fd00:42::4", 8080) >= 0);
	i = find_ep6(&d, "fd00:42::2", 8080);
	CHECK(i >= 0 && d.key[i][4] == 0 && d.key[i][5] == 0 && d.key[i][6] == 0 && d.key[i][7] == 0);
	proxy_nft_get_stats(n6, &st);
	CHECK_INT(st.failures, 0);
	CHECK_INT(st.svcports, 1);

	/* gone: only the shared drop key is left in sel-vmap, no tuple anywhere */
	CHECK_INT(proxy_nft_stage(n6, sp.key, NULL), 0);
	CHECK_INT(proxy_nft_commit(n6, false), 0);
	CHECK_INT(dump_set(NFPROTO_IPV6, "fe-group", &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(dump_set(NFPROTO_IPV6, "endpoints", &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(proxy_nft_delete_table(n6), 0);
	CHECK(dump_set(NFPROTO_IPV6, "endpoints", &d) < 0);
out:
	proxy_nft_free(n6);
	proxy_nft_free(n4);
}

int main(void)
{
	/* a network namespace of our own: nothing reaches the machine's tables */
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (the test needs root)\n", strerror(errno));
		CHECK(!"a network namespace of its own");
		TEST_DONE();
	}
	TEST_RUN(test_ip6_table);
	TEST_DONE();
}
