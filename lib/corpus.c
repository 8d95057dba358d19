/* corpus.c -- walk a corpus, read and decode its files, load its catalogue. */
#include "depeche/corpus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "depeche/output.h"
#include "i18n.h"

/* Bytes examined for binary content and by the charset detector. */
#define SNIFF_BYTES ((size_t)64 << 10)
/* Largest catalogue we load. */
#define CATALOG_MAX_BYTES ((size_t)64 << 20)

static const char *const default_exts[] = { ".txt", ".md", NULL };

/* ------------------------------------------------------------------ */
/* Offset maps                                                          */
/* ------------------------------------------------------------------ */

size_t dp_offmap_lookup(const dp_offmap *m, size_t off)
{
    size_t lo = 0, hi, mid, base_text = 0, base_file = 0, res;

    if (m == NULL || m->n == 0)
        return off;
    /* The last segment starting at or before @p off. */
    hi = m->n;
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (m->segs[mid].text <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0) {
        base_text = m->segs[lo - 1].text;
        base_file = m->segs[lo - 1].file;
    }
    res = base_file + (off - base_text);
    /* Inside a U+FFFD longer than the bytes it replaced: not past them. */
    if (lo < m->n && res > m->segs[lo].file)
        res = m->segs[lo].file;
    return res;
}

void dp_offmap_release(dp_offmap *m)
{
    if (m == NULL)
        return;
    free(m->segs);
    m->segs = NULL;
    m->n = m->cap = 0;
}

/* A U+FFFD ending at text offset @p text replaced the @p n file bytes
 * ending at @p file. */
static int offmap_add(dp_offmap *m, size_t text, size_t file, size_t n)
{
    dp_offmap_seg *bigger;
    size_t cap;
    int rc = DP_OK;

    /* Three bytes for three: nothing moves. */
    if (n == 3)
        goto done;
    if (m->n == m->cap) {
        if (m->cap >= DP_OFFMAP_MAX_SEGS) {
            rc = DP_ELIMIT;
            goto done;
        }
        cap = m->cap ? m->cap * 2 : 16;
        if (cap > DP_OFFMAP_MAX_SEGS)
            cap = DP_OFFMAP_MAX_SEGS;
        bigger = realloc(m->segs, cap * sizeof *bigger);
        if (bigger == NULL) {
            rc = DP_ENOMEM;
            goto done;
        }
        m->segs = bigger;
        m->cap = cap;
    }
    m->segs[m->n].text = text;
    m->segs[m->n].file = file;
    m->n++;
done:
    return rc;
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                                */
/* ------------------------------------------------------------------ */

/*
 * Step over the UTF-8 sequence at s[i] (i < len) with ICU's strict decoder
 * (no overlongs, surrogates or values above U+10FFFF).  @return its length;
 * *ok tells whether it is well-formed.  An ill-formed one is the maximal
 * subpart (the longest prefix of a well-formed sequence, at least one
 * byte), which is what one U+FFFD replaces.
 */
static size_t utf8_step(const unsigned char *s, size_t len, size_t i,
                        bool *ok)
{
    size_t j = i;
    UChar32 c;

    U8_NEXT(s, j, len, c);
    *ok = c >= 0;
    return j - i;
}

int dp_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    bool ok = true;

    while (i < len && ok) {
        if (u[i] < 0x80)
            i++;
        else
            i += utf8_step(u, len, i, &ok);
    }
    return ok ? 1 : 0;
}

/* What utf8_fix() replaced. */
typedef struct fix_stats {
    size_t bad;        /* maximal ill-formed subsequences */
    size_t first_bad;  /* offset of the first one */
    size_t nuls;       /* NUL bytes */
    size_t first_nul;
} fix_stats;

/*
 * Copy @p len bytes of @p src into @p out (reset first) as valid UTF-8:
 * each maximal ill-formed subsequence, and each NUL byte if @p nuls,
 * becomes U+FFFD.  If @p map is not NULL it receives (reset first) where
 * the bytes of @p out are in @p src.  @return DP_OK, DP_ENOMEM, DP_ELIMIT.
 */
static int utf8_fix(const char *src, size_t len, dp_buf *out, dp_offmap *map,
                    bool nuls, fix_stats *fs)
{
    static const char fffd[3] = { '\xEF', '\xBF', '\xBD' };
    const unsigned char *u = (const unsigned char *)src;
    size_t i = 0, run = 0, n;
    bool ok;
    int rc = DP_OK;

    memset(fs, 0, sizeof *fs);
    dp_buf_reset(out);
    if (map != NULL)
        map->n = 0;
    rc = dp_buf_grow(out, len);
    if (rc < 0)
        goto done;
    while (i < len) {
        if (u[i] == 0 && nuls) {
            n = 1;
            if (fs->nuls++ == 0)
                fs->first_nul = i;
        } else if (u[i] < 0x80) {
            i++;
            continue;
        } else {
            n = utf8_step(u, len, i, &ok);
            if (ok) {
                i += n;
                continue;
            }
            if (fs->bad++ == 0)
                fs->first_bad = i;
        }
        rc = dp_buf_add(out, src + run, i - run);
        if (rc < 0)
            goto done;
        rc = dp_buf_add(out, fffd, sizeof fffd);
        if (rc < 0)
            goto done;
        i += n;
        run = i;
        if (map != NULL) {
            rc = offmap_add(map, out->len, i, n);
            if (rc < 0)
                goto done;
        }
    }
    rc = dp_buf_add(out, src + run, len - run);
done:
    return rc;
}

int dp_corpus_name_nfc(const char *name, size_t len, dp_buf *out)
{
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfc = NULL;
    UChar *u16 = NULL, *n16 = NULL;
    int32_t ulen = 0, nlen = 0, olen = 0;
    size_t i;
    int rc = DP_OK;

    dp_buf_reset(out);
    for (i = 0; i < len && (unsigned char)name[i] < 0x80; i++)
        ;
    if (i == len || len > INT32_MAX / 4 || !dp_utf8_valid(name, len)) {
        rc = dp_buf_add(out, name, len);
        goto done;
    }
    /* At most one UTF-16 unit per byte, and NFC at most triples them. */
    u16 = malloc((len + 1) * sizeof *u16);
    n16 = malloc((3 * len + 1) * sizeof *n16);
    if (u16 == NULL || n16 == NULL) {
        rc = DP_ENOMEM;
        goto done;
    }
    u_strFromUTF8(u16, (int32_t)len + 1, &ulen, name, (int32_t)len, &st);
    nfc = unorm2_getNFCInstance(&st);
    if (U_SUCCESS(st))
        nlen = unorm2_normalize(nfc, u16, ulen, n16, 3 * (int32_t)len + 1,
                                &st);
    if (U_SUCCESS(st))
        rc = dp_buf_grow(out, 3 * (size_t)nlen + 1);
    if (rc == DP_OK && U_SUCCESS(st))
        u_strToUTF8(out->data, (int32_t)out->cap, &olen, n16, nlen, &st);
    if (rc == DP_OK && U_FAILURE(st)) {
        /* Only a failure of ICU itself: keep the name as it is. */
        rc = dp_buf_add(out, name, len);
        goto done;
    }
    if (rc == DP_OK) {
        out->len = (size_t)olen;
        out->data[out->len] = '\0';
    }
done:
    free(u16);
    free(n16);
    return rc;
}

