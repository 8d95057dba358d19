/* analyzer.c -- French analysis: ICU words, elisions, folding, stemming. */
#include "depeche/analyzer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>
#include <unicode/utrans.h>
#include <xxhash.h>

#include "fold_rules.h"
#include "fold_table.h" /* generated: dp_fold_table */
#include "i18n.h"
#include "xapian_shim.h"

/* Folding (lib/fold_rules.h), in ICU transliterator syntax. */
static const char fold_rules[] = DP_FOLD_RULES;

/* A piece of a word longer than this many input bytes is skipped without
 * being folded: even with every accent removed it could not fold to
 * DP_MAX_TERM_BYTES, and it bounds the work on a huge run of letters. */
#define AN_MAX_RAW_BYTES (8 * DP_MAX_TERM_BYTES)
/* UTF-16 scratch for folding: room for NFKD expansion of a raw piece. */
#define AN_U16_CAP (4 * AN_MAX_RAW_BYTES)
/* An ordinal's stem: at most 4 digits (or XXXIX) and "e". */
#define AN_ORD_CAP 8
/* Folded UTF-8 scratch: 3 bytes per UTF-16 unit at most. */
#define AN_NORM_CAP (3 * AN_U16_CAP)
/* A stem is never longer than its word; this is a safety bound. */
#define AN_STEM_LIMIT (4 * DP_MAX_TERM_BYTES)
/* Texts up to this many bytes are broken into words in a UTF-16 copy
 * (ICU's break iterator runs about a quarter faster on UTF-16 than through
 * a UTF-8 UText); longer ones, which would make the copy big, through the
 * UText.  The words are the same either way. */
#define AN_U16_TEXT_MAX (64 * 1024)

/* Cache of piece bytes -> (norm, stem, alt, flags), direct-mapped,
 * bounded.  Most words of a text repeat; a hit skips ICU and Snowball. */
#define AN_CACHE_SLOTS 65536u /* a power of two */
/* The cache starts this small and grows to AN_CACHE_SLOTS after
 * AN_CACHE_GROW lookups: a one-query process analyses a few thousand
 * words, and each page of the cache it touched first would cost a page
 * fault (measured: a third of a one-query run with a full cache, then of
 * 1 MB). */
#define AN_CACHE_FIRST 1024u
#define AN_CACHE_GROW (256u * 1024u)
#define AN_CACHE_DATA 55      /* key + norm + stem + alt: a 64-byte entry */

/* Code points whose fold is tabulated at build time (fold_table.h). */
#define AN_FAST_SLOW 0xFF /* entry len: fold with the transliterator */
#define AN_FAST_RANGES (sizeof dp_fold_ranges / sizeof *dp_fold_ranges)

typedef struct an_cache_entry {
    uint32_t hash;          /* 32 bits of the key's hash; 0: empty */
    uint8_t klen, nlen;     /* key and norm lengths */
    uint8_t slen, alen;     /* stem and alt lengths */
    uint8_t flags;          /* DP_TOK_* */
    char data[AN_CACHE_DATA]; /* key, then norm, then stem, then alt */
} an_cache_entry;

struct dp_analyzer {
    UBreakIterator *words;    /* ICU word break iterator, locale fr */
    UTransliterator *fold;    /* fold_rules, opened when first needed */
    const dp_i18n *i18n;      /* the library fold comes from */
    xshim_stem *stemmer;      /* Snowball French */
    const UNormalizer2 *nfc;  /* composes accents before Snowball */
    UText text;               /* long texts: reused for each run (UTF-8) */
    UChar *t16;               /* short texts: the text in UTF-16 ... */
    int32_t *t16_off;         /* ... the byte offset of each unit, and one
                                 past the last: the text's length */
    dp_buf stem;              /* scratch: the stem of the folded word */
    dp_buf astem;             /* scratch: the folded stem of the word */
    UChar lower[AN_U16_CAP];     /* scratch: the word in lowercase */
    char key[AN_MAX_RAW_BYTES];  /* scratch: an acronym without dots,
                                    a number without its group spaces */
    char ord[AN_ORD_CAP];        /* scratch: an ordinal's stem ("21e") */
    UChar u16[AN_U16_CAP];       /* scratch: folding in UTF-16 */
    char norm[AN_NORM_CAP + 1];  /* scratch: the folded word */
    an_cache_entry *cache;    /* cache_slots entries */
    uint32_t cache_slots;     /* AN_CACHE_FIRST, then AN_CACHE_SLOTS */
    uint32_t lookups;         /* until the cache grows */
};

/* The forms of one word, borrowed from the analyzer until the next word. */
typedef struct an_term {
    const char *norm;
    size_t norm_len;
    const char *stem;
    size_t stem_len;
    const char *alt;
    size_t alt_len;
    unsigned flags;
} an_term;

/* What a piece of a word is, for its key (analyze_piece()). */
typedef enum an_piece {
    AN_PIECE_WORD,      /* as written */
    AN_PIECE_ACRONYM,   /* "O.N.U": the dots go */
    AN_PIECE_NUMBER     /* "15 000": the spaces between groups go */
} an_piece;

/* The state of one dp_analyzer_run(). */
typedef struct an_run {
    const uint8_t *text;
    size_t len;     /* of text */
    uint32_t pos;   /* position of the next token */
    dp_token_cb cb;
    void *ctx;
    const dp_token_filter *filter; /* NULL: every word in full */
    dp_error *err;
} an_run;

/* French stop words, folded, in strcmp() order (the Snowball list plus a
 * few common words).  Elided forms (l, d, qu, ...) are here too because
 * "l’" alone, e.g. before a digit or at the end, is a token
 * (lone_elision()). */
typedef struct an_word {
    const char *s;
    size_t len;
} an_word;
#define W(s) { s, sizeof s - 1 }

