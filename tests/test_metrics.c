/* test_metrics.c -- the metric catalogue on hand-made logs with known answers.
 *
 * Every expected value is worked out by hand in the comment next to it, from
 * the definitions in analysis/METRICS.md.  A second part (bottom) checks the
 * SQL views of analysis/metrics.sql against metrics.c on the same logs.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cal.h"
#include "event.h"
#include "metrics.h"

#define H 3600
#define D 86400

/* 2024-03-01 00:00 at +08:00 = 2024-02-29 16:00 UTC */
static int64_t t0(void)
{
    cal c;
    ck_assert_int_eq(cal_init(&c, "2024-03-01", "+08:00"), 0);
    return c.start_ts;
}

static met_t *open_met(int64_t start, int32_t off, int ndays, int bots)
{
    met_opts o = {.start_ts = start, .utc_offset = off, .ndays = ndays, .count_bots = bots};
    met_t *m = NULL;
    ck_assert_int_eq(met_open(&m, &o), 0);
    ck_assert_ptr_nonnull(m);
    return m;
}

static void mem(met_t *m, int32_t g, int64_t id, ev_role role, int64_t joined, int64_t left)
{
    /* organic: a join (a founder, SRC_SEED, would not count as one) */
    ev_member x = {.group_id = g, .role = role, .source = SRC_ORGANIC, .member_id = id,
                   .inviter_id = -1, .joined_ts = joined, .left_ts = left};
    ck_assert_int_eq(met_member(m, &x), 0);
}

static void ev(met_t *m, int32_t g, int64_t ts, int64_t id, ev_kind k)
{
    ev_rec e = {.id = -1, .ts = ts, .group_id = g, .kind = k, .member_id = id, .ref_id = -1, .value = 0};
    ck_assert_msg(met_event(m, &e) == 0, "met_event: %s", met_errmsg(m));
}

static double daily(const met_t *m, int32_t g, int64_t day, const char *name)
{
    double v;
    ck_assert_msg(met_get_daily(m, g, day, name, &v) == 0, "no daily %s", name);
    return v;
}

static double summ(const met_t *m, int32_t g, const char *name)
{
    double v;
    ck_assert_msg(met_get(m, g, name, &v) == 0, "no summary %s", name);
    return v;
}

#define EQ(a, b) ck_assert_double_eq_tol((a), (b), 1e-12)

/* An event at 23:59:59 local belongs to that day, one at 00:00:00 to the
 * next; the boundary follows the UTC offset. */
START_TEST(day_boundary_local_time)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 3, 0);
    mem(m, 1, 10, ROLE_MEMBER, s, -1);
    mem(m, 1, 11, ROLE_MEMBER, s, -1);
    ev(m, 1, s - 1, 10, EV_MESSAGE);           /* 23:59:59 the day before: outside */
    ev(m, 1, s + D - 1, 10, EV_MESSAGE);       /* day 0, 23:59:59 */
    ev(m, 1, s + D, 11, EV_MESSAGE);           /* day 1, 00:00:00 */
    ev(m, 1, s + 3 * D, 11, EV_MESSAGE);       /* day 3: past the window */
    ck_assert_int_eq(met_finish(m), 0);
    EQ(daily(m, 1, 0, "dau"), 1);
    EQ(daily(m, 1, 1, "dau"), 1);
    EQ(daily(m, 1, 2, "dau"), 0);
    EQ(daily(m, 1, 0, "messages"), 1);
    EQ(summ(m, 1, "messages_per_day"), 2.0 / 3); /* 2 messages in 3 days */
    met_close(m);

    /* The same instants in a UTC calendar starting 2024-03-01 00:00Z:
     * s+D-1 = 15:59:59Z and s+D = 16:00:00Z are both on day 0. */
    int64_t su = s + 8 * H;
    m = open_met(su, 0, 3, 0);
    mem(m, 1, 10, ROLE_MEMBER, s, -1);
    mem(m, 1, 11, ROLE_MEMBER, s, -1);
    ev(m, 1, s + D - 1, 10, EV_MESSAGE);
    ev(m, 1, s + D, 11, EV_MESSAGE);
    ck_assert_int_eq(met_finish(m), 0);
    EQ(daily(m, 1, 0, "dau"), 2);
    EQ(daily(m, 1, 1, "dau"), 0);
    met_close(m);

    /* start_ts not at a midnight: day 0 is the local date containing it */
    m = open_met(s + 5 * H, 8 * H, 2, 0);
    ev(m, 1, s + 1, 10, EV_MESSAGE);           /* 00:00:01 of the start date: day 0 */
    ck_assert_int_eq(met_finish(m), 0);
    EQ(daily(m, 1, 0, "dau"), 1);
    met_close(m);
}
END_TEST

/* Bots, system notices and anonymous events are not speakers. */
START_TEST(bots_and_system_excluded)
{
    int64_t s = t0();
    for (int bots = 0; bots <= 1; bots++) {
        met_t *m = open_met(s, 8 * H, 2, bots);
        mem(m, 1, 1, ROLE_MEMBER, s, -1);
        mem(m, 1, 2, ROLE_BOT, s, -1);
        mem(m, 1, 3, ROLE_OWNER, s, -1);
        ev(m, 1, s + 1 * H, 2, EV_MESSAGE);    /* bot */
        ev(m, 1, s + 2 * H, 2, EV_ANNOUNCE);   /* bot */
        ev(m, 1, s + 3 * H, 1, EV_MESSAGE);
        ev(m, 1, s + 4 * H, 3, EV_POST);       /* the owner is a person: counts */
        ev(m, 1, s + 5 * H, -1, EV_MESSAGE);   /* no sender: never counts */
        ev(m, 1, s + 6 * H, 1, EV_SYSTEM);     /* system notice: never counts */
        ev(m, 1, s + 7 * H, 1, EV_REACTION);   /* interaction, not a message */
        ev(m, 1, s + 8 * H, 2, EV_VOTE);       /* bot interaction */
        ck_assert_int_eq(met_finish(m), 0);
        /* without bots: speakers {1,3}, messages 2, interactions 2+1 = 3,
         * members {1,3} = 2.  With bots: {1,2,3}, 4 messages, 4+2 = 6, 3. */
        EQ(daily(m, 1, 0, "dau"), bots ? 3 : 2);
        EQ(daily(m, 1, 0, "messages"), bots ? 4 : 2);
        EQ(daily(m, 1, 0, "interactions"), bots ? 6 : 3);
        EQ(daily(m, 1, 0, "members"), bots ? 3 : 2);
        EQ(daily(m, 0, 0, "dau"), bots ? 3 : 2);
        met_close(m);
    }
}
END_TEST

/* members at the end of day d: joined_ts < end of d and (not left or
 * left_ts >= end of d); joins and leaves on the day of their timestamp. */
START_TEST(members_until_they_leave)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 4, 0);
    mem(m, 1, 1, ROLE_MEMBER, s - 10 * D, -1);           /* before the window */
    mem(m, 1, 2, ROLE_MEMBER, s, -1);
    mem(m, 1, 2, ROLE_MEMBER, s + 3 * D, s + 2 * D + 12 * H); /* update: leaves day 2 noon
                                                             * (its joined_ts is ignored) */
    mem(m, 1, 3, ROLE_MEMBER, s + D + H, s + D + 2 * H); /* joins+leaves day 1 */
    mem(m, 1, 4, ROLE_MEMBER, s + 2 * D - 1, -1);        /* joins day 1 23:59:59 */
    mem(m, 1, 5, ROLE_MEMBER, s + 3 * D, -1);            /* joins day 3 00:00:00 */
    mem(m, 1, 6, ROLE_MEMBER, s + D, s + 2 * D);         /* leaves at 00:00 day 2 */
    ck_assert_int_eq(met_finish(m), 0);
    /* end of day 0: {1,2} = 2; day 1: {1,2,4,6} = 4 (3 left, 6 leaves at
     * exactly the end of day 1 so is still present); day 2: {1,4}; day 3: {1,4,5} */
    EQ(daily(m, 1, 0, "members"), 2);
    EQ(daily(m, 1, 1, "members"), 4);
    EQ(daily(m, 1, 2, "members"), 2);
    EQ(daily(m, 1, 3, "members"), 3);
    /* joins: day 0 {2}, day 1 {3,4,6}, day 3 {5}; leaves: day 1 {3}, day 2 {2,6} */
    EQ(daily(m, 1, 0, "joins"), 1);
    EQ(daily(m, 1, 1, "joins"), 3);
    EQ(daily(m, 1, 2, "joins"), 0);
    EQ(daily(m, 1, 3, "joins"), 1);
    EQ(daily(m, 1, 1, "leaves"), 1);
    EQ(daily(m, 1, 2, "leaves"), 2);
    EQ(summ(m, 1, "members_end"), 3);
    EQ(summ(m, 1, "joins"), 5);
    EQ(summ(m, 1, "leaves"), 3);
    met_close(m);
}
END_TEST

