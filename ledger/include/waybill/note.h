/* SPDX-License-Identifier: MIT */
/*
 * note.h - C2SP signed notes (c2sp.org/signed-note) and the checkpoints of
 * c2sp.org/tlog-checkpoint built on them.
 *
 * A note is text (non-empty, valid UTF-8, ending in a newline, no other
 * control characters) followed by a blank line and one or more signature
 * lines "— NAME BASE64(KEYID || SIGNATURE)\n" (U+2014 em dash). The
 * signature is Ed25519 over the text, with no context prefix.
 *
 * A checkpoint's text is: the origin line, the decimal tree size, the
 * base64 root hash, then optional extension lines. waybill signs it with the
 * log key, whose key name is the origin.
 *
 * THREAD SAFETY: pure and thread-safe.
 */
#ifndef WAYBILL_NOTE_H
#define WAYBILL_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"
#include "waybill/hash.h"
#include "waybill/sig.h"

/**
 * Signs text (which must end in a newline) and returns the whole note, text
 * plus blank line plus signature line, in malloc'd memory (free()).
 * @return WB_OK, WB_EINVAL (text not a valid note text), WB_ENOMEM.
 */
wb_err wb_note_sign(char **out, const char *text, const wb_signer *s);

/**
 * Opens a note: finds a signature line by the key (name, pk) with the
 * right key ID and checks it over the text. Signatures by other keys are
 * ignored. On success *text_len_out is the length of the text part.
 * @return WB_OK, WB_EPROTO (not a well-formed note), WB_EBADSIG (no
 * signature by that key, or it does not verify).
 */
wb_err wb_note_verify(size_t *text_len_out, const char *note, size_t len,
                      const char *name, const wb_pubkey *pk);

typedef struct {
	char origin[256];
	uint64_t size;
	wb_hash root;
} wb_checkpoint;

/**
 * Formats and signs a checkpoint; the key name of s is the origin.
 * The note goes to *out in malloc'd memory (free()).
 * @return WB_OK, WB_EINVAL, WB_ENOMEM.
 */
wb_err wb_checkpoint_sign(char **out, const char *origin, uint64_t size,
                          const wb_hash *root, const wb_signer *s);

/**
 * Verifies a checkpoint note with the log key (name = origin) and parses
 * its text. When origin is not NULL the checkpoint's origin must equal it.
 * @return WB_OK, WB_EPROTO (malformed), WB_EBADSIG (signature).
 */
wb_err wb_checkpoint_verify(wb_checkpoint *out, const char *note, size_t len,
                            const char *origin, const wb_pubkey *log_key);

#endif
