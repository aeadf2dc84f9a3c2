/* SPDX-License-Identifier: MIT */
/*
 * waybill stamp and waybill master: one signed event, built from flags for
 * the common lifecycle steps (or read from an EPCIS 2.0 event JSON file),
 * signed with the stakeholder's key and submitted to the daemon; and what
 * the write subcommands share: the ledger's identity from Info, signing,
 * event IDs, receipts.
 *
 * Each step builds the shape the ledger's rules recognise (docs/rules.md,
 * docs/traceability.md): commissioning is an ObjectEvent ADD (with the lot
 * number in the ILMD, which makes the items members of the lot), shipping
 * and receiving are ObjectEvent OBSERVEs with those business steps,
 * packing an AggregationEvent, installing an AssociationEvent whose parent
 * is the host asset, and so on.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "waybill/epcis.h"

/* Strings a stamp points at that are not argv's: freed together. */
typedef struct {
	char **v;
	size_t n, cap;
} cli_pool;

int
cli_info_get(wb_rpc_info *out, const char *cmd, wb_rpc_client *c)
{
	wb_problem p = { 0 };
	wb_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = wb_rpc_info_get(out, c, &p)) != WB_OK) {
		return cli_rpc_fail(
		        cmd, c, rc, &p,
		        "asking the server for the ledger's identity");
	}
	return CLI_OK;
}

int
cli_stamp_sign(wb_submission *sub, const char *cmd, const wb_stamp *s,
               const wb_signer *key)
{
	uint8_t *body = NULL;
	size_t len = 0;
	wb_err rc;

	memset(sub, 0, sizeof(*sub));
	if ((rc = wb_stamp_encode(&body, &len, s)) != WB_OK) {
		return cli_fail(rc == WB_EINVAL ? CLI_USAGE : CLI_ERROR, cmd,
		                "cannot encode the stamp: %s", wb_strerror(rc));
	}
	if ((rc = wb_sig_sign(sub->signature, key, WB_SIG_STAMP, body, len)) !=
	    WB_OK) {
		free(body);
		return cli_fail(CLI_ERROR, cmd, "cannot sign the stamp: %s",
		                wb_strerror(rc));
	}
	sub->type = WB_ENTRY_STAMP;
	sub->body = body;
	sub->body_len = len;
	sub->signer = *wb_signer_pubkey(key);
	return CLI_OK;
}

void
cli_event_id_new(char out[64])
{
	uint8_t b[16];

	/* RFC 9562 version 4: random, with the version and variant bits. */
	wb_random_bytes(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(
	        out, 64,
	        "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	        b[10], b[11], b[12], b[13], b[14], b[15]);
}

/*
 * The receipt file is opened before anything is submitted, so that a path
 * that cannot be written is found while nothing is recorded yet: a stamp
 * recorded with the receipt lost would tempt the user to stamp again,
 * which records a second event (a new event ID each time).
 */
typedef struct {
	const char *path; /* NULL: no receipt wanted */
	int fd;
	bool created; /* made by us: removed when nothing is recorded */
} receipt_file;

static int
receipt_open(receipt_file *rf, const char *cmd, const char *path)
{
	rf->path = path;
	rf->fd = -1;
	rf->created = false;
	if (path == NULL) {
		return CLI_OK;
	}
	rf->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (rf->fd >= 0) {
		rf->created = true;
	} else if (errno == EEXIST) {
		/* An existing file is replaced, but only once the stamp is
		 * recorded. */
		rf->fd = open(path, O_WRONLY | O_CLOEXEC);
	}
	if (rf->fd < 0) {
		return cli_fail(
		        CLI_ERROR, cmd,
		        "cannot write the receipt to %s: %s: check the path given to --receipt-out (nothing was submitted)",
		        path, strerror(errno));
	}
	return CLI_OK;
}

/* Closes the file; removes it when it was made here and nothing went in. */
static void
receipt_abandon(receipt_file *rf)
{
	if (rf->fd >= 0) {
		close(rf->fd);
		rf->fd = -1;
		if (rf->created) {
			unlink(rf->path);
		}
	}
}

/* Writes the receipt bytes as they came (replacing what the file held). */
static int
receipt_finish(receipt_file *rf, const char *cmd, uint64_t index,
               const uint8_t *b, size_t n)
{
	struct stat st;
	size_t done = 0;
	bool ok;

	if (rf->fd < 0) {
		return CLI_OK;
	}
	if (b == NULL || n == 0) {
		receipt_abandon(rf);
		return cli_fail(
		        CLI_ERROR, cmd,
		        "the stamp is recorded at index %llu, but the server sent no receipt to write to %s",
		        (unsigned long long)index, rf->path);
	}
	ok = fstat(rf->fd, &st) == 0 &&
	     (!S_ISREG(st.st_mode) || ftruncate(rf->fd, 0) == 0);
	while (ok && done < n) {
		ssize_t w = write(rf->fd, b + done, n - done);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		ok = w > 0;
		done += ok ? (size_t)w : 0;
	}
	ok = close(rf->fd) == 0 && ok;
	rf->fd = -1;
	if (!ok) {
		if (rf->created) {
			unlink(rf->path); /* no partial receipt */
		}
		return cli_fail(
		        CLI_ERROR, cmd,
		        "the stamp is recorded at index %llu (do not stamp it again), but writing its receipt to %s failed: %s (disk full?)",
		        (unsigned long long)index, rf->path, strerror(errno));
	}
	return CLI_OK;
}

/*
 * Event time.
 */

static bool
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
cli_tz_valid(const char *tz)
{
	int h, m;

	return strlen(tz) == 6 && (tz[0] == '+' || tz[0] == '-') &&
	       digits(tz + 1, 2, &h) && tz[3] == ':' && digits(tz + 4, 2, &m) &&
	       m <= 59 && h * 60 + m <= 14 * 60;
}

static bool
cli_time_parse(const char *s, wb_time *out, char tz[8])
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30,
		                       31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, off = 0;
	uint32_t nanos = 0;
	bool has_nanos = false, leap;
	const char *p;

	if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec)) {
		return false;
	}
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    sec > 59) {
		return false;
	}
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++) {
			if (n < 9) {
				nanos = nanos * 10 + (uint32_t)(*p - '0');
			}
		}
		if (n == 0) {
			return false;
		}
		for (int i = n; i < 9; i++) {
			nanos *= 10;
		}
		has_nanos = true;
	}
	if (*p == 'Z' || *p == 'z') {
		snprintf(tz, 8, "+00:00");
		p++;
	} else if (strlen(p) == 6 && cli_tz_valid(p)) {
		snprintf(tz, 8, "%s", p);
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		      ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		off = p[0] == '-' ? -off : off;
		p += 6;
	} else {
		return false;
	}
	if (*p != '\0') {
		return false;
	}
	out->seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	               sec - off;
	out->nanos = nanos;
	out->has_nanos = has_nanos;
	return true;
}

/* Now, to the millisecond. */
static void
time_now(wb_time *out)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	out->seconds = (int64_t)ts.tv_sec;
	out->nanos = (uint32_t)(ts.tv_nsec / 1000000) * 1000000u;
	out->has_nanos = true;
}

