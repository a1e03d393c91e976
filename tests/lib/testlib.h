/*
 * testlib.h - shared helpers for the cmocka unit tests.
 * Include after <stdarg.h> <stddef.h> <stdint.h> <setjmp.h> (cmocka's rule);
 * this header does that itself.
 */
#ifndef EIDGW_TESTLIB_H
#define EIDGW_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>

/* Reads a whole file (NUL-terminated) or returns NULL; *lenp gets the size. */
char *tl_read_file(const char *path, size_t *lenp);
/* Reads a file below tests/data. */
char *tl_read_data(const char *relpath, size_t *lenp);
/* Writes len bytes to path; returns 0 or -1. */
int tl_write_file(const char *path, const char *data, size_t len);
/* Makes a fresh temporary directory; returns its path (free() it), or NULL. */
char *tl_mkdtemp(void);
/* Removes a directory tree (rm -rf without forking). */
void tl_rmtree(const char *path);
/* Path join into a static rotating buffer (enough for a few live results). */
const char *tl_path(const char *dir, const char *name);

#endif
