/* test_runbuf.c -- run buffers (analysis/runbuf.h): a replication buffered
 * and committed later gives the same database as one streamed into the
 * store; packing to bytes and back loses nothing; every truncated or
 * corrupted byte string is refused.  Files under $QS_TMP (else /tmp).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "dbdump.h"
#include "replica.h"
#include "runbuf.h"

static void tmp_db(char *buf, size_t n, const char *name)
{
    const char *dir = getenv("QS_TMP");
    if (!dir || !*dir) dir = "/tmp";
    snprintf(buf, n, "%s/test_runbuf_%ld_%s.db", dir, (long)getpid(), name);
    char b[1200];
    unlink(buf);
    snprintf(b, sizeof b, "%s-wal", buf);
    unlink(b);
    snprintf(b, sizeof b, "%s-shm", buf);
    unlink(b);
}

static scenario *small_club(void)
{
    static char path[1024];
    const char *root = getenv("QS_ROOT");
    snprintf(path, sizeof path, "%s/scenarios/reading_club.cfg", root && root[0] ? root : ".");
    scenario *s = NULL;
    char err[1024];
    ck_assert_msg(scen_load(&s, path, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(scen_set(s, "scenario.days", "10", err, sizeof err), 0);
    ck_assert_int_eq(scen_set(s, "group.size", "80", err, sizeof err), 0);
    return s;
}

static store_t *open_db(const char *path)
{
    store_t *st = NULL;
    char err[1024];
    ck_assert_msg(store_open(&st, path, err, sizeof err) == 0, "%s", err);
    return st;
}

static char *dump(const char *path)
{
    char err[1024];
    char *d = dbdump(path, err, sizeof err);
    ck_assert_msg(d != NULL, "%s", err);
    return d;
}

static void same(const char *a, const char *b)
{
    char *da = dump(a), *db = dump(b), msg[512];
    ck_assert_msg(!strcmp(da, db), "databases differ: %s", dbdump_diff(da, db, msg, sizeof msg));
    free(da);
    free(db);
}

START_TEST(test_buffered_equals_streamed)
{
    scenario *s = small_club();
    char pa[1024], pb[1024], pc[1024], err[1024];
    tmp_db(pa, sizeof pa, "stream");
    tmp_db(pb, sizeof pb, "buffer");
    tmp_db(pc, sizeof pc, "packed");
    store_t *a = open_db(pa), *b = open_db(pb), *c = open_db(pc);
    rb_t *buf = NULL, *back = NULL;
    ck_assert_int_eq(rb_new(&buf), 0);
    ck_assert_int_eq(rb_new(&back), 0);
    for (int arm = 0; arm < 2; arm++)
        for (int rep = 0; rep < 2; rep++) {
            met_t *m1 = NULL, *m2 = NULL;
            int64_t id = 1 + 2 * arm + rep;
            rep_opts o1 = {.store = a, .store_events = 1, .run_id = id};
            ck_assert_msg(rep_run(s, arm, rep, &o1, &m1, NULL, err, sizeof err) == 0, "%s", err);
            rep_opts o2 = {.store_events = 1, .run_id = 99, .buf = buf};
            ck_assert_msg(rep_run(s, arm, rep, &o2, &m2, NULL, err, sizeof err) == 0, "%s", err);
            ck_assert_int_gt(rb_rows(buf), 100);
            ck_assert_str_eq(rb_run(buf)->arm, s->arms[arm].name);
            /* the ids given at commit win over the header's */
            ck_assert_msg(rb_commit(buf, b, id, -1) == 0, "%s", store_errmsg(b));
            unsigned char *bytes = NULL;
            size_t n = 0;
            rb_set_tag(buf, id);
            double v[3] = {1.5, NAN, -2};
            ck_assert_int_eq(rb_set_values(buf, v, 3), 0);
            ck_assert_int_eq(rb_pack(buf, &bytes, &n), 0);
            ck_assert_int_eq(rb_unpack(back, bytes, n), 0);
            free(bytes);
            ck_assert_int_eq(rb_tag(back), id);
            int nv;
            const double *bv = rb_values(back, &nv);
            ck_assert_int_eq(nv, 3);
            ck_assert(bv[0] == 1.5 && isnan(bv[1]) && bv[2] == -2);
            ck_assert_uint_eq(rb_rows(back), rb_rows(buf));
            ck_assert_msg(rb_commit(back, c, id, -1) == 0, "%s", store_errmsg(c));
            met_close(m1);
            met_close(m2);
        }
    rb_free(buf);
    rb_free(back);
    store_close(a);
    store_close(b);
    store_close(c);
    same(pa, pb);
    same(pa, pc);
    scen_free(s);
}
END_TEST

