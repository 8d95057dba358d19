/* progress.c -- one-line progress display on a terminal. */
#include "depeche/progress.h"

#include <time.h>

double dp_progress_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void dp_progress_init(dp_progress *p, FILE *fp, bool enabled,
                      const char *what, const char *unit)
{
    p->fp = fp;
    p->enabled = enabled;
    p->what = what;
    p->unit = unit;
    p->start = dp_progress_now();
    p->last_draw = 0;
    p->drawn = false;
}

void dp_progress_update(dp_progress *p, uint64_t done, uint64_t total,
                        uint64_t bytes, uint64_t total_bytes)
{
    double now, secs, rate;

    if (!p->enabled)
        return;
    now = dp_progress_now();
    if (p->drawn && now - p->last_draw < 0.1)
        return;
    p->last_draw = now;
    p->drawn = true;
    secs = now - p->start;
    fprintf(p->fp, "\r\033[K%s: %llu", p->what, (unsigned long long)done);
    if (total)
        fprintf(p->fp, "/%llu", (unsigned long long)total);
    fprintf(p->fp, " %s", p->unit);
    if (total_bytes) {
        rate = secs > 0 ? (double)bytes / 1e6 / secs : 0;
        fprintf(p->fp, ", %.1f/%.1f MB, %.1f MB/s", (double)bytes / 1e6,
                (double)total_bytes / 1e6, rate);
        if (rate > 0 && bytes > 0 && bytes < total_bytes) {
            double eta = (double)(total_bytes - bytes) / 1e6 / rate;
            fprintf(p->fp, ", ETA %d:%02d", (int)eta / 60, (int)eta % 60);
        }
    } else if (total && done && secs > 0) {
        double eta = secs / (double)done * (double)(total - done);
        fprintf(p->fp, ", %.0f/s, ETA %d:%02d", (double)done / secs,
                (int)eta / 60, (int)eta % 60);
    }
    fflush(p->fp);
}

void dp_progress_finish(dp_progress *p)
{
    if (p->enabled && p->drawn) {
        fputs("\r\033[K", p->fp);
        fflush(p->fp);
    }
    p->drawn = false;
}
