/* SPDX-License-Identifier: MIT */
/*
 * The decoy layer: the top overlay layer of the guest's root. It hides everything of the
 * image that is not OS (whiteouts, opaque directories), replaces secrets under /etc with
 * fakes, and lays out a lived-in user: a home with ssh keys, shell history, browser
 * profiles, documents and a crontab. All of it fake, and none of it says "sandbox".
 */
#pragma once

#include <stdint.h>

struct decoy_profile {
	const char *user;      /* login name of the decoy user (uid 1000) */
	const char *full_name;
	const char *hostname;
};

extern const struct decoy_profile decoy_default_profile;

/*
 * Fill the empty directory layer_fd. image_fd is the root of the image below it (to
 * whiteout what is not allowed through); uid_base is the host uid of guest uid 0.
 */
int decoy_build(int layer_fd, int image_fd, const struct decoy_profile *p, uint32_t uid_base);
