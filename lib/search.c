/* search.c -- BM25 ranking of passages, hits with snippets, citations. */
#include "depeche/search.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/utf8.h>

#include "depeche/analyzer.h"
#include "depeche/query.h"
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

static void termset_release(termset *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    free(t->lens);
    free(t->w);
    memset(t, 0, sizeof *t);
}

static int termset_add_w(termset *t, const char *s, size_t len, double w)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **v = realloc(t->v, cap * sizeof *v);
        size_t *l = NULL;
        double *ws = NULL;
        if (v == NULL)
            return DP_ENOMEM;
        t->v = v;
        l = realloc(t->lens, cap * sizeof *l);
        if (l == NULL)
            return DP_ENOMEM;
        t->lens = l;
        ws = realloc(t->w, cap * sizeof *ws);
        if (ws == NULL)
            return DP_ENOMEM;
        t->w = ws;
        t->cap = cap;
    }
    t->v[t->n] = strndup(s, len);
    if (t->v[t->n] == NULL)
        return DP_ENOMEM;
    t->lens[t->n] = len;
    t->w[t->n] = w;
    t->n++;
    return DP_OK;
}

static int termset_add(termset *t, const char *s, size_t len)
{
    return termset_add_w(t, s, len, 1);
}

/* Before termset_seal(): is @p s in the set?  (A linear scan: for the
 * few terms of one query.) */
static bool termset_has(const termset *t, const char *s, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->lens[i] == len && memcmp(t->v[i], s, len) == 0)
            return true;
    return false;
}

typedef struct term_w {
    char *s;
    double w;
} term_w;

static int cmp_term_w(const void *a, const void *b)
{
    return strcmp(((const term_w *)a)->s, ((const term_w *)b)->s);
}

/* Sort and drop duplicates, summing their weights; lens follow.  (Each
 * string holds no NUL: a term or word.) */
static int termset_seal(termset *t)
{
    term_w *tw;
    size_t w = 0;

    if (t->n == 0)
        return DP_OK;
    tw = malloc(t->n * sizeof *tw);
    if (tw == NULL)
        return DP_ENOMEM;
    for (size_t i = 0; i < t->n; i++)
        tw[i] = (term_w){ t->v[i], t->w[i] };
    qsort(tw, t->n, sizeof *tw, cmp_term_w);
    for (size_t i = 0; i < t->n; i++) {
        if (w > 0 && strcmp(t->v[w - 1], tw[i].s) == 0) {
            free(tw[i].s);
            t->w[w - 1] += tw[i].w;
            continue;
        }
        t->v[w] = tw[i].s;
        t->lens[w] = strlen(tw[i].s);
        t->w[w] = tw[i].w;
        w++;
    }
    t->n = w;
    free(tw);
    return DP_OK;
}

/* @return 1-based index of @p s in the sealed set, 0 if absent. */
static size_t termset_find(const termset *t, const char *s, size_t len)
{
    size_t lo = 0, hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(t->v[mid], s, len);
        if (c == 0 && t->lens[mid] > len)
            c = 1;
        if (c == 0)
            return mid + 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

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
    dp_buf notices;        /* bounded expansions etc., one per line */
    termset explain;       /* Xapian terms --explain reports */
    double k1, b;          /* the BM25 parameters used */
    bool explained;        /* each slot's explain holds its explanation */
};

void dp_search_opts_init(dp_search_opts *o)
{
    memset(o, 0, sizeof *o);
    o->k = 10;
    o->k1 = DP_BM25_K1;
    o->b = DP_BM25_B;
    o->snippet_words = DP_SNIPPET_DEFAULT_WORDS;
    o->context_weight = DP_CONTEXT_WEIGHT;
    o->truncation_weight = DP_TRUNC_WEIGHT;
    o->exact_weight = DP_EXACT_WEIGHT;
    o->correction_weight = DP_CORRECTION_WEIGHT;
    o->proximity_window = DP_PROXIMITY_WINDOW;
    o->proximity_weight = DP_PROXIMITY_WEIGHT;
    o->neighbour_weight = DP_NEIGHBOUR_WEIGHT;
}

int dp_searcher_open(dp_searcher **out, const char *index_path,
                     dp_error *err)
{
    return dp_searcher_open_index(out, index_path, DP_INDEX_READ, err);
}

int dp_searcher_open_index(dp_searcher **out, const char *index_path,
                           unsigned flags, dp_error *err)
{
    dp_searcher *s = calloc(1, sizeof *s);
    int rc;

    *out = NULL;
    if (s == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    if (flags != DP_INDEX_READ && flags != DP_INDEX_PARTIAL) {
        rc = dp_error_set(err, DP_EINVAL, "a searcher only reads");
        goto done;
    }
    rc = dp_index_open(&s->idx, index_path, flags, err);
    if (rc < 0)
        goto done;
    rc = dp_analyzer_new(&s->an, err);
    if (rc < 0)
        goto done;
    *out = s;
    s = NULL;
done:
    dp_searcher_free(s);
    return rc;
}

void dp_searcher_free(dp_searcher *s)
{
    if (s == NULL)
        return;
    dp_index_close(s->idx);
    dp_analyzer_free(s->an);
    dp_buf_release(&s->scratch);
    free(s);
}

dp_index *dp_searcher_index(dp_searcher *s)
{
    return s->idx;
}

/* ---- results ------------------------------------------------------------ */

static int results_new(dp_results **out, size_t n, dp_error *err)
{
    dp_results *r = calloc(1, sizeof *r);

    *out = NULL;
    if (r == NULL || (n && (r->slots = calloc(n, sizeof *r->slots)) == NULL)) {
        free(r);
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    }
    *out = r;
    return DP_OK;
}

size_t dp_results_size(const dp_results *r)
{
    return r->n;
}

const dp_hit *dp_results_hit(const dp_results *r, size_t i)
{
    return &r->slots[i].hit;
}

uint64_t dp_results_total(const dp_results *r)
{
    return r->total;
}

size_t dp_results_target(const dp_results *r)
{
    return r->target;
}

void dp_results_free(dp_results *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        dp_buf_release(&r->slots[i].storage);
        dp_buf_release(&r->slots[i].id);
        dp_snippet_release(&r->slots[i].snippet);
        dp_buf_release(&r->slots[i].explain);
    }
    free(r->slots);
    dp_buf_release(&r->notices);
    termset_release(&r->explain);
    free(r);
}

/* ---- compiling a query tree into a Xapian query -------------------------- */

/* The head (dp_analyzer_head_len()) a word of a passage must have to match
 * a query term, packed in 64 bits; a stem of fewer code points than a head
 * must begin it (prefix). */
typedef struct qhead {
    uint64_t key;
    uint8_t len;
    bool prefix;
} qhead;

/* The exact phrases of a query ("État de droit", Saint-Domingue): their
 * words are highlighted where the phrase stands, not wherever they occur.
 * Phrase k is words[first[k]], ... words[first[k] + count[k] - 1]. */
typedef struct phrase_set {
    termset words;     /* unsealed: in phrase order, repeats kept */
    size_t *first, *count;
    size_t n, cap;
} phrase_set;

/* What a compiled query keeps besides the Xapian query: the words to
 * highlight, the terms --explain reports, and notices for the user. */
typedef struct compiled {
    xshim_query *xq;
    termset stems;     /* free words, highlighted by stem */
    termset truncs;    /* ... or, failing that, by truncation */
    termset norms;     /* exact words, windowed phrases and NEAR,
                          expansions: folded form */
    phrase_set phrases;  /* exact phrases */
    termset explain;   /* Xapian terms whose weight --explain shows, with
                          the scale of each time the query uses them */
    qhead *heads;      /* of stems, norms, truncs (may_matter_compiled()) */
    size_t nheads;
    bool number_heads; /* a stem is a number: an ordinal may match whatever
                          its head (Roman numerals, "1re" for "1e") */
    dp_buf notices;    /* one line each, for stderr */
    bool keep_stops;   /* the query is only stop words */
    double context_weight; /* of title/section stems against body stems */
    double truncation_weight;  /* of truncations against body stems */
    double exact_weight;       /* of a word's exact form, besides its stem */
    double correction_weight;  /* of the correction of an unknown word */
    unsigned corrections;      /* unknown words looked up so far */
    uint32_t proximity_window; /* pairs of query words this close rank up */
    double proximity_weight;   /* by this share of their own weight */
    bool free_words;   /* free words only: neighbours may rank passages */
    unsigned words;    /* ranking words searched (stop words dropped) */
} compiled;

static void compiled_release(compiled *c)
{
    xshim_query_free(c->xq);
    termset_release(&c->stems);
    termset_release(&c->truncs);
    termset_release(&c->norms);
    termset_release(&c->phrases.words);
    free(c->phrases.first);
    free(c->phrases.count);
    termset_release(&c->explain);
    free(c->heads);
    dp_buf_release(&c->notices);
    memset(c, 0, sizeof *c);
}


/* One analysed token, owned. */
typedef struct qtok {
    char *norm, *stem;
    size_t norm_len, stem_len;
    size_t start, end;
    uint32_t pos;
    unsigned flags;
} qtok;

typedef struct tokvec {
    qtok *v;
    size_t n, cap;
    int rc;
} tokvec;

static void tokvec_release(tokvec *tv)
{
    for (size_t i = 0; i < tv->n; i++) {
        free(tv->v[i].norm);
        free(tv->v[i].stem);
    }
    free(tv->v);
    memset(tv, 0, sizeof *tv);
}

static int tokvec_cb(const dp_token *tok, void *ctx)
{
    tokvec *tv = ctx;
    qtok *t;

    if (tv->n == tv->cap) {
        size_t cap = tv->cap ? tv->cap * 2 : 8;
        qtok *v = realloc(tv->v, cap * sizeof *v);
        if (v == NULL)
            return DP_ENOMEM;
        tv->v = v;
        tv->cap = cap;
    }
    t = &tv->v[tv->n];
    t->norm = strndup(tok->norm, tok->norm_len);
    t->stem = strndup(tok->stem, tok->stem_len);
    if (t->norm == NULL || t->stem == NULL) {
        free(t->norm);
        free(t->stem);
        return DP_ENOMEM;
    }
    t->norm_len = tok->norm_len;
    t->stem_len = tok->stem_len;
    t->start = tok->start;
    t->end = tok->end;
    t->pos = tok->pos;
    t->flags = tok->flags;
    tv->n++;
    return 0;
}

static int analyze(dp_analyzer *an, const char *text, size_t len,
                   tokvec *tv, dp_error *err)
{
    int rc;

    memset(tv, 0, sizeof *tv);
    rc = dp_analyzer_run(an, text, len, 1, tokvec_cb, tv, err);
    if (rc == DP_ENOMEM)
        dp_error_set(err, rc, "out of memory");
    return rc;
}

/* True when the bytes between two tokens hold no white space: the parts
 * of "libre-échange" or "JF-17" belong together. */
static bool glued(const char *text, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            return false;
    }
    return true;
}

typedef struct compiler {
    dp_searcher *s;
    compiled *c;
    unsigned negated;  /* > 0 under NOT or -: nothing to highlight */
    dp_error *err;
    double scale;      /* of the terms compiled now (a correction's) */
    bool spelled;      /* compiling an =exact word: as it is written */
} compiler;

/* The code points in [s, s+len). */
static size_t cps(const char *s, size_t len)
{
    size_t i = 0, n = 0;

    while (i < len) {
        U8_FWD_1(s, i, len);
        n++;
    }
    return n;
}

/* The term @p prefix (none if '\0') + @p t into the searcher's scratch. */
static int scratch_term(dp_searcher *s, char prefix, const char *t,
                        size_t len, dp_error *err)
{
    dp_buf *b = &s->scratch;
    int rc;

    dp_buf_reset(b);
    rc = prefix ? dp_buf_addc(b, prefix) : DP_OK;
    if (rc == 0)
        rc = dp_buf_add(b, t, len);
    if (rc < 0)
        return dp_error_set(err, rc, "query term: %s", dp_status_str(rc));
    return DP_OK;
}

/* Documents holding the term @p prefix + @p t (0 for an empty @p t). */
static int term_df(dp_searcher *s, char prefix, const char *t, size_t len,
                   uint64_t *df, dp_error *err)
{
    int rc;

    *df = 0;
    if (len == 0)
        return DP_OK;
    rc = scratch_term(s, prefix, t, len, err);
    if (rc < 0)
        return rc;
    return xshim_db_termfreq(dp_index_db(s->idx), s->scratch.data,
                             s->scratch.len, df, err);
}

/* The term @p prefix + @p t; --explain lists it with @p weight, the scale
 * the caller gives its query. */
static int cp_term_w(compiler *cp, char prefix, const char *t, size_t len,
                     uint32_t pos, double weight, xshim_query **out)
{
    dp_buf *b = &cp->s->scratch;
    int rc = scratch_term(cp->s, prefix, t, len, cp->err);

    if (rc < 0)
        return rc;
    if (!cp->negated && prefix != DP_PREFIX_SECTION &&
        prefix != DP_PREFIX_TITLE && prefix != DP_PREFIX_FILE &&
        termset_add_w(&cp->c->explain, b->data, b->len,
                      weight * cp->scale) < 0)
        return dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    return xshim_query_term(out, b->data, b->len, 1, pos, cp->err);
}

static int cp_term(compiler *cp, char prefix, const char *t, size_t len,
                   uint32_t pos, xshim_query **out)
{
    return cp_term_w(cp, prefix, t, len, pos, 1, out);
}

/* Combine @p n queries (NULLs skipped) with @p op and free them.  With
 * nothing left, *out is NULL.  When @p rc is already an error the queries
 * are only freed: callers pass the status of building them, so that one
 * call ends every path. */
static int cp_combine(compiler *cp, int rc, xshim_op op, xshim_query **subs,
                      size_t n, uint32_t window, xshim_query **out)
{
    size_t k = 0;

    *out = NULL;
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            xshim_query_free(subs[i]);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        if (subs[i] != NULL)
            subs[k++] = subs[i];
    if (k == 1 && op != XSHIM_OP_PHRASE && op != XSHIM_OP_NEAR) {
        *out = subs[0];
        return DP_OK;
    }
    if (k > 0)
        rc = xshim_query_combine(out, op, subs, k, window, cp->err);
    for (size_t i = 0; i < k; i++)
        xshim_query_free(subs[i]);
    return rc;
}

/* @p prefix + @p t scaled by @p weight into *out (NULL if @p weight is 0). */
static int cp_scaled(compiler *cp, char prefix, const char *t, size_t len,
                     uint32_t pos, double weight, xshim_query **out)
{
    xshim_query *q = NULL;
    int rc = DP_OK;

    *out = NULL;
    if (weight > 0) {
        rc = cp_term_w(cp, prefix, t, len, pos, weight, &q);
        if (rc == 0)
            rc = xshim_query_scale(out, q, weight, cp->err);
        xshim_query_free(q);
    }
    return rc;
}

/* The truncation of the free word @p t, scaled by the truncation weight
 * plus @p extra, into *out; NULL for a word that is not truncated (stop
 * words, numbers) and for a truncation an earlier word of the query
 * already gave (Xapian would weigh a repeated term more). */
static int cp_trunc(compiler *cp, const qtok *t, uint32_t pos, double extra,
                    xshim_query **out)
{
    size_t tlen = dp_analyzer_trunc_len(t->norm, t->norm_len);
    int rc;

    *out = NULL;
    if (!dp_analyzer_truncates(t->flags) || cp->c->truncation_weight <= 0 ||
        termset_has(&cp->c->truncs, t->norm, tlen))
        return DP_OK;
    rc = cp_scaled(cp, DP_PREFIX_TRUNC, t->norm, tlen, pos,
                   cp->c->truncation_weight + extra, out);
    if (rc == 0 && termset_add(&cp->c->truncs, t->norm, tlen) < 0)
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    return rc;
}

