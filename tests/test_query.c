/* test_query.c -- the query parser: syntax, precedence, errors, lenient. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "depeche/buf.h"
#include "depeche/error.h"
#include "depeche/query.h"

/* ---- helpers ------------------------------------------------------------ */

/* A query text and the dp_query_describe() rendering it must give. */
struct parse_case {
    const char *in;
    const char *want;
};

/* A malformed query: its code and the column and words of the message.
 * len 0 means strlen(in) (so that a NUL byte can be passed). */
struct error_case {
    const char *in;
    size_t len;
    int code;
    unsigned long column;
    const char *what;
};

static size_t case_len(const struct error_case *c)
{
    return c->len ? c->len : strlen(c->in);
}

/* How much of a query a failure message shows. */
#define SHOWN(len) ((int)((len) < 80 ? (len) : 80))

/* The C of a message "column C: what", 0 if it does not start so. */
static unsigned long msg_column(const char *msg)
{
    char *end = NULL;
    unsigned long c;

    if (strncmp(msg, "column ", 7) != 0)
        return 0;
    c = strtoul(msg + 7, &end, 10);
    if (end == msg + 7 || strncmp(end, ": ", 2) != 0)
        return 0;
    return c;
}

/* Characters (code points) of well-formed UTF-8 text. */
static size_t count_chars(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

/* Parse @p in and fail the test unless it renders as @p want. */
static void expect_describe(const char *in, bool lenient, const char *want)
{
    dp_query *q = NULL;
    dp_error err = DP_ERROR_INIT;
    dp_buf b = DP_BUF_INIT;
    int rc = dp_query_parse(&q, in, strlen(in), lenient, &err);

    if (rc != DP_OK)
        fail_msg("%s [%s]: rc %d (%s), want %s", lenient ? "lenient" : "strict",
                 in, rc, err.msg, want);
    assert_non_null(q);
    assert_int_equal(dp_query_describe(q, &b), DP_OK);
    if (strcmp(dp_buf_cstr(&b), want) != 0)
        fail_msg("%s [%s]:\n  got  %s\n  want %s",
                 lenient ? "lenient" : "strict", in, dp_buf_cstr(&b), want);
    dp_buf_release(&b);
    dp_query_free(q);
}

/* Parse @p in strictly and fail the test unless it fails with @p code,
 * leaves *out NULL and says "column C: ...@p what...". */
static void expect_error(const char *in, size_t len, int code,
                         unsigned long column, const char *what)
{
    char sentinel = 0;
    dp_query *q = (dp_query *)&sentinel;
    dp_error err = DP_ERROR_INIT;
    int rc = dp_query_parse(&q, in, len, false, &err);

    if (rc != code || err.code != code || msg_column(err.msg) != column ||
        strstr(err.msg, what) == NULL)
        fail_msg("[%.*s]: rc %d \"%s\", want %d \"column %lu: ...%s...\"",
                 SHOWN(len), in, rc, err.msg, code, column, what);
    if (q != NULL)
        fail_msg("[%.*s]: failed parse left *out set", SHOWN(len), in);
}

/* Parse @p in leniently: DP_OK and one WORD node over the whole text. */
static void expect_lenient_word(const char *in, size_t len)
{
    dp_query *q = NULL;
    dp_error err = DP_ERROR_INIT;
    const dp_qnode *root = NULL;
    int rc = dp_query_parse(&q, in, len, true, &err);

    if (rc != DP_OK)
        fail_msg("lenient [%.*s] (%zu bytes): rc %d (%s)", SHOWN(len), in, len,
                 rc, err.msg);
    assert_non_null(q);
    root = dp_query_root(q);
    assert_non_null(root);
    if (root->kind != DP_Q_WORD || root->text != in || root->len != len ||
        root->nkids != 0 || root->mod != DP_QMOD_NONE)
        fail_msg("lenient [%.*s]: kind %d, %zu bytes, %zu kids, want one "
                 "WORD over %zu bytes", SHOWN(len), in, (int)root->kind,
                 root->len, root->nkids, len);
    assert_int_equal(err.code, DP_OK);
    assert_string_equal(err.msg, "");
    if (memchr(in, '\0', len) == NULL) {
        dp_buf want = DP_BUF_INIT, got = DP_BUF_INIT;
        assert_int_equal(dp_buf_addf(&want, "(WORD \"%.*s\")", (int)len, in),
                         DP_OK);
        assert_int_equal(dp_query_describe(q, &got), DP_OK);
        assert_string_equal(dp_buf_cstr(&got), dp_buf_cstr(&want));
        dp_buf_release(&want);
        dp_buf_release(&got);
    }
    dp_query_free(q);
}

/* ---- well-formed queries ------------------------------------------------ */

static const struct parse_case construct_cases[] = {
    /* free words */
    { "mot", "(WORD \"mot\")" },
    { "mot1 mot2", "(SEQ (WORD \"mot1\") (WORD \"mot2\"))" },
    { " \ta\n b\r\n", "(SEQ (WORD \"a\") (WORD \"b\"))" },
    /* Unicode spaces of pasted text separate tokens too: no-break,
     * narrow no-break, em, ideographic, line separator */
    { "Kosovo\u00a0Serbie", "(SEQ (WORD \"Kosovo\") (WORD \"Serbie\"))" },
    { "a\u00a0AND\u202fb", "(AND (WORD \"a\") (WORD \"b\"))" },
    { "\u2003a\u3000(b)\u2028", "(SEQ (WORD \"a\") (WORD \"b\"))" },
    { "a\u00a0-\u00a0b", "(SEQ (WORD \"a\") (WORD \"-\") (WORD \"b\"))" },
    { "15\u00a0000 emplois", "(SEQ (WORD \"15\u00a0000\") (WORD \"emplois\"))" },
    /* phrases, with each pair of quotes */
    { "\"texte exact\"", "(PHRASE \"texte exact\")" },
    { "«texte exact»", "(PHRASE \"texte exact\")" },
    { "“texte exact”", "(PHRASE \"texte exact\")" },
    { "„texte exact“", "(PHRASE \"texte exact\")" },
    { "« texte exact »", "(PHRASE \" texte exact \")" },
    { "«texte exact\"", "(PHRASE \"texte exact\")" }, /* uneven quotes */
    { "x\"a b\"y", "(SEQ (WORD \"x\") (PHRASE \"a b\") (WORD \"y\"))" },
    /* sloppy phrases */
    { "\"a b\"~3", "(PHRASE/3 \"a b\")" },
    { "«a b»~2", "(PHRASE/2 \"a b\")" },
    { "\"a b\"~0", "(PHRASE \"a b\")" },
    { "\"a b\"~1000", "(PHRASE/1000 \"a b\")" },
    /* NEAR */
    { "a NEAR/5 b", "(NEAR/5 (WORD \"a\") (WORD \"b\"))" },
    { "a NEAR b", "(NEAR/10 (WORD \"a\") (WORD \"b\"))" },
    { "a NEAR/0 b", "(NEAR/0 (WORD \"a\") (WORD \"b\"))" },
    { "a NEAR/1000 b", "(NEAR/1000 (WORD \"a\") (WORD \"b\"))" },
    { "a NEAR/2 b NEAR/2 c",
      "(NEAR/2 (WORD \"a\") (WORD \"b\") (WORD \"c\"))" },
    { "a NEAR b NEAR c", "(NEAR/10 (WORD \"a\") (WORD \"b\") (WORD \"c\"))" },
    { "a NEAR/2 b NEAR/3 c",
      "(NEAR/3 (NEAR/2 (WORD \"a\") (WORD \"b\")) (WORD \"c\"))" },
    { "\"a b\" NEAR/4 c*", "(NEAR/4 (PHRASE \"a b\") (PREFIX \"c\"))" },
    /* + and - */
    { "+a", "(SEQ +(WORD \"a\"))" },
    { "-a", "(SEQ -(WORD \"a\"))" },
    { "a +b -c", "(SEQ (WORD \"a\") +(WORD \"b\") -(WORD \"c\"))" },
    { "-\"a b\"", "(SEQ -(PHRASE \"a b\"))" },
    { "x -«a b»", "(SEQ (WORD \"x\") -(PHRASE \"a b\"))" },
    { "+(a b)", "(SEQ +(SEQ (WORD \"a\") (WORD \"b\")))" },
    { "+(a)", "(SEQ +(WORD \"a\"))" },
    { "x -(a OR b)", "(SEQ (WORD \"x\") -(OR (WORD \"a\") (WORD \"b\")))" },
    { "+=a -b*", "(SEQ +(EXACT \"a\") -(PREFIX \"b\"))" },
    { "+file:x", "(SEQ +(FIELD file \"x\"))" },
    { "a - b", "(SEQ (WORD \"a\") (WORD \"-\") (WORD \"b\"))" }, /* a dash */
    /* prefix, fuzzy, exact */
    { "diplomat*", "(PREFIX \"diplomat\")" },
    { "*", "(WORD \"*\")" },
    /* a '*' before or after the word's letters is not inside it */
    { "*stan", "(WORD \"*stan\")" },
    { "**Pakistan**", "(PREFIX \"**Pakistan*\")" },
    { "Pak**", "(PREFIX \"Pak*\")" },
    { "=Pak*", "(EXACT \"Pak*\")" },
    { "**", "(PREFIX \"*\")" },
    /* filters keep their globs and their words (a prefix* among them) */
    { "file:0*_*", "(FIELD file \"0*_*\")" },
    { "section:coop*", "(FIELD section \"coop*\")" },
    /* numbers with their thousands apart are one word */
    { "15 000 emplois", "(SEQ (WORD \"15 000\") (WORD \"emplois\"))" },
    { "1 234 567,5", "(WORD \"1 234 567,5\")" },
    { "+15 000 -20 000",
      "(SEQ +(WORD \"15 000\") -(WORD \"20 000\"))" },
    { "15 000*", "(PREFIX \"15 000\")" },
    { "15 000~1", "(FUZZY/1 \"15 000\")" },
    { "=15 000", "(EXACT \"15 000\")" },
    { "title:15 000", "(FIELD title \"15 000\")" },
    { "15 000-20 000", "(WORD \"15 000-20 000\")" },
    { "15 000-abc", "(SEQ (WORD \"15\") (WORD \"000-abc\"))" },
    { "2010 300", "(SEQ (WORD \"2010\") (WORD \"300\"))" },
    { "15 0001", "(SEQ (WORD \"15\") (WORD \"0001\"))" },
    { "(15 000)", "(WORD \"15 000\")" },
    { "Musharraf~", "(FUZZY/1 \"Musharraf\")" },
    { "Musharraf~1", "(FUZZY/1 \"Musharraf\")" },
    { "Musharraf~2", "(FUZZY/2 \"Musharraf\")" },
    { "~", "(WORD \"~\")" },
    { "=Relations", "(EXACT \"Relations\")" },
    { "=", "(WORD \"=\")" },
    /* filters */
    { "file:000_*", "(FIELD file \"000_*\")" },
    { "section:\"Relations économiques\"",
      "(FIELD section quoted \"Relations économiques\")" },
    { "section:«Relations économiques»",
      "(FIELD section quoted \"Relations économiques\")" },
    { "section:Relations", "(FIELD section \"Relations\")" },
    { "title:monde", "(FIELD title \"monde\")" },
    { "title:\"Le Monde\"", "(FIELD title quoted \"Le Monde\")" },
    { "file:\"a b\"", "(FIELD file quoted \"a b\")" },
    { "Chine file:000_* -title:x",
      "(SEQ (WORD \"Chine\") (FIELD file \"000_*\") -(FIELD title \"x\"))" },
    /* apostrophes, hyphens, numbers stay one word */
    { "l'État", "(WORD \"l'État\")" },
    { "l’État", "(WORD \"l’État\")" },
    { "libre-échange", "(WORD \"libre-échange\")" },
    { "7,3", "(WORD \"7,3\")" },
    { "O.N.U.", "(WORD \"O.N.U.\")" },
    { "aujourd'hui l'Azerbaïdjan",
      "(SEQ (WORD \"aujourd'hui\") (WORD \"l'Azerbaïdjan\"))" },
};

static const struct parse_case precedence_cases[] = {
    { "a OR b AND c",
      "(OR (WORD \"a\") (AND (WORD \"b\") (WORD \"c\")))" },
    { "a AND b OR c",
      "(OR (AND (WORD \"a\") (WORD \"b\")) (WORD \"c\"))" },
    { "a AND b NOT c",
      "(AND (WORD \"a\") (NOT (WORD \"b\") (WORD \"c\")))" },
    { "a NOT b AND c",
      "(AND (NOT (WORD \"a\") (WORD \"b\")) (WORD \"c\"))" },
    { "a NOT b OR c",
      "(OR (NOT (WORD \"a\") (WORD \"b\")) (WORD \"c\"))" },
    { "a OR b OR c", "(OR (WORD \"a\") (WORD \"b\") (WORD \"c\"))" },
    { "a AND b AND c", "(AND (WORD \"a\") (WORD \"b\") (WORD \"c\"))" },
    { "a NOT b NOT c",
      "(NOT (NOT (WORD \"a\") (WORD \"b\")) (WORD \"c\"))" },
    /* juxtaposition binds tighter than AND, OR and NOT */
    { "a b OR c", "(OR (SEQ (WORD \"a\") (WORD \"b\")) (WORD \"c\"))" },
    { "a b AND c d",
      "(AND (SEQ (WORD \"a\") (WORD \"b\")) (SEQ (WORD \"c\") (WORD \"d\")))" },
    { "a b NOT c d",
      "(NOT (SEQ (WORD \"a\") (WORD \"b\")) (SEQ (WORD \"c\") (WORD \"d\")))" },
    /* NEAR binds tighter than juxtaposition, + and - tighter still */
    { "a NEAR b c", "(SEQ (NEAR/10 (WORD \"a\") (WORD \"b\")) (WORD \"c\"))" },
    { "x a NEAR/5 b y",
      "(SEQ (WORD \"x\") (NEAR/5 (WORD \"a\") (WORD \"b\")) (WORD \"y\"))" },
    { "a NEAR b AND c",
      "(AND (NEAR/10 (WORD \"a\") (WORD \"b\")) (WORD \"c\"))" },
    { "+a NEAR b", "(NEAR/10 (SEQ +(WORD \"a\")) (WORD \"b\"))" },
    /* parentheses */
    { "(a OR b) AND c",
      "(AND (OR (WORD \"a\") (WORD \"b\")) (WORD \"c\"))" },
    { "a OR (b AND c)",
      "(OR (WORD \"a\") (AND (WORD \"b\") (WORD \"c\")))" },
    { "(a OR b) c", "(SEQ (OR (WORD \"a\") (WORD \"b\")) (WORD \"c\"))" },
    { "((a))", "(WORD \"a\")" },
    { "(a)(b)", "(SEQ (WORD \"a\") (WORD \"b\"))" },
    { "(a (b OR c)) d",
      "(SEQ (SEQ (WORD \"a\") (OR (WORD \"b\") (WORD \"c\"))) (WORD \"d\"))" },
    { "(a NEAR/3 b) OR (c -d)",
      "(OR (NEAR/3 (WORD \"a\") (WORD \"b\")) "
      "(SEQ (WORD \"c\") -(WORD \"d\")))" },
    { "((a OR (b AND (c NOT d))))",
      "(OR (WORD \"a\") (AND (WORD \"b\") (NOT (WORD \"c\") (WORD \"d\"))))" },
};

/* Operators are upper case; anything else that looks like one is a word. */
static const struct parse_case lookalike_cases[] = {
    { "a and b", "(SEQ (WORD \"a\") (WORD \"and\") (WORD \"b\"))" },
    { "a or b", "(SEQ (WORD \"a\") (WORD \"or\") (WORD \"b\"))" },
    { "a et b", "(SEQ (WORD \"a\") (WORD \"et\") (WORD \"b\"))" },
    { "a ou b", "(SEQ (WORD \"a\") (WORD \"ou\") (WORD \"b\"))" },
    { "a not b", "(SEQ (WORD \"a\") (WORD \"not\") (WORD \"b\"))" },
    { "a near b", "(SEQ (WORD \"a\") (WORD \"near\") (WORD \"b\"))" },
    { "a Near/3 b", "(SEQ (WORD \"a\") (WORD \"Near/3\") (WORD \"b\"))" },
    { "NEARBY ANDROID ORDRE NOTE",
      "(SEQ (WORD \"NEARBY\") (WORD \"ANDROID\") (WORD \"ORDRE\") "
      "(WORD \"NOTE\"))" },
    { "AND-OR", "(WORD \"AND-OR\")" },
    { "FILE:x Title:y", "(SEQ (WORD \"FILE:x\") (WORD \"Title:y\"))" },
};

static void expect_cases(const struct parse_case *cases, size_t n,
                         bool lenient)
{
    for (size_t i = 0; i < n; i++)
        expect_describe(cases[i].in, lenient, cases[i].want);
}

#define EXPECT_CASES(t, lenient) \
    expect_cases((t), sizeof(t) / sizeof((t)[0]), (lenient))

static void test_query_constructs(void **state)
{
    (void)state;
    EXPECT_CASES(construct_cases, false);
}

static void test_query_precedence(void **state)
{
    (void)state;
    EXPECT_CASES(precedence_cases, false);
}

static void test_query_lookalikes_are_words(void **state)
{
    (void)state;
    EXPECT_CASES(lookalike_cases, false);
}

static void test_query_lenient_same_when_well_formed(void **state)
{
    (void)state;
    EXPECT_CASES(construct_cases, true);
    EXPECT_CASES(precedence_cases, true);
    EXPECT_CASES(lookalike_cases, true);
}

/* The fields of the nodes, not only their rendering: columns count
 * characters, leaf texts point into the query. */
static void test_query_node_fields(void **state)
{
    static const struct {
        const char *in;
        int kid;              /* -1: the root, else root->kids[kid] */
        dp_qnode_kind kind;
        uint32_t column, slop;
        size_t text_at;       /* byte offset of the text in the query */
        const char *text;     /* NULL: no text */
    } cases[] = {
        { "éé a", 1, DP_Q_WORD, 4, 0, 5, "a" },
        { "x «a b»", 1, DP_Q_PHRASE, 3, 0, 4, "a b" },
        { "\"a b\"~3", -1, DP_Q_PHRASE, 1, 3, 1, "a b" },
        { "a NEAR/7 b", -1, DP_Q_NEAR, 1, 7, 0, NULL },
        { "z a NEAR/7 b", 1, DP_Q_NEAR, 3, 7, 0, NULL },
        { "word~2", -1, DP_Q_FUZZY, 1, 2, 0, "word" },
        { "l’É =Mot", 1, DP_Q_EXACT, 5, 0, 8, "Mot" },
        { "a diplo*", 1, DP_Q_PREFIX, 3, 0, 2, "diplo" },
        /* a group is named by its parenthesis; a lone word keeps its own */
        { "(a OR b)", -1, DP_Q_OR, 1, 0, 0, NULL },
        { "x ((a b))", 1, DP_Q_SEQ, 3, 0, 0, NULL },
        { "x (a)", 1, DP_Q_WORD, 4, 0, 3, "a" },
        { "title:\"é x\"", -1, DP_Q_FIELD, 1, 0, 7, "é x" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dp_query *q = NULL;
        const dp_qnode *n = NULL;
        assert_int_equal(dp_query_parse(&q, cases[i].in, strlen(cases[i].in),
                                        false, NULL),
                         DP_OK);
        n = dp_query_root(q);
        if (cases[i].kid >= 0) {
            assert_true((size_t)cases[i].kid < n->nkids);
            n = n->kids[cases[i].kid];
        }
        if (n->kind != cases[i].kind || n->column != cases[i].column ||
            n->slop != cases[i].slop)
            fail_msg("[%s]: kind %d column %u slop %u, want %d %u %u",
                     cases[i].in, (int)n->kind, n->column, n->slop,
                     (int)cases[i].kind, cases[i].column, cases[i].slop);
        if (cases[i].text == NULL) {
            assert_null(n->text);
        } else {
            assert_ptr_equal(n->text, cases[i].in + cases[i].text_at);
            assert_int_equal(n->len, strlen(cases[i].text));
            assert_memory_equal(n->text, cases[i].text, n->len);
        }
        dp_query_free(q);
    }
}

/* ---- malformed queries -------------------------------------------------- */

static const struct error_case error_cases[] = {
    /* quotes */
    { "\"a b", 0, DP_ESYNTAX, 1, "unbalanced quote" },
    { "a \"b c", 0, DP_ESYNTAX, 3, "unbalanced quote" },
    { "a b\"", 0, DP_ESYNTAX, 4, "unbalanced quote" },
    { "«a b", 0, DP_ESYNTAX, 1, "unbalanced quote" },
    { "a “b", 0, DP_ESYNTAX, 3, "unbalanced quote" },
    { "a » b", 0, DP_ESYNTAX, 3, "unbalanced quote" }, /* stray closing */
    { "a”", 0, DP_ESYNTAX, 2, "unbalanced quote" },
    { "file:\"a", 0, DP_ESYNTAX, 1, "unbalanced quote" },
    /* parentheses */
    { "(a b", 0, DP_ESYNTAX, 1, "unbalanced parenthesis" },
    { "a (b (c)", 0, DP_ESYNTAX, 3, "unbalanced parenthesis" },
    { "a b)", 0, DP_ESYNTAX, 4, "unbalanced parenthesis" },
    { "(a))", 0, DP_ESYNTAX, 4, "unbalanced parenthesis" },
    { ") a", 0, DP_ESYNTAX, 1, "unbalanced parenthesis" },
    { "()", 0, DP_ESYNTAX, 1, "empty parentheses" },
    { "a ( ) b", 0, DP_ESYNTAX, 3, "empty parentheses" },
    /* lone operators */
    { "AND", 0, DP_ESYNTAX, 1, "AND needs a word before it" },
    { "AND a", 0, DP_ESYNTAX, 1, "AND needs a word before it" },
    { "a AND", 0, DP_ESYNTAX, 3, "AND needs a word after it" },
    { "OR a", 0, DP_ESYNTAX, 1, "OR needs a word before it" },
    { "a OR", 0, DP_ESYNTAX, 3, "OR needs a word after it" },
    { "NOT a", 0, DP_ESYNTAX, 1, "NOT needs a word before it" },
    { "a NOT", 0, DP_ESYNTAX, 3, "NOT needs a word after it" },
    { "NEAR a", 0, DP_ESYNTAX, 1, "NEAR needs a word before it" },
    { "a NEAR", 0, DP_ESYNTAX, 3, "NEAR needs a word after it" },
    { "a NEAR/5", 0, DP_ESYNTAX, 3, "NEAR needs a word after it" },
    { "a AND OR b", 0, DP_ESYNTAX, 3, "AND needs a word after it" },
    { "a OR AND b", 0, DP_ESYNTAX, 3, "OR needs a word after it" },
    { "a NOT NOT b", 0, DP_ESYNTAX, 3, "NOT needs a word after it" },
    { "a NEAR NEAR b", 0, DP_ESYNTAX, 3, "NEAR needs a word after it" },
    { "(a AND) b", 0, DP_ESYNTAX, 4, "AND needs a word after it" },
    { "(OR a)", 0, DP_ESYNTAX, 2, "OR needs a word before it" },
    { "+", 0, DP_ESYNTAX, 1, "+ needs a word after it" },
    { "-", 0, DP_ESYNTAX, 1, "- needs a word after it" },
    { "a +", 0, DP_ESYNTAX, 3, "+ needs a word after it" },
    { "a -", 0, DP_ESYNTAX, 3, "- needs a word after it" },
    { "a -  ", 0, DP_ESYNTAX, 3, "- needs a word after it" },
    { "(a -)", 0, DP_ESYNTAX, 4, "- needs a word after it" },
    { "a AND +", 0, DP_ESYNTAX, 7, "+ needs a word after it" },
    /* empty */
    { "", 0, DP_ESYNTAX, 1, "empty query" },
    { "   ", 0, DP_ESYNTAX, 1, "empty query" },
    { "\t\n \r", 0, DP_ESYNTAX, 1, "empty query" },
    /* numbers after ~ and NEAR/ */
    { "\"a b\"~x", 0, DP_ESYNTAX, 7, "a number from 0 to 1000 after ~" },
    { "\"a b\"~", 0, DP_ESYNTAX, 7, "a number from 0 to 1000 after ~" },
    { "\"a b\"~1001", 0, DP_ESYNTAX, 7, "a number from 0 to 1000 after ~" },
    { "NEAR/x", 0, DP_ESYNTAX, 1, "NEAR/N with N from 0 to 1000" },
    { "a NEAR/x b", 0, DP_ESYNTAX, 3, "NEAR/N with N from 0 to 1000" },
    { "a NEAR/ b", 0, DP_ESYNTAX, 3, "NEAR/N with N from 0 to 1000" },
    { "a NEAR/1001 b", 0, DP_ESYNTAX, 3, "NEAR/N with N from 0 to 1000" },
    { "word~9", 0, DP_ESYNTAX, 1, "word~N with N from 0 to 2" },
    { "a word~3", 0, DP_ESYNTAX, 3, "word~N with N from 0 to 2" },
    { "a~b", 0, DP_ESYNTAX, 1, "word~N with N from 0 to 2" },
    /* an =exact word has no spelling variants */
    { "=pakistan~1", 0, DP_ESYNTAX, 10, "an =exact word takes no ~" },
    { "a =\xc3\xa9t\xc3\xa9~", 0, DP_ESYNTAX, 7, "an =exact word takes no ~" },
    /* prefix* only at the end of a word: a '*' inside one is refused */
    { "Pak*stan", 0, DP_ESYNTAX, 4, "* only at the end of a word (prefix*)" },
    { "a*b", 0, DP_ESYNTAX, 2, "* only at the end of a word" },
    { "a**b", 0, DP_ESYNTAX, 2, "* only at the end of a word" },
    { "x Pak*st*", 0, DP_ESYNTAX, 6, "* only at the end of a word" },
    { "=Pak*stan", 0, DP_ESYNTAX, 5, "* only at the end of a word" },
    { "Pak*stan~", 0, DP_ESYNTAX, 4, "* only at the end of a word" },
    { "+Pak*stan~2", 0, DP_ESYNTAX, 5, "* only at the end of a word" },
    { "*Pak*stan*", 0, DP_ESYNTAX, 5, "* only at the end of a word" },
    { "(a OR b*c)", 0, DP_ESYNTAX, 8, "* only at the end of a word" },
    { "\"Pak*stan\"", 0, DP_ESYNTAX, 5, "* only at the end of a word" },
    /* heading words are words (file: values are globs) */
    { "section:co*op", 0, DP_ESYNTAX, 11, "* only at the end of a word" },
    { "a title:\"Rel*tions\"", 0, DP_ESYNTAX, 13,
      "* only at the end of a word" },
    { "x \xc2\xab\xc3\xa9t\xc3\xa9  a*b\xc2\xbb", 0, DP_ESYNTAX, 10,
      "* only at the end of a word" },
    /* filters without a value */
    { "file:", 0, DP_ESYNTAX, 1, "file: needs a word or a \"phrase\"" },
    { "section:Relations~2", 0, DP_ESYNTAX, 1,
      "section: takes a word or a \"phrase\", not word~ (spelling variants "
      "search the passage text)" },
    { "a title:Pakistan~", 0, DP_ESYNTAX, 3,
      "title: takes a word or a \"phrase\", not word~ (spelling variants "
      "search the passage text)" },
    { "file: 000_*", 0, DP_ESYNTAX, 1, "file: needs a word" },
    { "a section:", 0, DP_ESYNTAX, 3, "section: needs a word" },
    { "title:", 0, DP_ESYNTAX, 1, "title: needs a word" },
    /* bytes: invalid UTF-8, NUL */
    { "caf\xe9", 0, DP_ESYNTAX, 4, "invalid UTF-8" },
    { "caf\xe9 au lait", 0, DP_ESYNTAX, 4, "invalid UTF-8" },
    { "\xff", 0, DP_ESYNTAX, 1, "invalid UTF-8" },
    { "\x80", 0, DP_ESYNTAX, 1, "invalid UTF-8" },
    { "\xc0\xaf", 0, DP_ESYNTAX, 1, "invalid UTF-8" },     /* overlong */
    { "\xed\xa0\x80", 0, DP_ESYNTAX, 1, "invalid UTF-8" }, /* surrogate */
    { "a\0b", 3, DP_ESYNTAX, 2, "NUL byte" },
    { "\0", 1, DP_ESYNTAX, 1, "NUL byte" },
    { "(a \0", 4, DP_ESYNTAX, 4, "NUL byte" },
};

/* Columns count characters, not bytes. */
static const struct error_case column_cases[] = {
    { "éé (a", 0, DP_ESYNTAX, 4, "unbalanced parenthesis" },
    { "café (a", 0, DP_ESYNTAX, 6, "unbalanced parenthesis" },
    { "日本語 ) x", 0, DP_ESYNTAX, 5, "unbalanced parenthesis" },
    { "l’État AND", 0, DP_ESYNTAX, 8, "AND needs a word after it" },
    { "«é» \"a", 0, DP_ESYNTAX, 5, "unbalanced quote" },
    { "éé NEAR/x", 0, DP_ESYNTAX, 4, "NEAR/N with N from 0 to 1000" },
    { "€ word~7", 0, DP_ESYNTAX, 3, "word~N with N from 0 to 2" },
    { "«é»~x", 0, DP_ESYNTAX, 5, "a number from 0 to 1000 after ~" },
    { "Pakıs*tân", 0, DP_ESYNTAX, 6, "* only at the end of a word" },
    { "éé l’É*t", 0, DP_ESYNTAX, 7, "* only at the end of a word" },
    { "é\xe9", 0, DP_ESYNTAX, 2, "invalid UTF-8" },
    { "ÉÉ\0", 5, DP_ESYNTAX, 3, "NUL byte" },
};

#define EXPECT_ERRORS(t)                                                  \
    for (size_t i = 0; i < sizeof(t) / sizeof((t)[0]); i++)               \
    expect_error((t)[i].in, case_len(&(t)[i]), (t)[i].code, (t)[i].column, \
                 (t)[i].what)

static void test_query_errors_name_the_column(void **state)
{
    (void)state;
    EXPECT_ERRORS(error_cases);
}

static void test_query_columns_count_characters(void **state)
{
    (void)state;
    EXPECT_ERRORS(column_cases);
}

/* ---- limits ------------------------------------------------------------- */

/* @p n copies of @p unit, NUL-terminated; the caller frees. */
static char *repeat(const char *unit, size_t n, const char *tail)
{
    size_t ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(ul * n + tl + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * ul, unit, ul);
    memcpy(s + ul * n, tail, tl + 1);
    return s;
}

/* @p depth '(' then "a" then @p depth ')'. */
static char *nested(size_t depth)
{
    char *s = malloc(2 * depth + 2);

    assert_non_null(s);
    memset(s, '(', depth);
    s[depth] = 'a';
    memset(s + depth + 1, ')', depth);
    s[2 * depth + 1] = '\0';
    return s;
}

static void test_query_limit_bytes(void **state)
{
    char *s = repeat("a", DP_QUERY_MAX_BYTES, "");
    (void)state;
    /* exactly the limit: one long word */
    expect_lenient_word(s, DP_QUERY_MAX_BYTES);
    {
        dp_query *q = NULL;
        assert_int_equal(dp_query_parse(&q, s, DP_QUERY_MAX_BYTES, false,
                                        NULL),
                         DP_OK);
        assert_int_equal(dp_query_root(q)->kind, DP_Q_WORD);
        assert_int_equal(dp_query_root(q)->len, DP_QUERY_MAX_BYTES);
        dp_query_free(q);
    }
    free(s);
    /* one byte more */
    s = repeat("a ", DP_QUERY_MAX_BYTES / 2, "b");
    expect_error(s, DP_QUERY_MAX_BYTES + 1, DP_ELIMIT,
                 DP_QUERY_MAX_BYTES + 1, "longer than 65536 bytes");
    free(s);
}

/* "In lenient mode nothing is an error", but a query over the byte limit
 * is still refused: the limit is what keeps absurd input away from the
 * analyzer and Xapian.  (SPEC §8 lists "absurd length" among what
 * --lenient reads as words; the header says such queries are refused.) */
static void test_query_lenient_keeps_byte_limit(void **state)
{
    char *s = repeat("a ", DP_QUERY_MAX_BYTES / 2, "b");
    char sentinel = 0;
    dp_query *q = (dp_query *)&sentinel;
    dp_error err = DP_ERROR_INIT;
    (void)state;
    assert_int_equal(dp_query_parse(&q, s, DP_QUERY_MAX_BYTES + 1, true, &err),
                     DP_ELIMIT);
    assert_null(q);
    assert_int_equal(msg_column(err.msg), DP_QUERY_MAX_BYTES + 1);
    free(s);
}

static void test_query_limit_nesting(void **state)
{
    char *s = NULL;
    (void)state;
    s = nested(DP_QUERY_MAX_DEPTH);
    expect_describe(s, false, "(WORD \"a\")");
    free(s);
    s = nested(DP_QUERY_MAX_DEPTH + 1);
    expect_error(s, strlen(s), DP_ELIMIT, DP_QUERY_MAX_DEPTH + 1,
                 "nesting deeper than 64");
    free(s);
    /* far deeper: refused at the same place, without using the stack */
    s = nested(10000);
    expect_error(s, strlen(s), DP_ELIMIT, DP_QUERY_MAX_DEPTH + 1,
                 "nesting deeper than 64");
    expect_lenient_word(s, strlen(s));
    free(s);
    /* unclosed: the limit comes first too */
    s = repeat("(", 10000, "a");
    expect_error(s, strlen(s), DP_ELIMIT, DP_QUERY_MAX_DEPTH + 1,
                 "nesting deeper than 64");
    expect_lenient_word(s, strlen(s));
    free(s);
}

static void test_query_limit_nodes(void **state)
{
    char *s = NULL;
    dp_query *q = NULL;
    (void)state;
    /* a SEQ and 4095 words: exactly DP_QUERY_MAX_NODES nodes */
    s = repeat("a ", DP_QUERY_MAX_NODES - 1, "");
    assert_int_equal(dp_query_parse(&q, s, strlen(s), false, NULL), DP_OK);
    assert_int_equal(dp_query_root(q)->nkids, DP_QUERY_MAX_NODES - 1);
    dp_query_free(q);
    free(s);
    /* one word more: refused at that word, column 2 * 4095 + 1 */
    s = repeat("a ", DP_QUERY_MAX_NODES + 1, "");
    expect_error(s, strlen(s), DP_ELIMIT, 2 * (DP_QUERY_MAX_NODES - 1) + 1,
                 "more than 4096 words and operators");
    expect_lenient_word(s, strlen(s));
    free(s);
    /* the operands of AND, OR and NOT cost no node of their own:
     * "a NOT a NOT ..." with 2048 words is 4095 nodes, with 2049 words
     * 4097, refused at the last NOT (column 6 * 2047 + 3), not column 1 */
    s = repeat("a NOT ", DP_QUERY_MAX_NODES / 2 - 1, "a");
    assert_int_equal(dp_query_parse(&q, s, strlen(s), false, NULL), DP_OK);
    dp_query_free(q);
    free(s);
    s = repeat("a NOT ", DP_QUERY_MAX_NODES / 2, "a");
    expect_error(s, strlen(s), DP_ELIMIT, 6 * (DP_QUERY_MAX_NODES / 2 - 1) + 3,
                 "more than 4096 words and operators");
    free(s);
    /* one OR and 4095 words: exactly DP_QUERY_MAX_NODES nodes */
    s = repeat("a OR ", DP_QUERY_MAX_NODES - 2, "a");
    assert_int_equal(dp_query_parse(&q, s, strlen(s), false, NULL), DP_OK);
    assert_int_equal(dp_query_root(q)->nkids, DP_QUERY_MAX_NODES - 1);
    dp_query_free(q);
    free(s);
    /* a syntax error after the strict parse made DP_QUERY_MAX_NODES nodes:
     * the lenient reading must not count them */
    s = repeat("a ", DP_QUERY_MAX_NODES - 1, "\"");
    expect_error(s, strlen(s), DP_ESYNTAX, 2 * (DP_QUERY_MAX_NODES - 1) + 1,
                 "unbalanced quote");
    expect_lenient_word(s, strlen(s));
    free(s);
}

/* ---- lenient ------------------------------------------------------------ */

static void test_query_lenient_reads_malformed_as_words(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++)
        expect_lenient_word(error_cases[i].in, case_len(&error_cases[i]));
    for (size_t i = 0; i < sizeof column_cases / sizeof column_cases[0]; i++)
        expect_lenient_word(column_cases[i].in, case_len(&column_cases[i]));
}

/* ---- API edges ---------------------------------------------------------- */

static void test_query_free_null_and_failed_out(void **state)
{
    char sentinel = 0;
    dp_query *q = (dp_query *)&sentinel;
    dp_error err = DP_ERROR_INIT;
    (void)state;
    dp_query_free(NULL);
    /* a failed parse leaves *out NULL, and a NULL dp_error is accepted */
    assert_int_equal(dp_query_parse(&q, "(a", 2, false, &err), DP_ESYNTAX);
    assert_null(q);
    assert_int_equal(err.code, DP_ESYNTAX);
    q = (dp_query *)&sentinel;
    assert_int_equal(dp_query_parse(&q, "(a", 2, false, NULL), DP_ESYNTAX);
    assert_null(q);
    q = (dp_query *)&sentinel;
    assert_int_equal(dp_query_parse(&q, "a\0", 2, false, NULL), DP_ESYNTAX);
    assert_null(q);
    /* the length is what counts, not a NUL after it */
    assert_int_equal(dp_query_parse(&q, "a b(", 3, false, NULL), DP_OK);
    assert_non_null(q);
    assert_int_equal(dp_query_root(q)->nkids, 2);
    dp_query_free(q);
}

/* ---- random queries ----------------------------------------------------- */

/* Check the contract on any input: a known code; on failure *out NULL and
 * "column C: ..." with C within the text (or just after it); lenient
 * always DP_OK, and the same tree when the strict parse succeeds. */
static int check_any(const char *s, size_t len, size_t nchars)
{
    char sentinel = 0;
    dp_query *q = (dp_query *)&sentinel, *ql = NULL;
    dp_error err = DP_ERROR_INIT;
    dp_buf a = DP_BUF_INIT, b = DP_BUF_INIT;
    int rc = dp_query_parse(&q, s, len, false, &err);
    int rcl;

    if (rc != DP_OK && rc != DP_ESYNTAX && rc != DP_ELIMIT)
        fail_msg("[%.*s]: rc %d (%s)", SHOWN(len), s, rc, err.msg);
    if (rc == DP_OK) {
        assert_non_null(q);
        assert_int_equal(dp_query_describe(q, &a), DP_OK);
    } else {
        unsigned long col = msg_column(err.msg);
        assert_null(q);
        assert_int_equal(err.code, rc);
        if (col < 1 || col > nchars + 1)
            fail_msg("[%.*s] (%zu characters): %s", SHOWN(len), s, nchars,
                     err.msg);
    }
    rcl = dp_query_parse(&ql, s, len, true, &err);
    if (rcl != DP_OK)
        fail_msg("lenient [%.*s]: rc %d (%s)", SHOWN(len), s, rcl, err.msg);
    assert_int_equal(dp_query_describe(ql, &b), DP_OK);
    if (rc == DP_OK)
        assert_string_equal(dp_buf_cstr(&a), dp_buf_cstr(&b));
    else
        assert_int_equal(dp_query_root(ql)->kind, DP_Q_WORD);
    dp_buf_release(&a);
    dp_buf_release(&b);
    dp_query_free(q);
    dp_query_free(ql);
    return rc;
}

static void test_query_space_len(void **state)
{
    static const struct {
        const char *s;
        size_t want;
    } cases[] = {
        { " x", 1 },            { "\tx", 1 },          { "\nx", 1 },
        { "\xc2\xa0x", 2 },      /* no-break space */
        { "\xc2\x85", 2 },       /* next line */
        { "\xe2\x80\xaf", 3 },   /* narrow no-break space */
        { "\xe2\x80\x89", 3 },   /* thin space */
        { "\xe2\x80\xa8", 3 },   /* line separator */
        { "\xe3\x80\x80", 3 },   /* ideographic space */
        { "\xe2\x80\x8b", 0 },   /* zero width space: no White_Space */
        { "\xe2\x80\x99", 0 },   /* apostrophe */
        { "\xc3\xa9", 0 },       /* é */
        { "\xc2", 0 },           /* cut short */
        { "\xe2\x80", 0 },       /* cut short */
        { "x ", 0 },            { "", 0 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = dp_query_space_len(cases[i].s, strlen(cases[i].s));
        if (got != cases[i].want)
            print_error("case %zu: got %zu\n", i, got);
        assert_int_equal(got, cases[i].want);
    }
}

static void test_query_random_tokens(void **state)
{
    static const char *const alphabet[] = {
        "(", ")", "\"", "AND", "OR", "NOT", "NEAR/3", "+", "-", "*",
        "~", "=", "file:", "a", "é", "l'État", " ", " ",
    };
    const size_t nalpha = sizeof alphabet / sizeof alphabet[0];
    size_t seen[3] = { 0, 0, 0 };
    (void)state;
    srand(1);
    for (int i = 0; i < 2000; i++) {
        char s[256];
        size_t len = 0, ntok = 1 + (size_t)rand() % 20;
        int rc;
        for (size_t j = 0; j < ntok; j++) {
            const char *tok = alphabet[(size_t)rand() % nalpha];
            size_t tl = strlen(tok);
            memcpy(s + len, tok, tl);
            len += tl;
        }
        s[len] = '\0';
        rc = check_any(s, len, count_chars(s, len));
        seen[rc == DP_OK ? 0 : rc == DP_ESYNTAX ? 1 : 2]++;
    }
    /* the generator reaches both outcomes */
    assert_true(seen[0] > 100);
    assert_true(seen[1] > 100);
}

/* Random bytes, including NUL and broken UTF-8, with explicit lengths. */
static void test_query_random_bytes(void **state)
{
    static const char bytes[] = "()\"+- aAND~*=:\0\xc3\xa9\xe2\x80\x9c\x9d"
                                "\xc2\xab\xbb\xff";
    const size_t nbytes = sizeof bytes - 1;
    (void)state;
    srand(2);
    for (int i = 0; i < 2000; i++) {
        char s[32];
        size_t len = (size_t)rand() % sizeof s;
        for (size_t j = 0; j < len; j++)
            s[j] = bytes[(size_t)rand() % nbytes];
        /* the column of an ill-formed byte is at most one per byte */
        (void)check_any(s, len, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_constructs),
        cmocka_unit_test(test_query_precedence),
        cmocka_unit_test(test_query_lookalikes_are_words),
        cmocka_unit_test(test_query_lenient_same_when_well_formed),
        cmocka_unit_test(test_query_node_fields),
        cmocka_unit_test(test_query_errors_name_the_column),
        cmocka_unit_test(test_query_columns_count_characters),
        cmocka_unit_test(test_query_limit_bytes),
        cmocka_unit_test(test_query_lenient_keeps_byte_limit),
        cmocka_unit_test(test_query_limit_nesting),
        cmocka_unit_test(test_query_limit_nodes),
        cmocka_unit_test(test_query_lenient_reads_malformed_as_words),
        cmocka_unit_test(test_query_free_null_and_failed_out),
        cmocka_unit_test(test_query_space_len),
        cmocka_unit_test(test_query_random_tokens),
        cmocka_unit_test(test_query_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
