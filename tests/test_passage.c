/* test_passage.c -- paragraphs, hard-wrapping and headings. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depeche/buf.h"
#include "depeche/passage.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

typedef struct units {
    const char *text;
    size_t len;
    dp_passage *v;
    size_t n, cap;
    size_t stop_after;  /* return stop_rc from the stop_after-th call */
    int stop_rc;
} units;

static int collect(const dp_passage *p, void *ctx)
{
    units *u = ctx;

    if (u->n == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 64;
        u->v = realloc(u->v, u->cap * sizeof *u->v);
        assert_non_null(u->v);
    }
    u->v[u->n++] = *p;
    if (u->stop_after && u->n == u->stop_after)
        return u->stop_rc;
    return 0;
}

static int split(units *u, const char *text, size_t len)
{
    u->text = text;
    u->len = len;
    return dp_passage_split(text, len, collect, u, NULL);
}

static int split_md(units *u, const char *text, size_t len)
{
    u->text = text;
    u->len = len;
    return dp_passage_split_as(text, len, DP_TEXT_MARKDOWN, collect, u,
                               NULL);
}

static void units_release(units *u)
{
    free(u->v);
    memset(u, 0, sizeof *u);
}

static void add_escaped(dp_buf *b, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == '\n')
            assert_int_equal(dp_buf_adds(b, "\\n"), DP_OK);
        else if (s[i] == '\r')
            assert_int_equal(dp_buf_adds(b, "\\r"), DP_OK);
        else
            assert_int_equal(dp_buf_addc(b, s[i]), DP_OK);
    }
}

/* "H<ord>:<line>:<text>" for headings, "P<ord>:<line>-<end>:<text>" and
 * "@<section>" when there is one for passages, joined by " | ". */
static void describe(const units *u, dp_buf *b)
{
    size_t i;

    dp_buf_reset(b);
    assert_int_equal(dp_buf_adds(b, ""), DP_OK);
    for (i = 0; i < u->n; i++) {
        const dp_passage *p = &u->v[i];
        if (i > 0)
            assert_int_equal(dp_buf_adds(b, " | "), DP_OK);
        if (p->kind == DP_UNIT_HEADING)
            assert_int_equal(dp_buf_addf(b, "H%u:%u:", p->ordinal, p->line),
                             DP_OK);
        else
            assert_int_equal(dp_buf_addf(b, "P%u:%u-%u:", p->ordinal,
                                         p->line, p->line_end), DP_OK);
        add_escaped(b, u->text + p->start, p->end - p->start);
        if (p->kind == DP_UNIT_PASSAGE && p->sec_end > p->sec_start) {
            assert_int_equal(dp_buf_addc(b, '@'), DP_OK);
            add_escaped(b, u->text + p->sec_start, p->sec_end - p->sec_start);
        }
    }
}

/* Invariants every split must satisfy. */
static void check_invariants(const units *u)
{
    size_t i, prev_end = 0;
    uint32_t passages = 0, prev_line = 0;

    for (i = 0; i < u->n; i++) {
        const dp_passage *p = &u->v[i];
        assert_true(p->start < p->end);
        assert_true(p->end <= u->len);
        assert_true(p->start >= prev_end);
        assert_true(p->line >= 1 && p->line <= p->line_end);
        assert_true(p->line > prev_line);
        assert_true(p->sec_start <= p->sec_end && p->sec_end <= u->len);
        if (p->kind == DP_UNIT_PASSAGE) {
            assert_int_equal(p->ordinal, ++passages);
        } else {
            assert_int_equal(p->kind, DP_UNIT_HEADING);
            assert_int_equal(p->ordinal, passages + 1);
            assert_int_equal(p->sec_start, p->start);
            assert_int_equal(p->sec_end, p->end);
        }
        /* Spans never begin or end with ASCII white space. */
        assert_false(strchr(" \t\r\n", u->text[p->start]) &&
                     u->text[p->start] != '\0');
        assert_false(strchr(" \t\r\n", u->text[p->end - 1]) &&
                     u->text[p->end - 1] != '\0');
        prev_end = p->end;
        prev_line = p->line_end;
    }
}

static char *slurp(const char *rel, size_t *len)
{
    char path[1024];
    FILE *f;
    char *s;
    long n;

    snprintf(path, sizeof path, "%s/%s", DP_SOURCE_ROOT, rel);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return s;
}

static size_t count_kind(const units *u, dp_unit_kind kind)
{
    size_t i, n = 0;

    for (i = 0; i < u->n; i++)
        n += u->v[i].kind == kind;
    return n;
}

static const dp_passage *find_line(const units *u, uint32_t line)
{
    size_t i;

    for (i = 0; i < u->n; i++)
        if (u->v[i].line == line)
            return &u->v[i];
    return NULL;
}

static void assert_span(const units *u, const dp_passage *p, const char *s)
{
    assert_non_null(p);
    assert_int_equal(p->end - p->start, strlen(s));
    assert_memory_equal(u->text + p->start, s, strlen(s));
}

static void assert_section(const units *u, const dp_passage *p,
                           const char *s)
{
    assert_non_null(p);
    if (s == NULL) {
        assert_int_equal(p->sec_start, p->sec_end);
        return;
    }
    assert_int_equal(p->sec_end - p->sec_start, strlen(s));
    assert_memory_equal(u->text + p->sec_start, s, strlen(s));
}

/* Kinds of the units in order, one letter each: the whole segmentation. */
static void assert_shape(const units *u, const char *shape)
{
    size_t i;

    assert_int_equal(u->n, strlen(shape));
    for (i = 0; i < u->n; i++)
        assert_int_equal(u->v[i].kind == DP_UNIT_HEADING ? 'H' : 'P',
                         shape[i]);
}

/* ------------------------------------------------------------------ */
/* Small cases                                                          */
/* ------------------------------------------------------------------ */

#define L60 "une ligne assez longue qui ne finit pas sur une ponctuation"
#define S60 "Une phrase complète qui finit bien par un point final ici."

