/* SPDX-License-Identifier: MIT */
/*
 * verify.c - the journal verifier (see waybill/verify.h): walks the
 * journal, checks what each stored entry shows on its own (its place, its
 * leaf hash, its record time), replays it (replay.c), then checks every
 * stored checkpoint against the replay's roots.
 */
#include "waybill/verify.h"

#include <stdlib.h>
#include <string.h>

#include "journal_impl.h"
#include "verify_impl.h"
#include "waybill/note.h"

/* Entries read per read transaction of the walk. */
#define PAGE 512

struct walker {
	wb_journal *j;
	wb_replayer *replay;
	wb_verify_report *r;
	uint64_t total;
	uint64_t expect; /* the next index */
	uint64_t last_rt;
	wb_err err; /* a failure of the verifier itself */
};

/* Checks what can be checked of one stored entry alone, then queues it. */
static wb_err
take_entry(uint64_t key, const uint8_t *bytes, size_t len, void *arg)
{
	struct walker *w = arg;
	wb_entry *e = NULL;
	wb_hash leaf, stored;
	wb_txn t = { 0 };
	wb_err rc;

	if (key != w->expect) {
		wb_report_fail(
		        w->r, w->expect,
		        "entry %llu is missing: the journal jumps from %llu to %llu",
		        (unsigned long long)w->expect,
		        (unsigned long long)w->expect - 1,
		        (unsigned long long)key);
		return WB_EREJECTED; /* stop the walk */
	}
	w->expect = key + 1;
	if (wb_entry_decode(&e, bytes, len) != WB_OK) {
		wb_report_fail(w->r, key,
		               "entry %llu does not parse as an Entry",
		               (unsigned long long)key);
		return WB_EREJECTED;
	}
	if (e->index != key) {
		wb_report_fail(
		        w->r, key,
		        "entry stored at %llu says it is entry %llu: entries were moved or swapped",
		        (unsigned long long)key, (unsigned long long)e->index);
	} else if (e->record_time_us < w->last_rt) {
		wb_report_fail(
		        w->r, key,
		        "entry %llu was recorded before entry %llu: record times must never go back",
		        (unsigned long long)key, (unsigned long long)key - 1);
	}
	w->last_rt = e->record_time_us;
	wb_entry_free(e);
	/* The leaf hash stored when the entry was appended. */
	wb_hash_leaf(&leaf, bytes, len);
	if ((rc = wb_txn_begin(&t, w->j->mdb, false)) != WB_OK) {
		w->err = rc;
		return rc;
	}
	rc = wb_journal_node_get(&stored, 0, key, &t);
	wb_txn_abort(&t);
	if (rc != WB_OK || !wb_hash_equal(&leaf, &stored)) {
		wb_report_fail(
		        w->r, key,
		        "entry %llu's bytes do not match the leaf hash recorded when it was appended",
		        (unsigned long long)key);
	}
	if (!w->r->ok) {
		return WB_EREJECTED;
	}
	if ((rc = wb_replayer_add(w->replay, key, bytes, len, w->r)) != WB_OK) {
		w->err = rc;
		return rc;
	}
	return w->r->ok ? WB_OK : WB_EREJECTED;
}

static wb_err
walk_entries(struct walker *w, wb_verify_progress_fn progress, void *arg)
{
	wb_err rc;

	w->expect = 1;
	for (uint64_t from = 1; from < w->total && w->r->ok; from += PAGE) {
		uint64_t to = from + PAGE < w->total ? from + PAGE : w->total;

		rc = wb_journal_range(w->j, from, to, take_entry, w);
		if (w->err != WB_OK) {
			return w->err;
		}
		if (rc != WB_OK && rc != WB_EREJECTED) {
			return rc;
		}
		if (w->r->ok && w->expect != to) {
			wb_report_fail(w->r, w->expect, "entry %llu is missing",
			               (unsigned long long)w->expect);
		}
		if (!w->r->ok) {
			break;
		}
		if (progress != NULL) {
			progress(to, w->total, arg);
		}
	}
	w->r->entries = w->r->ok ? w->total : w->r->first_bad;
	return wb_replayer_flush(w->replay, w->r);
}