/* Daily cohort retention and the tail rule. */
START_TEST(retention_and_tail)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 10, 0);
    enum { A = 1, B, C, E };
    for (int i = A; i <= C; i++) mem(m, 1, i, ROLE_MEMBER, s - D, -1); /* joined before */
    mem(m, 1, E, ROLE_MEMBER, s + 3 * D + H, -1);  /* a newcomer on day 3 */
    /* speakers: d0 {A,B}, d1 {A}, d2 {A,C}, d4 {E}, d8 {B}, d9 {C} */
    ev(m, 1, s + 0 * D + H, A, EV_MESSAGE);
    ev(m, 1, s + 0 * D + 2 * H, B, EV_QUESTION);
    ev(m, 1, s + 0 * D + 3 * H, A, EV_REPLY);    /* A twice on d0: one speaker */
    ev(m, 1, s + 1 * D + H, A, EV_MESSAGE);
    ev(m, 1, s + 2 * D + H, A, EV_CHECKIN);
    ev(m, 1, s + 2 * D + 2 * H, C, EV_MESSAGE);
    ev(m, 1, s + 3 * D + 5 * H, B, EV_VOTE);     /* not a message: B not a speaker d3 */
    ev(m, 1, s + 4 * D + H, E, EV_MESSAGE);
    ev(m, 1, s + 8 * D + H, B, EV_MESSAGE);
    ev(m, 1, s + 9 * D + H, C, EV_MESSAGE);
    ck_assert_int_eq(met_finish(m), 0);
    /* next-day: d0 {A,B} -> {A}: 1/2; d1 {A} -> 1/1; d2 {A,C} -> {}: 0/2;
     * d4 {E} -> 0/1; d8 {B} -> {C}: 0/1; d9: tail (NaN); d3, d5..d7: no speakers (NaN) */
    EQ(daily(m, 1, 0, "retention_1d"), 0.5);
    EQ(daily(m, 1, 1, "retention_1d"), 1.0);
    EQ(daily(m, 1, 2, "retention_1d"), 0.0);
    EQ(daily(m, 1, 8, "retention_1d"), 0.0);
    ck_assert(isnan(daily(m, 1, 3, "retention_1d")));
    ck_assert(isnan(daily(m, 1, 9, "retention_1d")));
    /* summary: days 0..8, (1+1+0+0+0)/(2+1+2+1+1) = 2/7 */
    EQ(summ(m, 1, "retention_1d"), 2.0 / 7);
    /* 7-day: only d0..d2 have d+7 <= 9.  d0: A back d1 yes, B back d8 (gap 8) no: 1/2;
     * d1: A back d2: 1/1; d2: A never, C back d9 (gap 7) yes: 1/2.
     * d4 (E back? never) is past the tail for 7d.  Summary (1+1+1)/(2+1+2) = 3/5 */
    EQ(daily(m, 1, 0, "retention_7d"), 0.5);
    EQ(daily(m, 1, 2, "retention_7d"), 0.5);
    ck_assert(isnan(daily(m, 1, 3, "retention_7d")));
    ck_assert(isnan(daily(m, 1, 4, "retention_7d")));
    EQ(summ(m, 1, "retention_7d"), 3.0 / 5);
    /* 30-day: no day has its follow-up inside a 10-day window */
    ck_assert(isnan(summ(m, 1, "retention_30d")));
    /* newcomer E joined d3, first message d4: within 1 day -> new_retention_1d(d3) = 1 */
    EQ(daily(m, 1, 3, "new_retention_1d"), 1.0);
    EQ(summ(m, 1, "new_retention_1d"), 1.0);
    /* 7 days: d3 + 7 = 10 is past the window, and no one else joined: NaN */
    ck_assert(isnan(summ(m, 1, "new_retention_7d")));
    /* dau: 2,1,2,0,1,0,0,0,1,1 -> mean 8/10 */
    EQ(summ(m, 1, "dau_mean"), 0.8);
    /* messages: 3+1+2+0+1+0+0+0+1+1 = 9; interactions 9 + vote = 10 */
    EQ(summ(m, 1, "messages_per_day"), 0.9);
    EQ(summ(m, 1, "interactions_per_day"), 1.0);
    met_close(m);
}
END_TEST

/* An empty log: counts are zero, ratios NaN, nothing crashes. */
static int count_cb(void *ctx, int32_t g, int64_t day, const char *metric, double v)
{
    (void)g; (void)day; (void)metric; (void)v;
    (*(int *)ctx)++;
    return 0;
}

START_TEST(empty_log)
{
    met_t *m = open_met(t0(), 8 * H, 7, 0);
    ck_assert_int_eq(met_finish(m), 0);
    EQ(summ(m, 0, "dau_mean"), 0);
    EQ(summ(m, 0, "members_end"), 0);
    ck_assert(isnan(summ(m, 0, "retention_1d")));
    ck_assert(isnan(summ(m, 0, "retention_7d")));
    ck_assert(isnan(daily(m, 0, 0, "retention_1d")));
    double v;
    ck_assert_int_eq(met_get(m, 1, "dau_mean", &v), -1);     /* no such group */
    ck_assert_int_eq(met_get(m, 0, "no_such_metric", &v), -1);
    ck_assert_int_eq(met_get_daily(m, 0, 7, "dau", &v), -1); /* out of range */
    int n = 0;
    ck_assert_int_eq(met_emit(m, count_cb, &n), 0);
    int nd = 0, ns = 0;
    while (met_daily_name(nd)) nd++;
    while (met_summary_name(ns)) ns++;
    ck_assert_int_eq(n, ns + 7 * nd);                        /* group 0 only */
    met_close(m);
    met_close(NULL);
}
END_TEST

/* A person in two groups is counted once in the community total. */
START_TEST(community_counts_person_once)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 3, 0);
    mem(m, 1, 7, ROLE_MEMBER, s, -1);
    mem(m, 2, 7, ROLE_MEMBER, s, -1);
    mem(m, 1, 8, ROLE_MEMBER, s, -1);
    mem(m, 2, 9, ROLE_MEMBER, s + D + H, -1);
    mem(m, 1, 9, ROLE_MEMBER, s + D + 2 * H, -1);
    ev(m, 1, s + H, 7, EV_MESSAGE);
    ev(m, 2, s + 2 * H, 7, EV_MESSAGE);
    ev(m, 1, s + 3 * H, 8, EV_MESSAGE);
    ev(m, 2, s + D + 3 * H, 7, EV_MESSAGE);
    ck_assert_int_eq(met_finish(m), 0);
    /* day 0: group 1 {7,8}, group 2 {7}; community {7,8} = 2 speakers, 3 messages */
    EQ(daily(m, 1, 0, "dau"), 2);
    EQ(daily(m, 2, 0, "dau"), 1);
    EQ(daily(m, 0, 0, "dau"), 2);
    EQ(daily(m, 0, 0, "messages"), 3);
    /* members end of day 1: group 1 {7,8,9}, group 2 {7,9}, community {7,8,9} */
    EQ(daily(m, 1, 1, "members"), 3);
    EQ(daily(m, 2, 1, "members"), 2);
    EQ(daily(m, 0, 1, "members"), 3);
    /* 9 joins both groups on day 1: once in the community */
    EQ(daily(m, 0, 1, "joins"), 1);
    /* next-day retention day 0: community {7,8} -> {7}: 1/2; group 2 {7} -> {7}: 1 */
    EQ(daily(m, 0, 0, "retention_1d"), 0.5);
    EQ(daily(m, 2, 0, "retention_1d"), 1.0);
    EQ(daily(m, 1, 0, "retention_1d"), 0.0);
    met_close(m);
}
END_TEST

