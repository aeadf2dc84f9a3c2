/* SPDX-License-Identifier: MIT */
/*
 * waybill export --fsma204 and waybill audit --fsma204: a lot's lineage
 * as the sortable CSV FSMA 204 asks for, with a proof bundle beside it,
 * and the offline check that re-derives every row from signed, logged
 * entries. docs/fsma204.md describes the rows, the CTE mapping and the
 * bundle.
 */
#include "cli.h"
#include "fsma.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char export_help[] =
        "usage: waybill export --fsma204 --lot LOT --out FILE.csv\n"
        "                      [--from TIME] [--to TIME] [--bundle FILE]\n"
        "                      [shared options]\n"
        "\n"
        "Writes the FSMA 204 records of a lot's lineage: one CSV row per\n"
        "critical tracking event (harvesting, cooling, initial packing, first\n"
        "land-based receiving, shipping, receiving, transformation) of the lot,\n"
        "the lots it was made from, the lots made from it, and the items and\n"
        "containers that carried them (every container, unpacked since or\n"
        "not), sorted by event date, then journal index. docs/fsma204.md says\n"
        "which sources and destinations give ship_from and ship_to.\n"
        "Beside it, the proof bundle holds every row's entry with its inclusion\n"
        "proof, the master data that names places and products, and the signed\n"
        "checkpoint they all lead to: `waybill audit --fsma204 FILE.csv` checks\n"
        "the file offline. Existing files are never overwritten.\n"
        "\n"
        "  --lot LOT        the traceability lot (EPC class URI, Digital Link,\n"
        "                   or any lot ID the ledger knows)\n"
        "  --out FILE.csv   the CSV to write\n"
        "  --from TIME      only events at or after TIME (RFC 3339)\n"
        "  --to TIME        only events at or before TIME (RFC 3339)\n"
        "  --bundle FILE    the proof bundle (default FILE.csv.bundle)\n"
        "\n"
        "Exit status: 0 written, 2 usage, 3 refused or no such lot, 4 network,\n"
        "5 files or a lineage beyond the trace limits.\n"
        "\n";

static const char audit_help[] =
        "usage: waybill audit --fsma204 FILE.csv --log-key KEY|FILE\n"
        "                     [--bundle FILE] [--json]\n"
        "\n"
        "Checks an FSMA 204 export offline: the checkpoint's signature by the\n"
        "log key, every entry's inclusion proof against it, every stamp's\n"
        "signature, and that the CSV holds exactly the rows those entries and\n"
        "the master data beside them say, in order. Every missing, extra,\n"
        "reordered or altered row is reported with its row number (row 1 is the\n"
        "first after the header) and what differs.\n"
        "\n"
        "  --log-key KEY    the ledger's log key: verifier key text or a file\n"
        "  --bundle FILE    the proof bundle (default FILE.csv.bundle)\n"
        "  --json           print JSON instead of text\n"
        "\n"
        "Exit status: 0 the file verifies, 1 it does not, 2 usage, 5 files\n"
        "cannot be read.\n";

#define CMD "export"

bool
cli_wants_fsma204(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fsma204") == 0) {
			return true;
		}
	}
	return false;
}

/*
 * The lineage graph: the nodes of the traces up and down from the lot.
 */

typedef struct {
	char *id;
	char key[WB_KEY_MAX + 1];
	bool lot;
} node;

typedef struct {
	size_t from, to;
	wb_edge_type type;
	uint64_t opened, closed; /* closed 0: still open */
} gedge;

typedef struct {
	node *v;
	size_t n, cap;
	gedge *e;
	size_t ne, cap_e;
	/* Once built (graph_index): node positions by key, and the edges
	 * sorted by `from` with first[i] the first of node i's. */
	const node **order;
	size_t *first;
} graph;

static int
order_cmp(const void *a, const void *b)
{
	return strcmp((*(const node *const *)a)->key,
	              (*(const node *const *)b)->key);
}

