/* ndp: Neighbor Solicitation parsing, Neighbor Advertisement writing (RFC 4861) and the ICMPv6
 * socket the load-balancer announcer answers on. */
#include "agent/ndp.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NDP_TYPE_NS 135
#define NDP_TYPE_NA 136
#define NDP_OPT_SLL 1
#define NDP_OPT_TLL 2

int ndp_ns_parse(const uint8_t *buf, size_t len, int hop_limit, ndp_ns_t *ret)
{
	ndp_ns_t ns = { 0 };
	size_t off;

	/* RFC 4861 s7.1.1: a hop limit other than 255 means the packet crossed a router: drop it. */
	if (!buf || hop_limit != 255 || len < 24 || buf[0] != NDP_TYPE_NS || buf[1] != 0)
		return -EBADMSG;
	memcpy(ns.target, buf + 8, 16);
	if (ns.target[0] == 0xff)
		return -EBADMSG;
	for (off = 24; off < len;) {
		size_t olen;

		if (len - off < 2)
			return -EBADMSG;
		olen = (size_t)buf[off + 1] * 8;
		if (olen == 0 || olen > len - off)
			return -EBADMSG;
		if (buf[off] == NDP_OPT_SLL && olen == 8) {
			ns.has_sll = true;
			memcpy(ns.sll, buf + off + 2, 6);
		}
		off += olen;
	}
	*ret = ns;
	return 0;
}

int ndp_na_build(uint8_t *buf, size_t len, const uint8_t target[16], const uint8_t mac[6], uint8_t flags)
{
	if (len < NDP_NA_LEN)
		return -ENOBUFS;
	memset(buf, 0, NDP_NA_LEN);
	buf[0] = NDP_TYPE_NA;
	buf[4] = flags & (NDP_NA_ROUTER | NDP_NA_SOLICITED | NDP_NA_OVERRIDE);
	memcpy(buf + 8, target, 16);
	buf[24] = NDP_OPT_TLL;
	buf[25] = 1;
	memcpy(buf + 26, mac, 6);
	return NDP_NA_LEN;
}

void ndp_solicited_node(const uint8_t addr[16], uint8_t ret[16])
{
	static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };

	memcpy(ret, prefix, sizeof(prefix));
	memcpy(ret + 13, addr + 13, 3);
}

int ndp_sock_open(int ifindex)
{
	struct icmp6_filter filt;
	int fd, one = 1, hops = 255, e;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	ICMP6_FILTER_SETBLOCKALL(&filt);
	ICMP6_FILTER_SETPASS(NDP_TYPE_NS, &filt);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0)
		goto fail;
	return fd;
fail:
	e = -errno;
	close(fd);
	return e;
}

int ndp_sock_join(int fd, int ifindex, const uint8_t addr[16], bool join)
{
	struct ipv6_mreq mr = { 0 };

	ndp_solicited_node(addr, mr.ipv6mr_multiaddr.s6_addr);
	mr.ipv6mr_interface = (unsigned)ifindex;
	if (setsockopt(fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &mr, sizeof(mr)) < 0)
		return -errno;
	return 0;
}

int ndp_sock_recv(int fd, ndp_ns_t *ret, uint8_t ret_src[16])
{
	uint8_t buf[1280], cbuf[CMSG_SPACE(sizeof(int)) * 2];
	struct sockaddr_in6 from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int hop = -1, rc;
	ssize_t n;

	n = recvmsg(fd, &mh, 0);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&hop, CMSG_DATA(cm), sizeof(int));
	rc = ndp_ns_parse(buf, (size_t)n, hop, ret);
	if (rc < 0)
		return rc;
	memcpy(ret_src, from.sin6_addr.s6_addr, 16);
	return 0;
}

int ndp_sock_send_na(int fd, int ifindex, const uint8_t dst[16], const uint8_t target[16], const uint8_t mac[6],
		     uint8_t flags)
{
	uint8_t buf[NDP_NA_LEN];
	struct sockaddr_in6 to = { 0 };

	ndp_na_build(buf, sizeof(buf), target, mac, flags);
	to.sin6_family = AF_INET6;
	memcpy(to.sin6_addr.s6_addr, dst, 16);
	to.sin6_scope_id = (uint32_t)ifindex; /* used for link-local and multicast destinations */
	if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}
