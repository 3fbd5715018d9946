/* `portico supervise DIR`: one pod's supervisor. It holds the pod directory's lock for its whole life,
 * enters the pod's network namespace, unshares mount/UTS/IPC namespaces for its containers, puts the
 * pod's resolv.conf and hosts over /etc/, runs each container as a child, writes its output as CRI log
 * lines, restarts it per restartPolicy with the kubelet's back-off, and stops everything on request.
 * It is started detached (setsid, reparented away from the agent) so that the agent can die and come
 * back without the pod noticing; the containers, in turn, die with it (PR_SET_PDEATHSIG), so a dead
 * supervisor never leaves unowned processes behind. */
#include "agent/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "agent/images.h"
#include "agent/runtime_dir.h"
#include "agent/spawner.h"
#include "core/log.h"

/* The kubelet's container restart back-off (pkg/kubelet/kubelet.go: backOffPeriod, MaxContainerBackOff)
 * and the time after which a container that kept running starts again from no back-off. */
#define SUP_BACKOFF_INITIAL 10
#define SUP_BACKOFF_MAX     300
#define SUP_BACKOFF_RESET   600
/* containerd splits log lines longer than this into partial ("P") lines. */
#define SUP_LOG_LINE_MAX (16 * 1024)

typedef struct sup sup_t;

typedef struct sup_stream {
	struct sup_ctr *owner;
	int fd;               /* read end of the container's stdout or stderr pipe; -1 when closed */
	struct event *ev;
	char buf[SUP_LOG_LINE_MAX];
	size_t len;
	const char *name;     /* "stdout" | "stderr" */
} sup_stream_t;

typedef struct sup_ctr {
	sup_t *s;
	const rt_spec_ctr_t *spec;
	pid_t pid;            /* the running process (its own process group); 0: none */
	int restart_count;    /* runs after the first */
	int runs;             /* processes started so far (the next log file's number) */
	int log_index;        /* the current or last run's log file; -1: none yet */
	json_t *state, *last_state;
	bool started;         /* has run at least once (for restartCount) */
	bool done;            /* exited and not to be restarted */
	char image_id[PATH_MAX + 16];
	int backoff;          /* seconds the next restart waits; 0: none */
	int pull_backoff;
	struct timespec started_mono;
	char started_at[40];
	struct event *restart_timer, *kill_timer;
	int log_fd;
	sup_stream_t out, err;
	bool exec_is_busybox;
} sup_ctr_t;

typedef struct sup_client {
	sup_t *s;
	struct bufferevent *bev;
	LIST_ENTRY(sup_client) link;
} sup_client_t;

struct sup {
	struct event_base *base;
	char dir[PATH_MAX];
	int dirfd;
	rt_spec_t *spec;
	sup_ctr_t *ctrs;
	size_t nctrs;
	bool stopping;
	struct event *stop_timer, *sig_chld, *sig_term, *sig_int;
	struct evconnlistener *listener;
	LIST_HEAD(, sup_client) clients;
	json_t *prev_status; /* status.json of an earlier supervisor for this pod, if any */
};

/* ---- time ---------------------------------------------------------------------------------------- */

