/* portico agent: the node agent. It registers the Node with the API server, renews its Lease in
 * kube-node-lease, keeps its status (agent/agent.h) and runs the Pods bound to it (agent/pods.h);
 * it authenticates with the server's node token (DATA/node-token, user "system:node"). The start
 * itself is agent_run() (agent/agent_main.h), shared with the agent inside `portico server`. */
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

#include "agent/agent_main.h"
#include "agent/agent_sys.h"
#include "cmd.h"
#include "core/log.h"
#include "core/pki.h"
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
		   "  --cluster-cidr CIDR[,CIDR6]  all pods' addresses, not masqueraded (default 10.42.0.0/16)\n"
		   "  --service-cidr CIDR[,CIDR6]  ClusterIPs, not masqueraded (default 10.43.0.0/16)\n"
		   "  --cluster-dns IP      the pods' nameserver (default 10.43.0.10)\n"
		   "  --cluster-domain DOM  the cluster's DNS domain (default cluster.local)\n"
		   "  --nodeport-addresses LIST  addresses NodePorts answer on, IPv4 and IPv6 (default: the node IP)\n"
		   "  --proxy-health-port N service proxy health and metrics (default 10256; 0: off)\n"
		   "  --disable-proxy       program no service proxy (nftables) on this node\n"
		   "  --dns-upstream LIST   resolvers for other names, IP[:PORT],... (default: /etc/resolv.conf;\n"
		   "                        \"\" for none: other names are REFUSED)\n"
		   "  --dns-port PORT       cluster DNS port on --cluster-dns (default 53; 0 turns cluster DNS off)\n"
		   "  --log-level LEVEL     error, warn, info, debug (default info)\n");
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

/* A CIDR list "CIDR[,CIDR]" (dual stack: one IPv4 and at most one IPv6), with an IPv4 one. */
static bool valid_cidr_list(const char *s)
{
	char buf[128], *tok, *save = NULL;
	int n4 = 0, n6 = 0;

	if (strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(tok, '/'), *end;
		unsigned char addr[16];
		bool v6;
		long n;

		if (!slash)
			return false;
		*slash = '\0';
		v6 = strchr(tok, ':') != NULL;
		n = strtol(slash + 1, &end, 10);
		if (inet_pton(v6 ? AF_INET6 : AF_INET, tok, addr) != 1 || !slash[1] || *end || n < 0 || n > (v6 ? 128 : 32))
			return false;
		if (v6 ? n6++ : n4++)
			return false;
	}
	return n4 == 1;
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
		{ "cluster-cidr", required_argument, NULL, 'C' },
		{ "service-cidr", required_argument, NULL, 'S' },
		{ "cluster-dns", required_argument, NULL, 'D' },
		{ "cluster-domain", required_argument, NULL, 'O' },
		{ "nodeport-addresses", required_argument, NULL, 'N' },
		{ "proxy-health-port", required_argument, NULL, 'H' },
		{ "disable-proxy", no_argument, NULL, 'X' },
		{ "dns-upstream", required_argument, NULL, 'U' },
		{ "dns-port", required_argument, NULL, 'P' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *token_file = NULL, *ca_file = NULL, *node_name = NULL, *node_ip = NULL;
	const char *data_dir = AGENT_DATA_DIR_DEFAULT, *cluster_cidr = "10.42.0.0/16", *service_cidr = "10.43.0.0/16";
	const char *cluster_dns = "10.43.0.10", *cluster_domain = "cluster.local";
	char ca_buf[PATH_MAX], ip_buf[INET6_ADDRSTRLEN], *token = NULL;
	unsigned char addr[16];
	agent_sys_t sys;
	agent_config_t cfg = { .dns_port = 53 };
	proxy_config_t pc = { 0 };
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
		case 'C':
			cluster_cidr = optarg;
			break;
		case 'S':
			service_cidr = optarg;
			break;
		case 'D':
			cluster_dns = optarg;
			break;
		case 'O':
			cluster_domain = optarg;
			break;
		case 'N':
			cfg.nodeport_addresses = optarg;
			break;
		case 'X':
			cfg.no_proxy = true;
			break;
		case 'U':
			cfg.dns_upstream = optarg;
			break;
		case 'P': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 0 || v > 65535) {
				fprintf(stderr, "portico agent: invalid --dns-port '%s'\n", optarg);
				return 2;
			}
			cfg.dns_port = (int)v;
			break;
		}
		case 'H': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 0 || v > 65535) {
				fprintf(stderr, "portico agent: invalid --proxy-health-port '%s'\n", optarg);
				return 2;
			}
			cfg.proxy_health_port = v ? (int)v : -1;
			break;
		}
		case 'v':
			rc = log_level_parse(optarg);
			if (rc < 0) {
				fprintf(stderr, "portico agent: invalid --log-level '%s'\n", optarg);
				return 2;
			}
			log_level = rc;
			break;
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
	if (!valid_cidr_list(cluster_cidr) || !valid_cidr_list(service_cidr)) {
		fprintf(stderr, "portico agent: invalid --cluster-cidr or --service-cidr (want an IPv4 CIDR, or IPv4,IPv6)\n");
		return 2;
	}
	if (inet_pton(AF_INET, cluster_dns, addr) != 1) {
		fprintf(stderr, "portico agent: invalid --cluster-dns '%s'\n", cluster_dns);
		return 2;
	}
	if (!valid_node_name(cluster_domain)) {
		fprintf(stderr, "portico agent: invalid --cluster-domain '%s'\n", cluster_domain);
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
	pc.nodeport_addresses = cfg.nodeport_addresses;
	pc.cluster_cidr = cluster_cidr;
	pc.service_cidr = service_cidr;
	pc.cluster_dns = cluster_dns;
	if (!cfg.no_proxy && proxy_config_check(&pc) < 0) {
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
	cfg.server_url = server;
	cfg.ca_file = ca_file;
	cfg.token = token;
	cfg.node_name = node_name;
	cfg.node_ip = node_ip;
	cfg.data_dir = data_dir;
	cfg.cluster_cidr = cluster_cidr;
	cfg.service_cidr = service_cidr;
	cfg.cluster_dns = cluster_dns;
	cfg.cluster_domain = cluster_domain;
	ret = agent_run(&cfg);
out:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	return ret;
}
