/* SPDX-License-Identifier: MIT */
/*
 * journal.c - creating and opening a ledger, and every read: entries,
 * checkpoints, roots, proofs, receipts and twin histories.
 */
#include "journal_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "waybill/note.h"

static const char META_FORMAT[] = "format";
static const char META_LEDGER_ID[] = "ledger_id";

bool
wb_order_after(const wb_order *a, const wb_order *b)
{
	/* An order never set (index 0: the genesis, never a stamp) is
	 * before every event: as the instant 1970-01-01 it would hide the
	 * events of a twin whose life is older than that. */
	if ((a->index == 0) != (b->index == 0)) {
		return b->index == 0;
	}
	if (a->seconds != b->seconds) {
		return a->seconds > b->seconds;
	}
	if (a->nanos != b->nanos) {
		return a->nanos > b->nanos;
	}
	return a->index > b->index;
}

/* A perfect subtree is keyed by the last leaf it covers, then its level:
 * appending leaf n completes (n, 0), (n, 1), ... in increasing key order, so
 * every node put is an MDB_APPEND at the end of the B-tree. */
static void
node_key(uint8_t key[9], unsigned level, uint64_t index)
{
	wb_be64_put(key, ((index + 1) << level) - 1);
	key[8] = (uint8_t)level;
}

wb_err
wb_journal_node_get(wb_hash *out, unsigned level, uint64_t index, void *arg)
{
	wb_txn *t = arg;
	uint8_t key[9];
	wb_val v;
	wb_err rc;

	node_key(key, level, index);
	if ((rc = wb_db_get(t, WB_DB_MERKLE, key, sizeof(key), &v)) != WB_OK) {
		/* A node the tree needs is missing: the store is damaged. */
		return rc == WB_ENOTFOUND ? WB_ECORRUPT : rc;
	}
	if (v.len != WB_HASH_LEN) {
		return WB_ECORRUPT;
	}
	memcpy(out->b, v.data, WB_HASH_LEN);
	return WB_OK;
}

wb_err
wb_journal_size_txn(wb_txn *t, uint64_t *out)
{
	return wb_db_count(t, WB_DB_JOURNAL, out);
}

static wb_err
put_node(unsigned level, uint64_t index, const wb_hash *h, void *arg)
{
	uint8_t key[9];

	node_key(key, level, index);
	/* Nodes arrive in increasing key order (see node_key): append. */
	return wb_db_put(arg, WB_DB_MERKLE, key, sizeof(key), h->b, WB_HASH_LEN,
	                 WB_PUT_APPEND);
}

/* Used by append.c too: writes entry bytes at index and its Merkle nodes. */
wb_err wb_journal_put_entry(wb_txn *t, uint64_t index, const uint8_t *bytes,
                            size_t len, wb_hash *leaf_out);

wb_err
wb_journal_put_entry(wb_txn *t, uint64_t index, const uint8_t *bytes,
                     size_t len, wb_hash *leaf_out)
{
	uint8_t key[8];
	wb_err rc;

	wb_be64_put(key, index);
	if ((rc = wb_db_put(t, WB_DB_JOURNAL, key, sizeof(key), bytes, len,
	                    WB_PUT_APPEND)) != WB_OK) {
		return rc;
	}
	wb_hash_leaf(leaf_out, bytes, len);
	return wb_merkle_append(index, leaf_out, wb_journal_node_get, put_node,
	                        t);
}

/* Signs and stores the checkpoint of tree size `size`. */
wb_err wb_journal_put_checkpoint(wb_journal *j, wb_txn *t, uint64_t size);

wb_err
wb_journal_put_checkpoint(wb_journal *j, wb_txn *t, uint64_t size)
{
	wb_hash root;
	char *note = NULL;
	uint8_t key[8];
	wb_err rc;

	if ((rc = wb_merkle_root(&root, size, wb_journal_node_get, t)) !=
	    WB_OK) {
		return rc;
	}
	if ((rc = wb_checkpoint_sign(&note, j->origin, size, &root, j->log)) !=
	    WB_OK) {
		return rc;
	}
	wb_be64_put(key, size);
	rc = wb_db_put(t, WB_DB_CHECKPOINTS, key, sizeof(key), note,
	               strlen(note), 0);
	free(note);
	return rc;
}

static bool
ledger_files_exist(const char *dir)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	return stat(path, &st) == 0;
}

