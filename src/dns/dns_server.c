/* The DNS server's workers. Each worker is a thread with its own epoll, its own UDP and TCP
 * sockets on every listen address (SO_REUSEPORT: the kernel spreads flows over workers), its own
 * upstream socket and pending-query table, and its own zone lock. Nothing is shared between
 * workers on the zone's hot path; a batch of up to BATCH datagrams costs one recvmmsg, one
 * uncontended mutex pair and one sendmmsg, and no allocation. Only the forwarder's cache is shared
 * (striped locks), so a name is asked upstream once whichever worker gets it.
 *
 * Forwarding is hardened against off-path forgery (Kaminsky; RFC 5452) as unbound's is: every query
 * sent upstream gets a socket of its own, connected to the upstream, so a fresh source port the
 * kernel picks at random, and a full 16-bit random id; a reply counts only when its id, its sender
 * and its question all match. A truncated answer (TC=1) is asked again over TCP (RFC 7766 s5). */
#include <errno.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "dns/dns_cache.h"
#include "dns/dns_msg.h"
#include "dns/dns_server.h"

#define BATCH        32
#define UDP_RX_MAX   4096 /* a larger query datagram is cut (MSG_TRUNC) and dropped */
#define TCP_Q_MAX    4096 /* a query over TCP longer than this closes the connection */
#define TCP_TX_HIGH  (256 * 1024) /* stop reading a connection whose replies pile up past this */
#define PEND_BITS    9
#define PEND_N       (1u << PEND_BITS)
#define UP_TIMEOUT_MS 2000
#define UP_TCP_MAX   16 /* per worker: TCP retries at once (64 KiB buffer each); more get the TC answer */
#define RND_N        64
#define T_HINFO      13

enum { EV_UDP = 1, EV_TCP_LISTEN, EV_UPSTREAM, EV_CONN, EV_WAKE };
#define EV_TAG(kind, idx) ((uint64_t)(kind) << 32 | (uint32_t)(idx))

const char *const dns_stats_qtype_name[DNS_STAT_QT_N] = { "A",     "AAAA", "SRV", "PTR",  "TXT",  "CNAME",
							  "SOA",   "NS",   "ANY", "AXFR", "IXFR", "other" };
const double dns_stats_bucket_le[DNS_STAT_BUCKETS] = { 0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032,
						       0.064,   0.128,  0.256, 0.512, 1.024, 2.048, 4.096, 8.192 };

/* Counters are written only by their worker and read by the metrics thread: relaxed atomics keep
 * that well-defined at the cost of a plain store on x86. */
#define STAT_ADD(w, f, v) __atomic_store_n(&(w)->st.f, (w)->st.f + (v), __ATOMIC_RELAXED)
#define STAT_INC(w, f)    STAT_ADD(w, f, 1)

struct conn {
	int fd;
	uint32_t gen; /* bumped on close: pending upstream answers for a closed conn are dropped */
	bool open, paused, eof;
	uint64_t last_ms;
	size_t rxlen;
	uint8_t *tx;
	size_t txoff, txlen, txcap;
	uint8_t rx[2 + TCP_Q_MAX];
};

struct pending {
	bool used, follow, probe;
	bool tcp, tsent; /* asking over TCP (after TC=1); the query is sent, the reply is being read */
	uint8_t up, tries;
	uint16_t id;
	uint32_t gen; /* bumped per upstream socket: an epoll event for an earlier one is stale */
	int fd;       /* this try's own upstream socket, or -1 */
	uint8_t *tbuf; /* over TCP: the query with its length, then the reply with its length */
	size_t toff, tlen;
	int ufd; /* the UDP socket the query came in on, or -1 for TCP */
	int conn;
	uint32_t conn_gen;
	uint64_t deadline_ms, start_ns;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	uint16_t fqtype;
	uint8_t fq[DNS_NAME_MAX]; /* the name asked upstream (lower-cased) */
	dns_query_t q;            /* the client's query */
};

struct worker {
	pthread_mutex_t lk; /* this worker's share of the zone lock */
	dns_server_t *s;
	int idx;
	pthread_t th;
	bool started;
	int ep, evfd;
	int udp[DNS_SERVER_MAX_ADDRS], tcp[DNS_SERVER_MAX_ADDRS];
	dns_stats_t st;
	dns_cache_t *cache; /* the server's, shared */
	struct pending *pend;
	uint32_t npend, pend_next;
	int ntcp; /* pending queries asking over TCP */
	uint16_t rnd[RND_N]; /* random query ids, refilled by getrandom */
	int nrnd;
	struct conn **conns;
	int maxconns, nconns;
	uint64_t next_sweep_ms;
	struct mmsghdr rmsg[BATCH], smsg[BATCH];
	struct iovec riov[BATCH], siov[BATCH];
	struct sockaddr_storage raddr[BATCH];
	uint8_t rbuf[BATCH][UDP_RX_MAX];
	uint8_t sbuf[BATCH][DNS_UDP_MAX];
	uint8_t big[2 + DNS_TCP_MAX];
	dns_query_t qs[BATCH]; /* a UDP batch's queries, parsed before any is answered */
	bool qok[BATCH];
} __attribute__((aligned(64)));