static const an_word stopwords[] = {
    W("a"), W("ai"), W("aie"), W("aient"), W("aies"), W("ait"), W("as"),
    W("au"), W("aura"), W("aurai"), W("auraient"), W("aurais"), W("aurait"),
    W("auras"), W("aurez"), W("auriez"), W("aurions"), W("aurons"),
    W("auront"), W("aux"), W("avaient"), W("avais"), W("avait"), W("avec"),
    W("avez"), W("aviez"), W("avions"), W("avoir"), W("avons"), W("ayant"),
    W("ayante"), W("ayantes"), W("ayants"), W("ayez"), W("ayons"), W("c"),
    W("ce"), W("ces"), W("cet"), W("cette"), W("combien"), W("comment"),
    W("d"), W("dans"), W("de"), W("des"), W("dont"), W("du"), W("elle"),
    W("en"), W("es"), W("est"), W("et"), W("etaient"), W("etais"), W("etait"),
    W("etant"), W("etante"), W("etantes"), W("etants"), W("ete"), W("etee"),
    W("etees"), W("etes"), W("etiez"), W("etions"), W("etre"), W("eu"),
    W("eue"), W("eues"), W("eumes"), W("eurent"), W("eus"), W("eusse"),
    W("eussent"), W("eusses"), W("eussiez"), W("eussions"), W("eut"),
    W("eutes"), W("eux"), W("fumes"), W("furent"), W("fus"), W("fusse"),
    W("fussent"), W("fusses"), W("fussiez"), W("fussions"), W("fut"),
    W("futes"), W("il"), W("ils"), W("j"), W("je"), W("l"), W("la"),
    W("laquelle"), W("le"), W("lequel"), W("les"), W("lesquelles"),
    W("lesquels"), W("leur"), W("leurs"), W("lui"), W("m"), W("ma"), W("mais"),
    W("me"), W("meme"), W("mes"), W("moi"), W("mon"), W("n"), W("ne"),
    W("nos"), W("notre"), W("nous"), W("on"), W("ont"), W("ou"), W("par"),
    W("pas"), W("plus"), W("pour"), W("pourquoi"), W("qu"), W("quand"),
    W("que"), W("quel"), W("quelle"), W("quelles"), W("quels"), W("qui"),
    W("quoi"), W("s"), W("sa"), W("se"), W("sera"), W("serai"), W("seraient"),
    W("serais"), W("serait"), W("seras"), W("serez"), W("seriez"),
    W("serions"), W("serons"), W("seront"), W("ses"), W("soient"), W("sois"),
    W("soit"), W("sommes"), W("son"), W("sont"), W("soyez"), W("soyons"),
    W("suis"), W("sur"), W("t"), W("ta"), W("te"), W("tes"), W("toi"),
    W("ton"), W("tu"), W("un"), W("une"), W("vos"), W("votre"), W("vous"),
    W("y"),
};
#undef W

#define AN_MAX_STOPWORD 10 /* strlen("lesquelles"), the longest above */

/* Elided words, dropped with their apostrophe before the next word. */
static const char *const elisions[] = {
    "c", "d", "j", "jusqu", "l", "lorsqu", "m", "n", "puisqu", "qu",
    "quoiqu", "s", "t",
};
#define AN_MAX_ELISION 6 /* strlen("lorsqu") */

/* ---- stop words ------------------------------------------------------- */

/* Compare <norm, len> with a stop word, like strcmp(). */
static int stopword_cmp(const char *norm, size_t len, const an_word *word)
{
    int c = memcmp(norm, word->s, len < word->len ? len : word->len);

    if (c == 0)
        c = len < word->len ? -1 : len > word->len;
    return c;
}

