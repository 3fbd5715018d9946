/* IPAM over a podCIDR (src/agent/ipam.c): the excluded addresses, exhaustion, round robin,
 * persistence and the rebuild after a restart, corrupt records, and the record parser. Records go to
 * a temporary directory; nothing else on the machine is touched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/ipam.h"
#include "harness.h"

static uint32_t A(const char *s)
{
	unsigned a, b, c, d;
	if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		return 0;
	return (a << 24) | (b << 16) | (c << 8) | d;
}

static char tmpdir[256];

static void mk_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_ipam.XXXXXX");
	if (!mkdtemp(tmpdir))
		tmpdir[0] = 0;
}

static void rm_tmpdir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void write_file(const char *dir, const char *name, const char *content, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, content, len) != (ssize_t)len)
			fprintf(stderr, "short write %s\n", path);
		close(fd);
	}
}

static int read_file(const char *dir, const char *name, char *buf, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return (int)n;
}

static void test_cidr_parse(void)
{
	ipam_t *ip = NULL;
	CHECK_INT(ipam_new("10.42.1.0/24", NULL, &ip), 0);
	CHECK_INT(ipam_network(ip), A("10.42.1.0"));
	CHECK_INT(ipam_gateway(ip), A("10.42.1.1"));
	CHECK_INT(ipam_prefix(ip), 24);
	CHECK_INT(ipam_capacity(ip), 253);
	ipam_free(ip);
	/* host bits are dropped */
	CHECK_INT(ipam_new("10.42.1.77/24", NULL, &ip), 0);
	CHECK_INT(ipam_network(ip), A("10.42.1.0"));
	ipam_free(ip);
	const char *bad[] = { "10.42.1.0", "10.42.1.0/", "10.42.1.0/31", "10.42.1.0/15", "10.42.1/24", "x/24",
			      "10.42.1.0/24x", "::1/120", "", "10.42.1.0/-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ip = NULL;
		CHECK_INT(ipam_new(bad[i], NULL, &ip), -EINVAL);
		CHECK(ip == NULL);
	}
	CHECK_INT(ipam_new(NULL, NULL, &ip), -EINVAL);
}

static void test_exhaustion(void)
{
	/* A /29: 8 addresses, network .0, gateway .1, broadcast .7 excluded: .2-.6 */
	ipam_t *ip;
	CHECK_INT(ipam_new("10.42.9.0/29", NULL, &ip), 0);
	CHECK_INT(ipam_capacity(ip), 5);
	uint32_t got[5], a;
	char uid[16];
	for (int i = 0; i < 5; i++) {
		snprintf(uid, sizeof(uid), "pod-%d", i);
		CHECK_INT(ipam_alloc(ip, uid, &got[i]), 0);
		CHECK_INT(got[i], A("10.42.9.2") + (uint32_t)i);
	}
	CHECK_INT(ipam_used(ip), 5);
	CHECK_INT(ipam_alloc(ip, "pod-5", &a), -ENOSPC);
	/* idempotent for a uid that has one, even when full */
	CHECK_INT(ipam_alloc(ip, "pod-3", &a), 0);
	CHECK_INT(a, A("10.42.9.5"));
	/* the excluded addresses cannot be reserved by hand either */
	CHECK_INT(ipam_reserve(ip, A("10.42.9.0"), "x"), -EINVAL);
	CHECK_INT(ipam_reserve(ip, A("10.42.9.1"), "x"), -EINVAL);
	CHECK_INT(ipam_reserve(ip, A("10.42.9.7"), "x"), -EINVAL);
	CHECK_INT(ipam_reserve(ip, A("10.42.9.8"), "x"), -EINVAL);
	CHECK_INT(ipam_reserve(ip, A("10.42.9.4"), "x"), -EEXIST);
	/* release one: it is the only one to come back */
	CHECK_INT(ipam_release(ip, A("10.42.9.4")), 0);
	CHECK_INT(ipam_release(ip, A("10.42.9.4")), 0); /* idempotent */
	CHECK_INT(ipam_lookup(ip, "pod-2", &a), -ENOENT);
	CHECK_INT(ipam_alloc(ip, "pod-6", &a), 0);
	CHECK_INT(a, A("10.42.9.4"));
	CHECK_INT(ipam_alloc(ip, "pod-7", &a), -ENOSPC);
	CHECK_INT(ipam_release(ip, A("10.43.0.4")), -EINVAL);
	ipam_free(ip);
}

