/* passage.c -- split a text into paragraphs (passages) and headings. */
#include "depeche/passage.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

/*
 * How a text is cut
 * -----------------
 * Lines end at LF, CRLF or a lone CR.  A blank line (empty, or only white
 * space) separates blocks; a block is a run of non-blank lines.
 *
 * Hard-wrapping is decided per block, from two facts about its lines that
 * are not the block's last line (the last line of a wrapped paragraph is
 * short and ends a sentence, so it says nothing):
 *
 *   - its length in code points ("columns", leading indentation included);
 *     a line is LONG when it is at least half as long as the block's
 *     longest line;
 *   - whether it is OPEN: its last visible character, once closing quotes,
 *     brackets and footnote calls such as "[12]" are set aside, is not
 *     sentence-final punctuation (. ! ? ... : ;).
 *
 * A block is hard-wrapped when
 *
 *   (a) it has at least two lines and its longest line is between
 *       WRAP_MIN_COLS (40) and WRAP_MAX_COLS (100) columns: wrapped text is
 *       cut at a fixed width, usually 60 to 80 columns, and a line longer
 *       than 100 columns was not cut by anyone;
 *   (b) at least half of its non-last lines are long: a wrapper fills every
 *       line but a paragraph's last;
 *   (c) at least half of those long lines are open: a wrapper breaks where
 *       the width runs out, mostly in mid-sentence, whereas a file with one
 *       paragraph per line ends (nearly) every line with a full stop.
 *
 * So a one-paragraph-per-line file is never judged wrapped: its lines are
 * either longer than 100 columns (a) or end with a full stop (c); short
 * heading lines among them are neither long nor counted as breaks.  A
 * Gutenberg paragraph wrapped at 70 columns has every non-last line long
 * and 80-90 % of them open.
 *
 * In a wrapped block the lines are joined into one unit, except that a
 * unit also ends after a line that is not long (a heading, or the last
 * line of a paragraph when paragraphs are not separated by blank lines; a
 * wrapper never leaves a line half empty in mid-paragraph) and before a
 * line that starts with a list bullet ("- ", "* ", "+ ", U+2022 BULLET).
 * Outside wrapped blocks every line is a unit.
 *
 * Headings: a single-line unit of at most DP_HEADING_MAX_CHARS code points
 * that is open (no sentence-final punctuation at its end) is a heading
 * CANDIDATE.  So is a short line in capitals that ends with one full stop
 * ("CHAPITRE PREMIER.", "XII."), the usual chapter heading of older books:
 * at most CAPS_HEADING_MAX_CHARS code points, some capital letters and no
 * small ones.  A line that starts with a dash or a bullet is dialogue or a
 * list item, never a heading; nor is one that ends with a comma, a clause
 * the next line goes on with: the preamble of a resolution ("Le Parlement
 * européen,", "A. considérant que …,"), a letter's salutation.  Nor is a
 * line that holds two sentences, one ended inside it and another begun
 * after it ("Le Président. – Merci de votre minutie. Ce point sera
 * corrigé"): a sentence ends inside a line at . ! ? or an ellipsis (then
 * closing quotes and brackets) followed by white space and, after any
 * dashes, quotes or brackets, a capital letter, once the line has at least
 * SENTENCE_MIN_WORDS words of two letters or more up to there.  A shorter
 * start is a heading's label ("Chapitre II. Le commerce", "1.
 * Introduction", "Titre premier. Des personnes"), and a full stop after
 * an abbreviation ends no sentence: after a single letter or initials
 * ("M. Barroso", "Kenneth D. Collins", "W.G. Van Velzen"), a word in
 * capitals ("XII.", "ART. 120", "MM.") or a word of abbreviations[]
 * ("Mme", "art.", "etc.").
 *
 * Candidates wait in a bounded queue.  The next unit that is not a
 * candidate (a paragraph) turns every waiting candidate into a heading;
 * the end of the text turns them into passages (a title with nothing after
 * it is content, not a section).  Blank lines do not break a run of
 * candidates, so a title, a blank line, a dateline and a paragraph give two
 * headings.  The queue holds at most PENDING_MAX candidates; when it is
 * full the oldest becomes a passage, which bounds lookahead and memory.
 *
 * A heading's ordinal is that of the passage after it, and its section is
 * itself; a passage's section is the latest heading before it.
 *
 * Markdown (DP_TEXT_MARKDOWN, for ".md" files) adds explicit headings,
 * whose span is their text without the markup, so that sections, titles
 * and their byte ranges name the heading as a reader sees it:
 *
 *   - an ATX heading: at most 3 spaces, 1 to 6 '#', then a space or tab;
 *     its text is the rest of the line without the optional closing run
 *     of '#' (preceded by a space or tab) and surrounding white space
 *     ("## Les relations ##" -> "Les relations").  It is a unit of its
 *     own even inside a wrapped block;
 *   - a Setext heading: a line followed, in the same block, by an
 *     underline of at least 3 '=' or 3 '-' (at most 3 spaces before it,
 *     nothing but white space after it); the line is the heading (only
 *     that line, where CommonMark would take the whole paragraph above),
 *     unless it is a list item or dialogue;
 *   - such explicit headings are heading candidates whatever their length
 *     and final punctuation ("## Pourquoi ?"); as other candidates they
 *     become headings when a paragraph follows, passages at the end of the
 *     text;
 *   - underlines, thematic breaks (3 or more '-', '*' or '_', spaces
 *     between allowed, nothing else on the line) and ATX lines with no
 *     text ("#", "## ##") are no unit at all; they end the unit before
 *     them.
 *   - a fenced code block (a line of at least 3 '`' or 3 '~', at most 3
 *     spaces before it, no '`' after a '`' fence, up to a line of at
 *     least as many of the same character and nothing else, or the end of
 *     the text) is one passage, its fences and blank lines included, and
 *     none of its lines is a heading ("# comment" in a shell script); a
 *     fence interrupts a block as a blank line does.
 * Other lines are cut as in plain text (a short line before a paragraph
 * is still a heading).
 *
 * Cost: each block is read twice (statistics, then units), so time is
 * linear in the text; memory is a fixed histogram and the fixed queue,
 * whatever the size of the text or of a line.
 */