/* Errors: out of order events, bad options, group 0. */
START_TEST(errors)
{
    met_t *m = NULL;
    met_opts bad = {.start_ts = 0, .utc_offset = 0, .ndays = 0};
    ck_assert_int_eq(met_open(&m, &bad), -1);
    ck_assert_ptr_null(m);
    int64_t s = t0();
    m = open_met(s, 8 * H, 2, 0);
    ev(m, 1, s + 100, 1, EV_MESSAGE);
    ev_rec e = {.id = -1, .ts = s + 99, .group_id = 1, .kind = EV_MESSAGE, .member_id = 1, .ref_id = -1};
    ck_assert_int_eq(met_event(m, &e), -1);
    ck_assert_str_ne(met_errmsg(m), "");
    e.ts = s + 200;
    e.group_id = 0;
    ck_assert_int_eq(met_event(m, &e), -1);
    e.group_id = 1;
    e.kind = EV_KIND_COUNT;
    ck_assert_int_eq(met_event(m, &e), -1);
    met_close(m);
}
END_TEST

static void memx(met_t *m, int32_t g, int64_t id, ev_source src, int64_t inviter, int64_t joined)
{
    ev_member x = {.group_id = g, .role = ROLE_MEMBER, .source = src, .member_id = id,
                   .inviter_id = inviter, .joined_ts = joined, .left_ts = -1};
    ck_assert_int_eq(met_member(m, &x), 0);
}

static void evv(met_t *m, int32_t g, int64_t ts, int64_t id, ev_kind k, double value)
{
    ev_rec e = {.id = -1, .ts = ts, .group_id = g, .kind = k, .member_id = id, .ref_id = -1, .value = value};
    ck_assert_msg(met_event(m, &e) == 0, "met_event: %s", met_errmsg(m));
}

/* Heavy speakers: > 50 messages in a 30-day window the member was present for. */
START_TEST(heavy_speakers)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 35, 0);
    enum { A = 1, B, C, E };
    mem(m, 1, A, ROLE_MEMBER, s - D, -1);
    mem(m, 1, B, ROLE_MEMBER, s - D, -1);
    mem(m, 1, C, ROLE_MEMBER, s + 2 * D + H, -1);   /* whole windows start day 3 */
    mem(m, 1, E, ROLE_MEMBER, s - D, s + 31 * D + H); /* leaves day 31 */
    for (int i = 0; i < 51; i++) ev(m, 1, s + i, A, EV_MESSAGE);          /* day 0 */
    for (int i = 0; i < 50; i++) ev(m, 1, s + 5 * D + i, B, EV_MESSAGE);  /* day 5 */
    for (int i = 0; i < 300; i++) ev(m, 1, s + 10 * D + i, C, EV_MESSAGE); /* day 10 */
    for (int i = 0; i < 60; i++) ev(m, 1, s + 30 * D + i, E, EV_MESSAGE); /* day 30 */
    ck_assert_int_eq(met_finish(m), 0);
    /* window ending d29 (days 0..29): eligible {A,B,E}, heavy {A (51)}: 1/3.
     * d30 (1..30): {A,B,E}, heavy {E (60)}: 1/3.  d31: E left before its end,
     * C not yet whole: {A,B}, 0/2.  d32..d34: {A,B,C}, heavy {C (300, counted
     * as 255 a day: still > 50)}: 1/3.  B's 50 is never "more than 50". */
    ck_assert(isnan(daily(m, 1, 28, "heavy_30d")));
    EQ(daily(m, 1, 29, "heavy_30d"), 1.0 / 3);
    EQ(daily(m, 1, 30, "heavy_30d"), 1.0 / 3);
    EQ(daily(m, 1, 31, "heavy_30d"), 0.0);
    EQ(daily(m, 1, 32, "heavy_30d"), 1.0 / 3);
    EQ(summ(m, 1, "heavy_speakers"), 1.0 / 3);                /* last window, d34 */
    EQ(summ(m, 1, "heavy_speakers_mean"), (5.0 / 3) / 6);     /* mean of d29..d34 */
    EQ(daily(m, 0, 30, "heavy_30d"), 1.0 / 3);
    EQ(summ(m, 0, "heavy_speakers_mean"), (5.0 / 3) / 6);
    met_close(m);
}
END_TEST

/* Response: first message by someone else at a later second, within 24 h,
 * for questions whose 24 h follow-up lies in the window. */
START_TEST(response_times)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 3, 0);
    for (int i = 1; i <= 3; i++) mem(m, 1, i, ROLE_MEMBER, s - D, -1);
    mem(m, 1, 9, ROLE_BOT, s - D, -1);
    ev(m, 1, s + H, 1, EV_QUESTION);                 /* q1 */
    ev(m, 1, s + H + 10, 1, EV_MESSAGE);             /* the asker: no */
    ev(m, 1, s + H + 20, 9, EV_ANSWER);              /* a bot: no */
    ev(m, 1, s + H + 100, 2, EV_MESSAGE);            /* q1 answered: 100 s */
    ev(m, 1, s + 2 * H, 2, EV_QUESTION);             /* q2 */
    ev(m, 1, s + 2 * H, 3, EV_MESSAGE);              /* same second: no */
    ev(m, 1, s + 2 * H + 300, 3, EV_ANSWER);         /* q2: 300 s */
    ev(m, 1, s + 3 * H, 3, EV_QUESTION);             /* q3 */
    ev(m, 1, s + D + 3 * H + 1, 1, EV_MESSAGE);      /* 24 h + 1 s later: q3 unanswered */
    ev(m, 1, s + D + 5 * H, 2, EV_QUESTION);         /* q5 */
    ev(m, 1, s + D + 5 * H + 50, 2, EV_QUESTION);    /* q6 (same asker: no answer to q5) */
    ev(m, 1, s + D + 5 * H + 1000, 1, EV_REPLY);     /* q5: 1000 s, q6: 950 s */
    ev(m, 1, s + 2 * D + H, 1, EV_QUESTION);         /* q4: follow-up past the end */
    ev(m, 1, s + 2 * D + 2 * H, 2, EV_ANSWER);
    ck_assert_int_eq(met_finish(m), 0);
    /* eligible q1,q2,q3,q5,q6; answered 100, 300, 950, 1000 (sorted).
     * Nearest rank: median = x[ceil(0.5*4)] = x2 = 300; p90 = x[ceil(3.6)] = x4 = 1000;
     * unanswered 1/5.  Questions asked: 3 + 2 + 1 = 6. */
    EQ(summ(m, 1, "questions"), 6);
    EQ(daily(m, 1, 1, "questions"), 2);
    EQ(summ(m, 1, "response_median"), 300);
    EQ(summ(m, 1, "response_p90"), 1000);
    EQ(summ(m, 1, "unanswered_24h"), 0.2);
    EQ(summ(m, 0, "response_median"), 300);
    EQ(summ(m, 0, "unanswered_24h"), 0.2);
    met_close(m);
}
END_TEST

/* Linked answers: the first answer/reply by someone else with ref_id = the
 * question's id, within 24 h. */
static void evr(met_t *m, int64_t id, int64_t ts, int64_t who, ev_kind k, int64_t ref)
{
    ev_rec e = {.id = id, .ts = ts, .group_id = 1, .kind = k, .member_id = who, .ref_id = ref};
    ck_assert_msg(met_event(m, &e) == 0, "met_event: %s", met_errmsg(m));
}

