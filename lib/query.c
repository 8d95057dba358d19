/* query.c -- tokenize and parse the query language into a tree. */
#include "depeche/query.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "depeche/corpus.h"

typedef enum tok_kind {
    T_EOF,
    T_LPAREN,
    T_RPAREN,
    T_AND,
    T_OR,
    T_NOT,
    T_NEAR,
    T_PLUS,
    T_MINUS,
    T_PHRASE,
    T_WORD,
    T_FIELD
} tok_kind;

typedef struct token {
    tok_kind kind;
    const char *text;       /* WORD, PHRASE, FIELD value */
    size_t len;
    uint32_t slop;          /* NEAR window, PHRASE ~N, FUZZY distance */
    uint32_t column;
    dp_qnode_kind word_kind; /* WORD: WORD, EXACT, PREFIX or FUZZY */
    dp_qfield field;
    bool value_is_phrase;   /* FIELD */
} token;

typedef struct parser {
    const char *s;
    size_t len;
    size_t pos;
    uint32_t col;           /* column of s[pos] */
    token peeked;
    bool has_peeked;
    unsigned depth;
    int fail;               /* why node_new() returned NULL */
    dp_query *q;
    dp_error *err;
} parser;

struct dp_query {
    dp_qnode *root;
    dp_qnode **nodes;       /* every node, to free them */
    size_t nnodes, cap;
};

/* ---- nodes -------------------------------------------------------------- */

static dp_qnode *node_new(parser *p, dp_qnode_kind kind, uint32_t column)
{
    dp_query *q = p->q;
    dp_qnode *n = NULL;

    if (q->nnodes == DP_QUERY_MAX_NODES) {
        p->fail = dp_error_set(p->err, DP_ELIMIT, "column %u: more than %d "
                               "words and operators", column,
                               DP_QUERY_MAX_NODES);
        return NULL;
    }
    if (q->nnodes == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        dp_qnode **v = realloc(q->nodes, cap * sizeof *v);
        if (v == NULL)
            goto oom;
        q->nodes = v;
        q->cap = cap;
    }
    n = calloc(1, sizeof *n);
    if (n == NULL)
        goto oom;
    n->kind = kind;
    n->column = column;
    q->nodes[q->nnodes++] = n;
    return n;
oom:
    p->fail = dp_error_set(p->err, DP_ENOMEM, "out of memory");
    return NULL;
}

static int node_add(parser *p, dp_qnode *parent, dp_qnode *kid)
{
    dp_qnode **v = realloc(parent->kids, (parent->nkids + 1) * sizeof *v);

    if (v == NULL)
        return dp_error_set(p->err, DP_ENOMEM, "out of memory");
    parent->kids = v;
    parent->kids[parent->nkids++] = kid;
    return DP_OK;
}

/* Free every node, keeping the node vector for reuse. */
static void query_clear(dp_query *q)
{
    for (size_t i = 0; i < q->nnodes; i++) {
        free(q->nodes[i]->kids);
        free(q->nodes[i]);
    }
    q->nnodes = 0;
    q->root = NULL;
}

void dp_query_free(dp_query *q)
{
    if (q == NULL)
        return;
    query_clear(q);
    free(q->nodes);
    free(q);
}

const dp_qnode *dp_query_root(const dp_query *q)
{
    return q->root;
}

/* ---- lexer -------------------------------------------------------------- */

/* Quote pairs: opening bytes, closing bytes. */
static const struct {
    const char *open, *close;
} quotes[] = {
    { "\"", "\"" },
    { "\xc2\xab", "\xc2\xbb" },         /* « » */
    { "\xe2\x80\x9c", "\xe2\x80\x9d" }, /* “ ” */
    { "\xe2\x80\x9e", "\xe2\x80\x9c" }, /* „ “ */
};

static bool starts(const parser *p, size_t at, const char *lit)
{
    size_t n = strlen(lit);

    return at + n <= p->len && memcmp(p->s + at, lit, n) == 0;
}