struct dns_server {
	dns_zone_t *zone;
	dns_server_config_t cfg;
	int nworkers;
	struct worker **w;
	dns_cache_t *cache;
	uint8_t probe[DNS_NAME_MAX]; /* loop probe name, lower-cased wire form */
	bool loop;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A random query id: from the kernel's CSPRNG, RND_N at a time (one syscall per 64 queries). */
static uint16_t rand16(struct worker *w)
{
	if (w->nrnd == 0) {
		if (getrandom(w->rnd, sizeof(w->rnd), GRND_NONBLOCK) != (ssize_t)sizeof(w->rnd)) {
			uint64_t x = now_ns() ^ (uint64_t)(uintptr_t)w; /* only before the pool is ready at boot */
			for (int i = 0; i < RND_N; i++) {
				x = x * 6364136223846793005ull + 1442695040888963407ull;
				w->rnd[i] = (uint16_t)(x >> 48);
			}
		}
		w->nrnd = RND_N;
	}
	return w->rnd[--w->nrnd];
}

static socklen_t sa_len(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static int qtype_index(uint16_t t)
{
	switch (t) {
	case DNS_T_A: return DNS_STAT_QT_A;
	case DNS_T_AAAA: return DNS_STAT_QT_AAAA;
	case DNS_T_SRV: return DNS_STAT_QT_SRV;
	case DNS_T_PTR: return DNS_STAT_QT_PTR;
	case DNS_T_TXT: return DNS_STAT_QT_TXT;
	case DNS_T_CNAME: return DNS_STAT_QT_CNAME;
	case DNS_T_SOA: return DNS_STAT_QT_SOA;
	case DNS_T_NS: return DNS_STAT_QT_NS;
	case DNS_T_ANY: return DNS_STAT_QT_ANY;
	case DNS_T_AXFR: return DNS_STAT_QT_AXFR;
	case DNS_T_IXFR: return DNS_STAT_QT_IXFR;
	default: return DNS_STAT_QT_OTHER;
	}
}

static void stat_latency(struct worker *w, uint64_t ns, uint64_t n)
{
	int b = 0;

	if (ns > 250000) {
		while (b < DNS_STAT_BUCKETS && ((uint64_t)1 << b) * 250000 < ns)
			b++;
	}
	STAT_ADD(w, lat_bucket[b], n);
	STAT_ADD(w, lat_sum_ns, ns * n);
	STAT_ADD(w, lat_count, n);
}

static void stat_reply(struct worker *w, const dns_query_t *q, const uint8_t *out, size_t n)
{
	int rc = q && q->rcode >= 16 ? q->rcode : (n >= 4 ? out[3] & 0xf : 0);

	STAT_INC(w, rcode[rc < DNS_STAT_RCODES - 1 ? rc : DNS_STAT_RCODES - 1]);
	if (n >= 4 && (out[2] & (DNS_F_TC >> 8)))
		STAT_INC(w, truncated);
}

/* ---- TCP connections */

static void conn_close(struct worker *w, int i)
{
	struct conn *c = w->conns[i];

	if (!c || !c->open)
		return;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->open = false;
	c->gen++;
	free(c->tx);
	c->tx = NULL;
	c->txoff = c->txlen = c->txcap = 0;
	c->rxlen = 0;
	w->nconns--;
}

static void conn_events(struct worker *w, int i)
{
	struct conn *c = w->conns[i];
	struct epoll_event ev = { .data.u64 = EV_TAG(EV_CONN, i) };

	ev.events = (c->txlen > c->txoff ? EPOLLOUT : 0) | (c->paused || c->eof ? 0 : EPOLLIN);
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* queues a reply (2-octet length and msg) and writes what the socket takes */
static void conn_send(struct worker *w, int i, const uint8_t *msg, size_t n)
{
	struct conn *c = w->conns[i];

	if (c->txlen + 2 + n > c->txcap) {
		if (c->txoff) {
			memmove(c->tx, c->tx + c->txoff, c->txlen - c->txoff);
			c->txlen -= c->txoff;
			c->txoff = 0;
		}
		if (c->txlen + 2 + n > c->txcap) {
			size_t cap = c->txcap ? c->txcap : 4096;
			while (cap < c->txlen + 2 + n)
				cap *= 2;
			uint8_t *nb = realloc(c->tx, cap);
			if (!nb) {
				conn_close(w, i);
				return;
			}
			c->tx = nb;
			c->txcap = cap;
		}
	}
	c->tx[c->txlen] = (uint8_t)(n >> 8);
	c->tx[c->txlen + 1] = (uint8_t)n;
	memcpy(c->tx + c->txlen + 2, msg, n);
	c->txlen += 2 + n;
}

static bool conn_flush(struct worker *w, int i)
{
	struct conn *c = w->conns[i];

	while (c->txoff < c->txlen) {
		ssize_t k = send(c->fd, c->tx + c->txoff, c->txlen - c->txoff, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(w, i);
			return false;
		}
		c->txoff += (size_t)k;
	}
	if (c->txoff == c->txlen)
		c->txoff = c->txlen = 0;
	return true;
}

/* ---- forwarding */

static uint16_t pend_qclass(const struct pending *p)
{
	return p->follow || p->probe ? DNS_C_IN : p->q.qclass;
}

/* closes this try's upstream socket (which takes it out of epoll) and the TCP buffer */
static void up_close(struct worker *w, struct pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->tcp) {
		free(p->tbuf);
		p->tbuf = NULL;
		p->tcp = false;
		w->ntcp--;
	}
}

/* Asks p's upstream, over UDP or TCP, from a socket of its own: connect() binds it to a fresh
 * ephemeral port, which Linux chooses at random (RFC 6056), and has the kernel drop datagrams from
 * any other sender. A failure here is counted and left to the deadline, which tries again. */
static void up_send(struct worker *w, struct pending *p, bool tcp)
{
	const struct sockaddr_storage *ua = &w->s->cfg.upstream[p->up];
	uint8_t q[2 + DNS_HDR_LEN + DNS_NAME_MAX + 4 + 11];
	struct epoll_event ev;
	size_t n;

	up_close(w, p);
	p->deadline_ms = now_ns() / 1000000 + UP_TIMEOUT_MS;
	p->id = rand16(w);
	p->gen++;
	n = dns_msg_query(q + 2, p->id, p->fq, p->fqtype, pend_qclass(p), !p->probe && p->q.edns_do);
	if (tcp) {
		if (!(p->tbuf = malloc(2 + DNS_TCP_MAX)))
			goto fail;
		p->tcp = true;
		w->ntcp++;
		p->tsent = false;
		q[0] = (uint8_t)(n >> 8);
		q[1] = (uint8_t)n;
		memcpy(p->tbuf, q, 2 + n);
		p->toff = 0;
		p->tlen = 2 + n;
	}
	p->fd = socket(ua->ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		goto fail;
	if (connect(p->fd, (const struct sockaddr *)ua, sa_len(ua)) < 0 && errno != EINPROGRESS)
		goto fail;
	ev.events = tcp ? EPOLLOUT : EPOLLIN;
	ev.data.u64 = EV_TAG(EV_UPSTREAM, (uint32_t)(p - w->pend) | p->gen << PEND_BITS);
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, p->fd, &ev) < 0)
		goto fail;
	if (!tcp && send(p->fd, q + 2, n, MSG_DONTWAIT) < 0)
		goto fail;
	return;
fail:
	STAT_INC(w, upstream_errors);
	up_close(w, p);
}

static struct pending *pend_get(struct worker *w)
{
	for (uint32_t k = 0; k < PEND_N; k++) {
		struct pending *p = &w->pend[(w->pend_next + k) & (PEND_N - 1)];
		if (!p->used) {
			w->pend_next = (uint32_t)(p - w->pend) + 1;
			uint32_t gen = p->gen;
			memset(p, 0, offsetof(struct pending, fq));
			p->gen = gen;
			p->used = true;
			p->fd = -1;
			p->ufd = -1;
			p->conn = -1;
			w->npend++;
			return p;
		}
	}
	return NULL;
}

static void pend_put(struct worker *w, struct pending *p)
{
	up_close(w, p);
	p->used = false;
	w->npend--;
}

/* Sends q's question (or the ExternalName target) upstream; the client gets its reply when the
 * answer comes. false when the table is full. */
static bool forward(struct worker *w, const dns_query_t *q, const uint8_t *name, size_t nlen, bool follow, int ufd,
		    const struct sockaddr_storage *peer, socklen_t plen, int conn)
{
	struct pending *p = pend_get(w);

	if (!p)
		return false;
	for (size_t i = 0; i < nlen; i++)
		p->fq[i] = dns_lower(name[i]);
	p->fqtype = q->qtype;
	p->follow = follow;
	p->q = *q;
	p->ufd = ufd;
	if (peer) {
		memcpy(&p->peer, peer, plen);
		p->peerlen = plen;
	}
	p->conn = conn;
	if (conn >= 0)
		p->conn_gen = w->conns[conn]->gen;
	p->up = (uint8_t)(w->idx % (int)w->s->cfg.nupstream);
	p->start_ns = now_ns();
	STAT_INC(w, forwarded);
	up_send(w, p, false);
	return true;
}

static void pend_deliver(struct worker *w, struct pending *p, const uint8_t *out, size_t n)
{
	stat_reply(w, &p->q, out, n);
	stat_latency(w, now_ns() - p->start_ns, 1);
	if (p->conn >= 0) {
		struct conn *c = w->conns[p->conn];
		if (c && c->open && c->gen == p->conn_gen) {
			conn_send(w, p->conn, out, n);
			if (c->open && conn_flush(w, p->conn))
				conn_events(w, p->conn);
		}
	} else if (sendto(p->ufd, out, n, MSG_DONTWAIT, (const struct sockaddr *)&p->peer, p->peerlen) < 0) {
		STAT_INC(w, dropped);
	}
}

static void pend_fail(struct worker *w, struct pending *p, int rcode)
{
	size_t n;

	if (!p->probe && dns_reply_error(&p->q, rcode, w->big, DNS_TCP_MAX, &n) == 0)
		pend_deliver(w, p, w->big, n);
	pend_put(w, p);
}

/* The client's reply for an ExternalName: the zone's CNAME answer and the target's records from
 * upstream after it. */
static int follow_reply(struct worker *w, struct pending *p, const uint8_t *msg, size_t len, size_t *ret_len)
{
	dns_server_t *s = w->s;
	dns_query_t *q = &p->q;
	dns_wr_t wr;
	size_t n;
	int r;

	pthread_mutex_lock(&w->lk);
	r = dns_zone_answer(s->zone, q, w->big, DNS_TCP_MAX, &n);
	pthread_mutex_unlock(&w->lk);
	if (r != DNS_ZONE_ANSWERED)
		return -ENOENT;
	if ((w->big[3] & 0xf) != DNS_RCODE_NOERROR || (w->big[2] & (DNS_F_TC >> 8)))
		goto done;
	dns_wr_init(&wr, w->big, dns_reply_limit(q, DNS_TCP_MAX));
	wr.len = n;
	wr.count[0] = (uint16_t)(w->big[6] << 8 | w->big[7]);
	wr.count[1] = (uint16_t)(w->big[8] << 8 | w->big[9]);
	wr.count[2] = (uint16_t)(w->big[10] << 8 | w->big[11]);
	if (q->edns) { /* the zone's OPT is last: take it off and put it back after the records */
		wr.len -= 11;
		wr.count[2]--;
		wr.reserve = 11;
	}
	dns_msg_append_answers(&wr, msg, len);
	if (q->edns)
		dns_wr_opt(&wr, DNS_UDP_MAX, 0, q->edns_do);
	n = dns_wr_finish(&wr);
done:
	*ret_len = n;
	return 0;
}

/* This try failed (no answer in time, refused, a broken TCP answer): the next upstream, or SERVFAIL
 * once every upstream has had two chances. */
static void pend_retry(struct worker *w, struct pending *p)
{
	if (!p->probe && ++p->tries < 2 * w->s->cfg.nupstream) {
		p->up = (uint8_t)((p->up + 1) % w->s->cfg.nupstream);
		up_send(w, p, false);
	} else {
		pend_fail(w, p, DNS_RCODE_SERVFAIL);
	}
}

/* A message from p's upstream socket (from: its sender, NULL over TCP). true when p is done with it
 * (answered, or asking again over TCP); false when it was not our answer and p waits on. */
static bool up_answer(struct worker *w, struct pending *p, uint8_t *msg, size_t len,
		      const struct sockaddr_storage *from)
{
	dns_msg_info_t info;
	uint64_t now_ms = now_ns() / 1000000;
	size_t n;
	int r;

	r = dns_msg_match(msg, len, from, &w->s->cfg.upstream[p->up], p->id, p->fq, p->fqtype, pend_qclass(p), &info);
	if (r < 0) {
		if (r == -EBADMSG)
			STAT_INC(w, upstream_errors); /* our id, not our question: a forgery or garbage */
		return false;
	}
	if (info.tc && !p->tcp && !p->probe && w->ntcp < UP_TCP_MAX) {
		/* RFC 7766 s5 (RFC 1035 s4.2.1): the whole answer is asked for over TCP, same upstream */
		STAT_INC(w, upstream_tcp);
		up_send(w, p, true);
		return true;
	}
	if (p->probe) {
		pend_put(w, p);
		return true;
	}
	if (p->follow) {
		if (follow_reply(w, p, msg, len, &n) == 0)
			pend_deliver(w, p, w->big, n);
		pend_put(w, p);
		return true;
	}
	len = dns_msg_strip(msg, &info);
	dns_cache_put(w->cache, &p->q, msg, len, info.ttl, info.ancount == 0, now_ms);
	/* a UDP client gets what fits its size, with TC (dns_msg_reply); a TCP client all of it */
	if (dns_msg_reply(&p->q, msg, len, 0, w->big, DNS_TCP_MAX, &n) == 0)
		pend_deliver(w, p, w->big, n);
	pend_put(w, p);
	return true;
}

/* p's TCP connection: writes the query, then reads one length-prefixed reply (RFC 7766 s8). */
static void up_tcp(struct worker *w, struct pending *p, uint32_t events)
{
	struct epoll_event ev;
	ssize_t k;

	if (!p->tsent) {
		while (p->toff < p->tlen) {
			k = send(p->fd, p->tbuf + p->toff, p->tlen - p->toff, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return;
				goto fail;
			}
			p->toff += (size_t)k;
		}
		p->tsent = true;
		p->tlen = 0;
		ev.events = EPOLLIN;
		ev.data.u64 = EV_TAG(EV_UPSTREAM, (uint32_t)(p - w->pend) | p->gen << PEND_BITS);
		if (epoll_ctl(w->ep, EPOLL_CTL_MOD, p->fd, &ev) < 0)
			goto fail;
		return;
	}
	for (;;) {
		size_t want = p->tlen < 2 ? 2 : 2 + ((size_t)p->tbuf[0] << 8 | p->tbuf[1]);
		if (want > 2 && want < 2 + DNS_HDR_LEN)
			goto fail;
		k = recv(p->fd, p->tbuf + p->tlen, want - p->tlen, MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (k <= 0)
			goto fail; /* closed before the whole answer */
		p->tlen += (size_t)k;
		if (want > 2 && p->tlen == want) {
			if (up_answer(w, p, p->tbuf + 2, want - 2, NULL))
				return;
			goto fail; /* one query per connection: a reply that is not its answer ends the try */
		}
	}
fail:
	STAT_INC(w, upstream_errors);
	pend_retry(w, p);
}

static void on_upstream(struct worker *w, uint32_t tag, uint32_t events)
{
	struct pending *p = &w->pend[tag & (PEND_N - 1)];
	struct sockaddr_storage from;

	if (!p->used || p->fd < 0 || (p->gen & (UINT32_MAX >> PEND_BITS)) != tag >> PEND_BITS)
		return; /* stale: the try this event was for has ended */
	if (p->tcp) {
		up_tcp(w, p, events);
		return;
	}
	for (int i = 0; i < 8; i++) {
		socklen_t fl = sizeof(from);
		ssize_t k = recvfrom(p->fd, w->rbuf[0], UDP_RX_MAX, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fl);
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* an ICMP error on the connected socket (ECONNREFUSED): no server there, next one now */
			STAT_INC(w, upstream_errors);
			pend_retry(w, p);
			return;
		}
		if ((size_t)k > UDP_RX_MAX)
			continue; /* cut (MSG_TRUNC gives the real length): larger than we asked for */
		if (up_answer(w, p, w->rbuf[0], (size_t)k, &from))
			return;
	}
}

static void pend_sweep(struct worker *w, uint64_t now_ms)
{
	for (uint32_t i = 0; i < PEND_N && w->npend; i++) {
		struct pending *p = &w->pend[i];
		if (!p->used || p->deadline_ms > now_ms)
			continue;
		STAT_INC(w, upstream_timeouts);
		pend_retry(w, p);
	}
}

/* ---- queries */

/* Answers one parsed query into out; returns the reply length, or 0 when nothing is to be sent now
 * (a dropped packet, or one forwarded upstream). The caller holds w->lk. */
static size_t answer_query(struct worker *w, const dns_query_t *q, bool tcp, int ufd,
			   const struct sockaddr_storage *peer, socklen_t plen, int conn, uint8_t *out, size_t cap,
			   uint64_t now_ms)
{
	dns_server_t *s = w->s;
	uint8_t target[DNS_NAME_MAX];
	size_t n = 0;
	int r, tlen;

	if (tcp)
		STAT_INC(w, queries_tcp);
	else
		STAT_INC(w, queries_udp);
	if (q->has_q)
		STAT_INC(w, qtype[qtype_index(q->qtype)]);
	if (q->has_q && !q->rcode && s->cfg.nupstream && dns_name_eq(q->qname_lc, s->probe)) {
		/* our own probe came back: an upstream forwards to us (CoreDNS's loop plugin) */
		STAT_INC(w, loops);
		if (!__atomic_exchange_n(&s->loop, true, __ATOMIC_RELAXED))
			log_err("dns: forwarding loop: an upstream resolver sends our queries back to us; "
				"forwarding is off (check --dns-upstream or /etc/resolv.conf)");
		r = dns_reply_error(q, DNS_RCODE_SERVFAIL, out, cap, &n);
		goto reply;
	}
	r = dns_zone_answer(s->zone, q, out, cap, &n);
	if (r == DNS_ZONE_ANSWERED) {
		if (s->cfg.nupstream && !__atomic_load_n(&s->loop, __ATOMIC_RELAXED) && (out[3] & 0xf) == 0 &&
		    (tlen = dns_zone_cname_target(s->zone, q, target)) > 0 &&
		    forward(w, q, target, (size_t)tlen, true, ufd, peer, plen, conn))
			return 0;
		goto reply;
	}
	if (r != DNS_ZONE_NOTAUTH) {
		STAT_INC(w, dropped);
		return 0;
	}
	if (!s->cfg.nupstream) {
		r = dns_reply_error(q, DNS_RCODE_REFUSED, out, cap, &n);
		goto reply;
	}
	if (__atomic_load_n(&s->loop, __ATOMIC_RELAXED)) {
		r = dns_reply_error(q, DNS_RCODE_SERVFAIL, out, cap, &n);
		goto reply;
	}
	if (dns_cache_get(w->cache, q, now_ms, out, cap, &n) == 1) {
		STAT_INC(w, cache_hits);
		r = 0;
		goto reply;
	}
	STAT_INC(w, cache_misses);
	if (forward(w, q, q->qname_lc, q->qname_len, false, ufd, peer, plen, conn))
		return 0;
	r = dns_reply_error(q, DNS_RCODE_SERVFAIL, out, cap, &n);
reply:
	if (r < 0) {
		STAT_INC(w, dropped);
		return 0;
	}
	stat_reply(w, q, out, n);
	return n;
}

static size_t handle_query(struct worker *w, const uint8_t *pkt, size_t len, bool tcp, int ufd,
			   const struct sockaddr_storage *peer, socklen_t plen, int conn, uint8_t *out, size_t cap,
			   uint64_t now_ms)
{
	dns_query_t q;

	if (dns_query_parse(pkt, len, tcp, &q) < 0) {
		STAT_INC(w, dropped);
		return 0;
	}
	return answer_query(w, &q, tcp, ufd, peer, plen, conn, out, cap, now_ms);
}

static void on_udp(struct worker *w, int fd)
{
	for (int round = 0; round < 8; round++) {
		int k = recvmmsg(fd, w->rmsg, BATCH, MSG_DONTWAIT, NULL), ns = 0;
		if (k <= 0)
			return;
		uint64_t t0 = now_ns(), now_ms = t0 / 1000000;
		for (int i = 0; i < k; i++) {
			w->qok[i] = !(w->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) &&
				    dns_query_parse(w->rbuf[i], w->rmsg[i].msg_len, false, &w->qs[i]) == 0;
			if (!w->qok[i])
				STAT_INC(w, dropped);
		}
		pthread_mutex_lock(&w->lk);
		/* the batch's name lookups miss the cache one after another unless their loads are
		 * started together: buckets first, then the entries they point to */
		for (int stage = 0; stage < 2 && k > 1; stage++)
			for (int i = 0; i < k; i++)
				if (w->qok[i])
					dns_zone_prefetch(w->s->zone, &w->qs[i], stage);
		for (int i = 0; i < k; i++) {
			size_t n = 0;
			if (w->qok[i])
				n = answer_query(w, &w->qs[i], false, fd, &w->raddr[i], w->rmsg[i].msg_hdr.msg_namelen,
						 -1, w->sbuf[ns], DNS_UDP_MAX, now_ms);
			if (n == 0)
				continue;
			w->siov[ns].iov_len = n;
			w->smsg[ns].msg_hdr.msg_name = &w->raddr[i];
			w->smsg[ns].msg_hdr.msg_namelen = w->rmsg[i].msg_hdr.msg_namelen;
			ns++;
		}
		pthread_mutex_unlock(&w->lk);
		for (int sent = 0; sent < ns;) {
			int m = sendmmsg(fd, w->smsg + sent, (unsigned)(ns - sent), MSG_DONTWAIT);
			if (m <= 0) {
				STAT_ADD(w, dropped, (uint64_t)(ns - sent));
				break;
			}
			sent += m;
		}
		if (ns)
			stat_latency(w, now_ns() - t0, (uint64_t)ns);
		for (int i = 0; i < k; i++) /* recvmmsg shrank them */
			w->rmsg[i].msg_hdr.msg_namelen = sizeof(w->raddr[i]);
		if (k < BATCH)
			return;
	}
}

static void on_accept(struct worker *w, int lfd)
{
	dns_server_t *s = w->s;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), slot = -1, one = 1;
		if (fd < 0)
			return;
		for (int i = 0; i < w->maxconns && slot < 0; i++)
			if (!w->conns[i] || !w->conns[i]->open)
				slot = i;
		if (slot < 0) { /* the connection limit (RFC 7766 s6.2.2): refuse rather than starve */
			STAT_INC(w, tcp_refused);
			close(fd);
			continue;
		}
		if (!w->conns[slot] && !(w->conns[slot] = calloc(1, sizeof(struct conn)))) {
			close(fd);
			continue;
		}
		struct conn *c = w->conns[slot];
		c->fd = fd;
		c->open = true;
		c->paused = c->eof = false;
		c->rxlen = 0;
		c->last_ms = now_ns() / 1000000;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EV_TAG(EV_CONN, slot) };
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			c->open = false;
			continue;
		}
		w->nconns++;
		STAT_INC(w, tcp_conns);
		(void)s;
	}
}

