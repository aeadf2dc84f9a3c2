/* SPDX-License-Identifier: MIT */
/*
 * waybill history, passport, where, installations, search, checkpoint and
 * info (of a server): the read commands over the network, and what the
 * read commands share (aligned tables, the key a read needs, RFC 3339
 * times, JSON helpers).
 *
 * Errors: every command returns an exit code of cli.h after printing what
 * to fix; a read needs a registered key (--key or WAYBILL_KEY), and its
 * absence is reported as the server would refuse it (CLI_REFUSED).
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/*
 * Shared by the read commands.
 */

void
cli_table_init(cli_table *t, size_t n_cols)
{
	memset(t, 0, sizeof(*t));
	t->n_cols = n_cols;
}

void
cli_table_row(cli_table *t, ...)
{
	va_list ap;

	if (t->failed) {
		return;
	}
	if (t->n_rows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **nc = realloc(t->cells, ncap * t->n_cols * sizeof(*nc));

		if (nc == NULL) {
			t->failed = true;
			return;
		}
		t->cells = nc;
		t->cap = ncap;
	}
	va_start(ap, t);
	for (size_t i = 0; i < t->n_cols; i++) {
		const char *s = va_arg(ap, const char *);
		char *copy = strdup(s != NULL && s[0] != '\0' ? s : "-");

		if (copy == NULL) {
			t->failed = true;
		}
		t->cells[t->n_rows * t->n_cols + i] = copy;
	}
	va_end(ap);
	t->n_rows++;
}

/* Columns are measured in characters, not bytes, so that UTF-8 names
 * line up. */
static size_t
text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		n += ((unsigned char)*s & 0xc0) != 0x80;
	}
	return n;
}

void
cli_table_print(const cli_table *t, FILE *f)
{
	size_t width[16] = { 0 };
	size_t n_cols = t->n_cols < 16 ? t->n_cols : 16;

	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t i = 0; i < n_cols; i++) {
			const char *s = t->cells[r * t->n_cols + i];
			size_t w = s != NULL ? text_width(s) : 0;

			width[i] = w > width[i] ? w : width[i];
		}
	}
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t i = 0; i < n_cols; i++) {
			const char *s = t->cells[r * t->n_cols + i];

			s = s != NULL ? s : "";
			if (i + 1 == n_cols) {
				fprintf(f, "%s\n", s); /* no trailing blanks */
			} else {
				fprintf(f, "%s%*s  ", s,
				        (int)(width[i] - text_width(s)), "");
			}
		}
	}
}

void
cli_table_fini(cli_table *t)
{
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++) {
		free(t->cells[i]);
	}
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

int
cli_read_connect(wb_rpc_client **out, wb_signer **key_out, const char *cmd,
                 const cli_net_opts *o)
{
	*out = NULL;
	*key_out = NULL;
	/* The server answers reads to registered keys only: say so before
	 * asking, rather than make the user guess from a refusal. */
	if (o->key_path == NULL) {
		return cli_fail(
		        CLI_REFUSED, cmd,
		        "reads need a registered key, and the server refuses them without one: pass --key FILE or set WAYBILL_KEY to your private key file");
	}
	return cli_connect(out, key_out, cmd, o, true);
}

void
cli_read_close(wb_rpc_client *c, wb_signer *key)
{
	wb_rpc_client_close(c);
	wb_signer_free(key);
}

static bool
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9') {
			return false;
		}
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool
cli_parse_time(const char *text, wb_time *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30,
		                     31, 31, 30, 31, 30, 31 };
	const char *p = text;
	int y, mo, d, h, mi, s, oh = 0, om = 0, sign = 0;
	uint32_t nanos = 0;
	bool has_nanos = false;

	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d) ||
	    (*p != 'T' && *p != 't' && *p != ' ')) {
		return false;
	}
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) ||
	    *p++ != ':' || !digits(&p, 2, &s)) {
		return false;
	}
	if (*p == '.') {
		uint32_t scale = 100000000u;

		p++;
		if (*p < '0' || *p > '9') {
			return false;
		}
		for (; *p >= '0' && *p <= '9'; p++) {
			nanos += (uint32_t)(*p - '0') * scale;
			scale /= 10;
		}
		has_nanos = true;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) ||
		    oh > 23 || om > 59) {
			return false;
		}
	} else {
		return false;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || s > 60) {
		return false;
	}
	out->seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	               s - sign * (oh * 3600 + om * 60);
	out->nanos = nanos;
	out->has_nanos = has_nanos;
	return true;
}

json_t *
cli_json_str(const char *s)
{
	json_t *v;

	if (s == NULL || s[0] == '\0') {
		return json_null();
	}
	v = json_string(s);
	return v != NULL ? v : json_null(); /* not UTF-8: nothing to show */
}

json_t *
cli_json_time(const wb_time *t)
{
	char buf[64];

	if (t->seconds == 0 && t->nanos == 0) {
		return json_null();
	}
	cli_format_time(buf, sizeof(buf), t->seconds, t->nanos, t->has_nanos);
	return json_string(buf);
}

/* The name a master-data stamp gives its element: the attribute whose key
 * ends in the word "name" (cbvmda:name, urn:epcglobal:cbv:mda#name, name),
 * as the passport reads it. "" when it gives none. */
static void
master_name(char **out, const uint8_t *bytes, size_t len)
{
	wb_entry *e = NULL;
	wb_stamp *s = NULL;
	const char *name = "";

	if (wb_entry_decode(&e, bytes, len) == WB_OK &&
	    e->type == WB_ENTRY_STAMP &&
	    wb_stamp_decode(&s, e->body, e->body_len) == WB_OK &&
	    s->master_data != NULL) {
		for (size_t i = 0; i < s->master_data->n_attributes; i++) {
			const wb_attribute *a = &s->master_data->attributes[i];
			size_t kl = strlen(a->key);

			if (a->text != NULL && kl >= 4 &&
			    strcmp(a->key + kl - 4, "name") == 0 &&
			    (kl == 4 || strchr(":#/", a->key[kl - 5]))) {
				name = a->text;
				break;
			}
		}
	}
	*out = strdup(name);
	wb_stamp_free(s);
	wb_entry_free(e);
}

