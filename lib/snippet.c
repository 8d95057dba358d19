/* snippet.c -- pick and highlight the best window of a passage. */
#include "depeche/snippet.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * How it works.  The passage is analysed once.  Its tokens stream through
 * a ring holding the last 2W + 2 of them (W = the window in words), and a
 * sliding window of W tokens keeps the number of distinct query terms
 * (a small hash table of counts), the number of matches and its first and
 * last match.  Each window is scored as it completes; the best one is
 * copied out of the ring before the ring would overwrite it.  So time is
 * linear in the passage and memory is bounded by W, whatever the passage
 * size (a 50 MB single-line file is one passage).
 *
 * The best window found keeps its matches but is then centred on them:
 * among the windows holding the same matches (all score the same) the one
 * with as much context before as after reads best.  No such window can
 * hold another match, or it would have scored better.
 */

/* Non-space characters kept in one run of non-word text between two
 * words ("—", "« ", "), "); a longer run (a line of "=====") is cut. */
#define SNIP_GAP_CHARS 32
/* Punctuation attached to the first or last word of the window ("l’",
 * "« ", "»." ...) is kept up to this many bytes. */
#define SNIP_ATTACH_BYTES 16
/* The snippet of a passage without a single word (only punctuation). */
#define SNIP_NOWORD_BYTES 200
/* Distinct ids counted in a window: a power of two, at least twice
 * DP_SNIPPET_MAX_WORDS, so that open addressing stays short. */
#define SNIP_ID_SLOTS 2048u
#define SNIP_ID_SHIFT 21 /* 32 - log2(SNIP_ID_SLOTS) */

#define SNIP_NONE SIZE_MAX

static const char ellipsis[] = "…";

typedef struct snip_tok {
    size_t start, end; /* bytes in the passage */
    int id;            /* query term matched, 0 for none */
} snip_tok;

typedef struct snip_id {
    int id;         /* 0: empty slot */
    unsigned count; /* matches of id in the window */
    uint64_t weight; /* of id */
} snip_id;

typedef struct snip_state {
    size_t w;              /* window size, tokens */
    size_t r;              /* ring capacity, 2w + 2 */
    snip_tok *ring;        /* token k is ring[k % r] */
    size_t n;              /* tokens seen so far */
    dp_match_fn match;
    dp_weight_fn weight;   /* NULL: every id weighs 1 */
    void *match_ctx;
    /* The current window, tokens [n - w, n) (or [0, n) while n < w). */
    snip_id ids[SNIP_ID_SLOTS];
    unsigned distinct;     /* distinct ids in the window */
    uint64_t weight_sum;   /* of the distinct ids in the window */
    unsigned matches;      /* matched tokens in the window */
    size_t first_m;        /* token index of its first match, or NONE */
    size_t last_m;         /* token index of its last match */
    /* The best window so far. */
    bool have_best;
    uint64_t b_weight;
    unsigned b_distinct, b_matches;
    size_t b_span;         /* last match - first match, tokens */
    size_t fs;             /* first token of the centred window */
    bool frozen;           /* chosen[] holds the best window's tokens */
    /* The best window, copied out of the ring. */
    snip_tok *chosen;      /* w entries */
    size_t nchosen;
    size_t c_prev_end;     /* end of the token before it, 0 if none */
    size_t c_next_start;   /* start of the token after it, len if none */
    bool c_has_prev, c_has_next;
} snip_state;

/* ---- Counting distinct ids: open addressing, backward-shift delete. ---- */

static size_t ids_home(int id)
{
    return ((uint32_t)id * 2654435761u) >> SNIP_ID_SHIFT;
}

static size_t ids_find(const snip_state *st, int id)
{
    size_t i = ids_home(id);

    while (st->ids[i].id != 0 && st->ids[i].id != id)
        i = (i + 1) & (SNIP_ID_SLOTS - 1);
    return i;
}

