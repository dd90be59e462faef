/* test_opt.c -- settings tables (models/opt.h): defaults, validation of
 * libconfig input (unknown settings and groups, types, bounds, vectors,
 * enums) with the exact `FILE:LINE: setting "path": reason` message, opt_set
 * from text, opt_get_number/opt_find, the Markdown reference, and the
 * opt_format -> libconfig -> opt_apply round trip (doubles bit for bit).
 * Also checks the real tables (com_tables(), scen_opts) for self-consistency. */
#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "community.h"
#include "opt.h"
#include "scenario.h"

/* ---- a test table covering every row type -------------------------------- */

typedef struct tcfg {
    int flag;
    int count;
    double ratio;
    char name[OPT_STR_MAX];
    int mode;
    opt_vec hours; /* exactly 3 numbers in [0, 10] */
    opt_vec any;   /* 1..OPT_VEC_MAX numbers in [-1, 1] */
    opt_vec maybe; /* 0..OPT_VEC_MAX numbers (len -1) */
    opt_vec names; /* a list of choices (OPT_EVEC) */
    double deep;
    double wide;
} tcfg;

typedef struct tcfg2 {
    int x;
} tcfg2;

#define T(f) offsetof(tcfg, f)
static const char *const modes[] = {"fast", "slow", "off", NULL};
static const opt_row trows[] = {
    {"flag", OPT_BOOL, T(flag), 1, 0, 1, NULL, NULL, 0, "", "a flag"},
    {"grp.count", OPT_INT, T(count), 7, 0, 100, NULL, NULL, 0, "", "an int"},
    {"grp.ratio", OPT_DOUBLE, T(ratio), 0.25, 0, 1, NULL, NULL, 0, "", "a ratio"},
    {"grp.name", OPT_STRING, T(name), 0, 0, 0, "hello", NULL, 0, "", "a name"},
    {"grp.mode", OPT_ENUM, T(mode), 1, 0, 0, NULL, modes, 0, "", "a choice"},
    {"vec.hours", OPT_VEC, T(hours), 0, 0, 10, "1,2,3", NULL, 3, "h", "three numbers"},
    {"vec.any", OPT_VEC, T(any), 0, -1, 1, "0.5", NULL, 0, "", "some numbers"},
    {"vec.maybe", OPT_VEC, T(maybe), 0, 0, 100, "", NULL, -1, "", "perhaps no numbers"},
    {"vec.names", OPT_EVEC, T(names), 0, 0, 0, "slow,fast", modes, 0, "", "some choices"},
    {"deep.a.b", OPT_DOUBLE, T(deep), -2.5, -1e300, 1e300, NULL, NULL, 0, "", "nested"},
    {"deep.c", OPT_DOUBLE, T(wide), 0, -1.7e308, 1.7e308, NULL, NULL, 0, "", "wide"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, NULL, NULL},
};
static const opt_row trows2[] = {
    {"other.x", OPT_INT, offsetof(tcfg2, x), -3, -10, 10, NULL, NULL, 0, "", "second table"},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, NULL, NULL},
};

typedef struct fixture {
    tcfg a;
    tcfg2 b;
    opt_table tabs[2];
} fixture;

static void fx_init(fixture *f)
{
    memset(f, 0x5a, sizeof *f); /* garbage: defaults must overwrite every field */
    f->tabs[0] = (opt_table){trows, &f->a};
    f->tabs[1] = (opt_table){trows2, &f->b};
    opt_defaults(f->tabs, 2);
}

/* Parse text with libconfig and apply it; returns opt_apply's result.  A
 * libconfig syntax error fails the test (the tests below are about opt). */
static int apply_text(fixture *f, const char *text, const char *const *skip, char *err, size_t n)
{
    config_t c;
    config_init(&c);
    int ok = config_read_string(&c, text);
    ck_assert_msg(ok == CONFIG_TRUE, "libconfig rejected test input line %d: %s\n%s",
                  config_error_line(&c), config_error_text(&c), text);
    int rc = opt_apply(f->tabs, 2, config_root_setting(&c), skip, err, n);
    config_destroy(&c);
    return rc;
}

