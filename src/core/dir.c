/* Listing a folder's files by suffix (zn_dir_list, core.h). */
#include "zhinao/core.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void zn_dir_list_free(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}

zn_status zn_dir_list(const char *dir, const char *suffix, char ***paths, size_t *n, zn_error *err)
{
    *paths = NULL;
    *n = 0;
    if (!dir || !suffix)
        return zn_error_set(err, ZN_EINVAL, NULL, 0, NULL, "zn_dir_list: NULL argument");
    DIR *d = opendir(dir);
    if (!d)
        return zn_error_set(err, ZN_EIO, dir, 0, NULL, "cannot open folder: %s", strerror(errno));
    size_t slen = strlen(suffix), cap = 0;
    char **v = NULL;
    zn_status st = ZN_OK;
    struct dirent *de;
    while (st == ZN_OK && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < slen || strcmp(de->d_name + len - slen, suffix) != 0)
            continue;
        if (*n == cap) {
            size_t c = cap ? cap * 2 : 16;
            char **nv = realloc(v, c * sizeof *nv);
            if (!nv) {
                st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            v = nv;
            cap = c;
        }
        zn_buf path = {0};
        if (zn_buf_printf(&path, "%s/%s", dir, de->d_name) != ZN_OK || !path.data) {
            zn_buf_fini(&path);
            st = zn_error_set(err, ZN_ENOMEM, NULL, 0, NULL, "out of memory");
        } else {
            v[(*n)++] = path.data;
        }
    }
    closedir(d);
    if (st != ZN_OK) {
        zn_dir_list_free(v, *n);
        *n = 0;
        return st;
    }
    if (*n > 1)
        qsort(v, *n, sizeof *v, cmp_str);
    *paths = v;
    return ZN_OK;
}
