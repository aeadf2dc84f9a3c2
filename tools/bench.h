/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what the modes of waybill-bench share: the common options,
 * a monotonic clock, percentiles, and the list of figures a mode reports,
 * printed as an aligned table or as one JSON object.
 *
 * A mode measures and fills a bench_report; bench.c prints it. Every figure
 * is a rate, a time, a size or a count, so each must be finite and greater
 * than zero: a figure that is not counts as a failed run.
 *
 * The modes also share one stamp shape (bench_stamps.c), so that their
 * figures describe the same work: see bench_stamp_make().
 */
#ifndef WAYBILL_TOOLS_BENCH_H
#define WAYBILL_TOOLS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "waybill/ledger.h"

/* Exit codes. */
enum {
	BENCH_OK = 0,
	BENCH_ERROR = 1, /* a measurement failed, or a figure is invalid */
	BENCH_USAGE = 2, /* wrong arguments: see --help */
};

typedef struct {
	bool json;          /* print one JSON object instead of a table */
	bool keep;          /* leave the scratch ledger in place */
	bool ordered_ids;   /* time-ordered event IDs instead of random */
	bool same_priority; /* verifier threads at the writer's priority */
	uint64_t entries;   /* size of the big ledger */
	const char *parent; /* where the scratch directory goes */
	double seconds;     /* rpc: length of each timed phase */
	unsigned workers;   /* rpc: server worker threads (0: its default) */
	unsigned group_wait_us;   /* rpc: server group wait (0: its default) */
	uint64_t items;           /* trace: items in the supply chain */
	unsigned items_per_stamp; /* trace: items per commissioning stamp */
	uint64_t events;          /* epcis: events in the document */
	double minutes;           /* soak: length of the run */
} bench_opts;

typedef struct {
	const char *name;  /* JSON key: plain, snake case */
	const char *label; /* table row */
	const char *unit;  /* "/s", "us", "B", "" */
	double value;
	int decimals;
} bench_figure;

#define BENCH_MAX_FIGURES 48

typedef struct {
	const char *mode;
	bench_figure fig[BENCH_MAX_FIGURES];
	size_t n;
	/* A mode that judges its run (soak): its figures may be zero or
	 * negative, `pass` is printed, and the exit status is 1 when it did
	 * not pass. */
	bool judged;
	bool passed;
} bench_report;

/** Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/** Adds a figure (names and labels are borrowed: string literals) and
 * returns it, so that a value known later can be filled in. */
bench_figure *bench_add(bench_report *r, const char *name, const char *label,
                        const char *unit, int decimals, double value);

/** Sorts v in place and returns its q-quantile (0 <= q <= 1), nearest
 * rank; 0 when n is 0. */
double bench_quantile(double *v, size_t n, double q);

