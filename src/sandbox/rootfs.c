/* SPDX-License-Identifier: MIT */
#include "rootfs.h"

#include "fileio.h"
#include "log.h"
#include "macros.h"

#include <fcntl.h>
#include <inttypes.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define RUN_DIR ROOTFS_RUN_DIR

/* Device nodes the guest gets, bound from the host's /dev: nothing that reaches hardware. */
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

static const struct {
	const char *target;
	const char *link;
} dev_links[] = {
	{ "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" },
	{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	{ "pts/ptmx", "ptmx" },        { "/proc/kcore", "core" },
};

static int rootfs_mount_run_tmpfs(uint64_t size, uint32_t uid_base)
{
	char opts[128];

	/* Search-only for others: the guest's init must walk through to its root. */
	if (mkdir_p_at(AT_FDCWD, RUN_DIR, 0711) < 0 || chmod("/run/sandtrap", 0711) < 0 ||
	    chmod(RUN_DIR, 0711) < 0)
		return log_errno(neg_errno(), "rootfs: cannot create '%s'", RUN_DIR);

	snprintf(opts, sizeof(opts), "size=%" PRIu64 ",nr_inodes=65536,mode=0755", size);
	if (mount("sandtrap", RUN_DIR, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return log_errno(neg_errno(), "rootfs: cannot mount the run tmpfs on '%s'", RUN_DIR);

	static const char *const dirs[] = { "decoy", "lower", "upper", "work", "shm", "root" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char path[256];

		snprintf(path, sizeof(path), RUN_DIR "/%s", dirs[i]);
		if (mkdir(path, 0755) < 0)
			return log_errno(neg_errno(), "rootfs: cannot create '%s'", path);
	}
	/* The writable layer's root is the guest's "/", owned by its root. */
	if (chown(RUN_DIR "/upper", uid_base, uid_base) < 0 ||
	    chown(RUN_DIR "/shm", uid_base, uid_base) < 0 || chmod(RUN_DIR "/shm", 01777) < 0)
		return log_errno(neg_errno(), "rootfs: cannot set owners in '%s'", RUN_DIR);
	return 0;
}

/*
 * Mount the image read-only and id-mapped below the decoy layer: host uid N shows as
 * uid_base + N to the overlay, which the guest's user namespace maps back to N.
 */
static int rootfs_mount_image(const char *image, int userns_fd)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV |
			    MOUNT_ATTR_NOSUID,
		.userns_fd = userns_fd,
	};
	_cleanup_close_ int fd = -1;

	fd = open_tree(AT_FDCWD, image, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return log_errno(neg_errno(), "rootfs: cannot clone the image mount '%s'", image);
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return log_errno(neg_errno(), "rootfs: cannot id-map the image '%s'", image);
	if (move_mount(fd, "", AT_FDCWD, RUN_DIR "/lower", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return log_errno(neg_errno(), "rootfs: cannot attach the image '%s'", image);
	return 0;
}

static int rootfs_mount_overlay(void)
{
	static const char opts[] = "lowerdir=" RUN_DIR "/decoy:" RUN_DIR "/lower,"
				   "upperdir=" RUN_DIR "/upper,workdir=" RUN_DIR "/work,"
				   "index=off,metacopy=off,redirect_dir=off,xino=off";

	if (mount("overlay", ROOTFS_ROOT_DIR, "overlay", MS_NODEV, opts) < 0)
		return log_errno(neg_errno(), "rootfs: cannot mount the overlay on '%s'",
				 ROOTFS_ROOT_DIR);
	return 0;
}

static int rootfs_bind_dev_node(int devfd, const char *name)
{
	char src[64], dst[128];
	_cleanup_close_ int fd = -1;

	fd = openat(devfd, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		return neg_errno();
	snprintf(src, sizeof(src), "/dev/%s", name);
	snprintf(dst, sizeof(dst), ROOTFS_ROOT_DIR "/dev/%s", name);
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return neg_errno();
	return 0;
}

static int rootfs_populate_dev(uint32_t uid_base)
{
	_cleanup_close_ int devfd = -1;
	int r;

	if (mount("tmpfs", ROOTFS_ROOT_DIR "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		  "size=64k,nr_inodes=64,mode=0755") < 0)
		return log_errno(neg_errno(), "rootfs: cannot mount the guest's /dev");
	devfd = open(ROOTFS_ROOT_DIR "/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (devfd < 0 || fchownat(devfd, "", uid_base, uid_base, AT_EMPTY_PATH) < 0)
		return log_errno(neg_errno(), "rootfs: cannot open the guest's /dev");

	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		r = rootfs_bind_dev_node(devfd, dev_nodes[i]);
		if (r < 0)
			return log_errno(r, "rootfs: cannot provide /dev/%s", dev_nodes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i].target, devfd, dev_links[i].link) < 0)
			return log_errno(neg_errno(), "rootfs: cannot link /dev/%s",
					 dev_links[i].link);

	static const char *const dirs[] = { "pts", "shm", "mqueue" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (mkdirat(devfd, dirs[i], 0755) < 0 ||
		    fchownat(devfd, dirs[i], uid_base, uid_base, 0) < 0)
			return log_errno(neg_errno(), "rootfs: cannot create /dev/%s", dirs[i]);

	if (mount(RUN_DIR "/shm", ROOTFS_ROOT_DIR "/dev/shm", NULL, MS_BIND, NULL) < 0)
		return log_errno(neg_errno(), "rootfs: cannot bind the guest's /dev/shm");
	return 0;
}

/* The sample goes into the decoy layer: it is the guest's file, not a change the guest made. */
static int rootfs_place_sample(const struct rootfs_config *cfg, int decoy_fd)
{
	_cleanup_close_ int out = -1;
	const char *rel = cfg->sample_path + 1;
	char dir[512];
	int r;

	snprintf(dir, sizeof(dir), "%s", rel);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		uid_t owner = cfg->uid_base + cfg->sample_uid;

		r = mkdir_p_at(decoy_fd, dir, 0755);
		if (r == 0 && fchownat(decoy_fd, dir, owner, owner, AT_SYMLINK_NOFOLLOW) < 0)
			r = neg_errno();
		if (r < 0)
			return log_errno(r, "rootfs: cannot create the sample's directory '%s'", dir);
	}

	out = openat(decoy_fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0700);
	if (out < 0)
		return log_errno(neg_errno(), "rootfs: cannot create the sample '%s'", rel);
	if (lseek(cfg->sample_fd, 0, SEEK_SET) < 0)
		return neg_errno();
	r = fd_copy(cfg->sample_fd, out, cfg->size_bytes);
	if (r < 0)
		return log_errno(r, "rootfs: cannot copy the sample");
	if (fchown(out, cfg->uid_base + cfg->sample_uid, cfg->uid_base + cfg->sample_uid) < 0 ||
	    fchmod(out, 0755) < 0)
		return log_errno(neg_errno(), "rootfs: cannot set the sample's owner");
	return 0;
}

int rootfs_build(const struct rootfs_config *cfg, struct rootfs *ret)
{
	const char *image = cfg->image_dir ? cfg->image_dir : "/";
	_cleanup_close_ int decoy_fd = -1, image_fd = -1;
	int r;

	r = rootfs_mount_run_tmpfs(cfg->size_bytes, cfg->uid_base);
	if (r < 0)
		return r;
	r = rootfs_mount_image(image, cfg->userns_fd);
	if (r < 0)
		return r;

	decoy_fd = open(RUN_DIR "/decoy", O_PATH | O_DIRECTORY | O_CLOEXEC);
	image_fd = open(image, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (decoy_fd < 0 || image_fd < 0)
		return log_errno(neg_errno(), "rootfs: cannot open the layers");
	r = decoy_build(decoy_fd, image_fd, cfg->profile, cfg->uid_base);
	if (r < 0)
		return r;
	r = rootfs_place_sample(cfg, decoy_fd);
	if (r < 0)
		return r;

	r = rootfs_mount_overlay();
	if (r < 0)
		return r;
	r = rootfs_populate_dev(cfg->uid_base);
	if (r < 0)
		return r;

	ret->upper_fd = open(RUN_DIR "/upper", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret->shm_fd = open(RUN_DIR "/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ret->upper_fd < 0 || ret->shm_fd < 0)
		return log_errno(neg_errno(), "rootfs: cannot open the writable layer");
	return 0;
}
