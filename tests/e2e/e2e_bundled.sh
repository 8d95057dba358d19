#!/usr/bin/env bash
# e2e_bundled.sh -- the bundled corpus: index it, search it, cite from it.
. "$(dirname "$0")/lib.sh" "$@"
IDX=$TMP/idx
F0=000_4c187126246bc5f9.txt
F1=001_ea4138b068591137.txt

expect_status 0 "index the bundled corpus" "$INDEXER" -d "$IDX" "$SRC/corpus"
expect_grep '3 files indexed' "$TMP/err" "summary counts 3 files"

# jsonl_lines QUERY...: "FILE:LINE" of each hit, in rank order.
jsonl_lines() {
    "$SEARCHER" -d "$IDX" --format jsonl "$@" |
        python3 -c 'import sys, json
for l in sys.stdin: h = json.loads(l); print("%s:%d" % (h["file"], h["line"]))'
}

jsonl_lines "coopération militaire" >"$TMP/coop"
if head -3 "$TMP/coop" | grep -qx "$F0:23"; then ok "coopération militaire: $F0:23 in the top 3"
else fail "coopération militaire: $F0:23 in the top 3" "$(head -3 "$TMP/coop" | tr '\n' ' ')"; fi
if head -10 "$TMP/coop" | grep -qx "$F0:5"; then ok "coopération militaire: $F0:5 in the top 10"
else fail "coopération militaire: $F0:5 in the top 10" "$(tr '\n' ' ' <"$TMP/coop")"; fi

expect_status 0 "text output exits 0 on hits" "$SEARCHER" -d "$IDX" "coopération militaire"
expect_grep '\*\*[Cc]oopération\*\*' "$TMP/out" "words highlighted (markdown when not a terminal)"
expect_grep "$F0:23" "$TMP/out" "text output cites FILE:LINE"
expect_grep '§[0-9]+' "$TMP/out" "text output gives §N"
expect_grep 'Relations entre l.Azerbaïdjan et le Pakistan' "$TMP/out" "text output gives the catalogue title"
expect_grep 'Coopération militaire' "$TMP/out" "text output gives the section"

jsonl_lines "Azerbaidjan ambassade" >"$TMP/amb"
if head -3 "$TMP/amb" | grep -qx "$F0:31"; then ok "Azerbaidjan ambassade (no accent): embassy passage in the top 3"
else fail "Azerbaidjan ambassade (no accent): embassy passage in the top 3" "$(head -3 "$TMP/amb" | tr '\n' ' ')"; fi

"$SEARCHER" -d "$IDX" --format jsonl -k 20 "Azerbaidjan ambassade" >"$TMP/j"
if python3 - "$TMP/j" <<'PY'
import json, sys
want = ["rank", "score", "id", "file", "passage", "line", "byte_start",
        "byte_end", "section", "title", "snippet", "highlights"]
n = 0
for l in open(sys.argv[1], encoding="utf-8"):
    h = json.loads(l)
    assert list(h.keys()) == want, list(h.keys())
    for s, e in h["highlights"]:
        assert 0 <= s < e <= len(h["snippet"].encode()), (s, e)
    assert h["id"] == "%s#%d" % (h["file"], h["passage"])
    n += 1
assert n > 0
PY
then ok "every JSONL line has exactly the SPEC keys, in order"; else fail "every JSONL line has exactly the SPEC keys, in order"; fi

# byte ranges point at the original text of the file
if python3 - "$TMP/j" "$SRC/corpus" <<'PY'
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    h = json.loads(l)
    data = open(sys.argv[2] + "/" + h["file"], "rb").read()
    text = data[h["byte_start"]:h["byte_end"]].decode()
    lines = data[:h["byte_start"]].count(b"\n") + 1
    assert lines == h["line"], (lines, h["line"])
    for s, e in h["highlights"]:
        word = h["snippet"].encode()[s:e].decode()
        assert word in text, word
PY
then ok "byte_start/byte_end/line point at the passage in the file"; else fail "byte_start/byte_end/line point at the passage in the file"; fi

# accents, case and elisions do not matter
"$SEARCHER" -d "$IDX" --format trec "Azerbaïdjan ambassade" >"$TMP/t1"
"$SEARCHER" -d "$IDX" --format trec "AZERBAIDJAN l'ambassade" >"$TMP/t2"
if cmp -s "$TMP/t1" "$TMP/t2"; then ok "accents, case and elided articles give the same ranking"
else fail "accents, case and elided articles give the same ranking"; fi

