/* main.c -- depeche-search: rank passages, print cited snippets. */
#include <getopt.h>
#include <errno.h>
#include <pthread.h>
#include <search.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "depeche/buf.h"
#include "depeche/corpus.h"
#include "depeche/cpus.h"
#include "depeche/output.h"
#include "depeche/progress.h"
#include "depeche/search.h"

#define PROG "depeche-search"
#define DEFAULT_INDEX "depeche.db"

/* Exit codes, like grep. */
enum { EXIT_HITS = 0, EXIT_NONE = 1, EXIT_ERROR = 2 };

typedef struct options {
    const char *index;
    dp_search_opts search;
    dp_output_opts out;
    const char *cite;
    uint32_t context;
    bool context_given;
    bool k_given;      /* -k or --offset */
    bool count;
    bool stats;
    bool explain;
    bool allow_partial;
    const char *quote;
    const char *batch;
    const char *times;  /* --times FILE: each batch query's time */
    uint32_t jobs;
    bool hl_given;
    int color;          /* -1 auto, 0 never, 1 always */
    char *query;        /* the QUERY words joined by spaces */
} options;

static void usage(FILE *fp)
{
    fputs("Usage: " PROG " [-d INDEX] [options] QUERY...\n"
          "       " PROG " [-d INDEX] --cite ID [-C N]\n"
          "       " PROG " [-d INDEX] --quote TEXT\n"
          "       " PROG " [-d INDEX] --batch FILE [-j N]\n"
          "       " PROG " [-d INDEX] --stats\n"
          "Rank the passages of a dépêche index against QUERY (French "
          "words; accents,\ncase and elisions do not matter) and print "
          "them with citations.\nQuery language: words, \"phrases\", "
          "\"a b\"~N, a NEAR/N b, AND, OR, NOT, +a, -a,\n( ), prefix*, "
          "word~ and word~2, "
          "=exact, file:GLOB, section:WORD, title:WORD\n"
          "(docs/query-language.md)."
          "\n\n"
          "  -d, --index INDEX       index to search (default: "
          "$DEPECHE_INDEX,\n"
          "                          else " DEFAULT_INDEX ")\n"
          "  -k N                    number of hits (default 10)\n"
          "      --offset N          skip the first N hits\n"
          "      --format FMT        text (default), grep, jsonl, tsv, "
          "trec\n"
          "      --highlight MODE    ansi, markdown, html, none (default: "
          "ansi when\n"
          "                          colouring, none on a terminal without "
          "colour,\n"
          "                          markdown in a pipe)\n"
          "      --color WHEN        auto (default), always, never; "
          "NO_COLOR is obeyed\n"
          "      --full              jsonl/tsv: add the whole passage "
          "text\n"
          "      --snippet-words N   snippet length in words (default 35)\n"
          "      --bm25 K1,B         BM25 parameters (default 0.82,0.68)\n"
          "      --context-weight W  weight of a query word found in the "
          "title or section\n"
          "                          instead of the passage (default 0.3; "
          "0: off)\n"
          "      --truncation-weight W  weight of a query word found "
          "through its first\n"
          "                          5 letters only (default 0.4; 0: off)\n"
          "      --exact-weight W    bonus of a passage word of exactly the "
          "query word's\n"
          "                          form, accents and case aside "
          "(default 0.3; 0: off)\n"
          "      --capitals S,E      a query word typed with a capital: "
          "weights of its stem\n"
          "                          and of its exact form (default 0.4,1; "
          "1,0.3: as in\n"
          "                          lower case)\n"
          "      --subject T,C       a subject word (in the titles or "
          "headings of at\n"
          "                          least half the passages holding it): "
          "weights in the\n"
          "                          passage and in the title or heading "
          "(default 0.7,1;\n"
          "                          1,0.3: as other words)\n"
          "      --correction-weight W  weight of the spelling correction "
          "of a word no\n"
          "                          passage holds in any form (default 1; "
          "0: off)\n"
          "      --proximity N,W     neighbouring query words within N "
          "words add W times\n"
          "                          their weight (default off; e.g. "
          "6,0.25)\n"
          "      --neighbour-weight W  a query of free words only: each of "
          "its 25 best\n"
          "                          passages adds W/2 of its score to the "
          "passages\n"
          "                          before and after it (default 0.2; 0: "
          "off)\n"
          "      --count             print only the number of matching "
          "passages\n"
          "      --lenient           read a malformed query as plain words\n"
          "      --explain           show each term's BM25 share of the "
          "score (text, jsonl)\n"
          "      --quote TEXT        find where a quotation comes from "
          "(exact or closest)\n"
          "      --batch FILE        run one query per line of FILE (- for "
          "stdin):\n"
          "                          QID<TAB>QUERY or QUERY; # comments\n"
          "  -j, --jobs N            batch: N threads (default: the "
          "processors, at most\n"
          "                          64); output order kept\n"
          "      --times FILE        batch: write each query's time to FILE "
          "(TSV: qid,\n"
          "                          line, hits, ms)\n"
          "      --allow-partial     a sharded index with shards down: "
          "search the others\n"
          "                          (a note on stderr names the missing "
          "ones)\n"
          "      --cite ID           print a stored passage: RELPATH#N, "
          "RELPATH§N (the\n"
          "                          paragraph numbered N, in a file that "
          "numbers them),\n"
          "                          RELPATH:LINE, with RELPATH possibly a "
          "unique prefix\n"
          "  -C, --context N         with --cite: N passages before and "
          "after\n"
          "      --stats             print index statistics\n"
          "  -h, --help              show this help\n"
          "      --version           show the version\n\n"
          "Exit status: 0 hits found, 1 no hits, 2 error.\n", fp);
}

static int parse_uint_from(const char *opt, const char *s, uint32_t min,
                           uint32_t max, uint32_t *out)
{
    char *end = NULL;
    unsigned long v;

    if (*s < '0' || *s > '9')
        goto bad;
    v = strtoul(s, &end, 10);
    if (*end != '\0' || v < min || v > max)
        goto bad;
    *out = (uint32_t)v;
    return 0;
bad:
    fprintf(stderr, PROG ": error: %s: expected a number from %" PRIu32
            " to %" PRIu32 ", got '%s'\n", opt, min, max, s);
    return -1;
}

static int parse_uint(const char *opt, const char *s, uint32_t max,
                      uint32_t *out)
{
    return parse_uint_from(opt, s, 0, max, out);
}

static int parse_bm25(const char *s, dp_search_opts *o)
{
    char *end = NULL;
    double k1 = strtod(s, &end), b;

    if (end == s || *end != ',')
        goto bad;
    s = end + 1;
    b = strtod(s, &end);
    /* written so that NaN ("nan,0.5") is refused too */
    if (end == s || *end != '\0' || !(k1 >= 0 && k1 <= 100) ||
        !(b >= 0 && b <= 1))
        goto bad;
    o->k1 = k1;
    o->b = b;
    return 0;
bad:
    fputs(PROG ": error: --bm25: expected K1,B with 0 <= K1 <= 100 and "
          "0 <= B <= 1, e.g. 1.2,0.75\n", stderr);
    return -1;
}

