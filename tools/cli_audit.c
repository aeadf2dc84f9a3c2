/* SPDX-License-Identifier: MIT */
/*
 * waybill audit and waybill export --server: the auditor, which verifies an
 * export file offline or a live server's journal through the RPC client,
 * and remembers the last audited checkpoint (trust on first use) so that
 * the next audit proves the ledger grew from it: no fork, no shrinking, no
 * new log key or ledger ID.
 *
 * The verification itself is libwaybill's (wb_verify_export); this file
 * fetches, compares with the remembered state, prints and exits with the
 * code of what it found.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_FORMAT "waybill-audit-state/1"

static const char audit_help[] =
        "usage: waybill audit FILE [--log-key KEY|FILE] [--state FILE] [--json]\n"
        "       waybill audit --server URL [--from N] [--log-key KEY|FILE]\n"
        "                     [--state FILE] [--key FILE] [--json]\n"
        "\n"
        "Verifies an export file (`waybill export`) offline, or the journal of a\n"
        "live server: every signature, each signer's key validity at its index,\n"
        "every per-twin chain link, every append rule replayed (for a range\n"
        "from index 0), and the root against the log key's signed checkpoint.\n"
        "Each entry is also compared with the leaf hash its ledger recorded\n"
        "when it was appended (exports carry it), so a changed entry is named\n"
        "whatever byte changed.\n"
        "It reports the first bad index and what is wrong there. Stamps whose\n"
        "key was later revoked from an earlier index are flagged, not failed.\n"
        "\n"
        "Trust on first use: the ledger ID, the log key and the audited\n"
        "checkpoint are remembered in a state file. The next audit must prove\n"
        "that the ledger only grew from that checkpoint (recomputing the old\n"
        "root from an export, or checking the server's consistency proof); a\n"
        "fork, a shrunk ledger or a changed log key or ledger ID fails. The\n"
        "state is updated only after a fully clean audit.\n"
        "\n"
        "  FILE              an export file to verify offline\n"
        "  --server URL      audit a live server instead (the range [N, latest)\n"
        "                    streamed page by page); needs a registered --key\n"
        "  --from N          with --server: start at entry N (default 0; only a\n"
        "                    range from 0 replays every append rule)\n"
        "  --log-key KEY     pin the trust anchor: the log key's verifier text,\n"
        "                    or a file holding it; otherwise the ledger's own\n"
        "                    genesis is trusted and its ledger ID printed, so\n"
        "                    compare it with the one you know\n"
        "  --state FILE      the remembered state (default\n"
        "                    $XDG_STATE_HOME/waybill/audit-LEDGERID.state, else\n"
        "                    ~/.local/state/waybill/audit-LEDGERID.state)\n"
        "\n"
        "With --server, the shared options:\n"
        "%s"
        "\n"
        "A progress bar goes to stderr when it is a terminal.\n"
        "Exit status: 0 clean, 1 a verification or consistency failure, 2 usage,\n"
        "3 refused by the server, 4 network failure, 5 unreadable file or state.\n";

static const char export_server_help[] =
        "usage: waybill export --server URL --out FILE [--from N] [--to N]\n"
        "                      [--key FILE] [--json]\n"
        "\n"
        "Fetches the self-verifying export of the entries [N, M) from a live\n"
        "server (page by page) into FILE, which must not exist yet. M is a\n"
        "tree size some commit ended at (default: the latest checkpoint).\n"
        "Check it with `waybill audit FILE`.\n"
        "\n"
        "%s";

/*
 * The progress bar: on a terminal only, and only once a run has taken long
 * enough to be worth watching.
 */
struct progress {
	struct timespec start;
	bool shown;
};

static double
seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
progress_bar(uint64_t done, uint64_t total, void *arg)
{
	struct progress *pr = arg;
	int width = 40, filled;

	if (total == 0 || (!pr->shown && seconds_since(&pr->start) < 0.5)) {
		return;
	}
	pr->shown = true;
	filled = (int)((double)done / (double)total * width);
	fprintf(stderr, "\rauditing [%.*s%*s] %llu/%llu", filled,
	        "########################################", width - filled, "",
	        (unsigned long long)done, (unsigned long long)total);
	if (done >= total) {
		fputc('\n', stderr);
	}
}

/* Ends a bar cut short by a failure, so messages start on their own line. */
static void
progress_end(struct progress *pr)
{
	if (pr->shown) {
		fputc('\n', stderr);
		pr->shown = false;
	}
}

/*
 * The remembered state: the last audited checkpoint of one ledger.
 */
typedef struct {
	uint8_t ledger_id[WB_HASH_LEN];
	char origin[WB_KEY_NAME_MAX + 1];
	wb_pubkey log_key;
	uint64_t size;
	wb_hash root;
	char *checkpoint; /* the signed note (malloc'd) */
} audit_state;

