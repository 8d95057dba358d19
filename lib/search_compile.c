/* search_compile.c -- compile a query tree into a Xapian query. */
#include "search_internal.h"

#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

/* ---- term sets ---------------------------------------------------------- */

void dp_search_termset_release(termset *t)
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

/* ---- compiling a query tree into a Xapian query -------------------------- */

static void phrase_set_release(phrase_set *ps)
{
    dp_search_termset_release(&ps->words);
    free(ps->first);
    free(ps->count);
    free(ps->window);
}

void dp_search_compiled_release(compiled *c)
{
    xshim_query_free(c->xq);
    dp_search_termset_release(&c->stems);
    dp_search_termset_release(&c->truncs);
    dp_search_termset_release(&c->norms);
    dp_search_termset_release(&c->weak);
    phrase_set_release(&c->phrases);
    phrase_set_release(&c->nears);
    dp_search_termset_release(&c->explain);
    free(c->heads);
    free(c->id_weight);
    dp_buf_release(&c->notices);
    memset(c, 0, sizeof *c);
}

/* The passages of @p s's index into @p c->doccount, read once per query
 * (0 until then, and for an empty index). */
static int compiled_doccount(dp_searcher *s, compiled *c, dp_error *err)
{
    xshim_stats st;
    int rc;

    if (c->doccount > 0)
        return DP_OK;
    rc = xshim_db_stats(dp_index_db(s->idx), &st, err);
    if (rc == 0)
        c->doccount = (double)st.doccount;
    return rc;
}

/* The snippet weights of @p c's match ids (dp_search_match_compiled()):
 * each term's idf, by the weight the query gives it (a truncation's is
 * the truncation weight), in thousandths.  So the snippet shows the
 * window with the rarer words of the query: "Milosevic" before a third
 * common word.  Not for phrases and NEAR, whose words are marked
 * otherwise. */
int dp_search_id_weights(dp_searcher *s, compiled *c, dp_error *err)
{
    const struct {
        const termset *ts;
        char prefix;
        double scale;
    } kinds[3] = { { &c->stems, DP_PREFIX_STEM, 1 },
                   { &c->norms, 0, 1 },
                   { &c->truncs, DP_PREFIX_TRUNC, c->truncation_weight } };
    size_t n = c->stems.n + c->norms.n + c->truncs.n, at = 0;
    int rc = DP_OK;

    if (c->id_weight != NULL || n == 0 || c->phrases.n > 0 || c->nears.n > 0)
        return DP_OK;
    rc = compiled_doccount(s, c, err);
    if (rc < 0)
        return rc;
    c->id_weight = malloc(n * sizeof *c->id_weight);
    if (c->id_weight == NULL)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    for (size_t k = 0; k < 3 && rc == 0; k++) {
        for (size_t i = 0; i < kinds[k].ts->n && rc == 0; i++) {
            uint64_t df = 0;
            double w, scale = kinds[k].scale;
            rc = dp_search_term_df(s, kinds[k].prefix, kinds[k].ts->v[i],
                                   kinds[k].ts->lens[i], &df, err);
            if (k == 0 && termset_find(&c->weak, kinds[k].ts->v[i],
                                       kinds[k].ts->lens[i]) > 0)
                scale = c->capital_stem_weight;
            w = scale * 1000 * dp_search_bm25_idf(c->doccount, (double)df);
            c->id_weight[at++] = w >= 1 ? (uint64_t)llround(w) : 1;
        }
    }
    if (rc < 0) {
        free(c->id_weight);
        c->id_weight = NULL;
    }
    return rc;
}

uint64_t dp_search_id_weight(int id, void *ctx)
{
    const compiled *c = ctx;
    size_t n = c->stems.n + c->norms.n + c->truncs.n;

    return c->id_weight != NULL && id > 0 && (size_t)id <= n
               ? c->id_weight[id - 1]
               : 1;
}

void dp_search_tokvec_release(tokvec *tv)
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
    /* the stem, then the alternative stem, in one allocation */
    t->stem = malloc(tok->stem_len + tok->alt_len + 2);
    if (t->norm == NULL || t->stem == NULL) {
        free(t->norm);
        free(t->stem);
        return DP_ENOMEM;
    }
    memcpy(t->stem, tok->stem, tok->stem_len);
    t->stem[tok->stem_len] = '\0';
    t->alt = t->stem + tok->stem_len + 1;
    if (tok->alt_len > 0)
        memcpy(t->alt, tok->alt, tok->alt_len);
    t->alt[tok->alt_len] = '\0';
    t->norm_len = tok->norm_len;
    t->stem_len = tok->stem_len;
    t->alt_len = tok->alt_len;
    t->start = tok->start;
    t->end = tok->end;
    t->pos = tok->pos;
    t->flags = tok->flags;
    tv->n++;
    return 0;
}

