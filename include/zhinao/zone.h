/*
 * zhinao zone: areal units, zone rule sets as data, the daily zone evaluation kernel, its stored
 * history and GeoJSON maps, and the measures that follow for each person.
 *
 * Terms (../shared/GLOSSARY.md): 封控区 / 管控区 / 防范区 = sealed / controlled / precaution zone;
 * 高 / 中 / 低风险区 = high / medium / low-risk area; 集中隔离医学观察 / 居家隔离 / 居家健康监测 =
 * centralized quarantine / home quarantine / home health monitoring.
 *
 * Days. Every date is a day number: days since 1970-01-01 (the civil date, no time zone), as
 * zn_days_from_civil (time.h) computes it; ZN_ZONE_NO_DAY marks "no such day".
 *
 * Units. A zone is a set of areal units. A unit has a kind (place = a residential compound, lane,
 * building or village group as registered; grid = a square grid cell of zn_grid; township;
 * county), a stable text key, and a point (WGS-84) or a polygon. A case residence maps to its
 * place unit; coarser units contain place units. How the Shanghai 2022 list addresses become
 * place units is zn_zone_address_normalize (docs/replay-shanghai-2022.md says why).
 *
 * Rule sets (data/rules/<name>.json, each citing its sources) name the levels from the highest
 * ("sealed") down, which level each kind of event puts a unit in, and after how many days
 * without an event a unit moves down a level. The kernel (zn_zone_evaluate) has the following
 * semantics, identical for every rule set:
 *   - the state of a unit on day D is decided from all events of days <= D;
 *   - a unit's clock has an anchor day: the day of its last event that raised or kept its level,
 *     or the first day of its current level; it leaves its level by transition t on the first day
 *     D with quiet(anchor, D) >= t.quiet_days, where quiet(a, D) counts the days of (a, D] that are
 *     known (missing policy "pause", the default) or all of them (policy "quiet"). So with every
 *     day known, a case on day L keeps a unit sealed on L .. L+6 under "a positive in the last
 *     7 days" and makes it controlled on L+7;
 *   - an event whose level is at or above the unit's level puts the unit at that level with the
 *     anchor on the event day (a reset when the level is the same); an event for a lower level
 *     changes nothing; a "clock" event moves the anchor of a unit above the floor to its day;
 *   - a transition marked requires_test also waits for a negative round of testing of the unit
 *     after its anchor (and within the rule's window before the transition day), see
 *     zn_zone_transition;
 *   - a manual override (with a reason, kept in the history) sets a unit's level on its day,
 *     up or down, with the anchor on that day; later events and transitions apply as usual;
 *   - the floor level (防范区, low risk) holds every other unit of the registry (scope registry),
 *     or of each county that has a unit above the floor that day (scope county); elsewhere units
 *     are in no zone.
 * Days for which the source published nothing are "unknown", never "no case" (docs/zones.md).
 */
#ifndef ZHINAO_ZONE_H
#define ZHINAO_ZONE_H

#include <stdio.h>

#include "zhinao/core.h"
#include "zhinao/geo.h"
#include "zhinao/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- days ---- */

#define ZN_ZONE_NO_DAY INT32_MIN

/* Parse "YYYY-MM-DD" or "YYYYMMDD" (a real calendar date) into a day number.
 * Errors: ZN_EPARSE. */
zn_status zn_zone_day_parse(const char *s, int32_t *day, zn_error *err);
/* Format a day number as "YYYY-MM-DD" into buf (at least 11 bytes); "" for ZN_ZONE_NO_DAY.
 * Returns buf. */
char *zn_zone_day_format(int32_t day, char *buf, size_t n);

/* ---- units ---- */

typedef enum zn_zone_unit_kind {
    ZN_ZONE_UNIT_PLACE = 0,    /* compound / lane / building / village group as registered */
    ZN_ZONE_UNIT_GRID = 1,     /* a zn_grid cell */
    ZN_ZONE_UNIT_TOWNSHIP = 2, /* 乡镇/街道, by 12-digit NBS code */
    ZN_ZONE_UNIT_COUNTY = 3,   /* 县/区, by 12-digit NBS code */
    ZN_ZONE_UNIT_BUILDING = 4  /* a building as the lists name it (zn_zone_address_building) */
} zn_zone_unit_kind;

/* "place", "grid", "township", "county", "building"; "unknown" otherwise. Static. */
const char *zn_zone_unit_kind_name(zn_zone_unit_kind k);

/*
 * The unit kind a rule's unit level stands for: "place", "compound", "village", "household" ->
 * PLACE (the finest unit the data registers), "building" -> BUILDING (20 measures, 新十条:
 * high-risk areas by building), "grid" -> GRID, "township" -> TOWNSHIP, "county"/"district" ->
 * COUNTY. Errors: ZN_EINVAL for other names.
 */
zn_status zn_zone_unit_kind_parse(const char *level, zn_zone_unit_kind *out);

/*
 * Normalise one address of the Shanghai 2022 lists (UTF-8) into the name of its place unit,
 * written to out (size n, NUL-terminated; the result is never longer than the input):
 *   1. full-width ASCII (０-９, Ａ-Ｚ, ａ-ｚ, （）, space) -> ASCII; blanks removed; trailing
 *      punctuation (，。、,.;；) removed;
 *   2. a trailing parenthesised remark is removed: "虹桥路1115弄（住宅）" -> "虹桥路1115弄";
 *   3. a number inside a numbered lane is the lane: "陆家浜路804弄7号" -> "陆家浜路804弄",
 *      "江苏路502弄20支弄" -> "江苏路502弄" (a 弄 preceded by digits is a lane, 里弄 compound;
 *      "毛家弄79号" is a street called 毛家弄 and stays);
 *   4. a leading town name is removed from village addresses when it equals `township` (the
 *      address's geocoded township, may be NULL): "宣桥镇光明村" in 宣桥镇 -> "光明村".
 * Errors: ZN_EINVAL (NULL), ZN_ERANGE (n too small: need strlen(address) + 1).
 */
