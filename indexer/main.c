/* main.c -- depeche-index: turn folders of French texts into an index. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "depeche/analyzer.h"
#include "depeche/budget.h"
#include "depeche/corpus.h"
#include "depeche/cpus.h"
#include "depeche/index.h"
#include "depeche/output.h"
#include "depeche/progress.h"

#define PROG "depeche-index"
#define DEFAULT_INDEX "depeche.db"
/* Commit after this much text: bounds the writer's memory, whatever the
 * number of files or passages. */
/* Uncommitted changes are committed when the heap has grown this much
 * since the last commit (MiB); docs/performance.md has the measurements. */
#define DEFAULT_COMMIT_MB 160
#define MAX_EXTS 32

/* A growable list of strings it owns: zeroed, then str_list_release(). */
typedef struct str_list {
    char **v;
    size_t n, cap;
} str_list;

/* Append a copy of @p s.  @return 0 or DP_ENOMEM. */
static int str_list_add(str_list *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return DP_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    if ((l->v[l->n] = strdup(s)) == NULL)
        return DP_ENOMEM;
    l->n++;
    return 0;
}

static void str_list_release(str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

typedef struct file_item {
    char *path;
    char *relpath;
    uint64_t size;
    dp_manifest_entry stat;  /* the walk's stat() (its stat fields only) */
    size_t root;        /* index into the roots and catalogues */
} file_item;

typedef struct file_list {
    file_item *v;
    size_t n, cap;
    uint64_t bytes;
    size_t root;
    str_list unwalked;  /* relpaths the walk could not read ("": a root) */
} file_list;

typedef struct options {
    const char *index;
    bool rebuild;
    int verbosity;      /* 0 quiet, 1 normal, 2 verbose */
    size_t commit_bytes;
    unsigned shards;    /* 0: as the index is (1 when new) */
    unsigned jobs;      /* threads for a full build */
    bool jobs_given;    /* -j on the command line (else: the processors) */
    const char *exts[MAX_EXTS + 1];
    char **roots;
    size_t nroots;
} options;

typedef struct counts {
    uint64_t indexed, unchanged, skipped, removed, warnings, passages;
    uint64_t bytes;     /* text bytes analysed */
} counts;

static void usage(FILE *fp)
{
    fputs("Usage: " PROG " [-d INDEX] [--rebuild] [--shards N] [-j N] "
          "[--ext EXT,...] [-q|-v] PATH...\n"
          "Index the *.txt and *.md files under each PATH (a folder or a "
          "file)\ninto passages searchable with depeche-search.\n\n"
          "  -d, --index INDEX   index directory (default: $DEPECHE_INDEX, "
          "else " DEFAULT_INDEX ")\n"
          "      --rebuild       discard the index and index everything "
          "again\n"
          "      --ext LIST      file extensions to index, comma-separated "
          "(default .txt,.md)\n"
          "      --commit-mb N   commit when the uncommitted changes hold "
          "N MiB of memory\n"
          "                      (default 160; bounds the indexer's "
          "memory)\n"
          "      --shards N      split the index into N shards (a folder "
          "with a Xapian stub;\n"
          "                      see docs/scale-out.md); changing N needs "
          "--rebuild\n"
          "  -j, --jobs N        a full build (new index, or --rebuild) on N "
          "threads:\n"
          "                      parts built side by side, then merged "
          "(default: the\n"
          "                      processors, at most 64)\n"
          "  -q, --quiet         no progress, no summary (warnings still "
          "shown)\n"
          "  -v, --verbose       name each file indexed, read again or "
          "removed\n"
          "  -h, --help          show this help\n"
          "      --version       show the version\n\n"
          "Re-runs are incremental: only new or changed files are indexed, "
          "removed\nfiles are deleted from the index.  Exit status: 0 done "
          "(even with\nwarnings), 2 fatal error (index unwritable, locked, "
          "bad arguments).\n", fp);
}

/* "s" unless @p n is 1: "1 file", "2 files", "0 files". */
static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* Print "depeche-index: WHAT NAME[ (NOTE)]" with NAME escaped. */
static void say_file(const char *what, const char *name, const char *note)
{
    dp_buf line = DP_BUF_INIT;

    /* One write per line: the threads of a -j build say their files
     * side by side, and stdio locks the stream for one call only. */
    if (dp_buf_addf(&line, PROG ": %s ", what) == 0 &&
        dp_term_escape(&line, name, strlen(name)) == 0 &&
        dp_buf_addf(&line, "%s%s%s\n", note ? " (" : "", note ? note : "",
                    note ? ")" : "") == 0)
        fputs(dp_buf_cstr(&line), stderr);
    dp_buf_release(&line);
}

/* One warning line into @p out: the file name escaped (a newline or an ESC
 * in a name must neither split the line nor reach the terminal raw). */
static int warn_format(dp_buf *out, const char *file, size_t line,
                       const char *msg)
{
    dp_buf name = DP_BUF_INIT;
    const char *shown = file;
    int rc;

    if (dp_term_escape(&name, file, strlen(file)) == DP_OK)
        shown = dp_buf_cstr(&name);
    if (line)
        rc = dp_buf_addf(out, PROG ": warning: %s:%zu: %s\n", shown, line,
                         msg);
    else
        rc = dp_buf_addf(out, PROG ": warning: %s: %s\n", shown, msg);
    dp_buf_release(&name);
    return rc;
}

static void warn_cb(const char *file, size_t line, const char *msg,
                    void *ctx)
{
    counts *c = ctx;
    dp_buf b = DP_BUF_INIT;

    c->warnings++;
    if (warn_format(&b, file, line, msg) == DP_OK)
        fputs(dp_buf_cstr(&b), stderr);
    else
        fprintf(stderr, PROG ": warning: %s\n", msg);
    dp_buf_release(&b);
}

/* The warnings of reading a file whose text may turn out unchanged: they
 * were given when it was indexed, so they are shown only if it is indexed
 * again (or skipped). */
typedef struct held_warnings {
    counts *c;
    dp_buf lines;       /* formatted, not yet printed */
    uint64_t n;
    bool lost;          /* out of memory: printed at once instead */
} held_warnings;

static void hold_cb(const char *file, size_t line, const char *msg,
                    void *ctx)
{
    held_warnings *h = ctx;

    if (!h->lost && warn_format(&h->lines, file, line, msg) == DP_OK) {
        h->n++;
        return;
    }
    h->lost = true;
    warn_cb(file, line, msg, h->c);
}

/* Print the held warnings (@p show) or drop them; empties @p h. */
static void held_release(held_warnings *h, bool show)
{
    if (show && h->n > 0) {
        fputs(dp_buf_cstr(&h->lines), stderr);
        h->c->warnings += h->n;
    }
    dp_buf_release(&h->lines);
    h->n = 0;
}

/* Parse --ext's @p list into o->exts; an error is printed, in one line
 * that says what is wrong.  @return 0 or -1. */
static int parse_exts(options *o, char *list)
{
    /* The copies made of "txt" as ".txt" live for the whole run, held
     * here (a later --ext replaces the list, and them). */
    static char *copies[MAX_EXTS];
    static size_t ncopies;
    size_t n = 0;

    while (ncopies > 0)
        free(copies[--ncopies]);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (n == MAX_EXTS) {
            fprintf(stderr, PROG ": error: --ext: too many extensions (at "
                    "most %d)\n", MAX_EXTS);
            return -1;
        }
        if (strcmp(tok, ".") == 0) {
            /* "." alone would match only names that end in a dot */
            fprintf(stderr, PROG ": error: --ext: '.' is an empty "
                    "extension; expected a list like .txt,.md\n");
            return -1;
        }
        if (tok[0] != '.') {
            /* accept "txt" as ".txt": tok points into argv, which has
             * room only for what is there, so shift via a copy */
            char *dot = malloc(strlen(tok) + 2);
            if (dot == NULL) {
                fputs(PROG ": error: out of memory\n", stderr);
                return -1;
            }
            dot[0] = '.';
            strcpy(dot + 1, tok);
            copies[ncopies++] = dot;
            tok = dot;
        }
        o->exts[n++] = tok;
    }
    o->exts[n] = NULL;
    if (n == 0)
        fprintf(stderr, PROG ": error: --ext: expected a list like "
                ".txt,.md\n");
    return n ? 0 : -1;
}

