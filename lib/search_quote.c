/* search_quote.c -- find where a quotation stands in the indexed texts. */
#include "search_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- quotations ---------------------------------------------------------- */

static bool same_stem(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen > 0 && alen == blen && memcmp(a, b, alen) == 0;
}

/* How quotation word @p q stands in the passage as @p p. */
typedef enum word_match {
    MATCH_NONE = 0,
    MATCH_OTHER_FORM,  /* a stem in common ("militaires", "militaire"),
                          the commonest misquotation; either may be typed
                          without its accents ("creees", "créée" share
                          the folded word's stem) */
    MATCH_SAME         /* the same word (dp_search_same_word()) */
} word_match;

/* @p loose: other forms count, else only the same word does. */
static word_match match_kind(const qtok *q, const qtok *p, bool loose)
{
    if (dp_search_same_word(q, p))
        return MATCH_SAME;
    if (loose && (same_stem(q->stem, q->stem_len, p->stem, p->stem_len) ||
                  same_stem(q->stem, q->stem_len, p->alt, p->alt_len) ||
                  same_stem(q->alt, q->alt_len, p->stem, p->stem_len)))
        return MATCH_OTHER_FORM;
    return MATCH_NONE;
}

/* Longest common subsequence of two word sequences (match_kind());
 * with @p content, stop words are left out of both. */
static size_t lcs(const qtok *a, size_t na, const qtok *b, size_t nb,
                  bool content, bool loose)
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
            else if (match_kind(&a[i - 1], &b[j - 1], loose) != MATCH_NONE)
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
        if (!dp_search_same_word(&a[i], &b[i]))
            return false;
    return true;
}

/* An approximate match is looked for within a window of the passage of
 * at most QUOTE_WINDOW(n) words for a quotation of n: in a long passage
 * an alignment over all its words gathers a quotation's commonest words
 * from everywhere (QA: 12 of 15 words over 3,200, the whole passage as
 * the snippet). */
#define QUOTE_WINDOW(n) (2 * (n) + 60)

/* Where and how well a quotation stands in a passage (approximately). */
typedef struct quote_fit {
    size_t start, len; /* the window: pw->v[start .. start + len) */
    size_t content;    /* its content words in order (lcs()) */
    size_t words;      /* its words in order, each the same or another form */
    size_t same;       /* its words in order, each the very form quoted */
} quote_fit;

/* Whether @p a fits better: more content words, then more words, then
 * more in the very form quoted (the earlier window on a tie). */
static bool fit_better(const quote_fit *a, const quote_fit *b)
{
    if (a->content != b->content)
        return a->content > b->content;
    if (a->words != b->words)
        return a->words > b->words;
    return a->same > b->same;
}

/* The window of @p pw where @p quote fits best (quote_fit), or the
 * passage when it is no longer than a window.  The windows start every
 * (win - n) / 2 words, the last one ending the passage, so that any
 * alignment over at most (3n + 60) / 2 words lies whole in one of them,
 * and a long quotation in a long passage costs some twenty windows, not
 * one per word. */
static void quote_best_fit(const tokvec *quote, const tokvec *pw,
                           quote_fit *out)
{
    size_t n = quote->n, m = pw->n, win = QUOTE_WINDOW(n);
    size_t step = (win - n) / 2;

    memset(out, 0, sizeof *out);
    if (m <= win) {
        out->len = m;
        out->content = lcs(quote->v, n, pw->v, m, true, true);
        out->words = lcs(quote->v, n, pw->v, m, false, true);
        out->same = lcs(quote->v, n, pw->v, m, false, false);
        return;
    }
    for (size_t start = 0;; start += step) {
        quote_fit f = { start + win > m ? m - win : start, win, 0, 0, 0 };

        f.content = lcs(quote->v, n, pw->v + f.start, win, true, true);
        if (f.content >= out->content) {
            f.words = lcs(quote->v, n, pw->v + f.start, win, false, true);
            f.same = lcs(quote->v, n, pw->v + f.start, win, false, false);
            if (out->len == 0 || fit_better(&f, out))
                *out = f;
        }
        if (f.start + win >= m)
            break;
    }
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
    return dp_search_analyze(s->an, rec->text, rec->text_len, tv, err);
}

#define QUOTE_CANDIDATES 50
#define QUOTE_MAX_WORDS 2000

/* A candidate passage, read and analysed once however many of the
 * checks below look at it. */