/* metav1.Time: RFC 3339, UTC, whole seconds. */
static void time_rfc3339(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Go's RFC3339Nano as containerd writes it into CRI logs: trailing zeros of the fraction dropped. */
static size_t time_rfc3339nano(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char frac[16];
	size_t n, f;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(frac, sizeof(frac), "%09ld", ts.tv_nsec);
	f = 9;
	while (f > 0 && frac[f - 1] == '0')
		f--;
	frac[f] = '\0';
	n += (size_t)snprintf(buf + n, len - n, "%s%sZ", f ? "." : "", frac);
	return n;
}

static double mono_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- status ---------------------------------------------------------------------------------------- */

static void notify_clients(sup_t *s)
{
	sup_client_t *c;

	LIST_FOREACH(c, &s->clients, link)
		bufferevent_write(c->bev, "changed\n", 8);
}

static void write_status(sup_t *s)
{
	json_t *root = json_object(), *arr = json_array();
	char *text = NULL;
	int fd;

	if (!root || !arr)
		goto out;
	json_object_set_new(root, "supervisorPid", json_integer(getpid()));
	json_object_set_new(root, "stopping", json_boolean(s->stopping));
	for (size_t i = 0; i < s->nctrs; i++) {
		sup_ctr_t *c = &s->ctrs[i];
		char cid[512];
		json_t *o;

		if (c->log_index >= 0)
			snprintf(cid, sizeof(cid), "portico://%s/%s/%d", s->spec->uid, c->spec->name, c->log_index);
		else
			cid[0] = '\0';
		o = json_pack("{s:s,s:s,s:s,s:s,s:O,s:o,s:i,s:b,s:i,s:i,s:b}", "name", c->spec->name, "image",
			      c->spec->image, "imageID", c->image_id, "containerID", cid, "state", c->state, "lastState",
			      c->last_state ? json_incref(c->last_state) : json_object(), "restartCount", c->restart_count,
			      "started", c->pid > 0 && json_object_get(c->state, "running") != NULL, "pid", (int)c->pid,
			      "logIndex", c->log_index, "busybox", c->exec_is_busybox);
		if (o)
			json_array_append_new(arr, o);
	}
	json_object_set(root, "containers", arr);
	text = json_dumps(root, JSON_COMPACT);
	if (!text)
		goto out;
	fd = openat(s->dirfd, RT_STATUS ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		size_t n = strlen(text), off = 0;
		ssize_t w;

		while (off < n && (w = write(fd, text + off, n - off)) > 0)
			off += (size_t)w;
		close(fd);
		if (off == n && renameat(s->dirfd, RT_STATUS ".tmp", s->dirfd, RT_STATUS) < 0)
			log_err("supervise: rename status: %s", strerror(errno));
	} else {
		log_err("supervise: write status: %s", strerror(errno));
	}
	notify_clients(s);
out:
	free(text);
	json_decref(arr);
	json_decref(root);
}

static void set_state(sup_ctr_t *c, json_t *st)
{
	json_decref(c->state);
	c->state = st;
}

static void set_waiting(sup_ctr_t *c, const char *reason, const char *message)
{
	json_t *w = json_pack("{s:s}", "reason", reason);

	if (w && message)
		json_object_set_new(w, "message", json_string(message));
	set_state(c, json_pack("{s:o*}", "waiting", w));
}

/* The run ended: state becomes terminated, and that becomes lastState once a new run starts. */
static void set_terminated(sup_ctr_t *c, int code, const char *reason, const char *message)
{
	char now[40];
	json_t *t;

	time_rfc3339(now, sizeof(now));
	t = json_pack("{s:i,s:s,s:s,s:s}", "exitCode", code, "reason", reason, "startedAt",
		      c->started_at[0] ? c->started_at : "1970-01-01T00:00:00Z", "finishedAt", now);
	if (t && message)
		json_object_set_new(t, "message", json_string(message));
	set_state(c, json_pack("{s:o*}", "terminated", t));
}

/* ---- logs ------------------------------------------------------------------------------------------ */

static void log_emit(sup_ctr_t *c, const char *stream, const char *tag, const char *p, size_t n)
{
	char ts[64], head[96];
	size_t hl;
	struct iovec iov[3];

	if (c->log_fd < 0)
		return;
	time_rfc3339nano(ts, sizeof(ts));
	hl = (size_t)snprintf(head, sizeof(head), "%s %s %s ", ts, stream, tag);
	iov[0].iov_base = head;
	iov[0].iov_len = hl;
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = n;
	iov[2].iov_base = "\n";
	iov[2].iov_len = 1;
	/* One writev per line: a reader never sees half a line from us. */
	if (writev(c->log_fd, iov, 3) < 0)
		log_warn("supervise: log write: %s", strerror(errno));
}

/* Appends data to the stream's line buffer, emitting every full line (F) and every full buffer (P). */
static void stream_feed(sup_ctr_t *c, sup_stream_t *st, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;

		if (st->len + take >= sizeof(st->buf)) {
			size_t room = sizeof(st->buf) - st->len;

			memcpy(st->buf + st->len, p, room);
			log_emit(c, st->name, "P", st->buf, sizeof(st->buf));
			st->len = 0;
			p += room;
			n -= room;
			continue;
		}
		memcpy(st->buf + st->len, p, take);
		st->len += take;
		if (!nl)
			return;
		log_emit(c, st->name, "F", st->buf, st->len);
		st->len = 0;
		p += take + 1;
		n -= take + 1;
	}
}

