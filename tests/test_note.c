/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VECTORS "c2sp/signed-note-vectors.json"

#define EM_DASH "\xe2\x80\x94"

/*
 * A checkpoint computed outside this code base (pyca/cryptography Ed25519,
 * Python hashlib/base64): origin KAT_ORIGIN, size 42, root SHA-256(""),
 * signed by the key whose seed is 0x07 repeated.
 */
#define KAT_ORIGIN "log.example/waybill"
#define KAT_CHECKPOINT                                   \
	"log.example/waybill\n"                          \
	"42\n"                                           \
	"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n" \
	"\n" EM_DASH                                     \
	" log.example/waybill V4AXmDUVq9HttTcUjn9DHCT/1zbpNL02NLfmFkkWLpp4FDBNs1kBfhwPoeE56YsoXLyXqmBhBoozIys1J1PnjxG6hA4=\n"
#define KAT_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* The C2SP/Go reference vector, loaded once. */
static json_t *vector;

static const char *
vec_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static int
group_setup(void **state)
{
	json_error_t err;
	json_t *root, *list;

	(void)state;
	if (wb_init() != WB_OK) {
		return -1;
	}
	root = json_load_file(test_shared_path(VECTORS), 0, &err);
	if (root == NULL) {
		fprintf(stderr, "%s:%d: %s\n", VECTORS, err.line, err.text);
		return -1;
	}
	list = json_object_get(root, "ed25519");
	if (!json_is_array(list) || json_array_size(list) < 1) {
		json_decref(root);
		return -1;
	}
	vector = json_incref(json_array_get(list, 0));
	json_decref(root);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	json_decref(vector);
	return 0;
}

/* The signature block of a note: what follows its last blank line. */
static const char *
sig_block(const char *note)
{
	const char *p = NULL;

	for (const char *q = strstr(note, "\n\n"); q != NULL;
	     q = strstr(q + 1, "\n\n")) {
		p = q;
	}
	assert_non_null(p);
	return p + 2;
}

/* Concatenates up to 8 strings into malloc'd memory. */
static char *
cat(const char *a, const char *b, const char *c, const char *d, const char *e,
    const char *f, const char *g, const char *h)
{
	const char *parts[] = { a, b, c, d, e, f, g, h };
	size_t len = 0;
	char *out;

	for (size_t i = 0; i < 8; i++) {
		len += parts[i] != NULL ? strlen(parts[i]) : 0;
	}
	out = malloc(len + 1);
	assert_non_null(out);
	out[0] = '\0';
	for (size_t i = 0; i < 8; i++) {
		if (parts[i] != NULL) {
			strcat(out, parts[i]);
		}
	}
	return out;
}

static wb_err
verify_str(const char *note, const wb_signer *s)
{
	return wb_note_verify(NULL, note, strlen(note), wb_signer_name(s),
	                      wb_signer_pubkey(s));
}