/* A free word: its stem in the passage, OR -- weighted down -- its
 * truncation in the passage and its stem in the title or section heading
 * above it, OR -- a bonus -- its exact folded form in the passage. */
static int cp_stem(compiler *cp, const qtok *t, uint32_t pos,
                   xshim_query **out)
{
    xshim_query *subs[4] = { NULL, NULL, NULL, NULL };
    int rc = cp_term(cp, DP_PREFIX_STEM, t->stem, t->stem_len, pos, &subs[0]);
    bool merged;

    *out = NULL;
    /* An excluded word is excluded from the passage text only, by stem. */
    if (rc < 0 || cp->negated) {
        *out = subs[0];
        return rc;
    }
    /* A word of fewer letters than a truncation is its own truncation:
     * its P term indexes exactly the passages that hold the word (the
     * same folded form has the same flags), with the same wdf.  So its
     * exact form weighs through that term, one posting list instead of
     * two identical ones (which also trip Xapian 1.4's pruning: a passage
     * ranked 3rd went missing from a top 10). */
    merged = cp->c->truncation_weight > 0 && dp_analyzer_truncates(t->flags) &&
             cps(t->norm, t->norm_len) < DP_TRUNC_CHARS;
    rc = cp_trunc(cp, t, pos, merged ? cp->c->exact_weight : 0, &subs[1]);
    if (rc == 0)
        rc = cp_scaled(cp, DP_PREFIX_CONTEXT, t->stem, t->stem_len, pos,
                       cp->c->context_weight, &subs[2]);
    if (rc == 0 && !merged)
        rc = cp_scaled(cp, 0, t->norm, t->norm_len, pos, cp->c->exact_weight,
                       &subs[3]);
    return cp_combine(cp, rc, XSHIM_OP_OR, subs, 4, 0, out);
}

/* What a word matches by in a phrase or a quotation: an ordinal its value
 * ("XXIe", "21ème": "21e"), any other word its folded form. */
static const char *word_key(const qtok *t, size_t *len)
{
    if (dp_analyzer_is_ordinal_stem(t->stem, t->stem_len)) {
        *len = t->stem_len;
        return t->stem;
    }
    *len = t->norm_len;
    return t->norm;
}

static bool same_word(const qtok *a, const qtok *b)
{
    size_t al, bl;
    const char *ak = word_key(a, &al), *bk = word_key(b, &bl);

    return al == bl && memcmp(ak, bk, al) == 0;
}

/* An ordinal of a phrase ("XXIe" in "XXIe siècle") as the OR of the ways
 * of writing its value that the index holds (prefix @p prefix,
 * dp_analyzer_ordinal_forms(): "21e", "21eme", "xxie", "xxieme"...), so
 * that the phrase matches "21e siècle" too.  With @p norms, each is also
 * highlighted anywhere. */
static int cp_ordinal(compiler *cp, char prefix, const qtok *t, uint32_t pos,
                      termset *norms, xshim_query **out)
{
    char forms[DP_ORDINAL_FORMS][DP_ORDINAL_FORM_BYTES];
    xshim_query *subs[DP_ORDINAL_FORMS];
    size_t nforms = dp_analyzer_ordinal_forms(t->stem, t->stem_len, forms);
    size_t n = 0;
    int rc = DP_OK;

    for (size_t k = 0; k < nforms && rc == 0; k++) {
        size_t len = strlen(forms[k]);
        uint64_t df = 0;

        rc = term_df(cp->s, prefix, forms[k], len, &df, cp->err);
        if (rc < 0 || df == 0)
            continue;
        rc = cp_term(cp, prefix, forms[k], len, pos, &subs[n++]);
        if (rc == 0 && norms != NULL && termset_add(norms, forms[k], len) < 0)
            rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    }
    if (rc == 0 && n == 0)
        return cp_term(cp, prefix, t->norm, t->norm_len, pos, out);
    return cp_combine(cp, rc, XSHIM_OP_OR, subs, n, 0, out);
}

/* Add the exact phrase @p tv[from, to) to @p ps (ordinals by their
 * value, see word_key()). */
static int phrase_add(phrase_set *ps, const tokvec *tv, size_t from,
                      size_t to)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 4;
        size_t *f = realloc(ps->first, cap * sizeof *f), *c = NULL;

        if (f == NULL)
            return DP_ENOMEM;
        ps->first = f;
        c = realloc(ps->count, cap * sizeof *c);
        if (c == NULL)
            return DP_ENOMEM;
        ps->count = c;
        ps->cap = cap;
    }
    ps->first[ps->n] = ps->words.n;
    ps->count[ps->n] = to - from;
    for (size_t i = from; i < to; i++) {
        size_t len;
        const char *key = word_key(&tv->v[i], &len);

        if (termset_add(&ps->words, key, len) < 0)
            return DP_ENOMEM;
    }
    ps->n++;
    return DP_OK;
}

/* Phrase of the folded forms of @p tv's tokens [from, to), in a window of
 * their count plus @p slop; one token is just its term. */
static int cp_phrase(compiler *cp, char prefix, const tokvec *tv, size_t from,
                     size_t to, uint32_t slop, xshim_op op,
                     xshim_query **out)
{
    xshim_query **subs = NULL;
    size_t n = to - from;
    int rc = DP_OK;

    *out = NULL;
    if (n == 0)
        return DP_OK;
    subs = calloc(n, sizeof *subs);
    if (subs == NULL)
        return dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    /* An exact phrase highlights its words where it stands; a windowed
     * one (and NEAR) wherever they are. */
    bool exact = op == XSHIM_OP_PHRASE && slop == 0 && n > 1;

    for (size_t i = 0; i < n && rc == 0; i++) {
        const qtok *t = &tv->v[from + i];
        bool marks = !cp->negated && prefix == 0 && !exact;

        /* An ordinal in a phrase, a field or a quotation matches however
         * it is written ("=21e" keeps its spelling). */
        if (!cp->spelled && dp_analyzer_is_ordinal_stem(t->stem, t->stem_len)) {
            rc = cp_ordinal(cp, prefix, t, (uint32_t)(i + 1),
                            marks ? &cp->c->norms : NULL, &subs[i]);
            continue;
        }
        rc = cp_term(cp, prefix, t->norm, t->norm_len, (uint32_t)(i + 1),
                     &subs[i]);
        if (rc == 0 && marks &&
            termset_add(&cp->c->norms, t->norm, t->norm_len) < 0)
            rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    }
    if (rc == 0 && !cp->negated && prefix == 0 && exact &&
        phrase_add(&cp->c->phrases, tv, from, to) < 0)
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    if (rc == 0 && n == 1) {
        *out = subs[0];
        free(subs);
        return DP_OK;
    }
    rc = cp_combine(cp, rc, op, subs, n, (uint32_t)n + slop, out);
    free(subs);
    return rc;
}

/* A token and its position, sorted by stem then position. */
typedef struct stem_ref {
    const qtok *t;
    size_t i;
} stem_ref;

static int cmp_stem_ref(const void *a, const void *b)
{
    const stem_ref *x = a, *y = b;
    size_t n = x->t->stem_len < y->t->stem_len ? x->t->stem_len
                                                : y->t->stem_len;
    int c = memcmp(x->t->stem, y->t->stem, n);

    if (c == 0 && x->t->stem_len != y->t->stem_len)
        c = x->t->stem_len < y->t->stem_len ? -1 : 1;
    if (c == 0)
        c = x->i < y->i ? -1 : x->i > y->i;
    return c;
}

/* Mark in @p dup every token whose stem an earlier token has: a word
 * repeated in a long (lenient) query is searched once, which keeps a
 * pasted page from costing a subquery per word. */
static int mark_repeats(const tokvec *tv, bool *dup)
{
    stem_ref *refs = calloc(tv->n ? tv->n : 1, sizeof *refs);

    if (refs == NULL)
        return DP_ENOMEM;
    for (size_t i = 0; i < tv->n; i++) {
        refs[i].t = &tv->v[i];
        refs[i].i = i;
    }
    qsort(refs, tv->n, sizeof *refs, cmp_stem_ref);
    for (size_t k = 1; k < tv->n; k++)
        if (refs[k].t->stem_len == refs[k - 1].t->stem_len &&
            memcmp(refs[k].t->stem, refs[k - 1].t->stem,
                   refs[k].t->stem_len) == 0)
            dup[refs[k].i] = true;
    free(refs);
    return DP_OK;
}

/* A free word (or, in lenient mode, a whole text): each group of glued
 * tokens is a phrase, each lone token its stem; lone stop words are
 * dropped unless the query has nothing else.  At most DP_QUERY_MAX_NODES
 * subqueries, each distinct word once. */
static int cp_correct(compiler *cp, const dp_qnode *n, const qtok *t,
                      uint32_t pos, xshim_query **out);

/* A pronoun that a hyphen joins to the verb before it: "-ils", "-t-il",
 * "-ce", "-moi", "-y" (token @p t of the query text @p text).  Written
 * as such: "là" ("celle-là") folds to "la" but is no pronoun. */
static bool is_clitic(const char *text, const qtok *t)
{
    static const char *const clitics[] = {
        "je", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles",
        "ce", "t", "moi", "toi", "le", "la", "les", "lui", "leur", "y", "en",
    };

    for (size_t k = 0; k < sizeof clitics / sizeof clitics[0]; k++) {
        size_t n = strlen(clitics[k]);

        if (t->norm_len == n && memcmp(t->norm, clitics[k], n) == 0 &&
            t->end - t->start == n && strncasecmp(text + t->start,
                                                  clitics[k], n) == 0)
            return true;
    }
    return false;
}

/* The end of the run of tokens glued to token @p i of @p tv (the parts of
 * a hyphenated word, or of "l'État"), in the query text @p text. */
static size_t glued_end(const char *text, const tokvec *tv, size_t i)
{
    size_t j = i + 1;

    while (j < tv->n && glued(text, tv->v[j - 1].end, tv->v[j].start))
        j++;
    return j;
}

/* The end of the word's phrase, for the glued tokens [i, j) of @p tv (a
 * hyphenated word): without the pronouns joined to a verb at its end
 * ("proposent-ils", "allez-y"), but for the noun "rendez-vous". */
static size_t word_end(const char *text, const tokvec *tv, size_t i, size_t j)
{
    size_t end = j;

    if (j - i == 2 && strcmp(tv->v[i].norm, "rendez") == 0 &&
        strcmp(tv->v[i + 1].norm, "vous") == 0)
        return j;
    while (end - i > 1 && is_clitic(text, &tv->v[end - 1]))
        end--;
    return end;
}

static int cp_word(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    tokvec tv;
    xshim_query **subs = NULL;
    bool *dup = NULL;
    size_t nsubs = 0;
    int rc = analyze(cp->s->an, n->text, n->len, &tv, cp->err);

    *out = NULL;
    if (rc < 0)
        goto done;
    subs = calloc(tv.n ? tv.n : 1, sizeof *subs);
    dup = calloc(tv.n ? tv.n : 1, sizeof *dup);
    if (subs == NULL || dup == NULL || mark_repeats(&tv, dup) < 0) {
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < tv.n && rc == 0 && nsubs < DP_QUERY_MAX_NODES;) {
        size_t j = glued_end(n->text, &tv, i), end;
        /* Inverted subject pronouns ("proposent-ils", "tombe-t-il",
         * "est-ce") and an imperative's pronouns ("dites-moi",
         * "allez-y") are not part of the word: its phrase stops before
         * them (they are stop words, dropped from free text).  Other
         * words stay: "bien-être" is the phrase, not "bien". */
        end = word_end(n->text, &tv, i, j);
        if (end - i > 1) {
            rc = cp_phrase(cp, 0, &tv, i, end, 0, XSHIM_OP_PHRASE,
                           &subs[nsubs++]);
            cp->c->words++;
        } else if (!dup[i] && (!(tv.v[i].flags & DP_TOK_STOP) ||
                               cp->c->keep_stops || cp->negated)) {
            cp->c->words++;
            /* An excluded stop word was excluded on purpose: kept. */
            xshim_query *word[2] = { NULL, NULL };

            rc = cp_stem(cp, &tv.v[i], (uint32_t)i + 1, &word[0]);
            if (rc == 0 && !cp->negated &&
                termset_add(&cp->c->stems, tv.v[i].stem, tv.v[i].stem_len) < 0)
                rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
            if (rc == 0)
                rc = cp_correct(cp, n, &tv.v[i], (uint32_t)i + 1, &word[1]);
            rc = cp_combine(cp, rc, XSHIM_OP_OR, word, 2, 0, &subs[nsubs++]);
        }
        i = j;
    }
    rc = cp_combine(cp, rc, XSHIM_OP_OR, subs, nsubs, 0, out);
done:
    free(subs);
    free(dup);
    tokvec_release(&tv);
    return rc;
}

/* ---- vocabulary expansions (prefix*, word~N) ---------------------------- */

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

static void candvec_release(candvec *cv)
{
    for (size_t i = 0; i < cv->n; i++)
        free(cv->v[i].term);
    free(cv->v);
    memset(cv, 0, sizeof *cv);
}

static int candvec_add(candvec *cv, const char *t, size_t len, uint64_t freq,
                       unsigned dist)
{
    cv->seen++;
    if (cv->n == cv->cap) {
        size_t cap = cv->cap ? cv->cap * 2 : 32;
        cand *v = realloc(cv->v, cap * sizeof *v);
        if (v == NULL)
            return DP_ENOMEM;
        cv->v = v;
        cv->cap = cap;
    }
    cv->v[cv->n].term = strndup(t, len);
    if (cv->v[cv->n].term == NULL)
        return DP_ENOMEM;
    cv->v[cv->n].len = len;
    cv->v[cv->n].freq = freq;
    cv->v[cv->n].dist = dist;
    cv->n++;
    return DP_OK;
}

/* Closest first, then most frequent, then byte order: deterministic. */
static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;

    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    if (x->freq != y->freq)
        return x->freq > y->freq ? -1 : 1;
    return strcmp(x->term, y->term);
}

/* Keep the best @p max candidates. */
static void candvec_bound(candvec *cv, size_t max)
{
    if (cv->n > 1)
        qsort(cv->v, cv->n, sizeof *cv->v, cmp_cand);
    while (cv->n > max)
        free(cv->v[--cv->n].term);
}

static int prefix_cb(const char *term, size_t len, uint64_t freq, void *ctx)
{
    return candvec_add(ctx, term, len, freq, 0);
}

/* Optimal-string-alignment distance between @p a and @p b if it is at
 * most @p max, else max + 1.  Works on bytes: folded words are ASCII
 * for Latin text. */
static unsigned edit_distance(const char *a, size_t alen, const char *b,
                              size_t blen, unsigned max)
{
    unsigned rows[3][DP_MAX_TERM_BYTES + 2];
    unsigned *pp = rows[0], *prev = rows[1], *cur = rows[2];

    if (alen > DP_MAX_TERM_BYTES || blen > DP_MAX_TERM_BYTES)
        return max + 1;
    if ((alen > blen ? alen - blen : blen - alen) > max)
        return max + 1;
    for (size_t j = 0; j <= blen; j++)
        prev[j] = (unsigned)j;
    for (size_t i = 1; i <= alen; i++) {
        unsigned best = max + 1;
        unsigned *tmp = NULL;
        cur[0] = (unsigned)i;
        for (size_t j = 1; j <= blen; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            unsigned v = prev[j - 1] + cost;
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
            if (v < best)
                best = v;
        }
        if (best > max)
            return max + 1;
        tmp = pp;
        pp = prev;
        prev = cur;
        cur = tmp;
    }
    return prev[blen] <= max ? prev[blen] : max + 1;
}

