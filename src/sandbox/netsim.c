/* SPDX-License-Identifier: MIT */
/*
 * The simulated internet: servers that live in the guest's network namespace and record
 * what reaches them. Everything is non-blocking on one epoll fd; each epoll entry points
 * at a netsim_source whose handler knows what the fd is. Every resource a guest can
 * grow (connections, buffers, events) has a fixed limit.
 */
#include "netsim.h"

#include "escape.h"
#include "log.h"
#include "macros.h"
#include "netns.h"
#include "netproto.h"
#include "steer.h"
#include "steer.skel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>

#define NETSIM_CONN_MAX       256
#define NETSIM_CONN_BUF       4096
#define NETSIM_CONN_DEADLINE  (2 * NSEC_PER_SEC)
#define NETSIM_SWEEP_NS       (250 * NSEC_PER_MSEC)
#define NETSIM_UDP_BUF        2048
#define NETSIM_BATCH          64
#define NETSIM_EVENTS_PER_SEC 512
#define NETSIM_EVENTS_MAX     100000
#define NSEC_PER_SEC          1000000000ULL
#define NSEC_PER_MSEC         1000000ULL
#define SINKHOLE_NET          0xc6120000u /* 198.18.0.0/15, RFC 2544 benchmarking */
#define SINKHOLE_SIZE         (1u << 17)

struct netsim;

struct netsim_source {
	void (*handle)(struct netsim *n, struct netsim_source *s, uint32_t events);
};

enum conn_state {
	CONN_FREE,
	CONN_READING,  /* waiting for enough bytes to tell the protocol */
	CONN_DRAINING, /* answered; reading until the guest closes so it gets the reply */
};

struct netsim_conn {
	struct netsim_source src;
	enum conn_state state;
	int fd;
	uint64_t deadline_ns;
	struct sockaddr_storage dst;
	size_t len;
	uint8_t buf[NETSIM_CONN_BUF];
};

struct netsim_server {
	struct netsim_source src;
	int fd;
	int family;
	enum steer_slot kind;
};

struct netsim {
	int epoll_fd;
	int timer_fd;
	int peer_netns;
	struct netsim_source timer_src;
	struct steer_bpf *skel;
	netsim_event_fn fn;
	void *userdata;
	uint64_t rate_start_ns;
	unsigned rate_count;
	uint64_t events_total;
	uint64_t events_dropped;
	unsigned nconns;
	struct netsim_server servers[STEER_SLOTS];
	struct netsim_conn conns[NETSIM_CONN_MAX];
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* ---- events ---- */

static void event_init(struct event *ev, enum event_type type)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->time_ns = now_ns();
	memcpy(ev->comm, "netsim", sizeof("netsim"));
}

static void event_set_sockaddr(struct event *ev, const struct sockaddr_storage *sa)
{
	size_t len = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					       : sizeof(struct sockaddr_in);

	memcpy(ev->data, sa, len);
	ev->data_len = (uint32_t)len;
	ev->arg0 = sa->ss_family;
}

/* A guest that floods the network must not flood the report: a per-second and total cap. */
static bool netsim_rate_allows(struct netsim *n, uint64_t now)
{
	if (now - n->rate_start_ns >= NSEC_PER_SEC) {
		n->rate_start_ns = now;
		n->rate_count = 0;
	}
	if (n->rate_count >= NETSIM_EVENTS_PER_SEC || n->events_total >= NETSIM_EVENTS_MAX) {
		n->events_dropped++;
		return false;
	}
	n->rate_count++;
	n->events_total++;
	return true;
}

static void netsim_emit(struct netsim *n, const struct event *ev)
{
	if (netsim_rate_allows(n, ev->time_ns))
		n->fn(ev, n->userdata);
}

/* ---- UDP: DNS server and datagram recorder ---- */

struct datagram {
	uint8_t buf[NETSIM_UDP_BUF];
	size_t len;  /* as sent, even when longer than buf */
	size_t kept; /* what buf holds */
	struct sockaddr_storage src;
	struct sockaddr_storage dst; /* where the guest sent it */
};

