#!/usr/bin/env bash
# e2e_formats.sh -- output formats, paging, highlight modes, colours.
. "$(dirname "$0")/lib.sh" "$@"
IDX=$TMP/idx
"$INDEXER" -q -d "$IDX" "$SRC/corpus" || { fail "index"; finish; exit 1; }
Q="coopération militaire"

expect_status 0 "--format grep" "$SEARCHER" -d "$IDX" --format grep "$Q"
expect_grep '^[^:]+\.txt:[0-9]+:[0-9]+: ' "$TMP/out" "grep lines are FILE:LINE:COL: snippet"
# the column points at the first highlighted word in that line
if python3 - "$TMP/out" "$SRC/corpus" <<'PY'
import sys, re, unicodedata
for l in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"([^:]+):(\d+):(\d+): (.*)", l)
    f, line, col = m.group(1), int(m.group(2)), int(m.group(3))
    data = open(sys.argv[2] + "/" + f, "rb").read().split(b"\n")[line - 1]
    word = data[col - 1:].decode(errors="replace").split()[0]
    assert unicodedata.normalize("NFD", word.lower())[:4] in ("coop", "mili"), word
PY
then ok "grep COL points at a matched word"; else fail "grep COL points at a matched word" "$(head -3 "$TMP/out")"; fi
# with no match in the snippet (a filter alone), at the snippet's first
# word, which a Markdown fence does not precede (QA: the man page said the
# passage's start, a fence line before the words)
G=$TMP/grepnomatch
mkdir -p "$G"
printf '# Titre\n\n```\npas un titre\n```\n\n- un point de liste\n\nUn paragraphe.\n' >"$G/doc.md"
"$INDEXER" -q -d "$G.idx" "$G" || fail "index the grep fixture"
expect_status 0 "--format grep, a filter alone" "$SEARCHER" -d "$G.idx" --format grep -k 10 'file:doc.md'
expect_eq "$(cut -d: -f1-3 "$TMP/out" | sort | tr '\n' ' ')" "doc.md:4:1 doc.md:7:3 doc.md:9:1 " "... LINE:COL of each snippet's first word"

expect_status 0 "--format tsv" "$SEARCHER" -d "$IDX" --format tsv "$Q"
expect_eq "$(head -1 "$TMP/out")" "$(printf 'qid\trank\tscore\tid\tfile\tpassage\tline\tbyte_start\tbyte_end\tsection\ttitle\tsnippet')" "tsv header"
expect_eq "$(awk -F'\t' 'NR > 1 && NF != 12' "$TMP/out" | wc -l)" 0 "every tsv row has 12 fields"

# --cite writes the passages with their text: the tsv header names that
# column too, and the score tells the passage asked for (1) from its
# context (0), in tsv, jsonl and trec alike
H13="$(printf 'qid\trank\tscore\tid\tfile\tpassage\tline\tbyte_start\tbyte_end\tsection\ttitle\tsnippet\ttext')"
expect_status 0 "--cite -C 1 --format tsv" "$SEARCHER" -d "$IDX" --cite 000#2 -C 1 --format tsv
expect_eq "$(head -1 "$TMP/out")" "$H13" "--cite tsv header, text column included"
expect_eq "$(awk -F'\t' 'NR > 1 && NF != 13' "$TMP/out" | wc -l)/$(wc -l <"$TMP/out")" "0/4" "--cite -C 1 tsv: a header and 3 rows of 13 fields"
expect_eq "$(awk -F'\t' 'NR > 1 {printf "%s:%s ", $6, $3}' "$TMP/out")" "1:0.000000 2:1.000000 3:0.000000 " "--cite tsv: score 1 for the cited passage, 0 for its context"
expect_status 0 "--cite -C 1 --format jsonl" "$SEARCHER" -d "$IDX" --cite 000#2 -C 1 --format jsonl
expect_eq "$(python3 -c 'import json,sys; print(" ".join("%d:%g" % (h["passage"], h["score"]) for h in map(json.loads, open(sys.argv[1]))))' "$TMP/out")" "1:0 2:1 3:0" "--cite jsonl: score 1 for the cited passage, 0 for its context"
expect_status 1 "--cite of a missing passage, tsv" "$SEARCHER" -d "$IDX" --cite 000#27 --format tsv
expect_eq "$(cat "$TMP/out")" "$H13" "--cite tsv without a passage: the header alone"