int dp_utf8_repair(const char *src, size_t len, dp_buf *out,
                   size_t *first_bad)
{
    fix_stats fs;
    int rc = utf8_fix(src, len, out, NULL, false, &fs);

    if (first_bad)
        *first_bad = fs.bad > 0 ? fs.first_bad : 0;
    if (rc == DP_OK)
        rc = fs.bad > INT32_MAX ? INT32_MAX : (int)fs.bad;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Walking                                                              */
/* ------------------------------------------------------------------ */

/* A directory, or a regular file, by identity. */
typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

/* Directories entered so far: an open-addressing hash set of (dev, ino). */
typedef struct dir_set {
    dir_id *slots;
    unsigned char *used;
    size_t cap, n;
} dir_set;

typedef struct walker {
    const char *const *exts;
    dp_warn_cb warn;
    void *warn_ctx;
    dp_corpus_file_cb cb;
    void *ctx;
    dp_corpus_unwalked_cb unwalked;
    void *unwalked_ctx;
    size_t skipped;  /* files of an accepted extension left out */
    dp_buf path;     /* path of the current entry, from the root */
    dp_buf rel;      /* relpath of the current entry */
    dir_set seen;
    dir_set files;   /* regular files reported */
    dir_id chain[DP_MAX_WALK_DEPTH + 2]; /* directories being walked */
    size_t depth;
    size_t root_len; /* w->path holds the root in its first bytes */
    /* Symbolic links met, followed only once the walk is done (walk_links()) */
    struct walk_link {
        char *rel;
        size_t depth;    /* that of the directory holding it */
        dir_id *chain;   /* w->chain then (depth of them) */
    } *links;
    size_t n_links, cap_links;
} walker;

static size_t dir_hash(dir_id id)
{
    uint64_t h = (uint64_t)id.ino * 0x9E3779B97F4A7C15ULL;

    h ^= (uint64_t)id.dev + 0x7F4A7C159E3779B9ULL + (h << 6) + (h >> 2);
    return (size_t)(h ^ (h >> 29));
}

static bool dir_set_has(const dir_set *set, dir_id id)
{
    size_t i;
    bool found = false;

    if (set->cap == 0)
        goto done;
    i = dir_hash(id) & (set->cap - 1);
    while (set->used[i] && !found) {
        found = set->slots[i].dev == id.dev && set->slots[i].ino == id.ino;
        i = (i + 1) & (set->cap - 1);
    }
done:
    return found;
}

static int dir_set_add(dir_set *set, dir_id id)
{
    dir_set bigger = { NULL, NULL, 0, 0 };
    size_t i, j;
    int rc = DP_OK;

    if ((set->n + 1) * 2 > set->cap) {
        bigger.cap = set->cap ? set->cap * 2 : 64;
        bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
        bigger.used = calloc(bigger.cap, 1);
        if (bigger.slots == NULL || bigger.used == NULL) {
            free(bigger.slots);
            free(bigger.used);
            rc = DP_ENOMEM;
            goto done;
        }
        for (i = 0; i < set->cap; i++) {
            if (!set->used[i])
                continue;
            j = dir_hash(set->slots[i]) & (bigger.cap - 1);
            while (bigger.used[j])
                j = (j + 1) & (bigger.cap - 1);
            bigger.used[j] = 1;
            bigger.slots[j] = set->slots[i];
        }
        bigger.n = set->n;
        free(set->slots);
        free(set->used);
        *set = bigger;
    }
    i = dir_hash(id) & (set->cap - 1);
    while (set->used[i])
        i = (i + 1) & (set->cap - 1);
    set->used[i] = 1;
    set->slots[i] = id;
    set->n++;
done:
    return rc;
}

static void dir_set_release(dir_set *set)
{
    free(set->slots);
    free(set->used);
    set->slots = NULL;
    set->used = NULL;
    set->cap = set->n = 0;
}

static void walk_warn(walker *w, const char *file, const char *fmt, ...)
    DP_PRINTF(3, 4);

static void walk_warn(walker *w, const char *file, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (w->warn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w->warn(file, 0, msg, w->warn_ctx);
}

/* Report @p rel as not walked (its files may exist). */
static int walk_unwalked(walker *w, const char *rel)
{
    return w->unwalked ? w->unwalked(rel, w->unwalked_ctx) : DP_OK;
}

static bool ext_ok(const char *const *exts, const char *name)
{
    size_t n = strlen(name), e;
    bool ok = false;

    for (; *exts && !ok; exts++) {
        e = strlen(*exts);
        ok = e > 0 && n > e && strcasecmp(name + n - e, *exts) == 0;
    }
    return ok;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000LL +
           (int64_t)st->st_mtim.tv_nsec;
}

/* The wall clock, read after the caller's stat(): a change that stat() did
 * not see happens after it. */
static int64_t clock_ns(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000000000LL + (int64_t)now.tv_nsec;
}

static int emit_file(walker *w, const struct stat *st)
{
    dp_corpus_file f;

    f.path = dp_buf_cstr(&w->path);
    f.relpath = dp_buf_cstr(&w->rel);
    f.size = (uint64_t)st->st_size;
    f.mtime_ns = mtime_ns(st);
    f.st = st;
    f.stat_clock_ns = clock_ns();
    return w->cb(&f, w->ctx);
}

/* @p b cut back to its first @p base bytes, then "/" and @p name (no "/"
 * after an empty base or one that ends with "/"): a path or a relpath. */
static int join_name(dp_buf *b, size_t base, const char *name)
{
    int rc = DP_OK;

    dp_buf_truncate(b, base);
    if (base > 0 && b->data[base - 1] != '/')
        rc = dp_buf_addc(b, '/');
    return rc < 0 ? rc : dp_buf_adds(b, name);
}

/* A directory entry: its name, and whether it is a symbolic link. */
typedef struct dir_entry {
    char *name;
    bool link;
} dir_entry;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(((const dir_entry *)a)->name, ((const dir_entry *)b)->name);
}

static void free_names(dir_entry *names, size_t n)
{
    size_t i;

    if (names == NULL)
        return;
    for (i = 0; i < n; i++)
        free(names[i].name);
    free(names);
}

/* Read the visible names of the directory at w->path, sorted.  One that
 * cannot be read (or only in part) is warned about and reported as not
 * walked: @return DP_OK, DP_ENOMEM or the unwalked callback's result. */
static int list_dir(walker *w, dir_entry **out, size_t *n_out)
{
    DIR *d = NULL;
    struct dirent *de;
    dir_entry *names = NULL, *bigger = NULL;
    size_t n = 0, cap = 0;
    int rc = DP_OK;

    *out = NULL;
    *n_out = 0;
    d = opendir(dp_buf_cstr(&w->path));
    if (d == NULL) {
        walk_warn(w, w->rel.len ? dp_buf_cstr(&w->rel) : dp_buf_cstr(&w->path),
                  "cannot read directory: %s", strerror(errno));
        rc = walk_unwalked(w, dp_buf_cstr(&w->rel));
        goto done;
    }
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            if (errno != 0) {
                walk_warn(w, w->rel.len ? dp_buf_cstr(&w->rel)
                                        : dp_buf_cstr(&w->path),
                          "error reading directory: %s", strerror(errno));
                rc = walk_unwalked(w, dp_buf_cstr(&w->rel));
                if (rc != 0)
                    goto done;
            }
            break;
        }
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            bigger = realloc(names, cap * sizeof *names);
            if (bigger == NULL) {
                rc = DP_ENOMEM;
                goto done;
            }
            names = bigger;
        }
        names[n].name = strdup(de->d_name);
        if (names[n].name == NULL) {
            rc = DP_ENOMEM;
            goto done;
        }
        /* DT_UNKNOWN (some file systems): lstat() tells */
        names[n].link = de->d_type == DT_LNK;
        if (de->d_type == DT_UNKNOWN) {
            struct stat lst;
            size_t len = w->path.len;
            if (join_name(&w->path, len, de->d_name) >= 0)
                names[n].link = lstat(dp_buf_cstr(&w->path), &lst) == 0 &&
                                S_ISLNK(lst.st_mode);
            dp_buf_truncate(&w->path, len);
        }
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    *out = names;
    *n_out = n;
    names = NULL;
    n = 0;