int dp_search_analyze(dp_analyzer *an, const char *text, size_t len,
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
        if (dp_query_space_len(text + i, to - i) > 0)
            return false;
    }
    return true;
}

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
int dp_search_term_df(dp_searcher *s, char prefix, const char *t, size_t len,
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

static int begins_cb(const char *term, size_t len, uint64_t freq, void *ctx)
{
    (void)term;
    (void)freq;
    return len > *(const size_t *)ctx; /* 1 stops the walk */
}

int dp_search_word_begins(dp_searcher *s, const char *norm, size_t len,
                          bool *yes, dp_error *err)
{
    int rc = DP_OK;

    *yes = false;
    /* A folded word starts with no capital, so no prefixed term begins
     * with it. */
    if (len > 0)
        rc = xshim_db_allterms(dp_index_db(s->idx), norm, len, begins_cb, &len,
                               err);
    if (rc > 0) {
        *yes = true;
        rc = DP_OK;
    }
    return rc;
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

int dp_search_cp_term(compiler *cp, char prefix, const char *t, size_t len,
                      uint32_t pos, xshim_query **out)
{
    return cp_term_w(cp, prefix, t, len, pos, 1, out);
}

/* Combine @p n queries (NULLs skipped) with @p op and free them.  With
 * nothing left, *out is NULL.  When @p rc is already an error the queries
 * are only freed: callers pass the status of building them, so that one
 * call ends every path. */
int dp_search_cp_combine(compiler *cp, int rc, xshim_op op, xshim_query **subs,
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

/* As cp_scaled(), but at weight 0 the term still matches, with no weight:
 * a capitalised word's stem (--capitals 0,E) finds the passages it finds
 * in lower case, only ranked by the rest. */
static int cp_weighed(compiler *cp, char prefix, const char *t, size_t len,
                      uint32_t pos, double weight, xshim_query **out)
{
    xshim_query *q = NULL;
    int rc = cp_term_w(cp, prefix, t, len, pos, weight, &q);

    *out = NULL;
    if (rc == 0)
        rc = xshim_query_scale(out, q, weight, cp->err);
    xshim_query_free(q);
    return rc;
}

/* The truncation of the free word @p t, scaled by the truncation weight
 * times @p factor plus @p extra, into *out; NULL for a word that is not
 * truncated (stop words, numbers) and for a truncation an earlier word of
 * the query already gave (Xapian would weigh a repeated term more). */
static int cp_trunc(compiler *cp, const qtok *t, uint32_t pos, double factor,
                    double extra, xshim_query **out)
{
    size_t tlen = dp_analyzer_trunc_len(t->norm, t->norm_len);
    int rc;

    *out = NULL;
    if (!dp_analyzer_truncates(t->flags) || cp->c->truncation_weight <= 0 ||
        termset_has(&cp->c->truncs, t->norm, tlen))
        return DP_OK;
    rc = cp_scaled(cp, DP_PREFIX_TRUNC, t->norm, tlen, pos,
                   cp->c->truncation_weight * factor + extra, out);
    if (rc == 0 && termset_add(&cp->c->truncs, t->norm, tlen) < 0)
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    return rc;
}

/* *@p out times idf(@p n) / idf(@p m) when that is below 1: Xapian's BM25
 * idfs of terms in @p n and @p m passages of the index (@p m > 0). */
static int idf_cap(compiler *cp, uint64_t n, uint64_t m, double *out)
{
    double ratio;
    int rc = compiled_doccount(cp->s, cp->c, cp->err);

    if (rc < 0)
        return rc;
    ratio = dp_search_bm25_idf(cp->c->doccount, (double)n) /
            dp_search_bm25_idf(cp->c->doccount, (double)m);
    if (ratio < 1)
        *out *= ratio;
    return DP_OK;
}

/* The weights of the free word @p t's terms: *@p text multiplies those
 * of the passage text (stem, other number, truncation, exact form), and
 * *@p context is the scale of its title/section term.
 *
 * The context scale is the context weight, times the word's idf in the
 * passages over its idf among the titles and headings when that is below
 * 1.  A title is a few words, so a word is rarer among titles than in the
 * texts, and its idf there would make a title word weigh about twice
 * what the context weight says ("Milosevic Tribunal pénal international"
 * put first a passage of the debate titled "Tribunal pénal international"
 * that does not name Milosevic).  Both idfs are Xapian's, from the same
 * statistics, so the scores do not depend on the layout.
 *
 * A subject word, one that at least DP_SUBJECT_SHARE of the passages
 * holding it have in their title or heading ("Museveni" in the article
 * "Yoweri Museveni"), weighs the subject weights instead (text 0.7,
 * context 1, the same idf cap): its title term already ranks every
 * passage of its documents, and the times a passage repeats it tell
 * little about which of them is asked for, while its other words do. */
static int word_weights(compiler *cp, const qtok *t, double *text,
                        double *context)
{
    uint64_t in_text = 0, in_context = 0;
    int rc;

    *text = 1;
    *context = cp->c->context_weight;
    if (*context <= 0)
        return DP_OK;
    rc = dp_search_term_df(cp->s, DP_PREFIX_CONTEXT, t->stem, t->stem_len,
                           &in_context, cp->err);
    if (rc < 0 || in_context == 0)
        return rc;
    rc = dp_search_term_df(cp->s, DP_PREFIX_STEM, t->stem, t->stem_len,
                           &in_text, cp->err);
    if (rc == 0 && in_text > 0 &&
        (double)in_context >= DP_SUBJECT_SHARE * (double)in_text) {
        *text = cp->c->subject_text_weight;
        *context = cp->c->subject_context_weight;
    }
    if (rc == 0)
        rc = idf_cap(cp, in_text, in_context, context);
    return rc;
}

/* Words whose form with or without a final s or x is another word, not
 * their plural or singular: "foi" (faith) and "fois" (times), "pari" (a
 * bet) and "Paris", "peu" (little) and "peux" (can), "sou" (a coin) and
 * "sous" (under).  ("moi" and "mois": "moi" is a stop word.) */
static const char *const number_homographs[] = { "foi", "fois", "pari",
                                                  "paris", "peu", "peux",
                                                  "sou", "sous" };

static bool number_homograph(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof number_homographs /
                               sizeof number_homographs[0]; i++)
        if (strlen(number_homographs[i]) == n &&
            memcmp(number_homographs[i], w, n) == 0)
            return true;
    return false;
}

/* The stem, into @p out, of @p form (@p m bytes), the other number of
 * @p t, when it is no stop word nor homograph, Snowball does not join it
 * to @p t, and the index holds it; else @p out is empty. */
static int number_form_stem(dp_searcher *s, const qtok *t, const char *form,
                            size_t m, dp_buf *out, dp_error *err)
{
    uint64_t df = 0;
    int rc;

    dp_buf_reset(out);
    if (m < 3 || dp_analyzer_is_stopword(form, m) ||
        number_homograph(form, m))
        return DP_OK;
    rc = dp_analyzer_stem(s->an, form, m, out, err);
    if (rc < 0)
        return rc;
    if ((out->len == t->stem_len && memcmp(out->data, t->stem, out->len) == 0) ||
        (out->len == t->alt_len && memcmp(out->data, t->alt, out->len) == 0) ||
        dp_analyzer_is_ordinal_stem(out->data, out->len)) {
        dp_buf_reset(out);
        return DP_OK;
    }
    rc = dp_search_term_df(s, DP_PREFIX_STEM, out->data, out->len, &df,
                           err);
    if (rc == 0 && df == 0)
        dp_buf_reset(out);
    return rc;
}

/* The stem, into @p out, of the other grammatical number of the free word
 * @p t that Snowball does not join to it: Snowball French keeps a final s
 * after a vowel and a final x after "eu" and "ou" ("lois", "amis",
 * "élus", "euros", "emplois", "enjeux", "bijoux" keep them, and makes
 * "noyaux" "noyal"), so the singular and the plural have two stems.  The
 * other form is the folded word without its final s or x, or with an s
 * added; after "au", "eu", "ou" an x, or failing that an s ("jeux",
 * "noyaux", "bijoux", but "bleus", "trous", "landaus").  Empty when there
 * is none to search: a stop word, a number, a word or form of fewer than 3
 * letters, a homograph, a form whose stem is the word's own (Snowball
 * joins them), or one the index does not hold. */
int dp_search_other_number(dp_searcher *s, const qtok *t, dp_buf *out,
                           dp_error *err)
{
    char form[DP_MAX_TERM_BYTES + 1];
    size_t n = t->norm_len;
    const char *ends;
    char last;
    int rc = DP_OK;

    dp_buf_reset(out);
    /* an ordinal ("XXIe", "21e") has no other number: "xxies" would stem
     * as "xxi", the bare numeral ("Jean XXI", "au XXI siècle") */
    if ((t->flags & (DP_TOK_STOP | DP_TOK_DIGIT)) || n < 3 ||
        n + 1 > sizeof form || t->stem_len == 0 ||
        number_homograph(t->norm, n) ||
        dp_analyzer_is_ordinal_stem(t->stem, t->stem_len))
        return DP_OK;
    memcpy(form, t->norm, n);
    last = t->norm[n - 1];
    if (last == 's' || (last == 'x' && t->norm[n - 2] == 'u'))
        return number_form_stem(s, t, form, n - 1, out, err);
    if (strchr("aeiouy", last) == NULL)
        return DP_OK;
    ends = last == 'u' && strchr("aeo", t->norm[n - 2]) != NULL ? "xs" : "s";
    for (; *ends != '\0' && rc == 0 && out->len == 0; ends++) {
        form[n] = *ends;
        rc = number_form_stem(s, t, form, n + 1, out, err);
    }
    return rc;
}

/* The scale of the other number's stem @p other of @p t: 1, or the
 * ratio of the two idfs when the other form is rarer. */
static int number_scale(compiler *cp, const qtok *t, const dp_buf *other,
                        double *out)
{
    uint64_t own = 0, theirs = 0;
    int rc = dp_search_term_df(cp->s, DP_PREFIX_STEM, t->stem, t->stem_len,
                               &own, cp->err);

    *out = 1;
    if (rc == 0)
        rc = dp_search_term_df(cp->s, DP_PREFIX_STEM, other->data, other->len,
                               &theirs, cp->err);
    if (rc < 0 || own == 0 || theirs == 0)
        return rc;
    return idf_cap(cp, own, theirs, out);
}

/* A free word: its stem in the passage, OR -- weighted down -- its
 * truncation in the passage and its stem in the title or section heading
 * above it, OR -- a bonus -- its exact folded form in the passage.  A
 * word typed with a capital (cp->capital) weighs by its exact form first
 * and by its stem less (DP_CAPITAL_STEM_WEIGHT). */
static int cp_stem(compiler *cp, const qtok *t, uint32_t pos,
                   xshim_query **out)
{
    xshim_query *subs[5] = { NULL, NULL, NULL, NULL, NULL };
    bool capital = cp->capital && !cp->negated;
    double stem_w = capital ? cp->c->capital_stem_weight : 1;
    double exact_w = capital ? cp->c->capital_exact_weight
                             : cp->c->exact_weight;
    double text = 1, context = 0;
    dp_buf other = DP_BUF_INIT;
    bool merged;
    int rc = cp->negated ? DP_OK : word_weights(cp, t, &text, &context);

    *out = NULL;
    stem_w *= text;
    exact_w *= text;
    if (rc == 0)
        rc = stem_w == 1 ? dp_search_cp_term(cp, DP_PREFIX_STEM, t->stem,
                                             t->stem_len, pos, &subs[0])
                         : cp_weighed(cp, DP_PREFIX_STEM, t->stem,
                                      t->stem_len, pos, stem_w, &subs[0]);
    /* The other number ("lois" for "loi"), weighing at most what the
     * word's own stem weighs (the rarer form would otherwise outrank the
     * form typed), and highlighted as it. */
    if (rc == 0)
        rc = dp_search_other_number(cp->s, t, &other, cp->err);
    if (rc == 0 && other.len > 0) {
        double w = 1;
        rc = number_scale(cp, t, &other, &w);
        if (rc == 0)
            rc = cp_weighed(cp, DP_PREFIX_STEM, other.data, other.len, pos,
                            w * stem_w, &subs[4]);
        if (rc == 0 && !cp->negated &&
            (termset_add(&cp->c->stems, other.data, other.len) < 0 ||
             (capital &&
              termset_add(&cp->c->weak, other.data, other.len) < 0)))
            rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    }
    dp_buf_release(&other);
    /* An excluded word is excluded from the passage text only, by stem
     * (in either number). */
    if (rc < 0 || cp->negated)
        return dp_search_cp_combine(cp, rc, XSHIM_OP_OR, subs, 5, 0, out);
    /* A word of fewer letters than a truncation is its own truncation:
     * its P term indexes exactly the passages that hold the word (the
     * same folded form has the same flags), with the same wdf.  So its
     * exact form weighs through that term, one posting list instead of
     * two identical ones (which also trip Xapian 1.4's pruning: a passage
     * ranked 3rd went missing from a top 10). */
    merged = cp->c->truncation_weight > 0 && dp_analyzer_truncates(t->flags) &&
             cps(t->norm, t->norm_len) < DP_TRUNC_CHARS;
    rc = cp_trunc(cp, t, pos, text, merged ? exact_w : 0, &subs[1]);
    if (rc == 0)
        rc = cp_scaled(cp, DP_PREFIX_CONTEXT, t->stem, t->stem_len, pos,
                       context, &subs[2]);
    if (rc == 0 && !merged)
        rc = cp_scaled(cp, 0, t->norm, t->norm_len, pos, exact_w, &subs[3]);
    return dp_search_cp_combine(cp, rc, XSHIM_OP_OR, subs, 5, 0, out);
}

/* What a word matches by in a phrase or a quotation: an ordinal its value
 * ("XXIe", "21ème": "21e"), any other word its folded form. */
const char *dp_search_word_key(const qtok *t, size_t *len)
{
    if (dp_analyzer_is_ordinal_stem(t->stem, t->stem_len)) {
        *len = t->stem_len;
        return t->stem;
    }
    *len = t->norm_len;
    return t->norm;
}

bool dp_search_same_word(const qtok *a, const qtok *b)
{
    size_t al, bl;
    const char *ak = dp_search_word_key(a, &al),
               *bk = dp_search_word_key(b, &bl);

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

        rc = dp_search_term_df(cp->s, prefix, forms[k], len, &df, cp->err);
        if (rc < 0 || df == 0)
            continue;
        rc = dp_search_cp_term(cp, prefix, forms[k], len, pos, &subs[n++]);
        if (rc == 0 && norms != NULL && termset_add(norms, forms[k], len) < 0)
            rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    }
    if (rc == 0 && n == 0)
        return dp_search_cp_term(cp, prefix, t->norm, t->norm_len, pos, out);
    return dp_search_cp_combine(cp, rc, XSHIM_OP_OR, subs, n, 0, out);
}

/* Add the exact phrase or NEAR group @p tv[from, to), its words within
 * @p window positions, to @p ps (ordinals by their value, see
 * dp_search_word_key()). */
static int phrase_add(phrase_set *ps, const tokvec *tv, size_t from,
                      size_t to, uint32_t window)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 4;
        size_t *f = realloc(ps->first, cap * sizeof *f), *c = NULL;
        uint32_t *w = NULL;

        if (f == NULL)
            return DP_ENOMEM;
        ps->first = f;
        c = realloc(ps->count, cap * sizeof *c);
        if (c == NULL)
            return DP_ENOMEM;
        ps->count = c;
        w = realloc(ps->window, cap * sizeof *w);
        if (w == NULL)
            return DP_ENOMEM;
        ps->window = w;
        ps->cap = cap;
    }
    ps->first[ps->n] = ps->words.n;
    ps->count[ps->n] = to - from;
    ps->window[ps->n] = window;
    for (size_t i = from; i < to; i++) {
        size_t len;
        const char *key = dp_search_word_key(&tv->v[i], &len);

        if (termset_add(&ps->words, key, len) < 0)
            return DP_ENOMEM;
    }
    ps->n++;
    return DP_OK;
}

