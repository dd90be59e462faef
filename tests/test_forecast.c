/* test_forecast.c -- forecasting from a group's observed state
 * (models/state.h, the com_init hook of models/community.h) and the
 * forecast/backtest commands driven as a user would:
 *  a. state_build on a hand-made log: who is present at the date, the
 *     model's layout, the posterior of each rate, engagement from recency;
 *  b. the hook: members started from given rates post at exactly those
 *     rates (Poisson count against its analytic mean, 4 standard deviations),
 *     keep their join times and count from day 0;
 *  c. `qunsim backtest` on a log the model generated: the 90% band covers
 *     the observed days (accepted: 0.60..1.00 of 2 x 21 day-values, see
 *     below), the model's MAPE below 10%;
 *  d. `qunsim calibrate --live` then `qunsim forecast` store a batch of
 *     kind 'forecast' holding the observed history (arm 'live') and the runs;
 *     a too-short window exits 2 naming the setting.
 * The binary: $QS_BIN (set by scripts/run_tests.sh), else build/qunsim.
 * Temporary files under $QS_TMP (else /tmp). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <sqlite3.h>

#include "fit.h"
#include "metrics.h"
#include "replica.h"
#include "harness.h"
#include "scenario.h"
#include "state.h"

/* ---- helpers -------------------------------------------------------------- */

