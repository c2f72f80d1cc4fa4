/*
 * Deterministic random numbers for the generator: splitmix64 to seed, xoshiro256** 1.0 to draw.
 * Both after the public-domain reference code of Sebastiano Vigna (https://prng.di.unimi.it/,
 * splitmix64.c and xoshiro256starstar.c); Blackman & Vigna, ACM TOMS 47(4), 2021.
 */
#include "zhinao/gen.h"

#include <math.h>

uint64_t zn_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The splitmix64 finaliser alone (a bijection of 64-bit values). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void zn_rng_seed(zn_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = zn_splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1; /* cannot happen (splitmix64 outputs are a bijection of distinct states) */
}

void zn_rng_seed_key(zn_rng *r, uint64_t seed, uint64_t stream, uint64_t a, uint64_t b)
{
    uint64_t k = mix64(seed + 0x632be59bd9b4e019ULL);
    k = mix64(k ^ (stream * 0x9e3779b97f4a7c15ULL + 0x8cb92ba72f3d8dd7ULL));
    k = mix64(k ^ (a * 0xd1b54a32d192ed03ULL + 0x2545f4914f6cdd1dULL));
    k = mix64(k ^ (b * 0xaef17502108ef2d9ULL + 0x4f1bbcdcbfa53e0bULL));
    zn_rng_seed(r, k);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t zn_rng_next(zn_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double zn_rng_uniform(zn_rng *r)
{
    return (double)(zn_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t zn_rng_below(zn_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    unsigned __int128 m = (unsigned __int128)zn_rng_next(r) * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = (0 - n) % n;
        while (l < t) {
            m = (unsigned __int128)zn_rng_next(r) * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double zn_rng_normal(zn_rng *r)
{
    double u1 = 1.0 - zn_rng_uniform(r); /* (0, 1] */
    double u2 = zn_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double zn_rng_exponential(zn_rng *r, double mean)
{
    return -mean * log(1.0 - zn_rng_uniform(r));
}

double zn_rng_lognormal(zn_rng *r, double meanlog, double sdlog)
{
    return exp(meanlog + sdlog * zn_rng_normal(r));
}

size_t zn_rng_weighted(zn_rng *r, const double *w, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i];
    double u = zn_rng_uniform(r) * sum;
    for (size_t i = 0; i < n; i++) {
        if (u < w[i])
            return i;
        u -= w[i];
    }
    return n ? n - 1 : 0;
}
