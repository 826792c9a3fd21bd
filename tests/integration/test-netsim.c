/* SPDX-License-Identifier: MIT */
/*
 * The simulated internet end to end, as root, printing TAP. A child unshares a fresh,
 * link-less network namespace; netsim is set up in it; a second child joins that
 * namespace (and only after checking it is that one) and behaves like malware: DNS to
 * 8.8.8.8, HTTP, TLS, UDP, and a connection to a port the test listens on in the host
 * namespace. Every packet is sent from inside the namespace the test created.
 */
#include "event.h"
#include "macros.h"
#include "netsim.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define EVENTS_MAX 64

static struct event recorded[EVENTS_MAX];
static size_t nrecorded;
static int tap_count, tap_failed;

static void on_event(const struct event *ev, void *userdata)
{
	if (nrecorded < EVENTS_MAX)
		recorded[nrecorded++] = *ev;
}

static void tap(bool ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++tap_count, what);
	tap_failed += !ok;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static ino_t netns_inode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? 0 : st.st_ino;
}

/* ---- the host side that must not change ---- */

struct host_snapshot {
	char routes[8192];
	char routes6[8192];
	char links[4096];
	ino_t netns;
};

static void read_text(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
}

/* Interface names only: the counters in /proc/net/dev move with unrelated traffic. */
static void links_names(char *buf)
{
	char *out = buf, *line = buf;

	for (char *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		char *colon = memchr(line, ':', (size_t)(nl - line));

		if (!colon)
			continue;
		memmove(out, line, (size_t)(colon - line + 1));
		out += colon - line + 1;
	}
	*out = '\0';
}

static void host_snapshot_take(struct host_snapshot *s)
{
	read_text("/proc/thread-self/net/route", s->routes, sizeof(s->routes));
	read_text("/proc/thread-self/net/ipv6_route", s->routes6, sizeof(s->routes6));
	read_text("/proc/thread-self/net/dev", s->links, sizeof(s->links));
	links_names(s->links);
	s->netns = netns_inode_of("/proc/thread-self/ns/net");
}

static int host_listener_open(uint16_t *ret_port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	*ret_port = ntohs(sin.sin_port);
	return fd;
}

/* ---- the namespace holder ---- */