done:
    if (d)
        closedir(d);
    free_names(names, n);
    return rc;
}

static bool in_chain(const walker *w, dir_id id)
{
    size_t i;
    bool found = false;

    for (i = 0; i < w->depth && !found; i++)
        found = w->chain[i].dev == id.dev && w->chain[i].ino == id.ino;
    return found;
}

static int walk_dir(walker *w, dir_id self);

/* Follow the symbolic link @p rel later, from the directory of depth
 * @p depth that holds it. */
static int defer_link(walker *w, const char *rel, size_t depth)
{
    char *copy = NULL;
    dir_id *chain = NULL;

    if (w->n_links == w->cap_links) {
        size_t cap = w->cap_links ? 2 * w->cap_links : 16;
        struct walk_link *v = realloc(w->links, cap * sizeof *v);
        if (v == NULL)
            return DP_ENOMEM;
        w->links = v;
        w->cap_links = cap;
    }
    copy = strdup(rel);
    chain = malloc((depth ? depth : 1) * sizeof *chain);
    if (copy == NULL || chain == NULL) {
        free(copy);
        free(chain);
        return DP_ENOMEM;
    }
    memcpy(chain, w->chain, depth * sizeof *chain);
    w->links[w->n_links].rel = copy;
    w->links[w->n_links].depth = depth;
    w->links[w->n_links].chain = chain;
    w->n_links++;
    return DP_OK;
}

/* The entry at w->path (relpath w->rel, name @p name), in a directory of
 * depth w->depth: a folder is walked, a text reported. */
static int walk_entry(walker *w, const char *name)
{
    const char *rel = dp_buf_cstr(&w->rel);
    struct stat st, lst;
    dir_id id;
    int rc = DP_OK;

    if (stat(dp_buf_cstr(&w->path), &st) != 0) {
        int e = errno;
        if (lstat(dp_buf_cstr(&w->path), &lst) == 0 && S_ISLNK(lst.st_mode)) {
            walk_warn(w, rel, e == ELOOP ? "symbolic link loop, skipped"
                                         : "dangling symbolic link, "
                                           "skipped");
            if (ext_ok(w->exts, name))
                w->skipped++;
            return DP_OK;
        }
        walk_warn(w, rel, "cannot stat: %s", strerror(e));
        return walk_unwalked(w, rel);
    }
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    if (S_ISDIR(st.st_mode)) {
        if (in_chain(w, id)) {
            walk_warn(w, rel, "directory loop (symbolic link to an "
                              "enclosing directory), not entered");
            return DP_OK;
        }
        if (dir_set_has(&w->seen, id)) {
            walk_warn(w, rel, "directory already walked under another "
                              "name, not entered again");
            return DP_OK;
        }
        if (w->depth > DP_MAX_WALK_DEPTH) {
            walk_warn(w, rel, "directory nested deeper than %d levels, "
                              "not entered", DP_MAX_WALK_DEPTH);
            return DP_OK;
        }
        rc = dir_set_add(&w->seen, id);
        return rc < 0 ? rc : walk_dir(w, id);
    }
    if (!ext_ok(w->exts, name))
        return DP_OK;
    if (!S_ISREG(st.st_mode)) {
        walk_warn(w, rel, "not a regular file, skipped");
        w->skipped++;
        return DP_OK;
    }
    /* A symbolic or hard link to a file already reported: the same text
     * under a second name would give every hit twice. */
    if (dir_set_has(&w->files, id)) {
        walk_warn(w, rel, "file already found under another name, not "
                          "indexed again");
        return DP_OK;
    }
    rc = dir_set_add(&w->files, id);
    return rc < 0 ? rc : emit_file(w, &st);
}

/* Walk the directory at w->path (relpath w->rel), already marked seen.
 * Its symbolic links are only noted (defer_link()). */
static int walk_dir(walker *w, dir_id self)
{
    dir_entry *names = NULL;
    size_t n = 0, i, path_len = w->path.len, rel_len = w->rel.len;
    int rc = DP_OK;

    w->chain[w->depth++] = self;
    rc = list_dir(w, &names, &n);
    if (rc != 0)
        goto done;
    for (i = 0; i < n; i++) {
        /* The catalogue of a folder root is no text, whatever the
         * extensions: never reported, nor warned about. */
        if (w->depth == 1 && strcmp(names[i].name, DP_CATALOG_NAME) == 0)
            continue;
        rc = join_name(&w->path, path_len, names[i].name);
        if (rc >= 0)
            rc = join_name(&w->rel, rel_len, names[i].name);
        if (rc < 0)
            goto done;
        rc = names[i].link ? defer_link(w, dp_buf_cstr(&w->rel), w->depth)
                           : walk_entry(w, names[i].name);
        if (rc != 0)
            goto done;
    }
done:
    dp_buf_truncate(&w->path, path_len);
    dp_buf_truncate(&w->rel, rel_len);
    w->depth--;
    free_names(names, n);
    return rc;
}

/* Follow the symbolic links noted by the walk, in the order met (the
 * links under them are noted in turn): a folder or a text reached under
 * its own name is walked under that name, whatever the names of the links
 * to it, so that adding a link renames no citation. */
static int walk_links(walker *w)
{
    int rc = DP_OK;

    for (size_t k = 0; k < w->n_links && rc == 0; k++) {
        const char *rel = w->links[k].rel, *name = strrchr(rel, '/');

        rc = join_name(&w->path, w->root_len, rel);
        if (rc >= 0)
            rc = join_name(&w->rel, 0, rel);
        if (rc < 0)
            break;
        /* the folders that enclose it, for the loop test */
        w->depth = w->links[k].depth;
        memcpy(w->chain, w->links[k].chain, w->depth * sizeof *w->chain);
        rc = walk_entry(w, name ? name + 1 : rel);
    }
    w->depth = 0;
    return rc;
}

