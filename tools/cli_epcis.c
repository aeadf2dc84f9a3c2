/* SPDX-License-Identifier: MIT */
/*
 * waybill epcis: EPCIS 2.0 documents in and out. `import` is here: a
 * document read by libwaybill's document reader (waybill/epcis.h), its
 * header's master data and its events mapped to stamps by the one EPCIS
 * mapper, signed with the stakeholder's key and recorded in batches within
 * the server's limits, each batch all-or-nothing unless --proceed; large
 * documents are streamed (see "How an import runs" below). `export` is
 * cli_epcis_export.c's.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "epcis_scan.h"
#include "waybill/epcis.h"

/* Bytes an item costs in a Submit beside its body (signer, signature,
 * framing), and what the request envelope needs: generous on purpose, so
 * that a batch never meets the server's message limit. */
#define ITEM_OVERHEAD 160
#define ENVELOPE      4096

static const char epcis_help[] =
        "usage: waybill epcis import FILE|- --key FILE [--proceed] [--batch N]\n"
        "       waybill epcis export ... (waybill epcis export --help)\n"
        "\n"
        "GS1 EPCIS 2.0 documents (JSON / JSON-LD) in and out of the ledger.\n"
        "\n"
        "  import   record the master data and events of a document\n"
        "  export   write history, a trace or a search as an EPCIS document\n"
        "\n";

static const char import_help[] =
        "usage: waybill epcis import FILE|- --key FILE [--proceed] [--batch N]\n"
        "\n"
        "Records an EPCIS 2.0 document (- reads standard input): an\n"
        "EPCISDocument, an EPCISQueryDocument, one bare event or a JSON array\n"
        "of events. A document must carry the EPCIS 2.0 @context, its type,\n"
        "schemaVersion (2.x) and creationDate; one that breaks EPCIS 2.0 is\n"
        "refused as a whole, with the JSON path of the problem, and nothing is\n"
        "sent. The vocabularies of the header's master data\n"
        "(epcisHeader.epcisMasterData.vocabularyList) become master-data\n"
        "stamps, recorded first, dated at the document's creationDate, so\n"
        "passports and exports show the names of places and products; then\n"
        "every event, in document order. Each is signed with your key. An\n"
        "event without eventID gets one derived from its content, so\n"
        "importing the same document again records nothing twice (each item\n"
        "is reported as a duplicate with its first index).\n"
        "\n"
        "Items go in batches of at most N (default and maximum: the server's\n"
        "max_batch), each within the server's message limit. As EPCIS capture\n"
        "is, each batch is all-or-nothing: when one of its items is refused\n"
        "(by the ledger, or here because it is not a valid EPCIS event),\n"
        "nothing of that batch is recorded and the others are reported\n"
        "not-written.\n"
        "\n"
        "  --proceed   record the valid items of a batch and refuse only the\n"
        "              bad ones\n"
        "  --batch N   items per batch\n"
        "\n"
        "Prints, per item, its position (the JSON path in the document), its\n"
        "status (written, duplicate, refused, not-written), index and event\n"
        "ID, or the refusal's reason and message; a summary line goes to\n"
        "standard error. --json prints the same rows as a JSON array of\n"
        "{\"position\", \"kind\" (event or master-data), \"event_id\",\n"
        "\"status\", \"index\", \"duplicate\", \"custody_gap\"} or, when refused,\n"
        "{..., \"reason\", \"message\"}.\n"
        "Exit status: 0 all recorded (or already recorded), 2 usage, 3 the\n"
        "document or some item refused or not written, 4 network, 5 other\n"
        "(the file cannot be read, keys).\n"
        "\n";

/*
 * How an import runs. A large document is never parsed whole: the text is
 * scanned once (epcis_scan.c), its head without the event list (the
 * "skeleton") is read by the document reader, which checks the document
 * and yields the header's master data, and each event is parsed from its
 * own bytes when it is imported. Two preparer threads parse, map and sign
 * the events, a chunk at a time, a bounded distance ahead of what has
 * been sent; the main thread cuts the prepared items into batches in
 * document order; sender threads, each with its own connection, submit
 * them. Results land in each item's slot and are printed in document
 * order at the end. Documents the scanner cannot take (a bare event, JSON
 * that jansson refuses, a repeated key on the way to the event list) are
 * read whole, as they always were.
 *
 * Batches are recorded in document order, since later events may depend
 * on earlier ones (commission, then pack, then ship). A batch goes while
 * others are in flight only when neither can affect the other: every
 * item of each is a commissioning (ObjectEvent ADD, bizStep
 * commissioning, no ILMD, quantities, parent or error declaration) of
 * GS1 items or other instance IDs, and no twin (by canonical key) nor
 * event ID is in both. Any other batch waits until everything before it
 * is durable, and nothing goes beside it.
 */
#define PREPARERS   2
#define SENDERS     3   /* batches in flight, each on its own connection */
#define CHUNK       256 /* events a preparer takes at a time */
#define AHEAD_BATCH 4   /* preparers stay this many batches ahead */

typedef enum {
	IT_READY = 0,  /* mapped and signed, not sent yet */
	IT_WRITTEN,    /* recorded now */
	IT_DUPLICATE,  /* recorded before */
	IT_REFUSED,    /* not a valid event here, or refused by the ledger */
	IT_NOT_WRITTEN /* in an atomic batch that something else failed */
} it_status;

