/* opt.h -- settings as tables: one row per setting (path, type, default,
 * bounds, unit, help).  The scenario loader validates from the tables, the
 * docs and `qunsim check` print from them, sweeps set values by path, and the
 * run table records the values in effect.  Knows no model: each model passes
 * its own rows and the struct they describe.
 */
#ifndef QS_OPT_H
#define QS_OPT_H

#include <stddef.h>
#include <stdio.h>

#include <libconfig.h>

#define OPT_VEC_MAX 24  /* longest numeric vector setting (a 24-hour profile) */
#define OPT_STR_MAX 64  /* longest string setting, including the NUL */

typedef enum opt_type {
    OPT_BOOL,   /* int 0/1 */
    OPT_INT,    /* int, bounds inclusive */
    OPT_DOUBLE, /* double, bounds inclusive; integers accepted */
    OPT_STRING, /* char[OPT_STR_MAX] */
    OPT_ENUM,   /* int index into choices; written as a string */
    OPT_VEC,    /* opt_vec: numbers; len > 0 exactly len, 0: 1..MAX, -1: 0..MAX */
    OPT_EVEC    /* opt_vec of choice indices, written as a list of strings */
} opt_type;

typedef struct opt_vec {
    int n;
    double v[OPT_VEC_MAX];
} opt_vec;

typedef struct opt_row {
    const char *path;            /* dotted path relative to the table's root */
    opt_type type;
    size_t offset;               /* offsetof(field) in the described struct */
    double def;                  /* default (numeric types, enum index) */
    double min, max;             /* inclusive bounds (numeric types, vector elements) */
    const char *sdef;            /* default string; for OPT_VEC "v1,v2,..." */
    const char *const *choices;  /* OPT_ENUM: NULL-terminated names */
    int len;                     /* OPT_VEC/EVEC: length rule (see opt_type) */
    const char *unit;            /* unit for docs ("1/day", "s", "") */
    const char *help;            /* one line */
} opt_row;

/* A table of rows (NULL-path terminated) and the struct they describe. */
typedef struct opt_table {
    const opt_row *rows;
    void *base;
} opt_table;

/* Write every row's default into its struct. */
void opt_defaults(const opt_table *tabs, int ntabs);

/* Apply the settings present in group `grp` (a libconfig group) to the
 * tables.  Every setting found in grp must be a row of some table, except
 * top-level names listed in `skip` (NULL-terminated, may be NULL).  Values
 * are type- and range-checked.  Returns 0, or -1 with a one-line message in
 * err: `FILE:LINE: setting "path": reason`. */
int opt_apply(const opt_table *tabs, int ntabs, const config_setting_t *grp,
              const char *const *skip, char *err, size_t errlen);

/* Set one setting from text, e.g. path "checkin.days", value "14" (or
 * "1,2,3" for vectors, "true"/"false" for booleans).  Returns 0, or -1 with
 * `setting "path": reason` in err. */
int opt_set(const opt_table *tabs, int ntabs, const char *path, const char *value,
            char *err, size_t errlen);

/* The numeric value of a setting by path (bool/int/double/enum index).
 * Returns 0, or -1 if unknown or not numeric. */
int opt_get_number(const opt_table *tabs, int ntabs, const char *path, double *out);

/* Find a row by path; NULL if none.  *tab gets its table index. */
const opt_row *opt_find(const opt_table *tabs, int ntabs, const char *path, int *tab);

/* Print the effective settings as libconfig text ("path = value;" lines,
 * numbers in the shortest form that reads back exactly) into a malloc'd string.  NULL on ENOMEM.
 * The caller frees it. */
char *opt_format(const opt_table *tabs, int ntabs);

/* The value of one row as libconfig text ("0.6", "true", "[1, 2]", "\"x\"";
 * numbers in the shortest form that reads back exactly), malloc'd; NULL
 * on ENOMEM. */
char *opt_value_text(const opt_table *t, const opt_row *r);

/* Print a reference of the rows (path, type, default, bounds, unit, help)
 * as a Markdown table. */
void opt_print_doc(const opt_row *rows, FILE *f);

#endif
