/*
 * snippet.h -- pick and highlight the best window of a passage.
 *
 * The passage is re-analysed with the same analyzer as the index; a
 * caller-supplied predicate says which tokens match the query (and which
 * query term each matches).  The best window of about @p max_words words
 * is the one whose distinct query terms weigh most (each 1, or as the
 * caller weighs it: rare words more), then the one with the most
 * matches, then the tightest span, then the earliest.  It is cut at word
 * boundaries; runs of white space (including line ends of hard-wrapped
 * text) become one space; "…" marks a cut at either end.  Every matched
 * token in the window is a highlight, at its original spelling (the
 * highlight covers the original bytes, e.g. "Azerbaïdjan" for the query
 * word "azerbaidjan").
 *
 * Control characters and bidirectional overrides from the text are kept
 * as they are here; escaping for a terminal is the output module's job.
 */
#ifndef DEPECHE_SNIPPET_H
#define DEPECHE_SNIPPET_H

#include <stddef.h>
#include <stdint.h>

#include "depeche/analyzer.h"
#include "depeche/buf.h"
#include "depeche/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DP_SNIPPET_DEFAULT_WORDS 35
#define DP_SNIPPET_MAX_WORDS 1000
/* Highlights kept per snippet; later matches are not highlighted. */
#define DP_SNIPPET_MAX_HIGHLIGHTS 256

typedef struct dp_span {
    size_t start, end; /* half-open byte range */
} dp_span;

/** @return 0 if @p tok does not match the query, else a positive id of
 * the query term it matches (distinct terms count once each). */
typedef int (*dp_match_fn)(const dp_token *tok, void *ctx);

/** The weight of query term @p id (as dp_match_fn returned it) in a
 * window, at least 1 (0 counts as 1); integers, so that the sums of two
 * windows holding the same terms compare equal. */
typedef uint64_t (*dp_weight_fn)(int id, void *ctx);

typedef struct dp_snippet {
    dp_buf text;          /* the snippet, UTF-8 */
    dp_span *hl;          /* highlights, byte ranges within text, sorted */
    size_t nhl;
    size_t hl_cap;
    size_t first_match;   /* byte offset in the passage of the first match
                             in the window; the window start when none */
    size_t win_start;     /* byte range of the window in the passage */
    size_t win_end;
    unsigned nmatched;    /* distinct query terms in the window */
} dp_snippet;

#define DP_SNIPPET_INIT { DP_BUF_INIT, NULL, 0, 0, 0, 0, 0, 0 }

/**
 * Build the snippet of @p text (@p len bytes, a passage) into @p out
 * (reset first).  @p max_words 0 means DP_SNIPPET_DEFAULT_WORDS; values
 * above DP_SNIPPET_MAX_WORDS are clamped.  With no match, the snippet is
 * the start of the passage.
 * @return DP_OK, DP_ENOMEM, DP_EICU.
 */
int dp_snippet_make(dp_snippet *out, dp_analyzer *an, const char *text,
                    size_t len, size_t max_words, dp_match_fn match,
                    void *match_ctx, dp_error *err);

/**
 * dp_snippet_make_filtered() with the query terms weighed by @p weight
 * (called with @p match_ctx); NULL weighs each 1.
 */
int dp_snippet_make_weighted(dp_snippet *out, dp_analyzer *an,
                             const char *text, size_t len, size_t max_words,
                             dp_match_fn match, dp_weight_fn weight,
                             void *match_ctx, const dp_token_filter *filter,
                             dp_error *err);

/**
 * dp_snippet_make(), analysing the passage with
 * dp_analyzer_run_filtered() and @p filter: words it skips reach @p match
 * with DP_TOK_SKIPPED, words whose stems it does not want with
 * DP_TOK_UNSTEMMED.  The snippet is the same as without the filter when
 * @p match would not have matched those words by what they lack.
 */
int dp_snippet_make_filtered(dp_snippet *out, dp_analyzer *an,
                             const char *text, size_t len, size_t max_words,
                             dp_match_fn match, void *match_ctx,
                             const dp_token_filter *filter, dp_error *err);

/** Free the contents of @p s.  NULL is accepted. */
void dp_snippet_release(dp_snippet *s);

#ifdef __cplusplus
}
#endif
#endif