/* @return the length of an opening quote at @p at and its pair index. */
static size_t quote_open(const parser *p, size_t at, size_t *which)
{
    for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
        if (starts(p, at, quotes[i].open)) {
            *which = i;
            return strlen(quotes[i].open);
        }
    }
    return 0;
}

/* Any quote character ends a word. */
static bool is_quote_at(const parser *p, size_t at)
{
    size_t w;

    return quote_open(p, at, &w) > 0 || starts(p, at, "\xc2\xbb") ||
           starts(p, at, "\xe2\x80\x9d");
}

size_t dp_query_space_len(const char *s, size_t n)
{
    int32_t i = 0;
    UChar32 c;

    if (n == 0)
        return 0;
    if ((unsigned char)s[0] < 0x80)
        return s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' ||
               s[0] == '\f' || s[0] == '\v';
    U8_NEXT(s, i, (int32_t)(n < 4 ? n : 4), c);
    return c >= 0 && u_isUWhiteSpace(c) ? (size_t)i : 0;
}

/* The length of the white space at byte @p at of the query, 0 if none. */
static size_t space_len(const parser *p, size_t at)
{
    return dp_query_space_len(p->s + at, p->len - at);
}

/* Advance to byte @p to, keeping the column (code points). */
static void advance(parser *p, size_t to)
{
    while (p->pos < to) {
        if (((unsigned char)p->s[p->pos] & 0xc0) != 0x80)
            p->col++;
        p->pos++;
    }
}

