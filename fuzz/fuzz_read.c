/* fuzz_read.c -- libFuzzer harness: dp_corpus_read_map() of any file. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <unicode/ucnv.h>
#include <unicode/ustring.h>

#include "depeche/buf.h"
#include "depeche/corpus.h"
#include "fuzz.h"

/*
 * The input is the content of a file (an in-memory one, memfd_create()).
 * Checked for every input, as corpus.h promises them:
 *   - the result is DP_OK or DP_ESKIP (binary or empty; an empty file is
 *     always skipped), never an error, and err.code agrees;
 *   - on DP_OK the text is non-empty valid UTF-8 with no NUL byte (NULs
 *     become U+FFFD) and has its terminating NUL;
 *   - a valid UTF-8 file without NUL bytes that is read is the file
 *     itself, byte for byte (offsets and lines of citations rely on it);
 *   - the offset map: empty for a skipped file and for a file that is
 *     read as it is; otherwise its segments are in increasing order, and
 *     when it is not empty it takes the text's end to the file's end and
 *     each byte of the text that is not part of a U+FFFD to the same byte
 *     of the file;
 *   - on DP_ESKIP the text is empty;
 *   - warnings name the display name, carry a message and a line within
 *     the file;
 *   - the text is the file decoded as the warnings say, checked against
 *     a reference decoding made here in one piece (the library streams
 *     through fixed buffers): "transcoded from" a UTF-16 (BOM dropped) or
 *     "not UTF-8: read as" an 8-bit charset, by ICU's converter of that
 *     name at once; otherwise UTF-8 with each maximal ill-formed
 *     subsequence replaced (the RFC 3629 table and Unicode's maximal
 *     subparts, fuzz.h); NUL bytes become U+FFFD in every case;
 *   - "transcoded from X, invalid UTF-16 replaced by U+FFFD (N times)"
 *     has a line, and N is at most the U+FFFD of the reference decoding;
 *   - "invalid UTF-8 at byte B" names the first ill-formed subsequence,
 *     and its line and that of "read as" are the line of that byte; a
 *     file that is read as UTF-8 with replacements says so.
 */

typedef struct warn_state {
    size_t count;
    size_t max_line;
    char from[64];       /* "transcoded from X" / "read as X": X */
    bool transcoded;     /* UTF-16 */
    size_t utf16_bad;    /* "…, invalid UTF-16 replaced by U+FFFD (N times)" */
    bool eight_bit;      /* "not UTF-8: read as X" */
    size_t eight_bit_line;
    bool invalid;        /* "invalid UTF-8 at byte B" */
    size_t invalid_at, invalid_line;
} warn_state;

#define DISPLAY "fuzz.txt"

static int memfd = -1;
static char path[64];

static void on_warn(const char *file, size_t line, const char *msg, void *ctx)
{
    warn_state *ws = ctx;

    if (file == NULL || strcmp(file, DISPLAY) != 0)
        fuzz_fail("warning names \"%s\", not " DISPLAY, file ? file : "NULL");
    if (msg == NULL || msg[0] == '\0')
        fuzz_fail("warning without a message");
    if (line > ws->max_line)
        fuzz_fail("warning at line %zu of a file of at most %zu lines", line,
                  ws->max_line);
    ws->count++;
    if (strncmp(msg, "transcoded from ", 16) == 0) {
        static const char inv[] = ", invalid UTF-16 replaced by U+FFFD (";
        char *p;
        ws->transcoded = true;
        snprintf(ws->from, sizeof ws->from, "%s", msg + 16);
        p = strstr(ws->from, inv);
        if (p != NULL) {
            ws->utf16_bad = strtoul(p + sizeof inv - 1, NULL, 10);
            if (ws->utf16_bad == 0 || line == 0)
                fuzz_fail("\"%s\": no count or no line", msg);
            *p = '\0';
        }
    } else if (strncmp(msg, "not UTF-8: read as ", 19) == 0) {
        ws->eight_bit = true;
        ws->eight_bit_line = line;
        snprintf(ws->from, sizeof ws->from, "%s", msg + 19);
    } else if (sscanf(msg, "invalid UTF-8 at byte %zu", &ws->invalid_at) ==
               1) {
        ws->invalid = true;
        ws->invalid_line = line;
    }
}

/* @p n bytes of @p src decoded by ICU's converter @p name in one call,
 * then into UTF-8, NULs as U+FFFD, into @p out. */