/** Prints "waybill-bench: message" to stderr and returns BENCH_ERROR. */
int bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Progress on stderr, one line each (not part of the figures). */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Prints the last 2000 bytes of the file at path (a child's log) to
 * stderr after a failure; nothing when it cannot be read or is empty.
 * @return true when something was printed. */
bool bench_print_tail(const char *path);

/** True once SIGINT or SIGTERM arrived: a mode stops early and cleans up. */
bool bench_interrupted(void);

/**
 * Makes a fresh scratch directory under o->parent (or $TMPDIR, or /tmp) and
 * returns it (malloc'd), or NULL with a message printed.
 */
char *bench_scratch_dir(const bench_opts *o);

/* CPU time: of the whole machine (from /proc/stat) and of this process. */
typedef struct {
	double wall;
	double machine_busy; /* CPU-seconds not idle, all cores; < 0: unknown */
	double self;         /* CPU-seconds of this process */
} bench_cpu;

/** Samples the clocks of bench_cpu. */
void bench_cpu_sample(bench_cpu *out);

/** Notes on stderr how much CPU this process, and everything else on the
 * machine (other programs, kernel threads), used between two samples. */
void bench_cpu_note(const char *what, const bench_cpu *a, const bench_cpu *b);

/**
 * Makes fresh log and admin keys (*log, *admin: wb_signer_free) and a
 * ledger for origin in dir (advisory custody, the build's default
 * limits), as `waybill init` would. Prints what failed.
 * @return BENCH_OK or BENCH_ERROR.
 */
int bench_ledger_create(const char *dir, const char *origin, wb_signer **log,
                        wb_signer **admin);

/** Removes a scratch directory tree and frees the path; NULL is allowed. */
void bench_scratch_remove(char *dir);

/*
 * Stamps (bench_stamps.c): every mode signs the same shape of stamp, an
 * EPCIS ObjectEvent about one SGTIN under BENCH_OWNER_PREFIX, signed by the
 * stakeholder that owns that prefix.
 */
#define BENCH_OWNER_PREFIX "0614141"
#define BENCH_EPC_PREFIX   "urn:epc:id:sgtin:0614141.107346."
/* Threads of the raw verify rates (and of the ledger mode's verifiers). */
#define BENCH_VERIFY_THREADS 2

/* What one stamp is: a commissioning of serial n, or an inspection of the
 * hot twin (observation number n). */
typedef struct {
	uint64_t n;
	bool inspect;
} bench_stamp_spec;

typedef struct {
	uint8_t ledger_id[WB_HASH_LEN];
	uint8_t salt[8]; /* makes event IDs differ between runs */
	int64_t t0;      /* event times start here (seconds) */
	uint64_t hot_serial;
	const wb_signer *owner;
	bool ordered_ids; /* version 7 UUIDs instead of version 4 */
} bench_stampgen;

/**
 * Sets up a generator for the ledger `ledger_id`: the salt comes from the
 * ID, the hot twin is serial 1, and event times at twenty commissionings a
 * second for `serials` serials end a day before now, so that none is ever
 * in the ledger's future.
 */
void bench_stampgen_init(bench_stampgen *g, const uint8_t *ledger_id,
                         const wb_signer *owner, uint64_t serials,
                         bool ordered_ids);

/* The tags of bench_event_uuid: one per kind of caller, so that no two
 * draw the same ID in one ledger. bench_stamps.c uses 0 and 1. */
#define BENCH_UUID_TAG_EPCIS 0xe0 /* the epcis mode's document */
#define BENCH_UUID_TAG_TRACE 0x60 /* the trace mode's supply chain */
#define BENCH_UUID_TAG_SOAK  0x50 /* the soak mode: + the thread (< 16) */

/**
 * An event ID "urn:uuid:..." (45 characters and NUL) drawn from the salt,
 * a tag and a serial: a version 4 UUID, the same for the same inputs; with
 * v7_ms >= 0 a version 7 UUID whose first 48 bits are v7_ms, so that IDs
 * sort in time order.
 */
void bench_event_uuid(char out[46], const uint8_t salt[8], uint8_t tag,
                      uint64_t n, int64_t v7_ms);

/** Builds and signs one stamp; sub->body is malloc'd. */
wb_err bench_stamp_make(wb_submission *sub, const bench_stampgen *g,
                        const bench_stamp_spec *sp);

/** Builds and signs n stamps on two threads (*out: bench_stamps_free). */
int bench_stamps_generate(wb_submission **out, const bench_stampgen *g,
                          const bench_stamp_spec *specs, size_t n);

/** Frees what bench_stamps_generate made; NULL is allowed. */
void bench_stamps_free(wb_submission *subs, size_t n);

/**
 * The admin-signed registration of `owner` as the brand owner of
 * BENCH_OWNER_PREFIX, named `name`; sub->body is malloc'd (free()).
 */
int bench_owner_registration(wb_submission *sub, const uint8_t *ledger_id,
                             const wb_signer *admin, const wb_signer *owner,
                             const char *name);

/** Raw Ed25519 verifications per second (wb_sig_verify) of the stamps in
 * `set` on `threads` threads (1 to BENCH_VERIFY_THREADS) at once, for
 * about `seconds`. */
int bench_verify_rate(double *out, const wb_submission *set, size_t n_set,
                      int threads, double seconds);

/** The ledger mode (bench_ledger.c). */
int bench_ledger(const bench_opts *o, bench_report *r);

/** The rpc mode (bench_rpc.c). */
int bench_rpc(const bench_opts *o, bench_report *r);

/** The trace mode (bench_trace.c). */
int bench_trace(const bench_opts *o, bench_report *r);

/**
 * The rpc mode's batch-32 Submit phase (bench_rpc.c) against the server at
 * url: its clients, each on its own connection authenticated with key,
 * submit stamps of gen (serials from *next_serial on; *next_serial is
 * advanced past those signed) for `seconds`; *per_s gets durable stamps/s.
 * max_rate, the most stamps/s the server can take (the 2-thread verify
 * rate), sizes the stamps signed ahead. Notes go to stderr.
 */
int bench_rpc_submit_b32(double *per_s, const char *url, const wb_signer *key,
                         const bench_stampgen *gen, uint64_t *next_serial,
                         double seconds, double max_rate);

/** The epcis mode (bench_epcis.c). */
int bench_epcis(const bench_opts *o, bench_report *r);

/** The soak mode (bench_soak.c): judges its run (r->judged). */
int bench_soak(const bench_opts *o, bench_report *r);

/* The soak's client calls: their timeouts. */
#define SOAK_CALL_TIMEOUT_MS   30000
#define SOAK_NOTICE_TIMEOUT_MS 5000

/**
 * One cycle of the soak's reconnecting client, as its own process
 * (`waybill-bench soak-client ARGS`; bench_soak_client.c says why and
 * what it prints). argv[0] is "soak-client". Returns the exit status.
 */
int bench_soak_client(int argc, char **argv);

#endif
