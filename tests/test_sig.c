/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Known answers. The RFC 8032 ones are §7.1 TEST 1 and TEST 2. The waybill
 * ones were computed outside this code base, with pyca/cryptography's
 * Ed25519 and Python's hashlib/base64, for the seed 0x01 repeated and the
 * name KAT_NAME: the key texts, and the signatures of "payload" under each
 * context (context || 0x00 || "payload").
 */
#define KAT_NAME "example.com/stamper"
#define KAT_PK \
	"8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
#define KAT_VERIFIER \
	"example.com/stamper+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"
#define KAT_SIGNER \
	"PRIVATE+KEY+example.com/stamper+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"

static const char *const kat_context_sigs[] = {
	[WB_SIG_STAMP] =
	        "9de9de8a41aee3a70df2160f8e7ac5a1a6136104030e9aba39965b0cf3a84274c78581f54d5d3012874603bb3eef64f4f5db291c8e81cf44cda0c943dd53a70b",
	[WB_SIG_REGISTRY] =
	        "32bf566000a682206b00f6c7e9ab27ce4095130bbc226cda9a690a3e24c85f07b589c0654ef34b2bb8948be7f6536d844393ef5845cd06c7bf4937240e11a70a",
	[WB_SIG_AUTH] =
	        "cfd65848f1a4b0d52ac95741158e51d482fc1c5e1a10e976d378fc337998dd760f59f1382c076331d1338d8e8a76ef346afde9568f59a5244ed70a5890ead804",
	[WB_SIG_POSSESSION] =
	        "b0209ea1760fad6954962df929d96e49044abe6db3613cf3bb40fc4a1021c278ab7283f8f3f145e81281a3dbbf352e57a778c19be3fc7de2590029741dbbee00",
};

static const wb_sig_context all_contexts[] = {
	WB_SIG_STAMP,
	WB_SIG_REGISTRY,
	WB_SIG_AUTH,
	WB_SIG_POSSESSION,
};

#define N_CONTEXTS (sizeof(all_contexts) / sizeof(all_contexts[0]))

static void
hex_to(uint8_t *out, size_t len, const char *hex)
{
	size_t n = 0;

	assert_int_equal(strlen(hex), 2 * len);
	assert_int_equal(wb_hex_decode(out, len, &n, hex, 2 * len), WB_OK);
	assert_int_equal(n, len);
}

static int
group_setup(void **state)
{
	(void)state;
	return wb_init() == WB_OK ? 0 : -1;
}

static void
test_sig_context_strings_are_fixed(void **state)
{
	(void)state;
	assert_string_equal(wb_sig_context_string(WB_SIG_STAMP),
	                    "waybill/v1/stamp");
	assert_string_equal(wb_sig_context_string(WB_SIG_REGISTRY),
	                    "waybill/v1/registry");
	assert_string_equal(wb_sig_context_string(WB_SIG_AUTH),
	                    "waybill/v1/auth");
	assert_string_equal(wb_sig_context_string(WB_SIG_POSSESSION),
	                    "waybill/v1/possession");
	assert_string_equal(wb_sig_context_string((wb_sig_context)99), "");
}

/* Raw signing is plain Ed25519: RFC 8032 §7.1 TEST 1 and TEST 2. */
static void
test_sig_raw_matches_rfc8032(void **state)
{
	static const struct {
		const char *seed, *pk, *msg, *sig;
	} v[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		  "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
		  "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t seed[WB_SEED_LEN], msg[1], want[WB_SIG_LEN],
		        sig[WB_SIG_LEN];
		size_t mlen = strlen(v[i].msg) / 2;
		wb_pubkey pk;
		wb_signer *s = NULL;

		hex_to(seed, sizeof(seed), v[i].seed);
		hex_to(pk.b, sizeof(pk.b), v[i].pk);
		hex_to(msg, mlen, v[i].msg);
		hex_to(want, sizeof(want), v[i].sig);
		assert_int_equal(wb_signer_from_seed(&s, "rfc8032", seed),
		                 WB_OK);
		assert_memory_equal(wb_signer_pubkey(s)->b, pk.b,
		                    WB_PUBKEY_LEN);
		assert_int_equal(wb_sig_sign_raw(sig, s, msg, mlen), WB_OK);
		assert_memory_equal(sig, want, WB_SIG_LEN);
		assert_int_equal(wb_sig_verify_raw(&pk, msg, mlen, want),
		                 WB_OK);
		wb_signer_free(s);
	}
}

