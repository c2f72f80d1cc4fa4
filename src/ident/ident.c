/*
 * Resident ID numbers (GB 11643-1999), mainland mobile numbers, masking.
 *
 * Check character: ISO 7064:1983 MOD 11-2 as specified in GB 11643-1999 §5.4 — weights
 * W_i = 2^(i-1) mod 11 for positions i = 18..2, sum S = Σ a_i·W_i, check a_1 = (12 − S mod 11) mod 11,
 * with 10 written as 'X'.
 * Province prefixes: GB/T 2260 first two digits (11–15 North, 21–23 North-east, 31–37 East,
 * 41–46 Central-South, 50–54 South-west, 61–65 North-west, 71 Taiwan, 81 Hong Kong, 82 Macao,
 * and 83 used by residence permits of Taiwan residents).
 */
#include "zhinao/ident.h"
#include "zhinao/time.h"

#include <ctype.h>
#include <string.h>

static const int WEIGHTS[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char CHECK[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

char zn_resident_id_check_char(const char *d17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!isdigit((unsigned char)d17[i]))
            return 0;
        sum += (d17[i] - '0') * WEIGHTS[i];
    }
    return CHECK[sum % 11];
}

static int province_known(int p)
{
    return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) || (p >= 41 && p <= 46) ||
           (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 || p == 81 || p == 82 || p == 83;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

zn_status zn_resident_id_parse(const char *s, int checks, int64_t today_days, zn_resident_id *out, zn_error *err)
{
    if (!s)
        return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "no resident ID number");
    size_t len = strlen(s);
    if (len != 18)
        return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "length %zu, expected 18", len);
    char id[19];
    memcpy(id, s, 19);
    for (int i = 0; i < 17; i++)
        if (!isdigit((unsigned char)id[i]))
            return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "character %d is not a digit", i + 1);
    if (id[17] == 'x')
        id[17] = 'X';
    if (!isdigit((unsigned char)id[17]) && id[17] != 'X')
        return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "check character '%c' is not 0-9 or X", id[17]);
    if (checks & ZN_ID_CHECK_DIGIT) {
        char want = zn_resident_id_check_char(id);
        if (want != id[17])
            return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "check character is %c, expected %c", id[17], want);
    }
    int y = num(id + 6, 4), m = num(id + 10, 2), d = num(id + 12, 2);
    if (checks & ZN_ID_CHECK_BIRTH) {
        if (y < 1880 || m < 1 || m > 12 || d < 1 || d > zn_days_in_month(y, m))
            return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "birth date %.8s is not a date", id + 6);
        if (today_days && zn_days_from_civil(y, m, d) > today_days)
            return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "birth date %.8s is in the future", id + 6);
    }
    if ((checks & ZN_ID_CHECK_REGION) && !province_known(num(id, 2)))
        return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "region %.6s is not a province of China", id);
    if (out) {
        memcpy(out->number, id, 19);
        memcpy(out->region, id, 6);
        out->region[6] = '\0';
        out->birth_year = y;
        out->birth_month = m;
        out->birth_day = d;
        out->sequence = num(id + 14, 3);
        out->sex = (out->sequence % 2) ? 1 : 2;
    }
    return ZN_OK;
}

zn_status zn_resident_id_upgrade15(const char *s15, char *out, zn_error *err)
{
    if (!s15 || strlen(s15) != 15)
        return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "a first-generation number has 15 digits");
    for (int i = 0; i < 15; i++)
        if (!isdigit((unsigned char)s15[i]))
            return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "character %d is not a digit", i + 1);
    memcpy(out, s15, 6);
    out[6] = '1';
    out[7] = '9';
    memcpy(out + 8, s15 + 6, 9);
    out[17] = zn_resident_id_check_char(out);
    out[18] = '\0';
    return ZN_OK;
}

static char *mask_keep(const char *s, char *out, size_t n, size_t head, size_t tail)
{
    if (!out || n == 0)
        return out;
    size_t len = s ? strlen(s) : 0;
    if (len + 1 > n)
        len = n - 1;
    if (head + tail > len) {
        head = len / 4;
        tail = len / 4;
    }
    for (size_t i = 0; i < len; i++)
        out[i] = (i < head || i >= len - tail) ? s[i] : '*';
    out[len] = '\0';
    return out;
}

char *zn_mask_resident_id(const char *s, char *out, size_t n)
{
    return mask_keep(s, out, n, 6, 4);
}

char *zn_mask_mobile(const char *s, char *out, size_t n)
{
    return mask_keep(s, out, n, 3, 4);
}

zn_status zn_mobile_parse(const char *s, char *out11, zn_error *err)
{
    if (!s)
        return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "no mobile number");
    char d[32];
    size_t n = 0;
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '+')
        p++;
    for (; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n + 1 >= sizeof d)
                return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "too many digits for a mobile number");
            d[n++] = *p;
        } else if (*p != ' ' && *p != '-') {
            return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "'%c' is not allowed in a mobile number", *p);
        }
    }
    d[n] = '\0';
    const char *core = d;
    if (n == 15 && !strncmp(d, "0086", 4))
        core = d + 4;
    else if (n == 13 && !strncmp(d, "86", 2))
        core = d + 2;
    if (strlen(core) != 11)
        return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "%zu digits, a mainland mobile number has 11", strlen(core));
    if (core[0] != '1' || core[1] < '3' || core[1] > '9')
        return zn_error_set(err, ZN_EVALIDATE, NULL, 0, NULL, "mobile numbers start with 13-19, not %.2s", core);
    if (out11)
        memcpy(out11, core, 12);
    return ZN_OK;
}
