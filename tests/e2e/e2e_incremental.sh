#!/usr/bin/env bash
# e2e_incremental.sh -- re-runs index only what changed; one writer at a time.
. "$(dirname "$0")/lib.sh" "$@"
IDX=$TMP/idx
C=$TMP/corpus
mkdir -p "$C/sub"
cp "$SRC"/corpus/*.txt "$SRC"/corpus/CATALOG.tsv "$C/"
printf 'Un texte sur la pêche au thon rouge en Méditerranée.\n\nLes quotas de pêche sont fixés chaque année.\n' >"$C/sub/peche.md"
# Files for the stat() checks below, written now so that they are old
# enough by then (a file changed less than 3 s before a run is read again
# by the next run, whatever its stat() says).
S=$TMP/stat
SI=$TMP/stat-idx
mkdir -p "$S"
printf 'La Géorgie.\n' >"$S/m.txt"
printf 'La Moldavie.\n' >"$S/n.txt"
printf '%s\n' "L'Arménie." >"$S/o.txt"

expect_status 0 "first run" "$INDEXER" -d "$IDX" "$C"
expect_grep '4 files indexed, 0 unchanged' "$TMP/err" "first run indexes 4 files"
expect_status 0 "second run" "$INDEXER" -d "$IDX" "$C"
expect_grep '0 files indexed, 4 unchanged, 0 skipped, 0 removed' "$TMP/err" "unchanged corpus: 0 files indexed"

touch -d '2001-01-01' "$C/sub/peche.md"
expect_status 0 "run after touch (same contents)" "$INDEXER" -d "$IDX" "$C"
expect_grep '0 files indexed, 4 unchanged' "$TMP/err" "a touched but unchanged file is not reindexed"

printf 'Un texte sur la pêche au thon rouge.\n\nLes quotas de pêche au thon sont fixés chaque année.\n\nLe thon albacore aussi.\n' >"$C/sub/peche.md"
expect_status 0 "run after a change" "$INDEXER" -v -d "$IDX" "$C"
expect_grep '1 file indexed, 3 unchanged' "$TMP/err" "only the changed file is reindexed"
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
expect_grep '1 file indexed' "$TMP/err" "the file whose catalogue entry changed is reindexed"
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

# A file is taken as unchanged without being read only while its size,
# mtime, ctime, inode and device are all as the manifest recorded them;
# otherwise it is read, and indexed again only if its text changed (its
# new stat() is recorded either way).  A user can set the mtime
# (cp --preserve, rsync -t, tar) but not the ctime.
old_enough() { # wait until the ctime of every file of $S is 4 s old
    local c
    c=$(stat -c %Z "$S"/* | sort -n | tail -1)
    while [ "$(date +%s)" -lt $((c + 4)) ]; do sleep 0.2; done
}
old_enough
expect_status 0 "stat: first run" "$INDEXER" -d "$SI" "$S"
expect_grep '3 files indexed' "$TMP/err" "stat: 3 files indexed"
expect_status 0 "stat: second run" "$INDEXER" -v -d "$SI" "$S"
expect_grep '0 files indexed, 3 unchanged, 0 skipped, 0 removed' "$TMP/err" "stat: nothing changed, nothing indexed"
expect_no_grep 'read: same text' "$TMP/err" "stat: nothing changed, nothing read"
printf 'La Turquie !\n' >"$TMP/x.txt"
touch -r "$S/m.txt" "$TMP/x.txt"
before=$(stat -c '%s %y' "$S/m.txt")
cp --preserve=timestamps "$TMP/x.txt" "$S/m.txt"
expect_eq "$(stat -c '%s %y' "$S/m.txt")" "$before" "stat: the edit kept the size and the mtime"
expect_status 0 "stat: run after a same-size, same-mtime edit" "$INDEXER" -v -d "$SI" "$S"
expect_grep '1 file indexed, 2 unchanged' "$TMP/err" "stat: the edited file is indexed again"
expect_grep '^depeche-index: reindexed m.txt \(1 passage\)$' "$TMP/err" "stat: -v names it (1 passage)"
expect_status 0 "stat: its new text is found" "$SEARCHER" -d "$SI" --count Turquie
expect_eq "$(cat "$TMP/out")" 1 "stat: one passage names Turquie"
expect_status 1 "stat: its old text is gone" "$SEARCHER" -d "$SI" --count Géorgie
touch "$S/n.txt"
expect_status 0 "stat: run after a touch" "$INDEXER" -v -d "$SI" "$S"
expect_grep '0 files indexed, 3 unchanged, 0 skipped, 0 removed' "$TMP/err" "stat: a touched file is not indexed again"
expect_grep '^depeche-index: unchanged n.txt \(read: same text\)$' "$TMP/err" "stat: it is read and found the same"
chmod 600 "$S/o.txt"
expect_status 0 "stat: run after a chmod" "$INDEXER" -v -d "$SI" "$S"
expect_grep '0 files indexed, 3 unchanged, 0 skipped, 0 removed' "$TMP/err" "stat: a chmod'ed file is not indexed again"
expect_grep '^depeche-index: unchanged o.txt \(read: same text\)$' "$TMP/err" "stat: its new ctime makes it read and found the same"
mv "$S/n.txt" "$TMP/n.txt" && cp -p "$TMP/n.txt" "$S/n.txt"
expect_status 0 "stat: run after a copy put in its place (cp -p)" "$INDEXER" -v -d "$SI" "$S"
expect_grep '0 files indexed, 3 unchanged' "$TMP/err" "stat: the copy is not indexed again"
expect_grep '^depeche-index: unchanged n.txt \(read: same text\)$' "$TMP/err" "stat: it is read and found the same"
# The runs above read files changed less than 3 s before them, so they
# recorded no ctime for them: the first run after that reads them once
# more (racy entries), and records their stat(); the next reads nothing.
old_enough
expect_status 0 "stat: a run once the changes are 4 s old" "$INDEXER" -v -d "$SI" "$S"
expect_grep '0 files indexed, 3 unchanged, 0 skipped, 0 removed' "$TMP/err" "stat: ... indexes nothing"
expect_status 0 "stat: the next run" "$INDEXER" -v -d "$SI" "$S"
expect_grep '0 files indexed, 3 unchanged, 0 skipped, 0 removed' "$TMP/err" "stat: ... indexes nothing"
expect_no_grep 'read: same text' "$TMP/err" "stat: ... and reads nothing: the stat() of each file was recorded"

# A relpath that starts with a space keeps it in the manifest (it was
# lost, so the file was indexed again, and "removed", on every run).
mkdir -p "$TMP/sp"
printf 'Le Kazakhstan.\n' >"$TMP/sp/ k.txt"
expect_status 0 "a name that starts with a space" "$INDEXER" -d "$TMP/sp-idx" "$TMP/sp"
expect_status 0 "... indexed again" "$INDEXER" -v -d "$TMP/sp-idx" "$TMP/sp"
expect_grep '0 files indexed, 1 unchanged, 0 skipped, 0 removed' "$TMP/err" "... is found unchanged"

# A changed file is updated passage by passage: a passage whose stored
# record is unchanged stays the same document, a changed one is replaced
# in place (the same document id), and the index ends equal to a fresh
# build of the same files: the same terms with the same wdf, frequencies
# and positions, the same values and data, the same search results.
P=$TMP/pbp
I1=$TMP/pbp-incremental
I2=$TMP/pbp-fresh
mkdir -p "$P"
printf '%s\n' "# Déclaration commune" "" \
    "Premier paragraphe sur la coopération énergétique." "" \
    "Deuxième paragraphe, sur le gaz naturel liquéfié et les oléoducs de la Caspienne." "" \
    "## Commerce" "" \
    "Troisième paragraphe : les échanges commerciaux ont doublé." "" \
    "Quatrième paragraphe : les investissements chinois en Azerbaïdjan." >"$P/decl.md"
printf 'Un autre texte, qui ne change pas.\n' >"$P/autre.txt"
docid() { xapian-delve -t "Q$2" -1 "$1" 2>/dev/null | sed -n '2p'; }
step() { # step DESC: index $P incrementally into $I1
    expect_status 0 "passage by passage: $1" "$INDEXER" -d "$I1" "$P"
}
dump() { # every passage of index $1, by passage id
    xapian-delve "$1" | grep -E '^(number of documents|average document length)'
    xapian-delve -A Q -1 "$1" | sed 1d | while read -r q; do
        d=$(xapian-delve -t "$q" -1 "$1" | sed -n '2p')
        printf '%s\n' "$q"
        xapian-delve -r "$d" -1 -v -V -d "$1" | sed "s/record #$d/record/"
        xapian-delve -r "$d" -1 "$1" | sed 1d | grep -E '^[a-z]' |
            while read -r t; do
                printf '%s:' "$t"
                xapian-delve -t "$t" -r "$d" -1 "$1" | sed 1d | tr '\n' ' '
                echo
            done
    done
}
if command -v xapian-delve >/dev/null; then
    step "first run"
    before=$(for n in 1 2 3 4; do docid "$I1" "decl.md#$n"; done | tr '\n' ' ')
    printf '\nCinquième paragraphe : la route de la soie.\n' >>"$P/decl.md"
    step "a paragraph appended"
    after=$(for n in 1 2 3 4; do docid "$I1" "decl.md#$n"; done | tr '\n' ' ')
    expect_eq "$after" "$before" "the unchanged passages are the same documents"
    expect_status 0 "the appended passage is found" "$SEARCHER" -d "$I1" --format trec soie
    expect_grep 'decl.md#5' "$TMP/out" "as decl.md#5"
    old3=$(docid "$I1" "decl.md#3")
    sed -i 's/liquéfié et les/liquéfié\net les/' "$P/decl.md"
    step "a paragraph wrapped (the lines below move)"
    expect_eq "$(docid "$I1" "decl.md#3")" "$old3" "a passage whose lines moved is replaced in place"
    expect_status 0 "its new line is cited" "$SEARCHER" -d "$I1" --cite "decl.md#3"
    expect_grep 'decl.md:10' "$TMP/out" "decl.md#3 now starts on line 10"
    sed -i 's/ont doublé/ont triplé/' "$P/decl.md"
    step "a word changed"
    expect_status 1 "the old word is gone" "$SEARCHER" -d "$I1" doublé
    sed -i '/Cinquième/d' "$P/decl.md"
    step "the last paragraph removed"
    expect_status 1 "its passage is gone" "$SEARCHER" -d "$I1" --cite "decl.md#5"
    sed -i 's/^Premier paragraphe/Paragraphe liminaire.\n\nPremier paragraphe/' "$P/decl.md"
    step "a paragraph inserted first (the numbers shift)"
    sed -i 's/^## Commerce/## Échanges/' "$P/decl.md"
    step "a heading changed"
    expect_status 0 "passage by passage: a fresh build" "$INDEXER" -d "$I2" "$P"
    dump "$I1" >"$TMP/dump1"
    dump "$I2" >"$TMP/dump2"
    if [ -s "$TMP/dump1" ] && cmp -s "$TMP/dump1" "$TMP/dump2"; then
        ok "passage by passage: the same index as a fresh build"
    else
        fail "passage by passage: the same index as a fresh build" \
            "$(diff "$TMP/dump1" "$TMP/dump2" | head -c 600)"
    fi
    expect_eq "$(grep -Ec '^Qdecl.md#[0-9]+$' "$TMP/dump1")" 5 "5 passages of decl.md, none left over"
    "$SEARCHER" -d "$I1" --stats | grep -E '^(files|passages|words)' >"$TMP/s1"
    "$SEARCHER" -d "$I2" --stats | grep -E '^(files|passages|words)' >"$TMP/s2"
    expect_eq "$(cat "$TMP/s1")" "$(cat "$TMP/s2")" "passage by passage: the same manifest counts as a fresh build"
    printf 'q1\tcoopération énergétique\nq2\t"gaz naturel liquéfié"\nq3\ttriplé échanges\nq4\tsection:échanges investissements\nq5\tparagraphe\n' >"$TMP/pq"
    "$SEARCHER" -d "$I1" --batch "$TMP/pq" --format jsonl --full >"$TMP/r1" 2>&1
    "$SEARCHER" -d "$I2" --batch "$TMP/pq" --format jsonl --full >"$TMP/r2" 2>&1
    if [ -s "$TMP/r1" ] && cmp -s "$TMP/r1" "$TMP/r2"; then
        ok "passage by passage: the same results as a fresh build"
    else
        fail "passage by passage: the same results as a fresh build" \
            "$(diff "$TMP/r1" "$TMP/r2" | head -c 600)"
    fi
else
    fail "passage by passage" "xapian-delve not found (Debian package xapian-tools)"
fi

expect_status 0 "--rebuild" "$INDEXER" --rebuild -d "$IDX" "$C"
expect_grep '3 files indexed, 0 unchanged' "$TMP/err" "--rebuild indexes everything again"

# The same RELPATH under two PATHs, or one folder given twice: only the
# later is indexed (it would replace the first), with a warning, and each
# file is counted once -- also by a -j build, which used to index it in
# two parts and so keep its passages twice.
T=$TMP/twice
mkdir -p "$T/a" "$T/b"
cp "$SRC"/corpus/*.txt "$T/a/"
printf 'Première version, sur la ganterie.\n' >"$T/a/x.txt"
printf 'Seconde version, sur la chapellerie.\n' >"$T/b/x.txt"
n=$(ls "$T/a" | wc -l)
passages=$("$SEARCHER" -d "$IDX" --stats | awk '/^passages:/ {print $2}')
for j in 1 2; do
    expect_status 0 "one folder twice, -j $j" "$INDEXER" -j $j -d "$T/idx$j" "$T/a" "$T/a"
    expect_grep "^depeche-index: $n files indexed, 0 unchanged, 0 skipped, 0 removed; $((passages + 1)) passages" "$TMP/err" "... $n files and $((passages + 1)) passages, counted once"
    expect_grep '^depeche-index: warning: x\.txt: found under two PATHs; only the later one is indexed$' "$TMP/err" "... with a warning"
    expect_status 0 "... its passages are there once" "$SEARCHER" -d "$T/idx$j" --stats
    expect_grep "^passages: +$((passages + 1))\$" "$TMP/out" "... $((passages + 1)) passages in the index"
done
expect_status 0 "one folder twice again" "$INDEXER" -d "$T/idx1" "$T/a" "$T/a"
expect_grep "^depeche-index: 0 files indexed, $n unchanged, 0 skipped, 0 removed;" "$TMP/err" "... $n unchanged, not $((2 * n))"
expect_status 0 "two PATHs with a file of the same RELPATH, -j 2" "$INDEXER" -j 2 -d "$T/idx3" "$T/a" "$T/b"
expect_grep "^depeche-index: $n files indexed" "$TMP/err" "... $n files indexed"
expect_status 1 "... the first PATH's is not indexed" "$SEARCHER" -d "$T/idx3" ganterie
expect_status 0 "... the later PATH's is" "$SEARCHER" -d "$T/idx3" --count chapellerie
expect_eq "$(cat "$TMP/out")" 1 "... once"
# A file indexed before that is now empty (or binary) is skipped and its
# passages removed: -v names it as removed, as the summary counts it (it
# said nothing but the warning).
V=$TMP/verbose
mkdir -p "$V/c"
printf 'La Géorgie.\n' >"$V/c/g.txt"
printf 'La Moldavie.\n' >"$V/c/m.txt"
expect_status 0 "two files" "$INDEXER" -q -d "$V/idx" "$V/c"
: >"$V/c/g.txt"
expect_status 0 "one truncated to empty, -v" "$INDEXER" -v -d "$V/idx" "$V/c"
expect_grep '^depeche-index: warning: g\.txt: empty file$' "$TMP/err" "... warned about"
expect_grep '^depeche-index: removed g\.txt$' "$TMP/err" "... and named as removed"
expect_grep ' 1 skipped, 1 removed;' "$TMP/err" "... as the summary counts it"
expect_status 1 "... its passage is gone" "$SEARCHER" -d "$V/idx" Géorgie

# -d naming a folder that holds anything but an index (the user's own
# files, the texts themselves, texts put inside the index folder) is
# refused, having written nothing: a --rebuild, or the swap of a -j build,
# deletes the index folder whole, and deleted them (QA).
F=$TMP/foreign
mkdir -p "$F/docs" "$F/same"
printf 'mes notes\n' >"$F/docs/these.odt"
cp "$SRC"/corpus/*.txt "$F/same/"
for args in "" "--rebuild" "--rebuild -j 2" "--rebuild --shards 2"; do
    # shellcheck disable=SC2086
    expect_status 2 "-d a folder of other files ($args): refused" "$INDEXER" $args -d "$F/docs" "$C"
    expect_grep "^depeche-index: error: .*/docs: not an index: the folder holds these\.odt, which depeche-index did not write; give -d a new or empty folder\$" "$TMP/err" "... saying why"
    expect_eq "$(ls "$F/docs")" "these.odt" "... and nothing is written or deleted"
    # shellcheck disable=SC2086
    expect_status 2 "-d the folder indexed ($args): refused" "$INDEXER" $args -d "$F/same" "$F/same"
    expect_eq "$(ls "$F/same" | wc -l)" "$(ls "$SRC"/corpus/*.txt | wc -l)" "... its texts are all there"