const char *
cli_place_name(cli_places *pl, wb_rpc_client *c, const char *id)
{
	uint8_t *bytes = NULL;
	uint64_t index = 0;
	size_t len = 0;
	wb_problem p = { 0 };
	char *name = NULL, *copy;
	wb_err rc;

	if (id == NULL || id[0] == '\0') {
		return "";
	}
	for (size_t i = 0; i < pl->n; i++) {
		if (strcmp(pl->ids[i], id) == 0) {
			return pl->names[i];
		}
	}
	if (pl->offline) {
		return "";
	}
	rc = wb_rpc_master_data(&index, &bytes, &len, c, id, &p);
	if (rc == WB_OK) {
		master_name(&name, bytes, len);
	} else if (!wb_rpc_client_reached(c)) {
		/* The server went quiet: every further lookup would wait
		 * for its timeout. Show bare IDs from here on. */
		pl->offline = true;
	}
	free(bytes);
	if (pl->n == pl->cap) {
		size_t ncap = pl->cap ? 2 * pl->cap : 8;
		char **ni = realloc(pl->ids, ncap * sizeof(*ni));
		char **nn;

		if (ni == NULL) {
			free(name);
			return "";
		}
		pl->ids = ni;
		if ((nn = realloc(pl->names, ncap * sizeof(*nn))) == NULL) {
			free(name);
			return "";
		}
		pl->names = nn;
		pl->cap = ncap;
	}
	if ((copy = strdup(id)) == NULL ||
	    (name == NULL && (name = strdup("")) == NULL)) {
		free(copy);
		free(name);
		return "";
	}
	pl->ids[pl->n] = copy;
	pl->names[pl->n] = name;
	return pl->names[pl->n++];
}

const char *
cli_place_label(char *out, size_t size, cli_places *pl, wb_rpc_client *c,
                const char *id)
{
	const char *name = cli_place_name(pl, c, id);

	if (id == NULL || id[0] == '\0') {
		snprintf(out, size, "%s", "");
	} else if (name[0] == '\0') {
		snprintf(out, size, "%s", id);
	} else {
		snprintf(out, size, "%s (%s)", id, name);
	}
	return out;
}

void
cli_places_fini(cli_places *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->ids[i]);
		free(pl->names[i]);
	}
	free(pl->ids);
	free(pl->names);
	memset(pl, 0, sizeof(*pl));
}

bool
cli_index_opt(int argc, char **argv, int *i, const char *cmd, const char *name,
              unsigned long long min, unsigned long long max,
              unsigned long long *out)
{
	const char *v;

	if (!cli_opt(argc, argv, i, name, &v)) {
		return false;
	}
	if (!cli_parse_u64(v, min, max, out)) {
		fprintf(stderr,
		        "waybill %s: %s takes a whole number from %llu to %llu, not \"%s\"\n",
		        cmd, name, min, max, v);
		exit(CLI_USAGE);
	}
	return true;
}

/*
 * Entries: fetched by index, decoded, with the signer's name.
 */

typedef struct {
	uint64_t index;
	wb_entry *e;
	wb_stamp *st; /* NULL unless a stamp that decodes */
	wb_hash leaf;
	char signer[WB_KEY_NAME_MAX + 1]; /* "" when unknown */
} read_entry;

/* Stakeholder names are not in the entries: they come from the timeline
 * of a twin the stamp touches (Where names each step's signer), cached by
 * key so each signer costs one call at most. */
typedef struct {
	struct {
		wb_pubkey key;
		char name[WB_KEY_NAME_MAX + 1];
	} * v;
	size_t n, cap;
} name_cache;

static const char *
name_lookup(const name_cache *nc, const wb_pubkey *key)
{
	for (size_t i = 0; i < nc->n; i++) {
		if (memcmp(nc->v[i].key.b, key->b, WB_PUBKEY_LEN) == 0) {
			return nc->v[i].name;
		}
	}
	return NULL;
}

static void
name_add(name_cache *nc, const wb_pubkey *key, const char *name)
{
	if (nc->n == nc->cap) {
		size_t ncap = nc->cap ? nc->cap * 2 : 8;
		void *nv = realloc(nc->v, ncap * sizeof(*nc->v));

		if (nv == NULL) {
			return; /* names are a courtesy: go on without */
		}
		nc->v = nv;
		nc->cap = ncap;
	}
	nc->v[nc->n].key = *key;
	snprintf(nc->v[nc->n].name, sizeof(nc->v[nc->n].name), "%s", name);
	nc->n++;
}

/* Some twin the stamp names, to ask Where about. */
static const char *
first_twin(const wb_stamp *st)
{
	if (st->n_epcs > 0) {
		return st->epcs[0];
	}
	if (st->parent_id != NULL) {
		return st->parent_id;
	}
	if (st->n_quantities > 0) {
		return st->quantities[0].epc_class;
	}
	if (st->n_input_epcs > 0) {
		return st->input_epcs[0];
	}
	if (st->n_input_quantities > 0) {
		return st->input_quantities[0].epc_class;
	}
	if (st->n_output_epcs > 0) {
		return st->output_epcs[0];
	}
	if (st->n_output_quantities > 0) {
		return st->output_quantities[0].epc_class;
	}
	if (st->recall != NULL && st->recall->n_targets > 0) {
		return st->recall->targets[0];
	}
	return NULL;
}

static void
resolve_signer(read_entry *r, name_cache *nc, wb_rpc_client *c,
               const char *twin)
{
	const char *name = name_lookup(nc, &r->e->signer);
	wb_where_step *steps = NULL;
	size_t n = 0;
	wb_problem p;

	if (name == NULL && r->st != NULL) {
		twin = twin != NULL ? twin : first_twin(r->st);
		if (twin != NULL &&
		    wb_rpc_where(&steps, &n, c, twin, &p) == WB_OK) {
			for (size_t i = 0; i < n; i++) {
				if (steps[i].index == r->index) {
					name_add(nc, &r->e->signer,
					         steps[i].signer_name);
					break;
				}
			}
			free(steps);
		}
		name = name_lookup(nc, &r->e->signer);
		if (name == NULL) {
			name_add(nc, &r->e->signer, ""); /* ask only once */
		}
	}
	snprintf(r->signer, sizeof(r->signer), "%s", name ? name : "");
}

static void
read_entry_fini(read_entry *r)
{
	wb_entry_free(r->e);
	wb_stamp_free(r->st);
	memset(r, 0, sizeof(*r));
}

static int
fetch_entry(read_entry *r, const char *cmd, wb_rpc_client *c, uint64_t index)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	wb_problem p = { 0 };
	char what[64];
	wb_err rc;

	memset(r, 0, sizeof(*r));
	r->index = index;
	snprintf(what, sizeof(what), "entry %llu", (unsigned long long)index);
	if ((rc = wb_rpc_get_entry(&bytes, &len, c, index, &p)) != WB_OK) {
		return cli_rpc_fail(cmd, c, rc, &p, what);
	}
	wb_hash_leaf(&r->leaf, bytes, len);
	rc = wb_entry_decode(&r->e, bytes, len);
	free(bytes);
	if (rc != WB_OK) {
		return cli_fail(
		        CLI_VERIFY_FAILED, cmd,
		        "the server sent %s in a form that does not parse (%s)",
		        what, wb_strerror(rc));
	}
	if (r->e->index != index) {
		return cli_fail(CLI_VERIFY_FAILED, cmd,
		                "the server sent entry %llu when asked for %s",
		                (unsigned long long)r->e->index, what);
	}
	if (r->e->type == WB_ENTRY_STAMP &&
	    wb_stamp_decode(&r->st, r->e->body, r->e->body_len) != WB_OK) {
		r->st = NULL; /* shown as an undecodable stamp */
	}
	return CLI_OK;
}