static int
edge_cmp(const void *a, const void *b)
{
	const gedge *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

static size_t
node_find(const graph *g, const char *key)
{
	size_t lo = 0, hi = g->n;

	if (g->order == NULL) {
		for (size_t i = 0; i < g->n; i++) {
			if (strcmp(g->v[i].key, key) == 0) {
				return i;
			}
		}
		return SIZE_MAX;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(g->order[mid]->key, key);

		if (c == 0) {
			return (size_t)(g->order[mid] - g->v);
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return SIZE_MAX;
}

/* Sorts for lookups once the graph is whole: a lineage of thousands of
 * twins is looked up once per ID of every stamp. */
static bool
graph_index(graph *g)
{
	if ((g->order = malloc((g->n + 1) * sizeof(*g->order))) == NULL ||
	    (g->first = calloc(g->n + 1, sizeof(*g->first))) == NULL) {
		return false;
	}
	for (size_t i = 0; i < g->n; i++) {
		g->order[i] = &g->v[i];
	}
	if (g->n > 1) {
		qsort(g->order, g->n, sizeof(*g->order), order_cmp);
	}
	if (g->ne > 1) {
		qsort(g->e, g->ne, sizeof(*g->e), edge_cmp);
	}
	for (size_t i = 0, k = 0; i <= g->n; i++) {
		while (k < g->ne && g->e[k].from < i) {
			k++;
		}
		g->first[i] = k;
	}
	return true;
}

static bool
node_add(size_t *pos, graph *g, const wb_trace_node *tn)
{
	size_t i = node_find(g, tn->key);

	if (i == SIZE_MAX) {
		if (g->n == g->cap) {
			size_t cap = g->cap ? 2 * g->cap : 64;
			node *v = realloc(g->v, cap * sizeof(*v));

			if (v == NULL) {
				return false;
			}
			g->v = v;
			g->cap = cap;
		}
		i = g->n;
		memset(&g->v[i], 0, sizeof(g->v[i]));
		if ((g->v[i].id = strdup(tn->id)) == NULL) {
			return false;
		}
		snprintf(g->v[i].key, sizeof(g->v[i].key), "%s", tn->key);
		g->n++;
	}
	*pos = i;
	return true;
}

static bool
graph_add(graph *g, const wb_trace *t)
{
	size_t *map = calloc(t->n_nodes + 1, sizeof(*map));
	bool ok = map != NULL;

	for (size_t i = 0; ok && i < t->n_nodes; i++) {
		ok = node_add(&map[i], g, &t->nodes[i]);
	}
	for (size_t i = 0; ok && i < t->n_edges; i++) {
		if (g->ne == g->cap_e) {
			size_t cap = g->cap_e ? 2 * g->cap_e : 64;
			gedge *v = realloc(g->e, cap * sizeof(*v));

			if (v == NULL) {
				ok = false;
				break;
			}
			g->e = v;
			g->cap_e = cap;
		}
		g->e[g->ne++] =
		        (gedge){ map[t->edges[i].from], map[t->edges[i].to],
			         t->edges[i].type, t->edges[i].opened,
			         t->edges[i].closed };
	}
	free(map);
	return ok;
}

static void
graph_fini(graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].id);
	}
	free(g->v);
	free(g->e);
	free((void *)g->order);
	free(g->first);
}

/*
 * The lots an item or container stands for in the stamp at index `at`:
 * from a container to what it contained then (packed before, unpacked
 * after: a case's shipping is a row of the loaves it carried, not of what
 * it held before or after), from an item to the lot it is a member of —
 * never the other way, so shipping one item is not a row of its
 * case-mates' lots. out holds g->n positions.
 */
static size_t
lots_of(size_t *out, const graph *g, size_t start, uint64_t at, bool *seen,
        size_t *queue)
{
	size_t head = 0, tail = 0, n = 0;

	memset(seen, 0, g->n * sizeof(*seen));
	queue[tail++] = start;
	seen[start] = true;
	while (head < tail) {
		size_t cur = queue[head++];

		if (g->v[cur].lot) {
			out[n++] = cur;
			continue;
		}
		for (size_t k = g->first[cur]; k < g->first[cur + 1]; k++) {
			const gedge *e = &g->e[k];

			if (e->type == WB_EDGE_CONTAINS &&
			    (at < e->opened ||
			     (e->closed != 0 && at >= e->closed))) {
				continue; /* not in the container then */
			}
			if ((e->type == WB_EDGE_CONTAINS ||
			     e->type == WB_EDGE_MEMBER_OF) &&
			    !seen[e->to]) {
				seen[e->to] = true;
				queue[tail++] = e->to;
			}
		}
	}
	return n;
}

/*
 * Export.
 */

typedef struct {
	const char *lot, *out, *bundle_path;
	bool has_from, has_to;
	wb_time from, to;
	cli_net_opts net;
} export_opts;

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every entry index in the history of every node, sorted, unique. */
static int
gather_history(uint64_t **out, size_t *n_out, wb_rpc_client *c, const graph *g)
{
	uint64_t *all = NULL;
	size_t n = 0, cap = 0;
	wb_problem p = { 0 };

	for (size_t i = 0; i < g->n; i++) {
		uint64_t after = 0, next;

		do {
			uint64_t *page = NULL;
			size_t np = 0;
			wb_err rc =
			        wb_rpc_history(&page, &np, &next, c, g->v[i].id,
			                       after, false, 0, &p);

			if (rc != WB_OK) {
				free(all);
				return cli_rpc_fail(CMD, c, rc, &p,
				                    "history of the lineage");
			}
			if (n + np > cap) {
				size_t nc = (n + np) * 2;
				uint64_t *v = realloc(all, nc * sizeof(*v));

				if (v == NULL) {
					free(page);
					free(all);
					return cli_fail(CLI_ERROR, CMD,
					                "out of memory");
				}
				all = v;
				cap = nc;
			}
			if (np > 0) {
				memcpy(all + n, page, np * sizeof(*page));
			}
			n += np;
			free(page);
			after = next;
		} while (next != 0);
	}
	if (n > 1) {
		qsort(all, n, sizeof(*all), u64_cmp);
	}
	{
		size_t w = 0;

		for (size_t i = 0; i < n; i++) {
			if (w == 0 || all[w - 1] != all[i]) {
				all[w++] = all[i];
			}
		}
		n = w;
	}
	*out = all;
	*n_out = n;
	return CLI_OK;
}

