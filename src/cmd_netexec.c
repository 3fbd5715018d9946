/* portico netexec: a small test server in the spirit of Kubernetes' agnhost netexec, for Service
 * tests: HTTP /hostname, /clientip, /echo?msg=, /healthz, and a UDP port answering "hostname",
 * "echo X" and "clientip". The hostname is the pod's name: $HOSTNAME when set, else gethostname(). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cmd.h"
#include "core/log.h"

/* Limits on what a client controls: request line and headers, body, one datagram. */
#define NETEXEC_MAX_HEADERS 8192
#define NETEXEC_MAX_BODY    65536
#define NETEXEC_UDP_MAX     2048

typedef struct netexec {
	struct event_base *base;
	struct evhttp *http;
	struct event *udp_ev, *sig_term, *sig_int;
	int udp_fd;
	char hostname[256];
} netexec_t;

static void usage(FILE *f)
{
	fprintf(f, "usage: portico netexec [options]\n"
		   "  --http-port PORT   HTTP port: /hostname /clientip /echo?msg= /healthz (default 8080)\n"
		   "  --udp-port PORT    UDP port: \"hostname\", \"echo X\", \"clientip\" (default 8081)\n");
}

static int parse_port(const char *s, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 65535)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* "ip:port" as Go's http.Request.RemoteAddr prints it ("[ip]:port" for IPv6). */
static void format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=utf-8");
	if (b)
		evbuffer_add(b, text, len);
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

static void on_http(struct evhttp_request *req, void *arg)
{
	netexec_t *n = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;

	if (!path) {
		reply_text(req, 400, "Bad Request", "bad request\n", 12);
		return;
	}
	if (strcmp(path, "/hostname") == 0) {
		reply_text(req, 200, "OK", n->hostname, strlen(n->hostname));
	} else if (strcmp(path, "/clientip") == 0) {
		/* the peer as the TCP connection sees it, not a forwarded-for header */
		struct evhttp_connection *conn = evhttp_request_get_connection(req);
		const struct sockaddr *sa = conn ? evhttp_connection_get_addr(conn) : NULL;
		char buf[INET6_ADDRSTRLEN + 16];
		if (!sa) {
			reply_text(req, 500, "Internal Server Error", "no peer address\n", 16);
			return;
		}
		format_addr(sa, buf, sizeof(buf));
		reply_text(req, 200, "OK", buf, strlen(buf));
	} else if (strcmp(path, "/echo") == 0) {
		/* the decoded msg parameter, as Go's r.FormValue("msg"); empty when absent */
		struct evkeyvalq q = { 0 };
		const char *query = evhttp_uri_get_query(uri), *msg = NULL;
		TAILQ_INIT(&q);
		if (query && evhttp_parse_query_str(query, &q) < 0) {
			evhttp_clear_headers(&q);
			reply_text(req, 400, "Bad Request", "malformed query\n", 16);
			return;
		}
		msg = evhttp_find_header(&q, "msg");
		reply_text(req, 200, "OK", msg ? msg : "", msg ? strlen(msg) : 0);
		evhttp_clear_headers(&q);
	} else if (strcmp(path, "/healthz") == 0) {
		reply_text(req, 200, "OK", "ok", 2);
	} else {
		reply_text(req, 404, "Not Found", "404 page not found\n", 19);
	}
}

/* One datagram in, at most one out. Unknown commands get no answer (nothing of theirs is echoed). */
static void on_udp(evutil_socket_t fd, short what, void *arg)
{
	netexec_t *n = arg;
	char buf[NETEXEC_UDP_MAX + 1], out[NETEXEC_UDP_MAX + 64];
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	const char *reply = NULL;
	ssize_t len;
	size_t rlen = 0;

	len = recvfrom(fd, buf, NETEXEC_UDP_MAX, 0, (struct sockaddr *)&peer, &plen);
	if (len < 0)
		return;
	/* agnhost trims surrounding whitespace (a trailing newline from nc or echo) */
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	if (strcmp(buf, "hostname") == 0) {
		reply = n->hostname;
		rlen = strlen(reply);
	} else if (strncmp(buf, "echo ", 5) == 0) {
		reply = buf + 5;
		rlen = (size_t)len - 5;
	} else if (strcmp(buf, "clientip") == 0) {
		format_addr((struct sockaddr *)&peer, out, sizeof(out));
		reply = out;
		rlen = strlen(out);
	}
	if (reply)
		sendto(fd, reply, rlen, 0, (struct sockaddr *)&peer, plen);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	netexec_t *n = arg;

	log_info("netexec: signal %d: shutting down", (int)sig);
	event_base_loopexit(n->base, NULL);
}