static pid_t netns_holder_start(int *ret_quit)
{
	int ready[2], quit[2];
	char c = 'x';
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(quit, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(quit[1]);
		if (unshare(CLONE_NEWNET) == 0)
			c = 'k';
		(void)!write(ready[1], &c, 1);
		(void)!read(quit[0], &c, 1); /* returns when the parent closes its end */
		_exit(0);
	}
	close(ready[1]);
	close(quit[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 'k')
		pid = -1;
	close(ready[0]);
	*ret_quit = quit[1];
	return pid;
}

/* ---- the guest's actions, in the second child ---- */

enum guest_check {
	GUEST_DNS = 1 << 0,
	GUEST_HTTP = 1 << 1,
	GUEST_TLS = 1 << 2,
	GUEST_UDP = 1 << 3,
	GUEST_HOSTPORT = 1 << 4,
	GUEST_V6 = 1 << 5,
	GUEST_LOCAL = 1 << 6,
};

static int guest_socket(int family, int type, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct timeval tv = { .tv_sec = 3 };
	socklen_t len;
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		*sin = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port) };
		inet_pton(AF_INET, addr, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		*sin6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(port) };
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static size_t read_until_eof(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

static bool guest_dns(void)
{
	static const uint8_t query[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
	};
	_cleanup_close_ int fd = guest_socket(AF_INET, SOCK_DGRAM, "8.8.8.8", 53);
	uint8_t reply[512];
	ssize_t n;

	if (fd < 0 || send(fd, query, sizeof(query), 0) != sizeof(query))
		return false;
	n = recv(fd, reply, sizeof(reply), 0);
	/* id echoed, one answer, its address the last 4 bytes and inside 198.18.0.0/15 */
	return n == sizeof(query) + 16 && reply[0] == 0x12 && reply[1] == 0x34 &&
	       reply[7] == 1 && reply[n - 4] == 198 && (reply[n - 3] & 0xfe) == 18;
}

static bool guest_http(void)
{
	static const char req[] = "GET /gate.php?id=1 HTTP/1.1\r\nHost: evil.example\r\n"
				  "User-Agent: TestBot/1.0\r\nAccept: */*\r\n\r\n";
	_cleanup_close_ int fd = guest_socket(AF_INET, SOCK_STREAM, "203.0.113.5", 80);
	char reply[2048];

	if (fd < 0 || write(fd, req, sizeof(req) - 1) != sizeof(req) - 1)
		return false;
	read_until_eof(fd, reply, sizeof(reply));
	return strncmp(reply, "HTTP/1.1 200 OK\r\n", 17) == 0 && strstr(reply, "<html>");
}

static size_t client_hello_build(uint8_t *out, const char *sni)
{
	size_t nlen = strlen(sni), p = 0, hs, ext;

	memcpy(out, "\x16\x03\x01\x00\x00", 5); /* record; length patched below */
	p = 5;
	hs = p;
	memcpy(out + p, "\x01\x00\x00\x00\x03\x03", 6); /* ClientHello, TLS 1.2 */
	p += 6;
	memset(out + p, 0x42, 32); /* random */
	p += 32;
	memcpy(out + p, "\x00\x00\x02\x13\x01\x01\x00", 7); /* no session, one suite, null */
	p += 7;
	ext = p;
	p += 2;
	memcpy(out + p, "\x00\x00", 2); /* server_name */
	out[p + 2] = (uint8_t)((nlen + 5) >> 8);
	out[p + 3] = (uint8_t)(nlen + 5);
	out[p + 4] = (uint8_t)((nlen + 3) >> 8);
	out[p + 5] = (uint8_t)(nlen + 3);
	out[p + 6] = 0;
	out[p + 7] = (uint8_t)(nlen >> 8);
	out[p + 8] = (uint8_t)nlen;
	memcpy(out + p + 9, sni, nlen);
	p += 9 + nlen;

	out[ext] = (uint8_t)((p - ext - 2) >> 8);
	out[ext + 1] = (uint8_t)(p - ext - 2);
	out[hs + 2] = (uint8_t)((p - hs - 4) >> 8);
	out[hs + 3] = (uint8_t)(p - hs - 4);
	out[3] = (uint8_t)((p - 5) >> 8);
	out[4] = (uint8_t)(p - 5);
	return p;
}

static bool guest_tls(void)
{
	_cleanup_close_ int fd = guest_socket(AF_INET, SOCK_STREAM, "198.51.100.7", 443);
	uint8_t hello[512];
	size_t len = client_hello_build(hello, "c2.example");
	char sink[64];

	if (fd < 0 || write(fd, hello, len) != (ssize_t)len)
		return false;
	read_until_eof(fd, sink, sizeof(sink)); /* netsim closes after the hello */
	return true;
}

static bool guest_udp(void)
{
	_cleanup_close_ int fd = guest_socket(AF_INET, SOCK_DGRAM, "192.0.2.1", 9999);

	return fd >= 0 && send(fd, "hello-udp", 9, 0) == 9;
}

static bool guest_send_line(int family, const char *addr, uint16_t port, const char *line)
{
	_cleanup_close_ int fd = guest_socket(family, SOCK_STREAM, addr, port);
	char sink[64];

	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		return false;
	shutdown(fd, SHUT_WR);
	read_until_eof(fd, sink, sizeof(sink));
	return true;
}

/* A listener on the guest's own loopback, and a connection to it that carries bytes. */
static bool guest_local_service(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	_cleanup_close_ int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int a = -1;
	char buf[8] = "";

	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) < 0 ||
	    connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return false;
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0 || write(a, "local", 5) != 5 || read(c, buf, sizeof(buf) - 1) != 5)
		return false;
	return strcmp(buf, "local") == 0;
}

