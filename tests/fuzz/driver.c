/* SPDX-License-Identifier: MIT */
/*
 * Replays a fuzz target's corpus without libFuzzer: calls
 * LLVMFuzzerTestOneInput on every regular file of each directory (or file)
 * given, so a plain gcc build (and the sanitizer build) runs every
 * committed input. Prints TAP-free progress; exits non-zero when an
 * argument cannot be read (a crash ends the process by itself).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Runs the target on one file's bytes; 0, or -1 when it cannot be read. */
static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL) {
		fprintf(stderr, "%s: cannot open\n", path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, ncap);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
			cap = ncap;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		if (n == 0)
			break;
		len += n;
	}
	int bad = ferror(f);

	fclose(f);
	if (bad) {
		free(buf);
		fprintf(stderr, "%s: read error\n", path);
		return -1;
	}
	/* An exact-size copy, so that ASan catches a read past the end. */
	uint8_t *exact = malloc(len ? len : 1);

	if (exact == NULL) {
		free(buf);
		return -1;
	}
	if (len)
		memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t files = 0;
	int status = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: not found\n", argv[i]);
			status = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) != 0)
				status = 1;
			files++;
			continue;
		}
		DIR *d = opendir(argv[i]);

		if (d == NULL) {
			fprintf(stderr, "%s: cannot open directory\n", argv[i]);
			status = 1;
			continue;
		}
		struct dirent *de;

		while ((de = readdir(d)) != NULL) {
			char path[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i],
			         de->d_name);
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			if (run_file(path) != 0)
				status = 1;
			files++;
		}
		closedir(d);
	}
	if (files == 0) {
		fprintf(stderr, "no inputs\n");
		status = 1;
	}
	printf("%zu inputs replayed\n", files);
	return status;
}
