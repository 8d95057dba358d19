/*
 * budget.h -- when an indexer commits: a budget of heap growth.
 *
 * Xapian buffers a transaction's changes on the heap, and that buffer is
 * not proportional to the text (new words cost more than known ones), so
 * an indexer commits when the heap has grown by a budget, not after so
 * many documents or bytes.  The heap is read with glibc's mallinfo2(),
 * which walks and locks every arena: it is read only after each
 * DP_BUDGET_CHECK_TEXT bytes of text (or 1/16 of a small budget), which
 * lets the heap overshoot by what that much text adds (~12 MiB).
 *
 * The heap is the process's.  The writers of a build on several threads
 * (each its own part) share one budget, and a writer's commit frees its
 * own buffer only; so they commit in rounds: when the heap has grown by
 * the budget above the lowest it was since the last round, a new round
 * starts and every writer commits at its next file boundary.  (Measured
 * against each writer's own last commit instead, one writer's buffer hid
 * the other's commits: the full Europarl corpus peaked at 587 MiB with
 * -j 2 and a budget of 160 MiB; in rounds, 224 MiB.)
 *
 * Where the heap cannot be read (no mallinfo2(), or a sanitizer's
 * allocator, where it crashes with two threads), each writer estimates its
 * own buffer as DP_BUDGET_BYTES_PER_TEXT bytes per byte of text indexed
 * since its last commit and commits at its share of the budget.
 *
 * A dp_budget is shared by threads (its functions lock); a
 * dp_budget_writer belongs to one writer.
 */
#ifndef DEPECHE_BUDGET_H
#define DEPECHE_BUDGET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DP_BUDGET_CHECK_TEXT ((size_t)1 << 20)
/* Heap per byte of text when it cannot be read (measured with glibc on
 * Europarl). */
#define DP_BUDGET_BYTES_PER_TEXT 12

typedef struct dp_budget {
    pthread_mutex_t mu;
    size_t budget; /* bytes of heap growth between rounds */
    unsigned writers;
    bool estimate;     /* the heap cannot be read: per-writer estimates */
    size_t low;        /* the lowest heap read since the last round */
    atomic_uint round; /* rounds of commits asked for so far */
} dp_budget;

typedef struct dp_budget_writer {
    size_t text;      /* text indexed since the last commit */
    size_t unchecked; /* text indexed since the heap was last read */
    unsigned round;   /* the last round this writer committed in */
} dp_budget_writer;

/** The heap in use (bytes), or 0 where it cannot be read. */
size_t dp_budget_heap(void);

/** Start a budget of @p budget bytes for @p writers writers (at least 1);
 * @p readable: the heap can be read (dp_budget_heap() is not 0 in this
 * process). */
void dp_budget_init(dp_budget *b, size_t budget, unsigned writers,
                    bool readable);

/** Free what dp_budget_init() took.  Every writer must be done. */
void dp_budget_release(dp_budget *b);

/** A writer joins, before it writes: it starts as after a commit (the
 * heap is read for the floor). */
void dp_budget_writer_init(dp_budget *b, dp_budget_writer *w);

/** dp_budget_writer_init() with the heap given. */
void dp_budget_writer_init_at(dp_budget *b, dp_budget_writer *w,
                              size_t heap);

/** @p len bytes of text were indexed by @p w. */
void dp_budget_add_text(dp_budget_writer *w, size_t len);

/**
 * Between two files: should @p w commit now?  Reads the heap with
 * dp_budget_heap() when due (see dp_budget_due_at()).
 */
bool dp_budget_due(dp_budget *b, dp_budget_writer *w);

/**
 * dp_budget_due() with the heap given (read by the caller when
 * dp_budget_reading() says so): the policy alone, for tests.
 */
bool dp_budget_due_at(dp_budget *b, dp_budget_writer *w, size_t heap);

/** Is it time for @p w to read the heap (enough text since the last)? */
bool dp_budget_reading(const dp_budget *b, const dp_budget_writer *w);

/** @p w has committed: the heap is read again (its new floor). */
void dp_budget_committed(dp_budget *b, dp_budget_writer *w);

/** dp_budget_committed() with the heap after the commit given. */
void dp_budget_committed_at(dp_budget *b, dp_budget_writer *w, size_t heap);

#ifdef __cplusplus
}
#endif
#endif