/* answers every complete message in the connection's buffer, in order (pipelining, RFC 7766 s6.2.1.1) */
static void conn_process(struct worker *w, int i)
{
	struct conn *c = w->conns[i];
	size_t off = 0;
	uint64_t now_ms = now_ns() / 1000000;

	while (c->open && c->rxlen - off >= 2) {
		size_t mlen = (size_t)c->rx[off] << 8 | c->rx[off + 1];
		if (mlen < DNS_HDR_LEN || mlen > TCP_Q_MAX) {
			conn_close(w, i);
			return;
		}
		if (c->rxlen - off < 2 + mlen)
			break;
		if (c->txlen - c->txoff > TCP_TX_HIGH) {
			c->paused = true;
			break;
		}
		uint64_t t0 = now_ns();
		pthread_mutex_lock(&w->lk);
		size_t n = handle_query(w, c->rx + off + 2, mlen, true, -1, NULL, 0, i, w->big, DNS_TCP_MAX, now_ms);
		pthread_mutex_unlock(&w->lk);
		off += 2 + mlen;
		if (n) {
			conn_send(w, i, w->big, n);
			stat_latency(w, now_ns() - t0, 1);
		}
	}
	if (!c->open)
		return;
	if (off) {
		memmove(c->rx, c->rx + off, c->rxlen - off);
		c->rxlen -= off;
	}
	if (conn_flush(w, i))
		conn_events(w, i);
}

