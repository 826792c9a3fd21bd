/* SPDX-License-Identifier: MIT */
#include "replay.h"

#include "macros.h"
#include "rules.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* The parts of a socket address and an HTTP request line, put together at the end. */
struct replay_parts {
	const char *address, *method, *path;
	uint64_t family, port;
	bool has_family;
};

/* Numbers are JSON numbers, booleans, "0x.." or "0755" strings, or names ("inet"). */
static int replay_num(struct json_object *v, uint64_t *ret)
{
	const char *s;
	char *end;

	switch (json_object_get_type(v)) {
	case json_type_boolean:
		*ret = json_object_get_boolean(v);
		return 0;
	case json_type_int:
		*ret = (uint64_t)json_object_get_int64(v);
		return 0;
	case json_type_string:
		s = json_object_get_string(v);
		if (field_const(s, ret) == 0)
			return 0;
		if (strncmp(s, "af_", 3) == 0)
			s += 3;
		errno = 0;
		*ret = strtoull(s, &end, 0);
		return errno || end == s || *end ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

static void replay_str(struct json_object *v, char *dst, size_t cap, __u32 *ret_len)
{
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return;
	n = MIN((size_t)json_object_get_string_len(v), cap - 1);
	memcpy(dst, json_object_get_string(v), n);
	dst[n] = '\0';
	if (ret_len)
		*ret_len = (__u32)n;
}

/* argv and env: a JSON array of strings into NUL-separated data. */
static void replay_strv(struct json_object *v, char *dst, __u32 *ret_len)
{
	size_t o = 0;

	if (!json_object_is_type(v, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *it = json_object_array_get_idx(v, i);
		size_t n = (size_t)json_object_get_string_len(it);

		if (!json_object_is_type(it, json_type_string) || o + n + 1 > EV_DATA_MAX)
			break;
		memcpy(dst + o, json_object_get_string(it), n + 1);
		o += n + 1;
	}
	*ret_len = (__u32)o;
}

static void replay_num_to(struct json_object *v, enum field_src src, struct event *ev,
                          struct replay_parts *p)
{
	uint64_t x;

	if (replay_num(v, &x) < 0)
		return;
	switch (src) {
	case SRC_ARG0:
		ev->arg0 = x;
		break;
	case SRC_ARG1:
		ev->arg1 = x;
		break;
	case SRC_ARG2:
		ev->arg2 = x;
		break;
	case SRC_PID:
		ev->pid = (__s32)x;
		break;
	case SRC_PPID:
		ev->ppid = (__s32)x;
		break;
	case SRC_UID:
		ev->uid = (__u32)x;
		break;
	case SRC_RET:
		ev->ret = (__s64)x;
		break;
	case SRC_EXIT_CODE:
		ev->arg0 = (x & 0xff) << 8;
		break;
	case SRC_PORT:
		p->port = x;
		break;
	case SRC_FAMILY:
		p->family = x, p->has_family = true;
		break;
	default:
		break;
	}
}

static void replay_field(const char *key, struct json_object *v, struct event *ev,
                         struct replay_parts *p)
{
	int f = field_lookup(key);
	const struct field_def *fd;
	enum field_src src;

	if (f < 0)
		return;
	fd = &detect_fields[f];
	src = fd->all_types ? fd->src_all : fd->src[ev->type];
	switch (src) {
	case SRC_NONE:
		return;
	case SRC_PATH:
		return replay_str(v, ev->path, sizeof(ev->path), NULL);
	case SRC_PATH2:
		return replay_str(v, ev->path2, sizeof(ev->path2), NULL);
	case SRC_COMM:
		return replay_str(v, ev->comm, sizeof(ev->comm), NULL);
	case SRC_DATA:
		return replay_str(v, ev->data, sizeof(ev->data), &ev->data_len);
	case SRC_ARGV:
		return replay_strv(v, ev->data, &ev->data_len);
	case SRC_ENV:
		return replay_strv(v, ev->data2, &ev->data2_len);
	case SRC_HTTP_METHOD:
		p->method = json_object_get_string(v);
		return;
	case SRC_HTTP_PATH:
		p->path = json_object_get_string(v);
		return;
	case SRC_ADDRESS:
		p->address = json_object_get_string(v);
		return;
	default:
		return replay_num_to(v, src, ev, p);
	}
}

static void replay_sockaddr(struct event *ev, const struct replay_parts *p)
{
	const char *addr = p->address ? p->address : "";
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(p->port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(p->port)};
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	size_t n = strlen(addr);

	ev->arg0 = p->family;
	if (ev->type == EV_NET_SOCKET)
		return;
	if (p->family == AF_INET && inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
		memcpy(ev->data, &s4, sizeof(s4));
		ev->data_len = sizeof(s4);
	} else if (p->family == AF_INET6 && inet_pton(AF_INET6, addr, &s6.sin6_addr) == 1) {
		memcpy(ev->data, &s6, sizeof(s6));
		ev->data_len = sizeof(s6);
	} else if (p->family == AF_UNIX && n > 0 && n < sizeof(su.sun_path)) {
		/* "@name" is an abstract socket: a NUL first. */
		memcpy(su.sun_path, addr, n);
		if (addr[0] == '@')
			su.sun_path[0] = '\0';
		memcpy(ev->data, &su, sizeof(su));
		ev->data_len = (__u32)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		memcpy(ev->data, &(sa_family_t){(sa_family_t)p->family}, sizeof(sa_family_t));
		ev->data_len = sizeof(sa_family_t);
	}
}

/* Fields the report renders differently from how rules read them. */
static void replay_special(struct json_object *o, struct event *ev)
{
	struct json_object *v;
	struct in_addr in;

	if (ev->type == EV_PROC_EXIT && json_object_object_get_ex(o, "signal", &v))
		ev->arg0 = (uint64_t)json_object_get_int(v) & 0x7f;
	if (ev->type == EV_DNS_QUERY && json_object_object_get_ex(o, "answer", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    inet_pton(AF_INET, json_object_get_string(v), &in) == 1)
		ev->arg1 = ntohl(in.s_addr);
}

int detect_event_from_json(struct json_object *o, struct event *ev)
{
	struct replay_parts p = {0};
	struct json_object *v;
	int t;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "type", &v))
		return -EINVAL;
	t = event_type_from_name(json_object_get_string(v));
	if (t <= 0)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	ev->type = (__u32)t;
	if (json_object_object_get_ex(o, "t_ms", &v))
		ev->time_ns = 1000000000ull + (uint64_t)json_object_get_int64(v) * 1000000ull;

	json_object_object_foreach(o, key, val)
	{
		if (strcmp(key, "type") != 0 && strcmp(key, "t_ms") != 0)
			replay_field(key, val, ev, &p);
	}
	if (field_types(&detect_fields[field_lookup("family")]) & (1ull << t))
		replay_sockaddr(ev, &p);
	if (t == EV_HTTP_REQUEST)
		snprintf(ev->path2, sizeof(ev->path2), "%s %s", p.method ? p.method : "GET",
		         p.path ? p.path : "/");
	replay_special(o, ev);
	return 0;
}
