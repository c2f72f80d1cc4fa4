/*
 * The days of the demo city and the outbreak that happens in them.
 *
 * Each day: (1) a serial pre-pass decides today's tests of infected persons, the routine pools,
 * the reports and who is isolated or quarantined from when; (2) every person's day is planned as
 * segments at places (home, team, class, venue, bus, metro car, flight/train compartment) and
 * written to the feeds — in parallel over persons, each person with its own random stream; (3) a
 * serial pass lets every infectious person's segments expose everyone sharing the place at the
 * same time: hazard = lambda(setting) x proximity x overlap hours x infectiousness(t); the person
 * is infected with probability 1 - exp(-sum of hazards), by one exposure chosen in proportion to
 * its hazard, at a uniform time inside that overlap. (4) Event rows (reports, travel, arrivals,
 * cold chain) are written serially. Parameters and sources: docs/demo-city.md.
 */
#include "gen_int.h"

#include "zhinao/time.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double zn__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- disease ---- */

/* Infectiousness relative to its peak, by days from symptom onset (He et al., Nat Med 2020:
 * starts 2.3 days before onset, peaks 0.7 days before, has mostly waned 7 days after). */
static double profile(double tau)
{
    if (tau <= -2.3 || tau >= 7.0)
        return 0;
    if (tau <= -0.7)
        return (tau + 2.3) / 1.6;
    return (7.0 - tau) / 7.7;
}

static double profile_integral(double a, double b)
{
    double s = 0, h = 0.001;
    for (double t = a; t < b; t += h)
        s += profile(t + h / 2) * h;
    return s;
}

static void disease_init(zn__disease *d, zn_gen_variant v)
{
    memset(d, 0, sizeof *d);
    if (v == ZN_GEN_ANCESTRAL) {
        d->name = "ancestral";
        /* Lauer et al., Ann Intern Med 2020: log-normal, median 5.1 days */
        d->inc_meanlog = 1.621;
        d->inc_sdlog = 0.418;
        /* Buitrago-Garcia et al., PLoS Med 2020: 20 % asymptomatic throughout */
        d->p_asym = 0.20;
        /* Thompson et al., Clin Infect Dis 2021: household 21.1 %, low-risk casual 1.2 %;
         * Luo et al., Ann Intern Med 2020: health care 1.0 % and public transport 0.1 % against
         * household 10.3 %, scaled to the household rate */
        d->sar[ZN__T_HOUSEHOLD] = 0.211;
        d->sar[ZN__T_WORK] = d->sar[ZN__T_SCHOOL] = d->sar[ZN__T_VENUE] = 0.012;
        d->sar[ZN__T_HEALTHCARE] = 0.211 * 1.0 / 10.3;
        d->sar[ZN__T_TRANSPORT] = 0.211 * 0.1 / 10.3;
    } else {
        d->name = "omicron";
        /* Wu et al., JAMA Netw Open 2022: Omicron mean 3.42 days; log-normal with Lauer's sdlog */
        d->inc_sdlog = 0.418;
        d->inc_meanlog = log(3.42) - d->inc_sdlog * d->inc_sdlog / 2;
        /* Shang et al., Vaccines 2022: 32.40 % asymptomatic among Omicron infections */
        d->p_asym = 0.324;
        /* Madewell et al., JAMA Netw Open 2022: household SAR 42.7 % for Omicron; other settings
         * keep the ratios to household of the ancestral estimates above */
        double k = 0.427 / 0.211;
        d->sar[ZN__T_HOUSEHOLD] = 0.427;
        d->sar[ZN__T_WORK] = d->sar[ZN__T_SCHOOL] = d->sar[ZN__T_VENUE] = 0.012 * k;
        d->sar[ZN__T_HEALTHCARE] = 0.211 * 1.0 / 10.3 * k;
        d->sar[ZN__T_TRANSPORT] = 0.211 * 0.1 / 10.3 * k;
    }
    /* Buitrago-Garcia et al. 2020: asymptomatic infections transmit with relative risk 0.35 */
    d->rel_asym = 0.35;
    d->sar[ZN__T_HOTEL] = 0;
    /* Calibration (ours): a contact in the reference exposure below, over the infector's window
     * from 2.3 days before onset to 2 days after (isolation), is infected with probability SAR. */
    double W = profile_integral(-2.3, 2.0), span = 4.3;
    double hours[ZN__T_COUNT] = {12, 8, 7, 1, 1, 1, 1};
    double repeat[ZN__T_COUNT] = {1, 5.0 / 7, 5.0 / 7, 0, 0, 0, 0};
    for (int s = 0; s < ZN__T_COUNT; s++) {
        d->ref_hours[s] = hours[s];
        d->ref_days[s] = repeat[s];
        double H = repeat[s] > 0 ? hours[s] * W * repeat[s] : hours[s] * W / span;
        d->lambda[s] = d->sar[s] > 0 ? -log(1 - d->sar[s]) / H : 0;
    }
}

double zn__infectiousness(const zn__world *w, const zn__inf *in, int64_t t)
{
    if (t < in->t_inf + ZN__DAY)
        return 0;
    double v = profile((double)(t - in->t_onset) / ZN__DAY);
    return in->symptomatic ? v : v * w->dis.rel_asym;
}

/* RT-PCR sensitivity by days from onset (Kucirka et al., Ann Intern Med 2020: false-negative
 * 100 % four days before onset, 67 % one day before, 38 % at onset, 20 % three days after, 66 %
 * at day 21 of infection); never in the first day after infection. */
double zn__detect_prob(const zn__inf *in, int64_t t)
{
    if (t < in->t_inf + ZN__DAY)
        return 0;
    double tau = (double)(t - in->t_onset) / ZN__DAY;
    static const double x[] = {-3, -1, 0, 3, 16}, y[] = {0, 0.33, 0.62, 0.80, 0.34};
    if (tau <= x[0])
        return 0;
    for (int i = 1; i < 5; i++)
        if (tau <= x[i])
            return y[i - 1] + (y[i] - y[i - 1]) * (tau - x[i - 1]) / (x[i] - x[i - 1]);
    return y[4];
}

/* Proximity factor by venue type (ours): share of the co-present who are effectively close; 0.1
 * in hospitals, whose fever clinics separate patients and protect staff. */
static const double venue_prox[ZN__V_COUNT] = {0.3, 0.3, 0.5, 0.3, 0.1, 0.5, 1, 1, 1, 0.2, 1};

static int place_setting(const zn__world *w, int32_t place, double *prox)
{
    *prox = 1;
    if (place < 0)
        return -1;
    if (place < w->pbase[ZN__P_TEAM])
        return ZN__T_HOUSEHOLD;
    if (place < w->pbase[ZN__P_VENUE])
        return w->grp[place - w->pbase[ZN__P_TEAM]].kind == ZN__P_CLASS ? ZN__T_SCHOOL : ZN__T_WORK;
    if (place < w->pbase[ZN__P_METRO]) {
        int t = w->ven[place - w->pbase[ZN__P_VENUE]].type;
        *prox = venue_prox[t];
        return t == ZN__V_HOSPITAL ? ZN__T_HEALTHCARE : t == ZN__V_BUS ? ZN__T_TRANSPORT : ZN__T_VENUE;
    }
    if (place < w->pbase[ZN__P_TRIP]) {
        *prox = 0.5;
        return ZN__T_TRANSPORT;
    }
    if (place < w->pbase[ZN__P_ROOM])
        return ZN__T_TRANSPORT;
    return -1; /* hotel rooms: alone */
}

/* ---- pure per-(person, day) decisions shared by the passes ---- */

/* A uniform number in [0, 1) that is a fixed function of (seed, person, day, k): the splitmix64
 * finaliser of the key (a counter-based draw, so every pass asks the same question). */
