#!/usr/bin/env bash
# e2e_shards.sh -- an index split into 3 shards, searched locally through
# its stub and remotely through 3 xapian-tcpsrv on loopback, gives the
# same bytes as a single index; a shard that is down is named.
. "$(dirname "$0")/lib.sh" "$@"
PIAF=$SRC/bench/piaf
Q=$PIAF/queries-dev.tsv
ONE=$TMP/one
THREE=$TMP/three

expect_status 0 "index PIAF into one index, on one thread" "$INDEXER" -q -j 1 -d "$ONE" "$PIAF/corpus"
expect_status 0 "index PIAF into 3 shards" "$INDEXER" -d "$THREE" --shards 3 "$PIAF/corpus"
expect_grep '191 files indexed.* 761 passages' "$TMP/err" "all files, all passages"
expect_eq "$(ls -d "$THREE"/shard* | wc -l)" 3 "three shard databases"
expect_grep '^auto shard2$' "$THREE/XAPIANDB" "a Xapian stub lists them"
expect_status 0 "an incremental run keeps each file on its shard" "$INDEXER" -d "$THREE" "$PIAF/corpus"
expect_grep '0 files indexed, 191 unchanged' "$TMP/err" "nothing to reindex"
expect_status 2 "another shard count needs --rebuild" "$INDEXER" -d "$THREE" --shards 2 "$PIAF/corpus"
expect_grep 'has 3 shards.*--rebuild --shards 2' "$TMP/err" "and says so"
# An empty folder made for the index holds no index: --shards applies (it
# used to be taken for an index of 1 shard: 'the index has 1 shard; to
# change that, rebuild it with --rebuild --shards 3').
mkdir "$TMP/made"
expect_status 0 "--shards 3 into an empty folder" "$INDEXER" -q -d "$TMP/made" --shards 3 "$SRC/corpus"
expect_eq "$(ls "$TMP/made" | tr '\n' ' ')" "XAPIANDB shard0 shard1 shard2 " "... makes 3 shards there"

"$SEARCHER" -d "$ONE" --batch "$Q" --format jsonl -j 2 >"$TMP/one.jsonl"
"$SEARCHER" -d "$THREE" --batch "$Q" --format jsonl -j 2 >"$TMP/three.jsonl"
if [ -s "$TMP/one.jsonl" ] && cmp -s "$TMP/one.jsonl" "$TMP/three.jsonl"; then
    ok "3 local shards: the 1,616 PIAF questions give byte-identical jsonl (scores, order, snippets)"
else fail "3 local shards: byte-identical jsonl" "$(cmp "$TMP/one.jsonl" "$TMP/three.jsonl")"; fi
expect_eq "$("$SEARCHER" -d "$THREE" --stats | grep -E '^(files|passages)')" "$("$SEARCHER" -d "$ONE" --stats | grep -E '^(files|passages)')" "--stats counts the same files and passages"

# A full build on 2 threads (parts merged by compaction) is the same index.
PAR=$TMP/par
expect_status 0 "a full build with -j 2" "$INDEXER" -d "$PAR" -j 2 "$PIAF/corpus"
expect_grep '191 files indexed.* 761 passages' "$TMP/err" "-j 2 indexes every file"
"$SEARCHER" -d "$PAR" --batch "$Q" --format jsonl -j 2 >"$TMP/par.jsonl"
if cmp -s "$TMP/one.jsonl" "$TMP/par.jsonl"; then ok "-j 2 build: byte-identical answers"
else fail "-j 2 build: byte-identical answers" "$(cmp "$TMP/one.jsonl" "$TMP/par.jsonl")"; fi
# Equal scores come in passage-id order whatever the document ids, which
# in a -j build follow the parts: a filter alone (every score 0), cut
# inside its hits.
for spec in "-k 3" "-k 4 --offset 5"; do
    for idx in "$ONE" "$PAR" "$THREE"; do
        # shellcheck disable=SC2086
        "$SEARCHER" -d "$idx" $spec --format trec 'file:0*' | cut -d' ' -f3 >"$TMP/ties.${idx##*/}"
    done
    expect_eq "$(cat "$TMP/ties.par")" "$(cat "$TMP/ties.one")" "equal scores, $spec: the -j 2 build lists the same passages as one thread"
    expect_eq "$(cat "$TMP/ties.three")" "$(cat "$TMP/ties.one")" "equal scores, $spec: so do 3 shards"