static void ids_inc(snip_state *st, int id)
{
    size_t i = ids_find(st, id);

    if (st->ids[i].id == 0) {
        uint64_t w = st->weight ? st->weight(id, st->match_ctx) : 1;
        st->ids[i].id = id;
        st->ids[i].count = 0;
        st->ids[i].weight = w > 0 ? w : 1;
        st->distinct++;
        st->weight_sum += st->ids[i].weight;
    }
    st->ids[i].count++;
}

static void ids_dec(snip_state *st, int id)
{
    size_t i = ids_find(st, id), j = i, home;

    if (st->ids[i].id == 0 || --st->ids[i].count > 0)
        return;
    st->distinct--;
    st->weight_sum -= st->ids[i].weight;
    /* Move back each later entry of the cluster whose home slot does not
     * lie cyclically in (i, j], so that no lookup stops at the hole. */
    for (;;) {
        j = (j + 1) & (SNIP_ID_SLOTS - 1);
        if (st->ids[j].id == 0)
            break;
        home = ids_home(st->ids[j].id);
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        st->ids[i] = st->ids[j];
        i = j;
    }
    st->ids[i].id = 0;
    st->ids[i].count = 0;
    st->ids[i].weight = 0;
}

/* ---- The sliding window. ---- */

static const snip_tok *ring_at(const snip_state *st, size_t k)
{
    return &st->ring[k % st->r];
}

/* Copy tokens [fs, fe] out of the ring; @p seen tokens have been seen. */
static void snip_freeze(snip_state *st, size_t fs, size_t fe, size_t seen)
{
    size_t k;

    for (k = fs; k <= fe; k++)
        st->chosen[k - fs] = *ring_at(st, k);
    st->nchosen = fe - fs + 1;
    st->c_has_prev = fs > 0;
    st->c_prev_end = fs > 0 ? ring_at(st, fs - 1)->end : 0;
    st->c_has_next = fe + 1 < seen;
    st->c_next_start = st->c_has_next ? ring_at(st, fe + 1)->start : 0;
    st->frozen = true;
}

/* Score the current window, which starts at token @p s. */
static void snip_consider(snip_state *st, size_t s)
{
    size_t span = st->matches ? st->last_m - st->first_m : 0, slack;
    bool better = !st->have_best || st->weight_sum > st->b_weight ||
                  (st->weight_sum == st->b_weight &&
                   (st->matches > st->b_matches ||
                    (st->matches == st->b_matches && span < st->b_span)));

    if (!better)
        return;
    st->have_best = true;
    st->b_weight = st->weight_sum;
    st->b_distinct = st->distinct;
    st->b_matches = st->matches;
    st->b_span = span;
    st->frozen = false;
    st->fs = s;
    if (st->matches == 0)
        return;
    slack = st->w - (span + 1);
    st->fs = st->first_m >= slack / 2 ? st->first_m - slack / 2 : 0;
    if (st->fs < s)
        st->fs = s;
}

static void snip_push(snip_state *st, const snip_tok *tok)
{
    size_t k = st->n, j, i, keep;

    /* Slot k % r is about to be overwritten: copy the best window out
     * first if that slot holds the token before it (whose end the
     * snippet needs).  By then the ring still holds all of the window
     * and the token after it. */
    keep = st->fs > 0 ? st->fs - 1 : 0;
    if (st->have_best && !st->frozen && k >= st->r && k - st->r >= keep)
        snip_freeze(st, st->fs, st->fs + st->w - 1, k);
    if (k >= st->w) {
        j = k - st->w; /* leaves the window */
        if (ring_at(st, j)->id > 0) {
            ids_dec(st, ring_at(st, j)->id);
            st->matches--;
            if (j == st->first_m) {
                st->first_m = SNIP_NONE;
                for (i = j + 1; i < k; i++) {
                    if (ring_at(st, i)->id > 0) {
                        st->first_m = i;
                        break;
                    }
                }
                if (st->first_m == SNIP_NONE)
                    st->last_m = SNIP_NONE;
            }
        }
    }
    st->ring[k % st->r] = *tok;
    st->n = k + 1;
    if (tok->id > 0) {
        ids_inc(st, tok->id);
        st->matches++;
        if (st->first_m == SNIP_NONE)
            st->first_m = k;
        st->last_m = k;
    }
    if (st->n >= st->w)
        snip_consider(st, st->n - st->w);
}