static int parse_weight(const char *opt, const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);

    if (end == s || *end != '\0' || !(v >= 0 && v <= 10)) {
        fprintf(stderr, PROG ": error: %s: expected a weight from 0 to 10, "
                "got '%s'\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* The part of @p arg ("A,B") after its comma, the comma cut to a NUL so
 * that @p arg is A; NULL, said with the expected @p shape, when there is
 * no comma. */
static char *split_pair(const char *opt, char *arg, const char *shape)
{
    char *comma = strchr(arg, ',');

    if (comma == NULL) {
        fprintf(stderr, PROG ": error: %s: expected %s\n", opt, shape);
        return NULL;
    }
    *comma = '\0';
    return comma + 1;
}

/* Two weights "A,B" of option @p opt into @p a and @p b, said with the
 * expected @p shape when malformed.  @return 0 or -1. */
static int parse_weight_pair(const char *opt, char *arg, const char *shape,
                             double *a, double *b)
{
    char *second = split_pair(opt, arg, shape);

    if (second == NULL || parse_weight(opt, arg, a) < 0 ||
        parse_weight(opt, second, b) < 0)
        return -1;
    return 0;
}

/* Whether @p arg is "--NAME=..." for the long option whose value is
 * @p val. */
static bool names_option(const struct option *longs, const char *arg,
                         int val)
{
    size_t n = strcspn(arg, "=");

    if (arg[0] != '-' || arg[1] != '-')
        return false;
    for (const struct option *l = longs; l->name != NULL; l++)
        if (l->val == val && strlen(l->name) == n - 2 &&
            memcmp(l->name, arg + 2, n - 2) == 0)
            return true;
    return false;
}

/* @return -1 to go on, else the exit status. */
static int parse_args(options *o, int argc, char **argv)
{
    enum { O_OFFSET = 256, O_FORMAT, O_HL, O_COLOR, O_FULL, O_SNIP, O_BM25,
           O_COUNT, O_CITE, O_STATS, O_VERSION, O_LENIENT, O_EXPLAIN,
           O_QUOTE, O_BATCH, O_CONTEXT_W, O_TRUNC_W, O_EXACT_W, O_CORRECT_W,
           O_PROXIMITY, O_PARTIAL, O_NEIGHBOUR_W, O_CAPITALS, O_TIMES,
           O_SUBJECT };
    static const struct option longs[] = {
        { "index", required_argument, NULL, 'd' },
        { "offset", required_argument, NULL, O_OFFSET },
        { "format", required_argument, NULL, O_FORMAT },
        { "highlight", required_argument, NULL, O_HL },
        { "color", required_argument, NULL, O_COLOR },
        { "colour", required_argument, NULL, O_COLOR },
        { "full", no_argument, NULL, O_FULL },
        { "snippet-words", required_argument, NULL, O_SNIP },
        { "bm25", required_argument, NULL, O_BM25 },
        { "count", no_argument, NULL, O_COUNT },
        { "cite", required_argument, NULL, O_CITE },
        { "context", required_argument, NULL, 'C' },
        { "stats", no_argument, NULL, O_STATS },
        { "lenient", no_argument, NULL, O_LENIENT },
        { "explain", no_argument, NULL, O_EXPLAIN },
        { "quote", required_argument, NULL, O_QUOTE },
        { "batch", required_argument, NULL, O_BATCH },
        { "jobs", required_argument, NULL, 'j' },
        { "times", required_argument, NULL, O_TIMES },
        { "context-weight", required_argument, NULL, O_CONTEXT_W },
        { "truncation-weight", required_argument, NULL, O_TRUNC_W },
        { "exact-weight", required_argument, NULL, O_EXACT_W },
        { "capitals", required_argument, NULL, O_CAPITALS },
        { "subject", required_argument, NULL, O_SUBJECT },
        { "neighbour-weight", required_argument, NULL, O_NEIGHBOUR_W },
        { "correction-weight", required_argument, NULL, O_CORRECT_W },
        { "proximity", required_argument, NULL, O_PROXIMITY },
        { "allow-partial", no_argument, NULL, O_PARTIAL },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, O_VERSION },
        { NULL, 0, NULL, 0 },
    };
    const char *env = getenv("DEPECHE_INDEX");
    dp_buf q = DP_BUF_INIT;
    uint32_t v = 0;
    int ch;

    memset(o, 0, sizeof *o);
    o->index = env && *env ? env : DEFAULT_INDEX;
    dp_search_opts_init(&o->search);
    o->out.format = DP_FORMAT_TEXT;
    o->color = -1;
    /* A batch runs on every processor the process may run on (the output
     * keeps the order of the queries). */
    o->jobs = dp_cpus(64);
    opterr = 0; /* our own messages, without argv[0]'s path */
    while ((ch = getopt_long(argc, argv, "d:k:C:j:h", longs, NULL)) != -1) {
        switch (ch) {
        case 'd': o->index = optarg; break;
        case 'k':
            if (parse_uint("-k", optarg, DP_MAX_HITS, &o->search.k) < 0)
                return EXIT_ERROR;
            o->k_given = true;
            break;
        case O_OFFSET:
            if (parse_uint("--offset", optarg, DP_MAX_HITS,
                           &o->search.offset) < 0)
                return EXIT_ERROR;
            o->k_given = true;
            break;
        case O_FORMAT:
            if (dp_format_parse(optarg, &o->out.format) < 0) {
                fprintf(stderr, PROG ": error: --format: unknown format "
                        "'%s' (text, grep, jsonl, tsv, trec)\n", optarg);
                return EXIT_ERROR;
            }
            break;
        case O_HL:
            if (dp_highlight_parse(optarg, &o->out.highlight) < 0) {
                fprintf(stderr, PROG ": error: --highlight: unknown mode "
                        "'%s' (ansi, markdown, html, none)\n", optarg);
                return EXIT_ERROR;
            }
            o->hl_given = true;
            break;
        case O_COLOR:
            if (strcmp(optarg, "auto") == 0)
                o->color = -1;
            else if (strcmp(optarg, "always") == 0)
                o->color = 1;
            else if (strcmp(optarg, "never") == 0)
                o->color = 0;
            else {
                fprintf(stderr, PROG ": error: --color: expected auto, "
                        "always or never\n");
                return EXIT_ERROR;
            }
            break;
        case O_FULL: o->out.full = true; break;
        case O_SNIP:
            if (parse_uint_from("--snippet-words", optarg, 1,
                                DP_SNIPPET_MAX_WORDS, &v) < 0)
                return EXIT_ERROR;
            o->search.snippet_words = v;
            break;
        case O_BM25:
            if (parse_bm25(optarg, &o->search) < 0)
                return EXIT_ERROR;
            break;
        case O_COUNT: o->count = true; break;
        case O_CITE: o->cite = optarg; break;
        case 'C':
            if (parse_uint("-C", optarg, 1000, &o->context) < 0)
                return EXIT_ERROR;
            o->context_given = true;
            break;
        case O_STATS: o->stats = true; break;
        case O_LENIENT: o->search.lenient = true; break;
        case O_CONTEXT_W:
            if (parse_weight("--context-weight", optarg,
                             &o->search.context_weight) < 0)
                return EXIT_ERROR;
            break;
        case O_TRUNC_W:
            if (parse_weight("--truncation-weight", optarg,
                             &o->search.truncation_weight) < 0)
                return EXIT_ERROR;
            break;
        case O_NEIGHBOUR_W:
            if (parse_weight("--neighbour-weight", optarg,
                             &o->search.neighbour_weight) < 0)
                return EXIT_ERROR;
            break;
        case O_EXACT_W:
            if (parse_weight("--exact-weight", optarg,
                             &o->search.exact_weight) < 0)
                return EXIT_ERROR;
            break;
        case O_CAPITALS:
            if (parse_weight_pair("--capitals", optarg,
                                  "STEM,EXACT, e.g. 0.4,1",
                                  &o->search.capital_stem_weight,
                                  &o->search.capital_exact_weight) < 0)
                return EXIT_ERROR;
            break;
        case O_SUBJECT:
            if (parse_weight_pair("--subject", optarg,
                                  "TEXT,CONTEXT, e.g. 0.7,1",
                                  &o->search.subject_text_weight,
                                  &o->search.subject_context_weight) < 0)
                return EXIT_ERROR;
            break;
        case O_CORRECT_W:
            if (parse_weight("--correction-weight", optarg,
                             &o->search.correction_weight) < 0)
                return EXIT_ERROR;
            break;
        case O_PROXIMITY: {
            char *weight = split_pair("--proximity", optarg,
                                      "WINDOW,WEIGHT, e.g. 6,0.25");
            if (weight == NULL ||
                parse_uint("--proximity", optarg, 1000,
                           &o->search.proximity_window) < 0 ||
                parse_weight("--proximity", weight,
                             &o->search.proximity_weight) < 0)
                return EXIT_ERROR;
            break;
        }
        case O_EXPLAIN: o->explain = true; break;
        case O_PARTIAL: o->allow_partial = true; break;
        case O_QUOTE: o->quote = optarg; break;
        case O_BATCH: o->batch = optarg; break;
        case O_TIMES: o->times = optarg; break;
        case 'j':
            if (parse_uint("-j", optarg, 64, &o->jobs) < 0)
                return EXIT_ERROR;
            if (o->jobs == 0)
                o->jobs = 1;
            break;
        case 'h': usage(stdout); return EXIT_HITS;
        case O_VERSION: puts(PROG " 0.1.0"); return EXIT_HITS;
        default:
            if (optopt != 0 && optopt < 256 && strchr("dkCj", optopt) &&
                argv[optind - 1][1] != '-')
                fprintf(stderr, PROG ": error: -%c needs a value\n",
                        optopt);
            else if (argv[optind - 1][0] == '-' &&
                     argv[optind - 1][1] == '-' && optind >= argc &&
                     strchr(argv[optind - 1], '=') == NULL && optopt != 0)
                fprintf(stderr, PROG ": error: %s needs a value\n",
                        argv[optind - 1]);
            else if (optopt != 0 && strchr(argv[optind - 1], '=') != NULL &&
                     names_option(longs, argv[optind - 1], optopt))
                /* "--help=3": a known option that takes no value (and
                 * not an error inside a later cluster, "-Zq", for which
                 * optind has not moved on) */
                fprintf(stderr, PROG ": error: %.*s takes no value\n",
                        (int)strcspn(argv[optind - 1], "="),
                        argv[optind - 1]);
            else if (optopt != 0 && optopt < 256)
                fprintf(stderr, PROG ": error: unknown option -%c (a query "
                        "word starting with - goes after --, e.g. "
                        "depeche-search -- Pakistan -Islamabad)\n", optopt);
            else
                fprintf(stderr, PROG ": error: unknown or incomplete "
                        "option %.*s\n", (int)strcspn(argv[optind - 1], "="),
                        argv[optind - 1]);
            fprintf(stderr, "Try '" PROG " --help'.\n");
            return EXIT_ERROR;
        }
    }
    if ((o->cite != NULL) + (o->quote != NULL) + (o->batch != NULL) +
            o->stats > 1) {
        fprintf(stderr, PROG ": error: --cite, --quote, --batch and --stats "
                "do not go together\n");
        return EXIT_ERROR;
    }
    /* Like -C: a file of times that would silently stay unwritten. */
    if (o->times && !o->batch) {
        fprintf(stderr, PROG ": error: --times works only with --batch "
                "(the time of each query of the file)\n");
        return EXIT_ERROR;
    }
    /* Unlike -j, whose output does not depend on it, -C without --cite
     * would be a grep habit (context around each hit) silently unmet. */
    if (o->context_given && !o->cite) {
        fprintf(stderr, PROG ": error: -C works only with --cite (the "
                "passages around a cited one)\n");
        return EXIT_ERROR;
    }
    /* Like -C: a habit of the query forms (a count, the scores' shares)
     * that a passage looked up or the index's figures would silently
     * leave unmet. */
    if ((o->count || o->explain) && (o->cite || o->stats)) {
        fprintf(stderr, PROG ": error: %s does not go with %s (it is about "
                "the hits of a query)\n", o->count ? "--count" : "--explain",
                o->cite ? "--cite" : "--stats");
        return EXIT_ERROR;
    }
    /* Like -C: '--cite ID -k 3' would silently print one passage where
     * three were asked for (-C N is how to see the passages around it). */
    if (o->k_given && (o->cite || o->stats)) {
        fprintf(stderr, PROG ": error: -k and --offset do not go with %s "
                "(they are about the hits of a query%s)\n",
                o->cite ? "--cite" : "--stats",
                o->cite ? "; -C N prints the passages around a cited one" : "");
        return EXIT_ERROR;
    }
    if ((o->cite || o->quote || o->batch || o->stats) && optind < argc) {
        fprintf(stderr, PROG ": error: unexpected QUERY '%s' with --cite, "
                "--quote, --batch or --stats\n", argv[optind]);
        return EXIT_ERROR;
    }
    if (!o->cite && !o->stats && !o->quote && !o->batch && optind >= argc) {
        fprintf(stderr, PROG ": error: no QUERY\nTry '" PROG " --help'.\n");
        return EXIT_ERROR;
    }
    for (int i = optind; i < argc; i++) {
        if ((i > optind && dp_buf_addc(&q, ' ') < 0) ||
            dp_buf_adds(&q, argv[i]) < 0) {
            dp_buf_release(&q);
            fprintf(stderr, PROG ": error: query too long\n");
            return EXIT_ERROR;
        }
    }
    o->query = dp_buf_detach(&q, NULL);
    return -1;
}

/* Colours and highlights: only on a terminal, never with NO_COLOR. */
static void decide_style(options *o)
{
    bool tty = isatty(STDOUT_FILENO);
    const char *nc = getenv("NO_COLOR");
    bool no_color = nc != NULL && nc[0] != '\0';

    if (o->color < 0)
        o->out.color = tty && !no_color;
    else
        o->out.color = o->color == 1;
    if (!o->hl_given)
        o->out.highlight = o->out.color ? DP_HL_ANSI
                         : tty ? DP_HL_NONE : DP_HL_MARKDOWN;
}

static int write_buf(dp_buf *b)
{
    if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
        return -1;
    dp_buf_reset(b);
    return 0;
}

static int run_stats(dp_searcher *s, dp_error *err)
{
    dp_index_stats st;
    int rc = dp_searcher_stats(s, &st, err);

    if (rc < 0)
        return rc;
    printf("schema:        %s\n", DP_SCHEMA_VERSION);
    printf("analyzer:      %s\n", DP_ANALYZER_ID);
    printf("files:         %" PRIu64 "\n", st.files);
    printf("passages:      %" PRIu64 "\n", st.passages);
    printf("words/passage: %.1f\n", st.avg_passage_words);
    printf("index size:    %.2f MB\n", (double)st.disk_bytes / 1e6);
    return DP_OK;
}

static int run_cite(dp_searcher *s, const options *o, dp_buf *out,
                    dp_error *err)
{
    dp_results *r = NULL;
    dp_output_opts full = o->out;
    int rc = dp_search_cite(s, o->cite, o->context, &r, err);

    /* The passages come with their text, as with --full, and the tsv
     * header names that column; like a query without hits, a passage
     * not found still gets the header. */
    full.full = true;
    if ((rc == DP_OK || rc == DP_ENOTFOUND) &&
        dp_output_header(out, &full) < 0) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    if (rc == DP_ENOTFOUND && write_buf(out) < 0)
        rc = dp_error_set(err, DP_EIO, "cannot write to standard output");
    if (rc < 0)
        goto done;
    if (*dp_results_notices(r) != '\0') /* one line, newline included */
        fprintf(stderr, PROG ": note: %s", dp_results_notices(r));
    for (size_t i = 0; i < dp_results_size(r); i++) {
        rc = dp_output_cite(out, dp_results_hit(r, i),
                            i >= dp_results_target(r) &&
                                i - dp_results_target(r) <
                                    dp_results_targets(r),
                            &o->out);
        if (rc < 0) {
            dp_error_set(err, rc, "output: %s", dp_status_str(rc));
            goto done;
        }
    }
    if (write_buf(out) < 0)
        rc = dp_error_set(err, DP_EIO, "cannot write to standard output");
done:
    dp_results_free(r);
    return rc;
}

/* A message on stderr: it may quote what the user typed (an id, a file
 * name), so it is escaped like corpus text. */
static void put_message(const char *kind, const char *msg)
{
    dp_buf b = DP_BUF_INIT;

    fprintf(stderr, PROG ": %s%s\n", kind,
            dp_term_escape(&b, msg, strlen(msg)) == DP_OK ? dp_buf_cstr(&b)
                                                           : msg);
    dp_buf_release(&b);
}

/* A read that finds the index damaged (a truncated or overwritten table:
 * Xapian's "EOF reading block 2") says which index and what to do, as
 * depeche-index does, rather than Xapian's words alone. */
static void name_damage(const options *o, int rc, dp_error *err)
{
    char why[DP_ERROR_MSG_MAX];

    if (rc != DP_ECORRUPT || strstr(err->msg, "damaged") != NULL)
        return;
    snprintf(why, sizeof why, "%s", err->msg);
    dp_error_set(err, rc, "%s: the index is damaged (%s); rebuild it with "
                 "depeche-index --rebuild", o->index, why);
}

/* Open the index; with --allow-partial, shards that are down are left
 * out and named once on stderr. */
static int open_searcher(const options *o, dp_searcher **s, bool tell,
                         dp_error *err)
{
    int rc = dp_searcher_open_index(s, o->index, o->allow_partial
                                                     ? DP_INDEX_PARTIAL
                                                     : DP_INDEX_READ, err);
    const char *missing = NULL;

    if (rc < 0)
        return rc;
    missing = dp_index_missing_shards(dp_searcher_index(*s));
    if (tell && missing[0] != '\0')
        fprintf(stderr, PROG ": note: searching without %s\n", missing);
    return DP_OK;
}

/* Explanation lines (from dp_search_explain) as text under a hit. */
static int put_explain_text(dp_buf *out, const char *lines)
{
    char term[256];
    unsigned tf = 0;
    unsigned long long df = 0, words = 0;
    double idf = 0, part = 0, avg = 0, sum = 0, score = 0;
    int rc = DP_OK;

    for (const char *l = lines; rc == 0 && *l; l = strchr(l, '\n') + 1) {
        if (sscanf(l, "=length\t%llu\t%lf\t%lf\t%lf", &words, &avg, &sum,
                   &score) == 4) {
            rc = dp_buf_addf(out, "   explain: document length %llu "
                             "(average %.1f); sum %.4f, score %.4f\n", words,
                             avg, sum, score);
        } else if (sscanf(l, "=other\t%lf", &part) == 1) {
            rc = dp_buf_addf(out, part < 0
                             ? "     phrase words not in their phrase  %.4f\n"
                             : "     proximity and expansions  %.4f\n",
                             part);
        } else if (sscanf(l, "=neighbours\t%lf", &part) == 1) {
            rc = dp_buf_addf(out, "     passages before and after  %.4f\n",
                             part);
        } else if (sscanf(l, "%255[^\t]\t%u\t%llu\t%lf\t%lf", term, &tf, &df,
                          &idf, &part) == 5) {
            rc = dp_buf_adds(out, "     ");
            if (rc == 0)
                rc = dp_term_escape(out, term, strlen(term));
            if (rc == 0)
                rc = dp_buf_addf(out, "  tf %u  df %llu  idf %.4f  bm25 "
                                 "%.4f\n", tf, df, idf, part);
        }
        if (strchr(l, '\n') == NULL)
            break;
    }
    return rc;
}

/* The same as a JSON object, spliced into a jsonl line before its "}". */
static int put_explain_json(dp_buf *out, const char *lines)
{
    char term[256];
    unsigned tf = 0;
    unsigned long long df = 0, words = 0;
    double idf = 0, part = 0, avg = 0, sum = 0, score = 0, other = 0;
    double neighbours = 0;
    bool first = true;
    int rc;

    if (out->len < 2 || out->data[out->len - 1] != '\n' ||
        out->data[out->len - 2] != '}')
        return DP_EINVAL;
    dp_buf_truncate(out, out->len - 2);
    rc = dp_buf_adds(out, ",\"explain\":{\"terms\":[");
    for (const char *l = lines; rc == 0 && *l; l = strchr(l, '\n') + 1) {
        if (sscanf(l, "=length\t%llu\t%lf\t%lf\t%lf", &words, &avg, &sum,
                   &score) == 4) {
            rc = dp_buf_addf(out, "],\"length\":%llu,\"average_length\":"
                             "%.1f,\"sum\":%.6f,\"other\":%.6f,"
                             "\"neighbours\":%.6f", words, avg, sum, other,
                             neighbours);
        } else if (sscanf(l, "=other\t%lf", &other) == 1) {
            continue;
        } else if (sscanf(l, "=neighbours\t%lf", &neighbours) == 1) {
            continue;
        } else if (sscanf(l, "%255[^\t]\t%u\t%llu\t%lf\t%lf", term, &tf, &df,
                          &idf, &part) == 5) {
            rc = dp_buf_adds(out, first ? "{\"term\":" : ",{\"term\":");
            first = false;
            if (rc == 0)
                rc = dp_json_str(out, term, strlen(term));
            if (rc == 0)
                rc = dp_buf_addf(out, ",\"tf\":%u,\"df\":%llu,\"idf\":%.6f,"
                                 "\"bm25\":%.6f}", tf, df, idf, part);
        }
        if (strchr(l, '\n') == NULL)
            break;
    }
    if (rc == 0)
        rc = dp_buf_adds(out, "}}\n");
    return rc;
}

/* Write the hits of @p r to @p out, with explanations when asked. */
static int put_hits(dp_searcher *s, const options *o, const dp_results *r,
                    const char *qid, dp_buf *out, dp_error *err)
{
    dp_buf ex = DP_BUF_INIT;
    int rc = DP_OK;

    for (size_t i = 0; rc == 0 && i < dp_results_size(r); i++) {
        dp_hit h = *dp_results_hit(r, i);
        h.qid = qid;
        rc = dp_output_hit(out, &h, &o->out);
        if (rc < 0)
            break;
        if (!o->explain || (o->out.format != DP_FORMAT_TEXT &&
                            o->out.format != DP_FORMAT_JSONL))
            continue;
        dp_buf_reset(&ex);
        rc = dp_search_explain(s, r, i, &ex, err);
        if (rc < 0)
            goto done;
        if (o->out.format == DP_FORMAT_TEXT) {
            /* before the blank line that ends the hit */
            dp_buf_truncate(out, out->len - 1);
            rc = put_explain_text(out, dp_buf_cstr(&ex));
            if (rc == 0)
                rc = dp_buf_addc(out, '\n');
        } else {
            rc = put_explain_json(out, dp_buf_cstr(&ex));
        }
    }
    if (rc < 0)
        dp_error_set(err, rc, "output: %s", dp_status_str(rc));
done:
    dp_buf_release(&ex);
    return rc;
}

/* "line N: query QID: " before a batch query's messages (its line in
 * the batch file, and its QID escaped like corpus text: it comes from the
 * file, control characters and bad bytes included); nothing for a single
 * query. */
static int put_qid_prefix(dp_buf *out, const char *qid, unsigned long line)
{
    int rc = DP_OK;

    if (qid == NULL)
        goto done;
    rc = dp_buf_addf(out, "line %lu: query ", line);
    if (rc == 0)
        rc = dp_term_escape(out, qid, strlen(qid));
    if (rc == 0)
        rc = dp_buf_adds(out, ": ");
done:
    return rc;
}

/* Notes on how the query was read go to stderr, prefixed. */
static void put_notices(dp_buf *errout, const char *qid, unsigned long line,
                        const char *notes)
{
    while (*notes) {
        const char *nl = strchr(notes, '\n');
        size_t n = nl ? (size_t)(nl - notes) : strlen(notes);
        if (dp_buf_adds(errout, PROG ": note: ") < 0 ||
            put_qid_prefix(errout, qid, line) < 0 ||
            dp_buf_addf(errout, "%.*s\n", (int)n, notes) < 0)
            return;
        notes += n + (nl != NULL);
    }
}

/* Run one query (of a batch: @p qid, on @p line); hits go to @p out,
 * messages to @p errout.  @return hits found (>= 0) or a negative
 * dp_status. */
static int run_query(dp_searcher *s, const options *o, const char *qid,
                     unsigned long line, const char *query, dp_buf *out,
                     dp_buf *errout, bool suggest)
{
    dp_results *r = NULL;
    dp_error err = DP_ERROR_INIT;
    dp_buf sug = DP_BUF_INIT;
    uint64_t nhits = 0;
    int rc = dp_search_run(s, query, strlen(query), &o->search, &r, &err);

    if (rc < 0)
        goto fail;
    put_notices(errout, qid, line, dp_results_notices(r));
    /* -k 0 (and --count) ask only whether anything matches. */
    nhits = o->count || o->search.k == 0 ? dp_results_total(r)
                                         : dp_results_size(r);
    if (o->count) {
        /* QID<TAB>N, the QID escaped as in the "## QID" line of text */
        rc = DP_OK;
        if (qid) {
            rc = dp_term_escape(out, qid, strlen(qid));
            if (rc == 0)
                rc = dp_buf_addc(out, '\t');
        }
        if (rc == 0)
            rc = dp_buf_addf(out, "%llu\n",
                             (unsigned long long)dp_results_total(r));
    } else {
        /* A batch writes its header once, before every query; in text,
         * each query's hits come under a line naming it. */
        rc = qid == NULL ? dp_output_header(out, &o->out) : DP_OK;
        if (rc == 0 && qid != NULL && o->out.format == DP_FORMAT_TEXT) {
            rc = dp_buf_adds(out, "## ");
            if (rc == 0)
                rc = dp_output_escape(out, qid, strlen(qid), &o->out);
            if (rc == 0)
                rc = dp_buf_adds(out, "\t");
            if (rc == 0)
                rc = dp_output_escape(out, query, strlen(query), &o->out);
            if (rc == 0)
                rc = dp_buf_adds(out, "\n\n");
        }
        if (rc == 0)
            rc = put_hits(s, o, r, qid, out, &err);
    }
    if (rc < 0)
        goto fail;
    if (suggest && dp_results_total(r) < 3 &&
        dp_search_suggest(s, query, strlen(query), &sug, &err) == DP_OK) {
        if (dp_buf_adds(errout, "Essayez : ") < 0 ||
            dp_term_escape(errout, sug.data, sug.len) < 0 ||
            dp_buf_addc(errout, '\n') < 0)
            rc = DP_ENOMEM;
    }
    dp_results_free(r);
    dp_buf_release(&sug);
    return rc < 0 ? rc : (int)(nhits > INT32_MAX ? INT32_MAX : nhits);
fail:
    name_damage(o, rc, &err);
    /* If even the message cannot be stored, the exit status still says
     * the query failed. */
    if (dp_buf_adds(errout, PROG ": error: ") < 0 ||
        put_qid_prefix(errout, qid, line) < 0 ||
        dp_buf_addf(errout, "%s\n",
                    err.msg[0] ? err.msg : dp_status_str(rc)) < 0)
        dp_buf_reset(errout);
    dp_results_free(r);
    dp_buf_release(&sug);
    return rc;
}

static int run_quote(dp_searcher *s, const options *o, dp_buf *out,
                     dp_error *err)
{
    dp_results *r = NULL;
    dp_quote_match m;
    dp_buf label = DP_BUF_INIT;
    int rc = dp_search_quote(s, o->quote, strlen(o->quote), &o->search, &r,
                             &m, err);

    if (rc < 0)
        goto done;
    if (dp_results_total(r) == 0) {
        fprintf(stderr, PROG ": quote: no passage holds any of its words\n");
        rc = 0;
        goto done;
    }
    if (o->count) {
        rc = dp_buf_addf(out, "%llu\n",
                         (unsigned long long)dp_results_total(r));
        if (rc == 0)
            rc = (int)dp_results_size(r);
        goto done;
    }
    if (m.spans) {
        /* The ids come from the corpus: escaped as the hits below are
         * in text, for a terminal on stderr in the other formats. */
        const dp_hit *a = dp_results_hit(r, 0), *b = dp_results_hit(r, 1);
        dp_output_opts eo = o->out;

        if (eo.format != DP_FORMAT_TEXT)
            eo.highlight = DP_HL_NONE;
        rc = dp_buf_adds(&label, "exact: the quotation runs from ");
        if (rc == 0)
            rc = dp_output_escape(&label, a->id, a->id_len, &eo);
        if (rc == 0)
            rc = dp_buf_adds(&label, " into ");
        if (rc == 0)
            rc = dp_output_escape(&label, b->id, b->id_len, &eo);
    } else if (m.exact)
        rc = dp_buf_addf(&label, "exact: %llu passage%s",
                         (unsigned long long)dp_results_total(r),
                         dp_results_total(r) > 1 ? "s" : "");
    else
        rc = dp_buf_addf(&label, "approximate: %zu of the %zu words in "
                         "order (%.0f%%)", m.matched, m.words,
                         m.coverage * 100);
    if (rc == 0 && !m.exact && m.other_form > 0)
        rc = dp_buf_addf(&label, ", %zu in another form", m.other_form);
    /* Every word, each as quoted: what keeps it from being exact is the
     * words between them. */
    else if (rc == 0 && !m.exact && m.matched == m.words)
        rc = dp_buf_adds(&label, ", with other words between");
    if (rc < 0)
        goto done;
    /* People read the label first; machine formats keep their shape and
     * get it on stderr. */
    if (o->out.format == DP_FORMAT_TEXT)
        rc = dp_buf_addf(out, "%s\n\n", dp_buf_cstr(&label));
    if (rc == 0)
        rc = dp_output_header(out, &o->out);
    if (rc == 0)
        rc = put_hits(s, o, r, NULL, out, err);
    if (rc == 0 && o->out.format != DP_FORMAT_TEXT)
        fprintf(stderr, PROG ": quote: %s\n", dp_buf_cstr(&label));
    if (rc == 0)
        rc = dp_results_total(r) > 0;
done:
    dp_buf_release(&label);
    dp_results_free(r);
    return rc;
}

/* ---- batch -------------------------------------------------------------- */

typedef struct job {
    char *qid;
    unsigned long line;  /* its line in the batch file */
    char *query;         /* NULL for a line refused as it was read */
    dp_buf out, err;
    int rc;              /* hits or a negative status */
    uint64_t ns;         /* the time run_query() took */
} job;

typedef struct batch {
    const options *o;
    dp_searcher **searchers;
    job *jobs;
    size_t njobs;
    size_t next;         /* next job to take */
    pthread_mutex_t lock;
} batch;

typedef struct worker {
    batch *b;
    dp_searcher *s;
    pthread_t tid;
} worker;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Append @p j's line of the --times file: QID, line, hits ("error" for
 * a query that failed), milliseconds. */
