/* SPDX-License-Identifier: MIT */
/*
 * bench.c - waybill-bench: measures libwaybill on this machine and prints
 * the figures. Argument parsing, the mode table and printing live here; each
 * mode (bench_<mode>.c) measures. It is a program that prints figures, not a
 * test: nothing here compares a time against a target.
 */
#include "bench.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "waybill/ledger.h"

/* statfs(2) f_type of tmpfs: an fsync there costs nothing, so durable
 * append figures measured on it mean nothing. */
#define TMPFS_MAGIC_ 0x01021994

#define DEFAULT_ENTRIES 1000000ull
#define MIN_ENTRIES     3000ull
#define MAX_ENTRIES     100000000ull
#define MAX_SECONDS     3600.0
#define MAX_WORKERS     256u
#define MAX_GROUP_WAIT  1000000u
/* The trace mode's supply chain: whole stores of 10,000 items. */
#define DEFAULT_ITEMS     1000000ull
#define ITEMS_STEP        10000ull
#define MAX_ITEMS         10000000ull
#define DEFAULT_PER_STAMP 20u
#define MAX_PER_STAMP     1000u
/* The epcis mode's document. */
#define DEFAULT_EVENTS 100000ull
#define MIN_EVENTS     100ull
#define MAX_EVENTS     10000000ull
/* The soak mode's run. */
#define MAX_MINUTES 1440.0

typedef struct {
	const char *name;
	const char *summary;
	int (*run)(const bench_opts *o, bench_report *r);
} bench_mode;

