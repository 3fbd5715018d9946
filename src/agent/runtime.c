/* The agent's side of the exec runtime (runtime.h): writes a pod's directory, starts its supervisor
 * detached, and talks to it through the directory (lock, status.json) and its control socket. Nothing
 * here keeps state a restart would lose: the supervisor is alive iff it holds the lock, and what runs
 * is in status.json. */
#include "agent/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "agent/images.h"
#include "agent/podfiles.h"
#include "agent/runtime_dir.h"
#include "agent/spawner.h"
#include "core/log.h"

#define RT_EXEC_OUTPUT_MAX (10 * 1024)
#define RT_UID_MAX         128
#define RT_GONE_POLL_MS    10

typedef struct rt_stop_cb {
	void (*done)(const char *pod_uid, void *arg);
	void *arg;
	struct rt_stop_cb *next;
} rt_stop_cb_t;

typedef struct rt_pod {
	runtime_t *rt;
	char uid[RT_UID_MAX + 1];
	struct bufferevent *bev; /* the control connection; NULL: not connected */
	struct event *gone_timer;
	rt_stop_cb_t *stops;
	LIST_ENTRY(rt_pod) link;
} rt_pod_t;

typedef struct rt_exec {
	runtime_t *rt;
	pid_t pid;
	int pidfd, out_fd, rep_fd;
	struct event *ev_exit, *ev_out, *ev_timeout;
	bool timed_out;
	char buf[RT_EXEC_OUTPUT_MAX];
	size_t len;
	runtime_exec_cb cb;
	void *arg;
	LIST_ENTRY(rt_exec) link;
} rt_exec_t;

struct runtime {
	struct event_base *base;
	char *data_dir, *pods_dir, *exe, *image_map, *dns, *domain;
	void (*on_change)(const char *pod_uid, void *arg);
	void *arg;
	LIST_HEAD(, rt_pod) pods;
	LIST_HEAD(, rt_exec) execs;
	spawner_t *spawner; /* NULL until the first pod starts */
};

/* ---- files ------------------------------------------------------------------------------------------ */

static bool valid_uid(const char *uid)
{
	size_t n = uid ? strlen(uid) : 0;

	if (n == 0 || n > RT_UID_MAX || strcmp(uid, ".") == 0 || strcmp(uid, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = uid[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.'))
			return false;
	}
	return true;
}

static int pod_path(const runtime_t *rt, const char *uid, const char *file, char *buf, size_t len)
{
	int n;

	if (!valid_uid(uid))
		return -EINVAL;
	n = file ? snprintf(buf, len, "%s/%s/%s", rt->pods_dir, uid, file) : snprintf(buf, len, "%s/%s", rt->pods_dir, uid);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	*ret = buf;
	*ret_len = got;
	return 0;
}

/* Writes path atomically (temporary file, fsync-free rename: a torn file is rewritten by the next run). */
static int write_file(const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_MAX + 8];
	size_t n = strlen(text), off = 0;
	ssize_t w;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (off < n && (w = write(fd, text + off, n - off)) > 0)
		off += (size_t)w;
	close(fd);
	if (off != n || rename(tmp, path) < 0) {
		int e = off != n ? -EIO : -errno;

		unlink(tmp);
		return e;
	}
	return 0;
}

static int load_spec(const runtime_t *rt, const char *uid, rt_spec_t **ret)
{
	char path[PATH_MAX], err[256], *text;
	size_t len;
	int rc;

	if ((rc = pod_path(rt, uid, RT_SPEC, path, sizeof(path))) < 0)
		return rc;
	if ((rc = read_file(path, RT_MAX_SPEC, &text, &len)) < 0)
		return rc;
	rc = rt_spec_parse(text, len, ret, err, sizeof(err));
	free(text);
	return rc;
}

/* status.json as JSON, or NULL. */
static json_t *load_status(const runtime_t *rt, const char *uid)
{
	char path[PATH_MAX], *text;
	size_t len;
	json_t *j;

	if (pod_path(rt, uid, RT_STATUS, path, sizeof(path)) < 0 || read_file(path, RT_MAX_STATUS, &text, &len) < 0)
		return NULL;
	j = json_loadb(text, len, 0, NULL);
	free(text);
	return j;
}

static const json_t *status_ctr(const json_t *status, const char *name)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(status, "containers"), i, c) {
		const char *n = json_string_value(json_object_get(c, "name"));

		if (n && strcmp(n, name) == 0)
			return c;
	}
	return NULL;
}

