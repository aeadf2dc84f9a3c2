/* SPDX-License-Identifier: MIT */
/*
 * nngx.h - the nng boundary of rpc/ (private): the mapping of nng's error
 * numbers onto wb_err, logged once where they arise.
 */
#ifndef WAYBILL_RPC_NNGX_H
#define WAYBILL_RPC_NNGX_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "waybill/err.h"

/* Maps an nng error (0 is WB_OK) and logs nng's text at debug level. */
wb_err wb_err_from_nng(int rv, const char *what);

/* Loads a TLS configuration for a listener (cert + key) or a dialer (CA
 * and server name); the caller frees it with nng_tls_config_free(). */
wb_err wb_tls_server_config(nng_tls_config **out, const char *cert_file,
                            const char *key_file);
wb_err wb_tls_client_config(nng_tls_config **out, const char *ca_file,
                            const char *server_name);

#endif