static char *
cli_pool_add(cli_pool *p, char *s)
{
	if (s == NULL) {
		return NULL;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		char **v = realloc(p->v, cap * sizeof(*v));

		if (v == NULL) {
			free(s);
			return NULL;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = s;
	return s;
}

static char *
cli_pool_printf(cli_pool *p, const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);

	if (s != NULL) {
		snprintf(s, n, "%s%s", a, b);
	}
	return cli_pool_add(p, s);
}

static void
cli_pool_free(cli_pool *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i]);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* Splits "KEY=VALUE" (copied into the pool): false without '=' or key. */
static bool
cli_split_kv(cli_pool *p, const char *arg, char **key, char **value)
{
	const char *eq = strchr(arg, '=');
	char *copy;

	if (eq == NULL || eq == arg || (copy = strdup(arg)) == NULL ||
	    cli_pool_add(p, copy) == NULL) {
		return false;
	}
	copy[eq - arg] = '\0';
	*key = copy;
	*value = copy + (eq - arg) + 1;
	return true;
}

/*
 * Submitting one signed item and saying what became of it.
 */

int
cli_submit_one(wb_rpc_result **res, uint64_t *tree_size, const char *cmd,
               wb_rpc_client *c, const wb_submission *sub, const char *what)
{
	wb_problem p = { 0 };
	wb_err rc;

	*res = NULL;
	rc = wb_rpc_submit(res, tree_size, c, sub, 1, false, &p);
	if (rc != WB_OK) {
		wb_rpc_results_free(*res, 1);
		*res = NULL;
		return cli_rpc_fail(cmd, c, rc, &p, what);
	}
	if ((*res)[0].err != WB_OK) {
		int code = cli_rpc_fail(cmd, c, (*res)[0].err,
		                        &(*res)[0].problem, what);

		wb_rpc_results_free(*res, 1);
		*res = NULL;
		return code;
	}
	return CLI_OK;
}

/*
 * waybill stamp KIND.
 */

/* Which flags a kind takes. */
enum {
	F_IDS = 1u << 0,       /* positional IDs: the twins */
	F_QTY = 1u << 1,       /* --quantity */
	F_LOT = 1u << 2,       /* --lot, --ilmd */
	F_PARENT = 1u << 3,    /* --parent (--asset) */
	F_TRANSFORM = 1u << 4, /* --input, --output, --input-qty, ... */
	F_PARTY = 1u << 5,     /* --to, --owner, --destination, --from,
	                        * --from-location, --to-location */
	F_WHERE = 1u << 6,     /* --location, --read-point, --biz-step, ... */
	F_KV = 1u << 7,        /* positional KEY=VALUE attributes */
	F_RECALL = 1u << 8,    /* --target, --reason, --class, --reference */
	F_LIFT = 1u << 9,      /* RECALL_INDEX, --target, --reason */
	F_DESTROY = 1u << 10,  /* --destroyed */
};

typedef struct {
	const char *name;
	wb_kind kind;
	wb_action action; /* UNSPECIFIED: none (recall, lift, transform) */
	const char *biz_step;
	const char *disposition;
	unsigned flags;
} stamp_kind;

static const stamp_kind kinds[] = {
	{ "commission", WB_KIND_OBJECT, WB_ACTION_ADD, "commissioning",
	  "active", F_IDS | F_QTY | F_LOT | F_WHERE },
	{ "observe", WB_KIND_OBJECT, WB_ACTION_OBSERVE, NULL, NULL,
	  F_IDS | F_QTY | F_WHERE | F_PARTY },
	{ "ship", WB_KIND_OBJECT, WB_ACTION_OBSERVE, "shipping", "in_transit",
	  F_IDS | F_QTY | F_WHERE | F_PARTY },
	{ "receive", WB_KIND_OBJECT, WB_ACTION_OBSERVE, "receiving",
	  "in_progress", F_IDS | F_QTY | F_WHERE | F_PARTY },
	{ "pack", WB_KIND_AGGREGATION, WB_ACTION_ADD, "packing", "in_progress",
	  F_IDS | F_QTY | F_PARENT | F_WHERE },
	{ "unpack", WB_KIND_AGGREGATION, WB_ACTION_DELETE, "unpacking",
	  "in_progress", F_IDS | F_QTY | F_PARENT | F_WHERE },
	{ "transform", WB_KIND_TRANSFORMATION, WB_ACTION_UNSPECIFIED, NULL,
	  NULL, F_TRANSFORM | F_LOT | F_WHERE },
	{ "install", WB_KIND_ASSOCIATION, WB_ACTION_ADD, "installing", NULL,
	  F_IDS | F_PARENT | F_WHERE },
	{ "remove", WB_KIND_ASSOCIATION, WB_ACTION_DELETE, "removing", NULL,
	  F_IDS | F_PARENT | F_WHERE },
	{ "sell", WB_KIND_OBJECT, WB_ACTION_OBSERVE, "retail_selling",
	  "retail_sold", F_IDS | F_QTY | F_WHERE },
	{ "dispose", WB_KIND_OBJECT, WB_ACTION_DELETE, "decommissioning",
	  "inactive", F_IDS | F_QTY | F_WHERE | F_DESTROY },
	{ "annotate", WB_KIND_OBJECT, WB_ACTION_OBSERVE, NULL, NULL,
	  F_IDS | F_QTY | F_WHERE | F_KV },
	{ "recall", WB_KIND_RECALL, WB_ACTION_UNSPECIFIED, NULL, NULL,
	  F_RECALL },
	{ "lift", WB_KIND_LIFT, WB_ACTION_UNSPECIFIED, NULL, NULL, F_LIFT },
};

