/* fuzz_analyzer.c -- libFuzzer harness: dp_analyzer_run() on any bytes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "depeche/analyzer.h"
#include "depeche/buf.h"
#include "depeche/corpus.h"
#include "fuzz.h"

/*
 * Checked for every input, as analyzer.h promises them:
 *   - offsets: start < end <= len, and a token starts at or after the end
 *     of the one before (pieces of a text never overlap); its bytes are
 *     valid UTF-8 (ill-formed bytes are never part of a word);
 *   - positions: strictly increasing, from first_pos;
 *   - norm: 1..DP_MAX_TERM_BYTES bytes of valid UTF-8, without spaces,
 *     control bytes or ASCII capitals; stem: non-empty valid UTF-8 of at
 *     most DP_MAX_TERM_BYTES (both become Xapian terms); alt: empty or
 *     the same kind of string, never equal to stem;
 *   - flags: DP_TOK_STOP, DP_TOK_NUMBER and DP_TOK_DIGIT agree with the
 *     norm;
 *   - one pipeline for texts and queries: dp_analyzer_fold() of a token's
 *     bytes gives its norm (an acronym's dots aside) and
 *     dp_analyzer_stem() of the norm gives its alt, or its stem when alt
 *     is empty;
 *   - stems keep the head of the word (DP_STEM_KEEPS):
 *     dp_analyzer_may_stem_to() holds for the norm and the stem, and for
 *     the norm and the alt, of every token (a snippet skips the words it
 *     says cannot match);
 *   - an ordinal's stem (dp_analyzer_is_ordinal_stem()) comes from a
 *     norm that dp_analyzer_ordinal_forms() lists for it (a phrase
 *     searches an ordinal by those forms), but for the documented
 *     exception, Roman numerals before "ieme";
 *   - a second run gives the same tokens (the word cache is invisible);
 *   - after 64 KiB of line ends, the same tokens at offsets moved as
 *     much: a text over 64 KiB is broken into words through a UTF-8
 *     UText instead of a UTF-16 copy, and the words are the same either
 *     way (for one input in eight);
 *   - a callback's non-zero return stops the run and is passed back;
 *   - dp_analyzer_run_filtered() gives the same tokens, offsets and
 *     positions, except that a word whose head the filter rejected is
 *     DP_TOK_SKIPPED (and was judged by the first code points of its
 *     norm), and a word whose stems it did not want may be
 *     DP_TOK_UNSTEMMED.
 */

#define FIRST_POS 7u
#define STOP_RC   4242

typedef struct tok_rec {
    size_t start, end;
    uint32_t pos;
    unsigned flags;
    size_t norm_off, norm_len, stem_off, stem_len, alt_off, alt_len;
} tok_rec;

typedef struct run_state {
    const uint8_t *text;
    size_t len;
    tok_rec *v;
    size_t n, cap;
    dp_buf strings;    /* norms and stems, back to back */
    size_t stop_after; /* 0: never stop */
} run_state;

static dp_analyzer *analyzer;

static void check_term(const char *what, const char *s, size_t n)
{
    if (s == NULL || n == 0 || n > DP_MAX_TERM_BYTES)
        fuzz_fail("%s of %zu bytes", what, n);
    if (!dp_utf8_valid(s, n))
        fuzz_fail("%s \"%.*s\" is not valid UTF-8", what, (int)n, s);
}

/* A stem keeps the first DP_STEM_KEEPS code points of its word. */
static void check_heads(const dp_token *t)
{
    if (!dp_analyzer_may_stem_to(t->norm, t->norm_len, t->stem, t->stem_len))
        fuzz_fail("stem \"%.*s\" of \"%.*s\": dp_analyzer_may_stem_to() "
                  "says it cannot be", (int)t->stem_len, t->stem,
                  (int)t->norm_len, t->norm);
    if (t->alt_len > 0 &&
        !dp_analyzer_may_stem_to(t->norm, t->norm_len, t->alt, t->alt_len))
        fuzz_fail("alt \"%.*s\" of \"%.*s\": dp_analyzer_may_stem_to() "
                  "says it cannot be", (int)t->alt_len, t->alt,
                  (int)t->norm_len, t->norm);
}

