/* SPDX-License-Identifier: MIT */
/*
 * sig.h - Ed25519 keys in the C2SP signed-note text forms, and
 * domain-separated signatures.
 *
 * Key text forms (c2sp.org/signed-note):
 *   verifier key: NAME+KEYID+BASE64(0x01 || 32-byte public key)
 *   signer key:   PRIVATE+KEY+NAME+KEYID+BASE64(0x01 || 32-byte seed)
 * where KEYID is 8 lower-case hex digits of
 * SHA-256(NAME || 0x0A || 0x01 || public key)[:4] read big-endian. A key
 * name is non-empty UTF-8 with no '+', no white space and no control
 * characters.
 *
 * Every waybill signature is domain-separated: the signed message is a
 * context string, a NUL byte, then the payload, so that a signature made for
 * one purpose never verifies for another. Checkpoints are the exception: they
 * are plain C2SP signed notes (see note.h).
 *
 * A wb_signer keeps its secret in sodium_malloc'd memory, wiped on free.
 *
 * THREAD SAFETY: a wb_signer may be used from many threads at once once
 * created; all functions are reentrant. Call wb_init() first.
 */
#ifndef WAYBILL_SIG_H
#define WAYBILL_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"

#define WB_PUBKEY_LEN   32
#define WB_SIG_LEN      64
#define WB_SEED_LEN     32
#define WB_KEY_NAME_MAX 128

typedef struct {
	uint8_t b[WB_PUBKEY_LEN];
} wb_pubkey;

/* What a signature is for; each has its own context string. */
typedef enum {
	WB_SIG_STAMP,    /* "waybill/v1/stamp": a stakeholder's Stamp */
	WB_SIG_REGISTRY, /* "waybill/v1/registry": an admin RegistryChange */
	WB_SIG_AUTH,     /* "waybill/v1/auth": a challenge or request header */
	WB_SIG_POSSESSION, /* "waybill/v1/possession": a new key's proof */
} wb_sig_context;

typedef struct wb_signer wb_signer;

/** The context string of a purpose ("waybill/v1/stamp"); never NULL. */
const char *wb_sig_context_string(wb_sig_context ctx);

/**
 * Creates a signer with a fresh random key.
 * @return WB_OK, WB_EINVAL (bad name), WB_ENOMEM.
 */
wb_err wb_signer_generate(wb_signer **out, const char *name);

/**
 * Creates a signer from a 32-byte seed (deterministic: tests, vectors).
 * @return WB_OK, WB_EINVAL (bad name), WB_ENOMEM.
 */
wb_err wb_signer_from_seed(wb_signer **out, const char *name,
                           const uint8_t seed[WB_SEED_LEN]);

/**
 * Parses a signer key text (trailing white space allowed). The key ID in
 * the text must match the name and key.
 * @return WB_OK, WB_EPROTO (not a valid signer key), WB_ENOMEM.
 */
wb_err wb_signer_parse(wb_signer **out, const char *text);

/**
 * Formats the signer key text, without a newline, into sodium_malloc'd
 * memory: the caller releases it with wb_secret_free().
 * @return WB_OK, WB_ENOMEM.
 */
wb_err wb_signer_format(char **out, const wb_signer *s);

/** Wipes and frees a signer; NULL is allowed. */
void wb_signer_free(wb_signer *s);

/** Wipes and frees text from wb_signer_format(); NULL is allowed. */
void wb_secret_free(char *secret);

/** The signer's public key, borrowed from the signer. */
const wb_pubkey *wb_signer_pubkey(const wb_signer *s);

/** The signer's key name, borrowed from the signer. */
const char *wb_signer_name(const wb_signer *s);

/**
 * Signs context || 0x00 || msg.
 * @return WB_OK, or WB_EINTERNAL if libsodium fails.
 */
wb_err wb_sig_sign(uint8_t sig_out[WB_SIG_LEN], const wb_signer *s,
                   wb_sig_context ctx, const void *msg, size_t len);

/**
 * Verifies a signature over context || 0x00 || msg.
 * @return WB_OK, or WB_EBADSIG when it does not verify.
 */
wb_err wb_sig_verify(const wb_pubkey *pk, wb_sig_context ctx, const void *msg,
                     size_t len, const uint8_t sig[WB_SIG_LEN])
        __attribute__((warn_unused_result));

/**
 * Signs msg as it is, with no context (for C2SP signed notes only).
 * @return WB_OK, or WB_EINTERNAL.
 */
wb_err wb_sig_sign_raw(uint8_t sig_out[WB_SIG_LEN], const wb_signer *s,
                       const void *msg, size_t len);

/**
 * Verifies a signature over msg as it is (C2SP signed notes only).
 * @return WB_OK, or WB_EBADSIG.
 */
wb_err wb_sig_verify_raw(const wb_pubkey *pk, const void *msg, size_t len,
                         const uint8_t sig[WB_SIG_LEN])
        __attribute__((warn_unused_result));

/** Fills buf with len bytes from the system's secure random source. */
void wb_random_bytes(void *buf, size_t len);

/** True when name is a valid C2SP key name. */
int wb_key_name_valid(const char *name);

/** The C2SP key ID: SHA-256(name || 0x0A || 0x01 || pk)[:4], big-endian. */
uint32_t wb_key_id(const char *name, const wb_pubkey *pk);

/**
 * Formats a verifier key text (NAME+KEYID+BASE64) into malloc'd memory
 * (caller frees with free()).
 * @return WB_OK, WB_EINVAL (bad name), WB_ENOMEM.
 */
wb_err wb_verifier_format(char **out, const char *name, const wb_pubkey *pk);

/**
 * Parses a verifier key text (trailing white space allowed). The name is
 * copied into name_out (WB_KEY_NAME_MAX + 1 bytes) when not NULL.
 * @return WB_OK, or WB_EPROTO (malformed, unknown algorithm, wrong key ID).
 */
wb_err wb_verifier_parse(char *name_out, wb_pubkey *pk_out, const char *text);

/**
 * Standard base64 (with padding) of len bytes into malloc'd memory.
 * @return WB_OK, WB_ENOMEM.
 */
wb_err wb_base64_encode(char **out, const void *data, size_t len);

/**
 * Decodes standard padded base64 (no white space) into out.
 * @return WB_OK, or WB_EPROTO (bad text, or more than out_size bytes).
 */
wb_err wb_base64_decode(uint8_t *out, size_t out_size, size_t *len_out,
                        const char *text, size_t text_len);

#endif
