/* SPDX-License-Identifier: MIT */
/*
 * bench_epcis.c - the epcis mode of waybill-bench: `waybill epcis import`
 * end to end, as a user runs it, against the real daemon.
 *
 * One run writes an EPCIS 2.0 document (an EPCISDocument with the 2.0
 * @context and the waybill prefix) of N ObjectEvents of the other modes'
 * stamp shape (bench_stamps.c: a commissioning of one SGTIN, a distinct
 * one per event, with read point, business location, disposition, a
 * purchase order and two waybill attributes) into a scratch directory;
 * makes a fresh ledger there (durable commits, as always), starts the
 * built waybilld on an ipc:// socket, and registers the importing key as
 * the owner of the SGTINs' company prefix. Then:
 * - the rpc mode's batch-32 Submit phase (bench_rpc_submit_b32) against
 *   the daemon;
 * - `waybill epcis import DOC --key K --server URL --proceed` as a child
 *   process, timed from spawn to exit (its exit status 0 says every event
 *   is recorded, and a reply to Submit means durable; the ledger's size is
 *   checked too), with its peak RSS from wait4()'s rusage;
 * - the batch-32 phase again, on the ledger that now holds the document.
 * submit_b32_per_s is the mean of the two phases, so that import_ratio
 * compares rates of the same run and the same ledger sizes.
 *
 * The daemon and the importer are separate processes, so the notes on
 * stderr split the CPU of each stretch between this process, the daemon,
 * the importer and the rest of the machine (other programs, kernel
 * threads).
 */
#include "bench.h"
#include "bench_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rpc/rpc.h"
#include "waybill/keyfile.h"

#define ORIGIN          "bench.waybill.example/epcis"
#define DEFAULT_SECONDS 5.0
/* Shorter phases for small documents (the smoke test's). */
#define SMALL_EVENTS  20000
#define SMALL_SECONDS 1.0
/* Raw 2-thread verify rounds (of VERIFY_SET stamps never submitted): their
 * median is the most stamps/s the server can take, which sizes the stamps
 * signed ahead of a submit phase. */
#define VERIFY_SET     256
#define VERIFY_ROUNDS  3
#define VERIFY_ROUND_S 0.2
/* The submit phases' stamps start above the largest document's serials
 * (bench.c allows up to 10M events). */
#define SUBMIT_SERIAL0 20000000ull
/* The EPCIS 2.0 JSON-LD context (WB_EPCIS_CONTEXT of waybill/epcis.h). */
#define EPCIS_CONTEXT \
	"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
/* Above what two verifier threads reach here (about 44k/s): it spaces
 * the submit phases' event times. */
#define MAX_RATE        50000.0
#define CALL_TIMEOUT_MS 30000
#define STOP_WAIT_MS    30000

struct epcisb {
	const bench_opts *o;
	double seconds;
	char *dir;
	char doc[PATH_MAX], key_path[PATH_MAX], out_path[PATH_MAX];
	char err_path[PATH_MAX];
	char waybilld[PATH_MAX], waybill[PATH_MAX];
	wb_signer *log, *admin, *owner;
	uint8_t ledger_id[WB_HASH_LEN];
	bench_stampgen gen;
	bench_daemon d;
	wb_rpc_client *c;
	double document_bytes;
	double verify_2t; /* raw 2-thread verify rate, median of the rounds */
};

/* CPU-seconds a process has used (utime + stime from /proc/PID/stat), or
 * -1 when unknown. */
static double
proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (hz <= 0 || (f = fopen(path, "r")) == NULL) {
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After "pid (comm) ": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2,
	           "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	           &st) != 2) {
		return -1;
	}
	return (double)(ut + st) / (double)hz;
}

/* A stretch's CPU: the machine, this process, the daemon. */
typedef struct {
	bench_cpu m;
	double daemon;
} stretch;

static void
stretch_begin(const struct epcisb *b, stretch *s)
{
	bench_cpu_sample(&s->m);
	s->daemon = proc_cpu(b->d.pid);
}

/* Notes who used the CPU between s and now; importer_cpu is the child's
 * (0 when none ran). */
