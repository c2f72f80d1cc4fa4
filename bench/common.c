/* Helpers shared by the benchmark programs: see common.h. */
#define _GNU_SOURCE /* program_invocation_short_name */
#include "common.h"

#include "zhinao/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

void zn_bench_check(zn_status rc, const zn_error *err, const char *what)
{
    if (rc != ZN_OK) {
        char b[800];
        fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
                err ? zn_error_format(err, b, sizeof b) : zn_strerror(rc));
        exit(1);
    }
}

double zn_bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double zn_bench_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}

uint64_t zn_bench_xorshift(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

void zn_bench_grid_of(uint64_t k, char *grid, char *community)
{
    int g = (int)(k % 3), v = (int)(k / 3 % 10), tw = (int)(k / 30 % 10), co = (int)(k / 300 % 10),
        ci = (int)(k / 3000 % 11);
    snprintf(community, 13, "33%02d%02d%03d%03d", ci + 1, co + 1, tw + 1, v + 1);
    snprintf(grid, 24, "G%s-%d", community, g + 1);
}

void zn_bench_put_grids(zn_store *st)
{
    zn_error err;
    char grid[24], comm[13];
    zn_bench_check(zn_store_begin(st, &err), &err, "begin");
    for (uint64_t k = 0; k < ZN_BENCH_NGRID; k++) {
        zn_bench_grid_of(k, grid, comm);
        zn_bench_check(zn_loop_grid_put(st, grid, comm, grid, NULL, &err), &err, "grid");
    }
    zn_bench_check(zn_store_commit(st, &err), &err, "commit");
}

void zn_bench_remove_db(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm"};
    char p[1024];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}
