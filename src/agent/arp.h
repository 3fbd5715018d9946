/* arp: IPv4 ARP (RFC 826) for the load-balancer announcer: a parser and writer of Ethernet/IPv4
 * ARP payloads over caller buffers (pure), and an AF_PACKET SOCK_DGRAM socket on one interface that
 * receives ARP and sends replies and gratuitous ARP (the kernel adds the Ethernet header). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARP_PKT_LEN 28 /* Ethernet/IPv4 ARP payload */
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

typedef struct arp_pkt {
	uint16_t op;
	uint8_t sha[6]; /* sender hardware address */
	uint8_t spa[4]; /* sender protocol address (network order) */
	uint8_t tha[6];
	uint8_t tpa[4];
} arp_pkt_t;

/* Parses an ARP payload (what follows the Ethernet header). Only hardware type Ethernet (1) with
 * protocol IPv4 (0x0800), lengths 6 and 4, and opcodes request/reply are accepted; trailing bytes
 * (Ethernet padding) are ignored. 0, or -EBADMSG (short) / -EPROTONOSUPPORT (other kinds); *ret is
 * written only on success. */
int arp_parse(const uint8_t *buf, size_t len, arp_pkt_t *ret);

/* Writes p as an Ethernet/IPv4 ARP payload into buf. ARP_PKT_LEN, or -ENOBUFS when len is short. */
int arp_build(uint8_t *buf, size_t len, const arp_pkt_t *p);

/* The reply to req answering for address ip (4 bytes) with hardware address mac: false when req
 * is not a request for ip (nothing to answer). A request from 0.0.0.0 (RFC 5227 probe) is answered
 * too, as the kernel does. */
bool arp_answer(const arp_pkt_t *req, const uint8_t ip[4], const uint8_t mac[6], arp_pkt_t *ret);

/* A gratuitous ARP for ip from mac: a broadcast request with sender = target = ip (RFC 5227 s3's
 * "ARP Announcement"), which updates existing neighbour entries on Linux whatever arp_accept says. */
void arp_gratuitous(const uint8_t ip[4], const uint8_t mac[6], arp_pkt_t *ret);

/* A non-blocking AF_PACKET SOCK_DGRAM socket for ETH_P_ARP bound to ifindex. Returns the fd or a
 * negative errno (caller closes). */
int arp_sock_open(int ifindex);

/* Receives one ARP packet addressed to us or broadcast. 0; -ENOMSG for a packet skipped (our own
 * outgoing copies, other hosts' unicast); -EAGAIN when nothing is queued; -EBADMSG /
 * -EPROTONOSUPPORT for malformed or foreign packets; other negative errno from recvfrom. */
int arp_sock_recv(int fd, arp_pkt_t *ret);

/* Sends p to dst (6 bytes; ff:ff:ff:ff:ff:ff for broadcast) out of ifindex. 0 or negative errno. */
int arp_sock_send(int fd, int ifindex, const uint8_t dst[6], const arp_pkt_t *p);
