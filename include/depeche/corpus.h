/*
 * corpus.h -- find, read and decode the files of a corpus; its catalogue.
 *
 * Walking: directories are read in sorted (byte-wise) order so that runs
 * are deterministic; hidden entries (".name") are skipped; symlinks are
 * followed once the rest of the walk is done (in the order met), so that
 * an entry reached under its own name keeps it; a directory already
 * visited (same device and inode) is not entered twice, so symlink loops
 * end, and a file already reported (same device and inode: a symbolic or
 * hard link to it) is not reported again, with a warning.  Only
 * regular files whose name ends in one of the accepted extensions
 * (".txt", ".md" by default) are reported; the catalogue
 * (DP_CATALOG_NAME) of a folder given to walk is not, whatever the
 * extensions.  Problems (unreadable directory,
 * dangling symlink, loop) are reported through the warning callback and
 * never stop the walk; a directory or entry that could not be read is
 * also reported through the "unwalked" callback, since the files under it
 * may still exist.
 *
 * Reading: dp_corpus_read() loads a file and returns valid UTF-8:
 *   - UTF-8 (with or without BOM; the BOM is kept, it is not a word);
 *   - UTF-16LE/BE with BOM (or recognised without one), transcoded;
 *   - UTF-8 with some invalid bytes: each maximal ill-formed subsequence
 *     becomes U+FFFD, with a warning naming the line and byte offset of
 *     the first one.  A file that is not valid UTF-8 is read as damaged
 *     UTF-8 when it starts with the UTF-8 BOM, or when at least a third
 *     of its non-ASCII bytes are in well-formed multi-byte sequences
 *     (2 x those bytes >= the bytes of its ill-formed subsequences);
 *   - otherwise it is in a legacy 8-bit encoding, transcoded, with a
 *     warning: Windows-1252 or ISO-8859-1 as ICU's charset detector says
 *     (ISO-8859-1 is read as its superset Windows-1252), but ISO-8859-15,
 *     which the detector never names, when the file has no byte in 80..9F
 *     and a BC or BD (Œ œ in Latin-9) between two letters; Windows-1252
 *     when the detector is unsure and the file has no well-formed
 *     multi-byte sequence or its bad bytes are mostly lone Latin-1
 *     letters, else damaged UTF-8 after all;
 *   - a few NUL bytes in a text (damage, or U+0000 from a transcoded
 *     file) each become U+FFFD, with a warning: the text holds no NUL;
 *   - binary files (more than 1 % of control characters, NUL included,
 *     in the first 64 KiB) and empty files are skipped (DP_ESKIP) with a
 *     warning;
 *   - anything but a regular file (a FIFO, a device) is refused at once
 *     (DP_EIO), never waited on.
 * The rule for damaged UTF-8: French in an 8-bit charset almost never
 * forms a well-formed multi-byte sequence by chance (none in the bundled
 * and PIAF texts re-encoded in Windows-1252, 2 of the 200,097 Europarl
 * lines with an accent), so a file with a third of its non-ASCII bytes in
 * such sequences is UTF-8, and reading it as 8-bit would turn each of
 * its good "é" into "Ã©"; a few bad bytes around one good accent (a
 * stray "\xFF\xFE") do not make it Windows-1252.
 *
 * Offsets and lines of citations refer to the file.  For a valid UTF-8
 * file without NUL bytes the decoded text is the file itself, byte for
 * byte.  For a UTF-8 file in which bytes were replaced by U+FFFD
 * (ill-formed sequences, NUL bytes) the text is longer than the file, and
 * dp_corpus_read_map() returns a dp_offmap that takes text offsets back
 * to file offsets; lines are the same in both.  For a transcoded file
 * (UTF-16, 8-bit) offsets are offsets in its UTF-8 text.
 *
 * Catalogue: CATALOG.tsv at the root of an indexed folder, columns file,
 * title, date, source (header line first), gives each file's title, date
 * and source.
 */
#ifndef DEPECHE_CORPUS_H
#define DEPECHE_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "depeche/buf.h"
#include "depeche/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Files larger than this are skipped with a warning. */
#define DP_MAX_FILE_BYTES ((size_t)512 << 20)
/* Directory nesting deeper than this is not entered. */
#define DP_MAX_WALK_DEPTH 64
/* The catalogue of a folder, at its root (see dp_catalog_load()). */
#define DP_CATALOG_NAME "CATALOG.tsv"

