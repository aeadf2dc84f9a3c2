/* SPDX-License-Identifier: MIT */
/*
 * Exports: a whole journal and a later range verify against their
 * checkpoint with the ledger's public keys alone; a changed byte, a dropped
 * or swapped entry, a cut-off tail, a forged checkpoint, a stamp by a key
 * revoked before it and a correctly signed rule-breaking entry are caught,
 * at the right index. Each entry carries the leaf hash its ledger stored,
 * so a change to a field the stakeholder does not sign (the record time, a
 * chain link's previous-leaf hash) is named at its own entry too; an export
 * without those hashes verifies as it did before they existed.
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_impl.h"

struct world {
	fx_ledger fx;
	wb_signer *acme;
	wb_signer *shop;
	uint64_t mid;     /* a checkpoint size in the middle */
	uint64_t revoked; /* index of a stamp flagged by a later revocation */
};

static void
object(struct world *w, const wb_signer *s, const char *ev, const char *id,
       wb_action action, const char *step)
{
	const char *ids[] = { id };
	wb_result res;
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, ev);
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = step;
	if (fx_submit(&w->fx, s, &st, &res) != WB_OK) {
		fail_msg("%s refused: %s", ev, res.problem.msg);
	}
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	wb_registry_change c = { 0 };
	wb_signer *temp;
	wb_result res;
	char id[64], ev[32];

	assert_non_null(w);
	fx_open(&w->fx, WB_CUSTODY_ADVISORY);
	w->acme = fx_register(&w->fx, "Acme", 10, 0, "0614141", NULL, NULL);
	w->shop = fx_register(&w->fx, "Shop", 11, 0, "0012345", NULL, NULL);
	for (int i = 0; i < 12; i++) {
		snprintf(id, sizeof(id), "urn:epc:id:sgtin:0614141.107346.%d",
		         i % 4);
		snprintf(ev, sizeof(ev), "ev-%d", i);
		object(w, i < 4 ? w->acme : w->shop, ev, id,
		       i < 4 ? WB_ACTION_ADD : WB_ACTION_OBSERVE,
		       i < 4 ? "commissioning" : "inspecting");
		if (i == 6) {
			w->mid = fx_size(&w->fx);
		}
	}
	/* A key that signs, then is revoked from that stamp's index. */
	temp = fx_register(&w->fx, "Temp", 12, 0, NULL, NULL, NULL);
	object(w, temp, "temp-1", "urn:epc:id:sgtin:0614141.107346.0",
	       WB_ACTION_OBSERVE, NULL);
	w->revoked = fx_size(&w->fx) - 1;
	c.op = WB_REG_REVOKE;
	c.key = *wb_signer_pubkey(temp);
	c.effective_index = w->revoked;
	assert_int_equal(fx_registry(&w->fx, &c, &res), WB_OK);
	object(w, w->shop, "last", "urn:epc:id:sgtin:0614141.107346.1",
	       WB_ACTION_OBSERVE, NULL);
	wb_signer_free(temp);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_signer_free(w->acme);
	wb_signer_free(w->shop);
	fx_close(&w->fx);
	free(w);
	return 0;
}

/* The export as bytes in memory. */
struct blob {
	char *data;
	size_t len;
};

static struct blob export(struct world *w, uint64_t from, uint64_t to)
{
	struct blob b = { 0 };
	FILE *f = open_memstream(&b.data, &b.len);

	assert_non_null(f);
	assert_int_equal(wb_export_write(f, w->fx.j, from, to), WB_OK);
	assert_int_equal(fclose(f), 0);
	return b;
}

static wb_verify_report
check(const struct blob *b, const wb_pubkey *log, wb_export_info *info)
{
	wb_verify_report r;
	FILE *f = fmemopen(b->data, b->len, "rb");

	assert_non_null(f);
	assert_int_equal(wb_verify_export(&r, info, f, log, NULL, NULL, NULL),
	                 WB_OK);
	fclose(f);
	return r;
}

/* An export's items, to edit and write back. */
struct items {
	wb_export_header *h;
	wb_export_entry *e[64];
	size_t n;
};

static struct items
parse(const struct blob *b)
{
	struct items it = { 0 };
	wb_export_header *h;
	wb_export_entry *e;
	FILE *f = fmemopen(b->data, b->len, "rb");

	assert_int_equal(wb_export_item_read(&it.h, &e, f), WB_OK);
	assert_non_null(it.h);
	while (wb_export_item_read(&h, &e, f) == WB_OK) {
		assert_null(h);
		assert_true(it.n < 64);
		it.e[it.n++] = e;
	}
	fclose(f);
	return it;
}

