/* SPDX-License-Identifier: MIT */
/*
 * verify.c - the replaying verifier (see waybill/verify.h).
 */
#include "waybill/verify.h"

#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal_impl.h"
#include "waybill/note.h"

/* Entries replayed per scratch transaction. */
#define CHUNK 512

struct held {
	uint8_t *bytes;
	size_t len;
	uint64_t key;
	wb_entry *e;
};

struct verifier {
	wb_journal *j;
	wb_journal *scratch;
	wb_verify_report *r;
	uint64_t total;
	uint64_t expect; /* the next index */
	uint64_t last_rt;
	struct held chunk[CHUNK];
	size_t n;
	wb_verify_progress_fn progress;
	void *arg;
};

static void fail(struct verifier *v, uint64_t index, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
fail(struct verifier *v, uint64_t index, const char *fmt, ...)
{
	va_list ap;

	if (!v->r->ok) {
		return; /* the first problem is the one to report */
	}
	v->r->ok = false;
	v->r->first_bad = index;
	va_start(ap, fmt);
	vsnprintf(v->r->problem, sizeof(v->r->problem), fmt, ap);
	va_end(ap);
}

static void
release_chunk(struct verifier *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->chunk[i].bytes);
		wb_entry_free(v->chunk[i].e);
	}
	v->n = 0;
}

/* Signature checks are the bulk of the work: spread them over threads. */
struct sig_job {
	wb_submission *subs;
	size_t from, to;
};

static void *
sig_worker(void *arg)
{
	struct sig_job *job = arg;

	for (size_t i = job->from; i < job->to; i++) {
		wb_submission_check(&job->subs[i]);
	}
	return NULL;
}

static void
check_signatures(wb_submission *subs, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t threads = cpus > 1 ? (size_t)(cpus > 8 ? 8 : cpus) : 1;
	pthread_t tid[8];
	struct sig_job jobs[8];
	size_t started = 0;

	for (size_t t = 0; t < threads; t++) {
		jobs[t].subs = subs;
		jobs[t].from = n * t / threads;
		jobs[t].to = n * (t + 1) / threads;
		if (t + 1 < threads &&
		    pthread_create(&tid[t], NULL, sig_worker, &jobs[t]) == 0) {
			started = t + 1;
			continue;
		}
		sig_worker(&jobs[t]);
	}
	for (size_t t = 0; t < started; t++) {
		pthread_join(tid[t], NULL);
	}
}

static wb_err
compare_replayed(struct verifier *v, const struct held *h)
{
	uint8_t *again = NULL;
	size_t len = 0;
	wb_err rc;

	if ((rc = wb_journal_entry(&again, &len, v->scratch, h->key)) !=
	    WB_OK) {
		return rc;
	}
	if (len != h->len || memcmp(again, h->bytes, len) != 0) {
		fail(v, h->key,
		     "entry %llu differs from what the append rules produce for its stamp: its chain links or fields were altered",
		     (unsigned long long)h->key);
	}
	free(again);
	return WB_OK;
}

static wb_err
replay_chunk(struct verifier *v)
{
	wb_submission *subs = calloc(v->n, sizeof(*subs));
	wb_result *res = calloc(v->n, sizeof(*res));
	wb_append_opts ao = { .atomic = false };
	uint64_t size;
	wb_err rc = WB_OK;

	if (subs == NULL || res == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < v->n; i++) {
		const wb_entry *e = v->chunk[i].e;

		subs[i].type = e->type;
		subs[i].body = e->body;
		subs[i].body_len = e->body_len;
		subs[i].signer = e->signer;
		memcpy(subs[i].signature, e->signature, WB_SIG_LEN);
		subs[i].record_time_us = e->record_time_us;
	}
	check_signatures(subs, v->n);
	if ((rc = wb_journal_append(v->scratch, subs, v->n, res, &ao, &size)) !=
	    WB_OK) {
		goto out;
	}
	for (size_t i = 0; i < v->n && v->r->ok; i++) {
		const struct held *h = &v->chunk[i];

		if (res[i].err == WB_EREJECTED) {
			fail(v, h->key,
			     "entry %llu breaks a ledger rule (%s): %s",
			     (unsigned long long)h->key,
			     wb_reject_name(res[i].problem.reason),
			     res[i].problem.msg);
		} else if (res[i].duplicate) {
			fail(v, h->key,
			     "entry %llu repeats entry %llu: a stamp may be appended once",
			     (unsigned long long)h->key,
			     (unsigned long long)res[i].index);
		} else if (res[i].index != h->key) {
			fail(v, h->key, "entry %llu replays at index %llu",
			     (unsigned long long)h->key,
			     (unsigned long long)res[i].index);
		} else if ((rc = compare_replayed(v, h)) != WB_OK) {
			break;
		}
		if (res[i].custody_gap) {
			v->r->custody_gaps++;
		}
	}
	v->r->entries += v->n;
out:
	free(subs);
	free(res);
	release_chunk(v);
	return rc;
}

