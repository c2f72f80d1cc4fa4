/*
 * Access control without HTTP: roles and permissions, scope prefixes, users (argon2id), sessions,
 * the login limiter, the audit log, and the boundary collections the map draws.
 */
#include "zn_test.h"

#include "server/server_int.h"
#include "zhinao/div.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fx {
    zn_ctx *ctx;
    zn_store *st;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    zn_error err;
    if (zn_ctx_new(&f->ctx) != ZN_OK || zn_store_open(f->ctx, ":memory:", &f->st, &err) != ZN_OK)
        return -1;
    zn_ctx_set_now(f->ctx, 1650000000); /* 2022-04-15T05:20:00Z */
    /* a few real divisions (NBS 2023) */
    if (zn_store_exec(f->st,
                      "INSERT INTO division (edition, code, level, name, parent_code) VALUES"
                      " (2023, '310000000000', 1, '上海市', NULL),"
                      " (2023, '310100000000', 2, '市辖区', '310000000000'),"
                      " (2023, '310115000000', 3, '浦东新区', '310100000000'),"
                      " (2023, '310115125000', 4, '张江镇', '310115000000'),"
                      " (2023, '330000000000', 1, '浙江省', NULL)",
                      &err) != ZN_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    zn_store_close(f->st);
    zn_ctx_free(f->ctx);
    free(f);
    return 0;
}

static void test_roles(void **state)
{
    (void)state;
    for (int r = ZN_ROLE_PROVINCE; r <= ZN_ROLE_ADMIN; r++) {
        zn_role back;
        assert_int_equal(zn_role_parse(zn_role_name((zn_role)r), &back), ZN_OK);
        assert_int_equal(back, r);
        assert_true(strlen(zn_role_label_zh((zn_role)r)) > 0);
        assert_true(zn_role_perms((zn_role)r) & ZN_PERM_READ);
    }
    zn_role r;
    assert_int_equal(zn_role_parse("root", &r), ZN_EINVAL);
    assert_string_equal(zn_role_name(0), "unknown");
    assert_int_equal(zn_role_perms(0), 0);
    /* who may see whole ID numbers and phones */
    assert_true(zn_role_perms(ZN_ROLE_EPIDEMIOLOGIST) & ZN_PERM_UNMASK_ID);
    assert_true(zn_role_perms(ZN_ROLE_EPIDEMIOLOGIST) & ZN_PERM_UNMASK_PHONE);
    assert_false(zn_role_perms(ZN_ROLE_GRID_WORKER) & ZN_PERM_UNMASK_ID);
    assert_true(zn_role_perms(ZN_ROLE_GRID_WORKER) & ZN_PERM_UNMASK_PHONE);
    for (int c = ZN_ROLE_PROVINCE; c <= ZN_ROLE_COMMUNITY; c++) {
        assert_false(zn_role_perms((zn_role)c) & (ZN_PERM_UNMASK_ID | ZN_PERM_UNMASK_PHONE));
        assert_int_equal(zn_role_scope_level((zn_role)c), c);
    }
    assert_false(zn_role_perms(ZN_ROLE_AUDITOR) & ZN_PERM_PERSON);
    assert_false(zn_role_perms(ZN_ROLE_ADMIN) & ZN_PERM_PERSON);
    assert_true(zn_role_perms(ZN_ROLE_AUDITOR) & ZN_PERM_AUDIT);
    assert_int_equal(zn_role_scope_level(ZN_ROLE_GRID_WORKER), -4);
}

static void test_scope_prefix(void **state)
{
    (void)state;
    char p[13];
    static const struct {
        const char *code, *prefix;
    } T[] = {{"000000000000", ""},       {"330000000000", "33"},        {"330100000000", "3301"},
             {"310115000000", "310115"}, {"310115125000", "310115125"}, {"330106001002", "330106001002"}};
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        assert_int_equal(zn_scope_prefix(T[i].code, p, NULL), ZN_OK);
        assert_string_equal(p, T[i].prefix);
    }
    zn_error err;
    assert_int_equal(zn_scope_prefix("310115", p, &err), ZN_EINVAL); /* 12 digits only */
    assert_int_equal(zn_scope_prefix("31011500000x", p, &err), ZN_EINVAL);
    assert_int_equal(zn_scope_prefix(NULL, p, &err), ZN_EINVAL);
}

