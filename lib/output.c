/* output.c -- write hits in the user-visible formats. */
#include "depeche/output.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Code point value marking an ill-formed UTF-8 sequence. */
#define UTF8_BAD UINT32_MAX

/* The longest escape one input character can need: three ill-formed
 * bytes as \xHH each, or an HTML entity. */
#define ESC_MAX 16

typedef enum esc_mode {
    ESC_TERM, /* terminal: \t \n \r, \xHH, \uXXXX */
    ESC_TSV,  /* terminal rules plus \\ so that fields can be split back */
    ESC_JSON  /* RFC 8259 string contents */
} esc_mode;

/*
 * Decode one UTF-8 sequence at @p s (@p n > 0 bytes left) into *cp and
 * return the bytes it takes.  An ill-formed sequence gives UTF8_BAD and
 * covers its maximal subpart (Unicode's recommended practice), so that
 * "\xE2\x82A" is one bad sequence followed by "A".  Overlong forms,
 * surrogates and values above U+10FFFF are ill-formed.
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char b = s[0], lo = 0x80, hi = 0xBF;
    size_t need, i;
    uint32_t c;

    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
        c = b & 0x1Fu;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        c = b & 0x0Fu;
        if (b == 0xE0)
            lo = 0xA0; /* overlong */
        else if (b == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        c = b & 0x07u;
        if (b == 0xF0)
            lo = 0x90; /* overlong */
        else if (b == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *cp = UTF8_BAD;
        return 1;
    }
    for (i = 1; i <= need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *cp = UTF8_BAD;
            return i;
        }
        c = (c << 6) | (s[i] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = c;
    return need + 1;
}

/* Unicode bidirectional formatting characters: they reorder what a
 * terminal shows ("Trojan Source"), so they are never written raw. */
static bool is_bidi(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Write into @p tmp the escape of code point @p cp for @p mode and
 * @p markup (DP_HL_HTML: entities; DP_HL_MARKDOWN: a backslash before
 * what Markdown would read as emphasis, code or HTML, and before a
 * backslash, so that every backslash written starts an escape), and
 * return it; NULL when the character is written as it is.
 */
static const char *escape_cp(uint32_t cp, esc_mode mode, dp_highlight markup,
                             char tmp[ESC_MAX])
{
    if (mode == ESC_JSON) {
        switch (cp) {
        case '"': return "\\\"";
        case '\\': return "\\\\";
        case '\b': return "\\b";
        case '\f': return "\\f";
        case '\n': return "\\n";
        case '\r': return "\\r";
        case '\t': return "\\t";
        default: break;
        }
        /* U+2028 and U+2029 are valid JSON but end lines in JavaScript. */
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || is_bidi(cp) ||
            cp == 0x2028 || cp == 0x2029) {
            snprintf(tmp, ESC_MAX, "\\u%04" PRIx32, cp);
            return tmp;
        }
        return NULL;
    }
    switch (cp) {
    case '\t': return "\\t";
    case '\n': return "\\n";
    case '\r': return "\\r";
    default: break;
    }
    if (mode == ESC_TSV && cp == '\\')
        return "\\\\";
    if (cp < 0x20 || cp == 0x7F) {
        snprintf(tmp, ESC_MAX, "\\x%02" PRIx32, cp);
        return tmp;
    }
    /* U+2028 and U+2029 end lines for many readers (Python's
     * str.splitlines(), JavaScript), which would cut a line in two. */
    if ((cp >= 0x80 && cp <= 0x9F) || is_bidi(cp) || cp == 0x2028 ||
        cp == 0x2029) {
        snprintf(tmp, ESC_MAX, "\\u%04" PRIx32, cp);
        return tmp;
    }
    if (markup == DP_HL_MARKDOWN) {
        switch (cp) {
        case '\\': return "\\\\";
        case '*': return "\\*";
        case '_': return "\\_";
        case '`': return "\\`";
        case '<': return "\\<";
        default: break;
        }
    }
    if (markup == DP_HL_HTML) {
        switch (cp) {
        case '&': return "&amp;";
        case '<': return "&lt;";
        case '>': return "&gt;";
        case '"': return "&quot;";
        case '\'': return "&#39;";
        default: break;
        }
    }
    return NULL;
}

/* Append @p s escaped for @p mode (and for HTML or Markdown as
 * @p markup says).  Runs of characters that need no escape are copied in
 * one piece. */
static int put_escaped(dp_buf *out, const char *s, size_t len, esc_mode mode,
                       dp_highlight markup)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0, n, k;
    uint32_t cp;
    char tmp[ESC_MAX];
    const char *rep = NULL;
    int rc = DP_OK;

    if (s == NULL) /* a missing field prints as an empty one */
        goto done;
    while (i < len) {
        n = utf8_decode(p + i, len - i, &cp);
        if (cp == UTF8_BAD && mode == ESC_JSON) {
            rep = "\\ufffd";
        } else if (cp == UTF8_BAD) {
            for (k = 0; k < n; k++)
                snprintf(tmp + 4 * k, ESC_MAX - 4 * k, "\\x%02x", p[i + k]);
            rep = tmp;
        } else if (markup == DP_HL_MARKDOWN && cp == ']' && i + 1 < len &&
                   p[i + 1] == '(') {
            rep = "\\]"; /* "[lien](url)" is a link; "[6]" stays */
        } else {
            rep = escape_cp(cp, mode, markup, tmp);
        }
        if (rep != NULL) {
            rc = dp_buf_add(out, s + run, i - run);
            if (rc < 0)
                goto done;
            rc = dp_buf_adds(out, rep);
            if (rc < 0)
                goto done;
            run = i + n;
        }
        i += n;
    }
    rc = dp_buf_add(out, s + run, len - run);
done:
    return rc;
}