/* Phrase of the folded forms of @p tv's tokens [from, to), in a window of
 * their count plus @p slop; one token is just its term. */
int dp_search_cp_phrase(compiler *cp, char prefix, const tokvec *tv,
                        size_t from, size_t to, uint32_t slop, xshim_op op,
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
    /* An exact phrase highlights its words where it stands, and NEAR
     * where its words stand within the window; a windowed phrase
     * wherever they are. */
    bool exact = op == XSHIM_OP_PHRASE && slop == 0 && n > 1;
    bool near = op == XSHIM_OP_NEAR;

    for (size_t i = 0; i < n && rc == 0; i++) {
        const qtok *t = &tv->v[from + i];
        bool marks = !cp->negated && prefix == 0 && !exact && !near;

        /* An ordinal in a phrase, a field or a quotation matches however
         * it is written ("=21e" keeps its spelling). */
        if (!cp->spelled && dp_analyzer_is_ordinal_stem(t->stem, t->stem_len)) {
            rc = cp_ordinal(cp, prefix, t, (uint32_t)(i + 1),
                            marks ? &cp->c->norms : NULL, &subs[i]);
            continue;
        }
        rc = dp_search_cp_term(cp, prefix, t->norm, t->norm_len,
                               (uint32_t)(i + 1), &subs[i]);
        if (rc == 0 && marks &&
            termset_add(&cp->c->norms, t->norm, t->norm_len) < 0)
            rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    }
    if (rc == 0 && !cp->negated && prefix == 0 && (exact || near) &&
        phrase_add(near ? &cp->c->nears : &cp->c->phrases, tv, from, to,
                   (uint32_t)n + slop) < 0)
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    if (rc == 0 && n == 1) {
        *out = subs[0];
        free(subs);
        return DP_OK;
    }
    rc = dp_search_cp_combine(cp, rc, op, subs, n, (uint32_t)n + slop, out);
    free(subs);
    return rc;
}