zn_status zn_zone_address_normalize(const char *address, const char *township, char *out, size_t n);

/*
 * The building an address of the Shanghai 2022 lists names, written to out (size n; never longer
 * than the input): steps 1, 2 and 4 of zn_zone_address_normalize, then
 *   - in a numbered lane ("<digits>弄", optionally a branch lane "<digits>支弄") the building is
 *     the lane plus its house number, whatever the marker (号, 号楼, 幢, 栋, 座 -> 号):
 *     "陆家浜路804弄7号" -> itself, "某路100弄5幢" -> "某路100弄5号"; with no number the lane (or
 *     branch lane) itself is the unit: "张东路2281弄", "江苏路502弄20支弄";
 *   - elsewhere the first "<digits>号" (a street number, or a house of a village group) ends the
 *     building, with one more building number right after it kept ("浦电路221号",
 *     "某路100号5号楼" -> "某路100号5号", "光明村5组12号");
 *   - what follows the building is dropped when it starts with a digit or '-' and holds no 号 or
 *     弄 (a room or floor: "长阳路１０８０弄３号１０１室" -> "长阳路1080弄3号", "长顺路34号-11" ->
 *     "长顺路34号"); otherwise the whole address is kept, as a unit of its own
 *     ("耀龙路16号工地生活区", "都会路3199弄对面工地", the range "石家街116号-121号");
 *   - an address with no number (a village, a group, a named hamlet: "光明村", "光明村5组",
 *     "三林村镇前队金家宅") is one unit as it stands.
 * Apart from a dropped room or floor, a building is never coarser than the address's place unit
 * (zn_zone_address_normalize of the building is the place).
 * docs/replay-shanghai-2022.md says why. Errors: ZN_EINVAL (NULL), ZN_ERANGE (n too small).
 */
zn_status zn_zone_address_building(const char *address, const char *township, char *out, size_t n);

/* ---- rule sets ---- */

#define ZN_ZONE_MAX_LEVELS 6
#define ZN_ZONE_MAX_TRANSITIONS 16
#define ZN_ZONE_NONE (-1) /* "in no zone" as a level index */

/* Kinds of events that move units between levels. */
typedef enum zn_zone_event_kind {
    ZN_ZONE_EV_CASE = 0,     /* a positive (case or asymptomatic) resident of the unit */
    ZN_ZONE_EV_PLACE = 1,    /* a high-risk place a case frequented (work, activity) */
    ZN_ZONE_EV_EXPOSURE = 2, /* a place with some transmission risk */
    ZN_ZONE_EV_CONTACT = 3,  /* the last exposure of a close contact living in the unit */
    ZN_ZONE_EV_TEST_NEGATIVE = 4, /* a round of testing of the unit's whole population on that day,
                                     all negative (a positive found is a "case" event instead);
                                     it moves no unit by itself: transitions with
                                     requires_test wait for one (zn_zone_transition) */
    ZN_ZONE_EV_COUNT = 5
} zn_zone_event_kind;

/* "case", "place", "exposure", "contact", "test_negative"; "unknown" otherwise. Static. */
const char *zn_zone_event_kind_name(zn_zone_event_kind k);
/* Inverse of zn_zone_event_kind_name. Errors: ZN_EINVAL. */
zn_status zn_zone_event_kind_parse(const char *name, zn_zone_event_kind *out);

typedef enum zn_zone_scope {
    ZN_ZONE_SCOPE_NONE = 0,     /* no floor: units leave to "no zone" */
    ZN_ZONE_SCOPE_REGISTRY = 1, /* every registry unit is at least at the floor level */
    ZN_ZONE_SCOPE_COUNTY = 2    /* the floor holds the units of counties with a unit above it */
} zn_zone_scope;

typedef enum zn_zone_missing {
    ZN_ZONE_MISSING_PAUSE = 0, /* an unknown day does not count as a day without events */
    ZN_ZONE_MISSING_QUIET = 1  /* an unknown day counts as a day without events */
} zn_zone_missing;

/* How a unit entered its level; transitions may apply only to one way of entry. */
typedef enum zn_zone_via {
    ZN_ZONE_VIA_ANY = 0,
    ZN_ZONE_VIA_EVENT = 1,      /* an event or an override */
    ZN_ZONE_VIA_TRANSITION = 2  /* moved down from a higher level */
} zn_zone_via;

typedef struct zn_zone_level {
    char name[32]; /* "sealed" */
    char zh[32];   /* "封控区" */
} zn_zone_level;

typedef struct zn_zone_transition {
    int from;       /* level index */
    int to;         /* level index, or ZN_ZONE_NONE */
    zn_zone_via via;
    int quiet_days; /* >= 1 */
    /* 1: the transition also needs a negative round of testing of the unit ("requires":
     * "negative_test"): it happens on the first day D with quiet(anchor, D) >= quiet_days and a
     * test_negative event of the unit on a day T with anchor < T <= D - 1 and, when
     * test_window_days > 0, T >= D - test_window_days (three-zones-2021: "解封前2天区域内所有人员
     * 完成一轮核酸筛查，均为阴性", window 2). Without such a round the unit stays, its due day unknown
     * (ZN_ZONE_NO_DAY) until a round is recorded. */
    int requires_test;
    int test_window_days; /* 0: any round after the anchor */
} zn_zone_transition;