static wb_err
make_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0) {
		return WB_OK;
	}
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		return WB_OK;
	}
	wb_log(WB_LOG_ERROR, "cannot create ledger directory %s: %s", dir,
	       strerror(errno));
	return errno == EACCES || errno == EROFS ? WB_EDENIED : WB_EIO;
}

static wb_err
write_genesis(wb_mdb *m, const wb_journal_create_opts *o)
{
	wb_entry e = { 0 };
	wb_journal j = { 0 };
	uint8_t *bytes = NULL;
	size_t len;
	uint32_t version = WB_FORMAT_VERSION;
	uint8_t vbuf[4];
	wb_hash leaf;
	wb_txn t = { 0 };
	wb_err rc;

	e.index = 0;
	e.record_time_us = o->record_time_us ? o->record_time_us : wb_now_us();
	e.type = WB_ENTRY_GENESIS;
	e.genesis.format_version = WB_FORMAT_VERSION;
	e.genesis.origin = o->origin;
	e.genesis.log_key = *wb_signer_pubkey(o->log_key);
	e.genesis.admin_key = o->admin_key;
	e.genesis.admin_key_name = o->admin_key_name;
	e.genesis.custody = o->custody ? o->custody : WB_CUSTODY_ADVISORY;
	e.genesis.max_ids = o->max_ids ? o->max_ids : WB_DEFAULT_MAX_IDS;
	e.genesis.max_attributes = o->max_attributes
	                                   ? o->max_attributes
	                                   : WB_DEFAULT_MAX_ATTRIBUTES;
	e.genesis.max_stamp_bytes = o->max_stamp_bytes
	                                    ? o->max_stamp_bytes
	                                    : WB_DEFAULT_MAX_STAMP_BYTES;
	if ((rc = wb_entry_encode(&bytes, &len, &e)) != WB_OK) {
		return rc;
	}
	wb_hash_sha256((wb_hash *)j.ledger_id, bytes, len);
	snprintf(j.origin, sizeof(j.origin), "%s", o->origin);
	j.log = o->log_key;
	if ((rc = wb_txn_begin(&t, m, true)) != WB_OK) {
		goto out;
	}
	vbuf[0] = (uint8_t)(version >> 24);
	vbuf[1] = (uint8_t)(version >> 16);
	vbuf[2] = (uint8_t)(version >> 8);
	vbuf[3] = (uint8_t)version;
	if ((rc = wb_db_put(&t, WB_DB_META, META_FORMAT, strlen(META_FORMAT),
	                    vbuf, 4, 0)) != WB_OK ||
	    (rc = wb_db_put(&t, WB_DB_META, META_LEDGER_ID,
	                    strlen(META_LEDGER_ID), j.ledger_id, WB_HASH_LEN,
	                    0)) != WB_OK ||
	    (rc = wb_journal_put_entry(&t, 0, bytes, len, &leaf)) != WB_OK ||
	    (rc = wb_journal_put_checkpoint(&j, &t, 1)) != WB_OK) {
		goto out;
	}
	rc = wb_txn_commit(&t);
out:
	wb_txn_abort(&t);
	free(bytes);
	return rc;
}

wb_err
wb_journal_create(const char *dir, const wb_journal_create_opts *o)
{
	wb_mdb *m = NULL;
	size_t map, max;
	wb_err rc;

	WB_CHECK_ARG(dir && o && o->origin && o->log_key);
	if (!wb_key_name_valid(o->origin) || strlen(o->origin) > 255 ||
	    strcmp(wb_signer_name(o->log_key), o->origin) != 0) {
		return WB_EINVAL;
	}
	if (o->admin_key_name != NULL &&
	    !wb_key_name_valid(o->admin_key_name)) {
		return WB_EINVAL;
	}
	if (o->custody != 0 && o->custody != WB_CUSTODY_ADVISORY &&
	    o->custody != WB_CUSTODY_STRICT) {
		return WB_EINVAL;
	}
	if ((rc = make_dir(dir)) != WB_OK) {
		return rc;
	}
	if (ledger_files_exist(dir)) {
		return WB_EEXISTS;
	}
	map = o->map_size ? o->map_size : WB_DEFAULT_MAP_SIZE;
	max = o->max_map_size ? o->max_map_size : WB_DEFAULT_MAX_MAP_SIZE;
	if ((rc = wb_mdb_open(&m, dir, map < max ? map : max, max,
	                      WB_MDB_CREATE)) != WB_OK) {
		return rc;
	}
	rc = write_genesis(m, o);
	wb_mdb_close(m);
	return rc;
}

