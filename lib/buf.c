/* buf.c -- growable byte buffer with a byte limit. */
#include "depeche/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t buf_limit(const dp_buf *b)
{
    return b->limit ? b->limit : DP_BUF_DEFAULT_LIMIT;
}

void dp_buf_init(dp_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

int dp_buf_grow(dp_buf *b, size_t extra)
{
    size_t need, cap;
    char *p = NULL;

    if (extra > buf_limit(b) || b->len > buf_limit(b) - extra)
        return DP_ELIMIT;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return DP_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (p == NULL)
        return DP_ENOMEM;
    b->data = p;
    b->cap = cap;
    b->data[b->len] = '\0';
    return DP_OK;
}

int dp_buf_add(dp_buf *b, const void *p, size_t n)
{
    int rc = dp_buf_grow(b, n);

    if (rc < 0)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return DP_OK;
}

int dp_buf_adds(dp_buf *b, const char *s)
{
    return dp_buf_add(b, s, strlen(s));
}

int dp_buf_addc(dp_buf *b, char c)
{
    return dp_buf_add(b, &c, 1);
}

int dp_buf_vaddf(dp_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return DP_EINVAL;
    rc = dp_buf_grow(b, (size_t)n);
    if (rc < 0)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return DP_OK;
}

int dp_buf_addf(dp_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = dp_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void dp_buf_reset(dp_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void dp_buf_truncate(dp_buf *b, size_t len)
{
    if (len >= b->len)
        return;
    b->len = len;
    b->data[len] = '\0';
}

const char *dp_buf_cstr(const dp_buf *b)
{
    return b->data ? b->data : "";
}

char *dp_buf_detach(dp_buf *b, size_t *len_out)
{
    char *p = b->data;

    if (len_out)
        *len_out = b->len;
    if (p == NULL)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void dp_buf_release(dp_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