/* Long options without a short one: values no short option has, so that
 * optopt tells them from an unknown short option (option_error()). */
enum { O_REBUILD = 256, O_EXT, O_COMMIT_MB, O_SHARDS, O_VERSION };

/* The short options, ':' first: getopt_long() returns ':' for a missing
 * value, '?' for the other errors, and prints nothing (opterr is 0). */
#define SHORTS ":d:j:qvh"

/* One "depeche-index: error: ..." line for the option error getopt_long()
 * just returned (@p ch: ':' or '?'), as depeche-search words it, then the
 * "Try" line.  A long option is always the element before optind; a short
 * one may be inside a cluster ("-qx"), so only optopt names it. */
static void option_error(int ch, char **argv)
{
    const char *arg = argv[optind - 1];
    int n = (int)strcspn(arg, "=");
    bool is_long = arg[0] == '-' && arg[1] == '-';

    if (ch == ':' && is_long)
        fprintf(stderr, PROG ": error: %s needs a value\n", arg);
    else if (ch == ':')
        fprintf(stderr, PROG ": error: -%c needs a value\n", optopt);
    else if (optopt >= 256 ||
             (optopt > 0 && optopt != ':' && strchr(SHORTS, optopt)))
        fprintf(stderr, PROG ": error: %.*s takes no value\n", n, arg);
    else if (optopt > 0)
        fprintf(stderr, PROG ": error: unknown option -%c\n", optopt);
    else
        fprintf(stderr, PROG ": error: unknown or incomplete option %.*s\n",
                n, arg);
    fputs("Try '" PROG " --help'.\n", stderr);
}

