/* SPDX-License-Identifier: MIT */
/*
 * waybill epcis export: stamps of the ledger as an EPCIS 2.0
 * EPCISQueryDocument (JSON-LD), for a twin's history, a trace, a search or
 * an index range. This file picks the entries (over the network, with a
 * reader's key) and writes the file; the document itself is libwaybill's
 * (waybill/epcis_export.h). docs/epcis.md, "Export", is the reference.
 *
 * Errors: exit codes of cli.h; 2 for bad arguments, 3 when the server
 * refuses (no key, unknown twin), 4 when it does not answer, 5 for files
 * (an existing --out is never overwritten) and entries with no EPCIS form,
 * 1 when the server's answer does not verify (an entry that does not
 * parse, or not the one asked for).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "waybill/epcis_export.h"

#define CMD "epcis export"

static const char export_help[] =
        "usage: waybill epcis export --twin ID [options]\n"
        "       waybill epcis export --trace ID [--up|--down|--both]\n"
        "                            [--depth N] [--as-of N] [options]\n"
        "       waybill epcis export --search [filters] [--limit N] [options]\n"
        "       waybill epcis export --range FROM TO|end [options]\n"
        "\n"
        "Writes stamps of the ledger as an EPCIS 2.0 EPCISQueryDocument\n"
        "(JSON-LD; it validates against the EPCIS 2.0 JSON schema), to\n"
        "standard output or --out FILE. Events are in journal order, one per\n"
        "line; each has recordTime (when the ledger recorded it) and the\n"
        "ledger's facts waybill:index, waybill:signerKey and waybill:leafHash.\n"
        "Recalls, lifts and master data come out as waybill:RecallEvent,\n"
        "waybill:LiftEvent and waybill:MasterDataEvent; registry entries have\n"
        "no EPCIS form and are left out.\n"
        "\n"
        "What is exported (exactly one of):\n"
        "  --twin ID          the twin's history (any form of its ID)\n"
        "  --trace ID         every stamp that opened or closed an edge of the\n"
        "                     trace, and the history of every twin in it\n"
        "    --up, --down, --both   the direction (default --up)\n"
        "    --depth N              at most N steps (default 32)\n"
        "    --as-of N              the graph as entry N left it; no entry\n"
        "                           after N\n"
        "  --search           the stamps matching every filter given:\n"
        "    --biz-step S, --disposition D (CBV words or URIs),\n"
        "    --read-point ID, --biz-location ID, --stakeholder KEY (verifier\n"
        "    key text or file), --event-from T, --event-to T, --record-from\n"
        "    T, --record-to T (RFC 3339, inclusive), --limit N (default all)\n"
        "  --range FROM TO    every stamp with index in [FROM, TO); TO may\n"
        "                     be `end` (the ledger's size): for audits\n"
        "\n"
        "  --out FILE         write FILE (never overwrites one that exists)\n"
        "  --prefix P=IRI     declare the namespace prefix P in @context\n"
        "                     (for extension fields of imported documents\n"
        "                     whose prefixes the ledger holds no binding for)\n"
        "  --no-ledger-fields leave out waybill:index, waybill:signerKey and\n"
        "                     waybill:leafHash (a document for another system)\n"
        "\n"
        "With --out, prints what it wrote (--json: as JSON). Reads need a\n"
        "registered key (--key). Exit status: 0 written, 1 the server's\n"
        "answer does not verify, 2 usage, 3 refused, 4 network, 5 files or\n"
        "an entry with no EPCIS form.\n";

typedef enum {
	MODE_NONE,
	MODE_TWIN,
	MODE_TRACE,
	MODE_SEARCH,
	MODE_RANGE,
} mode;

/* The indexes to export: collected, then sorted and made unique. */
typedef struct {
	uint64_t *v;
	size_t n, cap;
} index_set;

static int
index_add(index_set *s, uint64_t index)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		uint64_t *nv = realloc(s->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			return cli_fail(CLI_ERROR, CMD, "out of memory");
		}
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = index;
	return CLI_OK;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
