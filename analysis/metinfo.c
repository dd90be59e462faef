/* metinfo.c -- labels, units and directions of the summary metrics (one
 * table for report, terminal and docs), and terminal display width. */
#include "metinfo.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define S MI_SHARE
#define P MI_PLAIN
#define M MI_MINUTES

/* In the order of METRICS.md's summary table.  Directions are the group's
 * view: more speakers, members and returns are better; leaves, mutes,
 * unanswered questions and waiting are worse; counts that are neither
 * (members ever, questions, heavy speakers: engagement or overload) get 0. */
static const mi_row rows[] = {
    {"dau_mean", "daily speakers", "members", P, 1, 0, "members who sent at least one message that day, mean over the days"},
    {"messages_per_day", "messages per day", "messages", P, 1, 0, "messages, questions, answers, check-ins, posts per day"},
    {"interactions_per_day", "interactions per day", "events", P, 1, 0, "messages plus votes, reactions and shares, per day"},
    {"members_end", "members at the end", "members", P, 1, 0, "members present at the end of the last day"},
    {"members_ever", "members at any time", "members", P, 0, 0, "members present at the end of at least one day"},
    {"joins", "joins", "members", P, 1, 0, "members who joined during the window"},
    {"leaves", "leaves", "members", P, -1, 0, "members who left the group during the window"},
    {"mutes", "mutes", "times", P, -1, 0, "times a member muted the group (they stop reading; overload shows here first)"},
    {"retention_1d", "speaks again next day", "%", S, 1, 1,
     "of a day's speakers, the share who speak the next day (次日留存); speaker-weighted over the days"},
    {"retention_7d", "speaks again within 7 days", "%", S, 1, 7,
     "of a day's speakers, the share who speak on any of the next 7 days (7日留存); includes the next day, so at least the 1-day figure"},
    {"retention_30d", "speaks again within 30 days", "%", S, 1, 30,
     "of a day's speakers, the share who speak on any of the next 30 days"},
    {"new_retention_1d", "newcomers speaking by the next day", "%", S, 1, 1,
     "of the members who joined on a day, the share who speak that day or the next"},
    {"new_retention_7d", "newcomers speaking within 7 days", "%", S, 1, 7,
     "of the members who joined on a day, the share who speak within 7 days of joining"},
    {"heavy_speakers", "heavy speakers, last 30 days", "%", S, 0, 29,
     "of the members present all of the last 30 days, the share with more than 50 messages in them"},
    {"heavy_speakers_mean", "heavy speakers, typical month", "%", S, 0, 29,
     "as heavy speakers, averaged over every 30-day window"},
    {"active_share", "members who spoke", "%", S, 1, 0, "of the members at the end, the share who sent a message in the window"},
    {"annual_activity", "members who spoke in the last year", "%", S, 1, 364, "as members who spoke, over the last 365 days"},
    {"questions", "questions", "questions", P, 0, 0, "questions asked in the window"},
    {"response_median", "first answer, median wait", "min", M, -1, 1, "median time from a question to the next message by someone else"},
    {"response_p90", "first answer, 90% within", "min", M, -1, 1, "90th percentile of the same wait"},
    {"unanswered_24h", "questions unanswered after 24 h", "%", S, -1, 1, "of the questions, the share with no message by someone else within 24 h"},
    {"answer_median", "linked answer, median wait", "min", M, -1, 1, "median time from a question to an answer that quotes it"},
    {"answer_p90", "linked answer, 90% within", "min", M, -1, 1, "90th percentile of the same wait"},
    {"unanswered_answer_24h", "questions without a linked answer in 24 h", "%", S, -1, 1,
     "of the questions with an id, the share with no answer quoting them within 24 h"},
    {"exposed", "reached by a campaign", "members", P, 1, 0, "members a campaign reached (exposure or taking part)"},
    {"participants", "took part", "members", P, 1, 0, "members who took part in a campaign"},
    {"participation", "took part, of those reached", "%", S, 1, 0, "participants / members reached"},
    {"completion", "completed, of those taking part", "%", S, 1, 0, "participants who completed / participants"},
    {"share_rate", "shared, of those taking part", "%", S, 1, 0, "participants who shared / participants"},
    {"purchasers", "buyers", "members", P, 1, 0, "members who bought something"},
    {"purchase_rate", "buyers, of all members", "%", S, 1, 0, "buyers / members at any time"},
    {"purchases", "purchases", "orders", P, 1, 0, "purchase events"},
    {"order_value", "mean order value", "value units", P, 1, 0, "sum of order values / purchases"},
    {"shares", "shares", "shares", P, 1, 0, "content shared out of the group"},
    {"shares_per_item", "shares per content item", "shares/item", P, 1, 0, "shares / posts, announcements and submissions"},
    {"invites", "invitations", "invites", P, 1, 0, "invitations sent"},
    {"referral_share", "joins brought by members", "%", S, 1, 0, "of the joins, the share by a member's invitation or QR code"},
    {"r_eff", "new members per inviting member", "members", P, 1, 30, "effective reproduction number of invitations (METRICS.md)"},
    {"ugc", "member submissions", "items", P, 1, 0, "submissions (user-generated content)"},
    {"ugc_per_day", "member submissions per day", "items", P, 1, 0, "submissions per day"},
};
#define NROWS ((int)(sizeof rows / sizeof rows[0]))

