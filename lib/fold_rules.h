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

/* The code points whose fold is tabulated at build time (Latin-1, Latin
 * Extended-A/B, IPA, spacing modifiers such as U+02BC), plus U+2019. */
#define DP_FOLD_TABLE_FIRST 0x80
#define DP_FOLD_TABLE_LAST 0x2FF

#endif