static void stream_close(sup_ctr_t *c, sup_stream_t *st)
{
	if (st->len)
		log_emit(c, st->name, "F", st->buf, st->len);
	st->len = 0;
	if (st->ev)
		event_free(st->ev);
	st->ev = NULL;
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}

/* Reads what is there; false at EOF or error. */
static bool stream_read(sup_ctr_t *c, sup_stream_t *st)
{
	char buf[8192];

	for (int i = 0; i < 16; i++) {
		ssize_t n = read(st->fd, buf, sizeof(buf));

		if (n > 0) {
			stream_feed(c, st, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		return false;
	}
	return true;
}

/* ---- running containers ------------------------------------------------------------------------------ */

static void ctr_start(sup_ctr_t *c);
static void maybe_exit(sup_t *s);

static void on_stream_ready(evutil_socket_t fd, short what, void *arg)
{
	sup_stream_t *st = arg;
	sup_ctr_t *c = st->owner;

	(void)fd;
	(void)what;
	if (!stream_read(c, st))
		stream_close(c, st);
}

static void restart_cb(evutil_socket_t fd, short what, void *arg)
{
	sup_ctr_t *c = arg;

	(void)fd;
	(void)what;
	ctr_start(c);
	write_status(c->s);
}

/* Schedules the container's next start after the back-off, or none (done). */
static void schedule_restart(sup_ctr_t *c, bool image_pull)
{
	sup_t *s = c->s;
	int *bo = image_pull ? &c->pull_backoff : &c->backoff;
	int delay = *bo;
	struct timeval tv;

	if (s->stopping)
		return;
	*bo = *bo ? (*bo * 2 > SUP_BACKOFF_MAX ? SUP_BACKOFF_MAX : *bo * 2) : SUP_BACKOFF_INITIAL;
	if (!image_pull && delay > 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "back-off %ds restarting failed container=%s pod=%s_%s(%s)", delay, c->spec->name,
			 s->spec->name, s->spec->ns, s->spec->uid);
		/* The terminated state moves to lastState while the container waits. */
		json_decref(c->last_state);
		c->last_state = json_incref(c->state);
		set_waiting(c, "CrashLoopBackOff", msg);
	}
	tv.tv_sec = delay;
	tv.tv_usec = 0;
	/* From now, not from the loop's cached time, which a slow iteration (a start) may have aged. */
	event_base_update_cache_time(s->base);
	evtimer_add(c->restart_timer, &tv);
}

static bool should_restart(const sup_t *s, int code)
{
	if (strcmp(s->spec->restart_policy, "Always") == 0)
		return true;
	if (strcmp(s->spec->restart_policy, "OnFailure") == 0)
		return code != 0;
	return false;
}

/* The run ended with code (or never started: StartError). */
static void ctr_ended(sup_ctr_t *c)
{
	const json_t *t = json_object_get(c->state, "terminated");
	int code = (int)json_integer_value(json_object_get(t, "exitCode"));

	if (c->kill_timer)
		evtimer_del(c->kill_timer);
	/* A container that ran long enough starts again from no back-off (the kubelet forgets its entry). */
	if (mono_since(&c->started_mono) >= SUP_BACKOFF_RESET)
		c->backoff = 0;
	if (!c->s->stopping && should_restart(c->s, code))
		schedule_restart(c, false);
	else
		c->done = true;
}

/* Exec failed in the child: the StartError message as runc words it. */
static void start_error_msg(const char *argv0, int err, char *buf, size_t len)
{
	if (err == ENOENT && !strchr(argv0, '/'))
		snprintf(buf, len, "failed to start container process: exec: \"%s\": executable file not found in $PATH",
			 argv0);
	else
		snprintf(buf, len, "failed to start container process: exec: \"%s\": %s", argv0, strerror(err));
}

static char **env_vector(const json_t *env, const char *hostname)
{
	size_t n = json_array_size(env), i, k = 0;
	char **v = calloc(n + 4, sizeof(*v));
	const json_t *e;
	bool has_path = false, has_home = false, has_host = false;

	if (!v)
		return NULL;
	json_array_foreach(env, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *val = json_string_value(json_object_get(e, "value"));

		if (!name || !val || asprintf(&v[k], "%s=%s", name, val) < 0) {
			v[k] = NULL;
			continue;
		}
		k++;
		has_path |= strcmp(name, "PATH") == 0;
		has_home |= strcmp(name, "HOME") == 0;
		has_host |= strcmp(name, "HOSTNAME") == 0;
	}
	/* What a container runtime adds: the image's PATH (we have none: a standard one), HOSTNAME, HOME. */
	if (!has_path && (v[k] = strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")))
		k++;
	if (!has_host && asprintf(&v[k], "HOSTNAME=%s", hostname) >= 0)
		k++;
	else if (!has_host)
		v[k] = NULL;
	if (!has_home && (v[k] = strdup("HOME=/root")))
		k++;
	v[k] = NULL;
	return v;
}

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static int open_log(sup_ctr_t *c, int index)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), RT_LOGS "/%s", c->spec->name);
	if (mkdirat(c->s->dirfd, RT_LOGS, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdirat(c->s->dirfd, path, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), RT_LOGS "/%s/%d.log", c->spec->name, index);
	c->log_fd = openat(c->s->dirfd, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	return c->log_fd < 0 ? -errno : 0;
}

static void ctr_start(sup_ctr_t *c)
{
	sup_t *s = c->s;
	images_map_t *map = NULL;
	image_target_t target;
	char err[512], msg[1024], *file = NULL, **argv = NULL, **envp = NULL;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, rep[2] = { -1, -1 };
	int rc;
	pid_t pid, self;
	ssize_t n;

	if (s->stopping || c->pid > 0)
		return;
	envp = env_vector(c->spec->env, s->spec->hostname);
	if (!envp)
		goto oom;
	/* The map is read at each start, so an edited map applies at the next retry. */
	rc = images_map_load(s->spec->image_map[0] ? s->spec->image_map : "/nonexistent", &map, err, sizeof(err));
	if (rc < 0) {
		log_warn("supervise: image map: %s", err);
		map = NULL;
	}
	rc = images_resolve(map, c->spec->image, s->spec->exe, env_get(envp, "PATH"), &target);
	images_map_free(map);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "failed to pull and unpack image \"%s\": not found in the image map or on PATH",
			 c->spec->image);
		set_waiting(c, "ErrImagePull", msg);
		schedule_restart(c, true);
		goto out;
	}
	c->pull_backoff = 0;
	snprintf(c->image_id, sizeof(c->image_id), "portico://%s", target.path);
	c->exec_is_busybox = target.kind == IMAGE_BUSYBOX;
	rc = images_build_argv(&target, c->spec->command, c->spec->args, env_get(envp, "PATH"), &file, &argv, err,
			       sizeof(err));
	if (rc == -ENOMEM)
		goto oom;

	/* Every start after the first is a restart, whether or not the process got to exec. */
	if (c->started)
		c->restart_count++;
	c->started = true;
	c->log_index = c->runs++;
	if (c->state && json_object_get(c->state, "terminated")) {
		json_decref(c->last_state);
		c->last_state = json_incref(c->state);
	}
	time_rfc3339(c->started_at, sizeof(c->started_at));
	clock_gettime(CLOCK_MONOTONIC, &c->started_mono);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "failed to start container process: %s", err);
		c->started_at[0] = '\0';
		set_terminated(c, 128, "StartError", msg);
		ctr_ended(c);
		goto out;
	}
	if (open_log(c, c->log_index) < 0)
		log_warn("supervise: %s: log file: %s", c->spec->name, strerror(errno));
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		snprintf(msg, sizeof(msg), "failed to start container process: pipe: %s", strerror(errno));
		goto start_error;
	}
	self = getpid();
	pid = fork();
	if (pid < 0) {
		snprintf(msg, sizeof(msg), "failed to start container process: fork: %s", strerror(errno));
		goto start_error;
	}
	if (pid == 0) {
		sigset_t all;
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int e;

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The supervisor died before the line above: nobody would ever signal us. */
		if (getppid() != self)
			_exit(128);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		if (c->spec->working_dir[0] && chdir(c->spec->working_dir) < 0) {
			char m[600];
			int len;

			e = errno;
			len = snprintf(m, sizeof(m), "chdir to cwd (\"%s\") set in config.json failed: %s",
				       c->spec->working_dir, strerror(e));
			(void)!write(rep[1], m, (size_t)len);
			_exit(128);
		} else if (!c->spec->working_dir[0] && chdir("/") < 0) {
			_exit(128);
		}
		execve(file, argv, envp);
		e = errno;
		{
			char m[1024];

			start_error_msg(argv[0], e, m, sizeof(m));
			(void)!write(rep[1], m, strlen(m));
		}
		_exit(128);
	}
	close(outp[1]);
	close(errp[1]);
	close(rep[1]);
	outp[1] = errp[1] = rep[1] = -1;
	/* Blocks until the child has exec'd (the pipe closes) or failed (it writes why): microseconds. */
	do
		n = read(rep[0], msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	close(rep[0]);
	rep[0] = -1;
	c->pid = pid;
	c->out.fd = outp[0];
	c->err.fd = errp[0];
	outp[0] = errp[0] = -1;
	evutil_make_socket_nonblocking(c->out.fd);
	evutil_make_socket_nonblocking(c->err.fd);
	c->out.ev = event_new(s->base, c->out.fd, EV_READ | EV_PERSIST, on_stream_ready, &c->out);
	c->err.ev = event_new(s->base, c->err.fd, EV_READ | EV_PERSIST, on_stream_ready, &c->err);
	if (c->out.ev)
		event_add(c->out.ev, NULL);
	if (c->err.ev)
		event_add(c->err.ev, NULL);
	if (n > 0) {
		/* The process exits (128) and is reaped later; the state says why now. */
		msg[n] = '\0';
		c->started_at[0] = '\0';
		set_terminated(c, 128, "StartError", msg);
	} else {
		json_t *r = json_pack("{s:s}", "startedAt", c->started_at);

		set_state(c, json_pack("{s:o*}", "running", r));
	}
	log_info("supervise: %s: started pid %d (%s)", c->spec->name, (int)pid, file);
	goto out;

start_error:
	c->started_at[0] = '\0';
	set_terminated(c, 128, "StartError", msg);
	if (c->log_fd >= 0)
		close(c->log_fd);
	c->log_fd = -1;
	ctr_ended(c);
	goto out;
oom:
	log_err("supervise: %s: out of memory", c->spec->name);
	set_waiting(c, "ContainerCreating", "out of memory");
	schedule_restart(c, true);
out:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (rep[i] >= 0)
			close(rep[i]);
	}
	free(file);
	images_argv_free(argv);
	images_argv_free(envp);
}