static wb_err
check_one_checkpoint(struct walker *w, uint64_t size, const char *note,
                     size_t len)
{
	wb_checkpoint cp;
	wb_hash root;
	wb_err rc;

	w->r->checkpoints++;
	if (wb_checkpoint_verify(&cp, note, len, w->j->origin,
	                         &w->j->genesis.log_key) != WB_OK) {
		wb_report_fail(
		        w->r, size ? size - 1 : 0,
		        "the checkpoint of tree size %llu is not validly signed by the log key for origin %s",
		        (unsigned long long)size, w->j->origin);
		return WB_OK;
	}
	if (cp.size != size) {
		wb_report_fail(
		        w->r, size ? size - 1 : 0,
		        "the checkpoint stored for tree size %llu speaks of size %llu",
		        (unsigned long long)size, (unsigned long long)cp.size);
		return WB_OK;
	}
	if (size > w->total) {
		wb_report_fail(
		        w->r, w->total,
		        "a checkpoint covers %llu entries but the journal holds %llu: entries were cut off",
		        (unsigned long long)size, (unsigned long long)w->total);
		return WB_OK;
	}
	if ((rc = wb_journal_root(&root, wb_replayer_journal(w->replay),
	                          size)) != WB_OK) {
		return rc;
	}
	if (!wb_hash_equal(&root, &cp.root)) {
		wb_report_fail(
		        w->r, size - 1,
		        "the signed checkpoint of tree size %llu has a root the journal's entries do not produce",
		        (unsigned long long)size);
	}
	return WB_OK;
}

static wb_err
check_checkpoints(struct walker *w)
{
	wb_cursor *c = NULL;
	wb_txn t = { 0 };
	wb_val k, val;
	wb_err rc;

	if ((rc = wb_txn_begin(&t, w->j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_cursor_open(&c, &t, WB_DB_CHECKPOINTS)) != WB_OK) {
		goto out;
	}
	for (rc = wb_cursor_seek(c, NULL, 0, &k, &val); rc == WB_OK;
	     rc = wb_cursor_next(c, &k, &val)) {
		if (k.len != 8) {
			rc = WB_ECORRUPT;
			break;
		}
		if ((rc = check_one_checkpoint(w, wb_be64_get(k.data), val.data,
		                               val.len)) != WB_OK ||
		    !w->r->ok) {
			break;
		}
	}
	rc = rc == WB_ENOTFOUND ? WB_OK : rc;
	if (rc == WB_OK && w->r->ok && w->r->checkpoints == 0) {
		wb_report_fail(w->r, w->total ? w->total - 1 : 0,
		               "the journal holds no signed checkpoint");
	}
out:
	wb_cursor_close(c);
	wb_txn_abort(&t);
	return rc;
}

/* Stamps whose key was revoked, later, from an index at or before them. */
static wb_err
flag_revoked(uint64_t index, const uint8_t *bytes, size_t len, void *arg)
{
	struct walker *w = arg;
	wb_entry *e = NULL;
	wb_problem p;

	if (wb_entry_decode(&e, bytes, len) != WB_OK) {
		return WB_ECORRUPT;
	}
	if (e->type == WB_ENTRY_STAMP &&
	    wb_journal_key_valid_at(wb_replayer_journal(w->replay), &e->signer,
	                            index, &p) == WB_EREJECTED &&
	    p.reason == WB_REJECT_KEY_REVOKED) {
		if (w->r->flagged++ == 0) {
			w->r->first_flagged = index;
		}
	}
	wb_entry_free(e);
	return WB_OK;
}

wb_err
wb_verify_journal(wb_verify_report *out, wb_journal *j, const char *scratch_dir,
                  wb_verify_progress_fn progress, void *arg)
{
	struct walker w = { .j = j, .r = out };
	uint8_t *genesis = NULL;
	size_t glen;
	wb_err rc;

	WB_CHECK_ARG(out && j);
	memset(out, 0, sizeof(*out));
	out->ok = true;
	if ((rc = wb_journal_size(&w.total, j)) != WB_OK ||
	    (rc = wb_journal_entry(&genesis, &glen, j, 0)) != WB_OK ||
	    (rc = wb_replayer_new(&w.replay, scratch_dir, genesis, glen)) !=
	            WB_OK) {
		goto out;
	}
	if ((rc = walk_entries(&w, progress, arg)) != WB_OK || !out->ok ||
	    (rc = check_checkpoints(&w)) != WB_OK || !out->ok) {
		goto out;
	}
	rc = wb_journal_range(j, 1, w.total, flag_revoked, &w);
out:
	free(genesis);
	wb_replayer_free(w.replay);
	return rc;
}
