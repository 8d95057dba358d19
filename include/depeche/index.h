/*
 * index.h -- the passage index on disk (a Xapian glass database).
 *
 * One Xapian document per passage.  The schema (terms, prefixes, values,
 * data record, metadata) is documented in docs/index-format.md and
 * versioned by DP_SCHEMA_VERSION: opening an index of another version
 * fails with DP_ESCHEMA and a "rebuild with depeche-index --rebuild"
 * message.
 *
 * Writers: one at a time (Xapian's lock; a second gets DP_ELOCKED).  All
 * changes since the last dp_index_commit() form one pending revision that
 * dp_index_commit() publishes atomically; closing without a commit, a
 * crash or kill -9 leaves the last committed revision as it was.  Since the
 * indexer commits only between files, readers never see half a file.
 * Readers keep working while a writer commits (they see the revision they
 * opened until they reopen).
 *
 * A dp_index is used by one thread at a time; open one per thread.
 */
#ifndef DEPECHE_INDEX_H
#define DEPECHE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "depeche/analyzer.h"
#include "depeche/buf.h"
#include "depeche/corpus.h"
#include "depeche/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DP_SCHEMA_VERSION "6"
/* Identifies the analysis pipeline; an index built by another one must be
 * rebuilt, since query terms would not match its terms. */
#define DP_ANALYZER_ID "fr5:icu-word,elision,nfkd-latin-ascii-lower,snowball-french(accented+folded),ordinals,trunc5,digit-groups,lone-elisions,zero-padded-ordinals,apostrophes7,stem-heads,quoted-elisions,superscript-ordinals,comma-clauses,two-sentences"

/* Longest relpath kept verbatim in a term or metadata key; longer ones are
 * replaced by a hash there (the data record always holds the full path). */
#define DP_MAX_KEY_PATH 180

#define DP_INDEX_READ    0u /* open an existing index for searching */
#define DP_INDEX_WRITE   1u /* create or open for incremental indexing */
#define DP_INDEX_REBUILD 2u /* create, discarding any existing contents */
#define DP_INDEX_PARTIAL 3u /* read, leaving out shards that are down */
#define DP_INDEX_LOCK    4u /* hold the write lock only (an index about to be
                               replaced): no schema check, nothing written */
/* As DP_INDEX_LOCK, for an index that must exist and is never created nor
 * overwritten (one a -j build set aside: INDEX.old, INDEX.new). */
#define DP_INDEX_LOCK_EXISTING 5u

#define DP_MAX_SHARDS 256

typedef struct dp_index dp_index;

/* What the manifest records of each indexed file.  The stat fields (size
 * to dev) are what stat() said before the file was last read: while they
 * all still hold, the file is taken as unchanged without reading it (see
 * dp_index_manifest_stat_same()). */
typedef struct dp_manifest_entry {
    char hash[33];      /* XXH3-128 of the decoded text, 32 hex digits */
    uint64_t size;      /* file size in bytes */
    int64_t mtime_ns;   /* modification time, ns since the epoch */
    int64_t ctime_ns;   /* status change time, ns since the epoch; 0:
                           unknown (an entry written before this field,
                           or a racy one), so the text must be read */
    uint64_t ino;       /* inode number */
    uint64_t dev;       /* device of the file system holding it */
    uint32_t passages;  /* passages indexed from it */
    uint64_t words;     /* words in those passages */
    char meta_hash[17]; /* XXH3-64 of its catalogue entry, 16 hex digits */
} dp_manifest_entry;

/* A file whose status changed less than this before it was looked at is
 * racy: another write in the same timestamp tick (up to 2 s: FAT), same
 * size and in place, would leave every stat field as it was.  Its entry
 * records no ctime, so the next run reads it. */
#define DP_RACY_NS 3000000000LL

/* One stored passage, as decoded from its data record.  Strings point
 * into the storage the record was decoded from. */
