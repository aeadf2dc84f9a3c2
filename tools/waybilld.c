/* SPDX-License-Identifier: MIT */
/*
 * waybilld - the ledger daemon: serves one ledger directory over nng until
 * SIGTERM or SIGINT, then finishes the requests in flight, commits, closes
 * and exits 0. If nng's reaper thread is found stuck it exits 75 at once
 * (exit_nng_stuck).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpc/rpc.h"

static const char usage_text[] =
        "usage: waybilld --data DIR [--listen URL ...] [--publish URL|none]\n"
        "                [--log-key FILE] [--tls-cert FILE --tls-key FILE]\n"
        "                [--workers N] [--max-message BYTES] [--max-batch N]\n"
        "                [--max-queued N] [--map-size BYTES]\n"
        "                [--log-level error|warn|info|debug]\n"
        "                [--public-recall-status]\n"
        "       waybilld --data DIR --rebuild-indexes [--map-size BYTES]\n"
        "\n"
        "Serves the ledger in DIR (made by `waybill init`).\n"
        "\n"
        "  --listen URL       tcp://HOST:PORT, ipc:///PATH or tls+tcp://HOST:PORT;\n"
        "                     repeatable (default " WB_RPC_DEFAULT_URL ")\n"
        "  --publish URL      the pub socket announcing checkpoints, recalls and\n"
        "                     lifts (default " WB_RPC_DEFAULT_PUBLISH
        ", loopback);\n"
        "                     \"none\" turns it off\n"
        "  --log-key FILE     the log key, which signs checkpoints (default\n"
        "                     DIR/log.key)\n"
        "  --tls-cert FILE    PEM certificate for tls+tcp:// (ECDSA or RSA: Debian's\n"
        "  --tls-key FILE     nng uses mbedTLS, which takes no Ed25519 certificates)\n"
        "  --workers N        request and signature-verification threads (default:\n"
        "                     one per core)\n"
        "  --max-message N    largest request answered (default 4194304 bytes);\n"
        "                     twice that is nng's hard limit, beyond which the\n"
        "                     connection is dropped\n"
        "  --max-batch N      stamps per Submit (default 1024)\n"
        "  --max-queued N     stamps verified and waiting for the writer (default\n"
        "                     65536, at least --max-batch); beyond it a Submit\n"
        "                     is refused \"busy\", nothing written, to be retried\n"
        "  --map-size BYTES   the ledger's maximum size (default 64 GiB); at the\n"
        "                     maximum, submits are refused with \"ledger full\"\n"
        "  --log-level L      diagnostics on stderr (default info; debug adds a\n"
        "                     line per request)\n"
        "  --public-recall-status\n"
        "                     answer RecallStatus without a key, for till and\n"
        "                     shelf systems that hold none (every other read\n"
        "                     still needs one)\n"
        "  --rebuild-indexes  do not serve: rebuild the derived databases (twin\n"
        "                     state, lineage, registry, recalls, event IDs, search,\n"
        "                     Merkle nodes) from the journal alone, print\n"
        "                     \"rebuilt N entries ...\" and exit 0; every entry and\n"
        "                     checkpoint is verified first, and a bad one stops it\n"
        "                     (exit 1, naming the entry) with nothing changed. The\n"
        "                     daemon must be stopped. Scratch space: $TMPDIR\n"
        "\n"
        "Exit status: 0 after SIGTERM or SIGINT, 1 when it cannot start, 2 on a\n"
        "usage error, 75 when nng's reaper thread is stuck (an nng 1.5.2 defect:\n"
        "connections are no longer released): restart it.\n";

/* The exit status when nng's reaper is stuck (EX_TEMPFAIL): restart. */
#define EXIT_NNG_STUCK 75

/*
 * nng's reaper thread is stuck (rpc/reaper_watch.h): connections would
 * pile up until none could be accepted, and an orderly stop would never
 * return (it closes nng sockets). Exiting at once is what a crash is to
 * the ledger: every acknowledged submission is durable, and a request in
 * flight was not acknowledged (its client retries; a resubmitted stamp
 * is refused as a duplicate if it had landed).
 */
static void
exit_nng_stuck(void *arg)
{
	(void)arg;
	fprintf(stderr,
	        "waybilld: exiting with status %d so that the service manager restarts it\n",
	        EXIT_NNG_STUCK);
	_exit(EXIT_NNG_STUCK);
}

static int usage_error(const char *fmt, ...)
        __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "waybilld: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	return 2;
}

static int
parse_size(const char *text, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0' && text[0] >= '0' && text[0] <= '9' &&
	                       *out > 0 && *out <= max
	               ? 0
	               : -1;
}

struct args {
	const char *data;
	const char *listen[16];
	size_t n_listen;
	const char *publish;
	const char *log_key;
	unsigned long long map_size;
	bool rebuild;
	wb_rpc_server_opts so;
};