static void
stretch_note(const struct epcisb *b, const char *what, const stretch *s,
             double importer_cpu)
{
	stretch e;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double wall, self, daemon;

	stretch_begin(b, &e);
	wall = e.m.wall - s->m.wall;
	self = e.m.self - s->m.self;
	daemon = s->daemon >= 0 && e.daemon >= 0 ? e.daemon - s->daemon : 0;
	if (s->m.machine_busy < 0 || e.m.machine_busy < 0) {
		bench_note(
		        "%s: %.1f s; this process %.1f CPU-s, waybilld %.1f, "
		        "the importer %.1f",
		        what, wall, self, daemon, importer_cpu);
		return;
	}
	bench_note(
	        "%s: %.1f s; CPU-s used: this process %.1f, waybilld %.1f, the importer %.1f, the rest of the machine (other programs, kernel threads) %.1f, of %.1f available",
	        what, wall, self, daemon, importer_cpu,
	        e.m.machine_busy - s->m.machine_busy - self - daemon -
	                importer_cpu,
	        wall * (double)(cores > 0 ? cores : 1));
}

/*
 * The document.
 */

/* RFC 3339 in UTC with milliseconds. */
static void
format_ms(char out[64], int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* One event per line, as bench_stamp_make() builds the stamp of serial
 * n: twenty commissionings a second, all in the past. */
static int
write_event(FILE *f, const bench_stampgen *g, uint64_t n, bool last)
{
	char id[64], when[64];

	bench_event_uuid(id, g->salt, BENCH_UUID_TAG_EPCIS, n, -1);
	format_ms(when, 1000 * g->t0 + 50 * (int64_t)n);
	return fprintf(f,
	               "{\"type\":\"ObjectEvent\",\"eventTime\":\"%s\","
	               "\"eventTimeZoneOffset\":\"+01:00\",\"eventID\":\"%s\","
	               "\"epcList\":[\"" BENCH_EPC_PREFIX "%llu\"],"
	               "\"action\":\"ADD\",\"bizStep\":\"commissioning\","
	               "\"disposition\":\"active\","
	               "\"readPoint\":{\"id\":\"urn:epc:id:sgln:0614141.00777.0\"},"
	               "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:0614141.00888.0\"},"
	               "\"bizTransactionList\":[{\"type\":\"po\",\"bizTransaction\":"
	               "\"urn:epcglobal:cbv:bt:0614141000005:PO-%llu\"}],"
	               "\"waybill:price\":\"EUR %llu.%02llu\","
	               "\"waybill:discount\":\"0.10\"}%s\n",
	               when, id, (unsigned long long)n,
	               (unsigned long long)(100000 + n / 1000),
	               (unsigned long long)(10 + n % 90),
	               (unsigned long long)(n % 100), last ? "" : ",") < 0
	               ? -1
	               : 0;
}

static int
write_document(struct epcisb *b)
{
	char created[64];
	struct stat st;
	FILE *f;
	int rc = 0;

	snprintf(b->doc, sizeof(b->doc), "%s/events.jsonld", b->dir);
	if ((f = fopen(b->doc, "w")) == NULL) {
		return bench_fail("cannot write %s: %s", b->doc,
		                  strerror(errno));
	}
	format_ms(created, 1000 * (int64_t)time(NULL) - 60000);
	if (fprintf(f,
	            "{\"@context\":[\"" EPCIS_CONTEXT
	            "\",{\"waybill\":\"urn:waybill:ext:\"}],\n"
	            "\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\","
	            "\"creationDate\":\"%s\",\n"
	            "\"epcisBody\":{\"eventList\":[\n",
	            created) < 0) {
		rc = -1;
	}
	for (uint64_t n = 0; rc == 0 && n < b->o->events; n++) {
		rc = write_event(f, &b->gen, n, n + 1 == b->o->events);
	}
	if (rc == 0 && fprintf(f, "]}}\n") < 0) {
		rc = -1;
	}
	if (fclose(f) != 0 || rc != 0) {
		return bench_fail("writing %s: %s", b->doc, strerror(errno));
	}
	if (stat(b->doc, &st) != 0) {
		return bench_fail("%s: %s", b->doc, strerror(errno));
	}
	b->document_bytes = (double)st.st_size;
	return BENCH_OK;
}

/*
 * The ledger and the daemon.
 */

static int
make_ledger(struct epcisb *b)
{
	wb_journal *j = NULL;
	char path[PATH_MAX];
	wb_err rc;
	int brc;

	if ((brc = bench_ledger_create(b->dir, ORIGIN, &b->log, &b->admin)) !=
	    BENCH_OK) {
		return brc;
	}
	if ((rc = wb_signer_generate(&b->owner, "Acme")) != WB_OK) {
		return bench_fail("making keys: %s", wb_strerror(rc));
	}
	if ((rc = wb_journal_open(&j, b->dir, NULL)) != WB_OK) {
		return bench_fail("opening the ledger: %s", wb_strerror(rc));
	}
	memcpy(b->ledger_id, wb_journal_ledger_id(j), WB_HASH_LEN);
	wb_journal_close(j);
	snprintf(path, sizeof(path), "%s/log.key", b->dir);
	snprintf(b->key_path, sizeof(b->key_path), "%s/importer.key", b->dir);
	if ((rc = wb_keyfile_write(path, b->log)) != WB_OK ||
	    (rc = wb_keyfile_write(b->key_path, b->owner)) != WB_OK) {
		return bench_fail("writing the key files: %s", wb_strerror(rc));
	}
	/* Event times (twenty a second by serial) end a day before now, also
	 * for the serials both submit phases may sign. */
	bench_stampgen_init(
	        &b->gen, b->ledger_id, b->owner,
	        SUBMIT_SERIAL0 + (uint64_t)(3 * MAX_RATE * b->seconds) + 100000,
	        false);
	return BENCH_OK;
}

static int
start_daemon(struct epcisb *b)
{
	char listen[PATH_MAX + 16], publish[PATH_MAX + 16], log_key[PATH_MAX];
	const char *args[] = { b->waybilld, "--data",      b->dir,  "--listen",
		               listen,      "--publish",   publish, "--log-key",
		               log_key,     "--log-level", "warn",  NULL };
	wb_rpc_client_opts co = { .timeout_ms = CALL_TIMEOUT_MS,
		                  .key = b->owner };
	int rc;
	wb_err err = WB_ETIMEDOUT;

	snprintf(listen, sizeof(listen), "ipc://%s/rpc.sock", b->dir);
	snprintf(publish, sizeof(publish), "ipc://%s/pub.sock", b->dir);
	snprintf(log_key, sizeof(log_key), "%s/log.key", b->dir);
	if ((rc = bench_daemon_start(&b->d, args, NULL)) != BENCH_OK) {
		return rc;
	}
	if ((err = wb_rpc_client_open(&b->c, b->d.url, &co)) != WB_OK) {
		return bench_fail("opening a client of %s: %s", b->d.url,
		                  wb_strerror(err));
	}
	for (int i = 0; i < 100 && (err = wb_rpc_ping(b->c, NULL)) != WB_OK;
	     i++) {
	}
	if (err != WB_OK) {
		return bench_fail("waybilld does not answer Ping: %s",
		                  wb_strerror(err));
	}
	bench_note("waybilld (pid %d) on %s", (int)b->d.pid, b->d.url);
	return BENCH_OK;
}

static int
register_owner(struct epcisb *b)
{
	wb_submission reg;
	wb_rpc_result *res = NULL;
	wb_problem p = { 0 };
	wb_err rc;
	int brc;

	if ((brc = bench_owner_registration(&reg, b->ledger_id, b->admin,
	                                    b->owner, "Acme")) != BENCH_OK) {
		return brc;
	}
	rc = wb_rpc_submit(&res, NULL, b->c, &reg, 1, false, &p);
	if (rc == WB_OK && res[0].err != WB_OK) {
		p = res[0].problem;
		rc = res[0].err;
	}
	wb_rpc_results_free(res, 1);
	free((void *)(uintptr_t)reg.body);
	if (rc != WB_OK) {
		return bench_fail("registering the importer: %s %s",
		                  wb_strerror(rc), p.msg);
	}
	return BENCH_OK;
}

static int
tree_size(struct epcisb *b, uint64_t *out)
{
	wb_rpc_info info;
	wb_problem p = { 0 };
	wb_err rc = wb_rpc_info_get(&info, b->c, &p);

	if (rc != WB_OK) {
		return bench_fail("Info: %s %s", wb_strerror(rc), p.msg);
	}
	*out = info.tree_size;
	free(info.checkpoint);
	return BENCH_OK;
}

/*
 * The import.
 */

static int
run_import(struct epcisb *b, double *seconds, double *rss, double *cpu)
{
	const char *args[] = { b->waybill,  "epcis",     "import",   b->doc,
		               "--key",     b->key_path, "--server", b->d.url,
		               "--proceed", "--timeout", "600",      NULL };
	struct rusage ru;
	double t0, t1;
	int status;
	pid_t pid;

	snprintf(b->out_path, sizeof(b->out_path), "%s/import.out", b->dir);
	snprintf(b->err_path, sizeof(b->err_path), "%s/import.err", b->dir);
	bench_note("%s epcis import %s --key %s --server %s --proceed "
	           "--timeout 600",
	           b->waybill, b->doc, b->key_path, b->d.url);
	t0 = bench_now();
	if ((pid = fork()) < 0) {
		return bench_fail("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int out = open(b->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(b->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (out < 0 || err < 0) {
			_exit(126);
		}
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execv(b->waybill, (char *const *)(uintptr_t)args);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			return bench_fail("wait4: %s", strerror(errno));
		}
	}
	t1 = bench_now();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		bench_print_tail(b->err_path);
		if (WIFSIGNALED(status)) {
			return bench_fail("the importer died of signal %d",
			                  WTERMSIG(status));
		}
		return bench_fail("the importer exited %d (its stdout: %s)",
		                  WEXITSTATUS(status), b->out_path);
	}
	*seconds = t1 - t0;
	*rss = (double)ru.ru_maxrss * 1024.0; /* Linux: kilobytes */
	*cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	bench_note("importer: %.2f s, %.2f CPU-s (user %.2f), peak RSS %.1f MB",
	           *seconds, *cpu,
	           (double)ru.ru_utime.tv_sec +
	                   (double)ru.ru_utime.tv_usec * 1e-6,
	           *rss / 1e6);
	return BENCH_OK;
}

