/*
 * output.h -- write hits in the user-visible formats.
 *
 * Formats (stable, documented in docs/depeche-search.1):
 *   text   rank, title, §N, section, FILE:LINE, score, snippet (for people)
 *   grep   FILE:LINE:COL: snippet (COL: 1-based byte column of the first
 *          match in that line; editors jump to it)
 *   jsonl  one JSON object per hit with exactly the keys qid (batch only),
 *          rank, score, id, file, passage, line, byte_start, byte_end,
 *          section, title, snippet, highlights (+ text with full)
 *   tsv    the same fields, tab-separated, one header line
 *   trec   QID Q0 ID RANK SCORE depeche
 *
 * Terminal safety: in text and grep output, C0/C1 control characters,
 * DEL, Unicode bidirectional controls and U+2028/U+2029 (line ends for
 * Python's splitlines() and JavaScript) from the corpus are written as
 * escapes (\x1b, \u202e, \u2028), never raw.  JSON strings are escaped
 * per RFC 8259 (and the same bidi controls and separators as \uXXXX).
 * TSV fields escape tab, newline, backslash and control characters as
 * \t \n \\ \xHH, the others as text and grep do.
 * With DP_HL_HTML, text and grep output is HTML-escaped as well.
 */
#ifndef DEPECHE_OUTPUT_H
#define DEPECHE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "depeche/buf.h"
#include "depeche/error.h"
#include "depeche/snippet.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dp_format {
    DP_FORMAT_TEXT = 0,
    DP_FORMAT_GREP,
    DP_FORMAT_JSONL,
    DP_FORMAT_TSV,
    DP_FORMAT_TREC
} dp_format;

typedef enum dp_highlight {
    DP_HL_NONE = 0,
    DP_HL_ANSI,      /* bold on a terminal */
    DP_HL_MARKDOWN,  /* **word** */
    DP_HL_HTML       /* <b>word</b>; text and grep HTML-escape every
                        string of the corpus (dp_output_escape()) */
} dp_highlight;

/* One hit, as the output layer sees it.  Strings are borrowed, UTF-8,
 * with explicit lengths (they may contain NUL only if the corpus did). */
typedef struct dp_hit {
    const char *qid;          /* batch query id, NULL outside batch */
    uint32_t rank;            /* 1-based, counting --offset */
    double score;
    const char *id; size_t id_len;           /* RELPATH#N */
    const char *file; size_t file_len;       /* RELPATH */
    uint32_t passage;                        /* N */
    uint32_t line;                           /* 1-based start line */
    uint32_t match_line;                     /* line of the first match */
    uint32_t match_col;                      /* 1-based byte column of it */
    uint64_t byte_start, byte_end;           /* passage bytes in the file */
    const char *section; size_t section_len; /* "" when none */
    const char *title; size_t title_len;
    const char *date; size_t date_len;       /* "" when unknown */
    const char *source; size_t source_len;
    const char *text; size_t text_len;       /* full passage text */
    const dp_snippet *snippet;
    bool by_neighbours;       /* holds no query word: ranked by the
                                 passages before and after it */
    bool numbered;            /* the file numbers its paragraphs */
    uint32_t paragraph;       /* the file's own number of the paragraph
                                 the passage is part of, 0 if none
                                 (dp_record) */
} dp_hit;

typedef struct dp_output_opts {
    dp_format format;
    dp_highlight highlight;
    bool full;        /* jsonl/tsv: add the passage text */
    bool color;       /* text: colour the citation parts (TTY only) */
} dp_output_opts;

/** Append the header line of @p opts->format (TSV only; nothing else). */
DP_NODISCARD int dp_output_header(dp_buf *out, const dp_output_opts *opts);

/** Append one hit in @p opts->format, ending with a newline (text adds a
 * blank line after each hit).  @return DP_OK, DP_ENOMEM, DP_ELIMIT. */
DP_NODISCARD int dp_output_hit(dp_buf *out, const dp_hit *hit,
                               const dp_output_opts *opts);

/** Append a cited passage (--cite): in text format its title, §N,
 * section, FILE:LINE, id and whole text (escaped for a terminal); @p
 * target marks the passage asked for among context passages ("> ").
 * jsonl, tsv and trec write the hit as dp_output_hit() does, with the
 * text (as with --full: the header of dp_output_header() with full set
 * names that column) and with score 1 for @p target, 0 for context. */
DP_NODISCARD int dp_output_cite(dp_buf *out, const dp_hit *hit, bool target,
                                const dp_output_opts *opts);

/** Append @p s as a JSON string literal (quotes included), RFC 8259
 * escaping; invalid UTF-8 becomes U+FFFD. */
DP_NODISCARD int dp_json_str(dp_buf *out, const char *s, size_t len);

/** Append @p s with control characters, bidi controls and U+2028/U+2029
 * escaped for a terminal (\xHH, \uXXXX); invalid UTF-8 bytes as \xHH. */
DP_NODISCARD int dp_term_escape(dp_buf *out, const char *s, size_t len);

/** Append @p s as the text and grep formats print a string of the
 * corpus: as dp_term_escape() does, and HTML-escaped too (& < > " ')
 * when @p opts asks for text or grep with DP_HL_HTML. */
DP_NODISCARD int dp_output_escape(dp_buf *out, const char *s, size_t len,
                                  const dp_output_opts *opts);

/** Append @p s escaped as a TSV field. */
DP_NODISCARD int dp_tsv_escape(dp_buf *out, const char *s, size_t len);

/** Parse a --format / --highlight value.  @return DP_OK or DP_EINVAL. */
int dp_format_parse(const char *name, dp_format *out);
int dp_highlight_parse(const char *name, dp_highlight *out);

#ifdef __cplusplus
}
#endif
#endif