START_TEST(linked_answers)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 3, 0);
    for (int i = 1; i <= 3; i++) mem(m, 1, i, ROLE_MEMBER, s - D, -1);
    mem(m, 1, 9, ROLE_BOT, s - D, -1);
    evr(m, 100, s + H, 1, EV_QUESTION, -1);          /* q100 */
    evr(m, 101, s + H + 5, 2, EV_MESSAGE, -1);       /* chatter: answers q100 under the first-message rule only */
    evr(m, 102, s + H + 10, 1, EV_REPLY, 100);       /* the asker himself: no */
    evr(m, 103, s + H + 20, 9, EV_ANSWER, 100);      /* a bot: no */
    evr(m, 104, s + H + 30, 3, EV_ANSWER, 999);      /* another message: no */
    evr(m, 105, s + H + 600, 3, EV_ANSWER, 100);     /* q100 answered: 600 s */
    evr(m, 106, s + H + 700, 2, EV_REPLY, 100);      /* a second answer: not the first */
    evr(m, 200, s + 2 * H, 2, EV_QUESTION, -1);      /* q200 */
    evr(m, 201, s + 2 * H, 3, EV_REPLY, 200);        /* same second, after it: 0 s */
    evr(m, 300, s + 3 * H, 3, EV_QUESTION, -1);      /* q300: answered too late */
    evr(m, -1, s + 4 * H, 1, EV_QUESTION, -1);       /* no id: not in the linked metrics */
    evr(m, 301, s + D + 3 * H + 1, 1, EV_ANSWER, 300);
    evr(m, 400, s + D + 5 * H, 1, EV_QUESTION, -1);  /* q400: 3600 s */
    evr(m, 401, s + D + 6 * H, 2, EV_ANSWER, 400);
    ck_assert_int_eq(met_finish(m), 0);
    /* eligible with ids: q100, q200, q300, q400; answered 600, 0, 3600 (q300 after 24 h + 1 s).
     * Sorted 0, 600, 3600: median x[ceil(1.5)] = x2 = 600, p90 x[ceil(2.7)] = x3 = 3600;
     * unanswered 1/4. */
    EQ(summ(m, 1, "answer_median"), 600);
    EQ(summ(m, 1, "answer_p90"), 3600);
    EQ(summ(m, 1, "unanswered_answer_24h"), 0.25);
    EQ(summ(m, 0, "answer_median"), 600);
    /* first-message rule on the same log: q100 5 s (chatter); q200: 201 is at the same
     * second, the next message by someone else is q300 itself (a question is a message):
     * 3600 s; q300: the id-less question by 1 at 4 h: 3600 s; that one: 301 and 400 are
     * by 1 himself, 401 is 24 h + 2 h later: unanswered; q400: 3600 s.
     * Answered 5, 3600, 3600, 3600 of 5: median x2 = 3600, 1/5 unanswered. */
    EQ(summ(m, 1, "response_median"), 3600);
    EQ(summ(m, 1, "unanswered_24h"), 0.2);
    met_close(m);
}
END_TEST

/* Conversion, virality, campaigns, membership. */
START_TEST(conversion_virality_campaigns)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 40, 0);
    for (int i = 1; i <= 5; i++) memx(m, 1, i, SRC_SEED, -1, s - D);
    mem(m, 1, 6, ROLE_OWNER, s - D, -1);
    memx(m, 1, 7, SRC_INVITE, 1, s + 1 * D);   /* inviter 1 joined before the window */
    memx(m, 1, 10, SRC_INVITE, 7, s + 3 * D);
    memx(m, 1, 8, SRC_QR, 7, s + 5 * D);
    memx(m, 1, 9, SRC_ORGANIC, -1, s + 20 * D);
    memx(m, 1, 11, SRC_INVITE, 8, s + 36 * D); /* 31 days after its inviter */
    int64_t t = s + 2 * D;
    for (int i = 1; i <= 4; i++) evv(m, 1, t++, i, EV_EXPOSURE, 0);
    for (int i = 1; i <= 3; i++) evv(m, 1, t++, i, EV_PARTICIPATE, 0);
    evv(m, 1, t++, 6, EV_POST, 0);
    evv(m, 1, t++, 2, EV_SUBMISSION, 0);
    evv(m, 1, t++, 1, EV_SHARE, 1);
    evv(m, 1, t++, 1, EV_SHARE, 1);
    evv(m, 1, t++, 4, EV_SHARE, 1);
    evv(m, 1, t++, 1, EV_PURCHASE, 100);
    evv(m, 1, t++, 1, EV_PURCHASE, 50);
    evv(m, 1, t++, 3, EV_INVITE, 0);
    evv(m, 1, t++, 4, EV_MUTE, 0);
    t = s + 3 * D;
    evv(m, 1, t++, 5, EV_PARTICIPATE, 0);    /* participating implies exposed */
    for (int i = 1; i <= 4; i++)
        if (i != 3) evv(m, 1, t++, i, EV_COMPLETE, 0);
    evv(m, 1, t++, 3, EV_PURCHASE, 30);
    evv(m, 1, t++, 6, EV_POST, 0);
    evv(m, 1, t++, 6, EV_ANNOUNCE, 0);
    evv(m, 1, t++, 3, EV_INVITE, 0);
    evv(m, 1, t++, 5, EV_MUTE, 0);
    t = s + 10 * D;
    evv(m, 1, t++, 3, EV_SUBMISSION, 0);
    evv(m, 1, t++, 2, EV_INVITE, 0);
    ck_assert_int_eq(met_finish(m), 0);
    /* exposed {1,2,3,4,5}, participants {1,2,3,5}; completers among them {1,2};
     * sharers among them {1}; purchasers {1,3}, 3 orders worth 180 */
    EQ(summ(m, 1, "exposed"), 5);
    EQ(summ(m, 1, "participants"), 4);
    EQ(summ(m, 1, "participation"), 0.8);
    EQ(summ(m, 1, "completion"), 0.5);
    EQ(summ(m, 1, "share_rate"), 0.25);
    EQ(summ(m, 1, "purchasers"), 2);
    EQ(summ(m, 1, "purchases"), 3);
    EQ(summ(m, 1, "order_value"), 60);
    /* members_ever: all 11 memberships are present at the end of some day */
    EQ(summ(m, 1, "members_ever"), 11);
    EQ(summ(m, 1, "purchase_rate"), 2.0 / 11);
    /* 3 shares over 5 items (3 posts/announcements + 2 submissions) */
    EQ(summ(m, 1, "shares"), 3);
    EQ(summ(m, 1, "shares_per_item"), 0.6);
    EQ(summ(m, 1, "invites"), 3);
    EQ(summ(m, 1, "mutes"), 2);
    EQ(daily(m, 1, 2, "mutes"), 1);
    /* joiners in the window {7,10,8,9,11}, by referral {7,10,8,11}: 4/5 */
    EQ(summ(m, 1, "referral_share"), 0.8);
    /* r_eff: cases = joiners on days <= 40-1-30 = 9: {7 (d1), 10 (d3), 8 (d5)};
     * their invitees joining within 30 days: 10 (by 7, d3), 8 (by 7, d5);
     * 11 (by 8 on d36 > 5+30) is too late; 7's inviter joined before the window. 2/3 */
    EQ(summ(m, 1, "r_eff"), 2.0 / 3);
    EQ(summ(m, 0, "r_eff"), 2.0 / 3);
    EQ(summ(m, 1, "ugc"), 2);
    EQ(summ(m, 1, "ugc_per_day"), 2.0 / 40);
    /* speakers in the window {2 (submission), 3 (submission), 6 (posts)}; members at the end 11 */
    EQ(summ(m, 1, "active_share"), 3.0 / 11);
    ck_assert(isnan(summ(m, 1, "annual_activity")));           /* window < 365 days */
    /* ugc: days 0..4 one (d2) -> 0.2/day; days 5..14 one (d10) -> 0.1/day: -50% */
    double g;
    ck_assert_int_eq(met_growth(m, 1, "ugc", 0, 4, 5, 14, &g), 0);
    EQ(g, -0.5);
    ck_assert_int_eq(met_growth(m, 1, "ugc", 0, 4, 5, 40, &g), -1);  /* past the end */
    ck_assert_int_eq(met_growth(m, 1, "nope", 0, 4, 5, 14, &g), -1);
    ck_assert_int_eq(met_growth(m, 1, "ugc", 20, 30, 5, 14, &g), 0);
    ck_assert(isnan(g));                                        /* baseline 0 */
    met_close(m);
}
END_TEST