bool dp_analyzer_is_stopword(const char *norm, size_t len)
{
    size_t lo = 0, hi = sizeof stopwords / sizeof stopwords[0];
    bool found = false;

    /* Most words of a text are longer than any stop word: no search. */
    if (len > AN_MAX_STOPWORD)
        return false;
    while (norm != NULL && !found && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = stopword_cmp(norm, len, &stopwords[mid]);

        if (c == 0)
            found = true;
        else if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return found;
}

/* ---- characters ------------------------------------------------------- */

/* ' U+2019 U+02BC, and what texts and keyboards put in their place:
 * U+2018 (a word processor's wrong quote, kept inside a word by ICU as
 * U+2019 is), U+FF07, and the acute accent and grave accent of typewritten
 * and OCR'd texts ("l´Europe", "l`Europe"), at which ICU splits a word:
 * these elide an article before a vowel or an h (lone_elision()). */
bool dp_analyzer_is_apostrophe(int32_t c)
{
    return c == 0x27 || c == 0x2019 || c == 0x02BC || c == 0x2018 ||
           c == 0xFF07 || c == 0xB4 || c == 0x60;
}

/* Letters, digits, marks and invisible format characters belong to a word;
 * anything else inside an ICU word (. , · : _ ...) separates pieces. */
static bool is_word_char(UChar32 c)
{
    bool word = false;

    if (c < 0x80) {
        word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9');
    } else {
        switch (u_charType(c)) {
        case U_UPPERCASE_LETTER: case U_LOWERCASE_LETTER:
        case U_TITLECASE_LETTER: case U_MODIFIER_LETTER:
        case U_OTHER_LETTER: case U_NON_SPACING_MARK:
        case U_ENCLOSING_MARK: case U_COMBINING_SPACING_MARK:
        case U_DECIMAL_DIGIT_NUMBER: case U_LETTER_NUMBER:
        case U_OTHER_NUMBER: case U_FORMAT_CHAR:
            word = true;
            break;
        default:
            break;
        }
    }
    return word;
}

static bool is_letter(UChar32 c)
{
    return c < 0x80 ? (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    : u_isalpha(c) != 0;
}

/* A mark or format character that extends the letter before it. */
static bool is_extender(UChar32 c)
{
    int8_t t = c < 0x80 ? U_UNASSIGNED : u_charType(c);

    return t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK ||
           t == U_COMBINING_SPACING_MARK || t == U_FORMAT_CHAR;
}

static bool is_digit(UChar32 c)
{
    return c < 0x80 ? c >= '0' && c <= '9' : u_isdigit(c) != 0;
}

/* The code point at s[i] (i < end), without moving i. */
static UChar32 peek(const uint8_t *s, size_t i, size_t end)
{
    UChar32 c;

    U8_NEXT(s, i, end, c);
    return c;
}

/* The code point that ends at s[i] (i > start). */
static UChar32 peek_back(const uint8_t *s, size_t start, size_t i)
{
    UChar32 c;
    size_t from = i - start > 4 ? i - 4 : start;
    /* U8_PREV takes int32_t indexes: give it a window of at most 4 bytes
     * (one code point) so that the text's size does not matter. */
    int32_t j = (int32_t)(i - from);

    U8_PREV(s + from, 0, j, c);
    return c;
}

/* ---- elisions, acronyms ----------------------------------------------- */

static bool is_elision(const uint8_t *p, size_t n)
{
    char low[AN_MAX_ELISION];
    size_t i;
    bool found = false;

    if (n == 0 || n > AN_MAX_ELISION)
        goto done;
    /* ASCII lowercase is enough: every article is ASCII; anything else
     * simply does not match. */
    for (i = 0; i < n; i++)
        low[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] - 'A' + 'a')
                                              : (char)p[i];
    for (i = 0; !found && i < sizeof elisions / sizeof elisions[0]; i++)
        found = strlen(elisions[i]) == n && memcmp(low, elisions[i], n) == 0;
done:
    return found;
}

bool dp_analyzer_is_elision(const char *word, size_t len)
{
    return is_elision((const uint8_t *)word, len);
}

/* Whether the word [s, e) of @p text is an elided article standing apart
 * from the word it elides: "l’ Europe" (a space after the apostrophe, or
 * a line end: "l’" wrapped), or "l homme", "qu il", "c est" typed without
 * the apostrophe, before a word that begins with a vowel or an h, one
 * space or line end away.  It is then no word, as "l’" in "l’Europe":
 * the texts and the queries read "de l’ Europe", "de l Europe" and
 * "de l’Europe" alike.  So is "l’" before an opening quotation mark and
 * the spaces French sets inside it: "de l’« Année du climat »",
 * "l’\"esprit d’entreprise\"" read as "de l’Année", "l’esprit". */
static bool fold_fast(const char *p, size_t n, char *out, size_t *out_len);

/* An opening quotation mark: « “ „ ‹ and the straight one. */
static bool is_opening_quote(UChar32 c)
{
    return c == 0xAB || c == 0x201C || c == 0x201E || c == 0x2039 || c == '"';
}

/* A space inside French quotation marks: a space, a no-break, a narrow
 * no-break or a thin one. */
static bool is_quote_space(UChar32 c)
{
    return c == ' ' || c == 0xA0 || c == 0x202F || c == 0x2009;
}

static bool lone_elision(const uint8_t *text, size_t len, size_t s, size_t e)
{
    size_t i = e, adv = 0;
    UChar32 c;
    char first[32];
    size_t flen = 0;

    /* Every elided article is one letter or ends in "qu": most words are
     * turned away before is_elision(). */
    if (e - s > 1 && (text[e - 1] | 0x20) != 'u')
        return false;
    if (!is_elision(text + s, e - s))
        return false;
    if (i < len) {
        c = peek(text, i, len);
        if (dp_analyzer_is_apostrophe(c))
            U8_FWD_1(text, i, len);
    }
    if (i > e && i < len && is_opening_quote(peek(text, i, len))) {
        /* "l’« Année": the quotation mark, then at most two spaces */
        U8_FWD_1(text, i, len);
        for (int k = 0; k < 2 && i < len && is_quote_space(peek(text, i, len));
             k++)
            U8_FWD_1(text, i, len);
    } else if (i < len &&
               (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) {
        i++; /* one space or line end */
    } else if (i + 1 < len && text[i] == '\r' && text[i + 1] == '\n') {
        i += 2;
    } else if (i + 1 < len && text[i] == 0xC2 && text[i + 1] == 0xA0) {
        i += 2;
    } else if (i == e || !dp_analyzer_is_apostrophe(peek(text, e, len))) {
        return false; /* "l'" glued to nothing: not this case */
    }
    if (i >= len)
        return false;
    adv = i;
    U8_FWD_1(text, adv, len);
    if (!is_letter(peek(text, i, len)) || adv - i > 4 ||
        !fold_fast((const char *)text + i, adv - i, first, &flen) ||
        flen == 0)
        return false;
    return strchr("aeiouyh", first[0]) != NULL;
}

/* Skip elided articles at the start of [s, e): "l’" in "l’État", "qu’"
 * then "l’" in "qu’l’...".  Only the first few bytes are looked at. */
static size_t strip_elisions(const uint8_t *text, size_t s, size_t e)
{
    bool again = true;

    while (again) {
        /* an elided article's apostrophe starts within its first bytes */
        size_t stop = e - s > AN_MAX_ELISION + 1 ? s + AN_MAX_ELISION + 1 : e;
        size_t i = s, at = s;
        bool quote = false;

        while (!quote && i < stop) {
            UChar32 c;

            at = i;
            U8_NEXT(text, i, e, c);
            quote = dp_analyzer_is_apostrophe(c);
        }
        again = quote && i < e && is_elision(text + s, at - s);
        if (again)
            s = i;
    }
    return s;
}

/* Single letters (with their marks) separated by dots: "O.N.U", "É.U". */
static bool is_acronym(const uint8_t *text, size_t s, size_t e)
{
    size_t i = s, dots = 0;
    bool want_letter = true, ok = true;

    while (ok && i < e) {
        UChar32 c;

        U8_NEXT(text, i, e, c);
        if (want_letter) {
            ok = is_letter(c);
            want_letter = false;
            while (i < e && is_extender(peek(text, i, e)))
                U8_FWD_1(text, i, e);
        } else {
            ok = c == '.';
            dots++;
            want_letter = true;
        }
    }
    return ok && dots > 0 && !want_letter;
}

/* ---- numbers in groups of three digits ---------------------------------- */

/* The bytes of a space that parts the digit groups of a number at
 * text[i]: a space, U+00A0, U+202F or U+2009; 0 if none. */
static size_t group_space(const uint8_t *text, size_t len, size_t i)
{
    if (i < len && text[i] == ' ')
        return 1;
    if (i + 1 < len && text[i] == 0xC2 && text[i + 1] == 0xA0)
        return 2;
    if (i + 2 < len && text[i] == 0xE2 && text[i + 1] == 0x80 &&
        (text[i + 2] == 0xAF || text[i + 2] == 0x89))
        return 3;
    return 0;
}

static bool ascii_digits(const uint8_t *text, size_t s, size_t e)
{
    for (size_t i = s; i < e; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return true;
}

size_t dp_analyzer_number_end(const char *str, size_t len, size_t s,
                              size_t e)
{
    const uint8_t *text = (const uint8_t *)str;
    bool decimal = false;

    if (e <= s || e - s > 3 || e > len || !ascii_digits(text, s, e))
        return e;
    while (!decimal) {
        size_t g = e + group_space(text, len, e), i;

        if (g == e || g + 3 > len || !ascii_digits(text, g, g + 3))
            break;
        i = g + 3;
        /* a decimal part ends the number: "2 500,75" */
        while (i + 1 < len && (text[i] == ',' || text[i] == '.') &&
               ascii_digits(text, i + 1, i + 2)) {
            decimal = true;
            for (i++; i < len && ascii_digits(text, i, i + 1); i++)
                ;
        }
        if (i < len && is_word_char(peek(text, i, len)))
            break;
        e = i;
    }
    return e;
}

/* The end of the number in digit groups that the ICU word [s, e) starts,
 * at or after e (ICU keeps "15" and "000" apart across a space or a
 * no-break space, and joins them across a narrow no-break space, which
 * Unicode makes a number's joiner); 0 when it starts none. */
static size_t grouped_number(const uint8_t *text, size_t len, size_t s,
                             size_t e)
{
    size_t d = s, end;

    while (d < e && d - s <= 3 && text[d] >= '0' && text[d] <= '9')
        d++;
    end = dp_analyzer_number_end((const char *)text, len, s, d);
    return end > d && end >= e ? end : 0;
}

/* ---- folding ---------------------------------------------------------- */

/* Drop spaces and control bytes a compatibility decomposition may bring
 * (U+FDFA decomposes into several words).  Returns the new length. */
static size_t squeeze_controls(char *s, size_t n)
{
    size_t i, j = 0;

    for (i = 0; i < n; i++) {
        if ((uint8_t)s[i] > 0x20 && s[i] != 0x7f)
            s[j++] = s[i];
    }
    return j;
}

/* Open the folding transliterator, once. */
static int open_fold(dp_analyzer *an, dp_error *err)
{
    UErrorCode ustatus = U_ZERO_ERROR;
    UParseError perr;
    UChar rules[sizeof fold_rules];
    int32_t rules_len = 0;

    if (an->fold != NULL)
        return DP_OK;
    an->i18n = dp_i18n_get(err);
    if (an->i18n == NULL)
        return DP_EICU;
    u_strFromUTF8(rules, (int32_t)(sizeof rules / sizeof rules[0]),
                  &rules_len, fold_rules, -1, &ustatus);
    an->fold = an->i18n->trans_open(u"dp-fold", -1, UTRANS_FORWARD, rules,
                                    rules_len, &perr, &ustatus);
    if (U_FAILURE(ustatus)) {
        if (an->fold != NULL)
            an->i18n->trans_close(an->fold);
        an->fold = NULL;
        return dp_error_set(err, DP_EICU,
                            "analyzer: folding transliterator: %s",
                            u_errorName(ustatus));
    }
    return DP_OK;
}

/* Fold the UTF-16 in an->u16[0, ulen) in place with the transliterator,
 * then into UTF-8 at an->norm.  DP_ELIMIT if it outgrows the scratch. */
static int fold_u16(dp_analyzer *an, int32_t ulen, size_t *out_len,
                    dp_error *err)
{
    UErrorCode ustatus = U_ZERO_ERROR;
    int32_t limit = ulen, olen = 0;
    int rc = open_fold(an, err);

    if (rc < 0)
        return rc;

    an->i18n->trans_uchars(an->fold, an->u16, &ulen, AN_U16_CAP, 0, &limit,
                           &ustatus);
    if (ustatus == U_BUFFER_OVERFLOW_ERROR || ulen > AN_U16_CAP) {
        rc = DP_ELIMIT;
        goto done;
    }
    if (U_FAILURE(ustatus)) {
        rc = dp_error_set(err, DP_EICU, "analyzer: folding failed: %s",
                          u_errorName(ustatus));
        goto done;
    }
    u_strToUTF8(an->norm, AN_NORM_CAP, &olen, an->u16, ulen, &ustatus);
    if (U_FAILURE(ustatus) || olen > AN_NORM_CAP) {
        rc = DP_ELIMIT;
        goto done;
    }
    *out_len = (size_t)olen;
done:
    return rc;
}

/* The tabulated fold of code point @p c as (bytes, length), or NULL. */
static const char *fast_entry(UChar32 c, size_t *len)
{
    size_t k = 0, r;

    for (r = 0; r < AN_FAST_RANGES; r++) {
        if (c <= (UChar32)dp_fold_ranges[r].last) {
            if (c < (UChar32)dp_fold_ranges[r].first)
                return NULL;
            k = dp_fold_ranges[r].at + (size_t)(c - dp_fold_ranges[r].first);
            break;
        }
    }
    if (r == AN_FAST_RANGES || dp_fold_table[k].len == AN_FAST_SLOW)
        return NULL;
    *len = dp_fold_table[k].len;
    return dp_fold_table[k].s;
}

/* Fold through the per-code-point table: the transliterator applied to a
 * word of the table's characters is the concatenation of their folds (NFKD
 * decomposes each one apart, the marks it yields are removed, Latin-ASCII's
 * contexts only choose letter case, which Lower then erases, and nothing is
 * left for NFC to compose; a character whose fold depends on its
 * neighbours, the Greek capital sigma, is not in the table).  false when
 * some character is not in the table; the caller then runs the
 * transliterator on the whole word. */
static bool fold_fast(const char *p, size_t n, char *out, size_t *out_len)
{
    const uint8_t *s = (const uint8_t *)p;
    size_t i = 0, o = 0;
    bool ok = true;

    while (ok && i < n) {
        UChar32 c;
        const char *f;
        size_t flen = 0;

        if (s[i] < 0x80) {
            c = s[i++];
            out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a')
                                              : (char)c;
            continue;
        }
        U8_NEXT(s, i, n, c);
        f = fast_entry(c, &flen);
        ok = f != NULL;
        if (ok) {
            memcpy(out + o, f, flen);
            o += flen;
        }
    }
    *out_len = o;
    return ok;
}

/* Fold @p n bytes into an->norm.  DP_ELIMIT when the result could exceed
 * DP_MAX_TERM_BYTES. */
static int fold_word(dp_analyzer *an, const char *p, size_t n,
                     size_t *norm_len, dp_error *err)
{
    UErrorCode ustatus = U_ZERO_ERROR;
    int32_t ulen = 0;
    size_t len = 0;
    int rc = DP_OK;

    /* fold_fast writes at most 7 bytes per 2 input bytes: this bound
     * also keeps it inside an->norm. */
    if (n > AN_MAX_RAW_BYTES) {
        rc = DP_ELIMIT;
        goto done;
    }
    if (!fold_fast(p, n, an->norm, &len)) {
        u_strFromUTF8WithSub(an->u16, AN_U16_CAP, &ulen, p, (int32_t)n,
                             0xFFFD, NULL, &ustatus);
        if (U_FAILURE(ustatus) || ulen >= AN_U16_CAP) {
            rc = DP_ELIMIT;
            goto done;
        }
        rc = fold_u16(an, ulen, &len, err);
        if (rc < 0)
            goto done;
    }
    len = squeeze_controls(an->norm, len);
    if (len > DP_MAX_TERM_BYTES) {
        rc = DP_ELIMIT;
        goto done;
    }
    an->norm[len] = '\0';
    *norm_len = len;
done:
    return rc;
}

/* Stem the folded word in an->norm into an->stem.  Numbers are their own
 * stem: Snowball would cut "1990s"-like forms arbitrarily. */
static int stem_word(dp_analyzer *an, const char *norm, size_t len,
                     dp_error *err)
{
    int rc = DP_OK;

    dp_buf_reset(&an->stem);
    if (len > 0 && norm[0] >= '0' && norm[0] <= '9') {
        rc = dp_buf_add(&an->stem, norm, len);
        if (rc < 0)
            rc = dp_error_set(err, DP_ENOMEM, "analyzer: out of memory");
    } else if (len > 0) {
        rc = xshim_stem_word(an->stemmer, norm, len, &an->stem, err);
    }
    return rc;
}

static bool is_ascii(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && (uint8_t)p[i] < 0x80; i++)
        ;
    return i == n;
}

/* The accented pipeline: Snowball French on the word in lowercase with its
 * accents composed (the input Snowball's French rules are written for),
 * then the stem folded, into an->astem.  Left empty for an ASCII word,
 * whose lowercase is its fold, and for a number.  Uses an->u16 and
 * an->norm as scratch. */
static int accented_stem(dp_analyzer *an, const char *p, size_t n,
                         dp_error *err)
{
    UErrorCode ustatus = U_ZERO_ERROR;
    int32_t ulen = 0, llen = 0, olen = 0;
    size_t flen = 0;
    int rc = DP_OK;

    dp_buf_reset(&an->astem);
    if (n == 0 || is_ascii(p, n) || (p[0] >= '0' && p[0] <= '9'))
        goto done;
    u_strFromUTF8WithSub(an->u16, AN_U16_CAP, &ulen, p, (int32_t)n, 0xFFFD,
                         NULL, &ustatus);
    llen = u_strToLower(an->lower, AN_U16_CAP, an->u16, ulen, "fr",
                        &ustatus);
    ulen = unorm2_normalize(an->nfc, an->lower, llen, an->u16, AN_U16_CAP,
                            &ustatus);
    u_strToUTF8(an->norm, AN_NORM_CAP, &olen, an->u16, ulen, &ustatus);
    if (U_FAILURE(ustatus) || olen > AN_NORM_CAP)
        goto done; /* too long for the scratch: the folded stem serves */
    rc = stem_word(an, an->norm, (size_t)olen, err);
    if (rc < 0)
        goto done;
    rc = fold_word(an, an->stem.data ? an->stem.data : "", an->stem.len,
                   &flen, err);
    if (rc == DP_ELIMIT) {
        rc = DP_OK;
        goto done;
    }
    if (rc < 0)
        goto done;
    rc = dp_buf_add(&an->astem, an->norm, flen);
    if (rc < 0)
        rc = dp_error_set(err, DP_ENOMEM, "analyzer: out of memory");
done:
    return rc;
}

/* ---- cache ------------------------------------------------------------ */

static an_cache_entry *cache_slot(dp_analyzer *an, const char *key,
                                  size_t klen, uint32_t *hash)
{
    uint64_t h = XXH3_64bits(key, klen);

    if (an->cache_slots < AN_CACHE_SLOTS && ++an->lookups >= AN_CACHE_GROW) {
        /* A long text: the full cache (its old entries are dropped). */
        an_cache_entry *big = calloc(AN_CACHE_SLOTS, sizeof *big);
        if (big != NULL) {
            free(an->cache);
            an->cache = big;
            an->cache_slots = AN_CACHE_SLOTS;
        }
    }

    *hash = (uint32_t)(h >> 32) | 1u; /* never 0, the empty mark */
    return &an->cache[h & (an->cache_slots - 1)];
}

static bool cache_get(const an_cache_entry *e, uint32_t hash,
                      const char *key, size_t klen, an_term *t)
{
    bool hit = e->hash == hash && e->klen == klen &&
               memcmp(e->data, key, klen) == 0;

    if (hit) {
        t->norm = e->data + klen;
        t->norm_len = e->nlen;
        t->stem = e->data + klen + e->nlen;
        t->stem_len = e->slen;
        t->alt = t->stem + e->slen;
        t->alt_len = e->alen;
        t->flags = e->flags;
    }
    return hit;
}

/* Remember a word, unless its forms do not fit an entry. */
static void cache_put(an_cache_entry *e, uint32_t hash, const char *key,
                      size_t klen, const an_term *t)
{
    char *d = e->data;

    if (klen + t->norm_len + t->stem_len + t->alt_len > AN_CACHE_DATA)
        goto done;
    e->hash = hash;
    e->klen = (uint8_t)klen;
    e->nlen = (uint8_t)t->norm_len;
    e->slen = (uint8_t)t->stem_len;
    e->alen = (uint8_t)t->alt_len;
    e->flags = (uint8_t)t->flags;
    memcpy(d, key, klen);
    d += klen;
    memcpy(d, t->norm, t->norm_len);
    d += t->norm_len;
    memcpy(d, t->stem, t->stem_len);
    d += t->stem_len;
    memcpy(d, t->alt, t->alt_len);
done:
    return;
}

/* ---- words ------------------------------------------------------------ */

/* The DP_TOK_* flags that the folded word @p norm decides. */
static unsigned norm_flags(const char *norm, size_t len)
{
    unsigned flags = 0;

    if (dp_analyzer_is_stopword(norm, len))
        flags |= DP_TOK_STOP;
    if (len > 0 && norm[0] >= '0' && norm[0] <= '9')
        flags |= DP_TOK_NUMBER;
    for (size_t i = 0; i < len; i++) {
        if (norm[i] >= '0' && norm[i] <= '9') {
            flags |= DP_TOK_DIGIT;
            break;
        }
    }
    return flags;
}

/* ---- ordinals ----------------------------------------------------------- */

/* The suffixes of a French ordinal, folded: 2e, 2eme, 2ieme, 1er, 1re,
 * 1ere, 2nd, 2nde (Roman numerals take the first six). */
static const char *const ordinal_suffixes[] = {
    "e", "eme", "ieme", "er", "re", "ere", "nd", "nde",
};
#define AN_ORDINAL_SUFFIXES (sizeof ordinal_suffixes / sizeof *ordinal_suffixes)
#define AN_ROMAN_SUFFIXES 6

/* The value of @p n bytes of upper-case Roman numerals I, V, X written
 * the standard way (I to XXXIX), or 0. */
static const char *const roman_units[] = { "", "I", "II", "III", "IV",
                                           "V", "VI", "VII", "VIII", "IX" };

static unsigned roman_value(const char *p, size_t n)
{
    size_t tens = 0;

    while (tens < n && tens < 3 && p[tens] == 'X')
        tens++;
    for (unsigned u = 0; u < 10; u++) {
        if (strlen(roman_units[u]) == n - tens &&
            memcmp(p + tens, roman_units[u], n - tens) == 0)
            return tens * 10 + u > 0 ? (unsigned)(tens * 10 + u) : 0;
    }
    return 0;
}

/* Is @p norm (@p len bytes) a folded ordinal suffix, among the first
 * @p nsuffixes? */
static bool is_ordinal_suffix(const char *norm, size_t len, size_t nsuffixes)
{
    for (size_t i = 0; i < nsuffixes; i++) {
        if (strlen(ordinal_suffixes[i]) == len &&
            memcmp(ordinal_suffixes[i], norm, len) == 0)
            return true;
    }
    return false;
}

/* An ordinal number -- "21e", "21ème", "XXIe", "1er", "Ier", "1re",
 * "2nd" -- stems to its value and "e" ("21e", "1e"), so that every way
 * of writing it finds the others: "XXIe siècle" is "21e siècle".  Roman
 * numerals count only in capitals (I, V, X, up to XXXIX) followed by a
 * lower-case suffix: "Inde", "vie" or "XXL" are not ordinals.  Writes the
 * stem into @p out (AN_ORD_CAP bytes) and returns its length, 0 for a word
 * that is not an ordinal. */
static size_t ordinal_stem(const char *raw, size_t rlen, const char *norm,
                           size_t nlen, char *out)
{
    size_t d = 0, r = 0;
    unsigned value = 0;

    while (d < nlen && d < 5 && norm[d] >= '0' && norm[d] <= '9')
        d++;
    /* A value is written without leading zeros: "0021e", "01er" are
     * words of their own (as "0021" is), not the ordinals 21e and 1e,
     * whose stem would not start as they do. */
    if (d > 0 && d <= 4 && norm[0] != '0' &&
        is_ordinal_suffix(norm + d, nlen - d, AN_ORDINAL_SUFFIXES)) {
        for (size_t i = 0; i < d; i++)
            value = value * 10 + (unsigned)(norm[i] - '0');
    } else if (d == 0) {
        while (r < rlen && (raw[r] == 'I' || raw[r] == 'V' || raw[r] == 'X'))
            r++;
        /* the suffix is written in lower case ("XXIe", not "XXIE"; not
         * "ÎE", a capital with a combining accent), or in superscript
         * ("XXIᵉ", "Iᵉʳ", as French typography writes it), and folds to
         * one of the Roman suffixes: it starts with e, è, i, r, ᵉ or ʳ */
        if (r == 0 || r == rlen || r >= nlen ||
            !(raw[r] == 'e' || raw[r] == 'i' || raw[r] == 'r' ||
              (rlen - r >= 2 && memcmp(raw + r, "\xc3\xa8", 2) == 0) ||
              (rlen - r >= 3 && memcmp(raw + r, "\xe1\xb5\x89", 3) == 0) ||
              (rlen - r >= 2 && memcmp(raw + r, "\xca\xb3", 2) == 0)) ||
            !is_ordinal_suffix(norm + r, nlen - r, AN_ROMAN_SUFFIXES))
            return 0;
        value = roman_value(raw, r);
    }
    if (value == 0)
        return 0;
    return (size_t)snprintf(out, AN_ORD_CAP, "%ue", value);
}

/* Compute the forms of the piece [p, p+n) (an acronym's dots and a
 * grouped number's spaces are dropped first).  DP_ELIMIT means "too long:
 * skip it". */
static int analyze_piece(dp_analyzer *an, const an_run *r, const char *p,
                         size_t n, an_piece kind, an_term *t)
{
    dp_error *err = r->err;
    dp_stem_filter want = r->filter ? r->filter->want_stems : NULL;
    const char *key = p;
    size_t klen = n, i, norm_len = 0;
    an_cache_entry *slot = NULL;
    uint32_t hash = 0;
    int rc = DP_OK;

    if (n > AN_MAX_RAW_BYTES) {
        rc = DP_ELIMIT;
        goto done;
    }
    if (kind != AN_PIECE_WORD) {
        /* an acronym keeps its letters, a number its digits and decimal
         * separator */
        klen = 0;
        for (i = 0; i < n; i++) {
            if (kind == AN_PIECE_ACRONYM ? p[i] != '.'
                                         : (p[i] >= '0' && p[i] <= '9') ||
                                               p[i] == ',' || p[i] == '.')
                an->key[klen++] = p[i];
        }
        key = an->key;
    }
    slot = cache_slot(an, key, klen, &hash);
    if (cache_get(slot, hash, key, klen, t)) {
        /* An entry made without stems serves a run that does not want
         * them; one that does computes them (and replaces the entry). */
        if (!(t->flags & DP_TOK_UNSTEMMED) ||
            (want != NULL && !want(t->norm, t->norm_len, r->filter->ctx)))
            goto done;
    }
    if (want != NULL) {
        /* Fold first: a word whose stems nobody wants is not stemmed;
         * its entry says so. */
        rc = fold_word(an, key, klen, &norm_len, err);
        if (rc < 0)
            goto done;
        if (!want(an->norm, norm_len, r->filter->ctx)) {
            t->norm = an->norm;
            t->norm_len = norm_len;
            t->stem = t->alt = "";
            t->stem_len = t->alt_len = 0;
            t->flags = norm_flags(t->norm, norm_len) | DP_TOK_UNSTEMMED;
            cache_put(slot, hash, key, klen, t);
            goto done;
        }
    }
    rc = accented_stem(an, key, klen, err);
    if (rc < 0)
        goto done;
    rc = fold_word(an, key, klen, &norm_len, err);
    if (rc < 0)
        goto done;
    t->norm = an->norm;
    t->norm_len = norm_len;
    t->alt = "";
    t->alt_len = 0;
    t->flags = norm_flags(t->norm, norm_len);
    /* An ordinal's stem is its value, whatever Snowball would say. */
    t->stem = an->ord;
    t->stem_len = ordinal_stem(key, klen, t->norm, norm_len, an->ord);
    if (t->stem_len == 0) {
        rc = stem_word(an, an->norm, norm_len, err);
        if (rc < 0)
            goto done;
        t->stem = dp_buf_cstr(&an->stem);
        t->stem_len = an->stem.len;
        /* A few letters fold otherwise once in lower case (the lunate
         * sigma to a final sigma, the Latin capital iota to "i" but its
         * small letter to itself): an accented stem that does not begin
         * as its word's fold does is left out, as snippets and the
         * promise of DP_STEM_KEEPS need (found by fuzzing). */
        if (an->astem.len > 0 &&
            dp_analyzer_may_stem_to(t->norm, norm_len, an->astem.data,
                                    an->astem.len) &&
            (an->astem.len != an->stem.len ||
             memcmp(an->astem.data, an->stem.data, an->stem.len) != 0)) {
            /* The accented word's stem ranks; the folded word's stem is
             * kept as its alternative, what the word typed without
             * accents gives. */
            t->alt = t->stem;
            t->alt_len = t->stem_len;
            t->stem = an->astem.data;
            t->stem_len = an->astem.len;
        }
    }
    cache_put(slot, hash, key, klen, t);
done:
    return rc;
}

/* Whether the piece [p, p+n) can be skipped: the fold table alone folds
 * it (fold_fast(), as fold_word() would) into a term, and the filter
 * rejects its head.  A piece of ASCII letters and digits only (@p ascii)
 * folds to itself in lower case: only its head is written.  Uses an->norm
 * as scratch. */
static bool skip_piece(dp_analyzer *an, const an_run *r, const char *p,
                       size_t n, bool ascii)
{
    size_t len = 0;

    if (r->filter == NULL || r->filter->may_matter == NULL ||
        n > AN_MAX_RAW_BYTES)
        return false;
    if (ascii) {
        if (n > DP_MAX_TERM_BYTES)
            return false; /* too long to be a term: the full path */
        /* Its head: its first DP_STEM_KEEPS bytes, folded. */
        fold_fast(p, n < DP_STEM_KEEPS ? n : DP_STEM_KEEPS, an->norm, &len);
        return !r->filter->may_matter(an->norm, len, r->filter->ctx);
    }
    if (!fold_fast(p, n, an->norm, &len))
        return false;
    len = squeeze_controls(an->norm, len);
    if (len == 0 || len > DP_MAX_TERM_BYTES)
        return false; /* no token, or too long to be one: the full path */
    return !r->filter->may_matter(an->norm, dp_analyzer_head_len(an->norm, len),
                                  r->filter->ctx);
}

/* Emit the piece [s, e) of the text as a token; @p ascii: it holds only
 * ASCII letters and digits. */
static int emit_piece(dp_analyzer *an, an_run *r, size_t s, size_t e,
                      an_piece kind, bool ascii)
{
    an_term t = { NULL, 0, NULL, 0, NULL, 0, 0 };
    dp_token tok;
    int rc;

    if (kind == AN_PIECE_WORD &&
        skip_piece(an, r, (const char *)r->text + s, e - s, ascii)) {
        t.norm = t.stem = t.alt = "";
        t.flags = DP_TOK_SKIPPED | DP_TOK_UNSTEMMED;
        goto emit;
    }
    rc = analyze_piece(an, r, (const char *)r->text + s, e - s, kind, &t);
    if (rc == DP_ELIMIT) {
        /* Too long to be a term: no token, but the position is taken so
         * that phrases do not match across the gap. */
        r->pos++;
        rc = DP_OK;
        goto done;
    }
    if (rc < 0 || t.norm_len == 0)
        goto done;
emit:
    tok.norm = t.norm;
    tok.norm_len = t.norm_len;
    tok.stem = t.stem;
    tok.stem_len = t.stem_len;
    tok.alt = t.alt;
    tok.alt_len = t.alt_len;
    tok.start = s;
    tok.end = e;
    tok.pos = r->pos++;
    tok.flags = t.flags;
    rc = r->cb(&tok, r->ctx);
done:
    return rc;
}

/* One ICU word [s, e): strip elisions, then emit its pieces.  Dots and
 * other joiners split it ("www.example.com"), except between digits
 * ("7,3", "1.000.000"), apostrophes inside a word ("aujourd'hui") and the
 * dots of an acronym ("O.N.U" -> "onu"). */
static int emit_word(dp_analyzer *an, an_run *r, size_t s, size_t e)
{
    const uint8_t *text = r->text;
    size_t i, piece;
    bool ascii = true; /* the piece so far: ASCII letters and digits */
    int rc = DP_OK;

    s = strip_elisions(text, s, e);
    if (lone_elision(text, r->len, s, e))
        goto done; /* no word, no position */
    if (is_acronym(text, s, e)) {
        rc = emit_piece(an, r, s, e, AN_PIECE_ACRONYM, false);
        goto done;
    }

    piece = s;
    i = s;
    while (i < e) {
        size_t at = i;
        UChar32 c;
        bool join = false;

        /* An ASCII word character (a letter or a digit, never an
         * apostrophe) needs no decoding. */
        if (text[i] < 0x80 && is_word_char(text[i])) {
            i++;
            continue;
        }
        U8_NEXT(text, i, e, c);
        if (is_word_char(c) && !dp_analyzer_is_apostrophe(c)) {
            ascii = false;
            continue;
        }
        if (at > s && i < e) {
            UChar32 before = peek_back(text, s, at);
            UChar32 after = peek(text, i, e);

            if (dp_analyzer_is_apostrophe(c))
                join = is_word_char(before) && is_word_char(after) &&
                       !dp_analyzer_is_apostrophe(before) && !dp_analyzer_is_apostrophe(after);
            else if (c == '.' || c == ',')
                join = is_digit(before) && is_digit(after);
        }
        if (join) {
            ascii = false;
            continue;
        }
        if (at > piece) {
            rc = emit_piece(an, r, piece, at, AN_PIECE_WORD, ascii);
            if (rc != 0)
                goto done;
        }
        piece = i;
        ascii = true;
    }
    if (e > piece)
        rc = emit_piece(an, r, piece, e, AN_PIECE_WORD, ascii);
done:
    return rc;
}

/* ---- public API ------------------------------------------------------- */

int dp_analyzer_new(dp_analyzer **out, dp_error *err)
{
    dp_analyzer *an = NULL;
    UErrorCode ustatus = U_ZERO_ERROR;
    UText empty = UTEXT_INITIALIZER;
    int rc = DP_OK;

    *out = NULL;
    an = calloc(1, sizeof *an);
    if (an == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "analyzer: out of memory");
        goto done;
    }
    an->text = empty;
    dp_buf_init(&an->stem, AN_STEM_LIMIT);
    dp_buf_init(&an->astem, AN_STEM_LIMIT);
    an->cache_slots = AN_CACHE_FIRST;
    an->cache = calloc(an->cache_slots, sizeof *an->cache);
    /* A text of n bytes has at most n UTF-16 units (a 4-byte sequence
     * gives 2). */
    an->t16 = malloc(AN_U16_TEXT_MAX * sizeof *an->t16);
    an->t16_off = malloc((AN_U16_TEXT_MAX + 1) * sizeof *an->t16_off);
    if (an->cache == NULL || an->t16 == NULL || an->t16_off == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "analyzer: out of memory");
        goto done;
    }
    an->words = ubrk_open(UBRK_WORD, "fr", NULL, 0, &ustatus);
    if (U_FAILURE(ustatus)) {
        rc = dp_error_set(err, DP_EICU, "analyzer: word break iterator: %s",
                          u_errorName(ustatus));
        goto done;
    }
    an->nfc = unorm2_getNFCInstance(&ustatus);
    if (U_FAILURE(ustatus)) {
        rc = dp_error_set(err, DP_EICU, "analyzer: NFC: %s",
                          u_errorName(ustatus));
        goto done;
    }
    rc = xshim_stem_new(&an->stemmer, "french", err);
    if (rc < 0)
        goto done;
    *out = an;
    an = NULL;
done:
    dp_analyzer_free(an);
    return rc;
}