static int put_time(dp_buf *out, const job *j)
{
    int rc = dp_tsv_escape(out, j->qid, strlen(j->qid));

    if (rc == 0)
        rc = dp_buf_addf(out, "\t%lu\t", j->line);
    if (rc == 0)
        rc = j->rc < 0 ? dp_buf_adds(out, "error")
                       : dp_buf_addf(out, "%d", j->rc);
    if (rc == 0)
        rc = dp_buf_addf(out, "\t%.3f\n", (double)j->ns / 1e6);
    return rc;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    batch *b = w->b;

    for (;;) {
        size_t i;
        pthread_mutex_lock(&b->lock);
        i = b->next++;
        pthread_mutex_unlock(&b->lock);
        if (i >= b->njobs)
            break;
        if (b->jobs[i].query == NULL)
            continue; /* refused by next_query(), reported in its turn */
        uint64_t t0 = now_ns();
        b->jobs[i].rc = run_query(w->s, b->o, b->jobs[i].qid,
                                  b->jobs[i].line, b->jobs[i].query,
                                  &b->jobs[i].out, &b->jobs[i].err, false);
        b->jobs[i].ns = now_ns() - t0;
    }
    return NULL;
}

/* Bytes of a batch line that are kept: far more than a query may have
 * (DP_QUERY_MAX_BYTES) and its QID, so that a longer line is refused (or
 * cut, with --lenient) just as if it had been read whole, while a file
 * with no line end (a binary file given by mistake) cannot take all the
 * memory. */
