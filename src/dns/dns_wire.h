/* DNS wire format (RFC 1035, 6891): a bounds-checked reader for queries with a sticky error, and a
 * writer that builds responses into a caller-supplied buffer with name compression and truncation.
 * Nothing here allocates: a query and its answer live in caller memory (stack or per-request arena). */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN   12
#define DNS_NAME_MAX  255 /* wire octets including the root label (RFC 1035 s2.3.4) */
#define DNS_LABEL_MAX 63
#define DNS_UDP_MIN   512  /* without EDNS, and the floor for an advertised size (RFC 6891 s6.2.5) */
#define DNS_UDP_MAX   1232 /* what we advertise and honour at most: no IP fragmentation (DNS flag day 2020) */
#define DNS_TCP_MAX   65535
#define DNS_COMP_MAX  64 /* names remembered for compression per message */
#define DNS_PTR_MAX   0x3fff /* highest offset a compression pointer can carry */

enum {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_OPT = 41,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
};

enum { DNS_C_IN = 1, DNS_C_ANY = 255 };

enum {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16, /* extended: upper 8 bits go into the OPT TTL (RFC 6891 s6.1.3) */
};

/* header flag bits (second 16-bit word) */
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_AD 0x0020
#define DNS_F_CD 0x0010
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)

/* Returned by dns_query_parse() for a packet that gets no reply at all: shorter than a header, or
 * a response (QR=1; answering it would invite reflection loops). */
#define DNS_EDROP (-EBADMSG)

/* ---- reader: a cursor over untrusted bytes; any overrun sets err and every later read yields 0 */
typedef struct dns_rd {
	const uint8_t *pkt;
	size_t len;
	size_t pos;
	int err; /* 0, or -EBADMSG once anything was out of bounds or malformed */
} dns_rd_t;

void dns_rd_init(dns_rd_t *r, const uint8_t *pkt, size_t len);
uint8_t dns_rd_u8(dns_rd_t *r);
uint16_t dns_rd_u16(dns_rd_t *r);
uint32_t dns_rd_u32(dns_rd_t *r);
void dns_rd_skip(dns_rd_t *r, size_t n);
/* Reads a possibly compressed name at the cursor into out (uncompressed wire form, case kept) and
 * moves the cursor past it. Pointers must point strictly before the start of the labels they are
 * reached from (no forward, self or looping pointers) and not into the header; labels over 63
 * octets, names over 255 and the reserved label types 0x40/0x80 are errors (RFC 9267 s2). Returns
 * the name's length (>= 1), or 0 with r->err set. */
size_t dns_rd_name(dns_rd_t *r, uint8_t out[DNS_NAME_MAX]);

/* ---- a parsed query */
typedef struct dns_query {
	uint16_t id;
	uint16_t flags;  /* the request's header flags as received */
	uint8_t opcode;
	bool tcp;        /* arrived over TCP: no size limit but 65535 */
	bool has_q;      /* the question parsed and may be echoed */
	bool edns;       /* one valid OPT RR was present: the reply carries one too */
	uint8_t edns_version;
	bool edns_do;    /* DO bit, echoed (RFC 3225 s3) */
	uint16_t udp_size; /* requester's payload size, already clamped to [512, 65535] */
	uint16_t rcode;  /* non-zero: answer with this error (dns_reply_error) instead of data */
	uint16_t qtype, qclass;
	uint8_t qname_len;
	uint8_t qname[DNS_NAME_MAX];    /* as received: its case is echoed in the answer */
	uint8_t qname_lc[DNS_NAME_MAX]; /* lower-cased copy: the lookup key */
} dns_query_t;

/* Parses a query. Returns DNS_EDROP for packets that get no reply (q untouched); otherwise 0 with
 * *ret_q filled and ret_q->rcode telling what to do, as RFC 8906 s8 expects of a server:
 *   opcode != QUERY -> NOTIMP; QDCOUNT != 1, truncated or malformed sections, lying counts,
 *   trailing bytes, an OPT outside the additional section, a second OPT, an OPT not owned by the
 *   root, OPT as QTYPE -> FORMERR; EDNS version > 0 -> BADVERS; AXFR/IXFR -> REFUSED. */
int dns_query_parse(const uint8_t *pkt, size_t len, bool tcp, dns_query_t *ret_q);

/* The largest reply this query may get: 65535 over TCP, else its EDNS size clamped to
 * [512, DNS_UDP_MAX], else 512; never more than cap. */