static void
test_note_c2sp_vector_keys(void **state)
{
	const char *vkey = vec_str(vector, "verifier_key");
	const char *skey = vec_str(vector, "signer_key");
	char name[WB_KEY_NAME_MAX + 1];
	char *text = NULL;
	wb_signer *s = NULL;
	wb_pubkey pk;
	uint8_t id[4];
	size_t n;

	(void)state;
	assert_int_equal(wb_verifier_parse(name, &pk, vkey), WB_OK);
	assert_string_equal(name, vec_str(vector, "key_name"));
	assert_int_equal(
	        wb_hex_decode(id, 4, &n, vec_str(vector, "key_id_hex"), 8),
	        WB_OK);
	assert_int_equal(wb_key_id(name, &pk),
	                 (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
	                         (uint32_t)id[2] << 8 | id[3]);

	assert_int_equal(wb_signer_parse(&s, skey), WB_OK);
	assert_string_equal(wb_signer_name(s), name);
	assert_memory_equal(wb_signer_pubkey(s)->b, pk.b, WB_PUBKEY_LEN);

	/* Both texts come back out exactly as they went in. */
	assert_int_equal(wb_signer_format(&text, s), WB_OK);
	assert_string_equal(text, skey);
	wb_secret_free(text);
	assert_int_equal(wb_verifier_format(&text, name, &pk), WB_OK);
	assert_string_equal(text, vkey);
	free(text);
	wb_signer_free(s);
}

static void
test_note_c2sp_vector_signs_byte_for_byte(void **state)
{
	wb_signer *s = NULL;
	char *note = NULL;

	(void)state;
	assert_int_equal(wb_signer_parse(&s, vec_str(vector, "signer_key")),
	                 WB_OK);
	assert_int_equal(wb_note_sign(&note, vec_str(vector, "text"), s),
	                 WB_OK);
	assert_string_equal(note, vec_str(vector, "note"));
	assert_string_equal(sig_block(note), vec_str(vector, "signature_line"));
	free(note);
	wb_signer_free(s);
}

static void
test_note_c2sp_vector_verifies(void **state)
{
	const char *note = vec_str(vector, "note");
	char name[WB_KEY_NAME_MAX + 1];
	size_t text_len = 0;
	wb_pubkey pk;

	(void)state;
	assert_int_equal(
	        wb_verifier_parse(name, &pk, vec_str(vector, "verifier_key")),
	        WB_OK);
	assert_int_equal(
	        wb_note_verify(&text_len, note, strlen(note), name, &pk),
	        WB_OK);
	assert_int_equal(text_len, strlen(vec_str(vector, "text")));
	assert_memory_equal(note, vec_str(vector, "text"), text_len);
}

static void
test_note_c2sp_vector_must_reject(void **state)
{
	json_t *list = json_object_get(vector, "must_reject");
	char name[WB_KEY_NAME_MAX + 1];
	int notes = 0, keys = 0;
	wb_pubkey pk;

	(void)state;
	assert_true(json_is_array(list));
	assert_int_equal(
	        wb_verifier_parse(name, &pk, vec_str(vector, "verifier_key")),
	        WB_OK);
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *c = json_array_get(list, i);
		wb_pubkey bad;

		if (json_object_get(c, "note") != NULL) {
			const char *note = vec_str(c, "note");

			assert_int_equal(wb_note_verify(NULL, note,
			                                strlen(note), name,
			                                &pk),
			                 WB_EBADSIG);
			notes++;
		}
		if (json_object_get(c, "verifier_key") != NULL) {
			assert_int_equal(
			        wb_verifier_parse(NULL, &bad,
			                          vec_str(c, "verifier_key")),
			        WB_EPROTO);
			keys++;
		}
	}
	assert_int_equal(notes, 1);
	assert_int_equal(keys, 1);
}

static void
test_note_sign_verify_round_trips(void **state)
{
	wb_signer *s = test_signer("example.com/notary", 0x01);
	const char *prefix = EM_DASH " example.com/notary ";
	const char *texts[] = {
		"\n",
		"one line\n",
		"two\nlines\n",
		"a blank line\n\ninside\n",
		"blank lines at the end\n\n\n",
		"\xc3\xa9t\xc3\xa9 \xe2\x80\x94 UTF-8 \xf0\x9f\x93\xa6\n",
		"DEL \x7f is not below U+0020\n",
		"\xe2\x80\x94 looks like a signature line\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *note = NULL;
		size_t text_len = 0;

		assert_int_equal(wb_note_sign(&note, texts[i], s), WB_OK);
		assert_int_equal(strncmp(note, texts[i], strlen(texts[i])), 0);
		assert_int_equal(note[strlen(texts[i])], '\n');
		assert_int_equal(
		        strncmp(sig_block(note), prefix, strlen(prefix)), 0);
		assert_int_equal(wb_note_verify(&text_len, note, strlen(note),
		                                wb_signer_name(s),
		                                wb_signer_pubkey(s)),
		                 WB_OK);
		assert_int_equal(text_len, strlen(texts[i]));
		free(note);
	}
	wb_signer_free(s);
}

static void
test_note_sign_rejects_bad_text(void **state)
{
	wb_signer *s = test_signer("example.com/notary", 0x01);
	const char *bad[] = {
		"",
		"no final newline",
		"two lines\nno final newline",
		"tab\there\n",
		"carriage return\r\n",
		"\x01\n",
		"escape \x1b[0m\n",
		"bad UTF-8 \xff\n",
		"overlong \xc0\xaf\n",
		"surrogate \xed\xa0\x80\n",
		"truncated \xe2\x80\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *note = NULL;

		assert_int_equal(wb_note_sign(&note, bad[i], s), WB_EINVAL);
		assert_null(note);
	}
	wb_signer_free(s);
}