/* Runs in the child; returns the checks that failed. 0xff: not in the test's namespace. */
static int guest_run(int netns_fd, ino_t netns_ino, uint16_t host_port)
{
	int failed = 0;

	if (setns(netns_fd, CLONE_NEWNET) < 0 ||
	    netns_inode_of("/proc/thread-self/ns/net") != netns_ino)
		return 0xff;

	failed |= guest_dns() ? 0 : GUEST_DNS;
	failed |= guest_http() ? 0 : GUEST_HTTP;
	failed |= guest_tls() ? 0 : GUEST_TLS;
	failed |= guest_udp() ? 0 : GUEST_UDP;
	/* The guest's loopback is its own: nothing listens there at the host's port. */
	failed |= guest_send_line(AF_INET, "127.0.0.1", host_port, "ping-host\n") ? GUEST_HOSTPORT
										   : 0;
	failed |= guest_local_service() ? 0 : GUEST_LOCAL;
	failed |= guest_send_line(AF_INET6, "2001:db8::1", 8080, "v6 hello") ? 0 : GUEST_V6;
	return failed;
}

/* Serve netsim until the guest child exits, then a little longer for the last bytes. */
static int netsim_serve_until_exit(struct netsim *n, pid_t guest)
{
	struct pollfd pfd = { .fd = netsim_fd(n), .events = POLLIN };
	uint64_t end = 0;
	int status = -1;

	while (end == 0 || now_ns() < end) {
		poll(&pfd, 1, 50);
		netsim_dispatch(n);
		if (end == 0 && waitpid(guest, &status, WNOHANG) == guest)
			end = now_ns() + 500000000ULL;
	}
	return status;
}

/* ---- assertions on what netsim recorded ---- */

static const struct event *event_find(enum event_type type, const char *path)
{
	for (size_t i = 0; i < nrecorded; i++)
		if (recorded[i].type == type && (!path || strcmp(recorded[i].path, path) == 0))
			return &recorded[i];
	return NULL;
}

static const struct event *session_to(int family, const char *addr, uint16_t port)
{
	for (size_t i = 0; i < nrecorded; i++) {
		const struct event *ev = &recorded[i];
		uint8_t want[16];
		const struct sockaddr_in *sin = (const void *)ev->data;
		const struct sockaddr_in6 *sin6 = (const void *)ev->data;

		if ((ev->type != EV_TCP_SESSION && ev->type != EV_UDP_DATAGRAM) ||
		    sin->sin_family != family || inet_pton(family, addr, want) != 1)
			continue;
		if (family == AF_INET && sin->sin_port == htons(port) &&
		    memcmp(&sin->sin_addr, want, 4) == 0)
			return ev;
		if (family == AF_INET6 && sin6->sin6_port == htons(port) &&
		    memcmp(&sin6->sin6_addr, want, 16) == 0)
			return ev;
	}
	return NULL;
}

static void check_events(void)
{
	const struct event *dns = event_find(EV_DNS_QUERY, "example.com");
	const struct event *http = event_find(EV_HTTP_REQUEST, "evil.example");
	const struct event *udp = session_to(AF_INET, "192.0.2.1", 9999);
	const struct event *hostport = NULL;
	bool netsim_fields = nrecorded > 0;

	for (size_t i = 0; i < nrecorded; i++)
		netsim_fields &= recorded[i].pid == 0 && recorded[i].time_ns != 0;
	for (size_t i = 0; i < nrecorded && !hostport; i++)
		if (recorded[i].type == EV_TCP_SESSION &&
		    strcmp(recorded[i].path, "ping-host\\x0a") == 0)
			hostport = &recorded[i];

	tap(dns && dns->arg0 == 1 && (dns->arg1 >> 17) == (0xc6120000u >> 17),
	    "DNS query for example.com recorded with a sinkhole answer");
	tap(http && strcmp(http->path2, "GET /gate.php?id=1") == 0 &&
		    strcmp(http->data, "TestBot/1.0") == 0,
	    "HTTP request recorded with method, path and user agent");
	tap(session_to(AF_INET, "203.0.113.5", 80), "TCP session to 203.0.113.5:80 recorded");
	tap(event_find(EV_TLS_HELLO, "c2.example"), "TLS ClientHello with SNI c2.example recorded");
	tap(session_to(AF_INET, "198.51.100.7", 443), "TCP session to 198.51.100.7:443 recorded");
	tap(udp && udp->arg0 == 9, "UDP datagram to 192.0.2.1:9999 recorded with its length");
	tap(hostport == NULL, "the guest's loopback is not steered to netsim");
	tap(session_to(AF_INET6, "2001:db8::1", 8080), "IPv6 TCP session recorded");
	tap(netsim_fields, "every event has pid 0 and a timestamp");
}