int dp_json_str(dp_buf *out, const char *s, size_t len)
{
    int rc = dp_buf_addc(out, '"');

    if (rc < 0)
        goto done;
    rc = put_escaped(out, s, len, ESC_JSON, DP_HL_NONE);
    if (rc < 0)
        goto done;
    rc = dp_buf_addc(out, '"');
done:
    return rc;
}

int dp_term_escape(dp_buf *out, const char *s, size_t len)
{
    return put_escaped(out, s, len, ESC_TERM, DP_HL_NONE);
}

int dp_tsv_escape(dp_buf *out, const char *s, size_t len)
{
    return put_escaped(out, s, len, ESC_TSV, DP_HL_NONE);
}

/* With --highlight html, text and grep escape every string of the
 * corpus (title, date, section, file, id, text) for HTML as the snippet
 * is, so that the whole output can go into a page. */
int dp_output_escape(dp_buf *out, const char *s, size_t len,
                     const dp_output_opts *opts)
{
    bool html = opts->highlight == DP_HL_HTML &&
                (opts->format == DP_FORMAT_TEXT ||
                 opts->format == DP_FORMAT_GREP);

    return put_escaped(out, s, len, ESC_TERM, html ? DP_HL_HTML : DP_HL_NONE);
}

/*
 * Append @p x with @p decimals digits after a '.', whatever LC_NUMERIC
 * says (a French locale would print "7,31" and break JSON and TSV
 * readers), and deterministically: the same double gives the same bytes.
 */
static int put_fixed(dp_buf *out, double x, int decimals)
{
    static const int64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000,
                                     1000000 };
    int64_t scale = pow10[decimals], v;
    double a;
    int rc;

    if (isnan(x)) {
        rc = dp_buf_adds(out, "nan");
        goto done;
    }
    if (isinf(x)) {
        rc = dp_buf_adds(out, x > 0 ? "inf" : "-inf");
        goto done;
    }
    a = fabs(x) * (double)scale;
    if (a >= 9e15) {
        /* No decimal point in "%.0f", so no locale either. */
        rc = dp_buf_addf(out, "%.0f", x);
        goto done;
    }
    v = llround(a);
    rc = dp_buf_addf(out, "%s%" PRId64 ".%0*" PRId64,
                     x < 0 && v != 0 ? "-" : "", v / scale, decimals,
                     v % scale);
done:
    return rc;
}

/* Opening and closing marks of a highlight. */
static void hl_marks(dp_highlight hl, const char **open, const char **close)
{
    switch (hl) {
    case DP_HL_ANSI:
        *open = "\033[1m";
        *close = "\033[0m";
        break;
    case DP_HL_MARKDOWN:
        *open = "**";
        *close = "**";
        break;
    case DP_HL_HTML:
        *open = "<b>";
        *close = "</b>";
        break;
    default:
        *open = "";
        *close = "";
        break;
    }
}

