/* SPDX-License-Identifier: MIT */
/* The subcommands of the sandtrap CLI; each returns the process exit status. */
#pragma once

int cmd_analyze(int argc, char **argv);
int cmd_rules(int argc, char **argv);
