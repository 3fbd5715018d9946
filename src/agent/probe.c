/* Probes (see probe.h): the spec parser, the threshold bookkeeping of prober/worker.go, and a worker
 * that runs HTTP and TCP probes as non-blocking sockets on the event loop and exec probes through
 * the runtime. */
#include "agent/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define PROBE_USER_AGENT "kube-probe/1.33"
#define PROBE_READ_MAX   1024 /* the status line is all we need */

const char *probe_kind_name(probe_kind_t kind)
{
	return kind == PROBE_LIVENESS ? "Liveness" : kind == PROBE_READINESS ? "Readiness" : "Startup";
}

const char *probe_kind_field(probe_kind_t kind)
{
	return kind == PROBE_LIVENESS ? "livenessProbe" : kind == PROBE_READINESS ? "readinessProbe" : "startupProbe";
}

/* ---- spec ----------------------------------------------------------------------------------------- */

void probe_spec_clear(probe_spec_t *s)
{
	if (!s)
		return;
	free(s->path);
	json_decref(s->headers);
	if (s->argv) {
		for (char **a = s->argv; *a; a++)
			free(*a);
		free(s->argv);
	}
	memset(s, 0, sizeof(*s));
}

/* An optional integer field >= min; -EINVAL for a wrong type or range. */
static int int_field(const json_t *p, const char *k, int def, int min, int *ret)
{
	const json_t *v = json_object_get(p, k);

	if (!v || json_is_null(v)) {
		*ret = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > 86400 * 365)
		return -EINVAL;
	*ret = (int)json_integer_value(v);
	return 0;
}

/* A probe port: a number 1..65535 or the name of one of the container's ports. */
static int resolve_port(const json_t *container, const json_t *v, int *ret)
{
	const json_t *p;
	size_t i;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 1 || json_integer_value(v) > 65535)
			return -EINVAL;
		*ret = (int)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *name = json_string_value(v);
		char *end;
		long n = strtol(name, &end, 10);
		if (*name && !*end) { /* an IntOrString given as a numeric string */
			if (n < 1 || n > 65535)
				return -EINVAL;
			*ret = (int)n;
			return 0;
		}
		json_array_foreach(json_object_get(container, "ports"), i, p) {
			const char *pn = json_string_value(json_object_get(p, "name"));
			const json_t *cp = json_object_get(p, "containerPort");
			if (pn && strcmp(pn, name) == 0 && json_is_integer(cp) && json_integer_value(cp) > 0 &&
			    json_integer_value(cp) < 65536) {
				*ret = (int)json_integer_value(cp);
				return 0;
			}
		}
		return -ENOENT;
	}
	return -EINVAL;
}

static int parse_host(const json_t *h, probe_spec_t *s)
{
	const char *host = json_string_value(json_object_get(h, "host"));
	struct in_addr a;

	if (!host || !*host)
		return 0;
	/* no resolver on the probe path: the kubelet's probes name addresses too */
	if (strlen(host) >= sizeof(s->host) || inet_pton(AF_INET, host, &a) != 1)
		return -EINVAL;
	snprintf(s->host, sizeof(s->host), "%s", host);
	return 0;
}

