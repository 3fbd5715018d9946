/* Probes (agent/probe.c): the spec parser with upstream's defaults, named ports and invalid
 * probes, the result bookkeeping with success and failure thresholds, and the worker's httpGet
 * probes (HTTP and HTTPS) against local servers on the loopback: status codes, headers, redirects,
 * refused connections, a plain HTTP server behind an HTTPS probe, and the timeout. */
#include "agent/probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "core/pki.h"
#include "harness.h"

static json_t *ctr(const char *probe_json)
{
	json_error_t e;
	json_t *c = json_pack("{s:s, s:[{s:s, s:i}]}", "name", "web", "ports", "name", "http", "containerPort", 8080);
	json_t *p = json_loads(probe_json, 0, &e);
	json_object_set_new(c, "readinessProbe", p);
	json_object_set(c, "livenessProbe", p);
	return c;
}

static void test_parse_defaults(void)
{
	json_t *c = ctr("{\"httpGet\": {\"port\": \"http\", \"path\": \"healthz\"}}");
	probe_spec_t s;
	char err[256] = "";

	CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), 0);
	CHECK_INT(s.handler, PROBE_HTTP);
	CHECK_INT(s.port, 8080);
	CHECK_STR(s.path, "/healthz");
	CHECK_INT(s.period, 10);
	CHECK_INT(s.timeout, 1);
	CHECK_INT(s.success_threshold, 1);
	CHECK_INT(s.failure_threshold, 3);
	CHECK_INT(s.initial_delay, 0);
	probe_spec_clear(&s);
	CHECK_INT(probe_spec_parse(c, PROBE_STARTUP, &s, err, sizeof(err)), -ENOENT);
	json_decref(c);

	c = ctr("{\"exec\": {\"command\": [\"cat\", \"/tmp/ok\"]}, \"periodSeconds\": 2, \"failureThreshold\": 1}");
	CHECK_INT(probe_spec_parse(c, PROBE_LIVENESS, &s, err, sizeof(err)), 0);
	CHECK_INT(s.handler, PROBE_EXEC);
	CHECK_STR(s.argv[0], "cat");
	CHECK_STR(s.argv[1], "/tmp/ok");
	CHECK(s.argv[2] == NULL);
	CHECK_INT(s.period, 2);
	probe_spec_clear(&s);
	json_decref(c);

	c = ctr("{\"tcpSocket\": {\"port\": 9000}}");
	CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), 0);
	CHECK_INT(s.handler, PROBE_TCP);
	CHECK_INT(s.port, 9000);
	probe_spec_clear(&s);
	json_decref(c);
}

static void test_parse_invalid(void)
{
	static const char *bad[] = {
		"{}",
		"{\"httpGet\": {\"port\": 80}, \"tcpSocket\": {\"port\": 80}}",
		"{\"httpGet\": {\"port\": \"nope\"}}",
		"{\"httpGet\": {\"port\": 70000}}",
		"{\"tcpSocket\": {\"port\": 80}, \"periodSeconds\": 0}",
		"{\"exec\": {\"command\": []}}",
		"{\"httpGet\": {\"port\": 80, \"scheme\": \"FTP\"}}",
		"{\"httpGet\": {\"port\": 80, \"scheme\": \"https\"}}",
		"{\"httpGet\": {\"port\": 80, \"host\": \"example.com\"}}",
		"{\"grpc\": {\"port\": 80}}",
		"{\"tcpSocket\": {\"port\": 80}, \"timeoutSeconds\": \"1\"}",
	};
	probe_spec_t s;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *c = ctr(bad[i]);
		err[0] = '\0';
		CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), -EINVAL);
		CHECK(strncmp(err, "readinessProbe", 14) == 0);
		json_decref(c);
	}
	/* liveness: successThreshold must be 1 */
	{
		json_t *c = ctr("{\"tcpSocket\": {\"port\": 80}, \"successThreshold\": 2}");
		CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), 0);
		probe_spec_clear(&s);
		CHECK_INT(probe_spec_parse(c, PROBE_LIVENESS, &s, err, sizeof(err)), -EINVAL);
		CHECK_STR(err, "livenessProbe.successThreshold: Invalid value: 2: must be 1");
		json_decref(c);
	}
}