static void check_guest(int status)
{
	int failed = WIFEXITED(status) ? WEXITSTATUS(status) : 0xff;

	tap(failed != 0xff, "guest actions ran inside the test's namespace");
	if (failed == 0xff)
		return;
	tap(!(failed & GUEST_DNS), "guest resolved a name through 8.8.8.8");
	tap(!(failed & GUEST_HTTP), "guest got HTTP 200 from 203.0.113.5");
	tap(!(failed & GUEST_TLS), "guest sent a ClientHello to 198.51.100.7:443");
	tap(!(failed & GUEST_UDP), "guest sent a UDP datagram");
	tap(!(failed & GUEST_HOSTPORT), "127.0.0.1 at the host's port is refused in the guest");
	tap(!(failed & GUEST_LOCAL), "a service the guest starts on its loopback works");
	tap(!(failed & GUEST_V6), "guest connected to an IPv6 address");
}

static void check_host(const struct host_snapshot *before, int host_listener)
{
	struct host_snapshot after;

	host_snapshot_take(&after);
	tap(after.netns == before->netns, "test thread is back in the host namespace");
	tap(strcmp(after.routes, before->routes) == 0 &&
		    strcmp(after.routes6, before->routes6) == 0,
	    "host routes are unchanged");
	tap(strcmp(after.links, before->links) == 0, "host interfaces are unchanged");
	tap(accept4(host_listener, NULL, NULL, SOCK_CLOEXEC) < 0 && errno == EAGAIN,
	    "host listener saw no connection");
}

static int run(void)
{
	_cleanup_close_ int listener = -1, netns_fd = -1, quit = -1, own = -1;
	struct host_snapshot before;
	struct netsim *n = NULL;
	uint16_t host_port = 0;
	char path[64];
	pid_t holder, guest;
	uint64_t t0;
	int r, status;

	host_snapshot_take(&before);
	listener = host_listener_open(&host_port);
	holder = netns_holder_start(&quit);
	if (listener < 0 || holder < 0) {
		printf("Bail out! cannot set up listener or namespace holder\n");
		return 1;
	}

	snprintf(path, sizeof(path), "/proc/%d/ns/net", holder);
	netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (netns_fd < 0 || netns_inode_of(path) == before.netns) {
		printf("Bail out! the holder is not in a new network namespace\n");
		return 1;
	}

	t0 = now_ns();
	r = netsim_new(netns_fd, on_event, NULL, &n);
	printf("# netsim_new took %.2f ms\n", (double)(now_ns() - t0) / 1e6);
	tap(r == 0, "netsim_new sets up the guest namespace");
	own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	tap(netsim_new(own, on_event, NULL, &(struct netsim *){ NULL }) == -EINVAL,
	    "netsim_new refuses the caller's own namespace");
	if (r < 0) {
		printf("Bail out! no netsim\n");
		return 1;
	}

	guest = fork();
	if (guest == 0)
		_exit(guest_run(netns_fd, netns_inode_of(path), host_port));
	status = netsim_serve_until_exit(n, guest);

	check_guest(status);
	check_events();
	check_host(&before, listener);

	netsim_free(n);
	close(TAKE_FD(quit));
	waitpid(holder, NULL, 0);
	return 0;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root for network namespaces\n");
		return 77;
	}
	if (run() != 0)
		return 1;
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}
