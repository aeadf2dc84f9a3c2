/* SPDX-License-Identifier: MIT */
#include "nngx.h"

#include <nng/supplemental/tls/tls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "waybill/log.h"

wb_err
wb_err_from_nng(int rv, const char *what)
{
	if (rv == 0) {
		return WB_OK;
	}
	wb_log(WB_LOG_DEBUG, "%s: %s", what, nng_strerror(rv));
	switch (rv) {
	case NNG_ENOMEM:
		return WB_ENOMEM;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
		return WB_EINVAL;
	case NNG_ETIMEDOUT:
		return WB_ETIMEDOUT;
	case NNG_ECLOSED:
	case NNG_ECANCELED:
	case NNG_ECONNSHUT:
	case NNG_ECONNRESET:
	case NNG_ECONNABORTED:
		return WB_ECLOSED;
	case NNG_ECONNREFUSED:
	case NNG_EUNREACHABLE:
	case NNG_EADDRINUSE:
		return WB_EIO;
	case NNG_EMSGSIZE:
	case NNG_EPROTO:
		return WB_EPROTO;
	case NNG_EPERM:
	case NNG_EPEERAUTH:
	case NNG_ECRYPTO:
		return WB_EDENIED;
	case NNG_EBUSY:
	case NNG_EAGAIN:
		return WB_EBUSY;
	default:
		return WB_EIO;
	}
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (f == NULL) {
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    len < (1 << 20) && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1)) != NULL) {
		if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		} else {
			buf[len] = '\0';
		}
	}
	fclose(f);
	return buf;
}

wb_err
wb_tls_server_config(nng_tls_config **out, const char *cert_file,
                     const char *key_file)
{
	char *cert = read_text(cert_file), *key = read_text(key_file);
	nng_tls_config *cfg = NULL;
	int rv;

	*out = NULL;
	if (cert == NULL || key == NULL) {
		wb_log(WB_LOG_ERROR,
		       "cannot read the TLS certificate %s or key %s",
		       cert_file, key_file);
		rv = NNG_ENOENT;
		goto out;
	}
	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER)) != 0) {
		goto out;
	}
	if ((rv = nng_tls_config_own_cert(cfg, cert, key, NULL)) != 0) {
		wb_log(WB_LOG_ERROR,
		       "the TLS certificate or key is not usable (%s): Debian's nng uses mbedTLS, which takes ECDSA or RSA certificates, not Ed25519",
		       nng_strerror(rv));
		nng_tls_config_free(cfg);
		cfg = NULL;
		goto out;
	}
	*out = cfg;
out:
	if (key != NULL) {
		memset(key, 0, strlen(key));
	}
	free(cert);
	free(key);
	return rv == 0            ? WB_OK
	       : rv == NNG_ENOENT ? WB_ENOTFOUND
	                          : wb_err_from_nng(rv, "TLS server config");
}

wb_err
wb_tls_client_config(nng_tls_config **out, const char *ca_file,
                     const char *server_name)
{
	nng_tls_config *cfg = NULL;
	char *ca = NULL;
	int rv;

	*out = NULL;
	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) != 0) {
		return wb_err_from_nng(rv, "TLS client config");
	}
	if (ca_file != NULL) {
		if ((ca = read_text(ca_file)) == NULL) {
			nng_tls_config_free(cfg);
			return WB_ENOTFOUND;
		}
		rv = nng_tls_config_ca_chain(cfg, ca, NULL);
		free(ca);
		if (rv == 0) {
			rv = nng_tls_config_auth_mode(
			        cfg, NNG_TLS_AUTH_MODE_REQUIRED);
		}
	} else {
		/* No CA: encrypted, but the server is not authenticated.
		 * waybill's own signatures still protect every answer that
		 * matters (receipts, checkpoints, entries). */
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE);
	}
	if (rv == 0 && server_name != NULL) {
		rv = nng_tls_config_server_name(cfg, server_name);
	}
	if (rv != 0) {
		nng_tls_config_free(cfg);
		return wb_err_from_nng(rv, "TLS client config");
	}
	*out = cfg;
	return WB_OK;
}