/* The container's process exited with wait status ws. */
static void ctr_reaped(sup_ctr_t *c, int ws)
{
	bool start_error = json_object_get(c->state, "terminated") != NULL;
	int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);

	/* A container is its process group: what the main process leaves behind goes with it, as a PID
	 * namespace's processes go with its init. */
	kill(-c->pid, SIGKILL);
	c->pid = 0;
	if (c->out.fd >= 0) {
		stream_read(c, &c->out);
		stream_close(c, &c->out);
	}
	if (c->err.fd >= 0) {
		stream_read(c, &c->err);
		stream_close(c, &c->err);
	}
	if (c->log_fd >= 0)
		close(c->log_fd);
	c->log_fd = -1;
	if (!start_error)
		set_terminated(c, code, code == 0 ? "Completed" : "Error", NULL);
	log_info("supervise: %s: exited with %d%s", c->spec->name, code, start_error ? " (start error)" : "");
	ctr_ended(c);
}

static void on_sigchld(evutil_socket_t fd, short what, void *arg)
{
	sup_t *s = arg;
	bool changed = false;
	pid_t pid;
	int ws;

	(void)fd;
	(void)what;
	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		for (size_t i = 0; i < s->nctrs; i++)
			if (s->ctrs[i].pid == pid) {
				ctr_reaped(&s->ctrs[i], ws);
				changed = true;
			}
	}
	if (changed)
		write_status(s);
	maybe_exit(s);
}