/* Checks what can be checked of one stored entry alone, then queues it. */
static wb_err
take_entry(uint64_t key, const uint8_t *bytes, size_t len, void *arg)
{
	struct verifier *v = arg;
	struct held *h;
	wb_hash leaf, stored;
	wb_txn t = { 0 };
	wb_err rc;

	if (key != v->expect) {
		fail(v, v->expect,
		     "entry %llu is missing: the journal jumps from %llu to %llu",
		     (unsigned long long)v->expect,
		     (unsigned long long)v->expect - 1,
		     (unsigned long long)key);
		return WB_EREJECTED; /* stop the walk */
	}
	v->expect = key + 1;
	h = &v->chunk[v->n];
	memset(h, 0, sizeof(*h));
	h->key = key;
	if (wb_entry_decode(&h->e, bytes, len) != WB_OK) {
		fail(v, key, "entry %llu does not parse as an Entry",
		     (unsigned long long)key);
		return WB_EREJECTED;
	}
	if (h->e->index != key) {
		fail(v, key,
		     "entry stored at %llu says it is entry %llu: entries were moved or swapped",
		     (unsigned long long)key, (unsigned long long)h->e->index);
	} else if (h->e->type == WB_ENTRY_GENESIS) {
		fail(v, key, "entry %llu is a second genesis",
		     (unsigned long long)key);
	} else if (h->e->record_time_us < v->last_rt) {
		fail(v, key,
		     "entry %llu was recorded before entry %llu: record times must never go back",
		     (unsigned long long)key, (unsigned long long)key - 1);
	}
	v->last_rt = h->e->record_time_us;
	/* The leaf hash stored when the entry was appended. */
	wb_hash_leaf(&leaf, bytes, len);
	if ((rc = wb_txn_begin(&t, v->j->mdb, false)) != WB_OK) {
		wb_entry_free(h->e);
		return rc;
	}
	rc = wb_journal_node_get(&stored, 0, key, &t);
	wb_txn_abort(&t);
	if (rc != WB_OK || !wb_hash_equal(&leaf, &stored)) {
		fail(v, key,
		     "entry %llu's bytes do not match the leaf hash recorded when it was appended",
		     (unsigned long long)key);
	}
	if (!v->r->ok) {
		wb_entry_free(h->e);
		return WB_EREJECTED;
	}
	if ((h->bytes = malloc(len ? len : 1)) == NULL) {
		wb_entry_free(h->e);
		return WB_ENOMEM;
	}
	memcpy(h->bytes, bytes, len);
	h->len = len;
	v->n++;
	return WB_OK;
}

static wb_err
walk_entries(struct verifier *v)
{
	wb_err rc = WB_OK;

	v->expect = 1;
	for (uint64_t from = 1; from < v->total && v->r->ok; from += CHUNK) {
		uint64_t to = from + CHUNK < v->total ? from + CHUNK : v->total;

		rc = wb_journal_range(v->j, from, to, take_entry, v);
		if (rc == WB_EREJECTED) {
			rc = WB_OK; /* a problem was reported */
		}
		if (rc == WB_OK && v->r->ok && v->expect != to) {
			fail(v, v->expect, "entry %llu is missing",
			     (unsigned long long)v->expect);
		}
		if (rc != WB_OK || !v->r->ok) {
			release_chunk(v);
			break;
		}
		if ((rc = replay_chunk(v)) != WB_OK) {
			break;
		}
		if (v->progress != NULL) {
			v->progress(to, v->total, v->arg);
		}
	}
	return rc;
}