/* Our signature is found among others, wherever it is. */
static void
test_note_multiple_signatures(void **state)
{
	wb_signer *a = test_signer("example.com/a", 0x0a);
	wb_signer *b = test_signer("example.com/b", 0x0b);
	wb_signer *w = test_signer("witness.example/w", 0x0c);
	wb_signer *absent = test_signer("example.com/absent", 0x0d);
	const char *text = "shared text\n";
	char *na = NULL, *nb = NULL, *nw = NULL, *note;
	size_t text_len = 0;

	(void)state;
	assert_int_equal(wb_note_sign(&na, text, a), WB_OK);
	assert_int_equal(wb_note_sign(&nb, text, b), WB_OK);
	assert_int_equal(wb_note_sign(&nw, text, w), WB_OK);

	note = cat(text, "\n", sig_block(nw), sig_block(na), sig_block(nb),
	           NULL, NULL, NULL);
	assert_int_equal(verify_str(note, a), WB_OK);
	assert_int_equal(verify_str(note, b), WB_OK);
	assert_int_equal(verify_str(note, w), WB_OK);
	assert_int_equal(wb_note_verify(&text_len, note, strlen(note),
	                                "example.com/b", wb_signer_pubkey(b)),
	                 WB_OK);
	assert_int_equal(text_len, strlen(text));
	assert_int_equal(verify_str(note, absent), WB_EBADSIG);
	free(note);

	/* A signature line of an unknown key type (0xff, longer) is ignored,
	 * like any signature we have no key for. */
	{
		uint8_t blob[4 + 200];
		char *b64 = NULL;

		memset(blob, 0xff, sizeof(blob));
		assert_int_equal(wb_base64_encode(&b64, blob, sizeof(blob)),
		                 WB_OK);
		note = cat(text, "\n", EM_DASH " other.example/pq ", b64, "\n",
		           sig_block(na), NULL, NULL);
		assert_int_equal(verify_str(note, a), WB_OK);
		free(note);
		free(b64);
	}
	free(na);
	free(nb);
	free(nw);
	wb_signer_free(absent);
	wb_signer_free(w);
	wb_signer_free(b);
	wb_signer_free(a);
}

static void
test_note_missing_or_bad_signature(void **state)
{
	wb_signer *a = test_signer("example.com/a", 0x0a);
	/* Same name, other key: other key ID, so its line is not ours. */
	wb_signer *a2 = test_signer("example.com/a", 0x0e);
	/* Same key, other name: other key ID too. */
	wb_signer *renamed = test_signer("example.com/renamed", 0x0a);
	const char *text = "text\n";
	char *na = NULL, *na2 = NULL, *nr = NULL, *note, *b64 = NULL;
	uint8_t blob[4 + WB_SIG_LEN + 1];
	uint32_t id = wb_key_id("example.com/a", wb_signer_pubkey(a));

	(void)state;
	assert_int_equal(wb_note_sign(&na, text, a), WB_OK);
	assert_int_equal(wb_note_sign(&na2, text, a2), WB_OK);
	assert_int_equal(wb_note_sign(&nr, text, renamed), WB_OK);
	assert_int_equal(verify_str(na2, a), WB_EBADSIG);
	assert_int_equal(verify_str(na, a2), WB_EBADSIG);
	assert_int_equal(verify_str(nr, a), WB_EBADSIG);
	/* The key name, not the text, says whose signature it is. */
	assert_int_equal(wb_note_verify(NULL, nr, strlen(nr), "example.com/a",
	                                wb_signer_pubkey(a)),
	                 WB_EBADSIG);

	/* Our name and key ID with a wrong signature, or a short one. */
	blob[0] = (uint8_t)(id >> 24);
	blob[1] = (uint8_t)(id >> 16);
	blob[2] = (uint8_t)(id >> 8);
	blob[3] = (uint8_t)id;
	memset(blob + 4, 0x5a, sizeof(blob) - 4);
	for (size_t n = 5; n <= sizeof(blob); n++) {
		assert_int_equal(wb_base64_encode(&b64, blob, n), WB_OK);
		note = cat(text, "\n", EM_DASH " example.com/a ", b64, "\n",
		           NULL, NULL, NULL);
		assert_int_equal(verify_str(note, a), WB_EBADSIG);
		free(note);
		free(b64);
		b64 = NULL;
	}
	/*
	 * Lines that are not ours come first and must be skipped, not taken
	 * as ours: the same name under another key ID (an old key after a
	 * rotation), and our key ID under another name with a bad signature.
	 */
	note = cat(text, "\n", sig_block(na2), sig_block(na), NULL, NULL, NULL,
	           NULL);
	assert_int_equal(verify_str(note, a), WB_OK);
	assert_int_equal(verify_str(note, a2), WB_OK);
	free(note);
	assert_int_equal(wb_base64_encode(&b64, blob, 4 + WB_SIG_LEN), WB_OK);
	note = cat(text, "\n", EM_DASH " example.com/x ", b64, "\n",
	           sig_block(na), NULL, NULL);
	assert_int_equal(verify_str(note, a), WB_OK);
	free(note);
	free(b64);
	b64 = NULL;

	/* A signature by our key over other text. */
	note = cat("other text\n\n", sig_block(na), NULL, NULL, NULL, NULL,
	           NULL, NULL);
	assert_int_equal(verify_str(note, a), WB_EBADSIG);
	free(note);
	free(nr);
	free(na2);
	free(na);
	wb_signer_free(renamed);
	wb_signer_free(a2);
	wb_signer_free(a);
}

