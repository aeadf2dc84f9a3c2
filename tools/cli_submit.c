/* SPDX-License-Identifier: MIT */
/*
 * waybill submit: a file of EPCIS 2.0 events — JSON Lines, a JSON array or
 * an EPCIS document's eventList — each mapped to a stamp by the one EPCIS
 * mapper (waybill/epcis.h), signed with the stakeholder's key and sent in
 * batches within the server's limits; and reading such files, shared with
 * `waybill stamp --file`.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "waybill/epcis.h"

/* Bytes an item costs in a Submit beside its body (signer, signature,
 * framing), and what the request envelope needs: generous on purpose, so
 * that a batch never meets the server's message limit. */
#define ITEM_OVERHEAD 160
#define ENVELOPE      4096

static const char submit_help[] =
        "usage: waybill submit FILE|- [--atomic] [--batch N] --key FILE\n"
        "\n"
        "Records every event of FILE (- reads standard input), each signed\n"
        "with your key. FILE holds EPCIS 2.0 events in JSON: one event per\n"
        "line (JSON Lines), a JSON array of events, or an EPCIS document\n"
        "(EPCISDocument or EPCISQueryDocument: its eventList, with the\n"
        "document's @context). \"waybill:NAME\" keys are stamp attributes;\n"
        "waybill:RecallEvent, waybill:LiftEvent and waybill:MasterDataEvent\n"
        "are the waybill-only kinds. An event without eventID gets one derived\n"
        "from its content, so submitting the same file again records nothing\n"
        "twice.\n"
        "\n"
        "Events go in batches of at most N (default and maximum: the server's\n"
        "max_batch), each within the server's message limit, in file order.\n"
        "\n"
        "  --atomic    each batch is all-or-nothing: when one event of a batch\n"
        "              is refused, none of that batch is written (the others\n"
        "              are reported not-written)\n"
        "  --batch N   events per batch\n"
        "\n"
        "Prints, per event, its position (and line), event ID and index —\n"
        "or why it was refused (the ledger's reason name and message).\n"
        "Exit status: 0 all recorded (or already recorded), 2 usage, 3 some\n"
        "event refused or not written, 4 network, 5 other (files, keys).\n"
        "\n";

void
cli_events_fini(cli_events *e)
{
	for (size_t i = 0; i < e->n; i++) {
		json_decref(e->events[i]);
		free(e->errors[i]);
	}
	free(e->events);
	free(e->errors);
	free(e->lines);
	json_decref(e->context);
	memset(e, 0, sizeof(*e));
}

static bool
events_grow(cli_events *e, size_t n)
{
	json_t **ev = realloc(e->events, n * sizeof(*ev));
	char **er;
	size_t *ln;

	if (ev != NULL) {
		e->events = ev;
	}
	er = realloc(e->errors, n * sizeof(*er));
	if (er != NULL) {
		e->errors = er;
	}
	ln = realloc(e->lines, n * sizeof(*ln));
	if (ln != NULL) {
		e->lines = ln;
	}
	return ev != NULL && er != NULL && ln != NULL;
}