index_sort_unique(index_set *s)
{
	size_t n = 0;

	if (s->n == 0) {
		return;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	for (size_t i = 0; i < s->n; i++) {
		if (n == 0 || s->v[i] != s->v[n - 1]) {
			s->v[n++] = s->v[i];
		}
	}
	s->n = n;
}

/* Every entry of a twin's history; up to `last` (0: no bound). */
static int
add_history(index_set *s, wb_rpc_client *c, const char *twin, uint64_t last)
{
	uint64_t cursor = 0, next = 0, *idx = NULL;
	size_t n;
	wb_problem p = { 0 };
	int code = CLI_OK;
	wb_err rc;

	for (;;) {
		rc = wb_rpc_history(&idx, &n, &next, c, twin, cursor, false,
		                    1000, &p);
		if (rc != WB_OK) {
			return cli_rpc_fail(CMD, c, rc, &p, twin);
		}
		for (size_t i = 0; i < n && code == CLI_OK; i++) {
			if (last == 0 || idx[i] <= last) {
				code = index_add(s, idx[i]);
			}
		}
		free(idx);
		idx = NULL;
		if (code != CLI_OK || next == 0 || n == 0) {
			return code;
		}
		cursor = next;
	}
}

/* The trace's edges (the stamps that opened and closed them) and the
 * history of every node: the whole story of what the trace shows. */
static int
add_trace(index_set *s, wb_rpc_client *c, const char *twin, bool up, bool down,
          const wb_trace_opts *base)
{
	wb_trace_opts to = *base;
	wb_trace *t = NULL;
	wb_problem p = { 0 };
	int code = CLI_OK;
	wb_err rc;

	for (int k = 0; k < 2 && code == CLI_OK; k++) {
		if ((k == 0 && !up) || (k == 1 && !down)) {
			continue;
		}
		to.down = k == 1;
		if ((rc = wb_rpc_trace(&t, c, twin, &to, &p)) != WB_OK) {
			return cli_rpc_fail(CMD, c, rc, &p, twin);
		}
		if (t->truncated) {
			fprintf(stderr,
			        "waybill " CMD
			        ": warning: the trace of %s stopped at its depth or node limit; raise --depth for more\n",
			        twin);
		}
		for (size_t i = 0; i < t->n_edges && code == CLI_OK; i++) {
			code = index_add(s, t->edges[i].opened);
			if (code == CLI_OK && t->edges[i].closed != 0 &&
			    (to.as_of.index == 0 ||
			     t->edges[i].closed <= to.as_of.index)) {
				code = index_add(s, t->edges[i].closed);
			}
		}
		for (size_t i = 0; i < t->n_nodes && code == CLI_OK; i++) {
			code = add_history(s, c, t->nodes[i].id,
			                   to.as_of.index);
		}
		wb_trace_free(t);
		t = NULL;
	}
	return code;
}

static int
add_search(index_set *s, wb_rpc_client *c, wb_search_query *q,
           const wb_pubkey *stakeholder, unsigned long long limit)
{
	uint64_t *hits = NULL, next = 0;
	size_t n, got = 0;
	wb_problem p = { 0 };
	int code = CLI_OK;
	wb_err rc;

	for (;;) {
		q->limit = 1000;
		if (limit != 0 && limit - got < 1000) {
			q->limit = (size_t)(limit - got);
		}
		rc = wb_rpc_search(&hits, &n, &next, c, q, stakeholder, &p);
		if (rc != WB_OK) {
			return cli_rpc_fail(CMD, c, rc, &p, "search");
		}
		for (size_t i = 0; i < n && code == CLI_OK; i++) {
			code = index_add(s, hits[i]);
		}
		got += n;
		free(hits);
		hits = NULL;
		/* A page may stop short at the server's scan budget: go on
		 * from its cursor until the limit or the end. */
		if (code != CLI_OK || next == 0 ||
		    (limit != 0 && got >= limit)) {
			return code;
		}
		q->after = next;
	}
}

static int
add_range(index_set *s, wb_rpc_client *c, unsigned long long from,
          unsigned long long to, bool to_end)
{
	wb_rpc_info info = { 0 };
	int code;

	if ((code = cli_info_get(&info, CMD, c)) != CLI_OK) {
		return code;
	}
	free(info.checkpoint);
	if (to_end) {
		to = info.tree_size;
	}
	if (to > info.tree_size) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "--range %llu %llu: the ledger holds %llu entries (indexes 0 to %llu); TO may be at most %llu, or `end`",
		        from, to, (unsigned long long)info.tree_size,
		        (unsigned long long)info.tree_size - 1,
		        (unsigned long long)info.tree_size);
	}
	for (unsigned long long i = from; i < to && code == CLI_OK; i++) {
		code = index_add(s, i);
	}
	return code;
}

