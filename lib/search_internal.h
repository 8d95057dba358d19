/* search_internal.h -- what the files of the search module share (never
 * installed).  Each function's comment is at its definition. */
#ifndef DEPECHE_SEARCH_INTERNAL_H
#define DEPECHE_SEARCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "depeche/analyzer.h"
#include "depeche/query.h"
#include "depeche/search.h"
#include "depeche/snippet.h"
#include "index_internal.h"

struct dp_searcher {
    dp_index *idx;
    dp_analyzer *an;
    dp_buf scratch;
};

/* A set of strings, sorted once built, searched by bsearch. */
typedef struct termset {
    char **v;
    size_t *lens;
    double *w;          /* weight of each addition; after termset_seal()
                           the sum over a term's additions */
    size_t n, cap;
} termset;

/* One hit and the storage its strings point into. */
typedef struct hit_slot {
    dp_hit hit;
    uint32_t docid;
    uint32_t col;          /* 1-based byte column where the passage starts */
    dp_buf storage;        /* the data record */
    dp_buf id;             /* RELPATH#N */
    dp_snippet snippet;
    double neighbours;     /* share of the score from its neighbours */
    dp_buf explain;        /* its explanation (dp_search_opts.explain) */
} hit_slot;

struct dp_results {
    hit_slot *slots;
    size_t n;
    uint64_t total;
    size_t target;
    size_t targets;        /* passages asked for from target on (a
                              paragraph of several passages), 0 for 1 */
    dp_buf notices;        /* bounded expansions etc., one per line */
    termset explain;       /* Xapian terms --explain reports */
    double k1, b;          /* the BM25 parameters used */
    bool explained;        /* each slot's explain holds its explanation */
};

/* The head (dp_analyzer_head_len()) a word of a passage must have to match
 * a query term, packed in 64 bits; a stem of fewer code points than a head
 * must begin it (prefix). */
typedef struct qhead {
    uint64_t key;
    uint8_t len;
    bool prefix;
} qhead;

/* The exact phrases of a query ("État de droit", Saint-Domingue), or its
 * NEAR groups: their words are highlighted where the phrase or the group
 * stands, not wherever they occur.  Phrase k is words[first[k]], ...
 * words[first[k] + count[k] - 1]. */
typedef struct phrase_set {
    termset words;     /* unsealed: in phrase order, repeats kept */
    size_t *first, *count;
    uint32_t *window;  /* NEAR groups: the positions a group's words span
                          at most, in any order (N + words - 1) */
    size_t n, cap;
} phrase_set;

/* What a compiled query keeps besides the Xapian query: the words to
 * highlight, the terms --explain reports, and notices for the user. */
typedef struct compiled {
    xshim_query *xq;
    termset stems;     /* free words, highlighted by stem */
    termset truncs;    /* ... or, failing that, by truncation */
    termset norms;     /* exact words, windowed phrases, expansions,
                          words typed with a capital: folded form */
    termset weak;      /* stems of words typed with a capital: in
                          snippets their exact form (norms) comes first,
                          and their stem weighs capital_stem_weight */
    phrase_set phrases;  /* exact phrases */
    phrase_set nears;    /* NEAR groups (words and phrases pooled) */
    termset explain;   /* Xapian terms whose weight --explain shows, with
                          the scale of each time the query uses them */
    qhead *heads;      /* of stems, norms, truncs
                          (dp_search_may_matter_compiled()) */
    size_t nheads;
    bool number_heads; /* a stem is a number: an ordinal may match whatever
                          its head (Roman numerals, "1re" for "1e") */
    dp_buf notices;    /* one line each, for stderr */
    bool keep_stops;   /* the query is only stop words */
    double context_weight; /* of title/section stems against body stems */
    double doccount;       /* passages in the index, 0 until read */
    uint64_t *id_weight;   /* snippet weight of each match id of
                              dp_search_match_compiled() (NULL: each 1) */
    double truncation_weight;  /* of truncations against body stems */
    double exact_weight;       /* of a word's exact form, besides its stem */
    double capital_stem_weight;  /* of a capitalised word's stem, and */
    double capital_exact_weight; /* of its exact form */
    double subject_text_weight;    /* a subject word's text terms, and */
    double subject_context_weight; /* its title/section term */
    double correction_weight;  /* of the correction of an unknown word */
    unsigned corrections;      /* unknown words looked up so far */
    uint32_t proximity_window; /* pairs of query words this close rank up */
    double proximity_weight;   /* by this share of their own weight */
    bool free_words;   /* free words only: neighbours may rank passages */
    unsigned words;    /* ranking words searched (stop words dropped) */
} compiled;

/* One analysed token, owned. */
typedef struct qtok {
    char *norm, *stem;
    char *alt;             /* the other stem (dp_token), inside stem's block */
    size_t norm_len, stem_len, alt_len;
    size_t start, end;
    uint32_t pos;
    unsigned flags;
} qtok;