typedef struct fuzzy_ctx {
    const char *word;
    size_t len;
    unsigned max;
    size_t skip;        /* bytes of term prefix to ignore (S, T) */
    candvec *cv;
} fuzzy_ctx;

static int fuzzy_cb(const char *term, size_t len, uint64_t freq, void *ctx)
{
    fuzzy_ctx *f = ctx;
    unsigned d = edit_distance(f->word, f->len, term + f->skip,
                               len - f->skip, f->max);

    return d <= f->max ? candvec_add(f->cv, term + f->skip, len - f->skip,
                                     freq, d)
                       : 0;
}

/* Call @p cb over every unprefixed (folded word) term: those start with a
 * digit, a lowercase ASCII letter or a non-ASCII byte, never with the
 * capital of a prefix. */
static int each_word_term(dp_searcher *s, xshim_term_cb cb, void *ctx,
                          dp_error *err)
{
    char first[1];
    int rc = DP_OK;

    for (int c = 0; c < 256 && rc == 0; c++) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c >= 0x80))
            continue;
        first[0] = (char)c;
        rc = xshim_db_allterms(dp_index_db(s->idx), first, 1, cb, ctx, err);
    }
    return rc;
}

/* The words of the index (passage text, titles, section headings) at
 * most @p max edits from the folded word @p word, into @p cv: the words a
 * misspelt word may stand for. */
static int nearest_words(dp_searcher *s, const char *word, size_t len,
                         unsigned max, candvec *cv, dp_error *err)
{
    fuzzy_ctx f = { word, len, max, 0, cv };
    int rc = each_word_term(s, fuzzy_cb, &f, err);

    /* Titles and headings are words the user may mean too. */
    for (size_t p = 0; rc == 0 && p < 2; p++) {
        const char prefix[1] = { p ? DP_PREFIX_SECTION : DP_PREFIX_TITLE };
        fuzzy_ctx g = f;

        g.skip = 1;
        rc = xshim_db_allterms(dp_index_db(s->idx), prefix, 1, fuzzy_cb, &g,
                               err);
    }
    if (rc == DP_ENOMEM)
        rc = dp_error_set(err, rc, "out of memory");
    return rc;
}

/* Is the free word @p t in no passage: not its stem, nor its truncation,
 * nor its stem in a title or section heading? */
static int unknown_word(compiler *cp, const qtok *t, bool *unknown)
{
    uint64_t df = 0;
    int rc = term_df(cp->s, DP_PREFIX_STEM, t->stem, t->stem_len, &df,
                     cp->err);

    if (rc == 0 && df == 0 && dp_analyzer_truncates(t->flags))
        rc = term_df(cp->s, DP_PREFIX_TRUNC, t->norm,
                     dp_analyzer_trunc_len(t->norm, t->norm_len), &df,
                     cp->err);
    if (rc == 0 && df == 0)
        rc = term_df(cp->s, DP_PREFIX_CONTEXT, t->stem, t->stem_len, &df,
                     cp->err);
    *unknown = rc == 0 && df == 0;
    return rc;
}

/* A free word that no passage holds in any form is most likely misspelt
 * ("Strutthof", "afranchis"): the word of the index one edit away from it
 * (a letter added, dropped or changed, or two swapped), the most frequent
 * if several, is searched too, as a free word scaled by the correction
 * weight, and a notice names both in their folded forms (which hold no
 * control or bidi character).  Short words (fewer than
 * DP_CORRECT_MIN_CHARS letters), stop words and words holding a digit
 * (codes) are left as they are. */
static int cp_correct(compiler *cp, const dp_qnode *n, const qtok *t,
                      uint32_t pos, xshim_query **out)
{
    candvec cv;
    tokvec tv;
    xshim_query *q = NULL;
    bool unknown = false;
    int rc = DP_OK;

    *out = NULL;
    memset(&cv, 0, sizeof cv);
    memset(&tv, 0, sizeof tv);
    if (cp->negated || cp->c->correction_weight <= 0 ||
        (t->flags & (DP_TOK_STOP | DP_TOK_DIGIT)) ||
        cps(t->norm, t->norm_len) < DP_CORRECT_MIN_CHARS)
        return DP_OK;
    rc = unknown_word(cp, t, &unknown);
    if (rc < 0 || !unknown)
        return rc;
    /* Each costs a scan of the vocabulary: a pasted page of unknown
     * words must not take minutes. */
    if (cp->c->corrections++ == DP_MAX_CORRECTIONS &&
        dp_buf_addf(&cp->c->notices, "column %u: only the first %d unknown "
                    "words are corrected\n", n->column,
                    DP_MAX_CORRECTIONS) < 0)
        return dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    if (cp->c->corrections > DP_MAX_CORRECTIONS)
        return DP_OK;
    rc = nearest_words(cp->s, t->norm, t->norm_len, 1, &cv, cp->err);
    if (rc < 0 || cv.n == 0)
        goto done;
    candvec_bound(&cv, 1);
    rc = analyze(cp->s->an, cv.v[0].term, cv.v[0].len, &tv, cp->err);
    if (rc < 0 || tv.n != 1 || (tv.v[0].flags & DP_TOK_STOP))
        goto done; /* not a single word (e.g. "7,3"), or a stop word */
    {
        /* --explain: the correction's terms weigh its weight. */
        double scale = cp->scale;

        cp->scale *= cp->c->correction_weight;
        rc = cp_stem(cp, &tv.v[0], pos, &q);
        cp->scale = scale;
    }
    if (rc == 0 &&
        termset_add(&cp->c->stems, tv.v[0].stem, tv.v[0].stem_len) < 0)
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    if (rc == 0 && q != NULL)
        rc = xshim_query_scale(out, q, cp->c->correction_weight, cp->err);
    if (rc == 0 &&
        dp_buf_addf(&cp->c->notices, "column %u: no passage has \"%s\": "
                    "also searched \"%s\"\n", n->column, t->norm,
                    cv.v[0].term) < 0)
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
done:
    xshim_query_free(q);
    tokvec_release(&tv);
    candvec_release(&cv);
    return rc;
}

static int cp_notice_bound(compiler *cp, const dp_qnode *n, const candvec *cv)
{
    if (cv->seen <= DP_QUERY_MAX_EXPANSION)
        return DP_OK;
    if (dp_buf_addf(&cp->c->notices, "column %u: %.*s%s stands for the %d "
                    "%s of %llu words\n", n->column, (int)n->len, n->text,
                    n->kind == DP_Q_PREFIX ? "*"
                    : n->slop == 1 ? "~" : "~2",
                    DP_QUERY_MAX_EXPANSION,
                    n->kind == DP_Q_PREFIX ? "most frequent"
                                           : "closest, then most frequent",
                    (unsigned long long)cv->seen) < 0)
        return dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    return DP_OK;
}

/* The expansion as one synonym (weighted as one word). */
static int cp_expansion(compiler *cp, const candvec *cv, xshim_query **out)
{
    xshim_query **subs = NULL;
    int rc = DP_OK;

    *out = NULL;
    if (cv->n == 0)
        return xshim_query_match_nothing(out, cp->err);
    subs = calloc(cv->n, sizeof *subs);
    if (subs == NULL)
        return dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    for (size_t i = 0; i < cv->n && rc == 0; i++) {
        rc = xshim_query_term(&subs[i], cv->v[i].term, cv->v[i].len, 1, 1,
                              cp->err);
        if (rc == 0 && !cp->negated &&
            termset_add(&cp->c->norms, cv->v[i].term, cv->v[i].len) < 0)
            rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    }
    rc = cp_combine(cp, rc, XSHIM_OP_SYNONYM, subs, cv->n, 0, out);
    free(subs);
    return rc;
}

/* prefix* and word~N: the folded form of the (last) word, expanded over
 * the vocabulary. */
static int cp_expand(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    tokvec tv;
    candvec cv;
    const qtok *w = NULL;
    int rc = analyze(cp->s->an, n->text, n->len, &tv, cp->err);

    *out = NULL;
    memset(&cv, 0, sizeof cv);
    if (rc < 0)
        goto done;
    if (tv.n == 0)
        goto done; /* punctuation only: ignored */
    w = &tv.v[tv.n - 1];
    if (n->kind == DP_Q_PREFIX) {
        rc = xshim_db_allterms(dp_index_db(cp->s->idx), w->norm, w->norm_len,
                               prefix_cb, &cv, cp->err);
    } else {
        fuzzy_ctx f = { w->norm, w->norm_len, n->slop, 0, &cv };
        rc = each_word_term(cp->s, fuzzy_cb, &f, cp->err);
    }
    if (rc == DP_ENOMEM)
        rc = dp_error_set(cp->err, rc, "out of memory");
    if (rc < 0)
        goto done;
    candvec_bound(&cv, DP_QUERY_MAX_EXPANSION);
    rc = cp_notice_bound(cp, n, &cv);
    if (rc == 0)
        rc = cp_expansion(cp, &cv, out);
done:
    candvec_release(&cv);
    tokvec_release(&tv);
    return rc;
}

/* ---- fields ------------------------------------------------------------- */

typedef struct glob_ctx {
    const char *pattern;   /* NUL-terminated */
    bool prefix_only;      /* no glob characters: a relpath prefix */
    candvec *cv;
} glob_ctx;

static int glob_cb(const char *term, size_t len, uint64_t freq, void *ctx)
{
    glob_ctx *g = ctx;
    char *path = NULL;
    int rc = 0;

    (void)freq;
    if (g->prefix_only)
        return candvec_add(g->cv, term, len, 0, 0);
    path = strndup(term + 1, len - 1);
    if (path == NULL)
        return DP_ENOMEM;
    if (fnmatch(g->pattern, path, 0) == 0)
        rc = candvec_add(g->cv, term, len, 0, 0);
    free(path);
    return rc;
}

/* file:GLOB -- the F terms of the files it matches. */
static int cp_file(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    candvec cv;
    glob_ctx g;
    char *pattern = strndup(n->text, n->len);
    dp_buf pre = DP_BUF_INIT;
    size_t lit = strcspn(pattern ? pattern : "", "*?[\\");
    xshim_query **subs = NULL;
    int rc;

    *out = NULL;
    memset(&cv, 0, sizeof cv);
    if (pattern == NULL) {
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        goto done;
    }
    g.pattern = pattern;
    g.prefix_only = pattern[lit] == '\0';
    g.cv = &cv;
    rc = dp_buf_addc(&pre, DP_PREFIX_FILE);
    if (rc == 0)
        rc = dp_buf_add(&pre, pattern, lit);
    if (rc < 0) {
        rc = dp_error_set(cp->err, rc, "out of memory");
        goto done;
    }
    rc = xshim_db_allterms(dp_index_db(cp->s->idx), pre.data, pre.len,
                           glob_cb, &g, cp->err);
    if (rc == DP_ENOMEM)
        rc = dp_error_set(cp->err, rc, "out of memory");
    if (rc < 0)
        goto done;
    if (cv.n == 0) {
        rc = xshim_query_match_nothing(out, cp->err);
        goto done;
    }
    subs = calloc(cv.n, sizeof *subs);
    if (subs == NULL) {
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < cv.n && rc == 0; i++)
        rc = xshim_query_term(&subs[i], cv.v[i].term, cv.v[i].len, 1, 1,
                              cp->err);
    rc = cp_combine(cp, rc, XSHIM_OP_OR, subs, cv.n, 0, out);
done:
    free(subs);
    free(pattern);
    dp_buf_release(&pre);
    candvec_release(&cv);
    return rc;
}

/* section:… and title:… -- the words, in order, among the S or T terms. */
static int cp_field_words(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    tokvec tv;
    int rc = analyze(cp->s->an, n->text, n->len, &tv, cp->err);

    *out = NULL;
    if (rc == 0)
        rc = cp_phrase(cp, (char)n->field, &tv, 0, tv.n, n->slop,
                       XSHIM_OP_PHRASE, out);
    tokvec_release(&tv);
    return rc;
}

/* ---- structure ---------------------------------------------------------- */

static int cp_node(compiler *cp, const dp_qnode *n, xshim_query **out);

/* NEAR/N: every word of every operand, any order, all within N words
 * of each other (window N + words - 1). */
static int cp_near(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    tokvec all, tv;
    int rc = DP_OK;

    *out = NULL;
    memset(&all, 0, sizeof all);
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        const dp_qnode *k = n->kids[i];
        if (k->kind != DP_Q_WORD && k->kind != DP_Q_EXACT &&
            k->kind != DP_Q_PHRASE) {
            rc = dp_error_set(cp->err, DP_ESYNTAX, "column %u: NEAR joins "
                              "words or \"phrases\" (not %s)", k->column,
                              k->kind == DP_Q_NEAR ? "another NEAR window"
                              : k->kind == DP_Q_SEQ && k->nkids == 1 &&
                                      k->kids[0]->mod != DP_QMOD_NONE
                                  ? "+ or - clauses: use +(a NEAR b)"
                              : "operators, filters or expansions");
            break;
        }
        rc = analyze(cp->s->an, k->text, k->len, &tv, cp->err);
        for (size_t j = 0; j < tv.n && rc == 0; j++) {
            dp_token t;
            memset(&t, 0, sizeof t);
            t.norm = tv.v[j].norm;
            t.norm_len = tv.v[j].norm_len;
            t.stem = tv.v[j].stem;
            t.stem_len = tv.v[j].stem_len;
            t.flags = tv.v[j].flags;
            rc = tokvec_cb(&t, &all);
            if (rc < 0)
                rc = dp_error_set(cp->err, rc, "out of memory");
        }
        tokvec_release(&tv);
    }
    if (rc == 0 && all.n > 0)
        rc = cp_phrase(cp, 0, &all, 0, all.n,
                       n->slop > 0 ? n->slop - 1 : 0, XSHIM_OP_NEAR, out);
    tokvec_release(&all);
    return rc;
}

/* Proximity: the content words of the optional free-word clauses of
 * @p n, in query order; each pair of neighbours that also stands close
 * together in a passage (within the window) adds its weight again. */
static int cp_proximity(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    tokvec words, tv;
    xshim_query **pairs = NULL;
    size_t np = 0;
    int rc = DP_OK;

    *out = NULL;
    memset(&words, 0, sizeof words);
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        const dp_qnode *k = n->kids[i];
        if (k->kind != DP_Q_WORD || k->mod != DP_QMOD_NONE)
            continue;
        rc = analyze(cp->s->an, k->text, k->len, &tv, cp->err);
        for (size_t j = 0; j < tv.n && rc == 0; j++) {
            dp_token t;
            if (tv.v[j].flags & DP_TOK_STOP)
                continue;
            memset(&t, 0, sizeof t);
            t.norm = tv.v[j].norm;
            t.norm_len = tv.v[j].norm_len;
            t.stem = tv.v[j].stem;
            t.stem_len = tv.v[j].stem_len;
            if (tokvec_cb(&t, &words) < 0)
                rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        }
        tokvec_release(&tv);
    }
    if (rc < 0 || words.n < 2 || cp->c->proximity_window == 0 ||
        cp->c->proximity_weight <= 0)
        goto done;
    pairs = calloc(words.n - 1, sizeof *pairs);
    if (pairs == NULL) {
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i + 1 < words.n && rc == 0; i++) {
        xshim_query *two[2] = { NULL, NULL };
        unsigned saved = cp->negated;
        if (words.v[i].norm_len == words.v[i + 1].norm_len &&
            memcmp(words.v[i].norm, words.v[i + 1].norm,
                   words.v[i].norm_len) == 0)
            continue; /* "Pakistan Pakistan" is not a pair */
        cp->negated = 1; /* not listed by --explain, not highlighted */
        rc = cp_term(cp, 0, words.v[i].norm, words.v[i].norm_len, 1, &two[0]);
        if (rc == 0)
            rc = cp_term(cp, 0, words.v[i + 1].norm, words.v[i + 1].norm_len,
                         2, &two[1]);
        cp->negated = saved;
        rc = cp_combine(cp, rc, XSHIM_OP_NEAR, two, 2,
                        cp->c->proximity_window, &pairs[np++]);
    }
    rc = cp_combine(cp, rc, XSHIM_OP_OR, pairs, np, 0, out);
