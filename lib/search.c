/* search.c -- the searcher: BM25 ranking, hits with snippets, suggestions. */
#include "depeche/search.h"

#include <math.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/utf8.h>

#include "depeche/analyzer.h"
#include "depeche/query.h"
#include "depeche/snippet.h"
#include "search_internal.h"

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
    o->capital_stem_weight = DP_CAPITAL_STEM_WEIGHT;
    o->capital_exact_weight = DP_CAPITAL_EXACT_WEIGHT;
    o->subject_text_weight = DP_SUBJECT_TEXT_WEIGHT;
    o->subject_context_weight = DP_SUBJECT_CONTEXT_WEIGHT;
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

int dp_search_results_new(dp_results **out, size_t n, dp_error *err)
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

size_t dp_results_targets(const dp_results *r)
{
    return r->targets > 0 ? r->targets : 1;
}

const char *dp_results_notices(const dp_results *r)
{
    return dp_buf_cstr(&r->notices);
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
    dp_search_termset_release(&r->explain);
    free(r);
}

/* ---- hits --------------------------------------------------------------- */

/* Fill @p slot from its data record (already in slot->storage). */
int dp_search_slot_fill(hit_slot *slot, uint32_t rank, double score,
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
    h->numbered = rec.numbered;
    h->paragraph = rec.paragraph;
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
 * of passage word i, or 0; any other word matches as dp_search_match_compiled()
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
    return m->c != NULL ? dp_search_match_compiled(tok, (void *)m->c) : 0;
}

