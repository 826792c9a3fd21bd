/* SPDX-License-Identifier: MIT */
/*
 * The guest's root filesystem, built by a helper in a private mount namespace before the
 * guest exists: a size-limited tmpfs for this run only holds the decoy layer, the
 * writable layer and /dev/shm; the image (the host's OS directories by default, or a
 * prepared root filesystem) is mounted read-only and id-mapped below them, so the image's
 * files show their usual owners inside the guest; overlayfs joins the layers.
 */
#pragma once

#include "decoy.h"

#include <stdint.h>
#include <sys/types.h>

/* An empty directory on the host; the run's tmpfs covers it only in the private namespace. */
#define ROOTFS_RUN_DIR  "/run/sandtrap/guest"
#define ROOTFS_ROOT_DIR ROOTFS_RUN_DIR "/root"

struct rootfs_config {
	const char *image_dir; /* NULL: the host's OS directories */
	int userns_fd;         /* a user namespace holding the guest's id mapping */
	uint32_t uid_base;     /* host uid of guest uid 0 */
	uint64_t size_bytes;   /* everything the guest may write, in all */
	const struct decoy_profile *profile;
	int sample_fd;           /* copied into the decoy layer, executable inside only */
	const char *sample_path; /* where the guest sees it */
	uid_t sample_uid;        /* guest uid owning it */
};

struct rootfs {
	int upper_fd; /* the writable layer: what the guest changed */
	int shm_fd;   /* the guest's /dev/shm */
};

/* Must run as host root, in a private mount namespace. */
int rootfs_build(const struct rootfs_config *cfg, struct rootfs *ret);
