/* scenario.h -- a scenario file (libconfig): run settings, the model's
 * settings, and the arms of the experiment, each arm a set of overrides.
 *
 *   scenario = { name = "..."; start = "2026-03-02"; utc_offset = "+08:00";
 *                days = 90; seed = 1; reps = 20; };
 *   members = { rate_mean = 1.2; };           # model settings (see docs)
 *   arms = ( { name = "baseline"; },
 *            { name = "checkin21"; checkin = { enabled = true; }; } );
 *
 * `@include "file"`: a relative path is resolved from the scenario file's
 * directory (not the working directory), an absolute path as it is; a path
 * that cannot be opened is an error naming the line and the path tried.
 * Includes inside an included file resolve from the scenario's directory too
 * (libconfig's include directory); only regular files are read, bounded in
 * number and bytes (SCEN_MAX_INCLUDES, SCEN_MAX_BYTES).  Every
 * setting is validated from the tables; errors read FILE:LINE: setting "x": why.
 */
#ifndef QS_SCENARIO_H
#define QS_SCENARIO_H

#include <stdint.h>

#include "cal.h"
#include "community.h"
#include "opt.h"

#define SCEN_MAX_ARMS 32
#define SCEN_MAX_BYTES (1 << 20) /* resource guard: a scenario and its includes together, repeats counted */
#define SCEN_MAX_STRING 65536   /* one string literal (libconfig scans a long one in quadratic time) */
#define SCEN_MAX_INCLUDES 64     /* @include directives followed in all (an include bomb stops here) */

typedef struct scen_run {
    char name[OPT_STR_MAX];
    char start[OPT_STR_MAX];      /* local start date YYYY-MM-DD */
    char utc_offset[OPT_STR_MAX]; /* "+08:00" */
    int days;                     /* simulated local days */
    int seed;                     /* master seed (the CLI may give a 64-bit one) */
    int reps;                     /* replications per arm */
    int events;                   /* keep the event log: 0 off, 1 on */
} scen_run;

extern const opt_row scen_opts[];

typedef struct scen_arm {
    char name[OPT_STR_MAX];
    com_params com;
} scen_arm;

/* A figure the scenario should reproduce (a reported outcome), for `qunsim
 * replay` and `qunsim calibrate`:
 *   targets = ( { arm = "checkin21"; metric = "retention_1d"; reported = 0.78;
 *                 source = "seed 五"; },
 *               { arm = "contest"; metric = "interactions_per_day";
 *                 ratio_to = "baseline"; reported = 4.0; } );
 * A rate is compared in absolute terms (tolerance default 0.03), a ratio of
 * arm means (ratio_to set) relatively (default 0.10). */
typedef struct scen_target {
    char arm[OPT_STR_MAX];
    char metric[OPT_STR_MAX];
    char ratio_to[OPT_STR_MAX]; /* "" for an absolute figure */
    char source[128];           /* where the reported figure comes from */
    double reported;
    double tolerance;           /* absolute for rates, relative for ratios */
    int is_ratio;
} scen_target;

#define SCEN_MAX_TARGETS 8

typedef struct scenario {
    char *path;         /* as given */
    char *text;         /* the file's text (for the manifest) */
    scen_run run;
    uint64_t seed;      /* master seed in effect */
    cal cal;
    int narms;
    scen_arm arms[SCEN_MAX_ARMS];
    int ntargets;
    scen_target targets[SCEN_MAX_TARGETS];
} scenario;

/* Load and validate.  Returns 0 and *out, or -1 with a one-line message in
 * err (FILE:LINE: ...).  Free with scen_free(). */
int scen_load(scenario **out, const char *path, char *err, size_t errlen);
void scen_free(scenario *s);

/* Override a setting in every arm (model settings) or the run settings
 * ("scenario.days").  Returns 0, or -1 with a message. */
int scen_set(scenario *s, const char *path, const char *value, char *err, size_t errlen);

/* Index of the arm called name, or -1. */
int scen_arm_index(const scenario *s, const char *name);

/* Effective settings of arm a as libconfig text (malloc'd; caller frees). */
char *scen_settings_text(const scenario *s, int a);

#endif
