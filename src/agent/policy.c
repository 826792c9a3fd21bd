/* SPDX-License-Identifier: MIT */
#include "policy.h"

#include "macros.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define POLICY_LIST_MAX 1024
#define CLEAN_TTL_DEFAULT (24 * 3600)

static const char *const mode_names[] = {
	[POLICY_ALLOW_AND_SCAN] = "allow-and-scan",
	[POLICY_BLOCK] = "block",
	[POLICY_AUDIT] = "audit",
};

static const struct {
	const char *name;
	unsigned bit;
} action_names[] = {
	{"deny", ACT_DENY},         {"kill", ACT_KILL},         {"quarantine", ACT_QUARANTINE},
	{"delete", ACT_DELETE},     {"block_hash", ACT_BLOCK_HASH}, {"isolate", ACT_ISOLATE},
	{"ioc_scan", ACT_IOC_SCAN}, {"report", ACT_REPORT},
};

const char *policy_mode_name(enum policy_mode m)
{
	return (unsigned)m < ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

int policy_mode_parse(const char *s, enum policy_mode *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*ret = (enum policy_mode)i;
			return 0;
		}
	return -EINVAL;
}

int policy_action_parse(const char *s, unsigned *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(action_names); i++)
		if (strcmp(s, action_names[i].name) == 0) {
			*ret = action_names[i].bit;
			return 0;
		}
	return -EINVAL;
}

void policy_actions_format(unsigned actions, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(action_names) && len < size; i++)
		if (actions & action_names[i].bit)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
						action_names[i].name);
}