/* Fetches each entry and adds its stamp to the export. */
static int
add_entries(wb_epcis_export *x, size_t *skipped, wb_rpc_client *c,
            const index_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		uint8_t *bytes = NULL;
		size_t len = 0;
		wb_entry *e = NULL;
		wb_problem p = { 0 };
		char what[64];
		bool stamp;
		wb_err rc;

		snprintf(what, sizeof(what), "entry %llu",
		         (unsigned long long)s->v[i]);
		if ((rc = wb_rpc_get_entry(&bytes, &len, c, s->v[i], &p)) !=
		    WB_OK) {
			return cli_rpc_fail(CMD, c, rc, &p, what);
		}
		if (wb_entry_decode(&e, bytes, len) != WB_OK ||
		    e->index != s->v[i]) {
			free(bytes);
			wb_entry_free(e);
			return cli_fail(
			        CLI_VERIFY_FAILED, CMD,
			        "the server sent %s in a form that does not parse, or another entry",
			        what);
		}
		stamp = e->type == WB_ENTRY_STAMP;
		wb_entry_free(e);
		if (!stamp) {
			free(bytes);
			(*skipped)++;
			continue;
		}
		rc = wb_epcis_export_add(x, bytes, len);
		free(bytes);
		switch (rc) {
		case WB_OK:
			break;
		case WB_EPROTO:
			return cli_fail(CLI_VERIFY_FAILED, CMD,
			                "the stamp of %s does not parse", what);
		case WB_EINVAL:
			return cli_fail(
			        CLI_ERROR, CMD,
			        "the stamp of %s has no EPCIS JSON form (an unknown kind, an instant outside the years 0000-9999, or stored JSON that does not parse)",
			        what);
		default:
			return cli_fail(CLI_ERROR, CMD, "%s: %s", what,
			                wb_strerror(rc));
		}
	}
	return CLI_OK;
}

/* --prefix P=IRI */
static int
declare_prefix(wb_epcis_export *x, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char prefix[128];
	wb_err rc;

	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(prefix)) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "--prefix takes NAME=IRI (e.g. example=https://ns.example.com/epcis/), not \"%s\"",
		        arg);
	}
	memcpy(prefix, arg, (size_t)(eq - arg));
	prefix[eq - arg] = '\0';
	rc = wb_epcis_export_declare(x, prefix, eq + 1);
	if (rc == WB_EEXISTS) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "--prefix %s: the prefix is already bound to another IRI",
		        prefix);
	}
	if (rc != WB_OK) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "--prefix %s: a prefix is a name (letters, digits, -, _, .) and the IRI is not empty",
		        arg);
	}
	return CLI_OK;
}

static void
warn_undeclared(const wb_epcis_export *x)
{
	size_t n;
	const char *const *v = wb_epcis_export_undeclared(x, &n);

	if (n == 0) {
		return;
	}
	fprintf(stderr,
	        "waybill " CMD
	        ": warning: the events use namespace prefixes the ledger holds no binding for (the imported document declared them):");
	for (size_t i = 0; i < n; i++) {
		fprintf(stderr, "%s %s", i ? "," : "", v[i]);
	}
	fprintf(stderr, "; declare them with --prefix NAME=IRI\n");
}

/* Writes the document to path, created here: an existing file is never
 * replaced, and a failed write leaves no partial file behind. */
static int
write_out(wb_epcis_export *x, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	FILE *f;
	wb_err rc;

	if (fd < 0) {
		return cli_fail(
		        CLI_ERROR, CMD,
		        errno == EEXIST
		                ? "%s exists: the export never overwrites a file; remove it or name another"
		                : "cannot create %s: %s",
		        path, strerror(errno));
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		return cli_fail(CLI_ERROR, CMD, "cannot write %s: %s", path,
		                strerror(errno));
	}
	rc = wb_epcis_export_finish(x, f);
	if (fclose(f) != 0 && rc == WB_OK) {
		rc = WB_EIO;
	}
	if (rc != WB_OK) {
		unlink(path);
		return cli_fail(CLI_ERROR, CMD, "cannot write %s: %s", path,
		                rc == WB_EIO ? strerror(errno)
		                             : wb_strerror(rc));
	}
	return CLI_OK;
}

static int
mode_twice(void)
{
	return cli_fail(CLI_USAGE, CMD,
	                "choose one of --twin, --trace, --search and --range");
}

static int
time_opt(const char *name, const char *v, bool *has, wb_time *out)
{
	if (!cli_parse_time(v, out)) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "%s takes an RFC 3339 time such as 2026-01-01T09:30:00Z, not \"%s\"",
		        name, v);
	}
	*has = true;
	return CLI_OK;
}

