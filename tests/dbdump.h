/* dbdump.h -- a canonical text dump of a results database, for tests that
 * compare two databases: every table by name, every row by rowid (so the
 * order of inserts counts too), all columns but created_at and command,
 * reals in round-trip precision. */
#ifndef QS_TEST_DBDUMP_H
#define QS_TEST_DBDUMP_H

#include <stddef.h>

/* The dump of the database at path (malloc'd; the caller frees), or NULL
 * with a message in err. */
char *dbdump(const char *path, char *err, size_t errlen);

/* Index of the first differing line of two dumps with both lines, written
 * into buf (for a failure message); buf. */
const char *dbdump_diff(const char *a, const char *b, char *buf, size_t n);

#endif
