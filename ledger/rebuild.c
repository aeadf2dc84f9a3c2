/* SPDX-License-Identifier: MIT */
/*
 * rebuild.c - the derived databases rebuilt from the journal alone (see
 * waybill/rebuild.h): take the ledger exclusively, replay every entry into
 * a scratch ledger with the verifier's replayer (the append code itself, so
 * the rules exist once), check the stored checkpoints against the replayed
 * tree, then swap the derived databases in one write transaction.
 */
#include "waybill/rebuild.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_impl.h"
#include "verify_impl.h"
#include "waybill/note.h"

/* Entries read per read transaction of the walk. */
#define PAGE 512
/* Keys deleted per cursor pass when a database is emptied. */
#define DEL_BATCH 256
/* LMDB's largest key (its default MDB_MAXKEYSIZE). */
#define KEY_MAX 511

/* What is derived, besides the meta keys other than the two below. A new
 * database must be classified here: journal (never touched) or derived
 * (listed). */
_Static_assert(WB_DB_COUNT_ == 18, "classify the new database in rebuild.c");
static const wb_db derived[] = {
	WB_DB_MERKLE,       WB_DB_EVENTS,  WB_DB_TWINS,      WB_DB_HISTORY,
	WB_DB_STAKEHOLDERS, WB_DB_KEYS,    WB_DB_NAMESPACES, WB_DB_REGLOG,
	WB_DB_RECALLS,      WB_DB_PARTIES, WB_DB_TWIN_IDS,   WB_DB_EDGES,
	WB_DB_DECLARED,     WB_DB_SEARCH,  WB_DB_MASTER,
};