static const bench_mode modes[] = {
	{ "ledger",
	  "Ed25519 verify rates, verified durable appends, proofs, histories, bytes on disk",
	  bench_ledger },
	{ "rpc",
	  "the service over TCP loopback, 16 clients: durable submits, reads, authentication",
	  bench_rpc },
	{ "trace",
	  "a supply chain of 1M items: recall append, RecallImpact, RecallStatus, Passport, Trace",
	  bench_trace },
	{ "epcis",
	  "waybill epcis import of a 100k-event document through waybilld: events/s, peak RSS",
	  bench_epcis },
	{ "soak",
	  "waybilld under mixed load for --minutes N: RSS, descriptors, failures; pass or fail",
	  bench_soak },
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

bool
bench_interrupted(void)
{
	return interrupted != 0;
}

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bench_figure *
bench_add(bench_report *r, const char *name, const char *label,
          const char *unit, int decimals, double value)
{
	bench_figure *f;

	/* A mode adds a fixed list of figures: overflowing it is a bug. */
	if (r->n == BENCH_MAX_FIGURES) {
		fprintf(stderr, "waybill-bench: too many figures (%s)\n", name);
		abort();
	}
	f = &r->fig[r->n++];
	f->name = name;
	f->label = label;
	f->unit = unit;
	f->decimals = decimals;
	f->value = value;
	return f;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
bench_quantile(double *v, size_t n, double q)
{
	size_t rank;

	if (n == 0) {
		return 0;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	/* Nearest rank: the smallest value with at least q*n values at or
	 * below it. */
	rank = (size_t)(q * (double)n);
	if ((double)rank < q * (double)n) {
		rank++;
	}
	rank = rank == 0 ? 1 : rank > n ? n : rank;
	return v[rank - 1];
}

int
bench_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("waybill-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return BENCH_ERROR;
}

void
bench_note(const char *fmt, ...)
{
	va_list ap;

	fputs("  ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
bench_ledger_create(const char *dir, const char *origin, wb_signer **log,
                    wb_signer **admin)
{
	wb_journal_create_opts co = { 0 };
	wb_err rc;

	if ((rc = wb_signer_generate(log, origin)) != WB_OK ||
	    (rc = wb_signer_generate(admin, "admin")) != WB_OK) {
		return bench_fail("making keys: %s", wb_strerror(rc));
	}
	co.origin = origin;
	co.log_key = *log;
	co.admin_key = *wb_signer_pubkey(*admin);
	co.custody = WB_CUSTODY_ADVISORY;
	if ((rc = wb_journal_create(dir, &co)) != WB_OK) {
		return bench_fail("creating a ledger in %s: %s", dir,
		                  wb_strerror(rc));
	}
	return BENCH_OK;
}

bool
bench_print_tail(const char *path)
{
	char buf[2001];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		return false;
	}
	if (fseek(f, -2000, SEEK_END) != 0) {
		rewind(f);
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	fprintf(stderr, "%s", buf);
	return n > 0;
}

void
bench_cpu_sample(bench_cpu *out)
{
	unsigned long long v[8] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	struct rusage ru;
	FILE *f;

	out->wall = bench_now();
	out->machine_busy = -1;
	/* "cpu user nice system idle iowait irq softirq steal ...": busy is
	 * everything but idle and iowait. */
	if (hz > 0 && (f = fopen("/proc/stat", "r")) != NULL) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
		           &v[7]) == 8) {
			out->machine_busy = (double)(v[0] + v[1] + v[2] + v[5] +
			                             v[6] + v[7]) /
			                    (double)hz;
		}
		fclose(f);
	}
	getrusage(RUSAGE_SELF, &ru);
	out->self = (double)ru.ru_utime.tv_sec +
	            (double)ru.ru_utime.tv_usec * 1e-6 +
	            (double)ru.ru_stime.tv_sec +
	            (double)ru.ru_stime.tv_usec * 1e-6;
}

void
bench_cpu_note(const char *what, const bench_cpu *a, const bench_cpu *b)
{
	double wall = b->wall - a->wall, self = b->self - a->self;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (a->machine_busy < 0 || b->machine_busy < 0 || wall <= 0) {
		bench_note("%s: this process used %.1f CPU-s in %.1f s", what,
		           self, wall);
		return;
	}
	bench_note(
	        "%s: %.1f s; this process used %.1f CPU-s, the rest of the machine (other programs, kernel threads) %.1f CPU-s, of %.1f available",
	        what, wall, self, b->machine_busy - a->machine_busy - self,
	        wall * (double)(cores > 0 ? cores : 1));
}

char *
bench_scratch_dir(const bench_opts *o)
{
	const char *parent = o->parent;
	struct statfs fs;
	char *dir;
	size_t len;

	if (parent == NULL || parent[0] == '\0') {
		parent = getenv("TMPDIR");
	}
	if (parent == NULL || parent[0] == '\0') {
		parent = "/tmp";
	}
	len = strlen(parent) + sizeof("/waybill-bench.XXXXXX");
	if ((dir = malloc(len)) == NULL) {
		bench_fail("out of memory");
		return NULL;
	}
	snprintf(dir, len, "%s/waybill-bench.XXXXXX", parent);
	if (mkdtemp(dir) == NULL) {
		bench_fail("cannot make a scratch directory in %s: %s", parent,
		           strerror(errno));
		free(dir);
		return NULL;
	}
	if (statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC_) {
		bench_note(
		        "warning: %s is on tmpfs: fsync costs nothing there, so durable append figures are not those of a disk (use --dir on a real disk)",
		        dir);
	}
	return dir;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0) {
		bench_note("warning: cannot remove %s: %s", path,
		           strerror(errno));
	}
	return 0;
}

void
bench_scratch_remove(char *dir)
{
	if (dir == NULL) {
		return;
	}
	/* Depth first, never following links out of the scratch tree. */
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* Whether a figure can be the result of a measurement that worked. */
static bool
figure_valid(const bench_figure *f)
{
	return isfinite(f->value) && f->value > 0;
}

static void
print_json(const bench_report *r)
{
	printf("{\"mode\": \"%s\"", r->mode);
	for (size_t i = 0; i < r->n; i++) {
		const bench_figure *f = &r->fig[i];

		if (isfinite(f->value)) {
			printf(", \"%s\": %.*f", f->name, f->decimals,
			       f->value);
		} else {
			printf(", \"%s\": null", f->name);
		}
	}
	if (r->judged) {
		printf(", \"pass\": %s", r->passed ? "true" : "false");
	}
	printf("}\n");
}

static void
print_table(const bench_report *r)
{
	int label_w = (int)strlen("figure"), value_w = (int)strlen("value");
	char value[64];

	for (size_t i = 0; i < r->n; i++) {
		const bench_figure *f = &r->fig[i];
		int w = snprintf(value, sizeof(value), "%.*f", f->decimals,
		                 f->value);

		if ((int)strlen(f->label) > label_w) {
			label_w = (int)strlen(f->label);
		}
		if (w > value_w) {
			value_w = w;
		}
	}
	printf("waybill-bench %s\n\n", r->mode);
	printf("%-*s  %*s  %-4s  %s\n", label_w, "figure", value_w, "value",
	       "unit", "name");
	for (size_t i = 0; i < r->n; i++) {
		const bench_figure *f = &r->fig[i];

		snprintf(value, sizeof(value), "%.*f", f->decimals, f->value);
		printf("%-*s  %*s  %-4s  %s\n", label_w, f->label, value_w,
		       value, f->unit, f->name);
	}
	if (r->judged) {
		printf("\n%s\n", r->passed ? "pass" : "FAIL");
	}
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: waybill-bench MODE [options]\n"
	        "\n"
	        "Measures libwaybill on this machine and prints the figures.\n"
	        "\n"
	        "modes:\n");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		fprintf(f, "  %-8s %s\n", modes[i].name, modes[i].summary);
	}
	fprintf(f,
	        "\n"
	        "options:\n"
	        "  --json         print the figures as one JSON object\n"
	        "  --entries N    entries in the big ledger (default %llu, at least %llu)\n"
	        "  --dir DIR      where the scratch ledger is made, in a fresh\n"
	        "                 subdirectory (default $TMPDIR, else /tmp); use a\n"
	        "                 real disk, not tmpfs, for durable append figures\n"
	        "  --keep         leave the scratch ledger in place (default: removed)\n"
	        "  --ordered-ids  time-ordered event IDs (UUID version 7) instead of\n"
	        "                 random ones (version 4): shows what the event-ID\n"
	        "                 index costs; random is the realistic case\n"
	        "  --same-priority  run the verifier threads at the writer's\n"
	        "                 priority (default: nice 19, so that the writer,\n"
	        "                 the serial stage, never waits for a core)\n"
	        "  --seconds S    rpc, epcis: length of each timed phase (default 5);\n"
	        "                 soak: length of the run, instead of --minutes\n"
	        "  --minutes N    soak: length of the run (default 1, at most 1440)\n"
	        "  --workers N    rpc: the server's worker threads (default: its\n"
	        "                 own, one per core)\n"
	        "  --group-wait-us U  rpc: how long the server's writer lets a\n"
	        "                 group commit fill (default: its own, 200)\n"
	        "  --items N      trace: items in the supply chain, a multiple of\n"
	        "                 %llu (default %llu, at most %llu)\n"
	        "  --items-per-stamp K  trace: items per commissioning stamp, 1 to\n"
	        "                 %u (default %u: one case's worth)\n"
	        "  --events N     epcis: events in the document, %llu to %llu\n"
	        "                 (default %llu)\n"
	        "  -h, --help     this text\n"
	        "\n"
	        "The ledger mode reports, in one run: raw Ed25519 verify/s on 1 and\n"
	        "2 threads (medians of short rounds taken before the appends and\n"
	        "between stretches of the build); verified, durable appends/s in\n"
	        "batches of 1, 100 and 1000 (signatures checked by 2 threads, the\n"
	        "next batch verified while this one is appended); append_ratio, the\n"
	        "batch-1000 rate over the 2-thread verify rate; inclusion-proof and\n"
	        "twin-history read times (median, p99) at the final size; mean\n"
	        "stamp size; and bytes on disk per stamp. append_b1000_last_per_s\n"
	        "is the rate over the last stretch of the build (up to 100000\n"
	        "stamps), where the ledger is largest.\n"
	        "\n"
	        "The rpc mode starts the server in this process on tcp://127.0.0.1\n"
	        "with a fresh, durable scratch ledger and runs 16 client threads,\n"
	        "each with its own connection, one timed phase after another:\n"
	        "Submit of pre-signed stamps in batches of 1 and of 32 (durable\n"
	        "stamps/s, per-request p50/p99, stamps per group commit, and the\n"
	        "ratio to the raw 2-thread verify rate measured in the same run);\n"
	        "then Ping, History (a page of 10 entries) and Checkpoint on\n"
	        "connections authenticated once; then History with every request\n"
	        "signed (per-request authentication). Clients and server share the\n"
	        "machine's cores.\n"
	        "\n"
	        "The trace mode builds a supply chain through durable, verified\n"
	        "appends of signed stamps: 10 ingredient lots from a supplier; product\n"
	        "lots of 1000 items, each made from 3 ingredient lots; cases of 20\n"
	        "items, pallets of 20 cases; 25 pallets shipped to each store of a\n"
	        "retailer (1000 lots, 100 stores at the default size). It recalls\n"
	        "ingredient lots and reports: build time and stamps/s; the latency\n"
	        "of a recall's and a lift's append; RecallImpact of a recall over\n"
	        "the whole ledger; RecallStatus of items of affected and clean lots\n"
	        "and of pallets, Passport and Trace up from an item (median, p99,\n"
	        "in-process); bytes on disk and peak RSS. Every answer is checked\n"
	        "against the graph: a wrong one fails the run.\n"
	        "\n",
	        DEFAULT_ENTRIES, MIN_ENTRIES, ITEMS_STEP, DEFAULT_ITEMS,
	        MAX_ITEMS, MAX_PER_STAMP, DEFAULT_PER_STAMP, MIN_EVENTS,
	        MAX_EVENTS, DEFAULT_EVENTS);
	fputs("The epcis mode writes an EPCIS 2.0 document of N ObjectEvents (the\n"
	      "stamp shape of the other modes, one SGTIN each), starts waybilld\n"
	      "(from $WAYBILLD, else next to this program) on a fresh durable\n"
	      "ledger, registers the importing key with the SGTINs' company prefix\n"
	      "and runs `waybill epcis import` (from $WAYBILL, else next to this\n"
	      "program) on the document: its time from start to exit, all events\n"
	      "durable, and its peak RSS; around it, the rpc mode's batch-32 Submit\n"
	      "phase against the same daemon (--seconds each; default 5, or 1\n"
	      "below 20000 events), so that import_ratio compares rates of the\n"
	      "same run.\n"
	      "\n"
	      "The soak mode starts waybilld (as the epcis mode finds it) on a\n"
	      "fresh ledger and runs a steady mixed load against it: writers\n"
	      "(commissioning batches, packing, shipping, receiving, unpacking,\n"
	      "installations, recalls and lifts, master data, registry changes),\n"
	      "readers asking every read the client library has, a subscriber\n"
	      "to recall notices and a client that reconnects five times a\n"
	      "second, each time as a new process (`waybill-bench soak-client`,\n"
	      "which the mode starts itself). The daemon's RSS and descriptors\n"
	      "are sampled every second.\n"
	      "It passes when the anonymous RSS grows less than 10 MB after a\n"
	      "warm-up of min(2 minutes, a third of the run), the descriptors\n"
	      "return to their baseline once the clients have closed, and no\n"
	      "request fails unexpectedly; its figures may be zero or negative.\n"
	      "\n"
	      "Progress and diagnostics go to stderr.\n"
	      "\n"
	      "Exit status: 0 with valid figures; 1 when a measurement failed or a\n"
	      "figure is not a positive number, or a soak did not pass; 2 on\n"
	      "wrong arguments.\n",
	      f);
}

