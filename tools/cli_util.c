/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int
cli_fail(int code, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "waybill %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

bool
cli_opt(int argc, char **argv, int *i, const char *name, const char **value_out)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0) {
		return false;
	}
	if (argv[*i][n] == '=') {
		*value_out = argv[*i] + n + 1;
		return true;
	}
	if (argv[*i][n] != '\0') {
		return false;
	}
	if (*i + 1 >= argc) {
		fprintf(stderr, "waybill: %s needs a value (see --help)\n",
		        name);
		exit(CLI_USAGE);
	}
	*value_out = argv[++*i];
	return true;
}

bool
cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

bool
cli_parse_u64(const char *text, unsigned long long min, unsigned long long max,
              unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9') {
		return false;
	}
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		return false;
	}
	*out = v;
	return true;
}

void
cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		default:
			if (*p < 0x20) {
				fprintf(f, "\\u%04x", *p);
			} else {
				fputc(*p, f);
			}
		}
	}
	fputc('"', f);
}

const char *
cli_open_error(wb_err rc)
{
	switch (rc) {
	case WB_ENOTFOUND:
		return "no ledger there: create one with `waybill init`";
	case WB_EVERSION:
		return "the ledger was written by a newer waybill: upgrade waybill";
	case WB_EDENIED:
		return "permission denied (or the log key is not this ledger's)";
	case WB_ECORRUPT:
		return "the ledger is damaged: restore it from a backup, then check the restored copy with `waybill verify`";
	default:
		return wb_strerror(rc);
	}
}

wb_journal *
cli_open_ledger(const char *cmd, const char *dir)
{
	wb_journal *j = NULL;
	wb_err rc = wb_journal_open(&j, dir, NULL);

	if (rc != WB_OK) {
		cli_fail(CLI_ERROR, cmd, "cannot open %s: %s", dir,
		         cli_open_error(rc));
		return NULL;
	}
	return j;
}