int probe_spec_parse(const json_t *container, probe_kind_t kind, probe_spec_t *ret, char *err, size_t errlen)
{
	const char *field = probe_kind_field(kind);
	const json_t *p = json_object_get(container, field), *h;
	probe_spec_t s = { .kind = kind };
	int handlers = 0, rc;

	memset(ret, 0, sizeof(*ret));
	if (!p || json_is_null(p))
		return -ENOENT;
	if (!json_is_object(p)) {
		snprintf(err, errlen, "%s: must be an object", field);
		return -EINVAL;
	}
	handlers = !!json_object_get(p, "httpGet") + !!json_object_get(p, "tcpSocket") + !!json_object_get(p, "exec") +
		   !!json_object_get(p, "grpc");
	if (handlers != 1) {
		snprintf(err, errlen, "%s: must specify exactly one handler type (httpGet, tcpSocket or exec)", field);
		return -EINVAL;
	}
	if (int_field(p, "initialDelaySeconds", 0, 0, &s.initial_delay) < 0 ||
	    int_field(p, "periodSeconds", PROBE_PERIOD_DEFAULT, 1, &s.period) < 0 ||
	    int_field(p, "timeoutSeconds", PROBE_TIMEOUT_DEFAULT, 1, &s.timeout) < 0 ||
	    int_field(p, "successThreshold", PROBE_SUCCESS_DEFAULT, 1, &s.success_threshold) < 0 ||
	    int_field(p, "failureThreshold", PROBE_FAILURE_DEFAULT, 1, &s.failure_threshold) < 0) {
		snprintf(err, errlen, "%s: initialDelaySeconds must be >= 0 and periodSeconds, timeoutSeconds, "
			 "successThreshold, failureThreshold >= 1", field);
		return -EINVAL;
	}
	if (kind != PROBE_READINESS && s.success_threshold != 1) {
		snprintf(err, errlen, "%s.successThreshold: Invalid value: %d: must be 1", field, s.success_threshold);
		return -EINVAL;
	}
	if (json_object_get(p, "grpc")) {
		snprintf(err, errlen, "%s: grpc probes are not supported by this node", field);
		return -EINVAL;
	}
	if ((h = json_object_get(p, "httpGet"))) {
		const char *path = json_string_value(json_object_get(h, "path"));
		const char *scheme = json_string_value(json_object_get(h, "scheme"));
		const json_t *hdrs = json_object_get(h, "httpHeaders");
		s.handler = PROBE_HTTP;
		if (scheme && strcmp(scheme, "HTTP") != 0) {
			snprintf(err, errlen, "%s.httpGet.scheme: Unsupported value: \"%.16s\": supported values: \"HTTP\"",
				 field, scheme);
			return -EINVAL;
		}
		if (path && (strpbrk(path, "\r\n ") || strlen(path) > 2048)) {
			snprintf(err, errlen, "%s.httpGet.path: Invalid value", field);
			return -EINVAL;
		}
		if (hdrs && !json_is_array(hdrs)) {
			snprintf(err, errlen, "%s.httpGet.httpHeaders: must be a list", field);
			return -EINVAL;
		}
		if (hdrs) {
			const json_t *x;
			size_t i;
			json_array_foreach(hdrs, i, x) {
				const char *n = json_string_value(json_object_get(x, "name")),
					   *v = json_string_value(json_object_get(x, "value"));
				if (!n || !*n || !v || strpbrk(n, "\r\n: ") || strpbrk(v, "\r\n") ||
				    strlen(n) + strlen(v) > 1024) {
					snprintf(err, errlen, "%s.httpGet.httpHeaders[%zu]: Invalid value", field, i);
					return -EINVAL;
				}
			}
		}
		rc = resolve_port(container, json_object_get(h, "port"), &s.port);
		if (rc < 0 || parse_host(h, &s) < 0) {
			snprintf(err, errlen, rc == -ENOENT ? "%s.httpGet.port: the container has no port named %.64s"
							    : "%s.httpGet: invalid port or host",
				 field, json_string_value(json_object_get(h, "port")));
			return -EINVAL;
		}
		s.path = strdup(path && *path ? path : "/");
		s.headers = hdrs ? json_incref((json_t *)hdrs) : NULL;
		if (!s.path) {
			probe_spec_clear(&s);
			return -ENOMEM;
		}
		if (s.path[0] != '/') {
			char *abs;
			if (asprintf(&abs, "/%s", s.path) < 0) {
				probe_spec_clear(&s);
				return -ENOMEM;
			}
			free(s.path);
			s.path = abs;
		}
	} else if ((h = json_object_get(p, "tcpSocket"))) {
		s.handler = PROBE_TCP;
		rc = resolve_port(container, json_object_get(h, "port"), &s.port);
		if (rc < 0 || parse_host(h, &s) < 0) {
			snprintf(err, errlen, rc == -ENOENT ? "%s.tcpSocket.port: the container has no port named %.64s"
							    : "%s.tcpSocket: invalid port or host",
				 field, json_string_value(json_object_get(h, "port")));
			return -EINVAL;
		}
	} else {
		const json_t *cmd = json_object_get(json_object_get(p, "exec"), "command"), *a;
		size_t i, n = json_array_size(cmd);
		s.handler = PROBE_EXEC;
		if (n == 0 || n > 256) {
			snprintf(err, errlen, "%s.exec.command: Required value", field);
			return -EINVAL;
		}
		s.argv = calloc(n + 1, sizeof(char *));
		if (!s.argv)
			return -ENOMEM;
		json_array_foreach(cmd, i, a) {
			if (!json_is_string(a)) {
				probe_spec_clear(&s);
				snprintf(err, errlen, "%s.exec.command[%zu]: must be a string", field, i);
				return -EINVAL;
			}
			s.argv[i] = strdup(json_string_value(a));
			if (!s.argv[i]) {
				probe_spec_clear(&s);
				return -ENOMEM;
			}
		}
	}
	*ret = s;
	return 0;
}