static int snip_on_token(const dp_token *tok, void *ctx)
{
    snip_state *st = ctx;
    snip_tok t;
    int id = st->match ? st->match(tok, st->match_ctx) : 0;

    t.start = tok->start;
    t.end = tok->end;
    t.id = id > 0 ? id : 0;
    snip_push(st, &t);
    return 0;
}

/* ---- Building the text. ---- */

/* @return the length of the white-space character at @p i, else 0.
 * Line and paragraph separators count: hard-wrapped lines are joined. */
static size_t ws_at(const unsigned char *s, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    switch (s[i]) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
        return 1;
    case 0xC2: /* U+0085 NEL */
        return i + 1 < len && s[i + 1] == 0x85 ? 2 : 0;
    case 0xE2: /* U+2028, U+2029 */
        return i + 2 < len && s[i + 1] == 0x80 &&
                       (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)
                   ? 3
                   : 0;
    default:
        return 0;
    }
}

/* The length of the white space character that ends at byte @p p, or
 * 0. */
static size_t ws_len_before(const unsigned char *s, size_t len, size_t p)
{
    for (size_t n = 1; n <= 3; n++)
        if (p >= n && ws_at(s, len, p - n) == n)
            return n;
    return 0;
}

/* @return true if a white-space character ends at byte @p p. */
static bool ws_before(const unsigned char *s, size_t len, size_t p)
{
    return ws_len_before(s, len, p) > 0;
}

/* @return the length of the character at @p i, before @p to: its lead
 * byte and the continuation bytes that follow (bad bytes count one by
 * one, so a space after a stray lead byte is still seen as a space). */
static size_t char_len(const unsigned char *s, size_t i, size_t to)
{
    unsigned char b = s[i];
    size_t n = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b <= 0xEF ? 3
               : b >= 0xC2 && b <= 0xDF ? 2 : 1, j;

    for (j = 1; j < n; j++) {
        if (i + j >= to || (s[i + j] & 0xC0) != 0x80)
            break;
    }
    return j;
}

/* French puts a space before these; a snippet ending before "Pakistan »"
 * or "lequel ?" keeps them. */
static size_t spaced_punct_at(const unsigned char *s, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    switch (s[i]) {
    case ';': case ':': case '!': case '?': case '%':
        return 1;
    case 0xC2: /* » */
        return i + 1 < len && s[i + 1] == 0xBB ? 2 : 0;
    case 0xE2: /* › ‰ */
        return i + 2 < len && s[i + 1] == 0x80 &&
                       (s[i + 2] == 0xBA || s[i + 2] == 0xB0)
                   ? 3
                   : 0;
    default:
        return 0;
    }
}

/* @return the length of an opening guillemet ending at byte @p p, else 0
 * (French puts a space after « and ‹). */
static size_t open_quote_before(const unsigned char *s, size_t p)
{
    if (p >= 2 && s[p - 2] == 0xC2 && s[p - 1] == 0xAB)
        return 2;
    if (p >= 3 && s[p - 3] == 0xE2 && s[p - 2] == 0x80 && s[p - 1] == 0xB9)
        return 3;
    return 0;
}

/* Start of the snippet: the first word, with what is attached before it
 * (an elided article, a parenthesis) back to white space or the passage
 * start, then a spaced opening guillemet ("« "); not text glued to the
 * previous word. */
