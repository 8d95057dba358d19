/* test_snippet.c -- window choice, cuts and highlights of snippets. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "depeche/snippet.h"

/* ---- A query: the stems of its words, each a term id (1-based). ---- */

#define MAX_TERMS 8

typedef struct query {
    char stem[MAX_TERMS][64];
    size_t n;
} query;

static int query_add(const dp_token *tok, void *ctx)
{
    query *q = ctx;
    size_t i;

    assert_true(tok->stem_len < sizeof q->stem[0]);
    for (i = 0; i < q->n; i++) {
        if (strlen(q->stem[i]) == tok->stem_len &&
            memcmp(q->stem[i], tok->stem, tok->stem_len) == 0)
            return 0;
    }
    assert_true(q->n < MAX_TERMS);
    memcpy(q->stem[q->n], tok->stem, tok->stem_len);
    q->stem[q->n][tok->stem_len] = '\0';
    q->n++;
    return 0;
}

/* Analyse @p text as a query would be: folded, stemmed. */
static void query_init(query *q, dp_analyzer *an, const char *text)
{
    memset(q, 0, sizeof *q);
    assert_int_equal(dp_analyzer_run(an, text, strlen(text), 0, query_add, q,
                                     NULL),
                     DP_OK);
}

/* The match predicate: the id of the query term with the token's stem. */
static int query_match(const dp_token *tok, void *ctx)
{
    const query *q = ctx;
    size_t i;

    for (i = 0; i < q->n; i++) {
        if (strlen(q->stem[i]) == tok->stem_len &&
            memcmp(q->stem[i], tok->stem, tok->stem_len) == 0)
            return (int)i + 1;
    }
    return 0;
}

/* The stem filter of a query: dp_analyzer_may_stem_to() one of its stems
 * (from a word's folded form or its head alike). */
static bool query_want(const char *norm, size_t len, void *ctx)
{
    const query *q = ctx;

    for (size_t i = 0; i < q->n; i++) {
        if (dp_analyzer_may_stem_to(norm, len, q->stem[i],
                                    strlen(q->stem[i])))
            return true;
    }
    return false;
}

static int setup(void **state)
{
    dp_analyzer *an = NULL;

    if (dp_analyzer_new(&an, NULL) != DP_OK)
        return -1;
    *state = an;
    return 0;
}

static int teardown(void **state)
{
    dp_analyzer_free(*state);
    return 0;
}

/* The highlighted bytes of @p sn joined by "|". */
static void join_highlights(const dp_snippet *sn, dp_buf *b)
{
    size_t i;

    for (i = 0; i < sn->nhl; i++) {
        assert_true(sn->hl[i].start < sn->hl[i].end);
        assert_true(sn->hl[i].end <= sn->text.len);
        if (i > 0) {
            assert_true(sn->hl[i - 1].end <= sn->hl[i].start);
            assert_int_equal(dp_buf_addc(b, '|'), DP_OK);
        }
        assert_int_equal(dp_buf_add(b, sn->text.data + sn->hl[i].start,
                                    sn->hl[i].end - sn->hl[i].start),
                         DP_OK);
    }
}

/* ---- The table. ---- */

