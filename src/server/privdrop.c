/* SPDX-License-Identifier: MIT */
#include "privdrop.h"

#include "log.h"
#include "macros.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SERVICE_USER "sandtrap"

/* useradd with fixed arguments: no shell, no input from the network. */
static int privdrop_user_create(void)
{
	char *const argv[] = {"useradd",           "--system",     "--no-create-home",
			      "--home-dir",        "/nonexistent", "--shell",
			      "/usr/sbin/nologin", SERVICE_USER,   NULL};
	char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return neg_errno();
	if (pid == 0) {
		execve("/usr/sbin/useradd", argv, envp);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	log_info("privdrop: created the system user '%s'", SERVICE_USER);
	return 0;
}

int privdrop_user_resolve(const char *name, uid_t *ret_uid, gid_t *ret_gid)
{
	struct passwd *pw = getpwnam(name);

	if (!pw && strcmp(name, SERVICE_USER) == 0 && privdrop_user_create() == 0)
		pw = getpwnam(name);
	if (!pw) {
		log_warn("privdrop: no user '%s'; falling back to nobody", name);
		pw = getpwnam("nobody");
	}
	if (!pw || pw->pw_uid == 0)
		return log_errno(-ESRCH, "privdrop: no unprivileged user to run as");
	*ret_uid = pw->pw_uid;
	*ret_gid = pw->pw_gid;
	return 0;
}

int privdrop_data_dir(const char *dir, uid_t uid, gid_t gid)
{
	static const char *const owned[] = {
		".",   "sandtrap.db", "sandtrap.db-wal", "sandtrap.db-shm", "objects", "reports",
		"tmp", "lock"};
	_cleanup_close_ int fd = -1;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_errno(neg_errno(), "privdrop: cannot create '%s'", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return log_errno(neg_errno(), "privdrop: cannot open '%s'", dir);
	if (fchmod(fd, 0700) < 0)
		return log_errno(neg_errno(), "privdrop: cannot chmod '%s'", dir);
	for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
		if (fchownat(fd, owned[i], uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			return log_errno(neg_errno(), "privdrop: cannot chown '%s/%s'", dir,
					 owned[i]);
	return 0;
}

int privdrop_drop(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return log_errno(neg_errno(), "privdrop: cannot become uid %u", (unsigned)uid);
	if (setuid(0) == 0 || seteuid(0) == 0)
		return log_errno(-EPERM, "privdrop: root could be regained");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return log_errno(neg_errno(), "privdrop: cannot set no_new_privs");
	return 0;
}