#define WRAP_MIN_COLS 40
#define WRAP_MAX_COLS 100
#define PENDING_MAX 64
/* split_block() keeps what its first pass read of this many lines of a
 * block for its second pass (a longer block has its later lines read
 * again). */
#define LINE_MEMO 64
#define CAPS_HEADING_MAX_CHARS 40
/* Words (of two letters or more) a line must hold before a sentence that
 * ends inside it is a sentence rather than a heading's label. */
#define SENTENCE_MIN_WORDS 3

typedef struct line_info {
    size_t start;     /* first byte of the line */
    size_t tstart;    /* first byte of its visible text */
    size_t tend;      /* byte after its visible text (tstart if blank) */
    size_t next;      /* first byte of the next line (after the line end) */
    size_t cols;      /* code points from start to tend */
    size_t chars;     /* code points from tstart to tend */
    bool blank;
    bool open;        /* no sentence-final punctuation at its end */
    bool bullet;      /* starts with a list bullet */
    bool caps_stop;   /* capitals only, ending with a single '.' */
    bool comma;       /* ends with a comma: a clause that goes on */
    bool dash;        /* starts with a dash: a line of dialogue or a list */
} line_info;

typedef struct unit {
    uint32_t line, line_end;
    size_t start, end;
} unit;

typedef struct splitter {
    const char *text;
    size_t len;
    dp_passage_cb cb;
    void *ctx;
    bool markdown;              /* DP_TEXT_MARKDOWN */
    uint32_t passages;          /* passages emitted so far */
    size_t sec_start, sec_end;  /* current section */
    size_t run_start;           /* its run of headings (dp_passage) */
    bool units;                 /* a unit was emitted */
    bool after_heading;         /* the last unit emitted was a heading */
    bool after_title;           /* ... the one that opens the text */
    unit pending[PENDING_MAX];  /* heading candidates, a ring */
    size_t pend_head, pend_n;
} splitter;

/* Decode the code point at @p i (before @p end) with ICU's strict decoder;
 * an ill-formed sequence counts as one U+FFFD, so nothing here fails. */
static uint32_t decode_cp(const unsigned char *s, size_t i, size_t end,
                          size_t *adv)
{
    size_t j = i;
    UChar32 c;

    U8_NEXT(s, j, end, c);
    *adv = j - i;
    return c < 0 ? 0xFFFD : (uint32_t)c;
}

/* Step back one code point from @p i (> @p lo). */
static size_t prev_cp(const unsigned char *s, size_t lo, size_t i)
{
    size_t j = i - 1;
    size_t k = 0;

    while (j > lo && k < 3 && (s[j] & 0xC0) == 0x80) {
        j--;
        k++;
    }
    return j;
}

static bool is_space(uint32_t cp)
{
    /* U+200B and U+FEFF (BOM, zero width no-break space) are invisible
     * but not White_Space in Unicode. */
    return u_isUWhiteSpace((UChar32)cp) || cp == 0x200B || cp == 0xFEFF;
}

/* Characters that may follow the end of a sentence. */
static bool is_closer(uint32_t cp)
{
    int8_t t = u_charType((UChar32)cp);

    /* ) ] } » ’ ” " ' and the like, and '*' (a note call). */
    return t == U_END_PUNCTUATION || t == U_FINAL_PUNCTUATION ||
           u_hasBinaryProperty((UChar32)cp, UCHAR_QUOTATION_MARK) ||
           cp == '*';
}

static bool is_final(uint32_t cp)
{
    /* Sentence_Terminal (. ! ? and their kin in other scripts), and the
     * colon, semicolon and ellipsis that end a French line of prose. */
    return u_hasBinaryProperty((UChar32)cp, UCHAR_S_TERM) || cp == ':' ||
           cp == ';' || cp == 0x2026;
}

/* The '(' that opens the group whose ')' is at @p close, or @p close when
 * none does.  The bytes are ASCII: no multi-byte character holds them. */
static size_t paren_open(const unsigned char *s, size_t lo, size_t close)
{
    size_t depth = 0;

    for (size_t k = close + 1; k-- > lo;) {
        if (s[k] == ')')
            depth++;
        else if (s[k] == '(' && --depth == 0)
            return k;
    }
    return close;
}

/* Does the visible text [lo, hi) end without sentence-final punctuation?
 * Closing quotes and brackets and footnote calls ("[12]") are skipped.  A
 * line that ends in a group in parentheses is read by what comes before
 * the group ("… la politique... (fin d'intervention hors micro)" ends a
 * sentence; "Article 3 (nouveau)" does not), and a line that is one such
 * group is a note, not a heading ("(Le Parlement approuve la résolution
 * législative)", "(Applaudissements)"). */