/* The raw 2-thread verify rate, while the daemon is idle. */
static int
verify_rate(struct epcisb *b)
{
	bench_stamp_spec specs[VERIFY_SET];
	double v[VERIFY_ROUNDS];
	wb_submission *set = NULL;
	int rc;

	for (size_t i = 0; i < VERIFY_SET; i++) {
		specs[i].n = SUBMIT_SERIAL0 - VERIFY_SET + i;
		specs[i].inspect = false;
	}
	if ((rc = bench_stamps_generate(&set, &b->gen, specs, VERIFY_SET)) !=
	    BENCH_OK) {
		return rc;
	}
	for (int i = 0; i < VERIFY_ROUNDS && rc == BENCH_OK; i++) {
		rc = bench_verify_rate(&v[i], set, VERIFY_SET,
		                       BENCH_VERIFY_THREADS, VERIFY_ROUND_S);
	}
	bench_stamps_free(set, VERIFY_SET);
	if (rc == BENCH_OK) {
		b->verify_2t = bench_quantile(v, VERIFY_ROUNDS, 0.5);
		bench_note("verify, 2 threads: %.1f, %.1f, %.1f k/s",
		           v[0] / 1e3, v[1] / 1e3, v[2] / 1e3);
	}
	return rc;
}

static int
submit_phase(struct epcisb *b, const char *what, uint64_t *serial,
             double *per_s)
{
	stretch s;
	int rc;

	stretch_begin(b, &s);
	rc = bench_rpc_submit_b32(per_s, b->d.url, b->owner, &b->gen, serial,
	                          b->seconds, b->verify_2t);
	if (rc == BENCH_OK) {
		stretch_note(b, what, &s, 0);
	}
	return rc;
}

