/* rtnetlink helpers over libmnl (see nl.h). Namespaces are entered only by short-lived threads: a
 * netlink socket stays bound to the namespace it was created in, so a thread that enters a pod's
 * namespace, opens a socket and exits gives the caller a handle on that namespace without the
 * caller ever leaving its own. */
#include "agent/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char buf[32768]; /* a dump message may be up to 32 KiB */
};

static int sock_open(struct mnl_socket **ret)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s)
		return -errno;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int rc = -errno;
		mnl_socket_close(s);
		return rc;
	}
	*ret = s;
	return 0;
}

static int nl_wrap(struct mnl_socket *s, nl_t **ret)
{
	nl_t *nl = calloc(1, sizeof(*nl));
	if (!nl) {
		mnl_socket_close(s);
		return -ENOMEM;
	}
	nl->sock = s;
	nl->portid = mnl_socket_get_portid(s);
	nl->seq = (unsigned)time(NULL);
	*ret = nl;
	return 0;
}

int nl_open(nl_t **ret)
{
	struct mnl_socket *s;
	int rc = sock_open(&s);
	return rc < 0 ? rc : nl_wrap(s, ret);
}

void nl_close(nl_t *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

/* ---- namespaces ------------------------------------------------------------------------------ */

typedef struct ns_job {
	const char *path; /* create: the file to bind-mount onto */
	int fd;           /* enter: the namespace */
	bool want_sock;
	struct mnl_socket *sock;
	int err;
} ns_job_t;

/* The thread ends in the other namespace; that namespace is the only thing it changed. */
static void *ns_create_thread(void *arg)
{
	ns_job_t *j = arg;
	if (unshare(CLONE_NEWNET) < 0) {
		j->err = -errno;
		return NULL;
	}
	if (mount("/proc/thread-self/ns/net", j->path, NULL, MS_BIND, NULL) < 0) {
		j->err = -errno;
		return NULL;
	}
	if (j->want_sock && (j->err = sock_open(&j->sock)) < 0)
		umount2(j->path, MNT_DETACH);
	return NULL;
}

static void *ns_enter_thread(void *arg)
{
	ns_job_t *j = arg;
	if (setns(j->fd, CLONE_NEWNET) < 0) {
		j->err = -errno;
		return NULL;
	}
	j->err = sock_open(&j->sock);
	return NULL;
}

static int run_thread(void *(*fn)(void *), ns_job_t *j)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, fn, j);
	if (rc != 0)
		return -rc;
	pthread_join(t, NULL);
	return j->err;
}

int nl_netns_create(const char *path, nl_t **ret)
{
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
	if (fd < 0)
		return -errno;
	close(fd);
	ns_job_t j = { .path = path, .fd = -1, .want_sock = ret != NULL };
	int rc = run_thread(ns_create_thread, &j);
	if (rc < 0)
		return rc;
	return ret ? nl_wrap(j.sock, ret) : 0;
}

int nl_open_netns(const char *netns_path, nl_t **ret)
{
	int fd = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ns_job_t j = { .fd = fd, .want_sock = true };
	int rc = run_thread(ns_enter_thread, &j);
	close(fd);
	if (rc < 0)
		return rc;
	return nl_wrap(j.sock, ret);
}

bool nl_netns_is_mounted(const char *path)
{
	struct statfs st;
	return statfs(path, &st) == 0 && (unsigned long)st.f_type == (unsigned long)NSFS_MAGIC;
}

int nl_netns_delete(const char *path)
{
	/* A file may carry more than one mount (a create retried over a stale one): peel them all. */
	for (int i = 0; i < 16 && nl_netns_is_mounted(path); i++)
		if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* ---- requests -------------------------------------------------------------------------------- */

/* Sends nlh (with NLM_F_ACK unless it is a dump) and reads until the ack, the end of the dump, or an
 * error; cb sees the data messages. (Whether it is a dump cannot be read off the flags: NLM_F_DUMP's
 * bits are NLM_F_EXCL's and NLM_F_ROOT's on a new-request.) */
static int nl_talk_full(nl_t *nl, struct nlmsghdr *nlh, bool dump, mnl_cb_t cb, void *data)
{
	unsigned seq = ++nl->seq;
	nlh->nlmsg_seq = seq;
	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		int rc = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
		if (rc < 0)
			return errno ? -errno : -EIO;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

static int nl_talk(nl_t *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	return nl_talk_full(nl, nlh, false, cb, data);
}

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, uint8_t family, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = family;
	ifi->ifi_index = ifindex;
	return nlh;
}

static bool name_ok(const char *name)
{
	return name && name[0] && strlen(name) < IFNAMSIZ;
}

/* ---- links ----------------------------------------------------------------------------------- */

typedef struct link_parse {
	nl_link_info_t *info;
	bool found;
} link_parse_t;

static void parse_linkinfo(const struct nlattr *li, nl_link_info_t *info)
{
	const struct nlattr *a, *b;
	bool slave_bridge = false;
	const struct nlattr *slave_data = NULL;
	mnl_attr_for_each_nested(a, li) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_INFO_KIND:
			if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
				snprintf(info->kind, sizeof(info->kind), "%s", mnl_attr_get_str(a));
			break;
		case IFLA_INFO_SLAVE_KIND:
			if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0 && strcmp(mnl_attr_get_str(a), "bridge") == 0)
				slave_bridge = true;
			break;
		case IFLA_INFO_SLAVE_DATA:
			slave_data = a;
			break;
		}
	}
	if (slave_bridge && slave_data) {
		info->hairpin = 0;
		mnl_attr_for_each_nested(b, slave_data)
			if (mnl_attr_get_type(b) == IFLA_BRPORT_MODE && mnl_attr_validate(b, MNL_TYPE_U8) == 0)
				info->hairpin = mnl_attr_get_u8(b) ? 1 : 0;
	}
}