static wb_err
load_genesis(wb_journal *j, wb_txn *t)
{
	uint8_t key[8] = { 0 };
	uint8_t id[WB_HASH_LEN];
	wb_entry *e = NULL;
	wb_val v;
	wb_err rc;

	if ((rc = wb_db_get(t, WB_DB_META, META_FORMAT, strlen(META_FORMAT),
	                    &v)) != WB_OK) {
		return rc == WB_ENOTFOUND ? WB_ECORRUPT : rc;
	}
	if (v.len != 4) {
		return WB_ECORRUPT;
	}
	{
		const uint8_t *b = v.data;
		uint32_t version = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		                   (uint32_t)b[2] << 8 | b[3];

		if (version > WB_FORMAT_VERSION) {
			wb_log(WB_LOG_ERROR,
			       "the ledger's on-disk format is version %u; this waybill reads up to version %u: upgrade waybill",
			       version, WB_FORMAT_VERSION);
			return WB_EVERSION;
		}
	}
	if ((rc = wb_db_get(t, WB_DB_JOURNAL, key, 8, &v)) != WB_OK) {
		return rc == WB_ENOTFOUND ? WB_ECORRUPT : rc;
	}
	wb_hash_sha256((wb_hash *)id, v.data, v.len);
	if ((rc = wb_entry_decode(&e, v.data, v.len)) != WB_OK) {
		return WB_ECORRUPT;
	}
	if (e->type != WB_ENTRY_GENESIS || e->index != 0 ||
	    strlen(e->genesis.origin) >= sizeof(j->origin)) {
		rc = WB_ECORRUPT;
		goto out;
	}
	memcpy(j->ledger_id, id, WB_HASH_LEN);
	snprintf(j->origin, sizeof(j->origin), "%s", e->genesis.origin);
	j->genesis = e->genesis;
	j->genesis.origin = j->origin;
	j->genesis.admin_key_name = NULL;
	if (e->genesis.admin_key_name != NULL &&
	    strlen(e->genesis.admin_key_name) < sizeof(j->admin_name)) {
		snprintf(j->admin_name, sizeof(j->admin_name), "%s",
		         e->genesis.admin_key_name);
		j->genesis.admin_key_name = j->admin_name;
	}
	if ((rc = wb_db_get(t, WB_DB_META, META_LEDGER_ID,
	                    strlen(META_LEDGER_ID), &v)) != WB_OK ||
	    v.len != WB_HASH_LEN || memcmp(v.data, id, WB_HASH_LEN) != 0) {
		rc = WB_ECORRUPT;
	}
out:
	wb_entry_free(e);
	return rc;
}

static wb_err
load_last_record_time(wb_journal *j, wb_txn *t)
{
	wb_cursor *c = NULL;
	wb_entry *e = NULL;
	wb_val k, v;
	wb_err rc;

	if ((rc = wb_cursor_open(&c, t, WB_DB_JOURNAL)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_cursor_last(c, &k, &v)) == WB_OK) {
		if (wb_entry_decode(&e, v.data, v.len) == WB_OK) {
			j->last_record_time_us = e->record_time_us;
		}
	}
	wb_entry_free(e);
	wb_cursor_close(c);
	return rc;
}

wb_err
wb_journal_open(wb_journal **out, const char *dir,
                const wb_journal_open_opts *o)
{
	wb_journal_open_opts defaults = { 0 };
	wb_journal *j;
	wb_txn t = { 0 };
	unsigned flags = 0;
	size_t map, max;
	wb_err rc;

	WB_CHECK_ARG(out && dir);
	*out = NULL;
	if (o == NULL) {
		o = &defaults;
	}
	if (!ledger_files_exist(dir)) {
		return WB_ENOTFOUND;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		return WB_ENOMEM;
	}
	if (pthread_mutex_init(&j->write_lock, NULL) != 0) {
		free(j);
		return WB_ENOMEM;
	}
	wb_recall_cache_init(&j->recalls);
	flags |= o->read_only ? WB_MDB_RDONLY : 0;
	flags |= o->no_sync ? WB_MDB_NOSYNC : 0;
	max = o->max_map_size ? o->max_map_size : WB_DEFAULT_MAX_MAP_SIZE;
	map = o->map_size ? o->map_size : WB_DEFAULT_MAP_SIZE;
	/* Never start above the maximum (a ledger already larger keeps its
	 * size: LMDB cannot shrink a map). */
	rc = wb_mdb_open(&j->mdb, dir, map < max ? map : max, max, flags);
	if (rc != WB_OK) {
		goto fail;
	}
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		goto fail;
	}
	if ((rc = load_genesis(j, &t)) != WB_OK ||
	    (rc = load_last_record_time(j, &t)) != WB_OK) {
		goto fail;
	}
	wb_txn_abort(&t);
	if (o->log_key != NULL) {
		if (memcmp(wb_signer_pubkey(o->log_key)->b,
		           j->genesis.log_key.b, WB_PUBKEY_LEN) != 0 ||
		    strcmp(wb_signer_name(o->log_key), j->origin) != 0) {
			wb_log(WB_LOG_ERROR,
			       "the log key given is not this ledger's log key (origin %s)",
			       j->origin);
			rc = WB_EDENIED;
			goto fail;
		}
		j->log = o->log_key;
	}
	*out = j;
	return WB_OK;