#define BATCH_LINE_MAX (1024 * 1024)

/* getline() that keeps the first BATCH_LINE_MAX bytes of a line and reads
 * and drops the rest.  @return the bytes kept (with the '\n' if kept), -1
 * at the end of the file or on a read error (ferror() tells), -2 when out
 * of memory. */
static ssize_t read_line(FILE *fp, char **line, size_t *cap)
{
    size_t n = 0;
    bool any = false;
    int c;

    while ((c = getc(fp)) != EOF) {
        any = true;
        if (n < BATCH_LINE_MAX) {
            if (n + 2 > *cap) {
                size_t ncap = *cap < 64 ? 128 : *cap * 2;
                char *p = NULL;
                if (ncap > BATCH_LINE_MAX + 1)
                    ncap = BATCH_LINE_MAX + 1;
                p = realloc(*line, ncap);
                if (p == NULL)
                    return -2;
                *line = p;
                *cap = ncap;
            }
            (*line)[n++] = (char)c;
        }
        if (c == '\n')
            break;
    }
    if (!any)
        return -1;
    (*line)[n] = '\0';
    return (ssize_t)n;
}

/* next_query()'s failures */
#define NEXT_ENOMEM (-1)  /* out of memory */
#define NEXT_UTF16 (-2)   /* the file starts with a UTF-16 byte order mark */

