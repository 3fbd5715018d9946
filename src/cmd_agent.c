/* portico agent: the node agent. This first slice registers the Node with the API server, renews
 * its Lease in kube-node-lease and keeps its status (see agent/agent.h); it authenticates with the
 * server's node token (DATA/node-token, user "system:node"). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent/agent.h"
#include "agent/agent_sys.h"
#include "client/kclient.h"
#include "cmd.h"
#include "core/log.h"
#include "core/pki.h"
#include "dns/dns_node.h"
#include "lib/version.h"
#include "proxy/proxy.h"

#define AGENT_DATA_DIR_DEFAULT "/var/lib/portico-agent"

static void usage(FILE *f)
{
	fprintf(f, "usage: portico agent --server URL --token-file FILE [options]\n"
		   "  --server URL          the API server, https://HOST:PORT\n"
		   "  --token-file FILE     bearer token: the server's DATA/node-token\n"
		   "  --ca-file FILE        CA that signs the server's certificate (default DATA_DIR/ca.crt)\n"
		   "  --node-name NAME      the Node's name (default: the host name, lower-cased)\n"
		   "  --node-ip IP          the Node's InternalIP (default: address of the default route's\n"
		   "                        interface, else the first non-loopback IPv4 address)\n"
		   "  --data-dir DIR        the agent's state (default " AGENT_DATA_DIR_DEFAULT ")\n"
		   "  --log-level LEVEL     error, warn, info, debug (default info)\n"
		   "  --nodeport-addresses LIST  IPv4 addresses NodePorts answer on (default: the node IP)\n"
		   "  --cluster-cidr CIDR   pod addresses (default " PROXY_CLUSTER_CIDR_DEFAULT ")\n"
		   "  --service-cidr CIDR   Service addresses (default " PROXY_SERVICE_CIDR_DEFAULT ")\n"
		   "  --proxy-health-port N service proxy health and metrics (default 10256; 0: off)\n"
		   "  --cluster-dns IP      the cluster DNS address, served here (default " DNS_NODE_CLUSTER_DNS_DEFAULT ";\n"
		   "                        the service proxy leaves it alone)\n"
		   "  --cluster-domain D    the cluster's DNS zone (default cluster.local)\n"
		   "  --dns-upstream LIST   resolvers for other names, IP[:PORT],... (default: /etc/resolv.conf;\n"
		   "                        \"\" for none: other names are REFUSED)\n"
		   "  --dns-port PORT       DNS port (default 53; 0 turns cluster DNS off)\n");
}

/* A DNS-1123 subdomain, as a Node name must be (lower-case alphanumerics, '-' and '.', at most
 * 253 characters, alphanumeric at both ends of each label). */
static bool valid_node_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (alnum)
			continue;
		if (c != '-' && c != '.')
			return false;
		if (i == 0 || i == n - 1 || s[i - 1] == '.' || (c == '.' && s[i - 1] == '-'))
			return false;
	}
	return true;
}

static int read_token_file(const char *path, char **ret)
{
	char *d = strdup(path), *b = strdup(path);
	int rc = -ENOMEM;

	if (d && b)
		rc = pki_read_token(dirname(d), basename(b), ret);
	free(d);
	free(b);
	return rc;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	log_info("agent: signal %d: shutting down", (int)sig);
	event_base_loopexit(arg, NULL);
}