static int
measure(struct epcisb *b, bench_report *r)
{
	uint64_t serial = SUBMIT_SERIAL0, size0, size1;
	double before = 0, after = 0, import_s = 0, rss = 0, cpu = 0;
	double events = (double)b->o->events, submit;
	stretch s;
	int rc;

	if ((rc = verify_rate(b)) != BENCH_OK ||
	    (rc = submit_phase(b, "submit batch 32, before the import", &serial,
	                       &before)) != BENCH_OK ||
	    (rc = tree_size(b, &size0)) != BENCH_OK) {
		return rc;
	}
	stretch_begin(b, &s);
	if ((rc = run_import(b, &import_s, &rss, &cpu)) != BENCH_OK) {
		return rc;
	}
	stretch_note(b, "import", &s, cpu);
	if ((rc = tree_size(b, &size1)) != BENCH_OK) {
		return rc;
	}
	if (size1 - size0 != b->o->events) {
		return bench_fail("the ledger grew by %llu entries, not the "
		                  "document's %llu events",
		                  (unsigned long long)(size1 - size0),
		                  (unsigned long long)b->o->events);
	}
	if ((rc = submit_phase(b, "submit batch 32, after the import", &serial,
	                       &after)) != BENCH_OK) {
		return rc;
	}
	bench_note("submit batch 32: %.0f/s before the import, %.0f/s after",
	           before, after);
	submit = (before + after) / 2;

	bench_add(r, "events", "events in the document", "", 0, events);
	bench_add(r, "document_bytes", "document size", "B", 0,
	          b->document_bytes);
	bench_add(r, "import_s", "import, spawn to exit", "s", 2, import_s);
	bench_add(r, "import_events_per_s", "import, durable events/s", "/s", 0,
	          events / import_s);
	bench_add(r, "importer_cpu_s", "importer CPU (user + system)", "s", 2,
	          cpu);
	bench_add(r, "submit_b32_per_s",
	          "Submit batch 32, durable stamps/s (mean of 2)", "/s", 0,
	          submit);
	bench_add(r, "verify_2t_per_s", "Ed25519 verify, 2 threads (idle)",
	          "/s", 0, b->verify_2t);
	bench_add(r, "import_ratio", "import_ratio (import / submit b32)", "",
	          3, events / import_s / submit);
	bench_add(r, "importer_peak_rss_bytes", "importer peak RSS (ru_maxrss)",
	          "B", 0, rss);
	bench_add(r, "rss_ratio", "rss_ratio (peak RSS / document size)", "", 3,
	          rss / b->document_bytes);
	return BENCH_OK;
}