expect_status 0 "stop words alone still search" "$SEARCHER" -d "$IDX" -k 1 "de la"
expect_status 1 "no hits: exit 1" "$SEARCHER" -d "$IDX" "xyzzyplugh"
expect_status 2 "missing index: exit 2" "$SEARCHER" -d "$TMP/nope" "mot"
expect_grep 'depeche-search: error: .*nope' "$TMP/err" "missing index: one-line error naming it"
expect_status 2 "bad option value: exit 2" "$SEARCHER" -d "$IDX" -k abc "mot"
expect_status 2 "bad format: exit 2" "$SEARCHER" -d "$IDX" --format xml "mot"

# citations
expect_status 0 "--cite FILE:LINE" "$SEARCHER" -d "$IDX" --cite "$F1:12"
cp "$TMP/out" "$TMP/cite_line"
expect_grep '^1\. Les Parties se soutiennent' "$TMP/cite_line" "--cite $F1:12 prints point 1"
expect_grep "L'Azerbaïdjan et la Chine scellent" "$TMP/cite_line" "--cite prints the title"
expect_grep 'Déclaration conjointe sur' "$TMP/cite_line" "--cite prints the section"
id=$(grep -Eo "$F1#[0-9]+" "$TMP/cite_line" | head -1)
expect_status 0 "--cite of the reported id ($id)" "$SEARCHER" -d "$IDX" --cite "$id"
if diff -q "$TMP/out" "$TMP/cite_line" >/dev/null; then ok "--cite ID prints the same passage as --cite FILE:LINE"
else fail "--cite ID prints the same passage as --cite FILE:LINE" "$(diff "$TMP/out" "$TMP/cite_line" | head -5)"; fi
expect_status 0 "--cite with a unique prefix" "$SEARCHER" -d "$IDX" --cite "001#${id##*#}"
expect_grep '^1\. Les Parties se soutiennent' "$TMP/out" "a unique prefix finds the same passage"
expect_status 0 "--cite $F0#4 -C 1" "$SEARCHER" -d "$IDX" --cite "$F0#4" -C 1
expect_eq "$(grep -Ec "$F0:[0-9]+" "$TMP/out")" 3 "-C 1 prints the passage and its two neighbours"
expect_grep "$F0:5" "$TMP/out" "$F0#4 starts on line 5"
# -C without --cite is refused in one line, not silently ignored
for args in "-C 1 Pakistan" "--context=0 Pakistan" "-C 1 --quote Pakistan" "-C 1 --stats"; do
    expect_status 2 "$args: -C without --cite is an error" "$SEARCHER" -d "$IDX" $args
    expect_eq "$(cat "$TMP/err")/$(wc -c <"$TMP/out")" "depeche-search: error: -C works only with --cite (the passages around a cited one)/0" "$args: one line naming --cite, nothing on stdout"
done
# --count and --explain are about a query's hits: with --cite or --stats
# they are refused, not silently ignored
for args in "--count --cite $F0#4" "--explain --cite $F0#4" "--count --stats"; do
    expect_status 2 "$args is an error" "$SEARCHER" -d "$IDX" $args
    expect_eq "$(wc -l <"$TMP/err")/$(wc -c <"$TMP/out")" "1/0" "$args: one line, nothing on stdout"
done
expect_grep '^depeche-search: error: --count does not go with --stats' "$TMP/err" "the message names both options"
# -k and --offset too: '--cite ID -k 3' had printed the one passage
for args in "-k 3 --cite $F0#4" "--offset 1 --cite $F0#4" "-k 5 --stats"; do
    expect_status 2 "$args is an error" "$SEARCHER" -d "$IDX" $args
    expect_eq "$(wc -l <"$TMP/err")/$(wc -c <"$TMP/out")" "1/0" "$args: one line, nothing on stdout"