static bool text_open(const unsigned char *s, size_t lo, size_t hi)
{
    size_t i = hi, j, k, adv;
    uint32_t cp;
    bool open = true, last = true; /* last: nothing read yet but spaces */

    while (i > lo) {
        j = prev_cp(s, lo, i);
        cp = decode_cp(s, j, hi, &adv);
        if (cp == ')' && last) {
            k = paren_open(s, lo, j);
            if (k < j) {
                if (k == lo)
                    return false;
                i = k;
                continue;
            }
        }
        if (!is_space(cp))
            last = false;
        if (cp == ']') {
            /* A footnote call: "[", digits, "]". */
            k = j;
            while (k > lo && s[k - 1] >= '0' && s[k - 1] <= '9')
                k--;
            if (k < j && k > lo && s[k - 1] == '[') {
                i = k - 1;
                continue;
            }
        }
        if (is_space(cp) || is_closer(cp)) {
            i = j;
            continue;
        }
        open = !is_final(cp);
        break;
    }
    return open;
}

/* Words that a full stop abbreviates, in small letters (a capital first
 * letter is read as small): after them it ends no sentence. */
static const char *const abbreviations[] = {
    "al", "art", "av", "bd", "cf", "ch", "chap", "cie", "cit", "coll",
    "dr", "d\xC3\xA9p", "\xC3\xA9" "d", "ed", "env", "etc", "ets", "ex",
    "fig", "ibid", "id", "jr", "me", "mgr", "mlle", "mlles", "mme", "mmes",
    "no", "op", "pp", "pr", "r\xC3\xA9" "f", "ref", "sq", "sqq", "st",
    "ste", "st\xC3\xA9", "suiv", "t\xC3\xA9l", "trad", "vol", "vs",
};

/* Is the word [lo, hi) one that a full stop after it abbreviates? */
static bool is_abbreviation(const unsigned char *s, size_t lo, size_t hi)
{
    size_t n = hi - lo;
    unsigned char c = s[lo];

    if (c >= 'A' && c <= 'Z')
        c = (unsigned char)(c - 'A' + 'a');
    for (size_t k = 0; k < sizeof abbreviations / sizeof *abbreviations;
         k++) {
        const char *a = abbreviations[k];
        if (strlen(a) == n && (unsigned char)a[0] == c &&
            memcmp(a + 1, s + lo + 1, n - 1) == 0)
            return true;
    }
    return false;
}

/* Does a sentence begin at @p i of [.., hi), just after sentence-final
 * punctuation: more of it and closing quotes and brackets, white space,
 * then, after anything but letters and digits (dashes, quotes, brackets),
 * a capital letter? */
static bool sentence_follows(const unsigned char *s, size_t i, size_t hi)
{
    size_t adv;
    uint32_t cp = 0;
    bool space = false;

    while (i < hi) {
        cp = decode_cp(s, i, hi, &adv);
        if (!is_final(cp) && !is_closer(cp))
            break;
        i += adv;
    }
    while (i < hi) {
        cp = decode_cp(s, i, hi, &adv);
        if (is_space(cp))
            space = true;
        else if (!space || u_isalnum((UChar32)cp))
            break;
        i += adv;
    }
    return space && i < hi &&
           (u_isupper((UChar32)cp) || u_istitle((UChar32)cp));
}

/* Does the visible text [lo, hi) hold the end of a sentence followed by
 * another sentence (see the rules at the top)? */
static bool holds_sentences(const unsigned char *s, size_t lo, size_t hi)
{
    size_t i = lo, adv, words = 0, wstart = lo, wend = lo, letters = 0;
    bool small = false; /* the word holds a small letter */
    uint32_t cp;

    while (i < hi) {
        cp = decode_cp(s, i, hi, &adv);
        if (u_isalpha((UChar32)cp)) {
            if (letters == 0 || wend != i) {
                /* A new word. */
                if (letters >= 2)
                    words++;
                wstart = i;
                letters = 0;
                small = false;
            }
            letters++;
            small = small || u_islower((UChar32)cp);
            wend = i + adv;
        } else if ((cp == 0x2026 ||
                    u_hasBinaryProperty((UChar32)cp, UCHAR_S_TERM)) &&
                   words + (letters >= 2) >= SENTENCE_MIN_WORDS &&
                   sentence_follows(s, i, hi)) {
            /* A full stop right after a word may abbreviate it: a single
             * letter (an initial), capitals, a word of the list. */
            bool abbr = cp == '.' && wend == i && letters > 0 &&
                        (letters == 1 || !small ||
                         is_abbreviation(s, wstart, wend));
            if (!abbr)
                return true;
        }
        i += adv;
    }
    return false;
}

static bool is_bullet(const unsigned char *s, size_t i, size_t end)
{
    bool ascii = end - i >= 2 && (s[i] == '-' || s[i] == '*' ||
                                  s[i] == '+') &&
                 (s[i + 1] == ' ' || s[i + 1] == '\t');
    bool bullet = end - i >= 4 && s[i] == 0xE2 && s[i + 1] == 0x80 &&
                  s[i + 2] == 0xA2 &&                   /* U+2022 */
                  (s[i + 3] == ' ' || s[i + 3] == '\t');

    return ascii || bullet;
}