/* The default state path for a ledger, its directories made (0700). */
static int
default_state_path(char *out, size_t size, const uint8_t *ledger_id)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char dir[PATH_MAX], id[2 * WB_HASH_LEN + 1];
	int n;

	if (xdg != NULL && xdg[0] == '/') {
		n = snprintf(dir, sizeof(dir), "%s/waybill", xdg);
	} else if (home != NULL && home[0] != '\0') {
		n = snprintf(dir, sizeof(dir), "%s/.local/state/waybill", home);
	} else {
		return cli_fail(
		        CLI_USAGE, "audit",
		        "neither XDG_STATE_HOME nor HOME is set: give --state FILE for the remembered audit state");
	}
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		return cli_fail(CLI_ERROR, "audit",
		                "the state path is too long");
	}
	/* mkdir -p, one component at a time. */
	for (char *p = dir + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
				return cli_fail(
				        CLI_ERROR, "audit",
				        "cannot create the state directory %s: %s (or give --state FILE)",
				        dir, strerror(errno));
			}
			*p = c;
			if (c == '\0') {
				break;
			}
		}
	}
	wb_hex_encode(id, ledger_id, WB_HASH_LEN);
	n = snprintf(out, size, "%s/audit-%s.state", dir, id);
	if (n < 0 || (size_t)n >= size) {
		return cli_fail(CLI_ERROR, "audit",
		                "the state path is too long");
	}
	return CLI_OK;
}

static const char *
json_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/*
 * Reads the state at path. *found false (and CLI_OK) when there is none.
 * A malformed file is CLI_ERROR (printed); one whose fields disagree with
 * its own signed checkpoint (it was edited) is CLI_VERIFY_FAILED, with the
 * reason in why.
 */
static int
state_load(audit_state *s, bool *found, const char *path, char *why,
           size_t why_size)
{
	json_error_t jerr;
	json_t *o;
	wb_checkpoint cp;
	const char *id, *key, *root, *origin, *note;
	size_t id_len = 0;
	int code = CLI_ERROR;

	memset(s, 0, sizeof(*s));
	*found = false;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		return CLI_OK;
	}
	if ((o = json_load_file(path, 0, &jerr)) == NULL) {
		return cli_fail(
		        CLI_ERROR, "audit",
		        "cannot read the audit state %s: %s (move it away to start over; the next audit then trusts what it sees)",
		        path, jerr.text);
	}
	id = json_str(o, "ledger_id");
	key = json_str(o, "log_key");
	root = json_str(o, "root");
	origin = json_str(o, "origin");
	note = json_str(o, "checkpoint");
	if (strcmp(json_str(o, "format") ? json_str(o, "format") : "",
	           STATE_FORMAT) != 0 ||
	    id == NULL || key == NULL || root == NULL || origin == NULL ||
	    note == NULL || !json_is_integer(json_object_get(o, "size")) ||
	    json_integer_value(json_object_get(o, "size")) < 1 ||
	    wb_hex_decode(s->ledger_id, sizeof(s->ledger_id), &id_len, id,
	                  strlen(id)) != WB_OK ||
	    id_len != WB_HASH_LEN ||
	    wb_verifier_parse(NULL, &s->log_key, key) != WB_OK ||
	    wb_hash_from_hex(&s->root, root) != WB_OK ||
	    strlen(origin) >= sizeof(s->origin) ||
	    (s->checkpoint = strdup(note)) == NULL) {
		cli_fail(
		        CLI_ERROR, "audit",
		        "%s is not a waybill audit state (%s): move it away to start over",
		        path, STATE_FORMAT);
		goto out;
	}
	s->size = (uint64_t)json_integer_value(json_object_get(o, "size"));
	snprintf(s->origin, sizeof(s->origin), "%s", origin);
	if (wb_checkpoint_verify(&cp, note, strlen(note), s->origin,
	                         &s->log_key) != WB_OK ||
	    cp.size != s->size || !wb_hash_equal(&cp.root, &s->root)) {
		snprintf(
		        why, why_size,
		        "the audit state %s does not match its own signed checkpoint of size %llu: its size or root was edited, so the last audit cannot be trusted (move it away to start over)",
		        path, (unsigned long long)cp.size);
		code = CLI_VERIFY_FAILED;
		goto out;
	}
	*found = true;
	code = CLI_OK;
out:
	if (code != CLI_OK) {
		free(s->checkpoint);
		s->checkpoint = NULL;
	}
	json_decref(o);
	return code;
}

