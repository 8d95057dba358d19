/* search.c -- BM25 ranking of passages, hits with snippets, citations. */
#include "depeche/search.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "depeche/analyzer.h"
#include "depeche/snippet.h"
#include "index_internal.h"

/* Distinct query terms kept; more are ignored (a 64 KiB query of distinct
 * words is not a question anyone asks). */
#define MAX_QUERY_TERMS 1024

struct dp_searcher {
    dp_index *idx;
    dp_analyzer *an;
    dp_buf scratch;
};

/* One hit and the storage its strings point into. */
typedef struct hit_slot {
    dp_hit hit;
    dp_buf storage;        /* the data record */
    dp_buf id;             /* RELPATH#N */
    dp_snippet snippet;
} hit_slot;

struct dp_results {
    hit_slot *slots;
    size_t n;
    uint64_t total;
    size_t target;
};

/* A query term: its stem, and how often the query says it. */
typedef struct qterm {
    char *stem;
    size_t len;
    uint32_t wqf;
} qterm;

typedef struct qterms {
    qterm *v;
    size_t n, cap;
    size_t nstop;       /* stop words seen */
    size_t nwords;      /* all words seen */
    bool keep_stops;    /* second pass: the query is only stop words */
    dp_error *err;
} qterms;

void dp_search_opts_init(dp_search_opts *o)
{
    memset(o, 0, sizeof *o);
    o->k = 10;
    o->k1 = DP_BM25_K1;
    o->b = DP_BM25_B;
    o->snippet_words = DP_SNIPPET_DEFAULT_WORDS;
}

int dp_searcher_open(dp_searcher **out, const char *index_path,
                     dp_error *err)
{
    dp_searcher *s = calloc(1, sizeof *s);
    int rc;

    *out = NULL;
    if (s == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    rc = dp_index_open(&s->idx, index_path, DP_INDEX_READ, err);
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
    }
    free(r->slots);
    free(r);
}

/* ---- query terms -------------------------------------------------------- */

static void qterms_release(qterms *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->v[i].stem);
    free(q->v);
    memset(q, 0, sizeof *q);
}

static int qterm_cb(const dp_token *tok, void *ctx)
{
    qterms *q = ctx;
    qterm *grown = NULL;

    q->nwords++;
    if (tok->flags & DP_TOK_STOP) {
        q->nstop++;
        if (!q->keep_stops)
            return 0;
    }
    if (tok->stem_len == 0)
        return 0;
    for (size_t i = 0; i < q->n; i++) {
        if (q->v[i].len == tok->stem_len &&
            memcmp(q->v[i].stem, tok->stem, tok->stem_len) == 0) {
            q->v[i].wqf++;
            return 0;
        }
    }
    if (q->n == MAX_QUERY_TERMS)
        return 0;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        grown = realloc(q->v, cap * sizeof *grown);
        if (grown == NULL)
            return dp_error_set(q->err, DP_ENOMEM, "out of memory");
        q->v = grown;
        q->cap = cap;
    }
    q->v[q->n].stem = strndup(tok->stem, tok->stem_len);
    if (q->v[q->n].stem == NULL)
        return dp_error_set(q->err, DP_ENOMEM, "out of memory");
    q->v[q->n].len = tok->stem_len;
    q->v[q->n].wqf = 1;
    q->n++;
    return 0;
}

/* Analyse the query; drop stop words unless that would leave nothing. */
static int qterms_collect(qterms *q, dp_analyzer *an, const char *text,
                          size_t len, dp_error *err)
{
    int rc;

    memset(q, 0, sizeof *q);
    q->err = err;
    rc = dp_analyzer_run(an, text, len, 1, qterm_cb, q, err);
    if (rc < 0)
        return rc;
    if (q->n == 0 && q->nstop > 0) {
        qterms_release(q);
        q->err = err;
        q->keep_stops = true;
        rc = dp_analyzer_run(an, text, len, 1, qterm_cb, q, err);
        if (rc < 0)
            return rc;
    }
    if (q->n == 0)
        return dp_error_set(err, DP_ESYNTAX, "column 1: empty query "
                            "(no searchable word)");
    return DP_OK;
}

static int qterms_query(const qterms *q, dp_buf *scratch, xshim_query **out,
                        dp_error *err)
{
    xshim_query **subs = calloc(q->n, sizeof *subs);
    int rc = DP_OK;

    *out = NULL;
    if (subs == NULL)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    for (size_t i = 0; i < q->n; i++) {
        dp_buf_reset(scratch);
        rc = dp_buf_addc(scratch, DP_PREFIX_STEM);
        if (rc == 0)
            rc = dp_buf_add(scratch, q->v[i].stem, q->v[i].len);
        if (rc < 0) {
            rc = dp_error_set(err, rc, "query term: %s", dp_status_str(rc));
            goto done;
        }
        rc = xshim_query_term(&subs[i], scratch->data, scratch->len,
                              q->v[i].wqf, (uint32_t)i + 1, err);
        if (rc < 0)
            goto done;
    }
    rc = xshim_query_combine(out, XSHIM_OP_OR, subs, q->n, 0, err);
done:
    for (size_t i = 0; i < q->n; i++)
        xshim_query_free(subs[i]);
    free(subs);
    return rc;
}

/* Snippet predicate: a token matches the query term with its stem. */
typedef struct match_ctx {
    const qterms *q;
} match_ctx;