done
"$SEARCHER" -d "$ONE" -k 1000 --format trec 'file:0*' | cut -d' ' -f3 |
    LC_ALL=C sort -t'#' -k1,1 -k2,2n | sed -n '6,9p' >"$TMP/ties.want"
expect_eq "$(cat "$TMP/ties.one")" "$(cat "$TMP/ties.want")" "in passage-id order (relpath bytes, then number)"
expect_status 0 "then incremental" "$INDEXER" -d "$PAR" -j 2 "$PIAF/corpus"
expect_grep '0 files indexed, 191 unchanged' "$TMP/err" "a later run with -j 2 is incremental"
expect_status 0 "--rebuild -j 2" "$INDEXER" -d "$PAR" --rebuild -j 2 "$PIAF/corpus"
expect_eq "$(ls -d "$TMP"/par.parts "$TMP"/par.new "$TMP"/par.old 2>/dev/null | wc -l)" 0 "no parts or old copies left behind"

# A shard gone missing or damaged: the indexer names it and points to
# --rebuild, which starts it afresh (it used to fail with the same error,
# or with Xapian's alone, leaving rm -rf as the only way out); a damaged
# plain index is named too.
DMG=$TMP/dmg
cp -r "$THREE" "$DMG"
rm -r "$DMG/shard1"
expect_status 2 "a shard missing: an incremental run fails" "$INDEXER" -q -d "$DMG" "$PIAF/corpus"
expect_grep "^depeche-index: error: .*dmg: shard 1 is missing \\(.*\\); rebuild with --rebuild\$" "$TMP/err" "... naming it"
expect_status 0 "... --rebuild rebuilds it" "$INDEXER" -q --rebuild -d "$DMG" "$PIAF/corpus"
"$SEARCHER" -d "$DMG" --batch "$Q" --format trec -k 20 >"$TMP/dmg.trec"
"$SEARCHER" -d "$ONE" --batch "$Q" --format trec -k 20 >"$TMP/one.trec"
if [ -s "$TMP/one.trec" ] && cmp -s "$TMP/one.trec" "$TMP/dmg.trec"; then
    ok "... to the same answers as one index"
else fail "... to the same answers as one index" "$(cmp "$TMP/one.trec" "$TMP/dmg.trec")"; fi
printf 'garbage\n' >"$DMG/shard2/postlist.glass"
expect_status 2 "a shard damaged: an incremental run fails" "$INDEXER" -q -d "$DMG" "$PIAF/corpus"
expect_grep "^depeche-index: error: .*dmg: shard 2 is damaged \\(xapian: .*\\); rebuild with --rebuild\$" "$TMP/err" "... naming it"
expect_status 0 "... --rebuild rebuilds it" "$INDEXER" -q --rebuild -d "$DMG" "$PIAF/corpus"
"$SEARCHER" -d "$DMG" --batch "$Q" --format trec -k 20 >"$TMP/dmg.trec"
if cmp -s "$TMP/one.trec" "$TMP/dmg.trec"; then ok "... to the same answers as one index"
else fail "... to the same answers as one index" "$(cmp "$TMP/one.trec" "$TMP/dmg.trec")"; fi
cp -r "$ONE" "$TMP/dmg1"
printf 'garbage\n' >"$TMP/dmg1/postlist.glass"
expect_status 2 "a plain index damaged: an incremental run fails" "$INDEXER" -q -d "$TMP/dmg1" "$PIAF/corpus"
expect_grep "^depeche-index: error: .*dmg1: the index is damaged \\(xapian: .*\\); rebuild with --rebuild\$" "$TMP/err" "... naming it and the way out"
# so does a search of it, rather than with Xapian's words alone
for a in Chine "--cite a" "--batch $Q"; do
    expect_status 2 "a plain index damaged: depeche-search $a fails" "$SEARCHER" -d "$TMP/dmg1" $a
    expect_grep "^depeche-search: error: .*dmg1: the index is damaged \\(xapian: .*\\); rebuild it with depeche-index --rebuild\$" "$TMP/err" "... naming it and the way out"
