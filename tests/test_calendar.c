/* test_calendar.c -- the group calendar (cal.h): parsing of start dates and
 * UTC offsets, day/hour/weekday at day boundaries, date strings, negative
 * days, and civil <-> day-number round trips checked against an independent
 * day-by-day count and against the C library's gmtime_r. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cal.h"

/* Only calls into Check on failure (see test_queue.c: passing ck_asserts
 * cost a write each, too slow for loops over millions of days). */
#define REQ(c) \
    do { if (!(c)) ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #c); } while (0)

static cal mk(const char *date, const char *off)
{
    cal c;
    ck_assert_msg(cal_init(&c, date, off) == 0, "cal_init(%s, %s)", date, off ? off : "NULL");
    return c;
}

/* ---- parsing ------------------------------------------------------------ */

START_TEST(init_good_dates)
{
    cal c = mk("2024-01-01", "+08:00");
    ck_assert_int_eq(c.start_ts, 1704038400); /* 2023-12-31T16:00:00Z */
    ck_assert_int_eq(c.utc_offset, 28800);
    ck_assert_int_eq(c.start_wday, 0); /* a Monday */
    c = mk("1970-01-01", "Z");
    ck_assert_int_eq(c.start_ts, 0);
    ck_assert_int_eq(c.start_wday, 3); /* Thursday */
    c = mk("2000-01-01", "UTC");
    ck_assert_int_eq(c.start_ts, 946684800);
    ck_assert_int_eq(c.start_wday, 5); /* Saturday */
    c = mk("2024-02-29", "-05:30"); /* leap day; negative half-hour offset */
    ck_assert_int_eq(c.utc_offset, -19800);
    ck_assert_int_eq(c.start_ts, 1709164800 + 19800);
    ck_assert_int_eq(c.start_wday, 3); /* Thursday */
    c = mk("2000-02-29", "+00:00"); /* divisible by 400: leap */
    ck_assert_int_eq(c.start_ts, 951782400);
    c = mk("9999-12-31", "+14:00");
    ck_assert_int_eq(c.start_ts, 253402214400 - 50400);
    ck_assert_int_eq(c.start_wday, 4); /* Friday */
    c = mk("2023-06-15", NULL); /* default offset +08:00 */
    ck_assert_int_eq(c.utc_offset, 28800);
    ck_assert_int_eq(c.start_ts, 1686787200 - 28800);
}
END_TEST

START_TEST(init_bad_dates)
{
    static const char *bad[] = {
        "2023-02-29", /* not a leap year */
        "2100-02-29", /* divisible by 100, not by 400 */
        "2024-02-30", "2024-04-31", "2024-06-31", "2024-09-31", "2024-11-31",
        "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32",
        "1969-12-31", /* before the supported range */
        "0000-01-01",
        "2024-1-01", "24-01-01", "2024-01-1", "2024/01/01", "2024-01-01x",
        "2024-01-01 ", " 2024-01-01", "2024-+1-01", "2024-01-+1", "+024-01-01",
        "2024-0a-01", "2024--1-01", "20240101", "", "2024-01-01T00:00",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        cal c = {123, 456, 6};
        ck_assert_msg(cal_init(&c, bad[k], "+08:00") == -1, "accepted date \"%s\"", bad[k]);
        ck_assert_msg(c.start_ts == 123 && c.utc_offset == 456 && c.start_wday == 6,
                      "cal changed on error for \"%s\"", bad[k]);
    }
    cal c;
    ck_assert_int_eq(cal_init(&c, NULL, "+08:00"), -1);
}
END_TEST

START_TEST(offsets)
{
    static const struct { const char *s; int32_t v; } good[] = {
        {"+08:00", 28800}, {"-05:30", -19800}, {"Z", 0}, {"UTC", 0}, {"+00:00", 0},
        {"-00:00", 0}, {"+05:45", 20700}, {"+14:00", 50400}, {"-14:00", -50400},
        {"-12:00", -43200}, {"+09:30", 34200}, {"+13:59", 50340},
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        int32_t v = 1;
        ck_assert_msg(cal_parse_offset(good[k].s, &v) == 0, "rejected %s", good[k].s);
        ck_assert_int_eq(v, good[k].v);
        cal c;
        ck_assert_int_eq(cal_init(&c, "2024-03-10", good[k].s), 0);
        ck_assert_int_eq(c.utc_offset, good[k].v);
    }
    static const char *bad[] = {
        "+14:01", "+15:00", "-15:00", "+08:60", "08:00", "+8:00", "+0800", "+08",
        "+08:00 ", " +08:00", "", "++8:00", "+ 8:00", "+08:-1", "+08:+1", "z", "utc",
        "GMT", "+08:0a", "*08:00", "+08.00", "+008:00", "-",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int32_t v = 77;
        ck_assert_msg(cal_parse_offset(bad[k], &v) == -1, "accepted offset \"%s\"", bad[k]);
        ck_assert_int_eq(v, 77);
        cal c;
        ck_assert_int_eq(cal_init(&c, "2024-03-10", bad[k]), -1);
    }
    int32_t v;
    ck_assert_int_eq(cal_parse_offset(NULL, &v), -1);
}
END_TEST

/* ---- day, hour, weekday at boundaries ------------------------------------ */

/* cal_offset_str writes what cal_parse_offset reads, for every quarter hour
 * in -14:00..+14:00, and truncates safely. */
START_TEST(offset_strings)
{
    char buf[16];
    ck_assert_str_eq(cal_offset_str(28800, buf, sizeof buf), "+08:00");
    ck_assert_str_eq(cal_offset_str(-19800, buf, sizeof buf), "-05:30");
    ck_assert_str_eq(cal_offset_str(0, buf, sizeof buf), "+00:00");
    for (int32_t off = -14 * 3600; off <= 14 * 3600; off += 900) {
        int32_t back = 1;
        ck_assert_int_eq(cal_parse_offset(cal_offset_str(off, buf, sizeof buf), &back), 0);
        ck_assert_int_eq(back, off);
    }
    char small[4];
    cal_offset_str(28800, small, sizeof small);
    ck_assert_str_eq(small, "+08");
}
END_TEST

START_TEST(day_hour_weekday)
{
    cal c = mk("2024-01-01", "+08:00"); /* Monday */
    ck_assert_int_eq(cal_day(&c, 0.0), 0);
    ck_assert_int_eq(cal_day(&c, 86399.999), 0);
    ck_assert_int_eq(cal_day(&c, 86400.0), 1);
    ck_assert_int_eq(cal_day(&c, nextafter(86400.0, 0.0)), 0);
    ck_assert_int_eq(cal_day(&c, -0.001), -1);
    ck_assert_int_eq(cal_day(&c, -1e-300), -1);
    ck_assert_int_eq(cal_day(&c, -86400.0), -1);
    ck_assert_int_eq(cal_day(&c, nextafter(-86400.0, -1e9)), -2);
    ck_assert_int_eq(cal_day(&c, 90 * 86400.0 + 5), 90);
    ck_assert(cal_hour(&c, 0.0) == 0.0);
    ck_assert(cal_hour(&c, 9.5 * 3600) == 9.5);
    ck_assert(cal_hour(&c, 86400.0 + 3600) == 1.0);
    ck_assert(fabs(cal_hour(&c, -1.0) - (24.0 - 1.0 / 3600)) < 1e-12);
    ck_assert(cal_hour(&c, -1e-300) < 24.0);
    ck_assert(cal_hour(&c, -1e-300) > 23.99);
    ck_assert_int_eq(cal_weekday(&c, 0.0), 0);          /* Monday */
    ck_assert_int_eq(cal_weekday(&c, 5 * 86400.0 + 1), 5); /* Saturday */
    ck_assert_int_eq(cal_weekday(&c, 6 * 86400.0), 6);     /* Sunday */
    ck_assert_int_eq(cal_weekday(&c, 7 * 86400.0), 0);
    ck_assert_int_eq(cal_weekday(&c, -1.0), 6);            /* the Sunday before */
    ck_assert_int_eq(cal_weekday(&c, -7 * 86400.0), 0);
    ck_assert_int_eq(cal_weekday(&c, -8 * 86400.0), 6);
    ck_assert(cal_day_start(&c, 3) == 259200.0);
    ck_assert(cal_day_start(&c, -2) == -172800.0);

    /* a dense sweep across many midnights, including times one ulp either
     * side: cal_day and cal_hour agree, hour in [0, 24), day_start inverts */
    for (int64_t d = -400; d <= 40000; d += 7) {
        double m = cal_day_start(&c, d);
        double ts[] = {m, nextafter(m, -INFINITY), nextafter(m, INFINITY), m + 43200.0};
        int64_t want[] = {d, d - 1, d, d};
        for (int j = 0; j < 4; j++) {
            REQ(cal_day(&c, ts[j]) == want[j]);
            double h = cal_hour(&c, ts[j]);
            REQ(h >= 0.0 && h < 24.0);
            REQ(fabs(cal_day_start(&c, want[j]) + h * 3600.0 - ts[j]) < 1e-6 * (1 + fabs(ts[j]) / 1e9));
            REQ(cal_weekday(&c, ts[j]) == (int)(((want[j] % 7) + 7) % 7));
        }
    }
}
END_TEST

START_TEST(day_of_ts)
{
    cal c = mk("2024-01-01", "-05:30");
    ck_assert_int_eq(cal_day_of_ts(&c, c.start_ts), 0);
    ck_assert_int_eq(cal_day_of_ts(&c, c.start_ts - 1), -1);
    ck_assert_int_eq(cal_day_of_ts(&c, c.start_ts + 86399), 0);
    ck_assert_int_eq(cal_day_of_ts(&c, c.start_ts + 86400), 1);
    ck_assert_int_eq(cal_day_of_ts(&c, c.start_ts - 86400), -1);
    ck_assert_int_eq(cal_day_of_ts(&c, c.start_ts - 86401), -2);
    /* unix time and simulated time agree */
    for (int64_t t = -200000; t < 3000000; t += 997)
        REQ(cal_day_of_ts(&c, c.start_ts + t) == cal_day(&c, (double)t));
}
END_TEST

/* ---- date strings ------------------------------------------------------- */

START_TEST(date_strings)
{
    cal c = mk("2024-01-01", "+08:00");
    char b[11];
    static const struct { int64_t day; const char *s; } want[] = {
        {0, "2024-01-01"}, {30, "2024-01-31"}, {31, "2024-02-01"}, {59, "2024-02-29"},
        {60, "2024-03-01"}, {365, "2024-12-31"}, {366, "2025-01-01"}, {-1, "2023-12-31"},
        {-365, "2023-01-01"}, {-366, "2022-12-31"}, {-19723, "1970-01-01"}, {-19724, "1969-12-31"},
        {2922, "2032-01-01"},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        memset(b, 'x', sizeof b);
        cal_date_str(&c, want[k].day, b);
        ck_assert_msg(strcmp(b, want[k].s) == 0, "day %lld: %s, want %s",
                      (long long)want[k].day, b, want[k].s);
    }
    /* the same instant is a different local date in different offsets */
    cal_ts_date_str(1704038400, 28800, b); /* 2023-12-31T16:00Z */
    ck_assert_str_eq(b, "2024-01-01");
    cal_ts_date_str(1704038400, 0, b);
    ck_assert_str_eq(b, "2023-12-31");
    cal_ts_date_str(1704038400 - 1, 28800, b);
    ck_assert_str_eq(b, "2023-12-31");
    cal_ts_date_str(1704067200 + 5 * 3600 + 29 * 60, -19800, b); /* 05:29Z = 23:59 -05:30 */
    ck_assert_str_eq(b, "2023-12-31");
    cal_ts_date_str(1704067200 + 5 * 3600 + 30 * 60, -19800, b);
    ck_assert_str_eq(b, "2024-01-01");
    cal_ts_date_str(-1, 0, b);
    ck_assert_str_eq(b, "1969-12-31");
    /* the local date of a simulated time equals the date of its unix time */
    cal d = mk("2023-03-25", "-05:30");
    char b2[11];
    for (double t = -90000.0; t < 400 * 86400.0; t += 3607.3) {
        cal_date_str(&d, cal_day(&d, t), b);
        cal_ts_date_str(d.start_ts + (int64_t)floor(t), d.utc_offset, b2);
        REQ(strcmp(b, b2) == 0);
    }
}
END_TEST

/* ---- civil <-> days ----------------------------------------------------- */

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static unsigned mdays(int64_t y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 ? 28 + (unsigned)is_leap(y) : dm[m - 1];
}

START_TEST(civil_round_trip_and_count)
{
    ck_assert_int_eq(cal_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(cal_days_from_civil(2000, 3, 1), 11017);
    ck_assert_int_eq(cal_days_from_civil(1969, 12, 31), -1);
    ck_assert_int_eq(cal_days_from_civil(0, 3, 1), -719468);
    /* walk day by day from 1970-01-01 forwards to 3000 and backwards to
     * -1000 with a naive calendar; both functions must agree at every day */
    int64_t y = 1970;
    unsigned m = 1, d = 1;
    for (int64_t z = 0; z <= cal_days_from_civil(3000, 12, 31); z++) {
        int64_t yy;
        unsigned mm, dd;
        REQ(cal_days_from_civil(y, m, d) == z);
        cal_civil_from_days(z, &yy, &mm, &dd);
        REQ(yy == y && mm == m && dd == d);
        if (++d > mdays(y, m)) {
            d = 1;
            if (++m > 12) { m = 1; y++; }
        }
    }
    y = 1969; m = 12; d = 31;
    for (int64_t z = -1; z >= cal_days_from_civil(-1000, 1, 1); z--) {
        int64_t yy;
        unsigned mm, dd;
        REQ(cal_days_from_civil(y, m, d) == z);
        cal_civil_from_days(z, &yy, &mm, &dd);
        REQ(yy == y && mm == m && dd == d);
        if (--d == 0) {
            if (--m == 0) { m = 12; y--; }
            d = mdays(y, m);
        }
    }
    /* far out, round trips only */
    for (int64_t z = -400000000; z <= 400000000; z += 99991) {
        int64_t yy;
        unsigned mm, dd;
        cal_civil_from_days(z, &yy, &mm, &dd);
        REQ(mm >= 1 && mm <= 12 && dd >= 1 && dd <= mdays(yy, mm));
        REQ(cal_days_from_civil(yy, mm, dd) == z);
    }
}
END_TEST

START_TEST(against_gmtime)
{
    /* the C library is an independent reference for the proleptic calendar */
    for (int64_t z = -800000; z <= 3000000; z += 13) {
        time_t ts = (time_t)(z * 86400);
        struct tm tm;
        REQ(gmtime_r(&ts, &tm) != NULL);
        int64_t y;
        unsigned m, d;
        cal_civil_from_days(z, &y, &m, &d);
        REQ(y == (int64_t)tm.tm_year + 1900 && m == (unsigned)tm.tm_mon + 1 && d == (unsigned)tm.tm_mday);
        char b[11], w[11];
        if (y >= 1000 && y <= 9999) { /* %Y pads no zeros below 1000 */
            cal_ts_date_str((int64_t)ts + 43200, 0, b);
            strftime(w, sizeof w, "%Y-%m-%d", &tm);
            REQ(strcmp(b, w) == 0);
        }
        if (y >= 1970 && y <= 9999) {
            snprintf(w, sizeof w, "%04d-%02u-%02u", (int)y, m, d);
            cal c;
            REQ(cal_init(&c, w, "Z") == 0);
            REQ(c.start_ts == (int64_t)ts);
            REQ(c.start_wday == (tm.tm_wday + 6) % 7); /* tm: 0 = Sunday */
        }
    }
}
END_TEST

static Suite *cal_suite(void)
{
    Suite *s = suite_create("calendar");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, init_good_dates);
    tcase_add_test(tc, init_bad_dates);
    tcase_add_test(tc, offsets);
    tcase_add_test(tc, offset_strings);
    suite_add_tcase(s, tc);
    tc = tcase_create("days");
    tcase_set_timeout(tc, 60); /* valgrind; natively well under 1 s */
    tcase_add_test(tc, day_hour_weekday);
    tcase_add_test(tc, day_of_ts);
    tcase_add_test(tc, date_strings);
    tcase_add_test(tc, civil_round_trip_and_count);
    tcase_add_test(tc, against_gmtime);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cal_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