/* A rule set, loaded from JSON (data/rules/<name>.json; the format is in docs/zones.md). */
typedef struct zn_zone_rules {
    char name[64];
    char title[256];
    char title_zh[256];          /* optional "title_zh": the Chinese title for Chinese pages, "" if absent */
    char unit_level[32];         /* as written: "place", "building", "grid", ... */
    zn_zone_unit_kind unit_kind; /* zn_zone_unit_kind_parse(unit_level) */
    int32_t grid_m;              /* cell size for grid units (unit.cell_m; default 800) */
    double buffer_m;             /* radius in metres of point units on maps */
    int nlevels;
    zn_zone_level levels[ZN_ZONE_MAX_LEVELS]; /* highest first */
    int floor;                   /* level index of the floor, or ZN_ZONE_NONE */
    zn_zone_scope floor_scope;   /* ZN_ZONE_SCOPE_NONE when floor is ZN_ZONE_NONE */
    int event_level[ZN_ZONE_EV_COUNT]; /* level an event puts a unit in, or ZN_ZONE_NONE */
    int event_clock[ZN_ZONE_EV_COUNT]; /* 1: the event restarts the clock without raising */
    int ntransitions;
    zn_zone_transition transitions[ZN_ZONE_MAX_TRANSITIONS];
    int isolated_cases;          /* 0: events flagged isolated are ignored (新十条) */
    zn_zone_missing missing;     /* default policy for unknown days */
    char in_force_from[11];      /* "YYYY-MM-DD" or "" */
    char in_force_to[11];
} zn_zone_rules;

/*
 * Read a rule set from JSON text (`origin` names it in errors, may be NULL). Required: "name",
 * "levels" (1..6 objects with "name", optional "zh"), "unit" {"level", optional "buffer_m"
 * (default 100), "cell_m"}, "events" {kind: {"level": NAME} or {"clock": true}},
 * "transitions" [{"from", "to" (a level or "none"), "quiet_days" >= 1, optional "via":
 * "event" | "transition", optional "requires": "negative_test" with optional
 * "test_window_days" 0 .. 3650 (default 0)}]; "events" may list "test_negative" without a level
 * (it is recorded, never raises); optional "floor" {"level", "scope": "registry" | "county"},
 * "reset" {"isolated_cases": bool (default true)}, "missing_days" {"value": "pause" | "quiet"},
 * "in_force" {"from", "to"}, "title" and "title_zh" (the Chinese title shown by Chinese pages;
 * each a string under 256 bytes). Unknown keys (sources, notes) are allowed and ignored.
 * Errors: ZN_EPARSE (not JSON: err->line; missing or mistyped key: err->field is its JSON
 * path, e.g. "transitions[1].quiet_days"), ZN_EVALIDATE (a level named twice or not defined,
 * more than 6 levels or 16 transitions, a transition that does not go down), ZN_EINVAL (NULL).
 */
zn_status zn_zone_rules_parse(const char *json_text, const char *origin, zn_zone_rules *out, zn_error *err);
/* zn_zone_rules_parse of a file. Also ZN_EIO (cannot read; err->file set). */
zn_status zn_zone_rules_load(const char *path, zn_zone_rules *out, zn_error *err);
/* Load dir/<name>.json (dir: e.g. zn_cli_data_dir() + "/rules"). ZN_ENOTFOUND when absent. */
zn_status zn_zone_rules_find(const char *dir, const char *name, zn_zone_rules *out, zn_error *err);

/* Index of the level called `name` ("none" gives ZN_ZONE_NONE), or -2 when there is none. */
int zn_zone_rules_level(const zn_zone_rules *r, const char *name);
/* Name of level index i; "none" for ZN_ZONE_NONE; "?" out of range. Borrowed from r. */
const char *zn_zone_rules_level_name(const zn_zone_rules *r, int level);

/* ---- the kernel ---- */

typedef struct zn_zone_event {
    int32_t unit;     /* index into the caller's units, 0 .. nunits-1 */
    int32_t day;
    uint8_t kind;     /* zn_zone_event_kind */
    uint8_t isolated; /* 1: the case was found in isolation (only matters when !rules.isolated_cases) */
} zn_zone_event;

typedef struct zn_zone_override {
    int32_t unit;
    int32_t day;
    int level;   /* level index or ZN_ZONE_NONE */
    int64_t id;  /* the caller's id (kept in the periods it causes) */
} zn_zone_override;

typedef struct zn_zone_input {
    size_t nunits;
    const int32_t *unit_county;     /* per unit a county number (any grouping) for the county
                                       scope; NULL: all units in one county */
    const int64_t *unit_population; /* per unit its population, < 0 unknown; NULL: all unknown */
    const zn_zone_event *events;    /* any order; events outside [.., to] are ignored */
    size_t nevents;
    const zn_zone_override *overrides;
    size_t noverrides;
    const int32_t *unknown_days;    /* days without a published list, any order */
    size_t nunknown;
    int32_t from, to;               /* the days to report, inclusive; events before `from`
                                       count (the kernel starts at the earliest event) */
    int missing;                    /* zn_zone_missing, or -1 for the rule set's default */
} zn_zone_input;

/* Why a unit is in its level. */
typedef enum zn_zone_cause {
    ZN_ZONE_CAUSE_START = 0,      /* in the floor (or no zone) from the start */
    ZN_ZONE_CAUSE_EVENT = 1,      /* an event raised it */
    ZN_ZONE_CAUSE_RESET = 2,      /* an event restarted its clock in the same level */
    ZN_ZONE_CAUSE_TRANSITION = 3, /* moved down after its quiet days */
    ZN_ZONE_CAUSE_OVERRIDE = 4,   /* an operator's override */
    ZN_ZONE_CAUSE_SCOPE = 5       /* floor / no zone as its county gained or lost zones */
} zn_zone_cause;

