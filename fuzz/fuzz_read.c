/* fuzz_read.c -- libFuzzer harness: dp_corpus_read_map() of any file. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
 *     the file.
 */

typedef struct warn_state {
    size_t count;
    size_t max_line;
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
    warn_state ws = {0, 0};
    bool plain;
    int rc;

    /* Lines of the input, or of the decoded text (which is at most three
     * bytes per input byte and starts no line of its own): bounded by
     * one per byte, plus one. */
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
    }
    dp_offmap_release(&map);
    dp_buf_release(&text);
    return 0;
}
