/*
 * buf.h -- a growable byte buffer with a byte limit.
 *
 * Invariants: when data is not NULL, data[len] == '\0', so the contents can
 * be used as a C string when they hold no NUL.  len <= cap.  A buffer never
 * grows past its limit (DP_BUF_DEFAULT_LIMIT when limit is 0); an add that
 * would cross it fails with DP_ELIMIT and leaves the buffer unchanged.
 * Caller-owned: initialise with DP_BUF_INIT or dp_buf_init(), free the
 * contents with dp_buf_release().  Not thread-safe; use one per thread.
 */
#ifndef DEPECHE_BUF_H
#define DEPECHE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "depeche/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 GiB: larger than any single file or result we accept. */
#define DP_BUF_DEFAULT_LIMIT ((size_t)1 << 30)

typedef struct dp_buf {
    char *data;   /* NULL until the first add */
    size_t len;   /* bytes used, excluding the trailing NUL */
    size_t cap;   /* bytes allocated, including room for the NUL */
    size_t limit; /* maximum len; 0 means DP_BUF_DEFAULT_LIMIT */
} dp_buf;

#define DP_BUF_INIT { NULL, 0, 0, 0 }

/** Initialise an empty buffer that may hold up to @p limit bytes (0: default). */
void dp_buf_init(dp_buf *b, size_t limit);

/** Make room for @p extra more bytes.  @return DP_OK, DP_ENOMEM or DP_ELIMIT. */
DP_NODISCARD int dp_buf_grow(dp_buf *b, size_t extra);

/** Append @p n bytes from @p p.  @return DP_OK, DP_ENOMEM or DP_ELIMIT. */
DP_NODISCARD int dp_buf_add(dp_buf *b, const void *p, size_t n);

/** Append a NUL-terminated string. */
DP_NODISCARD int dp_buf_adds(dp_buf *b, const char *s);

/** Append one byte. */
DP_NODISCARD int dp_buf_addc(dp_buf *b, char c);

/** Append printf-style formatted text. */
DP_NODISCARD int dp_buf_addf(dp_buf *b, const char *fmt, ...) DP_PRINTF(2, 3);
DP_NODISCARD int dp_buf_vaddf(dp_buf *b, const char *fmt, va_list ap);

/** Forget the contents but keep the allocation (len = 0). */
void dp_buf_reset(dp_buf *b);

/** Shorten to @p len bytes (no-op when len >= b->len). */
void dp_buf_truncate(dp_buf *b, size_t len);

/** @return the contents as a C string; "" when empty.  Borrowed until the next add. */
const char *dp_buf_cstr(const dp_buf *b);

/** Hand the allocation to the caller (free() it); the buffer becomes empty. */
char *dp_buf_detach(dp_buf *b, size_t *len_out);

/** Free the contents.  NULL is accepted. */
void dp_buf_release(dp_buf *b);

#ifdef __cplusplus
}
#endif
#endif
