/* SPDX-License-Identifier: MIT */
/*
 * The agent's response modules driven from the shell tests in tests/agent, plus the
 * TCP listener and client the isolation test needs in its namespaces. Not installed.
 */
#include "log.h"
#include "macros.h"
#include "parse.h"
#include "quarantine.h"
#include "respond.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define MAX_PIDS  64
#define MAX_PORTS 8

struct command {
	const char *name;
	int min_args;
	int (*run)(int argc, char **argv);
};

static int do_kill(int argc, char **argv)
{
	pid_t pids[MAX_PIDS];
	size_t n = 0;
	unsigned killed = 0;
	struct stat st = {};
	int r;

	if (strcmp(argv[0], "-") != 0 && stat(argv[0], &st) < 0)
		return 2;
	for (int i = 1; i < argc && n < MAX_PIDS; i++) {
		uint64_t v;

		if (parse_u64(argv[i], 0, INT32_MAX, &v) < 0)
			return 2;
		pids[n++] = v;
	}
	r = respond_kill(st.st_dev, st.st_ino, pids, n, &killed);
	printf("killed %u\n", killed);
	return r < 0 ? 1 : 0;
}

static int do_isolate(int argc, char **argv)
{
	return respond_isolate((const char *const *)argv, argc) < 0 ? 1 : 0;
}

static int do_lift(int argc, char **argv)
{
	return respond_isolate_lift() < 0 ? 1 : 0;
}

static int do_isolated(int argc, char **argv)
{
	int r = respond_isolated();

	if (r < 0)
		return 2;
	printf("%d\n", r);
	return 0;
}

static void found(void *userdata, const char *path)
{
	printf("%s\n", path);
}

static int do_scan(int argc, char **argv)
{
	unsigned n = 0;
	int r;

	r = respond_ioc_scan((const char *const *)argv + 1, argc - 1, argv[0], found, NULL, &n);
	printf("found %u\n", n);
	return r < 0 ? 1 : 0;
}

static int do_qadd(int argc, char **argv)
{
	struct qentry e;
	int r;

	r = quarantine_add(argv[0], argv[1], -1, argc > 2 && argv[2][0] ? argv[2] : NULL,
			   argc > 3 ? argv[3] : "Test.Threat", &e);
	if (r < 0)
		return 1;
	printf("%s\n", e.id);
	return 0;
}

/* Accept and close connections on the given ports (v4 and v6) until killed. */
static int do_listen(int argc, char **argv)
{
	struct pollfd pfd[MAX_PORTS];
	int n = 0;

	for (int i = 0; i < argc && n < MAX_PORTS; i++) {
		struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = in6addr_any};
		uint64_t port;
		int fd, no = 0, yes = 1;

		if (parse_u64(argv[i], 1, 65535, &port) < 0)
			return 2;
		a.sin6_port = htons(port);
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof(no)) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes)) < 0 ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0)
			return 1;
		pfd[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	for (;;) {
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			int c;

			if (!(pfd[i].revents & POLLIN))
				continue;
			c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				close(c);
		}
	}
}

/* Exit 0 when a TCP connection to ADDR PORT is made within a second and a half. */
static int do_connect(int argc, char **argv)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	_cleanup_close_ int fd = -1;
	struct pollfd p;
	socklen_t len;
	uint64_t port;
	int err = 0;

	if (parse_u64(argv[1], 1, 65535, &port) < 0)
		return 2;
	if (inet_pton(AF_INET, argv[0], &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, argv[0], &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	} else {
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 1;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return 1;
	p = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, 1500) != 1)
		return 1;
	len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
		return 1;
	return 0;
}

static const struct command commands[] = {
	{"kill", 1, do_kill},       /* OBJECT|- [PID...] */
	{"isolate", 0, do_isolate}, /* [ADDR...] */
	{"lift", 0, do_lift},       {"isolated", 0, do_isolated},
	{"scan", 2, do_scan},       /* SHA256 ROOT... */
	{"qadd", 2, do_qadd},       /* QDIR PATH [SHA256 [THREAT]] */
	{"listen", 1, do_listen},   /* PORT... */
	{"connect", 2, do_connect}, /* ADDR PORT */
};

int main(int argc, char **argv)
{
	log_set_level(LOG_INFO);
	log_set_ident("resp-helper");
	if (argc < 2)
		return 2;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			if (argc - 2 < commands[i].min_args)
				return 2;
			return commands[i].run(argc - 2, argv + 2);
		}
	return 2;
}
