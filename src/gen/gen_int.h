/* Internals of the demo-city generator (src/gen). Not for other modules. */
#ifndef ZN_GEN_INT_H
#define ZN_GEN_INT_H

#include "zhinao/gen.h"
#include "zhinao/geo.h"
#include "zhinao/div.h"
#include "zhinao/hub.h"

#include <stdint.h>
#include <stdio.h>

#define ZN__DAY 86400
#define ZN__TZ 28800 /* Asia/Shanghai, +08:00 */
#define ZN__NONE INT64_MAX

/* RNG stream ids: one per purpose, so adding draws to one purpose never shifts another. */
enum {
    ZN__S_WORLD = 1, ZN__S_PEOPLE, ZN__S_DAY, ZN__S_ROUTINE, ZN__S_DETECT, ZN__S_INFECT,
    ZN__S_HISTORY, ZN__S_DIRT, ZN__S_TRIPS, ZN__S_SEEDS, ZN__S_COLD, ZN__S_EVENTS, ZN__S_VACC,
    ZN__S_FILES, ZN__S_GRID
};

/* Roles of persons. */
enum { ZN__R_TODDLER = 0, ZN__R_PUPIL, ZN__R_WORKER, ZN__R_HOME, ZN__R_RETIRED, ZN__R_VISITOR };

/* Venue types (the catalogue's venue_type names are in gen_write.c). */
enum {
    ZN__V_SUPERMARKET = 0, ZN__V_MARKET, ZN__V_RESTAURANT, ZN__V_HOTEL, ZN__V_HOSPITAL,
    ZN__V_PHARMACY, ZN__V_SCHOOL, ZN__V_OFFICE, ZN__V_FACTORY, ZN__V_METRO, ZN__V_BUS,
    ZN__V_COUNT
};

/* Transmission settings (ground truth `setting`, hazard parameters). */
enum {
    ZN__T_HOUSEHOLD = 0, ZN__T_WORK, ZN__T_SCHOOL, ZN__T_VENUE, ZN__T_HEALTHCARE, ZN__T_TRANSPORT,
    ZN__T_HOTEL, ZN__T_COUNT
};

/* Place kinds of the truth stays (dense ids, kind ranges in zn__world.pbase). */
enum {
    ZN__P_HOUSEHOLD = 0, ZN__P_TEAM, ZN__P_CLASS, ZN__P_VENUE, ZN__P_METRO, ZN__P_TRIP, ZN__P_ROOM,
    ZN__P_COUNT
};

typedef struct zn__county {
    char code[13];  /* 12-digit NBS code */
    char code6[7];
    char name[32];
    double pop;     /* 7th census resident population (weight) */
    int metro;      /* has metro lines (2022) */
    int urban;      /* central district: workplaces attract commuters */
    double bbox[4]; /* GCJ-02 lon/lat min, max (from the DataV outline) */
    int first_town, ntown;
    int64_t residents;
    int first_res, nres;   /* residences of this county (contiguous after sorting) */
    int vfirst[ZN__V_COUNT], vcount[ZN__V_COUNT]; /* venues by type, spatially sorted */
    int metro_cars;        /* cars per metro run, scaled with the population */
} zn__county;

typedef struct zn__town {
    char code[13];
    char name[64];
    int county;
} zn__town;

typedef struct zn__comm {
    char code[13];
    char name[64];
    int town, county;
    int village;   /* name ends in 村: rural */
    int first_grid, ngrids;
    int64_t households, residents;
    double lon, lat; /* WGS-84 centre of its residences */
} zn__comm;

typedef struct zn__res {
    char name[64];  /* compound name, or the settlement's village name */
    double lon, lat; /* WGS-84 */
    int county, comm;
    int compound;   /* 1 real compound, 0 synthetic village settlement */
    uint64_t morton;
    int first_hh, nhh;
    int64_t cell;
    char cell_txt[24];   /* "G800:col:row" */
    double clon, clat;   /* WGS-84 centre of the cell */
} zn__res;

