/* test_analyzer.c -- French analysis: SPEC §4, offsets, positions, helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "depeche/analyzer.h"
#include "../lib/fold_rules.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TOKS 64
#define JOINED_MAX 1024

typedef struct tok_rec {
    char head[16];          /* a skipped token: the head it was judged by */
    char norm[DP_MAX_TERM_BYTES + 1];
    char stem[DP_MAX_TERM_BYTES + 1];
    char alt[DP_MAX_TERM_BYTES + 1];
    size_t start, end;
    uint32_t pos;
    unsigned flags;
} tok_rec;

typedef struct collect {
    tok_rec toks[MAX_TOKS]; /* the first MAX_TOKS tokens */
    size_t n;               /* tokens seen (may exceed MAX_TOKS) */
    size_t stop_at;         /* return stop_rc on this call (1-based) */
    char head[16];          /* the last head a may_matter filter saw */
    int stop_rc;
    char joined[JOINED_MAX]; /* norms joined with ' ' */
} collect;

static int collect_cb(const dp_token *t, void *ctx)
{
    collect *c = ctx;
    tok_rec *r;

    assert_non_null(t->norm);
    assert_non_null(t->stem);
    if (t->flags & DP_TOK_SKIPPED)
        assert_true(t->norm_len == 0 && (t->flags & DP_TOK_UNSTEMMED));
    else
        assert_true(t->norm_len > 0 && t->norm_len <= DP_MAX_TERM_BYTES);
    assert_true(t->stem_len <= DP_MAX_TERM_BYTES);
    assert_non_null(t->alt);
    assert_true(t->alt_len <= DP_MAX_TERM_BYTES);
    /* alt is empty or another stem than stem (both empty: unstemmed) */
    if (t->flags & DP_TOK_UNSTEMMED)
        assert_true(t->stem_len == 0 && t->alt_len == 0);
    else
        assert_false(t->alt_len == t->stem_len &&
                     memcmp(t->alt, t->stem, t->stem_len) == 0);
    assert_true(t->start < t->end);
    if (c->n < MAX_TOKS) {
        r = &c->toks[c->n];
        memcpy(r->norm, t->norm, t->norm_len);
        r->norm[t->norm_len] = '\0';
        if (t->flags & DP_TOK_SKIPPED)
            memcpy(r->head, c->head, sizeof r->head);
        memcpy(r->stem, t->stem, t->stem_len);
        r->stem[t->stem_len] = '\0';
        memcpy(r->alt, t->alt, t->alt_len);
        r->alt[t->alt_len] = '\0';
        r->start = t->start;
        r->end = t->end;
        r->pos = t->pos;
        r->flags = t->flags;
    }
    c->n++;
    if (c->stop_at != 0 && c->n == c->stop_at)
        return c->stop_rc;
    return 0;
}

/* Analyse @p len bytes into a fresh collect (freed by the caller). */
static collect *run_len(dp_analyzer *an, const char *text, size_t len,
                        uint32_t first_pos)
{
    collect *c = calloc(1, sizeof *c);
    dp_error err = DP_ERROR_INIT;
    size_t i, o = 0;

    assert_non_null(c);
    assert_int_equal(dp_analyzer_run(an, text, len, first_pos, collect_cb, c,
                                     &err),
                     DP_OK);
    for (i = 0; i < c->n && i < MAX_TOKS; i++) {
        size_t l = strlen(c->toks[i].norm);

        assert_true(o + l + 2 < JOINED_MAX);
        if (i > 0)
            c->joined[o++] = ' ';
        memcpy(c->joined + o, c->toks[i].norm, l);
        o += l;
    }
    c->joined[o] = '\0';
    return c;
}

static collect *run(dp_analyzer *an, const char *text)
{
    return run_len(an, text, strlen(text), 0);
}

static int setup(void **state)
{
    dp_analyzer *an = NULL;
    dp_error err = DP_ERROR_INIT;

    if (dp_analyzer_new(&an, &err) != DP_OK) {
        fprintf(stderr, "dp_analyzer_new: %s\n", err.msg);
        return -1;
    }
    *state = an;
    return 0;
}

static int teardown(void **state)
{
    dp_analyzer_free(*state);
    return 0;
}

/* ---- SPEC §4 rows ------------------------------------------------------ */

/* `l'Azerbaïdjan`, `l’Azerbaïdjan`, `L'AZERBAÏDJAN`: one word, the article
 * outside the offsets. */
static void test_analyzer_elided_article(void **state)
{
    static const struct {
        const char *in;
        size_t start, end;
    } cases[] = {
        { "l'Azerbaïdjan", 2, 14 },
        { "l\xe2\x80\x99" "Azerbaïdjan", 4, 16 }, /* U+2019 */
        { "L'AZERBAÏDJAN", 2, 14 },
        { "l\xca\xbc" "Azerbaïdjan", 3, 15 },     /* U+02BC */
        { "L’Azerbaïdjan", 4, 16 },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        assert_int_equal(c->n, 1);
        assert_string_equal(c->toks[0].norm, "azerbaidjan");
        assert_int_equal(c->toks[0].start, cases[i].start);
        assert_int_equal(c->toks[0].end, cases[i].end);
        assert_int_equal(c->toks[0].pos, 0);
        free(c);
    }
}

/* Every elided word of the list, with each apostrophe, in any case. */
static void test_analyzer_elisions(void **state)
{
    static const char *const articles[] = {
        "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu",
        "puisqu", "quoiqu", "L", "D", "QU", "Jusqu", "LORSQU",
    };
    static const char *const apostrophes[] = {
        "'", "\xe2\x80\x99", "\xca\xbc",
    };
    size_t i, j;

    for (i = 0; i < ARRAY_LEN(articles); i++) {
        for (j = 0; j < ARRAY_LEN(apostrophes); j++) {
            char in[64];
            size_t skip = strlen(articles[i]) + strlen(apostrophes[j]);
            collect *c;

            snprintf(in, sizeof in, "%s%savion", articles[i],
                     apostrophes[j]);
            c = run(*state, in);
            assert_int_equal(c->n, 1);
            assert_string_equal(c->toks[0].norm, "avion");
            assert_int_equal(c->toks[0].start, skip);
            assert_int_equal(c->toks[0].end, skip + 5);
            free(c);
        }
    }
}