/* Apply text that must fail with exactly the message `want`. */
static void apply_fails(const char *text, const char *want)
{
    fixture f;
    fx_init(&f);
    char err[512];
    ck_assert_int_eq(apply_text(&f, text, NULL, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
}

/* ---- defaults ------------------------------------------------------------- */

START_TEST(defaults)
{
    fixture f;
    fx_init(&f);
    ck_assert_int_eq(f.a.flag, 1);
    ck_assert_int_eq(f.a.count, 7);
    ck_assert(f.a.ratio == 0.25);
    ck_assert_str_eq(f.a.name, "hello");
    ck_assert_int_eq(f.a.mode, 1);
    ck_assert_int_eq(f.a.hours.n, 3);
    ck_assert(f.a.hours.v[0] == 1 && f.a.hours.v[1] == 2 && f.a.hours.v[2] == 3);
    ck_assert_int_eq(f.a.any.n, 1);
    ck_assert(f.a.any.v[0] == 0.5);
    ck_assert_int_eq(f.a.maybe.n, 0);
    ck_assert_int_eq(f.a.names.n, 2);
    ck_assert(f.a.names.v[0] == 1 && f.a.names.v[1] == 0);
    ck_assert(f.a.deep == -2.5);
    ck_assert(f.a.wide == 0.0);
    ck_assert_int_eq(f.b.x, -3);
}
END_TEST

/* Every row of the real tables: default inside its bounds, vector defaults
 * parse to the required length, enum defaults index a choice, and rows of a
 * group are contiguous (opt_format relies on it). */
static void check_table(const opt_row *rows, const char *tname)
{
    for (const opt_row *r = rows; r->path; r++) {
        switch (r->type) {
        case OPT_BOOL: ck_assert_msg(r->def == 0 || r->def == 1, "%s %s", tname, r->path); break;
        case OPT_INT:
            ck_assert_msg(r->def == floor(r->def), "%s %s: non-integer default", tname, r->path);
            /* fallthrough */
        case OPT_DOUBLE:
            ck_assert_msg(r->min <= r->def && r->def <= r->max, "%s %s: default %g outside [%g, %g]",
                          tname, r->path, r->def, r->min, r->max);
            break;
        case OPT_ENUM: {
            int n = 0;
            while (r->choices[n]) n++;
            ck_assert_msg(r->def >= 0 && r->def < n, "%s %s: enum default", tname, r->path);
            break;
        }
        case OPT_STRING:
            ck_assert_msg(!r->sdef || strlen(r->sdef) < OPT_STR_MAX, "%s %s", tname, r->path);
            break;
        case OPT_VEC: case OPT_EVEC: {
            /* parse the default through opt_set on a one-row copy of r */
            char err[256];
            typedef struct { opt_vec v; } hold;
            hold h;
            opt_row one[2] = {*r, {NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, NULL, NULL}};
            one[0].offset = offsetof(hold, v);
            opt_table t1 = {one, &h};
            ck_assert_msg(r->sdef != NULL, "%s %s: vector without default", tname, r->path);
            ck_assert_msg(opt_set(&t1, 1, r->path, r->sdef, err, sizeof err) == 0, "%s %s: default: %s",
                          tname, r->path, err);
            ck_assert_msg(r->len <= 0 || h.v.n == r->len, "%s %s: default length", tname, r->path);
            break;
        }
        }
        /* contiguity: once the group prefix changes, it never comes back */
        const char *dot = strrchr(r->path, '.');
        if (!dot) continue;
        size_t plen = (size_t)(dot - r->path);
        int left = 0;
        for (const opt_row *q = r + 1; q->path; q++) {
            int same = strncmp(q->path, r->path, plen) == 0 && q->path[plen] == '.';
            if (!same) left = 1;
            else ck_assert_msg(!left, "%s: rows of group %.*s not contiguous (%s)", tname, (int)plen, r->path, q->path);
        }
        /* no duplicate paths */
        for (const opt_row *q = r + 1; q->path; q++) ck_assert_msg(strcmp(q->path, r->path), "%s: duplicate %s", tname, r->path);
    }
}

/* The vector setting at path (through its row's offset). */
static const opt_vec *vec_at(const opt_table *t, int n, const char *path)
{
    int k;
    const opt_row *r = opt_find(t, n, path, &k);
    ck_assert_msg(r && (r->type == OPT_VEC || r->type == OPT_EVEC), "no vector %s", path);
    return (const opt_vec *)((const char *)t[k].base + r->offset);
}

START_TEST(real_tables_consistent)
{
    static com_params p;
    opt_table t[32];
    int nt = com_tables(&p, t, 32);
    ck_assert_int_gt(nt, 0);
    ck_assert_int_lt(nt, 32);
    for (int i = 0; i < nt; i++) {
        ck_assert_ptr_eq(t[i].base, &p);
        check_table(t[i].rows, "com_tables");
    }
    /* no path in two tables */
    for (int i = 0; i < nt; i++)
        for (const opt_row *r = t[i].rows; r->path; r++) {
            int k;
            ck_assert_ptr_eq(opt_find(t, nt, r->path, &k), r);
            ck_assert_int_eq(k, i);
        }
    check_table(scen_opts, "scen_opts");
    check_table(trows, "trows");
    /* the documented defaults of the model */
    memset(&p, 0x5a, sizeof p);
    opt_defaults(t, nt);
    ck_assert_int_eq(vec_at(t, nt, "cadence.daily")->n, 24);
    ck_assert_int_eq(vec_at(t, nt, "cadence.weekly")->n, 7);
    double v;
    ck_assert_int_eq(opt_get_number(t, nt, "group.cap", &v), 0);
    ck_assert(v == 500);
    ck_assert_int_eq(opt_get_number(t, nt, "checkin.enabled", &v), 0);
    ck_assert(v == 0);
}
END_TEST

/* ---- opt_apply: good input ------------------------------------------------- */

START_TEST(apply_good)
{
    fixture f;
    fx_init(&f);
    char err[512];
    const char *text =
        "flag = false;\n"
        "grp = { count = 100; ratio = 1; name = \"n\\\"x\"; mode = \"off\"; };\n"
        "vec = { hours = [0.0, 10.0, 2.5]; any = (-1, 0.25, 1); maybe = []; names = [\"off\", \"off\", \"fast\"]; };\n"
        "deep = { a = { b = 1e+20; }; c = -7.5e-300; };\n"
        "other = { x = 10; };\n";
    ck_assert_msg(apply_text(&f, text, NULL, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(f.a.flag, 0);
    ck_assert_int_eq(f.a.count, 100);
    ck_assert(f.a.ratio == 1.0); /* an int accepted for a double */
    ck_assert_str_eq(f.a.name, "n\"x");
    ck_assert_int_eq(f.a.mode, 2);
    ck_assert_int_eq(f.a.hours.n, 3);
    ck_assert(f.a.hours.v[0] == 0 && f.a.hours.v[1] == 10 && f.a.hours.v[2] == 2.5);
    ck_assert_int_eq(f.a.any.n, 3); /* a list of mixed int/float is accepted */
    ck_assert(f.a.any.v[0] == -1 && f.a.any.v[1] == 0.25 && f.a.any.v[2] == 1);
    ck_assert_int_eq(f.a.maybe.n, 0); /* len -1: an empty list is fine */
    ck_assert_int_eq(f.a.names.n, 3);
    ck_assert(f.a.names.v[0] == 2 && f.a.names.v[1] == 2 && f.a.names.v[2] == 0);
    ck_assert(f.a.deep == 1e20);
    ck_assert(f.a.wide == -7.5e-300);
    ck_assert_int_eq(f.b.x, 10);

    /* settings not given keep their defaults; a 64-bit int literal is read as one */
    fx_init(&f);
    ck_assert_int_eq(apply_text(&f, "grp = { count = 0L; };", NULL, err, sizeof err), 0);
    ck_assert_int_eq(f.a.count, 0);
    ck_assert(f.a.ratio == 0.25);
    ck_assert_int_eq(f.b.x, -3);

    /* skip applies to top-level names only */
    const char *const skip[] = {"arms", "notes", NULL};
    fx_init(&f);
    ck_assert_int_eq(apply_text(&f, "arms = (1, 2);\nnotes = \"x\";\nflag = false;", skip, err, sizeof err), 0);
    ck_assert_int_eq(f.a.flag, 0);
    ck_assert_int_eq(apply_text(&f, "grp = { arms = 1; };", skip, err, sizeof err), -1);
    ck_assert_str_eq(err, "<scenario>:1: setting \"grp.arms\": unknown setting");
    /* an empty config is fine */
    ck_assert_int_eq(apply_text(&f, "", NULL, err, sizeof err), 0);
}
END_TEST

/* ---- opt_apply: errors, with exact messages and lines ------------------------ */

START_TEST(apply_unknown)
{
    apply_fails("flag = true;\n\nbogus = 1;\n", "<scenario>:3: setting \"bogus\": unknown setting");
    apply_fails("grp = {\n  count = 1;\n  cuont = 2;\n};\n", "<scenario>:3: setting \"grp.cuont\": unknown setting");
    apply_fails("\nnogroup = { count = 1; };\n", "<scenario>:2: setting \"nogroup\": unknown setting group");
    apply_fails("deep = {\n a = {\n  b = 1.0;\n  z = 2;\n };\n};", "<scenario>:4: setting \"deep.a.z\": unknown setting");
    apply_fails("deep = { b = { x = 1; }; };", "<scenario>:1: setting \"deep.b\": unknown setting group");
    /* a prefix of a path is not a setting by itself */
    apply_fails("deep = { a = 1.0; };", "<scenario>:1: setting \"deep.a\": unknown setting");
    apply_fails("gr = { count = 1; };", "<scenario>:1: setting \"gr\": unknown setting group");
}
END_TEST

START_TEST(apply_types)
{
    apply_fails("grp = { ratio = \"0.5\"; };", "<scenario>:1: setting \"grp.ratio\": expected a number");
    apply_fails("grp = { ratio = true; };", "<scenario>:1: setting \"grp.ratio\": expected a number");
    apply_fails("grp = {\n count = 2.0;\n};",
                "<scenario>:2: setting \"grp.count\": expected an integer, got a number with a fraction");
    apply_fails("grp = { count = \"2\"; };", "<scenario>:1: setting \"grp.count\": expected an integer, got another type");
    apply_fails("flag = 1;", "<scenario>:1: setting \"flag\": expected a boolean (true/false)");
    apply_fails("grp = { name = 5; };", "<scenario>:1: setting \"grp.name\": expected a string");
    apply_fails("grp = { mode = 1; };", "<scenario>:1: setting \"grp.mode\": expected a string");
    apply_fails("grp = { count = { x = 1; }; };", "<scenario>:1: setting \"grp.count\": expected an integer, got another type");
    apply_fails("vec = { any = 0.5; };", "<scenario>:1: setting \"vec.any\": expected a list of numbers [a, b, ...]");
    apply_fails("grp = { name = \"0123456789012345678901234567890123456789012345678901234567890123\"; };",
                "<scenario>:1: setting \"grp.name\": longer than 63 bytes");
    /* 63 bytes fit */
    fixture f;
    fx_init(&f);
    char err[512];
    ck_assert_int_eq(apply_text(&f, "grp = { name = \"012345678901234567890123456789012345678901234567890123456789012\"; };",
                                NULL, err, sizeof err), 0);
    ck_assert_int_eq((int)strlen(f.a.name), 63);
}
END_TEST

START_TEST(apply_bounds)
{
    apply_fails("grp = { count = 101; };", "<scenario>:1: setting \"grp.count\": must be between 0 and 100");
    apply_fails("grp = { count = -1; };", "<scenario>:1: setting \"grp.count\": must be between 0 and 100");
    apply_fails("grp = { count = 5000000000L; };", "<scenario>:1: setting \"grp.count\": must be between 0 and 100");
    apply_fails("grp = { ratio = 1.0000001; };", "<scenario>:1: setting \"grp.ratio\": must be between 0 and 1");
    apply_fails("grp = { ratio = -1e-300; };", "<scenario>:1: setting \"grp.ratio\": must be between 0 and 1");
    apply_fails("grp = { ratio = 2; };", "<scenario>:1: setting \"grp.ratio\": must be between 0 and 1");
    apply_fails("other = {\n\n x = -11; };", "<scenario>:3: setting \"other.x\": must be between -10 and 10");
    /* the bounds themselves are inside */
    fixture f;
    fx_init(&f);
    char err[512];
    ck_assert_int_eq(apply_text(&f, "grp = { count = 0; ratio = 0.0; }; other = { x = -10; };", NULL, err, sizeof err), 0);
    ck_assert_int_eq(apply_text(&f, "grp = { count = 100; ratio = 1.0; }; other = { x = 10; };", NULL, err, sizeof err), 0);
}
END_TEST

START_TEST(apply_vectors)
{
    apply_fails("vec = { hours = [1.0, 2.0]; };", "<scenario>:1: setting \"vec.hours\": expected exactly 3 numbers, got 2");
    apply_fails("vec = { hours = [1, 2, 3, 4]; };", "<scenario>:1: setting \"vec.hours\": expected exactly 3 numbers, got 4");
    apply_fails("vec = { hours = []; };", "<scenario>:1: setting \"vec.hours\": expected exactly 3 numbers, got 0");
    apply_fails("vec = { any = []; };", "<scenario>:1: setting \"vec.any\": expected 1 to 24 numbers, got 0");
    apply_fails("vec = { any = [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]; };",
                "<scenario>:1: setting \"vec.any\": expected 1 to 24 numbers, got 25");
    apply_fails("vec = { hours = (1, \"x\", 3); };", "<scenario>:1: setting \"vec.hours\": element 2 is not a number");
    apply_fails("vec = { hours = (1, (2), 3); };", "<scenario>:1: setting \"vec.hours\": element 2 is not a number");
    apply_fails("vec = { hours = [true, false, true]; };", "<scenario>:1: setting \"vec.hours\": element 1 is not a number");
    apply_fails("vec = {\n hours = [1.0, 2.0, 10.5];\n};",
                "<scenario>:2: setting \"vec.hours\": element 3 (10.5) must be between 0 and 10");
    apply_fails("vec = { any = [-2]; };", "<scenario>:1: setting \"vec.any\": element 1 (-2) must be between -1 and 1");
    apply_fails("vec = { maybe = [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]; };",
                "<scenario>:1: setting \"vec.maybe\": expected 0 to 24 numbers, got 25");
    /* lists of choices */
    apply_fails("vec = { names = \"fast\"; };", "<scenario>:1: setting \"vec.names\": expected a list of names [\"a\", \"b\", ...]");
    apply_fails("vec = { names = []; };", "<scenario>:1: setting \"vec.names\": wrong number of names (0)");
    apply_fails("vec = { names = [\"fast\", \"medium\"]; };",
                "<scenario>:1: setting \"vec.names\": element 2 is not one of: fast slow off");
    apply_fails("vec = { names = (\"fast\", 1); };",
                "<scenario>:1: setting \"vec.names\": element 2 is not one of: fast slow off");
    /* a failed vector leaves the old value intact */
    fixture f;
    fx_init(&f);
    char err[512];
    ck_assert_int_eq(apply_text(&f, "vec = { hours = [1.0, 20.0, 3.0]; };", NULL, err, sizeof err), -1);
    ck_assert_int_eq(f.a.hours.n, 3);
    ck_assert(f.a.hours.v[1] == 2.0);
    /* 24 numbers fit */
    ck_assert_int_eq(apply_text(&f, "vec = { any = [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]; };", NULL, err, sizeof err), 0);
    ck_assert_int_eq(f.a.any.n, 24);
    ck_assert(f.a.any.v[23] == 1);
}
END_TEST

START_TEST(apply_enums)
{
    apply_fails("grp = { mode = \"medium\"; };",
                "<scenario>:1: setting \"grp.mode\": unknown value \"medium\" (one of: fast slow off)");
    apply_fails("grp = { mode = \"FAST\"; };",
                "<scenario>:1: setting \"grp.mode\": unknown value \"FAST\" (one of: fast slow off)");
    fixture f;
    fx_init(&f);
    char err[512];
    ck_assert_int_eq(apply_text(&f, "grp = { mode = \"fast\"; };", NULL, err, sizeof err), 0);
    ck_assert_int_eq(f.a.mode, 0);
    /* a short error buffer truncates, never overflows */
    char small[24];
    memset(small, 'x', sizeof small);
    ck_assert_int_eq(apply_text(&f, "grp = { mode = \"medium\"; };", NULL, small, sizeof small), -1);
    ck_assert_int_eq((int)strlen(small), (int)sizeof small - 1);
}
END_TEST

/* A file name in the message: read through a real file. */
START_TEST(apply_file_name)
{
    const char *dir = getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/test_opt_%d.cfg", dir, (int)getpid());
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("# comment\nflag = true;\ngrp = {\n  count = 3;\n  ratio = 7;\n};\n", fp);
    fclose(fp);
    config_t c;
    config_init(&c);
    ck_assert_int_eq(config_read_file(&c, path), CONFIG_TRUE);
    fixture f;
    fx_init(&f);
    char err[1024], want[1024];
    ck_assert_int_eq(opt_apply(f.tabs, 2, config_root_setting(&c), NULL, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:5: setting \"grp.ratio\": must be between 0 and 1", path);
    ck_assert_str_eq(err, want);
    config_destroy(&c);
    remove(path);
}
END_TEST

/* ---- opt_set --------------------------------------------------------------- */

static void set_fails(const char *path, const char *value, const char *want)
{
    fixture f;
    fx_init(&f);
    fixture g = f;
    char err[512];
    ck_assert_int_eq(opt_set(f.tabs, 2, path, value, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    /* nothing changed */
    g.tabs[0].base = &g.a;
    ck_assert(memcmp(&f.a, &g.a, sizeof f.a) == 0 && memcmp(&f.b, &g.b, sizeof f.b) == 0);
}

START_TEST(set_text)
{
    fixture f;
    fx_init(&f);
    char err[512];
    ck_assert_int_eq(opt_set(f.tabs, 2, "flag", "false", err, sizeof err), 0);
    ck_assert_int_eq(f.a.flag, 0);
    ck_assert_int_eq(opt_set(f.tabs, 2, "flag", "1", err, sizeof err), 0);
    ck_assert_int_eq(f.a.flag, 1);
    ck_assert_int_eq(opt_set(f.tabs, 2, "grp.count", "42", err, sizeof err), 0);
    ck_assert_int_eq(f.a.count, 42);
    ck_assert_int_eq(opt_set(f.tabs, 2, "grp.ratio", "1e-3", err, sizeof err), 0);
    ck_assert(f.a.ratio == 1e-3);
    ck_assert_int_eq(opt_set(f.tabs, 2, "grp.ratio", "0.1", err, sizeof err), 0);
    ck_assert(f.a.ratio == 0.1);
    ck_assert_int_eq(opt_set(f.tabs, 2, "grp.name", "中文 \"q\"", err, sizeof err), 0);
    ck_assert_str_eq(f.a.name, "中文 \"q\"");
    ck_assert_int_eq(opt_set(f.tabs, 2, "grp.mode", "slow", err, sizeof err), 0);
    ck_assert_int_eq(f.a.mode, 1);
    ck_assert_int_eq(opt_set(f.tabs, 2, "vec.hours", "0, 10 ,2.5", err, sizeof err), 0);
    ck_assert(f.a.hours.n == 3 && f.a.hours.v[0] == 0 && f.a.hours.v[1] == 10 && f.a.hours.v[2] == 2.5);
    ck_assert_int_eq(opt_set(f.tabs, 2, "vec.any", "-1,1", err, sizeof err), 0);
    ck_assert(f.a.any.n == 2 && f.a.any.v[0] == -1 && f.a.any.v[1] == 1);
    ck_assert_int_eq(opt_set(f.tabs, 2, "vec.maybe", "", err, sizeof err), 0);
    ck_assert_int_eq(f.a.maybe.n, 0);
    ck_assert_int_eq(opt_set(f.tabs, 2, "vec.maybe", "7", err, sizeof err), 0);
    ck_assert(f.a.maybe.n == 1 && f.a.maybe.v[0] == 7);
    ck_assert_int_eq(opt_set(f.tabs, 2, "vec.names", "off, slow", err, sizeof err), 0);
    ck_assert(f.a.names.n == 2 && f.a.names.v[0] == 2 && f.a.names.v[1] == 1);
    ck_assert_int_eq(opt_set(f.tabs, 2, "other.x", "-10", err, sizeof err), 0);
    ck_assert_int_eq(f.b.x, -10);
    ck_assert_int_eq(opt_set(f.tabs, 2, "deep.a.b", "-1e300", err, sizeof err), 0);
    ck_assert(f.a.deep == -1e300);

    set_fails("nope", "1", "setting \"nope\": unknown setting");
    set_fails("grp", "1", "setting \"grp\": unknown setting");
    set_fails("flag", "yes", "setting \"flag\": expected true or false");
    set_fails("grp.count", "12x", "setting \"grp.count\": expected an integer, got \"12x\"");
    set_fails("grp.count", "", "setting \"grp.count\": expected an integer, got \"\"");
    set_fails("grp.count", "1.5", "setting \"grp.count\": expected an integer, got \"1.5\"");
    set_fails("grp.count", "101", "setting \"grp.count\": must be between 0 and 100");
    set_fails("grp.count", "99999999999999999999", "setting \"grp.count\": expected an integer, got \"99999999999999999999\"");
    set_fails("grp.ratio", "abc", "setting \"grp.ratio\": expected a number, got \"abc\"");
    set_fails("grp.ratio", "0.5 ", "setting \"grp.ratio\": expected a number, got \"0.5 \"");
    set_fails("grp.ratio", "nan", "setting \"grp.ratio\": must be between 0 and 1");
    set_fails("deep.c", "inf", "setting \"deep.c\": must be between -1.7e+308 and 1.7e+308");
    set_fails("deep.c", "1e999", "setting \"deep.c\": expected a number, got \"1e999\"");
    set_fails("grp.ratio", "-0.5", "setting \"grp.ratio\": must be between 0 and 1");
    set_fails("grp.mode", "medium", "setting \"grp.mode\": unknown value \"medium\"");
    set_fails("grp.name", "0123456789012345678901234567890123456789012345678901234567890123",
              "setting \"grp.name\": too long");
    set_fails("vec.hours", "1,2", "setting \"vec.hours\": expected 3 comma-separated numbers");
    set_fails("vec.hours", "1,,2,3", "setting \"vec.hours\": expected 3 comma-separated numbers");
    set_fails("vec.hours", "1;2;3", "setting \"vec.hours\": expected 3 comma-separated numbers");
    set_fails("vec.hours", "", "setting \"vec.hours\": expected 3 comma-separated numbers");
    set_fails("vec.hours", "1,2,11", "setting \"vec.hours\": element 3 must be between 0 and 10");
    set_fails("vec.any", "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0",
              "setting \"vec.any\": expected 1 to 24 comma-separated numbers");
    set_fails("vec.any", "", "setting \"vec.any\": expected 1 to 24 comma-separated numbers");
    set_fails("vec.names", "fast,medium", "setting \"vec.names\": expected comma-separated names of choices");
    set_fails("vec.names", "", "setting \"vec.names\": expected comma-separated names of choices");
    set_fails("other.x", "11", "setting \"other.x\": must be between -10 and 10");
}
END_TEST

START_TEST(get_and_find)
{
    fixture f;
    fx_init(&f);
    double v;
    ck_assert_int_eq(opt_get_number(f.tabs, 2, "flag", &v), 0);
    ck_assert(v == 1);
    ck_assert_int_eq(opt_get_number(f.tabs, 2, "grp.count", &v), 0);
    ck_assert(v == 7);
    ck_assert_int_eq(opt_get_number(f.tabs, 2, "grp.ratio", &v), 0);
    ck_assert(v == 0.25);
    ck_assert_int_eq(opt_get_number(f.tabs, 2, "grp.mode", &v), 0);
    ck_assert(v == 1);
    ck_assert_int_eq(opt_get_number(f.tabs, 2, "other.x", &v), 0);
    ck_assert(v == -3);
    ck_assert_int_eq(opt_get_number(f.tabs, 2, "grp.name", &v), -1);
    ck_assert_int_eq(opt_get_number(f.tabs, 2, "vec.any", &v), -1);
    ck_assert_int_eq(opt_get_number(f.tabs, 2, "nope", &v), -1);
    int tab = -1;
    const opt_row *r = opt_find(f.tabs, 2, "other.x", &tab);
    ck_assert_ptr_eq(r, &trows2[0]);
    ck_assert_int_eq(tab, 1);
    ck_assert_ptr_eq(opt_find(f.tabs, 2, "grp.count", &tab), &trows[1]);
    ck_assert_int_eq(tab, 0);
    ck_assert_ptr_null(opt_find(f.tabs, 2, "grp", NULL));
    ck_assert_ptr_nonnull(opt_find(f.tabs, 2, "flag", NULL));
}
END_TEST

START_TEST(print_doc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(fp);
    opt_print_doc(trows, fp);
    fclose(fp);
    int lines = 0;
    for (size_t i = 0; i < len; i++) lines += buf[i] == '\n';
    ck_assert_int_eq(lines, 2 + 11); /* header, separator, one per row */
    ck_assert_ptr_nonnull(strstr(buf, "| `grp.count` | integer | 7 | 0 .. 100 |"));
    ck_assert_ptr_nonnull(strstr(buf, "| `grp.mode` | choice | slow | fast, slow, off |"));
    ck_assert_ptr_nonnull(strstr(buf, "| `vec.hours` | list of numbers | 1,2,3 | 0 .. 10 | h | three numbers |"));
    ck_assert_ptr_nonnull(strstr(buf, "| `vec.names` | list of choices | slow,fast | fast, slow, off |  | some choices |"));
    free(buf);
}
END_TEST

/* ---- opt_format round trip --------------------------------------------------- */

/* Format the settings, read them back with libconfig into a fixture whose
 * values all differ, and require identical bytes field by field. */
static void round_trip(fixture *f)
{
    char *text = opt_format(f->tabs, 2);
    ck_assert_ptr_nonnull(text);
    fixture g;
    memset(&g, 0, sizeof g);
    g.tabs[0] = (opt_table){trows, &g.a};
    g.tabs[1] = (opt_table){trows2, &g.b};
    char err[512];
    config_t c;
    config_init(&c);
    ck_assert_msg(config_read_string(&c, text) == CONFIG_TRUE, "libconfig: line %d: %s\n%s",
                  config_error_line(&c), config_error_text(&c), text);
    ck_assert_msg(opt_apply(g.tabs, 2, config_root_setting(&c), NULL, err, sizeof err) == 0, "%s\n%s", err, text);
    config_destroy(&c);
    ck_assert_int_eq(g.a.flag, f->a.flag);
    ck_assert_int_eq(g.a.count, f->a.count);
    ck_assert_msg(memcmp(&g.a.ratio, &f->a.ratio, sizeof(double)) == 0, "ratio %.17g vs %.17g", g.a.ratio, f->a.ratio);
    ck_assert_str_eq(g.a.name, f->a.name);
    ck_assert_int_eq(g.a.mode, f->a.mode);
    ck_assert_int_eq(g.a.hours.n, f->a.hours.n);
    ck_assert(memcmp(g.a.hours.v, f->a.hours.v, (size_t)f->a.hours.n * sizeof(double)) == 0);
    ck_assert_int_eq(g.a.any.n, f->a.any.n);
    ck_assert(memcmp(g.a.any.v, f->a.any.v, (size_t)f->a.any.n * sizeof(double)) == 0);
    ck_assert_int_eq(g.a.maybe.n, f->a.maybe.n);
    ck_assert(memcmp(g.a.maybe.v, f->a.maybe.v, (size_t)f->a.maybe.n * sizeof(double)) == 0);
    ck_assert_int_eq(g.a.names.n, f->a.names.n);
    ck_assert(memcmp(g.a.names.v, f->a.names.v, (size_t)f->a.names.n * sizeof(double)) == 0);
    ck_assert_msg(memcmp(&g.a.deep, &f->a.deep, sizeof(double)) == 0, "deep %.17g vs %.17g", g.a.deep, f->a.deep);
    ck_assert_msg(memcmp(&g.a.wide, &f->a.wide, sizeof(double)) == 0, "wide %.17g vs %.17g", g.a.wide, f->a.wide);
    ck_assert_int_eq(g.b.x, f->b.x);
    /* formatting is a pure function of the values */
    char *again = opt_format(g.tabs, 2);
    ck_assert_str_eq(again, text);
    free(again);
    free(text);
}

START_TEST(format_round_trip)
{
    fixture f;
    fx_init(&f);
    round_trip(&f); /* defaults */

    f.a.flag = 0;
    f.a.count = 0;
    f.a.ratio = 0.1;                 /* not a binary fraction: needs 17 digits */
    snprintf(f.a.name, sizeof f.a.name, "q\"b\\n\nt\tz 中文");
    f.a.mode = 2;
    f.a.hours = (opt_vec){3, {1.0 / 3, 10, 0}};
    f.a.any = (opt_vec){4, {-0.0, 1e-310, -1, 0.7}}; /* negative zero, a subnormal */
    f.a.maybe = (opt_vec){2, {0.5, 100}};
    f.a.names = (opt_vec){3, {2, 2, 1}};
    f.a.deep = 123456789.123456789;
    f.a.wide = 1.7e308;
    f.b.x = -10;
    round_trip(&f);

    f.a.ratio = nextafter(1.0, 0.0); /* 0.99999999999999989 */
    f.a.deep = 5e-324;               /* smallest subnormal */
    f.a.wide = -2.0;                 /* integral double: must stay a float in libconfig */
    f.a.name[0] = 0;
    f.a.any = (opt_vec){1, {1}};
    f.a.maybe.n = 0; /* an empty list */
    round_trip(&f);

    char *text = opt_format(f.tabs, 2);
    ck_assert_ptr_nonnull(strstr(text, "c = -2.0;"));
    /* the shortest text that reads back: 1 - 2^-53 needs 16 digits, 5e-324 one */
    ck_assert_ptr_nonnull(strstr(text, "ratio = 0.9999999999999999;"));
    ck_assert_ptr_nonnull(strstr(text, "  maybe = [];\n  names = [\"off\", \"off\", \"slow\"];\n"));
    ck_assert_ptr_nonnull(strstr(text, "deep = {\n  a = {\n    b = 5e-324;\n  };\n  c = -2.0;\n};\n"));
    free(text);
}
END_TEST

/* The real tables round trip too (the runs table stores this text). */
START_TEST(format_round_trip_real)
{
    static com_params p, q;
    scen_run r, s;
    opt_table t[33], u[33];
    t[0] = (opt_table){scen_opts, &r};
    u[0] = (opt_table){scen_opts, &s};
    int nt = 1 + com_tables(&p, t + 1, 32);
    ck_assert_int_eq(1 + com_tables(&q, u + 1, 32), nt);
    opt_defaults(t, nt);
    char err[512];
    ck_assert_int_eq(opt_set(t, nt, "members.rate_mean", "0.3", err, sizeof err), 0);
    ck_assert_int_eq(opt_set(t, nt, "cadence.daily", "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1,1.1,1.2,1.3,1.4,1.5,1.6,1.7,1.8,1.9,2,2.1,2.2,2.3,1e-7", err, sizeof err), 0);
    ck_assert_int_eq(opt_set(t, nt, "scenario.name", "a \"b\" c", err, sizeof err), 0);
    char *text = opt_format(t, nt);
    ck_assert_ptr_nonnull(text);
    memset(&q, 0, sizeof q);
    memset(&s, 0, sizeof s);
    config_t c;
    config_init(&c);
    ck_assert_msg(config_read_string(&c, text) == CONFIG_TRUE, "%s", config_error_text(&c));
    ck_assert_msg(opt_apply(u, nt, config_root_setting(&c), NULL, err, sizeof err) == 0, "%s", err);
    config_destroy(&c);
    char *text2 = opt_format(u, nt);
    ck_assert_str_eq(text2, text);
    double v;
    ck_assert_int_eq(opt_get_number(u, nt, "members.rate_mean", &v), 0);
    ck_assert(v == 0.3);
    const opt_vec *d = vec_at(u, nt, "cadence.daily");
    ck_assert(d->n == 24 && d->v[23] == 1e-7 && d->v[0] == 0.1);
    ck_assert_str_eq(s.name, "a \"b\" c");
    free(text);
    free(text2);
}
END_TEST

static Suite *opt_suite(void)
{
    Suite *s = suite_create("opt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, real_tables_consistent);
    tcase_add_test(tc, apply_good);
    tcase_add_test(tc, apply_unknown);
    tcase_add_test(tc, apply_types);
    tcase_add_test(tc, apply_bounds);
    tcase_add_test(tc, apply_vectors);
    tcase_add_test(tc, apply_enums);
    tcase_add_test(tc, apply_file_name);
    tcase_add_test(tc, set_text);
    tcase_add_test(tc, get_and_find);
    tcase_add_test(tc, print_doc);
    tcase_add_test(tc, format_round_trip);
    tcase_add_test(tc, format_round_trip_real);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(opt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
