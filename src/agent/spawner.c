/* The supervisor spawner (spawner.h): one exec'd helper process that forks pod supervisors, and the
 * direct fork-and-exec path it replaces (kept as the fallback). */
#include "agent/spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/runtime.h"
#include "agent/runtime_dir.h"
#include "core/log.h"

#define SPAWNER_FD         3
#define SPAWNER_TIMEOUT_MS 10000 /* a fork and a few system calls; only a stuck machine takes this long */
#define SPAWNER_ARGV_PAD   384   /* empty arguments: room for the supervisors' command lines */

extern char **environ;

struct spawner {
	pid_t pid;
	int fd; /* our end of the SOCK_SEQPACKET pair */
};

/* Everything the intermediate child needs, prepared before the fork (the direct path's child may
 * only make system calls). */
typedef struct sup_paths {
	char dir[PATH_MAX];
	char lock[PATH_MAX + 16], log[PATH_MAX + 16];
	struct sockaddr_un sa; /* /proc/self/fd/<dfd>/ctl.sock: a long data dir never hits sun_path's 108 bytes */
	int dfd;
} sup_paths_t;

static int paths_prepare(const char *dir, sup_paths_t *p)
{
	if (strlen(dir) >= sizeof(p->dir) || dir[0] != '/')
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	snprintf(p->lock, sizeof(p->lock), "%s/" RT_LOCK, dir);
	snprintf(p->log, sizeof(p->log), "%s/" RT_SUP_LOG, dir);
	p->dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (p->dfd < 0)
		return -errno;
	p->sa.sun_family = AF_UNIX;
	snprintf(p->sa.sun_path, sizeof(p->sa.sun_path), "/proc/self/fd/%d/" RT_SOCK, p->dfd);
	return 0;
}

/* The spawner's argument strings (contiguous, as the kernel lays them out), from "supervise" on. */
static char *arg_area;
static size_t arg_len;

/* A supervisor forked from the spawner still shows the spawner's command line: rewrite it in place
 * (the spawner's argv carries SPAWNER_ARGV_PAD empty arguments for the room) to read as an exec'd
 * supervisor's would, naming its pod directory (for ps, and for whoever counts supervisors). Only
 * cosmetic, so a directory too long for the room is cut short. (prctl PR_SET_MM_ARG_START would need
 * CAP_SYS_RESOURCE, which an agent in a container may lack.) */
static void cmdline_set(char *const argv[])
{
	size_t off = 0;

	if (!arg_area || arg_len < 2)
		return;
	memset(arg_area, 0, arg_len);
	for (size_t i = 1; argv[i] && off + 1 < arg_len; i++) { /* argv[0], "portico", stays as it is */
		size_t n = strlen(argv[i]);

		if (n > arg_len - 1 - off - 1)
			n = arg_len - 1 - off - 1;
		memcpy(arg_area + off, argv[i], n);
		off += n + 1; /* the NUL is already there */
	}
}

/* The intermediate child: a session of its own, the pod's lock, the bound control socket, then the
 * supervisor as its child, and exit at once, so the supervisor is nobody's child but init's (or the
 * nearest subreaper's) and neither the agent's death nor a signal to the agent's process group
 * reaches it. Exit status 0: started; 3: another supervisor holds the lock (it is the pod's).
 * exe NULL: run the supervisor in this process image (the spawner); else exec exe. */
static _Noreturn void intermediate(const sup_paths_t *p, const char *exe)
{
	char *argv[] = { "portico", "supervise", (char *)p->dir, "--lock-fd", "3", "--listen-fd", "4", NULL };
	int lock, sock, logfd, devnull;
	sigset_t none;
	pid_t pid;

	setsid();
	lock = open(p->lock, O_RDWR | O_CREAT, 0644);
	if (lock < 0)
		_exit(4);
	if (flock(lock, LOCK_EX | LOCK_NB) < 0)
		_exit(errno == EWOULDBLOCK ? 3 : 4);
	unlinkat(p->dfd, RT_SOCK, 0);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	if (sock < 0 || bind(sock, (const struct sockaddr *)&p->sa, sizeof(p->sa)) < 0 || listen(sock, 64) < 0)
		_exit(5);
	pid = fork();
	if (pid < 0)
		_exit(6);
	if (pid > 0)
		_exit(0);
	logfd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	devnull = open("/dev/null", O_RDWR);
	lock = fcntl(lock, F_DUPFD, 16);
	sock = fcntl(sock, F_DUPFD, 16);
	if (lock < 0 || sock < 0 || devnull < 0)
		_exit(7);
	dup2(devnull, 0);
	dup2(logfd >= 0 ? logfd : devnull, 1);
	dup2(logfd >= 0 ? logfd : devnull, 2);
	dup2(lock, 3);
	dup2(sock, 4);
	close_range(5, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!exe) {
		cmdline_set(argv);
		exit(runtime_supervise_main(6, argv + 1)); /* as main() hands it over: from "supervise" on */
	}
	signal(SIGPIPE, SIG_DFL);
	execv(exe, argv);
	_exit(127);
}

