/* fuzz_query.c -- libFuzzer harness: dp_query_parse() on any bytes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/utf8.h>

#include "depeche/buf.h"
#include "depeche/query.h"
#include "fuzz.h"

/*
 * Checked for every input, as query.h promises them:
 *   - strict: DP_OK, or DP_ESYNTAX/DP_ELIMIT with err.code set and a
 *     message "column C: ..." where C is a column of the query (1 to one
 *     past its last character);
 *   - lenient: always DP_OK (only a query over DP_QUERY_MAX_BYTES is
 *     refused, with DP_ELIMIT, checked once on a long input), and when
 *     the strict parse succeeded, the same tree;
 *   - a tree: leaves hold text inside the query and no children;
 *     operators have the children they need; slops within their limits;
 *     a +/- modifier only on a clause of a SEQ; no more than
 *     DP_QUERY_MAX_NODES nodes; columns within the query, a leaf's at
 *     its text (or at the '=', quote or field name before it), children
 *     in text order;
 *   - dp_query_describe() works on every tree and is deterministic;
 *   - a query with a NUL byte or ill-formed UTF-8 is refused in strict
 *     mode, naming the column of the first such character;
 *   - dp_query_plain() gives one free word over all of the text, at
 *     column 1.
 */

typedef struct tree_check {
    const char *text;
    size_t len;
    uint32_t max_col; /* one past the last character's column */
    uint32_t *col_at; /* column of each byte offset, 0..len */
    size_t nodes;
} tree_check;

/* Columns count characters: every byte that is not a continuation byte. */
static uint32_t count_columns(const uint8_t *s, size_t len)
{
    uint32_t cols = 1;
    size_t i;

    for (i = 0; i < len; i++)
        cols += (s[i] & 0xc0) != 0x80;
    return cols;
}

/* A leaf whose text starts at column @p col: a phrase or field value
 * starts after its node (a quote, a field name), an =word one column
 * after it, any other word at it. */
static bool leaf_column_ok(const dp_qnode *n, uint32_t col, bool after_eq)
{
    bool ok = n->column == col;

    if (n->kind == DP_Q_PHRASE || n->kind == DP_Q_FIELD)
        ok = n->column < col;
    else if (n->kind == DP_Q_EXACT && after_eq)
        ok = ok || n->column == col - 1;
    return ok;
}