static const char stamp_help[] =
        "usage: waybill stamp KIND [ARGS] [OPTIONS] --key FILE\n"
        "       waybill stamp --file EVENT.json --key FILE\n"
        "\n"
        "Signs one lifecycle event with your key and records it. KIND is one of:\n"
        "\n"
        "  commission ID... [--lot LOT] [--ilmd KEY=VALUE]... [--quantity Q]...\n"
        "      ObjectEvent ADD, bizStep commissioning, disposition active. You\n"
        "      become brand owner and custodian; IDs must lie in your namespaces.\n"
        "      --lot puts cbvmda:lotNumber in the ILMD: GS1 items become members\n"
        "      of the lot of their GTIN (what a recall of the lot reaches).\n"
        "      Commission a lot itself with --quantity LGTIN:QTY:UOM.\n"
        "  ship ID... [--to PARTY] [--to-location SGLN] [--owner PARTY]\n"
        "           [--from-location SGLN]\n"
        "      ObjectEvent OBSERVE, bizStep shipping, disposition in_transit: in\n"
        "      transit to PARTY (a possessing_party destination: the receiver's\n"
        "      registered party ID); only PARTY may then receive it.\n"
        "  receive ID... [--owner PARTY] [--from-location SGLN]\n"
        "              [--to-location SGLN]\n"
        "      bizStep receiving, disposition in_progress: you become custodian\n"
        "      (and PARTY, when registered, the owner).\n"
        "      --from-location and --to-location name the places the goods\n"
        "      left and arrive at (a source and a destination of CBV type\n"
        "      location, e.g. urn:epc:id:sgln:4000001.00001.0): the ship_from\n"
        "      and ship_to of the FSMA 204 export (docs/fsma204.md).\n"
        "  pack --parent CONTAINER CHILD...     AggregationEvent ADD, packing\n"
        "  unpack --parent CONTAINER [CHILD...] AggregationEvent DELETE,\n"
        "      unpacking (no children: everything in the container)\n"
        "  transform --input ID... --output ID... [--input-qty Q]...\n"
        "            [--output-qty Q]... [--transformation-id ID] [--lot LOT]\n"
        "      TransformationEvent: the outputs are made from the inputs (and\n"
        "      commissioned by you: they must lie in your namespaces)\n"
        "  install --parent ASSET PART...  AssociationEvent ADD, installing:\n"
        "      the parts are installed in the asset\n"
        "  remove --parent ASSET PART...   AssociationEvent DELETE, removing\n"
        "  sell ID...        bizStep retail_selling, disposition retail_sold\n"
        "  dispose ID... [--destroyed]  ObjectEvent DELETE, bizStep\n"
        "      decommissioning, disposition inactive (--destroyed: destroying,\n"
        "      destroyed); the twin ends: only recalls, lifts and inspections\n"
        "      may follow\n"
        "  annotate ID... KEY=VALUE...  ObjectEvent OBSERVE carrying\n"
        "      attributes, e.g. price=2.49EUR discount=30% packaging=paper-bag\n"
        "  observe ID... --biz-step STEP  any other observation (e.g.\n"
        "      inspecting)\n"
        "  recall TARGET... --reason TEXT [--class I|II|III] [--reference REF]\n"
        "      a recall of twins or lots (--target ID is the same as TARGET)\n"
        "  lift RECALL_INDEX --reason TEXT [--target ID]...\n"
        "      ends the recall recorded at RECALL_INDEX (or part of it)\n"
        "\n";

static const char stamp_help_options[] =
        "Event options:\n"
        "  --event-id ID      the event ID (default: a new urn:uuid:); the same\n"
        "                     signed stamp sent twice is recorded once\n"
        "  --time RFC3339     event time, e.g. 2026-03-01T08:30:00+01:00\n"
        "                     (default: now)\n"
        "  --tz +HH:MM        event time zone offset (default: that of --time,\n"
        "                     else +00:00)\n"
        "  --location ID      business location (e.g. an SGLN)\n"
        "  --read-point ID    read point\n"
        "  --biz-step STEP    override the business step (CBV word or URI)\n"
        "  --disposition D    override the disposition\n"
        "  --biz-tx [TYPE=]ID a business transaction (e.g. po=urn:...);\n"
        "                     repeatable\n"
        "  --from PARTY       source party (possessing_party)\n"
        "  --from-location ID source location (CBV type location): where\n"
        "                     the goods left from\n"
        "  --to-location ID   destination location (CBV type location): where\n"
        "                     they are going (the same as --destination)\n"
        "  --quantity Q       a quantity: CLASS[:QTY[:UOM]], e.g.\n"
        "                     urn:epc:class:lgtin:4012345.012345.L1:500:KGM\n"
        "                     (UOM: a UN/ECE Rec 20 code with a letter)\n"
        "  --attr KEY=VALUE   an attribute (repeatable); a KEY without a\n"
        "                     namespace prefix is waybill:KEY (waybill:price,\n"
        "                     waybill:discount, waybill:packaging show in\n"
        "                     passports)\n"
        "  --attr-json KEY=JSON  an attribute whose value is JSON\n"
        "  --receipt-out FILE write the receipt (bytes as the server sent\n"
        "                     them) to FILE, for `waybill verify-receipt`\n"
        "\n"
        "--file EVENT.json reads one event in EPCIS 2.0 JSON (ObjectEvent, ...,\n"
        "or waybill:RecallEvent, waybill:LiftEvent, waybill:MasterDataEvent;\n"
        "\"waybill:NAME\" keys are attributes), or an EPCIS document holding one\n"
        "event. An event without eventID gets one derived from its content,\n"
        "so sending the same file again records it once.\n"
        "\n"
        "Prints the entry's index, whether the stamp was already recorded\n"
        "(duplicate) and whether it was a custodian's act by someone else\n"
        "(custody gap). Exit status: 0 recorded, 2 usage, 3 refused by the\n"
        "ledger (its reason is printed), 4 network, 5 other (key file, ...).\n"
        "\n";

/* A list of strings with room for every argument. */
typedef struct {
	const char **v;
	size_t n;
} strlist;

typedef struct {
	wb_quantity *v;
	size_t n;
} qtylist;

typedef struct {
	wb_typed_value *v;
	size_t n;
} tvlist;

typedef struct {
	const stamp_kind *k;
	cli_net_opts net;
	cli_pool pool;
	const char *event_id, *time, *tz, *location, *read_point, *biz_step,
	        *disposition, *receipt_out, *parent, *lot, *reason, *klass,
	        *reference, *transformation_id, *file;
	bool destroyed;
	uint64_t recall_index;
	strlist ids, inputs, outputs, targets;
	qtylist qty, in_qty, out_qty;
	tvlist biz_tx, sources, destinations;
	wb_attribute *attrs;
	size_t n_attrs;
	json_t *ilmd;
} stamp_args;

static bool
args_alloc(stamp_args *a, int argc)
{
	size_t n = (size_t)argc + 1;

	a->ids.v = calloc(n, sizeof(char *));
	a->inputs.v = calloc(n, sizeof(char *));
	a->outputs.v = calloc(n, sizeof(char *));
	a->targets.v = calloc(n, sizeof(char *));
	a->qty.v = calloc(n, sizeof(wb_quantity));
	a->in_qty.v = calloc(n, sizeof(wb_quantity));
	a->out_qty.v = calloc(n, sizeof(wb_quantity));
	a->biz_tx.v = calloc(n, sizeof(wb_typed_value));
	a->sources.v = calloc(n, sizeof(wb_typed_value));
	a->destinations.v = calloc(n, sizeof(wb_typed_value));
	a->attrs = calloc(n, sizeof(wb_attribute));
	return a->ids.v && a->inputs.v && a->outputs.v && a->targets.v &&
	       a->qty.v && a->in_qty.v && a->out_qty.v && a->biz_tx.v &&
	       a->sources.v && a->destinations.v && a->attrs;
}

static void
args_free(stamp_args *a)
{
	free(a->ids.v);
	free(a->inputs.v);
	free(a->outputs.v);
	free(a->targets.v);
	free(a->qty.v);
	free(a->in_qty.v);
	free(a->out_qty.v);
	free(a->biz_tx.v);
	free(a->sources.v);
	free(a->destinations.v);
	free(a->attrs);
	json_decref(a->ilmd);
	cli_pool_free(&a->pool);
}

