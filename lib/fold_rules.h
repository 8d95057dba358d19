/*
 * fold_rules.h -- the folding of dépêche's analyzer, in ICU transliterator
 * syntax, shared by lib/analyzer.c and the generator of its per-code-point
 * table (lib/gen_fold_table.c).
 *
 * NFKD splits compatibility forms (ﬁ, 13ᵉ) and accents; marks and invisible
 * format characters (soft hyphen, zero-width joiner) go; Latin-ASCII
 * expands the ligatures NFKD leaves alone (œ, æ, ß), strips the letters
 * with strokes (ł, ø, đ) and turns ’ and ʼ into '; then lowercase.
 */
#ifndef DEPECHE_FOLD_RULES_H
#define DEPECHE_FOLD_RULES_H

#define DP_FOLD_RULES                                                       \
    "::NFKD; ::[:Nonspacing Mark:] Remove;"                                 \
    " ::[:Default_Ignorable_Code_Point:] Remove;"                           \
    " ::Latin-ASCII; ::Lower; ::NFC;"

/* The ranges of code points whose fold is tabulated at build time, as
 * X(first, last): Latin-1, Latin Extended-A/B, IPA, spacing modifiers
 * (U+02BC), combining diacritics, Greek, Cyrillic; phonetic extensions
 * (the ordinal's ᵉ), Latin Extended Additional; U+2019; superscripts and
 * subscripts; the Latin ligatures (ﬁ).  Other characters, and those of
 * these whose fold depends on their neighbours (the Greek final sigma),
 * are folded by the transliterator itself. */
#define DP_FOLD_TABLE_RANGES                                                \
    X(0x0080, 0x052F) X(0x1D00, 0x1EFF) X(0x2019, 0x2019)                 \
    X(0x2070, 0x209F) X(0xFB00, 0xFB06)

#endif