int strv_push(struct strv *s, const char *str)
{
	char **v;

	if (s->n >= POLICY_LIST_MAX)
		return -E2BIG;
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->v[s->n] = strdup(str);
	if (!s->v[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct strv){0};
}

static int strv_copy(struct strv *dst, const struct strv *src)
{
	int r = 0;

	strv_free(dst);
	for (size_t i = 0; i < src->n && r == 0; i++)
		r = strv_push(dst, src->v[i]);
	return r;
}

void policy_init(struct policy *p)
{
	*p = (struct policy){
		.mode = POLICY_ALLOW_AND_SCAN,
		.deadline_ms = 10000,
		.trust_packages = true,
		.max_size = 100ull << 20,
		.clean_ttl = CLEAN_TTL_DEFAULT,
		.on_suspicious = ACT_REPORT,
		.on_malicious = ACT_DENY | ACT_KILL | ACT_QUARANTINE | ACT_BLOCK_HASH | ACT_REPORT,
		.isolate_minutes = 60,
	};
	snprintf(p->name, sizeof(p->name), "local");
}

void policy_free(struct policy *p)
{
	strv_free(&p->watch);
	strv_free(&p->documents);
	strv_free(&p->exclude_paths);
	strv_free(&p->exclude_sha256);
	strv_free(&p->ioc_paths);
	free(p->exclude_users);
	p->exclude_users = NULL;
	p->n_exclude_users = 0;
}

int policy_copy(struct policy *dst, const struct policy *src)
{
	struct policy p = *src;
	int r;

	p.watch = p.documents = p.exclude_paths = p.exclude_sha256 = p.ioc_paths =
		(struct strv){0};
	p.exclude_users = NULL;
	r = strv_copy(&p.watch, &src->watch);
	if (r == 0)
		r = strv_copy(&p.documents, &src->documents);
	if (r == 0)
		r = strv_copy(&p.exclude_paths, &src->exclude_paths);
	if (r == 0)
		r = strv_copy(&p.exclude_sha256, &src->exclude_sha256);
	if (r == 0)
		r = strv_copy(&p.ioc_paths, &src->ioc_paths);
	if (r == 0 && src->n_exclude_users) {
		p.exclude_users = calloc(src->n_exclude_users, sizeof(uid_t));
		if (p.exclude_users)
			memcpy(p.exclude_users, src->exclude_users,
			       src->n_exclude_users * sizeof(uid_t));
		else
			r = -ENOMEM;
	}
	if (r < 0) {
		policy_free(&p);
		return r;
	}
	*dst = p;
	return 0;
}

int policy_override(struct policy *dst, const struct policy *src, unsigned fields)
{
	int r = 0;

	if (fields & PF_MODE)
		dst->mode = src->mode;
	if (fields & PF_DEADLINE)
		dst->deadline_ms = src->deadline_ms;
	if (fields & PF_FAIL)
		dst->fail_closed = src->fail_closed;
	if (fields & PF_MAX_SIZE)
		dst->max_size = src->max_size;
	if (fields & PF_TRUST)
		dst->trust_packages = src->trust_packages;
	if (fields & PF_WATCH)
		r = strv_copy(&dst->watch, &src->watch);
	if (r == 0 && (fields & PF_DOCUMENTS))
		r = strv_copy(&dst->documents, &src->documents);
	return r;
}

/* --- JSON --- */

struct parse {
	char *err;
	size_t errsz;
};

static int parse_fail(struct parse *ps, const char *key, const char *what)
{
	snprintf(ps->err, ps->errsz, "policy: %s %s", key, what);
	return -EINVAL;
}

static int parse_paths(struct parse *ps, const char *key, struct json_object *v, struct strv *ret,
		       bool absolute)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return parse_fail(ps, key, "must be an array of strings");
	n = json_object_array_length(v);
	if (n > POLICY_LIST_MAX)
		return parse_fail(ps, key, "has too many entries");
	strv_free(ret);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *s = json_object_get_string(e);

		if (!json_object_is_type(e, json_type_string) || strlen(s) >= 4096)
			return parse_fail(ps, key, "must be an array of strings");
		if (absolute && s[0] != '/')
			return parse_fail(ps, key, "must hold absolute paths");
		if (strv_push(ret, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_int(struct parse *ps, const char *key, struct json_object *v, int64_t lo,
		     int64_t hi, int64_t *ret)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return parse_fail(ps, key, "must be an integer");
	x = json_object_get_int64(v);
	if (x < lo || x > hi)
		return parse_fail(ps, key, "is out of range");
	*ret = x;
	return 0;
}

static int parse_actions(struct parse *ps, const char *key, struct json_object *v,
			 unsigned *ret)
{
	unsigned acts = 0, bit;
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return parse_fail(ps, key, "must be an array of actions");
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string) ||
		    policy_action_parse(json_object_get_string(e), &bit) < 0)
			return parse_fail(ps, key, "names an unknown action");
		acts |= bit;
	}
	*ret = acts;
	return 0;
}

static int parse_responses(struct parse *ps, struct json_object *v, struct policy *p)
{
	struct json_object *e;
	int r = 0;

	if (!json_object_is_type(v, json_type_object))
		return parse_fail(ps, "responses", "must be an object");
	if (json_object_object_get_ex(v, "malicious", &e))
		r = parse_actions(ps, "responses.malicious", e, &p->on_malicious);
	if (r == 0 && json_object_object_get_ex(v, "suspicious", &e))
		r = parse_actions(ps, "responses.suspicious", e, &p->on_suspicious);
	return r;
}

static int parse_users(struct parse *ps, struct json_object *v, struct policy *p)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return parse_fail(ps, "exclude_users", "must be an array of uids");
	n = json_object_array_length(v);
	if (n > POLICY_LIST_MAX)
		return parse_fail(ps, "exclude_users", "has too many entries");
	free(p->exclude_users);
	p->exclude_users = calloc(n ? n : 1, sizeof(uid_t));
	p->n_exclude_users = 0;
	if (!p->exclude_users)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int64_t uid;
		int r = parse_int(ps, "exclude_users", json_object_array_get_idx(v, i), 0,
				  UINT32_MAX - 1, &uid);

		if (r < 0)
			return r;
		p->exclude_users[p->n_exclude_users++] = (uid_t)uid;
	}
	return 0;
}

