/* portico server: the API server on the embedded SQLite store. First start generates the PKI in
 * the data dir; the kubeconfig is written (atomically) only once the server answers, so a client
 * that sees the file can use it at once. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "api/api.h"
#include "api/kinds.h"
#include "agent/agent_main.h"
#include "agent/agent_sys.h"
#include "api/objmeta.h"
#include "cmd.h"
#include "controllers/ctrl_manager.h"
#include "core/log.h"
#include "core/pki.h"

typedef struct server_ctx {
	api_server_t api;
	store_t *store;
	struct event_base *base;
	struct event *sig_int, *sig_term, *boot_ev, *sweep_ev;
	char *kubeconfig_url;
	ctrl_manager_t *ctrl;
	agent_thread_t *agent;
	int node_grace; /* seconds; 0 = the controller's default (40) */
	bool no_controllers, no_agent, no_proxy, no_dns;
	const char *dns_upstream;
	const char *node_name, *cluster_cidr, *cluster_domain;
	bool kubeconfig_written;
	const char *cluster_dns; /* ClusterIP of kube-system/kube-dns; "" for none */
	int kube_dns_tries;
} server_ctx_t;

static void usage(void)
{
	fprintf(stderr,
		"usage: portico server [options]\n"
		"  --data-dir DIR                 state, PKI and kubeconfig (default /var/lib/portico)\n"
		"  --listen ADDR:PORT             HTTPS listen address (default 0.0.0.0:6443)\n"
		"  --node-ip IP                   this node's address (default: the default route's interface\n"
		"                                 address, else the first non-loopback IPv4)\n"
		"  --node-name NAME               the in-process agent's Node (default: the host name)\n"
		"  --service-cidr CIDR[,CIDR6]    ClusterIP range (default 10.43.0.0/16)\n"
		"  --cluster-cidr CIDR            pod addresses, a /24 per node (default 10.42.0.0/16)\n"
		"  --cluster-dns IP               ClusterIP of kube-system/kube-dns, created at bootstrap\n"
		"                                 (default 10.43.0.10; \"\" for none)\n"
		"  --cluster-domain DOMAIN        the cluster's DNS domain (default cluster.local)\n"
		"  --service-node-port-range A-B  NodePort range (default 30000-32767)\n"
		"  --event-ttl SECONDS            event lifetime (default 3600)\n"
		"  --node-monitor-grace-period S  NotReady after S seconds without a node lease renewal (40)\n"
		"  --disable-controllers          run the API server alone (no controller manager)\n"
		"  --disable-agent                no node agent in this process (no Node, no pods here)\n"
		"  --disable-proxy                the in-process agent programs no service proxy (nftables)\n"
		"  --disable-dns                  the in-process agent serves no cluster DNS\n"
		"  --dns-upstream IP[,IP]         where cluster DNS forwards other names (default: the\n"
		"                                 nameservers of /etc/resolv.conf; \"\" for none)\n"
		"  --log-level LEVEL              error, warn, info, debug (default info)\n");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	server_ctx_t *s = arg;

	int grace_ms = agent_thread_release(s->agent);
	struct timeval grace = { 0, grace_ms * 1000 };

	log_info("signal %d: shutting down", (int)sig);
	/* the in-process agent's announcer releases its Leases through this server's API: keep
	 * serving a moment, so another node takes the addresses over at once */
	event_base_loopexit(s->base, grace_ms ? &grace : NULL);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	server_ctx_t *s = arg;

	rest_sweep(&s->api);
}

static bool exists(server_ctx_t *s, const char *plural, const char *ns, const char *name)
{
	const k8s_resource_t *res = k8s_resource_find("", "v1", plural);
	char *key = rest_key(res, ns, name);
	store_kv_t kv;
	bool yes = key && store_get(s->store, key, &kv) == 0;

	free(key);
	return yes;
}

/* Creates what a cluster starts with when absent (kube-apiserver's bootstrap controllers):
 * the four system namespaces, the kubernetes Service, and kube-system/kube-dns holding the cluster DNS
 * address (served by every agent, so it has no selector and no endpoints). */