/* ---- bookkeeping ---------------------------------------------------------------------------------- */

void probe_state_init(probe_state_t *st, probe_kind_t kind)
{
	memset(st, 0, sizeof(*st));
	/* prober/worker.go initialValue: liveness starts healthy, readiness and startup do not */
	st->result = kind == PROBE_LIVENESS;
}

bool probe_state_record(probe_state_t *st, const probe_spec_t *spec, bool ok)
{
	bool before = st->result;

	if (st->on_hold)
		return false;
	if (st->probed && st->last == ok)
		st->run++;
	else
		st->run = 1;
	st->last = ok;
	st->probed = true;
	if ((ok && st->run < spec->success_threshold) || (!ok && st->run < spec->failure_threshold))
		return false; /* not enough in a row yet: the result stays */
	st->result = ok;
	if (!ok && spec->kind != PROBE_READINESS) {
		/* the container is killed; nothing more to learn until it is back */
		st->on_hold = true;
		st->run = 0;
	}
	return st->result != before || (!ok && spec->kind != PROBE_READINESS);
}

/* ---- the worker ----------------------------------------------------------------------------------- */

typedef struct exec_ticket {
	probe_worker_t *w; /* NULL once the worker is gone or moved on: the result is dropped */
} exec_ticket_t;

struct probe_worker {
	struct event_base *base;
	runtime_t *rt;
	probe_spec_t spec;
	char *uid, *container;
	probe_cb cb;
	void *arg;
	probe_state_t st;
	struct event *timer;
	struct event *io; /* the HTTP/TCP probe in flight */
	int fd;
	enum { IO_CONNECT, IO_READ } io_state;
	char buf[PROBE_READ_MAX + 1];
	size_t blen;
	exec_ticket_t *ticket; /* the exec probe in flight */
	char ip[64];
	char target[96]; /* "10.42.0.5:8080" */
	double started;
	bool running, gate_open;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void arm(probe_worker_t *w, double sec)
{
	struct timeval tv;

	if (sec < 0)
		sec = 0;
	tv.tv_sec = (time_t)sec;
	tv.tv_usec = (suseconds_t)((sec - (double)tv.tv_sec) * 1e6);
	evtimer_add(w->timer, &tv);
}

static void io_cancel(probe_worker_t *w)
{
	if (w->io) {
		event_free(w->io);
		w->io = NULL;
	}
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	if (w->ticket) {
		w->ticket->w = NULL;
		w->ticket = NULL;
	}
}

static void finish(probe_worker_t *w, bool ok, const char *message)
{
	bool changed;

	io_cancel(w);
	if (!w->running)
		return;
	changed = probe_state_record(&w->st, &w->spec, ok);
	arm(w, w->spec.period);
	w->cb(w, ok, changed, ok ? "" : message, w->arg);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	probe_worker_t *w = arg;
	char msg[512];
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (what & EV_TIMEOUT) {
		if (w->spec.handler == PROBE_HTTP)
			snprintf(msg, sizeof(msg),
				 "Get \"http://%s%s\": context deadline exceeded (Client.Timeout exceeded while awaiting "
				 "headers)", w->target, w->spec.path);
		else
			snprintf(msg, sizeof(msg), "dial tcp %s: i/o timeout", w->target);
		finish(w, false, msg);
		return;
	}
	if (w->io_state == IO_CONNECT) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			const char *e = soerr == ECONNREFUSED ? "connection refused"
					: soerr == EHOSTUNREACH ? "no route to host"
								 : strerror(soerr);
			if (w->spec.handler == PROBE_HTTP)
				snprintf(msg, sizeof(msg), "Get \"http://%s%s\": dial tcp %s: connect: %s", w->target,
					 w->spec.path, w->target, e);
			else
				snprintf(msg, sizeof(msg), "dial tcp %s: connect: %s", w->target, e);
			finish(w, false, msg);
			return;
		}
		if (w->spec.handler == PROBE_TCP) {
			finish(w, true, "");
			return;
		}
		{
			/* the request as Go's client sends a kubelet probe; a Host header of the spec wins */
			char req[4096];
			int n;
			bool host_set = false;
			const json_t *hd;
			size_t i;
			json_array_foreach(w->spec.headers, i, hd) {
				if (strcasecmp(json_string_value(json_object_get(hd, "name")), "Host") == 0)
					host_set = true;
			}
			n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n", w->spec.path);
			if (!host_set)
				n += snprintf(req + n, sizeof(req) - (size_t)n, "Host: %s\r\n", w->target);
			n += snprintf(req + n, sizeof(req) - (size_t)n,
				      "User-Agent: " PROBE_USER_AGENT "\r\nAccept: */*\r\nConnection: close\r\n");
			json_array_foreach(w->spec.headers, i, hd) {
				if (n >= (int)sizeof(req))
					break;
				n += snprintf(req + n, sizeof(req) - (size_t)n, "%s: %s\r\n",
					      json_string_value(json_object_get(hd, "name")),
					      json_string_value(json_object_get(hd, "value")));
			}
			if (n < (int)sizeof(req))
				n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
			/* a fresh socket's send buffer takes a few KiB at once */
			if (n >= (int)sizeof(req) || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
				snprintf(msg, sizeof(msg), "Get \"http://%s%s\": write: %s", w->target, w->spec.path,
					 strerror(errno ? errno : EMSGSIZE));
				finish(w, false, msg);
				return;
			}
		}
		w->io_state = IO_READ;
		w->blen = 0;
		return; /* the event is persistent; re-registered for reading below */
	}
	/* IO_READ */
	{
		ssize_t r = recv(fd, w->buf + w->blen, PROBE_READ_MAX - w->blen, 0);
		char *eol;
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r > 0)
			w->blen += (size_t)r;
		w->buf[w->blen] = '\0';
		eol = strstr(w->buf, "\r\n");
		if (!eol && r > 0 && w->blen < PROBE_READ_MAX)
			return;
		{
			int code = 0;
			char proto[16];
			if (sscanf(w->buf, "%15s %3d", proto, &code) != 2 || strncmp(proto, "HTTP/", 5) != 0) {
				snprintf(msg, sizeof(msg), "Get \"http://%s%s\": %s", w->target, w->spec.path,
					 r < 0 ? strerror(errno) : "malformed HTTP response");
				finish(w, false, msg);
				return;
			}
			/* prober/http: success is 200 <= code < 400 */
			if (code >= 200 && code < 400) {
				finish(w, true, "");
			} else {
				snprintf(msg, sizeof(msg), "HTTP probe failed with statuscode: %d", code);
				finish(w, false, msg);
			}
		}
	}
}

