/* IPv4 address management over one node's podCIDR (issue 6). The network address, the gateway (the
 * first host, held by the bridge) and the broadcast address are never handed out. With a directory,
 * each allocation is persisted as DIR/<ip> holding the owner's uid, written before the address is
 * used (tmp file, fsync, rename without replacing, fsync of the dir), and the state is rebuilt from
 * those files at start: a restart never hands out a live pod's address. Without a directory the
 * allocator is pure memory (unit tests). Not thread-safe: the caller serialises. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPAM_UID_MAX 64 /* longest owner uid (Kubernetes UIDs are 36-character UUIDs) */

typedef struct ipam ipam_t;

/* cidr: "10.42.1.0/24", prefix 16..30 (host bits are ignored). dir: NULL (memory only) or the
 * directory of the records, created (0700) when missing, then loaded: files not named after an
 * address of the range and records that do not parse are ignored with a warning; a record that does
 * not parse but is named after an address keeps that address reserved (its owner is unknown, so it
 * may be live); stale temporary files of dead processes are removed. *ret: caller frees. -EINVAL on
 * a bad CIDR, other negative errno from the file system. */
int ipam_new(const char *cidr, const char *dir, ipam_t **ret);
void ipam_free(ipam_t *ip); /* accepts NULL */

/* The range, host byte order. */
uint32_t ipam_network(const ipam_t *ip);
uint32_t ipam_gateway(const ipam_t *ip);
int ipam_prefix(const ipam_t *ip);
size_t ipam_capacity(const ipam_t *ip); /* hand-out-able addresses: 2^(32-prefix) - 3 */
size_t ipam_used(const ipam_t *ip);     /* reserved addresses, including unknown owners */

/* True when uid can own an address (and name a file): 1..IPAM_UID_MAX characters of
 * [A-Za-z0-9._-], not starting with '.'. */
bool ipam_uid_valid(const char *uid);

/* The uid's address: an existing reservation is returned as is (idempotent); otherwise the next free
 * address after the last one handed out (round robin, so a just-released address is not reused at
 * once), persisted before return when there is a directory. A record that appears meanwhile (another
 * process on the same dir) is respected: that address is skipped. -ENOSPC when the range is full,
 * -EINVAL for an invalid uid, other negative errno from the file system (nothing reserved then). */
int ipam_alloc(ipam_t *ip, const char *uid, uint32_t *ret_addr);
/* The uid's address; -ENOENT when it has none. */
int ipam_lookup(const ipam_t *ip, const char *uid, uint32_t *ret_addr);
/* Releases addr (its record removed and the dir fsynced first). 0 also when it was free; -EINVAL
 * when out of range; negative errno from the file system (the address then stays reserved). */
int ipam_release(ipam_t *ip, uint32_t addr);
/* Marks addr as owned by uid (NULL: unknown owner) in memory only (loading, tests). -EEXIST when
 * reserved, -EINVAL when not hand-out-able or the uid is invalid. */
int ipam_reserve(ipam_t *ip, uint32_t addr, const char *uid);
/* Calls fn for each reservation with a known owner, in address order. */
void ipam_foreach(const ipam_t *ip, void (*fn)(uint32_t addr, const char *uid, void *arg), void *arg);

/* Parses one record's contents: the uid, optionally followed by one "\n". 0 and the uid copied into
 * uid (>= IPAM_UID_MAX + 1 bytes), or -EINVAL. */
int ipam_record_parse(const char *buf, size_t len, char *uid, size_t uid_len);

/* "a.b.c.d" of a host-order address into buf (>= 16 bytes). */
void ipam_format(uint32_t addr, char *buf, size_t len);