static size_t attach_before(const unsigned char *s, size_t len, size_t start,
                            size_t floor)
{
    size_t p = start, n;

    while (p > floor && start - p < SNIP_ATTACH_BYTES && !ws_before(s, len, p))
        p--;
    if (!(p == 0 || ws_before(s, len, p)))
        p = start;
    if (p >= 1 && p - 1 > floor && s[p - 1] == ' ' &&
        (n = open_quote_before(s, p - 1)) > 0 && p - 1 - n >= floor &&
        (p - 1 - n == 0 || ws_before(s, len, p - 1 - n)))
        p = p - 1 - n;
    return p;
}

/* End of the snippet: the last word with the punctuation attached after
 * it ("»." ",") up to white space or the passage end, then French spaced
 * punctuation (" ;", " »."); not text glued to the next word. */
static size_t attach_after(const unsigned char *s, size_t len, size_t end,
                           size_t ceil)
{
    size_t q = end, t, r, round;

    while (q < ceil && q - end < SNIP_ATTACH_BYTES && ws_at(s, len, q) == 0)
        q++;
    if (!(q == len || ws_at(s, len, q) > 0))
        q = end;
    for (round = 0; round < 2; round++) {
        if (q >= len || s[q] != ' ')
            break;
        r = q + 1;
        if (r >= ceil || spaced_punct_at(s, len, r) == 0)
            break;
        t = r;
        while (t < ceil && t - r < SNIP_ATTACH_BYTES && ws_at(s, len, t) == 0)
            t++;
        if (!(t == len || ws_at(s, len, t) > 0))
            break;
        q = t;
    }
    return q;
}

/*
 * Append the non-word text [from, to) of the passage: each run of white
 * space becomes one space, and at most SNIP_GAP_CHARS other characters
 * are kept, the rest cut with "…".
 */
static int copy_gap(dp_buf *b, const unsigned char *s, size_t len,
                    size_t from, size_t to)
{
    size_t i = from, n, kept = 0;
    int rc = DP_OK;

    while (i < to) {
        n = ws_at(s, len, i);
        if (n > 0) {
            while (i < to && (n = ws_at(s, len, i)) > 0)
                i += n;
            rc = dp_buf_addc(b, ' ');
            if (rc < 0)
                goto done;
            continue;
        }
        if (kept == SNIP_GAP_CHARS) {
            rc = dp_buf_adds(b, ellipsis);
            if (rc < 0)
                goto done;
            if (ws_before(s, len, to))
                rc = dp_buf_addc(b, ' ');
            goto done;
        }
        n = char_len(s, i, to);
        rc = dp_buf_add(b, s + i, n);
        if (rc < 0)
            goto done;
        kept++;
        i += n;
    }
done:
    return rc;
}

static int add_highlight(dp_snippet *out, size_t start, size_t end)
{
    dp_span *p = NULL;
    size_t cap;
    int rc = DP_OK;

    if (out->nhl == DP_SNIPPET_MAX_HIGHLIGHTS)
        goto done;
    if (out->nhl == out->hl_cap) {
        cap = out->hl_cap ? 2 * out->hl_cap : 16;
        if (cap > DP_SNIPPET_MAX_HIGHLIGHTS)
            cap = DP_SNIPPET_MAX_HIGHLIGHTS;
        p = realloc(out->hl, cap * sizeof *p);
        if (p == NULL) {
            rc = DP_ENOMEM;
            goto done;
        }
        out->hl = p;
        out->hl_cap = cap;
    }
    out->hl[out->nhl].start = start;
    out->hl[out->nhl].end = end;
    out->nhl++;
done:
    return rc;
}

/* Start of a window that holds the passage's first word, at @p word:
 * what stands before that word on its line is text ("§ 1 Les parties",
 * "– vu le rapport", "« Nous"), but for Markdown's marks of a list item
 * or a quotation ("- ", "* ", "+ ", "> "); a line before it without a
 * word (a code fence) is not.  copy_gap() keeps at most SNIP_GAP_CHARS
 * of the run and marks the cut. */