/*
 * Append the snippet of @p sn escaped for a terminal, each highlight
 * wrapped in the marks of @p hl.  With markdown the text's own markup is
 * escaped, so that the only "**" not after a backslash are the marks.
 * Highlights out of range or out of order are ignored rather than
 * trusted.
 */
static int put_snippet(dp_buf *out, const dp_snippet *sn, dp_highlight hl)
{
    const char *s = sn ? dp_buf_cstr(&sn->text) : "";
    size_t len = sn ? sn->text.len : 0, pos = 0, i;
    const char *open = NULL, *close = NULL;
    int rc = DP_OK;

    hl_marks(hl, &open, &close);
    for (i = 0; sn && i < sn->nhl; i++) {
        const dp_span *h = &sn->hl[i];

        if (h->start < pos || h->start >= h->end || h->end > len)
            continue;
        rc = put_escaped(out, s + pos, h->start - pos, ESC_TERM, hl);
        if (rc < 0)
            goto done;
        rc = dp_buf_adds(out, open);
        if (rc < 0)
            goto done;
        rc = put_escaped(out, s + h->start, h->end - h->start, ESC_TERM, hl);
        if (rc < 0)
            goto done;
        rc = dp_buf_adds(out, close);
        if (rc < 0)
            goto done;
        pos = h->end;
    }
    rc = put_escaped(out, s + pos, len - pos, ESC_TERM, hl);
done:
    return rc;
}

/* Append the SGR sequence @p sgr when colour is @p on. */
static int put_sgr(dp_buf *out, bool on, const char *sgr)
{
    return on ? dp_buf_adds(out, sgr) : DP_OK;
}

/* " (2025-04-23)" after a title, when the catalogue gives a date. */
static int put_date(dp_buf *out, const dp_hit *hit,
                    const dp_output_opts *opts)
{
    int rc;

    if (hit->date == NULL || hit->date_len == 0)
        return DP_OK;
    rc = dp_buf_adds(out, " (");
    if (rc == 0)
        rc = dp_output_escape(out, hit->date, hit->date_len, opts);
    if (rc == 0)
        rc = dp_buf_addc(out, ')');
    return rc;
}

/* Whether a text header names the hit's section after its §N: not when
 * the section is the title (a file whose first heading is its title). */
static bool section_shown(const dp_hit *hit)
{
    return hit->section_len > 0 &&
           !(hit->section_len == hit->title_len &&
             memcmp(hit->section, hit->title, hit->title_len) == 0);
}

/* The passage's label: §N, N the paragraph number its file gives it
 * when the file numbers its paragraphs, else its place in the file; #N
 * for a passage before the first number of a numbered file (the N-th
 * passage, as in its id).  --cite takes both back. */
static int put_label(dp_buf *out, const dp_hit *hit)
{
    if (hit->numbered && hit->paragraph > 0)
        return dp_buf_addf(out, "§%" PRIu32, hit->paragraph);
    return dp_buf_addf(out, "%s%" PRIu32, hit->numbered ? "#" : "§",
                       hit->passage);
}

