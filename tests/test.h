/* SPDX-License-Identifier: MIT */
/*
 * test.h - what every waybill test executable shares: cmocka, scratch
 * directories, the path of ../shared test data, and fixed test keys.
 */
#ifndef WAYBILL_TEST_H
#define WAYBILL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "waybill/ledger.h"

/** A fresh directory under $TMPDIR; the caller frees the path with
 * test_rmdir(). Fails the test when it cannot be made. */
char *test_mkdtemp(void);

/** Removes a directory tree made by test_mkdtemp() and frees the path. */
void test_rmdir(char *path);

/**
 * The path of a file under ../shared/data (the WAYBILL_SHARED environment
 * variable, set by meson, else ../shared relative to the source tree), in
 * static storage, or NULL when it does not exist.
 */
const char *test_shared_path(const char *rel);

/**
 * Prints "1..0 # SKIP why" and exits 0 when rel is not under ../shared/data:
 * call it first in main() of a test that needs the data.
 */
void test_require_shared(const char *rel);

/** Reads a whole file into malloc'd memory (NUL-terminated). */
char *test_read_file(const char *path, size_t *len_out);

/**
 * A fixed test key: the signer named name whose 32-byte seed is n repeated,
 * so the same (name, n) always gives the same key. Calls wb_init(); fails
 * the test on error. Free it with wb_signer_free().
 */
wb_signer *test_signer(const char *name, uint8_t n);

/**
 * Where the record time sits in encoded entry bytes: field 1 (index,
 * varint) comes first, then field 2 (record time, varint). Returns the
 * offset of that varint and its length through n_out (may be NULL);
 * fails the test when the bytes do not start that way.
 */
size_t test_entry_record_time(const uint8_t *e, size_t len, size_t *n_out);

/** Milliseconds on CLOCK_MONOTONIC (for timing what a test observes). */
uint64_t test_mono_ms(void);

/** Sleeps ms milliseconds. */
void test_sleep_ms(long ms);

#endif
