/* chapters.c -- city chapters with offline meetups and a shared cloud album
 * (the alumni case, seed section 八: >= 80% of members active over the
 * year).  Members belong to one of `cities` chapters; each chapter meets
 * every meet_every days (staggered); attendance raises belonging, and
 * attendees upload photos to the album and share them in the group. */
#include "com_internal.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#define K(f) chapters.f
const opt_row chapters_opts[] = {
    CAMP_ROWS("chapters", chapters.c, 0, 365, 0, 1, 0.05),
    ROW_I("chapters.cities", K(cities), 8, 1, 1000, "", "city chapters"),
    ROW_D("chapters.meet_every", K(meet_every), 30, 1, 3650, "days", "days between a chapter's meetups"),
    ROW_D("chapters.attend", K(attend), 0.3, 0, 1, "", "attendance probability (x the participation decision)"),
    ROW_D("chapters.belonging", K(belonging), 0.3, 0, 1, "", "belonging gained by an attendee"),
    ROW_D("chapters.uploads", K(uploads), 2, 0, 100, "", "album photos an attendee shares (mean)"),
    ROW_END,
};

static void on_upload(sim_t *s, const sim_event *ev)
{
    com_t *m = ev->ctx;
    int i = (int)ev->a;
    (void)s;
    if (m->mem[i].state != ST_LEFT) com_message(m, EV_SUBMISSION, i, -1, CAMP_CHAPTERS, CT_MEDIA, 1.2);
}

void chapters_day(com_t *m, int64_t day)
{
    const com_params *p = &m->p;
    const camp_common *c = &p->chapters.c;
    if (!camp_active(c, day)) return;
    if (day == c->start) camp_expose(m, CAMP_CHAPTERS);
    int every = (int)lround(p->chapters.meet_every);
    for (int i = 0; i < m->n; i++) {
        if (!camp_eligible(m, i)) continue;
        int city = i % p->chapters.cities;
        /* chapter `city` meets on days where (day - start + offset) % every == every - 1 */
        int64_t k = day - c->start + (int64_t)city * every / p->chapters.cities;
        if (k % every != every - 1) continue;
        gsl_rng *r = com_scratch(m, FAM_CAMPAIGN(CAMP_CHAPTERS), (uint32_t)i, ((uint64_t)day << 1) | 1);
        if (gsl_rng_uniform(r) >= p->chapters.attend || !camp_decide(m, c, CAMP_CHAPTERS, i, (uint64_t)day)) continue;
        camp_took_part(m, c, CAMP_CHAPTERS, i, (uint64_t)day);
        com_belong(m, i, p->chapters.belonging);
        unsigned n = gsl_ran_poisson(r, p->chapters.uploads);
        for (unsigned j = 0; j < n; j++)
            if (!sim_schedule_at(m->sim, camp_time(m, day, r), PRIO_MEMBER, on_upload, m, i, 0, 0)) com_fail(m, "engine: %s", sim_errmsg(m->sim));
    }
}
