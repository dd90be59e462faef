/* cmd_run.c -- `qunsim run` (every arm of a scenario for R replications;
 * the driver is cli/exp.c) and `qunsim check` (validate a scenario, print
 * the effective settings of each arm). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "exp.h"

int cmd_run(int argc, char **argv) { return exp_main(argc, argv, EXP_RUN); }

int cmd_check(int argc, char **argv)
{
    exp_args a;
    int rc = exp_parse(argc, argv, EXP_CHECK, &a);
    if (rc != 0) {
        exp_args_free(&a);
        return rc > 0 ? QS_EXIT_OK : QS_EXIT_USAGE;
    }
    scenario *s = NULL;
    task_plan *plan = NULL;
    if ((rc = exp_load(&a, &s, &plan)) != 0) {
        exp_args_free(&a);
        return rc;
    }
    printf("# %s: valid; %d arm(s), %d days from %s (UTC%s), %d replications, seed %" PRIu64 "\n",
           a.scenario, s->narms, s->run.days, s->run.start, s->run.utc_offset, s->run.reps, s->seed);
    rc = QS_EXIT_OK;
    for (int i = 0; i < s->narms; i++) {
        char *t = scen_settings_text(s, i);
        if (!t) {
            fprintf(stderr, "qunsim: out of memory\n");
            rc = QS_EXIT_FAIL;
            break;
        }
        printf("\n# arm \"%s\": effective settings\n%s", s->arms[i].name, t);
        free(t);
    }
    task_plan_free(plan);
    scen_free(s);
    exp_args_free(&a);
    return rc;
}
