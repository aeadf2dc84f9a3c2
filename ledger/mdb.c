/* SPDX-License-Identifier: MIT */
#include "mdb.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

struct wb_mdb {
	MDB_env *env;
	MDB_dbi dbi[WB_DB_COUNT_];
	pthread_rwlock_t resize;
	size_t map_size;
	size_t max_map_size;
	unsigned flags;
};

struct wb_cursor {
	MDB_cursor *c;
};

static const char *const db_names[WB_DB_COUNT_] = {
	[WB_DB_META] = "meta",       [WB_DB_JOURNAL] = "journal",
	[WB_DB_MERKLE] = "merkle",   [WB_DB_CHECKPOINTS] = "checkpoints",
	[WB_DB_EVENTS] = "events",   [WB_DB_TWINS] = "twins",
	[WB_DB_HISTORY] = "history", [WB_DB_STAKEHOLDERS] = "stakeholders",
	[WB_DB_KEYS] = "keys",       [WB_DB_NAMESPACES] = "namespaces",
	[WB_DB_REGLOG] = "reglog",   [WB_DB_RECALLS] = "recalls",
	[WB_DB_PARTIES] = "parties", [WB_DB_TWIN_IDS] = "twin_ids",
	[WB_DB_EDGES] = "edges",     [WB_DB_DECLARED] = "declared",
	[WB_DB_SEARCH] = "search",   [WB_DB_MASTER] = "master",
};

/* The one mapping of LMDB's codes onto ours; logs LMDB's text once. */
static wb_err
err_from_mdb(int rc, const char *what)
{
	switch (rc) {
	case MDB_SUCCESS:
		return WB_OK;
	case MDB_NOTFOUND:
		return WB_ENOTFOUND;
	case MDB_KEYEXIST:
		return WB_EEXISTS;
	case MDB_MAP_FULL:
		return WB_ENOSPC;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
		wb_log(WB_LOG_ERROR, "%s: %s", what, mdb_strerror(rc));
		return WB_EVERSION;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		wb_log(WB_LOG_ERROR, "%s: %s", what, mdb_strerror(rc));
		return WB_ECORRUPT;
	case ENOMEM:
		return WB_ENOMEM;
	case EACCES:
	case EROFS:
		wb_log(WB_LOG_ERROR, "%s: %s", what, mdb_strerror(rc));
		return WB_EDENIED;
	case ENOENT:
		return WB_ENOTFOUND;
	case ENOSPC:
	case EIO:
		wb_log(WB_LOG_ERROR, "%s: %s", what, mdb_strerror(rc));
		return WB_EIO;
	default:
		wb_log(WB_LOG_ERROR, "%s: %s", what, mdb_strerror(rc));
		return WB_EINTERNAL;
	}
}

static wb_err
open_dbs(wb_mdb *m, bool create)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(m->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (rc != MDB_SUCCESS) {
		return err_from_mdb(rc, "open databases");
	}
	for (int i = 0; i < WB_DB_COUNT_; i++) {
		rc = mdb_dbi_open(txn, db_names[i], create ? MDB_CREATE : 0,
		                  &m->dbi[i]);
		if (rc != MDB_SUCCESS) {
			mdb_txn_abort(txn);
			/* A ledger without our databases is not a ledger. */
			return rc == MDB_NOTFOUND
			               ? WB_ENOTFOUND
			               : err_from_mdb(rc, db_names[i]);
		}
	}
	return err_from_mdb(mdb_txn_commit(txn), "open databases");
}