typedef struct dp_record {
    const char *relpath; size_t relpath_len;
    uint32_t ordinal;            /* N of RELPATH#N */
    uint32_t line, line_end;     /* 1-based lines of the passage */
    uint32_t col;                /* 1-based byte column where it starts */
    uint64_t byte_start, byte_end;
    const char *section; size_t section_len;
    const char *title; size_t title_len;
    const char *date; size_t date_len;
    const char *source; size_t source_len;
    const char *text; size_t text_len;
    /* The document's own numbering (dp_passage_numbered()): whether the
     * file numbers its paragraphs, and the number of the one this
     * passage is part of (the passage that opens with "12." and those
     * after it, up to "13."); 0 before the first number, and in a file
     * that does not number its paragraphs. */
    bool numbered;
    uint32_t paragraph;
} dp_record;

/* A file to index. */
typedef struct dp_index_file {
    const char *relpath;
    const char *text;            /* decoded UTF-8 */
    size_t len;
    const dp_offmap *offmap;     /* from dp_corpus_read_map(): where the
                                    bytes of text are in the file; NULL
                                    or empty when they are the file's */
    const char *title;           /* from the catalogue; NULL or "" if none */
    const char *date;
    const char *source;
    dp_manifest_entry manifest;  /* recorded on success (passages is set) */
} dp_index_file;

typedef struct dp_index_stats {
    uint64_t passages;
    uint64_t files;
    double avg_passage_words;    /* from the manifest's word counts */
    uint64_t disk_bytes;         /* size of the database files */
} dp_index_stats;

/**
 * Open the index at @p path (a directory, or a stub file listing shards,
 * for reading).  @p flags: DP_INDEX_READ, DP_INDEX_WRITE,
 * DP_INDEX_REBUILD, DP_INDEX_LOCK or DP_INDEX_LOCK_EXISTING (the last two
 * hold the write lock and do nothing else; an index that cannot be opened
 * is DP_ENOTFOUND, DP_ECORRUPT or DP_EXAPIAN under the latter).
 * @return DP_OK, DP_ENOTFOUND (no index there), DP_ELOCKED, DP_ESCHEMA,
 * DP_ECORRUPT, DP_EXAPIAN, DP_ENOMEM.
 */
int dp_index_open(dp_index **out, const char *path, unsigned flags,
                  dp_error *err);

/**
 * Like dp_index_open(), for an index split into @p nshards shards (writers;
 * 0: as the index already is, 1 when new).  A sharded index is a folder of
 * shard databases with a Xapian stub file XAPIANDB listing them; each file
 * goes to the shard chosen by a stable hash of its relpath.  Readers open
 * any stub (local shards, or "remote :HOST:PORT" lines served by
 * xapian-tcpsrv) as one index: BM25 statistics are combined, so scores and
 * order are those of a single index of the same texts.  A shard that
 * cannot be opened is named in the error; DP_INDEX_PARTIAL opens the
 * others (see dp_index_missing_shards()).  Changing the number of shards
 * needs DP_INDEX_REBUILD (which then starts from nothing: not atomic).
 * @return as dp_index_open(), and DP_EINVAL for a shard count mismatch.
 */
int dp_index_open_shards(dp_index **out, const char *path, unsigned flags,
                         unsigned nshards, dp_error *err);

/** Readers opened with DP_INDEX_PARTIAL: the shards left out, "" if none;
 * borrowed until dp_index_close(). */
const char *dp_index_missing_shards(const dp_index *idx);

/** The number of shards (1 for a plain index). */
unsigned dp_index_shards(const dp_index *idx);

/** Close; a writer's uncommitted changes are discarded.  NULL accepted. */
void dp_index_close(dp_index *idx);

/** Writer: publish every change since the last commit, atomically. */
int dp_index_commit(dp_index *idx, dp_error *err);

/** Reader: see the latest committed revision. */
int dp_index_reopen(dp_index *idx, dp_error *err);

/**
 * Writer: index @p f (replacing any passages of f->relpath), and record
 * its manifest entry.  @p an analyses the passages.  A file the manifest
 * already has is updated passage by passage: a passage stored exactly as
 * before is left as it is, one that moved or changed replaces its old
 * document, the old passages left over are deleted.  On return
 * f->manifest.passages holds the passage count.
 * @return DP_OK, DP_ENOMEM, DP_EXAPIAN, DP_EICU.
 */
int dp_index_add_file(dp_index *idx, dp_analyzer *an, dp_index_file *f,
                      dp_error *err);

