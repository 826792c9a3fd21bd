/* SPDX-License-Identifier: MIT */
/*
 * Policy objects: one table of keys, each with its kind, bounds, allowed values and
 * default. An unknown key is refused by name, so a typo never silently means a default.
 */
#include "policy.h"

#include "macros.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PATH_MAX_LEN  4096
#define LIST_MAX      4096 /* entries of one list */
#define UID_MAX_VALUE 4294967294ll
#define CLEAN_TTL_MAX (366ll * 24 * 3600)
#define KEY_SHOWN_MAX 64 /* of an unknown key, in the error */

enum policy_kind {
	KIND_ENUM,
	KIND_INT,
	KIND_BOOL,
	KIND_PATHS,
	KIND_SHA256S,
	KIND_UIDS,
	KIND_RESPONSES,
};

struct policy_key {
	const char *name;
	enum policy_kind kind;
	int64_t min, max;
	const char *const *allowed; /* KIND_ENUM; NULL-terminated */
	const char *def;            /* the default as JSON text; NULL: clean_ttl */
};

static const char *const modes[] = {"block", "allow-and-scan", "audit", NULL};
static const char *const fails[] = {"open", "closed", NULL};
static const char *const actions[] = {"deny",    "kill",     "quarantine", "delete", "block_hash",
                                      "isolate", "ioc_scan", "report",     NULL};

static const struct policy_key keys[] = {
        {"mode", KIND_ENUM, 0, 0, modes, "\"allow-and-scan\""},
        {"deadline_ms", KIND_INT, 100, 60000, NULL, "10000"},
        {"fail", KIND_ENUM, 0, 0, fails, "\"open\""},
        {"watch", KIND_PATHS, 0, 0, NULL, "[]"},
        {"documents", KIND_PATHS, 0, 0, NULL, "[]"},
        {"exclude_paths", KIND_PATHS, 0, 0, NULL, "[]"},
        {"exclude_sha256", KIND_SHA256S, 0, 0, NULL, "[]"},
        {"exclude_users", KIND_UIDS, 0, UID_MAX_VALUE, NULL, "[]"},
        {"trust_packages", KIND_BOOL, 0, 0, NULL, "true"},
        {"max_size", KIND_INT, 1, 1073741824, NULL, "104857600"},
        {"clean_ttl", KIND_INT, 0, CLEAN_TTL_MAX, NULL, NULL},
        {"responses", KIND_RESPONSES, 0, 0, NULL,
         "{\"malicious\":[\"deny\",\"kill\",\"quarantine\",\"block_hash\",\"report\"],"
         "\"suspicious\":[\"report\"]}"},
        {"isolate_minutes", KIND_INT, 0, 10080, NULL, "60"},
        {"ioc_paths", KIND_PATHS, 0, 0, NULL, "[]"},
};

static const char *const verdicts[] = {"malicious", "suspicious"};

bool policy_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       n;
}

static bool string_in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n && list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool is_string(struct json_object *v)
{
	/* An embedded NUL would make the C string say less than the JSON did. */
	return json_object_is_type(v, json_type_string) &&
	       strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v);
}

static bool path_valid(struct json_object *v)
{
	const char *s = json_object_get_string(v);

	return is_string(v) && s[0] == '/' && strlen(s) < PATH_MAX_LEN;
}

static bool sha256_valid(struct json_object *v)
{
	const char *s = json_object_get_string(v);

	return is_string(v) && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static bool int_valid(struct json_object *v, int64_t min, int64_t max)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return false;
	x = json_object_get_int64(v);
	return x >= min && x <= max;
}

static bool element_valid(const struct policy_key *k, struct json_object *e)
{
	switch (k->kind) {
	case KIND_PATHS:
		return path_valid(e);
	case KIND_SHA256S:
		return sha256_valid(e);
	case KIND_UIDS:
		return int_valid(e, k->min, k->max);
	default: /* the lists of responses */
		return is_string(e) &&
		       string_in(json_object_get_string(e), actions, ARRAY_SIZE(actions));
	}
}

/* Every element of the array v passes the check of kind k. */
static int list_check(const struct policy_key *k, struct json_object *v, const char *name,
                      char *err, size_t errsz)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > LIST_MAX)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		if (!element_valid(k, e))
			goto bad;
	}
	return 0;