static int parse_args(options *o, int argc, char **argv)
{
    static const struct option longs[] = {
        { "index", required_argument, NULL, 'd' },
        { "rebuild", no_argument, NULL, O_REBUILD },
        { "ext", required_argument, NULL, O_EXT },
        { "commit-mb", required_argument, NULL, O_COMMIT_MB },
        { "shards", required_argument, NULL, O_SHARDS },
        { "jobs", required_argument, NULL, 'j' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, O_VERSION },
        { NULL, 0, NULL, 0 },
    };
    const char *env = getenv("DEPECHE_INDEX");
    int ch;

    memset(o, 0, sizeof *o);
    o->index = env && *env ? env : DEFAULT_INDEX;
    o->verbosity = 1;
    o->commit_bytes = (size_t)DEFAULT_COMMIT_MB << 20;
    o->exts[0] = ".txt";
    o->exts[1] = ".md";
    /* A full build uses every processor the process may run on: the parts
     * cost no more memory (they share the commit budget) and the result
     * is the same index, compacted. */
    o->jobs = dp_cpus(64);
    opterr = 0; /* our own messages: option_error() */
    while ((ch = getopt_long(argc, argv, SHORTS, longs, NULL)) != -1) {
        switch (ch) {
        case 'd': o->index = optarg; break;
        case O_REBUILD: o->rebuild = true; break;
        case O_EXT:
            if (parse_exts(o, optarg) < 0)
                return 2;
            break;
        case O_COMMIT_MB: {
            char *end = NULL;
            unsigned long mb = strtoul(optarg, &end, 10);
            if (*end != '\0' || mb == 0 || mb > 65536) {
                fprintf(stderr, PROG ": error: --commit-mb: expected 1 to "
                        "65536\n");
                return 2;
            }
            o->commit_bytes = (size_t)mb << 20;
            break;
        }
        case O_SHARDS: {
            char *end = NULL;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end != '\0' || n == 0 || n > DP_MAX_SHARDS) {
                fprintf(stderr, PROG ": error: --shards: expected 1 to %d\n",
                        DP_MAX_SHARDS);
                return 2;
            }
            o->shards = (unsigned)n;
            break;
        }
        case 'j': {
            char *end = NULL;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end != '\0' || n == 0 || n > 64) {
                fprintf(stderr, PROG ": error: -j: expected 1 to 64\n");
                return 2;
            }
            o->jobs = (unsigned)n;
            o->jobs_given = true;
            break;
        }
        case 'q': o->verbosity = 0; break;
        case 'v': o->verbosity = 2; break;
        case 'h': usage(stdout); return 0;
        case O_VERSION: puts(PROG " 0.1.0"); return 0;
        default:
            option_error(ch, argv);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, PROG ": error: no PATH to index\n"
                "Try '" PROG " --help'.\n");
        return 2;
    }
    o->roots = argv + optind;
    o->nroots = (size_t)(argc - optind);
    return -1;
}

static int collect_cb(const dp_corpus_file *f, void *ctx)
{
    file_list *l = ctx;
    file_item *it;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        file_item *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return DP_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    it = &l->v[l->n];
    it->path = strdup(f->path);
    it->relpath = strdup(f->relpath);
    if (it->path == NULL || it->relpath == NULL) {
        free(it->path);
        free(it->relpath);
        return DP_ENOMEM;
    }
    it->size = f->size;
    memset(&it->stat, 0, sizeof it->stat);
    dp_index_manifest_fill_stat(&it->stat, f->st, f->stat_clock_ns);
    it->root = l->root;
    l->bytes += f->size;
    l->n++;
    return 0;
}

/* A folder (or entry) the walk could not read: the files of the index
 * under it are kept, as those of a file that cannot be read are. */
static int unwalked_cb(const char *relpath, void *ctx)
{
    file_list *l = ctx;

    return str_list_add(&l->unwalked, relpath);
}

/* Whether @p relpath is at or under one of the relpaths the walk could
 * not read. */
static bool under_unwalked(const file_list *l, const char *relpath)
{
    bool under = false;

    for (size_t i = 0; i < l->unwalked.n && !under; i++) {
        size_t n = strlen(l->unwalked.v[i]);
        under = n == 0 || (strncmp(relpath, l->unwalked.v[i], n) == 0 &&
                           (relpath[n] == '\0' || relpath[n] == '/'));
    }
    return under;
}

static int cmp_relpath(const void *a, const void *b)
{
    return strcmp(((const file_item *)a)->relpath,
                  ((const file_item *)b)->relpath);
}

static int cmp_item_ptr(const void *a, const void *b)
{
    const file_item *x = *(const file_item *const *)a;
    const file_item *y = *(const file_item *const *)b;
    int d = strcmp(x->relpath, y->relpath);

    /* Equal relpaths: in list order (the items are one array). */
    return d != 0 ? d : x < y ? -1 : x > y;
}

/* The same RELPATH found under two PATHs (or one folder given twice):
 * only the later one stays in @p l, since indexing it would replace the
 * first anyway; so each is indexed and counted once, and a -j build does
 * not put it in two parts (which would keep both).  One warning per
 * RELPATH.  @return DP_OK or DP_ENOMEM. */