int dp_corpus_walk(const char *root, const dp_walk_opts *opts,
                   dp_corpus_file_cb cb, void *ctx, dp_error *err)
{
    walker w;
    struct stat st;
    const char *base;
    dir_id id;
    int rc = DP_OK;

    memset(&w, 0, sizeof w);
    dp_buf_init(&w.path, 0);
    dp_buf_init(&w.rel, 0);
    if (root == NULL || *root == '\0' || cb == NULL) {
        rc = dp_error_set(err, DP_EINVAL, "corpus walk: bad argument");
        goto done;
    }
    w.exts = opts && opts->exts ? opts->exts : default_exts;
    w.warn = opts ? opts->warn : NULL;
    w.warn_ctx = opts ? opts->warn_ctx : NULL;
    w.cb = cb;
    w.ctx = ctx;
    w.unwalked = opts ? opts->unwalked : NULL;
    w.unwalked_ctx = opts ? opts->unwalked_ctx : NULL;
    if (stat(root, &st) != 0) {
        int e = errno;
        rc = dp_error_set(err, e == ENOENT || e == ENOTDIR ? DP_ENOTFOUND
                                                           : DP_EIO,
                          "%s: %s", root, strerror(e));
        goto done;
    }
    rc = dp_buf_adds(&w.path, root);
    if (rc < 0)
        goto mem;
    if (S_ISDIR(st.st_mode)) {
        id.dev = st.st_dev;
        id.ino = st.st_ino;
        rc = dir_set_add(&w.seen, id);
        if (rc < 0)
            goto mem;
        w.root_len = w.path.len;
        rc = walk_dir(&w, id);
        if (rc == 0)
            rc = walk_links(&w);
        if (rc == DP_ENOMEM)
            goto mem;
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = dp_error_set(err, DP_EINVAL, "%s: not a file or directory",
                          root);
        goto done;
    }
    /* An explicitly named file is accepted whatever its extension. */
    base = strrchr(root, '/');
    base = base ? base + 1 : root;
    rc = dp_buf_adds(&w.rel, base);
    if (rc < 0)
        goto mem;
    rc = emit_file(&w, &st);
    goto done;
mem:
    rc = dp_error_set(err, DP_ENOMEM, "corpus walk: out of memory");
done:
    if (opts != NULL && opts->skipped != NULL)
        *opts->skipped += w.skipped;
    dp_buf_release(&w.path);
    dp_buf_release(&w.rel);
    dir_set_release(&w.seen);
    dir_set_release(&w.files);
    for (size_t k = 0; k < w.n_links; k++) {
        free(w.links[k].rel);
        free(w.links[k].chain);
    }
    free(w.links);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Reading and decoding                                                 */
/* ------------------------------------------------------------------ */

static void read_warn(dp_warn_cb warn, void *ctx, const char *display,
                      size_t line, const char *fmt, ...) DP_PRINTF(5, 6);

static void read_warn(dp_warn_cb warn, void *ctx, const char *display,
                      size_t line, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (warn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    warn(display, line, msg, ctx);
}

/* The code unit at @p i of UTF-16 @p u (big-endian if @p be). */
static unsigned utf16_unit(const unsigned char *u, size_t i, bool be)
{
    return be ? (unsigned)u[i] << 8 | u[i + 1]
              : (unsigned)u[i + 1] << 8 | u[i];
}

/* The ill-formed sequences of UTF-16 @p u (@p len bytes), which ICU
 * replaces by U+FFFD: unpaired surrogates, and a last odd byte (a cut
 * file); *@p line receives the line of the first. */
static size_t utf16_bad(const unsigned char *u, size_t len, bool be,
                        size_t *line)
{
    size_t n = 0, ln = 1, i;
    bool cut_high = false; /* a high surrogate, then only the odd byte */

    for (i = 0; i + 1 < len; i += 2) {
        unsigned c = utf16_unit(u, i, be);
        unsigned next = i + 3 < len ? utf16_unit(u, i + 2, be) : 0;
        bool bad = c >= 0xDC00 && c <= 0xDFFF;

        if (c >= 0xD800 && c <= 0xDBFF) {
            if (next >= 0xDC00 && next <= 0xDFFF) {
                i += 2; /* a pair */
                continue;
            }
            bad = true;
            cut_high = i + 3 == len;
        }
        if (bad && n++ == 0)
            *line = ln;
        if (c == '\n' || (c == '\r' && next != '\n'))
            ln++;
    }
    /* A last odd byte is one more U+FFFD, unless it follows a high
     * surrogate: ICU decodes the two as one cut sequence. */
    if (i < len && !cut_high && n++ == 0)
        *line = ln;
    return n;
}

/* 1-based line of byte @p off (LF, CRLF and lone CR end lines). */
static size_t line_of(const char *s, size_t off)
{
    size_t line = 1, i;

    for (i = 0; i < off; i++) {
        if (s[i] == '\n')
            line++;
        else if (s[i] == '\r' && s[i + 1] != '\n') /* s[len] is NUL */
            line++;
    }
    return line;
}

/* Read the whole of @p path into @p out (reset first).  Messages do not
 * repeat the path: callers name the file as they see fit. */
static int read_all(const char *path, dp_buf *out, dp_error *err)
{
    FILE *f = NULL;
    int fd = -1;
    struct stat st;
    size_t n;
    int rc = DP_OK;

    dp_buf_reset(out);
    /* O_NONBLOCK: opening a FIFO (a CATALOG.tsv, or a file replaced by
     * one since the walk) must not wait for a writer that never comes. */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        rc = dp_error_set(err, DP_EIO, "cannot open: %s", strerror(errno));
        goto done;
    }
    if (fstat(fd, &st) != 0) {
        rc = dp_error_set(err, DP_EIO, "cannot stat: %s", strerror(errno));
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = dp_error_set(err, DP_EIO, "is a directory");
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = dp_error_set(err, DP_EIO, "not a regular file");
        goto done;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        rc = dp_error_set(err, DP_EIO, "cannot open: %s", strerror(errno));
        goto done;
    }
    f = fdopen(fd, "rb");
    if (f == NULL) {
        rc = dp_error_set(err, DP_EIO, "cannot open: %s", strerror(errno));
        goto done;
    }
    fd = -1; /* f owns it now */
    if ((uint64_t)st.st_size > DP_MAX_FILE_BYTES) {
        rc = dp_error_set(err, DP_ELIMIT,
                          "file too large (%llu bytes, limit %zu), skipped",
                          (unsigned long long)st.st_size, DP_MAX_FILE_BYTES);
        goto done;
    }
    if (st.st_size > 0) {
        rc = dp_buf_grow(out, (size_t)st.st_size);
        if (rc < 0)
            goto grow_failed;
    }
    for (;;) {
        if (out->len > DP_MAX_FILE_BYTES) {
            /* The file grew past the limit while we read it. */
            rc = dp_error_set(err, DP_ELIMIT, "file too large (limit %zu "
                              "bytes), skipped", DP_MAX_FILE_BYTES);
            goto done;
        }
        if (out->cap == 0 || out->len + 1 == out->cap) {
            rc = dp_buf_grow(out, 65536);
            if (rc < 0)
                goto grow_failed;
        }
        n = fread(out->data + out->len, 1, out->cap - 1 - out->len, f);
        out->len += n;
        out->data[out->len] = '\0';
        if (n == 0) {
            if (ferror(f)) {
                rc = dp_error_set(err, DP_EIO, "read error: %s",
                                  strerror(errno));
                goto done;
            }
            break;
        }
    }
    rc = DP_OK;
    goto done;
grow_failed:
    rc = dp_error_set(err, rc, "%s", rc == DP_ENOMEM
                                         ? "out of memory"
                                         : "file too large for the buffer");
done:
    if (f)
        fclose(f);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Convert @p len bytes of @p src from charset @p from into UTF-8 in
 * @p out (reset first).  Unmappable or malformed input becomes U+FFFD. */
static int transcode(const char *from, const char *src, size_t len,
                     dp_buf *out, dp_error *err)
{
    UConverter *in = NULL, *utf8 = NULL;
    UErrorCode st = U_ZERO_ERROR;
    UChar pivot[1024];
    UChar *psrc = pivot, *ptgt = pivot;
    const char *s = src;
    char *t;
    bool first = true;
    int rc = DP_OK;

    dp_buf_reset(out);
    in = ucnv_open(from, &st);
    if (U_SUCCESS(st))
        utf8 = ucnv_open("UTF-8", &st);
    if (U_FAILURE(st)) {
        rc = dp_error_set(err, DP_EICU, "cannot open converter %s: %s",
                          from, u_errorName(st));
        goto done;
    }
    /* Streamed through a fixed pivot: memory is the output only.  Start
     * with room for about as many bytes as the input (French in an 8-bit
     * charset grows by a few percent, UTF-16 shrinks), then double. */
    for (;;) {
        rc = dp_buf_grow(out, first ? len + len / 16 + 64
                                    : out->len / 2 + 4096);
        if (rc < 0) {
            rc = dp_error_set(err, rc, "transcoding from %s: %s", from,
                              dp_status_str(rc));
            goto done;
        }
        t = out->data + out->len;
        st = U_ZERO_ERROR;
        ucnv_convertEx(utf8, in, &t, out->data + out->cap - 1, &s, src + len,
                       pivot, &psrc, &ptgt, pivot + 1024, first, true, &st);
        first = false;
        out->len = (size_t)(t - out->data);
        out->data[out->len] = '\0';
        if (st == U_BUFFER_OVERFLOW_ERROR)
            continue;
        if (U_FAILURE(st)) {
            rc = dp_error_set(err, DP_EICU, "transcoding from %s: %s", from,
                              u_errorName(st));
            goto done;
        }
        break;
    }
    rc = DP_OK;
done:
    ucnv_close(in);
    ucnv_close(utf8);
    return rc;
}

/*
 * Too many C0 controls (NUL included) in the first bytes mean binary:
 * more than 1 in 100, and a few of them at least, so that one stray byte
 * in a short file is not "binary".  Random or compressed data has about
 * one control byte in ten.  A few NULs in a text are damage, not a
 * format: they are repaired (replace_nuls), not a reason to lose the
 * file.
 */
static bool looks_binary(const unsigned char *s, size_t len)
{
    size_t n = len < SNIFF_BYTES ? len : SNIFF_BYTES, i, ctl = 0, nul = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        nul += c == 0;
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' &&
             c != 0x1A /* DOS end of file */) || c == 0x7F)
            ctl++;
    }
    /* NULs make up more than 1 % of a short file ("ab\0"), or controls
     * more than 1 % of the sample. */
    return nul * 100 > n || (ctl >= 4 && ctl * 100 > n);
}

