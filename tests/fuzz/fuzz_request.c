/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: one request message through the service's own path
 * (rpc/local.h: envelope, version, authentication, ops_dispatch, the
 * writer's commit, the encoded reply) against a scratch ledger, with no
 * socket. The reply must decode as a waybill.v1.Response; nothing may
 * crash, leak or hang.
 *
 * The scratch ledger (a temporary directory under $TMPDIR or /tmp, removed
 * at exit) holds a small bakery chain: four registered stakeholders, a
 * flour lot baked into bread, loaves packed in a case, shipped and
 * received, a probe installed in an oven, master data for the store and a
 * recall of the flour. Connections 10 + key are authenticated with
 * Challenge and Authenticate for the admin and each stakeholder.
 *
 * A fuzzer cannot forge signatures, so the first byte of the input says
 * how the rest becomes a request (key = (byte >> 2) % N_KEYS):
 *   mode 0  the rest is a raw Request, on an anonymous connection;
 *   mode 1  the rest is a raw Request, on the connection `key`
 *           authenticated (none for the log key and the stranger);
 *   mode 2  byte 1 % 32 is the operation, the rest its body: a Request
 *           signed per request by `key` (fresh timestamp and nonce);
 *   mode 3  byte 1 says what to sign: bits 0-2 < 4 Submit (bit 3 atomic,
 *           bit 4 the item twice), 4 Register, 5 ChangeRoles, 6 Rotate,
 *           7 Revoke; the rest is the item's body (a Stamp or a
 *           RegistryChange), signed by `key` in the matching context.
 *
 * Submissions may append; to keep every run as fast as its first, the
 * world is rebuilt once the ledger has grown by GROW_MAX entries or after
 * RESET_EVERY inputs (which also empties the server's nonce cache and
 * connection records). Building it takes well under a second. A small
 * map filled once would instead leave every later submission only the
 * ledger-full path, and the append rules unreached.
 *
 * Built with -DFUZZ_REQUEST_SEEDS, the file is instead a program that
 * writes the seed corpus (tests/fuzz/corpus/request) into the directory
 * given: `fuzz_request_seeds tests/fuzz/corpus/request`. The ledger ID is
 * fixed (fixed keys and genesis time), so the stamp seeds stay valid.
 * With WAYBILL_FUZZ_VERBOSE set, each reply's status and message go to
 * stderr.
 */
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "local.h"
#include "rpc.pb-c.h"
#include "wire.h"

#define ORIGIN      "fuzz.example/ledger"
#define T0          1767225600 /* 2026-01-01T00:00:00Z */
#define GROW_MAX    64
#define RESET_EVERY 20000
#define CONN_ANON   1
#define CONN_AUTH   10

#define FLOUR  "urn:epc:class:lgtin:4000002.000002.F1"
#define BREAD  "urn:epc:class:lgtin:4000003.000003.B1"
#define LOAF_1 "urn:epc:id:sgtin:4000003.000003.1"
#define LOAF_2 "urn:epc:id:sgtin:4000003.000003.2"
#define CASE1  "urn:epc:id:sscc:4000003.0000000001"
#define STORE1 "urn:epc:id:sgln:4000005.00001.0"
#define OVEN   "urn:epc:id:giai:4000003.OVEN-7"
#define PROBE  "urn:epc:id:sgtin:4000003.000009.55"

enum {
	K_ADMIN,
	K_MILL,
	K_BAKERY,
	K_SHOP,
	K_REGULATOR,
	K_LOG,
	K_STRANGER,
	N_KEYS,
};

static const struct {
	const char *name;
	uint8_t seed;
	wb_role role;
	const char *prefix;
} people[N_KEYS] = {
	[K_ADMIN] = { "admin", 2, 0, NULL },
	[K_MILL] = { "Mill", 21, WB_ROLE_BRAND_OWNER, "4000002" },
	[K_BAKERY] = { "Bakery", 22, WB_ROLE_BRAND_OWNER, "4000003" },
	[K_SHOP] = { "Supermarket", 24, WB_ROLE_RETAILER, "4000005" },
	[K_REGULATOR] = { "Regulator", 25, WB_ROLE_REGULATOR, NULL },
	[K_LOG] = { ORIGIN, 1, 0, NULL },
	[K_STRANGER] = { "Stranger", 26, 0, NULL },
};

