/* test_buf.c -- the growable buffer and the error buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "depeche/buf.h"
#include "depeche/error.h"

static void test_buf_add_keeps_nul(void **state)
{
    static const struct { const char *parts[4]; const char *want; } cases[] = {
        { { "", NULL }, "" },
        { { "a", "b", "c", NULL }, "abc" },
        { { "l’", "Azerbaïdjan", NULL }, "l’Azerbaïdjan" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dp_buf b = DP_BUF_INIT;
        for (size_t j = 0; cases[i].parts[j]; j++)
            assert_int_equal(dp_buf_adds(&b, cases[i].parts[j]), DP_OK);
        assert_string_equal(dp_buf_cstr(&b), cases[i].want);
        assert_int_equal(b.len, strlen(cases[i].want));
        dp_buf_release(&b);
    }
}

static void test_buf_limit_refuses_and_keeps(void **state)
{
    dp_buf b;
    (void)state;
    dp_buf_init(&b, 8);
    assert_int_equal(dp_buf_adds(&b, "12345678"), DP_OK);
    assert_int_equal(dp_buf_addc(&b, 'x'), DP_ELIMIT);
    assert_string_equal(dp_buf_cstr(&b), "12345678");
    dp_buf_truncate(&b, 3);
    assert_string_equal(dp_buf_cstr(&b), "123");
    assert_int_equal(dp_buf_addf(&b, "%d%s", 45, "6789"), DP_ELIMIT);
    assert_int_equal(dp_buf_addf(&b, "%d", 45), DP_OK);
    assert_string_equal(dp_buf_cstr(&b), "12345");
    dp_buf_release(&b);
    dp_buf_release(NULL);
}

static void test_buf_growth_and_detach(void **state)
{
    dp_buf b = DP_BUF_INIT;
    size_t n = 0;
    char *p = NULL;
    (void)state;
    for (int i = 0; i < 10000; i++)
        assert_int_equal(dp_buf_addc(&b, (char)('a' + i % 26)), DP_OK);
    assert_int_equal(b.len, 10000);
    assert_int_equal(b.data[b.len], '\0');
    dp_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(dp_buf_cstr(&b), "");
    assert_int_equal(dp_buf_adds(&b, "xyz"), DP_OK);
    p = dp_buf_detach(&b, &n);
    assert_int_equal(n, 3);
    assert_string_equal(p, "xyz");
    assert_null(b.data);
    free(p);
}

static void test_error_set_and_names(void **state)
{
    dp_error err = DP_ERROR_INIT;
    (void)state;
    assert_int_equal(dp_error_set(&err, DP_EIO, "cannot read %s", "x.txt"),
                     DP_EIO);
    assert_int_equal(err.code, DP_EIO);
    assert_string_equal(err.msg, "cannot read x.txt");
    assert_int_equal(dp_error_set(NULL, DP_ENOMEM, "x"), DP_ENOMEM);
    dp_error_clear(&err);
    assert_int_equal(err.code, DP_OK);
    assert_string_equal(err.msg, "");
    assert_string_equal(dp_status_str(DP_ELOCKED), "index locked");
    assert_string_equal(dp_status_str(12345), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_add_keeps_nul),
        cmocka_unit_test(test_buf_limit_refuses_and_keeps),
        cmocka_unit_test(test_buf_growth_and_detach),
        cmocka_unit_test(test_error_set_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
