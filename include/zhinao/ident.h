/*
 * zhinao ident: resident ID numbers (居民身份证号码), mainland mobile numbers, masking.
 * Personal data: every output that does not need the full value uses the masked form.
 */
#ifndef ZHINAO_IDENT_H
#define ZHINAO_IDENT_H

#include "zhinao/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a resident ID number holds, once validated. */
typedef struct zn_resident_id {
    char number[19];   /* canonical 18 characters, check character upper-case 'X' */
    char region[7];    /* 6-digit address code (GB/T 2260), e.g. "330106" */
    int birth_year, birth_month, birth_day;
    int sequence;      /* 3-digit order code */
    int sex;           /* 1 male (odd order code), 2 female (even) */
} zn_resident_id;

/* Checks zn_resident_id_parse can make; pass an OR of these. */
enum {
    ZN_ID_CHECK_DIGIT = 1,  /* ISO 7064 MOD 11-2 check character */
    ZN_ID_CHECK_BIRTH = 2,  /* real calendar date, not after `today`, not before 1880 */
    ZN_ID_CHECK_REGION = 4, /* province prefix is a real one (11..82, GB/T 2260) */
    ZN_ID_CHECK_ALL = 7
};

/*
 * The ISO 7064 MOD 11-2 check character ('0'..'9' or 'X') of the first 17 digits of an 18-digit
 * number (GB 11643-1999 §5): weights 2^(17-i) mod 11, check = (12 - sum mod 11) mod 11.
 * Returns 0 when d17 has a non-digit in its first 17 characters.
 */
char zn_resident_id_check_char(const char *d17);

/*
 * Validate and decode an 18-character resident ID number (a lower-case 'x' is accepted and
 * canonicalised). `today_days` is the local day number (zn_time_local_day) used by the birth
 * check; pass 0 to skip the "not in the future" part.
 * Returns ZN_OK and fills *out (may be NULL), or ZN_EVALIDATE with err->msg saying which part is
 * wrong ("length 17, expected 18", "check character is 3, expected X", "birth date 19900230 is not
 * a date", "region 990101 is not a province of China").
 */
zn_status zn_resident_id_parse(const char *s, int checks, int64_t today_days, zn_resident_id *out,
                               zn_error *err);

/*
 * Upgrade a 15-digit first-generation number (GB 11643-1989: 6 region + YYMMDD + 3 order) to 18
 * digits by inserting "19" before the year and appending the check character. out must hold 19
 * bytes. Errors: ZN_EVALIDATE for a length other than 15 or a non-digit.
 */
zn_status zn_resident_id_upgrade15(const char *s15, char *out, zn_error *err);

/*
 * Mask an ID number for display: keep the first 6 and last 4 characters, '*' in between
 * ("330106199001011234" -> "330106********1234"). Any other length keeps the first and last
 * quarter. out must hold strlen(s) + 1 bytes. Returns out.
 */
char *zn_mask_resident_id(const char *s, char *out, size_t n);

/*
 * Validate a mainland China mobile number: 11 digits starting with 1 and a second digit 3..9,
 * optionally written with a +86 / 0086 / 86 prefix, spaces or dashes (MIIT numbering plan).
 * Writes the bare 11 digits to out11 (>= 12 bytes; may be NULL). Errors: ZN_EVALIDATE.
 */
zn_status zn_mobile_parse(const char *s, char *out11, zn_error *err);

/* Mask a phone number: first 3 and last 4 digits kept ("13812345678" -> "138****5678"). */
char *zn_mask_mobile(const char *s, char *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif
