/* SPDX-License-Identifier: MIT */
/* The subcommands of the sandtrap CLI; each returns the process exit status. */
#pragma once

int cmd_analyze(int argc, char **argv);
int cmd_rules(int argc, char **argv);
/* sandtrap rules install DIR --data DATA (argv[0] is "install"). */
int rules_install(int argc, char **argv);
/* sandtrap rules push DIR [--server URL --token TOKEN] (argv[0] is "push"). */
int rules_push(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_status(int argc, char **argv);
/* sandtrap quarantine list|show|restore|delete: the agent's quarantine (STATE/quarantine). */
int cmd_quarantine(int argc, char **argv);
/* sandtrap isolation status|lift: the agent's network isolation, on the host itself. */
int cmd_isolation(int argc, char **argv);