expect_status 0 "--format trec" "$SEARCHER" -d "$IDX" --format trec -k 5 "$Q"
expect_eq "$(wc -l <"$TMP/out")" 5 "-k 5 gives 5 hits"
expect_grep '^1 Q0 [^ ]+#[0-9]+ 1 [0-9.]+ depeche$' "$TMP/out" "trec lines are QID Q0 ID RANK SCORE depeche"
cp "$TMP/out" "$TMP/top5"
expect_status 0 "--offset 2" "$SEARCHER" -d "$IDX" --format trec -k 3 --offset 2 "$Q"
if [ "$(awk '{print $3}' "$TMP/out")" = "$(sed -n 3,5p "$TMP/top5" | awk '{print $3}')" ]; then
    ok "--offset 2 -k 3 gives hits 3 to 5"
else fail "--offset 2 -k 3 gives hits 3 to 5"; fi
expect_grep '^1 Q0 [^ ]+ 3 ' "$TMP/out" "ranks count the offset"
expect_status 1 "--offset past the last hit: no hit on this page, exit 1 (ends a paging loop)" "$SEARCHER" -d "$IDX" --format trec --offset 1000 "$Q"
expect_eq "$(wc -c <"$TMP/out")" 0 "... and nothing printed"

expect_status 0 "--highlight html" "$SEARCHER" -d "$IDX" --highlight html "$Q"
expect_grep '<b>[Cc]oopération</b>' "$TMP/out" "html highlights"
# html escapes every string of the corpus that text and grep print, not
# only the snippet: the title line and --cite's header and text (QA: a
# title "<spéciaux>" became a tag); jsonl stays data
E=$TMP/esc
mkdir -p "$E"
printf 'Caractères <spéciaux> & "guillemets"\n\nLe traité <b>Schengen</b> & l accord "Dublin".\n' >"$E/a&b.txt"
printf 'Le traité de Rome.\n\nLe traité de Lisbonne.\n' >"$E/r&l.txt"
printf 'La frontière *Maastricht* est_ici [lien](http://x) `code` \\x1b \\ [6].\n' >"$E/m.txt"
"$INDEXER" -q -d "$E.idx" "$E" || fail "index the escape fixture"
expect_status 0 "--highlight html, text" "$SEARCHER" -d "$E.idx" --highlight html Schengen
expect_eq "$(cat "$TMP/out")" "1. Caractères &lt;spéciaux&gt; &amp; &quot;guillemets&quot; — §1
   a&amp;b.txt:3  (score $(sed -n 's/.*(score \(.*\))$/\1/p' "$TMP/out"))
   Le traité &lt;b&gt;<b>Schengen</b>&lt;/b&gt; &amp; l accord &quot;Dublin&quot;." "... title, file and snippet escaped"
expect_status 0 "--highlight html, grep" "$SEARCHER" -d "$E.idx" --highlight html --format grep Schengen
expect_eq "$(cat "$TMP/out")" "a&amp;b.txt:3:15: Le traité &lt;b&gt;<b>Schengen</b>&lt;/b&gt; &amp; l accord &quot;Dublin&quot;." "... file and snippet escaped"
expect_status 0 "--highlight html, --cite" "$SEARCHER" -d "$E.idx" --highlight html --cite 'a&b.txt#1'
expect_eq "$(cat "$TMP/out")" "> Caractères &lt;spéciaux&gt; &amp; &quot;guillemets&quot; — §1
  a&amp;b.txt:3  a&amp;b.txt#1
