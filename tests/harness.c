/* harness.c -- see harness.h. */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "community.h"
#include "sim.h"

int th_load_text(const char *text, scenario **out, char *err, size_t errlen)
{
    const char *base = getenv("QS_TMP") && getenv("QS_TMP")[0] ? getenv("QS_TMP") : "/tmp";
    char path[600];
    snprintf(path, sizeof path, "%s/qunsim-test.XXXXXX", base);
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        snprintf(err, errlen, "%s: cannot create", path);
        return -1;
    }
    fputs(text, f);
    int wrc = fclose(f);
    int rc = wrc == 0 ? scen_load(out, path, err, errlen) : -1;
    if (wrc != 0) snprintf(err, errlen, "%s: write error", path);
    remove(path);
    return rc;
}

int th_run(const scenario *sc, int arm, int rep, ev_sink *sink, char *err, size_t errlen)
{
    sim_t *sim = NULL;
    com_t *com = NULL;
    int rc = -1;
    if (sim_open(&sim, NULL) != 0) { snprintf(err, errlen, "sim_open failed"); return -1; }
    if (com_new(&com, &sc->arms[arm].com, sim, &sc->cal, sc->seed, (uint64_t)rep, sink, err, errlen) != 0) goto out;
    if (com_start(com) != 0) { snprintf(err, errlen, "com_start failed"); goto out; }
    sim_run_until(sim, nextafter((double)sc->run.days * 86400.0, 0.0));
    if (com_finish(com) != 0) { snprintf(err, errlen, "the replication failed"); goto out; }
    rc = 0;
out:
    com_free(com);
    sim_close(sim);
    return rc;
}
