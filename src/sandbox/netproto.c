/* SPDX-License-Identifier: MIT */
/* Placeholder until the simulated internet lands; see netproto.h. */
#include "netproto.h"