static struct {
	char *dir;
	wb_signer *keys[N_KEYS];
	wb_journal *j;
	wb_rpc_server *srv;
	uint64_t base_size;
	uint64_t recall;
	unsigned long inputs;
} w;

/* Request IDs and nonces: never repeated, across rebuilds too. */
static uint64_t counter;
/* WAYBILL_FUZZ_VERBOSE set: each reply's status and message on stderr
 * (to check what a seed reaches). */
static bool verbose;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_request: %s\n", what);
	abort();
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const wb_pubkey *
pub(int k)
{
	return wb_signer_pubkey(w.keys[k]);
}

/*
 * The scratch world.
 */

static uint64_t
append(wb_entry_type type, int k, const uint8_t *body, size_t len)
{
	wb_submission sub = { .type = type, .body = body, .body_len = len };
	wb_result res;

	sub.signer = *pub(k);
	if (wb_sig_sign(sub.signature, w.keys[k],
	                type == WB_ENTRY_STAMP ? WB_SIG_STAMP : WB_SIG_REGISTRY,
	                body, len) != WB_OK ||
	    wb_journal_append(w.j, &sub, 1, &res, NULL, NULL) != WB_OK ||
	    res.err != WB_OK) {
		fprintf(stderr, "fuzz_request: %s\n", res.problem.msg);
		die("cannot build the scratch ledger");
	}
	return res.index;
}

static void
register_one(int k)
{
	wb_registry_change c = { .op = WB_REG_REGISTER };
	wb_namespace ns = { WB_NS_GS1_COMPANY_PREFIX, people[k].prefix };
	wb_role role = people[k].role;
	uint8_t *body = NULL;
	size_t len;

	memcpy(c.ledger_id, wb_journal_ledger_id(w.j), WB_HASH_LEN);
	c.change_id = people[k].name;
	c.key = *pub(k);
	c.name = people[k].name;
	c.roles = &role;
	c.n_roles = 1;
	c.namespaces = &ns;
	c.n_namespaces = people[k].prefix != NULL;
	if (wb_registry_change_encode(&body, &len, &c) != WB_OK) {
		die("cannot encode a registration");
	}
	append(WB_ENTRY_REGISTRY, K_ADMIN, body, len);
	free(body);
}

static uint64_t
stamp(int k, wb_stamp *st, int64_t minute)
{
	uint8_t *body = NULL;
	size_t len;
	uint64_t index;

	memcpy(st->ledger_id, wb_journal_ledger_id(w.j), WB_HASH_LEN);
	st->event_time.seconds = T0 + 60 * minute;
	st->event_tz_offset = "+00:00";
	if (wb_stamp_encode(&body, &len, st) != WB_OK) {
		die("cannot encode a stamp");
	}
	index = append(WB_ENTRY_STAMP, k, body, len);
	free(body);
	return index;
}

static void
object(int k, const char *ev, const char *id, wb_action action,
       const char *step, const char *location, int64_t minute)
{
	const char *ids[1] = { id };
	wb_location loc = { location, NULL };
	wb_stamp st = { .event_id = ev, .kind = WB_KIND_OBJECT };

	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = step;
	st.biz_location = location != NULL ? &loc : NULL;
	stamp(k, &st, minute);
}

