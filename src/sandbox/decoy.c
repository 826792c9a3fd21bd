/* SPDX-License-Identifier: MIT */
#include "decoy.h"