/* The supervisor holds the lock LOCK_EX for its whole life; flock() locks belong to open file
 * descriptions, so our own fresh open conflicts with it even within one process. */
static bool lock_held(const runtime_t *rt, const char *uid)
{
	char path[PATH_MAX];
	int fd;
	bool held;

	if (pod_path(rt, uid, RT_LOCK, path, sizeof(path)) < 0)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static int rm_rf_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
		return errno == ENOENT ? 0 : -errno;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR) {
			int r = rm_rf_at(fd, de->d_name);

			if (r < 0)
				rc = r;
		} else if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
			rc = -errno;
		}
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -errno;
	return rc;
}

/* ---- pods and their control connections --------------------------------------------------------------- */

static rt_pod_t *pod_find(runtime_t *rt, const char *uid)
{
	rt_pod_t *p;

	LIST_FOREACH(p, &rt->pods, link)
		if (strcmp(p->uid, uid) == 0)
			return p;
	return NULL;
}

static void gone_check(evutil_socket_t fd, short what, void *arg);
static int pod_connect(rt_pod_t *p);

static rt_pod_t *pod_get(runtime_t *rt, const char *uid)
{
	rt_pod_t *p = pod_find(rt, uid);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->rt = rt;
	snprintf(p->uid, sizeof(p->uid), "%s", uid);
	p->gone_timer = evtimer_new(rt->base, gone_check, p);
	if (!p->gone_timer) {
		free(p);
		return NULL;
	}
	LIST_INSERT_HEAD(&rt->pods, p, link);
	return p;
}

static void pod_free(rt_pod_t *p)
{
	rt_stop_cb_t *s;

	LIST_REMOVE(p, link);
	if (p->bev)
		bufferevent_free(p->bev);
	event_free(p->gone_timer);
	while ((s = p->stops)) {
		p->stops = s->next;
		free(s);
	}
	free(p);
}

/* The supervisor is gone: report the change and run the stop callbacks (each once). */
static void pod_gone(rt_pod_t *p)
{
	runtime_t *rt = p->rt;
	rt_stop_cb_t *s = p->stops;
	char uid[RT_UID_MAX + 1];

	snprintf(uid, sizeof(uid), "%s", p->uid);
	p->stops = NULL;
	if (rt->on_change)
		rt->on_change(uid, rt->arg);
	while (s) {
		rt_stop_cb_t *next = s->next;

		if (s->done)
			s->done(uid, s->arg);
		free(s);
		s = next;
	}
}

static void gone_check(evutil_socket_t fd, short what, void *arg)
{
	rt_pod_t *p = arg;
	struct timeval tv = { 0, RT_GONE_POLL_MS * 1000 };

	(void)fd;
	(void)what;
	/* The socket closes a moment before the process (and its lock) is gone. A supervisor that is
	 * alive and not stopping dropped us (or we it): connect again instead of watching. */
	if (lock_held(p->rt, p->uid)) {
		if (pod_connect(p) == 0 && !p->stops)
			return;
		evtimer_add(p->gone_timer, &tv);
		return;
	}
	pod_gone(p);
}

static void ctl_read(struct bufferevent *bev, void *arg)
{
	rt_pod_t *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	bool changed = false;
	char *line;
	size_t n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF))) {
		changed |= strcmp(line, "changed") == 0;
		free(line);
	}
	if (evbuffer_get_length(in) > RT_MAX_LINE)
		evbuffer_drain(in, evbuffer_get_length(in));
	if (changed && p->rt->on_change)
		p->rt->on_change(p->uid, p->rt->arg);
}

static void ctl_event(struct bufferevent *bev, short what, void *arg)
{
	rt_pod_t *p = arg;

	(void)bev;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	bufferevent_free(p->bev);
	p->bev = NULL;
	gone_check(-1, 0, p);
}

