/* index.c -- the passage index: schema, manifest, documents, records. */
#include "index_internal.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "depeche/passage.h"

#define META_SCHEMA   "depeche:schema"
#define META_ANALYZER "depeche:analyzer"

#define RECORD_VERSION 2

struct dp_index {
    xshim_db *db;         /* readers: the whole index (all shards);
                             writers: shard 0 */
    xshim_db **shards;    /* writers: every shard (shards[0] == db) */
    unsigned nshards;
    unsigned flags;
    char *path;
    /* Scratch reused across calls, so indexing does not allocate per
     * passage. */
    dp_buf term;
    dp_buf key;
    dp_buf rec;
    dp_buf val;
    dp_buf id;            /* the passage's Q term */
};

xshim_db *dp_index_db(dp_index *idx)
{
    return idx->db;
}

/* ---- hashing and keys --------------------------------------------------- */

void dp_index_hash_text(const char *text, size_t len, char out[33])
{
    XXH128_hash_t h = XXH3_128bits(text, len);

    snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, (uint64_t)h.high64,
             (uint64_t)h.low64);
}

void dp_index_hash_meta(const char *title, const char *date,
                        const char *source, char out[17])
{
    XXH3_state_t st;
    const char *parts[3] = { title, date, source };

    XXH3_64bits_reset(&st);
    for (size_t i = 0; i < 3; i++) {
        const char *p = parts[i] ? parts[i] : "";
        XXH3_64bits_update(&st, p, strlen(p) + 1); /* NUL separates */
    }
    snprintf(out, 17, "%016" PRIx64, (uint64_t)XXH3_64bits_digest(&st));
}

int dp_index_path_key(char prefix, const char *relpath, size_t len,
                      dp_buf *out)
{
    char hex[33];
    int rc = dp_buf_addc(out, prefix);

    if (rc < 0)
        return rc;
    if (len <= DP_MAX_KEY_PATH)
        return dp_buf_add(out, relpath, len);
    /* A relpath never starts with '/', so "/hash" cannot collide. */
    dp_index_hash_text(relpath, len, hex);
    rc = dp_buf_addc(out, '/');
    if (rc < 0)
        return rc;
    return dp_buf_add(out, hex, 32);
}

int dp_index_id_term(dp_buf *out, const char *relpath, size_t len,
                     uint32_t ordinal)
{
    int rc;

    dp_buf_reset(out);
    rc = dp_index_path_key(DP_PREFIX_ID, relpath, len, out);
    if (rc < 0)
        return rc;
    return dp_buf_addf(out, "#%" PRIu32, ordinal);
}

int dp_index_order_key(dp_buf *out, const char *relpath, size_t len,
                       uint32_t ordinal)
{
    unsigned char ord[4] = { (unsigned char)(ordinal >> 24),
                             (unsigned char)(ordinal >> 16),
                             (unsigned char)(ordinal >> 8),
                             (unsigned char)ordinal };

    dp_buf_reset(out);
    if (dp_buf_add(out, relpath, len) < 0 || dp_buf_addc(out, '\0') < 0)
        return DP_ENOMEM;
    return dp_buf_add(out, (const char *)ord, 4);
}

