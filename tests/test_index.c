/* test_index.c -- the index: records, keys, manifest, files, atomicity. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "depeche/index.h"
#include "depeche/search.h"
#include "index_internal.h"

typedef struct fixture {
    char dir[64];
    char path[96];
    dp_analyzer *an;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);

    if (fx == NULL)
        return -1;
    strcpy(fx->dir, "/tmp/depeche-test-index.XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/idx", fx->dir);
    if (dp_analyzer_new(&fx->an, NULL) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    dp_analyzer_free(fx->an);
    free(fx);
    return 0;
}

static const char TEXT[] =
    "Relations diplomatiques\n"
    "L'Azerbaïdjan et le Pakistan ont établi des relations en 1991.\n"
    "La coopération militaire date de 2002.\n";

static void add_text(dp_index *idx, dp_analyzer *an, const char *relpath,
                     const char *text, const char *title)
{
    dp_index_file f;
    dp_error err = DP_ERROR_INIT;

    memset(&f, 0, sizeof f);
    f.relpath = relpath;
    f.text = text;
    f.len = strlen(text);
    f.title = title;
    dp_index_hash_text(f.text, f.len, f.manifest.hash);
    dp_index_hash_meta(title, NULL, NULL, f.manifest.meta_hash);
    f.manifest.size = f.len;
    f.manifest.mtime_ns = 42;
    assert_int_equal(dp_index_add_file(idx, an, &f, &err), DP_OK);
}

static void test_index_record_round_trip(void **state)
{
    static const struct {
        const char *relpath, *section, *text;
        uint32_t ordinal, line;
        uint64_t start, end;
        bool numbered;
        uint32_t paragraph;
    } cases[] = {
        { "a.txt", "", "", 1, 1, 0, 0, false, 0 },
        { "dir/000_x.txt", "Réunions officielles", "Farooq Leghari …", 3, 4,
          700, 1047, false, 0 },
        { "001.txt", "Déclaration", "12. La Chine soutient", 35, 39, 9000,
          9400, true, 12 },
        { "001.txt", "Paris", "Ce 23 avril", 1, 4, 60, 500, true, 0 },
        { "big.txt", "S", "x", UINT32_MAX, UINT32_MAX, UINT64_MAX - 1,
          UINT64_MAX, true, UINT32_MAX },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dp_record in, out;
        dp_buf b = DP_BUF_INIT;
        memset(&in, 0, sizeof in);
        in.relpath = cases[i].relpath;
        in.relpath_len = strlen(cases[i].relpath);
        in.ordinal = cases[i].ordinal;
        in.line = cases[i].line;
        in.line_end = cases[i].line;
        in.col = 1;
        in.byte_start = cases[i].start;
        in.byte_end = cases[i].end;
        in.section = cases[i].section;
        in.section_len = strlen(cases[i].section);
        in.text = cases[i].text;
        in.text_len = strlen(cases[i].text);
        in.numbered = cases[i].numbered;
        in.paragraph = cases[i].paragraph;
        assert_int_equal(dp_record_encode(&in, &b), DP_OK);
        assert_int_equal(dp_record_decode(b.data, b.len, &out), DP_OK);
        assert_int_equal(out.ordinal, in.ordinal);
        assert_int_equal(out.line, in.line);
        assert_true(out.byte_start == in.byte_start);
        assert_true(out.byte_end == in.byte_end);
        assert_memory_equal(out.relpath, in.relpath, in.relpath_len);
        assert_int_equal(out.section_len, in.section_len);
        assert_int_equal(out.text_len, in.text_len);
        assert_int_equal(out.title_len, 0);
        assert_int_equal(out.numbered, in.numbered);
        assert_int_equal(out.paragraph, in.paragraph);
        /* Every truncation of a record is refused, never over-read. */
        for (size_t cut = 0; cut < b.len; cut++)
            assert_int_equal(dp_record_decode(b.data, cut, &out),
                             DP_ECORRUPT);
        dp_buf_release(&b);
    }
}