static const struct {
    const char *name;
    const char *in;
    const char *want;
} cases[] = {
    { "empty", "", "" },
    { "blank only", "\n \t\n\r\n  \n", "" },
    { "one line", "Un paragraphe.", "P1:1-1:Un paragraphe." },
    { "heading then paragraph", "Titre\nUn paragraphe.",
      "H1:1:Titre | P1:2-2:Un paragraphe.@Titre" },
    { "heading, blank, paragraph", "Titre\n\nUn paragraphe.\n",
      "H1:1:Titre | P1:3-3:Un paragraphe.@Titre" },
    { "BOM is not part of a span", "\xEF\xBB\xBFTitre\n\nTexte.",
      "H1:1:Titre | P1:3-3:Texte.@Titre" },
    { "CRLF", "Titre\r\n\r\nUn.\r\nDeux.\r\n",
      "H1:1:Titre | P1:3-3:Un.@Titre | P2:4-4:Deux.@Titre" },
    { "lone CR", "Titre\r\rUn.\rDeux.\r",
      "H1:1:Titre | P1:3-3:Un.@Titre | P2:4-4:Deux.@Titre" },
    { "mixed line ends", "Un.\r\nDeux.\rTrois.\nQuatre.",
      "P1:1-1:Un. | P2:2-2:Deux. | P3:3-3:Trois. | P4:4-4:Quatre." },
    { "CR then LF is one line end", "Un.\r\n\r\n\r\nDeux.",
      "P1:1-1:Un. | P2:4-4:Deux." },
    { "white space trimmed", "  \t Indenté.  \t\n",
      "P1:1-1:Indenté." },
    { "no-break spaces trimmed", "\xC2\xA0Texte.\xE2\x80\xAF\n",
      "P1:1-1:Texte." },
    { "heading at end of file is a passage", "Un paragraphe.\nFin",
      "P1:1-1:Un paragraphe. | P2:2-2:Fin" },
    { "heading run at end, then blank lines",
      "Texte.\n\nAnnexe\nNotes\n\n\n",
      "P1:1-1:Texte. | P2:3-3:Annexe | P3:4-4:Notes" },
    { "run of headings", "Titre\n\nSous-titre\nTexte.",
      "H1:1:Titre | H1:3:Sous-titre | P1:4-4:Texte.@Sous-titre" },
    { "latest heading wins",
      "A\nUn.\nB\nDeux.\nTrois.",
      "H1:1:A | P1:2-2:Un.@A | H2:3:B | P2:4-4:Deux.@B | "
      "P3:5-5:Trois.@B" },
    { "colon is sentence-final", "Note :\nTexte.",
      "P1:1-1:Note : | P2:2-2:Texte." },
    { "question mark", "Pourquoi ?\nParce que.",
      "P1:1-1:Pourquoi ? | P2:2-2:Parce que." },
    { "ellipsis", "Et puis\xE2\x80\xA6\nTexte.",
      "P1:1-1:Et puis\xE2\x80\xA6 | P2:2-2:Texte." },
    { "closing guillemet after the stop",
      "Il a dit \xC2\xAB oui. \xC2\xBB\nTexte.",
      "P1:1-1:Il a dit \xC2\xAB oui. \xC2\xBB | P2:2-2:Texte." },
    { "footnote call after the stop", "Fin de phrase.[12]\nTexte.",
      "P1:1-1:Fin de phrase.[12] | P2:2-2:Texte." },
    { "parenthesis alone is not final", "Relations (1995-2000)\nTexte.",
      "H1:1:Relations (1995-2000) | P1:2-2:Texte.@Relations (1995-2000)" },
    { "a note in parentheses is no heading",
      "(Le Parlement approuve la r\xC3\xA9solution)\nTexte.",
      "P1:1-1:(Le Parlement approuve la r\xC3\xA9solution) | P2:2-2:Texte." },
    { "a sentence ended before a note",
      "La politique... (fin d'intervention hors micro)\nTexte.",
      "P1:1-1:La politique... (fin d'intervention hors micro) | "
      "P2:2-2:Texte." },
    { "a heading with a note", "Article 3 (nouveau)\nTexte.",
      "H1:1:Article 3 (nouveau) | P1:2-2:Texte.@Article 3 (nouveau)" },
    { "two notes", "(Applaudissements) (Rires)\nTexte.",
      "P1:1-1:(Applaudissements) (Rires) | P2:2-2:Texte." },
    { "unbalanced parenthesis", "Relations 1995)\nTexte.",
      "H1:1:Relations 1995) | P1:2-2:Texte.@Relations 1995)" },
    { "markdown heading", "# Titre\n\nTexte.",
      "H1:1:# Titre | P1:3-3:Texte.@# Titre" },
    { "capitals with a full stop: a chapter heading",
      "CHAPITRE PREMIER.\n\nTexte.",
      "H1:1:CHAPITRE PREMIER. | P1:3-3:Texte.@CHAPITRE PREMIER." },
    { "roman numeral heading", "Texte.\nXII.\nSuite.",
      "P1:1-1:Texte. | H2:2:XII. | P2:3-3:Suite.@XII." },
    { "accented capitals", "\xC3\x89T\xC3\x89 \xC5\x92UVRE.\nTexte.",
      "H1:1:\xC3\x89T\xC3\x89 \xC5\x92UVRE. | "
      "P1:2-2:Texte.@\xC3\x89T\xC3\x89 \xC5\x92UVRE." },
    { "small letters with a full stop are a sentence", "Fin.\nTexte.",
      "P1:1-1:Fin. | P2:2-2:Texte." },
    { "small accented letter", "\xC3\x89T\xC3\xA9.\nTexte.",
      "P1:1-1:\xC3\x89T\xC3\xA9. | P2:2-2:Texte." },
    { "capitals with '!' are a sentence", "NON, JAMAIS !\nTexte.",
      "P1:1-1:NON, JAMAIS ! | P2:2-2:Texte." },
    { "capitals with an ellipsis", "ET PUIS...\nTexte.",
      "P1:1-1:ET PUIS... | P2:2-2:Texte." },
    { "a line ending with a comma goes on: no heading",
      "R\xC3\xA9solution sur la Croatie\n\nLe Parlement europ\xC3\xA9" "en,\n\n"
      "A. consid\xC3\xA9rant que la Croatie a pr\xC3\xA9sent\xC3\xA9 sa demande,\n\n"
      "1. se f\xC3\xA9licite des progr\xC3\xA8s;",
      "H1:1:R\xC3\xA9solution sur la Croatie | "
      "P1:3-3:Le Parlement europ\xC3\xA9" "en,@R\xC3\xA9solution sur la Croatie | "
      "P2:5-5:A. consid\xC3\xA9rant que la Croatie a pr\xC3\xA9sent\xC3\xA9 sa "
      "demande,@R\xC3\xA9solution sur la Croatie | "
      "P3:7-7:1. se f\xC3\xA9licite des progr\xC3\xA8s;@R\xC3\xA9solution sur la "
      "Croatie" },
    { "a salutation", "Monsieur le Pr\xC3\xA9sident,\nJe vous \xC3\xA9" "cris.",
      "P1:1-1:Monsieur le Pr\xC3\xA9sident, | P2:2-2:Je vous \xC3\xA9" "cris." },
    { "two sentences in a line are no heading",
      "Le Pr\xC3\xA9sident. \xE2\x80\x93 Merci d'avoir examin\xC3\xA9 "
      "le texte. Ce point sera corrig\xC3\xA9\n\nTexte.",
      "P1:1-1:Le Pr\xC3\xA9sident. \xE2\x80\x93 Merci d'avoir "
      "examin\xC3\xA9 le texte. Ce point sera corrig\xC3\xA9 | "
      "P2:3-3:Texte." },
    { "a question, then a note",
      "Le Pr\xC3\xA9sident. \xE2\x80\x93 Y a-t-il des objections ? (Le "
      "Parlement accepte) Amendement 33\n\nTexte.",
      "P1:1-1:Le Pr\xC3\xA9sident. \xE2\x80\x93 Y a-t-il des "
      "objections ? (Le Parlement accepte) Amendement 33 | "
      "P2:3-3:Texte." },
    { "an exclamation, then a sentence",
      "Assez de discours ! Il faut agir\n\nTexte.",
      "P1:1-1:Assez de discours ! Il faut agir | P2:3-3:Texte." },
    { "a number ends a sentence",
      "Vous ne pouvez pas voter sur le paragraphe 36. - Avant le vote "
      "sur le paragraphe 161\n\nTexte.",
      "P1:1-1:Vous ne pouvez pas voter sur le paragraphe 36. - Avant "
      "le vote sur le paragraphe 161 | P2:3-3:Texte." },
    { "a short first sentence counts from the line's start",
      "Le Pr\xC3\xA9sident. \xE2\x80\x93 D'accord. (Le Parlement "
      "adopte la r\xC3\xA9solution) EXPLICATIONS DE VOTE\n\nTexte.",
      "P1:1-1:Le Pr\xC3\xA9sident. \xE2\x80\x93 D'accord. (Le "
      "Parlement adopte la r\xC3\xA9solution) EXPLICATIONS DE VOTE | "
      "P2:3-3:Texte." },
    { "a label before a full stop: a heading",
      "Chapitre II. Le commerce\n\nTexte.",
      "H1:1:Chapitre II. Le commerce | P1:3-3:Texte.@Chapitre II. Le "
      "commerce" },
    { "a number before a full stop",
      "1. Introduction\n\nTexte.",
      "H1:1:1. Introduction | P1:3-3:Texte.@1. Introduction" },
    { "a two-word label",
      "Titre premier. Des personnes\n\nTexte.",
      "H1:1:Titre premier. Des personnes | P1:3-3:Texte.@Titre "
      "premier. Des personnes" },
    { "capitals before a full stop",
      "CHAPITRE PREMIER. Le commerce ext\xC3\xA9rieur de la "
      "France\n\nTexte.",
      "H1:1:CHAPITRE PREMIER. Le commerce ext\xC3\xA9rieur de la "
      "France | P1:3-3:Texte.@CHAPITRE PREMIER. Le commerce "
      "ext\xC3\xA9rieur de la France" },
    { "a Roman numeral ends no sentence",
      "Le r\xC3\xA8gne de Louis XIV. La cour\n\nTexte.",
      "H1:1:Le r\xC3\xA8gne de Louis XIV. La cour | P1:3-3:Texte.@Le "
      "r\xC3\xA8gne de Louis XIV. La cour" },
    { "an abbreviation and a number",
      "Art. 5 \xE2\x80\x93 Dispositions\n\nTexte.",
      "H1:1:Art. 5 \xE2\x80\x93 Dispositions | P1:3-3:Texte.@Art. 5 "
      "\xE2\x80\x93 Dispositions" },
    { "a single letter ends no sentence",
      "Questions adress\xC3\xA9" "es \xC3\xA0 M. Barroso\n\nTexte.",
      "H1:1:Questions adress\xC3\xA9" "es \xC3\xA0 M. Barroso | "
      "P1:3-3:Texte.@Questions adress\xC3\xA9" "es \xC3\xA0 M. Barroso" },
    { "initials",
      "Rapport de M. W.G. Van Velzen (A4-0323/98)\n\nTexte.",
      "H1:1:Rapport de M. W.G. Van Velzen (A4-0323/98) | "
      "P1:3-3:Texte.@Rapport de M. W.G. Van Velzen (A4-0323/98)" },
    { "abbreviations",
      "Lettre de Mme Dupont, de MM. Durand et de la Ste. "
      "Marie\n\nTexte.",
      "H1:1:Lettre de Mme Dupont, de MM. Durand et de la Ste. Marie | "
      "P1:3-3:Texte.@Lettre de Mme Dupont, de MM. Durand et de la Ste. "
      "Marie" },
    { "art. and n\xC2\xB0",
      "D\xC3\xA9" "clarations \xC3\xA9" "crites (art. 142 du "
      "r\xC3\xA8glement, n\xC2\xB0 12)\n\nTexte.",
      "H1:1:D\xC3\xA9" "clarations \xC3\xA9" "crites (art. 142 du "
      "r\xC3\xA8glement, n\xC2\xB0 12) | "
      "P1:3-3:Texte.@D\xC3\xA9" "clarations \xC3\xA9" "crites (art. 142 "
      "du r\xC3\xA8glement, n\xC2\xB0 12)" },
    { "etc.",
      "Livres, journaux, revues, etc. Les achats de la "
      "biblioth\xC3\xA8que\n\nTexte.",
      "H1:1:Livres, journaux, revues, etc. Les achats de la "
      "biblioth\xC3\xA8que | P1:3-3:Texte.@Livres, journaux, revues, "
      "etc. Les achats de la biblioth\xC3\xA8que" },
    { "p.",
      "Renvoi \xC3\xA0 la p. XII du rapport\n\nTexte.",
      "H1:1:Renvoi \xC3\xA0 la p. XII du rapport | "
      "P1:3-3:Texte.@Renvoi \xC3\xA0 la p. XII du rapport" },
    { "a report and its number",
      "Rapport McCartin (A5-0396/2000)\n\nTexte.",
      "H1:1:Rapport McCartin (A5-0396/2000) | P1:3-3:Texte.@Rapport "
      "McCartin (A5-0396/2000)" },
    { "dialogue is not a heading",
      "\xE2\x80\x94 Mon Dieu\n--Eh bien\n\xE2\x80\x93 Alors\nTexte.",
      "P1:1-1:\xE2\x80\x94 Mon Dieu | P2:2-2:--Eh bien | "
      "P3:3-3:\xE2\x80\x93 Alors | P4:4-4:Texte." },
    { "list items are not headings",
      "Les objectifs :\n- la paix\n* la prosp\xC3\xA9rit\xC3\xA9\nFin.",
      "P1:1-1:Les objectifs : | P2:2-2:- la paix | "
      "P3:3-3:* la prosp\xC3\xA9rit\xC3\xA9 | P4:4-4:Fin." },
    { "numbered heading", "1. Introduction\nTexte.",
      "H1:1:1. Introduction | P1:2-2:Texte.@1. Introduction" },
    { "unit of only punctuation", ".\n...\n",
      "P1:1-1:. | P2:2-2:..." },
    /* A paragraph per line, lines under 100 columns ending in a stop. */
    { "short paragraphs per line are not wrapped",
      "Titre\n" S60 "\n" S60 "\n" S60 "\n",
      "H1:1:Titre | P1:2-2:" S60 "@Titre | P2:3-3:" S60 "@Titre | "
      "P3:4-4:" S60 "@Titre" },
    /* Wrapped block with its heading on the first line. */
    { "heading inside a wrapped block",
      "CHAPITRE II\n" L60 "\n" L60 "\nfin.",
      "H1:1:CHAPITRE II | P1:2-4:" L60 "\\n" L60 "\\nfin.@CHAPITRE II" },
    { "two-line wrapped paragraph", L60 "\nfin.",
      "P1:1-2:" L60 "\\nfin." },
    /* Wrapped paragraphs not separated by blank lines: a short line ends
     * a paragraph. */
    { "wrapped paragraphs without blank lines",
      L60 "\n" L60 "\nfin.\n" L60 "\nfin.",
      "P1:1-3:" L60 "\\n" L60 "\\nfin. | P2:4-5:" L60 "\\nfin." },
    { "list bullets in a wrapped block",
      "- " L60 "\n  " L60 "\n- " L60 "\n  suite.",
      "P1:1-2:- " L60 "\\n  " L60 " | P2:3-4:- " L60 "\\n  suite." },
    { "CRLF inside a wrapped unit", L60 "\r\nfin.\r\n",
      "P1:1-2:" L60 "\\r\\nfin." },
    /* Short open lines under 40 columns are not a wrapped block. */
    { "short lines are not wrapped", "Un\nDeux\nTrois.",
      "H1:1:Un | H1:2:Deux | P1:3-3:Trois.@Deux" },
};

