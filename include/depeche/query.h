/*
 * query.h -- the query language: parse text into a tree, compile the tree
 * into a Xapian query.
 *
 * Syntax (docs/query-language.md has the full grammar and examples):
 *
 *   mot1 mot2          ranked: passages with more of the words rank higher
 *   "texte exact"      phrase (also « … » and “ … ”), not stemmed
 *   "a b"~3            words in order within 3 extra positions
 *   a NEAR/5 b         both within 5 words, any order
 *   a AND b, a OR b, a NOT b, +a, -a, ( … )
 *   diplomat*          words starting with "diplomat" (bounded expansion);
 *                      a '*' inside a word ("Pak*stan") is an error
 *   Musharraf~, ~2     spelling variants within edit distance 1 (or 2)
 *   =Relations         this exact word, not stemmed
 *   file:GLOB  section:WORD|"PHRASE"  title:WORD|"PHRASE"   filters
 *
 * Precedence, loosest first: OR, AND, NOT, juxtaposition, NEAR, the
 * unary + and -.  Juxtaposed clauses are ranked together: +clauses are
 * required, -clauses excluded, filters restrict, the rest are optional
 * and only rank.  Operators are upper case (French "et", "ou" and
 * English "and" are words).  Every word goes through the analyzer used
 * for the texts.
 *
 * Errors are DP_ESYNTAX with a message "column C: what", C the 1-based
 * character column in the query.  In lenient mode nothing is an error:
 * quotes, brackets and operators that do not parse are read as words.
 */
#ifndef DEPECHE_QUERY_H
#define DEPECHE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "depeche/analyzer.h"
#include "depeche/buf.h"
#include "depeche/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DP_QUERY_MAX_BYTES (64 * 1024)   /* longer queries are refused */
#define DP_QUERY_MAX_DEPTH 64            /* nesting of ( ) and operators */
#define DP_QUERY_MAX_NODES 4096          /* words and operators */
#define DP_QUERY_MAX_WINDOW 1000         /* NEAR/N and "…"~N */
#define DP_QUERY_MAX_FUZZY 2             /* word~N, N <= this */
#define DP_QUERY_MAX_EXPANSION 200       /* words a prefix or fuzzy word
                                            stands for (most frequent) */

typedef enum dp_qnode_kind {
    DP_Q_WORD,     /* free word: ranked on its stem */
    DP_Q_EXACT,    /* =word: its folded form, not stemmed */
    DP_Q_PHRASE,   /* "…" or "…"~N (slop) */
    DP_Q_PREFIX,   /* word* */
    DP_Q_FUZZY,    /* word~N */
    DP_Q_FIELD,    /* file:, section:, title: (child or text) */
    DP_Q_NEAR,     /* children within slop words, any order */
    DP_Q_AND,
    DP_Q_OR,
    DP_Q_NOT,      /* first child, without the second */
    DP_Q_SEQ       /* juxtaposed clauses, each with a modifier */
} dp_qnode_kind;

typedef enum dp_qmod {
    DP_QMOD_NONE = 0,  /* optional: ranks */
    DP_QMOD_MUST,      /* +clause */
    DP_QMOD_MUSTNOT    /* -clause */
} dp_qmod;

typedef enum dp_qfield {
    DP_QFIELD_FILE = 'F',
    DP_QFIELD_SECTION = 'S',
    DP_QFIELD_TITLE = 'T'
} dp_qfield;

typedef struct dp_qnode dp_qnode;
struct dp_qnode {
    dp_qnode_kind kind;
    dp_qmod mod;             /* within a DP_Q_SEQ */
    dp_qfield field;         /* DP_Q_FIELD */
    const char *text;        /* the raw text of a leaf (into the query) */
    size_t len;
    uint32_t slop;           /* PHRASE, NEAR: extra window; FUZZY: distance */
    bool quoted;             /* FIELD: the value was a "phrase" */
    uint32_t column;         /* 1-based column where the node starts */
    dp_qnode **kids;
    size_t nkids;
};

typedef struct dp_query dp_query;

/** The length of the white space that starts @p s (@p n bytes), 0 if
 * none: ASCII white space, and the Unicode White_Space characters that
 * pasted text brings (no-break, narrow no-break, em and thin spaces, the
 * ideographic space, next line, line and paragraph separators), which
 * separate query words as a space does. */
size_t dp_query_space_len(const char *s, size_t n);

/** Whether @p s (@p len bytes) is valid UTF-8 without NUL bytes.
 * @return DP_OK, or DP_ESYNTAX with "column C: invalid UTF-8" (or "NUL
 * byte in the query") in @p err. */
int dp_query_check_bytes(const char *s, size_t len, dp_error *err);

/**
 * Parse @p text (UTF-8, @p len bytes).  @p lenient reads what does not
 * parse as plain words instead of failing.
 * @return DP_OK, DP_ESYNTAX ("column C: what" in @p err), DP_ELIMIT
 * (too long, too deep, too many words; also with a column), DP_ENOMEM.
 */
int dp_query_parse(dp_query **out, const char *text, size_t len,
                   bool lenient, dp_error *err);

/** The lenient reading of @p text whatever it holds: one free-word node
 * over all of it (for a query that parses but cannot be searched as
 * written, e.g. NEAR over an expansion, under --lenient).
 * @return DP_OK, DP_ELIMIT (over DP_QUERY_MAX_BYTES), DP_ENOMEM. */
int dp_query_plain(dp_query **out, const char *text, size_t len,
                   dp_error *err);

/** Free a query.  NULL is accepted. */
void dp_query_free(dp_query *q);

/** The root of the tree; borrowed until dp_query_free(). */
const dp_qnode *dp_query_root(const dp_query *q);

/** Append a canonical rendering of the tree (for tests and --explain),
 * e.g. (OR (WORD cooperation) (PHRASE "coopération militaire")). */
DP_NODISCARD int dp_query_describe(const dp_query *q, dp_buf *out);

#ifdef __cplusplus
}
#endif
#endif
