/* Durability of acknowledged writes: a child process creates keys with several writes in flight and
 * reports each acknowledged key and revision over a pipe; the parent SIGKILLs it at a random moment,
 * reopens the database and checks every acknowledged key is there with that revision. Also prints
 * create throughput with 1 and 32 writes in flight, to show group commit at work (not asserted). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "harness.h"
#include "store/store.h"

#define ROUNDS 5
#define CHILD_IN_FLIGHT 8
#define MAX_ACKS 200000

static char dir[64], dbpath[128];

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void db_remove(void)
{
	char p[160];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static store_val_t *build_obj(int64_t rev, const store_val_t *prev, void *ud)
{
	char buf[1100];
	int n = snprintf(buf, sizeof(buf), "{\"rv\":%" PRId64 ",\"pad\":\"%0*d\"}", rev, 900, 0);

	return store_val_new(buf, (size_t)n);
}

/* --- the child: a create loop that reports acknowledgements --- */

struct child {
	store_t *s;
	int fd, round;
	long next;
};

struct child_write {
	struct child *c;
	char key[64];
};

static void child_issue(struct child *c);

static void child_done(int err, int64_t rev, void *ud)
{
	struct child_write *cw = ud;
	struct child *c = cw->c;
	char line[128];
	int n;

	if (err == 0) {
		/* One write() of less than PIPE_BUF bytes: atomic, and once it returns the line is in the
		 * pipe and survives our death. */
		n = snprintf(line, sizeof(line), "%s %" PRId64 "\n", cw->key, rev);
		if (write(c->fd, line, (size_t)n) != n)
			_exit(3);
	}
	free(cw);
	child_issue(c);
}

static void child_issue(struct child *c)
{
	struct child_write *cw = malloc(sizeof(*cw));

	if (!cw)
		_exit(4);
	cw->c = c;
	snprintf(cw->key, sizeof(cw->key), "/registry/crash/r%d/k%06ld", c->round, c->next++);
	if (store_write(c->s, &(store_write_t){ .op = STORE_CREATE, .key = cw->key, .build = build_obj,
						.done = child_done, .userdata = cw },
			NULL) < 0)
		_exit(5);
}

static void child_main(int fd, int round)
{
	struct event_base *base = event_base_new();
	store_opts_t o = { .path = dbpath };
	struct child c = { .fd = fd, .round = round };

	if (!base || store_open(base, &o, &c.s) < 0)
		_exit(2);
	for (int i = 0; i < CHILD_IN_FLIGHT; i++)
		child_issue(&c);
	/* The store's completion event alone does not keep a loop running. */
	event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
	_exit(6);
}

/* --- the parent --- */

struct ack {
	char key[64];
	int64_t rev;
};

static struct ack acks[MAX_ACKS];

/* Parses complete lines of buf into acks; returns bytes consumed. */
static size_t parse_acks(char *buf, size_t len, int *n)
{
	size_t off = 0;

	for (;;) {
		char *nl = memchr(buf + off, '\n', len - off);
		char *sp;

		if (!nl)
			break;
		*nl = '\0';
		sp = strchr(buf + off, ' ');
		if (sp && *n < MAX_ACKS) {
			*sp = '\0';
			size_t kl = strnlen(buf + off, sizeof(acks[0].key) - 1);
			memcpy(acks[*n].key, buf + off, kl);
			acks[*n].key[kl] = '\0';
			acks[*n].rev = strtoll(sp + 1, NULL, 10);
			(*n)++;
		}
		off = (size_t)(nl - buf) + 1;
	}
	return off;
}