static const struct {
    const char *what;
    const char *passage;
    size_t words;        /* max_words */
    const char *query;
    const char *snippet; /* expected text */
    const char *hl;      /* expected highlights, joined by "|" */
    unsigned nmatched;
    const char *first;   /* passage text at first_match */
} cases[] = {
    { "white space collapses across line ends",
      "Les relations\n  entre\r\n\tl’Azerbaïdjan   et le\xe2\x80\xa8Pakistan.",
      0, "azerbaidjan",
      "Les relations entre l’Azerbaïdjan et le Pakistan.", "Azerbaïdjan", 1,
      "Azerbaïdjan   et" },
    { "original spelling, elided articles outside the highlight",
      "L'AZERBAÏDJAN et l’Azerbaïdjan", 0, "Azerbaidjan",
      "L'AZERBAÏDJAN et l’Azerbaïdjan", "AZERBAÏDJAN|Azerbaïdjan", 1,
      "AZERBAÏDJAN et" },
    { "inflections match through stems",
      "Les relations économiques du Pakistan", 0, "relation economique",
      "Les relations économiques du Pakistan", "relations|économiques", 2,
      "relations" },
    { "no match: the start of the passage",
      "Un deux trois quatre cinq six sept.", 3, "pakistan",
      "Un deux trois …", "", 0, "Un deux" },
    { "a match in the middle: cut marks at both ends",
      "un deux trois quatre cinq Pakistan six sept huit neuf dix", 3,
      "pakistan", "… cinq Pakistan six …", "Pakistan", 1, "Pakistan six" },
    { "two distinct terms beat the same term twice",
      "Pakistan alpha Pakistan beta gamma delta epsilon zeta Bakou Pakistan "
      "omega",
      3, "pakistan bakou", "… Bakou Pakistan omega", "Bakou|Pakistan", 2,
      "Bakou Pakistan" },
    { "then more matches",
      "Pakistan a b c d e f Pakistan g Pakistan h", 4, "pakistan",
      "… Pakistan g Pakistan h", "Pakistan|Pakistan", 1, "Pakistan g" },
    { "then the tighter span",
      "Bakou x x x Pakistan y y y y y Bakou Pakistan z z z", 5,
      "pakistan bakou", "… y Bakou Pakistan z z …", "Bakou|Pakistan", 2,
      "Bakou Pakistan z" },
    { "then the earliest",
      "Bakou un deux trois quatre cinq six sept Bakou", 2, "bakou",
      "Bakou un …", "Bakou", 1, "Bakou un" },
    { "a match at the end of the passage: no cut mark after",
      "un deux trois quatre « Pakistan ».", 2, "pakistan",
      "… quatre « Pakistan ».", "Pakistan", 1, "Pakistan »." },
    { "attached punctuation on both sides of a one-word window",
      "Il a dit « Pakistan », puis rien.", 1, "pakistan",
      "… « Pakistan », …", "Pakistan", 1, "Pakistan" },
    { "French spaced punctuation after the last word",
      "un deux le Pakistan ? Oui", 1, "pakistan", "… Pakistan ? …",
      "Pakistan", 1, "Pakistan" },
    { "a percent sign after a number",
      "la hausse atteint 50 % cette année", 1, "50", "… 50 % …", "50", 1,
      "50 %" },
    { "no-break space before a guillemet",
      "le Pakistan\xc2\xa0» et puis", 1, "pakistan",
      "… Pakistan\xc2\xa0» …", "Pakistan", 1, "Pakistan" },
    { "an elided article before the first word",
      "un deux l’Azerbaïdjan trois", 1, "azerbaidjan", "… l’Azerbaïdjan …",
      "Azerbaïdjan", 1, "Azerbaïdjan" },
    { "a compound cut after its first part keeps no hyphen",
      "nous voulons le libre-échange total", 1, "libre", "… libre …",
      "libre", 1, "libre-" },
    { "a compound cut before its last part keeps no hyphen",
      "nous voulons le libre-échange total", 1, "échange", "… échange …",
      "échange", 1, "échange" },
    { "a long run of symbols between words is cut",
      "Bakou ============================================================ "
      "Pakistan",
      2, "bakou pakistan",
      "Bakou ================================… Pakistan", "Bakou|Pakistan", 2,
      "Bakou" },
    { "what stands before the passage's first word is kept",
      "\xc2\xa7 1 Les parties conviennent de coop\xc3\xa9rer.", 0,
      "cooperer", "\xc2\xa7 1 Les parties conviennent de coop\xc3\xa9rer.",
      "coop\xc3\xa9rer", 1, "coop\xc3\xa9rer" },
    { "a dash opening a passage is kept, no match",
      "\xe2\x80\x93 vu le rapport de la Commission;", 3, "pakistan",
      "\xe2\x80\x93 vu le rapport \xe2\x80\xa6", "", 0,
      "\xe2\x80\x93 vu le" },
    { "after the passage's last word, the rest of its line",
      "Il parle du Pakistan (1) ***\n```", 2, "pakistan",
      "\xe2\x80\xa6 Pakistan (1) ***", "Pakistan", 1, "Pakistan" },
    { "Markdown's list and quotation marks are not text",
      "> - Pakistan et Bakou", 0, "pakistan", "Pakistan et Bakou",
      "Pakistan", 1, "Pakistan" },
    { "nor a code fence on the line before",
      "```\nPakistan\n```", 0, "pakistan", "Pakistan", "Pakistan", 1,
      "Pakistan" },
    { "an empty passage", "", 0, "pakistan", "", "", 0, "" },
    { "a passage without words", "  \n*** — ***  \n", 0, "pakistan",
      "*** — ***", "", 0, "*** — ***" },
    { "invalid UTF-8 is copied, never a crash",
      "Pakistan \xff\xfe x\xe2\x82 Bakou", 0, "bakou",
      "Pakistan \xff\xfe x\xe2\x82 Bakou", "Bakou", 1, "Bakou" },
};

