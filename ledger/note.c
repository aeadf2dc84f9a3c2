/* SPDX-License-Identifier: MIT */
#include "waybill/note.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * Go's golang.org/x/mod/sumdb/note refuses a note with more than 100
 * signature lines; c2sp.org/signed-note asks for a limit that accepts at
 * least 16. We use Go's number so that whatever Go opens, we open.
 */
#define NOTE_MAX_SIGS 100

/* U+2014 em dash, then a space: how every signature line starts. */
#define SIG_PREFIX     "\xe2\x80\x94 "
#define SIG_PREFIX_LEN (sizeof(SIG_PREFIX) - 1)

/* base64 of key ID (4) || Ed25519 signature (64), without the NUL. */
#define SIG_B64_LEN 92

/*
 * The rule for a whole note, and for the text we sign: valid UTF-8 and no
 * ASCII control character but the newline. DEL and C1 characters are not
 * "ASCII control characters below U+0020" and are allowed, as in Go.
 */
static int
note_chars_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = wb_utf8_decode(&cp, p + i, len - i);

		if (n == 0 || (cp < 0x20 && cp != '\n')) {
			return 0;
		}
		i += n;
	}
	return 1;
}

/*
 * A key name on a signature line, by the C2SP rule only: non-empty, no
 * Unicode space, no '+'. Other signers' names are not held to waybill's
 * stricter rule for its own keys (wb_key_name_valid()): the spec says to
 * ignore unknown signatures, not to refuse them.
 */
static int
sig_name_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	if (len == 0) {
		return 0;
	}
	while (i < len) {
		uint32_t cp;
		size_t n = wb_utf8_decode(&cp, p + i, len - i);

		if (n == 0 || cp == '+' || wb_unicode_space(cp)) {
			return 0;
		}
		i += n;
	}
	return 1;
}