/* The phrase of @p tv's tokens [from, to) (slop @p slop) in the title or
 * the section heading above a passage, as a single word reaches them
 * through its context stem (cp_stem()): the phrase among the T and S
 * terms (wdf 0: no weight of their own), weighted by its words' context
 * stems at their context weights where the index has them.  NULL when
 * the context weight is 0 or in an excluded clause (which excludes from
 * the passage text only). */
static int cp_phrase_context(compiler *cp, const tokvec *tv, size_t from,
                             size_t to, uint32_t slop, xshim_query **out)
{
    xshim_query *place[2] = { NULL, NULL }, *where = NULL, *weight = NULL;
    xshim_query *both[2];
    xshim_query **parts = NULL;
    int rc = DP_OK;

    *out = NULL;
    if (cp->negated || cp->c->context_weight <= 0 || to - from < 2)
        return DP_OK;
    parts = calloc(to - from, sizeof *parts);
    if (parts == NULL)
        return dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    rc = dp_search_cp_phrase(cp, DP_PREFIX_TITLE, tv, from, to, slop,
                             XSHIM_OP_PHRASE, &place[0]);
    if (rc == 0)
        rc = dp_search_cp_phrase(cp, DP_PREFIX_SECTION, tv, from, to, slop,
                                 XSHIM_OP_PHRASE, &place[1]);
    rc = dp_search_cp_combine(cp, rc, XSHIM_OP_OR, place, 2, 0, &where);
    for (size_t i = from; i < to && rc == 0; i++) {
        const qtok *t = &tv->v[i];
        double text = 1, context = 0;

        if (t->stem_len == 0 || (t->flags & DP_TOK_STOP))
            continue;
        rc = word_weights(cp, t, &text, &context);
        if (rc == 0)
            rc = cp_scaled(cp, DP_PREFIX_CONTEXT, t->stem, t->stem_len,
                           (uint32_t)(i - from + 1), context,
                           &parts[i - from]);
    }
    rc = dp_search_cp_combine(cp, rc, XSHIM_OP_OR, parts, to - from, 0,
                              &weight);
    free(parts);
    /* without any weight (stop words only), the place alone */
    both[0] = where;
    both[1] = weight;
    return dp_search_cp_combine(cp, rc, XSHIM_OP_AND_MAYBE, both, 2, 0, out);
}

/* A phrase in the passage, or in the title or section heading above it
 * (cp_phrase_context()): a hyphenated word ("Chine-Azerbaïdjan", the
 * report number "A5-0396/2000" of a debate's heading) finds the passages
 * under a title that holds it, as a single free word does.  A quoted
 * phrase stays the exact text of the passage. */