static void datagram_find_dst(struct msghdr *msg, struct datagram *d)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR;
		bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_ORIGDSTADDR;
		size_t len = v4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

		if ((v4 || v6) && c->cmsg_len >= CMSG_LEN(len))
			memcpy(&d->dst, CMSG_DATA(c), len);
	}
}

/* 1 when a datagram was read, 0 when none is left, -errno on error. */
static int datagram_recv(int fd, struct datagram *d)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct sockaddr_in6))];
	} control;
	struct iovec iov = { .iov_base = d->buf, .iov_len = sizeof(d->buf) };
	struct msghdr msg = {
		.msg_name = &d->src, .msg_namelen = sizeof(d->src),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	ssize_t r;

	memset(&d->dst, 0, sizeof(d->dst));
	r = recvmsg(fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
	if (r < 0)
		return errno == EAGAIN ? 0 : neg_errno();

	d->len = (size_t)r;
	d->kept = MIN(d->len, sizeof(d->buf));
	datagram_find_dst(&msg, d);
	return 1;
}

static void udp_record(struct netsim *n, const struct datagram *d)
{
	struct event ev;

	event_init(&ev, EV_UDP_DATAGRAM);
	event_set_sockaddr(&ev, &d->dst);
	ev.arg0 = d->len;
	ev.arg1 = d->dst.ss_family;
	escape_printable(d->buf, d->kept, ev.path, sizeof(ev.path));
	netsim_emit(n, &ev);
}

/* Deterministic per name, so a rerun of a sample sees the same addresses. */
static uint32_t sinkhole_address(const char *name)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	/* Skip the first and last address of the range. */
	return SINKHOLE_NET + 1 + h % (SINKHOLE_SIZE - 2);
}

static void cmsg_put(struct msghdr *msg, int level, int type, const void *data, size_t len)
{
	struct cmsghdr *c = CMSG_FIRSTHDR(msg);

	*c = (struct cmsghdr){ .cmsg_level = level, .cmsg_type = type,
			       .cmsg_len = CMSG_LEN(len) };
	memcpy(CMSG_DATA(c), data, len);
	msg->msg_controllen = CMSG_SPACE(len);
}

