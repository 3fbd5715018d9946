/* IPv4 allocator over a node's podCIDR with one record file per allocated address (see ipam.h).
 * The in-memory table is an owner string per address of the range; the files are the truth across
 * restarts, and a record is committed with a rename that never replaces, so even two processes on
 * one directory cannot both own an address. */
#include "agent/ipam.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

#define IPAM_TMP_PREFIX ".tmp."
#define IPAM_RECORD_MAX 256 /* bytes read of a record: more is corrupt */

/* An address reserved by a record we could not read: owned, but by nobody we can name. */
static char unknown_owner[] = "";

struct ipam {
	uint32_t network; /* host order */
	int prefix;
	size_t size;   /* 2^(32-prefix) */
	char **owner;  /* [size]: NULL free, unknown_owner, or a malloc'd uid */
	size_t used;
	size_t next;   /* offset where the round-robin scan starts */
	char *dir;     /* NULL: memory only */
	unsigned tmp_seq;
};

bool ipam_uid_valid(const char *uid)
{
	if (!uid || !uid[0] || uid[0] == '.')
		return false;
	size_t n = 0;
	for (const char *c = uid; *c; c++, n++) {
		if (n >= IPAM_UID_MAX)
			return false;
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		      *c == '_' || *c == '.'))
			return false;
	}
	return true;
}

void ipam_format(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
}

static int parse_addr(const char *s, uint32_t *ret)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret = ntohl(a.s_addr);
	return 0;
}

/* Offsets 0 (network), 1 (gateway) and size-1 (broadcast) are never handed out. */
static bool offset_usable(const ipam_t *ip, size_t off)
{
	return off >= 2 && off + 1 < ip->size;
}

static int addr_offset(const ipam_t *ip, uint32_t addr, size_t *ret)
{
	if (addr < ip->network || (uint64_t)(addr - ip->network) >= ip->size)
		return -EINVAL;
	*ret = addr - ip->network;
	return 0;
}

int ipam_record_parse(const char *buf, size_t len, char *uid, size_t uid_len)
{
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len > IPAM_UID_MAX || len + 1 > uid_len)
		return -EINVAL;
	char tmp[IPAM_UID_MAX + 1];
	memcpy(tmp, buf, len);
	tmp[len] = 0;
	if (strlen(tmp) != len || !ipam_uid_valid(tmp)) /* an embedded NUL is corrupt too */
		return -EINVAL;
	memcpy(uid, tmp, len + 1);
	return 0;
}

int ipam_reserve(ipam_t *ip, uint32_t addr, const char *uid)
{
	size_t off;
	if (addr_offset(ip, addr, &off) < 0 || !offset_usable(ip, off) || (uid && !ipam_uid_valid(uid)))
		return -EINVAL;
	if (ip->owner[off])
		return -EEXIST;
	char *o = unknown_owner;
	if (uid && !(o = strdup(uid)))
		return -ENOMEM;
	ip->owner[off] = o;
	ip->used++;
	return 0;
}

static void drop_owner(ipam_t *ip, size_t off)
{
	if (!ip->owner[off])
		return;
	if (ip->owner[off] != unknown_owner)
		free(ip->owner[off]);
	ip->owner[off] = NULL;
	ip->used--;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* Writes DIR/<addr> holding uid: tmp file, fsync, rename that refuses to replace (falls back to
 * link() where the file system lacks RENAME_NOREPLACE), fsync of the dir. -EEXIST when a record is
 * already there. */
static int record_write(ipam_t *ip, uint32_t addr, const char *uid)
{
	char name[16], path[4096], tmp[4096];
	ipam_format(addr, name, sizeof(name));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", ip->dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/" IPAM_TMP_PREFIX "%s.%ld.%u", ip->dir, name, (long)getpid(),
			     ip->tmp_seq++) >= sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	char line[IPAM_UID_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s\n", uid);
	int rc = 0;
	if (write(fd, line, (size_t)n) != n)
		rc = errno ? -errno : -EIO;
	else if (fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
		rc = -errno;
		if (rc == -EINVAL || rc == -ENOSYS)
			rc = link(tmp, path) < 0 ? -errno : 0;
	}
	unlink(tmp); /* gone already after a rename */
	if (rc == 0 && (rc = fsync_dir(ip->dir)) < 0)
		unlink(path);
	return rc;
}

int ipam_alloc(ipam_t *ip, const char *uid, uint32_t *ret_addr)
{
	if (!ipam_uid_valid(uid))
		return -EINVAL;
	if (ipam_lookup(ip, uid, ret_addr) == 0)
		return 0;
	for (size_t i = 0; i < ip->size; i++) {
		size_t off = (ip->next + i) % ip->size;
		if (!offset_usable(ip, off) || ip->owner[off])
			continue;
		uint32_t addr = ip->network + (uint32_t)off;
		if (ip->dir) {
			int rc = record_write(ip, addr, uid);
			if (rc == -EEXIST) {
				/* Written by someone else since we loaded: theirs, whatever it says. */
				ip->owner[off] = unknown_owner;
				ip->used++;
				continue;
			}
			if (rc < 0)
				return rc;
		}
		int rc = ipam_reserve(ip, addr, uid);
		if (rc < 0) {
			if (ip->dir) {
				char name[16], path[4096];
				ipam_format(addr, name, sizeof(name));
				snprintf(path, sizeof(path), "%s/%s", ip->dir, name);
				unlink(path);
			}
			return rc;
		}
		ip->next = (off + 1) % ip->size;
		*ret_addr = addr;
		return 0;
	}
	return -ENOSPC;
}

int ipam_lookup(const ipam_t *ip, const char *uid, uint32_t *ret_addr)
{
	for (size_t off = 0; off < ip->size; off++)
		if (ip->owner[off] && ip->owner[off] != unknown_owner && strcmp(ip->owner[off], uid) == 0) {
			*ret_addr = ip->network + (uint32_t)off;
			return 0;
		}
	return -ENOENT;
}

int ipam_release(ipam_t *ip, uint32_t addr)
{
	size_t off;
	if (addr_offset(ip, addr, &off) < 0)
		return -EINVAL;
	if (!ip->owner[off])
		return 0;
	if (ip->dir) {
		char name[16], path[4096];
		ipam_format(addr, name, sizeof(name));
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", ip->dir, name) >= sizeof(path))
			return -ENAMETOOLONG;
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
		int rc = fsync_dir(ip->dir);
		if (rc < 0)
			return rc;
	}
	drop_owner(ip, off);
	return 0;
}

void ipam_foreach(const ipam_t *ip, void (*fn)(uint32_t addr, const char *uid, void *arg), void *arg)
{
	for (size_t off = 0; off < ip->size; off++)
		if (ip->owner[off] && ip->owner[off] != unknown_owner)
			fn(ip->network + (uint32_t)off, ip->owner[off], arg);
}

uint32_t ipam_network(const ipam_t *ip) { return ip->network; }
uint32_t ipam_gateway(const ipam_t *ip) { return ip->network + 1; }
int ipam_prefix(const ipam_t *ip) { return ip->prefix; }
size_t ipam_capacity(const ipam_t *ip) { return ip->size - 3; }
size_t ipam_used(const ipam_t *ip) { return ip->used; }

/* A temporary file of ours: remove it unless the process that writes it is alive. */
static void tmp_sweep(const char *dir, const char *name)
{
	const char *dot = strrchr(name, '.');
	char *end;
	/* ".tmp.<ip>.<pid>.<seq>": the pid is the field before the last dot. */
	long pid = 0;
	if (dot && dot > name) {
		const char *p = dot - 1;
		while (p > name && *p != '.')
			p--;
		errno = 0;
		pid = strtol(p + 1, &end, 10);
		if (errno || end != dot)
			pid = 0;
	}
	if (pid > 0 && pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
		return;
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path))
		unlink(path);
}

