/* The informer against a real API server (cmd_server in a child process, on loopback): a list
 * bigger than one page arrives whole; a transform slims what the cache keeps and keeps objects out
 * of it, an object that leaves through the transform is reported as a delete and one that enters as
 * an add; informer_relist() applies a changed transform. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "client/informer.h"
#include "client/kclient.h"
#include "cmd.h"
#include "harness.h"

#define N_OBJ 1100 /* more than two pages of 500 */

static struct event_base *base;
static kclient_t *kc;
static int created, create_failed, patched;
static int adds, updates, deletes;
static bool keep_all;

static void on_created(int status, json_t *body, void *arg)
{
	(void)body;
	(void)arg;
	if (status == 201)
		created++;
	else
		create_failed++;
}

static void on_patched(int status, json_t *body, void *arg)
{
	(void)body;
	(void)arg;
	if (status == 200)
		patched++;
}

static bool run_until(bool (*cond)(void), int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!cond()) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			return false;
		usleep(200);
	}
	return true;
}

static informer_t *inf_all, *inf_slim;
static int want_patched;

static bool all_created(void) { return created + create_failed == N_OBJ; }
static bool both_synced(void) { return informer_has_synced(inf_all) && informer_has_synced(inf_slim); }
static bool patches_done(void) { return patched == want_patched; }
static bool slim_has_550(void) { return json_object_size(informer_cache(inf_slim)) == N_OBJ / 2 && deletes == 1 && adds == N_OBJ / 2 + 1; }
static bool slim_has_all(void) { return json_object_size(informer_cache(inf_slim)) == N_OBJ; }

/* Keeps ConfigMaps labelled keep=yes (all of them when keep_all), as metadata plus that label. */
static json_t *slim(const json_t *obj, void *arg)
{
	const json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	const char *keep = json_string_value(json_object_get(labels, "keep"));
	json_t *out;

	(void)arg;
	if (!keep_all && (!keep || strcmp(keep, "yes") != 0))
		return NULL;
	out = informer_meta_copy(obj);
	if (out && keep)
		json_object_set_new(json_object_get(out, "metadata"), "keep", json_string(keep));
	return out;
}

static void h_add(informer_t *inf, const json_t *obj, void *arg) { (void)inf; (void)obj; (void)arg; adds++; }
static void h_upd(informer_t *inf, const json_t *o, const json_t *n, void *arg) { (void)inf; (void)o; (void)n; (void)arg; updates++; }
static void h_del(informer_t *inf, const json_t *obj, void *arg) { (void)inf; (void)obj; (void)arg; deletes++; }

static void patch_label(const char *name, const char *keep)
{
	char path[128];
	json_t *body = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "keep", keep);

	snprintf(path, sizeof(path), "/api/v1/namespaces/default/configmaps/%s", name);
	CHECK_INT(kclient_request(kc, "PATCH", path, body, "application/merge-patch+json", on_patched, NULL, NULL), 0);
	json_decref(body);
}