/* Answer from the address the guest asked, or a connected resolver drops the reply. */
static int dns_send_reply(int fd, const struct datagram *d, const void *buf, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} control = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = (void *)&d->src, .msg_namelen = sizeof(d->src),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&d->dst;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&d->dst;

	if (d->dst.ss_family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = sin->sin_addr };

		cmsg_put(&msg, SOL_IP, IP_PKTINFO, &pi, sizeof(pi));
	} else if (d->dst.ss_family == AF_INET6) {
		struct in6_pktinfo pi = { .ipi6_addr = sin6->sin6_addr };

		cmsg_put(&msg, SOL_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	} else {
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
	return sendmsg(fd, &msg, MSG_DONTWAIT) < 0 ? neg_errno() : 0;
}

static void dns_answer(struct netsim *n, int fd, const struct datagram *d)
{
	uint8_t reply[NETSIM_UDP_BUF];
	struct dns_question q;
	struct event ev;
	uint32_t addr;
	size_t len;
	int r;

	if (d->len != d->kept || dns_parse_query(d->buf, d->kept, &q) < 0) {
		udp_record(n, d); /* not DNS after all: still worth a record */
		return;
	}

	addr = sinkhole_address(q.name);
	event_init(&ev, EV_DNS_QUERY);
	snprintf(ev.path, sizeof(ev.path), "%s", q.name);
	ev.arg0 = q.qtype;
	ev.arg1 = q.qtype == 1 ? addr : 0;
	netsim_emit(n, &ev);

	r = dns_build_answer(d->buf, d->kept, &q, htonl(addr), reply, sizeof(reply), &len);
	if (r >= 0)
		r = dns_send_reply(fd, d, reply, len);
	if (r < 0)
		log_debug("netsim: cannot answer DNS query for '%s': %s", q.name, strerror(-r));
}

static void udp_handle(struct netsim *n, struct netsim_source *s, uint32_t events)
{
	struct netsim_server *srv = container_of(s, struct netsim_server, src);
	struct datagram d;

	/* A bounded batch, so one busy socket cannot starve the others. */
	for (int i = 0; i < NETSIM_BATCH && datagram_recv(srv->fd, &d) > 0; i++) {
		if (srv->kind == STEER_DNS)
			dns_answer(n, srv->fd, &d);
		else
			udp_record(n, &d);
	}
}

/* ---- TCP: catch-all listener and its connections ---- */

static const char http_body[] =
	"<!DOCTYPE html>\n"
	"<html><head><title>Welcome</title></head>\n"
	"<body><h1>It works!</h1><p>This page is under construction.</p></body></html>\n";

/* The head states the body's length as the compiler counts it, never by hand. */
static int http_reply_send(int fd)
{
	char reply[512];
	int n;

	n = snprintf(reply, sizeof(reply),
		     "HTTP/1.1 200 OK\r\n"
		     "Server: nginx\r\n"
		     "Content-Type: text/html; charset=utf-8\r\n"
		     "Content-Length: %zu\r\n"
		     "Connection: close\r\n"
		     "\r\n"
		     "%s",
		     sizeof(http_body) - 1, http_body);
	if (n < 0 || (size_t)n >= sizeof(reply))
		return -ENOBUFS;
	return send(fd, reply, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? neg_errno() : 0;
}

static void conn_close(struct netsim *n, struct netsim_conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->state = CONN_FREE;
	n->nconns--;
}

static void conn_emit_session(struct netsim *n, struct netsim_conn *c)
{
	struct event ev;

	event_init(&ev, EV_TCP_SESSION);
	event_set_sockaddr(&ev, &c->dst);
	ev.arg1 = c->len;
	escape_printable(c->buf, c->len, ev.path, sizeof(ev.path));
	netsim_emit(n, &ev);
}

static void conn_answer_http(struct netsim *n, struct netsim_conn *c,
			     const struct http_request *req)
{
	struct event ev;

	event_init(&ev, EV_HTTP_REQUEST);
	snprintf(ev.path, sizeof(ev.path), "%s", req->host);
	/* A target near the size limit loses its tail; the method stays in front. */
	if (snprintf(ev.path2, sizeof(ev.path2), "%s %s", req->method, req->path) < 0)
		ev.path2[0] = '\0';
	ev.data_len = (uint32_t)snprintf(ev.data, sizeof(ev.data), "%s", req->user_agent);
	netsim_emit(n, &ev);

	/* The socket buffer is empty, so a reply this small is sent whole or not at all. */
	if (http_reply_send(c->fd) < 0)
		log_debug("netsim: cannot send HTTP reply: %m");
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_DRAINING;
}

static void conn_emit_tls(struct netsim *n, const char *sni)
{
	struct event ev;

	event_init(&ev, EV_TLS_HELLO);
	snprintf(ev.path, sizeof(ev.path), "%s", sni);
	netsim_emit(n, &ev);
}

/* True when the connection is finished with (and closed). */
static bool conn_classify(struct netsim *n, struct netsim_conn *c, bool eof)
{
	struct http_request req;
	char sni[256];
	int r;

	r = http_parse_request((const char *)c->buf, c->len, &req);
	if (r == 0) {
		conn_emit_session(n, c);
		conn_answer_http(n, c, &req);
		return false;
	}
	if (r == -EAGAIN && !eof && c->len < sizeof(c->buf))
		return false;

	r = tls_parse_sni(c->buf, c->len, sni, sizeof(sni));
	if (r == 0 || r == -ENOENT) {
		conn_emit_session(n, c);
		conn_emit_tls(n, sni);
		conn_close(n, c);
		return true;
	}

	/* Unknown protocol: keep what arrives until the buffer fills, EOF or the deadline. */
	if (!eof && c->len < sizeof(c->buf))
		return false;
	conn_emit_session(n, c);
	conn_close(n, c);
	return true;
}

static void conn_drain(struct netsim *n, struct netsim_conn *c)
{
	uint8_t sink[NETSIM_CONN_BUF];

	for (int i = 0; i < NETSIM_BATCH; i++) {
		ssize_t r = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);

		if (r > 0)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		break;
	}
	conn_close(n, c);
}

static void conn_handle(struct netsim *n, struct netsim_source *s, uint32_t events)
{
	struct netsim_conn *c = container_of(s, struct netsim_conn, src);
	bool eof = false;

	/* An event queued for a connection closed earlier in the same batch. */
	if (c->state == CONN_FREE)
		return;
	if (c->state == CONN_DRAINING) {
		conn_drain(n, c);
		return;
	}

	while (c->len < sizeof(c->buf)) {
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);

		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		eof = r == 0 || errno != EAGAIN;
		break;
	}
	conn_classify(n, c, eof);
}

