/* SPDX-License-Identifier: MIT */
#include "waybill/sig.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The C2SP signature type byte of Ed25519, first byte of every key blob. */
#define ALG_ED25519 0x01

/* 0x01 || 32 key bytes, and its padded base64 (without the NUL). */
#define KEY_BLOB_LEN (1 + WB_PUBKEY_LEN)
#define KEY_B64_LEN  44
#define KEY_ID_HEX   8

#define SIGNER_PREFIX     "PRIVATE+KEY+"
#define SIGNER_PREFIX_LEN (sizeof(SIGNER_PREFIX) - 1)

/*
 * Messages up to this size (context, NUL and payload) are assembled on the
 * stack; larger ones go to the heap. Ed25519 hashes the message twice, so
 * libsodium needs it in one piece and cannot take the parts separately.
 */
#define SIG_STACK_MAX 2048

/*
 * The whole signer lives in one sodium_malloc() block: guard pages around
 * it, mlock()ed where the system allows, read-only once built, and wiped by
 * sodium_free(). sodium_malloc() puts the block flush against the upper
 * guard page, so it is aligned only because sizeof() is a multiple of the
 * struct's alignment.
 */
struct wb_signer {
	uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* libsodium: seed || pk */
	wb_pubkey pk;
	uint32_t key_id;
	char name[WB_KEY_NAME_MAX + 1];
};

/*
 * No context string is a prefix of another, and none contains a NUL, so the
 * first NUL of a signed message says which purpose it is for. A C2SP note
 * text cannot contain a NUL (control characters are banned), so a raw note
 * signature never verifies as a context signature either.
 */
static const char *const context_strings[] = {
	[WB_SIG_STAMP] = "waybill/v1/stamp",
	[WB_SIG_REGISTRY] = "waybill/v1/registry",
	[WB_SIG_AUTH] = "waybill/v1/auth",
	[WB_SIG_POSSESSION] = "waybill/v1/possession",
};

#define CONTEXT_COUNT (sizeof(context_strings) / sizeof(context_strings[0]))

static int
context_valid(wb_sig_context ctx)
{
	return (unsigned)ctx < CONTEXT_COUNT;
}

const char *
wb_sig_context_string(wb_sig_context ctx)
{
	/* "" for a value outside the enum: callers must never sign with it,
	 * and wb_sig_sign() refuses it. */
	return context_valid(ctx) ? context_strings[ctx] : "";
}

/* C0, DEL and C1: Unicode's Cc category. */
static int
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * The C2SP rule (non-empty UTF-8, no Unicode space, no '+') plus ours: no
 * control characters and at most WB_KEY_NAME_MAX bytes, so that a name
 * always fits the fixed buffers of the API.
 */
static int
name_valid(const char *name, size_t len)
{
	const uint8_t *p = (const uint8_t *)name;
	size_t i = 0;

	if (len == 0 || len > WB_KEY_NAME_MAX) {
		return 0;
	}
	while (i < len) {
		uint32_t cp;
		size_t n = wb_utf8_decode(&cp, p + i, len - i);

		if (n == 0 || cp == '+' || wb_unicode_space(cp) ||
		    is_control(cp)) {
			return 0;
		}
		i += n;
	}
	return 1;
}

int
wb_key_name_valid(const char *name)
{
	if (name == NULL) {
		return 0;
	}
	/* Bounded: one byte past the limit is enough to refuse. */
	return name_valid(name, strnlen(name, WB_KEY_NAME_MAX + 1));
}

static uint32_t
key_id(const char *name, size_t name_len, const wb_pubkey *pk)
{
	static const uint8_t sep[2] = { 0x0a, ALG_ED25519 };
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
	crypto_hash_sha256_update(&st, sep, sizeof(sep));
	crypto_hash_sha256_update(&st, pk->b, WB_PUBKEY_LEN);
	crypto_hash_sha256_final(&st, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	       (uint32_t)h[2] << 8 | (uint32_t)h[3];
}

uint32_t
wb_key_id(const char *name, const wb_pubkey *pk)
{
	return key_id(name, strlen(name), pk);
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/*
 * The fields of "NAME+KEYID+BASE64" after any trailing white space is cut.
 * As in Go's note package the key ID may be written in either case (we
 * always write lower case); everything else must be exact.
 */
typedef struct {
	const char *name;
	size_t name_len;
	uint32_t id;
	const char *b64;
	size_t b64_len;
} key_fields;

static wb_err
split_key_text(key_fields *f, const char *text)
{
	size_t len = strlen(text);
	const char *plus, *end;

	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
	                   text[len - 1] == '\r' || text[len - 1] == '\n')) {
		len--;
	}
	end = text + len;
	plus = memchr(text, '+', len);
	if (plus == NULL || !name_valid(text, (size_t)(plus - text))) {
		return WB_EPROTO;
	}
	f->name = text;
	f->name_len = (size_t)(plus - text);
	if ((size_t)(end - (plus + 1)) < KEY_ID_HEX + 1 ||
	    plus[1 + KEY_ID_HEX] != '+') {
		return WB_EPROTO;
	}
	f->id = 0;
	for (size_t i = 0; i < KEY_ID_HEX; i++) {
		int d = hex_digit(plus[1 + i]);

		if (d < 0) {
			return WB_EPROTO;
		}
		f->id = f->id << 4 | (uint32_t)d;
	}
	/* Whatever follows is the key; a '+' in it is just base64. */
	f->b64 = plus + 2 + KEY_ID_HEX;
	f->b64_len = (size_t)(end - f->b64);
	return WB_OK;
}

