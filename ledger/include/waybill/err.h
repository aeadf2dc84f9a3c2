/* SPDX-License-Identifier: MIT */
/*
 * err.h - the error codes of libwaybill.
 *
 * Every function that can fail returns a wb_err. Codes are positive, only
 * ever appended, and map one to one onto the Status enum of proto/rpc.proto.
 * Foreign codes (LMDB, nng, errno, libsodium's -1) are translated where they
 * arise and never escape a wb_ function.
 *
 * A refused stamp or registry change is not an error of the system: it is
 * WB_EREJECTED plus a wb_reject reason (mirrored by the proto's Reason enum)
 * and a message that says what to fix, carried in a wb_problem.
 *
 * THREAD SAFETY: everything here is pure and thread-safe.
 */
#ifndef WAYBILL_ERR_H
#define WAYBILL_ERR_H

#include <stddef.h>

typedef enum {
	WB_OK = 0,
	WB_ENOMEM,     /* allocation failed */
	WB_EINVAL,     /* caller passed bad arguments (a bug) */
	WB_ENOTFOUND,  /* no such entry or key: an expected result */
	WB_EEXISTS,    /* the thing to create exists already */
	WB_EBADSIG,    /* signature or proof did not verify */
	WB_ECORRUPT,   /* stored or received data failed an integrity check */
	WB_ENOSPC,     /* ledger full: the map reached its configured maximum */
	WB_EPROTO,     /* malformed message or file */
	WB_ETIMEDOUT,  /* an operation ran out of time */
	WB_ECLOSED,    /* the object or connection is closed */
	WB_EIO,        /* the operating system refused a read or write */
	WB_EINTERNAL,  /* a bug or an unexpected library failure */
	WB_EREJECTED,  /* refused by a rule: see the wb_problem */
	WB_EVERSION,   /* a newer on-disk format or protocol version */
	WB_EDENIED,    /* the caller is not allowed to do this */
	WB_EBUSY,      /* a limit on concurrent work was reached */
	WB_ERR_COUNT_, /* not a code: the number of codes */
} wb_err;

/* Why a stamp or registry change was refused. Mirrors proto Reason. */
typedef enum {
	WB_REJECT_NONE = 0,
	WB_REJECT_MALFORMED,      /* bytes do not parse, or fields missing */
	WB_REJECT_WRONG_LEDGER,   /* the ledger ID is another ledger's */
	WB_REJECT_UNKNOWN_SIGNER, /* the key is not registered */
	WB_REJECT_KEY_REVOKED,    /* the key is revoked at this index */
	WB_REJECT_KEY_ROTATED,    /* the key was replaced by a rotation */
	WB_REJECT_BAD_SIGNATURE,  /* the signature does not verify */
	WB_REJECT_BAD_ID,         /* an identifier is empty, too long, ... */
	WB_REJECT_TOO_MANY_IDS,   /* more identifiers than the limit */
	WB_REJECT_TOO_MANY_ATTRIBUTES, /* more attributes than the limit */
	WB_REJECT_TOO_LARGE,           /* the stamp is over the size limit */
	WB_REJECT_FUTURE_EVENT_TIME,   /* event time > record time + 5 min */
	WB_REJECT_OUTSIDE_NAMESPACE, /* commissioning outside own namespaces */
	WB_REJECT_NO_RECALL_AUTHORITY, /* not the commissioner nor regulator */
	WB_REJECT_NO_LIFT_AUTHORITY, /* not the recall's issuer nor regulator */
	WB_REJECT_UNKNOWN_RECALL,    /* a lift names no recall */
	WB_REJECT_DECOMMISSIONED,    /* a twin was decommissioned */
	WB_REJECT_CYCLE,             /* a container would contain itself */
	WB_REJECT_DUPLICATE_EVENT_ID, /* same event ID, other bytes */
	WB_REJECT_NOT_CUSTODIAN,      /* custodian's act by another (strict) */
	WB_REJECT_WRONG_KEY,          /* the key may not sign this kind */
	WB_REJECT_REGISTRY_CONFLICT,  /* key or namespace taken, ... */
	WB_REJECT_BAD_POSSESSION_PROOF, /* rotation without the new key's proof
	                                 */
	WB_REJECT_UNKNOWN_STAKEHOLDER,  /* a registry change names no one */
	WB_REJECT_AUTH_REQUIRED,        /* a read needs a registered key */
	WB_REJECT_AUTH_STALE,           /* auth timestamp off by > 5 min */
	WB_REJECT_AUTH_REPLAYED,        /* auth nonce or challenge reused */
	WB_REJECT_NO_CHALLENGE,         /* authenticate with no challenge */
	WB_REJECT_COUNT_, /* not a reason: the number of reasons */
} wb_reject;

/* A refusal: the reason and a message that tells the user what to fix. */
typedef struct {
	wb_reject reason;
	char msg[320];
} wb_problem;

/** Static text for an error code; never NULL. */
const char *wb_strerror(wb_err err);

/** Static short name for a reject reason ("bad-signature"); never NULL. */
const char *wb_reject_name(wb_reject reason);

/** Static one-line explanation of a reject reason; never NULL. */
const char *wb_reject_text(wb_reject reason);

/**
 * Fills a problem and returns WB_EREJECTED, so that validation code can
 * write `return wb_reject_set(p, WB_REJECT_BAD_ID, "...", ...);`.
 * A NULL problem is allowed (the reason is then dropped).
 */
wb_err wb_reject_set(wb_problem *p, wb_reject reason, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/**
 * Puts "prefix: " in front of a problem's message (truncating the end if
 * needed), to say where in a larger input the problem lies. NULL-safe.
 */
void wb_problem_prefix(wb_problem *p, const char *prefix);

#endif