static size_t lead_start(const unsigned char *s, size_t len, size_t word)
{
    size_t p = word, n;

    while (p > 0 && s[p - 1] != '\n' && s[p - 1] != '\r')
        p--;
    for (;;) {
        while (p < word && (n = ws_at(s, len, p)) > 0)
            p += n;
        if (p + 1 < word && (s[p] == '-' || s[p] == '*' || s[p] == '+' ||
                             s[p] == '>') &&
            ws_at(s, len, p + 1) > 0)
            p++;
        else
            return p;
    }
}

/* End of a window that holds the passage's last word, which ends at
 * @p word: the rest of that word's line, white space aside. */
static size_t tail_end(const unsigned char *s, size_t len, size_t word)
{
    size_t q = word, n;

    while (q < len && s[q] != '\n' && s[q] != '\r')
        q++;
    while (q > word && (n = ws_len_before(s, len, q)) > 0)
        q -= n;
    return q;
}

/* Build the snippet of the chosen window. */
static int snip_build(dp_snippet *out, const snip_state *st,
                      const unsigned char *s, size_t len)
{
    const snip_tok *first = &st->chosen[0];
    const snip_tok *last = &st->chosen[st->nchosen - 1];
    size_t start, end, i, hs;
    bool have_match = false;
    int rc = DP_OK;

    start = st->c_has_prev ? attach_before(s, len, first->start,
                                           st->c_prev_end)
                           : lead_start(s, len, first->start);
    end = st->c_has_next ? attach_after(s, len, last->end, st->c_next_start)
                         : tail_end(s, len, last->end);
    out->win_start = start;
    out->win_end = end;
    out->first_match = start;
    out->nmatched = st->b_distinct;
    if (st->c_has_prev) {
        rc = dp_buf_adds(&out->text, ellipsis);
        if (rc < 0)
            goto done;
        rc = dp_buf_addc(&out->text, ' ');
        if (rc < 0)
            goto done;
    }
    rc = copy_gap(&out->text, s, len, start, first->start);
    if (rc < 0)
        goto done;
    for (i = 0; i < st->nchosen; i++) {
        const snip_tok *t = &st->chosen[i];

        if (i > 0) {
            rc = copy_gap(&out->text, s, len, st->chosen[i - 1].end,
                          t->start);
            if (rc < 0)
                goto done;
        }
        hs = out->text.len;
        rc = dp_buf_add(&out->text, s + t->start, t->end - t->start);
        if (rc < 0)
            goto done;
        if (t->id > 0) {
            if (!have_match)
                out->first_match = t->start;
            have_match = true;
            rc = add_highlight(out, hs, out->text.len);
            if (rc < 0)
                goto done;
        }
    }
    rc = copy_gap(&out->text, s, len, last->end, end);
    if (rc < 0)
        goto done;
    if (st->c_has_next) {
        rc = dp_buf_addc(&out->text, ' ');
        if (rc < 0)
            goto done;
        rc = dp_buf_adds(&out->text, ellipsis);
    }
done:
    return rc;
}

/* A passage without a word: its start, white space collapsed. */
static int snip_build_noword(dp_snippet *out, const unsigned char *s,
                             size_t len)
{
    size_t start = 0, end, n;
    int rc = DP_OK;

    while (start < len && (n = ws_at(s, len, start)) > 0)
        start += n;
    end = len - start > SNIP_NOWORD_BYTES ? start + SNIP_NOWORD_BYTES : len;
    while (end < len && end > start && (s[end] & 0xC0) == 0x80)
        end--; /* not inside a character */
    while (end > start && ws_before(s, len, end))
        end -= ws_at(s, len, end - 1) == 1 ? 1
               : ws_at(s, len, end - 2) == 2 ? 2 : 3;
    out->win_start = out->first_match = start;
    out->win_end = end;
    rc = copy_gap(&out->text, s, len, start, end);
    if (rc < 0)
        goto done;
    for (n = end; n < len && ws_at(s, len, n) > 0;)
        n += ws_at(s, len, n);
    if (n < len) {
        rc = dp_buf_addc(&out->text, ' ');
        if (rc < 0)
            goto done;
        rc = dp_buf_adds(&out->text, ellipsis);
    }
done:
    return rc;
}