done:
    free(pairs);
    tokvec_release(&words);
    return rc;
}

/* Whether a free word of one token is both +required and -excluded
 * among @p n's clauses ("+Pakistan -pakistan"), by stem: the exclusion
 * only removes the passages holding the stem (cp_stem()), while the
 * required word also matches through its truncation, the title or
 * section, or its correction, which would keep passages that only match
 * so.  @p out: the required clause, or NULL. */
static int cp_contradiction(compiler *cp, const dp_qnode *n,
                            const dp_qnode **out)
{
    tokvec *neg = calloc(n->nkids ? n->nkids : 1, sizeof *neg), tv;
    int rc = neg ? DP_OK : dp_error_set(cp->err, DP_ENOMEM, "out of memory");

    *out = NULL;
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        if (n->kids[i]->mod == DP_QMOD_MUSTNOT &&
            n->kids[i]->kind == DP_Q_WORD)
            rc = analyze(cp->s->an, n->kids[i]->text, n->kids[i]->len,
                         &neg[i], cp->err);
    }
    for (size_t i = 0; i < n->nkids && rc == 0 && *out == NULL; i++) {
        const dp_qnode *k = n->kids[i];
        if (k->mod != DP_QMOD_MUST || k->kind != DP_Q_WORD)
            continue;
        rc = analyze(cp->s->an, k->text, k->len, &tv, cp->err);
        for (size_t j = 0; rc == 0 && tv.n == 1 && j < n->nkids; j++) {
            if (neg[j].n == 1 && neg[j].v[0].stem_len == tv.v[0].stem_len &&
                memcmp(neg[j].v[0].stem, tv.v[0].stem, tv.v[0].stem_len) == 0)
                *out = k;
        }
        tokvec_release(&tv);
    }
    for (size_t i = 0; neg && i < n->nkids; i++)
        tokvec_release(&neg[i]);
    free(neg);
    return rc;
}

/* Juxtaposed clauses: +required AND-ed (the optional ones then only
 * rank), -excluded AND NOT-ed, filters restrict without weight. */
static int cp_seq(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    xshim_query **must = calloc(n->nkids + 1, sizeof *must);
    xshim_query **may = calloc(n->nkids + 1, sizeof *may);
    xshim_query **not = calloc(n->nkids + 1, sizeof *not);
    xshim_query **filt = calloc(n->nkids + 1, sizeof *filt);
    size_t nmust = 0, nmay = 0, nnot = 0, nfilt = 0;
    xshim_query *base = NULL, *q = NULL, *pair[2];
    const dp_qnode *both = NULL;
    int rc = DP_OK;

    *out = NULL;
    if (!must || !may || !not || !filt) {
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        goto done;
    }
    rc = cp_contradiction(cp, n, &both);
    if (rc == 0 && both != NULL) {
        if (dp_buf_addf(&cp->c->notices,
                        "column %u: %.*s is both required and excluded: "
                        "those clauses match nothing\n",
                        both->column, (int)both->len, both->text) < 0)
            rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        else
            rc = xshim_query_match_nothing(out, cp->err);
        goto done;
    }
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        const dp_qnode *k = n->kids[i];
        if (k->mod == DP_QMOD_MUSTNOT) {
            cp->negated++;
            rc = cp_node(cp, k, &not[nnot++]);
            cp->negated--;
        } else if (k->kind == DP_Q_FIELD) {
            rc = cp_node(cp, k, &filt[nfilt++]);
        } else if (k->mod == DP_QMOD_MUST) {
            rc = cp_node(cp, k, &must[nmust++]);
        } else {
            rc = cp_node(cp, k, &may[nmay++]);
        }
    }
    if (rc < 0)
        goto done;
    rc = cp_combine(cp, DP_OK, XSHIM_OP_AND, must, nmust, 0, &q);
    nmust = 0;
    if (rc == 0)
        rc = cp_combine(cp, DP_OK, XSHIM_OP_OR, may, nmay, 0, &base);
    nmay = 0;
    if (rc == 0 && base != NULL) {
        xshim_query *prox = NULL;
        rc = cp_proximity(cp, n, &prox);
        if (rc == 0 && prox != NULL) {
            xshim_query *scaled = NULL;
            rc = xshim_query_scale(&scaled, prox, cp->c->proximity_weight,
                                   cp->err);
            xshim_query_free(prox);
            prox = scaled;
        }
        if (rc == 0 && prox != NULL) {
            pair[0] = base;
            pair[1] = prox;
            base = NULL;
            rc = cp_combine(cp, DP_OK, XSHIM_OP_AND_MAYBE, pair, 2, 0, &base);
        }
    }
    if (rc < 0)
        goto done;
    if (q != NULL && base != NULL) {
        pair[0] = q;
        pair[1] = base;
        q = base = NULL;
        rc = cp_combine(cp, DP_OK, XSHIM_OP_AND_MAYBE, pair, 2, 0, &base);
    } else if (q != NULL) {
        base = q;
        q = NULL;
    }
    if (rc == 0)
        rc = cp_combine(cp, DP_OK, XSHIM_OP_AND, filt, nfilt, 0, &q);
    nfilt = 0;
    if (rc == 0 && q != NULL) {
        if (base == NULL)
            rc = xshim_query_match_all(&base, cp->err);
        pair[0] = base;
        pair[1] = q;
        base = q = NULL;
        if (rc == 0)
            rc = cp_combine(cp, DP_OK, XSHIM_OP_FILTER, pair, 2, 0, &base);
    }
    if (rc == 0)
        rc = cp_combine(cp, DP_OK, XSHIM_OP_OR, not, nnot, 0, &q);
    nnot = 0;
    if (rc == 0 && q != NULL) {
        if (base == NULL)
            rc = xshim_query_match_all(&base, cp->err);
        pair[0] = base;
        pair[1] = q;
        base = q = NULL;
        if (rc == 0)
            rc = cp_combine(cp, DP_OK, XSHIM_OP_AND_NOT, pair, 2, 0, &base);
    }
    if (rc == 0) {
        *out = base;
        base = NULL;
    }
done:
    for (size_t i = 0; i < nmust; i++)
        xshim_query_free(must[i]);
    for (size_t i = 0; i < nmay; i++)
        xshim_query_free(may[i]);
    for (size_t i = 0; i < nnot; i++)
        xshim_query_free(not[i]);
    for (size_t i = 0; i < nfilt; i++)
        xshim_query_free(filt[i]);
    xshim_query_free(base);
    xshim_query_free(q);
    free(must);
    free(may);
    free(not);
    free(filt);
    return rc;
}

static int cp_boolean(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    xshim_query **subs = calloc(n->nkids, sizeof *subs);
    xshim_op op = n->kind == DP_Q_AND ? XSHIM_OP_AND
                : n->kind == DP_Q_OR ? XSHIM_OP_OR : XSHIM_OP_AND_NOT;
    int rc = DP_OK;

    *out = NULL;
    if (subs == NULL)
        return dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        if (op == XSHIM_OP_AND_NOT && i > 0)
            cp->negated++;
        rc = cp_node(cp, n->kids[i], &subs[i]);
        if (op == XSHIM_OP_AND_NOT && i > 0)
            cp->negated--;
    }
    if (rc == 0 && op == XSHIM_OP_AND_NOT && subs[0] == NULL)
        rc = xshim_query_match_all(&subs[0], cp->err);
    if (rc == 0 && op == XSHIM_OP_AND_NOT) {
        /* a NOT (nothing searchable) is just a */
        size_t k = 0;
        for (size_t i = 1; i < n->nkids; i++)
            k += subs[i] != NULL;
        if (k == 0) {
            *out = subs[0];
            free(subs);
            return DP_OK;
        }
    }
    rc = cp_combine(cp, rc, op, subs, n->nkids, 0, out);
    free(subs);
    return rc;
}

static int cp_node(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    tokvec tv;
    int rc;

    *out = NULL;
    switch (n->kind) {
    case DP_Q_WORD:
        return cp_word(cp, n, out);
    case DP_Q_EXACT:
    case DP_Q_PHRASE:
        cp->c->words++;
        rc = analyze(cp->s->an, n->text, n->len, &tv, cp->err);
        cp->spelled = n->kind == DP_Q_EXACT;
        if (rc == 0)
            rc = cp_phrase(cp, 0, &tv, 0, tv.n,
                           n->kind == DP_Q_PHRASE ? n->slop : 0,
                           XSHIM_OP_PHRASE, out);
        cp->spelled = false;
        tokvec_release(&tv);
        return rc;
    case DP_Q_PREFIX:
    case DP_Q_FUZZY:
        cp->c->words++;
        return cp_expand(cp, n, out);
    case DP_Q_FIELD:
        return n->field == DP_QFIELD_FILE ? cp_file(cp, n, out)
                                          : cp_field_words(cp, n, out);
    case DP_Q_NEAR:
        return cp_near(cp, n, out);
    case DP_Q_SEQ:
        return cp_seq(cp, n, out);
    case DP_Q_AND:
    case DP_Q_OR:
    case DP_Q_NOT:
        return cp_boolean(cp, n, out);
    }
    return dp_error_set(cp->err, DP_EINVAL, "unknown query node");
}

/* Does the query have anything but stop words to search?  Any leaf other
 * than a free word counts; a free word counts if one of its tokens is
 * not a stop word. */
static int has_content(dp_searcher *s, const dp_qnode *n, bool *out,
                       dp_error *err)
{
    tokvec tv;
    int rc = DP_OK;

    if (n->mod == DP_QMOD_MUSTNOT)
        return DP_OK;
    if (n->kind == DP_Q_WORD) {
        rc = analyze(s->an, n->text, n->len, &tv, err);
        /* as cp_word() reads it: a pronoun joined to a verb is no word
         * of it ("sont-elles" is only the stop word "sont") */
        for (size_t i = 0; i < tv.n && rc == 0;) {
            size_t j = glued_end(n->text, &tv, i);
            size_t end = word_end(n->text, &tv, i, j);

            for (size_t k = i; k < end; k++)
                if (!(tv.v[k].flags & DP_TOK_STOP))
                    *out = true;
            i = j;
        }
        tokvec_release(&tv);
        return rc;
    }
    if (n->kind == DP_Q_FIELD)
        return DP_OK; /* a filter ranks nothing */
    if (n->kind != DP_Q_SEQ && n->kind != DP_Q_AND && n->kind != DP_Q_OR &&
        n->kind != DP_Q_NOT) {
        *out = true;
        return DP_OK;
    }
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        if (n->kind == DP_Q_NOT && i > 0)
            break;
        rc = has_content(s, n->kids[i], out, err);
    }
    return rc;
}

/* A head of at most 8 bytes (two code points), packed. */
_Static_assert(4 * DP_STEM_KEEPS <= sizeof(uint64_t), "a head fits 64 bits");
static uint64_t head_key(const char *head, size_t len)
{
    uint64_t k = 0;

    memcpy(&k, head, len);
    return k;
}

/* Seal the term sets of @p c, and gather the heads of its terms for
 * may_matter_compiled(). */
static int compiled_seal(compiled *c, dp_error *err)
{
    const termset *from[3] = { &c->stems, &c->norms, &c->truncs };
    size_t max;

    if (termset_seal(&c->stems) < 0 || termset_seal(&c->truncs) < 0 ||
        termset_seal(&c->norms) < 0 || termset_seal(&c->explain) < 0)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    max = c->stems.n + c->norms.n + c->truncs.n;
    c->heads = malloc((max ? max : 1) * sizeof *c->heads);
    if (c->heads == NULL)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < from[k]->n; i++) {
            const char *t = from[k]->v[i];
            size_t h = dp_analyzer_head_len(t, from[k]->lens[i]);
            qhead *q = &c->heads[c->nheads];

            if (h == 0)
                continue;
            if (k == 0 && t[0] >= '0' && t[0] <= '9')
                c->number_heads = true;
            q->key = head_key(t, h);
            q->len = (uint8_t)h;
            /* dp_analyzer_may_stem_to(): a stem of fewer code points
             * than a head may be the start of a longer word's head. */
            q->prefix = k == 0 && cps(t, h) < DP_STEM_KEEPS;
            c->nheads++;
        }
    }
    return DP_OK;
}

/* A word that only ranks: a free word, =exact, prefix* or fuzzy~. */
static bool ranking_word(const dp_qnode *n)
{
    return n->mod == DP_QMOD_NONE &&
           (n->kind == DP_Q_WORD || n->kind == DP_Q_EXACT ||
            n->kind == DP_Q_PREFIX || n->kind == DP_Q_FUZZY);
}

/* Whether the query is such words only: no phrase, operator, field,
 * required or excluded clause, so that a passage holding none of its
 * words breaks no condition of it. */
static bool free_words_only(const dp_qnode *n)
{
    if (n->kind != DP_Q_SEQ)
        return ranking_word(n);
    for (size_t i = 0; i < n->nkids; i++) {
        if (!ranking_word(n->kids[i]))
            return false;
    }
    return n->nkids > 0;
}

/* Compile @p q for @p s into @p c. */
static int compile(dp_searcher *s, const dp_query *q,
                   const dp_search_opts *opts, compiled *c, dp_error *err)
{
    compiler cp = { s, c, 0, err, 1, false };
    bool content = false;
    int rc;

    memset(c, 0, sizeof *c);
    c->context_weight = opts->context_weight;
    c->truncation_weight = opts->truncation_weight;
    c->exact_weight = opts->exact_weight;
    c->correction_weight = opts->correction_weight;
    c->proximity_window = opts->proximity_window;
    c->proximity_weight = opts->proximity_weight;
    rc = has_content(s, dp_query_root(q), &content, err);
    if (rc < 0)
        return rc;
    c->keep_stops = !content;
    c->free_words = free_words_only(dp_query_root(q));
    rc = cp_node(&cp, dp_query_root(q), &c->xq);
    if (rc < 0)
        return rc;
    if (c->xq == NULL)
        return dp_error_set(err, DP_ESYNTAX, "column 1: empty query (no "
                            "searchable word)");
    return compiled_seal(c, err);
}

/* Snippet stem filter: a word's stems are wanted only when one of the
 * query's stems can be among them (most words of a passage are not). */
static bool want_stems_compiled(const char *norm, size_t len, void *ctx)
{
    const compiled *c = ctx;

    for (size_t i = 0; i < c->stems.n; i++) {
        if (dp_analyzer_may_stem_to(norm, len, c->stems.v[i],
                                    c->stems.lens[i]))
            return true;
    }
    return false;
}

/* Snippet filter: can a word with this head (dp_analyzer_head_len()) match
 * the query?  By a stem (dp_analyzer_may_stem_to() decides from the head
 * alone), or by its folded form or its truncation, which begin with
 * their head. */
static bool may_matter_compiled(const char *head, size_t len, void *ctx)
{
    const compiled *c = ctx;
    uint64_t k = head_key(head, len);

    if (c->number_heads &&
        ((head[0] >= '0' && head[0] <= '9') || head[0] == 'i' ||
         head[0] == 'v' || head[0] == 'x'))
        return true;
    for (size_t i = 0; i < c->nheads; i++) {
        const qhead *q = &c->heads[i];

        if (q->prefix ? q->len <= len && head_key(head, q->len) == q->key
                      : q->len == len && k == q->key)
            return true;
    }
    return false;
}