Le traité &lt;b&gt;Schengen&lt;/b&gt; &amp; l accord &quot;Dublin&quot;." "... title, file, id and text escaped"
expect_status 0 "--highlight html, --quote" "$SEARCHER" -d "$E.idx" --highlight html --quote 'traité de Rome. Le traité de Lisbonne'
expect_eq "$(head -1 "$TMP/out")" "exact: the quotation runs from r&amp;l.txt#1 into r&amp;l.txt#2" "... its label's ids escaped"
printf 'q<1>\t"Schengen" & Dublin\n' >"$TMP/htmlq"
expect_status 0 "--highlight html, --batch" "$SEARCHER" -d "$E.idx" --highlight html --batch "$TMP/htmlq"
expect_eq "$(head -1 "$TMP/out")" "$(printf '## q&lt;1&gt;\t&quot;Schengen&quot; &amp; Dublin')" "... the line naming each query escaped"
expect_status 0 "--highlight html, jsonl" "$SEARCHER" -d "$E.idx" --highlight html --format jsonl Schengen
expect_grep '"title":"Caractères <spéciaux> & \\"guillemets\\"".*"snippet":"Le traité <b>Schengen</b> &' "$TMP/out" "... jsonl is data: not HTML-escaped"
# markdown (the default in a pipe) escapes the snippet's own Markdown:
# the only "**" without a backslash before them are the highlights (QA:
# "*Schengen*" came out "***Schengen***"); a backslash of the text is
# doubled, "[6]" stays
expect_status 0 "--format grep, markdown" "$SEARCHER" -d "$E.idx" --format grep Maastricht
expect_eq "$(cat "$TMP/out")" 'm.txt:1:16: La frontière \***Maastricht**\* est\_ici [lien\](http://x) \`code\` \\x1b \\ [6].' "... the text's *, _, \`, ]( and backslashes escaped"
expect_status 0 "--highlight none" "$SEARCHER" -d "$IDX" --highlight none "$Q"
expect_no_grep '\*\*|<b>|\x1b' "$TMP/out" "no highlight markers with none"
expect_status 0 "--highlight ansi" "$SEARCHER" -d "$IDX" --highlight ansi "$Q"
expect_grep $'\x1b\\[1m' "$TMP/out" "ansi bold when asked"
expect_status 0 "no colour when not a terminal" "$SEARCHER" -d "$IDX" "$Q"
expect_no_grep $'\x1b' "$TMP/out" "no escape sequences in a pipe"
expect_status 0 "--full adds the text" "$SEARCHER" -d "$IDX" --format jsonl --full -k 1 "$Q"
expect_grep '"text":' "$TMP/out" "jsonl --full has a text key"
expect_status 0 "--bm25 override" "$SEARCHER" -d "$IDX" --format trec --bm25 0.9,0.4 "$Q"
expect_status 2 "--bm25 garbage" "$SEARCHER" -d "$IDX" --bm25 x "$Q"
expect_status 2 "--bm25 nan,0.5 (NaN scores, invalid JSON)" "$SEARCHER" -d "$IDX" --bm25 nan,0.5 "$Q"
expect_status 2 "--bm25 1,nan" "$SEARCHER" -d "$IDX" --bm25 1,nan "$Q"
expect_status 2 "--snippet-words 0" "$SEARCHER" -d "$IDX" --snippet-words 0 "$Q"
expect_eq "$(cat "$TMP/err")" "depeche-search: error: --snippet-words: expected a number from 1 to 1000, got '0'" "... names the range 1 to 1000"
expect_status 2 "--snippet-words 1001" "$SEARCHER" -d "$IDX" --snippet-words 1001 "$Q"
expect_eq "$(cat "$TMP/err")" "depeche-search: error: --snippet-words: expected a number from 1 to 1000, got '1001'" "... the same range above it (not 'from 0')"
expect_status 0 "--snippet-words 5" "$SEARCHER" -d "$IDX" --format jsonl --snippet-words 5 -k 1 "$Q"
n=$(python3 -c 'import json,sys; print(len(json.loads(open(sys.argv[1]).readline())["snippet"].replace("…"," ").split()))' "$TMP/out")
if [ "$n" -le 6 ]; then ok "--snippet-words 5 gives a short snippet ($n words)"; else fail "--snippet-words 5 gives a short snippet" "$n words"; fi
expect_status 0 "--help" "$SEARCHER" --help
expect_grep 'Usage: depeche-search' "$TMP/out" "--help prints usage"
expect_status 0 "indexer --help" "$INDEXER" --help
expect_status 2 "indexer with no PATH" "$INDEXER" -d "$IDX"
# Option errors: exit 2, one "PROG: error:" line (no argv[0], no getopt
# wording), then the "Try" line, the same in both programs.
# option_errors PROG CMD...: each line ARGS|MESSAGE of stdin, run as
# CMD ARGS
option_errors() {
    local prog=$1 args want
    shift
    while IFS='|' read -r args want; do
        # shellcheck disable=SC2086
        expect_status 2 "$prog $args" "$@" $args
        if [ "$(cat "$TMP/err")" = "$prog: error: $want
Try '$prog --help'." ]; then ok "... says: $want"
        else fail "... says: $want" "$(cat "$TMP/err")"; fi
    done
}
option_errors depeche-index "$INDEXER" -d "$TMP/optidx" "$SRC/corpus" <<'EOF2'
--bogus|unknown or incomplete option --bogus
--bogus=3|unknown or incomplete option --bogus
-x|unknown option -x
-qx|unknown option -x
--rebuild=1|--rebuild takes no value
-j|-j needs a value
-qj|-j needs a value
--jobs|--jobs needs a value
--ext|--ext needs a value
EOF2
option_errors depeche-search "$SEARCHER" -d "$IDX" <<'EOF2'
--bogus|unknown or incomplete option --bogus
--bogus=3|unknown or incomplete option --bogus
--help=3|--help takes no value
--count=2|--count takes no value
-k|-k needs a value
--format|--format needs a value
--format=grep -Zq|unknown option -Z (a query word starting with - goes after --, e.g. depeche-search -- Pakistan -Islamabad)
EOF2

# Every long option --help lists has its entry in the man page (an item
# of OPTIONS: a .TP line, then the option), and the other way round
# (--colour is the man page's spelling variant of --color).
cat >"$TMP/optcheck.py" <<'PY'
import re, subprocess, sys
prog, man = sys.argv[1], sys.argv[2]
out = subprocess.run([prog, "--help"], capture_output=True, text=True).stdout
helped = set()
for line in out.splitlines():
    m = re.match(r"\s+(?:-\w,\s+)?(--[a-z][a-z-]*)", line)
    if m:
        helped.add(m.group(1))
text = open(man, encoding="utf-8").read().replace("\\-", "-")
lines = re.sub(r"\\f[BIRP]", " ", text).splitlines()
documented = set()
for i, line in enumerate(lines[:-1]):
    if line.startswith(".TP"):
        documented.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", lines[i + 1]))
bad = ["in --help only: " + o for o in sorted(helped - documented)]
bad += ["in the man page only: " + o for o in sorted(documented - helped - {"--colour"})]
print("; ".join(bad) or "%d options" % len(helped))
sys.exit(1 if bad or not helped else 0)
PY
for p in search index; do
    case $p in search) prog=$SEARCHER;; index) prog=$INDEXER;; esac
    if r=$(python3 "$TMP/optcheck.py" "$prog" "$SRC/docs/depeche-$p.1"); then
        ok "depeche-$p: --help and the man page list the same options ($r)"
    else fail "depeche-$p: --help and the man page list the same options" "$r"; fi