int
bench_epcis(const bench_opts *o, bench_report *r)
{
	struct epcisb b = { .o = o };
	int rc;

	b.seconds = o->seconds > 0             ? o->seconds
	            : o->events < SMALL_EVENTS ? SMALL_SECONDS
	                                       : DEFAULT_SECONDS;
	if ((rc = bench_find_program(b.waybilld, sizeof(b.waybilld), "waybilld",
	                             "WAYBILLD")) != BENCH_OK ||
	    (rc = bench_find_program(b.waybill, sizeof(b.waybill), "waybill",
	                             "WAYBILL")) != BENCH_OK) {
		return rc;
	}
	if ((b.dir = bench_scratch_dir(o)) == NULL) {
		return BENCH_ERROR;
	}
	bench_note("scratch ledger and document in %s", b.dir);
	if ((rc = make_ledger(&b)) == BENCH_OK) {
		double t0 = bench_now();

		if ((rc = write_document(&b)) == BENCH_OK) {
			bench_note("document: %llu events, %.1f MB, written in "
			           "%.1f s",
			           (unsigned long long)o->events,
			           b.document_bytes / 1e6, bench_now() - t0);
		}
	}
	if (rc == BENCH_OK && (rc = start_daemon(&b)) == BENCH_OK &&
	    (rc = register_owner(&b)) == BENCH_OK) {
		rc = measure(&b, r);
	}
	wb_rpc_client_close(b.c);
	bench_daemon_stop(&b.d, STOP_WAIT_MS);
	wb_signer_free(b.owner);
	wb_signer_free(b.admin);
	wb_signer_free(b.log);
	if (o->keep) {
		bench_note("ledger and document kept in %s", b.dir);
		free(b.dir);
	} else {
		bench_scratch_remove(b.dir);
	}
	return rc;
}
