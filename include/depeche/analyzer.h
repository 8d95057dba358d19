/*
 * analyzer.h -- French text analysis: bytes to searchable terms.
 *
 * One pipeline serves indexing and querying, so that a word typed in a
 * query and the same word in a text always give the same terms:
 *
 *   UTF-8 text -> ICU word segmentation (locale fr) -> elision stripping
 *   (l' d' j' m' n' s' t' c' qu' jusqu' lorsqu' puisqu' quoiqu', after
 *   ' U+2019 or U+02BC, or U+2018 U+FF07 U+00B4 ` typed in their place;
 *   also such an article apart from its word, before
 *   a vowel or an h one space or line end away, or typed without its
 *   apostrophe: "l homme", "de l’ Europe") -> folding (NFKC compatibility forms, ligatures
 *   expanded, accents removed, lowercase, apostrophes unified) and
 *   Snowball French stemming, both ways round (below).
 *
 * Each token carries three forms: `norm`, the folded unstemmed word
 * (indexed with positions, for phrases and exact words); `stem`, for
 * ranking: Snowball French on the lowercase accented word, then folded
 * ("nationalité" -> "national", "première" -> "premi"), since Snowball's
 * French rules read accents; and `alt`, Snowball on the folded word when
 * that gives another stem ("nationalite" -> "nationalit", "premiere" ->
 * "premier"), else empty.  The index holds both stems of a word, and a
 * query searches its `stem` only: a word typed with accents matches by
 * the accented pipeline, and a word typed without them, whose `stem` is
 * the stem of its fold, matches the `alt` of the accented text, in every
 * inflection.  (Measured on PIAF: docs/relevance.md.)  A number is its own
 * stem, and an ordinal's stem is its value and "e" however it is written:
 * "21e", "21ème", "21eme", "XXIe", "XXIème" -> "21e"; "1er", "1re",
 * "1ère", "Ier" -> "1e"; "2nd", "2nde" -> "2e" (Roman numerals I, V, X up
 * to XXXIX, in capitals, before a lower-case suffix: "Inde" and "vie" are
 * words; digits with a leading zero too: "0021e" is its own stem, as
 * "0021" is).  A number written with its thousands apart, as French writes
 * them ("15 000", "2 500,75", "1 234 567": groups of three digits after a
 * space, a no-break space U+00A0, a narrow no-break space U+202F or a thin
 * space U+2009), is one word without the spaces ("15000", "2500,75"), as
 * if typed so (dp_analyzer_number_end()).
 *
 * Byte offsets are half-open [start, end) into the text given to
 * dp_analyzer_run(), never into the normalised text; an elided article is
 * outside the span ("l’Azerbaïdjan" -> start 4).  Positions are word
 * ordinals: the parts of "libre-échange" or "JF-17" get consecutive
 * positions, so phrase queries work across hyphens.
 *
 * Invalid UTF-8 never crashes the analyzer: ill-formed bytes are treated as
 * U+FFFD (a non-word character).
 *
 * A dp_analyzer owns ICU and Snowball state: use one per thread.
 */
#ifndef DEPECHE_ANALYZER_H
#define DEPECHE_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "depeche/buf.h"
#include "depeche/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longer words are skipped (never truncated): no real French word is this
 * long, and Xapian refuses terms over 245 bytes. */
#define DP_MAX_TERM_BYTES 200

/* Token flags. */
#define DP_TOK_STOP   (1u << 0) /* a French stop word (le, de, et, ...) */
#define DP_TOK_NUMBER (1u << 1) /* starts with a digit (2019, 7,3, 13e) */
#define DP_TOK_DIGIT  (1u << 2) /* holds a digit (2019, cop29, qz00017) */
#define DP_TOK_UNSTEMMED (1u << 3) /* stems not computed: "" (see
                                      dp_analyzer_run_filtered()) */
#define DP_TOK_SKIPPED (1u << 4) /* only offsets and position: norm, stem
                                    and alt "" (dp_analyzer_run_filtered()) */

typedef struct dp_token {
    const char *norm;   /* folded, unstemmed: "azerbaidjan"; borrowed */
    size_t norm_len;
    const char *stem;   /* folded Snowball stem of the word; borrowed */
    size_t stem_len;
    const char *alt;    /* Snowball stem of norm if not stem, else ""; */
    size_t alt_len;     /* borrowed */
    size_t start, end;  /* bytes of the word in the input, elision excluded */
    uint32_t pos;       /* word position, first_pos for the first word */
    unsigned flags;     /* DP_TOK_* */
} dp_token;

/** Called once per token, in text order.  The strings are valid only
 * during the call.  A non-zero return stops the analysis and is passed
 * back by dp_analyzer_run(). */
