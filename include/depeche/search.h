/*
 * search.h -- rank passages with BM25, build their snippets, look up
 * citations.
 *
 * A dp_searcher holds an open index, an analyzer and scratch space: one
 * per thread.  Queries go through the same analyzer as the texts.  Free
 * text is ranked with Xapian's BM25 over the stems of the folded words;
 * French stop words are dropped unless the query has nothing else.
 * Results own their hits: the strings of a dp_hit stay valid until
 * dp_results_free().
 */
#ifndef DEPECHE_SEARCH_H
#define DEPECHE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "depeche/error.h"
#include "depeche/index.h"
#include "depeche/output.h"

#ifdef __cplusplus
extern "C" {
#endif

/* BM25 defaults: the values tuned for passage retrieval on MS MARCO by
 * Anserini, a collection of short passages like ours, not tuned here;
 * docs/relevance.md records the grid on PIAF around them. */
#define DP_BM25_K1 0.82
#define DP_BM25_B  0.68
/* Ranking beyond BM25 on the passage, each measured on the PIAF
 * development questions (docs/relevance.md): a query word found in the
 * title or section heading counts this much of a passage word... */
#define DP_CONTEXT_WEIGHT 0.3
/* ...a query word found only through its truncation (its first
 * DP_TRUNC_CHARS letters: "conquis", "conquêtes") this much... */
#define DP_TRUNC_WEIGHT 0.4
/* ...a passage word of exactly the query word's form (folded: accents and
 * case aside), besides its stem, this much more ("négociations" ranks a
 * passage that writes "négociations" above one that writes only
 * "négociation")... */
#define DP_EXACT_WEIGHT 0.3
/* ...but a word typed with a capital, a name most often, is searched
 * first as written: its exact form weighs what the word does, and its
 * stem, its other inflections, this much ("Santer" is not "santé", whose
 * stem Snowball shares; "Gaza" is not "gaz")... */
#define DP_CAPITAL_STEM_WEIGHT 0.4
#define DP_CAPITAL_EXACT_WEIGHT 1.0
/* ...a subject word, one that at least DP_SUBJECT_SHARE of the passages
 * holding it have in their title or section heading ("Museveni" among
 * the passages of the article "Yoweri Museveni"), weighs this much in the
 * passage text, and this much instead of the context weight in the title
 * or heading: the title already ranks every passage of the document, and
 * how often a passage repeats its subject says little about which one is
 * asked for... */
#define DP_SUBJECT_SHARE 0.5
#define DP_SUBJECT_TEXT_WEIGHT 0.7
#define DP_SUBJECT_CONTEXT_WEIGHT 1.0
/* ...a free word that no passage holds in any form (stem, truncation,
 * title or heading), most likely misspelt, is also searched as the most
 * frequent word of the index one edit away from it, this much... */
#define DP_CORRECTION_WEIGHT 1.0
#define DP_CORRECT_MIN_CHARS 4 /* shorter words are never corrected */
#define DP_MAX_CORRECTIONS 8    /* unknown words corrected per query */
/* ...and, when asked (--proximity), neighbouring query words found within
 * this many words of each other add this share of their weight again.  Off
 * by default: Xapian 1.4 weights these NEAR pairs (under AND_MAYBE)
 * depending on the order of document ids -- a sharded index, a -j build
 * or files indexed in another order score differently (measured;
 * docs/relevance.md) -- and SPEC §9 wants the same scores from all. */
#define DP_PROXIMITY_WINDOW 0
#define DP_PROXIMITY_WEIGHT 0.25
/* A query of free words only also ranks a passage by its neighbours: each
 * of the DP_NEIGHBOUR_TOP best passages (by the score above) gives the
 * passages just before and after it in its file this share of its score,
 * half to each.  A passage next to a strong match ranks up, and one that
 * holds none of the words (the question's answer often follows the
 * sentence that names its subject) becomes a hit of its own. */
#define DP_NEIGHBOUR_WEIGHT 0.2
#define DP_NEIGHBOUR_TOP 25
/* Only a query of at least this many words (stop words aside) does: a
 * one-word lookup lists the passages holding the word, and nothing else. */
#define DP_NEIGHBOUR_MIN_WORDS 2

/* Upper bounds on what one query may ask for. */
#define DP_MAX_HITS 100000
#define DP_MAX_QUERY_BYTES (64 * 1024)

typedef struct dp_search_opts {
    uint32_t k;            /* hits wanted */
    uint32_t offset;       /* hits skipped */
    double k1, b;          /* BM25 parameters */
    size_t snippet_words;  /* 0: DP_SNIPPET_DEFAULT_WORDS */
    bool exact_count;      /* count every match (--count), not estimate */
    bool lenient;          /* malformed queries read as plain words */
    bool no_snippets;      /* skip snippets (TREC runs, counts) */
    double context_weight; /* weight of a word found in the title or
                              section rather than the passage (0: off) */
    double truncation_weight; /* weight of a word's truncation (0: off) */
    double exact_weight;   /* bonus of a word's exact (folded) form (0: off) */
    double capital_stem_weight;  /* a capitalised word's stem, and */
    double capital_exact_weight; /* its exact form (instead of 1 and
                                    exact_weight) */
    double subject_text_weight;    /* a subject word's passage terms, and */
    double subject_context_weight; /* its title/section term (instead of 1
                                      and context_weight) */
    double correction_weight; /* weight of the spelling correction of a
                                 word the index lacks (0: off) */
    uint32_t proximity_window;  /* 0: no proximity bonus */
    double proximity_weight;
    double neighbour_weight; /* share of a top passage's score its
                                neighbours get (0: off) */
    bool explain;          /* explain each hit with the search (the same
                              revision of the index, retried with it);
                              dp_search_explain() then reads nothing */
} dp_search_opts;

/** Fill @p o with the defaults (k 10, offset 0, BM25 defaults). */
void dp_search_opts_init(dp_search_opts *o);

typedef struct dp_searcher dp_searcher;
typedef struct dp_results dp_results;

/**
 * Open the index at @p index_path for searching.
 * @return DP_OK, DP_ENOTFOUND, DP_ESCHEMA, DP_ECORRUPT, DP_EXAPIAN,
 * DP_EICU, DP_ENOMEM.
 */
int dp_searcher_open(dp_searcher **out, const char *index_path,
                     dp_error *err);

/** Like dp_searcher_open(), with index flags DP_INDEX_READ or
 * DP_INDEX_PARTIAL (a sharded index with shards down: search the others;
 * dp_index_missing_shards() on dp_searcher_index() names them). */
int dp_searcher_open_index(dp_searcher **out, const char *index_path,
                           unsigned flags, dp_error *err);

/** Free a searcher.  NULL is accepted. */
void dp_searcher_free(dp_searcher *s);

/** The index behind @p s; borrowed until dp_searcher_free(). */
dp_index *dp_searcher_index(dp_searcher *s);

/**
 * What the index behind @p s holds (dp_index_stats_get()), read again on
 * the latest revision when a writer's commits discard the one it read,
 * like the searches below.
 * @return DP_OK, DP_ECORRUPT, DP_EXAPIAN, DP_ENOMEM.
 */
int dp_searcher_stats(dp_searcher *s, dp_index_stats *out, dp_error *err);

/**
 * Parse @p query (UTF-8, @p len bytes; the language of query.h), run it
 * and build the hits with snippets.
 * @return DP_OK (possibly with no hits), DP_ESYNTAX and DP_ELIMIT
 * ("column C: what" in @p err), DP_EXAPIAN, DP_ENOMEM.
 */
int dp_search_run(dp_searcher *s, const char *query, size_t len,
                  const dp_search_opts *opts, dp_results **out,
                  dp_error *err);

/**
 * Look up a citation: "RELPATH#N" (the N-th passage), "RELPATH§N" (the
 * paragraph the file numbers N when it numbers its paragraphs: the
 * passage that opens with "N." and those after it up to "N+1."; else as
 * "RELPATH#N"; white space around the "§" and a full stop after N are
 * taken, as "§ 12." is copied from a text), "RELPATH:LINE", or any of
 * them with RELPATH replaced by a unique prefix of it; a bare RELPATH (or prefix) means its first
 * passage.  The hits are the passages asked for and up to @p context
 * passages before and after them, in file order; dp_results_target()
 * and dp_results_targets() tell which were asked for.  Only the index is
 * read, never a file.
 * @return DP_OK, DP_ENOTFOUND (message names the reference, its number
 * as typed however large), DP_EINVAL
 * (ambiguous prefix: message lists candidates), DP_EXAPIAN, DP_ENOMEM.
 */
int dp_search_cite(dp_searcher *s, const char *ref, uint32_t context,
                   dp_results **out, dp_error *err);

/**
 * Suggest a corrected query: each word of @p query that the index does
 * not know is replaced by the closest known word (edit distance 1 for
 * words up to 4 letters, else 2; the most frequent among the closest).
 * The suggestion parses without lenient reading, compiles and finds a
 * passage; a query that only parses leniently gets none.
 * @return DP_OK with the suggestion in @p out, DP_ENOTFOUND when there is
 * nothing to suggest (never the query itself), DP_EXAPIAN, DP_ENOMEM.
 */
int dp_search_suggest(dp_searcher *s, const char *query, size_t len,
                      dp_buf *out, dp_error *err);

/* How a quotation was found. */
typedef struct dp_quote_match {
    bool exact;        /* all its words, in order, consecutive */
    bool spans;        /* exact, across the end of hit 1 and the start of
                          hit 2 (the next passage, with hit 1's score) */
    double coverage;   /* matched / words */
    size_t words;      /* words in the quotation */
    size_t matched;    /* of them found in order in the passage */
    size_t other_form; /* of those, found in another form (the same stem:
                          "militaire" for "militaires"), approximate only */
} dp_quote_match;

/**
 * Find where the quotation @p text comes from, insensitive to case,
 * accents, apostrophe and quote styles, punctuation and spacing: first
 * passages holding its words in sequence (exact), else in sequence but
 * for footnote calls ("[1]") and where the quotation has an ellipsis
 * ("[…]"), among the best BM25 candidates (exact), then a sequence running
 * from the end of one passage into the next (exact, spans), else the
 * passage with the longest in-order overlap among the best BM25
 * candidates, a word counting when it stands there in another form (the
 * same stem: a misquoted plural), less than the same word (approximate;
 * coverage says how much).  No hits when no
 * word of it is in the index.
 * @return DP_OK, DP_ESYNTAX (no word), DP_ELIMIT, DP_EXAPIAN, DP_ENOMEM.
 */
int dp_search_quote(dp_searcher *s, const char *text, size_t len,
                    const dp_search_opts *opts, dp_results **out,
                    dp_quote_match *m, dp_error *err);

/** Number of hits held. */
size_t dp_results_size(const dp_results *r);
/** Hit @p i; borrowed until dp_results_free(). */
const dp_hit *dp_results_hit(const dp_results *r, size_t i);
/** Matching passages: estimated, exact with opts.exact_count. */
uint64_t dp_results_total(const dp_results *r);
/** For citations: index of the (first) passage asked for. */
size_t dp_results_target(const dp_results *r);
/** For citations: how many passages were asked for, from
 * dp_results_target() on: those of a numbered paragraph ("§9" of a file
 * that numbers its paragraphs, dp_passage_numbered()), else 1. */
size_t dp_results_targets(const dp_results *r);
/** Notes about how the query was read (e.g. a bounded prefix
 * expansion), one per line, "" if none; borrowed until dp_results_free(). */
const char *dp_results_notices(const dp_results *r);

/**
 * Explain the score of hit @p i of @p r (from dp_search_run() on @p s):
 * appends one line per query term, "TERM\tTF\tDF\tIDF\tBM25" (TERM is a
 * folded word, or ~STEM for a stemmed one), then
 * "=other\tWEIGHT" when the terms do not add up to the score (the
 * proximity bonus of neighbouring query words; prefix and fuzzy
 * expansions, weighted together by Xapian, are not listed; negative when
 * the passage holds the words of a phrase of the query, listed, but not
 * the phrase, which the score does not count), then
 * "=neighbours\tWEIGHT" for the share of the score that comes from the
 * passages before and after it (DP_NEIGHBOUR_WEIGHT), then
 * "=length\tLENGTH\tAVERAGE\tSUM\tSCORE" (Xapian's document length, which
 * BM25 normalises by: 2 per passage word -- folded form and stem -- plus
 * 1 per title and section word).  A title/section word is
 * listed as "title/section ~STEM", already scaled by the context weight.
 * With dp_search_opts.explain, the explanation made with the search is
 * returned; otherwise it is computed now, and a writer's commits since the
 * search can make it fail with DP_EMODIFIED (search again, then explain).
 * @return DP_OK, DP_EMODIFIED, DP_EXAPIAN, DP_ENOMEM.
 */
int dp_search_explain(dp_searcher *s, const dp_results *r, size_t i,
                      dp_buf *out, dp_error *err);

/** Free results.  NULL is accepted. */
void dp_results_free(dp_results *r);

#ifdef __cplusplus
}
#endif
#endif