static void test_users(void **state)
{
    fx *f = *state;
    zn_error err;
    int64_t id = 0;
    assert_int_equal(zn_user_add(f->st, "pd", "浦东新区指挥部", "long enough pw", ZN_ROLE_COUNTY, "310115", "test", &id, &err),
                     ZN_OK);
    assert_true(id > 0);
    zn_user u;
    assert_int_equal(zn_user_get(f->st, "pd", &u, &err), ZN_OK);
    assert_string_equal(u.scope, "310115000000");
    assert_string_equal(u.display_name, "浦东新区指挥部");
    assert_int_equal(u.role, ZN_ROLE_COUNTY);
    assert_int_equal(u.created_at, 1650000000);
    /* the hash is argon2id, never the password */
    zn_stmt *q;
    assert_int_equal(zn_stmt_prepare(f->st, "SELECT password_hash FROM app_user WHERE name = 'pd'", &q, &err), ZN_OK);
    int row;
    assert_int_equal(zn_stmt_step(q, &row, &err), ZN_OK);
    assert_memory_equal(zn_stmt_column_text(q, 0), "$argon2id$v=19$", 15);
    assert_null(strstr(zn_stmt_column_text(q, 0), "long enough"));
    zn_stmt_finalize(q);

    /* refusals */
    assert_int_equal(zn_user_add(f->st, "pd", NULL, "long enough pw", ZN_ROLE_COUNTY, "310115", "t", NULL, &err),
                     ZN_EDUPLICATE);
    assert_int_equal(zn_user_add(f->st, "bad name", NULL, "long enough pw", ZN_ROLE_COUNTY, "310115", "t", NULL, &err),
                     ZN_EINVAL);
    assert_int_equal(zn_user_add(f->st, "short", NULL, "123456789", ZN_ROLE_COUNTY, "310115", "t", NULL, &err),
                     ZN_EINVAL);
    assert_int_equal(zn_user_add(f->st, "lvl", NULL, "long enough pw", ZN_ROLE_COUNTY, "31", "t", NULL, &err), ZN_EINVAL);
    assert_non_null(strstr(err.msg, "county level"));
    assert_int_equal(zn_user_add(f->st, "gw", NULL, "long enough pw", ZN_ROLE_GRID_WORKER, "310115", "t", NULL, &err),
                     ZN_EINVAL); /* grid workers work in a township or village */
    assert_int_equal(zn_user_add(f->st, "gw", NULL, "long enough pw", ZN_ROLE_GRID_WORKER, "310115125", "t", NULL, &err),
                     ZN_OK);
    assert_int_equal(zn_user_add(f->st, "ghost", NULL, "long enough pw", ZN_ROLE_COUNTY, "310199", "t", NULL, &err),
                     ZN_ENOTFOUND);
    assert_int_equal(zn_user_add(f->st, "nat", NULL, "long enough pw", ZN_ROLE_COUNTY, "0", "t", NULL, &err), ZN_EINVAL);
    assert_int_equal(zn_user_add(f->st, "epi", NULL, "long enough pw", ZN_ROLE_EPIDEMIOLOGIST, "0", "t", NULL, &err),
                     ZN_OK);
    assert_int_equal(zn_user_add(f->st, "x", NULL, "long enough pw", ZN_ROLE_COUNTY, "31011", "t", NULL, &err),
                     ZN_EINVAL); /* 5 digits is no code form */

    /* verify */
    assert_int_equal(zn_user_verify(f->st, "pd", "long enough pw", &u, &err), ZN_OK);
    assert_int_equal(u.id, id);
    assert_int_equal(zn_user_verify(f->st, "pd", "long enough PW", &u, &err), ZN_EVALIDATE);
    char msg_wrong[512];
    snprintf(msg_wrong, sizeof msg_wrong, "%s", err.msg);
    assert_int_equal(zn_user_verify(f->st, "nobody", "long enough pw", &u, &err), ZN_EVALIDATE);
    assert_string_equal(err.msg, msg_wrong); /* no user enumeration */
    assert_int_equal(u.id, 0);

    /* sessions: create, look up, expire, revoke; disable and password change revoke all */
    char tok[65], tok2[65];
    assert_int_equal(zn__session_create(f->st, id, 1000, 600, "127.0.0.1", tok, &err), ZN_OK);
    assert_int_equal(zn__session_create(f->st, id, 1000, 600, "127.0.0.1", tok2, &err), ZN_OK);
    assert_string_not_equal(tok, tok2);
    zn__principal p;
    assert_int_equal(zn__session_lookup(f->st, tok, 1599, &p, &err), ZN_OK);
    assert_string_equal(p.user.name, "pd");
    assert_string_equal(p.prefix, "310115");
    assert_int_equal(p.perms, zn_role_perms(ZN_ROLE_COUNTY));
    assert_int_equal(zn__session_lookup(f->st, tok, 1600, &p, &err), ZN_ENOTFOUND); /* expired at 1000+600 */
    assert_int_equal(zn__session_lookup(f->st, "abc", 1100, &p, &err), ZN_ENOTFOUND);
    /* only the hash is stored */
    int64_t n = -1;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM app_session WHERE token_hash = '%s'", tok);
    assert_int_equal(zn_store_query_int64(f->st, sql, &n, &err), ZN_OK);
    assert_int_equal(n, 0);
    assert_string_equal(p.token_hash, ""); /* the malformed token was refused before hashing */
    assert_int_equal(zn__session_revoke(f->st, p.token_hash, 1100, &err), ZN_OK); /* revokes nothing */
    assert_int_equal(zn__session_lookup(f->st, tok, 1100, &p, &err), ZN_OK);
    zn__token_hash(tok, p.token_hash);
    assert_int_equal(zn__session_revoke(f->st, p.token_hash, 1100, &err), ZN_OK);
    assert_int_equal(zn__session_lookup(f->st, tok, 1100, &p, &err), ZN_ENOTFOUND);
    assert_int_equal(zn__session_lookup(f->st, tok2, 1100, &p, &err), ZN_OK);
    assert_int_equal(zn_user_set_password(f->st, "pd", "a new long password", "test", &err), ZN_OK);
    assert_int_equal(zn__session_lookup(f->st, tok2, 1100, &p, &err), ZN_ENOTFOUND);
    assert_int_equal(zn_user_verify(f->st, "pd", "long enough pw", &u, &err), ZN_EVALIDATE);
    assert_int_equal(zn_user_verify(f->st, "pd", "a new long password", &u, &err), ZN_OK);
    assert_int_equal(zn__session_create(f->st, id, 1000, 600, "127.0.0.1", tok, &err), ZN_OK);
    assert_int_equal(zn_user_disable(f->st, "pd", "test", &err), ZN_OK);
    assert_int_equal(zn__session_lookup(f->st, tok, 1100, &p, &err), ZN_ENOTFOUND);
    assert_int_equal(zn_user_verify(f->st, "pd", "a new long password", &u, &err), ZN_EVALIDATE);
    assert_int_equal(zn_user_disable(f->st, "nobody", "test", &err), ZN_ENOTFOUND);

    /* every change is in the audit log */
    zn_audit_filter af = {.object_prefix = "user:pd"};
    int64_t total = 0;
    assert_int_equal(zn_audit_list(f->st, &af, NULL, NULL, &total, &err), ZN_OK);
    assert_int_equal(total, 3); /* user_add, user_password, user_disable */
}