fail:
	wb_txn_abort(&t);
	wb_mdb_close(j->mdb);
	wb_recall_cache_fini(&j->recalls);
	pthread_mutex_destroy(&j->write_lock);
	free(j);
	return rc;
}

void
wb_journal_close(wb_journal *j)
{
	if (j == NULL) {
		return;
	}
	wb_mdb_close(j->mdb);
	wb_events_fini(&j->events);
	wb_recall_cache_fini(&j->recalls);
	pthread_mutex_destroy(&j->write_lock);
	free(j);
}

const wb_genesis *
wb_journal_genesis(const wb_journal *j)
{
	return &j->genesis;
}

const uint8_t *
wb_journal_ledger_id(const wb_journal *j)
{
	return j->ledger_id;
}

const char *
wb_journal_origin(const wb_journal *j)
{
	return j->origin;
}

wb_err
wb_journal_size(uint64_t *out, wb_journal *j)
{
	wb_txn t = { 0 };
	wb_err rc;

	WB_CHECK_ARG(out && j);
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	rc = wb_journal_size_txn(&t, out);
	wb_txn_abort(&t);
	return rc;
}

wb_err
wb_journal_entry(uint8_t **out, size_t *len_out, wb_journal *j, uint64_t index)
{
	uint8_t key[8];
	wb_txn t = { 0 };
	wb_val v;
	wb_err rc;

	WB_CHECK_ARG(out && len_out && j);
	wb_be64_put(key, index);
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_db_get(&t, WB_DB_JOURNAL, key, 8, &v)) == WB_OK) {
		*out = malloc(v.len > 0 ? v.len : 1);
		if (*out == NULL) {
			rc = WB_ENOMEM;
		} else {
			memcpy(*out, v.data, v.len);
			*len_out = v.len;
		}
	}
	wb_txn_abort(&t);
	return rc;
}

wb_err
wb_journal_range(wb_journal *j, uint64_t from, uint64_t to, wb_entry_fn fn,
                 void *arg)
{
	uint8_t key[8];
	wb_cursor *c = NULL;
	wb_txn t = { 0 };
	wb_val k, v;
	wb_err rc;

	WB_CHECK_ARG(j && fn);
	if (from >= to) {
		return WB_OK;
	}
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_cursor_open(&c, &t, WB_DB_JOURNAL)) != WB_OK) {
		goto out;
	}
	wb_be64_put(key, from);
	for (rc = wb_cursor_seek(c, key, 8, &k, &v); rc == WB_OK;
	     rc = wb_cursor_next(c, &k, &v)) {
		uint64_t index;

		if (k.len != 8) {
			rc = WB_ECORRUPT;
			break;
		}
		index = wb_be64_get(k.data);
		if (index >= to) {
			break;
		}
		if ((rc = fn(index, v.data, v.len, arg)) != WB_OK) {
			break;
		}
	}
	if (rc == WB_ENOTFOUND) {
		rc = WB_OK;
	}
out:
	wb_cursor_close(c);
	wb_txn_abort(&t);
	return rc;
}

wb_err
wb_journal_root(wb_hash *out, wb_journal *j, uint64_t size)
{
	wb_txn t = { 0 };
	uint64_t n;
	wb_err rc;

	WB_CHECK_ARG(out && j);
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_journal_size_txn(&t, &n)) == WB_OK) {
		rc = size > n ? WB_EINVAL
		              : wb_merkle_root(out, size, wb_journal_node_get,
		                               &t);
	}
	wb_txn_abort(&t);
	return rc;
}

