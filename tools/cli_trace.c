/* SPDX-License-Identifier: MIT */
/*
 * waybill trace and waybill recall status / impact / since: the lineage
 * graph and the recalls, over the network.
 *
 * Errors: every command returns an exit code of cli.h after printing what
 * to fix. Reads need a registered key, except `recall status` against a
 * daemon that answers it anonymously (--public-recall-status).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *
state_name(wb_recall_state s)
{
	return s == WB_RECALL_AFFECTED  ? "affected"
	       : s == WB_RECALL_HOLDING ? "holding"
	                                : "clear";
}

static const char *
severity_name(bool has, wb_recall_class c)
{
	static const char *const names[] = { NULL, "I", "II", "III" };

	return has && c <= WB_RECALL_CLASS_III ? names[c] : NULL;
}

static json_t *
hit_json(const wb_recall_hit *h)
{
	json_t *o = json_object(), *path = json_array(), *edges = json_array();

	if (o == NULL || path == NULL || edges == NULL) {
		json_decref(o);
		json_decref(path);
		json_decref(edges);
		return NULL;
	}
	for (size_t i = 0; i < h->n_path && i < WB_PATH_MAX; i++) {
		json_array_append_new(path, cli_json_str(h->path[i]));
		if (i + 1 < h->n_path) {
			json_array_append_new(edges,
			                      json_string(wb_edge_type_name(
			                              h->path_edges[i])));
		}
	}
	json_object_set_new(o, "recall_index",
	                    json_integer((json_int_t)h->recall_index));
	json_object_set_new(o, "state", json_string(state_name(h->state)));
	json_object_set_new(o, "reason", cli_json_str(h->reason));
	json_object_set_new(
	        o, "severity",
	        cli_json_str(severity_name(h->has_severity, h->severity)));
	json_object_set_new(o, "issuer", json_integer((json_int_t)h->issuer));
	json_object_set_new(o, "issuer_name", cli_json_str(h->issuer_name));
	json_object_set_new(o, "path", path);
	json_object_set_new(o, "path_edges", edges);
	return o;
}

json_t *
cli_recall_status_json(const wb_recall_status *s)
{
	json_t *o = json_object(), *hits = json_array();

	if (o == NULL || hits == NULL) {
		json_decref(o);
		json_decref(hits);
		return NULL;
	}
	for (size_t i = 0; i < s->n_hits; i++) {
		json_array_append_new(hits, hit_json(&s->hits[i]));
	}
	json_object_set_new(o, "state", json_string(state_name(s->state)));
	json_object_set_new(o, "hits", hits);
	return o;
}

void
cli_recall_status_print(const wb_recall_status *s, const char *twin)
{
	printf("%s: %s\n", twin,
	       s->state == WB_RECALL_AFFECTED ? "AFFECTED by a recall"
	       : s->state == WB_RECALL_HOLDING
	               ? "HOLDING affected stock (pull it)"
	               : "clear: no active recall");
	for (size_t i = 0; i < s->n_hits; i++) {
		const wb_recall_hit *h = &s->hits[i];
		const char *sev = severity_name(h->has_severity, h->severity);

		printf("  recall %llu (%s%s%sby %s): %s\n",
		       (unsigned long long)h->recall_index, sev ? "class " : "",
		       sev ? sev : "", sev ? ", " : "",
		       h->issuer_name[0] ? h->issuer_name : "?", h->reason);
		printf("    path: ");
		for (size_t k = 0; k < h->n_path && k < WB_PATH_MAX; k++) {
			printf("%s", h->path[k]);
			if (k + 1 < h->n_path) {
				/* Edges point from the target towards the
				 * twin; name them in that direction. */
				printf(" -[%s]-> ",
				       wb_edge_type_name(h->path_edges[k]));
			}
		}
		printf("\n");
	}
}

/*
 * waybill trace
 */