static void test_round_robin(void)
{
	ipam_t *ip;
	uint32_t a, b, c;
	CHECK_INT(ipam_new("10.42.1.0/24", NULL, &ip), 0);
	CHECK_INT(ipam_alloc(ip, "a", &a), 0);
	CHECK_INT(ipam_alloc(ip, "b", &b), 0);
	CHECK_INT(ipam_release(ip, a), 0);
	/* a just-released address is not the next one handed out */
	CHECK_INT(ipam_alloc(ip, "c", &c), 0);
	CHECK(c != a);
	CHECK_INT(c, A("10.42.1.4"));
	CHECK_INT(ipam_alloc(ip, "bad/uid", &c), -EINVAL);
	CHECK_INT(ipam_alloc(ip, ".hidden", &c), -EINVAL);
	CHECK_INT(ipam_alloc(ip, "", &c), -EINVAL);
	char longuid[IPAM_UID_MAX + 2];
	memset(longuid, 'a', sizeof(longuid) - 1);
	longuid[sizeof(longuid) - 1] = 0;
	CHECK_INT(ipam_alloc(ip, longuid, &c), -EINVAL);
	longuid[IPAM_UID_MAX] = 0;
	CHECK_INT(ipam_alloc(ip, longuid, &c), 0);
	ipam_free(ip);
}

typedef struct seen {
	int n;
	char uids[8][IPAM_UID_MAX + 1];
	uint32_t addrs[8];
} seen_t;

static void on_entry(uint32_t addr, const char *uid, void *arg)
{
	seen_t *s = arg;
	if (s->n < 8) {
		snprintf(s->uids[s->n], sizeof(s->uids[0]), "%s", uid);
		s->addrs[s->n++] = addr;
	}
}

static void test_restart_rebuild(void)
{
	mk_tmpdir();
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/ipam", tmpdir);
	ipam_t *ip;
	uint32_t a1, a2, a3, x;
	CHECK_INT(ipam_new("10.42.1.0/24", dir, &ip), 0);
	struct stat st;
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	CHECK_INT(ipam_alloc(ip, "uid-1", &a1), 0);
	CHECK_INT(ipam_alloc(ip, "uid-2", &a2), 0);
	CHECK_INT(ipam_alloc(ip, "uid-3", &a3), 0);
	CHECK_INT(ipam_release(ip, a2), 0);
	char buf[128];
	/* the record exists as soon as alloc returns, holding the uid */
	CHECK_INT(read_file(dir, "10.42.1.2", buf, sizeof(buf)), 6);
	CHECK_STR(buf, "uid-1\n");
	CHECK_INT(read_file(dir, "10.42.1.3", buf, sizeof(buf)), -ENOENT);
	ipam_free(ip); /* a "crash": nothing is flushed at free */

	CHECK_INT(ipam_new("10.42.1.0/24", dir, &ip), 0);
	CHECK_INT(ipam_used(ip), 2);
	CHECK_INT(ipam_lookup(ip, "uid-1", &x), 0);
	CHECK_INT(x, a1);
	CHECK_INT(ipam_lookup(ip, "uid-3", &x), 0);
	CHECK_INT(x, a3);
	CHECK_INT(ipam_lookup(ip, "uid-2", &x), -ENOENT);
	seen_t s = { 0 };
	ipam_foreach(ip, on_entry, &s);
	CHECK_INT(s.n, 2);
	CHECK_STR(s.uids[0], "uid-1");
	CHECK_STR(s.uids[1], "uid-3");
	/* never a live address: every new one differs from the two restored */
	for (int i = 0; i < 251; i++) {
		char uid[16];
		snprintf(uid, sizeof(uid), "new-%d", i);
		CHECK_INT(ipam_alloc(ip, uid, &x), 0);
		CHECK(x != a1 && x != a3);
	}
	CHECK_INT(ipam_alloc(ip, "one-too-many", &x), -ENOSPC);
	ipam_free(ip);

	/* a second allocator on the same dir (another process) cannot take a recorded address even
	 * when its own table thinks it is free */
	ipam_t *p1, *p2;
	char dir2[300];
	snprintf(dir2, sizeof(dir2), "%s/ipam2", tmpdir);
	CHECK_INT(ipam_new("10.42.7.0/29", dir2, &p1), 0);
	CHECK_INT(ipam_new("10.42.7.0/29", dir2, &p2), 0);
	CHECK_INT(ipam_alloc(p1, "first", &a1), 0);
	CHECK_INT(ipam_alloc(p2, "second", &a2), 0);
	CHECK(a1 != a2);
	CHECK_INT(read_file(dir2, "10.42.7.2", buf, sizeof(buf)), 6);
	CHECK_STR(buf, "first\n");
	ipam_free(p1);
	ipam_free(p2);
	rm_tmpdir();
}