/* annual_activity: a year-long window looks at its last 365 days. */
START_TEST(annual_activity)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 366, 0);
    for (int i = 1; i <= 3; i++) mem(m, 1, i, ROLE_MEMBER, s - D, -1);
    mem(m, 1, 4, ROLE_MEMBER, s - D, s + 100 * D);  /* left: not a member at the end */
    ev(m, 1, s + H, 3, EV_MESSAGE);                /* day 0: outside the last 365 days */
    ev(m, 1, s + 50 * D, 4, EV_MESSAGE);
    ev(m, 1, s + 365 * D + H, 1, EV_MESSAGE);      /* day 365 */
    ck_assert_int_eq(met_finish(m), 0);
    /* members at the end {1,2,3}; spoke in the window {1,3}; in days 1..365 {1} */
    EQ(summ(m, 1, "active_share"), 2.0 / 3);
    EQ(summ(m, 1, "annual_activity"), 1.0 / 3);
    EQ(summ(m, 1, "members_ever"), 4);
    met_close(m);
}
END_TEST

/* Distinct-member counts of the community count a person once. */
START_TEST(community_flags_once)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 5, 0);
    mem(m, 1, 1, ROLE_MEMBER, s - D, -1);
    mem(m, 2, 1, ROLE_MEMBER, s - D, -1);
    mem(m, 2, 2, ROLE_MEMBER, s - D, -1);
    evv(m, 1, s + 1, 1, EV_EXPOSURE, 0);
    evv(m, 2, s + 2, 1, EV_EXPOSURE, 0);
    evv(m, 2, s + 3, 1, EV_PARTICIPATE, 0);
    evv(m, 2, s + 4, 2, EV_EXPOSURE, 0);
    evv(m, 1, s + 5, 1, EV_PURCHASE, 10);
    evv(m, 2, s + 6, 2, EV_PURCHASE, 20);
    ck_assert_int_eq(met_finish(m), 0);
    /* group 2: exposed {1,2}, participants {1}; community: the same two people */
    EQ(summ(m, 2, "participation"), 0.5);
    EQ(summ(m, 1, "participation"), 0.0);
    EQ(summ(m, 0, "exposed"), 2);
    EQ(summ(m, 0, "participation"), 0.5);
    EQ(summ(m, 0, "purchasers"), 2);
    EQ(summ(m, 0, "members_ever"), 2);
    EQ(summ(m, 0, "purchase_rate"), 1.0);
    EQ(summ(m, 0, "order_value"), 15);
    met_close(m);
}
END_TEST

/* ---- the same logs through metrics.c and through the SQL views ---- */

extern const char qs_schema_sql[];
extern const char qs_metrics_sql[];

/* A log held in memory: memberships (final state) and events. */
typedef struct tlog {
    int64_t start;
    int32_t off;
    int nd;
    ev_member *mem;
    int nmem, capm;
    ev_rec *ev;
    int nev, cape;
} tlog;

static void tl_mem(tlog *L, int32_t g, int64_t id, ev_role role, ev_source src, int64_t inviter,
                   int64_t joined, int64_t left)
{
    if (L->nmem == L->capm) {
        L->capm = L->capm ? 2 * L->capm : 256;
        L->mem = realloc(L->mem, (size_t)L->capm * sizeof *L->mem);
        ck_assert_ptr_nonnull(L->mem);
    }
    /* a second entry for (g, id) right after the first is its next spell (a rejoin) */
    int32_t spell = 0;
    if (L->nmem > 0 && L->mem[L->nmem - 1].group_id == g && L->mem[L->nmem - 1].member_id == id)
        spell = L->mem[L->nmem - 1].spell + 1;
    L->mem[L->nmem++] = (ev_member){.group_id = g, .role = role, .source = src, .member_id = id,
                                    .inviter_id = inviter, .joined_ts = joined, .left_ts = left,
                                    .spell = spell};
}

/* An event; its id is its position in L (so the sort below is stable and
 * ids are unique); returns the id. */
static int64_t tl_evr(tlog *L, int32_t g, int64_t ts, int64_t id, ev_kind k, double value, int64_t ref)
{
    if (L->nev == L->cape) {
        L->cape = L->cape ? 2 * L->cape : 1024;
        L->ev = realloc(L->ev, (size_t)L->cape * sizeof *L->ev);
        ck_assert_ptr_nonnull(L->ev);
    }
    L->ev[L->nev] = (ev_rec){.id = L->nev, .ts = ts, .group_id = g, .kind = k, .member_id = id,
                             .ref_id = ref, .value = value};
    return L->nev++;
}

static void tl_ev(tlog *L, int32_t g, int64_t ts, int64_t id, ev_kind k, double value)
{
    tl_evr(L, g, ts, id, k, value, -1);
}

static void tl_free(tlog *L)
{
    free(L->mem);
    free(L->ev);
}

static int cmp_ev(const void *a, const void *b)
{
    const ev_rec *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

typedef struct row {
    int32_t g;
    int64_t day;
    char metric[24];
    double v;
} row;

typedef struct rows {
    row *r;
    int n, cap;
} rows;

static void rows_add(rows *R, int32_t g, int64_t day, const char *metric, double v)
{
    if (R->n == R->cap) {
        R->cap = R->cap ? 2 * R->cap : 1024;
        R->r = realloc(R->r, (size_t)R->cap * sizeof *R->r);
        ck_assert_ptr_nonnull(R->r);
    }
    row *x = &R->r[R->n++];
    x->g = g;
    x->day = day;
    snprintf(x->metric, sizeof x->metric, "%s", metric);
    x->v = v;
}

static int emit_rows(void *ctx, int32_t g, int64_t day, const char *metric, double v)
{
    rows_add(ctx, g, day, metric, v);
    return 0;
}

static int cmp_row(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    return strcmp(x->metric, y->metric);
}

static void db_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    ck_assert_msg(rc == SQLITE_OK, "sql: %s", err ? err : "?");
    sqlite3_free(err);
}

static sqlite3 *db_new(void)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    db_exec(db, qs_schema_sql);
    db_exec(db, qs_metrics_sql);
    db_exec(db, qs_metrics_sql); /* IF NOT EXISTS: installing twice is harmless */
    return db;
}

static void spell(met_t *m, int64_t id, int32_t sp, ev_source src, int64_t inviter, int64_t joined, int64_t left)
{
    ev_member x = {.group_id = 1, .role = ROLE_MEMBER, .source = src, .member_id = id,
                   .inviter_id = inviter, .joined_ts = joined, .left_ts = left, .spell = sp};
    ck_assert_int_eq(met_member(m, &x), 0);
}

/* Membership spells: a member who leaves and rejoins is present per spell
 * and joins once per rejoin; founders (SRC_SEED), even one appearing on day
 * 0, are not joins, and referral_share counts only joins in the window. */