/* One item's progress and outcome; what only sending needs is freed once
 * its batch is answered. */
typedef struct {
	uint8_t status;
	bool custody_gap;
	bool commissioning; /* may go beside other batches */
	wb_reject reason;
	uint64_t index;
	char *event_id; /* the stamp's, or the JSON's, or NULL (malloc'd) */
	char *msg;      /* a refusal's message (malloc'd) */
	wb_submission sub;
	uint64_t *keys; /* hashes of its twins' canonical keys and event ID */
	size_t n_keys;
} it_state;

typedef enum {
	SLOT_FREE = 0,
	SLOT_QUEUED,
	SLOT_SENDING,
} slot_state;

/* A batch handed to the senders. */
typedef struct {
	slot_state state;
	uint64_t seq;
	size_t from, to;
	bool commissioning;
	uint64_t *keys; /* sorted */
	size_t n_keys;
} batch_slot;

typedef struct {
	/* The document. */
	const char *path;
	char *text;
	size_t len;
	bool mapped;
	json_t *root;      /* the whole document, or the skeleton */
	wb_epcis_doc *doc; /* its reader's items */
	epcis_scan scan;
	bool streamed;
	json_t *head;          /* streamed: the document around the events */
	const char *list_path; /* streamed: the event list's JSON path */
	size_t n_items, n_md, n_events;
	size_t n_pre; /* items prepared before the pipeline starts */
	it_state *st;

	/* The server. */
	const wb_signer *key;
	wb_rpc_info info;
	wb_rpc_client *c[SENDERS];
	bool atomic;
	size_t per_batch, limit;

	/* The pipeline (under mu). */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t n_chunks, next_chunk, done_prefix;
	uint8_t *chunk_done;
	size_t sent_to; /* items [0, sent_to) are with the senders */
	size_t window;  /* preparers stay below sent_to + window */
	batch_slot slot[SENDERS];
	uint64_t seq;
	bool cut_done; /* every batch is with the senders */
	bool stop;     /* a failure: stop preparing and sending */
	int prep_code; /* a preparer's failure (exit code) */
	int net_code;  /* a sender's failure (exit code) */
	uint64_t tree_size;
} importer;

/* FNV-1a over a domain byte and text: equal keys give equal hashes, and a
 * collision only makes two batches wait for each other. */
static uint64_t
key_hash(char domain, const char *s)
{
	uint64_t h = 14695981039346656037ull;

	h = (h ^ (uint8_t)domain) * 1099511628211ull;
	for (; *s != '\0'; s++) {
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	}
	return h;
}

static bool
is_commissioning_step(const char *step)
{
	return step != NULL &&
	       (strcmp(step, "commissioning") == 0 ||
	        strcmp(step, "urn:epcglobal:cbv:bizstep:commissioning") == 0 ||
	        strcmp(step, "https://ref.gs1.org/cbv/BizStep-commissioning") ==
	                0);
}

/* Whether s is a commissioning that commutes with others naming other
 * twins (see above); then e->keys lists what it names. */
static bool
commissioning_keys(it_state *e, const wb_stamp *s)
{
	wb_twin_id id;
	wb_problem p;

	if (s->kind != WB_KIND_OBJECT || !s->has_action ||
	    s->action != WB_ACTION_ADD || !is_commissioning_step(s->biz_step) ||
	    s->n_epcs == 0 || s->n_quantities > 0 || s->parent_id != NULL ||
	    s->n_input_epcs > 0 || s->n_output_epcs > 0 ||
	    s->n_input_quantities > 0 || s->n_output_quantities > 0 ||
	    s->ilmd_json != NULL || s->error_declaration != NULL ||
	    s->recall != NULL || s->lift != NULL || s->master_data != NULL ||
	    (e->keys = malloc((s->n_epcs + 1) * sizeof(*e->keys))) == NULL) {
		return false;
	}
	e->keys[e->n_keys++] = key_hash('e', s->event_id);
	for (size_t i = 0; i < s->n_epcs; i++) {
		if (wb_id_parse(&id, s->epcs[i], strlen(s->epcs[i]), &p) !=
		            WB_OK ||
		    id.kind == WB_ID_GS1_CLASS) {
			free(e->keys);
			e->keys = NULL;
			e->n_keys = 0;
			return false;
		}
		e->keys[e->n_keys++] = key_hash('t', id.key);
	}
	return true;
}

static void
refuse_local(it_state *e, wb_reject reason, const char *msg)
{
	e->status = IT_REFUSED;
	e->reason = reason;
	free(e->msg);
	e->msg = strdup(msg);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Item i's JSON path in the document. */
static void
item_path(char *out, size_t size, const importer *im, size_t i)
{
	if (!im->streamed || i < im->n_md) {
		snprintf(out, size, "%s", im->doc->items[i].path);
	} else {
		snprintf(out, size, "%s[%zu]", im->list_path, i - im->n_md);
	}
}

/*
 * Reading the document.
 */

/* The whole text: a regular file is mapped, anything else read. */
static int
load_text(importer *im)
{
	bool is_stdin = strcmp(im->path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(im->path, O_RDONLY);
	struct stat sb;
	size_t cap = 0;
	ssize_t r;

	if (fd < 0) {
		return cli_fail(CLI_ERROR, "epcis import", "cannot read %s: %s",
		                im->path, strerror(errno));
	}
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
		void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE,
		               fd, 0);

		if (m != MAP_FAILED) {
			im->text = m;
			im->len = (size_t)sb.st_size;
			im->mapped = true;
			madvise(m, im->len, MADV_SEQUENTIAL);
			if (!is_stdin) {
				close(fd);
			}
			return CLI_OK;
		}
	}
	for (;;) {
		if (im->len == cap) {
			size_t ncap = cap ? 2 * cap : 1u << 16;
			char *n = realloc(im->text, ncap);

			if (n == NULL) {
				if (!is_stdin) {
					close(fd);
				}
				return cli_fail(CLI_ERROR, "epcis import",
				                "out of memory reading %s",
				                im->path);
			}
			im->text = n;
			cap = ncap;
		}
		r = read(fd, im->text + im->len, cap - im->len);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			int err = errno;

			if (!is_stdin) {
				close(fd);
			}
			return cli_fail(CLI_ERROR, "epcis import",
			                "cannot read %s: %s", im->path,
			                strerror(err));
		}
		if (r == 0) {
			break;
		}
		im->len += (size_t)r;
	}
	if (!is_stdin) {
		close(fd);
	}
	return CLI_OK;
}

