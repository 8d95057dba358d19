#!/usr/bin/env bash
# e2e_wrapped.sh -- a hard-wrapped (Gutenberg-style) file: lines are joined
# into paragraphs, headings become sections, citations point at the lines.
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

expect_status 0 "grep format in a wrapped paragraph" "$SEARCHER" -d "$IDX" --format grep "lanternes"
expect_grep '^recit\.txt:21:[0-9]+: ' "$TMP/out" "grep points at the line of the match"
expect_status 0 "grep format, match on a later line" "$SEARCHER" -d "$IDX" --format grep "orientale"
expect_grep '^recit\.txt:19:13: ' "$TMP/out" "match on the third line of a paragraph: line 19, column 13"

expect_status 0 "one-line paragraphs in the .md file" "$SEARCHER" -d "$IDX" --format trec "deuxième note"
expect_grep 'notes\.md#2' "$TMP/out" "notes.md#2 found"
finish