done
expect_status 0 "an index in a new folder" "$INDEXER" -q -d "$F/idx" "$F/same"
cp -r "$F/same" "$F/idx/texts"
for args in "" "--rebuild" "--rebuild -j 2"; do
    # shellcheck disable=SC2086
    expect_status 2 "texts inside the index folder ($args): refused" "$INDEXER" $args -d "$F/idx" "$F/idx/texts"
    expect_grep 'idx: not an index: the folder holds texts,' "$TMP/err" "... naming them"
    expect_eq "$(ls "$F/idx/texts" | wc -l)" "$(ls "$SRC"/corpus/*.txt | wc -l)" "... which stay"
done
rm -r "$F/idx/texts"
mkdir "$F/empty"
expect_status 0 "an empty folder is a new index" "$INDEXER" -q -d "$F/empty" "$F/same"
expect_status 0 "... and --rebuild -j 2 rebuilds it" "$INDEXER" -q --rebuild -j 2 -d "$F/empty" "$F/same"
expect_status 0 "... which is searched" "$SEARCHER" -d "$F/empty" -k 1 Pakistan
# A catalogue entry whose file moved is named, not lost in silence
M=$TMP/moved
mkdir -p "$M/sub"
cp "$SRC"/corpus/*.txt "$SRC"/corpus/CATALOG.tsv "$M/"
expect_status 0 "the bundled catalogue" "$INDEXER" -q -d "$M.idx" "$M"
expect_no_grep 'is listed' "$TMP/err" "... lists only files of the corpus: no warning"
mv "$M"/001_*.txt "$M/sub/"
expect_status 0 "a catalogued file moved into sub/" "$INDEXER" -q -d "$M.idx" "$M"
expect_grep "^depeche-index: warning: $M/CATALOG.tsv:3: 001_ea4138b068591137.txt is listed but is no file of the corpus" "$TMP/err" "... its entry is named, with its line"
# Catalogue warnings come in line order, each with its line, duplicates too
printf 'zz1.txt\tA\nmm2.txt\tB\naa3.txt\tC\n001_ea4138b068591137.txt\tDup\n' >>"$M/CATALOG.tsv"
expect_status 0 "a catalogue with a duplicate and entries of no file" "$INDEXER" -q -d "$M.idx" "$M"
grep '^depeche-index: warning: ' "$TMP/err" | sed "s|$M/||" >"$TMP/cat-warnings"
printf '%s\n' \
    "depeche-index: warning: CATALOG.tsv:8: duplicate catalogue entry for 001_ea4138b068591137.txt, the first (line 3) is kept" \
    "depeche-index: warning: CATALOG.tsv:3: 001_ea4138b068591137.txt is listed but is no file of the corpus (moved, renamed or not indexed?): its entry is not used" \
    "depeche-index: warning: CATALOG.tsv:5: zz1.txt is listed but is no file of the corpus (moved, renamed or not indexed?): its entry is not used" \
    "depeche-index: warning: CATALOG.tsv:6: mm2.txt is listed but is no file of the corpus (moved, renamed or not indexed?): its entry is not used" \
    "depeche-index: warning: CATALOG.tsv:7: aa3.txt is listed but is no file of the corpus (moved, renamed or not indexed?): its entry is not used" \
    >"$TMP/cat-want"
expect_eq "$(cat "$TMP/cat-warnings")" "$(cat "$TMP/cat-want")" "... in line order, the duplicate with its line and the first's"
# A folder given twice holds its catalogued files, whichever copy is kept
expect_status 0 "the bundled corpus given twice" "$INDEXER" -q -d "$TMP/twice-cat.idx" "$SRC/corpus" "$SRC/corpus"
expect_no_grep 'is listed' "$TMP/err" "... its catalogue entries are not said to name no file"
# A Markdown file's YAML front matter gives its title and date (unless the
# catalogue does) and is no passage; changing it re-indexes as --rebuild
Y=$TMP/yaml; mkdir -p "$Y"
printf -- '---\ntitle: "La d\\"éclaration\\" commune"\ndate: 2020-01-02\ntags: [diplomatie, France]\n---\n\n# Préambule\n\nLes Parties renforcent leur coopération.\n' >"$Y/decl.md"
printf -- '---\nlayout: post\n---\nLa coopération culturelle.\n' >"$Y/sans.md"
expect_status 0 "front matter: index" "$INDEXER" -q -d "$TMP/yaml.idx" "$Y"
expect_status 0 "front matter: search" "$SEARCHER" -d "$TMP/yaml.idx" --format jsonl -k 5 coopération
expect_grep '"id":"decl.md#1","file":"decl.md","passage":1,"line":9,.*"section":"Préambule","title":"La d\\"éclaration\\" commune"' "$TMP/out" "front matter: title:, unquoted, is the title; the heading is the section; lines counted"
expect_grep '"id":"sans.md#1",.*"line":4,.*"title":"sans.md"' "$TMP/out" "front matter without a title: the file name"
expect_eq "$(grep -c . "$TMP/out")" 2 "front matter: no passage of its own"
expect_status 1 "front matter: its other keys are not text" "$SEARCHER" -d "$TMP/yaml.idx" diplomatie
expect_status 0 "front matter: cite" "$SEARCHER" -d "$TMP/yaml.idx" --cite 'decl.md#1'
expect_grep '^> La d"éclaration" commune \(2020-01-02\) — §1 · Préambule$' "$TMP/out" "front matter: date: is the date"
sed -i 's/^title: .*/title: Accord de Paris/; s/^date: .*/date: 2021-03-04/' "$Y/decl.md"
expect_status 0 "front matter changed: re-index" "$INDEXER" -q -d "$TMP/yaml.idx" "$Y"
"$SEARCHER" -d "$TMP/yaml.idx" --cite 'decl.md#1' >"$TMP/yaml.inc"
"$INDEXER" -q --rebuild -d "$TMP/yaml.idx" "$Y"
"$SEARCHER" -d "$TMP/yaml.idx" --cite 'decl.md#1' >"$TMP/yaml.reb"
expect_eq "$(head -1 "$TMP/yaml.inc")" "> Accord de Paris (2021-03-04) — §1 · Préambule" "front matter changed: the new title and date"
expect_eq "$(cat "$TMP/yaml.inc")" "$(cat "$TMP/yaml.reb")" "... as after --rebuild"
printf 'file\ttitle\tdate\tsource\ndecl.md\tTitre du catalogue\t1999\t\n' >"$Y/CATALOG.tsv"
"$INDEXER" -q -d "$TMP/yaml.idx" "$Y"
expect_status 0 "catalogue and front matter: cite" "$SEARCHER" -d "$TMP/yaml.idx" --cite 'decl.md#1'
expect_grep '^> Titre du catalogue \(1999\) — §1 · Préambule$' "$TMP/out" "... the catalogue's title and date come first"
# -v on a -j build: each thread names its files, one whole line per write
# (three stdio calls a line tore it: "indexed a.txtdepeche-index: indexed
# b.txt (2 passages)" then " (3 passages)", seen on the Europarl quarter).
# strace shows every write; without strace only the lines are checked.
VJ=$TMP/verbose-j
mkdir -p "$VJ"
for i in $(seq 1 60); do
    printf 'Texte %d sur la pêche.\n\nSecond paragraphe %d.\n' "$i" "$i" >"$VJ/f$i.txt"