static int
parse_args(struct args *a, int argc, char **argv)
{
	unsigned long long v;
	int level;

	a->publish = WB_RPC_DEFAULT_PUBLISH;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i],
		           *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (strcmp(arg, "--public-recall-status") == 0) {
			a->so.public_recall_status = true;
			continue;
		}
		if (strcmp(arg, "--rebuild-indexes") == 0) {
			a->rebuild = true;
			continue;
		}
		if (arg[0] != '-' || val == NULL) {
			return usage_error("unexpected argument %s", arg);
		}
		i++;
		if (strcmp(arg, "--data") == 0) {
			a->data = val;
		} else if (strcmp(arg, "--listen") == 0) {
			if (a->n_listen == 16) {
				return usage_error("at most 16 --listen");
			}
			a->listen[a->n_listen++] = val;
		} else if (strcmp(arg, "--publish") == 0) {
			a->publish = strcmp(val, "none") == 0 ? NULL : val;
		} else if (strcmp(arg, "--log-key") == 0) {
			a->log_key = val;
		} else if (strcmp(arg, "--tls-cert") == 0) {
			a->so.tls_cert_file = val;
		} else if (strcmp(arg, "--tls-key") == 0) {
			a->so.tls_key_file = val;
		} else if (strcmp(arg, "--workers") == 0) {
			if (parse_size(val, 256, &v) != 0) {
				return usage_error(
				        "--workers takes 1 to 256, not %s",
				        val);
			}
			a->so.workers = (unsigned)v;
		} else if (strcmp(arg, "--max-message") == 0) {
			if (parse_size(val, 1u << 30, &v) != 0 || v < 4096) {
				return usage_error(
				        "--max-message takes 4096 to 1073741824 bytes, not %s",
				        val);
			}
			a->so.max_message = (size_t)v;
		} else if (strcmp(arg, "--max-batch") == 0) {
			if (parse_size(val, 1u << 20, &v) != 0) {
				return usage_error(
				        "--max-batch takes 1 to 1048576, not %s",
				        val);
			}
			a->so.max_batch = (unsigned)v;
		} else if (strcmp(arg, "--max-queued") == 0) {
			if (parse_size(val, 1u << 24, &v) != 0) {
				return usage_error(
				        "--max-queued takes 1 to 16777216, not %s",
				        val);
			}
			a->so.max_queued = (size_t)v;
		} else if (strcmp(arg, "--map-size") == 0) {
			if (parse_size(val, ~0ull >> 1, &v) != 0 ||
			    v < (1u << 20)) {
				return usage_error(
				        "--map-size takes a byte count of at least 1048576, not %s",
				        val);
			}
			a->map_size = v;
		} else if (strcmp(arg, "--log-level") == 0) {
			if ((level = wb_log_level_parse(val)) < 0) {
				return usage_error(
				        "--log-level is error, warn, info or debug, not %s",
				        val);
			}
			wb_log_set_level((wb_log_level)level);
		} else {
			return usage_error("unknown option %s", arg);
		}
	}
	if (a->data == NULL) {
		return usage_error("--data DIR is required");
	}
	if ((a->so.tls_cert_file == NULL) != (a->so.tls_key_file == NULL)) {
		return usage_error("--tls-cert and --tls-key go together");
	}
	/* A batch larger than the queue could never be taken, and "busy,
	 * retry" would be a lie. */
	if (a->so.max_queued != 0 &&
	    a->so.max_queued < (a->so.max_batch ? a->so.max_batch
	                                        : WB_RPC_DEFAULT_MAX_BATCH)) {
		return usage_error(
		        "--max-queued (%zu) is smaller than --max-batch (%u): a whole batch must fit in the queue",
		        a->so.max_queued,
		        a->so.max_batch ? a->so.max_batch
		                        : WB_RPC_DEFAULT_MAX_BATCH);
	}
	if (a->n_listen == 0) {
		a->listen[a->n_listen++] = WB_RPC_DEFAULT_URL;
	}
	return 0;
}

static void
print_identity(wb_journal *j, wb_rpc_server *srv, size_t n_listen,
               const char *publish)
{
	const wb_genesis *g = wb_journal_genesis(j);
	char *log_text = NULL, *admin_text = NULL;
	uint64_t size = 0;

	(void)wb_journal_size(&size, j);
	(void)wb_verifier_format(&log_text, g->origin, &g->log_key);
	if (g->admin_key_name != NULL) {
		(void)wb_verifier_format(&admin_text, g->admin_key_name,
		                         &g->admin_key);
	}
	for (size_t i = 0; i < n_listen; i++) {
		printf("listening  %s\n", wb_rpc_server_url(srv, i));
	}
	if (publish != NULL) {
		printf("publishing %s\n", publish);
	}
	printf("origin     %s\n", g->origin);
	printf("log key    %s\n", log_text ? log_text : "?");
	printf("admin key  %s\n", admin_text ? admin_text : "(unnamed)");
	printf("size       %llu entries\n", (unsigned long long)size);
	fflush(stdout);
	free(log_text);
	free(admin_text);
}