/** Writer: delete the passages and the manifest entry of @p relpath. */
int dp_index_remove_file(dp_index *idx, const char *relpath, dp_error *err);

/** Writer: record @p e for @p relpath without reindexing (a touched but
 * unchanged file). */
int dp_index_manifest_set(dp_index *idx, const char *relpath,
                          const dp_manifest_entry *e, dp_error *err);

/**
 * Set the stat fields of @p e (size, mtime_ns, ctime_ns, ino, dev) from
 * what stat() said of the file (@p st; dp_corpus_walk() gives it) and the
 * clock (CLOCK_REALTIME) read just after it (@p now_ns, ns since the
 * epoch), to be compared with a manifest entry and then recorded.
 * ctime_ns is 0 when the file is racy: its ctime is less than DP_RACY_NS
 * before @p now_ns, or later.  Times that 64 bits of nanoseconds cannot
 * hold (before 1677, after 2262) saturate.
 */
void dp_index_manifest_fill_stat(dp_manifest_entry *e, const struct stat *st,
                                 int64_t now_ns);

/**
 * Whether a file whose stat fields are @p cur (dp_index_manifest_fill_stat())
 * is as the entry @p old recorded it: the same size, mtime, ctime, inode
 * and device, and @p old's ctime is known.  A user can set a file's mtime
 * (touch, cp --preserve, rsync -t, tar) but not its ctime, which any write
 * or rename sets to the time of the change; an editor that saves to a new
 * file and renames it changes the inode.  When this is false, read the file
 * and compare the hash of its text with @p old's.
 */
bool dp_index_manifest_stat_same(const dp_manifest_entry *old,
                                 const dp_manifest_entry *cur);

/** The manifest entry of @p relpath.  @return DP_OK or DP_ENOTFOUND. */
int dp_index_manifest_get(dp_index *idx, const char *relpath,
                          dp_manifest_entry *out, dp_error *err);

/** Call @p cb for each indexed file, in byte order of the manifest keys
 * (relpath order, except hashed long paths, which come first).
 * A non-zero @p cb result stops and is returned. */
typedef int (*dp_manifest_cb)(const char *relpath,
                              const dp_manifest_entry *e, void *ctx);
int dp_index_manifest_each(dp_index *idx, dp_manifest_cb cb, void *ctx,
                           dp_error *err);

/**
 * Fetch passage @p ordinal of @p relpath into @p rec; its strings point
 * into @p storage (reset first).  @return DP_OK or DP_ENOTFOUND.
 */
int dp_index_get_passage(dp_index *idx, const char *relpath, size_t rlen,
                         uint32_t ordinal, dp_record *rec, dp_buf *storage,
                         dp_error *err);

/** Statistics of the whole index. */
int dp_index_stats_get(dp_index *idx, dp_index_stats *out, dp_error *err);

/**
 * Merge the indexes @p srcs (plain, each of this schema, each file in one
 * of them only) into a new compact index at @p dst, which must not exist.
 * Used to build an index in parallel: parts written by separate writers,
 * then merged.  @return DP_OK, DP_EXAPIAN, DP_ENOMEM.
 */
int dp_index_merge(const char *const *srcs, size_t n, const char *dst,
                   dp_error *err);

/** The hash recorded in the manifest for @p text (32 hex digits + NUL). */
void dp_index_hash_text(const char *text, size_t len, char out[33]);
/** The hash of a catalogue entry (16 hex digits + NUL). */
void dp_index_hash_meta(const char *title, const char *date,
                        const char *source, char out[17]);

/** Decode a data record.  @return DP_OK or DP_ECORRUPT. */
int dp_record_decode(const char *data, size_t len, dp_record *rec);
/** Encode @p rec as a data record appended to @p out. */
DP_NODISCARD int dp_record_encode(const dp_record *rec, dp_buf *out);

/** Build the term or key for @p relpath with one-letter @p prefix: the
 * prefix and the path, or, past DP_MAX_KEY_PATH, the prefix, '/' and the
 * 32 hex digits of its hash (a relpath never starts with '/').  Appends
 * to @p out. */
DP_NODISCARD int dp_index_path_key(char prefix, const char *relpath,
                                   size_t len, dp_buf *out);

#ifdef __cplusplus
}
#endif
#endif
