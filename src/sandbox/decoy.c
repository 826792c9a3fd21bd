/* SPDX-License-Identifier: MIT */
#include "decoy.h"

#include "fileio.h"
#include "log.h"
#include "macros.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

const struct decoy_profile decoy_default_profile = {
	.user = "dmitchell",
	.full_name = "David Mitchell",
	.hostname = "dmitchell-t14",
};

/* Top-level entries of the image the guest sees through; everything else is whited out. */
static const char *const image_allowed[] = {
	"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc",
};

/* Secrets of the image's /etc that are hidden even when no decoy replaces them. */
static const char *const etc_hidden[] = {
	"etc/shadow-",      "etc/gshadow-",     "etc/passwd-",  "etc/group-",
	"etc/subuid",       "etc/subgid",       "etc/subuid-",  "etc/subgid-",
	"etc/ipsec.secrets", "etc/krb5.keytab", "etc/sandtrap", "etc/.pwd.lock",
	"etc/security/opasswd", "etc/ssh/ssh_host_dsa_key", "etc/ssh/ssh_host_dsa_key.pub",
};

enum decoy_kind { D_DIR, D_OPAQUE, D_FILE, D_LINK, D_KEY };
enum decoy_owner { OWN_ROOT, OWN_USER };

struct decoy_entry {
	enum decoy_kind kind;
	const char *path; /* relative to the layer; "~" stands for the user's home */
	mode_t mode;
	enum decoy_owner owner;
	unsigned age_days; /* how old the entry looks */
	const char *text;  /* file content or link target; %u user, %n full name, %h host */
};

#define DIR_(p, m, o, a)     { D_DIR, p, m, o, a, NULL }
#define OPAQUE(p, m, o, a)   { D_OPAQUE, p, m, o, a, NULL }
#define FILE_(p, m, o, a, t) { D_FILE, p, m, o, a, t }
#define LINK(p, t)           { D_LINK, p, 0777, OWN_ROOT, 400, t }
#define KEY(p, o, a, t)      { D_KEY, p, 0600, o, a, t }