static void test_passage_cases(void **state)
{
    dp_buf b = DP_BUF_INIT;
    units u;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&u, 0, sizeof u);
        assert_int_equal(split(&u, cases[i].in, strlen(cases[i].in)), DP_OK);
        check_invariants(&u);
        describe(&u, &b);
        if (strcmp(dp_buf_cstr(&b), cases[i].want) != 0)
            fail_msg("case \"%s\":\n  got  %s\n  want %s", cases[i].name,
                     dp_buf_cstr(&b), cases[i].want);
        units_release(&u);
    }
    dp_buf_release(&b);
}

/*
 * Markdown: ATX and Setext headings are headings, their span (so the
 * section and the title) without the markup, their bytes those of the
 * heading's text in the file.  Underlines and thematic breaks are no
 * unit.  The same texts split as plain text keep "# " (the "markdown
 * heading" case above).
 */
static const struct {
    const char *name;
    const char *in;
    const char *want;
} md_cases[] = {
    { "QA's notes.md",
      "# Politique \xC3\xA9trang\xC3\xA8re de la France\n\n"
      "Introduction.\n\n## Les relations franco-allemandes\n\n"
      "Les deux pays coop\xC3\xA8rent.\n",
      "H1:1:Politique \xC3\xA9trang\xC3\xA8re de la France | "
      "P1:3-3:Introduction.@Politique \xC3\xA9trang\xC3\xA8re de la France | "
      "H2:5:Les relations franco-allemandes | "
      "P2:7-7:Les deux pays coop\xC3\xA8rent.@Les relations "
      "franco-allemandes" },
    { "levels 1 to 6, closing run, spaces",
      "###### Six ######   \n  ### Trois #\t##\nTexte.",
      "H1:1:Six | H1:2:Trois # | P1:3-3:Texte.@Trois #" },
    { "a '#' inside the text stays", "## C# et F#\nTexte.",
      "H1:1:C# et F# | P1:2-2:Texte.@C# et F#" },
    { "closing run without a space before it is text",
      "# Num\xC3\xA9ro#\nTexte.",
      "H1:1:Num\xC3\xA9ro# | P1:2-2:Texte.@Num\xC3\xA9ro#" },
    { "explicit headings ignore length and punctuation",
      "## Pourquoi ?\nParce que.",
      "H1:1:Pourquoi ? | P1:2-2:Parce que.@Pourquoi ?" },
    { "not ATX: 7 '#', no space, 4 spaces of indent",
      "####### Sept\n#hashtag\n    # code\nTexte.",
      "H1:1:####### Sept | H1:2:#hashtag | H1:3:# code | "
      "P1:4-4:Texte.@# code" },
    { "empty ATX headings are no unit", "#\n## ##\nTexte.",
      "P1:3-3:Texte." },
    { "a heading at the end is a passage, without its markers",
      "Texte.\n\n## Annexes ##\n", "P1:1-1:Texte. | P2:3-3:Annexes" },
    { "BOM before a heading", "\xEF\xBB\xBF# Titre\n\nTexte.",
      "H1:1:Titre | P1:3-3:Texte.@Titre" },
    { "CRLF", "# Titre #\r\n\r\nTexte.\r\n",
      "H1:1:Titre | P1:3-3:Texte.@Titre" },
    { "Setext: '=' and '-' underlines",
      "Politique \xC3\xA9trang\xC3\xA8re\n=====\n\nIntro.\n\n"
      "Relations franco-allemandes\n---\nTexte.",
      "H1:1:Politique \xC3\xA9trang\xC3\xA8re | "
      "P1:4-4:Intro.@Politique \xC3\xA9trang\xC3\xA8re | "
      "H2:6:Relations franco-allemandes | "
      "P2:8-8:Texte.@Relations franco-allemandes" },
    { "Setext of a sentence, underline indented and padded",
      "Ceci est une phrase.\n   ========  \nTexte.",
      "H1:1:Ceci est une phrase. | P1:3-3:Texte.@Ceci est une phrase." },
    { "thematic breaks are no unit",
      "Un.\n\n---\n\nDeux.\n* * *\nTrois.\n___\n",
      "P1:1-1:Un. | P2:5-5:Deux. | P3:7-7:Trois." },
    { "a list item is not underlined: a break",
      "- un point\n---\nTexte.",
      "P1:1-1:- un point | P2:3-3:Texte." },
    { "two characters are no underline (a signature separator)",
      "Bien \xC3\xA0 vous.\n--\nJean.",
      "P1:1-1:Bien \xC3\xA0 vous. | P2:2-2:-- | P3:3-3:Jean." },
    { "'=' with spaces is no underline: a line as in plain text",
      "Fin.\n= = =\nTexte.",
      "P1:1-1:Fin. | H2:2:= = = | P2:3-3:Texte.@= = =" },
    { "an ATX heading ends a wrapped paragraph",
      L60 "\n" L60 "\n## Suite\n" L60 "\nfin.",
      "P1:1-2:" L60 "\\n" L60 " | H2:3:Suite | P2:4-5:" L60 "\\nfin.@Suite" },
    { "a Setext heading in a wrapped block",
      L60 "\n" L60 "\nfin.\nSuite\n=====\n" L60 "\nfin.",
      "P1:1-3:" L60 "\\n" L60 "\\nfin. | H2:4:Suite | "
      "P2:6-7:" L60 "\\nfin.@Suite" },
    { "plain rules still apply", "Titre\nTexte.\n",
      "H1:1:Titre | P1:2-2:Texte.@Titre" },
    { "a fenced code block is one passage, no heading inside",
      "## Script\n\n```sh\n# installer\nmake\n\nmake test\n```\nFin.",
      "H1:1:Script | P1:3-8:```sh\\n# installer\\nmake\\n\\nmake test\\n```@Script | "
      "P2:9-9:Fin.@Script" },
    { "a tilde fence, closed by a longer one; an inner shorter fence is text",
      "~~~\nHeure\n~~\n~~~~~\nTexte.",
      "P1:1-4:~~~\\nHeure\\n~~\\n~~~~~ | P2:5-5:Texte." },
    { "a fence interrupts a paragraph; unclosed, it runs to the end",
      "Voici :\n```\n# un\n\n# deux\n",
      "P1:1-1:Voici : | P2:2-5:```\\n# un\\n\\n# deux" },
    { "a '`' fence with a '`' after it is text; an empty block is a unit",
      "``` a`b c.\nTexte.\n\n```\n\n```\nFin.",
      "P1:1-1:``` a`b c. | P2:2-2:Texte. | P3:4-6:```\\n\\n``` | "
      "P4:7-7:Fin." },
    { "4 spaces of indent open no fence",
      "    ```\n# Titre\nTexte.",
      "H1:1:``` | H1:2:Titre | P1:3-3:Texte.@Titre" },
    { "YAML front matter is no unit; lines count on after it",
      "---\ntitle: D\xC3\xA9" "claration\ndate: 2020-01-02\n---\n\n"
      "# Texte\n\nUn.",
      "H1:6:Texte | P1:8-8:Un.@Texte" },
    { "front matter closed by '...', after a BOM, CRLF",
      "\xEF\xBB\xBF---\r\ntags:\r\n  - a\r\n...\r\nUn.",
      "P1:5-5:Un." },
    { "'---' then a paragraph: a thematic break, not front matter",
      "---\nUn paragraphe.\n---\nDeux.",
      "H1:2:Un paragraphe. | P1:4-4:Deux.@Un paragraphe." },
    { "'---' never closed: a thematic break",
      "---\ntitle: x\n\nUn.", "H1:2:title: x | P1:4-4:Un.@title: x" },
};

