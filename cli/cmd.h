/* cmd.h -- the qunsim subcommands.  Each takes argc/argv from after the
 * subcommand name (argv[0] is the subcommand) and returns the process exit
 * status: 0 success, 2 usage or scenario/input error, 1 any other failure
 * (run and sweep: 130/143 when stopped by SIGINT/SIGTERM).
 * Only main() exits. */
#ifndef QS_CMD_H
#define QS_CMD_H

#define QS_EXIT_OK 0
#define QS_EXIT_FAIL 1
#define QS_EXIT_USAGE 2

typedef struct qs_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *synopsis; /* one line for --help */
} qs_command;

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_doc(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
/* cmd_live.c: calibrate --live (called by cmd_calibrate), forecast, backtest */
int cmd_calibrate_live(int argc, char **argv);
int cmd_forecast(int argc, char **argv);
int cmd_backtest(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_import(int argc, char **argv);

#endif
