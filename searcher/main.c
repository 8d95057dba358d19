/* main.c -- depeche-search: rank passages, print cited snippets. */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depeche/buf.h"
#include "depeche/output.h"
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
    bool count;
    bool stats;
    bool hl_given;
    int color;          /* -1 auto, 0 never, 1 always */
    char *query;        /* the QUERY words joined by spaces */
} options;

static void usage(FILE *fp)
{
    fputs("Usage: " PROG " [-d INDEX] [options] QUERY...\n"
          "       " PROG " [-d INDEX] --cite ID [-C N]\n"
          "       " PROG " [-d INDEX] --stats\n"
          "Rank the passages of a dépêche index against QUERY (French "
          "words; accents,\ncase and elisions do not matter) and print "
          "them with citations.\n\n"
          "  -d, --index INDEX       index to search (default: "
          "$DEPECHE_INDEX, else " DEFAULT_INDEX ")\n"
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
          "      --bm25 K1,B         BM25 parameters (default 1.2,0.75)\n"
          "      --count             print only the number of matching "
          "passages\n"
          "      --cite ID           print a stored passage: RELPATH#N, "
          "RELPATH:LINE,\n"
          "                          with RELPATH possibly a unique "
          "prefix\n"
          "  -C, --context N         with --cite: N passages before and "
          "after\n"
          "      --stats             print index statistics\n"
          "  -h, --help              show this help\n"
          "      --version           show the version\n\n"
          "Exit status: 0 hits found, 1 no hits, 2 error.\n", fp);
}

static int parse_uint(const char *opt, const char *s, uint32_t max,
                      uint32_t *out)
{
    char *end = NULL;
    unsigned long v;

    if (*s < '0' || *s > '9')
        goto bad;
    v = strtoul(s, &end, 10);
    if (*end != '\0' || v > max)
        goto bad;
    *out = (uint32_t)v;
    return 0;
bad:
    fprintf(stderr, PROG ": error: %s: expected a number from 0 to %" PRIu32
            ", got '%s'\n", opt, max, s);
    return -1;
}

static int parse_bm25(const char *s, dp_search_opts *o)
{
    char *end = NULL;
    double k1 = strtod(s, &end), b;

    if (end == s || *end != ',')
        goto bad;
    s = end + 1;
    b = strtod(s, &end);
    if (end == s || *end != '\0' || k1 < 0 || k1 > 100 || b < 0 || b > 1)
        goto bad;
    o->k1 = k1;
    o->b = b;
    return 0;
bad:
    fputs(PROG ": error: --bm25: expected K1,B with 0 <= K1 <= 100 and "
          "0 <= B <= 1, e.g. 1.2,0.75\n", stderr);
    return -1;
}

/* @return -1 to go on, else the exit status. */
static int parse_args(options *o, int argc, char **argv)
{
    enum { O_OFFSET = 256, O_FORMAT, O_HL, O_COLOR, O_FULL, O_SNIP, O_BM25,
           O_COUNT, O_CITE, O_STATS, O_VERSION };
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
    while ((ch = getopt_long(argc, argv, "d:k:C:h", longs, NULL)) != -1) {
        switch (ch) {
        case 'd': o->index = optarg; break;
        case 'k':
            if (parse_uint("-k", optarg, DP_MAX_HITS, &o->search.k) < 0)
                return EXIT_ERROR;
            break;
        case O_OFFSET:
            if (parse_uint("--offset", optarg, DP_MAX_HITS,
                           &o->search.offset) < 0)
                return EXIT_ERROR;
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
            if (parse_uint("--snippet-words", optarg, DP_SNIPPET_MAX_WORDS,
                           &v) < 0)
                return EXIT_ERROR;
            if (v == 0) {
                fprintf(stderr, PROG ": error: --snippet-words: must be at "
                        "least 1\n");
                return EXIT_ERROR;
            }
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
            break;
        case O_STATS: o->stats = true; break;
        case 'h': usage(stdout); return EXIT_HITS;
        case O_VERSION: puts(PROG " 0.1.0"); return EXIT_HITS;
        default:
            fprintf(stderr, "Try '" PROG " --help'.\n");
            return EXIT_ERROR;
        }
    }
    if (!o->cite && !o->stats && optind >= argc) {
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
    int rc = dp_index_stats_get(dp_searcher_index(s), &st, err);

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
    int rc = dp_search_cite(s, o->cite, o->context, &r, err);

    if (rc < 0)
        goto done;
    for (size_t i = 0; i < dp_results_size(r); i++) {
        rc = dp_output_cite(out, dp_results_hit(r, i),
                            i == dp_results_target(r), &o->out);
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

static int run_query(dp_searcher *s, const options *o, dp_buf *out,
                     size_t *nhits, dp_error *err)
{
    dp_results *r = NULL;
    int rc = dp_search_run(s, o->query, strlen(o->query), &o->search, &r,
                           err);

    *nhits = 0;
    if (rc < 0)
        goto done;
    if (o->count) {
        *nhits = (size_t)dp_results_total(r);
        printf("%" PRIu64 "\n", dp_results_total(r));
        goto done;
    }
    /* -k 0 asks only whether anything matches. */
    *nhits = o->search.k == 0 ? (size_t)dp_results_total(r)
                              : dp_results_size(r);
    rc = dp_output_header(out, &o->out);
    for (size_t i = 0; rc == 0 && i < dp_results_size(r); i++)
        rc = dp_output_hit(out, dp_results_hit(r, i), &o->out);
    if (rc < 0) {
        dp_error_set(err, rc, "output: %s", dp_status_str(rc));
        goto done;
    }
    if (write_buf(out) < 0)
        rc = dp_error_set(err, DP_EIO, "cannot write to standard output");
done:
    dp_results_free(r);
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    dp_searcher *s = NULL;
    dp_buf out = DP_BUF_INIT;
    dp_error err = DP_ERROR_INIT;
    size_t nhits = 0;
    int status = EXIT_ERROR, rc;

    rc = parse_args(&o, argc, argv);
    if (rc >= 0)
        return rc;
    decide_style(&o);
    if (o.count)
        o.search.exact_count = true;
    rc = dp_searcher_open(&s, o.index, &err);
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
            fprintf(stderr, PROG ": %s\n", err.msg);
            status = EXIT_NONE;
            goto done;
        }
        if (rc < 0)
            goto fail;
        status = EXIT_HITS;
        goto done;
    }
    rc = run_query(s, &o, &out, &nhits, &err);
    if (rc < 0)
        goto fail;
    status = nhits > 0 ? EXIT_HITS : EXIT_NONE;
    goto done;
fail:
    fprintf(stderr, PROG ": error: %s\n",
            err.msg[0] ? err.msg : dp_status_str(rc));
    status = EXIT_ERROR;
done:
    if (fflush(stdout) != 0 && status != EXIT_ERROR) {
        fprintf(stderr, PROG ": error: cannot write to standard output\n");
        status = EXIT_ERROR;
    }
    dp_buf_release(&out);
    dp_searcher_free(s);
    free(o.query);
    return status;
}
