/* Internal to src/store. */
#ifndef ZN_STORE_INT_H
#define ZN_STORE_INT_H

typedef struct zn__migration {
    int version;
    const char *name;
    const char *sql;
} zn__migration;

extern const zn__migration zn__migrations[];
extern const int zn__migration_count;

#endif
