/* fault.h -- fault injection for tests (tests/test_faults.c): fail the Nth
 * allocation and the Nth write or sync of a SQLite file.
 *
 * Allocations: the test binary is linked with
 * -Wl,--wrap= for malloc, calloc, realloc, free, strdup, strndup and
 * aligned_alloc (Makefile), so every allocation of the code linked statically into it (the
 * qunsim library, the test) comes here; SQLite's allocations come here too
 * through its allocator hook (fault_sqlite_install).  Shared libraries other
 * than SQLite (libc internals, GSL, libconfig) are not counted.
 * Writes: a VFS shim over the default VFS, registered as the new default,
 * fails the Nth xWrite/xSync/xTruncate of any file (database, WAL, journal)
 * with an I/O error or "disk full".
 * The switches are process-global, like SQLite's own test hooks: one sweep
 * at a time.  Counters are atomic (worker threads allocate too).
 */
#ifndef QS_TEST_FAULT_H
#define QS_TEST_FAULT_H

/* Whose allocations are counted and failed (a bit mask). */
#define FAULT_LIB 1    /* the wrapped functions: qunsim's code and the test */
#define FAULT_SQLITE 2 /* SQLite's allocator */
#define FAULT_ALL 3

/* Count the allocations of `which` from now on and fail the nth
 * (1-based); with persist, every one after it as well (memory exhausted for
 * good).  n <= 0: count only, never fail. */
void fault_alloc_arm(long n, int persist, int which);
/* Allocations counted since the last fault_alloc_arm. */
long fault_alloc_calls(void);
/* Allocations failed since the last fault_alloc_arm. */
long fault_alloc_fired(void);
/* Blocks allocated through the wrapped functions and not yet freed (SQLite's
 * own blocks are not included): equal before and after a call = no leak. */
long fault_alloc_live(void);

/* Route SQLite's allocations through the counter (sqlite3_config; must come
 * before any other use of SQLite).  0 or -1. */
int fault_sqlite_install(void);

/* Register the I/O shim as the default VFS.  0 or -1. */
int fault_vfs_install(void);
/* Count writes, syncs and truncates from now on and fail the nth (1-based);
 * persist: and every one after it; full: fail with SQLITE_FULL (disk full)
 * instead of SQLITE_IOERR_WRITE / _FSYNC / _TRUNCATE.  n <= 0: count only. */
void fault_io_arm(long n, int persist, int full);
long fault_io_calls(void);
long fault_io_fired(void);

#endif
