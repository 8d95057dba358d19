/* test_output.c -- escaping and the five output formats. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unicode/utf8.h>

#include "depeche/output.h"

#define LIT(s) (s), (sizeof(s) - 1)

/* ---- A tiny JSON string reader, to check what dp_json_str writes. ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int read_u4(const char *p, uint32_t *v)
{
    int i, h;

    *v = 0;
    for (i = 0; i < 4; i++) {
        h = hexval((unsigned char)p[i]);
        if (h < 0)
            return -1;
        *v = (*v << 4) | (uint32_t)h;
    }
    return 0;
}

static void put_utf8(dp_buf *b, uint32_t cp)
{
    uint8_t u[U8_MAX_LENGTH];
    size_t n = 0;

    U8_APPEND_UNSAFE(u, n, (UChar32)cp);
    assert_int_equal(dp_buf_add(b, (const char *)u, n), DP_OK);
}

/* @return true if @p p starts with a raw bidi control or U+2028/U+2029. */
static bool raw_bidi(const unsigned char *p, size_t n)
{
    if (n >= 2 && p[0] == 0xD8 && p[1] == 0x9C)
        return true; /* U+061C */
    if (n < 3 || p[0] != 0xE2)
        return false;
    if (p[1] == 0x80)
        return p[2] == 0x8E || p[2] == 0x8F || (p[2] >= 0xA8 && p[2] <= 0xAE);
    return p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9;
}

/*
 * Decode the JSON string literal @p s (@p len bytes, quotes included) per
 * RFC 8259 into @p out.  Also checks what we promise beyond the RFC: the
 * literal is printable ASCII except for raw UTF-8 text, never a raw
 * control, DEL or C1 byte.  @return 0 when valid, -1 otherwise.
 */
static int json_decode(const char *s, size_t len, dp_buf *out)
{
    size_t i = 1;
    uint32_t cp, lo;

    if (len < 2 || s[0] != '"' || s[len - 1] != '"')
        return -1;
    while (i < len - 1) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7F || c == '"')
            return -1;
        if (c == 0xC2 && (unsigned char)s[i + 1] < 0xA0)
            return -1; /* raw C1 control */
        if (raw_bidi((const unsigned char *)s + i, len - 1 - i))
            return -1;
        if (c != '\\') {
            assert_int_equal(dp_buf_addc(out, (char)c), DP_OK);
            i++;
            continue;
        }
        if (i + 1 >= len - 1)
            return -1;
        c = (unsigned char)s[i + 1];
        i += 2;
        switch (c) {
        case '"': case '\\': case '/':
            assert_int_equal(dp_buf_addc(out, (char)c), DP_OK);
            continue;
        case 'b': assert_int_equal(dp_buf_addc(out, '\b'), DP_OK); continue;
        case 'f': assert_int_equal(dp_buf_addc(out, '\f'), DP_OK); continue;
        case 'n': assert_int_equal(dp_buf_addc(out, '\n'), DP_OK); continue;
        case 'r': assert_int_equal(dp_buf_addc(out, '\r'), DP_OK); continue;
        case 't': assert_int_equal(dp_buf_addc(out, '\t'), DP_OK); continue;
        case 'u': break;
        default: return -1;
        }
        if (i + 4 > len - 1 || read_u4(s + i, &cp) < 0)
            return -1;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (i + 6 > len - 1 || s[i] != '\\' || s[i + 1] != 'u' ||
                read_u4(s + i + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                return -1;
            i += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return -1;
        }
        put_utf8(out, cp);
    }
    return 0;
}

/* ---- Escaping tables. ---- */

