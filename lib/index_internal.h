/* index_internal.h -- what lib/ modules may see of an index (never installed). */
#ifndef DEPECHE_INDEX_INTERNAL_H
#define DEPECHE_INDEX_INTERNAL_H

#include <stdbool.h>

#include "depeche/index.h"
#include "xapian_shim.h"

/* Term prefixes (docs/index-format.md).  Unprefixed terms are folded
 * words with positions; folded words never start with an ASCII capital. */
#define DP_PREFIX_STEM    'Z' /* stem of a body word, wdf only */
#define DP_PREFIX_ID      'Q' /* unique passage id RELPATH#N */
#define DP_PREFIX_FILE    'F' /* relpath of the passage's file */
#define DP_PREFIX_SECTION 'S' /* folded words of the section heading */
#define DP_PREFIX_TITLE   'T' /* folded words of the document title */
#define DP_PREFIX_CONTEXT 'U' /* stems of the title and section, wdf 1 */
#define DP_PREFIX_MANIFEST 'M' /* metadata key of a manifest entry */
#define DP_PREFIX_TRUNC   'P' /* truncation of a body word, wdf only */

/* Value slots. */
#define DP_SLOT_FILE    0 /* relpath */
#define DP_SLOT_ORDINAL 1 /* passage ordinal, 4 bytes big-endian */
#define DP_SLOT_ORDER   2 /* relpath, NUL, ordinal big-endian: breaks ties
                             between equal scores the same way whatever
                             the document ids (incremental runs, shards) */

/** The Q term of passage @p ordinal of @p relpath into @p out (reset
 * first): `Q` + dp_index_path_key() + `#N`. */
int dp_index_id_term(dp_buf *out, const char *relpath, size_t len,
                     uint32_t ordinal);

/** The DP_SLOT_ORDER value of passage @p ordinal of @p relpath into @p out
 * (reset first): the relpath, a NUL byte, the ordinal big-endian. */
int dp_index_order_key(dp_buf *out, const char *relpath, size_t len,
                       uint32_t ordinal);

/** Read a DP_SLOT_ORDER value back: false when @p key is not one. */
bool dp_index_order_parse(const char *key, size_t len, size_t *path_len,
                          uint32_t *ordinal);

/** The document id of passage @p ordinal of @p relpath.
 * @return DP_OK or DP_ENOTFOUND. */
int dp_index_passage_docid(dp_index *idx, const char *relpath, size_t rlen,
                           uint32_t ordinal, uint32_t *docid, dp_error *err);

/** The Xapian handle behind @p idx; borrowed until dp_index_close(). */
xshim_db *dp_index_db(dp_index *idx);

#endif