/* --rebuild-indexes: the derived databases rebuilt, then exit; no log key
 * is needed (the stored checkpoints are kept). */
static int
rebuild_indexes(const struct args *a)
{
	wb_rebuild_opts o = { .max_map_size = (size_t)a->map_size };
	wb_rebuild_report r;
	wb_err rc;

	rc = wb_rebuild_derived(&r, a->data, &o);
	if (rc == WB_OK) {
		printf("rebuilt %llu entr%s: %llu checkpoint%s, %llu derived records written\n",
		       (unsigned long long)r.entries,
		       r.entries == 1 ? "y" : "ies",
		       (unsigned long long)r.checkpoints,
		       r.checkpoints == 1 ? " matches" : "s match",
		       (unsigned long long)r.records);
		return 0;
	}
	if (rc == WB_ENOTFOUND) {
		fprintf(stderr,
		        "waybilld: %s holds no ledger: nothing to rebuild\n",
		        a->data);
	} else if (rc == WB_ECORRUPT) {
		fprintf(stderr,
		        "waybilld: cannot rebuild %s: the journal is damaged at entry %llu: %s; nothing was changed: restore the ledger from a backup\n",
		        a->data, (unsigned long long)r.first_bad, r.problem);
	} else {
		fprintf(stderr, "waybilld: cannot rebuild %s: %s\n", a->data,
		        r.problem[0] ? r.problem : wb_strerror(rc));
	}
	return 1;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	wb_journal_open_opts oo = { 0 };
	wb_signer *log = NULL;
	wb_journal *j = NULL;
	wb_rpc_server *srv = NULL;
	char default_log[4096];
	sigset_t sigs;
	int sig = 0, code = 1, rc;

	wb_log_set_level(WB_LOG_INFO);
	if ((rc = parse_args(&a, argc, argv)) != 0) {
		return rc;
	}
	if (wb_init() != WB_OK) {
		fprintf(stderr, "waybilld: libsodium failed to start\n");
		return 1;
	}
	if (a.rebuild) {
		return rebuild_indexes(&a);
	}
	if (a.log_key == NULL) {
		snprintf(default_log, sizeof(default_log), "%s/log.key",
		         a.data);
		a.log_key = default_log;
	}
	/* Signals are taken by sigwait below, never by a handler: block them
	 * before any thread starts, so every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((rc = wb_journal_open(&j, a.data, NULL)) == WB_ENOTFOUND) {
		fprintf(stderr,
		        "waybilld: %s holds no ledger: create one with `waybill init --data %s --origin ORIGIN --admin-key KEY`\n",
		        a.data, a.data);
		return 1;
	}
	wb_journal_close(j);
	j = NULL;
	if ((rc = wb_keyfile_read(&log, a.log_key)) != WB_OK) {
		fprintf(stderr, "waybilld: cannot use the log key %s: %s\n",
		        a.log_key,
		        rc == WB_ENOTFOUND
		                ? "no such file (give --log-key FILE)"
		        : rc == WB_EDENIED
		                ? "it is readable by others, or unreadable (chmod 600)"
		                : "not a private key file");
		return 1;
	}
	oo.log_key = log;
	oo.max_map_size = (size_t)a.map_size;
	if ((rc = wb_journal_open(&j, a.data, &oo)) != WB_OK) {
		fprintf(stderr, "waybilld: cannot open the ledger in %s: %s\n",
		        a.data,
		        rc == WB_EDENIED ? "the log key is not this ledger's"
		        : rc == WB_EVERSION
		                ? "it was written by a newer waybill"
		                : wb_strerror(rc));
		goto out;
	}
	a.so.listen = a.listen;
	a.so.n_listen = a.n_listen;
	a.so.publish = a.publish;
	a.so.on_nng_stuck = exit_nng_stuck;
	if ((rc = wb_rpc_server_start(&srv, j, &a.so)) != WB_OK) {
		fprintf(stderr, "waybilld: cannot start serving: %s\n",
		        wb_strerror(rc));
		goto out;
	}
	print_identity(j, srv, a.n_listen, a.publish);
	wb_log(WB_LOG_INFO, "serving %s", a.data);
	while (sigwait(&sigs, &sig) != 0) {
	}
	wb_log(WB_LOG_INFO, "%s: finishing requests in flight, then stopping",
	       sig == SIGTERM ? "SIGTERM" : "SIGINT");
	wb_rpc_server_stop(srv);
	srv = NULL;
	code = 0;
	wb_log(WB_LOG_INFO, "stopped");
out:
	wb_rpc_server_stop(srv);
	wb_journal_close(j);
	wb_signer_free(log);
	return code;
}
