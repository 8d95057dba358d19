#!/usr/bin/env bash
# e2e_incremental.sh -- re-runs index only what changed; one writer at a time.
. "$(dirname "$0")/lib.sh" "$@"
IDX=$TMP/idx
C=$TMP/corpus
mkdir -p "$C/sub"
cp "$SRC"/corpus/*.txt "$SRC"/corpus/CATALOG.tsv "$C/"
printf 'Un texte sur la pêche au thon rouge en Méditerranée.\n\nLes quotas de pêche sont fixés chaque année.\n' >"$C/sub/peche.md"

expect_status 0 "first run" "$INDEXER" -d "$IDX" "$C"
expect_grep '4 files indexed, 0 unchanged' "$TMP/err" "first run indexes 4 files"
expect_status 0 "second run" "$INDEXER" -d "$IDX" "$C"
expect_grep '0 files indexed, 4 unchanged, 0 skipped, 0 removed' "$TMP/err" "unchanged corpus: 0 files indexed"

touch -d '2001-01-01' "$C/sub/peche.md"
expect_status 0 "run after touch (same contents)" "$INDEXER" -d "$IDX" "$C"
expect_grep '0 files indexed, 4 unchanged' "$TMP/err" "a touched but unchanged file is not reindexed"

printf 'Un texte sur la pêche au thon rouge.\n\nLes quotas de pêche au thon sont fixés chaque année.\n\nLe thon albacore aussi.\n' >"$C/sub/peche.md"
expect_status 0 "run after a change" "$INDEXER" -v -d "$IDX" "$C"
expect_grep '1 files indexed, 3 unchanged' "$TMP/err" "only the changed file is reindexed"
expect_grep 'reindexed sub/peche.md \(3 passages\)' "$TMP/err" "-v names it"
expect_status 0 "search the new text" "$SEARCHER" -d "$IDX" --format trec "albacore"
expect_grep 'sub/peche.md#3' "$TMP/out" "new passage is found"
expect_status 0 "old passages replaced" "$SEARCHER" -d "$IDX" --count "thon"
expect_eq "$(cat "$TMP/out")" 3 "3 passages name thon, none twice"

rm "$C/sub/peche.md"
expect_status 0 "run after a deletion" "$INDEXER" -d "$IDX" "$C"
expect_grep '0 files indexed, 3 unchanged, 0 skipped, 1 removed' "$TMP/err" "deleted file is removed"
expect_status 1 "its passages are gone" "$SEARCHER" -d "$IDX" "thon"

# catalogue change: titles are part of the stored passages
sed -i 's/Relations entre l.Azerbaïdjan et le Pakistan/Relations azerbaïdjano-pakistanaises/' "$C/CATALOG.tsv"
expect_status 0 "run after a catalogue change" "$INDEXER" -d "$IDX" "$C"
expect_grep '1 files indexed' "$TMP/err" "the file whose catalogue entry changed is reindexed"
expect_status 0 "new title shown" "$SEARCHER" -d "$IDX" --cite 000_4c187126246bc5f9.txt#1
expect_grep 'Relations azerbaïdjano-pakistanaises' "$TMP/out" "citation shows the new title"

# one writer at a time
if [ -n "$HOLD_LOCK" ]; then
    mkfifo "$TMP/fifo"
    "$HOLD_LOCK" "$IDX" <"$TMP/fifo" >"$TMP/holder" &
    holder=$!
    exec 3>"$TMP/fifo"
    for _ in $(seq 50); do grep -q locked "$TMP/holder" 2>/dev/null && break; sleep 0.1; done
    expect_status 2 "a second writer fails" "$INDEXER" -d "$IDX" "$C"
    expect_grep 'depeche-index: error: .*locked' "$TMP/err" "with a clear 'locked' error"
    expect_status 0 "searching works while a writer holds the lock" "$SEARCHER" -d "$IDX" --count "Pakistan"
    exec 3>&-
    wait $holder
fi

expect_status 0 "--rebuild" "$INDEXER" --rebuild -d "$IDX" "$C"
expect_grep '3 files indexed, 0 unchanged' "$TMP/err" "--rebuild indexes everything again"
finish