/* Chained elisions, and elisions inside a sentence. */
static void test_analyzer_elisions_in_text(void **state)
{
    static const struct {
        const char *in;
        const char *norms;
    } cases[] = {
        { "qu’aujourd’hui", "aujourd'hui" },
        { "jusqu'à l'aube", "a aube" },
        { "c'est qu'il s'en va", "est il en va" },
        { "lorsqu’elle l’a dit", "elle a dit" },
        { "d'l'est", "est" }, /* repeated elision */
        { "l’", "l" },        /* a lone article is a word */
        { "lors qu'on", "lors on" },
        { "mot' l'", "mot l" },
        /* an article apart from the word it elides is no word either:
         * typed without the apostrophe, after it a space, or wrapped */
        { "droits de l homme", "droits de homme" },
        { "de l\xE2\x80\x99 Europe", "de europe" },
        { "de l\xE2\x80\x99\nEurope", "de europe" },
        { "de l\xE2\x80\x99\r\nEurope", "de europe" },
        { "qu il dit, c est, j ai, d un, l \xC5\x93uvre, l \xC3\x89tat",
          "il dit est ai un oeuvre etat" },
        /* ... but not before a consonant, a number, punctuation, two
         * spaces or the end: a letter of its own */
        { "vitamine D", "vitamine d" },
        { "point c) a", "point c a" },
        { "plan B bis", "plan b bis" },
        { "l 15", "l 15" },
        { "M. Dupont", "m dupont" },
        { "l  homme", "l homme" },
        /* the apostrophes typed in the place of ' and U+2019: U+2018,
         * U+FF07, the acute and the grave accent */
        { "l\xE2\x80\x98" "Azerba\xC3\xAF" "djan qu\xE2\x80\x98" "il",
          "azerbaidjan il" },
        { "d\xEF\xBC\x87" "abord", "abord" },
        { "l\xC2\xB4" "Europe, c\xC2\xB4" "est l`\xC3\xA9t\xC3\xA9",
          "europe est ete" },
        { "de l\xC2\xB4 Europe", "de europe" },
        /* ... but an accent before a consonant elides nothing */
        { "l\xC2\xB4Pakistan", "l pakistan" },
        /* before an opening quotation mark and the spaces inside it
         * (QA: "l'<< Annee" had made "l" a word) */
        { "de l'\xC2\xAB Ann\xC3\xA9" "e du climat \xC2\xBB",
          "de annee du climat" },
        { "de l\xE2\x80\x99\xC2\xAB\xC2\xA0" "Ann\xC3\xA9" "e", "de annee" },
        { "de l\xE2\x80\x99\xC2\xAB\xE2\x80\xAF" "Europe", "de europe" },
        { "l'\"esprit d'entreprise\"", "esprit entreprise" },
        { "d\xE2\x80\x99\xE2\x80\x9C" "int\xC3\xA9r\xC3\xAA" "t\xE2\x80\x9D",
          "interet" },
        { "qu'\xE2\x80\x9E" "elle", "elle" },
        /* ... not before a consonant, nor without the apostrophe */
        { "de l'\xC2\xAB Pakistan \xC2\xBB", "de l pakistan" },
        { "l \xC2\xAB Ann\xC3\xA9" "e", "l annee" },
        { "de l'\xC2\xAB   Ann\xC3\xA9" "e", "de l annee" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        assert_string_equal(c->joined, cases[i].norms);
        free(c);
    }
}

/* `aujourd'hui`, `prud'homme` (and presqu'île, quelqu'un) are kept whole,
 * with one apostrophe whatever the input's. */
static void test_analyzer_kept_apostrophes(void **state)
{
    static const struct {
        const char *in;
        const char *norm;
    } cases[] = {
        { "aujourd'hui", "aujourd'hui" },
        { "aujourd’hui", "aujourd'hui" },
        { "aujourdʼhui", "aujourd'hui" },
        { "aujourd\xE2\x80\x98" "hui", "aujourd'hui" },
        { "aujourd\xEF\xBC\x87" "hui", "aujourd'hui" },
        { "Aujourd’Hui", "aujourd'hui" },
        { "prud'homme", "prud'homme" },
        { "prud’hommes", "prud'hommes" },
        { "presqu'île", "presqu'ile" },
        { "presqu’île", "presqu'ile" },
        { "quelqu'un", "quelqu'un" },
        { "quelqu’une", "quelqu'une" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        assert_int_equal(c->n, 1);
        assert_string_equal(c->toks[0].norm, cases[i].norm);
        assert_int_equal(c->toks[0].start, 0);
        assert_int_equal(c->toks[0].end, strlen(cases[i].in));
        free(c);
    }
}

/* Inputs that must give the same norm and stem: accents typed or not,
 * case, NFD, apostrophe style. */
static void test_analyzer_same_term(void **state)
{
    static const struct {
        const char *a, *b;
    } cases[] = {
        { "Azerbaidjan", "Azerbaïdjan" },
        { "azerbaidjan", "AZERBAÏDJAN" },
        { "État", "etat" },
        { "ÉTATS", "états" },
        { "coopération", "coope\xcc\x81ration" }, /* NFD e + U+0301 */
        { "Élysée", "E\xcc\x81lyse\xcc\x81" "e" },
        { "noël", "noe\xcc\x88l" },
        { "ça", "c\xcc\xa7" "a" },
        { "aujourd'hui", "aujourd’hui" },
        { "O.N.U.", "ONU" },
        { "cooperation", "coopé\xc2\xad" "ration" }, /* soft hyphen */
        { "oeuvre", "Œuvre" },
        { "fin", "ﬁn" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *a = run(*state, cases[i].a);
        collect *b = run(*state, cases[i].b);

        assert_int_equal(a->n, 1);
        assert_int_equal(b->n, 1);
        assert_string_equal(a->toks[0].norm, b->toks[0].norm);
        assert_string_equal(a->toks[0].stem, b->toks[0].stem);
        free(a);
        free(b);
    }
}

/* `œuvrer`, `Œuvre`, `ex æquo`, `13ᵉ`, `ﬁn`, NFD input. */
static void test_analyzer_folding(void **state)
{
    static const struct {
        const char *in;
        const char *norms;
    } cases[] = {
        { "œuvrer", "oeuvrer" },
        { "Œuvre", "oeuvre" },
        { "ex æquo", "ex aequo" },
        { "Æsope", "aesope" },
        { "13ᵉ", "13e" },
        { "ﬁn", "fin" },
        { "ﬂeur", "fleur" },
        { "coope\xcc\x81ration", "cooperation" },
        { "A\xcc\x80 l'E\xcc\x81tat", "a etat" },
        { "Straße", "strasse" },
        { "İstanbul", "istanbul" },
        { "Łódź", "lodz" },
        { "Ørsted", "orsted" },
        { "Привет мир", "привет мир" },
        { "ÇA ÊTRE", "ca etre" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        assert_string_equal(c->joined, cases[i].norms);
        free(c);
    }
}

/* `libre-échange`, `militaro-industriel`, `JF-17`: parts at consecutive
 * positions, like the same words separated by a space. */
static void test_analyzer_hyphens(void **state)
{
    static const struct {
        const char *in;
        const char *spaced;
        const char *norms;
    } cases[] = {
        { "libre-échange", "libre échange", "libre echange" },
        { "militaro-industriel", "militaro industriel",
          "militaro industriel" },
        { "JF-17", "JF 17", "jf 17" },
        { "Saint-Paul-sur-Mer", "Saint Paul sur Mer", "saint paul sur mer" },
        { "vis-à-vis", "vis à vis", "vis a vis" },
    };
    size_t i, k;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *h = run_len(*state, cases[i].in, strlen(cases[i].in), 7);
        collect *s = run_len(*state, cases[i].spaced,
                             strlen(cases[i].spaced), 7);

        assert_string_equal(h->joined, cases[i].norms);
        assert_string_equal(s->joined, cases[i].norms);
        assert_int_equal(h->n, s->n);
        for (k = 0; k < h->n; k++) {
            assert_int_equal(h->toks[k].pos, 7 + k);
            assert_int_equal(s->toks[k].pos, 7 + k);
            assert_string_equal(h->toks[k].stem, s->toks[k].stem);
        }
        free(h);
        free(s);
    }
}

/* `7,3 millions`, `26,55 %`, `2019-2020`: numbers stay searchable. */
static void test_analyzer_numbers(void **state)
{
    static const struct {
        const char *in;
        const char *norms;
        unsigned flags0; /* flags of the first token */
        const char *stem0; /* its stem: numbers are not stemmed, an
                              ordinal's stem is its value and "e" */
    } cases[] = {
        { "7,3 millions", "7,3 millions", DP_TOK_NUMBER, "7,3" },
        { "26,55 %", "26,55", DP_TOK_NUMBER, "26,55" },
        { "2019-2020", "2019 2020", DP_TOK_NUMBER, "2019" },
        { "1.000.000 euros", "1.000.000 euros", DP_TOK_NUMBER, "1.000.000" },
        { "3,5%", "3,5", DP_TOK_NUMBER, "3,5" },
        { "13e", "13e", DP_TOK_NUMBER, "13e" },
        { "13\xe1\xb5\x89", "13e", DP_TOK_NUMBER, "13e" }, /* 13ᵉ */
        { "1er janvier", "1er janvier", DP_TOK_NUMBER, "1e" },
        { "millions 7,3", "millions 7,3", 0, "million" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        assert_string_equal(c->joined, cases[i].norms);
        assert_int_equal(c->toks[0].flags & DP_TOK_NUMBER, cases[i].flags0);
        assert_string_equal(c->toks[0].stem, cases[i].stem0);
        free(c);
    }
}

/* "2019-2020" gives consecutive positions; "7,3" is one token. */
static void test_analyzer_number_positions(void **state)
{
    collect *c = run(*state, "de 2019-2020 à 7,3 %");

    assert_string_equal(c->joined, "de 2019 2020 a 7,3");
    assert_int_equal(c->toks[1].pos, 1);
    assert_int_equal(c->toks[2].pos, 2);
    assert_int_equal(c->toks[4].pos, 4);
    assert_int_equal(c->toks[4].start, 16);
    assert_int_equal(c->toks[4].end, 19);
    free(c);
}

/* Thousands apart ("15 000", after a space, U+00A0, U+202F or U+2009) are
 * one number without the spaces, its span the whole number; anything
 * that is not a group of exactly three digits stays apart. */
static void test_analyzer_digit_groups(void **state)
{
    static const struct {
        const char *in;
        const char *norms;
        size_t start1, end1;   /* the second token's span */
    } cases[] = {
        { "les 15 000 emplois", "les 15000 emplois", 4, 10 },
        { "les 15\xc2\xa0" "000 emplois", "les 15000 emplois", 4, 11 },
        { "les 15\xe2\x80\xaf" "000 emplois", "les 15000 emplois", 4, 12 },
        { "les 15\xe2\x80\x89" "000 emplois", "les 15000 emplois", 4, 12 },
        { "soit 1 234 567 personnes", "soit 1234567 personnes", 5, 14 },
        { "soit 2 500,75 euros", "soit 2500,75 euros", 5, 13 },
        { "soit 2 500,75 000", "soit 2500,75 000", 5, 13 }, /* decimals end it */
        { "soit 15 000.", "soit 15000", 5, 11 },
        { "(soit 15 000)", "soit 15000", 6, 12 },
        { "en 2010 300 morts", "en 2010 300 morts", 3, 7 }, /* 4 digits first */
        { "les 1234 567", "les 1234 567", 4, 8 },
        { "les 15 0001 cas", "les 15 0001 cas", 4, 6 },     /* 4 digits after */
        { "les 15 00 cas", "les 15 00 cas", 4, 6 },
        { "les 3 000km", "les 3 000km", 4, 5 },             /* a letter after */
        { "les 15  000 cas", "les 15 000 cas", 4, 6 },      /* two spaces */
        { "les 15\t000 cas", "les 15 000 cas", 4, 6 },
        { "le 12 mai", "le 12 mai", 3, 5 },
        { "A 15 000", "a 15000", 2, 8 },
        /* what ICU glues to the last group stays (";", "'", "_") */
        { "x 1 000;2 000 y", "x 1000 2 000 y", 2, 7 },
        { "x 1 000'500 y", "x 1000 500 y", 2, 7 },
        { "x 15 000_abc", "x 15000 abc", 2, 8 },
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        if (strcmp(c->joined, cases[i].norms) != 0 ||
            c->toks[1].start != cases[i].start1 ||
            c->toks[1].end != cases[i].end1)
            fail_msg("%s: got \"%s\", token 2 [%zu, %zu); wanted \"%s\", "
                     "[%zu, %zu)", cases[i].in, c->joined, c->toks[1].start,
                     c->toks[1].end, cases[i].norms, cases[i].start1,
                     cases[i].end1);
        free(c);
    }
}

/* The number in groups takes one position; dp_analyzer_number_end() is
 * what the query parser uses. */
static void test_analyzer_digit_group_end(void **state)
{
    static const struct {
        const char *text;
        size_t s, e, want;
    } cases[] = {
        { "15 000 emplois", 0, 2, 6 },
        { "15 000", 0, 2, 6 },
        { "15 000 000,5 x", 0, 2, 12 },
        { "15 000km", 0, 2, 2 },
        { "1500 000", 0, 4, 4 },
        { "a15 000", 0, 3, 3 },      /* not digits */
        { "15 00", 0, 2, 2 },
        { "15 ", 0, 2, 2 },
        { "15", 0, 2, 2 },
    };
    collect *c = run(*state, "les 15 000 emplois et 7");

    assert_string_equal(c->joined, "les 15000 emplois et 7");
    assert_int_equal(c->toks[2].pos, 2);
    free(c);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        size_t got = dp_analyzer_number_end(cases[i].text,
                                            strlen(cases[i].text), cases[i].s,
                                            cases[i].e);
        if (got != cases[i].want)
            fail_msg("\"%s\" from [%zu, %zu): %zu, wanted %zu",
                     cases[i].text, cases[i].s, cases[i].e, got,
                     cases[i].want);
    }
}

/* `COP29`, `XIIIe`, `O.N.U.`; other dotted words split. */
static void test_analyzer_codes_and_acronyms(void **state)
{
    static const struct {
        const char *in;
        const char *norms;
    } cases[] = {
        { "COP29", "cop29" },
        { "XIIIe", "xiiie" },
        { "O.N.U.", "onu" },
        { "l'O.N.U.", "onu" },
        { "l’O.N.U", "onu" },
        { "U.S.A", "usa" },
        { "É.U.", "eu" },
        { "www.example.com", "www example com" },
        { "ex.gr", "ex gr" },
        { "M.Dupont", "m dupont" },
        { "étudiant·e·s", "etudiant e s" },
        { "mot_clé", "mot cle" },
        { "JF-17", "jf 17" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        assert_string_equal(c->joined, cases[i].norms);
        free(c);
    }
}

/* Acronym offsets cover the dotted letters; split parts get consecutive
 * positions. */
static void test_analyzer_dotted_offsets(void **state)
{
    collect *c = run(*state, "l'O.N.U. et www.example.com");

    assert_int_equal(c->n, 5);
    assert_int_equal(c->toks[0].start, 2);
    assert_int_equal(c->toks[0].end, 7);
    assert_int_equal(c->toks[2].start, 12);
    assert_int_equal(c->toks[2].end, 15);
    assert_int_equal(c->toks[3].start, 16);
    assert_int_equal(c->toks[3].end, 23);
    assert_int_equal(c->toks[4].start, 24);
    assert_int_equal(c->toks[4].end, 27);
    assert_int_equal(c->toks[2].pos, 2);
    assert_int_equal(c->toks[3].pos, 3);
    assert_int_equal(c->toks[4].pos, 4);
    free(c);
}

/* Both stems of a word: the accented pipeline's (Snowball on the
 * lowercase accented word, then folded) and, when it differs, the folded
 * pipeline's (Snowball on the folded word). */
static void test_analyzer_stems(void **state)
{
    static const struct {
        const char *in, *stem, *alt;
    } cases[] = {
        { "nationalité", "national", "nationalit" },
        { "nationalite", "nationalit", "" },
        { "première", "premi", "premier" },
        { "premiere", "premier", "" },
        { "Événements", "even", "" },
        { "relations", "relat", "" },
        { "économiques", "econom", "" },
        { "cœur", "coeur", "" },
        { "État", "etat", "" },
        { "Nationalite\xcc\x81", "national", "nationalit" }, /* NFD */
        { "2019", "2019", "" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        assert_int_equal(c->n, 1);
        assert_string_equal(c->toks[0].stem, cases[i].stem);
        assert_string_equal(c->toks[0].alt, cases[i].alt);
        free(c);
    }
}

/* Plural and inflection, accents typed or not: a query word finds the word
 * of a text when the query's stem is one of the text word's two stems
 * (which is how the index is searched). */
static void test_analyzer_stem_pairs(void **state)
{
    static const struct {
        const char *query, *text;
    } cases[] = {
        { "relations", "relation" },
        { "relation", "relations" },
        { "multimodaux", "multimodal" },
        { "économiques", "économique" },
        { "economiques", "économique" },
        { "économiques", "economique" },
        { "nationalite", "nationalité" },
        { "nationalité", "nationalités" },
        { "nationalites", "nationalité" },
        { "nationalité", "nationale" },
        { "premiere", "première" },
        { "premieres", "première" },
        { "première", "premières" },
        { "première", "premier" },
        { "evenements", "événements" },
        { "evenement", "Événements" },
        { "événement", "événements" },
        { "diplomatiques", "diplomatique" },
        { "coopérations", "coopération" },
        { "cooperation", "coopérations" },
        { "Présidents", "président" },
        { "presidents", "Président" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *q = run(*state, cases[i].query);
        collect *t = run(*state, cases[i].text);

        assert_int_equal(q->n, 1);
        assert_int_equal(t->n, 1);
        if (strcmp(q->toks[0].stem, t->toks[0].stem) != 0 &&
            strcmp(q->toks[0].stem, t->toks[0].alt) != 0)
            fail_msg("query \"%s\" (stem %s) misses text \"%s\" (stems %s, %s)",
                     cases[i].query, q->toks[0].stem, cases[i].text,
                     t->toks[0].stem, t->toks[0].alt);
        free(q);
        free(t);
    }
}

/* Truncation: the first DP_TRUNC_CHARS characters of the folded word, for
 * words that are not stop words and hold no digit. */
static void test_analyzer_truncation(void **state)
{
    static const struct {
        const char *in;
        const char *trunc; /* NULL: not truncated */
    } cases[] = {
        { "conquis", "conqu" },
        { "conquêtes", "conqu" },
        { "inaugurée", "inaug" },
        { "inauguration", "inaug" },
        { "Mucharraf", "mucha" },
        { "paix", "paix" },
        { "œuvre", "oeuvr" },
        { "Ωμέγα", "ωμεγα" },
        { "le", NULL },
        { "2019", NULL },
        { "COP29", NULL },
        { "qz00017", NULL },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);
        size_t n;

        assert_int_equal(c->n, 1);
        if (cases[i].trunc == NULL) {
            assert_false(dp_analyzer_truncates(c->toks[0].flags));
        } else {
            assert_true(dp_analyzer_truncates(c->toks[0].flags));
            n = dp_analyzer_trunc_len(c->toks[0].norm,
                                      strlen(c->toks[0].norm));
            assert_int_equal(n, strlen(cases[i].trunc));
            assert_memory_equal(c->toks[0].norm, cases[i].trunc, n);
        }
        free(c);
    }
    assert_int_equal(dp_analyzer_trunc_len("", 0), 0);
    assert_int_equal(dp_analyzer_trunc_len("ab", 2), 2);
}

/* Invalid UTF-8 never crashes; the words around it are found. */
static void test_analyzer_invalid_utf8(void **state)
{
    static const struct {
        const char *in;
        const char *norms;
    } cases[] = {
        { "\xff\xfe abc \xc3", "abc" },
        { "abc\xc3", "abc" },
        { "caf\xc3 ok", "caf ok" },
        { "d\xe9j\xe0 vu", "d j vu" },           /* Latin-1 bytes */
        { "a\xed\xa0\x80" "b", "a b" },          /* a surrogate */
        { "x\xc0\xaf" "y", "x y" },              /* overlong '/' */
        { "\xf4\x90\x80\x80 fin", "fin" },       /* beyond U+10FFFF */
        { "\x80\x80\x80", "" },
        { "l\xe2\x80 avion", "l avion" },        /* cut apostrophe */
        { "l'\xff" "avion", "l avion" },
        { "\xc3\x28" "été\xa9t\xc3\xa9", "ete te" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        assert_string_equal(c->joined, cases[i].norms);
        free(c);
    }
}

/* Byte offsets point into the original text, elision excluded. */
static void test_analyzer_offsets(void **state)
{
    static const struct {
        const char *in;
        size_t start, end;
    } cases[] = {
        { "d’Angoulême", 4, 14 },
        { "l’étang", 4, 10 },
        { "L'État", 2, 7 },
        { "  mot  ", 2, 5 },
        { "«Œuvre»", 2, 8 },
        { "qu’aujourd’hui", 5, 18 },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        assert_int_equal(c->n, 1);
        assert_int_equal(c->toks[0].start, cases[i].start);
        assert_int_equal(c->toks[0].end, cases[i].end);
        free(c);
    }
}

/* Every token of a sentence: its bytes in the input, its norm, position. */
static void test_analyzer_sentence_offsets(void **state)
{
    static const struct {
        const char *in;
        struct {
            const char *raw, *norm;
        } toks[10];
    } cases[] = {
        { "Le Président d’Angoulême, aujourd’hui.",
          { { "Le", "le" }, { "Président", "president" },
            { "Angoulême", "angouleme" },
            { "aujourd’hui", "aujourd'hui" } } },
        /* NFD: offsets still point at the original (decomposed) bytes */
        { "coope\xcc\x81ration de l’E\xcc\x81tat",
          { { "coope\xcc\x81ration", "cooperation" }, { "de", "de" },
            { "E\xcc\x81tat", "etat" } } },
        { "Le 13ᵉ sommet de l’O.N.U. s’est tenu à Bakou-Nord (2019).",
          { { "Le", "le" }, { "13ᵉ", "13e" }, { "sommet", "sommet" },
            { "de", "de" }, { "O.N.U", "onu" }, { "est", "est" },
            { "tenu", "tenu" }, { "à", "a" }, { "Bakou", "bakou" },
            { "Nord", "nord" } } },
    };
    size_t i, k;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        const char *in = cases[i].in;
        collect *c = run(*state, in);
        size_t from = 0;

        for (k = 0; k < ARRAY_LEN(cases[i].toks) && cases[i].toks[k].raw;
             k++) {
            const char *raw = cases[i].toks[k].raw;
            const char *at = strstr(in + from, raw);

            assert_true(k < c->n);
            assert_non_null(at);
            assert_int_equal(c->toks[k].start, (size_t)(at - in));
            assert_int_equal(c->toks[k].end, (size_t)(at - in) + strlen(raw));
            assert_string_equal(c->toks[k].norm, cases[i].toks[k].norm);
            assert_int_equal(c->toks[k].pos, k);
            from = c->toks[k].end;
        }
        if (i == 2) {
            /* the last sentence has one more token, "2019" */
            assert_int_equal(c->n, k + 1);
            assert_string_equal(c->toks[k].norm, "2019");
        } else {
            assert_int_equal(c->n, k);
        }
        free(c);
    }
}

/* Stop words are flagged but still get positions and terms. */
static void test_analyzer_stopword_flags(void **state)
{
    static const struct {
        const char *norm;
        unsigned stop;
    } want[] = {
        { "le", DP_TOK_STOP }, { "chat", 0 }, { "de", DP_TOK_STOP },
        { "la", DP_TOK_STOP }, { "voisine", 0 }, { "est", DP_TOK_STOP },
        { "a", DP_TOK_STOP }, { "paris", 0 }, { "ou", DP_TOK_STOP },
        { "etre", DP_TOK_STOP }, { "ete", DP_TOK_STOP },
    };
    collect *c = run(*state, "Le chat de la voisine est à Paris, où être été");
    size_t i;

    assert_int_equal(c->n, ARRAY_LEN(want));
    for (i = 0; i < ARRAY_LEN(want); i++) {
        assert_string_equal(c->toks[i].norm, want[i].norm);
        assert_int_equal(c->toks[i].flags & DP_TOK_STOP, want[i].stop);
        assert_int_equal(c->toks[i].pos, i);
    }
    free(c);
}

/* dp_analyzer_is_stopword() on folded words. */
static void test_analyzer_is_stopword(void **state)
{
    static const struct {
        const char *w;
        bool stop;
    } cases[] = {
        { "a", true }, { "au", true }, { "aux", true }, { "avec", true },
        { "ce", true }, { "ces", true }, { "cet", true }, { "cette", true },
        { "d", true }, { "dans", true }, { "de", true }, { "des", true },
        { "dont", true }, { "du", true }, { "elle", true }, { "elles", false },
        { "en", true }, { "est", true }, { "et", true }, { "etre", true },
        { "ete", true }, { "il", true }, { "ils", true }, { "je", true },
        { "l", true }, { "la", true }, { "le", true }, { "les", true },
        { "leur", true }, { "leurs", true }, { "ma", true }, { "me", true },
        { "mes", true }, { "mon", true }, { "n", true }, { "ne", true },
        { "nos", true }, { "notre", true }, { "nous", true }, { "on", true },
        { "ont", true }, { "ou", true }, { "par", true }, { "pas", true },
        { "plus", true }, { "pour", true }, { "qu", true }, { "que", true },
        { "qui", true }, { "quoi", true }, { "s", true }, { "sa", true },
        { "se", true }, { "ses", true }, { "son", true }, { "sont", true },
        { "sur", true }, { "t", true }, { "ta", true }, { "te", true },
        { "tes", true }, { "ton", true }, { "un", true }, { "une", true },
        { "vos", true }, { "votre", true }, { "vous", true }, { "y", true },
        { "avoir", true }, { "fussions", true }, { "eumes", true },
        { "lesquelles", true }, { "lesquellesx", false },
        { "auraientmaintenant", false },
        { "chat", false }, { "paris", false }, { "", false },
        { "lex", false }, { "zz", false }, { "aa", false },
        { "relations", false }, { "etat", false }, { "é", false },
        { "Le", false }, /* not folded */
    };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(cases); i++)
        assert_int_equal(dp_analyzer_is_stopword(cases[i].w,
                                                 strlen(cases[i].w)),
                         cases[i].stop);
    /* length, not NUL, ends the word */
    assert_true(dp_analyzer_is_stopword("lexique", 2));
    assert_false(dp_analyzer_is_stopword(NULL, 0));
}

/* Positions start at first_pos and count words, not bytes. */
static void test_analyzer_first_pos(void **state)
{
    static const uint32_t firsts[] = { 0, 1, 100, 4000000000u };
    size_t i, k;

    for (i = 0; i < ARRAY_LEN(firsts); i++) {
        collect *c = run_len(*state, "Un libre-échange, l'O.N.U. et 7,3 !",
                             strlen("Un libre-échange, l'O.N.U. et 7,3 !"),
                             firsts[i]);

        assert_string_equal(c->joined, "un libre echange onu et 7,3");
        for (k = 0; k < c->n; k++)
            assert_int_equal(c->toks[k].pos, firsts[i] + k);
        free(c);
    }
}

/* A callback returning non-zero stops the run; its value comes back. */
static void test_analyzer_callback_stops(void **state)
{
    static const struct {
        size_t stop_at;
        int rc;
    } cases[] = {
        { 1, 42 }, { 2, -1 }, { 3, DP_DONE }, { 4, DP_ELIMIT },
    };
    const char *text = "un deux trois quatre cinq six";
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = calloc(1, sizeof *c);
        dp_error err = DP_ERROR_INIT;

        assert_non_null(c);
        c->stop_at = cases[i].stop_at;
        c->stop_rc = cases[i].rc;
        assert_int_equal(dp_analyzer_run(*state, text, strlen(text), 0,
                                         collect_cb, c, &err),
                         cases[i].rc);
        assert_int_equal(c->n, cases[i].stop_at);
        free(c);
    }
}

/* A word longer than DP_MAX_TERM_BYTES (folded) is skipped, but takes a
 * position; one of exactly DP_MAX_TERM_BYTES is kept. */
static void test_analyzer_long_word(void **state)
{
    static const struct {
        size_t letters;   /* repetitions of the letter */
        const char *letter;
        bool kept;
    } cases[] = {
        { DP_MAX_TERM_BYTES, "a", true },
        { DP_MAX_TERM_BYTES + 1, "a", false },
        { DP_MAX_TERM_BYTES, "é", true },      /* 400 bytes, folds to 200 */
        { DP_MAX_TERM_BYTES + 1, "é", false },
        { DP_MAX_TERM_BYTES / 2 + 1, "œ", false }, /* folds to 202 bytes */
        { 100000, "a", false },
        { 100000, "a.", false }, /* a huge acronym */
    };
    size_t i, k;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        size_t ll = strlen(cases[i].letter);
        size_t n = 6 + cases[i].letters * ll + 6;
        char *text = malloc(n + 1);
        collect *c;

        assert_non_null(text);
        memcpy(text, "avant ", 6);
        for (k = 0; k < cases[i].letters; k++)
            memcpy(text + 6 + k * ll, cases[i].letter, ll);
        memcpy(text + n - 6, " apres", 6);
        text[n] = '\0';
        c = run_len(*state, text, n, 0);
        assert_string_equal(c->toks[0].norm, "avant");
        if (cases[i].kept) {
            assert_int_equal(c->n, 3);
            assert_int_equal(strlen(c->toks[1].norm), DP_MAX_TERM_BYTES);
            assert_int_equal(c->toks[1].start, 6);
            assert_int_equal(c->toks[1].end, n - 6);
        } else {
            assert_int_equal(c->n, 2);
        }
        assert_string_equal(c->toks[c->n - 1].norm, "apres");
        assert_int_equal(c->toks[c->n - 1].pos, 2);
        free(c);
        free(text);
    }
}

/* Many short dotted parts in one ICU word: linear, every part found. */
static void test_analyzer_many_parts(void **state)
{
    size_t parts = 50000, k;
    char *text = malloc(parts * 3 + 1);
    collect *c;

    assert_non_null(text);
    for (k = 0; k < parts; k++)
        memcpy(text + 3 * k, "ab.", 3);
    text[parts * 3 - 1] = '\0';
    c = run_len(*state, text, parts * 3 - 1, 0);
    assert_int_equal(c->n, parts);
    assert_string_equal(c->toks[MAX_TOKS - 1].norm, "ab");
    assert_int_equal(c->toks[MAX_TOKS - 1].pos, MAX_TOKS - 1);
    free(c);
    free(text);
}

/* Nothing to index: no token, DP_OK. */
static void test_analyzer_empty(void **state)
{
    static const char *const cases[] = {
        "", " ", "\n\n\t", "… , ; ! ? « » — – - ' ’", "%%% *** ###",
    };
    dp_error err = DP_ERROR_INIT;
    collect *c = NULL;
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        c = run(*state, cases[i]);
        assert_int_equal(c->n, 0);
        free(c);
    }
    c = calloc(1, sizeof *c);
    assert_non_null(c);
    assert_int_equal(dp_analyzer_run(*state, NULL, 0, 0, collect_cb, c, &err),
                     DP_OK);
    assert_int_equal(c->n, 0);
    free(c);
}

/* Bad arguments are refused with DP_EINVAL and a message. */
static void test_analyzer_bad_args(void **state)
{
    dp_error err = DP_ERROR_INIT;
    dp_buf out = DP_BUF_INIT;
    collect c;

    assert_int_equal(dp_analyzer_run(NULL, "a", 1, 0, collect_cb, &c, &err),
                     DP_EINVAL);
    assert_true(err.msg[0] != '\0');
    assert_int_equal(dp_analyzer_run(*state, NULL, 3, 0, collect_cb, &c,
                                     NULL),
                     DP_EINVAL);
    assert_int_equal(dp_analyzer_run(*state, "a", 1, 0, NULL, &c, NULL),
                     DP_EINVAL);
    assert_int_equal(dp_analyzer_fold(*state, NULL, 2, &out, NULL),
                     DP_EINVAL);
    assert_int_equal(dp_analyzer_stem(*state, "a", 1, NULL, NULL),
                     DP_EINVAL);
    dp_analyzer_free(NULL);
    dp_buf_release(&out);
}

/* The same text twice (the second time from the word cache) gives the
 * same tokens. */
static void test_analyzer_repeatable(void **state)
{
    const char *text = "Les relations économiques de l’Azerbaïdjan et "
                       "l'O.N.U., aujourd’hui : 7,3 % ; COP29 ; Œuvre.";
    collect *a = run(*state, text);
    collect *b = run(*state, text);
    size_t i;

    assert_int_equal(a->n, b->n);
    for (i = 0; i < a->n; i++) {
        assert_string_equal(a->toks[i].norm, b->toks[i].norm);
        assert_string_equal(a->toks[i].stem, b->toks[i].stem);
        assert_int_equal(a->toks[i].start, b->toks[i].start);
        assert_int_equal(a->toks[i].end, b->toks[i].end);
        assert_int_equal(a->toks[i].flags, b->toks[i].flags);
    }
    free(a);
    free(b);
}

/* dp_analyzer_fold(): fold one word, no segmentation, no elision. */
static void test_analyzer_fold_helper(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        { "Œuvre", "oeuvre" },
        { "Azerbaïdjan", "azerbaidjan" },
        { "aujourd’hui", "aujourd'hui" },
        { "L'État", "l'etat" },
        { "coope\xcc\x81ration", "cooperation" },
        { "13ᵉ", "13e" },
        { "ﬁn", "fin" },
        { "DIPLOMAT", "diplomat" },
        { "", "" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dp_buf out = DP_BUF_INIT;
        dp_error err = DP_ERROR_INIT;

        assert_int_equal(dp_buf_adds(&out, "x:"), DP_OK);
        assert_int_equal(dp_analyzer_fold(*state, cases[i].in,
                                          strlen(cases[i].in), &out, &err),
                         DP_OK);
        assert_int_equal(out.len, 2 + strlen(cases[i].out));
        assert_string_equal(dp_buf_cstr(&out) + 2, cases[i].out);
        dp_buf_release(&out);
    }
}

/* dp_analyzer_fold() refuses a word that folds past DP_MAX_TERM_BYTES. */
static void test_analyzer_fold_too_long(void **state)
{
    char word[DP_MAX_TERM_BYTES + 2];
    dp_buf out = DP_BUF_INIT;
    dp_error err = DP_ERROR_INIT;

    memset(word, 'A', sizeof word);
    assert_int_equal(dp_analyzer_fold(*state, word, DP_MAX_TERM_BYTES, &out,
                                      &err),
                     DP_OK);
    assert_int_equal(out.len, DP_MAX_TERM_BYTES);
    dp_buf_reset(&out);
    assert_int_equal(dp_analyzer_fold(*state, word, DP_MAX_TERM_BYTES + 1,
                                      &out, &err),
                     DP_ELIMIT);
    assert_int_equal(err.code, DP_ELIMIT);
    assert_int_equal(out.len, 0);
    dp_buf_release(&out);
}

/* Append code point @p c to @p w in UTF-8. */
static size_t put_utf8(char *w, size_t n, uint32_t c)
{
    if (c < 0x80) {
        w[n++] = (char)c;
    } else if (c < 0x800) {
        w[n++] = (char)(0xC0 | (c >> 6));
        w[n++] = (char)(0x80 | (c & 0x3F));
    } else {
        w[n++] = (char)(0xE0 | (c >> 12));
        w[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
        w[n++] = (char)(0x80 | (c & 0x3F));
    }
    return n;
}

/* The per-code-point fold table (fold_rules.h: Latin, Greek, Cyrillic,
 * phonetic extensions, U+2019, super- and subscripts, ligatures) agrees
 * with the ICU transliterator, for each of its code points between Latin,
 * Greek and Cyrillic letters and at the end of a word: a combining mark
 * outside the table (U+20D0) forces the transliterator on the second
 * word, and the mark itself is folded away. */
static void test_analyzer_fold_table_matches_icu(void **state)
{
    static const uint32_t ranges[][2] = {
#define X(first, last) { first, last },
        DP_FOLD_TABLE_RANGES
#undef X
    };
    static const uint32_t around[][2] = {
        { 'A', 'B' }, { 0x3B1, 0x3B2 }, { 0x431, 0x436 }, { 'a', 0 },
    };
    dp_error err = DP_ERROR_INIT;
    size_t checked = 0;

    for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++) {
        for (uint32_t c = ranges[r][0]; c <= ranges[r][1]; c++) {
            for (size_t a = 0; a < sizeof around / sizeof *around; a++) {
                char word[16];
                dp_buf fast = DP_BUF_INIT, slow = DP_BUF_INIT;
                size_t n = put_utf8(word, 0, around[a][0]);

                n = put_utf8(word, n, c);
                if (around[a][1] != 0)
                    n = put_utf8(word, n, around[a][1]);
                assert_int_equal(dp_analyzer_fold(*state, word, n, &fast,
                                                  &err),
                                 DP_OK);
                n = put_utf8(word, n, 0x20D0);
                assert_int_equal(dp_analyzer_fold(*state, word, n, &slow,
                                                  &err),
                                 DP_OK);
                if (strcmp(dp_buf_cstr(&fast), dp_buf_cstr(&slow)) != 0)
                    fail_msg("U+%04X: table gives '%s', ICU '%s'",
                             (unsigned)c, dp_buf_cstr(&fast),
                             dp_buf_cstr(&slow));
                dp_buf_release(&fast);
                dp_buf_release(&slow);
                checked++;
            }
        }
    }
    assert_true(checked > 4 * 1700);
}

/* dp_analyzer_stem(): Snowball French on folded words; numbers as is;
 * the stem or alternative of dp_analyzer_run() on the same folded word. */
static void test_analyzer_stem_helper(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        { "relations", "relat" },
        { "relation", "relat" },
        { "multimodaux", "multimodal" },
        { "economiques", "econom" },
        { "nationalite", "nationalit" },
        { "premiere", "premier" },
        { "2019", "2019" },
        { "21eme", "21e" },
        { "1er", "1e" },
        { "xxie", "xxi" }, /* the capitals of a Roman numeral are gone */
        { "7,3", "7,3" },
        { "", "" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dp_buf out = DP_BUF_INIT;
        dp_error err = DP_ERROR_INIT;
        collect *c = NULL;

        assert_int_equal(dp_buf_adds(&out, "Z"), DP_OK);
        assert_int_equal(dp_analyzer_stem(*state, cases[i].in,
                                          strlen(cases[i].in), &out, &err),
                         DP_OK);
        assert_string_equal(dp_buf_cstr(&out) + 1, cases[i].out);
        /* the same stem as dp_analyzer_run() gives */
        c = run(*state, cases[i].in);
        if (c->n == 1)
            assert_string_equal(c->toks[0].alt[0] ? c->toks[0].alt
                                                  : c->toks[0].stem,
                                cases[i].out);
        free(c);
        dp_buf_release(&out);
    }
}

/* DP_STEM_KEEPS: a stem (and an alt) starts with the first two code
 * points of its word's folded form.  Hard cases: ligatures that fold to
 * two letters, the vowels Snowball marks (y, i, u between vowels, after
 * q), diaeresis, short words, non-Latin letters, numbers, and letters
 * whose lower case folds otherwise. */
static void test_analyzer_stem_keeps_start(void **state)
{
    static const char *const words[] = {
        "œuvre", "Œdipe", "cœur", "ægyptien", "yeux", "ayons", "ayez",
        "essuyer", "appuyaient", "Yougoslavie", "aïeul", "naïve", "Noël",
        "ouïe", "quinquennat", "qui", "crûment", "dès", "où", "ça", "a",
        "y", "ÉTATS", "île", "ﬁnance", "IJsselmeer", "Straße", "Ελλάδα",
        "москва", "2019", "COP29", "abaissements", "utilisation",
        "évidemment", "couramment", "heureuse", "nationaux", "prudence",
        "XXIe", "Ier", "IXe", "21ème", "1er", "1re", "1ère", "2nd", "2nde",
        "12e", "1000e", "0021e", "01er", "007e",
        /* letters that fold otherwise once lower-cased (fuzzing) */
        "\xCE\xBD\xCF\xB9\xCE\xBA\xCE\xAC", /* νϹκά, lunate sigma */
        "\xC6\x96",                                /* Ɩ, Latin capital iota */
    };
    size_t i, j;

    for (i = 0; i < ARRAY_LEN(words); i++) {
        collect *c = run(*state, words[i]);

        assert_int_equal(c->n, 1);
        for (j = 0; j < 2; j++) {
            const char *st = j == 0 ? c->toks[0].stem : c->toks[0].alt;

            if (j == 1 && st[0] == '\0')
                continue;
            if (!dp_analyzer_may_stem_to(c->toks[0].norm,
                                         strlen(c->toks[0].norm), st,
                                         strlen(st)))
                fail_msg("%s: norm '%s', stem '%s'", words[i],
                         c->toks[0].norm, st);
        }
        free(c);
    }
}

/* Ordinals stem to their value and "e", in digits or Roman numerals. */
static void test_analyzer_ordinals(void **state)
{
    static const struct {
        const char *in, *norm, *stem;
    } cases[] = {
        { "21e", "21e", "21e" },        { "21ème", "21eme", "21e" },
        { "21eme", "21eme", "21e" },    { "21ième", "21ieme", "21e" },
        { "XXIe", "xxie", "21e" },      { "XXIème", "xxieme", "21e" },
        { "1er", "1er", "1e" },         { "1re", "1re", "1e" },
        { "1ère", "1ere", "1e" },       { "Ier", "ier", "1e" },
        { "2nd", "2nd", "2e" },         { "2nde", "2nde", "2e" },
        { "Ve", "ve", "5e" },           { "IXe", "ixe", "9e" },
        { "XIIIe", "xiiie", "13e" },    { "XXXIXe", "xxxixe", "39e" },
        { "2000e", "2000e", "2000e" },
        /* superscript suffixes, as French typography writes them */
        { "XIII\xe1\xb5\x89", "xiiie", "13e" },   /* XIIIᵉ */
        { "II\xe1\xb5\x89", "iie", "2e" },        /* IIᵉ */
        { "I\xe1\xb5\x89\xca\xb3", "ier", "1e" }, /* Iᵉʳ */
        { "I\xca\xb3\xe1\xb5\x89", "ire", "1e" }, /* Iʳᵉ */
        { "13\xe1\xb5\x89", "13e", "13e" },       /* 13ᵉ */
        { "1\xe1\xb5\x89\xca\xb3", "1er", "1e" }, /* 1ᵉʳ */
        /* not ordinals */
        { "Inde", "inde", "inde" },     { "vie", "vie", "vi" },
        { "Vie", "vie", "vi" },         { "XXL", "xxl", "xxl" },
        { "IIIIe", "iiiie", "iiii" },   { "XLe", "xle", "xle" },
        { "XXIE", "xxie", "xxi" },      { "xxie", "xxie", "xxi" },
        { "3d", "3d", "3d" },           { "0e", "0e", "0e" },
        { "I\xcc\x82" "E", "ie", "ie" }, /* I + combining circumflex + E */
        { "Ie", "ie", "1e" },           { "Ire", "ire", "1e" },
        { "12345e", "12345e", "12345e" }, { "1e10", "1e10", "1e10" },
        /* a value has no leading zero: a word of its own, as "0021" */
        { "0021e", "0021e", "0021e" },  { "01er", "01er", "01er" },
        { "007e", "007e", "007e" },     { "00e", "00e", "00e" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        collect *c = run(*state, cases[i].in);

        assert_int_equal(c->n, 1);
        if (strcmp(c->toks[0].norm, cases[i].norm) != 0 ||
            strcmp(c->toks[0].stem, cases[i].stem) != 0)
            fail_msg("%s: norm '%s' stem '%s', wanted '%s' '%s'",
                     cases[i].in, c->toks[0].norm, c->toks[0].stem,
                     cases[i].norm, cases[i].stem);
        free(c);
    }
}

/* dp_analyzer_may_stem_to(): the first two code points decide, or an
 * ordinal's number. */
static void test_analyzer_may_stem_to(void **state)
{
    static const struct {
        const char *norm, *stem;
        bool may;
    } cases[] = {
        { "maisons", "maison", true },  { "maison", "ma", true },
        { "maison", "mi", false },      { "oeuvre", "euvr", false },
        { "a", "a", true },             { "a", "as", false },
        { "etat", "et", true },         { "eta", "", true },
        { "\xce\xb5\xce\xbb", "\xce\xb5\xce\xbb\xce\xbb", true },
        { "\xce\xb5\xce\xbb", "\xce\xb5\xce\xb1", false },
        { "xxie", "21e", true },        { "ier", "1e", true },
        { "maison", "21e", false },
        /* an ordinal in digits whose suffix starts otherwise than "e" */
        { "1re", "1e", true },          { "2nd", "2e", true },
        { "2nde", "2e", true },         { "21eme", "21e", true },
        { "12e", "1e", false },         { "1000", "1e", false },
        { "2nd", "2019", false },       { "2", "2e", false },
    };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(cases); i++)
        assert_int_equal(dp_analyzer_may_stem_to(cases[i].norm,
                                                 strlen(cases[i].norm),
                                                 cases[i].stem,
                                                 strlen(cases[i].stem)),
                         cases[i].may);
}

/* dp_analyzer_ordinal_forms(): every folded spelling the analyzer reads as
 * the ordinal, each of which stems back to it (and to no other). */
static void test_analyzer_ordinal_forms(void **state)
{
    static const struct {
        const char *stem;
        size_t n;
        const char *first, *last;
    } cases[] = {
        { "21e", 13, "21e", "xxiere" }, { "1e", 13, "1e", "iere" },
        { "39e", 13, "39e", "xxxixere" }, { "40e", 8, "40e", "40nde" },
        { "2000e", 8, "2000e", "2000nde" }, { "maison", 0, NULL, NULL },
        { "2019", 0, NULL, NULL },        { "e", 0, NULL, NULL },
        { "0021e", 0, NULL, NULL },       { "0e", 0, NULL, NULL },
    };
    char forms[DP_ORDINAL_FORMS][DP_ORDINAL_FORM_BYTES];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        size_t n = dp_analyzer_ordinal_forms(cases[i].stem,
                                             strlen(cases[i].stem), forms);

        assert_int_equal(n, cases[i].n);
        if (n == 0)
            continue;
        assert_string_equal(forms[0], cases[i].first);
        assert_string_equal(forms[n - 1], cases[i].last);
        for (size_t k = 0; k < n; k++) {
            /* Roman numerals are read in capitals, their suffix not */
            char raw[DP_ORDINAL_FORM_BYTES];
            size_t j = 0;
            collect *c;

            for (; forms[k][j] == 'i' || forms[k][j] == 'v' ||
                   forms[k][j] == 'x'; j++)
                raw[j] = (char)(forms[k][j] - 'a' + 'A');
            strcpy(raw + j, forms[k] + j);
            c = run(*state, raw);
            assert_int_equal(c->n, 1);
            if (strcmp(c->toks[0].stem, cases[i].stem) != 0)
                fail_msg("%s: stem '%s', wanted '%s'", raw, c->toks[0].stem,
                         cases[i].stem);
            free(c);
        }
    }
}