/* "start", "event", "reset", "transition", "override", "scope". Static. */
const char *zn_zone_cause_name(zn_zone_cause c);

/*
 * One row of a unit's history: on days from .. to (inclusive) the unit was at `level`, which it
 * entered on `entered` (possibly before `from`), and would leave on `due` if nothing else
 * happened (ZN_ZONE_NO_DAY for the floor and no zone). A new row starts whenever the level,
 * the entry day, the due day or the cause changes.
 */
typedef struct zn_zone_period {
    int32_t unit;
    int32_t level;   /* level index or ZN_ZONE_NONE */
    int32_t entered;
    int32_t from, to;
    int32_t due;
    int32_t anchor;  /* clock anchor (see the header comment); ZN_ZONE_NO_DAY at the floor */
    uint8_t cause;   /* zn_zone_cause */
    int64_t override_id; /* the override that caused it, else 0 */
} zn_zone_period;

typedef struct zn_zone_result {
    int32_t from, to;  /* as requested */
    int ndays;         /* to - from + 1 */
    int nlevels;       /* rules.nlevels; column nlevels of the tables below is "no zone" */
    zn_zone_period *periods; /* sorted by unit, then from */
    size_t nperiods;
    int64_t *units;      /* [ndays][nlevels + 1] units per level per day */
    int64_t *population; /* [ndays][nlevels + 1] sum of the known populations */
    int64_t *population_units; /* [ndays][nlevels + 1] units whose population is known */
    int64_t *events;     /* [ndays] events applied that day */
    uint8_t *known;      /* [ndays] 1 when the day had a published list */
    int missing;         /* the policy used */
} zn_zone_result;

/*
 * Evaluate rule set r day by day over in->from .. in->to (see the header comment for the
 * semantics). On success *out holds the result (zn_zone_result_fini frees it). Cost: O(units x
 * days + events log events). Errors: ZN_EINVAL (from > to, a span over 100 000 days, an event or
 * override naming a unit out of range or a level the rules lack), ZN_ENOMEM.
 */
zn_status zn_zone_evaluate(const zn_zone_rules *r, const zn_zone_input *in, zn_zone_result *out, zn_error *err);
void zn_zone_result_fini(zn_zone_result *res); /* frees, zeroes; NULL ok */

/* Units at `level` (ZN_ZONE_NONE = no zone) on `day`; 0 outside the result. */
int64_t zn_zone_result_units(const zn_zone_result *res, int32_t day, int level);

/*
 * The period of `unit` covering `day` (binary search of res->periods), or NULL when the day is
 * outside the result. Borrowed from res.
 */
const zn_zone_period *zn_zone_result_at(const zn_zone_result *res, int32_t unit, int32_t day);

/* ---- the store: units, events, overrides, runs ---- */

/* A unit as stored in table zone_unit. */
typedef struct zn_zone_unit {
    zn_zone_unit_kind kind;
    const char *key;           /* unique: "place:浦东新区:张东路2281弄", "grid:G800:c:r", ... */
    const char *name;
    const char *county_code;   /* 12-digit NBS code or NULL */
    const char *township_code; /* 12-digit NBS code or NULL */
    double lon, lat;           /* WGS-84; NaN when unknown */
    int64_t population;        /* < 0 unknown */
    const char *geojson;       /* polygon (GeoJSON geometry text) or NULL: the point is buffered */
} zn_zone_unit;

/* Insert or replace (by key) one unit; *id (may be NULL) receives its row id.
 * Errors: ZN_EINVAL (NULL or empty key), ZN_ESTORE. */
zn_status zn_zone_unit_put(zn_store *st, const zn_zone_unit *u, int64_t *id, zn_error *err);

typedef struct zn_zone_units_summary {
    int64_t addresses;       /* distinct (district, address) of table case_residence and place */
    int64_t places;          /* place units they group into */
    int64_t places_located;  /* ... with coordinates */
    int64_t grids, townships, counties; /* coarser units derived from them */
} zn_zone_units_summary;

/*
 * (Re)build the units of the Shanghai lists: one place unit per normalised address
 * (zn_zone_address_normalize; key "place:<district>:<name>") from tables case_residence and
 * place (place.h), its point = that of the member address whose text equals the unit name, else
 * of its first located member in address order; table zone_unit_address(district, address,
 * unit_id) maps each listed address to its unit; plus the grid cells (grid_m metres, 0 = 800),
 * townships and counties containing them (grid key "grid:G800:<col>:<row>", township and county
 * keys "township:<code>", "county:<code>"). Units other modules put (other keys) are kept.
 * Idempotent. Errors: ZN_ENOTFOUND (no table case_residence: run `zhinao demo`), ZN_ESTORE, ZN_EGEO.
 */
zn_status zn_zone_units_build(zn_store *st, int32_t grid_m, zn_zone_units_summary *out, zn_error *err);

/* A unit registry from a CSV file (gzip or plain, with a header row): every row that passes the
 * filter and has a point becomes a place unit "place:<county name>:<name>" of the county whose
 * outline covers its point (zn_div_locate, newest edition), with the point converted to WGS-84.
 * Such units are what a floor of scope "registry" holds besides the listed ones: compounds no
 * case was ever listed in. */
typedef struct zn_zone_registry_spec {
    const char *path;           /* the CSV file */
    const char *source;         /* zone_unit.source, e.g. "registry:hangzhou-compounds"; required */
    const char *name_col;       /* column of the unit name */
    const char *lon_col, *lat_col; /* columns of the point, degrees in `crs` */
    zn_crs crs;
    const char *filter_col;     /* NULL: every row; else only rows whose filter_col == filter_value */
    const char *filter_value;
    const char *population_col; /* NULL: population unknown */
    const char *within;         /* NULL/"": any county; else a code prefix ("3301"): other rows skipped */
} zn_zone_registry_spec;