/*
 * Replace each NUL byte of @p text (valid UTF-8 otherwise) with U+FFFD,
 * in place: a NUL would cut the passage short wherever it is handled as
 * a C string.  @return the number replaced (>= 0) or DP_ENOMEM/DP_ELIMIT;
 * *first receives the offset of the first one.
 */
static int replace_nuls(dp_buf *text, size_t *first)
{
    size_t n = 0, i, j, len = text->len;
    const char *p, *end;
    int rc = DP_OK;

    *first = 0;
    if (len == 0)
        goto done;
    p = text->data;
    end = p + len;
    while (p < end) {
        p = memchr(p, 0, (size_t)(end - p));
        if (p == NULL)
            break;
        if (n == 0)
            *first = (size_t)(p - text->data);
        n++;
        p++;
    }
    if (n == 0)
        goto done;
    rc = dp_buf_grow(text, 2 * n);
    if (rc < 0)
        goto done;
    /* Move the bytes right from the end, widening each NUL to 3 bytes. */
    i = len;
    j = len + 2 * n;
    text->data[j] = '\0';
    while (i > *first) {
        i--;
        if (text->data[i] != '\0') {
            text->data[--j] = text->data[i];
            continue;
        }
        text->data[--j] = '\xBD';
        text->data[--j] = '\xBF';
        text->data[--j] = '\xEF';
    }
    text->len = len + 2 * n;
    rc = n > INT32_MAX ? INT32_MAX : (int)n;
done:
    return rc;
}

/* UTF-16 without BOM: French text in UTF-16 has a NUL high byte in nearly
 * every code unit.  @return "UTF-16LE", "UTF-16BE" or NULL. */
static const char *sniff_utf16(const unsigned char *s, size_t len)
{
    size_t n = (len < SNIFF_BYTES ? len : SNIFF_BYTES) & ~(size_t)1, i;
    size_t zero_even = 0, zero_odd = 0, units = n / 2;
    const char *res = NULL;

    for (i = 0; i < n; i += 2) {
        zero_even += s[i] == 0;
        zero_odd += s[i + 1] == 0;
    }
    if (units < 2)
        res = NULL;
    else if (zero_odd * 10 >= units * 7 && zero_even * 20 <= units)
        res = "UTF-16LE";
    else if (zero_even * 10 >= units * 7 && zero_odd * 20 <= units)
        res = "UTF-16BE";
    return res;
}

typedef struct utf8_stats {
    size_t multi;       /* well-formed multi-byte sequences */
    size_t multi_bytes; /* their bytes */
    size_t bad;         /* maximal ill-formed subsequences */
    size_t bad_bytes;   /* their bytes */
    size_t latin;       /* of which single bytes that are Latin-1 letters */
    size_t first_bad;
} utf8_stats;

static void utf8_survey(const unsigned char *s, size_t len, utf8_stats *st)
{
    size_t i = 0, n;
    bool ok;

    memset(st, 0, sizeof *st);
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        n = utf8_step(s, len, i, &ok);
        if (ok) {
            st->multi++;
            st->multi_bytes += n;
            i += n;
            continue;
        }
        if (st->bad == 0)
            st->first_bad = i;
        st->bad++;
        st->bad_bytes += n;
        /* A lone byte C0..FF (À..ÿ in Latin-1: é è à ç ê ô ...) not
         * followed by a continuation byte: French in an 8-bit charset. */
        if (n == 1 && s[i] >= 0xC0 && s[i] != 0xD7 && s[i] != 0xF7)
            st->latin++;
        i += n;
    }
}

