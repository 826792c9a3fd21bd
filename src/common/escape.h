/* SPDX-License-Identifier: MIT */
/*
 * Escaping of untrusted text (sample output, file names, network bytes) before it is
 * logged or printed on a terminal: printable ASCII passes, everything else is \xNN.
 */
#pragma once

#include <stddef.h>

/* Writes at most outsz bytes including the NUL; returns the length written. */
size_t escape_printable(const void *in, size_t len, char *out, size_t outsz);
