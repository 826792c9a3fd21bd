/* SPDX-License-Identifier: MIT */
/* Re-scoring's input: a stored report's events (JSON) back into events, on any bytes. */
#include "replay.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *o;
	struct event *ev = malloc(sizeof(*ev));

	if (!tok || !ev || size > (1u << 20))
		goto out;
	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (json_object_is_type(o, json_type_array))
		for (size_t i = 0; i < json_object_array_length(o); i++)
			detect_event_from_json(json_object_array_get_idx(o, i), ev);
	else
		detect_event_from_json(o, ev);
	json_object_put(o);
out:
	free(ev);
	if (tok)
		json_tokener_free(tok);
	return 0;
}