wb_err
wb_mdb_open(wb_mdb **out, const char *dir, size_t map_size, size_t max_map_size,
            unsigned flags)
{
	wb_mdb *m;
	MDB_envinfo info;
	unsigned env_flags = MDB_NOTLS;
	int rc;
	wb_err err;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		return WB_ENOMEM;
	}
	m->flags = flags;
	m->max_map_size = max_map_size;
	if (pthread_rwlock_init(&m->resize, NULL) != 0) {
		free(m);
		return WB_ENOMEM;
	}
	if ((rc = mdb_env_create(&m->env)) != MDB_SUCCESS) {
		err = err_from_mdb(rc, "mdb_env_create");
		goto fail;
	}
	mdb_env_set_maxdbs(m->env, WB_DB_COUNT_);
	/* Room for many concurrent readers: the daemon's workers and CLI
	 * tools reading the same environment. */
	mdb_env_set_maxreaders(m->env, 1024);
	if ((rc = mdb_env_set_mapsize(m->env, map_size)) != MDB_SUCCESS) {
		err = err_from_mdb(rc, "mdb_env_set_mapsize");
		goto fail;
	}
	if (flags & WB_MDB_RDONLY) {
		env_flags |= MDB_RDONLY;
	}
	if (flags & WB_MDB_NOSYNC) {
		env_flags |= MDB_NOSYNC | MDB_NOMETASYNC;
	}
	if ((rc = mdb_env_open(m->env, dir, env_flags, 0600)) != MDB_SUCCESS) {
		err = err_from_mdb(rc, "mdb_env_open");
		goto fail;
	}
	/* An existing environment may be larger than asked for. */
	mdb_env_info(m->env, &info);
	m->map_size = info.me_mapsize;
	if (m->max_map_size < m->map_size) {
		m->max_map_size = m->map_size;
	}
	if ((err = open_dbs(m, (flags & WB_MDB_CREATE) != 0)) != WB_OK) {
		goto fail;
	}
	*out = m;
	return WB_OK;
fail:
	if (m->env != NULL) {
		mdb_env_close(m->env);
	}
	pthread_rwlock_destroy(&m->resize);
	free(m);
	return err;
}

void
wb_mdb_close(wb_mdb *m)
{
	if (m == NULL) {
		return;
	}
	mdb_env_close(m->env);
	pthread_rwlock_destroy(&m->resize);
	free(m);
}

wb_err
wb_mdb_grow(wb_mdb *m)
{
	size_t next;
	wb_err err = WB_OK;
	int rc;

	pthread_rwlock_wrlock(&m->resize);
	if (m->map_size >= m->max_map_size) {
		err = WB_ENOSPC;
		goto out;
	}
	next = m->map_size * 2;
	if (next < m->map_size || next > m->max_map_size) {
		next = m->max_map_size;
	}
	if ((rc = mdb_env_set_mapsize(m->env, next)) != MDB_SUCCESS) {
		err = err_from_mdb(rc, "grow map");
		goto out;
	}
	m->map_size = next;
	wb_log(WB_LOG_INFO, "ledger map grown to %zu bytes (maximum %zu)", next,
	       m->max_map_size);
out:
	pthread_rwlock_unlock(&m->resize);
	return err;
}

size_t
wb_mdb_map_size(wb_mdb *m)
{
	return m->map_size;
}

size_t
wb_mdb_max_map_size(wb_mdb *m)
{
	return m->max_map_size;
}

wb_err
wb_mdb_copy(wb_mdb *m, const char *dir)
{
	return err_from_mdb(mdb_env_copy2(m->env, dir, MDB_CP_COMPACT),
	                    "copy environment");
}

/* Another process grew the map: adopt its size (needs no txn open). */
static wb_err
adopt_resize(wb_mdb *m)
{
	MDB_envinfo info;
	int rc;

	pthread_rwlock_wrlock(&m->resize);
	rc = mdb_env_set_mapsize(m->env, 0);
	if (rc == MDB_SUCCESS) {
		mdb_env_info(m->env, &info);
		m->map_size = info.me_mapsize;
		if (m->max_map_size < m->map_size) {
			m->max_map_size = m->map_size;
		}
	}
	pthread_rwlock_unlock(&m->resize);
	return err_from_mdb(rc, "adopt map size");
}

wb_err
wb_txn_begin(wb_txn *t, wb_mdb *m, bool write)
{
	int rc;

	t->m = m;
	t->write = write;
	t->txn = NULL;
	for (int tries = 0; tries < 3; tries++) {
		pthread_rwlock_rdlock(&m->resize);
		rc = mdb_txn_begin(m->env, NULL, write ? 0 : MDB_RDONLY,
		                   &t->txn);
		if (rc == MDB_SUCCESS) {
			return WB_OK;
		}
		pthread_rwlock_unlock(&m->resize);
		t->txn = NULL;
		if (rc != MDB_MAP_RESIZED) {
			break;
		}
		if (adopt_resize(m) != WB_OK) {
			break;
		}
	}
	return err_from_mdb(rc, "begin transaction");
}

wb_err
wb_txn_commit(wb_txn *t)
{
	int rc;

	if (t->txn == NULL) {
		return WB_EINVAL;
	}
	rc = mdb_txn_commit(t->txn);
	t->txn = NULL;
	pthread_rwlock_unlock(&t->m->resize);
	return err_from_mdb(rc, "commit");
}