static int output_text(dp_buf *out, const dp_hit *hit,
                       const dp_output_opts *opts)
{
    const char *title = hit->title;
    size_t title_len = hit->title_len;
    int rc;

    if (title == NULL || title_len == 0) {
        title = hit->file;
        title_len = hit->file_len;
    }
    rc = dp_buf_addf(out, "%" PRIu32 ". ", hit->rank);
    if (rc < 0)
        goto done;
    rc = dp_output_escape(out, title, title_len, opts);
    if (rc < 0)
        goto done;
    rc = put_date(out, hit, opts);
    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, " — ");
    if (rc < 0)
        goto done;
    rc = put_sgr(out, opts->color, "\033[36m");
    if (rc < 0)
        goto done;
    rc = put_label(out, hit);
    if (rc < 0)
        goto done;
    rc = put_sgr(out, opts->color, "\033[0m");
    if (rc < 0)
        goto done;
    if (section_shown(hit)) {
        rc = dp_buf_adds(out, " · ");
        if (rc < 0)
            goto done;
        rc = dp_output_escape(out, hit->section, hit->section_len, opts);
        if (rc < 0)
            goto done;
    }
    rc = dp_buf_adds(out, "\n   ");
    if (rc < 0)
        goto done;
    rc = put_sgr(out, opts->color, "\033[35m");
    if (rc < 0)
        goto done;
    rc = dp_output_escape(out, hit->file, hit->file_len, opts);
    if (rc < 0)
        goto done;
    rc = dp_buf_addf(out, ":%" PRIu32, hit->line);
    if (rc < 0)
        goto done;
    rc = put_sgr(out, opts->color, "\033[0m");
    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, "  (score ");
    if (rc < 0)
        goto done;
    rc = put_fixed(out, hit->score, 2);
    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, hit->by_neighbours ? ", from the passages before "
                                               "and after)\n"
                                             : ")\n");
    if (rc < 0)
        goto done;
    if (hit->snippet != NULL && hit->snippet->text.len > 0) {
        rc = dp_buf_adds(out, "   ");
        if (rc < 0)
            goto done;
        rc = put_snippet(out, hit->snippet, opts->highlight);
        if (rc < 0)
            goto done;
        rc = dp_buf_addc(out, '\n');
        if (rc < 0)
            goto done;
    }
    rc = dp_buf_addc(out, '\n');
done:
    return rc;
}

static int output_grep(dp_buf *out, const dp_hit *hit,
                       const dp_output_opts *opts)
{
    uint32_t line = hit->match_line ? hit->match_line : hit->line;
    uint32_t col = hit->match_line ? hit->match_col : 1;
    int rc = dp_output_escape(out, hit->file, hit->file_len, opts);

    if (rc < 0)
        goto done;
    rc = dp_buf_addf(out, ":%" PRIu32 ":%" PRIu32 ": ", line,
                     col ? col : 1);
    if (rc < 0)
        goto done;
    rc = put_snippet(out, hit->snippet, opts->highlight);
    if (rc < 0)
        goto done;
    rc = dp_buf_addc(out, '\n');
done:
    return rc;
}

/*
 * Walk @p s from byte *i (output byte *o) up to byte @p to, counting the
 * bytes a JSON reader gets back: an ill-formed sequence becomes U+FFFD,
 * three bytes.  So highlights stay right when the snippet held bad bytes.
 */
static void json_walk(const char *s, size_t len, size_t to, size_t *i,
                      size_t *o)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    size_t n;

    while (*i < to) {
        n = utf8_decode(p + *i, len - *i, &cp);
        *i += n;
        *o += cp == UTF8_BAD ? 3 : n;
    }
}

static int put_json_highlights(dp_buf *out, const dp_snippet *sn)
{
    const char *s = sn ? dp_buf_cstr(&sn->text) : "";
    size_t len = sn ? sn->text.len : 0, pos = 0, i = 0, o = 0, k;
    size_t ostart;
    bool first = true;
    int rc = dp_buf_addc(out, '[');

    if (rc < 0)
        goto done;
    for (k = 0; sn && k < sn->nhl; k++) {
        const dp_span *h = &sn->hl[k];

        if (h->start < pos || h->start >= h->end || h->end > len)
            continue;
        json_walk(s, len, h->start, &i, &o);
        ostart = o;
        json_walk(s, len, h->end, &i, &o);
        rc = dp_buf_addf(out, "%s[%zu,%zu]", first ? "" : ",", ostart, o);
        if (rc < 0)
            goto done;
        first = false;
        pos = h->end;
    }
    rc = dp_buf_addc(out, ']');
done:
    return rc;
}

