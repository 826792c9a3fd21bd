/* SPDX-License-Identifier: MIT */
#include "rootfs.h"