/* Read the next query of @p fp into @p j; @return 1 if one was read.
 * A line with a NUL byte, or with a QID that is not valid UTF-8, is a
 * job too, already failed (no query, the message in j->err), so that it
 * is reported by its QID and in its turn among the other queries'
 * errors.  @p j's strings are NULL, or the
 * return NEXT_ENOMEM, when out of memory; NEXT_UTF16 for a UTF-16 file. */
static int next_query(FILE *fp, unsigned long *lineno, job *j)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = -1;
    int got = 0;

    while (!got && (n = read_line(fp, &line, &cap)) >= 0) {
        char *tab = NULL, *q = line;
        bool nul, bad_qid;
        (*lineno)++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        /* A UTF-16 file (Windows editors' "Unicode") would give a NUL
         * byte error per line: it is refused as a whole, said why. */
        if (*lineno == 1 && n >= 2 &&
            (memcmp(line, "\xff\xfe", 2) == 0 ||
             memcmp(line, "\xfe\xff", 2) == 0)) {
            got = NEXT_UTF16;
            break;
        }
        /* A byte order mark that an editor put at the start of the file
         * is no part of the first QID (or comment). */
        if (*lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
            memmove(line, line + 3, (size_t)n - 2);
            n -= 3;
        }
        nul = (size_t)n != strlen(line);
        while (*q == ' ' || *q == '\t')
            q++;
        if ((*q == '\0' && !nul) || *q == '#')
            continue;
        tab = memchr(line, '\t', (size_t)n);
        /* A line that starts with a tab has an empty QID: its QID is its
         * line number and its query the text after the tab, whose first
         * character is column 1. */
        q = tab == line ? line + 1 : line;
        if (tab == line || (tab != NULL && memchr(line, '\0',
                                                  (size_t)(tab - line))))
            tab = NULL; /* no QID (or a NUL in it): the line number is one */
        j->line = *lineno;
        if (tab != NULL) {
            *tab = '\0';
            j->qid = strdup(line);
        } else {
            char num[32];
            snprintf(num, sizeof num, "%lu", *lineno);
            j->qid = strdup(num);
        }
        /* A QID that is not UTF-8 is refused as a query in error: jsonl
         * could only write U+FFFD for its bad bytes, so that two QIDs
         * would give one. */
        bad_qid = tab != NULL && !dp_utf8_valid(line, strlen(line));
        if (!nul && !bad_qid) {
            j->query = strdup(tab != NULL ? tab + 1 : q);
        } else if (j->qid != NULL) {
            const char *why = nul ? "NUL byte in the line\n"
                                  : "the QID is not valid UTF-8\n";
            j->rc = DP_ESYNTAX;
            if (dp_buf_adds(&j->err, PROG ": error: ") < 0 ||
                put_qid_prefix(&j->err, j->qid, j->line) < 0 ||
                dp_buf_adds(&j->err, why) < 0) {
                free(j->qid);
                j->qid = NULL;
            }
        }
        got = 1;
    }
    if (!got && n == -2)
        got = NEXT_ENOMEM;
    free(line);
    return got;
}

