/* SPDX-License-Identifier: MIT */
/* Numbers from command lines and configuration files, checked whole. */
#pragma once

#include <stdint.h>

/* A decimal in [min, max], nothing before or after it: 0, or -EINVAL. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
