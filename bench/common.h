/*
 * Helpers shared by the benchmark programs (bench/bench_*.c): exit on error, wall and CPU
 * seconds, a fixed random sequence, and the synthetic province of the loop benchmarks. Not a
 * program itself (the bench_*.c glob of CMakeLists.txt does not match it): the library
 * zn_bench_common, linked into each benchmark.
 */
#ifndef ZN_BENCH_COMMON_H
#define ZN_BENCH_COMMON_H

#include "zhinao/core.h"
#include "zhinao/store.h"

#include <stdint.h>

/* Exit with status 1 and "<program>: <what>: <error>" on stderr unless rc is ZN_OK; err may be
 * NULL (then the status name is printed). <program> is the name the benchmark was run by. */
void zn_bench_check(zn_status rc, const zn_error *err, const char *what);

/* The next number of the xorshift64 generator (Marsaglia 2003, shifts 13, 7, 17) whose state is
 * *state (never 0); the same seed gives the same sequence on every run. */
uint64_t zn_bench_xorshift(uint64_t *state);

/* Wall-clock seconds on the monotonic clock (for differences only). */
double zn_bench_now_s(void);

/* CPU seconds (user + system) of this process: what the work costs on an idle core, since the
 * benchmark machine is shared and wall time includes waiting for the CPU. */
double zn_bench_cpu_s(void);

/* The synthetic province: 11 cities x 10 counties x 10 townships x 10 communities x 3 grids. */
#define ZN_BENCH_NGRID 33000

/* Grid k in [0, ZN_BENCH_NGRID): city 1..11, county 1..10, township 1..10, village 1..10, grid
 * 1..3. community (13 bytes) receives the 12-digit community code "33CCKKTTTVVV", grid (24 bytes)
 * the grid id "G<community>-<g>". Grids 0..29 are the 30 grids of township 330101001. */
void zn_bench_grid_of(uint64_t k, char *grid, char *community);

/* Add every grid of the province to the store (zn_loop_grid_put, each its own name, in one
 * transaction); exits on error. */
void zn_bench_put_grids(zn_store *st);

/* Remove the SQLite database at path and its -wal and -shm files (those absent are ignored). */
void zn_bench_remove_db(const char *path);

#endif