typedef struct quote_cand {
    dp_buf st;     /* its stored record */
    dp_record rec; /* decoded from st */
    tokvec pw;     /* its words */
    bool read;
} quote_cand;

/* The candidates of one quotation: the hits of @p ms, read on demand. */
typedef struct quote_cands {
    dp_searcher *s;
    xshim_mset *ms;
    quote_cand *v; /* xshim_mset_size(ms) of them */
} quote_cands;

static int quote_cands_init(quote_cands *qc, dp_searcher *s, xshim_mset *ms,
                            dp_error *err)
{
    qc->s = s;
    qc->ms = ms;
    qc->v = calloc(xshim_mset_size(ms) + 1, sizeof *qc->v);
    return qc->v == NULL ? dp_error_set(err, DP_ENOMEM, "out of memory")
                         : DP_OK;
}

static void quote_cands_release(quote_cands *qc)
{
    for (size_t i = 0; qc->v != NULL && i < xshim_mset_size(qc->ms); i++) {
        dp_search_tokvec_release(&qc->v[i].pw);
        dp_buf_release(&qc->v[i].st);
    }
    free(qc->v);
    qc->v = NULL;
}

/* Candidate @p i, read and analysed at its first use. */
static int quote_cand_get(quote_cands *qc, size_t i, const quote_cand **out,
                          dp_error *err)
{
    quote_cand *c = &qc->v[i];

    if (!c->read) {
        int rc = passage_words(qc->s, xshim_mset_docid(qc->ms, i), &c->st,
                               &c->rec, &c->pw, err);
        if (rc < 0)
            return rc;
        c->read = true;
    }
    *out = c;
    return DP_OK;
}

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

/* The quote continues past the end of candidate @p c into the next
 * passage of its file: @return that passage's docid in @p next, or 0. */
static int quote_spans(dp_searcher *s, const quote_cand *c,
                       const tokvec *quote, uint32_t *next, dp_error *err)
{
    dp_buf st2 = DP_BUF_INIT;
    dp_record rec2;
    tokvec nw;
    uint32_t nd = 0;
    int rc;

    *next = 0;
    memset(&nw, 0, sizeof nw);
    rc = dp_index_passage_docid(s->idx, c->rec.relpath, c->rec.relpath_len,
                                c->rec.ordinal + 1, &nd, err);
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
        if (quote_joins(&c->pw, &nw, quote, k))
            *next = nd;
done:
    dp_search_tokvec_release(&nw);
    dp_buf_release(&st2);
    return rc;
}

/* Whether word @p i of @p pw, the words of @p text (@p len bytes), is a
 * footnote call, a number in brackets ("Islamabad[1]."): the texts print
 * them, the quotations leave them out. */
static bool footnote_call(const tokvec *pw, size_t i, const char *text,
                          size_t len)
{
    const qtok *t = &pw->v[i];

    return (t->flags & DP_TOK_NUMBER) && t->start > 0 && t->end < len &&
           text[t->start - 1] == '[' && text[t->end] == ']';
}

/* Where the quotation @p text has an ellipsis ("…", "...", "[…]",
 * "(...)") between two words: @p gap[i] for the word i after it. */
static void quote_gaps(const tokvec *quote, const char *text, bool *gap)
{
    for (size_t i = 1; i < quote->n; i++) {
        const char *p = text + quote->v[i - 1].end;
        size_t n = quote->v[i].start - quote->v[i - 1].end;

        gap[i] = memmem(p, n, "\xE2\x80\xA6", 3) != NULL ||
                 memmem(p, n, "...", 3) != NULL;
    }
}

/* Whether @p quote stands in @p pw, the words of @p text (@p len bytes),
 * in sequence but for the passage's footnote calls, and for any words
 * where the quotation has an ellipsis (@p gap).  Each run of the quotation
 * between two ellipses is taken at its first place after the run before:
 * if any places fit, those do. */
static bool quote_within(const tokvec *quote, const bool *gap,
                         const tokvec *pw, const char *text, size_t len)
{
    size_t *at = calloc(pw->n + 1, sizeof *at), m = 0, from = 0;
    bool found = at != NULL;

    for (size_t j = 0; found && j < pw->n; j++)
        if (!footnote_call(pw, j, text, len))
            at[m++] = j;
    for (size_t a = 0, b; found && a < quote->n; a = b) {
        size_t j;

        for (b = a + 1; b < quote->n && !gap[b]; b++)
            ;
        found = false;
        for (j = from; !found && j + (b - a) <= m; j++) {
            found = true;
            for (size_t k = a; found && k < b; k++)
                found = dp_search_same_word(&quote->v[k],
                                            &pw->v[at[j + k - a]]);
        }
        from = j - 1 + (b - a);
    }
    free(at);
    return found;
}