static void
unload_text(importer *im)
{
	if (im->mapped) {
		munmap(im->text, im->len);
	} else {
		free(im->text);
	}
	im->text = NULL;
	im->mapped = false;
}

/* The members of the head each chunk of events is read in: what the
 * document reader checks and what the mapper takes from the document
 * (@context, creationDate). The header stays out: its master data is read
 * once, from the skeleton. */
static json_t *
make_head(const json_t *root, bool query)
{
	static const char *const keep[] = { "@context", "type", "schemaVersion",
		                            "creationDate" };
	json_t *h = json_object(), *body = json_object(), *at = body;

	if (h == NULL || body == NULL ||
	    json_object_set_new(h, "epcisBody", body) != 0) {
		json_decref(h);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		json_t *v = json_object_get(root, keep[i]);

		if (v != NULL &&
		    json_object_set_new(h, keep[i], json_deep_copy(v)) != 0) {
			json_decref(h);
			return NULL;
		}
	}
	if (query) {
		const json_t *qr = json_object_get(
		        json_object_get(root, "epcisBody"), "queryResults");
		json_t *q = json_object(), *rb = json_object();

		if (q == NULL || rb == NULL ||
		    json_object_set_new(body, "queryResults", q) != 0 ||
		    json_object_set_new(q, "queryName",
		                        json_deep_copy(json_object_get(
		                                qr, "queryName"))) != 0 ||
		    json_object_set_new(q, "resultsBody", rb) != 0) {
			json_decref(h);
			return NULL;
		}
		at = rb;
	}
	if (json_object_set_new(at, "eventList", json_array()) != 0) {
		json_decref(h);
		return NULL;
	}
	return h;
}

/* Streams the document when the scanner finds its event list and the
 * skeleton reads as a document of the same form; false: read it whole. */
static bool
try_stream(importer *im)
{
	json_error_t je;
	wb_epcis_doc *doc = NULL;
	json_t *root;
	bool fits;

	if (!epcis_scan_run(&im->scan, im->text, im->len)) {
		return false;
	}
	root = json_loadb(im->scan.skeleton, im->scan.skeleton_len,
	                  JSON_DECODE_ANY, &je);
	if (root == NULL || wb_epcis_doc_read(&doc, root, NULL) != WB_OK) {
		json_decref(root);
		epcis_scan_fini(&im->scan);
		return false;
	}
	fits = (doc->form == WB_EPCIS_DOC_DOCUMENT &&
	        im->scan.where == EPCIS_SCAN_BODY) ||
	       (doc->form == WB_EPCIS_DOC_QUERY &&
	        im->scan.where == EPCIS_SCAN_QUERY) ||
	       (doc->form == WB_EPCIS_DOC_LIST &&
	        im->scan.where == EPCIS_SCAN_TOP_ARRAY);
	if (fits && doc->form != WB_EPCIS_DOC_LIST &&
	    (im->head = make_head(root, doc->form == WB_EPCIS_DOC_QUERY)) ==
	            NULL) {
		fits = false;
	}
	if (!fits) {
		wb_epcis_doc_free(doc);
		json_decref(root);
		epcis_scan_fini(&im->scan);
		return false;
	}
	im->root = root;
	im->doc = doc;
	im->streamed = true;
	im->list_path =
	        im->scan.where == EPCIS_SCAN_BODY ? "$.epcisBody.eventList"
	        : im->scan.where == EPCIS_SCAN_QUERY
	                ? "$.epcisBody.queryResults.resultsBody.eventList"
	                : "$";
	im->n_md = doc->n_master_data;
	im->n_events = im->scan.n_spans;
	im->n_items = im->n_md + im->n_events;
	im->n_pre = im->n_md;
	/* The skeleton's text is in root now. */
	free(im->scan.skeleton);
	im->scan.skeleton = NULL;
	return true;
}