static int load(ipam_t *ip)
{
	DIR *d = opendir(ip->dir);
	if (!d)
		return -errno;
	int dfd = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *name = e->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (strncmp(name, IPAM_TMP_PREFIX, strlen(IPAM_TMP_PREFIX)) == 0) {
			tmp_sweep(ip->dir, name);
			continue;
		}
		uint32_t addr;
		size_t off;
		if (parse_addr(name, &addr) < 0 || addr_offset(ip, addr, &off) < 0 || !offset_usable(ip, off)) {
			log_warn("ipam: ignoring %s/%s: not an address this node hands out", ip->dir, name);
			continue;
		}
		char buf[IPAM_RECORD_MAX + 1], uid[IPAM_UID_MAX + 1];
		ssize_t n = -1;
		int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd >= 0) {
			struct stat st;
			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
				n = read(fd, buf, sizeof(buf));
			close(fd);
		}
		int rc = n >= 0 && (size_t)n <= IPAM_RECORD_MAX ? ipam_record_parse(buf, (size_t)n, uid, sizeof(uid)) : -EINVAL;
		if (rc < 0) {
			log_warn("ipam: %s/%s is not a valid record; its address stays reserved, owner unknown", ip->dir,
				 name);
			rc = ipam_reserve(ip, addr, NULL);
		} else {
			uint32_t other;
			if (ipam_lookup(ip, uid, &other) == 0) {
				log_warn("ipam: %s/%s names %s, which already owns another address; reserved, owner unknown",
					 ip->dir, name, uid);
				rc = ipam_reserve(ip, addr, NULL);
			} else {
				rc = ipam_reserve(ip, addr, uid);
			}
		}
		if (rc == -ENOMEM) {
			closedir(d);
			return rc;
		}
	}
	closedir(d);
	return 0;
}

int ipam_new(const char *cidr, const char *dir, ipam_t **ret)
{
	char buf[32];
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	if (!slash || (size_t)(slash - cidr) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, cidr, (size_t)(slash - cidr));
	buf[slash - cidr] = 0;
	uint32_t addr;
	char *end;
	errno = 0;
	long prefix = strtol(slash + 1, &end, 10);
	if (parse_addr(buf, &addr) < 0 || errno || end == slash + 1 || *end || prefix < 16 || prefix > 30)
		return -EINVAL;

	ipam_t *ip = calloc(1, sizeof(*ip));
	if (!ip)
		return -ENOMEM;
	ip->prefix = (int)prefix;
	ip->size = (size_t)1 << (32 - prefix);
	ip->network = addr & ~(uint32_t)(ip->size - 1);
	ip->next = 2;
	ip->owner = calloc(ip->size, sizeof(*ip->owner));
	int rc = -ENOMEM;
	if (!ip->owner)
		goto fail;
	if (dir) {
		if (!(ip->dir = strdup(dir)))
			goto fail;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			rc = -errno;
			goto fail;
		}
		if ((rc = load(ip)) < 0)
			goto fail;
	}
	*ret = ip;
	return 0;
fail:
	ipam_free(ip);
	return rc;
}

void ipam_free(ipam_t *ip)
{
	if (!ip)
		return;
	if (ip->owner)
		for (size_t off = 0; off < ip->size; off++)
			drop_owner(ip, off);
	free(ip->owner);
	free(ip->dir);
	free(ip);
}