#define BATCH_CHUNK 512

/* The QIDs a batch has used, each with its first line (a tsearch() tree). */
typedef struct qid_seen {
    unsigned long line;
    char qid[];
} qid_seen;

static int cmp_qid_seen(const void *a, const void *b)
{
    return strcmp(((const qid_seen *)a)->qid, ((const qid_seen *)b)->qid);
}

/* Warn when @p j's QID named an earlier query: the run would list both
 * queries' hits under it (trec_eval merges them without a word).  The
 * warning goes first into j->err, written with the job's other messages,
 * so that the messages of the batch come in input order.
 * @return DP_OK or DP_ENOMEM. */
static int check_qid(void **seen, job *j)
{
    size_t len = strlen(j->qid);
    qid_seen *e = malloc(sizeof *e + len + 1), **found;
    dp_buf msg = DP_BUF_INIT;

    if (e == NULL)
        return DP_ENOMEM;
    e->line = j->line;
    memcpy(e->qid, j->qid, len + 1);
    found = tsearch(e, seen, cmp_qid_seen);
    if (found == NULL) {
        free(e);
        return DP_ENOMEM;
    }
    if (*found == e)
        return DP_OK;
    free(e);
    if (dp_buf_addf(&msg, PROG ": warning: line %lu: QID ", j->line) < 0 ||
        dp_term_escape(&msg, j->qid, len) < 0 ||
        dp_buf_addf(&msg, " already names the query of line %lu\n",
                      (*found)->line) < 0 ||
        dp_buf_add(&msg, j->err.data, j->err.len) < 0) {
        dp_buf_release(&msg);
        return DP_ENOMEM;
    }
    /* before the line's own error (a NUL byte) */
    dp_buf_release(&j->err);
    j->err = msg;
    return DP_OK;
}