/* Context signatures match an independent implementation byte for byte. */
static void
test_sig_context_signatures_match_known_answers(void **state)
{
	wb_signer *s = test_signer(KAT_NAME, 0x01);
	uint8_t want[WB_SIG_LEN], sig[WB_SIG_LEN];
	wb_pubkey pk;

	(void)state;
	hex_to(pk.b, sizeof(pk.b), KAT_PK);
	assert_memory_equal(wb_signer_pubkey(s)->b, pk.b, WB_PUBKEY_LEN);
	for (size_t i = 0; i < N_CONTEXTS; i++) {
		wb_sig_context ctx = all_contexts[i];

		hex_to(want, sizeof(want), kat_context_sigs[ctx]);
		assert_int_equal(wb_sig_sign(sig, s, ctx, "payload", 7), WB_OK);
		assert_memory_equal(sig, want, WB_SIG_LEN);
		assert_int_equal(wb_sig_verify(&pk, ctx, "payload", 7, want),
		                 WB_OK);
	}
	wb_signer_free(s);
}

/* The signed message is exactly context || 0x00 || payload, for short
 * payloads and for ones too large for any stack buffer. */
static void
test_sig_message_is_context_nul_payload(void **state)
{
	wb_signer *s = test_signer("example.com/a", 0x11);
	const wb_pubkey *pk = wb_signer_pubkey(s);
	const size_t lens[] = { 0, 3, 2000, 2100, 70000 };
	uint8_t sig[WB_SIG_LEN], raw[WB_SIG_LEN];
	uint8_t *payload = malloc(70000), *m = malloc(70000 + 64);

	(void)state;
	assert_non_null(payload);
	assert_non_null(m);
	for (size_t i = 0; i < 70000; i++) {
		payload[i] = (uint8_t)(i * 13 + 1);
	}
	for (size_t i = 0; i < N_CONTEXTS; i++) {
		const char *cs = wb_sig_context_string(all_contexts[i]);
		size_t clen = strlen(cs);

		for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			size_t mlen = clen + 1 + lens[j];

			memcpy(m, cs, clen);
			m[clen] = 0x00;
			memcpy(m + clen + 1, payload, lens[j]);
			assert_int_equal(wb_sig_sign(sig, s, all_contexts[i],
			                             payload, lens[j]),
			                 WB_OK);
			assert_int_equal(wb_sig_verify_raw(pk, m, mlen, sig),
			                 WB_OK);
			assert_int_equal(wb_sig_sign_raw(raw, s, m, mlen),
			                 WB_OK);
			assert_memory_equal(raw, sig, WB_SIG_LEN);
			assert_int_equal(wb_sig_verify(pk, all_contexts[i],
			                               payload, lens[j], raw),
			                 WB_OK);
		}
	}
	free(m);
	free(payload);
	wb_signer_free(s);
}

static void
test_sig_sign_verify_round_trips(void **state)
{
	wb_signer *s = test_signer("example.com/a", 0x22);
	const wb_pubkey *pk = wb_signer_pubkey(s);
	/* Larger than any stack buffer the implementation might use. */
	size_t big_len = 100000;
	uint8_t *big = malloc(big_len);
	uint8_t sig[WB_SIG_LEN];

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < big_len; i++) {
		big[i] = (uint8_t)(i * 7);
	}
	for (size_t i = 0; i < N_CONTEXTS; i++) {
		wb_sig_context ctx = all_contexts[i];
		size_t lens[] = { 0, 1, 2000, 2048, 4096, big_len };

		assert_int_equal(wb_sig_sign(sig, s, ctx, NULL, 0), WB_OK);
		assert_int_equal(wb_sig_verify(pk, ctx, NULL, 0, sig), WB_OK);
		for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			assert_int_equal(wb_sig_sign(sig, s, ctx, big, lens[j]),
			                 WB_OK);
			assert_int_equal(
			        wb_sig_verify(pk, ctx, big, lens[j], sig),
			        WB_OK);
			if (lens[j] > 0) {
				assert_int_equal(wb_sig_verify(pk, ctx, big,
				                               lens[j] - 1,
				                               sig),
				                 WB_EBADSIG);
			}
		}
	}
	assert_int_equal(wb_sig_sign_raw(sig, s, big, big_len), WB_OK);
	assert_int_equal(wb_sig_verify_raw(pk, big, big_len, sig), WB_OK);
	free(big);
	wb_signer_free(s);
}