static bool
is_number(const char *s, size_t n)
{
	char buf[64], *end;
	double v;

	if (n == 0 || n >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	/* Decimal only (strtod would also take hex, "inf" and "nan"), and
	 * finite: 1e999 is no quantity. */
	if (strspn(buf, "0123456789.-+eE") != n) {
		return false;
	}
	v = strtod(buf, &end);
	return *end == '\0' && isfinite(v) &&
	       (buf[0] == '-' || buf[0] == '.' ||
	        (buf[0] >= '0' && buf[0] <= '9'));
}

/* What strtod reads whole but is_number refuses ("inf", "nan", "0x1p3",
 * "1e999"): a quantity that is wrong, not part of a class ID. */
static bool
bad_number(const char *s)
{
	char *end;

	if (s[0] == '\0' || is_number(s, strlen(s))) {
		return false;
	}
	(void)strtod(s, &end);
	return *end == '\0';
}

/* A unit of measure: a UN/ECE Rec 20 code of 1 to 3 letters and digits,
 * at least one a letter (so that "CLASS:12:500" reads as quantity 500 of
 * a class ending in ":12", not as 12 of unit 500). */
static bool
is_uom(const char *s, size_t n)
{
	bool letter = false;

	if (n == 0 || n > 3) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		bool alpha = (s[i] >= 'A' && s[i] <= 'Z') ||
		             (s[i] >= 'a' && s[i] <= 'z');

		if (!alpha && !(s[i] >= '0' && s[i] <= '9')) {
			return false;
		}
		letter |= alpha;
	}
	return letter;
}

/*
 * CLASS[:QTY[:UOM]]. Class IDs hold colons themselves, so the quantity
 * and unit are read from the right: the last field is the unit when the
 * one before it is a number, else the quantity when it is a number.
 */
static bool
cli_quantity_parse(cli_pool *p, const char *text, wb_quantity *q)
{
	char *copy = cli_pool_add(p, strdup(text));
	char *last, *prev;

	memset(q, 0, sizeof(*q));
	if (copy == NULL || copy[0] == '\0') {
		return false;
	}
	q->epc_class = copy;
	if ((last = strrchr(copy, ':')) == NULL) {
		return true;
	}
	*last = '\0';
	prev = strrchr(copy, ':');
	if (bad_number(last + 1) || (prev != NULL && bad_number(prev + 1) &&
	                             is_uom(last + 1, strlen(last + 1)))) {
		return false;
	}
	if (prev != NULL && is_number(prev + 1, strlen(prev + 1)) &&
	    is_uom(last + 1, strlen(last + 1))) {
		*prev = '\0';
		q->has_quantity = true;
		q->quantity = strtod(prev + 1, NULL);
		q->uom = last + 1;
	} else if (is_number(last + 1, strlen(last + 1))) {
		q->has_quantity = true;
		q->quantity = strtod(last + 1, NULL);
	} else {
		*last = ':'; /* a class ID without a quantity */
	}
	return q->epc_class[0] != '\0' &&
	       (!q->has_quantity || q->quantity >= 0);
}

/* A key without a namespace prefix goes into `ns`. */
static const char *
prefixed_key(cli_pool *p, const char *key, const char *ns)
{
	if (strchr(key, ':') != NULL || strchr(key, '#') != NULL) {
		return key;
	}
	return cli_pool_printf(p, ns, key);
}

static int
add_attr(stamp_args *a, const char *arg, bool json)
{
	char *key, *value;
	json_t *v;

	if (!cli_split_kv(&a->pool, arg, &key, &value)) {
		return cli_fail(CLI_USAGE, "stamp",
		                "attribute \"%s\" must be KEY=VALUE", arg);
	}
	if (json) {
		if ((v = json_loads(value, JSON_DECODE_ANY, NULL)) == NULL) {
			return cli_fail(CLI_USAGE, "stamp",
			                "--attr-json %s: the value is not JSON",
			                key);
		}
		json_decref(v);
	}
	a->attrs[a->n_attrs].key = prefixed_key(&a->pool, key, "waybill:");
	a->attrs[a->n_attrs].text = json ? NULL : value;
	a->attrs[a->n_attrs].json = json ? value : NULL;
	if (a->attrs[a->n_attrs].key == NULL) {
		return cli_fail(CLI_ERROR, "stamp", "out of memory");
	}
	a->n_attrs++;
	return CLI_OK;
}

static int
add_ilmd(stamp_args *a, const char *key, const char *value)
{
	if (a->ilmd == NULL && (a->ilmd = json_object()) == NULL) {
		return cli_fail(CLI_ERROR, "stamp", "out of memory");
	}
	key = prefixed_key(&a->pool, key, "cbvmda:");
	if (key == NULL ||
	    json_object_set_new(a->ilmd, key, json_string(value)) != 0) {
		return cli_fail(CLI_USAGE, "stamp",
		                "ILMD %s: the key and value must be UTF-8",
		                key);
	}
	return CLI_OK;
}

static void
tv_add(tvlist *l, const char *type, const char *value)
{
	l->v[l->n].type = type;
	l->v[l->n].value = value;
	l->n++;
}

/* A positional KEY=VALUE of annotate: the key has no '/' or '?', so a
 * URI with a query string is an ID. */
static bool
looks_like_kv(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq != NULL && eq != arg &&
	       strcspn(arg, "/?") > (size_t)(eq - arg);
}

static int
need_flags(const stamp_args *a, unsigned flags, const char *flag)
{
	if (a->k == NULL) {
		return cli_fail(
		        CLI_USAGE, "stamp",
		        "%s does not go with --file: the event file says everything",
		        flag);
	}
	if ((a->k->flags & flags) == 0) {
		return cli_fail(
		        CLI_USAGE, "stamp",
		        "%s does not apply to `waybill stamp %s` (see --help)",
		        flag, a->k->name);
	}
	return CLI_OK;
}

/* The option cli_opt just took, for messages: "--name=value" is still at
 * argv[i]; "--name value" moved i to the value. */
static const char *
just_parsed(char **argv, int i, char *out, size_t size)
{
	const char *eq = strchr(argv[i], '=');

	if (strncmp(argv[i], "--", 2) == 0 && eq != NULL) {
		snprintf(out, size, "%.*s", (int)(eq - argv[i]), argv[i]);
		return out;
	}
	return argv[i - 1];
}

