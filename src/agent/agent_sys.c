/* Machine facts for the Node object, and the node address (see agent_sys.h). The default route is
 * found with a netlink route dump through libmnl (no `ip` in a shell); without libmnl linked in
 * (PORTICO_HAVE_LIBMNL unset) only the fallback, the first non-loopback IPv4 address, is used. */
#include "agent/agent_sys.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifdef PORTICO_HAVE_LIBMNL
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#endif

/* src into buf, cut to fit (these are display strings). */
static void copy_trunc(char *buf, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(buf, src, n);
	buf[n] = '\0';
}

/* The first line of a small file, trimmed, into buf; "" when unreadable. */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	n = strlen(buf);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
}

static long long read_mem_total(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "MemTotal:", 9) == 0) {
			char *end;
			errno = 0;
			kb = strtoll(line + 9, &end, 10);
			if (errno || kb < 0 || kb > (1LL << 50))
				kb = 0;
			break;
		}
	}
	fclose(f);
	return kb * 1024;
}

/* PRETTY_NAME="Debian GNU/Linux 12 (bookworm)" of os-release(5), quotes removed. */
static void read_os_image(char *buf, size_t len)
{
	static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };
	char line[512];

	snprintf(buf, len, "Linux");
	for (size_t p = 0; p < 2; p++) {
		FILE *f = fopen(paths[p], "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *v = line + 12, *e;
			if (strncmp(line, "PRETTY_NAME=", 12) != 0)
				continue;
			e = v + strcspn(v, "\r\n");
			*e = '\0';
			if (*v == '"' || *v == '\'') {
				char q = *v++;
				e = strchr(v, q);
				if (e)
					*e = '\0';
			}
			if (*v)
				copy_trunc(buf, len, v);
			break;
		}
		fclose(f);
		return;
	}
}

void agent_sys_read(agent_sys_t *s)
{
	struct utsname u;

	memset(s, 0, sizeof(*s));
	s->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (s->cpus < 1)
		s->cpus = 1;
	s->mem_bytes = read_mem_total();
	if (uname(&u) == 0) {
		copy_trunc(s->machine, sizeof(s->machine), u.machine);
		copy_trunc(s->kernel, sizeof(s->kernel), u.release);
	}
	read_os_image(s->os_image, sizeof(s->os_image));
	read_line("/etc/machine-id", s->machine_id, sizeof(s->machine_id));
	read_line("/proc/sys/kernel/random/boot_id", s->boot_id, sizeof(s->boot_id));
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) < 0)
		s->hostname[0] = '\0';
	for (char *p = s->hostname; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

/* First non-loopback IPv4 address of an interface that is up. */
static int first_ipv4(char *buf, size_t len)
{
	struct ifaddrs *ifs, *i;
	int rc = -ENOENT;

	if (getifaddrs(&ifs) < 0)
		return -errno;
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
		    !(i->ifa_flags & IFF_UP))
			continue;
		if (inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, (socklen_t)len)) {
			rc = 0;
			break;
		}
	}
	freeifaddrs(ifs);
	return rc;
}

#ifdef PORTICO_HAVE_LIBMNL

typedef struct route_pick {
	bool found;
	uint32_t oif, metric;
	bool has_src;
	struct in_addr src;
} route_pick_t;

typedef struct addr_pick {
	uint32_t ifindex;
	bool found;
	struct in_addr addr;
} addr_pick_t;

/* Sends one dump request (type, with the family header hdr) and runs cb over every answer. */
static int nl_dump(struct mnl_socket *nl, uint16_t type, const void *hdr, size_t hlen, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned int seq = (unsigned int)time(NULL), portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int rc;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, hlen), hdr, hlen);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (rc < 0)
			return -errno;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

static int on_route(const struct nlmsghdr *nlh, void *data)
{
	route_pick_t *p = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t table = rtm->rtm_table, oif = 0, metric = 0;
	bool has_src = false;
	struct in_addr src = { 0 };

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) || rtm->rtm_family != AF_INET || rtm->rtm_dst_len != 0 ||
	    rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				table = mnl_attr_get_u32(a);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				oif = mnl_attr_get_u32(a);
			break;
		case RTA_PRIORITY:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				metric = mnl_attr_get_u32(a);
			break;
		case RTA_PREFSRC:
			if (mnl_attr_get_payload_len(a) == sizeof(src)) {
				memcpy(&src, mnl_attr_get_payload(a), sizeof(src));
				has_src = true;
			}
			break;
		}
	}
	/* the main table's default routes; the lowest metric wins, as the kernel would pick */
	if (table != RT_TABLE_MAIN || !oif || (p->found && metric >= p->metric))
		return MNL_CB_OK;
	p->found = true;
	p->oif = oif;
	p->metric = metric;
	p->has_src = has_src;
	p->src = src;
	return MNL_CB_OK;
}

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	addr_pick_t *p = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct in_addr local = { 0 }, address = { 0 };
	bool has_local = false, has_address = false;

	if (p->found || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) || ifa->ifa_family != AF_INET ||
	    ifa->ifa_index != p->ifindex || (ifa->ifa_flags & IFA_F_SECONDARY))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		uint16_t t = mnl_attr_get_type(a);
		if ((t == IFA_LOCAL || t == IFA_ADDRESS) && mnl_attr_get_payload_len(a) == sizeof(struct in_addr)) {
			memcpy(t == IFA_LOCAL ? &local : &address, mnl_attr_get_payload(a), sizeof(struct in_addr));
			*(t == IFA_LOCAL ? &has_local : &has_address) = true;
		}
	}
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer's on point-to-point links */
	if (has_local || has_address) {
		p->found = true;
		p->addr = has_local ? local : address;
	}
	return MNL_CB_OK;
}

static int default_route_ip(char *buf, size_t len)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	struct rtmsg rtm = { .rtm_family = AF_INET };
	struct ifaddrmsg ifm = { .ifa_family = AF_INET };
	route_pick_t route = { 0 };
	addr_pick_t addr = { 0 };
	struct in_addr ip;
	int rc;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	rc = nl_dump(nl, RTM_GETROUTE, &rtm, sizeof(rtm), on_route, &route);
	if (rc < 0)
		goto out;
	rc = -ENOENT;
	if (!route.found)
		goto out;
	if (route.has_src) {
		ip = route.src;
	} else {
		addr.ifindex = route.oif;
		rc = nl_dump(nl, RTM_GETADDR, &ifm, sizeof(ifm), on_addr, &addr);
		if (rc < 0)
			goto out;
		rc = -ENOENT;
		if (!addr.found)
			goto out;
		ip = addr.addr;
	}
	rc = inet_ntop(AF_INET, &ip, buf, (socklen_t)len) ? 0 : -ENOSPC;
out:
	mnl_socket_close(nl);
	return rc;
}

#endif /* PORTICO_HAVE_LIBMNL */

int agent_sys_node_ip(char *buf, size_t len)
{
	char tmp[INET_ADDRSTRLEN];
	int rc = -ENOENT;

#ifdef PORTICO_HAVE_LIBMNL
	rc = default_route_ip(tmp, sizeof(tmp));
#endif
	if (rc < 0)
		rc = first_ipv4(tmp, sizeof(tmp));
	if (rc < 0)
		return rc;
	if (strlen(tmp) >= len)
		return -ENOSPC;
	memcpy(buf, tmp, strlen(tmp) + 1);
	return 0;
}