/* An ordinal's norm is one of the forms of its stem. */
static void check_ordinal(const dp_token *t)
{
    char forms[DP_ORDINAL_FORMS][DP_ORDINAL_FORM_BYTES];
    size_t n, k, r = 0;

    if (!dp_analyzer_is_ordinal_stem(t->stem, t->stem_len))
        return;
    n = dp_analyzer_ordinal_forms(t->stem, t->stem_len, forms);
    if (n > DP_ORDINAL_FORMS)
        fuzz_fail("%zu ordinal forms", n);
    if (n == 0 && t->stem_len > 6)
        return; /* values of more than 5 digits are not spelt out */
    for (k = 0; k < n; k++) {
        if (strlen(forms[k]) == t->norm_len &&
            memcmp(forms[k], t->norm, t->norm_len) == 0)
            return;
    }
    /* "xxiieme": XXIième, not listed (it is also XXIIème) */
    if (t->norm_len > 4 &&
        memcmp(t->norm + t->norm_len - 4, "ieme", 4) == 0) {
        while (r < t->norm_len - 4 && strchr("ivx", t->norm[r]) != NULL)
            r++;
        if (r == t->norm_len - 4)
            return;
    }
    fuzz_fail("ordinal \"%.*s\" has the stem \"%.*s\", whose %zu forms do "
              "not list it", (int)t->norm_len, t->norm, (int)t->stem_len,
              t->stem, n);
}

static int on_token(const dp_token *t, void *ctx)
{
    run_state *st = ctx;
    const tok_rec *prev = st->n > 0 ? &st->v[st->n - 1] : NULL;
    tok_rec *r;
    size_t i;
    bool digit;

    if (!(t->start < t->end && t->end <= st->len))
        fuzz_fail("token [%zu, %zu) in a text of %zu bytes", t->start, t->end,
                  st->len);
    if (!dp_utf8_valid((const char *)st->text + t->start, t->end - t->start))
        fuzz_fail("token [%zu, %zu) is not valid UTF-8", t->start, t->end);
    if (prev != NULL && t->start < prev->end)
        fuzz_fail("token [%zu, %zu) overlaps or precedes [%zu, %zu)", t->start,
                  t->end, prev->start, prev->end);
    if (prev != NULL ? t->pos <= prev->pos : t->pos < FIRST_POS)
        fuzz_fail("position %u after %u", t->pos, prev ? prev->pos : 0);
    check_term("norm", t->norm, t->norm_len);
    check_term("stem", t->stem, t->stem_len);
    if (t->alt == NULL)
        fuzz_fail("alt is NULL");
    if (t->alt_len > 0)
        check_term("alt", t->alt, t->alt_len);
    if (t->alt_len == t->stem_len && memcmp(t->alt, t->stem, t->stem_len) == 0)
        fuzz_fail("alt \"%.*s\" equals the stem", (int)t->alt_len, t->alt);
    check_heads(t);
    check_ordinal(t);
    for (i = 0; i < t->norm_len; i++) {
        unsigned char c = (unsigned char)t->norm[i];
        if (c <= 0x20 || c == 0x7f || (c >= 'A' && c <= 'Z'))
            fuzz_fail("norm \"%.*s\" has byte 0x%02x", (int)t->norm_len,
                      t->norm, c);
    }
    if (((t->flags & DP_TOK_STOP) != 0) !=
        dp_analyzer_is_stopword(t->norm, t->norm_len))
        fuzz_fail("stop flag of \"%.*s\"", (int)t->norm_len, t->norm);
    digit = false;
    for (i = 0; i < t->norm_len; i++)
        digit = digit || (t->norm[i] >= '0' && t->norm[i] <= '9');
    if (((t->flags & DP_TOK_DIGIT) != 0) != digit)
        fuzz_fail("digit flag of \"%.*s\"", (int)t->norm_len, t->norm);
    if (((t->flags & DP_TOK_NUMBER) != 0) !=
        (t->norm[0] >= '0' && t->norm[0] <= '9'))
        fuzz_fail("number flag of \"%.*s\"", (int)t->norm_len, t->norm);

    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 64;
        tok_rec *v = realloc(st->v, cap * sizeof *v);
        if (v == NULL)
            fuzz_fail("out of memory");
        st->v = v;
        st->cap = cap;
    }
    r = &st->v[st->n++];
    r->start = t->start;
    r->end = t->end;
    r->pos = t->pos;
    r->flags = t->flags;
    r->norm_off = st->strings.len;
    r->norm_len = t->norm_len;
    fuzz_ok(dp_buf_add(&st->strings, t->norm, t->norm_len), "dp_buf_add");
    r->stem_off = st->strings.len;
    r->stem_len = t->stem_len;
    fuzz_ok(dp_buf_add(&st->strings, t->stem, t->stem_len), "dp_buf_add");
    r->alt_off = st->strings.len;
    r->alt_len = t->alt_len;
    fuzz_ok(dp_buf_add(&st->strings, t->alt, t->alt_len), "dp_buf_add");
    return st->stop_after != 0 && st->n == st->stop_after ? STOP_RC : 0;
}

