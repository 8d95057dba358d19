/* test_corpus.c -- walking, decoding, UTF-8 repair and the catalogue. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "depeche/buf.h"
#include "depeche/corpus.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

/* Warnings collected as "FILE:LINE: MSG\n". */
typedef struct warnings {
    dp_buf text;
    size_t n;
    size_t last_line;
} warnings;

static void on_warn(const char *file, size_t line, const char *msg,
                    void *ctx)
{
    warnings *w = ctx;

    assert_non_null(file);
    assert_non_null(msg);
    assert_int_equal(dp_buf_addf(&w->text, "%s:%zu: %s\n", file, line, msg),
                     DP_OK);
    w->n++;
    w->last_line = line;
}

static void warnings_reset(warnings *w)
{
    dp_buf_reset(&w->text);
    w->n = 0;
    w->last_line = 0;
}

typedef struct tmpdir {
    char path[256];
} tmpdir;

static void make_tmpdir(tmpdir *t)
{
    const char *base = getenv("TMPDIR");

    snprintf(t->path, sizeof t->path, "%s/dp_corpus_XXXXXX",
             base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(t->path));
}

static void rm_rf(const char *path)
{
    char cmd[600];

    /* The directory is ours, made by mkdtemp(); chmod first so that an
     * unreadable subdirectory does not survive. */
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'",
             path, path);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const tmpdir *t, const char *name, const void *data,
                       size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", t->path, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void make_dir(const tmpdir *t, const char *name)
{
    char path[512];

    snprintf(path, sizeof path, "%s/%s", t->path, name);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void make_link(const tmpdir *t, const char *target, const char *name)
{
    char path[512];

    snprintf(path, sizeof path, "%s/%s", t->path, name);
    assert_int_equal(symlink(target, path), 0);
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                                */
/* ------------------------------------------------------------------ */

#define B(s) s, sizeof(s) - 1

static const struct {
    const char *s;
    size_t len;
    int valid;
} utf8_cases[] = {
    { B(""), 1 },
    { B("abc"), 1 },
    { B("\xC3\xA9t\xC3\xA9"), 1 },                 /* été */
    { B("\xE2\x80\x99"), 1 },                      /* ’ */
    { B("\xF0\x9F\x98\x80"), 1 },                  /* U+1F600 */
    { B("\xF4\x8F\xBF\xBF"), 1 },                  /* U+10FFFF */
    { B("\xEF\xBB\xBF"), 1 },                      /* BOM */
    { B("a\0b"), 1 },                              /* NUL is UTF-8 */
    { B("\xC0\x80"), 0 },                          /* overlong NUL */
    { B("\xC1\xBF"), 0 },                          /* overlong */
    { B("\xE0\x80\xAF"), 0 },                      /* overlong '/' */
    { B("\xE0\x9F\xBF"), 0 },                      /* overlong */
    { B("\xF0\x8F\xBF\xBF"), 0 },                  /* overlong */
    { B("\xED\xA0\x80"), 0 },                      /* surrogate D800 */
    { B("\xED\xBF\xBF"), 0 },                      /* surrogate DFFF */
    { B("\xF4\x90\x80\x80"), 0 },                  /* U+110000 */
    { B("\xF5\x80\x80\x80"), 0 },
    { B("\xFF"), 0 },
    { B("\x80"), 0 },                              /* lone continuation */
    { B("\xC3"), 0 },                              /* truncated */
    { B("\xE2\x82"), 0 },                          /* truncated */
    { B("caf\xE9"), 0 },                           /* Latin-1 é */
};

static void test_corpus_utf8_valid(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++)
        if (dp_utf8_valid(utf8_cases[i].s, utf8_cases[i].len) !=
            utf8_cases[i].valid)
            fail_msg("utf8 case %zu: expected valid=%d", i,
                     utf8_cases[i].valid);
}

#define R "\xEF\xBF\xBD"

static const struct {
    const char *in;
    size_t len;
    const char *out;
    int count;
    size_t first_bad;
} repair_cases[] = {
    { B("abc"), "abc", 0, 0 },
    { B("\xC3\xA9"), "\xC3\xA9", 0, 0 },
    { B("caf\xE9"), "caf" R, 1, 3 },
    { B("caf\xE9 cr\xE8me"), "caf" R " cr" R "me", 2, 3 },
    /* Unicode 15, table 3-8: maximal subparts. */
    { B("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
      "a" R R R "b" R "c" R R "d", 6, 1 },
    { B("\xC0\xAF"), R R, 2, 0 },                  /* C0 is never a lead */
    { B("\xE0\x80\xAF"), R R R, 3, 0 },            /* E0 80: 80 not allowed */
    { B("\xED\xA0\x80"), R R R, 3, 0 },            /* surrogate */
    { B("\xF4\x90\x80\x80"), R R R R, 4, 0 },
    { B("\xE2\x82"), R, 1, 0 },                    /* truncated: one */
    { B("\xF0\x9F\x98"), R, 1, 0 },
    { B("\xF0\x9F\x98" "a"), R "a", 1, 0 },
    { B("a\xE2\x82\xACz\xFF"), "a\xE2\x82\xACz" R, 1, 5 },
};

static void test_corpus_utf8_repair(void **state)
{
    dp_buf out = DP_BUF_INIT;
    size_t i, first;
    int rc;

    (void)state;
    for (i = 0; i < sizeof repair_cases / sizeof repair_cases[0]; i++) {
        first = 99;
        rc = dp_utf8_repair(repair_cases[i].in, repair_cases[i].len, &out,
                            &first);
        if (rc != repair_cases[i].count)
            fail_msg("repair case %zu: %d replacements, want %d", i, rc,
                     repair_cases[i].count);
        assert_int_equal(out.len, strlen(repair_cases[i].out));
        assert_memory_equal(out.data, repair_cases[i].out, out.len);
        assert_true(dp_utf8_valid(out.data, out.len));
        assert_int_equal(first, repair_cases[i].first_bad);
    }
    /* first_bad may be NULL; the output buffer is reset first. */
    assert_int_equal(dp_utf8_repair("x\xFF", 2, &out, NULL), 1);
    assert_string_equal(out.data, "x" R);
    dp_buf_release(&out);

    /* The buffer limit is respected. */
    dp_buf_init(&out, 4);
    assert_int_equal(dp_utf8_repair("\xFF\xFF\xFF", 3, &out, NULL),
                     DP_ELIMIT);
    dp_buf_release(&out);
}

/* ------------------------------------------------------------------ */
/* Reading and decoding                                                 */
/* ------------------------------------------------------------------ */

static const struct {
    const char *name;
    const char *in;
    size_t len;
    int rc;
    const char *out;       /* expected text when rc == DP_OK */
    const char *warning;   /* substring of the one warning, NULL: none */
    size_t line;           /* line of the warning */
} read_cases[] = {
    { "utf8.txt", B("Caf\xC3\xA9 cr\xC3\xA8me.\n"), DP_OK,
      "Caf\xC3\xA9 cr\xC3\xA8me.\n", NULL, 0 },
    { "bom.txt", B("\xEF\xBB\xBF\xC3\x89t\xC3\xA9\n"), DP_OK,
      "\xEF\xBB\xBF\xC3\x89t\xC3\xA9\n", NULL, 0 },
    /* Windows-1252: the "Ã©" (valid UTF-8 by chance) must not fool us. */
    { "cp1252.txt",
      B("\xC3\xA9t\xE9 : l'\xE9t\xE9 fran\xE7" "ais co\xFB" "te 5 \x80 ; "
        "\x9C" "uvre \xE0 r\xE9" "aliser.\n"),
      DP_OK,
      "\xC3\x83\xC2\xA9t\xC3\xA9 : l'\xC3\xA9t\xC3\xA9 fran\xC3\xA7" "ais "
      "co\xC3\xBBte 5 \xE2\x82\xAC ; \xC5\x93uvre \xC3\xA0 "
      "r\xC3\xA9" "aliser.\n",
      "not UTF-8: read as windows-1252", 1 },
    { "latin1_line3.txt",
      B("Premi\x0A" "Deuxi\x0A" "L'\xE9t\xE9 \xE0 Bakou.\n"), DP_OK,
      "Premi\nDeuxi\nL'\xC3\xA9t\xC3\xA9 \xC3\xA0 Bakou.\n",
      "not UTF-8: read as windows-1252", 3 },
    { "utf16le.txt", B("\xFF\xFE" "C\0a\0f\0\xE9\0\n\0\x19\x20"), DP_OK,
      "Caf\xC3\xA9\n\xE2\x80\x99", "transcoded from UTF-16LE", 0 },
    { "utf16be.txt", B("\xFE\xFF" "\0C\0a\0f\0\xE9\0\n\x01\x53"), DP_OK,
      "Caf\xC3\xA9\n\xC5\x93", "transcoded from UTF-16BE", 0 },
    { "utf16le_nobom.txt", B("L\0'\0\xE9\0t\0\xE9\0.\0\n\0"), DP_OK,
      "L'\xC3\xA9t\xC3\xA9.\n", "transcoded from UTF-16LE (no BOM)", 0 },
    /* A cut file (a last odd byte), unpaired surrogates: U+FFFD, said
     * with the line of the first. */
    { "utf16le_odd.txt", B("\xFF\xFE" "a\0\n\0b\0c"), DP_OK,
      "a\nb" R, "transcoded from UTF-16LE, invalid UTF-16 replaced by "
      "U+FFFD (1 time)", 2 },
    /* A high surrogate cut with the file (then its odd byte) is one
     * U+FFFD, as ICU decodes it (fuzz_read). */
    { "utf16le_cut_surrogate.txt", B("\xFF\xFE" "a\0\xE9\0\0\xD8s"), DP_OK,
      "a\xC3\xA9" R, "transcoded from UTF-16LE, invalid UTF-16 replaced by "
      "U+FFFD (1 time)", 1 },
    { "utf16be_surrogates.txt",
      B("\xFE\xFF" "\0a\0\r\0\n\xD8\x3D\xDE\x00\0\r\xD8\x00\0b\xDC\x00"),
      DP_OK, "a\r\n\xF0\x9F\x98\x80\r" R "b" R,
      "transcoded from UTF-16BE, invalid UTF-16 replaced by U+FFFD "
      "(2 times)", 3 },
    /* UTF-8 with one bad byte among many good sequences: repaired. */
    { "bad_utf8.txt",
      B("L'\xC3\xA9t\xC3\xA9 \xC3\xA0 Bakou, d\xC3\xA9j\xC3\xA0 tr\xC3\xA8s "
        "\xC3\xA9lev\xC3\xA9" "e.\nLa r\xC3gion o\xC3\xB9 \xC3\xA7" "a "
        "\xC3\xA9" "tait.\n"),
      DP_OK,
      "L'\xC3\xA9t\xC3\xA9 \xC3\xA0 Bakou, d\xC3\xA9j\xC3\xA0 tr\xC3\xA8s "
      "\xC3\xA9lev\xC3\xA9" "e.\nLa r" R "gion o\xC3\xB9 \xC3\xA7" "a "
      "\xC3\xA9" "tait.\n",
      "invalid UTF-8 at byte 45, replaced by U+FFFD (1 time)", 2 },
    { "binary.txt", B("\x7F" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0"),
      DP_ESKIP, NULL, "binary file, skipped", 0 },
    { "controls.txt", B("a\x01\x02\x03\x04\x05\x06\x07\x08\x0E\x0F\x10" "b\n"),
      DP_ESKIP, NULL, "binary file, skipped", 0 },
    { "empty.txt", "", 0, DP_ESKIP, NULL, "empty file", 0 },
    /* A lone control character in a text is not "binary". */
    { "one_control.txt", B("Texte\x1B normal, assez long pour compter.\n"),
      DP_OK, "Texte\x1B normal, assez long pour compter.\n", NULL, 0 },
    /* Fewer bad sequences than good ones is still damaged UTF-8, not
     * Windows-1252: reading it as 8-bit would turn each "é" into "Ã©". */
    { "damaged_utf8.txt",
      B("L'\xC3\xA9t\xC3\xA9 \xC3\xA0 Bakou, pr\xE9sent\xE9.\n"), DP_OK,
      "L'\xC3\xA9t\xC3\xA9 \xC3\xA0 Bakou, pr" R "sent" R ".\n",
      "invalid UTF-8 at byte 20, replaced by U+FFFD (2 times)", 1 },
    /* A few NULs in a text are damage, not a binary format. */
    { "nul_text.txt",
      B("Premi\xC3\xA8re ligne de texte, assez longue pour que deux NUL "
        "y soient moins d'un octet sur cent : un texte ab\xC3\xAEm\xC3\xA9, "
        "pas un fichier binaire. Encore quelques mots pour cela.\n\n"
        "Le rap\0port du minist\xC3\xA8re sur la p\xC3\xAA\0che, "
        "publi\xC3\xA9 hier soir.\n"), DP_OK,
      "Premi\xC3\xA8re ligne de texte, assez longue pour que deux NUL "
      "y soient moins d'un octet sur cent : un texte ab\xC3\xAEm\xC3\xA9, "
      "pas un fichier binaire. Encore quelques mots pour cela.\n\n"
      "Le rap" R "port du minist\xC3\xA8re sur la p\xC3\xAA" R "che, "
      "publi\xC3\xA9 hier soir.\n",
      "NUL bytes replaced by U+FFFD (2 times)", 3 },
    /* ... but NULs are more than 1 % of a short file: binary. */
    { "nul_short.txt", B("ab\0"), DP_ESKIP, NULL, "binary file, skipped",
      0 },
    { "crlf_cr.txt", B("Un\r\nDeux\rTrois \xE9t\xE9\n"), DP_OK,
      "Un\r\nDeux\rTrois \xC3\xA9t\xC3\xA9\n",
      "not UTF-8: read as windows-1252", 3 },
};

static void test_corpus_read_encodings(void **state)
{
    warnings w = { DP_BUF_INIT, 0, 0 };
    dp_buf text = DP_BUF_INIT;
    dp_error err = DP_ERROR_INIT;
    char path[512];
    tmpdir t;
    size_t i;
    int rc;

    (void)state;
    make_tmpdir(&t);
    for (i = 0; i < sizeof read_cases / sizeof read_cases[0]; i++) {
        write_file(&t, read_cases[i].name, read_cases[i].in,
                   read_cases[i].len);
        snprintf(path, sizeof path, "%s/%s", t.path, read_cases[i].name);
        warnings_reset(&w);
        /* Leftovers from a previous file must go. */
        assert_int_equal(dp_buf_adds(&text, "old contents"), DP_OK);
        rc = dp_corpus_read(path, read_cases[i].name, &text, on_warn, &w,
                            &err);
        if (rc != read_cases[i].rc)
            fail_msg("%s: rc %d, want %d (%s)", read_cases[i].name, rc,
                     read_cases[i].rc, err.msg);
        if (rc == DP_OK) {
            if (text.len != strlen(read_cases[i].out) ||
                memcmp(text.data, read_cases[i].out, text.len) != 0)
                fail_msg("%s: got \"%s\"", read_cases[i].name,
                         dp_buf_cstr(&text));
            assert_true(dp_utf8_valid(text.data, text.len));
        }
        if (read_cases[i].warning == NULL) {
            if (w.n != 0)
                fail_msg("%s: unexpected warning %s", read_cases[i].name,
                         dp_buf_cstr(&w.text));
        } else {
            if (w.n != 1 ||
                strstr(dp_buf_cstr(&w.text), read_cases[i].warning) == NULL)
                fail_msg("%s: warnings \"%s\", want \"%s\"",
                         read_cases[i].name, dp_buf_cstr(&w.text),
                         read_cases[i].warning);
            /* The warning names the display name. */
            assert_true(strncmp(w.text.data, read_cases[i].name,
                                strlen(read_cases[i].name)) == 0);
            assert_int_equal(w.last_line, read_cases[i].line);
        }
    }
    dp_buf_release(&text);
    dp_buf_release(&w.text);
    rm_rf(t.path);
}

/*
 * UTF-8 or 8-bit?  A file that is not valid UTF-8 is damaged UTF-8 when it
 * starts with the UTF-8 BOM or when at least a third of its non-ASCII
 * bytes are in well-formed multi-byte sequences (2 x good >= bad bytes),
 * else it is read as 8-bit.  Each row: the bytes, how they are read and
 * the text they give.  The boundary is tested both ways.
 */
typedef enum dec_as {
    AS_UTF8,       /* valid: the file as it is, no warning */
    AS_REPAIRED,   /* damaged UTF-8: U+FFFD, "invalid UTF-8" warning */
    AS_CP1252,     /* "not UTF-8: read as windows-1252" */
    AS_LATIN9      /* "not UTF-8: read as ISO-8859-15" */
} dec_as;

static const struct {
    const char *name;
    const char *in;
    size_t len;
    dec_as as;
    const char *out;
    size_t first_bad;   /* AS_REPAIRED: byte named by the warning */
} detect_cases[] = {
    { "ascii.txt", B("Le traite de Rome.\n"), AS_UTF8,
      "Le traite de Rome.\n", 0 },
    { "bom.txt", B("\xEF\xBB\xBFLe trait\xC3\xA9.\n"), AS_UTF8,
      "\xEF\xBB\xBFLe trait\xC3\xA9.\n", 0 },
    /* QA's file: 2 bad bytes, 2 good ones ("é"). */
    { "qa.txt", B("Texte invalide \xFF\xFE ici puis trait\xC3\xA9 de Rome.\n"),
      AS_REPAIRED, "Texte invalide " R R " ici puis trait\xC3\xA9 de Rome.\n",
      15 },
    { "stray_ff.txt",
      B("L'\xC3\xA9t\xC3\xA9 \xC3\xA0 Bakou\xFF, la d\xC3\xA9l\xC3\xA9gation "
        "fran\xC3\xA7" "aise.\n"),
      AS_REPAIRED,
      "L'\xC3\xA9t\xC3\xA9 \xC3\xA0 Bakou" R ", la d\xC3\xA9l\xC3\xA9gation "
      "fran\xC3\xA7" "aise.\n", 16 },
    { "truncated_end.txt", B("Le trait\xC3\xA9 de Rome est sign\xC3"),
      AS_REPAIRED, "Le trait\xC3\xA9 de Rome est sign" R, 27 },
    /* A cut "’" (E2 80 99): one U+FFFD for its 2 bytes. */
    { "truncated_quote.txt", B("L\xE2\x80\x99\xC3\xA9t\xC3\xA9 de l\xE2\x80"),
      AS_REPAIRED, "L\xE2\x80\x99\xC3\xA9t\xC3\xA9 de l" R, 14 },
    { "cp1252_many.txt",
      B("L'\xE9t\xE9 \xE0 Bakou, la d\xE9l\xE9gation fran\xE7" "aise a "
        "pr\xE9sent\xE9 \x93" "l'\x9C" "uvre commune\x94 \x85\n"),
      AS_CP1252,
      "L'\xC3\xA9t\xC3\xA9 \xC3\xA0 Bakou, la d\xC3\xA9l\xC3\xA9gation "
      "fran\xC3\xA7" "aise a pr\xC3\xA9sent\xC3\xA9 \xE2\x80\x9Cl'\xC5\x93"
      "uvre commune\xE2\x80\x9D \xE2\x80\xA6\n", 0 },
    /* The boundary: one "é" (2 good bytes) and 4 bad ones is UTF-8 ... */
    { "edge_utf8.txt", B("D\xE9j\xE0 l'\xE9t\xE9 : trait\xC3\xA9.\n"),
      AS_REPAIRED, "D" R "j" R " l'" R "t" R " : trait\xC3\xA9.\n", 1 },
    /* ... with 5 it is Windows-1252 (the "é" becomes "Ã©"). */
    { "edge_cp1252.txt", B("D\xE9j\xE0 l'\xE9t\xE9 \xE0 trait\xC3\xA9.\n"),
      AS_CP1252,
      "D\xC3\xA9j\xC3\xA0 l'\xC3\xA9t\xC3\xA9 \xC3\xA0 trait\xC3\x83\xC2\xA9.\n",
      0 },
    /* Bytes are counted, not sequences: one "’" (3 good bytes) and 6 bad
     * ones is UTF-8 ... */
    { "edge_bytes_utf8.txt",
      B("L\xE2\x80\x99\xE9t\xE9 \xE0 \xE8re \xEAtre \xF4te.\n"),
      AS_REPAIRED, "L\xE2\x80\x99" R "t" R " " R " " R "re " R "tre " R
      "te.\n", 4 },
    /* ... 7 is Windows-1252. */
    { "edge_bytes_cp1252.txt",
      B("L\xE2\x80\x99\xE9t\xE9 \xE0 \xE8re \xEAtre \xF4t\xE9.\n"),
      AS_CP1252,
      "L\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2\xC3\xA9t\xC3\xA9 \xC3\xA0 "
      "\xC3\xA8re \xC3\xAAtre \xC3\xB4t\xC3\xA9.\n", 0 },
    /* The UTF-8 BOM says UTF-8, even with 8-bit bytes after it ... */
    { "bom_damaged.txt",
      B("\xEF\xBB\xBFpr\xE9sent\xE9 \xE0 l'\xE9t\xE9 d\xE9j\xE0.\n"),
      AS_REPAIRED,
      "\xEF\xBB\xBFpr" R "sent" R " " R " l'" R "t" R " d" R "j" R ".\n", 5 },
    /* ... which without it are Windows-1252. */
    { "nobom_cp1252.txt", B("pr\xE9sent\xE9 \xE0 l'\xE9t\xE9 d\xE9j\xE0.\n"),
      AS_CP1252,
      "pr\xC3\xA9sent\xC3\xA9 \xC3\xA0 l'\xC3\xA9t\xC3\xA9 d\xC3\xA9j\xC3\xA0.\n",
      0 },
    /* Which 8-bit charset?  ICU's detector says ISO-8859-1 (or
     * windows-1252) for all of these, never ISO-8859-15; the file is
     * ISO-8859-15 when it has Œ or œ (BC, BD; ¼ ½ in Latin-1) between two
     * letters and no byte in 80..9F (printable in Windows-1252, whose œ
     * is 9C). */
    { "latin9.txt",
      B("Les s\xBDurs et le v\xBDu co\xFBtent 5 \xA4. Elles ont vu leur "
        "c\xBDur battre \xE0 No\xEBl.\n"), AS_LATIN9,
      "Les s\xC5\x93urs et le v\xC5\x93u co\xC3\xBBtent 5 \xE2\x82\xAC. Elles "
      "ont vu leur c\xC5\x93ur battre \xC3\xA0 No\xC3\xABl.\n", 0 },
    { "latin9_caps.txt",
      B("LA MAN\xBCUVRE DU C\xBCUR, l'\xE9t\xE9 dernier \xE0 Paris.\n"),
      AS_LATIN9,
      "LA MAN\xC5\x92UVRE DU C\xC5\x92UR, l'\xC3\xA9t\xC3\xA9 dernier "
      "\xC3\xA0 Paris.\n", 0 },
    { "latin9_short.txt", B("Un c\xBDur.\n"), AS_LATIN9,
      "Un c\xC5\x93ur.\n", 0 },
    /* Fractions that are not inside a word: Latin-1. */
    { "latin1_fractions.txt",
      B("Il faut 1 \xBD litre de lait et \xBC de sucre, \xE0 l'\xE9t\xE9.\n"),
      AS_CP1252,
      "Il faut 1 \xC2\xBD litre de lait et \xC2\xBC de sucre, \xC3\xA0 "
      "l'\xC3\xA9t\xC3\xA9.\n", 0 },
    /* A byte in 80..9F (œ is 9C, € 80) says Windows-1252, whatever BD. */
    { "cp1252_c1.txt",
      B("Les s\x9Curs co\xFBtent 5 \x80 ; la cote\xBDpart\xE9" "e est "
        "rare.\n"), AS_CP1252,
      "Les s\xC5\x93urs co\xC3\xBBtent 5 \xE2\x82\xAC ; la cote\xC2\xBDpart"
      "\xC3\xA9" "e est rare.\n", 0 },
    /* The rule needs a letter on both sides: "l'œuvre" alone is not
     * enough (read as "l'½uvre"). */
    { "latin9_word_start.txt", B("Voici l'\xBDuvre d'un \xE9t\xE9.\n"),
      AS_CP1252, "Voici l'\xC2\xBDuvre d'un \xC3\xA9t\xC3\xA9.\n", 0 },
};

/*
 * Check @p map against the file @p in (@p len bytes) and its text: it
 * starts and ends with both; each code point of the text but U+FFFD is
 * the same bytes at the mapped place of the file; each U+FFFD that is
 * not in the file stands for 1 to 3 bytes of it.
 */
static void check_map(const char *name, const char *in, size_t len,
                      const dp_buf *text, const dp_offmap *map)
{
    const unsigned char *t = (const unsigned char *)text->data;
    size_t x = 0, k, f, g;

    if (dp_offmap_lookup(map, 0) != 0 ||
        dp_offmap_lookup(map, text->len) != len)
        fail_msg("%s: map gives %zu, %zu for 0, %zu (file: %zu bytes)", name,
                 dp_offmap_lookup(map, 0), dp_offmap_lookup(map, text->len),
                 text->len, len);
    while (x < text->len) {
        k = t[x] < 0x80 ? 1 : t[x] < 0xE0 ? 2 : t[x] < 0xF0 ? 3 : 4;
        f = dp_offmap_lookup(map, x);
        g = dp_offmap_lookup(map, x + k);
        /* A U+FFFD that is not one of the file's own. */
        if (k == 3 && memcmp(t + x, R, 3) == 0 &&
            (f + 3 > len || memcmp(in + f, R, 3) != 0)) {
            if (g <= f || g - f > 3)
                fail_msg("%s: U+FFFD at %zu maps to %zu..%zu", name, x, f, g);
        } else if (g != f + k || memcmp(t + x, in + f, k) != 0) {
            fail_msg("%s: text byte %zu maps to file byte %zu (to %zu), "
                     "not the same bytes", name, x, f, g);
        }
        x += k;
    }
}

static void test_corpus_read_utf8_or_8bit(void **state)
{
    warnings w = { DP_BUF_INIT, 0, 0 };
    dp_buf text = DP_BUF_INIT;
    dp_offmap map = DP_OFFMAP_INIT;
    dp_error err = DP_ERROR_INIT;
    char path[512], want[128];
    tmpdir t;
    size_t i;
    int rc;

    (void)state;
    make_tmpdir(&t);
    for (i = 0; i < sizeof detect_cases / sizeof detect_cases[0]; i++) {
        const char *name = detect_cases[i].name;
        write_file(&t, name, detect_cases[i].in, detect_cases[i].len);
        snprintf(path, sizeof path, "%s/%s", t.path, name);
        warnings_reset(&w);
        rc = dp_corpus_read_map(path, name, &text, &map, on_warn, &w, &err);
        if (rc != DP_OK)
            fail_msg("%s: rc %d (%s)", name, rc, err.msg);
        if (text.len != strlen(detect_cases[i].out) ||
            memcmp(text.data, detect_cases[i].out, text.len) != 0)
            fail_msg("%s: got \"%s\"", name, dp_buf_cstr(&text));
        switch (detect_cases[i].as) {
        case AS_UTF8:
            if (w.n != 0)
                fail_msg("%s: warning %s", name, dp_buf_cstr(&w.text));
            assert_int_equal(map.n, 0);
            break;
        case AS_REPAIRED:
            snprintf(want, sizeof want, "%s:1: invalid UTF-8 at byte %zu, "
                     "replaced by U+FFFD", name, detect_cases[i].first_bad);
            if (w.n != 1 || strstr(dp_buf_cstr(&w.text), want) == NULL)
                fail_msg("%s: warnings \"%s\", want \"%s\"", name,
                         dp_buf_cstr(&w.text), want);
            check_map(name, detect_cases[i].in, detect_cases[i].len, &text,
                      &map);
            break;
        case AS_CP1252:
        case AS_LATIN9:
            snprintf(want, sizeof want, "%s:1: not UTF-8: read as %s\n", name,
                     detect_cases[i].as == AS_CP1252 ? "windows-1252"
                                                     : "ISO-8859-15");
            if (w.n != 1 || strcmp(dp_buf_cstr(&w.text), want) != 0)
                fail_msg("%s: warnings \"%s\", want \"%s\"", name,
                         dp_buf_cstr(&w.text), want);
            /* Transcoded: offsets are those of the UTF-8 text. */
            assert_int_equal(map.n, 0);
            break;
        }
    }
    dp_offmap_release(&map);
    dp_buf_release(&text);
    dp_buf_release(&w.text);
    rm_rf(t.path);
}

/* The map of a repaired file keeps the file's offsets, NUL bytes
 * included. */
static void test_corpus_read_offsets(void **state)
{
    /* Passage 2 starts at byte 122 of the file, 126 of the text.  (One
     * NUL in a file of fewer than 100 bytes would make it binary.) */
    static const char in[] = "Un \xFF" "d\xC3\xA9" "but\0ici, puis une "
                             "phrase assez longue pour que le fichier "
                             "ne soit pas pris pour un binaire, \xC3\xA0 "
                             "c\xC3\xB4t\xC3\xA9 de l'\xC3\xA9t\xC3\xA9.\n\n"
                             "Les \xE2\x82\xFF\xFE relations.\n";
    dp_buf text = DP_BUF_INIT;
    dp_offmap map = DP_OFFMAP_INIT;
    dp_error err = DP_ERROR_INIT;
    char path[512];
    const char *p;
    tmpdir t;

    (void)state;
    make_tmpdir(&t);
    write_file(&t, "o.txt", in, sizeof in - 1);
    snprintf(path, sizeof path, "%s/o.txt", t.path);
    assert_int_equal(dp_corpus_read_map(path, "o.txt", &text, &map, NULL,
                                        NULL, &err), DP_OK);
    assert_string_equal(text.data, "Un " R "d\xC3\xA9" "but" R "ici, puis "
                                   "une phrase assez longue pour que le "
                                   "fichier ne soit pas pris pour un "
                                   "binaire, \xC3\xA0 c\xC3\xB4t\xC3\xA9 de "
                                   "l'\xC3\xA9t\xC3\xA9.\n\nLes " R R R
                                   " relations.\n");
    check_map("o.txt", in, sizeof in - 1, &text, &map);
    /* "\xFF", the NUL, "\xE2\x82", "\xFF", "\xFE". */
    assert_int_equal(map.n, 5);
    p = strstr(text.data, "Les");
    assert_int_equal(p - text.data, 126);
    assert_int_equal(dp_offmap_lookup(&map, 126), 122);
    assert_memory_equal(in + 122, "Les", 3);
    p = strstr(text.data, "relations");
    assert_int_equal(dp_offmap_lookup(&map, (size_t)(p - text.data)),
                     strstr(in + 122, "relations") - in);
    /* Inside a U+FFFD: into the bytes it replaced, never past them. */
    assert_int_equal(dp_offmap_lookup(&map, 4), 4);
    assert_int_equal(dp_offmap_lookup(&map, 5), 4);
    assert_int_equal(dp_offmap_lookup(&map, 6), 4);
    /* No map, or an empty one: offsets as they are. */
    assert_int_equal(dp_offmap_lookup(NULL, 42), 42);
    dp_offmap_release(&map);
    assert_int_equal(dp_offmap_lookup(&map, 42), 42);
    dp_offmap_release(&map);
    dp_offmap_release(NULL);
    /* A failed read leaves the map empty. */
    assert_int_equal(dp_corpus_read_map(path, "o.txt", &text, &map, NULL,
                                        NULL, &err), DP_OK);
    assert_true(map.n > 0);
    snprintf(path, sizeof path, "%s/missing.txt", t.path);
    assert_int_equal(dp_corpus_read_map(path, "missing.txt", &text, &map,
                                        NULL, NULL, &err), DP_EIO);
    assert_int_equal(map.n, 0);
    assert_null(map.segs);
    dp_buf_release(&text);
    rm_rf(t.path);
}

static void test_corpus_read_errors(void **state)
{
    warnings w = { DP_BUF_INIT, 0, 0 };
    dp_buf text = DP_BUF_INIT;
    dp_error err = DP_ERROR_INIT;
    char path[512];
    tmpdir t;

    (void)state;
    make_tmpdir(&t);
    snprintf(path, sizeof path, "%s/missing.txt", t.path);
    assert_int_equal(dp_corpus_read(path, "missing.txt", &text, on_warn, &w,
                                    &err), DP_EIO);
    assert_int_equal(err.code, DP_EIO);
    assert_non_null(strstr(err.msg, "No such file"));
    assert_int_equal(w.n, 0);

    /* A directory is not readable as a file. */
    assert_int_equal(dp_corpus_read(t.path, "dir", &text, NULL, NULL, &err),
                     DP_EIO);

    /* A caller's buffer limit below the file size is reported, not
     * overrun. */
    write_file(&t, "big.txt", "0123456789abcdef0123456789", 26);
    snprintf(path, sizeof path, "%s/big.txt", t.path);
    dp_buf_init(&text, 8);
    assert_int_equal(dp_corpus_read(path, "big.txt", &text, NULL, NULL, &err),
                     DP_ELIMIT);
    dp_buf_release(&text);
    dp_buf_init(&text, 0);

    /* No warning callback, no error buffer: still fine. */
    write_file(&t, "latin.txt", "\xE9t\xE9", 3);
    snprintf(path, sizeof path, "%s/latin.txt", t.path);
    assert_int_equal(dp_corpus_read(path, NULL, &text, NULL, NULL, NULL),
                     DP_OK);
    assert_string_equal(text.data, "\xC3\xA9t\xC3\xA9");

    /* A large Latin-1 file (bigger than the detector's sample). */
    {
        static const char para[] = "Le minist\xE8re des Affaires "
                                    "\xE9trang\xE8res a publi\xE9 un "
                                    "communiqu\xE9 sur la coop\xE9ration.\n";
        dp_buf big = DP_BUF_INIT;
        size_t k;
        for (k = 0; k < 4000; k++)
            assert_int_equal(dp_buf_adds(&big, para), DP_OK);
        write_file(&t, "large_latin.txt", big.data, big.len);
        snprintf(path, sizeof path, "%s/large_latin.txt", t.path);
        warnings_reset(&w);
        assert_int_equal(dp_corpus_read(path, "large_latin.txt", &text,
                                        on_warn, &w, &err), DP_OK);
        assert_int_equal(w.n, 1);
        assert_non_null(strstr(w.text.data, "read as windows-1252"));
        assert_true(dp_utf8_valid(text.data, text.len));
        assert_int_equal(text.len, big.len + 6 * 4000);
        dp_buf_release(&big);
    }
    /* A NUL past the first 64 KiB (where the binary sniffing stops) is
     * repaired too: it would cut a passage short as a C string. */
    {
        static const char para[] = "Une phrase ordinaire de remplissage.\n\n";
        static const char tail[] = "La charcuti\xC3\xA8re du\0port.\n";
        dp_buf big = DP_BUF_INIT;
        size_t k, lines = 0;
        for (k = 0; big.len <= 70000; k++, lines += 2)
            assert_int_equal(dp_buf_adds(&big, para), DP_OK);
        assert_int_equal(dp_buf_add(&big, tail, sizeof tail - 1), DP_OK);
        write_file(&t, "late_nul.txt", big.data, big.len);
        snprintf(path, sizeof path, "%s/late_nul.txt", t.path);
        warnings_reset(&w);
        assert_int_equal(dp_corpus_read(path, "late_nul.txt", &text,
                                        on_warn, &w, &err), DP_OK);
        assert_int_equal(w.n, 1);
        assert_non_null(strstr(w.text.data, "NUL byte replaced by U+FFFD "
                                             "(1 time)"));
        assert_int_equal(w.last_line, lines + 1);
        assert_int_equal(text.len, big.len + 2);
        assert_null(memchr(text.data, 0, text.len));
        assert_non_null(strstr(text.data, "du" R "port."));
        dp_buf_release(&big);
    }

    /* A FIFO (say, a text file replaced by one after the walk) is
     * refused at once: opening it must not wait for a writer.  alarm()
     * kills the test if it blocks. */
    snprintf(path, sizeof path, "%s/fifo.txt", t.path);
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10);
    assert_int_equal(dp_corpus_read(path, "fifo.txt", &text, NULL, NULL,
                                    &err), DP_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
    alarm(0);
    dp_buf_release(&text);
    dp_buf_release(&w.text);
    rm_rf(t.path);
}

/* ------------------------------------------------------------------ */
/* Walking                                                              */
/* ------------------------------------------------------------------ */

typedef struct seen_files {
    dp_buf list;      /* relpaths joined by '|' */
    size_t n;
    size_t stop_after;
    const char *root; /* path must be root + "/" + relpath */
} seen_files;

static int on_file(const dp_corpus_file *f, void *ctx)
{
    seen_files *s = ctx;
    char want[1024];
    struct stat st;

    if (s->n > 0)
        assert_int_equal(dp_buf_addc(&s->list, '|'), DP_OK);
    assert_int_equal(dp_buf_adds(&s->list, f->relpath), DP_OK);
    s->n++;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(f->size, (uint64_t)st.st_size);
    assert_true(f->mtime_ns > 0);
    /* The walk's own stat(), whole, and the clock just after it. */
    assert_int_equal(f->st->st_ino, st.st_ino);
    assert_int_equal(f->st->st_dev, st.st_dev);
    assert_int_equal(f->st->st_size, st.st_size);
    {
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        assert_true(f->stat_clock_ns > 0);
        assert_true(f->stat_clock_ns <=
                    (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec);
    }
    if (s->root) {
        snprintf(want, sizeof want, "%s/%s", s->root, f->relpath);
        assert_string_equal(f->path, want);
    }
    if (s->stop_after && s->n == s->stop_after)
        return 7;
    return 0;
}

/* The relpaths reported as not walked, joined by '|'. */
static int on_unwalked(const char *relpath, void *ctx)
{
    dp_buf *b = ctx;

    assert_non_null(relpath);
    if (b->len > 0)
        assert_int_equal(dp_buf_addc(b, '|'), DP_OK);
    assert_int_equal(dp_buf_adds(b, relpath), DP_OK);
    return 0;
}

static void build_tree(const tmpdir *t)
{
    write_file(t, "b.txt", "b", 1);
    write_file(t, "a.TXT", "a", 1);
    write_file(t, "Z.txt", "Z", 1);
    write_file(t, "c.md", "c", 1);
    write_file(t, "d.pdf", "d", 1);
    write_file(t, "notes", "n", 1);
    write_file(t, ".hidden.txt", "h", 1);
    write_file(t, "odd\nname \xE9.txt", "o", 1);
    write_file(t, "\xC3\xA9t\xC3\xA9.txt", "e", 1);
    make_dir(t, ".git");
    write_file(t, ".git/x.txt", "x", 1);
    make_dir(t, "sub");
    write_file(t, "sub/z.txt", "z", 1);
    write_file(t, "sub/a.txt", "a", 1);
    make_dir(t, "sub/deep");
    write_file(t, "sub/deep/q.txt", "q", 1);
    make_dir(t, "sub/deep/dir.txt");           /* a directory named .txt */
    make_link(t, "..", "sub/deep/up");         /* loop to an ancestor */
    make_link(t, ".", "loop");                 /* loop to the root */
    make_link(t, "nowhere.txt", "dangling.txt");
    make_link(t, "self.txt", "self.txt");      /* ELOOP */
    make_link(t, "b.txt", "link_to_b.txt");    /* the same file again */
    make_link(t, "sub/a.txt", "a_link.txt");   /* sorts before its target */
    make_link(t, "sub", "wub");                /* same directory again */
}

static void test_corpus_walk_tree(void **state)
{
    static const char want[] =
        "Z.txt|a.TXT|b.txt|c.md|odd\nname \xE9.txt|"
        "sub/a.txt|sub/deep/q.txt|sub/z.txt|\xC3\xA9t\xC3\xA9.txt";
    seen_files s = { DP_BUF_INIT, 0, 0, NULL };
    warnings w = { DP_BUF_INIT, 0, 0 };
    dp_buf unwalked = DP_BUF_INIT;
    size_t skipped = 0;
    dp_walk_opts opts = { NULL, on_warn, &w, on_unwalked, &unwalked,
                          &skipped };
    dp_error err = DP_ERROR_INIT;
    const char *wt;
    tmpdir t;

    (void)state;
    make_tmpdir(&t);
    build_tree(&t);
    s.root = t.path;
    assert_int_equal(dp_corpus_walk(t.path, &opts, on_file, &s, &err), DP_OK);
    assert_string_equal(dp_buf_cstr(&s.list), want);
    wt = dp_buf_cstr(&w.text);
    assert_non_null(strstr(wt, "dangling.txt:0: dangling symbolic link"));
    assert_non_null(strstr(wt, "self.txt:0: symbolic link loop"));
    assert_non_null(strstr(wt, "loop:0: directory loop"));
    assert_non_null(strstr(wt, "sub/deep/up:0: directory loop"));
    assert_non_null(strstr(wt, "wub:0: directory already walked"));
    /* A file reached twice (same device and inode) is reported once,
     * under its own name rather than a link's, even one that sorts
     * first; symbolic links are followed once the walk is done. */
    assert_non_null(strstr(wt, "link_to_b.txt:0: file already found under "
                               "another name, not indexed again"));
    assert_non_null(strstr(wt, "a_link.txt:0: file already found under "
                               "another name"));
    assert_int_equal(w.n, 7);
    /* The two links named .txt that lead nowhere are files left out; the
     * directories not entered are not, nor the files reached twice. */
    assert_int_equal(skipped, 2);
    /* Links that lead nowhere and directories not entered on purpose hide
     * no file: nothing was left unwalked. */
    assert_string_equal(dp_buf_cstr(&unwalked), "");
    dp_buf_release(&unwalked);

    /* Twice the same walk: the same order (deterministic). */
    dp_buf_reset(&s.list);
    s.n = 0;
    assert_int_equal(dp_corpus_walk(t.path, NULL, on_file, &s, &err), DP_OK);
    assert_string_equal(dp_buf_cstr(&s.list), want);

    /* A trailing slash on the root does not double it. */
    {
        char root[300];
        dp_buf_reset(&s.list);
        s.n = 0;
        s.root = NULL;
        snprintf(root, sizeof root, "%s/", t.path);
        assert_int_equal(dp_corpus_walk(root, NULL, on_file, &s, &err),
                         DP_OK);
        assert_string_equal(dp_buf_cstr(&s.list), want);
    }
    dp_buf_release(&s.list);
    dp_buf_release(&w.text);
    rm_rf(t.path);
}

static void test_corpus_walk_options(void **state)
{
    static const char *const md[] = { ".MD", NULL };
    static const char *const many[] = { ".md", ".pdf", "", NULL };
    static const char *const tsv[] = { ".tsv", NULL };
    static const struct {
        const char *const *exts;
        const char *want;
    } filters[] = {
        { md, "c.md" },
        { many, "c.md|d.pdf" },
        /* The root's catalogue is no text; one in a subfolder is. */
        { tsv, "e/CATALOG.tsv" },
    };
    seen_files s = { DP_BUF_INIT, 0, 0, NULL };
    dp_walk_opts opts = { NULL, NULL, NULL, NULL, NULL, NULL };
    dp_error err = DP_ERROR_INIT;
    char path[512];
    tmpdir t;
    size_t i;

    (void)state;
    make_tmpdir(&t);
    write_file(&t, "b.txt", "b", 1);
    write_file(&t, "c.md", "c", 1);
    write_file(&t, "d.pdf", "d", 1);
    make_dir(&t, "e");
    write_file(&t, "e/f.txt", "f", 1);
    write_file(&t, "CATALOG.tsv", "file\ttitle\n", 11);
    write_file(&t, "e/CATALOG.tsv", "file\ttitle\n", 11);
    for (i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        dp_buf_reset(&s.list);
        s.n = 0;
        opts.exts = filters[i].exts;
        assert_int_equal(dp_corpus_walk(t.path, &opts, on_file, &s, &err),
                         DP_OK);
        assert_string_equal(dp_buf_cstr(&s.list), filters[i].want);
    }

    /* The root may be a file: its relpath is its base name, and it is
     * taken whatever its extension. */
    dp_buf_reset(&s.list);
    s.n = 0;
    snprintf(path, sizeof path, "%s/d.pdf", t.path);
    assert_int_equal(dp_corpus_walk(path, NULL, on_file, &s, &err), DP_OK);
    assert_string_equal(dp_buf_cstr(&s.list), "d.pdf");

    /* A callback's non-zero result stops the walk and comes back. */
    dp_buf_reset(&s.list);
    s.n = 0;
    s.stop_after = 2;
    assert_int_equal(dp_corpus_walk(t.path, NULL, on_file, &s, &err), 7);
    assert_string_equal(dp_buf_cstr(&s.list), "b.txt|c.md");
    s.stop_after = 3;
    dp_buf_reset(&s.list);
    s.n = 0;
    assert_int_equal(dp_corpus_walk(t.path, NULL, on_file, &s, &err), 7);
    assert_string_equal(dp_buf_cstr(&s.list), "b.txt|c.md|e/f.txt");
    s.stop_after = 0;

    /* A missing root. */
    snprintf(path, sizeof path, "%s/nope", t.path);
    assert_int_equal(dp_corpus_walk(path, NULL, on_file, &s, &err),
                     DP_ENOTFOUND);
    assert_int_equal(err.code, DP_ENOTFOUND);
    assert_int_equal(dp_corpus_walk("", NULL, on_file, &s, &err), DP_EINVAL);
    assert_int_equal(dp_corpus_walk(t.path, NULL, NULL, NULL, &err),
                     DP_EINVAL);
    dp_buf_release(&s.list);
    rm_rf(t.path);
}

/* Unreadable directories are warned about and reported as not walked
 * (permissions: not testable as root, who can read anything; a path too
 * long to stat() is, for anyone), and nesting is bounded. */
static void test_corpus_walk_unreadable_and_deep(void **state)
{
    static const char name200[] =
        "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
        "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
        "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
        "dd";
    seen_files s = { DP_BUF_INIT, 0, 0, NULL };
    warnings w = { DP_BUF_INIT, 0, 0 };
    dp_buf unwalked = DP_BUF_INIT;
    dp_walk_opts opts = { NULL, on_warn, &w, on_unwalked, &unwalked, NULL };
    dp_error err = DP_ERROR_INIT;
    dp_buf rel = DP_BUF_INIT;
    char path[2048];
    size_t levels;
    tmpdir t, deep;
    int i, fd, sub;

    (void)state;
    make_tmpdir(&t);
    make_dir(&t, "closed");
    write_file(&t, "closed/x.txt", "x", 1);
    write_file(&t, "open.txt", "o", 1);
    snprintf(path, sizeof path, "%s/closed", t.path);
    assert_int_equal(chmod(path, 0), 0);
    assert_int_equal(dp_corpus_walk(t.path, &opts, on_file, &s, &err), DP_OK);
    if (geteuid() != 0) {
        assert_string_equal(dp_buf_cstr(&s.list), "open.txt");
        assert_non_null(strstr(dp_buf_cstr(&w.text),
                               "closed:0: cannot read directory"));
        assert_string_equal(dp_buf_cstr(&unwalked), "closed");
        /* The root itself: reported as "". */
        dp_buf_reset(&unwalked);
        warnings_reset(&w);
        assert_int_equal(dp_corpus_walk(path, &opts, on_file, &s, &err),
                         DP_OK);
        assert_non_null(strstr(dp_buf_cstr(&w.text),
                               "closed:0: cannot read directory"));
        assert_string_equal(dp_buf_cstr(&unwalked), "");
        assert_int_equal(w.n, 1);
    }
    assert_int_equal(chmod(path, 0755), 0);

    /* Directories of 200-byte names, nested until their path passes
     * PATH_MAX (4096): stat() fails (ENAMETOOLONG) on the first one
     * beyond, which is reported with the relpath of that directory. */
    make_tmpdir(&deep);
    levels = (4096 - strlen(deep.path) + sizeof name200 - 1) / sizeof name200;
    fd = open(deep.path, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    for (i = 0; i < (int)levels + 1; i++) {
        assert_int_equal(mkdirat(fd, name200, 0755), 0);
        sub = openat(fd, name200, O_RDONLY | O_DIRECTORY);
        assert_true(sub >= 0);
        close(fd);
        fd = sub;
    }
    sub = openat(fd, "f.txt", O_WRONLY | O_CREAT, 0644);
    assert_true(sub >= 0);
    close(sub);
    close(fd);
    for (i = 0; i < (int)levels; i++)
        assert_int_equal(dp_buf_addf(&rel, "%s%s", i ? "/" : "", name200),
                         DP_OK);
    dp_buf_reset(&s.list);
    dp_buf_reset(&unwalked);
    warnings_reset(&w);
    assert_int_equal(dp_corpus_walk(deep.path, &opts, on_file, &s, &err),
                     DP_OK);
    assert_string_equal(dp_buf_cstr(&s.list), "");
    assert_string_equal(dp_buf_cstr(&unwalked), dp_buf_cstr(&rel));
    assert_non_null(strstr(dp_buf_cstr(&w.text), "cannot stat: File name "
                                                 "too long"));
    rm_rf(deep.path);
    dp_buf_reset(&rel);

    /* DP_MAX_WALK_DEPTH + 2 nested directories, a file in each. */
    for (i = 0; i < DP_MAX_WALK_DEPTH + 2; i++) {
        assert_int_equal(dp_buf_adds(&rel, i ? "/d" : "d"), DP_OK);
        make_dir(&t, dp_buf_cstr(&rel));
        snprintf(path, sizeof path, "%s/f.txt", dp_buf_cstr(&rel));
        write_file(&t, path, "f", 1);
    }
    dp_buf_reset(&s.list);
    s.n = 0;
    warnings_reset(&w);
    assert_int_equal(dp_corpus_walk(t.path, &opts, on_file, &s, &err), DP_OK);
    /* Root level, then d, d/d, ... DP_MAX_WALK_DEPTH levels below. */
    assert_int_equal(s.n, 1 + 1 + DP_MAX_WALK_DEPTH);
    assert_non_null(strstr(dp_buf_cstr(&w.text), "nested deeper than"));
    dp_buf_release(&rel);
    dp_buf_release(&s.list);
    dp_buf_release(&unwalked);
    dp_buf_release(&w.text);
    rm_rf(t.path);
}

/* ------------------------------------------------------------------ */
/* Catalogue                                                            */
/* ------------------------------------------------------------------ */

/* Write @p len bytes of @p tsv as CATALOG.tsv in @p t and load it, its
 * warnings into @p w; it must load. */
static dp_catalog *load_catalog(const tmpdir *t, const char *tsv, size_t len,
                                warnings *w)
{
    dp_catalog *cat = NULL;
    dp_error err = DP_ERROR_INIT;
    char path[512];

    write_file(t, "CATALOG.tsv", tsv, len);
    snprintf(path, sizeof path, "%s/CATALOG.tsv", t->path);
    assert_int_equal(dp_catalog_load(&cat, path, on_warn, w, &err), DP_OK);
    return cat;
}

static void test_corpus_catalog_bundled(void **state)
{
    static const struct {
        const char *file, *title, *date, *source;
    } want[] = {
        { "000_4c187126246bc5f9.txt",
          "Relations entre l'Azerbaïdjan et le Pakistan", "",
          "Wikipédia (fr)" },
        { "001_ea4138b068591137.txt",
          "L'Azerbaïdjan et la Chine scellent un partenariat stratégique "
          "global par une déclaration conjointe", "2025-04-23",
          "La Gazette (Paris), texte de la déclaration conjointe publié "
          "par Azertag" },
        { "002_7c7b68eb1ae0abd2.txt",
          "Chine-Azerbaïdjan : treize projets signés à la conférence de "
          "promotion des investissements de Pékin", "2025-04",
          "dépêche de presse" },
    };
    warnings w = { DP_BUF_INIT, 0, 0 };
    dp_catalog *cat = NULL;
    const dp_catalog_entry *e;
    dp_error err = DP_ERROR_INIT;
    size_t i;

    (void)state;
    assert_int_equal(dp_catalog_load(&cat, DP_SOURCE_ROOT
                                     "/corpus/CATALOG.tsv", on_warn, &w,
                                     &err), DP_OK);
    assert_non_null(cat);
    assert_int_equal(w.n, 0);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        e = dp_catalog_find(cat, want[i].file);
        assert_non_null(e);
        assert_string_equal(e->title, want[i].title);
        assert_string_equal(e->date, want[i].date);
        assert_string_equal(e->source, want[i].source);
    }
    assert_null(dp_catalog_find(cat, "file"));
    assert_null(dp_catalog_find(cat, "003.txt"));
    assert_null(dp_catalog_find(cat, ""));
    assert_null(dp_catalog_find(NULL, "000_4c187126246bc5f9.txt"));
    dp_catalog_free(cat);
    dp_catalog_free(NULL);
    dp_buf_release(&w.text);
}

/* The entries of files the corpus does not hold are named with their
 * line; the others are not. */
static void test_corpus_catalog_unmarked(void **state)
{
    static const struct {
        const char *marked[3];
        size_t warnings, line;
    } cases[] = {
        { { "000_4c187126246bc5f9.txt", "001_ea4138b068591137.txt",
            "002_7c7b68eb1ae0abd2.txt" }, 0, 0 },
        { { "000_4c187126246bc5f9.txt", "002_7c7b68eb1ae0abd2.txt",
            "sub/001_ea4138b068591137.txt" }, 1, 3 },
        { { "003.txt", NULL, NULL }, 3, 4 },
    };
    dp_error err = DP_ERROR_INIT;

    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        warnings w = { DP_BUF_INIT, 0, 0 };
        dp_catalog *cat = NULL;

        assert_int_equal(dp_catalog_load(&cat, DP_SOURCE_ROOT
                                         "/corpus/CATALOG.tsv", on_warn, &w,
                                         &err), DP_OK);
        for (size_t i = 0; i < 3 && cases[k].marked[i] != NULL; i++)
            dp_catalog_mark(cat, cases[k].marked[i]);
        dp_catalog_warn_unmarked(cat, "CATALOG.tsv", on_warn, &w);
        assert_int_equal(w.n, cases[k].warnings);
        assert_int_equal(w.last_line, cases[k].line);
        if (k == 1)
            assert_string_equal(dp_buf_cstr(&w.text),
                                "CATALOG.tsv:3: 001_ea4138b068591137.txt is "
                                "listed but is no file of the corpus (moved, "
                                "renamed or not indexed?): its entry is not "
                                "used\n");
        dp_catalog_free(cat);
        dp_buf_release(&w.text);
    }
    dp_catalog_mark(NULL, "000_4c187126246bc5f9.txt");
    dp_catalog_warn_unmarked(NULL, "CATALOG.tsv", on_warn, NULL);
}

static void test_corpus_catalog_tolerant(void **state)
{
    static const char tsv[] =
        "\xEF\xBB\xBF" "file\ttitle\tdate\tsource\r\n"
        "a.txt\tTitre A\t2024-01-02\tSource A\r\n"
        "\r\n"
        "no tab on this line\r\n"
        "b.txt\tTitre B\r\n"                     /* missing columns */
        "sub/c.txt\tTitre C\t\tSource C\textra\r\n"
        "\tno file name\r\n"
        "a.txt\tDoublon\t\t\r\n"
        "./d.txt\tTitre D\t2020\tS\n"
        "e.txt\tTitre \xE9\t\t";                 /* bad UTF-8, no EOL */
    static const struct {
        const char *file, *title, *date, *source;
    } want[] = {
        { "a.txt", "Titre A", "2024-01-02", "Source A" },
        { "b.txt", "Titre B", "", "" },
        { "sub/c.txt", "Titre C", "", "Source C" },
        { "d.txt", "Titre D", "2020", "S" },
        { "e.txt", "Titre " R, "", "" },
    };
    warnings w = { DP_BUF_INIT, 0, 0 };
    dp_catalog *cat = NULL;
    const dp_catalog_entry *e;
    dp_error err = DP_ERROR_INIT;
    char path[512];
    const char *wt;
    tmpdir t;
    size_t i;

    (void)state;
    make_tmpdir(&t);
    cat = load_catalog(&t, tsv, sizeof tsv - 1, &w);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        e = dp_catalog_find(cat, want[i].file);
        if (e == NULL)
            fail_msg("catalogue has no %s", want[i].file);
        assert_string_equal(e->title, want[i].title);
        assert_string_equal(e->date, want[i].date);
        assert_string_equal(e->source, want[i].source);
    }
    assert_null(dp_catalog_find(cat, "no tab on this line"));
    wt = dp_buf_cstr(&w.text);
    assert_non_null(strstr(wt, ":4: malformed catalogue line"));
    assert_non_null(strstr(wt, ":7: malformed catalogue line"));
    assert_non_null(strstr(wt, ":8: duplicate catalogue entry for a.txt, "
                               "the first (line 2) is kept\n"));
    assert_non_null(strstr(wt, ":10: invalid UTF-8"));
    assert_int_equal(w.n, 4);
    dp_catalog_free(cat);
    cat = NULL;

    /* Duplicates and entries of no file are named in line order, not in
     * the order of the names; a duplicate is not also an entry of no
     * file. */
    {
        static const char order[] = "file\ttitle\nzz1.txt\tA\na.txt\tOK\n"
                                    "mm2.txt\tB\na.txt\tDup\naa3.txt\tC\n"
                                    "a.txt\tDup2\n";
        static const char unused[] =
            "C:2: zz1.txt is listed but is no file of the corpus (moved, "
            "renamed or not indexed?): its entry is not used\n"
            "C:4: mm2.txt is listed but is no file of the corpus (moved, "
            "renamed or not indexed?): its entry is not used\n"
            "C:6: aa3.txt is listed but is no file of the corpus (moved, "
            "renamed or not indexed?): its entry is not used\n";
        dp_buf expect = DP_BUF_INIT;

        warnings_reset(&w);
        cat = load_catalog(&t, order, sizeof order - 1, &w);
        assert_string_equal(dp_catalog_find(cat, "a.txt")->title, "OK");
        dp_catalog_mark(cat, "a.txt");
        dp_catalog_warn_unmarked(cat, "C", on_warn, &w);
        for (i = 5; i <= 7; i += 2)
            assert_int_equal(dp_buf_addf(&expect, "%s/CATALOG.tsv:%zu: "
                                         "duplicate catalogue entry for "
                                         "a.txt, the first (line 3) is "
                                         "kept\n", t.path, i), DP_OK);
        assert_int_equal(dp_buf_adds(&expect, unused), DP_OK);
        assert_string_equal(dp_buf_cstr(&w.text), dp_buf_cstr(&expect));
        dp_buf_release(&expect);
        dp_catalog_free(cat);
        cat = NULL;
    }

    /* A missing catalogue is an empty one. */
    snprintf(path, sizeof path, "%s/none.tsv", t.path);
    assert_int_equal(dp_catalog_load(&cat, path, NULL, NULL, &err), DP_OK);
    assert_non_null(cat);
    assert_null(dp_catalog_find(cat, "a.txt"));
    dp_catalog_free(cat);
    cat = NULL;

    /* An empty file, and a header only. */
    write_file(&t, "empty.tsv", "", 0);
    snprintf(path, sizeof path, "%s/empty.tsv", t.path);
    assert_int_equal(dp_catalog_load(&cat, path, NULL, NULL, &err), DP_OK);
    assert_null(dp_catalog_find(cat, "file"));
    dp_catalog_free(cat);
    cat = NULL;

    /* A directory where the catalogue should be: an I/O error. */
    assert_int_equal(dp_catalog_load(&cat, t.path, NULL, NULL, &err), DP_EIO);
    assert_non_null(strstr(err.msg, ": is a directory"));
    /* So is a link that leads nowhere: not a missing catalogue. */
    make_link(&t, "nowhere.tsv", "dangling.tsv");
    snprintf(path, sizeof path, "%s/dangling.tsv", t.path);
    assert_int_equal(dp_catalog_load(&cat, path, NULL, NULL, &err), DP_EIO);
    assert_non_null(strstr(err.msg, "dangling.tsv: dangling symbolic link"));
    assert_null(cat);
    /* So is a FIFO, at once: reading it would wait for a writer. */
    snprintf(path, sizeof path, "%s/fifo.tsv", t.path);
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10);
    assert_int_equal(dp_catalog_load(&cat, path, NULL, NULL, &err), DP_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
    alarm(0);
    assert_null(cat);
    dp_buf_release(&w.text);
    rm_rf(t.path);
}

/* A catalogue saved by a spreadsheet is often Windows-1252 or UTF-16
 * ("Unicode text"): decoded as the texts are, with the same warnings,
 * not read as damaged UTF-8 (titles full of U+FFFD) or as lines of NULs
 * (every entry lost); but never skipped as binary. */
static void test_corpus_catalog_encodings(void **state)
{
#define CAT_U16LE(s) "\xFF\xFE" s
    static const char le[] = CAT_U16LE(
        "f\0i\0l\0e\0\t\0t\0i\0t\0l\0e\0\r\0\n\0"
        "a\0.\0t\0x\0t\0\t\0\xC9\0t\0\xE9\0\t\0" "2\0" "0\0\r\0\n\0");
    static const struct {
        const char *name, *in;
        size_t len;
        const char *title, *date, *warning;
    } cases[] = {
        { "cp1252", "file\ttitle\r\na.txt\tTrait\xE9 de l'\xC9lys\xE9" "e"
          "\t1963\r\n", 0, "Traité de l'Élysée", "1963",
          ":2: not UTF-8: read as windows-1252" },
        { "utf16le", le, sizeof le - 1, "Été", "20",
          ": transcoded from UTF-16LE" },
        /* Control characters galore are still read (and escaped when
         * printed): a catalogue is never skipped as binary. */
        { "controls", "file\ttitle\na.txt\t\x1b[2J\x07\x01\x02\x03\n", 0,
          "\x1b[2J\x07\x01\x02\x03", "", NULL },
    };
    warnings w = { DP_BUF_INIT, 0, 0 };
    tmpdir t;

    (void)state;
    make_tmpdir(&t);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dp_catalog *cat = NULL;
        const dp_catalog_entry *e;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);

        warnings_reset(&w);
        cat = load_catalog(&t, cases[i].in, len, &w);
        e = dp_catalog_find(cat, "a.txt");
        if (e == NULL)
            fail_msg("%s: catalogue has no a.txt", cases[i].name);
        assert_string_equal(e->title, cases[i].title);
        assert_string_equal(e->date, cases[i].date);
        if (cases[i].warning != NULL &&
            strstr(dp_buf_cstr(&w.text), cases[i].warning) == NULL)
            fail_msg("%s: no warning '%s' in: %s", cases[i].name,
                     cases[i].warning, dp_buf_cstr(&w.text));
        assert_int_equal(w.n, cases[i].warning != NULL);
        dp_catalog_free(cat);
    }
#undef CAT_U16LE
    dp_buf_release(&w.text);
    rm_rf(t.path);
}