static void test_snippet_table(void **state)
{
    dp_analyzer *an = *state;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        dp_snippet sn = DP_SNIPPET_INIT;
        dp_buf hl = DP_BUF_INIT;
        dp_error err = DP_ERROR_INIT;
        const char *p = cases[i].passage;
        query q;
        int rc;

        query_init(&q, an, cases[i].query);
        rc = dp_snippet_make(&sn, an, p, strlen(p), cases[i].words,
                             query_match, &q, &err);
        join_highlights(&sn, &hl);
        if (rc != DP_OK || strcmp(dp_buf_cstr(&sn.text), cases[i].snippet) ||
            strcmp(dp_buf_cstr(&hl), cases[i].hl))
            print_error("case '%s': rc %d, [%s] [%s]\n", cases[i].what, rc,
                        dp_buf_cstr(&sn.text), dp_buf_cstr(&hl));
        assert_int_equal(rc, DP_OK);
        assert_string_equal(dp_buf_cstr(&sn.text), cases[i].snippet);
        assert_string_equal(dp_buf_cstr(&hl), cases[i].hl);
        assert_int_equal(sn.nmatched, cases[i].nmatched);
        assert_true(sn.first_match <= strlen(p));
        assert_true(strncmp(p + sn.first_match, cases[i].first,
                            strlen(cases[i].first)) == 0);
        assert_true(sn.win_start <= sn.first_match);
        assert_true(sn.win_start <= sn.win_end && sn.win_end <= strlen(p));
        /* With the filters (words that cannot match skipped, stems
         * computed only where they can), on an analyzer that has not
         * cached the passage's words: the same snippet. */
        {
            dp_snippet fs = DP_SNIPPET_INIT;
            dp_buf fhl = DP_BUF_INIT;
            dp_analyzer *fresh = NULL;
            dp_token_filter filter = { query_want, query_want, &q };

            assert_int_equal(dp_analyzer_new(&fresh, &err), DP_OK);
            assert_int_equal(dp_snippet_make_filtered(&fs, fresh, p,
                                                      strlen(p),
                                                      cases[i].words,
                                                      query_match, &q,
                                                      &filter, &err),
                             DP_OK);
            join_highlights(&fs, &fhl);
            assert_string_equal(dp_buf_cstr(&fs.text), cases[i].snippet);
            assert_string_equal(dp_buf_cstr(&fhl), cases[i].hl);
            assert_int_equal(fs.nmatched, sn.nmatched);
            assert_int_equal(fs.first_match, sn.first_match);
            dp_buf_release(&fhl);
            dp_snippet_release(&fs);
            dp_analyzer_free(fresh);
        }
        dp_buf_release(&hl);
        dp_snippet_release(&sn);
    }
}

/* ---- Generated passages. ---- */

/* A little deterministic generator (no global state). */
static uint32_t lcg(uint32_t *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return *seed >> 8;
}

/* Filler word number @p i: "mot" plus letters, never a query word. */
static void add_filler(dp_buf *b, size_t i)
{
    assert_int_equal(dp_buf_addf(b, "mot%c%c", 'a' + (int)(i / 26 % 26),
                                 'a' + (int)(i % 26)),
                     DP_OK);
}

/* Words in @p s (tokens of the analyzer), "…" marks aside. */
static int count_cb(const dp_token *tok, void *ctx)
{
    (void)tok;
    ++*(size_t *)ctx;
    return 0;
}