typedef int (*dp_token_cb)(const dp_token *tok, void *ctx);

typedef struct dp_analyzer dp_analyzer;

/**
 * Create an analyzer (ICU word break iterator for "fr", folding
 * transliterator, Snowball French stemmer).
 * @return DP_OK, DP_ENOMEM, DP_EICU or DP_EXAPIAN.
 */
int dp_analyzer_new(dp_analyzer **out, dp_error *err);

/** Free an analyzer.  NULL is accepted. */
void dp_analyzer_free(dp_analyzer *an);

/**
 * Call @p cb once per token of @p text (UTF-8, @p len bytes), in order.
 * Positions start at @p first_pos.  A word whose folded form exceeds
 * DP_MAX_TERM_BYTES gives no token but still takes a position.
 * @return DP_OK, the first non-zero @p cb result, DP_ENOMEM, DP_EICU,
 * DP_EXAPIAN (stemmer), DP_EINVAL (NULL argument) or DP_ELIMIT (@p len
 * over INT32_MAX: ICU's break iterators use 32-bit offsets).
 */
int dp_analyzer_run(dp_analyzer *an, const char *text, size_t len,
                    uint32_t first_pos, dp_token_cb cb, void *ctx,
                    dp_error *err);

/**
 * The end of a number written with its digits in groups of three ("15 000",
 * "2 500,75", "1 234 567"; the groups apart by one space, no-break space,
 * narrow no-break space or thin space, the last one perhaps followed by a
 * decimal part) that starts with the 1 to 3 ASCII digits [@p s, @p e) of
 * @p text (@p len bytes); @p e when no group follows, or when @p s, @p e
 * are not 1 to 3 digits.  A group is exactly three digits, not followed by
 * a letter or a digit ("15 0001", "3 000km" are not numbers in groups).
 * The analyzer makes such a number one word, and the query parser one
 * word too ("15 000" in a query is the number 15000).
 */
size_t dp_analyzer_number_end(const char *text, size_t len, size_t s,
                              size_t e);

/** Decides from a word's folded form, or its head (see dp_token_filter),
 * whether the word is wanted. */
typedef bool (*dp_stem_filter)(const char *norm, size_t len, void *ctx);

/** What a run needs of each word (dp_analyzer_run_filtered()). */
typedef struct dp_token_filter {
    /* From the word's folded form: are its stems wanted?  NULL: always. */
    dp_stem_filter want_stems;
    /* From the word's head, the first DP_STEM_KEEPS code points of its
     * folded form (all of it when shorter): can the word matter at all?
     * NULL: always. */
    dp_stem_filter may_matter;
    void *ctx;
} dp_token_filter;

/**
 * dp_analyzer_run(), with @p filter (NULL: none):
 * - a word whose head may_matter() rejects gives a token with its offsets
 *   and position only: flags DP_TOK_SKIPPED | DP_TOK_UNSTEMMED, empty
 *   `norm`, `stem` and `alt` (it is folded by the build-time table only, not
 *   looked up, stemmed or tested as a stop word: most words of a passage
 *   cannot match a query; a word the table cannot fold takes the full
 *   path);
 * - otherwise a word is stemmed only if want_stems() says so or the
 *   analyzer's cache already holds its stems; else its token has the flag
 *   DP_TOK_UNSTEMMED and empty `stem` and `alt` (unstemmed words are
 *   cached too, and stemmed when a later run wants them).
 * The tokens, their offsets and positions are those of dp_analyzer_run()
 * otherwise.  A snippet wants only the words whose stems can be a query's
 * (dp_analyzer_may_stem_to()) or whose head is one of its words'.
 */
int dp_analyzer_run_filtered(dp_analyzer *an, const char *text, size_t len,
                             uint32_t first_pos,
                             const dp_token_filter *filter, dp_token_cb cb,
                             void *ctx, dp_error *err);

/** The head of the folded word @p norm: the byte length of its first
 * DP_STEM_KEEPS code points (all of it when shorter). */
size_t dp_analyzer_head_len(const char *norm, size_t len);

/* Snowball French never changes a word's first two letters: its suffix
 * rules act within the regions RV, R1 and R2, which begin after the second
 * letter at the earliest, and the marks its prelude puts on some vowels
 * are undone by its postlude.  So a token's `stem` and `alt` each begin with
 * the first DP_STEM_KEEPS code points of its `norm`, or are shorter and
 * equal to its start -- except an ordinal in Roman numerals, whose stem is
 * its value ("XXIe": "21e", see dp_analyzer_run()).  (Checked on every token of the Europarl corpus, of
 * PIAF and of the 346,205 words of Debian's wfrench list: no exception;
 * tests/test_analyzer.c keeps a table of hard cases.  Outside French a few
 * letters fold otherwise once lower-cased, the lunate sigma and the Latin
 * capital iota: the accented pipeline's stem of such a word is not kept,
 * and its stem is the folded word's.) */
