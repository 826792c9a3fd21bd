/* SPDX-License-Identifier: MIT */
#include "guest.h"
