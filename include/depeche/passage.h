/*
 * passage.h -- split a text file into passages (paragraphs) and headings.
 *
 * A passage is a paragraph.  Paragraphs are separated by blank lines.
 * Inside a block of non-blank lines, each line ends a paragraph unless the
 * block is hard-wrapped (Project-Gutenberg style, ~70 columns), in which
 * case its lines are joined into one paragraph.  A block is judged
 * hard-wrapped from its line lengths and where sentence-final punctuation
 * falls (see passage.c for the rule and docs/architecture.md).
 *
 * A heading is a short unit (line or single-line block) with no
 * sentence-final punctuation that is followed by a paragraph (possibly
 * after further headings); a line that holds two sentences is none ("Le
 * Président. – Merci. Ce point sera corrigé", where "Chapitre II. Le
 * commerce" and "M. Barroso" are headings); a closing group in parentheses is read past
 * ("… (fin d'intervention)" after a full stop ends a sentence), and a
 * line of such groups only is a note, not a heading ("(Applaudissements)").  Headings are not passages; the last heading
 * seen is the section of the passages after it.
 *
 * Markdown (DP_TEXT_MARKDOWN: ".md" files) also has explicit headings,
 * "## Titre ##" (ATX) and a line underlined with "===" or "---" (Setext),
 * whatever their length or punctuation; a heading's span is its text
 * without the markup ("Titre"), and underlines and thematic breaks ("***")
 * are no unit.  See passage.c for the exact rules.
 *
 * Line ends may be LF, CRLF or a lone CR.  Lines are 1-based, byte
 * offsets are half-open [start, end) into the text given; a unit's span
 * excludes leading and trailing white space (and a leading U+FEFF).
 * Runs in time linear in the text; memory use does not grow with it.
 */
#ifndef DEPECHE_PASSAGE_H
#define DEPECHE_PASSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "depeche/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Headings longer than this (in code points) are paragraphs. */
#define DP_HEADING_MAX_CHARS 160

typedef enum dp_unit_kind {
    DP_UNIT_PASSAGE = 0,
    DP_UNIT_HEADING = 1
} dp_unit_kind;

typedef struct dp_passage {
    dp_unit_kind kind;
    uint32_t ordinal;        /* passages: 1-based, headings not counted;
                                headings: ordinal of the next passage */
    uint32_t line;           /* 1-based line where the unit starts */
    uint32_t line_end;       /* 1-based line where it ends */
    size_t start, end;       /* bytes of the unit's text */
    size_t sec_start;        /* bytes of the current section heading; */
    size_t sec_end;          /* sec_start == sec_end when there is none */
    size_t run_start;        /* start of the run of headings the section
                                heading ends (headings one after the other,
                                blank lines between, not the one opening
                                the text, its title); sec_start when it
                                stands alone (dp_passage_run()) */
} dp_passage;

/** Called once per unit, in text order.  A non-zero return stops the
 * split and is passed back by dp_passage_split(). */
typedef int (*dp_passage_cb)(const dp_passage *p, void *ctx);

/* How a text marks its headings. */
typedef enum dp_text_format {
    DP_TEXT_PLAIN = 0,    /* headings are told from their shape only */
    DP_TEXT_MARKDOWN = 1  /* also ATX and Setext headings, breaks */
} dp_text_format;

/** The format of a file named @p name (a path; NULL is plain):
 * DP_TEXT_MARKDOWN for ".md" and ".markdown" in any case, else plain. */
dp_text_format dp_passage_format_of(const char *name);

/**
 * Split @p text (UTF-8, @p len bytes) into headings and passages.
 * @return DP_OK, the first non-zero @p cb result, or DP_EINVAL (NULL
 * @p cb, or NULL @p text with @p len > 0).
 * Thread-safe (no shared state).
 */
int dp_passage_split(const char *text, size_t len, dp_passage_cb cb,
                     void *ctx, dp_error *err);

/** The headings of @p p's section run, [p->run_start, p->sec_end) of
 * @p text (format @p fmt), oldest first: their bytes into @p starts and
 * @p ends, at most @p max of them (the last ones).  @return how many. */
size_t dp_passage_run(const char *text, const dp_passage *p,
                      dp_text_format fmt, size_t *starts, size_t *ends,
                      size_t max);

/** dp_passage_split() of a text in format @p fmt. */
int dp_passage_split_as(const char *text, size_t len, dp_text_format fmt,
                        dp_passage_cb cb, void *ctx, dp_error *err);

/* A Markdown file's YAML front matter (Jekyll, Hugo, Pandoc). */
typedef struct dp_front_matter {
    size_t end;                  /* first byte after its closing line */
    uint32_t lines;              /* lines it takes, both marks included */
    size_t title_start, title_end; /* the raw value of its "title:" key */
    size_t date_start, date_end;   /* and of "date:"; empty if none */
} dp_front_matter;

/**
 * Whether @p text (format @p fmt) opens with YAML front matter, and where
 * it ends: a Markdown text whose first line is "---" (after a byte order
 * mark; white space after it allowed), up to a line "---" or "...", with
 * at least one "key:" line and nothing but keys, indented lines, list
 * items ("- ") and comments between.  Anything else ("---" then a
 * paragraph, or never closed) is a thematic break, and not front matter.
 * The front matter is no unit: dp_passage_split_as() starts after it.
 * @p fm is zeroed when there is none.
 */
bool dp_passage_front_matter(const char *text, size_t len, dp_text_format fmt,
                             dp_front_matter *fm);

/**
 * A front-matter value [@p start, @p end) of @p text as text, into @p out
 * (room for end - start + 1 bytes; the result is never longer): its lines
 * joined by one space without their indentation, a block scalar's "|" or
 * ">" dropped, quotes taken off ('l''Europe', "dit \"non\"") or a plain
 * value's " # comment" cut.  @return its length (0: empty).
 */
size_t dp_passage_meta_value(const char *text, size_t start, size_t end,
                             char *out);

/* Paragraph numbers have at most this many digits ("999999999."): a
 * uint32_t holds them, and no file of DP_MAX_FILE_BYTES has that many
 * paragraphs, so a file's numbering never runs past them (a number it
 * could not read would make paragraph 10000 part of paragraph 9999). */
#define DP_PASSAGE_NUMBER_DIGITS 9
/* A file numbers its paragraphs with at least this many numbers. */
#define DP_PASSAGE_NUMBERED_MIN 3

/**
 * The number the paragraph @p text (@p len bytes) opens with, as
 * documents number their paragraphs: "12. Les Parties…" (digits, then a
 * full stop and white space or the end) or "§ 12 …", "§12. …" (the
 * section sign, then the digits and white space, a full stop or the
 * end); white space before it is skipped.  1 to 999999999, no leading
 * zero;
 * 0 when the text opens with no such number ("1.5 million", "12 États",
 * "2025 a vu").
 */
uint32_t dp_passage_number(const char *text, size_t len);

/**
 * Whether the numbers the @p n passages of a file open with (in file
 * order, from dp_passage_number(), 0 for none) number its paragraphs:
 * those that are not 0 run 1, 2, 3… with none left out, repeated or
 * out of order, there are at least DP_PASSAGE_NUMBERED_MIN of them, and
 * at least a quarter of the passages open with one.  A short numbered
 * list inside a text ("1.", "2.", "3." among thirty paragraphs), or a
 * numbering that starts again in each part, is not a numbering of the
 * file's paragraphs.
 */
bool dp_passage_numbered(const uint32_t *nums, size_t n);

#ifdef __cplusplus
}
#endif
#endif
