/*
 * xapian_shim.h -- the C face of Xapian (private to lib/).
 *
 * The only C++ in dépêche is lib/xapian_shim.cc.  It translates between C
 * and Xapian and decides nothing about tokenizing or ranking.  Handles are
 * opaque; every entry point catches every exception and turns it into a
 * dp_status plus a message in the caller's dp_error:
 *   DatabaseLockError -> DP_ELOCKED, DatabaseCorruptError -> DP_ECORRUPT,
 *   DatabaseOpeningError/DatabaseNotFoundError -> DP_ENOTFOUND,
 *   DatabaseCreateError (mkdir failed: no permission, no space) -> DP_EIO,
 *   DatabaseModifiedError -> DP_EMODIFIED (call xshim_db_reopen()),
 *   any other DatabaseError (a damaged table) -> DP_ECORRUPT,
 *   std::bad_alloc -> DP_ENOMEM, anything else -> DP_EXAPIAN.
 * Strings are <pointer, length> pairs; nothing returned is NUL-terminated
 * unless it is a dp_buf.  A handle is used by one thread at a time.
 */
#ifndef DEPECHE_XAPIAN_SHIM_H
#define DEPECHE_XAPIAN_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "depeche/buf.h"
#include "depeche/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xshim_db xshim_db;       /* a database, reader or writer */
typedef struct xshim_doc xshim_doc;     /* a document being built */
typedef struct xshim_query xshim_query; /* an immutable query tree */
typedef struct xshim_mset xshim_mset;   /* the result of a search */
typedef struct xshim_stem xshim_stem;   /* a Snowball stemmer */

/* ---- stemming ---------------------------------------------------------- */

/** Create a Snowball stemmer for @p lang ("french"). */
int xshim_stem_new(xshim_stem **out, const char *lang, dp_error *err);
void xshim_stem_free(xshim_stem *st);
/** Append the stem of @p word to @p out. */
int xshim_stem_word(xshim_stem *st, const char *word, size_t len,
                    dp_buf *out, dp_error *err);

/* ---- databases --------------------------------------------------------- */

#define XSHIM_OPEN_READ      0u
#define XSHIM_OPEN_WRITE     1u /* create if missing, else open */
#define XSHIM_OPEN_OVERWRITE 2u /* create, discarding any existing index */
#define XSHIM_OPEN_PARTIAL   3u /* read a stub, leaving out shards that
                                   cannot be opened (see xshim_db_missing) */
#define XSHIM_OPEN_EXISTING  4u /* writer of a database that must exist */

/** Open @p path: a database directory, or for reading a stub listing
 * shards (a stub file, or a directory holding one named XAPIANDB; lines
 * "auto PATH" relative to the stub, "remote :HOST:PORT").  A shard that
 * cannot be opened is named in the error (DP_ENOTFOUND).  Writers take
 * Xapian's lock; a second writer gets DP_ELOCKED. */
int xshim_db_open(xshim_db **out, const char *path, unsigned mode,
                  dp_error *err);
/** Readers of a stub: the shards left out ("shard 2 (remote :h:p), ..."),
 * "" if none; borrowed until xshim_db_close(). */
const char *xshim_db_missing(const xshim_db *db);
/** Readers: the number of shards opened (1 for a plain database). */
size_t xshim_db_shards(const xshim_db *db);

/** Close and free.  An uncommitted writer's changes are discarded. */
void xshim_db_close(xshim_db *db);
/** Reader: move to the latest committed revision; *@p newer (if not
 * NULL) tells whether there was a newer one. */
int xshim_db_reopen(xshim_db *db, bool *newer, dp_error *err);
/** Writer: make everything added so far durable, atomically. */
int xshim_db_commit(xshim_db *db, dp_error *err);

/** Writer: delete every document and metadata key, inside the pending
 * transaction (so a reader sees the old contents until the commit). */
