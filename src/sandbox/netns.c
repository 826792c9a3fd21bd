/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink messages are built by hand into a fixed buffer: a message is a header, a
 * family-specific struct, then attributes; nested attributes are patched once closed.
 */
#include "netns.h"

#include "log.h"
#include "macros.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>

#define NL_BUF_SIZE 1024

#define UPLINK_NAME     "eth0"
#define UPLINK_PEER     "uplink"
#define UPLINK_ADDR     "10.0.2.15"
#define UPLINK_GATEWAY  "10.0.2.2"
#define UPLINK_NET      "10.0.2.0"
#define UPLINK_PREFIX   24

struct nl_msg {
	union {
		struct nlmsghdr nh;
		char buf[NL_BUF_SIZE];
	};
};

static void *nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->nh.nlmsg_len = NLMSG_LENGTH(hdrlen);
	m->nh.nlmsg_type = type;
	m->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&m->nh);
}

static struct rtattr *nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->nh.nlmsg_len);
	struct rtattr *rta;

	/* Every message here is built from constants; overflowing is a programming error. */
	if (off + RTA_SPACE(len) > sizeof(m->buf))
		abort();
	rta = (struct rtattr *)(m->buf + off);
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	m->nh.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return rta;
}

static void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_put(m, type, &v, sizeof(v));
}

static void nl_put_str(struct nl_msg *m, uint16_t type, const char *s)
{
	nl_put(m, type, s, strlen(s) + 1);
}

static void nl_put_in4(struct nl_msg *m, uint16_t type, const char *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, addr, &a) != 1)
		abort();
	nl_put(m, type, &a, sizeof(a));
}

static void nl_nest_end(struct nl_msg *m, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)(m->buf + m->nh.nlmsg_len - (char *)nest);
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	return fd < 0 ? neg_errno() : fd;
}

/* Send one request and wait for its acknowledgement; returns the kernel's -errno. */
static int nl_call(int fd, struct nl_msg *m)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nh;
		char buf[NL_BUF_SIZE];
	} reply;
	const struct nlmsgerr *err;
	ssize_t n;

	if (sendto(fd, m->buf, m->nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return neg_errno();

	n = recv(fd, reply.buf, sizeof(reply.buf), 0);
	if (n < 0)
		return neg_errno();
	if (!NLMSG_OK(&reply.nh, (size_t)n) || reply.nh.nlmsg_type != NLMSG_ERROR ||
	    reply.nh.nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
		return -EPROTO;
	err = NLMSG_DATA(&reply.nh);
	return err->error;
}

static int nl_link_up(int fd, const char *ifname)
{
	struct nl_msg m;
	struct ifinfomsg *ifi = nl_msg_init(&m, RTM_NEWLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	nl_put_str(&m, IFLA_IFNAME, ifname);
	return nl_call(fd, &m);
}

/* A route of type local to lo for family/prefix: the kernel delivers matches locally. */
static int nl_route_local(int fd, int family, const void *dst, size_t dstlen, uint8_t prefix)
{
	struct nl_msg m;
	struct rtmsg *rt = nl_msg_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
				       sizeof(*rt));

	rt->rtm_family = (unsigned char)family;
	rt->rtm_dst_len = prefix;
	rt->rtm_table = RT_TABLE_LOCAL;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_HOST;
	rt->rtm_type = RTN_LOCAL;
	if (prefix > 0)
		nl_put(&m, RTA_DST, dst, dstlen);
	nl_put_u32(&m, RTA_OIF, if_nametoindex("lo"));
	return nl_call(fd, &m);
}

int netns_route_all_local(void)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	_cleanup_close_ int fd = nl_open();
	struct in_addr net;
	int r;

	if (fd < 0)
		return log_errno(fd, "rtnetlink: cannot open socket");

	r = nl_link_up(fd, "lo");
	if (r < 0)
		return log_errno(r, "rtnetlink: cannot bring 'lo' up");

	/*
	 * IPv4 keeps local and main routes in one trie, so the longest prefix wins across
	 * them: the uplink's connected /24 would beat 0.0.0.0/0 and needs its own local route.
	 */
	inet_pton(AF_INET, UPLINK_NET, &net);
	r = nl_route_local(fd, AF_INET, &net, sizeof(net), 0);
	if (r >= 0)
		r = nl_route_local(fd, AF_INET, &net, sizeof(net), UPLINK_PREFIX);
	if (r >= 0)
		r = nl_route_local(fd, AF_INET6, &any6, sizeof(any6), 0);
	if (r < 0)
		return log_errno(r, "rtnetlink: cannot add local catch-all routes");
	return 0;
}

static int nl_veth_create(int fd, int peer_netns)
{
	struct nl_msg m;
	struct ifinfomsg *ifi = nl_msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
					    sizeof(*ifi));
	struct rtattr *info, *data, *peer;
	struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };

	ifi->ifi_family = AF_UNSPEC;
	nl_put_str(&m, IFLA_IFNAME, UPLINK_NAME);
	info = nl_put(&m, IFLA_LINKINFO, NULL, 0);
	nl_put_str(&m, IFLA_INFO_KIND, "veth");
	data = nl_put(&m, IFLA_INFO_DATA, NULL, 0);
	peer = nl_put(&m, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi));
	nl_put_str(&m, IFLA_IFNAME, UPLINK_PEER);
	nl_put_u32(&m, IFLA_NET_NS_FD, (uint32_t)peer_netns);
	nl_nest_end(&m, peer);
	nl_nest_end(&m, data);
	nl_nest_end(&m, info);
	return nl_call(fd, &m);
}