/* Snippet predicate: a token matches by its stem or its alternative stem
 * (free words) or by its folded form (everything else), or failing these
 * by its truncation (free words).  The result numbers the query term. */
static int match_compiled(const dp_token *tok, void *ctx)
{
    const compiled *c = ctx;
    size_t i;

    if (tok->flags & DP_TOK_SKIPPED)
        return 0; /* by may_matter_compiled(), nothing it could match */
    if ((tok->flags & DP_TOK_STOP) && !c->keep_stops &&
        termset_find(&c->norms, tok->norm, tok->norm_len) == 0)
        return 0;
    i = (tok->flags & DP_TOK_UNSTEMMED)
            ? 0 /* by want_stems_compiled(), no stem of the query */
            : termset_find(&c->stems, tok->stem, tok->stem_len);
    if (i == 0 && tok->alt_len > 0)
        i = termset_find(&c->stems, tok->alt, tok->alt_len);
    if (i > 0)
        return (int)i;
    i = termset_find(&c->norms, tok->norm, tok->norm_len);
    if (i > 0)
        return (int)(c->stems.n + i);
    if (c->truncs.n > 0 && dp_analyzer_truncates(tok->flags))
        i = termset_find(&c->truncs, tok->norm,
                         dp_analyzer_trunc_len(tok->norm, tok->norm_len));
    return i > 0 ? (int)(c->stems.n + c->norms.n + i) : 0;
}

/* ---- hits --------------------------------------------------------------- */

/* Fill @p slot from its data record (already in slot->storage). */
static int slot_fill(hit_slot *slot, uint32_t rank, double score,
                     dp_error *err)
{
    dp_record rec;
    dp_hit *h = &slot->hit;
    int rc = dp_record_decode(slot->storage.data, slot->storage.len, &rec);

    if (rc < 0)
        return dp_error_set(err, DP_ECORRUPT, "corrupt passage record");
    memset(h, 0, sizeof *h);
    dp_buf_reset(&slot->id);
    rc = dp_buf_add(&slot->id, rec.relpath, rec.relpath_len);
    if (rc == 0)
        rc = dp_buf_addf(&slot->id, "#%" PRIu32, rec.ordinal);
    if (rc < 0)
        return dp_error_set(err, rc, "hit id: %s", dp_status_str(rc));
    h->rank = rank;
    h->score = score;
    h->id = slot->id.data;
    h->id_len = slot->id.len;
    h->file = rec.relpath;
    h->file_len = rec.relpath_len;
    h->passage = rec.ordinal;
    h->line = rec.line;
    h->match_line = rec.line;
    h->match_col = rec.col;
    slot->col = rec.col;
    h->byte_start = rec.byte_start;
    h->byte_end = rec.byte_end;
    h->section = rec.section;
    h->section_len = rec.section_len;
    h->title = rec.title;
    h->title_len = rec.title_len;
    h->date = rec.date;
    h->date_len = rec.date_len;
    h->source = rec.source;
    h->source_len = rec.source_len;
    h->text = rec.text;
    h->text_len = rec.text_len;
    h->snippet = &slot->snippet;
    return DP_OK;
}

/* Line and column of the snippet's first match, from the passage text:
 * hard-wrapped passages span several lines. */
static void slot_locate_match(hit_slot *slot)
{
    dp_hit *h = &slot->hit;
    size_t at = slot->snippet.first_match;
    size_t line_start = 0;
    uint32_t line = h->line;

    if (at > h->text_len)
        return;
    for (size_t i = 0; i < at; i++) {
        char c = h->text[i];
        if (c == '\n' || (c == '\r' && (i + 1 >= h->text_len ||
                                        h->text[i + 1] != '\n'))) {
            line++;
            line_start = i + 1;
        }
    }
    h->match_line = line;
    if (line == h->line)
        h->match_col = slot->col + (uint32_t)at;
    else
        h->match_col = (uint32_t)(at - line_start) + 1;
}

/* Build hit @p i of @p r from document @p docid (data fetched). */
/* Snippets whose matches are decided on the passage's words first (where
 * a phrase stands, which words carry a quotation): mark[i] is the match id
 * of passage word i, or 0; any other word matches as match_compiled()
 * says with @p c, not at all without. */
typedef struct marked {
    const compiled *c;
    const tokvec *pw;   /* the passage's words */
    const size_t *mark;
    size_t at;
} marked;

static int match_marked(const dp_token *tok, void *ctx)
{
    marked *m = ctx;

    while (m->at < m->pw->n && m->pw->v[m->at].start < tok->start)
        m->at++;
    if (m->at < m->pw->n && m->pw->v[m->at].start == tok->start &&
        m->mark[m->at] > 0)
        return (int)m->mark[m->at];
    return m->c != NULL ? match_compiled(tok, (void *)m->c) : 0;
}

/* Marks the words of a passage (@p pw) into @p mark (all 0 on entry). */
typedef void (*mark_fn)(const tokvec *pw, size_t *mark, const void *ctx);

/* The snippet of @p slot, its words marked by @p fn first (see marked). */
static int marked_snippet(dp_searcher *s, hit_slot *slot, mark_fn fn,
                          const void *fn_ctx, const compiled *c,
                          const dp_token_filter *filter, size_t words,
                          dp_error *err)
{
    tokvec pw;
    size_t *mark = NULL;
    marked m;
    int rc = analyze(s->an, slot->hit.text, slot->hit.text_len, &pw, err);

    if (rc < 0)
        goto done;
    mark = calloc(pw.n ? pw.n : 1, sizeof *mark);
    if (mark == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    fn(&pw, mark, fn_ctx);
    m.c = c;
    m.pw = &pw;
    m.mark = mark;
    m.at = 0;
    rc = dp_snippet_make_filtered(&slot->snippet, s->an, slot->hit.text,
                                  slot->hit.text_len, words, match_marked,
                                  &m, filter, err);
    if (rc == 0)
        slot_locate_match(slot);
done:
    free(mark);
    tokvec_release(&pw);
    return rc;
}

/* mark_fn of a query with exact phrases (a compiled): each occurrence of
 * a phrase, its words at consecutive positions, by phrase word, with ids
 * after those of match_compiled(). */
static void mark_phrases(const tokvec *pw, size_t *mark, const void *ctx)
{
    const compiled *c = ctx;
    const phrase_set *ps = &c->phrases;
    size_t base = c->stems.n + c->norms.n + c->truncs.n;

    for (size_t k = 0; k < ps->n; k++) {
        size_t f = ps->first[k], n = ps->count[k];

        for (size_t i = 0; i + n <= pw->n; i++) {
            size_t j = 0;

            while (j < n && pw->v[i + j].pos == pw->v[i].pos + j) {
                size_t len;
                const char *key = word_key(&pw->v[i + j], &len);

                if (len != ps->words.lens[f + j] ||
                    memcmp(key, ps->words.v[f + j], len) != 0)
                    break;
                j++;
            }
            for (size_t w = 0; j == n && w < n; w++)
                mark[i + w] = base + f + w + 1;
        }
    }
}

static int slot_build(dp_searcher *s, dp_results *r, size_t i, uint32_t docid,
                      uint32_t rank, double score, const compiled *c,
                      size_t snippet_words, dp_error *err)
{
    hit_slot *slot = &r->slots[i];
    dp_token_filter filter = { want_stems_compiled, may_matter_compiled,
                               NULL };
    int rc;

    if (r->n < i + 1)
        r->n = i + 1;
    slot->docid = docid;
    rc = xshim_db_get_data(dp_index_db(s->idx), docid, &slot->storage, err);
    if (rc < 0)
        return rc;
    rc = slot_fill(slot, rank, score, err);
    if (rc < 0 || snippet_words == 0)
        return rc; /* 0: no snippet wanted */
    filter.ctx = (void *)c;
    if (c->phrases.n > 0)
        return marked_snippet(s, slot, mark_phrases, c, c, &filter,
                              snippet_words, err);
    rc = dp_snippet_make_filtered(&slot->snippet, s->an, slot->hit.text,
                                  slot->hit.text_len, snippet_words,
                                  match_compiled, (void *)c, &filter, err);
    if (rc < 0)
        return rc;
    slot_locate_match(slot);
    return DP_OK;
}

/* New results for @p n hits of a search of @p c that matched about
 * @p total passages; they take @p c's notices and explained terms. */
static int results_for(compiled *c, const dp_search_opts *opts, size_t n,
                       uint64_t total, dp_results **out, dp_error *err)
{
    dp_results *r = NULL;
    int rc = results_new(&r, n, err);

    *out = NULL;
    if (rc < 0)
        return rc;
    r->total = total;
    r->k1 = opts->k1;
    r->b = opts->b;
    r->notices = c->notices;
    memset(&c->notices, 0, sizeof c->notices);
    r->explain = c->explain;
    memset(&c->explain, 0, sizeof c->explain);
    *out = r;
    return DP_OK;
}

/* Xapian's search options for @p opts: BM25, ties by passage id. */
static void xsearch_opts(const dp_search_opts *opts, xshim_search_opts *xo)
{
    memset(xo, 0, sizeof *xo);
    xo->k1 = opts->k1;
    xo->b = opts->b;
    xo->tie_slot = DP_SLOT_ORDER;
}

/* ---- neighbours ----------------------------------------------------------
 *
 * A free-word query ranks a passage by its neighbours too: each of the
 * DP_NEIGHBOUR_TOP best passages by Xapian's score gives W/2 of its score
 * to the passage before it and to the one after it in its file (W, the
 * neighbour weight).  The final score of a passage is its own score plus
 * the shares it gets, so a passage next to a top passage can be a hit
 * while holding none of the words.
 *
 * Xapian returns the first n = max(wanted, DP_NEIGHBOUR_TOP) passages by
 * their own score, the lowest t.  A passage Xapian did not return has an
 * own score <= t, so only one that gets a share can overtake a wanted
 * hit: it scores at most t + share.  Those whose bound reaches the score
 * of the last wanted hit are looked up by their Q terms, with their own
 * score (a second search, restricted to them); the others cannot be among
 * the hits.  Scores are quantised like Xapian's, and ties broken by value
 * slot DP_SLOT_ORDER (relpath, NUL, ordinal), so the hits are the same on
 * every layout of the index. */

typedef struct nb_cand {
    size_t key_off, key_len; /* slot DP_SLOT_ORDER, in nb_set.keys */
    uint32_t docid;          /* 0: not returned by Xapian (yet) */
    double own;              /* Xapian's score */
    double share;            /* from the neighbours */
    double score;            /* own + share, quantised */
} nb_cand;

typedef struct nb_set {
    nb_cand *v;
    size_t n, cap;
    dp_buf keys;
} nb_set;

static void nb_set_release(nb_set *ns)
{
    free(ns->v);
    dp_buf_release(&ns->keys);
    memset(ns, 0, sizeof *ns);
}

/* Append a candidate of key @p key; its index is ns->n - 1. */
static int nb_add(nb_set *ns, const char *key, size_t len)
{
    nb_cand *c;

    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 64;
        nb_cand *v = realloc(ns->v, cap * sizeof *v);
        if (v == NULL)
            return DP_ENOMEM;
        ns->v = v;
        ns->cap = cap;
    }
    c = &ns->v[ns->n];
    memset(c, 0, sizeof *c);
    c->key_off = ns->keys.len;
    c->key_len = len;
    if (dp_buf_add(&ns->keys, key, len) < 0)
        return DP_ENOMEM;
    ns->n++;
    return DP_OK;
}

/* Byte order, a key before the longer keys it begins (std::string's). */
static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int d = memcmp(a, b, alen < blen ? alen : blen);

    if (d != 0)
        return d;
    return alen < blen ? -1 : alen > blen;
}

static int nb_key_cmp(const nb_set *ns, size_t i, const char *key,
                      size_t len)
{
    return key_cmp(ns->keys.data + ns->v[i].key_off, ns->v[i].key_len, key,
                   len);
}

/* qsort() takes no context; batch threads sort at the same time. */
static _Thread_local const nb_set *nb_sorting;

static int cmp_nb_index(const void *pa, const void *pb)
{
    const nb_cand *b = &nb_sorting->v[*(const size_t *)pb];

    return nb_key_cmp(nb_sorting, *(const size_t *)pa,
                      nb_sorting->keys.data + b->key_off, b->key_len);
}

static int cmp_nb_rank(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const nb_cand *ca = &nb_sorting->v[a], *cb = &nb_sorting->v[b];

    if (ca->score != cb->score)
        return ca->score > cb->score ? -1 : 1;
    return nb_key_cmp(nb_sorting, a, nb_sorting->keys.data + cb->key_off,
                      cb->key_len);
}

/* Sort the indexes @p idx (n) of @p ns by key, or by rank. */
static void nb_sort(const nb_set *ns, size_t *idx, size_t n, bool rank)
{
    nb_sorting = ns;
    qsort(idx, n, sizeof *idx, rank ? cmp_nb_rank : cmp_nb_index);
    nb_sorting = NULL;
}

/* The candidate of key @p key among the indexes @p idx (n, sorted by
 * key), or SIZE_MAX. */
static size_t nb_find(const nb_set *ns, const size_t *idx, size_t n,
                      const char *key, size_t len)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = nb_key_cmp(ns, idx[mid], key, len);
        if (d == 0)
            return idx[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* Search @p c filtered by the Q terms @p qs (nq of them) and set the
 * document id and own score of the candidates of @p ns it returns. */
static int nb_filtered(dp_searcher *s, const compiled *c,
                       const dp_search_opts *opts, nb_set *ns, size_t *idx,
                       size_t n, xshim_query **qs, size_t nq, dp_error *err)
{
    xshim_query *any = NULL, *xq = NULL, *both[2];
    xshim_mset *ms = NULL;
    xshim_search_opts xo;
    dp_buf key = DP_BUF_INIT;
    int rc = xshim_query_combine(&any, XSHIM_OP_OR, qs, nq, 0, err);

    xsearch_opts(opts, &xo);
    xo.count = (uint32_t)nq;
    both[0] = c->xq;
    both[1] = any;
    if (rc == 0)
        rc = xshim_query_combine(&xq, XSHIM_OP_FILTER, both, 2, 0, err);
    if (rc == 0)
        rc = xshim_search(dp_index_db(s->idx), xq, &xo, &ms, err);
    if (rc == 0 && n > 1)
        nb_sort(ns, idx, n, false);
    for (size_t j = 0; rc == 0 && j < xshim_mset_size(ms); j++) {
        size_t at;
        dp_buf_reset(&key);
        rc = xshim_mset_value(ms, j, DP_SLOT_ORDER, &key, err);
        at = rc < 0 ? SIZE_MAX : nb_find(ns, idx, n, key.data, key.len);
        if (at != SIZE_MAX) {
            ns->v[at].docid = xshim_mset_docid(ms, j);
            ns->v[at].own = xshim_mset_weight(ms, j);
        }
    }
    xshim_query_free(any);
    xshim_query_free(xq);
    xshim_mset_free(ms);
    dp_buf_release(&key);
    return rc;
}

/* Look up the candidates @p idx (n) of @p ns, which Xapian did not
 * return: their own scores, from one search filtered by their Q terms
 * (none when @p c is NULL: Xapian returned every passage that matches),
 * and their document ids; a passage that does not match scores 0, one
 * that does not exist keeps docid 0.  (Listing them all in that search,
 * as an OR with their Q terms, costs more: 4.54 -> 4.60 G instructions
 * for the 200 queries of docs/performance.md.) */
static int nb_lookup(dp_searcher *s, const compiled *c,
                     const dp_search_opts *opts, nb_set *ns, size_t *idx,
                     size_t n, dp_error *err)
{
    xshim_query **qs = calloc(n ? n : 1, sizeof *qs);
    dp_buf term = DP_BUF_INIT;
    size_t nq = 0, path_len;
    uint32_t ordinal;
    int rc = qs ? DP_OK : dp_error_set(err, DP_ENOMEM, "out of memory");

    for (size_t i = 0; rc == 0 && c != NULL && i < n; i++) {
        const nb_cand *nc = &ns->v[idx[i]];
        const char *k = ns->keys.data + nc->key_off;
        if (!dp_index_order_parse(k, nc->key_len, &path_len, &ordinal))
            continue;
        if (dp_index_id_term(&term, k, path_len, ordinal) < 0)
            rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        else
            rc = xshim_query_term(&qs[nq], term.data, term.len, 1, 0, err);
        if (rc == 0)
            nq++;
    }
    if (rc == 0 && nq > 0)
        rc = nb_filtered(s, c, opts, ns, idx, n, qs, nq, err);
    /* The passages that do not match: do they exist? */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        nb_cand *nc = &ns->v[idx[i]];
        const char *k = ns->keys.data + nc->key_off;
        if (nc->docid != 0 ||
            !dp_index_order_parse(k, nc->key_len, &path_len, &ordinal))
            continue;
        rc = dp_index_passage_docid(s->idx, k, path_len, ordinal, &nc->docid,
                                    err);
        if (rc == DP_ENOTFOUND) {
            dp_error_clear(err);
            rc = DP_OK;
        }
    }
    for (size_t i = 0; i < nq; i++)
        xshim_query_free(qs[i]);
    free(qs);
    dp_buf_release(&term);
    return rc;
}

