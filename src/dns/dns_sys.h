/* The node side of the cluster DNS address, through netlink only: a dummy interface holding the
 * address as a /32 (so packets to it are delivered locally, the NodeLocal DNSCache design), and an
 * nftables table that exempts DNS to and from it from connection tracking (so the conntrack insert
 * races behind Kubernetes' "5 s DNS timeouts" cannot happen). */
#pragma once
#include <netinet/in.h>

#define DNS_SYS_IFNAME "portico-dns"
#define DNS_SYS_TABLE  "portico-dns"
#define DNS_SYS_LO_LABEL "lo:portico-dns"

/* Creates (or keeps) the dummy interface DNS_SYS_IFNAME, sets it up and puts addr/32 on it; 0.
 * Without the dummy driver (EOPNOTSUPP) the address goes on lo, labelled DNS_SYS_LO_LABEL; 1.
 * Negative errno from netlink (-EPERM without CAP_NET_ADMIN). */
int dns_sys_address(const struct in_addr *addr);

/* Replaces the nftables table `ip DNS_SYS_TABLE` in one batch: chains prerouting and output at raw
 * priority (-300) with `notrack` for UDP and TCP to addr port `port` and from addr port `port`.
 * Negative errno. */
int dns_sys_notrack(const struct in_addr *addr, uint16_t port);

/* Removes the table and the interface (at shutdown); errors are ignored. */
void dns_sys_cleanup(void);