/* ---- stopping ---------------------------------------------------------------------------------------- */

static void kill_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	sup_ctr_t *c = arg;

	(void)fd;
	(void)what;
	if (c->pid > 0) {
		log_info("supervise: %s: grace period over, SIGKILL", c->spec->name);
		kill(-c->pid, SIGKILL);
	}
}

/* SIGTERM to the container's main process (as a runtime signals a container's PID 1), SIGKILL to its
 * whole group after grace seconds. */
static void ctr_term(sup_ctr_t *c, int grace)
{
	struct timeval tv = { .tv_sec = grace, .tv_usec = 0 };

	if (c->pid <= 0)
		return;
	if (grace <= 0) {
		kill(-c->pid, SIGKILL);
		return;
	}
	kill(c->pid, SIGTERM);
	event_base_update_cache_time(c->s->base);
	evtimer_add(c->kill_timer, &tv);
}

static void maybe_exit(sup_t *s)
{
	if (!s->stopping)
		return;
	for (size_t i = 0; i < s->nctrs; i++)
		if (s->ctrs[i].pid > 0)
			return;
	log_info("supervise: pod %s/%s stopped", s->spec->ns, s->spec->name);
	event_base_loopbreak(s->base);
}

static void pod_stop(sup_t *s, int grace)
{
	bool first = !s->stopping;

	s->stopping = true;
	for (size_t i = 0; i < s->nctrs; i++) {
		sup_ctr_t *c = &s->ctrs[i];

		evtimer_del(c->restart_timer);
		if (c->pid > 0 && (first || grace == 0))
			ctr_term(c, grace);
		if (c->pid <= 0)
			c->done = true;
	}
	write_status(s);
	maybe_exit(s);
}