/* The bakery chain of the file's comment. */
static void
stamp_chain(void)
{
	wb_quantity flour = { FLOUR, true, 1000, "KGM" },
	            used = { FLOUR, true, 500, "KGM" },
	            bread = { BREAD, true, 400, "KGM" };
	const char *loaves[2] = { LOAF_1, LOAF_2 }, *probe[1] = { PROBE },
	           *targets[1] = { FLOUR };
	wb_attribute name = { "urn:epcglobal:cbv:mda#name", "Store 1", NULL };
	wb_master_data md = { "urn:epcglobal:epcis:vtype:BusinessLocation",
		              STORE1,
		              &name,
		              1,
		              NULL,
		              0 };
	wb_recall recall = { targets,
		             1,
		             "Salmonella in flour lot F1",
		             true,
		             WB_RECALL_CLASS_I,
		             "FDA-2026-0042" };
	wb_stamp st = { .event_id = "flour", .kind = WB_KIND_OBJECT };

	st.quantities = &flour;
	st.n_quantities = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	stamp(K_MILL, &st, 1);

	st = (wb_stamp){ .event_id = "baking", .kind = WB_KIND_TRANSFORMATION };
	st.input_quantities = &used;
	st.n_input_quantities = 1;
	st.output_quantities = &bread;
	st.n_output_quantities = 1;
	stamp(K_BAKERY, &st, 2);

	for (int i = 0; i < 2; i++) {
		st = (wb_stamp){ .event_id = loaves[i],
			         .kind = WB_KIND_OBJECT };
		st.epcs = &loaves[i];
		st.n_epcs = 1;
		st.has_action = true;
		st.action = WB_ACTION_ADD;
		st.biz_step = "commissioning";
		st.ilmd_json = "{\"cbvmda:lotNumber\":\"B1\"}";
		stamp(K_BAKERY, &st, 3 + i);
	}
	st = (wb_stamp){ .event_id = "pack", .kind = WB_KIND_AGGREGATION };
	st.parent_id = CASE1;
	st.epcs = loaves;
	st.n_epcs = 2;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "packing";
	stamp(K_BAKERY, &st, 5);
	object(K_BAKERY, "ship", CASE1, WB_ACTION_OBSERVE, "shipping", NULL, 6);
	object(K_SHOP, "receive", CASE1, WB_ACTION_OBSERVE, "receiving", STORE1,
	       7);
	object(K_BAKERY, "oven", OVEN, WB_ACTION_ADD, "commissioning", NULL, 8);
	object(K_BAKERY, "probe", PROBE, WB_ACTION_ADD, "commissioning", NULL,
	       9);
	st = (wb_stamp){ .event_id = "install", .kind = WB_KIND_ASSOCIATION };
	st.parent_id = OVEN;
	st.epcs = probe;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "installing";
	stamp(K_BAKERY, &st, 10);

	st = (wb_stamp){ .event_id = "store-1", .kind = WB_KIND_MASTER_DATA };
	st.master_data = &md;
	stamp(K_SHOP, &st, 11);

	st = (wb_stamp){ .event_id = "recall-f1", .kind = WB_KIND_RECALL };
	st.recall = &recall;
	w.recall = stamp(K_MILL, &st, 12);
}

/* Sends one message; the reply must decode. Returns it decoded (free
 * with wb_wire_response_fini) when resp is not NULL. */
static void
call(uint32_t conn, const uint8_t *msg, size_t len, wb_wire_response *resp)
{
	uint8_t *reply = NULL;
	size_t reply_len = 0;
	wb_wire_response r;

	if (wb_rpc_local_call(&reply, &reply_len, w.srv, conn, msg, len) !=
	    WB_OK) {
		die("no reply");
	}
	if (wb_wire_response_decode(&r, reply, reply_len) != WB_OK) {
		die("the reply is not a waybill.v1.Response");
	}
	free(reply); /* the decoded reply holds copies */
	if (verbose) {
		fprintf(stderr, "conn %u: status %d reason %d %s\n", conn,
		        (int)r.status, (int)r.reason,
		        r.message != NULL ? r.message : "");
	}
	if (resp != NULL) {
		*resp = r;
	} else {
		wb_wire_response_fini(&r);
	}
}