/* As in Go's note.Open, the first line by our key decides; later lines by
 * the same key are skipped. */
static void
test_note_first_signature_by_key_decides(void **state)
{
	wb_signer *a = test_signer("example.com/a", 0x0a);
	const char *text = "text\n";
	char *na = NULL, *nx = NULL, *note;

	(void)state;
	assert_int_equal(wb_note_sign(&na, text, a), WB_OK);
	assert_int_equal(wb_note_sign(&nx, "other text\n", a), WB_OK);
	note = cat(text, "\n", sig_block(na), sig_block(nx), NULL, NULL, NULL,
	           NULL);
	assert_int_equal(verify_str(note, a), WB_OK);
	free(note);
	note = cat(text, "\n", sig_block(nx), sig_block(na), NULL, NULL, NULL,
	           NULL);
	assert_int_equal(verify_str(note, a), WB_EBADSIG);
	free(note);
	free(nx);
	free(na);
	wb_signer_free(a);
}

static void
test_note_malformed_rejected(void **state)
{
	wb_signer *a = test_signer("example.com/a", 0x0a);
	char *na = NULL, *line, *line_nonl, *b64sig;
	const char *text = "text\n";

	(void)state;
	assert_int_equal(wb_note_sign(&na, text, a), WB_OK);
	line = strdup(sig_block(na));
	assert_non_null(line);
	line_nonl = strndup(line, strlen(line) - 1);
	assert_non_null(line_nonl);
	/* The base64 of the signature line, with its newline. */
	b64sig = line + strlen(EM_DASH " example.com/a ");
	{
		char *bad[] = {
			/* no blank line before the signatures */
			cat(text, line, NULL, NULL, NULL, NULL, NULL, NULL),
			/* no final newline */
			cat(text, "\n", line_nonl, NULL, NULL, NULL, NULL,
			    NULL),
			/* nothing after the blank line */
			cat(text, "\n", NULL, NULL, NULL, NULL, NULL, NULL),
			/* an empty line among the signatures is the last
			 * blank line, and then the signature block is empty */
			cat(text, "\n", line, "\n", NULL, NULL, NULL, NULL),
			/* an ASCII hyphen, an en dash, no space after the
			 * dash, two spaces */
			cat(text, "\n- example.com/a ", b64sig, NULL, NULL,
			    NULL, NULL, NULL),
			cat(text, "\n\xe2\x80\x93 example.com/a ", b64sig, NULL,
			    NULL, NULL, NULL, NULL),
			cat(text, "\n" EM_DASH "example.com/a ", b64sig, NULL,
			    NULL, NULL, NULL, NULL),
			cat(text, "\n" EM_DASH "  example.com/a ", b64sig, NULL,
			    NULL, NULL, NULL, NULL),
			cat(text, "\n" EM_DASH " example.com/a  ", b64sig, NULL,
			    NULL, NULL, NULL, NULL),
			/* no space, no signature, empty signature */
			cat(text, "\n" EM_DASH " example.com/a\n", NULL, NULL,
			    NULL, NULL, NULL, NULL),
			cat(text, "\n" EM_DASH " example.com/a \n", NULL, NULL,
			    NULL, NULL, NULL, NULL),
			cat(text, "\n" EM_DASH " \n", NULL, NULL, NULL, NULL,
			    NULL, NULL),
			/* bad names */
			cat(text, "\n" EM_DASH " ", b64sig, NULL, NULL, NULL,
			    NULL, NULL),
			cat(text, "\n" EM_DASH " example.com+a ", b64sig, NULL,
			    NULL, NULL, NULL, NULL),
			cat(text,
			    "\n" EM_DASH " example.com\xc2\xa0"
			    "a ",
			    b64sig, NULL, NULL, NULL, NULL, NULL),
			cat(text,
			    "\n" EM_DASH " example\xe3\x80\x80"
			    "a ",
			    b64sig, NULL, NULL, NULL, NULL, NULL),
			/* bad base64, and base64 of fewer than 5 bytes */
			cat(text, "\n" EM_DASH " example.com/a !!!!\n", NULL,
			    NULL, NULL, NULL, NULL, NULL),
			cat(text, "\n" EM_DASH " example.com/a AAAAAA==\n",
			    NULL, NULL, NULL, NULL, NULL, NULL),
			cat(text, "\n" EM_DASH " example.com/a AAAAAAB=\n",
			    NULL, NULL, NULL, NULL, NULL, NULL),
			/* a malformed line after ours still spoils the note */
			cat(text, "\n", line, "garbage\n", NULL, NULL, NULL,
			    NULL),
			cat(text, "\n", line, EM_DASH " w.example/w !\n", NULL,
			    NULL, NULL, NULL),
			/* control characters, in the text or the signatures */
			cat("te\tx\n\n", line, NULL, NULL, NULL, NULL, NULL,
			    NULL),
			cat("te\rx\n\n", line, NULL, NULL, NULL, NULL, NULL,
			    NULL),
			cat("te\x1bx\n\n", line, NULL, NULL, NULL, NULL, NULL,
			    NULL),
			cat(text, "\n", line,
			    EM_DASH " w.example/w\tAAAAAAAA\n", NULL, NULL,
			    NULL, NULL),
			/* not UTF-8 */
			cat("te\xffx\n\n", line, NULL, NULL, NULL, NULL, NULL,
			    NULL),
			cat("te\xc3x\n\n", line, NULL, NULL, NULL, NULL, NULL,
			    NULL),
			cat(text, "\n", line,
			    EM_DASH " w.example/\xff AAAAAAAA\n", NULL, NULL,
			    NULL, NULL),
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(verify_str(bad[i], a), WB_EPROTO);
			free(bad[i]);
		}
	}
	/* A NUL inside the given length is a control character. */
	{
		char *note =
		        cat(text, "\n", line, NULL, NULL, NULL, NULL, NULL);
		size_t len = strlen(note);

		assert_int_equal(verify_str(note, a), WB_OK);
		note[1] = '\0';
		assert_int_equal(wb_note_verify(NULL, note, len,
		                                "example.com/a",
		                                wb_signer_pubkey(a)),
		                 WB_EPROTO);
		free(note);
	}
	assert_int_equal(wb_note_verify(NULL, "", 0, "example.com/a",
	                                wb_signer_pubkey(a)),
	                 WB_EPROTO);
	free(line_nonl);
	free(line);
	free(na);
	wb_signer_free(a);
}

