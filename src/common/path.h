/* SPDX-License-Identifier: MIT */
/* Lexical path handling: no file system access, so symlinks are not resolved. */
#pragma once

/*
 * Simplify an absolute path in place: repeated slashes, "." and ".." components go
 * ("/a/./b//../c" becomes "/a/c"; ".." at the root stays at the root). A relative path is
 * left as it is.
 */
void path_simplify(char *p);
