/* SPDX-License-Identifier: MIT */
/* The endpoint agents' policy objects (src/server/policy.c): checks and defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "policy.h"

#include <errno.h>
#include <string.h>

/* policy_check() of text; err gets the message. */
static int check_text(const char *text, char *err, size_t errsz)
{
	struct json_object *o = json_tokener_parse(text);
	int r;

	assert_non_null(o);
	err[0] = '\0';
	r = policy_check(o, err, errsz);
	json_object_put(o);
	return r;
}

static void an_empty_policy_gets_every_default(void **state)
{
	struct json_object *full = policy_fill(NULL, 3600), *v;
	char err[256];

	assert_non_null(full);
	assert_int_equal(policy_check(full, err, sizeof(err)), 0);
	assert_true(json_object_object_get_ex(full, "mode", &v));
	assert_string_equal(json_object_get_string(v), "allow-and-scan");
	assert_true(json_object_object_get_ex(full, "deadline_ms", &v));
	assert_int_equal(json_object_get_int(v), 10000);
	assert_true(json_object_object_get_ex(full, "clean_ttl", &v));
	assert_int_equal(json_object_get_int(v), 3600);
	assert_true(json_object_object_get_ex(full, "trust_packages", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(full, "max_size", &v));
	assert_int_equal(json_object_get_int64(v), 104857600);
	assert_true(json_object_object_get_ex(full, "isolate_minutes", &v));
	assert_int_equal(json_object_get_int(v), 60);
	assert_true(json_object_object_get_ex(full, "responses", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			    "{\"malicious\":[\"deny\",\"kill\",\"quarantine\",\"block_hash\","
			    "\"report\"],\"suspicious\":[\"report\"]}");
	assert_int_equal(json_object_object_length(full), 14);
	json_object_put(full);
}

static void given_keys_win_over_the_defaults(void **state)
{
	static const char text[] = "{\"mode\":\"block\",\"clean_ttl\":60,"
				   "\"responses\":{\"suspicious\":[\"ioc_scan\"]}}";
	struct json_object *in = json_tokener_parse(text);
	struct json_object *full = policy_fill(in, 3600), *v, *m;

	assert_true(json_object_object_get_ex(full, "mode", &v));
	assert_string_equal(json_object_get_string(v), "block");
	assert_true(json_object_object_get_ex(full, "clean_ttl", &v));
	assert_int_equal(json_object_get_int(v), 60);
	assert_true(json_object_object_get_ex(full, "responses", &v));
	assert_true(json_object_object_get_ex(v, "suspicious", &m));
	assert_string_equal(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN),
			    "[\"ioc_scan\"]");
	assert_true(json_object_object_get_ex(v, "malicious", &m));
	assert_int_equal(json_object_array_length(m), 5);
	json_object_put(full);
	json_object_put(in);
}

static void a_valid_policy_with_every_key_passes(void **state)
{
	char err[256];

	assert_int_equal(
		check_text("{\"mode\":\"audit\",\"deadline_ms\":100,\"fail\":\"closed\","
			   "\"watch\":[\"/usr/bin\"],\"documents\":[\"/home\"],"
			   "\"exclude_paths\":[\"/usr/lib\"],\"exclude_sha256\":[\"0123456789abcdef"
			   "0123456789abcdef0123456789abcdef0123456789abcdef\"],"
			   "\"exclude_users\":[0,4294967294],\"trust_packages\":false,"
			   "\"max_size\":1073741824,\"clean_ttl\":0,\"responses\":{\"malicious\":"
			   "[\"delete\",\"isolate\"],\"suspicious\":[]},\"isolate_minutes\":10080,"
			   "\"ioc_paths\":[\"/etc/cron.d\"]}",
			   err, sizeof(err)),
		0);
}

/* Each bad input is refused with a message that names the key. */
static void bad_keys_and_values_are_named(void **state)
{
	static const struct {
		const char *text, *named;
	} cases[] = {
		{"{\"mdoe\":\"block\"}", "'mdoe'"},
		{"{\"mode\":\"panic\"}", "mode"},
		{"{\"mode\":1}", "mode"},
		{"{\"deadline_ms\":99}", "deadline_ms"},
		{"{\"deadline_ms\":60001}", "deadline_ms"},
		{"{\"deadline_ms\":1.5}", "deadline_ms"},
		{"{\"fail\":\"maybe\"}", "fail"},
		{"{\"watch\":\"/usr/bin\"}", "watch"},
		{"{\"watch\":[\"usr/bin\"]}", "watch"},
		{"{\"documents\":[\"/a\\u0000b\"]}", "documents"},
		{"{\"exclude_sha256\":[\"ABCDEF\"]}", "exclude_sha256"},
		{"{\"exclude_users\":[-1]}", "exclude_users"},
		{"{\"exclude_users\":[4294967295]}", "exclude_users"},
		{"{\"trust_packages\":\"yes\"}", "trust_packages"},
		{"{\"max_size\":0}", "max_size"},
		{"{\"clean_ttl\":-1}", "clean_ttl"},
		{"{\"responses\":[]}", "responses"},
		{"{\"responses\":{\"clean\":[]}}", "responses.clean"},
		{"{\"responses\":{\"malicious\":[\"explode\"]}}", "responses.malicious"},
		{"{\"isolate_minutes\":10081}", "isolate_minutes"},
		{"{\"ioc_paths\":[1]}", "ioc_paths"},
		{"[]", "object"},
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(check_text(cases[i].text, err, sizeof(err)), -EINVAL);
		if (!strstr(err, cases[i].named))
			fail_msg("%s: '%s' does not name %s", cases[i].text, err, cases[i].named);
	}
}

static void policy_names(void **state)
{
	assert_true(policy_name_valid("default"));
	assert_true(policy_name_valid("web-servers_2.v1"));
	assert_false(policy_name_valid(""));
	assert_false(policy_name_valid(".hidden"));
	assert_false(policy_name_valid("a/b"));
	assert_false(policy_name_valid("a b"));
	assert_false(policy_name_valid("01234567890123456789012345678901"
				       "012345678901234567890123456789012"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_empty_policy_gets_every_default),
		cmocka_unit_test(given_keys_win_over_the_defaults),
		cmocka_unit_test(a_valid_policy_with_every_key_passes),
		cmocka_unit_test(bad_keys_and_values_are_named),
		cmocka_unit_test(policy_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