int dp_snippet_make(dp_snippet *out, dp_analyzer *an, const char *text,
                    size_t len, size_t max_words, dp_match_fn match,
                    void *match_ctx, dp_error *err)
{
    return dp_snippet_make_filtered(out, an, text, len, max_words, match,
                                    match_ctx, NULL, err);
}

int dp_snippet_make_filtered(dp_snippet *out, dp_analyzer *an,
                             const char *text, size_t len, size_t max_words,
                             dp_match_fn match, void *match_ctx,
                             const dp_token_filter *filter, dp_error *err)
{
    return dp_snippet_make_weighted(out, an, text, len, max_words, match,
                                    NULL, match_ctx, filter, err);
}

int dp_snippet_make_weighted(dp_snippet *out, dp_analyzer *an,
                             const char *text, size_t len, size_t max_words,
                             dp_match_fn match, dp_weight_fn weight,
                             void *match_ctx, const dp_token_filter *filter,
                             dp_error *err)
{
    const unsigned char *s = (const unsigned char *)text;
    snip_state *st = NULL;
    size_t fe;
    int rc = DP_OK;

    if (out == NULL || an == NULL || (text == NULL && len > 0)) {
        rc = dp_error_set(err, DP_EINVAL, "snippet: invalid argument");
        goto done;
    }
    dp_buf_reset(&out->text);
    out->nhl = 0;
    out->first_match = out->win_start = out->win_end = 0;
    out->nmatched = 0;
    if (max_words == 0)
        max_words = DP_SNIPPET_DEFAULT_WORDS;
    if (max_words > DP_SNIPPET_MAX_WORDS)
        max_words = DP_SNIPPET_MAX_WORDS;

    st = calloc(1, sizeof *st);
    if (st != NULL) {
        st->w = max_words;
        st->r = 2 * max_words + 2;
        st->ring = malloc(st->r * sizeof *st->ring);
        st->chosen = malloc(st->w * sizeof *st->chosen);
    }
    if (st == NULL || st->ring == NULL || st->chosen == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "snippet: out of memory");
        goto done;
    }
    st->match = match;
    st->weight = weight;
    st->match_ctx = match_ctx;
    st->first_m = st->last_m = SNIP_NONE;

    rc = dp_analyzer_run_filtered(an, len ? text : "", len, 0, filter,
                                  snip_on_token, st, err);
    if (rc < 0)
        goto done;
    rc = DP_OK;
    if (st->n == 0) {
        rc = snip_build_noword(out, s, len);
    } else {
        if (st->n < st->w) {
            snip_consider(st, 0); /* the only window: all the tokens */
            st->fs = 0;
            fe = st->n - 1;
        } else {
            fe = st->fs + st->w - 1;
            if (fe > st->n - 1) { /* centred past the end: back off */
                fe = st->n - 1;
                st->fs = st->n - st->w;
            }
        }
        if (!st->frozen)
            snip_freeze(st, st->fs, fe, st->n);
        rc = snip_build(out, st, s, len);
    }
    if (rc < 0)
        dp_error_set(err, rc, "snippet: %s", dp_status_str(rc));
done:
    if (rc < 0 && out != NULL) {
        dp_buf_reset(&out->text);
        out->nhl = 0;
    }
    if (st != NULL) {
        free(st->ring);
        free(st->chosen);
    }
    free(st);
    return rc;
}

void dp_snippet_release(dp_snippet *s)
{
    if (s == NULL)
        return;
    dp_buf_release(&s->text);
    free(s->hl);
    s->hl = NULL;
    s->nhl = 0;
    s->hl_cap = 0;
    s->first_match = s->win_start = s->win_end = 0;
    s->nmatched = 0;
}