static void ref_transcode(const char *name, const uint8_t *src, size_t n,
                          dp_buf *out)
{
    UErrorCode st = U_ZERO_ERROR;
    UConverter *cv = ucnv_open(name, &st);
    UChar *u16 = NULL;
    int32_t ulen, olen = 0;
    size_t i;

    if (U_FAILURE(st))
        fuzz_fail("no converter %s", name);
    u16 = malloc((2 * n + 1) * sizeof *u16);
    if (u16 == NULL)
        fuzz_fail("out of memory");
    ulen = ucnv_toUChars(cv, u16, (int32_t)(2 * n + 1), (const char *)src,
                         (int32_t)n, &st);
    if (U_FAILURE(st))
        fuzz_fail("ucnv_toUChars(%s): %s", name, u_errorName(st));
    dp_buf_reset(out);
    fuzz_ok(dp_buf_grow(out, 3 * (size_t)ulen + 1), "dp_buf_grow");
    u_strToUTF8(out->data, (int32_t)out->cap, &olen, u16, ulen, &st);
    if (U_FAILURE(st))
        fuzz_fail("u_strToUTF8: %s", u_errorName(st));
    out->len = 0;
    for (i = 0; i < (size_t)olen; i++) {
        /* U+0000 from the file becomes U+FFFD (in place: it grows) */
        if (out->data[i] == 0)
            break;
    }
    if (i < (size_t)olen) {
        dp_buf tmp = DP_BUF_INIT;
        for (i = 0; i < (size_t)olen; i++) {
            if (out->data[i] == 0)
                fuzz_ok(dp_buf_add(&tmp, "\xEF\xBF\xBD", 3), "dp_buf_add");
            else
                fuzz_ok(dp_buf_addc(&tmp, out->data[i]), "dp_buf_addc");
        }
        dp_buf_reset(out);
        fuzz_ok(dp_buf_add(out, tmp.data, tmp.len), "dp_buf_add");
        dp_buf_release(&tmp);
    } else {
        out->len = (size_t)olen;
    }
    free(u16);
    ucnv_close(cv);
}

/* The text is the file decoded as the warnings say. */
static void check_decoding(const warn_state *ws, const dp_buf *text,
                           const uint8_t *data, size_t size)
{
    dp_buf ref = DP_BUF_INIT;
    size_t bad = 0, first_bad = SIZE_MAX, skip = 0;
    char name[64];

    if (ws->transcoded) {
        /* "UTF-16LE" or "UTF-16LE (no BOM)" */
        snprintf(name, sizeof name, "%s", ws->from);
        if (strchr(name, ' ') != NULL)
            *strchr(name, ' ') = '\0';
        else
            skip = 2;
        if (strcmp(name, "UTF-16LE") != 0 && strcmp(name, "UTF-16BE") != 0)
            fuzz_fail("transcoded from \"%s\"", ws->from);
        ref_transcode(name, data + skip, size - skip, &ref);
        /* each invalid unit said is a U+FFFD of the reference decoding
         * (which has more: the file's own U+FFFD, its NULs) */
        for (size_t i = 0, n = 0; ws->utf16_bad > 0; i++) {
            if (i + 3 > ref.len)
                fuzz_fail("%zu invalid UTF-16 said, %zu U+FFFD decoded",
                          ws->utf16_bad, n);
            if (memcmp(ref.data + i, "\xEF\xBF\xBD", 3) == 0 &&
                ++n == ws->utf16_bad)
                break;
        }
    } else if (ws->eight_bit) {
        uint8_t *tmp = malloc(3 * size + 1);

        if (tmp == NULL)
            fuzz_fail("out of memory");
        fuzz_ref_repair(data, size, 0, tmp, &bad, &first_bad);
        free(tmp);
        if (bad == 0)
            fuzz_fail("valid UTF-8 read as %s", ws->from);
        if (ws->eight_bit_line != fuzz_line_of(data, size, first_bad))
            fuzz_fail("read as %s: warning at line %zu, the first bad byte "
                      "(%zu) is on line %zu", ws->from, ws->eight_bit_line,
                      first_bad, fuzz_line_of(data, size, first_bad));
        ref_transcode(ws->from, data, size, &ref);
    } else {
        fuzz_ok(dp_buf_grow(&ref, 3 * size + 1), "dp_buf_grow");
        ref.len = fuzz_ref_repair(data, size, 1, (uint8_t *)ref.data, &bad,
                                  &first_bad);
        if (bad > 0 && !ws->invalid)
            fuzz_fail("%zu ill-formed sequences replaced without a warning",
                      bad);
        if (ws->invalid && (bad == 0 || ws->invalid_at != first_bad))
            fuzz_fail("warning names byte %zu, the first bad one is %zu",
                      ws->invalid_at, first_bad);
        if (ws->invalid &&
            ws->invalid_line != fuzz_line_of(data, size, first_bad))
            fuzz_fail("invalid UTF-8 warned at line %zu, byte %zu is on line "
                      "%zu", ws->invalid_line, first_bad,
                      fuzz_line_of(data, size, first_bad));
    }
    if (ref.len != text->len ||
        (ref.len > 0 && memcmp(ref.data, text->data, ref.len) != 0)) {
        size_t i = 0;

        while (i < ref.len && i < text->len && ref.data[i] == text->data[i])
            i++;
        fuzz_fail("text of %zu bytes differs from the reference decoding "
                  "(%s, %zu bytes) at byte %zu",
                  text->len, ws->transcoded || ws->eight_bit ? ws->from
                                                             : "UTF-8",
                  ref.len, i);
    }
    dp_buf_release(&ref);
}