static int on_link(const struct nlmsghdr *nlh, void *data)
{
	link_parse_t *p = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	nl_link_info_t *info = p->info;
	memset(info, 0, sizeof(*info));
	info->hairpin = -1;
	info->ifindex = ifi->ifi_index;
	info->flags = ifi->ifi_flags;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_MASTER:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				info->master = (int)mnl_attr_get_u32(a);
			break;
		case IFLA_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				info->mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_LINKINFO:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
				parse_linkinfo(a, info);
			break;
		}
	}
	p->found = true;
	return MNL_CB_OK;
}

int nl_link_get(nl_t *nl, const char *name, nl_link_info_t *ret)
{
	if (!name_ok(name))
		return -EINVAL;
	char buf[256];
	struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0, AF_UNSPEC, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	nl_link_info_t info;
	link_parse_t p = { .info = &info };
	int rc = nl_talk(nl, nlh, on_link, &p);
	if (rc < 0)
		return rc;
	if (!p.found)
		return -ENODEV;
	*ret = info;
	return 0;
}

int nl_link_index(nl_t *nl, const char *name)
{
	nl_link_info_t info;
	int rc = nl_link_get(nl, name, &info);
	return rc < 0 ? rc : info.ifindex;
}

int nl_bridge_create(nl_t *nl, const char *name, const uint8_t *mac)
{
	if (!name_ok(name))
		return -EINVAL;
	char buf[512];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, li);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_veth_create(nl_t *nl, const char *name, const char *peer, int peer_netns_fd, unsigned mtu)
{
	if (!name_ok(name) || !name_ok(peer))
		return -EINVAL;
	char buf[512];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *pn = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow an ifinfomsg of its own. */
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	mnl_attr_nest_end(nlh, pn);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_link_del(nl_t *nl, const char *name)
{
	if (!name_ok(name))
		return -EINVAL;
	char buf[256];
	struct nlmsghdr *nlh = link_msg(buf, RTM_DELLINK, 0, AF_UNSPEC, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

static int link_set_u32(nl_t *nl, int ifindex, uint16_t type, uint32_t v)
{
	char buf[256];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, AF_UNSPEC, ifindex);
	mnl_attr_put_u32(nlh, type, v);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_link_set_up(nl_t *nl, int ifindex, bool up)
{
	char buf[256];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, AF_UNSPEC, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_link_set_mtu(nl_t *nl, int ifindex, unsigned mtu) { return link_set_u32(nl, ifindex, IFLA_MTU, mtu); }

int nl_link_set_master(nl_t *nl, int ifindex, int master_ifindex)
{
	return link_set_u32(nl, ifindex, IFLA_MASTER, (uint32_t)master_ifindex);
}

int nl_link_set_netns(nl_t *nl, int ifindex, int netns_fd)
{
	return link_set_u32(nl, ifindex, IFLA_NET_NS_FD, (uint32_t)netns_fd);
}

int nl_link_set_name(nl_t *nl, int ifindex, const char *name)
{
	if (!name_ok(name))
		return -EINVAL;
	char buf[256];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, AF_UNSPEC, ifindex);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_brport_set_hairpin(nl_t *nl, int ifindex, bool on)
{
	/* The bridge's own setlink (family AF_BRIDGE) with the port attributes nested in
	 * IFLA_PROTINFO, as `bridge link set ... hairpin on` sends. */
	char buf[256];
	struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, AF_BRIDGE, ifindex);
	struct nlattr *pi = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, on ? 1 : 0);
	mnl_attr_nest_end(nlh, pi);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* ---- addresses ------------------------------------------------------------------------------- */

static int addr_msg(nl_t *nl, uint16_t type, uint16_t flags, int ifindex, uint32_t addr, int prefix)
{
	if (prefix < 0 || prefix > 32)
		return -EINVAL;
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr);
	if (type == RTM_NEWADDR && prefix < 31) {
		uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
		mnl_attr_put_u32(nlh, IFA_BROADCAST, addr | ~mask);
	}
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_addr_add(nl_t *nl, int ifindex, uint32_t addr, int prefix)
{
	return addr_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, addr, prefix);
}

int nl_addr_del(nl_t *nl, int ifindex, uint32_t addr, int prefix)
{
	return addr_msg(nl, RTM_DELADDR, 0, ifindex, addr, prefix);
}

typedef struct addr_dump {
	int ifindex;
	void (*fn)(uint32_t addr, int prefix, void *arg);
	void *arg;
} addr_dump_t;

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	addr_dump_t *d = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    ifa->ifa_family != AF_INET || (int)ifa->ifa_index != d->ifindex)
		return MNL_CB_OK;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*ifa))
		if (mnl_attr_get_type(a) == IFA_LOCAL && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			d->fn(mnl_attr_get_u32(a), ifa->ifa_prefixlen, d->arg);
	return MNL_CB_OK;
}

