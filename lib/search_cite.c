/* search_cite.c -- look passages up by RELPATH#N or RELPATH:LINE. */
#include "search_internal.h"

#include "depeche/corpus.h"
#include "depeche/output.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SECTION_SIGN "\xC2\xA7" /* § */

/* ---- citations ---------------------------------------------------------- */

typedef struct prefix_ctx {
    const char *prefix;
    size_t plen;
    dp_buf nprefix;       /* the prefix in NFC */
    dp_buf nname;         /* scratch: a relpath in NFC, or escaped */
    char *found;          /* first match, strdup'ed */
    dp_manifest_entry entry;
    size_t nfound;
    bool exact;           /* found is the name, escaped, not a prefix */
    dp_buf others;        /* "a, b, c" for the ambiguity message */
} prefix_ctx;

/* Whether @p b begins with the @p n bytes at @p p. */
static bool buf_begins(const dp_buf *b, const char *p, size_t n)
{
    return b->len >= n && memcmp(b->data, p, n) == 0;
}

static int cite_prefix_cb(const char *relpath, const dp_manifest_entry *e,
                     void *ctx)
{
    prefix_ctx *c = ctx;
    bool exact = false;

    if (strncmp(relpath, c->prefix, c->plen) != 0) {
        /* The same name in another normal form ("é" typed, "e" + U+0301
         * on disk, as macOS writes names) is the same name. */
        if (dp_corpus_name_nfc(relpath, strlen(relpath), &c->nname) < 0)
            return DP_ENOMEM;
        if (!buf_begins(&c->nname, c->nprefix.data, c->nprefix.len)) {
            /* A name that is not UTF-8 is shown escaped ("r\xe9sum\xe9.txt"
             * for Latin-1 bytes): the id as printed cites it too. */
            if (memchr(c->prefix, '\\', c->plen) == NULL)
                return 0;
            dp_buf_reset(&c->nname);
            if (dp_term_escape(&c->nname, relpath, strlen(relpath)) < 0)
                return DP_ENOMEM;
            if (!buf_begins(&c->nname, c->prefix, c->plen))
                return 0;
            exact = c->nname.len == c->plen;
        }
    }
    /* The first name found, or one that is the reference escaped. */
    if (!c->exact && (c->nfound == 0 || exact)) {
        free(c->found);
        c->found = strdup(relpath);
        if (c->found == NULL)
            return DP_ENOMEM;
        c->entry = *e;
        c->exact = exact;
    }
    if (c->nfound < 5) {
        /* Names may hold anything: escaped, the message stays one line
         * and harmless on a terminal. */
        if ((c->nfound && dp_buf_adds(&c->others, ", ") < 0) ||
            dp_term_escape(&c->others, relpath, strlen(relpath)) < 0)
            return DP_ENOMEM;
    }
    c->nfound++;
    return 0;
}

/* Resolve @p ref (a relpath or a unique prefix of one) to an indexed
 * relpath in @p out (strdup'ed). */
static int cite_resolve_file(dp_searcher *s, const char *ref, size_t rlen,
                             char **out, dp_manifest_entry *entry,
                             dp_error *err)
{
    prefix_ctx c;
    int rc;

    *out = NULL;
    memset(&c, 0, sizeof c);
    c.prefix = strndup(ref, rlen);
    if (c.prefix == NULL)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    c.plen = rlen;
    rc = dp_index_manifest_get(s->idx, c.prefix, entry, err);
    if (rc == DP_OK) {
        *out = (char *)c.prefix;
        c.prefix = NULL;
        goto done;
    }
    if (rc != DP_ENOTFOUND)
        goto done;
    if (dp_corpus_name_nfc(c.prefix, c.plen, &c.nprefix) < 0) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    rc = dp_index_manifest_each(s->idx, cite_prefix_cb, &c, err);
    if (rc < 0) {
        if (rc == DP_ENOMEM)
            dp_error_set(err, rc, "out of memory");
        goto done;
    }
    if (c.nfound == 0) {
        rc = dp_error_set(err, DP_ENOTFOUND, "%s: no such file in the index",
                          c.prefix);
        goto done;
    }
    if (c.nfound > 1 && !c.exact) {
        rc = dp_error_set(err, DP_EINVAL,
                          "%s: ambiguous, %zu files match (%s%s)", c.prefix,
                          c.nfound, dp_buf_cstr(&c.others),
                          c.nfound > 5 ? ", ..." : "");
        goto done;
    }
    *out = c.found;
    c.found = NULL;
    *entry = c.entry;
    rc = DP_OK;
done:
    free((char *)c.prefix);
    free(c.found);
    dp_buf_release(&c.others);
    dp_buf_release(&c.nprefix);
    dp_buf_release(&c.nname);
    return rc;
}

