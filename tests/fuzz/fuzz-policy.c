/* SPDX-License-Identifier: MIT */
/*
 * The endpoint agents' policy objects (src/server/policy.c) on arbitrary JSON: a policy
 * that passes the check, with its defaults filled in, must pass it again, and a policy
 * that fails must say why.
 */
#include "policy.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define DEPTH_MAX 16 /* as the server parses request bodies */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new_ex(DEPTH_MAX);
	struct json_object *in, *full;
	char err[256] = "";

	if (!tok)
		return 0;
	in = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (in && policy_check(in, err, sizeof(err)) == 0) {
		full = policy_fill(in, 86400);
		if (!full || policy_check(full, err, sizeof(err)) != 0)
			abort();
		json_object_put(full);
	} else if (in && !err[0]) {
		abort();
	}
	json_object_put(in);
	json_tokener_free(tok);
	return 0;
}