/* Option value: "--name VALUE" or "--name=VALUE". */
static bool
opt_value(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0) {
		return false;
	}
	if (argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return true;
	}
	if (argv[*i][n] != '\0') {
		return false;
	}
	if (*i + 1 >= argc) {
		*out = NULL;
		return true;
	}
	*out = argv[++*i];
	return true;
}

static bool
parse_seconds(const char *text, double *out)
{
	char *end;

	if (text == NULL ||
	    ((text[0] < '0' || text[0] > '9') && text[0] != '.')) {
		return false;
	}
	errno = 0;
	*out = strtod(text, &end);
	return errno == 0 && *end == '\0' && *out > 0 && *out <= MAX_SECONDS;
}

static bool
parse_count(const char *text, unsigned long long *out)
{
	char *end;

	if (text == NULL || text[0] < '0' || text[0] > '9') {
		return false;
	}
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0';
}

int
main(int argc, char **argv)
{
	bench_opts o = { .entries = DEFAULT_ENTRIES,
		         .items = DEFAULT_ITEMS,
		         .items_per_stamp = DEFAULT_PER_STAMP,
		         .events = DEFAULT_EVENTS };
	bench_report r = { 0 };
	const bench_mode *mode = NULL;
	struct sigaction sa = { 0 };
	const char *v;
	int rc;

	/* Not a mode: a process the soak mode starts. */
	if (argc > 1 && strcmp(argv[1], "soak-client") == 0) {
		return bench_soak_client(argc - 1, argv + 1);
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return BENCH_OK;
		} else if (strcmp(a, "--json") == 0) {
			o.json = true;
		} else if (strcmp(a, "--keep") == 0) {
			o.keep = true;
		} else if (strcmp(a, "--ordered-ids") == 0) {
			o.ordered_ids = true;
		} else if (strcmp(a, "--same-priority") == 0) {
			o.same_priority = true;
		} else if (opt_value(argc, argv, &i, "--entries", &v)) {
			unsigned long long n;

			if (!parse_count(v, &n) || n < MIN_ENTRIES ||
			    n > MAX_ENTRIES) {
				fprintf(stderr,
				        "waybill-bench: --entries takes a count from %llu to %llu\n",
				        MIN_ENTRIES, MAX_ENTRIES);
				return BENCH_USAGE;
			}
			o.entries = n;
		} else if (opt_value(argc, argv, &i, "--seconds", &v)) {
			if (!parse_seconds(v, &o.seconds)) {
				fprintf(stderr,
				        "waybill-bench: --seconds takes a time in seconds, above 0 and at most %.0f\n",
				        MAX_SECONDS);
				return BENCH_USAGE;
			}
		} else if (opt_value(argc, argv, &i, "--minutes", &v)) {
			if (!parse_seconds(v, &o.minutes) ||
			    o.minutes > MAX_MINUTES) {
				fprintf(stderr,
				        "waybill-bench: --minutes takes a time in minutes, above 0 and at most %.0f\n",
				        MAX_MINUTES);
				return BENCH_USAGE;
			}
		} else if (opt_value(argc, argv, &i, "--workers", &v)) {
			unsigned long long n;

			if (!parse_count(v, &n) || n < 1 || n > MAX_WORKERS) {
				fprintf(stderr,
				        "waybill-bench: --workers takes a count from 1 to %u\n",
				        MAX_WORKERS);
				return BENCH_USAGE;
			}
			o.workers = (unsigned)n;
		} else if (opt_value(argc, argv, &i, "--group-wait-us", &v)) {
			unsigned long long n;

			if (!parse_count(v, &n) || n < 1 ||
			    n > MAX_GROUP_WAIT) {
				fprintf(stderr,
				        "waybill-bench: --group-wait-us takes microseconds from 1 to %u\n",
				        MAX_GROUP_WAIT);
				return BENCH_USAGE;
			}
			o.group_wait_us = (unsigned)n;
		} else if (opt_value(argc, argv, &i, "--items", &v)) {
			unsigned long long n;

			if (!parse_count(v, &n) || n < ITEMS_STEP ||
			    n > MAX_ITEMS || n % ITEMS_STEP != 0) {
				fprintf(stderr,
				        "waybill-bench: --items takes a multiple of %llu from %llu to %llu\n",
				        ITEMS_STEP, ITEMS_STEP, MAX_ITEMS);
				return BENCH_USAGE;
			}
			o.items = n;
		} else if (opt_value(argc, argv, &i, "--items-per-stamp", &v)) {
			unsigned long long n;

			if (!parse_count(v, &n) || n < 1 || n > MAX_PER_STAMP) {
				fprintf(stderr,
				        "waybill-bench: --items-per-stamp takes a count from 1 to %u\n",
				        MAX_PER_STAMP);
				return BENCH_USAGE;
			}
			o.items_per_stamp = (unsigned)n;
		} else if (opt_value(argc, argv, &i, "--events", &v)) {
			unsigned long long n;

			if (!parse_count(v, &n) || n < MIN_EVENTS ||
			    n > MAX_EVENTS) {
				fprintf(stderr,
				        "waybill-bench: --events takes a count from %llu to %llu\n",
				        MIN_EVENTS, MAX_EVENTS);
				return BENCH_USAGE;
			}
			o.events = n;
		} else if (opt_value(argc, argv, &i, "--dir", &v)) {
			if (v == NULL || v[0] == '\0') {
				fprintf(stderr,
				        "waybill-bench: --dir needs a directory\n");
				return BENCH_USAGE;
			}
			o.parent = v;
		} else if (a[0] == '-') {
			fprintf(stderr,
			        "waybill-bench: unknown option %s (see --help)\n",
			        a);
			return BENCH_USAGE;
		} else if (mode == NULL) {
			for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]);
			     m++) {
				if (strcmp(a, modes[m].name) == 0) {
					mode = &modes[m];
				}
			}
			if (mode == NULL) {
				fprintf(stderr,
				        "waybill-bench: unknown mode %s (see --help)\n",
				        a);
				return BENCH_USAGE;
			}
		} else {
			fprintf(stderr,
			        "waybill-bench: one mode at a time (%s, then %s)\n",
			        mode->name, a);
			return BENCH_USAGE;
		}
	}
	if (mode == NULL) {
		usage(stderr);
		return BENCH_USAGE;
	}
	if (wb_init() != WB_OK) {
		return bench_fail("libwaybill failed to start (libsodium)");
	}
	/* Ctrl-C stops between batches, so the scratch ledger is removed. */
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	r.mode = mode->name;
	if ((rc = mode->run(&o, &r)) != BENCH_OK) {
		return rc;
	}
	if (o.json) {
		print_json(&r);
	} else {
		print_table(&r);
	}
	fflush(stdout);
	if (r.judged && !r.passed) {
		rc = bench_fail("%s: the run did not pass (see above)", r.mode);
	}
	for (size_t i = 0; i < r.n && !r.judged; i++) {
		if (!figure_valid(&r.fig[i])) {
			rc = bench_fail(
			        "%s = %g is not a positive number: the measurement failed",
			        r.fig[i].name, r.fig[i].value);
		}
	}
	return rc;
}