/* A signature for one purpose verifies for no other, nor as raw. */
static void
test_sig_domain_separation(void **state)
{
	wb_signer *s = test_signer("example.com/a", 0x33);
	const wb_pubkey *pk = wb_signer_pubkey(s);
	const char msg[] = "the same payload";
	size_t len = sizeof(msg) - 1;
	uint8_t sig[WB_SIG_LEN];

	(void)state;
	for (size_t i = 0; i < N_CONTEXTS; i++) {
		assert_int_equal(wb_sig_sign(sig, s, all_contexts[i], msg, len),
		                 WB_OK);
		for (size_t j = 0; j < N_CONTEXTS; j++) {
			assert_int_equal(wb_sig_verify(pk, all_contexts[j], msg,
			                               len, sig),
			                 i == j ? WB_OK : WB_EBADSIG);
		}
		assert_int_equal(wb_sig_verify_raw(pk, msg, len, sig),
		                 WB_EBADSIG);
	}
	assert_int_equal(wb_sig_sign_raw(sig, s, msg, len), WB_OK);
	assert_int_equal(wb_sig_verify_raw(pk, msg, len, sig), WB_OK);
	for (size_t j = 0; j < N_CONTEXTS; j++) {
		assert_int_equal(
		        wb_sig_verify(pk, all_contexts[j], msg, len, sig),
		        WB_EBADSIG);
	}
	wb_signer_free(s);
}

/* Every single flipped bit of message or signature fails; so does
 * another key. */
