/* fuzz_passage.c -- libFuzzer harness: dp_passage_split_as() on any bytes. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

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
 *   - spans neither begin nor end with white space;
 *   - nothing is lost: every byte outside the spans is white space (or a
 *     line end, or the U+200B/U+FEFF that passage.c treats as space), or,
 *     as Markdown, markup: '#' (ATX), '=', '-' (underlines), '*', '_'
 *     (thematic breaks);
 *   - a callback's non-zero return stops the split and is passed back.
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

static bool ascii_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
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
    if (ascii_space(st->text[p->start]) || ascii_space(st->text[p->end - 1]))
        fuzz_fail("unit [%zu, %zu) begins or ends with white space", p->start,
                  p->end);
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
    st->prev_end = p->end;
    st->prev_line_end = p->line_end;
    st->n++;
    return st->stop_after != 0 && st->n == st->stop_after ? STOP_RC : 0;
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
    rc = dp_passage_split_as((const char *)data, size, fmt, on_unit, &st,
                             &err);
    if (stop_after != 0 && st.n == stop_after) {
        if (rc != STOP_RC)
            fuzz_fail("callback stop: split returned %d, not %d", rc, STOP_RC);
    } else {
        if (rc != DP_OK)
            fuzz_fail("dp_passage_split returned %d (%s)", rc, err.msg);
        check_gap(&st, st.prev_end, size);
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
