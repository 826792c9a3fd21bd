/* SPDX-License-Identifier: MIT */
/*
 * A report's JSON event back into a struct event, so that stored analyses can be
 * re-scored with new rules without detonating again. Only what rules can see is
 * rebuilt (the fields of src/detect/field.c, named like the report's keys); times come
 * from t_ms, so they are exact to the millisecond.
 */
#pragma once

#include "event.h"

struct json_object;

/* -EINVAL when o is not an event object of a known type; unknown keys are skipped. */
int detect_event_from_json(struct json_object *o, struct event *ret);
