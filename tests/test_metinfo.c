/* test_metinfo.c -- the metrics-for-people table (analysis/metinfo.h): every
 * summary metric the library emits has a row, the headline names exist,
 * formats (%, pp, minutes), verdicts by direction, the window rule, and the
 * display width used to align terminal tables with Chinese names. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metinfo.h"
#include "metrics.h"

START_TEST(every_metric_has_a_row)
{
    int n = 0;
    for (int i = 0; met_summary_name(i); i++, n++) {
        const mi_row *r = mi_find(met_summary_name(i));
        ck_assert_msg(r != NULL, "no metinfo row for summary metric %s", met_summary_name(i));
        ck_assert(r->label && *r->label && r->unit && *r->unit && r->def && *r->def);
    }
    int nr;
    mi_rows(&nr);
    ck_assert_int_eq(nr, n); /* and no row for a metric that does not exist */
    for (int k = 0; k < mi_nheadline; k++) ck_assert_ptr_nonnull(mi_find(mi_headline[k]));
    ck_assert_ptr_null(mi_find("no_such_metric"));
}
END_TEST

START_TEST(formats_and_verdicts)
{
    char b[64];
    const mi_row *r1 = mi_find("retention_1d"), *lv = mi_find("leaves"), *rm = mi_find("response_median");
    ck_assert_str_eq(mi_format(r1, 0.6123, 0, b, sizeof b), "61.2%");
    ck_assert_str_eq(mi_format(r1, 0.031, 1, b, sizeof b), "+3.1 pp");
    ck_assert_str_eq(mi_format(r1, NAN, 0, b, sizeof b), "n/a");
    ck_assert_str_eq(mi_format(lv, 12, 1, b, sizeof b), "+12");
    ck_assert_str_eq(mi_format(rm, 750, 0, b, sizeof b), "12.5");
    ck_assert_str_eq(mi_title(r1, "retention_1d", b, sizeof b), "speaks again next day (%)");
    /* more leaves is worse, more retention better; a CI holding 0 says nothing */
    ck_assert_int_eq(mi_verdict(lv, 12, 3, 20), -1);
    ck_assert_int_eq(mi_verdict(lv, -5, -8, -1), 1);
    ck_assert_int_eq(mi_verdict(r1, 0.05, 0.01, 0.09), 1);
    ck_assert_int_eq(mi_verdict(r1, 0.05, -0.01, 0.09), 0);
    ck_assert_int_eq(mi_verdict(mi_find("questions"), 5, 1, 9), 0);
    /* retention_30d needs day d and 30 more: a 22-day window cannot hold it */
    const mi_row *r30 = mi_find("retention_30d");
    ck_assert(!mi_window_ok(r30, 22));
    ck_assert(!mi_window_ok(r30, 30));
    ck_assert(mi_window_ok(r30, 31));
    ck_assert(mi_window_ok(r1, 2));
    ck_assert(!mi_window_ok(r1, 1));
}
END_TEST

START_TEST(display_width)
{
    ck_assert_int_eq(mi_width("baseline"), 8);
    ck_assert_int_eq(mi_width("打卡二十一天"), 12);
    ck_assert_int_eq(mi_width("读书会 club"), 11);
    ck_assert_int_eq(mi_width("e\xcc\x81"), 1);          /* e + combining acute */
    ck_assert_int_eq(mi_width("a\xe2\x80\x8b" "b"), 2); /* zero-width space */
    ck_assert_int_eq(mi_width("\xef\xbc\xa1"), 2);      /* fullwidth A */
    ck_assert_int_eq(mi_width("\xff\xfe"), 2);          /* invalid bytes: one column each */
    ck_assert_int_eq(mi_width(""), 0);
    /* padding: a Chinese and a Latin name end in the same column */
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    ck_assert_ptr_nonnull(f);
    mi_pad(f, "打卡二十一天", 14);
    fputs("|\n", f);
    mi_pad(f, "baseline", 14);
    fputs("|\n", f);
    fclose(f);
    ck_assert_str_eq(buf, "打卡二十一天  |\nbaseline      |\n");
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metinfo");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_metric_has_a_row);
    tcase_add_test(tc, formats_and_verdicts);
    tcase_add_test(tc, display_width);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