static const char trace_help[] =
        "usage: waybill trace TWIN [--up|--down|--both] [--depth N]\n"
        "                     [--as-of N] [--include-closed] [--dot]\n"
        "                     [options]\n"
        "\n"
        "Walks the lineage graph from a twin. Upstream (the default) finds\n"
        "what went into it: the inputs it was made from, its lot, the\n"
        "children of a container, the parts of an asset. Downstream finds\n"
        "where it went: outputs made from it, members of a lot, the\n"
        "containers and assets that hold it. Edges: contains, made-from,\n"
        "installed-in, member-of, each with the entry that opened it.\n"
        "\n"
        "By default only the edges open now (or at --as-of) count: a case\n"
        "unpacked, a part removed is no longer linked. --include-closed walks\n"
        "every edge ever opened up to that point, each closed one with the\n"
        "entry and time that closed it (the CLOSED column; \"closed\" and\n"
        "\"closed_at\" in JSON; dashed in --dot): every case a lot's items\n"
        "travelled in, every aircraft a part flew on.\n"
        "\n"
        "  --up, --down, --both   the direction: one of them (default --up)\n"
        "  --depth N              at most N steps (default 32)\n"
        "  --as-of N              the graph as entry N left it\n"
        "  --include-closed       also the edges closed since they opened\n"
        "  --dot                  Graphviz input: nodes labelled with the ID\n"
        "                         and its kind, edges with their type and the\n"
        "                         opening entry, closed ones dashed with the\n"
        "                         closing entry (`| dot -Tsvg >trace.svg`)\n"
        "\n"
        "Reads need a registered key (--key).\n";

static const char *
id_kind(const char *id)
{
	static const char *const names[] = { "other", "epc", "gs1-item",
		                             "gs1-class", "gs1-party" };
	wb_twin_id tid;

	if (wb_id_parse(&tid, id, strlen(id), NULL) != WB_OK ||
	    tid.kind > WB_ID_GS1_PARTY) {
		return "other";
	}
	return names[tid.kind];
}

static json_t *
trace_json(const wb_trace *t, const char *direction)
{
	json_t *o = json_object(), *nodes = json_array(), *edges = json_array();

	if (o == NULL || nodes == NULL || edges == NULL) {
		json_decref(o);
		json_decref(nodes);
		json_decref(edges);
		return NULL;
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		json_t *n = json_object();

		if (n == NULL) {
			continue;
		}
		json_object_set_new(n, "id", cli_json_str(t->nodes[i].id));
		json_object_set_new(n, "key", cli_json_str(t->nodes[i].key));
		json_object_set_new(n, "kind",
		                    json_string(id_kind(t->nodes[i].id)));
		json_object_set_new(n, "depth",
		                    json_integer(t->nodes[i].depth));
		json_array_append_new(nodes, n);
	}
	for (size_t i = 0; i < t->n_edges; i++) {
		const wb_trace_edge *e = &t->edges[i];
		json_t *j = json_object();

		if (j == NULL || e->from >= t->n_nodes || e->to >= t->n_nodes) {
			json_decref(j);
			continue;
		}
		json_object_set_new(j, "type",
		                    json_string(wb_edge_type_name(e->type)));
		json_object_set_new(j, "from",
		                    cli_json_str(t->nodes[e->from].id));
		json_object_set_new(j, "to", cli_json_str(t->nodes[e->to].id));
		json_object_set_new(j, "opened",
		                    json_integer((json_int_t)e->opened));
		json_object_set_new(j, "opened_at",
		                    cli_json_time(&e->opened_at));
		json_object_set_new(
		        j, "closed",
		        e->closed ? json_integer((json_int_t)e->closed)
		                  : json_null());
		json_object_set_new(j, "closed_at",
		                    e->closed ? cli_json_time(&e->closed_at)
		                              : json_null());
		json_object_set_new(j, "quantity",
		                    e->has_quantity ? json_real(e->quantity)
		                                    : json_null());
		json_array_append_new(edges, j);
	}
	json_object_set_new(o, "direction", json_string(direction));
	json_object_set_new(o, "nodes", nodes);
	json_object_set_new(o, "edges", edges);
	json_object_set_new(o, "truncated", json_boolean(t->truncated));
	return o;
}

