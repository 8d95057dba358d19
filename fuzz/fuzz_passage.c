/* fuzz_passage.c -- libFuzzer harness: dp_passage_split_as() on any bytes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "depeche/corpus.h"
#include "depeche/passage.h"
#include "fuzz.h"

/*
 * Checked for every input, as passage.h promises them:
 *   - spans: start < end <= len, in text order, never overlapping;
 *   - ordinals: passages are numbered 1..N without gaps; a heading
 *     carries the ordinal of the passage after it and is its own section;
 *   - a passage's section is the latest heading before it (or none), and
 *     dp_passage_run() gives its run of headings in order, within
 *     [run_start, sec_end), the section heading last;
 *   - lines: 1-based, line <= line_end, each unit on later lines than the
 *     one before, and line/line_end are the lines of the first and last
 *     bytes of the span, with LF, CRLF and a lone CR as line ends;
 *   - spans neither begin nor end with white space (Unicode's, U+200B
 *     and U+FEFF included), and in a valid UTF-8 text they begin and end
 *     on character boundaries;
 *   - a heading is one line; in plain text it is at most
 *     DP_HEADING_MAX_CHARS code points and is no dialogue or list item
 *     (it does not start with a dash or a bullet);
 *   - a heading is followed by a passage: the last unit of a text is
 *     never a heading (a title with nothing after it is content);
 *   - nothing is lost: every byte outside the spans is white space (or a
 *     line end, or the U+200B/U+FEFF that passage.c treats as space), or,
 *     as Markdown, markup: '#' (ATX), '=', '-' (underlines), '*', '_'
 *     (thematic breaks);
 *   - a callback's non-zero return stops the split and is passed back;
 *   - the number a passage opens with (dp_passage_number()) is 0 or 1 to
 *     999999999, written in its first bytes.
 * Each input is split as plain text and as Markdown.
 */

#define STOP_RC 4242

typedef struct split_state {
    const uint8_t *text;
    size_t len;
    size_t n;          /* units seen */
    uint32_t passages; /* passages seen */
    size_t prev_end;
    uint32_t prev_line_end;
    size_t sec_start, sec_end;
    size_t line_at;    /* lines are counted up to this byte... */
    uint32_t line;     /* ...and this is the line of line_at */
    size_t stop_after; /* 0: never stop */
    bool markdown;     /* DP_TEXT_MARKDOWN: markup may be left out */
    bool valid;        /* the text is valid UTF-8 */
    dp_unit_kind last_kind; /* of the last unit seen */
} split_state;

/* Is the byte at @p i a line end (the LF of a CRLF, a lone LF or CR)? */
static bool ends_line(const uint8_t *s, size_t len, size_t i)
{
    return s[i] == '\n' || (s[i] == '\r' && !(i + 1 < len && s[i + 1] == '\n'));
}

/* The 1-based line of byte @p at (>= st->line_at), counted forward. */
static uint32_t line_of(split_state *st, size_t at)
{
    while (st->line_at < at) {
        if (ends_line(st->text, st->len, st->line_at))
            st->line++;
        st->line_at++;
    }
    return st->line;
}

/* White space as passage.c sees it. */
static bool blank_cp(UChar32 c)
{
    if (c < 0x80)
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\n' ||
               c == '\r';
    return c >= 0 && (u_isUWhiteSpace(c) || c == 0x200B || c == 0xFEFF);
}

/* Every character of [from, to) is white space. */
static void check_gap(const split_state *st, size_t from, size_t to)
{
    size_t i = from;

    while (i < to) {
        size_t at = i;
        UChar32 c;

        U8_NEXT(st->text, i, to, c);
        if (st->markdown && (c == '#' || c == '=' || c == '-' || c == '*' ||
                             c == '_'))
            continue;
        if (!blank_cp(c))
            fuzz_fail("byte %zu (0x%02x) is in no unit and not white space", at,
                      st->text[at]);
    }
}

/* The first code point of [at, end) (negative: ill-formed). */
static UChar32 first_cp(const uint8_t *s, size_t at, size_t end)
{
    UChar32 c;

    U8_NEXT(s, at, end, c);
    return c;
}

/* The last code point of [start, at) (negative: ill-formed). */
static UChar32 last_cp(const uint8_t *s, size_t start, size_t at)
{
    size_t from = at - start > 4 ? at - 4 : start;
    int32_t j = (int32_t)(at - from);
    UChar32 c;

    U8_PREV(s + from, 0, j, c);
    return c;
}

static bool cont_byte(const split_state *st, size_t at)
{
    return at < st->len && (st->text[at] & 0xc0) == 0x80;
}

/* Code points of [start, end), an ill-formed sequence counting as one. */
static size_t count_cps(const uint8_t *s, size_t start, size_t end)
{
    size_t n = 0, i = start;
    UChar32 c;

    while (i < end) {
        U8_NEXT(s, i, end, c);
        (void)c;
        n++;
    }
    return n;
}