void dp_analyzer_free(dp_analyzer *an)
{
    if (an == NULL)
        goto done;
    if (an->words != NULL)
        ubrk_close(an->words);
    if (an->fold != NULL)
        an->i18n->trans_close(an->fold);
    xshim_stem_free(an->stemmer);
    utext_close(&an->text);
    free(an->t16);
    free(an->t16_off);
    dp_buf_release(&an->stem);
    dp_buf_release(&an->astem);
    free(an->cache);
    free(an);
done:
    return;
}

int dp_analyzer_run(dp_analyzer *an, const char *text, size_t len,
                    uint32_t first_pos, dp_token_cb cb, void *ctx,
                    dp_error *err)
{
    return dp_analyzer_run_filtered(an, text, len, first_pos, NULL, cb, ctx,
                                    err);
}

/* @p text (at most AN_U16_TEXT_MAX bytes) into an->t16, with the byte
 * offset of each unit in an->t16_off; an ill-formed sequence becomes one
 * U+FFFD, as through a UTF-8 UText.  @return the units. */
static int32_t to_utf16(dp_analyzer *an, const char *text, int32_t len)
{
    int32_t n = 0;

    for (int32_t i = 0; i < len;) {
        int32_t start = i;
        UChar32 c;

        U8_NEXT(text, i, len, c);
        if (c < 0)
            c = 0xFFFD;
        an->t16_off[n] = start;
        if (c <= 0xFFFF) {
            an->t16[n++] = (UChar)c;
        } else {
            an->t16[n++] = U16_LEAD(c);
            an->t16_off[n] = start;
            an->t16[n++] = U16_TRAIL(c);
        }
    }
    an->t16_off[n] = len;
    return n;
}