/* One option of `waybill stamp`; *code is set when it was bad. */
static bool
stamp_opt(stamp_args *a, int argc, char **argv, int *i, int *code)
{
	const char *v;
	char *key, *value;
	bool json = false, in = false;
	char flag[64];

	*code = CLI_OK;
	if (cli_opt(argc, argv, i, "--event-id", &a->event_id) ||
	    cli_opt(argc, argv, i, "--time", &a->time) ||
	    cli_opt(argc, argv, i, "--tz", &a->tz)) {
		if (a->k == NULL) {
			*code = need_flags(
			        a, 0,
			        just_parsed(argv, *i, flag, sizeof(flag)));
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--receipt-out", &a->receipt_out)) {
		return true;
	}
	if (cli_opt(argc, argv, i, "--file", &a->file)) {
		if (a->k != NULL) {
			*code = cli_fail(
			        CLI_USAGE, "stamp",
			        "--file takes the place of KIND: use `waybill stamp --file EVENT.json`");
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--location", &a->location) ||
	    cli_opt(argc, argv, i, "--read-point", &a->read_point) ||
	    cli_opt(argc, argv, i, "--biz-step", &a->biz_step) ||
	    cli_opt(argc, argv, i, "--disposition", &a->disposition)) {
		*code = need_flags(a, F_WHERE,
		                   just_parsed(argv, *i, flag, sizeof(flag)));
		return true;
	}
	/* cli_opt matches whole names: --attr never takes --attr-json. */
	if (cli_opt(argc, argv, i, "--attr", &v) ||
	    (json = cli_opt(argc, argv, i, "--attr-json", &v))) {
		if ((*code = need_flags(a, ~0u, "--attr")) == CLI_OK) {
			*code = add_attr(a, v, json);
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--biz-tx", &v)) {
		if ((*code = need_flags(a, F_WHERE, "--biz-tx")) == CLI_OK) {
			if (looks_like_kv(v) &&
			    cli_split_kv(&a->pool, v, &key, &value)) {
				tv_add(&a->biz_tx, key, value);
			} else {
				tv_add(&a->biz_tx, NULL, v);
			}
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--quantity", &v)) {
		if ((*code = need_flags(a, F_QTY, "--quantity")) == CLI_OK &&
		    !cli_quantity_parse(&a->pool, v, &a->qty.v[a->qty.n++])) {
			*code = cli_fail(
			        CLI_USAGE, "stamp",
			        "--quantity %s: write CLASS[:QTY[:UOM]] with QTY a finite decimal number of 0 or more, e.g. urn:epc:class:lgtin:4012345.012345.L1:500:KGM",
			        v);
		}
		return true;
	}
	if ((in = cli_opt(argc, argv, i, "--input-qty", &v)) ||
	    cli_opt(argc, argv, i, "--output-qty", &v)) {
		qtylist *l = in ? &a->in_qty : &a->out_qty;

		if ((*code = need_flags(a, F_TRANSFORM, "--input-qty")) ==
		            CLI_OK &&
		    !cli_quantity_parse(&a->pool, v, &l->v[l->n++])) {
			*code = cli_fail(
			        CLI_USAGE, "stamp",
			        "%s: write CLASS:QTY[:UOM], e.g. urn:epc:class:lgtin:4012345.012345.L1:500:KGM",
			        v);
		}
		return true;
	}
	if ((in = cli_opt(argc, argv, i, "--input", &v)) ||
	    cli_opt(argc, argv, i, "--output", &v)) {
		strlist *l = in ? &a->inputs : &a->outputs;

		if ((*code = need_flags(a, F_TRANSFORM, "--input/--output")) ==
		    CLI_OK) {
			l->v[l->n++] = v;
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--transformation-id",
	            &a->transformation_id)) {
		*code = need_flags(a, F_TRANSFORM, "--transformation-id");
		return true;
	}
	if (cli_opt(argc, argv, i, "--lot", &a->lot)) {
		if ((*code = need_flags(a, F_LOT, "--lot")) == CLI_OK) {
			*code = add_ilmd(a, "cbvmda:lotNumber", a->lot);
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--ilmd", &v)) {
		if ((*code = need_flags(a, F_LOT, "--ilmd")) == CLI_OK) {
			*code = cli_split_kv(&a->pool, v, &key, &value)
			                ? add_ilmd(a, key, value)
			                : cli_fail(CLI_USAGE, "stamp",
			                           "--ilmd %s: write KEY=VALUE",
			                           v);
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--parent", &a->parent) ||
	    cli_opt(argc, argv, i, "--asset", &a->parent)) {
		*code = need_flags(a, F_PARENT,
		                   just_parsed(argv, *i, flag, sizeof(flag)));
		return true;
	}
	if (cli_opt(argc, argv, i, "--to", &v)) {
		if ((*code = need_flags(a, F_PARTY, "--to")) == CLI_OK) {
			tv_add(&a->destinations, "possessing_party", v);
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--owner", &v)) {
		if ((*code = need_flags(a, F_PARTY, "--owner")) == CLI_OK) {
			tv_add(&a->destinations, "owning_party", v);
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--destination", &v) ||
	    cli_opt(argc, argv, i, "--to-location", &v)) {
		if ((*code = need_flags(a, F_PARTY,
		                        just_parsed(argv, *i, flag,
		                                    sizeof(flag)))) == CLI_OK) {
			tv_add(&a->destinations, "location", v);
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--from-location", &v)) {
		if ((*code = need_flags(a, F_PARTY, "--from-location")) ==
		    CLI_OK) {
			tv_add(&a->sources, "location", v);
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--from", &v)) {
		if ((*code = need_flags(a, F_PARTY, "--from")) == CLI_OK) {
			tv_add(&a->sources, "possessing_party", v);
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--target", &v)) {
		if ((*code = need_flags(a, F_RECALL | F_LIFT, "--target")) ==
		    CLI_OK) {
			a->targets.v[a->targets.n++] = v;
		}
		return true;
	}
	if (cli_opt(argc, argv, i, "--reason", &a->reason)) {
		*code = need_flags(a, F_RECALL | F_LIFT, "--reason");
		return true;
	}
	if (cli_opt(argc, argv, i, "--class", &a->klass) ||
	    cli_opt(argc, argv, i, "--reference", &a->reference)) {
		*code = need_flags(a, F_RECALL,
		                   just_parsed(argv, *i, flag, sizeof(flag)));
		return true;
	}
	if (strcmp(argv[*i], "--destroyed") == 0) {
		a->destroyed = true;
		*code = need_flags(a, F_DESTROY, "--destroyed");
		return true;
	}
	return false;
}

static int
positional(stamp_args *a, const char *arg)
{
	unsigned long long idx;

	if (a->k == NULL) {
		return cli_fail(
		        CLI_USAGE, "stamp",
		        "unexpected argument %s: with --file, the event file says everything",
		        arg);
	}
	if ((a->k->flags & F_KV) && looks_like_kv(arg)) {
		return add_attr(a, arg, false);
	}
	if (a->k->flags & F_IDS) {
		a->ids.v[a->ids.n++] = arg;
		return CLI_OK;
	}
	if (a->k->flags & F_RECALL) {
		a->targets.v[a->targets.n++] = arg;
		return CLI_OK;
	}
	if ((a->k->flags & F_LIFT) && a->recall_index == 0) {
		if (!cli_parse_u64(arg, 1, UINT64_MAX, &idx)) {
			return cli_fail(
			        CLI_USAGE, "stamp",
			        "lift: %s is not a journal index: name the index the recall was recorded at (see `waybill recall since`)",
			        arg);
		}
		a->recall_index = idx;
		return CLI_OK;
	}
	return cli_fail(
	        CLI_USAGE, "stamp",
	        "unexpected argument %s for `waybill stamp %s` (see --help)",
	        arg, a->k->name);
}

/* What each kind needs before anything is signed. */
static int
check_kind_args(const stamp_args *a)
{
	const stamp_kind *k = a->k;
	const char *cmd = "stamp";
	size_t twins = a->ids.n + a->qty.n;

	if ((k->flags & F_PARENT) && a->parent == NULL) {
		return cli_fail(CLI_USAGE, cmd, "%s needs --parent ID (the %s)",
		                k->name,
		                k->kind == WB_KIND_ASSOCIATION ? "asset"
		                                               : "container");
	}
	switch (k->kind) {
	case WB_KIND_TRANSFORMATION:
		if (a->inputs.n + a->in_qty.n + a->outputs.n + a->out_qty.n ==
		    0) {
			return cli_fail(
			        CLI_USAGE, cmd,
			        "transform needs --input/--input-qty and --output/--output-qty");
		}
		return CLI_OK;
	case WB_KIND_RECALL:
		if (a->targets.n == 0 || a->reason == NULL) {
			return cli_fail(
			        CLI_USAGE, cmd,
			        "recall needs what it recalls (IDs or lots) and --reason TEXT");
		}
		return CLI_OK;
	case WB_KIND_LIFT:
		if (a->recall_index == 0 || a->reason == NULL) {
			return cli_fail(
			        CLI_USAGE, cmd,
			        "lift needs the recall's journal index and --reason TEXT: waybill stamp lift RECALL_INDEX --reason TEXT");
		}
		return CLI_OK;
	default:
		break;
	}
	if (twins == 0 && !(k->kind == WB_KIND_AGGREGATION &&
	                    k->action == WB_ACTION_DELETE)) {
		return cli_fail(
		        CLI_USAGE, cmd,
		        "%s needs at least one ID: waybill stamp %s ID...",
		        k->name, k->name);
	}
	if ((k->flags & F_KV) && a->n_attrs == 0) {
		return cli_fail(
		        CLI_USAGE, cmd,
		        "annotate needs at least one KEY=VALUE, e.g. price=2.49EUR");
	}
	if (strcmp(k->name, "observe") == 0 && a->biz_step == NULL) {
		return cli_fail(
		        CLI_USAGE, cmd,
		        "observe needs --biz-step STEP (e.g. inspecting)");
	}
	return CLI_OK;
}

static int
parse_class(const char *text, wb_recall_class *out)
{
	if (strcmp(text, "I") == 0 || strcmp(text, "1") == 0) {
		*out = WB_RECALL_CLASS_I;
	} else if (strcmp(text, "II") == 0 || strcmp(text, "2") == 0) {
		*out = WB_RECALL_CLASS_II;
	} else if (strcmp(text, "III") == 0 || strcmp(text, "3") == 0) {
		*out = WB_RECALL_CLASS_III;
	} else {
		return cli_fail(CLI_USAGE, "stamp",
		                "--class %s: a recall class is I, II or III",
		                text);
	}
	return CLI_OK;
}

/* The event's time, zone and ID from --time, --tz, --event-id. */
static int
cli_stamp_when(wb_stamp *st, cli_pool *pool, const char *cmd,
               const char *event_id, const char *time_text, const char *tz)
{
	char zone[8] = "+00:00", id[64];

	if (time_text != NULL) {
		if (!cli_time_parse(time_text, &st->event_time, zone)) {
			return cli_fail(
			        CLI_USAGE, cmd,
			        "--time %s is not an RFC 3339 date-time with an offset, e.g. 2026-03-01T08:30:00Z or 2026-03-01T09:30:00.250+01:00",
			        time_text);
		}
	} else {
		time_now(&st->event_time);
	}
	if (tz != NULL) {
		if (strcmp(tz, "Z") == 0) {
			tz = "+00:00";
		} else if (!cli_tz_valid(tz)) {
			return cli_fail(
			        CLI_USAGE, cmd,
			        "--tz %s: write the offset as +HH:MM or -HH:MM, from -14:00 to +14:00",
			        tz);
		}
		snprintf(zone, sizeof(zone), "%s", tz);
	}
	st->event_tz_offset = cli_pool_add(pool, strdup(zone));
	if (event_id == NULL) {
		cli_event_id_new(id);
		event_id = cli_pool_add(pool, strdup(id));
	}
	st->event_id = event_id;
	if (st->event_tz_offset == NULL || st->event_id == NULL) {
		return cli_fail(CLI_ERROR, cmd, "out of memory");
	}
	return CLI_OK;
}

static int
build_stamp(wb_stamp *st, stamp_args *a, wb_recall *recall, wb_lift *lift,
            wb_location *loc, wb_location *rp)
{
	const stamp_kind *k = a->k;
	int code;

	memset(st, 0, sizeof(*st));
	st->kind = k->kind;
	if (k->action != WB_ACTION_UNSPECIFIED) {
		st->has_action = true;
		st->action = k->action;
	}
	st->biz_step = k->biz_step;
	st->disposition = k->disposition;
	if (a->destroyed) {
		st->biz_step = "destroying";
		st->disposition = "destroyed";
	}
	st->biz_step = a->biz_step != NULL ? a->biz_step : st->biz_step;
	st->disposition =
	        a->disposition != NULL ? a->disposition : st->disposition;
	if ((code = cli_stamp_when(st, &a->pool, "stamp", a->event_id, a->time,
	                           a->tz)) != CLI_OK) {
		return code;
	}
	st->epcs = a->ids.v;
	st->n_epcs = a->ids.n;
	st->quantities = a->qty.v;
	st->n_quantities = a->qty.n;
	st->parent_id = a->parent;
	st->input_epcs = a->inputs.v;
	st->n_input_epcs = a->inputs.n;
	st->input_quantities = a->in_qty.v;
	st->n_input_quantities = a->in_qty.n;
	st->output_epcs = a->outputs.v;
	st->n_output_epcs = a->outputs.n;
	st->output_quantities = a->out_qty.v;
	st->n_output_quantities = a->out_qty.n;
	st->transformation_id = a->transformation_id;
	if (a->location != NULL) {
		loc->id = a->location;
		st->biz_location = loc;
	}
	if (a->read_point != NULL) {
		rp->id = a->read_point;
		st->read_point = rp;
	}
	st->biz_transactions = a->biz_tx.v;
	st->n_biz_transactions = a->biz_tx.n;
	st->sources = a->sources.v;
	st->n_sources = a->sources.n;
	st->destinations = a->destinations.v;
	st->n_destinations = a->destinations.n;
	st->attributes = a->attrs;
	st->n_attributes = a->n_attrs;
	if (a->ilmd != NULL &&
	    (st->ilmd_json = cli_pool_add(
	             &a->pool,
	             json_dumps(a->ilmd,
	                        JSON_COMPACT | JSON_PRESERVE_ORDER))) == NULL) {
		return cli_fail(CLI_ERROR, "stamp", "out of memory");
	}
	if (k->kind == WB_KIND_RECALL) {
		recall->targets = a->targets.v;
		recall->n_targets = a->targets.n;
		recall->reason = a->reason;
		recall->reference = a->reference;
		if (a->klass != NULL) {
			if ((code = parse_class(a->klass, &recall->severity)) !=
			    CLI_OK) {
				return code;
			}
			recall->has_severity = true;
		}
		st->recall = recall;
	}
	if (k->kind == WB_KIND_LIFT) {
		lift->recall_index = a->recall_index;
		lift->targets = a->targets.v;
		lift->n_targets = a->targets.n;
		lift->reason = a->reason;
		st->lift = lift;
	}
	return CLI_OK;
}

/*
 * Signing, submitting and reporting: shared by stamp and master.
 */

static int
cli_stamp_send(const char *cmd, const cli_net_opts *net, wb_stamp *st,
               const wb_signer *key, const char *receipt_out)
{
	wb_rpc_client *c = NULL;
	wb_rpc_result *res = NULL;
	wb_submission sub = { 0 };
	wb_rpc_info info;
	receipt_file rf;
	uint64_t size = 0;
	char what[400];
	int code;

	memset(&info, 0, sizeof(info));
	if ((code = receipt_open(&rf, cmd, receipt_out)) != CLI_OK) {
		return code;
	}
	if ((code = cli_connect(&c, NULL, cmd, net, false)) != CLI_OK) {
		goto out;
	}
	if ((code = cli_info_get(&info, cmd, c)) != CLI_OK) {
		goto out;
	}
	memcpy(st->ledger_id, info.ledger_id, WB_HASH_LEN);
	if ((code = cli_stamp_sign(&sub, cmd, st, key)) != CLI_OK) {
		goto out;
	}
	snprintf(what, sizeof(what), "%s %s", wb_kind_name(st->kind),
	         st->event_id);
	if ((code = cli_submit_one(&res, &size, cmd, c, &sub, what)) !=
	    CLI_OK) {
		goto out;
	}
	if ((code = receipt_finish(&rf, cmd, res[0].index, res[0].receipt,
	                           res[0].receipt_len)) != CLI_OK) {
		goto out;
	}
	if (net->json) {
		json_t *o = json_object();

		json_object_set_new(o, "index",
		                    json_integer((json_int_t)res[0].index));
		json_object_set_new(o, "event_id", json_string(st->event_id));
		json_object_set_new(o, "kind",
		                    json_string(wb_kind_name(st->kind)));
		json_object_set_new(o, "duplicate",
		                    json_boolean(res[0].duplicate));
		json_object_set_new(o, "custody_gap",
		                    json_boolean(res[0].custody_gap));
		json_object_set_new(o, "tree_size",
		                    json_integer((json_int_t)size));
		json_object_set_new(o, "receipt",
		                    receipt_out != NULL
		                            ? json_string(receipt_out)
		                            : json_null());
		code = cli_json_print(o);
	} else {
		printf("index        %llu\n", (unsigned long long)res[0].index);
		printf("event ID     %s\n", st->event_id);
		printf("kind         %s\n", wb_kind_name(st->kind));
		printf("duplicate    %s\n",
		       res[0].duplicate
		               ? "yes (this signed stamp was recorded before)"
		               : "no");
		printf("custody gap  %s\n",
		       res[0].custody_gap
		               ? "yes (a custodian's act by someone else: flagged)"
		               : "no");
		if (receipt_out != NULL) {
			printf("receipt      %s\n", receipt_out);
		}
	}
out:
	receipt_abandon(&rf); /* when nothing was recorded */
	wb_rpc_results_free(res, res != NULL ? 1 : 0);
	free((void *)(uintptr_t)sub.body);
	free(info.checkpoint);
	wb_rpc_client_close(c);
	return code;
}

/* One event from an EPCIS 2.0 JSON file (see --help). The ledger ID is
 * filled in once the server has said it. */
static int
stamp_from_file(wb_stamp **out, const char *path)
{
	static const uint8_t no_ledger[WB_HASH_LEN];
	cli_events evs;
	wb_problem p = { 0 };
	int code;
	wb_err rc;

	*out = NULL;
	if ((code = cli_events_load(&evs, "stamp", path)) != CLI_OK) {
		return code;
	}
	if (evs.n != 1) {
		code = cli_fail(
		        CLI_USAGE, "stamp",
		        "%s holds %zu events: `waybill stamp --file` records one; use `waybill submit %s` for several",
		        path, evs.n, path);
		goto out;
	}
	rc = wb_epcis_event_from_json(out, evs.events[0], evs.context,
	                              no_ledger, &p);
	if (rc == WB_EPROTO || rc == WB_EREJECTED) {
		code = cli_fail(CLI_USAGE, "stamp", "%s: %s", path,
		                p.msg[0] != '\0' ? p.msg
		                                 : "not an EPCIS event");
	} else if (rc != WB_OK) {
		code = cli_fail(CLI_ERROR, "stamp", "%s: %s", path,
		                wb_strerror(rc));
	}
out:
	cli_events_fini(&evs);
	return code;
}

static const stamp_kind *
kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].name, name) == 0) {
			return &kinds[i];
		}
	}
	return NULL;
}

int
cmd_stamp(int argc, char **argv)
{
	stamp_args a;
	wb_stamp st, *fst = NULL;
	wb_recall recall = { 0 };
	wb_lift lift = { 0 };
	wb_location loc = { 0 }, rp = { 0 };
	wb_signer *key = NULL;
	int first = 1, code = CLI_OK;

	memset(&a, 0, sizeof(a));
	cli_net_init(&a.net);
	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(stamp_help, stdout);
		fputs(stamp_help_options, stdout);
		fputs(cli_net_help, stdout);
		return CLI_OK;
	}
	if (argc >= 2 && argv[1][0] != '-') {
		if ((a.k = kind_find(argv[1])) == NULL) {
			return cli_fail(
			        CLI_USAGE, "stamp",
			        "unknown kind %s: commission, ship, receive, pack, unpack, transform, install, remove, sell, dispose, annotate, observe, recall or lift (see --help)",
			        argv[1]);
		}
		first = 2;
	}
	if (!args_alloc(&a, argc)) {
		args_free(&a);
		return cli_fail(CLI_ERROR, "stamp", "out of memory");
	}
	for (int i = first; i < argc && code == CLI_OK; i++) {
		if (cli_is_help(argv[i])) {
			fputs(stamp_help, stdout);
			fputs(stamp_help_options, stdout);
			fputs(cli_net_help, stdout);
			goto out;
		}
		if (cli_net_opt(argc, argv, &i, &a.net) ||
		    stamp_opt(&a, argc, argv, &i, &code)) {
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			code = cli_fail(CLI_USAGE, "stamp",
			                "unknown option %s (see --help)",
			                argv[i]);
			break;
		}
		code = positional(&a, argv[i]);
	}
	if (code != CLI_OK) {
		goto out;
	}
	if (a.k == NULL && a.file == NULL) {
		code = cli_fail(
		        CLI_USAGE, "stamp",
		        "say what happened: waybill stamp KIND ... or waybill stamp --file EVENT.json (see --help)");
		goto out;
	}
	if (a.k != NULL) {
		if ((code = check_kind_args(&a)) != CLI_OK ||
		    (code = build_stamp(&st, &a, &recall, &lift, &loc, &rp)) !=
		            CLI_OK) {
			goto out;
		}
	} else {
		if ((code = stamp_from_file(&fst, a.file)) != CLI_OK) {
			goto out;
		}
	}
	/* The key before the network: a bad key file is the user's to fix
	 * whether or not the server is up. */
	if ((code = cli_load_key(&key, "stamp", a.net.key_path)) != CLI_OK) {
		goto out;
	}
	code = cli_stamp_send("stamp", &a.net, fst != NULL ? fst : &st, key,
	                      a.receipt_out);
out:
	wb_signer_free(key);
	wb_stamp_free(fst);
	args_free(&a);
	return code;
}

/*
 * waybill master.
 */

/* CBV master-data attribute URIs (CBV 1.2 section 8.2). Passports and
 * exports take a name from any attribute whose key ends in "name". */
#define MDA "urn:epcglobal:cbv:mda#"

static const char master_help[] =
        "usage: waybill master --type location|product ID --name NAME\n"
        "                      [--address TEXT] [--city TEXT] [--state TEXT]\n"
        "                      [--postal-code TEXT] [--country CC]\n"
        "                      [--attr KEY=VALUE]... --key FILE\n"
        "\n"
        "Describes a location (an SGLN, e.g. urn:epc:id:sgln:4012345.00001.0)\n"
        "or a product class (e.g. urn:epc:idpat:sgtin:4012345.012345.*, or a\n"
        "GTIN's Digital Link) with a signed master-data stamp (an EPCIS\n"
        "vocabulary element). Passports show a location under its name, and\n"
        "FSMA 204 exports take product and location descriptions from here.\n"
        "Only the owner of the ID's namespace may describe it; the latest\n"
        "description counts.\n"
        "\n"
        "  --type location     vocabulary urn:epcglobal:epcis:vtype:BusinessLocation\n"
        "  --type product      vocabulary urn:epcglobal:epcis:vtype:EPCClass\n"
        "  --name NAME         attribute " MDA "name\n"
        "  --address TEXT      attribute " MDA "streetAddressOne\n"
        "  --city TEXT         attribute " MDA "city\n"
        "  --state TEXT        attribute " MDA "state\n"
        "  --postal-code TEXT  attribute " MDA "postalCode\n"
        "  --country CC        attribute " MDA "countryCode (ISO 3166-1)\n"
        "  --attr KEY=VALUE    any other attribute; a KEY without a prefix is\n"
        "                      " MDA "KEY\n"
        "  --event-id ID, --time RFC3339, --tz +HH:MM, --receipt-out FILE\n"
        "                      as for `waybill stamp`\n"
        "\n"
        "Prints the entry's index (and whether it was already recorded).\n"
        "\n";

static int
master_attr(wb_attribute *v, size_t *n, cli_pool *pool, const char *key,
            const char *value)
{
	v[*n].key = prefixed_key(pool, key, MDA);
	v[*n].text = value;
	if (v[*n].key == NULL) {
		return cli_fail(CLI_ERROR, "master", "out of memory");
	}
	(*n)++;
	return CLI_OK;
}

int
cmd_master(int argc, char **argv)
{
	static const struct {
		const char *flag, *key;
	} fields[] = {
		{ "--name", MDA "name" },
		{ "--address", MDA "streetAddressOne" },
		{ "--city", MDA "city" },
		{ "--state", MDA "state" },
		{ "--postal-code", MDA "postalCode" },
		{ "--country", MDA "countryCode" },
	};
	cli_net_opts net;
	cli_pool pool = { 0 };
	const char *type = NULL, *id = NULL, *event_id = NULL, *when = NULL,
	           *tz = NULL, *receipt_out = NULL, *v;
	wb_attribute *attrs = calloc((size_t)argc + 1, sizeof(*attrs));
	wb_master_data md = { 0 };
	wb_stamp st = { 0 };
	wb_signer *key = NULL;
	bool named = false;
	char *k, *val;
	size_t n = 0;
	int code = CLI_OK;

	cli_net_init(&net);
	if (attrs == NULL) {
		return cli_fail(CLI_ERROR, "master", "out of memory");
	}
	for (int i = 1; i < argc && code == CLI_OK; i++) {
		bool field = false;

		if (cli_is_help(argv[i])) {
			fputs(master_help, stdout);
			fputs(cli_net_help, stdout);
			goto out;
		}
		if (cli_net_opt(argc, argv, &i, &net) ||
		    cli_opt(argc, argv, &i, "--type", &type) ||
		    cli_opt(argc, argv, &i, "--event-id", &event_id) ||
		    cli_opt(argc, argv, &i, "--time", &when) ||
		    cli_opt(argc, argv, &i, "--tz", &tz) ||
		    cli_opt(argc, argv, &i, "--receipt-out", &receipt_out)) {
			continue;
		}
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]);
		     f++) {
			if (cli_opt(argc, argv, &i, fields[f].flag, &v)) {
				code = master_attr(attrs, &n, &pool,
				                   fields[f].key, v);
				named |= f == 0;
				field = true;
				break;
			}
		}
		if (field) {
			continue;
		}
		if (cli_opt(argc, argv, &i, "--attr", &v)) {
			code = cli_split_kv(&pool, v, &k, &val)
			               ? master_attr(attrs, &n, &pool, k, val)
			               : cli_fail(CLI_USAGE, "master",
			                          "--attr %s: write KEY=VALUE",
			                          v);
			continue;
		}
		if (argv[i][0] == '-' || id != NULL) {
			code = cli_fail(CLI_USAGE, "master",
			                "unexpected argument %s (see --help)",
			                argv[i]);
			break;
		}
		id = argv[i];
	}
	if (code != CLI_OK) {
		goto out;
	}
	if (type == NULL || id == NULL || !named) {
		code = cli_fail(
		        CLI_USAGE, "master",
		        "say what to describe: waybill master --type location|product ID --name NAME");
		goto out;
	}
	if (strcmp(type, "location") == 0) {
		md.vocabulary_type =
		        "urn:epcglobal:epcis:vtype:BusinessLocation";
	} else if (strcmp(type, "product") == 0) {
		md.vocabulary_type = "urn:epcglobal:epcis:vtype:EPCClass";
	} else {
		code = cli_fail(CLI_USAGE, "master",
		                "--type %s: describe a location or a product",
		                type);
		goto out;
	}
	md.element_id = id;
	md.attributes = attrs;
	md.n_attributes = n;
	st.kind = WB_KIND_MASTER_DATA;
	st.master_data = &md;
	if ((code = cli_stamp_when(&st, &pool, "master", event_id, when, tz)) !=
	            CLI_OK ||
	    (code = cli_load_key(&key, "master", net.key_path)) != CLI_OK) {
		goto out;
	}
	code = cli_stamp_send("master", &net, &st, key, receipt_out);
out:
	wb_signer_free(key);
	free(attrs);
	cli_pool_free(&pool);
	return code;
}