static void on_conn(struct worker *w, int i, uint32_t events)
{
	struct conn *c = w->conns[i];

	if (!c || !c->open)
		return;
	c->last_ms = now_ns() / 1000000;
	if (events & EPOLLOUT) {
		if (!conn_flush(w, i))
			return;
		if (c->paused && c->txlen - c->txoff <= TCP_TX_HIGH / 2) {
			c->paused = false;
			conn_process(w, i);
			if (!c->open)
				return;
		}
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->paused && !c->eof) {
		for (;;) {
			if (c->rxlen == sizeof(c->rx))
				break;
			ssize_t k = recv(c->fd, c->rx + c->rxlen, sizeof(c->rx) - c->rxlen, MSG_DONTWAIT);
			if (k == 0) {
				c->eof = true;
				break;
			}
			if (k < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				conn_close(w, i);
				return;
			}
			c->rxlen += (size_t)k;
			conn_process(w, i);
			if (!c->open || c->paused)
				return;
		}
	}
	if (c->eof && c->txlen == c->txoff) {
		conn_close(w, i); /* the client is done and has every answer it asked for */
		return;
	}
	conn_events(w, i);
}

static void sweep(struct worker *w, uint64_t now_ms)
{
	int idle = w->s->cfg.tcp_idle_ms;

	for (int i = 0; i < w->maxconns; i++) {
		struct conn *c = w->conns[i];
		if (c && c->open && now_ms - c->last_ms > (uint64_t)idle)
			conn_close(w, i); /* RFC 7766 s6.2.3: the server may close idle connections */
	}
	if (w->npend)
		pend_sweep(w, now_ms);
}

