/* SPDX-License-Identifier: MIT */
#include "commands.h"

int cmd_analyze(int argc, char **argv)
{
	return 2;
}