int nl_addr_dump(nl_t *nl, int ifindex, void (*fn)(uint32_t addr, int prefix, void *arg), void *arg)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	addr_dump_t d = { .ifindex = ifindex, .fn = fn, .arg = arg };
	return nl_talk_full(nl, nlh, true, on_addr, &d);
}

/* ---- routes ---------------------------------------------------------------------------------- */

static int route_msg(nl_t *nl, uint16_t type, uint16_t flags, const nl_route_t *r)
{
	if (r->dst_len < 0 || r->dst_len > 32)
		return -EINVAL;
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (uint8_t)r->dst_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = r->proto;
	if (type == RTM_DELROUTE) {
		rtm->rtm_scope = RT_SCOPE_NOWHERE; /* matches any scope */
	} else {
		rtm->rtm_scope = r->gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
		rtm->rtm_type = RTN_UNICAST;
	}
	if (r->dst_len > 0)
		mnl_attr_put_u32(nlh, RTA_DST, r->dst);
	if (r->gw)
		mnl_attr_put_u32(nlh, RTA_GATEWAY, r->gw);
	if (r->ifindex > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->ifindex);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_route_add(nl_t *nl, const nl_route_t *r) { return route_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r); }
int nl_route_replace(nl_t *nl, const nl_route_t *r)
{
	return route_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r);
}
int nl_route_del(nl_t *nl, const nl_route_t *r) { return route_msg(nl, RTM_DELROUTE, 0, r); }

typedef struct route_dump {
	uint8_t proto;
	void (*fn)(const nl_route_t *r, void *arg);
	void *arg;
} route_dump_t;

static int on_route(const struct nlmsghdr *nlh, void *data)
{
	route_dump_t *d = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) ||
	    rtm->rtm_family != AF_INET || rtm->rtm_protocol != d->proto || rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	nl_route_t r = { .dst_len = rtm->rtm_dst_len, .proto = rtm->rtm_protocol };
	uint32_t table = rtm->rtm_table;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				table = mnl_attr_get_u32(a);
			break;
		case RTA_DST:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				r.dst = mnl_attr_get_u32(a);
			break;
		case RTA_GATEWAY:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				r.gw = mnl_attr_get_u32(a);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				r.ifindex = (int)mnl_attr_get_u32(a);
			break;
		}
	}
	if (table == RT_TABLE_MAIN)
		d->fn(&r, d->arg);
	return MNL_CB_OK;
}

int nl_route_dump(nl_t *nl, uint8_t proto, void (*fn)(const nl_route_t *r, void *arg), void *arg)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	route_dump_t d = { .proto = proto, .fn = fn, .arg = arg };
	return nl_talk_full(nl, nlh, true, on_route, &d);
}

/* ---- sysctls --------------------------------------------------------------------------------- */

int nl_sysctl_write(const char *key, const char *value)
{
	char path[256];
	if (!key || strstr(key, "..") || (size_t)snprintf(path, sizeof(path), "/proc/sys/%s", key) >= sizeof(path))
		return -EINVAL;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char cur[64];
	ssize_t n = read(fd, cur, sizeof(cur) - 1);
	size_t vlen = strlen(value);
	if (n > 0) {
		while (n > 0 && (cur[n - 1] == '\n' || cur[n - 1] == ' '))
			n--;
		if ((size_t)n == vlen && memcmp(cur, value, vlen) == 0) {
			close(fd);
			return 0;
		}
	}
	int rc = 0;
	if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, value, vlen) != (ssize_t)vlen)
		rc = errno ? -errno : -EIO;
	close(fd);
	return rc;
}