/* The snippet of @p slot, its words marked by @p fn first (see marked). */
int dp_search_marked_snippet(dp_searcher *s, hit_slot *slot, mark_fn fn,
                             const void *fn_ctx, const compiled *c,
                             const dp_token_filter *filter, size_t words,
                             dp_error *err)
{
    tokvec pw;
    size_t *mark = NULL;
    marked m;
    int rc = dp_search_analyze(s->an, slot->hit.text, slot->hit.text_len,
                               &pw, err);

    if (rc < 0)
        goto done;
    mark = calloc(pw.n ? pw.n : 1, sizeof *mark);
    if (mark == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    rc = fn(&pw, mark, fn_ctx);
    if (rc < 0) {
        rc = dp_error_set(err, rc, "out of memory");
        goto done;
    }
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
    dp_search_tokvec_release(&pw);
    return rc;
}

/* Each occurrence of an exact phrase of @p c, its words at consecutive
 * positions, marked by phrase word, with ids after those of
 * dp_search_match_compiled(). */
static void mark_phrases(const tokvec *pw, size_t *mark, const compiled *c)
{
    const phrase_set *ps = &c->phrases;
    size_t base = c->stems.n + c->norms.n + c->truncs.n;

    for (size_t k = 0; k < ps->n; k++) {
        size_t f = ps->first[k], n = ps->count[k];

        for (size_t i = 0; i + n <= pw->n; i++) {
            size_t j = 0;

            while (j < n && pw->v[i + j].pos == pw->v[i].pos + j) {
                size_t len;
                const char *key = dp_search_word_key(&pw->v[i + j], &len);

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

/* A passage word of a NEAR group: its index in the passage and the
 * group's first word that is the same. */
typedef struct near_occ {
    size_t i, u;
} near_occ;

/* Whether word @p w of @p ps is @p key. */
static bool set_word_is(const phrase_set *ps, size_t w, const char *key,
                        size_t len)
{
    return ps->words.lens[w] == len && memcmp(ps->words.v[w], key, len) == 0;
}

/* The words of NEAR group @p k of @p c where they stand in @p pw within
 * its window, marked with ids after those of dp_search_match_compiled()
 * and of the phrases, by the group's first word that is the same.  A
 * sweep over the group's words in the passage keeps the longest stretch
 * that ends at each and spans less than the window; when the stretch
 * holds each word as many times as the group has it ("a NEAR a": two),
 * each of its group words is part of a match, in any order, and all are
 * marked.  @p occ holds pw->n entries, @p need and @p have the group's
 * count of words. */
static void mark_near(const tokvec *pw, size_t *mark, const compiled *c,
                      size_t k, near_occ *occ, unsigned *need, unsigned *have)
{
    const phrase_set *ns = &c->nears;
    size_t f = ns->first[k], n = ns->count[k], nocc = 0, l = 0, upto = 0;
    size_t base = c->stems.n + c->norms.n + c->truncs.n +
                  c->phrases.words.n + f + 1;
    unsigned distinct = 0, full = 0;

    for (size_t j = 0; j < n; j++) {
        size_t u = 0;

        need[j] = have[j] = 0;
        while (!set_word_is(ns, f + u, ns->words.v[f + j],
                            ns->words.lens[f + j]))
            u++;
        distinct += need[u]++ == 0;
    }
    for (size_t i = 0; i < pw->n; i++) {
        size_t len;
        const char *key = dp_search_word_key(&pw->v[i], &len);

        for (size_t u = 0; u < n; u++) {
            if (need[u] > 0 && set_word_is(ns, f + u, key, len)) {
                occ[nocc].i = i;
                occ[nocc++].u = u;
                break;
            }
        }
    }
    for (size_t r = 0; r < nocc; r++) {
        uint32_t end = pw->v[occ[r].i].pos;

        full += ++have[occ[r].u] == need[occ[r].u];
        while (end - pw->v[occ[l].i].pos >= ns->window[k]) {
            full -= have[occ[l].u]-- == need[occ[l].u];
            l++;
        }
        if (full < distinct)
            continue;
        for (size_t q = l > upto ? l : upto; q <= r; q++)
            mark[occ[q].i] = base + occ[q].u;
        upto = r + 1;
    }
}

/* mark_fn of a query with exact phrases or NEAR groups (a compiled). */
static int mark_groups(const tokvec *pw, size_t *mark, const void *ctx)
{
    const compiled *c = ctx;
    near_occ *occ = NULL;
    unsigned *counts = NULL;
    size_t most = 0;
    int rc = DP_OK;

    mark_phrases(pw, mark, c);
    if (c->nears.n == 0)
        goto done;
    for (size_t k = 0; k < c->nears.n; k++)
        if (c->nears.count[k] > most)
            most = c->nears.count[k];
    occ = malloc((pw->n ? pw->n : 1) * sizeof *occ);
    counts = malloc(2 * most * sizeof *counts);
    if (occ == NULL || counts == NULL) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < c->nears.n; k++)
        mark_near(pw, mark, c, k, occ, counts, counts + most);
done:
    free(occ);
    free(counts);
    return rc;
}

int dp_search_slot_build(dp_searcher *s, dp_results *r, size_t i,
                         uint32_t docid, uint32_t rank, double score,
                         const compiled *c, size_t snippet_words,
                         dp_error *err)
{
    hit_slot *slot = &r->slots[i];
    dp_token_filter filter = { dp_search_want_stems_compiled,
                               dp_search_may_matter_compiled, NULL };
    int rc;

    if (r->n < i + 1)
        r->n = i + 1;
    slot->docid = docid;
    rc = xshim_db_get_data(dp_index_db(s->idx), docid, &slot->storage, err);
    if (rc < 0)
        return rc;
    rc = dp_search_slot_fill(slot, rank, score, err);
    if (rc < 0 || snippet_words == 0)
        return rc; /* 0: no snippet wanted */
    filter.ctx = (void *)c;
    if (c->phrases.n > 0 || c->nears.n > 0)
        return dp_search_marked_snippet(s, slot, mark_groups, c, c, &filter,
                                        snippet_words, err);
    rc = dp_snippet_make_weighted(&slot->snippet, s->an, slot->hit.text,
                                  slot->hit.text_len, snippet_words,
                                  dp_search_match_compiled,
                                  dp_search_id_weight, (void *)c, &filter,
                                  err);
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
    int rc = dp_search_results_new(&r, n, err);

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

/* dp_search_run_compiled() for a free-word query with neighbours. */
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
        rc = dp_search_slot_build(s, r, i, nc->docid,
                                  opts->offset + (uint32_t)i + 1, nc->score, c,
                                  snippet_words, err);
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
int dp_search_run_compiled(dp_searcher *s, compiled *c,
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
    if (snippet_words > 0 && opts->k > 0) {
        rc = dp_search_id_weights(s, c, err);
        if (rc < 0)
            return rc;
    }
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
        rc = dp_search_slot_build(s, r, i, xshim_mset_docid(ms, i),
                                  opts->offset + (uint32_t)i + 1,
                                  xshim_mset_weight(ms, i), c, snippet_words,
                                  err);
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
    rc = dp_search_compile(s, q, opts, &c, err);
    if (rc == DP_ESYNTAX && opts->lenient) {
        /* Parsed, but not searchable as written (NEAR over an expansion):
         * lenient reading takes it as plain words. */
        dp_search_compiled_release(&c);
        dp_query_free(q);
        q = NULL;
        dp_error_clear(err);
        rc = dp_query_plain(&q, query, cut ? cut : len, err);
        if (rc == 0)
            rc = dp_search_compile(s, q, opts, &c, err);
    }
    if (rc == 0 && cut > 0 &&
        dp_buf_addf(&c.notices, "column %zu: the query was cut to its first "
                    "%d bytes\n", cut + 1, DP_QUERY_MAX_BYTES) < 0)
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
    if (rc < 0)
        goto done;
    rc = dp_search_run_compiled(s, &c, opts, out, err);
done:
    dp_search_compiled_release(&c);
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
        rc = dp_search_term_df(s, prefixes[i], norm, len, df, err);
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
        rc = dp_search_analyze(s->an, n->text, n->len, &tv, err);
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
            /* "milit*" in a phrase or after '=' is a prefix typed where
             * the language has none: no whole word to correct it to
             * ("cooperasion milit*" had made "cooperation cifit*"). */
            if (t->end < n->len && n->text[t->end] == '*')
                continue;
            rc = known_word(s, t->norm, t->norm_len, &df, err);
            /* A free "loi" is found as "lois"; "=loi" and "la loi" in
             * quotes search their own number only. */
            if (rc == 0 && df == 0 && n->kind == DP_Q_WORD) {
                dp_buf other = DP_BUF_INIT;
                rc = dp_search_other_number(s, t, &other, err);
                df = other.len;
                dp_buf_release(&other);
            }
            if (rc < 0 || df > 0)
                continue;
            /* The first letters of words of the index ("Pakis" of
             * Pakistan) are a word cut short: its prefix query, not
             * another word ("Paris"). */
            if (n->kind == DP_Q_WORD) {
                bool begins = false;
                size_t end = (size_t)(n->text - query) + t->end;
                rc = dp_search_word_begins(s, t->norm, t->norm_len, &begins,
                                           err);
                if (rc == 0 && begins) {
                    if (dp_buf_add(out, query + *at, end - *at) < 0 ||
                        dp_buf_addc(out, '*') < 0)
                        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
                    *at = end;
                    *changed = true;
                }
                if (rc < 0 || begins)
                    continue;
            }
            memset(&cv, 0, sizeof cv);
            rc = dp_search_nearest_words(s, t->norm, t->norm_len,
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
                dp_search_candvec_bound(&cv, 1);
                if (dp_buf_add(out, query + *at, start - *at) < 0 ||
                    dp_buf_adds(out, cv.v[0].term) < 0)
                    rc = dp_error_set(err, DP_ENOMEM, "out of memory");
                *at = (size_t)(n->text - query) + t->end;
                *changed = true;
            }
            dp_search_candvec_release(&cv);
        }
        dp_search_tokvec_release(&tv);
        return rc;
    }
    for (size_t i = 0; i < n->nkids && rc == 0; i++)
        rc = suggest_node(s, query, n->kids[i],
                          negated || (n->kind == DP_Q_NOT && i > 0), out, at,
                          changed, err);
    return rc;
}

/* DP_OK if @p sug parses as it is (no --lenient), compiles and finds a
 * passage, else DP_ENOTFOUND: "a NEAR b*" parses, but only --lenient
 * searches it, and '"cooperation milit*"' (no prefix in a phrase) finds
 * nothing either.  An index error (DP_EMODIFIED: retried) is passed on. */
static int searchable(dp_searcher *s, const dp_buf *sug, dp_error *err)
{
    dp_query *q = NULL;
    dp_results *r = NULL;
    dp_search_opts opts;
    dp_error why = DP_ERROR_INIT;
    compiled c;
    int rc;

    memset(&c, 0, sizeof c);
    dp_search_opts_init(&opts);
    opts.k = 1;
    opts.no_snippets = true;
    opts.correction_weight = 0; /* the suggestion as written */
    opts.neighbour_weight = 0;
    rc = dp_query_parse(&q, sug->data, sug->len, false, &why);
    if (rc == 0)
        rc = dp_search_compile(s, q, &opts, &c, &why);
    if (rc == 0)
        rc = dp_search_run_compiled(s, &c, &opts, &r, &why);
    if (rc == 0 && dp_results_size(r) == 0)
        rc = DP_ENOTFOUND;
    if (rc == DP_ESYNTAX || rc == DP_ELIMIT || rc == DP_EINVAL)
        rc = DP_ENOTFOUND;
    else if (rc < 0 && rc != DP_ENOTFOUND && err != NULL)
        *err = why;
    dp_results_free(r);
    dp_search_compiled_release(&c);
    dp_query_free(q);
    return rc;
}

static int dp_search_suggest_once(dp_searcher *s, const char *query, size_t len,
                      dp_buf *out, dp_error *err)
{
    dp_query *q = NULL;
    size_t at = 0;
    bool changed = false;
    int rc;

    dp_buf_reset(out);
    /* Spelling help is for what people type, not for pasted pages. */
    if (len > DP_SUGGEST_MAX_BYTES) {
        rc = DP_ENOTFOUND;
        goto done;
    }
    /* A query that parses only as --lenient's plain words has no
     * corrected copy that parses: "section:" had made "action:",
     * 'title:"' 'ville:"'.  None is made. */
    rc = dp_query_parse(&q, query, len, false, NULL);
    if (rc < 0) {
        rc = rc == DP_ENOMEM ? dp_error_set(err, rc, "out of memory")
                             : DP_ENOTFOUND;
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
    if (rc == DP_OK)
        rc = searchable(s, out, err);
done:
    if (rc != DP_OK)
        dp_buf_reset(out);
    dp_query_free(q);
    return rc;
}

/* ---- --explain ----------------------------------------------------------- */

/* Xapian's BM25Weight with k2 = 0, k3 = 1, min_normlen = 0.5 and a query
 * frequency of 1, written out so that each term's share can be shown:
 *   idf  = log(max((N - n + 0.5) / (n + 0.5), ...))  (see below)
 *   part = idf * (k1 + 1) * tf / (k1 * ((1 - b) + b * L) + tf)
 * with L = max(doclen / avlen, 0.5). */
double dp_search_bm25_idf(double N, double n)
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
        idf = dp_search_bm25_idf((double)st.doccount, (double)df);
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