static int output_jsonl(dp_buf *out, const dp_hit *hit,
                        const dp_output_opts *opts)
{
    const dp_snippet *sn = hit->snippet;
    int rc = dp_buf_addc(out, '{');

    if (rc < 0)
        goto done;
    if (hit->qid != NULL) {
        rc = dp_buf_adds(out, "\"qid\":");
        if (rc < 0)
            goto done;
        rc = dp_json_str(out, hit->qid, strlen(hit->qid));
        if (rc < 0)
            goto done;
        rc = dp_buf_addc(out, ',');
        if (rc < 0)
            goto done;
    }
    rc = dp_buf_addf(out, "\"rank\":%" PRIu32 ",\"score\":", hit->rank);
    if (rc < 0)
        goto done;
    /* JSON has no NaN nor infinity. */
    if (isfinite(hit->score))
        rc = put_fixed(out, hit->score, 6);
    else
        rc = dp_buf_adds(out, "null");
    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, ",\"id\":");
    if (rc < 0)
        goto done;
    rc = dp_json_str(out, hit->id, hit->id_len);
    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, ",\"file\":");
    if (rc < 0)
        goto done;
    rc = dp_json_str(out, hit->file, hit->file_len);
    if (rc < 0)
        goto done;
    rc = dp_buf_addf(out,
                     ",\"passage\":%" PRIu32 ",\"line\":%" PRIu32
                     ",\"byte_start\":%" PRIu64 ",\"byte_end\":%" PRIu64
                     ",\"section\":",
                     hit->passage, hit->line, hit->byte_start, hit->byte_end);
    if (rc < 0)
        goto done;
    rc = dp_json_str(out, hit->section, hit->section_len);
    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, ",\"title\":");
    if (rc < 0)
        goto done;
    rc = dp_json_str(out, hit->title, hit->title_len);
    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, ",\"snippet\":");
    if (rc < 0)
        goto done;
    rc = dp_json_str(out, sn ? dp_buf_cstr(&sn->text) : "",
                     sn ? sn->text.len : 0);
    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, ",\"highlights\":");
    if (rc < 0)
        goto done;
    rc = put_json_highlights(out, sn);
    if (rc < 0)
        goto done;
    if (opts->full) {
        rc = dp_buf_adds(out, ",\"text\":");
        if (rc < 0)
            goto done;
        rc = dp_json_str(out, hit->text, hit->text_len);
        if (rc < 0)
            goto done;
    }
    rc = dp_buf_adds(out, "}\n");
done:
    return rc;
}

static int output_tsv(dp_buf *out, const dp_hit *hit,
                      const dp_output_opts *opts)
{
    const dp_snippet *sn = hit->snippet;
    int rc = DP_OK;

    if (hit->qid != NULL) {
        rc = dp_tsv_escape(out, hit->qid, strlen(hit->qid));
        if (rc < 0)
            goto done;
    }
    rc = dp_buf_addf(out, "\t%" PRIu32 "\t", hit->rank);
    if (rc < 0)
        goto done;
    rc = put_fixed(out, hit->score, 6);
    if (rc < 0)
        goto done;
    rc = dp_buf_addc(out, '\t');
    if (rc < 0)
        goto done;
    rc = dp_tsv_escape(out, hit->id, hit->id_len);
    if (rc < 0)
        goto done;
    rc = dp_buf_addc(out, '\t');
    if (rc < 0)
        goto done;
    rc = dp_tsv_escape(out, hit->file, hit->file_len);
    if (rc < 0)
        goto done;
    rc = dp_buf_addf(out,
                     "\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu64 "\t%" PRIu64 "\t",
                     hit->passage, hit->line, hit->byte_start, hit->byte_end);
    if (rc < 0)
        goto done;
    rc = dp_tsv_escape(out, hit->section, hit->section_len);
    if (rc < 0)
        goto done;
    rc = dp_buf_addc(out, '\t');
    if (rc < 0)
        goto done;
    rc = dp_tsv_escape(out, hit->title, hit->title_len);
    if (rc < 0)
        goto done;
    rc = dp_buf_addc(out, '\t');
    if (rc < 0)
        goto done;
    rc = dp_tsv_escape(out, sn ? dp_buf_cstr(&sn->text) : "",
                       sn ? sn->text.len : 0);
    if (rc < 0)
        goto done;
    if (opts->full) {
        rc = dp_buf_addc(out, '\t');
        if (rc < 0)
            goto done;
        rc = dp_tsv_escape(out, hit->text, hit->text_len);
        if (rc < 0)
            goto done;
    }
    rc = dp_buf_addc(out, '\n');
done:
    return rc;
}

/* A TREC run line is split on white space: escape it as well as
 * controls, so that an odd file name cannot shift the columns. */
static int put_trec_field(dp_buf *out, const char *s, size_t len)
{
    size_t i, run = 0;
    int rc = DP_OK;

    if (s == NULL)
        goto done;
    for (i = 0; i < len; i++) {
        if (s[i] != ' ')
            continue;
        rc = dp_term_escape(out, s + run, i - run);
        if (rc < 0)
            goto done;
        rc = dp_buf_adds(out, "\\x20");
        if (rc < 0)
            goto done;
        run = i + 1;
    }
    rc = dp_term_escape(out, s + run, len - run);
done:
    return rc;
}

