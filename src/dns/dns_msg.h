/* Upstream replies, as the forwarder handles them: checked against the question we asked, reduced to
 * a canonical stored form (our OPT and what follows it removed), and turned into a client's reply
 * (its id, its question's case, TTLs aged, its EDNS and size). Untrusted bytes throughout: every
 * read goes through the bounds-checked dns_rd cursor. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/dns_wire.h"

typedef struct dns_msg_info {
	size_t len;      /* the stored form's length: up to (not including) the first OPT */
	uint16_t id;
	uint8_t rcode;   /* header rcode (low 4 bits) */
	bool tc;
	uint16_t ancount;
	uint32_t ttl;    /* how long it may be cached: the least answer TTL; for a negative answer
			  * min(SOA TTL, SOA MINIMUM) (RFC 2308 s5); 0: not cacheable */
} dns_msg_info_t;

/* Checks that msg is a response (QR) with opcode QUERY and one question equal (case-insensitive)
 * to qname/qtype/qclass, and walks every record. Its first OPT (only allowed in the additional
 * section) and anything after it are cut from the stored form, and ARCOUNT is lowered to match
 * when the caller rewrites the header (dns_msg_strip). -EBADMSG for anything malformed. */
int dns_msg_check(const uint8_t *msg, size_t len, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
		  dns_msg_info_t *ret);

/* Same family, address and port (IPv4 or IPv6; any other family: false). */
bool dns_sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* Whether msg, received from `from` (NULL over a TCP connection to `up`), answers the query we sent
 * to upstream `up` with id and question qname/qtype/qclass (RFC 5452 s9.1: id, question and the
 * address and port asked must all match). 0 with *ret filled (dns_msg_check) for our answer;
 * -ESRCH when the id or the sender differs (not ours: ignore it and keep waiting); -EBADMSG when it
 * has our id but another question or is malformed (a forgery or garbage: ignore it too). */
int dns_msg_match(const uint8_t *msg, size_t len, const struct sockaddr_storage *from,
		  const struct sockaddr_storage *up, uint16_t id, const uint8_t *qname, uint16_t qtype,
		  uint16_t qclass, dns_msg_info_t *ret);

/* Rewrites msg in place to the stored form described by info (ARCOUNT without the OPT); returns
 * info->len. */
size_t dns_msg_strip(uint8_t *msg, const dns_msg_info_t *info);

/* The reply for client query q from a stored-form message: q's id, RD and question case, TTLs less
 * age (not below 0), RA set, an OPT when q had one; when it does not fit q's size the answer is cut
 * to the question with TC=1. -ENOBUFS if cap cannot hold even that, -EBADMSG for a bad stored form. */
int dns_msg_reply(const dns_query_t *q, const uint8_t *stored, size_t len, uint32_t age, uint8_t *out, size_t cap,
		  size_t *ret_len);

/* Appends the A, AAAA and CNAME records of msg's answer section (decompressed) to the answer
 * section of w, for an ExternalName followed upstream. Stops at the first that does not fit.
 * Returns the number appended or -EBADMSG. */
int dns_msg_append_answers(dns_wr_t *w, const uint8_t *msg, size_t len);

/* A query for name/type with id, RD=1 and an OPT (1232, DO as given) into out (>= 12+255+4+11). */
size_t dns_msg_query(uint8_t *out, uint16_t id, const uint8_t *name, uint16_t qtype, uint16_t qclass, bool do_bit);
