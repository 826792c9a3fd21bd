/* SPDX-License-Identifier: MIT */
/* Placeholder until the simulated internet lands. */