static void test_passage_markdown(void **state)
{
    dp_buf b = DP_BUF_INIT;
    units u;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof md_cases / sizeof md_cases[0]; i++) {
        memset(&u, 0, sizeof u);
        assert_int_equal(split_md(&u, md_cases[i].in, strlen(md_cases[i].in)),
                         DP_OK);
        check_invariants(&u);
        describe(&u, &b);
        if (strcmp(dp_buf_cstr(&b), md_cases[i].want) != 0)
            fail_msg("case \"%s\":\n  got  %s\n  want %s", md_cases[i].name,
                     dp_buf_cstr(&b), md_cases[i].want);
        units_release(&u);
    }
    dp_buf_release(&b);
}

/* YAML front matter: where it ends, and its title and date as text. */
static void test_passage_front_matter(void **state)
{
    static const struct {
        const char *name, *in;
        dp_text_format fmt;
        uint32_t lines;          /* 0: no front matter */
        const char *rest, *title, *date;
    } fms[] = {
        { "Jekyll", "---\nlayout: post\ntitle: La d\xC3\xA9" "claration\n"
          "date: 2020-01-02 10:00:00 +0100\n---\nTexte.", DP_TEXT_MARKDOWN,
          5, "Texte.", "La d\xC3\xA9" "claration",
          "2020-01-02 10:00:00 +0100" },
        { "double quotes and escapes", "---\ntitle: \"Le \\\"oui\\\" : "
          "1/2\"   # note\n---\n", DP_TEXT_MARKDOWN, 3, "",
          "Le \"oui\" : 1/2", "" },
        { "single quotes", "---\ntitle: 'L''Europe'\n---\n",
          DP_TEXT_MARKDOWN, 3, "", "L'Europe", "" },
        { "plain value: ' #' starts a comment",
          "---\ntitle: Trait\xC3\xA9 n\xC2\xB0" "2 #v1\n...\r\n\r\nUn.",
          DP_TEXT_MARKDOWN, 3, "\r\nUn.", "Trait\xC3\xA9 n\xC2\xB0" "2", "" },
        { "a folded block scalar, lists and comments around",
          "---\n# m\xC3\xA9ta\ntags:\n- a\n- b\ntitle: >-\n  Accord de\n"
          "  Paris\nauthor: X\n---\n", DP_TEXT_MARKDOWN, 10, "",
          "Accord de Paris", "" },
        { "a plain value on two lines", "---\ntitle: Accord\n  de Paris\n"
          "---\n", DP_TEXT_MARKDOWN, 4, "", "Accord de Paris", "" },
        { "no title: the file keeps its first heading",
          "---\nlang: fr\n---\n# T", DP_TEXT_MARKDOWN, 3, "# T", "", "" },
        { "an empty title", "---\ntitle:\ndate: ''\n---\n", DP_TEXT_MARKDOWN,
          4, "", "", "" },
        { "TITLE: is another key", "---\nTITLE: x\n---\n", DP_TEXT_MARKDOWN,
          3, "", "", "" },
        { "plain text has none", "---\ntitle: x\n---\n", DP_TEXT_PLAIN, 0,
          NULL, "", "" },
        { "indented opening mark", " ---\ntitle: x\n---\n", DP_TEXT_MARKDOWN,
          0, NULL, "", "" },
        { "no key", "---\n# rien\n---\n", DP_TEXT_MARKDOWN, 0, NULL, "", "" },
        { "a line that is no key", "---\ntitle: x\nTexte libre\n---\n",
          DP_TEXT_MARKDOWN, 0, NULL, "", "" },
        { "key:value without a space is no key", "---\nhttp://x\n---\n",
          DP_TEXT_MARKDOWN, 0, NULL, "", "" },
        { "never closed", "---\ntitle: x\n", DP_TEXT_MARKDOWN, 0, NULL, "",
          "" },
        { "an empty text", "", DP_TEXT_MARKDOWN, 0, NULL, "", "" },
    };
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof fms / sizeof fms[0]; i++) {
        const char *in = fms[i].in;
        dp_front_matter fm;
        bool got = dp_passage_front_matter(in, strlen(in), fms[i].fmt, &fm);

        if (got != (fms[i].lines > 0) || fm.lines != fms[i].lines)
            fail_msg("case \"%s\": front matter %d, %u lines", fms[i].name,
                     got, (unsigned)fm.lines);
        if (got && strcmp(in + fm.end, fms[i].rest) != 0)
            fail_msg("case \"%s\": ends before '%s'", fms[i].name,
                     in + fm.end);
        dp_passage_meta_value(in, fm.title_start, fm.title_end, out);
        if (strcmp(out, fms[i].title) != 0)
            fail_msg("case \"%s\": title '%s', want '%s'", fms[i].name, out,
                     fms[i].title);
        dp_passage_meta_value(in, fm.date_start, fm.date_end, out);
        if (strcmp(out, fms[i].date) != 0)
            fail_msg("case \"%s\": date '%s', want '%s'", fms[i].name, out,
                     fms[i].date);
    }
}

