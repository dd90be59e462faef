/* report.h -- the forecast report: a directory with index.html and the
 * plots (PNG + SVG through gnuplot) of one batch of a results database.
 *
 * Reads the database read-only and streams it with SQL aggregation (no event
 * table is loaded; memory grows with arms x replications x days, not with
 * events).  Sections whose data are missing are left out.  Every user string
 * is escaped for HTML here and for gnuplot by plot.h.  Conventions (which
 * batch, live history, forecasts, funnel): docs/report.md.
 */
#ifndef QS_REPORT_H
#define QS_REPORT_H

#include <stdint.h>
#include <stdio.h>

typedef struct rpt_opts {
    const char *db_path;  /* results database (required) */
    const char *out_dir;  /* output directory, created if absent (required) */
    int64_t batch_id;     /* 0: the latest batch with simulated runs */
    int point;            /* sweep point for the per-arm sections (-1: the lowest) */
    int64_t live_run;     /* run_id of the observed log (0: by the convention) */
    int32_t live_group;   /* group of the observed log to show (0: all groups) */
    int svg;              /* 1: SVG beside every PNG */
    const char *command;  /* the report's own command line (provenance; may be NULL) */
    const char *(*campaign_label)(int id); /* a campaign's name by its id (the events' ref_id), NULL
                                             if unknown (e.g. com_campaign_label, models/community.h);
                                             NULL: "campaign ID" */
    FILE *log;            /* progress and warnings (NULL: silent) */
} rpt_opts;

/* Section bits of rpt_info.sections. */
enum {
    RPT_HEADLINE = 1 << 0,   /* table of headline metrics per arm */
    RPT_DAILY = 1 << 1,      /* fan charts of daily series */
    RPT_RETENTION = 1 << 2,  /* N-day retention curves */
    RPT_COMPARISON = 1 << 3, /* paired differences to the reference arm */
    RPT_FUNNEL = 1 << 4,     /* campaign funnel */
    RPT_SWEEP = 1 << 5,      /* response curves (sweeps) */
    RPT_HEATMAP = 1 << 6,    /* heatmaps (sweeps over two or more settings) */
    RPT_HISTORY = 1 << 7,    /* observed log, then the forecast */
    RPT_SETTINGS = 1 << 8,   /* scenario text and effective settings */
    RPT_PROVENANCE = 1 << 9, /* seed, version, date, command */
};

typedef struct rpt_info {
    int64_t batch_id;   /* the batch reported */
    unsigned sections;  /* RPT_* bits of the sections written */
    int nplots;         /* charts written (each a PNG, plus an SVG with opts.svg) */
    int nwarnings;      /* charts that failed and were left out (each logged) */
    char index[4096];   /* path of index.html */
} rpt_info;

/* Write the report of one batch into o->out_dir.  Returns 0 and fills *info
 * (may be NULL), or -1 with a message in err: the database cannot be opened
 * or is of another schema version, the batch does not exist, the directory
 * cannot be written.  A chart that gnuplot fails on is a warning (logged,
 * counted, left out of the page), not a failure. */
int rpt_build(const rpt_opts *o, rpt_info *info, char *err, size_t errlen);

/* Write s escaped for HTML text and attribute values: & < > " ' become
 * entities, bytes that are not valid UTF-8 become U+FFFD, control
 * characters other than newline and tab become spaces.  NULL writes
 * nothing.  Returns 0, or -1 on a write error. */
int rpt_html_write(FILE *f, const char *s);

#endif