#define DP_STEM_KEEPS 2

/** @return false when no token whose folded form is @p norm can have
 * @p stem as its `stem` or `alt` (by DP_STEM_KEEPS, and a stem starting
 * with a digit for a norm starting with i, v or x); true otherwise.
 * Thread-safe. */
bool dp_analyzer_may_stem_to(const char *norm, size_t len, const char *stem,
                             size_t stem_len);

/** Is @p stem an ordinal's stem, its value and "e" ("21e", "1e"; not
 * "0e" or "0021e": a value has no leading zero)?  Thread-safe. */
bool dp_analyzer_is_ordinal_stem(const char *stem, size_t len);

/** Longest folded spelling of an ordinal (dp_analyzer_ordinal_forms()),
 * NUL included. */
#define DP_ORDINAL_FORM_BYTES 24
/** Most spellings of one ordinal: 8 suffixes in digits, 5 in Roman
 * numerals. */
#define DP_ORDINAL_FORMS 13

/** The folded spellings the analyzer reads as the ordinal whose stem is
 * @p stem (dp_analyzer_is_ordinal_stem()): its digits with each ordinal
 * suffix ("21e", "21eme", "21ieme"...), and, up to 39, its Roman numerals
 * with the suffixes they take ("xxie", "xxieme"...; not "ieme", since
 * "xxiieme" is also XXIIème), into @p forms.
 * @return how many (0 for a stem that is no ordinal's, or whose value has
 * more than 5 digits: a phrase then matches its folded word).
 * Thread-safe. */
size_t dp_analyzer_ordinal_forms(const char *stem, size_t len,
                                 char forms[][DP_ORDINAL_FORM_BYTES]);

/**
 * Fold one word the way dp_analyzer_run() folds a token (compatibility
 * forms, ligatures, accents, case, apostrophes), appending to @p out.
 * No segmentation and no elision stripping.  Used for prefix queries.
 * @return DP_OK, DP_ENOMEM, DP_ELIMIT (folded word over
 * DP_MAX_TERM_BYTES), DP_EICU or DP_EINVAL.
 */
int dp_analyzer_fold(dp_analyzer *an, const char *word, size_t len,
                     dp_buf *out, dp_error *err);

/**
 * Stem an already folded word with Snowball French, appending to @p out:
 * the `alt` of a token whose `norm` it is when that is not empty, else its
 * `stem`.  Every such stem is in the index.
 * A word starting with a digit is its own stem, as in dp_analyzer_run(),
 * an ordinal excepted ("21eme", "1er": "21e", "1e"); an ordinal in Roman
 * numerals is told by its capitals, which a folded word has lost, so
 * "xxie" gets Snowball's stem here.
 * @return DP_OK, DP_ENOMEM, DP_EXAPIAN or DP_EINVAL.
 */
int dp_analyzer_stem(dp_analyzer *an, const char *norm, size_t len,
                     dp_buf *out, dp_error *err);

/* A word's truncation: its first DP_TRUNC_CHARS characters. */
#define DP_TRUNC_CHARS 5

/**
 * The length in bytes of the truncation of the folded word @p norm: its
 * first DP_TRUNC_CHARS code points (all of it when shorter).  Truncation
 * is a cruder conflation than stemming that also joins derived words
 * ("conquis", "conquête"; "Nielson", "Nielsen") and is searched
 * with a lower weight.  Thread-safe.
 */
size_t dp_analyzer_trunc_len(const char *norm, size_t len);

/** @return true if a token with DP_TOK_* @p flags has its truncation
 * indexed and searched: a word that is not a stop word and holds no digit
 * (numbers and codes such as COP29 or A380 are never truncated). */
bool dp_analyzer_truncates(unsigned flags);

/** @return true if the folded word @p norm is a French stop word.
 * Thread-safe (reads a constant table). */
bool dp_analyzer_is_stopword(const char *norm, size_t len);

/** @return true if the code point @p c is one of the apostrophes the
 * analyzer elides at:
 * ' U+2019 U+02BC, and U+2018 U+FF07 U+00B4 ` typed in their place. */
bool dp_analyzer_is_apostrophe(int32_t c);

/** @return true if @p word (@p len bytes, ASCII case ignored) is an elided
 * word ("l", "qu", "jusqu", ...) that the analyzer drops before the word
 * it is glued to.  Thread-safe (reads a constant table). */
bool dp_analyzer_is_elision(const char *word, size_t len);

#ifdef __cplusplus
}
#endif
#endif