static void
test_sig_flipped_bit_fails(void **state)
{
	wb_signer *s = test_signer("example.com/a", 0x44);
	wb_signer *other = test_signer("example.com/a", 0x45);
	const wb_pubkey *pk = wb_signer_pubkey(s);
	uint8_t msg[24], sig[WB_SIG_LEN], raw[WB_SIG_LEN];

	(void)state;
	memcpy(msg, "flip any bit of me, I f", sizeof(msg));
	assert_int_equal(wb_sig_sign(sig, s, WB_SIG_STAMP, msg, sizeof(msg)),
	                 WB_OK);
	assert_int_equal(wb_sig_sign_raw(raw, s, msg, sizeof(msg)), WB_OK);
	for (size_t bit = 0; bit < 8 * sizeof(msg); bit++) {
		msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(
		        wb_sig_verify(pk, WB_SIG_STAMP, msg, sizeof(msg), sig),
		        WB_EBADSIG);
		assert_int_equal(wb_sig_verify_raw(pk, msg, sizeof(msg), raw),
		                 WB_EBADSIG);
		msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < 8 * WB_SIG_LEN; bit++) {
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(
		        wb_sig_verify(pk, WB_SIG_STAMP, msg, sizeof(msg), sig),
		        WB_EBADSIG);
		assert_int_equal(wb_sig_verify_raw(pk, msg, sizeof(msg), raw),
		                 WB_EBADSIG);
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_int_equal(wb_sig_verify(pk, WB_SIG_STAMP, msg, sizeof(msg), sig),
	                 WB_OK);
	assert_int_equal(wb_sig_verify(wb_signer_pubkey(other), WB_SIG_STAMP,
	                               msg, sizeof(msg), sig),
	                 WB_EBADSIG);
	wb_signer_free(other);
	wb_signer_free(s);
}

static void
test_sig_key_texts_match_known_answers(void **state)
{
	wb_signer *s = test_signer(KAT_NAME, 0x01);
	wb_signer *parsed = NULL;
	char name[WB_KEY_NAME_MAX + 1];
	char *text = NULL;
	wb_pubkey pk;

	(void)state;
	assert_int_equal(wb_signer_format(&text, s), WB_OK);
	assert_string_equal(text, KAT_SIGNER);
	wb_secret_free(text);
	assert_int_equal(
	        wb_verifier_format(&text, KAT_NAME, wb_signer_pubkey(s)),
	        WB_OK);
	assert_string_equal(text, KAT_VERIFIER);
	free(text);
	assert_int_equal(wb_key_id(KAT_NAME, wb_signer_pubkey(s)), 0x014ac4af);

	assert_int_equal(wb_verifier_parse(name, &pk, KAT_VERIFIER), WB_OK);
	assert_string_equal(name, KAT_NAME);
	assert_memory_equal(pk.b, wb_signer_pubkey(s)->b, WB_PUBKEY_LEN);
	assert_int_equal(wb_signer_parse(&parsed, KAT_SIGNER), WB_OK);
	assert_string_equal(wb_signer_name(parsed), KAT_NAME);
	assert_memory_equal(wb_signer_pubkey(parsed)->b, pk.b, WB_PUBKEY_LEN);
	wb_signer_free(parsed);
	wb_signer_free(s);
}

/* The key ID is SHA-256(name || 0x0A || 0x01 || pk)[:4], big-endian. */
static void
test_sig_key_id_follows_c2sp_rule(void **state)
{
	const char *names[] = { "a", "example.com/log", "\xc3\xa9t\xc3\xa9" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		wb_signer *s = test_signer(names[i], (uint8_t)(0x50 + i));
		uint8_t buf[WB_KEY_NAME_MAX + 2 + WB_PUBKEY_LEN];
		size_t n = strlen(names[i]);
		wb_hash h;
		uint32_t want;

		memcpy(buf, names[i], n);
		buf[n] = 0x0a;
		buf[n + 1] = 0x01;
		memcpy(buf + n + 2, wb_signer_pubkey(s)->b, WB_PUBKEY_LEN);
		wb_hash_sha256(&h, buf, n + 2 + WB_PUBKEY_LEN);
		want = (uint32_t)h.b[0] << 24 | (uint32_t)h.b[1] << 16 |
		       (uint32_t)h.b[2] << 8 | h.b[3];
		assert_int_equal(wb_key_id(names[i], wb_signer_pubkey(s)),
		                 want);
		wb_signer_free(s);
	}
}

static void
test_sig_key_texts_round_trip(void **state)
{
	const char *names[] = { "a", "example.com/log", "\xc3\xa9t\xc3\xa9",
		                "x/y_z-1.2:3" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		wb_signer *s = NULL, *parsed = NULL;
		char name[WB_KEY_NAME_MAX + 1];
		char *skey = NULL, *skey2 = NULL, *vkey = NULL;
		uint8_t sig1[WB_SIG_LEN], sig2[WB_SIG_LEN];
		wb_pubkey pk;

		assert_int_equal(wb_signer_generate(&s, names[i]), WB_OK);
		assert_int_equal(wb_signer_format(&skey, s), WB_OK);
		assert_int_equal(strncmp(skey, "PRIVATE+KEY+", 12), 0);
		assert_int_equal(wb_signer_parse(&parsed, skey), WB_OK);
		assert_string_equal(wb_signer_name(parsed), names[i]);
		assert_memory_equal(wb_signer_pubkey(parsed)->b,
		                    wb_signer_pubkey(s)->b, WB_PUBKEY_LEN);
		assert_int_equal(wb_signer_format(&skey2, parsed), WB_OK);
		assert_string_equal(skey2, skey);
		/* Same secret: Ed25519 is deterministic. */
		assert_int_equal(wb_sig_sign(sig1, s, WB_SIG_AUTH, "m", 1),
		                 WB_OK);
		assert_int_equal(wb_sig_sign(sig2, parsed, WB_SIG_AUTH, "m", 1),
		                 WB_OK);
		assert_memory_equal(sig1, sig2, WB_SIG_LEN);

		assert_int_equal(wb_verifier_format(&vkey, names[i],
		                                    wb_signer_pubkey(s)),
		                 WB_OK);
		assert_int_equal(wb_verifier_parse(name, &pk, vkey), WB_OK);
		assert_string_equal(name, names[i]);
		assert_memory_equal(pk.b, wb_signer_pubkey(s)->b,
		                    WB_PUBKEY_LEN);
		/* The signer text minus its prefix is not a verifier. */
		assert_string_not_equal(vkey, skey + 12);
		free(vkey);
		wb_secret_free(skey2);
		wb_secret_free(skey);
		wb_signer_free(parsed);
		wb_signer_free(s);
	}
}

/* Trailing white space (a key file's newline) is allowed, nothing else. */
static void
test_sig_key_texts_allow_trailing_space_only(void **state)
{
	static const char *const tails[] = { "\n", " ", "\r\n", "\t \n\n" };
	static const char *const bad_tails[] = { "x", "\nx", "\n+", "=" };
	char buf[256];
	wb_signer *s = NULL;
	wb_pubkey pk;

	(void)state;
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", KAT_VERIFIER, tails[i]);
		assert_int_equal(wb_verifier_parse(NULL, &pk, buf), WB_OK);
		snprintf(buf, sizeof(buf), "%s%s", KAT_SIGNER, tails[i]);
		assert_int_equal(wb_signer_parse(&s, buf), WB_OK);
		wb_signer_free(s);
		s = NULL;
	}
	for (size_t i = 0; i < sizeof(bad_tails) / sizeof(bad_tails[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", KAT_VERIFIER, bad_tails[i]);
		assert_int_equal(wb_verifier_parse(NULL, &pk, buf), WB_EPROTO);
		snprintf(buf, sizeof(buf), "%s%s", KAT_SIGNER, bad_tails[i]);
		assert_int_equal(wb_signer_parse(&s, buf), WB_EPROTO);
		assert_null(s);
	}
	snprintf(buf, sizeof(buf), " %s", KAT_VERIFIER);
	assert_int_equal(wb_verifier_parse(NULL, &pk, buf), WB_EPROTO);
	snprintf(buf, sizeof(buf), "\n%s", KAT_SIGNER);
	assert_int_equal(wb_signer_parse(&s, buf), WB_EPROTO);
}

static void
test_sig_generate_gives_distinct_keys(void **state)
{
	wb_signer *a = NULL, *b = NULL;
	uint8_t sig[WB_SIG_LEN];

	(void)state;
	assert_int_equal(wb_signer_generate(&a, "example.com/a"), WB_OK);
	assert_int_equal(wb_signer_generate(&b, "example.com/a"), WB_OK);
	assert_memory_not_equal(wb_signer_pubkey(a)->b, wb_signer_pubkey(b)->b,
	                        WB_PUBKEY_LEN);
	assert_int_not_equal(wb_key_id("example.com/a", wb_signer_pubkey(a)),
	                     wb_key_id("example.com/a", wb_signer_pubkey(b)));
	assert_string_equal(wb_signer_name(a), "example.com/a");
	assert_int_equal(wb_sig_sign(sig, a, WB_SIG_STAMP, "x", 1), WB_OK);
	assert_int_equal(
	        wb_sig_verify(wb_signer_pubkey(a), WB_SIG_STAMP, "x", 1, sig),
	        WB_OK);
	assert_int_equal(
	        wb_sig_verify(wb_signer_pubkey(b), WB_SIG_STAMP, "x", 1, sig),
	        WB_EBADSIG);
	wb_signer_free(a);
	wb_signer_free(b);
}

static void
test_sig_from_seed_is_deterministic(void **state)
{
	wb_signer *a = test_signer("example.com/a", 0x60);
	wb_signer *a2 = test_signer("example.com/a", 0x60);
	wb_signer *b = test_signer("example.com/a", 0x61);
	wb_signer *renamed = test_signer("example.com/b", 0x60);
	uint8_t s1[WB_SIG_LEN], s2[WB_SIG_LEN];

	(void)state;
	assert_memory_equal(wb_signer_pubkey(a)->b, wb_signer_pubkey(a2)->b,
	                    WB_PUBKEY_LEN);
	assert_memory_not_equal(wb_signer_pubkey(a)->b, wb_signer_pubkey(b)->b,
	                        WB_PUBKEY_LEN);
	/* The name is not part of the key, but it is part of the key ID. */
	assert_memory_equal(wb_signer_pubkey(a)->b,
	                    wb_signer_pubkey(renamed)->b, WB_PUBKEY_LEN);
	assert_int_not_equal(wb_key_id("example.com/a", wb_signer_pubkey(a)),
	                     wb_key_id("example.com/b", wb_signer_pubkey(a)));
	assert_int_equal(wb_sig_sign(s1, a, WB_SIG_REGISTRY, "r", 1), WB_OK);
	assert_int_equal(wb_sig_sign(s2, a2, WB_SIG_REGISTRY, "r", 1), WB_OK);
	assert_memory_equal(s1, s2, WB_SIG_LEN);
	wb_signer_free(renamed);
	wb_signer_free(b);
	wb_signer_free(a2);
	wb_signer_free(a);
}

static void
test_sig_bad_names_rejected(void **state)
{
	char too_long[WB_KEY_NAME_MAX + 2], longest[WB_KEY_NAME_MAX + 1];
	const char *bad[] = {
		"",
		"a+b",
		"+",
		"a b",
		" a",
		"a\tb",
		"a\nb",
		"a\rb",
		"a\vb",
		"a\fb",
		"a\x01z",
		"a\x1b",
		"a\x7f",
		"a\xc2\xa0z",       /* U+00A0 no-break space */
		"a\xc2\x85",        /* U+0085 next line */
		"a\xc2\x9f",        /* U+009F, a C1 control */
		"a\xe1\x9a\x80",    /* U+1680 ogham space mark */
		"a\xe2\x80\x80",    /* U+2000 en quad */
		"a\xe2\x80\x8a",    /* U+200A hair space */
		"a\xe2\x80\xa8",    /* U+2028 line separator */
		"a\xe2\x80\xa9",    /* U+2029 paragraph separator */
		"a\xe2\x80\xaf",    /* U+202F narrow no-break space */
		"a\xe2\x81\x9f",    /* U+205F medium mathematical space */
		"a\xe3\x80\x80",    /* U+3000 ideographic space */
		"\xff",             /* never valid in UTF-8 */
		"a\x80",            /* lone continuation byte */
		"a\xc3",            /* truncated sequence */
		"a\xe2\x80",        /* truncated sequence */
		"\xc0\xaf",         /* overlong '/' */
		"\xe0\x80\xaf",     /* overlong '/' */
		"\xed\xa0\x80",     /* U+D800, a surrogate */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
		too_long,
	};
	const char *good[] = {
		"a",
		"example.com/log",
		"\xc3\xa9t\xc3\xa9",
		"\xe2\x80\x8b",
		"\xf0\x9f\x93\xa6",
		longest,
	};
	uint8_t seed[WB_SEED_LEN] = { 0 };

	(void)state;
	memset(too_long, 'a', WB_KEY_NAME_MAX + 1);
	too_long[WB_KEY_NAME_MAX + 1] = '\0';
	memset(longest, 'a', WB_KEY_NAME_MAX);
	longest[WB_KEY_NAME_MAX] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wb_signer *s = NULL;
		char *text = NULL;
		wb_pubkey pk = { { 0 } };

		assert_false(wb_key_name_valid(bad[i]));
		assert_int_equal(wb_signer_from_seed(&s, bad[i], seed),
		                 WB_EINVAL);
		assert_int_equal(wb_signer_generate(&s, bad[i]), WB_EINVAL);
		assert_null(s);
		assert_int_equal(wb_verifier_format(&text, bad[i], &pk),
		                 WB_EINVAL);
		assert_null(text);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		wb_signer *s = NULL;

		assert_true(wb_key_name_valid(good[i]));
		assert_int_equal(wb_signer_from_seed(&s, good[i], seed), WB_OK);
		assert_string_equal(wb_signer_name(s), good[i]);
		wb_signer_free(s);
	}
	assert_false(wb_key_name_valid(NULL));
}

/* Builds "NAME+KEYID+BASE64(blob)", with a "PRIVATE+KEY+" prefix if asked. */
static char *
key_text(int private, const char *name, uint32_t id, const uint8_t *blob,
         size_t blob_len)
{
	char *b64 = NULL, *text = malloc(512);

	assert_non_null(text);
	assert_int_equal(wb_base64_encode(&b64, blob, blob_len), WB_OK);
	snprintf(text, 512, "%s%s+%08x+%s", private ? "PRIVATE+KEY+" : "", name,
	         (unsigned)id, b64);
	free(b64);
	return text;
}

/* SHA-256(name || 0x0A || alg || key)[:4], for any algorithm byte. */
static uint32_t
id_for(const char *name, const uint8_t *blob, size_t blob_len)
{
	uint8_t buf[256];
	size_t n = strlen(name);
	wb_hash h;

	memcpy(buf, name, n);
	buf[n] = 0x0a;
	memcpy(buf + n + 1, blob, blob_len);
	wb_hash_sha256(&h, buf, n + 1 + blob_len);
	return (uint32_t)h.b[0] << 24 | (uint32_t)h.b[1] << 16 |
	       (uint32_t)h.b[2] << 8 | h.b[3];
}

static void
test_sig_malformed_verifier_keys_rejected(void **state)
{
	wb_signer *s = test_signer(KAT_NAME, 0x01);
	const wb_pubkey *real = wb_signer_pubkey(s);
	const char *fixed[] = {
		"",
		"\n",
		KAT_NAME,
		KAT_NAME "+014ac4af",
		KAT_NAME "+014ac4af+",
		"+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
		KAT_NAME
		"+014ac4a+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
		KAT_NAME
		"+014ac4aff+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
		KAT_NAME
		"+014ac4ag+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
		KAT_NAME
		"+-14ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
		/* key ID of another key */
		KAT_NAME
		"+014ac4ae+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
		/* right key ID, other name */
		"example.com/stampe+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
		/* another public key under the same key ID */
		KAT_NAME
		"+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29d",
		/* bad base64: a '*', a char short, stray '=', inner space */
		KAT_NAME
		"+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29*",
		KAT_NAME
		"+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29",
		KAT_NAME
		"+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c=",
		KAT_NAME
		"+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/ HZQSG/N0iAG0D29c",
		/* extra fields */
		KAT_NAME
		"+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c+x",
		KAT_NAME
		"+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c+AAAA",
		"x+" KAT_NAME
		"+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
		/* a signer key is not a verifier key */
		KAT_SIGNER,
		/* bad names */
		"a b+014ac4af+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
	};
	uint8_t blob[2 + WB_PUBKEY_LEN];
	char name[WB_KEY_NAME_MAX + 1] = "untouched";
	wb_pubkey pk = { { 0 } };
	char *text;

	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		assert_int_equal(wb_verifier_parse(name, &pk, fixed[i]),
		                 WB_EPROTO);
	}
	/* Nothing is written on failure. */
	assert_string_equal(name, "untouched");
	assert_memory_equal(pk.b, (uint8_t[WB_PUBKEY_LEN]){ 0 }, WB_PUBKEY_LEN);

	/* Algorithm byte 0x02, with the key ID computed for it or for 0x01. */
	blob[0] = 0x02;
	memcpy(blob + 1, real->b, WB_PUBKEY_LEN);
	text = key_text(0, KAT_NAME, id_for(KAT_NAME, blob, 1 + WB_PUBKEY_LEN),
	                blob, 1 + WB_PUBKEY_LEN);
	assert_int_equal(wb_verifier_parse(NULL, &pk, text), WB_EPROTO);
	free(text);
	text = key_text(0, KAT_NAME, wb_key_id(KAT_NAME, real), blob,
	                1 + WB_PUBKEY_LEN);
	assert_int_equal(wb_verifier_parse(NULL, &pk, text), WB_EPROTO);
	free(text);

	/* Wrong lengths, each with a self-consistent key ID. */
	blob[0] = 0x01;
	blob[1 + WB_PUBKEY_LEN] = 0x00;
	for (size_t n = 1; n <= 2 + WB_PUBKEY_LEN; n++) {
		if (n == 1 + WB_PUBKEY_LEN) {
			continue;
		}
		text = key_text(0, KAT_NAME, id_for(KAT_NAME, blob, n), blob,
		                n);
		assert_int_equal(wb_verifier_parse(NULL, &pk, text), WB_EPROTO);
		free(text);
	}
	/* The control: the same construction with the right length parses. */
	text = key_text(0, KAT_NAME, id_for(KAT_NAME, blob, 1 + WB_PUBKEY_LEN),
	                blob, 1 + WB_PUBKEY_LEN);
	assert_int_equal(wb_verifier_parse(name, &pk, text), WB_OK);
	assert_string_equal(name, KAT_NAME);
	assert_memory_equal(pk.b, real->b, WB_PUBKEY_LEN);
	free(text);
	wb_signer_free(s);
}