int xshim_db_clear(xshim_db *db, dp_error *err);

/** Metadata: a missing key reads as empty (len 0). */
int xshim_db_get_metadata(xshim_db *db, const char *key, dp_buf *out,
                          dp_error *err);
int xshim_db_set_metadata(xshim_db *db, const char *key, const char *val,
                          size_t len, dp_error *err);
/** Call @p cb for each metadata key starting with @p prefix, in order. */
typedef int (*xshim_key_cb)(const char *key, size_t len, void *ctx);
int xshim_db_metadata_keys(xshim_db *db, const char *prefix, xshim_key_cb cb,
                           void *ctx, dp_error *err);

typedef struct xshim_stats {
    uint64_t doccount;     /* documents (passages) */
    uint64_t lastdocid;
    double avlength;       /* average document length (wdf sum) */
    uint64_t total_length; /* sum of document lengths */
    uint64_t has_positions;
} xshim_stats;
int xshim_db_stats(xshim_db *db, xshim_stats *out, dp_error *err);

/** Number of documents indexed by @p term (0 if none). */
int xshim_db_termfreq(xshim_db *db, const char *term, size_t len,
                      uint64_t *out, dp_error *err);

/** Call @p cb for each term starting with @p prefix, in byte order, with
 * its document frequency.  A non-zero @p cb result stops and is returned. */
typedef int (*xshim_term_cb)(const char *term, size_t len, uint64_t freq,
                             void *ctx);
int xshim_db_allterms(xshim_db *db, const char *prefix, size_t plen,
                      xshim_term_cb cb, void *ctx, dp_error *err);

/** Call @p cb with each document id indexed by @p term, ascending. */
typedef int (*xshim_docid_cb)(uint32_t docid, void *ctx);
int xshim_db_postlist(xshim_db *db, const char *term, size_t len,
                      xshim_docid_cb cb, void *ctx, dp_error *err);

/** Append the data record of document @p docid to @p out.
 * @return DP_OK or DP_ENOTFOUND. */
int xshim_db_get_data(xshim_db *db, uint32_t docid, dp_buf *out,
                      dp_error *err);

/** Within-document frequency of @p term in @p docid and the document's
 * length (for --explain). */
int xshim_db_doc_wdf(xshim_db *db, uint32_t docid, const char *term,
                     size_t len, uint32_t *wdf, uint64_t *doclen,
                     dp_error *err);

/** Merge the databases @p srcs into a new, compact database at @p dst
 * (Xapian's compaction: documents renumbered, metadata merged). */
int xshim_compact(const char *const *srcs, size_t n, const char *dst,
                  dp_error *err);

/* ---- documents (writers) ----------------------------------------------- */

int xshim_doc_new(xshim_doc **out, dp_error *err);
void xshim_doc_free(xshim_doc *doc);
/** Add @p term at position @p pos (positions are 1-based in Xapian). */
int xshim_doc_add_posting(xshim_doc *doc, const char *term, size_t len,
                          uint32_t pos, uint32_t wdfinc, dp_error *err);
/** Add @p term without a position, raising its wdf by @p wdfinc. */
int xshim_doc_add_term(xshim_doc *doc, const char *term, size_t len,
                       uint32_t wdfinc, dp_error *err);
int xshim_doc_set_data(xshim_doc *doc, const char *data, size_t len,
                       dp_error *err);
int xshim_doc_set_value(xshim_doc *doc, unsigned slot, const char *val,
                        size_t len, dp_error *err);
/** Add @p doc to the writer @p db; it may be reused afterwards. */
int xshim_db_add_doc(xshim_db *db, xshim_doc *doc, dp_error *err);
/** Replace document @p docid with @p doc; Xapian compares their term
 * lists and updates only the postings that differ. */
int xshim_db_replace_doc(xshim_db *db, uint32_t docid, xshim_doc *doc,
                         dp_error *err);