/* A filter that wants the stems of words starting with "pa" only. */
static bool want_pa(const char *norm, size_t len, void *ctx)
{
    (*(size_t *)ctx)++;
    return len >= 2 && memcmp(norm, "pa", 2) == 0;
}

/* dp_analyzer_run_filtered(): unwanted words are not stemmed, and keep
 * their norm, offsets, positions and flags; cached words keep their
 * stems. */
static void test_analyzer_filtered(void **state)
{
    static const char text[] =
        "Le Pakistan, la paix et l'Azerbaïdjan ; le Pakistan en 2019.";
    collect *all = run(*state, text);
    collect *some = calloc(1, sizeof *some);
    dp_analyzer *fresh = NULL;
    dp_error err = DP_ERROR_INIT;
    size_t asked = 0, i;
    dp_token_filter filter = { want_pa, NULL, &asked };

    assert_non_null(some);
    assert_int_equal(dp_analyzer_new(&fresh, &err), DP_OK);
    assert_int_equal(dp_analyzer_run_filtered(fresh, text, strlen(text), 0,
                                              &filter, collect_cb, some,
                                              &err),
                     DP_OK);
    assert_int_equal(some->n, all->n);
    assert_true(asked > 0);
    for (i = 0; i < all->n; i++) {
        const tok_rec *a = &all->toks[i], *b = &some->toks[i];
        bool pa = strncmp(a->norm, "pa", 2) == 0;

        assert_string_equal(b->norm, a->norm);
        assert_int_equal(b->start, a->start);
        assert_int_equal(b->end, a->end);
        assert_int_equal(b->pos, a->pos);
        assert_int_equal(b->flags & ~DP_TOK_UNSTEMMED, a->flags);
        assert_int_equal((b->flags & DP_TOK_UNSTEMMED) != 0, !pa);
        assert_string_equal(b->stem, pa ? a->stem : "");
        assert_string_equal(b->alt, pa ? a->alt : "");
    }
    /* A word already in the cache has its stems whatever the filter. */
    memset(some, 0, sizeof *some);
    assert_int_equal(dp_analyzer_run_filtered(*state, text, strlen(text), 0,
                                              &filter, collect_cb, some,
                                              &err),
                     DP_OK);
    for (i = 0; i < all->n; i++)
        assert_string_equal(some->toks[i].stem, all->toks[i].stem);
    dp_analyzer_free(fresh);
    free(some);
    free(all);
}