typedef struct zn_zone_registry_summary {
    int64_t rows;     /* data rows read */
    int64_t matching; /* rows passing the filter */
    int64_t no_point; /* ... without a usable name or point */
    int64_t outside;  /* ... outside every county outline or outside `within` */
    int64_t units;    /* rows written (a name repeated in one county is one unit) */
} zn_zone_registry_summary;

/*
 * Import a unit registry (see zn_zone_registry_spec) in one transaction; idempotent (upsert by
 * key). `div` must have boundaries loaded (zn_div_boundaries_load). data/hangzhou-compounds is
 * read with name_col "name", lon_col "lng_bd09", lat_col "lat_bd09", crs ZN_CRS_BD09, filter
 * level = compound (its PROVENANCE.md). Errors: ZN_EINVAL (NULL), ZN_ESTATE (no boundaries),
 * ZN_EIO (cannot read; err->file), ZN_EPARSE (a named column missing from the header: err->field;
 * bad CSV: err->line), ZN_ESTORE, ZN_ENOMEM.
 */
struct zn_div_registry; /* div.h */
zn_status zn_zone_registry_import(zn_store *st, struct zn_div_registry *div, const zn_zone_registry_spec *spec,
                                  zn_zone_registry_summary *out, zn_error *err);

/* Record an event for the unit with `unit_key` on `day` (source: free text, e.g. "flow
 * investigation 2022-04-03"). Errors: ZN_ENOTFOUND (no such unit), ZN_EINVAL, ZN_ESTORE. */
zn_status zn_zone_event_add(zn_store *st, const char *unit_key, int32_t day, zn_zone_event_kind kind, int isolated,
                            const char *source, zn_error *err);

/*
 * Record an operator's override: under rule set `rules`, put the unit `unit_key` at `level`
 * (a level name of those rules, or "none") on `day`, for `reason` (required, non-empty) by
 * `operator_name` (may be NULL). Overrides are never deleted; they apply from the next
 * zn_zone_run and appear in its periods (cause "override", with the override id).
 * Errors: ZN_EINVAL (empty reason, unknown level), ZN_ENOTFOUND (no such unit), ZN_ESTORE.
 */
zn_status zn_zone_override_add(zn_store *st, const zn_zone_rules *rules, const char *unit_key, int32_t day,
                               const char *level, const char *reason, const char *operator_name, int64_t *id,
                               zn_error *err);

typedef struct zn_zone_run_opts {
    int32_t from, to; /* inclusive */
    int missing;      /* zn_zone_missing or -1 for the rule set's default */
    const char *within; /* NULL/"": every unit of the rule's kind; else a division code (2, 4, 6 or
                           12 digits, trailing zeros ignored: "310000" = Shanghai): only units whose
                           county_code starts with it (so a registry of another city in the same
                           store is not in this run's floor) */
} zn_zone_run_opts;

typedef struct zn_zone_run_summary {
    int64_t run_id;
    int64_t units;        /* registry units of the rule's kind */
    int64_t events;       /* events read (case residences mapped to a unit + zone_event rows) */
    int64_t unmapped;     /* case residences whose address has no unit of the rule's kind */
    int64_t outside;      /* case residences and zone events in a county outside opts->within (the
                             unit's county, else the residence's): another area's, not unmapped */
    int64_t overrides;
    int64_t unknown_days; /* unknown days within from .. to */
    int64_t periods;      /* history rows written */
    double seconds;       /* wall time of load + evaluate + store */
} zn_zone_run_summary;

/*
 * Evaluate `rules` over opts->from .. opts->to on the stored units of the rule's kind, the case
 * residences (table case_residence, one case event per row, if the table exists) and the
 * events of table zone_event, with the overrides recorded for these rules, and store the
 * result: zone_run (the rule set's JSON included), zone_period (the history, one row per
 * zn_zone_period) and zone_day (per day and level: units, population, known). One run is kept
 * per (rule set, area): the new run replaces the earlier run of the same rule set with the same
 * opts->within (compared as division-code prefixes, so "310000" and "31" are one area; dates and
 * the missing-day policy may differ), and runs of other areas are kept. So re-running is
 * idempotent, and a run --within 330100 leaves the run --within 310000 of the same rules alone.
 * out->run_id is a new id, larger than every stored run's (zn_zone_run_find: the latest). Unknown days are the days from the first to the last date
 * of case_residence that have no row, and the days outside that span (none when the table is
 * absent). opts->within restricts the units (and so the floor of scope "registry") to one
 * division; zone_run.rules_json records it. Building-level rule sets (re)build the building units
 * first. If `keep` is not NULL the in-memory result is handed over too (zn_zone_result_fini).
 * Errors: ZN_ENOTFOUND (no units of the rule's kind: zn_zone_units_build first), ZN_EINVAL,
 * ZN_ESTORE, ZN_ENOMEM.
 */
zn_status zn_zone_run(zn_store *st, const zn_zone_rules *rules, const zn_zone_run_opts *opts,
                      zn_zone_run_summary *out, zn_zone_result *keep, zn_error *err);

/* A stored run (table zone_run). */
typedef struct zn_zone_run_info {
    int64_t id;           /* zone_run.id; a later run has a larger id */
    char rules[64];       /* rule set name */
    char within[13];      /* the area the run is restricted to, as a division-code prefix ("31"
                             Shanghai, "3301" Hangzhou, "330106" 西湖区); "" = every unit */
    char from[11], to[11]; /* first and last evaluated day, "YYYY-MM-DD" */
    char unit_kind[16];   /* zn_zone_unit_kind_name */
    char missing[8];      /* "pause" or "quiet" */
    int64_t units, events;
    int64_t created_at;   /* UTC seconds */
} zn_zone_run_info;

