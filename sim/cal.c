/* cal.c -- civil-date arithmetic for the group's local calendar.
 * Proleptic Gregorian, fixed UTC offset, no time zone database or locale;
 * the parsers accept exactly the documented forms (digits where digits go). */
#include "cal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int64_t cal_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void cal_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int cal_parse_offset(const char *s, int32_t *out)
{
    if (!s) return -1;
    if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0) { *out = 0; return 0; }
    int hh, mm;
    if (strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return -1;
    if (digits(s + 1, 2, &hh) != 0 || digits(s + 4, 2, &mm) != 0) return -1;
    if (hh > 14 || mm > 59 || (hh == 14 && mm > 0)) return -1;
    int32_t v = hh * 3600 + mm * 60;
    *out = s[0] == '-' ? -v : v;
    return 0;
}

char *cal_offset_str(int32_t off, char *buf, size_t n)
{
    int32_t o = off < 0 ? -off : off;
    snprintf(buf, n, "%c%02d:%02d", off < 0 ? '-' : '+', (int)(o / 3600), (int)(o % 3600 / 60));
    return buf;
}

int cal_init(cal *c, const char *date, const char *utc_offset)
{
    int y, m, d;
    if (!date || strlen(date) != 10 || date[4] != '-' || date[7] != '-') return -1;
    if (digits(date, 4, &y) != 0 || digits(date + 5, 2, &m) != 0 || digits(date + 8, 2, &d) != 0)
        return -1;
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, (unsigned)m))
        return -1;
    int32_t off = 28800;
    if (utc_offset && cal_parse_offset(utc_offset, &off) != 0) return -1;
    int64_t days = cal_days_from_civil(y, (unsigned)m, (unsigned)d);
    c->utc_offset = off;
    c->start_ts = days * 86400 - off;
    /* 1970-01-01 was a Thursday (3 with Monday = 0) */
    c->start_wday = (int32_t)(((days % 7) + 7 + 3) % 7);
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t cal_day_of_ts(const cal *c, int64_t ts)
{
    return floor_div(ts - c->start_ts, 86400);
}

int64_t cal_day(const cal *c, double t)
{
    (void)c;
    if (!(fabs(t) < 7e20)) return t > 0 ? INT64_MAX / 86400 : -INT64_MAX / 86400; /* NaN, huge */
    double d = floor(t / 86400.0);
    /* t / 86400 may round across an integer: settle on d*86400 <= t < (d+1)*86400 */
    if (d * 86400.0 > t) d -= 1.0;
    else if ((d + 1.0) * 86400.0 <= t) d += 1.0;
    return (int64_t)d;
}

double cal_hour(const cal *c, double t)
{
    double s = t - (double)cal_day(c, t) * 86400.0;
    double h = s / 3600.0;
    /* t just below a midnight can round up to 24.0: keep it in the day that
     * cal_day() gives, i.e. in [0, 24) */
    if (!(h >= 0.0)) return 0.0;
    return h < 24.0 ? h : nextafter(24.0, 0.0);
}

int cal_weekday(const cal *c, double t)
{
    int64_t d = cal_day(c, t);
    return (int)(((d + c->start_wday) % 7 + 7) % 7);
}

double cal_day_start(const cal *c, int64_t day)
{
    (void)c;
    return (double)day * 86400.0;
}

void cal_ts_date_str(int64_t ts, int32_t utc_offset, char *buf)
{
    int64_t y;
    unsigned m, d;
    cal_civil_from_days(floor_div(ts + utc_offset, 86400), &y, &m, &d);
    snprintf(buf, 11, "%04d-%02u-%02u", (int)y, m, d);
}

void cal_date_str(const cal *c, int64_t day, char *buf)
{
    cal_ts_date_str(c->start_ts + day * 86400, c->utc_offset, buf);
}