static bool parse_digits(const char *s, size_t len, uint32_t max,
                         uint32_t *out)
{
    uint32_t v = 0;

    if (len == 0 || len > 9)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* Read "~N" after a phrase; an absent N is an error (a word~ is fuzzy,
 * but a phrase needs its window). */
static int lex_phrase_slop(parser *p, token *t)
{
    size_t i = p->pos + 1, start;

    if (p->pos >= p->len || p->s[p->pos] != '~')
        return DP_OK;
    start = i;
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
        i++;
    if (!parse_digits(p->s + start, i - start, DP_QUERY_MAX_WINDOW,
                      &t->slop))
        return dp_error_set(p->err, DP_ESYNTAX, "column %u: expected a "
                            "number from 0 to %d after ~", p->col + 1,
                            DP_QUERY_MAX_WINDOW);
    advance(p, i);
    return DP_OK;
}

static int check_phrase_stars(parser *p, const token *t);

static int lex_quoted(parser *p, token *t, size_t which, size_t olen)
{
    const char *close = quotes[which].close;
    size_t clen = strlen(close), i = p->pos + olen;
    int rc;

    while (i < p->len && !starts(p, i, close)) {
        /* A plain '"' also closes typographic quotes typed unevenly. */
        if (which != 0 && p->s[i] == '"')
            break;
        i++;
    }
    if (i >= p->len)
        return dp_error_set(p->err, DP_ESYNTAX, "column %u: unbalanced "
                            "quote", t->column);
    t->text = p->s + p->pos + olen;
    t->len = i - (p->pos + olen);
    /* file: values are left as typed ("file:0*_*" is a glob); heading
     * words are words ('section:"Pak*stan"' is refused as a phrase is) */
    if (t->kind == T_PHRASE ||
        (t->kind == T_FIELD && t->field != DP_QFIELD_FILE)) {
        rc = check_phrase_stars(p, t);
        if (rc < 0)
            return rc;
    }
    advance(p, i + (p->s[i] == '"' ? 1 : clen));
    return lex_phrase_slop(p, t);
}

static const struct {
    const char *name;
    dp_qfield field;
} fields[] = {
    { "file:", DP_QFIELD_FILE },
    { "section:", DP_QFIELD_SECTION },
    { "title:", DP_QFIELD_TITLE },
};

/* The column of @p at, a byte of the query at or after p->pos. */
static uint32_t column_at(const parser *p, const char *at)
{
    uint32_t col = p->col;

    for (const char *c = p->s + p->pos; c < at; c++)
        col += ((unsigned char)*c & 0xc0) != 0x80;
    return col;
}

/* A '*' between two other characters of a word's text: prefix* is only
 * at the end of a word, and a '*' inside one would be read as
 * punctuation ("Pak*stan" as the phrase "pak stan"), so it is refused.
 * Leading and trailing runs ("*a", "**a**") are left to the analyzer. */
static int check_inner_star(parser *p, const char *w, size_t n)
{
    size_t first = 0, last = n;

    while (first < n && w[first] == '*')
        first++;
    while (last > first && w[last - 1] == '*')
        last--;
    for (size_t i = first; i < last; i++) {
        if (w[i] != '*')
            continue;
        return dp_error_set(p->err, DP_ESYNTAX, "column %u: * only at the "
                            "end of a word (prefix*)", column_at(p, w + i));
    }
    return DP_OK;
}

/* The same for each word of a phrase: '"Pak*stan"' is no more a prefix
 * than 'Pak*stan' (it had searched the phrase "pak stan"); a '*' ending a
 * word there is punctuation, and the compiler says so. */
static int check_phrase_stars(parser *p, const token *t)
{
    size_t i = 0;
    int rc = DP_OK;

    while (rc == DP_OK && i < t->len) {
        size_t e = i;

        while (e < t->len && dp_query_space_len(t->text + e, t->len - e) == 0)
            e++;
        if (e > i)
            rc = check_inner_star(p, t->text + i, e - i);
        i = e < t->len ? e + dp_query_space_len(t->text + e, t->len - e) : e;
    }
    return rc;
}

/* Classify a bare word: operator, field, exact, prefix, fuzzy. */
static int lex_word(parser *p, token *t, size_t end)
{
    const char *w = p->s + p->pos;
    size_t n = end - p->pos;
    int rc;

    t->kind = T_WORD;
    t->word_kind = DP_Q_WORD;
    if ((n == 3 && memcmp(w, "AND", 3) == 0) ||
        (n == 2 && memcmp(w, "OR", 2) == 0) ||
        (n == 3 && memcmp(w, "NOT", 3) == 0)) {
        t->kind = w[0] == 'A' ? T_AND : w[0] == 'O' ? T_OR : T_NOT;
        advance(p, end);
        return DP_OK;
    }
    if (n >= 4 && memcmp(w, "NEAR", 4) == 0 &&
        (n == 4 || w[4] == '/')) {
        t->kind = T_NEAR;
        t->slop = 10;
        if (n > 4 && !parse_digits(w + 5, n - 5, DP_QUERY_MAX_WINDOW,
                                   &t->slop))
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: expected "
                                "NEAR/N with N from 0 to %d", t->column,
                                DP_QUERY_MAX_WINDOW);
        advance(p, end);
        return DP_OK;
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        size_t fl = strlen(fields[i].name);
        size_t wh;
        if (n < fl || memcmp(w, fields[i].name, fl) != 0)
            continue;
        t->kind = T_FIELD;
        t->field = fields[i].field;
        if (n == fl) {
            size_t olen;
            advance(p, end);
            olen = quote_open(p, p->pos, &wh);
            if (olen == 0)
                return dp_error_set(p->err, DP_ESYNTAX, "column %u: %.*s "
                                    "needs a word or a \"phrase\"",
                                    t->column, (int)fl, fields[i].name);
            t->value_is_phrase = true;
            return lex_quoted(p, t, wh, olen);
        }
        t->text = w + fl;
        t->len = n - fl;
        /* "section:Relations~2" read as the phrase "relations 2" found
         * nothing, silently: spelling variants search the text only. */
        if (t->field != DP_QFIELD_FILE && memchr(t->text, '~', t->len))
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: %.*s takes "
                                "a word or a \"phrase\", not word~ (spelling "
                                "variants search the passage text)",
                                t->column, (int)fl, fields[i].name);
        if (t->field != DP_QFIELD_FILE &&
            check_inner_star(p, t->text, t->len) < 0)
            return DP_ESYNTAX;
        advance(p, end);
        return DP_OK;
    }
    t->text = w;
    t->len = n;
    if (n > 1 && w[0] == '=') {
        const char *tilde = NULL;
        t->word_kind = DP_Q_EXACT;
        t->text++;
        t->len--;
        /* "=pakistan~1" read as the phrase "pakistan 1" found nothing,
         * silently: an exact word has no spelling variants (a leading
         * '~' is punctuation, as in a free word). */
        if (t->len > 1)
            tilde = memchr(t->text + 1, '~', t->len - 1);
        if (tilde != NULL)
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: an =exact "
                                "word takes no ~ (write =word or word~N)",
                                column_at(p, tilde));
    } else if (n > 1 && w[n - 1] == '*') {
        t->word_kind = DP_Q_PREFIX;
        t->len--;
    } else {
        const char *tilde = memchr(w, '~', n);
        if (tilde != NULL && tilde > w) {
            size_t dn = n - (size_t)(tilde - w) - 1;
            t->word_kind = DP_Q_FUZZY;
            t->slop = 1;
            t->len = (size_t)(tilde - w);
            if (dn > 0 && !parse_digits(tilde + 1, dn, DP_QUERY_MAX_FUZZY,
                                        &t->slop))
                return dp_error_set(p->err, DP_ESYNTAX, "column %u: "
                                    "expected word~N with N from 0 to %d",
                                    t->column, DP_QUERY_MAX_FUZZY);
            if (t->slop == 0)
                t->word_kind = DP_Q_EXACT;
        }
    }
    rc = check_inner_star(p, t->text, t->len);
    if (rc < 0)
        return rc;
    advance(p, end);
    return DP_OK;
}