/** A warning about @p file (never NULL) at 1-based @p line (0: none). */
typedef void (*dp_warn_cb)(const char *file, size_t line, const char *msg,
                           void *ctx);

typedef struct dp_corpus_file {
    const char *path;     /* path to open, as built from the root */
    const char *relpath;  /* path relative to the root ('/' separated) */
    uint64_t size;        /* bytes, from stat() */
    int64_t mtime_ns;     /* modification time, nanoseconds since epoch */
    const struct stat *st;  /* the walk's stat() of the file, whole */
    int64_t stat_clock_ns;  /* CLOCK_REALTIME just after that stat(), ns
                               since the epoch (dp_index_manifest_fill_stat()) */
} dp_corpus_file;

/** Called once per accepted file, in walk order; strings are borrowed for
 * the call.  A non-zero return stops the walk and is passed back. */
typedef int (*dp_corpus_file_cb)(const dp_corpus_file *f, void *ctx);

/** Called with the relpath of a directory that could not be listed (or
 * only in part), "" for the root, or of an entry that could not be
 * stat()ed: files at or under it may exist that the walk did not report.
 * The string is borrowed for the call.  A non-zero return stops the walk
 * and is passed back. */
typedef int (*dp_corpus_unwalked_cb)(const char *relpath, void *ctx);

typedef struct dp_walk_opts {
    const char *const *exts;  /* NULL-terminated, e.g. {".txt", ".md", NULL};
                                 NULL means the default {".txt", ".md"} */
    dp_warn_cb warn;          /* may be NULL */
    void *warn_ctx;
    dp_corpus_unwalked_cb unwalked;  /* may be NULL; see above */
    void *unwalked_ctx;
    size_t *skipped;          /* may be NULL: add the files of an accepted
                                 extension that are warned about and left
                                 out (dangling links, link loops, FIFOs...) */
} dp_walk_opts;

/**
 * Walk @p root (a directory, or a single file whose relpath is then its
 * base name) and call @p cb for each accepted file.  A directory that
 * cannot be read, @p root included, is warned about and reported to
 * opts->unwalked; the walk goes on.
 * @return DP_OK, the first non-zero @p cb or opts->unwalked result,
 * DP_ENOTFOUND if @p root does not exist, DP_EIO if it cannot be
 * stat()ed, DP_ENOMEM.
 */
int dp_corpus_walk(const char *root, const dp_walk_opts *opts,
                   dp_corpus_file_cb cb, void *ctx, dp_error *err);

/*
 * Where the bytes of a decoded text are in its file: a list of segments,
 * sorted.  From text offset segs[i].text on (up to the next segment), the
 * bytes are those of the file from offset segs[i].file on, one for one;
 * before the first segment text and file offsets are equal.  A U+FFFD
 * that replaced n bytes (1 to 3) ends where a segment starts, so that
 * the text after it maps to the byte after the n bytes (one segment per
 * replacement of 1 or 2 bytes).  No segment: the text is the file.
 * Caller-owned: DP_OFFMAP_INIT, then dp_offmap_release().
 */
typedef struct dp_offmap_seg {
    size_t text;  /* offset in the decoded text */
    size_t file;  /* offset of the same byte in the file */
} dp_offmap_seg;

typedef struct dp_offmap {
    dp_offmap_seg *segs;  /* NULL when n == 0 */
    size_t n, cap;
} dp_offmap;

#define DP_OFFMAP_INIT { NULL, 0, 0 }
/* More segments than this (more than 32 Mi replacements of 1 or 2 bytes
 * in one file) fail with DP_ELIMIT: 512 MiB of map. */
#define DP_OFFMAP_MAX_SEGS ((size_t)32 << 20)

/**
 * The file offset of text offset @p off.  @p m may be NULL or empty (the
 * offset is returned as is).  An offset inside a U+FFFD maps into the
 * bytes it replaced (at most to their end), so the map is monotonic and
 * a range [start, end) of the text maps to the file bytes it came from.
 */
size_t dp_offmap_lookup(const dp_offmap *m, size_t off);

/** Free the segments; the map is empty again.  NULL is accepted. */
void dp_offmap_release(dp_offmap *m);