static void test_thresholds(void)
{
	probe_spec_t sp = { .kind = PROBE_READINESS, .success_threshold = 2, .failure_threshold = 3 };
	probe_state_t st;

	probe_state_init(&st, PROBE_READINESS);
	CHECK(!st.result); /* readiness: false until it passes */
	CHECK(!probe_state_record(&st, &sp, true));
	CHECK(!st.result);
	CHECK(probe_state_record(&st, &sp, true)); /* second success in a row */
	CHECK(st.result);
	CHECK(!probe_state_record(&st, &sp, false));
	CHECK(!probe_state_record(&st, &sp, false));
	CHECK(!probe_state_record(&st, &sp, true)); /* the run of failures is broken */
	CHECK(!probe_state_record(&st, &sp, false));
	CHECK(!probe_state_record(&st, &sp, false));
	CHECK(st.result);
	CHECK(probe_state_record(&st, &sp, false)); /* the third failure in a row */
	CHECK(!st.result);
	CHECK(!st.on_hold); /* readiness goes on probing */

	/* liveness: healthy from the start; the failure threshold puts it on hold (kill) */
	sp.kind = PROBE_LIVENESS;
	sp.success_threshold = 1;
	sp.failure_threshold = 2;
	probe_state_init(&st, PROBE_LIVENESS);
	CHECK(st.result);
	CHECK(!probe_state_record(&st, &sp, false));
	CHECK(probe_state_record(&st, &sp, false));
	CHECK(!st.result);
	CHECK(st.on_hold);
	CHECK(!probe_state_record(&st, &sp, true)); /* on hold: ignored until restarted */
	CHECK(!st.result);

	/* startup: unknown (false) until the first success */
	sp.kind = PROBE_STARTUP;
	probe_state_init(&st, PROBE_STARTUP);
	CHECK(!st.result);
	CHECK(probe_state_record(&st, &sp, true));
	CHECK(st.result);
}

static void test_parse_https(void)
{
	json_t *c = ctr("{\"httpGet\": {\"port\": 8443, \"scheme\": \"HTTPS\"}}");
	probe_spec_t s;
	char err[256] = "";

	CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), 0);
	CHECK(s.https);
	CHECK_STR(s.path, "/");
	probe_spec_clear(&s);
	json_decref(c);
	c = ctr("{\"httpGet\": {\"port\": 8080, \"scheme\": \"HTTP\"}}");
	CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), 0);
	CHECK(!s.https);
	probe_spec_clear(&s);
	json_decref(c);
	c = ctr("{\"grpc\": {\"port\": 8080}}");
	CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "readinessProbe: grpc probes are not supported by this node");
	json_decref(c);
}

static void test_http_pieces(void)
{
	static const char r302[] = "HTTP/1.1 302 Found\r\nContent-Length: 0\r\nlocation:  /next?a=1 \r\n\r\nLocation: /body";
	probe_url_t cur = { .https = true, .host = "10.42.0.5", .port = 8443, .path = "/a/b?q" }, u;
	const char *loc;
	size_t ll;
	int code;

	CHECK_INT(probe_http_parse(r302, sizeof(r302) - 1, &code, &loc, &ll), 0);
	CHECK_INT(code, 302);
	CHECK(loc && ll == 9 && memcmp(loc, "/next?a=1", 9) == 0);
	CHECK_INT(probe_http_parse("HTTP/1.0 200 OK\r\n\r\n", 19, &code, &loc, &ll), 0);
	CHECK_INT(code, 200);
	CHECK(loc == NULL);
	CHECK_INT(probe_http_parse("HTTP/1.1 500", 12, &code, &loc, &ll), 0); /* cut short: the status is enough */
	CHECK_INT(code, 500);
	CHECK_INT(probe_http_parse("HTTP/1.1 2000 OK\r\n", 18, &code, &loc, &ll), -EBADMSG);
	CHECK_INT(probe_http_parse("<HTML>", 6, &code, &loc, &ll), -EBADMSG);
	CHECK_INT(probe_http_parse("HTTP/1.1 20", 11, &code, &loc, &ll), -EBADMSG);

	CHECK_INT(probe_redirect_resolve("/x", 2, &cur, &u), 0);
	CHECK(u.https && u.port == 8443 && !u.absolute);
	CHECK_STR(u.host, "10.42.0.5");
	CHECK_STR(u.path, "/x");
	free(u.path);
	CHECK_INT(probe_redirect_resolve("c#frag", 6, &cur, &u), 0);
	CHECK_STR(u.path, "/a/c");
	free(u.path);
	CHECK_INT(probe_redirect_resolve("http://10.42.0.5:8080?z", 23, &cur, &u), 0);
	CHECK(!u.https && u.port == 8080 && u.absolute);
	CHECK_STR(u.path, "/?z");
	free(u.path);
	CHECK_INT(probe_redirect_resolve("HTTPS://example.com/h", 21, &cur, &u), 0);
	CHECK(u.https && u.port == 443);
	CHECK_STR(u.host, "example.com");
	free(u.path);
	CHECK_INT(probe_redirect_resolve("//10.0.0.1/", 11, &cur, &u), 0);
	CHECK(u.https && u.port == 443 && !u.absolute);
	CHECK_STR(u.host, "10.0.0.1");
	free(u.path);
	CHECK_INT(probe_redirect_resolve("http://h:99999/", 15, &cur, &u), -EBADMSG);
	CHECK_INT(probe_redirect_resolve("http:///x", 9, &cur, &u), -EBADMSG);
	CHECK_INT(probe_redirect_resolve("/a b", 4, &cur, &u), -EBADMSG);
	CHECK_INT(probe_redirect_resolve("", 0, &cur, &u), -EBADMSG);
}

