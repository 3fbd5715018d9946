/* The agent's start path (see agent_main.h): what the node is (agent_sys), the API client with the
 * node token, registration and Lease, the pod loop; and the two ways to run it (a process of its
 * own, or a thread of `portico server`). */
#include "agent/agent_main.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/agent.h"
#include "agent/agent_sys.h"
#include "agent/announce.h"
#include "agent/logsrv.h"
#include "core/log.h"
#include "dns/dns_node.h"
#include "lib/version.h"
#include "proxy/proxy.h"

struct agent_main {
	kclient_t *c;
	agent_t *node;
	pods_t *pods;
	logsrv_t *logs; /* /containerLogs for the API server's pods/log */
	proxy_t *proxy;
	dns_node_t *dns;
	announce_t *announce; /* the load-balancer addresses' ARP/NDP announcer (provider pool) */
	/* hooks of later parts go here, started after the pods */
};

/* The log server's view of a pod: the Pod as the informer has it, with the runtime's live
 * containerStatuses (fresher than the stored status: a follow ends as soon as the run does). */
static json_t *logs_pod_get(const char *ns, const char *name, void *arg)
{
	agent_main_t *a = arg;
	const json_t *pod = a->pods ? pods_find_name(a->pods, ns, name) : NULL;
	const char *uid = json_string_value(json_object_get(json_object_get(pod, "metadata"), "uid"));
	json_t *copy, *live;

	if (!pod || !uid)
		return NULL;
	copy = json_deep_copy(pod);
	live = runtime_pod_statuses(pods_runtime(a->pods), uid);
	if (copy && live) {
		json_t *st = json_object_get(copy, "status");
		if (!json_is_object(st)) {
			st = json_object();
			json_object_set_new(copy, "status", st);
		}
		json_object_set(st, "containerStatuses", live);
	}
	json_decref(live);
	return copy;
}

static int logs_path(const char *uid, const char *container, bool previous, char *buf, size_t len, void *arg)
{
	agent_main_t *a = arg;

	return a->pods ? runtime_log_path(pods_runtime(a->pods), uid, container, previous, buf, len) : -ENOENT;
}