static struct blob
unparse(const struct items *it)
{
	struct blob b = { 0 };
	FILE *f = open_memstream(&b.data, &b.len);
	uint8_t *bytes;
	size_t len;

	assert_int_equal(wb_export_item_encode(&bytes, &len, it->h, NULL),
	                 WB_OK);
	fwrite(bytes, 1, len, f);
	free(bytes);
	for (size_t i = 0; i < it->n; i++) {
		if (it->e[i] == NULL) {
			continue;
		}
		assert_int_equal(
		        wb_export_item_encode(&bytes, &len, NULL, it->e[i]),
		        WB_OK);
		fwrite(bytes, 1, len, f);
		free(bytes);
	}
	fclose(f);
	return b;
}

static void
items_free(struct items *it)
{
	wb_export_header_free(it->h);
	for (size_t i = 0; i < it->n; i++) {
		wb_export_entry_free(it->e[i]);
	}
}

/* The item holding entry `index`. */
static wb_export_entry *
item_of(struct items *it, uint64_t index)
{
	for (size_t i = 0; i < it->n; i++) {
		if (it->e[i] != NULL && it->e[i]->index == index &&
		    it->e[i]->n_proof == 0) {
			return it->e[i];
		}
	}
	fail_msg("no item for entry %llu", (unsigned long long)index);
	return NULL;
}

/* Flips a byte inside the signed stamp an entry holds. */
static void
flip_in_body(wb_export_entry *x)
{
	wb_entry *e = NULL;
	uint8_t *bytes = (uint8_t *)(uintptr_t)x->entry;
	const uint8_t *at;

	assert_int_equal(wb_entry_decode(&e, x->entry, x->entry_len), WB_OK);
	at = NULL;
	for (size_t i = 0; i + e->body_len <= x->entry_len; i++) {
		if (memcmp(bytes + i, e->body, e->body_len) == 0) {
			at = bytes + i;
			break;
		}
	}
	assert_non_null(at);
	bytes[(at - bytes) + e->body_len / 2] ^= 0x01;
	wb_entry_free(e);
}

static void
expect_bad(const struct blob *b, const wb_pubkey *log, uint64_t index,
           const char *words)
{
	wb_export_info info;
	wb_verify_report r = check(b, log, &info);

	if (r.ok || r.first_bad != index ||
	    (words != NULL && strstr(r.problem, words) == NULL)) {
		fail_msg(
		        "expected a problem at %llu (%s); got ok=%d at %llu: %s",
		        (unsigned long long)index, words ? words : "", r.ok,
		        (unsigned long long)r.first_bad, r.problem);
	}
}

static void
test_export_whole_journal_verifies_and_replays(void **state)
{
	struct world *w = *state;
	uint64_t size = fx_size(&w->fx);
	struct blob b = export(w, 0, 0);
	wb_export_info info;
	wb_verify_report r = check(&b, wb_signer_pubkey(w->fx.log), &info);
	wb_hash root;

	assert_true(r.ok);
	assert_true(info.replayed);
	assert_int_equal(info.from, 0);
	assert_int_equal(info.to, size);
	assert_int_equal(r.entries, size);
	assert_int_equal(wb_journal_root(&root, w->fx.j, size), WB_OK);
	assert_memory_equal(info.root.b, root.b, WB_HASH_LEN);
	assert_memory_equal(info.ledger_id, wb_journal_ledger_id(w->fx.j),
	                    WB_HASH_LEN);
	assert_string_equal(info.origin, "test.example/ledger");
	/* The stamp whose key was revoked later is flagged, not failed. */
	assert_int_equal(r.flagged, 1);
	assert_int_equal(r.first_flagged, w->revoked);
	/* Without a trust anchor the export's own genesis is used. */
	r = check(&b, NULL, &info);
	assert_true(r.ok);
	/* Another ledger's log key is refused at once. */
	r = check(&b, wb_signer_pubkey(w->acme), &info);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 0);
	free(b.data);
}