/* A line of dialogue or a list item (passage.c: never a plain heading). */
static bool dash_start(const uint8_t *s, size_t at, size_t end)
{
    size_t n = end - at;

    return (n >= 2 && (s[at] == '-' || s[at] == '*' || s[at] == '+') &&
            (s[at + 1] == ' ' || s[at + 1] == '\t')) ||
           (n >= 2 && s[at] == '-' && s[at + 1] == '-') ||
           (n >= 4 && memcmp(s + at, "\xe2\x80\xa2", 3) == 0 &&
            (s[at + 3] == ' ' || s[at + 3] == '\t')) ||
           (n >= 3 && (memcmp(s + at, "\xe2\x80\x93", 3) == 0 ||
                       memcmp(s + at, "\xe2\x80\x94", 3) == 0));
}

/* The number a passage opens with (dp_passage_number()) is 0, or 1 to
 * 999999999 written in its first bytes, after a "§" and spaces at most. */
static void check_number(const split_state *st, const dp_passage *p)
{
    const char *t = (const char *)st->text + p->start;
    size_t len = p->end - p->start;
    uint32_t n = dp_passage_number(t, len);
    char digits[16];
    size_t k;

    if (n == 0)
        return;
    if (n > 999999999)
        fuzz_fail("passage [%zu, %zu) opens with number %u", p->start, p->end,
                  n);
    k = (size_t)snprintf(digits, sizeof digits, "%u", n);
    for (size_t i = 0; i + k <= len && i <= 8; i++)
        if (memcmp(t + i, digits, k) == 0)
            return;
    fuzz_fail("passage [%zu, %zu): number %u not among its first bytes",
              p->start, p->end, n);
}

static int on_unit(const dp_passage *p, void *ctx)
{
    split_state *st = ctx;

    if (!(p->start < p->end && p->end <= st->len))
        fuzz_fail("unit [%zu, %zu) in a text of %zu bytes", p->start, p->end,
                  st->len);
    if (p->start < st->prev_end)
        fuzz_fail("unit [%zu, %zu) starts before the end of the last (%zu)",
                  p->start, p->end, st->prev_end);
    if (blank_cp(first_cp(st->text, p->start, p->end)) ||
        blank_cp(last_cp(st->text, p->start, p->end)))
        fuzz_fail("unit [%zu, %zu) begins or ends with white space", p->start,
                  p->end);
    if (st->valid && (cont_byte(st, p->start) || cont_byte(st, p->end)))
        fuzz_fail("unit [%zu, %zu) cuts a character", p->start, p->end);
    if (p->kind == DP_UNIT_PASSAGE)
        check_number(st, p);
    check_gap(st, st->prev_end, p->start);
    if (p->line < 1 || p->line > p->line_end)
        fuzz_fail("unit lines %u-%u", p->line, p->line_end);
    if (st->n > 0 && p->line <= st->prev_line_end)
        fuzz_fail("unit at line %u after a unit ending at line %u", p->line,
                  st->prev_line_end);
    if (line_of(st, p->start) != p->line)
        fuzz_fail("unit at byte %zu says line %u, it is line %u", p->start,
                  p->line, st->line);
    if (line_of(st, p->end - 1) != p->line_end)
        fuzz_fail("unit ending at byte %zu says line %u, it is line %u", p->end,
                  p->line_end, st->line);
    if (p->kind == DP_UNIT_PASSAGE) {
        if (p->ordinal != st->passages + 1)
            fuzz_fail("passage ordinal %u after %u passages", p->ordinal,
                      st->passages);
        st->passages++;
    } else if (p->kind == DP_UNIT_HEADING) {
        if (p->ordinal != st->passages + 1)
            fuzz_fail("heading ordinal %u after %u passages", p->ordinal,
                      st->passages);
        if (p->sec_start != p->start || p->sec_end != p->end)
            fuzz_fail("heading [%zu, %zu) has section [%zu, %zu)", p->start,
                      p->end, p->sec_start, p->sec_end);
        if (p->line != p->line_end)
            fuzz_fail("heading [%zu, %zu) on lines %u-%u", p->start, p->end,
                      p->line, p->line_end);
        if (!st->markdown &&
            count_cps(st->text, p->start, p->end) > DP_HEADING_MAX_CHARS)
            fuzz_fail("heading [%zu, %zu) of %zu code points", p->start,
                      p->end, count_cps(st->text, p->start, p->end));
        if (!st->markdown && dash_start(st->text, p->start, p->end))
            fuzz_fail("heading [%zu, %zu) starts with a dash or a bullet",
                      p->start, p->end);
        st->sec_start = p->start;
        st->sec_end = p->end;
    } else {
        fuzz_fail("unit kind %d", (int)p->kind);
    }
    if (p->sec_start != st->sec_start || p->sec_end != st->sec_end)
        fuzz_fail("section [%zu, %zu), the last heading is [%zu, %zu)",
                  p->sec_start, p->sec_end, st->sec_start, st->sec_end);
    if (p->sec_end > p->sec_start) {
        /* the section's run: headings in text order, within [run_start,
         * sec_end), none empty, the section heading last */
        size_t rs[8], re[8], nr;

        if (p->run_start > p->sec_start)
            fuzz_fail("run starts at %zu, after its section at %zu",
                      p->run_start, p->sec_start);
        nr = dp_passage_run((const char *)st->text, p,
                            st->markdown ? DP_TEXT_MARKDOWN : DP_TEXT_PLAIN,
                            rs, re, 8);
        if (nr == 0 || rs[nr - 1] != p->sec_start || re[nr - 1] != p->sec_end)
            fuzz_fail("run of %zu headings does not end with the section",
                      nr);
        for (size_t k = 0; k < nr; k++) {
            if (rs[k] < p->run_start || rs[k] >= re[k] || re[k] > p->sec_end ||
                (k > 0 && rs[k] < re[k - 1]))
                fuzz_fail("run heading %zu [%zu, %zu) out of [%zu, %zu)", k,
                          rs[k], re[k], p->run_start, p->sec_end);
        }
    }
    st->last_kind = p->kind;
    st->prev_end = p->end;
    st->prev_line_end = p->line_end;
    st->n++;
    return st->stop_after != 0 && st->n == st->stop_after ? STOP_RC : 0;
}