static void test_corrupt_files(void)
{
	mk_tmpdir();
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/ipam", tmpdir);
	mkdir(dir, 0700);
	write_file(dir, "10.42.1.2", "good-uid\n", 9);
	write_file(dir, "10.42.1.3", "", 0);                      /* empty */
	write_file(dir, "10.42.1.4", "bad uid with spaces\n", 20); /* invalid uid */
	write_file(dir, "10.42.1.5", "nul\0inside\n", 11);
	write_file(dir, "10.42.1.6", "two\nlines\n", 10);
	write_file(dir, "10.42.2.9", "other-range\n", 12); /* not ours */
	write_file(dir, "10.42.1.1", "gateway\n", 8);      /* excluded */
	write_file(dir, "garbage", "x\n", 2);
	write_file(dir, "10.42.1.7", "good-uid\n", 9); /* a second address for one owner */
	write_file(dir, ".tmp.10.42.1.8.999999999.0", "crashed\n", 8); /* stale tmp of a dead pid */
	char big[400];
	memset(big, 'a', sizeof(big));
	write_file(dir, "10.42.1.9", big, sizeof(big));
	mkdir(strcat(strcpy(big, dir), "/10.42.1.10"), 0700); /* a directory */

	/* the warnings go to stderr: catch them in a file */
	char logpath[300], logbuf[4096] = "";
	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	fflush(stderr);
	int saved = dup(2), lfd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(lfd, 2);
	ipam_t *ip;
	uint32_t x;
	int rc = ipam_new("10.42.1.0/24", dir, &ip);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ssize_t ln = pread(lfd, logbuf, sizeof(logbuf) - 1, 0);
	close(lfd);
	logbuf[ln > 0 ? ln : 0] = 0;
	CHECK_INT(rc, 0);
	if (rc < 0)
		return;
	const char *warned[] = { "/10.42.1.3 is not a valid record", "/10.42.1.4 is not a valid record",
				 "/10.42.1.5 is not a valid record", "/10.42.1.6 is not a valid record",
				 "/10.42.1.9 is not a valid record", "/10.42.1.10 is not a valid record",
				 "/10.42.2.9: not an address", "/10.42.1.1: not an address", "/garbage: not an address",
				 "names good-uid, which already owns another address" };
	for (size_t i = 0; i < sizeof(warned) / sizeof(warned[0]); i++)
		if (!strstr(logbuf, warned[i])) {
			fprintf(stderr, "  no warning containing '%s' in:\n%s", warned[i], logbuf);
			CHECK(!"warning missing");
		}
	/* one of the two records naming good-uid is its address (directory order decides), the other
	 * stays reserved */
	CHECK_INT(ipam_lookup(ip, "good-uid", &x), 0);
	CHECK(x == A("10.42.1.2") || x == A("10.42.1.7"));
	seen_t s = { 0 };
	ipam_foreach(ip, on_entry, &s);
	CHECK_INT(s.n, 1); /* only the valid record names an owner */
	/* the unreadable records keep their addresses (they may be live): .3-.7, .9, .10 */
	CHECK_INT(ipam_used(ip), 8);
	CHECK_INT(ipam_alloc(ip, "fresh", &x), 0);
	CHECK_INT(x, A("10.42.1.8"));
	char buf[64];
	CHECK_INT(read_file(dir, ".tmp.10.42.1.8.999999999.0", buf, sizeof(buf)), -ENOENT);
	CHECK_INT(read_file(dir, "garbage", buf, sizeof(buf)), 2); /* left for a human */
	ipam_free(ip);
	rm_tmpdir();
}

static void test_record_parse(void)
{
	char uid[IPAM_UID_MAX + 1];
	CHECK_INT(ipam_record_parse("abc-123\n", 8, uid, sizeof(uid)), 0);
	CHECK_STR(uid, "abc-123");
	CHECK_INT(ipam_record_parse("abc", 3, uid, sizeof(uid)), 0);
	CHECK_STR(uid, "abc");
	CHECK_INT(ipam_record_parse("\n", 1, uid, sizeof(uid)), -EINVAL);
	CHECK_INT(ipam_record_parse("", 0, uid, sizeof(uid)), -EINVAL);
	CHECK_INT(ipam_record_parse("abc\n\n", 5, uid, sizeof(uid)), -EINVAL);
	CHECK_INT(ipam_record_parse("a/b\n", 4, uid, sizeof(uid)), -EINVAL);
	CHECK_INT(ipam_record_parse(".a\n", 3, uid, sizeof(uid)), -EINVAL);
	CHECK_INT(ipam_record_parse("abc\n", 4, uid, 3), -EINVAL); /* does not fit */
	CHECK_INT(ipam_record_parse("a\0c\n", 4, uid, sizeof(uid)), -EINVAL);
}

int main(void)
{
	TEST_RUN(test_cidr_parse);
	TEST_RUN(test_exhaustion);
	TEST_RUN(test_round_robin);
	TEST_RUN(test_restart_rebuild);
	TEST_RUN(test_corrupt_files);
	TEST_RUN(test_record_parse);
	TEST_DONE();
}
