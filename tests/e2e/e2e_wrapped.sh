#!/usr/bin/env bash
# e2e_wrapped.sh -- a hard-wrapped (Gutenberg-style) file: lines are joined
# into paragraphs, headings become sections, citations point at the lines;
# and Markdown headings, which become titles and sections without markers.
. "$(dirname "$0")/lib.sh" "$@"
IDX=$TMP/idx
FIX=$SRC/tests/fixtures/wrapped

expect_status 0 "index the wrapped fixture" "$INDEXER" -d "$IDX" "$FIX"
expect_grep '2 files indexed.* 6 passages' "$TMP/err" "4 wrapped paragraphs + 2 one-line paragraphs"

expect_status 0 "a phrase across a line break" "$SEARCHER" -d "$IDX" --format jsonl "brouillard prairies"
if python3 - "$TMP/out" <<'PY'
import json, sys
h = json.loads(open(sys.argv[1]).readline())
assert h["id"] == "recit.txt#1", h["id"]
assert h["line"] == 5, h["line"]
assert h["section"] == "CHAPITRE PREMIER", h["section"]
assert h["title"] == "LE TRAITÉ DE LA RIVIÈRE", h["title"]
assert "\n" not in h["snippet"], h["snippet"]
PY
then ok "wrapped paragraph: recit.txt#1 on line 5, section and title from headings"
else fail "wrapped paragraph: recit.txt#1 on line 5, section and title from headings" "$(head -c 400 "$TMP/out")"; fi

expect_status 0 "cite by a line inside a wrapped paragraph" "$SEARCHER" -d "$IDX" --cite recit.txt:22
expect_grep 'recit\.txt:21' "$TMP/out" "line 22 belongs to the paragraph starting on line 21"
expect_grep 'CHAPITRE II' "$TMP/out" "its section is CHAPITRE II"
expect_grep 'une frontière\.' "$TMP/out" "the whole paragraph is printed"

# In the grep format a cited passage is one line, a line end one space,
# a CRLF line end too
W=$TMP/crlf
mkdir -p "$W"
sed 's/$/\r/' "$FIX/recit.txt" >"$W/recit.txt"
"$INDEXER" -q -d "$W.idx" "$W" || fail "index the CRLF copy"
expect_status 0 "cite a wrapped CRLF paragraph in the grep format" "$SEARCHER" -d "$W.idx" --format grep --cite recit.txt:22
"$SEARCHER" -d "$IDX" --format grep --cite recit.txt:22 >"$TMP/lf"
expect_eq "$(cat "$TMP/out")" "$(cat "$TMP/lf")" "... is the line of the LF file (one space per line end)"
expect_no_grep '[^ ]  [^ ]' "$TMP/out" "... without a double space"

expect_status 0 "grep format in a wrapped paragraph" "$SEARCHER" -d "$IDX" --format grep "lanternes"
expect_grep '^recit\.txt:21:[0-9]+: ' "$TMP/out" "grep points at the line of the match"
expect_status 0 "grep format, match on a later line" "$SEARCHER" -d "$IDX" --format grep "orientale"
expect_grep '^recit\.txt:19:13: ' "$TMP/out" "match on the third line of a paragraph: line 19, column 13"

expect_status 0 "one-line paragraphs in the .md file" "$SEARCHER" -d "$IDX" --format trec "deuxième note"
expect_grep 'notes\.md#2' "$TMP/out" "notes.md#2 found"

# Markdown headings (QA: "# Politique étrangère de la France" was the title,
# "## Les relations franco-allemandes" the section, markers included).
M=$TMP/md
mkdir -p "$M"
printf '%s\n' '# Politique étrangère de la France' '' 'Introduction générale.' '' \
    '## Les relations franco-allemandes ##' '' 'Les deux pays coopèrent depuis 1963.' '' \
    'La défense' '----------' 'Une brigade franco-allemande existe.' >"$M/notes.md"
cp "$M/notes.md" "$M/brut.txt"
expect_status 0 "index a Markdown file (and the same text as .txt)" "$INDEXER" -d "$M.idx" "$M"
expect_status 0 "cite notes.md with context" "$SEARCHER" -d "$M.idx" --cite notes.md -C 10
expect_grep '^> Politique étrangère de la France — §1$' "$TMP/out" "title of §1 without '#' (its section, the title, not repeated)"
expect_eq "$("$SEARCHER" -d "$M.idx" --format jsonl --cite notes.md#1 | python3 -c 'import sys, json; h = json.loads(sys.stdin.readline()); print(h["title"], "|", h["section"])')" "Politique étrangère de la France | Politique étrangère de la France" "title and section of §1 without '#'"
expect_grep '^  Politique étrangère de la France — §2 · Les relations franco-allemandes$' "$TMP/out" "section of §2 without '##' or the closing '##'"
expect_grep '^  Politique étrangère de la France — §3 · La défense$' "$TMP/out" "a Setext heading is a section, its underline no passage"
expect_no_grep '# |#$|----' "$TMP/out" "no marker or underline anywhere (ids aside)"
expect_status 0 "section: filter on a Markdown heading" "$SEARCHER" -d "$M.idx" --format jsonl 'section:"relations franco-allemandes"'
if python3 - "$TMP/out" "$M/notes.md" <<'PY'
import json, sys
hits = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
raw = open(sys.argv[2], "rb").read()
h = [h for h in hits if h["file"] == "notes.md"]
assert len(h) == 1, hits
h = h[0]
assert h["section"] == "Les relations franco-allemandes", h["section"]
assert h["title"] == "Politique étrangère de la France", h["title"]
assert raw[h["byte_start"]:h["byte_end"]].decode() == "Les deux pays coopèrent depuis 1963.", h
PY
then ok "notes.md#2: section and title without markers, bytes those of the file"
else fail "notes.md#2: section and title without markers, bytes those of the file" "$(head -c 400 "$TMP/out")"; fi
expect_status 0 "the same text as .txt keeps its '#'" "$SEARCHER" -d "$M.idx" --cite brut.txt#2
expect_grep '^> # Politique étrangère de la France — §2 · ## Les relations franco-allemandes ##$' "$TMP/out" "plain text: headings as written"
finish