/* Make the memfd hold exactly @p data. */
static void set_file(const uint8_t *data, size_t size)
{
    size_t done = 0;

    if (memfd < 0) {
        memfd = memfd_create("fuzz_read", MFD_CLOEXEC);
        if (memfd < 0)
            fuzz_fail("memfd_create failed");
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    }
    if (ftruncate(memfd, 0) != 0)
        fuzz_fail("ftruncate failed");
    while (done < size) {
        ssize_t n = pwrite(memfd, data + done, size - done, (off_t)done);
        if (n <= 0)
            fuzz_fail("pwrite failed");
        done += (size_t)n;
    }
}

/* The map of a text read from @p data (see above). */
static void check_map(const dp_offmap *map, const dp_buf *text,
                      const uint8_t *data, size_t size)
{
    const uint8_t *t = (const uint8_t *)text->data;
    size_t i, x, k, f;

    for (i = 0; i < map->n; i++) {
        if (map->segs[i].file > size || map->segs[i].text > text->len ||
            map->segs[i].file > map->segs[i].text)
            fuzz_fail("segment %zu (%zu, %zu) out of range", i,
                      map->segs[i].text, map->segs[i].file);
        if (i > 0 && (map->segs[i].text <= map->segs[i - 1].text ||
                      map->segs[i].file <= map->segs[i - 1].file))
            fuzz_fail("segment %zu out of order", i);
    }
    if (map->n == 0)
        return;
    if (dp_offmap_lookup(map, text->len) != size)
        fuzz_fail("the text's end maps to %zu, not %zu",
                  dp_offmap_lookup(map, text->len), size);
    for (x = 0; x < text->len; x += k) {
        k = t[x] < 0x80 ? 1 : t[x] < 0xE0 ? 2 : t[x] < 0xF0 ? 3 : 4;
        if (k == 3 && memcmp(t + x, "\xEF\xBF\xBD", 3) == 0)
            continue;
        f = dp_offmap_lookup(map, x);
        if (f + k > size || memcmp(t + x, data + f, k) != 0 ||
            dp_offmap_lookup(map, x + k) != f + k)
            fuzz_fail("text byte %zu maps to file byte %zu: not the same", x,
                      f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_buf text = DP_BUF_INIT;
    dp_offmap map = DP_OFFMAP_INIT;
    dp_error err = DP_ERROR_INIT;
    warn_state ws;
    bool plain;
    int rc;

    /* Lines of the input, or of the decoded text (which is at most three
     * bytes per input byte and starts no line of its own): bounded by
     * one per byte, plus one. */
    memset(&ws, 0, sizeof ws);
    ws.max_line = size + 1;
    set_file(data, size);
    rc = dp_corpus_read_map(path, DISPLAY, &text, &map, on_warn, &ws, &err);
    if (rc != DP_OK && rc != DP_ESKIP)
        fuzz_fail("dp_corpus_read returned %d (%s)", rc, err.msg);
    if (rc != DP_OK && err.code != rc)
        fuzz_fail("err.code %d, returned %d", err.code, rc);
    if (size == 0 && rc != DP_ESKIP)
        fuzz_fail("an empty file was not skipped");
    if (rc == DP_ESKIP && text.len != 0)
        fuzz_fail("a skipped file left %zu bytes of text", text.len);
    if (rc == DP_ESKIP && map.n != 0)
        fuzz_fail("a skipped file left a map");
    if (rc == DP_ESKIP && ws.count == 0)
        fuzz_fail("a file was skipped without a warning");
    if (rc == DP_OK) {
        if (text.len == 0 || text.data == NULL || text.data[text.len] != 0)
            fuzz_fail("read gave %zu bytes", text.len);
        if (!dp_utf8_valid(text.data, text.len))
            fuzz_fail("read gave invalid UTF-8");
        if (memchr(text.data, 0, text.len) != NULL)
            fuzz_fail("read gave a NUL byte");
        plain = dp_utf8_valid((const char *)data, size) &&
                memchr(data, 0, size) == NULL;
        if (plain && (text.len != size || memcmp(text.data, data, size) != 0))
            fuzz_fail("a valid UTF-8 file was not read as it is");
        if (plain && ws.count != 0)
            fuzz_fail("a valid UTF-8 file gave a warning");
        if (plain && map.n != 0)
            fuzz_fail("a valid UTF-8 file has an offset map");
        check_map(&map, &text, data, size);
        check_decoding(&ws, &text, data, size);
    }
    dp_offmap_release(&map);
    dp_buf_release(&text);
    return 0;
}