/* ---- the worker against local servers --------------------------------------------------------------- */

typedef struct lab {
	struct event_base *base;
	struct evhttp *http, *https;
	SSL_CTX *tls;
	int http_port, https_port;
	int plain_fd, plain_port;  /* answers anything with an HTTP 400 at once, as Go's server does TLS */
	int junk_fd, junk_port;    /* answers with bytes that are neither TLS nor an HTTP status line */
	int mute_fd, mute_port;    /* accepts and never says a word */
	int hup_fd, hup_port;      /* accepts and hangs up at once */
	int split_fd, split_port;  /* an HTTP 400 whose first bytes come 50 ms before the rest */
	struct event *plain_ev, *junk_ev, *hup_ev, *split_ev;
	int accepted[8];
	int naccepted;
} lab_t;

typedef struct outcome {
	bool done, ok;
	char message[512];
	lab_t *lab;
} outcome_t;

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void reply(struct evhttp_request *req, int code, const char *location)
{
	struct evbuffer *b = evbuffer_new();

	if (location)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
	evbuffer_add_printf(b, "code %d\n", code);
	evhttp_send_reply(req, code, code < 300 ? "OK" : code < 400 ? "Found" : "Error", b);
	evbuffer_free(b);
}

static void on_req(struct evhttp_request *req, void *arg)
{
	lab_t *l = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	char loc[128];

	if (strcmp(uri, "/ok") == 0) {
		reply(req, 200, NULL);
	} else if (strcmp(uri, "/fail") == 0) {
		reply(req, 500, NULL);
	} else if (strcmp(uri, "/slow") == 0) {
		/* never answered: the probe must give up after timeoutSeconds */
	} else if (strcmp(uri, "/headers") == 0) {
		const char *ua = evhttp_find_header(h, "User-Agent"), *x = evhttp_find_header(h, "X-Probe"),
			   *host = evhttp_find_header(h, "Host");
		snprintf(loc, sizeof(loc), "127.0.0.1:%d", l->https_port);
		reply(req, ua && strncmp(ua, "kube-probe/", 11) == 0 && x && strcmp(x, "yes") == 0 && host &&
				   strcmp(host, loc) == 0 ? 200 : 400, NULL);
	} else if (strcmp(uri, "/redirect") == 0) {
		reply(req, 302, "/ok");
	} else if (strcmp(uri, "/redirect-fail") == 0) {
		reply(req, 301, "fail");
	} else if (strcmp(uri, "/to-http") == 0) {
		/* same host, another scheme and port: followed, as Go's client does */
		snprintf(loc, sizeof(loc), "http://127.0.0.1:%d/fail", l->http_port);
		reply(req, 307, loc);
	} else if (strcmp(uri, "/elsewhere") == 0) {
		reply(req, 302, "http://192.0.2.250:1/fail"); /* another host: not followed, the 302 counts */
	} else if (strcmp(uri, "/loop") == 0) {
		reply(req, 302, "/loop");
	} else {
		reply(req, 404, NULL);
	}
}