/* Connects to the pod's control socket. The path goes through /proc/self/fd so that a long data dir
 * never hits sun_path's 108 bytes. */
static int pod_connect(rt_pod_t *p)
{
	runtime_t *rt = p->rt;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[PATH_MAX];
	int dfd, fd, rc;

	if (p->bev)
		return 0;
	if ((rc = pod_path(rt, p->uid, NULL, dir, sizeof(dir))) < 0)
		return rc;
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/" RT_SOCK, dfd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		close(dfd);
		return rc;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		close(dfd);
		return rc;
	}
	close(dfd);
	evutil_make_socket_nonblocking(fd);
	p->bev = bufferevent_socket_new(rt->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!p->bev) {
		close(fd);
		return -ENOMEM;
	}
	bufferevent_setcb(p->bev, ctl_read, NULL, ctl_event, p);
	bufferevent_enable(p->bev, EV_READ);
	return 0;
}

static int pod_send(rt_pod_t *p, const char *line)
{
	int rc = pod_connect(p);

	if (rc < 0)
		return rc;
	return bufferevent_write(p->bev, line, strlen(line)) < 0 ? -ENOMEM : 0;
}

/* ---- starting a supervisor ---------------------------------------------------------------------------- */

/* When this returns 0, the pod's lock is held and its control socket accepts (spawner.h). Through
 * the spawner, started at the first pod; without one (it cannot start, or died), the old way. */
static int spawn_supervisor(runtime_t *rt, const char *dir)
{
	int rc;

	if (!rt->spawner && (rc = spawner_new(rt->exe, &rt->spawner)) < 0) {
		rt->spawner = NULL;
		log_warn("runtime: no supervisor spawner (%s); forking supervisors directly", strerror(-rc));
	}
	if (rt->spawner) {
		rc = spawner_spawn(rt->spawner, dir);
		if (rc != -EPIPE && rc != -ETIMEDOUT)
			return rc;
		log_warn("runtime: the supervisor spawner is gone; starting %s directly", dir);
		spawner_free(rt->spawner);
		rt->spawner = NULL; /* the next pod starts a new one */
	}
	return spawner_fork_direct(rt->exe, dir);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* spec.json for the supervisor: the pod's containers with their final env and $(VAR)-expanded
 * command and args. */
static json_t *make_spec(runtime_t *rt, const runtime_pod_spec_t *ps, const char *hostname)
{
	const json_t *pod = ps->pod, *md = json_object_get(pod, "metadata"), *spec = json_object_get(pod, "spec");
	const json_t *grace = json_object_get(spec, "terminationGracePeriodSeconds"), *c;
	const char *host_ip = jstr(json_object_get(pod, "status"), "hostIP");
	json_t *out, *ctrs = json_array();
	size_t i;

	out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "uid", jstr(md, "uid"), "namespace",
			jstr(md, "namespace") ? jstr(md, "namespace") : "default", "name", jstr(md, "name"), "hostname",
			hostname, "netns", ps->netns_path ? ps->netns_path : "", "podIP", ps->pod_ip ? ps->pod_ip : "",
			"exe", rt->exe, "imageMap", rt->image_map, "restartPolicy",
			jstr(spec, "restartPolicy") ? jstr(spec, "restartPolicy") : "Always", "gracePeriodSeconds",
			json_is_integer(grace) && json_integer_value(grace) >= 0 ? json_integer_value(grace) : (json_int_t)30);
	if (!out || !ctrs)
		goto fail;
	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		json_t *env = podfiles_container_env(pod, c, ps->env, ps->pod_ip ? ps->pod_ip : "", host_ip ? host_ip : "");
		json_t *o = json_pack("{s:s?,s:s?,s:s?,s:o}", "name", jstr(c, "name"), "image", jstr(c, "image"),
				      "workingDir", jstr(c, "workingDir"), "env", env);

		if (!env || !o || json_array_append_new(ctrs, o) < 0)
			goto fail;
		if (json_is_array(json_object_get(c, "command")))
			json_object_set_new(o, "command", podfiles_expand_args(json_object_get(c, "command"), env));
		if (json_is_array(json_object_get(c, "args")))
			json_object_set_new(o, "args", podfiles_expand_args(json_object_get(c, "args"), env));
	}
	json_object_set_new(out, "containers", ctrs);
	json_object_set_new(out, "hostNetwork", json_boolean(json_is_true(json_object_get(spec, "hostNetwork"))));
	return out;
