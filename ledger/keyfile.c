/* SPDX-License-Identifier: MIT */
#include "waybill/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Key files are one line; anything much longer is not a key file. */
#define KEYFILE_MAX 1024

wb_err
wb_keyfile_write(const char *path, const wb_signer *s)
{
	char *text = NULL;
	size_t len;
	ssize_t n;
	wb_err rc;
	int fd;

	if ((rc = wb_signer_format(&text, s)) != WB_OK) {
		return rc;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = errno == EEXIST                     ? WB_EEXISTS
		     : errno == EACCES || errno == EROFS ? WB_EDENIED
		                                         : WB_EIO;
		goto out;
	}
	len = strlen(text);
	n = write(fd, text, len);
	if (n != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		rc = WB_EIO;
	}
	if (close(fd) != 0 && rc == WB_OK) {
		rc = WB_EIO;
	}
	if (rc != WB_OK) {
		unlink(path);
	}
out:
	wb_secret_free(text);
	return rc;
}

/* Reads at most KEYFILE_MAX bytes into buf (NUL-terminated); *mode_out
 * gets the file's permission bits. */
static wb_err
read_small(char *buf, const char *path, mode_t *mode_out)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		return errno == ENOENT || errno == ENOTDIR ? WB_ENOTFOUND
		       : errno == EACCES                   ? WB_EDENIED
		                                           : WB_EIO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return WB_EIO;
	}
	*mode_out = st.st_mode;
	n = read(fd, buf, KEYFILE_MAX);
	close(fd);
	if (n < 0) {
		return WB_EIO;
	}
	if (n == KEYFILE_MAX) {
		return WB_EPROTO;
	}
	buf[n] = '\0';
	return WB_OK;
}

wb_err
wb_keyfile_read(wb_signer **out, const char *path)
{
	char *buf = malloc(KEYFILE_MAX + 1);
	mode_t mode = 0;
	wb_err rc;

	*out = NULL;
	if (buf == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = read_small(buf, path, &mode)) != WB_OK) {
		goto out;
	}
	if (mode & (S_IRWXG | S_IRWXO)) {
		wb_log(WB_LOG_ERROR,
		       "%s is readable by others (mode %03o): treat the key as leaked, or `chmod 600 %s` if it never was shared",
		       path, (unsigned)(mode & 0777), path);
		rc = WB_EDENIED;
		goto out;
	}
	rc = wb_signer_parse(out, buf);
out:
	if (buf != NULL) {
		memset(buf, 0, KEYFILE_MAX + 1);
		free(buf);
	}
	return rc;
}

wb_err
wb_keyfile_read_public(char *name_out, wb_pubkey *pk_out,
                       const char *text_or_path)
{
	char *buf = NULL;
	wb_signer *s = NULL;
	mode_t mode = 0;
	wb_err rc;

	if (wb_verifier_parse(name_out, pk_out, text_or_path) == WB_OK) {
		return WB_OK;
	}
	if ((buf = malloc(KEYFILE_MAX + 1)) == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = read_small(buf, text_or_path, &mode)) != WB_OK) {
		goto out;
	}
	if (wb_verifier_parse(name_out, pk_out, buf) == WB_OK) {
		goto out;
	}
	if (strncmp(buf, "PRIVATE+KEY+", 12) != 0) {
		rc = WB_EPROTO;
		goto out;
	}
	if (mode & (S_IRWXG | S_IRWXO)) {
		rc = WB_EDENIED;
		goto out;
	}
	if ((rc = wb_signer_parse(&s, buf)) == WB_OK) {
		*pk_out = *wb_signer_pubkey(s);
		if (name_out != NULL) {
			snprintf(name_out, WB_KEY_NAME_MAX + 1, "%s",
			         wb_signer_name(s));
		}
	}
out:
	wb_signer_free(s);
	if (buf != NULL) {
		memset(buf, 0, KEYFILE_MAX + 1);
		free(buf);
	}
	return rc;
}