static struct bufferevent *tls_bev(struct event_base *base, void *arg)
{
	lab_t *l = arg;

	return bufferevent_openssl_socket_new(base, -1, SSL_new(l->tls), BUFFEREVENT_SSL_ACCEPTING,
					      BEV_OPT_CLOSE_ON_FREE);
}

static int listen_any(int *ret_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*ret_port = ntohs(sa.sin_port);
	return fd;
}

static void split_rest(evutil_socket_t fd, short what, void *arg)
{
	static const char rest[] = "P/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";

	(void)fd;
	(void)what;
	if (send((int)(intptr_t)arg, rest, strlen(rest), MSG_NOSIGNAL) < 0) {
		/* the probe sees the close instead */
	}
}

static void on_plain(evutil_socket_t fd, short what, void *arg)
{
	static const char http400[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
			  junk[] = "<HTML><HEAD><TITLE>400 Bad Request</TITLE></HEAD></HTML>\n";
	lab_t *l = arg;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	const char *resp = fd == l->plain_fd ? http400 : junk;

	(void)what;
	if (c < 0)
		return;
	if (fd == l->hup_fd) {
		close(c);
		return;
	}
	if (fd == l->split_fd) {
		/* "HTT" now, the rest later: the probe's peek sees too little to judge, and OpenSSL reads
		 * the record header itself (the race with a fast real server, made certain) */
		struct timeval tv = { 0, 50000 };
		if (send(c, http400, 3, MSG_NOSIGNAL) < 0 ||
		    event_base_once(l->base, -1, EV_TIMEOUT, split_rest, (void *)(intptr_t)c, &tv) < 0) {
			close(c);
			return;
		}
		if (l->naccepted < 8)
			l->accepted[l->naccepted++] = c;
		return;
	}
	if (send(c, resp, strlen(resp), MSG_NOSIGNAL) < 0) {
		/* the probe sees the close instead */
	}
	if (l->naccepted < 8)
		l->accepted[l->naccepted++] = c; /* closed at the end: a close now could reset the reply */
	else
		close(c);
}

static int lab_up(lab_t *l)
{
	struct evhttp_bound_socket *bs;
	int fd;

	memset(l, 0, sizeof(*l));
	l->plain_fd = l->junk_fd = l->mute_fd = l->hup_fd = l->split_fd = -1;
	l->base = event_base_new();
	if (!l->base || tls_self_signed_ctx_new("probe-test", &l->tls) < 0)
		return -1;
	l->http = evhttp_new(l->base);
	l->https = evhttp_new(l->base);
	if (!l->http || !l->https)
		return -1;
	evhttp_set_gencb(l->http, on_req, l);
	evhttp_set_gencb(l->https, on_req, l);
	evhttp_set_bevcb(l->https, tls_bev, l);
	if ((fd = listen_any(&l->http_port)) < 0 || !(bs = evhttp_accept_socket_with_handle(l->http, fd)))
		return -1;
	if ((fd = listen_any(&l->https_port)) < 0 || !(bs = evhttp_accept_socket_with_handle(l->https, fd)))
		return -1;
	l->plain_fd = listen_any(&l->plain_port);
	l->junk_fd = listen_any(&l->junk_port);
	l->mute_fd = listen_any(&l->mute_port);
	l->hup_fd = listen_any(&l->hup_port);
	l->split_fd = listen_any(&l->split_port);
	if (l->plain_fd < 0 || l->junk_fd < 0 || l->mute_fd < 0 || l->hup_fd < 0 || l->split_fd < 0)
		return -1;
	l->split_ev = event_new(l->base, l->split_fd, EV_READ | EV_PERSIST, on_plain, l);
	if (!l->split_ev || event_add(l->split_ev, NULL) < 0)
		return -1;
	l->hup_ev = event_new(l->base, l->hup_fd, EV_READ | EV_PERSIST, on_plain, l);
	if (!l->hup_ev || event_add(l->hup_ev, NULL) < 0)
		return -1;
	l->plain_ev = event_new(l->base, l->plain_fd, EV_READ | EV_PERSIST, on_plain, l);
	l->junk_ev = event_new(l->base, l->junk_fd, EV_READ | EV_PERSIST, on_plain, l);
	return l->plain_ev && l->junk_ev && event_add(l->plain_ev, NULL) == 0 && event_add(l->junk_ev, NULL) == 0
		       ? 0 : -1;
}

static void lab_down(lab_t *l)
{
	for (int i = 0; i < l->naccepted; i++)
		close(l->accepted[i]);
	if (l->plain_ev)
		event_free(l->plain_ev);
	if (l->junk_ev)
		event_free(l->junk_ev);
	if (l->hup_ev)
		event_free(l->hup_ev);
	if (l->split_ev)
		event_free(l->split_ev);
	if (l->split_fd >= 0)
		close(l->split_fd);
	if (l->hup_fd >= 0)
		close(l->hup_fd);
	if (l->plain_fd >= 0)
		close(l->plain_fd);
	if (l->junk_fd >= 0)
		close(l->junk_fd);
	if (l->mute_fd >= 0)
		close(l->mute_fd);
	if (l->http)
		evhttp_free(l->http);
	if (l->https)
		evhttp_free(l->https);
	SSL_CTX_free(l->tls);
	if (l->base)
		event_base_free(l->base);
}

static void on_result(probe_worker_t *w, bool ok, bool changed, const char *message, void *arg)
{
	outcome_t *o = arg;

	(void)w;
	(void)changed;
	o->done = true;
	o->ok = ok;
	snprintf(o->message, sizeof(o->message), "%s", message);
	event_base_loopbreak(o->lab->base);
}

/* One readiness probe run by a worker against 127.0.0.1; *ret_secs how long it took. */
static outcome_t run_probe(lab_t *l, const char *probe_json, double *ret_secs)
{
	outcome_t o = { .lab = l };
	json_t *c = ctr(probe_json);
	probe_spec_t s;
	probe_worker_t *w = NULL;
	struct timeval limit = { 5, 0 };
	char err[256] = "";
	double t0;

	if (probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)) < 0) {
		snprintf(o.message, sizeof(o.message), "parse: %s", err);
		json_decref(c);
		return o;
	}
	json_decref(c);
	if (probe_worker_new(l->base, NULL, &s, "uid-1", "web", on_result, &o, &w) < 0) {
		probe_spec_clear(&s);
		return o;
	}
	t0 = now_mono();
	probe_worker_start(w, "127.0.0.1", t0);
	event_base_loopexit(l->base, &limit); /* a hung probe must not hang the test */
	event_base_dispatch(l->base);
	*ret_secs = now_mono() - t0;
	probe_worker_free(w);
	return o;
}