static const struct {
    const char *in;
    size_t len;
    const char *json;    /* dp_json_str output */
    const char *decoded; /* what a JSON reader gets back */
} json_cases[] = {
    { LIT("abc"), "\"abc\"", "abc" },
    { LIT(""), "\"\"", "" },
    { LIT("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"", "a\"b\\c/d" },
    { LIT("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t" },
    { LIT("\x01\x1b[2J\x1f"), "\"\\u0001\\u001b[2J\\u001f\"",
      "\x01\x1b[2J\x1f" },
    { LIT("a\0b"), "\"a\\u0000b\"", NULL }, /* decoded checked by length */
    { LIT("\x7f"), "\"\\u007f\"", "\x7f" },
    { LIT("\xc2\x85\xc2\x9b"), "\"\\u0085\\u009b\"", "\xc2\x85\xc2\x9b" },
    { LIT("\xc2\xa0"), "\"\xc2\xa0\"", "\xc2\xa0" }, /* NBSP is text */
    { LIT("x\xe2\x80\xaey"), "\"x\\u202ey\"", "x\xe2\x80\xaey" },
    { LIT("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9"),
      "\"\\u202a\\u2066\\u2069\"", "\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9" },
    { LIT("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"), "\"\\u200e\\u200f\\u061c\"",
      "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c" },
    { LIT("\xe2\x80\xa8\xe2\x80\xa9"), "\"\\u2028\\u2029\"",
      "\xe2\x80\xa8\xe2\x80\xa9" },
    { LIT("l’Azerbaïdjan"), "\"l’Azerbaïdjan\"", "l’Azerbaïdjan" },
    { LIT("😀 Œuvre"), "\"😀 Œuvre\"", "😀 Œuvre" },
    /* Ill-formed UTF-8: one U+FFFD per maximal subpart. */
    { LIT("\xff"), "\"\\ufffd\"", "\xef\xbf\xbd" },
    { LIT("\xe2\x82" "A"), "\"\\ufffdA\"", "\xef\xbf\xbd" "A" },
    { LIT("A\xe2\x82"), "\"A\\ufffd\"", "A\xef\xbf\xbd" },
    { LIT("\xc0\xaf"), "\"\\ufffd\\ufffd\"", "\xef\xbf\xbd\xef\xbf\xbd" },
    { LIT("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"",
      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
    { LIT("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
    { LIT("\xf0\x9f\x98"), "\"\\ufffd\"", "\xef\xbf\xbd" },
};

static void test_output_json_str(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof json_cases / sizeof *json_cases; i++) {
        dp_buf b = DP_BUF_INIT, d = DP_BUF_INIT;

        assert_int_equal(dp_json_str(&b, json_cases[i].in, json_cases[i].len),
                         DP_OK);
        assert_string_equal(dp_buf_cstr(&b), json_cases[i].json);
        /* Round trip through an RFC 8259 reader. */
        assert_int_equal(json_decode(b.data, b.len, &d), 0);
        if (json_cases[i].decoded != NULL) {
            assert_string_equal(dp_buf_cstr(&d), json_cases[i].decoded);
        } else {
            assert_int_equal(d.len, json_cases[i].len);
            assert_memory_equal(d.data, json_cases[i].in, d.len);
        }
        dp_buf_release(&b);
        dp_buf_release(&d);
    }
}

/* Every single byte, and every code point of the ranges that matter,
 * comes back intact (valid text) or as U+FFFD (ill-formed bytes). */
static void test_output_json_round_trip(void **state)
{
    static const struct {
        uint32_t from, to;
    } ranges[] = {
        { 0x0, 0x900 },        { 0x2000, 0x2100 }, { 0xD7F0, 0xD7FF },
        { 0xE000, 0xE010 },    { 0xFEF0, 0xFFFF }, { 0x10000, 0x10100 },
        { 0x10FFF0, 0x10FFFF },
    };
    dp_buf in = DP_BUF_INIT, b = DP_BUF_INIT, d = DP_BUF_INIT;
    size_t r;
    uint32_t cp;
    unsigned c;

    (void)state;
    for (r = 0; r < sizeof ranges / sizeof *ranges; r++) {
        for (cp = ranges[r].from; cp <= ranges[r].to; cp++) {
            dp_buf_reset(&in);
            dp_buf_reset(&b);
            dp_buf_reset(&d);
            put_utf8(&in, cp);
            assert_int_equal(dp_json_str(&b, in.data, in.len), DP_OK);
            assert_int_equal(json_decode(b.data, b.len, &d), 0);
            assert_int_equal(d.len, in.len);
            assert_memory_equal(d.data, in.data, in.len);
        }
    }
    for (c = 0x80; c <= 0xFF; c++) {
        char byte = (char)c;

        dp_buf_reset(&b);
        dp_buf_reset(&d);
        assert_int_equal(dp_json_str(&b, &byte, 1), DP_OK);
        assert_int_equal(json_decode(b.data, b.len, &d), 0);
        assert_string_equal(dp_buf_cstr(&d), "\xef\xbf\xbd");
    }
    dp_buf_release(&in);
    dp_buf_release(&b);
    dp_buf_release(&d);
}

static const struct {
    const char *in;
    size_t len;
    const char *term; /* dp_term_escape */
    const char *tsv;  /* dp_tsv_escape */
} esc_cases[] = {
    { LIT("plain text"), "plain text", "plain text" },
    { LIT("l’Azerbaïdjan « Œ »"), "l’Azerbaïdjan « Œ »",
      "l’Azerbaïdjan « Œ »" },
    { LIT("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m",
      "\\x1b[31mred\\x1b[0m" },
    { LIT("a\tb\nc\rd"), "a\\tb\\nc\\rd", "a\\tb\\nc\\rd" },
    { LIT("back\\slash"), "back\\slash", "back\\\\slash" },
    { LIT("nul\0x\x07\x7f"), "nul\\x00x\\x07\\x7f", "nul\\x00x\\x07\\x7f" },
    { LIT("c1\xc2\x9b" "2J\xc2\x85"), "c1\\u009b2J\\u0085",
      "c1\\u009b2J\\u0085" },
    { LIT("abc\xe2\x80\xae" "def"), "abc\\u202edef", "abc\\u202edef" },
    { LIT("\xe2\x81\xa7\xe2\x80\x8f\xd8\x9c"), "\\u2067\\u200f\\u061c",
      "\\u2067\\u200f\\u061c" },
    /* U+2028 and U+2029 end lines for Python's splitlines() and
     * JavaScript: written as escapes, as JSON writes them. */
    { LIT("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c"), "a\\u2028b\\u2029c",
      "a\\u2028b\\u2029c" },
    { LIT("bad\xff\xfe"), "bad\\xff\\xfe", "bad\\xff\\xfe" },
    { LIT("\xe2\x82" "A"), "\\xe2\\x82A", "\\xe2\\x82A" },
    { LIT("\xc0\xaf"), "\\xc0\\xaf", "\\xc0\\xaf" },
    { LIT("\xed\xa0\x80"), "\\xed\\xa0\\x80", "\\xed\\xa0\\x80" },
    { LIT("\xc2\xa0nbsp\xe2\x80\xaf"), "\xc2\xa0nbsp\xe2\x80\xaf",
      "\xc2\xa0nbsp\xe2\x80\xaf" },
};

static void test_output_term_and_tsv_escape(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof esc_cases / sizeof *esc_cases; i++) {
        dp_buf t = DP_BUF_INIT, v = DP_BUF_INIT;

        assert_int_equal(dp_term_escape(&t, esc_cases[i].in, esc_cases[i].len),
                         DP_OK);
        assert_string_equal(dp_buf_cstr(&t), esc_cases[i].term);
        assert_int_equal(dp_tsv_escape(&v, esc_cases[i].in, esc_cases[i].len),
                         DP_OK);
        assert_string_equal(dp_buf_cstr(&v), esc_cases[i].tsv);
        dp_buf_release(&t);
        dp_buf_release(&v);
    }
}

/* ---- A fixed hit and its output in every format. ---- */

#define SNIP "… relations entre l’Azerbaïdjan et le Pakistan …"

static dp_span fixture_hl[] = { { 4, 13 }, { 24, 36 } };

static void fixture(dp_hit *hit, dp_snippet *sn)
{
    static const char id[] = "corpus/000_4c187126246bc5f9.txt#4";
    static const char file[] = "corpus/000_4c187126246bc5f9.txt";
    static const char section[] = "Réunions officielles";
    static const char title[] = "Relations entre l'Azerbaïdjan et le Pakistan";
    static const char text[] = "Les relations entre l’Azerbaïdjan et le "
                               "Pakistan\nsont bonnes.";

    memset(sn, 0, sizeof *sn);
    dp_buf_init(&sn->text, 0);
    assert_int_equal(dp_buf_adds(&sn->text, SNIP), DP_OK);
    sn->hl = fixture_hl;
    sn->nhl = 2;
    memset(hit, 0, sizeof *hit);
    hit->qid = NULL;
    hit->rank = 1;
    hit->score = 7.314159;
    hit->id = id;
    hit->id_len = sizeof id - 1;
    hit->file = file;
    hit->file_len = sizeof file - 1;
    hit->passage = 4;
    hit->line = 5;
    hit->match_line = 6;
    hit->match_col = 12;
    hit->byte_start = 512;
    hit->byte_end = 1024;
    hit->section = section;
    hit->section_len = sizeof section - 1;
    hit->title = title;
    hit->title_len = sizeof title - 1;
    hit->date = "";
    hit->source = "";
    hit->text = text;
    hit->text_len = sizeof text - 1;
    hit->snippet = sn;
}

static const struct {
    const char *what;
    dp_output_opts opts;
    const char *qid;
    const char *expect;
} format_cases[] = {
    { "text, markdown", { DP_FORMAT_TEXT, DP_HL_MARKDOWN, false, false }, NULL,
      "1. Relations entre l'Azerbaïdjan et le Pakistan — §4 · Réunions "
      "officielles\n"
      "   corpus/000_4c187126246bc5f9.txt:5  (score 7.31)\n"
      "   … **relations** entre l’**Azerbaïdjan** et le Pakistan …\n"
      "\n" },
    { "text, ansi, colour", { DP_FORMAT_TEXT, DP_HL_ANSI, false, true }, NULL,
      "1. Relations entre l'Azerbaïdjan et le Pakistan — \033[36m§4\033[0m · "
      "Réunions officielles\n"
      "   \033[35mcorpus/000_4c187126246bc5f9.txt:5\033[0m  (score 7.31)\n"
      "   … \033[1mrelations\033[0m entre l’\033[1mAzerbaïdjan\033[0m et le "
      "Pakistan …\n"
      "\n" },
    { "text, none", { DP_FORMAT_TEXT, DP_HL_NONE, false, false }, NULL,
      "1. Relations entre l'Azerbaïdjan et le Pakistan — §4 · Réunions "
      "officielles\n"
      "   corpus/000_4c187126246bc5f9.txt:5  (score 7.31)\n"
      "   " SNIP "\n"
      "\n" },
    { "grep, markdown", { DP_FORMAT_GREP, DP_HL_MARKDOWN, false, false }, NULL,
      "corpus/000_4c187126246bc5f9.txt:6:12: … **relations** entre "
      "l’**Azerbaïdjan** et le Pakistan …\n" },
    { "grep, none", { DP_FORMAT_GREP, DP_HL_NONE, false, false }, NULL,
      "corpus/000_4c187126246bc5f9.txt:6:12: " SNIP "\n" },
    { "jsonl", { DP_FORMAT_JSONL, DP_HL_ANSI, false, false }, NULL,
      "{\"rank\":1,\"score\":7.314159,"
      "\"id\":\"corpus/000_4c187126246bc5f9.txt#4\","
      "\"file\":\"corpus/000_4c187126246bc5f9.txt\",\"passage\":4,"
      "\"line\":5,\"byte_start\":512,\"byte_end\":1024,"
      "\"section\":\"Réunions officielles\","
      "\"title\":\"Relations entre l'Azerbaïdjan et le Pakistan\","
      "\"snippet\":\"" SNIP "\",\"highlights\":[[4,13],[24,36]]}\n" },
    { "jsonl, batch, full", { DP_FORMAT_JSONL, DP_HL_MARKDOWN, true, false },
      "q7",
      "{\"qid\":\"q7\",\"rank\":1,\"score\":7.314159,"
      "\"id\":\"corpus/000_4c187126246bc5f9.txt#4\","
      "\"file\":\"corpus/000_4c187126246bc5f9.txt\",\"passage\":4,"
      "\"line\":5,\"byte_start\":512,\"byte_end\":1024,"
      "\"section\":\"Réunions officielles\","
      "\"title\":\"Relations entre l'Azerbaïdjan et le Pakistan\","
      "\"snippet\":\"" SNIP "\",\"highlights\":[[4,13],[24,36]],"
      "\"text\":\"Les relations entre l’Azerbaïdjan et le Pakistan\\nsont "
      "bonnes.\"}\n" },
    { "tsv", { DP_FORMAT_TSV, DP_HL_MARKDOWN, false, false }, NULL,
      "\t1\t7.314159\tcorpus/000_4c187126246bc5f9.txt#4\t"
      "corpus/000_4c187126246bc5f9.txt\t4\t5\t512\t1024\t"
      "Réunions officielles\tRelations entre l'Azerbaïdjan et le Pakistan\t"
      SNIP "\n" },
    { "tsv, batch, full", { DP_FORMAT_TSV, DP_HL_NONE, true, false }, "q7",
      "q7\t1\t7.314159\tcorpus/000_4c187126246bc5f9.txt#4\t"
      "corpus/000_4c187126246bc5f9.txt\t4\t5\t512\t1024\t"
      "Réunions officielles\tRelations entre l'Azerbaïdjan et le Pakistan\t"
      SNIP "\tLes relations entre l’Azerbaïdjan et le Pakistan\\nsont "
      "bonnes.\n" },
    { "trec", { DP_FORMAT_TREC, DP_HL_NONE, false, false }, NULL,
      "1 Q0 corpus/000_4c187126246bc5f9.txt#4 1 7.314159 depeche\n" },
    { "trec, batch", { DP_FORMAT_TREC, DP_HL_NONE, false, false }, "Q12",
      "Q12 Q0 corpus/000_4c187126246bc5f9.txt#4 1 7.314159 depeche\n" },
};

static void test_output_formats(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof format_cases / sizeof *format_cases; i++) {
        dp_hit hit;
        dp_snippet sn;
        dp_buf b = DP_BUF_INIT;

        fixture(&hit, &sn);
        hit.qid = format_cases[i].qid;
        assert_int_equal(dp_output_hit(&b, &hit, &format_cases[i].opts),
                         DP_OK);
        if (strcmp(dp_buf_cstr(&b), format_cases[i].expect) != 0)
            print_error("case '%s'\n", format_cases[i].what);
        assert_string_equal(dp_buf_cstr(&b), format_cases[i].expect);
        dp_buf_release(&b);
        dp_buf_release(&sn.text);
    }
}

/* The same input gives the same bytes, and each JSON line parses as one
 * object whose snippet decodes back to the plain snippet text. */
static void test_output_jsonl_deterministic(void **state)
{
    dp_output_opts opts = { DP_FORMAT_JSONL, DP_HL_ANSI, true, true };
    dp_buf a = DP_BUF_INIT, b = DP_BUF_INIT, d = DP_BUF_INIT;
    dp_hit hit;
    dp_snippet sn;
    const char *p, *q;

    (void)state;
    fixture(&hit, &sn);
    assert_int_equal(dp_output_hit(&a, &hit, &opts), DP_OK);
    assert_int_equal(dp_output_hit(&b, &hit, &opts), DP_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    /* No ANSI escape in machine formats, whatever --highlight says. */
    assert_null(memchr(a.data, '\033', a.len));
    p = strstr(a.data, "\"snippet\":") + strlen("\"snippet\":");
    q = strstr(p, ",\"highlights\"");
    assert_int_equal(json_decode(p, (size_t)(q - p), &d), 0);
    assert_string_equal(dp_buf_cstr(&d), SNIP);
    dp_buf_release(&a);
    dp_buf_release(&b);
    dp_buf_release(&d);
    dp_buf_release(&sn.text);
}

static const struct {
    dp_highlight hl;
    const char *snippet;
    size_t start, end; /* the one highlight */
    const char *expect;
} hl_cases[] = {
    { DP_HL_MARKDOWN, "a <b> & c", 2, 5, "a **\\<b>** & c" },
    /* Markdown: the text's own markup is escaped, so that the only "**"
     * without a backslash before them are the highlight's (QA: a text
     * "*Schengen*" gave "***Schengen***"). */
    { DP_HL_MARKDOWN, "La frontière *Schengen* est", 15, 23,
      "La frontière \\***Schengen**\\* est" },
    { DP_HL_MARKDOWN, "**gras** _it_ `code`", 2, 6,
      "\\*\\***gras**\\*\\* \\_it\\_ \\`code\\`" },
    /* A link "[lien](url)" is broken at its "](": a "[6]" stays. */
    { DP_HL_MARKDOWN, "[lien](http://x) note[6] [a] (b)", 1, 5,
      "[**lien**\\](http://x) note[6] [a] (b)" },
    /* French stays as it is: apostrophes, guillemets, dashes, &. */
    { DP_HL_MARKDOWN, "l’État « d’abord » — c'est 1-2 & #3 !", 4, 9,
      "l’**État** « d’abord » — c'est 1-2 & #3 !" },
    /* A backslash of the text is doubled, so that every backslash written
     * starts an escape: the text "\x1b" (4 characters) is told from the
     * control character ESC. */
    { DP_HL_MARKDOWN, "\\x1b \x1b \\* \\", 0, 1,
      "**\\\\**x1b \\x1b \\\\\\* \\\\" },
    { DP_HL_HTML, "a <b> & c", 2, 5, "a <b>&lt;b&gt;</b> &amp; c" },
    { DP_HL_HTML, "\"x\" 'y'", 1, 2, "&quot;<b>x</b>&quot; &#39;y&#39;" },
    { DP_HL_ANSI, "a <b> & c", 2, 5, "a \033[1m<b>\033[0m & c" },
    { DP_HL_NONE, "a <b> & c", 2, 5, "a <b> & c" },
    /* Corpus controls are escaped inside and outside highlights. */
    { DP_HL_MARKDOWN, "\x1b[2J\xe2\x80\xae\xc2\x9b", 1, 4,
      "\\x1b**[2J**\\u202e\\u009b" },
    { DP_HL_HTML, "\x1b<\xe2\x80\xae\xff", 1, 2,
      "\\x1b<b>&lt;</b>\\u202e\\xff" },
    /* A highlight past the end of the text is ignored. */
    { DP_HL_MARKDOWN, "abc", 1, 9, "abc" },
};

static void test_output_highlight_modes(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof hl_cases / sizeof *hl_cases; i++) {
        dp_output_opts opts = { DP_FORMAT_GREP, hl_cases[i].hl, false, false };
        dp_snippet sn = DP_SNIPPET_INIT;
        dp_span span = { hl_cases[i].start, hl_cases[i].end };
        dp_hit hit;
        dp_buf b = DP_BUF_INIT, want = DP_BUF_INIT;

        memset(&hit, 0, sizeof hit);
        hit.file = "f.txt";
        hit.file_len = 5;
        hit.line = 3;
        hit.snippet = &sn;
        assert_int_equal(dp_buf_adds(&sn.text, hl_cases[i].snippet), DP_OK);
        sn.hl = &span;
        sn.nhl = 1;
        assert_int_equal(dp_output_hit(&b, &hit, &opts), DP_OK);
        assert_int_equal(dp_buf_addf(&want, "f.txt:3:1: %s\n",
                                     hl_cases[i].expect),
                         DP_OK);
        assert_string_equal(dp_buf_cstr(&b), dp_buf_cstr(&want));
        dp_buf_release(&b);
        dp_buf_release(&want);
        dp_buf_release(&sn.text);
    }
}

/* Title, section, file and snippet from the corpus never reach a terminal
 * raw in text and grep output. */
static void test_output_text_escapes_corpus(void **state)
{
    dp_output_opts opts = { DP_FORMAT_TEXT, DP_HL_NONE, false, false };
    dp_snippet sn = DP_SNIPPET_INIT;
    dp_buf b = DP_BUF_INIT;
    dp_hit hit;

    (void)state;
    memset(&hit, 0, sizeof hit);
    hit.rank = 12;
    hit.score = 0.5;
    hit.file = "evil\x1b]0;x\x07.txt";
    hit.file_len = strlen(hit.file);
    hit.title = "T\xe2\x80\xaeitle";
    hit.title_len = strlen(hit.title);
    hit.section = "S\tec\xc2\x9b";
    hit.section_len = strlen(hit.section);
    hit.passage = 2;
    hit.line = 9;
    hit.snippet = &sn;
    assert_int_equal(dp_buf_adds(&sn.text, "x\ny\xff"), DP_OK);
    assert_int_equal(dp_output_hit(&b, &hit, &opts), DP_OK);
    assert_string_equal(dp_buf_cstr(&b),
                        "12. T\\u202eitle — §2 · S\\tec\\u009b\n"
                        "   evil\\x1b]0;x\\x07.txt:9  (score 0.50)\n"
                        "   x\\ny\\xff\n\n");
    dp_buf_reset(&b);
    /* No title: the file name stands in; no section: no " · ". */
    hit.title_len = 0;
    hit.section_len = 0;
    hit.file = "a.txt";
    hit.file_len = 5;
    sn.text.len = 0;
    assert_int_equal(dp_output_hit(&b, &hit, &opts), DP_OK);
    assert_string_equal(dp_buf_cstr(&b),
                        "12. a.txt — §2\n   a.txt:9  (score 0.50)\n\n");
    dp_buf_reset(&b);
    /* A section that is the title (the file's first heading) is not
     * repeated after §N; machine formats keep it. */
    hit.title = hit.section = "Politique de la pêche";
    hit.title_len = hit.section_len = strlen(hit.title);
    assert_int_equal(dp_output_hit(&b, &hit, &opts), DP_OK);
    assert_string_equal(dp_buf_cstr(&b),
                        "12. Politique de la pêche — §2\n"
                        "   a.txt:9  (score 0.50)\n\n");
    dp_buf_reset(&b);
    hit.title_len = hit.section_len = 0;
    /* grep without a known match position falls back to LINE:1. */
    opts.format = DP_FORMAT_GREP;
    assert_int_equal(dp_output_hit(&b, &hit, &opts), DP_OK);
    assert_string_equal(dp_buf_cstr(&b), "a.txt:9:1: \n");
    dp_buf_release(&b);
    dp_buf_release(&sn.text);
}

/* With --highlight html, every string of the corpus that text and grep
 * print is HTML-escaped, not only the snippet: title, date, section,
 * file, id and cited text (QA: "<spéciaux>" in a title became a tag).
 * jsonl and tsv carry data and keep their own escaping. */
static const struct {
    const char *what;
    dp_format format;
    bool cite;
    const char *expect;
} html_cases[] = {
    { "text", DP_FORMAT_TEXT, false,
      "1. Caractères &lt;spéciaux&gt; &amp; &quot;guillemets&quot; "
      "(&lt;2025&gt;) — §3 · &lt;h1&gt;\\x1b\n"
      "   a&amp;b&lt;c&gt;.txt:7  (score 1.50)\n"
      "   le &lt;b&gt;<b>Schengen</b>&lt;/b&gt; &amp; l&#39;accord\n\n" },
    { "grep", DP_FORMAT_GREP, false,
      "a&amp;b&lt;c&gt;.txt:8:4: le &lt;b&gt;<b>Schengen</b>&lt;/b&gt; "
      "&amp; l&#39;accord\n" },
    { "cite, text", DP_FORMAT_TEXT, true,
      "> Caractères &lt;spéciaux&gt; &amp; &quot;guillemets&quot; "
      "(&lt;2025&gt;) — §3 · &lt;h1&gt;\\x1b\n"
      "  a&amp;b&lt;c&gt;.txt:7  a&amp;b&lt;c&gt;.txt#3\n"
      "Le traité &lt;b&gt;Schengen&lt;/b&gt;\n"
      "&amp; l&#39;accord.\n\n" },
    { "cite, grep", DP_FORMAT_GREP, true,
      "a&amp;b&lt;c&gt;.txt:7:4: Le traité &lt;b&gt;Schengen&lt;/b&gt; "
      "&amp; l&#39;accord.\n" },
    { "jsonl", DP_FORMAT_JSONL, false,
      "{\"rank\":1,\"score\":1.500000,\"id\":\"a&b<c>.txt#3\","
      "\"file\":\"a&b<c>.txt\",\"passage\":3,\"line\":7,"
      "\"byte_start\":0,\"byte_end\":0,\"section\":\"<h1>\\u001b\","
      "\"title\":\"Caractères <spéciaux> & \\\"guillemets\\\"\","
      "\"snippet\":\"le <b>Schengen</b> & l'accord\","
      "\"highlights\":[[6,14]]}\n" },
    { "tsv", DP_FORMAT_TSV, false,
      "\t1\t1.500000\ta&b<c>.txt#3\ta&b<c>.txt\t3\t7\t0\t0\t<h1>\\x1b\t"
      "Caractères <spéciaux> & \"guillemets\"\tle <b>Schengen</b> & "
      "l'accord\n" },
};

static void test_output_html_escapes_every_field(void **state)
{
    static const char text[] = "Le traité <b>Schengen</b>\n& l'accord.";
    dp_output_opts opts = { DP_FORMAT_TEXT, DP_HL_HTML, false, false };
    dp_snippet sn = DP_SNIPPET_INIT;
    dp_span span = { 6, 14 };
    size_t i;
    dp_hit hit;

    (void)state;
    memset(&hit, 0, sizeof hit);
    hit.rank = 1;
    hit.score = 1.5;
    hit.id = "a&b<c>.txt#3";
    hit.id_len = strlen(hit.id);
    hit.file = "a&b<c>.txt";
    hit.file_len = strlen(hit.file);
    hit.title = "Caractères <spéciaux> & \"guillemets\"";
    hit.title_len = strlen(hit.title);
    hit.date = "<2025>";
    hit.date_len = strlen(hit.date);
    hit.section = "<h1>\x1b";
    hit.section_len = strlen(hit.section);
    hit.passage = 3;
    hit.line = 7;
    hit.match_line = 8;
    hit.match_col = 4;
    hit.text = text;
    hit.text_len = sizeof text - 1;
    hit.snippet = &sn;
    assert_int_equal(dp_buf_adds(&sn.text, "le <b>Schengen</b> & l'accord"),
                     DP_OK);
    sn.hl = &span;
    sn.nhl = 1;
    for (i = 0; i < sizeof html_cases / sizeof *html_cases; i++) {
        dp_buf b = DP_BUF_INIT;

        opts.format = html_cases[i].format;
        if (html_cases[i].cite)
            assert_int_equal(dp_output_cite(&b, &hit, true, &opts), DP_OK);
        else
            assert_int_equal(dp_output_hit(&b, &hit, &opts), DP_OK);
        if (strcmp(dp_buf_cstr(&b), html_cases[i].expect) != 0)
            print_error("case '%s'\n", html_cases[i].what);
        assert_string_equal(dp_buf_cstr(&b), html_cases[i].expect);
        dp_buf_release(&b);
    }
    dp_buf_release(&sn.text);
}

/* Highlights in JSON are byte ranges of the string a reader gets back:
 * an ill-formed byte before a highlight becomes 3 bytes (U+FFFD). */
static void test_output_jsonl_highlights_after_bad_bytes(void **state)
{
    dp_output_opts opts = { DP_FORMAT_JSONL, DP_HL_NONE, false, false };
    dp_snippet sn = DP_SNIPPET_INIT;
    dp_span spans[] = { { 2, 5 }, { 1, 3 }, { 6, 99 } }; /* 2nd, 3rd bad */
    dp_buf b = DP_BUF_INIT;
    dp_hit hit;

    (void)state;
    memset(&hit, 0, sizeof hit);
    hit.id = "f#1";
    hit.id_len = 3;
    hit.snippet = &sn;
    hit.score = 1.0 / 0.0;
    assert_int_equal(dp_buf_adds(&sn.text, "\xff\x01mot x"), DP_OK);
    sn.hl = spans;
    sn.nhl = 3;
    assert_int_equal(dp_output_hit(&b, &hit, &opts), DP_OK);
    assert_string_equal(dp_buf_cstr(&b),
                        "{\"rank\":0,\"score\":null,\"id\":\"f#1\","
                        "\"file\":\"\","
                        "\"passage\":0,\"line\":0,\"byte_start\":0,"
                        "\"byte_end\":0,\"section\":\"\",\"title\":\"\","
                        "\"snippet\":\"\\ufffd\\u0001mot x\","
                        "\"highlights\":[[4,7]]}\n");
    dp_buf_release(&b);
    dp_buf_release(&sn.text);
}

static const struct {
    double score;
    const char *six, *two;
} score_cases[] = {
    { 7.314159, "7.314159", "7.31" },
    { 0.0, "0.000000", "0.00" },
    { -0.0, "0.000000", "0.00" },
    { 12.5, "12.500000", "12.50" },
    { 0.0000004, "0.000000", "0.00" },
    { -3.25, "-3.250000", "-3.25" },
    { 1e20, "100000000000000000000", "100000000000000000000" },
};

static void test_output_score_format(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof score_cases / sizeof *score_cases; i++) {
        dp_output_opts trec = { DP_FORMAT_TREC, DP_HL_NONE, false, false };
        dp_output_opts text = { DP_FORMAT_TEXT, DP_HL_NONE, false, false };
        dp_buf b = DP_BUF_INIT, want = DP_BUF_INIT;
        dp_hit hit;

        memset(&hit, 0, sizeof hit);
        hit.id = "a b#1"; /* a space would split TREC columns */
        hit.id_len = 5;
        hit.file = "a";
        hit.file_len = 1;
        hit.rank = 3;
        hit.score = score_cases[i].score;
        assert_int_equal(dp_output_hit(&b, &hit, &trec), DP_OK);
        assert_int_equal(dp_buf_addf(&want, "1 Q0 a\\x20b#1 3 %s depeche\n",
                                     score_cases[i].six),
                         DP_OK);
        assert_string_equal(dp_buf_cstr(&b), dp_buf_cstr(&want));
        dp_buf_reset(&b);
        dp_buf_reset(&want);
        assert_int_equal(dp_output_hit(&b, &hit, &text), DP_OK);
        assert_int_equal(dp_buf_addf(&want, "(score %s)", score_cases[i].two),
                         DP_OK);
        assert_non_null(strstr(dp_buf_cstr(&b), dp_buf_cstr(&want)));
        dp_buf_release(&b);
        dp_buf_release(&want);
    }
}

static void test_output_header(void **state)
{
    static const struct {
        dp_format format;
        bool full;
        const char *expect;
    } cases[] = {
        { DP_FORMAT_TSV, false,
          "qid\trank\tscore\tid\tfile\tpassage\tline\tbyte_start\tbyte_end"
          "\tsection\ttitle\tsnippet\n" },
        { DP_FORMAT_TSV, true,
          "qid\trank\tscore\tid\tfile\tpassage\tline\tbyte_start\tbyte_end"
          "\tsection\ttitle\tsnippet\ttext\n" },
        { DP_FORMAT_TEXT, false, "" },
        { DP_FORMAT_GREP, false, "" },
        { DP_FORMAT_JSONL, true, "" },
        { DP_FORMAT_TREC, false, "" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        dp_output_opts opts = { cases[i].format, DP_HL_NONE, cases[i].full,
                                false };
        dp_buf b = DP_BUF_INIT;

        assert_int_equal(dp_output_header(&b, &opts), DP_OK);
        assert_string_equal(dp_buf_cstr(&b), cases[i].expect);
        dp_buf_release(&b);
    }
}

static void test_output_parse(void **state)
{
    static const struct {
        const char *name;
        int rc;
        dp_format value;
    } formats[] = {
        { "text", DP_OK, DP_FORMAT_TEXT },   { "grep", DP_OK, DP_FORMAT_GREP },
        { "jsonl", DP_OK, DP_FORMAT_JSONL }, { "tsv", DP_OK, DP_FORMAT_TSV },
        { "trec", DP_OK, DP_FORMAT_TREC },   { "json", DP_EINVAL, 0 },
        { "", DP_EINVAL, 0 },                { "TEXT", DP_EINVAL, 0 },
        { NULL, DP_EINVAL, 0 },
    };
    static const struct {
        const char *name;
        int rc;
        dp_highlight value;
    } hls[] = {
        { "ansi", DP_OK, DP_HL_ANSI }, { "markdown", DP_OK, DP_HL_MARKDOWN },
        { "html", DP_OK, DP_HL_HTML }, { "none", DP_OK, DP_HL_NONE },
        { "bold", DP_EINVAL, 0 },      { NULL, DP_EINVAL, 0 },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof formats / sizeof *formats; i++) {
        dp_format f = (dp_format)99;

        assert_int_equal(dp_format_parse(formats[i].name, &f), formats[i].rc);
        if (formats[i].rc == DP_OK)
            assert_int_equal(f, formats[i].value);
        else
            assert_int_equal(f, 99);
    }
    for (i = 0; i < sizeof hls / sizeof *hls; i++) {
        dp_highlight h = (dp_highlight)99;

        assert_int_equal(dp_highlight_parse(hls[i].name, &h), hls[i].rc);
        if (hls[i].rc == DP_OK)
            assert_int_equal(h, hls[i].value);
        else
            assert_int_equal(h, 99);
    }
}

/* Bad arguments, and a buffer limit hit halfway through a hit: the error
 * comes back and the buffer holds no half line. */
static void test_output_errors(void **state)
{
    dp_output_opts opts = { DP_FORMAT_JSONL, DP_HL_NONE, true, false };
    dp_output_opts bad = { (dp_format)42, DP_HL_NONE, false, false };
    dp_buf b;
    dp_hit hit;
    dp_snippet sn;

    (void)state;
    fixture(&hit, &sn);
    dp_buf_init(&b, 64);
    assert_int_equal(dp_buf_adds(&b, "kept\n"), DP_OK);
    assert_int_equal(dp_output_hit(&b, &hit, &opts), DP_ELIMIT);
    assert_string_equal(dp_buf_cstr(&b), "kept\n");
    assert_int_equal(dp_output_hit(&b, &hit, &bad), DP_EINVAL);
    assert_int_equal(dp_output_hit(NULL, &hit, &opts), DP_EINVAL);
    assert_int_equal(dp_output_hit(&b, NULL, &opts), DP_EINVAL);
    assert_int_equal(dp_output_hit(&b, &hit, NULL), DP_EINVAL);
    assert_int_equal(dp_output_header(NULL, &opts), DP_EINVAL);
    assert_string_equal(dp_buf_cstr(&b), "kept\n");
    dp_buf_release(&b);
    dp_buf_release(&sn.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_json_str),
        cmocka_unit_test(test_output_json_round_trip),
        cmocka_unit_test(test_output_term_and_tsv_escape),
        cmocka_unit_test(test_output_formats),
        cmocka_unit_test(test_output_jsonl_deterministic),
        cmocka_unit_test(test_output_highlight_modes),
        cmocka_unit_test(test_output_text_escapes_corpus),
        cmocka_unit_test(test_output_html_escapes_every_field),
        cmocka_unit_test(test_output_jsonl_highlights_after_bad_bytes),
        cmocka_unit_test(test_output_score_format),
        cmocka_unit_test(test_output_header),
        cmocka_unit_test(test_output_parse),
        cmocka_unit_test(test_output_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