START_TEST(spells_and_founders)
{
    int64_t s = t0();
    met_t *m = open_met(s, 8 * H, 10, 0);
    spell(m, 1, 0, SRC_SEED, -1, s - D, s + 2 * D + H);       /* founder, leaves day 2 */
    spell(m, 1, 1, SRC_ORGANIC, -1, s + 5 * D, s + 7 * D + H); /* back day 5, leaves day 7 */
    spell(m, 1, 2, SRC_ORGANIC, -1, s + 8 * D, -1);           /* back day 8 */
    spell(m, 2, 0, SRC_SEED, -1, s, -1);                      /* founder at the log's start */
    spell(m, 3, 0, SRC_INVITE, 2, s + D, -1);                 /* invited by 2 on day 1 */
    spell(m, 3, 0, SRC_INVITE, 2, s + D, -1);                 /* an update, not a spell */
    ev(m, 1, s + H, 1, EV_MESSAGE);
    ev(m, 1, s + 5 * D + H, 1, EV_MESSAGE);
    ck_assert_int_eq(met_finish(m), 0);
    static const double members[10] = {2, 3, 2, 2, 2, 3, 3, 2, 3, 3};
    for (int d = 0; d < 10; d++) EQ(daily(m, 1, d, "members"), members[d]);
    EQ(daily(m, 1, 0, "joins"), 0); /* 2 is a founder */
    EQ(daily(m, 1, 1, "joins"), 1);
    EQ(daily(m, 1, 5, "joins"), 1);
    EQ(daily(m, 1, 8, "joins"), 1);
    EQ(daily(m, 1, 2, "leaves"), 1);
    EQ(daily(m, 1, 7, "leaves"), 1);
    EQ(summ(m, 1, "joins"), 3);
    EQ(summ(m, 1, "leaves"), 2);
    EQ(summ(m, 1, "members_end"), 3);
    EQ(summ(m, 1, "members_ever"), 3);
    /* joiners {1 (rejoins, organic), 3 (invited)}: 1/2; founders left out */
    EQ(summ(m, 1, "referral_share"), 0.5);
    /* the day-5 rejoin spoke that day: a new member's cohort; day 1's did not */
    EQ(daily(m, 1, 5, "new_retention_1d"), 1.0);
    EQ(daily(m, 1, 1, "new_retention_1d"), 0.0);
    /* the community counts the same */
    EQ(summ(m, 0, "joins"), 3);
    EQ(daily(m, 0, 2, "members"), 2);
    met_close(m);

    /* spells must come in order and must not overlap */
    m = open_met(s, 8 * H, 10, 0);
    ev_member x = {.group_id = 1, .source = SRC_ORGANIC, .member_id = 5, .inviter_id = -1,
                   .joined_ts = s, .left_ts = -1, .spell = 1};
    ck_assert_int_eq(met_member(m, &x), -1); /* spell 1 before spell 0 */
    x.spell = 0;
    ck_assert_int_eq(met_member(m, &x), 0);
    x.spell = 1;
    x.joined_ts = s + D;
    ck_assert_int_eq(met_member(m, &x), -1); /* spell 0 has not left */
    x.spell = 0;
    x.left_ts = s + 2 * D;
    ck_assert_int_eq(met_member(m, &x), 0);
    x.spell = 1;
    x.left_ts = -1;
    ck_assert_int_eq(met_member(m, &x), -1); /* joins before spell 0 left */
    x.joined_ts = s + 2 * D;
    ck_assert_int_eq(met_member(m, &x), 0);  /* at the second it left: fine */
    x.spell = 3;
    ck_assert_int_eq(met_member(m, &x), -1); /* skips spell 2 */
    met_close(m);
}
END_TEST