wb_err
wb_note_sign(char **out, const char *text, const wb_signer *s)
{
	uint8_t blob[4 + WB_SIG_LEN]; /* key ID || signature */
	const char *name;
	char *b64 = NULL, *note = NULL;
	size_t len, name_len, size;
	uint32_t id;
	wb_err rc;

	if (out == NULL || text == NULL || s == NULL) {
		return WB_EINVAL;
	}
	len = strlen(text);
	if (len == 0 || text[len - 1] != '\n' || !note_chars_valid(text, len)) {
		return WB_EINVAL;
	}
	name = wb_signer_name(s);
	name_len = strlen(name);
	id = wb_key_id(name, wb_signer_pubkey(s));
	blob[0] = (uint8_t)(id >> 24);
	blob[1] = (uint8_t)(id >> 16);
	blob[2] = (uint8_t)(id >> 8);
	blob[3] = (uint8_t)id;
	if ((rc = wb_sig_sign_raw(blob + 4, s, text, len)) != WB_OK) {
		goto out;
	}
	if ((rc = wb_base64_encode(&b64, blob, sizeof(blob))) != WB_OK) {
		goto out;
	}
	/* text, blank line, "— NAME BASE64\n", NUL */
	size = len + 1 + SIG_PREFIX_LEN + name_len + 1 + SIG_B64_LEN + 2;
	note = malloc(size);
	if (note == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	snprintf(note, size, "%s\n" SIG_PREFIX "%s %s\n", text, name, b64);
	*out = note;
	rc = WB_OK;
out:
	free(b64);
	return rc;
}

/* Where the text ends and the signature block starts, once checked. */
typedef struct {
	size_t text_len;
	const char *sigs;
	size_t sigs_len;
} note_parts;

/*
 * Checks the characters and splits the note at its last blank line: the
 * text keeps its final newline, and the block after the blank line must be
 * non-empty and end in a newline.
 */
static wb_err
note_split(note_parts *parts, const char *note, size_t len)
{
	size_t split;

	if (len < 2 || !note_chars_valid(note, len)) {
		return WB_EPROTO;
	}
	for (split = len - 1; split > 0; split--) {
		if (note[split - 1] == '\n' && note[split] == '\n') {
			break;
		}
	}
	if (split == 0) {
		return WB_EPROTO;
	}
	/* note[split - 1] and note[split] are the last "\n\n". */
	parts->text_len = split;
	parts->sigs = note + split + 1;
	parts->sigs_len = len - split - 1;
	if (parts->sigs_len == 0 || note[len - 1] != '\n') {
		return WB_EPROTO;
	}
	return WB_OK;
}

/*
 * Reads every signature line; any malformed one makes the whole note
 * malformed, whoever it belongs to. The first line by (name, id) is ours
 * and is copied to *ours; later lines by the same key are skipped, as Go's
 * note.Open() does. *found_out says whether there was one, and *ours_ok
 * whether it had an Ed25519 signature's length.
 */
static wb_err
note_find_sig(int *found_out, int *ours_ok, uint8_t ours[WB_SIG_LEN],
              const note_parts *parts, const char *name, uint32_t id)
{
	const char *p = parts->sigs, *end = parts->sigs + parts->sigs_len;
	size_t name_len = strlen(name);
	uint8_t *raw = NULL;
	int nsigs = 0;
	wb_err rc;

	*found_out = 0;
	*ours_ok = 0;
	/* No signature decodes to more bytes than the block has chars. */
	raw = malloc(parts->sigs_len);
	if (raw == NULL) {
		return WB_ENOMEM;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *sp, *b64;
		size_t line_len, n;
		uint32_t line_id;

		/* The block ends in '\n', so every line has one. */
		line_len = (size_t)(nl - line);
		p = nl + 1;
		if (line_len < SIG_PREFIX_LEN ||
		    memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0) {
			rc = WB_EPROTO;
			goto out;
		}
		line += SIG_PREFIX_LEN;
		line_len -= SIG_PREFIX_LEN;
		sp = memchr(line, ' ', line_len);
		if (sp == NULL || !sig_name_valid(line, (size_t)(sp - line))) {
			rc = WB_EPROTO;
			goto out;
		}
		b64 = sp + 1;
		if (b64 == nl ||
		    wb_base64_decode(raw, parts->sigs_len, &n, b64,
		                     (size_t)(nl - b64)) != WB_OK ||
		    n < 5) {
			rc = WB_EPROTO;
			goto out;
		}
		if (++nsigs > NOTE_MAX_SIGS) {
			rc = WB_EPROTO;
			goto out;
		}
		line_id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
		          (uint32_t)raw[2] << 8 | (uint32_t)raw[3];
		/* A known name with another key ID is another key: ignored. */
		if (*found_out || line_id != id ||
		    (size_t)(sp - line) != name_len ||
		    memcmp(line, name, name_len) != 0) {
			continue;
		}
		*found_out = 1;
		if (n - 4 == WB_SIG_LEN) {
			memcpy(ours, raw + 4, WB_SIG_LEN);
			*ours_ok = 1;
		}
	}
	rc = WB_OK;
out:
	free(raw);
	return rc;
}

wb_err
wb_note_verify(size_t *text_len_out, const char *note, size_t len,
               const char *name, const wb_pubkey *pk)
{
	uint8_t sig[WB_SIG_LEN];
	note_parts parts;
	int found, sig_ok;
	wb_err rc;

	if (note == NULL || name == NULL || pk == NULL ||
	    !wb_key_name_valid(name)) {
		return WB_EINVAL;
	}
	if ((rc = note_split(&parts, note, len)) != WB_OK) {
		return rc;
	}
	rc = note_find_sig(&found, &sig_ok, sig, &parts, name,
	                   wb_key_id(name, pk));
	if (rc != WB_OK) {
		return rc;
	}
	/* Malformed notes were refused above, before any signature check. */
	if (!found || !sig_ok) {
		return WB_EBADSIG;
	}
	if ((rc = wb_sig_verify_raw(pk, note, parts.text_len, sig)) != WB_OK) {
		return rc;
	}
	if (text_len_out != NULL) {
		*text_len_out = parts.text_len;
	}
	return WB_OK;
}

/* Decimal, no sign, no leading zero but for "0" itself, fits 64 bits. */
static wb_err
parse_size(uint64_t *out, const char *s, size_t len)
{
	uint64_t v = 0;

	if (len == 0 || (s[0] == '0' && len > 1)) {
		return WB_EPROTO;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9') {
			return WB_EPROTO;
		}
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			return WB_EPROTO;
		}
		v = v * 10 + d;
	}
	*out = v;
	return WB_OK;
}