/* The end of the bare word that starts at @p from. */
static size_t word_end(const parser *p, size_t from)
{
    size_t end = from;

    while (end < p->len && space_len(p, end) == 0 &&
           p->s[end] != '(' && p->s[end] != ')' && !is_quote_at(p, end))
        end++;
    return end;
}

static bool all_digits(const char *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* "15 000" is one number, as the analyzer reads it in the texts: a word
 * that is the first group of such a number (or whose value is: "=15",
 * "title:15") runs on to the end of its last group, through a hyphen and
 * another number ("15 000-20 000", two numbers side by side as in
 * "2019-2020"), and through a '*' or '~N' glued to it ("15 000*");
 * anything else glued to a group leaves the words as they were.
 * @return the word's end, @p end when it is no such number. */
static size_t number_word_end(const parser *p, size_t end)
{
    size_t v = p->pos, num, after;

    if (p->s[v] == '=')
        v++;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (starts(p, v, fields[i].name))
            v += strlen(fields[i].name);
    num = dp_analyzer_number_end(p->s, p->len, v, end);
    if (num == end)
        return end;
    for (;;) {
        after = word_end(p, num);
        if (after == num || (p->s[num] == '*' && after == num + 1) ||
            (p->s[num] == '~' && all_digits(p->s, num + 1, after)))
            return after;
        if (p->s[num] != '-' || after == num + 1 ||
            !all_digits(p->s, num + 1, after))
            return end;
        num = dp_analyzer_number_end(p->s, p->len, num + 1, after);
    }
}

static int lex(parser *p, token *t)
{
    size_t which, olen, end;
    unsigned char c;

    memset(t, 0, sizeof *t);
    while (p->pos < p->len && space_len(p, p->pos) > 0)
        advance(p, p->pos + space_len(p, p->pos));
    t->column = p->col;
    if (p->pos >= p->len) {
        t->kind = T_EOF;
        return DP_OK;
    }
    c = (unsigned char)p->s[p->pos];
    if (c == '(' || c == ')') {
        t->kind = c == '(' ? T_LPAREN : T_RPAREN;
        advance(p, p->pos + 1);
        return DP_OK;
    }
    olen = quote_open(p, p->pos, &which);
    if (olen > 0) {
        t->kind = T_PHRASE;
        return lex_quoted(p, t, which, olen);
    }
    if (c == '+' || c == '-') {
        /* Glued to what follows, it is an operator; followed by a space
         * and a word, a dash; with nothing after it (or only a ')'), a
         * lone operator, which the parser refuses. */
        size_t j = p->pos + 1;
        while (j < p->len && space_len(p, j) > 0)
            j += space_len(p, j);
        if (j == p->pos + 1 || j == p->len || p->s[j] == ')') {
            t->kind = c == '+' ? T_PLUS : T_MINUS;
            advance(p, p->pos + 1);
            return DP_OK;
        }
    }
    end = word_end(p, p->pos);
    if (end == p->pos) {
        /* A stray closing quote: not a word, not an opening. */
        return dp_error_set(p->err, DP_ESYNTAX, "column %u: unbalanced "
                            "quote", t->column);
    }
    return lex_word(p, t, number_word_end(p, end));
}

static int peek(parser *p, token **out)
{
    int rc = DP_OK;

    if (!p->has_peeked) {
        rc = lex(p, &p->peeked);
        if (rc < 0)
            return rc;
        p->has_peeked = true;
    }
    *out = &p->peeked;
    return rc;
}

static void consume(parser *p)
{
    p->has_peeked = false;
}

/* ---- parser ------------------------------------------------------------- */

static int parse_or(parser *p, dp_qnode **out);

static const char *tok_name(tok_kind k)
{
    switch (k) {
    case T_AND: return "AND";
    case T_OR: return "OR";
    case T_NOT: return "NOT";
    case T_NEAR: return "NEAR";
    default: return "operator";
    }
}

static bool starts_clause(tok_kind k)
{
    return k == T_LPAREN || k == T_PLUS || k == T_MINUS || k == T_PHRASE ||
           k == T_WORD || k == T_FIELD;
}

static int deeper(parser *p, uint32_t column)
{
    if (++p->depth > DP_QUERY_MAX_DEPTH)
        return dp_error_set(p->err, DP_ELIMIT, "column %u: nesting deeper "
                            "than %d", column, DP_QUERY_MAX_DEPTH);
    return DP_OK;
}

static int parse_primary(parser *p, dp_qnode **out)
{
    token *t = NULL;
    dp_qnode *n = NULL;
    uint32_t col;
    int rc = peek(p, &t);

    *out = NULL;
    if (rc < 0)
        return rc;
    col = t->column;
    switch (t->kind) {
    case T_LPAREN:
        consume(p);
        rc = deeper(p, col);
        if (rc < 0)
            return rc;
        rc = peek(p, &t);
        if (rc < 0)
            return rc;
        if (t->kind == T_RPAREN)
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: empty "
                                "parentheses", col);
        if (t->kind == T_EOF)
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: unbalanced "
                                "parenthesis", col);
        rc = parse_or(p, &n);
        if (rc < 0)
            return rc;
        rc = peek(p, &t);
        if (rc < 0)
            return rc;
        if (t->kind != T_RPAREN)
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: unbalanced "
                                "parenthesis", col);
        consume(p);
        p->depth--;
        /* a message about the group names its parenthesis, not its
         * first word ("a NEAR (b OR c)": column of "(") */
        if (n->kind >= DP_Q_NEAR)
            n->column = col;
        *out = n;
        return DP_OK;
    case T_PHRASE:
    case T_WORD:
    case T_FIELD:
        n = node_new(p, t->kind == T_PHRASE ? DP_Q_PHRASE
                        : t->kind == T_FIELD ? DP_Q_FIELD : t->word_kind,
                     col);
        if (n == NULL)
            return p->fail;
        n->text = t->text;
        n->len = t->len;
        n->slop = t->slop;
        if (t->kind == T_FIELD) {
            n->field = t->field;
            /* A field's value: a phrase, a word, or for file: a glob. */
            n->quoted = t->value_is_phrase;
        }
        consume(p);
        *out = n;
        return DP_OK;
    case T_RPAREN:
        return dp_error_set(p->err, DP_ESYNTAX, "column %u: unbalanced "
                            "parenthesis", col);
    case T_EOF:
        return dp_error_set(p->err, DP_ESYNTAX, "column %u: a word is "
                            "missing at the end", col);
    default:
        return dp_error_set(p->err, DP_ESYNTAX, "column %u: %s needs a word "
                            "before it", col, tok_name(t->kind));
    }
}