done
expect_grep '^depeche-search: error: -k and --offset do not go with --stats' "$TMP/err" "the message names --stats"
# RELPATH§N, as the text format labels a passage ("— §12"), is RELPATH#N
expect_status 0 "--cite 000§4 -C 1" "$SEARCHER" -d "$IDX" --cite "000§4" -C 1
expect_eq "$(cat "$TMP/out")" "$("$SEARCHER" -d "$IDX" --cite "$F0#4" -C 1)" "000§4 prints what $F0#4 does"
expect_status 1 "--cite 000§27" "$SEARCHER" -d "$IDX" --cite "000§27"
expect_eq "$(cat "$TMP/err")" "depeche-search: $F0§27: no such passage (the file has 26)" "000§27: no such passage, not 'no such file'"
expect_status 2 "--cite '$F0§x'" "$SEARCHER" -d "$IDX" --cite "$F0§x"
expect_grep 'bad passage or line number' "$TMP/err" "'$F0§x': a bad number"
# The joint declaration numbers its paragraphs "1." to "18." (lines 12 to
# 45): there, §N is the paragraph it numbers N, #N still the N-th passage.
expect_status 0 "--cite 001§12" "$SEARCHER" -d "$IDX" --cite "001§12"
expect_eq "$(sed -n 1p "$TMP/out" | grep -o ' — [§#][0-9]*')" " — §12" "001§12: labelled §12"
expect_eq "$(sed -n 2p "$TMP/out")" "  $F1:39  $F1#35" "001§12: line 39, passage 35"
expect_grep '^12\. La Chine soutient l’adhésion rapide' "$TMP/out" "001§12: the paragraph numbered 12"
# §N as copied from a text: white space around the sign (a space, U+00A0,
# U+202F) and the full stop after the number ("§ 12.") are taken (they
# had been 'no such file in the index')
"$SEARCHER" -d "$IDX" --cite "001§12" >"$TMP/want"
for ref in "001§12." "001 §12" "001 § 12." "001§ 12" "$(printf '001\302\240\302\247\342\200\25712.')"; do
    expect_status 0 "--cite '$ref'" "$SEARCHER" -d "$IDX" --cite "$ref"
    expect_eq "$(cat "$TMP/out")" "$(cat "$TMP/want")" "'$ref' prints what 001§12 does"
