/* The agent's log server (agent/logsrv.c) over real HTTPS on 127.0.0.1: a child process runs it
 * with a fake pod table and CRI files in a temp dir; the parent asks with curl. Covers the key and
 * certificate (0600, reused, digest = sha256 of the DER), 401 without the token, the kubelet's 404
 * and 400 answers, plain/tail/timestamps/limitBytes/previous reads, and follow: lines appended
 * while streaming arrive, and the stream ends once the container stops running. */
#include "agent/logsrv.h"

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

#include "harness.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

static char dir[64];
static int port;

static json_t *fake_pod(const char *ns, const char *name, void *arg)
{
	char stopped[128];
	bool run;

	if (strcmp(ns, "default") != 0 || strcmp(name, "p") != 0)
		return NULL;
	snprintf(stopped, sizeof(stopped), "%s/stopped", dir);
	run = access(stopped, F_OK) != 0;
	return json_pack("{s:{s:s, s:s}, s:{s:[{s:s}, {s:s}]}, s:{s:[{s:s, s:o, s:{s:{s:i}}}, {s:s, s:{s:{s:s}}}]}}",
			 "metadata", "name", "p", "uid", "uid-1", "spec", "containers", "name", "c", "name", "w",
			 "status", "containerStatuses", "name", "c", "state",
			 run ? json_pack("{s:{}}", "running") : json_pack("{s:{s:i}}", "terminated", "exitCode", 0),
			 "lastState", "terminated", "exitCode", 1, "name", "w", "state", "waiting", "reason",
			 "ContainerCreating");
}

static int fake_path(const char *uid, const char *container, bool previous, char *buf, size_t len, void *arg)
{
	if (strcmp(uid, "uid-1") != 0 || strcmp(container, "c") != 0)
		return -ENOENT;
	char flag[128];

	snprintf(flag, sizeof(flag), "%s/restarted", dir);
	if (access(flag, F_OK) == 0 && !previous)
		snprintf(buf, len, "%s/cur2.log", dir); /* a new run writes a new file */
	else
		snprintf(buf, len, "%s/%s.log", dir, previous ? "prev" : "cur");
	return 0;
}

static void append(const char *name, const char *text)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "a");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* curl's body, and the HTTP status as the last line. */
static char *curl(const char *auth, const char *path)
{
	char cmd[1024];
	static char out[65536];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "curl -sk --max-time 10 %s%s%s -w '\\n%%{http_code}' 'https://127.0.0.1:%d%s'",
		 auth ? "-H 'Authorization: Bearer " : "", auth ? auth : "", auth ? "'" : "", port, path);
	p = popen(cmd, "r");
	if (!p)
		return strcpy(out, "popen failed");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

static pid_t serve(void)
{
	int pipefd[2];
	pid_t pid;
	char ok = 0;

	if (pipe(pipefd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct event_base *base = event_base_new();
		logsrv_config_t cfg = { .data_dir = dir, .node_ip = "127.0.0.1", .node_name = "node-a", .token = TOKEN,
					.pod_get = fake_pod, .log_path = fake_path };
		logsrv_t *s = NULL;

		close(pipefd[0]);
		/* a free port: try a few random ones */
		srand((unsigned)getpid());
		for (int i = 0; i < 50 && !s; i++) {
			cfg.port = 20000 + rand() % 30000;
			if (logsrv_start(base, &cfg, &s) < 0)
				s = NULL;
		}
		if (!s)
			_exit(1);
		if (write(pipefd[1], &cfg.port, sizeof(cfg.port)) != sizeof(cfg.port))
			_exit(1);
		close(pipefd[1]);
		event_base_dispatch(base);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &port, sizeof(port)) != sizeof(port))
		ok = 1;
	close(pipefd[0]);
	return ok ? -1 : pid;
}

static void test_cert(void)
{
	char a[LOGSRV_SHA256_HEX], b[LOGSRV_SHA256_HEX], cmd[256], want[80] = "";
	struct stat st;
	FILE *p;

	CHECK_INT(logsrv_cert_ensure(dir, "node-a", "127.0.0.1", a), 0);
	CHECK_INT(strlen(a), 64);
	CHECK_INT(logsrv_cert_ensure(dir, "node-a", "127.0.0.1", b), 0);
	CHECK_STR(a, b); /* reused, not reissued */
	snprintf(cmd, sizeof(cmd), "%s/logsrv.key", dir);
	CHECK(stat(cmd, &st) == 0 && (st.st_mode & 0777) == 0600);
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s/logsrv.crt -outform DER | sha256sum", dir);
	p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%64s", want) != 1)
			want[0] = '\0';
		pclose(p);
	}
	CHECK_STR(a, want);
	/* another node IP: a new certificate for it */
	CHECK_INT(logsrv_cert_ensure(dir, "node-a", "127.0.0.2", b), 0);
	CHECK(strcmp(a, b) != 0);
	CHECK_INT(logsrv_cert_ensure(dir, "node-a", "127.0.0.1", a), 0);
}