static void
test_sig_malformed_signer_keys_rejected(void **state)
{
	const char *fixed[] = {
		"",
		"PRIVATE+KEY+",
		"PRIVATE+KEY",
		/* wrong prefixes */
		"private+key+" KAT_NAME
		"+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
		"PRIVATE+KEYS+" KAT_NAME
		"+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
		"PRIVATE+" KAT_NAME
		"+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
		"PRIVATEKEY+" KAT_NAME
		"+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
		" PRIVATE+KEY+" KAT_NAME
		"+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
		/* a verifier key is not a signer key */
		KAT_VERIFIER,
		/* key ID mismatch: digit changed, or other name */
		"PRIVATE+KEY+" KAT_NAME
		"+014ac4ae+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
		"PRIVATE+KEY+example.com/other+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
		/* key ID of the wrong width */
		"PRIVATE+KEY+" KAT_NAME
		"+14ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
		/* another seed under the same key ID */
		"PRIVATE+KEY+" KAT_NAME
		"+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEC",
		/* bad base64: a '!', a char short */
		"PRIVATE+KEY+" KAT_NAME
		"+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE!",
		"PRIVATE+KEY+" KAT_NAME
		"+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
		/* extra fields */
		"PRIVATE+KEY+" KAT_NAME
		"+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB+x",
		"PRIVATE+KEY+x+" KAT_NAME
		"+014ac4af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
	};
	uint8_t blob[2 + WB_SEED_LEN];
	wb_signer *s = NULL;
	char *text;

	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		assert_int_equal(wb_signer_parse(&s, fixed[i]), WB_EPROTO);
		assert_null(s);
	}
	/* Algorithm byte 0x02 (key ID right for the derived key) and wrong
	 * seed lengths are refused; the control case parses. */
	memset(blob, 0x01, sizeof(blob));
	blob[0] = 0x02;
	text = key_text(1, KAT_NAME, 0x014ac4af, blob, 1 + WB_SEED_LEN);
	assert_int_equal(wb_signer_parse(&s, text), WB_EPROTO);
	free(text);
	blob[0] = 0x01;
	for (size_t n = 1; n <= 2 + WB_SEED_LEN; n++) {
		text = key_text(1, KAT_NAME, 0x014ac4af, blob, n);
		assert_int_equal(wb_signer_parse(&s, text),
		                 n == 1 + WB_SEED_LEN ? WB_OK : WB_EPROTO);
		if (n == 1 + WB_SEED_LEN) {
			assert_string_equal(text, KAT_SIGNER);
			assert_non_null(s);
			wb_signer_free(s);
			s = NULL;
		}
		free(text);
	}
	assert_null(s);
}

