/* fuzz_utf8.c -- libFuzzer harness: UTF-8 repair and the output escapes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/utf8.h>

#include "depeche/buf.h"
#include "depeche/corpus.h"
#include "depeche/output.h"
#include "fuzz.h"

/*
 * Checked for every input:
 *   - dp_utf8_valid() agrees with the table of RFC 3629;
 *   - dp_utf8_repair(): its output is valid per dp_utf8_valid(); it
 *     returns 0 and copies the input exactly when the input is valid;
 *     repairing the output again changes nothing; the first bad offset is
 *     inside the input and everything before it is valid; the output,
 *     the count and the first bad offset are those of the reference
 *     repair of fuzz.h (RFC 3629 and Unicode's maximal subparts);
 *   - dp_json_str(): its output is one RFC 8259 string literal (checked by
 *     the small decoder below), with no raw control, DEL, C1, U+2028/9 or
 *     bidi characters, whose decoded value is exactly the repaired input
 *     (both replace each maximal ill-formed subsequence with U+FFFD);
 *   - dp_term_escape(): valid UTF-8 with no control, DEL, C1, U+2028/9
 *     or bidi characters; a valid text that holds none of them comes out
 *     as it is;
 *   - dp_tsv_escape(): the same, no tab or newline, and unescaping it
 *     gives back the input byte for byte.
 */

static bool hexval(uint8_t c, unsigned *v)
{
    bool ok = true;

    if (c >= '0' && c <= '9')
        *v = c - '0';
    else if (c >= 'a' && c <= 'f')
        *v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        *v = c - 'A' + 10;
    else
        ok = false;
    return ok;
}

/* Read @p digits hex digits at s[*i]. */
static bool hex_at(const uint8_t *s, size_t len, size_t *i, int digits,
                   uint32_t *out)
{
    uint32_t v = 0;
    unsigned d;
    int k;

    if (len - *i < (size_t)digits)
        return false;
    for (k = 0; k < digits; k++) {
        if (!hexval(s[*i + k], &d))
            return false;
        v = v * 16 + d;
    }
    *i += (size_t)digits;
    *out = v;
    return true;
}

static void put_cp(dp_buf *b, uint32_t cp)
{
    uint8_t u[U8_MAX_LENGTH];
    size_t n = 0;

    U8_APPEND_UNSAFE(u, n, (UChar32)cp);
    fuzz_ok(dp_buf_add(b, (const char *)u, n), "dp_buf_add");
}

/* Decode the UTF-8 code point at s[*i] (valid input only). */
static uint32_t next_cp(const uint8_t *s, size_t *i)
{
    UChar32 cp;

    U8_NEXT_UNSAFE(s, *i, cp);
    return (uint32_t)cp;
}

static bool is_bidi(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Characters no escaped output may carry raw: controls, DEL, C1, bidi
 * controls, and U+2028/9, which end a line for some readers. */
static bool unsafe_cp(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || is_bidi(cp) ||
           cp == 0x2028 || cp == 0x2029;
}

/* The valid UTF-8 @p s holds no unsafe character. */
static bool all_safe(const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        if (unsafe_cp(next_cp(s, &i)))
            return false;
    }
    return true;
}

/* @p what is valid UTF-8 with no unsafe character raw. */
static void check_safe(const char *what, const dp_buf *b)
{
    const uint8_t *s = (const uint8_t *)(b->data ? b->data : "");
    size_t i = 0;

    if (!dp_utf8_valid((const char *)s, b->len))
        fuzz_fail("%s output is not valid UTF-8", what);
    while (i < b->len) {
        size_t at = i;
        uint32_t cp = next_cp(s, &i);
        if (unsafe_cp(cp))
            fuzz_fail("%s output has U+%04X raw at byte %zu", what,
                      (unsigned)cp, at);
    }
}

/*
 * Decode the JSON string literal that is all of @p lit into @p out, or
 * abort: a quote, then unescaped characters (valid UTF-8, nothing below
 * U+0020, no '"' or '\\') and the escapes \" \\ \/ \b \f \n \r \t \uXXXX
 * (surrogates only as a high-low pair), then a quote and nothing else.
 */