static int nl_addr_add(int fd, const char *ifname, const char *addr, uint8_t prefix)
{
	struct nl_msg m;
	struct ifaddrmsg *ifa = nl_msg_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
					    sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = if_nametoindex(ifname);
	if (ifa->ifa_index == 0)
		return neg_errno();
	nl_put_in4(&m, IFA_LOCAL, addr);
	nl_put_in4(&m, IFA_ADDRESS, addr);
	return nl_call(fd, &m);
}

static int nl_route_default(int fd, const char *ifname, const char *gateway)
{
	struct nl_msg m;
	struct rtmsg *rt = nl_msg_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
				       sizeof(*rt));

	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	nl_put_in4(&m, RTA_GATEWAY, gateway);
	nl_put_u32(&m, RTA_OIF, if_nametoindex(ifname));
	return nl_call(fd, &m);
}

/* eth0 exists in the guest namespace (fd), its peer in the throw-away one (peer_nl). */
static int uplink_configure(int fd, int peer_nl)
{
	int r;

	/* With the peer up, eth0 has a carrier and looks like any other NIC. */
	r = nl_link_up(peer_nl, UPLINK_PEER);
	if (r >= 0)
		r = nl_link_up(fd, UPLINK_NAME);
	if (r >= 0)
		r = nl_addr_add(fd, UPLINK_NAME, UPLINK_ADDR, UPLINK_PREFIX);
	if (r >= 0)
		r = nl_route_default(fd, UPLINK_NAME, UPLINK_GATEWAY);
	return r;
}

/*
 * Create the throw-away namespace by unsharing the calling thread into it, keep an fd and
 * an rtnetlink socket bound to it, and return to the guest namespace.
 */
static int uplink_netns_create(int guest_netns, int *ret_netns, int *ret_nl)
{
	_cleanup_close_ int netns = -1, nl = -1;
	int r = 0;

	if (unshare(CLONE_NEWNET) < 0)
		return neg_errno();

	netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (netns < 0)
		r = neg_errno();
	if (r >= 0) {
		nl = nl_open();
		r = MIN(nl, 0);
	}
	if (setns(guest_netns, CLONE_NEWNET) < 0)
		return log_errno(neg_errno(), "cannot return to the guest network namespace");
	if (r < 0)
		return r;

	*ret_netns = TAKE_FD(netns);
	*ret_nl = TAKE_FD(nl);
	return 0;
}

int netns_add_fake_uplink(int *ret_peer_netns)
{
	_cleanup_close_ int guest = -1, peer = -1, peer_nl = -1, fd = -1;
	int r;

	guest = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (guest < 0)
		return log_errno(neg_errno(), "cannot open the guest network namespace");

	r = uplink_netns_create(guest, &peer, &peer_nl);
	if (r < 0)
		return log_errno(r, "cannot create the namespace behind " UPLINK_NAME);

	fd = nl_open();
	if (fd < 0)
		return log_errno(fd, "rtnetlink: cannot open socket");

	r = nl_veth_create(fd, peer);
	if (r < 0)
		return log_errno(r, "rtnetlink: cannot create veth '" UPLINK_NAME "'");

	r = uplink_configure(fd, peer_nl);
	if (r < 0)
		return log_errno(r, "rtnetlink: cannot configure '" UPLINK_NAME "'");

	*ret_peer_netns = TAKE_FD(peer);
	return 0;
}