static void
test_export_later_range_verifies(void **state)
{
	struct world *w = *state;
	uint64_t size = fx_size(&w->fx);
	wb_export_info info;
	wb_verify_report r;

	for (uint64_t from = 1; from < size; from += 3) {
		struct blob b = export(w, from, 0);

		r = check(&b, wb_signer_pubkey(w->fx.log), &info);
		if (!r.ok) {
			fail_msg("from %llu: %s", (unsigned long long)from,
			         r.problem);
		}
		assert_false(info.replayed);
		assert_int_equal(r.entries, size - from);
		free(b.data);
	}
	/* A range ending at an earlier commit. */
	{
		struct blob b = export(w, 2, w->mid);

		r = check(&b, wb_signer_pubkey(w->fx.log), &info);
		assert_true(r.ok);
		assert_int_equal(info.to, w->mid);
		free(b.data);
	}
}

static void
test_export_needs_a_checkpoint_at_its_end(void **state)
{
	struct world *w = *state;
	FILE *f = tmpfile();

	assert_int_equal(wb_export_write(f, w->fx.j, 0, fx_size(&w->fx) + 1),
	                 WB_EINVAL);
	assert_int_equal(wb_export_write(f, w->fx.j, 5, 5), WB_EINVAL);
	/* A batch of one per commit: make a size no commit ended at. */
	{
		wb_submission subs[2];
		wb_result res[2];
		const char *ids[] = { "urn:epc:id:sgtin:0614141.107346.1" };
		wb_stamp s;

		for (int i = 0; i < 2; i++) {
			fx_stamp_init(&s, &w->fx, WB_KIND_OBJECT,
			              i ? "pair-2" : "pair-1");
			s.epcs = ids;
			s.n_epcs = 1;
			s.has_action = true;
			s.action = WB_ACTION_OBSERVE;
			fx_submission(&subs[i], w->shop, &s);
		}
		assert_int_equal(
		        wb_journal_append(w->fx.j, subs, 2, res, NULL, NULL),
		        WB_OK);
		free((void *)(uintptr_t)subs[0].body);
		free((void *)(uintptr_t)subs[1].body);
	}
	assert_int_equal(wb_export_write(f, w->fx.j, 0, fx_size(&w->fx) - 1),
	                 WB_ENOTFOUND);
	fclose(f);
}

static void
test_export_tampering_is_caught_at_its_index(void **state)
{
	struct world *w = *state;
	const wb_pubkey *log = wb_signer_pubkey(w->fx.log);
	struct blob b = export(w, 0, 0), t;
	struct items it;
	wb_export_entry *e, *tmp;
	size_t i;

	/* A flipped byte in each of several entries' signed bodies. */
	for (uint64_t index = 3; index < 10; index += 2) {
		it = parse(&b);
		e = item_of(&it, index);
		flip_in_body(e);
		t = unparse(&it);
		expect_bad(&t, log, index, NULL);
		free(t.data);
		items_free(&it);
	}
	/* A dropped entry. */
	it = parse(&b);
	for (i = 0; it.e[i]->index != 6; i++) {
	}
	wb_export_entry_free(it.e[i]);
	it.e[i] = NULL;
	t = unparse(&it);
	expect_bad(&t, log, 6, "missing");
	free(t.data);
	items_free(&it);
	/* Two entries swapped. */
	it = parse(&b);
	for (i = 0; it.e[i]->index != 7; i++) {
	}
	tmp = it.e[i];
	it.e[i] = it.e[i + 1];
	it.e[i + 1] = tmp;
	t = unparse(&it);
	expect_bad(&t, log, 7, NULL);
	free(t.data);
	items_free(&it);
	/* A cut-off tail: the last two items gone. */
	t.data = b.data;
	t.len = b.len;
	it = parse(&b);
	wb_export_entry_free(it.e[it.n - 1]);
	wb_export_entry_free(it.e[it.n - 2]);
	it.e[it.n - 1] = it.e[it.n - 2] = NULL;
	t = unparse(&it);
	expect_bad(&t, log, it.h->to - 2, "cut off");
	free(t.data);
	items_free(&it);
	/* A forged checkpoint (another root under the same signature). */
	it = parse(&b);
	{
		char *cp = strdup(it.h->checkpoint);
		char *root = strchr(strchr(cp, '\n') + 1, '\n') + 1;

		root[2] = root[2] == 'A' ? 'B' : 'A';
		it.h->checkpoint = cp;
		t = unparse(&it);
		expect_bad(&t, log, it.h->to - 1, "checkpoint");
		free(cp);
	}
	free(t.data);
	items_free(&it);
	free(b.data);
}