/* Up to 100 signature lines are read (Go's limit; C2SP asks for at least
 * 16); one more makes the note malformed. */
static void
test_note_signature_limit(void **state)
{
	wb_signer *a = test_signer("example.com/a", 0x0a);
	const char *text = "text\n";
	const char *foreign = EM_DASH " w.example/w AAAAAAAAAAAAAAAAAAAAAAAA\n";
	size_t flen = strlen(foreign);
	char *na = NULL, *note;
	const char *ours;
	size_t counts[] = { 15, 99, 100 };

	(void)state;
	assert_int_equal(wb_note_sign(&na, text, a), WB_OK);
	ours = sig_block(na);
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		size_t len = strlen(text) + 1 + counts[c] * flen + strlen(ours);
		char *p;

		note = malloc(len + 1);
		assert_non_null(note);
		p = note + sprintf(note, "%s\n", text);
		for (size_t i = 0; i < counts[c]; i++) {
			p += sprintf(p, "%s", foreign);
		}
		sprintf(p, "%s", ours);
		/* counts[c] foreign lines plus ours */
		assert_int_equal(verify_str(note, a),
		                 counts[c] + 1 <= 100 ? WB_OK : WB_EPROTO);
		free(note);
	}
	free(na);
	wb_signer_free(a);
}

