/* fuzz_cfgwrite.c -- fuzz target: the calibrated-scenario writer
 * (fit_write_scenario, models/cfgwrite.c).  One input gives a group name,
 * the `# Log:` origin line, a note beside a setting (NUL-separated, any
 * bytes), the UTC offset and six fitted values.  Checked: the text loads as
 * a scenario; scenario.name is the group's name cut on a character boundary
 * (cw_shorten) plus " (calibrated)"; and apart from the name its effective
 * settings equal those of the same values written with harmless strings (no
 * setting, include or arm injected, none lost).  Seeds: fuzz/corpus/cfgwrite/.
 * cfw_roundtrip() is shared with tests/test_cfgwrite.c. */
#include "fuzz_common.h"

#include <math.h>

#include "cal.h"
#include "cfgwrite.h"
#include "fit.h"
#include "scenario.h"

/* The settings a case sets, with bounds inside the loader's. */
static const struct { const char *path; double lo, hi; int integer; } cfw_set[] = {
    {"members.rate_mean", 0, 1000, 0},   {"members.rate_shape", 0.01, 100, 0}, {"members.leave_rate", 0, 10, 0},
    {"joins.rate", 0, 10000, 0},         {"replies.branching", 0, 0.99, 0},    {"group.size", 2, 500, 1},
};
#define CFW_NSET ((int)(sizeof cfw_set / sizeof cfw_set[0]))

typedef struct cfw_case {
    const char *name, *origin, *note; /* group name (log), origin (may be NULL), note beside the first value */
    int32_t utc_offset;               /* seconds, |x| <= 14 h */
    double frac[CFW_NSET];            /* each value as a fraction 0..1 of its bounds */
} cfw_case;

/* Write c as a calibrated scenario to scratch/file, load it; *out the
 * scenario or NULL with why. */
static int cfw_write_load(const cfw_case *c, const char *name, const char *origin, const char *note, const char *file,
                          scenario **out, char *why, size_t n)
{
    *out = NULL;
    fit_result *r = calloc(1, sizeof *r);
    fit_log *lg = NULL;
    if (!r || fit_log_new(&lg, 1767225600, c->utc_offset, 28, 1) != 0) abort();
    snprintf(lg->name, sizeof lg->name, "%s", name);
    r->from_ts = 1767225600;          /* 2026-01-01 */
    r->to_ts = r->from_ts + 28 * 86400;
    r->days = 28;
    r->eng_tau = 14;
    for (int h = 0; h < 24; h++) { r->daily[h] = 0.5 + h / 23.0; r->daily_se[h] = 0.01; }
    for (int d = 0; d < 7; d++) { r->weekly[d] = 0.8 + d / 15.0; r->weekly_se[d] = 0.01; }
    for (int i = 0; i < CFW_NSET; i++) {
        fit_value *v = &r->val[r->nval++];
        v->path = cfw_set[i].path;
        double f = c->frac[i] >= 0 && c->frac[i] <= 1 ? c->frac[i] : 0.5;
        v->v = cfw_set[i].lo + f * (cfw_set[i].hi - cfw_set[i].lo);
        if (cfw_set[i].integer) v->v = round(v->v);
        v->integer = cfw_set[i].integer;
        v->se = i % 2 ? NAN : 0.1;
        v->kind = FIT_V_FITTED;
        if (i == 0 && note) snprintf(v->note, sizeof v->note, "%s", note);
    }
    char path[900];
    snprintf(path, sizeof path, "%s/%s", fz_scratch(), file);
    FILE *f = fopen(path, "w");
    if (!f) abort();
    int wrc = fit_write_scenario(r, lg, origin, 30, f);
    fclose(f);
    free(r);
    fit_log_free(lg);
    if (wrc != 0) { snprintf(why, n, "write failed"); return -1; }
    char err[1024];
    if (scen_load(out, path, err, sizeof err) != 0) { snprintf(why, n, "does not load: %s", err); return -1; }
    return 0;
}

/* 0 when case c round-trips (see the top), else -1 and why. */
static int cfw_roundtrip(const cfw_case *c, char *why, size_t n)
{
    scenario *s = NULL, *ref = NULL;
    int rc = -1;
    if (cfw_write_load(c, c->name, c->origin, c->note, "cw.cfg", &s, why, n) != 0) goto out;
    if (cfw_write_load(c, "ref", "ref", c->note ? "ref" : NULL, "cw_ref.cfg", &ref, why, n) != 0) goto out;
    char want[OPT_STR_MAX];
    size_t k = cw_shorten(want, sizeof want, c->name[0] ? c->name : "live", OPT_STR_MAX - sizeof " (calibrated)");
    snprintf(want + k, sizeof want - k, " (calibrated)");
    if (strcmp(s->run.name, want) != 0) {
        snprintf(why, n, "scenario.name is \"%s\", want \"%s\"", s->run.name, want);
        goto out;
    }
    if (s->narms != 1 || s->ntargets != 0) { snprintf(why, n, "%d arms, %d targets", s->narms, s->ntargets); goto out; }
    memcpy(ref->run.name, s->run.name, sizeof ref->run.name);
    char *a = scen_settings_text(s, 0), *b = scen_settings_text(ref, 0);
    if (!a || !b) abort();
    if (strcmp(a, b) != 0) snprintf(why, n, "settings differ from the reference:\n%s\n---\n%s", a, b);
    else rc = 0;
    free(a);
    free(b);
out:
    scen_free(s);
    scen_free(ref);
    return rc;
}

int qs_fuzz_cfgwrite(const uint8_t *data, size_t size);
int qs_fuzz_cfgwrite(const uint8_t *data, size_t size)
{
    char str[3][256];
    size_t p = 0;
    for (int i = 0; i < 3; i++) { /* three NUL-terminated strings, each at most 255 bytes */
        size_t k = 0;
        while (p < size && data[p] && k < sizeof str[i] - 1) str[i][k++] = (char)data[p++];
        str[i][k] = 0;
        while (p < size && data[p]) p++;
        if (p < size) p++;
    }
    cfw_case c = {str[0], str[1][0] ? str[1] : NULL, str[2], 0, {0}};
    if (p < size) c.utc_offset = ((int32_t)(data[p++] % 113) - 56) * 900; /* -14:00 .. +14:00 */
    for (int i = 0; i < CFW_NSET; i++) {
        uint32_t u = 0;
        for (int b = 0; b < 4; b++) u = u << 8 | (p < size ? data[p++] : 0x80);
        c.frac[i] = u / 4294967295.0;
    }
    char why[4096];
    FZ_CHECK(cfw_roundtrip(&c, why, sizeof why) == 0, "%s", why);
    return 0;
}

#ifdef QS_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return qs_fuzz_cfgwrite(data, size); }
#endif