static void run(run_state *st, const uint8_t *data, size_t size,
                size_t stop_after)
{
    dp_error err = DP_ERROR_INIT;
    int rc;

    memset(st, 0, sizeof *st);
    st->text = data;
    st->len = size;
    st->stop_after = stop_after;
    rc = dp_analyzer_run(analyzer, (const char *)data, size, FIRST_POS,
                         on_token, st, &err);
    if (stop_after != 0 && st->n == stop_after) {
        if (rc != STOP_RC)
            fuzz_fail("callback stop: run returned %d, not %d", rc, STOP_RC);
    } else if (rc != DP_OK) {
        fuzz_fail("dp_analyzer_run returned %d (%s)", rc, err.msg);
    }
}

static void run_release(run_state *st)
{
    free(st->v);
    dp_buf_release(&st->strings);
}

static bool rec_equal(const run_state *a, const tok_rec *x, const run_state *b,
                      const tok_rec *y)
{
    return x->start == y->start && x->end == y->end && x->pos == y->pos &&
           x->flags == y->flags && x->norm_len == y->norm_len &&
           x->stem_len == y->stem_len && x->alt_len == y->alt_len &&
           memcmp(a->strings.data + x->alt_off, b->strings.data + y->alt_off,
                  x->alt_len) == 0 &&
           memcmp(a->strings.data + x->norm_off, b->strings.data + y->norm_off,
                  x->norm_len) == 0 &&
           memcmp(a->strings.data + x->stem_off, b->strings.data + y->stem_off,
                  x->stem_len) == 0;
}