static int drop_duplicates(file_list *l, counts *c)
{
    file_item **sorted = NULL;
    bool *drop = NULL;
    size_t i, j;
    int rc = DP_OK;

    if (l->n < 2)
        goto done;
    sorted = malloc(l->n * sizeof *sorted);
    drop = calloc(l->n, sizeof *drop);
    if (sorted == NULL || drop == NULL) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (i = 0; i < l->n; i++)
        sorted[i] = &l->v[i];
    qsort(sorted, l->n, sizeof *sorted, cmp_item_ptr);
    /* Each run of equal relpaths: all but the last in list order go. */
    for (i = 0; i < l->n; i = j) {
        for (j = i + 1; j < l->n &&
                        strcmp(sorted[j]->relpath, sorted[i]->relpath) == 0;
             j++)
            drop[sorted[j - 1] - l->v] = true;
        if (j - i > 1)
            warn_cb(sorted[i]->relpath, 0,
                    "found under two PATHs; only the later one is indexed", c);
    }
    for (i = j = 0; i < l->n; i++) {
        if (drop[i]) {
            l->bytes -= l->v[i].size;
            free(l->v[i].path);
            free(l->v[i].relpath);
        } else {
            l->v[j++] = l->v[i];
        }
    }
    l->n = j;
done:
    free(sorted);
    free(drop);
    return rc;
}

typedef struct remove_ctx {
    file_item *sorted;
    size_t n;
    const file_list *files;  /* for the folders the walk could not read */
    uint64_t kept;           /* files of the index kept under those */
    str_list gone;           /* relpaths to remove */
} remove_ctx;

static int find_removed_cb(const char *relpath, const dp_manifest_entry *e,
                           void *ctx)
{
    remove_ctx *r = ctx;
    file_item key;

    (void)e;
    key.relpath = (char *)relpath;
    if (bsearch(&key, r->sorted, r->n, sizeof key, cmp_relpath))
        return 0;
    if (under_unwalked(r->files, relpath)) {
        r->kept++;
        return 0;
    }
    return str_list_add(&r->gone, relpath);
}

static void fatal(const dp_error *err)
{
    fprintf(stderr, PROG ": error: %s\n", err->msg[0] ? err->msg
                                                      : dp_status_str(err->code));
}

/* Whether @p a and @p b hold the same stat fields, unknown ctimes
 * included (dp_index_manifest_stat_same() never matches those). */
static bool same_stat_fields(const dp_manifest_entry *a,
                             const dp_manifest_entry *b)
{
    return a->size == b->size && a->mtime_ns == b->mtime_ns &&
           a->ctime_ns == b->ctime_ns && a->ino == b->ino && a->dev == b->dev;
}

/* Index one file if it is new or changed.  @return DP_OK or a fatal
 * (index) error; problems with the file itself are warnings. */
static int index_one(dp_index *idx, dp_analyzer *an, const file_item *it,
                     const dp_catalog *cat, const options *o, dp_buf *text,
                     counts *c, dp_budget_writer *mem, dp_error *err)
{
    const dp_catalog_entry *ce = dp_catalog_find(cat, it->relpath);
    dp_index_file f;
    dp_offmap map = DP_OFFMAP_INIT;
    dp_manifest_entry old;
    held_warnings held = { c, DP_BUF_INIT, 0, false };
    bool known, same_text = false;
    dp_error ferr = DP_ERROR_INIT;
    int rc;

    memset(&f, 0, sizeof f);
    /* The walk's stat(), made before the file is read: a write after it
     * changes what the next run sees (a racy file's ctime is left
     * unknown, so that the next run reads it). */
    f.manifest = it->stat;
    f.relpath = it->relpath;
    f.title = ce ? ce->title : NULL;
    f.date = ce ? ce->date : NULL;
    f.source = ce ? ce->source : NULL;
    dp_index_hash_meta(f.title, f.date, f.source, f.manifest.meta_hash);
    rc = dp_index_manifest_get(idx, it->relpath, &old, err);
    if (rc < 0 && rc != DP_ENOTFOUND)
        goto done;
    known = rc == DP_OK;
    if (known && dp_index_manifest_stat_same(&old, &f.manifest) &&
        strcmp(old.meta_hash, f.manifest.meta_hash) == 0) {
        c->unchanged++;
        rc = DP_OK;
        goto done;
    }
    /* On failure the map is empty. */
    rc = dp_corpus_read_map(it->path, it->relpath, text, &map, hold_cb, &held,
                            &ferr);
    if (rc == DP_ESKIP) {
        c->skipped++;
        if (known) { /* it was text, now it is not: its passages go */
            rc = dp_index_remove_file(idx, it->relpath, err);
            if (rc < 0)
                goto done;
            c->removed++;
            if (o->verbosity > 1) {
                held_release(&held, true); /* why, before what */
                say_file("removed", it->relpath, NULL);
            }
        }
        rc = DP_OK;
        goto done;
    }
    if (rc == DP_ENOMEM) {
        rc = dp_error_set(err, rc, "%s: out of memory", it->relpath);
        goto done;
    }
    if (rc < 0) {
        /* Unreadable now: keep whatever was indexed of it. */
        held_release(&held, true);
        warn_cb(it->relpath, 0, ferr.msg[0] ? ferr.msg : dp_status_str(rc), c);
        c->skipped++;
        rc = DP_OK;
        goto done;
    }
    f.text = text->data ? text->data : "";
    f.len = text->len;
    f.offmap = &map;
    dp_index_hash_text(f.text, f.len, f.manifest.hash);
    if (known && strcmp(old.hash, f.manifest.hash) == 0 &&
        strcmp(old.meta_hash, f.manifest.meta_hash) == 0) {
        /* Touched, copied, moved back, or racy, with the same text: record
         * its new stat fields only, so that the next run need not read
         * it. */
        same_text = true;
        f.manifest.passages = old.passages;
        f.manifest.words = old.words;
        c->unchanged++;
        if (o->verbosity > 1)
            say_file("unchanged", it->relpath, "read: same text");
        /* Still racy and otherwise as recorded: nothing to write (and so
         * nothing to commit). */
        if (!same_stat_fields(&old, &f.manifest))
            rc = dp_index_manifest_set(idx, it->relpath, &f.manifest, err);
        goto done;
    }
    held_release(&held, true);
    rc = dp_index_add_file(idx, an, &f, err);
    if (rc < 0)
        goto done;
    if (o->verbosity > 1) {
        char note[40];
        snprintf(note, sizeof note, "%" PRIu32 " passage%s",
                 f.manifest.passages, plural(f.manifest.passages));
        say_file(known ? "reindexed" : "indexed", it->relpath, note);
    }
    c->indexed++;
    c->passages += f.manifest.passages;
    c->bytes += f.len;
    dp_budget_add_text(mem, f.len);
done:
    dp_offmap_release(&map);
    held_release(&held, !same_text);
    return rc;
}