/* Read the line starting at @p pos (< len). */
static void scan_line(const unsigned char *s, size_t len, size_t pos,
                      line_info *li)
{
    size_t i = pos, adv, cols = 0, cols_at_tstart = 0, cols_at_tend = 0;
    bool seen = false, upper = false, lower = false;
    uint32_t cp;

    li->start = pos;
    li->tstart = li->tend = pos;
    while (i < len) {
        if (s[i] < 0x80) {
            /* ASCII fast path: most bytes of a French text. */
            if (s[i] == '\n' || s[i] == '\r')
                break;
            cols++;
            if (s[i] >= 'a' && s[i] <= 'z')
                lower = true;
            else if (s[i] >= 'A' && s[i] <= 'Z')
                upper = true;
            if (s[i] != ' ' && s[i] != '\t' && s[i] != '\v' &&
                s[i] != '\f') {
                if (!seen) {
                    seen = true;
                    li->tstart = i;
                    cols_at_tstart = cols - 1;
                }
                li->tend = i + 1;
                cols_at_tend = cols;
            }
            i++;
            continue;
        }
        cp = decode_cp(s, i, len, &adv);
        cols++;
        upper = upper || u_isupper((UChar32)cp);
        lower = lower || u_islower((UChar32)cp);
        if (!is_space(cp)) {
            if (!seen) {
                seen = true;
                li->tstart = i;
                cols_at_tstart = cols - 1;
            }
            li->tend = i + adv;
            cols_at_tend = cols;
        }
        i += adv;
    }
    if (!seen)
        li->tstart = li->tend = i;
    li->next = i;
    if (i < len)
        li->next = (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') ? i + 2
                                                                   : i + 1;
    li->blank = !seen;
    li->cols = cols_at_tend;
    li->chars = cols_at_tend - cols_at_tstart;
    li->open = seen ? text_open(s, li->tstart, li->tend) : true;
    li->comma = seen && li->tend > li->tstart && s[li->tend - 1] == ',';
    li->bullet = seen && is_bullet(s, li->tstart, li->tend);
    li->dash = seen && (li->bullet ||
                        (li->tend - li->tstart >= 2 &&
                         s[li->tstart] == '-' && s[li->tstart + 1] == '-') ||
                        (li->tend - li->tstart >= 3 &&
                         s[li->tstart] == 0xE2 && s[li->tstart + 1] == 0x80 &&
                         (s[li->tstart + 2] == 0x93 ||     /* – */
                          s[li->tstart + 2] == 0x94)));    /* — */
    li->caps_stop = seen && upper && !lower &&
                    li->chars <= CAPS_HEADING_MAX_CHARS &&
                    s[li->tend - 1] == '.' &&
                    (li->tend - li->tstart < 2 || s[li->tend - 2] != '.');
}

/* What a line is in Markdown. */
typedef enum md_kind {
    MD_TEXT = 0,   /* anything else */
    MD_ATX,        /* "## Titre": a heading, its text in [hstart, hend) */
    MD_UNDERLINE,  /* "===" or "---": underlines the line above, or a break */
    MD_BREAK       /* "***", "- - -", "#": no unit */
} md_kind;

/* The first byte of [lo, hi) after white space (as scan_line sees it). */
static size_t skip_space(const unsigned char *s, size_t lo, size_t hi)
{
    size_t adv;

    while (lo < hi && is_space(decode_cp(s, lo, hi, &adv)))
        lo += adv;
    return lo;
}

/* The end of [lo, hi) without its trailing white space. */
static size_t trim_space(const unsigned char *s, size_t lo, size_t hi)
{
    size_t j, adv;

    while (hi > lo) {
        j = prev_cp(s, lo, hi);
        if (!is_space(decode_cp(s, j, hi, &adv)) || j + adv != hi)
            break;
        hi = j;
    }
    return hi;
}

/*
 * Classify line @p li of @p s (see the rules at the top).  For MD_ATX,
 * *hstart and *hend receive the span of the heading's text.
 */
static md_kind md_line(const unsigned char *s, const line_info *li,
                       size_t *hstart, size_t *hend)
{
    size_t i = li->start, lo, hi, k, n = 0;
    unsigned char c;
    bool spaced = false;
    md_kind kind = MD_TEXT;

    /* A BOM opening the text is not indentation. */
    if (i == 0 && li->tstart >= 3 && s[0] == 0xEF && s[1] == 0xBB &&
        s[2] == 0xBF)
        i = 3;
    if (li->blank || li->tstart - i > 3)
        goto done;
    for (k = i; k < li->tstart; k++)
        if (s[k] != ' ')
            goto done;
    lo = li->tstart;
    hi = li->tend;
    c = s[lo];
    if (c == '#') {
        while (lo + n < hi && s[lo + n] == '#')
            n++;
        if (n > 6 || (lo + n < hi && s[lo + n] != ' ' && s[lo + n] != '\t'))
            goto done;
        lo = skip_space(s, lo + n, hi);
        /* The closing run of '#', if a space comes before it. */
        k = hi;
        while (k > lo && s[k - 1] == '#')
            k--;
        if (k == lo)
            hi = lo;
        else if (k < hi && (s[k - 1] == ' ' || s[k - 1] == '\t'))
            hi = k;
        hi = trim_space(s, lo, hi);
        *hstart = lo;
        *hend = hi;
        kind = lo < hi ? MD_ATX : MD_BREAK;
        goto done;
    }
    if (c != '=' && c != '-' && c != '*' && c != '_')
        goto done;
    for (k = lo; k < hi; k++) {
        if (s[k] == c)
            n++;
        else if (s[k] == ' ' || s[k] == '\t')
            spaced = true;
        else
            goto done;
    }
    if (n < 3 || (c == '=' && spaced))
        goto done;
    kind = (c == '=' || c == '-') && !spaced ? MD_UNDERLINE : MD_BREAK;
done:
    return kind;
}

/* The fence that line @p li opens or closes ("```", "~~~~"), 0 if none:
 * its length, its character in *c.  @p open: an opening fence (after a
 * '`' fence, no '`' on the line); else a closing one (nothing after the
 * run). */
static size_t md_fence(const unsigned char *s, const line_info *li,
                       bool open, unsigned char *c)
{
    size_t i = li->start, k, n = 0;

    if (i == 0 && li->tstart >= 3 && s[0] == 0xEF && s[1] == 0xBB &&
        s[2] == 0xBF)
        i = 3;
    if (li->blank || li->tstart - i > 3)
        return 0;
    for (k = i; k < li->tstart; k++)
        if (s[k] != ' ')
            return 0;
    *c = s[li->tstart];
    if (*c != '`' && *c != '~')
        return 0;
    while (li->tstart + n < li->tend && s[li->tstart + n] == *c)
        n++;
    if (n < 3)
        return 0;
    if (!open)
        return li->tstart + n == li->tend ? n : 0;
    for (k = li->tstart + n; *c == '`' && k < li->tend; k++)
        if (s[k] == '`')
            return 0;
    return n;
}

static uint32_t line_inc(uint32_t line)
{
    return line < UINT32_MAX ? line + 1 : line;
}

static int emit(splitter *sp, const unit *u, dp_unit_kind kind)
{
    dp_passage p;

    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.line = u->line;
    p.line_end = u->line_end;
    p.start = u->start;
    p.end = u->end;
    if (kind == DP_UNIT_HEADING) {
        /* A heading right after another extends its run, unless that one
         * opens the text (the document's title, not a section). */
        if (!sp->after_heading || sp->after_title)
            sp->run_start = u->start;
        sp->after_title = !sp->units;
        sp->after_heading = true;
        sp->sec_start = u->start;
        sp->sec_end = u->end;
        p.ordinal = sp->passages < UINT32_MAX ? sp->passages + 1
                                                : UINT32_MAX;
    } else {
        sp->after_heading = sp->after_title = false;
        if (sp->passages < UINT32_MAX)
            sp->passages++;
        p.ordinal = sp->passages;
    }
    sp->units = true;
    p.sec_start = sp->sec_start;
    p.sec_end = sp->sec_end;
    p.run_start = sp->run_start;
    return sp->cb(&p, sp->ctx);
}

/* Emit every waiting candidate as @p kind, oldest first. */
static int flush_pending(splitter *sp, dp_unit_kind kind)
{
    int rc = 0;

    while (sp->pend_n > 0) {
        unit u = sp->pending[sp->pend_head];
        sp->pend_head = (sp->pend_head + 1) % PENDING_MAX;
        sp->pend_n--;
        rc = emit(sp, &u, kind);
        if (rc != 0)
            goto done;
    }
done:
    return rc;
}

/* A unit is complete: queue it as a heading candidate or settle the queue
 * and emit it as a passage. */
static int add_unit(splitter *sp, const unit *u, bool candidate)
{
    int rc = 0;

    if (candidate) {
        if (sp->pend_n == PENDING_MAX) {
            unit old = sp->pending[sp->pend_head];
            sp->pend_head = (sp->pend_head + 1) % PENDING_MAX;
            sp->pend_n--;
            rc = emit(sp, &old, DP_UNIT_PASSAGE);
            if (rc != 0)
                goto done;
        }
        sp->pending[(sp->pend_head + sp->pend_n) % PENDING_MAX] = *u;
        sp->pend_n++;
        goto done;
    }
    rc = flush_pending(sp, DP_UNIT_HEADING);
    if (rc != 0)
        goto done;
    rc = emit(sp, u, DP_UNIT_PASSAGE);
done:
    return rc;
}

static bool line_is_candidate(const unsigned char *s, const line_info *li)
{
    return li->chars <= DP_HEADING_MAX_CHARS && !li->dash && !li->comma &&
           (li->open || li->caps_stop) &&
           !holds_sentences(s, li->tstart, li->tend);
}

/* Split the block of non-blank lines that starts at @p pos (line @p line),
 * whose first line the caller has read into @p first; on return *next_pos
 * and *next_line are just after it. */
static int split_block(splitter *sp, const line_info *first, size_t pos,
                       uint32_t line, size_t *next_pos, uint32_t *next_line)
{
    const unsigned char *s = (const unsigned char *)sp->text;
    size_t hist[WRAP_MAX_COLS + 1][2];
    size_t maxcols = 0, nlines = 0, nonlast = 0, longs = 0, open_longs = 0;
    size_t p = pos, c, thresh;
    bool have_prev = false, wrapped = false, in_unit = false;
    size_t prev_cols = 0;
    bool prev_open = false;
    line_info li, next, last, memo[LINE_MEMO];
    size_t k, hstart = 0, hend = 0;
    unsigned char fc;
    unit u;
    int rc = 0;

    memset(&u, 0, sizeof u);
    memset(&last, 0, sizeof last);
    memset(hist, 0, sizeof hist);
    /* Pass 1: statistics of the block. */
    while (p < sp->len) {
        if (p == pos)
            li = *first;
        else
            scan_line(s, sp->len, p, &li);
        if (li.blank)
            break;
        if (sp->markdown && p != pos && md_fence(s, &li, true, &fc) > 0)
            break; /* a fence interrupts the block */
        if (nlines < LINE_MEMO)
            memo[nlines] = li;
        if (have_prev) {
            nonlast++;
            if (prev_cols <= WRAP_MAX_COLS)
                hist[prev_cols][prev_open ? 1 : 0]++;
        }
        have_prev = true;
        prev_cols = li.cols;
        prev_open = li.open;
        if (li.cols > maxcols)
            maxcols = li.cols;
        nlines++;
        p = li.next;
    }
    *next_pos = p;
    thresh = (maxcols + 1) / 2;
    if (nlines >= 2 && maxcols >= WRAP_MIN_COLS && maxcols <= WRAP_MAX_COLS) {
        for (c = thresh; c <= WRAP_MAX_COLS; c++) {
            longs += hist[c][0] + hist[c][1];
            open_longs += hist[c][1];
        }
        wrapped = longs > 0 && 2 * longs >= nonlast &&
                  2 * open_longs >= longs;
    }

    /* Pass 2: units. */
    p = pos;
    for (k = 0; p < *next_pos; k++) {
        if (k < LINE_MEMO)
            li = memo[k];
        else
            scan_line(s, sp->len, p, &li);
        if (sp->markdown) {
            md_kind kind = md_line(s, &li, &hstart, &hend);
            bool setext = false;

            /* A Setext heading: look at the next line of the block. */
            if (kind == MD_TEXT && !li.dash && li.next < *next_pos) {
                if (k + 1 < LINE_MEMO)
                    next = memo[k + 1];
                else
                    scan_line(s, sp->len, li.next, &next);
                setext = md_line(s, &next, &hstart, &hend) == MD_UNDERLINE;
            }
            if (kind != MD_TEXT || setext) {
                if (in_unit) {
                    /* A wrapped unit ends before it. */
                    bool single = u.line == u.line_end;
                    rc = add_unit(sp, &u,
                                  single && line_is_candidate(s, &last));
                    if (rc != 0)
                        goto done;
                    in_unit = false;
                }
                if (kind == MD_ATX || setext) {
                    u.line = u.line_end = line;
                    u.start = kind == MD_ATX ? hstart : li.tstart;
                    u.end = kind == MD_ATX ? hend : li.tend;
                    rc = add_unit(sp, &u, true);
                    if (rc != 0)
                        goto done;
                }
                if (setext) {
                    /* The underline goes with its heading. */
                    li = next;
                    line = line_inc(line);
                    k++;
                }
                p = li.next;
                line = line_inc(line);
                continue;
            }
        }
        if (!wrapped) {
            u.line = u.line_end = line;
            u.start = li.tstart;
            u.end = li.tend;
            rc = add_unit(sp, &u, line_is_candidate(s, &li));
            if (rc != 0)
                goto done;
        } else {
            if (in_unit && li.bullet) {
                rc = add_unit(sp, &u, false);
                if (rc != 0)
                    goto done;
                in_unit = false;
            }
            if (!in_unit) {
                u.line = line;
                u.start = li.tstart;
                in_unit = true;
            }
            u.line_end = line;
            u.end = li.tend;
            last = li;
            if (li.cols < thresh || li.next >= *next_pos) {
                bool single = u.line == u.line_end;
                rc = add_unit(sp, &u, single && line_is_candidate(s, &li));
                if (rc != 0)
                    goto done;
                in_unit = false;
            }
        }
        p = li.next;
        line = line_inc(line);
    }
done:
    *next_line = line;
    return rc;
}

/* The fenced code block whose opening fence is line @p open (line number
 * @p line): one passage from that fence to the closing one (or to the
 * last non-blank line of the text); *next_pos and *next_line are just
 * after it. */
static int split_fenced(splitter *sp, const line_info *open, uint32_t line,
                        size_t *next_pos, uint32_t *next_line)
{
    const unsigned char *s = (const unsigned char *)sp->text;
    unsigned char c = 0, cc = 0;
    size_t n = md_fence(s, open, true, &c), p = open->next;
    line_info li;
    unit u;

    u.line = u.line_end = line;
    u.start = open->tstart;
    u.end = open->tend;
    line = line_inc(line);
    while (p < sp->len) {
        scan_line(s, sp->len, p, &li);
        p = li.next;
        if (!li.blank) {
            u.line_end = line;
            u.end = li.tend;
        }
        line = line_inc(line);
        if (md_fence(s, &li, false, &cc) >= n && cc == c)
            break;
    }
    *next_pos = p;
    *next_line = line;
    return add_unit(sp, &u, false);
}

/* ---- YAML front matter ------------------------------------------------- */

/* Whether line @p li of @p s is exactly @p mark ("---", "..."), from the
 * first byte of its line, white space after it allowed. */
static bool fm_mark(const unsigned char *s, const line_info *li,
                    const char *mark)
{
    size_t n = strlen(mark);

    return !li->blank && li->tstart == li->start &&
           li->tend - li->tstart == n && memcmp(s + li->tstart, mark, n) == 0;
}

/* If line @p li opens with a YAML key ("title:", "date-published:"), its
 * length; else 0.  A key is ASCII letters, digits, '_' and '-', then ':'
 * and white space or the end of the line. */
static size_t fm_key(const unsigned char *s, const line_info *li)
{
    size_t i = li->tstart;

    while (i < li->tend &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
        i++;
    if (i == li->tstart || i >= li->tend || s[i] != ':' ||
        (i + 1 < li->tend && s[i + 1] != ' ' && s[i + 1] != '\t'))
        return 0;
    return i - li->tstart;
}

bool dp_passage_front_matter(const char *text, size_t len, dp_text_format fmt,
                             dp_front_matter *fm)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t *cur = NULL;     /* the end of the field being read */
    size_t keys = 0, p, bom = 0;
    uint32_t lines = 1;
    line_info li;

    memset(fm, 0, sizeof *fm);
    if (text == NULL || fmt != DP_TEXT_MARKDOWN)
        return false;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        bom = 3;
    scan_line(s, len, bom, &li);
    if (!fm_mark(s, &li, "---"))
        return false;
    for (p = li.next; p < len; p = li.next) {
        size_t k;
        scan_line(s, len, p, &li);
        lines++;
        if (li.blank)
            continue;
        if (fm_mark(s, &li, "---") || fm_mark(s, &li, "...")) {
            if (keys == 0)
                break; /* "---" twice: two thematic breaks */
            fm->end = li.next;
            fm->lines = lines;
            return true;
        }
        if (li.tstart > li.start || s[li.tstart] == '-') {
            /* an indented line or a list item: the value goes on */
            if (cur != NULL)
                *cur = li.tend;
            continue;
        }
        if (s[li.tstart] == '#') /* a comment */
            continue;
        k = fm_key(s, &li);
        if (k == 0)
            break; /* not YAML: a thematic break, then text */
        keys++;
        cur = NULL;
        if ((k == 5 && memcmp(s + li.tstart, "title", 5) == 0) ||
            (k == 4 && memcmp(s + li.tstart, "date", 4) == 0)) {
            size_t *vs = k == 5 ? &fm->title_start : &fm->date_start;
            cur = k == 5 ? &fm->title_end : &fm->date_end;
            *vs = skip_space(s, li.tstart + k + 1, li.tend);
            *cur = li.tend;
        }
    }
    memset(fm, 0, sizeof *fm);
    return false; /* a thematic break (not closed, or not YAML) */
}

size_t dp_passage_meta_value(const char *text, size_t start, size_t end,
                             char *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = 0, p = start, i, j;
    line_info li;
    bool first = true;

    if (text == NULL || start >= end) {
        if (out != NULL)
            out[0] = '\0';
        return 0;
    }
    /* The lines of the value, each without its indentation, joined by
     * one space; a block scalar's indicator ("|", ">-") is dropped. */
    while (p < end) {
        scan_line(s, end, p, &li);
        p = li.next;
        if (li.blank)
            continue;
        if (first && (s[li.tstart] == '|' || s[li.tstart] == '>')) {
            first = false;
            continue;
        }
        if (n > 0)
            out[n++] = ' ';
        memcpy(out + n, s + li.tstart, li.tend - li.tstart);
        n += li.tend - li.tstart;
        first = false;
    }
    out[n] = '\0';
    /* A quoted scalar: its quotes off, its escapes read ("\"", "\\" in
     * double quotes, "''" in single ones); a plain one ends at " #". */
    if (n >= 2 && (out[0] == '"' || out[0] == '\'')) {
        char q = out[0];
        for (i = 1, j = 0; i < n; i++) {
            if (out[i] == q && q == '\'' && i + 1 < n && out[i + 1] == '\'') {
                out[j++] = out[i++];
                continue;
            }
            if (out[i] == q)
                break;
            if (q == '"' && out[i] == '\\' && i + 1 < n &&
                (out[i + 1] == '"' || out[i + 1] == '\\'))
                i++;
            out[j++] = out[i];
        }
        n = j;
    } else {
        for (i = 0; i + 1 < n; i++)
            if ((out[i] == ' ' || out[i] == '\t') && out[i + 1] == '#') {
                n = i;
                break;
            }
    }
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        n--;
    out[n] = '\0';
    return n;
}

dp_text_format dp_passage_format_of(const char *name)
{
    static const char *const md[] = { ".md", ".markdown" };
    size_t n = name ? strlen(name) : 0, e, i, j;
    dp_text_format fmt = DP_TEXT_PLAIN;

    for (i = 0; i < sizeof md / sizeof md[0]; i++) {
        e = strlen(md[i]);
        if (n <= e)
            continue;
        for (j = 0; j < e; j++)
            if ((name[n - e + j] | 0x20) != md[i][j])
                break;
        if (j == e)
            fmt = DP_TEXT_MARKDOWN;
    }
    return fmt;
}

int dp_passage_split(const char *text, size_t len, dp_passage_cb cb,
                     void *ctx, dp_error *err)
{
    return dp_passage_split_as(text, len, DP_TEXT_PLAIN, cb, ctx, err);
}

/* Does [lo, hi) hold a letter or a digit (or any non-ASCII byte)? */
static bool has_word_byte(const unsigned char *s, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++)
        if (s[i] >= 0x80 || (s[i] >= '0' && s[i] <= '9') ||
            ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
            return true;
    return false;
}

/* Append [hs, he) to the @p n spans of @p starts / @p ends, dropping the
 * oldest when @p max are there (the last ones are kept). */
static void run_push(size_t *starts, size_t *ends, size_t *n, size_t max,
                     size_t hs, size_t he)
{
    if (*n == max) {
        memmove(starts, starts + 1, (max - 1) * sizeof *starts);
        memmove(ends, ends + 1, (max - 1) * sizeof *ends);
        (*n)--;
    }
    starts[*n] = hs;
    ends[*n] = he;
    (*n)++;
}

size_t dp_passage_run(const char *text, const dp_passage *p,
                      dp_text_format fmt, size_t *starts, size_t *ends,
                      size_t max)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = 0, pos = p->run_start;
    line_info li;

    if (max == 0 || p->sec_end <= p->sec_start)
        return 0;
    /* From the start of its line: the run may begin after an ATX heading's
     * "## ", whose closing marks md_line() must see too. */
    while (pos > 0 && s[pos - 1] != '\n' && s[pos - 1] != '\r')
        pos--;
    /* The headings before the section heading: one per non-blank line (a
     * heading is a line of its own), without Markdown's marks, and
     * without lines of punctuation only (a plain text's "=====" under a
     * title). */
    while (pos < p->sec_start) {
        size_t hs = 0, he = 0;

        scan_line(s, p->sec_start, pos, &li);
        pos = li.next;
        if (li.blank)
            continue;
        hs = li.tstart;
        he = li.tend;
        if (fmt == DP_TEXT_MARKDOWN) {
            md_kind k = md_line(s, &li, &hs, &he);

            if (k == MD_UNDERLINE || k == MD_BREAK)
                continue;
            if (k == MD_TEXT) {
                hs = li.tstart;
                he = li.tend;
            }
        }
        if (has_word_byte(s, hs, he))
            run_push(starts, ends, &n, max, hs, he);
    }
    run_push(starts, ends, &n, max, p->sec_start, p->sec_end);
    return n;
}

