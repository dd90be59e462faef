/* dbdump.c -- canonical dumps of results databases (see dbdump.h). */
#include "dbdump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

typedef struct dbuf { char *p; size_t n, cap; int oom; } dbuf;

static void add(dbuf *b, const char *s, size_t k)
{
    if (b->oom) return;
    if (b->n + k + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        while (nc < b->n + k + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) { b->oom = 1; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
    b->p[b->n] = '\0';
}

static void adds(dbuf *b, const char *s) { add(b, s, strlen(s)); }

char *dbdump(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    dbuf b = {NULL, 0, 0, 0};
    sqlite3_stmt *tabs = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &tabs,
                           NULL) != SQLITE_OK)
        goto fail;
    adds(&b, "");
    while (sqlite3_step(tabs) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(tabs, 0);
        char sql[4096], cols[3000] = "";
        sqlite3_stmt *ci = NULL, *rows = NULL;
        snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') WHERE name NOT IN ('created_at', 'command')", t);
        if (sqlite3_prepare_v2(db, sql, -1, &ci, NULL) != SQLITE_OK) goto fail;
        while (sqlite3_step(ci) == SQLITE_ROW) {
            size_t k = strlen(cols);
            snprintf(cols + k, sizeof cols - k, ", \"%s\"", (const char *)sqlite3_column_text(ci, 0));
        }
        sqlite3_finalize(ci);
        snprintf(sql, sizeof sql, "SELECT rowid%s FROM \"%s\" ORDER BY rowid", cols, t);
        if (sqlite3_prepare_v2(db, sql, -1, &rows, NULL) != SQLITE_OK) goto fail;
        adds(&b, "== ");
        adds(&b, t);
        adds(&b, "\n");
        while (sqlite3_step(rows) == SQLITE_ROW) {
            int nc = sqlite3_column_count(rows);
            for (int c = 0; c < nc; c++) {
                char v[64];
                if (c) adds(&b, "|");
                switch (sqlite3_column_type(rows, c)) {
                case SQLITE_NULL: adds(&b, "NULL"); break;
                case SQLITE_INTEGER: snprintf(v, sizeof v, "%lld", (long long)sqlite3_column_int64(rows, c)); adds(&b, v); break;
                case SQLITE_FLOAT: snprintf(v, sizeof v, "%.17g", sqlite3_column_double(rows, c)); adds(&b, v); break;
                default: adds(&b, "'"); adds(&b, (const char *)sqlite3_column_text(rows, c)); adds(&b, "'");
                }
            }
            adds(&b, "\n");
        }
        sqlite3_finalize(rows);
    }
    sqlite3_finalize(tabs);
    sqlite3_close(db);
    if (b.oom) {
        snprintf(err, errlen, "dump: out of memory");
        free(b.p);
        return NULL;
    }
    return b.p;
fail:
    snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(tabs);
    sqlite3_close(db);
    free(b.p);
    return NULL;
}

const char *dbdump_diff(const char *a, const char *b, char *buf, size_t n)
{
    int line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++;
        b++;
    }
    const char *ea = strchr(la, '\n'), *eb = strchr(lb, '\n');
    int ka = ea ? (int)(ea - la) : (int)strlen(la), kb = eb ? (int)(eb - lb) : (int)strlen(lb);
    snprintf(buf, n, "line %d: [%.*s] vs [%.*s]", line, ka > 200 ? 200 : ka, la, kb > 200 ? 200 : kb, lb);
    return buf;
}
