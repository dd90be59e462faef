/* main.c -- the qunsim command line: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cmd.h"

/* One row per subcommand; --help is generated from this table. */
static const qs_command commands[] = {
    {"run", cmd_run, "run SCENARIO [--arm NAME] [--reps R] [--seed S] [--days D] [--out DIR] [--format table|csv|json]"},
    {"check", cmd_check, "check SCENARIO            validate a scenario file, print its effective settings"},
    {"doc", cmd_doc, "doc settings              print the settings reference (Markdown)"},
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

int main(int argc, char **argv)
{
    /* GSL's default handler aborts; qunsim checks return values instead. */
    gsl_set_error_handler_off();
    if (argc < 2) {
        usage(stderr);
        return QS_EXIT_USAGE;
    }
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