static void on_sigterm(evutil_socket_t fd, short what, void *arg)
{
	sup_t *s = arg;

	(void)fd;
	(void)what;
	pod_stop(s, s->spec->grace_sec);
}

/* ---- control socket ------------------------------------------------------------------------------------ */

static void client_free(sup_client_t *c)
{
	LIST_REMOVE(c, link);
	bufferevent_free(c->bev);
	free(c);
}

static bool parse_int(const char *s, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > INT_MAX)
		return false;
	*ret = (int)v;
	return true;
}

static void client_line(sup_client_t *cl, char *line)
{
	sup_t *s = cl->s;
	char *save = NULL, *verb = strtok_r(line, " ", &save), *a1 = strtok_r(NULL, " ", &save),
	     *a2 = strtok_r(NULL, " ", &save);
	int grace;

	if (!verb)
		return;
	if (strcmp(verb, "stop") == 0 && a1 && parse_int(a1, &grace)) {
		log_info("supervise: stop, grace %ds", grace);
		pod_stop(s, grace);
	} else if (strcmp(verb, "kill") == 0 && a1 && a2 && parse_int(a2, &grace)) {
		for (size_t i = 0; i < s->nctrs; i++)
			if (strcmp(s->ctrs[i].spec->name, a1) == 0) {
				log_info("supervise: %s: kill, grace %ds", a1, grace);
				ctr_term(&s->ctrs[i], grace);
			}
	} else {
		log_warn("supervise: unknown control line");
	}
}

static void client_read(struct bufferevent *bev, void *arg)
{
	sup_client_t *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF))) {
		client_line(cl, line);
		free(line);
	}
	if (evbuffer_get_length(in) > RT_MAX_LINE)
		client_free(cl);
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	sup_t *s = arg;
	sup_client_t *c = calloc(1, sizeof(*c));

	(void)l;
	(void)sa;
	(void)len;
	if (!c) {
		close(fd);
		return;
	}
	c->s = s;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, client_read, NULL, client_event, c);
	bufferevent_enable(c->bev, EV_READ);
	LIST_INSERT_HEAD(&s->clients, c, link);
	/* A new client (a restarted agent) learns the current state at once. */
	bufferevent_write(c->bev, "changed\n", 8);
}

/* ---- setup ---------------------------------------------------------------------------------------------- */