/* Writes the state atomically: a temporary file (0600) renamed over it. */
static int
state_save(const char *path, const audit_state *s)
{
	char tmp[PATH_MAX + 16], id[2 * WB_HASH_LEN + 1],
	        root[2 * WB_HASH_LEN + 1];
	char *key = NULL, *text = NULL;
	json_t *o;
	FILE *f = NULL;
	int fd = -1, code = CLI_ERROR;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		return cli_fail(CLI_ERROR, "audit",
		                "the state path is too long");
	}
	wb_hex_encode(id, s->ledger_id, WB_HASH_LEN);
	wb_hash_to_hex(root, &s->root);
	if (wb_verifier_format(&key, s->origin, &s->log_key) != WB_OK) {
		return cli_fail(CLI_ERROR, "audit", "out of memory");
	}
	o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "format", STATE_FORMAT,
	              "ledger_id", id, "origin", s->origin, "log_key", key,
	              "size", (json_int_t)s->size, "root", root, "checkpoint",
	              s->checkpoint);
	free(key);
	if (o == NULL ||
	    (text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	            NULL) {
		json_decref(o);
		return cli_fail(CLI_ERROR, "audit", "out of memory");
	}
	json_decref(o);
	if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0600) != 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		cli_fail(CLI_ERROR, "audit",
		         "cannot write the audit state next to %s: %s", path,
		         strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		goto out;
	}
	if (fprintf(f, "%s\n", text) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		cli_fail(CLI_ERROR, "audit", "cannot write %s: %s", tmp,
		         strerror(errno));
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		cli_fail(CLI_ERROR, "audit", "cannot replace %s: %s", path,
		         strerror(errno));
		unlink(tmp);
		goto out;
	}
	code = CLI_OK;
out:
	free(text);
	return code;
}

/*
 * One audit: what the verifier found, then what the comparison with the
 * remembered state found.
 */
typedef struct {
	const char *source; /* the file or the server URL */
	bool pinned;        /* --log-key given */
	const char *state_given;
	bool json;
	wb_verify_report r;
	wb_export_info info;
	char *checkpoint;        /* the audited checkpoint's note (malloc'd) */
	const char *consistency; /* "first use", "consistent", "inconsistent" */
	char problem[PATH_MAX + 1024]; /* a consistency problem */
	char state_path[PATH_MAX];
} audit_run;

/* Proves (size m, root) a prefix of the audited tree: CLI_OK, or
 * CLI_VERIFY_FAILED with run->problem set, or another code after printing. */
typedef int (*consistency_fn)(audit_run *run, uint64_t m, const wb_hash *root,
                              void *arg);