static void
call_request(uint32_t conn, const wb_wire_request *req, wb_wire_response *resp)
{
	uint8_t *msg = NULL;
	size_t len;

	if (wb_wire_request_encode(&msg, &len, req) != WB_OK) {
		die("cannot encode a request");
	}
	call(conn, msg, len, resp);
	free(msg);
}

/* Challenge, then Authenticate with key k, on connection CONN_AUTH + k. */
static void
authenticate(int k)
{
	Waybill__V1__ChallengeResponse *ch;
	Waybill__V1__AuthenticateRequest a =
	        WAYBILL__V1__AUTHENTICATE_REQUEST__INIT;
	wb_wire_request req = { .version_major = WB_RPC_VERSION_MAJOR,
		                .op = WB_OP_CHALLENGE };
	wb_wire_response resp;
	uint8_t msg[WB_CHALLENGE_MSG_LEN], sig[WB_SIG_LEN], body[256];

	call_request(CONN_AUTH + (uint32_t)k, &req, &resp);
	ch = waybill__v1__challenge_response__unpack(NULL, resp.body_len,
	                                             resp.body);
	wb_wire_response_fini(&resp);
	if (ch == NULL || ch->challenge.len != WB_CHALLENGE_LEN) {
		die("no challenge");
	}
	wb_wire_challenge_msg(msg, wb_journal_ledger_id(w.j),
	                      ch->challenge.data);
	if (wb_sig_sign(sig, w.keys[k], WB_SIG_AUTH, msg, sizeof(msg)) !=
	    WB_OK) {
		die("cannot sign a challenge");
	}
	a.key.data = (uint8_t *)(uintptr_t)pub(k)->b;
	a.key.len = WB_PUBKEY_LEN;
	a.challenge = ch->challenge;
	a.signature.data = sig;
	a.signature.len = WB_SIG_LEN;
	req.op = WB_OP_AUTHENTICATE;
	req.body = body;
	req.body_len = waybill__v1__authenticate_request__pack(&a, body);
	call_request(CONN_AUTH + (uint32_t)k, &req, &resp);
	waybill__v1__challenge_response__free_unpacked(ch, NULL);
	if (resp.status != WB_OK) {
		die("cannot authenticate a connection");
	}
	wb_wire_response_fini(&resp);
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static void
world_close(void)
{
	wb_rpc_local_free(w.srv);
	wb_journal_close(w.j);
	if (w.dir != NULL) {
		nftw(w.dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
		free(w.dir);
	}
	for (int k = 0; k < N_KEYS; k++) {
		wb_signer_free(w.keys[k]);
	}
	memset(&w, 0, sizeof(w));
}

static void
world_open(void)
{
	const char *tmp = getenv("TMPDIR");
	wb_journal_create_opts co = { .origin = ORIGIN };
	wb_journal_open_opts oo = { .no_sync = true };
	wb_rpc_server_opts so = { .public_recall_status = true };

	fuzz_init();
	verbose = getenv("WAYBILL_FUZZ_VERBOSE") != NULL;
	if (tmp == NULL || *tmp == '\0') {
		tmp = "/tmp";
	}
	if ((w.dir = malloc(strlen(tmp) + 32)) == NULL) {
		die("out of memory");
	}
	sprintf(w.dir, "%s/waybill-fuzz-XXXXXX", tmp);
	if (mkdtemp(w.dir) == NULL) {
		die("cannot make a temporary directory");
	}
	for (int k = 0; k < N_KEYS; k++) {
		uint8_t seed[WB_SEED_LEN];

		memset(seed, people[k].seed, sizeof(seed));
		if (wb_signer_from_seed(&w.keys[k], people[k].name, seed) !=
		    WB_OK) {
			die("cannot make the keys");
		}
	}
	co.log_key = w.keys[K_LOG];
	co.admin_key = *pub(K_ADMIN);
	co.record_time_us = (uint64_t)(T0 - 86400) * 1000000u;
	oo.log_key = w.keys[K_LOG];
	if (wb_journal_create(w.dir, &co) != WB_OK ||
	    wb_journal_open(&w.j, w.dir, &oo) != WB_OK) {
		die("cannot create the scratch ledger");
	}
	for (int k = K_MILL; k <= K_REGULATOR; k++) {
		register_one(k);
	}
	stamp_chain();
	if (wb_journal_size(&w.base_size, w.j) != WB_OK ||
	    wb_rpc_local_new(&w.srv, w.j, &so) != WB_OK) {
		die("cannot start the in-process server");
	}
	for (int k = K_ADMIN; k <= K_REGULATOR; k++) {
		authenticate(k);
	}
}

/*
 * Inputs to requests.
 */

static uint64_t
next_counter(void)
{
	return ++counter;
}

/* Mode 2: op and body, signed per request by key k. */
static void
signed_request(int k, int op, const uint8_t *body, size_t len)
{
	wb_wire_request req = { .version_major = WB_RPC_VERSION_MAJOR };
	uint8_t msg[WB_AUTH_MSG_MAX];
	uint64_t nonce = next_counter();
	size_t n;

	req.request_id = nonce;
	req.op = op;
	req.body = len ? body : (const uint8_t *)"";
	req.body_len = len;
	req.has_auth = true;
	req.auth_key = *pub(k);
	req.auth_ts_ms = now_ms();
	memcpy(req.nonce, &nonce, sizeof(nonce));
	req.nonce_len = sizeof(nonce);
	n = wb_wire_request_auth_msg(msg, wb_journal_ledger_id(w.j), op,
	                             req.body, len, req.auth_ts_ms, req.nonce,
	                             req.nonce_len);
	if (wb_sig_sign(req.auth_sig, w.keys[k], WB_SIG_AUTH, msg, n) !=
	    WB_OK) {
		die("cannot sign a request");
	}
	call_request(CONN_ANON, &req, NULL);
}

/* Mode 3: an item signed by key k, in a Submit or a registry request. */
static void
signed_item(int k, uint8_t what, const uint8_t *body, size_t len)
{
	static const int registry_ops[4] = { WB_OP_REGISTER, WB_OP_CHANGE_ROLES,
		                             WB_OP_ROTATE, WB_OP_REVOKE };
	Waybill__V1__SignedItem it = WAYBILL__V1__SIGNED_ITEM__INIT;
	Waybill__V1__SubmitRequest sr = WAYBILL__V1__SUBMIT_REQUEST__INIT;
	Waybill__V1__SignedItem *items[2] = { &it, &it };
	wb_wire_request req = { .version_major = WB_RPC_VERSION_MAJOR };
	bool submit = (what & 7) < 4;
	uint8_t sig[WB_SIG_LEN], *packed;
	size_t packed_len;

	if (wb_sig_sign(sig, w.keys[k], submit ? WB_SIG_STAMP : WB_SIG_REGISTRY,
	                body, len) != WB_OK) {
		die("cannot sign an item");
	}
	it.body.data = (uint8_t *)(uintptr_t)body;
	it.body.len = len;
	it.signer.data = (uint8_t *)(uintptr_t)pub(k)->b;
	it.signer.len = WB_PUBKEY_LEN;
	it.signature.data = sig;
	it.signature.len = WB_SIG_LEN;
	if (submit) {
		sr.n_items = what & 16 ? 2 : 1;
		sr.items = items;
		sr.has_atomic = (what & 8) != 0;
		sr.atomic = sr.has_atomic;
		packed_len = waybill__v1__submit_request__get_packed_size(&sr);
		req.op = WB_OP_SUBMIT;
	} else {
		packed_len = waybill__v1__signed_item__get_packed_size(&it);
		req.op = registry_ops[(what & 7) - 4];
	}
	if ((packed = malloc(packed_len ? packed_len : 1)) == NULL) {
		die("out of memory");
	}
	if (submit) {
		waybill__v1__submit_request__pack(&sr, packed);
	} else {
		waybill__v1__signed_item__pack(&it, packed);
	}
	req.request_id = next_counter();
	req.body = packed;
	req.body_len = packed_len;
	call_request(CONN_ANON, &req, NULL);
	free(packed);
}

static void
world_atexit(void)
{
	world_close();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t size_now = 0;
	int mode, k;

	if (w.j == NULL) {
		world_open();
		atexit(world_atexit);
	}
	if (size == 0) {
		return 0;
	}
	mode = data[0] & 3;
	k = (data[0] >> 2) % N_KEYS;
	switch (mode) {
	case 0:
		call(CONN_ANON, data + 1, size - 1, NULL);
		break;
	case 1:
		call(CONN_AUTH + (uint32_t)k, data + 1, size - 1, NULL);
		break;
	case 2:
		if (size >= 2) {
			signed_request(k, data[1] % 32, data + 2, size - 2);
		}
		break;
	default:
		if (size >= 2) {
			signed_item(k, data[1], data + 2, size - 2);
		}
		break;
	}
	if (verbose && wb_journal_size(&size_now, w.j) == WB_OK) {
		fprintf(stderr, "tree size %llu\n",
		        (unsigned long long)size_now);
	}
	if (++w.inputs >= RESET_EVERY ||
	    (wb_journal_size(&size_now, w.j) == WB_OK &&
	     size_now > w.base_size + GROW_MAX)) {
		world_close();
		world_open();
	}
	return 0;
}

#ifdef FUZZ_REQUEST_SEEDS
/*
 * The seed writer: one small file per operation family, each the first
 * byte of a mode (see the top of the file) and what follows it.
 */
static const char *seed_dir;

static void
seed_write(const char *name, const uint8_t *bytes, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
		die("cannot write a seed");
	}
}

/* Mode 0 or 1: the first byte, then a whole Request (cut to `keep`
 * bytes when not 0). */
static void
seed_raw(const char *name, int mode, int k, uint32_t version, int op,
         const ProtobufCMessage *body, size_t keep)
{
	wb_wire_request req = { .version_major = version,
		                .request_id = 1,
		                .op = op };
	uint8_t *msg = NULL, *b = NULL, *out = NULL;
	size_t len, blen = 0;

	if (body != NULL) {
		blen = protobuf_c_message_get_packed_size(body);
		if ((b = malloc(blen ? blen : 1)) == NULL) {
			die("out of memory");
		}
		protobuf_c_message_pack(body, b);
		req.body = b;
		req.body_len = blen;
	}
	if (wb_wire_request_encode(&msg, &len, &req) != WB_OK ||
	    (out = malloc(len + 1)) == NULL) {
		die("cannot encode a seed");
	}
	out[0] = (uint8_t)(k << 2 | mode);
	memcpy(out + 1, msg, len);
	seed_write(name, out, keep ? keep + 1 : len + 1);
	free(out);
	free(msg);
	free(b);
}

/* Mode 2 or 3: the first byte, a second, then a body. */
static void
seed_body(const char *name, int mode, int k, uint8_t second,
          const uint8_t *body, size_t len)
{
	uint8_t *out = malloc(len + 2);

	if (out == NULL) {
		die("out of memory");
	}
	out[0] = (uint8_t)(k << 2 | mode);
	out[1] = second;
	memcpy(out + 2, body, len);
	seed_write(name, out, len + 2);
	free(out);
}

static void
seed_message(const char *name, int k, int op, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *b = malloc(len ? len : 1);

	if (b == NULL) {
		die("out of memory");
	}
	protobuf_c_message_pack(m, b);
	seed_body(name, 2, k, (uint8_t)op, b, len);
	free(b);
}

static void
seed_stamp(const char *name, int k, uint8_t what, wb_stamp *st)
{
	uint8_t *body = NULL;
	size_t len;

	memcpy(st->ledger_id, wb_journal_ledger_id(w.j), WB_HASH_LEN);
	st->event_time.seconds = T0 + 60 * 30;
	st->event_tz_offset = "+00:00";
	if (wb_stamp_encode(&body, &len, st) != WB_OK) {
		die("cannot encode a stamp");
	}
	seed_body(name, 3, k, what, body, len);
	free(body);
}

static void
seeds_submit(void)
{
	const char *loaf[1] = { LOAF_2 };
	wb_lift lift = { w.recall, NULL, 0, "the lot tested clean" };
	wb_registry_change c = { .op = WB_REG_REGISTER };
	wb_role role = WB_ROLE_AUDITOR;
	uint8_t *body = NULL;
	size_t len;
	wb_stamp st = { .event_id = "inspect", .kind = WB_KIND_OBJECT };

	st.epcs = loaf;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_OBSERVE;
	st.biz_step = "inspecting";
	seed_stamp("submit", K_BAKERY, 0, &st);
	st.event_id = "sell";
	st.biz_step = "retail_selling";
	st.disposition = "retail_sold";
	seed_stamp("submit-atomic-twice", K_SHOP, 8 | 16, &st);
	st = (wb_stamp){ .event_id = "lift-f1", .kind = WB_KIND_LIFT };
	st.lift = &lift;
	seed_stamp("recall-lift", K_MILL, 0, &st);

	memcpy(c.ledger_id, wb_journal_ledger_id(w.j), WB_HASH_LEN);
	c.change_id = "register-stranger";
	c.key = *pub(K_STRANGER);
	c.name = "Stranger";
	c.roles = &role;
	c.n_roles = 1;
	if (wb_registry_change_encode(&body, &len, &c) != WB_OK) {
		die("cannot encode a registration");
	}
	seed_body("register", 3, K_ADMIN, 4, body, len);
	free(body);
}

static void
seeds_envelope(void)
{
	static const uint8_t garbage[] = { 0,    0x08, 0x01, 0x18, 0xff, 0xff,
		                           0xff, 0xff, 0x22, 0x7f, 0x00 };
	Waybill__V1__HistoryRequest h = WAYBILL__V1__HISTORY_REQUEST__INIT;

	seed_raw("ping", 0, 0, WB_RPC_VERSION_MAJOR, WB_OP_PING, NULL, 0);
	seed_raw("info", 0, 0, WB_RPC_VERSION_MAJOR, WB_OP_INFO, NULL, 0);
	seed_raw("challenge", 0, 0, WB_RPC_VERSION_MAJOR, WB_OP_CHALLENGE, NULL,
	         0);
	seed_raw("wrong-version", 0, 0, WB_RPC_VERSION_MAJOR + 1, WB_OP_INFO,
	         NULL, 0);
	seed_write("garbage", garbage, sizeof(garbage));
	h.twin = CASE1;
	seed_raw("truncated", 1, K_SHOP, WB_RPC_VERSION_MAJOR, WB_OP_HISTORY,
	         &h.base, 12);
	h.has_with_entries = 1;
	h.with_entries = 1;
	seed_raw("history", 1, K_SHOP, WB_RPC_VERSION_MAJOR, WB_OP_HISTORY,
	         &h.base, 0);
	seed_message("history-stranger", K_STRANGER, WB_OP_HISTORY, &h.base);
}

static void
seeds_proofs(void)
{
	Waybill__V1__CheckpointRequest cp =
	        WAYBILL__V1__CHECKPOINT_REQUEST__INIT;
	Waybill__V1__InclusionProofRequest ip =
	        WAYBILL__V1__INCLUSION_PROOF_REQUEST__INIT;
	Waybill__V1__ConsistencyProofRequest cs =
	        WAYBILL__V1__CONSISTENCY_PROOF_REQUEST__INIT;
	Waybill__V1__GetRangeRequest gr = WAYBILL__V1__GET_RANGE_REQUEST__INIT;

	seed_raw("checkpoint", 1, K_BAKERY, WB_RPC_VERSION_MAJOR,
	         WB_OP_CHECKPOINT, &cp.base, 0);
	ip.index = 3;
	seed_message("inclusion-proof", K_SHOP, WB_OP_INCLUSION_PROOF,
	             &ip.base);
	cs.from_size = 2;
	seed_message("consistency-proof", K_REGULATOR, WB_OP_CONSISTENCY_PROOF,
	             &cs.base);
	gr.from = 0;
	gr.has_max_entries = 1;
	gr.max_entries = 4;
	seed_message("get-range", K_ADMIN, WB_OP_GET_RANGE, &gr.base);
}

static void
seeds_trace(void)
{
	Waybill__V1__TwinRequest tw = WAYBILL__V1__TWIN_REQUEST__INIT;
	Waybill__V1__TraceRequest tr = WAYBILL__V1__TRACE_REQUEST__INIT;
	Waybill__V1__RecallImpactRequest ri =
	        WAYBILL__V1__RECALL_IMPACT_REQUEST__INIT;
	Waybill__V1__RecallsSinceRequest rs =
	        WAYBILL__V1__RECALLS_SINCE_REQUEST__INIT;
	Waybill__V1__MasterDataRequest md =
	        WAYBILL__V1__MASTER_DATA_REQUEST__INIT;

	tw.twin = LOAF_1;
	seed_raw("recall-status", 0, 0, WB_RPC_VERSION_MAJOR,
	         WB_OP_RECALL_STATUS, &tw.base, 0);
	seed_message("passport", K_SHOP, WB_OP_PASSPORT, &tw.base);
	tw.twin = PROBE;
	seed_raw("installations", 1, K_BAKERY, WB_RPC_VERSION_MAJOR,
	         WB_OP_INSTALLATIONS, &tw.base, 0);
	tr.twin = FLOUR;
	tr.has_down = 1;
	tr.down = 1;
	seed_raw("trace", 1, K_REGULATOR, WB_RPC_VERSION_MAJOR, WB_OP_TRACE,
	         &tr.base, 0);
	ri.recall_index = w.recall;
	seed_message("recall-impact", K_REGULATOR, WB_OP_RECALL_IMPACT,
	             &ri.base);
	seed_raw("recalls-since", 1, K_SHOP, WB_RPC_VERSION_MAJOR,
	         WB_OP_RECALLS_SINCE, &rs.base, 0);
	md.element = STORE1;
	seed_raw("master-data", 1, K_SHOP, WB_RPC_VERSION_MAJOR,
	         WB_OP_MASTER_DATA, &md.base, 0);
}

static void
seeds_search(void)
{
	Waybill__V1__SearchRequest sr = WAYBILL__V1__SEARCH_REQUEST__INIT;
	Waybill__V1__Timestamp from = WAYBILL__V1__TIMESTAMP__INIT,
	                       to = WAYBILL__V1__TIMESTAMP__INIT;

	sr.biz_step = "shipping";
	seed_raw("search", 1, K_BAKERY, WB_RPC_VERSION_MAJOR, WB_OP_SEARCH,
	         &sr.base, 0);
	sr.biz_step = NULL;
	from.seconds = T0;
	to.seconds = T0 + 3600;
	sr.event_from = &from;
	sr.event_to = &to;
	sr.has_stakeholder_key = 1;
	sr.stakeholder_key.data = (uint8_t *)(uintptr_t)pub(K_BAKERY)->b;
	sr.stakeholder_key.len = WB_PUBKEY_LEN;
	sr.has_with_entries = 1;
	sr.with_entries = 1;
	seed_message("epcis-query", K_MILL, WB_OP_SEARCH, &sr.base);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_request_seeds DIR\n");
		return 2;
	}
	seed_dir = argv[1];
	world_open();
	seeds_envelope();
	seeds_submit();
	seeds_proofs();
	seeds_trace();
	seeds_search();
	world_close();
	return 0;
}
#endif