static int parse_scalar(struct parse *ps, const char *key, struct json_object *v,
			struct policy *p)
{
	int64_t x;
	int r;

	if (strcmp(key, "mode") == 0) {
		if (!json_object_is_type(v, json_type_string) ||
		    policy_mode_parse(json_object_get_string(v), &p->mode) < 0)
			return parse_fail(ps, key, "must be block, allow-and-scan or audit");
		return 0;
	}
	if (strcmp(key, "fail") == 0) {
		const char *s = json_object_get_string(v);

		if (!json_object_is_type(v, json_type_string) ||
		    (strcmp(s, "open") != 0 && strcmp(s, "closed") != 0))
			return parse_fail(ps, key, "must be open or closed");
		p->fail_closed = strcmp(s, "closed") == 0;
		return 0;
	}
	if (strcmp(key, "trust_packages") == 0) {
		if (!json_object_is_type(v, json_type_boolean))
			return parse_fail(ps, key, "must be true or false");
		p->trust_packages = json_object_get_boolean(v);
		return 0;
	}
	if (strcmp(key, "deadline_ms") == 0) {
		r = parse_int(ps, key, v, 100, 60000, &x);
		p->deadline_ms = (unsigned)x;
	} else if (strcmp(key, "max_size") == 0) {
		r = parse_int(ps, key, v, 1, 1ll << 30, &x);
		p->max_size = (uint64_t)x;
	} else if (strcmp(key, "clean_ttl") == 0) {
		r = parse_int(ps, key, v, 0, 365ll * 86400, &x);
		p->clean_ttl = x;
	} else if (strcmp(key, "isolate_minutes") == 0) {
		r = parse_int(ps, key, v, 0, 10080, &x);
		p->isolate_minutes = (unsigned)x;
	} else {
		return 1; /* not a scalar key */
	}
	return r;
}

static int parse_key(struct parse *ps, const char *key, struct json_object *v, struct policy *p)
{
	int r = parse_scalar(ps, key, v, p);

	if (r <= 0)
		return r;
	if (strcmp(key, "watch") == 0)
		return parse_paths(ps, key, v, &p->watch, true);
	if (strcmp(key, "documents") == 0)
		return parse_paths(ps, key, v, &p->documents, true);
	if (strcmp(key, "exclude_paths") == 0)
		return parse_paths(ps, key, v, &p->exclude_paths, true);
	if (strcmp(key, "ioc_paths") == 0)
		return parse_paths(ps, key, v, &p->ioc_paths, true);
	if (strcmp(key, "exclude_sha256") == 0)
		return parse_paths(ps, key, v, &p->exclude_sha256, false);
	if (strcmp(key, "exclude_users") == 0)
		return parse_users(ps, v, p);
	if (strcmp(key, "responses") == 0)
		return parse_responses(ps, v, p);
	return parse_fail(ps, key, "is not a policy setting");
}

int policy_from_json(struct json_object *o, struct policy *ret, char *err, size_t errsz)
{
	struct parse ps = {err, errsz};
	struct json_object *body = o, *v;
	struct policy p;
	int r = 0;

	if (!json_object_is_type(o, json_type_object))
		return parse_fail(&ps, "document", "is not an object");
	policy_init(&p);
	if (json_object_object_get_ex(o, "policy", &body)) {
		if (json_object_object_get_ex(o, "name", &v))
			snprintf(p.name, sizeof(p.name), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "version", &v))
			p.version = json_object_get_int64(v);
		if (!json_object_is_type(body, json_type_object))
			return parse_fail(&ps, "policy", "is not an object");
	}
	json_object_object_foreach(body, key, val) {
		r = parse_key(&ps, key, val, &p);
		if (r < 0)
			break;
	}
	if (r < 0) {
		policy_free(&p);
		return r;
	}
	*ret = p;
	return 0;
}