static int output_trec(dp_buf *out, const dp_hit *hit)
{
    int rc = hit->qid ? put_trec_field(out, hit->qid, strlen(hit->qid))
                      : dp_buf_addc(out, '1');

    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, " Q0 ");
    if (rc < 0)
        goto done;
    rc = put_trec_field(out, hit->id, hit->id_len);
    if (rc < 0)
        goto done;
    rc = dp_buf_addf(out, " %" PRIu32 " ", hit->rank);
    if (rc < 0)
        goto done;
    rc = put_fixed(out, hit->score, 6);
    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, " depeche\n");
done:
    return rc;
}

int dp_output_header(dp_buf *out, const dp_output_opts *opts)
{
    int rc = DP_OK;

    if (out == NULL || opts == NULL) {
        rc = DP_EINVAL;
        goto done;
    }
    if (opts->format != DP_FORMAT_TSV)
        goto done;
    rc = dp_buf_adds(out, "qid\trank\tscore\tid\tfile\tpassage\tline"
                          "\tbyte_start\tbyte_end\tsection\ttitle\tsnippet");
    if (rc < 0)
        goto done;
    rc = dp_buf_adds(out, opts->full ? "\ttext\n" : "\n");
done:
    return rc;
}

int dp_output_hit(dp_buf *out, const dp_hit *hit, const dp_output_opts *opts)
{
    size_t len0 = 0;
    int rc = DP_EINVAL;

    if (out == NULL || hit == NULL || opts == NULL)
        goto done;
    len0 = out->len;
    switch (opts->format) {
    case DP_FORMAT_TEXT: rc = output_text(out, hit, opts); break;
    case DP_FORMAT_GREP: rc = output_grep(out, hit, opts); break;
    case DP_FORMAT_JSONL: rc = output_jsonl(out, hit, opts); break;
    case DP_FORMAT_TSV: rc = output_tsv(out, hit, opts); break;
    case DP_FORMAT_TREC: rc = output_trec(out, hit); break;
    default: rc = DP_EINVAL; break;
    }
    /* A failed hit leaves no half line behind. */
    if (rc < 0)
        dp_buf_truncate(out, len0);
done:
    return rc;
}

static const struct {
    const char *name;
    int value;
} format_names[] = {
    { "text", DP_FORMAT_TEXT },   { "grep", DP_FORMAT_GREP },
    { "jsonl", DP_FORMAT_JSONL }, { "tsv", DP_FORMAT_TSV },
    { "trec", DP_FORMAT_TREC },
}, highlight_names[] = {
    { "ansi", DP_HL_ANSI }, { "markdown", DP_HL_MARKDOWN },
    { "html", DP_HL_HTML }, { "none", DP_HL_NONE },
};

int dp_format_parse(const char *name, dp_format *out)
{
    size_t i;
    int rc = DP_EINVAL;

    for (i = 0; name && i < sizeof format_names / sizeof *format_names;
         i++) {
        if (strcmp(name, format_names[i].name) == 0) {
            *out = (dp_format)format_names[i].value;
            rc = DP_OK;
            break;
        }
    }
    return rc;
}

int dp_highlight_parse(const char *name, dp_highlight *out)
{
    size_t i;
    int rc = DP_EINVAL;

    for (i = 0;
         name && i < sizeof highlight_names / sizeof *highlight_names; i++) {
        if (strcmp(name, highlight_names[i].name) == 0) {
            *out = (dp_highlight)highlight_names[i].value;
            rc = DP_OK;
            break;
        }
    }
    return rc;
}

/* Append @p len bytes of passage text for a terminal: line ends of
 * hard-wrapped text are kept as line ends, everything else escaped. */
