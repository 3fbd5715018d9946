/* CRI log lines and the kubelet's reading of them (agent/crilog.c): the line parser, RFC 3339
 * times both ways, timestamps/since/limitBytes rendering, partial lines, and the tail over a buffer
 * and over a file larger than one read block. Also the kubelet's container-state checks
 * (logsrv_check) and the API server's container choice (podlog_pick_container). */
#include "agent/crilog.h"
#include "agent/logsrv.h"
#include "api/podlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

static void test_time(void)
{
	int64_t ns = 0;
	char buf[48];

	CHECK_INT(crilog_parse_time("1970-01-01T00:00:00Z", 20, &ns), 0);
	CHECK_INT(ns, 0);
	CHECK_INT(crilog_parse_time("2026-11-30T02:23:22.123456789Z", 30, &ns), 0);
	CHECK_INT(ns, 1796005402123456789LL);
	crilog_format_time(ns, buf, sizeof(buf));
	CHECK_STR(buf, "2026-11-30T02:23:22.123456789Z");
	/* an offset is folded into UTC; a short fraction is scaled */
	CHECK_INT(crilog_parse_time("2026-11-30T04:23:22.5+02:00", 27, &ns), 0);
	CHECK_INT(ns, 1796005402500000000LL);
	crilog_format_time(ns, buf, sizeof(buf));
	CHECK_STR(buf, "2026-11-30T02:23:22.5Z"); /* Go's RFC3339Nano trims trailing zeros */
	crilog_format_time(1796005402000000000LL, buf, sizeof(buf));
	CHECK_STR(buf, "2026-11-30T02:23:22Z");
	CHECK_INT(crilog_parse_time("2024-02-29T00:00:00Z", 20, &ns), 0); /* leap day */
	CHECK_INT(crilog_parse_time("2023-02-29T00:00:00Z", 20, &ns), -EINVAL);
	CHECK_INT(crilog_parse_time("2026-11-30T02:23:22", 19, &ns), -EINVAL);          /* no zone */
	CHECK_INT(crilog_parse_time("2026-11-30T02:23:22.Z", 21, &ns), -EINVAL);        /* empty fraction */
	CHECK_INT(crilog_parse_time("2026-11-30T02:23:22.1234567890Z", 31, &ns), -EINVAL); /* 10 digits */
	CHECK_INT(crilog_parse_time("2026-11-30T24:00:00Z", 20, &ns), -EINVAL);
	CHECK_INT(crilog_parse_time("2026-11-30T02:23:22Zx", 21, &ns), -EINVAL);
	CHECK_INT(crilog_parse_time("2026-11-30T02:23:22+2:00", 24, &ns), -EINVAL);
	crilog_format_time(-1, buf, sizeof(buf));
	CHECK_STR(buf, "1969-12-31T23:59:59.999999999Z");
}

static void test_parse_line(void)
{
	crilog_line_t l;
	const char *a = "2026-11-30T02:23:22.1Z stdout F hello world";
	const char *b = "2026-11-30T02:23:22.1Z stderr P part";
	const char *c = "2026-11-30T02:23:22.1Z stdout F";
	const char *d = "2026-11-30T02:23:22.1Z stdout F:x ext";

	CHECK_INT(crilog_parse_line(a, strlen(a), &l), 0);
	CHECK_INT(l.stream, CRILOG_STDOUT);
	CHECK(!l.partial);
	CHECK_INT(l.msg_len, 11);
	CHECK(memcmp(l.msg, "hello world", 11) == 0);
	CHECK_INT(crilog_parse_line(b, strlen(b), &l), 0);
	CHECK_INT(l.stream, CRILOG_STDERR);
	CHECK(l.partial);
	CHECK_INT(crilog_parse_line(c, strlen(c), &l), 0); /* an empty line */
	CHECK_INT(l.msg_len, 0);
	CHECK_INT(crilog_parse_line(d, strlen(d), &l), 0);
	CHECK_INT(l.msg_len, 3);
	CHECK_INT(crilog_parse_line("", 0, &l), -EBADMSG);
	CHECK_INT(crilog_parse_line("garbage", 7, &l), -EBADMSG);
	CHECK_INT(crilog_parse_line("2026-11-30T02:23:22Z stdin F x", 30, &l), -EBADMSG);
	CHECK_INT(crilog_parse_line("2026-11-30T02:23:22Z stdout X x", 31, &l), -EBADMSG);
	CHECK_INT(crilog_parse_line("2026-11-30T02:23:22Z stdout", 27, &l), -EBADMSG);
	CHECK_INT(crilog_parse_line("2026-11-30T02:23:22Z stdout FF x", 32, &l), -EBADMSG);
}