fail:
	json_decref(ctrs);
	json_decref(out);
	return NULL;
}

int runtime_pod_run(runtime_t *rt, const runtime_pod_spec_t *ps)
{
	const json_t *md = json_object_get(ps->pod, "metadata");
	const char *uid = jstr(md, "uid"), *ns = jstr(md, "namespace");
	char dir[PATH_MAX], path[PATH_MAX + 32], host[64], err[256], *text = NULL;
	rt_spec_t *check = NULL;
	json_t *spec = NULL;
	rt_pod_t *p;
	int rc;

	if (!valid_uid(uid) || !jstr(md, "name"))
		return -EINVAL;
	if ((rc = pod_path(rt, uid, NULL, dir, sizeof(dir))) < 0)
		return rc;
	p = pod_get(rt, uid);
	if (!p)
		return -ENOMEM;
	if (lock_held(rt, uid)) {
		rc = pod_connect(p);
		if (rc < 0)
			log_warn("runtime: pod %s: adopted, but its control socket: %s", uid, strerror(-rc));
		return 0;
	}
	if ((rc = mkdir_p(dir, 0755)) < 0)
		return rc;
	podfiles_hostname(ps->pod, host, sizeof(host));
	spec = make_spec(rt, ps, host);
	if (!spec)
		return -ENOMEM;
	text = json_dumps(spec, JSON_COMPACT);
	json_decref(spec);
	if (!text)
		return -ENOMEM;
	/* What the supervisor will refuse, refused here with the reason. */
	rc = rt_spec_parse(text, strlen(text), &check, err, sizeof(err));
	rt_spec_free(check);
	if (rc < 0) {
		log_err("runtime: pod %s: %s", uid, err);
		free(text);
		return rc;
	}
	snprintf(path, sizeof(path), "%s/" RT_SPEC, dir);
	rc = write_file(path, text, 0644);
	free(text);
	if (rc < 0)
		return rc;
	/* The kubelet's choices (pkg/kubelet/network/dns): ClusterFirst on the host network falls back to
	 * the node's resolv.conf, as Default does; a host-network pod keeps the node's /etc/hosts. A file
	 * not written is not bind-mounted. */
	{
		const json_t *pspec = json_object_get(ps->pod, "spec");
		const char *policy = jstr(pspec, "dnsPolicy") ? jstr(pspec, "dnsPolicy") : "ClusterFirst";
		bool host_net = json_is_true(json_object_get(pspec, "hostNetwork"));
		bool cluster_dns = strcmp(policy, "ClusterFirstWithHostNet") == 0 ||
				   (strcmp(policy, "ClusterFirst") == 0 && !host_net);

		snprintf(path, sizeof(path), "%s/" RT_RESOLV, dir);
		if (cluster_dns) {
			text = podfiles_resolv_conf(ns ? ns : "default", rt->dns, rt->domain);
			rc = text ? write_file(path, text, 0644) : -ENOMEM;
			free(text);
			if (rc < 0)
				return rc;
		} else {
			unlink(path);
		}
		snprintf(path, sizeof(path), "%s/" RT_HOSTS, dir);
		if (!host_net) {
			text = podfiles_hosts(ps->pod, ps->pod_ip ? ps->pod_ip : "", rt->domain);
			rc = text ? write_file(path, text, 0644) : -ENOMEM;
			free(text);
			if (rc < 0)
				return rc;
		} else {
			unlink(path);
		}
	}
	rc = spawn_supervisor(rt, dir);
	if (rc < 0)
		return rc;
	rc = pod_connect(p);
	if (rc < 0)
		log_warn("runtime: pod %s: control socket: %s", uid, strerror(-rc));
	return 0;
}