static int parse_unary(parser *p, dp_qnode **out)
{
    token *t = NULL;
    dp_qmod mod = DP_QMOD_NONE;
    uint32_t col;
    int rc = peek(p, &t);

    if (rc < 0)
        return rc;
    col = t->column;
    while (t->kind == T_PLUS || t->kind == T_MINUS) {
        mod = t->kind == T_PLUS ? DP_QMOD_MUST : DP_QMOD_MUSTNOT;
        consume(p);
        rc = peek(p, &t);
        if (rc < 0)
            return rc;
        if (!starts_clause(t->kind))
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: %c needs a "
                                "word after it", col,
                                mod == DP_QMOD_MUST ? '+' : '-');
    }
    rc = parse_primary(p, out);
    if (rc < 0)
        return rc;
    if (mod != DP_QMOD_NONE) {
        /* Wrap, so that "(a b)" keeps its own clauses' modifiers. */
        dp_qnode *seq = node_new(p, DP_Q_SEQ, col);
        if (seq == NULL)
            return p->fail;
        (*out)->mod = mod;
        rc = node_add(p, seq, *out);
        if (rc < 0)
            return rc;
        *out = seq;
    }
    return DP_OK;
}

static int parse_near(parser *p, dp_qnode **out)
{
    token *t = NULL;
    dp_qnode *left = NULL, *right = NULL, *near = NULL;
    int rc = parse_unary(p, &left);

    if (rc < 0)
        return rc;
    for (;;) {
        uint32_t col, slop;
        rc = peek(p, &t);
        if (rc < 0)
            return rc;
        if (t->kind != T_NEAR)
            break;
        col = t->column;
        slop = t->slop;
        consume(p);
        rc = peek(p, &t);
        if (rc < 0)
            return rc;
        if (!starts_clause(t->kind))
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: NEAR needs a "
                                "word after it", col);
        rc = parse_unary(p, &right);
        if (rc < 0)
            return rc;
        if (near == NULL || near->slop != slop) {
            near = node_new(p, DP_Q_NEAR, col);
            if (near == NULL)
                return p->fail;
            near->column = left->column;
            near->slop = slop;
            rc = node_add(p, near, left);
            if (rc < 0)
                return rc;
        }
        rc = node_add(p, near, right);
        if (rc < 0)
            return rc;
        left = near;
    }
    *out = left;
    return DP_OK;
}

