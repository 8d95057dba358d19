/*
 * error.h -- status codes and the caller-owned error buffer.
 *
 * Every fallible function returns an int: DP_OK (0) on success, DP_DONE (1)
 * at the end of an iteration, or a negative dp_status.  Human-readable text
 * goes into a dp_error passed last, which may be NULL.  The return code is
 * what callers test; the message is for people.  No global state: a
 * dp_error is thread-safe because each caller owns its own.
 */
#ifndef DEPECHE_ERROR_H
#define DEPECHE_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DP_NODISCARD __attribute__((warn_unused_result))
#define DP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DP_NODISCARD
#define DP_PRINTF(f, a)
#endif

typedef enum dp_status {
    DP_OK = 0,
    DP_DONE = 1,         /* end of an iteration, not an error */
    DP_ENOMEM = -1,      /* allocation failed */
    DP_EINVAL = -2,      /* bad argument or bad input */
    DP_EIO = -3,         /* read/write failure of a file */
    DP_ECORRUPT = -4,    /* index damaged */
    DP_ENOTFOUND = -5,   /* no such file, passage, index */
    DP_EXAPIAN = -6,     /* any other Xapian failure */
    DP_EICU = -7,        /* ICU failure */
    DP_ELIMIT = -8,      /* a named size limit was hit */
    DP_ELOCKED = -9,     /* another writer holds the index */
    DP_ESCHEMA = -10,    /* index written by another schema version */
    DP_ESYNTAX = -11,    /* malformed query */
    DP_ESKIP = -12,      /* input skipped (binary, empty): a warning */
    DP_EMODIFIED = -13   /* the index changed under a reader: reopen */
} dp_status;

#define DP_ERROR_MSG_MAX 256

typedef struct dp_error {
    int code;                   /* last dp_status set, DP_OK if none */
    char msg[DP_ERROR_MSG_MAX]; /* NUL-terminated, truncated if long */
} dp_error;

#define DP_ERROR_INIT { 0, { 0 } }

/**
 * Record @p code and a printf-style message in @p err (which may be NULL).
 * @return @p code, so that `return dp_error_set(err, DP_EIO, ...)` reads well.
 */
int dp_error_set(dp_error *err, int code, const char *fmt, ...)
    DP_PRINTF(3, 4);

/** Reset @p err to DP_OK with an empty message.  NULL is accepted. */
void dp_error_clear(dp_error *err);

/** @return a static, lowercase name for @p code ("out of memory", ...). */
const char *dp_status_str(int code);

#ifdef __cplusplus
}
#endif
#endif