struct sink {
	char buf[4096];
	size_t len;
};

static void to_sink(const char *data, size_t len, void *arg)
{
	struct sink *s = arg;

	if (s->len + len < sizeof(s->buf)) {
		memcpy(s->buf + s->len, data, len);
		s->len += len;
		s->buf[s->len] = '\0';
	}
}

static const char LOG[] = "2026-11-30T02:00:00.5Z stdout F one\n"
			  "2026-11-30T02:00:01Z stderr F two\n"
			  "not a cri line\n"
			  "2026-11-30T02:00:02Z stdout P thr\n"
			  "2026-11-30T02:00:02.25Z stdout F ee\n"
			  "2026-11-30T02:00:03Z stdout F four";

static void test_render(void)
{
	crilog_filter_t f = { .limit = -1 };
	struct sink s = { .len = 0 };
	size_t used;
	int64_t t2;

	/* without eof the unterminated last line waits */
	used = crilog_render(&f, LOG, strlen(LOG), false, to_sink, &s);
	CHECK_INT(used, strlen(LOG) - strlen("2026-11-30T02:00:03Z stdout F four"));
	CHECK_STR(s.buf, "one\ntwo\nthree\n");
	used += crilog_render(&f, LOG + used, strlen(LOG) - used, true, to_sink, &s);
	CHECK_INT(used, strlen(LOG));
	CHECK_STR(s.buf, "one\ntwo\nthree\nfour\n");

	/* timestamps: each entry's own time, Go's RFC3339Nano */
	s.len = 0;
	s.buf[0] = '\0';
	f = (crilog_filter_t){ .timestamps = true, .limit = -1 };
	crilog_render(&f, LOG, strlen(LOG), true, to_sink, &s);
	CHECK_STR(s.buf, "2026-11-30T02:00:00.5Z one\n2026-11-30T02:00:01Z two\n2026-11-30T02:00:02Z thr"
			 "2026-11-30T02:00:02.25Z ee\n2026-11-30T02:00:03Z four\n");

	/* since: entries older than the cut are left out */
	s.len = 0;
	s.buf[0] = '\0';
	CHECK_INT(crilog_parse_time("2026-11-30T02:00:01Z", 20, &t2), 0);
	f = (crilog_filter_t){ .since_ns = t2, .limit = -1 };
	crilog_render(&f, LOG, strlen(LOG), true, to_sink, &s);
	CHECK_STR(s.buf, "two\nthree\nfour\n");

	/* limitBytes: cut mid-line, then nothing more */
	s.len = 0;
	s.buf[0] = '\0';
	f = (crilog_filter_t){ .limit = 6 };
	used = crilog_render(&f, LOG, strlen(LOG), true, to_sink, &s);
	CHECK_STR(s.buf, "one\ntw");
	CHECK(crilog_done(&f));
	CHECK(used < strlen(LOG));
}

static void test_tail(void)
{
	const char *b = "a\nb\nc\n";
	const char *u = "a\nb\nc";

	CHECK_INT(crilog_tail_start(b, 6, -1), 0);
	CHECK_INT(crilog_tail_start(b, 6, 0), 6);
	CHECK_INT(crilog_tail_start(b, 6, 1), 4);
	CHECK_INT(crilog_tail_start(b, 6, 2), 2);
	CHECK_INT(crilog_tail_start(b, 6, 3), 0);
	CHECK_INT(crilog_tail_start(b, 6, 10), 0);
	/* an unterminated last piece is not a line, but comes along */
	CHECK_INT(crilog_tail_start(u, 5, 0), 4);
	CHECK_INT(crilog_tail_start(u, 5, 1), 2);
	CHECK_INT(crilog_tail_start("", 0, 1), 0);
}