/* A front-matter value as text, in a buffer of exactly the room that
 * dp_passage_meta_value() may use (AddressSanitizer sees a byte more). */
static void check_meta_value(const uint8_t *s, size_t start, size_t end)
{
    char *out;
    size_t n;

    if (start > end)
        fuzz_fail("front-matter value [%zu, %zu)", start, end);
    out = malloc(end - start + 1);
    if (out == NULL)
        abort();
    n = dp_passage_meta_value((const char *)s, start, end, out);
    if (n > end - start || out[n] != '\0')
        fuzz_fail("front-matter value of %zu bytes from %zu", n, end - start);
    free(out);
}

/* Markdown's YAML front matter, if any: it opens with "---" and ends
 * after a line "---" or "...", on a line end or at the end of the text,
 * and its line count is the lines of those bytes.  @return where the
 * units may start. */
static size_t check_front_matter(const uint8_t *s, size_t size)
{
    dp_front_matter fm;
    size_t i, bom = size >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    uint32_t lines = 1;

    if (!dp_passage_front_matter((const char *)s, size, DP_TEXT_MARKDOWN,
                                 &fm))
        return 0;
    if (fm.end > size || fm.end < bom + 8 || memcmp(s + bom, "---", 3) != 0)
        fuzz_fail("front matter ends at %zu", fm.end);
    for (i = 0; i < fm.end; i++)
        if (ends_line(s, size, i) && i + 1 < fm.end)
            lines++;
    if (lines != fm.lines)
        fuzz_fail("front matter of %u lines, counted %u", (unsigned)fm.lines,
                  (unsigned)lines);
    if (fm.title_end > fm.end || fm.date_end > fm.end)
        fuzz_fail("front-matter value past its end");
    check_meta_value(s, fm.title_start, fm.title_end);
    check_meta_value(s, fm.date_start, fm.date_end);
    return fm.end;
}

static size_t split(const uint8_t *data, size_t size, dp_text_format fmt,
                    size_t stop_after)
{
    split_state st;
    dp_error err = DP_ERROR_INIT;
    int rc;

    memset(&st, 0, sizeof st);
    st.text = data;
    st.len = size;
    st.line = 1;
    st.stop_after = stop_after;
    st.markdown = fmt == DP_TEXT_MARKDOWN;
    st.valid = dp_utf8_valid((const char *)data, size);
    if (st.markdown)
        st.prev_end = check_front_matter(data, size);
    rc = dp_passage_split_as((const char *)data, size, fmt, on_unit, &st,
                             &err);
    if (stop_after != 0 && st.n == stop_after) {
        if (rc != STOP_RC)
            fuzz_fail("callback stop: split returned %d, not %d", rc, STOP_RC);
    } else {
        if (rc != DP_OK)
            fuzz_fail("dp_passage_split returned %d (%s)", rc, err.msg);
        check_gap(&st, st.prev_end, size);
        if (st.n > 0 && st.last_kind != DP_UNIT_PASSAGE)
            fuzz_fail("the text ends with a heading");
    }
    return st.n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const dp_text_format fmts[] = { DP_TEXT_PLAIN,
                                           DP_TEXT_MARKDOWN };
    size_t i, n;

    for (i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        n = split(data, size, fmts[i], 0);
        if (n > 1)
            split(data, size, fmts[i], n / 2 + 1);
    }
    return 0;
}