bad:
	snprintf(err, errsz, "%s: a list (at most %d) of %s", name, LIST_MAX,
	         k->kind == KIND_PATHS     ? "absolute paths"
	         : k->kind == KIND_SHA256S ? "sha256s (64 lower-case hex digits)"
	         : k->kind == KIND_UIDS    ? "uids (integers 0 to 4294967294)"
	                                   : "actions: deny, kill, quarantine, delete, block_hash, "
	                                     "isolate, ioc_scan, report");
	return -EINVAL;
}

static int responses_check(const struct policy_key *k, struct json_object *v, char *err,
                           size_t errsz)
{
	char name[32 + KEY_SHOWN_MAX];

	if (!json_object_is_type(v, json_type_object)) {
		snprintf(err, errsz, "responses: an object with malicious and suspicious");
		return -EINVAL;
	}
	json_object_object_foreach(v, key, val)
	{
		if (!string_in(key, verdicts, ARRAY_SIZE(verdicts))) {
			snprintf(err, errsz, "unknown key 'responses.%.*s'", KEY_SHOWN_MAX, key);
			return -EINVAL;
		}
		snprintf(name, sizeof(name), "responses.%s", key);
		if (list_check(k, val, name, err, errsz) < 0)
			return -EINVAL;
	}
	return 0;
}

static int key_check(const struct policy_key *k, struct json_object *v, char *err, size_t errsz)
{
	switch (k->kind) {
	case KIND_ENUM:
		if (is_string(v) && string_in(json_object_get_string(v), k->allowed, SIZE_MAX))
			return 0;
		snprintf(err, errsz, "%s: one of %s%s%s%s%s", k->name, k->allowed[0],
		         k->allowed[1] ? ", " : "", k->allowed[1] ? k->allowed[1] : "",
		         k->allowed[1] && k->allowed[2] ? ", " : "",
		         k->allowed[1] && k->allowed[2] ? k->allowed[2] : "");
		return -EINVAL;
	case KIND_INT:
		if (int_valid(v, k->min, k->max))
			return 0;
		snprintf(err, errsz, "%s: an integer from %lld to %lld", k->name, (long long)k->min,
		         (long long)k->max);
		return -EINVAL;
	case KIND_BOOL:
		if (json_object_is_type(v, json_type_boolean))
			return 0;
		snprintf(err, errsz, "%s: true or false", k->name);
		return -EINVAL;
	case KIND_RESPONSES:
		return responses_check(k, v, err, errsz);
	default:
		return list_check(k, v, k->name, err, errsz);
	}
}

static const struct policy_key *key_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

int policy_check(struct json_object *policy, char *err, size_t errsz)
{
	if (!json_object_is_type(policy, json_type_object)) {
		snprintf(err, errsz, "a policy is a JSON object");
		return -EINVAL;
	}
	json_object_object_foreach(policy, key, val)
	{
		const struct policy_key *k = key_find(key);

		if (!k) {
			snprintf(err, errsz, "unknown key '%.*s'", KEY_SHOWN_MAX, key);
			return -EINVAL;
		}
		if (key_check(k, val, err, errsz) < 0)
			return -EINVAL;
	}
	return 0;
}

static struct json_object *default_of(const struct policy_key *k, uint64_t clean_ttl)
{
	return k->def ? json_tokener_parse(k->def) : json_object_new_int64((int64_t)clean_ttl);
}

/* responses with the default list of each verdict it does not name. */
static struct json_object *responses_fill(struct json_object *given, const struct policy_key *k)
{
	struct json_object *o = default_of(k, 0), *v;

	for (size_t i = 0; given && o && i < ARRAY_SIZE(verdicts); i++)
		if (json_object_object_get_ex(given, verdicts[i], &v))
			json_object_object_add(o, verdicts[i], json_object_get(v));
	return o;
}

struct json_object *policy_fill(struct json_object *policy, uint64_t clean_ttl)
{
	struct json_object *o = json_object_new_object(), *v;

	for (size_t i = 0; o && i < ARRAY_SIZE(keys); i++) {
		const struct policy_key *k = &keys[i];
		bool given = policy && json_object_object_get_ex(policy, k->name, &v);

		if (k->kind == KIND_RESPONSES)
			v = responses_fill(given ? v : NULL, k);
		else
			v = given ? json_object_get(v) : default_of(k, clean_ttl);
		json_object_object_add(o, k->name, v);
	}
	return o;
}