static int cp_phrase_anywhere(compiler *cp, const tokvec *tv, size_t from,
                              size_t to, uint32_t slop, xshim_query **out)
{
    xshim_query *two[2] = { NULL, NULL };
    int rc = dp_search_cp_phrase(cp, 0, tv, from, to, slop, XSHIM_OP_PHRASE,
                                 &two[0]);

    if (rc == 0)
        rc = cp_phrase_context(cp, tv, from, to, slop, &two[1]);
    return dp_search_cp_combine(cp, rc, XSHIM_OP_OR, two, 2, 0, out);
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

/* The elided word ("jusqu", "l", "qu") that the analyzer dropped before
 * token @p t of @p text: the ASCII letters before the apostrophe that ends
 * right at the token, their length (0 if none was dropped) and in
 * @p from their start.  An apostrophe that the analyzer keeps between two
 * letters ("aujourd'hui") is inside its token, never before one. */
static size_t elided_word(const char *text, const qtok *t, size_t *from)
{
    int32_t at = (int32_t)t->start; /* a query is at most 64 KiB */
    size_t i, n = 0;
    UChar32 c = 0;

    if (at == 0)
        return 0;
    U8_PREV((const uint8_t *)text, 0, at, c);
    if (!dp_analyzer_is_apostrophe(c)) /* "jusqu‘à" too */
        return 0;
    i = (size_t)at;
    while (i > 0 && (text[i - 1] | 0x20) >= 'a' &&
           (text[i - 1] | 0x20) <= 'z') {
        i--;
        n++;
    }
    *from = i;
    return n;
}

/* Whether token @p t of @p text ("jusqu" in "jusqu'") is an elided word
 * with its apostrophe and nothing after it: the analyzer keeps it as a
 * word then, and the index has it in no passage's "jusqu'à". */
static bool lone_elided_word(const char *text, size_t len, const qtok *t)
{
    int32_t at = (int32_t)t->end; /* a query is at most 64 KiB */
    UChar32 c = 0;

    if (t->end >= len)
        return false;
    U8_NEXT((const uint8_t *)text, at, (int32_t)len, c);
    return dp_analyzer_is_apostrophe(c) &&
           dp_analyzer_is_elision(text + t->start, t->end - t->start);
}

/* The note of an elided word typed without the word it elides ("jusqu'"
 * alone searches the word "jusqu", in no passage). */
static int cp_notice_lone_elided(compiler *cp, const dp_qnode *n,
                                 const qtok *t, uint32_t skip)
{
    if (cp->negated || !lone_elided_word(n->text, n->len, t))
        return DP_OK;
    if (dp_buf_addf(&cp->c->notices, "column %u: the index holds no elided "
                    "word (%.*s'): searched the word \"%s\"\n",
                    n->column + skip + (uint32_t)cps(n->text, t->start),
                    (int)(t->end - t->start), n->text + t->start,
                    t->norm) < 0)
        return dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    return DP_OK;
}

/* The note of a stop word that is all that is left of an elided word
 * and the word it elides ("jusqu'à" searches "a"); @p skip: columns
 * between the node's column and its text (a '"' or '='). */
static int cp_notice_elided_stop(compiler *cp, const dp_qnode *n,
                                 const qtok *t, uint32_t skip)
{
    size_t from = 0, el = elided_word(n->text, t, &from);

    if (el > 0 &&
        dp_buf_addf(&cp->c->notices, "column %u: the index holds no elided "
                    "word (%.*s'): searched \"%s\", a stop word\n",
                    n->column + skip + (uint32_t)cps(n->text, from), (int)el,
                    n->text + from, t->norm) < 0)
        return dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    return DP_OK;
}

/* Whether the word @p w (@p len bytes, as typed) begins with a capital
 * (upper or title case): "Santer", "Gaza", "ONU", "État". */
static bool capitalised(const char *w, size_t len)
{
    int32_t i = 0, n = len > INT32_MAX ? INT32_MAX : (int32_t)len;
    UChar32 c;

    if (n == 0)
        return false;
    U8_NEXT(w, i, n, c);
    return c >= 0 && (u_isupper(c) || u_istitle(c));
}

/* Whether the free word @p t of @p n is searched as a capitalised one:
 * typed with a capital, and the capital weights are not those of any
 * word (--capitals 1,E with E the exact weight). */
static bool cp_capital(const compiler *cp, const dp_qnode *n, const qtok *t)
{
    return !(cp->c->capital_stem_weight == 1 &&
             cp->c->capital_exact_weight == cp->c->exact_weight) &&
           capitalised(n->text + t->start, t->end - t->start);
}

static int cp_word(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    tokvec tv;
    xshim_query **subs = NULL;
    bool *dup = NULL;
    size_t nsubs = 0;
    int rc = dp_search_analyze(cp->s->an, n->text, n->len, &tv, cp->err);

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
            rc = cp_phrase_anywhere(cp, &tv, i, end, 0, &subs[nsubs++]);
            cp->c->words++;
        } else if (!dup[i] && (!(tv.v[i].flags & DP_TOK_STOP) ||
                               cp->c->keep_stops || cp->negated)) {
            cp->c->words++;
            /* An excluded stop word was excluded on purpose: kept. */
            xshim_query *word[2] = { NULL, NULL };

            /* "jusqu'à" alone: the texts are indexed without their
             * elided words, so only the stop word "a" is left to search,
             * and its hits are not those of "jusqu'à" only: say so. */
            if ((tv.v[i].flags & DP_TOK_STOP) && !cp->negated)
                rc = cp_notice_elided_stop(cp, n, &tv.v[i], 0);
            if (rc == 0)
                rc = cp_notice_lone_elided(cp, n, &tv.v[i], 0);
            cp->capital = cp_capital(cp, n, &tv.v[i]);
            if (rc == 0)
                rc = cp_stem(cp, &tv.v[i], (uint32_t)i + 1, &word[0]);
            cp->capital = false;
            if (rc == 0 && !cp->negated &&
                termset_add(&cp->c->stems, tv.v[i].stem, tv.v[i].stem_len) < 0)
                rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
            /* in snippets too, a capitalised word is first as written */
            if (rc == 0 && !cp->negated && cp_capital(cp, n, &tv.v[i]) &&
                (termset_add(&cp->c->weak, tv.v[i].stem,
                             tv.v[i].stem_len) < 0 ||
                 termset_add(&cp->c->norms, tv.v[i].norm,
                             tv.v[i].norm_len) < 0))
                rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
            if (rc == 0)
                rc = cp_correct(cp, n, &tv.v[i], (uint32_t)i + 1, &word[1]);
            rc = dp_search_cp_combine(cp, rc, XSHIM_OP_OR, word, 2, 0,
                                      &subs[nsubs++]);
        }
        i = j;
    }
    rc = dp_search_cp_combine(cp, rc, XSHIM_OP_OR, subs, nsubs, 0, out);
done:
    free(subs);
    free(dup);
    dp_search_tokvec_release(&tv);
    return rc;
}

/* ---- vocabulary expansions (prefix*, word~N) ---------------------------- */

void dp_search_candvec_release(candvec *cv)
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
void dp_search_candvec_bound(candvec *cv, size_t max)
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
int dp_search_nearest_words(dp_searcher *s, const char *word, size_t len,
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

/* Is the free word @p t in no passage: not its stem, nor itself, nor its
 * truncation (when searched), nor its stem in a title or section
 * heading, nor the first letters of a word of the passages? */
static int unknown_word(compiler *cp, const qtok *t, bool *unknown)
{
    uint64_t df = 0;
    int rc = dp_search_term_df(cp->s, DP_PREFIX_STEM, t->stem, t->stem_len, &df,
                               cp->err);

    /* the word as written, when the text's stem is another: "xviie",
     * whose text "XVIIe" stems as the ordinal "17e" */
    if (rc == 0 && df == 0)
        rc = dp_search_term_df(cp->s, 0, t->norm, t->norm_len, &df, cp->err);
    if (rc == 0 && df == 0 && cp->c->truncation_weight > 0 &&
        dp_analyzer_truncates(t->flags))
        rc = dp_search_term_df(cp->s, DP_PREFIX_TRUNC, t->norm,
                               dp_analyzer_trunc_len(t->norm, t->norm_len), &df,
                               cp->err);
    if (rc == 0 && df == 0)
        rc = dp_search_term_df(cp->s, DP_PREFIX_CONTEXT, t->stem, t->stem_len,
                               &df, cp->err);
    if (rc == 0 && df == 0) { /* "euro" where the index has "euros" */
        dp_buf other = DP_BUF_INIT;
        rc = dp_search_other_number(cp->s, t, &other, cp->err);
        df = other.len;
        dp_buf_release(&other);
    }
    /* The first letters of words the index holds ("Pakis" of Pakistan)
     * are a word cut short, not a misspelling of another word, also
     * where the truncation is not searched (--count, --truncation-weight
     * 0): "--count Pakis" had counted the passages of "paris". */
    if (rc == 0 && df == 0) {
        bool begins = false;
        rc = dp_search_word_begins(cp->s, t->norm, t->norm_len, &begins,
                                   cp->err);
        df = begins;
    }
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
    rc = dp_search_nearest_words(cp->s, t->norm, t->norm_len, 1, &cv, cp->err);
    if (rc < 0 || cv.n == 0)
        goto done;
    dp_search_candvec_bound(&cv, 1);
    rc = dp_search_analyze(cp->s->an, cv.v[0].term, cv.v[0].len, &tv, cp->err);
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
    dp_search_tokvec_release(&tv);
    dp_search_candvec_release(&cv);
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

/* The terms of @p cv joined by @p op into *out (XSHIM_OP_SYNONYM: an
 * expansion, weighted as one word; XSHIM_OP_OR: any of them), each also
 * added to @p highlight when that is not NULL; a query that matches
 * nothing when there is none. */
static int cp_terms(compiler *cp, const candvec *cv, xshim_op op,
                    termset *highlight, xshim_query **out)
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
        if (rc == 0 && highlight != NULL && !cp->negated &&
            termset_add(highlight, cv->v[i].term, cv->v[i].len) < 0)
            rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    }
    rc = dp_search_cp_combine(cp, rc, op, subs, cv->n, 0, out);
    free(subs);
    return rc;
}