/* The bundle under construction: items with decoded stamps. */
static fsma_item *
item_new(fsma_bundle *b, size_t *cap)
{
	if (b->n_items == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		fsma_item *v = realloc(b->items, nc * sizeof(*v));

		if (v == NULL) {
			return NULL;
		}
		b->items = v;
		*cap = nc;
	}
	memset(&b->items[b->n_items], 0, sizeof(b->items[0]));
	return &b->items[b->n_items++];
}

static bool
item_has(const fsma_bundle *b, uint64_t index)
{
	for (size_t i = 0; i < b->n_items; i++) {
		if (b->items[i].index == index) {
			return true;
		}
	}
	return false;
}

static bool
add_row(fsma_item *it, const char *tlc, const char *via)
{
	fsma_attribution *v;

	for (size_t i = 0; i < it->n_rows; i++) {
		if (strcmp(it->rows[i].tlc, tlc) == 0) {
			return true; /* one row per lot and event */
		}
	}
	if ((v = realloc(it->rows, (it->n_rows + 1) * sizeof(*v))) == NULL) {
		return false;
	}
	it->rows = v;
	v[it->n_rows].tlc = strdup(tlc);
	v[it->n_rows].via = strdup(via);
	it->n_rows++;
	return v[it->n_rows - 1].tlc != NULL && v[it->n_rows - 1].via != NULL;
}

/* A fetched entry, decoded. */
typedef struct {
	uint64_t index;
	uint8_t *bytes;
	size_t len;
	wb_entry *entry;
	wb_stamp *stamp;
	bool used;
} fetched;

static void
fetched_free(fetched *f, size_t n)
{
	for (size_t i = 0; f != NULL && i < n; i++) {
		if (!f[i].used) {
			free(f[i].bytes);
			wb_stamp_free(f[i].stamp);
			wb_entry_free(f[i].entry);
		}
	}
	free(f);
}

/* Moves a fetched entry into the bundle. */
static fsma_item *
take(fsma_bundle *b, size_t *cap, fetched *f)
{
	fsma_item *it = item_new(b, cap);

	if (it == NULL) {
		return NULL;
	}
	it->index = f->index;
	it->bytes = f->bytes;
	it->len = f->len;
	it->entry = f->entry;
	it->stamp = f->stamp;
	f->used = true;
	return it;
}