static void set_problem(audit_run *run, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void
set_problem(audit_run *run, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(run->problem, sizeof(run->problem), fmt, ap);
	va_end(ap);
	run->consistency = "inconsistent";
}

/* Compares the audited checkpoint with the remembered one. */
static int
check_state(audit_run *run, const audit_state *old, consistency_fn prove,
            void *arg)
{
	const wb_export_info *in = &run->info;
	char old_id[2 * WB_HASH_LEN + 1], new_id[2 * WB_HASH_LEN + 1];
	int code;

	wb_hex_encode(old_id, old->ledger_id, WB_HASH_LEN);
	wb_hex_encode(new_id, in->ledger_id, WB_HASH_LEN);
	if (memcmp(old->ledger_id, in->ledger_id, WB_HASH_LEN) != 0) {
		set_problem(
		        run,
		        "this is another ledger: the state %s remembers ledger %s (size %llu), this is ledger %s (size %llu)",
		        run->state_path, old_id, (unsigned long long)old->size,
		        new_id, (unsigned long long)in->to);
		return CLI_VERIFY_FAILED;
	}
	if (memcmp(old->log_key.b, in->log_key.b, WB_PUBKEY_LEN) != 0 ||
	    strcmp(old->origin, in->origin) != 0) {
		set_problem(
		        run,
		        "the ledger changed its log key or origin since the last audit (state %s, size %llu; now size %llu)",
		        run->state_path, (unsigned long long)old->size,
		        (unsigned long long)in->to);
		return CLI_VERIFY_FAILED;
	}
	if (in->to < old->size) {
		set_problem(
		        run,
		        "the ledger shrank: the last audit saw size %llu, this one ends at size %llu (an older export, or entries were removed)",
		        (unsigned long long)old->size,
		        (unsigned long long)in->to);
		return CLI_VERIFY_FAILED;
	}
	if (in->to == old->size) {
		if (!wb_hash_equal(&old->root, &in->root)) {
			set_problem(
			        run,
			        "the ledger forked: size %llu had another root at the last audit than it has now (size %llu)",
			        (unsigned long long)old->size,
			        (unsigned long long)in->to);
			return CLI_VERIFY_FAILED;
		}
		run->consistency = "consistent";
		return CLI_OK;
	}
	if ((code = prove(run, old->size, &old->root, arg)) != CLI_OK) {
		return code;
	}
	run->consistency = "consistent";
	return CLI_OK;
}

/* The audited checkpoint's note must be the log key's, of what was
 * verified. */
static bool
checkpoint_matches(const audit_run *run, const char *note)
{
	wb_checkpoint cp;

	return note != NULL &&
	       wb_checkpoint_verify(&cp, note, strlen(note), run->info.origin,
	                            &run->info.log_key) == WB_OK &&
	       cp.size == run->info.to &&
	       wb_hash_equal(&cp.root, &run->info.root);
}

static json_t *
json_opt_u64(bool present, uint64_t v)
{
	return present ? json_integer((json_int_t)v) : json_null();
}

static int
print_run(const audit_run *run, bool ok)
{
	const wb_verify_report *r = &run->r;
	const wb_export_info *in = &run->info;
	bool verified = r->ok;
	char id[2 * WB_HASH_LEN + 1], root[2 * WB_HASH_LEN + 1];
	json_t *o;

	wb_hex_encode(id, in->ledger_id, WB_HASH_LEN);
	wb_hash_to_hex(root, &in->root);
	if (run->json) {
		o = json_object();
		if (o == NULL) {
			return cli_json_print(NULL);
		}
		json_object_set_new(o, "ok", json_boolean(ok));
		json_object_set_new(o, "source", json_string(run->source));
		json_object_set_new(o, "ledger_id",
		                    in->origin[0] ? json_string(id)
		                                  : json_null());
		json_object_set_new(o, "origin",
		                    in->origin[0] ? json_string(in->origin)
		                                  : json_null());
		json_object_set_new(
		        o, "anchor",
		        json_string(run->pinned ? "log key" : "genesis"));
		json_object_set_new(o, "from",
		                    json_integer((json_int_t)in->from));
		json_object_set_new(o, "size",
		                    json_integer((json_int_t)in->to));
		json_object_set_new(o, "root",
		                    verified ? json_string(root) : json_null());
		json_object_set_new(o, "replayed", json_boolean(in->replayed));
		json_object_set_new(o, "entries",
		                    json_integer((json_int_t)r->entries));
		json_object_set_new(o, "checkpoints",
		                    json_integer((json_int_t)r->checkpoints));
		json_object_set_new(o, "first_bad",
		                    json_opt_u64(!verified, r->first_bad));
		json_object_set_new(o, "problem",
		                    !verified ? json_string(r->problem)
		                    : !ok     ? json_string(run->problem)
		                              : json_null());
		json_object_set_new(o, "flagged",
		                    json_integer((json_int_t)r->flagged));
		json_object_set_new(
		        o, "first_flagged",
		        json_opt_u64(r->flagged > 0, r->first_flagged));
		json_object_set_new(o, "custody_gaps",
		                    json_integer((json_int_t)r->custody_gaps));
		json_object_set_new(o, "consistency",
		                    run->consistency != NULL
		                            ? json_string(run->consistency)
		                            : json_null());
		json_object_set_new(o, "state",
		                    run->state_path[0] != '\0'
		                            ? json_string(run->state_path)
		                            : json_null());
		return cli_json_print(o);
	}
	if (in->origin[0] != '\0') { /* the header was read */
		printf("audit of %s: ledger %s (%s), entries [%llu, %llu)%s\n",
		       run->source, id, in->origin,
		       (unsigned long long)in->from, (unsigned long long)in->to,
		       in->replayed ? ", every append rule replayed" : "");
	} else {
		printf("audit of %s\n", run->source);
	}
	if (!verified) {
		printf("FAILED at entry %llu: %s\n",
		       (unsigned long long)r->first_bad, r->problem);
		return CLI_OK;
	}
	printf("verified: %llu entr%s and %llu checkpoint%s, root %s\n",
	       (unsigned long long)r->entries, r->entries == 1 ? "y" : "ies",
	       (unsigned long long)r->checkpoints,
	       r->checkpoints == 1 ? "" : "s", root);
	if (r->flagged > 0) {
		printf("flagged: %llu stamps by keys revoked from an earlier index (first at %llu)\n",
		       (unsigned long long)r->flagged,
		       (unsigned long long)r->first_flagged);
	}
	if (r->custody_gaps > 0) {
		printf("custody gaps: %llu stamps acted for a custodian\n",
		       (unsigned long long)r->custody_gaps);
	}
	if (!ok) {
		printf("FAILED: %s\n", run->problem);
	} else if (run->consistency != NULL &&
	           strcmp(run->consistency, "first use") == 0) {
		printf("first audit of this ledger: its checkpoint of size %llu is remembered in %s\n",
		       (unsigned long long)in->to, run->state_path);
	} else {
		printf("consistent with the last audited checkpoint; now remembered at size %llu in %s\n",
		       (unsigned long long)in->to, run->state_path);
	}
	return CLI_OK;
}

/*
 * After the verifier ran: the checkpoint note, the remembered state, the
 * report. Returns the exit code.
 */
static int
finish_audit(audit_run *run, consistency_fn prove, void *arg)
{
	audit_state old, now = { 0 };
	bool found = false, ok;
	int code;

	if (!run->r.ok) {
		print_run(run, false);
		return CLI_VERIFY_FAILED;
	}
	if (!checkpoint_matches(run, run->checkpoint)) {
		snprintf(
		        run->r.problem, sizeof(run->r.problem),
		        "the checkpoint of size %llu is not the log key's signed checkpoint of the verified root",
		        (unsigned long long)run->info.to);
		run->r.ok = false;
		run->r.first_bad = run->info.to - 1;
		print_run(run, false);
		return CLI_VERIFY_FAILED;
	}
	if (!run->pinned && !run->json) {
		char id[2 * WB_HASH_LEN + 1];

		wb_hex_encode(id, run->info.ledger_id, WB_HASH_LEN);
		fprintf(stderr,
		        "waybill audit: trusting the ledger's own genesis: ledger ID %s; compare it with the ID you know, or pin the log key with --log-key\n",
		        id);
	}
	if (run->state_given != NULL) {
		snprintf(run->state_path, sizeof(run->state_path), "%s",
		         run->state_given);
	} else if ((code = default_state_path(run->state_path,
	                                      sizeof(run->state_path),
	                                      run->info.ledger_id)) != CLI_OK) {
		return code;
	}
	code = state_load(&old, &found, run->state_path, run->problem,
	                  sizeof(run->problem));
	if (code == CLI_VERIFY_FAILED) {
		run->consistency = "inconsistent";
		print_run(run, false);
		return code;
	}
	if (code != CLI_OK) {
		return code;
	}
	if (found) {
		code = check_state(run, &old, prove, arg);
		free(old.checkpoint);
		if (code != CLI_OK && code != CLI_VERIFY_FAILED) {
			return code;
		}
	} else {
		run->consistency = "first use";
		code = CLI_OK;
	}
	ok = code == CLI_OK;
	if (ok) {
		memcpy(now.ledger_id, run->info.ledger_id, WB_HASH_LEN);
		snprintf(now.origin, sizeof(now.origin), "%s",
		         run->info.origin);
		now.log_key = run->info.log_key;
		now.size = run->info.to;
		now.root = run->info.root;
		now.checkpoint = run->checkpoint;
		if ((code = state_save(run->state_path, &now)) != CLI_OK) {
			return code;
		}
	}
	print_run(run, ok);
	return ok ? CLI_OK : CLI_VERIFY_FAILED;
}

static int
load_anchor(wb_pubkey *out, const char *text)
{
	wb_err rc = wb_keyfile_read_public(NULL, out, text);

	if (rc == WB_OK) {
		return CLI_OK;
	}
	return cli_fail(
	        CLI_USAGE, "audit",
	        "--log-key %s is neither the log key's verifier text (NAME+KEYID+BASE64) nor a file holding it%s",
	        text,
	        rc == WB_EDENIED
	                ? " (a private key file readable by others: chmod 600)"
	                : "");
}

/*
 * An export file.
 */

/* The root of the first m leaves, from an export holding [from, to) with
 * from <= m: the left subtrees of [0, from) and the leaves after. */
struct prefix_tree {
	const wb_export_header *h;
	const wb_hash *leaves; /* of [from, m) */
	unsigned left_level[64];
	uint64_t left_index[64];
};

static wb_err
prefix_get(wb_hash *out, unsigned level, uint64_t index, void *arg)
{
	struct prefix_tree *t = arg;
	uint64_t start = index << level, end = start + ((uint64_t)1 << level);
	wb_hash l, r;
	wb_err rc;

	if (end <= t->h->from) {
		for (size_t i = 0; i < t->h->n_left_hashes; i++) {
			if (t->left_level[i] == level &&
			    t->left_index[i] == index) {
				*out = t->h->left_hashes[i];
				return WB_OK;
			}
		}
	} else if (start >= t->h->from && level == 0) {
		*out = t->leaves[start - t->h->from];
		return WB_OK;
	}
	if (level == 0) {
		return WB_ECORRUPT;
	}
	if ((rc = prefix_get(&l, level - 1, 2 * index, arg)) != WB_OK ||
	    (rc = prefix_get(&r, level - 1, 2 * index + 1, arg)) != WB_OK) {
		return rc;
	}
	wb_hash_node(out, &l, &r);
	return WB_OK;
}

/* Recomputes the root of size m from the (verified) export file. */
static int
file_prove(audit_run *run, uint64_t m, const wb_hash *root, void *arg)
{
	const char *path = arg;
	struct prefix_tree t = { 0 };
	wb_export_header *h = NULL, *extra = NULL;
	wb_export_entry *x = NULL;
	wb_hash *leaves = NULL, got;
	uint64_t offset = 0, n = 0;
	size_t k = 0;
	FILE *f;
	int code = CLI_ERROR;

	if (m < run->info.from) {
		set_problem(
		        run,
		        "cannot prove this export consistent with the last audit (size %llu): it starts at entry %llu; audit an export from index 0 (now size %llu)",
		        (unsigned long long)m,
		        (unsigned long long)run->info.from,
		        (unsigned long long)run->info.to);
		return CLI_VERIFY_FAILED;
	}
	if ((f = fopen(path, "rb")) == NULL ||
	    wb_export_item_read(&h, &x, f) != WB_OK || h == NULL ||
	    (leaves = calloc(m - h->from + 1, sizeof(*leaves))) == NULL) {
		cli_fail(CLI_ERROR, "audit", "cannot read %s again", path);
		goto out;
	}
	while (n < m - h->from) {
		if (wb_export_item_read(&extra, &x, f) != WB_OK ||
		    extra != NULL) {
			cli_fail(CLI_ERROR, "audit", "cannot read %s again",
			         path);
			goto out;
		}
		/* The registry prefix (before `from`) carries proofs. */
		if (x->index >= h->from && x->n_proof == 0) {
			wb_hash_leaf(&leaves[n++], x->entry, x->entry_len);
		}
		wb_export_entry_free(x);
		x = NULL;
	}
	for (int level = 63; level >= 0; level--) {
		if (h->from & ((uint64_t)1 << level)) {
			t.left_level[k] = (unsigned)level;
			t.left_index[k++] = offset >> level;
			offset += (uint64_t)1 << level;
		}
	}
	t.h = h;
	t.leaves = leaves;
	if (wb_merkle_root(&got, m, prefix_get, &t) != WB_OK ||
	    !wb_hash_equal(&got, root)) {
		set_problem(
		        run,
		        "the ledger forked: the first %llu entries of this export (size %llu) do not produce the root remembered from the last audit of size %llu",
		        (unsigned long long)m, (unsigned long long)run->info.to,
		        (unsigned long long)m);
		code = CLI_VERIFY_FAILED;
		goto out;
	}
	code = CLI_OK;
out:
	if (f != NULL) {
		fclose(f);
	}
	wb_export_entry_free(x);
	wb_export_header_free(extra);
	wb_export_header_free(h);
	free(leaves);
	return code;
}

/* The checkpoint note an export file carries in its header. */
static char *
file_checkpoint(const char *path)
{
	wb_export_header *h = NULL;
	wb_export_entry *x = NULL;
	char *note = NULL;
	FILE *f = fopen(path, "rb");

	if (f != NULL && wb_export_item_read(&h, &x, f) == WB_OK && h != NULL &&
	    h->checkpoint != NULL) {
		note = strdup(h->checkpoint);
	}
	if (f != NULL) {
		fclose(f);
	}
	wb_export_header_free(h);
	wb_export_entry_free(x);
	return note;
}

static int
audit_file(audit_run *run, const wb_pubkey *anchor)
{
	struct progress pr = { .shown = false };
	FILE *f;
	wb_err rc;
	int code;

	if ((f = fopen(run->source, "rb")) == NULL) {
		return cli_fail(CLI_ERROR, "audit", "cannot open %s: %s",
		                run->source, strerror(errno));
	}
	clock_gettime(CLOCK_MONOTONIC, &pr.start);
	rc = wb_verify_export(&run->r, &run->info, f, anchor, NULL,
	                      isatty(STDERR_FILENO) ? progress_bar : NULL, &pr);
	progress_end(&pr);
	if (rc == WB_OK && ferror(f)) {
		rc = WB_EIO;
	}
	fclose(f);
	if (rc != WB_OK) {
		return cli_fail(CLI_ERROR, "audit", "cannot read %s: %s",
		                run->source, wb_strerror(rc));
	}
	if (run->r.ok) {
		run->checkpoint = file_checkpoint(run->source);
	}
	code = finish_audit(run, file_prove, (void *)(uintptr_t)run->source);
	return code;
}

/*
 * A live server: the range streamed through a pipe into the verifier, page
 * by page as the server sends them, so nothing but the leaf hashes is kept.
 */
struct fetch {
	wb_rpc_client *c;
	FILE *w;
	uint64_t from, to;
	wb_err rc;
	wb_problem p;
	bool write_failed; /* the verifier stopped reading: not the network */
};

static void *
fetch_run(void *arg)
{
	struct fetch *fe = arg;

	fe->rc = wb_rpc_get_range(fe->w, fe->c, fe->from, fe->to, &fe->p);
	fe->write_failed = ferror(fe->w) != 0;
	fclose(fe->w);
	return NULL;
}

struct server_ctx {
	wb_rpc_client *c;
};

/* Checks the server's consistency proof from the remembered checkpoint. */
static int
server_prove(audit_run *run, uint64_t m, const wb_hash *root, void *arg)
{
	struct server_ctx *sc = arg;
	wb_hash proof[WB_MERKLE_MAX_PROOF];
	wb_problem p = { 0 };
	size_t n = 0;
	uint64_t n_out = 0;
	char *note = NULL;
	wb_err rc;

	rc = wb_rpc_consistency_proof(proof, &n, &n_out, &note, sc->c, m,
	                              run->info.to, &p);
	free(note);
	if (rc != WB_OK) {
		char what[128];

		snprintf(what, sizeof(what),
		         "the consistency proof from size %llu to %llu",
		         (unsigned long long)m,
		         (unsigned long long)run->info.to);
		return cli_rpc_fail("audit", sc->c, rc, &p, what);
	}
	if (n_out != run->info.to ||
	    wb_merkle_verify_consistency(m, run->info.to, root->b, WB_HASH_LEN,
	                                 run->info.root.b, WB_HASH_LEN,
	                                 (const uint8_t *)proof,
	                                 n * WB_HASH_LEN) != WB_OK) {
		set_problem(
		        run,
		        "the ledger forked: the server cannot prove its checkpoint of size %llu consistent with the one of size %llu remembered from the last audit",
		        (unsigned long long)run->info.to,
		        (unsigned long long)m);
		return CLI_VERIFY_FAILED;
	}
	return CLI_OK;
}

static int
audit_server(audit_run *run, const wb_pubkey *anchor, const cli_net_opts *no,
             uint64_t from)
{
	struct progress pr = { .shown = false };
	struct server_ctx sc = { 0 };
	struct fetch fe = { 0 };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	wb_signer *key = NULL;
	wb_problem p = { 0 };
	pthread_t th;
	uint64_t size = 0;
	char *note = NULL;
	FILE *r = NULL;
	int fds[2], code;
	wb_err rc;

	if ((code = cli_connect(&sc.c, &key, "audit", no, true)) != CLI_OK) {
		return code;
	}
	if ((rc = wb_rpc_checkpoint(&note, &size, sc.c, 0, &p)) != WB_OK) {
		code = cli_rpc_fail("audit", sc.c, rc, &p,
		                    "the latest checkpoint");
		goto out;
	}
	if (from >= size) {
		code = cli_fail(
		        CLI_USAGE, "audit",
		        "--from %llu is not inside the ledger: its latest checkpoint is of size %llu",
		        (unsigned long long)from, (unsigned long long)size);
		goto out;
	}
	/* A reader that stops early must make the writer fail, not die. */
	sigaction(SIGPIPE, &ign, NULL);
	if (pipe(fds) != 0) {
		code = cli_fail(CLI_ERROR, "audit", "pipe: %s",
		                strerror(errno));
		goto out;
	}
	if ((fe.w = fdopen(fds[1], "wb")) == NULL ||
	    (r = fdopen(fds[0], "rb")) == NULL) {
		code = cli_fail(CLI_ERROR, "audit", "fdopen: %s",
		                strerror(errno));
		if (fe.w != NULL) {
			fclose(fe.w);
		} else {
			close(fds[1]);
		}
		close(fds[0]);
		goto out;
	}
	fe.c = sc.c;
	fe.from = from;
	fe.to = size;
	if (pthread_create(&th, NULL, fetch_run, &fe) != 0) {
		code = cli_fail(CLI_ERROR, "audit", "cannot start a thread");
		fclose(fe.w);
		fclose(r);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &pr.start);
	rc = wb_verify_export(&run->r, &run->info, r, anchor, NULL,
	                      isatty(STDERR_FILENO) ? progress_bar : NULL, &pr);
	progress_end(&pr);
	fclose(r); /* a writer still writing now fails: the join returns */
	pthread_join(th, NULL);
	if (fe.rc != WB_OK && !fe.write_failed) {
		char what[128];

		snprintf(what, sizeof(what), "the range [%llu, %llu)",
		         (unsigned long long)from, (unsigned long long)size);
		code = cli_rpc_fail("audit", sc.c, fe.rc, &fe.p, what);
		goto out;
	}
	if (rc != WB_OK || (fe.rc != WB_OK && run->r.ok)) {
		code = cli_fail(CLI_ERROR, "audit", "cannot verify: %s",
		                wb_strerror(rc != WB_OK ? rc : fe.rc));
		goto out;
	}
	run->checkpoint = note;
	note = NULL;
	code = finish_audit(run, server_prove, &sc);
out:
	free(note);
	wb_rpc_client_close(sc.c);
	wb_signer_free(key);
	return code;
}

int
cmd_audit(int argc, char **argv)
{
	audit_run run = { 0 };
	cli_net_opts no;
	const char *file = NULL, *log_key = NULL, *v;
	unsigned long long from = 0;
	bool from_given = false, server = false;
	wb_pubkey anchor;
	int code;

	if (cli_wants_fsma204(argc, argv)) {
		return cmd_audit_fsma204(argc, argv); /* cli_fsma.c */
	}
	cli_net_init(&no);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf(audit_help, cli_net_help);
			return CLI_OK;
		} else if (cli_opt(argc, argv, &i, "--log-key", &log_key) ||
		           cli_opt(argc, argv, &i, "--state",
		                   &run.state_given)) {
			continue;
		} else if (cli_opt(argc, argv, &i, "--from", &v)) {
			if (!cli_parse_u64(v, 0, INT64_MAX, &from)) {
				return cli_fail(CLI_USAGE, "audit",
				                "--from takes an entry index");
			}
			from_given = true;
		} else if (strncmp(argv[i], "--server", 8) == 0 &&
		           cli_net_opt(argc, argv, &i, &no)) {
			server = true;
		} else if (cli_net_opt(argc, argv, &i, &no)) {
			continue;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return cli_fail(CLI_USAGE, "audit",
			                "unknown option %s (see --help)",
			                argv[i]);
		} else if (file != NULL) {
			return cli_fail(CLI_USAGE, "audit",
			                "one export file at a time: %s and %s",
			                file, argv[i]);
		} else {
			file = argv[i];
		}
	}
	if (!server && file == NULL && getenv("WAYBILL_SERVER") != NULL &&
	    getenv("WAYBILL_SERVER")[0] != '\0') {
		server = true; /* the shared options' environment default */
	}
	if (server == (file != NULL)) {
		return cli_fail(
		        CLI_USAGE, "audit",
		        "give an export FILE or --server URL (see --help)");
	}
	if (from_given && !server) {
		return cli_fail(
		        CLI_USAGE, "audit",
		        "--from applies to --server; an export file holds its own range (make one with `waybill export --from N`)");
	}
	if (log_key != NULL && (code = load_anchor(&anchor, log_key)) != 0) {
		return code;
	}
	run.pinned = log_key != NULL;
	run.json = no.json;
	run.source = server ? no.server : file;
	code = server ? audit_server(&run, run.pinned ? &anchor : NULL, &no,
	                             from)
	              : audit_file(&run, run.pinned ? &anchor : NULL);
	free(run.checkpoint);
	return code;
}

