/* test_cfgwrite.c -- models/cfgwrite.c and the calibrated-scenario writer
 * (fit_write_scenario): hostile group names, origins and notes written and
 * loaded back (issue 15, items 1 and 2).  The round trip is the fuzz
 * target's (fuzz/fuzz_cfgwrite.c), so a case here and a fuzz input are
 * checked the same way. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/fuzz_cfgwrite.c"

static const cfw_case base = {"g", "results.db, run 1 (source csv), group 1 \"g\"", "", 8 * 3600,
                              {0.1, 0.2, 0.3, 0.4, 0.5, 0.6}};

static void roundtrip(const char *name, const char *origin, const char *note)
{
    cfw_case c = base;
    c.name = name;
    c.origin = origin;
    c.note = note;
    char why[4096];
    ck_assert_msg(cfw_roundtrip(&c, why, sizeof why) == 0, "name \"%s\": %s", name, why);
}

/* The issue's case: a newline in the name ended the `# Log:` comment and
 * injected invites; an injected @include was followed. */
static const char *const hostile[] = {
    "BC\ninvites={mean=50.0;accept=1.0;};\n#",
    "x\n@include \"/etc/passwd\"\n",
    "x\r\n@include \"/etc/passwd\"\n#",
    "\"; invites = { mean = 50.0; }; x = \"",
    "trailing backslash \\",
    "\\\" \\\\ \\n \\x41",
    "*/ invites = { mean = 50.0; }; /*",
    "// ; # ; /* ; \t tab \x01\x02\x1b[31m \x7f",
    "\xff\xfe invalid \xc3( utf-8 \xed\xa0\x80 surrogate \xc0\xaf overlong",
    "读书会🍵「测试」\"引号\"\n换行",
    "",
    NULL,
};

START_TEST(hostile_names_round_trip)
{
    for (int i = 0; hostile[i]; i++) {
        roundtrip(hostile[i], hostile[i], hostile[i]); /* in the name, the origin comment and a note */
        roundtrip("plain", hostile[i], "");
    }
}
END_TEST

/* Issue item 2: a Chinese name of 21 characters (63 bytes) made
 * scenario.name too long; any length now loads, cut on a character. */
START_TEST(long_names_are_cut_on_a_character)
{
    char name[400] = "";
    for (int n = 0; n < 60; n++) {
        strcat(name, n % 3 ? "群" : "a"); /* 1- and 3-byte characters mixed */
        roundtrip(name, NULL, NULL);
    }
    char out[OPT_STR_MAX];
    /* 21 Chinese characters: 63 bytes, cut to 16 characters (48 <= 50 bytes) */
    const char *cn21 = "一二三四五六七八九十一二三四五六七八九十一";
    ck_assert_uint_eq(strlen(cn21), 63);
    ck_assert_uint_eq(cw_shorten(out, sizeof out, cn21, 50), 48);
    ck_assert_str_eq(out, "一二三四五六七八九十一二三四五六");
    ck_assert_int_eq(cw_utf8_valid(out, NULL), 1);
    /* a 4-byte character at the cut is dropped whole */
    ck_assert_uint_eq(cw_shorten(out, sizeof out, "abc🍵d", 5), 3);
    ck_assert_str_eq(out, "abc");
    /* invalid bytes become '?', never passed on */
    ck_assert_uint_eq(cw_shorten(out, sizeof out, "a\xff\xc3", 50), 3);
    ck_assert_str_eq(out, "a??");
    /* the destination's size bounds the cut too */
    char small[4];
    ck_assert_uint_eq(cw_shorten(small, sizeof small, "群群", 50), 3);
    ck_assert_str_eq(small, "群");
}
END_TEST

START_TEST(utf8_validation)
{
    size_t bad = 99;
    ck_assert_int_eq(cw_utf8_valid("plain 群 🍵", NULL), 1);
    ck_assert_int_eq(cw_utf8_valid("ab\xff", &bad), 0);
    ck_assert_uint_eq(bad, 2);
    ck_assert_int_eq(cw_utf8_valid("\xe7\xbe", &bad), 0); /* cut short */
    ck_assert_uint_eq(bad, 0);
    ck_assert_int_eq(cw_utf8_valid("\xc0\x80", NULL), 0);         /* overlong NUL */
    ck_assert_int_eq(cw_utf8_valid("\xe0\x80\xaf", NULL), 0);     /* overlong '/' */
    ck_assert_int_eq(cw_utf8_valid("\xed\xa0\x80", NULL), 0);     /* surrogate */
    ck_assert_int_eq(cw_utf8_valid("\xf4\x90\x80\x80", NULL), 0); /* beyond U+10FFFF */
    ck_assert_int_eq(cw_utf8_valid("\xf4\x8f\xbf\xbf", NULL), 1); /* U+10FFFF */
}
END_TEST

/* The escaped forms themselves: what libconfig must read back. */
START_TEST(string_and_comment_forms)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    cw_put_string(f, "a\"b\\c\nd\x01\x7f群");
    fputc('|', f);
    cw_put_comment(f, "x\ny\rz\x01\xff群");
    fclose(f);
    ck_assert_str_eq(buf, "\"a\\\"b\\\\c\\nd\\x01\\x7F群\"|x y z ?群");
    free(buf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cfgwrite");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, hostile_names_round_trip);
    tcase_add_test(tc, long_names_are_cut_on_a_character);
    tcase_add_test(tc, utf8_validation);
    tcase_add_test(tc, string_and_comment_forms);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