static void bootstrap(server_ctx_t *s)
{
	static const char *const namespaces[] = { "default", "kube-system", "kube-public", "kube-node-lease" };
	const k8s_resource_t *ns = k8s_resource_find("", "v1", "namespaces");
	const k8s_resource_t *svc = k8s_resource_find("", "v1", "services");

	for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
		json_t *obj;
		if (exists(s, "namespaces", NULL, namespaces[i]))
			continue;
		obj = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
				"name", namespaces[i], "labels", "kubernetes.io/metadata.name", namespaces[i]);
		if (obj)
			rest_create_internal(&s->api, ns, obj);
	}
	if (!exists(s, "services", "default", "kubernetes") && exists(s, "namespaces", NULL, "default")) {
		/* the namespace must be committed first: a Service create checks it */
		json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, s:{s:s, s:[s], s:[{s:s, s:s, s:i, "
					"s:i}], s:s, s:s}}",
					"apiVersion", "v1", "kind", "Service", "metadata", "name", "kubernetes",
					"namespace", "default", "labels", "component", "apiserver", "provider",
					"kubernetes", "spec", "clusterIP", kind_kubernetes_service_ip(&s->api),
					"clusterIPs", kind_kubernetes_service_ip(&s->api), "ports", "name", "https",
					"protocol", "TCP", "port", 443, "targetPort", s->api.opts.listen_port, "type",
					"ClusterIP", "sessionAffinity", "None");
		if (obj)
			rest_create_internal(&s->api, svc, obj);
	}
	if (*s->cluster_dns && !exists(s, "services", "kube-system", "kube-dns") &&
	    exists(s, "namespaces", NULL, "kube-system")) {
		/* as kubeadm's CoreDNS Service, minus the selector: the agents answer on this address */
		json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s, s:s}}, s:{s:s, s:[s], s:["
					"{s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:i}], s:s}}",
					"apiVersion", "v1", "kind", "Service", "metadata", "name", "kube-dns",
					"namespace", "kube-system", "labels", "k8s-app", "kube-dns",
					"kubernetes.io/cluster-service", "true", "kubernetes.io/name", "CoreDNS",
					"spec", "clusterIP", s->cluster_dns, "clusterIPs", s->cluster_dns, "ports",
					"name", "dns", "protocol", "UDP", "port", 53, "targetPort", 53,
					"name", "dns-tcp", "protocol", "TCP", "port", 53, "targetPort", 53,
					"name", "metrics", "protocol", "TCP", "port", 9153, "targetPort", 9153,
					"type", "ClusterIP");
		if (obj)
			rest_create_internal(&s->api, svc, obj);
	}
}

/* The in-process node agent (agent_main.h): its own thread, reaching this server like the
 * controller manager does, with the node token of the data dir; its state in DATA/agent. */
static void start_agent(server_ctx_t *s)
{
	const char *la = s->api.opts.listen_addr, *dd = s->api.opts.data_dir;
	char url[128], ca[4096], adir[4096], *token = NULL;
	agent_sys_t sys;
	agent_config_t ac = { 0 };
	int rc;

	if (!s->api.opts.node_ip) {
		log_err("agent: no node address (use --node-ip or --disable-agent); not starting the agent");
		s->no_agent = true;
		return;
	}
	if (!*la || strcmp(la, "0.0.0.0") == 0 || strcmp(la, "::") == 0)
		snprintf(url, sizeof(url), "https://127.0.0.1:%d", s->api.opts.listen_port);
	else
		snprintf(url, sizeof(url), strchr(la, ':') ? "https://[%s]:%d" : "https://%s:%d", la,
			 s->api.opts.listen_port);
	snprintf(ca, sizeof(ca), "%s/ca.crt", dd);
	snprintf(adir, sizeof(adir), "%s/agent", dd);
	rc = pki_read_token(dd, "node-token", &token);
	if (rc < 0) {
		log_err("agent: node token in %s: %s", dd, strerror(-rc));
		s->no_agent = true;
		return;
	}
	agent_sys_read(&sys);
	ac.server_url = url;
	ac.ca_file = ca;
	ac.token = token;
	ac.node_name = s->node_name ? s->node_name : sys.hostname;
	ac.node_ip = s->api.opts.node_ip;
	ac.data_dir = adir;
	ac.cluster_cidr = s->cluster_cidr;
	ac.service_cidr = s->api.opts.service_cidr;
	ac.cluster_dns = *s->cluster_dns ? s->cluster_dns : NULL;
	ac.cluster_domain = s->cluster_domain;
	/* the server's node is a node like the others: Services and cluster DNS work on it */
	ac.no_proxy = s->no_proxy;
	ac.dns_port = s->no_dns || !ac.cluster_dns ? 0 : 53;
	ac.dns_upstream = s->dns_upstream;
	rc = agent_thread_start(&ac, &s->agent);
	explicit_bzero(token, strlen(token));
	free(token);
	if (rc < 0) {
		s->agent = NULL;
		s->no_agent = true;
		log_err("agent: %s", strerror(-rc));
		return;
	}
	log_info("agent: node %s (%s) in-process, state in %s", ac.node_name, ac.node_ip, adir);
}

