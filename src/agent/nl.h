/* Small rtnetlink helpers over libmnl for the pod network: links (bridge, veth, up/down, MTU,
 * master, namespace, bridge-port hairpin), IPv4 addresses and routes, and sysctls through /proc/sys.
 * One nl_t is one NETLINK_ROUTE socket bound to the network namespace it was opened in; requests
 * are synchronous (sent with NLM_F_ACK, answered before return). An nl_t is used by one thread at a
 * time. Every call returns >= 0 or a negative errno (the kernel's). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

typedef struct nl nl_t;

/* A socket in the caller's network namespace. */
int nl_open(nl_t **ret);
/* A socket in the namespace of the nsfs file netns_path, opened on a short-lived thread that enters
 * it (the calling thread never leaves its own namespace). */
int nl_open_netns(const char *netns_path, nl_t **ret);
/* Creates a new network namespace, bind-mounts it onto path (the file is created when missing) and
 * returns a socket inside it (ret may be NULL). Done on a short-lived thread: the caller's namespace
 * is untouched. On failure nothing is left mounted (the file may remain). */
int nl_netns_create(const char *path, nl_t **ret);
/* Unmounts (MNT_DETACH) and unlinks a namespace file. 0 also when absent. */
int nl_netns_delete(const char *path);
/* True when path is a mounted nsfs file (a live namespace). */
bool nl_netns_is_mounted(const char *path);
void nl_close(nl_t *nl); /* accepts NULL */

/* The interface index of name; -ENODEV when absent. */
int nl_link_index(nl_t *nl, const char *name);
/* What a link looks like (fields the pod network checks). */
typedef struct nl_link_info {
	int ifindex;
	int master;     /* 0 when none */
	unsigned mtu;
	unsigned flags; /* IFF_* */
	char kind[16];  /* "bridge", "veth", "" */
	int hairpin;    /* bridge ports: IFLA_BRPORT_MODE (0 or 1); -1 when not a bridge port */
} nl_link_info_t;
int nl_link_get(nl_t *nl, const char *name, nl_link_info_t *ret);

/* A bridge; mac (6 bytes) or NULL for the kernel's. -EEXIST when the name is taken. */
int nl_bridge_create(nl_t *nl, const char *name, const uint8_t *mac);
/* A veth pair: name here, peer created directly in the namespace of peer_netns_fd (-1: here).
 * mtu 0: the default. -EEXIST when a name is taken. */
int nl_veth_create(nl_t *nl, const char *name, const char *peer, int peer_netns_fd, unsigned mtu);
/* Deletes a link (a veth takes its peer along). -ENODEV when absent. */
int nl_link_del(nl_t *nl, const char *name);
int nl_link_set_up(nl_t *nl, int ifindex, bool up);
int nl_link_set_mtu(nl_t *nl, int ifindex, unsigned mtu);
int nl_link_set_name(nl_t *nl, int ifindex, const char *name);
int nl_link_set_master(nl_t *nl, int ifindex, int master_ifindex); /* 0 releases */
int nl_link_set_netns(nl_t *nl, int ifindex, int netns_fd);
/* The bridge port's hairpin mode (IFLA_BRPORT_MODE): frames may go back out the port they came in
 * on, so a pod reaches itself through a Service. */
int nl_brport_set_hairpin(nl_t *nl, int ifindex, bool on);

/* IPv4 address (network byte order) with prefix on ifindex; -EEXIST when it is already there. */
int nl_addr_add(nl_t *nl, int ifindex, uint32_t addr, int prefix);
int nl_addr_del(nl_t *nl, int ifindex, uint32_t addr, int prefix);
/* Calls fn for each IPv4 address (network byte order) on ifindex. */
int nl_addr_dump(nl_t *nl, int ifindex, void (*fn)(uint32_t addr, int prefix, void *arg), void *arg);

/* IPv4 routes in the main table (addresses in network byte order). gw 0: on-link through ifindex;
 * ifindex 0: the kernel picks it from gw. proto tags the route's owner (RTPROT_* or our own). */
typedef struct nl_route {
	uint32_t dst;
	int dst_len;
	uint32_t gw;
	int ifindex;
	uint8_t proto;
} nl_route_t;
int nl_route_add(nl_t *nl, const nl_route_t *r);     /* -EEXIST when present */
int nl_route_replace(nl_t *nl, const nl_route_t *r); /* add or change */
int nl_route_del(nl_t *nl, const nl_route_t *r);     /* -ESRCH when absent */
/* Calls fn for each IPv4 unicast route of the main table with protocol proto. */
int nl_route_dump(nl_t *nl, uint8_t proto, void (*fn)(const nl_route_t *r, void *arg), void *arg);

/* Writes value to /proc/sys/<key> ("net/ipv4/ip_forward") unless it already holds it. Network
 * sysctls are those of the calling thread's namespace. */
int nl_sysctl_write(const char *key, const char *value);
