/* SPDX-License-Identifier: MIT */
/* Placeholder until the report lands; see report.h. */
#include "report.h"

#include <errno.h>
#include <stddef.h>

int report_new(struct report **ret)
{
	*ret = NULL;
	return -ENOSYS;
}

void report_free(struct report *r)
{
}

int report_set_object(struct report *r, const struct report_object *obj)
{
	return -ENOSYS;
}

void report_set_times(struct report *r, uint64_t start_real_ns, uint64_t end_real_ns,
		      uint64_t start_mono_ns)
{
}

void report_set_outcome(struct report *r, const char *outcome, int main_status)
{
}

int report_add_event(struct report *r, const struct event *ev)
{
	return -ENOSYS;
}

int report_set_output(struct report *r, const char *buf, size_t len, bool truncated)
{
	return -ENOSYS;
}

int report_add_dropped(struct report *r, const struct report_dropped *d, int save_dirfd)
{
	return -ENOSYS;
}

void report_set_limits(struct report *r, uint64_t events_lost, bool events_truncated,
		       const char *limit_hit)
{
}

void report_set_no_verdict(struct report *r)
{
}

const char *report_sha256(const struct report *r)
{
	return "";
}

int report_write_json(struct report *r, FILE *out)
{
	return -ENOSYS;
}

int report_print_summary(struct report *r, FILE *out)
{
	return -ENOSYS;
}