static void check_node(tree_check *tc, const dp_qnode *n,
                       const dp_qnode *parent)
{
    size_t i, min_kids = 0, max_kids = SIZE_MAX;
    bool leaf = false;

    if (n == NULL)
        fuzz_fail("NULL node");
    if (++tc->nodes > DP_QUERY_MAX_NODES)
        fuzz_fail("more than %d nodes", DP_QUERY_MAX_NODES);
    if (n->column < 1 || n->column > tc->max_col)
        fuzz_fail("node column %u, query has %u", n->column, tc->max_col);
    if (n->mod != DP_QMOD_NONE && (parent == NULL || parent->kind != DP_Q_SEQ))
        fuzz_fail("modifier %d outside a SEQ", (int)n->mod);
    switch (n->kind) {
    case DP_Q_WORD:
    case DP_Q_EXACT:
    case DP_Q_PHRASE:
    case DP_Q_PREFIX:
    case DP_Q_FUZZY:
    case DP_Q_FIELD:
        leaf = true;
        max_kids = 0;
        break;
    case DP_Q_NEAR:
    case DP_Q_AND:
    case DP_Q_OR: min_kids = 2; break;
    case DP_Q_NOT: min_kids = max_kids = 2; break;
    case DP_Q_SEQ: min_kids = 1; break;
    default: fuzz_fail("node kind %d", (int)n->kind);
    }
    if (n->nkids < min_kids || n->nkids > max_kids ||
        (n->nkids > 0 && n->kids == NULL))
        fuzz_fail("node kind %d with %zu children", (int)n->kind, n->nkids);
    if (leaf) {
        uintptr_t at = (uintptr_t)n->text, q = (uintptr_t)tc->text;
        uint32_t col;
        if (n->text == NULL || at < q || n->len > tc->len ||
            at - q > tc->len - n->len)
            fuzz_fail("leaf text outside the query");
        col = tc->col_at[at - q];
        if (!leaf_column_ok(n, col, at > q && n->text[-1] == '='))
            fuzz_fail("leaf of kind %d at column %u says column %u",
                      (int)n->kind, col, n->column);
    } else if (n->text != NULL) {
        fuzz_fail("operator node kind %d with text", (int)n->kind);
    }
    if ((n->kind == DP_Q_EXACT || n->kind == DP_Q_PREFIX ||
         n->kind == DP_Q_FUZZY) &&
        n->len == 0)
        fuzz_fail("empty word of kind %d", (int)n->kind);
    if ((n->kind == DP_Q_NEAR || n->kind == DP_Q_PHRASE) &&
        n->slop > DP_QUERY_MAX_WINDOW)
        fuzz_fail("window %u", n->slop);
    if (n->kind == DP_Q_FUZZY && (n->slop < 1 || n->slop > DP_QUERY_MAX_FUZZY))
        fuzz_fail("fuzzy distance %u", n->slop);
    if (n->kind == DP_Q_FIELD && n->field != DP_QFIELD_FILE &&
        n->field != DP_QFIELD_SECTION && n->field != DP_QFIELD_TITLE)
        fuzz_fail("field %d", (int)n->field);
    for (i = 0; i < n->nkids; i++) {
        const dp_qnode *k = n->kids[i];
        if (k != NULL && (i == 0 ? k->column < n->column
                                 : k->column <= n->kids[i - 1]->column))
            fuzz_fail("child %zu of kind %d at column %u, out of order", i,
                      (int)k->kind, k->column);
        check_node(tc, k, n);
    }
}

static void check_tree(const dp_query *q, const uint8_t *data, size_t size,
                       dp_buf *desc)
{
    tree_check tc = {(const char *)data, size, 0, NULL, 0};
    dp_buf again = DP_BUF_INIT;
    size_t i;

    tc.max_col = count_columns(data, size);
    tc.col_at = malloc((size + 1) * sizeof *tc.col_at);
    if (tc.col_at == NULL)
        fuzz_fail("out of memory");
    tc.col_at[0] = 1;
    for (i = 0; i < size; i++)
        tc.col_at[i + 1] = tc.col_at[i] + ((data[i] & 0xc0) != 0x80);
    check_node(&tc, dp_query_root(q), NULL);
    free(tc.col_at);
    dp_buf_reset(desc);
    fuzz_ok(dp_query_describe(q, desc), "dp_query_describe");
    fuzz_ok(dp_query_describe(q, &again), "dp_query_describe");
    if (desc->len == 0 || again.len != desc->len ||
        memcmp(again.data, desc->data, desc->len) != 0)
        fuzz_fail("dp_query_describe is not deterministic");
    dp_buf_release(&again);
}

/* "column C: ..." with 1 <= C <= max_col. */
static void check_message(const dp_error *err, uint32_t max_col)
{
    const char *m = err->msg;
    unsigned long c = 0;
    char *end = NULL;

    if (strncmp(m, "column ", 7) != 0)
        fuzz_fail("error message \"%s\" names no column", m);
    c = strtoul(m + 7, &end, 10);
    if (end == m + 7 || strncmp(end, ": ", 2) != 0 || c < 1 || c > max_col)
        fuzz_fail("error message \"%s\": column out of 1..%u", m, max_col);
}

/* Once: a query over the byte limit is refused in both modes. */
static void check_byte_limit(void)
{
    static bool done;
    size_t len = DP_QUERY_MAX_BYTES + 1;
    char *big = NULL;
    dp_query *q = NULL;
    int mode;

    if (done)
        return;
    done = true;
    big = malloc(len);
    if (big == NULL)
        fuzz_fail("out of memory");
    memset(big, 'a', len);
    for (mode = 0; mode < 2; mode++) {
        dp_error err = DP_ERROR_INIT;
        int rc = dp_query_parse(&q, big, len, mode == 1, &err);
        if (rc != DP_ELIMIT || q != NULL)
            fuzz_fail("a %zu-byte query gives %d", len, rc);
    }
    free(big);
}