static int match_stem(const dp_token *tok, void *ctx)
{
    const qterms *q = ((match_ctx *)ctx)->q;

    if ((tok->flags & DP_TOK_STOP) && !q->keep_stops)
        return 0;
    for (size_t i = 0; i < q->n; i++) {
        if (q->v[i].len == tok->stem_len &&
            memcmp(q->v[i].stem, tok->stem, tok->stem_len) == 0)
            return (int)i + 1;
    }
    return 0;
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
        h->match_col = h->match_col + (uint32_t)at;
    else
        h->match_col = (uint32_t)(at - line_start) + 1;
}

int dp_search_run(dp_searcher *s, const char *query, size_t len,
                  const dp_search_opts *opts, dp_results **out,
                  dp_error *err)
{
    qterms q;
    match_ctx mc;
    xshim_query *xq = NULL;
    xshim_mset *ms = NULL;
    xshim_search_opts xo;
    dp_results *r = NULL;
    size_t n;
    int rc;

    *out = NULL;
    memset(&q, 0, sizeof q);
    if (len > DP_MAX_QUERY_BYTES) {
        rc = dp_error_set(err, DP_ELIMIT, "column %d: query longer than %d "
                          "bytes", DP_MAX_QUERY_BYTES + 1, DP_MAX_QUERY_BYTES);
        goto done;
    }
    if (opts->k > DP_MAX_HITS || opts->offset > DP_MAX_HITS) {
        rc = dp_error_set(err, DP_ELIMIT, "at most %d hits", DP_MAX_HITS);
        goto done;
    }
    rc = qterms_collect(&q, s->an, query, len, err);
    if (rc < 0)
        goto done;
    rc = qterms_query(&q, &s->scratch, &xq, err);
    if (rc < 0)
        goto done;
    memset(&xo, 0, sizeof xo);
    xo.offset = opts->offset;
    xo.count = opts->k;
    xo.k1 = opts->k1;
    xo.b = opts->b;
    xo.check_at_least = opts->exact_count ? UINT32_MAX : 0;
    rc = xshim_search(dp_index_db(s->idx), xq, &xo, &ms, err);
    if (rc < 0)
        goto done;
    n = xshim_mset_size(ms);
    rc = results_new(&r, n, err);
    if (rc < 0)
        goto done;
    r->total = xshim_mset_matches(ms);
    mc.q = &q;
    for (size_t i = 0; i < n; i++) {
        hit_slot *slot = &r->slots[i];
        r->n = i + 1;
        rc = xshim_mset_data(ms, i, &slot->storage, err);
        if (rc < 0)
            goto done;
        rc = slot_fill(slot, opts->offset + (uint32_t)i + 1,
                       xshim_mset_weight(ms, i), err);
        if (rc < 0)
            goto done;
        rc = dp_snippet_make(&slot->snippet, s->an, slot->hit.text,
                             slot->hit.text_len, opts->snippet_words,
                             match_stem, &mc, err);
        if (rc < 0)
            goto done;
        slot_locate_match(slot);
    }
    *out = r;
    r = NULL;
    rc = DP_OK;
done:
    dp_results_free(r);
    xshim_mset_free(ms);
    xshim_query_free(xq);
    qterms_release(&q);
    return rc;
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

static int prefix_cb(const char *relpath, const dp_manifest_entry *e,
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
        if ((c->nfound && dp_buf_adds(&c->others, ", ") < 0) ||
            dp_buf_adds(&c->others, relpath) < 0)
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
    rc = dp_index_manifest_each(s->idx, prefix_cb, &c, err);
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

/* @return the numeric tail of @p ref after its last @p sep, or 0. */
static uint32_t ref_number(const char *ref, char sep, size_t *rlen)
{
    const char *p = strrchr(ref, sep);
    char *end = NULL;
    unsigned long v;

    if (p == NULL || p[1] < '0' || p[1] > '9')
        return 0;
    v = strtoul(p + 1, &end, 10);
    if (*end != '\0' || v == 0 || v > UINT32_MAX)
        return 0;
    *rlen = (size_t)(p - ref);
    return (uint32_t)v;
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

int dp_search_cite(dp_searcher *s, const char *ref, uint32_t context,
                   dp_results **out, dp_error *err)
{
    size_t rlen = strlen(ref);
    uint32_t ordinal = ref_number(ref, '#', &rlen);
    uint32_t line = 0, first, last;
    char *relpath = NULL;
    dp_manifest_entry entry;
    dp_results *r = NULL;
    int rc;

    *out = NULL;
    if (ordinal == 0) {
        rlen = strlen(ref);
        line = ref_number(ref, ':', &rlen);
    }
    if (rlen == 0) {
        rc = dp_error_set(err, DP_EINVAL, "%s: expected RELPATH#N or "
                          "RELPATH:LINE", ref);
        goto done;
    }
    rc = cite_resolve_file(s, ref, rlen, &relpath, &entry, err);
    if (rc < 0)
        goto done;
    if (line > 0) {
        rc = cite_find_line(s, relpath, entry.passages, line, &ordinal, err);
        if (rc < 0)
            goto done;
    } else if (ordinal == 0) {
        ordinal = 1;
    }
    if (ordinal > entry.passages) {
        rc = dp_error_set(err, DP_ENOTFOUND, "%s#%" PRIu32 ": no such passage "
                          "(the file has %" PRIu32 ")", relpath, ordinal,
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