/**
 * Read @p path into @p text as valid UTF-8 (see above).  @p text is reset
 * first.  Warnings name @p display (the relpath) and, where it applies, the
 * line.  @return DP_OK, DP_ESKIP (binary or empty, warned), DP_EIO
 * (unreadable or not a regular file: message in @p err), DP_ELIMIT (too
 * large), DP_ENOMEM, DP_EICU.
 */
int dp_corpus_read(const char *path, const char *display, dp_buf *text,
                   dp_warn_cb warn, void *warn_ctx, dp_error *err);

/**
 * dp_corpus_read(), and into @p map (reset first; may be NULL) where the
 * bytes of @p text are in the file: empty unless bytes of a UTF-8 file
 * were replaced by U+FFFD.  On failure @p map is left empty.  Same
 * return codes; DP_ELIMIT also when the map would pass
 * DP_OFFMAP_MAX_SEGS.
 */
int dp_corpus_read_map(const char *path, const char *display, dp_buf *text,
                       dp_offmap *map, dp_warn_cb warn, void *warn_ctx,
                       dp_error *err);

/**
 * The file name @p name (@p len bytes) in Unicode NFC into @p out (reset
 * first), so that a name written in NFD (by macOS, or a zip archive made
 * there: "e" + U+0301) and the same name typed in NFC ("é") compare
 * equal.  A name that is all ASCII or not valid UTF-8 is copied as is.
 * @return DP_OK, DP_ENOMEM, DP_ELIMIT.
 */
DP_NODISCARD int dp_corpus_name_nfc(const char *name, size_t len,
                                    dp_buf *out);

/**
 * Repair @p len bytes of @p src into valid UTF-8 in @p out (reset first),
 * replacing each maximal ill-formed subsequence with U+FFFD.
 * @return the number of replacements (>= 0), or DP_ENOMEM/DP_ELIMIT.
 * If @p first_bad is not NULL it receives the offset of the first one.
 */
int dp_utf8_repair(const char *src, size_t len, dp_buf *out,
                   size_t *first_bad);

/** @return 1 if @p s (@p len bytes) is valid UTF-8, else 0. */
int dp_utf8_valid(const char *s, size_t len);

typedef struct dp_catalog dp_catalog;

typedef struct dp_catalog_entry {
    const char *title;  /* borrowed, "" when unknown */
    const char *date;
    const char *source;
} dp_catalog_entry;

/**
 * Load CATALOG.tsv from @p path.  A missing file gives an empty catalogue
 * (DP_OK), but a symbolic link that leads nowhere is DP_EIO, as is any
 * catalogue that cannot be read; malformed lines are warned about and
 * skipped, and so are duplicate entries (the first is kept), in line
 * order, each with its line.  The file is
 * decoded as dp_corpus_read() decodes a text (UTF-16 and 8-bit charsets
 * transcoded, bad UTF-8 repaired, with its warnings), but never skipped
 * as binary.
 * @return DP_OK, DP_ENOMEM, DP_EIO (unreadable, a dangling symbolic link,
 * or not a regular file, such as a directory or a FIFO: refused at once,
 * never waited on; the message names @p path), DP_ELIMIT, DP_EICU.
 */
int dp_catalog_load(dp_catalog **out, const char *path, dp_warn_cb warn,
                    void *warn_ctx, dp_error *err);

/** @return the entry for @p relpath, borrowed until dp_catalog_free(), or
 * NULL if the catalogue does not list it. */
const dp_catalog_entry *dp_catalog_find(const dp_catalog *cat,
                                        const char *relpath);

/** Note that the file @p relpath is in the corpus (NULL @p cat: none). */
void dp_catalog_mark(dp_catalog *cat, const char *relpath);

/** Warn through @p warn (@p path, the line of each entry), in line order,
 * about the entries that dp_catalog_mark() never named: files the
 * catalogue lists that the corpus does not hold (moved, renamed,
 * deleted), whose titles are then not used.  Duplicate entries (warned
 * about by dp_catalog_load()) are left out.  NULL @p cat: none. */
void dp_catalog_warn_unmarked(const dp_catalog *cat, const char *path,
                              dp_warn_cb warn, void *warn_ctx);

/** Free a catalogue.  NULL is accepted. */
void dp_catalog_free(dp_catalog *cat);

#ifdef __cplusplus
}
#endif
#endif
