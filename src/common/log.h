/* SPDX-License-Identifier: MIT */
/*
 * Logging with syslog levels to stderr. Functions that fail log once, at the place that
 * knows the object, and return -errno; log_errno() does both in one statement.
 */
#pragma once

#include <syslog.h>

void log_set_level(int level);
int log_get_level(void);
void log_set_ident(const char *ident);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Log with strerror(-err) appended; returns err (a negative errno). */
int log_errno_msg(int level, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)

#define log_errno(err, ...)      log_errno_msg(LOG_ERR, (err), __VA_ARGS__)
#define log_warn_errno(err, ...) log_errno_msg(LOG_WARNING, (err), __VA_ARGS__)