wb_err
wb_journal_leaf_hash(wb_hash *out, wb_journal *j, uint64_t index)
{
	wb_txn t = { 0 };
	uint64_t n;
	wb_err rc;

	WB_CHECK_ARG(out && j);
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_journal_size_txn(&t, &n)) == WB_OK) {
		rc = index >= n ? WB_ENOTFOUND
		                : wb_journal_node_get(out, 0, index, &t);
	}
	wb_txn_abort(&t);
	return rc;
}

wb_err
wb_journal_inclusion_proof(wb_hash *proof_out, size_t *n_out, wb_journal *j,
                           uint64_t index, uint64_t size)
{
	wb_txn t = { 0 };
	uint64_t n;
	wb_err rc;

	WB_CHECK_ARG(proof_out && n_out && j);
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_journal_size_txn(&t, &n)) == WB_OK) {
		rc = size > n || index >= size
		             ? WB_EINVAL
		             : wb_merkle_inclusion_proof(
		                       proof_out, n_out, index, size,
		                       wb_journal_node_get, &t);
	}
	wb_txn_abort(&t);
	return rc;
}

wb_err
wb_journal_consistency_proof(wb_hash *proof_out, size_t *n_out, wb_journal *j,
                             uint64_t m, uint64_t n)
{
	wb_txn t = { 0 };
	uint64_t size;
	wb_err rc;

	WB_CHECK_ARG(proof_out && n_out && j);
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_journal_size_txn(&t, &size)) == WB_OK) {
		rc = m == 0 || m > n || n > size
		             ? WB_EINVAL
		             : wb_merkle_consistency_proof(
		                       proof_out, n_out, m, n,
		                       wb_journal_node_get, &t);
	}
	wb_txn_abort(&t);
	return rc;
}

/* Reads the checkpoint of `size` (0: latest) and its size, in txn t. */
static wb_err
checkpoint_in_txn(wb_txn *t, uint64_t size, char **note_out, uint64_t *size_out)
{
	wb_cursor *c = NULL;
	uint8_t key[8];
	wb_val k, v;
	wb_err rc;

	if (size == 0) {
		if ((rc = wb_cursor_open(&c, t, WB_DB_CHECKPOINTS)) == WB_OK) {
			rc = wb_cursor_last(c, &k, &v);
			if (rc == WB_OK && k.len == 8) {
				size = wb_be64_get(k.data);
			}
		}
	} else {
		wb_be64_put(key, size);
		rc = wb_db_get(t, WB_DB_CHECKPOINTS, key, 8, &v);
	}
	if (rc == WB_OK) {
		if ((*note_out = malloc(v.len + 1)) == NULL) {
			rc = WB_ENOMEM;
		} else {
			memcpy(*note_out, v.data, v.len);
			(*note_out)[v.len] = '\0';
			*size_out = size;
		}
	}
	wb_cursor_close(c);
	return rc;
}

wb_err
wb_journal_checkpoint(char **out, wb_journal *j, uint64_t size)
{
	wb_txn t = { 0 };
	uint64_t found;
	wb_err rc;

	WB_CHECK_ARG(out && j);
	*out = NULL;
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	rc = checkpoint_in_txn(&t, size, out, &found);
	wb_txn_abort(&t);
	return rc;
}

wb_err
wb_journal_receipt(uint8_t **out, size_t *len_out, wb_journal *j,
                   uint64_t index, uint64_t size)
{
	wb_hash proof[WB_MERKLE_MAX_PROOF];
	wb_receipt r = { 0 };
	char *note = NULL;
	uint8_t key[8];
	wb_txn t = { 0 };
	wb_val v;
	wb_err rc;

	WB_CHECK_ARG(out && len_out && j);
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = checkpoint_in_txn(&t, size, &note, &size)) != WB_OK) {
		goto out;
	}
	if (index >= size) {
		rc = WB_EINVAL;
		goto out;
	}
	wb_be64_put(key, index);
	if ((rc = wb_db_get(&t, WB_DB_JOURNAL, key, 8, &v)) != WB_OK) {
		goto out;
	}
	r.entry = v.data;
	r.entry_len = v.len;
	r.index = index;
	r.checkpoint = note;
	r.proof = proof;
	if ((rc = wb_merkle_inclusion_proof(proof, &r.n_proof, index, size,
	                                    wb_journal_node_get, &t)) !=
	    WB_OK) {
		goto out;
	}
	rc = wb_receipt_encode(out, len_out, &r);