static void
test_note_bad_arguments_refused(void **state)
{
	wb_signer *a = test_signer("example.com/a", 0x0a);
	char *note = NULL;

	(void)state;
	assert_int_equal(wb_note_sign(NULL, "t\n", a), WB_EINVAL);
	assert_int_equal(wb_note_sign(&note, NULL, a), WB_EINVAL);
	assert_int_equal(wb_note_sign(&note, "t\n", NULL), WB_EINVAL);
	assert_int_equal(wb_note_sign(&note, "t\n", a), WB_OK);
	assert_int_equal(wb_note_verify(NULL, note, strlen(note), "bad name",
	                                wb_signer_pubkey(a)),
	                 WB_EINVAL);
	assert_int_equal(wb_note_verify(NULL, note, strlen(note), NULL,
	                                wb_signer_pubkey(a)),
	                 WB_EINVAL);
	assert_int_equal(
	        wb_note_verify(NULL, note, strlen(note), "example.com/a", NULL),
	        WB_EINVAL);
	free(note);
	wb_signer_free(a);
}

static void
test_checkpoint_matches_known_answer(void **state)
{
	wb_signer *log = test_signer(KAT_ORIGIN, 0x07);
	wb_checkpoint cp;
	char *note = NULL;
	wb_hash root;

	(void)state;
	assert_int_equal(wb_hash_from_hex(&root, KAT_EMPTY_SHA256), WB_OK);
	assert_int_equal(wb_checkpoint_sign(&note, KAT_ORIGIN, 42, &root, log),
	                 WB_OK);
	assert_string_equal(note, KAT_CHECKPOINT);
	free(note);
	assert_int_equal(wb_checkpoint_verify(
	                         &cp, KAT_CHECKPOINT, strlen(KAT_CHECKPOINT),
	                         KAT_ORIGIN, wb_signer_pubkey(log)),
	                 WB_OK);
	assert_string_equal(cp.origin, KAT_ORIGIN);
	assert_int_equal(cp.size, 42);
	assert_true(wb_hash_equal(&cp.root, &root));
	wb_signer_free(log);
}

static void
test_checkpoint_round_trips(void **state)
{
	wb_signer *log = test_signer("example.com/log", 0x21);
	const uint64_t sizes[] = { 0, 1, 9, 10, 123456789, UINT64_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		wb_checkpoint cp, cp2;
		char *note = NULL, want[32];
		wb_hash root;

		wb_hash_sha256(&root, &sizes[i], sizeof(sizes[i]));
		assert_int_equal(wb_checkpoint_sign(&note, "example.com/log",
		                                    sizes[i], &root, log),
		                 WB_OK);
		snprintf(want, sizeof(want), "example.com/log\n%llu\n",
		         (unsigned long long)sizes[i]);
		assert_int_equal(strncmp(note, want, strlen(want)), 0);
		memset(&cp, 0xa5, sizeof(cp));
		assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note),
		                                      "example.com/log",
		                                      wb_signer_pubkey(log)),
		                 WB_OK);
		assert_string_equal(cp.origin, "example.com/log");
		assert_int_equal(cp.size, sizes[i]);
		assert_true(wb_hash_equal(&cp.root, &root));
		/* With no origin given, the key name is the origin line. */
		assert_int_equal(wb_checkpoint_verify(&cp2, note, strlen(note),
		                                      NULL,
		                                      wb_signer_pubkey(log)),
		                 WB_OK);
		assert_string_equal(cp2.origin, cp.origin);
		assert_int_equal(cp2.size, cp.size);
		assert_true(wb_hash_equal(&cp2.root, &cp.root));
		free(note);
	}
	wb_signer_free(log);
}

static void
test_checkpoint_sign_needs_origin_as_key_name(void **state)
{
	wb_signer *log = test_signer("example.com/log", 0x21);
	char *note = NULL;
	wb_hash root = { { 0 } };

	(void)state;
	assert_int_equal(
	        wb_checkpoint_sign(&note, "example.com/other", 1, &root, log),
	        WB_EINVAL);
	assert_int_equal(
	        wb_checkpoint_sign(&note, "example.com/lo", 1, &root, log),
	        WB_EINVAL);
	assert_int_equal(wb_checkpoint_sign(&note, "", 1, &root, log),
	                 WB_EINVAL);
	assert_int_equal(wb_checkpoint_sign(&note, NULL, 1, &root, log),
	                 WB_EINVAL);
	assert_int_equal(
	        wb_checkpoint_sign(&note, "example.com/log", 1, NULL, log),
	        WB_EINVAL);
	assert_null(note);
	wb_signer_free(log);
}