const char *const mi_headline[] = {
    "dau_mean", "messages_per_day", "interactions_per_day", "members_end", "joins", "leaves", "mutes",
    "retention_1d", "retention_7d", "retention_30d", "new_retention_1d", "new_retention_7d",
};
const int mi_nheadline = (int)(sizeof mi_headline / sizeof mi_headline[0]);

const mi_row *mi_find(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < NROWS; i++)
        if (!strcmp(rows[i].name, name)) return &rows[i];
    return NULL;
}

const mi_row *mi_rows(int *n)
{
    *n = NROWS;
    return rows;
}

int mi_window_ok(const mi_row *r, int ndays) { return !r || ndays <= 0 || ndays > r->follow; }

char *mi_format(const mi_row *r, double v, int sign, char *buf, size_t n)
{
    int kind = r ? r->kind : MI_PLAIN;
    if (isnan(v)) snprintf(buf, n, "n/a");
    else if (kind == MI_SHARE) snprintf(buf, n, sign ? "%+.1f pp" : "%.1f%%", 100.0 * v);
    else if (kind == MI_MINUTES) snprintf(buf, n, sign ? "%+.3g" : "%.3g", v / 60.0);
    else snprintf(buf, n, sign ? "%+.4g" : "%.4g", v);
    return buf;
}

char *mi_title(const mi_row *r, const char *name, char *buf, size_t n)
{
    if (!r) snprintf(buf, n, "%s", name ? name : "");
    else snprintf(buf, n, "%s (%s)", r->label, r->unit);
    return buf;
}

int mi_verdict(const mi_row *r, double d, double lo, double hi)
{
    if (!r || !r->dir || !isfinite(d) || !isfinite(lo) || !isfinite(hi) || (lo <= 0 && hi >= 0)) return 0;
    return d > 0 ? r->dir : -r->dir;
}

void mi_print_doc(FILE *f)
{
    fprintf(f, "| metric | shown as | unit | better when | needs a window of | definition |\n|---|---|---|---|---|---|\n");
    for (int i = 0; i < NROWS; i++) {
        const mi_row *r = &rows[i];
        fprintf(f, "| `%s` | %s | %s | %s | ", r->name, r->label, r->kind == MI_SHARE ? "% (differences in percentage points)" : r->unit,
                r->dir > 0 ? "higher" : r->dir < 0 ? "lower" : "(neither)");
        if (r->follow) fprintf(f, "%d days | ", r->follow + 1);
        else fprintf(f, "any | ");
        fprintf(f, "%s |\n", r->def);
    }
}

/* ---- display width ---- */

/* East Asian Wide (W) and Fullwidth (F) ranges (Unicode's EastAsianWidth.txt,
 * coarsened to blocks: CJK, Hangul, kana, fullwidth forms, emoji). */
static int wide(uint32_t c)
{
    return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) ||
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
           (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
           (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
           (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

static int zero_width(uint32_t c)
{
    return (c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || (c >= 0xFE00 && c <= 0xFE0F) ||
           c == 0xFEFF;
}

int mi_width(const char *s)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t c = *p;
        int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        int ok = len > 0;
        if (len > 1) {
            c &= 0x3F >> (len - 1);
            for (int k = 1; k < len && ok; k++) {
                if ((p[k] & 0xC0) != 0x80) ok = 0;
                else c = c << 6 | (p[k] & 0x3F);
            }
        }
        if (!ok) { w++; p++; continue; } /* an invalid byte: one column (shown as a replacement) */
        w += wide(c) ? 2 : zero_width(c) ? 0 : 1;
        p += len;
    }
    return w;
}

void mi_pad(FILE *f, const char *s, int width)
{
    fputs(s ? s : "", f);
    for (int k = mi_width(s); k < width; k++) fputc(' ', f);
}