static void test_paged_list_and_transform(void)
{
	informer_handlers_t h = { h_add, h_upd, h_del, NULL };
	const json_t *o;
	const char *key;
	int with_data = 0;

	for (int i = 0; i < N_OBJ; i++) {
		json_t *cm = json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
				       "metadata", "name", "", "labels", "keep", i % 2 ? "no" : "yes", "data", "k",
				       "a value the slim copy leaves out");
		char name[32];

		snprintf(name, sizeof(name), "cm-%04d", i);
		json_object_set_new(json_object_get(cm, "metadata"), "name", json_string(name));
		CHECK_INT(kclient_request(kc, "POST", "/api/v1/namespaces/default/configmaps", cm, NULL, on_created,
					  NULL, NULL), 0);
		json_decref(cm);
		if (i % 32 == 31)
			run_until(all_created, 0); /* let some replies in */
	}
	CHECK(run_until(all_created, 60000));
	CHECK_INT(create_failed, 0);

	CHECK_INT(informer_new(kc, "/api/v1/namespaces/default/configmaps", NULL, &inf_all), 0);
	CHECK_INT(informer_new(kc, "/api/v1/namespaces/default/configmaps", NULL, &inf_slim), 0);
	CHECK_INT(informer_set_transform(inf_slim, slim, NULL), 0);
	CHECK_INT(informer_add_handlers(inf_slim, &h), 0);
	CHECK_INT(informer_start(inf_all), 0);
	CHECK_INT(informer_start(inf_slim), 0);
	CHECK_INT(informer_set_transform(inf_slim, slim, NULL), -EBUSY);
	CHECK(run_until(both_synced, 30000));

	/* every page arrived (1,100 > 2 x 500), unchanged in the plain informer */
	CHECK_INT(json_object_size(informer_cache(inf_all)), N_OBJ);
	CHECK(json_object_get(informer_get(inf_all, "default/cm-0001"), "data") != NULL);
	/* the transform's cache: half, slim */
	CHECK_INT(json_object_size(informer_cache(inf_slim)), N_OBJ / 2);
	CHECK_INT(adds, N_OBJ / 2);
	CHECK(informer_get(inf_slim, "default/cm-0000") != NULL);
	CHECK(informer_get(inf_slim, "default/cm-0001") == NULL);
	json_object_foreach((json_t *)informer_cache(inf_slim), key, o)
		if (json_object_get(o, "data"))
			with_data++;
	CHECK_INT(with_data, 0);
	CHECK(json_string_value(json_object_get(json_object_get(informer_get(inf_slim, "default/cm-0000"), "metadata"),
						"resourceVersion")) != NULL);

	/* leaving through the transform is a delete; entering is an add */
	want_patched = 2;
	patch_label("cm-0000", "no");
	patch_label("cm-0001", "yes");
	CHECK(run_until(patches_done, 10000));
	CHECK(run_until(slim_has_550, 10000));
	CHECK(informer_get(inf_slim, "default/cm-0000") == NULL);
	CHECK(informer_get(inf_slim, "default/cm-0001") != NULL);
	CHECK_INT(deletes, 1);

	/* a changed transform applies on relist */
	keep_all = true;
	informer_relist(inf_slim);
	CHECK(run_until(slim_has_all, 30000));
	CHECK_INT(json_object_size(informer_cache(inf_slim)), N_OBJ);
	CHECK_INT(adds, N_OBJ + 1);
	CHECK_INT(deletes, 1);
	informer_free(inf_all);
	informer_free(inf_slim);
}

static void test_meta_copy(void)
{
	json_t *o = json_pack("{s:{s:s,s:s,s:s,s:s},s:{s:i}}", "metadata", "name", "a", "namespace", "ns",
			      "resourceVersion", "7", "uid", "u", "spec", "x", 1);
	json_t *c = informer_meta_copy(o);
	char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);

	CHECK_STR(s, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"7\"}}");
	free(s);
	json_decref(c);
	json_decref(o);
}

int main(void)
{
	char dir[] = "/tmp/test-informer.XXXXXX", listen[32], url[64], rmcmd[64], path[96];
	kclient_config_t cfg = { 0 };
	char *ca = NULL, *token = NULL;
	struct stat st;
	int port;
	pid_t pid;

	TEST_RUN(test_meta_copy);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	port = 20000 + rand() % 30000;
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "server", "--data-dir", dir, "--listen", listen, "--disable-agent",
				 "--disable-controllers", "--log-level", "warn", NULL };
		_exit(cmd_server(9, argv));
	}
	snprintf(path, sizeof(path), "%s/kubeconfig", dir);
	for (int i = 0; i < 600 && stat(path, &st) < 0; i++)
		usleep(50000);
	CHECK(stat(path, &st) == 0);
	base = event_base_new();
	CHECK_INT(kclient_config_admin(dir, url, &cfg, &ca, &token), 0);
	CHECK_INT(kclient_new(base, &cfg, &kc), 0);
	if (kc)
		TEST_RUN(test_paged_list_and_transform);
	kclient_free(kc);
	event_base_free(base);
	free(ca);
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(rmcmd, sizeof(rmcmd), "rm -rf %s", dir);
	if (system(rmcmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	TEST_DONE();
}