static void test_requests(void)
{
	char *o;

	o = curl(NULL, "/containerLogs/default/p/c");
	CHECK_STR(o, "Unauthorized\n401");
	o = curl("wrong", "/containerLogs/default/p/c");
	CHECK_STR(o, "Unauthorized\n401");
	o = curl(TOKEN, "/containerLogs/default/nope/c");
	CHECK_STR(o, "pod \"nope\" does not exist\n404");
	o = curl(TOKEN, "/containerLogs/default/p/zz");
	CHECK_STR(o, "container \"zz\" not found in pod \"p\"\n404");
	o = curl(TOKEN, "/containerLogs/default/p/w");
	CHECK_STR(o, "container \"w\" in pod \"p\" is waiting to start: ContainerCreating\n400");
	o = curl(TOKEN, "/containerLogs/default/p/c?tailLines=x");
	CHECK_STR(o, "invalid query parameters\n400");
	o = curl(TOKEN, "/somewhere/else");
	CHECK_STR(o, "404 page not found\n404");

	o = curl(TOKEN, "/containerLogs/default/p/c");
	CHECK_STR(o, "one\ntwo\nthree\n\n200");
	o = curl(TOKEN, "/containerLogs/default/p/c?tailLines=1");
	CHECK_STR(o, "three\n\n200");
	o = curl(TOKEN, "/containerLogs/default/p/c?tailLines=2&timestamps=true");
	CHECK_STR(o, "2026-11-30T02:00:01Z two\n2026-11-30T02:00:02.25Z three\n\n200");
	o = curl(TOKEN, "/containerLogs/default/p/c?limitBytes=5");
	CHECK_STR(o, "one\nt\n200");
	o = curl(TOKEN, "/containerLogs/default/p/c?previous=true");
	CHECK_STR(o, "before the restart\n\n200");
	/* sinceSeconds: the file's entries are from 2026-11-30; the clock may be anywhere near */
	o = curl(TOKEN, "/containerLogs/default/p/c?sinceSeconds=1");
	CHECK(strstr(o, "200") != NULL);
}

/* Follows NAME's stream in the background; returns when the command is started. */
static void follow_start(const char *out)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "( curl -sk --max-time 15 -H 'Authorization: Bearer " TOKEN "' "
		 "'https://127.0.0.1:%d/containerLogs/default/p/c?follow=true&tailLines=1' > %s/%s; echo $? >> %s/%s.rc ) &",
		 port, dir, out, dir, out);
	CHECK(system(cmd) == 0);
}

/* Waits up to 12 s for the follow to end; its output, or "" after the timeout. */
static const char *follow_wait(const char *out, int *ret_sec)
{
	static char buf[4096];
	char p[256];
	time_t t0 = time(NULL);
	FILE *f;
	size_t n;

	buf[0] = '\0';
	snprintf(p, sizeof(p), "%s/%s.rc", dir, out);
	while (access(p, F_OK) != 0 && time(NULL) - t0 <= 12)
		usleep(100 * 1000);
	*ret_sec = (int)(time(NULL) - t0);
	snprintf(p, sizeof(p), "%s/%s", dir, out);
	f = fopen(p, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

/* A restart (a new current file) ends the stream of the old run after its last lines. */
static void test_follow_restart(void)
{
	char p[128];
	int sec;

	snprintf(p, sizeof(p), "%s/stopped", dir);
	unlink(p);
	follow_start("restart.out");
	usleep(500 * 1000);
	append("cur.log", "2026-11-30T02:00:07Z stdout F six\n");
	append("cur2.log", "2026-11-30T02:00:08Z stdout F new run\n");
	append("restarted", "");
	CHECK_STR(follow_wait("restart.out", &sec), "five\nsix\n");
	CHECK(sec <= 3);
}

static void test_follow(void)
{
	char cmd[512], out[4096] = "", path[128];
	FILE *p;
	size_t n;
	time_t t0;

	snprintf(path, sizeof(path), "%s/follow.out", dir);
	snprintf(cmd, sizeof(cmd),
		 "( curl -sk --max-time 15 -H 'Authorization: Bearer " TOKEN "' "
		 "'https://127.0.0.1:%d/containerLogs/default/p/c?follow=true&tailLines=0' > %s; echo $? >> %s.rc ) &",
		 port, path, path);
	CHECK(system(cmd) == 0);
	usleep(500 * 1000);
	append("cur.log", "2026-11-30T02:00:05Z stdout F four\n");
	usleep(500 * 1000);
	append("cur.log", "2026-11-30T02:00:06Z stderr F five\n");
	usleep(600 * 1000);
	/* the container stops: the stream ends by itself */
	append("stopped", "");
	t0 = time(NULL);
	for (;;) {
		snprintf(cmd, sizeof(cmd), "%s.rc", path);
		if (access(cmd, F_OK) == 0 || time(NULL) - t0 > 12)
			break;
		usleep(100 * 1000);
	}
	CHECK(time(NULL) - t0 <= 3);
	p = fopen(path, "r");
	if (p) {
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = '\0';
		fclose(p);
	}
	CHECK_STR(out, "four\nfive\n");
	snprintf(cmd, sizeof(cmd), "grep -qx 0 %s.rc", path); /* curl saw a complete chunked reply */
	CHECK(system(cmd) == 0);
}

int main(void)
{
	pid_t pid;
	int status;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/test_logsrv.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	append("cur.log", "2026-11-30T02:00:00.5Z stdout F one\n2026-11-30T02:00:01Z stderr F two\n"
			  "2026-11-30T02:00:02.25Z stdout F three\n");
	append("prev.log", "2026-11-30T01:00:00Z stdout F before the restart\n");
	TEST_RUN(test_cert);
	pid = serve();
	CHECK(pid > 0);
	if (pid > 0) {
		TEST_RUN(test_requests);
		TEST_RUN(test_follow);
		TEST_RUN(test_follow_restart);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", dir);
	}
	TEST_DONE();
}
