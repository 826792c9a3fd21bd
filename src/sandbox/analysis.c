/* SPDX-License-Identifier: MIT */
#include "analysis.h"