/*
 * Is a file that is not valid UTF-8 damaged UTF-8 (rather than 8-bit)?
 * Yes when at least a third of its non-ASCII bytes are in well-formed
 * multi-byte sequences.  French in an 8-bit charset nearly never forms one
 * by chance: a capital such as É = C9 would have to be followed by a byte
 * from 80..BF (’ = 92, a no-break space = A0), a small letter such as
 * é = E9 by two of them.  Re-encoded in Windows-1252, none of the lines
 * of the bundled and PIAF texts, and 2 of the 200,097 Europarl lines that
 * hold an accent, has one.  So a share of a third is far above anything
 * 8-bit French produces, yet lets a short UTF-8 file have more bad bytes
 * than good accents ("\xFF\xFE" near one "é": 2 good bytes, 2 bad).
 * Reading such a file as 8-bit would turn every good "é" into "Ã©".
 */
static bool damaged_utf8(const utf8_stats *us)
{
    return us->multi_bytes > 0 &&
           3 * us->multi_bytes >= us->multi_bytes + us->bad_bytes;
}

/* A letter of a Latin-1 or Latin-9 text: ASCII, or C0..FF but for the
 * signs × (D7) and ÷ (F7). */
static bool latin_letter(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= 0xC0 && c != 0xD7 && c != 0xF7);
}

/*
 * Is a text ICU takes for ISO-8859-1 or Windows-1252 in ISO-8859-15?  ICU's
 * detector never answers ISO-8859-15, which differs from Latin-1 in 8
 * bytes, among them Œ œ (BC BD: ¼ ½ in Latin-1) and € (A4: ¤).  Yes when
 * it has BC or BD between two letters ("s\xBDurs": a fraction inside a word
 * is not French, œ is) and no byte in 80..9F (printable in Windows-1252,
 * where œ is 9C and € is 80: one says the text is Windows-1252).
 */
static bool latin9_text(const unsigned char *s, size_t len)
{
    bool oe = false, c1 = false;

    for (size_t i = 0; i < len && !c1; i++) {
        c1 = s[i] >= 0x80 && s[i] <= 0x9F;
        if ((s[i] == 0xBC || s[i] == 0xBD) && i > 0 && i + 1 < len &&
            latin_letter(s[i - 1]) && latin_letter(s[i + 1]))
            oe = true;
    }
    return oe && !c1;
}

/* Ask ICU what 8-bit charset @p s is in.  @return a converter name for a
 * Latin charset when ICU is reasonably confident, else NULL. */
static const char *detect_latin(const char *s, size_t len)
{
    const dp_i18n *i18n = dp_i18n_get(NULL);
    UCharsetDetector *csd = NULL;
    const UCharsetMatch *m;
    UErrorCode st = U_ZERO_ERROR;
    const char *name = NULL, *res = NULL;
    int32_t conf;

    if (i18n == NULL)
        return NULL; /* no detector: the caller's fallback applies */
    csd = i18n->csd_open(&st);
    if (U_FAILURE(st))
        goto done;
    i18n->csd_set_text(csd, s,
                       (int32_t)(len < SNIFF_BYTES ? len : SNIFF_BYTES), &st);
    m = i18n->csd_detect(csd, &st);
    if (U_FAILURE(st) || m == NULL)
        goto done;
    name = i18n->csd_name(m, &st);
    conf = i18n->csd_confidence(m, &st);
    if (U_FAILURE(st) || name == NULL || conf < 20)
        goto done;
    /* windows-1252 is ISO-8859-1 plus printable characters in 80..9F;
     * ISO-8859-15 is told apart from both by its œ (latin9_text()). */
    if (strcmp(name, "ISO-8859-1") == 0 || strcmp(name, "windows-1252") == 0)
        res = latin9_text((const unsigned char *)s, len) ? "ISO-8859-15"
                                                        : "windows-1252";
    else if (strcmp(name, "ISO-8859-15") == 0)
        res = "ISO-8859-15";
done:
    if (csd != NULL)
        i18n->csd_close(csd);
    return res;
}

static int decode_text(const char *display, dp_buf *text, dp_offmap *map,
                       bool any_bytes, dp_warn_cb warn, void *warn_ctx,
                       dp_error *err);

int dp_corpus_read(const char *path, const char *display, dp_buf *text,
                   dp_warn_cb warn, void *warn_ctx, dp_error *err)
{
    return dp_corpus_read_map(path, display, text, NULL, warn, warn_ctx, err);
}

int dp_corpus_read_map(const char *path, const char *display, dp_buf *text,
                       dp_offmap *map, dp_warn_cb warn, void *warn_ctx,
                       dp_error *err)
{
    int rc;

    if (map != NULL)
        dp_offmap_release(map);
    if (path == NULL || text == NULL)
        return dp_error_set(err, DP_EINVAL, "corpus read: bad argument");
    if (display == NULL)
        display = path;
    rc = read_all(path, text, err);
    if (rc < 0) {
        dp_buf_reset(text);
        return rc;
    }
    return decode_text(display, text, map, false, warn, warn_ctx, err);
}

/* The bytes of a file, read into @p text, decoded in place into valid
 * UTF-8 as dp_corpus_read_map() says (warnings name @p display); with
 * @p any_bytes, a file that looks binary is decoded all the same.  Same
 * return codes but DP_EIO and DP_ELIMIT of the reading. */