/* ---- a full build on several threads ------------------------------------ */

/* Xapian writes one database from one thread.  A full build on N threads
 * gives each thread its own part (a private index); the threads take the
 * files from one queue, biggest first, so that they finish together
 * however fast each one runs.  The parts are then merged with Xapian's
 * compaction into a new index, which replaces the old one by a rename.  The old index stays locked and
 * readable until then; a crash leaves it as it was (and the parts, which
 * the next build removes). */

typedef struct part {
    const options *o;
    const file_item *const *queue; /* all the files, biggest first */
    size_t nqueue;
    atomic_size_t *next;        /* the queue's next file */
    atomic_bool *failed;        /* a part failed: the others stop */
    dp_catalog **cats;
    char *path;                 /* the part's index */
    counts c;
    dp_error err;
    int rc;
    atomic_uint_fast64_t *done_files, *done_bytes;
    dp_budget *budget;          /* shared by all the parts */
} part;

static void *part_main(void *arg)
{
    part *pt = arg;
    dp_index *idx = NULL;
    dp_analyzer *an = NULL;
    dp_buf text = DP_BUF_INIT;
    dp_budget_writer mem;
    int rc = dp_index_open(&idx, pt->path, DP_INDEX_REBUILD, &pt->err);

    dp_budget_writer_init(pt->budget, &mem);

    if (rc == 0)
        rc = dp_analyzer_new(&an, &pt->err);
    while (rc == 0 && !atomic_load(pt->failed)) {
        size_t i = atomic_fetch_add(pt->next, 1);
        const file_item *it;
        if (i >= pt->nqueue)
            break;
        it = pt->queue[i];
        rc = index_one(idx, an, it, pt->cats[it->root], pt->o, &text, &pt->c,
                       &mem, &pt->err);
        if (rc == 0 && dp_budget_due(pt->budget, &mem)) {
            rc = dp_index_commit(idx, &pt->err);
            dp_budget_committed(pt->budget, &mem);
        }
        atomic_fetch_add(pt->done_files, 1);
        atomic_fetch_add(pt->done_bytes, it->size);
    }
    if (rc == 0)
        rc = dp_index_commit(idx, &pt->err);
    if (rc < 0)
        atomic_store(pt->failed, true);
    pt->rc = rc;
    dp_buf_release(&text);
    dp_analyzer_free(an);
    dp_index_close(idx);
    return NULL;
}

static int rm_entry(const char *p, const struct stat *sb, int type,
                    struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(p);
}

static void rm_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Leftovers of a -j build that crashed: INDEX.parts (unfinished parts),
 * INDEX.new (a merge), INDEX.old (the index replaced).  INDEX itself is
 * missing only between the two renames of the swap, when INDEX.new is
 * complete: then the swap is finished.  A build in that moment holds the
 * lock of INDEX.old (which it took as INDEX), so nothing is renamed before
 * that lock is ours: a build still swapping makes this DP_ELOCKED.  Call
 * before anything else, without the lock of INDEX (which is missing).
 * @return DP_OK, DP_ELOCKED or DP_ENOMEM. */
static int recover_swap(const char *index, counts *c, dp_error *err)
{
    char *fresh = NULL, *old = NULL;
    dp_index *lock = NULL;
    struct stat sb;
    int rc = DP_OK;

    if (asprintf(&fresh, "%s.new", index) < 0 ||
        asprintf(&old, "%s.old", index) < 0) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    if (stat(index, &sb) == 0 || (stat(fresh, &sb) != 0 && stat(old, &sb) != 0))
        goto done;
    if (stat(old, &sb) == 0) {
        rc = dp_index_open(&lock, old, DP_INDEX_LOCK_EXISTING, err);
        if (rc == DP_ELOCKED)
            rc = dp_error_set(err, rc, "%s: index locked: another "
                              "depeche-index is writing it", index);
        if (rc < 0) /* not the old index lost to a leftover cleanup */
            goto done;
    }
    if (stat(fresh, &sb) == 0 && rename(fresh, index) == 0)
        warn_cb(index, 0, "finished the swap of an interrupted -j build", c);
    else if (lock != NULL && rename(old, index) == 0)
        warn_cb(index, 0, "restored the index an interrupted -j build "
                "was replacing", c);
done:
    dp_index_close(lock);
    free(fresh);
    free(old);
    return rc;
}