/* A may_matter filter that keeps the words whose head is "pa" and
 * remembers the last head it saw. */
static bool head_pa(const char *head, size_t len, void *ctx)
{
    collect *c = ctx;

    assert_true(len > 0 && len < sizeof c->head);
    memcpy(c->head, head, len);
    c->head[len] = '\0';
    return len == 2 && memcmp(head, "pa", 2) == 0;
}

/* dp_analyzer_run_filtered(): a word whose head the filter rejects is
 * skipped (offsets and position only), every other token is as without
 * the filter, and the head a skipped word was judged by is the start of
 * its folded form, whatever its letters fold to (ligatures, capitals,
 * accents, Greek, a decomposed accent); a word the fold table cannot fold
 * (the Roman numeral Ⅻ) and an acronym take the full path. */
/* Words are broken in a UTF-16 copy of a text up to 64 KiB and through a
 * UTF-8 UText beyond: the tokens are the same.  A sample alone, then the
 * sample repeated as paragraphs past 64 KiB: every token of the long text
 * is the sample's, shifted. */
typedef struct repeat_check {
    const collect *one;   /* the sample's tokens */
    size_t stride;        /* bytes of one repetition */
    size_t n;             /* tokens of the long text so far */
    uint32_t first_pos;   /* of the current repetition */
} repeat_check;