static void on_io_wrap(evutil_socket_t fd, short what, void *arg);

/* connect() from the event loop; socket writable means the connect finished (both HTTP and TCP). */
static void start_connect(probe_worker_t *w)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)w->spec.port) };
	struct timeval tv = { w->spec.timeout, 0 };
	const char *ip = w->spec.host[0] ? w->spec.host : w->ip;
	char msg[256];

	snprintf(w->target, sizeof(w->target), "%s:%d", ip, w->spec.port);
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		snprintf(msg, sizeof(msg), "dial tcp %s: the pod has no IPv4 address", w->target);
		finish(w, false, msg);
		return;
	}
	w->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->fd < 0) {
		snprintf(msg, sizeof(msg), "dial tcp %s: socket: %s", w->target, strerror(errno));
		finish(w, false, msg);
		return;
	}
	if (connect(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		snprintf(msg, sizeof(msg), "dial tcp %s: connect: %s", w->target,
			 errno == ECONNREFUSED ? "connection refused" : strerror(errno));
		finish(w, false, msg);
		return;
	}
	w->io_state = IO_CONNECT;
	w->io = event_new(w->base, w->fd, EV_WRITE, on_io_wrap, w);
	if (!w->io) {
		finish(w, false, "out of memory");
		return;
	}
	event_add(w->io, &tv);
}

/* After the connect: read, with timeoutSeconds again for the reply. */
static void on_io_wrap(evutil_socket_t fd, short what, void *arg)
{
	probe_worker_t *w = arg;
	int before = w->io_state;

	on_io(fd, what, arg);
	/* finish() freed w->io; otherwise switch a finished connect over to reading */
	if (w->io && before == IO_CONNECT && w->io_state == IO_READ) {
		struct timeval tv = { w->spec.timeout, 0 };
		event_free(w->io);
		w->io = event_new(w->base, w->fd, EV_READ | EV_PERSIST, on_io, w);
		if (!w->io) {
			finish(w, false, "out of memory");
			return;
		}
		event_add(w->io, &tv);
	}
}