static void send_probe(struct worker *w)
{
	dns_server_t *s = w->s;

	for (size_t u = 0; u < s->cfg.nupstream; u++) {
		struct pending *p = pend_get(w);
		if (!p)
			return;
		p->probe = true;
		memcpy(p->fq, s->probe, sizeof(s->probe));
		p->fqtype = T_HINFO;
		p->up = (uint8_t)u;
		p->tries = (uint8_t)(2 * s->cfg.nupstream); /* no retries */
		p->start_ns = now_ns();
		up_send(w, p, false);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];

	if (w->idx == 0 && w->s->cfg.nupstream)
		send_probe(w);
	for (;;) {
		int n = epoll_wait(w->ep, evs, 64, w->npend ? 100 : 1000);
		uint64_t now_ms = now_ns() / 1000000;
		for (int i = 0; i < n; i++) {
			uint32_t kind = (uint32_t)(evs[i].data.u64 >> 32), idx = (uint32_t)evs[i].data.u64;
			switch (kind) {
			case EV_UDP:
				on_udp(w, w->udp[idx]);
				break;
			case EV_TCP_LISTEN:
				on_accept(w, w->tcp[idx]);
				break;
			case EV_UPSTREAM:
				on_upstream(w, idx, evs[i].events);
				break;
			case EV_CONN:
				on_conn(w, (int)idx, evs[i].events);
				break;
			case EV_WAKE:
				return NULL;
			}
		}
		if (now_ms >= w->next_sweep_ms) {
			sweep(w, now_ms);
			w->next_sweep_ms = now_ms + (w->npend ? 100 : 1000);
		}
	}
	return NULL;
}

