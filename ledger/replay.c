/* SPDX-License-Identifier: MIT */
/*
 * replay.c - the replayer of verify_impl.h: every queued entry is offered
 * to a scratch ledger as the submission it records (same bytes, signer,
 * signature and record time), so every append rule is judged again by the
 * code that judged it first, and the scratch ledger's entry must equal the
 * stored one byte for byte (which also checks every chain link).
 */
#include "verify_impl.h"

#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal_impl.h"

/* Entries replayed per scratch transaction. */
#define CHUNK 512

struct held {
	uint64_t index;
	uint8_t *bytes;
	size_t len;
	wb_entry *e;
};

struct wb_replayer {
	char dir[4096];
	wb_journal *scratch;
	struct held chunk[CHUNK];
	size_t n;
};

void
wb_report_fail(wb_verify_report *r, uint64_t index, const char *fmt, ...)
{
	va_list ap;

	/* Checks run in more than one pass (a streaming pass runs ahead of
	 * the replay), so keep the problem at the earliest index. */
	if (!r->ok && r->first_bad <= index) {
		return;
	}
	r->ok = false;
	r->first_bad = index;
	va_start(ap, fmt);
	vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
	va_end(ap);
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
wb_replayer_new(wb_replayer **out, const char *scratch_base,
                const uint8_t *genesis, size_t len)
{
	wb_replayer *r = calloc(1, sizeof(*r));
	const char *base = scratch_base;
	wb_err rc;

	*out = NULL;
	if (r == NULL) {
		return WB_ENOMEM;
	}
	if (base == NULL && ((base = getenv("TMPDIR")) == NULL || !*base)) {
		base = "/tmp";
	}
	snprintf(r->dir, sizeof(r->dir), "%s/waybill-verify-XXXXXX", base);
	if (mkdtemp(r->dir) == NULL) {
		free(r);
		return WB_EIO;
	}
	if ((rc = wb_journal_replica_create(&r->scratch, r->dir, genesis,
	                                    len)) != WB_OK) {
		wb_replayer_free(r);
		return rc;
	}
	*out = r;
	return WB_OK;
}

void
wb_replayer_free(wb_replayer *r)
{
	if (r == NULL) {
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		free(r->chunk[i].bytes);
		wb_entry_free(r->chunk[i].e);
	}
	wb_journal_close(r->scratch);
	nftw(r->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(r);
}

wb_journal *
wb_replayer_journal(wb_replayer *r)
{
	return r->scratch;
}

static void
release_chunk(wb_replayer *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->chunk[i].bytes);
		wb_entry_free(r->chunk[i].e);
	}
	r->n = 0;
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
compare_replayed(wb_replayer *r, const struct held *h, wb_verify_report *rep)
{
	uint8_t *again = NULL;
	size_t len = 0;
	wb_err rc;

	if ((rc = wb_journal_entry(&again, &len, r->scratch, h->index)) !=
	    WB_OK) {
		return rc;
	}
	if (len != h->len || memcmp(again, h->bytes, len) != 0) {
		wb_report_fail(
		        rep, h->index,
		        "entry %llu differs from what the append rules produce for its stamp: its chain links or fields were altered",
		        (unsigned long long)h->index);
	}
	free(again);
	return WB_OK;
}

static void
judge(const struct held *h, const wb_result *res, wb_verify_report *rep)
{
	if (res->err == WB_EREJECTED) {
		wb_report_fail(rep, h->index,
		               "entry %llu breaks a ledger rule (%s): %s",
		               (unsigned long long)h->index,
		               wb_reject_name(res->problem.reason),
		               res->problem.msg);
	} else if (res->duplicate) {
		wb_report_fail(
		        rep, h->index,
		        "entry %llu repeats entry %llu: a stamp may be appended once",
		        (unsigned long long)h->index,
		        (unsigned long long)res->index);
	} else if (res->index != h->index) {
		wb_report_fail(rep, h->index,
		               "entry %llu replays at index %llu",
		               (unsigned long long)h->index,
		               (unsigned long long)res->index);
	}
}

wb_err
wb_replayer_flush(wb_replayer *r, wb_verify_report *rep)
{
	wb_submission *subs = NULL;
	wb_result *res = NULL;
	uint64_t size;
	wb_err rc = WB_OK;

	if (r->n == 0) {
		return WB_OK;
	}
	subs = calloc(r->n, sizeof(*subs));
	res = calloc(r->n, sizeof(*res));
	if (subs == NULL || res == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < r->n; i++) {
		const wb_entry *e = r->chunk[i].e;

		subs[i].type = e->type;
		subs[i].body = e->body;
		subs[i].body_len = e->body_len;
		subs[i].signer = e->signer;
		memcpy(subs[i].signature, e->signature, WB_SIG_LEN);
		subs[i].record_time_us = e->record_time_us;
	}
	check_signatures(subs, r->n);
	if ((rc = wb_journal_append(r->scratch, subs, r->n, res, NULL,
	                            &size)) != WB_OK) {
		goto out;
	}
	for (size_t i = 0; i < r->n; i++) {
		if (!rep->ok && rep->first_bad <= r->chunk[i].index) {
			break;
		}
		judge(&r->chunk[i], &res[i], rep);
		if ((rep->ok || rep->first_bad > r->chunk[i].index) &&
		    (rc = compare_replayed(r, &r->chunk[i], rep)) != WB_OK) {
			break;
		}
		if (res[i].custody_gap) {
			rep->custody_gaps++;
		}
	}
out:
	free(subs);
	free(res);
	release_chunk(r);
	return rc;
}

wb_err
wb_replayer_add(wb_replayer *r, uint64_t index, const uint8_t *bytes,
                size_t len, wb_verify_report *rep)
{
	struct held *h = &r->chunk[r->n];

	memset(h, 0, sizeof(*h));
	h->index = index;
	if (wb_entry_decode(&h->e, bytes, len) != WB_OK) {
		wb_report_fail(rep, index,
		               "entry %llu does not parse as an Entry",
		               (unsigned long long)index);
		return WB_OK;
	}
	if (h->e->type == WB_ENTRY_GENESIS) {
		wb_report_fail(rep, index, "entry %llu is a second genesis",
		               (unsigned long long)index);
		wb_entry_free(h->e);
		return WB_OK;
	}
	if ((h->bytes = malloc(len ? len : 1)) == NULL) {
		wb_entry_free(h->e);
		return WB_ENOMEM;
	}
	memcpy(h->bytes, bytes, len);
	h->len = len;
	if (++r->n == CHUNK) {
		return wb_replayer_flush(r, rep);
	}
	return WB_OK;
}