/*
 * Which stored run serves `area` under rule set `rules`: the latest (largest id) of the runs of
 * `rules` whose area covers `area` — a run covers an area when the run's within prefix is a
 * prefix of the area's (a run --within 330100 covers 330100 and 330106 but not 330000 or 310000;
 * a run without --within covers every area). `area` is a division code of 2 to 12 digits,
 * trailing zeros ignored ("330100" = "3301"); NULL or "" asks for no area: the latest run of
 * `rules`, whatever its area (what every reader did when one run per rule set was kept).
 * `rules` NULL: any rule set. Errors: ZN_EINVAL (st or out NULL, area not a division code),
 * ZN_ENOTFOUND (no such run; err->msg names the areas the rule set has runs for), ZN_ESTORE.
 */
zn_status zn_zone_run_find(zn_store *st, const char *rules, const char *area, zn_zone_run_info *out, zn_error *err);

/* Every stored run (of `rules` only, when not NULL), by rule set then area then id; fn's run is
 * borrowed for the call; non-zero from fn stops. Errors: ZN_EINVAL, ZN_ESTORE. */
typedef int (*zn_zone_run_fn)(void *user, const zn_zone_run_info *run);
zn_status zn_zone_runs(zn_store *st, const char *rules, zn_zone_run_fn fn, void *user, zn_error *err);

/* One row of a stored zone map or history; strings borrowed for the duration of the callback. */
typedef struct zn_zone_row {
    const char *key, *name;
    const char *level;   /* level name or "none" */
    const char *entered; /* "YYYY-MM-DD" */
    const char *from, *to;
    const char *due;     /* "" when none */
    const char *cause;
    int64_t override_id;
    const char *reason;  /* the override's reason, "" when none */
    double lon, lat;     /* NaN when unknown */
    int64_t population;  /* < 0 unknown */
} zn_zone_row;

typedef int (*zn_zone_row_fn)(void *user, const zn_zone_row *row); /* non-zero stops */

/*
 * The stored map of run `run_id` (zn_zone_run_find) on `day`: every unit with its level that
 * day (when `level` is not NULL, only units at that level), in level order then key. Reproduced
 * from zone_period alone. Errors: ZN_ENOTFOUND (no such run, or day outside it), ZN_ESTORE.
 */
zn_status zn_zone_map_run(zn_store *st, int64_t run_id, int32_t day, const char *level, zn_zone_row_fn fn, void *user,
                          zn_error *err);
/* zn_zone_map_run of the latest run of `rules` whatever its area (zn_zone_run_find, area NULL). */
zn_status zn_zone_map(zn_store *st, const char *rules, int32_t day, const char *level, zn_zone_row_fn fn, void *user,
                      zn_error *err);

/* The stored history of one unit in run `run_id`, oldest first. Errors: ZN_ENOTFOUND, ZN_ESTORE. */
zn_status zn_zone_history_run(zn_store *st, int64_t run_id, const char *unit_key, zn_zone_row_fn fn, void *user,
                              zn_error *err);
/* zn_zone_history_run of the latest run of `rules` whatever its area. */
zn_status zn_zone_history(zn_store *st, const char *rules, const char *unit_key, zn_zone_row_fn fn, void *user,
                          zn_error *err);

/* Daily counts of stored run `run_id`: one call per day and level (levels highest first, then
 * "none"). Errors: ZN_ENOTFOUND (no such run), ZN_ESTORE. */
typedef int (*zn_zone_day_fn)(void *user, const char *date, int known, const char *level, int64_t units,
                              int64_t population, int64_t population_units);
zn_status zn_zone_days_run(zn_store *st, int64_t run_id, zn_zone_day_fn fn, void *user, zn_error *err);
/* zn_zone_days_run of the latest run of `rules` whatever its area. */
zn_status zn_zone_days(zn_store *st, const char *rules, zn_zone_day_fn fn, void *user, zn_error *err);

/* ---- maps ---- */

typedef struct zn_zone_geojson_opts {
    double buffer_m;  /* radius of point units in metres; <= 0: the rule set's stored buffer_m */
    int quad_segs;    /* segments per quarter circle of a buffer; <= 0: 3 (a 12-gon, area 4.5 %
                         below the circle's) */
    unsigned levels;  /* bit i set: export level i; 0: every level */
    int list_units;   /* 1: each feature lists its unit keys ("units") */
} zn_zone_geojson_opts;

/*
 * Write the stored map of `rules` (its latest run, whatever its area) on `day` as a GeoJSON FeatureCollection (RFC 7946, WGS-84) to
 * f: one Feature per level with units, whose geometry is the union (GEOS) of the level's unit
 * geometries (a stored polygon, or the point buffered by buffer_m, computed in the UTM zone of
 * the first located unit); properties "level", "zh", "date", "units" (the count), "unit_keys"
 * (when list_units), "unlocated" (units without coordinates, left off the geometry).
 * Errors: ZN_ENOTFOUND, ZN_ESTORE, ZN_EGEO, ZN_EIO, ZN_ENOMEM.
 */
zn_status zn_zone_export_geojson(zn_store *st, zn_ctx *ctx, const char *rules, int32_t day,
                                 const zn_zone_geojson_opts *opts, FILE *f, zn_error *err);