static int read_file_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, len = 0;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			char *nb;

			if (cap >= max) {
				free(buf);
				close(fd);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The pod's namespaces: its network namespace (made by podnet), and new mount, UTS and IPC namespaces
 * shared by its containers, where /etc/resolv.conf and /etc/hosts are the pod's own files. */
static int enter_pod(sup_t *s)
{
	char path[PATH_MAX + 32];

	if (s->spec->netns[0]) {
		int fd = open(s->spec->netns, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			log_err("supervise: enter network namespace %s: %s", s->spec->netns, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -errno;
		}
		close(fd);
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | (s->spec->host_network ? 0 : CLONE_NEWUTS)) < 0) {
		log_err("supervise: unshare: %s", strerror(errno));
		return -errno;
	}
	/* Private, so the bind mounts below never propagate back to the node. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		log_err("supervise: make / private: %s", strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/" RT_RESOLV, s->dir);
	if (access(path, F_OK) == 0 && mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0)
		log_warn("supervise: bind-mount resolv.conf: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/" RT_HOSTS, s->dir);
	if (access(path, F_OK) == 0 && mount(path, "/etc/hosts", NULL, MS_BIND, NULL) < 0)
		log_warn("supervise: bind-mount hosts: %s", strerror(errno));
	if (!s->spec->host_network && sethostname(s->spec->hostname, strlen(s->spec->hostname)) < 0) {
		log_err("supervise: sethostname: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* An earlier supervisor of this pod died (its containers with it): carry on its counts, and leave
 * containers it saw finish for good finished. */
static void restore(sup_t *s)
{
	const json_t *ctrs = json_object_get(s->prev_status, "containers"), *o;
	size_t i;

	json_array_foreach(ctrs, i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		json_int_t rc = json_integer_value(json_object_get(o, "restartCount"));
		json_int_t li = json_integer_value(json_object_get(o, "logIndex"));
		const json_t *st = json_object_get(o, "state");

		for (size_t k = 0; name && k < s->nctrs; k++) {
			sup_ctr_t *c = &s->ctrs[k];

			if (strcmp(c->spec->name, name) != 0)
				continue;
			if (li >= 0 && li < INT_MAX - 1 && json_object_get(o, "logIndex")) {
				c->runs = (int)li + 1;
				c->started = true;
				c->restart_count = rc >= 0 && rc < INT_MAX ? (int)rc : 0;
			}
			if (json_is_object(json_object_get(st, "terminated"))) {
				int code = (int)json_integer_value(json_object_get(json_object_get(st, "terminated"), "exitCode"));

				set_state(c, json_deep_copy(st));
				if (!should_restart(s, code))
					c->done = true;
			} else if (json_is_object(json_object_get(st, "running"))) {
				/* It died with its supervisor: an exit like any other for the restart policy. */
				json_t *t = json_pack("{s:i,s:s}", "exitCode", 137, "reason", "Error");

				set_state(c, json_pack("{s:o*}", "terminated", t));
				if (!should_restart(s, 137))
					c->done = true;
			}
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: portico supervise DIR [--lock-fd N] [--listen-fd N]\n"
			"  (started by the agent: one pod's supervisor; see src/agent/runtime.h)\n");
}

int runtime_supervise_main(int argc, char **argv)
{
	sup_t s = { .dirfd = -1 };
	char err[512], *text = NULL;
	size_t len;
	int lock_fd = -1, listen_fd = -1, rc = 1;

	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "--spawner") == 0)
		return spawner_main(argc, argv);
	for (int i = 2; i + 1 < argc; i += 2) {
		int *dst = strcmp(argv[i], "--lock-fd") == 0 ? &lock_fd : strcmp(argv[i], "--listen-fd") == 0 ? &listen_fd : NULL;

		if (!dst || !parse_int(argv[i + 1], dst)) {
			usage();
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(s.dir, sizeof(s.dir), "%s", argv[1]);
	s.dirfd = open(s.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.dirfd < 0) {
		log_err("supervise: %s: %s", s.dir, strerror(errno));
		return 1;
	}
	if (lock_fd < 0) {
		lock_fd = openat(s.dirfd, RT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
			log_err("supervise: %s: already supervised (%s)", s.dir, strerror(errno));
			return 1;
		}
	}
	/* Neither may reach a container. */
	fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
	if (listen_fd >= 0)
		fcntl(listen_fd, F_SETFD, FD_CLOEXEC);
	if (read_file_at(s.dirfd, RT_SPEC, RT_MAX_SPEC, &text, &len) < 0 ||
	    rt_spec_parse(text, len, &s.spec, err, sizeof(err)) < 0) {
		log_err("supervise: %s/" RT_SPEC ": %s", s.dir, text ? err : "unreadable");
		free(text);
		return 1;
	}
	free(text);
	text = NULL;
	if (read_file_at(s.dirfd, RT_STATUS, RT_MAX_STATUS, &text, &len) == 0) {
		s.prev_status = json_loadb(text, len, 0, NULL);
		free(text);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (enter_pod(&s) < 0)
		goto out;

	s.base = event_base_new();
	s.nctrs = s.spec->nctrs;
	s.ctrs = calloc(s.nctrs, sizeof(*s.ctrs));
	if (!s.base || !s.ctrs)
		goto out;
	LIST_INIT(&s.clients);
	for (size_t i = 0; i < s.nctrs; i++) {
		sup_ctr_t *c = &s.ctrs[i];

		c->s = &s;
		c->spec = &s.spec->ctrs[i];
		c->log_index = -1;
		c->log_fd = c->out.fd = c->err.fd = -1;
		c->out.name = "stdout";
		c->err.name = "stderr";
		c->out.owner = c->err.owner = c;
		c->restart_timer = evtimer_new(s.base, restart_cb, c);
		c->kill_timer = evtimer_new(s.base, kill_timer_cb, c);
		set_waiting(c, "ContainerCreating", NULL);
		if (!c->restart_timer || !c->kill_timer)
			goto out;
	}
	restore(&s);
	if (listen_fd >= 0) {
		evutil_make_socket_nonblocking(listen_fd);
		s.listener = evconnlistener_new(s.base, on_accept, &s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
						listen_fd);
	}
	s.sig_chld = evsignal_new(s.base, SIGCHLD, on_sigchld, &s);
	s.sig_term = evsignal_new(s.base, SIGTERM, on_sigterm, &s);
	s.sig_int = evsignal_new(s.base, SIGINT, on_sigterm, &s);
	if (!s.sig_chld || !s.sig_term || !s.sig_int)
		goto out;
	evsignal_add(s.sig_chld, NULL);
	evsignal_add(s.sig_term, NULL);
	evsignal_add(s.sig_int, NULL);
	log_info("supervise: pod %s/%s (%s), %zu containers", s.spec->ns, s.spec->name, s.spec->uid, s.nctrs);
	for (size_t i = 0; i < s.nctrs; i++)
		if (!s.ctrs[i].done)
			ctr_start(&s.ctrs[i]);
	write_status(&s);
	/* A child that exited before the signal event was added left no signal to wake us. */
	on_sigchld(-1, 0, &s);
	event_base_dispatch(s.base);
	write_status(&s);
	rc = 0;
out:
	for (size_t i = 0; s.ctrs && i < s.nctrs; i++) {
		sup_ctr_t *c = &s.ctrs[i];

		if (c->pid > 0)
			kill(-c->pid, SIGKILL);
		stream_close(c, &c->out);
		stream_close(c, &c->err);
		if (c->log_fd >= 0)
			close(c->log_fd);
		if (c->restart_timer)
			event_free(c->restart_timer);
		if (c->kill_timer)
			event_free(c->kill_timer);
		json_decref(c->state);
		json_decref(c->last_state);
	}
	while (!LIST_EMPTY(&s.clients))
		client_free(LIST_FIRST(&s.clients));
	if (s.listener)
		evconnlistener_free(s.listener);
	else if (listen_fd >= 0)
		close(listen_fd);
	if (s.sig_chld)
		event_free(s.sig_chld);
	if (s.sig_term)
		event_free(s.sig_term);
	if (s.sig_int)
		event_free(s.sig_int);
	if (s.base)
		event_base_free(s.base);
	free(s.ctrs);
	json_decref(s.prev_status);
	rt_spec_free(s.spec);
	close(s.dirfd);
	/* The lock goes last: once it is free, the agent may remove the directory. */
	close(lock_fd);
	return rc;
}