static size_t count_words(dp_analyzer *an, const dp_buf *s)
{
    size_t n = 0;

    assert_int_equal(dp_analyzer_run(an, dp_buf_cstr(s), s->len, 0, count_cb,
                                     &n, NULL),
                     DP_OK);
    return n;
}

/* Weighted terms: the window whose distinct terms weigh most wins, so a
 * rare word outweighs two common ones; equal weights are the unweighted
 * choice.  Weights are given per query word, in query order. */
typedef struct weighted_case {
    const char *what;
    const char *passage;
    size_t words;
    const char *query;
    uint64_t weight[MAX_TERMS];
    const char *snippet;
    const char *hl;
} weighted_case;

typedef struct weighted_query {
    query q;
    const uint64_t *weight;
} weighted_query;

static int weighted_match(const dp_token *tok, void *ctx)
{
    return query_match(tok, &((weighted_query *)ctx)->q);
}

static uint64_t weighted_weight(int id, void *ctx)
{
    return ((weighted_query *)ctx)->weight[id - 1];
}

static const weighted_case wcases[] = {
    { "unweighted: two common words beat one rare word",
      "Milosevic a b c d e f g tribunal pénal", 3,
      "milosevic tribunal pénal", { 1, 1, 1 }, "… g tribunal pénal",
      "tribunal|pénal" },
    { "a rare word beats two common ones",
      "Milosevic a b c d e f g tribunal pénal", 3,
      "milosevic tribunal pénal", { 5900, 2000, 2000 }, "Milosevic a b …",
      "Milosevic" },
    { "but not two that weigh more together",
      "Milosevic a b c d e f g tribunal pénal", 3,
      "milosevic tribunal pénal", { 3900, 2000, 2000 }, "… g tribunal pénal",
      "tribunal|pénal" },
    { "equal weights: then the most matches",
      "Bakou a b c d e Pakistan Pakistan x", 3, "bakou pakistan",
      { 3000, 3000 }, "… Pakistan Pakistan x", "Pakistan|Pakistan" },
    { "0 weighs 1, not nothing: as much as a word of weight 1",
      "Bakou a b c d e f Pakistan", 3, "bakou pakistan", { 0, 1 },
      "Bakou a b …", "Bakou" },
};

static void test_snippet_weighted(void **state)
{
    dp_analyzer *an = *state;

    for (size_t i = 0; i < sizeof wcases / sizeof *wcases; i++) {
        dp_snippet sn = DP_SNIPPET_INIT;
        dp_buf hl = DP_BUF_INIT;
        const char *p = wcases[i].passage;
        weighted_query wq;
        int rc;

        query_init(&wq.q, an, wcases[i].query);
        wq.weight = wcases[i].weight;
        rc = dp_snippet_make_weighted(&sn, an, p, strlen(p), wcases[i].words,
                                      weighted_match, weighted_weight, &wq,
                                      NULL, NULL);
        join_highlights(&sn, &hl);
        if (rc != DP_OK || strcmp(dp_buf_cstr(&sn.text), wcases[i].snippet) ||
            strcmp(dp_buf_cstr(&hl), wcases[i].hl))
            print_error("case '%s': rc %d, [%s] [%s]\n", wcases[i].what, rc,
                        dp_buf_cstr(&sn.text), dp_buf_cstr(&hl));
        assert_int_equal(rc, DP_OK);
        assert_string_equal(dp_buf_cstr(&sn.text), wcases[i].snippet);
        assert_string_equal(dp_buf_cstr(&hl), wcases[i].hl);
        dp_snippet_release(&sn);
        dp_buf_release(&hl);
    }
}

/* 100 words, the only match near the end: the window is the end of the
 * passage, cut before, not after. */