typedef struct zn__hh {
    int res;
    int first, n;     /* persons [first, first + n) */
    int collective;   /* dormitory (集体户) */
    int building, unit, room;
    int grid;
} zn__hh;

typedef struct zn__person {
    char id[19];       /* resident ID number, NUL-terminated */
    uint64_t mobile;   /* 11-digit number, 0 = none */
    int32_t hh;        /* household, -1 for visitors */
    int32_t work_place;/* place id of the workplace team / venue / class, -1 none */
    int32_t work_venue;/* venue scanned and located at work/school, -1 none */
    int32_t fav[5];    /* supermarket, market, restaurant near home, restaurant near work, hospital */
    int32_t pharmacy, bus, metro_station;
    int32_t trip;      /* index into trips, -1 */
    int32_t visit;     /* visitors: index into visits */
    int32_t birth_days; /* birth date, days since 1970-01-01 */
    uint16_t given;    /* given-name index */
    uint8_t surname, age, sex, role, commute, registered, carrier, routine;
} zn__person;

typedef struct zn__venue {
    int type, county, comm;
    double lon, lat;   /* WGS-84 */
    int64_t cell;
    char code[20];
    char name[96];
    int isolation;     /* hotel used for centralized isolation */
    uint64_t morton;
    char cell_txt[24];
    double clon, clat;
} zn__venue;

/* A team of a workplace or a school class: a place of its own. */
typedef struct zn__group {
    int venue;
    int kind; /* ZN__P_TEAM or ZN__P_CLASS */
    int grade;
} zn__group;

/* A trip of a resident (out and back) or the arrival/departure of a visitor. */
typedef struct zn__leg {
    int route;        /* index into the route table */
    int dir;          /* 0 Hangzhou -> other city, 1 back */
    int day;          /* local day index relative to the start (may be < 0) */
    int64_t dep, arr; /* UTC seconds */
    int carriage, row, seat; /* carriage 0 for flights; seat 0..5 (letter) */
    int32_t place;    /* truth place of the compartment, -1 when outside the period */
} zn__leg;

typedef struct zn__trip {
    int32_t person;
    zn__leg out, back;  /* visitors: out = arrival (dir 1), back = departure (dir 0) */
    int has_out, has_back;
} zn__trip;

/* A visitor's stay (person index >= residents). */
typedef struct zn__visit {
    int32_t person;
    int hotel;          /* venue */
    int office_team;    /* place id of a team visited on business, -1 */
    int first_day, last_day;
    int risk;           /* 0 none, 1 medium */
    int origin;         /* city index */
} zn__visit;

/* One infection (ground truth). */
typedef struct zn__inf {
    int32_t person, infector; /* infector -1: imported / cold chain */
    int32_t place;            /* truth place of the exposure, -1 for index cases */
    int setting;
    int symptomatic;
    int64_t t_inf, t_onset;   /* onset: symptom onset, or the pseudo-onset of an asymptomatic
                                 infection used for its infectiousness and test positivity */
    int64_t expo0, expo1;     /* exposure overlap [expo0, expo1) */
    int64_t t_visit;          /* planned fever-clinic visit, ZN__NONE when none */
    int64_t t_pharm;          /* planned pharmacy purchase, ZN__NONE */
    int64_t t_report;         /* ZN__NONE until reported */
    int64_t t_iso;
    int detected_by;          /* 0 none, 1 fever clinic, 2 routine screening, 3 quarantine test */
    int severity;
    int64_t t_sample, t_result;
    char source[64];          /* index cases: where it came from */
    char case_id[24];
} zn__inf;

/* One dirt-aware output file of a feed (main and late). */
typedef struct zn__sink {
    const zn_feed *feed;   /* NULL when the catalogue lacks the feed */
    int colslot[64];       /* catalogue column -> generator slot, -1 unknown */
    int lon_col, lat_col;  /* catalogue columns of the first point, -1 none */
    int point_crs;
    int rid_slot;          /* slot of the first resident_id column, -1 */
    int seat_slot, seat_row_slot;
    int check_l, check_r;  /* slots of the first row check, -1 */
    FILE *f, *late;
    char path[1024], late_path[1024];
    int gbk;
    int64_t rows, late_rows, bytes;
    int64_t eligible[ZN_GEN_DIRT_COUNT], injected[ZN_GEN_DIRT_COUNT];
    void *iconv_cd;        /* iconv_t for GBK files */
} zn__sink;