/* Highlighting a quotation: mark the passage words that carry it, as the
 * label counts them (1 + their index in the quotation), and highlight
 * those only, not every "les" of the passage (dp_search_marked_snippet()). */

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

/* What a match of kind @p k adds to an alignment (mark_alignment()):
 * @p word, one more for the very form quoted, less @p run_start when the
 * match starts a run. */
static uint64_t match_value(word_match k, uint64_t word, uint64_t run_start)
{
    return word + (k == MATCH_SAME ? 1 : 0) - run_start;
}

/* The in-order alignment of @p quote on @p pw with the most words, each
 * the same or in another form (a longest common subsequence) and, among
 * those, the fewest runs, marked in @p qpos: the words an approximate
 * match counts, together where the passage has them together ("les plus"
 * in "Les 50 pays les plus"). */
static void mark_alignment(const tokvec *quote, const tokvec *pw,
                           size_t *qpos)
{
    size_t n = quote->n, m = pw->n, w = m + 1;
    /* f[c][i * w + j]: the best value for quote[i..] on pw[j..], each
     * word matched counting (n + 1)^2, one more in the very form quoted,
     * and each run started -(n + 1): most words, then fewest runs, then
     * most in their own form; c: quote[i-1] was matched to pw[j-1], so a
     * match at (i, j) continues its run. */
    uint64_t *f[2] = { calloc((n + 1) * w, sizeof *f[0]),
                       calloc((n + 1) * w, sizeof *f[1]) };
    const uint64_t run = (uint64_t)n + 1, word = run * run;

    if (f[0] == NULL || f[1] == NULL)
        goto done; /* no highlight is better than a wrong one */
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;) {
            word_match k = match_kind(quote->v + i, pw->v + j, true);

            for (int c = 0; c < 2; c++) {
                uint64_t best = f[0][(i + 1) * w + j], v;

                if (f[0][i * w + j + 1] > best)
                    best = f[0][i * w + j + 1];
                v = f[1][(i + 1) * w + j + 1] +
                    match_value(k, word, c ? 0 : run);
                if (k != MATCH_NONE && v > best)
                    best = v;
                f[c][i * w + j] = best;
            }
        }
    for (size_t i = 0, j = 0, c = 0; i < n && j < m;) {
        uint64_t here = f[c][i * w + j];
        word_match k = match_kind(quote->v + i, pw->v + j, true);

        if (k != MATCH_NONE &&
            here == f[1][(i + 1) * w + j + 1] +
                        match_value(k, word, c ? 0 : run)) {
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

/* mark_alignment() within the window @p f of @p pw. */
static void mark_window(const tokvec *quote, const tokvec *pw,
                        const quote_fit *f, size_t *qpos)
{
    tokvec win = *pw;

    win.v = pw->v + f->start;
    win.n = f->len;
    mark_alignment(quote, &win, qpos + f->start);
}

/* mark_alignment() within the window of @p pw where @p quote fits best
 * (quote_best_fit()). */
static void mark_fit(const tokvec *quote, const tokvec *pw, size_t *qpos)
{
    quote_fit f;

    quote_best_fit(quote, pw, &f);
    mark_window(quote, pw, &f, qpos);
}

/* How many words of the alignment of @p quote on @p pw within its window
 * @p f (mark_window()) stand there in another form; in @p span, how many
 * words of @p pw it runs over, from its first to its last. */
static size_t other_forms(const tokvec *quote, const tokvec *pw,
                          const quote_fit *f, size_t *span)
{
    size_t *qpos = calloc(pw->n + 1, sizeof *qpos), n = 0, first = 0;

    *span = 0;
    if (qpos == NULL)
        return 0;
    mark_window(quote, pw, f, qpos);
    for (size_t j = 0; j < pw->n; j++) {
        if (qpos[j] == 0)
            continue;
        if (*span == 0)
            first = j;
        *span = j - first + 1;
        if (match_kind(&quote->v[qpos[j] - 1], &pw->v[j], true) ==
            MATCH_OTHER_FORM)
            n++;
    }
    free(qpos);
    return n;
}

/* What marks a quotation's words in a passage (a mark_fn's context). */
typedef struct quote_marks {
    const tokvec *quote;
    quote_part part;
} quote_marks;

static int mark_quote(const tokvec *pw, size_t *qpos, const void *ctx)
{
    const quote_marks *q = ctx;

    if (q->part == QUOTE_ALIGN)
        mark_fit(q->quote, pw, qpos);
    else if (!mark_run(q->quote, pw, q->part, qpos))
        mark_alignment(q->quote, pw, qpos); /* exact but for ellipses */
    return DP_OK;
}

/* Redo the snippet of hit @p i with the quotation's own words marked. */
static int quote_snippet(dp_searcher *s, dp_results *r, size_t i,
                         const tokvec *quote, quote_part part, size_t words,
                         dp_error *err)
{
    quote_marks q = { quote, part };

    return dp_search_marked_snippet(s, &r->slots[i], mark_quote, &q, NULL, NULL,
                                    words, err);
}

/* 1b. Exact but for footnote calls and ellipses (quote_within()): the
 * candidates @p ms that hold the quotation so, as hits in @p out (up to
 * opts->k after opts->offset, in BM25 order; total: all of them), or
 * NULL when none does. */
static int quote_exact_within(dp_searcher *s, quote_cands *qc,
                              const tokvec *quote, const char *text,
                              const dp_search_opts *o, const compiled *c,
                              dp_results **out, dp_error *err)
{
    xshim_mset *ms = qc->ms;
    size_t n = xshim_mset_size(ms), nfound = 0, shown;
    size_t *found = calloc(n + 1, sizeof *found);
    bool *gap = calloc(quote->n, sizeof *gap);
    dp_results *r = NULL;
    int rc = DP_OK;

    *out = NULL;
    if (found == NULL || gap == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    quote_gaps(quote, text, gap);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const quote_cand *cd;

        rc = quote_cand_get(qc, i, &cd, err);
        if (rc == 0 && quote_within(quote, gap, &cd->pw, cd->rec.text,
                                    cd->rec.text_len))
            found[nfound++] = i;
    }
    if (rc < 0 || nfound == 0)
        goto done;
    shown = nfound > o->offset ? nfound - o->offset : 0;
    if (shown > o->k)
        shown = o->k;
    rc = dp_search_results_new(&r, shown, err);
    for (size_t k = 0; k < shown && rc == 0; k++) {
        size_t i = found[o->offset + k];

        rc = dp_search_slot_build(s, r, k, xshim_mset_docid(ms, i),
                                  (uint32_t)(o->offset + k + 1),
                                  xshim_mset_weight(ms, i), c,
                                  o->snippet_words, err);
        if (rc == 0)
            rc = quote_snippet(s, r, k, quote, QUOTE_WHOLE, o->snippet_words,
                               err);
    }
    if (rc < 0)
        goto done;
    r->total = nfound;
    *out = r;
    r = NULL;
done:
    dp_results_free(r);
    free(found);
    free(gap);
    return rc;
}

int dp_search_quote_once(dp_searcher *s, const char *text, size_t len,
                         const dp_search_opts *opts, dp_results **out,
                         dp_quote_match *m, dp_error *err)
{
    tokvec quote;
    compiled c;
    dp_search_opts o = *opts;
    xshim_mset *ms = NULL;
    xshim_search_opts xo;
    dp_results *r = NULL;
    size_t best = 0, best_i = 0, best_span = 0;
    quote_fit best_fit = { 0, 0, 0, 0, 0 };
    quote_cands qc = { NULL, NULL, NULL };
    int rc;

    *out = NULL;
    /* As a query: a quotation the terminal sent in another encoding is
     * an error, not a search for the words that survived. */
    rc = dp_query_check_bytes(text, len, err);
    if (rc < 0)
        return rc;
    memset(m, 0, sizeof *m);
    memset(&c, 0, sizeof c);
    rc = dp_search_analyze(s->an, text, len, &quote, err);
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
        compiler cp = { s, &c, 0, err, 1, false, false };
        c.keep_stops = true;
        rc = dp_search_cp_phrase(&cp, 0, &quote, 0, quote.n, 0, XSHIM_OP_PHRASE,
                                 &c.xq);
        if (rc < 0)
            goto done;
        rc = dp_search_compiled_seal(&c, err);
        if (rc < 0)
            goto done;
        /* Count every exact match: the label says how many passages hold
         * the quotation, whatever -k and --offset show. */
        o.exact_count = true;
        rc = dp_search_run_compiled(s, &c, &o, &r, err);
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
        /* each word as written and by its stem, so that a passage with
         * some words in another form is a candidate too */
        xshim_query **subs = calloc(2 * quote.n, sizeof *subs);
        compiler cp = { s, &c, 0, err, 1, false, false };
        size_t nsubs = 0;
        if (subs == NULL) {
            rc = dp_error_set(err, DP_ENOMEM, "out of memory");
            goto done;
        }
        xshim_query_free(c.xq);
        c.xq = NULL;
        for (size_t i = 0; i < quote.n && rc == 0; i++) {
            rc = dp_search_cp_term(&cp, 0, quote.v[i].norm, quote.v[i].norm_len,
                                   (uint32_t)i + 1, &subs[nsubs++]);
            if (rc == 0 && quote.v[i].stem_len > 0)
                rc = dp_search_cp_term(&cp, DP_PREFIX_STEM, quote.v[i].stem,
                                       quote.v[i].stem_len, (uint32_t)i + 1,
                                       &subs[nsubs++]);
        }
        rc = dp_search_cp_combine(&cp, rc, XSHIM_OP_OR, subs, nsubs, 0,
                                  &c.xq);
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
    if (rc == 0)
        rc = quote_cands_init(&qc, s, ms, err);
    if (rc < 0)
        goto done;
    rc = quote_exact_within(s, &qc, &quote, text, &o, &c, &r, err);
    if (rc < 0)
        goto done;
    if (r != NULL) {
        m->exact = true;
        m->coverage = 1.0;
        m->words = m->matched = quote.n;
        *out = r;
        r = NULL;
        goto done;
    }
    for (size_t i = 0; i < xshim_mset_size(ms); i++) {
        const quote_cand *cd;
        uint32_t next = 0;

        rc = quote_cand_get(&qc, i, &cd, err);
        if (rc == 0)
            rc = quote_spans(s, cd, &quote, &next, err);
        if (rc < 0)
            goto done;
        if (next != 0) {
            /* One answer in two passages: the continuation ranks second
             * with the score of the passage the quotation starts in, not
             * 0, which would read as "not relevant". */
            rc = dp_search_results_new(&r, 2, err);
            if (rc == 0)
                rc = dp_search_slot_build(s, r, 0, xshim_mset_docid(ms, i), 1,
                                          xshim_mset_weight(ms, i), &c,
                                          o.snippet_words, err);
            if (rc == 0)
                rc = dp_search_slot_build(s, r, 1, next, 2,
                                          xshim_mset_weight(ms, i), &c,
                                          o.snippet_words, err);
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
     * order, then most words in order (each the same or in another form),
     * then most of them the same, then the BM25 rank. */
    for (size_t i = 0; i < xshim_mset_size(ms); i++) {
        const quote_cand *cd;
        quote_fit f;

        rc = quote_cand_get(&qc, i, &cd, err);
        if (rc < 0)
            goto done;
        /* a window holds no more than the whole passage */
        if (lcs(quote.v, quote.n, cd->pw.v, cd->pw.n, true, true) <
            best_fit.content)
            continue;
        quote_best_fit(&quote, &cd->pw, &f);
        if (i == 0 || fit_better(&f, &best_fit)) {
            best_fit = f;
            best_i = i;
        }
    }
    best = best_fit.words;
    if (best == 0) {
        rc = dp_search_results_new(out, 0, err);
        goto done;
    }
    /* The snippet shows every word the label counts: the alignment may
     * run over more words than the quotation has. */
    m->other_form = other_forms(&quote, &qc.v[best_i].pw, &best_fit,
                                &best_span);
    if (o.snippet_words < best_span + 10)
        o.snippet_words = best_span + 10 < DP_SNIPPET_MAX_WORDS
                              ? best_span + 10 : DP_SNIPPET_MAX_WORDS;
    rc = dp_search_results_new(&r, 1, err);
    if (rc == 0)
        rc = dp_search_slot_build(s, r, 0, xshim_mset_docid(ms, best_i), 1,
                                  xshim_mset_weight(ms, best_i), &c,
                                  o.snippet_words, err);
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
    quote_cands_release(&qc);
    xshim_mset_free(ms);
    dp_search_compiled_release(&c);
    dp_search_tokvec_release(&quote);
    return rc;
}