static const char *
entry_kind(const read_entry *r)
{
	if (r->e->type == WB_ENTRY_GENESIS) {
		return "genesis";
	}
	if (r->e->type == WB_ENTRY_REGISTRY) {
		return "registry";
	}
	return r->st != NULL ? wb_kind_name(r->st->kind) : "unreadable";
}

static const char *
action_name(const wb_stamp *st)
{
	static const char *const names[] = { NULL, "add", "observe", "delete" };

	if (st == NULL || !st->has_action || st->action > WB_ACTION_DELETE) {
		return NULL;
	}
	return names[st->action];
}

static json_t *
entry_json(const read_entry *r, cli_places *pl, wb_rpc_client *c)
{
	const wb_stamp *st = r->st;
	json_t *o = json_object();
	wb_time rt = { (int64_t)(r->e->record_time_us / 1000000u),
		       (uint32_t)(r->e->record_time_us % 1000000u) * 1000u,
		       true };
	char key[2 * WB_PUBKEY_LEN + 1];

	if (o == NULL) {
		return NULL;
	}
	wb_hex_encode(key, r->e->signer.b, WB_PUBKEY_LEN);
	json_object_set_new(o, "index", json_integer((json_int_t)r->index));
	json_object_set_new(o, "event_id",
	                    cli_json_str(st ? st->event_id : NULL));
	json_object_set_new(o, "event_time",
	                    st ? cli_json_time(&st->event_time) : json_null());
	json_object_set_new(o, "tz",
	                    cli_json_str(st ? st->event_tz_offset : NULL));
	json_object_set_new(o, "record_time", cli_json_time(&rt));
	json_object_set_new(o, "kind", json_string(entry_kind(r)));
	json_object_set_new(o, "action", cli_json_str(action_name(st)));
	json_object_set_new(o, "biz_step",
	                    cli_json_str(st ? st->biz_step : NULL));
	json_object_set_new(o, "disposition",
	                    cli_json_str(st ? st->disposition : NULL));
	json_object_set_new(o, "signer", cli_json_str(r->signer));
	json_object_set_new(o, "signer_key",
	                    r->e->type == WB_ENTRY_GENESIS ? json_null()
	                                                   : json_string(key));
	json_object_set_new(o, "location",
	                    cli_json_str(st && st->biz_location
	                                         ? st->biz_location->id
	                                         : NULL));
	json_object_set_new(
	        o, "location_name",
	        cli_json_str(
	                st && st->biz_location
	                        ? cli_place_name(pl, c, st->biz_location->id)
	                        : NULL));
	json_object_set_new(
	        o, "read_point",
	        cli_json_str(st && st->read_point ? st->read_point->id : NULL));
	json_object_set_new(o, "leaf_hash",
	                    cli_json_hex(r->leaf.b, WB_HASH_LEN));
	return o;
}

static void
entry_row(cli_table *t, const read_entry *r, cli_places *pl, wb_rpc_client *c)
{
	const wb_stamp *st = r->st;
	char idx[24], when[64] = "", signer[WB_KEY_NAME_MAX + 16];
	char place[WB_ID_MAX + 300];
	const char *loc = NULL;

	snprintf(idx, sizeof(idx), "%llu", (unsigned long long)r->index);
	if (st != NULL) {
		cli_format_time(when, sizeof(when), st->event_time.seconds,
		                st->event_time.nanos, st->event_time.has_nanos);
		loc = st->biz_location ? st->biz_location->id
		      : st->read_point ? st->read_point->id
		                       : NULL;
	}
	if (r->signer[0] != '\0') {
		snprintf(signer, sizeof(signer), "%s", r->signer);
	} else {
		char hex[2 * WB_PUBKEY_LEN + 1];

		/* An unnamed key: enough of it to tell keys apart. */
		wb_hex_encode(hex, r->e->signer.b, WB_PUBKEY_LEN);
		snprintf(signer, sizeof(signer), "key %.16s", hex);
	}
	cli_table_row(t, idx, when, entry_kind(r),
	              st && st->biz_step ? wb_cbv_word(st->biz_step) : NULL,
	              st && st->disposition ? wb_cbv_word(st->disposition)
	                                    : NULL,
	              r->e->type == WB_ENTRY_GENESIS ? NULL : signer,
	              cli_place_label(place, sizeof(place), pl, c, loc));
}

/* Prints entries as a table or a JSON array under "entries" of obj; the
 * locations with their master-data names, asked through c. */
static int
print_entries(read_entry *v, size_t n, json_t *obj, bool json, wb_rpc_client *c)
{
	cli_places pl = { 0 };
	cli_table t;
	json_t *arr;
	int code;

	if (json) {
		if (obj == NULL || (arr = json_array()) == NULL) {
			json_decref(obj);
			return cli_json_print(NULL);
		}
		for (size_t i = 0; i < n; i++) {
			json_array_append_new(arr, entry_json(&v[i], &pl, c));
		}
		cli_places_fini(&pl);
		json_object_set_new(obj, "count", json_integer((json_int_t)n));
		json_object_set_new(obj, "entries", arr);
		return cli_json_print(obj);
	}
	json_decref(obj);
	if (n == 0) {
		printf("no entries\n");
		return CLI_OK;
	}
	cli_table_init(&t, 7);
	cli_table_row(&t, "INDEX", "EVENT TIME", "KIND", "BIZ STEP",
	              "DISPOSITION", "SIGNER", "LOCATION");
	for (size_t i = 0; i < n; i++) {
		entry_row(&t, &v[i], &pl, c);
	}
	cli_places_fini(&pl);
	if (t.failed) {
		code = cli_fail(CLI_ERROR, "read", "out of memory");
	} else {
		cli_table_print(&t, stdout);
		code = CLI_OK;
	}
	cli_table_fini(&t);
	return code;
}

typedef struct {
	read_entry *v;
	size_t n, cap;
} entry_list;

static int
entry_list_add(entry_list *l, const char *cmd, wb_rpc_client *c, uint64_t index,
               name_cache *nc, const char *twin)
{
	int code;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		read_entry *nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			return cli_fail(CLI_ERROR, cmd, "out of memory");
		}
		l->v = nv;
		l->cap = ncap;
	}
	if ((code = fetch_entry(&l->v[l->n], cmd, c, index)) != CLI_OK) {
		return code;
	}
	resolve_signer(&l->v[l->n], nc, c, twin);
	l->n++;
	return CLI_OK;
}

static void
entry_list_fini(entry_list *l, name_cache *nc)
{
	for (size_t i = 0; i < l->n; i++) {
		read_entry_fini(&l->v[i]);
	}
	free(l->v);
	free(nc->v);
}