/*
 * c2sp.org/tlog-checkpoint: origin, size, base64 root hash, then extension
 * lines, which must be non-empty and which we do not interpret. The text
 * ends in '\n' (note_split() saw to it).
 */
static wb_err
checkpoint_parse(wb_checkpoint *cp, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	const char *line[3];
	size_t line_len[3], n;

	for (int i = 0; i < 3; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL) {
			return WB_EPROTO;
		}
		line[i] = p;
		line_len[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	if (line_len[0] == 0 || line_len[0] >= sizeof(cp->origin)) {
		return WB_EPROTO;
	}
	memcpy(cp->origin, line[0], line_len[0]);
	cp->origin[line_len[0]] = '\0';
	if (parse_size(&cp->size, line[1], line_len[1]) != WB_OK) {
		return WB_EPROTO;
	}
	if (wb_base64_decode(cp->root.b, WB_HASH_LEN, &n, line[2],
	                     line_len[2]) != WB_OK ||
	    n != WB_HASH_LEN) {
		return WB_EPROTO;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == p) {
			return WB_EPROTO;
		}
		p = nl + 1;
	}
	return WB_OK;
}

wb_err
wb_checkpoint_sign(char **out, const char *origin, uint64_t size,
                   const wb_hash *root, const wb_signer *s)
{
	char *b64 = NULL, *text = NULL;
	size_t text_size;
	wb_err rc;

	if (out == NULL || origin == NULL || root == NULL || s == NULL) {
		return WB_EINVAL;
	}
	/* The log's key name is its origin (DESIGN.md, "Integrity"). Key
	 * names are valid origins: non-empty, no newline, short enough. */
	if (strcmp(origin, wb_signer_name(s)) != 0) {
		return WB_EINVAL;
	}
	if ((rc = wb_base64_encode(&b64, root->b, WB_HASH_LEN)) != WB_OK) {
		goto out;
	}
	/* origin\n, up to 20 digits\n, 44 base64 chars\n, NUL */
	text_size = strlen(origin) + 1 + 20 + 1 + strlen(b64) + 1 + 1;
	text = malloc(text_size);
	if (text == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	snprintf(text, text_size, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
	rc = wb_note_sign(out, text, s);
out:
	free(text);
	free(b64);
	return rc;
}

wb_err
wb_checkpoint_verify(wb_checkpoint *out, const char *note, size_t len,
                     const char *origin, const wb_pubkey *log_key)
{
	wb_checkpoint cp;
	note_parts parts;
	wb_err rc;

	if (out == NULL || note == NULL || log_key == NULL) {
		return WB_EINVAL;
	}
	/*
	 * Parse before verifying, so that a malformed checkpoint is always
	 * WB_EPROTO, and because with no expected origin the key name to look
	 * for is the origin line itself. Nothing parsed reaches *out unless
	 * the signature verifies.
	 */
	if ((rc = note_split(&parts, note, len)) != WB_OK) {
		return rc;
	}
	if ((rc = checkpoint_parse(&cp, note, parts.text_len)) != WB_OK) {
		return rc;
	}
	/*
	 * A checkpoint of another origin, or one whose origin could not be a
	 * key name, is not signed by this log as its own checkpoint.
	 */
	if ((origin != NULL && strcmp(origin, cp.origin) != 0) ||
	    !wb_key_name_valid(cp.origin)) {
		return WB_EBADSIG;
	}
	if ((rc = wb_note_verify(NULL, note, len, cp.origin, log_key)) !=
	    WB_OK) {
		return rc;
	}
	*out = cp;
	return WB_OK;
}