/* Reads the document: streamed when it can be, else whole. */
static int
load(importer *im)
{
	json_error_t je;
	wb_problem p = { 0 };
	wb_err rc;
	int code;

	if ((code = load_text(im)) != CLI_OK || try_stream(im)) {
		return code;
	}
	im->root = json_loadb(im->text, im->len, JSON_DECODE_ANY, &je);
	unload_text(im);
	if (im->root == NULL) {
		return cli_fail(
		        CLI_REFUSED, "epcis import",
		        "%s is not a JSON document: %s (line %d, column %d)",
		        im->path, je.text, je.line, je.column);
	}
	/* The document as a whole first: nothing is sent for one that
	 * breaks EPCIS 2.0. */
	if ((rc = wb_epcis_doc_read(&im->doc, im->root, &p)) != WB_OK) {
		return rc == WB_EPROTO
		               ? cli_fail(CLI_REFUSED, "epcis import",
		                          "%s is refused: %s", im->path, p.msg)
		               : cli_fail(CLI_ERROR, "epcis import", "%s",
		                          wb_strerror(rc));
	}
	im->n_md = im->doc->n_master_data;
	im->n_events = im->doc->n_events;
	im->n_items = im->doc->n_items;
	return CLI_OK;
}

/*
 * Preparing: map, sign, size.
 */

/* Maps item j of doc as item i and signs it; a refusal stays with the
 * item. local: the item's path in doc, to be replaced by its path in the
 * document (NULL: the same). Returns CLI_OK or a failure's exit code. */
static int
prepare_item(importer *im, size_t i, const wb_epcis_doc *doc, size_t j,
             const char *local)
{
	it_state *e = &im->st[i];
	json_t *id = json_object_get(doc->items[j].event, "eventID");
	wb_stamp *stamp = NULL;
	wb_problem p = { 0 };
	wb_err rc;
	int code;

	rc = wb_epcis_doc_stamp(&stamp, doc, j, im->info.ledger_id, &p);
	if (rc == WB_ENOMEM) {
		return cli_fail(CLI_ERROR, "epcis import", "out of memory");
	}
	if (rc != WB_OK) {
		char msg[sizeof(p.msg)], path[WB_EPCIS_PATH_MAX + 32];
		size_t n = local != NULL ? strlen(local) : 0;

		e->event_id = json_is_string(id)
		                      ? dup_or_null(json_string_value(id))
		                      : NULL;
		if (local != NULL && strncmp(p.msg, local, n) == 0) {
			/* Long messages lose their end, never the path. */
			item_path(path, sizeof(path), im, i);
			snprintf(msg, sizeof(msg), "%s%s", path, p.msg + n);
			refuse_local(e, WB_REJECT_MALFORMED, msg);
		} else {
			refuse_local(e, WB_REJECT_MALFORMED,
			             p.msg[0] != '\0' ? p.msg
			                              : wb_strerror(rc));
		}
		return CLI_OK;
	}
	e->event_id = dup_or_null(stamp->event_id);
	if ((code = cli_stamp_sign(&e->sub, "epcis import", stamp, im->key)) !=
	    CLI_OK) {
		wb_stamp_free(stamp);
		return code;
	}
	if (e->sub.body_len + ITEM_OVERHEAD + ENVELOPE >
	    im->info.max_message_bytes) {
		free((void *)(uintptr_t)e->sub.body);
		memset(&e->sub, 0, sizeof(e->sub));
		refuse_local(
		        e, WB_REJECT_TOO_LARGE,
		        "the stamp is larger than the server's message limit: split the event");
	} else {
		e->commissioning = commissioning_keys(e, stamp);
	}
	wb_stamp_free(stamp);
	return CLI_OK;
}

/* The events of a chunk, read as a document of their own (head: this
 * thread's copy of the document around them). */
static int
prepare_streamed(importer *im, size_t c, json_t *head)
{
	size_t first = c * CHUNK, last = first + CHUNK;
	json_t *list = json_array(), *root = list, *at = NULL;
	wb_epcis_doc *doc = NULL;
	char local[WB_EPCIS_PATH_MAX];
	int code = CLI_OK;
	wb_err rc;

	last = last < im->n_events ? last : im->n_events;
	if (list == NULL) {
		return cli_fail(CLI_ERROR, "epcis import", "out of memory");
	}
	for (size_t k = first; k < last; k++) {
		const epcis_span *sp = &im->scan.spans[k];
		json_error_t je;
		json_t *ev = json_loadb(im->text + sp->off, sp->len,
		                        JSON_DECODE_ANY, &je);

		if (ev == NULL) {
			/* The scanner took what jansson did not. */
			char msg[320];

			snprintf(msg, sizeof(msg), "%s[%zu]: not JSON: %s",
			         im->list_path, k, je.text);
			refuse_local(&im->st[im->n_md + k], WB_REJECT_MALFORMED,
			             msg);
			ev = json_null();
		}
		if (json_array_append_new(list, ev) != 0) {
			json_decref(list);
			return cli_fail(CLI_ERROR, "epcis import",
			                "out of memory");
		}
	}
	if (head != NULL) {
		at = json_object_get(head, "epcisBody");
		if (json_object_get(at, "queryResults") != NULL) {
			at = json_object_get(
			        json_object_get(at, "queryResults"),
			        "resultsBody");
		}
		json_object_set(at, "eventList", list);
		root = head;
	}
	if ((rc = wb_epcis_doc_read(&doc, root, NULL)) != WB_OK) {
		code = cli_fail(CLI_ERROR, "epcis import",
		                "reading events %zu to %zu: %s", first,
		                last - 1, wb_strerror(rc));
	}
	for (size_t k = first; code == CLI_OK && k < last; k++) {
		size_t j = k - first;

		if (im->st[im->n_md + k].status != IT_READY) {
			continue;
		}
		snprintf(local, sizeof(local), "%s", doc->items[j].path);
		code = prepare_item(im, im->n_md + k, doc, j, local);
	}
	wb_epcis_doc_free(doc);
	if (at != NULL) {
		json_object_set_new(at, "eventList", json_array());
	}
	json_decref(list);
	return code;
}