/* Retries bootstrap until its objects are committed, then publishes the kubeconfig. */
static void on_boot(evutil_socket_t fd, short what, void *arg)
{
	server_ctx_t *s = arg;
	struct timeval tv = { 0, 50000 };
	char path[4096];
	int rc;

	if (!exists(s, "namespaces", NULL, "default") || !exists(s, "namespaces", NULL, "kube-system") ||
	    !exists(s, "services", "default", "kubernetes") ||
	    (*s->cluster_dns && !exists(s, "services", "kube-system", "kube-dns") && s->kube_dns_tries++ < 100)) {
		/* creates of objects already queued fail with -EEXIST at once: harmless */
		bootstrap(s);
		evtimer_add(s->boot_ev, &tv);
		return;
	}
	s->api.ready = true;
	snprintf(path, sizeof(path), "%s/kubeconfig", s->api.opts.data_dir);
	rc = pki_write_kubeconfig(s->api.opts.data_dir, s->kubeconfig_url, path);
	if (rc < 0)
		log_err("writing %s: %s", path, strerror(-rc));
	else
		log_info("ready; kubeconfig at %s (server %s)", path, s->kubeconfig_url);
	if (!s->ctrl && !s->no_controllers) {
		/* The controllers run in their own thread and reach this server over loopback when it
		 * listens on every address. */
		const char *la = s->api.opts.listen_addr;
		char url[128];
		ctrl_manager_config_t cc = { .data_dir = s->api.opts.data_dir, .server_url = url,
					     .advertise_ip = s->api.opts.node_ip,
					     .advertise_port = s->api.opts.listen_port,
					     .node_monitor_grace_sec = s->node_grace };
		if (!*la || strcmp(la, "0.0.0.0") == 0 || strcmp(la, "::") == 0)
			snprintf(url, sizeof(url), "https://127.0.0.1:%d", s->api.opts.listen_port);
		else
			snprintf(url, sizeof(url), strchr(la, ':') ? "https://[%s]:%d" : "https://%s:%d", la,
				 s->api.opts.listen_port);
		cc.cluster_cidr = s->cluster_cidr;
		rc = ctrl_manager_start(&cc, &s->ctrl);
		if (rc < 0) {
			s->ctrl = NULL;
			log_err("controller manager: %s", strerror(-rc));
		}
	}
	if (!s->agent && !s->no_agent)
		start_agent(s);
}

static int parse_listen(const char *s, char **ret_addr, int *ret_port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon)
		return -EINVAL;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || port <= 0 || port > 65535)
		return -EINVAL;
	*ret_addr = strndup(s, (size_t)(colon - s));
	if (!*ret_addr)
		return -ENOMEM;
	/* "[::]:6443" */
	if ((*ret_addr)[0] == '[') {
		size_t l = strlen(*ret_addr);
		memmove(*ret_addr, *ret_addr + 1, l);
		if (l >= 2 && (*ret_addr)[l - 2] == ']')
			(*ret_addr)[l - 2] = '\0';
	}
	*ret_port = (int)port;
	return 0;
}

