/* cmd_sweep.c -- `qunsim sweep`: R replications of every arm at every point
 * of a grid (--set path=v1,v2,...) or a Latin hypercube (--design lhs
 * --samples N --set path=lo:hi).  The driver is cli/exp.c. */
#include "cmd.h"
#include "exp.h"

int cmd_sweep(int argc, char **argv) { return exp_main(argc, argv, EXP_SWEEP); }
