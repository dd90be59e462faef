/* cmd_run.c -- placeholder until the run driver lands. */
#include <stdio.h>
#include "cmd.h"
int cmd_run(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "qunsim run: not built yet\n"); return QS_EXIT_FAIL; }
int cmd_check(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "qunsim check: not built yet\n"); return QS_EXIT_FAIL; }