static int run_batch(const options *o, dp_error *err)
{
    bool from_stdin = strcmp(o->batch, "-") == 0;
    const char *name = from_stdin ? "standard input" : o->batch;
    FILE *fp = from_stdin ? stdin : fopen(o->batch, "r");
    FILE *tfp = NULL;    /* --times */
    dp_buf tline = DP_BUF_INIT;
    batch b;
    worker *ws = NULL;
    void *seen = NULL;   /* the QIDs used so far */
    struct stat st;
    dp_buf head = DP_BUF_INIT;
    dp_progress prog = { 0 }; /* disabled until drawn below */
    unsigned long lineno = 0, done_q = 0;
    bool any_hits = false, any_failed = false, eof = false;
    int rc = DP_OK;

    memset(&b, 0, sizeof b);
    b.o = o;
    pthread_mutex_init(&b.lock, NULL);
    if (fp == NULL) {
        rc = dp_error_set(err, DP_EIO, "%s: cannot open: %s", o->batch,
                          strerror(errno));
        goto done;
    }
    /* A closed standard input is said so now: the index, opened below,
     * would take its descriptor and be read as the queries. */
    if (fstat(fileno(fp), &st) != 0) {
        rc = dp_error_set(err, DP_EIO, "%s: cannot read: %s", name,
                          strerror(errno));
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = dp_error_set(err, DP_EIO, "%s: is a directory", name);
        goto done;
    }
    /* before the index is opened: a mistyped path costs no search */
    if (o->times != NULL) {
        tfp = fopen(o->times, "w");
        if (tfp == NULL) {
            rc = dp_error_set(err, DP_EIO, "%s: cannot create: %s",
                              o->times, strerror(errno));
            goto done;
        }
        fputs("qid\tline\thits\tms\n", tfp);
    }
    ws = calloc(o->jobs, sizeof *ws);
    b.jobs = calloc(BATCH_CHUNK, sizeof *b.jobs);
    if (ws == NULL || b.jobs == NULL) {
        rc = dp_error_set(err, DP_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t t = 0; t < o->jobs; t++) {
        ws[t].b = &b;
        rc = open_searcher(o, &ws[t].s, t == 0, err);
        if (rc < 0)
            goto done;
    }
    if (dp_output_header(&head, &o->out) < 0 || write_buf(&head) < 0) {
        rc = dp_error_set(err, DP_EIO, "cannot write to standard output");
        goto done;
    }
    dp_progress_init(&prog, stderr, isatty(STDERR_FILENO), "searching",
                     "queries");
    while (!eof) {
        b.njobs = 0;
        b.next = 0;
        while (b.njobs < BATCH_CHUNK) {
            job *j = &b.jobs[b.njobs];
            int got;
            memset(j, 0, sizeof *j);
            got = next_query(fp, &lineno, j);
            if (got == NEXT_UTF16) {
                rc = dp_error_set(err, DP_EIO, "%s: UTF-16 text (it "
                                  "starts with a UTF-16 byte order mark); "
                                  "save the queries as UTF-8", name);
                goto done;
            }
            if (got < 0) {
                rc = dp_error_set(err, DP_ENOMEM, "%s: line %lu: out of "
                                  "memory", name, lineno + 1);
                goto done;
            }
            if (got == 0) {
                if (ferror(fp)) {
                    rc = dp_error_set(err, DP_EIO, "%s: cannot read: %s",
                                      name, strerror(errno));
                    goto done;
                }
                eof = true;
                break;
            }
            if (j->qid == NULL || (j->query == NULL && j->rc == 0) ||
                check_qid(&seen, j) < 0) {
                free(j->qid);
                free(j->query);
                dp_buf_release(&j->err);
                rc = dp_error_set(err, DP_ENOMEM, "out of memory");
                goto done;
            }
            b.njobs++;
        }
        /* Workers 1.. run as threads; worker 0 is this thread. */
        for (uint32_t t = 1; t < o->jobs; t++)
            pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]);
        worker_main(&ws[0]);
        for (uint32_t t = 1; t < o->jobs; t++)
            pthread_join(ws[t].tid, NULL);
        /* The progress line is erased before the chunk's messages and
         * hits (on a terminal they would be written after it, on its
         * line), and drawn again once they are out. */
        dp_progress_finish(&prog);
        for (size_t i = 0; i < b.njobs; i++) {
            job *j = &b.jobs[i];
            /* The hits before it are out first: with 2>&1 into one file
             * a message would otherwise land inside a line of them. */
            if (j->err.len && fflush(stdout) != 0) {
                rc = dp_error_set(err, DP_EIO, "cannot write to standard "
                                  "output");
                goto done;
            }
            if (j->err.len)
                fwrite(j->err.data, 1, j->err.len, stderr);
            if (j->rc < 0)
                any_failed = true;
            else if (j->rc > 0)
                any_hits = true;
            if (write_buf(&j->out) < 0) {
                rc = dp_error_set(err, DP_EIO, "cannot write to standard "
                                  "output");
                goto done;
            }
            if (tfp != NULL) {
                tline.len = 0;
                if (put_time(&tline, j) < 0) {
                    rc = dp_error_set(err, DP_ENOMEM, "out of memory");
                    goto done;
                }
                fwrite(tline.data, 1, tline.len, tfp);
            }
            dp_buf_release(&j->out);
            dp_buf_release(&j->err);
            free(j->qid);
            free(j->query);
            j->qid = j->query = NULL;
        }
        if (fflush(stdout) != 0) {
            rc = dp_error_set(err, DP_EIO, "cannot write to standard output");
            goto done;
        }
        done_q += b.njobs;
        dp_progress_update(&prog, done_q, 0, 0, 0);
    }
    if (tfp != NULL) {
        bool bad = ferror(tfp) != 0;
        bad = fclose(tfp) != 0 || bad;
        tfp = NULL;
        if (bad) {
            rc = dp_error_set(err, DP_EIO, "%s: cannot write: %s", o->times,
                              strerror(errno));
            goto done;
        }
    }
    rc = any_failed ? DP_EINVAL : any_hits ? 1 : 0;
