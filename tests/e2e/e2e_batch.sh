#!/usr/bin/env bash
# e2e_batch.sh -- batch mode on the PIAF questions: identical output with
# one or two threads, every format, errors reported by QID, stdin.
. "$(dirname "$0")/lib.sh" "$@"
IDX=$TMP/idx
PIAF=$SRC/bench/piaf
"$INDEXER" -q -d "$IDX" "$PIAF/corpus" || { fail "index PIAF"; finish; exit 1; }
head -1000 "$PIAF/queries-dev.tsv" >"$TMP/q1000"

for fmt in jsonl trec; do
    "$SEARCHER" -d "$IDX" --batch "$TMP/q1000" --format $fmt -j 1 >"$TMP/j1.$fmt" 2>"$TMP/e1"; s1=$?
    "$SEARCHER" -d "$IDX" --batch "$TMP/q1000" --format $fmt -j 2 >"$TMP/j2.$fmt" 2>"$TMP/e2"; s2=$?
    expect_eq "$s1/$s2" "0/0" "1,000 PIAF questions, $fmt: exit 0 with -j 1 and -j 2"
    if [ -s "$TMP/j1.$fmt" ] && cmp -s "$TMP/j1.$fmt" "$TMP/j2.$fmt"; then
        ok "$fmt output byte-identical with -j 1 and -j 2 ($(wc -l <"$TMP/j1.$fmt") lines)"
    else fail "$fmt output byte-identical with -j 1 and -j 2"; fi
done
expect_eq "$(awk '{print $1}' "$TMP/j1.trec" | uniq | wc -l)" "$(awk '{print $1}' "$TMP/j1.trec" | sort -u | wc -l)" "each question's ranking is one block"
expect_eq "$(awk '{print $1}' "$TMP/j1.trec" | uniq | tr '\n' ' ')" "$(cut -f1 "$TMP/q1000" | grep -Fx -f <(awk '{print $1}' "$TMP/j1.trec" | uniq) | tr '\n' ' ')" "rankings come in input order"
expect_eq "$(awk 'NF != 6 || $2 != "Q0" || $6 != "depeche"' "$TMP/j1.trec" | wc -l)" 0 "TREC lines are QID Q0 DOCNO RANK SCORE depeche"
if python3 - "$TMP/j1.jsonl" "$TMP/q1000" <<'PY'
import json, sys
qids = [l.split("\t")[0] for l in open(sys.argv[2], encoding="utf-8")]
seen = []
for l in open(sys.argv[1], encoding="utf-8"):
    h = json.loads(l)
    assert list(h)[0] == "qid"
    if not seen or seen[-1] != h["qid"]: seen.append(h["qid"])
assert seen == [q for q in qids if q in set(seen)], "order"
PY
then ok "jsonl hits carry their qid first, in input order"; else fail "jsonl hits carry their qid first, in input order"; fi

# every format works in batch
for fmt in text grep tsv; do
    expect_status 0 "batch --format $fmt" "$SEARCHER" -d "$IDX" --batch "$TMP/q1000" --format $fmt -j 2 -k 3
done
expect_eq "$(grep -c '^qid	rank	score' "$TMP/out")" 1 "tsv batch has one header line"

# bad queries are reported with their line and QID; the batch goes on
printf '# a comment\n\nq1\tPékin Bakou\nq2\t"Pékin\nq3\tAzerbaïdjan AND\nAzerbaïdjan Chine\n' >"$TMP/mixed"
expect_status 2 "a batch with bad queries exits 2" "$SEARCHER" -d "$SRC/../nope" --batch "$TMP/mixed"
"$INDEXER" -q -d "$TMP/small" "$SRC/corpus"
expect_status 2 "bad queries: exit 2 at the end" "$SEARCHER" -d "$TMP/small" --batch "$TMP/mixed" --format trec
expect_grep '^depeche-search: error: line 4: query q2: column 1: unbalanced quote$' "$TMP/err" "q2 reported with its line, QID and column"
expect_grep '^depeche-search: error: line 5: query q3: column 13: AND needs a word after it$' "$TMP/err" "q3 reported with its line, QID and column"
expect_grep '^q1 Q0 ' "$TMP/out" "q1 answered"
expect_grep '^6 Q0 ' "$TMP/out" "a bare query gets its line number (6) as QID"
expect_no_grep '^(q2|q3) ' "$TMP/out" "failed queries print no hits"
# a line that starts with a tab has no QID: its QID is its line number
# and its query the text after the tab, whose first character is column 1
# (the tab had stayed in the query: 'column 2', '## 2<TAB>\tPakistan')
printf '\t"Pakistan\n\tPakistan\n' >"$TMP/tabq"
expect_status 2 "lines that start with a tab" "$SEARCHER" -d "$TMP/small" --batch "$TMP/tabq" -k 1
expect_eq "$(cat "$TMP/err")" "depeche-search: error: line 1: query 1: column 1: unbalanced quote" "... columns count from the query after the tab"
expect_eq "$(grep '^## ' "$TMP/out")" "## 2	Pakistan" "... and the query's line holds no tab before it"
# a line with a NUL byte is refused by its QID (its line number without
# one), in input order among the other errors
printf 'q1\t"Pékin\nq2\tPak\0istan\nq3\tChine AND\n\0Chine\nq5\tChine\n' >"$TMP/nul"
for j in 1 2; do
    expect_status 2 "NUL lines, -j $j: exit 2" "$SEARCHER" -d "$TMP/small" --batch "$TMP/nul" --format trec -j $j
    expect_eq "$(cat "$TMP/err")" "depeche-search: error: line 1: query q1: column 1: unbalanced quote