static int64_t crash_round(int round, int64_t prev_max)
{
	static char buf[1 << 16];
	int pfd[2], n = 0, status = 0;
	size_t len = 0;
	pid_t pid;
	uint64_t kill_after = 50000 + (uint64_t)(rand() % 400000), t0;
	struct event_base *base;
	store_t *s = NULL;
	store_opts_t o = { .path = dbpath };
	int64_t max_rev = prev_max, last = 0;
	int missing = 0, wrong = 0, order = 0;

	if (pipe(pfd) < 0) {
		CHECK(!"pipe");
		return prev_max;
	}
	pid = fork();
	if (pid < 0) {
		CHECK(!"fork");
		return prev_max;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_main(pfd[1], round);
	}
	close(pfd[1]);

	/* Read while the child runs, then kill it mid-write; what it acknowledged is already in the
	 * pipe, so keep reading to EOF. */
	t0 = now_usec();
	for (bool killed = false;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		uint64_t el = now_usec() - t0;
		ssize_t r;

		if (!killed && el >= kill_after) {
			kill(pid, SIGKILL);
			killed = true;
		}
		if (poll(&p, 1, killed ? 1000 : (int)((kill_after - el) / 1000) + 1) <= 0)
			continue;
		r = read(pfd[0], buf + len, sizeof(buf) - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		{
			size_t used = parse_acks(buf, len, &n);

			memmove(buf, buf + used, len - used);
			len -= used;
		}
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	if (WIFEXITED(status))
		fprintf(stderr, "  child exited with %d\n", WEXITSTATUS(status));
	CHECK(n > 0); /* the round proved nothing otherwise */

	base = event_base_new();
	CHECK_INT(store_open(base, &o, &s), 0);
	if (!s) {
		event_base_free(base);
		return prev_max;
	}
	for (int i = 0; i < n; i++) {
		store_kv_t kv;
		char want[32];

		/* Acks come in revision order, above everything acknowledged in earlier rounds. */
		if (acks[i].rev <= last || acks[i].rev <= prev_max)
			order++;
		last = acks[i].rev;
		if (store_get(s, acks[i].key, &kv) < 0) {
			missing++;
			continue;
		}
		snprintf(want, sizeof(want), "{\"rv\":%" PRId64 ",", acks[i].rev);
		if (kv.mod_rev != acks[i].rev || kv.create_rev != acks[i].rev ||
		    strncmp(kv.val->data, want, strlen(want)) != 0)
			wrong++;
		if (acks[i].rev > max_rev)
			max_rev = acks[i].rev;
	}
	CHECK_INT(missing, 0);
	CHECK_INT(wrong, 0);
	CHECK_INT(order, 0);
	CHECK(store_rev(s) >= max_rev);
	fprintf(stderr, "  round %d: killed after %" PRIu64 " ms, %d acknowledged, %zu keys on disk, rev %" PRId64 "\n",
		round, kill_after / 1000, n, store_count(s, "/registry/crash/"), store_rev(s));
	store_close(s);
	event_base_free(base);
	return max_rev;
}

static void test_crash(void)
{
	int64_t max_rev = 0;

	db_remove();
	for (int round = 0; round < ROUNDS; round++)
		max_rev = crash_round(round, max_rev);
}

/* --- throughput --- */

struct tp {
	store_t *s;
	long issued, done, target;
	int errors;
};

static void tp_issue(struct tp *t);

static void tp_done(int err, int64_t rev, void *ud)
{
	struct tp *t = ud;

	t->done++;
	if (err)
		t->errors++;
	if (t->issued < t->target)
		tp_issue(t);
}

static void tp_issue(struct tp *t)
{
	char key[64];

	snprintf(key, sizeof(key), "/registry/tp/k%07ld", t->issued++);
	if (store_write(t->s, &(store_write_t){ .op = STORE_CREATE, .key = key, .build = build_obj,
						.done = tp_done, .userdata = t },
			NULL) < 0)
		t->errors++;
}

static double throughput(int in_flight, long n, double *ret_batch)
{
	struct event_base *base = event_base_new();
	store_opts_t o = { .path = dbpath };
	struct tp t = { .target = n };
	store_stats_t st;
	uint64_t t0, t1;

	db_remove();
	CHECK_INT(store_open(base, &o, &t.s), 0);
	if (!t.s) {
		event_base_free(base);
		return 0;
	}
	t0 = now_usec();
	for (int i = 0; i < in_flight; i++)
		tp_issue(&t);
	while (t.done < n && t.errors == 0)
		event_base_loop(base, EVLOOP_ONCE);
	t1 = now_usec();
	CHECK_INT(t.errors, 0);
	CHECK_INT(store_count(t.s, "/registry/tp/"), n);
	store_get_stats(t.s, &st);
	*ret_batch = st.commits ? (double)st.writes / (double)st.commits : 0;
	store_close(t.s);
	event_base_free(base);
	return (double)n * 1e6 / (double)(t1 - t0);
}

static void test_throughput(void)
{
	double b1, b32;
	double r1 = throughput(1, 1000, &b1);
	double r32 = throughput(32, 10000, &b32);

	fprintf(stderr, "  throughput: 1 in flight %.0f creates/s (%.1f writes/commit), "
		"32 in flight %.0f creates/s (%.1f writes/commit)\n", r1, b1, r32, b32);
	/* Group commit must batch with 32 in flight; the rate itself depends on the disk. */
	CHECK(b32 > 2.0);
}

int main(void)
{
	evthread_use_pthreads();
	srand((unsigned)(now_usec() ^ (uint64_t)getpid()));
	snprintf(dir, sizeof(dir), "/tmp/portico-crash-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/state.db", dir);

	TEST_RUN(test_crash);
	TEST_RUN(test_throughput);

	db_remove();
	rmdir(dir);
	TEST_DONE();
}