static void test_snippet_match_near_end(void **state)
{
    dp_analyzer *an = *state;
    dp_snippet sn = DP_SNIPPET_INIT;
    dp_buf p = DP_BUF_INIT;
    query q;
    size_t i;

    query_init(&q, an, "Pakistan");
    for (i = 0; i < 100; i++) {
        if (i > 0)
            assert_int_equal(dp_buf_addc(&p, ' '), DP_OK);
        if (i == 94)
            assert_int_equal(dp_buf_adds(&p, "Pakistan"), DP_OK);
        else
            add_filler(&p, i);
    }
    assert_int_equal(dp_buf_addc(&p, '.'), DP_OK);
    assert_int_equal(dp_snippet_make(&sn, an, p.data, p.len, 0, query_match,
                                     &q, NULL),
                     DP_OK);
    assert_true(strncmp(dp_buf_cstr(&sn.text), "… motcn ", 10) == 0);
    assert_non_null(strstr(dp_buf_cstr(&sn.text), " motdv."));
    assert_int_equal(strlen(strstr(dp_buf_cstr(&sn.text), " motdv.")), 7);
    assert_int_equal(count_words(an, &sn.text), DP_SNIPPET_DEFAULT_WORDS);
    assert_int_equal(sn.nhl, 1);
    assert_memory_equal(sn.text.data + sn.hl[0].start, "Pakistan", 8);
    assert_memory_equal(p.data + sn.first_match, "Pakistan", 8);
    assert_int_equal(sn.win_end, p.len);
    dp_buf_release(&p);
    dp_snippet_release(&sn);
}

/* max_words: 0 is the default, above DP_SNIPPET_MAX_WORDS is clamped. */
static void test_snippet_max_words(void **state)
{
    static const struct {
        size_t asked, words;
    } sizes[] = {
        { 0, DP_SNIPPET_DEFAULT_WORDS }, { 1, 1 },       { 7, 7 },
        { 1000, 1000 },                 { 1001, 1000 }, { 5000, 1000 },
        { SIZE_MAX, 1000 },
    };
    dp_analyzer *an = *state;
    dp_buf p = DP_BUF_INIT;
    size_t i;

    for (i = 0; i < 1500; i++) {
        add_filler(&p, i);
        assert_int_equal(dp_buf_adds(&p, i % 7 == 6 ? ".\n" : " "), DP_OK);
    }
    for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        dp_snippet sn = DP_SNIPPET_INIT;

        assert_int_equal(dp_snippet_make(&sn, an, p.data, p.len,
                                         sizes[i].asked, NULL, NULL, NULL),
                         DP_OK);
        assert_int_equal(count_words(an, &sn.text), sizes[i].words);
        assert_true(strncmp(dp_buf_cstr(&sn.text), "motaa", 5) == 0);
        assert_string_equal(sn.text.data + sn.text.len - 4, " …");
        assert_null(strchr(dp_buf_cstr(&sn.text), '\n'));
        assert_int_equal(sn.nhl, 0);
        assert_int_equal(sn.first_match, 0);
        dp_snippet_release(&sn);
    }
    dp_buf_release(&p);
}

/* Highlights stop at DP_SNIPPET_MAX_HIGHLIGHTS; the text does not. */
static void test_snippet_highlight_limit(void **state)
{
    dp_analyzer *an = *state;
    dp_snippet sn = DP_SNIPPET_INIT;
    dp_buf p = DP_BUF_INIT;
    query q;
    size_t i;

    query_init(&q, an, "bakou");
    for (i = 0; i < 400; i++)
        assert_int_equal(dp_buf_adds(&p, "Bakou "), DP_OK);
    assert_int_equal(dp_snippet_make(&sn, an, p.data, p.len, 1000,
                                     query_match, &q, NULL),
                     DP_OK);
    assert_int_equal(sn.nhl, DP_SNIPPET_MAX_HIGHLIGHTS);
    assert_int_equal(count_words(an, &sn.text), 400);
    assert_int_equal(sn.nmatched, 1);
    dp_snippet_release(&sn);
    dp_buf_release(&p);
}

/* ---- Against a plain quadratic reference, on random passages. ---- */

typedef struct ref_tok {
    size_t start, end;
    int id;
} ref_tok;

typedef struct ref_toks {
    ref_tok *t;
    size_t n, cap;
    const query *q;
} ref_toks;

static int ref_collect(const dp_token *tok, void *ctx)
{
    ref_toks *r = ctx;

    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->t = realloc(r->t, r->cap * sizeof *r->t);
        assert_non_null(r->t);
    }
    r->t[r->n].start = tok->start;
    r->t[r->n].end = tok->end;
    r->t[r->n].id = query_match(tok, (void *)r->q);
    r->n++;
    return 0;
}

