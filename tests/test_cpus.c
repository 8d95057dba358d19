/* test_cpus.c -- unit tests for cpus.c: default thread counts. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "depeche/cpus.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The processors of the current affinity, each bound of dp_cpus() against
 * the count it should give. */
static void test_cpus_follow_affinity_and_bound(void **state)
{
    cpu_set_t all, one;
    unsigned n;
    static const unsigned maxes[] = { 1, 2, 3, 64 };

    (void)state;
    assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
    n = (unsigned)CPU_COUNT(&all);
    assert_true(n >= 1);
    for (size_t i = 0; i < ARRAY_LEN(maxes); i++)
        assert_int_equal(dp_cpus(maxes[i]), n < maxes[i] ? n : maxes[i]);

    /* Bound to one processor (as by taskset), the default is 1. */
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &all)) {
            CPU_SET(c, &one);
            break;
        }
    }
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    assert_int_equal(dp_cpus(64), 1);
    assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
    assert_int_equal(dp_cpus(64), n < 64 ? n : 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpus_follow_affinity_and_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