/* Decodes 0x01 || 32 bytes exactly; blob may hold a secret. */
static wb_err
decode_key_blob(uint8_t blob[KEY_BLOB_LEN], const key_fields *f)
{
	size_t n = 0;

	if (wb_base64_decode(blob, KEY_BLOB_LEN, &n, f->b64, f->b64_len) !=
	            WB_OK ||
	    n != KEY_BLOB_LEN || blob[0] != ALG_ED25519) {
		return WB_EPROTO;
	}
	return WB_OK;
}

static wb_err
signer_alloc(wb_signer **out, const char *name, size_t name_len)
{
	wb_signer *s;

	if (!name_valid(name, name_len)) {
		return WB_EINVAL;
	}
	s = sodium_malloc(sizeof(*s));
	if (s == NULL) {
		return WB_ENOMEM;
	}
	/* sodium_malloc() fills with 0xdb; start from a known state. */
	sodium_memzero(s, sizeof(*s));
	memcpy(s->name, name, name_len);
	s->name[name_len] = '\0';
	*out = s;
	return WB_OK;
}

/* Finishes a signer whose keys are set: key ID, then read-only. */
static void
signer_seal(wb_signer *s)
{
	s->key_id = key_id(s->name, strlen(s->name), &s->pk);
	/* Best effort: a stray write then faults instead of changing the key;
	 * if mprotect() fails the signer works just the same. */
	(void)sodium_mprotect_readonly(s);
}

wb_err
wb_signer_generate(wb_signer **out, const char *name)
{
	wb_signer *s = NULL;
	wb_err rc;

	if (out == NULL || name == NULL) {
		return WB_EINVAL;
	}
	rc = signer_alloc(&s, name, strnlen(name, WB_KEY_NAME_MAX + 1));
	if (rc != WB_OK) {
		return rc;
	}
	if (crypto_sign_keypair(s->pk.b, s->sk) != 0) {
		sodium_free(s);
		return WB_EINTERNAL;
	}
	signer_seal(s);
	*out = s;
	return WB_OK;
}

wb_err
wb_signer_from_seed(wb_signer **out, const char *name,
                    const uint8_t seed[WB_SEED_LEN])
{
	wb_signer *s = NULL;
	wb_err rc;

	if (out == NULL || name == NULL || seed == NULL) {
		return WB_EINVAL;
	}
	rc = signer_alloc(&s, name, strnlen(name, WB_KEY_NAME_MAX + 1));
	if (rc != WB_OK) {
		return rc;
	}
	if (crypto_sign_seed_keypair(s->pk.b, s->sk, seed) != 0) {
		sodium_free(s);
		return WB_EINTERNAL;
	}
	signer_seal(s);
	*out = s;
	return WB_OK;
}

wb_err
wb_signer_parse(wb_signer **out, const char *text)
{
	uint8_t blob[KEY_BLOB_LEN]; /* 0x01 || seed: wiped before return */
	wb_signer *s = NULL;
	key_fields f;
	wb_err rc;

	if (out == NULL || text == NULL) {
		return WB_EINVAL;
	}
	if (strncmp(text, SIGNER_PREFIX, SIGNER_PREFIX_LEN) != 0) {
		return WB_EPROTO;
	}
	if ((rc = split_key_text(&f, text + SIGNER_PREFIX_LEN)) != WB_OK) {
		goto out;
	}
	if ((rc = decode_key_blob(blob, &f)) != WB_OK) {
		goto out;
	}
	if ((rc = signer_alloc(&s, f.name, f.name_len)) != WB_OK) {
		goto out;
	}
	if (crypto_sign_seed_keypair(s->pk.b, s->sk, blob + 1) != 0) {
		rc = WB_EINTERNAL;
		goto out;
	}
	/* The key ID names the public key, which only the seed gives us. */
	signer_seal(s);
	if (s->key_id != f.id) {
		rc = WB_EPROTO;
		goto out;
	}
	*out = s;
	s = NULL;
	rc = WB_OK;
out:
	sodium_memzero(blob, sizeof(blob));
	sodium_free(s);
	return rc;
}