static int parse_seq(parser *p, dp_qnode **out)
{
    token *t = NULL;
    dp_qnode *seq = NULL, *clause = NULL;
    uint32_t col;
    int rc = peek(p, &t);

    if (rc < 0)
        return rc;
    if (!starts_clause(t->kind)) {
        /* Only a leading ')' gets here: after '(' and after operators
         * the callers check for a clause first. */
        if (t->kind == T_RPAREN)
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: unbalanced "
                                "parenthesis", t->column);
        if (t->kind == T_EOF)
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: a word is "
                                "missing", t->column);
        return dp_error_set(p->err, DP_ESYNTAX, "column %u: %s needs a word "
                            "before it", t->column, tok_name(t->kind));
    }
    col = t->column;
    rc = parse_near(p, &clause);
    if (rc < 0)
        return rc;
    rc = peek(p, &t);
    if (rc < 0)
        return rc;
    if (!starts_clause(t->kind)) {
        /* One clause: itself ("+a" is already a one-clause SEQ).  No SEQ
         * is made for it, so that it costs no node of the limit. */
        *out = clause;
        return DP_OK;
    }
    seq = node_new(p, DP_Q_SEQ, t->column);
    if (seq == NULL)
        return p->fail;
    seq->column = col;
    for (;;) {
        /* "+a" parses as a one-clause SEQ: merge it into this one. */
        if (clause->kind == DP_Q_SEQ && clause->nkids == 1 &&
            clause->kids[0]->mod != DP_QMOD_NONE)
            clause = clause->kids[0];
        rc = node_add(p, seq, clause);
        if (rc < 0)
            return rc;
        if (!starts_clause(t->kind))
            break;
        rc = parse_near(p, &clause);
        if (rc < 0)
            return rc;
        rc = peek(p, &t);
        if (rc < 0)
            return rc;
    }
    *out = seq;
    return DP_OK;
}