typedef struct tokvec {
    qtok *v;
    size_t n, cap;
    int rc;
} tokvec;

typedef struct compiler {
    dp_searcher *s;
    compiled *c;
    unsigned negated;  /* > 0 under NOT or -: nothing to highlight */
    dp_error *err;
    double scale;      /* of the terms compiled now (a correction's) */
    bool spelled;      /* compiling an =exact word: as it is written */
    bool capital;      /* compiling a free word typed with a capital */
} compiler;

typedef struct cand {
    char *term;
    size_t len;
    uint64_t freq;
    unsigned dist;
} cand;

typedef struct candvec {
    cand *v;
    size_t n, cap;
    uint64_t seen;      /* candidates found, before the bound */
} candvec;

/* Marks the words of a passage (@p pw) into @p mark (all 0 on entry).
 * @return DP_OK or DP_ENOMEM. */
typedef int (*mark_fn)(const tokvec *pw, size_t *mark, const void *ctx);

/* ---- search.c: results, hits, running a compiled query ------------------- */

int dp_search_results_new(dp_results **out, size_t n, dp_error *err);
int dp_search_slot_fill(hit_slot *slot, uint32_t rank, double score,
                        dp_error *err);
int dp_search_marked_snippet(dp_searcher *s, hit_slot *slot, mark_fn fn,
                             const void *fn_ctx, const compiled *c,
                             const dp_token_filter *filter, size_t words,
                             dp_error *err);
int dp_search_slot_build(dp_searcher *s, dp_results *r, size_t i,
                         uint32_t docid, uint32_t rank, double score,
                         const compiled *c, size_t snippet_words,
                         dp_error *err);
int dp_search_run_compiled(dp_searcher *s, compiled *c,
                           const dp_search_opts *opts, dp_results **out,
                           dp_error *err);

/* ---- search_compile.c: query trees into Xapian queries ------------------- */

/* Whether a word of the index (an unprefixed term) begins with the
 * folded word @p norm and is longer: "pakis" of "pakistan". */
int dp_search_word_begins(dp_searcher *s, const char *norm, size_t len,
                          bool *yes, dp_error *err);

void dp_search_termset_release(termset *t);
void dp_search_compiled_release(compiled *c);
void dp_search_tokvec_release(tokvec *tv);
int dp_search_analyze(dp_analyzer *an, const char *text, size_t len,
                      tokvec *tv, dp_error *err);
int dp_search_term_df(dp_searcher *s, char prefix, const char *t, size_t len,
                      uint64_t *df, dp_error *err);
int dp_search_id_weights(dp_searcher *s, compiled *c, dp_error *err);
uint64_t dp_search_id_weight(int id, void *ctx);
/* The stem of the other grammatical number of the free word @p t, which
 * Snowball leaves apart ("lois" for "loi"), into @p out when the index
 * holds it; else @p out is empty (see search_compile.c). */
int dp_search_other_number(dp_searcher *s, const qtok *t, dp_buf *out,
                           dp_error *err);
/* The idf of Xapian's BM25Weight for a term in @p n of @p N documents. */
double dp_search_bm25_idf(double N, double n);
int dp_search_cp_term(compiler *cp, char prefix, const char *t, size_t len,
                      uint32_t pos, xshim_query **out);
int dp_search_cp_combine(compiler *cp, int rc, xshim_op op, xshim_query **subs,
                         size_t n, uint32_t window, xshim_query **out);
const char *dp_search_word_key(const qtok *t, size_t *len);
bool dp_search_same_word(const qtok *a, const qtok *b);
int dp_search_cp_phrase(compiler *cp, char prefix, const tokvec *tv,
                        size_t from, size_t to, uint32_t slop, xshim_op op,
                        xshim_query **out);
void dp_search_candvec_release(candvec *cv);
void dp_search_candvec_bound(candvec *cv, size_t max);
int dp_search_nearest_words(dp_searcher *s, const char *word, size_t len,
                            unsigned max, candvec *cv, dp_error *err);
int dp_search_compiled_seal(compiled *c, dp_error *err);
int dp_search_compile(dp_searcher *s, const dp_query *q,
                      const dp_search_opts *opts, compiled *c, dp_error *err);
bool dp_search_want_stems_compiled(const char *norm, size_t len, void *ctx);
bool dp_search_may_matter_compiled(const char *head, size_t len, void *ctx);
int dp_search_match_compiled(const dp_token *tok, void *ctx);

/* ---- search_quote.c, search_cite.c: run once, retried by search.c -------- */

int dp_search_quote_once(dp_searcher *s, const char *text, size_t len,
                         const dp_search_opts *opts, dp_results **out,
                         dp_quote_match *m, dp_error *err);
int dp_search_cite_once(dp_searcher *s, const char *ref, uint32_t context,
                        dp_results **out, dp_error *err);

#endif