void
wb_txn_abort(wb_txn *t)
{
	if (t == NULL || t->txn == NULL) {
		return;
	}
	mdb_txn_abort(t->txn);
	t->txn = NULL;
	pthread_rwlock_unlock(&t->m->resize);
}

wb_err
wb_db_get(wb_txn *t, wb_db db, const void *key, size_t key_len, wb_val *val)
{
	MDB_val k = { key_len, (void *)(uintptr_t)key }, v;
	int rc = mdb_get(t->txn, t->m->dbi[db], &k, &v);

	if (rc != MDB_SUCCESS) {
		return err_from_mdb(rc, db_names[db]);
	}
	val->data = v.mv_data;
	val->len = v.mv_size;
	return WB_OK;
}

wb_err
wb_db_put(wb_txn *t, wb_db db, const void *key, size_t key_len, const void *val,
          size_t val_len, unsigned flags)
{
	MDB_val k = { key_len, (void *)(uintptr_t)key };
	MDB_val v = { val_len, (void *)(uintptr_t)val };
	unsigned f = 0;

	if (flags & WB_PUT_APPEND) {
		f |= MDB_APPEND;
	}
	if (flags & WB_PUT_NOOVERWRITE) {
		f |= MDB_NOOVERWRITE;
	}
	return err_from_mdb(mdb_put(t->txn, t->m->dbi[db], &k, &v, f),
	                    db_names[db]);
}

wb_err
wb_db_del(wb_txn *t, wb_db db, const void *key, size_t key_len)
{
	MDB_val k = { key_len, (void *)(uintptr_t)key };

	return err_from_mdb(mdb_del(t->txn, t->m->dbi[db], &k, NULL),
	                    db_names[db]);
}

wb_err
wb_db_count(wb_txn *t, wb_db db, uint64_t *out)
{
	MDB_stat st;
	int rc = mdb_stat(t->txn, t->m->dbi[db], &st);

	if (rc != MDB_SUCCESS) {
		return err_from_mdb(rc, db_names[db]);
	}
	*out = st.ms_entries;
	return WB_OK;
}

wb_err
wb_cursor_open(wb_cursor **out, wb_txn *t, wb_db db)
{
	wb_cursor *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (c == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = mdb_cursor_open(t->txn, t->m->dbi[db], &c->c)) !=
	    MDB_SUCCESS) {
		free(c);
		return err_from_mdb(rc, db_names[db]);
	}
	*out = c;
	return WB_OK;
}

void
wb_cursor_close(wb_cursor *c)
{
	if (c != NULL) {
		mdb_cursor_close(c->c);
		free(c);
	}
}

static wb_err
cursor_op(wb_cursor *c, MDB_val *k, wb_val *ko, wb_val *vo, MDB_cursor_op op)
{
	MDB_val v;
	int rc = mdb_cursor_get(c->c, k, &v, op);

	if (rc != MDB_SUCCESS) {
		return err_from_mdb(rc, "cursor");
	}
	if (ko != NULL) {
		ko->data = k->mv_data;
		ko->len = k->mv_size;
	}
	if (vo != NULL) {
		vo->data = v.mv_data;
		vo->len = v.mv_size;
	}
	return WB_OK;
}

wb_err
wb_cursor_seek(wb_cursor *c, const void *key, size_t key_len, wb_val *k,
               wb_val *v)
{
	MDB_val mk = { key_len, (void *)(uintptr_t)key };

	if (key == NULL) {
		return cursor_op(c, &mk, k, v, MDB_FIRST);
	}
	return cursor_op(c, &mk, k, v, MDB_SET_RANGE);
}

wb_err
wb_cursor_last(wb_cursor *c, wb_val *k, wb_val *v)
{
	MDB_val mk = { 0, NULL };

	return cursor_op(c, &mk, k, v, MDB_LAST);
}

wb_err
wb_cursor_next(wb_cursor *c, wb_val *k, wb_val *v)
{
	MDB_val mk = { 0, NULL };

	return cursor_op(c, &mk, k, v, MDB_NEXT);
}

wb_err
wb_cursor_prev(wb_cursor *c, wb_val *k, wb_val *v)
{
	MDB_val mk = { 0, NULL };

	return cursor_op(c, &mk, k, v, MDB_PREV);
}
