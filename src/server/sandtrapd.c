/* SPDX-License-Identifier: MIT */
/*
 * sandtrapd: starts as root, loads the rules, binds the listening socket, then splits.
 * The child drops to an unprivileged user, owns the store and serves HTTP; the parent
 * keeps root and only runs detonation jobs the child sends over a socketpair.
 */
#include "config.h"
#include "detonator.h"
#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "privdrop.h"
#include "ruleset.h"
#include "server.h"
#include "tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PEM_MAX         (1u << 20)
#define LOCK_WAIT_TRIES 100

struct daemon_state {
	struct server_config cfg;
	struct ruleset *rules;
	char rules_installed[1100]; /* DATA/rules, made by `sandtrap rules install` */
	char rules_configured[1100];
	char *tls_cert, *tls_key;
	int listen_fd;
	uid_t uid;
	gid_t gid;
};

static int daemon_listen(const struct server_config *cfg, int *ret_fd)
{
	char host[64];
	unsigned port;
	bool loopback;
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int one = 1, fd;

	if (config_listen_parse(cfg->listen, host, sizeof(host), &port, &loopback) < 0) {
		log_error("sandtrapd: --listen takes IPv4:PORT or [IPv6]:PORT, not '%s'",
			  cfg->listen);
		return -EINVAL;
	}
	if (!loopback && (!cfg->tls_cert[0] || !cfg->tls_key[0]) && !cfg->tls_self_signed) {
		log_error("sandtrapd: refusing plain HTTP on %s, which is not a loopback address: "
			  "give --tls-cert and --tls-key",
			  host);
		return -EPERM;
	}
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &a->sin6_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, host, &a->sin_addr);
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_errno(neg_errno(), "sandtrapd: socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, SOMAXCONN) < 0) {
		int r = log_errno(neg_errno(), "sandtrapd: cannot listen on %s", cfg->listen);

		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* Rules installed into the data directory win over the configured ones, now and on SIGHUP. */
static void daemon_rules_dir(struct daemon_state *d)
{
	snprintf(d->rules_installed, sizeof(d->rules_installed), "%s/" STORE_RULES_DIR,
		 d->cfg.data_dir);
	snprintf(d->rules_configured, sizeof(d->rules_configured), "%s",
		 d->cfg.rules_dir[0] ? d->cfg.rules_dir : ruleset_default_dir());
}

static int daemon_load(struct daemon_state *d)
{
	struct config_rules_dir held;
	const char *dir;
	char err[512] = "";
	size_t len;
	int r;

	daemon_rules_dir(d);
	if (d->cfg.tls_self_signed && !d->cfg.tls_cert[0]) {
		char tls_dir[1100];

		snprintf(tls_dir, sizeof(tls_dir), "%s/tls", d->cfg.data_dir);
		if (tls_self_signed(tls_dir, d->cfg.node_name, d->cfg.tls_cert, d->cfg.tls_key,
				    sizeof(d->cfg.tls_cert)) < 0)
			return -EIO;
	}
	if (d->cfg.tls_cert[0] &&
	    (file_read_all(d->cfg.tls_cert, PEM_MAX, &d->tls_cert, &len) < 0 ||
	     file_read_all(d->cfg.tls_key, PEM_MAX, &d->tls_key, &len) < 0))
		return log_errno(-EIO, "sandtrapd: cannot read '%s' or '%s'", d->cfg.tls_cert,
				 d->cfg.tls_key);
	dir = config_rules_pick(d->rules_installed, d->rules_configured, &held);
	r = ruleset_load(dir, NULL, &d->rules, err, sizeof(err));
	config_rules_done(&held);
	if (r < 0)
		return log_errno(r, "sandtrapd: cannot load the rules in '%s': %s", dir, err);
	return 0;
}

/* Only one HTTP process owns a data directory; a predecessor killed -9 may linger briefly. */
static int http_lock(const char *dir)
{
	char path[1100];
	int fd;

	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == EACCES)
		return log_errno(-EACCES, "sandtrapd: cannot open '%s' as uid %u: every directory "
				 "above the data directory must be searchable by that user",
				 path, (unsigned)getuid());
	if (fd < 0)
		return log_errno(neg_errno(), "sandtrapd: cannot open '%s'", path);
	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (i == LOCK_WAIT_TRIES) {
			close(fd);
			return log_errno(-EBUSY, "sandtrapd: '%s' is in use by another server",
					 dir);
		}
		usleep(100000);
	}
	return fd;
}