static wb_err
check_one_checkpoint(struct verifier *v, uint64_t size, const char *note,
                     size_t len)
{
	wb_checkpoint cp;
	wb_hash root;
	wb_err rc;

	v->r->checkpoints++;
	if (wb_checkpoint_verify(&cp, note, len, v->j->origin,
	                         &v->j->genesis.log_key) != WB_OK) {
		fail(v, size ? size - 1 : 0,
		     "the checkpoint of tree size %llu is not validly signed by the log key for origin %s",
		     (unsigned long long)size, v->j->origin);
		return WB_OK;
	}
	if (cp.size != size) {
		fail(v, size ? size - 1 : 0,
		     "the checkpoint stored for tree size %llu speaks of size %llu",
		     (unsigned long long)size, (unsigned long long)cp.size);
		return WB_OK;
	}
	if (size > v->total) {
		fail(v, v->total,
		     "a checkpoint covers %llu entries but the journal holds %llu: entries were cut off",
		     (unsigned long long)size, (unsigned long long)v->total);
		return WB_OK;
	}
	if ((rc = wb_journal_root(&root, v->scratch, size)) != WB_OK) {
		return rc;
	}
	if (!wb_hash_equal(&root, &cp.root)) {
		fail(v, size - 1,
		     "the signed checkpoint of tree size %llu has a root the journal's entries do not produce",
		     (unsigned long long)size);
	}
	return WB_OK;
}

static wb_err
check_checkpoints(struct verifier *v)
{
	wb_cursor *c = NULL;
	wb_txn t = { 0 };
	wb_val k, val;
	wb_err rc;

	if ((rc = wb_txn_begin(&t, v->j->mdb, false)) != WB_OK) {
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
		if ((rc = check_one_checkpoint(v, wb_be64_get(k.data), val.data,
		                               val.len)) != WB_OK ||
		    !v->r->ok) {
			break;
		}
	}
	rc = rc == WB_ENOTFOUND ? WB_OK : rc;
	if (rc == WB_OK && v->r->ok && v->r->checkpoints == 0) {
		fail(v, v->total ? v->total - 1 : 0,
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
	struct verifier *v = arg;
	wb_entry *e = NULL;
	wb_problem p;

	if (wb_entry_decode(&e, bytes, len) != WB_OK) {
		return WB_ECORRUPT;
	}
	if (e->type == WB_ENTRY_STAMP &&
	    wb_journal_key_valid_at(v->scratch, &e->signer, index, &p) ==
	            WB_EREJECTED &&
	    p.reason == WB_REJECT_KEY_REVOKED) {
		if (v->r->flagged++ == 0) {
			v->r->first_flagged = index;
		}
	}
	wb_entry_free(e);
	return WB_OK;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

wb_err
wb_verify_journal(wb_verify_report *out, wb_journal *j, const char *scratch_dir,
                  wb_verify_progress_fn progress, void *arg)
{
	struct verifier *v = calloc(1, sizeof(*v));
	const char *base = scratch_dir;
	char dir[4096];
	uint8_t *genesis = NULL;
	size_t glen;
	wb_err rc;

	WB_CHECK_ARG(out && j);
	if (v == NULL) {
		return WB_ENOMEM;
	}
	memset(out, 0, sizeof(*out));
	out->ok = true;
	v->j = j;
	v->r = out;
	v->progress = progress;
	v->arg = arg;
	if (base == NULL && ((base = getenv("TMPDIR")) == NULL || !*base)) {
		base = "/tmp";
	}
	snprintf(dir, sizeof(dir), "%s/waybill-verify-XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		free(v);
		return WB_EIO;
	}
	if ((rc = wb_journal_size(&v->total, j)) != WB_OK ||
	    (rc = wb_journal_entry(&genesis, &glen, j, 0)) != WB_OK ||
	    (rc = wb_journal_replica_create(&v->scratch, dir, genesis, glen)) !=
	            WB_OK) {
		goto out;
	}
	out->entries = 1;
	if ((rc = walk_entries(v)) != WB_OK || !out->ok ||
	    (rc = check_checkpoints(v)) != WB_OK || !out->ok) {
		goto out;
	}
	rc = wb_journal_range(j, 1, v->total, flag_revoked, v);
out:
	free(genesis);
	wb_journal_close(v->scratch);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(v);
	return rc;
}