/* Per-thread output buffers of one sink. */
typedef struct zn__tbuf {
    zn_buf main, late;
    int64_t rows, late_rows;
    int64_t eligible[ZN_GEN_DIRT_COUNT], injected[ZN_GEN_DIRT_COUNT];
} zn__tbuf;

/* Feeds the generator knows. */
enum {
    ZN__F_POPULATION = 0, ZN__F_GRID, ZN__F_VENUE_REG, ZN__F_VACCINATION, ZN__F_HEALTH_CODE,
    ZN__F_TELECOM, ZN__F_SCAN, ZN__F_NAT, ZN__F_ANTIGEN, ZN__F_PHARMACY, ZN__F_FEVER, ZN__F_HOTEL,
    ZN__F_ROAMING, ZN__F_PASSENGER, ZN__F_COLD, ZN__F_CASE, ZN__F_COUNT
};

#define ZN__MAXSLOT 24

/* Generator slots of each feed; the names (gen_write.c) are matched to catalogue columns. */
enum { POP_RID, POP_NAME, POP_SEX, POP_MOBILE, POP_TYPE, POP_DIV, POP_ADDR, POP_REGDATE, POP_LON, POP_LAT };
enum { GRD_COMM, GRD_COMM_NAME, GRD_ID, GRD_NAME, GRD_HH, GRD_RES, GRD_WNAME, GRD_WMOBILE, GRD_ROLE, GRD_LON, GRD_LAT };
enum { VR_CODE, VR_NAME, VR_TYPE, VR_DIV, VR_ADDR, VR_LON, VR_LAT };
enum { VAC_RID, VAC_DOSE, VAC_DATE, VAC_PRODUCT, VAC_MAKER, VAC_LOT, VAC_SITE, VAC_DIV };
enum { HC_RID, HC_MOBILE, HC_COLOR, HC_SINCE, HC_REASON, HC_DIV };
enum { TG_MOBILE, TG_CARRIER, TG_CELL, TG_T0, TG_T1, TG_LON, TG_LAT };
enum { SC_CODE, SC_RID, SC_MOBILE, SC_TIME, SC_DIR, SC_COLOR };
enum { NAT_SAMPLE, NAT_RID, NAT_NAME, NAT_MOBILE, NAT_TUBE, NAT_STIME, NAT_TTIME, NAT_RESULT, NAT_CT1, NAT_CT2, NAT_SITE, NAT_DIV, NAT_LAB };
enum { AG_RID, AG_MOBILE, AG_TIME, AG_RESULT, AG_SETTING, AG_DIV };
enum { PH_ID, PH_NAME, PH_DIV, PH_RID, PH_PNAME, PH_MOBILE, PH_TIME, PH_CAT, PH_DRUG, PH_QTY, PH_TEMP };
enum { FV_ID, FV_HOSP, FV_DIV, FV_RID, FV_NAME, FV_MOBILE, FV_TIME, FV_TEMP, FV_SYMPT, FV_EPI, FV_DISP };
enum { HT_ID, HT_NAME, HT_DIV, HT_RID, HT_PNAME, HT_ROOM, HT_IN, HT_OUT, HT_LON, HT_LAT };
enum { RA_MOBILE, RA_CARRIER, RA_TIME, RA_DIV, RA_PROV, RA_CITY, RA_RISK };
enum { PM_MODE, PM_VEHICLE, PM_DATE, PM_DEP, PM_ARR, PM_ORIGIN, PM_DEST, PM_CARRIAGE, PM_ROW, PM_SEAT, PM_RID, PM_NAME, PM_MOBILE };
enum { CC_CODE, CC_PRODUCT, CC_COUNTRY, CC_PORT, CC_EVENT, CC_TIME, CC_FACILITY, CC_DIV, CC_RESULT, CC_HANDLER };
enum { CR_ID, CR_RID, CR_NAME, CR_SEX, CR_AGE, CR_MOBILE, CR_CLASS, CR_SEVERITY, CR_ONSET, CR_DIAG, CR_REPORT, CR_DIV, CR_ADDR, CR_LON, CR_LAT, CR_UNIT };