static void test_index_record_rejects_garbage(void **state)
{
    static const struct { const char *bytes; size_t len; } cases[] = {
        { "", 0 },
        { "\x03", 1 },                          /* unknown version */
        { "\x01\x05a.txt\x01\x01\x01\x01\x00\x05\x00\x00\x00\x00\x05"
          "hello", 23 },                        /* version 1 (schema 5) */
        { "\x02", 1 },                         /* truncated */
        { "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11 },
        { "\x01\x7f" "abc", 5 },                /* string past the end */
    };
    dp_record rec;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(dp_record_decode(cases[i].bytes, cases[i].len, &rec),
                         DP_ECORRUPT);
}

static void test_index_path_key_hashes_long_paths(void **state)
{
    char longp[400];
    dp_buf a = DP_BUF_INIT, b = DP_BUF_INIT;
    (void)state;
    assert_int_equal(dp_index_path_key('F', "x/y.txt", 7, &a), DP_OK);
    assert_string_equal(dp_buf_cstr(&a), "Fx/y.txt");
    memset(longp, 'a', sizeof longp);
    dp_buf_reset(&a);
    assert_int_equal(dp_index_path_key('F', longp, sizeof longp, &a), DP_OK);
    assert_int_equal(a.len, 2 + 32);
    assert_int_equal(a.data[1], '/');
    longp[399] = 'b';
    assert_int_equal(dp_index_path_key('F', longp, sizeof longp, &b), DP_OK);
    assert_int_equal(b.len, 2 + 32);
    assert_string_not_equal(dp_buf_cstr(&a), dp_buf_cstr(&b));
    dp_buf_release(&a);
    dp_buf_release(&b);
}

static void test_index_add_get_remove(void **state)
{
    fixture *fx = *state;
    dp_index *idx = NULL;
    dp_record rec;
    dp_buf st = DP_BUF_INIT;
    dp_manifest_entry e;
    dp_index_stats stats;
    dp_error err = DP_ERROR_INIT;

    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    add_text(idx, fx->an, "doc.txt", TEXT, "Un titre");
    add_text(idx, fx->an, "autre.txt", "Un seul paragraphe.\n", NULL);
    assert_int_equal(dp_index_commit(idx, &err), DP_OK);

    assert_int_equal(dp_index_manifest_get(idx, "doc.txt", &e, &err), DP_OK);
    assert_int_equal(e.passages, 2);
    assert_int_equal(e.mtime_ns, 42);
    assert_int_equal(dp_index_manifest_get(idx, "nope.txt", &e, &err),
                     DP_ENOTFOUND);

    assert_int_equal(dp_index_get_passage(idx, "doc.txt", 7, 2, &rec, &st,
                                          &err), DP_OK);
    assert_int_equal(rec.line, 3);
    assert_int_equal(rec.col, 1);
    assert_memory_equal(rec.section, "Relations diplomatiques", 23);
    assert_memory_equal(rec.title, "Un titre", 8);
    assert_memory_equal(rec.text, TEXT + rec.byte_start, rec.text_len);
    assert_int_equal(dp_index_get_passage(idx, "doc.txt", 7, 3, &rec, &st,
                                          &err), DP_ENOTFOUND);
    /* No catalogue title: the file name stands in. */
    assert_int_equal(dp_index_get_passage(idx, "autre.txt", 9, 1, &rec, &st,
                                          &err), DP_OK);
    assert_memory_equal(rec.title, "autre.txt", 9);

    assert_int_equal(dp_index_stats_get(idx, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 3);
    assert_int_equal(stats.files, 2);

    /* Replacing a file replaces its passages. */
    add_text(idx, fx->an, "doc.txt", "Un texte neuf.\n", "Un titre");
    assert_int_equal(dp_index_commit(idx, &err), DP_OK);
    assert_int_equal(dp_index_stats_get(idx, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 2);

    assert_int_equal(dp_index_remove_file(idx, "doc.txt", &err), DP_OK);
    assert_int_equal(dp_index_commit(idx, &err), DP_OK);
    assert_int_equal(dp_index_manifest_get(idx, "doc.txt", &e, &err),
                     DP_ENOTFOUND);
    assert_int_equal(dp_index_stats_get(idx, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 1);
    assert_int_equal(stats.files, 1);
    dp_index_close(idx);
    dp_buf_release(&st);
}

/* A changed file is updated passage by passage: which stored passage's
 * document each passage of the new version becomes, given the text
 * before and after ('1'-'9': that of passage N before, kept or replaced
 * in place; '.': a new document). */
static const struct {
    const char *before, *after;
    uint32_t passages;      /* after */
    const char *from;
} PBP[] = {
    /* a paragraph appended */
    { "Un.\n\nDeux.\n\nTrois.\n", "Un.\n\nDeux.\n\nTrois.\n\nQuatre.\n", 4, "123." },
    /* a word changed: that passage is replaced in place */
    { "Un.\n\nDeux.\n\nTrois.\n", "Un.\n\nDeux bis.\n\nTrois.\n", 3, "123" },
    /* the last paragraph removed */
    { "Un.\n\nDeux.\n\nTrois.\n", "Un.\n\nDeux.\n", 2, "12" },
    /* the lines below a change move */
    { "Un.\n\nDeux.\n\nTrois.\n", "Un\ndeux.\n\nDeux.\n\nTrois.\n", 3, "123" },
    /* a paragraph inserted first: the others keep their documents */
    { "Un.\n\nDeux.\n\nTrois.\n", "Zéro.\n\nUn.\n\nDeux.\n\nTrois.\n", 4, ".123" },
    /* two paragraphs swapped */
    { "Un.\n\nDeux.\n\nTrois.\n", "Deux.\n\nUn.\n\nTrois.\n", 3, "213" },
    /* the first paragraph removed */
    { "Un.\n\nDeux.\n\nTrois.\n", "Deux.\n\nTrois.\n", 2, "23" },
};

static void test_index_changed_file_passage_by_passage(void **state)
{
    fixture *fx = *state;
    dp_error err = DP_ERROR_INIT;

    for (size_t i = 0; i < sizeof PBP / sizeof PBP[0]; i++) {
        dp_index *idx = NULL;
        dp_manifest_entry e;
        dp_record rec;
        dp_buf st = DP_BUF_INIT;
        uint32_t before[8] = { 0 }, docid = 0;
        size_t alen = strlen(PBP[i].after);

        assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_REBUILD,
                                       &err), DP_OK);
        add_text(idx, fx->an, "f.txt", PBP[i].before, "T");
        assert_int_equal(dp_index_commit(idx, &err), DP_OK);
        for (uint32_t n = 1; n <= 3; n++)
            assert_int_equal(dp_index_passage_docid(idx, "f.txt", 5, n,
                                                    &before[n], &err), DP_OK);
        add_text(idx, fx->an, "f.txt", PBP[i].after, "T");
        assert_int_equal(dp_index_commit(idx, &err), DP_OK);
        assert_int_equal(dp_index_manifest_get(idx, "f.txt", &e, &err), DP_OK);
        assert_int_equal(e.passages, PBP[i].passages);
        for (uint32_t n = 1; n <= PBP[i].passages; n++) {
            /* Every passage holds its text of the new version... */
            assert_int_equal(dp_index_get_passage(idx, "f.txt", 5, n, &rec,
                                                  &st, &err), DP_OK);
            assert_true(rec.byte_end <= alen);
            assert_memory_equal(rec.text, PBP[i].after + rec.byte_start,
                                rec.text_len);
            /* ... in the document the table says. */
            char from = PBP[i].from[n - 1];
            assert_int_equal(dp_index_passage_docid(idx, "f.txt", 5, n,
                                                    &docid, &err), DP_OK);
            if (from == '.') {
                for (uint32_t m = 1; m <= 3; m++)
                    assert_int_not_equal(docid, before[m]);
            } else {
                assert_int_equal(docid, before[from - '0']);
            }
        }
        assert_int_equal(dp_index_passage_docid(idx, "f.txt", 5,
                                                PBP[i].passages + 1, &docid,
                                                &err), DP_ENOTFOUND);
        dp_index_close(idx);
        dp_buf_release(&st);
    }
}

static void test_index_uncommitted_changes_are_discarded(void **state)
{
    fixture *fx = *state;
    dp_index *idx = NULL;
    dp_index_stats stats;
    dp_error err = DP_ERROR_INIT;

    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    add_text(idx, fx->an, "doc.txt", TEXT, NULL);
    assert_int_equal(dp_index_commit(idx, &err), DP_OK);
    add_text(idx, fx->an, "lost.txt", "Jamais publié.\n", NULL);
    dp_index_close(idx); /* no commit: as if killed */

    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_READ, &err),
                     DP_OK);
    assert_int_equal(dp_index_stats_get(idx, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 2);
    assert_int_equal(stats.files, 1);
    dp_index_close(idx);
}

static void test_index_rebuild_is_atomic(void **state)
{
    fixture *fx = *state;
    dp_index *w = NULL, *r = NULL;
    dp_index_stats stats;
    dp_error err = DP_ERROR_INIT;

    assert_int_equal(dp_index_open(&w, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    add_text(w, fx->an, "doc.txt", TEXT, NULL);
    assert_int_equal(dp_index_commit(w, &err), DP_OK);
    dp_index_close(w);

    /* A rebuild that never commits (killed) leaves the old index. */
    assert_int_equal(dp_index_open(&w, fx->path, DP_INDEX_REBUILD, &err),
                     DP_OK);
    assert_int_equal(dp_index_open(&r, fx->path, DP_INDEX_READ, &err), DP_OK);
    assert_int_equal(dp_index_stats_get(r, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 2);
    dp_index_close(w);
    assert_int_equal(dp_index_reopen(r, &err), DP_OK);
    assert_int_equal(dp_index_stats_get(r, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 2);
    assert_int_equal(stats.files, 1);

    /* A committed rebuild replaces everything. */
    assert_int_equal(dp_index_open(&w, fx->path, DP_INDEX_REBUILD, &err),
                     DP_OK);
    add_text(w, fx->an, "new.txt", "Seul texte.\n", NULL);
    assert_int_equal(dp_index_commit(w, &err), DP_OK);
    dp_index_close(w);
    assert_int_equal(dp_index_reopen(r, &err), DP_OK);
    assert_int_equal(dp_index_stats_get(r, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 1);
    assert_int_equal(stats.files, 1);
    dp_index_close(r);
    /* The rebuilt index still carries its schema. */
    assert_int_equal(dp_index_open(&r, fx->path, DP_INDEX_READ, &err), DP_OK);
    dp_index_close(r);
}

static void test_index_second_writer_is_locked_readers_work(void **state)
{
    fixture *fx = *state;
    dp_index *w1 = NULL, *w2 = NULL, *r = NULL;
    dp_index_stats stats;
    dp_error err = DP_ERROR_INIT;

    assert_int_equal(dp_index_open(&w1, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    add_text(w1, fx->an, "doc.txt", TEXT, NULL);
    assert_int_equal(dp_index_commit(w1, &err), DP_OK);
    assert_int_equal(dp_index_open(&w2, fx->path, DP_INDEX_WRITE, &err),
                     DP_ELOCKED);
    assert_non_null(strstr(err.msg, "locked"));
    assert_null(w2);
    assert_int_equal(dp_index_open(&r, fx->path, DP_INDEX_READ, &err), DP_OK);
    add_text(w1, fx->an, "b.txt", "Deuxième fichier.\n", NULL);
    assert_int_equal(dp_index_commit(w1, &err), DP_OK);
    /* The reader sees its revision until it reopens. */
    assert_int_equal(dp_index_stats_get(r, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 2);
    assert_int_equal(dp_index_reopen(r, &err), DP_OK);
    assert_int_equal(dp_index_stats_get(r, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 3);
    dp_index_close(r);
    dp_index_close(w1);
}

/* DP_INDEX_LOCK_EXISTING holds the lock of an index set aside by a -j
 * build (INDEX.old, INDEX.new): one held by a writer is DP_ELOCKED, a
 * missing one is an error and is not created, and a free one is locked
 * with nothing changed. */
static void test_index_lock_existing(void **state)
{
    fixture *fx = *state;
    dp_index *w = NULL, *lk = NULL, *r = NULL;
    dp_index_stats stats;
    struct stat sb;
    char path[128];
    dp_error err = DP_ERROR_INIT;

    snprintf(path, sizeof path, "%s/none", fx->dir);
    assert_true(dp_index_open(&lk, path, DP_INDEX_LOCK_EXISTING, &err) < 0);
    assert_null(lk);
    assert_int_not_equal(stat(path, &sb), 0);
    assert_int_equal(dp_index_open(&w, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    add_text(w, fx->an, "doc.txt", TEXT, NULL);
    assert_int_equal(dp_index_commit(w, &err), DP_OK);
    assert_int_equal(dp_index_open(&lk, fx->path, DP_INDEX_LOCK_EXISTING,
                                   &err), DP_ELOCKED);
    assert_null(lk);
    dp_index_close(w);
    assert_int_equal(dp_index_open(&lk, fx->path, DP_INDEX_LOCK_EXISTING,
                                   &err), DP_OK);
    assert_int_equal(dp_index_open(&w, fx->path, DP_INDEX_WRITE, &err),
                     DP_ELOCKED);
    dp_index_close(lk);
    assert_int_equal(dp_index_open(&r, fx->path, DP_INDEX_READ, &err), DP_OK);
    assert_int_equal(dp_index_stats_get(r, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 2);
    dp_index_close(r);
}

static void test_index_schema_mismatch_says_rebuild(void **state)
{
    fixture *fx = *state;
    dp_index *idx = NULL;
    xshim_db *db = NULL;
    dp_error err = DP_ERROR_INIT;

    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    add_text(idx, fx->an, "doc.txt", TEXT, NULL);
    assert_int_equal(dp_index_commit(idx, &err), DP_OK);
    dp_index_close(idx);
    /* Pretend a future version wrote it. */
    assert_int_equal(xshim_db_open(&db, fx->path, XSHIM_OPEN_WRITE, &err),
                     DP_OK);
    assert_int_equal(xshim_db_set_metadata(db, "depeche:schema", "99", 2,
                                           &err), DP_OK);
    assert_int_equal(xshim_db_commit(db, &err), DP_OK);
    xshim_db_close(db);

    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_READ, &err),
                     DP_ESCHEMA);
    assert_non_null(strstr(err.msg, "depeche-index --rebuild"));
    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_WRITE, &err),
                     DP_ESCHEMA);
    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_REBUILD, &err),
                     DP_OK);
    dp_index_close(idx);
}

static void test_index_missing_or_not_an_index(void **state)
{
    fixture *fx = *state;
    dp_index *idx = NULL;
    char path[128];
    FILE *fp = NULL;
    dp_error err = DP_ERROR_INIT;

    snprintf(path, sizeof path, "%s/none", fx->dir);
    assert_int_equal(dp_index_open(&idx, path, DP_INDEX_READ, &err),
                     DP_ENOTFOUND);
    assert_non_null(strstr(err.msg, "none"));
    snprintf(path, sizeof path, "%s/garbage", fx->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("not a database\n", fp);
    fclose(fp);
    assert_true(dp_index_open(&idx, path, DP_INDEX_READ, &err) < 0);
    assert_null(idx);
}

typedef struct swapper {
    const char *from, *to;
    int rc;
} swapper;

static void *swap_later(void *arg)
{
    swapper *sw = arg;
    struct timespec ts = { 0, 60000000L }; /* 60 ms */

    nanosleep(&ts, NULL);
    sw->rc = rename(sw->from, sw->to);
    return NULL;
}

/* A reader that opens while a -j build swaps its index in (INDEX missing,
 * INDEX.new complete) waits for the swap instead of saying there is no
 * index; without INDEX.new, a missing index is an error at once. */
static void test_index_open_waits_for_a_swap(void **state)
{
    fixture *fx = *state;
    dp_index *idx = NULL;
    dp_index_stats stats;
    char fresh[128];
    swapper sw;
    pthread_t th;
    dp_error err = DP_ERROR_INIT;

    snprintf(fresh, sizeof fresh, "%s.new", fx->path);
    assert_int_equal(dp_index_open(&idx, fresh, DP_INDEX_WRITE, &err), DP_OK);
    add_text(idx, fx->an, "doc.txt", TEXT, NULL);
    assert_int_equal(dp_index_commit(idx, &err), DP_OK);
    dp_index_close(idx);
    idx = NULL;

    sw.from = fresh;
    sw.to = fx->path;
    sw.rc = -1;
    assert_int_equal(pthread_create(&th, NULL, swap_later, &sw), 0);
    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_READ, &err),
                     DP_OK);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(sw.rc, 0);
    assert_int_equal(dp_index_stats_get(idx, &stats, &err), DP_OK);
    assert_int_equal(stats.passages, 2);
    dp_index_close(idx);
    idx = NULL;

    /* No swap under way: the error stands. */
    snprintf(fresh, sizeof fresh, "%s/absent", fx->dir);
    assert_int_equal(dp_index_open(&idx, fresh, DP_INDEX_READ, &err),
                     DP_ENOTFOUND);
    assert_null(idx);
}

/* A reader whose revision a writer's commits have discarded: reading the
 * statistics from it fails with DP_EMODIFIED, and dp_searcher_stats()
 * reads them again on the latest revision; explaining a hit found on it
 * fails the same way, and works once the search is run again after
 * dp_index_reopen(), or when the search made the explanations itself
 * (dp_search_opts.explain, what depeche-search asks for).  The manifest spans
 * many blocks and every commit rewrites them all, so the old revision's
 * blocks are reused, every time. */
static void test_index_reader_after_commits(void **state)
{
    fixture *fx = *state;
    dp_index *w = NULL, *r = NULL;
    dp_searcher *s = NULL;
    dp_index_stats st;
    char name[32], text[256];
    dp_error err = DP_ERROR_INIT;

    assert_int_equal(dp_index_open(&w, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    for (int v = 0; v < 4; v++) {
        for (int i = 0; i < 400; i++) {
            snprintf(name, sizeof name, "f%03d.txt", i);
            snprintf(text, sizeof text,
                     "Fichier %d, version %d, sur la coopération.\n", i, v);
            add_text(w, fx->an, name, text, NULL);
        }
        assert_int_equal(dp_index_commit(w, &err), DP_OK);
        if (v == 0) {
            assert_int_equal(dp_index_open(&r, fx->path, DP_INDEX_READ,
                                           &err), DP_OK);
            assert_int_equal(dp_searcher_open(&s, fx->path, &err), DP_OK);
        }
    }
    assert_int_equal(dp_index_stats_get(r, &st, &err), DP_EMODIFIED);
    dp_error_clear(&err);
    assert_int_equal(dp_searcher_stats(s, &st, &err), DP_OK);
    assert_int_equal(st.files, 400);
    assert_int_equal(st.passages, 400);

    /* The same for an explanation made after the search: the search is
     * run again after dp_index_reopen(). */
    {
        dp_search_opts o;
        dp_results *res = NULL;
        dp_buf ex = DP_BUF_INIT;
        dp_search_opts_init(&o);
        assert_int_equal(dp_search_run(s, "coopération", 12, &o, &res, &err),
                         DP_OK);
        assert_true(dp_results_size(res) > 0);
        for (int v = 4; v < 8; v++) {
            for (int i = 0; i < 400; i++) {
                snprintf(name, sizeof name, "f%03d.txt", i);
                snprintf(text, sizeof text,
                         "Fichier %d, version %d, sur la coopération.\n", i,
                         v);
                add_text(w, fx->an, name, text, NULL);
            }
            assert_int_equal(dp_index_commit(w, &err), DP_OK);
        }
        assert_int_equal(dp_search_explain(s, res, 0, &ex, &err),
                         DP_EMODIFIED);
        dp_results_free(res);
        res = NULL;
        dp_error_clear(&err);
        assert_int_equal(dp_index_reopen(dp_searcher_index(s), &err), DP_OK);
        assert_int_equal(dp_search_run(s, "coopération", 12, &o, &res, &err),
                         DP_OK);
        dp_buf_reset(&ex);
        assert_int_equal(dp_search_explain(s, res, 0, &ex, &err), DP_OK);
        assert_non_null(strstr(dp_buf_cstr(&ex), "~cooper\t1\t400\t"));
        dp_results_free(res);
        res = NULL;

        /* With dp_search_opts.explain, the library explains each hit with
         * the search, retried together; the explanation then survives
         * the commits that discard the revision it was read from. */
        o.explain = true;
        for (int round = 0; round < 2; round++) {
            for (int v = 8 + 4 * round; v < 12 + 4 * round; v++) {
                for (int i = 0; i < 400; i++) {
                    snprintf(name, sizeof name, "f%03d.txt", i);
                    snprintf(text, sizeof text,
                             "Fichier %d, version %d, sur la coopération.\n",
                             i, v);
                    add_text(w, fx->an, name, text, NULL);
                }
                assert_int_equal(dp_index_commit(w, &err), DP_OK);
            }
            if (round == 0)
                assert_int_equal(dp_search_run(s, "coopération", 12, &o,
                                               &res, &err), DP_OK);
        }
        dp_buf_reset(&ex);
        assert_int_equal(dp_search_explain(s, res, 0, &ex, &err), DP_OK);
        assert_non_null(strstr(dp_buf_cstr(&ex), "~cooper\t1\t400\t"));
        assert_non_null(strstr(dp_buf_cstr(&ex), "=length\t"));
        dp_buf_release(&ex);
        dp_results_free(res);
    }
    dp_searcher_free(s);
    dp_index_close(r);
    dp_index_close(w);
}

static void test_index_long_relpath(void **state)
{
    fixture *fx = *state;
    dp_index *idx = NULL;
    dp_manifest_entry e;
    dp_record rec;
    dp_buf st = DP_BUF_INIT;
    char longp[300];
    dp_error err = DP_ERROR_INIT;

    memset(longp, 'd', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    memcpy(longp + sizeof longp - 5, ".txt", 4);
    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    add_text(idx, fx->an, longp, TEXT, NULL);
    assert_int_equal(dp_index_commit(idx, &err), DP_OK);
    assert_int_equal(dp_index_manifest_get(idx, longp, &e, &err), DP_OK);
    assert_int_equal(e.passages, 2);
    assert_int_equal(dp_index_get_passage(idx, longp, strlen(longp), 1, &rec,
                                          &st, &err), DP_OK);
    assert_int_equal(rec.relpath_len, strlen(longp));
    assert_int_equal(dp_index_remove_file(idx, longp, &err), DP_OK);
    assert_int_equal(dp_index_commit(idx, &err), DP_OK);
    assert_int_equal(dp_index_manifest_get(idx, longp, &e, &err),
                     DP_ENOTFOUND);
    dp_index_close(idx);
    dp_buf_release(&st);
}

/* A ".md" file's headings are stored without their markers, as its
 * title (no catalogue) and as the sections of its passages; the same text
 * in a ".txt" file keeps them.  Passage bytes are the file's; a
 * section's text is the heading's, in the file too. */
static void test_index_markdown_headings(void **state)
{
    static const char MD[] =
        "# Politique \xC3\xA9trang\xC3\xA8re de la France\n\n"
        "Introduction g\xC3\xA9n\xC3\xA9rale.\n\n"
        "## Les relations franco-allemandes ##\n\n"
        "Les deux pays coop\xC3\xA8rent depuis 1963.\n\n"
        "La d\xC3\xA9" "fense\n----------\n"
        "Une brigade commune.\n";
    static const struct {
        const char *relpath;
        uint32_t ordinal;
        const char *title, *section, *text;
    } want[] = {
        { "notes.md", 1, "Politique \xC3\xA9trang\xC3\xA8re de la France",
          "Politique \xC3\xA9trang\xC3\xA8re de la France",
          "Introduction g\xC3\xA9n\xC3\xA9rale." },
        { "notes.md", 2, "Politique \xC3\xA9trang\xC3\xA8re de la France",
          "Les relations franco-allemandes",
          "Les deux pays coop\xC3\xA8rent depuis 1963." },
        { "notes.md", 3, "Politique \xC3\xA9trang\xC3\xA8re de la France",
          "La d\xC3\xA9" "fense", "Une brigade commune." },
        { "notes.txt", 2, "# Politique \xC3\xA9trang\xC3\xA8re de la France",
          "## Les relations franco-allemandes ##",
          "Les deux pays coop\xC3\xA8rent depuis 1963." },
    };
    fixture *fx = *state;
    dp_index *idx = NULL;
    dp_record rec;
    dp_buf st = DP_BUF_INIT;
    dp_error err = DP_ERROR_INIT;
    size_t i;

    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    add_text(idx, fx->an, "notes.md", MD, NULL);
    add_text(idx, fx->an, "notes.txt", MD, NULL);
    assert_int_equal(dp_index_commit(idx, &err), DP_OK);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *rp = want[i].relpath;
        assert_int_equal(dp_index_get_passage(idx, rp, strlen(rp),
                                              want[i].ordinal, &rec, &st,
                                              &err), DP_OK);
        if (rec.title_len != strlen(want[i].title) ||
            memcmp(rec.title, want[i].title, rec.title_len) != 0 ||
            rec.section_len != strlen(want[i].section) ||
            memcmp(rec.section, want[i].section, rec.section_len) != 0)
            fail_msg("%s#%u: title \"%.*s\", section \"%.*s\"", rp,
                     want[i].ordinal, (int)rec.title_len, rec.title,
                     (int)rec.section_len, rec.section);
        assert_int_equal(rec.text_len, strlen(want[i].text));
        assert_memory_equal(rec.text, want[i].text, rec.text_len);
        assert_memory_equal(MD + rec.byte_start, rec.text, rec.text_len);
        /* The section is the heading's text where it stands in the file. */
        assert_non_null(strstr(MD, want[i].section));
    }
    dp_index_close(idx);
    dp_buf_release(&st);
}

/* ---- the manifest's stat fields ---------------------------------------- */

#define SEC 1000000000LL

/* A file is taken as unchanged without reading it only when all five stat
 * fields are as recorded and the record has a ctime. */
static void test_index_manifest_stat_same(void **state)
{
    static const dp_manifest_entry rec = {
        .size = 13, .mtime_ns = 1700000000 * SEC, .ctime_ns = 1700000100 * SEC,
        .ino = 11845849, .dev = 2049,
    };
    static const struct {
        const char *what;
        uint64_t size;
        int64_t mtime_ns, ctime_ns, rec_ctime_ns;
        uint64_t ino, dev;
        bool same;
    } cases[] = {
        { "nothing changed", 13, 1700000000 * SEC, 1700000100 * SEC,
          1700000100 * SEC, 11845849, 2049, true },
        { "the size (an append)", 14, 1700000000 * SEC, 1700000100 * SEC,
          1700000100 * SEC, 11845849, 2049, false },
        { "the mtime (an edit)", 13, 1700000001 * SEC, 1700000100 * SEC,
          1700000100 * SEC, 11845849, 2049, false },
        { "the ctime only (cp --preserve, touch -r, chmod)", 13,
          1700000000 * SEC, 1700000200 * SEC, 1700000100 * SEC, 11845849,
          2049, false },
        { "one nanosecond of ctime", 13, 1700000000 * SEC,
          1700000100 * SEC + 1, 1700000100 * SEC, 11845849, 2049, false },
        { "the inode (saved to a new file, renamed)", 13, 1700000000 * SEC,
          1700000100 * SEC, 1700000100 * SEC, 11845850, 2049, false },
        { "the device (another file system)", 13, 1700000000 * SEC,
          1700000100 * SEC, 1700000100 * SEC, 11845849, 2050, false },
        { "no ctime recorded (an old or a racy entry)", 13, 1700000000 * SEC,
          0, 0, 11845849, 2049, false },
        { "no ctime recorded, whatever the file's", 13, 1700000000 * SEC,
          1700000100 * SEC, 0, 11845849, 2049, false },
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dp_manifest_entry old = rec, cur = rec;

        old.ctime_ns = cases[i].rec_ctime_ns;
        cur.size = cases[i].size;
        cur.mtime_ns = cases[i].mtime_ns;
        cur.ctime_ns = cases[i].ctime_ns;
        cur.ino = cases[i].ino;
        cur.dev = cases[i].dev;
        if (dp_index_manifest_stat_same(&old, &cur) != cases[i].same)
            fail_msg("%s: expected %s", cases[i].what,
                     cases[i].same ? "same" : "changed");
    }
}

/* What stat() said is recorded as is, except the ctime of a racy file (one
 * whose status changed less than DP_RACY_NS before it was looked at, or
 * after): a write within the same tick could leave every field as it is. */
static void test_index_manifest_fill_stat_racy(void **state)
{
    static const int64_t now = 1700000000 * SEC + 123456789;
    static const struct {
        int64_t ctime_ns;
        int64_t recorded;
    } cases[] = {
        { now - 3600 * SEC, now - 3600 * SEC },
        { now - DP_RACY_NS - 1, now - DP_RACY_NS - 1 },
        { now - DP_RACY_NS, now - DP_RACY_NS },
        { now - DP_RACY_NS + 1, 0 },
        { now - SEC, 0 },
        { now, 0 },
        { now + 60 * SEC, 0 },     /* in the future: a skewed clock */
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct stat st;
        dp_manifest_entry e;

        memset(&st, 0, sizeof st);
        memset(&e, 0, sizeof e);
        st.st_size = 9871;
        st.st_mtim.tv_sec = 1600000000;
        st.st_mtim.tv_nsec = 5;
        st.st_ctim.tv_sec = (time_t)(cases[i].ctime_ns / SEC);
        st.st_ctim.tv_nsec = (long)(cases[i].ctime_ns % SEC);
        st.st_ino = 77;
        st.st_dev = 2049;
        dp_index_manifest_fill_stat(&e, &st, now);
        assert_int_equal(e.size, 9871);
        assert_int_equal(e.mtime_ns, 1600000000 * SEC + 5);
        assert_int_equal(e.ino, 77);
        assert_int_equal(e.dev, 2049);
        if (e.ctime_ns != cases[i].recorded)
            fail_msg("case %zu: ctime %" PRId64 " recorded as %" PRId64
                     ", expected %" PRId64, i, cases[i].ctime_ns, e.ctime_ns,
                     cases[i].recorded);
    }
    /* Times past what 64 bits of nanoseconds hold saturate (touch -d can
     * set such an mtime). */
    {
        struct stat st;
        dp_manifest_entry e;

        memset(&st, 0, sizeof st);
        st.st_mtim.tv_sec = (time_t)INT64_MAX / 2;
        st.st_ctim.tv_sec = 1600000000;
        dp_index_manifest_fill_stat(&e, &st, now);
        assert_int_equal(e.mtime_ns, INT64_MAX);
        st.st_mtim.tv_sec = -(time_t)(INT64_MAX / 2);
        dp_index_manifest_fill_stat(&e, &st, now);
        assert_true(e.mtime_ns == INT64_MIN);
        assert_int_equal(e.ctime_ns, 1600000000 * SEC);
    }
}

static int manifest_stat_cb(const dp_corpus_file *f, void *ctx)
{
    dp_manifest_entry *e = ctx;

    if (strcmp(f->relpath, "f.txt") == 0)
        dp_index_manifest_fill_stat(e, f->st, f->stat_clock_ns);
    return 0;
}

/* The indexer records the walk's stat() of a file: on a real file just
 * written, its size and inode, and no ctime (racy). */
static void test_index_manifest_stat_file(void **state)
{
    fixture *fx = *state;
    char path[128];
    dp_manifest_entry e;
    dp_error err = DP_ERROR_INIT;
    struct stat st;
    FILE *fp;

    snprintf(path, sizeof path, "%s/f.txt", fx->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("La Géorgie.\n", fp);
    fclose(fp);
    assert_int_equal(stat(path, &st), 0);
    memset(&e, 0, sizeof e);
    assert_int_equal(dp_corpus_walk(fx->dir, NULL, manifest_stat_cb, &e, &err),
                     DP_OK);
    assert_int_equal(e.size, 13);
    assert_int_equal(e.ino, (uint64_t)st.st_ino);
    assert_int_equal(e.dev, (uint64_t)st.st_dev);
    assert_true(e.mtime_ns > 0);
    assert_int_equal(e.ctime_ns, 0); /* just written: racy */
}

static void assert_entry_equal(const dp_manifest_entry *a,
                               const dp_manifest_entry *b)
{
    assert_string_equal(a->hash, b->hash);
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->mtime_ns, b->mtime_ns);
    assert_int_equal(a->ctime_ns, b->ctime_ns);
    assert_int_equal(a->ino, b->ino);
    assert_int_equal(a->dev, b->dev);
    assert_int_equal(a->passages, b->passages);
    assert_int_equal(a->words, b->words);
    assert_string_equal(a->meta_hash, b->meta_hash);
}

static int list_cb(const char *relpath, const dp_manifest_entry *e,
                   void *ctx)
{
    dp_buf *out = ctx;

    return dp_buf_addf(out, "%.12s:%" PRId64 "|", relpath, e->ctime_ns);
}

/* "1" and "2" stand for the long paths @p long1 and @p long2. */
static const char *case_path(const char *rp, const char *long1,
                             const char *long2)
{
    if (strcmp(rp, "1") == 0)
        return long1;
    return strcmp(rp, "2") == 0 ? long2 : rp;
}

/* Manifest values: the current ten-field form round-trips; an entry of the
 * seven-field form written before the stat fields still reads, with no
 * ctime (so its file is read once); a relpath that starts like the stat
 * fields ("1 2 3 x.txt") is told apart by the key, for a long (hashed)
 * path too. */
static void test_index_manifest_stat_fields_and_old_entries(void **state)
{
    fixture *fx = *state;
    static const char H[] = "d2a1bf7b67bfa06f289e3a6ac12bd5e2";
    static const char M[] = "92f753c4fa82292e";
    char long1[260], long2[260];
    static const struct {
        const char *relpath;     /* "1": long1, "2": long2 */
        const char *fields;      /* between META_HASH and the relpath */
        int64_t ctime_ns;
        uint64_t ino, dev;
    } cases[] = {
        { "a.txt", "", 0, 0, 0 },                        /* seven fields */
        { "b.txt", "1795332659205874354 11845849 2049 ", 1795332659205874354,
          11845849, 2049 },
        { "1 2 3 c.txt", "", 0, 0, 0 },                  /* seven fields */
        { "1 2 3 d.txt", "5 6 7 ", 5, 6, 7 },
        { "-1 2 3 e.txt", "-9 6 7 ", -9, 6, 7 },
        { "f 1 2 3.txt", "", 0, 0, 0 },
        { " g.txt", "5 6 7 ", 5, 6, 7 },                 /* a leading space */
        { "1", "", 0, 0, 0 },                            /* long, seven */
        { "2", "5 6 7 ", 5, 6, 7 },                      /* long, ten */
    };
    dp_index *idx = NULL;
    dp_buf key = DP_BUF_INIT, val = DP_BUF_INIT, list = DP_BUF_INIT;
    dp_manifest_entry e, set;
    dp_error err = DP_ERROR_INIT;
    size_t n = sizeof cases / sizeof cases[0];

    memset(long1, 'x', sizeof long1 - 1);
    long1[sizeof long1 - 1] = '\0';
    memcpy(long2, long1, sizeof long2);
    memcpy(long1, "1 2 3 ", 6);
    memcpy(long2, "5 6 7 ", 6);
    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    for (size_t i = 0; i < n; i++) {
        const char *rp = case_path(cases[i].relpath, long1, long2);

        dp_buf_reset(&key);
        dp_buf_reset(&val);
        assert_int_equal(dp_index_path_key('M', rp, strlen(rp), &key), DP_OK);
        assert_int_equal(dp_buf_addf(&val, "%s 13 42 1 2 %s %s%s", H, M,
                                     cases[i].fields, rp), DP_OK);
        assert_int_equal(xshim_db_set_metadata(dp_index_db(idx),
                                               dp_buf_cstr(&key), val.data,
                                               val.len, &err), DP_OK);
    }
    /* Listed in key order (hashed long paths, 'M/', among them), each with
     * its whole relpath. */
    assert_int_equal(dp_index_manifest_each(idx, list_cb, &list, &err), DP_OK);
    assert_string_equal(dp_buf_cstr(&list),
                        " g.txt:5|-1 2 3 e.txt:-9|"
                        "5 6 7 xxxxxx:5|1 2 3 xxxxxx:0|" /* by their hashes */
                        "1 2 3 c.txt:0|1 2 3 d.txt:5|a.txt:0|"
                        "b.txt:1795332659205874354|f 1 2 3.txt:0|");
    for (size_t i = 0; i < n; i++) {
        const char *rp = case_path(cases[i].relpath, long1, long2);

        assert_int_equal(dp_index_manifest_get(idx, rp, &e, &err), DP_OK);
        assert_string_equal(e.hash, H);
        assert_string_equal(e.meta_hash, M);
        assert_int_equal(e.size, 13);
        assert_int_equal(e.mtime_ns, 42);
        assert_int_equal(e.passages, 1);
        assert_int_equal(e.words, 2);
        if (e.ctime_ns != cases[i].ctime_ns || e.ino != cases[i].ino ||
            e.dev != cases[i].dev)
            fail_msg("'%.20s': ctime %" PRId64 " ino %" PRIu64 " dev %" PRIu64,
                     rp, e.ctime_ns, e.ino, e.dev);
        /* An entry without a ctime never passes for unchanged. */
        assert_int_equal(dp_index_manifest_stat_same(&e, &e),
                         cases[i].ctime_ns != 0);
        /* dp_index_manifest_set() writes the ten-field form. */
        set = e;
        set.ctime_ns = 1795332659205874354;
        set.ino = UINT64_MAX;
        set.dev = 66311;
        set.mtime_ns = i % 2 ? INT64_MIN : INT64_MAX; /* saturated times */
        assert_int_equal(dp_index_manifest_set(idx, rp, &set, &err), DP_OK);
        assert_int_equal(dp_index_manifest_get(idx, rp, &e, &err), DP_OK);
        assert_entry_equal(&e, &set);
    }
    /* A value that is neither form (its relpath is not its key's) is
     * corrupt: not found, and listing the manifest fails. */
    dp_buf_reset(&val);
    assert_int_equal(dp_buf_addf(&val, "%s 13 42 1 2 %s 5 6 7 other.txt", H,
                                 M), DP_OK);
    assert_int_equal(xshim_db_set_metadata(dp_index_db(idx), "Mz.txt",
                                           val.data, val.len, &err), DP_OK);
    assert_int_equal(dp_index_manifest_get(idx, "z.txt", &e, &err),
                     DP_ENOTFOUND);
    assert_int_equal(dp_index_manifest_each(idx, list_cb, &list, &err),
                     DP_ECORRUPT);
    dp_index_close(idx);
    dp_buf_release(&key);
    dp_buf_release(&val);
    dp_buf_release(&list);
}

static void test_index_search_and_cite(void **state)
{
    fixture *fx = *state;
    dp_index *idx = NULL;
    dp_searcher *s = NULL;
    dp_results *r = NULL;
    dp_search_opts o;
    dp_error err = DP_ERROR_INIT;

    assert_int_equal(dp_index_open(&idx, fx->path, DP_INDEX_WRITE, &err),
                     DP_OK);
    add_text(idx, fx->an, "doc.txt", TEXT, NULL);
    assert_int_equal(dp_index_commit(idx, &err), DP_OK);
    dp_index_close(idx);

    assert_int_equal(dp_searcher_open(&s, fx->path, &err), DP_OK);
    dp_search_opts_init(&o);
    o.neighbour_weight = 0;
    assert_int_equal(dp_search_run(s, "cooperation militaires", 22, &o, &r,
                                   &err), DP_OK);
    assert_int_equal(dp_results_size(r), 1);
    assert_memory_equal(dp_results_hit(r, 0)->id, "doc.txt#2", 9);
    assert_int_equal(dp_results_hit(r, 0)->snippet->nhl, 2);
    assert_false(dp_results_hit(r, 0)->by_neighbours);
    dp_results_free(r);
    /* By default its neighbour passage follows, with a tenth of its
     * score, marked as ranked by its neighbours. */
    dp_search_opts_init(&o);
    assert_int_equal(dp_search_run(s, "cooperation militaires", 22, &o, &r,
                                   &err), DP_OK);
    assert_int_equal(dp_results_size(r), 2);
    assert_memory_equal(dp_results_hit(r, 0)->id, "doc.txt#2", 9);
    assert_false(dp_results_hit(r, 0)->by_neighbours);
    assert_true(dp_results_hit(r, 1)->by_neighbours);
    assert_int_equal(dp_results_hit(r, 1)->snippet->nhl, 0);
    assert_true(fabs(dp_results_hit(r, 1)->score -
                     dp_results_hit(r, 0)->score * DP_NEIGHBOUR_WEIGHT / 2) <
                1e-6);
    assert_int_equal(dp_results_total(r), 1);
    dp_results_free(r);
    assert_int_equal(dp_search_run(s, "le la", 5, &o, &r, &err), DP_OK);
    assert_true(dp_results_size(r) >= 1); /* only stop words: kept */
    dp_results_free(r);
    assert_int_equal(dp_search_run(s, " ,;! ", 5, &o, &r, &err), DP_ESYNTAX);
    assert_null(r);

    assert_int_equal(dp_search_cite(s, "doc.txt:3", 1, &r, &err), DP_OK);
    assert_int_equal(dp_results_size(r), 2);
    assert_int_equal(dp_results_target(r), 1);
    assert_int_equal(dp_results_hit(r, 1)->passage, 2);
    dp_results_free(r);
    /* A heading's line gives the passage after it, with a note. */
    assert_int_equal(dp_search_cite(s, "doc.txt:1", 0, &r, &err), DP_OK);
    assert_int_equal(dp_results_size(r), 1);
    assert_int_equal(dp_results_hit(r, 0)->passage, 1);
    assert_non_null(strstr(dp_results_notices(r), "doc.txt:1 is in no "
                                                  "passage"));
    dp_results_free(r);
    assert_int_equal(dp_search_cite(s, "doc.txt:99", 0, &r, &err),
                     DP_ENOTFOUND); /* past the last passage */
    assert_null(r);
    assert_int_equal(dp_search_cite(s, "doc#1", 0, &r, &err), DP_OK);
    dp_results_free(r);
    assert_int_equal(dp_search_cite(s, "../../etc/passwd#1", 0, &r, &err),
                     DP_ENOTFOUND);
    assert_int_equal(dp_search_cite(s, "doc.txt#0", 0, &r, &err),
                     DP_ENOTFOUND);
    dp_searcher_free(s);
}

/* NEAR: the snippet's window holds the words where they stand within the
 * distance (in any order, a chain's all of them), grep's column points
 * there, and only those are highlighted, as for an exact phrase; not a
 * window with more of the words farther apart. */
static const struct {
    const char *text, *query;
    size_t words;
    const char *first; /* passage text at the first match */
    const char *hl;    /* the highlighted words */
} near_cases[] = {
    { "Le Conseil et la Commission ont parlé au Conseil. Vu la proposition "
      "de la Commission au Conseil, le Parlement approuve.",
      "Conseil NEAR/2 Commission", 8, "Commission au Conseil",
      "Commission Conseil" },
    { "Le Conseil et la Commission ont parlé au Conseil. Vu la proposition "
      "de la Commission au Conseil, le Parlement approuve.",
      "Commission NEAR/2 Conseil", 8, "Commission au Conseil",
      "Commission Conseil" },
    /* two pairs within 3: the tighter; both in a wide window, without the
     * Conseil that is farther from any Commission */
    { "Le Conseil et la Commission ont parlé au Conseil. Vu la proposition "
      "de la Commission au Conseil, le Parlement approuve.",
      "Conseil NEAR/3 Commission", 8, "Commission au Conseil",
      "Commission Conseil" },
    { "Le Conseil et la Commission ont parlé au Conseil. Vu la proposition "
      "de la Commission au Conseil, le Parlement approuve.",
      "Conseil NEAR/3 Commission", 30, "Conseil et la",
      "Conseil Commission Commission Conseil" },
    /* a chain: all three within a span of 4 + 2 positions */
    { "Le Parlement et le Conseil ont reçu la Commission. Le Conseil, la "
      "Commission et le Parlement ont signé.",
      "Parlement NEAR/4 Conseil NEAR/4 Commission", 8,
      "Conseil, la Commission", "Conseil Commission Parlement" },
    /* a word the group has twice stands twice within the distance */
    { "Le Pakistan est loin. Ici, le Pakistan et le Pakistan.",
      "Pakistan NEAR/3 Pakistan", 12, "Pakistan et le",
      "Pakistan Pakistan" },
    /* an ordinal by its value, as in a phrase */
    { "Au 21e jour du XXIe siècle, le siècle change.",
      "XXIe NEAR/1 siècle", 20, "XXIe siècle", "XXIe siècle" },
    /* a phrase as an operand: its words pooled, in any order */
    { "La défense passe avant tout. L'accord sur la défense et la "
      "coopération militaire entre les pays.",
      "défense NEAR/3 \"militaire coopération\"", 30,
      "défense et la", "défense coopération militaire" },
};

static void test_index_near_snippets(void **state)
{
    fixture *fx = *state;
    dp_error err = DP_ERROR_INIT;

    for (size_t i = 0; i < sizeof near_cases / sizeof near_cases[0]; i++) {
        char path[128], hl[256] = "";
        dp_index *idx = NULL;
        dp_searcher *s = NULL;
        dp_results *r = NULL;
        dp_search_opts o;
        const dp_hit *h = NULL;
        size_t at = 0;

        snprintf(path, sizeof path, "%s/near%zu", fx->dir, i);
        assert_int_equal(dp_index_open(&idx, path, DP_INDEX_WRITE, &err),
                         DP_OK);
        add_text(idx, fx->an, "doc.txt", near_cases[i].text, NULL);
        assert_int_equal(dp_index_commit(idx, &err), DP_OK);
        dp_index_close(idx);
        assert_int_equal(dp_searcher_open(&s, path, &err), DP_OK);
        dp_search_opts_init(&o);
        o.neighbour_weight = 0;
        o.snippet_words = near_cases[i].words;
        assert_int_equal(dp_search_run(s, near_cases[i].query,
                                       strlen(near_cases[i].query), &o, &r,
                                       &err),
                         DP_OK);
        if (dp_results_size(r) != 1)
            fail_msg("%s: %zu hits", near_cases[i].query, dp_results_size(r));
        h = dp_results_hit(r, 0);
        if (strncmp(h->text + h->snippet->first_match, near_cases[i].first,
                    strlen(near_cases[i].first)) != 0)
            fail_msg("%s: first match at '%.30s', not '%s'",
                     near_cases[i].query, h->text + h->snippet->first_match,
                     near_cases[i].first);
        /* one line: grep's column is the first match's */
        assert_int_equal(h->match_line, h->line);
        assert_int_equal(h->match_col, h->snippet->first_match + 1);
        for (size_t k = 0; k < h->snippet->nhl; k++) {
            const dp_span *sp = &h->snippet->hl[k];
            at += (size_t)snprintf(hl + at, sizeof hl - at, "%s%.*s",
                                   k ? " " : "", (int)(sp->end - sp->start),
                                   h->snippet->text.data + sp->start);
            assert_true(at < sizeof hl);
        }
        if (strcmp(hl, near_cases[i].hl) != 0)
            fail_msg("%s: highlights '%s', not '%s'", near_cases[i].query, hl,
                     near_cases[i].hl);
        dp_results_free(r);
        dp_searcher_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_record_round_trip),
        cmocka_unit_test(test_index_record_rejects_garbage),
        cmocka_unit_test(test_index_path_key_hashes_long_paths),
        cmocka_unit_test_setup_teardown(test_index_add_get_remove, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_index_changed_file_passage_by_passage, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_index_uncommitted_changes_are_discarded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_rebuild_is_atomic, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_index_second_writer_is_locked_readers_work, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_lock_existing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_index_schema_mismatch_says_rebuild, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_missing_or_not_an_index,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_open_waits_for_a_swap,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_reader_after_commits,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_long_relpath, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_index_markdown_headings, setup,
                                        teardown),

        cmocka_unit_test(test_index_manifest_stat_same),
        cmocka_unit_test(test_index_manifest_fill_stat_racy),
        cmocka_unit_test_setup_teardown(test_index_manifest_stat_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_index_manifest_stat_fields_and_old_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_search_and_cite, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_index_near_snippets, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
