/*
 * fuzz.h -- what the libFuzzer harnesses of fuzz/ share.
 *
 * A harness checks the invariants its module's header promises and calls
 * fuzz_fail() when one does not hold: abort() is what libFuzzer reports
 * as a crash, and it saves the input that caused it.
 */
#ifndef DEPECHE_FUZZ_H
#define DEPECHE_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Print "invariant violated: ..." and abort(). */
__attribute__((noreturn, format(printf, 1, 2))) static inline void
fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("invariant violated: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/** Abort unless @p rc is DP_OK: the harness itself could not go on. */
static inline void fuzz_ok(int rc, const char *what)
{
    if (rc != 0)
        fuzz_fail("%s returned %d", what, rc);
}

#endif