/** Delete document @p docid. */
int xshim_db_delete_doc(xshim_db *db, uint32_t docid, dp_error *err);
/** Delete every document indexed by @p term. */
int xshim_db_delete_term(xshim_db *db, const char *term, size_t len,
                         dp_error *err);

/* ---- queries ----------------------------------------------------------- */

typedef enum xshim_op {
    XSHIM_OP_AND,
    XSHIM_OP_OR,
    XSHIM_OP_AND_NOT,   /* first AND NOT (OR of the rest) */
    XSHIM_OP_AND_MAYBE, /* first, weighted up by the rest */
    XSHIM_OP_FILTER,    /* first, restricted by the rest (no weight) */
    XSHIM_OP_PHRASE,    /* in order within param words (0: exact) */
    XSHIM_OP_NEAR,      /* any order within param words */
    XSHIM_OP_SYNONYM,   /* one term for weighting */
    XSHIM_OP_MAX
} xshim_op;

/** A term with query frequency @p wqf (>= 1) at query position @p pos. */
int xshim_query_term(xshim_query **out, const char *term, size_t len,
                     uint32_t wqf, uint32_t pos, dp_error *err);
/** Combine @p n sub-queries (which are not consumed) with @p op; @p param
 * is the window of PHRASE/NEAR. */
int xshim_query_combine(xshim_query **out, xshim_op op,
                        xshim_query *const *subs, size_t n, uint32_t param,
                        dp_error *err);
/** Terms starting with @p prefix, OR-ed (as a synonym), at most
 * @p max_expansion of them (the most frequent), else DP_ELIMIT. */
int xshim_query_wildcard(xshim_query **out, const char *prefix, size_t len,
                         uint32_t max_expansion, dp_error *err);
/** Every document. */
int xshim_query_match_all(xshim_query **out, dp_error *err);
/** No document (an expansion that found no word). */
int xshim_query_match_nothing(xshim_query **out, dp_error *err);
/** Multiply the weight of @p sub by @p factor. */
int xshim_query_scale(xshim_query **out, xshim_query *sub, double factor,
                      dp_error *err);
void xshim_query_free(xshim_query *q);
/** Append Xapian's description of @p q (for debugging and tests). */
int xshim_query_describe(const xshim_query *q, dp_buf *out, dp_error *err);

/* ---- searching --------------------------------------------------------- */

/* Weights are compared at this resolution (see xshim_search()), far above
 * the rounding noise of adding a few dozen term weights, far below the
 * 6 decimals printed. */
#define XSHIM_WEIGHT_QUANTUM 1e-9

typedef struct xshim_search_opts {
    uint32_t offset;  /* hits to skip */
    uint32_t count;   /* hits wanted */
    double k1, b;     /* BM25 parameters */
    uint32_t check_at_least; /* for an exact match count (0: estimate) */
    int tie_slot;     /* equal weights ordered by this value slot,
                         ascending; -1: by document id */
} xshim_search_opts;

int xshim_search(xshim_db *db, const xshim_query *q,
                 const xshim_search_opts *opts, xshim_mset **out,
                 dp_error *err);
void xshim_mset_free(xshim_mset *ms);
size_t xshim_mset_size(const xshim_mset *ms);
/** Estimated number of matching documents (exact when small). */
uint64_t xshim_mset_matches(const xshim_mset *ms);
uint32_t xshim_mset_docid(const xshim_mset *ms, size_t i);
double xshim_mset_weight(const xshim_mset *ms, size_t i);
/** Append the data record of hit @p i to @p out. */
int xshim_mset_data(xshim_mset *ms, size_t i, dp_buf *out, dp_error *err);
/** Append value slot @p slot of hit @p i to @p out ("" when unset). */
int xshim_mset_value(xshim_mset *ms, size_t i, unsigned slot, dp_buf *out,
                     dp_error *err);

#ifdef __cplusplus
}
#endif
#endif