/* Give the shares of the top passages of @p ns (the first @p top of the
 * @p n Xapian returned, by rank) to their neighbours, adding the
 * neighbours Xapian did not return to @p ns. */
static int nb_share(nb_set *ns, size_t n, size_t top, double half,
                    dp_error *err)
{
    size_t *by_key = malloc((n ? n : 1) * sizeof *by_key);
    dp_buf key = DP_BUF_INIT;
    size_t path_len;
    uint32_t ordinal;
    int rc = DP_OK;

    if (by_key == NULL)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        by_key[i] = i;
    nb_sort(ns, by_key, n, false);
    for (size_t i = 0; rc == 0 && i < top; i++) {
        double give = half * ns->v[i].own;
        if (!dp_index_order_parse(ns->keys.data + ns->v[i].key_off,
                                  ns->v[i].key_len, &path_len, &ordinal))
            continue;
        for (int d = -1; rc == 0 && d <= 1; d += 2) {
            size_t at;
            if ((d < 0 && ordinal <= 1) || (d > 0 && ordinal == UINT32_MAX))
                continue;
            /* (nb_add() below may move ns->keys: the key is read anew) */
            if (dp_index_order_key(&key, ns->keys.data + ns->v[i].key_off,
                                   path_len, ordinal + (uint32_t)d) < 0) {
                rc = dp_error_set(err, DP_ENOMEM, "out of memory");
                break;
            }
            at = nb_find(ns, by_key, n, key.data, key.len);
            for (size_t j = n; at == SIZE_MAX && j < ns->n; j++) {
                if (nb_key_cmp(ns, j, key.data, key.len) == 0)
                    at = j;
            }
            if (at == SIZE_MAX) {
                if (nb_add(ns, key.data, key.len) < 0) {
                    rc = dp_error_set(err, DP_ENOMEM, "out of memory");
                    break;
                }
                at = ns->n - 1;
            }
            ns->v[at].share += give;
        }
    }
    free(by_key);
    dp_buf_release(&key);
    return rc;
}

/* A score as the shim rounds Xapian's, so that equal sums compare equal
 * whatever the order they were added in. */
static double quantise(double w)
{
    return nearbyint(w / XSHIM_WEIGHT_QUANTUM) * XSHIM_WEIGHT_QUANTUM;
}

/* run_compiled() for a free-word query with neighbours. */
static int run_neighbours(dp_searcher *s, compiled *c,
                          const dp_search_opts *opts, size_t snippet_words,
                          dp_results **out, dp_error *err)
{
    uint32_t want = opts->offset + opts->k;
    xshim_mset *ms = NULL;
    xshim_search_opts xo;
    dp_results *r = NULL;
    nb_set ns;
    size_t *order = NULL, *need = NULL;
    dp_buf key = DP_BUF_INIT;
    size_t n, nneed = 0, ncand = 0, shown;
    double last = -1, low;
    bool all;
    int rc;

    *out = NULL;
    memset(&ns, 0, sizeof ns);
    xsearch_opts(opts, &xo);
    xo.count = want > DP_NEIGHBOUR_TOP ? want : DP_NEIGHBOUR_TOP;
    xo.check_at_least = opts->exact_count ? UINT32_MAX : 0;
    rc = xshim_search(dp_index_db(s->idx), c->xq, &xo, &ms, err);
    if (rc < 0)
        goto done;
    n = xshim_mset_size(ms);
    all = n < xo.count; /* every matching passage is among them */
    low = all || n == 0 ? 0 : xshim_mset_weight(ms, n - 1);
    for (size_t i = 0; i < n; i++) {
        dp_buf_reset(&key);
        rc = xshim_mset_value(ms, i, DP_SLOT_ORDER, &key, err);
        if (rc < 0)
            goto done;
        if (nb_add(&ns, key.data, key.len) < 0) {
            rc = dp_error_set(err, DP_ENOMEM, "out of memory");
            goto done;
        }
        ns.v[i].docid = xshim_mset_docid(ms, i);
        ns.v[i].own = xshim_mset_weight(ms, i);
    }
    rc = nb_share(&ns, n, n < DP_NEIGHBOUR_TOP ? n : DP_NEIGHBOUR_TOP,
                  opts->neighbour_weight / 2, err);
    if (rc < 0)
        goto done;
    order = malloc((ns.n ? ns.n : 1) * sizeof *order);
    need = malloc((ns.n ? ns.n : 1) * sizeof *need);
    if (order == NULL || need == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    /* The score of the last wanted hit among those Xapian returned. */
    for (size_t i = 0; i < n; i++) {
        ns.v[i].score = quantise(ns.v[i].own + ns.v[i].share);
        order[i] = i;
    }
    nb_sort(&ns, order, n, true);
    if (n >= want && want > 0)
        last = ns.v[order[want - 1]].score;
    /* The others that may overtake it. */
    for (size_t i = n; i < ns.n; i++) {
        if (low + ns.v[i].share >= last)
            need[nneed++] = i;
    }
    if (nneed > 0) {
        rc = nb_lookup(s, all ? NULL : c, opts, &ns, need, nneed, err);
        if (rc < 0)
            goto done;
    }
    ncand = n;
    for (size_t i = n; i < ns.n; i++) {
        if (ns.v[i].docid == 0)
            continue;
        ns.v[i].score = quantise(ns.v[i].own + ns.v[i].share);
        order[ncand++] = i;
    }
    nb_sort(&ns, order, ncand, true);
    shown = ncand > opts->offset ? ncand - opts->offset : 0;
    if (shown > opts->k)
        shown = opts->k;
    rc = results_for(c, opts, shown, xshim_mset_matches(ms), &r, err);
    if (rc < 0)
        goto done;
    for (size_t i = 0; i < shown; i++) {
        const nb_cand *nc = &ns.v[order[opts->offset + i]];
        rc = slot_build(s, r, i, nc->docid, opts->offset + (uint32_t)i + 1,
                        nc->score, c, snippet_words, err);
        if (rc < 0)
            goto done;
        r->slots[i].neighbours = nc->share > 0 ? nc->score - nc->own : 0;
        r->slots[i].hit.by_neighbours = nc->own == 0;
    }
    *out = r;
    r = NULL;
done:
    dp_results_free(r);
    free(order);
    free(need);
    dp_buf_release(&key);
    nb_set_release(&ns);
    xshim_mset_free(ms);
    return rc;
}

/* Run a compiled query and build its hits; moves the notices and the
 * explained terms of @p c into the results. */
static int run_compiled(dp_searcher *s, compiled *c,
                        const dp_search_opts *opts, dp_results **out,
                        dp_error *err)
{
    xshim_mset *ms = NULL;
    xshim_search_opts xo;
    dp_results *r = NULL;
    size_t n, snippet_words = opts->no_snippets ? 0
                            : opts->snippet_words ? opts->snippet_words
                                                  : DP_SNIPPET_DEFAULT_WORDS;
    int rc;

    *out = NULL;
    if (c->free_words && opts->neighbour_weight > 0 && opts->k > 0 &&
        c->words >= DP_NEIGHBOUR_MIN_WORDS)
        return run_neighbours(s, c, opts, snippet_words, out, err);
    xsearch_opts(opts, &xo);
    xo.offset = opts->offset;
    xo.count = opts->k;
    xo.check_at_least = opts->exact_count ? UINT32_MAX : 0;
    rc = xshim_search(dp_index_db(s->idx), c->xq, &xo, &ms, err);
    if (rc < 0)
        goto done;
    n = xshim_mset_size(ms);
    rc = results_for(c, opts, n, xshim_mset_matches(ms), &r, err);
    if (rc < 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        rc = slot_build(s, r, i, xshim_mset_docid(ms, i),
                        opts->offset + (uint32_t)i + 1,
                        xshim_mset_weight(ms, i), c, snippet_words, err);
        if (rc < 0)
            goto done;
    }
    *out = r;
    r = NULL;
done:
    dp_results_free(r);
    xshim_mset_free(ms);
    return rc;
}

static int dp_search_run_once(dp_searcher *s, const char *query, size_t len,
                  const dp_search_opts *opts, dp_results **out,
                  dp_error *err)
{
    dp_query *q = NULL;
    compiled c;
    size_t cut = 0;
    int rc;

    *out = NULL;
    memset(&c, 0, sizeof c);
    if (opts->k > DP_MAX_HITS || opts->offset > DP_MAX_HITS) {
        rc = dp_error_set(err, DP_ELIMIT, "at most %d hits", DP_MAX_HITS);
        goto done;
    }
    /* Lenient reading takes an over-long query as words too: its first
     * DP_QUERY_MAX_BYTES, cut between two characters, and says so. */
    if (opts->lenient && len > DP_QUERY_MAX_BYTES) {
        cut = DP_QUERY_MAX_BYTES;
        U8_SET_CP_START((const uint8_t *)query, 0, cut);
    }
    rc = dp_query_parse(&q, query, cut ? cut : len, opts->lenient, err);
    if (rc < 0)
        goto done;
    rc = compile(s, q, opts, &c, err);
    if (rc == DP_ESYNTAX && opts->lenient) {
        /* Parsed, but not searchable as written (NEAR over an expansion):
         * lenient reading takes it as plain words. */
        compiled_release(&c);
        dp_query_free(q);
        q = NULL;
        dp_error_clear(err);
        rc = dp_query_plain(&q, query, cut ? cut : len, err);
        if (rc == 0)
            rc = compile(s, q, opts, &c, err);
    }
    if (rc == 0 && cut > 0 &&
        dp_buf_addf(&c.notices, "column %zu: the query was cut to its first "
                    "%d bytes\n", cut + 1, DP_QUERY_MAX_BYTES) < 0)
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
    if (rc < 0)
        goto done;
    rc = run_compiled(s, &c, opts, out, err);
done:
    compiled_release(&c);
    dp_query_free(q);
    return rc;
}

/* ---- spelling suggestions ----------------------------------------------- */

#define DP_SUGGEST_MAX_BYTES 512

typedef struct fix {
    size_t start, end;     /* bytes of the query to replace */
    char *with;
} fix;

/* @p df: documents holding the folded word in their text, title or
 * section heading. */
static int known_word(dp_searcher *s, const char *norm, size_t len,
                      uint64_t *df, dp_error *err)
{
    static const char prefixes[] = { '\0', DP_PREFIX_TITLE,
                                     DP_PREFIX_SECTION };
    int rc = DP_OK;

    *df = 0;
    for (size_t i = 0; i < sizeof prefixes && rc == 0 && *df == 0; i++)
        rc = term_df(s, prefixes[i], norm, len, df, err);
    return rc;
}

static int suggest_node(dp_searcher *s, const char *query,
                        const dp_qnode *n, bool negated, dp_buf *out,
                        size_t *at, bool *changed, dp_error *err)
{
    tokvec tv;
    int rc = DP_OK;

    negated = negated || n->mod == DP_QMOD_MUSTNOT;
    if (n->kind == DP_Q_WORD || n->kind == DP_Q_EXACT ||
        n->kind == DP_Q_PHRASE) {
        rc = analyze(s->an, n->text, n->len, &tv, err);
        for (size_t i = 0; i < tv.n && rc == 0 && !negated; i++) {
            const qtok *t = &tv.v[i];
            uint64_t df = 0;
            candvec cv;
            size_t start = (size_t)(n->text - query) + t->start;
            /* "w10" is a code, not a misspelling; an ordinal in Roman
             * numerals ("XXIXe", "Ier") is found through its value. */
            if ((t->flags & (DP_TOK_STOP | DP_TOK_NUMBER)) || t->norm_len < 3 ||
                strpbrk(t->norm, "0123456789") != NULL ||
                (t->stem_len > 0 && t->stem[0] >= '0' && t->stem[0] <= '9'))
                continue;
            rc = known_word(s, t->norm, t->norm_len, &df, err);
            if (rc < 0 || df > 0)
                continue;
            memset(&cv, 0, sizeof cv);
            rc = nearest_words(s, t->norm, t->norm_len,
                               t->norm_len <= 4 ? 1 : 2, &cv, err);
            /* A stop word is no better query ("XLe" -> "le"). */
            for (size_t k = 0; rc == 0 && k < cv.n;) {
                if (dp_analyzer_is_stopword(cv.v[k].term, cv.v[k].len)) {
                    free(cv.v[k].term);
                    cv.v[k] = cv.v[--cv.n];
                } else {
                    k++;
                }
            }
            if (rc == 0 && cv.n > 0) {
                candvec_bound(&cv, 1);
                if (dp_buf_add(out, query + *at, start - *at) < 0 ||
                    dp_buf_adds(out, cv.v[0].term) < 0)
                    rc = dp_error_set(err, DP_ENOMEM, "out of memory");
                *at = (size_t)(n->text - query) + t->end;
                *changed = true;
            }
            candvec_release(&cv);
        }
        tokvec_release(&tv);
        return rc;
    }
    for (size_t i = 0; i < n->nkids && rc == 0; i++)
        rc = suggest_node(s, query, n->kids[i],
                          negated || (n->kind == DP_Q_NOT && i > 0), out, at,
                          changed, err);
    return rc;
}

static int dp_search_suggest_once(dp_searcher *s, const char *query, size_t len,
                      dp_buf *out, dp_error *err)
{
    dp_query *q = NULL;
    size_t at = 0;
    bool changed = false;
    int rc = dp_query_parse(&q, query, len, true, err);

    dp_buf_reset(out);
    if (rc < 0)
        goto done;
    /* Spelling help is for what people type, not for pasted pages. */
    if (len > DP_SUGGEST_MAX_BYTES) {
        rc = DP_ENOTFOUND;
        goto done;
    }
    rc = suggest_node(s, query, dp_query_root(q), false, out, &at, &changed,
                      err);
    if (rc < 0)
        goto done;
    if (dp_buf_add(out, query + at, len - at) < 0) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    rc = changed && (out->len != len || memcmp(out->data, query, len) != 0)
             ? DP_OK
             : DP_ENOTFOUND;
done:
    if (rc != DP_OK)
        dp_buf_reset(out);
    dp_query_free(q);
    return rc;
}

/* ---- quotations ---------------------------------------------------------- */

/* Longest common subsequence of two word sequences (same_word()); with
 * @p content, stop words are left out of both. */
static size_t lcs(const qtok *a, size_t na, const qtok *b, size_t nb,
                  bool content)
{
    size_t *prev = calloc(nb + 1, sizeof *prev);
    size_t *cur = calloc(nb + 1, sizeof *cur);
    size_t best = 0;

    if (prev == NULL || cur == NULL)
        goto done;
    for (size_t i = 1; i <= na; i++) {
        size_t *tmp = NULL;
        if (content && (a[i - 1].flags & DP_TOK_STOP))
            continue;
        for (size_t j = 1; j <= nb; j++) {
            if (content && (b[j - 1].flags & DP_TOK_STOP))
                cur[j] = cur[j - 1];
            else if (same_word(&a[i - 1], &b[j - 1]))
                cur[j] = prev[j - 1] + 1;
            else
                cur[j] = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
        }
        tmp = prev;
        prev = cur;
        cur = tmp;
    }
    best = prev[nb];
done:
    free(prev);
    free(cur);
    return best;
}

static bool same_words(const qtok *a, const qtok *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!same_word(&a[i], &b[i]))
            return false;
    return true;
}