static bool
events_add(cli_events *e, json_t *ev, const char *error, size_t line)
{
	if (!events_grow(e, e->n + 1)) {
		json_decref(ev);
		return false;
	}
	e->events[e->n] = ev;
	e->errors[e->n] = error != NULL ? strdup(error) : NULL;
	e->lines[e->n] = line;
	e->n++;
	return true;
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *b = NULL, *nb;
	size_t n = 0, cap = 0, r;
	int err = 0;

	if (f == NULL) {
		return NULL; /* errno says why */
	}
	do {
		if (cap - n < 65536) {
			cap = cap ? 2 * cap : 65536;
			if ((nb = realloc(b, cap + 1)) == NULL) {
				free(b);
				b = NULL;
				err = ENOMEM;
				break;
			}
			b = nb;
		}
		r = fread(b + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	if (b != NULL && ferror(f)) {
		err = errno; /* a directory reads as EISDIR */
		free(b);
		b = NULL;
	}
	if (f != stdin) {
		fclose(f);
	}
	errno = err;
	if (b != NULL) {
		b[n] = '\0';
		*len = n;
	}
	return b;
}

/* The events of a document: EPCISDocument's epcisBody.eventList, or an
 * EPCISQueryDocument's epcisBody.queryResults.resultsBody.eventList. */
static json_t *
document_events(json_t *doc)
{
	json_t *body = json_object_get(doc, "epcisBody"), *list;

	if (!json_is_object(body)) {
		return NULL;
	}
	if ((list = json_object_get(body, "eventList")) != NULL) {
		return list;
	}
	return json_object_get(
	        json_object_get(json_object_get(body, "queryResults"),
	                        "resultsBody"),
	        "eventList");
}

static int
load_whole(cli_events *out, const char *cmd, const char *path, json_t *root)
{
	json_t *list = root, *ev;
	size_t i;

	if (json_is_object(root) && json_object_get(root, "epcisBody")) {
		if (!json_is_array(list = document_events(root))) {
			return cli_fail(
			        CLI_USAGE, cmd,
			        "%s: an EPCIS document without epcisBody.eventList (an array of events)",
			        path);
		}
		out->context = json_incref(json_object_get(root, "@context"));
	} else if (json_is_object(root)) {
		return events_add(out, json_incref(root), NULL, 0)
		               ? CLI_OK
		               : cli_fail(CLI_ERROR, cmd, "out of memory");
	} else if (!json_is_array(root)) {
		return cli_fail(
		        CLI_USAGE, cmd,
		        "%s holds no events: give JSON Lines, an array of events or an EPCIS document",
		        path);
	}
	json_array_foreach(list, i, ev)
	{
		if (!events_add(out, json_incref(ev), NULL, 0)) {
			return cli_fail(CLI_ERROR, cmd, "out of memory");
		}
	}
	return CLI_OK;
}

/* One event per line; a line that is not JSON is an event in error, so
 * that the others still go. */
static int
load_lines(cli_events *out, const char *cmd, char *text)
{
	size_t line = 0;

	for (char *p = text, *end; p != NULL && *p != '\0'; p = end) {
		json_error_t je;
		json_t *ev;
		char msg[320];

		line++;
		if ((end = strchr(p, '\n')) != NULL) {
			*end++ = '\0';
		}
		if (p[strspn(p, " \t\r")] == '\0') {
			continue;
		}
		ev = json_loads(p, 0, &je);
		if (ev == NULL) {
			snprintf(msg, sizeof(msg),
			         "line %zu is not JSON: %s (column %d)", line,
			         je.text, je.column);
		}
		if (!events_add(out, ev, ev == NULL ? msg : NULL, line)) {
			return cli_fail(CLI_ERROR, cmd, "out of memory");
		}
	}
	return CLI_OK;
}

int
cli_events_load(cli_events *out, const char *cmd, const char *path)
{
	size_t len = 0;
	char *text = read_all(path, &len);
	const char *start;
	json_error_t je;
	json_t *root;
	int code;

	memset(out, 0, sizeof(*out));
	if (text == NULL) {
		return cli_fail(CLI_ERROR, cmd,
		                "cannot read %s: %s: give a file of events",
		                path,
		                errno == EISDIR ? "it is a directory"
		                                : strerror(errno));
	}
	start = text + strspn(text, " \t\r\n");
	if (*start == '\0') {
		free(text);
		return cli_fail(CLI_USAGE, cmd, "%s is empty: no events", path);
	}
	/* One JSON value (an event, an array, a document), else JSON
	 * Lines. */
	root = json_loadb(text, len, JSON_DECODE_ANY, &je);
	if (root != NULL) {
		code = load_whole(out, cmd, path, root);
		json_decref(root);
	} else if (*start == '[') {
		code = cli_fail(CLI_USAGE, cmd,
		                "%s is not JSON: %s (line %d, column %d)", path,
		                je.text, je.line, je.column);
	} else {
		code = load_lines(out, cmd, text);
		/* Not JSON Lines either when even the first line is not
		 * JSON: say where the file goes wrong. */
		if (code == CLI_OK && out->n > 0 && out->events[0] == NULL) {
			code = cli_fail(
			        CLI_USAGE, cmd,
			        "%s is neither JSON nor JSON Lines: %s (line %d, column %d)",
			        path, je.text, je.line, je.column);
		}
	}
	free(text);
	if (code == CLI_OK && out->n == 0) {
		code = cli_fail(CLI_USAGE, cmd, "%s holds no events", path);
	}
	if (code != CLI_OK) {
		cli_events_fini(out);
	}
	return code;
}

/*
 * The submission.
 */

typedef enum {
	EV_READY = 0,  /* mapped and signed, not sent yet */
	EV_WRITTEN,    /* recorded now */
	EV_DUPLICATE,  /* recorded before */
	EV_REFUSED,    /* malformed here, or refused by the server */
	EV_NOT_WRITTEN /* in an atomic batch that something else failed */
} ev_status;

typedef struct {
	ev_status status;
	wb_submission sub;
	const char *event_id; /* the stamp's, or the JSON's */
	wb_stamp *stamp;
	uint64_t index;
	bool custody_gap;
	wb_problem problem;
} ev_state;

static void
refuse_local(ev_state *e, wb_reject reason, const char *msg)
{
	e->status = EV_REFUSED;
	e->problem.reason = reason;
	snprintf(e->problem.msg, sizeof(e->problem.msg), "%s", msg);
}

/* Maps and signs every event; the ones that do not map are refused. */
static int
prepare(ev_state *st, const cli_events *evs, const wb_rpc_info *info,
        const wb_signer *key)
{
	for (size_t i = 0; i < evs->n; i++) {
		ev_state *e = &st[i];
		json_t *id = json_object_get(evs->events[i], "eventID");
		uint8_t *body = NULL;
		size_t len = 0;
		wb_problem p = { 0 };
		wb_err rc;

		e->event_id = json_is_string(id) ? json_string_value(id) : NULL;
		if (evs->events[i] == NULL) {
			refuse_local(e, WB_REJECT_MALFORMED, evs->errors[i]);
			continue;
		}
		rc = wb_epcis_event_from_json(&e->stamp, evs->events[i],
		                              evs->context, info->ledger_id,
		                              &p);
		if (rc == WB_ENOMEM) {
			return cli_fail(CLI_ERROR, "submit", "out of memory");
		}
		if (rc != WB_OK) {
			refuse_local(e, WB_REJECT_MALFORMED,
			             p.msg[0] != '\0' ? p.msg
			                              : wb_strerror(rc));
			continue;
		}
		e->event_id = e->stamp->event_id;
		if ((rc = wb_stamp_encode(&body, &len, e->stamp)) != WB_OK) {
			refuse_local(e, WB_REJECT_MALFORMED,
			             "the event cannot be encoded as a stamp");
			continue;
		}
		if (len + ITEM_OVERHEAD + ENVELOPE > info->max_message_bytes) {
			free(body);
			refuse_local(
			        e, WB_REJECT_TOO_LARGE,
			        "the stamp is larger than the server's message limit: split the event");
			continue;
		}
		e->sub.type = WB_ENTRY_STAMP;
		e->sub.body = body;
		e->sub.body_len = len;
		e->sub.signer = *wb_signer_pubkey(key);
		if (wb_sig_sign(e->sub.signature, key, WB_SIG_STAMP, body,
		                len) != WB_OK) {
			return cli_fail(CLI_ERROR, "submit", "cannot sign");
		}
	}
	return CLI_OK;
}

int
cli_submit_batch(cli_outcome *out, const wb_submission *subs, size_t n,
                 wb_rpc_client *c, bool atomic, uint64_t *tree_size,
                 const char *cmd, const char *what)
{
	wb_rpc_result *res = NULL;
	wb_problem p = { 0 };
	wb_err rc;

	rc = wb_rpc_submit(&res, tree_size, c, subs, n, atomic, &p);
	if (rc != WB_OK && !(rc == WB_EREJECTED && res != NULL)) {
		return cli_rpc_fail(cmd, c, rc, &p, what);
	}
	for (size_t k = 0; k < n; k++) {
		cli_outcome *o = &out[k];

		memset(o, 0, sizeof(*o));
		if (res[k].err == WB_OK && rc == WB_OK) {
			o->status = res[k].duplicate ? CLI_SENT_DUPLICATE
			                             : CLI_SENT_WRITTEN;
			o->index = res[k].index;
			o->custody_gap = res[k].custody_gap;
		} else if (atomic && rc == WB_EREJECTED &&
		           res[k].problem.reason == WB_REJECT_NONE) {
			/* Fine itself; the server names no reason for the
			 * innocent stamps of a refused atomic batch. */
			o->status = CLI_SENT_NOT_WRITTEN;
		} else if (res[k].err != WB_OK) {
			o->status = CLI_SENT_REFUSED;
			o->problem = res[k].problem;
			if (o->problem.msg[0] == '\0') {
				snprintf(o->problem.msg, sizeof(o->problem.msg),
				         "%s", wb_strerror(res[k].err));
			}
		} else {
			o->status = CLI_SENT_NOT_WRITTEN;
		}
	}
	wb_rpc_results_free(res, n);
	return CLI_OK;
}

/* Sends st[from, to): the ready ones; in atomic mode nothing when one
 * of them was already refused here. Returns CLI_OK or the exit code of a
 * failure that stops everything (network, ledger full, ...). */
static int
send_batch(ev_state *st, size_t from, size_t to, wb_rpc_client *c, bool atomic,
           uint64_t *tree_size)
{
	wb_submission *subs = calloc(to - from, sizeof(*subs));
	cli_outcome *out = calloc(to - from, sizeof(*out));
	size_t *pos = calloc(to - from, sizeof(*pos)), n = 0;
	bool local_refusal = false;
	int code = CLI_OK;

	if (subs == NULL || pos == NULL || out == NULL) {
		code = cli_fail(CLI_ERROR, "submit", "out of memory");
		goto out;
	}
	for (size_t i = from; i < to; i++) {
		if (st[i].status == EV_READY) {
			pos[n] = i;
			subs[n++] = st[i].sub;
		} else {
			local_refusal = true;
		}
	}
	if (n == 0 || (atomic && local_refusal)) {
		for (size_t k = 0; k < n; k++) {
			st[pos[k]].status = EV_NOT_WRITTEN;
		}
		goto out;
	}
	if ((code = cli_submit_batch(out, subs, n, c, atomic, tree_size,
	                             "submit", "submitting events")) !=
	    CLI_OK) {
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		ev_state *e = &st[pos[k]];

		e->status = out[k].status == CLI_SENT_WRITTEN     ? EV_WRITTEN
		            : out[k].status == CLI_SENT_DUPLICATE ? EV_DUPLICATE
		            : out[k].status == CLI_SENT_REFUSED
		                    ? EV_REFUSED
		                    : EV_NOT_WRITTEN;
		e->index = out[k].index;
		e->custody_gap = out[k].custody_gap;
		e->problem = out[k].problem;
	}
out:
	free(subs);
	free(out);
	free(pos);
	return code;
}

static const char *
status_name(ev_status s)
{
	switch (s) {
	case EV_WRITTEN:
		return "written";
	case EV_DUPLICATE:
		return "duplicate";
	case EV_REFUSED:
		return "refused";
	case EV_NOT_WRITTEN:
		return "not-written";
	default:
		return "not-sent";
	}
}

static int
report(const ev_state *st, const cli_events *evs, uint64_t tree_size, bool json)
{
	size_t count[5] = { 0 }, idw = 8;

	for (size_t i = 0; i < evs->n; i++) {
		count[st[i].status]++;
		if (st[i].event_id != NULL && strlen(st[i].event_id) > idw) {
			idw = strlen(st[i].event_id);
		}
	}
	if (json) {
		json_t *o = json_object(), *list = json_array();

		json_object_set_new(o, "tree_size",
		                    json_integer((json_int_t)tree_size));
		json_object_set_new(o, "events_total",
		                    json_integer((json_int_t)evs->n));
		json_object_set_new(
		        o, "written",
		        json_integer((json_int_t)count[EV_WRITTEN]));
		json_object_set_new(
		        o, "duplicates",
		        json_integer((json_int_t)count[EV_DUPLICATE]));
		json_object_set_new(
		        o, "refused",
		        json_integer((json_int_t)count[EV_REFUSED]));
		json_object_set_new(
		        o, "not_written",
		        json_integer((json_int_t)(count[EV_NOT_WRITTEN] +
		                                  count[EV_READY])));
		for (size_t i = 0; i < evs->n; i++) {
			const ev_state *e = &st[i];
			json_t *r = json_object();

			json_object_set_new(r, "position",
			                    json_integer((json_int_t)i + 1));
			if (evs->lines[i] != 0) {
				json_object_set_new(
				        r, "line",
				        json_integer(
				                (json_int_t)evs->lines[i]));
			}
			json_object_set_new(r, "event_id",
			                    e->event_id != NULL
			                            ? json_string(e->event_id)
			                            : json_null());
			json_object_set_new(
			        r, "status",
			        json_string(status_name(e->status)));
			if (e->status == EV_WRITTEN ||
			    e->status == EV_DUPLICATE) {
				json_object_set_new(
				        r, "index",
				        json_integer((json_int_t)e->index));
				json_object_set_new(r, "duplicate",
				                    json_boolean(e->status ==
				                                 EV_DUPLICATE));
				json_object_set_new(
				        r, "custody_gap",
				        json_boolean(e->custody_gap));
			}
			if (e->status == EV_REFUSED) {
				json_object_set_new(
				        r, "reason",
				        json_string(wb_reject_name(
				                e->problem.reason)));
				json_object_set_new(
				        r, "message",
				        json_string(e->problem.msg));
			}
			json_array_append_new(list, r);
		}
		json_object_set_new(o, "events", list);
		return cli_json_print(o);
	}
	printf("%-5s %-5s %-11s %-8s %-*s %s\n", "POS", "LINE", "STATUS",
	       "INDEX", (int)idw, "EVENT ID", "NOTE");
	for (size_t i = 0; i < evs->n; i++) {
		const ev_state *e = &st[i];
		char line[24] = "-", index[24] = "-";

		if (evs->lines[i] != 0) {
			snprintf(line, sizeof(line), "%zu", evs->lines[i]);
		}
		if (e->status == EV_WRITTEN || e->status == EV_DUPLICATE) {
			snprintf(index, sizeof(index), "%llu",
			         (unsigned long long)e->index);
		}
		printf("%-5zu %-5s %-11s %-8s %-*s ", i + 1, line,
		       status_name(e->status), index, (int)idw,
		       e->event_id != NULL ? e->event_id : "-");
		if (e->status == EV_REFUSED) {
			printf("%s: %s", wb_reject_name(e->problem.reason),
			       e->problem.msg);
		} else if (e->status == EV_NOT_WRITTEN) {
			printf("its atomic batch was refused");
		} else if (e->custody_gap) {
			printf("custody gap");
		}
		printf("\n");
	}
	fprintf(stderr,
	        "%zu events: %zu written, %zu already recorded, %zu refused, %zu not written\n",
	        evs->n, count[EV_WRITTEN], count[EV_DUPLICATE],
	        count[EV_REFUSED], count[EV_NOT_WRITTEN] + count[EV_READY]);
	return CLI_OK;
}

int
cmd_submit(int argc, char **argv)
{
	cli_net_opts net;
	const char *path = NULL, *v;
	unsigned long long batch = 0;
	bool atomic = false;
	cli_events evs = { 0 };
	ev_state *st = NULL;
	wb_signer *key = NULL;
	wb_rpc_client *c = NULL;
	wb_rpc_info info;
	uint64_t tree_size = 0;
	size_t per_batch, limit;
	int code = CLI_OK, net_code = CLI_OK;

	memset(&info, 0, sizeof(info));
	cli_net_init(&net);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(submit_help, stdout);
			fputs(cli_net_help, stdout);
			return CLI_OK;
		}
		if (cli_net_opt(argc, argv, &i, &net)) {
			continue;
		}
		if (strcmp(argv[i], "--atomic") == 0) {
			atomic = true;
		} else if (cli_opt(argc, argv, &i, "--batch", &v)) {
			if (!cli_parse_u64(v, 1, 1u << 30, &batch)) {
				return cli_fail(
				        CLI_USAGE, "submit",
				        "--batch %s: give the number of events per batch (1 or more)",
				        v);
			}
		} else if ((argv[i][0] == '-' && argv[i][1] != '\0') ||
		           path != NULL) {
			return cli_fail(CLI_USAGE, "submit",
			                "unexpected argument %s (see --help)",
			                argv[i]);
		} else {
			path = argv[i];
		}
	}
	if (path == NULL) {
		return cli_fail(
		        CLI_USAGE, "submit",
		        "name the file of events: waybill submit FILE (- for standard input)");
	}
	if ((code = cli_load_key(&key, "submit", net.key_path)) != CLI_OK ||
	    (code = cli_events_load(&evs, "submit", path)) != CLI_OK ||
	    (code = cli_connect(&c, NULL, "submit", &net, false)) != CLI_OK ||
	    (code = cli_info_get(&info, "submit", c)) != CLI_OK) {
		goto out;
	}
	if ((st = calloc(evs.n, sizeof(*st))) == NULL) {
		code = cli_fail(CLI_ERROR, "submit", "out of memory");
		goto out;
	}
	if ((code = prepare(st, &evs, &info, key)) != CLI_OK) {
		goto out;
	}
	tree_size = info.tree_size;
	per_batch = info.max_batch > 0 ? info.max_batch : 1;
	if (batch > 0 && batch < per_batch) {
		per_batch = (size_t)batch;
	}
	limit = info.max_message_bytes > 2 * ENVELOPE
	                ? info.max_message_bytes - ENVELOPE
	                : info.max_message_bytes / 2;
	for (size_t from = 0; from < evs.n && net_code == CLI_OK;) {
		size_t to = from, bytes = 0, n = 0;

		/* Whole events only: the next one starts a new batch when
		 * it would not fit. */
		while (to < evs.n && n < per_batch) {
			size_t cost = st[to].sub.body_len + ITEM_OVERHEAD;

			if (n > 0 && bytes + cost > limit) {
				break;
			}
			bytes += cost;
			n += st[to].status == EV_READY;
			to++;
		}
		net_code = send_batch(st, from, to, c, atomic, &tree_size);
		from = to;
	}
	code = report(st, &evs, tree_size, net.json);
	if (net_code != CLI_OK) {
		code = net_code;
	} else if (code == CLI_OK) {
		for (size_t i = 0; i < evs.n; i++) {
			if (st[i].status != EV_WRITTEN &&
			    st[i].status != EV_DUPLICATE) {
				code = CLI_REFUSED;
			}
		}
	}
out:
	for (size_t i = 0; st != NULL && i < evs.n; i++) {
		free((void *)(uintptr_t)st[i].sub.body);
		wb_stamp_free(st[i].stamp);
	}
	free(st);
	cli_events_fini(&evs);
	free(info.checkpoint);
	wb_rpc_client_close(c);
	wb_signer_free(key);
	return code;
}