static int verdict(const char *dir, int ws)
{
	if (WIFEXITED(ws) && (WEXITSTATUS(ws) == 0 || WEXITSTATUS(ws) == 3))
		return 0; /* 3: a supervisor took the lock first: it is the pod's */
	log_err("runtime: %s: supervisor start failed (status %d)", dir, ws);
	return -EIO;
}

int spawner_fork_direct(const char *exe, const char *dir)
{
	sup_paths_t p;
	int ws = 0, rc;
	pid_t pid;

	if ((rc = paths_prepare(dir, &p)) < 0)
		return rc;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(p.dfd);
		return rc;
	}
	if (pid == 0)
		intermediate(&p, exe);
	close(p.dfd);
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return verdict(dir, ws);
}

/* ---- the agent's side ----------------------------------------------------------------------------------- */

int spawner_new(const char *exe, spawner_t **ret)
{
	char *argv[4 + SPAWNER_ARGV_PAD + 1] = { "portico", "supervise", "--spawner", "3" };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	spawner_t *s;
	int sv[2], child, rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* above SPAWNER_FD, so that the dup2 below always clears close-on-exec */
	child = fcntl(sv[1], F_DUPFD_CLOEXEC, SPAWNER_FD + 1);
	close(sv[1]);
	s = calloc(1, sizeof(*s));
	if (child < 0 || !s) {
		rc = child < 0 ? -errno : -ENOMEM;
		if (child >= 0)
			close(child);
		close(sv[0]);
		free(s);
		return rc;
	}
	s->fd = sv[0];
	for (size_t i = 4; i < 4 + SPAWNER_ARGV_PAD; i++)
		argv[i] = "";
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	/* a clean child whatever the calling thread blocks or handles (portico server's threads) */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_adddup2(&fa, child, SPAWNER_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, SPAWNER_FD + 1);
	rc = -posix_spawn(&s->pid, exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(child);
	if (rc < 0) {
		close(s->fd);
		free(s);
		return rc;
	}
	*ret = s;
	return 0;
}

void spawner_free(spawner_t *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd); /* EOF: the spawner exits */
	while (s->pid > 0 && waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(s);
}

/* The spawner cannot be trusted any more: make sure it is gone. */
static void spawner_kill(spawner_t *s)
{
	if (s->pid > 0)
		kill(s->pid, SIGKILL);
	close(s->fd);
	s->fd = -1;
}

int spawner_spawn(spawner_t *s, const char *dir)
{
	size_t len = strlen(dir);
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	int32_t ws;
	ssize_t n;
	int rc;

	if (s->fd < 0)
		return -EPIPE;
	if (len == 0 || len >= PATH_MAX)
		return -EINVAL;
	if (send(s->fd, dir, len, MSG_NOSIGNAL) != (ssize_t)len) {
		spawner_kill(s);
		return -EPIPE;
	}
	do
		rc = poll(&pfd, 1, SPAWNER_TIMEOUT_MS);
	while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		log_err("runtime: %s: the supervisor spawner did not answer in %d ms", dir, SPAWNER_TIMEOUT_MS);
		spawner_kill(s);
		return -ETIMEDOUT;
	}
	do
		n = recv(s->fd, &ws, sizeof(ws), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(ws)) {
		spawner_kill(s);
		return -EPIPE;
	}
	return verdict(dir, ws);
}

/* ---- the spawner process ------------------------------------------------------------------------------- */

int spawner_main(int argc, char **argv)
{
	char *end;
	long fd;

	if (argc < 3 || strcmp(argv[1], "--spawner") != 0) {
		fprintf(stderr, "usage: portico supervise --spawner FD (started by the agent)\n");
		return 2;
	}
	errno = 0;
	fd = strtol(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || fd < 0 || fd > INT_MAX) {
		fprintf(stderr, "supervise --spawner: bad fd %s\n", argv[2]);
		return 2;
	}
	for (int i = 3; i < argc; i++)
		if (argv[i][0]) {
			fprintf(stderr, "supervise --spawner: unexpected argument %s\n", argv[i]);
			return 2;
		}
	arg_area = argv[0];
	arg_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
	fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	for (;;) {
		char dir[PATH_MAX];
		sup_paths_t p;
		int32_t reply;
		int ws = 0;
		ssize_t n = recv((int)fd, dir, sizeof(dir) - 1, 0);
		pid_t pid;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0; /* the agent is gone (or freed its runtime) */
		dir[n] = '\0';
		if (strlen(dir) != (size_t)n || paths_prepare(dir, &p) < 0) {
			reply = 1 << 8; /* exit status 1 */
		} else {
			pid = fork();
			if (pid == 0)
				intermediate(&p, NULL);
			close(p.dfd);
			if (pid < 0) {
				reply = 1 << 8;
			} else {
				while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
					;
				reply = ws;
			}
		}
		if (send((int)fd, &reply, sizeof(reply), MSG_NOSIGNAL) < 0)
			return 0;
	}
}
