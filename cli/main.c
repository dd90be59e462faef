/* main.c -- the qunsim command line: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cmd.h"
#ifdef QS_MPI
#include "mpi_batch.h"
#endif

/* One row per subcommand; --help is generated from this table. */
static const qs_command commands[] = {
    {"run", cmd_run, "run SCENARIO [--arm NAME] [--reps R] [--seed S] [--days D] [--out DIR] [--format table|csv|json]\n"
                     "      [--threads N] [--resume] [--shard I/N] ...   every arm x R replications"},
    {"sweep", cmd_sweep, "sweep SCENARIO --set PATH=V1,V2,... | --design lhs --samples N --set PATH=LO:HI  (run options too)"},
    {"merge", cmd_merge, "merge OUT.db IN.db...      merge the databases of the shards of a batch"},
    {"check", cmd_check, "check SCENARIO            validate a scenario file, print its effective settings"},
    {"replay", cmd_replay, "replay SCENARIO... [--reps R] [--check]  model vs reported figures (targets)"},
    {"calibrate", cmd_calibrate, "calibrate SCENARIO --fit PATH[,PATH] [--reps R]  fit settings to the scenario's targets\n"
                                 "      | calibrate --live LIVE.db [--group G] [--from D --to D] [--out SCENARIO.cfg]  fit the baseline to a live log"},
    {"forecast", cmd_forecast, "forecast SCENARIO --live LIVE.db --at DATE --days H [--reps R] [--out DIR]  every arm from the observed state"},
    {"backtest", cmd_backtest, "backtest --live LIVE.db --at DATE --days H [--reps R] [--format table|json]  calibrate, forecast, compare"},
    {"metrics", cmd_metrics, "metrics DB [--run ID] [--group G] [--from D --to D] [--daily] [--format F]  the catalogue of stored runs"},
    {"doc", cmd_doc, "doc settings              print the settings reference (Markdown)"},
    {"import", cmd_import, "import FORMAT FILE... --db LIVE.db [--strict] [--group G] [--utc-offset +08:00]"},
    {"report", cmd_report, "report RESULTS.db [--out DIR] [--batch ID] [--no-svg]   HTML report with charts"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "qunsim %s -- discrete-event simulator of group-chat communities\n\n"
               "usage: qunsim COMMAND [OPTIONS]\n       qunsim COMMAND --help\n\ncommands:\n",
            QS_VERSION);
    for (const qs_command *c = commands; c->name; c++) fprintf(f, "  %s\n", c->synopsis);
    fprintf(f, "\nexit status: 0 success, 2 usage or input error, 1 other failure\n");
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return QS_EXIT_USAGE;
    }
#ifdef QS_MPI
    /* under mpirun only run and sweep use the ranks; the rest is rank 0's */
    if (qs_mpi_rank() > 0 && strcmp(argv[1], "run") && strcmp(argv[1], "sweep")) return QS_EXIT_OK;
#endif
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return QS_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("qunsim %s\n", QS_VERSION);
        return QS_EXIT_OK;
    }
    for (const qs_command *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0) return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "qunsim: unknown command '%s' (see qunsim --help)\n", argv[1]);
    return QS_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    /* GSL's default handler aborts; qunsim checks return values instead. */
    gsl_set_error_handler_off();
#ifdef QS_MPI
    if (qs_mpi_init(&argc, &argv) != 0) {
        fprintf(stderr, "qunsim: MPI_Init failed\n");
        return QS_EXIT_FAIL;
    }
    int rc = dispatch(argc, argv);
    qs_mpi_finalize();
    return rc;
#else
    return dispatch(argc, argv);
#endif
}
