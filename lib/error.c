/* error.c -- status names and the caller-owned error buffer. */
#include "depeche/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int dp_error_set(dp_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void dp_error_clear(dp_error *err)
{
    if (err == NULL)
        return;
    err->code = DP_OK;
    err->msg[0] = '\0';
}

const char *dp_status_str(int code)
{
    switch (code) {
    case DP_OK: return "ok";
    case DP_DONE: return "done";
    case DP_ENOMEM: return "out of memory";
    case DP_EINVAL: return "invalid argument";
    case DP_EIO: return "input/output error";
    case DP_ECORRUPT: return "index corrupt";
    case DP_ENOTFOUND: return "not found";
    case DP_EXAPIAN: return "xapian error";
    case DP_EICU: return "icu error";
    case DP_ELIMIT: return "limit exceeded";
    case DP_ELOCKED: return "index locked";
    case DP_ESCHEMA: return "index schema mismatch";
    case DP_ESYNTAX: return "query syntax error";
    case DP_ESKIP: return "skipped";
    case DP_EMODIFIED: return "index modified while reading";
    default: return "unknown error";
    }
}