static void on_exec_done(int status, const char *output, size_t len, void *arg)
{
	exec_ticket_t *t = arg;
	probe_worker_t *w = t->w;
	char msg[512];

	free(t);
	if (!w)
		return;
	w->ticket = NULL;
	if (status == 0) {
		finish(w, true, "");
	} else if (status == -ETIMEDOUT) {
		snprintf(msg, sizeof(msg), "command timed out after %ds", w->spec.timeout);
		finish(w, false, msg);
	} else if (status < 0) {
		snprintf(msg, sizeof(msg), "exec failed: %s", strerror(-status));
		finish(w, false, msg);
	} else {
		/* the kubelet's message is the command's output */
		int n = (int)(len > 400 ? 400 : len);
		while (n > 0 && (output[n - 1] == '\n' || output[n - 1] == '\r'))
			n--;
		if (n > 0)
			snprintf(msg, sizeof(msg), "%.*s", n, output);
		else
			snprintf(msg, sizeof(msg), "command exited with status %d", status);
		finish(w, false, msg);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	probe_worker_t *w = arg;

	if (!w->running)
		return;
	if (!w->gate_open || w->st.on_hold || w->io || w->ticket) {
		arm(w, w->spec.period);
		return;
	}
	if (w->spec.handler == PROBE_EXEC) {
		exec_ticket_t *t = calloc(1, sizeof(*t));
		int rc;
		if (!t) {
			arm(w, w->spec.period);
			return;
		}
		t->w = w;
		w->ticket = t;
		rc = runtime_exec(w->rt, w->uid, w->container, w->spec.argv, w->spec.timeout * 1000, on_exec_done, t);
		if (rc < 0) {
			char msg[128];
			w->ticket = NULL;
			free(t);
			snprintf(msg, sizeof(msg), "exec failed: %s", strerror(-rc));
			finish(w, false, msg);
		}
		return;
	}
	start_connect(w);
}

int probe_worker_new(struct event_base *base, runtime_t *rt, probe_spec_t *spec, const char *pod_uid,
		     const char *container, probe_cb cb, void *arg, probe_worker_t **ret)
{
	probe_worker_t *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->base = base;
	w->rt = rt;
	w->cb = cb;
	w->arg = arg;
	w->gate_open = true;
	w->uid = strdup(pod_uid);
	w->container = strdup(container);
	w->timer = evtimer_new(base, on_timer, w);
	if (!w->uid || !w->container || !w->timer) {
		probe_worker_free(w);
		return -ENOMEM;
	}
	w->spec = *spec;
	memset(spec, 0, sizeof(*spec));
	probe_state_init(&w->st, w->spec.kind);
	*ret = w;
	return 0;
}

void probe_worker_free(probe_worker_t *w)
{
	if (!w)
		return;
	io_cancel(w);
	if (w->timer)
		event_free(w->timer);
	probe_spec_clear(&w->spec);
	free(w->uid);
	free(w->container);
	free(w);
}

void probe_worker_start(probe_worker_t *w, const char *pod_ip, double started_mono)
{
	io_cancel(w);
	probe_state_init(&w->st, w->spec.kind);
	snprintf(w->ip, sizeof(w->ip), "%s", pod_ip ? pod_ip : "");
	w->started = started_mono;
	w->running = true;
	/* the first probe once initialDelaySeconds have passed since the container started */
	arm(w, started_mono + w->spec.initial_delay - mono_now());
}

void probe_worker_stop(probe_worker_t *w)
{
	io_cancel(w);
	evtimer_del(w->timer);
	w->running = false;
	probe_state_init(&w->st, w->spec.kind);
}

void probe_worker_set_gate(probe_worker_t *w, bool open)
{
	bool opened = open && !w->gate_open;

	w->gate_open = open;
	/* the startup probe just succeeded: probe now (after the initial delay), not a period later */
	if (opened && w->running && !w->io && !w->ticket)
		arm(w, w->started + w->spec.initial_delay - mono_now());
}

bool probe_worker_result(const probe_worker_t *w)
{
	return w->st.result;
}

const probe_spec_t *probe_worker_spec(const probe_worker_t *w)
{
	return &w->spec;
}

const char *probe_worker_container(const probe_worker_t *w)
{
	return w->container;
}