static const struct decoy_entry entries[] = {
	/* Replaced top-level directories: opaque, so nothing of the image shows through. */
	OPAQUE("home", 0755, OWN_ROOT, 400),
	OPAQUE("root", 0700, OWN_ROOT, 300),
	OPAQUE("tmp", 01777, OWN_ROOT, 0),
	OPAQUE("var", 0755, OWN_ROOT, 400),
	OPAQUE("run", 0755, OWN_ROOT, 0),
	OPAQUE("srv", 0755, OWN_ROOT, 400),
	OPAQUE("opt", 0755, OWN_ROOT, 400),
	OPAQUE("mnt", 0755, OWN_ROOT, 400),
	OPAQUE("media", 0755, OWN_ROOT, 400),
	OPAQUE("boot", 0755, OWN_ROOT, 200),
	OPAQUE("proc", 0555, OWN_ROOT, 0),
	OPAQUE("sys", 0555, OWN_ROOT, 0),
	OPAQUE("dev", 0755, OWN_ROOT, 0),
	OPAQUE("etc/ssl/private", 0700, OWN_ROOT, 400),
	OPAQUE("etc/NetworkManager/system-connections", 0700, OWN_ROOT, 300),
	OPAQUE("etc/wireguard", 0700, OWN_ROOT, 300),

	/* /etc: identity and secrets, all fake. */
	FILE_("etc/hostname", 0644, OWN_ROOT, 400, "%h\n"),
	FILE_("etc/hosts", 0644, OWN_ROOT, 400,
	      "127.0.0.1\tlocalhost\n127.0.1.1\t%h\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
	FILE_("etc/resolv.conf", 0644, OWN_ROOT, 2,
	      "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n"),
	FILE_("etc/machine-id", 0444, OWN_ROOT, 400, "4f1c2a9d7be34e0c9a55d2f81e6b3c70\n"),
	FILE_("etc/passwd", 0644, OWN_ROOT, 120,
	      "root:x:0:0:root:/root:/bin/bash\n"
	      "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	      "bin:x:2:2:bin:/bin:/usr/sbin/nologin\nsys:x:3:3:sys:/dev:/usr/sbin/nologin\n"
	      "sync:x:4:65534:sync:/bin:/bin/sync\n"
	      "man:x:6:12:man:/var/cache/man:/usr/sbin/nologin\n"
	      "lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin\n"
	      "mail:x:8:8:mail:/var/mail:/usr/sbin/nologin\n"
	      "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
	      "backup:x:34:34:backup:/var/backups:/usr/sbin/nologin\n"
	      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	      "_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n"
	      "systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\n"
	      "messagebus:x:100:107::/nonexistent:/usr/sbin/nologin\n"
	      "sshd:x:101:65534::/run/sshd:/usr/sbin/nologin\n"
	      "%u:x:1000:1000:%n,,,:/home/%u:/bin/bash\n"),
	FILE_("etc/group", 0644, OWN_ROOT, 120,
	      "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:%u\ntty:x:5:\ndisk:x:6:\n"
	      "lp:x:7:\nmail:x:8:\nman:x:12:\nsudo:x:27:%u\naudio:x:29:%u\nwww-data:x:33:\n"
	      "backup:x:34:\nplugdev:x:46:%u\nstaff:x:50:\nusers:x:100:%u\ncrontab:x:101:\n"
	      "messagebus:x:107:\nsystemd-network:x:998:\nnogroup:x:65534:\n%u:x:1000:\n"),
	FILE_("etc/shadow", 0640, OWN_ROOT, 120,
	      "root:$y$j9T$Qm3kTz0vN1bR8cXw.yL2s/$7dJfO2pQy4HcVb9uWnE6aKzR1tGxS5mLhP3oYiU0e8C:"
	      "19872:0:99999:7:::\n"
	      "daemon:*:19700:0:99999:7:::\nbin:*:19700:0:99999:7:::\nsys:*:19700:0:99999:7:::\n"
	      "www-data:*:19700:0:99999:7:::\nnobody:*:19700:0:99999:7:::\n"
	      "sshd:!:19700::::::\n"
	      "%u:$y$j9T$Vd1eWq8sXo3rK5nB2mLc4/$Hk9sR2vT6pYw0aQz4NfC7uJm1LbX8eGdS3oIq5tZr6D:"
	      "20015:0:99999:7:::\n"),
	FILE_("etc/gshadow", 0640, OWN_ROOT, 120, "root:*::\nsudo:*::%u\n%u:!::\n"),
	KEY("etc/ssh/ssh_host_rsa_key", OWN_ROOT, 400, "OPENSSH"),
	KEY("etc/ssh/ssh_host_ecdsa_key", OWN_ROOT, 400, "OPENSSH"),
	KEY("etc/ssh/ssh_host_ed25519_key", OWN_ROOT, 400, "OPENSSH"),
	LINK("etc/mtab", "../proc/self/mounts"),

	/* /var: logs, spool and the user's crontab. */
	DIR_("var/tmp", 01777, OWN_ROOT, 30),
	DIR_("var/lib", 0755, OWN_ROOT, 400),
	DIR_("var/cache", 0755, OWN_ROOT, 400),
	DIR_("var/mail", 02775, OWN_ROOT, 400),
	DIR_("var/log", 0755, OWN_ROOT, 1),
	DIR_("var/spool/cron/crontabs", 01730, OWN_ROOT, 200),
	LINK("var/run", "/run"),
	LINK("var/lock", "/run/lock"),
	FILE_("var/log/auth.log", 0640, OWN_ROOT, 0,
	      "Dec  2 08:14:03 %h sshd[1184]: Accepted publickey for %u from 192.168.1.23 port "
	      "51544 ssh2: ED25519 SHA256:Zk3u0Jd2kq9Yb1Qm7wT4\n"
	      "Dec  2 08:14:03 %h sshd[1184]: pam_unix(sshd:session): session opened for user "
	      "%u(uid=1000) by (uid=0)\n"
	      "Dec  2 09:02:41 %h sudo:   %u : TTY=pts/0 ; PWD=/home/%u ; USER=root ; "
	      "COMMAND=/usr/bin/apt upgrade\n"),
	FILE_("var/log/syslog", 0640, OWN_ROOT, 0,
	      "Dec  3 07:58:10 %h systemd[1]: Starting Daily apt download activities...\n"
	      "Dec  3 07:58:12 %h systemd[1]: apt-daily.service: Deactivated successfully.\n"
	      "Dec  3 08:30:01 %h CRON[2291]: (%u) CMD (/home/%u/bin/backup-notes.sh)\n"),
	FILE_("var/spool/cron/crontabs/%u", 0600, OWN_USER, 45,
	      "# m h  dom mon dow   command\n"
	      "30 8 * * 1-5 /home/%u/bin/backup-notes.sh >/dev/null 2>&1\n"
	      "0 19 * * 5 tar czf /home/%u/Backups/documents.tgz /home/%u/Documents\n"),
	DIR_("run/lock", 01777, OWN_ROOT, 0),
	DIR_("run/user", 0755, OWN_ROOT, 0),

	/* root's home */
	FILE_("root/.bashrc", 0644, OWN_ROOT, 300, "# ~/.bashrc: executed by bash(1)\n"
	      "export PS1='\\h:\\w\\$ '\numask 022\n"),
	FILE_("root/.profile", 0644, OWN_ROOT, 300,
	      "if [ \"$BASH\" ] && [ -f ~/.bashrc ]; then . ~/.bashrc; fi\nmesg n 2>/dev/null || true\n"),
	FILE_("root/.bash_history", 0600, OWN_ROOT, 3,
	      "apt update\napt upgrade -y\nsystemctl status nginx\njournalctl -xe\nreboot\n"),

	/* The user's home: what stealers and ransomware look for. */
	DIR_("home/%u", 0750, OWN_USER, 400),
	FILE_("~/.bashrc", 0644, OWN_USER, 380,
	      "# ~/.bashrc\ncase $- in *i*) ;; *) return;; esac\nHISTSIZE=5000\n"
	      "alias ll='ls -alF'\nexport PATH=\"$HOME/bin:$PATH\"\n"),
	FILE_("~/.profile", 0644, OWN_USER, 380,
	      "if [ -n \"$BASH_VERSION\" ] && [ -f \"$HOME/.bashrc\" ]; then . \"$HOME/.bashrc\"; fi\n"),
	FILE_("~/.bash_history", 0600, OWN_USER, 0,
	      "git pull --rebase\nmake -j8\nssh deploy@10.20.0.15\nssh -i ~/.ssh/id_ed25519 "
	      "admin@db01.corp.lan\nscp report.pdf %u@files.corp.lan:/srv/share/\n"
	      "docker compose up -d\nkubectl get pods -n payments\naws s3 ls s3://corp-backups/\n"
	      "vim ~/.ssh/config\npython3 -m venv .venv\nsudo systemctl restart nginx\n"),
	FILE_("~/.gitconfig", 0644, OWN_USER, 200,
	      "[user]\n\tname = %n\n\temail = %u@corp-mail.net\n[pull]\n\trebase = true\n"),
	DIR_("~/.ssh", 0700, OWN_USER, 380),
	KEY("~/.ssh/id_ed25519", OWN_USER, 380, "OPENSSH"),
	FILE_("~/.ssh/id_ed25519.pub", 0644, OWN_USER, 380,
	      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq2wQm8Xf3kLp0Zr7TnV1cBs9yUe4aJdGh6oKiW5tRx "
	      "%u@%h\n"),
	KEY("~/.ssh/id_rsa", OWN_USER, 900, "RSA"),
	FILE_("~/.ssh/known_hosts", 0644, OWN_USER, 10,
	      "|1|kQ2m0bX7yTn4cVj8pLs1eR3wZ5o=|d9Fh2uKq7Xb0mNc4Ry6Tz1Wv8Ps= ssh-ed25519 "
	      "AAAAC3NzaC1lZDI1NTE5AAAAIM0xk3Lb9Zr2Qv7Ty5Wn1Hc8Dj4Fg6Ks0Pm2Ru9Xe3Ao\n"),
	FILE_("~/.ssh/config", 0600, OWN_USER, 60,
	      "Host db01\n\tHostName db01.corp.lan\n\tUser admin\n\tIdentityFile ~/.ssh/id_ed25519\n"
	      "Host deploy\n\tHostName 10.20.0.15\n\tUser deploy\n"),
	FILE_("~/.ssh/authorized_keys", 0600, OWN_USER, 300,
	      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7dLq0mW3zXv9Rk2Ty6Pn1Hs8Jc4Fg5Ua0Ei7Qo2Zx "
	      "%u@laptop\n"),
	DIR_("~/.aws", 0700, OWN_USER, 200),
	FILE_("~/.aws/credentials", 0600, OWN_USER, 200,
	      "[default]\naws_access_key_id = AKIA4QXRZ7M2HJ5TLW3E\n"
	      "aws_secret_access_key = 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\nregion = eu-west-1\n"),
	FILE_("~/.docker/config.json", 0600, OWN_USER, 150,
	      "{\n\t\"auths\": {\n\t\t\"registry.corp.lan\": {\n\t\t\t\"auth\": "
	      "\"ZG1pdGNoZWxsOlN1bW1lcjIwMjYh\"\n\t\t}\n\t}\n}\n"),
	FILE_("~/.kube/config", 0600, OWN_USER, 90,
	      "apiVersion: v1\nclusters:\n- cluster:\n    server: https://k8s.corp.lan:6443\n"
	      "  name: prod\nusers:\n- name: %u\n  user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6\n"),
	FILE_("~/.config/google-chrome/Local State", 0600, OWN_USER, 2,
	      "{\"os_crypt\":{\"encrypted_key\":\"RFBBUEkBAAAA0Iyd3wEV0RGMegDAT8KX6wEAAAA=\"}}\n"),
	FILE_("~/.config/google-chrome/Default/Login Data", 0600, OWN_USER, 2,
	      "SQLite format 3"),
	FILE_("~/.config/google-chrome/Default/Cookies", 0600, OWN_USER, 0, "SQLite format 3"),
	FILE_("~/.config/google-chrome/Default/History", 0600, OWN_USER, 0, "SQLite format 3"),
	FILE_("~/.mozilla/firefox/profiles.ini", 0644, OWN_USER, 300,
	      "[Profile0]\nName=default-release\nIsRelative=1\nPath=k3x9d2qa.default-release\n"
	      "Default=1\n"),
	FILE_("~/.mozilla/firefox/k3x9d2qa.default-release/logins.json", 0600, OWN_USER, 5,
	      "{\"nextId\":3,\"logins\":[{\"id\":1,\"hostname\":\"https://mail.corp-mail.net\","
	      "\"encryptedUsername\":\"MDIEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECA==\","
	      "\"encryptedPassword\":\"MEIEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECBk=\"}]}\n"),
	FILE_("~/.mozilla/firefox/k3x9d2qa.default-release/key4.db", 0600, OWN_USER, 5,
	      "SQLite format 3"),
	FILE_("~/.mozilla/firefox/k3x9d2qa.default-release/cookies.sqlite", 0600, OWN_USER, 0,
	      "SQLite format 3"),
	FILE_("~/.local/share/keyrings/login.keyring", 0600, OWN_USER, 200, "GnomeKeyring\n"),
	FILE_("~/.bitcoin/wallet.dat", 0600, OWN_USER, 500, "\x62\x31\x05\x00"),
	FILE_("~/Documents/notes.md", 0644, OWN_USER, 3,
	      "# Notes\n- renew TLS cert for files.corp.lan before the 15th\n"
	      "- ask IT about the VPN token\n- Q4 budget review on Thursday\n"),
	FILE_("~/Documents/passwords.txt", 0600, OWN_USER, 40,
	      "router admin / Tr0ub4dor&3\nwifi home / correct-horse-battery\n"
	      "old jira / Winter2025!\n"),
	FILE_("~/Documents/budget-2026.xlsx", 0644, OWN_USER, 20, "PK\x03\x04"),
	FILE_("~/Documents/contract-draft.docx", 0644, OWN_USER, 12, "PK\x03\x04"),
	FILE_("~/Documents/invoice-1042.pdf", 0644, OWN_USER, 8, "%PDF-1.7\n"),
	FILE_("~/Pictures/IMG_2041.jpg", 0644, OWN_USER, 100, "\xff\xd8\xff\xe0"),
	FILE_("~/Pictures/IMG_2042.jpg", 0644, OWN_USER, 100, "\xff\xd8\xff\xe0"),
	DIR_("~/Downloads", 0755, OWN_USER, 1),
	DIR_("~/Desktop", 0755, OWN_USER, 300),
	DIR_("~/Backups", 0755, OWN_USER, 60),
	FILE_("~/bin/backup-notes.sh", 0755, OWN_USER, 45,
	      "#!/bin/sh\ncp -a \"$HOME/Documents/notes.md\" \"$HOME/Backups/notes-$(date +%%F).md\"\n"),
	FILE_("~/projects/payments-api/README.md", 0644, OWN_USER, 6,
	      "# payments-api\n\nInternal service. Run `make dev` to start.\n"),
	FILE_("~/projects/payments-api/.env", 0600, OWN_USER, 6,
	      "DATABASE_URL=postgres://payments:Pa55w0rd@db01.corp.lan/payments\n"
	      "STRIPE_KEY=sk_live_51Hx9QkLmN3bV7cT2wR8yZ4pD6fJ0gS\n"),
};

struct decoy_ctx {
	int layer_fd;
	const struct decoy_profile *p;
	uint32_t uid_base;
	time_t now;
};

/* Expand %u, %n and %h; the result is bounded by outsz. */
static int decoy_expand(const struct decoy_ctx *c, const char *in, char *out, size_t outsz)
{
	size_t o = 0;

	for (const char *s = in; *s; s++) {
		const char *add = NULL;
		char one[2] = { *s, '\0' };

		if (*s == '%' && s[1]) {
			s++;
			add = *s == 'u' ? c->p->user :
			      *s == 'n' ? c->p->full_name :
			      *s == 'h' ? c->p->hostname :
					  (one[0] = *s, one);
		} else if (*s == '~' && s == in) {
			o += snprintf(out + o, outsz - o, "home/%s", c->p->user);
			if (o >= outsz)
				return -ENAMETOOLONG;
			continue;
		} else {
			add = one;
		}
		o += snprintf(out + o, outsz - o, "%s", add);
		if (o >= outsz)
			return -ENAMETOOLONG;
	}
	return (int)o;
}

/* A key file in the OpenSSH or PEM armour, with random body: looks real, is nothing. */
static int decoy_key_text(const char *kind, char *out, size_t outsz)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char rnd[420];
	bool rsa = strcmp(kind, "RSA") == 0;
	size_t o;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	o = snprintf(out, outsz, "-----BEGIN %s PRIVATE KEY-----\n%s", rsa ? "RSA" : "OPENSSH",
		     rsa ? "MIIEpAIBAAKCAQEA" : "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB");
	for (size_t i = 0; i < sizeof(rnd) && o + 3 < outsz; i++) {
		out[o++] = b64[rnd[i] & 63];
		if (i % 70 == 69)
			out[o++] = '\n';
	}
	o += snprintf(out + o, outsz - o, "\n-----END %s PRIVATE KEY-----\n",
		      rsa ? "RSA" : "OPENSSH");
	return o < outsz ? (int)o : -ENOBUFS;
}