int cmd_server(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "node-ip", required_argument, NULL, 'n' },
		{ "service-cidr", required_argument, NULL, 's' },
		{ "service-node-port-range", required_argument, NULL, 'p' },
		{ "event-ttl", required_argument, NULL, 'e' },
		{ "node-monitor-grace-period", required_argument, NULL, 'g' },
		{ "disable-controllers", no_argument, NULL, 'C' },
		{ "disable-agent", no_argument, NULL, 'A' },
		{ "disable-proxy", no_argument, NULL, 'P' },
		{ "disable-dns", no_argument, NULL, 'Q' },
		{ "dns-upstream", required_argument, NULL, 'U' },
		{ "node-name", required_argument, NULL, 'N' },
		{ "cluster-cidr", required_argument, NULL, 'c' },
		{ "cluster-dns", required_argument, NULL, 'D' },
		{ "cluster-domain", required_argument, NULL, 'O' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	server_ctx_t s = { .cluster_dns = "10.43.0.10" };
	api_options_t opts = { .data_dir = "/var/lib/portico", .listen_port = 6443, .event_ttl_sec = 3600,
			       .service_cidr = "10.43.0.0/16", .node_port_range = "30000-32767" };
	char *listen_addr = strdup("0.0.0.0"), *node_ip = NULL, dbpath[4096];
	const char *ip_sans[4] = { NULL };
	store_opts_t sopts = { 0 };
	int c, rc, ret = 1;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opts.data_dir = optarg;
			break;
		case 'l':
			free(listen_addr);
			listen_addr = NULL;
			if (parse_listen(optarg, &listen_addr, &opts.listen_port) < 0) {
				fprintf(stderr, "portico server: invalid --listen '%s' (want ADDR:PORT)\n", optarg);
				return 2;
			}
			break;
		case 'n':
			free(node_ip);
			node_ip = strdup(optarg);
			break;
		case 's':
			opts.service_cidr = optarg;
			break;
		case 'p':
			opts.node_port_range = optarg;
			break;
		case 'e': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v <= 0 || v > 86400 * 365) {
				fprintf(stderr, "portico server: invalid --event-ttl '%s'\n", optarg);
				return 2;
			}
			opts.event_ttl_sec = (int)v;
			break;
		}
		case 'C':
			s.no_controllers = true;
			break;
		case 'A':
			s.no_agent = true;
			break;
		case 'P':
			s.no_proxy = true;
			break;
		case 'Q':
			s.no_dns = true;
			break;
		case 'U':
			s.dns_upstream = optarg;
			break;
		case 'N':
			s.node_name = optarg;
			break;
		case 'c':
			s.cluster_cidr = optarg;
			break;
		case 'O':
			s.cluster_domain = optarg;
			break;
		case 'D': {
			struct in_addr a;
			if (*optarg && inet_pton(AF_INET, optarg, &a) != 1) {
				fprintf(stderr, "portico server: invalid --cluster-dns '%s' (want an IPv4 address, or \"\" for none)\n", optarg);
				return 2;
			}
			s.cluster_dns = optarg;
			break;
		}
		case 'g': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end == 's')
				end++;
			if (*end || v <= 0 || v > 86400) {
				fprintf(stderr, "portico server: invalid --node-monitor-grace-period '%s'\n", optarg);
				return 2;
			}
			s.node_grace = (int)v;
			break;
		}
		case 'v':
			if (log_level_parse(optarg) < 0) {
				fprintf(stderr, "portico server: invalid --log-level '%s'\n", optarg);
				return 2;
			}
			log_level = log_level_parse(optarg);
			break;
		case 'h':
			usage();
			free(listen_addr);
			free(node_ip);
			return 0;
		default:
			usage();
			free(listen_addr);
			free(node_ip);
			return 2;
		}
	}
	if (!listen_addr)
		return 1;
	{
		/* checked here so a typo fails the start instead of every node's IPAM later */
		char buf[32], *slash, *end;
		unsigned char a[4];
		long n = -1;
		const char *cc = s.cluster_cidr ? s.cluster_cidr : "10.42.0.0/16";
		snprintf(buf, sizeof(buf), "%s", cc);
		slash = strchr(buf, '/');
		if (slash) {
			*slash = '\0';
			n = strtol(slash + 1, &end, 10);
			if (!slash[1] || *end)
				n = -1;
		}
		if (strlen(cc) >= sizeof(buf) || !slash || inet_pton(AF_INET, buf, a) != 1 || n < 8 || n > 24) {
			fprintf(stderr, "portico server: invalid --cluster-cidr '%s' (want an IPv4 CIDR of /8../24)\n", cc);
			free(listen_addr);
			free(node_ip);
			return 2;
		}
	}
	opts.listen_addr = listen_addr;
	if (!node_ip) {
		/* the default route's interface address, as the agent finds it */
		char buf[64];
		if (agent_sys_node_ip(buf, sizeof(buf)) == 0)
			node_ip = strdup(buf);
	}
	/* The kubeconfig names the node's address (given or found), else where the server listens. */
	char *url_host_copy = strdup(node_ip ? node_ip
				     : strcmp(listen_addr, "0.0.0.0") == 0 || !*listen_addr ? "127.0.0.1" : listen_addr);
	opts.node_ip = node_ip;
	signal(SIGPIPE, SIG_IGN);
	/* Everything the server writes in the data dir (SQLite's WAL and shm included) is private. */
	umask(077);
	evthread_use_pthreads();

	if (mkdir(opts.data_dir, 0700) < 0 && errno != EEXIST) {
		log_err("cannot create %s: %s", opts.data_dir, strerror(errno));
		goto out;
	}
	{
		int n = 0;
		if (node_ip)
			ip_sans[n++] = node_ip;
		if (strcmp(listen_addr, "0.0.0.0") != 0 && strcmp(listen_addr, "::") != 0 && listen_addr[0])
			ip_sans[n++] = listen_addr;
		ip_sans[n++] = "10.43.0.1"; /* pods reach the API through the kubernetes Service */
		ip_sans[n] = NULL;
	}
	rc = pki_ensure(opts.data_dir, ip_sans, NULL);
	if (rc < 0) {
		log_err("PKI in %s: %s", opts.data_dir, strerror(-rc));
		goto out;
	}
	s.base = event_base_new();
	if (!s.base)
		goto out;
	snprintf(dbpath, sizeof(dbpath), "%s/state.db", opts.data_dir);
	sopts.path = dbpath;
	rc = store_open(s.base, &sopts, &s.store);
	if (rc < 0) {
		log_err("store %s: %s", dbpath, strerror(-rc));
		goto out;
	}
	rc = api_server_start(&s.api, s.base, s.store, &opts);
	if (rc < 0) {
		log_err("API server on %s:%d: %s", listen_addr, opts.listen_port, strerror(-rc));
		goto out;
	}
	rc = kind_init(&s.api);
	if (rc < 0) {
		log_err("service registry: invalid --service-cidr or --service-node-port-range (%s)", strerror(-rc));
		goto out;
	}
	if (!url_host_copy || asprintf(&s.kubeconfig_url, strchr(url_host_copy, ':') ? "https://[%s]:%d" : "https://%s:%d",
						       url_host_copy, opts.listen_port) < 0)
		goto out;
	log_info("portico server listening on %s:%d (revision %lld)", listen_addr, opts.listen_port,
		 (long long)store_rev(s.store));
	s.sig_int = evsignal_new(s.base, SIGINT, on_signal, &s);
	s.sig_term = evsignal_new(s.base, SIGTERM, on_signal, &s);
	s.boot_ev = evtimer_new(s.base, on_boot, &s);
	s.sweep_ev = event_new(s.base, -1, EV_PERSIST, on_sweep, &s);
	if (!s.sig_int || !s.sig_term || !s.boot_ev || !s.sweep_ev)
		goto out;
	event_add(s.sig_int, NULL);
	event_add(s.sig_term, NULL);
	{
		struct timeval now = { 0, 0 }, sweep = { 1, 0 };
		evtimer_add(s.boot_ev, &now);
		event_add(s.sweep_ev, &sweep);
	}
	event_base_dispatch(s.base);
	ret = 0;
out:
	/* Order matters: watches stop first (they hold store watches), then the store drains its
	 * queue (done callbacks still answer through evhttp), then evhttp goes. */
	agent_thread_stop(s.agent);
	ctrl_manager_stop(s.ctrl);
	watch_close_all(&s.api);
	store_close(s.store);
	api_server_stop(&s.api);
	kind_free(&s.api);
	if (s.sig_int)
		event_free(s.sig_int);
	if (s.sig_term)
		event_free(s.sig_term);
	if (s.boot_ev)
		event_free(s.boot_ev);
	if (s.sweep_ev)
		event_free(s.sweep_ev);
	if (s.base)
		event_base_free(s.base);
	free(s.kubeconfig_url);
	free(url_host_copy);
	free(listen_addr);
	free(node_ip);
	return ret;
}
