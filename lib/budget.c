/* budget.c -- when an indexer commits (see budget.h). */
#include "depeche/budget.h"

#include <malloc.h>
#include <stdint.h>
#include <string.h>

/* mallinfo2() reads glibc's arenas: not the heap of a build whose
 * allocator is a sanitizer's (it crashes there with two threads). */
#if defined(__SANITIZE_ADDRESS__)
#define BUDGET_NO_MALLINFO 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define BUDGET_NO_MALLINFO 1
#endif
#endif

size_t dp_budget_heap(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33) &&          \
    !defined(BUDGET_NO_MALLINFO)
    struct mallinfo2 m = mallinfo2();

    return m.uordblks + m.hblkhd;
#else
    return 0;
#endif
}

void dp_budget_init(dp_budget *b, size_t budget, unsigned writers,
                    bool readable)
{
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    b->budget = budget;
    b->writers = writers > 0 ? writers : 1;
    b->estimate = !readable;
    b->low = SIZE_MAX;
    atomic_init(&b->round, 0);
}

void dp_budget_release(dp_budget *b)
{
    pthread_mutex_destroy(&b->mu);
}

void dp_budget_writer_init_at(dp_budget *b, dp_budget_writer *w,
                              size_t heap)
{
    memset(w, 0, sizeof *w);
    w->round = atomic_load(&b->round);
    dp_budget_committed_at(b, w, heap);
}

void dp_budget_writer_init(dp_budget *b, dp_budget_writer *w)
{
    dp_budget_writer_init_at(b, w, b->estimate ? 0 : dp_budget_heap());
}

void dp_budget_add_text(dp_budget_writer *w, size_t len)
{
    w->text += len;
    w->unchecked += len;
}

bool dp_budget_reading(const dp_budget *b, const dp_budget_writer *w)
{
    size_t every = b->budget / 16 < DP_BUDGET_CHECK_TEXT ? b->budget / 16
                                                         : DP_BUDGET_CHECK_TEXT;

    return !b->estimate && w->unchecked >= every;
}

bool dp_budget_due_at(dp_budget *b, dp_budget_writer *w, size_t heap)
{
    unsigned r;

    if (b->estimate)
        return w->text * DP_BUDGET_BYTES_PER_TEXT >= b->budget / b->writers;
    if (dp_budget_reading(b, w)) {
        w->unchecked = 0;
        pthread_mutex_lock(&b->mu);
        if (heap < b->low) {
            b->low = heap;
        } else if (heap - b->low >= b->budget) {
            b->low = heap; /* the commits of the round bring it down */
            atomic_fetch_add(&b->round, 1);
        }
        pthread_mutex_unlock(&b->mu);
    }
    r = atomic_load(&b->round);
    if (r == w->round)
        return false;
    w->round = r;
    return true;
}

bool dp_budget_due(dp_budget *b, dp_budget_writer *w)
{
    return dp_budget_due_at(b, w,
                            dp_budget_reading(b, w) ? dp_budget_heap() : 0);
}

void dp_budget_committed_at(dp_budget *b, dp_budget_writer *w, size_t heap)
{
    w->text = w->unchecked = 0;
    if (b->estimate)
        return;
    pthread_mutex_lock(&b->mu);
    if (heap < b->low)
        b->low = heap;
    pthread_mutex_unlock(&b->mu);
}

void dp_budget_committed(dp_budget *b, dp_budget_writer *w)
{
    dp_budget_committed_at(b, w, b->estimate ? 0 : dp_budget_heap());
}
