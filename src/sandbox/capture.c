/* SPDX-License-Identifier: MIT */
/*
 * User half of the behaviour capture: loads capture.bpf.c, keeps the set of watched
 * cgroups and hands ring buffer records to the caller as struct event.
 */
#include "capture.h"
#include "path.h"
#include "sysfilter.h"
#include "capture.skel.h"

#include "log.h"
#include "macros.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct capture {
	struct capture_bpf *skel;
	struct ring_buffer *rb;
	/* Valid during capture_consume() only. */
	capture_event_fn fn;
	void *userdata;
	struct event ev;
};

/* Environment entries worth reporting at exec: loader hijacks and proxy settings. */
static const char *const env_prefixes[] = {
	"LD_PRELOAD=",
	"LD_LIBRARY_PATH=",
	"LD_AUDIT=",
};

static int capture_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t len;

	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\n')
		line[len - 1] = 0;
	log_debug("libbpf: %s", line);
	return 0;
}

static bool capture_env_wanted(const char *entry, size_t len)
{
	const char *eq = memchr(entry, '=', len);

	for (size_t i = 0; i < ARRAY_SIZE(env_prefixes); i++)
		if (strncmp(entry, env_prefixes[i], strlen(env_prefixes[i])) == 0)
			return true;
	return eq && memmem(entry, eq - entry, "PROXY", 5);
}

/* Keep the entries of interest of the NUL-separated environment in ev->data2, in place. */
static void capture_env_filter(struct event *ev)
{
	size_t in = 0, out = 0;

	while (in < ev->data2_len) {
		const char *entry = ev->data2 + in;
		size_t len = strnlen(entry, ev->data2_len - in);

		/* An entry cut by the read limit has no NUL; it is dropped rather than guessed. */
		if (in + len >= ev->data2_len)
			break;
		if (len > 0 && capture_env_wanted(entry, len)) {
			memmove(ev->data2 + out, entry, len + 1);
			out += len + 1;
		}
		in += len + 1;
	}
	ev->data2_len = out;
}

static void capture_event_sanitize(struct event *ev)
{
	ev->comm[EV_COMM_LEN - 1] = 0;
	ev->path[EV_PATH_MAX - 1] = 0;
	ev->path2[EV_PATH_MAX - 1] = 0;
	ev->data_len = MIN(ev->data_len, (__u32)EV_DATA_MAX);
	ev->data2_len = MIN(ev->data2_len, (__u32)EV_DATA_MAX);
	if (ev->type == EV_PROC_EXEC)
		capture_env_filter(ev);
	else
		ev->data2_len = 0;

	/* Path syscalls report the guest's string made absolute; "." and ".." go here. */
	if (ev->type >= EV_FILE_OPEN && ev->type <= EV_FILE_MKDIR) {
		path_simplify(ev->path);
		if (ev->type == EV_FILE_RENAME || ev->type == EV_FILE_LINK)
			path_simplify(ev->path2);
	}
}

static int capture_on_sample(void *ctx, void *data, size_t size)
{
	struct capture *c = ctx;

	if (size < sizeof(struct event))
		return 0;
	memcpy(&c->ev, data, sizeof(c->ev));
	capture_event_sanitize(&c->ev);
	c->fn(&c->ev, c->userdata);
	return 0;
}

static int capture_ring_open(struct capture *c)
{
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), capture_on_sample, c, NULL);
	if (!c->rb)
		return log_errno(neg_errno(), "Failed to set up the capture ring buffer");
	return 0;
}

/*
 * The guest filter's rules, by syscall number, into the programs' read-only data before
 * they load: the verifier then treats them as constants. The values follow
 * enum sysfilter_when, shifted by one so that 0 means "not refused".
 */
static void capture_load_denied(struct capture_bpf *skel)
{
	const struct sysfilter_rule *rules;
	size_t n = 0;

	rules = sysfilter_rules(&n);
	for (size_t i = 0; i < n; i++) {
		int nr = sysfilter_rule_nr(&rules[i]);

		if (nr >= 0 && (size_t)nr < ARRAY_SIZE(skel->rodata->denied))
			skel->rodata->denied[nr] = rules[i].when + 1;
	}
}

int capture_new(struct capture **ret)
{
	struct capture *c;
	int r;

	*ret = NULL;
	libbpf_set_print(capture_libbpf_print);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;

	c->skel = capture_bpf__open();
	if (!c->skel) {
		r = log_errno(neg_errno(), "Failed to open the capture programs");
		goto fail;
	}
	capture_load_denied(c->skel);
	r = capture_bpf__load(c->skel);
	if (r < 0) {
		r = log_errno(r, "Failed to load the capture programs");
		goto fail;
	}

	r = capture_bpf__attach(c->skel);
	if (r < 0) {
		r = log_errno(r, "Failed to attach the capture programs");
		goto fail;
	}

	r = capture_ring_open(c);
	if (r < 0)
		goto fail;

	*ret = c;
	return 0;

fail:
	capture_free(c);
	return r;
}

void capture_free(struct capture *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	capture_bpf__destroy(c->skel);
	free(c);
}

int capture_watch_cgroup(struct capture *c, uint64_t cgroup_id, uint32_t uid_base)
{
	int fd = bpf_map__fd(c->skel->maps.watched);

	if (bpf_map_update_elem(fd, &cgroup_id, &uid_base, BPF_ANY) < 0)
		return log_errno(neg_errno(), "Failed to watch cgroup %" PRIu64, cgroup_id);
	return 0;
}

int capture_unwatch_cgroup(struct capture *c, uint64_t cgroup_id)
{
	int fd = bpf_map__fd(c->skel->maps.watched);

	if (bpf_map_delete_elem(fd, &cgroup_id) < 0)
		return neg_errno();
	return 0;
}

int capture_fd(const struct capture *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

int capture_consume(struct capture *c, capture_event_fn fn, void *userdata)
{
	int r;

	c->fn = fn;
	c->userdata = userdata;
	r = ring_buffer__consume(c->rb);
	c->fn = NULL;
	c->userdata = NULL;
	return r;
}

uint64_t capture_lost(const struct capture *c)
{
	return __atomic_load_n(&c->skel->bss->lost_events, __ATOMIC_RELAXED);
}
