/* portico runtime-test: a test aid, not for production. It drives the exec runtime (agent/runtime.h)
 * without an API server, one call per invocation, so tests/e2e/test_runtime.sh can start a pod, kill
 * the "agent" (this process) and adopt the pod from a fresh one. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "agent/podfiles.h"
#include "agent/runtime.h"
#include "cmd.h"
#include "core/log.h"

typedef struct rtt {
	struct event_base *base;
	runtime_t *rt;
	const char *watch_uid; /* --hold / wait-change: the pod whose changes are printed */
	int changes;
	int exec_status;
	bool stop_done;
	struct timespec t0;
} rtt_t;

static void usage(void)
{
	fprintf(stderr,
		"usage: portico runtime-test [--data-dir DIR] [--exe PORTICO] [--image-map FILE] COMMAND ...\n"
		"  (a test aid: drives the exec runtime without an API server)\n"
		"  run POD.json [--netns PATH] [--ip IP] [--services SERVICES.json] [--hold]\n"
		"  status UID | list | remove UID | log UID CONTAINER [--previous]\n"
		"  stop UID GRACE | kill UID CONTAINER GRACE | wait-change UID SECONDS\n"
		"  exec UID CONTAINER TIMEOUT_MS ARG...\n");
}

static double elapsed(const rtt_t *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->t0.tv_sec) + (double)(now.tv_nsec - t->t0.tv_nsec) / 1e9;
}

static void on_change(const char *uid, void *arg)
{
	rtt_t *t = arg;

	if (t->watch_uid && strcmp(uid, t->watch_uid) == 0) {
		t->changes++;
		printf("change %s %.3f\n", uid, elapsed(t));
		fflush(stdout);
		if (t->changes > 0 && t->base && t->exec_status == -1000)
			event_base_loopbreak(t->base);
	}
}

static void on_stopped(const char *uid, void *arg)
{
	rtt_t *t = arg;

	printf("stopped %s after %.2f s\n", uid, elapsed(t));
	t->stop_done = true;
	event_base_loopbreak(t->base);
}

static void on_exec(int status, const char *output, size_t len, void *arg)
{
	rtt_t *t = arg;

	printf("status=%d\n", status);
	fwrite(output, 1, len, stdout);
	t->exec_status = status;
	event_base_loopbreak(t->base);
}

static void on_list(const char *uid, bool running, void *arg)
{
	(void)arg;
	printf("%s %s\n", uid, running ? "running" : "stopped");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static bool to_int(const char *s, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 1000000000)
		return false;
	*ret = (int)v;
	return true;
}

static int cmd_run(rtt_t *t, int argc, char **argv)
{
	const char *netns = NULL, *ip = "", *services = NULL;
	json_t *pod, *svcs = NULL, *env = NULL;
	bool hold = false;
	json_error_t err;
	int rc;

	if (argc < 2)
		return 2;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--hold") == 0)
			hold = true;
		else if (i + 1 < argc && strcmp(argv[i], "--netns") == 0)
			netns = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--ip") == 0)
			ip = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--services") == 0)
			services = argv[++i];
		else
			return 2;
	}
	pod = json_load_file(argv[1], 0, &err);
	if (!pod) {
		fprintf(stderr, "runtime-test: %s: %s\n", argv[1], err.text);
		return 1;
	}
	if (services) {
		svcs = json_load_file(services, 0, &err);
		env = svcs ? podfiles_service_env(json_object_get(svcs, "items")) : NULL;
		if (!env) {
			fprintf(stderr, "runtime-test: %s: bad services list\n", services);
			json_decref(svcs);
			json_decref(pod);
			return 1;
		}
	}
	{
		runtime_pod_spec_t ps = { .pod = pod, .netns_path = netns, .pod_ip = ip, .env = env };

		t->watch_uid = json_string_value(json_object_get(json_object_get(pod, "metadata"), "uid"));
		rc = runtime_pod_run(t->rt, &ps);
	}
	if (rc < 0) {
		fprintf(stderr, "runtime-test: run: %s\n", strerror(-rc));
	} else {
		printf("running %s\n", t->watch_uid);
		fflush(stdout);
		if (hold) {
			t->exec_status = 0;
			event_base_dispatch(t->base);
		}
	}
	t->watch_uid = NULL;
	json_decref(env);
	json_decref(svcs);
	json_decref(pod);
	return rc < 0 ? 1 : 0;
}