static const char *tmp_base(void) { return getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp"; }

static const char *qs_bin(void)
{
    const char *b = getenv("QS_BIN");
    return b && b[0] ? b : "build/qunsim";
}

static scenario *load_text(const char *text)
{
    scenario *s = NULL;
    char err[1024];
    ck_assert_msg(th_load_text(text, &s, err, sizeof err) == 0, "scen_load: %s", err);
    return s;
}

/* Run a shell command line; returns its exit status. */
static int sh(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = calloc((size_t)n + 1, 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) b[0] = 0;
    fclose(f);
    return b;
}

/* The number after "key": in a JSON text (first occurrence), NaN if absent. */
static double json_number(const char *text, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(text, pat);
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* ---- a. the state at a date ------------------------------------------------ */

#define T0 1767542400 /* 2026-01-05 00:00 +08:00 (a Monday) */
#define DAY 86400

static void msg(ev_sink *s, int64_t ts, int64_t who, int kind)
{
    ev_rec e = {-1, ts, 1, kind, who, -1, 0};
    ck_assert_int_eq(s->event(s->ctx, &e), 0);
}

START_TEST(test_state)
{
    fit_log *lg = NULL;
    ck_assert_int_eq(fit_log_new(&lg, T0, 28800, 30, 1), 0);
    ev_sink s = fit_log_sink(lg);
    /* id, role, joined day, left day (-1) */
    const struct { int id, role, jd, ld; } m[] = {
        {10, ROLE_MEMBER, 0, -1}, /* speaks every day until the date */
        {11, ROLE_MEMBER, 0, -1}, /* spoke on days 0..4 only */
        {12, ROLE_ADMIN, 0, -1},  {13, ROLE_BOT, 0, -1},
        {14, ROLE_MEMBER, 20, -1}, /* joined late */
        {15, ROLE_MEMBER, 0, 10},  /* left before the date */
        {16, ROLE_MEMBER, 27, -1}, /* joins after the date */
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        ev_member em = {1, m[i].role, SRC_SEED, m[i].id, -1, T0 + (int64_t)m[i].jd * DAY, m[i].ld < 0 ? -1 : T0 + (int64_t)m[i].ld * DAY, 0};
        ck_assert_int_eq(s.member(s.ctx, &em), 0);
    }
    for (int d = 0; d < 30; d++) {
        int64_t noon = T0 + (int64_t)d * DAY + 12 * 3600;
        if (d < 25) msg(&s, noon, 10, EV_MESSAGE);
        if (d < 5) { msg(&s, noon + 1, 11, EV_MESSAGE); msg(&s, noon + 2, 11, EV_QUESTION); }
        msg(&s, noon + 3, 13, EV_MESSAGE); /* the bot's daily statistics */
        if (d >= 20 && d < 25) msg(&s, noon + 4, 14, EV_MESSAGE);
        if (d >= 27) msg(&s, noon + 5, 16, EV_MESSAGE);
    }
    ck_assert_int_eq(lg->failed, 0);
    state_prior pr;
    memset(&pr, 0, sizeof pr);
    pr.shape = 0.5;
    pr.mean = 1.0;
    pr.branching = 0; /* unlinked messages count fully as own posts */
    pr.reply_shape = 1;
    pr.eng_mean = 0.4;
    for (int h = 0; h < 24; h++) pr.daily[h] = 1;
    for (int k = 0; k < 7; k++) pr.weekly[k] = 1;
    state_opts so;
    state_opts_init(&so);
    so.memory = 0; /* no discount: the posterior is plain */
    so.engagement = STATE_ENG_PROXY;
    com_init *ci = NULL;
    state_info info;
    char err[256];
    int64_t at = T0 + 25 * DAY;
    ck_assert_msg(state_build(lg, at, &pr, &so, &ci, &info, err, sizeof err) == 0, "%s", err);
    /* present: 10, 11, 12, 13, 14; the admin plays the owner (none in the log) */
    ck_assert_int_eq(ci->n, 5);
    ck_assert_int_eq(info.owner_promoted, 1);
    ck_assert_int_eq(ci->m[0].role, ROLE_OWNER);
    ck_assert_int_eq(ci->m[1].role, ROLE_BOT);
    ck_assert_int_eq(ci->m[2].role, ROLE_MEMBER);
    ck_assert_int_eq(info.bots, 1);
    ck_assert_int_eq(info.admins, 0);
    /* members in join order: 10, 11 (day 0), then 14 (day 20) */
    ck_assert(ci->m[4].joined == -5.0 * DAY);
    ck_assert(ci->m[2].joined == -25.0 * DAY);
    /* posteriors: shape + count, shape / mean + days present (flat profile) */
    ck_assert(fabs(ci->m[2].rate_a - (0.5 + 25)) < 1e-9 || fabs(ci->m[3].rate_a - (0.5 + 25)) < 1e-9);
    const com_init_member *a10 = fabs(ci->m[2].rate_a - 25.5) < 1e-9 ? &ci->m[2] : &ci->m[3];
    const com_init_member *a11 = a10 == &ci->m[2] ? &ci->m[3] : &ci->m[2];
    ck_assert(fabs(a10->rate_b - (0.5 + 25)) < 1e-6);
    ck_assert(fabs(a11->rate_a - (0.5 + 10)) < 1e-9); /* messages and questions are own posts */
    ck_assert(fabs(ci->m[4].rate_a - (0.5 + 5)) < 1e-9);
    ck_assert(fabs(ci->m[4].rate_b - (0.5 + 5)) < 1e-6);
    ck_assert(ci->m[1].rate_a == 0 && ci->m[1].rate_b == 0); /* the bot posts nothing */
    /* engagement: who spoke yesterday above who fell silent 20 days ago */
    ck_assert_msg(a10->eng > a11->eng + 0.2, "recent %g, silent %g", a10->eng, a11->eng);
    ck_assert(a11->eng >= so.eng_floor);
    /* the mean instead of the proxy */
    state_free(ci);
    so.engagement = STATE_ENG_MEAN;
    ck_assert_int_eq(state_build(lg, at, &pr, &so, &ci, &info, err, sizeof err), 0);
    ck_assert(ci->m[2].eng == 0.4 && ci->m[3].eng == 0.4);
    state_free(ci);
    /* a date before the log: refused */
    ck_assert_int_eq(state_build(lg, T0, &pr, &so, &ci, &info, err, sizeof err), -1);
    fit_log_free(lg);
}
END_TEST

/* ---- b. the hook ------------------------------------------------------------ */

START_TEST(test_hook_rates)
{
    scenario *sc = load_text(
        "scenario = { name = \"hook\"; start = \"2026-03-02\"; days = 20; seed = 9; reps = 2; events = false; };\n"
        "members = { leave_rate = 0.0; question_share = 0.0; ugc_share = 0.0; mute_rate = 0.0; overload_leave = 0.0;\n"
        "  engagement_tau = 20.0; belonging_tau = 1e9; silent_below = 0.0; };\n"
        "replies = { branching = 0.0; };\n"
        "questions = { answer_rate = 0.0; };\n"
        "roles = { welcome_prob = 0.0; };\n"
        "operator = { hours = []; types = []; };\n"
        "joins = { rate = 0.0; };\n"
        "arms = ( { name = \"baseline\"; } );\n");
    enum { N = 60 };
    com_init_member im[N];
    memset(im, 0, sizeof im);
    double sum = 0;
    for (int i = 0; i < N; i++) {
        im[i].role = i == 0 ? ROLE_OWNER : ROLE_MEMBER;
        im[i].source = SRC_SEED;
        im[i].joined = -(double)(i + 1) * DAY;
        im[i].eng = 0.2 + 0.01 * i; /* posting is rate_b whatever the engagement */
        im[i].rate_a = 0;
        im[i].rate_b = 0.5 + i / 20.0;
        sum += im[i].rate_b;
    }
    com_init ci = {N, im};
    com_params *p = &sc->arms[0].com;
    p->init = &ci;
    p->group.size = N;
    p->group.admins = p->group.kols = p->group.bots = p->group.helpers = 0;
    met_t *met = NULL;
    char err[512];
    ck_assert_msg(rep_run(sc, 0, 0, NULL, &met, NULL, err, sizeof err) == 0, "%s", err);
    double msgs = 0, m0 = NAN, j0 = NAN;
    for (int d = 0; d < 20; d++) {
        double v = 0;
        ck_assert_int_eq(met_get_daily(met, 0, d, "messages", &v), 0);
        msgs += v;
    }
    met_get_daily(met, 0, 0, "members", &m0);
    met_get_daily(met, 0, 0, "joins", &j0);
    /* Poisson with mean sum x 20 days: 4 standard deviations */
    double mean = sum * 20;
    ck_assert_msg(fabs(msgs - mean) < 4 * sqrt(mean), "messages %g, expected %g", msgs, mean);
    ck_assert(m0 == N);
    ck_assert_msg(j0 == 0, "members who joined before the start are no joiners of day 0 (%g)", j0);
    met_close(met);
    /* drawn per replication from Gamma(a, b): the mean over the 2 x 20 days
     * of 60 members is near a / b (the draws differ between replications) */
    for (int i = 0; i < N; i++) { im[i].rate_a = 4; im[i].rate_b = 4; }
    double tot[2];
    for (int r = 0; r < 2; r++) {
        ck_assert_int_eq(rep_run(sc, 0, r, NULL, &met, NULL, err, sizeof err), 0);
        met_get(met, 0, "messages_per_day", &tot[r]);
        met_close(met);
    }
    /* per replication: sum of 60 Gamma(4, 4) has sd sqrt(60 / 4) ~ 3.9 on a mean of 60, plus Poisson noise */
    for (int r = 0; r < 2; r++) ck_assert_msg(fabs(tot[r] - 60) < 4 * sqrt(60.0 / 4 + 60.0 / 20), "replication %d: %g/day", r, tot[r]);
    ck_assert(tot[0] != tot[1]);
    scen_free(sc);
}
END_TEST

/* ---- c, d. the commands ------------------------------------------------------ */

static const char *log_cfg =
    "scenario = { name = \"live\"; start = \"2026-01-05\"; days = 77; seed = 21; reps = 1; events = true; };\n"
    "group = { size = 250; admins = 2; };\n"
    "members = { rate_mean = 1.2; rate_shape = 0.6; engagement_a = 70000.0; engagement_b = 30000.0;\n"
    "  belonging_init = 1.0; belonging_tau = 1e9; leave_rate = 0.1; question_share = 0.1;\n"
    "  mute_rate = 0.0; overload_leave = 0.0; silent_below = 0.0; };\n"
    "replies = { branching = 0.3; decay = 10.0; boost = 0.0; responder_boost = 0.0; };\n"
    "questions = { boost = 0.0; };\n"
    "roles = { welcome_prob = 0.0; };\n"
    "operator = { hours = []; types = []; };\n"
    "joins = { rate = 2.0; qr_share = 0.0; };\n"
    "arms = ( { name = \"baseline\"; } );\n";

static char dir[600];

static void make_log(void)
{
    snprintf(dir, sizeof dir, "%s/test_forecast.XXXXXX", tmp_base());
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[700], cmd[2400];
    snprintf(path, sizeof path, "%s/log.cfg", dir);
    FILE *f = fopen(path, "w");
    fputs(log_cfg, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --reps 1 --out '%s/log' --quiet --no-plot > /dev/null", qs_bin(), path, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
}

static void cleanup(void)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (sh(cmd) != 0) fprintf(stderr, "test_forecast: could not remove %s\n", dir);
}

START_TEST(test_backtest)
{
    make_log();
    char cmd[2400], out[700];
    snprintf(out, sizeof out, "%s/bt.json", dir);
    /* 56 days of history, 21 days ahead, 100 replications */
    snprintf(cmd, sizeof cmd, "'%s' backtest --live '%s/log/results.db' --at 2026-03-02 --days 21 --reps 100 --threads 2 --format json > '%s'",
             qs_bin(), dir, out);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    char *j = slurp(out);
    double cov = json_number(j, "coverage90"), mape_d = json_number(j, "dau_mape"), mape_m = json_number(j, "messages_mape");
    /* The band is the 5%..95% range of 100 replications: its expected
     * coverage of a new draw is 0.9 x 99/101 = 0.88.  Measured over this
     * log with 10 seeds: mean 0.87, sd 0.075 (wider than the binomial 0.05
     * of 42 independent day-values: days share a replication's member
     * rates), lowest 0.71.  Accepted: 0.60 (3.5 sd below) to 1.  A level
     * 20% off would cover about a fifth (2 sd of daily messages, 3.7 of
     * daily speakers away), so the check can fail. */
    ck_assert_msg(cov >= 0.60 && cov <= 1.0, "coverage of the 90%% band %g\n%s", cov, j);
    ck_assert_msg(mape_d < 0.10 && mape_m < 0.10, "MAPE dau %g, messages %g", mape_d, mape_m);
    ck_assert_msg(strstr(j, "\"last_week\"") && strstr(j, "\"exp_decay\""), "baselines missing");
    free(j);
    /* the table names the three rows */
    snprintf(cmd, sizeof cmd, "'%s' backtest --live '%s/log/results.db' --at 2026-03-02 --days 14 --reps 10 > '%s'", qs_bin(), dir, out);
    ck_assert_int_eq(sh(cmd), 0);
    j = slurp(out);
    ck_assert_msg(strstr(j, "qunsim (median of runs)") && strstr(j, "last week repeated") && strstr(j, "exponential decay") &&
                      strstr(j, "Holt-Winters"),
                  "%s", j);
    free(j);
    cleanup();
}
END_TEST

START_TEST(test_calibrate_forecast)
{
    make_log();
    char cmd[2400], err_path[700];
    snprintf(err_path, sizeof err_path, "%s/err.txt", dir);
    /* a week is too short for... less than a week: exit 2 naming the setting */
    snprintf(cmd, sizeof cmd, "'%s' calibrate --live '%s/log/results.db' --from 2026-01-05 --to 2026-01-09 > /dev/null 2> '%s'", qs_bin(), dir,
             err_path);
    ck_assert_int_eq(sh(cmd), 2);
    char *e = slurp(err_path);
    ck_assert_msg(strstr(e, "setting \"cadence.weekly\""), "%s", e);
    free(e);
    /* calibrate on the first 8 weeks, forecast 2 weeks from there */
    snprintf(cmd, sizeof cmd, "'%s' calibrate --live '%s/log/results.db' --to 2026-03-01 --out '%s/cal.cfg' 2> /dev/null", qs_bin(), dir, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    snprintf(cmd, sizeof cmd, "'%s' check '%s/cal.cfg' > /dev/null", qs_bin(), dir);
    ck_assert_msg(sh(cmd) == 0, "the calibrated scenario does not load");
    snprintf(cmd, sizeof cmd,
             "'%s' forecast '%s/cal.cfg' --live '%s/log/results.db' --at 2026-03-02 --days 14 --reps 4 --out '%s/fc' --quiet",
             qs_bin(), dir, dir, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    char path[700];
    snprintf(path, sizeof path, "%s/fc/results.db", dir);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(q_int(db, "SELECT COUNT(*) FROM batches WHERE kind = 'forecast'"), 1);
    ck_assert_int_eq(q_int(db, "SELECT COUNT(*) FROM runs WHERE arm = 'live' AND source = 'log' AND batch_id = 1"), 1);
    ck_assert_int_eq(q_int(db, "SELECT COUNT(*) FROM runs WHERE source = 'sim' AND batch_id = 1 AND arm = 'baseline'"), 4);
    /* the history: 77 days of daily metrics; the forecast: 14 days from the date */
    ck_assert_int_eq(q_int(db, "SELECT COUNT(DISTINCT day) FROM daily d JOIN runs r USING (run_id) WHERE r.arm = 'live' AND metric = 'dau'"), 77);
    ck_assert_int_eq(q_int(db, "SELECT COUNT(*) FROM daily d JOIN runs r USING (run_id) WHERE r.source = 'sim' AND metric = 'dau'"
                               " AND group_id = 0 AND day >= '2026-03-02' AND day <= '2026-03-15'"),
                     4 * 14);
    /* members at the start are the log's: none joins on day 0 in the forecast */
    ck_assert_int_eq(q_int(db, "SELECT MAX(value) FROM daily d JOIN runs r USING (run_id) WHERE r.source = 'sim' AND metric = 'joins'"
                               " AND group_id = 0 AND day = '2026-03-02'") < 20, 1);
    sqlite3_close(db);
    /* without --out: into the live database */
    snprintf(cmd, sizeof cmd, "'%s' forecast '%s/cal.cfg' --live '%s/log/results.db' --at 2026-03-02 --days 7 --reps 2 --quiet", qs_bin(), dir,
             dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(path, sizeof path, "%s/log/results.db", dir);
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(q_int(db, "SELECT COUNT(*) FROM runs r JOIN batches b USING (batch_id) WHERE b.kind = 'forecast'"), 3);
    sqlite3_close(db);
    /* --format csv and json: one row / object per arm */
    snprintf(cmd, sizeof cmd, "'%s' forecast '%s/cal.cfg' --live '%s/log/results.db' --at 2026-03-02 --days 3 --reps 2 --format csv > '%s/fc.csv'",
             qs_bin(), dir, dir, dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(path, sizeof path, "%s/fc.csv", dir);
    char *csv = slurp(path);
    ck_assert_msg(!strncmp(csv, "arm,speakers_median,speakers_lo90,speakers_hi90,", 48) && strstr(csv, "\nbaseline,"), "%s", csv);
    free(csv);
    snprintf(cmd, sizeof cmd, "'%s' forecast '%s/cal.cfg' --live '%s/log/results.db' --at 2026-03-02 --days 3 --reps 2 --format json > '%s/fc.json'",
             qs_bin(), dir, dir, dir);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(path, sizeof path, "%s/fc.json", dir);
    csv = slurp(path);
    ck_assert_msg(strstr(csv, "\"arm\": \"baseline\"") && json_number(csv, "median") > 0, "%s", csv);
    free(csv);
    /* an --at outside the log: exit 2 */
    snprintf(cmd, sizeof cmd, "'%s' forecast '%s/cal.cfg' --live '%s/log/results.db' --at 2027-01-01 --days 7 2> /dev/null", qs_bin(), dir, dir);
    ck_assert_int_eq(sh(cmd), 2);
    cleanup();
}
END_TEST


/* With the second model's mechanisms off (--classic: the first model's
 * calibration and state) the forecast is today's, bit for bit: the daily
 * median and band of a backtest equal those qunsim 0.1 printed for the
 * same log (tests/golden/backtest_classic.txt, written by that release). */
START_TEST(test_classic_golden)
{
    make_log();
    char cmd[2400], out[700];
    snprintf(out, sizeof out, "%s/bt.json", dir);
    snprintf(cmd, sizeof cmd,
             "'%s' backtest --live '%s/log/results.db' --at 2026-03-02 --days 21 --reps 20 --threads 2 --classic --format json > '%s'",
             qs_bin(), dir, out);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    char *j = slurp(out), *g = slurp("tests/golden/backtest_classic.txt");
    ck_assert_ptr_nonnull(g);
    const char *keys[6] = {"\"dau_median\"", "\"dau_lo90\"", "\"dau_hi90\"", "\"messages_median\"", "\"messages_lo90\"", "\"messages_hi90\""};
    char line[400];
    const char *gp = g, *jp = strstr(j, "\"daily\"");
    ck_assert_ptr_nonnull(jp);
    int days = 0;
    for (const char *nl; (nl = strchr(gp, '\n')); gp = nl + 1) {
        if (*gp == '#') continue;
        size_t len = 0;
        line[0] = 0;
        for (int k = 0; k < 6; k++) {
            const char *at = strstr(jp, keys[k]);
            ck_assert_msg(at != NULL, "day %d: %s missing", days, keys[k]);
            double v = strtod(at + strlen(keys[k]) + 1, NULL);
            len += (size_t)snprintf(line + len, sizeof line - len, "%s%.6g", k ? " " : "", v);
            if (k == 5) jp = at + 1;
        }
        ck_assert_msg(strncmp(line, gp, (size_t)(nl - gp)) == 0 && (size_t)(nl - gp) == len, "day %d: %s, qunsim 0.1: %.*s", days, line,
                      (int)(nl - gp), gp);
        days++;
    }
    ck_assert_int_eq(days, 21);
    free(j);
    free(g);
    cleanup();
}
END_TEST

/* The working-week group of the issue: 30 members with gamma rates posting
 * 09:00-17:00 on weekdays only, 0-3 replies within minutes, 91 days.  The
 * first model failed to calibrate it ("replies.branching: cannot be
 * identified"); now the 63 days before day 63 calibrate, forecast 28 days,
 * and beat last week repeated on daily active speakers. */
static const char *week_cfg =
    "scenario = { name = \"office\"; start = \"2026-01-05\"; days = 91; seed = 5; reps = 1; events = true; };\n"
    "group = { size = 30; admins = 1; };\n"
    "members = { rate_mean = 2.0; rate_shape = 1.5; engagement_a = 1000000.0; engagement_b = 0.01; engagement_tau = 1e9;\n"
    "  belonging_tau = 1e9; leave_rate = 0.0; question_share = 0.05; mute_rate = 0.0; overload_leave = 0.0; silent_below = 0.0; };\n"
    "cadence = { daily = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];\n"
    "  weekly = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]; };\n"
    "replies = { branching = 0.5; decay = 2.0; boost = 0.0; responder_boost = 0.0; };\n"
    "questions = { answer_rate = 0.0; boost = 0.0; };\n"
    "roles = { welcome_prob = 0.0; };\n"
    "operator = { hours = []; types = []; };\n"
    "joins = { rate = 0.0; };\n"
    "arms = ( { name = \"baseline\"; } );\n";

START_TEST(test_working_week)
{
    snprintf(dir, sizeof dir, "%s/test_forecast.XXXXXX", tmp_base());
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[700], cmd[2400], out[700];
    snprintf(path, sizeof path, "%s/office.cfg", dir);
    FILE *f = fopen(path, "w");
    fputs(week_cfg, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --reps 1 --out '%s/log' --quiet --no-plot > /dev/null", qs_bin(), path, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    /* day 63 is 2026-03-09 */
    snprintf(out, sizeof out, "%s/bt.json", dir);
    snprintf(cmd, sizeof cmd, "'%s' backtest --live '%s/log/results.db' --at 2026-03-09 --days 28 --history 63d --reps 60 --threads 2 --format json > '%s'",
             qs_bin(), dir, out);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    char *j = slurp(out);
    const char *lw = strstr(j, "\"last_week\"");
    ck_assert_ptr_nonnull(lw);
    double m = json_number(j, "dau_mape"), l = json_number(lw, "dau_mape");
    ck_assert_msg(m < l, "dau MAPE qunsim %g, last week repeated %g\n%s", m, l, j);
    free(j);
    cleanup();
}
END_TEST

/* ---- members who leave and come back -------------------------------------- */

/* A log the model generated with leaving and rejoining switched on (250
 * members, leave hazard 0.4 x (1 - e)^2 at e ~ 0.7: about 9 leaves a day
 * early on; rejoin hazard 0.05 a day, so an absence lasts 20 days on
 * average): calibrate recovers members.rejoin_rate within 3 of its standard
 * errors (the rejoins are Poisson given the days at risk, so the MLE's error
 * is its sd; the check fails for a rate 30% off). */
static const char *rejoin_cfg =
    "scenario = { name = \"churn\"; start = \"2026-01-05\"; days = 77; seed = 23; reps = 1; events = true; };\n"
    "group = { size = 250; admins = 2; };\n"
    "members = { rate_mean = 1.2; rate_shape = 0.6; engagement_a = 70000.0; engagement_b = 30000.0;\n"
    "  belonging_init = 1.0; belonging_tau = 1e9; leave_rate = 0.4; rejoin_rate = 0.05; question_share = 0.1;\n"
    "  mute_rate = 0.0; overload_leave = 0.0; silent_below = 0.0; };\n"
    "replies = { branching = 0.3; decay = 10.0; boost = 0.0; responder_boost = 0.0; };\n"
    "questions = { boost = 0.0; };\n"
    "roles = { welcome_prob = 0.0; };\n"
    "operator = { hours = []; types = []; };\n"
    "joins = { rate = 0.0; };\n"
    "arms = ( { name = \"baseline\"; } );\n";

/* The value and the standard error calibrate wrote for a setting
 * ("name = v; # se s: ..." in the scenario file). */
static int cfg_value(const char *text, const char *name, double *v, double *se)
{
    char pat[96];
    snprintf(pat, sizeof pat, "  %s = ", name);
    const char *p = strstr(text, pat);
    if (!p) return -1;
    *v = strtod(p + strlen(pat), NULL);
    const char *eol = strchr(p, '\n'), *q = strstr(p, "+/- ");
    *se = q && (!eol || q < eol) ? strtod(q + 4, NULL) : NAN;
    return 0;
}

/* One row of a chat-log CSV (ts,group,sender,kind,text): its UTC timestamp,
 * then the rest as fmt says. */
static void csv_row(FILE *f, int64_t ts, const char *fmt, ...)
{
    char t[40];
    time_t tt = (time_t)ts;
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
    fprintf(f, "%s,", t);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}

/* A number of the first data row of a CSV text, by its header's name. */
static double csv_field(const char *text, const char *name)
{
    const char *row = strchr(text, '\n');
    if (!row) return NAN;
    row++;
    int col = 0;
    size_t len = strlen(name);
    const char *h = text;
    for (; h < row; col++) {
        const char *e = strpbrk(h, ",\n");
        if ((size_t)(e - h) == len && !strncmp(h, name, len)) break;
        h = e + 1;
    }
    if (h >= row) return NAN;
    for (int k = 0; k < col && row; k++) row = strchr(row, ',') ? strchr(row, ',') + 1 : NULL;
    return row ? strtod(row, NULL) : NAN;
}

START_TEST(test_rejoin_recovery)
{
    snprintf(dir, sizeof dir, "%s/test_forecast.XXXXXX", tmp_base());
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[700], cmd[2400];
    snprintf(path, sizeof path, "%s/churn.cfg", dir);
    FILE *f = fopen(path, "w");
    fputs(rejoin_cfg, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --reps 1 --out '%s/log' --quiet --no-plot > /dev/null", qs_bin(), path, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    /* the log holds rejoins as spells */
    snprintf(path, sizeof path, "%s/log/results.db", dir);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    int64_t rejoins = q_int(db, "SELECT COUNT(*) FROM spells WHERE spell > 0");
    sqlite3_close(db);
    ck_assert_msg(rejoins >= 50, "only %lld rejoins in the generated log", (long long)rejoins);
    snprintf(cmd, sizeof cmd, "'%s' calibrate --live '%s/log/results.db' --to 2026-03-09 --out '%s/cal.cfg' 2> /dev/null", qs_bin(), dir, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    snprintf(path, sizeof path, "%s/cal.cfg", dir);
    char *t = slurp(path);
    double v = NAN, se = NAN;
    ck_assert_msg(cfg_value(t, "rejoin_rate", &v, &se) == 0, "no rejoin_rate in\n%s", t);
    ck_assert_msg(se > 0 && fabs(v - 0.05) <= 3 * se, "rejoin_rate %g (se %g), true 0.05", v, se);
    free(t);
    cleanup();
}
END_TEST

/* Members who differ in how often they leave and how soon they come back:
 * the same group, 400 members over 120 days (seed 29), with
 * members.leave_shape 1 (each member's multiple of the hazard Gamma(1, 1))
 * and members.rejoin_shape 1 (hazards Gamma(1, 0.05): the model draws each
 * former's hazard as its posterior given its own absences, the predictive
 * of such a mixture).  calibrate's gamma-Poisson fits recover both shapes
 * and the mean rejoin hazard within 3 standard errors (measured: leave_shape
 * 0.86 +/- 0.09, rejoin_shape 0.94 +/- 0.12, rejoin_rate 0.0486 +/- 0.0039;
 * seeds 37, 41, 43: leave_shape 1.03, 1.03, 1.02, rejoin_shape 1.09, 1.24,
 * 1.20, rejoin_rate 0.041-0.044, about 10% low: see docs/calibration.md). */
START_TEST(test_rejoin_shape_recovery)
{
    snprintf(dir, sizeof dir, "%s/test_forecast.XXXXXX", tmp_base());
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[700], cmd[2400], cfg[4096];
    snprintf(path, sizeof path, "%s/mixed.cfg", dir);
    /* the churn group, larger, longer, with differing rejoin hazards */
    const char *c = rejoin_cfg;
    size_t k = 0;
    for (const char *p = c; *p && k + 64 < sizeof cfg; p++) {
        if (!strncmp(p, "days = 77", 9)) { k += (size_t)snprintf(cfg + k, sizeof cfg - k, "days = 120"); p += 8; }
        else if (!strncmp(p, "seed = 23", 9)) { k += (size_t)snprintf(cfg + k, sizeof cfg - k, "seed = 29"); p += 8; }
        else if (!strncmp(p, "size = 250", 10)) { k += (size_t)snprintf(cfg + k, sizeof cfg - k, "size = 400"); p += 9; }
        else if (!strncmp(p, "rejoin_rate = 0.05;", 19)) { k += (size_t)snprintf(cfg + k, sizeof cfg - k, "rejoin_rate = 0.05; rejoin_shape = 1.0; leave_shape = 1.0;"); p += 18; }
        else cfg[k++] = *p;
    }
    cfg[k] = 0;
    ck_assert_msg(strstr(cfg, "rejoin_shape = 1.0;") && strstr(cfg, "days = 120"), "%s", cfg);
    FILE *f = fopen(path, "w");
    fputs(cfg, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --reps 1 --out '%s/log' --quiet --no-plot > /dev/null", qs_bin(), path, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    snprintf(cmd, sizeof cmd, "'%s' calibrate --live '%s/log/results.db' --to 2026-05-05 --out '%s/cal.cfg' 2> /dev/null", qs_bin(), dir, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    snprintf(path, sizeof path, "%s/cal.cfg", dir);
    char *t = slurp(path);
    double v = NAN, se = NAN, r = NAN, rse = NAN;
    ck_assert_msg(cfg_value(t, "rejoin_shape", &v, &se) == 0 && cfg_value(t, "rejoin_rate", &r, &rse) == 0, "no rejoin settings");
    ck_assert_msg(se > 0 && fabs(v - 1.0) <= 3 * se, "rejoin_shape %g (se %g), true 1", v, se);
    ck_assert_msg(rse > 0 && fabs(r - 0.05) <= 3 * rse, "rejoin_rate %g (se %g), true 0.05", r, rse);
    double l = NAN, lse = NAN;
    ck_assert_msg(cfg_value(t, "leave_shape", &l, &lse) == 0, "no leave_shape");
    ck_assert_msg(lse > 0 && fabs(l - 1.0) <= 3 * lse, "leave_shape %g (se %g), true 1", l, lse);
    free(t);
    cleanup();
}
END_TEST

/* The case, without any real data: 40 members posting Poisson
 * messages (rates Gamma(1, 1.5) a day) for 91 days, 16 of them leaving on
 * day 20 and rejoining on day 30, silent in between (gsl mt19937, seed 11),
 * imported from CSV.  Before spells were read the gap counted as exposure
 * and silence: the forecast fell to 0.79 of the level.  Now, 63 days of
 * history before day 63, 28 days ahead: the forecast's messages a day within
 * 25% of the observed, and its speakers' MAPE below last week repeated's. */
START_TEST(test_rejoin_forecast)
{
    snprintf(dir, sizeof dir, "%s/test_forecast.XXXXXX", tmp_base());
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[700], cmd[2400], out[700];
    snprintf(path, sizeof path, "%s/log.csv", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("ts,group,sender,kind,text\n", f);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    const int n = 40, days = 91;
    double rate[40];
    for (int i = 0; i < n; i++) rate[i] = gsl_ran_gamma(r, 1.0, 1.5);
    const int64_t t0 = 1767571200; /* 2026-01-05 00:00 UTC, a Monday */
    for (int d = 0; d < days; d++) {
        for (int i = 0; i < n; i++) {
            int64_t day0 = t0 + (int64_t)d * DAY;
            int away = i < 16 && d >= 20 && d < 30;
            if (d == 0 || (i < 16 && (d == 20 || d == 30))) {
                csv_row(f, day0 + (d == 20 ? 12 * 3600 : 60) + i, "team,m%02d,%s,", i, d == 20 ? "leave" : "join");
            }
            if (away || (i < 16 && d == 20)) continue;
            unsigned k = gsl_ran_poisson(r, rate[i]);
            for (unsigned j = 0; j < k; j++) {
                csv_row(f, day0 + 3600 + (int64_t)(gsl_rng_uniform(r) * 20 * 3600), "team,m%02d,message,hello %u", i, j);
            }
        }
    }
    gsl_rng_free(r);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' import csv '%s' --db '%s/live.db' --utc-offset +00:00 --quiet", qs_bin(), path, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    /* day 63 is 2026-03-09 */
    snprintf(out, sizeof out, "%s/bt.json", dir);
    snprintf(cmd, sizeof cmd, "'%s' backtest --live '%s/live.db' --origins 2026-03-09 --days 28 --history 63d --reps 60 --threads 2 --format csv > '%s'",
             qs_bin(), dir, out);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    /* absences, not visits: the members away come back (rejoin_rate > 0) */
    snprintf(cmd, sizeof cmd, "'%s' calibrate --live '%s/live.db' --to 2026-03-09 --out '%s/cal.cfg' 2> /dev/null", qs_bin(), dir, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    snprintf(path, sizeof path, "%s/cal.cfg", dir);
    char *c = slurp(path);
    double rv = NAN, rse = NAN;
    ck_assert_msg(cfg_value(c, "rejoin_rate", &rv, &rse) == 0 && rv > 0 && !strstr(c, "absences are visits"),
                  "the absences read as visits:\n%s", c);
    free(c);
    char *j = slurp(out);
    double fm = csv_field(j, "forecast_messages"), om = csv_field(j, "observed_messages");
    double m = csv_field(j, "model_dau_mape"), l = csv_field(j, "last_week_dau_mape");
    ck_assert_msg(fm > 0.75 * om && fm < 1.25 * om, "messages a day: forecast %g, observed %g\n%s", fm, om, j);
    ck_assert_msg(m < l, "dau MAPE qunsim %g, last week repeated %g\n%s", m, l, j);
    free(j);
    cleanup();
}
END_TEST

/* Visitors (IRC): 20 regulars present throughout, posting Poisson(gamma(1,
 * 1.5)) messages a day; 12 visitors who, on a day with probability 0.15
 * when away, join at 09:00, speak 1-3 times in the next hour, speak on a
 * later day of the visit with probability 0.1, and leave at 11:00 after 0,
 * 1 or 2 more days (probabilities 0.5, 0.3, 0.2; gsl mt19937 seed 5, 91
 * days).  Their presence is their intent to speak:
 * calibrate must find the absences visits (fit_visiting), write
 * rejoin_rate 0 and say so, and not read the visitors' days as absences. */
START_TEST(test_visits)
{
    snprintf(dir, sizeof dir, "%s/test_forecast.XXXXXX", tmp_base());
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[700], cmd[2400];
    snprintf(path, sizeof path, "%s/irc.csv", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("ts,group,sender,kind,text\n", f);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    double rate[20];
    for (int i = 0; i < 20; i++) rate[i] = gsl_ran_gamma(r, 1.0, 1.5);
    int until[12]; /* a visitor's day of leaving, -1: away */
    for (int v = 0; v < 12; v++) until[v] = -1;
    const int64_t t0 = 1767571200; /* 2026-01-05 00:00 UTC */
    for (int d = 0; d < 91; d++) {
        int64_t day0 = t0 + (int64_t)d * DAY;
        for (int i = 0; i < 20; i++) {
            if (d == 0) {
                csv_row(f, day0 + i, "chan,r%02d,join,", i);
            }
            unsigned k = gsl_ran_poisson(r, rate[i]);
            for (unsigned j = 0; j < k; j++) {
                csv_row(f, day0 + 3600 + (int64_t)(gsl_rng_uniform(r) * 20 * 3600), "chan,r%02d,message,hi %u", i, j);
            }
        }
        for (int v = 0; v < 12; v++) {
            if (until[v] > d) { /* staying: a word now and then */
                if (gsl_rng_uniform(r) < 0.1) {
                    csv_row(f, day0 + 2 * 3600 + (int64_t)(gsl_rng_uniform(r) * 3600), "chan,v%02d,message,still here", v);
                }
            } else if (until[v] == d) { /* leaves today */
                csv_row(f, day0 + 11 * 3600 + v, "chan,v%02d,leave,", v);
                until[v] = -1;
            } else if (gsl_rng_uniform(r) < 0.15) { /* comes to ask */
                csv_row(f, day0 + 9 * 3600 + v, "chan,v%02d,join,", v);
                unsigned k = 1 + (unsigned)gsl_rng_uniform_int(r, 3);
                for (unsigned j = 0; j < k; j++) {
                    csv_row(f, day0 + 9 * 3600 + 60 + (int64_t)(gsl_rng_uniform(r) * 3600), "chan,v%02d,message,question %u", v, j);
                }
                double u = gsl_rng_uniform(r);
                int stay = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
                if (stay == 0) {
                    csv_row(f, day0 + 11 * 3600 + v, "chan,v%02d,leave,", v);
                } else until[v] = d + stay;
            }
        }
    }
    gsl_rng_free(r);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' import csv '%s' --db '%s/live.db' --utc-offset +00:00 --quiet", qs_bin(), path, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    snprintf(cmd, sizeof cmd, "'%s' calibrate --live '%s/live.db' --to 2026-03-09 --out '%s/cal.cfg' 2> /dev/null", qs_bin(), dir, dir);
    ck_assert_msg(sh(cmd) == 0, "%s", cmd);
    snprintf(path, sizeof path, "%s/cal.cfg", dir);
    char *t = slurp(path);
    double v = NAN, se = NAN;
    ck_assert_msg(cfg_value(t, "rejoin_rate", &v, &se) == 0 && v == 0 && strstr(t, "absences are visits"), "visits not found: rejoin_rate %g", v);
    free(t);
    cleanup();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("forecast");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_state);
    tcase_add_test(tc, test_hook_rates);
    tcase_add_test(tc, test_backtest);
    tcase_add_test(tc, test_calibrate_forecast);
    tcase_add_test(tc, test_classic_golden);
    tcase_add_test(tc, test_working_week);
    tcase_add_test(tc, test_rejoin_recovery);
    tcase_add_test(tc, test_rejoin_forecast);
    tcase_add_test(tc, test_visits);
    tcase_add_test(tc, test_rejoin_shape_recovery);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
