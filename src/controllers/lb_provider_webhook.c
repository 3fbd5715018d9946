/* The `webhook` provider: an infrastructure provider's remote API, spoken as JSON over HTTPS with a
 * bearer token (the protocol is in docs/loadbalancers.md; bodies and replies in lb_logic.c). Each
 * operation is one POST to webhook-url; a transport failure, a 5xx or a 429 is tried again after
 * 1 s, up to LB_WEBHOOK_ATTEMPTS in all, within one sync. Beyond that the controller's per-Service
 * back-off (5 s to 300 s) takes over. Runs on the controller manager's loop through kclient. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>

#include "client/kclient.h"
#include "controllers/lb_logic.h"
#include "controllers/lb_provider.h"

#define LB_WEBHOOK_ATTEMPTS   3
#define LB_WEBHOOK_RETRY_MS   1000
#define LB_WEBHOOK_TOKEN_MAX  4096

typedef struct wh_provider wh_provider_t;

struct lb_provider_op {
	wh_provider_t *w;
	char op[8];
	json_t *body;
	kclient_req_t *req;
	struct event *retry;
	int attempts;
	lb_provider_cb cb;
	void *arg;
	lb_provider_op_t *next, *prev;
};

struct wh_provider {
	lb_provider_t base;
	kclient_t *c;
	char *path; /* path and query of webhook-url */
	lb_provider_op_t *ops;
};

static void op_free(lb_provider_op_t *o)
{
	if (o->prev)
		o->prev->next = o->next;
	else if (o->w->ops == o)
		o->w->ops = o->next;
	if (o->next)
		o->next->prev = o->prev;
	if (o->req)
		kclient_cancel(o->req);
	if (o->retry)
		event_free(o->retry);
	json_decref(o->body);
	free(o);
}

static int op_send(lb_provider_op_t *o);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	lb_provider_op_t *o = arg;
	char msg[64];

	if (op_send(o) < 0) {
		lb_provider_cb cb = o->cb;
		void *cbarg = o->arg;
		snprintf(msg, sizeof(msg), "out of memory");
		op_free(o);
		cb(-ENOMEM, NULL, msg, cbarg);
	}
}

static void on_reply(int status, json_t *body, void *arg)
{
	lb_provider_op_t *o = arg;
	lb_provider_cb cb = o->cb;
	void *cbarg = o->arg;
	json_t *ing = NULL;
	char msg[320];
	int rc;

	o->req = NULL;
	o->attempts++;
	if ((status < 0 || status >= 500 || status == 429) && o->attempts < LB_WEBHOOK_ATTEMPTS) {
		struct timeval tv = { LB_WEBHOOK_RETRY_MS / 1000, (LB_WEBHOOK_RETRY_MS % 1000) * 1000 };
		if (o->retry && evtimer_add(o->retry, &tv) == 0)
			return;
	}
	rc = lb_webhook_reply(o->op, status, body, &ing, msg, sizeof(msg));
	op_free(o);
	cb(rc, ing, rc < 0 ? msg : NULL, cbarg);
	json_decref(ing);
}

static int op_send(lb_provider_op_t *o)
{
	int rc = kclient_request(o->w->c, "POST", o->w->path, o->body, NULL, on_reply, o, &o->req);

	if (rc < 0)
		o->req = NULL;
	return rc;
}

static int wh_start(lb_provider_t *p, const char *op, const json_t *svc, const json_t *nodes, lb_provider_cb cb,
		    void *arg, lb_provider_op_t **ret_op)
{
	wh_provider_t *w = (wh_provider_t *)p;
	lb_provider_op_t *o = calloc(1, sizeof(*o));

	*ret_op = NULL;
	if (!o)
		return -ENOMEM;
	o->w = w;
	snprintf(o->op, sizeof(o->op), "%s", op);
	o->cb = cb;
	o->arg = arg;
	o->body = lb_webhook_request(op, svc, nodes);
	o->retry = evtimer_new(kclient_base(w->c), on_retry, o);
	o->next = w->ops;
	if (w->ops)
		w->ops->prev = o;
	w->ops = o;
	if (!o->body || !o->retry || op_send(o) < 0) {
		op_free(o);
		return -ENOMEM;
	}
	*ret_op = o;
	return 0;
}

static int wh_ensure(lb_provider_t *p, const char *key, const json_t *svc, const json_t *nodes, lb_provider_cb cb,
		     void *arg, lb_provider_op_t **ret_op)
{
	return wh_start(p, "ensure", svc, nodes, cb, arg, ret_op);
}

