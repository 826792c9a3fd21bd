/* SPDX-License-Identifier: MIT */
/* The unprivileged identity of the HTTP process, and the way to it with no way back. */
#pragma once

#include <sys/types.h>

/* The user by name; "sandtrap" is created as a system user when missing, else nobody. */
int privdrop_user_resolve(const char *name, uid_t *ret_uid, gid_t *ret_gid);

/* The data directory made (0700) and handed to uid:gid with the files the store keeps. */
int privdrop_data_dir(const char *dir, uid_t uid, gid_t gid);

/* setgroups, setresgid, setresuid; then proves root cannot be regained. */
int privdrop_drop(uid_t uid, gid_t gid);