/* A row being produced: values by generator slot, and the point in WGS-84. */
typedef struct zn__row {
    const char *v[ZN__MAXSLOT];
    int has_pt;
    double lon, lat;
    char scratch[2048];
    size_t used;
} zn__row;

/* One segment of a person's day: at a place (and venue/cell) from t0 to t1 (seconds of the day). */
typedef struct zn__seg {
    int32_t person;
    int32_t place;   /* truth place, -1 none (isolation) */
    int32_t venue;   /* venue scanned on entry, -1 */
    int32_t loc;     /* where the phone is: venue >= 0, residence -1 - r, ZN__NOLOC in transit */
    int32_t t0, t1;
    int32_t flags;   /* ZN__SEG_* */
} zn__seg;
#define ZN__NOLOC INT32_MIN

enum { ZN__SEG_SCAN = 1, ZN__SEG_HOME = 2, ZN__SEG_ISO = 4, ZN__SEG_HOTEL = 8 };

/* Parameters of the disease (docs/demo-city.md for sources). */
typedef struct zn__disease {
    const char *name;
    double inc_meanlog, inc_sdlog; /* incubation period, log-normal, days */
    double p_asym;                 /* share of infections that stay asymptomatic */
    double rel_asym;               /* relative infectiousness of asymptomatic infections */
    double sar[ZN__T_COUNT];       /* target secondary attack rates per contact */
    double ref_hours[ZN__T_COUNT]; /* reference exposure hours per day of the calibration */
    double ref_days[ZN__T_COUNT];  /* 1: repeated daily over the window; 0: a single exposure */
    double lambda[ZN__T_COUNT];    /* hazard per hour at infectiousness 1 (derived) */
} zn__disease;

/* The whole generator state. */
typedef struct zn__world {
    zn_ctx *ctx;
    const zn_gen_options *opt;
    zn_catalogue *cat;
    zn_div_registry *reg;
    zn_grid *grid;
    uint64_t seed;
    uint64_t draw_key; /* key of the counter-based draws of gen_sim.c */
    int64_t t0;        /* UTC seconds of local midnight of the start date */
    int64_t day0;      /* local day number of the start date */
    int threads;
    char city_code[13];
    char city_name[32];

    zn__county *counties; int ncounties;
    zn__town *towns; int ntowns;
    zn__comm *comms; int ncomms;
    zn__res *res; int nres;
    zn__hh *hh; int nhh;
    zn__person *per; int64_t nper, nres_persons; /* residents first, then visitors */
    zn__venue *ven; int nven;
    zn__group *grp; int ngrp;
    zn__trip *trips; int ntrips;
    zn__visit *visits; int nvisits;
    struct zn__gridrow *grids; int ngrids;

    int32_t pbase[ZN__P_COUNT + 1]; /* first place id of each kind; pbase[COUNT] = total */
    int metro_maxcars;
    int nroutes;

    /* outbreak state */
    zn__disease dis;
    zn__inf *inf; int ninf, capinf;
    int32_t *inf_of;   /* person -> infection index, -1 */
    int64_t *iso;      /* person -> isolation start (UTC), ZN__NONE */
    int64_t *quar;     /* person -> quarantine start as a contact, ZN__NONE */
    int32_t *pool;     /* person -> today's routine pool (-1 none) */
    uint8_t *pool_pos; /* pool -> 1 when positive today */
    int npools;
    int64_t case_seq;
    uint8_t *code_color;  /* person -> health code colour now: 0 green, 1 yellow, 2 red */
    int32_t *seg_start;   /* person -> first segment of today in its thread's array */
    uint8_t *seg_n;       /* person -> number of segments today */
    int64_t *handler;     /* venue -> one staff member with a phone, -1 */
    int cold_market, cold_day; /* the market and day of the contaminated cold-chain batch, -1 */
    char cold_code[24];

    zn__sink sink[ZN__F_COUNT];
    int gbk_eligible;     /* files that carry Chinese text (GBK candidates) */
    FILE *truth_stays;
    int64_t bytes_other;
    zn_gen_summary *sum;
} zn__world;