/*
 * waybill export --server: the same export file, fetched from a daemon.
 */
bool
cli_export_wants_server(int argc, char **argv)
{
	const char *env = getenv("WAYBILL_SERVER");
	bool data = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--server") == 0 ||
		    strncmp(argv[i], "--server=", 9) == 0) {
			return true;
		}
		if (strcmp(argv[i], "--data") == 0 ||
		    strncmp(argv[i], "--data=", 7) == 0) {
			data = true;
		}
	}
	return !data && env != NULL && env[0] != '\0';
}

/* Prints what the fetched file holds, from its header. */
static int
print_export_summary(const char *out, bool json)
{
	wb_export_header *h = NULL;
	wb_export_entry *x = NULL;
	char id[2 * WB_HASH_LEN + 1];
	wb_hash ledger_id;
	FILE *f = fopen(out, "rb");
	int code = CLI_OK;

	if (f == NULL || wb_export_item_read(&h, &x, f) != WB_OK || h == NULL) {
		code = cli_fail(CLI_ERROR, "export",
		                "%s was written but cannot be read back", out);
		goto out;
	}
	wb_hash_sha256(&ledger_id, h->genesis, h->genesis_len);
	wb_hash_to_hex(id, &ledger_id);
	if (json) {
		code = cli_json_print(json_pack(
		        "{s:s,s:s,s:I,s:I,s:I}", "out", out, "ledger_id", id,
		        "from", (json_int_t)h->from, "to", (json_int_t)h->to,
		        "registry_entries", (json_int_t)h->registry_count));
	} else {
		printf("wrote %s: entries [%llu, %llu) of ledger %s\n", out,
		       (unsigned long long)h->from, (unsigned long long)h->to,
		       id);
	}
out:
	if (f != NULL) {
		fclose(f);
	}
	wb_export_header_free(h);
	wb_export_entry_free(x);
	return code;
}