/* prefix* and word~N: the folded form of the (last) word, expanded over
 * the vocabulary.  The parts before it of a word glued together
 * ("libre-éch*", "Cohn-Bendit~") stay: a phrase of their folded forms
 * ending in any of the expansions, as the parts of a hyphenated word are
 * a phrase (Xapian's phrases take an OR of terms, not a synonym, as a
 * part). */
static int cp_expand(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    tokvec tv;
    candvec cv;
    const qtok *w = NULL;
    xshim_query **subs = NULL;
    int rc = dp_search_analyze(cp->s->an, n->text, n->len, &tv, cp->err);

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
    dp_search_candvec_bound(&cv, DP_QUERY_MAX_EXPANSION);
    rc = cp_notice_bound(cp, n, &cv);
    if (rc < 0)
        goto done;
    if (tv.n == 1 || cv.n == 0) {
        rc = cp_terms(cp, &cv, XSHIM_OP_SYNONYM, &cp->c->norms, out);
        goto done;
    }
    subs = calloc(tv.n, sizeof *subs);
    if (subs == NULL) {
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        goto done;
    }
    /* Highlighted wherever they are, as the words of a windowed phrase:
     * the snippet matches exact phrases word by word, not by prefix. */
    for (size_t i = 0; i + 1 < tv.n && rc == 0; i++) {
        rc = dp_search_cp_term(cp, 0, tv.v[i].norm, tv.v[i].norm_len,
                               (uint32_t)(i + 1), &subs[i]);
        if (rc == 0 && !cp->negated &&
            termset_add(&cp->c->norms, tv.v[i].norm, tv.v[i].norm_len) < 0)
            rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc = cp_terms(cp, &cv, XSHIM_OP_OR, &cp->c->norms, &subs[tv.n - 1]);
    rc = dp_search_cp_combine(cp, rc, XSHIM_OP_PHRASE, subs, tv.n,
                              (uint32_t)tv.n, out);
done:
    free(subs);
    dp_search_candvec_release(&cv);
    dp_search_tokvec_release(&tv);
    return rc;
}

/* ---- fields ------------------------------------------------------------- */

typedef struct glob_ctx {
    const char *pattern;   /* NUL-terminated; in NFC when nfc */
    size_t plen;
    bool prefix_only;      /* no glob characters: a relpath prefix */
    bool nfc;              /* compare the relpaths in NFC */
    dp_buf name;           /* scratch: a relpath in NFC */
    candvec *cv;
} glob_ctx;

static int glob_cb(const char *term, size_t len, uint64_t freq, void *ctx)
{
    glob_ctx *g = ctx;
    const char *name = NULL;
    char *path = NULL;
    int rc = 0;

    (void)freq;
    if (g->prefix_only && !g->nfc)
        return candvec_add(g->cv, term, len, 0, 0);
    path = strndup(term + 1, len - 1);
    if (path == NULL)
        return DP_ENOMEM;
    name = path;
    if (g->nfc) {
        rc = dp_corpus_name_nfc(path, len - 1, &g->name);
        name = dp_buf_cstr(&g->name);
    }
    if (rc == 0 && (g->prefix_only
                        ? strncmp(name, g->pattern, g->plen) == 0
                        : fnmatch(g->pattern, name, 0) == 0))
        rc = candvec_add(g->cv, term, len, 0, 0);
    free(path);
    return rc;
}

/* file:GLOB -- the F terms of the files it matches.  A GLOB with accents
 * matches a relpath in either normal form (a name typed "é" finds the
 * file that macOS named "e" + U+0301): both are compared in NFC, over the
 * files whose relpath starts with the ASCII head of GLOB (less its last
 * character). */
static int cp_file(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    candvec cv;
    glob_ctx g;
    char *pattern = strndup(n->text, n->len);
    dp_buf pre = DP_BUF_INIT, npat = DP_BUF_INIT;
    size_t lit = strcspn(pattern ? pattern : "", "*?[\\"), ascii = 0;
    int rc;

    *out = NULL;
    memset(&cv, 0, sizeof cv);
    memset(&g, 0, sizeof g);
    if (pattern == NULL) {
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        goto done;
    }
    /* The ASCII head, but for its last letter, which a combining accent
     * after it may join (NFD "e" + U+0301 is NFC "é"). */
    while (pattern[ascii] != '\0' && (unsigned char)pattern[ascii] < 0x80)
        ascii++;
    if (pattern[ascii] != '\0' && ascii > 0)
        ascii--;
    g.pattern = pattern;
    g.plen = strlen(pattern);
    g.prefix_only = pattern[lit] == '\0';
    g.nfc = pattern[ascii] != '\0';
    g.cv = &cv;
    rc = DP_OK;
    if (g.nfc) {
        rc = dp_corpus_name_nfc(pattern, strlen(pattern), &npat);
        g.pattern = dp_buf_cstr(&npat);
        g.plen = npat.len;
        if (ascii < lit)
            lit = ascii;
    }
    if (rc == 0)
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
    rc = cp_terms(cp, &cv, XSHIM_OP_OR, NULL, out);
done:
    free(pattern);
    dp_buf_release(&pre);
    dp_buf_release(&npat);
    dp_buf_release(&g.name);
    dp_search_candvec_release(&cv);
    return rc;
}

/* section:coop* and title:Relat*: the S or T terms that start with the
 * folded word @p w, any of them (bounded as prefix* is). */
static int cp_field_prefix(compiler *cp, const dp_qnode *n, const qtok *w,
                           xshim_query **out)
{
    candvec cv;
    dp_buf pre = DP_BUF_INIT;
    int rc;

    *out = NULL;
    memset(&cv, 0, sizeof cv);
    rc = dp_buf_addc(&pre, (char)n->field);
    if (rc == 0)
        rc = dp_buf_add(&pre, w->norm, w->norm_len);
    if (rc == 0)
        rc = xshim_db_allterms(dp_index_db(cp->s->idx), pre.data, pre.len,
                               prefix_cb, &cv, cp->err);
    if (rc == DP_ENOMEM)
        rc = dp_error_set(cp->err, rc, "out of memory");
    if (rc < 0)
        goto done;
    dp_search_candvec_bound(&cv, DP_QUERY_MAX_EXPANSION);
    if (cv.seen > DP_QUERY_MAX_EXPANSION &&
        dp_buf_addf(&cp->c->notices, "column %u: %s:%.*s* stands for the %d "
                    "most frequent of %llu %s words\n", n->column,
                    n->field == DP_QFIELD_SECTION ? "section" : "title",
                    (int)w->norm_len, w->norm, DP_QUERY_MAX_EXPANSION,
                    (unsigned long long)cv.seen,
                    n->field == DP_QFIELD_SECTION ? "heading" : "title") < 0) {
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        goto done;
    }
    rc = cp_terms(cp, &cv, XSHIM_OP_OR, NULL, out);
done:
    dp_buf_release(&pre);
    dp_search_candvec_release(&cv);
    return rc;
}

/* section:… and title:… -- the words, in order, among the S or T terms;
 * a bare value of one word ending in '*' is a prefix.  A '*' after the
 * words of a longer value is punctuation, and a notice says so. */
static int cp_field_words(compiler *cp, const dp_qnode *n, xshim_query **out)
{
    tokvec tv;
    const char *name = n->field == DP_QFIELD_SECTION ? "section" : "title";
    const qtok *star = NULL; /* the first word a '*' follows */
    int rc = dp_search_analyze(cp->s->an, n->text, n->len, &tv, cp->err);

    *out = NULL;
    for (size_t i = 0; rc == 0 && i < tv.n && star == NULL; i++)
        if (tv.v[i].end < n->len && n->text[tv.v[i].end] == '*')
            star = &tv.v[i];
    /* one word and a '*' at its end, or at the value's end past some
     * punctuation ("Coop.*"), as a free prefix* may have it */
    if (rc == 0 && !n->quoted && tv.n == 1 &&
        (star != NULL || n->text[n->len - 1] == '*')) {
        rc = cp_field_prefix(cp, n, &tv.v[0], out);
        goto done;
    }
    if (star != NULL &&
        dp_buf_addf(&cp->c->notices, "column %u: a %s:%s has no prefix*: "
                    "searched the word \"%s\"\n", n->column, name,
                    n->quoted ? "\"phrase\"" : " value of several words",
                    star->norm) < 0)
        rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
    if (rc == 0)
        rc = dp_search_cp_phrase(cp, (char)n->field, &tv, 0, tv.n, n->slop,
                                 XSHIM_OP_PHRASE, out);
done:
    dp_search_tokvec_release(&tv);
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
        rc = dp_search_analyze(cp->s->an, k->text, k->len, &tv, cp->err);
        for (size_t j = 0; j < tv.n && rc == 0; j++) {
            dp_token t;
            memset(&t, 0, sizeof t);
            t.norm = tv.v[j].norm;
            t.norm_len = tv.v[j].norm_len;
            t.stem = tv.v[j].stem;
            t.stem_len = tv.v[j].stem_len;
            t.alt = tv.v[j].alt;
            t.alt_len = tv.v[j].alt_len;
            t.flags = tv.v[j].flags;
            rc = tokvec_cb(&t, &all);
            if (rc < 0)
                rc = dp_error_set(cp->err, rc, "out of memory");
        }
        dp_search_tokvec_release(&tv);
    }
    if (rc == 0 && all.n > 0)
        rc = dp_search_cp_phrase(cp, 0, &all, 0, all.n,
                                 n->slop > 0 ? n->slop - 1 : 0, XSHIM_OP_NEAR,
                                 out);
    dp_search_tokvec_release(&all);
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
        rc = dp_search_analyze(cp->s->an, k->text, k->len, &tv, cp->err);
        for (size_t j = 0; j < tv.n && rc == 0; j++) {
            dp_token t;
            if (tv.v[j].flags & DP_TOK_STOP)
                continue;
            memset(&t, 0, sizeof t);
            t.norm = tv.v[j].norm;
            t.norm_len = tv.v[j].norm_len;
            t.stem = tv.v[j].stem;
            t.stem_len = tv.v[j].stem_len;
            t.alt = tv.v[j].alt;
            t.alt_len = tv.v[j].alt_len;
            if (tokvec_cb(&t, &words) < 0)
                rc = dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        }
        dp_search_tokvec_release(&tv);
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
        rc = dp_search_cp_term(cp, 0, words.v[i].norm, words.v[i].norm_len, 1,
                               &two[0]);
        if (rc == 0)
            rc = dp_search_cp_term(cp, 0, words.v[i + 1].norm,
                                   words.v[i + 1].norm_len, 2, &two[1]);
        cp->negated = saved;
        rc = dp_search_cp_combine(cp, rc, XSHIM_OP_NEAR, two, 2,
                                  cp->c->proximity_window, &pairs[np++]);
    }
    rc = dp_search_cp_combine(cp, rc, XSHIM_OP_OR, pairs, np, 0, out);