bool runtime_pod_running(runtime_t *rt, const char *pod_uid)
{
	return valid_uid(pod_uid) && lock_held(rt, pod_uid);
}

json_t *runtime_pod_statuses(runtime_t *rt, const char *pod_uid)
{
	char path[PATH_MAX], *text = NULL;
	rt_spec_t *spec = NULL;
	size_t len = 0;
	json_t *out;

	if (load_spec(rt, pod_uid, &spec) < 0)
		return NULL;
	if (pod_path(rt, pod_uid, RT_STATUS, path, sizeof(path)) == 0 && read_file(path, RT_MAX_STATUS, &text, &len) < 0)
		text = NULL;
	out = rt_status_to_k8s(spec, text, len, lock_held(rt, pod_uid));
	free(text);
	rt_spec_free(spec);
	return out;
}

int runtime_container_kill(runtime_t *rt, const char *pod_uid, const char *container, int grace_sec)
{
	rt_spec_t *spec = NULL;
	char line[RT_MAX_LINE];
	bool found = false;
	rt_pod_t *p;

	if (load_spec(rt, pod_uid, &spec) < 0)
		return -ENOENT;
	for (size_t i = 0; i < spec->nctrs; i++)
		found |= strcmp(spec->ctrs[i].name, container) == 0;
	rt_spec_free(spec);
	if (!found)
		return -ENOENT;
	if (!lock_held(rt, pod_uid))
		return -ESRCH;
	p = pod_get(rt, pod_uid);
	if (!p)
		return -ENOMEM;
	snprintf(line, sizeof(line), "kill %s %d\n", container, grace_sec < 0 ? 0 : grace_sec);
	return pod_send(p, line);
}

int runtime_pod_stop(runtime_t *rt, const char *pod_uid, int grace_sec, void (*done)(const char *pod_uid, void *arg),
		     void *arg)
{
	char line[64];
	rt_stop_cb_t *cb;
	rt_pod_t *p;
	int rc;

	if (!valid_uid(pod_uid))
		return -EINVAL;
	p = pod_get(rt, pod_uid);
	cb = calloc(1, sizeof(*cb));
	if (!p || !cb) {
		free(cb);
		return -ENOMEM;
	}
	cb->done = done;
	cb->arg = arg;
	cb->next = p->stops;
	p->stops = cb;
	if (!lock_held(rt, pod_uid)) {
		/* Already gone: done runs from the loop, never from inside this call. */
		struct timeval tv = { 0, 0 };

		evtimer_add(p->gone_timer, &tv);
		return 0;
	}
	snprintf(line, sizeof(line), "stop %d\n", grace_sec < 0 ? 0 : grace_sec);
	rc = pod_send(p, line);
	if (rc < 0) {
		/* No connection (the supervisor is exiting right now): watch the lock instead. */
		struct timeval tv = { 0, RT_GONE_POLL_MS * 1000 };

		evtimer_add(p->gone_timer, &tv);
	}
	return 0;
}

int runtime_pod_remove(runtime_t *rt, const char *pod_uid)
{
	rt_pod_t *p;
	int dfd, rc;

	if (!valid_uid(pod_uid))
		return -EINVAL;
	if (lock_held(rt, pod_uid))
		return -EBUSY;
	p = pod_find(rt, pod_uid);
	if (p && !p->stops)
		pod_free(p);
	dfd = open(rt->pods_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	rc = rm_rf_at(dfd, pod_uid);
	close(dfd);
	return rc;
}

int runtime_pod_foreach(runtime_t *rt, void (*fn)(const char *pod_uid, bool running, void *arg), void *arg)
{
	DIR *d = opendir(rt->pods_dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)))
		if (valid_uid(de->d_name) && de->d_name[0] != '.')
			fn(de->d_name, lock_held(rt, de->d_name), arg);
	closedir(d);
	return 0;
}