static void
test_export_catches_rule_breaking_and_revoked_signers(void **state)
{
	struct world *w = *state;
	const wb_pubkey *log = wb_signer_pubkey(w->fx.log);
	uint64_t bad = fx_size(&w->fx);
	struct blob b;

	/* A dishonest operator lets the shop commission Acme's item. */
	w->fx.j->skip_rules = true;
	object(w, w->shop, "rogue", "urn:epc:id:sgtin:0614141.107346.99",
	       WB_ACTION_ADD, "commissioning");
	/* ... and a stamp by the key revoked before it. */
	{
		wb_signer *temp = test_signer("Temp", 12);

		object(w, temp, "temp-2", "urn:epc:id:sgtin:0614141.107346.2",
		       WB_ACTION_OBSERVE, NULL);
		wb_signer_free(temp);
	}
	w->fx.j->skip_rules = false;
	/* A whole export replays the rules: the first is caught. */
	b = export(w, 0, 0);
	expect_bad(&b, log, bad, "outside-namespace");
	free(b.data);
	/* A later range checks key validity: the revoked signer is caught. */
	b = export(w, bad, 0);
	expect_bad(&b, log, bad + 1, "revoked");
	free(b.data);
}

/* Where `needle` first occurs in `hay` at or after `from` (the test fails
 * if nowhere). */
static size_t
find_at(const char *hay, size_t hay_len, size_t from, const void *needle,
        size_t len)
{
	for (size_t i = from; i + len <= hay_len; i++) {
		if (memcmp(hay + i, needle, len) == 0) {
			return i;
		}
	}
	fail_msg("bytes not found");
	return 0;
}

/* An entry in the middle of the journal whose first chain link names a
 * previous entry; its bytes, that link and where both sit. */
struct middle {
	uint64_t index;
	uint64_t prev; /* the entry its first link names */
	uint8_t *bytes;
	size_t len;
	size_t rt_off, rt_len; /* the record time, inside the entry */
	size_t link_off;       /* the link's previous-leaf hash, likewise */
};

static struct middle
middle_entry(struct world *w)
{
	struct middle m = { .index = fx_size(&w->fx) / 2 };
	wb_entry *e = NULL;

	for (;; m.index++) {
		free(m.bytes);
		assert_int_equal(
		        wb_journal_entry(&m.bytes, &m.len, w->fx.j, m.index),
		        WB_OK);
		assert_int_equal(wb_entry_decode(&e, m.bytes, m.len), WB_OK);
		if (e->n_links > 0 && e->links[0].has_prev) {
			break;
		}
		wb_entry_free(e);
	}
	m.prev = e->links[0].prev_index;
	m.rt_off = test_entry_record_time(m.bytes, m.len, &m.rt_len);
	m.link_off = find_at((const char *)m.bytes, m.len, 0,
	                     e->links[0].prev_leaf_hash.b, WB_HASH_LEN);
	wb_entry_free(e);
	return m;
}

static void
test_export_carries_each_entrys_stored_leaf_hash(void **state)
{
	struct world *w = *state;
	struct blob b = export(w, 10, 0);
	struct items it = parse(&b);
	wb_hash stored;

	/* The registry prefix (with proofs) and the range alike. */
	assert_int_equal(it.n, it.h->registry_count + it.h->to - 10);
	for (size_t i = 0; i < it.n; i++) {
		assert_int_equal(
		        wb_journal_leaf_hash(&stored, w->fx.j, it.e[i]->index),
		        WB_OK);
		assert_non_null(it.e[i]->leaf_hash);
		assert_int_equal(it.e[i]->leaf_hash_len, WB_HASH_LEN);
		assert_memory_equal(it.e[i]->leaf_hash, stored.b, WB_HASH_LEN);
	}
	items_free(&it);
	free(b.data);
}

/* Flips `mask` into the byte at `at` of the export, audits, restores and
 * expects the carried hash's failure at `index`. */
static void
expect_named_at(struct blob *b, size_t at, uint8_t mask, const wb_pubkey *log,
                uint64_t index)
{
	char want[160];

	snprintf(
	        want, sizeof(want),
	        "entry %llu does not match the leaf hash its ledger recorded for it",
	        (unsigned long long)index);
	b->data[at] ^= (char)mask;
	expect_bad(b, log, index, want);
	b->data[at] ^= (char)mask;
}