out:
	wb_txn_abort(&t);
	free(note);
	return rc;
}

wb_err
wb_journal_history(uint64_t *indexes_out, size_t *n_out, size_t max,
                   wb_journal *j, const char *twin_id, uint64_t after,
                   bool reverse, wb_problem *p)
{
	wb_twin_id id;
	wb_twin_state st;
	wb_cursor *c = NULL;
	uint8_t key[16];
	wb_txn t = { 0 };
	wb_val k;
	size_t n = 0;
	wb_err rc;

	WB_CHECK_ARG(indexes_out && n_out && j && twin_id);
	*n_out = 0;
	if ((rc = wb_id_parse(&id, twin_id, strlen(twin_id), p)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_twin_get(&t, id.key, &st)) != WB_OK ||
	    (rc = wb_cursor_open(&c, &t, WB_DB_HISTORY)) != WB_OK) {
		goto out;
	}
	wb_be64_put(key, st.twin_no);
	if (!reverse) {
		/* The first key after (twin, after); 0 starts at the start. */
		wb_be64_put(key + 8, after == 0 ? 0 : after + 1);
		rc = wb_cursor_seek(c, key, 16, &k, NULL);
	} else if (after == UINT64_MAX || after == 0) {
		/* The last key of this twin: seek past it and step back. */
		wb_be64_put(key, st.twin_no + 1);
		wb_be64_put(key + 8, 0);
		rc = wb_cursor_seek(c, key, 16, &k, NULL);
		rc = rc == WB_OK ? wb_cursor_prev(c, &k, NULL)
		                 : wb_cursor_last(c, &k, NULL);
	} else {
		wb_be64_put(key + 8, after);
		rc = wb_cursor_seek(c, key, 16, &k, NULL);
		rc = rc == WB_OK ? wb_cursor_prev(c, &k, NULL)
		                 : wb_cursor_last(c, &k, NULL);
	}
	while (rc == WB_OK && n < max) {
		if (k.len != 16 || wb_be64_get(k.data) != st.twin_no) {
			break;
		}
		indexes_out[n++] = wb_be64_get((const uint8_t *)k.data + 8);
		rc = reverse ? wb_cursor_prev(c, &k, NULL)
		             : wb_cursor_next(c, &k, NULL);
	}
	rc = rc == WB_ENOTFOUND ? WB_OK : rc;
	*n_out = n;
out:
	wb_cursor_close(c);
	wb_txn_abort(&t);
	return rc;
}

wb_err
wb_journal_backup(wb_journal *j, const char *dir)
{
	WB_CHECK_ARG(j && dir);
	return wb_mdb_copy(j->mdb, dir);
}

wb_err
wb_journal_replica_create(wb_journal **out, const char *dir,
                          const uint8_t *genesis, size_t len)
{
	wb_journal_open_opts oo = { .no_sync = true };
	wb_mdb *m = NULL;
	uint8_t vbuf[4] = { 0, 0, 0, WB_FORMAT_VERSION };
	uint8_t id[WB_HASH_LEN];
	wb_hash leaf;
	wb_txn t = { 0 };
	wb_err rc;

	*out = NULL;
	if ((rc = wb_mdb_open(&m, dir, WB_DEFAULT_MAP_SIZE,
	                      WB_DEFAULT_MAX_MAP_SIZE,
	                      WB_MDB_CREATE | WB_MDB_NOSYNC)) != WB_OK) {
		return rc;
	}
	wb_hash_sha256((wb_hash *)id, genesis, len);
	if ((rc = wb_txn_begin(&t, m, true)) == WB_OK &&
	    (rc = wb_db_put(&t, WB_DB_META, META_FORMAT, strlen(META_FORMAT),
	                    vbuf, 4, 0)) == WB_OK &&
	    (rc = wb_db_put(&t, WB_DB_META, META_LEDGER_ID,
	                    strlen(META_LEDGER_ID), id, WB_HASH_LEN, 0)) ==
	            WB_OK &&
	    (rc = wb_journal_put_entry(&t, 0, genesis, len, &leaf)) == WB_OK) {
		rc = wb_txn_commit(&t);
	}
	wb_txn_abort(&t);
	wb_mdb_close(m);
	if (rc != WB_OK) {
		return rc;
	}
	if ((rc = wb_journal_open(out, dir, &oo)) == WB_OK) {
		(*out)->replay = true;
	}
	return rc;
}
