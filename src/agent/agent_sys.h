/* What the agent reads about its machine: CPUs, memory, kernel, OS image, machine and boot IDs,
 * and the node's address (the interface of the default route, from a netlink route dump). */
#pragma once
#include <stddef.h>

typedef struct agent_sys {
	long cpus;
	long long mem_bytes;
	char machine[64];     /* uname -m */
	char kernel[128];     /* uname -r */
	char os_image[256];   /* PRETTY_NAME of /etc/os-release; "Linux" when absent */
	char machine_id[64];
	char boot_id[64];
	char hostname[256];   /* gethostname(), lower-cased (the kubelet's default node name) */
} agent_sys_t;

/* Fills s; what cannot be read stays empty or zero. Never fails. */
void agent_sys_read(agent_sys_t *s);

/* The node's IPv4 address into buf (>= 16 bytes): the preferred source of the main table's default
 * route, else the first address of its output interface; with no default route, the first
 * non-loopback IPv4 address of an interface that is up. -ENOENT when there is none; other negative
 * errno from netlink. */
int agent_sys_node_ip(char *buf, size_t len);