/* As Go's note package, the key ID may come in either case. */
static void
test_sig_key_id_hex_any_case(void **state)
{
	wb_signer *s = NULL;
	wb_pubkey pk;

	(void)state;
	assert_int_equal(
	        wb_verifier_parse(
	                NULL, &pk,
	                KAT_NAME
	                "+014AC4AF+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"),
	        WB_OK);
	assert_int_equal(
	        wb_signer_parse(
	                &s,
	                "PRIVATE+KEY+" KAT_NAME
	                "+014aC4Af+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"),
	        WB_OK);
	assert_memory_equal(wb_signer_pubkey(s)->b, pk.b, WB_PUBKEY_LEN);
	wb_signer_free(s);
}

/* RFC 4648 §10 vectors, and only canonical padded text decodes. */
static void
test_sig_base64_canonical(void **state)
{
	static const char *const plain[] = { "",     "f",     "fo",    "foo",
		                             "foob", "fooba", "foobar" };
	static const char *const enc[] = {
		"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"
	};
	static const char *const bad[] = {
		"Zg",    "Zg=",   "Zg===", "Zh==",   "Zm9=",
		"Zm9vY", "=",     "====",  "Zg==\n", " Zg==",
		"Zg ==", "Zm9v!", "Zm-v",  "Zm_v",   "Zg==Zg==",
	};
	uint8_t out[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		char *b64 = NULL;

		assert_int_equal(
		        wb_base64_encode(&b64, plain[i], strlen(plain[i])),
		        WB_OK);
		assert_string_equal(b64, enc[i]);
		free(b64);
		n = 99;
		assert_int_equal(wb_base64_decode(out, sizeof(out), &n, enc[i],
		                                  strlen(enc[i])),
		                 WB_OK);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(out, plain[i], n);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(wb_base64_decode(out, sizeof(out), &n, bad[i],
		                                  strlen(bad[i])),
		                 WB_EPROTO);
	}
	/* The length given is the text: a NUL inside is a bad character. */
	assert_int_equal(wb_base64_decode(out, sizeof(out), &n, "Zg==\0", 5),
	                 WB_EPROTO);
	/* Decodes that do not fit are refused. */
	assert_int_equal(wb_base64_decode(out, 5, &n, "Zm9vYmFy", 8),
	                 WB_EPROTO);
	assert_int_equal(wb_base64_decode(out, 6, &n, "Zm9vYmFy", 8), WB_OK);
	assert_int_equal(n, 6);
}