/*
 * The kernel clears the parent-death signal when the credentials change, so it is set
 * again after root is dropped: a kill -9 of the privileged process then ends this one at
 * once, and with it the listening socket (a restart finds the port free).
 */
static int http_die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return log_errno(neg_errno(), "sandtrapd: cannot set the parent-death signal");
	if (getppid() != parent)
		return log_errno(-ECHILD, "sandtrapd: the privileged process %d has gone",
				 (int)parent);
	return 0;
}

static int http_main(struct daemon_state *d, int sock, int sigfd, pid_t parent)
{
	struct server srv = {.cfg = &d->cfg,
			     .sock = sock,
			     .listen_fd = d->listen_fd,
			     .tls_cert_pem = d->tls_cert,
			     .tls_key_pem = d->tls_key,
			     .rules_installed = d->rules_installed,
			     .rules_configured = d->rules_configured,
			     .started = time(NULL)};
	struct http *http = NULL;
	_cleanup_close_ int lock_fd = -1;
	unsigned requeued = 0;
	int r;

	pthread_mutex_init(&srv.lock, NULL);
	pthread_mutex_init(&srv.push_lock, NULL);
	pthread_cond_init(&srv.push_cond, NULL);
	snprintf(srv.rules_version, sizeof(srv.rules_version), "%s", d->rules->version);
	/* The detonator's copy: this process loads rules only to re-score (rescorer.c). */
	ruleset_free(d->rules);
	d->rules = NULL;
	malloc_trim(0);
	r = privdrop_drop(d->uid, d->gid);
	if (r < 0)
		return r;
	r = http_die_with_parent(parent);
	if (r < 0)
		return r;
	lock_fd = http_lock(d->cfg.data_dir);
	if (lock_fd < 0)
		return lock_fd;
	r = store_open(d->cfg.data_dir, &srv.store);
	if (r < 0)
		return r;
	server_agents_init(&srv);
	r = server_rescorer_start(&srv);
	if (r < 0) {
		store_close(srv.store);
		return r;
	}
	/* Verdicts made with other rules (an install while stopped) are re-scored meanwhile. */
	server_rescorer_request(&srv, false);
	store_submission_requeue(srv.store, &requeued);
	if (requeued)
		log_info("sandtrapd: %u submissions left running are queued again", requeued);
	srv.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r = srv.wake_fd < 0 ? neg_errno() : http_start(&srv, &http);
	if (r >= 0) {
		log_info("sandtrapd: serving %s%s as uid %u with %u slots, rules %s",
			 d->tls_cert ? "https://" : "http://", d->cfg.listen, (unsigned)getuid(),
			 d->cfg.slots, srv.rules_version);
		r = sched_run(&srv, sigfd);
	}
	server_rules_push_cancel(&srv);
	http_stop(http);
	server_rescorer_stop(&srv);
	store_close(srv.store);
	return r;
}

/*
 * Every connection is a descriptor, and the store, uploads and the detonator's jobs need
 * some more: raise the soft limit (the usual default is 1,024), and the hard one where
 * that is allowed, rather than have clients wait in the listen queue.
 */