/*
 * waybill history
 */

static const char history_help[] =
        "usage: waybill history TWIN [--reverse] [--after N] [--limit N]\n"
        "                       [options]\n"
        "\n"
        "Lists the entries that touched a twin (any of its forms: EPC URI,\n"
        "GS1 Digital Link, canonical key), oldest first: index, event time\n"
        "(UTC), kind, business step, disposition, signer and location (with\n"
        "its master-data name, when described). --json adds the event ID,\n"
        "record time, read point, the location's name, the signer's key and\n"
        "the leaf hash (SHA-256 of 0x00 and the entry: what inclusion proofs\n"
        "prove).\n"
        "\n"
        "  --reverse         newest first\n"
        "  --after N         start after entry N (before it with --reverse)\n"
        "  --limit N         at most N entries (default: all)\n"
        "\n"
        "Reads need a registered key (--key).\n";

int
cmd_history(int argc, char **argv)
{
	const char *twin = NULL;
	unsigned long long after = 0, limit = 0;
	bool reverse = false, has_after = false;
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	entry_list l = { 0 };
	name_cache nc = { 0 };
	uint64_t cursor, *idx = NULL, next = 0;
	size_t n;
	wb_problem p = { 0 };
	json_t *obj;
	int code;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", history_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o)) {
			continue;
		} else if (strcmp(argv[i], "--reverse") == 0) {
			reverse = true;
		} else if (cli_index_opt(argc, argv, &i, "history", "--after",
		                         0, UINT64_MAX, &after)) {
			has_after = true;
		} else if (cli_index_opt(argc, argv, &i, "history", "--limit",
		                         1, UINT32_MAX, &limit)) {
			continue;
		} else if (argv[i][0] != '-' && twin == NULL) {
			twin = argv[i];
		} else {
			return cli_fail(CLI_USAGE, "history",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (twin == NULL) {
		return cli_fail(
		        CLI_USAGE, "history",
		        "name the twin: waybill history TWIN (see --help)");
	}
	if ((code = cli_read_connect(&c, &key, "history", &o)) != CLI_OK) {
		return code;
	}
	cursor = has_after ? after : reverse ? UINT64_MAX : 0;
	for (;;) {
		uint32_t max = 1000;

		if (limit != 0 && limit - l.n < max) {
			max = (uint32_t)(limit - l.n);
		}
		rc = wb_rpc_history(&idx, &n, &next, c, twin, cursor, reverse,
		                    max, &p);
		if (rc != WB_OK) {
			code = cli_rpc_fail("history", c, rc, &p, twin);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if ((code = entry_list_add(&l, "history", c, idx[i],
			                           &nc, twin)) != CLI_OK) {
				goto out;
			}
		}
		free(idx);
		idx = NULL;
		if (next == 0 || n == 0 || (limit != 0 && l.n >= limit)) {
			break;
		}
		cursor = next;
	}
	obj = json_object();
	if (obj != NULL) {
		json_object_set_new(obj, "twin", cli_json_str(twin));
	}
	code = print_entries(l.v, l.n, obj, o.json, c);
out:
	free(idx);
	entry_list_fini(&l, &nc);
	cli_read_close(c, key);
	return code;
}

/*
 * waybill search
 */

static const char search_help[] =
        "usage: waybill search [--biz-step S] [--disposition D]\n"
        "                      [--read-point ID] [--biz-location ID]\n"
        "                      [--stakeholder KEY] [--event-from T]\n"
        "                      [--event-to T] [--record-from T]\n"
        "                      [--record-to T] [--limit N] [--after N]\n"
        "                      [options]\n"
        "\n"
        "Lists the stamps that match every filter given, by index, like\n"
        "`waybill history`. Times are RFC 3339 (2026-01-01T09:30:00Z or with\n"
        "an offset, +01:00); the ranges are inclusive. Business steps and\n"
        "dispositions are CBV words (shipping) or URIs.\n"
        "\n"
        "  --stakeholder KEY the signer: verifier key text or a key file\n"
        "  --limit N         at most N stamps (default 100)\n"
        "  --after N         only stamps after entry N: pass the \"next\" of a\n"
        "                    previous answer to go on from there\n"
        "\n"
        "Reads need a registered key (--key).\n";

static int
time_opt(const char *name, const char *v, bool *has, wb_time *out)
{
	if (!cli_parse_time(v, out)) {
		return cli_fail(
		        CLI_USAGE, "search",
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

static bool
time_after(const wb_time *a, const wb_time *b)
{
	return a->seconds != b->seconds ? a->seconds > b->seconds
	                                : a->nanos > b->nanos;
}

int
cmd_search(int argc, char **argv)
{
	wb_search_query q = { 0 };
	unsigned long long limit = 100, after = 0;
	const char *stakeholder = NULL, *v;
	bool has_rf = false, has_rt = false;
	wb_time rf = { 0 }, rt = { 0 };
	wb_pubkey sk;
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	entry_list l = { 0 };
	name_cache nc = { 0 };
	uint64_t *hits = NULL, next = 0;
	size_t n;
	wb_problem p = { 0 };
	json_t *obj;
	int code = CLI_OK;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc && code == CLI_OK; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", search_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o) ||
		           cli_opt(argc, argv, &i, "--biz-step", &q.biz_step) ||
		           cli_opt(argc, argv, &i, "--disposition",
		                   &q.disposition) ||
		           cli_opt(argc, argv, &i, "--read-point",
		                   &q.read_point) ||
		           cli_opt(argc, argv, &i, "--biz-location",
		                   &q.biz_location) ||
		           cli_opt(argc, argv, &i, "--stakeholder",
		                   &stakeholder) ||
		           cli_index_opt(argc, argv, &i, "search", "--limit", 1,
		                         100000, &limit) ||
		           cli_index_opt(argc, argv, &i, "search", "--after", 0,
		                         UINT64_MAX, &after)) {
			continue;
		} else if (cli_opt(argc, argv, &i, "--event-from", &v)) {
			code = time_opt("--event-from", v, &q.has_event_from,
			                &q.event_from);
		} else if (cli_opt(argc, argv, &i, "--event-to", &v)) {
			code = time_opt("--event-to", v, &q.has_event_to,
			                &q.event_to);
		} else if (cli_opt(argc, argv, &i, "--record-from", &v)) {
			code = time_opt("--record-from", v, &has_rf, &rf);
		} else if (cli_opt(argc, argv, &i, "--record-to", &v)) {
			code = time_opt("--record-to", v, &has_rt, &rt);
		} else {
			return cli_fail(CLI_USAGE, "search",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (code != CLI_OK) {
		return code;
	}
	/* An empty filter or a backwards range matches nothing: say so
	 * rather than answer "no entries". */
	if ((q.biz_step != NULL && q.biz_step[0] == '\0') ||
	    (q.disposition != NULL && q.disposition[0] == '\0') ||
	    (q.read_point != NULL && q.read_point[0] == '\0') ||
	    (q.biz_location != NULL && q.biz_location[0] == '\0')) {
		return cli_fail(
		        CLI_USAGE, "search",
		        "a filter is empty: give it a value, or leave the option out");
	}
	if ((q.has_event_from && q.has_event_to &&
	     time_after(&q.event_from, &q.event_to)) ||
	    (has_rf && has_rt && time_after(&rf, &rt))) {
		return cli_fail(
		        CLI_USAGE, "search",
		        "a time range ends before it starts: --event-from/--record-from must not be after --event-to/--record-to");
	}
	if (stakeholder != NULL &&
	    wb_keyfile_read_public(NULL, &sk, stakeholder) != WB_OK) {
		return cli_fail(
		        CLI_USAGE, "search",
		        "--stakeholder %s is neither verifier key text (NAME+KEYID+BASE64) nor a key file",
		        stakeholder);
	}
	q.has_record_from = has_rf;
	q.record_from_us = time_us(&rf);
	q.has_record_to = has_rt;
	q.record_to_us = time_us(&rt);
	q.after = after;
	if ((code = cli_read_connect(&c, &key, "search", &o)) != CLI_OK) {
		return code;
	}
	for (;;) {
		q.limit = limit - l.n < 1000 ? (size_t)(limit - l.n) : 1000;
		rc = wb_rpc_search(&hits, &n, &next, c, &q,
		                   stakeholder ? &sk : NULL, &p);
		if (rc != WB_OK) {
			code = cli_rpc_fail("search", c, rc, &p, "search");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if ((code = entry_list_add(&l, "search", c, hits[i],
			                           &nc, NULL)) != CLI_OK) {
				goto out;
			}
		}
		free(hits);
		hits = NULL;
		/* A page may stop short at the server's scan budget: go on
		 * from its cursor until the limit or the end. */
		if (next == 0 || l.n >= limit) {
			break;
		}
		q.after = next;
	}
	obj = json_object();
	if (obj != NULL) {
		json_object_set_new(obj, "next",
		                    json_integer((json_int_t)next));
	}
	code = print_entries(l.v, l.n, obj, o.json, c);
	if (code == CLI_OK && !o.json && next != 0) {
		printf("(more: --after %llu)\n", (unsigned long long)next);
	}
out:
	free(hits);
	entry_list_fini(&l, &nc);
	cli_read_close(c, key);
	return code;
}

/*
 * waybill passport
 */

static const char passport_help[] =
        "usage: waybill passport TWIN [options]\n"
        "\n"
        "A twin's passport in one answer: its kind, brand owner, owner,\n"
        "custodian and whether it is in transit, where it is (through its\n"
        "containers), disposition, container, the asset it is installed in,\n"
        "packaging, price and discount, decommissioning, custody gaps, its\n"
        "stamps, and whether a recall concerns it (and why).\n"
        "\n"
        "Reads need a registered key (--key).\n";

static const char *
id_kind_name(wb_id_kind kind)
{
	static const char *const names[] = { "other", "epc", "gs1-item",
		                             "gs1-class", "gs1-party" };

	return kind <= WB_ID_GS1_PARTY ? names[kind] : "other";
}

static json_t *
party_json(uint64_t id, const char *name)
{
	json_t *o;

	if (id == 0) {
		return json_null();
	}
	if ((o = json_object()) != NULL) {
		json_object_set_new(o, "id", json_integer((json_int_t)id));
		json_object_set_new(o, "name", cli_json_str(name));
	}
	return o;
}

static json_t *
passport_json(const wb_passport *pp)
{
	json_t *o = json_object(), *pd = json_array();
	char buf[sizeof(pp->persistent)];

	if (o == NULL || pd == NULL) {
		json_decref(o);
		json_decref(pd);
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%s", pp->persistent);
	for (char *save = NULL, *tok = strtok_r(buf, "\n", &save); tok;
	     tok = strtok_r(NULL, "\n", &save)) {
		json_array_append_new(pd, cli_json_str(tok));
	}
	json_object_set_new(o, "id", cli_json_str(pp->id));
	json_object_set_new(o, "key", cli_json_str(pp->key));
	json_object_set_new(o, "kind", json_string(id_kind_name(pp->kind)));
	json_object_set_new(
	        o, "commissioner",
	        party_json(pp->commissioner, pp->commissioner_name));
	json_object_set_new(o, "owner", party_json(pp->owner, pp->owner_name));
	json_object_set_new(o, "sold", json_boolean(pp->sold));
	json_object_set_new(o, "custodian",
	                    party_json(pp->custodian, pp->custodian_name));
	json_object_set_new(o, "in_transit", json_boolean(pp->in_transit));
	json_object_set_new(o, "destination", cli_json_str(pp->destination));
	json_object_set_new(o, "location", cli_json_str(pp->location));
	json_object_set_new(o, "location_name",
	                    cli_json_str(pp->location_name));
	json_object_set_new(o, "read_point", cli_json_str(pp->read_point));
	json_object_set_new(o, "disposition", cli_json_str(pp->disposition));
	json_object_set_new(o, "persistent_dispositions", pd);
	json_object_set_new(o, "container", cli_json_str(pp->container));
	json_object_set_new(o, "installed_in", cli_json_str(pp->host));
	json_object_set_new(o, "packaging", cli_json_str(pp->packaging));
	json_object_set_new(
	        o, "packaging_index",
	        pp->packaging_index
	                ? json_integer((json_int_t)pp->packaging_index)
	                : json_null());
	json_object_set_new(o, "price", cli_json_str(pp->price));
	json_object_set_new(o, "discount", cli_json_str(pp->discount));
	json_object_set_new(
	        o, "decommissioned_at",
	        pp->decommissioned_at
	                ? json_integer((json_int_t)pp->decommissioned_at)
	                : json_null());
	json_object_set_new(o, "custody_gaps",
	                    json_integer((json_int_t)pp->custody_gaps));
	json_object_set_new(o, "stamps",
	                    json_integer((json_int_t)pp->n_stamps));
	json_object_set_new(o, "first_index",
	                    json_integer((json_int_t)pp->first_index));
	json_object_set_new(o, "last_index",
	                    json_integer((json_int_t)pp->last_index));
	json_object_set_new(o, "first_time", cli_json_time(&pp->first_time));
	json_object_set_new(o, "last_time", cli_json_time(&pp->last_time));
	json_object_set_new(o, "recall",
	                    pp->recalls ? cli_recall_status_json(pp->recalls)
	                                : json_null());
	return o;
}

static void
kv(cli_table *t, const char *k, const char *v)
{
	if (v != NULL && v[0] != '\0') {
		cli_table_row(t, k, v);
	}
}

static void
passport_table(const wb_passport *pp)
{
	char buf[1200], t1[64], t2[64];
	cli_table t;

	cli_table_init(&t, 2);
	kv(&t, "id", pp->id);
	kv(&t, "key", pp->key);
	kv(&t, "kind", id_kind_name(pp->kind));
	kv(&t, "brand owner", pp->commissioner_name);
	kv(&t, "owner", pp->owner_name);
	if (pp->sold) {
		kv(&t, "sold", "yes");
	}
	snprintf(buf, sizeof(buf), "%s%s%s", pp->custodian_name,
	         pp->in_transit ? ", in transit to " : "",
	         pp->in_transit ? pp->destination : "");
	kv(&t, "custodian", buf);
	snprintf(buf, sizeof(buf), "%s%s%s%s", pp->location,
	         pp->location_name[0] ? " (" : "", pp->location_name,
	         pp->location_name[0] ? ")" : "");
	kv(&t, "location", buf);
	kv(&t, "read point", pp->read_point);
	kv(&t, "disposition", pp->disposition);
	snprintf(buf, sizeof(buf), "%s", pp->persistent);
	for (char *q = buf; *q; q++) {
		*q = *q == '\n' ? ',' : *q;
	}
	kv(&t, "persistent", buf);
	kv(&t, "container", pp->container);
	kv(&t, "installed in", pp->host);
	if (pp->packaging[0] != '\0') {
		snprintf(buf, sizeof(buf), "%s (entry %llu)", pp->packaging,
		         (unsigned long long)pp->packaging_index);
		kv(&t, "packaging", buf);
	}
	kv(&t, "price", pp->price);
	kv(&t, "discount", pp->discount);
	if (pp->decommissioned_at != 0) {
		snprintf(buf, sizeof(buf), "at entry %llu",
		         (unsigned long long)pp->decommissioned_at);
		kv(&t, "decommissioned", buf);
	}
	if (pp->custody_gaps != 0) {
		snprintf(buf, sizeof(buf), "%llu stamps acted for a custodian",
		         (unsigned long long)pp->custody_gaps);
		kv(&t, "custody gaps", buf);
	}
	cli_format_time(t1, sizeof(t1), pp->first_time.seconds,
	                pp->first_time.nanos, pp->first_time.has_nanos);
	cli_format_time(t2, sizeof(t2), pp->last_time.seconds,
	                pp->last_time.nanos, pp->last_time.has_nanos);
	snprintf(buf, sizeof(buf), "%llu, entries %llu to %llu (%s to %s)",
	         (unsigned long long)pp->n_stamps,
	         (unsigned long long)pp->first_index,
	         (unsigned long long)pp->last_index, t1, t2);
	kv(&t, "stamps", buf);
	kv(&t, "recall",
	   pp->recalls == NULL                        ? "clear"
	   : pp->recalls->state == WB_RECALL_AFFECTED ? "AFFECTED"
	   : pp->recalls->state == WB_RECALL_HOLDING  ? "HOLDING affected stock"
	                                              : "clear");
	cli_table_print(&t, stdout);
	cli_table_fini(&t);
	if (pp->recalls != NULL && pp->recalls->n_hits > 0) {
		cli_recall_status_print(pp->recalls, pp->id);
	}
}

/* The twin-argument commands share their parsing. */
static int
twin_args(int argc, char **argv, const char *cmd, const char *help,
          cli_net_opts *o, const char **twin)
{
	cli_net_init(o);
	*twin = NULL;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", help, cli_net_help);
			return -1;
		} else if (cli_net_opt(argc, argv, &i, o)) {
			continue;
		} else if (argv[i][0] != '-' && *twin == NULL) {
			*twin = argv[i];
		} else {
			return cli_fail(CLI_USAGE, cmd,
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (*twin == NULL) {
		return cli_fail(CLI_USAGE, cmd,
		                "name the twin: waybill %s TWIN (see --help)",
		                cmd);
	}
	return CLI_OK;
}

int
cmd_passport(int argc, char **argv)
{
	const char *twin;
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_passport *pp = NULL;
	wb_problem p = { 0 };
	int code;
	wb_err rc;

	if ((code = twin_args(argc, argv, "passport", passport_help, &o,
	                      &twin)) != CLI_OK) {
		return code < 0 ? CLI_OK : code;
	}
	if ((code = cli_read_connect(&c, &key, "passport", &o)) != CLI_OK) {
		return code;
	}
	if ((rc = wb_rpc_passport(&pp, c, twin, &p)) != WB_OK) {
		code = cli_rpc_fail("passport", c, rc, &p, twin);
	} else if (o.json) {
		code = cli_json_print(passport_json(pp));
	} else {
		passport_table(pp);
	}
	wb_passport_free(pp);
	cli_read_close(c, key);
	return code;
}

/*
 * waybill where
 */

static const char where_help[] =
        "usage: waybill where TWIN [options]\n"
        "\n"
        "A twin's custody and location timeline, by event time: each step's\n"
        "index, time, act (commission, ship, receive, pack, ...), the\n"
        "container it came through (VIA), business step, location (with its\n"
        "master-data name), signer and the custodian after it. Besides the\n"
        "twin's own stamps, the timeline holds the stamps of every container\n"
        "it was in, from its packing to its unpacking (a case shipped and\n"
        "received moved the loaves in it): VIA names that container, \"-\"\n"
        "marks the twin's own stamps. Steps declared in error are shown,\n"
        "marked, without effect. --json gives \"via\" (null for its own) and\n"
        "\"location_name\" for each step.\n"
        "\n"
        "Reads need a registered key (--key).\n";

int
cmd_where(int argc, char **argv)
{
	const char *twin;
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_where_step *v = NULL;
	size_t n = 0;
	cli_places pl = { 0 };
	wb_problem p = { 0 };
	int code;
	wb_err rc;

	if ((code = twin_args(argc, argv, "where", where_help, &o, &twin)) !=
	    CLI_OK) {
		return code < 0 ? CLI_OK : code;
	}
	if ((code = cli_read_connect(&c, &key, "where", &o)) != CLI_OK) {
		return code;
	}
	if ((rc = wb_rpc_where(&v, &n, c, twin, &p)) != WB_OK) {
		code = cli_rpc_fail("where", c, rc, &p, twin);
		goto out;
	}
	if (o.json) {
		json_t *obj = json_object(), *arr = json_array();

		for (size_t i = 0; obj && arr && i < n; i++) {
			json_t *s = json_object();

			if (s == NULL) {
				break;
			}
			json_object_set_new(
			        s, "index",
			        json_integer((json_int_t)v[i].index));
			json_object_set_new(s, "event_time",
			                    cli_json_time(&v[i].event_time));
			json_object_set_new(s, "tz", cli_json_str(v[i].tz));
			json_object_set_new(s, "act", cli_json_str(v[i].act));
			json_object_set_new(s, "biz_step",
			                    cli_json_str(v[i].biz_step));
			json_object_set_new(s, "via", cli_json_str(v[i].via));
			json_object_set_new(s, "location",
			                    cli_json_str(v[i].location));
			json_object_set_new(s, "location_name",
			                    cli_json_str(cli_place_name(
			                            &pl, c, v[i].location)));
			json_object_set_new(s, "read_point",
			                    cli_json_str(v[i].read_point));
			json_object_set_new(
			        s, "signer",
			        party_json(v[i].signer, v[i].signer_name));
			json_object_set_new(s, "custodian",
			                    party_json(v[i].custodian,
			                               v[i].custodian_name));
			json_object_set_new(s, "declared",
			                    json_boolean(v[i].declared));
			json_array_append_new(arr, s);
		}
		if (obj != NULL && arr != NULL) {
			json_object_set_new(obj, "twin", cli_json_str(twin));
			json_object_set_new(obj, "steps", arr);
			arr = NULL;
		}
		json_decref(arr);
		code = cli_json_print(obj);
	} else {
		cli_table t;

		cli_table_init(&t, 8);
		cli_table_row(&t, "INDEX", "EVENT TIME", "ACT", "VIA",
		              "BIZ STEP", "LOCATION", "SIGNER", "CUSTODIAN");
		for (size_t i = 0; i < n; i++) {
			char idx[32], when[64], act[64];
			char place[WB_ID_MAX + 300];

			snprintf(idx, sizeof(idx), "%llu",
			         (unsigned long long)v[i].index);
			cli_format_time(when, sizeof(when),
			                v[i].event_time.seconds,
			                v[i].event_time.nanos,
			                v[i].event_time.has_nanos);
			snprintf(act, sizeof(act), "%s%s", v[i].act,
			         v[i].declared ? " (declared in error)" : "");
			cli_place_label(place, sizeof(place), &pl, c,
			                v[i].location[0] ? v[i].location
			                                 : v[i].read_point);
			cli_table_row(&t, idx, when, act, v[i].via,
			              wb_cbv_word(v[i].biz_step), place,
			              v[i].signer_name, v[i].custodian_name);
		}
		if (t.failed) {
			code = cli_fail(CLI_ERROR, "where", "out of memory");
		} else {
			cli_table_print(&t, stdout);
		}
		cli_table_fini(&t);
	}
out:
	cli_places_fini(&pl);
	free(v);
	cli_read_close(c, key);
	return code;
}

/*
 * waybill installations
 */

static const char installations_help[] =
        "usage: waybill installations PART [options]\n"
        "\n"
        "Every asset a part was installed in, oldest first: the installing\n"
        "and removing entries and times (still installed when there is no\n"
        "removal), and the part's stamps recorded while it was installed\n"
        "(maintenance, inspection, repair).\n"
        "\n"
        "Reads need a registered key (--key).\n";

static json_t *
installation_json(const wb_installation *in)
{
	json_t *o = json_object(), *st = json_array();

	if (o == NULL || st == NULL) {
		json_decref(o);
		json_decref(st);
		return NULL;
	}
	for (size_t k = 0; k < in->n_stamps; k++) {
		json_array_append_new(st,
		                      json_integer((json_int_t)in->stamps[k]));
	}
	json_object_set_new(o, "asset", cli_json_str(in->asset));
	json_object_set_new(o, "installed",
	                    json_integer((json_int_t)in->installed));
	json_object_set_new(o, "installed_at",
	                    cli_json_time(&in->installed_at));
	json_object_set_new(o, "removed",
	                    in->removed ? json_integer((json_int_t)in->removed)
	                                : json_null());
	json_object_set_new(o, "removed_at",
	                    in->removed ? cli_json_time(&in->removed_at)
	                                : json_null());
	json_object_set_new(o, "stamps", st);
	return o;
}

int
cmd_installations(int argc, char **argv)
{
	const char *twin;
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_installation *v = NULL;
	size_t n = 0;
	wb_problem p = { 0 };
	int code;
	wb_err rc;

	if ((code = twin_args(argc, argv, "installations", installations_help,
	                      &o, &twin)) != CLI_OK) {
		return code < 0 ? CLI_OK : code;
	}
	if ((code = cli_read_connect(&c, &key, "installations", &o)) !=
	    CLI_OK) {
		return code;
	}
	if ((rc = wb_rpc_installations(&v, &n, c, twin, &p)) != WB_OK) {
		code = cli_rpc_fail("installations", c, rc, &p, twin);
		goto out;
	}
	if (o.json) {
		json_t *obj = json_object(), *arr = json_array();

		for (size_t i = 0; obj && arr && i < n; i++) {
			json_array_append_new(arr, installation_json(&v[i]));
		}
		if (obj != NULL && arr != NULL) {
			json_object_set_new(obj, "part", cli_json_str(twin));
			json_object_set_new(obj, "installations", arr);
			arr = NULL;
		}
		json_decref(arr);
		code = cli_json_print(obj);
	} else {
		cli_table t;

		if (n == 0) {
			printf("%s was never installed in an asset\n", twin);
		}
		cli_table_init(&t, 4);
		cli_table_row(&t, "ASSET", "INSTALLED", "REMOVED",
		              "STAMPS WHILE INSTALLED");
		for (size_t i = 0; i < n; i++) {
			char inst[96], rem[96] = "still installed", when[64];
			char stamps[256] = "";
			size_t len = 0;

			cli_format_time(when, sizeof(when),
			                v[i].installed_at.seconds,
			                v[i].installed_at.nanos,
			                v[i].installed_at.has_nanos);
			snprintf(inst, sizeof(inst), "%llu (%s)",
			         (unsigned long long)v[i].installed, when);
			if (v[i].removed != 0) {
				cli_format_time(when, sizeof(when),
				                v[i].removed_at.seconds,
				                v[i].removed_at.nanos,
				                v[i].removed_at.has_nanos);
				snprintf(rem, sizeof(rem), "%llu (%s)",
				         (unsigned long long)v[i].removed,
				         when);
			}
			for (size_t k = 0;
			     k < v[i].n_stamps && len + 24 < sizeof(stamps);
			     k++) {
				len += (size_t)snprintf(
				        stamps + len, sizeof(stamps) - len,
				        "%s%llu", k ? "," : "",
				        (unsigned long long)v[i].stamps[k]);
			}
			cli_table_row(&t, v[i].asset, inst, rem, stamps);
		}
		if (n > 0) {
			cli_table_print(&t, stdout);
		}
		cli_table_fini(&t);
	}
out:
	wb_installations_free(v, n);
	cli_read_close(c, key);
	return code;
}

/*
 * waybill checkpoint
 */

static const char checkpoint_help[] =
        "usage: waybill checkpoint [--size N] [--log-key KEY|FILE]\n"
        "                          [options]\n"
        "\n"
        "Prints the log's signed checkpoint (a C2SP signed note: origin, tree\n"
        "size, root hash, the log key's signature) of tree size N, or the\n"
        "latest, after checking its signature with the log key: the one given\n"
        "(--log-key, the trust anchor) or else the one the server names.\n"
        "--json gives the origin, size, root (hex) and the note.\n"
        "\n"
        "Exit status 1 when the signature does not verify.\n"
        "Reads need a registered key (--key).\n";

int
cmd_checkpoint(int argc, char **argv)
{
	const char *log_key = NULL;
	unsigned long long size = 0;
	char origin[WB_KEY_NAME_MAX + 1];
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_checkpoint cp;
	wb_pubkey pk;
	char *note = NULL, root[2 * WB_HASH_LEN + 1];
	uint64_t got = 0;
	wb_problem p = { 0 };
	int code;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", checkpoint_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o) ||
		           cli_opt(argc, argv, &i, "--log-key", &log_key) ||
		           cli_index_opt(argc, argv, &i, "checkpoint", "--size",
		                         1, UINT64_MAX, &size)) {
			continue;
		} else {
			return cli_fail(CLI_USAGE, "checkpoint",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if ((code = cli_read_connect(&c, &key, "checkpoint", &o)) != CLI_OK) {
		return code;
	}
	if ((code = cli_log_anchor(origin, &pk, "checkpoint", c, log_key)) !=
	    CLI_OK) {
		goto out;
	}
	if ((rc = wb_rpc_checkpoint(&note, &got, c, size, &p)) != WB_OK) {
		code = cli_rpc_fail("checkpoint", c, rc, &p, "checkpoint");
		goto out;
	}
	if ((rc = wb_checkpoint_verify(&cp, note, strlen(note), origin, &pk)) !=
	            WB_OK ||
	    cp.size != got) {
		code = cli_fail(
		        CLI_VERIFY_FAILED, "checkpoint",
		        "the server's checkpoint does not verify with the log key %s (%s): do not trust this server's answers",
		        origin,
		        rc != WB_OK ? wb_strerror(rc)
		                    : "its size is not the one asked");
		goto out;
	}
	wb_hash_to_hex(root, &cp.root);
	if (o.json) {
		json_t *obj = json_object();

		if (obj != NULL) {
			json_object_set_new(obj, "origin",
			                    cli_json_str(cp.origin));
			json_object_set_new(obj, "size",
			                    json_integer((json_int_t)cp.size));
			json_object_set_new(obj, "root", json_string(root));
			json_object_set_new(obj, "note", cli_json_str(note));
		}
		code = cli_json_print(obj);
	} else {
		fputs(note, stdout);
	}
out:
	free(note);
	cli_read_close(c, key);
	return code;
}

/*
 * waybill info (of a server)
 */

static const char info_remote_help[] =
        "usage: waybill info [options]\n"
        "       waybill info --data DIR [--json]\n"
        "\n"
        "Asks the server (anonymously) for the ledger's origin, ID, log and\n"
        "admin keys, custody policy, tree size, limits, its counters and the\n"
        "latest checkpoint. With --data, reads a ledger directory instead.\n";

int
cmd_info_remote(int argc, char **argv)
{
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_rpc_info info = { 0 };
	char id[2 * WB_HASH_LEN + 1];
	wb_problem p = { 0 };
	int code;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", info_remote_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o)) {
			continue;
		} else {
			return cli_fail(CLI_USAGE, "info",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	/* Info is anonymous: no key is loaded even when one is named. */
	if ((code = cli_connect(&c, NULL, "info", &o, false)) != CLI_OK) {
		return code;
	}
	if ((rc = wb_rpc_info_get(&info, c, &p)) != WB_OK) {
		code = cli_rpc_fail("info", c, rc, &p, "info");
		goto out;
	}
	wb_hex_encode(id, info.ledger_id, WB_HASH_LEN);
	if (o.json) {
		json_t *obj = json_object();

		if (obj != NULL) {
			json_object_set_new(obj, "origin",
			                    cli_json_str(info.origin));
			json_object_set_new(obj, "ledger_id", json_string(id));
			json_object_set_new(obj, "log_key",
			                    cli_json_str(info.log_key));
			json_object_set_new(obj, "admin_key",
			                    cli_json_str(info.admin_key));
			json_object_set_new(obj, "custody",
			                    cli_json_str(info.custody));
			json_object_set_new(obj, "server_version",
			                    cli_json_str(info.server_version));
			json_object_set_new(
			        obj, "size",
			        json_integer((json_int_t)info.tree_size));
			json_object_set_new(
			        obj, "max_message_bytes",
			        json_integer(info.max_message_bytes));
			json_object_set_new(obj, "max_batch",
			                    json_integer(info.max_batch));
			json_object_set_new(obj, "max_in_flight",
			                    json_integer(info.max_in_flight));
			json_object_set_new(
			        obj, "requests",
			        json_integer((json_int_t)info.requests));
			json_object_set_new(
			        obj, "refusals",
			        json_integer((json_int_t)info.refusals));
			json_object_set_new(
			        obj, "commits",
			        json_integer((json_int_t)info.commits));
			json_object_set_new(obj, "mean_batch",
			                    json_real(info.mean_batch));
			json_object_set_new(obj, "checkpoint",
			                    cli_json_str(info.checkpoint));
		}
		code = cli_json_print(obj);
	} else {
		char buf[128];
		cli_table t;

		cli_table_init(&t, 2);
		cli_table_row(&t, "origin", info.origin);
		cli_table_row(&t, "ledger ID", id);
		cli_table_row(&t, "log key", info.log_key);
		cli_table_row(&t, "admin key", info.admin_key);
		cli_table_row(&t, "custody", info.custody);
		snprintf(buf, sizeof(buf), "%llu entries",
		         (unsigned long long)info.tree_size);
		cli_table_row(&t, "size", buf);
		cli_table_row(&t, "server", info.server_version);
		snprintf(
		        buf, sizeof(buf),
		        "%u bytes per message, %u stamps per batch, %u in flight",
		        info.max_message_bytes, info.max_batch,
		        info.max_in_flight);
		cli_table_row(&t, "limits", buf);
		snprintf(
		        buf, sizeof(buf),
		        "%llu requests, %llu refusals, %llu commits (%.1f stamps each)",
		        (unsigned long long)info.requests,
		        (unsigned long long)info.refusals,
		        (unsigned long long)info.commits, info.mean_batch);
		cli_table_row(&t, "counters", buf);
		cli_table_print(&t, stdout);
		cli_table_fini(&t);
		printf("checkpoint:\n%s",
		       info.checkpoint ? info.checkpoint : "");
	}
out:
	free(info.checkpoint);
	wb_rpc_client_close(c);
	return code;
}