int runtime_log_path(runtime_t *rt, const char *pod_uid, const char *container, bool previous, char *buf, size_t len)
{
	json_t *status;
	json_int_t li;
	int rc = -ENOENT;

	if (!valid_uid(pod_uid) || !rt_valid_name(container))
		return -ENOENT;
	status = load_status(rt, pod_uid);
	li = json_integer_value(json_object_get(status_ctr(status, container), "logIndex"));
	json_decref(status);
	if (li < 0 || li > INT_MAX)
		return -ENOENT;
	for (json_int_t i = previous ? li - 1 : li; i >= 0; i--) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof(path), "%s/%s/" RT_LOGS "/%s/%lld.log", rt->pods_dir, pod_uid, container,
				 (long long)i);

		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		if (access(path, F_OK) == 0) {
			if ((size_t)n >= len)
				return -ENAMETOOLONG;
			memcpy(buf, path, (size_t)n + 1);
			return 0;
		}
		if (!previous)
			break;
	}
	return rc;
}

/* ---- exec in a container ------------------------------------------------------------------------------ */

static void exec_free(rt_exec_t *x)
{
	LIST_REMOVE(x, link);
	if (x->ev_exit)
		event_free(x->ev_exit);
	if (x->ev_out)
		event_free(x->ev_out);
	if (x->ev_timeout)
		event_free(x->ev_timeout);
	if (x->pidfd >= 0)
		close(x->pidfd);
	if (x->out_fd >= 0)
		close(x->out_fd);
	if (x->rep_fd >= 0)
		close(x->rep_fd);
	free(x);
}

static void exec_drain(rt_exec_t *x)
{
	char tmp[4096];
	ssize_t n;

	while (x->out_fd >= 0 && (n = read(x->out_fd, tmp, sizeof(tmp))) > 0) {
		size_t take = (size_t)n;

		if (take > sizeof(x->buf) - x->len)
			take = sizeof(x->buf) - x->len;
		memcpy(x->buf + x->len, tmp, take);
		x->len += take;
	}
}

static void exec_on_out(evutil_socket_t fd, short what, void *arg)
{
	rt_exec_t *x = arg;
	char tmp[4096];
	ssize_t n;

	(void)fd;
	(void)what;
	n = read(x->out_fd, tmp, sizeof(tmp));
	if (n > 0) {
		size_t take = (size_t)n;

		if (take > sizeof(x->buf) - x->len)
			take = sizeof(x->buf) - x->len;
		memcpy(x->buf + x->len, tmp, take);
		x->len += take;
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	event_del(x->ev_out);
	close(x->out_fd);
	x->out_fd = -1;
}

static void exec_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	rt_exec_t *x = arg;

	(void)fd;
	(void)what;
	x->timed_out = true;
	kill(-x->pid, SIGKILL);
	kill(x->pid, SIGKILL);
}