static int put_text_lines(dp_buf *out, const char *s, size_t len,
                          const dp_output_opts *opts)
{
    size_t i = 0, start = 0;
    int rc = DP_OK;

    while (rc == 0 && i <= len) {
        if (i == len || s[i] == '\n' || s[i] == '\r') {
            rc = dp_output_escape(out, s + start, i - start, opts);
            if (rc == 0)
                rc = dp_buf_addc(out, '\n');
            if (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n')
                i++;
            start = i + 1;
        }
        i++;
    }
    return rc;
}

/* Text form of a cited passage: title, §N and section; FILE:LINE and id;
 * then the whole passage.  The passage asked for is marked with "> "
 * when context passages surround it. */
static int output_cite_text(dp_buf *out, const dp_hit *hit, bool target,
                            const dp_output_opts *opts)
{
    const char *title = hit->title_len ? hit->title : hit->file;
    size_t title_len = hit->title_len ? hit->title_len : hit->file_len;
    int rc = dp_buf_adds(out, target ? "> " : "  ");

    if (rc == 0)
        rc = put_sgr(out, opts->color && target, "\033[1m");
    if (rc == 0)
        rc = dp_output_escape(out, title, title_len, opts);
    if (rc == 0)
        rc = put_date(out, hit, opts);
    if (rc == 0)
        rc = put_sgr(out, opts->color && target, "\033[0m");
    if (rc == 0)
        rc = dp_buf_adds(out, " — ");
    if (rc == 0)
        rc = put_sgr(out, opts->color, "\033[36m");
    if (rc == 0)
        rc = put_label(out, hit);
    if (rc == 0)
        rc = put_sgr(out, opts->color, "\033[0m");
    if (rc == 0 && section_shown(hit)) {
        rc = dp_buf_adds(out, " · ");
        if (rc == 0)
            rc = dp_output_escape(out, hit->section, hit->section_len, opts);
    }
    if (rc == 0)
        rc = dp_buf_adds(out, "\n  ");
    if (rc == 0)
        rc = put_sgr(out, opts->color, "\033[35m");
    if (rc == 0)
        rc = dp_output_escape(out, hit->file, hit->file_len, opts);
    if (rc == 0)
        rc = dp_buf_addf(out, ":%" PRIu32, hit->line);
    if (rc == 0)
        rc = put_sgr(out, opts->color, "\033[0m");
    if (rc == 0)
        rc = dp_buf_adds(out, "  ");
    if (rc == 0)
        rc = dp_output_escape(out, hit->id, hit->id_len, opts);
    if (rc == 0)
        rc = dp_buf_addc(out, '\n');
    if (rc == 0)
        rc = put_text_lines(out, hit->text, hit->text_len, opts);
    if (rc == 0)
        rc = dp_buf_addc(out, '\n');
    return rc;
}

int dp_output_cite(dp_buf *out, const dp_hit *hit, bool target,
                   const dp_output_opts *opts)
{
    dp_output_opts full;
    dp_hit marked;
    size_t len0;
    int rc = DP_EINVAL;

    if (out == NULL || hit == NULL || opts == NULL)
        return DP_EINVAL;
    len0 = out->len;
    full = *opts;
    full.full = true;
    /* Machine formats have no key of their own for it (SPEC: exactly
     * these keys): the score tells the passage asked for (1) from its
     * context (0). */
    marked = *hit;
    marked.score = target ? 1.0 : 0.0;
    switch (opts->format) {
    case DP_FORMAT_TEXT:
        rc = output_cite_text(out, hit, target, opts);
        break;
    case DP_FORMAT_GREP:
        /* FILE:LINE:COL: with the passage on one line. */
        rc = dp_output_escape(out, hit->file, hit->file_len, opts);
        if (rc == 0)
            rc = dp_buf_addf(out, ":%" PRIu32 ":%" PRIu32 ": ", hit->line,
                             hit->match_col ? hit->match_col : 1);
        for (size_t i = 0, start = 0; rc == 0 && i <= hit->text_len; i++) {
            char c = i < hit->text_len ? hit->text[i] : '\n';
            if (c != '\n' && c != '\r' && c != '\t')
                continue;
            if (c == '\n' && i > 0 && i < hit->text_len &&
                hit->text[i - 1] == '\r') {
                start = i + 1; /* CRLF is one line end: one space */
                continue;
            }
            rc = dp_output_escape(out, hit->text + start, i - start, opts);
            if (rc == 0)
                rc = dp_buf_addc(out, i < hit->text_len ? ' ' : '\n');
            start = i + 1;
        }
        break;
    default:
        rc = dp_output_hit(out, &marked, &full);
        break;
    }
    if (rc < 0)
        dp_buf_truncate(out, len0);
    return rc;
}