/* ---- setup */

static int open_sock(const struct sockaddr_storage *a, int type)
{
	int fd = socket(a->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, rc;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* the cluster DNS address may not be on an interface yet (or ever, in tests) */
	if (a->ss_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)a, sa_len(a)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 1024) < 0)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static void worker_free(struct worker *w)
{
	if (!w)
		return;
	for (int i = 0; i < DNS_SERVER_MAX_ADDRS; i++) {
		if (w->udp[i] >= 0)
			close(w->udp[i]);
		if (w->tcp[i] >= 0)
			close(w->tcp[i]);
	}
	for (int i = 0; w->conns && i < w->maxconns; i++) {
		if (w->conns[i] && w->conns[i]->open) {
			close(w->conns[i]->fd);
			free(w->conns[i]->tx);
		}
		free(w->conns[i]);
	}
	free(w->conns);
	for (uint32_t i = 0; w->pend && i < PEND_N; i++)
		if (w->pend[i].used)
			up_close(w, &w->pend[i]);
	if (w->evfd >= 0)
		close(w->evfd);
	if (w->ep >= 0)
		close(w->ep);
	free(w->pend);
	pthread_mutex_destroy(&w->lk);
	free(w);
}

static int ep_add(struct worker *w, int fd, int kind, int idx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EV_TAG(kind, idx) };

	return epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int worker_new(dns_server_t *s, int idx, struct worker **ret)
{
	struct worker *w = aligned_alloc(64, (sizeof(*w) + 63) & ~(size_t)63);
	const dns_server_config_t *cfg = &s->cfg;
	int rc = -ENOMEM;

	if (!w)
		return -ENOMEM;
	memset(w, 0, offsetof(struct worker, rbuf)); /* the buffers are written before they are read */
	pthread_mutex_init(&w->lk, NULL);
	w->s = s;
	w->idx = idx;
	w->ep = w->evfd = -1;
	for (int i = 0; i < DNS_SERVER_MAX_ADDRS; i++)
		w->udp[i] = w->tcp[i] = -1;
	w->maxconns = (cfg->tcp_max_conns + s->nworkers - 1) / s->nworkers;
	w->conns = calloc((size_t)w->maxconns, sizeof(*w->conns));
	w->pend = calloc(PEND_N, sizeof(*w->pend));
	w->cache = s->cache;
	if (!w->conns || !w->pend)
		goto fail;
	for (int i = 0; i < BATCH; i++) {
		w->riov[i].iov_base = w->rbuf[i];
		w->riov[i].iov_len = UDP_RX_MAX;
		w->rmsg[i].msg_hdr.msg_iov = &w->riov[i];
		w->rmsg[i].msg_hdr.msg_iovlen = 1;
		w->rmsg[i].msg_hdr.msg_name = &w->raddr[i];
		w->rmsg[i].msg_hdr.msg_namelen = sizeof(w->raddr[i]);
		w->siov[i].iov_base = w->sbuf[i];
		w->smsg[i].msg_hdr.msg_iov = &w->siov[i];
		w->smsg[i].msg_hdr.msg_iovlen = 1;
	}
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || (w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = ep_add(w, w->evfd, EV_WAKE, 0)) < 0)
		goto fail;
	for (size_t i = 0; i < cfg->nlisten; i++) {
		if ((w->udp[i] = rc = open_sock(&cfg->listen[i], SOCK_DGRAM)) < 0 ||
		    (w->tcp[i] = rc = open_sock(&cfg->listen[i], SOCK_STREAM)) < 0)
			goto fail;
		int sz = 4 << 20;
		setsockopt(w->udp[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if ((rc = ep_add(w, w->udp[i], EV_UDP, (int)i)) < 0 || (rc = ep_add(w, w->tcp[i], EV_TCP_LISTEN, (int)i)) < 0)
			goto fail;
	}
	*ret = w;
	return 0;
fail:
	worker_free(w);
	return rc;
}

static int usable_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

int dns_server_start(dns_zone_t *z, const dns_server_config_t *cfg, dns_server_t **ret)
{
	dns_server_t *s = calloc(1, sizeof(*s));
	char probe[80];
	uint64_t r[2] = { 0, 0 };
	int rc = -ENOMEM;

	if (!s)
		return -ENOMEM;
	if (cfg->nlisten == 0 || cfg->nlisten > DNS_SERVER_MAX_ADDRS || cfg->nupstream > DNS_SERVER_MAX_UPSTREAMS) {
		free(s);
		return -EINVAL;
	}
	s->zone = z;
	s->cfg = *cfg;
	if (!s->cfg.tcp_idle_ms)
		s->cfg.tcp_idle_ms = 10000;
	if (!s->cfg.tcp_max_conns)
		s->cfg.tcp_max_conns = 1024;
	if (!s->cfg.cache_size)
		s->cfg.cache_size = 8192;
	if (!s->cfg.cache_max_ttl)
		s->cfg.cache_max_ttl = 3600;
	if (!s->cfg.cache_max_neg_ttl)
		s->cfg.cache_max_neg_ttl = 1800;
	s->nworkers = cfg->workers > 0 ? cfg->workers : usable_cpus();
	/* every query in flight upstream holds a socket (PEND_N per worker): lift the soft fd limit
	 * to the hard one, as a daemon that never uses select() may, so a burst of misses to a slow
	 * upstream cannot run the process out of descriptors at 1024 */
	struct rlimit rl;
	if (cfg->nupstream && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r[0] = now_ns(), r[1] = (uint64_t)(uintptr_t)s;
	snprintf(probe, sizeof(probe), "%016llx.%016llx.portico-loop-probe", (unsigned long long)r[0],
		 (unsigned long long)r[1]);
	dns_name_from_str(probe, true, s->probe);
	s->w = calloc((size_t)s->nworkers, sizeof(*s->w));
	s->cache = dns_cache_new(s->cfg.cache_size, s->cfg.cache_max_ttl, s->cfg.cache_max_neg_ttl);
	if (!s->w || !s->cache)
		goto fail;
	for (int i = 0; i < s->nworkers; i++)
		if ((rc = worker_new(s, i, &s->w[i])) < 0)
			goto fail;
	for (int i = 0; i < s->nworkers; i++) {
		if ((rc = -pthread_create(&s->w[i]->th, NULL, worker_main, s->w[i])) < 0)
			goto fail;
		s->w[i]->started = true;
		char name[16];
		snprintf(name, sizeof(name), "dns-%d", i);
		pthread_setname_np(s->w[i]->th, name);
	}
	*ret = s;
	return 0;
fail:
	dns_server_free(s);
	return rc;
}

void dns_server_free(dns_server_t *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	for (int i = 0; s->w && i < s->nworkers; i++)
		if (s->w[i] && s->w[i]->started && write(s->w[i]->evfd, &one, sizeof(one)) < 0)
			log_warn("dns: cannot wake worker %d", i);
	for (int i = 0; s->w && i < s->nworkers; i++) {
		if (s->w[i] && s->w[i]->started)
			pthread_join(s->w[i]->th, NULL);
		worker_free(s->w[i]);
	}
	free(s->w);
	dns_cache_free(s->cache);
	free(s);
}

void dns_server_zone_lock(dns_server_t *s)
{
	for (int i = 0; i < s->nworkers; i++)
		pthread_mutex_lock(&s->w[i]->lk);
}

void dns_server_zone_unlock(dns_server_t *s)
{
	for (int i = s->nworkers - 1; i >= 0; i--)
		pthread_mutex_unlock(&s->w[i]->lk);
}

void dns_server_stats(dns_server_t *s, dns_stats_t *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (int i = 0; i < s->nworkers; i++) {
		const uint64_t *src = (const uint64_t *)&s->w[i]->st;
		uint64_t *dst = (uint64_t *)ret;
		for (size_t k = 0; k < sizeof(*ret) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}

int dns_server_workers(const dns_server_t *s)
{
	return s->nworkers;
}

bool dns_server_loop_detected(const dns_server_t *s)
{
	return __atomic_load_n(&s->loop, __ATOMIC_RELAXED);
}
