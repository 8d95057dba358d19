/*
 * progress.h -- a one-line progress display for long work on a terminal.
 *
 * The line is redrawn in place (carriage return, erase to end of line) at
 * most ten times a second, and erased by dp_progress_finish().  A disabled
 * progress (not a terminal, or -q) does nothing, so callers need not test.
 */
#ifndef DEPECHE_PROGRESS_H
#define DEPECHE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dp_progress {
    FILE *fp;              /* where the line goes (stderr) */
    bool enabled;
    const char *what;      /* "indexing", "searching" */
    const char *unit;      /* "files", "queries" */
    double start;          /* monotonic seconds at init */
    double last_draw;
    bool drawn;
} dp_progress;

/** Start timing; @p enabled false makes every call a no-op. */
void dp_progress_init(dp_progress *p, FILE *fp, bool enabled,
                      const char *what, const char *unit);

/** Redraw if due: @p done of @p total items (total 0: unknown) and
 * @p bytes of @p total_bytes (total_bytes 0: not shown). */
void dp_progress_update(dp_progress *p, uint64_t done, uint64_t total,
                        uint64_t bytes, uint64_t total_bytes);

/** Erase the line. */
void dp_progress_finish(dp_progress *p);

/** Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double dp_progress_now(void);

#ifdef __cplusplus
}
#endif
#endif