int dp_passage_split_as(const char *text, size_t len, dp_text_format fmt,
                        dp_passage_cb cb, void *ctx, dp_error *err)
{
    splitter *sp = NULL;
    splitter state;
    size_t pos = 0;
    uint32_t line = 1;
    line_info li;
    unsigned char fc;
    dp_front_matter fm;
    int rc = DP_OK;

    if (cb == NULL || (text == NULL && len > 0)) {
        rc = dp_error_set(err, DP_EINVAL, "passage split: bad argument");
        goto done;
    }
    memset(&state, 0, sizeof state);
    sp = &state;
    sp->text = text;
    sp->len = len;
    sp->cb = cb;
    sp->ctx = ctx;
    sp->markdown = fmt == DP_TEXT_MARKDOWN;
    /* A Markdown file's YAML front matter is no unit (its title and date
     * are the file's, dp_passage_front_matter()). */
    if (dp_passage_front_matter(text, len, fmt, &fm)) {
        pos = fm.end;
        for (uint32_t i = 0; i < fm.lines; i++)
            line = line_inc(line);
    }
    /* A leading BOM belongs to no unit; scan_line treats it as space. */
    while (pos < len) {
        scan_line((const unsigned char *)text, len, pos, &li);
        if (li.blank) {
            pos = li.next;
            line = line_inc(line);
            continue;
        }
        if (sp->markdown && md_fence((const unsigned char *)text, &li, true,
                                     &fc) > 0)
            rc = split_fenced(sp, &li, line, &pos, &line);
        else
            rc = split_block(sp, &li, pos, line, &pos, &line);
        if (rc != 0)
            goto done;
    }
    rc = flush_pending(sp, DP_UNIT_PASSAGE);
done:
    return rc;
}