static void exec_on_exit(evutil_socket_t fd, short what, void *arg)
{
	rt_exec_t *x = arg;
	int ws = 0, status, e = 0;
	pid_t r;

	(void)fd;
	(void)what;
	do
		r = waitpid(x->pid, &ws, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return;
	exec_drain(x);
	if (x->rep_fd >= 0 && read(x->rep_fd, &e, sizeof(e)) == (ssize_t)sizeof(e) && e > 0)
		status = -e;
	else if (x->timed_out)
		status = -ETIMEDOUT;
	else if (WIFEXITED(ws))
		status = WEXITSTATUS(ws);
	else
		status = 128 + WTERMSIG(ws);
	/* What the command left running in its group goes with it. */
	kill(-x->pid, SIGKILL);
	x->cb(status, x->buf, x->len, x->arg);
	exec_free(x);
}

/* The container's environment as its process has it. */
static char **read_environ(pid_t pid)
{
	char path[64], *text = NULL, **v;
	size_t len = 0, n = 0, k = 0;
	int fd;
	ssize_t r;
	size_t cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (len == cap) {
			char *nt;

			if (cap >= 1024 * 1024)
				break;
			cap = cap ? cap * 2 : 4096;
			nt = realloc(text, cap + 1);
			if (!nt) {
				free(text);
				close(fd);
				return NULL;
			}
			text = nt;
		}
		r = read(fd, text + len, cap - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!text)
		return calloc(1, sizeof(char *));
	text[len] = '\0';
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\0';
	v = calloc(n + 2, sizeof(*v));
	if (!v) {
		free(text);
		return NULL;
	}
	for (size_t i = 0; i < len;) {
		size_t l = strlen(text + i);

		if (l && !(v[k++] = strdup(text + i)))
			break;
		i += l + 1;
	}
	free(text);
	return v;
}

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* The parent pid of pid from /proc/<pid>/stat (after the last ')': the command may hold any bytes);
 * -1 when unknown. */
static long long proc_ppid(pid_t pid)
{
	char path[64], buf[1024], *p;
	long long ppid = -1;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %lld", &ppid) != 1)
		return -1;
	return ppid;
}

int runtime_exec(runtime_t *rt, const char *pod_uid, const char *container, char *const argv[], int timeout_ms,
		 runtime_exec_cb cb, void *arg)
{
	static const char *const ns_names[] = { "ipc", "uts", "net", "mnt" };
	static const int ns_types[] = { CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWNS };
	int nsfd[4] = { -1, -1, -1, -1 }, outp[2] = { -1, -1 }, rep[2] = { -1, -1 }, rc = 0;
	char file[PATH_MAX], cwd[PATH_MAX], path[64], **envp = NULL;
	const json_t *c;
	json_t *status;
	rt_exec_t *x = NULL;
	bool busybox;
	json_int_t cpid, spid;
	struct timeval tv;
	pid_t pid;
	ssize_t cl;

	if (!argv || !argv[0] || !cb || !valid_uid(pod_uid) || !container)
		return -EINVAL;
	status = load_status(rt, pod_uid);
	c = status_ctr(status, container);
	cpid = json_integer_value(json_object_get(c, "pid"));
	spid = json_integer_value(json_object_get(status, "supervisorPid"));
	busybox = json_is_true(json_object_get(c, "busybox"));
	json_decref(status);
	if (!c || !lock_held(rt, pod_uid))
		return -ENOENT;
	if (cpid <= 0 || cpid > INT_MAX)
		return -ESRCH;
	/* A pid from a file is only trusted while it is still the live supervisor's child (no reuse). */
	if (proc_ppid((pid_t)cpid) != spid)
		return -ESRCH;
	envp = read_environ((pid_t)cpid);
	if (!envp)
		return -ESRCH;
	/* The command is found as in the container: busybox applets through busybox, else its PATH. */
	if (busybox)
		snprintf(file, sizeof(file), "%s", IMAGES_BUSYBOX);
	else if (images_lookup_path(argv[0], env_get(envp, "PATH"), file, sizeof(file)) < 0)
		snprintf(file, sizeof(file), "%s", argv[0]);
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)cpid);
	cl = readlink(path, cwd, sizeof(cwd) - 1);
	if (cl <= 0)
		cl = snprintf(cwd, sizeof(cwd), "/");
	cwd[cl] = '\0';
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)cpid, ns_names[i]);
		nsfd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd[i] < 0) {
			rc = -errno;
			goto out;
		}
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		rc = -ENOMEM;
		goto out;
	}
	x->pidfd = x->out_fd = x->rep_fd = -1;
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC), e;
		sigset_t none;

		setpgid(0, 0);
		for (int i = 0; i < 4; i++)
			if (setns(nsfd[i], ns_types[i]) < 0) {
				e = errno;
				(void)!write(rep[1], &e, sizeof(e));
				_exit(127);
			}
		if (chdir(cwd) < 0 && chdir("/") < 0)
			_exit(127);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(outp[1], 1);
		dup2(outp[1], 2);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		execve(file, argv, envp);
		e = errno;
		(void)!write(rep[1], &e, sizeof(e));
		_exit(127);
	}
	/* Both ends in the parent too, so the child's group is set before anyone signals it. */
	setpgid(pid, pid);
	close(outp[1]);
	close(rep[1]);
	outp[1] = rep[1] = -1;
	x->rt = rt;
	x->pid = pid;
	x->cb = cb;
	x->arg = arg;
	x->out_fd = outp[0];
	x->rep_fd = rep[0];
	outp[0] = rep[0] = -1;
	LIST_INSERT_HEAD(&rt->execs, x, link);
	evutil_make_socket_nonblocking(x->out_fd);
	evutil_make_socket_nonblocking(x->rep_fd);
	x->pidfd = pidfd_open(pid, 0);
	x->ev_out = event_new(rt->base, x->out_fd, EV_READ | EV_PERSIST, exec_on_out, x);
	x->ev_exit = x->pidfd >= 0 ? event_new(rt->base, x->pidfd, EV_READ, exec_on_exit, x) : NULL;
	x->ev_timeout = evtimer_new(rt->base, exec_on_timeout, x);
	if (!x->ev_out || !x->ev_exit || !x->ev_timeout) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		exec_free(x);
		x = NULL;
		rc = -ENOMEM;
		goto out;
	}
	event_add(x->ev_out, NULL);
	event_add(x->ev_exit, NULL);
	event_base_update_cache_time(rt->base);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(x->ev_timeout, &tv);
	x = NULL;