int dp_analyzer_run_filtered(dp_analyzer *an, const char *text, size_t len,
                             uint32_t first_pos,
                             const dp_token_filter *filter, dp_token_cb cb,
                             void *ctx, dp_error *err)
{
    UErrorCode ustatus = U_ZERO_ERROR;
    an_run r = { (const uint8_t *)text, len, first_pos, cb, ctx, filter,
                 err };
    const int32_t *off;
    int32_t from, to;
    size_t number_end = 0; /* the end of the last number in groups */
    int rc = DP_OK;

    if (an == NULL || cb == NULL || (text == NULL && len > 0)) {
        rc = dp_error_set(err, DP_EINVAL, "analyzer: bad argument");
        goto done;
    }
    if (len > INT32_MAX) {
        /* ICU's break iterators report int32_t offsets. */
        rc = dp_error_set(err, DP_ELIMIT,
                          "analyzer: text of %zu bytes is over 2 GiB", len);
        goto done;
    }
    if (len == 0)
        goto done;
    /* Byte offset of each boundary the iterator gives (NULL: the UText's
     * boundaries are byte offsets already). */
    off = len <= AN_U16_TEXT_MAX ? an->t16_off : NULL;
    if (off != NULL) {
        int32_t n = to_utf16(an, text, (int32_t)len);
        ubrk_setText(an->words, an->t16, n, &ustatus);
    } else {
        utext_openUTF8(&an->text, text, (int64_t)len, &ustatus);
        ubrk_setUText(an->words, &an->text, &ustatus);
    }
    if (U_FAILURE(ustatus)) {
        rc = dp_error_set(err, DP_EICU, "analyzer: word break: %s",
                          u_errorName(ustatus));
        goto done;
    }
    from = ubrk_first(an->words);
    while ((to = ubrk_next(an->words)) != UBRK_DONE) {
        size_t s = off != NULL ? (size_t)off[from] : (size_t)from;
        size_t e = off != NULL ? (size_t)off[to] : (size_t)to, num;

        from = to;
        if (ubrk_getRuleStatus(an->words) < UBRK_WORD_NONE_LIMIT ||
            e <= number_end)
            continue; /* not a word, or a digit group of the number */
        if (s < number_end) {
            /* what ICU glued to the last group ("000;2", "000_abc") */
            rc = emit_word(an, &r, number_end, e);
            if (rc != 0)
                goto done;
            continue;
        }
        num = grouped_number(r.text, len, s, e);
        if (num > 0) {
            number_end = num;
            rc = emit_piece(an, &r, s, num, AN_PIECE_NUMBER, false);
        } else {
            rc = emit_word(an, &r, s, e);
        }
        if (rc != 0)
            goto done;
    }
done:
    return rc;
}

