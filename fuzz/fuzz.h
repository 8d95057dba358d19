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
#include <string.h>

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

/*
 * UTF-8 straight from the table of RFC 3629, section 4, with Unicode's
 * "substitution of maximal subparts" (chapter 3, U+FFFD): the length of
 * the sequence at s[i] (i < len), and whether it is well-formed.  An
 * ill-formed one is the longest prefix of a well-formed sequence there,
 * at least one byte: what one U+FFFD replaces.
 */
static inline size_t fuzz_utf8_seq(const uint8_t *s, size_t len, size_t i,
                                   int *ok)
{
    uint8_t b = s[i], lo = 0x80, hi = 0xBF;
    size_t need, k;

    *ok = 1;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        lo = b == 0xE0 ? 0xA0 : 0x80;
        hi = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        lo = b == 0xF0 ? 0x90 : 0x80;
        hi = b == 0xF4 ? 0x8F : 0xBF;
    } else {
        *ok = 0;
        return 1;
    }
    for (k = 1; k <= need; k++) {
        if (i + k >= len || s[i + k] < lo || s[i + k] > hi) {
            *ok = 0;
            return k;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

/*
 * The reference repair of @p len bytes of @p s into @p out (at least
 * 3 * len bytes): each maximal ill-formed subsequence, and each NUL byte
 * when @p nuls, becomes U+FFFD.  @return the bytes written; *bad counts
 * the ill-formed subsequences and *first_bad is the offset of the first
 * one (SIZE_MAX when none).
 */
static inline size_t fuzz_ref_repair(const uint8_t *s, size_t len, int nuls,
                                     uint8_t *out, size_t *bad,
                                     size_t *first_bad)
{
    size_t i = 0, o = 0, n;
    int ok;

    *bad = 0;
    *first_bad = SIZE_MAX;
    while (i < len) {
        n = fuzz_utf8_seq(s, len, i, &ok);
        if (!ok && (*bad)++ == 0)
            *first_bad = i;
        if (!ok || (nuls && s[i] == 0)) {
            out[o++] = 0xEF;
            out[o++] = 0xBF;
            out[o++] = 0xBD;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
        }
        i += n;
    }
    return o;
}

/* The 1-based line of byte @p off of @p s (LF, CRLF and a lone CR end
 * lines). */
static inline size_t fuzz_line_of(const uint8_t *s, size_t len, size_t off)
{
    size_t line = 1, i;

    for (i = 0; i < off && i < len; i++)
        line += s[i] == '\n' || (s[i] == '\r' && !(i + 1 < len &&
                                                   s[i + 1] == '\n'));
    return line;
}

#endif