/*
 * A batch exporter for many days of one run: geometries of the units are projected and buffered
 * once, then each day only unions. Same output as zn_zone_export_geojson. zn_zone_exporter_new
 * exports the latest run of `rules` whatever its area; zn_zone_exporter_new_run the stored run
 * `run_id` (zn_zone_run_find). *out is freed with zn_zone_exporter_free.
 * Errors: ZN_EINVAL, ZN_ENOTFOUND (no such run), ZN_ESTORE, ZN_EGEO, ZN_ENOMEM.
 */
typedef struct zn_zone_exporter zn_zone_exporter;
zn_status zn_zone_exporter_new(zn_store *st, zn_ctx *ctx, const char *rules, const zn_zone_geojson_opts *opts,
                               zn_zone_exporter **out, zn_error *err);
zn_status zn_zone_exporter_new_run(zn_store *st, zn_ctx *ctx, int64_t run_id, const zn_zone_geojson_opts *opts,
                                   zn_zone_exporter **out, zn_error *err);
zn_status zn_zone_exporter_write(zn_zone_exporter *x, int32_t day, FILE *f, zn_error *err);
void zn_zone_exporter_free(zn_zone_exporter *x); /* NULL ok */

/* ---- person measures ---- */

typedef enum zn_measure_kind {
    ZN_MEASURE_NONE = 0,
    ZN_MEASURE_CENTRALIZED_QUARANTINE = 1, /* 集中隔离医学观察 */
    ZN_MEASURE_HOME_QUARANTINE = 2,        /* 居家隔离医学观察 */
    ZN_MEASURE_HOME_HEALTH_MONITORING = 3, /* 居家健康监测 */
    ZN_MEASURE_TESTING = 4                 /* tests only, no confinement (e.g. 橙码 防范区 residents) */
} zn_measure_kind;

/* "none", "centralized_quarantine", "home_quarantine", "home_health_monitoring", "testing". */
const char *zn_measure_kind_name(zn_measure_kind k);

typedef enum zn_health_code { ZN_CODE_GREEN = 0, ZN_CODE_YELLOW = 1, ZN_CODE_ORANGE = 2, ZN_CODE_RED = 3 } zn_health_code;
/* "green", "yellow", "orange", "red". */
const char *zn_health_code_name(zn_health_code c);

#define ZN_MEASURE_MAX_PHASES 4
#define ZN_MEASURE_MAX_TESTS 16
#define ZN_MEASURE_MAX_ROLES 12

typedef struct zn_measure_phase_rule {
    zn_measure_kind kind;
    int days;                        /* >= 1 */
    int tests[ZN_MEASURE_MAX_TESTS]; /* test days, 1-based within the phase */
    int ntests;
    zn_health_code code;
} zn_measure_phase_rule;

typedef struct zn_measure_role {
    char name[48];   /* "close_contact", "secondary_contact", "sealed_zone_resident", ... */
    int determined;  /* 0: the edition does not determine this role (no measures) */
    int nphases;
    zn_measure_phase_rule phases[ZN_MEASURE_MAX_PHASES];
} zn_measure_role;

/* The person measures of one plan edition (data/rules/measures-<name>.json). */
typedef struct zn_measure_plan {
    char name[64];  /* "plan-9" */
    char title[256];
    int nroles;
    zn_measure_role roles[ZN_MEASURE_MAX_ROLES];
} zn_measure_plan;

/*
 * Load a measures file. Required: "name", "roles" {role: {"phases": [{"kind", "days",
 * "tests" [days], "code"}], optional "determined": false}}. Errors: ZN_EIO, ZN_EPARSE (err->field
 * = JSON path), ZN_EVALIDATE (test day outside its phase, too many phases/tests/roles).
 */
zn_status zn_measure_plan_load(const char *path, zn_measure_plan *out, zn_error *err);
/* Load dir/measures-<name>.json. ZN_ENOTFOUND when absent. */
zn_status zn_measure_plan_find(const char *dir, const char *name, zn_measure_plan *out, zn_error *err);
/* The role called `name`, or NULL. Borrowed from plan. */
const zn_measure_role *zn_measure_plan_role(const zn_measure_plan *plan, const char *name);

/* One person's measures. Days are day numbers (inclusive ranges). */
typedef struct zn_measure_phase {
    zn_measure_kind kind;
    int32_t start, end;
    int32_t tests[ZN_MEASURE_MAX_TESTS]; /* the test dates */
    int ntests;
    zn_health_code code;
} zn_measure_phase;

typedef struct zn_measure {
    int determined;    /* 0: no measures under this edition (release = reference + 1) */
    int32_t reference; /* the last exposure (or zone designation) the periods count from */
    int nphases;
    zn_measure_phase phases[ZN_MEASURE_MAX_PHASES];
    int32_t release;   /* first day free of measures: end of the last phase + 1 */
} zn_measure;

/*
 * The measures for a person of `role` under `plan`, from the exposure days seen so far
 * (exposures[0 .. n-1], any order; the latest counts, so calling again with a new exposure
 * recomputes everything): phase 1 runs from reference + 1 for its days, each next phase from the
 * day after; test dates are the phase's start + test day - 1. Errors: ZN_EINVAL (n == 0),
 * ZN_ENOTFOUND (role not in the plan: err->msg lists the roles).
 */
zn_status zn_measure_compute(const zn_measure_plan *plan, const char *role, const int32_t *exposures, size_t n,
                             zn_measure *out, zn_error *err);

/* Health-code colour of the person on `day`: the phase's colour while in a phase, green before
 * the first phase and from the release day. */
zn_health_code zn_measure_code_on(const zn_measure *m, int32_t day);

/* ---- data quality: unit points against the boundary of their division ---- */

/*
 * Division boundaries for zn_zone_check_point: one polygon per 12-digit division code, in one
 * CRS (DataV GeoJSON is GCJ-02). Bound to the zn_ctx it was made with (GEOS handle of
 * zn_ctx_geos, PROJ context); used from one thread at a time, like the ctx.
 */