static void
test_sig_bad_arguments_refused(void **state)
{
	wb_signer *s = test_signer("example.com/a", 0x70);
	uint8_t sig[WB_SIG_LEN] = { 0 };
	wb_pubkey pk = *wb_signer_pubkey(s);

	(void)state;
	assert_int_equal(wb_sig_sign(sig, s, (wb_sig_context)4, "x", 1),
	                 WB_EINVAL);
	assert_int_equal(wb_sig_sign(sig, s, (wb_sig_context)-1, "x", 1),
	                 WB_EINVAL);
	assert_int_equal(wb_sig_sign(NULL, s, WB_SIG_STAMP, "x", 1), WB_EINVAL);
	assert_int_equal(wb_sig_sign(sig, NULL, WB_SIG_STAMP, "x", 1),
	                 WB_EINVAL);
	assert_int_equal(wb_sig_sign(sig, s, WB_SIG_STAMP, NULL, 1), WB_EINVAL);
	assert_int_equal(wb_sig_verify(&pk, (wb_sig_context)4, "x", 1, sig),
	                 WB_EINVAL);
	assert_int_equal(wb_sig_verify(NULL, WB_SIG_STAMP, "x", 1, sig),
	                 WB_EINVAL);
	assert_int_equal(wb_sig_verify(&pk, WB_SIG_STAMP, "x", 1, NULL),
	                 WB_EINVAL);
	assert_int_equal(wb_sig_verify_raw(&pk, NULL, 1, sig), WB_EINVAL);
	assert_int_equal(wb_sig_sign_raw(sig, NULL, "x", 1), WB_EINVAL);
	assert_int_equal(wb_signer_parse(NULL, KAT_SIGNER), WB_EINVAL);
	assert_int_equal(wb_verifier_parse(NULL, NULL, KAT_VERIFIER),
	                 WB_EINVAL);
	assert_int_equal(wb_signer_format(NULL, s), WB_EINVAL);
	/* The free functions take NULL. */
	wb_signer_free(NULL);
	wb_secret_free(NULL);
	wb_signer_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sig_context_strings_are_fixed),
		cmocka_unit_test(test_sig_raw_matches_rfc8032),
		cmocka_unit_test(
		        test_sig_context_signatures_match_known_answers),
		cmocka_unit_test(test_sig_message_is_context_nul_payload),
		cmocka_unit_test(test_sig_sign_verify_round_trips),
		cmocka_unit_test(test_sig_domain_separation),
		cmocka_unit_test(test_sig_flipped_bit_fails),
		cmocka_unit_test(test_sig_key_texts_match_known_answers),
		cmocka_unit_test(test_sig_key_id_follows_c2sp_rule),
		cmocka_unit_test(test_sig_key_texts_round_trip),
		cmocka_unit_test(test_sig_key_texts_allow_trailing_space_only),
		cmocka_unit_test(test_sig_generate_gives_distinct_keys),
		cmocka_unit_test(test_sig_from_seed_is_deterministic),
		cmocka_unit_test(test_sig_bad_names_rejected),
		cmocka_unit_test(test_sig_malformed_verifier_keys_rejected),
		cmocka_unit_test(test_sig_malformed_signer_keys_rejected),
		cmocka_unit_test(test_sig_key_id_hex_any_case),
		cmocka_unit_test(test_sig_base64_canonical),
		cmocka_unit_test(test_sig_bad_arguments_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
