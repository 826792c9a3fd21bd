/* SPDX-License-Identifier: MIT */
#include "event.h"