/* The column of the first NUL byte or ill-formed sequence, 0 if none. */
static uint32_t first_bad_column(const uint8_t *s, size_t len)
{
    size_t i = 0;
    uint32_t col = 1;

    while (i < len) {
        UChar32 c;

        U8_NEXT(s, i, len, c);
        if (c <= 0)
            return col;
        col++;
    }
    return 0;
}

/* dp_query_plain(): one WORD node over the whole text. */
static void check_plain(const char *text, size_t size)
{
    dp_query *q = NULL;
    dp_error err = DP_ERROR_INIT;
    const dp_qnode *root;
    int rc = dp_query_plain(&q, text, size, &err);

    if (size > DP_QUERY_MAX_BYTES) {
        if (rc != DP_ELIMIT || q != NULL)
            fuzz_fail("dp_query_plain of %zu bytes returned %d", size, rc);
        return;
    }
    if (rc != DP_OK || q == NULL)
        fuzz_fail("dp_query_plain returned %d (%s)", rc, err.msg);
    root = dp_query_root(q);
    if (root == NULL || root->kind != DP_Q_WORD || root->text != text ||
        root->len != size || root->nkids != 0 || root->column != 1 ||
        root->mod != DP_QMOD_NONE)
        fuzz_fail("dp_query_plain did not give one word over the text");
    dp_query_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_query *strict = NULL, *lenient = NULL;
    dp_error err = DP_ERROR_INIT;
    dp_buf d1 = DP_BUF_INIT, d2 = DP_BUF_INIT;
    const char *text = (const char *)data;
    int rc;

    check_byte_limit();
    /* libFuzzer may pass NULL for an empty input. */
    if (text == NULL)
        text = "";
    rc = dp_query_parse(&strict, text, size, false, &err);
    if (rc == DP_OK) {
        if (strict == NULL)
            fuzz_fail("DP_OK without a query");
        check_tree(strict, (const uint8_t *)text, size, &d1);
    } else {
        if (strict != NULL)
            fuzz_fail("a failed parse set *out");
        if (size <= DP_QUERY_MAX_BYTES && rc != DP_ESYNTAX && rc != DP_ELIMIT)
            fuzz_fail("strict parse returned %d", rc);
        if (err.code != rc)
            fuzz_fail("err.code %d, returned %d", err.code, rc);
        check_message(&err, size <= DP_QUERY_MAX_BYTES
                                ? count_columns(data, size)
                                : DP_QUERY_MAX_BYTES + 1);
    }
    if (size <= DP_QUERY_MAX_BYTES) {
        uint32_t bad = first_bad_column((const uint8_t *)text, size);
        char want[32];

        snprintf(want, sizeof want, "column %u: ", bad);
        if (bad > 0 && (rc != DP_ESYNTAX ||
                        strncmp(err.msg, want, strlen(want)) != 0))
            fuzz_fail("a bad byte at column %u: strict parse gives %d (%s)",
                      bad, rc, rc == DP_OK ? "" : err.msg);
    }
    check_plain(text, size);

    dp_error_clear(&err);
    rc = dp_query_parse(&lenient, text, size, true, &err);
    if (size > DP_QUERY_MAX_BYTES) {
        if (rc != DP_ELIMIT)
            fuzz_fail("lenient parse of %zu bytes returned %d", size, rc);
    } else {
        if (rc != DP_OK || lenient == NULL)
            fuzz_fail("lenient parse returned %d (%s)", rc, err.msg);
        check_tree(lenient, (const uint8_t *)text, size, &d2);
        if (strict != NULL &&
            (d1.len != d2.len || memcmp(d1.data, d2.data, d1.len) != 0))
            fuzz_fail("lenient tree %s differs from strict tree %s", d2.data,
                      d1.data);
    }
    dp_query_free(strict);
    dp_query_free(lenient);
    dp_buf_release(&d1);
    dp_buf_release(&d2);
    return 0;
}
