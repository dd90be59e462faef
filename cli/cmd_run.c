/* cmd_run.c -- `qunsim run` (every arm of a scenario for R replications;
 * the driver is cli/exp.c) and `qunsim check` (validate a scenario; print the
 * settings away from their defaults, arms side by side, or with --all every
 * effective setting of each arm). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exp.h"
#include "metinfo.h"

int cmd_run(int argc, char **argv) { return exp_main(argc, argv, EXP_RUN); }

/* The default view of check: one row per setting that some arm has away
 * from its default, the default and each arm side by side (aligned by
 * display width: arm names may be Chinese), "<" marking rows where the arms
 * differ from each other (what the experiment varies).  Returns 0 or -1
 * (ENOMEM). */
static int print_differences(const scenario *s)
{
    com_params def;
    opt_table dt[COM_MAX_TABLES], (*at)[COM_MAX_TABLES] = calloc((size_t)s->narms, sizeof *at);
    scen_arm *arms = calloc((size_t)s->narms, sizeof *arms);
    if (!at || !arms) { free(at); free(arms); return -1; }
    int nt = com_tables(&def, dt, COM_MAX_TABLES);
    opt_defaults(dt, nt);
    for (int a = 0; a < s->narms; a++) {
        arms[a] = s->arms[a];
        com_tables(&arms[a].com, at[a], COM_MAX_TABLES);
    }
    /* the cells: path, default, arms...; collected first to size the columns */
    int ncol = 2 + s->narms, nrow = 0, cap = 64, rc = -1;
    char **cell = calloc((size_t)cap * (size_t)ncol, sizeof *cell);
    int *differ = calloc((size_t)cap, sizeof *differ);
    if (!cell || !differ) goto out;
    cell[0] = strdup("setting");
    cell[1] = strdup("default");
    for (int a = 0; a < s->narms; a++) cell[2 + a] = strdup(s->arms[a].name);
    nrow = 1;
    for (int t = 0; t < nt; t++)
        for (const opt_row *r = dt[t].rows; r->path; r++) {
            char *d = opt_value_text(&dt[t], r), **v = calloc((size_t)s->narms, sizeof *v);
            int away = 0, same = 1, oom = !d || !v;
            for (int a = 0; a < s->narms && !oom; a++) {
                if (!(v[a] = opt_value_text(&at[a][t], r))) oom = 1;
                else {
                    away |= strcmp(v[a], d) != 0;
                    same &= strcmp(v[a], v[0]) == 0;
                }
            }
            if (!oom && away && nrow == cap) {
                cap *= 2;
                char **nc = realloc(cell, sizeof *cell * (size_t)cap * (size_t)ncol);
                int *nd = realloc(differ, sizeof *differ * (size_t)cap);
                if (nc) cell = nc;
                if (nd) differ = nd;
                if (!nc || !nd) oom = 1;
            }
            if (!oom && away) {
                char **row = cell + (size_t)nrow * (size_t)ncol;
                row[0] = strdup(r->path);
                row[1] = d;
                d = NULL;
                for (int a = 0; a < s->narms; a++) { row[2 + a] = v[a]; v[a] = NULL; }
                differ[nrow++] = !same;
            }
            free(d);
            for (int a = 0; v && a < s->narms; a++) free(v[a]);
            free(v);
            if (oom) goto out;
        }
    int *w = calloc((size_t)ncol, sizeof *w);
    if (!w) goto out;
    for (int i = 0; i < nrow; i++)
        for (int k = 0; k < ncol; k++) {
            int x = mi_width(cell[(size_t)i * (size_t)ncol + k]);
            if (x > w[k]) w[k] = x;
        }
    printf("# settings away from their defaults (%d); < marks those the arms set differently.\n"
           "# Every setting of every arm: qunsim check --all; meanings and units: docs/settings.md\n", nrow - 1);
    for (int i = 0; i < nrow; i++) {
        for (int k = 0; k < ncol; k++) {
            if (k) fputs("  ", stdout);
            mi_pad(stdout, cell[(size_t)i * (size_t)ncol + k], k == ncol - 1 && !(i && differ[i]) ? 0 : w[k]);
        }
        fputs(i && differ[i] ? "  <\n" : "\n", stdout);
    }
    free(w);
    rc = 0;
out:
    if (cell)
        for (int i = 0; i < nrow * ncol; i++) free(cell[i]);
    free(cell);
    free(differ);
    free(at);
    free(arms);
    return rc;
}

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
    if (!a.all) {
        if (print_differences(s) != 0) {
            fprintf(stderr, "qunsim: out of memory\n");
            rc = QS_EXIT_FAIL;
        }
        task_plan_free(plan);
        scen_free(s);
        exp_args_free(&a);
        return rc;
    }
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