static void db_put(sqlite3 *db, int64_t run_id, const tlog *L)
{
    sqlite3_stmt *st;
    db_exec(db, "BEGIN");
    ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO runs(run_id, start_ts, utc_offset, days)"
                                        " VALUES (?, ?, ?, ?)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, L->start);
    sqlite3_bind_int(st, 3, L->off);
    sqlite3_bind_int(st, 4, L->nd);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    /* each entry is a spell; the membership row takes its first spell's join and its last's leave */
    sqlite3_stmt *sp;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO spells(run_id, group_id, member_id, spell,"
                                        " source, inviter_id, joined_ts, left_ts)"
                                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &sp, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO members(run_id, group_id, member_id, role,"
                                        " source, inviter_id, joined_ts, left_ts)"
                                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                                        " left_ts = excluded.left_ts, spells = spells + 1", -1, &st, NULL), SQLITE_OK);
    for (int i = 0; i < L->nmem; i++) {
        const ev_member *m = &L->mem[i];
        sqlite3_bind_int64(sp, 1, run_id);
        sqlite3_bind_int(sp, 2, m->group_id);
        sqlite3_bind_int64(sp, 3, m->member_id);
        sqlite3_bind_int(sp, 4, m->spell);
        sqlite3_bind_text(sp, 5, ev_source_name((ev_source)m->source), -1, SQLITE_STATIC);
        if (m->inviter_id < 0) sqlite3_bind_null(sp, 6); else sqlite3_bind_int64(sp, 6, m->inviter_id);
        sqlite3_bind_int64(sp, 7, m->joined_ts);
        if (m->left_ts < 0) sqlite3_bind_null(sp, 8); else sqlite3_bind_int64(sp, 8, m->left_ts);
        ck_assert_int_eq(sqlite3_step(sp), SQLITE_DONE);
        sqlite3_reset(sp);
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int(st, 2, m->group_id);
        sqlite3_bind_int64(st, 3, m->member_id);
        sqlite3_bind_text(st, 4, ev_role_name((ev_role)m->role), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, ev_source_name((ev_source)m->source), -1, SQLITE_STATIC);
        if (m->inviter_id < 0) sqlite3_bind_null(st, 6); else sqlite3_bind_int64(st, 6, m->inviter_id);
        sqlite3_bind_int64(st, 7, m->joined_ts);
        if (m->left_ts < 0) sqlite3_bind_null(st, 8); else sqlite3_bind_int64(st, 8, m->left_ts);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(sp);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO events(run_id, group_id, ts, member_id,"
                                        " kind, ref_id, value, msg_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                        -1, &st, NULL), SQLITE_OK);
    for (int i = 0; i < L->nev; i++) {
        const ev_rec *e = &L->ev[i];
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int(st, 2, e->group_id);
        sqlite3_bind_int64(st, 3, e->ts);
        if (e->member_id < 0) sqlite3_bind_null(st, 4); else sqlite3_bind_int64(st, 4, e->member_id);
        sqlite3_bind_text(st, 5, ev_kind_name((ev_kind)e->kind), -1, SQLITE_STATIC);
        if (e->ref_id < 0) sqlite3_bind_null(st, 6); else sqlite3_bind_int64(st, 6, e->ref_id);
        sqlite3_bind_double(st, 7, e->value);
        if (e->id < 0) sqlite3_bind_null(st, 8); else sqlite3_bind_int64(st, 8, e->id);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    db_exec(db, "COMMIT");
}

/* All rows of v_summary (day -1) and v_daily of runs 1..nruns, into R[run - 1].
 * One query per view for all runs: the views compute every run anyway. */
static void db_rows(sqlite3 *db, rows *R, int nruns)
{
    static const char *const q[2] = {
        "SELECT run_id, group_id, -1, metric, value FROM v_summary",
        "SELECT run_id, group_id, day, metric, value FROM v_daily",
    };
    for (int k = 0; k < 2; k++) {
        sqlite3_stmt *st;
        ck_assert_msg(sqlite3_prepare_v2(db, q[k], -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int run = sqlite3_column_int(st, 0);
            ck_assert(run >= 1 && run <= nruns);
            double v = sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 4);
            rows_add(&R[run - 1], sqlite3_column_int(st, 1), sqlite3_column_int64(st, 2),
                     (const char *)sqlite3_column_text(st, 3), v);
        }
        ck_assert_msg(rc == SQLITE_DONE, "%s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
}

/* metrics.c on the log (sorted by time), into rows. */
static void c_rows(tlog *L, rows *R)
{
    qsort(L->ev, (size_t)L->nev, sizeof *L->ev, cmp_ev);
    met_t *m = open_met(L->start, L->off, L->nd, 0);
    for (int i = 0; i < L->nmem; i++) ck_assert_int_eq(met_member(m, &L->mem[i]), 0);
    for (int i = 0; i < L->nev; i++) ck_assert_msg(met_event(m, &L->ev[i]) == 0, "%s", met_errmsg(m));
    ck_assert_int_eq(met_finish(m), 0);
    ck_assert_int_eq(met_emit(m, emit_rows, R), 0);
    met_close(m);
}

/* Equal results: the same (group, day, metric) keys, values equal to 1e-12
 * relative (counts are integers, so any real difference shows), NaN = NULL. */
static void compare_rows(rows *A, rows *B, const char *what)
{
    qsort(A->r, (size_t)A->n, sizeof *A->r, cmp_row);
    qsort(B->r, (size_t)B->n, sizeof *B->r, cmp_row);
    ck_assert_msg(A->n == B->n, "%s: C has %d rows, SQL %d", what, A->n, B->n);
    for (int i = 0; i < A->n; i++) {
        const row *x = &A->r[i], *y = &B->r[i];
        ck_assert_msg(cmp_row(x, y) == 0, "%s: row %d: C (%d, %lld, %s) vs SQL (%d, %lld, %s)", what, i,
                      x->g, (long long)x->day, x->metric, y->g, (long long)y->day, y->metric);
        int same = (isnan(x->v) && isnan(y->v)) ||
                   fabs(x->v - y->v) <= 1e-12 * fmax(1.0, fmax(fabs(x->v), fabs(y->v)));
        ck_assert_msg(same, "%s: group %d day %lld %s: C %.17g, SQL %.17g", what, x->g,
                      (long long)x->day, x->metric, x->v, y->v);
    }
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double unif(uint64_t *s) { return (double)(rnd(s) >> 11) * 0x1.0p-53; }
static int64_t rint_n(uint64_t *s, int64_t n) { return (int64_t)(rnd(s) % (uint64_t)n); }

/* A random community: 3 groups, `people` people (large ids), members
 * joining before and during the window (some exactly at midnight), leaving,
 * bots, referrals with inviters, every event kind, chatty people, questions
 * with quick answers, same-second bursts, and noise that must not count
 * (no actor, system notices, events outside the window, undeclared actors). */
static void gen_random(tlog *L, uint64_t seed, int people, int ndays, int64_t start, int32_t off)
{
    uint64_t r = seed;
    L->start = start;
    L->off = off;
    L->nd = ndays;
    /* s: local midnight of day 0 (start may be later in that day) */
    const int64_t s = start - (((start + off) % D) + D) % D, end = s + (int64_t)L->nd * D;
    for (int k = 1; k <= people; k++) {
        int64_t id = k <= 3 ? INT64_MAX - k : 1000000007LL * k + 12345;
        int g1 = 1 + (int)rint_n(&r, 3), g2 = unif(&r) < 0.3 ? 1 + (g1 % 3) : 0;
        for (int g = g1, rep = 0; g && rep < 2; g = g2, rep++) {
            int64_t joined;
            double u = unif(&r);
            if (u < 0.55) joined = s - 1 - rint_n(&r, 30 * D);
            else if (u < 0.6) joined = s + rint_n(&r, L->nd) * D;       /* at a midnight */
            else if (u < 0.62) joined = s + rint_n(&r, L->nd) * D - 1;  /* at 23:59:59 */
            else joined = s + rint_n(&r, L->nd * D);
            int64_t left = -1;
            u = unif(&r);
            if (u < 0.2) left = joined + 1 + rint_n(&r, 40 * D);
            else if (u < 0.24) left = s + (1 + (joined - s) / D + rint_n(&r, 20)) * D;
            ev_role role = k == 1 ? ROLE_OWNER : unif(&r) < 0.03 ? ROLE_BOT : ROLE_MEMBER;
            ev_source src = SRC_SEED;
            if (joined >= s) {
                u = unif(&r);
                /* a few founders inside the window too: present, never a join */
                src = u < 0.05 ? SRC_SEED : u < 0.3 ? SRC_ORGANIC : u < 0.7 ? SRC_INVITE : SRC_QR;
            }
            tl_mem(L, g, id, role, src, -1, joined, left);
            /* rejoins: a later spell after a leave, sometimes at the leave's second */
            while (left >= 0 && unif(&r) < 0.35) {
                int64_t j2 = left + (unif(&r) < 0.2 ? 0 : rint_n(&r, 6 * D));
                int64_t l2 = unif(&r) < 0.5 ? j2 + 1 + rint_n(&r, 10 * D) : -1;
                u = unif(&r);
                tl_mem(L, g, id, role, u < 0.5 ? SRC_ORGANIC : SRC_INVITE, -1, j2, l2);
                left = l2;
            }
        }
    }
    /* inviters: an earlier member of the same group (chains of referrals) */
    for (int i = 0; i < L->nmem; i++) {
        ev_member *m = &L->mem[i];
        if (m->source != SRC_INVITE && m->source != SRC_QR) continue;
        for (int tries = 0; tries < 20; tries++) {
            const ev_member *c = &L->mem[rint_n(&r, L->nmem)];
            if (c->group_id == m->group_id && c->joined_ts < m->joined_ts && c->member_id != m->member_id) {
                m->inviter_id = c->member_id;
                break;
            }
        }
        if (m->inviter_id < 0 && unif(&r) < 0.5) m->inviter_id = 424242; /* not a member */
    }
    static const struct { ev_kind k; double w; } mix[] = {
        {EV_MESSAGE, 50}, {EV_REPLY, 8}, {EV_QUESTION, 7}, {EV_ANSWER, 5}, {EV_CHECKIN, 4},
        {EV_REACTION, 6}, {EV_VOTE, 3}, {EV_SHARE, 3}, {EV_INVITE, 2}, {EV_MUTE, 1},
        {EV_EXPOSURE, 3}, {EV_PARTICIPATE, 2}, {EV_COMPLETE, 1}, {EV_PURCHASE, 2},
        {EV_SUBMISSION, 2}, {EV_POST, 1}, {EV_ANNOUNCE, 1}, {EV_SILENT, 0.5}, {EV_REWARD, 0.5},
    };
    double wsum = 0;
    for (size_t j = 0; j < sizeof mix / sizeof *mix; j++) wsum += mix[j].w;
    int nmem = L->nmem;
    for (int i = 0; i < nmem; i++) {
        const ev_member m = L->mem[i];
        double rate = rint_n(&r, 10) == 0 ? 4.0 : 0.8 * unif(&r);
        for (int d = 0; d < L->nd; d++) {
            int64_t a = s + (int64_t)d * D, b = a + D;
            if (m.joined_ts > a) a = m.joined_ts;
            if (m.left_ts >= 0 && m.left_ts < b) b = m.left_ts;
            if (a >= b) continue;
            int n = (int)(rate + unif(&r)) + (unif(&r) < 0.1);
            for (int j = 0; j < n; j++) {
                int64_t ts = a + rint_n(&r, b - a);
                double u = unif(&r) * wsum;
                size_t q = 0;
                while (q + 1 < sizeof mix / sizeof *mix && u >= mix[q].w) u -= mix[q++].w;
                ev_kind k = mix[q].k;
                int64_t qid = tl_evr(L, m.group_id, ts, m.member_id, k,
                                     k == EV_PURCHASE ? rint_n(&r, 10000) / 100.0 : 0, -1);
                for (int na = 0; k == EV_QUESTION && na < 2; na++) {
                    if (unif(&r) < 0.5) continue;            /* someone answers, soon or late */
                    const ev_member *o = &L->mem[rint_n(&r, nmem)];
                    int64_t dt = unif(&r) < 0.8 ? rint_n(&r, 3600) : rint_n(&r, 2 * D);
                    if (unif(&r) < 0.2) o = &m;               /* the asker follows up */
                    ev_kind ak = unif(&r) < 0.7 ? EV_ANSWER : EV_REPLY;
                    int64_t ref = unif(&r) < 0.9 ? qid : qid - 1; /* sometimes another message */
                    if (o->group_id == m.group_id) tl_evr(L, m.group_id, ts + dt, o->member_id, ak, 0, ref);
                }
                if (unif(&r) < 0.02)                        /* a same-second burst */
                    tl_ev(L, m.group_id, ts, L->mem[rint_n(&r, nmem)].member_id, EV_MESSAGE, 0);
            }
        }
    }
    for (int j = 0; j < 300; j++) {
        int32_t g = 1 + (int32_t)rint_n(&r, 3);
        int64_t ts = s - D + rint_n(&r, (int64_t)(L->nd + 2) * D);   /* also outside */
        switch (j % 4) {
        case 0: tl_ev(L, g, ts, -1, EV_MESSAGE, 0); break;            /* no actor */
        case 1: tl_ev(L, g, ts, L->mem[rint_n(&r, nmem)].member_id, EV_SYSTEM, 0); break;
        case 2: tl_ev(L, g, ts, 777000 + rint_n(&r, 20), unif(&r) < 0.2 ? EV_QUESTION : EV_MESSAGE, 0); break;
        default: tl_ev(L, g, ts, L->mem[rint_n(&r, nmem)].member_id, EV_MESSAGE, 0); break;
        }
    }
    /* a group with no memberships, only an event in the window; one outside only */
    tl_ev(L, 9, s + 5 * D, 31337, EV_REACTION, 0);
    tl_ev(L, 8, end + 5, 31337, EV_MESSAGE, 0);
}

/* A small hand-made log full of edge cases (values checked against C's own
 * hand-computed tests above; here only C = SQL). */
static void gen_hand(tlog *L)
{
    int64_t s = t0();
    L->start = s;
    L->off = 8 * H;
    L->nd = 40;
    for (int i = 1; i <= 5; i++) tl_mem(L, 1, i, ROLE_MEMBER, SRC_SEED, -1, s - D, -1);
    tl_mem(L, 1, 6, ROLE_OWNER, SRC_SEED, -1, s - D, -1);
    tl_mem(L, 1, 7, ROLE_MEMBER, SRC_INVITE, 1, s + D, s + 20 * D);     /* leaves at midnight */
    tl_mem(L, 1, 10, ROLE_MEMBER, SRC_INVITE, 7, s + 3 * D - 1, -1);   /* 23:59:59 */
    tl_mem(L, 1, 8, ROLE_MEMBER, SRC_QR, 7, s + 5 * D, -1);
    tl_mem(L, 2, 8, ROLE_MEMBER, SRC_ORGANIC, -1, s + 6 * D, s + 6 * D + 60);
    tl_mem(L, 2, 1, ROLE_MEMBER, SRC_SEED, -1, s - D, -1);
    tl_mem(L, 2, 99, ROLE_BOT, SRC_SEED, -1, s - D, -1);
    tl_mem(L, 1, 11, ROLE_MEMBER, SRC_INVITE, 8, s + 36 * D, -1);
    tl_mem(L, 1, 12, ROLE_MEMBER, SRC_ORGANIC, -1, s + 10 * D, -1);  /* day nd-30: no r_eff case */
    tl_mem(L, 1, 13, ROLE_MEMBER, SRC_INVITE, 12, s + 15 * D, -1);
    for (int j = 0; j < 30; j++) tl_ev(L, 1, s + 10 + j, 5, EV_MESSAGE, 0); /* 5: exactly 50 in days 0..29 */
    for (int d = 0; d < 40; d++) {
        int64_t a = s + (int64_t)d * D;
        tl_ev(L, 1, a + H, 1 + d % 3, EV_QUESTION, 0);
        if (d % 2) tl_ev(L, 1, a + H, 4, EV_MESSAGE, 0);              /* same second */
        if (d % 3) tl_ev(L, 1, a + H + 60 * d, 5, EV_ANSWER, 0);
        tl_ev(L, 2, a + 2 * H, 99, EV_ANSWER, 0);                    /* bot */
        tl_ev(L, 2, a + 3 * H, 1, EV_QUESTION, 0);
        if (d < 35) for (int j = 0; j < (d < 10 ? 6 : 1); j++) tl_ev(L, 1, a + 4 * H + j, 2, EV_MESSAGE, 0);
        if (d % 5 == 0) tl_ev(L, 1, a + D - 1, 3, EV_CHECKIN, 0);   /* 23:59:59 */
        if (d % 7 == 0) tl_ev(L, 2, a, 8, EV_MESSAGE, 0);            /* 00:00:00 */
    }
    tl_ev(L, 1, s + 2 * D, 1, EV_EXPOSURE, 0);
    tl_ev(L, 1, s + 2 * D, 2, EV_PARTICIPATE, 0);
    tl_ev(L, 2, s + 2 * D, 1, EV_PARTICIPATE, 0);
    tl_ev(L, 1, s + 3 * D, 2, EV_COMPLETE, 0);
    tl_ev(L, 1, s + 3 * D, 2, EV_SHARE, 0);
    tl_ev(L, 1, s + 4 * D, 3, EV_PURCHASE, 19.9);
    tl_ev(L, 2, s + 4 * D, 1, EV_PURCHASE, 0.1);
    tl_ev(L, 1, s + 4 * D, 6, EV_POST, 0);
    tl_ev(L, 1, s + 4 * D, 6, EV_SUBMISSION, 0);
    tl_ev(L, 1, s + 9 * D, 10, EV_INVITE, 0);
    tl_ev(L, 1, s + 9 * D, 10, EV_MUTE, 0);
}

/* Member ids index arrays when dense and go to a hash when sparse: the same
 * log with its ids renumbered densely (every one, or every other one, which
 * mixes both paths) gives the same rows as with gen_random's sparse ids. */
static int64_t dense_id(int64_t id, int every)
{
    int64_t k;                               /* gen_random's person number, if any */
    if (id > INT64_MAX - 4) k = INT64_MAX - id;
    else if (id > 1000000007LL && (id - 12345) % 1000000007LL == 0) k = (id - 12345) / 1000000007LL;
    else return id;                          /* -1, strangers 777000.., 31337, 424242 */
    return k % every == 0 ? k : id;
}

static void renumber(const tlog *src, tlog *dst, int every)
{
    *dst = *src;
    dst->mem = malloc((size_t)src->nmem * sizeof *dst->mem);
    dst->ev = malloc((size_t)src->nev * sizeof *dst->ev);
    ck_assert(dst->mem && dst->ev);
    for (int i = 0; i < src->nmem; i++) {
        dst->mem[i] = src->mem[i];
        dst->mem[i].member_id = dense_id(src->mem[i].member_id, every);
        dst->mem[i].inviter_id = dense_id(src->mem[i].inviter_id, every);
    }
    for (int i = 0; i < src->nev; i++) {
        dst->ev[i] = src->ev[i];
        dst->ev[i].member_id = dense_id(src->ev[i].member_id, every);
    }
}

START_TEST(dense_and_sparse_ids_agree)
{
    tlog sp = {0};
    gen_random(&sp, 99, 200, 40, t0(), 8 * H);
    rows a = {0};
    c_rows(&sp, &a);
    ck_assert_int_gt(a.n, 0);
    for (int every = 1; every <= 2; every++) {
        tlog dn;
        renumber(&sp, &dn, every);
        rows b = {0};
        c_rows(&dn, &b);
        compare_rows(&a, &b, every == 1 ? "dense ids" : "mixed ids");
        free(b.r);
        free(dn.mem);
        free(dn.ev);
    }
    free(a.r);
    tl_free(&sp);
}
END_TEST

START_TEST(sql_views_equal_c)
{
    sqlite3 *db = db_new();
    tlog hand = {0}, rand1 = {0}, rand2 = {0};
    gen_hand(&hand);
    /* 300 people, 60 days; fewer under valgrind (scripts/run_tests.sh sets
     * QS_VALGRIND), where the SQL part would take minutes */
    gen_random(&rand1, 20240301, getenv("QS_VALGRIND") ? 100 : 300, 60, t0(), 8 * H);
    /* another time zone, a window that does not start at its midnight */
    gen_random(&rand2, 7, 80, 45, t0() + 3 * H, -5 * H);
    db_put(db, 1, &hand);
    db_put(db, 2, &rand1);
    db_put(db, 3, &rand2);
    tlog *logs[3] = {&hand, &rand1, &rand2};
    rows q[3] = {{0}};
    db_rows(db, q, 3);
    for (int k = 0; k < 3; k++) {
        rows c = {0};
        c_rows(logs[k], &c);
        char what[32];
        snprintf(what, sizeof what, "run %d", k + 1);
        compare_rows(&c, &q[k], what);
        free(c.r);
        free(q[k].r);
    }
    /* something happened in the random logs (guards against comparing two empty outputs) */
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT dau_mean, retention_7d, heavy_speakers_mean,"
                     " response_median, r_eff, participation, answer_median, unanswered_answer_24h"
                     " FROM v_summary_wide WHERE run_id = 2 AND group_id = 0", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    for (int j = 0; j < 8; j++) ck_assert_msg(sqlite3_column_double(st, j) > 0, "column %d", j);
    sqlite3_finalize(st);
    sqlite3_close(db);
    tl_free(&hand);
    tl_free(&rand1);
    tl_free(&rand2);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, day_boundary_local_time);
    tcase_add_test(tc, bots_and_system_excluded);
    tcase_add_test(tc, members_until_they_leave);
    tcase_add_test(tc, spells_and_founders);
    tcase_add_test(tc, retention_and_tail);
    tcase_add_test(tc, empty_log);
    tcase_add_test(tc, community_counts_person_once);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, heavy_speakers);
    tcase_add_test(tc, response_times);
    tcase_add_test(tc, linked_answers);
    tcase_add_test(tc, conversion_virality_campaigns);
    tcase_add_test(tc, annual_activity);
    tcase_add_test(tc, community_flags_once);
    suite_add_tcase(s, tc);
    TCase *sql = tcase_create("sql");
    tcase_set_timeout(sql, 60);
    tcase_add_test(sql, sql_views_equal_c);
    tcase_add_test(sql, dense_and_sparse_ids_agree);
    suite_add_tcase(s, sql);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