int agent_main_start(struct event_base *base, const agent_config_t *cfg, agent_main_t **ret)
{
	logsrv_config_t lc = { 0 };
	char cert_sha[LOGSRV_SHA256_HEX];
	agent_main_t *a;
	agent_sys_t sys;
	agent_node_info_t info = { 0 };
	kclient_config_t kc = { 0 };
	pods_config_t pc = { 0 };
	char runtime[128];
	int rc;

	if (!cfg || !cfg->server_url || !cfg->node_name || !cfg->node_ip || !cfg->data_dir)
		return -EINVAL;
	if (mkdir(cfg->data_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	kc.server = cfg->server_url;
	kc.ca_file = cfg->ca_file;
	kc.token = cfg->token;
	kc.timeout_sec = AGENT_RENEW_SEC; /* a renewal slower than its interval is as good as lost */
	kc.user_agent = "portico-agent";
	rc = kclient_new(base, &kc, &a->c);
	if (rc < 0) {
		a->c = NULL;
		goto fail;
	}
	agent_sys_read(&sys);
	snprintf(runtime, sizeof(runtime), "portico://%s", PORTICO_VERSION);
	info.name = cfg->node_name;
	info.ip = cfg->node_ip;
	info.hostname = sys.hostname[0] ? sys.hostname : cfg->node_name;
	info.cpus = sys.cpus;
	info.mem_bytes = sys.mem_bytes;
	info.arch = agent_node_goarch(sys.machine);
	info.kernel = sys.kernel;
	info.os_image = sys.os_image;
	info.machine_id = sys.machine_id;
	info.boot_id = sys.boot_id;
	info.version = K8S_GIT_VERSION;
	info.runtime = runtime;
	/* the log server's certificate digest goes on the Node: made before registering */
	rc = logsrv_cert_ensure(cfg->data_dir, cfg->node_name, cfg->node_ip, cert_sha);
	if (rc < 0) {
		log_err("agent: log server certificate in %s: %s", cfg->data_dir, strerror(-rc));
		goto fail;
	}
	info.kubelet_port = LOGSRV_PORT;
	info.cert_sha256 = cert_sha;
	rc = agent_new(a->c, &info, &a->node);
	if (rc < 0) {
		a->node = NULL;
		goto fail;
	}
	pc.node_name = cfg->node_name;
	pc.node_ip = cfg->node_ip;
	pc.data_dir = cfg->data_dir;
	pc.cluster_cidr = cfg->cluster_cidr;
	pc.service_cidr = cfg->service_cidr;
	pc.cluster_dns = cfg->cluster_dns;
	pc.cluster_domain = cfg->cluster_domain;
	pc.exe = cfg->exe;
	rc = pods_new(a->c, &pc, &a->pods);
	if (rc < 0) {
		a->pods = NULL;
		goto fail;
	}
	lc.data_dir = cfg->data_dir;
	lc.node_ip = cfg->node_ip;
	lc.node_name = cfg->node_name;
	lc.token = cfg->token;
	lc.pod_get = logs_pod_get;
	lc.log_path = logs_path;
	lc.arg = a;
	rc = logsrv_start(base, &lc, &a->logs);
	if (rc < 0) {
		log_err("agent: log server on %s:%d: %s", cfg->node_ip, LOGSRV_PORT, strerror(-rc));
		a->logs = NULL;
		goto fail;
	}
	if (!cfg->no_proxy) {
		proxy_config_t xc = { 0 };
		xc.node_name = cfg->node_name;
		xc.node_ip = cfg->node_ip;
		xc.nodeport_addresses = cfg->nodeport_addresses;
		xc.cluster_cidr = cfg->cluster_cidr;
		xc.service_cidr = cfg->service_cidr;
		xc.cluster_dns = cfg->cluster_dns;
		xc.health_port = cfg->proxy_health_port;
		rc = proxy_start(base, a->c, &xc, &a->proxy);
		if (rc < 0) {
			a->proxy = NULL;
			log_err("agent: service proxy: %s", strerror(-rc));
			goto fail;
		}
	}
	if (cfg->dns_port) {
		/* cluster DNS on this node, fed from the same API connection */
		dns_node_config_t dc = { 0 };
		dc.cluster_dns = cfg->cluster_dns;
		dc.cluster_domain = cfg->cluster_domain;
		dc.node_ip = cfg->node_ip;
		dc.upstream = cfg->dns_upstream;
		dc.port = cfg->dns_port;
		rc = dns_node_start(base, a->c, &dc, &a->dns);
		if (rc < 0) {
			a->dns = NULL;
			log_err("agent: cluster DNS: %s", strerror(-rc));
			goto fail;
		}
	}
	{
		announce_config_t ac = { .node_name = cfg->node_name, .node_ip = cfg->node_ip };
		rc = announce_start(base, a->c, &ac, &a->announce);
		if (rc < 0) {
			a->announce = NULL;
			log_err("agent: load-balancer announcer: %s", strerror(-rc));
			goto fail;
		}
	}
	*ret = a;
	return 0;
fail:
	agent_main_stop(a);
	return rc;
}

void agent_main_stop(agent_main_t *a)
{
	if (!a)
		return;
	announce_free(a->announce);
	proxy_free(a->proxy);
	dns_node_free(a->dns);
	logsrv_free(a->logs);
	pods_free(a->pods);
	agent_free(a->node);
	kclient_free(a->c);
	free(a);
}

kclient_t *agent_main_client(agent_main_t *a)
{
	return a->c;
}

pods_t *agent_main_pods(agent_main_t *a)
{
	return a->pods;
}

/* ---- a process of its own ---------------------------------------------------------------------- */

struct sig_ctx {
	struct event_base *base;
	agent_main_t *a;
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sig_ctx *sc = arg;
	struct timeval grace = { 0, ANNOUNCE_RELEASE_GRACE_MS * 1000 };

	log_info("agent: signal %d: shutting down", (int)sig);
	/* hand the load-balancer addresses over before leaving: the release requests need the loop */
	announce_release(sc->a ? sc->a->announce : NULL);
	event_base_loopexit(sc->base, sc->a && sc->a->announce ? &grace : NULL);
}

int agent_run(const agent_config_t *cfg)
{
	struct event_base *base = event_base_new();
	struct event *sig_term = NULL, *sig_int = NULL;
	agent_main_t *a = NULL;
	struct sig_ctx sc = { 0 };
	int rc, ret = 1;

	if (!base)
		return 1;
	rc = agent_main_start(base, cfg, &a);
	if (rc < 0) {
		log_err("agent: %s", strerror(-rc));
		goto out;
	}
	sc.base = base;
	sc.a = a;
	sig_term = evsignal_new(base, SIGTERM, on_signal, &sc);
	sig_int = evsignal_new(base, SIGINT, on_signal, &sc);
	if (!sig_term || !sig_int)
		goto out;
	event_add(sig_term, NULL);
	event_add(sig_int, NULL);
	log_info("agent: node %s (%s) reporting to %s", cfg->node_name, cfg->node_ip, cfg->server_url);
	event_base_dispatch(base);
	ret = 0;
out:
	agent_main_stop(a);
	if (sig_term)
		event_free(sig_term);
	if (sig_int)
		event_free(sig_int);
	event_base_free(base);
	return ret;
}

/* ---- a thread of the server ------------------------------------------------------------------- */

struct agent_thread {
	pthread_t thread;
	bool running;
	struct event_base *base;
	struct event *stop_ev;
	struct event *release_ev;
	agent_main_t *a;
};

static void on_thread_stop(evutil_socket_t fd, short what, void *arg)
{
	agent_thread_t *t = arg;

	agent_main_stop(t->a);
	t->a = NULL;
	event_base_loopexit(t->base, NULL);
}

/* On the agent's thread: the same hand-over as `portico agent` on SIGTERM. */
static void on_thread_release(evutil_socket_t fd, short what, void *arg)
{
	agent_thread_t *t = arg;

	(void)fd;
	(void)what;
	announce_release(t->a ? t->a->announce : NULL);
}

static void *thread_main(void *arg)
{
	agent_thread_t *t = arg;

	event_base_dispatch(t->base);
	return NULL;
}

int agent_thread_start(const agent_config_t *cfg, agent_thread_t **ret)
{
	agent_thread_t *t = calloc(1, sizeof(*t));
	int rc = -ENOMEM;

	if (!t)
		return -ENOMEM;
	t->base = event_base_new();
	if (!t->base)
		goto fail;
	t->stop_ev = event_new(t->base, -1, 0, on_thread_stop, t);
	t->release_ev = event_new(t->base, -1, 0, on_thread_release, t);
	if (!t->stop_ev || !t->release_ev)
		goto fail;
	/* built here, run there: nothing happens on the base until the thread dispatches it */
	rc = agent_main_start(t->base, cfg, &t->a);
	if (rc < 0) {
		t->a = NULL;
		goto fail;
	}
	rc = pthread_create(&t->thread, NULL, thread_main, t);
	if (rc != 0) {
		rc = -rc;
		goto fail;
	}
	t->running = true;
	*ret = t;
	return 0;
fail:
	agent_thread_stop(t);
	return rc;
}

int agent_thread_release(agent_thread_t *t)
{
	if (!t || !t->running)
		return 0;
	event_active(t->release_ev, EV_TIMEOUT, 0);
	return ANNOUNCE_RELEASE_GRACE_MS;
}

void agent_thread_stop(agent_thread_t *t)
{
	if (!t)
		return;
	if (t->running) {
		event_active(t->stop_ev, EV_TIMEOUT, 0);
		pthread_join(t->thread, NULL);
	}
	agent_main_stop(t->a);
	if (t->stop_ev)
		event_free(t->stop_ev);
	if (t->release_ev)
		event_free(t->release_ev);
	if (t->base)
		event_base_free(t->base);
	free(t);
}
