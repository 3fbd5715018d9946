/* ndp: IPv6 Neighbor Discovery (RFC 4861) for the load-balancer announcer: a parser of Neighbor
 * Solicitations and a writer of Neighbor Advertisements over caller buffers (pure), and an ICMPv6
 * raw socket on one interface that joins the solicited-node groups of announced addresses. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NDP_NA_LEN 32 /* header, target and a target link-layer address option */
#define NDP_NA_ROUTER 0x80
#define NDP_NA_SOLICITED 0x40
#define NDP_NA_OVERRIDE 0x20

typedef struct ndp_ns {
	uint8_t target[16];
	bool has_sll;   /* a source link-layer address option was present */
	uint8_t sll[6];
} ndp_ns_t;

/* Parses an ICMPv6 message as a Neighbor Solicitation, with the checks of RFC 4861 s7.1.1 that
 * need no IPv6 header beyond hop_limit (must be 255): type 135 code 0, at least 24 bytes, the
 * target not multicast, every option of non-zero length and inside the message. Link-layer address
 * options other than 6 bytes (non-Ethernet) are ignored. 0, or -EBADMSG; *ret is written only on
 * success. */
int ndp_ns_parse(const uint8_t *buf, size_t len, int hop_limit, ndp_ns_t *ret);

/* Writes a Neighbor Advertisement for target with the target link-layer address option mac and
 * flags (NDP_NA_*) into buf; the checksum is left 0 for the kernel to fill (raw ICMPv6 sockets
 * always checksum). NDP_NA_LEN or -ENOBUFS. */
int ndp_na_build(uint8_t *buf, size_t len, const uint8_t target[16], const uint8_t mac[6], uint8_t flags);

/* The solicited-node multicast address of addr (ff02::1:ffXX:XXXX, RFC 4291 s2.7.1). */
void ndp_solicited_node(const uint8_t addr[16], uint8_t ret[16]);

/* A non-blocking ICMPv6 raw socket that receives only Neighbor Solicitations with their hop
 * limit, and sends with hop limit 255 out of ifindex. The fd or a negative errno (caller closes). */
int ndp_sock_open(int ifindex);

/* Joins or leaves the solicited-node group of addr on ifindex, so solicitations for it reach us. */
int ndp_sock_join(int fd, int ifindex, const uint8_t addr[16], bool join);

/* Receives one message and parses it as a solicitation; the sender's address goes to ret_src.
 * -EAGAIN when nothing is queued; -EBADMSG for what is not a valid NS. */
int ndp_sock_recv(int fd, ndp_ns_t *ret, uint8_t ret_src[16]);

/* Sends an advertisement for target to dst (16 bytes; ff02::1 for unsolicited) out of ifindex. */
int ndp_sock_send_na(int fd, int ifindex, const uint8_t dst[16], const uint8_t target[16], const uint8_t mac[6],
		     uint8_t flags);