static void
test_checkpoint_wrong_origin_or_key_fails(void **state)
{
	wb_signer *log = test_signer("example.com/log", 0x21);
	wb_signer *other = test_signer("example.com/log", 0x22);
	wb_signer *b = test_signer("example.com/b", 0x21);
	char *note = NULL, *nb = NULL, *forged = NULL;
	wb_checkpoint cp;
	wb_hash root = { { 1 } };

	(void)state;
	assert_int_equal(
	        wb_checkpoint_sign(&note, "example.com/log", 5, &root, log),
	        WB_OK);
	memset(&cp, 0, sizeof(cp));
	assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note),
	                                      "example.com/b",
	                                      wb_signer_pubkey(log)),
	                 WB_EBADSIG);
	assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note),
	                                      "example.com/log",
	                                      wb_signer_pubkey(other)),
	                 WB_EBADSIG);
	assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note), NULL,
	                                      wb_signer_pubkey(other)),
	                 WB_EBADSIG);
	/* Nothing is written on failure. */
	assert_int_equal(cp.size, 0);
	assert_string_equal(cp.origin, "");

	/* A note whose origin line is not its signer's key name is not a
	 * checkpoint of that log, even though the signature is good. */
	assert_int_equal(
	        wb_note_sign(&forged,
	                     "example.com/log\n5\n"
	                     "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	                     b),
	        WB_OK);
	assert_int_equal(verify_str(forged, b), WB_OK);
	assert_int_equal(wb_checkpoint_verify(&cp, forged, strlen(forged),
	                                      "example.com/b",
	                                      wb_signer_pubkey(b)),
	                 WB_EBADSIG);
	assert_int_equal(wb_checkpoint_verify(&cp, forged, strlen(forged), NULL,
	                                      wb_signer_pubkey(b)),
	                 WB_EBADSIG);
	/* The control: the same text by the log key verifies. */
	assert_int_equal(
	        wb_note_sign(&nb,
	                     "example.com/log\n5\n"
	                     "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	                     log),
	        WB_OK);
	assert_string_equal(nb, note);
	free(nb);
	free(forged);
	free(note);
	wb_signer_free(b);
	wb_signer_free(other);
	wb_signer_free(log);
}

/* Replaces the first occurrence of from by to in note (same length). */
static char *
edit(const char *note, const char *from, const char *to)
{
	char *out = strdup(note), *p;

	assert_non_null(out);
	assert_int_equal(strlen(from), strlen(to));
	p = strstr(out, from);
	assert_non_null(p);
	memcpy(p, to, strlen(to));
	return out;
}

static void
test_checkpoint_tampering_fails(void **state)
{
	wb_signer *log = test_signer(KAT_ORIGIN, 0x07);
	const char *note = KAT_CHECKPOINT;
	const char *edits[][2] = {
		{ "\n42\n", "\n43\n" },
		{ "\n42\n", "\n24\n" },
		{ "47DEQpj8", "47DEQpj9" },
		{ "hSuFU=", "hSuFE=" },
		{ "log.example/waybill\n", "log.example/waybilL\n" },
	};
	wb_checkpoint cp;

	(void)state;
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *bad = edit(note, edits[i][0], edits[i][1]);

		assert_int_equal(wb_checkpoint_verify(&cp, bad, strlen(bad),
		                                      NULL,
		                                      wb_signer_pubkey(log)),
		                 WB_EBADSIG);
		free(bad);
	}
	wb_signer_free(log);
}