static int repeat_cb(const dp_token *t, void *ctx)
{
    repeat_check *r = ctx;
    size_t k = r->n / r->one->n, i = r->n % r->one->n;
    const tok_rec *w = &r->one->toks[i];

    if (i == 0)
        r->first_pos = t->pos;
    assert_int_equal(t->start, w->start + k * r->stride);
    assert_int_equal(t->end, w->end + k * r->stride);
    assert_int_equal(t->pos - r->first_pos, w->pos - r->one->toks[0].pos);
    assert_int_equal(t->norm_len, strlen(w->norm));
    assert_memory_equal(t->norm, w->norm, t->norm_len);
    assert_int_equal(t->stem_len, strlen(w->stem));
    assert_memory_equal(t->stem, w->stem, t->stem_len);
    assert_int_equal(t->flags, w->flags);
    r->n++;
    return 0;
}

static void test_analyzer_long_text_same_words(void **state)
{
    static const char sample[] =
        "Le Pakistan, l'Azerbaïdjan et la paix ; Œuvres, straße, Ærø, "
        "e\xcc\x81te, Αθήνα, Σωκράτης, ﬁn, O.N.U, XXIe, XIIIᵉ, 7,3 %, "
        "aujourd'hui, peut-être, 𝔄𝔟𝔠 😀 émoji, 中文 字符, www.example.com.";
    size_t slen = strlen(sample), reps = 64 * 1024 / (slen + 2) + 2;
    char *text = malloc(reps * (slen + 2) + 1);
    collect *one = run(*state, sample);
    repeat_check r = { one, slen + 2, 0, 0 };
    dp_error err = DP_ERROR_INIT;
    size_t len = 0;

    assert_non_null(text);
    assert_true(one->n > 0 && one->n < MAX_TOKS);
    for (size_t k = 0; k < reps; k++) {
        memcpy(text + len, sample, slen);
        memcpy(text + len + slen, "\n\n", 2);
        len += slen + 2;
    }
    assert_true(len > 64 * 1024);
    assert_int_equal(dp_analyzer_run(*state, text, len, 0, repeat_cb, &r,
                                     &err), DP_OK);
    assert_int_equal(r.n, one->n * reps);
    free(one);
    free(text);
}