/* File names compare in NFC: "e" + U+0301 (NFD, as macOS writes names)
 * is "é"; ASCII and invalid UTF-8 stay as they are. */
static void test_corpus_name_nfc(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "plain/ascii.txt", "plain/ascii.txt" },
        { "De\xCC\x81" "claration.txt", "D\xC3\xA9" "claration.txt" },
        { "D\xC3\xA9" "claration.txt", "D\xC3\xA9" "claration.txt" },
        { "a/Re\xCC\x81sume\xCC\x81.md", "a/R\xC3\xA9sum\xC3\xA9.md" },
        { "bad\xFF" "e\xCC\x81", "bad\xFF" "e\xCC\x81" },
        { "", "" },
    };
    dp_buf out = DP_BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(dp_corpus_name_nfc(cases[i].in, strlen(cases[i].in),
                                            &out),
                         DP_OK);
        assert_string_equal(dp_buf_cstr(&out), cases[i].want);
    }
    dp_buf_release(&out);
}

/* A catalogue names a file whatever the normal form of either name:
 * typed "é" (NFC) for a file that macOS named "e" + U+0301 (NFD), or the
 * other way round. */
static void test_corpus_catalog_nfc(void **state)
{
    static const char tsv[] =
        "file\ttitle\n"
        "D\xC3\xA9" "claration.txt\tNFC\n"
        "Re\xCC\x81" "sume\xCC\x81" ".txt\tNFD\n";
    static const struct {
        const char *relpath, *title;
    } cases[] = {
        { "De\xCC\x81" "claration.txt", "NFC" },
        { "D\xC3\xA9" "claration.txt", "NFC" },
        { "R\xC3\xA9sum\xC3\xA9.txt", "NFD" },
        { "Re\xCC\x81" "sume\xCC\x81" ".txt", "NFD" },
    };
    warnings w = { DP_BUF_INIT, 0, 0 };
    dp_catalog *cat = NULL;
    tmpdir t;

    (void)state;
    make_tmpdir(&t);
    cat = load_catalog(&t, tsv, sizeof tsv - 1, &w);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const dp_catalog_entry *e = dp_catalog_find(cat, cases[i].relpath);
        if (e == NULL)
            fail_msg("case %zu: no entry", i);
        assert_string_equal(e->title, cases[i].title);
    }
    /* Marked through the other form: no "is no file" warning. */
    dp_catalog_mark(cat, cases[0].relpath);
    dp_catalog_mark(cat, cases[2].relpath);
    dp_catalog_warn_unmarked(cat, "CATALOG.tsv", on_warn, &w);
    assert_int_equal(w.n, 0);
    dp_catalog_free(cat);
    dp_buf_release(&w.text);
    rm_rf(t.path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_utf8_valid),
        cmocka_unit_test(test_corpus_utf8_repair),
        cmocka_unit_test(test_corpus_read_encodings),
        cmocka_unit_test(test_corpus_read_utf8_or_8bit),
        cmocka_unit_test(test_corpus_read_offsets),
        cmocka_unit_test(test_corpus_read_errors),
        cmocka_unit_test(test_corpus_walk_tree),
        cmocka_unit_test(test_corpus_walk_options),
        cmocka_unit_test(test_corpus_walk_unreadable_and_deep),
        cmocka_unit_test(test_corpus_catalog_bundled),
        cmocka_unit_test(test_corpus_catalog_unmarked),
        cmocka_unit_test(test_corpus_catalog_tolerant),
        cmocka_unit_test(test_corpus_catalog_encodings),
        cmocka_unit_test(test_corpus_name_nfc),
        cmocka_unit_test(test_corpus_catalog_nfc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