static int
fetch_entries(fetched **out, const uint64_t *idx, size_t n, wb_rpc_client *c)
{
	fetched *f = calloc(n + 1, sizeof(*f));
	wb_problem p = { 0 };
	wb_err rc;

	*out = f;
	if (f == NULL) {
		return cli_fail(CLI_ERROR, CMD, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		f[i].index = idx[i];
		if ((rc = wb_rpc_get_entry(&f[i].bytes, &f[i].len, c, idx[i],
		                           &p)) != WB_OK) {
			return cli_rpc_fail(CMD, c, rc, &p, "an entry");
		}
		if (wb_entry_decode(&f[i].entry, f[i].bytes, f[i].len) !=
		    WB_OK) {
			return cli_fail(
			        CLI_VERIFY_FAILED, CMD,
			        "entry %llu from the server does not decode",
			        (unsigned long long)idx[i]);
		}
		if (f[i].entry->type == WB_ENTRY_STAMP &&
		    wb_stamp_decode(&f[i].stamp, f[i].entry->body,
		                    f[i].entry->body_len) != WB_OK) {
			return cli_fail(
			        CLI_VERIFY_FAILED, CMD,
			        "the stamp of entry %llu does not decode",
			        (unsigned long long)idx[i]);
		}
	}
	return CLI_OK;
}

/* Marks as lots the nodes a stamp counts in a quantity list. */
static void
mark_quantity_lots(graph *g, const wb_stamp *s)
{
	const wb_quantity *lists[3] = { s->quantities, s->input_quantities,
		                        s->output_quantities };
	size_t ns[3] = { s->n_quantities, s->n_input_quantities,
		         s->n_output_quantities };
	char key[WB_KEY_MAX + 1];
	size_t pos;

	for (int l = 0; l < 3; l++) {
		for (size_t i = 0; i < ns[l]; i++) {
			if (fsma_key(key, lists[l][i].epc_class) &&
			    (pos = node_find(g, key)) != SIZE_MAX) {
				g->v[pos].lot = true;
			}
		}
	}
}

static bool
in_window(const export_opts *o, const wb_stamp *s)
{
	return (!o->has_from || fsma_time_cmp(&s->event_time, &o->from) >= 0) &&
	       (!o->has_to || fsma_time_cmp(&s->event_time, &o->to) <= 0);
}

/* The rows of one fetched stamp, by the lots it names or stands for. */
static bool
attribute(fsma_item *it, const graph *g, size_t *lots, bool *seen,
          size_t *queue)
{
	char key[WB_KEY_MAX + 1];
	bool ok = true;
	const char **ids;
	size_t n;

	if ((ids = fsma_named_ids(&n, it->stamp)) == NULL) {
		return false;
	}
	for (size_t i = 0; i < n && ok; i++) {
		size_t pos, nl;

		if (!fsma_key(key, ids[i]) ||
		    (pos = node_find(g, key)) == SIZE_MAX) {
			continue;
		}
		nl = lots_of(lots, g, pos, it->index, seen, queue);
		for (size_t k = 0; k < nl && ok; k++) {
			ok = add_row(it, g->v[lots[k]].id, ids[i]);
		}
	}
	free(ids);
	return ok;
}

/* Fetches the master data of element id into the bundle, once. */
static int
fetch_master(fsma_bundle *b, size_t *cap, wb_rpc_client *c, const char *id)
{
	wb_problem p = { 0 };
	uint8_t *bytes = NULL;
	uint64_t index = 0;
	size_t len = 0;
	fsma_item *it;
	wb_err rc;

	if (id == NULL || id[0] == '\0') {
		return CLI_OK;
	}
	rc = wb_rpc_master_data(&index, &bytes, &len, c, id, &p);
	if (rc == WB_ENOTFOUND || rc == WB_EREJECTED) {
		return CLI_OK; /* not described: the row shows the ID */
	}
	if (rc != WB_OK) {
		return cli_rpc_fail(CMD, c, rc, &p, "master data");
	}
	if (item_has(b, index)) {
		free(bytes);
		return CLI_OK;
	}
	if ((it = item_new(b, cap)) == NULL) {
		free(bytes);
		return cli_fail(CLI_ERROR, CMD, "out of memory");
	}
	it->index = index;
	it->bytes = bytes;
	it->len = len;
	it->master = true;
	if (wb_entry_decode(&it->entry, bytes, len) != WB_OK ||
	    wb_stamp_decode(&it->stamp, it->entry->body, it->entry->body_len) !=
	            WB_OK ||
	    it->stamp->master_data == NULL) {
		return cli_fail(
		        CLI_VERIFY_FAILED, CMD,
		        "the master data of %s (entry %llu) from the server is not a master-data stamp",
		        id, (unsigned long long)index);
	}
	return CLI_OK;
}

/* The master data every row's places, parties and products need. */
static int
fetch_masters(fsma_bundle *b, size_t *cap, wb_rpc_client *c)
{
	size_t n = b->n_items;
	char key[WB_KEY_MAX + 1], product[WB_KEY_MAX + 1];
	int code = CLI_OK;

	for (size_t i = 0; i < n && code == CLI_OK; i++) {
		/* b->items may move as masters are added: index it. */
		const wb_stamp *s = b->items[i].stamp;
		const char *cte = fsma_cte_of(s);

		code = fetch_master(b, cap, c, fsma_place(s));
		if (code == CLI_OK && cte != NULL) {
			code = fetch_master(b, cap, c,
			                    fsma_ship_end(s, cte, false));
		}
		if (code == CLI_OK && cte != NULL) {
			code = fetch_master(b, cap, c,
			                    fsma_ship_end(s, cte, true));
		}
	}
	for (size_t i = 0; i < b->n_lots && code == CLI_OK; i++) {
		if (!fsma_key(key, b->lots[i])) {
			continue;
		}
		if (fsma_product_key(product, key)) {
			code = fetch_master(b, cap, c, product);
		}
		if (code == CLI_OK) {
			code = fetch_master(b, cap, c, b->lots[i]);
		}
	}
	return code;
}

static int
prove_all(fsma_bundle *b, wb_rpc_client *c)
{
	wb_problem p = { 0 };
	uint64_t size = 0, got;
	wb_hash leaf, want;
	char *note = NULL;
	wb_err rc;

	if ((rc = wb_rpc_checkpoint(&b->checkpoint, &size, c, 0, &p)) !=
	    WB_OK) {
		return cli_rpc_fail(CMD, c, rc, &p, "the latest checkpoint");
	}
	for (size_t i = 0; i < b->n_items; i++) {
		fsma_item *it = &b->items[i];

		rc = wb_rpc_inclusion_proof(it->proof, &it->n_proof, &leaf,
		                            &got, &note, c, it->index, size,
		                            &p);
		free(note);
		note = NULL;
		if (rc != WB_OK) {
			return cli_rpc_fail(CMD, c, rc, &p,
			                    "an inclusion proof");
		}
		wb_hash_leaf(&want, it->bytes, it->len);
		if (got != size || !wb_hash_equal(&leaf, &want)) {
			return cli_fail(
			        CLI_VERIFY_FAILED, CMD,
			        "the server's proof of entry %llu is not of the entry it sent",
			        (unsigned long long)it->index);
		}
	}
	return CLI_OK;
}

static FILE *
create(const char *path)
{
	FILE *f = fopen(path, "wx");

	if (f == NULL) {
		cli_fail(
		        CLI_ERROR, CMD,
		        "cannot create %s: %s (an existing file is never overwritten)",
		        path, strerror(errno));
	}
	return f;
}

static int
write_files(const export_opts *o, const fsma_bundle *b, const fsma_row *rows,
            size_t n)
{
	FILE *csv, *bf;
	bool ok;

	if ((csv = create(o->out)) == NULL) {
		return CLI_ERROR;
	}
	if ((bf = create(o->bundle_path)) == NULL) {
		fclose(csv);
		unlink(o->out);
		return CLI_ERROR;
	}
	ok = fsma_csv_write(csv, rows, n);
	ok = fsma_bundle_write(bf, b) && ok;
	ok = fclose(csv) == 0 && ok;
	ok = fclose(bf) == 0 && ok;
	if (!ok) {
		unlink(o->out);
		unlink(o->bundle_path);
		return cli_fail(CLI_ERROR, CMD, "cannot write %s or %s: %s",
		                o->out, o->bundle_path, strerror(errno));
	}
	return CLI_OK;
}

/* Every edge the lot's lineage ever had, closed ones too: a case unpacked
 * at the store still carried the lot's items there, and its shipping and
 * receiving are the lot's records. */
static int
trace_lineage(graph *g, wb_rpc_client *c, const char *lot)
{
	wb_trace_opts to = { .max_nodes = 100000, .include_closed = true };
	wb_problem p = { 0 };
	wb_trace *t = NULL;
	wb_err rc;

	for (int down = 0; down < 2; down++) {
		to.down = down == 1;
		if ((rc = wb_rpc_trace(&t, c, lot, &to, &p)) != WB_OK) {
			if (rc == WB_ENOTFOUND && wb_rpc_client_reached(c)) {
				return cli_fail(
				        CLI_REFUSED, CMD,
				        "no such lot: %s was never stamped (check the lot code, e.g. urn:epc:class:lgtin:...)",
				        lot);
			}
			return cli_rpc_fail(CMD, c, rc, &p, "trace of the lot");
		}
		if (t->truncated) {
			wb_trace_free(t);
			return cli_fail(
			        CLI_ERROR, CMD,
			        "the lineage of %s goes beyond the trace limits (depth %d, 100000 twins): the export would be incomplete",
			        lot, WB_TRACE_DEFAULT_DEPTH);
		}
		if (!graph_add(g, t)) {
			wb_trace_free(t);
			return cli_fail(CLI_ERROR, CMD, "out of memory");
		}
		wb_trace_free(t);
		t = NULL;
	}
	return CLI_OK;
}

static int
run_export(const export_opts *o)
{
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	graph g = { 0 };
	fsma_bundle b = { 0 };
	fetched *f = NULL;
	uint64_t *idx = NULL;
	size_t n_idx = 0, cap = 0, n_rows = 0;
	size_t *lots = NULL, *queue = NULL;
	bool *seen = NULL;
	fsma_row *rows = NULL;
	char err[512];
	int code;

	if ((code = cli_connect(&c, &key, CMD, &o->net, true)) != CLI_OK) {
		return code;
	}
	if ((code = trace_lineage(&g, c, o->lot)) != CLI_OK ||
	    (code = graph_index(&g) ? CLI_OK
	                            : cli_fail(CLI_ERROR, CMD,
	                                       "out of memory")) != CLI_OK ||
	    (code = gather_history(&idx, &n_idx, c, &g)) != CLI_OK ||
	    (code = fetch_entries(&f, idx, n_idx, c)) != CLI_OK) {
		goto out;
	}
	/* Lots: the lot asked for, GS1 classes, and what stamps count. */
	for (size_t i = 0; i < g.n; i++) {
		wb_twin_id tid;

		g.v[i].lot = i == 0 ||
		             (wb_id_parse(&tid, g.v[i].id, strlen(g.v[i].id),
		                          NULL) == WB_OK &&
		              tid.kind == WB_ID_GS1_CLASS);
	}
	for (size_t i = 0; i < n_idx; i++) {
		if (f[i].stamp != NULL) {
			mark_quantity_lots(&g, f[i].stamp);
		}
	}
	lots = calloc(g.n + 1, sizeof(*lots));
	queue = calloc(g.n + 1, sizeof(*queue));
	seen = calloc(g.n + 1, sizeof(*seen));
	b.lot = strdup(o->lot);
	b.lots = calloc(g.n + 1, sizeof(*b.lots));
	if (lots == NULL || queue == NULL || seen == NULL || b.lot == NULL ||
	    b.lots == NULL) {
		code = cli_fail(CLI_ERROR, CMD, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < g.n; i++) {
		if (g.v[i].lot &&
		    (b.lots[b.n_lots++] = strdup(g.v[i].id)) == NULL) {
			code = cli_fail(CLI_ERROR, CMD, "out of memory");
			goto out;
		}
	}
	b.has_from = o->has_from;
	b.from = o->from;
	b.has_to = o->has_to;
	b.to = o->to;
	/* The CTE stamps, each with its rows. */
	for (size_t i = 0; i < n_idx; i++) {
		fsma_item *it;

		if (f[i].stamp == NULL || fsma_cte_of(f[i].stamp) == NULL ||
		    !in_window(o, f[i].stamp)) {
			continue;
		}
		if ((it = take(&b, &cap, &f[i])) == NULL ||
		    !attribute(it, &g, lots, seen, queue)) {
			code = cli_fail(CLI_ERROR, CMD, "out of memory");
			goto out;
		}
	}
	/* Where each lot got its code, even outside the window. */
	for (size_t l = 0; l < b.n_lots; l++) {
		char lot_key[WB_KEY_MAX + 1];

		if (!fsma_key(lot_key, b.lots[l])) {
			continue;
		}
		for (size_t i = 0; i < n_idx; i++) {
			if (f[i].stamp != NULL &&
			    fsma_creates(f[i].stamp, lot_key)) {
				if (!f[i].used &&
				    take(&b, &cap, &f[i]) == NULL) {
					code = cli_fail(CLI_ERROR, CMD,
					                "out of memory");
					goto out;
				}
				break;
			}
		}
	}
	if ((code = fetch_masters(&b, &cap, c)) != CLI_OK ||
	    (code = prove_all(&b, c)) != CLI_OK) {
		goto out;
	}
	if (!fsma_derive(&rows, &n_rows, &b, err, sizeof(err))) {
		code = cli_fail(CLI_ERROR, CMD, "cannot derive the rows: %s",
		                err);
		goto out;
	}
	if ((code = write_files(o, &b, rows, n_rows)) != CLI_OK) {
		goto out;
	}
	if (o->net.json) {
		json_t *lv = json_array();

		for (size_t i = 0; lv != NULL && i < b.n_lots; i++) {
			json_array_append_new(lv, json_string(b.lots[i]));
		}
		code = cli_json_print(
		        json_pack("{s:s,s:s,s:s,s:I,s:I,s:o*}", "lot", o->lot,
		                  "csv", o->out, "bundle", o->bundle_path,
		                  "rows", (json_int_t)n_rows, "entries",
		                  (json_int_t)b.n_items, "lots", lv));
	} else {
		printf("wrote %zu rows for lot %s (%zu lots in its lineage) to %s\n"
		       "proofs of %zu entries in %s\n",
		       n_rows, o->lot, b.n_lots, o->out, b.n_items,
		       o->bundle_path);
	}
out:
	fsma_rows_free(rows, n_rows);
	fsma_bundle_fini(&b);
	fetched_free(f, n_idx);
	free(idx);
	free(lots);
	free(queue);
	free(seen);
	graph_fini(&g);
	wb_rpc_client_close(c);
	wb_signer_free(key);
	return code;
}

int
cmd_export_fsma204(int argc, char **argv)
{
	export_opts o = { 0 };
	char default_bundle[4096];
	const char *v;

	cli_net_init(&o.net);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(export_help, stdout);
			fputs(cli_net_help, stdout);
			return CLI_OK;
		} else if (strcmp(argv[i], "--fsma204") == 0) {
			continue;
		} else if (strcmp(argv[i], "--data") == 0) {
			return cli_fail(
			        CLI_USAGE, CMD,
			        "--fsma204 reads through the daemon: give --server URL (and --key), not --data");
		} else if (cli_opt(argc, argv, &i, "--lot", &o.lot) ||
		           cli_opt(argc, argv, &i, "--out", &o.out) ||
		           cli_opt(argc, argv, &i, "--bundle",
		                   &o.bundle_path) ||
		           cli_net_opt(argc, argv, &i, &o.net)) {
			continue;
		} else if (cli_opt(argc, argv, &i, "--from", &v)) {
			if (!fsma_parse_time(&o.from, v)) {
				return cli_fail(
				        CLI_USAGE, CMD,
				        "--from takes an RFC 3339 time such as 2026-01-01T00:00:00Z, not %s",
				        v);
			}
			o.has_from = true;
		} else if (cli_opt(argc, argv, &i, "--to", &v)) {
			if (!fsma_parse_time(&o.to, v)) {
				return cli_fail(
				        CLI_USAGE, CMD,
				        "--to takes an RFC 3339 time such as 2026-12-31T23:59:59Z, not %s",
				        v);
			}
			o.has_to = true;
		} else {
			return cli_fail(
			        CLI_USAGE, CMD,
			        "unknown argument %s (see --fsma204 --help)",
			        argv[i]);
		}
	}
	if (o.lot == NULL || o.out == NULL) {
		return cli_fail(CLI_USAGE, CMD,
		                "--fsma204 needs --lot LOT and --out FILE.csv");
	}
	if (o.has_from && o.has_to && fsma_time_cmp(&o.from, &o.to) > 0) {
		return cli_fail(CLI_USAGE, CMD, "--from is after --to");
	}
	if (o.bundle_path == NULL) {
		snprintf(default_bundle, sizeof(default_bundle), "%s.bundle",
		         o.out);
		o.bundle_path = default_bundle;
	}
	return run_export(&o);
}