static void test_analyzer_skipped(void **state)
{
    static const char *const texts[] = {
        "Le Pakistan, la paix et l'Azerbaïdjan ; le PAKISTAN en 2019.",
        "Œuvres, ŒUVRE, Ægypte, straße, ĳssel, Ǆemal, Ærø, þing, Łódź.",
        "Épée, ÉTAT, état, Ça, À, É, e\xcc\x81te, Αθήνα, ﬁn, O.N.U, "
        "Ⅻ, XXIe, XIIIᵉ, Pâques, pas, pa, P, p.",
        "l'Europe, aujourd'hui, qu'il, d'Andorre, rendez-vous, Jean-Paul "
        "peut-être, 7,3 %, 1.000.000, www.example.com.",
        /* ASCII letters and digits only (their head is read without
         * folding the word), one too long to be a term (the full path: no
         * token, its position taken), and ASCII next to other letters */
        "Paris2024 pa PA Pa x86 ABC Zz9 "
        "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaa fin, Parité, PArité, Zoé, l'ONU, pa'x.",
    };
    dp_analyzer *fresh = NULL;
    dp_error err = DP_ERROR_INIT;

    assert_int_equal(dp_analyzer_new(&fresh, &err), DP_OK);
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
        const char *text = texts[k];
        collect *all = run(*state, text);
        collect *some = calloc(1, sizeof *some);
        dp_token_filter filter = { NULL, head_pa, some };
        size_t skipped = 0;

        assert_non_null(some);
        assert_int_equal(dp_analyzer_run_filtered(fresh, text, strlen(text),
                                                  0, &filter, collect_cb,
                                                  some, &err),
                         DP_OK);
        assert_int_equal(some->n, all->n);
        for (size_t i = 0; i < all->n; i++) {
            const tok_rec *a = &all->toks[i], *b = &some->toks[i];

            assert_int_equal(b->start, a->start);
            assert_int_equal(b->end, a->end);
            assert_int_equal(b->pos, a->pos);
            if (b->flags & DP_TOK_SKIPPED) {
                size_t h = dp_analyzer_head_len(a->norm, strlen(a->norm));

                skipped++;
                if (strlen(b->head) != h ||
                    memcmp(b->head, a->norm, h) != 0)
                    fail_msg("text %zu, word %zu: head '%s' of '%s'", k, i,
                             b->head, a->norm);
                assert_false(h == 2 && memcmp(a->norm, "pa", 2) == 0);
                assert_string_equal(b->norm, "");
                assert_string_equal(b->stem, "");
                continue;
            }
            assert_string_equal(b->norm, a->norm);
            assert_string_equal(b->stem, a->stem);
            assert_string_equal(b->alt, a->alt);
            assert_int_equal(b->flags, a->flags);
        }
        assert_true(skipped > 0);
        free(all);
        free(some);
    }
    dp_analyzer_free(fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_analyzer_elided_article),
        T(test_analyzer_elisions),
        T(test_analyzer_elisions_in_text),
        T(test_analyzer_kept_apostrophes),
        T(test_analyzer_same_term),
        T(test_analyzer_folding),
        T(test_analyzer_hyphens),
        T(test_analyzer_numbers),
        T(test_analyzer_number_positions),
        T(test_analyzer_digit_groups),
        T(test_analyzer_digit_group_end),
        T(test_analyzer_codes_and_acronyms),
        T(test_analyzer_dotted_offsets),
        T(test_analyzer_stems),
        T(test_analyzer_truncation),
        T(test_analyzer_stem_pairs),
        T(test_analyzer_invalid_utf8),
        T(test_analyzer_offsets),
        T(test_analyzer_sentence_offsets),
        T(test_analyzer_stopword_flags),
        T(test_analyzer_stem_keeps_start),
        T(test_analyzer_may_stem_to),
        T(test_analyzer_ordinal_forms),
        T(test_analyzer_ordinals),
        T(test_analyzer_filtered),
        T(test_analyzer_skipped),
        T(test_analyzer_long_text_same_words),
        T(test_analyzer_is_stopword),
        T(test_analyzer_first_pos),
        T(test_analyzer_callback_stops),
        T(test_analyzer_long_word),
        T(test_analyzer_many_parts),
        T(test_analyzer_empty),
        T(test_analyzer_bad_args),
        T(test_analyzer_repeatable),
        T(test_analyzer_fold_helper),
        T(test_analyzer_fold_too_long),
        T(test_analyzer_fold_table_matches_icu),
        T(test_analyzer_stem_helper),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