/* Binary operators, left-associative; @p make flattens runs of OR/AND. */
static int parse_binary(parser *p, dp_qnode **out, tok_kind op,
                        dp_qnode_kind kind, int (*sub)(parser *, dp_qnode **))
{
    token *t = NULL;
    dp_qnode *left = NULL, *right = NULL, *node = NULL;
    int rc = sub(p, &left);

    if (rc < 0)
        return rc;
    for (;;) {
        uint32_t col;
        rc = peek(p, &t);
        if (rc < 0)
            return rc;
        if (t->kind != op)
            break;
        col = t->column;
        consume(p);
        rc = peek(p, &t);
        if (rc < 0)
            return rc;
        if (!starts_clause(t->kind))
            return dp_error_set(p->err, DP_ESYNTAX, "column %u: %s needs a "
                                "word after it", col, tok_name(op));
        rc = sub(p, &right);
        if (rc < 0)
            return rc;
        if (node == NULL || kind == DP_Q_NOT) {
            /* over the node limit, the operator's column is named */
            node = node_new(p, kind, col);
            if (node == NULL)
                return p->fail;
            node->column = left->column;
            rc = node_add(p, node, left);
            if (rc < 0)
                return rc;
        }
        rc = node_add(p, node, right);
        if (rc < 0)
            return rc;
        left = node;
    }
    *out = left;
    return DP_OK;
}

static int parse_not(parser *p, dp_qnode **out)
{
    return parse_binary(p, out, T_NOT, DP_Q_NOT, parse_seq);
}

static int parse_and(parser *p, dp_qnode **out)
{
    return parse_binary(p, out, T_AND, DP_Q_AND, parse_not);
}

static int parse_or(parser *p, dp_qnode **out)
{
    return parse_binary(p, out, T_OR, DP_Q_OR, parse_and);
}

/* Refuse NUL and ill-formed UTF-8, naming the column. */
int dp_query_check_bytes(const char *s, size_t len, dp_error *err)
{
    uint32_t col = 1;
    size_t i = 0;

    while (i < len) {
        size_t n = 1;
        unsigned char c = (unsigned char)s[i];
        if (c == 0)
            return dp_error_set(err, DP_ESYNTAX, "column %u: NUL byte in "
                                "the query", col);
        if (c >= 0x80) {
            n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            if (i + n > len || !dp_utf8_valid(s + i, n))
                return dp_error_set(err, DP_ESYNTAX, "column %u: invalid "
                                    "UTF-8", col);
        }
        i += n;
        col++;
    }
    return DP_OK;
}

static int parse_strict(dp_query *q, const char *text, size_t len,
                        dp_error *err)
{
    parser p;
    token *t = NULL;
    int rc;

    memset(&p, 0, sizeof p);
    p.s = text;
    p.len = len;
    p.col = 1;
    p.q = q;
    p.err = err;
    rc = dp_query_check_bytes(text, len, err);
    if (rc < 0)
        return rc;
    rc = peek(&p, &t);
    if (rc < 0)
        return rc;
    if (t->kind == T_EOF)
        return dp_error_set(err, DP_ESYNTAX, "column 1: empty query");
    rc = parse_or(&p, &q->root);
    if (rc < 0)
        return rc;
    rc = peek(&p, &t);
    if (rc < 0)
        return rc;
    if (t->kind == T_RPAREN)
        return dp_error_set(err, DP_ESYNTAX, "column %u: unbalanced "
                            "parenthesis", t->column);
    if (t->kind != T_EOF)
        return dp_error_set(err, DP_ESYNTAX, "column %u: unexpected %s",
                            t->column, tok_name(t->kind));
    return DP_OK;
}

