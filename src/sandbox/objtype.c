/* SPDX-License-Identifier: MIT */
/* Placeholder until typing lands; see objtype.h. */
#include "objtype.h"

#include <errno.h>

int objtype_detect(int fd, struct obj_type *ret)
{
	return -ENOSYS;
}

const char *objtype_kind_name(enum obj_kind kind)
{
	return "unsupported";
}
