/* UDP conntrack cleanup for the service proxy (libnetfilter_conntrack): UDP has no end of flow, so a
 * client keeps sending to an endpoint that is gone until its conntrack entry times out, unless the
 * entries are deleted when the endpoint stops serving (upstream's conntrack.CleanStaleEntries). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "proxy/proxy_model.h"

typedef struct proxy_ct_target {
	proxy_addr_t addr; /* a frontend address; zero: a NodePort on any of np_addrs */
	uint16_t port;
	const proxy_ep_t *eps; /* the endpoints that still serve it (borrowed) */
	size_t n_eps;
} proxy_ct_target_t;

/* Deletes the UDP entries whose original destination is one of targets and whose reply source is
 * not one of its endpoints. One dump of the family's (AF_INET, AF_INET6) entries; every address
 * is of that family. Returns the number deleted, or -errno. */
int proxy_ct_clean_udp(int family, const proxy_ct_target_t *targets, size_t n, const proxy_addr_t *np_addrs,
		       size_t n_np);
