/* SPDX-License-Identifier: MIT */
/*
 * Search over the posting records: a batch large enough to split one
 * value's postings over several records, small batches after it, and
 * every page boundary and cursor position compared with the answer worked
 * out from the stamps themselves.
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "waybill/trace.h"

#define BIG   4000 /* stamps in the first batch */
#define SMALL 12   /* single-stamp batches after it */
#define ITEM  "urn:epc:id:sgtin:4000001.000001.%d"
#define RP    "urn:epc:id:sgln:4000001.00001.%d"

struct world {
	fx_ledger fx;
	wb_signer *a, *b;
	uint64_t a_id, b_id;
	uint64_t first; /* index of stamp 0 */
};

/* Stamp i: signed by a unless i % 5 == 4; "shipping" unless i % 3 == 0
 * ("receiving"); read point i % 2. */
static void
make(struct world *w, wb_submission *sub, int i)
{
	char id[64], ev[32], rp[64];
	const char *ids[1] = { id };
	wb_location loc = { rp, NULL };
	wb_stamp st;

	snprintf(id, sizeof(id), ITEM, i);
	snprintf(ev, sizeof(ev), "ev-%d", i);
	snprintf(rp, sizeof(rp), RP, i % 2);
	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, ev);
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_OBSERVE;
	st.biz_step = i % 3 == 0 ? "receiving" : "shipping";
	st.read_point = &loc;
	fx_submission(sub, i % 5 == 4 ? w->b : w->a, &st);
}

static void
append(struct world *w, int from, int n)
{
	wb_submission *subs = calloc((size_t)n, sizeof(*subs));
	wb_result *res = calloc((size_t)n, sizeof(*res));

	assert_non_null(subs);
	assert_non_null(res);
	for (int i = 0; i < n; i++) {
		make(w, &subs[i], from + i);
	}
	assert_int_equal(
	        wb_journal_append(w->fx.j, subs, (size_t)n, res, NULL, NULL),
	        WB_OK);
	for (int i = 0; i < n; i++) {
		assert_int_equal(res[i].err, WB_OK);
		assert_int_equal(res[i].index, w->first + (uint64_t)(from + i));
		free((void *)(uintptr_t)subs[i].body);
	}
	free(subs);
	free(res);
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	fx_open(&w->fx, WB_CUSTODY_ADVISORY);
	w->a = fx_register(&w->fx, "A", 30, 0, "4000001", NULL, &w->a_id);
	w->b = fx_register(&w->fx, "B", 31, 0, NULL, NULL, &w->b_id);
	w->first = fx_size(&w->fx);
	append(w, 0, BIG);
	for (int i = 0; i < SMALL; i++) {
		append(w, BIG + i, 1);
	}
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_signer_free(w->a);
	wb_signer_free(w->b);
	fx_close(&w->fx);
	free(w);
	return 0;
}

/* The indexes the stamps imply for a filter, in order. */
static size_t
expected(struct world *w, const char *step, int rp, int signer, uint64_t *out)
{
	size_t n = 0;

	for (int i = 0; i < BIG + SMALL; i++) {
		bool shipping = i % 3 != 0;

		if ((step == NULL ||
		     (strcmp(step, "shipping") == 0) == shipping) &&
		    (rp < 0 || i % 2 == rp) &&
		    (signer < 0 || (i % 5 == 4) == (signer == 1))) {
			out[n++] = w->first + (uint64_t)i;
		}
	}
	return n;
}

/* Every result of q, page by page. */
static size_t
all_pages(struct world *w, wb_search_query *q, uint64_t *out, size_t *pages)
{
	size_t total = 0;

	*pages = 0;
	q->after = 0;
	for (;;) {
		uint64_t *v = NULL, next = 0;
		size_t n = 0;

		assert_int_equal(wb_search(&v, &n, &next, w->fx.j, q), WB_OK);
		memcpy(out + total, v, n * sizeof(*v));
		total += n;
		free(v);
		(*pages)++;
		assert_true(*pages < 10000);
		if (next == 0) {
			return total;
		}
		assert_true(next > q->after);
		q->after = next;
	}
}

static void
test_search_pages_cover_every_posting_once(void **state)
{
	struct world *w = *state;
	uint64_t *want = calloc(BIG + SMALL, sizeof(*want)),
	         *got = calloc(BIG + SMALL, sizeof(*got));
	wb_search_query q = { .biz_step = "shipping", .limit = 7 };
	size_t n_want, n_got, pages;

	n_want = expected(w, "shipping", -1, -1, want);
	n_got = all_pages(w, &q, got, &pages);
	assert_int_equal(n_got, n_want);
	assert_memory_equal(got, want, n_want * sizeof(*want));
	/* The postings tell where they end: no empty page at the end. */
	assert_int_equal(n_want % 7, 0);
	assert_int_equal(pages, n_want / 7);

	/* The CBV URI and URN forms find the same postings. */
	q = (wb_search_query){ .biz_step = "urn:epcglobal:cbv:bizstep:shipping",
		               .limit = 1000 };
	n_got = all_pages(w, &q, got, &pages);
	assert_int_equal(n_got, n_want);
	assert_memory_equal(got, want, n_want * sizeof(*want));
	free(want);
	free(got);
}

static void
test_search_resumes_after_any_index(void **state)
{
	struct world *w = *state;
	uint64_t *want = calloc(BIG + SMALL, sizeof(*want));
	size_t n_want = expected(w, NULL, 1, -1, want);
	uint64_t last = want[n_want - 1];

	/* Every cursor position from before the first stamp to past the
	 * last, in and between the posting records. */
	for (uint64_t after = 0; after <= last + 1;
	     after += after < 40 ? 1 : 97) {
		char rp[64];
		wb_search_query q = { .read_point = rp, .limit = 3 };
		uint64_t *v = NULL, next = 0;
		size_t n = 0, k = 0;

		snprintf(rp, sizeof(rp), RP, 1);
		q.after = after;
		while (k < n_want && want[k] <= after) {
			k++;
		}
		assert_int_equal(wb_search(&v, &n, &next, w->fx.j, &q), WB_OK);
		assert_int_equal(n, n_want - k < 3 ? n_want - k : 3);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(v[i], want[k + i]);
		}
		free(v);
	}
	free(want);
}

static void
test_search_filters_combine(void **state)
{
	struct world *w = *state;
	uint64_t *want = calloc(BIG + SMALL, sizeof(*want)),
	         *got = calloc(BIG + SMALL, sizeof(*got));
	char rp[64];
	wb_search_query q = { .biz_step = "receiving",
		              .read_point = rp,
		              .has_stakeholder = true,
		              .limit = 50 };
	size_t n_want, n_got, pages;

	snprintf(rp, sizeof(rp), RP, 0);
	q.stakeholder = w->b_id;
	n_want = expected(w, "receiving", 0, 1, want);
	assert_true(n_want > 10);
	n_got = all_pages(w, &q, got, &pages);
	assert_int_equal(n_got, n_want);
	assert_memory_equal(got, want, n_want * sizeof(*want));

	/* A value no stamp carries: nothing, at once. */
	q = (wb_search_query){ .disposition = "destroyed" };
	n_got = all_pages(w, &q, got, &pages);
	assert_int_equal(n_got, 0);
	assert_int_equal(pages, 1);
	free(want);
	free(got);
}

int
main(void)
{
#define T(name) cmocka_unit_test(name)
	const struct CMUnitTest tests[] = {
		T(test_search_pages_cover_every_posting_once),
		T(test_search_resumes_after_any_index),
		T(test_search_filters_combine),
	};
#undef T

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, setup, teardown);
}