static void check_against_reference(dp_analyzer *an, const dp_buf *p,
                                    const query *q, size_t w)
{
    ref_toks r = { NULL, 0, 0, q };
    dp_snippet sn = DP_SNIPPET_INIT;
    size_t s, i, best_s = 0, last_s;
    unsigned best_d = 0, best_m = 0;
    size_t best_span = 0, best_first = 0;
    bool have = false;

    assert_int_equal(dp_analyzer_run(an, p->data, p->len, 0, ref_collect, &r,
                                      NULL),
                     DP_OK);
    last_s = r.n > w ? r.n - w : 0;
    for (s = 0; s <= last_s && r.n > 0; s++) {
        unsigned d = 0, m = 0;
        bool seen[MAX_TERMS + 1] = { false };
        size_t first = SIZE_MAX, last = 0, span;

        for (i = s; i < s + w && i < r.n; i++) {
            if (r.t[i].id == 0)
                continue;
            m++;
            if (!seen[r.t[i].id])
                d++;
            seen[r.t[i].id] = true;
            if (first == SIZE_MAX)
                first = i;
            last = i;
        }
        span = m ? last - first : 0;
        if (!have || d > best_d ||
            (d == best_d &&
             (m > best_m || (m == best_m && span < best_span)))) {
            have = true;
            best_s = s;
            best_d = d;
            best_m = m;
            best_span = span;
            best_first = first;
        }
    }
    assert_int_equal(dp_snippet_make(&sn, an, p->data, p->len, w,
                                     query_match, (void *)q, NULL),
                     DP_OK);
    assert_int_equal(sn.nmatched, best_d);
    assert_int_equal(sn.nhl, best_m);
    assert_int_equal(count_words(an, &sn.text), r.n < w ? r.n : w);
    if (best_m > 0) {
        assert_int_equal(sn.first_match, r.t[best_first].start);
        /* The highlights are exactly the matches of the best window. */
        for (i = 0, s = best_first; i < sn.nhl; s++) {
            if (r.t[s].id == 0)
                continue;
            assert_int_equal(sn.hl[i].end - sn.hl[i].start,
                             r.t[s].end - r.t[s].start);
            assert_memory_equal(sn.text.data + sn.hl[i].start,
                                p->data + r.t[s].start,
                                r.t[s].end - r.t[s].start);
            i++;
        }
    } else {
        /* No match: the start of the passage, no cut mark before. */
        assert_int_equal(best_s, 0);
        assert_true(r.n == 0 || sn.win_start <= r.t[0].start);
        assert_true(strncmp(dp_buf_cstr(&sn.text), "…", 3) != 0);
    }
    free(r.t);
    dp_snippet_release(&sn);
}

static void test_snippet_against_reference(void **state)
{
    static const char *const words[] = { "Pakistan", "Bakou", "Islamabad",
                                         "accord", "gaz", "route", "port",
                                         "train", "l’énergie" };
    static const char *const seps[] = { " ", " ", " ", "\n", ", ", " — ",
                                        ". ", " « ", " » " };
    dp_analyzer *an = *state;
    dp_buf p = DP_BUF_INIT;
    uint32_t seed = 20240611;
    query q;
    int round;
    size_t n, i, w;

    query_init(&q, an, "pakistan bakou islamabad");
    for (round = 0; round < 300; round++) {
        dp_buf_reset(&p);
        n = round < 250 ? lcg(&seed) % 120 : 500 + lcg(&seed) % 3000;
        w = round < 250 ? 1 + lcg(&seed) % 20 : 1 + lcg(&seed) % 200;
        for (i = 0; i < n; i++) {
            uint32_t r = lcg(&seed) % 100;
            const char *word = r < 3   ? words[0]
                               : r < 5 ? words[1]
                               : r < 6 ? words[2]
                                       : words[3 + r % 6];

            if (round >= 250 && r >= 6)
                add_filler(&p, lcg(&seed)); /* sparser matches */
            else
                assert_int_equal(dp_buf_adds(&p, word), DP_OK);
            assert_int_equal(dp_buf_adds(&p, seps[lcg(&seed) % 9]), DP_OK);
        }
        check_against_reference(an, &p, &q, w);
    }
    dp_buf_release(&p);
}