done
if command -v strace >/dev/null 2>&1; then
    # (LeakSanitizer stops with an error under ptrace: not in this run.
    # One trace file per thread (-ff): in a shared one, strace splits a
    # write that another thread's call interrupts into "<unfinished ...>"
    # and "<... write resumed>" lines, which are no torn writes.)
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -ff -qq -s 4096 -e trace=write -e signal=none -o "$TMP/v.strace" \
        "$INDEXER" -v -j 2 -d "$TMP/v.idx" "$VJ" 2>"$TMP/v.err"
    cat "$TMP"/v.strace.* >"$TMP/v.strace"
    expect_eq "$(grep -c 'write(2, ' "$TMP/v.strace")" 61 "-v -j 2: one write per line (60 files, the summary)"
    expect_eq "$(grep 'write(2, ' "$TMP/v.strace" | grep -cv 'write(2, "[^"]*\\n", [0-9]*) = [0-9]*$')" 0 "-v -j 2: each write is one whole line"
else
    "$INDEXER" -v -j 2 -d "$TMP/v.idx" "$VJ" 2>"$TMP/v.err"
    echo "# strace not found: the writes of -v -j 2 are not checked"
fi
expect_eq "$(grep -c '^depeche-index: indexed f[0-9]*\.txt (2 passages)$' "$TMP/v.err")" 60 "-v -j 2: 60 whole lines name the files"