/* Which files are Markdown. */
static void test_passage_format_of(void **state)
{
    static const struct {
        const char *name;
        dp_text_format fmt;
    } names[] = {
        { "notes.md", DP_TEXT_MARKDOWN },
        { "dir/NOTES.MD", DP_TEXT_MARKDOWN },
        { "a.markdown", DP_TEXT_MARKDOWN },
        { "a.Markdown", DP_TEXT_MARKDOWN },
        { "notes.txt", DP_TEXT_PLAIN },
        { "md", DP_TEXT_PLAIN },
        { ".md", DP_TEXT_PLAIN },
        { "notes.mdx", DP_TEXT_PLAIN },
        { "notes.md.txt", DP_TEXT_PLAIN },
        { "", DP_TEXT_PLAIN },
        { NULL, DP_TEXT_PLAIN },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (dp_passage_format_of(names[i].name) != names[i].fmt)
            fail_msg("%s: format %d, want %d",
                     names[i].name ? names[i].name : "NULL",
                     (int)dp_passage_format_of(names[i].name),
                     (int)names[i].fmt);
}

/* Heading length is counted in code points, not bytes. */
/* dp_passage_run(): the headings one after the other that a passage's
 * section ends, without the one opening the text (its title); each
 * passage's run as "heading|heading", passages joined by " ; ". */
static void test_passage_run(void **state)
{
    static const struct {
        const char *what, *text;
        int md;
        const char *runs;
    } runs[] = {
        { "one heading: its run is itself",
          "Intro.\n\nR\xc3\xa9unions\n\nTexte un.\n\nTexte deux.\n", 0,
          " ; R\xc3\xa9unions ; R\xc3\xa9unions" },
        { "a run of three, blank line or not between",
          "Intro.\n\nTITRE PREMIER\nDISPOSITIONS COMMUNES\n\n"
          "Article premier\n\nPar le trait\xc3\xa9.\n\nArticle 2\n\n"
          "L'Union.\n", 0,
          " ; TITRE PREMIER|DISPOSITIONS COMMUNES|Article premier ; "
          "Article 2" },
        { "the heading that opens the text is its title, not in the run",
          "TRAIT\xc3\x89\n\nTITRE I\n\nArticle 1\n\nTexte.\n", 0,
          "TITRE I|Article 1" },
        { "alone, the opening heading is still the section",
          "TRAIT\xc3\x89\n\nTexte.\n", 0, "TRAIT\xc3\x89" },
        { "Markdown: the marks are left out, underlines too",
          "# Titre\n\n## Partie\n\nChapitre\n--------\n\nTexte.\n", 1,
          "Partie|Chapitre" },
        { "Markdown: closing marks too, on every heading of the run",
          "Intro.\n\n## Premier ##\n\n### Second ###\n\nTexte.\n", 1,
          " ; Premier|Second" },
        { "plain text: a line of punctuation is no part of the run",
          "Intro.\n\nChapitre premier\n================\n\nSection 1\n\n"
          "Texte.\n", 0, " ; Chapitre premier|Section 1" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        units u;
        dp_buf b = DP_BUF_INIT;
        bool first = true;

        memset(&u, 0, sizeof u);
        assert_int_equal(runs[i].md
                             ? split_md(&u, runs[i].text,
                                        strlen(runs[i].text))
                             : split(&u, runs[i].text, strlen(runs[i].text)),
                         DP_OK);
        for (size_t k = 0; k < u.n; k++) {
            size_t st[4], en[4], n;

            if (u.v[k].kind != DP_UNIT_PASSAGE)
                continue;
            if (!first)
                assert_int_equal(dp_buf_adds(&b, " ; "), DP_OK);
            first = false;
            n = dp_passage_run(u.text, &u.v[k],
                               runs[i].md ? DP_TEXT_MARKDOWN : DP_TEXT_PLAIN,
                               st, en, 4);
            for (size_t j = 0; j < n; j++) {
                if (j > 0)
                    assert_int_equal(dp_buf_addc(&b, '|'), DP_OK);
                assert_int_equal(dp_buf_add(&b, u.text + st[j],
                                            en[j] - st[j]), DP_OK);
            }
        }
        if (strcmp(dp_buf_cstr(&b), runs[i].runs) != 0)
            fail_msg("%s: got \"%s\", wanted \"%s\"", runs[i].what,
                     dp_buf_cstr(&b), runs[i].runs);
        dp_buf_release(&b);
        units_release(&u);
    }
}

static void test_passage_heading_length(void **state)
{
    static const struct { size_t chars; dp_unit_kind kind; } lens[] = {
        { 1, DP_UNIT_HEADING },
        { DP_HEADING_MAX_CHARS, DP_UNIT_HEADING },
        { DP_HEADING_MAX_CHARS + 1, DP_UNIT_PASSAGE },
    };
    dp_buf b = DP_BUF_INIT;
    units u;
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        dp_buf_reset(&b);
        for (k = 0; k < lens[i].chars; k++)
            assert_int_equal(dp_buf_adds(&b, "\xC3\xA9"), DP_OK); /* é */
        assert_int_equal(dp_buf_adds(&b, "\nTexte."), DP_OK);
        memset(&u, 0, sizeof u);
        assert_int_equal(split(&u, b.data, b.len), DP_OK);
        assert_int_equal(u.n, 2);
        assert_int_equal(u.v[0].kind, lens[i].kind);
        assert_int_equal(u.v[0].end - u.v[0].start, 2 * lens[i].chars);
        units_release(&u);
    }
    dp_buf_release(&b);
}

/* At most 64 candidates wait; older ones become passages. */
static void test_passage_pending_cap(void **state)
{
    dp_buf b = DP_BUF_INIT;
    units u;
    size_t i;

    (void)state;
    for (i = 0; i < 100; i++)
        assert_int_equal(dp_buf_addf(&b, "Titre %zu\n", i + 1), DP_OK);
    assert_int_equal(dp_buf_adds(&b, "Texte."), DP_OK);
    memset(&u, 0, sizeof u);
    assert_int_equal(split(&u, b.data, b.len), DP_OK);
    check_invariants(&u);
    assert_int_equal(u.n, 101);
    for (i = 0; i < 36; i++) {
        assert_int_equal(u.v[i].kind, DP_UNIT_PASSAGE);
        assert_int_equal(u.v[i].ordinal, i + 1);
    }
    for (i = 36; i < 100; i++) {
        assert_int_equal(u.v[i].kind, DP_UNIT_HEADING);
        assert_int_equal(u.v[i].ordinal, 37);
    }
    assert_int_equal(u.v[100].kind, DP_UNIT_PASSAGE);
    assert_int_equal(u.v[100].ordinal, 37);
    assert_section(&u, &u.v[100], "Titre 100");
    units_release(&u);
    dp_buf_release(&b);
}

/* A hard-wrapped block longer than the lines the splitter keeps from its
 * first pass (64): 15 paragraphs of 10 lines, no blank line between them;
 * the paragraphs after the 64th line are read again and come out the
 * same. */
static void test_passage_wrapped_long_block(void **state)
{
    dp_buf b = DP_BUF_INIT;
    char tail[16];
    units u;
    size_t i, k;

    (void)state;
    for (i = 0; i < 15; i++) {
        for (k = 0; k < 9; k++)
            assert_int_equal(dp_buf_addf(&b, "%-66s%03zu\n",
                                         "la ligne longue du paragraphe",
                                         10 * i + k + 1), DP_OK);
        assert_int_equal(dp_buf_addf(&b, "fin %zu.\n", i + 1), DP_OK);
    }
    memset(&u, 0, sizeof u);
    assert_int_equal(split(&u, b.data, b.len), DP_OK);
    check_invariants(&u);
    assert_int_equal(u.n, 15);
    for (i = 0; i < 15; i++) {
        assert_int_equal(u.v[i].kind, DP_UNIT_PASSAGE);
        assert_int_equal(u.v[i].ordinal, i + 1);
        assert_int_equal(u.v[i].line, 10 * i + 1);
        assert_int_equal(u.v[i].line_end, 10 * i + 10);
        assert_memory_equal(b.data + u.v[i].start, "la ligne longue", 15);
        snprintf(tail, sizeof tail, "fin %zu.", i + 1);
        assert_memory_equal(b.data + u.v[i].end - strlen(tail), tail,
                            strlen(tail));
    }
    units_release(&u);
    dp_buf_release(&b);
}

/* A non-zero callback result stops the split and comes back unchanged,
 * wherever the unit is emitted from. */
static void test_passage_callback_stops(void **state)
{
    static const struct {
        const char *in;
        size_t stop_after;
        size_t total;
    } stops[] = {
        { "Un.\nDeux.\nTrois.", 2, 3 },          /* plain passage */
        { "A\nB\nC\nTexte.", 2, 4 },             /* while flushing headings */
        { "Texte.\nA\nB\nC", 3, 4 },             /* in the final flush */
        { "Un.\n\nDeux.", 1, 2 },                /* first unit */
    };
    units u;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        memset(&u, 0, sizeof u);
        assert_int_equal(split(&u, stops[i].in, strlen(stops[i].in)), DP_OK);
        assert_int_equal(u.n, stops[i].total);
        units_release(&u);

        memset(&u, 0, sizeof u);
        u.stop_after = stops[i].stop_after;
        u.stop_rc = 42;
        assert_int_equal(split(&u, stops[i].in, strlen(stops[i].in)), 42);
        assert_int_equal(u.n, stops[i].stop_after);
        units_release(&u);

        memset(&u, 0, sizeof u);
        u.stop_after = stops[i].stop_after;
        u.stop_rc = -7;
        assert_int_equal(split(&u, stops[i].in, strlen(stops[i].in)), -7);
        units_release(&u);
    }
}