done
expect_status 0 "... which --rebuild takes" "$INDEXER" -q --rebuild -j 1 -d "$TMP/dmg1" "$PIAF/corpus"

# Remote: one xapian-tcpsrv per shard on free loopback ports.  setsid:
# xapian-tcpsrv signals its whole process group when it stops.
if ! command -v xapian-tcpsrv >/dev/null; then
    printf '# skipped: xapian-tcpsrv not installed (Debian package xapian-tools)\n'
    finish; exit
fi
ports=$(python3 -c 'import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
pids=()
stop_servers() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap 'stop_servers; rm -rf "$TMP"' EXIT
i=0
: >"$TMP/remote.stub"
for port in $ports; do
    setsid xapian-tcpsrv --interface 127.0.0.1 --port "$port" "$THREE/shard$i" \
        </dev/null >"$TMP/srv$i.log" 2>&1 &
    pids+=($!)
    echo "remote :127.0.0.1:$port" >>"$TMP/remote.stub"
    i=$((i + 1))
done
for _ in $(seq 50); do
    [ "$(grep -l Listening "$TMP"/srv*.log 2>/dev/null | wc -l)" -eq 3 ] && break
    sleep 0.1
done
"$SEARCHER" -d "$TMP/remote.stub" --batch "$Q" --format jsonl -j 2 >"$TMP/remote.jsonl"
if [ -s "$TMP/remote.jsonl" ] && cmp -s "$TMP/one.jsonl" "$TMP/remote.jsonl"; then
    ok "3 remote shards (xapian-tcpsrv): byte-identical jsonl"
else fail "3 remote shards: byte-identical jsonl" "$(cmp "$TMP/one.jsonl" "$TMP/remote.jsonl") $(cat "$TMP"/srv*.log | head -5)"; fi
for args in "--cite 002_Jakob_Bohme.txt#1 -C 1" "--quote 'Jakob Böhme tombe malade'" "Böhmme" "file:002* section:x OR mort" "diplomat*" "Musharraf~2" "--explain -k 2 Chine"; do
    eval "\"\$SEARCHER\" -d \"\$ONE\" $args" >"$TMP/a" 2>&1; sa=$?
    eval "\"\$SEARCHER\" -d \"\$TMP/remote.stub\" $args" >"$TMP/b" 2>&1; sb=$?
    if [ $sa -eq $sb ] && cmp -s "$TMP/a" "$TMP/b"; then ok "remote: $args gives the same output (exit $sa)"
    else fail "remote: $args gives the same output" "exit $sa vs $sb: $(diff "$TMP/a" "$TMP/b" | head -4)"; fi
done
kill "${pids[2]}"; wait "${pids[2]}" 2>/dev/null
expect_status 2 "a shard down: error" "$SEARCHER" -d "$TMP/remote.stub" Chine
expect_grep 'shard 2 \(remote :127\.0\.0\.1:[0-9]+\).*--allow-partial' "$TMP/err" "names the shard and the way out"
expect_status 0 "--allow-partial searches the others" "$SEARCHER" -d "$TMP/remote.stub" --allow-partial --format trec Chine
expect_grep '^depeche-search: note: searching without shard 2' "$TMP/err" "and says which shard is missing"
finish