/*
 * Audit.
 */

#undef CMD
#define CMD "audit"

typedef struct {
	json_t *problems; /* JSON mode */
	bool json;
	size_t n;
} report;

static void problem(report *r, long row, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* One finding; row 0: about the bundle, not a row. */
static void
problem(report *r, long row, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->n++;
	if (r->json) {
		json_t *o = json_pack("{s:s}", "problem", msg);

		if (o != NULL && row > 0) {
			json_object_set_new(o, "row", json_integer(row));
		}
		json_array_append_new(r->problems, o);
	} else if (row > 0) {
		printf("row %ld: %s\n", row, msg);
	} else {
		printf("%s\n", msg);
	}
}

/* Checks the checkpoint, each proof and each signature. */
static bool
verify_bundle(report *r, const fsma_bundle *b, const char *origin,
              const wb_pubkey *log_key, wb_checkpoint *cp)
{
	bool ok = true;

	if (wb_checkpoint_verify(cp, b->checkpoint, strlen(b->checkpoint),
	                         origin, log_key) != WB_OK) {
		problem(r, 0,
		        "the bundle's checkpoint is not signed by the log key %s",
		        origin);
		return false;
	}
	for (size_t i = 0; i < b->n_items; i++) {
		const fsma_item *it = &b->items[i];
		uint8_t proof[WB_MERKLE_MAX_PROOF * WB_HASH_LEN];
		wb_hash leaf;

		for (size_t k = 0; k < it->n_proof; k++) {
			memcpy(proof + k * WB_HASH_LEN, it->proof[k].b,
			       WB_HASH_LEN);
		}
		wb_hash_leaf(&leaf, it->bytes, it->len);
		if (wb_merkle_verify_inclusion(
		            leaf.b, WB_HASH_LEN, it->index, cp->size, proof,
		            it->n_proof * WB_HASH_LEN, cp->root.b,
		            WB_HASH_LEN) != WB_OK) {
			problem(r, 0,
			        "bundle entry %zu (journal index %llu): its inclusion proof does not lead to the checkpoint's root (tree size %llu): the entry or its proof was altered",
			        i + 1, (unsigned long long)it->index,
			        (unsigned long long)cp->size);
			ok = false;
		}
	}
	return ok;
}

/* Decodes the entries and checks what each says of itself. */
static bool
verify_entries(report *r, fsma_bundle *b)
{
	char err[512];
	bool ok = true;

	if (!fsma_bundle_decode(b, err, sizeof(err))) {
		problem(r, 0, "%s", err);
		return false;
	}
	for (size_t i = 0; i < b->n_items; i++) {
		const fsma_item *it = &b->items[i];

		if (it->entry->index != it->index) {
			problem(r, 0,
			        "bundle entry %zu: it says it is journal entry %llu, not %llu",
			        i + 1, (unsigned long long)it->entry->index,
			        (unsigned long long)it->index);
			ok = false;
		}
		if (wb_sig_verify(&it->entry->signer, WB_SIG_STAMP,
		                  it->entry->body, it->entry->body_len,
		                  it->entry->signature) != WB_OK) {
			problem(r, 0,
			        "entry %llu: the stamp's signature does not verify",
			        (unsigned long long)it->index);
			ok = false;
		}
	}
	return ok;
}

static void
compare_rows(report *r, char ***csv, const size_t *ncols, size_t n_csv,
             const fsma_row *rows, size_t n_rows)
{
	size_t *match = calloc(n_csv + 1, sizeof(*match));
	bool *used = calloc(n_rows + 1, sizeof(*used));
	size_t last = 0;
	bool have_last = false;

	if (match == NULL || used == NULL) {
		problem(r, 0, "out of memory");
		goto out;
	}
	if (n_csv == 0 || ncols[0] != FSMA_COLS) {
		problem(r, 0, "line 1 is not the header row of %d columns",
		        FSMA_COLS);
		goto out;
	}
	for (size_t c = 0; c < FSMA_COLS; c++) {
		if (strcmp(csv[0][c], fsma_columns[c]) != 0) {
			problem(r, 0,
			        "the header's column %zu is \"%s\", not \"%s\"",
			        c + 1, csv[0][c], fsma_columns[c]);
		}
	}
	for (size_t i = 1; i < n_csv; i++) {
		char **cell = csv[i];
		size_t j;

		match[i] = SIZE_MAX;
		if (ncols[i] != FSMA_COLS) {
			problem(r, (long)i, "it has %zu fields, not %d",
			        ncols[i], FSMA_COLS);
			continue;
		}
		for (j = 0; j < n_rows; j++) {
			if (!used[j] &&
			    strcmp(rows[j].cell[FSMA_JOURNAL_INDEX],
			           cell[FSMA_JOURNAL_INDEX]) == 0 &&
			    strcmp(rows[j].cell[FSMA_TLC], cell[FSMA_TLC]) ==
			            0) {
				break;
			}
		}
		if (j == n_rows) {
			problem(r, (long)i,
			        "extra: no entry of the bundle says it (journal index \"%s\", lot \"%s\")",
			        cell[FSMA_JOURNAL_INDEX], cell[FSMA_TLC]);
			continue;
		}
		used[j] = true;
		match[i] = j;
		for (size_t c = 0; c < FSMA_COLS; c++) {
			if (strcmp(cell[c], rows[j].cell[c]) != 0) {
				problem(r, (long)i,
				        "%s is \"%s\", but journal entry %llu says \"%s\"",
				        fsma_columns[c], cell[c],
				        (unsigned long long)rows[j].index,
				        rows[j].cell[c]);
			}
		}
		if (have_last && j < last) {
			problem(r, (long)i,
			        "out of order: the row of journal entry %llu (lot %s) belongs before the row above it (rows sort by event_date, then journal_index)",
			        (unsigned long long)rows[j].index,
			        rows[j].cell[FSMA_TLC]);
		}
		last = j;
		have_last = true;
	}
	for (size_t j = 0; j < n_rows; j++) {
		if (!used[j]) {
			problem(r, (long)(j + 1),
			        "missing: journal entry %llu's %s row for lot %s is not in the file (expected as row %zu)",
			        (unsigned long long)rows[j].index,
			        rows[j].cell[FSMA_CTE], rows[j].cell[FSMA_TLC],
			        j + 1);
		}
	}
out:
	free(match);
	free(used);
}

static FILE *
open_read(const char *path)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		cli_fail(CLI_ERROR, CMD, "cannot open %s: %s", path,
		         strerror(errno));
	}
	return f;
}