done:
    free(pairs);
    dp_search_tokvec_release(&words);
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
            rc = dp_search_analyze(cp->s->an, n->kids[i]->text, n->kids[i]->len,
                                   &neg[i], cp->err);
    }
    for (size_t i = 0; i < n->nkids && rc == 0 && *out == NULL; i++) {
        const dp_qnode *k = n->kids[i];
        if (k->mod != DP_QMOD_MUST || k->kind != DP_Q_WORD)
            continue;
        rc = dp_search_analyze(cp->s->an, k->text, k->len, &tv, cp->err);
        for (size_t j = 0; rc == 0 && tv.n == 1 && j < n->nkids; j++) {
            if (neg[j].n == 1 && neg[j].v[0].stem_len == tv.v[0].stem_len &&
                memcmp(neg[j].v[0].stem, tv.v[0].stem, tv.v[0].stem_len) == 0)
                *out = k;
        }
        dp_search_tokvec_release(&tv);
    }
    for (size_t i = 0; neg && i < n->nkids; i++)
        dp_search_tokvec_release(&neg[i]);
    free(neg);
    return rc;
}

/* *@p base (every passage when NULL) constrained by @p q with @p op
 * (XSHIM_OP_FILTER, XSHIM_OP_AND_NOT), into *@p base; both are taken. */
static int constrain(compiler *cp, xshim_op op, xshim_query **base,
                     xshim_query *q)
{
    xshim_query *pair[2];
    int rc = DP_OK;

    if (*base == NULL)
        rc = xshim_query_match_all(base, cp->err);
    pair[0] = *base;
    pair[1] = q;
    *base = NULL;
    return dp_search_cp_combine(cp, rc, op, pair, 2, 0, base);
}

/* A filter, or a group in parentheses made of filters only ("(title:Kosovo
 * OR title:Serbie)", "(file:001* AND title:Chine)"): a condition with no
 * weight, which among juxtaposed clauses restricts like one filter does
 * (as a clause it would only add its passages, at score 0, to those of
 * the words beside it). */
static bool filter_only(const dp_qnode *n)
{
    if (n->kind == DP_Q_FIELD)
        return true;
    if (n->kind != DP_Q_AND && n->kind != DP_Q_OR && n->kind != DP_Q_NOT &&
        n->kind != DP_Q_SEQ)
        return false;
    for (size_t i = 0; i < n->nkids; i++)
        if (!filter_only(n->kids[i]))
            return false;
    return n->nkids > 0;
}