wb_err
wb_signer_format(char **out, const wb_signer *s)
{
	uint8_t blob[KEY_BLOB_LEN]; /* 0x01 || seed: wiped before return */
	size_t name_len, prefix_len, size;
	char *text;

	if (out == NULL || s == NULL) {
		return WB_EINVAL;
	}
	name_len = strlen(s->name);
	prefix_len = SIGNER_PREFIX_LEN + name_len + 1 + KEY_ID_HEX + 1;
	size = prefix_len + KEY_B64_LEN + 1;
	text = sodium_malloc(size);
	if (text == NULL) {
		return WB_ENOMEM;
	}
	snprintf(text, size, SIGNER_PREFIX "%s+%08" PRIx32 "+", s->name,
	         s->key_id);
	blob[0] = ALG_ED25519;
	crypto_sign_ed25519_sk_to_seed(blob + 1, s->sk);
	sodium_bin2base64(text + prefix_len, KEY_B64_LEN + 1, blob,
	                  sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(blob, sizeof(blob));
	*out = text;
	return WB_OK;
}

void
wb_signer_free(wb_signer *s)
{
	/* sodium_free() makes the block writable, wipes it and unmaps it. */
	sodium_free(s);
}

void
wb_secret_free(char *secret)
{
	sodium_free(secret);
}

const wb_pubkey *
wb_signer_pubkey(const wb_signer *s)
{
	return &s->pk;
}

const char *
wb_signer_name(const wb_signer *s)
{
	return s->name;
}

/*
 * Lays out context || 0x00 || msg in buf when it fits, else on the heap.
 * *m_out is buf or a malloc'd block the caller frees.
 */
static wb_err
context_message(uint8_t **m_out, size_t *mlen_out, uint8_t *buf,
                size_t buf_size, wb_sig_context ctx, const void *msg,
                size_t len)
{
	const char *cs = context_strings[ctx];
	size_t clen = strlen(cs);
	uint8_t *m = buf;

	if (len > SIZE_MAX - clen - 1) {
		return WB_ENOMEM;
	}
	if (clen + 1 + len > buf_size) {
		m = malloc(clen + 1 + len);
		if (m == NULL) {
			return WB_ENOMEM;
		}
	}
	memcpy(m, cs, clen);
	m[clen] = 0x00;
	if (len > 0) {
		memcpy(m + clen + 1, msg, len);
	}
	*m_out = m;
	*mlen_out = clen + 1 + len;
	return WB_OK;
}

wb_err
wb_sig_sign(uint8_t sig_out[WB_SIG_LEN], const wb_signer *s, wb_sig_context ctx,
            const void *msg, size_t len)
{
	uint8_t buf[SIG_STACK_MAX];
	uint8_t *m = NULL;
	size_t mlen;
	wb_err rc;

	if (sig_out == NULL || s == NULL || !context_valid(ctx) ||
	    (msg == NULL && len > 0)) {
		return WB_EINVAL;
	}
	rc = context_message(&m, &mlen, buf, sizeof(buf), ctx, msg, len);
	if (rc != WB_OK) {
		return rc;
	}
	rc = wb_sig_sign_raw(sig_out, s, m, mlen);
	if (m != buf) {
		free(m);
	}
	return rc;
}

wb_err
wb_sig_verify(const wb_pubkey *pk, wb_sig_context ctx, const void *msg,
              size_t len, const uint8_t sig[WB_SIG_LEN])
{
	uint8_t buf[SIG_STACK_MAX];
	uint8_t *m = NULL;
	size_t mlen;
	wb_err rc;

	if (pk == NULL || sig == NULL || !context_valid(ctx) ||
	    (msg == NULL && len > 0)) {
		return WB_EINVAL;
	}
	rc = context_message(&m, &mlen, buf, sizeof(buf), ctx, msg, len);
	if (rc != WB_OK) {
		return rc;
	}
	rc = wb_sig_verify_raw(pk, m, mlen, sig);
	if (m != buf) {
		free(m);
	}
	return rc;
}

wb_err
wb_sig_sign_raw(uint8_t sig_out[WB_SIG_LEN], const wb_signer *s,
                const void *msg, size_t len)
{
	static const uint8_t empty[1];

	if (sig_out == NULL || s == NULL || (msg == NULL && len > 0)) {
		return WB_EINVAL;
	}
	if (crypto_sign_detached(sig_out, NULL, msg != NULL ? msg : empty, len,
	                         s->sk) != 0) {
		return WB_EINTERNAL;
	}
	return WB_OK;
}

wb_err
wb_sig_verify_raw(const wb_pubkey *pk, const void *msg, size_t len,
                  const uint8_t sig[WB_SIG_LEN])
{
	static const uint8_t empty[1];

	if (pk == NULL || sig == NULL || (msg == NULL && len > 0)) {
		return WB_EINVAL;
	}
	/* Plain Ed25519; libsodium refuses non-canonical S and small-order
	 * public keys. */
	if (crypto_sign_verify_detached(sig, msg != NULL ? msg : empty, len,
	                                pk->b) != 0) {
		return WB_EBADSIG;
	}
	return WB_OK;
}

wb_err
wb_verifier_format(char **out, const char *name, const wb_pubkey *pk)
{
	uint8_t blob[KEY_BLOB_LEN];
	size_t name_len, prefix_len, size;
	char *text;

	if (out == NULL || name == NULL || pk == NULL) {
		return WB_EINVAL;
	}
	name_len = strnlen(name, WB_KEY_NAME_MAX + 1);
	if (!name_valid(name, name_len)) {
		return WB_EINVAL;
	}
	prefix_len = name_len + 1 + KEY_ID_HEX + 1;
	size = prefix_len + KEY_B64_LEN + 1;
	text = malloc(size);
	if (text == NULL) {
		return WB_ENOMEM;
	}
	snprintf(text, size, "%s+%08" PRIx32 "+", name,
	         key_id(name, name_len, pk));
	blob[0] = ALG_ED25519;
	memcpy(blob + 1, pk->b, WB_PUBKEY_LEN);
	sodium_bin2base64(text + prefix_len, KEY_B64_LEN + 1, blob,
	                  sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
	*out = text;
	return WB_OK;
}

wb_err
wb_verifier_parse(char *name_out, wb_pubkey *pk_out, const char *text)
{
	uint8_t blob[KEY_BLOB_LEN];
	wb_pubkey pk;
	key_fields f;
	wb_err rc;

	if (pk_out == NULL || text == NULL) {
		return WB_EINVAL;
	}
	if ((rc = split_key_text(&f, text)) != WB_OK) {
		return rc;
	}
	if ((rc = decode_key_blob(blob, &f)) != WB_OK) {
		return rc;
	}
	memcpy(pk.b, blob + 1, WB_PUBKEY_LEN);
	if (key_id(f.name, f.name_len, &pk) != f.id) {
		return WB_EPROTO;
	}
	if (name_out != NULL) {
		memcpy(name_out, f.name, f.name_len);
		name_out[f.name_len] = '\0';
	}
	*pk_out = pk;
	return WB_OK;
}

wb_err
wb_base64_encode(char **out, const void *data, size_t len)
{
	static const uint8_t empty[1];
	size_t size;
	char *text;

	if (out == NULL || (data == NULL && len > 0)) {
		return WB_EINVAL;
	}
	/* Keep sodium_base64_ENCODED_LEN() from overflowing. */
	if (len > SIZE_MAX / 4 * 3 - 3) {
		return WB_ENOMEM;
	}
	size = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	text = malloc(size);
	if (text == NULL) {
		return WB_ENOMEM;
	}
	sodium_bin2base64(text, size, data != NULL ? data : empty, len,
	                  sodium_base64_VARIANT_ORIGINAL);
	*out = text;
	return WB_OK;
}

wb_err
wb_base64_decode(uint8_t *out, size_t out_size, size_t *len_out,
                 const char *text, size_t text_len)
{
	size_t n = 0;

	if ((out == NULL && out_size > 0) || (text == NULL && text_len > 0)) {
		return WB_EINVAL;
	}
	if (text_len == 0) {
		if (len_out != NULL) {
			*len_out = 0;
		}
		return WB_OK;
	}
	/*
	 * With no characters to ignore and no end pointer, libsodium insists
	 * on the whole text, exact '=' padding and zero unused bits: only the
	 * canonical encoding of a byte string decodes.
	 */
	if (out == NULL ||
	    sodium_base642bin(out, out_size, text, text_len, NULL, &n, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0) {
		return WB_EPROTO;
	}
	if (len_out != NULL) {
		*len_out = n;
	}
	return WB_OK;
}

void
wb_random_bytes(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}
