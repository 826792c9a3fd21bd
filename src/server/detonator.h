/* SPDX-License-Identifier: MIT */
/*
 * The privileged half of sandtrapd. It keeps root because detonation needs it (eBPF,
 * cgroups, namespaces) and never sees network input: it reads fixed-size jobs from the
 * unprivileged HTTP process (jobmsg.h), runs each in a worker process of its own with
 * analysis_run(), and sends the report back as a memory file.
 */
#pragma once

#include <sys/types.h>

struct ruleset;

struct detonator_config {
	int sock;       /* the privileged end of the socketpair */
	pid_t http_pid; /* the unprivileged child: its exit ends the loop */
	unsigned slots; /* workers at most at once */
	struct ruleset *rules; /* replaced (and the old one freed) on SIGHUP */
	const char *rules_installed, *rules_configured; /* SIGHUP: config_rules_pick() */
	const char *image_dir; /* NULL: the host's OS directories */
};

/* Runs until the HTTP process has exited and every worker is reaped; SIGHUP reloads the
 * rules into cfg->rules. */
int detonator_run(struct detonator_config *cfg);