static int decode_text(const char *display, dp_buf *text, dp_offmap *map,
                       bool any_bytes, dp_warn_cb warn, void *warn_ctx,
                       dp_error *err)
{
    dp_buf raw = DP_BUF_INIT;
    dp_offmap local = DP_OFFMAP_INIT;
    const unsigned char *u;
    const char *from = NULL;
    const char *label = NULL;
    size_t skip = 0, first_nul = 0, rlen = 0, fffd = 0, first_line = 0;
    utf8_stats us;
    fix_stats fs;
    bool bom;
    int rc = DP_OK;

    if (map == NULL)
        map = &local;
    dp_offmap_release(map);
    u = (const unsigned char *)text->data;
    if (text->len == 0) {
        read_warn(warn, warn_ctx, display, 0, "empty file");
        rc = dp_error_set(err, DP_ESKIP, "empty file");
        goto done;
    }
    if (text->len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
        from = "UTF-16LE";
        skip = 2;
    } else if (text->len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
        from = "UTF-16BE";
        skip = 2;
    } else if (memchr(u, 0, text->len < SNIFF_BYTES ? text->len
                                                     : SNIFF_BYTES)) {
        from = sniff_utf16(u, text->len);
        if (from)
            label = strcmp(from, "UTF-16LE") == 0 ? "UTF-16LE (no BOM)"
                                                  : "UTF-16BE (no BOM)";
    }
    if (from) {
        /* Move the bytes aside and decode them into @p text. */
        raw.data = dp_buf_detach(text, &rlen);
        raw.len = rlen;
        raw.cap = rlen + 1;
        rc = transcode(from, raw.data + skip, raw.len - skip, text, err);
        if (rc < 0)
            goto done;
        if (text->len == 0) {
            read_warn(warn, warn_ctx, display, 0, "empty file");
            rc = dp_error_set(err, DP_ESKIP, "empty file");
            goto done;
        }
        if (!any_bytes &&
            looks_binary((const unsigned char *)text->data, text->len)) {
            read_warn(warn, warn_ctx, display, 0, "binary file, skipped");
            rc = dp_error_set(err, DP_ESKIP, "binary file");
            goto done;
        }
        /* ICU replaced each unpaired surrogate and a last odd byte (a cut
         * file) by U+FFFD: said, with the line of the first, as for bad
         * UTF-8, not silently. */
        fffd = utf16_bad((const unsigned char *)raw.data + skip,
                         raw.len - skip, from[6] == 'B', &first_line);
        if (fffd > 0)
            read_warn(warn, warn_ctx, display, first_line,
                      "transcoded from %s, invalid UTF-16 replaced by "
                      "U+FFFD (%zu %s)", label ? label : from, fffd,
                      fffd == 1 ? "time" : "times");
        else
            read_warn(warn, warn_ctx, display, 0, "transcoded from %s",
                      label ? label : from);
        goto transcoded;
    }
    if (!any_bytes && looks_binary(u, text->len)) {
        read_warn(warn, warn_ctx, display, 0, "binary file, skipped");
        rc = dp_error_set(err, DP_ESKIP, "binary file");
        goto done;
    }
    if (dp_utf8_valid(text->data, text->len)) {
        /* The file itself, unless it holds NUL bytes (valid UTF-8, but a
         * NUL would cut the passage short wherever it is a C string). */
        if (memchr(text->data, 0, text->len) == NULL)
            goto ok;
        goto fix;
    }

    /*
     * Not valid UTF-8: damaged UTF-8 (see damaged_utf8()), or a file in an
     * 8-bit charset.  A UTF-8 BOM says UTF-8 whatever follows (and read as
     * 8-bit it would become "ï»¿").  Otherwise ask ICU's detector which
     * 8-bit charset, and when it is unsure fall back on the shape of the
     * bad bytes: in French Latin-1 they are lone letters (é = E9 ...).
     */
    utf8_survey(u, text->len, &us);
    bom = text->len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF;
    if (!bom && !damaged_utf8(&us)) {
        from = detect_latin(text->data, text->len);
        if (from == NULL && (us.multi == 0 || us.latin * 2 > us.bad))
            from = "windows-1252";
    }
    if (from) {
        size_t line = line_of(text->data, us.first_bad);
        raw.data = dp_buf_detach(text, &rlen);
        raw.len = rlen;
        raw.cap = rlen + 1;
        rc = transcode(from, raw.data, raw.len, text, err);
        if (rc < 0)
            goto done;
        read_warn(warn, warn_ctx, display, line, "not UTF-8: read as %s",
                  from);
        goto transcoded;
    }
fix:
    /* UTF-8 with replacements: the map keeps the offsets of the file. */
    raw.data = dp_buf_detach(text, &rlen);
    raw.len = rlen;
    raw.cap = rlen + 1;
    rc = utf8_fix(raw.data, raw.len, text, map, true, &fs);
    if (rc < 0) {
        rc = dp_error_set(err, rc, "%s", dp_status_str(rc));
        goto done;
    }
    if (fs.bad > 0)
        read_warn(warn, warn_ctx, display, line_of(raw.data, fs.first_bad),
                  "invalid UTF-8 at byte %zu, replaced by U+FFFD (%zu %s)",
                  fs.first_bad, fs.bad, fs.bad == 1 ? "time" : "times");
    if (fs.nuls > 0)
        read_warn(warn, warn_ctx, display, line_of(raw.data, fs.first_nul),
                  "NUL %s replaced by U+FFFD (%zu %s)",
                  fs.nuls == 1 ? "byte" : "bytes", fs.nuls,
                  fs.nuls == 1 ? "time" : "times");
    goto ok;
transcoded:
    /* Valid UTF-8 now, but U+0000 from a transcoded file is a NUL byte
     * too.  Offsets are those of the UTF-8 text: no map. */
    rc = replace_nuls(text, &first_nul);
    if (rc < 0) {
        rc = dp_error_set(err, rc, "%s", dp_status_str(rc));
        goto done;
    }
    if (rc > 0)
        read_warn(warn, warn_ctx, display, line_of(text->data, first_nul),
                  "NUL %s replaced by U+FFFD (%d %s)",
                  rc == 1 ? "byte" : "bytes", rc,
                  rc == 1 ? "time" : "times");
ok:
    rc = DP_OK;
done:
    dp_buf_release(&raw);
    if (rc < 0 && text)
        dp_buf_reset(text);
    if (rc < 0)
        dp_offmap_release(map);
    dp_offmap_release(&local);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Catalogue                                                            */
/* ------------------------------------------------------------------ */

typedef struct catalog_row {
    const char *file;
    dp_catalog_entry e;
    size_t line;        /* in the catalogue, from 1 */
    size_t first;       /* a duplicate: the line of the entry kept, else 0 */
    bool marked;        /* dp_catalog_mark() */
} catalog_row;

struct dp_catalog {
    char *text;             /* the file, cut into NUL-terminated fields */
    catalog_row *rows;      /* in line order, duplicates included */
    catalog_row **by_file;  /* the rows kept (no duplicate), by file */
    size_t n, n_kept;
};

/* The file name of @p row as a warning shows it: escaped (into @p shown),
 * so that an ESC or a newline from the catalogue never reaches the
 * terminal raw. */
static const char *row_name(const catalog_row *row, dp_buf *shown)
{
    return dp_term_escape(shown, row->file, strlen(row->file)) == DP_OK
               ? dp_buf_cstr(shown)
               : "(a name that could not be escaped)";
}

/* By file only, for bsearch(). */
static int cmp_row_file(const void *a, const void *b)
{
    return strcmp((*(const catalog_row *const *)a)->file,
                  (*(const catalog_row *const *)b)->file);
}

/* By file, then line: the first of duplicate rows comes first. */
static int cmp_rows(const void *a, const void *b)
{
    const catalog_row *x = *(const catalog_row *const *)a;
    const catalog_row *y = *(const catalog_row *const *)b;
    int d = cmp_row_file(a, b);

    return d != 0 ? d : x->line < y->line ? -1 : x->line > y->line;
}

/* Cut the next tab-separated field off the string *p; NULL when there is
 * none left. */
static char *next_field(char **p)
{
    char *f = *p, *tab;

    if (f != NULL) {
        tab = strchr(f, '\t');
        *p = tab ? tab + 1 : NULL;
        if (tab)
            *tab = '\0';
    }
    return f;
}

static char *trim(char *s)
{
    size_t n;

    while (*s == ' ')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int dp_catalog_load(dp_catalog **out, const char *path, dp_warn_cb warn,
                    void *warn_ctx, dp_error *err)
{
    dp_catalog *cat = NULL;
    dp_buf raw = DP_BUF_INIT, nfc = DP_BUF_INIT;
    catalog_row *rows = NULL, *bigger, **by_file = NULL;
    size_t n = 0, cap = 0, lineno = 0, i, j;
    char *p, *end, *eol, *file, *title, *date, *source, *tail;
    bool header_seen = false;
    struct stat st;
    int rc = DP_OK;

    *out = NULL;
    cat = calloc(1, sizeof *cat);
    if (cat == NULL)
        goto nomem;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        /* A link that leads nowhere is a catalogue that cannot be read,
         * not a missing one: its files would lose their titles. */
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
            rc = dp_error_set(err, DP_EIO, "%s: dangling symbolic link",
                              path);
            goto done;
        }
        goto ok;
    }
    dp_buf_init(&raw, CATALOG_MAX_BYTES);
    rc = read_all(path, &raw, err);
    if (rc < 0) {
        char why[DP_ERROR_MSG_MAX] = "";
        if (err)
            memcpy(why, err->msg, sizeof why);
        rc = dp_error_set(err, rc == DP_ENOMEM ? DP_ENOMEM : DP_EIO, "%s: %s",
                          path, why);
        goto done;
    }
    /* Decoded as the texts are: a catalogue saved by a spreadsheet is
     * often Windows-1252 or UTF-16 ("Unicode text"), transcoded with a
     * warning.  Never skipped as binary: its lines say what is wrong. */
    if (raw.len > 0) {
        rc = decode_text(path, &raw, NULL, true, warn, warn_ctx, err);
        if (rc == DP_ENOMEM)
            goto nomem;
        if (rc < 0)
            goto done;
    }
    if (raw.data == NULL || raw.len == 0)
        goto ok;
    p = raw.data;
    end = raw.data + raw.len;
    if (raw.len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        char *fp;
        lineno++;
        eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        *eol = '\0';
        fp = p;
        p = eol < end ? eol + 1 : end;
        /* Blank lines and '#' comments are not entries. */
        if (trim(fp)[0] == '\0' || fp[0] == '#')
            continue;
        tail = fp;
        file = next_field(&tail);
        title = next_field(&tail);
        date = next_field(&tail);
        source = next_field(&tail);
        file = trim(file);
        if (!header_seen && n == 0 && strcasecmp(file, "file") == 0) {
            header_seen = true;
            continue;
        }
        header_seen = true;
        if (strncmp(file, "./", 2) == 0)
            file += 2;
        /* Names compare in NFC (see dp_catalog_find()): in place, as NFC
         * is no longer than the NFD a name is most often written in. */
        if (dp_corpus_name_nfc(file, strlen(file), &nfc) < 0)
            goto nomem;
        if (nfc.len <= strlen(file))
            memcpy(file, nfc.data, nfc.len + 1);
        if (*file == '\0' || title == NULL) {
            read_warn(warn, warn_ctx, path, lineno,
                      "malformed catalogue line (expected file<TAB>title"
                      "[<TAB>date<TAB>source]), skipped");
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            bigger = realloc(rows, cap * sizeof *rows);
            if (bigger == NULL)
                goto nomem;
            rows = bigger;
        }
        rows[n].file = file;
        rows[n].e.title = trim(title);
        rows[n].e.date = date ? trim(date) : "";
        rows[n].e.source = source ? trim(source) : "";
        rows[n].line = lineno;
        rows[n].first = 0;
        rows[n].marked = false;
        n++;
    }
    /* Keep the first of duplicate rows (sorted by file, then line). */
    by_file = malloc((n ? n : 1) * sizeof *by_file);
    if (by_file == NULL)
        goto nomem;
    for (i = 0; i < n; i++)
        by_file[i] = &rows[i];
    if (n > 1)
        qsort(by_file, n, sizeof *by_file, cmp_rows);
    for (i = 0, j = 0; i < n; i++) {
        if (j > 0 && strcmp(by_file[j - 1]->file, by_file[i]->file) == 0)
            by_file[i]->first = by_file[j - 1]->line;
        else
            by_file[j++] = by_file[i];
    }
    cat->n_kept = j;
    /* Warned about in line order, as the other lines of the catalogue. */
    for (i = 0; i < n; i++) {
        dp_buf shown = DP_BUF_INIT;

        if (rows[i].first == 0)
            continue;
        read_warn(warn, warn_ctx, path, rows[i].line,
                  "duplicate catalogue entry for %s, the first (line %zu) "
                  "is kept", row_name(&rows[i], &shown), rows[i].first);
        dp_buf_release(&shown);
    }
ok:
    cat->text = dp_buf_detach(&raw, NULL);
    if (cat->text == NULL)
        goto nomem;
    cat->rows = rows;
    cat->by_file = by_file;
    cat->n = n;
    rows = NULL;
    by_file = NULL;
    *out = cat;
    cat = NULL;
    rc = DP_OK;
    goto done;
nomem:
    rc = dp_error_set(err, DP_ENOMEM, "%s: out of memory", path);
done:
    free(rows);
    free(by_file);
    dp_buf_release(&raw);
    dp_buf_release(&nfc);
    dp_catalog_free(cat);
    return rc;
}