/* The length of the white space at @p p that may stand around a "§" in
 * a copied text: a space, a no-break space (U+00A0) or a narrow one
 * (U+202F, French typography's "§ 12"); 0 if none. */
static size_t sign_space(const char *p)
{
    if (p[0] == ' ')
        return 1;
    if (strncmp(p, "\xC2\xA0", 2) == 0)
        return 2;
    if (strncmp(p, "\xE2\x80\xAF", 3) == 0)
        return 3;
    return 0;
}

/* @p k less the white space (sign_space()) that ends @p ref[0, k): the
 * space copied before a "§". */
static size_t trim_sign_space(const char *ref, size_t k)
{
    size_t n = 1;

    while (n <= 3 && n <= k) {
        if (sign_space(ref + k - n) == n) {
            k -= n;
            n = 1;
        } else {
            n++;
        }
    }
    return k;
}

/* A number after @p sep at the end of @p ref. */
typedef struct ref_num {
    size_t rlen;          /* the bytes of @p ref before it: the file */
    uint32_t num;         /* its value; 0 stays 0 and a larger number than
                             UINT32_MAX becomes it (no passage or line has
                             either) */
    const char *digits;   /* its digits as typed, for messages */
    int ndigits;
} ref_num;

/* The numeric tail of @p ref after its last @p sep into @p rn.  After
 * "§" (@p copied), as a number is copied from a text ("§ 12.", "001
 * §12"), white space may come before and after the sign and a full stop
 * after the number.  @return false if none. */
static bool ref_number(const char *ref, const char *sep, bool copied,
                       ref_num *rn)
{
    size_t sl = strlen(sep), n, k;
    const char *p = NULL, *d = NULL;
    char *end = NULL;
    unsigned long v;

    for (const char *q = strstr(ref, sep); q != NULL; q = strstr(q + 1, sep))
        p = q;
    if (p == NULL)
        return false;
    d = p + sl;
    while (copied && (n = sign_space(d)) > 0)
        d += n;
    if (*d < '0' || *d > '9')
        return false;
    v = strtoul(d, &end, 10);
    rn->digits = d;
    rn->ndigits = (int)(end - d);
    if (copied && *end == '.')
        end++;
    if (*end != '\0')
        return false;
    k = (size_t)(p - ref);
    rn->rlen = copied ? trim_sign_space(ref, k) : k;
    rn->num = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    return true;
}

/* Whether @p ref, no indexed file, is one followed by something after a
 * '#' or ':' that is not a passage or line number ("a.txt#abc", "a.txt#-1",
 * "a.txt#2 ", "a.txt#2#3"), and not the rest of a file name ("a#old.txt":
 * a '.' or '/' after it). */
static bool bad_number(dp_searcher *s, const char *ref)
{
    bool found = false;

    for (size_t i = 1; ref[i] != '\0' && !found; i++) {
        char *relpath = NULL;
        dp_manifest_entry e;
        dp_error ignored = DP_ERROR_INIT;
        bool sign = strncmp(ref + i, SECTION_SIGN, 2) == 0;
        size_t k = i;

        if ((ref[i] != '#' && ref[i] != ':' && !sign) ||
            strpbrk(ref + i + 1, "./") != NULL)
            continue;
        /* "001 §x": the file is "001" */
        if (sign && (k = trim_sign_space(ref, i)) == 0)
            continue;
        found = cite_resolve_file(s, ref, k, &relpath, &e, &ignored) == DP_OK;
        free(relpath);
    }
    return found;
}

/* Find the ordinal of the passage of @p relpath holding @p line, by a
 * binary search over passage start lines (they increase with ordinals).
 * A line of no passage (a heading, a blank line) gives the passage after
 * it, the first under a heading, and sets *@p after; a line past the last
 * passage is DP_ENOTFOUND.  @p rn holds the line as typed, for messages:
 * it may be beyond UINT32_MAX. */