static void
test_export_unsigned_field_flips_named_at_their_entry(void **state)
{
	struct world *w = *state;
	const wb_pubkey *log = wb_signer_pubkey(w->fx.log);
	struct blob b = export(w, 0, 0);
	struct middle m = middle_entry(w);
	size_t at = find_at(b.data, b.len, 0, m.bytes, m.len), hash_at;
	wb_hash leaf;

	/* Every byte of the record time, with a low and a high bit (the
	 * high bit changes the varint's length, so the entry no longer
	 * parses as it did). */
	assert_true(m.rt_len >= 1);
	for (size_t i = 0; i < m.rt_len; i++) {
		expect_named_at(&b, at + m.rt_off + i, 0x01, log, m.index);
		expect_named_at(&b, at + m.rt_off + i, 0x80, log, m.index);
	}
	/* Every byte of the first link's previous-leaf hash: the entry it
	 * names (m.prev) is intact and is not blamed. */
	assert_true(m.prev < m.index);
	for (size_t i = 0; i < WB_HASH_LEN; i++) {
		expect_named_at(&b, at + m.link_off + i, 0x01, log, m.index);
	}
	/* The carried hash itself (it follows the entry in its item). */
	wb_hash_leaf(&leaf, m.bytes, m.len);
	hash_at = find_at(b.data, b.len, at + m.len, leaf.b, WB_HASH_LEN);
	for (size_t i = 0; i < WB_HASH_LEN; i += 7) {
		expect_named_at(&b, hash_at + i, 0x40, log, m.index);
	}
	/* Untouched, it verifies. */
	{
		wb_export_info info;
		wb_verify_report r = check(&b, log, &info);

		assert_true(r.ok);
	}
	free(m.bytes);
	free(b.data);
}

/* A forger who also recomputes the carried hash gains nothing: the chain
 * links and the checkpoint's root still catch the change. */
static void
test_export_recomputed_leaf_hash_still_caught(void **state)
{
	struct world *w = *state;
	const wb_pubkey *log = wb_signer_pubkey(w->fx.log);
	struct blob b = export(w, 0, 0), t;
	struct middle m = middle_entry(w);
	struct items it = parse(&b);
	wb_export_entry *x = item_of(&it, m.index);
	uint8_t *bytes = (uint8_t *)(uintptr_t)x->entry;
	uint8_t *carried = (uint8_t *)(uintptr_t)x->leaf_hash;
	wb_export_info info;
	wb_verify_report r;
	wb_hash leaf;

	/* The link's previous-leaf hash changed, the carried hash made to
	 * match: the link no longer names its twin's previous entry. */
	bytes[m.link_off] ^= 0x01;
	wb_hash_leaf(&leaf, bytes, x->entry_len);
	memcpy(carried, leaf.b, WB_HASH_LEN);
	t = unparse(&it);
	expect_bad(&t, log, m.prev, "one of the two was altered");
	free(t.data);
	items_free(&it);
	/* The last entry's record time, a few microseconds later (still
	 * after the entry before it): nothing links to it, so only the root
	 * disagrees. */
	it = parse(&b);
	x = it.e[it.n - 1];
	bytes = (uint8_t *)(uintptr_t)x->entry;
	carried = (uint8_t *)(uintptr_t)x->leaf_hash;
	{
		size_t rt_len, rt = test_entry_record_time(bytes, x->entry_len,
		                                           &rt_len);
		uint8_t bit = 0x01;

		while (bytes[rt] & bit) {
			bit <<= 1;
		}
		assert_true(bit < 0x80);
		bytes[rt] |= bit;
	}
	wb_hash_leaf(&leaf, bytes, x->entry_len);
	memcpy(carried, leaf.b, WB_HASH_LEN);
	t = unparse(&it);
	r = check(&t, log, &info);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, it.h->to - 1);
	assert_string_equal(
	        r.problem,
	        "the range's entries and left subtrees do not produce the checkpoint's root");
	free(t.data);
	items_free(&it);
	free(m.bytes);
	free(b.data);
}

/* The export with every carried leaf hash left out, as written before
 * the field existed. */
static struct blob
strip_leaf_hashes(const struct blob *b)
{
	struct items it = parse(b);
	struct blob t;

	for (size_t i = 0; i < it.n; i++) {
		it.e[i]->leaf_hash = NULL;
		it.e[i]->leaf_hash_len = 0;
	}
	t = unparse(&it);
	items_free(&it);
	return t;
}

