/* harness.h -- what several suites need to set a model up from text: a
 * scenario loaded from a string (through a temporary file, as a user's
 * would be), and one replication run straight into a sink.  Errors are
 * returned, not asserted, so the callers say what failed. */
#ifndef QS_TEST_HARNESS_H
#define QS_TEST_HARNESS_H

#include <stddef.h>

#include "event.h"
#include "scenario.h"

/* Load the scenario text (written under $QS_TMP, else /tmp, then removed):
 * 0 and *out (scen_free), or -1 with scen_load's message in err. */
int th_load_text(const char *text, scenario **out, char *err, size_t errlen);

/* Run arm `arm`, replication `rep` of sc for its days into sink (no store,
 * no metrics): 0, or -1 with a message in err. */
int th_run(const scenario *sc, int arm, int rep, ev_sink *sink, char *err, size_t errlen);

#endif