static void daemon_files_limit(const struct server_config *cfg)
{
	rlim_t want = (rlim_t)cfg->max_connections + 256;
	struct rlimit rl, up;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	up = (struct rlimit){.rlim_cur = want, .rlim_max = MAX(rl.rlim_max, want)};
	if (setrlimit(RLIMIT_NOFILE, &up) == 0)
		return;
	up = (struct rlimit){.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
	if (rl.rlim_max > rl.rlim_cur)
		setrlimit(RLIMIT_NOFILE, &up);
	log_warn("sandtrapd: the open-file limit is %llu, under the %llu that max-connections "
		 "needs: raise it (LimitNOFILE=, ulimit -n)",
		 (unsigned long long)up.rlim_cur, (unsigned long long)want);
}

/* DATA/sandtrapd.pid names the process that `sandtrap rules install` sends SIGHUP to. */
static void daemon_pidfile(const struct daemon_state *d, bool create)
{
	char path[1100], buf[32];
	int n;

	snprintf(path, sizeof(path), "%s/" STORE_PID_FILE, d->cfg.data_dir);
	if (!create) {
		unlink(path);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (file_create_at(AT_FDCWD, path, buf, (size_t)n, 0644) < 0)
		log_warn("sandtrapd: cannot write '%s': rules install cannot signal", path);
}

static int daemon_split(struct daemon_state *d, int sigfd)
{
	struct detonator_config dc;
	int sp[2], r;
	pid_t parent = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return log_errno(neg_errno(), "sandtrapd: socketpair");
	pid = fork();
	if (pid < 0)
		return log_errno(neg_errno(), "sandtrapd: fork");
	if (pid == 0) {
		close(sp[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		log_set_ident("sandtrapd[http]");
		/* exit(), not _exit(): leak checkers see the process that parses input. */
		exit(http_main(d, sp[1], sigfd, parent) < 0 ? 1 : 0);
	}
	close(sp[1]);
	close(d->listen_fd);
	if (d->tls_key)
		explicit_bzero(d->tls_key, strlen(d->tls_key));
	daemon_pidfile(d, true);
	dc = (struct detonator_config){
		.sock = sp[0],
		.http_pid = pid,
		.slots = d->cfg.slots,
		.rules = d->rules,
		.rules_installed = d->rules_installed,
		.rules_configured = d->rules_configured,
		.image_dir = d->cfg.image_dir[0] ? d->cfg.image_dir : NULL,
	};
	r = detonator_run(&dc);
	d->rules = dc.rules; /* a SIGHUP may have replaced them */
	daemon_pidfile(d, false);
	return r;
}

static int daemon_signals(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return neg_errno();
	sigdelset(&set, SIGCHLD);
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? neg_errno() : fd;
}

int main(int argc, char **argv)
{
	struct daemon_state d = {.listen_fd = -1};
	int r, sigfd;

	log_set_ident("sandtrapd");
	r = config_parse(argc, argv, &d.cfg);
	if (r != 0)
		return r > 0 ? 0 : 2;
	log_set_level(d.cfg.verbose ? LOG_DEBUG : LOG_INFO);
	if (geteuid() != 0) {
		log_error("sandtrapd: must start as root (detonation needs namespaces, cgroups "
			  "and eBPF); the HTTP process drops root itself");
		return 1;
	}
	umask(0077);
	daemon_files_limit(&d.cfg);
	if (daemon_listen(&d.cfg, &d.listen_fd) < 0 ||
	    privdrop_user_resolve(d.cfg.user, &d.uid, &d.gid) < 0 ||
	    privdrop_data_dir(d.cfg.data_dir, d.uid, d.gid) < 0 || daemon_load(&d) < 0)
		return 1;
	if (!d.cfg.foreground && daemon(0, 1) < 0)
		return log_errno(neg_errno(), "sandtrapd: cannot detach"), 1;
	sigfd = daemon_signals();
	if (sigfd < 0)
		return log_errno(sigfd, "sandtrapd: signals"), 1;
	r = daemon_split(&d, sigfd);
	ruleset_free(d.rules);
	free(d.tls_cert);
	free(d.tls_key);
	return r < 0 ? 1 : 0;
}