# A file reached twice (a symbolic or hard link to it: same device and
# inode) is indexed once: under its own name rather than a symbolic
# link's, even one that sorts first (links are followed once the walk is
# done), and between two hard links under the name met first; adding or
# removing a link later neither loses nor doubles its passages.
L=$TMP/links
mkdir -p "$L/sub"
printf 'G\n\nLa défense européenne.\n' >"$L/sub/c.txt"
printf 'A\n\nLa vannerie européenne.\n' >"$L/a.txt"
hits() { "$SEARCHER" -d "$L.idx" --format trec -k 100 européenne | awk '{print $3}' | sort | tr '\n' ' '; }
expect_status 0 "links: first run" "$INDEXER" -d "$L.idx" "$L"
ln -s a.txt "$L/link_a.txt"
expect_status 0 "a link to a file, after it in walk order" "$INDEXER" -v -d "$L.idx" "$L"
expect_grep '^depeche-index: warning: link_a\.txt: file already found under another name, not indexed again$' "$TMP/err" "... is named in a warning"
expect_grep '^depeche-index: 0 files indexed, 2 unchanged, 0 skipped, 0 removed;' "$TMP/err" "... and not indexed"
expect_eq "$(hits)" "a.txt#1 sub/c.txt#1 " "... each passage is found once"
ln -s a.txt "$L/0lien.txt"
ln -s sub "$L/0dossier"
ln "$L/sub/c.txt" "$L/b.txt"
expect_status 0 "a file link and a folder link before their targets, a hard link" "$INDEXER" -v -d "$L.idx" "$L"
expect_grep '^depeche-index: warning: 0lien\.txt: file already found under another name, not indexed again$' "$TMP/err" "... the file link is named in a warning"
expect_grep '^depeche-index: warning: 0dossier: directory already walked under another name, not entered again$' "$TMP/err" "... the folder link too"
expect_grep '^depeche-index: warning: sub/c\.txt: file already found under another name, not indexed again$' "$TMP/err" "... and the second of two hard links"
expect_grep '^depeche-index: 1 file indexed, 1 unchanged, 0 skipped, 1 removed;' "$TMP/err" "... only the hard link met first takes the passage"
expect_eq "$(hits)" "a.txt#1 b.txt#1 " "... each passage is found once, under the file's own name"
rm "$L/0lien.txt" "$L/0dossier" "$L/b.txt" "$L/link_a.txt"
expect_status 0 "the links removed" "$INDEXER" -v -d "$L.idx" "$L"
expect_no_grep 'warning' "$TMP/err" "... no warning"
expect_grep '^depeche-index: 1 file indexed, 1 unchanged, 0 skipped, 1 removed;' "$TMP/err" "... the file is back under its own name"
expect_eq "$(hits)" "a.txt#1 sub/c.txt#1 " "... each passage is found once"
expect_status 0 "a fresh build of the same tree" "$INDEXER" -q -d "$L.fresh" "$L"
expect_eq "$("$SEARCHER" -d "$L.idx" --stats | grep -E '^(files|passages|words)')" "$("$SEARCHER" -d "$L.fresh" --stats | grep -E '^(files|passages|words)')" "... the same files, passages and words as a fresh build"
finish