typedef struct zn__gridrow {
    int comm;
    int households, residents;
    double lon, lat;
    int32_t worker[4]; /* persons: leader, full-time, part-time, police/doctor share */
} zn__gridrow;

/* ---- helpers shared by the files of src/gen ---- */

/* Local civil parts of UTC t (+08:00). */
void zn__fmt_time(int64_t t, char out[20]);   /* "YYYY-MM-DD HH:MM:SS" */
void zn__fmt_date(int64_t days, char out[11]); /* local day number -> "YYYY-MM-DD" */
/* zn__fmt_time with the date part cached (zero-initialise the cache). */
typedef struct zn__tcache {
    int64_t day;
    int valid;
    char date[11];
} zn__tcache;
void zn__fmt_time_c(zn__tcache *c, int64_t t, char out[20]);
char *zn__fmt_fixed6(double v, char *out);      /* "120.123456" fast, returns out */
void zn__fmt_mobile(uint64_t m, char out[12]);

/* Copy s into the row scratch and return the copy (NULL when full). */
const char *zn__row_str(zn__row *r, const char *s);
const char *zn__row_printf(zn__row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void zn__row_reset(zn__row *r);

/* gen_world.c */
zn_status zn__world_build(zn__world *w, zn_error *err);
void zn__world_free(zn__world *w);
void zn__person_name(const zn__world *w, const zn__person *p, char *out, size_t n);
const char *zn__carrier_name(int carrier);
/* Address of a household: county + township + compound + building/unit/room. */
void zn__hh_address(const zn__world *w, int hh, char *out, size_t n);
int64_t zn__cell_of(zn__world *w, double lon, double lat);

/* Route table (flights and trains): names shared with gen_sim.c. */
typedef struct zn__route {
    int mode;          /* 0 flight, 1 train */
    const char *city;  /* other end */
    const char *province;
    const char *number_out, *number_back;
    int dep_out_min, dur_min, dep_back_min; /* local minutes of the day */
    const char *hz_end; /* 杭州萧山国际机场 / 杭州东站 */
} zn__route;
extern const zn__route zn__routes[];
extern const int zn__nroutes;

/* gen_write.c */
const char *zn__feed_name(int f);
const char *zn__setting_name(int s);
zn_status zn__sinks_open(zn__world *w, zn_error *err);
zn_status zn__sinks_close(zn__world *w, zn_error *err);
/* Emit one row of feed f into the thread buffer tb (dirt drawn from rng). */
void zn__emit(zn__world *w, int f, zn__tbuf *tb, zn__row *row, zn_rng *rng);
/* Append thread buffers to the files (in order) and reset them. */
zn_status zn__flush(zn__world *w, zn__tbuf *tbs, int ntb, zn_error *err);
zn__tbuf *zn__tbufs_new(int n);
void zn__tbufs_free(zn__tbuf *tbs, int n);
zn_status zn__write_manifest(zn__world *w, double seconds, zn_error *err);

const char *zn__venue_type_name(int t);
void zn__venue_address(const zn__world *w, int v, char *out, size_t n);

/* gen_static.c: setup feeds (registry, grids, venues, vaccination, initial health codes) */
zn_status zn__write_static(zn__world *w, zn_error *err);

/* gen_sim.c: the days and the outbreak */
double zn__now(void); /* monotonic seconds */
zn_status zn__simulate(zn__world *w, zn_error *err);
double zn__infectiousness(const zn__world *w, const zn__inf *in, int64_t t);
double zn__detect_prob(const zn__inf *in, int64_t t);

#endif