/* Juxtaposed clauses: +required AND-ed (the optional ones then only
 * rank), -excluded AND NOT-ed, filters (and groups of filters only)
 * restrict without weight. */
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
        } else if (filter_only(k)) {
            rc = cp_node(cp, k, &filt[nfilt++]);
        } else if (k->mod == DP_QMOD_MUST) {
            rc = cp_node(cp, k, &must[nmust++]);
        } else {
            rc = cp_node(cp, k, &may[nmay++]);
        }
    }
    if (rc < 0)
        goto done;
    rc = dp_search_cp_combine(cp, DP_OK, XSHIM_OP_AND, must, nmust, 0, &q);
    nmust = 0;
    if (rc == 0)
        rc = dp_search_cp_combine(cp, DP_OK, XSHIM_OP_OR, may, nmay, 0, &base);
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
            rc = dp_search_cp_combine(cp, DP_OK, XSHIM_OP_AND_MAYBE, pair, 2, 0,
                                      &base);
        }
    }
    if (rc < 0)
        goto done;
    if (q != NULL && base != NULL) {
        pair[0] = q;
        pair[1] = base;
        q = base = NULL;
        rc = dp_search_cp_combine(cp, DP_OK, XSHIM_OP_AND_MAYBE, pair, 2, 0,
                                  &base);
    } else if (q != NULL) {
        base = q;
        q = NULL;
    }
    if (rc == 0)
        rc = dp_search_cp_combine(cp, DP_OK, XSHIM_OP_AND, filt, nfilt, 0, &q);
    nfilt = 0;
    if (rc == 0 && q != NULL) {
        rc = constrain(cp, XSHIM_OP_FILTER, &base, q);
        q = NULL;
    }
    if (rc == 0)
        rc = dp_search_cp_combine(cp, DP_OK, XSHIM_OP_OR, not, nnot, 0, &q);
    nnot = 0;
    if (rc == 0 && q != NULL) {
        rc = constrain(cp, XSHIM_OP_AND_NOT, &base, q);
        q = NULL;
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
    rc = dp_search_cp_combine(cp, rc, op, subs, n->nkids, 0, out);
    free(subs);
    return rc;
}

/* '"pakist*"' and '=pakist*' search the word "pakist", which is rarely
 * what was meant: a '*' glued to a word of a phrase or of an =exact word
 * is punctuation there, and a notice says so (once per clause). */
static int cp_notice_star(compiler *cp, const dp_qnode *n, const tokvec *tv)
{
    for (size_t i = 0; i < tv->n; i++) {
        const qtok *t = &tv->v[i];
        size_t e = t->end;

        while (e < n->len && n->text[e] == '*')
            e++;
        /* no '*' after the word (the parser refuses one inside a word:
         * "Pak*stan") */
        if (e == t->end)
            continue;
        if (dp_buf_addf(&cp->c->notices, "column %u: %s has no prefix*: "
                        "searched the word \"%s\"\n", n->column,
                        n->kind == DP_Q_PHRASE ? "a \"phrase\""
                                               : "an =exact word",
                        t->norm) < 0)
            return dp_error_set(cp->err, DP_ENOMEM, "out of memory");
        break;
    }
    return DP_OK;
}

/* '"jusqu'à"' and '=jusqu'à' search the stop word "a" as "jusqu'à" alone
 * does (the texts are indexed without their elided words): the same
 * note when the clause is only stop words; and "jusqu'" alone searches
 * the word "jusqu".  The clause's text follows its '"' or '=' (one
 * column). */
static int cp_notice_elided(compiler *cp, const dp_qnode *n,
                            const tokvec *tv)
{
    bool stops = true;
    int rc = DP_OK;

    for (size_t i = 0; i < tv->n; i++)
        stops = stops && (tv->v[i].flags & DP_TOK_STOP);
    for (size_t i = 0; i < tv->n && rc == 0 && !cp->negated; i++) {
        if (stops)
            rc = cp_notice_elided_stop(cp, n, &tv->v[i], 1);
        if (rc == 0)
            rc = cp_notice_lone_elided(cp, n, &tv->v[i], 1);
    }
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
        rc = dp_search_analyze(cp->s->an, n->text, n->len, &tv, cp->err);
        if (rc == 0)
            rc = cp_notice_star(cp, n, &tv);
        if (rc == 0)
            rc = cp_notice_elided(cp, n, &tv);
        cp->spelled = n->kind == DP_Q_EXACT;
        if (rc == 0)
            rc = dp_search_cp_phrase(cp, 0, &tv, 0, tv.n,
                                     n->kind == DP_Q_PHRASE ? n->slop : 0,
                                     XSHIM_OP_PHRASE, out);
        cp->spelled = false;
        dp_search_tokvec_release(&tv);
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
        rc = dp_search_analyze(s->an, n->text, n->len, &tv, err);
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
        dp_search_tokvec_release(&tv);
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
 * dp_search_may_matter_compiled(). */
int dp_search_compiled_seal(compiled *c, dp_error *err)
{
    const termset *from[3] = { &c->stems, &c->norms, &c->truncs };
    size_t max;

    if (termset_seal(&c->stems) < 0 || termset_seal(&c->truncs) < 0 ||
        termset_seal(&c->norms) < 0 || termset_seal(&c->weak) < 0 ||
        termset_seal(&c->explain) < 0)
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
int dp_search_compile(dp_searcher *s, const dp_query *q,
                      const dp_search_opts *opts, compiled *c, dp_error *err)
{
    compiler cp = { s, c, 0, err, 1, false, false };
    bool content = false;
    int rc;

    memset(c, 0, sizeof *c);
    c->context_weight = opts->context_weight;
    c->truncation_weight = opts->truncation_weight;
    c->exact_weight = opts->exact_weight;
    c->capital_stem_weight = opts->capital_stem_weight;
    c->capital_exact_weight = opts->capital_exact_weight;
    c->subject_text_weight = opts->subject_text_weight;
    c->subject_context_weight = opts->subject_context_weight;
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
    return dp_search_compiled_seal(c, err);
}

/* Snippet stem filter: a word's stems are wanted only when one of the
 * query's stems can be among them (most words of a passage are not). */
bool dp_search_want_stems_compiled(const char *norm, size_t len, void *ctx)
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
bool dp_search_may_matter_compiled(const char *head, size_t len, void *ctx)
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
int dp_search_match_compiled(const dp_token *tok, void *ctx)
{
    const compiled *c = ctx;
    size_t i;

    if (tok->flags & DP_TOK_SKIPPED)
        return 0; /* by dp_search_may_matter_compiled(), nothing it
                     could match */
    if ((tok->flags & DP_TOK_STOP) && !c->keep_stops &&
        termset_find(&c->norms, tok->norm, tok->norm_len) == 0)
        return 0;
    /* A word typed with a capital matches as written first ("Santer",
     * not "santé" through their stem). */
    if (c->weak.n > 0 &&
        (i = termset_find(&c->norms, tok->norm, tok->norm_len)) > 0)
        return (int)(c->stems.n + i);
    i = (tok->flags & DP_TOK_UNSTEMMED)
            ? 0 /* by dp_search_want_stems_compiled(), no stem of the query */
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