depeche-search: error: line 2: query q2: NUL byte in the line
depeche-search: error: line 3: query q3: column 7: AND needs a word after it
depeche-search: error: line 4: query 4: NUL byte in the line" "NUL lines, -j $j: named by line and QID, in input order"
    expect_eq "$(cut -d' ' -f1 "$TMP/out" | sort -u)" "q5" "NUL lines, -j $j: the batch goes on (q5 answered)"
done
expect_status 0 "--lenient batch" "$SEARCHER" -d "$TMP/small" --batch "$TMP/mixed" --format trec --lenient
expect_grep '^q2 Q0 ' "$TMP/out" "with --lenient the bad query is read as words"
expect_status 0 "batch from stdin" sh -c "printf 'x\tChine\n' | '$SEARCHER' -d '$TMP/small' --batch - --format trec"
expect_grep '^x Q0 ' "$TMP/out" "stdin batch answered"
expect_status 2 "a missing batch file" "$SEARCHER" -d "$TMP/small" --batch "$TMP/none"
expect_eq "$(cat "$TMP/err")" "depeche-search: error: $TMP/none: cannot open: No such file or directory" "... says why"
expect_status 2 "a folder as batch file" "$SEARCHER" -d "$TMP/small" --batch "$TMP"
expect_eq "$(cat "$TMP/err")" "depeche-search: error: $TMP: is a directory" "... says so"
# --batch - with standard input closed: said so, not the index (which
# would get descriptor 0) read as queries
expect_status 2 "--batch - with stdin closed" sh -c "exec '$SEARCHER' -d '$TMP/small' --batch - <&-"
expect_eq "$(cat "$TMP/err")" "depeche-search: error: standard input: cannot read: Bad file descriptor" "... says so, once"
expect_status 2 "--batch - with a folder as stdin" sh -c "exec '$SEARCHER' -d '$TMP/small' --batch - <'$TMP'"
expect_eq "$(cat "$TMP/err")" "depeche-search: error: standard input: is a directory" "... says so"
# a UTF-8 byte order mark at the start of the file (Windows editors) is
# neither part of the first QID nor does it turn a comment into a query
printf '\357\273\277q1\tChine\nq2\tBakou\n' >"$TMP/bom"
expect_status 0 "a batch file with a BOM" "$SEARCHER" -d "$TMP/small" --batch "$TMP/bom" --count
expect_eq "$(cut -f1 "$TMP/out" | tr '\n' ' ')" "q1 q2 " "the BOM is not part of the first QID"
printf '\357\273\277# Chine\nq2\tBakou\n' >"$TMP/bom"
expect_status 0 "a BOM before a comment" "$SEARCHER" -d "$TMP/small" --batch "$TMP/bom" --count
expect_eq "$(cut -f1 "$TMP/out" | tr '\n' ' ')" "q2 " "the comment after the BOM is skipped"
# a UTF-16 file (Windows "Unicode") is refused as a whole, said why (it
# gave a 'NUL byte in the line' error per line)
printf '\377\376q\0001\000\t\000C\000h\000i\000n\000e\000\r\000\n\000' >"$TMP/utf16"
for f in "$TMP/utf16" -; do
    expect_status 2 "a UTF-16 batch file ($f)" sh -c "exec '$SEARCHER' -d '$TMP/small' --batch '$f' --format trec <'$TMP/utf16'"
    expect_eq "$(cat "$TMP/err")" "depeche-search: error: $([ "$f" = - ] && echo 'standard input' || echo "$f"): UTF-16 text (it starts with a UTF-16 byte order mark); save the queries as UTF-8" "... refused as a whole, said why"
