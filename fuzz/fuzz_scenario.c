/* fuzz_scenario.c -- fuzz target: the scenario loader (models/scenario.c over
 * libconfig, the settings tables of models/opt.c).  One input is one
 * scenario file.  Checked: a rejected file gets a message; an accepted one
 * has 1..SCEN_MAX_ARMS arms and run settings in bounds, and the effective
 * settings of every arm (scen_settings_text) load back as a scenario with the
 * same effective settings (the text the runs table records is a scenario).
 * Seeds: fuzz/corpus/scenario/ (the shipped scenarios and hostile ones). */
#include "fuzz_common.h"
#include "scenario.h"

int qs_fuzz_scenario(const uint8_t *data, size_t size);
int qs_fuzz_scenario(const uint8_t *data, size_t size)
{
    char err[1024];
    scenario *s = NULL;
    const char *path = fz_write("s.cfg", data, size);
    err[0] = '\0';
    if (scen_load(&s, path, err, sizeof err) != 0) {
        FZ_CHECK(s == NULL && err[0] != '\0', "rejected without a message");
        return 0;
    }
    FZ_CHECK(s->narms >= 1 && s->narms <= SCEN_MAX_ARMS, "narms %d", s->narms);
    FZ_CHECK(s->run.days >= 1 && s->run.days <= 3650 && s->run.reps >= 1, "run settings");
    FZ_CHECK(s->ntargets >= 0 && s->ntargets <= SCEN_MAX_TARGETS, "targets");
    for (int a = 0; a < s->narms; a++) {
        FZ_CHECK(s->arms[a].name[0] != '\0', "arm %d has no name", a);
        FZ_CHECK(scen_arm_index(s, s->arms[a].name) == a, "arm names are unique");
    }
    /* round trip of the effective settings, for the first and last arm */
    int which[2] = {0, s->narms - 1};
    for (int k = 0; k < (s->narms > 1 ? 2 : 1); k++) {
        char *text = scen_settings_text(s, which[k]);
        FZ_CHECK(text != NULL, "settings text");
        const char *p2 = fz_write("rt.cfg", (const uint8_t *)text, strlen(text));
        scenario *s2 = NULL;
        char err2[1024];
        FZ_CHECK(scen_load(&s2, p2, err2, sizeof err2) == 0, "effective settings do not load back: %s\n%s", err2, text);
        char *text2 = scen_settings_text(s2, 0);
        FZ_CHECK(text2 && strcmp(text, text2) == 0, "effective settings differ after a round trip:\n%s\n---\n%s", text,
                 text2 ? text2 : "(null)");
        free(text2);
        scen_free(s2);
        free(text);
    }
    /* a --set of a run setting and of a model setting, as the CLI does */
    scen_set(s, "scenario.days", "2", err, sizeof err);
    scen_set(s, "members.rate_mean", "0.5", err, sizeof err);
    scen_free(s);
    return 0;
}

#ifdef QS_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return qs_fuzz_scenario(data, size); }
#endif
