/* cal.h -- the group's calendar: simulated seconds <-> local day and hour.
 *
 * A scenario starts at local midnight of a start date in a fixed UTC offset
 * (default +08:00, China Standard Time, no daylight saving).  Simulated time
 * t is seconds since that instant; unix time is start_ts + t.  "Daily" in
 * every model and metric means a local day of this calendar.
 * Pure arithmetic (proleptic Gregorian, no time zone database, no locale).
 */
#ifndef QS_CAL_H
#define QS_CAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct cal {
    int64_t start_ts;   /* unix seconds of local midnight of the start date */
    int32_t utc_offset; /* seconds east of UTC, e.g. 28800 for +08:00 */
    int32_t start_wday; /* weekday of the start date, 0 = Monday .. 6 = Sunday */
} cal;

/* Parse "YYYY-MM-DD" (years 1970..9999) and "+HH:MM" / "-HH:MM" / "Z" /
 * "UTC" (NULL: +08:00) into a calendar.  Returns 0, or -1 on a malformed or
 * impossible date or offset (|offset| <= 14:00); *c is unchanged on error. */
int cal_init(cal *c, const char *date, const char *utc_offset);

/* Parse an offset string ("+HH:MM", "-HH:MM", "Z", "UTC"; |offset| <= 14:00)
 * into seconds east of UTC.  Returns 0, or -1 on error (*out unchanged). */
int cal_parse_offset(const char *s, int32_t *out);
/* Write an offset in seconds as "+HH:MM" / "-HH:MM" into buf (>= 7 bytes;
 * truncated safely if shorter).  Returns buf. */
char *cal_offset_str(int32_t off, char *buf, size_t n);

/* Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms). */
int64_t cal_days_from_civil(int64_t y, unsigned m, unsigned d);
void cal_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Local day index of unix time ts (0 = the start date; negative before it). */
int64_t cal_day_of_ts(const cal *c, int64_t ts);
/* Local day index of simulated time t: the d with d*86400 <= t < (d+1)*86400
 * exactly (0 = the start date, negative before it). */
int64_t cal_day(const cal *c, double t);
/* Local hour of day [0,24) of simulated time t, fractional; always within the
 * day cal_day() gives. */
double cal_hour(const cal *c, double t);
/* Local weekday of simulated time t: 0 = Monday .. 6 = Sunday. */
int cal_weekday(const cal *c, double t);
/* Simulated time of local midnight starting day index `day`. */
double cal_day_start(const cal *c, int64_t day);
/* Write the local date of day index `day` as "YYYY-MM-DD" into buf (>= 11 bytes). */
void cal_date_str(const cal *c, int64_t day, char *buf);
/* Local date string of unix time ts with a given offset (for imported logs). */
void cal_ts_date_str(int64_t ts, int32_t utc_offset, char *buf);

#endif
