/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *
test_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || *base == '\0') {
		base = "/tmp";
	}
	path = malloc(strlen(base) + 32);
	assert_non_null(path);
	sprintf(path, "%s/waybill-test-XXXXXX", base);
	assert_non_null(mkdtemp(path));
	return path;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
test_rmdir(char *path)
{
	if (path != NULL) {
		nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
		free(path);
	}
}

const char *
test_shared_path(const char *rel)
{
	static char buf[4096];
	const char *base = getenv("WAYBILL_SHARED");
	struct stat st;

	if (base == NULL || *base == '\0') {
		base = "../shared";
	}
	snprintf(buf, sizeof(buf), "%s/data/%s", base, rel);
	if (stat(buf, &st) != 0) {
		return NULL;
	}
	return buf;
}

void
test_require_shared(const char *rel)
{
	if (test_shared_path(rel) == NULL) {
		printf("1..0 # SKIP ../shared/data/%s is absent: the public test data is not checked out beside the project\n",
		       rel);
		exit(0);
	}
}

char *
test_read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	if (len_out != NULL) {
		*len_out = (size_t)len;
	}
	return buf;
}

wb_signer *
test_signer(const char *name, uint8_t n)
{
	uint8_t seed[WB_SEED_LEN];
	wb_signer *s = NULL;

	assert_int_equal(wb_init(), WB_OK);
	memset(seed, n, sizeof(seed));
	assert_int_equal(wb_signer_from_seed(&s, name, seed), WB_OK);
	return s;
}

size_t
test_entry_record_time(const uint8_t *e, size_t len, size_t *n_out)
{
	size_t i = 1, start;

	assert_true(len > 4 && e[0] == 0x08);
	while (i < len && (e[i] & 0x80)) {
		i++;
	}
	assert_true(i + 2 < len);
	assert_int_equal(e[i + 1], 0x10);
	start = i + 2;
	for (i = start; i < len && (e[i] & 0x80); i++) {
	}
	if (n_out != NULL) {
		*n_out = i + 1 - start;
	}
	return start;
}

uint64_t
test_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
test_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}