int
cmd_audit_fsma204(int argc, char **argv)
{
	const char *csv_path = NULL, *bundle_path = NULL, *log_key = NULL;
	char default_bundle[4096], origin[WB_KEY_NAME_MAX + 1], err[512];
	report r = { 0 };
	fsma_bundle b = { 0 };
	wb_checkpoint cp = { 0 };
	wb_pubkey pk;
	char ***csv = NULL;
	size_t *ncols = NULL, n_csv = 0, n_rows = 0;
	fsma_row *rows = NULL;
	FILE *f;
	int code = CLI_ERROR;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(audit_help, stdout);
			return CLI_OK;
		} else if (strcmp(argv[i], "--fsma204") == 0) {
			continue;
		} else if (strcmp(argv[i], "--json") == 0) {
			r.json = true;
		} else if (cli_opt(argc, argv, &i, "--bundle", &bundle_path) ||
		           cli_opt(argc, argv, &i, "--log-key", &log_key)) {
			continue;
		} else if (argv[i][0] != '-' && csv_path == NULL) {
			csv_path = argv[i];
		} else {
			return cli_fail(
			        CLI_USAGE, CMD,
			        "unknown argument %s (see --fsma204 --help)",
			        argv[i]);
		}
	}
	if (csv_path == NULL || log_key == NULL) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "--fsma204 needs the CSV file and --log-key KEY|FILE (the ledger's log key, e.g. from `waybill info`)");
	}
	if (wb_keyfile_read_public(origin, &pk, log_key) != WB_OK) {
		return cli_fail(
		        CLI_USAGE, CMD,
		        "--log-key %s is neither verifier key text (ORIGIN+KEYID+BASE64) nor a file holding it",
		        log_key);
	}
	if (bundle_path == NULL) {
		snprintf(default_bundle, sizeof(default_bundle), "%s.bundle",
		         csv_path);
		bundle_path = default_bundle;
	}
	if ((f = open_read(csv_path)) == NULL) {
		return CLI_ERROR;
	}
	if (!fsma_csv_read(&csv, &ncols, &n_csv, f, err, sizeof(err))) {
		fclose(f);
		return cli_fail(CLI_VERIFY_FAILED, CMD,
		                "%s is not a readable CSV file: %s", csv_path,
		                err);
	}
	fclose(f);
	if ((f = open_read(bundle_path)) == NULL) {
		goto out;
	}
	if (!fsma_bundle_read(&b, f, err, sizeof(err))) {
		fclose(f);
		code = cli_fail(CLI_VERIFY_FAILED, CMD, "the bundle %s: %s",
		                bundle_path, err);
		goto out;
	}
	fclose(f);
	if (r.json && (r.problems = json_array()) == NULL) {
		code = cli_fail(CLI_ERROR, CMD, "out of memory");
		goto out;
	}
	if (verify_bundle(&r, &b, origin, &pk, &cp) && verify_entries(&r, &b)) {
		if (!fsma_derive(&rows, &n_rows, &b, err, sizeof(err))) {
			problem(&r, 0, "%s", err);
		} else {
			compare_rows(&r, csv, ncols, n_csv, rows, n_rows);
		}
	}
	code = r.n == 0 ? CLI_OK : CLI_VERIFY_FAILED;
	if (r.json) {
		code = cli_json_print(json_pack("{s:b,s:s,s:I,s:I,s:o}", "ok",
		                                r.n == 0, "lot", b.lot, "rows",
		                                (json_int_t)n_rows, "tree_size",
		                                (json_int_t)cp.size, "problems",
		                                r.problems)) == CLI_OK
		               ? code
		               : CLI_ERROR;
		r.problems = NULL;
	} else if (r.n == 0) {
		printf("ok: %zu rows of lot %s verify against the checkpoint of %s at tree size %llu\n",
		       n_rows, b.lot, origin, (unsigned long long)cp.size);
	} else {
		printf("FAILED: %zu problems in %s\n", r.n, csv_path);
	}
out:
	json_decref(r.problems);
	fsma_rows_free(rows, n_rows);
	fsma_bundle_fini(&b);
	fsma_csv_free(csv, ncols, n_csv);
	return code;
}
