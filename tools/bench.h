/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what the modes of waybill-bench share: the common options,
 * a monotonic clock, percentiles, and the list of figures a mode reports,
 * printed as an aligned table or as one JSON object.
 *
 * A mode measures and fills a bench_report; bench.c prints it. Every figure
 * is a rate, a time, a size or a count, so each must be finite and greater
 * than zero: a figure that is not counts as a failed run.
 */
#ifndef WAYBILL_TOOLS_BENCH_H
#define WAYBILL_TOOLS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/** Removes a scratch directory tree and frees the path; NULL is allowed. */
void bench_scratch_remove(char *dir);

/** The ledger mode (bench_ledger.c). */
int bench_ledger(const bench_opts *o, bench_report *r);

#endif