static int udp_open(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* A listener on 0.0.0.0:port or, IPv6-only, on [::]:port (a dual-stack one would show IPv4
 * clients as ::ffff:a.b.c.d in /clientip). Bound by hand: evhttp_bind_socket() resolves with
 * AI_ADDRCONFIG, which fails for 0.0.0.0 in a namespace with IPv6 addresses only. -errno. */
static int tcp_open(int family, int port)
{
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT };
	struct sockaddr_in sa4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_ANY) };
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, err;
	struct sockaddr *sa = family == AF_INET6 ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa4;
	socklen_t len = family == AF_INET6 ? sizeof(sa6) : sizeof(sa4);

	if (fd < 0)
		return -errno;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) < 0 || listen(fd, 128) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int cmd_netexec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "http-port", required_argument, NULL, 'p' },
		{ "udp-port", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	netexec_t n = { .udp_fd = -1 };
	int http_port = 8080, udp_port = 8081, c, ret = 1;
	const char *env = getenv("HOSTNAME");

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_port(optarg, &http_port) < 0) {
				fprintf(stderr, "portico netexec: invalid --http-port '%s'\n", optarg);
				return 2;
			}
			break;
		case 'u':
			if (parse_port(optarg, &udp_port) < 0) {
				fprintf(stderr, "portico netexec: invalid --udp-port '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (env && *env)
		snprintf(n.hostname, sizeof(n.hostname), "%s", env);
	else if (gethostname(n.hostname, sizeof(n.hostname) - 1) < 0)
		snprintf(n.hostname, sizeof(n.hostname), "unknown");
	signal(SIGPIPE, SIG_IGN);

	n.base = event_base_new();
	if (!n.base)
		goto out;
	n.http = evhttp_new(n.base);
	if (!n.http)
		goto out;
	evhttp_set_max_headers_size(n.http, NETEXEC_MAX_HEADERS);
	evhttp_set_max_body_size(n.http, NETEXEC_MAX_BODY);
	evhttp_set_timeout(n.http, 30);
	evhttp_set_gencb(n.http, on_http, &n);
	{
		/* IPv4 and IPv6 (when the namespace has it): one of them is enough */
		int fams[2] = { AF_INET, AF_INET6 }, listening = 0, i, err = 0;
		for (i = 0; i < 2; i++) {
			int fd = tcp_open(fams[i], http_port);
			if (fd >= 0 && evhttp_accept_socket(n.http, fd) == 0) {
				listening++;
				continue;
			}
			err = fd < 0 ? -fd : EIO;
			if (fd >= 0)
				close(fd);
			log_debug("netexec: no IPv%d listener on TCP port %d: %s", i ? 6 : 4, http_port, strerror(err));
		}
		if (!listening) {
			log_err("netexec: cannot listen on TCP port %d: %s", http_port, strerror(err));
			goto out;
		}
	}
	n.udp_fd = udp_open(udp_port);
	if (n.udp_fd < 0) {
		log_err("netexec: cannot bind UDP port %d: %s", udp_port, strerror(-n.udp_fd));
		goto out;
	}
	n.udp_ev = event_new(n.base, n.udp_fd, EV_READ | EV_PERSIST, on_udp, &n);
	n.sig_term = evsignal_new(n.base, SIGTERM, on_signal, &n);
	n.sig_int = evsignal_new(n.base, SIGINT, on_signal, &n);
	if (!n.udp_ev || !n.sig_term || !n.sig_int)
		goto out;
	event_add(n.udp_ev, NULL);
	event_add(n.sig_term, NULL);
	event_add(n.sig_int, NULL);
	log_info("netexec: serving HTTP on port %d and UDP on port %d as %s", http_port, udp_port, n.hostname);
	event_base_dispatch(n.base);
	ret = 0;
out:
	if (n.udp_ev)
		event_free(n.udp_ev);
	if (n.sig_term)
		event_free(n.sig_term);
	if (n.sig_int)
		event_free(n.sig_int);
	if (n.udp_fd >= 0)
		close(n.udp_fd);
	if (n.http)
		evhttp_free(n.http);
	if (n.base)
		event_base_free(n.base);
	return ret;
}