static void report(wb_rebuild_report *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void
report(wb_rebuild_report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
	va_end(ap);
}

/* The meta keys that belong to the journal: the ledger's identity. */
static bool
journal_meta(const wb_val *k)
{
	return (k->len == 6 && memcmp(k->data, "format", 6) == 0) ||
	       (k->len == 9 && memcmp(k->data, "ledger_id", 9) == 0);
}

/*
 * Exclusion. LMDB (mdb_env_open) takes an fcntl write lock on byte 0 of
 * lock.mdb to initialise it, then holds a read lock there for as long as
 * the environment is open; a process that cannot get either waits. So a
 * write lock on that byte is free exactly when no other process has the
 * ledger open, and holding it keeps newcomers waiting until we close.
 */
static int
open_lock_file(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	return open(path, O_RDWR | O_CLOEXEC);
}

static long
lock_holder(int fd)
{
	struct flock fl = { .l_type = F_WRLCK,
		            .l_whence = SEEK_SET,
		            .l_start = 0,
		            .l_len = 1 };

	if (fcntl(fd, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK) {
		return 0;
	}
	return (long)fl.l_pid;
}

static wb_err
busy(wb_rebuild_report *r, const char *dir, long pid)
{
	r->holder_pid = pid;
	report(r,
	       "another process (pid %ld) has the ledger in %s open: stop waybilld and any waybill command using it, then rebuild",
	       pid, dir);
	return WB_EBUSY;
}

/* Before anything is opened: refuse early, without touching the ledger. */
static wb_err
check_alone(wb_rebuild_report *r, const char *dir)
{
	int fd = open_lock_file(dir);
	long pid;

	if (fd < 0 && errno == ENOENT) {
		return WB_OK; /* never opened, so nobody has it open */
	}
	if (fd < 0) {
		int e = errno;

		report(r, "cannot open %s/lock.mdb: %s", dir, strerror(e));
		return e == EACCES ? WB_EDENIED : WB_EIO;
	}
	pid = lock_holder(fd);
	close(fd);
	return pid != 0 ? busy(r, dir, pid) : WB_OK;
}

/* With the environment open: take byte 0 exclusively, through our own
 * descriptor (kept open until the environment is closed). */
static wb_err
take_exclusive(wb_rebuild_report *r, const char *dir, int *fd_out)
{
	struct flock fl = { .l_type = F_WRLCK,
		            .l_whence = SEEK_SET,
		            .l_start = 0,
		            .l_len = 1 };
	int fd = open_lock_file(dir);

	*fd_out = -1;
	if (fd < 0) {
		int e = errno;

		report(r, "cannot open %s/lock.mdb: %s", dir, strerror(e));
		return e == EACCES ? WB_EDENIED : WB_EIO;
	}
	if (fcntl(fd, F_SETLK, &fl) == -1) {
		int e = errno;
		long pid = lock_holder(fd);

		close(fd);
		if (e == EAGAIN || e == EACCES || pid != 0) {
			return busy(r, dir, pid);
		}
		report(r, "cannot lock %s/lock.mdb: %s", dir, strerror(e));
		return WB_EIO;
	}
	*fd_out = fd;
	return WB_OK;
}

/*
 * The walk: each stored entry checked on its own, then queued for replay.
 */
struct walk {
	wb_journal *j;
	wb_replayer *replay;
	wb_verify_report rep; /* the replay's first problem */
	uint64_t total;
	uint64_t expect; /* the next index */
	uint64_t last_rt;
	/* The first entry whose bytes differ from the leaf hash stored when it
	 * was appended: the entry or the node store was altered, which the
	 * checkpoints decide. */
	bool leaf_differs;
	uint64_t leaf_bad;
	wb_err err; /* a failure of the rebuild itself */
};

static wb_err
take_entry(uint64_t key, const uint8_t *bytes, size_t len, void *arg)
{
	struct walk *w = arg;
	wb_entry *e = NULL;
	wb_hash leaf, stored;
	wb_err rc;

	if (key != w->expect) {
		wb_report_fail(
		        &w->rep, w->expect,
		        "entry %llu is missing: the journal jumps to %llu",
		        (unsigned long long)w->expect, (unsigned long long)key);
		return WB_EREJECTED;
	}
	w->expect = key + 1;
	if (wb_entry_decode(&e, bytes, len) != WB_OK) {
		wb_report_fail(&w->rep, key,
		               "entry %llu does not parse as an Entry",
		               (unsigned long long)key);
		return WB_EREJECTED;
	}
	if (e->index != key) {
		wb_report_fail(&w->rep, key,
		               "entry stored at %llu says it is entry %llu",
		               (unsigned long long)key,
		               (unsigned long long)e->index);
	} else if (e->record_time_us < w->last_rt) {
		wb_report_fail(
		        &w->rep, key,
		        "entry %llu was recorded before entry %llu: record times never go back",
		        (unsigned long long)key, (unsigned long long)key - 1);
	}
	w->last_rt = e->record_time_us;
	wb_entry_free(e);
	/* A missing or malformed stored leaf is the node store's damage (it
	 * is rebuilt); a different one is noted. */
	wb_hash_leaf(&leaf, bytes, len);
	rc = wb_journal_leaf_hash(&stored, w->j, key);
	if (rc == WB_OK && !wb_hash_equal(&leaf, &stored) && !w->leaf_differs) {
		w->leaf_differs = true;
		w->leaf_bad = key;
	} else if (rc != WB_OK && rc != WB_ECORRUPT) {
		w->err = rc;
		return rc;
	}
	if (!w->rep.ok) {
		return WB_EREJECTED;
	}
	if ((rc = wb_replayer_add(w->replay, key, bytes, len, &w->rep)) !=
	    WB_OK) {
		w->err = rc;
		return rc;
	}
	return w->rep.ok ? WB_OK : WB_EREJECTED;
}

static wb_err
walk_entries(struct walk *w)
{
	wb_err rc;

	w->expect = 1;
	for (uint64_t from = 1; from < w->total && w->rep.ok; from += PAGE) {
		uint64_t to = from + PAGE < w->total ? from + PAGE : w->total;

		rc = wb_journal_range(w->j, from, to, take_entry, w);
		if (w->err != WB_OK) {
			return w->err;
		}
		if (rc != WB_OK && rc != WB_EREJECTED) {
			return rc;
		}
		if (w->rep.ok && w->expect != to) {
			wb_report_fail(&w->rep, w->expect,
			               "entry %llu is missing",
			               (unsigned long long)w->expect);
		}
	}
	return wb_replayer_flush(w->replay, &w->rep);
}

/* The first bad entry: an altered entry shows first as a leaf that
 * differs, though the replay may only trip over it later. */
static wb_err
corrupt(wb_rebuild_report *r, struct walk *w, uint64_t index,
        const char *problem)
{
	if (w->leaf_differs && w->leaf_bad <= index) {
		r->first_bad = w->leaf_bad;
		report(r,
		       "entry %llu's bytes do not match the leaf hash recorded when it was appended (and the replay fails from there: %s)",
		       (unsigned long long)w->leaf_bad, problem);
	} else {
		r->first_bad = index;
		report(r, "%s", problem);
	}
	return WB_ECORRUPT;
}

/* Every stored checkpoint up to tree size `limit` (the prefix the replay
 * reproduced): the log key's signature, and the root the replayed tree has
 * at its size. A root that differs means an entry of the range since the
 * previous good checkpoint was altered; with a checkpoint per commit, that
 * names the entry even when the replay only trips over it later. */
static wb_err
check_checkpoints(wb_rebuild_report *r, struct walk *w, uint64_t limit)
{
	wb_journal *scratch = wb_replayer_journal(w->replay);
	uint64_t good = 0; /* the size of the last good checkpoint */
	char problem[400];
	wb_cursor *c = NULL;
	wb_txn t = { 0 };
	wb_val k, v;
	wb_err rc;

	if ((rc = wb_txn_begin(&t, w->j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_cursor_open(&c, &t, WB_DB_CHECKPOINTS)) != WB_OK) {
		goto out;
	}
	for (rc = wb_cursor_seek(c, NULL, 0, &k, &v); rc == WB_OK;
	     rc = wb_cursor_next(c, &k, &v)) {
		wb_checkpoint cp;
		wb_hash root;
		uint64_t size;

		if (k.len != 8 || (size = wb_be64_get(k.data)) == 0) {
			rc = corrupt(
			        r, w, good,
			        "the checkpoint store holds a malformed key");
			goto out;
		}
		if (wb_checkpoint_verify(&cp, v.data, v.len, w->j->origin,
		                         &w->j->genesis.log_key) != WB_OK ||
		    cp.size != size) {
			snprintf(
			        problem, sizeof(problem),
			        "the checkpoint of tree size %llu is not validly signed by the log key for origin %s",
			        (unsigned long long)size, w->j->origin);
			rc = corrupt(r, w, size - 1, problem);
			goto out;
		}
		if (size > limit && limit < w->total) {
			break; /* beyond what the replay reproduced */
		}
		if (size > w->total) {
			snprintf(
			        problem, sizeof(problem),
			        "a checkpoint covers %llu entries but the journal holds %llu: entries were cut off",
			        (unsigned long long)size,
			        (unsigned long long)w->total);
			rc = corrupt(r, w, w->total, problem);
			goto out;
		}
		if ((rc = wb_journal_root(&root, scratch, size)) != WB_OK) {
			goto out;
		}
		if (!wb_hash_equal(&root, &cp.root)) {
			snprintf(
			        problem, sizeof(problem),
			        "the signed checkpoint of tree size %llu has a root the journal's entries do not produce: an entry from %llu to %llu was altered",
			        (unsigned long long)size,
			        (unsigned long long)good,
			        (unsigned long long)size - 1);
			rc = corrupt(r, w, good, problem);
			goto out;
		}
		good = size;
		r->checkpoints++;
	}
	rc = rc == WB_ENOTFOUND ? WB_OK : rc;
out:
	wb_cursor_close(c);
	wb_txn_abort(&t);
	return rc;
}

/*
 * The swap: one write transaction empties each derived database of the
 * ledger and copies the scratch ledger's in (key order, so MDB_APPEND).
 */
static wb_err
empty_db(wb_txn *t, wb_db db)
{
	uint8_t(*keys)[KEY_MAX] = malloc(DEL_BATCH * sizeof(*keys));
	size_t lens[DEL_BATCH], n;
	wb_cursor *c = NULL;
	wb_val k;
	wb_err rc;

	if (keys == NULL) {
		return WB_ENOMEM;
	}
	do {
		/* A fresh cursor per pass: deletions never move under it. */
		if ((rc = wb_cursor_open(&c, t, db)) != WB_OK) {
			break;
		}
		n = 0;
		for (rc = wb_cursor_seek(c, NULL, 0, &k, NULL);
		     rc == WB_OK && n < DEL_BATCH;
		     rc = wb_cursor_next(c, &k, NULL)) {
			if (db == WB_DB_META && journal_meta(&k)) {
				continue;
			}
			if (k.len > KEY_MAX) {
				rc = WB_ECORRUPT;
				break;
			}
			memcpy(keys[n], k.data, k.len);
			lens[n++] = k.len;
		}
		wb_cursor_close(c);
		if (rc != WB_OK && rc != WB_ENOTFOUND) {
			break;
		}
		rc = WB_OK;
		for (size_t i = 0; i < n && rc == WB_OK; i++) {
			rc = wb_db_del(t, db, keys[i], lens[i]);
		}
	} while (rc == WB_OK && n > 0);
	free(keys);
	return rc;
}

static wb_err
copy_db(wb_txn *dst, wb_txn *src, wb_db db, uint64_t *records)
{
	/* Meta keeps the journal's keys, so its puts are not appends. */
	unsigned flags = db == WB_DB_META ? 0 : WB_PUT_APPEND;
	wb_cursor *c = NULL;
	wb_val k, v;
	wb_err rc;

	if ((rc = empty_db(dst, db)) != WB_OK ||
	    (rc = wb_cursor_open(&c, src, db)) != WB_OK) {
		return rc;
	}
	for (rc = wb_cursor_seek(c, NULL, 0, &k, &v); rc == WB_OK;
	     rc = wb_cursor_next(c, &k, &v)) {
		if (db == WB_DB_META && journal_meta(&k)) {
			continue;
		}
		if ((rc = wb_db_put(dst, db, k.data, k.len, v.data, v.len,
		                    flags)) != WB_OK) {
			break;
		}
		(*records)++;
	}
	wb_cursor_close(c);
	return rc == WB_ENOTFOUND ? WB_OK : rc;
}

static wb_err
swap_once(wb_journal *j, wb_journal *scratch, uint64_t total, uint64_t *records)
{
	wb_txn dst = { 0 }, src = { 0 };
	uint64_t size;
	wb_err rc;

	*records = 0;
	if ((rc = wb_txn_begin(&src, scratch->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_txn_begin(&dst, j->mdb, true)) != WB_OK) {
		goto out;
	}
	/* Held exclusively, the journal cannot have grown; check anyway. */
	if ((rc = wb_journal_size_txn(&dst, &size)) != WB_OK) {
		goto out;
	}
	if (size != total) {
		rc = WB_EBUSY;
		goto out;
	}
	if ((rc = copy_db(&dst, &src, WB_DB_META, records)) != WB_OK) {
		goto out;
	}
	for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
		if ((rc = copy_db(&dst, &src, derived[i], records)) != WB_OK) {
			goto out;
		}
	}
	rc = wb_txn_commit(&dst);
out:
	wb_txn_abort(&dst);
	wb_txn_abort(&src);
	return rc;
}

static wb_err
swap(wb_rebuild_report *r, wb_journal *j, wb_journal *scratch, uint64_t total)
{
	wb_err rc;

	for (;;) {
		rc = swap_once(j, scratch, total, &r->records);
		if (rc != WB_ENOSPC) {
			break;
		}
		/* The old and new databases share the map until the commit
		 * frees the old pages: grow it and start over. */
		if ((rc = wb_mdb_grow(j->mdb)) != WB_OK) {
			report(r,
			       "the ledger's map reached its maximum of %zu bytes during the rebuild: raise it (--map-size)",
			       wb_mdb_max_map_size(j->mdb));
			return rc;
		}
	}
	if (rc == WB_EBUSY) {
		report(r,
		       "the journal grew during the rebuild: another process wrote to it");
	} else if (rc != WB_OK) {
		report(r, "writing the rebuilt databases failed: %s",
		       wb_strerror(rc));
	}
	return rc;
}

/* Restores named databases that were deleted outright: a ledger without
 * them does not open. Nothing is written when none is missing. */
static wb_err
restore_missing(const char *dir, size_t max_map)
{
	wb_mdb *m = NULL;
	wb_err rc;

	rc = wb_mdb_open(&m, dir,
	                 WB_DEFAULT_MAP_SIZE < max_map ? WB_DEFAULT_MAP_SIZE
	                                               : max_map,
	                 max_map, WB_MDB_CREATE);
	wb_mdb_close(m);
	return rc;
}

static wb_err
rebuild(wb_rebuild_report *r, wb_journal *j, const wb_rebuild_opts *o)
{
	struct walk w = { .j = j };
	uint8_t *genesis = NULL;
	size_t glen;
	wb_err rc;

	w.rep.ok = true;
	if ((rc = wb_journal_size(&w.total, j)) != WB_OK ||
	    (rc = wb_journal_entry(&genesis, &glen, j, 0)) != WB_OK) {
		goto out;
	}
	if ((rc = wb_replayer_new(&w.replay, o->scratch_dir, genesis, glen)) !=
	    WB_OK) {
		report(r, "cannot make the scratch ledger under %s: %s",
		       o->scratch_dir ? o->scratch_dir : "$TMPDIR or /tmp",
		       wb_strerror(rc));
		goto out;
	}
	if ((rc = walk_entries(&w)) != WB_OK) {
		report(r, "replaying the journal failed: %s", wb_strerror(rc));
		goto out;
	}
	if ((rc = check_checkpoints(
	             r, &w, w.rep.ok ? w.total : w.rep.first_bad)) != WB_OK) {
		goto out;
	}
	if (!w.rep.ok) {
		rc = corrupt(r, &w, w.rep.first_bad, w.rep.problem);
		goto out;
	}
	if (r->checkpoints == 0) {
		rc = corrupt(r, &w, 0,
		             "the journal holds no signed checkpoint");
		goto out;
	}
	r->entries = w.total;
	rc = swap(r, j, wb_replayer_journal(w.replay), w.total);
out:
	free(genesis);
	wb_replayer_free(w.replay);
	return rc;
}

wb_err
wb_rebuild_derived(wb_rebuild_report *out, const char *dir,
                   const wb_rebuild_opts *o)
{
	wb_rebuild_opts defaults = { 0 };
	wb_journal_open_opts oo = { 0 };
	wb_journal *j = NULL;
	char path[4096];
	struct stat st;
	int lock_fd = -1;
	wb_err rc;

	WB_CHECK_ARG(out && dir);
	memset(out, 0, sizeof(*out));
	if (o == NULL) {
		o = &defaults;
	}
	oo.max_map_size =
	        o->max_map_size ? o->max_map_size : WB_DEFAULT_MAX_MAP_SIZE;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &st) != 0) {
		report(out, "%s holds no ledger", dir);
		return WB_ENOTFOUND;
	}
	if ((rc = check_alone(out, dir)) != WB_OK) {
		return rc;
	}
	if ((rc = restore_missing(dir, oo.max_map_size)) != WB_OK) {
		report(out, "cannot open the ledger in %s: %s", dir,
		       wb_strerror(rc));
		return rc;
	}
	if ((rc = wb_journal_open(&j, dir, &oo)) != WB_OK) {
		if (rc == WB_ECORRUPT) {
			out->first_bad = 0;
			report(out,
			       "the genesis entry (0) or the ledger's identity in its meta data is damaged");
		} else {
			report(out, "cannot open the ledger in %s: %s", dir,
			       wb_strerror(rc));
		}
		return rc;
	}
	if ((rc = take_exclusive(out, dir, &lock_fd)) == WB_OK) {
		rc = rebuild(out, j, o);
	}
	/* The environment first: its close drops this process's locks on
	 * lock.mdb, ours included, so nobody gets in while it is open. */
	wb_journal_close(j);
	if (lock_fd >= 0) {
		close(lock_fd);
	}
	return rc;
}