done
# a QID used twice is answered twice, with a warning naming both lines
printf 'q1\tChine\nq2\tPékin\n\nq1\tBakou\n' >"$TMP/dup"
expect_status 0 "a repeated QID" "$SEARCHER" -d "$TMP/small" --batch "$TMP/dup" --format trec -k 1
expect_eq "$(cat "$TMP/err")" "depeche-search: warning: line 4: QID q1 already names the query of line 1" "... is named with both lines"
expect_eq "$(cut -d' ' -f1 "$TMP/out" | tr '\n' ' ')" "q1 q2 q1 " "... and both queries are answered"
# the warning comes in input order among the errors of the other lines,
# and before the line's own error
printf 'q1\tChine\nq2\t"Pékin\nq1\tBakou\nq3\tChine AND\nq2\tPak\0istan\n' >"$TMP/dup2"
for j in 1 2; do
    expect_status 2 "repeated QIDs among bad queries, -j $j" "$SEARCHER" -d "$TMP/small" --batch "$TMP/dup2" --format trec -k 1 -j $j
    expect_eq "$(cat "$TMP/err")" "depeche-search: error: line 2: query q2: column 1: unbalanced quote
depeche-search: warning: line 3: QID q1 already names the query of line 1
depeche-search: error: line 4: query q3: column 7: AND needs a word after it
depeche-search: warning: line 5: QID q2 already names the query of line 2
depeche-search: error: line 5: query q2: NUL byte in the line" "... -j $j: warnings and errors in input order"
done
# a line of 200 MB (a binary file given by mistake has no line end) is
# not read into memory whole: it is refused as too long, and the batch
# goes on (it used to end there, as if at the end of the file, exit 1).
# Not under a sanitizer or valgrind, which need more address space.
if [ -n "${ASAN_OPTIONS:-}${DEPECHE_VALGRIND:-}" ] || ldd "$SEARCHER" 2>/dev/null | grep -q 'lib[a-z]*san\.so'; then
    echo "# skipped: a 200 MB line in 100 MB of address space (sanitizer or valgrind)"
else
    ( ulimit -v 100000
      { head -c 200000000 /dev/zero | tr '\0' x; printf '\nq2\tChine\n'; } |
          "$SEARCHER" -d "$TMP/small" --batch - --format trec -k 1 -j 1 >"$TMP/out" 2>"$TMP/err"
      echo $? >"$TMP/status" )
    expect_eq "$(cat "$TMP/status")" 2 "a 200 MB line in 100 MB of memory: exit 2"
    expect_eq "$(cat "$TMP/err")" "depeche-search: error: line 1: query 1: column 65537: query longer than 65536 bytes" "... refused as too long"
    expect_eq "$(cut -d' ' -f1 "$TMP/out")" "q2" "... and the next query is answered"
fi
expect_status 0 "--count in batch" "$SEARCHER" -d "$TMP/small" --batch "$TMP/mixed" --count --lenient
expect_grep '^q1	[0-9]+$' "$TMP/out" "counts come with their QID"
# a QID is written escaped wherever it is written (it comes from the
# file: an escape sequence, a bell, a bad byte): --count lines, notes and
# errors, as the "## QID" lines of text and the duplicate warning
printf 'q\033[31m1\tChine\nq\3772\t"Pékin\nq\a3\tAzrebaidjan\n' >"$TMP/oddqid"
expect_status 2 "odd QIDs with --count" "$SEARCHER" -d "$TMP/small" --batch "$TMP/oddqid" --count
expect_eq "$(cut -f1 "$TMP/out" | tr '\n' ' ')" 'q\x1b[31m1 q\x073 ' "... --count lines escape the QID"
expect_eq "$(cat "$TMP/err")" 'depeche-search: error: line 2: query q\xff2: the QID is not valid UTF-8
depeche-search: note: line 3: query q\x073: column 1: no passage has "azrebaidjan": also searched "azerbaidjan"' "... so do errors and notes"
# a QID that is not UTF-8 is refused (jsonl wrote U+FFFD for its bad
# bytes, so that q\xff and q\xfe gave one qid); the batch goes on
printf 'q\377\tChine\nq\376\tChine\nq3\tChine\n' >"$TMP/badqid"
for fmt in jsonl trec tsv; do
    expect_status 2 "QIDs not in UTF-8, $fmt" "$SEARCHER" -d "$TMP/small" --batch "$TMP/badqid" --format $fmt -k 1
    expect_eq "$(cat "$TMP/err")" 'depeche-search: error: line 1: query q\xff: the QID is not valid UTF-8
depeche-search: error: line 2: query q\xfe: the QID is not valid UTF-8' "... $fmt: each refused, named escaped"
    expect_eq "$(grep -vc '^qid	rank' "$TMP/out")/$(grep -c q3 "$TMP/out")" "1/1" "... $fmt: q3 answered, nothing of the others"