int dp_analyzer_fold(dp_analyzer *an, const char *word, size_t len,
                     dp_buf *out, dp_error *err)
{
    size_t norm_len = 0;
    int rc;

    if (an == NULL || out == NULL || (word == NULL && len > 0)) {
        rc = dp_error_set(err, DP_EINVAL, "analyzer: bad argument");
        goto done;
    }
    rc = fold_word(an, word, len, &norm_len, err);
    if (rc == DP_ELIMIT) {
        rc = dp_error_set(err, DP_ELIMIT,
                          "analyzer: word longer than %d bytes",
                          DP_MAX_TERM_BYTES);
        goto done;
    }
    if (rc < 0)
        goto done;
    rc = dp_buf_add(out, an->norm, norm_len);
    if (rc < 0)
        dp_error_set(err, rc, "analyzer: cannot append the folded word");
done:
    return rc;
}

bool dp_analyzer_is_ordinal_stem(const char *stem, size_t len)
{
    size_t d = 0;

    while (d < len && stem[d] >= '0' && stem[d] <= '9')
        d++;
    /* a value: no leading zero ("0021e" is a word, not 21e) */
    return d > 0 && d + 1 == len && stem[d] == 'e' && stem[0] != '0';
}

size_t dp_analyzer_ordinal_forms(const char *stem, size_t len,
                                 char forms[][DP_ORDINAL_FORM_BYTES])
{
    unsigned value = 0;
    size_t n = 0;
    char roman[8];

    if (!dp_analyzer_is_ordinal_stem(stem, len) || len > 6)
        return 0;
    for (size_t i = 0; i + 1 < len; i++)
        value = value * 10 + (unsigned)(stem[i] - '0');
    for (size_t k = 0; k < AN_ORDINAL_SUFFIXES; k++)
        snprintf(forms[n++], DP_ORDINAL_FORM_BYTES, "%.*s%s",
                 (int)(len - 1), stem, ordinal_suffixes[k]);
    if (value < 1 || value > 39)
        return n;
    /* folded: in lower case */
    snprintf(roman, sizeof roman, "%.*s%s", (int)(value / 10), "XXX",
             roman_units[value % 10]);
    for (char *r = roman; *r; r++)
        *r = (char)(*r - 'A' + 'a');
    /* Not "ieme": "xxiieme" is XXIIème as well as XXIième. */
    for (size_t k = 0; k < AN_ROMAN_SUFFIXES; k++)
        if (ordinal_suffixes[k][0] != 'i')
            snprintf(forms[n++], DP_ORDINAL_FORM_BYTES, "%s%s", roman,
                     ordinal_suffixes[k]);
    return n;
}