static void
test_export_without_leaf_hashes_verifies_as_before(void **state)
{
	struct world *w = *state;
	const wb_pubkey *log = wb_signer_pubkey(w->fx.log);
	struct blob full = export(w, 0, 0), later = export(w, 10, 0);
	struct blob t = strip_leaf_hashes(&full), u = strip_leaf_hashes(&later);
	struct middle m = middle_entry(w);
	size_t at = find_at(t.data, t.len, 0, m.bytes, m.len);
	struct items it = parse(&t);
	wb_export_info info;
	wb_verify_report r;

	/* Smaller by the hashes, and nothing carried. */
	assert_true(t.len < full.len);
	for (size_t i = 0; i < it.n; i++) {
		assert_null(it.e[i]->leaf_hash);
	}
	items_free(&it);
	/* Clean, whole and replayed, or a later range with its registry
	 * prefix. */
	r = check(&t, log, &info);
	assert_true(r.ok);
	assert_true(info.replayed);
	assert_int_equal(r.entries, fx_size(&w->fx));
	assert_int_equal(r.flagged, 1);
	r = check(&u, log, &info);
	assert_true(r.ok);
	assert_int_equal(r.entries, fx_size(&w->fx) - 10);
	/* A flip in a link's previous-leaf hash is still caught, where the
	 * chain check places it: at the linked entry, naming both. */
	t.data[at + m.link_off] ^= 0x01;
	expect_bad(&t, log, m.prev, "one of the two was altered");
	t.data[at + m.link_off] ^= 0x01;
	/* So is a flip in the record time, somewhere at or after it. */
	t.data[at + m.rt_off] ^= 0x01;
	r = check(&t, log, &info);
	assert_false(r.ok);
	assert_true(r.first_bad >= m.prev);
	assert_null(strstr(r.problem, "leaf hash its ledger recorded"));
	t.data[at + m.rt_off] ^= 0x01;
	/* A signed byte, as always, at its entry. */
	it = parse(&t);
	flip_in_body(item_of(&it, m.index));
	free(u.data);
	u = unparse(&it);
	expect_bad(&u, log, m.index, "signature");
	items_free(&it);
	free(m.bytes);
	free(full.data);
	free(later.data);
	free(t.data);
	free(u.data);
}

static void
test_export_leaf_hash_of_wrong_length_is_malformed(void **state)
{
	struct world *w = *state;
	const wb_pubkey *log = wb_signer_pubkey(w->fx.log);
	struct blob b = export(w, 10, 0), t;
	static const uint8_t long_hash[WB_HASH_LEN + 1] = { 0 };
	const size_t lens[] = { 0, 1, WB_HASH_LEN - 1, WB_HASH_LEN + 1 };
	struct items it;
	char want[128];

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		/* In the range, and in the registry prefix before it. */
		for (int prefix = 0; prefix < 2; prefix++) {
			wb_export_entry *x;

			it = parse(&b);
			assert_true(it.h->registry_count > 0);
			x = prefix ? it.e[0] : item_of(&it, 13);
			x->leaf_hash = long_hash;
			x->leaf_hash_len = lens[k];
			t = unparse(&it);
			snprintf(
			        want, sizeof(want),
			        "entry %llu carries a leaf hash of %zu bytes, not 32: the export is malformed",
			        (unsigned long long)x->index, lens[k]);
			expect_bad(&t, log, x->index, want);
			free(t.data);
			items_free(&it);
		}
	}
	/* A registry entry before the range whose carried hash is another
	 * entry's: named at its own index. */
	it = parse(&b);
	it.e[0]->leaf_hash = it.e[1]->leaf_hash;
	t = unparse(&it);
	snprintf(
	        want, sizeof(want),
	        "entry %llu does not match the leaf hash its ledger recorded for it",
	        (unsigned long long)it.e[0]->index);
	expect_bad(&t, log, it.e[0]->index, want);
	free(t.data);
	items_free(&it);
	free(b.data);
}

static void
test_export_refuses_garbage(void **state)
{
	struct blob b = { (char *)"not an export at all", 20 };
	wb_export_info info;
	wb_verify_report r = check(&b, NULL, &info);

	(void)state;
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 0);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_export_whole_journal_verifies_and_replays),
		T(test_export_later_range_verifies),
		T(test_export_needs_a_checkpoint_at_its_end),
		T(test_export_tampering_is_caught_at_its_index),
		T(test_export_catches_rule_breaking_and_revoked_signers),
		T(test_export_carries_each_entrys_stored_leaf_hash),
		T(test_export_unsigned_field_flips_named_at_their_entry),
		T(test_export_recomputed_leaf_hash_still_caught),
		T(test_export_without_leaf_hashes_verifies_as_before),
		T(test_export_leaf_hash_of_wrong_length_is_malformed),
		cmocka_unit_test(test_export_refuses_garbage),
	};
#undef T

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