size_t dns_reply_limit(const dns_query_t *q, size_t cap);

/* Writes an error reply for q with rcode (q->rcode when rcode < 0): header, the question if it
 * parsed, an OPT if the query had a valid one. No request bytes are echoed beyond the parsed
 * question. Returns 0 with *ret_len set, or -ENOBUFS when cap cannot hold even that. */
int dns_reply_error(const dns_query_t *q, int rcode, uint8_t *out, size_t cap, size_t *ret_len);

/* ---- writer: fills buf up to limit; once a write does not fit, err sticks until the record
 * being written is rolled back by dns_wr_rr_end(). */
typedef struct dns_wr {
	uint8_t *buf;
	size_t limit;   /* the message may not grow past this */
	size_t reserve; /* octets kept free for the OPT RR written last */
	size_t len;
	int err;        /* 0 or -ENOSPC */
	bool tc;
	uint16_t count[3]; /* answer, authority, additional */
	uint16_t ncomp;
	uint16_t comp[DNS_COMP_MAX];  /* offsets of names (and their suffixes) already in the message */
	uint8_t comp_len[DNS_COMP_MAX]; /* their uncompressed lengths: a cheap filter before comparing */
	const uint8_t *qname; /* the question's name as passed to dns_wr_question(): an owner given as
			       * this very pointer becomes a pointer to it without a search */
	uint16_t qname_at;
} dns_wr_t;

enum { DNS_SEC_AN = 0, DNS_SEC_NS = 1, DNS_SEC_AR = 2 };

/* a position to roll back to */
typedef struct dns_wr_mark {
	size_t len;
	size_t rdlen_at;
	uint16_t ncomp;
} dns_wr_mark_t;

void dns_wr_init(dns_wr_t *w, uint8_t *buf, size_t limit);
/* Header echoing q's id, opcode, RD and CD, with QR and the given extra flags (AA, RA) and the low
 * four bits of rcode; QDCOUNT is set by dns_wr_question(), the others by dns_wr_finish(). */
void dns_wr_header(dns_wr_t *w, const dns_query_t *q, uint16_t flags, int rcode);
void dns_wr_question(dns_wr_t *w, const dns_query_t *q);
void dns_wr_u8(dns_wr_t *w, uint8_t v);
void dns_wr_u16(dns_wr_t *w, uint16_t v);
void dns_wr_u32(dns_wr_t *w, uint32_t v);
void dns_wr_bytes(dns_wr_t *w, const void *p, size_t n);
/* An uncompressed wire name; compressed against earlier names when compress is set. Compression
 * matching is case-insensitive, so an owner equal to the question name points at the question and
 * carries the requester's case. Names inside SRV RDATA must not be compressed (RFC 2782, 3597 s4). */
void dns_wr_name(dns_wr_t *w, const uint8_t *name, bool compress);
/* Starts a record: owner, type, class IN, ttl, and an RDLENGTH filled in by dns_wr_rr_end(). */
dns_wr_mark_t dns_wr_rr_begin(dns_wr_t *w, const uint8_t *owner, uint16_t type, uint32_t ttl);
/* Ends the record begun at m in section sec. If any part did not fit it is removed again (with the
 * names it taught the compressor), err is cleared and -ENOSPC returned; else 0. */
int dns_wr_rr_end(dns_wr_t *w, dns_wr_mark_t m, int sec);
/* Appends the OPT RR (RFC 6891 s6.1.2): our payload size, the upper bits of rcode, version 0. */
int dns_wr_opt(dns_wr_t *w, uint16_t payload, int rcode, bool do_bit);
/* Patches the counts and TC into the header; returns the message length. */
size_t dns_wr_finish(dns_wr_t *w);

/* ---- names */
/* Presentation ("a.b.c" or "a.b.c.") to lower-cased or case-kept wire form. No escapes: Kubernetes
 * names never need them. Returns the wire length, or -EINVAL (empty label, label > 63, name > 255). */
int dns_name_from_str(const char *s, bool lower, uint8_t out[DNS_NAME_MAX]);
/* Wire to presentation with a trailing dot, for tests and logs; bytes outside [!-~] and '.' inside
 * labels are written as \DDD. Returns the string length or -ENOSPC. */
int dns_name_to_str(const uint8_t *name, char *out, size_t cap);
/* case-insensitive equality of two uncompressed wire names */
bool dns_name_eq(const uint8_t *a, const uint8_t *b);
uint8_t dns_lower(uint8_t c);