static int count_rows(void *user, const zn_audit_entry *e)
{
    (void)e;
    (*(int *)user)++;
    return 0;
}

static void test_bootstrap_and_audit(void **state)
{
    fx *f = *state;
    zn_error err;
    char pw[32];
    int created = -1;
    assert_int_equal(zn_user_bootstrap_admin(f->st, "root", NULL, pw, sizeof pw, &created, &err), ZN_OK);
    assert_int_equal(created, 1);
    assert_int_equal(strlen(pw), 20);
    zn_user u;
    assert_int_equal(zn_user_verify(f->st, "root", pw, &u, &err), ZN_OK);
    assert_int_equal(u.role, ZN_ROLE_ADMIN);
    assert_string_equal(u.scope, "000000000000");
    char pw2[32];
    assert_int_equal(zn_user_bootstrap_admin(f->st, "root2", NULL, pw2, sizeof pw2, &created, &err), ZN_OK);
    assert_int_equal(created, 0); /* an administrator exists */
    assert_string_equal(pw2, "");
    assert_int_equal(zn_user_get(f->st, "root2", &u, &err), ZN_ENOTFOUND);
    assert_int_equal(zn_password_generate(pw2, 20), ZN_EINVAL);
    assert_int_equal(zn_password_generate(pw2, sizeof pw2), ZN_OK);
    assert_string_not_equal(pw, pw2);
    assert_int_equal(strspn(pw2, "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"), 20);

    for (int i = 0; i < 5; i++)
        assert_int_equal(zn_audit_append(f->st, 7, "epi", "epidemiologist", "310000000000", "read_person",
                                         i < 3 ? "feed_case_report#1" : "feed_vaccination#9", "流调", "10.0.0.1", &err),
                         ZN_OK);
    assert_int_equal(zn_audit_append(f->st, 0, "x", NULL, NULL, "", "o", NULL, NULL, &err), ZN_EINVAL);
    zn_audit_filter af = {.user_name = "epi", .object_prefix = "feed_case_report#"};
    int64_t total = 0;
    int rows = 0;
    assert_int_equal(zn_audit_list(f->st, &af, count_rows, &rows, &total, &err), ZN_OK);
    assert_int_equal(total, 3);
    assert_int_equal(rows, 3);
    af.limit = 2;
    af.offset = 2;
    af.object_prefix = NULL;
    rows = 0;
    assert_int_equal(zn_audit_list(f->st, &af, count_rows, &rows, &total, &err), ZN_OK);
    assert_int_equal(total, 5);
    assert_int_equal(rows, 2);
    assert_int_equal(zn_store_exec(f->st, "UPDATE audit_log SET why = ''", &err), ZN_ESTORE);
    assert_int_equal(zn_store_exec(f->st, "DELETE FROM audit_log WHERE id = 1", &err), ZN_ESTORE);
}