static void test_tail_file(void)
{
	char path[] = "/tmp/test_crilog.XXXXXX";
	int fd = mkstemp(path);
	char line[64];
	off_t off = -1;
	size_t len = 0;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	/* 3000 lines of 46 bytes: ~138 KB, many 8 KiB blocks */
	for (int i = 0; i < 3000; i++) {
		int n = snprintf(line, sizeof(line), "2026-11-30T02:00:00Z stdout F line %010d\n", i);
		CHECK(write(fd, line, (size_t)n) == n);
		len += (size_t)n;
	}
	CHECK_INT(crilog_tail_offset(fd, (off_t)len, 1, &off), 0);
	CHECK_INT(off, (off_t)(len - 46));
	CHECK_INT(crilog_tail_offset(fd, (off_t)len, 2999, &off), 0);
	CHECK_INT(off, 46);
	CHECK_INT(crilog_tail_offset(fd, (off_t)len, 3000, &off), 0);
	CHECK_INT(off, 0);
	CHECK_INT(crilog_tail_offset(fd, (off_t)len, 500000, &off), 0);
	CHECK_INT(off, 0);
	CHECK_INT(crilog_tail_offset(fd, (off_t)len, -1, &off), 0);
	CHECK_INT(off, 0);
	CHECK_INT(crilog_tail_offset(fd, (off_t)len, 0, &off), 0);
	CHECK_INT(off, (off_t)len);
	/* 175 lines: the boundary falls inside an earlier block */
	CHECK_INT(crilog_tail_offset(fd, (off_t)len, 175, &off), 0);
	CHECK_INT(off, (off_t)(len - 175 * 46));
	close(fd);
}

static void test_check(void)
{
	char err[256];
	json_t *pod = json_loads(
		"{\"metadata\":{\"name\":\"p\",\"uid\":\"u1\"},\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"},"
		"{\"name\":\"c\"},{\"name\":\"d\"},{\"name\":\"e\"}]},\"status\":{\"containerStatuses\":["
		"{\"name\":\"a\",\"state\":{\"running\":{}},\"lastState\":{}},"
		"{\"name\":\"b\",\"state\":{\"waiting\":{\"reason\":\"ContainerCreating\"}},\"lastState\":{}},"
		"{\"name\":\"c\",\"state\":{\"waiting\":{\"reason\":\"ErrImagePull\"}},\"lastState\":{}},"
		"{\"name\":\"d\",\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},"
		" \"lastState\":{\"terminated\":{\"exitCode\":1}}}]}}",
		0, NULL);

	CHECK(pod != NULL);
	CHECK_INT(logsrv_check(pod, "a", false, err, sizeof(err)), 0);
	CHECK_INT(logsrv_check(pod, "a", true, err, sizeof(err)), 400);
	CHECK_STR(err, "previous terminated container \"a\" in pod \"p\" not found");
	CHECK_INT(logsrv_check(pod, "b", false, err, sizeof(err)), 400);
	CHECK_STR(err, "container \"b\" in pod \"p\" is waiting to start: ContainerCreating");
	CHECK_INT(logsrv_check(pod, "c", false, err, sizeof(err)), 400);
	CHECK_STR(err, "container \"c\" in pod \"p\" is waiting to start: image can't be pulled");
	/* crash looping: the last run's log is there */
	CHECK_INT(logsrv_check(pod, "d", false, err, sizeof(err)), 0);
	CHECK_INT(logsrv_check(pod, "d", true, err, sizeof(err)), 0);
	CHECK_INT(logsrv_check(pod, "e", false, err, sizeof(err)), 400);
	CHECK_STR(err, "container \"e\" in pod \"p\" is not available");
	CHECK_INT(logsrv_check(pod, "zz", false, err, sizeof(err)), 404);
	CHECK_STR(err, "container \"zz\" not found in pod \"p\"");
	json_decref(pod);
}

static void test_pick(void)
{
	char err[256];
	const char *c = NULL;
	json_t *one = json_loads("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"web\"}]}}", 0, NULL);
	json_t *two = json_loads("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
				 0, NULL);

	CHECK_INT(podlog_pick_container(one, NULL, &c, err, sizeof(err)), 0);
	CHECK_STR(c, "web");
	CHECK_INT(podlog_pick_container(two, NULL, &c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "a container name must be specified for pod p, choose one of: [a b]");
	CHECK_INT(podlog_pick_container(two, "b", &c, err, sizeof(err)), 0);
	CHECK_STR(c, "b");
	CHECK_INT(podlog_pick_container(two, "x", &c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "container x is not valid for pod p");
	json_decref(one);
	json_decref(two);
}

int main(void)
{
	TEST_RUN(test_time);
	TEST_RUN(test_parse_line);
	TEST_RUN(test_render);
	TEST_RUN(test_tail);
	TEST_RUN(test_tail_file);
	TEST_RUN(test_check);
	TEST_RUN(test_pick);
	TEST_DONE();
}