/* Words of the stored passage @p docid, and its record in @p storage. */
static int passage_words(dp_searcher *s, uint32_t docid, dp_buf *storage,
                         dp_record *rec, tokvec *tv, dp_error *err)
{
    int rc = xshim_db_get_data(dp_index_db(s->idx), docid, storage, err);

    memset(tv, 0, sizeof *tv);
    if (rc < 0)
        return rc;
    if (dp_record_decode(storage->data, storage->len, rec) < 0)
        return dp_error_set(err, DP_ECORRUPT, "corrupt passage record");
    return analyze(s->an, rec->text, rec->text_len, tv, err);
}

#define QUOTE_CANDIDATES 50
#define QUOTE_MAX_WORDS 2000

/* Footnote calls ("…azerbaïdjanaises[6].") and list numbers ("1. Les
 * Parties") sit at the edges of passages but not in quotations: the
 * number of number tokens at the end (@p tail) or start of @p tv. */
static size_t edge_numbers(const tokvec *tv, bool tail)
{
    size_t k = 0;

    while (k < tv->n &&
           (tv->v[tail ? tv->n - 1 - k : k].flags & DP_TOK_NUMBER))
        k++;
    return k;
}

/* The quote's first @p k words end @p pw (perhaps before a footnote call)
 * and the rest open @p nw (perhaps after a list number)? */
static bool quote_joins(const tokvec *pw, const tokvec *nw,
                        const tokvec *quote, size_t k)
{
    size_t tail = edge_numbers(pw, true), head = edge_numbers(nw, false);
    bool end_ok = false, start_ok = false;

    for (size_t cut = 0; cut <= tail && !end_ok; cut += tail ? tail : 1)
        end_ok = k <= pw->n - cut &&
                 same_words(pw->v + pw->n - cut - k, quote->v, k);
    for (size_t skip = 0; skip <= head && !start_ok; skip += head ? head : 1)
        start_ok = nw->n - skip >= quote->n - k &&
                   same_words(nw->v + skip, quote->v + k, quote->n - k);
    return end_ok && start_ok;
}

/* The quote continues past the end of passage @p docid into the next
 * one: @return the next passage's docid in @p next, or 0. */
static int quote_spans(dp_searcher *s, uint32_t docid, const tokvec *quote,
                       uint32_t *next, dp_error *err)
{
    dp_buf st = DP_BUF_INIT, st2 = DP_BUF_INIT;
    dp_record rec, rec2;
    tokvec pw, nw;
    uint32_t nd = 0;
    int rc = passage_words(s, docid, &st, &rec, &pw, err);

    *next = 0;
    memset(&nw, 0, sizeof nw);
    if (rc < 0)
        goto done;
    rc = dp_index_passage_docid(s->idx, rec.relpath, rec.relpath_len,
                                rec.ordinal + 1, &nd, err);
    if (rc == DP_ENOTFOUND) {
        rc = DP_OK; /* the last passage of its file */
        goto done;
    }
    if (rc < 0)
        goto done;
    rc = passage_words(s, nd, &st2, &rec2, &nw, err);
    if (rc < 0)
        goto done;
    for (size_t k = quote->n - 1; k >= 1 && *next == 0; k--)
        if (quote_joins(&pw, &nw, quote, k))
            *next = nd;
done:
    tokvec_release(&pw);
    tokvec_release(&nw);
    dp_buf_release(&st);
    dp_buf_release(&st2);
    return rc;
}

/* Highlighting a quotation: mark the passage words that carry it, as the
 * label counts them (1 + their index in the quotation), and highlight
 * those only, not every "les" of the passage (marked_snippet()). */

/* Which words of a passage carry the quotation. */
typedef enum quote_part {
    QUOTE_WHOLE, /* exact: all its words in sequence */
    QUOTE_HEAD,  /* exact, spanning: its first words end the passage */
    QUOTE_TAIL,  /* exact, spanning: its last words open the passage */
    QUOTE_ALIGN  /* approximate: its words in order, others between */
} quote_part;

/* The longest run of the quote's first words (QUOTE_HEAD: their last
 * occurrence), last words (QUOTE_TAIL: their first) or all its words
 * (QUOTE_WHOLE: their first) in sequence in @p pw, marked in @p qpos.
 * @return whether one was found. */
static bool mark_run(const tokvec *quote, const tokvec *pw, quote_part part,
                     size_t *qpos)
{
    size_t n = quote->n, m = pw->n;

    for (size_t len = n; len >= 1; len--) {
        size_t qs = part == QUOTE_TAIL ? n - len : 0;

        for (size_t k = 0; k + len <= m; k++) {
            /* the quote's start ends the passage: its last occurrence */
            size_t i = part == QUOTE_HEAD ? m - len - k : k;

            if (!same_words(pw->v + i, quote->v + qs, len))
                continue;
            for (size_t j = 0; j < len; j++)
                qpos[i + j] = qs + j + 1;
            return true;
        }
        if (part == QUOTE_WHOLE)
            break;
    }
    return false;
}

/* The in-order alignment of @p quote on @p pw with the most words (a
 * longest common subsequence) and, among those, the fewest runs, marked
 * in @p qpos: the words an approximate match counts, together where the
 * passage has them together ("les plus" in "Les 50 pays les plus"). */
static void mark_alignment(const tokvec *quote, const tokvec *pw,
                           size_t *qpos)
{
    size_t n = quote->n, m = pw->n, w = m + 1;
    /* f[c][i * w + j]: the best value for quote[i..] on pw[j..], each
     * word matched counting n + 1 and each run started -1; c: quote[i-1]
     * was matched to pw[j-1], so a match at (i, j) continues its run. */
    uint32_t *f[2] = { calloc((n + 1) * w, sizeof *f[0]),
                       calloc((n + 1) * w, sizeof *f[1]) };
    const uint32_t word = (uint32_t)n + 1; /* n <= QUOTE_MAX_WORDS */

    if (f[0] == NULL || f[1] == NULL)
        goto done; /* no highlight is better than a wrong one */
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            for (int c = 0; c < 2; c++) {
                uint32_t best = f[0][(i + 1) * w + j];

                if (f[0][i * w + j + 1] > best)
                    best = f[0][i * w + j + 1];
                if (same_words(quote->v + i, pw->v + j, 1) &&
                    f[1][(i + 1) * w + j + 1] + word - (c ? 0 : 1) > best)
                    best = f[1][(i + 1) * w + j + 1] + word - (c ? 0 : 1);
                f[c][i * w + j] = best;
            }
    for (size_t i = 0, j = 0, c = 0; i < n && j < m;) {
        uint32_t here = f[c][i * w + j];

        if (same_words(quote->v + i, pw->v + j, 1) &&
            here == f[1][(i + 1) * w + j + 1] + word - (c ? 0 : 1)) {
            qpos[j] = i + 1;
            i++;
            j++;
            c = 1;
        } else if (here == f[0][(i + 1) * w + j]) {
            i++;
            c = 0;
        } else {
            j++;
            c = 0;
        }
    }
done:
    free(f[0]);
    free(f[1]);
}

/* What marks a quotation's words in a passage (a mark_fn's context). */
typedef struct quote_marks {
    const tokvec *quote;
    quote_part part;
} quote_marks;

static void mark_quote(const tokvec *pw, size_t *qpos, const void *ctx)
{
    const quote_marks *q = ctx;

    if (q->part == QUOTE_ALIGN || !mark_run(q->quote, pw, q->part, qpos))
        mark_alignment(q->quote, pw, qpos);
}

/* Redo the snippet of hit @p i with the quotation's own words marked. */
static int quote_snippet(dp_searcher *s, dp_results *r, size_t i,
                         const tokvec *quote, quote_part part, size_t words,
                         dp_error *err)
{
    quote_marks q = { quote, part };

    return marked_snippet(s, &r->slots[i], mark_quote, &q, NULL, NULL, words,
                          err);
}

static int dp_search_quote_once(dp_searcher *s, const char *text, size_t len,
                    const dp_search_opts *opts, dp_results **out,
                    dp_quote_match *m, dp_error *err)
{
    tokvec quote;
    compiled c;
    dp_search_opts o = *opts;
    xshim_mset *ms = NULL;
    xshim_search_opts xo;
    dp_results *r = NULL;
    size_t best = 0, best_content = 0, best_i = 0;
    int rc;

    *out = NULL;
    memset(m, 0, sizeof *m);
    memset(&c, 0, sizeof c);
    rc = analyze(s->an, text, len, &quote, err);
    if (rc < 0)
        goto done;
    if (quote.n == 0) {
        rc = dp_error_set(err, DP_ESYNTAX, "column 1: the quotation has no "
                          "word");
        goto done;
    }
    if (quote.n > QUOTE_MAX_WORDS) {
        rc = dp_error_set(err, DP_ELIMIT, "the quotation is longer than %d "
                          "words", QUOTE_MAX_WORDS);
        goto done;
    }
    /* Show the whole quotation in the snippet when it is short. */
    if (o.snippet_words < quote.n + 10)
        o.snippet_words = quote.n + 10 < DP_SNIPPET_MAX_WORDS
                              ? quote.n + 10 : DP_SNIPPET_MAX_WORDS;

    /* 1. Exact: the words in sequence within one passage. */
    {
        compiler cp = { s, &c, 0, err, 1, false };
        c.keep_stops = true;
        rc = cp_phrase(&cp, 0, &quote, 0, quote.n, 0, XSHIM_OP_PHRASE, &c.xq);
        if (rc < 0)
            goto done;
        rc = compiled_seal(&c, err);
        if (rc < 0)
            goto done;
        /* Count every exact match: the label says how many passages hold
         * the quotation, whatever -k and --offset show. */
        o.exact_count = true;
        rc = run_compiled(s, &c, &o, &r, err);
        if (rc < 0)
            goto done;
        if (dp_results_total(r) > 0) {
            m->exact = true;
            m->coverage = 1.0;
            m->words = m->matched = quote.n;
            for (size_t i = 0; i < dp_results_size(r) && rc == 0; i++)
                rc = quote_snippet(s, r, i, &quote, QUOTE_WHOLE,
                                   o.snippet_words, err);
            if (rc < 0)
                goto done;
            *out = r;
            r = NULL;
            goto done;
        }
        dp_results_free(r);
        r = NULL;
    }

    /* 2. and 3.: candidates ranked on the quotation's words. */
    {
        xshim_query **subs = calloc(quote.n, sizeof *subs);
        compiler cp = { s, &c, 0, err, 1, false };
        if (subs == NULL) {
            rc = dp_error_set(err, DP_ENOMEM, "out of memory");
            goto done;
        }
        xshim_query_free(c.xq);
        c.xq = NULL;
        for (size_t i = 0; i < quote.n && rc == 0; i++)
            rc = cp_term(&cp, 0, quote.v[i].norm, quote.v[i].norm_len,
                         (uint32_t)i + 1, &subs[i]);
        rc = cp_combine(&cp, rc, XSHIM_OP_OR, subs, quote.n, 0, &c.xq);
        free(subs);
        if (rc < 0)
            goto done;
    }
    memset(&xo, 0, sizeof xo);
    xo.count = QUOTE_CANDIDATES;
    xo.k1 = opts->k1;
    xo.b = opts->b;
    xo.tie_slot = DP_SLOT_ORDER;
    rc = xshim_search(dp_index_db(s->idx), c.xq, &xo, &ms, err);
    if (rc < 0)
        goto done;
    for (size_t i = 0; i < xshim_mset_size(ms); i++) {
        uint32_t next = 0;
        rc = quote_spans(s, xshim_mset_docid(ms, i), &quote, &next, err);
        if (rc < 0)
            goto done;
        if (next != 0) {
            rc = results_new(&r, 2, err);
            if (rc == 0)
                rc = slot_build(s, r, 0, xshim_mset_docid(ms, i), 1,
                                xshim_mset_weight(ms, i), &c,
                                o.snippet_words, err);
            if (rc == 0)
                rc = slot_build(s, r, 1, next, 2, 0.0, &c, o.snippet_words,
                                err);
            if (rc < 0)
                goto done;
            r->total = 1;
            m->exact = true;
            m->spans = true;
            m->coverage = 1.0;
            m->words = m->matched = quote.n;
            for (size_t k = 0; k < dp_results_size(r) && rc == 0; k++)
                rc = quote_snippet(s, r, k, &quote,
                                   k == 0 ? QUOTE_HEAD : QUOTE_TAIL,
                                   o.snippet_words, err);
            if (rc < 0)
                goto done;
            *out = r;
            r = NULL;
            goto done;
        }
    }
    /* The closest passage: most content words of the quotation in
     * order, then most words in order, then the BM25 rank. */
    for (size_t i = 0; i < xshim_mset_size(ms); i++) {
        dp_buf st = DP_BUF_INIT;
        dp_record rec;
        tokvec pw;
        size_t lc = 0, la = 0;
        rc = passage_words(s, xshim_mset_docid(ms, i), &st, &rec, &pw, err);
        if (rc == 0) {
            lc = lcs(quote.v, quote.n, pw.v, pw.n, true);
            la = lcs(quote.v, quote.n, pw.v, pw.n, false);
        }
        tokvec_release(&pw);
        dp_buf_release(&st);
        if (rc < 0)
            goto done;
        if (lc > best_content || (lc == best_content && la > best)) {
            best_content = lc;
            best = la;
            best_i = i;
        }
    }
    if (best == 0) {
        rc = results_new(out, 0, err);
        goto done;
    }
    rc = results_new(&r, 1, err);
    if (rc == 0)
        rc = slot_build(s, r, 0, xshim_mset_docid(ms, best_i), 1,
                        xshim_mset_weight(ms, best_i), &c, o.snippet_words,
                        err);
    if (rc < 0)
        goto done;
    r->total = 1;
    m->words = quote.n;
    m->matched = best;
    m->coverage = (double)best / (double)quote.n;
    rc = quote_snippet(s, r, 0, &quote, QUOTE_ALIGN, o.snippet_words, err);
    if (rc < 0)
        goto done;
    *out = r;
    r = NULL;
done:
    dp_results_free(r);
    xshim_mset_free(ms);
    compiled_release(&c);
    tokvec_release(&quote);
    return rc;
}

const char *dp_results_notices(const dp_results *r)
{
    return dp_buf_cstr(&r->notices);
}

/* ---- --explain ----------------------------------------------------------- */