static double draw(const zn__world *w, int64_t p, int d, int k)
{
    uint64_t z = w->draw_key ^ ((uint64_t)p * 0x9e3779b97f4a7c15ULL) ^ (((uint64_t)d * 64 + (uint64_t)k) * 0xd1b54a32d192ed03ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static int64_t day_start(const zn__world *w, int d)
{
    return w->t0 + (int64_t)d * ZN__DAY;
}

static int day_of(const zn__world *w, int64_t t)
{
    int64_t x = t - w->t0;
    return (int)(x >= 0 ? x / ZN__DAY : -((-x + ZN__DAY - 1) / ZN__DAY));
}

/* In the city: seconds-of-day [*a, *b) (empty when *b <= *a); *leg = a vehicle leg today. */
static void presence(const zn__world *w, int64_t p, int d, int *a, int *b, const zn__leg **leg)
{
    const zn__person *q = &w->per[p];
    *a = 0;
    *b = ZN__DAY;
    *leg = NULL;
    int64_t ds = day_start(w, d);
    if (q->role == ZN__R_VISITOR) {
        const zn__visit *v = &w->visits[q->visit];
        if (d < v->first_day || d > v->last_day) {
            *b = 0;
            return;
        }
        if (q->trip < 0)
            return;
        const zn__trip *t = &w->trips[q->trip];
        if (d == v->first_day) {
            *leg = &t->back;
            *a = (int)(t->back.arr + 3600 - ds);
        }
        if (d == v->last_day) {
            *leg = &t->out;
            *b = (int)(t->out.dep - 7200 - ds);
        }
        return;
    }
    if (q->trip < 0)
        return;
    const zn__trip *t = &w->trips[q->trip];
    if (d == t->out.day) {
        *leg = &t->out;
        *b = (int)(t->out.dep - 5400 - ds);
    } else if (d == t->back.day) {
        *leg = &t->back;
        *a = (int)(t->back.arr + 3600 - ds);
    } else if (d > t->out.day && d < t->back.day) {
        *b = 0;
    }
    if (*a < 0) *a = 0;
    if (*b > ZN__DAY) *b = ZN__DAY;
}

static int64_t isolated_from(const zn__world *w, int64_t p)
{
    int64_t a = w->iso[p], b = w->quar[p];
    return a < b ? a : b;
}

/* Quarantine of a contact: 7 days at a hotel (9th edition: 7 days centralized + 3 days at home;
 * the home part is not modelled). Released when the 7 days end without a positive test. */
static int in_quarantine(const zn__world *w, int64_t p, int64_t t)
{
    return w->quar[p] != ZN__NONE && t >= w->quar[p] && t < w->quar[p] + 7 * ZN__DAY;
}

static int in_isolation(const zn__world *w, int64_t p, int64_t t)
{
    return (w->iso[p] != ZN__NONE && t >= w->iso[p]) || in_quarantine(w, p, t);
}

/* The first isolation or quarantine start inside day d (seconds of the day), or -1. */
static int iso_start_today(const zn__world *w, int64_t p, int64_t ds)
{
    int64_t best = ZN__NONE;
    if (w->iso[p] != ZN__NONE && w->iso[p] >= ds && w->iso[p] < ds + ZN__DAY)
        best = w->iso[p];
    if (w->quar[p] != ZN__NONE && w->quar[p] >= ds && w->quar[p] < ds + ZN__DAY && w->quar[p] < best)
        best = w->quar[p];
    return best == ZN__NONE ? -1 : (int)(best - ds);
}

/* Routine screening today (常态化核酸, every 3 days for a share of residents; ours): sample time. */
static int routine_today(const zn__world *w, int64_t p, int d, int64_t *sample)
{
    const zn__person *q = &w->per[p];
    if (q->routine == 255 || d % 3 != q->routine || q->role == ZN__R_VISITOR)
        return 0;
    int a, b;
    const zn__leg *leg;
    presence(w, p, d, &a, &b, &leg);
    if (a > 7 * 3600 || b < 11 * 3600)
        return 0;
    int64_t ds = day_start(w, d);
    if (in_isolation(w, p, ds))
        return 0;
    *sample = ds + 7 * 3600 + (int64_t)(draw(w, p, d, 8) * 3 * 3600);
    return 1;
}

/* Antigen self-test today (background 0.3 % a day; symptomatic infections also on the day after
 * onset with probability 0.3; ours): time. */
static int antigen_today(const zn__world *w, int64_t p, int d, int64_t *t)
{
    if (!w->per[p].mobile)
        return 0;
    int64_t ds = day_start(w, d);
    int yes = draw(w, p, d, 9) < 0.003;
    int i = w->inf_of[p];
    if (!yes && i >= 0 && w->inf[i].symptomatic && day_of(w, w->inf[i].t_onset) + 1 == d)
        yes = draw(w, p, d, 10) < 0.3;
    if (!yes || in_isolation(w, p, ds + 19 * 3600))
        return 0;
    *t = ds + 19 * 3600 + (int64_t)(draw(w, p, d, 11) * 2 * 3600);
    return 1;
}

static int antigen_positive(const zn__world *w, int64_t p, int d, int64_t t)
{
    int i = w->inf_of[p];
    if (i < 0)
        return 0;
    const zn__inf *in = &w->inf[i];
    double tau = (double)(t - in->t_onset) / ZN__DAY, pr;
    /* Dinnes et al., Cochrane 2022: average sensitivity 73 % symptomatic, 55 % asymptomatic */
    if (in->symptomatic)
        pr = tau >= 0 && tau <= 7 ? 0.73 : tau >= -1 && tau < 0 ? 0.3 : 0;
    else
        pr = profile(tau) > 0.3 ? 0.55 : 0;
    return draw(w, p, d, 12) < pr;
}

/* Fever-clinic visit today: the planned one of an infection, or background (0.02 % a day; ours). */
static int visit_today(const zn__world *w, int64_t p, int d, int64_t *t)
{
    int64_t ds = day_start(w, d);
    int i = w->inf_of[p];
    int64_t tv = ZN__NONE;
    if (i >= 0 && w->inf[i].t_visit >= ds && w->inf[i].t_visit < ds + ZN__DAY)
        tv = w->inf[i].t_visit;
    else if (draw(w, p, d, 13) < 0.0002)
        tv = ds + 8 * 3600 + (int64_t)(draw(w, p, d, 14) * 10 * 3600);
    if (tv == ZN__NONE || in_isolation(w, p, tv) || w->per[p].fav[4] < 0)
        return 0;
    int a, b;
    const zn__leg *leg;
    presence(w, p, d, &a, &b, &leg);
    if (tv - ds < a || tv - ds + 3 * 3600 > b)
        return 0;
    *t = tv;
    return 1;
}

/* Pharmacy purchase of a registered drug today (background 0.15 % a day; ours). */
static int pharmacy_today(const zn__world *w, int64_t p, int d, int64_t *t)
{
    int64_t ds = day_start(w, d);
    int i = w->inf_of[p];
    int64_t tp = ZN__NONE;
    if (i >= 0 && w->inf[i].t_pharm >= ds && w->inf[i].t_pharm < ds + ZN__DAY)
        tp = w->inf[i].t_pharm;
    else if (draw(w, p, d, 15) < 0.0015)
        tp = ds + 9 * 3600 + (int64_t)(draw(w, p, d, 6) * 11 * 3600);
    if (tp == ZN__NONE || in_isolation(w, p, tp) || w->per[p].pharmacy < 0 || w->per[p].role == ZN__R_TODDLER)
        return 0;
    int a, b;
    const zn__leg *leg;
    presence(w, p, d, &a, &b, &leg);
    if (tp - ds < a || tp - ds + 1800 > b)
        return 0;
    *t = tp;
    return 1;
}

/* Quarantine test days (9th edition: days 1, 2, 3, 5, 7 of centralized quarantine). */
static int quar_test_today(const zn__world *w, int64_t p, int d, int64_t *sample)
{
    if (w->quar[p] == ZN__NONE)
        return 0;
    int k = d - day_of(w, w->quar[p]);
    if (k != 1 && k != 2 && k != 3 && k != 5 && k != 7)
        return 0;
    *sample = day_start(w, d) + 8 * 3600 + (int64_t)(draw(w, p, d, 7) * 2 * 3600);
    return *sample >= w->quar[p];
}

/* ---- natural history of a new infection ---- */

static int add_infection(zn__world *w, int64_t p, int32_t infector, int32_t place, int setting, int64_t t,
                         int64_t e0, int64_t e1, const char *source)
{
    if (w->ninf == w->capinf) {
        int nc = w->capinf ? w->capinf * 2 : 256;
        zn__inf *n2 = realloc(w->inf, (size_t)nc * sizeof *n2);
        if (!n2)
            return -1;
        w->inf = n2;
        w->capinf = nc;
    }
    zn__inf *in = &w->inf[w->ninf];
    memset(in, 0, sizeof *in);
    in->person = (int32_t)p;
    in->infector = infector;
    in->place = place;
    in->setting = setting;
    in->t_inf = t;
    in->expo0 = e0;
    in->expo1 = e1;
    if (source)
        snprintf(in->source, sizeof in->source, "%s", source);
    zn_rng r;
    zn_rng_seed_key(&r, w->seed, ZN__S_HISTORY, (uint64_t)p, 0);
    double inc = zn_rng_lognormal(&r, w->dis.inc_meanlog, w->dis.inc_sdlog);
    if (inc < 1.0)
        inc = 1.0;
    in->t_onset = t + (int64_t)(inc * ZN__DAY);
    in->symptomatic = zn_rng_uniform(&r) >= w->dis.p_asym;
    double u = zn_rng_uniform(&r);
    in->severity = !in->symptomatic ? 0 : u < 0.80 ? 1 : u < 0.95 ? 2 : u < 0.99 ? 3 : 4;
    in->t_visit = in->t_pharm = in->t_report = in->t_iso = ZN__NONE;
    in->t_sample = in->t_result = ZN__NONE;
    double uv = zn_rng_uniform(&r), delay = zn_rng_exponential(&r, 1.0);
    double up = zn_rng_uniform(&r), dp = zn_rng_uniform(&r);
    if (in->symptomatic && uv < 0.6) {
        int64_t tv = in->t_onset + (int64_t)(delay * ZN__DAY);
        int64_t ds = w->t0 + (int64_t)floor((double)(tv - w->t0) / ZN__DAY) * ZN__DAY;
        int64_t sod = tv - ds;
        if (sod < 8 * 3600) sod = 8 * 3600 + sod / 3;
        if (sod > 20 * 3600) sod = 20 * 3600 - (sod - 20 * 3600) / 2;
        in->t_visit = ds + sod;
    }
    if (in->symptomatic && up < 0.3) {
        int64_t tp = in->t_onset + (int64_t)(dp * ZN__DAY);
        int64_t ds = w->t0 + (int64_t)floor((double)(tp - w->t0) / ZN__DAY) * ZN__DAY;
        in->t_pharm = ds + 9 * 3600 + (tp - ds) % (11 * 3600);
    }
    w->inf_of[p] = w->ninf;
    return w->ninf++;
}

/* ---- per-thread work ---- */

typedef struct tctx {
    zn__world *w;
    int id, d;
    int64_t p0, p1;
    zn__tbuf *tb;     /* ZN__F_COUNT buffers */
    zn__seg *segs;
    size_t nsegs, capsegs;
    zn_buf stays;
    int oom;
    zn__row row;
    zn__tcache tcache;
    char date8[9];
} tctx;

typedef struct plan {
    zn__seg s[40];
    int n, cursor, a, b;
    int32_t home_place, home_loc;
    int64_t p;
} plan;

static void seg_push(plan *pl, int32_t place, int32_t venue, int32_t loc, int t0, int t1, int flags)
{
    if (pl->n >= 40 || t1 <= t0)
        return;
    zn__seg *s = &pl->s[pl->n++];
    s->person = (int32_t)pl->p;
    s->place = place;
    s->venue = venue;
    s->loc = loc;
    s->t0 = t0;
    s->t1 = t1;
    s->flags = flags;
}

/* An activity after the current one; home fills the gap. */
static void act(plan *pl, int32_t place, int32_t venue, int32_t loc, int t0, int t1, int flags)
{
    if (t0 < pl->cursor) t0 = pl->cursor;
    if (t0 < pl->a) t0 = pl->a;
    if (t1 > pl->b) t1 = pl->b;
    if (t1 - t0 < 300)
        return;
    if (t0 > pl->cursor)
        seg_push(pl, pl->home_place, -1, pl->home_loc, pl->cursor, t0, ZN__SEG_HOME);
    seg_push(pl, place, venue, loc, t0, t1, flags);
    pl->cursor = t1;
}

static void finish(plan *pl)
{
    if (pl->cursor < pl->b)
        seg_push(pl, pl->home_place, -1, pl->home_loc, pl->cursor, pl->b, ZN__SEG_HOME);
    pl->cursor = pl->b;
}

static int32_t vplace(const zn__world *w, int v)
{
    return w->pbase[ZN__P_VENUE] + v;
}

static int32_t metro_place(const zn__world *w, int county, int dir, int sod, int64_t p)
{
    int slot = sod / 600;
    if (slot > 143) slot = 143;
    int cars = w->counties[county].metro_cars;
    int car = (int)((uint64_t)p * 2654435761u % (uint64_t)cars);
    return w->pbase[ZN__P_METRO] + ((county * 2 + dir) * 144 + slot) * w->metro_maxcars + car;
}

static int U(zn_rng *r, int lo, int span)
{
    return lo + (int)zn_rng_below(r, (uint64_t)span);
}

static void leisure(const zn__world *w, const zn__person *q, plan *pl, zn_rng *r, int retired)
{
    if (retired) {
        if (q->fav[1] >= 0 && zn_rng_uniform(r) < 0.35) {
            int t = U(r, 6 * 3600 + 1800, 7200);
            act(pl, vplace(w, q->fav[1]), q->fav[1], q->fav[1], t, t + U(r, 1800, 1800), ZN__SEG_SCAN);
        }
        if (q->bus >= 0 && zn_rng_uniform(r) < 0.08) {
            int t = U(r, 9 * 3600, 3600);
            act(pl, vplace(w, q->bus), q->bus, ZN__NOLOC, t, t + U(r, 1200, 1200), ZN__SEG_SCAN);
            int t2 = pl->cursor + U(r, 3600, 3600);
            act(pl, vplace(w, q->bus), -1, ZN__NOLOC, t2, t2 + U(r, 1200, 1200), 0);
        }
        if (q->fav[2] >= 0 && zn_rng_uniform(r) < 0.05) {
            int t = U(r, 11 * 3600, 3600);
            act(pl, vplace(w, q->fav[2]), q->fav[2], q->fav[2], t, t + U(r, 2700, 1800), ZN__SEG_SCAN);
        }
        if (q->fav[0] >= 0 && zn_rng_uniform(r) < 0.15) {
            int t = U(r, 14 * 3600, 3 * 3600);
            act(pl, vplace(w, q->fav[0]), q->fav[0], q->fav[0], t, t + U(r, 1800, 1800), ZN__SEG_SCAN);
        }
        return;
    }
    if (q->fav[1] >= 0 && q->age >= 40 && zn_rng_uniform(r) < 0.2) {
        int t = U(r, 7 * 3600, 7200);
        act(pl, vplace(w, q->fav[1]), q->fav[1], q->fav[1], t, t + U(r, 1800, 1200), ZN__SEG_SCAN);
    }
    if (q->fav[2] >= 0 && zn_rng_uniform(r) < 0.15) {
        int t = zn_rng_uniform(r) < 0.5 ? U(r, 11 * 3600 + 1800, 3600) : U(r, 17 * 3600 + 1800, 3600);
        act(pl, vplace(w, q->fav[2]), q->fav[2], q->fav[2], t, t + U(r, 3000, 1800), ZN__SEG_SCAN);
    }
    if (q->fav[0] >= 0 && zn_rng_uniform(r) < 0.25) {
        int t = U(r, 14 * 3600, 6 * 3600);
        act(pl, vplace(w, q->fav[0]), q->fav[0], q->fav[0], t, t + U(r, 1800, 1800), ZN__SEG_SCAN);
    }
}

/* Plan the day of person p (segments in time order, clipped to presence and isolation). */
static void plan_day(const zn__world *w, int64_t p, int d, plan *pl, int64_t visit_t, int64_t pharm_t)
{
    const zn__person *q = &w->per[p];
    int64_t ds = day_start(w, d);
    zn_rng r;
    zn_rng_seed_key(&r, w->seed, ZN__S_DAY, (uint64_t)p, (uint64_t)d);
    pl->n = 0;
    pl->p = p;
    const zn__leg *leg;
    presence(w, p, d, &pl->a, &pl->b, &leg);
    if (q->role == ZN__R_VISITOR) {
        const zn__visit *v = &w->visits[q->visit];
        pl->home_place = w->pbase[ZN__P_ROOM] + q->visit;
        pl->home_loc = v->hotel;
    } else {
        pl->home_place = w->pbase[ZN__P_HOUSEHOLD] + q->hh;
        pl->home_loc = -1 - w->hh[q->hh].res;
    }
    pl->cursor = pl->a;
    /* the vehicle leg (before arrival or after departure) */
    if (leg && leg->place >= 0) {
        int t0 = (int)(leg->dep - ds), t1 = (int)(leg->arr - ds);
        if (t1 > ZN__DAY) t1 = ZN__DAY;
        if (leg->dir == 1) /* arriving: the leg is before presence starts */
            seg_push(pl, leg->place, -1, ZN__NOLOC, t0, t1, 0);
    }
    int iso_cut = iso_start_today(w, p, ds);
    int whole_iso = in_isolation(w, p, ds);
    if (pl->b > pl->a && !whole_iso) {
        int dow = (int)((w->day0 + d + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
        int weekend = dow == 0 || dow == 6;
        if (visit_t != ZN__NONE || pharm_t != ZN__NONE) {
            /* a sick day: home, the pharmacy, the fever clinic */
            if (pharm_t != ZN__NONE && (visit_t == ZN__NONE || pharm_t < visit_t)) {
                act(pl, vplace(w, q->pharmacy), q->pharmacy, q->pharmacy, (int)(pharm_t - ds), (int)(pharm_t - ds) + 900, ZN__SEG_SCAN);
                pharm_t = ZN__NONE;
            }
            if (visit_t != ZN__NONE)
                act(pl, vplace(w, q->fav[4]), q->fav[4], q->fav[4], (int)(visit_t - ds),
                    (int)(visit_t - ds) + U(&r, 5400, 5400), ZN__SEG_SCAN);
            if (pharm_t != ZN__NONE)
                act(pl, vplace(w, q->pharmacy), q->pharmacy, q->pharmacy, (int)(pharm_t - ds), (int)(pharm_t - ds) + 900, ZN__SEG_SCAN);
        } else if (q->role == ZN__R_VISITOR) {
            const zn__visit *v = &w->visits[q->visit];
            const zn__venue *hotel = &w->ven[v->hotel];
            const zn__county *c = &w->counties[hotel->county];
            int rest = c->vcount[ZN__V_RESTAURANT] ? c->vfirst[ZN__V_RESTAURANT] + (int)((uint64_t)p % (uint64_t)c->vcount[ZN__V_RESTAURANT]) : -1;
            if (v->office_team >= 0 && !weekend && zn_rng_uniform(&r) < 0.8) {
                int gv = w->grp[v->office_team - w->pbase[ZN__P_TEAM]].venue;
                act(pl, v->office_team, gv, gv, U(&r, 9 * 3600, 3600), U(&r, 16 * 3600, 7200), ZN__SEG_SCAN);
            }
            if (rest >= 0 && zn_rng_uniform(&r) < 0.6) {
                int t = U(&r, 18 * 3600, 3600);
                act(pl, vplace(w, rest), rest, rest, t, t + U(&r, 3600, 1800), ZN__SEG_SCAN);
            }
        } else if (q->role == ZN__R_PUPIL && !weekend && q->work_place >= 0) {
            int lo = q->age <= 5 ? 8 * 3600 : q->age >= 15 ? 7 * 3600 : 7 * 3600 + 2400;
            int hi = q->age <= 5 ? 16 * 3600 : q->age >= 15 ? 17 * 3600 + 1800 : 16 * 3600 + 1800;
            act(pl, q->work_place, -1, q->work_venue, lo + U(&r, 0, 900), hi + U(&r, 0, 900), 0);
        } else if (q->role == ZN__R_WORKER && q->work_place >= 0 && (!weekend || zn_rng_uniform(&r) < 0.15)) {
            int leave = U(&r, 7 * 3600, 5400), c = U(&r, 1200, 1800);
            int hk = w->res[w->hh[q->hh].res].county;
            if (q->commute == 3)
                act(pl, metro_place(w, hk, 0, leave, p), q->metro_station, ZN__NOLOC, leave, leave + c, ZN__SEG_SCAN);
            else if (q->commute == 2)
                act(pl, vplace(w, q->bus), q->bus, ZN__NOLOC, leave, leave + c, ZN__SEG_SCAN);
            int arrive = leave + c, end = U(&r, 17 * 3600, 7200);
            int scan = w->ven[q->work_venue].type == ZN__V_SCHOOL ? 0 : ZN__SEG_SCAN;
            if (q->fav[3] >= 0 && zn_rng_uniform(&r) < 0.3) {
                int l0 = U(&r, 12 * 3600, 1200), l1 = l0 + U(&r, 2400, 1200);
                act(pl, q->work_place, q->work_venue, q->work_venue, arrive, l0, scan);
                act(pl, vplace(w, q->fav[3]), q->fav[3], q->fav[3], l0, l1, ZN__SEG_SCAN);
                act(pl, q->work_place, -1, q->work_venue, l1, end, 0);
            } else {
                act(pl, q->work_place, q->work_venue, q->work_venue, arrive, end, scan);
            }
            if (q->commute == 3)
                act(pl, metro_place(w, hk, 1, end, p), -1, ZN__NOLOC, end, end + c, 0);
            else if (q->commute == 2)
                act(pl, vplace(w, q->bus), -1, ZN__NOLOC, end, end + c, 0);
            if (q->fav[2] >= 0 && zn_rng_uniform(&r) < 0.08) {
                int t = U(&r, 18 * 3600 + 1800, 3600);
                act(pl, vplace(w, q->fav[2]), q->fav[2], q->fav[2], t, t + U(&r, 3600, 1800), ZN__SEG_SCAN);
            }
            if (q->fav[0] >= 0 && zn_rng_uniform(&r) < 0.12) {
                int t = U(&r, 19 * 3600, 5400);
                act(pl, vplace(w, q->fav[0]), q->fav[0], q->fav[0], t, t + U(&r, 1800, 1200), ZN__SEG_SCAN);
            }
        } else if (q->role == ZN__R_RETIRED) {
            leisure(w, q, pl, &r, 1);
        } else if (q->role != ZN__R_TODDLER) {
            if (q->role == ZN__R_PUPIL) {
                if (q->fav[0] >= 0 && zn_rng_uniform(&r) < 0.1) {
                    int t = U(&r, 10 * 3600, 8 * 3600);
                    act(pl, vplace(w, q->fav[0]), q->fav[0], q->fav[0], t, t + 2400, 0);
                }
            } else {
                leisure(w, q, pl, &r, 0);
            }
        }
    }
    if (!whole_iso)
        finish(pl);
    /* departing: the vehicle after presence ends */
    if (leg && leg->place >= 0 && leg->dir == 0) {
        int t0 = (int)(leg->dep - ds), t1 = (int)(leg->arr - ds);
        if (t1 > ZN__DAY) t1 = ZN__DAY;
        if (!in_isolation(w, p, leg->dep))
            seg_push(pl, leg->place, -1, ZN__NOLOC, t0, t1, 0);
    }
    /* isolation: cut at its start, then the isolation hotel */
    if (whole_iso || iso_cut >= 0) {
        int c = whole_iso ? 0 : iso_cut;
        int m = 0;
        for (int i = 0; i < pl->n; i++) {
            zn__seg s = pl->s[i];
            if (s.t0 >= c)
                continue;
            if (s.t1 > c)
                s.t1 = c;
            pl->s[m++] = s;
        }
        pl->n = m;
        const zn__person *qq = &w->per[p];
        int k = qq->role == ZN__R_VISITOR ? w->ven[w->visits[qq->visit].hotel].county : w->res[w->hh[qq->hh].res].county;
        int hv = w->counties[k].vfirst[ZN__V_HOTEL];
        int end = ZN__DAY;
        if (w->iso[p] == ZN__NONE && w->quar[p] != ZN__NONE && w->quar[p] + 7 * ZN__DAY < ds + ZN__DAY)
            end = (int)(w->quar[p] + 7 * ZN__DAY - ds); /* released today */
        if (end > c)
            seg_push(pl, -1, -1, hv, c, end, ZN__SEG_ISO);
        if (end < ZN__DAY) { /* back home after release */
            pl->cursor = end;
            pl->b = ZN__DAY;
            finish(pl);
        }
    }
}

/* ---- rows of one person-day ---- */

static const char *loc_cell(const zn__world *w, int32_t loc, double *lon, double *lat, int64_t *cell)
{
    if (loc == ZN__NOLOC) {
        *cell = 0;
        return NULL;
    }
    if (loc >= 0) {
        const zn__venue *v = &w->ven[loc];
        *lon = v->clon;
        *lat = v->clat;
        *cell = v->cell;
        return v->cell_txt;
    }
    const zn__res *r = &w->res[-1 - loc];
    *lon = r->clon;
    *lat = r->clat;
    *cell = r->cell;
    return r->cell_txt;
}

static void emit_telecom(tctx *tc, const plan *pl, zn_rng *dr)
{
    zn__world *w = tc->w;
    const zn__person *q = &w->per[pl->p];
    if (!q->mobile)
        return;
    int64_t ds = day_start(w, tc->d);
    char mob[12], a[20], b[20];
    zn__fmt_mobile(q->mobile, mob);
    for (int i = 0; i < pl->n;) {
        double lon, lat;
        int64_t cell;
        const char *txt = loc_cell(w, pl->s[i].loc, &lon, &lat, &cell);
        if (!cell) {
            i++;
            continue;
        }
        int t0 = pl->s[i].t0, t1 = pl->s[i].t1, j = i + 1;
        while (j < pl->n && pl->s[j].t0 == t1) {
            double x, y;
            int64_t c2;
            loc_cell(w, pl->s[j].loc, &x, &y, &c2);
            if (c2 != cell)
                break;
            t1 = pl->s[j].t1;
            j++;
        }
        i = j;
        zn__row *row = &tc->row;
        zn__row_reset(row);
        row->v[TG_MOBILE] = mob;
        row->v[TG_CARRIER] = zn__carrier_name(q->carrier);
        row->v[TG_CELL] = txt;
        zn__fmt_time_c(&tc->tcache, ds + t0, a);
        zn__fmt_time_c(&tc->tcache, ds + t1 - 1, b);
        row->v[TG_T0] = a;
        row->v[TG_T1] = b;
        row->has_pt = 1;
        row->lon = lon;
        row->lat = lat;
        zn__emit(w, ZN__F_TELECOM, &tc->tb[ZN__F_TELECOM], row, dr);
    }
}

static const char *color_name(int c)
{
    return c == 2 ? "red" : c == 1 ? "yellow" : "green";
}

static void emit_scans(tctx *tc, const plan *pl, zn_rng *dr)
{
    zn__world *w = tc->w;
    const zn__person *q = &w->per[pl->p];
    int64_t ds = day_start(w, tc->d);
    char mob[12], t[20];
    if (q->mobile)
        zn__fmt_mobile(q->mobile, mob);
    for (int i = 0; i < pl->n; i++) {
        const zn__seg *s = &pl->s[i];
        if (!(s->flags & ZN__SEG_SCAN) || s->venue < 0)
            continue;
        zn__row *row = &tc->row;
        zn__row_reset(row);
        row->v[SC_CODE] = w->ven[s->venue].code;
        row->v[SC_RID] = q->id;
        row->v[SC_MOBILE] = q->mobile ? mob : NULL;
        zn__fmt_time_c(&tc->tcache, ds + s->t0 + (int)(zn_rng_below(dr, 50)), t);
        row->v[SC_TIME] = t;
        row->v[SC_DIR] = "in";
        row->v[SC_COLOR] = color_name(w->code_color[pl->p]);
        zn__emit(w, ZN__F_SCAN, &tc->tb[ZN__F_SCAN], row, dr);
    }
}

static const char *lab_name(const zn__world *w, int county)
{
    static const char *const labs[] = {"杭州迪安医学检验实验室", "杭州艾迪康医学检验实验室", "杭州金域医学检验实验室"};
    (void)w;
    return labs[county % 3];
}

static double ct_value(const zn__inf *in, int64_t t, double u)
{
    double tau = fabs((double)(t - in->t_onset) / ZN__DAY);
    double ct = 19 + 2.2 * tau + 6 * u;
    return ct > 38 ? 38 : ct;
}

/* One nucleic-acid row. */
static void nat_row(tctx *tc, int64_t p, const char *sample_id, const char *tube, int64_t ts, int64_t tt, int pos,
                    const zn__inf *in, const char *site, const char *div, int county, zn_rng *dr)
{
    zn__world *w = tc->w;
    const zn__person *q = &w->per[p];
    zn__row *row = &tc->row;
    zn__row_reset(row);
    char name[32], mob[12], a[20], b[20], c1[16], c2[16];
    row->v[NAT_SAMPLE] = sample_id;
    row->v[NAT_RID] = q->id;
    zn__person_name(w, q, name, sizeof name);
    row->v[NAT_NAME] = name;
    if (q->mobile) {
        zn__fmt_mobile(q->mobile, mob);
        row->v[NAT_MOBILE] = mob;
    }
    row->v[NAT_TUBE] = tube;
    zn__fmt_time(ts, a);
    zn__fmt_time(tt, b);
    row->v[NAT_STIME] = a;
    row->v[NAT_TTIME] = b;
    row->v[NAT_RESULT] = pos ? "positive" : "negative";
    if (pos && in && !strcmp(tube, "single")) {
        double u = zn_rng_uniform(dr);
        snprintf(c1, sizeof c1, "%.1f", ct_value(in, ts, u));
        snprintf(c2, sizeof c2, "%.1f", ct_value(in, ts, u) - 1.5);
        row->v[NAT_CT1] = c1;
        row->v[NAT_CT2] = c2;
    }
    row->v[NAT_SITE] = site;
    row->v[NAT_DIV] = div;
    row->v[NAT_LAB] = lab_name(w, county);
    zn__emit(w, ZN__F_NAT, &tc->tb[ZN__F_NAT], row, dr);
}

static void code_row(zn__world *w, zn__tbuf *tb, zn__row *row, int64_t p, const char *color, int64_t t,
                     const char *reason, zn_rng *dr)
{
    const zn__person *q = &w->per[p];
    char mob[12], s[20];
    zn__row_reset(row);
    row->v[HC_RID] = q->id;
    if (q->mobile) {
        zn__fmt_mobile(q->mobile, mob);
        row->v[HC_MOBILE] = mob;
    }
    row->v[HC_COLOR] = color;
    zn__fmt_time(t, s);
    row->v[HC_SINCE] = s;
    row->v[HC_REASON] = reason;
    int k = q->role == ZN__R_VISITOR ? w->ven[w->visits[q->visit].hotel].county : w->res[w->hh[q->hh].res].county;
    row->v[HC_DIV] = w->counties[k].code;
    zn__emit(w, ZN__F_HEALTH_CODE, tb, row, dr);
}

static int home_county(const zn__world *w, int64_t p)
{
    const zn__person *q = &w->per[p];
    return q->role == ZN__R_VISITOR ? w->ven[w->visits[q->visit].hotel].county : w->res[w->hh[q->hh].res].county;
}

static const char *home_comm_code(const zn__world *w, int64_t p)
{
    const zn__person *q = &w->per[p];
    return q->role == ZN__R_VISITOR ? w->comms[w->ven[w->visits[q->visit].hotel].comm].code
                                    : w->comms[w->res[w->hh[q->hh].res].comm].code;
}

static void person_day(tctx *tc, int64_t p)
{
    zn__world *w = tc->w;
    int d = tc->d;
    int64_t ds = day_start(w, d);
    const zn__person *q = &w->per[p];
    zn_rng dr;
    zn_rng_seed_key(&dr, w->seed, ZN__S_DIRT, 100 + (uint64_t)d, (uint64_t)p);
    int64_t tv = ZN__NONE, tp = ZN__NONE, t;
    if (visit_today(w, p, d, &t))
        tv = t;
    if (pharmacy_today(w, p, d, &t))
        tp = t;
    plan pl;
    plan_day(w, p, d, &pl, tv, tp);
    /* keep the segments for the transmission pass */
    if (tc->nsegs + (size_t)pl.n > tc->capsegs) {
        size_t nc = tc->capsegs ? tc->capsegs * 2 : 65536;
        while (nc < tc->nsegs + (size_t)pl.n)
            nc *= 2;
        zn__seg *s2 = realloc(tc->segs, nc * sizeof *s2);
        if (!s2) {
            tc->oom = 1;
            return;
        }
        tc->segs = s2;
        tc->capsegs = nc;
    }
    w->seg_start[p] = (int32_t)tc->nsegs;
    w->seg_n[p] = (uint8_t)pl.n;
    memcpy(tc->segs + tc->nsegs, pl.s, (size_t)pl.n * sizeof *pl.s);
    tc->nsegs += (size_t)pl.n;
    if (w->opt->write_stays)
        for (int i = 0; i < pl.n; i++)
            if (pl.s[i].place >= 0) {
                char line[96];
                int n = snprintf(line, sizeof line, "%lld,%d,%lld,%lld\n", (long long)p, pl.s[i].place,
                                 (long long)(ds + pl.s[i].t0), (long long)(ds + pl.s[i].t1));
                zn_buf_append(&tc->stays, line, (size_t)n);
            }
    emit_telecom(tc, &pl, &dr);
    emit_scans(tc, &pl, &dr);

    int inf = w->inf_of[p];
    const zn__inf *in = inf >= 0 ? &w->inf[inf] : NULL;
    int county = home_county(w, p);
    const char *comm_code = home_comm_code(w, p);
    const char *date8 = tc->date8;
    char sid[40], site[96], name[32], mob[12], ta[20];
    /* name and phone for the rows below, made when a row needs them (most person-days have none) */
    name[0] = mob[0] = '\0';
#define NEED_NAME_MOB()                                                                            \
    do {                                                                                           \
        if (!name[0])                                                                              \
            zn__person_name(w, q, name, sizeof name);                                              \
        if (q->mobile && !mob[0])                                                                  \
            zn__fmt_mobile(q->mobile, mob);                                                        \
    } while (0)
    zn__row *row = &tc->row;
    /* pharmacy purchase */
    if (tp != ZN__NONE) {
        static const char *const cats[] = {"antipyretic", "cough", "antibiotic", "antiviral"};
        static const char *const drugs[] = {"布洛芬缓释胶囊", "复方甘草片", "阿莫西林胶囊", "奥司他韦胶囊"};
        zn_rng r;
        zn_rng_seed_key(&r, w->seed, ZN__S_EVENTS, 10 + (uint64_t)d, (uint64_t)p);
        int k = in && in->symptomatic ? (zn_rng_uniform(&r) < 0.7 ? 0 : 1) : (int)zn_rng_below(&r, 4);
        const zn__venue *v = &w->ven[q->pharmacy];
        char qty[8], temp[8];
        NEED_NAME_MOB();
        zn__row_reset(row);
        row->v[PH_ID] = v->code;
        row->v[PH_NAME] = v->name;
        row->v[PH_DIV] = w->comms[v->comm].code;
        row->v[PH_RID] = q->id;
        row->v[PH_PNAME] = name;
        row->v[PH_MOBILE] = q->mobile ? mob : NULL;
        zn__fmt_time(tp + 300, ta);
        row->v[PH_TIME] = ta;
        row->v[PH_CAT] = cats[k];
        row->v[PH_DRUG] = drugs[k];
        snprintf(qty, sizeof qty, "%d", 1 + (int)zn_rng_below(&r, 2));
        row->v[PH_QTY] = qty;
        double tempv = in && in->symptomatic && tp >= in->t_onset ? 37.4 + zn_rng_uniform(&r) * 1.6 : 36.3 + zn_rng_uniform(&r) * 0.8;
        snprintf(temp, sizeof temp, "%.1f", tempv);
        row->v[PH_TEMP] = temp;
        zn__emit(w, ZN__F_PHARMACY, &tc->tb[ZN__F_PHARMACY], row, &dr);
        /* registration: a PCR within hours (杭州 2022 四类药品 rule; sampling 2 h later) */
        int64_t s = tp + 2 * 3600;
        if (s < ds + ZN__DAY - 600) {
            int pos = in && draw(w, p, d, 5) < zn__detect_prob(in, s);
            snprintf(sid, sizeof sid, "D%s%08llx", date8, (unsigned long long)p);
            snprintf(site, sizeof site, "%s核酸采样点", w->comms[v->comm].name);
            nat_row(tc, p, sid, "single", s, s + 6 * 3600, pos, in, site, w->comms[v->comm].code, county, &dr);
        }
    }
    /* fever clinic visit and its PCR */
    if (tv != ZN__NONE) {
        zn_rng r;
        zn_rng_seed_key(&r, w->seed, ZN__S_EVENTS, 40 + (uint64_t)d, (uint64_t)p);
        const zn__venue *h = &w->ven[q->fav[4]];
        char temp[8];
        NEED_NAME_MOB();
        zn__row_reset(row);
        snprintf(sid, sizeof sid, "FV%s%08llx", date8, (unsigned long long)p);
        row->v[FV_ID] = sid;
        row->v[FV_HOSP] = h->name;
        row->v[FV_DIV] = w->comms[h->comm].code;
        row->v[FV_RID] = q->id;
        row->v[FV_NAME] = name;
        row->v[FV_MOBILE] = q->mobile ? mob : NULL;
        zn__fmt_time(tv, ta);
        row->v[FV_TIME] = ta;
        int fever = in && in->symptomatic && tv >= in->t_onset;
        snprintf(temp, sizeof temp, "%.1f", fever ? 37.5 + zn_rng_uniform(&r) * 1.8 : 37.3 + zn_rng_uniform(&r) * 0.9);
        row->v[FV_TEMP] = temp;
        row->v[FV_SYMPT] = fever ? "发热、咽痛、咳嗽" : "发热";
        row->v[FV_EPI] = "14天内无中高风险地区旅居史";
        row->v[FV_DISP] = "observation";
        zn__emit(w, ZN__F_FEVER, &tc->tb[ZN__F_FEVER], row, &dr);
        int64_t s = tv + 1200, res = s + 4 * 3600 + (int64_t)(draw(w, p, d, 3) * 4 * 3600);
        int pos = in && draw(w, p, d, 1) < zn__detect_prob(in, s);
        char sid2[40];
        snprintf(sid2, sizeof sid2, "F%s%08llx", date8, (unsigned long long)p);
        nat_row(tc, p, sid2, "single", s, res, pos, in, h->name, w->comms[h->comm].code, county, &dr);
        code_row(w, &tc->tb[ZN__F_HEALTH_CODE], row, p, "yellow", tv + 600, "发热门诊就诊", &dr);
        if (!pos)
            code_row(w, &tc->tb[ZN__F_HEALTH_CODE], row, p, "green", res + 600, "核酸检测阴性", &dr);
    }
    /* routine screening: the pooled tube, and a single-tube retest when the pool is positive */
    int64_t s;
    if (w->pool[p] >= 0 && routine_today(w, p, d, &s)) {
        int pool = w->pool[p];
        const zn__comm *cm = &w->comms[w->res[w->hh[q->hh].res].comm];
        snprintf(sid, sizeof sid, "P%s%07d", date8, pool);
        snprintf(site, sizeof site, "%s核酸采样点", cm->name);
        int64_t res = ds + 18 * 3600 + (pool % 60) * 60;
        nat_row(tc, p, sid, "pooled_10", s, res, w->pool_pos[pool], NULL, site, cm->code, county, &dr);
        if (w->pool_pos[pool]) {
            int64_t s2 = ds + 20 * 3600 + (int64_t)(draw(w, p, d, 4) * 3600);
            int pos = in && draw(w, p, d, 2) < zn__detect_prob(in, s2);
            char sid2[40];
            snprintf(sid2, sizeof sid2, "R%s%08llx", date8, (unsigned long long)p);
            nat_row(tc, p, sid2, "single", s2, s2 + 4 * 3600, pos, in, site, cm->code, county, &dr);
        }
    }
    /* quarantine tests */
    if (quar_test_today(w, p, d, &s)) {
        int pos = in && draw(w, p, d, 0) < zn__detect_prob(in, s);
        const zn__venue *hv = &w->ven[w->counties[county].vfirst[ZN__V_HOTEL]];
        snprintf(sid, sizeof sid, "Q%s%08llx", date8, (unsigned long long)p);
        nat_row(tc, p, sid, "single", s, s + 6 * 3600, pos, in, hv->name, w->comms[hv->comm].code, county, &dr);
    }
    /* antigen self-test, and the community PCR after a positive one */
    if (antigen_today(w, p, d, &t)) {
        int pos = antigen_positive(w, p, d, t);
        NEED_NAME_MOB();
        zn__row_reset(row);
        row->v[AG_RID] = q->id;
        row->v[AG_MOBILE] = mob;
        zn__fmt_time(t, ta);
        row->v[AG_TIME] = ta;
        row->v[AG_RESULT] = pos ? "positive" : "negative";
        row->v[AG_SETTING] = "self";
        row->v[AG_DIV] = comm_code;
        zn__emit(w, ZN__F_ANTIGEN, &tc->tb[ZN__F_ANTIGEN], row, &dr);
        if (pos) {
            int64_t s2 = t + 2 * 3600;
            int ppos = in && draw(w, p, d, 6) < zn__detect_prob(in, s2);
            snprintf(sid, sizeof sid, "A%s%08llx", date8, (unsigned long long)p);
            snprintf(site, sizeof site, "%s上门采样", w->counties[county].name);
            nat_row(tc, p, sid, "single", s2, s2 + 6 * 3600, ppos, in, site, comm_code, county, &dr);
        }
    }
#undef NEED_NAME_MOB
}

static void *thread_main(void *arg)
{
    tctx *tc = arg;
    char dd[11];
    zn__fmt_date(tc->w->day0 + tc->d, dd);
    snprintf(tc->date8, sizeof tc->date8, "%.4s%.2s%.2s", dd, dd + 5, dd + 8);
    for (int64_t p = tc->p0; p < tc->p1 && !tc->oom; p++)
        person_day(tc, p);
    return NULL;
}

/* ---- the serial passes ---- */

typedef struct serial {
    zn__tbuf *tb;
    zn__row row;
} serial;

static void isolation_checkin(zn__world *w, serial *se, int64_t p, int64_t t, int contact, zn_rng *dr)
{
    int k = home_county(w, p);
    int hv = w->counties[k].vfirst[ZN__V_HOTEL];
    const zn__venue *h = &w->ven[hv];
    const zn__person *q = &w->per[p];
    zn__row *row = &se->row;
    char name[32], room[16], a[20], b[20], div[13];
    zn__row_reset(row);
    row->v[HT_ID] = h->code;
    row->v[HT_NAME] = h->name;
    memcpy(div, w->comms[h->comm].code, 13);
    row->v[HT_DIV] = div;
    row->v[HT_RID] = q->id;
    zn__person_name(w, q, name, sizeof name);
    row->v[HT_PNAME] = name;
    snprintf(room, sizeof room, "%d%02d", 2 + (int)((uint64_t)p % 18), 1 + (int)((uint64_t)p / 18 % 40));
    row->v[HT_ROOM] = room;
    zn__fmt_time(t, a);
    row->v[HT_IN] = a;
    if (contact) {
        zn__fmt_time(t + 7 * ZN__DAY, b);
        row->v[HT_OUT] = b;
    }
    row->has_pt = 1;
    row->lon = h->lon;
    row->lat = h->lat;
    zn__emit(w, ZN__F_HOTEL, &se->tb[ZN__F_HOTEL], row, dr);
}

static void case_report(zn__world *w, serial *se, zn__inf *in, zn_rng *dr)
{
    int64_t p = in->person;
    const zn__person *q = &w->per[p];
    zn__row *row = &se->row;
    char name[32], age[8], mob[12], onset[11], a[20], b[20], addr[256], unit[128], rd[11];
    zn__fmt_date(w->day0 + day_of(w, in->t_report), rd);
    snprintf(in->case_id, sizeof in->case_id, "HZ%.4s%.2s%.2s-%04lld", rd, rd + 5, rd + 8, (long long)++w->case_seq);
    zn__row_reset(row);
    row->v[CR_ID] = in->case_id;
    row->v[CR_RID] = q->id;
    zn__person_name(w, q, name, sizeof name);
    row->v[CR_NAME] = name;
    row->v[CR_SEX] = q->sex == 1 ? "male" : "female";
    snprintf(age, sizeof age, "%d", q->age);
    row->v[CR_AGE] = age;
    if (q->mobile) {
        zn__fmt_mobile(q->mobile, mob);
        row->v[CR_MOBILE] = mob;
    }
    int confirmed = in->symptomatic && in->t_onset <= in->t_report;
    static const char *const sev[] = {"asymptomatic", "mild", "moderate", "severe", "critical"};
    row->v[CR_CLASS] = confirmed ? "confirmed" : "asymptomatic";
    row->v[CR_SEVERITY] = confirmed ? sev[in->severity] : "asymptomatic";
    if (confirmed) {
        zn__fmt_date(w->day0 + day_of(w, in->t_onset), onset);
        row->v[CR_ONSET] = onset;
    }
    zn__fmt_time(in->t_result, a);
    zn__fmt_time(in->t_report, b);
    row->v[CR_DIAG] = a;
    row->v[CR_REPORT] = b;
    int k = home_county(w, p);
    if (q->role == ZN__R_VISITOR) {
        const zn__venue *h = &w->ven[w->visits[q->visit].hotel];
        row->v[CR_DIV] = w->comms[h->comm].code;
        zn__venue_address(w, w->visits[q->visit].hotel, addr, sizeof addr);
        row->has_pt = 1;
        row->lon = h->lon;
        row->lat = h->lat;
    } else {
        const zn__res *rs = &w->res[w->hh[q->hh].res];
        row->v[CR_DIV] = w->comms[rs->comm].code;
        zn__hh_address(w, q->hh, addr, sizeof addr);
        row->has_pt = 1;
        row->lon = rs->lon;
        row->lat = rs->lat;
    }
    row->v[CR_ADDR] = addr;
    if (in->detected_by == 1 && q->fav[4] >= 0)
        snprintf(unit, sizeof unit, "%s", w->ven[q->fav[4]].name);
    else
        snprintf(unit, sizeof unit, "%s疾病预防控制中心", w->counties[k].name);
    row->v[CR_UNIT] = unit;
    zn__emit(w, ZN__F_CASE, &se->tb[ZN__F_CASE], row, dr);
}

/* Today's tests of the infected: reports, isolation, quarantine of household members. */
static void prepass(zn__world *w, int d, serial *se)
{
    int64_t ds = day_start(w, d);
    /* routine pools: 10 consecutive testers of a community share a tube */
    int32_t *cur = malloc((size_t)w->ncomms * sizeof *cur);
    int8_t *fill = calloc((size_t)w->ncomms, 1);
    int np = 0;
    for (int i = 0; cur && i < w->ncomms; i++)
        cur[i] = -1;
    for (int64_t p = 0; p < w->nres_persons; p++) {
        int64_t s;
        w->pool[p] = -1;
        if (!cur || !fill || !routine_today(w, p, d, &s))
            continue;
        int c = w->res[w->hh[w->per[p].hh].res].comm;
        if (cur[c] < 0 || fill[c] >= 10) {
            cur[c] = np++;
            fill[c] = 0;
        }
        fill[c]++;
        w->pool[p] = cur[c];
    }
    free(cur);
    free(fill);
    free(w->pool_pos);
    w->pool_pos = calloc((size_t)np + 1, 1);
    w->npools = np;
    for (int i = 0; i < w->ninf && w->pool_pos; i++) {
        const zn__inf *in = &w->inf[i];
        int64_t p = in->person, s;
        if (w->pool[p] >= 0 && routine_today(w, p, d, &s) && draw(w, p, d, 2 + 14) < zn__detect_prob(in, s))
            w->pool_pos[w->pool[p]] = 1;
    }
    zn_rng dr, r;
    zn_rng_seed_key(&dr, w->seed, ZN__S_DIRT, 200 + (uint64_t)d, 0);
    int ninf = w->ninf;
    for (int i = 0; i < ninf; i++) {
        zn__inf *in = &w->inf[i];
        if (in->t_report != ZN__NONE)
            continue;
        int64_t p = in->person, best_r = ZN__NONE, best_s = 0, t;
        int route = 0;
        int64_t s;
        if (visit_today(w, p, d, &t)) {
            s = t + 1200;
            int64_t res = s + 4 * 3600 + (int64_t)(draw(w, p, d, 3) * 4 * 3600);
            if (draw(w, p, d, 1) < zn__detect_prob(in, s) && res < best_r)
                best_r = res, best_s = s, route = 1;
        }
        if (w->pool[p] >= 0 && w->pool_pos && w->pool_pos[w->pool[p]] && routine_today(w, p, d, &s)) {
            int64_t s2 = ds + 20 * 3600 + (int64_t)(draw(w, p, d, 4) * 3600);
            if (draw(w, p, d, 2) < zn__detect_prob(in, s2) && s2 + 4 * 3600 < best_r)
                best_r = s2 + 4 * 3600, best_s = s2, route = 2;
        }
        if (quar_test_today(w, p, d, &s) && draw(w, p, d, 0) < zn__detect_prob(in, s) && s + 6 * 3600 < best_r)
            best_r = s + 6 * 3600, best_s = s, route = 3;
        if (antigen_today(w, p, d, &t) && antigen_positive(w, p, d, t)) {
            s = t + 2 * 3600;
            if (draw(w, p, d, 6) < zn__detect_prob(in, s) && s + 6 * 3600 < best_r)
                best_r = s + 6 * 3600, best_s = s, route = 3;
        }
        if (pharmacy_today(w, p, d, &t)) {
            s = t + 2 * 3600;
            if (s < ds + ZN__DAY - 600 && draw(w, p, d, 5) < zn__detect_prob(in, s) && s + 6 * 3600 < best_r)
                best_r = s + 6 * 3600, best_s = s, route = 3;
        }
        if (best_r == ZN__NONE)
            continue;
        zn_rng_seed_key(&r, w->seed, ZN__S_EVENTS, 70 + (uint64_t)d, (uint64_t)p);
        in->t_sample = best_s;
        in->t_result = best_r;
        in->detected_by = route;
        in->t_report = best_r + 1800 + (int64_t)zn_rng_below(&r, 5400);
        int64_t iso0 = isolated_from(w, p);
        int64_t iso = in_isolation(w, p, in->t_report) ? iso0 : in->t_report + 3600 + (int64_t)zn_rng_below(&r, 3 * 3600);
        if (w->iso[p] == ZN__NONE || iso < w->iso[p])
            w->iso[p] = iso;
        in->t_iso = w->iso[p];
        case_report(w, se, in, &dr);
        code_row(w, se->tb + ZN__F_HEALTH_CODE, &se->row, p, "red", in->t_report, in->symptomatic ? "确诊病例" : "无症状感染者", &dr);
        w->code_color[p] = 2;
        if (!in_quarantine(w, p, in->t_report))
            isolation_checkin(w, se, p, w->iso[p], 0, &dr);
        /* the cold-chain index case: the batch's environment samples turn positive */
        if (in->infector < 0 && !strncmp(in->source, "cold_chain:", 11)) {
            zn__row *row = &se->row;
            const zn__venue *m = &w->ven[w->cold_market];
            char tt[20];
            zn__row_reset(row);
            row->v[CC_CODE] = w->cold_code;
            row->v[CC_PRODUCT] = "冷冻带鱼";
            row->v[CC_COUNTRY] = "印度尼西亚";
            row->v[CC_PORT] = "宁波舟山港";
            row->v[CC_EVENT] = "test";
            zn__fmt_time(in->t_report + 6 * 3600, tt);
            row->v[CC_TIME] = tt;
            row->v[CC_FACILITY] = m->name;
            row->v[CC_DIV] = w->comms[m->comm].code;
            row->v[CC_RESULT] = "positive";
            zn__emit(w, ZN__F_COLD, &se->tb[ZN__F_COLD], row, &dr);
        }
        /* household members: centralized quarantine within hours (anchors: contacts moved in 8 h) */
        const zn__person *q = &w->per[p];
        if (q->hh >= 0) {
            const zn__hh *h = &w->hh[q->hh];
            for (int m = 0; m < h->n; m++) {
                int64_t c = h->first + m;
                if (c == p || w->quar[c] != ZN__NONE || w->iso[c] != ZN__NONE)
                    continue;
                /* from the next day at the earliest, so that today's tests stay as decided */
                int64_t qt = in->t_report + 2 * 3600 + (int64_t)zn_rng_below(&r, 6 * 3600);
                w->quar[c] = qt < ds + ZN__DAY ? ds + ZN__DAY + 7 * 3600 + (int64_t)zn_rng_below(&r, 3600) : qt;
                code_row(w, se->tb + ZN__F_HEALTH_CODE, &se->row, c, "red", w->quar[c], "密切接触者", &dr);
                w->code_color[c] = 2;
                isolation_checkin(w, se, c, w->quar[c], 1, &dr);
            }
        }
    }
    /* releases from quarantine today */
    for (int64_t p = 0; p < w->nres_persons; p++)
        if (w->quar[p] != ZN__NONE && w->iso[p] == ZN__NONE && w->quar[p] + 7 * ZN__DAY >= ds &&
            w->quar[p] + 7 * ZN__DAY < ds + ZN__DAY) {
            code_row(w, se->tb + ZN__F_HEALTH_CODE, &se->row, p, "green", w->quar[p] + 7 * ZN__DAY, "解除隔离", &dr);
            w->code_color[p] = 0;
        }
}

/* The exposures of the day. */
typedef struct expo {
    int32_t inf, place;
    int32_t t0, t1;
    int32_t next;
} expo;

static int transmission(zn__world *w, int d, tctx *tcs, int nt, int32_t *head, expo **pool, int *cap)
{
    int64_t ds = day_start(w, d);
    int ne = 0;
    int32_t *touched = NULL;
    int ntouched = 0, captouched = 0;
    for (int i = 0; i < w->ninf; i++) {
        const zn__inf *in = &w->inf[i];
        int64_t a = in->t_inf + ZN__DAY, on = in->t_onset;
        if (on - (int64_t)(2.3 * ZN__DAY) > a)
            a = on - (int64_t)(2.3 * ZN__DAY);
        if (a >= ds + ZN__DAY || on + 7 * ZN__DAY <= ds)
            continue;
        int64_t p = in->person;
        if (w->seg_n[p] == 0)
            continue;
        /* its thread */
        int t = 0;
        while (t + 1 < nt && p >= tcs[t + 1].p0)
            t++;
        const zn__seg *sg = tcs[t].segs + w->seg_start[p];
        for (int k = 0; k < w->seg_n[p]; k++) {
            double prox;
            if (sg[k].place < 0 || place_setting(w, sg[k].place, &prox) < 0)
                continue;
            if (ne == *cap) {
                int nc = *cap ? *cap * 2 : 4096;
                expo *e2 = realloc(*pool, (size_t)nc * sizeof *e2);
                if (!e2) {
                    free(touched);
                    return -1;
                }
                *pool = e2;
                *cap = nc;
            }
            if (ntouched == captouched) {
                int nc = captouched ? captouched * 2 : 1024;
                int32_t *t2 = realloc(touched, (size_t)nc * sizeof *t2);
                if (!t2) {
                    free(touched);
                    return -1;
                }
                touched = t2;
                captouched = nc;
            }
            expo *e = &(*pool)[ne];
            e->inf = i;
            e->place = sg[k].place;
            e->t0 = sg[k].t0;
            e->t1 = sg[k].t1;
            e->next = head[sg[k].place];
            if (head[sg[k].place] < 0)
                touched[ntouched++] = sg[k].place;
            head[sg[k].place] = ne++;
        }
    }
    if (ne == 0) {
        free(touched);
        return 0;
    }
    /* every segment at a touched place: exposures of susceptible persons */
    typedef struct cand {
        int32_t inf, place;
        int32_t t0, t1;
        int set;
        double h;
    } cand;
    cand cs[256];
    int ncs = 0;
    int64_t cur = -1;
    double H = 0;
    for (int t = 0; t <= nt; t++) {
        size_t n = t < nt ? tcs[t].nsegs : 1;
        for (size_t k = 0; k < n; k++) {
            const zn__seg *s = t < nt ? &tcs[t].segs[k] : NULL;
            int64_t p = s ? s->person : -2;
            if (p != cur) {
                if (cur >= 0 && ncs > 0 && H > 0) {
                    zn_rng r;
                    zn_rng_seed_key(&r, w->seed, ZN__S_INFECT, (uint64_t)cur, (uint64_t)d);
                    if (zn_rng_uniform(&r) < 1 - exp(-H)) {
                        double u = zn_rng_uniform(&r) * H;
                        int j = 0;
                        for (; j < ncs - 1; j++)
                            if ((u -= cs[j].h) < 0)
                                break;
                        double f = zn_rng_uniform(&r);
                        int64_t e0 = ds + cs[j].t0, e1 = ds + cs[j].t1;
                        int64_t ti = e0 + (int64_t)(f * (double)(e1 - e0));
                        if (add_infection(w, cur, w->inf[cs[j].inf].person, cs[j].place, cs[j].set, ti, e0, e1, NULL) < 0) {
                            free(touched);
                            return -1;
                        }
                    }
                }
                cur = p;
                ncs = 0;
                H = 0;
            }
            if (!s || s->place < 0 || head[s->place] < 0 || w->inf_of[p] >= 0)
                continue;
            double prox0;
            int set0 = place_setting(w, s->place, &prox0);
            if (set0 < 0 || w->dis.lambda[set0] <= 0)
                continue;
            int staff = s->place >= w->pbase[ZN__P_VENUE] && s->place < w->pbase[ZN__P_METRO] &&
                        w->per[p].work_place == s->place;
            for (int32_t e = head[s->place]; e >= 0; e = (*pool)[e].next) {
                const expo *x = &(*pool)[e];
                const zn__inf *src = &w->inf[x->inf];
                if (src->person == p)
                    continue;
                /* two staff members of a venue are colleagues: the workplace hazard */
                int set = set0;
                double prox = prox0;
                if (staff && w->per[src->person].work_place == s->place) {
                    set = ZN__T_WORK;
                    prox = 1;
                }
                int32_t o0 = s->t0 > x->t0 ? s->t0 : x->t0, o1 = s->t1 < x->t1 ? s->t1 : x->t1;
                /* not before the infector's latency ends */
                int64_t lat_end = src->t_inf + ZN__DAY - ds;
                if (lat_end > o0)
                    o0 = lat_end >= o1 ? o1 : (int32_t)lat_end;
                if (o1 <= o0)
                    continue;
                double inf = zn__infectiousness(w, src, ds + (o0 + o1) / 2);
                if (inf <= 0)
                    continue;
                double h = w->dis.lambda[set] * prox * (o1 - o0) / 3600.0 * inf;
                if (ncs < 256) {
                    cs[ncs].inf = x->inf;
                    cs[ncs].place = s->place;
                    cs[ncs].t0 = o0;
                    cs[ncs].t1 = o1;
                    cs[ncs].h = h;
                    cs[ncs].set = set;
                    ncs++;
                    H += h;
                }
            }
        }
    }
    for (int i = 0; i < ntouched; i++)
        head[touched[i]] = -1;
    free(touched);
    return 0;
}

/* Travel, arrivals, cold chain: serial rows of day d. */
static void day_events(zn__world *w, int d, serial *se)
{
    int64_t ds = day_start(w, d);
    zn_rng dr, r;
    zn_rng_seed_key(&dr, w->seed, ZN__S_DIRT, 300 + (uint64_t)d, 0);
    zn__row *row = &se->row;
    char name[32], mob[12], a[20], b[20], date[11], carr[8], srow[8], seat[8], room[16];
    for (int i = 0; i < w->ntrips; i++) {
        const zn__trip *t = &w->trips[i];
        const zn__person *q = &w->per[t->person];
        const zn__leg *legs[2] = {&t->out, &t->back};
        for (int j = 0; j < 2; j++) {
            const zn__leg *l = legs[j];
            if (l->day != d)
                continue;
            if (l->dir == 0 && in_isolation(w, t->person, l->dep))
                continue; /* isolated: does not leave */
            const zn__route *ro = &zn__routes[l->route];
            zn__row_reset(row);
            row->v[PM_MODE] = ro->mode ? "train" : "flight";
            row->v[PM_VEHICLE] = l->dir ? ro->number_back : ro->number_out;
            zn__fmt_date(w->day0 + d, date);
            row->v[PM_DATE] = date;
            zn__fmt_time(l->dep, a);
            zn__fmt_time(l->arr, b);
            row->v[PM_DEP] = a;
            row->v[PM_ARR] = b;
            row->v[PM_ORIGIN] = l->dir ? ro->city : "杭州";
            row->v[PM_DEST] = l->dir ? "杭州" : ro->city;
            if (ro->mode) {
                snprintf(carr, sizeof carr, "%02d", l->carriage);
                row->v[PM_CARRIAGE] = carr;
                snprintf(seat, sizeof seat, "%02d%c", l->row, "ABCDF"[l->seat % 5]);
            } else {
                snprintf(seat, sizeof seat, "%d%c", l->row, "ABCDEF"[l->seat % 6]);
            }
            snprintf(srow, sizeof srow, "%d", l->row);
            row->v[PM_ROW] = srow;
            row->v[PM_SEAT] = seat;
            row->v[PM_RID] = q->id;
            zn__person_name(w, q, name, sizeof name);
            row->v[PM_NAME] = name;
            zn__fmt_mobile(q->mobile, mob);
            row->v[PM_MOBILE] = q->mobile ? mob : NULL;
            zn__emit(w, ZN__F_PASSENGER, &se->tb[ZN__F_PASSENGER], row, &dr);
        }
    }
    /* visitors arriving today: phone roams in, hotel check-in, yellow code from medium-risk areas */
    for (int i = 0; i < w->nvisits; i++) {
        const zn__visit *v = &w->visits[i];
        if (v->first_day != d)
            continue;
        int64_t p = v->person;
        const zn__person *q = &w->per[p];
        const zn__trip *t = &w->trips[q->trip];
        const zn__route *ro = &zn__routes[t->back.route];
        zn__row_reset(row);
        zn__fmt_mobile(q->mobile, mob);
        row->v[RA_MOBILE] = mob;
        row->v[RA_CARRIER] = zn__carrier_name(q->carrier);
        zn__fmt_time(t->back.arr + 300, a);
        row->v[RA_TIME] = a;
        row->v[RA_DIV] = ro->mode ? "330102000000" : "330109000000";
        row->v[RA_PROV] = ro->province;
        row->v[RA_CITY] = ro->city;
        row->v[RA_RISK] = v->risk ? "medium" : "none";
        zn__emit(w, ZN__F_ROAMING, &se->tb[ZN__F_ROAMING], row, &dr);
        const zn__venue *h = &w->ven[v->hotel];
        zn__row_reset(row);
        row->v[HT_ID] = h->code;
        row->v[HT_NAME] = h->name;
        row->v[HT_DIV] = w->comms[h->comm].code;
        row->v[HT_RID] = q->id;
        zn__person_name(w, q, name, sizeof name);
        row->v[HT_PNAME] = name;
        snprintf(room, sizeof room, "%d%02d", 3 + (int)((uint64_t)p % 12), 1 + (int)((uint64_t)p / 12 % 30));
        row->v[HT_ROOM] = room;
        zn__fmt_time(t->back.arr + 3600, a);
        zn__fmt_time(t->out.dep - 7200, b);
        row->v[HT_IN] = a;
        row->v[HT_OUT] = b;
        row->has_pt = 1;
        row->lon = h->lon;
        row->lat = h->lat;
        zn__emit(w, ZN__F_HOTEL, &se->tb[ZN__F_HOTEL], row, &dr);
        if (v->risk) {
            code_row(w, &se->tb[ZN__F_HEALTH_CODE], row, p, "yellow", t->back.arr + 600, "中风险地区来杭", &dr);
            w->code_color[p] = 1;
        }
    }
    /* cold chain: a batch reaches a market about every third day (ours) */
    static const char *const products[] = {"冷冻带鱼", "冻虾仁", "冷冻牛腩", "冻三文鱼", "冷冻鸡翅", "冻鱿鱼"};
    static const char *const countries[] = {"印度尼西亚", "厄瓜多尔", "巴西", "阿根廷", "挪威", "新西兰"};
    for (int k = 0; k < w->ncounties; k++) {
        const zn__county *c = &w->counties[k];
        for (int v = c->vfirst[ZN__V_MARKET]; v < c->vfirst[ZN__V_MARKET] + c->vcount[ZN__V_MARKET]; v++) {
            zn_rng_seed_key(&r, w->seed, ZN__S_COLD, (uint64_t)v, (uint64_t)d);
            int seeded = v == w->cold_market && d == w->cold_day;
            if (!seeded && zn_rng_uniform(&r) >= 1.0 / 3)
                continue;
            char code[24];
            if (seeded)
                snprintf(code, sizeof code, "%s", w->cold_code);
            else
                snprintf(code, sizeof code, "ZJLL%06d%08llu", v, (unsigned long long)zn_rng_below(&r, 100000000ULL) + (unsigned long long)d);
            int pi = seeded ? 0 : (int)zn_rng_below(&r, 6), ci = seeded ? 0 : (int)zn_rng_below(&r, 6);
            int port = zn_rng_uniform(&r) < 0.7;
            const zn__venue *m = &w->ven[v];
            /* the handler: one of the market's staff */
            int64_t handler = w->handler ? w->handler[v] : -1;
            static const char *const ev[] = {"import", "test", "disinfection", "storage_in", "storage_out", "transport", "sale"};
            static const int off_h[] = {-62, -58, -56, -40, -20, -19, -18}; /* hours before 24:00 of day d */
            char fac[96], div[13];
            for (int e = 0; e < 7; e++) {
                zn__row_reset(row);
                row->v[CC_CODE] = code;
                row->v[CC_PRODUCT] = products[pi];
                row->v[CC_COUNTRY] = countries[ci];
                row->v[CC_PORT] = port ? "宁波舟山港" : "上海港";
                row->v[CC_EVENT] = ev[e];
                zn__fmt_time(ds + ZN__DAY + off_h[e] * 3600 + (int64_t)zn_rng_below(&r, 1800), a);
                row->v[CC_TIME] = a;
                if (e <= 2) {
                    snprintf(fac, sizeof fac, "%s", port ? "宁波舟山港海关查验场" : "上海港海关查验场");
                    snprintf(div, sizeof div, "%s", port ? "330206000000" : "310115000000");
                } else if (e <= 5) {
                    snprintf(fac, sizeof fac, "杭州%s冷链物流中心", c->name);
                    memcpy(div, c->code, 13);
                } else {
                    snprintf(fac, sizeof fac, "%s", m->name);
                    memcpy(div, w->comms[m->comm].code, 13);
                }
                row->v[CC_FACILITY] = fac;
                row->v[CC_DIV] = div;
                row->v[CC_RESULT] = e == 1 ? "negative" : "not_tested";
                if (e == 6 && handler >= 0) {
                    zn__fmt_mobile(w->per[handler].mobile, mob);
                    row->v[CC_HANDLER] = mob;
                }
                zn__emit(w, ZN__F_COLD, &se->tb[ZN__F_COLD], row, &dr);
            }
        }
    }
}

/* ---- index cases ---- */

static zn_status seed_outbreak(zn__world *w, zn_error *err)
{
    zn_rng r;
    zn_rng_seed_key(&r, w->seed, ZN__S_SEEDS, 0, 0);
    w->cold_market = w->cold_day = -1;
    int D = w->opt->days;
    for (int i = 0; i < w->opt->index_cases; i++) {
        int kind = i % 3;
        char src[64];
        int64_t p = -1, t = 0;
        if (kind == 0 || kind == 2) {
            /* arrivals in the first days: visitors (kind 0) or returning residents (kind 2) */
            int n = 0;
            for (int j = 0; j < w->ntrips; j++) {
                const zn__trip *tr = &w->trips[j];
                int vis = w->per[tr->person].role == ZN__R_VISITOR;
                if (vis != (kind == 0) || tr->back.day < 0 || tr->back.day > (D > 2 ? 2 : D - 1) ||
                    tr->back.place < 0 || w->inf_of[tr->person] >= 0)
                    continue;
                if (zn_rng_below(&r, (uint64_t)++n) == 0) { /* reservoir sampling */
                    p = tr->person;
                    const zn__route *ro = &zn__routes[tr->back.route];
                    t = tr->back.arr - ZN__DAY - (int64_t)(zn_rng_uniform(&r) * 1.5 * ZN__DAY);
                    snprintf(src, sizeof src, "import:%s %s from %s", ro->mode ? "train" : "flight", ro->number_back, ro->city);
                }
            }
        } else {
            /* a market worker handling a contaminated imported cold-chain batch */
            int nm = 0, mk = -1;
            for (int v = 0; v < w->nven; v++)
                if (w->ven[v].type == ZN__V_MARKET && zn_rng_below(&r, (uint64_t)++nm) == 0)
                    mk = v;
            if (mk >= 0) {
                int n = 0;
                for (int64_t q = 0; q < w->nres_persons; q++)
                    if (w->per[q].work_place == vplace(w, mk) && w->inf_of[q] < 0 && zn_rng_below(&r, (uint64_t)++n) == 0)
                        p = q;
                if (p >= 0) {
                    int day = D > 1 ? 1 : 0;
                    w->cold_market = mk;
                    w->cold_day = day;
                    snprintf(w->cold_code, sizeof w->cold_code, "ZJLL%06d%08d", mk, 20220000 + day);
                    t = day_start(w, day) + 6 * 3600 + (int64_t)zn_rng_below(&r, 3 * 3600);
                    snprintf(src, sizeof src, "cold_chain:%s", w->cold_code);
                }
            }
        }
        if (p < 0) {
            /* fallback: a resident adult infected by an unknown source on the first day */
            do
                p = (int64_t)zn_rng_below(&r, (uint64_t)w->nres_persons);
            while (w->per[p].age < 18 || w->inf_of[p] >= 0);
            t = w->t0 - ZN__DAY + (int64_t)zn_rng_below(&r, ZN__DAY);
            snprintf(src, sizeof src, "unknown");
        }
        if (add_infection(w, p, -1, -1, -1, t, t, t, src) < 0)
            return zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    return ZN_OK;
}

/* Writing one day's buffers on a thread of its own while the next day is computed. */
typedef struct writer {
    zn__world *w;
    zn__tbuf *tbs;
    int ntb;
    zn_status st;
    zn_error err;
    pthread_t th;
    int running;
} writer;

static void *writer_main(void *arg)
{
    writer *wr = arg;
    wr->st = zn__flush(wr->w, wr->tbs, wr->ntb, &wr->err);
    return NULL;
}

static zn_status writer_wait(writer *wr, zn_error *err)
{
    if (!wr->running)
        return ZN_OK;
    pthread_join(wr->th, NULL);
    wr->running = 0;
    if (wr->st != ZN_OK && err)
        *err = wr->err;
    return wr->st;
}

static zn_status writer_start(writer *wr, zn__tbuf *tbs, zn_error *err)
{
    wr->tbs = tbs;
    wr->st = ZN_OK;
    zn_error_clear(&wr->err);
    if (pthread_create(&wr->th, NULL, writer_main, wr) == 0) {
        wr->running = 1;
        return ZN_OK;
    }
    return zn__flush(wr->w, tbs, wr->ntb, err); /* no thread: write now */
}

static zn_status write_truth(zn__world *w, zn_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/ground_truth.csv", w->opt->out_dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write: %s", strerror(errno));
    fputs("person_id,resident_id,infection_time,infector_person_id,infector_resident_id,source,setting,place_id,"
          "exposure_start,exposure_end,symptomatic,onset_time,detected_by,sample_time,report_time,case_id,"
          "isolation_time\n", f);
    static const char *const det[] = {"", "fever_clinic", "routine_screening", "quarantine_or_follow_up_test"};
    for (int i = 0; i < w->ninf; i++) {
        const zn__inf *in = &w->inf[i];
        const zn__person *q = &w->per[in->person];
        char inf_id[24] = "", ons[24] = "", rep[24] = "", iso[24] = "", smp[24] = "";
        if (in->infector >= 0)
            snprintf(inf_id, sizeof inf_id, "%d", in->infector);
        if (in->symptomatic)
            snprintf(ons, sizeof ons, "%lld", (long long)in->t_onset);
        if (in->t_report != ZN__NONE) {
            snprintf(rep, sizeof rep, "%lld", (long long)in->t_report);
            snprintf(smp, sizeof smp, "%lld", (long long)in->t_sample);
        }
        if (w->iso[in->person] != ZN__NONE)
            snprintf(iso, sizeof iso, "%lld", (long long)w->iso[in->person]);
        fprintf(f, "%d,%s,%lld,%s,%s,%s,%s,%d,%lld,%lld,%d,%s,%s,%s,%s,%s,%s\n", in->person, q->id,
                (long long)in->t_inf, inf_id, in->infector >= 0 ? w->per[in->infector].id : "",
                in->infector >= 0 ? "person" : in->source, in->infector >= 0 ? zn__setting_name(in->setting) : "index",
                in->place, (long long)in->expo0, (long long)in->expo1, in->symptomatic, ons,
                det[in->detected_by & 3], smp, rep, in->case_id, iso);
    }
    w->bytes_other += ftell(f);
    if (fclose(f) != 0)
        return zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write");
    return ZN_OK;
}

zn_status zn__simulate(zn__world *w, zn_error *err)
{
    disease_init(&w->dis, w->opt->variant);
    {
        zn_rng r;
        zn_rng_seed_key(&r, w->seed, ZN__S_DETECT, 0, 0);
        w->draw_key = zn_rng_next(&r);
    }
    size_t n = (size_t)w->nper;
    w->inf_of = malloc(n * sizeof *w->inf_of);
    w->iso = malloc(n * sizeof *w->iso);
    w->quar = malloc(n * sizeof *w->quar);
    w->pool = malloc(n * sizeof *w->pool);
    w->code_color = calloc(n, 1);
    w->seg_start = calloc(n, sizeof *w->seg_start);
    w->seg_n = calloc(n, 1);
    int32_t *head = malloc((size_t)w->pbase[ZN__P_COUNT] * sizeof *head);
    int nt = w->threads;
    tctx *tcs = calloc((size_t)nt, sizeof *tcs);
    zn__tbuf *sets[2] = {zn__tbufs_new((nt + 1) * ZN__F_COUNT), zn__tbufs_new((nt + 1) * ZN__F_COUNT)};
    zn__tbuf *tbs = sets[0];
    writer wr = {.w = w, .ntb = nt + 1};
    serial se;
    zn_status st = ZN_OK;
    expo *ex = NULL;
    int excap = 0;
    if (!w->inf_of || !w->iso || !w->quar || !w->pool || !w->code_color || !w->seg_start || !w->seg_n || !head ||
        !tcs || !sets[0] || !sets[1]) {
        st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        w->inf_of[i] = -1;
        w->iso[i] = w->quar[i] = ZN__NONE;
        w->pool[i] = -1;
    }
    for (int32_t i = 0; i < w->pbase[ZN__P_COUNT]; i++)
        head[i] = -1;
    if ((st = seed_outbreak(w, err)) != ZN_OK)
        goto done;
    w->handler = malloc((size_t)(w->nven ? w->nven : 1) * sizeof *w->handler);
    if (!w->handler) {
        st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        goto done;
    }
    for (int v = 0; v < w->nven; v++)
        w->handler[v] = -1;
    for (int64_t p = 0; p < w->nres_persons; p++) {
        int32_t wp = w->per[p].work_place;
        if (wp >= w->pbase[ZN__P_VENUE] && wp < w->pbase[ZN__P_METRO] && w->per[p].mobile &&
            w->handler[wp - w->pbase[ZN__P_VENUE]] < 0)
            w->handler[wp - w->pbase[ZN__P_VENUE]] = p;
    }
    if (!w->opt->write_stays) {
        char path[1100]; /* no stale contacts of an earlier run beside the new ground truth */
        snprintf(path, sizeof path, "%s/truth_stays.csv", w->opt->out_dir);
        remove(path);
    } else {
        char path[1100];
        snprintf(path, sizeof path, "%s/truth_stays.csv", w->opt->out_dir);
        w->truth_stays = fopen(path, "wb");
        if (!w->truth_stays) {
            st = zn_error_set(err, ZN_EIO, path, 0, NULL, "cannot write: %s", strerror(errno));
            goto done;
        }
        setvbuf(w->truth_stays, NULL, _IOFBF, 1 << 20);
        fputs("person_id,place_id,t_start,t_end\n", w->truth_stays);
    }
    for (int t = 0; t < nt; t++) {
        tcs[t].w = w;
        tcs[t].id = t;
        tcs[t].p0 = (int64_t)((double)w->nper * t / nt);
        tcs[t].p1 = (int64_t)((double)w->nper * (t + 1) / nt);
    }
    double tp = 0, tday = 0, ttr = 0, tev = 0, tfl = 0, tq;
    for (int d = 0; d < w->opt->days; d++) {
        tbs = sets[d & 1];
        se.tb = tbs + (size_t)nt * ZN__F_COUNT;
        for (int t = 0; t < nt; t++)
            tcs[t].tb = tbs + (size_t)t * ZN__F_COUNT;
        tq = zn__now();
        prepass(w, d, &se);
        tp += zn__now() - tq;
        tq = zn__now();
        if (!w->pool_pos) {
            st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            goto done;
        }
        pthread_t th[64];
        int started[64] = {0};
        for (int t = 0; t < nt; t++) {
            tcs[t].d = d;
            tcs[t].nsegs = 0;
            zn_buf_reset(&tcs[t].stays);
            if (t > 0 && pthread_create(&th[t], NULL, thread_main, &tcs[t]) == 0)
                started[t] = 1;
        }
        thread_main(&tcs[0]);
        for (int t = 1; t < nt; t++) {
            if (started[t])
                pthread_join(th[t], NULL);
            else
                thread_main(&tcs[t]);
        }
        for (int t = 0; t < nt; t++)
            if (tcs[t].oom) {
                st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                goto done;
            }
        if (w->truth_stays)
            for (int t = 0; t < nt; t++)
                if (tcs[t].stays.len && fwrite(tcs[t].stays.data, 1, tcs[t].stays.len, w->truth_stays) != tcs[t].stays.len) {
                    st = zn_error_set(err, ZN_EIO, "truth_stays.csv", 0, NULL, "cannot write");
                    goto done;
                }
        tday += zn__now() - tq;
        tq = zn__now();
        if (transmission(w, d, tcs, nt, head, &ex, &excap) < 0) {
            st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
            goto done;
        }
        ttr += zn__now() - tq;
        tq = zn__now();
        day_events(w, d, &se);
        tev += zn__now() - tq;
        tq = zn__now();
        if ((st = writer_wait(&wr, err)) != ZN_OK || (st = writer_start(&wr, tbs, err)) != ZN_OK)
            goto done;
        tfl += zn__now() - tq;
        zn_log(w->ctx, ZN_LOG_INFO, "gen: day %d done, %d infections", d + 1, w->ninf);
    }
    zn_log(w->ctx, ZN_LOG_INFO, "gen: seconds in pre-pass %.2f, day pass %.2f, transmission %.2f, events %.2f, waiting for the writer %.2f",
           tp, tday, ttr, tev, tfl);
    tq = zn__now();
    if ((st = writer_wait(&wr, err)) != ZN_OK)
        goto done;
    tfl += zn__now() - tq;
    zn_log(w->ctx, ZN_LOG_INFO, "gen: waited %.2f s for the writer", tfl);
    if ((st = write_truth(w, err)) != ZN_OK)
        goto done;
done:
    writer_wait(&wr, NULL);
    if (w->truth_stays) {
        w->bytes_other += ftell(w->truth_stays);
        if (fclose(w->truth_stays) != 0 && st == ZN_OK)
            st = zn_error_set(err, ZN_EIO, "truth_stays.csv", 0, NULL, "cannot write");
        w->truth_stays = NULL;
    }
    for (int t = 0; tcs && t < nt; t++) {
        free(tcs[t].segs);
        zn_buf_fini(&tcs[t].stays);
    }
    free(tcs);
    free(ex);
    free(head);
    zn__tbufs_free(sets[0], (nt + 1) * ZN__F_COUNT);
    zn__tbufs_free(sets[1], (nt + 1) * ZN__F_COUNT);
    free(w->seg_start);
    free(w->seg_n);
    w->seg_start = NULL;
    w->seg_n = NULL;
    free(w->code_color);
    w->code_color = NULL;
    free(w->handler);
    w->handler = NULL;
    return st;
}
