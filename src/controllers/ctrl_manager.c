/* The controller manager thread: one event_base, one kclient, the kubernetes endpoints reconciler,
 * and the leader elector that starts and stops the controllers. Only the stop request crosses
 * threads (event_active on the manager's base, safe with evthread_use_pthreads()). */
#include "controllers/ctrl_manager.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "client/informer.h"
#include "client/kclient.h"
#include "client/leader.h"
#include "controllers/apiserver_ep.h"
#include "controllers/deploy_ctrl.h"
#include "controllers/eps_ctrl.h"
#include "controllers/gc_ctrl.h"
#include "controllers/lb_ctrl.h"
#include "controllers/nodeipam.h"
#include "controllers/nodelc_ctrl.h"
#include "controllers/sched_ctrl.h"
#include "core/log.h"

#define CTRL_LEASE_NAME "kube-controller-manager"

struct ctrl_manager {
	pthread_t thread;
	bool running;
	struct event_base *base;
	struct event *stop_ev, *release_ev;
	kclient_t *c;
	leader_t *leader;
	apiserver_ep_t *apiserver_ep;
	eps_ctrl_t *eps;
	deploy_ctrl_t *deploy;
	sched_ctrl_t *sched;
	gc_ctrl_t *gc;
	nodelc_ctrl_t *nodelc;
	nodeipam_ctrl_t *nodeipam;
	lb_ctrl_t *lb;
	informer_t *pods, *nodes; /* shared by the controllers below (client-go's shared informers) */
	int node_grace_sec;
	char identity[160];
};

static void controllers_stop(ctrl_manager_t *m)
{
	eps_ctrl_free(m->eps);
	m->eps = NULL;
	deploy_ctrl_free(m->deploy);
	m->deploy = NULL;
	sched_ctrl_free(m->sched);
	m->sched = NULL;
	gc_ctrl_free(m->gc);
	m->gc = NULL;
	nodelc_ctrl_free(m->nodelc);
	m->nodelc = NULL;
	nodeipam_ctrl_free(m->nodeipam);
	m->nodeipam = NULL;
	lb_ctrl_free(m->lb);
	m->lb = NULL;
	informer_free(m->pods); /* after every controller that registered on them */
	m->pods = NULL;
	informer_free(m->nodes);
	m->nodes = NULL;
}

static void on_started_leading(void *arg)
{
	ctrl_manager_t *m = arg;
	int rc;

	log_info("controller manager: %s is the leader; starting controllers", m->identity);
	/* one pod cache and one node cache for the controllers below: each informer holds a full copy */
	if (informer_new(m->c, "/api/v1/pods", NULL, &m->pods) < 0 ||
	    informer_new(m->c, "/api/v1/nodes", NULL, &m->nodes) < 0) {
		log_err("controller manager: shared informers: out of memory");
		return;
	}
	rc = eps_ctrl_new(m->c, m->pods, &m->eps);
	if (rc < 0) {
		m->eps = NULL;
		log_err("controller manager: endpointslice controller: %s", strerror(-rc));
	}
	rc = deploy_ctrl_new(m->c, m->pods, &m->deploy);
	if (rc < 0) {
		m->deploy = NULL;
		log_err("controller manager: deployment controller: %s", strerror(-rc));
	}
	/* the scheduler runs under this lease too (upstream: its own kube-scheduler Lease) */
	rc = sched_ctrl_new(m->c, m->pods, m->nodes, &m->sched);
	if (rc < 0) {
		m->sched = NULL;
		log_err("controller manager: scheduler: %s", strerror(-rc));
	}
	rc = gc_ctrl_new(m->c, m->pods, &m->gc);
	if (rc < 0) {
		m->gc = NULL;
		log_err("controller manager: garbage collector: %s", strerror(-rc));
	}
	rc = nodelc_ctrl_new(m->c, m->node_grace_sec, m->pods, m->nodes, &m->nodelc);
	if (rc < 0) {
		m->nodelc = NULL;
		log_err("controller manager: node lifecycle controller: %s", strerror(-rc));
	}
	/* each Node gets a /24 of the cluster CIDR as spec.podCIDR */
	rc = nodeipam_ctrl_new(m->c, NULL /* NODEIPAM_CLUSTER_CIDR_DEFAULT */, m->nodes, &m->nodeipam);
	if (rc < 0) {
		m->nodeipam = NULL;
		log_err("controller manager: node IPAM controller: %s", strerror(-rc));
	}
	/* LoadBalancer Services (the portico-lb ConfigMap picks the provider) */
	rc = lb_ctrl_new(m->c, m->nodes, &m->lb);
	if (rc < 0) {
		m->lb = NULL;
		log_err("controller manager: load-balancer controller: %s", strerror(-rc));
	}
	informer_start(m->pods);
	informer_start(m->nodes);
}