/* Xapian's BM25Weight with k2 = 0, k3 = 1, min_normlen = 0.5 and a query
 * frequency of 1, written out so that each term's share can be shown:
 *   idf  = log(max((N - n + 0.5) / (n + 0.5), ...))  (see below)
 *   part = idf * (k1 + 1) * tf / (k1 * ((1 - b) + b * L) + tf)
 * with L = max(doclen / avlen, 0.5). */
static double bm25_idf(double N, double n)
{
    double tw = (N - n + 0.5) / (n + 0.5);

    /* Xapian keeps weights of very common words positive this way. */
    if (tw < 2)
        tw = tw * 0.5 + 1;
    return log(tw);
}

static int explain_hit(dp_searcher *s, const dp_results *r, size_t i,
                       dp_buf *out, dp_error *err)
{
    xshim_db *db = dp_index_db(s->idx);
    const hit_slot *slot = &r->slots[i];
    xshim_stats st;
    uint64_t doclen = 0;
    double sum = 0, normlen, other;
    int rc = xshim_db_stats(db, &st, err);

    if (rc < 0)
        return rc;
    for (size_t t = 0; t < r->explain.n; t++) {
        const char *term = r->explain.v[t];
        size_t tlen = r->explain.lens[t];
        uint64_t df = 0;
        uint32_t wdf = 0;
        double idf, part;
        rc = xshim_db_termfreq(db, term, tlen, &df, err);
        if (rc == 0)
            rc = xshim_db_doc_wdf(db, slot->docid, term, tlen, &wdf, &doclen,
                                  err);
        if (rc < 0)
            return rc;
        normlen = st.avlength > 0 ? (double)doclen / st.avlength : 1;
        if (normlen < 0.5)
            normlen = 0.5;
        idf = bm25_idf((double)st.doccount, (double)df);
        part = wdf == 0 ? 0
             : idf * (r->k1 + 1) * wdf /
                   (r->k1 * ((1 - r->b) + r->b * normlen) + wdf);
        /* The scale the query gives the term (context, truncation, exact
         * form, correction), once per time it uses it: a word the query
         * repeats is weighted once per repetition. */
        part *= r->explain.w[t];
        sum += part;
        if (dp_buf_addf(out, "%s%s\t%u\t%" PRIu64 "\t%.6f\t%.6f\n",
                        term[0] == DP_PREFIX_STEM ? "~"
                        : term[0] == DP_PREFIX_CONTEXT ? "title/section ~"
                        : term[0] == DP_PREFIX_TRUNC   ? "truncation "
                                                       : "",
                        term[0] == DP_PREFIX_STEM ||
                                term[0] == DP_PREFIX_CONTEXT ||
                                term[0] == DP_PREFIX_TRUNC
                            ? term + 1 : term,
                        wdf, df, idf, part) < 0)
            return dp_error_set(err, DP_ENOMEM, "out of memory");
    }
    /* What the listed terms do not explain: the proximity bonus of
     * neighbouring query words (and expansions, which are not listed);
     * negative when the passage holds the words of a phrase but not the
     * phrase (they are listed, the score does not count them).  Then the
     * share the passages before and after it give. */
    other = slot->hit.score - slot->neighbours - sum;
    if (fabs(other) > 1e-6 &&
        dp_buf_addf(out, "=other\t%.6f\n", other) < 0)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    if (slot->neighbours > 0 &&
        dp_buf_addf(out, "=neighbours\t%.6f\n", slot->neighbours) < 0)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    if (xshim_db_doc_wdf(db, slot->docid, "", 0, &(uint32_t){ 0 }, &doclen,
                         err) < 0)
        return err ? err->code : DP_EXAPIAN;
    if (dp_buf_addf(out, "=length\t%" PRIu64 "\t%.1f\t%.6f\t%.6f\n",
                    doclen, st.avlength, sum, slot->hit.score) < 0)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    return DP_OK;
}

/* Explain every hit of @p r now, from the revision its search read. */
static int explain_all(dp_searcher *s, dp_results *r, dp_error *err)
{
    int rc = DP_OK;

    for (size_t i = 0; i < r->n && rc == 0; i++) {
        dp_buf_reset(&r->slots[i].explain);
        rc = explain_hit(s, r, i, &r->slots[i].explain, err);
    }
    if (rc == 0)
        r->explained = true;
    return rc;
}

int dp_search_explain(dp_searcher *s, const dp_results *r, size_t i,
                      dp_buf *out, dp_error *err)
{
    const dp_buf *ex = &r->slots[i].explain;

    if (!r->explained)
        return explain_hit(s, r, i, out, err);
    if (dp_buf_add(out, ex->data ? ex->data : "", ex->len) < 0)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    return DP_OK;
}

/* ---- citations ---------------------------------------------------------- */

typedef struct prefix_ctx {
    const char *prefix;
    size_t plen;
    char *found;          /* first match, strdup'ed */
    dp_manifest_entry entry;
    size_t nfound;
    dp_buf others;        /* "a, b, c" for the ambiguity message */
} prefix_ctx;

static int cite_prefix_cb(const char *relpath, const dp_manifest_entry *e,
                     void *ctx)
{
    prefix_ctx *c = ctx;

    if (strncmp(relpath, c->prefix, c->plen) != 0)
        return 0;
    if (c->nfound == 0) {
        c->found = strdup(relpath);
        if (c->found == NULL)
            return DP_ENOMEM;
        c->entry = *e;
    }
    if (c->nfound < 5) {
        /* Names may hold anything: escaped, the message stays one line
         * and harmless on a terminal. */
        if ((c->nfound && dp_buf_adds(&c->others, ", ") < 0) ||
            dp_term_escape(&c->others, relpath, strlen(relpath)) < 0)
            return DP_ENOMEM;
    }
    c->nfound++;
    return 0;
}

/* Resolve @p ref (a relpath or a unique prefix of one) to an indexed
 * relpath in @p out (strdup'ed). */
static int cite_resolve_file(dp_searcher *s, const char *ref, size_t rlen,
                             char **out, dp_manifest_entry *entry,
                             dp_error *err)
{
    prefix_ctx c;
    int rc;

    *out = NULL;
    memset(&c, 0, sizeof c);
    c.prefix = strndup(ref, rlen);
    if (c.prefix == NULL)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    c.plen = rlen;
    rc = dp_index_manifest_get(s->idx, c.prefix, entry, err);
    if (rc == DP_OK) {
        *out = (char *)c.prefix;
        c.prefix = NULL;
        goto done;
    }
    if (rc != DP_ENOTFOUND)
        goto done;
    rc = dp_index_manifest_each(s->idx, cite_prefix_cb, &c, err);
    if (rc < 0) {
        if (rc == DP_ENOMEM)
            dp_error_set(err, rc, "out of memory");
        goto done;
    }
    if (c.nfound == 0) {
        rc = dp_error_set(err, DP_ENOTFOUND, "%s: no such file in the index",
                          c.prefix);
        goto done;
    }
    if (c.nfound > 1) {
        rc = dp_error_set(err, DP_EINVAL,
                          "%s: ambiguous, %zu files match (%s%s)", c.prefix,
                          c.nfound, dp_buf_cstr(&c.others),
                          c.nfound > 5 ? ", ..." : "");
        goto done;
    }
    *out = c.found;
    c.found = NULL;
    *entry = c.entry;
    rc = DP_OK;
done:
    free((char *)c.prefix);
    free(c.found);
    dp_buf_release(&c.others);
    return rc;
}

/* The numeric tail of @p ref after its last @p sep into @p num, where
 * @p ref ends in @p rlen; 0 stays 0 and a larger number than UINT32_MAX
 * becomes it (no passage or line has either).  @return false if none. */
static bool ref_number(const char *ref, char sep, size_t *rlen,
                       uint32_t *num)
{
    const char *p = strrchr(ref, sep);
    char *end = NULL;
    unsigned long v;

    if (p == NULL || p[1] < '0' || p[1] > '9')
        return false;
    v = strtoul(p + 1, &end, 10);
    if (*end != '\0')
        return false;
    *rlen = (size_t)(p - ref);
    *num = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    return true;
}

/* Find the ordinal of the passage of @p relpath holding @p line, by a
 * binary search over passage start lines (they increase with ordinals). */
static int cite_find_line(dp_searcher *s, const char *relpath,
                          uint32_t npassages, uint32_t line,
                          uint32_t *ordinal, dp_error *err)
{
    uint32_t lo = 1, hi = npassages, best = 0;
    dp_record rec;
    int rc = DP_OK;

    while (lo <= hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        rc = dp_index_get_passage(s->idx, relpath, strlen(relpath), mid, &rec,
                                  &s->scratch, err);
        if (rc < 0)
            return rc;
        if (rec.line <= line) {
            best = mid;
            if (line <= rec.line_end)
                break;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (best == 0)
        return dp_error_set(err, DP_ENOTFOUND,
                            "%s:%" PRIu32 ": no passage there", relpath, line);
    rc = dp_index_get_passage(s->idx, relpath, strlen(relpath), best, &rec,
                              &s->scratch, err);
    if (rc < 0)
        return rc;
    if (line > rec.line_end)
        return dp_error_set(err, DP_ENOTFOUND,
                            "%s:%" PRIu32 ": no passage there (a heading, a "
                            "blank line, or past the end)", relpath, line);
    *ordinal = best;
    return DP_OK;
}

static int dp_search_cite_once(dp_searcher *s, const char *ref, uint32_t context,
                   dp_results **out, dp_error *err)
{
    size_t rlen = strlen(ref);
    uint32_t ordinal = 1, line = 0, first, last;
    bool numbered = ref_number(ref, '#', &rlen, &ordinal), by_line = false;
    char *relpath = NULL;
    dp_manifest_entry entry;
    dp_results *r = NULL;
    int rc;

    *out = NULL;
    if (!numbered)
        by_line = ref_number(ref, ':', &rlen, &line);
    if (rlen == 0) {
        rc = dp_error_set(err, DP_EINVAL, "%s: expected RELPATH#N or "
                          "RELPATH:LINE", ref);
        goto done;
    }
    rc = cite_resolve_file(s, ref, rlen, &relpath, &entry, err);
    if (rc < 0)
        goto done;
    if (by_line) {
        rc = cite_find_line(s, relpath, entry.passages, line, &ordinal, err);
        if (rc < 0)
            goto done;
    }
    if (ordinal == 0 || ordinal > entry.passages) {
        /* The number as typed: it may be beyond UINT32_MAX. */
        rc = dp_error_set(err, DP_ENOTFOUND, "%s%s: no such passage (%s"
                          "the file has %" PRIu32 ")", relpath, ref + rlen,
                          ordinal == 0 ? "passages are numbered from 1; " : "",
                          entry.passages);
        goto done;
    }
    first = ordinal > context ? ordinal - context : 1;
    last = entry.passages - ordinal < context ? entry.passages
                                              : ordinal + context;
    rc = results_new(&r, last - first + 1, err);
    if (rc < 0)
        goto done;
    r->target = ordinal - first;
    r->total = 1;
    for (uint32_t o = first; o <= last; o++) {
        hit_slot *slot = &r->slots[o - first];
        dp_record rec;
        r->n++;
        rc = dp_index_get_passage(s->idx, relpath, strlen(relpath), o, &rec,
                                  &slot->storage, err);
        if (rc == DP_ENOTFOUND)
            rc = dp_error_set(err, DP_ECORRUPT, "%s#%" PRIu32 ": listed in "
                              "the manifest but missing", relpath, o);
        if (rc < 0)
            goto done;
        rc = slot_fill(slot, o - first + 1, 0.0, err);
        if (rc < 0)
            goto done;
    }
    *out = r;
    r = NULL;
done:
    dp_results_free(r);
    free(relpath);
    return rc;
}

/* ---- retrying when a writer commits under us ---------------------------- */

/* A reader sees the revision it opened; once a writer has committed twice
 * since, Xapian may reuse the blocks that revision needs and the read fails
 * with DatabaseModifiedError -- or, when the reused block is read before
 * its revision is checked, with DatabaseCorruptError ("Expected block 109
 * to be level 1, not 0", seen in e2e_concurrency).  The whole operation is
 * then redone on the latest revision, a few times at most; a corrupt
 * error is kept when there is no newer revision to blame. */
#define DP_MODIFIED_RETRIES 5

static int reopen_for_retry(dp_searcher *s, int rc, int attempt,
                            dp_error *err)
{
    dp_error scratch = DP_ERROR_INIT;
    bool newer = false;

    if ((rc != DP_EMODIFIED && rc != DP_ECORRUPT) ||
        attempt + 1 >= DP_MODIFIED_RETRIES)
        return rc;
    if (rc == DP_EMODIFIED) {
        dp_error_clear(err);
        rc = dp_index_reopen(s->idx, err);
        return rc < 0 ? rc : DP_EMODIFIED;
    }
    /* Corrupt: retried only when a writer has committed since. */
    if (xshim_db_reopen(dp_index_db(s->idx), &newer, &scratch) < 0 || !newer)
        return rc;
    dp_error_clear(err);
    return DP_EMODIFIED;
}

/* The hits of a search, a quotation or a citation that succeeded (@p rc),
 * explained when @p opts ask for it: inside the retried operation, so that
 * an explanation reads the revision its scores came from, and a writer's
 * commits that discard it make the whole operation run again. */
static int with_explanations(dp_searcher *s, int rc,
                             const dp_search_opts *opts, dp_results **out,
                             dp_error *err)
{
    if (rc < 0 || !opts->explain || *out == NULL)
        return rc;
    int erc = explain_all(s, *out, err);
    if (erc < 0) {
        dp_results_free(*out);
        *out = NULL;
        return erc;
    }
    return rc;
}

int dp_searcher_stats(dp_searcher *s, dp_index_stats *out, dp_error *err)
{
    int rc = DP_EMODIFIED;

    for (int i = 0; rc == DP_EMODIFIED && i < DP_MODIFIED_RETRIES; i++)
        rc = reopen_for_retry(s, dp_index_stats_get(s->idx, out, err), i,
                              err);
    return rc;
}

int dp_search_run(dp_searcher *s, const char *query, size_t len,
                  const dp_search_opts *opts, dp_results **out,
                  dp_error *err)
{
    int rc = DP_EMODIFIED;

    for (int i = 0; rc == DP_EMODIFIED && i < DP_MODIFIED_RETRIES; i++)
        rc = reopen_for_retry(
            s,
            with_explanations(
                s, dp_search_run_once(s, query, len, opts, out, err), opts,
                out, err),
            i, err);
    return rc;
}

int dp_search_cite(dp_searcher *s, const char *ref, uint32_t context,
                   dp_results **out, dp_error *err)
{
    int rc = DP_EMODIFIED;

    for (int i = 0; rc == DP_EMODIFIED && i < DP_MODIFIED_RETRIES; i++)
        rc = reopen_for_retry(s, dp_search_cite_once(s, ref, context, out,
                                                     err), i, err);
    return rc;
}

int dp_search_quote(dp_searcher *s, const char *text, size_t len,
                    const dp_search_opts *opts, dp_results **out,
                    dp_quote_match *m, dp_error *err)
{
    int rc = DP_EMODIFIED;

    for (int i = 0; rc == DP_EMODIFIED && i < DP_MODIFIED_RETRIES; i++)
        rc = reopen_for_retry(
            s,
            with_explanations(
                s, dp_search_quote_once(s, text, len, opts, out, m, err),
                opts, out, err),
            i, err);
    return rc;
}

int dp_search_suggest(dp_searcher *s, const char *query, size_t len,
                      dp_buf *out, dp_error *err)
{
    int rc = DP_EMODIFIED;

    for (int i = 0; rc == DP_EMODIFIED && i < DP_MODIFIED_RETRIES; i++)
        rc = reopen_for_retry(s, dp_search_suggest_once(s, query, len, out,
                                                        err), i, err);
    return rc;
}
