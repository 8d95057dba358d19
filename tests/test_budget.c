/* test_budget.c -- unit tests for budget.c: when an indexer commits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "depeche/budget.h"

#define MIB          ((size_t)1 << 20)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One step of a build: writer @c w indexed @c text bytes, the heap then
 * reads @c heap MiB, and the writer should (not) commit; after a commit
 * the heap reads @c after MiB. */
typedef struct step {
    unsigned w;
    size_t text;
    size_t heap; /* MiB */
    bool commit;
    size_t after; /* MiB */
} step;

/* Play @p steps on a budget of @p budget MiB for @p writers writers that
 * can read the heap; a writer that commits frees its own buffer: what it
 * added to the heap since its last commit (the table's heaps say so). */
static void play(const step *steps, size_t n, size_t budget, unsigned writers)
{
    dp_budget b;
    dp_budget_writer w[4];

    dp_budget_init(&b, budget * MIB, writers, true);
    for (unsigned i = 0; i < writers; i++)
        dp_budget_writer_init_at(&b, &w[i], steps[0].heap * MIB);
    for (size_t i = 0; i < n; i++) {
        dp_budget_writer *x = &w[steps[i].w];
        bool due;

        dp_budget_add_text(x, steps[i].text);
        due = dp_budget_due_at(&b, x, steps[i].heap * MIB);
        if (due != steps[i].commit)
            fail_msg("step %zu (writer %u, heap %zu MiB): commit %d, "
                     "wanted %d",
                     i, steps[i].w, steps[i].heap, due, steps[i].commit);
        if (due)
            dp_budget_committed_at(&b, x, steps[i].after * MIB);
    }
    dp_budget_release(&b);
}

/* One writer: a commit each time the heap has grown by the budget above
 * its lowest since the last commit. */
static void test_budget_one_writer(void **state)
{
    static const step steps[] = {
        {0, MIB, 100, false, 0}, /* the floor, read when it joined */
        {0, MIB, 150, false, 0},
        {0, MIB, 259, false, 0},  /* 159 MiB above 100 */
        {0, MIB, 260, true, 105}, /* 160 above: commit; floor 105 */
        {0, MIB, 110, false, 0},
        {0, MIB, 264, false, 0}, /* 159 above the floor */
        {0, MIB, 265, true, 120},
        {0, MIB, 130, false, 0},
    };

    (void)state;
    play(steps, ARRAY_LEN(steps), 160, 1);
}

/* The heap is read once per DP_BUDGET_CHECK_TEXT bytes of text only (or
 * 1/16 of a small budget): between readings nothing is due. */
static void test_budget_reads_per_text(void **state)
{
    static const step steps[] = {
        {0, MIB, 100, false, 0},
        {0, MIB / 4, 900, false, 0}, /* not read: no commit */
        {0, MIB / 4, 900, false, 0},
        {0, MIB / 4, 900, false, 0},
        {0, MIB / 4, 900, true, 100}, /* 1 MiB since the last reading */
    };
    static const step small[] = {
        {0, 512 * 1024, 100, false, 0}, /* budget 8 MiB: read every 512 KiB */
        {0, 512 * 1024, 108, true, 100},
    };

    (void)state;
    play(steps, ARRAY_LEN(steps), 160, 1);
    play(small, ARRAY_LEN(small), 8, 1);
}

/* Two writers share the heap.  The case that a per-writer base got wrong:
 * writer 1's buffer hid writer 0's commits, and writer 1 never committed.
 * In rounds, both commit when the process's heap is the budget above its
 * floor, so their buffers together stay within the budget. */
static void test_budget_two_writers_rounds(void **state)
{
    static const step steps[] = {
        {0, MIB, 100, false, 0}, /* floor 100 */
        {1, MIB, 180, false, 0},  {0, MIB, 259, false, 0},
        {1, MIB, 260, true, 180}, /* a round: writer 1 commits... */
        {0, MIB, 180, true, 100}, /* ...and writer 0 at its next file */
        {1, MIB, 100, false, 0},  /* both committed: the floor again */
        {0, MIB, 180, false, 0},  {1, MIB, 250, false, 0},
        {0, MIB, 260, true, 200}, /* the next round, whoever reads it */
        {1, MIB, 200, true, 101}, {0, MIB, 101, false, 0},
        {1, MIB, 102, false, 0},
    };

    (void)state;
    play(steps, ARRAY_LEN(steps), 160, 2);
}

/* A writer that reads nothing (little text between files) still commits
 * in the round another one started. */
static void test_budget_round_reaches_quiet_writer(void **state)
{
    static const step steps[] = {
        {0, MIB, 100, false, 0}, {0, MIB, 260, true, 200}, /* round 1 */
        {1, 10, 0, true, 110}, /* writer 1: too little text to read */
        {1, 10, 0, false, 0},  /* once per round */
        {0, MIB, 120, false, 0},
    };

    (void)state;
    play(steps, ARRAY_LEN(steps), 160, 2);
}

/* Without a readable heap, each writer estimates its own buffer from its
 * text and commits at its share of the budget. */
static void test_budget_estimate(void **state)
{
    dp_budget b;
    dp_budget_writer w0, w1;
    /* the text that makes 80 MiB, rounded up */
    size_t share =
        (80 * MIB + DP_BUDGET_BYTES_PER_TEXT - 1) / DP_BUDGET_BYTES_PER_TEXT;

    (void)state;
    dp_budget_init(&b, 160 * MIB, 2, false);
    dp_budget_writer_init(&b, &w0);
    dp_budget_writer_init(&b, &w1);
    dp_budget_add_text(&w0, share - 1);
    assert_false(dp_budget_due(&b, &w0));
    assert_false(dp_budget_reading(&b, &w0)); /* never reads the heap */
    dp_budget_add_text(&w1, share / 2);
    assert_false(dp_budget_due(&b, &w1));
    dp_budget_add_text(&w0, 1);
    assert_true(dp_budget_due(&b, &w0));
    dp_budget_committed(&b, &w0);
    assert_false(dp_budget_due(&b, &w0));
    assert_false(dp_budget_due(&b, &w1)); /* its own text only */
    dp_budget_add_text(&w1, share - share / 2);
    assert_true(dp_budget_due(&b, &w1));
    dp_budget_release(&b);
}

/* The heap of this process reads as something where it can be read. */
static void test_budget_heap(void **state)
{
    (void)state;
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
    assert_true(dp_budget_heap() > 0);
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_one_writer),
        cmocka_unit_test(test_budget_reads_per_text),
        cmocka_unit_test(test_budget_two_writers_rounds),
        cmocka_unit_test(test_budget_round_reaches_quiet_writer),
        cmocka_unit_test(test_budget_estimate),
        cmocka_unit_test(test_budget_heap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