/* A 4 MB single-line passage: linear time, bounded memory, and the one
 * window holding both terms wins over many windows holding one. */
static void test_snippet_huge_passage(void **state)
{
    dp_analyzer *an = *state;
    dp_snippet sn = DP_SNIPPET_INIT;
    dp_buf p = DP_BUF_INIT;
    query q;
    size_t i;

    query_init(&q, an, "pakistan bakou");
    for (i = 0; p.len < ((size_t)4 << 20); i++) {
        if (i % 5000 == 17)
            assert_int_equal(dp_buf_adds(&p, "Pakistan "), DP_OK);
        if (i == 600000)
            assert_int_equal(dp_buf_adds(&p, "Bakou et Pakistan "), DP_OK);
        add_filler(&p, i);
        assert_int_equal(dp_buf_addc(&p, ' '), DP_OK);
    }
    assert_true(i > 600000);
    assert_int_equal(dp_snippet_make(&sn, an, p.data, p.len, 10, query_match,
                                     &q, NULL),
                     DP_OK);
    assert_int_equal(sn.nmatched, 2);
    assert_non_null(strstr(dp_buf_cstr(&sn.text), "Bakou et Pakistan"));
    assert_memory_equal(p.data + sn.first_match, "Bakou et", 8);
    assert_int_equal(count_words(an, &sn.text), 10);
    dp_snippet_release(&sn);
    dp_buf_release(&p);
}

/* A snippet can be made again into the same dp_snippet; release takes
 * NULL; bad arguments are refused. */
static void test_snippet_reuse_and_errors(void **state)
{
    dp_analyzer *an = *state;
    dp_snippet sn = DP_SNIPPET_INIT;
    dp_error err = DP_ERROR_INIT;
    query q;

    query_init(&q, an, "bakou");
    assert_int_equal(dp_snippet_make(&sn, an, "a Bakou b", 9, 0, query_match,
                                     &q, NULL),
                     DP_OK);
    assert_int_equal(sn.nhl, 1);
    assert_int_equal(dp_snippet_make(&sn, an, "rien ici", 8, 0, query_match,
                                     &q, NULL),
                     DP_OK);
    assert_string_equal(dp_buf_cstr(&sn.text), "rien ici");
    assert_int_equal(sn.nhl, 0);
    assert_int_equal(sn.nmatched, 0);
    assert_int_equal(dp_snippet_make(NULL, an, "x", 1, 0, NULL, NULL, &err),
                     DP_EINVAL);
    assert_int_equal(err.code, DP_EINVAL);
    assert_int_equal(dp_snippet_make(&sn, NULL, "x", 1, 0, NULL, NULL, NULL),
                     DP_EINVAL);
    assert_int_equal(dp_snippet_make(&sn, an, NULL, 1, 0, NULL, NULL, NULL),
                     DP_EINVAL);
    assert_int_equal(dp_snippet_make(&sn, an, NULL, 0, 0, NULL, NULL, NULL),
                     DP_OK);
    assert_string_equal(dp_buf_cstr(&sn.text), "");
    /* The caller's limit on the text buffer is respected. */
    sn.text.limit = 4;
    assert_int_equal(dp_snippet_make(&sn, an, "a Bakou b", 9, 0, query_match,
                                     &q, &err),
                     DP_ELIMIT);
    assert_int_equal(sn.text.len, 0);
    assert_int_equal(sn.nhl, 0);
    dp_snippet_release(&sn);
    dp_snippet_release(&sn);
    dp_snippet_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snippet_table),
        cmocka_unit_test(test_snippet_weighted),
        cmocka_unit_test(test_snippet_match_near_end),
        cmocka_unit_test(test_snippet_max_words),
        cmocka_unit_test(test_snippet_highlight_limit),
        cmocka_unit_test(test_snippet_against_reference),
        cmocka_unit_test(test_snippet_huge_passage),
        cmocka_unit_test(test_snippet_reuse_and_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