bool dp_analyzer_may_stem_to(const char *norm, size_t len, const char *stem,
                             size_t stem_len)
{
    size_t keep;

    /* An ordinal stems to its value and "e" whatever its suffix: in
     * Roman numerals ("xxie": "21e") or in digits ("1re", "2nd": "1e",
     * "2e"), whose head is then not the stem's. */
    if (stem_len > 0 && stem[0] >= '0' && stem[0] <= '9' && len > 0) {
        size_t d = stem_len - 1; /* an ordinal's digits */

        if (norm[0] == 'i' || norm[0] == 'v' || norm[0] == 'x')
            return true;
        if (dp_analyzer_is_ordinal_stem(stem, stem_len) && d < len &&
            memcmp(norm, stem, d) == 0 && !(norm[d] >= '0' && norm[d] <= '9'))
            return true;
    }
    keep = dp_analyzer_head_len(stem, stem_len);
    return keep <= len && memcmp(norm, stem, keep) == 0;
}

size_t dp_analyzer_head_len(const char *norm, size_t len)
{
    size_t i = 0;

    U8_FWD_N((const uint8_t *)norm, i, len, DP_STEM_KEEPS);
    return i;
}

size_t dp_analyzer_trunc_len(const char *norm, size_t len)
{
    size_t i = 0;

    U8_FWD_N((const uint8_t *)norm, i, len, DP_TRUNC_CHARS);
    return i;
}

bool dp_analyzer_truncates(unsigned flags)
{
    /* A number (DP_TOK_NUMBER) holds a digit too. */
    return (flags & (DP_TOK_STOP | DP_TOK_DIGIT)) == 0;
}

int dp_analyzer_stem(dp_analyzer *an, const char *norm, size_t len,
                     dp_buf *out, dp_error *err)
{
    int rc;

    if (an == NULL || out == NULL || (norm == NULL && len > 0)) {
        rc = dp_error_set(err, DP_EINVAL, "analyzer: bad argument");
        goto done;
    }
    if (ordinal_stem(norm, len, norm, len, an->ord) > 0) {
        rc = dp_buf_adds(out, an->ord);
        if (rc < 0)
            dp_error_set(err, rc, "analyzer: cannot append the stem");
        goto done;
    }
    rc = stem_word(an, norm, len, err);
    if (rc < 0)
        goto done;
    rc = dp_buf_add(out, an->stem.data ? an->stem.data : "", an->stem.len);
    if (rc < 0)
        dp_error_set(err, rc, "analyzer: cannot append the stem");
done:
    return rc;
}