typedef struct zn_zone_bounds zn_zone_bounds;

/* An empty set whose polygons are in `crs` (the CRS of what zn_zone_bounds_add/load add).
 * Errors: ZN_EINVAL (NULL, unknown crs), ZN_ENOMEM. Free with zn_zone_bounds_free. */
zn_status zn_zone_bounds_new(zn_ctx *ctx, zn_crs crs, zn_zone_bounds **out, zn_error *err);
void zn_zone_bounds_free(zn_zone_bounds *b); /* NULL is a no-op */

/*
 * Add the boundary of division `code` (any form zn_div_normalize accepts: "310115" ->
 * 310115000000): polygon or multipolygon g in the set's CRS. Takes ownership of g, also on
 * failure. A code added twice keeps its first polygon (the second is freed, ZN_OK).
 * Errors: ZN_EINVAL (NULL, malformed code, g of another ctx), ZN_ENOMEM.
 */
zn_status zn_zone_bounds_add(zn_zone_bounds *b, const char *code, zn_geom *g, zn_error *err);

/*
 * Add every division polygon of the `*.geojson` files of `dir` (in file-name order; DataV
 * FeatureCollections as shipped in data/boundaries): features with properties.level "district"
 * (6-digit adcode -> the county, 310115 -> 310115000000) and "street" or "township" (9- or
 * 12-digit adcode -> the township; none is shipped today, so townships are checked only when
 * such a file is added). City and province features are skipped. Polygons are read with
 * zn_geom_from_geojson (invalid ones repaired with GEOSMakeValid). *added (may be NULL) receives
 * the number of features added. Errors: ZN_EIO (dir or a file unreadable), ZN_EPARSE (bad JSON
 * or geometry; err->file set), ZN_EGEO, ZN_ENOMEM.
 */
zn_status zn_zone_bounds_load(zn_zone_bounds *b, const char *dir, size_t *added, zn_error *err);

/* Number of division polygons in b. */
size_t zn_zone_bounds_count(const zn_zone_bounds *b);

/* The outcome of checking one point against its divisions. */
typedef struct zn_zone_point_check {
    int checked;          /* boundaries tested: 0 (no point, or no boundary of its divisions), 1, 2 */
    int outside_division; /* 1: the point lies outside (not covered by: an edge counts as inside)
                             the boundary of its county, or of its township */
    zn_zone_unit_kind outside_level; /* ZN_ZONE_UNIT_COUNTY or _TOWNSHIP: the boundary it is
                                        outside of (the county when both); COUNTY when inside */
    double distance_m;    /* metres from the point to that boundary; 0 inside; NaN when not checked */
} zn_zone_point_check;

/*
 * Check the WGS-84 point (lon, lat) against the boundary of the county `county_code` and, when
 * township_code is given and b holds its boundary, of that township (codes in any form
 * zn_div_normalize accepts; NULL or "" skip that level). The point is converted to the set's CRS
 * (zn_crs_convert; WGS-84 -> GCJ-02 for DataV), then tested with GEOS "covers" (prepared). For a
 * point outside, distance_m is GEOSDistance between the point and the polygon, both projected
 * (zn_geom_transform) to the WGS-84 UTM zone of the polygon's envelope centre: UTM scale error is
 * below 0.1 % within a zone, and the GCJ-02 offset is locally a translation (well under 1 m of
 * difference over a few km), so distances hold to about 0.1 %. Each polygon is projected once
 * and kept in b. A NaN point or a code without a boundary is not an error (checked = 0).
 * Errors: ZN_EINVAL (NULL b or out, malformed code, coordinates out of range), ZN_EGEO.
 */
zn_status zn_zone_check_point(zn_zone_bounds *b, const char *county_code, const char *township_code, double lon,
                              double lat, zn_zone_point_check *out, zn_error *err);

/* One checked unit of zn_zone_units_check. */
typedef struct zn_zone_unit_checked {
    int64_t id;                 /* zone_unit.id */
    zn_zone_unit_kind kind;
    char *key;                  /* zone_unit.key, owned by the result */
    char *address;              /* the first listed address of the unit (zone_unit_address), else
                                   its name; owned by the result */
    char county_code[13];       /* "" when the unit has none */
    char township_code[13];
    double lon, lat;            /* WGS-84, NaN when unknown */
    zn_zone_point_check check;
} zn_zone_unit_checked;

typedef struct zn_zone_units_check_result {
    zn_zone_unit_checked *units; /* every unit considered, by county_code, then key */
    size_t n;
    int64_t checked, outside;    /* units with check.checked > 0; with outside_division = 1 */
} zn_zone_units_check_result;

/*
 * Check the point of every stored point unit (kinds place and building: the units whose point is
 * a geocoded address; grid, township and county units are derived from them) against its
 * division's boundary (zn_zone_check_point). `within` (NULL or "": all; else a division code of
 * 2, 4, 6, 9 or 12 digits, trailing zeros ignored as in zn_zone_run_opts.within) keeps the units
 * whose county_code starts with it. Units keep their assigned division: the flag is a warning
 * about the source's geocode (docs/zones.md). Nothing is written to the store.
 * On success *out is filled (release with zn_zone_units_check_fini).
 * Errors: ZN_EINVAL (NULL, malformed within), ZN_ESTORE, ZN_EGEO, ZN_ENOMEM.
 */
zn_status zn_zone_units_check(zn_store *st, zn_zone_bounds *b, const char *within, zn_zone_units_check_result *out,
                              zn_error *err);
void zn_zone_units_check_fini(zn_zone_units_check_result *r); /* NULL-safe; idempotent */

#ifdef __cplusplus
}
#endif
#endif