static int cite_find_line(dp_searcher *s, const char *relpath,
                          uint32_t npassages, uint32_t line,
                          const ref_num *rn, uint32_t *ordinal, bool *after,
                          dp_error *err)
{
    uint32_t lo = 1, hi = npassages, best = 0;
    dp_record rec;
    int rc = DP_OK;

    while (lo <= hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        rc = dp_index_get_passage(s->idx, relpath, strlen(relpath), mid, &rec,
                                  &s->scratch, err);
        if (rc < 0)
            return rc;
        if (rec.line <= line) {
            best = mid;
            if (line <= rec.line_end)
                break;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    *after = false;
    if (best > 0) {
        rc = dp_index_get_passage(s->idx, relpath, strlen(relpath), best,
                                  &rec, &s->scratch, err);
        if (rc < 0)
            return rc;
        if (line <= rec.line_end) {
            *ordinal = best;
            return DP_OK;
        }
    }
    if (best == npassages && best > 0)
        return dp_error_set(err, DP_ENOTFOUND, "%s:%.*s: past the last "
                            "passage, which ends on line %" PRIu32, relpath,
                            rn->ndigits, rn->digits, rec.line_end);
    if (best == npassages)
        return dp_error_set(err, DP_ENOTFOUND, "%s:%.*s: the file has no "
                            "passage", relpath, rn->ndigits, rn->digits);
    *ordinal = best + 1;
    *after = true;
    return DP_OK;
}

/* The first passage of @p relpath (@p npassages) whose paragraph
 * (dp_record) is at least @p para: npassages + 1 if none.  Paragraph
 * numbers do not decrease along a file. */
static int cite_para_bound(dp_searcher *s, const char *relpath,
                           uint32_t npassages, uint32_t para,
                           uint32_t *ordinal, dp_error *err)
{
    uint32_t lo = 1, hi = npassages + 1;
    dp_record rec;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int rc = dp_index_get_passage(s->idx, relpath, strlen(relpath), mid,
                                      &rec, &s->scratch, err);
        if (rc < 0)
            return rc;
        if (rec.paragraph < para)
            lo = mid + 1;
        else
            hi = mid;
    }
    *ordinal = lo;
    return DP_OK;
}

/* RELPATH§N: in a file that numbers its paragraphs, the passages of its
 * paragraph @p para, into [*first, *last]; in another file, the N-th
 * passage, as RELPATH#N (*first = *last = @p para).  @p rn holds N as
 * typed, for messages: N may be beyond UINT32_MAX. */
static int cite_find_paragraph(dp_searcher *s, const char *relpath,
                               uint32_t npassages, uint32_t para,
                               const ref_num *rn, uint32_t *first,
                               uint32_t *last, dp_error *err)
{
    uint32_t end = 0;
    dp_record rec;
    int rc;

    *first = *last = para;
    if (npassages == 0)
        return DP_OK;
    rc = dp_index_get_passage(s->idx, relpath, strlen(relpath), npassages,
                              &rec, &s->scratch, err);
    if (rc < 0 || !rec.numbered)
        return rc;
    if (para > rec.paragraph && para <= npassages)
        return dp_error_set(err, DP_ENOTFOUND, "%s" SECTION_SIGN "%" PRIu32
                            ": no such paragraph (the file numbers its "
                            "paragraphs 1 to %" PRIu32 "; %s#%" PRIu32
                            " is passage %" PRIu32 ")", relpath, para,
                            rec.paragraph, relpath, para, para);
    if (para == 0 || para > rec.paragraph)
        return dp_error_set(err, DP_ENOTFOUND,
                            "%s" SECTION_SIGN "%.*s: no such paragraph (the "
                            "file numbers its paragraphs 1 to %" PRIu32 ")",
                            relpath, rn->ndigits, rn->digits, rec.paragraph);
    rc = cite_para_bound(s, relpath, npassages, para, first, err);
    if (rc == 0)
        rc = cite_para_bound(s, relpath, npassages, para + 1, &end, err);
    if (rc < 0)
        return rc;
    if (*first >= end) /* numbers run 1, 2, 3…: cannot happen */
        return dp_error_set(err, DP_ECORRUPT, "%s" SECTION_SIGN "%" PRIu32
                            ": paragraph numbers out of order", relpath,
                            para);
    *last = end - 1;
    return DP_OK;
}

int dp_search_cite_once(dp_searcher *s, const char *ref, uint32_t context,
                        dp_results **out, dp_error *err)
{
    size_t rlen = strlen(ref);
    uint32_t ordinal = 1, line = 0, first, last, group = 1;
    ref_num rn = { rlen, 0, "", 0 };
    /* RELPATH#N, or RELPATH§N as the text format labels a passage */
    bool by_hash = ref_number(ref, "#", false, &rn),
         by_sign = !by_hash && ref_number(ref, SECTION_SIGN, true, &rn),
         by_line = !by_hash && !by_sign && ref_number(ref, ":", false, &rn),
         after = false;
    /* how messages give the number back: as typed, whatever its value */
    const char *sep = by_hash ? "#" : by_sign ? SECTION_SIGN : ":";
    char *relpath = NULL;
    dp_manifest_entry entry;
    dp_results *r = NULL;
    int rc;

    *out = NULL;
    rlen = rn.rlen; /* rlen itself when none of them */
    if (by_hash || by_sign)
        ordinal = rn.num;
    if (by_line)
        line = rn.num;
    if (rlen == 0) {
        rc = dp_error_set(err, DP_EINVAL, "%s: expected RELPATH#N, "
                          "RELPATH" SECTION_SIGN "N or RELPATH:LINE", ref);
        goto done;
    }
    rc = cite_resolve_file(s, ref, rlen, &relpath, &entry, err);
    if (rc == DP_ENOTFOUND && bad_number(s, ref))
        rc = dp_error_set(err, DP_EINVAL, "%s: bad passage or line number "
                          "(expected RELPATH#N, RELPATH" SECTION_SIGN "N or "
                          "RELPATH:LINE, from 1)", ref);
    if (rc < 0)
        goto done;
    if (by_line && line == 0) {
        rc = dp_error_set(err, DP_ENOTFOUND, "%s:%.*s: no such line (lines "
                          "are numbered from 1)", relpath, rn.ndigits,
                          rn.digits);
        goto done;
    }
    if (by_line) {
        rc = cite_find_line(s, relpath, entry.passages, line, &rn, &ordinal,
                            &after, err);
        if (rc < 0)
            goto done;
    }
    if (by_sign) {
        uint32_t end = ordinal;
        rc = cite_find_paragraph(s, relpath, entry.passages, ordinal, &rn,
                                 &ordinal, &end, err);
        if (rc < 0)
            goto done;
        group = end - ordinal + 1;
    }
    if (ordinal == 0 || ordinal > entry.passages) {
        /* The number as typed: it may be beyond UINT32_MAX. */
        rc = dp_error_set(err, DP_ENOTFOUND, "%s%s%.*s: no such passage (%s"
                          "the file has %" PRIu32 ")", relpath, sep,
                          rn.ndigits, rn.digits,
                          ordinal == 0 ? "passages are numbered from 1; " : "",
                          entry.passages);
        goto done;
    }
    first = ordinal > context ? ordinal - context : 1;
    last = ordinal + group - 1;
    last = entry.passages - last < context ? entry.passages : last + context;
    rc = dp_search_results_new(&r, last - first + 1, err);
    if (rc < 0)
        goto done;
    r->target = ordinal - first;
    r->targets = group;
    r->total = 1;
    if (after && dp_buf_addf(&r->notices, "%s:%" PRIu32 " is in no passage "
                             "(a heading or a blank line): %s#%" PRIu32
                             ", the passage after it\n", relpath, line,
                             relpath, ordinal) < 0) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t o = first; o <= last; o++) {
        hit_slot *slot = &r->slots[o - first];
        dp_record rec;
        r->n++;
        rc = dp_index_get_passage(s->idx, relpath, strlen(relpath), o, &rec,
                                  &slot->storage, err);
        if (rc == DP_ENOTFOUND)
            rc = dp_error_set(err, DP_ECORRUPT, "%s#%" PRIu32 ": listed in "
                              "the manifest but missing", relpath, o);
        if (rc < 0)
            goto done;
        rc = dp_search_slot_fill(slot, o - first + 1, 0.0, err);
        if (rc < 0)
            goto done;
    }
    *out = r;
    r = NULL;
done:
    dp_results_free(r);
    free(relpath);
    return rc;
}