/* A DOT double-quoted string: quotes and backslashes escaped, control
 * characters (none in valid IDs) dropped. */
static void
dot_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			fputc('\\', f);
		}
		if ((unsigned char)*s >= 0x20) {
			fputc(*s, f);
		}
	}
	fputc('"', f);
}

/* Nodes are named by their canonical key, so the up and down walks of
 * --both meet in one node. */
static void
trace_dot(FILE *f, wb_trace *const *t, size_t n_t, const char *start)
{
	fprintf(f, "digraph lineage {\n"
	           "  rankdir=LR;\n"
	           "  node [shape=box, fontname=\"Helvetica\"];\n"
	           "  edge [fontname=\"Helvetica\", fontsize=10];\n");
	for (size_t k = 0; k < n_t; k++) {
		for (size_t i = 0; i < t[k]->n_nodes; i++) {
			const wb_trace_node *n = &t[k]->nodes[i];
			char label[WB_ID_MAX + 64];

			if (k > 0 && i == 0) {
				continue; /* the start, already drawn */
			}
			fprintf(f, "  ");
			dot_string(f, n->key);
			snprintf(label, sizeof(label), "%s\n(%s)", n->id,
			         id_kind(n->id));
			fprintf(f, " [label=");
			/* dot_string drops the newline: write \n as DOT's
			 * escape instead. */
			fputc('"', f);
			for (const char *s = label; *s; s++) {
				if (*s == '\n') {
					fputs("\\n", f);
					continue;
				}
				if (*s == '"' || *s == '\\') {
					fputc('\\', f);
				}
				if ((unsigned char)*s >= 0x20) {
					fputc(*s, f);
				}
			}
			fputc('"', f);
			fprintf(f, "%s];\n",
			        strcmp(n->id, start) == 0 && i == 0
			                ? ", style=bold"
			                : "");
		}
	}
	for (size_t k = 0; k < n_t; k++) {
		for (size_t i = 0; i < t[k]->n_edges; i++) {
			const wb_trace_edge *e = &t[k]->edges[i];
			char label[96];

			if (e->from >= t[k]->n_nodes ||
			    e->to >= t[k]->n_nodes) {
				continue;
			}
			if (e->closed != 0) {
				snprintf(label, sizeof(label),
				         "%s @%llu (closed @%llu)",
				         wb_edge_type_name(e->type),
				         (unsigned long long)e->opened,
				         (unsigned long long)e->closed);
			} else {
				snprintf(label, sizeof(label), "%s @%llu",
				         wb_edge_type_name(e->type),
				         (unsigned long long)e->opened);
			}
			fprintf(f, "  ");
			dot_string(f, t[k]->nodes[e->from].key);
			fprintf(f, " -> ");
			dot_string(f, t[k]->nodes[e->to].key);
			fprintf(f, " [label=");
			dot_string(f, label);
			fprintf(f, "%s];\n", e->closed ? ", style=dashed" : "");
		}
	}
	fprintf(f, "}\n");
}