static int wh_update(lb_provider_t *p, const char *key, const json_t *svc, const json_t *nodes, lb_provider_cb cb,
		     void *arg, lb_provider_op_t **ret_op)
{
	return wh_start(p, "update", svc, nodes, cb, arg, ret_op);
}

static int wh_remove(lb_provider_t *p, const char *key, const json_t *svc, lb_provider_cb cb, void *arg,
		     lb_provider_op_t **ret_op)
{
	return wh_start(p, "delete", svc, NULL, cb, arg, ret_op);
}

static void wh_cancel(lb_provider_t *p, lb_provider_op_t *op)
{
	if (op)
		op_free(op);
}

static void wh_free(lb_provider_t *p)
{
	wh_provider_t *w = (wh_provider_t *)p;

	if (!w)
		return;
	while (w->ops)
		op_free(w->ops);
	kclient_free(w->c);
	free(w->path);
	free(w);
}

static const lb_provider_ops_t wh_ops = {
	.name = "webhook",
	.ensure = wh_ensure,
	.update = wh_update,
	.remove = wh_remove,
	.cancel = wh_cancel,
	.free = wh_free,
};

/* The token: the file's first line, without surrounding blanks. The caller wipes and frees it. */
static int read_token(const char *file, char **ret, char *err, size_t errlen)
{
	char buf[LB_WEBHOOK_TOKEN_MAX + 1], *s, *e;
	ssize_t n;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		int rc = -errno;
		snprintf(err, errlen, "webhook-token-file: cannot open %s: %s", file, strerror(-rc));
		return rc;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > LB_WEBHOOK_TOKEN_MAX) {
		explicit_bzero(buf, sizeof(buf));
		snprintf(err, errlen, "webhook-token-file: %s is unreadable or larger than %d bytes", file,
			 LB_WEBHOOK_TOKEN_MAX);
		return -EINVAL;
	}
	buf[n] = '\0';
	s = buf;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strcspn(s, "\r\n");
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	if (!*s) {
		explicit_bzero(buf, sizeof(buf));
		snprintf(err, errlen, "webhook-token-file: %s is empty", file);
		return -EINVAL;
	}
	*ret = strdup(s);
	explicit_bzero(buf, sizeof(buf));
	return *ret ? 0 : -ENOMEM;
}

int lb_provider_webhook_new(struct event_base *base, const lb_config_t *cfg, lb_provider_t **ret, char *err,
			    size_t errlen)
{
	wh_provider_t *w;
	kclient_config_t kc = { 0 };
	struct evhttp_uri *uri;
	const char *path, *query;
	char *token = NULL;
	int rc;

	if (!cfg->webhook_url || !cfg->webhook_token_file) {
		snprintf(err, errlen, "webhook-url and webhook-token-file are needed");
		return -EINVAL;
	}
	rc = read_token(cfg->webhook_token_file, &token, err, errlen);
	if (rc < 0)
		return rc;
	w = calloc(1, sizeof(*w));
	uri = evhttp_uri_parse(cfg->webhook_url);
	if (!w || !uri) {
		snprintf(err, errlen, w ? "webhook-url: cannot be parsed" : "out of memory");
		rc = w ? -EINVAL : -ENOMEM;
		goto fail;
	}
	w->base.ops = &wh_ops;
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	if (asprintf(&w->path, "%s%s%s", path && *path ? path : "/", query ? "?" : "", query ? query : "") < 0) {
		w->path = NULL;
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	kc.server = cfg->webhook_url;
	kc.ca_file = cfg->webhook_ca_file;
	kc.token = token;
	kc.timeout_sec = cfg->webhook_timeout_sec;
	kc.user_agent = "portico-lb-webhook";
	rc = kclient_new(base, &kc, &w->c);
	if (rc < 0) {
		w->c = NULL;
		snprintf(err, errlen, "webhook client: %s", rc == -EBADMSG ? "cannot load webhook-ca-file" :
			 rc == -EINVAL ? "webhook-url is not a usable https URL" : strerror(-rc));
		goto fail;
	}
	evhttp_uri_free(uri);
	explicit_bzero(token, strlen(token));
	free(token);
	*ret = &w->base;
	return 0;
fail:
	if (uri)
		evhttp_uri_free(uri);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	wh_free(w ? &w->base : NULL);
	return rc;
}