static int decoy_set_meta(const struct decoy_ctx *c, const char *path, const struct decoy_entry *e)
{
	uid_t id = c->uid_base + (e->owner == OWN_USER ? 1000 : 0);
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = c->now - (time_t)e->age_days * 86400 - (e->age_days * 7919) % 86400;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;

	if (fchownat(c->layer_fd, path, id, id, AT_SYMLINK_NOFOLLOW) < 0)
		return neg_errno();
	if (e->kind != D_LINK && fchmodat(c->layer_fd, path, e->mode, 0) < 0)
		return neg_errno();
	if (utimensat(c->layer_fd, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return neg_errno();
	return 0;
}

static int decoy_make_parents(const struct decoy_ctx *c, const char *path)
{
	char dir[512];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	return mkdir_p_at(c->layer_fd, dir, 0755);
}

static int decoy_make_dir(const struct decoy_ctx *c, const char *path, bool opaque)
{
	char proc[64];
	int r;

	r = mkdir_p_at(c->layer_fd, path, 0755);
	if (r < 0 || !opaque)
		return r;

	/* Opaque: overlayfs shows none of the lower layers' entries below this directory. */
	_cleanup_close_ int fd = openat(c->layer_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (setxattr(proc, "trusted.overlay.opaque", "y", 1, 0) < 0)
		return neg_errno();
	return 0;
}

static int decoy_make_entry(const struct decoy_ctx *c, const struct decoy_entry *e)
{
	char path[512], text[4096];
	int r, n = 0;

	r = decoy_expand(c, e->path, path, sizeof(path));
	if (r < 0)
		return r;
	if (e->kind == D_FILE || e->kind == D_LINK)
		n = decoy_expand(c, e->text, text, sizeof(text));
	else if (e->kind == D_KEY)
		n = decoy_key_text(e->text, text, sizeof(text));
	if (n < 0)
		return n;

	r = decoy_make_parents(c, path);
	if (r < 0)
		return r;

	switch (e->kind) {
	case D_DIR:
	case D_OPAQUE:
		r = decoy_make_dir(c, path, e->kind == D_OPAQUE);
		break;
	case D_LINK:
		r = symlinkat(text, c->layer_fd, path) < 0 ? neg_errno() : 0;
		break;
	default:
		r = file_create_at(c->layer_fd, path, text, n, e->mode);
		break;
	}
	if (r < 0)
		return log_errno(r, "decoy: cannot create '%s'", path);
	return decoy_set_meta(c, path, e);
}

/* A whiteout (a 0:0 character device) hides the lower layers' entry of that name. */
static int decoy_whiteout(const struct decoy_ctx *c, const char *path)
{
	int r = decoy_make_parents(c, path);

	if (r < 0)
		return r;
	if (mknodat(c->layer_fd, path, S_IFCHR | 0000, makedev(0, 0)) < 0 && errno != EEXIST)
		return log_errno(neg_errno(), "decoy: cannot hide '%s'", path);
	return 0;
}

/* True for home/<user> itself, seen from the directory "home". */
static bool dirfd_is_home(const struct decoy_ctx *c, const char *name, int dir_fd)
{
	struct stat home, here;

	if (strcmp(name, c->p->user) != 0)
		return false;
	if (fstatat(c->layer_fd, "home", &home, 0) < 0 || fstat(dir_fd, &here) < 0)
		return false;
	return home.st_ino == here.st_ino && home.st_dev == here.st_dev;
}

static bool decoy_top_allowed(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(image_allowed); i++)
		if (strcmp(name, image_allowed[i]) == 0)
			return true;
	return false;
}

static bool decoy_has_entry(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(entries); i++)
		if (strcmp(entries[i].path, name) == 0)
			return true;
	return false;
}

static int decoy_hide_image(const struct decoy_ctx *c, int image_fd)
{
	_cleanup_close_ int fd = dup(image_fd);
	DIR *d;
	int r = 0;

	if (fd < 0)
		return neg_errno();
	d = fdopendir(fd);
	if (!d)
		return neg_errno();
	fd = -1;

	for (struct dirent *de; r == 0 && (de = readdir(d));) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (decoy_top_allowed(de->d_name) || decoy_has_entry(de->d_name))
			continue;
		r = decoy_whiteout(c, de->d_name);
	}
	closedir(d);
	return r;
}