/* Texts that are not checkpoints, each validly signed by the log key. */
static void
test_checkpoint_malformed_text_rejected(void **state)
{
	wb_signer *log = test_signer("o", 0x31);
#define ROOT "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	const char *bad[] = {
		"o\n",
		"o\n1\n",
		"o\n1\n" ROOT "\n\n",      /* empty extension line */
		"o\n1\n" ROOT "\next\n\n", /* empty extension line */
		"o\n1\n\n" ROOT "\n",      /* empty line for the root */
		"o\n\n" ROOT "\n",         /* empty size */
		"\n1\n" ROOT "\n",         /* empty origin */
		"o\n01\n" ROOT "\n",       /* leading zero */
		"o\n00\n" ROOT "\n",       /* leading zero */
		"o\n+1\n" ROOT "\n",       /* sign */
		"o\n-1\n" ROOT "\n",       /* sign */
		"o\n 1\n" ROOT "\n",       /* space */
		"o\n1 \n" ROOT "\n",       /* space */
		"o\n1a\n" ROOT "\n",       /* not decimal */
		"o\n0x1\n" ROOT "\n",      /* not decimal */
		"o\n18446744073709551616\n" ROOT "\n", /* 2^64 */
		"o\n99999999999999999999\n" ROOT "\n", /* past 2^64 */
		"o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuA==\n",
		"o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFWh\n",
		"o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",
		"o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",
		"o\n1\n" ROOT " \n",
		"o\n1\n47DEQpj8HBSa-_TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
	};
	wb_checkpoint cp;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *note = NULL;

		assert_int_equal(wb_note_sign(&note, bad[i], log), WB_OK);
		assert_int_equal(verify_str(note, log), WB_OK);
		assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note),
		                                      "o",
		                                      wb_signer_pubkey(log)),
		                 WB_EPROTO);
		assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note),
		                                      NULL,
		                                      wb_signer_pubkey(log)),
		                 WB_EPROTO);
		free(note);
	}
	/* The controls: 2^64 - 1 and a 32-byte root parse. */
	{
		char *note = NULL;

		assert_int_equal(wb_note_sign(&note,
		                              "o\n18446744073709551615\n" ROOT
		                              "\n",
		                              log),
		                 WB_OK);
		assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note),
		                                      "o",
		                                      wb_signer_pubkey(log)),
		                 WB_OK);
		assert_true(cp.size == UINT64_MAX);
		free(note);
	}
#undef ROOT
	wb_signer_free(log);
}

static void
test_checkpoint_extension_lines_accepted(void **state)
{
	wb_signer *log = test_signer("example.com/log", 0x21);
	wb_signer *witness = test_signer("witness.example/w", 0x41);
	const char *text = "example.com/log\n7\n"
	                   "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
	                   "extension one\n"
	                   "\xe2\x80\x94 extension two\n";
	char *note = NULL, *wnote = NULL, *both;
	wb_checkpoint cp;
	wb_hash root;

	(void)state;
	assert_int_equal(wb_hash_from_hex(&root, KAT_EMPTY_SHA256), WB_OK);
	assert_int_equal(wb_note_sign(&note, text, log), WB_OK);
	assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note),
	                                      "example.com/log",
	                                      wb_signer_pubkey(log)),
	                 WB_OK);
	assert_string_equal(cp.origin, "example.com/log");
	assert_int_equal(cp.size, 7);
	assert_true(wb_hash_equal(&cp.root, &root));

	/* A witness cosignature beside the log's is ignored. */
	assert_int_equal(wb_note_sign(&wnote, text, witness), WB_OK);
	both = cat(text, "\n", sig_block(wnote), sig_block(note), NULL, NULL,
	           NULL, NULL);
	assert_int_equal(wb_checkpoint_verify(&cp, both, strlen(both), NULL,
	                                      wb_signer_pubkey(log)),
	                 WB_OK);
	assert_int_equal(cp.size, 7);
	/* ... but the witness is not the log. */
	assert_int_equal(wb_checkpoint_verify(&cp, both, strlen(both), NULL,
	                                      wb_signer_pubkey(witness)),
	                 WB_EBADSIG);
	free(both);
	free(wnote);
	free(note);
	wb_signer_free(witness);
	wb_signer_free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_note_c2sp_vector_keys),
		cmocka_unit_test(test_note_c2sp_vector_signs_byte_for_byte),
		cmocka_unit_test(test_note_c2sp_vector_verifies),
		cmocka_unit_test(test_note_c2sp_vector_must_reject),
		cmocka_unit_test(test_note_sign_verify_round_trips),
		cmocka_unit_test(test_note_sign_rejects_bad_text),
		cmocka_unit_test(test_note_multiple_signatures),
		cmocka_unit_test(test_note_missing_or_bad_signature),
		cmocka_unit_test(test_note_first_signature_by_key_decides),
		cmocka_unit_test(test_note_malformed_rejected),
		cmocka_unit_test(test_note_signature_limit),
		cmocka_unit_test(test_note_bad_arguments_refused),
		cmocka_unit_test(test_checkpoint_matches_known_answer),
		cmocka_unit_test(test_checkpoint_round_trips),
		cmocka_unit_test(test_checkpoint_sign_needs_origin_as_key_name),
		cmocka_unit_test(test_checkpoint_wrong_origin_or_key_fails),
		cmocka_unit_test(test_checkpoint_tampering_fails),
		cmocka_unit_test(test_checkpoint_malformed_text_rejected),
		cmocka_unit_test(test_checkpoint_extension_lines_accepted),
	};

	test_require_shared(VECTORS);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
