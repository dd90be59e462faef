/* fault.c -- the allocation wrappers (--wrap), SQLite's allocator hook and
 * the failing VFS shim of fault.h.  Global state by nature: the wrapped
 * malloc has no handle to hang it on. */
#include "fault.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <sqlite3.h>

/* ---- allocations ---------------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);

static atomic_long a_target, a_calls, a_fired, a_live;
static atomic_int a_persist, a_which;

void fault_alloc_arm(long n, int persist, int which)
{
    atomic_store(&a_target, 0);
    atomic_store(&a_calls, 0);
    atomic_store(&a_fired, 0);
    atomic_store(&a_persist, persist);
    atomic_store(&a_which, which);
    atomic_store(&a_target, n > 0 ? n : 0);
}

long fault_alloc_calls(void) { return atomic_load(&a_calls); }
long fault_alloc_fired(void) { return atomic_load(&a_fired); }
long fault_alloc_live(void) { return atomic_load(&a_live); }

/* 1 if this allocation (by `who`: FAULT_LIB or FAULT_SQLITE) is to fail. */
static int alloc_fails(int who)
{
    if (!(atomic_load(&a_which) & who)) return 0;
    long k = atomic_fetch_add(&a_calls, 1) + 1, t = atomic_load(&a_target);
    if (t > 0 && (k == t || (k > t && atomic_load(&a_persist)))) {
        atomic_fetch_add(&a_fired, 1);
        errno = ENOMEM; /* as the real allocator does */
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    if (alloc_fails(FAULT_LIB)) return NULL;
    void *p = __real_malloc(n);
    if (p) atomic_fetch_add(&a_live, 1);
    return p;
}

void *__wrap_calloc(size_t k, size_t n)
{
    if (alloc_fails(FAULT_LIB)) return NULL;
    void *p = __real_calloc(k, n);
    if (p) atomic_fetch_add(&a_live, 1);
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (!p) return __wrap_malloc(n);
    if (n == 0) {
        __wrap_free(p);
        return NULL;
    }
    if (alloc_fails(FAULT_LIB)) return NULL; /* p stays valid, as a real failure leaves it */
    return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
    if (p) atomic_fetch_sub(&a_live, 1);
    __real_free(p);
}

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = __wrap_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

char *__wrap_strndup(const char *s, size_t n)
{
    size_t k = strnlen(s, n);
    char *d = __wrap_malloc(k + 1);
    if (d) {
        memcpy(d, s, k);
        d[k] = '\0';
    }
    return d;
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
    if (alloc_fails(FAULT_LIB)) return NULL;
    void *p = __real_aligned_alloc(align, n);
    if (p) atomic_fetch_add(&a_live, 1);
    return p;
}

/* SQLite's allocator: the default one, failing when the counter says so. */
static sqlite3_mem_methods sq_real;

static void *sq_malloc(int n) { return alloc_fails(FAULT_SQLITE) ? NULL : sq_real.xMalloc(n); }
static void *sq_realloc(void *p, int n) { return alloc_fails(FAULT_SQLITE) ? NULL : sq_real.xRealloc(p, n); }

int fault_sqlite_install(void)
{
    sqlite3_shutdown();
    if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sq_real) != SQLITE_OK) return -1;
    sqlite3_mem_methods m = sq_real;
    m.xMalloc = sq_malloc;
    m.xRealloc = sq_realloc;
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK) return -1;
    return sqlite3_initialize() == SQLITE_OK ? 0 : -1;
}

/* ---- I/O: a VFS shim --------------------------------------------------------- */

static atomic_long io_target, io_calls, io_fired;
static atomic_int io_persist, io_full;

void fault_io_arm(long n, int persist, int full)
{
    atomic_store(&io_target, 0);
    atomic_store(&io_calls, 0);
    atomic_store(&io_fired, 0);
    atomic_store(&io_persist, persist);
    atomic_store(&io_full, full);
    atomic_store(&io_target, n > 0 ? n : 0);
}

long fault_io_calls(void) { return atomic_load(&io_calls); }
long fault_io_fired(void) { return atomic_load(&io_fired); }

/* 0, or the error code this operation is to fail with. */
static int io_fails(int ioerr)
{
    long k = atomic_fetch_add(&io_calls, 1) + 1, t = atomic_load(&io_target);
    if (t > 0 && (k == t || (k > t && atomic_load(&io_persist)))) {
        atomic_fetch_add(&io_fired, 1);
        return atomic_load(&io_full) ? SQLITE_FULL : ioerr;
    }
    return 0;
}

