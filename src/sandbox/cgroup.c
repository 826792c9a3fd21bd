/* SPDX-License-Identifier: MIT */
#include "cgroup.h"