/* ---- the document's own numbering -------------------------------------- */

/* Whether [i, end) of @p s starts with white space or is empty: what may
 * follow a paragraph number. */
static bool space_or_end(const unsigned char *s, size_t i, size_t end)
{
    size_t adv;

    return i >= end || is_space(decode_cp(s, i, end, &adv));
}

uint32_t dp_passage_number(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i, digits = 0;
    bool sign = false;
    uint32_t n = 0;

    if (text == NULL)
        return 0;
    i = skip_space(s, 0, len);
    if (len - i >= 2 && memcmp(s + i, "\xC2\xA7", 2) == 0) { /* § */
        sign = true;
        i = skip_space(s, i + 2, len);
    }
    if (i >= len || s[i] < '1' || s[i] > '9')
        return 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' &&
           digits < DP_PASSAGE_NUMBER_DIGITS) {
        n = n * 10 + (uint32_t)(s[i++] - '0');
        digits++;
    }
    if (i < len && s[i] >= '0' && s[i] <= '9')
        return 0; /* too long for a paragraph number: an amount */
    /* "12. Les Parties", "§ 12 Les Parties", "§12. …"; not "1.5 million"
     * nor "12 États". */
    if (i < len && s[i] == '.')
        return space_or_end(s, i + 1, len) ? n : 0;
    return sign && space_or_end(s, i, len) ? n : 0;
}

bool dp_passage_numbered(const uint32_t *nums, size_t n)
{
    uint32_t next = 1;

    for (size_t i = 0; i < n; i++) {
        if (nums[i] == 0)
            continue;
        if (nums[i] != next)
            return false;
        next++;
    }
    return next - 1 >= DP_PASSAGE_NUMBERED_MIN && (next - 1) * 4 >= n;
}