/* The helpers the query side uses give the same forms as the run. */
static void check_helpers(const run_state *st)
{
    dp_buf out = DP_BUF_INIT, nodots = DP_BUF_INIT, alt = DP_BUF_INIT;
    dp_error err = DP_ERROR_INIT;
    size_t i, j;

    for (i = 0; i < st->n; i++) {
        const tok_rec *r = &st->v[i];
        const char *piece = (const char *)st->text + r->start;
        const char *norm = st->strings.data + r->norm_off;
        /* the stem of the folded word */
        const char *stem = st->strings.data +
                           (r->alt_len > 0 ? r->alt_off : r->stem_off);
        size_t stem_len = r->alt_len > 0 ? r->alt_len : r->stem_len;
        size_t plen = r->end - r->start;
        bool same;
        int rc;

        dp_buf_reset(&out);
        rc = dp_analyzer_fold(analyzer, piece, plen, &out, &err);
        same = rc == DP_OK && out.len == r->norm_len &&
               memcmp(out.data, norm, r->norm_len) == 0;
        if (!same && memchr(piece, '.', plen) != NULL) {
            /* An acronym ("O.N.U"): its dots are dropped before folding. */
            dp_buf_reset(&nodots);
            for (j = 0; j < plen; j++) {
                if (piece[j] != '.')
                    fuzz_ok(dp_buf_addc(&nodots, piece[j]), "dp_buf_addc");
            }
            dp_buf_reset(&alt);
            rc = dp_analyzer_fold(analyzer, nodots.data ? nodots.data : "",
                                  nodots.len, &alt, &err);
            same = rc == DP_OK && alt.len == r->norm_len &&
                   memcmp(alt.data, norm, r->norm_len) == 0;
        }
        if (!same)
            fuzz_fail("dp_analyzer_fold(\"%.*s\") gives \"%.*s\" (rc %d), "
                      "the run gave \"%.*s\"",
                      (int)plen, piece, (int)out.len, out.data ? out.data : "",
                      rc, (int)r->norm_len, norm);
        /* An ordinal in Roman numerals ("XXIe": "21e") is told by its
         * capitals, which the folded word has lost (analyzer.h). */
        if (stem_len > 0 && stem[0] >= '0' && stem[0] <= '9' &&
            r->norm_len > 0 && strchr("ivx", norm[0]) != NULL)
            continue;
        dp_buf_reset(&out);
        rc = dp_analyzer_stem(analyzer, norm, r->norm_len, &out, &err);
        if (rc != DP_OK || out.len != stem_len ||
            memcmp(out.data, stem, stem_len) != 0)
            fuzz_fail("dp_analyzer_stem(\"%.*s\") gives \"%.*s\" (rc %d), "
                      "the run gave \"%.*s\"",
                      (int)r->norm_len, norm, (int)out.len,
                      out.data ? out.data : "", rc, (int)stem_len, stem);
    }
    dp_buf_release(&out);
    dp_buf_release(&nodots);
    dp_buf_release(&alt);
}

/* The filtered run: the tokens and the head each skipped one was judged
 * by. */
typedef struct filtered_state {
    const run_state *full;
    size_t n;
    char head[8];       /* the last head may_matter() saw */
    size_t head_len;
} filtered_state;

/* Arbitrary but fixed filters: they reject about a third of the heads and
 * half of the stems. */
static bool may_matter(const char *head, size_t len, void *ctx)
{
    filtered_state *fs = ctx;

    if (len == 0 || len > sizeof fs->head)
        fuzz_fail("a head of %zu bytes", len);
    memcpy(fs->head, head, len);
    fs->head_len = len;
    return (unsigned char)head[0] % 3 != 0;
}

static bool want_stems(const char *norm, size_t len, void *ctx)
{
    (void)ctx;
    return len > 0 && (unsigned char)norm[len - 1] % 2 == 0;
}

static int on_filtered(const dp_token *t, void *ctx)
{
    filtered_state *fs = ctx;
    const run_state *full = fs->full;
    const tok_rec *r;
    const char *norm;

    if (fs->n >= full->n)
        fuzz_fail("the filtered run gave more tokens");
    r = &full->v[fs->n++];
    norm = full->strings.data + r->norm_off;
    if (t->start != r->start || t->end != r->end || t->pos != r->pos)
        fuzz_fail("filtered token %zu at [%zu, %zu) #%u, not [%zu, %zu) #%u",
                  fs->n - 1, t->start, t->end, t->pos, r->start, r->end,
                  r->pos);
    if (t->flags & DP_TOK_SKIPPED) {
        size_t h = dp_analyzer_head_len(norm, r->norm_len);

        if (t->norm_len != 0 || t->stem_len != 0 || t->alt_len != 0 ||
            !(t->flags & DP_TOK_UNSTEMMED))
            fuzz_fail("skipped token %zu has forms", fs->n - 1);
        if (fs->head_len != h || memcmp(fs->head, norm, h) != 0 ||
            (unsigned char)norm[0] % 3 != 0)
            fuzz_fail("token \"%.*s\" skipped by the head \"%.*s\"",
                      (int)r->norm_len, norm, (int)fs->head_len, fs->head);
        return 0;
    }
    if (t->norm_len != r->norm_len || memcmp(t->norm, norm, r->norm_len) != 0 ||
        (t->flags & ~DP_TOK_UNSTEMMED) != r->flags)
        fuzz_fail("filtered token \"%.*s\" differs from \"%.*s\"",
                  (int)t->norm_len, t->norm, (int)r->norm_len, norm);
    if (!(t->flags & DP_TOK_UNSTEMMED) &&
        (t->stem_len != r->stem_len || t->alt_len != r->alt_len ||
         memcmp(t->stem, full->strings.data + r->stem_off, r->stem_len) != 0 ||
         memcmp(t->alt, full->strings.data + r->alt_off, r->alt_len) != 0))
        fuzz_fail("filtered token \"%.*s\": other stems", (int)r->norm_len,
                  norm);
    if ((t->flags & DP_TOK_UNSTEMMED) && want_stems(norm, r->norm_len, NULL))
        fuzz_fail("token \"%.*s\" unstemmed though wanted", (int)r->norm_len,
                  norm);
    return 0;
}