typedef struct ffile {
    sqlite3_file base;  /* pMethods = the shim's methods */
    sqlite3_file *real; /* the real file, right after this struct */
} ffile;

static sqlite3_vfs *real_vfs;

#define REAL(f) (((ffile *)(f))->real)

static int f_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return REAL(f)->pMethods->xRead(REAL(f), b, n, o); }
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    int rc = io_fails(SQLITE_IOERR_WRITE);
    return rc ? rc : REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 n)
{
    int rc = io_fails(SQLITE_IOERR_TRUNCATE);
    return rc ? rc : REAL(f)->pMethods->xTruncate(REAL(f), n);
}
static int f_sync(sqlite3_file *f, int flags)
{
    int rc = io_fails(SQLITE_IOERR_FSYNC);
    return rc ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *n) { return REAL(f)->pMethods->xFileSize(REAL(f), n); }
static int f_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int f_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int f_reserved(sqlite3_file *f, int *r) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r); }
static int f_control(sqlite3_file *f, int op, void *a) { return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }
static int f_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int f_devchar(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int f_shmmap(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, pp);
}
static int f_shmlock(sqlite3_file *f, int o, int n, int fl) { return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl); }
static void f_shmbarrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int f_shmunmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }

/* Version 2 (shared memory for WAL, no memory-mapped I/O: every write goes
 * through xWrite). */
static const sqlite3_io_methods f_methods = {
    2, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock, f_unlock, f_reserved,
    f_control, f_sector, f_devchar, f_shmmap, f_shmlock, f_shmbarrier, f_shmunmap, NULL, NULL,
};

static int v_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
    ffile *p = (ffile *)f;
    p->real = (sqlite3_file *)(p + 1);
    int rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out);
    p->base.pMethods = p->real->pMethods ? &f_methods : NULL;
    return rc;
}
static int v_delete(sqlite3_vfs *v, const char *n, int s) { return real_vfs->xDelete(real_vfs, n, s); }
static int v_access(sqlite3_vfs *v, const char *n, int fl, int *r) { return real_vfs->xAccess(real_vfs, n, fl, r); }
static int v_full(sqlite3_vfs *v, const char *n, int k, char *o) { return real_vfs->xFullPathname(real_vfs, n, k, o); }
static void *v_dlopen(sqlite3_vfs *v, const char *n) { return real_vfs->xDlOpen(real_vfs, n); }
static void v_dlerror(sqlite3_vfs *v, int n, char *m) { real_vfs->xDlError(real_vfs, n, m); }
static void (*v_dlsym(sqlite3_vfs *v, void *h, const char *s))(void) { return real_vfs->xDlSym(real_vfs, h, s); }
static void v_dlclose(sqlite3_vfs *v, void *h) { real_vfs->xDlClose(real_vfs, h); }
static int v_random(sqlite3_vfs *v, int n, char *o) { return real_vfs->xRandomness(real_vfs, n, o); }
static int v_sleep(sqlite3_vfs *v, int us) { return real_vfs->xSleep(real_vfs, us); }
static int v_time(sqlite3_vfs *v, double *t) { return real_vfs->xCurrentTime(real_vfs, t); }
static int v_lasterr(sqlite3_vfs *v, int n, char *m) { return real_vfs->xGetLastError(real_vfs, n, m); }
static int v_time64(sqlite3_vfs *v, sqlite3_int64 *t) { return real_vfs->xCurrentTimeInt64(real_vfs, t); }

static sqlite3_vfs shim = {
    2, 0, 0, NULL, "qs-fault", NULL, v_open, v_delete, v_access, v_full, v_dlopen, v_dlerror, v_dlsym,
    v_dlclose, v_random, v_sleep, v_time, v_lasterr, v_time64, NULL, NULL, NULL,
};

int fault_vfs_install(void)
{
    if (real_vfs) return 0;
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs || real_vfs->iVersion < 2) return -1;
    shim.szOsFile = (int)sizeof(ffile) + real_vfs->szOsFile;
    shim.mxPathname = real_vfs->mxPathname;
    return sqlite3_vfs_register(&shim, 1) == SQLITE_OK ? 0 : -1;
}
