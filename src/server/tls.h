/* SPDX-License-Identifier: MIT */
/* A self-signed certificate for sandtrapd, made once on first start when asked for. */
#pragma once

#include <stddef.h>

/*
 * Make dir (0700) with cert.pem and key.pem unless both exist: an EC P-256 key and a
 * certificate for cn, localhost, 127.0.0.1 and ::1, valid for five years. ret_cert and
 * ret_key receive the paths; the certificate's SHA-256 fingerprint is logged.
 */
int tls_self_signed(const char *dir, const char *cn, char *ret_cert, char *ret_key,
		    size_t pathsz);