static void remove_leftovers(const char *index)
{
    static const char *const ext[] = { ".parts", ".new", ".old" };
    char *p = NULL;

    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        if (asprintf(&p, "%s%s", index, ext[i]) < 0)
            return;
        rm_tree(p);
        free(p);
    }
}

/* A build from nothing, which -j may split: a new plain index, or one
 * rebuilt; not a sharded one (its shards are written in turn). */
static bool full_build(const options *o)
{
    struct stat sb;
    char *stub = NULL;
    bool sharded;

    if (o->shards > 1)
        return false;
    if (asprintf(&stub, "%s/XAPIANDB", o->index) < 0)
        return false;
    sharded = stat(stub, &sb) == 0;
    free(stub);
    if (sharded)
        return false;
    return o->rebuild || stat(o->index, &sb) != 0;
}

static int cmp_size_desc(const void *a, const void *b)
{
    const file_item *x = *(const file_item *const *)a;
    const file_item *y = *(const file_item *const *)b;

    return x->size < y->size ? 1 : x->size > y->size ? -1
                                                    : strcmp(x->relpath,
                                                             y->relpath);
}

static int build_parallel(const options *o, const file_list *files,
                          dp_catalog **cats, counts *c, dp_error *err)
{
    dp_index *lock = NULL, *lock_new = NULL;
    part *parts = calloc(o->jobs, sizeof *parts);
    pthread_t *tids = calloc(o->jobs, sizeof *tids);
    const file_item **order = calloc(files->n ? files->n : 1, sizeof *order);
    const char **srcs = calloc(o->jobs, sizeof *srcs);
    char *parts_dir = NULL, *fresh = NULL, *old = NULL;
    atomic_uint_fast64_t done_files = 0, done_bytes = 0;
    atomic_size_t next = 0;
    atomic_bool failed = false;
    dp_budget budget;
    dp_progress prog;
    unsigned started = 0;
    struct stat sb;
    bool locked = false, keep = false; /* keep: INDEX.old and .new stay */
    int rc = DP_OK;

    dp_budget_init(&budget, o->commit_bytes, o->jobs, dp_budget_heap() > 0);
    if (!parts || !tids || !order || !srcs ||
        asprintf(&parts_dir, "%s.parts", o->index) < 0 ||
        asprintf(&fresh, "%s.new", o->index) < 0 ||
        asprintf(&old, "%s.old", o->index) < 0) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    /* Hold the index's write lock for the whole build: a second indexer
     * is refused, and the leftovers of a crashed build are ours to clear.
     * Without it, nothing beside the index is ours: not even the parts,
     * which may be those of the build that holds it. */
    rc = dp_index_open(&lock, o->index, DP_INDEX_LOCK, err);
    if (rc < 0)
        goto done;
    locked = true;
    remove_leftovers(o->index);
    if (mkdir(parts_dir, 0777) != 0) {
        rc = dp_error_set(err, DP_EIO, "%s: %s", parts_dir, strerror(errno));
        goto done;
    }
    /* Biggest files first: the last ones taken are the smallest. */
    for (size_t i = 0; i < files->n; i++)
        order[i] = &files->v[i];
    qsort(order, files->n, sizeof *order, cmp_size_desc);
    for (unsigned t = 0; t < o->jobs; t++) {
        if (asprintf(&parts[t].path, "%s/part%u", parts_dir, t) < 0) {
            rc = dp_error_set(err, DP_ENOMEM, "out of memory");
            goto done;
        }
        parts[t].o = o;
        parts[t].queue = order;
        parts[t].nqueue = files->n;
        parts[t].next = &next;
        parts[t].failed = &failed;
        parts[t].cats = cats;
        parts[t].done_files = &done_files;
        parts[t].done_bytes = &done_bytes;
        parts[t].budget = &budget;
        srcs[t] = parts[t].path;
    }
    for (started = 0; started < o->jobs; started++) {
        if (pthread_create(&tids[started], NULL, part_main,
                           &parts[started]) != 0) {
            rc = dp_error_set(err, DP_ENOMEM, "cannot start a thread");
            atomic_store(&failed, true);
            break;
        }
    }
    dp_progress_init(&prog, stderr, o->verbosity > 0 && isatty(STDERR_FILENO),
                     "indexing", "files");
    while (rc == 0 && !atomic_load(&failed) &&
           atomic_load(&done_files) < files->n) {
        dp_progress_update(&prog, atomic_load(&done_files), files->n,
                           atomic_load(&done_bytes), files->bytes);
        usleep(100 * 1000);
    }
    for (unsigned t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    dp_progress_finish(&prog);
    for (unsigned t = 0; t < started; t++) {
        c->indexed += parts[t].c.indexed;
        c->skipped += parts[t].c.skipped;
        c->warnings += parts[t].c.warnings;
        c->passages += parts[t].c.passages;
        c->bytes += parts[t].c.bytes;
        if (rc == 0 && parts[t].rc < 0) {
            *err = parts[t].err;
            rc = parts[t].rc;
        }
    }
    if (rc < 0)
        goto done;
    rc = dp_index_merge(srcs, o->jobs, fresh, err);
    if (rc < 0)
        goto done;
    /* The new index is locked before it becomes INDEX: once it has, a
     * second indexer locks INDEX, not what the lock above still holds,
     * and the leftovers below are not yet cleared. */
    rc = dp_index_open(&lock_new, fresh, DP_INDEX_LOCK_EXISTING, err);
    if (rc < 0)
        goto done;
    /* The swap: two renames; readers that have the old index open keep
     * reading it. */
    if (stat(o->index, &sb) == 0 && rename(o->index, old) != 0) {
        rc = dp_error_set(err, DP_EIO, "%s: %s", o->index, strerror(errno));
        goto done;
    }
    if (rename(fresh, o->index) != 0) {
        int e = errno;
        if (rename(old, o->index) == 0) {
            rc = dp_error_set(err, DP_EIO, "%s: %s", o->index, strerror(e));
        } else {
            /* Something took INDEX's place: neither index may go. */
            keep = true;
            rc = dp_error_set(err, DP_EIO, "%s: %s; the previous index is "
                              "kept as %s and the new one as %s", o->index,
                              strerror(e), old, fresh);
        }
        goto done;
    }
done:
    if (locked) {
        rm_tree(parts_dir);
        if (!keep)
            rm_tree(old);
        if (rc < 0 && !keep)
            rm_tree(fresh);
    }
    dp_index_close(lock_new);
    dp_index_close(lock);
    for (unsigned t = 0; parts && t < o->jobs; t++) {
        free(parts[t].path);
    }
    free(parts);
    free(tids);
    free(order);
    free(srcs);
    free(parts_dir);
    free(fresh);
    free(old);
    dp_budget_release(&budget);
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    counts c;
    file_list files = { 0 };
    dp_catalog **cats = NULL;
    dp_index *idx = NULL;
    dp_analyzer *an = NULL;
    dp_buf text = DP_BUF_INIT;
    dp_error err = DP_ERROR_INIT;
    dp_progress prog;
    remove_ctx rm = { 0 };
    dp_budget budget;
    dp_budget_writer mem;
    bool budget_on = false;
    uint64_t seen_bytes = 0;   /* file sizes gone through, for progress */
    double t0 = dp_progress_now(), secs;
    int status = 2, rc;

    memset(&c, 0, sizeof c);
    rc = parse_args(&o, argc, argv);
    if (rc >= 0)
        return rc;

    cats = calloc(o.nroots, sizeof *cats);
    if (cats == NULL) {
        fputs(PROG ": error: out of memory\n", stderr);
        goto done;
    }
    for (size_t i = 0; i < o.nroots; i++) {
        size_t walk_skipped = 0;
        dp_walk_opts wo = { o.exts, warn_cb, &c, unwalked_cb, &files,
                            &walk_skipped };
        struct stat sb;
        if (stat(o.roots[i], &sb) != 0) {
            fprintf(stderr, PROG ": error: %s: %s\n", o.roots[i],
                    strerror(errno));
            goto done;
        }
        if (S_ISDIR(sb.st_mode)) {
            char *cpath = NULL;
            if (asprintf(&cpath, "%s/" DP_CATALOG_NAME, o.roots[i]) < 0) {
                fputs(PROG ": error: out of memory\n", stderr);
                goto done;
            }
            /* A folder that cannot be searched hides its catalogue too:
             * the walk says what is wrong with the folder (whose files
             * are kept), not that the catalogue cannot be opened. */
            if (stat(cpath, &sb) != 0 && errno == EACCES)
                rc = DP_OK;
            else
                rc = dp_catalog_load(&cats[i], cpath, warn_cb, &c, &err);
            free(cpath);
            if (rc < 0) {
                fatal(&err);
                goto done;
            }
        }
        files.root = i;
        rc = dp_corpus_walk(o.roots[i], &wo, collect_cb, &files, &err);
        c.skipped += walk_skipped;
        if (rc < 0) {
            if (rc == DP_ENOMEM && err.msg[0] == '\0')
                dp_error_set(&err, rc, "out of memory");
            fatal(&err);
            goto done;
        }
    }

    /* A catalogue entry of no file (the file moved, renamed): its title
     * would be lost in silence.  Marked before the duplicates go: a
     * folder given twice has its files, whichever copy is indexed. */
    for (size_t i = 0; i < files.n; i++)
        dp_catalog_mark(cats[files.v[i].root], files.v[i].relpath);
    if (drop_duplicates(&files, &c) < 0) {
        fputs(PROG ": error: out of memory\n", stderr);
        goto done;
    }
    for (size_t i = 0; i < o.nroots; i++) {
        char *cpath = NULL;
        if (cats[i] == NULL)
            continue;
        if (asprintf(&cpath, "%s/" DP_CATALOG_NAME, o.roots[i]) < 0) {
            fputs(PROG ": error: out of memory\n", stderr);
            goto done;
        }
        dp_catalog_warn_unmarked(cats[i], cpath, warn_cb, &c);
        free(cpath);
    }
    rc = recover_swap(o.index, &c, &err);
    if (rc < 0) {
        fatal(&err);
        goto done;
    }
    /* No more threads than files. */
    if (o.jobs > files.n)
        o.jobs = files.n > 0 ? (unsigned)files.n : 1;
    if (o.jobs > 1 && full_build(&o)) {
        rc = build_parallel(&o, &files, cats, &c, &err);
        if (rc < 0) {
            fatal(&err);
            goto done;
        }
        goto summary;
    }
    rc = dp_index_open_shards(&idx, o.index, o.rebuild ? DP_INDEX_REBUILD
                                                       : DP_INDEX_WRITE,
                              o.shards, &err);
    if (rc < 0) {
        fatal(&err);
        goto done;
    }
    remove_leftovers(o.index); /* we hold the lock now */
    if (o.jobs > 1 && o.jobs_given && o.verbosity > 1)
        fprintf(stderr, PROG ": -j applies to full builds; this incremental "
                "run uses one thread\n");
    rc = dp_analyzer_new(&an, &err);
    if (rc < 0) {
        fatal(&err);
        goto done;
    }

    dp_budget_init(&budget, o.commit_bytes, 1, dp_budget_heap() > 0);
    dp_budget_writer_init(&budget, &mem);
    budget_on = true;
    dp_progress_init(&prog, stderr, o.verbosity > 0 && isatty(STDERR_FILENO),
                     "indexing", "files");
    for (size_t i = 0; i < files.n; i++) {
        const file_item *it = &files.v[i];
        rc = index_one(idx, an, it, cats[it->root], &o, &text, &c, &mem,
                       &err);
        if (rc < 0) {
            dp_progress_finish(&prog);
            fatal(&err);
            goto done;
        }
        if (dp_budget_due(&budget, &mem)) {
            rc = dp_index_commit(idx, &err);
            if (rc < 0) {
                dp_progress_finish(&prog);
                fatal(&err);
                goto done;
            }
            dp_budget_committed(&budget, &mem);
        }
        seen_bytes += it->size;
        dp_progress_update(&prog, i + 1, files.n, seen_bytes, files.bytes);
    }
    dp_progress_finish(&prog);

    /* Files indexed before but not found now are removed. */
    rm.sorted = malloc((files.n ? files.n : 1) * sizeof *rm.sorted);
    if (rm.sorted == NULL) {
        fputs(PROG ": error: out of memory\n", stderr);
        goto done;
    }
    if (files.n > 0) {
        memcpy(rm.sorted, files.v, files.n * sizeof *rm.sorted);
        qsort(rm.sorted, files.n, sizeof *rm.sorted, cmp_relpath);
    }
    rm.n = files.n;
    rm.files = &files;
    rc = dp_index_manifest_each(idx, find_removed_cb, &rm, &err);
    if (rc < 0) {
        if (err.msg[0] == '\0')
            dp_error_set(&err, rc, "%s", dp_status_str(rc));
        fatal(&err);
        goto done;
    }
    /* Kept under a folder that could not be read: not indexed in this
     * run, as an unreadable file is not. */
    c.skipped += rm.kept;
    for (size_t i = 0; i < rm.gone.n; i++) {
        rc = dp_index_remove_file(idx, rm.gone.v[i], &err);
        if (rc < 0) {
            fatal(&err);
            goto done;
        }
        if (o.verbosity > 1)
            say_file("removed", rm.gone.v[i], NULL);
        c.removed++;
    }
    rc = dp_index_commit(idx, &err);
    if (rc < 0) {
        fatal(&err);
        goto done;
    }
summary:
    secs = dp_progress_now() - t0;
    if (o.verbosity > 0)
        fprintf(stderr,
                PROG ": %" PRIu64 " file%s indexed, %" PRIu64 " unchanged, "
                "%" PRIu64 " skipped, %" PRIu64 " removed; %" PRIu64
                " passage%s; %.1f MB in %.2f s (%.1f MB/s)%s\n",
                c.indexed, plural(c.indexed), c.unchanged, c.skipped,
                c.removed, c.passages, plural(c.passages),
                (double)c.bytes / 1e6, secs,
                secs > 0 ? (double)c.bytes / 1e6 / secs : 0.0,
                c.warnings ? "; see warnings above" : "");
    status = 0;
done:
    str_list_release(&rm.gone);
    free(rm.sorted);
    for (size_t i = 0; i < files.n; i++) {
        free(files.v[i].path);
        free(files.v[i].relpath);
    }
    free(files.v);
    str_list_release(&files.unwalked);
    for (size_t i = 0; cats && i < o.nroots; i++)
        dp_catalog_free(cats[i]);
    free(cats);
    if (budget_on)
        dp_budget_release(&budget);
    dp_buf_release(&text);
    dp_analyzer_free(an);
    dp_index_close(idx);
    return status;
}
