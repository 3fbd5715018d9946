/* portico podnet: drives the pod network of the node it runs on (agent/podnet.h) by hand, for the
 * end-to-end tests and for debugging. Each run is a fresh podnet_new() on the data dir, exactly what
 * a restarted agent does, then one operation. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/podnet.h"
#include "cmd.h"
#include "core/log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: portico podnet --data-dir DIR --pod-cidr CIDR [options] OPERATION [ARGS]\n"
		   "  --data-dir DIR        the agent's data dir (DIR/ipam, DIR/netns)\n"
		   "  --pod-cidr CIDR       this node's podCIDR, e.g. 10.42.1.0/24\n"
		   "  --cluster-cidr CIDR   all pods (default 10.42.0.0/16)\n"
		   "  --service-cidr CIDR   Services (default 10.43.0.0/16)\n"
		   "  --node-ip IP          this node's InternalIP\n"
		   "  --log-level LEVEL     error, warn, info, debug (default info)\n"
		   "operations:\n"
		   "  init                  set up (or adopt) the bridge, sysctls and masquerade table\n"
		   "  create UID...         create sandboxes, concurrently; one line per uid\n"
		   "  get UID               print the uid's sandbox\n"
		   "  delete UID...         tear sandboxes down\n"
		   "  list                  the uids holding a sandbox\n"
		   "  routes [CIDR=VIA...]  replace the host-gw routes to other nodes' podCIDRs\n");
}

static void print_sandbox(const char *uid, const podnet_sandbox_t *s)
{
	printf("%s ip=%s gateway=%s host_if=%s netns=%s\n", uid, s->ip, s->gateway, s->host_if, s->netns_path);
}

typedef struct create_job {
	podnet_t *p;
	const char *uid;
	podnet_sandbox_t sb;
	int rc;
} create_job_t;

static void *create_thread(void *arg)
{
	create_job_t *j = arg;
	j->rc = podnet_sandbox_create(j->p, j->uid, &j->sb);
	return NULL;
}

static int op_create(podnet_t *p, int n, char **uids)
{
	create_job_t *jobs = calloc((size_t)n, sizeof(*jobs));
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	int fails = 0;
	if (!jobs || !t) {
		free(jobs);
		free(t);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		jobs[i] = (create_job_t){ .p = p, .uid = uids[i] };
		if (pthread_create(&t[i], NULL, create_thread, &jobs[i]) != 0) {
			jobs[i].rc = -EAGAIN;
			t[i] = 0;
		}
	}
	for (int i = 0; i < n; i++) {
		if (t[i])
			pthread_join(t[i], NULL);
		if (jobs[i].rc < 0) {
			fprintf(stderr, "portico podnet: create %s: %s\n", uids[i], strerror(-jobs[i].rc));
			fails++;
		} else {
			print_sandbox(uids[i], &jobs[i].sb);
		}
	}
	free(jobs);
	free(t);
	return fails ? 1 : 0;
}

static void print_uid(const char *uid, void *arg)
{
	printf("%s\n", uid);
}

static int op_routes(podnet_t *p, int n, char **args)
{
	podnet_route_t *r = calloc((size_t)n + 1, sizeof(*r));
	char **copies = calloc((size_t)n + 1, sizeof(*copies));
	int rc = -ENOMEM;
	if (!r || !copies)
		goto out;
	for (int i = 0; i < n; i++) {
		if (!(copies[i] = strdup(args[i])))
			goto out;
		char *eq = strchr(copies[i], '=');
		if (!eq) {
			rc = -EINVAL;
			goto out;
		}
		*eq = 0;
		r[i] = (podnet_route_t){ .cidr = copies[i], .via = eq + 1 };
	}
	rc = podnet_set_routes(p, r, (size_t)n);
out:
	if (rc < 0)
		fprintf(stderr, "portico podnet: routes: %s\n", strerror(-rc));
	for (int i = 0; copies && i < n; i++)
		free(copies[i]);
	free(copies);
	free(r);
	return rc < 0 ? 1 : 0;
}

int cmd_podnet(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },     { "pod-cidr", required_argument, NULL, 'p' },
		{ "cluster-cidr", required_argument, NULL, 'c' }, { "service-cidr", required_argument, NULL, 's' },
		{ "node-ip", required_argument, NULL, 'n' },      { "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },               { 0 },
	};
	podnet_config_t cfg = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.data_dir = optarg; break;
		case 'p': cfg.pod_cidr = optarg; break;
		case 'c': cfg.cluster_cidr = optarg; break;
		case 's': cfg.service_cidr = optarg; break;
		case 'n': cfg.node_ip = optarg; break;
		case 'l':
			if ((log_level = log_level_parse(optarg)) < 0) {
				fprintf(stderr, "portico podnet: invalid --log-level '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!cfg.data_dir || !cfg.pod_cidr || optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *op = argv[optind];
	int nargs = argc - optind - 1;
	char **args = argv + optind + 1;
	bool known = strcmp(op, "init") == 0 || strcmp(op, "create") == 0 || strcmp(op, "get") == 0 ||
		     strcmp(op, "delete") == 0 || strcmp(op, "list") == 0 || strcmp(op, "routes") == 0;
	if (!known || ((strcmp(op, "create") == 0 || strcmp(op, "delete") == 0) && nargs < 1) ||
	    (strcmp(op, "get") == 0 && nargs != 1)) {
		usage(stderr);
		return 2;
	}

	podnet_t *p;
	int rc = podnet_new(&cfg, &p);
	if (rc < 0) {
		fprintf(stderr, "portico podnet: setting up the pod network: %s\n", strerror(-rc));
		return 1;
	}
	int status = 0;
	if (strcmp(op, "create") == 0) {
		status = op_create(p, nargs, args);
	} else if (strcmp(op, "get") == 0) {
		podnet_sandbox_t sb;
		if ((rc = podnet_sandbox_get(p, args[0], &sb)) < 0) {
			fprintf(stderr, "portico podnet: get %s: %s\n", args[0], strerror(-rc));
			status = 1;
		} else {
			print_sandbox(args[0], &sb);
		}
	} else if (strcmp(op, "delete") == 0) {
		for (int i = 0; i < nargs; i++)
			if ((rc = podnet_sandbox_delete(p, args[i])) < 0) {
				fprintf(stderr, "portico podnet: delete %s: %s\n", args[i], strerror(-rc));
				status = 1;
			}
	} else if (strcmp(op, "list") == 0) {
		if ((rc = podnet_sandbox_foreach(p, print_uid, NULL)) < 0) {
			fprintf(stderr, "portico podnet: list: %s\n", strerror(-rc));
			status = 1;
		}
	} else if (strcmp(op, "routes") == 0) {
		status = op_routes(p, nargs, args);
	}
	podnet_free(p);
	return status;
}