out:
	free(x);
	for (int i = 0; i < 4; i++)
		if (nsfd[i] >= 0)
			close(nsfd[i]);
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (rep[i] >= 0)
			close(rep[i]);
	}
	images_argv_free(envp);
	return rc;
}

/* ---- lifecycle --------------------------------------------------------------------------------------- */

int runtime_new(struct event_base *base, const runtime_config_t *cfg, runtime_t **ret)
{
	runtime_t *rt = calloc(1, sizeof(*rt));
	char exe[PATH_MAX], data[PATH_MAX];
	int rc = -ENOMEM;

	if (!rt)
		return -ENOMEM;
	LIST_INIT(&rt->pods);
	LIST_INIT(&rt->execs);
	rt->base = base;
	rt->on_change = cfg->on_change;
	rt->arg = cfg->arg;
	/* Absolute paths: the supervisor runs with another cwd, and the exe must survive our exit. */
	if (!realpath(cfg->data_dir, data)) {
		rc = -errno;
		goto fail;
	}
	if (cfg->exe) {
		if (!realpath(cfg->exe, exe)) {
			rc = -errno;
			goto fail;
		}
	} else {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n <= 0) {
			rc = -errno;
			goto fail;
		}
		exe[n] = '\0';
	}
	rt->data_dir = strdup(data);
	rt->exe = strdup(exe);
	rt->dns = strdup(cfg->cluster_dns ? cfg->cluster_dns : "10.43.0.10");
	rt->domain = strdup(cfg->cluster_domain ? cfg->cluster_domain : "cluster.local");
	if (asprintf(&rt->pods_dir, "%s/pods", data) < 0)
		rt->pods_dir = NULL;
	if (cfg->image_map)
		rt->image_map = strdup(cfg->image_map);
	else if (asprintf(&rt->image_map, "%s/image-map", data) < 0)
		rt->image_map = NULL;
	if (!rt->data_dir || !rt->exe || !rt->dns || !rt->domain || !rt->pods_dir || !rt->image_map)
		goto fail;
	if ((rc = mkdir_p(rt->pods_dir, 0755)) < 0)
		goto fail;
	*ret = rt;
	return 0;
fail:
	runtime_free(rt);
	return rc;
}

void runtime_free(runtime_t *rt)
{
	if (!rt)
		return;
	while (!LIST_EMPTY(&rt->pods))
		pod_free(LIST_FIRST(&rt->pods));
	while (!LIST_EMPTY(&rt->execs)) {
		rt_exec_t *x = LIST_FIRST(&rt->execs);

		kill(-x->pid, SIGKILL);
		kill(x->pid, SIGKILL);
		waitpid(x->pid, NULL, 0);
		/* the caller's arg is released in its callback: without this call it would leak */
		x->cb(-ECANCELED, "", 0, x->arg);
		exec_free(x);
	}
	spawner_free(rt->spawner);
	free(rt->data_dir);
	free(rt->pods_dir);
	free(rt->exe);
	free(rt->image_map);
	free(rt->dns);
	free(rt->domain);
	free(rt);
}
