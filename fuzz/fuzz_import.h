/* fuzz_import.h -- the body shared by the importer targets: one input is
 * one log file of a format, imported into an in-memory results database,
 * then measured by the metric catalogue.  Import options come from the
 * input's size (strict, a group filter, the UTC offset), so seed files are
 * plain logs of their format.
 * Invariants checked (abort = a finding): the result is success or bad
 * input with a message, never a database failure; a failed import leaves
 * the database as it was; a successful one wrote exactly stats.events
 * events, and its run can be measured.
 */
#ifndef QS_FUZZ_IMPORT_H
#define QS_FUZZ_IMPORT_H

#include <sqlite3.h>

#include "fuzz_common.h"
#include "import.h"
#include "measure.h"
#include "metrics.h"
#include "store.h"

static store_t *fzi_store;
static int fzi_uses;

static int64_t fzi_count(const char *sql)
{
    sqlite3_stmt *s = NULL;
    sqlite3 *db = store_db(fzi_store);
    FZ_CHECK(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    FZ_CHECK(sqlite3_step(s) == SQLITE_ROW, "%s", sql);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void fzi_close(void)
{
    store_close(fzi_store);
    fzi_store = NULL;
}

static int fz_import(const char *format, const char *name, const uint8_t *data, size_t size)
{
    char err[1024];
    /* a fresh in-memory database now and then: memory stays flat */
    if (fzi_store && ++fzi_uses >= 400) fzi_close();
    if (!fzi_store) {
        FZ_CHECK(store_open(&fzi_store, ":memory:", err, sizeof err) == 0, "%s", err);
        fzi_uses = 0;
        static int registered;
        if (!registered++) atexit(fzi_close);
    }
    const char *path = fz_write(name, data, size);
    imp_opts o;
    imp_opts_init(&o);
    o.format = format;
    o.strict = size % 5 == 1;
    o.group = size % 7 == 2 ? "g1" : NULL;
    o.utc_offset = size % 3 == 0 ? 8 * 3600 : size % 3 == 1 ? -(5 * 3600 + 1800) : 0;
    o.command = "fuzz";
    int64_t runs0 = fzi_count("SELECT count(*) FROM runs"), batches0 = fzi_count("SELECT count(*) FROM batches");
    int64_t ev0 = fzi_count("SELECT count(*) FROM events");
    imp_stats s;
    const char *files[1] = {path};
    err[0] = '\0';
    int rc = imp_import(fzi_store, &o, files, 1, &s, err, sizeof err);
    FZ_CHECK(rc == 0 || rc == IMP_EINPUT, "rc %d: %s", rc, err);
    if (rc != 0) {
        FZ_CHECK(err[0] != '\0', "failed without a message");
        FZ_CHECK(fzi_count("SELECT count(*) FROM runs") == runs0, "a failed import left a run");
        FZ_CHECK(fzi_count("SELECT count(*) FROM batches") == batches0, "a failed import left a batch");
        FZ_CHECK(fzi_count("SELECT count(*) FROM events") == ev0, "a failed import left events");
        return 0;
    }
    FZ_CHECK(s.events > 0 && s.rows >= 0 && s.malformed >= 0 && s.nbad <= IMP_MAX_REPORT, "stats");
    FZ_CHECK(fzi_count("SELECT count(*) FROM runs") == runs0 + 1, "one run per import");
    FZ_CHECK(fzi_count("SELECT count(*) FROM events") == ev0 + s.events, "events written != stats.events");
    FZ_CHECK(s.last_ts >= s.first_ts, "span");
    /* the same ruler measures the imported log */
    met_t *met = NULL;
    msr_window w;
    if (msr_run(store_db(fzi_store), s.run_id, NULL, &met, &w, err, sizeof err) == 0) {
        FZ_CHECK(met != NULL && w.ndays >= 1, "measure");
        met_close(met);
    } else {
        FZ_CHECK(err[0] != '\0', "measure failed without a message");
    }
    return 0;
}

#endif