static void test_limiter(void **state)
{
    (void)state;
    zn__limiter l;
    assert_int_equal(zn__limiter_init(&l, 900), ZN_OK);
    assert_int_equal(zn__limiter_wait(&l, "name:a", 3, 1000), 0);
    zn__limiter_fail(&l, "name:a", 1000);
    zn__limiter_fail(&l, "name:a", 1100);
    assert_int_equal(zn__limiter_wait(&l, "name:a", 3, 1100), 0);
    zn__limiter_fail(&l, "name:a", 1200);
    /* 3 failures in 900 s: wait until the oldest (1000) leaves the window at 1900 */
    assert_int_equal(zn__limiter_wait(&l, "name:a", 3, 1200), 700);
    assert_int_equal(zn__limiter_wait(&l, "name:a", 3, 1899), 1);
    assert_int_equal(zn__limiter_wait(&l, "name:a", 3, 1900), 0);
    assert_int_equal(zn__limiter_wait(&l, "name:a", 9, 1200), 0); /* a larger allowance */
    assert_int_equal(zn__limiter_wait(&l, "name:b", 3, 1200), 0);
    zn__limiter_clear(&l, "name:a");
    assert_int_equal(zn__limiter_wait(&l, "name:a", 3, 1200), 0);
    /* many keys: every one still counted (or evicted oldest-first, never blocking a stranger) */
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "client:%d", i);
        zn__limiter_fail(&l, key, 2000 + i);
    }
    assert_int_equal(zn__limiter_wait(&l, "client:new", 1, 9000), 0);
    zn__limiter_fail(&l, "client:4999", 7000);
    assert_true(zn__limiter_wait(&l, "client:4999", 2, 7000) > 0);
    zn__limiter_fini(&l);
}

static void test_boundaries(void **state)
{
    (void)state;
    zn__boundaries b;
    zn_error err;
    assert_int_equal(zn__boundaries_load(&b, zn_test_src("data/boundaries"), &err), ZN_OK);
    assert_int_equal(b.n, 11 + 90 + 16); /* Zhejiang cities, Zhejiang counties, Shanghai districts */
    static const struct {
        const char *code;
        size_t n;
    } T[] = {
        {"", 27},             /* top level of each province: 11 Zhejiang cities + 16 Shanghai districts */
        {"330000000000", 11}, {"310000000000", 16}, {"310100000000", 16}, /* 市辖区: the districts */
        {"330100000000", 13}, /* Hangzhou incl. 临平区 and 钱塘区 (2021) */
        {"330106000000", 1},  {"330106001000", 1},  {"310115125000", 1},
        {"340000000000", 0},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        zn_buf out = {0};
        size_t n = 99;
        assert_int_equal(zn__boundaries_collection(&b, T[i].code, &out, &n), ZN_OK);
        if (n != T[i].n)
            fprintf(stderr, "%s: %zu\n", T[i].code, n);
        assert_int_equal(n, T[i].n);
        json_error_t je;
        json_t *j = json_loads(out.data, 0, &je);
        assert_non_null(j);
        assert_int_equal(json_array_size(json_object_get(j, "features")), T[i].n);
        if (!strcmp(T[i].code, "310115125000")) { /* a township draws its county */
            json_t *p = json_object_get(json_array_get(json_object_get(j, "features"), 0), "properties");
            assert_string_equal(json_string_value(json_object_get(p, "code")), "310115000000");
            assert_string_equal(json_string_value(json_object_get(p, "name")), "浦东新区");
        }
        json_decref(j);
        zn_buf_fini(&out);
    }
    zn__boundaries_fini(&b);
    assert_int_equal(zn__boundaries_load(&b, "/nonexistent", &err), ZN_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_scope_prefix),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_and_audit, setup, teardown),
        cmocka_unit_test(test_limiter),
        cmocka_unit_test(test_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