int cmd_runtime_test(int argc, char **argv)
{
	runtime_config_t cfg = { .data_dir = ".", .cluster_dns = "10.43.0.10", .cluster_domain = "cluster.local" };
	rtt_t t = { .exec_status = -1000 };
	struct event *sig_term = NULL, *sig_int = NULL;
	int i = 1, rc = 2, grace;

	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &t.t0);
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--data-dir") == 0)
			cfg.data_dir = argv[i + 1];
		else if (strcmp(argv[i], "--exe") == 0)
			cfg.exe = argv[i + 1];
		else if (strcmp(argv[i], "--image-map") == 0)
			cfg.image_map = argv[i + 1];
		else
			break;
	}
	if (i >= argc) {
		usage();
		return 2;
	}
	argc -= i;
	argv += i;
	cfg.on_change = on_change;
	cfg.arg = &t;
	t.base = event_base_new();
	if (!t.base)
		return 1;
	sig_term = evsignal_new(t.base, SIGTERM, on_signal, t.base);
	sig_int = evsignal_new(t.base, SIGINT, on_signal, t.base);
	if (sig_term)
		evsignal_add(sig_term, NULL);
	if (sig_int)
		evsignal_add(sig_int, NULL);
	rc = runtime_new(t.base, &cfg, &t.rt);
	if (rc < 0) {
		fprintf(stderr, "runtime-test: %s: %s\n", cfg.data_dir, strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = 2;
	if (strcmp(argv[0], "run") == 0) {
		rc = cmd_run(&t, argc, argv);
	} else if (strcmp(argv[0], "status") == 0 && argc == 2) {
		json_t *st = runtime_pod_statuses(t.rt, argv[1]);
		char *s = st ? json_dumps(st, JSON_COMPACT) : NULL;

		printf("%s\n", s ? s : "null");
		rc = st ? 0 : 1;
		free(s);
		json_decref(st);
	} else if (strcmp(argv[0], "list") == 0) {
		rc = runtime_pod_foreach(t.rt, on_list, NULL) < 0;
	} else if (strcmp(argv[0], "remove") == 0 && argc == 2) {
		int r = runtime_pod_remove(t.rt, argv[1]);

		if (r < 0)
			fprintf(stderr, "runtime-test: remove: %s\n", strerror(-r));
		rc = r < 0;
	} else if (strcmp(argv[0], "log") == 0 && (argc == 3 || argc == 4)) {
		char path[4096];
		int r = runtime_log_path(t.rt, argv[1], argv[2], argc == 4 && strcmp(argv[3], "--previous") == 0, path,
					 sizeof(path));

		if (r == 0)
			printf("%s\n", path);
		else
			fprintf(stderr, "runtime-test: log: %s\n", strerror(-r));
		rc = r < 0;
	} else if (strcmp(argv[0], "stop") == 0 && argc == 3 && to_int(argv[2], &grace)) {
		int r = runtime_pod_stop(t.rt, argv[1], grace, on_stopped, &t);

		if (r == 0)
			event_base_dispatch(t.base);
		rc = r < 0 || !t.stop_done;
	} else if (strcmp(argv[0], "kill") == 0 && argc == 4 && to_int(argv[3], &grace)) {
		int r = runtime_container_kill(t.rt, argv[1], argv[2], grace);

		if (r < 0)
			fprintf(stderr, "runtime-test: kill: %s\n", strerror(-r));
		else {
			/* The line must leave before we exit: run the loop until it is written. */
			struct timeval tv = { 0, 200000 };

			event_base_loopexit(t.base, &tv);
			event_base_dispatch(t.base);
		}
		rc = r < 0;
	} else if (strcmp(argv[0], "wait-change") == 0 && argc == 3 && to_int(argv[2], &grace)) {
		struct timeval tv = { grace, 0 };
		runtime_pod_spec_t none = { 0 };

		(void)none;
		t.watch_uid = argv[1];
		/* Adopting connects to the supervisor, which greets with "changed"; skip that one. */
		{
			json_t *pod = json_pack("{s:{s:s,s:s}}", "metadata", "uid", argv[1], "name", "x");
			runtime_pod_spec_t ps = { .pod = pod };

			if (!runtime_pod_running(t.rt, argv[1]) || runtime_pod_run(t.rt, &ps) < 0) {
				json_decref(pod);
				fprintf(stderr, "runtime-test: wait-change: not running\n");
				rc = 1;
				goto out;
			}
			json_decref(pod);
		}
		event_base_dispatch(t.base); /* the greeting */
		t.changes = 0;
		event_base_loopexit(t.base, &tv);
		event_base_dispatch(t.base);
		rc = t.changes > 0 ? 0 : 1;
	} else if (strcmp(argv[0], "exec") == 0 && argc >= 5 && to_int(argv[3], &grace)) {
		int r = runtime_exec(t.rt, argv[1], argv[2], argv + 4, grace, on_exec, &t);

		if (r < 0) {
			printf("status=%d\n", r);
			rc = 1;
		} else {
			event_base_dispatch(t.base);
			rc = 0;
		}
	}
	if (rc == 2)
		usage();
out:
	runtime_free(t.rt);
	if (sig_term)
		event_free(sig_term);
	if (sig_int)
		event_free(sig_int);
	event_base_free(t.base);
	return rc;
}