done
# a write error on standard output (a full disk) is an error, exit 2 and
# one message, in every mode, --help and --version included
printf 'q1\tcoopération\n' >"$TMP/wq"
while IFS= read -r args; do
    eval "set -- $args"
    "$SEARCHER" -d "$IDX" "$@" >/dev/full 2>"$TMP/err"; st=$?
    expect_eq "$st $(cat "$TMP/err")" "2 depeche-search: error: cannot write to standard output" "$args >/dev/full: exit 2, one message"
done <<'ARGS'
coopération
--format jsonl coopération
--batch "$TMP/wq" --format trec
--count coopération
--cite 000#2
--quote "coopération militaire"
--stats
--help
--version
ARGS
# stdout and stderr into one file (2>&1): a note, or a batch's messages,
# come between whole lines of hits, never inside one (the hits were
# buffered and written in 4 KiB blocks, the messages at once)
printf 'g%s\tPakistan coopération\nb%s\t"Pakistan\n' $(seq 1 100 | sed 'p') >"$TMP/mixedq"
for args in "-k 100 --format jsonl Azrebaidjan" "--batch $TMP/mixedq --format jsonl"; do
    "$SEARCHER" -d "$IDX" $args >"$TMP/both" 2>&1
    if python3 - "$TMP/both" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1], encoding="utf-8"):
    if l.startswith("depeche-search: "):
        n += 1
        continue
    json.loads(l)
assert n > 0, "no message"
PY
    then ok "$args 2>&1: every line is a hit or a message"
    else fail "$args 2>&1: every line is a hit or a message" "$(grep -m1 '.depeche-search: ' "$TMP/both" | cut -c1-300)"; fi
done
finish