static void json_decode(const dp_buf *lit, dp_buf *out)
{
    const uint8_t *s = (const uint8_t *)lit->data;
    size_t len = lit->len, i = 1;
    bool closed = false;

    if (len < 2 || s[0] != '"')
        fuzz_fail("JSON string does not start with a quote");
    if (!dp_utf8_valid(lit->data, len))
        fuzz_fail("JSON string is not valid UTF-8");
    while (i < len && !closed) {
        uint32_t cp, lo;
        uint8_t c = s[i];

        if (c == '"') {
            closed = true;
            i++;
        } else if (c < 0x20) {
            fuzz_fail("JSON string has raw byte 0x%02x at %zu", c, i);
        } else if (c != '\\') {
            cp = next_cp(s, &i);
            put_cp(out, cp);
        } else if (i + 1 >= len) {
            fuzz_fail("JSON string ends inside an escape");
        } else {
            c = s[i + 1];
            i += 2;
            switch (c) {
            case '"':
            case '\\':
            case '/': put_cp(out, c); break;
            case 'b': put_cp(out, '\b'); break;
            case 'f': put_cp(out, '\f'); break;
            case 'n': put_cp(out, '\n'); break;
            case 'r': put_cp(out, '\r'); break;
            case 't': put_cp(out, '\t'); break;
            case 'u':
                if (!hex_at(s, len, &i, 4, &cp))
                    fuzz_fail("JSON string: bad \\u escape at %zu", i);
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    fuzz_fail("JSON string: lone low surrogate");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (len - i < 2 || s[i] != '\\' || s[i + 1] != 'u')
                        fuzz_fail("JSON string: lone high surrogate");
                    i += 2;
                    if (!hex_at(s, len, &i, 4, &lo) || lo < 0xDC00 ||
                        lo > 0xDFFF)
                        fuzz_fail("JSON string: bad surrogate pair");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                put_cp(out, cp);
                break;
            default: fuzz_fail("JSON string: unknown escape \\%c", c);
            }
        }
    }
    if (!closed || i != len)
        fuzz_fail("JSON string not closed at its end");
}

/* Undo dp_tsv_escape(): \t \n \r \\ \xHH (a byte) \uXXXX (a character). */
static void tsv_unescape(const dp_buf *esc, dp_buf *out)
{
    const uint8_t *s = (const uint8_t *)(esc->data ? esc->data : "");
    size_t len = esc->len, i = 0;
    uint32_t v;

    while (i < len) {
        if (s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
            fuzz_fail("TSV field has a raw tab or line end");
        if (s[i] != '\\') {
            fuzz_ok(dp_buf_addc(out, (char)s[i]), "dp_buf_addc");
            i++;
            continue;
        }
        if (i + 1 >= len)
            fuzz_fail("TSV field ends with a lone backslash");
        i += 2;
        switch (s[i - 1]) {
        case 't': fuzz_ok(dp_buf_addc(out, '\t'), "dp_buf_addc"); break;
        case 'n': fuzz_ok(dp_buf_addc(out, '\n'), "dp_buf_addc"); break;
        case 'r': fuzz_ok(dp_buf_addc(out, '\r'), "dp_buf_addc"); break;
        case '\\': fuzz_ok(dp_buf_addc(out, '\\'), "dp_buf_addc"); break;
        case 'x':
            if (!hex_at(s, len, &i, 2, &v))
                fuzz_fail("TSV field: bad \\x escape");
            fuzz_ok(dp_buf_addc(out, (char)v), "dp_buf_addc");
            break;
        case 'u':
            if (!hex_at(s, len, &i, 4, &v))
                fuzz_fail("TSV field: bad \\u escape");
            put_cp(out, v);
            break;
        default: fuzz_fail("TSV field: unknown escape \\%c", s[i - 1]);
        }
    }
}

/* UTF-8 validity straight from the table of RFC 3629, section 4
 * (fuzz_utf8_seq()). */
static bool ref_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    int ok = 1;

    while (ok && i < len)
        i += fuzz_utf8_seq(s, len, i, &ok);
    return ok;
}