static void test_passage_bad_args(void **state)
{
    dp_error err = DP_ERROR_INIT;
    units u;

    (void)state;
    memset(&u, 0, sizeof u);
    assert_int_equal(dp_passage_split("x", 1, NULL, NULL, &err), DP_EINVAL);
    assert_int_equal(err.code, DP_EINVAL);
    assert_int_equal(dp_passage_split(NULL, 5, collect, &u, NULL), DP_EINVAL);
    assert_int_equal(dp_passage_split(NULL, 0, collect, &u, NULL), DP_OK);
    assert_int_equal(u.n, 0);
    units_release(&u);
}

/* One 16 MiB line, with and without a final line end: one passage, found
 * in linear time. */
static void test_passage_huge_line(void **state)
{
    static const char word[] = "mot d'une seule ligne sans fin ";
    size_t n = (size_t)16 << 20, i;
    char *s = malloc(n + 2);
    units u;

    (void)state;
    assert_non_null(s);
    for (i = 0; i < n; i++)
        s[i] = word[i % (sizeof word - 1)];
    s[n - 1] = '.';
    s[n] = '\n';
    s[n + 1] = '\0';
    memset(&u, 0, sizeof u);
    assert_int_equal(split(&u, s, n), DP_OK);
    assert_int_equal(u.n, 1);
    assert_int_equal(u.v[0].kind, DP_UNIT_PASSAGE);
    assert_int_equal(u.v[0].start, 0);
    assert_int_equal(u.v[0].end, n);
    units_release(&u);

    memset(&u, 0, sizeof u);
    assert_int_equal(split(&u, s, n + 1), DP_OK);
    assert_int_equal(u.n, 1);
    assert_int_equal(u.v[0].end, n);
    assert_int_equal(u.v[0].line_end, 1);
    units_release(&u);
    free(s);
}

/* Arbitrary bytes (invalid UTF-8, NULs, stray CRs) never break the
 * invariants. */