bool dp_index_order_parse(const char *key, size_t len, size_t *path_len,
                          uint32_t *ordinal)
{
    const char *nul = len >= 5 ? memchr(key, '\0', len) : NULL;
    const unsigned char *o;

    if (nul == NULL || (size_t)(nul - key) + 5 != len)
        return false;
    o = (const unsigned char *)nul + 1;
    *path_len = (size_t)(nul - key);
    *ordinal = (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 |
               (uint32_t)o[2] << 8 | o[3];
    return true;
}

/* ---- data record -------------------------------------------------------- */

/* A record is a version byte followed by fields in a fixed order:
 * integers as LEB128 varints, strings as a varint length then bytes. */

static int put_varint(dp_buf *out, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;

    do {
        b[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    return dp_buf_add(out, b, n);
}

static int put_str(dp_buf *out, const char *s, size_t len)
{
    int rc = put_varint(out, len);

    if (rc < 0)
        return rc;
    return dp_buf_add(out, s ? s : "", len);
}

typedef struct reader {
    const unsigned char *p, *end;
    int bad;
} reader;

static uint64_t get_varint(reader *r)
{
    uint64_t v = 0;
    unsigned shift = 0;

    while (r->p < r->end && shift < 64) {
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
        shift += 7;
    }
    r->bad = 1;
    return 0;
}

static const char *get_str(reader *r, size_t *len)
{
    uint64_t n = get_varint(r);
    const char *s = (const char *)r->p;

    if (r->bad || n > (uint64_t)(r->end - r->p)) {
        r->bad = 1;
        *len = 0;
        return "";
    }
    r->p += n;
    *len = (size_t)n;
    return s;
}

int dp_record_encode(const dp_record *rec, dp_buf *out)
{
    int rc = dp_buf_addc(out, RECORD_VERSION);

    if (rc == 0)
        rc = put_str(out, rec->relpath, rec->relpath_len);
    if (rc == 0)
        rc = put_varint(out, rec->ordinal);
    if (rc == 0)
        rc = put_varint(out, rec->line);
    if (rc == 0)
        rc = put_varint(out, rec->line_end);
    if (rc == 0)
        rc = put_varint(out, rec->col);
    if (rc == 0)
        rc = put_varint(out, rec->byte_start);
    if (rc == 0)
        rc = put_varint(out, rec->byte_end);
    if (rc == 0)
        rc = put_str(out, rec->section, rec->section_len);
    if (rc == 0)
        rc = put_str(out, rec->title, rec->title_len);
    if (rc == 0)
        rc = put_str(out, rec->date, rec->date_len);
    if (rc == 0)
        rc = put_str(out, rec->source, rec->source_len);
    if (rc == 0)
        rc = put_str(out, rec->text, rec->text_len);
    if (rc == 0)
        rc = put_varint(out, rec->numbered ? 1 : 0);
    if (rc == 0)
        rc = put_varint(out, rec->paragraph);
    return rc;
}

int dp_record_decode(const char *data, size_t len, dp_record *rec)
{
    reader r = { (const unsigned char *)data,
                 (const unsigned char *)data + len, 0 };

    memset(rec, 0, sizeof *rec);
    if (len == 0 || r.p[0] != RECORD_VERSION)
        return DP_ECORRUPT;
    r.p++;
    rec->relpath = get_str(&r, &rec->relpath_len);
    rec->ordinal = (uint32_t)get_varint(&r);
    rec->line = (uint32_t)get_varint(&r);
    rec->line_end = (uint32_t)get_varint(&r);
    rec->col = (uint32_t)get_varint(&r);
    rec->byte_start = get_varint(&r);
    rec->byte_end = get_varint(&r);
    rec->section = get_str(&r, &rec->section_len);
    rec->title = get_str(&r, &rec->title_len);
    rec->date = get_str(&r, &rec->date_len);
    rec->source = get_str(&r, &rec->source_len);
    rec->text = get_str(&r, &rec->text_len);
    rec->numbered = get_varint(&r) != 0;
    rec->paragraph = (uint32_t)get_varint(&r);
    return r.bad ? DP_ECORRUPT : DP_OK;
}

/* ---- open / close ------------------------------------------------------- */

static int check_schema(dp_index *idx, xshim_db *db, const char *path,
                        dp_error *err)
{
    dp_buf v = DP_BUF_INIT;
    xshim_stats st;
    int rc = xshim_db_get_metadata(db, META_SCHEMA, &v, err);

    if (rc < 0)
        goto done;
    if (v.len == 0) {
        rc = xshim_db_stats(db, &st, err);
        if (rc < 0)
            goto done;
        if (st.doccount > 0) {
            rc = dp_error_set(err, DP_ESCHEMA,
                              "%s: not a dépêche index (no schema version); "
                              "rebuild with depeche-index --rebuild", path);
            goto done;
        }
        if (idx->flags == DP_INDEX_READ) {
            /* An empty index just created by a writer: searchable. */
            rc = DP_OK;
            goto done;
        }
        rc = xshim_db_set_metadata(db, META_SCHEMA, DP_SCHEMA_VERSION,
                                   strlen(DP_SCHEMA_VERSION), err);
        if (rc == 0)
            rc = xshim_db_set_metadata(db, META_ANALYZER, DP_ANALYZER_ID,
                                       strlen(DP_ANALYZER_ID), err);
        goto done;
    }
    if (strcmp(dp_buf_cstr(&v), DP_SCHEMA_VERSION) != 0) {
        rc = dp_error_set(err, DP_ESCHEMA,
                          "%s: index schema version %s, this program reads "
                          "version %s; rebuild with depeche-index --rebuild",
                          path, dp_buf_cstr(&v), DP_SCHEMA_VERSION);
        goto done;
    }
    dp_buf_reset(&v);
    rc = xshim_db_get_metadata(db, META_ANALYZER, &v, err);
    if (rc < 0)
        goto done;
    if (strcmp(dp_buf_cstr(&v), DP_ANALYZER_ID) != 0) {
        rc = dp_error_set(err, DP_ESCHEMA,
                          "%s: index built with another analyzer (%s); "
                          "rebuild with depeche-index --rebuild",
                          path, dp_buf_cstr(&v));
        goto done;
    }
    rc = DP_OK;
done:
    dp_buf_release(&v);
    return rc;
}

/* ---- shards ------------------------------------------------------------ */

/* A sharded index is a folder holding shard0 … shardN-1 (glass databases)
 * and a Xapian stub file XAPIANDB listing them ("auto shardK"), so that
 * Xapian -- and xapian-tcpsrv, xapian-delve -- open the folder as one
 * database.  @return the number of shards listed, 0 if @p path is not a
 * sharded index, -1 if its stub is not one of ours. */
static int stub_shards(const char *path)
{
    char *stub = NULL, line[256];
    FILE *fp = NULL;
    int n = 0;

    if (asprintf(&stub, "%s/XAPIANDB", path) < 0)
        return -1;
    fp = fopen(stub, "r");
    free(stub);
    if (fp == NULL)
        return 0;
    while (fgets(line, sizeof line, fp) != NULL) {
        char want[64];
        if (line[0] == '#' || line[0] == '\n')
            continue;
        snprintf(want, sizeof want, "auto shard%d\n", n);
        if (strcmp(line, want) != 0) {
            n = -1;
            break;
        }
        n++;
    }
    fclose(fp);
    return n;
}

/* Write PATH/XAPIANDB listing @p n shards, atomically (temp + rename). */
static int write_stub(const char *path, unsigned n, dp_error *err)
{
    char *tmp = NULL, *stub = NULL;
    FILE *fp = NULL;
    int rc = DP_OK;

    if (asprintf(&tmp, "%s/XAPIANDB.tmp", path) < 0 ||
        asprintf(&stub, "%s/XAPIANDB", path) < 0) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    fp = fopen(tmp, "w");
    if (fp == NULL) {
        rc = dp_error_set(err, DP_EIO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    fputs("# dépêche index: one line per shard (docs/scale-out.md)\n", fp);
    for (unsigned i = 0; i < n; i++)
        fprintf(fp, "auto shard%u\n", i);
    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
        rc = dp_error_set(err, DP_EIO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    if (fclose(fp) != 0) {
        fp = NULL;
        rc = dp_error_set(err, DP_EIO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    fp = NULL;
    if (rename(tmp, stub) != 0)
        rc = dp_error_set(err, DP_EIO, "%s: %s", stub, strerror(errno));
done:
    if (fp != NULL)
        fclose(fp);
    free(tmp);
    free(stub);
    return rc;
}

static int rm_cb(const char *p, const struct stat *sb, int type,
                 struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(p);
}

/* Whether @p name, an entry of an index folder (@p top) or of one of its
 * shards, is one an index is made of: a glass database's files (iamglass,
 * flintlock, TABLE.glass, Xapian's temporary v.tmp, replication's
 * changesN), the stub of a sharded index (XAPIANDB, written through
 * XAPIANDB.tmp) and its shards; an NFS placeholder (.nfsXXXX) of a file
 * deleted while open. */
static bool index_entry_name(const char *name, bool top)
{
    size_t n = strlen(name);

    if (strcmp(name, "iamglass") == 0 || strcmp(name, "flintlock") == 0 ||
        strcmp(name, "v.tmp") == 0 || strncmp(name, "changes", 7) == 0 ||
        strncmp(name, ".nfs", 4) == 0 ||
        (n > 6 && strcmp(name + n - 6, ".glass") == 0))
        return true;
    if (!top)
        return false;
    if (strcmp(name, "XAPIANDB") == 0 || strcmp(name, "XAPIANDB.tmp") == 0)
        return true;
    return strncmp(name, "shard", 5) == 0 && n > 5 &&
           strspn(name + 5, "0123456789") == n - 5;
}

/* The first entry of the folder @p path (and of its shardK folders) that
 * no index is made of, into @p found ("shard0/x" for one in a shard): a
 * folder holding one is not an index, and an index is never written there,
 * since a --rebuild deletes what the index folder holds.  @return 1 with
 * @p found set, 0 if there is none (or @p path cannot be listed: opening
 * the index then says why), DP_ENOMEM. */
static int foreign_entry(const char *path, bool top, dp_buf *found)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int rc = 0;

    if (d == NULL)
        return 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        char *sub = NULL;
        struct stat sb;

        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (!index_entry_name(name, top)) {
            /* A control character would reach the terminal raw. */
            for (rc = 1; *name != '\0' && rc == 1; name++)
                if (dp_buf_addc(found, (unsigned char)*name < 0x20 ||
                                       *name == 0x7f ? '?' : *name) < 0)
                    rc = DP_ENOMEM;
            break;
        }
        if (!top || strncmp(name, "shard", 5) != 0)
            continue;
        if (asprintf(&sub, "%s/%s", path, name) < 0) {
            rc = DP_ENOMEM;
            break;
        }
        if (lstat(sub, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            free(sub);
            continue;
        }
        rc = foreign_entry(sub, false, found);
        free(sub);
        if (rc == 1) { /* "x" found in shardK: "shardK/x" */
            dp_buf full = DP_BUF_INIT;
            if (dp_buf_addf(&full, "%s/%s", name, dp_buf_cstr(found)) < 0)
                rc = DP_ENOMEM;
            else {
                dp_buf_reset(found);
                if (dp_buf_add(found, full.data, full.len) < 0)
                    rc = DP_ENOMEM;
            }
            dp_buf_release(&full);
        }
    }
    closedir(d);
    return rc;
}

/* The shard of @p relpath: a stable hash of the path, so incremental runs
 * keep each file on its shard. */
static xshim_db *shard_of(dp_index *idx, const char *relpath)
{
    if (idx->nshards <= 1)
        return idx->db;
    return idx->shards[XXH3_64bits(relpath, strlen(relpath)) %
                       idx->nshards];
}

/* The write locks of the existing index at @p path, of @p have shards (0:
 * a plain index), into @p out (one writer per shard, or NULL where one
 * cannot be opened: a missing or damaged shard locks nothing, and is
 * nobody's).  @return DP_OK, DP_ELOCKED when an indexer holds one,
 * DP_ENOMEM. */
static int lock_layout(const char *path, int have, xshim_db ***out,
                       dp_error *err)
{
    int n = have ? have : 1, rc = DP_OK;
    xshim_db **dbs = calloc((size_t)n, sizeof *dbs);

    *out = dbs;
    if (dbs == NULL)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    for (int i = 0; i < n && rc == DP_OK; i++) {
        char *p = NULL;
        if (have ? asprintf(&p, "%s/shard%d", path, i) < 0
                 : (p = strdup(path)) == NULL)
            return dp_error_set(err, DP_ENOMEM, "out of memory");
        rc = xshim_db_open(&dbs[i], p, XSHIM_OPEN_EXISTING, err);
        free(p);
        if (rc != DP_ELOCKED && rc != DP_ENOMEM) {
            rc = DP_OK;
            dp_error_clear(err);
        }
    }
    return rc;
}

/* Open (creating as needed) the writers of an index of @p want shards
 * (0: as the index already is, 1 if new). */
static int open_writers(dp_index *idx, const char *path, unsigned want,
                        dp_error *err)
{
    struct stat sb;
    int have = stub_shards(path);
    bool exists = stat(path, &sb) == 0;
    xshim_db **old = NULL;
    bool want_fresh = false;  /* a folder that holds no index yet */
    unsigned n;
    int rc = DP_OK;

    if (have < 0)
        return dp_error_set(err, DP_EINVAL, "%s/XAPIANDB: not a dépêche "
                            "shard list", path);
    /* An index is a folder; a file of that name is someone's, never
     * overwritten (Xapian would say "mkdir failed"). */
    if (exists && !S_ISDIR(sb.st_mode))
        return dp_error_set(err, DP_EINVAL, "%s: not an index folder (a "
                            "file of that name is in the way)", path);
    /* A folder that holds anything else is someone's (-d ~/Documents, or
     * the texts themselves): never written, since --rebuild and a -j
     * build's swap delete the index folder whole. */
    if (exists && idx->flags != DP_INDEX_LOCK_EXISTING) {
        dp_buf found = DP_BUF_INIT;
        rc = foreign_entry(path, true, &found);
        if (rc == 1)
            rc = dp_error_set(err, DP_EINVAL, "%s: not an index: the folder "
                              "holds %s, which depeche-index did not write; "
                              "give -d a new or empty folder", path,
                              dp_buf_cstr(&found));
        else if (rc < 0)
            rc = dp_error_set(err, rc, "out of memory");
        dp_buf_release(&found);
        if (rc != 0)
            return rc;
    }
    /* A folder without iamglass or a stub (an empty one, made for the
     * index; or a first build killed before its first commit) holds no
     * index yet, so no number of shards to keep. */
    if (exists && have == 0 && want > 1) {
        char *stamp = NULL;
        struct stat ssb;
        if (asprintf(&stamp, "%s/iamglass", path) < 0)
            return dp_error_set(err, DP_ENOMEM, "out of memory");
        want_fresh = stat(stamp, &ssb) != 0;
        free(stamp);
    }
    if (exists && !want_fresh && want != 0 &&
        (unsigned)(have ? have : 1) != want) {
        if (idx->flags != DP_INDEX_REBUILD)
            return dp_error_set(err, DP_EINVAL,
                                "%s: the index has %d shard%s; to change "
                                "that, rebuild it with --rebuild --shards %u",
                                path, have ? have : 1, have > 1 ? "s" : "",
                                want);
        /* A rebuild into another layout cannot keep the old index
         * readable meanwhile: it starts from nothing -- once it holds the
         * old index's locks, so that an indexer at work on it is not
         * deleted under its feet. */
        rc = lock_layout(path, have, &old, err);
        if (rc == DP_OK && nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS) != 0)
            rc = dp_error_set(err, DP_EIO, "%s: cannot remove the old "
                              "index: %s", path, strerror(errno));
        for (int i = 0; i < (have ? have : 1); i++)
            xshim_db_close(old ? old[i] : NULL);
        free(old);
        if (rc < 0)
            return rc;
        exists = false;
        have = 0;
    }
    n = have ? (unsigned)have : want ? want : 1;
    idx->shards = calloc(n, sizeof *idx->shards);
    if (idx->shards == NULL)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    idx->nshards = n;
    if (n == 1) {
        /* A folder without "iamglass" is a first build killed before its
         * first commit: nothing in it to keep. */
        char *stamp = NULL;
        bool unfinished = exists && S_ISDIR(sb.st_mode);
        if (unfinished && asprintf(&stamp, "%s/iamglass", path) >= 0) {
            unfinished = stat(stamp, &sb) != 0;
            free(stamp);
        }
        if (idx->flags == DP_INDEX_LOCK_EXISTING) {
            /* What is there is kept whatever it holds. */
            rc = xshim_db_open(&idx->shards[0], path, XSHIM_OPEN_EXISTING,
                               err);
            idx->db = idx->shards[0];
            return rc;
        }
        rc = xshim_db_open(&idx->shards[0], path,
                           unfinished ? XSHIM_OPEN_OVERWRITE : XSHIM_OPEN_WRITE,
                           err);
        if ((idx->flags == DP_INDEX_REBUILD || idx->flags == DP_INDEX_LOCK) &&
            (rc == DP_ECORRUPT || rc == DP_EXAPIAN || rc == DP_ENOTFOUND))
            /* Unreadable as it is: start afresh (nothing to keep). */
            rc = xshim_db_open(&idx->shards[0], path, XSHIM_OPEN_OVERWRITE,
                               err);
        if (rc == DP_ECORRUPT || rc == DP_EXAPIAN) {
            char why[DP_ERROR_MSG_MAX];
            snprintf(why, sizeof why, "%s", err ? err->msg : "");
            rc = dp_error_set(err, rc, "%s: the index is damaged (%s); "
                              "rebuild with --rebuild", path, why);
        } else if (rc == DP_EIO) {
            /* Xapian could not make the folder or its files: nothing is
             * damaged, and --rebuild would fail the same way. */
            char why[DP_ERROR_MSG_MAX];
            snprintf(why, sizeof why, "%s", err ? err->msg : "");
            rc = dp_error_set(err, rc, "%s: cannot create the index (%s)",
                              path, why);
        }
        idx->db = idx->shards[0];
        return rc;
    }
    if (!exists && mkdir(path, 0777) != 0 && errno != EEXIST)
        return dp_error_set(err, DP_EIO, "%s: %s", path, strerror(errno));
    for (unsigned i = 0; i < n && rc == 0; i++) {
        char *sp = NULL;
        if (asprintf(&sp, "%s/shard%u", path, i) < 0)
            return dp_error_set(err, DP_ENOMEM, "out of memory");
        /* The shards of an existing index must all be there: one gone
         * missing is an error, not a new empty shard. */
        rc = xshim_db_open(&idx->shards[i], sp,
                           have ? XSHIM_OPEN_EXISTING : XSHIM_OPEN_WRITE, err);
        if (idx->flags == DP_INDEX_REBUILD &&
            (rc == DP_ENOTFOUND || rc == DP_ECORRUPT || rc == DP_EXAPIAN)) {
            /* Missing or unreadable: the rebuild starts it afresh, as it
             * does a plain index (the other shards keep their contents
             * until the rebuild's commit). */
            dp_error_clear(err);
            rc = xshim_db_open(&idx->shards[i], sp, XSHIM_OPEN_OVERWRITE,
                               err);
        }
        if (rc == DP_ENOTFOUND || rc == DP_ECORRUPT || rc == DP_EXAPIAN) {
            char why[DP_ERROR_MSG_MAX];
            snprintf(why, sizeof why, "%s", err ? err->msg : "");
            rc = dp_error_set(err, rc, "%s: shard %u is %s (%s); rebuild "
                              "with --rebuild", path, i,
                              rc == DP_ENOTFOUND ? "missing" : "damaged", why);
        }
        free(sp);
    }
    idx->db = idx->shards[0];
    if (rc == 0 && have == 0)
        rc = write_stub(path, n, err);
    return rc;
}

int dp_index_open(dp_index **out, const char *path, unsigned flags,
                  dp_error *err)
{
    return dp_index_open_shards(out, path, flags, 0, err);
}

/* ---- opening a reader while a writer works ------------------------------
 *
 * A reader opens the revision a writer last committed.  Opening can still
 * fail because of a writer, and then succeeds when tried again:
 * - a writer that commits twice while the reader opens may reuse blocks
 *   of the revision being opened: Xapian's DatabaseModifiedError, or its
 *   DatabaseCorruptError when a reused block is read before its revision
 *   is checked;
 * - a -j build swaps its new index in by two renames (INDEX -> INDEX.old,
 *   INDEX.new -> INDEX): between them INDEX is missing, and a reader that
 *   read the version file of one index may open the tables of the other.
 * So a reader's open is tried again, a few times, after a modified error;
 * after another error of Xapian's or a missing index only when a writer
 * is seen to have been at work (a version file that changed meanwhile, a
 * swap under way); otherwise the error stands, at once. */
#define DP_OPEN_TRIES 8
#define DP_OPEN_WAIT_NS 20000000L /* between tries: 20 ms */

/* What identifies the committed revisions of the index at @p path: the
 * inode and time of each local version file (a commit or a swap replaces
 * it), hashed; 0 when there is none. */
static uint64_t revision_stamp(const char *path)
{
    XXH3_state_t st;
    struct stat sb;
    char *p = NULL;
    bool any = false;

    XXH3_64bits_reset(&st);
    for (int i = -1; i < DP_MAX_SHARDS; i++) {
        int n = i < 0 ? asprintf(&p, "%s/iamglass", path)
                      : asprintf(&p, "%s/shard%d/iamglass", path, i);
        if (n < 0)
            break;
        n = stat(p, &sb);
        free(p);
        if (n != 0) {
            if (i >= 0)
                break;
            continue;
        }
        any = true;
        XXH3_64bits_update(&st, &sb.st_ino, sizeof sb.st_ino);
        XXH3_64bits_update(&st, &sb.st_mtim, sizeof sb.st_mtim);
        XXH3_64bits_update(&st, &sb.st_size, sizeof sb.st_size);
    }
    return any ? XXH3_64bits_digest(&st) | 1 : 0;
}

/* Is a -j build swapping a new index in at @p path (INDEX.new there)? */
static bool swap_under_way(const char *path)
{
    struct stat sb;
    char *p = NULL;
    bool yes;

    if (asprintf(&p, "%s.new", path) < 0)
        return false;
    yes = stat(p, &sb) == 0;
    free(p);
    return yes;
}

static int open_shards_once(dp_index **out, const char *path, unsigned flags,
                            unsigned nshards, dp_error *err);

int dp_index_open_shards(dp_index **out, const char *path, unsigned flags,
                         unsigned nshards, dp_error *err)
{
    int rc = DP_OK;

    if (flags != DP_INDEX_READ && flags != DP_INDEX_PARTIAL)
        return open_shards_once(out, path, flags, nshards, err);
    for (int i = 0; i < DP_OPEN_TRIES; i++) {
        uint64_t before = revision_stamp(path);
        bool again;

        rc = open_shards_once(out, path, flags, nshards, err);
        if (rc == DP_OK)
            break;
        again = rc == DP_EMODIFIED ||
                ((rc == DP_ECORRUPT || rc == DP_ENOTFOUND ||
                  rc == DP_EXAPIAN) && revision_stamp(path) != before) ||
                (rc == DP_ENOTFOUND && swap_under_way(path));
        if (!again || i + 1 == DP_OPEN_TRIES)
            break;
        if (rc == DP_ENOTFOUND) {
            struct timespec ts = { 0, DP_OPEN_WAIT_NS };
            nanosleep(&ts, NULL);
        }
        dp_error_clear(err);
    }
    return rc;
}

static int open_shards_once(dp_index **out, const char *path, unsigned flags,
                            unsigned nshards, dp_error *err)
{
    dp_index *idx = NULL;
    struct stat sb;
    int rc;

    *out = NULL;
    if (flags != DP_INDEX_READ && flags != DP_INDEX_PARTIAL &&
        nshards > DP_MAX_SHARDS) {
        rc = dp_error_set(err, DP_ELIMIT, "at most %d shards", DP_MAX_SHARDS);
        goto done;
    }
    if ((flags == DP_INDEX_READ || flags == DP_INDEX_PARTIAL) &&
        stat(path, &sb) != 0) {
        rc = dp_error_set(err, DP_ENOTFOUND,
                          "%s: no index there (build one with depeche-index)",
                          path);
        goto done;
    }
    idx = calloc(1, sizeof *idx);
    if (idx == NULL || (idx->path = strdup(path)) == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    idx->flags = flags;
    if (flags == DP_INDEX_READ || flags == DP_INDEX_PARTIAL) {
        rc = xshim_db_open(&idx->db, path, flags == DP_INDEX_PARTIAL
                                               ? XSHIM_OPEN_PARTIAL
                                               : XSHIM_OPEN_READ, err);
        if (rc == DP_ENOTFOUND && err != NULL &&
            strstr(err->msg, "shard") == NULL)
            rc = dp_error_set(err, DP_ENOTFOUND,
                              "%s: not a dépêche index (build one with "
                              "depeche-index)", path);
        else if (rc == DP_ENOTFOUND && flags == DP_INDEX_READ && err != NULL &&
                 strlen(err->msg) + 48 < sizeof err->msg)
            strcat(err->msg, " (--allow-partial searches the others)");
    } else {
        rc = open_writers(idx, path, nshards, err);
    }
    if (rc == DP_ELOCKED && err != NULL &&
        strstr(err->msg, ": already locked") == NULL) {
        /* Xapian says "lock" also when the lock file cannot be made (a
         * folder without write permission): no other indexer there. */
        char why[DP_ERROR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        rc = dp_error_set(err, DP_ELOCKED, "%s: cannot take the index's "
                          "write lock (%s)", path, why);
        goto done;
    }
    if (rc == DP_ELOCKED) {
        rc = dp_error_set(err, DP_ELOCKED,
                          "%s: index locked: another depeche-index is "
                          "writing it", path);
        goto done;
    }
    if (rc < 0)
        goto done;
    if (flags == DP_INDEX_REBUILD) {
        /* Empty it inside the writers' transactions: until the rebuild
         * commits, readers (and a crash) keep the old contents. */
        for (unsigned i = 0; i < idx->nshards && rc == 0; i++)
            rc = xshim_db_clear(idx->shards[i], err);
        if (rc < 0)
            goto done;
    }
    if (flags == DP_INDEX_LOCK || flags == DP_INDEX_LOCK_EXISTING) {
        rc = DP_OK;
    } else if (idx->nshards == 0) {
        rc = check_schema(idx, idx->db, path, err);
    } else {
        for (unsigned i = 0; i < idx->nshards && rc == 0; i++)
            rc = check_schema(idx, idx->shards[i], path, err);
    }
    if (rc < 0)
        goto done;
    *out = idx;
    idx = NULL;
done:
    dp_index_close(idx);
    return rc;
}

const char *dp_index_missing_shards(const dp_index *idx)
{
    return idx->nshards == 0 ? xshim_db_missing(idx->db) : "";
}

unsigned dp_index_shards(const dp_index *idx)
{
    return idx->nshards ? idx->nshards : (unsigned)xshim_db_shards(idx->db);
}

void dp_index_close(dp_index *idx)
{
    if (idx == NULL)
        return;
    if (idx->nshards == 0)
        xshim_db_close(idx->db);
    for (unsigned i = 0; i < idx->nshards; i++)
        xshim_db_close(idx->shards[i]);
    free(idx->shards);
    dp_buf_release(&idx->term);
    dp_buf_release(&idx->key);
    dp_buf_release(&idx->rec);
    dp_buf_release(&idx->val);
    dp_buf_release(&idx->id);
    free(idx->path);
    free(idx);
}

int dp_index_commit(dp_index *idx, dp_error *err)
{
    int rc = DP_OK;

    /* Shard by shard: a crash between two leaves each shard at a commit,
     * and every file whole on its shard. */
    for (unsigned i = 0; i < idx->nshards && rc == 0; i++)
        rc = xshim_db_commit(idx->shards[i], err);
    if (rc < 0 && err != NULL && idx->path != NULL &&
        strncmp(err->msg, idx->path, strlen(idx->path)) != 0) {
        /* Name the index: "disk full" alone does not say where. */
        char msg[DP_ERROR_MSG_MAX];

        snprintf(msg, sizeof msg, "%s", err->msg);
        dp_error_set(err, rc, "%s: commit failed: %s", idx->path, msg);
    }
    return rc;
}

int dp_index_reopen(dp_index *idx, dp_error *err)
{
    return xshim_db_reopen(idx->db, NULL, err);
}

/* ---- manifest ----------------------------------------------------------- */

/* Value: "hash size mtime_ns passages words meta_hash ctime_ns ino dev
 * relpath".  Entries written before the stat fields came lack the three
 * between meta_hash and relpath. */
static int manifest_format(dp_buf *out, const char *relpath,
                           const dp_manifest_entry *e)
{
    dp_buf_reset(out);
    return dp_buf_addf(out, "%s %" PRIu64 " %" PRId64 " %" PRIu32 " %" PRIu64
                       " %s %" PRId64 " %" PRIu64 " %" PRIu64 " %s",
                       e->hash, e->size, e->mtime_ns, e->passages, e->words,
                       e->meta_hash, e->ctime_ns, e->ino, e->dev, relpath);
}

/* Read @p ndigits lower-case hex digits and one space at @p p into @p out
 * (NUL-terminated).  @return the byte after the space, NULL if none. */
static const char *field_hex(const char *p, const char *end, size_t ndigits,
                             char *out)
{
    if ((size_t)(end - p) <= ndigits || p[ndigits] != ' ')
        return NULL;
    for (size_t i = 0; i < ndigits; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return NULL;
        out[i] = p[i];
    }
    out[ndigits] = '\0';
    return p + ndigits + 1;
}

/* Read a decimal number (a '-' first if @p sign) and one space at @p p;
 * @p max bounds its magnitude.  @return the byte after the space, NULL if
 * none. */
static const char *field_num(const char *p, const char *end, bool sign,
                             uint64_t max, bool *neg, uint64_t *out)
{
    uint64_t v = 0;
    const char *start;

    *neg = sign && p < end && *p == '-';
    if (*neg)
        p++;
    start = p;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (max - d) / 10)
            return NULL;
        v = v * 10 + d;
    }
    if (p == start || p == end || *p != ' ')
        return NULL;
    *out = v;
    return p + 1;
}

static const char *field_u64(const char *p, const char *end, uint64_t max,
                             uint64_t *out)
{
    bool neg;

    return field_num(p, end, false, max, &neg, out);
}

static const char *field_i64(const char *p, const char *end, int64_t *out)
{
    uint64_t v = 0;
    bool neg = false;

    p = field_num(p, end, true, (uint64_t)INT64_MAX + 1, &neg, &v);
    if (p == NULL || (!neg && v > (uint64_t)INT64_MAX))
        return NULL;
    /* -(v - 1) - 1: INT64_MIN too, without overflow */
    *out = !neg ? (int64_t)v : v == 0 ? 0 : -(int64_t)(v - 1) - 1;
    return p;
}

/* Whether @p key (@p klen bytes) is the manifest key of @p path. */
static bool manifest_key_of(const char *key, size_t klen, const char *path,
                            size_t plen)
{
    char hex[33];

    if (klen == 0 || key[0] != DP_PREFIX_MANIFEST)
        return false;
    if (plen <= DP_MAX_KEY_PATH)
        return klen == plen + 1 && memcmp(key + 1, path, plen) == 0;
    if (klen != 34 || key[1] != '/')
        return false;
    dp_index_hash_text(path, plen, hex);
    return memcmp(key + 2, hex, 32) == 0;
}

/* Parse the value @p s (@p len bytes) of manifest key @p key.  A relpath
 * may hold spaces and digits, so an entry without the stat fields
 * ("... META_HASH 1 2 3 a.txt", relpath "1 2 3 a.txt") could read as one
 * with them (relpath "a.txt"): the key decides, since it names the
 * relpath.  An entry without them gets ctime_ns 0 (unknown).  *relpath
 * points into @p s, which ends at s[len]. */
static int manifest_parse(const char *s, size_t len, const char *key,
                          size_t klen, dp_manifest_entry *e,
                          const char **relpath)
{
    const char *end = s + len, *p = s, *rest = NULL;
    uint64_t passages = 0, ino = 0, dev = 0;
    int64_t ctime_ns = 0;

    memset(e, 0, sizeof *e);
    if (memchr(s, '\0', len) != NULL)
        return DP_ECORRUPT;
    if ((p = field_hex(p, end, 32, e->hash)) == NULL ||
        (p = field_u64(p, end, UINT64_MAX, &e->size)) == NULL ||
        (p = field_i64(p, end, &e->mtime_ns)) == NULL ||
        (p = field_u64(p, end, UINT32_MAX, &passages)) == NULL ||
        (p = field_u64(p, end, UINT64_MAX, &e->words)) == NULL ||
        (p = field_hex(p, end, 16, e->meta_hash)) == NULL)
        return DP_ECORRUPT;
    e->passages = (uint32_t)passages;
    if ((rest = field_i64(p, end, &ctime_ns)) != NULL &&
        (rest = field_u64(rest, end, UINT64_MAX, &ino)) != NULL &&
        (rest = field_u64(rest, end, UINT64_MAX, &dev)) != NULL &&
        manifest_key_of(key, klen, rest, (size_t)(end - rest))) {
        e->ctime_ns = ctime_ns;
        e->ino = ino;
        e->dev = dev;
        *relpath = rest;
        return DP_OK;
    }
    if (!manifest_key_of(key, klen, p, (size_t)(end - p)))
        return DP_ECORRUPT;
    *relpath = p; /* written before the stat fields: ctime_ns 0 */
    return DP_OK;
}

/* @p ts in nanoseconds since the epoch, saturated past the years 1677
 * and 2262 (touch -d can set an mtime there). */
static int64_t time_ns(struct timespec ts)
{
    if (ts.tv_sec >= INT64_MAX / 1000000000LL)
        return INT64_MAX;
    if (ts.tv_sec <= INT64_MIN / 1000000000LL)
        return INT64_MIN;
    return (int64_t)ts.tv_sec * 1000000000LL + (int64_t)ts.tv_nsec;
}

void dp_index_manifest_fill_stat(dp_manifest_entry *e, const struct stat *st,
                                 int64_t now_ns)
{
    int64_t ctime_ns = time_ns(st->st_ctim);

    e->size = (uint64_t)st->st_size;
    e->mtime_ns = time_ns(st->st_mtim);
    e->ino = (uint64_t)st->st_ino;
    e->dev = (uint64_t)st->st_dev;
    /* Racy: a write after now could leave every field as it is (the same
     * timestamp tick, the same size, in place).  Record no ctime, so that
     * the next run reads the file; by then it is old enough. */
    e->ctime_ns = ctime_ns > now_ns - DP_RACY_NS ? 0 : ctime_ns;
}

bool dp_index_manifest_stat_same(const dp_manifest_entry *old,
                                 const dp_manifest_entry *cur)
{
    return old->ctime_ns != 0 && old->ctime_ns == cur->ctime_ns &&
           old->mtime_ns == cur->mtime_ns && old->size == cur->size &&
           old->ino == cur->ino && old->dev == cur->dev;
}

int dp_index_manifest_set(dp_index *idx, const char *relpath,
                          const dp_manifest_entry *e, dp_error *err)
{
    int rc;

    dp_buf_reset(&idx->key);
    rc = dp_index_path_key(DP_PREFIX_MANIFEST, relpath, strlen(relpath),
                           &idx->key);
    if (rc == 0)
        rc = manifest_format(&idx->val, relpath, e);
    if (rc < 0)
        return dp_error_set(err, rc, "manifest: %s", dp_status_str(rc));
    return xshim_db_set_metadata(shard_of(idx, relpath),
                                 dp_buf_cstr(&idx->key), idx->val.data,
                                 idx->val.len, err);
}

int dp_index_manifest_get(dp_index *idx, const char *relpath,
                          dp_manifest_entry *out, dp_error *err)
{
    const char *stored = NULL;
    int rc;

    dp_buf_reset(&idx->key);
    dp_buf_reset(&idx->val);
    rc = dp_index_path_key(DP_PREFIX_MANIFEST, relpath, strlen(relpath),
                           &idx->key);
    if (rc < 0)
        return dp_error_set(err, rc, "manifest: %s", dp_status_str(rc));
    rc = xshim_db_get_metadata(shard_of(idx, relpath),
                               dp_buf_cstr(&idx->key), &idx->val, err);
    if (rc < 0)
        return rc;
    if (idx->val.len == 0)
        return DP_ENOTFOUND;
    if (manifest_parse(dp_buf_cstr(&idx->val), idx->val.len,
                       dp_buf_cstr(&idx->key), idx->key.len, out,
                       &stored) < 0 ||
        strcmp(stored, relpath) != 0)
        return DP_ENOTFOUND; /* hash collision of a long path: not ours */
    return DP_OK;
}

typedef struct each_ctx {
    dp_index *idx;
    xshim_db *db;         /* the shard whose keys are listed */
    dp_manifest_cb cb;
    void *ctx;
    dp_buf val;
    dp_error *err;
} each_ctx;

static int manifest_key_cb(const char *key, size_t len, void *vctx)
{
    each_ctx *c = vctx;
    dp_manifest_entry e;
    const char *relpath = NULL;
    char *k = strndup(key, len);
    int rc;

    if (k == NULL)
        return dp_error_set(c->err, DP_ENOMEM, "out of memory");
    dp_buf_reset(&c->val);
    rc = xshim_db_get_metadata(c->db, k, &c->val, c->err);
    free(k);
    if (rc < 0)
        return rc;
    if (manifest_parse(dp_buf_cstr(&c->val), c->val.len, key, len, &e,
                       &relpath) < 0)
        return dp_error_set(c->err, DP_ECORRUPT,
                            "corrupt manifest entry %.*s", (int)len, key);
    return c->cb(relpath, &e, c->ctx);
}

int dp_index_manifest_each(dp_index *idx, dp_manifest_cb cb, void *ctx,
                           dp_error *err)
{
    each_ctx c = { idx, idx->db, cb, ctx, DP_BUF_INIT, err };
    char prefix[2] = { DP_PREFIX_MANIFEST, '\0' };
    int rc = DP_OK;

    if (idx->nshards == 0) /* a reader: the shim lists every shard's keys */
        rc = xshim_db_metadata_keys(idx->db, prefix, manifest_key_cb, &c,
                                    err);
    for (unsigned i = 0; i < idx->nshards && rc == 0; i++) {
        c.db = idx->shards[i];
        rc = xshim_db_metadata_keys(c.db, prefix, manifest_key_cb, &c, err);
    }
    dp_buf_release(&c.val);
    return rc;
}

/* ---- writing ------------------------------------------------------------ */

/* A passage's section is the run of headings before it (dp_passage_run()),
 * at most this many of them, the last ones. */
#define INDEX_RUN_MAX 8
#define INDEX_RUN_JOIN " \xc2\xb7 " /* " · " */

typedef struct add_ctx {
    dp_index *idx;
    dp_analyzer *an;
    dp_index_file *f;
    xshim_doc *doc;
    xshim_db *db;         /* the writer of the file's shard */
    char prefix;          /* term prefix of the field being analysed */
    bool name_title;      /* the title is the file's name: its words are
                             for title: only, not context for ranking */
    bool title_context;   /* the passage's title words give U terms (not
                             when they are the file's name, nor when the
                             section, which gives them, is the title) */
    uint32_t last_pos;    /* position of its last word */
    uint32_t passages;
    uint64_t words;       /* body words of the file */
    dp_text_format fmt;   /* how the file marks its headings */
    /* The headings of the passage's section run (make_record()), and
     * their text joined with " · " when there are several. */
    size_t run_start[INDEX_RUN_MAX], run_end[INDEX_RUN_MAX], nrun;
    dp_buf section;
    /* The file's passages, split once (number_file()), and its own
     * numbering: whether it numbers its paragraphs, and the paragraph of
     * each passage. */
    dp_passage *units;
    uint32_t *paragraphs;
    size_t nunits;
    bool numbered;
    dp_error *err;
} add_ctx;

/* The term @p prefix + @p s, without positions, wdf 1. */
static int add_wdf_term(add_ctx *c, char prefix, const char *s, size_t len)
{
    dp_buf *t = &c->idx->term;
    int rc;

    dp_buf_reset(t);
    rc = dp_buf_addc(t, prefix);
    if (rc == 0)
        rc = dp_buf_add(t, s, len);
    if (rc < 0)
        return dp_error_set(c->err, rc, "term: %s", dp_status_str(rc));
    return xshim_doc_add_term(c->doc, t->data, t->len, 1, c->err);
}

static int field_token_cb(const dp_token *tok, void *vctx)
{
    add_ctx *c = vctx;
    dp_buf *t = &c->idx->term;
    char stem_prefix;
    int rc;

    dp_buf_reset(t);
    if (c->prefix != '\0') {
        rc = dp_buf_addc(t, c->prefix);
        if (rc < 0)
            return dp_error_set(c->err, rc, "term: %s", dp_status_str(rc));
    }
    rc = dp_buf_add(t, tok->norm, tok->norm_len);
    if (rc < 0)
        return dp_error_set(c->err, rc, "term: %s", dp_status_str(rc));
    c->last_pos = tok->pos;
    if (c->prefix == '\0')
        c->words++;
    /* Section and title words get wdf 0: they filter (section:, title:)
     * without lengthening the passage for BM25. */
    rc = xshim_doc_add_posting(c->doc, t->data, t->len, tok->pos,
                               c->prefix != '\0' ? 0 : 1, c->err);
    if (rc < 0 || tok->stem_len == 0 ||
        (c->prefix == DP_PREFIX_TITLE && !c->title_context))
        return rc;
    /* Body words rank through their stems (both, when the accents make
     * two) and, weighted lower, their truncation; title and section words
     * through the context stems, weighted lower at query time. */
    stem_prefix = c->prefix != '\0' ? DP_PREFIX_CONTEXT : DP_PREFIX_STEM;
    rc = add_wdf_term(c, stem_prefix, tok->stem, tok->stem_len);
    if (rc == 0 && tok->alt_len > 0)
        rc = add_wdf_term(c, stem_prefix, tok->alt, tok->alt_len);
    if (rc == 0 && c->prefix == '\0' && dp_analyzer_truncates(tok->flags))
        rc = add_wdf_term(c, DP_PREFIX_TRUNC, tok->norm,
                          dp_analyzer_trunc_len(tok->norm, tok->norm_len));
    return rc;
}

/* Analyse the field @p prefix's text from word position @p first_pos. */
static int add_field_at(add_ctx *c, char prefix, const char *text,
                        size_t len, uint32_t first_pos)
{
    c->prefix = prefix;
    return dp_analyzer_run(c->an, text, len, first_pos, field_token_cb, c,
                           c->err);
}

static int add_field(add_ctx *c, char prefix, const char *text, size_t len)
{
    return add_field_at(c, prefix, text, len, 1);
}

/* 1-based byte column of @p off in its line. */
static uint32_t line_col(const char *text, size_t off)
{
    size_t i = off;

    while (i > 0 && text[i - 1] != '\n' && text[i - 1] != '\r')
        i--;
    return (uint32_t)(off - i + 1);
}

/* ---- a changed file, passage by passage --------------------------------
 *
 * The terms and values of a passage derive from its text, section and
 * title (its "content") and from its relpath and number; its record holds
 * all of these.  So when a file the index has changed:
 * - a passage whose encoded record equals the stored one of the same
 *   number is left as it is (it is only counted);
 * - a passage whose content equals that of a stored passage of the file
 *   that no other passage took (it moved: a paragraph was inserted or
 *   removed above it, or lines above it changed) replaces that document,
 *   and Xapian, comparing the old and new term lists, updates only the
 *   postings that differ (the Q term when its number changed; it still
 *   rewrites the positions, the term list and the values);
 * - any other passage replaces the stored passage of the same number if
 *   that one is free, else is added;
 * - the stored passages no passage took are deleted.
 * Records and contents are compared by their XXH3-128 hashes. */

typedef struct old_passage {
    uint32_t docid, ordinal;
    XXH128_hash_t record, content;
    bool taken;
} old_passage;

typedef struct new_passage {
    dp_passage p;
    XXH128_hash_t record, content;
    uint32_t target;      /* document to replace; 0: add */
    bool keep;            /* stored exactly so: left as it is */
} new_passage;

typedef struct plan {
    old_passage *old;     /* sorted by content hash, then number */
    old_passage **byord;  /* the same, sorted by number */
    size_t nold;
    new_passage *neu;     /* in text order */
    size_t nnew, capnew;
} plan;

static XXH128_hash_t content_hash(const dp_record *r)
{
    XXH3_state_t st;
    uint64_t lens[3] = { r->text_len, r->section_len, r->title_len };

    XXH3_128bits_reset(&st);
    XXH3_128bits_update(&st, lens, sizeof lens);
    XXH3_128bits_update(&st, r->text, r->text_len);
    XXH3_128bits_update(&st, r->section, r->section_len);
    XXH3_128bits_update(&st, r->title, r->title_len);
    return XXH3_128bits_digest(&st);
}

static int cmp_hash(XXH128_hash_t a, XXH128_hash_t b)
{
    if (a.high64 != b.high64)
        return a.high64 < b.high64 ? -1 : 1;
    if (a.low64 != b.low64)
        return a.low64 < b.low64 ? -1 : 1;
    return 0;
}

static int cmp_old_content(const void *a, const void *b)
{
    const old_passage *x = a, *y = b;
    int c = cmp_hash(x->content, y->content);

    return c ? c : (x->ordinal > y->ordinal) - (x->ordinal < y->ordinal);
}

typedef struct collect_ctx {
    add_ctx *c;
    plan *pl;
    dp_buf storage;
    int rc;
} collect_ctx;

static int old_cb(uint32_t docid, void *vctx)
{
    collect_ctx *k = vctx;
    plan *pl = k->pl;
    dp_record rec;
    old_passage *o;

    if (pl->nold % 64 == 0) {
        o = realloc(pl->old, (pl->nold + 64) * sizeof *o);
        if (o == NULL) {
            k->rc = DP_ENOMEM;
            return 1;
        }
        pl->old = o;
    }
    dp_buf_reset(&k->storage);
    k->rc = xshim_db_get_data(k->c->db, docid, &k->storage, k->c->err);
    if (k->rc < 0)
        return 1;
    o = &pl->old[pl->nold++];
    memset(o, 0, sizeof *o);
    o->docid = docid;
    o->record = XXH3_128bits(k->storage.data, k->storage.len);
    /* An undecodable record matches nothing: it will be replaced or
     * deleted. */
    if (dp_record_decode(k->storage.data, k->storage.len, &rec) == DP_OK) {
        o->ordinal = rec.ordinal;
        o->content = content_hash(&rec);
    }
    return 0;
}

static int new_cb(const dp_passage *p, void *vctx)
{
    plan *pl = vctx;

    if (p->kind != DP_UNIT_PASSAGE)
        return 0;
    if (pl->nnew == pl->capnew) {
        size_t cap = pl->capnew ? 2 * pl->capnew : 64;
        new_passage *n = realloc(pl->neu, cap * sizeof *n);
        if (n == NULL)
            return DP_ENOMEM;
        pl->neu = n;
        pl->capnew = cap;
    }
    memset(&pl->neu[pl->nnew], 0, sizeof pl->neu[pl->nnew]);
    pl->neu[pl->nnew++].p = *p;
    return 0;
}

static int cmp_old_ordinal(const void *a, const void *b)
{
    const old_passage *x = *(old_passage *const *)a;
    const old_passage *y = *(old_passage *const *)b;

    return (x->ordinal > y->ordinal) - (x->ordinal < y->ordinal);
}

/* The stored passage number @p ordinal, if no passage took it. */
static old_passage *by_ordinal(plan *pl, uint32_t ordinal)
{
    size_t lo = 0, hi = pl->nold;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pl->byord[mid]->ordinal < ordinal)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < pl->nold && pl->byord[lo]->ordinal == ordinal; lo++)
        if (!pl->byord[lo]->taken)
            return pl->byord[lo];
    return NULL;
}

/* A stored passage of content @p h that no passage took. */
static old_passage *by_content(plan *pl, XXH128_hash_t h)
{
    size_t lo = 0, hi = pl->nold;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_hash(pl->old[mid].content, h) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < pl->nold && cmp_hash(pl->old[lo].content, h) == 0; lo++)
        if (!pl->old[lo].taken)
            return &pl->old[lo];
    return NULL;
}

static void plan_release(plan *pl)
{
    free(pl->byord);
    free(pl->old);
    free(pl->neu);
}

/* The record of passage @p p of c->f, into @p rec (pointing into the
 * file's text). */
static int make_record(add_ctx *c, const dp_passage *p, dp_record *rec);

/* Decide what becomes of each passage of the changed file c->f (see
 * above); the passages themselves are then written by add_passage(). */
static int plan_file(add_ctx *c, plan *pl)
{
    dp_index *idx = c->idx;
    collect_ctx k = { c, pl, DP_BUF_INIT, DP_OK };
    int rc;

    dp_buf_reset(&idx->term);
    rc = dp_index_path_key(DP_PREFIX_FILE, c->f->relpath,
                           strlen(c->f->relpath), &idx->term);
    if (rc < 0)
        return dp_error_set(c->err, rc, "file term: %s", dp_status_str(rc));
    rc = xshim_db_postlist(c->db, idx->term.data, idx->term.len, old_cb, &k,
                           c->err);
    dp_buf_release(&k.storage);
    if (rc == 0)
        rc = k.rc;
    if (rc == DP_ENOMEM)
        return dp_error_set(c->err, rc, "out of memory");
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < c->nunits; i++) {
        rc = new_cb(&c->units[i], pl);
        if (rc < 0)
            return dp_error_set(c->err, rc, "out of memory");
    }
    qsort(pl->old, pl->nold, sizeof *pl->old, cmp_old_content);
    pl->byord = calloc(pl->nold ? pl->nold : 1, sizeof *pl->byord);
    if (pl->byord == NULL)
        return dp_error_set(c->err, DP_ENOMEM, "out of memory");
    for (size_t j = 0; j < pl->nold; j++)
        pl->byord[j] = &pl->old[j];
    qsort(pl->byord, pl->nold, sizeof *pl->byord, cmp_old_ordinal);
    for (size_t i = 0; i < pl->nnew; i++) {
        new_passage *n = &pl->neu[i];
        dp_record rec;

        rc = make_record(c, &n->p, &rec);
        if (rc < 0)
            return rc;
        dp_buf_reset(&idx->rec);
        rc = dp_record_encode(&rec, &idx->rec);
        if (rc < 0)
            return dp_error_set(c->err, rc, "record: %s", dp_status_str(rc));
        n->record = XXH3_128bits(idx->rec.data, idx->rec.len);
        n->content = content_hash(&rec);
    }
    /* Unchanged passages first, then moved ones, then by number. */
    for (size_t i = 0; i < pl->nnew; i++) {
        new_passage *n = &pl->neu[i];
        old_passage *o = by_ordinal(pl, n->p.ordinal);

        if (o != NULL && cmp_hash(o->record, n->record) == 0) {
            o->taken = true;
            n->keep = true;
        }
    }
    for (size_t i = 0; i < pl->nnew; i++) {
        new_passage *n = &pl->neu[i];
        old_passage *o = n->keep ? NULL : by_content(pl, n->content);

        if (o != NULL) {
            o->taken = true;
            n->target = o->docid;
        }
    }
    for (size_t i = 0; i < pl->nnew; i++) {
        new_passage *n = &pl->neu[i];
        old_passage *o = n->keep || n->target ? NULL
                                              : by_ordinal(pl, n->p.ordinal);

        if (o != NULL) {
            o->taken = true;
            n->target = o->docid;
        }
    }
    return DP_OK;
}

static int make_record(add_ctx *c, const dp_passage *p, dp_record *rec)
{
    dp_index_file *f = c->f;
    const char *title = f->title ? f->title : "";

    memset(rec, 0, sizeof *rec);
    rec->relpath = f->relpath;
    rec->relpath_len = strlen(f->relpath);
    rec->ordinal = p->ordinal;
    rec->line = p->line;
    rec->line_end = p->line_end;
    rec->col = line_col(f->text, p->start);
    /* Bytes of the file, not of its text (see dp_offmap).  The column
     * needs no map: only white space comes before a unit in its line. */
    rec->byte_start = dp_offmap_lookup(f->offmap, p->start);
    rec->byte_end = dp_offmap_lookup(f->offmap, p->end);
    rec->section = f->text + p->sec_start;
    rec->section_len = p->sec_end - p->sec_start;
    /* A run of headings ("TITRE II", "DISPOSITIONS GÉNÉRALES", "Article
     * 8") is the section as a whole: none of its words is lost. */
    c->nrun = dp_passage_run(f->text, p, c->fmt, c->run_start, c->run_end,
                             INDEX_RUN_MAX);
    if (c->nrun > 1) {
        dp_buf_reset(&c->section);
        for (size_t i = 0; i < c->nrun; i++) {
            if ((i > 0 && dp_buf_adds(&c->section, INDEX_RUN_JOIN) < 0) ||
                dp_buf_add(&c->section, f->text + c->run_start[i],
                           c->run_end[i] - c->run_start[i]) < 0)
                return dp_error_set(c->err, DP_ENOMEM, "out of memory");
        }
        rec->section = c->section.data;
        rec->section_len = c->section.len;
    }
    rec->title = title;
    rec->title_len = strlen(title);
    rec->date = f->date ? f->date : "";
    rec->date_len = strlen(rec->date);
    rec->source = f->source ? f->source : "";
    rec->source_len = strlen(rec->source);
    rec->text = f->text + p->start;
    rec->text_len = p->end - p->start;
    rec->numbered = c->numbered;
    if (c->numbered && p->ordinal >= 1 && p->ordinal <= c->nunits)
        rec->paragraph = c->paragraphs[p->ordinal - 1];
    return DP_OK;
}

static bool skip_all(const char *head, size_t len, void *ctx)
{
    (void)head;
    (void)len;
    (void)ctx;
    return false;
}

static int count_cb(const dp_token *tok, void *vctx)
{
    (void)tok;
    ((add_ctx *)vctx)->words++;
    return 0;
}

/* The values of passage @p ordinal of c->f, into c->doc. */
static int set_values(add_ctx *c, uint32_t ordinal)
{
    dp_index *idx = c->idx;
    const char *relpath = c->f->relpath;
    size_t rlen = strlen(relpath);
    unsigned char ord[4];
    int rc = xshim_doc_set_value(c->doc, DP_SLOT_FILE, relpath, rlen, c->err);

    if (rc < 0)
        return rc;
    ord[0] = (unsigned char)(ordinal >> 24);
    ord[1] = (unsigned char)(ordinal >> 16);
    ord[2] = (unsigned char)(ordinal >> 8);
    ord[3] = (unsigned char)ordinal;
    rc = xshim_doc_set_value(c->doc, DP_SLOT_ORDINAL, (const char *)ord, 4,
                             c->err);
    if (rc < 0)
        return rc;
    if (dp_index_order_key(&idx->val, relpath, rlen, ordinal) < 0)
        return dp_error_set(c->err, DP_ENOMEM, "out of memory");
    return xshim_doc_set_value(c->doc, DP_SLOT_ORDER, idx->val.data,
                               idx->val.len, c->err);
}

/* Write passage @p p of c->f: added, or as planned by @p n (NULL for a
 * new file). */
static int add_passage(add_ctx *c, const dp_passage *p, const new_passage *n)
{
    dp_index *idx = c->idx;
    dp_index_file *f = c->f;
    size_t rlen = strlen(f->relpath);
    dp_record rec;
    int rc;

    rc = make_record(c, p, &rec);
    if (rc < 0)
        return rc;
    if (n != NULL && n->keep) {
        /* Left as it is: only its words are counted (all of them, as the
         * analysis below counts them, skipping the work). */
        dp_token_filter none = { NULL, skip_all, NULL };
        rc = dp_analyzer_run_filtered(c->an, rec.text, rec.text_len, 1,
                                      &none, count_cb, c, c->err);
        if (rc == 0)
            c->passages++;
        return rc;
    }
    dp_buf_reset(&idx->rec);
    rc = dp_record_encode(&rec, &idx->rec);
    if (rc < 0)
        return dp_error_set(c->err, rc, "record: %s", dp_status_str(rc));
    rc = dp_index_id_term(&idx->id, f->relpath, rlen, p->ordinal);
    if (rc < 0)
        return dp_error_set(c->err, rc, "id term: %s", dp_status_str(rc));

    rc = add_field(c, '\0', rec.text, rec.text_len);
    if (rc < 0)
        return rc;
    if (c->nrun > 1) {
        /* each heading of the run on its own, a position apart, so that
         * no phrase runs from one into the next */
        uint32_t pos = 1;

        for (size_t i = 0; i < c->nrun && rc == 0; i++) {
            c->last_pos = pos - 1;
            rc = add_field_at(c, DP_PREFIX_SECTION, f->text + c->run_start[i],
                              c->run_end[i] - c->run_start[i], pos);
            pos = c->last_pos + 2;
        }
    } else {
        rc = add_field(c, DP_PREFIX_SECTION, rec.section, rec.section_len);
    }
    if (rc < 0)
        return rc;
    /* A file whose first heading is its title has that heading as the
     * section of its first passages: its words count once as context. */
    c->title_context = !c->name_title &&
                       !(c->nrun <= 1 && rec.section_len == rec.title_len &&
                         memcmp(rec.section, rec.title, rec.title_len) == 0);
    rc = add_field(c, DP_PREFIX_TITLE, rec.title, rec.title_len);
    if (rc < 0)
        return rc;
    rc = xshim_doc_add_term(c->doc, idx->id.data, idx->id.len, 0, c->err);
    if (rc < 0)
        return rc;
    dp_buf_reset(&idx->term);
    rc = dp_index_path_key(DP_PREFIX_FILE, f->relpath, rlen, &idx->term);
    if (rc < 0)
        return dp_error_set(c->err, rc, "file term: %s", dp_status_str(rc));
    rc = xshim_doc_add_term(c->doc, idx->term.data, idx->term.len, 0, c->err);
    if (rc < 0)
        return rc;
    rc = set_values(c, p->ordinal);
    if (rc < 0)
        return rc;
    rc = xshim_doc_set_data(c->doc, idx->rec.data, idx->rec.len, c->err);
    if (rc < 0)
        return rc;
    /* Xapian compares the replaced document's term list with this one's
     * and updates only the postings that differ. */
    rc = n != NULL && n->target != 0
             ? xshim_db_replace_doc(c->db, n->target, c->doc, c->err)
             : xshim_db_add_doc(c->db, c->doc, c->err);
    if (rc == 0)
        c->passages++;
    return rc;
}

/* Title fallback: the first heading of the file, else its base name. */
typedef struct first_heading {
    size_t start, end;
    bool found;
} first_heading;

static int first_heading_cb(const dp_passage *p, void *vctx)
{
    first_heading *h = vctx;

    if (p->kind != DP_UNIT_HEADING)
        return 0;
    h->start = p->start;
    h->end = p->end;
    h->found = true;
    return 1; /* stop: only the first one is wanted */
}

/* c->f's passages and the numbers they open with, gathered before any
 * is written (whether the file numbers its paragraphs depends on them
 * all). */
static int number_cb(const dp_passage *p, void *vctx)
{
    add_ctx *c = vctx;

    if (p->kind != DP_UNIT_PASSAGE)
        return 0;
    if (c->nunits % 64 == 0) {
        dp_passage *u = realloc(c->units, (c->nunits + 64) * sizeof *u);
        uint32_t *a;
        if (u == NULL)
            return DP_ENOMEM;
        c->units = u;
        a = realloc(c->paragraphs, (c->nunits + 64) * sizeof *a);
        if (a == NULL)
            return DP_ENOMEM;
        c->paragraphs = a;
    }
    c->units[c->nunits] = *p;
    c->paragraphs[c->nunits++] =
        dp_passage_number(c->f->text + p->start, p->end - p->start);
    return 0;
}

/* Split c->f into its passages, and number them as the file numbers its
 * paragraphs, if it does: each passage is part of the last numbered one
 * at or before it. */
static int number_file(add_ctx *c)
{
    uint32_t cur = 0;
    int rc = dp_passage_split_as(c->f->text, c->f->len, c->fmt, number_cb,
                                 c, c->err);

    if (rc == DP_ENOMEM)
        return dp_error_set(c->err, rc, "out of memory");
    if (rc < 0)
        return rc;
    c->numbered = dp_passage_numbered(c->paragraphs, c->nunits);
    for (size_t i = 0; c->numbered && i < c->nunits; i++) {
        if (c->paragraphs[i] != 0)
            cur = c->paragraphs[i];
        c->paragraphs[i] = cur;
    }
    return DP_OK;
}

int dp_index_remove_file(dp_index *idx, const char *relpath, dp_error *err)
{
    size_t rlen = strlen(relpath);
    int rc;

    dp_buf_reset(&idx->term);
    rc = dp_index_path_key(DP_PREFIX_FILE, relpath, rlen, &idx->term);
    if (rc < 0)
        return dp_error_set(err, rc, "file term: %s", dp_status_str(rc));
    rc = xshim_db_delete_term(shard_of(idx, relpath), idx->term.data,
                              idx->term.len, err);
    if (rc < 0)
        return rc;
    dp_buf_reset(&idx->key);
    rc = dp_index_path_key(DP_PREFIX_MANIFEST, relpath, rlen, &idx->key);
    if (rc < 0)
        return dp_error_set(err, rc, "manifest: %s", dp_status_str(rc));
    /* Setting a metadata key to "" deletes it. */
    return xshim_db_set_metadata(shard_of(idx, relpath),
                                 dp_buf_cstr(&idx->key), "", 0, err);
}

/* The front-matter value [start, end) of @p text into a new string at
 * *out, left NULL when it is empty.  @return DP_OK or DP_ENOMEM. */
static int meta_value(const char *text, size_t start, size_t end, char **out,
                      dp_error *err)
{
    *out = NULL;
    if (end <= start)
        return DP_OK;
    *out = malloc(end - start + 1);
    if (*out == NULL)
        return dp_error_set(err, DP_ENOMEM, "out of memory");
    if (dp_passage_meta_value(text, start, end, *out) == 0) {
        free(*out);
        *out = NULL;
    }
    return DP_OK;
}

int dp_index_add_file(dp_index *idx, dp_analyzer *an, dp_index_file *f,
                      dp_error *err)
{
    add_ctx c;
    dp_manifest_entry old;
    plan pl;
    bool update = false;
    first_heading fh = { 0, 0, false };
    const char *title = f->title, *date = f->date;
    bool no_title = title == NULL || title[0] == '\0';
    char *fallback = NULL, *fm_date = NULL;
    dp_front_matter fm;
    int rc;

    memset(&c, 0, sizeof c);
    memset(&pl, 0, sizeof pl);
    c.idx = idx;
    c.an = an;
    c.f = f;
    c.fmt = dp_passage_format_of(f->relpath);
    c.db = shard_of(idx, f->relpath);
    c.err = err;
    /* A file indexed before is updated passage by passage (most edits
     * leave most passages as they were); a new one starts clean. */
    rc = dp_index_manifest_get(idx, f->relpath, &old, err);
    if (rc < 0 && rc != DP_ENOTFOUND)
        goto done;
    update = rc == DP_OK;
    rc = update ? DP_OK : dp_index_remove_file(idx, f->relpath, err);
    if (rc < 0)
        goto done;
    /* What the catalogue does not give, a Markdown file's front matter
     * may ("title:", "date:"). */
    if (dp_passage_front_matter(f->text, f->len, c.fmt, &fm)) {
        if (no_title) {
            rc = meta_value(f->text, fm.title_start, fm.title_end,
                            &fallback, err);
            if (rc < 0)
                goto done;
        }
        if (date == NULL || date[0] == '\0') {
            rc = meta_value(f->text, fm.date_start, fm.date_end, &fm_date,
                            err);
            if (rc < 0)
                goto done;
            if (fm_date != NULL)
                f->date = fm_date;
        }
    }
    if (no_title && fallback == NULL) {
        const char *base = strrchr(f->relpath, '/');
        rc = dp_passage_split_as(f->text, f->len, c.fmt, first_heading_cb,
                                 &fh, err);
        if (rc < 0)
            goto done;
        fallback = fh.found ? strndup(f->text + fh.start, fh.end - fh.start)
                            : strdup(base ? base + 1 : f->relpath);
        /* A file name ("ep-00-04-12-s020.txt") says nothing of the text:
         * its words would rank the file's passages for "12" or "txt". */
        c.name_title = !fh.found;
        if (fallback == NULL) {
            rc = dp_error_set(err, DP_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (fallback != NULL)
        f->title = fallback;
    rc = number_file(&c);
    if (rc < 0)
        goto done;
    if (update) {
        rc = plan_file(&c, &pl);
        if (rc < 0)
            goto done;
    }
    rc = xshim_doc_new(&c.doc, err);
    if (rc < 0)
        goto done;
    /* A changed file's passages as planned; a new file's as split. */
    if (update) {
        for (size_t i = 0; i < pl.nnew && rc == 0; i++)
            rc = add_passage(&c, &pl.neu[i].p, &pl.neu[i]);
    } else {
        for (size_t i = 0; i < c.nunits && rc == 0; i++)
            rc = add_passage(&c, &c.units[i], NULL);
    }
    if (rc < 0)
        goto done;
    /* The stored passages no passage took are gone from the file. */
    for (size_t j = 0; update && j < pl.nold; j++) {
        if (pl.old[j].taken)
            continue;
        rc = xshim_db_delete_doc(c.db, pl.old[j].docid, err);
        if (rc < 0)
            goto done;
    }
    f->manifest.passages = c.passages;
    f->manifest.words = c.words;
    rc = dp_index_manifest_set(idx, f->relpath, &f->manifest, err);
done:
    f->title = title;
    f->date = date;
    free(fallback);
    free(fm_date);
    xshim_doc_free(c.doc);
    dp_buf_release(&c.section);
    free(c.units);
    free(c.paragraphs);
    plan_release(&pl);
    return rc;
}

int dp_index_merge(const char *const *srcs, size_t n, const char *dst,
                   dp_error *err)
{
    return xshim_compact(srcs, n, dst, err);
}

/* ---- reading ------------------------------------------------------------ */

typedef struct first_ctx {
    uint32_t docid;
} first_ctx;

static int first_docid_cb(uint32_t docid, void *vctx)
{
    ((first_ctx *)vctx)->docid = docid;
    return 1;
}

int dp_index_passage_docid(dp_index *idx, const char *relpath, size_t rlen,
                           uint32_t ordinal, uint32_t *docid, dp_error *err)
{
    first_ctx fc = { 0 };
    int rc = dp_index_id_term(&idx->term, relpath, rlen, ordinal);

    *docid = 0;
    if (rc < 0)
        return dp_error_set(err, rc, "id term: %s", dp_status_str(rc));
    rc = xshim_db_postlist(idx->db, idx->term.data, idx->term.len,
                           first_docid_cb, &fc, err);
    if (rc < 0)
        return rc;
    if (fc.docid == 0)
        return DP_ENOTFOUND;
    *docid = fc.docid;
    return DP_OK;
}

int dp_index_get_passage(dp_index *idx, const char *relpath, size_t rlen,
                         uint32_t ordinal, dp_record *rec, dp_buf *storage,
                         dp_error *err)
{
    first_ctx fc = { 0 };
    int rc = dp_index_passage_docid(idx, relpath, rlen, ordinal, &fc.docid,
                                    err);

    dp_buf_reset(storage);
    if (rc < 0)
        return rc;
    rc = xshim_db_get_data(idx->db, fc.docid, storage, err);
    if (rc < 0)
        return rc;
    if (dp_record_decode(storage->data, storage->len, rec) < 0)
        return dp_error_set(err, DP_ECORRUPT,
                            "corrupt data record of document %" PRIu32,
                            fc.docid);
    return DP_OK;
}

static int count_file_cb(const char *relpath, const dp_manifest_entry *e,
                         void *ctx)
{
    uint64_t *files_words = ctx;

    (void)relpath;
    files_words[0]++;
    files_words[1] += e->words;
    return 0;
}

/* Sum the sizes of the files of @p dir: a glass database is a flat
 * folder, a sharded index a folder of them (@p depth 1).  Remote shards
 * are not counted. */
static uint64_t dir_bytes(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    struct stat sb;
    uint64_t total = 0;
    char path[4096];

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &sb) != 0)
            continue;
        if (S_ISREG(sb.st_mode))
            total += (uint64_t)sb.st_size;
        else if (S_ISDIR(sb.st_mode) && depth > 0)
            total += dir_bytes(path, depth - 1);
    }
    closedir(d);
    return total;
}

int dp_index_stats_get(dp_index *idx, dp_index_stats *out, dp_error *err)
{
    xshim_stats st;
    uint64_t files_words[2] = { 0, 0 };  /* files, words */
    int rc = xshim_db_stats(idx->db, &st, err);

    memset(out, 0, sizeof *out);
    if (rc < 0)
        return rc;

    out->passages = st.doccount;
    rc = dp_index_manifest_each(idx, count_file_cb, files_words, err);
    if (rc < 0)
        return rc;
    out->files = files_words[0];
    out->avg_passage_words = st.doccount ? (double)files_words[1] /
                                               (double)st.doccount
                                         : 0;
    out->disk_bytes = dir_bytes(idx->path, 1);
    return DP_OK;
}