/* A small buffer with every kind of row, NULL strings and odd values. */
static rb_t *small_buffer(void)
{
    rb_t *b = NULL;
    ck_assert_int_eq(rb_new(&b), 0);
    store_run r = {.run_id = 7, .batch_id = 3, .scenario = "s\"c", .arm = "arm 中文", .point = 2, .rep = 5,
                   .seed = -1, .settings = NULL, .source = "sim", .start_ts = 1700000000, .utc_offset = 28800,
                   .days = 3};
    ck_assert_int_eq(rb_set_run(b, &r), 0);
    ck_assert_int_eq(rb_group(b, 1, "g"), 0);
    ck_assert_int_eq(rb_group(b, 2, NULL), 0);
    ev_member m = {.group_id = 1, .role = ROLE_ADMIN, .source = SRC_INVITE, .member_id = 42, .inviter_id = 7,
                   .joined_ts = 1700000000, .left_ts = -1};
    ck_assert_int_eq(rb_member(b, &m), 0);
    ck_assert_int_eq(rb_member_left(b, 1, 42, 1700086400), 0);
    ev_rec e = {.id = 1, .ts = 1700000100, .group_id = 1, .kind = EV_REPLY, .member_id = 42, .ref_id = -1,
                .value = NAN};
    ck_assert_int_eq(rb_event(b, &e), 0);
    ck_assert_int_eq(rb_daily(b, 0, "2023-11-15", "dau", 3), 0);
    ck_assert_int_eq(rb_summary(b, 0, "retention_1d", NAN), 0);
    double v[2] = {0.25, 4};
    ck_assert_int_eq(rb_set_values(b, v, 2), 0);
    rb_set_tag(b, 11);
    return b;
}

START_TEST(test_roundtrip_and_refusals)
{
    rb_t *b = small_buffer(), *c = NULL;
    ck_assert_int_eq(rb_new(&c), 0);
    ck_assert_uint_eq(rb_rows(b), 7);
    unsigned char *bytes = NULL, *again = NULL;
    size_t n = 0, n2 = 0;
    ck_assert_int_eq(rb_pack(b, &bytes, &n), 0);
    ck_assert_int_eq(rb_unpack(c, bytes, n), 0);
    ck_assert_int_eq(rb_pack(c, &again, &n2), 0);
    ck_assert_uint_eq(n, n2);
    ck_assert(memcmp(bytes, again, n) == 0); /* pack(unpack(x)) == x */
    const store_run *h = rb_run(c);
    ck_assert_str_eq(h->scenario, "s\"c");
    ck_assert_str_eq(h->arm, "arm 中文");
    ck_assert_ptr_null(h->settings);
    ck_assert_int_eq(h->point, 2);
    ck_assert_int_eq(h->rep, 5);
    ck_assert_int_eq(rb_tag(c), 11);
    /* every proper prefix, and every single flipped byte of the header, is
     * refused (or, for a flipped value byte, still parses completely) */
    for (size_t k = 0; k < n; k++) ck_assert_msg(rb_unpack(c, bytes, k) == -1, "prefix %zu accepted", k);
    ck_assert_uint_eq(rb_rows(c), 0); /* a refused unpack leaves it empty */
    unsigned char *longer = malloc(n + 1);
    memcpy(longer, bytes, n);
    longer[n] = 0;
    ck_assert_int_eq(rb_unpack(c, longer, n + 1), -1); /* trailing bytes */
    free(longer);
    bytes[0] ^= 1;
    ck_assert_int_eq(rb_unpack(c, bytes, n), -1); /* magic */
    bytes[0] ^= 1;
    for (size_t k = 8; k < n; k++) {
        bytes[k] ^= 0x80;
        int rc = rb_unpack(c, bytes, n);
        ck_assert(rc == 0 || rc == -1);
        bytes[k] ^= 0x80;
    }
    free(bytes);
    free(again);
    /* reset keeps nothing */
    rb_reset(b);
    ck_assert_uint_eq(rb_rows(b), 0);
    int nv;
    rb_values(b, &nv);
    ck_assert_int_eq(nv, 0);
    rb_free(b);
    rb_free(c);
    rb_free(NULL);
}
END_TEST

START_TEST(test_commit_failure_leaves_nothing)
{
    char p[1024];
    tmp_db(p, sizeof p, "fail");
    store_t *st = open_db(p);
    rb_t *b = small_buffer();
    ck_assert_int_eq(rb_commit(b, st, 5, -1), 0);
    /* the same run id again: refused, and the first run is untouched */
    ck_assert_int_eq(rb_commit(b, st, 5, -1), -1);
    ck_assert_ptr_nonnull(strstr(store_errmsg(st), "already exists"));
    /* a left update for a member never stored fails the whole run */
    rb_reset(b);
    store_run r = {.scenario = "x", .arm = "a", .source = "sim", .utc_offset = 0, .days = 1};
    ck_assert_int_eq(rb_set_run(b, &r), 0);
    ck_assert_int_eq(rb_member_left(b, 1, 999, 5), 0);
    ck_assert_int_eq(rb_commit(b, st, 6, -1), -1);
    ck_assert_int_eq(store_run_exists(st, -1, "a", 0, 0), 0);
    rb_free(b);
    store_close(st);
    char *d = dump(p);
    ck_assert_ptr_nonnull(strstr(d, "== runs\n5|5|NULL|"));
    ck_assert_ptr_null(strstr(d, "\n6|6|"));
    free(d);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("runbuf");
    TCase *tc = tcase_create("runbuf");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_buffered_equals_streamed);
    tcase_add_test(tc, test_roundtrip_and_refusals);
    tcase_add_test(tc, test_commit_failure_leaves_nothing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