done:
    /* erased before main() writes an error, which would follow it */
    dp_progress_finish(&prog);
    for (size_t i = 0; b.jobs && i < b.njobs; i++) {
        dp_buf_release(&b.jobs[i].out);
        dp_buf_release(&b.jobs[i].err);
        free(b.jobs[i].qid);
        free(b.jobs[i].query);
    }
    for (uint32_t t = 0; ws && t < o->jobs; t++)
        dp_searcher_free(ws[t].s);
    free(ws);
    free(b.jobs);
    tdestroy(seen, free);
    if (tfp != NULL)
        fclose(tfp);
    dp_buf_release(&tline);
    dp_buf_release(&head);
    pthread_mutex_destroy(&b.lock);
    if (fp != NULL && fp != stdin)
        fclose(fp);
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    dp_searcher *s = NULL;
    dp_buf out = DP_BUF_INIT, errout = DP_BUF_INIT;
    dp_error err = DP_ERROR_INIT;
    int status = EXIT_ERROR, rc;

    rc = parse_args(&o, argc, argv);
    /* --help and --version: a write error (a full disk) is an error too */
    if (rc == EXIT_HITS && fflush(stdout) != 0) {
        fprintf(stderr, PROG ": error: cannot write to standard output\n");
        rc = EXIT_ERROR;
    }
    if (rc >= 0)
        return rc;
    decide_style(&o);
    /* --count counts the passages that hold the words in one of their
     * forms, not those that only share a word's first five letters
     * ("Santer" is not "santé"), nor the neighbours'. */
    if (o.count) {
        o.search.exact_count = true;
        o.search.truncation_weight = 0;
    }
    if (o.count || o.out.format == DP_FORMAT_TREC)
        o.search.no_snippets = true;
    /* Explanations are made with the search, from the same revision. */
    o.search.explain = o.explain && !o.count &&
                       (o.out.format == DP_FORMAT_TEXT ||
                        o.out.format == DP_FORMAT_JSONL);
    if (o.batch) {
        rc = run_batch(&o, &err);
        if (rc == DP_EINVAL)     /* some queries failed: reported */
            status = EXIT_ERROR;
        else if (rc < 0)
            goto fail;
        else
            status = rc == 1 ? EXIT_HITS : EXIT_NONE;
        goto done;
    }
    rc = open_searcher(&o, &s, true, &err);
    if (rc < 0)
        goto fail;
    if (o.stats) {
        rc = run_stats(s, &err);
        if (rc < 0)
            goto fail;
        status = EXIT_HITS;
        goto done;
    }
    if (o.cite) {
        rc = run_cite(s, &o, &out, &err);
        if (rc == DP_ENOTFOUND) {
            put_message("", err.msg);
            status = EXIT_NONE;
            goto done;
        }
        if (rc < 0)
            goto fail;
        status = EXIT_HITS;
        goto done;
    }
    if (o.quote) {
        rc = run_quote(s, &o, &out, &err);
        if (rc < 0)
            goto fail;
        if (write_buf(&out) < 0) {
            rc = dp_error_set(&err, DP_EIO, "cannot write to standard "
                              "output");
            goto fail;
        }
        status = rc > 0 ? EXIT_HITS : EXIT_NONE;
        goto done;
    }
    rc = run_query(s, &o, NULL, 0, o.query, &out, &errout, true);
    /* The notes and the suggestion come after the hits, whole: flushed
     * first, the hits cannot be cut by them when 2>&1 joins the two. */
    if (write_buf(&out) < 0 || (errout.len && fflush(stdout) != 0)) {
        rc = dp_error_set(&err, DP_EIO, "cannot write to standard output");
        goto fail;
    }
    fputs(dp_buf_cstr(&errout), stderr);
    status = rc < 0 ? EXIT_ERROR : rc > 0 ? EXIT_HITS : EXIT_NONE;
    goto done;
fail:
    name_damage(&o, rc, &err);
    put_message("error: ", err.msg[0] ? err.msg : dp_status_str(rc));
    status = EXIT_ERROR;
done:
    if (fflush(stdout) != 0 && status != EXIT_ERROR) {
        fprintf(stderr, PROG ": error: cannot write to standard output\n");
        status = EXIT_ERROR;
    }
    dp_buf_release(&out);
    dp_buf_release(&errout);
    dp_searcher_free(s);
    free(o.query);
    return status;
}