int cmd_agent(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "node-name", required_argument, NULL, 'n' },
		{ "node-ip", required_argument, NULL, 'i' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "nodeport-addresses", required_argument, NULL, 'N' },
		{ "cluster-cidr", required_argument, NULL, 'C' },
		{ "service-cidr", required_argument, NULL, 'S' },
		{ "cluster-dns", required_argument, NULL, 'D' },
		{ "proxy-health-port", required_argument, NULL, 'H' },
		{ "cluster-domain", required_argument, NULL, 'Z' },
		{ "dns-upstream", required_argument, NULL, 'U' },
		{ "dns-port", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *token_file = NULL, *ca_file = NULL, *node_name = NULL, *node_ip = NULL;
	const char *data_dir = AGENT_DATA_DIR_DEFAULT;
	char ca_buf[PATH_MAX], ip_buf[INET6_ADDRSTRLEN], runtime[128], *token = NULL;
	unsigned char addr[16];
	agent_sys_t sys;
	agent_node_info_t info = { 0 };
	kclient_config_t kc = { 0 };
	struct event_base *base = NULL;
	struct event *sig_term = NULL, *sig_int = NULL;
	kclient_t *c = NULL;
	agent_t *a = NULL;
	dns_node_config_t dns_cfg = { .port = 53 };
	dns_node_t *dns = NULL;
	proxy_config_t pc = { 0 };
	proxy_t *proxy = NULL;
	int ch, rc, ret = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 'c':
			ca_file = optarg;
			break;
		case 'n':
			node_name = optarg;
			break;
		case 'i':
			node_ip = optarg;
			break;
		case 'd':
			data_dir = optarg;
			break;
		case 'v':
			rc = log_level_parse(optarg);
			if (rc < 0) {
				fprintf(stderr, "portico agent: invalid --log-level '%s'\n", optarg);
				return 2;
			}
			log_level = rc;
			break;
		case 'D': /* served here by cluster DNS; the proxy leaves it alone */
			dns_cfg.cluster_dns = optarg;
			pc.cluster_dns = optarg;
			break;
		case 'Z':
			dns_cfg.cluster_domain = optarg;
			break;
		case 'U':
			dns_cfg.upstream = optarg;
			break;
		case 'P': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 0 || v > 65535) {
				fprintf(stderr, "portico agent: invalid --dns-port '%s'\n", optarg);
				return 2;
			}
			dns_cfg.port = (int)v;
			break;
		}
		case 'N':
			pc.nodeport_addresses = optarg;
			break;
		case 'C':
			pc.cluster_cidr = optarg;
			break;
		case 'S':
			pc.service_cidr = optarg;
			break;
		case 'H': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 0 || v > 65535) {
				fprintf(stderr, "portico agent: invalid --proxy-health-port '%s'\n", optarg);
				return 2;
			}
			pc.health_port = v ? (int)v : -1;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !server || !token_file) {
		usage(stderr);
		return 2;
	}
	agent_sys_read(&sys);
	if (!node_name)
		node_name = sys.hostname;
	if (!valid_node_name(node_name)) {
		fprintf(stderr, "portico agent: invalid node name '%s' (want a DNS-1123 subdomain; see --node-name)\n",
			node_name);
		return 2;
	}
	if (node_ip) {
		if (inet_pton(AF_INET, node_ip, addr) != 1 && inet_pton(AF_INET6, node_ip, addr) != 1) {
			fprintf(stderr, "portico agent: invalid --node-ip '%s'\n", node_ip);
			return 2;
		}
	} else {
		rc = agent_sys_node_ip(ip_buf, sizeof(ip_buf));
		if (rc < 0) {
			fprintf(stderr, "portico agent: cannot find this node's address (%s); use --node-ip\n", strerror(-rc));
			return 1;
		}
		node_ip = ip_buf;
	}
	pc.node_name = node_name;
	pc.node_ip = node_ip;
	if (proxy_config_check(&pc) < 0) {
		fprintf(stderr, "portico agent: invalid --nodeport-addresses, --cluster-cidr, --service-cidr or --cluster-dns\n");
		return 2;
	}
	if (!ca_file) {
		snprintf(ca_buf, sizeof(ca_buf), "%s/ca.crt", data_dir);
		ca_file = ca_buf;
	}
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	if (mkdir(data_dir, 0700) < 0 && errno != EEXIST) {
		log_err("agent: cannot create %s: %s", data_dir, strerror(errno));
		return 1;
	}
	rc = read_token_file(token_file, &token);
	if (rc < 0) {
		log_err("agent: token file %s: %s", token_file, strerror(-rc));
		return 1;
	}
	if (access(ca_file, R_OK) < 0) {
		log_err("agent: CA file %s: %s (see --ca-file)", ca_file, strerror(errno));
		goto out;
	}

	base = event_base_new();
	if (!base)
		goto out;
	kc.server = server;
	kc.ca_file = ca_file;
	kc.token = token;
	kc.timeout_sec = AGENT_RENEW_SEC; /* a renewal slower than its interval is as good as lost */
	kc.user_agent = "portico-agent";
	rc = kclient_new(base, &kc, &c);
	explicit_bzero(token, strlen(token));
	if (rc < 0) {
		log_err("agent: API client for %s: %s", server, strerror(-rc));
		goto out;
	}
	snprintf(runtime, sizeof(runtime), "portico://%s", PORTICO_VERSION);
	info.name = node_name;
	info.ip = node_ip;
	info.hostname = sys.hostname[0] ? sys.hostname : node_name;
	info.cpus = sys.cpus;
	info.mem_bytes = sys.mem_bytes;
	info.arch = agent_node_goarch(sys.machine);
	info.kernel = sys.kernel;
	info.os_image = sys.os_image;
	info.machine_id = sys.machine_id;
	info.boot_id = sys.boot_id;
	info.version = K8S_GIT_VERSION;
	info.runtime = runtime;
	rc = agent_new(c, &info, &a);
	if (rc < 0) {
		log_err("agent: %s", strerror(-rc));
		goto out;
	}
	rc = proxy_start(base, c, &pc, &proxy);
	if (rc < 0) {
		log_err("agent: service proxy: %s", strerror(-rc));
		goto out;
	}
	if (dns_cfg.port) {
		/* cluster DNS on this node, fed from the same API connection */
		dns_cfg.node_ip = node_ip;
		rc = dns_node_start(base, c, &dns_cfg, &dns);
		if (rc < 0) {
			log_err("agent: cluster DNS: %s", strerror(-rc));
			goto out;
		}
	}
	sig_term = evsignal_new(base, SIGTERM, on_signal, base);
	sig_int = evsignal_new(base, SIGINT, on_signal, base);
	if (!sig_term || !sig_int)
		goto out;
	event_add(sig_term, NULL);
	event_add(sig_int, NULL);
	log_info("agent: node %s (%s) reporting to %s", node_name, node_ip, server);
	event_base_dispatch(base);
	ret = 0;
out:
	proxy_free(proxy);
	dns_node_free(dns);
	agent_free(a);
	kclient_free(c);
	if (sig_term)
		event_free(sig_term);
	if (sig_int)
		event_free(sig_int);
	if (base)
		event_base_free(base);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	return ret;
}