/*
 * Directories made on the way (home/<user>/.config, ...) still belong to the host's root;
 * give them to the guest's root, or to the user below the user's home.
 */
static int decoy_chown_made(const struct decoy_ctx *c, int dir_fd, bool user)
{
	_cleanup_close_ int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uid_t id_root = c->uid_base, id_user = c->uid_base + 1000;
	DIR *d;
	int r = 0;

	if (fd < 0)
		return neg_errno();
	d = fdopendir(fd);
	if (!d)
		return neg_errno();
	fd = -1;

	for (struct dirent *de; r == 0 && (de = readdir(d));) {
		struct stat st;
		bool below_user = user || dirfd_is_home(c, de->d_name, dir_fd);

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return neg_errno();
		if (st.st_uid == 0 && fchownat(dirfd(d), de->d_name, below_user ? id_user : id_root,
					       below_user ? id_user : id_root, AT_SYMLINK_NOFOLLOW) < 0)
			r = neg_errno();
		if (r == 0 && S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(dirfd(d), de->d_name,
							 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			r = sub < 0 ? neg_errno() : decoy_chown_made(c, sub, below_user);
		}
	}
	closedir(d);
	return r;
}

int decoy_build(int layer_fd, int image_fd, const struct decoy_profile *p, uint32_t uid_base)
{
	struct decoy_ctx c = { .layer_fd = layer_fd, .p = p, .uid_base = uid_base };
	int r;

	c.now = time(NULL);
	r = decoy_hide_image(&c, image_fd);
	if (r < 0)
		return r;

	for (size_t i = 0; i < ARRAY_SIZE(etc_hidden); i++) {
		struct stat st;

		if (fstatat(image_fd, etc_hidden[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		r = decoy_whiteout(&c, etc_hidden[i]);
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < ARRAY_SIZE(entries); i++) {
		r = decoy_make_entry(&c, &entries[i]);
		if (r < 0)
			return r;
	}
	return decoy_chown_made(&c, layer_fd, false);
}
