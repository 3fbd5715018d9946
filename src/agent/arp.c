/* arp: ARP payloads (RFC 826) and the AF_PACKET socket the load-balancer announcer answers on. */
#include "agent/arp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ARP_HRD_ETHER 1
#define ARP_PRO_IPV4 0x0800

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int arp_parse(const uint8_t *buf, size_t len, arp_pkt_t *ret)
{
	arp_pkt_t p;

	if (!buf || len < 8)
		return -EBADMSG;
	/* The fixed header first: a foreign kind (say IPv6 over some other link) is "not ours", not
	 * "malformed", even when its addresses are of other lengths. */
	if (rd16(buf) != ARP_HRD_ETHER || rd16(buf + 2) != ARP_PRO_IPV4 || buf[4] != 6 || buf[5] != 4)
		return -EPROTONOSUPPORT;
	if (len < ARP_PKT_LEN)
		return -EBADMSG;
	p.op = rd16(buf + 6);
	if (p.op != ARP_OP_REQUEST && p.op != ARP_OP_REPLY)
		return -EPROTONOSUPPORT;
	memcpy(p.sha, buf + 8, 6);
	memcpy(p.spa, buf + 14, 4);
	memcpy(p.tha, buf + 18, 6);
	memcpy(p.tpa, buf + 24, 4);
	*ret = p;
	return 0;
}

int arp_build(uint8_t *buf, size_t len, const arp_pkt_t *p)
{
	if (len < ARP_PKT_LEN)
		return -ENOBUFS;
	wr16(buf, ARP_HRD_ETHER);
	wr16(buf + 2, ARP_PRO_IPV4);
	buf[4] = 6;
	buf[5] = 4;
	wr16(buf + 6, p->op);
	memcpy(buf + 8, p->sha, 6);
	memcpy(buf + 14, p->spa, 4);
	memcpy(buf + 18, p->tha, 6);
	memcpy(buf + 24, p->tpa, 4);
	return ARP_PKT_LEN;
}

bool arp_answer(const arp_pkt_t *req, const uint8_t ip[4], const uint8_t mac[6], arp_pkt_t *ret)
{
	if (req->op != ARP_OP_REQUEST || memcmp(req->tpa, ip, 4) != 0)
		return false;
	/* A gratuitous request from another host claiming the address is not a question. */
	if (memcmp(req->spa, ip, 4) == 0)
		return false;
	ret->op = ARP_OP_REPLY;
	memcpy(ret->sha, mac, 6);
	memcpy(ret->spa, ip, 4);
	memcpy(ret->tha, req->sha, 6);
	memcpy(ret->tpa, req->spa, 4);
	return true;
}

void arp_gratuitous(const uint8_t ip[4], const uint8_t mac[6], arp_pkt_t *ret)
{
	ret->op = ARP_OP_REQUEST;
	memcpy(ret->sha, mac, 6);
	memcpy(ret->spa, ip, 4);
	memset(ret->tha, 0, 6);
	memcpy(ret->tpa, ip, 4);
}

int arp_sock_open(int ifindex)
{
	struct sockaddr_ll sll = { 0 };
	int fd;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0)
		return -errno;
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int arp_sock_recv(int fd, arp_pkt_t *ret)
{
	uint8_t buf[128];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (from.sll_pkttype != PACKET_HOST && from.sll_pkttype != PACKET_BROADCAST)
		return -ENOMSG;
	return arp_parse(buf, (size_t)n, ret);
}

int arp_sock_send(int fd, int ifindex, const uint8_t dst[6], const arp_pkt_t *p)
{
	uint8_t buf[ARP_PKT_LEN];
	struct sockaddr_ll to = { 0 };

	arp_build(buf, sizeof(buf), p);
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_ARP);
	to.sll_ifindex = ifindex;
	to.sll_halen = 6;
	memcpy(to.sll_addr, dst, 6);
	if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}