static outcome_t probe_at(lab_t *l, const char *scheme, int port, const char *path, double *ret_secs)
{
	char j[512];

	snprintf(j, sizeof(j),
		 "{\"httpGet\": {\"port\": %d, \"path\": \"%s\", \"scheme\": \"%s\","
		 " \"httpHeaders\": [{\"name\": \"X-Probe\", \"value\": \"yes\"}]}, \"timeoutSeconds\": 1}",
		 port, path, scheme);
	return run_probe(l, j, ret_secs);
}

static void expect_msg(const outcome_t *o, const char *want)
{
	CHECK_STR(o->message, want);
}

static void test_worker_https(void)
{
	lab_t l;
	outcome_t o;
	double secs = 0;
	char want[256];

	if (lab_up(&l) < 0) {
		CHECK(!"lab_up");
		lab_down(&l);
		return;
	}
	o = probe_at(&l, "HTTPS", l.https_port, "/ok", &secs);
	CHECK(o.done && o.ok);
	expect_msg(&o, "");
	o = probe_at(&l, "HTTPS", l.https_port, "/headers", &secs);
	CHECK(o.done && o.ok);

	o = probe_at(&l, "HTTPS", l.https_port, "/fail", &secs);
	CHECK(o.done && !o.ok);
	expect_msg(&o, "HTTP probe failed with statuscode: 500");
	o = probe_at(&l, "HTTPS", l.https_port, "/missing", &secs);
	CHECK(o.done && !o.ok);
	expect_msg(&o, "HTTP probe failed with statuscode: 404");

	/* redirects: same host followed (relative, and to another scheme and port), another host not */
	o = probe_at(&l, "HTTPS", l.https_port, "/redirect", &secs);
	CHECK(o.done && o.ok);
	o = probe_at(&l, "HTTPS", l.https_port, "/redirect-fail", &secs);
	CHECK(o.done && !o.ok);
	expect_msg(&o, "HTTP probe failed with statuscode: 500");
	o = probe_at(&l, "HTTPS", l.https_port, "/to-http", &secs);
	CHECK(o.done && !o.ok);
	expect_msg(&o, "HTTP probe failed with statuscode: 500");
	o = probe_at(&l, "HTTPS", l.https_port, "/elsewhere", &secs);
	CHECK(o.done && o.ok);
	o = probe_at(&l, "HTTPS", l.https_port, "/loop", &secs);
	CHECK(o.done && !o.ok);
	snprintf(want, sizeof(want), "Get \"https://127.0.0.1:%d/loop\": stopped after 10 redirects", l.https_port);
	expect_msg(&o, want);

	/* the same handlers over plain HTTP still work */
	o = probe_at(&l, "HTTP", l.http_port, "/ok", &secs);
	CHECK(o.done && o.ok);
	o = probe_at(&l, "HTTP", l.http_port, "/redirect-fail", &secs);
	CHECK(o.done && !o.ok);

	/* a plain HTTP server behind an HTTPS probe: net/http's message */
	o = probe_at(&l, "HTTPS", l.plain_port, "/ok", &secs);
	CHECK(o.done && !o.ok);
	snprintf(want, sizeof(want), "Get \"https://127.0.0.1:%d/ok\": http: server gave HTTP response to HTTPS client",
		 l.plain_port);
	expect_msg(&o, want);
	/* ... also when its first bytes arrive after the probe has looked (OpenSSL reads the header) */
	o = probe_at(&l, "HTTPS", l.split_port, "/ok", &secs);
	CHECK(o.done && !o.ok);
	snprintf(want, sizeof(want), "Get \"https://127.0.0.1:%d/ok\": http: server gave HTTP response to HTTPS client",
		 l.split_port);
	expect_msg(&o, want);
	o = probe_at(&l, "HTTPS", l.junk_port, "/ok", &secs);
	CHECK(o.done && !o.ok);
	snprintf(want, sizeof(want), "Get \"https://127.0.0.1:%d/ok\": tls: first record does not look like a TLS handshake",
		 l.junk_port);
	expect_msg(&o, want);

	o = probe_at(&l, "HTTPS", l.hup_port, "/ok", &secs);
	CHECK(o.done && !o.ok);
	/* EOF, or a reset when the ClientHello reached the closed socket first */
	snprintf(want, sizeof(want), "Get \"https://127.0.0.1:%d/ok\": ", l.hup_port);
	CHECK(strncmp(o.message, want, strlen(want)) == 0 &&
	      (strcmp(o.message + strlen(want), "EOF") == 0 || strstr(o.message, "connection reset by peer")));

	/* an HTTP probe at the TLS port: the TLS server drops the connection, no status line */
	o = probe_at(&l, "HTTP", l.https_port, "/ok", &secs);
	CHECK(o.done && !o.ok);

	/* connection refused: a port nobody listens on */
	{
		int port = 0, fd = listen_any(&port);
		close(fd);
		o = probe_at(&l, "HTTPS", port, "/ok", &secs);
		CHECK(o.done && !o.ok);
		snprintf(want, sizeof(want),
			 "Get \"https://127.0.0.1:%d/ok\": dial tcp 127.0.0.1:%d: connect: connection refused", port, port);
		expect_msg(&o, want);
	}

	/* timeouts: a server that never answers the request, one that never answers the handshake */
	o = probe_at(&l, "HTTPS", l.https_port, "/slow", &secs);
	CHECK(o.done && !o.ok);
	CHECK(secs >= 0.9 && secs < 2.5);
	snprintf(want, sizeof(want),
		 "Get \"https://127.0.0.1:%d/slow\": context deadline exceeded (Client.Timeout exceeded while awaiting "
		 "headers)", l.https_port);
	expect_msg(&o, want);
	o = probe_at(&l, "HTTPS", l.mute_port, "/ok", &secs);
	CHECK(o.done && !o.ok);
	CHECK(secs >= 0.9 && secs < 2.5);
	CHECK(strstr(o.message, "context deadline exceeded") != NULL);
	lab_down(&l);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	TEST_RUN(test_parse_defaults);
	TEST_RUN(test_parse_invalid);
	TEST_RUN(test_parse_https);
	TEST_RUN(test_thresholds);
	TEST_RUN(test_http_pieces);
	TEST_RUN(test_worker_https);
	TEST_DONE();
}