static void on_stopped_leading(void *arg)
{
	ctrl_manager_t *m = arg;

	log_warn("controller manager: %s lost the leader lease; stopping controllers", m->identity);
	controllers_stop(m);
}

static void on_release_done(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	ctrl_manager_t *m = arg;
	struct timeval grace = { 0, leader_is_leader(m->leader) ? 300000 : 0 };

	controllers_stop(m);
	apiserver_ep_free(m->apiserver_ep);
	m->apiserver_ep = NULL;
	/* leader_free() sends the release; give it a moment on the loop before leaving (it cannot be
	 * answered when the caller blocks this server's own API loop while it waits for us) */
	leader_free(m->leader);
	m->leader = NULL;
	evtimer_add(m->release_ev, &grace);
}

static void *thread_main(void *arg)
{
	ctrl_manager_t *m = arg;

	event_base_dispatch(m->base);
	return NULL;
}

int ctrl_manager_start(const ctrl_manager_config_t *cfg, ctrl_manager_t **ret)
{
	ctrl_manager_t *m;
	kclient_config_t kc;
	char *ca = NULL, *token = NULL;
	leader_config_t lc = { 0 };
	int rc;

	if (!cfg || !cfg->data_dir || !cfg->server_url)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = kclient_config_admin(cfg->data_dir, cfg->server_url, &kc, &ca, &token);
	if (rc < 0) {
		free(m);
		return rc;
	}
	kc.user_agent = "portico-controller-manager";
	m->node_grace_sec = cfg->node_monitor_grace_sec;
	{
		/* until `portico server` has a flag for it (tests shorten the 40 s this way) */
		const char *env = getenv("PORTICO_NODE_MONITOR_GRACE_PERIOD");
		char *end;
		long v = env ? strtol(env, &end, 10) : 0;
		if (env && *env && !*end && v > 0 && v < 86400)
			m->node_grace_sec = (int)v;
	}
	rc = -ENOMEM;
	m->base = event_base_new();
	if (!m->base)
		goto fail;
	rc = kclient_new(m->base, &kc, &m->c);
	explicit_bzero(token, strlen(token));
	free(token);
	token = NULL;
	free(ca);
	ca = NULL;
	if (rc < 0)
		goto fail;
	rc = -ENOMEM;
	m->stop_ev = event_new(m->base, -1, 0, on_stop, m);
	m->release_ev = evtimer_new(m->base, on_release_done, m->base);
	if (!m->stop_ev || !m->release_ev)
		goto fail;
	/* client-go's identity is hostname_uuid. Ours is stable per server address, so a restarted
	 * server renews its own Lease at once instead of waiting out its previous life's; two live
	 * servers never share an address and port. */
	{
		char host[64] = "portico";
		gethostname(host, sizeof(host) - 1);
		snprintf(m->identity, sizeof(m->identity), "%s_%s_%d", host,
			 cfg->advertise_ip ? cfg->advertise_ip : "local", cfg->advertise_port);
	}
	if (cfg->advertise_ip) {
		rc = apiserver_ep_new(m->c, cfg->advertise_ip, cfg->advertise_port, &m->apiserver_ep);
		if (rc < 0) {
			m->apiserver_ep = NULL;
			goto fail;
		}
	}
	lc.ns = "kube-system";
	lc.name = CTRL_LEASE_NAME;
	lc.identity = m->identity;
	lc.on_started = on_started_leading;
	lc.on_stopped = on_stopped_leading;
	lc.arg = m;
	rc = leader_new(m->c, &lc, &m->leader);
	if (rc < 0) {
		m->leader = NULL;
		goto fail;
	}
	rc = pthread_create(&m->thread, NULL, thread_main, m);
	if (rc != 0) {
		rc = -rc;
		goto fail;
	}
	m->running = true;
	*ret = m;
	return 0;
fail:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	free(ca);
	ctrl_manager_stop(m);
	return rc;
}

void ctrl_manager_stop(ctrl_manager_t *m)
{
	if (!m)
		return;
	if (m->running) {
		event_active(m->stop_ev, EV_TIMEOUT, 0);
		pthread_join(m->thread, NULL);
	}
	controllers_stop(m);
	apiserver_ep_free(m->apiserver_ep);
	leader_free(m->leader);
	kclient_free(m->c);
	if (m->stop_ev)
		event_free(m->stop_ev);
	if (m->release_ev)
		event_free(m->release_ev);
	if (m->base)
		event_base_free(m->base);
	free(m);
}