static void
trace_table(const wb_trace *t, const char *direction)
{
	cli_table tb;
	size_t closed = 0;
	char n_closed[48] = "";

	for (size_t i = 0; i < t->n_edges; i++) {
		closed += t->edges[i].closed != 0;
	}
	if (closed > 0) {
		snprintf(n_closed, sizeof(n_closed), " (%zu closed)", closed);
	}
	printf("%s from %s: %zu twins, %zu edges%s%s\n", direction,
	       t->n_nodes ? t->nodes[0].id : "?", t->n_nodes, t->n_edges,
	       n_closed,
	       t->truncated
	               ? " (truncated: a depth or size limit stopped the walk; raise --depth)"
	               : "");
	cli_table_init(&tb, 6);
	cli_table_row(&tb, "FROM", "EDGE", "TO", "OPENED", "CLOSED",
	              "QUANTITY");
	for (size_t i = 0; i < t->n_edges; i++) {
		const wb_trace_edge *e = &t->edges[i];
		char op[24], cl[24] = "", q[32] = "";

		if (e->from >= t->n_nodes || e->to >= t->n_nodes) {
			continue;
		}
		snprintf(op, sizeof(op), "%llu", (unsigned long long)e->opened);
		if (e->closed) {
			snprintf(cl, sizeof(cl), "%llu",
			         (unsigned long long)e->closed);
		}
		if (e->has_quantity) {
			snprintf(q, sizeof(q), "%g", e->quantity);
		}
		cli_table_row(&tb, t->nodes[e->from].id,
		              wb_edge_type_name(e->type), t->nodes[e->to].id,
		              op, cl, q);
	}
	cli_table_print(&tb, stdout);
	cli_table_fini(&tb);
}

