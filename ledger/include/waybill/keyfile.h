/* SPDX-License-Identifier: MIT */
/*
 * keyfile.h - key files in the C2SP text forms.
 *
 * A private key file holds one signer key line
 * (PRIVATE+KEY+NAME+KEYID+BASE64) and must be readable by its owner only:
 * one that group or others may read is refused, since the key must be
 * considered leaked. A public key is given as verifier key text
 * (NAME+KEYID+BASE64) or as a file holding that text (or a private key,
 * whose public half is then used).
 *
 * THREAD SAFETY: reentrant.
 */
#ifndef WAYBILL_KEYFILE_H
#define WAYBILL_KEYFILE_H

#include "waybill/err.h"
#include "waybill/sig.h"

/**
 * Writes a signer's key to a new file with mode 0600 (never overwrites).
 * @return WB_OK, WB_EEXISTS (the file exists), WB_EDENIED, WB_EIO.
 */
wb_err wb_keyfile_write(const char *path, const wb_signer *s);

/**
 * Reads a private key file.
 * @return WB_OK, WB_ENOTFOUND (no such file), WB_EDENIED (readable by group
 * or others, or unreadable), WB_EPROTO (not a signer key), WB_EIO.
 */
wb_err wb_keyfile_read(wb_signer **out, const char *path);

/**
 * Reads a public key given as verifier key text, or as the path of a file
 * holding verifier key text or a private key. name_out (WB_KEY_NAME_MAX+1
 * bytes) may be NULL.
 * @return WB_OK, WB_ENOTFOUND (neither key text nor a file), WB_EDENIED
 * (a private key file readable by others), WB_EPROTO (malformed), WB_EIO.
 */
wb_err wb_keyfile_read_public(char *name_out, wb_pubkey *pk_out,
                              const char *text_or_path);

#endif
