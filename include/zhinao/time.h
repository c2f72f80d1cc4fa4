/*
 * zhinao time: parsing and formatting of the timestamps found in departmental feeds.
 * Every stored time is UTC seconds since 1970-01-01 (int64). Times that carry no zone are read in
 * the caller's local offset (zn_ctx_tz_offset: +08:00, Asia/Shanghai, by default; China has had no
 * daylight saving since 1991).
 */
#ifndef ZHINAO_TIME_H
#define ZHINAO_TIME_H

#include "zhinao/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Broken-down civil time (proleptic Gregorian). */
typedef struct zn_civil {
    int year, month, day;     /* month 1..12, day 1..31 */
    int hour, minute, second; /* 0..23, 0..59, 0..59 */
} zn_civil;

int zn_is_leap_year(int year);
/* Days in month (1..12) of year; 0 for a month out of range. */
int zn_days_in_month(int year, int month);

/* Days since 1970-01-01 of a civil date (no validation; negative before 1970). H. Hinnant's
 * days_from_civil algorithm. */
int64_t zn_days_from_civil(int year, int month, int day);
/* Inverse of zn_days_from_civil. */
void zn_civil_from_days(int64_t days, int *year, int *month, int *day);

/* Seconds since the epoch of civil time c read at offset tz_offset (seconds east of UTC). */
int64_t zn_time_from_civil(const zn_civil *c, int32_t tz_offset);
/* Civil time at offset tz_offset of UTC seconds t. */
void zn_time_to_civil(int64_t t, int32_t tz_offset, zn_civil *out);

/* Flags for what zn_time_parse found. */
enum {
    ZN_TIME_HAS_TIME = 1, /* a time of day was given (else midnight local) */
    ZN_TIME_HAS_ZONE = 2  /* an explicit zone (Z or ±hh:mm) or unix seconds */
};

/*
 * Parse one timestamp into UTC seconds. Accepted forms (surrounding blanks ignored):
 *   ISO 8601:   2022-04-01T08:30:00Z, 2022-04-01T08:30:00+08:00, 2022-04-01T08:30+0800,
 *               2022-04-01T08:30:00.250 (fraction dropped), 2022-04-01
 *   plain:      2022-04-01 08:30, 2022-04-01 08:30:15, 2022/04/01 08:30[:15]
 *   compact:    20220401 (YYYYMMDD), 20220401083015 (YYYYMMDDhhmmss)
 *   unix:       @1648773000, or a bare run of 9 to 11 digits (seconds), 12 to 13 digits (ms)
 * Fields are range-checked (month 1..12, day within the month, hour 0..23, minute 0..59,
 * second 0..60 where 60 is folded to 59). tz_offset applies when no zone is given.
 * flags (may be NULL) receives ZN_TIME_HAS_* bits.
 * Errors: ZN_EPARSE with what was expected in err->msg; err->field is left to the caller.
 */
zn_status zn_time_parse(const char *s, int32_t tz_offset, int64_t *out_utc, int *flags, zn_error *err);

/* Format t as ISO 8601 with the offset ("2022-04-01T08:30:00+08:00") into buf (>= 26 bytes).
 * Returns buf. */
char *zn_time_format_iso(int64_t t, int32_t tz_offset, char *buf, size_t n);
/* Format the local date of t ("2022-04-01") into buf (>= 11 bytes). Returns buf. */
char *zn_time_format_date(int64_t t, int32_t tz_offset, char *buf, size_t n);

/* Local day number (days since 1970-01-01 at offset tz_offset) of UTC seconds t. */
int64_t zn_time_local_day(int64_t t, int32_t tz_offset);

#ifdef __cplusplus
}
#endif
#endif