done
expect_status 0 "--cite 001#12" "$SEARCHER" -d "$IDX" --cite "001#12"
expect_grep '^3\. Les Parties ont convenu' "$TMP/out" "001#12: the 12th passage, numbered 3"
expect_eq "$(sed -n 1p "$TMP/out" | grep -o ' — [§#][0-9]*')" " — §3" "001#12: labelled §3"
# §9 runs over lines 26 to 32: all its passages are the ones asked for
expect_status 0 "--cite 001§9 -C 1" "$SEARCHER" -d "$IDX" --cite "001§9" -C 1
expect_eq "$(grep -o "^[> ] .* — [§#][0-9]*" "$TMP/out" | sed 's/^\(.\).* — /\1 /' | tr '\n' ' ')" \
    "  §8 > §9 > §9 > §9 > §9 > §9 > §9 > §9   §10 " "001§9 -C 1: its 7 passages marked, one on each side"
expect_eq "$(grep -o "^  $F1:[0-9]*" "$TMP/out" | tr '\n' ' ')" \
    "  $F1:25   $F1:26   $F1:27   $F1:28   $F1:29   $F1:30   $F1:31   $F1:32   $F1:33 " "001§9 -C 1: lines 25 to 33"
"$SEARCHER" -d "$IDX" --cite "001§9" --format jsonl >"$TMP/out"
expect_eq "$(python3 -c 'import sys, json
print(" ".join("%d:%g" % (h["line"], h["score"]) for h in map(json.loads, open(sys.argv[1]))))' "$TMP/out")" \
    "26:1 27:1 28:1 29:1 30:1 31:1 32:1" "001§9 in jsonl: the 7 passages, each scored 1 (asked for)"
# before the first number: #N, which --cite takes back
expect_status 0 "--cite 001:5" "$SEARCHER" -d "$IDX" --cite "001:5"
expect_eq "$(sed -n 1p "$TMP/out" | grep -o ' — [§#][0-9]*')" " — #2" "a passage before §1 is labelled #2"
# a hit is labelled as its file numbers it
expect_status 0 "adhésion OMC" "$SEARCHER" -d "$IDX" -k 1 "adhésion OMC"
expect_grep "— §12 · Déclaration conjointe" "$TMP/out" "the hit of paragraph 12 is labelled §12, not §35"
# References the file has no passage, paragraph or line for (past the end,
# 0, numbers beyond 32 bits, given back as typed, a line too: it had been
# clamped to 4294967295; §N in a file that numbers its paragraphs 1 to
# 18): exit 1 and what there is.
while IFS='|' read -r ref msg; do
    expect_status 1 "--cite $ref" "$SEARCHER" -d "$IDX" --cite "$ref"
    expect_eq "$(cat "$TMP/err")" "depeche-search: $msg" "$ref: $msg"
done <<EOF
$F0#27|$F0#27: no such passage (the file has 26)
000#0|$F0#0: no such passage (passages are numbered from 1; the file has 26)
000#99999999999|$F0#99999999999: no such passage (the file has 26)
000:0|$F0:0: no such line (lines are numbered from 1)
001§19|$F1§19: no such paragraph (the file numbers its paragraphs 1 to 18; $F1#19 is passage 19)
001§0|$F1§0: no such paragraph (the file numbers its paragraphs 1 to 18)
001§50|$F1§50: no such paragraph (the file numbers its paragraphs 1 to 18)
001§99999999999|$F1§99999999999: no such paragraph (the file numbers its paragraphs 1 to 18)
001 § 99.|$F1§99: no such paragraph (the file numbers its paragraphs 1 to 18)
001:99999999999999999999|$F1:99999999999999999999: past the last passage, which ends on line 47
000:0000|$F0:0000: no such line (lines are numbered from 1)
EOF
# a line of no passage (a heading, a blank line) cites the passage after it,
# with a note; a line past the last passage is none
expect_status 0 "--cite $F0:3 (the heading 'Réunions officielles')" "$SEARCHER" -d "$IDX" --format jsonl --cite "$F0:3"
expect_eq "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$TMP/out")" "$F0#3" "the first passage under the heading"
expect_eq "$(cat "$TMP/err")" "depeche-search: note: $F0:3 is in no passage (a heading or a blank line): $F0#3, the passage after it" "a note says so"
expect_status 1 "--cite $F0:32 (past the last passage)" "$SEARCHER" -d "$IDX" --cite "$F0:32"
expect_eq "$(cat "$TMP/err")" "depeche-search: $F0:32: past the last passage, which ends on line 31" "the message says where the last passage ends"
# a file followed by what is no passage or line number is named as such,
# not as a missing file
for ref in "$F0#abc" "$F0#-1" "$F0#2 " "$F0#2#3" "000:x" "001 §x"; do
    expect_status 2 "--cite '$ref'" "$SEARCHER" -d "$IDX" --cite "$ref"
    expect_eq "$(cat "$TMP/err")" "depeche-search: error: $ref: bad passage or line number (expected RELPATH#N, RELPATH§N or RELPATH:LINE, from 1)" "'$ref': a bad number, not 'no such file'"
done
expect_status 1 "--cite 000#old.txt" "$SEARCHER" -d "$IDX" --cite "000#old.txt"
expect_eq "$(cat "$TMP/err")" "depeche-search: 000#old.txt: no such file in the index" "... a missing file name with a '#', not a bad number"
expect_status 1 "--cite never reads paths: ../../etc/passwd#1 is not found" "$SEARCHER" -d "$IDX" --cite "../../etc/passwd#1"
expect_status 2 "--cite with an ambiguous prefix" "$SEARCHER" -d "$IDX" --cite "00#1"
expect_grep 'ambiguous' "$TMP/err" "ambiguous prefix is named as such"

expect_status 0 "--stats" "$SEARCHER" -d "$IDX" --stats
expect_grep '^files: +3$' "$TMP/out" "--stats counts 3 files"
expect_status 0 "--count" "$SEARCHER" -d "$IDX" --count "=Mucharraf"
expect_eq "$(cat "$TMP/out")" 2 "--count =Mucharraf counts the 2 passages naming him so"
# A free word also finds, ranked below, words with its first five letters
# (Muchakhid): the two passages naming him come first.
expect_status 0 "free word Mucharraf" "$SEARCHER" -d "$IDX" --format tsv -k 2 "Mucharraf"
expect_eq "$(tail -n +2 "$TMP/out" | cut -f4 | sort | tr '\n' ' ')" "$F0#5 $F0#6 " \
    "Mucharraf: the two passages naming him rank first"
# ... and --count counts only those: not the one found through the first
# five letters (Muchakhid), as it leaves out the neighbours' hits
expect_eq "$("$SEARCHER" -d "$IDX" --count Mucharraf) $("$SEARCHER" -d "$IDX" --format trec -k 100 --neighbour-weight 0 Mucharraf | wc -l)" "2 3" \
    "--count Mucharraf counts the 2 passages naming him, of its 3 hits"
expect_eq "$("$SEARCHER" -d "$IDX" --count Pakistn 2>"$TMP/err")" 26 \
    "--count Pakistn: a word only its first five letters find is counted as its correction"
expect_grep 'no passage has "pakistn": also searched "pakistan"' "$TMP/err" "... with the correction's note"

finish