static struct netsim_conn *conn_slot_find(struct netsim *n)
{
	if (n->nconns >= NETSIM_CONN_MAX)
		return NULL;
	for (size_t i = 0; i < NETSIM_CONN_MAX; i++)
		if (n->conns[i].state == CONN_FREE)
			return &n->conns[i];
	return NULL;
}

/* Beyond the connection limit the guest gets a reset, not a hang. */
static void conn_refuse(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static int conn_start(struct netsim *n, int fd)
{
	struct netsim_conn *c = conn_slot_find(n);
	struct epoll_event ee = { .events = EPOLLIN | EPOLLRDHUP };
	socklen_t salen;

	if (!c) {
		conn_refuse(fd);
		return -EMFILE;
	}

	*c = (struct netsim_conn){ .src.handle = conn_handle, .state = CONN_READING, .fd = fd,
				   .deadline_ns = now_ns() + NETSIM_CONN_DEADLINE };
	/* sk_lookup kept the guest's destination as the local address of the socket. */
	salen = sizeof(c->dst);
	getsockname(fd, (struct sockaddr *)&c->dst, &salen);
	n->nconns++;

	ee.data.ptr = &c->src;
	if (epoll_ctl(n->epoll_fd, EPOLL_CTL_ADD, fd, &ee) < 0) {
		conn_emit_session(n, c);
		conn_close(n, c);
		return neg_errno();
	}
	return 0;
}

static void tcp_accept_handle(struct netsim *n, struct netsim_source *s, uint32_t events)
{
	struct netsim_server *srv = container_of(s, struct netsim_server, src);

	for (int i = 0; i < NETSIM_BATCH; i++) {
		int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		conn_start(n, fd);
	}
}

/* Connections that said too little in time are recorded with what they did say. */
static void timer_handle(struct netsim *n, struct netsim_source *s, uint32_t events)
{
	uint64_t ticks, now = now_ns();

	if (read(n->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("netsim: cannot read timerfd: %m");

	for (size_t i = 0; i < NETSIM_CONN_MAX; i++) {
		struct netsim_conn *c = &n->conns[i];

		if (c->state == CONN_FREE || c->deadline_ns > now)
			continue;
		if (c->state == CONN_READING)
			conn_emit_session(n, c);
		conn_close(n, c);
	}
}

/* ---- setup ---- */

struct server_spec {
	int family;
	int type;
	enum steer_slot kind;
	const char *addr;
	uint16_t port;
	void (*handle)(struct netsim *n, struct netsim_source *s, uint32_t events);
};

/* Where the servers are bound: plausible for a Linux host; sk_lookup brings them the rest. */
static const struct server_spec server_specs[STEER_SLOTS] = {
	{ AF_INET, SOCK_DGRAM, STEER_DNS, "127.0.0.53", 53, udp_handle },
	{ AF_INET, SOCK_DGRAM, STEER_UDP, "127.0.0.1", 9, udp_handle },
	{ AF_INET, SOCK_STREAM, STEER_TCP, "127.0.0.1", 631, tcp_accept_handle },
	{ AF_INET6, SOCK_DGRAM, STEER_DNS, "::1", 53, udp_handle },
	{ AF_INET6, SOCK_DGRAM, STEER_UDP, "::1", 9, udp_handle },
	{ AF_INET6, SOCK_STREAM, STEER_TCP, "::1", 631, tcp_accept_handle },
};

static int sockaddr_from_spec(const struct server_spec *spec, struct sockaddr_storage *ret,
			      socklen_t *ret_len)
{
	memset(ret, 0, sizeof(*ret));
	if (spec->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ret;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(spec->port);
		*ret_len = sizeof(*sin);
		return inet_pton(AF_INET, spec->addr, &sin->sin_addr) == 1 ? 0 : -EINVAL;
	}

	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(spec->port);
	*ret_len = sizeof(*sin6);
	return inet_pton(AF_INET6, spec->addr, &sin6->sin6_addr) == 1 ? 0 : -EINVAL;
}

/* Options that let a UDP server learn the guest's destination and answer from it. */
static int server_set_udp_options(int fd, int family)
{
	static const int one = 1;
	int level = family == AF_INET ? SOL_IP : SOL_IPV6;
	int origdst = family == AF_INET ? IP_RECVORIGDSTADDR : IPV6_RECVORIGDSTADDR;
	int freebind = family == AF_INET ? IP_FREEBIND : IPV6_FREEBIND;

	if (setsockopt(fd, level, origdst, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, level, freebind, &one, sizeof(one)) < 0)
		return neg_errno();
	return 0;
}

static int server_open(const struct server_spec *spec)
{
	_cleanup_close_ int fd = -1;
	static const int one = 1;
	struct sockaddr_storage sa;
	socklen_t salen;
	int r;

	fd = socket(spec->family, spec->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();

	r = sockaddr_from_spec(spec, &sa, &salen);
	if (r < 0)
		return r;
	if (spec->family == AF_INET6 &&
	    setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return neg_errno();
	if (spec->type == SOCK_DGRAM && (r = server_set_udp_options(fd, spec->family)) < 0)
		return r;
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0)
		return neg_errno();
	if (spec->type == SOCK_STREAM && listen(fd, 128) < 0)
		return neg_errno();
	return TAKE_FD(fd);
}

/* Runs inside the guest namespace: everything created here belongs to it. */
static int netsim_setup_inside(struct netsim *n)
{
	int r;

	/* The uplink's default route must exist before local routes hide its gateway. */
	r = netns_add_fake_uplink(&n->peer_netns);
	if (r < 0)
		log_warn("netsim: continuing without a fake eth0");

	r = netns_route_all_local();
	if (r < 0)
		return r;

	for (size_t i = 0; i < ARRAY_SIZE(server_specs); i++) {
		const struct server_spec *spec = &server_specs[i];
		size_t slot = (spec->family == AF_INET6 ? STEER_SLOTS_PER_FAMILY : 0) + spec->kind;
		int fd = server_open(spec);

		if (fd < 0)
			return log_errno(fd, "netsim: cannot open server on '%s' port %u",
					 spec->addr, spec->port);
		n->servers[slot] = (struct netsim_server){ .src.handle = spec->handle, .fd = fd,
							   .family = spec->family,
							   .kind = spec->kind };
	}
	return 0;
}

static int netns_is_current(int netns_fd)
{
	struct stat a, b;

	if (fstat(netns_fd, &a) < 0 || stat("/proc/thread-self/ns/net", &b) < 0)
		return neg_errno();
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Enter the guest namespace on this thread only, and always come back. */
static int netsim_setup_in_netns(struct netsim *n, int netns_fd)
{
	_cleanup_close_ int orig = -1;
	int r;

	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return log_errno(neg_errno(), "netsim: cannot open own network namespace");
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return log_errno(neg_errno(), "netsim: cannot enter guest network namespace");

	r = netsim_setup_inside(n);

	if (setns(orig, CLONE_NEWNET) < 0)
		return log_errno_msg(LOG_CRIT, neg_errno(),
				     "netsim: thread cannot return to its network namespace");
	return r;
}

static int netsim_epoll_add(struct netsim *n, int fd, struct netsim_source *s)
{
	struct epoll_event ee = { .events = EPOLLIN, .data.ptr = s };

	return epoll_ctl(n->epoll_fd, EPOLL_CTL_ADD, fd, &ee) < 0 ? neg_errno() : 0;
}

static int netsim_setup_loop(struct netsim *n)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = NETSIM_SWEEP_NS },
		.it_value = { .tv_nsec = NETSIM_SWEEP_NS },
	};
	int r;

	n->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	n->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (n->epoll_fd < 0 || n->timer_fd < 0)
		return neg_errno();
	if (timerfd_settime(n->timer_fd, 0, &its, NULL) < 0)
		return neg_errno();

	n->timer_src.handle = timer_handle;
	r = netsim_epoll_add(n, n->timer_fd, &n->timer_src);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(n->servers); i++)
		r = netsim_epoll_add(n, n->servers[i].fd, &n->servers[i].src);
	return r;
}

static int netsim_attach_steering(struct netsim *n, int netns_fd)
{
	int map_fd, r;

	n->skel = steer_bpf__open_and_load();
	if (!n->skel)
		return log_errno(neg_errno(), "netsim: cannot load sk_lookup program");

	map_fd = bpf_map__fd(n->skel->maps.socks);
	for (uint32_t slot = 0; slot < STEER_SLOTS; slot++) {
		uint64_t fd = (uint64_t)n->servers[slot].fd;

		if (bpf_map_update_elem(map_fd, &slot, &fd, BPF_ANY) < 0)
			return log_errno(neg_errno(), "netsim: cannot add socket %u to map", slot);
	}

	n->skel->links.steer = bpf_program__attach_netns(n->skel->progs.steer, netns_fd);
	r = libbpf_get_error(n->skel->links.steer);
	if (r < 0) {
		n->skel->links.steer = NULL;
		return log_errno(r, "netsim: cannot attach sk_lookup program");
	}
	return 0;
}

int netsim_new(int netns_fd, netsim_event_fn fn, void *userdata, struct netsim **ret)
{
	struct netsim *n;
	int r;

	/* Catch-all local routes in the supervisor's own namespace would cut the host off. */
	r = netns_is_current(netns_fd);
	if (r != 0)
		return log_errno(r < 0 ? r : -EINVAL, "netsim: refusing the caller's namespace");

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = (struct netsim){ .epoll_fd = -1, .timer_fd = -1, .peer_netns = -1, .fn = fn,
			      .userdata = userdata };
	for (size_t i = 0; i < ARRAY_SIZE(n->servers); i++)
		n->servers[i].fd = -1;

	r = netsim_setup_in_netns(n, netns_fd);
	if (r >= 0)
		r = netsim_setup_loop(n);
	if (r >= 0)
		r = netsim_attach_steering(n, netns_fd);
	if (r < 0) {
		netsim_free(n);
		return r;
	}
	*ret = n;
	return 0;
}

void netsim_free(struct netsim *n)
{
	if (!n)
		return;

	steer_bpf__destroy(n->skel);
	for (size_t i = 0; i < NETSIM_CONN_MAX; i++)
		if (n->conns[i].state != CONN_FREE)
			close(n->conns[i].fd);
	for (size_t i = 0; i < ARRAY_SIZE(n->servers); i++)
		closep(&n->servers[i].fd);
	closep(&n->timer_fd);
	closep(&n->epoll_fd);
	closep(&n->peer_netns);
	if (n->events_dropped)
		log_info("netsim: %llu events over the limit were dropped",
			 (unsigned long long)n->events_dropped);
	free(n);
}

int netsim_fd(const struct netsim *n)
{
	return n->epoll_fd;
}

int netsim_dispatch(struct netsim *n)
{
	struct epoll_event evs[NETSIM_BATCH];
	int count;

	count = epoll_wait(n->epoll_fd, evs, (int)ARRAY_SIZE(evs), 0);
	if (count < 0)
		return errno == EINTR ? 0 : neg_errno();

	for (int i = 0; i < count; i++) {
		struct netsim_source *s = evs[i].data.ptr;

		s->handle(n, s, evs[i].events);
	}
	return count;
}
