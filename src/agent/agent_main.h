/* The node agent's one start path, shared by `portico agent` (agent_run: its own process) and
 * `portico server` (agent_thread_start: a thread with its own event loop, as the controller
 * manager). agent_main_start() builds every part of the agent on one event loop: the API client,
 * the Node registration and Lease (agent.h) and the pod loop (pods.h). Parts added later (cluster
 * DNS, the service proxy) hook in there, in agent_main.c, and get the same kclient and informers. */
#pragma once
#include <stdbool.h>

#include <event2/event.h>

#include "agent/pods.h"
#include "client/kclient.h"

typedef struct agent_config {
	const char *server_url;     /* "https://192.0.2.10:6443" */
	const char *ca_file;        /* the cluster CA */
	const char *token;          /* the node token (a secret: copied into the client, never logged) */
	const char *node_name;      /* required (validated by the caller) */
	const char *node_ip;        /* required */
	const char *data_dir;       /* the agent's state: pods, IPAM, netns files, image map */
	const char *cluster_cidr;   /* NULL: 10.42.0.0/16 */
	const char *service_cidr;   /* NULL: 10.43.0.0/16 */
	const char *cluster_dns;    /* NULL: 10.43.0.10 */
	const char *cluster_domain; /* NULL: cluster.local */
	const char *exe;            /* the binary supervisors run as; NULL: /proc/self/exe */
	/* the service proxy (proxy/proxy.h) */
	bool no_proxy;                  /* no service proxy in this agent */
	const char *nodeport_addresses; /* NULL: the node IP */
	int proxy_health_port;          /* 0: 10256; < 0: no health server */
	/* cluster DNS (dns/dns_node.h) on cluster_dns and the node IP */
	int dns_port;                   /* 0: no cluster DNS in this agent */
	const char *dns_upstream;       /* NULL: /etc/resolv.conf's nameservers; "": none */
} agent_config_t;

typedef struct agent_main agent_main_t;

/* Starts every part on base (the data dir is created 0700 when missing). Strings are copied.
 * *ret: stop with agent_main_stop() on base's thread. Negative errno. */
int agent_main_start(struct event_base *base, const agent_config_t *cfg, agent_main_t **ret);
/* Stops the agent's parts; pods keep running. Accepts NULL. */
void agent_main_stop(agent_main_t *a);

/* The parts, for hooks and tests (borrowed). */
kclient_t *agent_main_client(agent_main_t *a);
pods_t *agent_main_pods(agent_main_t *a);

/* `portico agent`: agent_main_start() on a new event loop until SIGTERM or SIGINT. Returns the exit
 * status (0 after a signal, 1 when the agent could not start). */
int agent_run(const agent_config_t *cfg);

/* `portico server`: the agent on a thread of its own. The caller must have called
 * evthread_use_pthreads(). Strings copied. Stop with agent_thread_stop() from the starting thread. */
typedef struct agent_thread agent_thread_t;
int agent_thread_start(const agent_config_t *cfg, agent_thread_t **ret);
/* Starts the agent's hand-over on its thread (its load-balancer announcer releases its Leases, as
 * `portico agent` does on SIGTERM) and returns how many ms the caller should keep serving the API
 * for those requests before agent_thread_stop(); 0 when there is nothing to wait for. Accepts
 * NULL. From the starting thread. */
int agent_thread_release(agent_thread_t *t);
void agent_thread_stop(agent_thread_t *t); /* accepts NULL */