static uint64_t
time_us(const wb_time *t)
{
	return t->seconds <= 0
	               ? 0
	               : (uint64_t)t->seconds * 1000000u + t->nanos / 1000u;
}

int
cmd_epcis_export(int argc, char **argv)
{
	mode m = MODE_NONE;
	const char *id = NULL, *out_path = NULL, *stakeholder = NULL, *v;
	const char *prefixes[64];
	size_t n_prefixes = 0, skipped = 0;
	bool up = true, down = false, no_ledger_fields = false;
	bool has_filter = false, to_end = false, has_rf = false, has_rt = false;
	unsigned long long depth = 0, as_of = 0, limit = 0, from = 0, to = 0;
	wb_search_query q = { 0 };
	wb_time rf = { 0 }, rt = { 0 };
	wb_pubkey sk;
	wb_trace_opts topts = { 0 };
	wb_epcis_export_opts xo = { 0 };
	wb_epcis_export *x = NULL;
	index_set set = { 0 };
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	int code = CLI_OK;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc && code == CLI_OK; i++) {
		const char *filter = argv[i];

		if (cli_is_help(argv[i])) {
			printf("%s\n%s", export_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o) ||
		           cli_opt(argc, argv, &i, "--out", &out_path) ||
		           cli_index_opt(argc, argv, &i, CMD, "--depth", 1,
		                         1000, &depth) ||
		           cli_index_opt(argc, argv, &i, CMD, "--as-of", 1,
		                         UINT64_MAX, &as_of) ||
		           cli_index_opt(argc, argv, &i, CMD, "--limit", 1,
		                         UINT64_MAX, &limit)) {
			continue;
		} else if (strcmp(argv[i], "--no-ledger-fields") == 0) {
			no_ledger_fields = true;
		} else if (cli_opt(argc, argv, &i, "--prefix", &v)) {
			if (n_prefixes ==
			    sizeof(prefixes) / sizeof(*prefixes)) {
				return cli_fail(CLI_USAGE, CMD,
				                "at most 64 --prefix options");
			}
			prefixes[n_prefixes++] = v;
		} else if (cli_opt(argc, argv, &i, "--twin", &id)) {
			code = m == MODE_NONE ? CLI_OK : mode_twice();
			m = MODE_TWIN;
		} else if (cli_opt(argc, argv, &i, "--trace", &id)) {
			code = m == MODE_NONE ? CLI_OK : mode_twice();
			m = MODE_TRACE;
		} else if (strcmp(argv[i], "--search") == 0) {
			code = m == MODE_NONE ? CLI_OK : mode_twice();
			m = MODE_SEARCH;
		} else if (strcmp(argv[i], "--range") == 0) {
			code = m == MODE_NONE ? CLI_OK : mode_twice();
			m = MODE_RANGE;
			if (code == CLI_OK &&
			    (i + 2 >= argc ||
			     !cli_parse_u64(argv[i + 1], 0, UINT64_MAX - 1,
			                    &from) ||
			     !(strcmp(argv[i + 2], "end") == 0 ||
			       cli_parse_u64(argv[i + 2], 1, UINT64_MAX,
			                     &to)))) {
				return cli_fail(
				        CLI_USAGE, CMD,
				        "--range takes two entry indexes, FROM and TO (or `end`): the stamps with FROM <= index < TO");
			}
			to_end = strcmp(argv[i + 2], "end") == 0;
			i += 2;
		} else if (strcmp(argv[i], "--up") == 0) {
			up = true;
			down = false;
		} else if (strcmp(argv[i], "--down") == 0) {
			up = false;
			down = true;
		} else if (strcmp(argv[i], "--both") == 0) {
			up = down = true;
		} else if (cli_opt(argc, argv, &i, "--biz-step", &q.biz_step) ||
		           cli_opt(argc, argv, &i, "--disposition",
		                   &q.disposition) ||
		           cli_opt(argc, argv, &i, "--read-point",
		                   &q.read_point) ||
		           cli_opt(argc, argv, &i, "--biz-location",
		                   &q.biz_location) ||
		           cli_opt(argc, argv, &i, "--stakeholder",
		                   &stakeholder)) {
			has_filter = true;
		} else if (cli_opt(argc, argv, &i, "--event-from", &v)) {
			code = time_opt(filter, v, &q.has_event_from,
			                &q.event_from);
			has_filter = true;
		} else if (cli_opt(argc, argv, &i, "--event-to", &v)) {
			code = time_opt(filter, v, &q.has_event_to,
			                &q.event_to);
			has_filter = true;
		} else if (cli_opt(argc, argv, &i, "--record-from", &v)) {
			code = time_opt(filter, v, &has_rf, &rf);
			has_filter = true;
		} else if (cli_opt(argc, argv, &i, "--record-to", &v)) {
			code = time_opt(filter, v, &has_rt, &rt);
			has_filter = true;
		} else {
			return cli_fail(CLI_USAGE, CMD,
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (code != CLI_OK) {
		return code;
	}
	if (m == MODE_NONE) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "say what to export: --twin ID, --trace ID, --search [filters] or --range FROM TO (see --help)");
	}
	if (has_filter && m != MODE_SEARCH) {
		return cli_fail(CLI_USAGE, CMD,
		                "search filters go with --search");
	}
	if (limit != 0 && m != MODE_SEARCH) {
		return cli_fail(CLI_USAGE, CMD, "--limit goes with --search");
	}
	if ((depth != 0 || as_of != 0 || down) && m != MODE_TRACE) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "--up, --down, --both, --depth and --as-of go with --trace");
	}
	if (m == MODE_RANGE && !to_end && to <= from) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "--range %llu %llu is empty: TO must be above FROM",
		        from, to);
	}
	if (stakeholder != NULL &&
	    wb_keyfile_read_public(NULL, &sk, stakeholder) != WB_OK) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "--stakeholder %s is neither verifier key text (NAME+KEYID+BASE64) nor a key file",
		        stakeholder);
	}
	/* Fail before any network work when the file is already there. */
	if (out_path != NULL && access(out_path, F_OK) == 0) {
		return cli_fail(
		        CLI_ERROR, CMD,
		        "%s exists: the export never overwrites a file; remove it or name another",
		        out_path);
	}
	xo.no_ledger_fields = no_ledger_fields;
	if ((rc = wb_epcis_export_new(&x, &xo)) != WB_OK) {
		return cli_fail(
		        CLI_ERROR, CMD,
		        "cannot start the document (a temporary file): %s",
		        wb_strerror(rc));
	}
	for (size_t i = 0; i < n_prefixes && code == CLI_OK; i++) {
		code = declare_prefix(x, prefixes[i]);
	}
	if (code != CLI_OK ||
	    (code = cli_read_connect(&c, &key, CMD, &o)) != CLI_OK) {
		goto out;
	}
	switch (m) {
	case MODE_TWIN:
		code = add_history(&set, c, id, 0);
		break;
	case MODE_TRACE:
		topts.max_depth = (unsigned)depth;
		topts.as_of.index = as_of;
		code = add_trace(&set, c, id, up, down, &topts);
		break;
	case MODE_SEARCH:
		q.has_record_from = has_rf;
		q.record_from_us = time_us(&rf);
		q.has_record_to = has_rt;
		q.record_to_us = time_us(&rt);
		code = add_search(&set, c, &q, stakeholder ? &sk : NULL, limit);
		break;
	default:
		code = add_range(&set, c, from, to, to_end);
		break;
	}
	if (code != CLI_OK) {
		goto out;
	}
	index_sort_unique(&set);
	if ((code = add_entries(x, &skipped, c, &set)) != CLI_OK) {
		goto out;
	}
	warn_undeclared(x);
	if (out_path == NULL) {
		if ((rc = wb_epcis_export_finish(x, stdout)) != WB_OK) {
			code = cli_fail(CLI_ERROR, CMD,
			                "cannot write the document: %s",
			                wb_strerror(rc));
		}
		goto out;
	}
	if ((code = write_out(x, out_path)) != CLI_OK) {
		goto out;
	}
	if (o.json) {
		code = cli_json_print(
		        json_pack("{s:s, s:I, s:I}", "out", out_path, "events",
		                  (json_int_t)wb_epcis_export_count(x),
		                  "skipped", (json_int_t)skipped));
	} else {
		printf("wrote %zu events to %s", wb_epcis_export_count(x),
		       out_path);
		if (skipped != 0) {
			printf(" (%zu genesis or registry entries have no EPCIS form)",
			       skipped);
		}
		printf("\n");
	}
out:
	free(set.v);
	wb_epcis_export_free(x);
	cli_read_close(c, key);
	return code;
}