int
cmd_export_server(int argc, char **argv)
{
	cli_net_opts no;
	const char *out = NULL, *v;
	unsigned long long from = 0, to = 0;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_problem p = { 0 };
	FILE *f;
	int code;
	wb_err rc;

	cli_net_init(&no);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf(export_server_help, cli_net_help);
			return CLI_OK;
		} else if (cli_opt(argc, argv, &i, "--out", &out) ||
		           cli_net_opt(argc, argv, &i, &no)) {
			continue;
		} else if (cli_opt(argc, argv, &i, "--from", &v)) {
			if (!cli_parse_u64(v, 0, INT64_MAX, &from)) {
				return cli_fail(CLI_USAGE, "export",
				                "--from takes an entry index");
			}
		} else if (cli_opt(argc, argv, &i, "--to", &v)) {
			if (!cli_parse_u64(v, 1, INT64_MAX, &to)) {
				return cli_fail(CLI_USAGE, "export",
				                "--to takes a tree size");
			}
		} else {
			return cli_fail(CLI_USAGE, "export",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (out == NULL) {
		return cli_fail(CLI_USAGE, "export",
		                "--out FILE is required (see --help)");
	}
	if (to != 0 && from >= to) {
		return cli_fail(CLI_USAGE, "export",
		                "the range [--from, --to) is empty");
	}
	if ((code = cli_connect(&c, &key, "export", &no, true)) != CLI_OK) {
		return code;
	}
	if ((f = fopen(out, "wbx")) == NULL) {
		code = cli_fail(
		        CLI_ERROR, "export",
		        "cannot create %s: %s (an existing file is never overwritten)",
		        out, strerror(errno));
		goto done;
	}
	rc = wb_rpc_get_range(f, c, from, to, &p);
	if ((ferror(f) != 0) | (fclose(f) != 0)) {
		unlink(out);
		code = cli_fail(CLI_ERROR, "export", "cannot write %s: %s", out,
		                strerror(errno));
		goto done;
	}
	if (rc != WB_OK) {
		unlink(out);
		code = cli_rpc_fail("export", c, rc, &p, "the export");
		goto done;
	}
	code = print_export_summary(out, no.json);
done:
	wb_rpc_client_close(c);
	wb_signer_free(key);
	return code;
}