static bool same(const dp_buf *a, const void *p, size_t n)
{
    return a->len == n && (n == 0 || memcmp(a->data, p, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = data != NULL ? (const char *)data : "";
    dp_buf fixed = DP_BUF_INIT, again = DP_BUF_INIT, lit = DP_BUF_INIT;
    dp_buf dec = DP_BUF_INIT, esc = DP_BUF_INIT;
    size_t first_bad = SIZE_MAX, first2 = SIZE_MAX;
    int valid = dp_utf8_valid(src, size);
    int n, n2;

    if (valid != ref_valid((const uint8_t *)src, size))
        fuzz_fail("dp_utf8_valid says %d, RFC 3629 disagrees", valid);

    /* Repair. */
    n = dp_utf8_repair(src, size, &fixed, &first_bad);
    if (n < 0)
        fuzz_fail("dp_utf8_repair returned %d", n);
    if (!dp_utf8_valid(fixed.data ? fixed.data : "", fixed.len))
        fuzz_fail("repaired text is not valid UTF-8");
    if (valid != (n == 0))
        fuzz_fail("dp_utf8_valid says %d, dp_utf8_repair made %d fixes", valid,
                  n);
    if (n == 0 && !same(&fixed, src, size))
        fuzz_fail("repair changed valid text");
    if (n > 0 && (first_bad >= size || !dp_utf8_valid(src, first_bad) ||
                  dp_utf8_valid(src + first_bad, size - first_bad)))
        fuzz_fail("first bad offset %zu of %zu", first_bad, size);
    if (n > 0 && fixed.len < 3)
        fuzz_fail("repaired text too short for a U+FFFD");
    {
        uint8_t *ref = malloc(3 * size + 1);
        size_t rlen, rbad, rfirst;

        if (ref == NULL)
            fuzz_fail("out of memory");
        rlen = fuzz_ref_repair((const uint8_t *)src, size, 0, ref, &rbad,
                               &rfirst);
        if ((size_t)n != rbad || !same(&fixed, ref, rlen))
            fuzz_fail("dp_utf8_repair made %d fixes into %zu bytes, the "
                      "reference %zu into %zu", n, fixed.len, rbad, rlen);
        if (n > 0 && first_bad != rfirst)
            fuzz_fail("first bad offset %zu, the reference says %zu",
                      first_bad, rfirst);
        free(ref);
    }
    n2 = dp_utf8_repair(fixed.data ? fixed.data : "", fixed.len, &again,
                        &first2);
    if (n2 != 0 || !same(&again, fixed.data, fixed.len))
        fuzz_fail("repair is not idempotent (%d fixes the second time)", n2);

    /* JSON: a valid literal whose value is the repaired text. */
    fuzz_ok(dp_json_str(&lit, src, size), "dp_json_str");
    check_safe("dp_json_str", &lit);
    json_decode(&lit, &dec);
    if (!same(&dec, fixed.data, fixed.len))
        fuzz_fail("decoded JSON string differs from the repaired text");

    /* Terminal and TSV escapes. */
    fuzz_ok(dp_term_escape(&esc, src, size), "dp_term_escape");
    check_safe("dp_term_escape", &esc);
    if (valid && all_safe((const uint8_t *)src, size) &&
        !same(&esc, src, size))
        fuzz_fail("dp_term_escape changed a text that needs no escape");
    dp_buf_reset(&esc);
    fuzz_ok(dp_tsv_escape(&esc, src, size), "dp_tsv_escape");
    check_safe("dp_tsv_escape", &esc);
    dp_buf_reset(&dec);
    tsv_unescape(&esc, &dec);
    if (!same(&dec, src, size))
        fuzz_fail("unescaped TSV field differs from the input");

    dp_buf_release(&fixed);
    dp_buf_release(&again);
    dp_buf_release(&lit);
    dp_buf_release(&dec);
    dp_buf_release(&esc);
    return 0;
}