/* The row of @p relpath, the name as it is or in NFC: a catalogue typed
 * with "é" names the file that macOS wrote with "e" + U+0301. */
static catalog_row *catalog_row_of(const dp_catalog *cat, const char *relpath)
{
    catalog_row key, *kp = &key, **r = NULL;
    dp_buf nfc = DP_BUF_INIT;

    if (cat == NULL || relpath == NULL || cat->n_kept == 0)
        return NULL;
    key.file = relpath;
    r = bsearch(&kp, cat->by_file, cat->n_kept, sizeof *cat->by_file,
                cmp_row_file);
    if (r == NULL &&
        dp_corpus_name_nfc(relpath, strlen(relpath), &nfc) == DP_OK &&
        strcmp(dp_buf_cstr(&nfc), relpath) != 0) {
        key.file = dp_buf_cstr(&nfc);
        r = bsearch(&kp, cat->by_file, cat->n_kept, sizeof *cat->by_file,
                    cmp_row_file);
    }
    dp_buf_release(&nfc);
    return r ? *r : NULL;
}

const dp_catalog_entry *dp_catalog_find(const dp_catalog *cat,
                                        const char *relpath)
{
    const catalog_row *r = catalog_row_of(cat, relpath);

    return r ? &r->e : NULL;
}

void dp_catalog_mark(dp_catalog *cat, const char *relpath)
{
    catalog_row *r = catalog_row_of(cat, relpath);

    if (r != NULL)
        r->marked = true;
}

void dp_catalog_warn_unmarked(const dp_catalog *cat, const char *path,
                              dp_warn_cb warn, void *warn_ctx)
{
    for (size_t i = 0; cat != NULL && i < cat->n; i++) {
        dp_buf shown = DP_BUF_INIT;

        /* A duplicate is never marked: its warning is given. */
        if (cat->rows[i].marked || cat->rows[i].first != 0)
            continue;
        read_warn(warn, warn_ctx, path, cat->rows[i].line,
                  "%s is listed but is no file of the corpus (moved, "
                  "renamed or not indexed?): its entry is not used",
                  row_name(&cat->rows[i], &shown));
        dp_buf_release(&shown);
    }
}

void dp_catalog_free(dp_catalog *cat)
{
    if (cat == NULL)
        return;
    free(cat->text);
    free(cat->rows);
    free(cat->by_file);
    free(cat);
}