int
cmd_trace(int argc, char **argv)
{
	const char *twin = NULL, *direction = NULL;
	unsigned long long depth = 0, as_of = 0;
	bool up = true, down = false, dot = false;
	wb_trace_opts to = { 0 };
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_trace *t[2] = { NULL, NULL };
	const char *dir[2] = { NULL, NULL };
	size_t n_t = 0;
	wb_problem p = { 0 };
	int code = CLI_OK;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", trace_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o) ||
		           cli_index_opt(argc, argv, &i, "trace", "--depth", 1,
		                         1000, &depth) ||
		           cli_index_opt(argc, argv, &i, "trace", "--as-of", 1,
		                         UINT64_MAX, &as_of)) {
			continue;
		} else if (strcmp(argv[i], "--up") == 0 ||
		           strcmp(argv[i], "--down") == 0 ||
		           strcmp(argv[i], "--both") == 0) {
			/* One direction: "--up --down" reads as both to some
			 * and as the last to others, so it is refused. */
			if (direction != NULL &&
			    strcmp(direction, argv[i]) != 0) {
				return cli_fail(
				        CLI_USAGE, "trace",
				        "%s and %s together: give one direction, --up, --down or --both (both ways)",
				        direction, argv[i]);
			}
			direction = argv[i];
			up = strcmp(argv[i], "--down") != 0;
			down = strcmp(argv[i], "--up") != 0;
		} else if (strcmp(argv[i], "--include-closed") == 0) {
			to.include_closed = true;
		} else if (strcmp(argv[i], "--dot") == 0) {
			dot = true;
		} else if (argv[i][0] != '-' && twin == NULL) {
			twin = argv[i];
		} else {
			return cli_fail(CLI_USAGE, "trace",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (twin == NULL) {
		return cli_fail(
		        CLI_USAGE, "trace",
		        "name the twin: waybill trace TWIN (see --help)");
	}
	if (dot && o.json) {
		return cli_fail(CLI_USAGE, "trace",
		                "--dot and --json are two outputs: pick one");
	}
	if ((code = cli_read_connect(&c, &key, "trace", &o)) != CLI_OK) {
		return code;
	}
	to.max_depth = (unsigned)depth;
	to.as_of.index = as_of;
	if (up) {
		dir[n_t++] = "up";
	}
	if (down) {
		dir[n_t++] = "down";
	}
	for (size_t k = 0; k < n_t; k++) {
		to.down = strcmp(dir[k], "down") == 0;
		if ((rc = wb_rpc_trace(&t[k], c, twin, &to, &p)) != WB_OK) {
			code = cli_rpc_fail("trace", c, rc, &p, twin);
			goto out;
		}
	}
	if (dot) {
		trace_dot(stdout, t, n_t,
		          t[0]->n_nodes ? t[0]->nodes[0].id : "");
	} else if (o.json) {
		json_t *obj = json_object();

		if (obj != NULL) {
			json_object_set_new(obj, "twin", cli_json_str(twin));
			json_object_set_new(
			        obj, "as_of",
			        as_of ? json_integer((json_int_t)as_of)
			              : json_null());
			json_object_set_new(obj, "include_closed",
			                    json_boolean(to.include_closed));
			for (size_t k = 0; k < n_t; k++) {
				json_object_set_new(obj, dir[k],
				                    trace_json(t[k], dir[k]));
			}
		}
		code = cli_json_print(obj);
	} else {
		for (size_t k = 0; k < n_t; k++) {
			if (k > 0) {
				printf("\n");
			}
			trace_table(t[k],
			            k == 0 && up ? "upstream" : "downstream");
		}
	}
out:
	wb_trace_free(t[0]);
	wb_trace_free(t[1]);
	cli_read_close(c, key);
	return code;
}

/*
 * waybill recall status | impact | since
 */

static const char recall_help[] =
        "usage: waybill recall status TWIN [options]\n"
        "       waybill recall impact RECALL_INDEX [--offset N] [--limit N]\n"
        "                             [--all] [options]\n"
        "       waybill recall since INDEX [--max N] [options]\n"
        "\n"
        "status  is this twin affected by an active recall, or a container\n"
        "        holding affected stock, and why: the path from what was\n"
        "        recalled to the twin. Works without a key where the daemon\n"
        "        runs with --public-recall-status.\n"
        "impact  everything the recall at RECALL_INDEX affects and every\n"
        "        container holding affected stock, counted by custodian and\n"
        "        location (with its master-data name), with one page of the\n"
        "        twins (--offset, --limit; --all lists them all). --json\n"
        "        adds \"location_name\" to the groups and twins.\n"
        "since   the recalls and lifts recorded after entry INDEX, oldest\n"
        "        first (at most --max), for a system that missed notices.\n"
        "\n"
        "Issue a recall with `waybill stamp recall`. Other reads need a\n"
        "registered key (--key).\n";

static int
recall_status(int argc, char **argv)
{
	const char *twin = NULL;
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_recall_status *s = NULL;
	wb_problem p = { 0 };
	int code;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", recall_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o)) {
			continue;
		} else if (argv[i][0] != '-' && twin == NULL) {
			twin = argv[i];
		} else {
			return cli_fail(CLI_USAGE, "recall status",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (twin == NULL) {
		return cli_fail(
		        CLI_USAGE, "recall status",
		        "name the twin: waybill recall status TWIN (see --help)");
	}
	/* Without a key the question is asked anonymously: a daemon run
	 * with --public-recall-status answers it. */
	if ((code = cli_connect(&c, &key, "recall status", &o,
	                        o.key_path != NULL)) != CLI_OK) {
		return code;
	}
	rc = wb_rpc_recall_status(&s, c, twin, &p);
	if (rc != WB_OK && key == NULL && wb_rpc_client_reached(c) &&
	    (rc == WB_EDENIED || p.reason == WB_REJECT_AUTH_REQUIRED)) {
		code = cli_fail(
		        CLI_REFUSED, "recall status",
		        "this server answers recall status only to registered keys: pass --key FILE or set WAYBILL_KEY (or ask the operator to run waybilld with --public-recall-status)");
	} else if (rc != WB_OK) {
		code = cli_rpc_fail("recall status", c, rc, &p, twin);
	} else if (o.json) {
		json_t *obj = cli_recall_status_json(s);

		if (obj != NULL) {
			json_object_set_new(obj, "twin", cli_json_str(twin));
		}
		code = cli_json_print(obj);
	} else {
		cli_recall_status_print(s, twin);
	}
	wb_recall_status_free(s);
	cli_read_close(c, key);
	return code;
}

static json_t *
impact_group_json(const wb_impact_group *g, cli_places *pl, wb_rpc_client *c)
{
	json_t *o = json_object();

	if (o != NULL) {
		json_object_set_new(o, "custodian",
		                    json_integer((json_int_t)g->custodian));
		json_object_set_new(o, "custodian_name",
		                    cli_json_str(g->custodian_name));
		json_object_set_new(o, "location", cli_json_str(g->location));
		json_object_set_new(
		        o, "location_name",
		        cli_json_str(cli_place_name(pl, c, g->location)));
		json_object_set_new(o, "affected",
		                    json_integer((json_int_t)g->affected));
		json_object_set_new(o, "holding",
		                    json_integer((json_int_t)g->holding));
	}
	return o;
}

static const char *
custodian_name(const wb_recall_impact *im, uint64_t id)
{
	for (size_t i = 0; i < im->n_groups; i++) {
		if (im->groups[i].custodian == id) {
			return im->groups[i].custodian_name;
		}
	}
	return NULL;
}

static int
recall_impact(int argc, char **argv)
{
	unsigned long long index = 0, offset = 0, limit = 0;
	bool all = false, has_index = false;
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_recall_impact *im = NULL;
	json_t *twins = NULL;
	cli_places pl = { 0 };
	cli_table tt;
	size_t shown = 0, next = 0;
	wb_problem p = { 0 };
	char what[48];
	int code;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", recall_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o) ||
		           cli_index_opt(argc, argv, &i, "recall impact",
		                         "--offset", 0, SIZE_MAX, &offset) ||
		           cli_index_opt(argc, argv, &i, "recall impact",
		                         "--limit", 1, 100000, &limit)) {
			continue;
		} else if (strcmp(argv[i], "--all") == 0) {
			all = true;
		} else if (argv[i][0] != '-' && !has_index) {
			if (!cli_parse_u64(argv[i], 1, UINT64_MAX, &index)) {
				return cli_fail(
				        CLI_USAGE, "recall impact",
				        "RECALL_INDEX is the recall's entry index (a whole number), not \"%s\"",
				        argv[i]);
			}
			has_index = true;
		} else {
			return cli_fail(CLI_USAGE, "recall impact",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (!has_index) {
		return cli_fail(
		        CLI_USAGE, "recall impact",
		        "give the recall's entry index: waybill recall impact RECALL_INDEX (see --help)");
	}
	if ((code = cli_read_connect(&c, &key, "recall impact", &o)) !=
	    CLI_OK) {
		return code;
	}
	snprintf(what, sizeof(what), "impact of recall %llu", index);
	cli_table_init(&tt, 4);
	cli_table_row(&tt, "TWIN", "STATE", "CUSTODIAN", "LOCATION");
	if ((twins = json_array()) == NULL) {
		code = cli_fail(CLI_ERROR, "recall impact", "out of memory");
		goto out;
	}
	/* One page, or with --all every page: the groups come whole with
	 * each; the twins are gathered. */
	for (size_t pages = 0;; pages++) {
		wb_recall_impact_free(im);
		im = NULL;
		if ((rc = wb_rpc_recall_impact(&im, c, index, offset, limit,
		                               &p)) != WB_OK) {
			code = cli_rpc_fail("recall impact", c, rc, &p, what);
			goto out;
		}
		for (size_t i = 0; i < im->n_twins; i++) {
			const wb_impact_twin *tw = &im->twins[i];
			const char *cn = custodian_name(im, tw->custodian);
			json_t *j = json_object();
			char place[WB_ID_MAX + 300];

			if (j != NULL) {
				json_object_set_new(j, "id",
				                    cli_json_str(tw->id));
				json_object_set_new(
				        j, "state",
				        json_string(tw->holding ? "holding"
				                                : "affected"));
				json_object_set_new(
				        j, "custodian",
				        json_integer(
				                (json_int_t)tw->custodian));
				json_object_set_new(j, "custodian_name",
				                    cli_json_str(cn));
				json_object_set_new(j, "location",
				                    cli_json_str(tw->location));
				json_object_set_new(
				        j, "location_name",
				        cli_json_str(cli_place_name(
				                &pl, c, tw->location)));
				json_array_append_new(twins, j);
			}
			cli_table_row(&tt, tw->id,
			              tw->holding ? "holding" : "affected", cn,
			              cli_place_label(place, sizeof(place), &pl,
			                              c, tw->location));
		}
		shown += im->n_twins;
		next = im->next;
		if (!all || next == 0 || next <= offset || pages > 1000000) {
			break;
		}
		offset = next;
	}
	if (o.json) {
		json_t *obj = json_object(), *groups = json_array();

		for (size_t i = 0; obj && groups && i < im->n_groups; i++) {
			json_array_append_new(
			        groups,
			        impact_group_json(&im->groups[i], &pl, c));
		}
		if (obj != NULL && groups != NULL) {
			json_object_set_new(
			        obj, "recall_index",
			        json_integer((json_int_t)im->recall_index));
			json_object_set_new(obj, "active",
			                    json_boolean(im->active));
			json_object_set_new(
			        obj, "affected",
			        json_integer((json_int_t)im->n_affected));
			json_object_set_new(
			        obj, "holding",
			        json_integer((json_int_t)im->n_holding));
			json_object_set_new(obj, "groups", groups);
			json_object_set_new(obj, "twins", twins);
			json_object_set_new(
			        obj, "next",
			        next ? json_integer((json_int_t)next)
			             : json_null());
			twins = groups = NULL;
		}
		json_decref(groups);
		code = cli_json_print(obj);
	} else {
		cli_table g;

		printf("recall %llu%s: %zu twins affected, %zu containers holding affected stock\n\n",
		       (unsigned long long)im->recall_index,
		       im->active ? "" : " (no longer active)", im->n_affected,
		       im->n_holding);
		cli_table_init(&g, 4);
		cli_table_row(&g, "CUSTODIAN", "LOCATION", "AFFECTED",
		              "HOLDING");
		for (size_t i = 0; i < im->n_groups; i++) {
			char a[24], h[24], place[WB_ID_MAX + 300];

			snprintf(a, sizeof(a), "%zu", im->groups[i].affected);
			snprintf(h, sizeof(h), "%zu", im->groups[i].holding);
			cli_table_row(&g, im->groups[i].custodian_name,
			              cli_place_label(place, sizeof(place), &pl,
			                              c,
			                              im->groups[i].location),
			              a, h);
		}
		cli_table_print(&g, stdout);
		cli_table_fini(&g);
		printf("\n");
		cli_table_print(&tt, stdout);
		if (next != 0) {
			printf("(%zu of %zu shown: --offset %zu for more, or --all)\n",
			       shown, im->n_affected + im->n_holding, next);
		}
	}
out:
	json_decref(twins);
	cli_places_fini(&pl);
	cli_table_fini(&tt);
	wb_recall_impact_free(im);
	cli_read_close(c, key);
	return code;
}

static int
recall_since(int argc, char **argv)
{
	unsigned long long after = 0, max = 0;
	bool has_index = false;
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_recall_notice *v = NULL;
	size_t n = 0;
	wb_problem p = { 0 };
	int code;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", recall_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o) ||
		           cli_index_opt(argc, argv, &i, "recall since",
		                         "--max", 1, 100000, &max)) {
			continue;
		} else if (argv[i][0] != '-' && !has_index) {
			if (!cli_parse_u64(argv[i], 0, UINT64_MAX, &after)) {
				return cli_fail(
				        CLI_USAGE, "recall since",
				        "INDEX is an entry index (a whole number), not \"%s\"",
				        argv[i]);
			}
			has_index = true;
		} else {
			return cli_fail(CLI_USAGE, "recall since",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (!has_index) {
		return cli_fail(
		        CLI_USAGE, "recall since",
		        "give the entry index to start after: waybill recall since INDEX (0: all)");
	}
	if ((code = cli_read_connect(&c, &key, "recall since", &o)) != CLI_OK) {
		return code;
	}
	if ((rc = wb_rpc_recalls_since(&v, &n, c, after, max, &p)) != WB_OK) {
		code = cli_rpc_fail("recall since", c, rc, &p, "recalls");
		goto out;
	}
	if (o.json) {
		json_t *obj = json_object(), *arr = json_array();

		for (size_t i = 0; obj && arr && i < n; i++) {
			json_t *j = json_object(), *tg = json_array();

			if (j == NULL || tg == NULL) {
				json_decref(j);
				json_decref(tg);
				continue;
			}
			for (size_t k = 0; k < v[i].n_targets; k++) {
				json_array_append_new(
				        tg, cli_json_str(v[i].targets[k]));
			}
			json_object_set_new(
			        j, "index",
			        json_integer((json_int_t)v[i].index));
			json_object_set_new(
			        j, "type",
			        json_string(v[i].lift ? "lift" : "recall"));
			json_object_set_new(
			        j, "recall_index",
			        v[i].lift
			                ? json_integer(
			                          (json_int_t)v[i].recall_index)
			                : json_null());
			json_object_set_new(
			        j, "issuer",
			        json_integer((json_int_t)v[i].issuer));
			json_object_set_new(j, "reason",
			                    cli_json_str(v[i].reason));
			json_object_set_new(
			        j, "severity",
			        cli_json_str(severity_name(v[i].has_severity,
			                                   v[i].severity)));
			json_object_set_new(j, "targets", tg);
			json_array_append_new(arr, j);
		}
		if (obj != NULL && arr != NULL) {
			json_object_set_new(obj, "after",
			                    json_integer((json_int_t)after));
			json_object_set_new(obj, "notices", arr);
			arr = NULL;
		}
		json_decref(arr);
		code = cli_json_print(obj);
	} else {
		cli_table t;

		cli_table_init(&t, 5);
		cli_table_row(&t, "INDEX", "TYPE", "CLASS", "TARGETS",
		              "REASON");
		for (size_t i = 0; i < n; i++) {
			char idx[24], type[48], tg[1024] = "";
			size_t len = 0;

			snprintf(idx, sizeof(idx), "%llu",
			         (unsigned long long)v[i].index);
			if (v[i].lift) {
				snprintf(type, sizeof(type), "lift of %llu",
				         (unsigned long long)v[i].recall_index);
			} else {
				snprintf(type, sizeof(type), "recall");
			}
			for (size_t k = 0;
			     k < v[i].n_targets && len + 4 < sizeof(tg); k++) {
				int w = snprintf(tg + len, sizeof(tg) - len,
				                 "%s%s", k ? " " : "",
				                 v[i].targets[k]);

				len += w > 0 ? (size_t)w : 0;
			}
			if (v[i].lift && v[i].n_targets == 0) {
				snprintf(tg, sizeof(tg), "(all)");
			}
			cli_table_row(
			        &t, idx, type,
			        severity_name(v[i].has_severity, v[i].severity),
			        tg, v[i].reason);
		}
		if (n == 0) {
			printf("no recalls or lifts after entry %llu\n", after);
		} else {
			cli_table_print(&t, stdout);
		}
		cli_table_fini(&t);
	}
out:
	wb_recall_notices_free(v, n);
	cli_read_close(c, key);
	return code;
}

int
cmd_recall(int argc, char **argv)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(recall_help, argc < 2 ? stderr : stdout);
		if (argc >= 2) {
			printf("\n%s", cli_net_help);
		}
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "status") == 0) {
		return recall_status(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "impact") == 0) {
		return recall_impact(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "since") == 0) {
		return recall_since(argc - 1, argv + 1);
	}
	return cli_fail(
	        CLI_USAGE, "recall",
	        "unknown recall command %s: status, impact or since (issue a recall with `waybill stamp recall`)",
	        argv[1]);
}