int dp_query_parse(dp_query **out, const char *text, size_t len,
                   bool lenient, dp_error *err)
{
    dp_query *q = NULL;
    int rc;

    *out = NULL;
    if (len > DP_QUERY_MAX_BYTES) {
        rc = dp_error_set(err, DP_ELIMIT, "column %d: query longer than %d "
                          "bytes", DP_QUERY_MAX_BYTES + 1, DP_QUERY_MAX_BYTES);
        goto done;
    }
    q = calloc(1, sizeof *q);
    if (q == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    rc = parse_strict(q, text, len, err);
    if (rc < 0 && lenient && rc != DP_ENOMEM) {
        /* Lenient: the whole text is plain words; the analyzer drops the
         * punctuation and replaces ill-formed bytes. */
        dp_query_free(q);
        q = NULL;
        dp_error_clear(err);
        rc = dp_query_plain(out, text, len, err);
        goto done;
    }
    if (rc < 0)
        goto done;
    *out = q;
    q = NULL;
done:
    dp_query_free(q);
    return rc;
}

int dp_query_plain(dp_query **out, const char *text, size_t len,
                   dp_error *err)
{
    dp_query *q = NULL;
    parser p;
    int rc = DP_OK;

    *out = NULL;
    if (len > DP_QUERY_MAX_BYTES)
        return dp_error_set(err, DP_ELIMIT, "column %d: query longer than %d "
                            "bytes", DP_QUERY_MAX_BYTES + 1,
                            DP_QUERY_MAX_BYTES);
    q = calloc(1, sizeof *q);
    if (q == NULL)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    memset(&p, 0, sizeof p);
    p.q = q;
    p.err = err;
    q->root = node_new(&p, DP_Q_WORD, 1);
    if (q->root == NULL) {
        rc = p.fail;
        dp_query_free(q);
        return rc;
    }
    q->root->text = text;
    q->root->len = len;
    *out = q;
    return DP_OK;
}

/* ---- describe ----------------------------------------------------------- */

static int describe(const dp_qnode *n, dp_buf *out)
{
    static const char *const names[] = {
        "WORD", "EXACT", "PHRASE", "PREFIX", "FUZZY", "FIELD",
        "NEAR", "AND", "OR", "NOT", "SEQ",
    };
    int rc = DP_OK;

    if (n->mod != DP_QMOD_NONE)
        rc = dp_buf_addc(out, n->mod == DP_QMOD_MUST ? '+' : '-');
    if (rc == 0)
        rc = dp_buf_addf(out, "(%s", names[n->kind]);
    if (rc == 0 && n->kind == DP_Q_FIELD)
        rc = dp_buf_addf(out, " %s", n->field == DP_QFIELD_FILE ? "file"
                         : n->field == DP_QFIELD_SECTION ? "section"
                         : "title");
    if (rc == 0 && (n->kind == DP_Q_NEAR || n->kind == DP_Q_FUZZY ||
                    (n->kind == DP_Q_PHRASE && n->slop)))
        rc = dp_buf_addf(out, "/%u", n->slop);
    if (rc == 0 && n->kind == DP_Q_FIELD && n->quoted)
        rc = dp_buf_adds(out, " quoted");
    if (rc == 0 && n->text != NULL)
        rc = dp_buf_addf(out, " \"%.*s\"", (int)n->len, n->text);
    for (size_t i = 0; rc == 0 && i < n->nkids; i++) {
        rc = dp_buf_addc(out, ' ');
        if (rc == 0)
            rc = describe(n->kids[i], out);
    }
    if (rc == 0)
        rc = dp_buf_addc(out, ')');
    return rc;
}

int dp_query_describe(const dp_query *q, dp_buf *out)
{
    return describe(q->root, out);
}