static void check_filtered(const run_state *full, const uint8_t *data,
                           size_t size)
{
    static dp_analyzer *cold;
    filtered_state fs;
    dp_token_filter filter = { want_stems, may_matter, &fs };
    dp_error err = DP_ERROR_INIT;
    int rc;

    /* A fresh analyzer for each input would be slow; one that never runs
     * unfiltered keeps words unstemmed in its cache. */
    if (cold == NULL && dp_analyzer_new(&cold, &err) != DP_OK)
        fuzz_fail("dp_analyzer_new: %s", err.msg);
    memset(&fs, 0, sizeof fs);
    fs.full = full;
    rc = dp_analyzer_run_filtered(cold, (const char *)data, size, FIRST_POS,
                                  &filter, on_filtered, &fs, &err);
    if (rc != DP_OK)
        fuzz_fail("dp_analyzer_run_filtered returned %d (%s)", rc, err.msg);
    if (fs.n != full->n)
        fuzz_fail("the filtered run gave %zu tokens, not %zu", fs.n, full->n);
}

/* The same text after PAD line ends: over 64 KiB, it takes the other
 * path through ICU. */
#define PAD (64 * 1024)

static void check_long(const run_state *first, const uint8_t *data,
                       size_t size)
{
    uint8_t *buf = malloc(PAD + size);
    run_state st;
    size_t i;

    if (buf == NULL)
        fuzz_fail("out of memory");
    memset(buf, '\n', PAD);
    memcpy(buf + PAD, data, size);
    run(&st, buf, PAD + size, 0);
    if (st.n != first->n)
        fuzz_fail("after %d line ends: %zu tokens, not %zu", PAD, st.n,
                  first->n);
    for (i = 0; i < st.n; i++) {
        st.v[i].start -= PAD;
        st.v[i].end -= PAD;
        if (!rec_equal(first, &first->v[i], &st, &st.v[i]))
            fuzz_fail("after %d line ends: token %zu differs", PAD, i);
    }
    run_release(&st);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run_state first, second;
    dp_error err = DP_ERROR_INIT;
    size_t i;

    if (analyzer == NULL && dp_analyzer_new(&analyzer, &err) != DP_OK)
        fuzz_fail("dp_analyzer_new: %s", err.msg);
    run(&first, data, size, 0);
    check_helpers(&first);
    check_filtered(&first, data, size);
    if (size > 0 && (size + data[0]) % 8 == 0)
        check_long(&first, data, size);
    /* Again, warm: the same tokens, and a stop in the middle. */
    run(&second, data, size, first.n > 1 ? first.n / 2 + 1 : 0);
    if (second.n > first.n)
        fuzz_fail("second run gave more tokens");
    for (i = 0; i < second.n; i++) {
        if (!rec_equal(&first, &first.v[i], &second, &second.v[i]))
            fuzz_fail("token %zu differs between two runs", i);
    }
    if (second.stop_after == 0 && second.n != first.n)
        fuzz_fail("two runs gave %zu and %zu tokens", first.n, second.n);
    run_release(&first);
    run_release(&second);
    return 0;
}