static size_t
chunk_start(const importer *im, size_t c)
{
	return im->n_pre + c * CHUNK;
}

/* Items [0, ready) are prepared. */
static size_t
ready_to(const importer *im)
{
	size_t r = chunk_start(im, im->done_prefix);

	return r < im->n_items ? r : im->n_items;
}

static void *
preparer_main(void *arg)
{
	importer *im = arg;
	json_t *head = im->head != NULL ? json_deep_copy(im->head) : NULL;

	pthread_mutex_lock(&im->mu);
	if (im->head != NULL && head == NULL && !im->stop) {
		im->prep_code = CLI_ERROR;
		im->stop = true;
	}
	for (;;) {
		size_t c;
		int code;

		while (!im->stop && im->next_chunk < im->n_chunks &&
		       chunk_start(im, im->next_chunk) >=
		               im->sent_to + im->window) {
			pthread_cond_wait(&im->cv, &im->mu);
		}
		if (im->stop || im->next_chunk >= im->n_chunks) {
			break;
		}
		c = im->next_chunk++;
		pthread_mutex_unlock(&im->mu);
		if (im->streamed) {
			code = prepare_streamed(im, c, head);
		} else {
			size_t to = chunk_start(im, c + 1);

			code = CLI_OK;
			to = to < im->n_items ? to : im->n_items;
			for (size_t i = chunk_start(im, c);
			     code == CLI_OK && i < to; i++) {
				code = prepare_item(im, i, im->doc, i, NULL);
			}
		}
		pthread_mutex_lock(&im->mu);
		if (code != CLI_OK && im->prep_code == CLI_OK) {
			im->prep_code = code;
			im->stop = true;
		}
		im->chunk_done[c] = 1;
		while (im->done_prefix < im->n_chunks &&
		       im->chunk_done[im->done_prefix]) {
			im->done_prefix++;
		}
		pthread_cond_broadcast(&im->cv);
	}
	pthread_cond_broadcast(&im->cv);
	pthread_mutex_unlock(&im->mu);
	json_decref(head);
	return NULL;
}

/*
 * Sending.
 */

/* Sends st[from, to): the ready ones; in atomic mode nothing when one of
 * them was already refused here. Returns CLI_OK or the exit code of a
 * failure that stops everything (network, ledger full, ...). */
static int
send_batch(it_state *st, size_t from, size_t to, wb_rpc_client *c, bool atomic,
           uint64_t *tree_size)
{
	wb_submission *subs = calloc(to - from, sizeof(*subs));
	cli_outcome *out = calloc(to - from, sizeof(*out));
	size_t *pos = calloc(to - from, sizeof(*pos)), n = 0;
	bool local_refusal = false;
	int code = CLI_OK;

	if (subs == NULL || pos == NULL || out == NULL) {
		code = cli_fail(CLI_ERROR, "epcis import", "out of memory");
		goto out;
	}
	for (size_t i = from; i < to; i++) {
		if (st[i].status == IT_READY) {
			pos[n] = i;
			subs[n++] = st[i].sub;
		} else {
			local_refusal = true;
		}
	}
	if (n == 0 || (atomic && local_refusal)) {
		for (size_t k = 0; k < n; k++) {
			st[pos[k]].status = IT_NOT_WRITTEN;
		}
		goto out;
	}
	if ((code = cli_submit_batch(
	             out, subs, n, c, atomic, tree_size, "epcis import",
	             "submitting the document's items")) != CLI_OK) {
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		it_state *e = &st[pos[k]];

		switch (out[k].status) {
		case CLI_SENT_WRITTEN:
		case CLI_SENT_DUPLICATE:
			e->status = out[k].status == CLI_SENT_DUPLICATE
			                    ? IT_DUPLICATE
			                    : IT_WRITTEN;
			e->index = out[k].index;
			e->custody_gap = out[k].custody_gap;
			break;
		case CLI_SENT_REFUSED:
			refuse_local(e, out[k].problem.reason,
			             out[k].problem.msg);
			break;
		case CLI_SENT_NOT_WRITTEN:
			e->status = IT_NOT_WRITTEN;
			break;
		}
	}
out:
	free(subs);
	free(out);
	free(pos);
	return code;
}

typedef struct {
	importer *im;
	wb_rpc_client *c;
} sender_arg;