done
# On a terminal (stdout and stderr both on it, as when a batch is run by
# hand), the progress line is erased before the hits and messages of each
# chunk of 512 queries: what the terminal shows is exactly the output and
# the messages, no line starts with the progress text.
{ head -600 "$PIAF/queries-dev.tsv"; printf 'bad\t"Pékin\n'; } >"$TMP/q601"
"$SEARCHER" -d "$IDX" --batch "$TMP/q601" --format trec -k 2 >"$TMP/plain.out" 2>"$TMP/plain.err"
python3 "$SRC/tests/e2e/run_pty.py" "$TMP/raw" "$SEARCHER" -d "$IDX" --batch "$TMP/q601" --format trec -k 2
if python3 - "$TMP/shown" "$TMP/raw" <<'PY'
import re, sys
data = open(sys.argv[2], 'rb').read()
# what a terminal shows: \r goes back to column 0, ESC [K erases the rest
shown = []
for raw in data.decode('utf-8', 'replace').split('\n'):
    line, col = [], 0
    for tok in re.findall(r'\x1b\[[0-9;]*[A-Za-z]|\r|[^\x1b\r]', raw):
        if tok == '\r':
            col = 0
        elif tok == '\x1b[K':
            del line[col:]
        elif tok.startswith('\x1b'):
            pass
        else:
            line[col:col + 1] = [tok]
            col += 1
    if line:
        shown.append(''.join(line))
open(sys.argv[1], 'w').write('\n'.join(shown) + '\n')
PY
then :; fi
expect_no_grep 'searching:' "$TMP/shown" "on a terminal, no output line is written after the progress line"
expect_eq "$(sort "$TMP/shown" | md5sum)" "$(sort "$TMP/plain.out" "$TMP/plain.err" | md5sum)" "... the terminal shows the hits and the message, nothing else"
# --times: one line per query of the batch, in input order, with its
# hits as written and a time; refused lines say "error"
for j in 1 2; do
    expect_status 2 "--times, -j $j: the batch with bad lines still exits 2" \
        "$SEARCHER" -d "$TMP/small" --batch "$TMP/nul" --format trec -j $j --times "$TMP/times$j"
    expect_eq "$(cut -f1-3 "$TMP/times$j" | tr '\t\n' ', ')" \
        "qid,line,hits q1,1,error q2,2,error q3,3,error 4,4,error q5,5,$(grep -c '^q5 ' "$TMP/out") " \
        "--times, -j $j: header, then qid, line and hits of each line in input order"
    expect_eq "$(awk -F'\t' 'NR > 1 && $4 !~ /^[0-9]+\.[0-9][0-9][0-9]$/' "$TMP/times$j" | wc -l)" 0 \
        "--times, -j $j: every time is milliseconds with 3 decimals"
done
"$SEARCHER" -d "$IDX" --batch "$TMP/q1000" --format jsonl -j 2 --times "$TMP/t1000" >"$TMP/jt.jsonl"
if cmp -s "$TMP/jt.jsonl" "$TMP/j1.jsonl"; then ok "--times does not change the hits"; else fail "--times does not change the hits"; fi
expect_eq "$(tail -n +2 "$TMP/t1000" | cut -f1 | tr '\n' ' ')" "$(grep -v '^#' "$TMP/q1000" | cut -f1 | tr '\n' ' ')" \
    "--times: the 1,000 QIDs in input order"
expect_eq "$(python3 - "$TMP/t1000" "$TMP/jt.jsonl" <<'PY'
import collections, json, sys
hits = collections.Counter(json.loads(l)["qid"] for l in open(sys.argv[2], encoding="utf-8"))
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")][1:]
bad = [r[0] for r in rows if int(r[2]) != hits[r[0]] or not float(r[3]) > 0]
print(len(rows), bad[:3])
PY
)" "1000 []" "--times: each query's hits are those written, each time above 0"
expect_status 2 "--times without --batch is an error" "$SEARCHER" -d "$TMP/small" --times "$TMP/tx" Chine
expect_grep '^depeche-search: error: --times works only with --batch' "$TMP/err" "... which says so"
expect_status 2 "--times into a folder that does not exist" "$SEARCHER" -d "$TMP/small" --batch "$TMP/mixed" --times "$TMP/no/such/t"
expect_grep "^depeche-search: error: $TMP/no/such/t: cannot create: No such file or directory\$" "$TMP/err" "... names the file"
expect_eq "$(wc -c <"$TMP/out")" 0 "... before any query is run"
if [ -w /dev/full ]; then
    expect_status 2 "--times into a full disk" "$SEARCHER" -d "$TMP/small" --batch "$TMP/mixed" --times /dev/full
    expect_grep '^depeche-search: error: /dev/full: cannot write: No space left on device$' "$TMP/err" "... says it could not write"
fi
finish