static void test_passage_garbage(void **state)
{
    static const char alphabet[] = "ab .:\n\r\t\xC3\xA9\xE2\x80\xA6\xFF\x80"
                                   "\xEF\xBB\xBF]\"[1";
    uint32_t seed = 12345;
    char buf[4096];
    units u;
    size_t round, i, len;

    (void)state;
    for (round = 0; round < 300; round++) {
        len = round * 13 % sizeof buf;
        for (i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        memset(&u, 0, sizeof u);
        assert_int_equal(split(&u, buf, len), DP_OK);
        check_invariants(&u);
        units_release(&u);
    }
}

/* ------------------------------------------------------------------ */
/* The bundled corpus and the wrapped fixture                           */
/* ------------------------------------------------------------------ */

static void test_passage_corpus_000(void **state)
{
    static const struct { uint32_t line; const char *text; } heads[] = {
        { 3, "Réunions officielles" },
        { 10, "Relations économiques" },
        { 20, "Coopération militaire" },
        { 26, "Relations culturelles" },
        { 30, "Ambassade" },
    };
    size_t len, i, h = 0;
    char *s = slurp("corpus/000_4c187126246bc5f9.txt", &len);
    units u;
    const dp_passage *p;

    (void)state;
    memset(&u, 0, sizeof u);
    assert_int_equal(split(&u, s, len), DP_OK);
    check_invariants(&u);
    /* Every line is a unit: 5 headings and 26 passages. */
    assert_shape(&u, "PPHPPPPPPHPPPPPPPPPHPPPPPHPPPHP");
    assert_int_equal(count_kind(&u, DP_UNIT_PASSAGE), 26);
    for (i = 0; i < u.n; i++) {
        assert_int_equal(u.v[i].line, i + 1);
        assert_int_equal(u.v[i].line_end, i + 1);
        if (u.v[i].kind == DP_UNIT_HEADING)
            assert_span(&u, &u.v[i], heads[h++].text);
    }
    assert_int_equal(h, 5);
    for (i = 0; i < 5; i++)
        assert_int_equal(find_line(&u, heads[i].line)->kind,
                         DP_UNIT_HEADING);
    p = find_line(&u, 1);
    assert_int_equal(p->ordinal, 1);
    assert_section(&u, p, NULL);
    assert_int_equal(p->start, 0);
    assert_section(&u, find_line(&u, 2), NULL);
    p = find_line(&u, 4);
    assert_int_equal(p->ordinal, 3);
    assert_section(&u, p, "Réunions officielles");
    p = find_line(&u, 5);
    assert_int_equal(p->ordinal, 4);
    assert_int_equal(p->kind, DP_UNIT_PASSAGE);
    assert_section(&u, find_line(&u, 11), "Relations économiques");
    assert_section(&u, find_line(&u, 19), "Relations économiques");
    assert_section(&u, find_line(&u, 25), "Coopération militaire");
    assert_section(&u, find_line(&u, 29), "Relations culturelles");
    p = find_line(&u, 31);
    assert_int_equal(p->ordinal, 26);
    assert_section(&u, p, "Ambassade");
    assert_int_equal(find_line(&u, 30)->ordinal, 26);
    units_release(&u);
    free(s);
}

static void test_passage_corpus_001(void **state)
{
    static const char title9[] =
        "Déclaration conjointe sur l’établissement des relations de "
        "partenariat stratégique global entre la République "
        "d’Azerbaïdjan et la République populaire de Chine";
    size_t len, i;
    char *s = slurp("corpus/001_ea4138b068591137.txt", &len);
    units u;
    const dp_passage *p;

    (void)state;
    memset(&u, 0, sizeof u);
    assert_int_equal(split(&u, s, len), DP_OK);
    check_invariants(&u);
    /* Lines 1, 3, 9 and 46 are headings; line 2 is blank. */
    assert_shape(&u, "HHPPPPPHPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPHP");
    assert_int_equal(count_kind(&u, DP_UNIT_PASSAGE), 42);
    assert_null(find_line(&u, 2));
    for (i = 1; i < u.n; i++)
        assert_int_equal(u.v[i].line, i + 2);
    p = find_line(&u, 1);
    assert_int_equal(p->kind, DP_UNIT_HEADING);
    assert_span(&u, p, "L'AZERBAÏDJAN ET LA CHINE SCELLENT UN PARTENARIAT "
                       "STRATÉGIQUE GLOBAL PAR UNE DÉCLARATION CONJOINTE");
    p = find_line(&u, 3);
    assert_int_equal(p->kind, DP_UNIT_HEADING);
    assert_span(&u, p, "Paris / La Gazette");
    p = find_line(&u, 4);
    assert_int_equal(p->ordinal, 1);
    assert_section(&u, p, "Paris / La Gazette");
    /* Line 8 ends with ':' before the title: a passage. */
    p = find_line(&u, 8);
    assert_int_equal(p->kind, DP_UNIT_PASSAGE);
    assert_int_equal(p->ordinal, 5);
    p = find_line(&u, 9);
    assert_int_equal(p->kind, DP_UNIT_HEADING);
    assert_span(&u, p, title9);
    p = find_line(&u, 12);
    assert_int_equal(p->kind, DP_UNIT_PASSAGE);
    assert_int_equal(p->ordinal, 8);
    assert_true(strncmp(s + p->start, "1. Les Parties se soutiennent", 29)
                == 0);
    assert_section(&u, p, title9);
    assert_section(&u, find_line(&u, 45), title9);
    /* The signature line, then the date line that ends the text. */
    p = find_line(&u, 46);
    assert_int_equal(p->kind, DP_UNIT_HEADING);
    p = find_line(&u, 47);
    assert_int_equal(p->ordinal, 42);
    assert_span(&u, p, "Pékin, le 23 avril 2025.");
    units_release(&u);
    free(s);
}

static void test_passage_corpus_002(void **state)
{
    size_t len, i;
    char *s = slurp("corpus/002_7c7b68eb1ae0abd2.txt", &len);
    units u;

    (void)state;
    memset(&u, 0, sizeof u);
    assert_int_equal(split(&u, s, len), DP_OK);
    check_invariants(&u);
    assert_shape(&u, "PPPPPHPPPPPPPP");
    assert_int_equal(count_kind(&u, DP_UNIT_PASSAGE), 13);
    for (i = 0; i < u.n; i++)
        assert_int_equal(u.v[i].line, i + 1);
    assert_span(&u, find_line(&u, 6),
                "Perspectives générales de coopération");
    for (i = 1; i <= 5; i++)
        assert_section(&u, find_line(&u, (uint32_t)i), NULL);
    for (i = 7; i <= 14; i++)
        assert_section(&u, find_line(&u, (uint32_t)i),
                       "Perspectives générales de coopération");
    assert_int_equal(find_line(&u, 7)->ordinal, 6);
    assert_int_equal(find_line(&u, 14)->ordinal, 13);
    units_release(&u);
    free(s);
}

static void test_passage_wrapped_fixture(void **state)
{
    static const struct {
        uint32_t line, line_end;
        const char *head, *tail;
    } want[] = {
        { 5, 10, "Le matin où", "avant son\ndépart." },
        { 12, 16, "Ces instructions", "difficiles à concilier." },
        { 18, 22, "À la chancellerie", "avant de répondre." },
        { 24, 29, "Il ouvrit le premier", "des deux\npays." },
        { 31, 34, "Vers midi,", "sort de toute sa mission." },
    };
    size_t len, i;
    char *s = slurp("tests/fixtures/wrapped_gutenberg.txt", &len);
    units u;
    const dp_passage *p;

    (void)state;
    memset(&u, 0, sizeof u);
    assert_int_equal(split(&u, s, len), DP_OK);
    check_invariants(&u);
    assert_shape(&u, "HHPPPPP");
    assert_span(&u, &u.v[0], "LA MISSION DE BAKOU");
    assert_span(&u, &u.v[1], "CHAPITRE PREMIER");
    assert_int_equal(u.v[1].line, 3);
    for (i = 0; i < 5; i++) {
        p = &u.v[i + 2];
        assert_int_equal(p->ordinal, i + 1);
        assert_int_equal(p->line, want[i].line);
        assert_int_equal(p->line_end, want[i].line_end);
        assert_memory_equal(s + p->start, want[i].head,
                            strlen(want[i].head));
        assert_memory_equal(s + p->end - strlen(want[i].tail), want[i].tail,
                            strlen(want[i].tail));
        assert_section(&u, p, "CHAPITRE PREMIER");
    }
    units_release(&u);
    free(s);
}

/* The same fixture with CRLF and with CR line ends, and a BOM: same
 * lines, spans shifted by the extra bytes. */
static void test_passage_wrapped_line_ends(void **state)
{
    static const char *const eols[] = { "\r\n", "\r" };
    size_t len, i, k;
    char *s = slurp("tests/fixtures/wrapped_gutenberg.txt", &len);
    dp_buf b = DP_BUF_INIT;
    units ref, u;

    (void)state;
    memset(&ref, 0, sizeof ref);
    assert_int_equal(split(&ref, s, len), DP_OK);
    for (k = 0; k < 2; k++) {
        dp_buf_reset(&b);
        assert_int_equal(dp_buf_adds(&b, "\xEF\xBB\xBF"), DP_OK);
        for (i = 0; i < len; i++) {
            if (s[i] == '\n')
                assert_int_equal(dp_buf_adds(&b, eols[k]), DP_OK);
            else
                assert_int_equal(dp_buf_addc(&b, s[i]), DP_OK);
        }
        memset(&u, 0, sizeof u);
        assert_int_equal(split(&u, b.data, b.len), DP_OK);
        check_invariants(&u);
        assert_int_equal(u.n, ref.n);
        for (i = 0; i < u.n; i++) {
            assert_int_equal(u.v[i].kind, ref.v[i].kind);
            assert_int_equal(u.v[i].ordinal, ref.v[i].ordinal);
            assert_int_equal(u.v[i].line, ref.v[i].line);
            assert_int_equal(u.v[i].line_end, ref.v[i].line_end);
            /* First and last words agree. */
            assert_memory_equal(b.data + u.v[i].start, s + ref.v[i].start, 5);
            assert_memory_equal(b.data + u.v[i].end - 5, s + ref.v[i].end - 5,
                                5);
        }
        units_release(&u);
    }
    units_release(&ref);
    dp_buf_release(&b);
    free(s);
}

/* The number a paragraph opens with: input -> expected. */
static void test_passage_number(void **state)
{
    static const struct {
        const char *text;
        uint32_t want;
    } num_cases[] = {
        { "12. La Chine soutient", 12 },
        { "1. Les Parties", 1 },
        { "  3.\tLes Parties", 3 },              /* space before, tab after */
        { "7.\xC2\xA0Les Parties", 7 },          /* no-break space after */
        { "9.", 9 },                             /* the whole passage */
        { "\xC2\xA7 12 Les Parties", 12 },       /* § 12 */
        { "\xC2\xA7" "12. Les Parties", 12 },    /* §12. */
        { "\xC2\xA7\xC2\xA0" "4 Texte", 4 },     /* § NBSP 4 */
        { "\xC2\xA7" "5", 5 },
        { "9999. Fin", 9999 },
        { "10000. Dix mille", 10000 },           /* a long report */
        { "999999999. Fin", 999999999 },
        { "1000000000. Trop long", 0 },          /* ten digits */
        { "2025 a vu la signature", 0 },         /* no full stop */
        { "1.5 million d'euros", 0 },            /* a decimal number */
        { "12 États membres", 0 },
        { "12) Les Parties", 0 },                /* a list item */
        { "012. Zéro en tête", 0 },
        { "0. Zéro", 0 },
        { "12.Les Parties", 0 },                 /* no space after */
        { "\xC2\xA7 Les Parties", 0 },           /* § without a number */
        { "\xC2\xA7" "12a", 0 },
        { "Article 12. Texte", 0 },
        { "a. Texte", 0 },
        { "IV. Titre", 0 },
        { "", 0 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof num_cases / sizeof num_cases[0]; i++) {
        uint32_t got = dp_passage_number(num_cases[i].text,
                                         strlen(num_cases[i].text));
        if (got != num_cases[i].want)
            fail_msg("\"%s\": %u, expected %u", num_cases[i].text, got,
                     num_cases[i].want);
    }
    assert_int_equal(dp_passage_number(NULL, 0), 0);
    /* The length bounds the text: "12." of "12.5" is a number. */
    assert_int_equal(dp_passage_number("12.5", 3), 12);
}

/* Whether a file's passage numbers number its paragraphs. */
static void test_passage_numbered(void **state)
{
    static const struct {
        uint32_t nums[16];
        size_t n;
        bool want;
    } num_cases[] = {
        { { 1, 2, 3 }, 3, true },
        { { 0, 0, 1, 0, 2, 3, 0, 4 }, 8, true },   /* preamble, sequels */
        { { 1, 2 }, 2, false },                     /* too few */
        { { 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 13, false }, /* a list */
        { { 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, true }, /* a quarter */
        { { 2, 3, 4 }, 3, false },                  /* not from 1 */
        { { 1, 2, 4, 5 }, 4, false },               /* one left out */
        { { 1, 2, 2, 3 }, 4, false },               /* repeated */
        { { 1, 2, 3, 1, 2, 3 }, 6, false },         /* starts again */
        { { 1, 3, 2 }, 3, false },                  /* out of order */
        { { 0, 0, 0 }, 3, false },
        { { 0 }, 0, false },
    };

    (void)state;
    for (size_t i = 0; i < sizeof num_cases / sizeof num_cases[0]; i++) {
        if (dp_passage_numbered(num_cases[i].nums, num_cases[i].n) !=
            num_cases[i].want)
            fail_msg("case %zu: expected %s", i,
                     num_cases[i].want ? "numbered" : "not numbered");
    }
}

/* The bundled files: the joint declaration numbers its paragraphs 1 to
 * 18 (lines 12 to 45); the other two do not. */
static void test_passage_numbered_corpus(void **state)
{
    static const struct {
        const char *path;
        bool numbered;
    } files[] = {
        { "corpus/000_4c187126246bc5f9.txt", false },
        { "corpus/001_ea4138b068591137.txt", true },
        { "corpus/002_7c7b68eb1ae0abd2.txt", false },
    };

    (void)state;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t len, np = 0;
        uint32_t nums[256], next = 1;
        char *s = slurp(files[f].path, &len);
        units u;

        memset(&u, 0, sizeof u);
        assert_int_equal(split(&u, s, len), DP_OK);
        for (size_t i = 0; i < u.n; i++) {
            if (u.v[i].kind != DP_UNIT_PASSAGE)
                continue;
            assert_true(np < 256);
            nums[np] = dp_passage_number(s + u.v[i].start,
                                         u.v[i].end - u.v[i].start);
            if (files[f].numbered && nums[np] != 0) {
                /* "1." on line 12, "18." on line 45 */
                assert_int_equal(nums[np], next);
                if (next == 1)
                    assert_int_equal(u.v[i].line, 12);
                if (next == 18)
                    assert_int_equal(u.v[i].line, 45);
                next++;
            }
            np++;
        }
        assert_int_equal(dp_passage_numbered(nums, np), files[f].numbered);
        if (files[f].numbered)
            assert_int_equal(next, 19);
        units_release(&u);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passage_cases),
        cmocka_unit_test(test_passage_markdown),
        cmocka_unit_test(test_passage_front_matter),
        cmocka_unit_test(test_passage_format_of),
        cmocka_unit_test(test_passage_run),
        cmocka_unit_test(test_passage_heading_length),
        cmocka_unit_test(test_passage_pending_cap),
        cmocka_unit_test(test_passage_wrapped_long_block),
        cmocka_unit_test(test_passage_callback_stops),
        cmocka_unit_test(test_passage_bad_args),
        cmocka_unit_test(test_passage_huge_line),
        cmocka_unit_test(test_passage_garbage),
        cmocka_unit_test(test_passage_corpus_000),
        cmocka_unit_test(test_passage_corpus_001),
        cmocka_unit_test(test_passage_corpus_002),
        cmocka_unit_test(test_passage_wrapped_fixture),
        cmocka_unit_test(test_passage_wrapped_line_ends),
        cmocka_unit_test(test_passage_number),
        cmocka_unit_test(test_passage_numbered),
        cmocka_unit_test(test_passage_numbered_corpus),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