static void *
sender_main(void *arg)
{
	sender_arg *sa = arg;
	importer *im = sa->im;

	pthread_mutex_lock(&im->mu);
	for (;;) {
		batch_slot *b = NULL;
		uint64_t size = 0;
		int code;

		for (size_t k = 0; k < SENDERS; k++) {
			if (im->slot[k].state == SLOT_QUEUED &&
			    (b == NULL || im->slot[k].seq < b->seq)) {
				b = &im->slot[k];
			}
		}
		if (b == NULL) {
			if (im->cut_done || im->stop) {
				break;
			}
			pthread_cond_wait(&im->cv, &im->mu);
			continue;
		}
		b->state = SLOT_SENDING;
		pthread_mutex_unlock(&im->mu);
		code = send_batch(im->st, b->from, b->to, sa->c, im->atomic,
		                  &size);
		for (size_t i = b->from; i < b->to; i++) {
			free((void *)(uintptr_t)im->st[i].sub.body);
			memset(&im->st[i].sub, 0, sizeof(im->st[i].sub));
			free(im->st[i].keys);
			im->st[i].keys = NULL;
		}
		pthread_mutex_lock(&im->mu);
		im->tree_size = size > im->tree_size ? size : im->tree_size;
		if (code != CLI_OK && im->net_code == CLI_OK) {
			im->net_code = code;
			im->stop = true;
		}
		free(b->keys);
		memset(b, 0, sizeof(*b));
		pthread_cond_broadcast(&im->cv);
	}
	pthread_mutex_unlock(&im->mu);
	return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Whether two sorted key lists share a key. */
static bool
keys_meet(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0;

	while (i < na && j < nb) {
		if (a[i] == b[j]) {
			return true;
		}
		if (a[i] < b[j]) {
			i++;
		} else {
			j++;
		}
	}
	return false;
}

/* Whether a batch may go now (under mu); NULL slot: none is free. */
static batch_slot *
slot_for(importer *im, const batch_slot *next)
{
	batch_slot *free_slot = NULL;

	for (size_t k = 0; k < SENDERS; k++) {
		const batch_slot *b = &im->slot[k];

		if (b->state == SLOT_FREE) {
			free_slot =
			        free_slot != NULL ? free_slot : &im->slot[k];
			continue;
		}
		if (!next->commissioning || !b->commissioning ||
		    keys_meet(next->keys, next->n_keys, b->keys, b->n_keys)) {
			return NULL;
		}
	}
	return free_slot;
}

/* The main thread's part: cuts prepared items into batches, in document
 * order, and hands them to the senders. */
static void
cut_batches(importer *im)
{
	size_t from = 0;

	pthread_mutex_lock(&im->mu);
	while (from < im->n_items && !im->stop) {
		batch_slot next = { .state = SLOT_QUEUED,
			            .commissioning = true };
		size_t to = from, bytes = 0, n = 0, n_keys = 0;
		batch_slot *slot;

		/* Whole items only, in document order: the next one starts
		 * a new batch when it would not fit. Items refused here
		 * count toward N, so that an atomic batch is the same
		 * stretch of the document however many of it map. */
		while (to < im->n_items && n < im->per_batch && !im->stop) {
			size_t cost;

			if (to >= ready_to(im)) {
				pthread_cond_wait(&im->cv, &im->mu);
				continue;
			}
			cost = im->st[to].sub.body_len + ITEM_OVERHEAD;
			if (n > 0 && bytes + cost > im->limit) {
				break;
			}
			bytes += cost;
			n++;
			to++;
		}
		if (im->stop) {
			break;
		}
		for (size_t i = from; i < to; i++) {
			const it_state *e = &im->st[i];

			if (e->status == IT_READY) {
				next.commissioning &= e->commissioning;
				n_keys += e->n_keys;
			}
		}
		if (next.commissioning &&
		    (next.keys = malloc((n_keys ? n_keys : 1) *
		                        sizeof(*next.keys))) == NULL) {
			next.commissioning = false;
		}
		for (size_t i = from; next.commissioning && i < to; i++) {
			const it_state *e = &im->st[i];

			if (e->status == IT_READY) {
				memcpy(next.keys + next.n_keys, e->keys,
				       e->n_keys * sizeof(*e->keys));
				next.n_keys += e->n_keys;
			}
		}
		if (next.commissioning) {
			qsort(next.keys, next.n_keys, sizeof(*next.keys),
			      cmp_u64);
		}
		while (!im->stop && (slot = slot_for(im, &next)) == NULL) {
			pthread_cond_wait(&im->cv, &im->mu);
		}
		if (im->stop) {
			free(next.keys);
			break;
		}
		next.from = from;
		next.to = to;
		next.seq = im->seq++;
		*slot = next;
		im->sent_to = to;
		pthread_cond_broadcast(&im->cv);
		from = to;
	}
	im->cut_done = true;
	pthread_cond_broadcast(&im->cv);
	pthread_mutex_unlock(&im->mu);
}

/* Prepares and sends everything; returns the first failure's exit code
 * (a preparer's first, since then nothing is reported). */
static int
run_pipeline(importer *im)
{
	pthread_t prep[PREPARERS], send[SENDERS];
	sender_arg sa[SENDERS];
	size_t n_prep = 0, n_send = 0;
	size_t want_prep = im->streamed ? PREPARERS : 1;
	int code = CLI_OK;

	im->n_chunks = (im->n_items - im->n_pre + CHUNK - 1) / CHUNK;
	im->window = im->per_batch * AHEAD_BATCH + CHUNK;
	if ((im->chunk_done = calloc(im->n_chunks + 1, 1)) == NULL) {
		return cli_fail(CLI_ERROR, "epcis import", "out of memory");
	}
	/* The header's master data, before the events. */
	for (size_t i = 0; i < im->n_pre && code == CLI_OK; i++) {
		code = prepare_item(im, i, im->doc, i, NULL);
	}
	if (code != CLI_OK) {
		return code;
	}
	pthread_mutex_init(&im->mu, NULL);
	pthread_cond_init(&im->cv, NULL);
	for (; n_prep < want_prep; n_prep++) {
		if (pthread_create(&prep[n_prep], NULL, preparer_main, im) !=
		    0) {
			break;
		}
	}
	for (; n_send < SENDERS && im->c[n_send] != NULL; n_send++) {
		sa[n_send].im = im;
		sa[n_send].c = im->c[n_send];
		if (pthread_create(&send[n_send], NULL, sender_main,
		                   &sa[n_send]) != 0) {
			break;
		}
	}
	if (n_prep == 0 || n_send == 0) {
		pthread_mutex_lock(&im->mu);
		im->stop = true;
		im->prep_code = cli_fail(CLI_ERROR, "epcis import",
		                         "cannot start threads");
		pthread_mutex_unlock(&im->mu);
	} else {
		cut_batches(im);
	}
	pthread_mutex_lock(&im->mu);
	im->cut_done = true;
	pthread_cond_broadcast(&im->cv);
	pthread_mutex_unlock(&im->mu);
	for (size_t k = 0; k < n_send; k++) {
		pthread_join(send[k], NULL);
	}
	/* The senders are done: nothing more is needed from the
	 * preparers. */
	pthread_mutex_lock(&im->mu);
	im->stop = true;
	pthread_cond_broadcast(&im->cv);
	pthread_mutex_unlock(&im->mu);
	for (size_t k = 0; k < n_prep; k++) {
		pthread_join(prep[k], NULL);
	}
	pthread_cond_destroy(&im->cv);
	pthread_mutex_destroy(&im->mu);
	return im->prep_code != CLI_OK ? im->prep_code : CLI_OK;
}

/*
 * The report.
 */

static const char *
status_name(it_status s)
{
	switch (s) {
	case IT_WRITTEN:
		return "written";
	case IT_DUPLICATE:
		return "duplicate";
	case IT_REFUSED:
		return "refused";
	case IT_NOT_WRITTEN:
		return "not-written";
	default:
		return "not-sent";
	}
}

static const char *
kind_name(const importer *im, size_t i)
{
	wb_epcis_item_kind k = i < im->n_md || !im->streamed
	                               ? im->doc->items[i].kind
	                               : WB_EPCIS_ITEM_EVENT;

	return k == WB_EPCIS_ITEM_MASTER_DATA ? "master-data" : "event";
}

static json_t *
row_json(const importer *im, size_t i)
{
	const it_state *e = &im->st[i];
	char path[WB_EPCIS_PATH_MAX + 32];
	json_t *r = json_object();

	item_path(path, sizeof(path), im, i);
	json_object_set_new(r, "position", json_string(path));
	json_object_set_new(r, "kind", json_string(kind_name(im, i)));
	json_object_set_new(r, "event_id", cli_json_str(e->event_id));
	json_object_set_new(r, "status", json_string(status_name(e->status)));
	if (e->status == IT_WRITTEN || e->status == IT_DUPLICATE) {
		json_object_set_new(r, "index",
		                    json_integer((json_int_t)e->index));
		json_object_set_new(r, "duplicate",
		                    json_boolean(e->status == IT_DUPLICATE));
		json_object_set_new(r, "custody_gap",
		                    json_boolean(e->custody_gap));
	}
	if (e->status == IT_REFUSED) {
		json_object_set_new(r, "reason",
		                    json_string(wb_reject_name(e->reason)));
		json_object_set_new(r, "message", cli_json_str(e->msg));
	}
	return r;
}

/* The rows as one indented JSON array, as cli_json_print writes it, one
 * row at a time: a large import never holds them all as JSON. */
static int
report_json(const importer *im)
{
	const size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;

	if (im->n_items == 0) {
		return cli_json_print(json_array());
	}
	fputs("[\n", stdout);
	for (size_t i = 0; i < im->n_items; i++) {
		json_t *r = row_json(im, i);
		char *text = r != NULL ? json_dumps(r, flags) : NULL;

		json_decref(r);
		if (text == NULL) {
			fprintf(stderr, "waybill: out of memory\n");
			return CLI_ERROR;
		}
		/* Each line one level deeper, inside the array. */
		fputs("  ", stdout);
		for (const char *c = text; *c != '\0'; c++) {
			fputc(*c, stdout);
			if (*c == '\n') {
				fputs("  ", stdout);
			}
		}
		fputs(i + 1 < im->n_items ? ",\n" : "\n", stdout);
		free(text);
	}
	fputs("]\n", stdout);
	return CLI_OK;
}

static void
report_text(const importer *im)
{
	cli_table t;

	cli_table_init(&t, 6);
	cli_table_row(&t, "POSITION", "KIND", "STATUS", "INDEX", "EVENT ID",
	              "NOTE");
	for (size_t i = 0; i < im->n_items; i++) {
		const it_state *e = &im->st[i];
		char index[24] = "", note[400] = "",
		     path[WB_EPCIS_PATH_MAX + 32];

		if (e->status == IT_WRITTEN || e->status == IT_DUPLICATE) {
			snprintf(index, sizeof(index), "%llu",
			         (unsigned long long)e->index);
		}
		if (e->status == IT_REFUSED) {
			snprintf(note, sizeof(note), "%s: %s",
			         wb_reject_name(e->reason),
			         e->msg != NULL ? e->msg : "");
		} else if (e->status == IT_NOT_WRITTEN) {
			snprintf(note, sizeof(note),
			         "its batch held a refused item (--proceed "
			         "records the others)");
		} else if (e->custody_gap) {
			snprintf(note, sizeof(note), "custody gap");
		}
		item_path(path, sizeof(path), im, i);
		cli_table_row(&t, path, kind_name(im, i),
		              status_name(e->status), index, e->event_id, note);
	}
	cli_table_print(&t, stdout);
	cli_table_fini(&t);
}

static void
importer_fini(importer *im)
{
	for (size_t i = 0; im->st != NULL && i < im->n_items; i++) {
		free((void *)(uintptr_t)im->st[i].sub.body);
		free(im->st[i].keys);
		free(im->st[i].event_id);
		free(im->st[i].msg);
	}
	free(im->st);
	free(im->chunk_done);
	for (size_t k = 0; k < SENDERS; k++) {
		free(im->slot[k].keys);
		wb_rpc_client_close(im->c[k]);
	}
	wb_epcis_doc_free(im->doc);
	json_decref(im->head);
	json_decref(im->root);
	epcis_scan_fini(&im->scan);
	unload_text(im);
	free(im->info.checkpoint);
}

static int
cmd_epcis_import(int argc, char **argv)
{
	cli_net_opts net;
	const char *v;
	unsigned long long batch = 0;
	importer im = { 0 };
	wb_signer *key = NULL;
	size_t count[5] = { 0 };
	bool proceed = false;
	int code = CLI_OK;

	cli_net_init(&net);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(import_help, stdout);
			fputs(cli_net_help, stdout);
			return CLI_OK;
		}
		if (cli_net_opt(argc, argv, &i, &net)) {
			continue;
		}
		if (strcmp(argv[i], "--proceed") == 0) {
			proceed = true;
		} else if (cli_opt(argc, argv, &i, "--batch", &v)) {
			if (!cli_parse_u64(v, 1, 1u << 30, &batch)) {
				return cli_fail(
				        CLI_USAGE, "epcis import",
				        "--batch %s: give the number of items per batch (1 or more)",
				        v);
			}
		} else if ((argv[i][0] == '-' && argv[i][1] != '\0') ||
		           im.path != NULL) {
			return cli_fail(CLI_USAGE, "epcis import",
			                "unexpected argument %s (see --help)",
			                argv[i]);
		} else {
			im.path = argv[i];
		}
	}
	im.atomic = !proceed;
	if (im.path == NULL) {
		return cli_fail(
		        CLI_USAGE, "epcis import",
		        "name the document: waybill epcis import FILE (- for standard input)");
	}
	if ((code = cli_load_key(&key, "epcis import", net.key_path)) !=
	            CLI_OK ||
	    (code = load(&im)) != CLI_OK) {
		goto out;
	}
	im.key = key;
	if (im.n_items == 0) {
		code = cli_fail(CLI_REFUSED, "epcis import",
		                "%s holds no events and no master data",
		                im.path);
		goto out;
	}
	if ((code = cli_connect(&im.c[0], NULL, "epcis import", &net, false)) !=
	            CLI_OK ||
	    (code = cli_info_get(&im.info, "epcis import", im.c[0])) !=
	            CLI_OK) {
		goto out;
	}
	/* More connections only where batches can overlap. */
	for (size_t k = 1; im.n_items > CHUNK && k < SENDERS; k++) {
		if (cli_connect(&im.c[k], NULL, "epcis import", &net, false) !=
		    CLI_OK) {
			im.c[k] = NULL;
			break;
		}
	}
	if ((im.st = calloc(im.n_items, sizeof(*im.st))) == NULL) {
		code = cli_fail(CLI_ERROR, "epcis import", "out of memory");
		goto out;
	}
	im.tree_size = im.info.tree_size;
	im.per_batch = im.info.max_batch > 0 ? im.info.max_batch : 1;
	if (batch > 0 && batch < im.per_batch) {
		im.per_batch = (size_t)batch;
	}
	im.limit = im.info.max_message_bytes > 2 * ENVELOPE
	                   ? im.info.max_message_bytes - ENVELOPE
	                   : im.info.max_message_bytes / 2;
	if ((code = run_pipeline(&im)) != CLI_OK) {
		goto out;
	}
	if (net.json) {
		code = report_json(&im);
	} else {
		report_text(&im);
	}
	for (size_t i = 0; i < im.n_items; i++) {
		count[im.st[i].status]++;
	}
	fprintf(stderr,
	        "%zu items (%zu master data, %zu events): %zu written, %zu already recorded, %zu refused, %zu not written; tree size %llu\n",
	        im.n_items, im.n_md, im.n_events, count[IT_WRITTEN],
	        count[IT_DUPLICATE], count[IT_REFUSED],
	        count[IT_NOT_WRITTEN] + count[IT_READY],
	        (unsigned long long)im.tree_size);
	if (im.net_code != CLI_OK) {
		code = im.net_code;
	} else if (code == CLI_OK &&
	           count[IT_WRITTEN] + count[IT_DUPLICATE] != im.n_items) {
		code = CLI_REFUSED;
	}
out:
	importer_fini(&im);
	wb_signer_free(key);
	return code;
}

int
cmd_epcis(int argc, char **argv)
{
	if (argc < 2) {
		fputs(epcis_help, stderr);
		return CLI_USAGE;
	}
	if (cli_is_help(argv[1])) {
		fputs(epcis_help, stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "import") == 0) {
		return cmd_epcis_import(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "export") == 0) {
		return cmd_epcis_export(argc - 1, argv + 1);
	}
	return cli_fail(CLI_USAGE, "epcis",
	                "unknown subcommand %s: give import or export (see "
	                "waybill epcis --help)",
	                argv[1]);
}
